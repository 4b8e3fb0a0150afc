"""Facts from a matched story, each with the sentence it came from: stages, payments, rights warnings,
and claims that contradict the catalogue's timeline.

The rules read the grammar of news copy rather than particular stories: money in every way papers
write it, stage cue phrases with their negation, modality and tense, speakers of rights warnings and what
they warn about. Offsets index Story.text; the title is used for matching only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from feeds.agreements import COUNTRIES, currency_of
from feeds.match import Doc, Folded, Hit, lowered
from feeds.models import STAGES, Agreement, Conflict, Payment, RightsWarning, StageEvent

# ------------------------------------------------------------------------------------------------ money

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = (
    r"(?:\s*(?:thousand|million|billion|trillion)\b|\s?(?:mln|mn|bln|bn|tn|trn)\b|(?:m|b|k)\b)"
)
_PREFIX = (
    r"US\$|U\.S\.\s?\$|A\$|AU\$|AUD\s?\$?|NZ\$|NZD|C\$|CA\$|CAD|USD|EUR|GBP|RWF|Rwf|FRw|DKK|CHF|ILS|"
    r"£|€|₪|\$"
)
_SUFFIX = (
    r"(?:(?:US|U\.S\.|American|Australian|Canadian|New\s+Zealand)\s+)?dollars?|"
    r"pounds?(?:\s+sterling)?|sterling|euros?|(?:Rwandan\s+)?francs?|Danish\s+kroner|kroner|shekels?|"
    r"USD|EUR|GBP|AUD|RWF|DKK|CAD|NZD|ILS"
)
_MONEY = re.compile(
    rf"(?<![\w$£€])(?P<pre>{_PREFIX})\s?(?P<num1>{_NUM})(?P<scale1>{_SCALE})?(?:\s+(?P<post1>{_SUFFIX})\b)?"
    rf"|(?<![\w.,$£€])(?P<num2>{_NUM})(?P<scale2>{_SCALE})?\s*(?P<post2>{_SUFFIX})\b"
    rf"|(?<![\w.,$£€])(?P<num3>{_NUM})(?P<scale3>\s?(?:mln|mn|bln|bn)\b|\s(?:million|billion)\b)",
)
_SCALES = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "mln": 1e6, "mn": 1e6, "m": 1e6,
    "billion": 1e9, "bln": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12, "trn": 1e12,
}
_CURRENCY_WORDS = {
    "us$": "USD", "u.s.$": "USD", "usd": "USD", "a$": "AUD", "au$": "AUD", "aud": "AUD", "aud$": "AUD",
    "nz$": "NZD", "nzd": "NZD", "c$": "CAD", "ca$": "CAD", "cad": "CAD", "eur": "EUR", "gbp": "GBP",
    "rwf": "RWF", "frw": "RWF", "dkk": "DKK", "chf": "CHF", "ils": "ILS", "£": "GBP", "€": "EUR",
    "₪": "ILS", "pound": "GBP", "pounds": "GBP", "sterling": "GBP", "pounds sterling": "GBP",
    "pound sterling": "GBP", "euro": "EUR", "euros": "EUR", "franc": "RWF", "francs": "RWF",
    "rwandan franc": "RWF", "rwandan francs": "RWF", "danish kroner": "DKK", "kroner": "DKK",
    "shekel": "ILS", "shekels": "ILS", "us dollar": "USD", "us dollars": "USD", "u.s. dollars": "USD",
    "american dollars": "USD", "australian dollar": "AUD", "australian dollars": "AUD",
    "canadian dollars": "CAD", "new zealand dollars": "NZD",
}
_CONVERSION_LEAD = re.compile(
    r"\s*(?:\(\s*|,\s*or\s+|\s+or\s+|—\s*|–\s*)(?:about|around|approximately|approx\.?|roughly|some|nearly|"
    r"almost|over|more\s+than|just\s+over|just\s+under|~|c\.|equivalent\s+to|worth)?\s*$"
)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of money as written: `amount` in currency units, `start`/`end` its span in the text."""

    amount: float
    currency: str | None  # ISO 4217; None when the text names no currency ("126mln")
    start: int
    end: int
    explicit: bool = True  # False for a bare "$", which may be Australian, or no currency at all
    conversion: bool = False  # a restatement of the amount before it ("50 million pounds ($66m)")


def _currency(pre: str | None, post: str | None) -> tuple[str | None, bool]:
    for word in (pre, post):
        if word:
            key = re.sub(r"\s+", " ", word.strip().lower())
            if key in ("$", "dollar", "dollars"):
                continue
            if key in _CURRENCY_WORDS:
                return _CURRENCY_WORDS[key], True
    if (pre and pre.strip() == "$") or (post and post.lower().startswith("dollar")):
        return "USD", False
    return None, False


_MAX_AMOUNT = 1e15  # beyond any budget; longer digit runs are not money (and float() of them is inf)


def parse_money(text: str) -> list[Money]:
    """Every amount of money in `text`, in order; conversions are kept but flagged.

    Handles "£50m", "50 million pounds", "$6 million", "€105m", "A$408 million", "1.2bn euros",
    "US$12,000", "AUD 40m", "126mln" (no currency: `currency` None), and shares a scale across a range
    ("£6.87 and £8.59 million").
    """
    found: list[Money] = []
    scales: list[str | None] = []
    for m in _MONEY.finditer(text):
        num = m.group("num1") or m.group("num2") or m.group("num3")
        scale = m.group("scale1") or m.group("scale2") or m.group("scale3")
        pre = m.group("pre")
        post = m.group("post1") or m.group("post2")
        try:
            value = float(num.replace(",", ""))
        except ValueError:
            continue
        currency, explicit = _currency(pre, post)
        if pre is None and post is None:
            explicit = False
        factor = _SCALES.get(scale.strip().lower(), 1.0) if scale else 1.0
        if not value * factor <= _MAX_AMOUNT:  # hundreds of digits (even inf): no state's money
            continue
        # A money-less year after a currency sign ("$2024") is not money; neither is "m" in "5m tall".
        found.append(Money(value * factor, currency, m.start(), m.end(), explicit))
        scales.append(scale)
    # "between £6.87 and £8.59 million": the scale of the second amount belongs to the first.
    for k in range(len(found) - 1):
        a, b = found[k], found[k + 1]
        if scales[k] is None and scales[k + 1] and re.fullmatch(r"\s*(?:and|to|-|–)\s*", text[a.end : b.start]):
            factor = _SCALES.get((scales[k + 1] or "").strip().lower(), 1.0)
            if a.amount * factor <= _MAX_AMOUNT:
                found[k] = Money(a.amount * factor, a.currency, a.start, a.end, a.explicit)
    # A restatement in another currency right after an amount is the same money.
    out: list[Money] = []
    paren_close = -1
    for k, money in enumerate(found):
        if k and out:
            prev = out[-1]
            gap = text[prev.end : money.start]
            same_paren = money.start < paren_close
            if (same_paren or _CONVERSION_LEAD.fullmatch(gap)) and money.currency != prev.currency:
                if "(" in gap and not same_paren:
                    close = text.find(")", money.end)
                    paren_close = close if close != -1 and close - money.end < 80 else -1
                base = prev
                j = len(out) - 1
                while j >= 0 and out[j].conversion:
                    j -= 1
                base = out[j] if j >= 0 else prev
                if money.currency != base.currency:
                    out.append(Money(money.amount, money.currency, money.start, money.end, money.explicit, True))
                    continue
        out.append(money)
    return out


# -------------------------------------------------------------------------------- shared sentence tools

_NEGATION = re.compile(
    r"\b(?:no|not|never|nor|neither|without|denied|deny|denies|denying|rejected|rejects|dismissed|"
    r"refused|yet\s+to|false|fake)\b|n[’']t\b",
    re.IGNORECASE,
)
_NEG_AFTER = re.compile(
    r"^(?:(?!\b(?:who|whom|which|that|where)\b)[^,;.]){0,80}?\b(?:(?:are|is|was|were|has|have|had|did|do|does)\s+not|(?:are|is|was|were)n[’']t|"
    r"no\s+longer)\b",
    re.IGNORECASE,
)
_MODAL = re.compile(
    r"\b(?:if|would|could|might|may|should|will|shall|expected|set|aims?|aiming|plans?|planned|hopes?|"
    r"wants?|seeks?|seeking|intends?|due|once|upcoming|proposed|possible|potential|unless)\b[^,;]{0,25}$"
    r"|\bto\s+(?:be\s+|have\s+|\w+ly\s+)?$",
    re.IGNORECASE,
)
# Without the bare infinitive "to": "decided to postpone" reports a decision, "to sign" only an aim.
_MODAL_STRICT = re.compile(
    r"\b(?:if|would|could|might|may|should|will|shall|expected\s+to|set\s+to|aims?\s+to|plans?\s+to|"
    r"hopes?\s+to|wants?\s+to|intends?\s+to|threatens?\s+to|due\s+to|once|upcoming|proposed|possible|"
    r"potential|unless|must|ought\s+to|(?:urg\w+|call(?:ed|s|ing)?\s+on|ask\w*|press\w*|demand\w*)\s+"
    r"(?:[\w’'-]+\s+){0,4}to)\b[^,;]{0,25}$",
    re.IGNORECASE,
)
_BACKGROUND = re.compile(
    r"\b(?:after|following|since|before|former|previous|previously|older|earlier|original|old|"
    r"had|once|even\s+as|despite|although|though|when)\b[^,;]{0,50}$",
    re.IGNORECASE,
)
_CLAUSE_START = re.compile(r"[,;:—–(]|\bbut\b|\bwhile\b|\bwhich\b", re.IGNORECASE)


def _clause_before(sentence: str, pos: int, limit: int = 60) -> str:
    """The text of the clause before `pos` (back to the last comma or semicolon, at most `limit`)."""
    head = sentence[max(0, pos - limit) : pos]
    cut = 0
    for m in _CLAUSE_START.finditer(head):
        cut = m.end()
    return head[cut:]


# ------------------------------------------------------------------------------------------- attribution

_DEFINITE_DEAL = re.compile(
    r"\b(?:the|that|this|its|their|such\s+a|the\s+\w+)\s+(?:deal|agreement|plan|scheme|arrangement|talks|"
    r"negotiations|discussions|memorandum|MoU|partnership|pact|treaty|accord|policy|proposal|protocol|"
    r"initiative|programme|program|framework|declaration|flights?|deportations|transfers|removals)\b",
    re.IGNORECASE,
)


def attribute(doc: Doc, i: int, pos: int, lookback: int = 3, fallback: bool = False) -> str | None:
    """The agreement a fact at `pos` of sentence `i` is about, or None.

    Fully named agreements in the sentence win (the nearest distinguishing party to the fact when there
    are several); then a party named alone; then "the deal" & co. refer back to the last agreement named.
    """
    sentence = doc.sentence(i)
    if _SEPARATE.search(sentence):
        return None
    full = doc.full[i]
    if len(full) == 1:
        return full[0]
    if full:
        return _nearest(doc, i, pos, full)
    partial = [a for a in doc.partial[i] if _distinctive(doc, i, a) or _DEFINITE_DEAL.search(sentence)]
    if len(partial) == 1:
        return partial[0]
    if partial:
        recent = _recent(doc, i, lookback + 2, partial)
        if recent:
            return recent
        return _nearest(doc, i, pos, partial)
    if _DEFINITE_DEAL.search(doc.sentence(i)) or fallback:
        recent = _recent(doc, i, lookback, None)
        if recent:
            return recent
    if fallback:
        mains = [m for m in doc.matched.values() if m.main]
        if mains:
            return max(mains, key=lambda m: m.score).agreement_id
    return None


_SEPARATE = re.compile(r"\b(?:in\s+a\s+separate|separately|unrelated|in\s+another\s+(?:case|development))\b",
                       re.IGNORECASE)


def _distinctive(doc: Doc, i: int, agreement_id: str) -> bool:
    """Whether what the sentence names of the agreement points at it: a receiving party, an alias, or a
    sender that only this agreement has ("the U.S. Supreme Court" says nothing about which US deal)."""
    index = doc.index
    first, rest = index.required[agreement_id]
    for h in doc.hits[i]:
        if h.kind != "party":
            if h.key == agreement_id:
                return True
        elif h.key in rest or (h.key == first and len(index.by_party.get(first, ())) <= 2):
            return True
    return False


def _recent(doc: Doc, i: int, lookback: int, among: list[str] | None) -> str | None:
    for j in range(i - 1, max(-1, i - 1 - lookback), -1):
        pool = doc.full[j] or (doc.partial[j] if len(doc.partial[j]) == 1 else [])
        pool = [a for a in pool if among is None or a in among]
        if len(pool) == 1:
            return pool[0]
        if pool:
            mains = sorted(pool, key=lambda a: -doc.matched[a].score)
            return mains[0]
    return None


def _nearest(doc: Doc, i: int, pos: int, agreements: list[str]) -> str:
    index = doc.index
    hits = doc.hits[i]
    best: tuple[float, float, str] | None = None
    shared: set[str] = set.intersection(*(set(index.parties[a]) for a in agreements)) if agreements else set()
    for agreement_id in agreements:
        own = set(index.parties[agreement_id]) - shared
        distances = [
            abs(((h.start + h.end) // 2) - pos)
            for h in hits
            if (h.kind == "party" and h.key in own) or (h.kind != "party" and h.key == agreement_id)
        ]
        distance = min(distances) if distances else 10_000
        key = (distance, -doc.matched[agreement_id].score, agreement_id)
        if best is None or key < best:
            best = key
    assert best is not None
    return best[2]


# ------------------------------------------------------------------------------------------------ stages

_W = r"(?:[\w’'-]+\s+)"  # one word and its space
_STAGE_CUES: dict[str, str] = {
    "exploratory": (
        rf"\bconsider(?:s|ed|ing)?\s+{_W}{{0,3}}(?:sending|deporting|deal|agreement|plan|option|destination)"
        rf"|\bexplor(?:e|es|ed|ing)\s+{_W}{{0,2}}(?:possibility|option|idea|deal|agreement)"
        r"|\b(?:floated|mulling|mulled|weighing)\b|\bannounced\s+(?:a\s+)?plans?\b|\bproposals?\b"
        r"|\bplans?\s+to\s+(?:send|open|transfer|deport|outsource|process)\b|\bfeasibility\b"
    ),
    "negotiating": (
        rf"\b(?:in|entered|entering|holding|held|began|begun|opened|continu\w+|resum\w+|ongoing|advanced)\s+"
        rf"{_W}{{0,2}}(?:talks|negotiations|discussions)\b"
        r"|\b(?:talks|negotiations|discussions)\s+(?:are|were|have\s+been|is)\s+(?:ongoing|continuing|under\s?way)"
        r"|\b(?:talks|negotiations|discussions|dialogue)\s+(?:with|between|continue|on|over|about)\b"
        r"|\bearly\s+(?:stages?|phases?)\b|\bin\s+discussions?\b|\bunder\s+discussion\b|\bnegotiat\w+"
        r"|\bdraw(?:ing|n)?\s+up\b|\bvow\w*\s+to\s+strike\b|\broadmap\b|\bin\s+principle\b"
        r"|\bagreed\s+(?:on\s+)?(?:the\s+)?principles?\b|\bclose\s+to\s+(?:a\s+|an\s+)?(?:deal|agreement)\b"
        r"|\bnearing\s+(?:a\s+)?(?:deal|agreement)\b|\bin\s+talks\b"
    ),
    "signed": (
        r"\bsign(?:ed|s|ing)?\b|\binked\b|\bnewly\s+signed\b|\bratif\w+"
        rf"|\bstruck\s+(?:a|an|the)\s+{_W}{{0,3}}(?:deal|agreement|pact|accord)"
        r"|\b(?:deal|agreement|pact|accord)s?\s+(?:was\s+|were\s+)?struck\b"
        rf"|\breached\s+(?:a\s+|an\s+)?{_W}{{0,3}}(?:deals?|agreements?|accords?|understanding)"
        rf"|\bconcluded\s+(?:a|an|the)\s+{_W}{{0,2}}(?:deal|agreement)"
        rf"|\blaunch(?:ed|es|ing)?\s+(?:a|an|the)\s+{_W}{{0,3}}(?:partnership|agreement|deal|declaration)"
        r"|\bagreed\s+to\s+(?:take|receive|accept|host|resettle)\b"
        rf"|\bconfirm(?:ed|s)?\s+(?:a|an|the)\s+{_W}{{0,2}}(?:agreement|deal|arrangement)"
        rf"|\bentered\s+(?:into\s+)?(?:a|an)\s+{_W}{{0,2}}(?:deal|agreement|arrangement|partnership)"
        r"|\b(?:deal|agreement|memorandum|accord)\s+(?:was\s+|has\s+been\s+)?(?:agreed|finali[sz]ed|sealed)"
        r"|\bfinali[sz]ed\b|\bsealed\s+(?:a|an|the)\b|\bunveiled\b|\b(?:came|entered)\s+into\s+force\b"
    ),
    "implementing": (
        r"\b(?:began|begun|begin|begins|started|starts|start)\s+(?:officially\s+)?(?:implement\w*|"
        r"transfers?|deportations?|flights?|sending|receiving|returns?|transferring|deporting|moving|"
        r"flying|relocating|returning|taking\s+in|housing|detaining)\b|\bimplement(?:ed|ing|ation)\b"
        r"|\bfirst\s+(?:\w+\s+){0,2}(?:flights?|transfers?|arrivals?|deportees|group|batch|individual|"
        r"migrants|plane|returns?|people|men|women|asylum[\s-]seekers|detainees|refugees)\b"
        r"|\barriv(?:ed|al|als|es)\b|\bbatch(?:es)?\b"
        r"|\b(?:were|have\s+been)\s+(?:\w+\s+)?(?:sent|flown|transferred|deported|taken|moved|"
        r"relocated|expelled|removed)\s+(?:(?:on|last|this)\s+\w+\s+|(?:back|directly|straight)\s+)?(?:to|into)\b"
        r"|\b(?:began|begun|has\s+started|have\s+started)\s+(?!talk|negotiat|discuss|consider|explor|draft|plan)"
        r"\w+ing\b"
        r"|\b(?:\d[\d,]*|two|three|four|five|six|seven|eight|nine|ten|dozens|hundreds|scores)\s+(?:\w+\s+)?"
        r"(?:deportees|migrants|men|women|people|detainees|asylum[\s-]seekers)\s+(?:\w+\s+)?(?:flown|sent|"
        r"deported|transferred|removed|expelled)\s+(?:from\s+(?:[\w.’'-]+\s+){1,4})?to\b"
        rf"|\b(?:received|receives|receiving|took\s+in|has\s+taken\s+in)\s+{_W}{{0,5}}"
        r"(?:deportees|migrants|people|nationals|asylum[\s-]seekers|men|women|refugees|\d+)"
        rf"|\b(?:sent|flown|transferred|deported|relocated|moved|taken)\s+"
        rf"{_W}{{1,4}}(?:deportees|migrants|people|nationals|asylum[\s-]seekers|men|Venezuelans|suspects|"
        r"detainees|members|refugees|them)\b"
        r"|\b(?:sent|flown|transferred|deported|relocated|moved|taken)\s+(?:directly\s+|immediately\s+)?"
        r"(?:to|into)\b(?=[^.]*\b\d)"
        r"|\b(?:are|were|being|been|remain|remained)\s+(?:\w+\s+)?(?:held|detained|housed|jailed)\b"
        r"|\bdetaining\s+\d|\bcontinu(?:ed|es|e|ing)\s+(?:\w+\s+){0,3}(?:policy|transfers|deportations|"
        r"interceptions|intercepting|returning|support|funding|flights)\b"
        rf"|\bprovided\s+{_W}{{0,4}}(?:support|funding|equipment|training|vessels|boats)\b|\banniversary\b"
        r"|\bin\s+force\b|\boperational\b|\bhas\s+(?:sent|deported|transferred|received)\b"
        r"|\b(?:disburs\w+|paid\s+out|released|transferred)\s+(?:the\s+|a\s+|its\s+)?(?:\w+\s+){0,2}"
        r"(?:tranche|instal+ment|payment)s?\b"
    ),
    "legally-challenged": (
        r"\b(?:legal|court)\s+(?:challenges?|battles?|action|fight|case)\b|\bchallenged\s+in\s+court\b"
        r"|\blawsuits?\b|\bsued\b|\bappeal(?:ed|s)?\b|\binjunction\b|\brestraining\s+order\b"
        r"|\bemergency\s+motion\b|\bjudicial\s+review\b"
        r"|\bfiled\s+(?:a\s+|an\s+)?(?:\w+\s+)?(?:case|suit|lawsuit|petition|complaint|challenge|motion)\b"
        r"|\b(?:rul(?:ed|es|ing)|decided|found)\s+against\s+(?:the\s+)?(?:\w+\s+)?(?:government|administration|state|"
        r"ministry|minister|home\s+office)\b"
        r"|\border(?:ed|s)?\s+(?:\w+\s+){0,5}(?:returned|brought\s+back|turned\s+around|released|halted)\b"
        r"|\b(?:judges?|courts?|justices)\b(?=[^.;]{0,40}?\b(?:ruled|rules|ordered|orders)\b)"
        rf"|\b(?:judge|court|judges|courts|tribunal)\s+{_W}{{0,4}}(?:blocked|blocks|halted|halts|paused|"
        r"barred|bars|stopped|stops|denied|denies|suspended|grounded|refused|ordered|froze)\b"
        rf"|\b(?:blocked|halted|stopped|grounded|paused)\s+by\s+{_W}{{0,4}}(?:court|courts|judge|judges)\b"
    ),
    "struck-down": (
        r"\b(?:ruled|rules|deemed|declared|found|judged)\s+(?:it\s+|that\s+\w+\s+(?:was|is)\s+|"
        r"(?:[\w’'-]+\s+){1,6}?)?(?:to\s+be\s+|was\s+)?(?:unlawful|illegal|unconstitutional)\b"
        r"|\bruled\s+(?:\w+\s+){0,3}that\s+[^.;]{0,140}?\b(?:was|is|were|are)\s+(?:unlawful|illegal|"
        r"unconstitutional)\b"
        r"|\bstruck\s+down\b|\bquash(?:ed|es)?\b|\boverturned\b|\binvalidated\b"
        rf"|\bscrapped\s+by\s+{_W}{{0,3}}(?:court|Court)\b"
        r"|\b(?:unlawful|illegal)\W{0,3}\s+by\s+(?:the\s+)?(?:\w+\s+){0,2}(?:Supreme\s+)?Court\b"
    ),
    "suspended": (
        rf"\bsuspend(?:ed|s|ing)?\s+{_W}{{0,2}}(?:deal|agreement|plan|scheme|transfers|flights|deportations|"
        r"talks|cooperation|implementation|programme|arrangement)\b"
        rf"|\b(?:deal|agreement|plan|scheme|transfers|flights|talks)\s+{_W}{{0,2}}(?:suspended|paused|"
        r"on\s+hold|frozen|shelved)\b|\bon\s+hold\b|\bpostpon\w+|\bdelay(?:s|ed|ing)?\b|\bshelv(?:e|ed|es)\b"
        r"|\bput\s+on\s+ice\b|\bpaus(?:e|ed|es|ing)\b"
    ),
    "cancelled": (
        r"\bscrap(?:ped|s|ping)?\b|\bcancel\w*|\babandon\w*|\bax(?:e|ed|es|ing)\b|\bditch\w*"
        r"|\bdead\s+and\s+buried\b|\bterminat\w+|\bfell\s+through\b|\bfallen\s+through\b|\bcollapsed\b"
        rf"|\b(?:ended|end|ends|ending)\s+(?:the\s+|its\s+|a\s+)?{_W}{{0,3}}(?:deal|agreement|scheme|"
        r"policy|plan|programme|period|arrangement|partnership|processing|contracts?)\b"
        r"|\bcame\s+to\s+an\s+end\b|\bbring\s+to\s+an\s+end\b|\bwithdr(?:ew|awn|aw)\s+from\b|\bpulled\s+out\b"
        r"|\brevok\w+|\brepeal\w*"
        rf"|\b(?:clos(?:e|ed|es|ing|ure)|shut(?:\s+down)?|shutting)\b(?=[^.]*\b(?:centres?|centers?|camps?|"
        r"facilit(?:y|ies)|processing|detention)\b)"
        rf"|\b(?:centres?|centers?|camps?|facilit(?:y|ies))\s+{_W}{{0,6}}(?:will\s+)?clos(?:e|ed|ing)\b"
    ),
}
_STAGE_RANK = {stage: n for n, stage in enumerate(
    ("exploratory", "negotiating", "signed", "implementing", "legally-challenged", "suspended",
     "struck-down", "cancelled")
)}
_GROUPS = {f"s{n}": stage for n, stage in enumerate(_STAGE_CUES)}
# Every cue starts a word: the leading \b(?=[a-z]) lets `re` skip the other positions at once.
_STAGE_RE = re.compile(
    r"\b(?=[a-z])(?:" + "|".join(f"(?P<s{n}>{rx})" for n, rx in enumerate(_STAGE_CUES.values())) + ")",
    re.IGNORECASE,
)
_STAGE_LOW = lowered(_STAGE_RE)
_YEAR = re.compile(r"\b(?:(?P<month>January|February|March|April|May|June|July|August|September|October|"
                   r"November|December)\s+(?:\d{1,2},?\s+)?)?(?P<year>(?:19|20)\d\d)\b")
_MONTHS = {m: n for n, m in enumerate(
    ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
     "November", "December"), start=1)}
_NOT_A_STAGE = re.compile(r"\b(?:sign(?:ed|s)?\s+(?:up|of|language)|signs?\s+(?:that|of)|design\w*)\b", re.I)


@dataclass(slots=True)
class _StageHit:
    agreement_id: str
    stage: str
    sentence: int
    pos: int
    background: bool
    when: str | None


_PREP_BEFORE = re.compile(r"\b(?:about|on|over|for|of|into|from|without|against|towards?)\s+$", re.I)
# "The proposal, costed at £1.2bn, …", "under the Rwanda proposal": a definite "proposal" names a plan the
# story has already introduced, and says nothing of where it stands. It is a claim when it is new ("a
# proposal", "proposals to …"), the object of making or weighing it, or said to be pending.
_MODIFIERS = r"(?:(?!(?:a|an|and|or|but|to|of)\s)[^\s,;:()]+\s+){0,3}"
_DEFINITE_BEFORE = re.compile(
    rf"\b(?:the|this|these|those|its|their|his|her|our|[\w-]+[’']s?)\s+{_MODIFIERS}$", re.I)
_PROPOSING_BEFORE = re.compile(
    r"\b(?:made|makes?|making|tabl(?:e|ed|es|ing)|submit\w*|present\w*|put(?:s|ting)?\s+forward|draft\w*|"
    r"dr(?:ew|awn|aws|awing)\s+up|sen[dt]s?|sending|receiv\w+|stud(?:y|ies|ied|ying)|consider\w*|discuss\w*|"
    r"examin\w*|review\w*|weigh\w*|debat\w*|float\w*|mull\w*|explor\w*|pitch\w*)\s+"
    rf"(?:the|this|these|those|its|their|his|her|our|[\w-]+[’']s?)\s+{_MODIFIERS}$", re.I)
_NEW_BEFORE = re.compile(r"\b(?:new|fresh|revised|latest|draft|preliminary|tentative)\s+(?:[^\s,;:]+\s+)?$", re.I)
_PENDING_AFTER = re.compile(
    r"(?:\s*,[^,;.]{0,80},|\s+(?:to|for)\s+[^,;.]{0,60}?)?\s+(?:(?:is|was|are|were|remains?|remained|"
    r"(?:has|have|had)\s+been)\s+(?:still\s+|now\s+|currently\s+)?)?(?:under\s+(?:discussion|consideration|"
    r"review|study|negotiation)|being\s+(?:discussed|considered|studied|examined|drafted|weighed|negotiated)|"
    r"on\s+the\s+table)\b", re.I)


def _names_a_known_plan(sentence: str, before: str, end: int) -> bool:
    """Whether the "proposal" ending at `end` only refers back to a plan ("the proposal, costed at …")."""
    return bool(_DEFINITE_BEFORE.search(before)) and not _NEW_BEFORE.search(before) \
        and not _PROPOSING_BEFORE.search(before) and not _PENDING_AFTER.match(sentence, end)


def _stage_of(stage: str, sentence: str, start: int, end: int) -> tuple[str | None, bool]:
    """The stage a cue really reports once negation, modality and background are read; and background."""
    before = _clause_before(sentence, start)
    if _NEGATION.search(before[-40:]) or _NEG_AFTER.search(sentence[end:]):
        if stage == "negotiating" and re.search(r"\byet\b", before, re.I):
            return "negotiating", False
        return None, False
    if _NOT_A_STAGE.match(sentence, start):
        return None, False
    if stage == "exploratory" and sentence[start:end].lower().startswith("proposal") \
            and _names_a_known_plan(sentence, before, end):
        return None, False
    # "talks about receiving people", "a plan for sending migrants": a topic, not something that happened
    if stage == "implementing" and sentence[start:end].split(" ", 1)[0].lower().endswith("ing") \
            and _PREP_BEFORE.search(before):
        return None, False
    modal = bool((_MODAL if stage == "signed" else _MODAL_STRICT).search(before[-30:]))
    if modal:
        if stage == "signed":
            return "negotiating", False
        if stage in ("implementing", "struck-down", "suspended", "exploratory", "legally-challenged",
                     "cancelled"):
            return None, False
    background = bool(_BACKGROUND.search(before))
    return stage, background


def _date_value(m: re.Match[str]) -> str:
    value = m.group("year")
    if m.group("month"):
        value += f"-{_MONTHS[m.group('month')]:02d}"
    return value


def _attach_dates(sentence: str, cues: list[tuple[int, int]]) -> dict[int, str]:
    """Each date the sentence gives, attached to the nearest stage cue (a date after its verb preferred,
    never across a full stop or semicolon): "ruled unlawful by the court and later scrapped in July 2024"
    dates the scrapping, not the ruling. Returns {cue index: date}."""
    out: dict[int, tuple[float, str]] = {}
    for m in _YEAR.finditer(sentence):
        best: tuple[float, int] | None = None
        for k, (start, end) in enumerate(cues):
            if m.start() >= end:
                distance = float(m.start() - end)
                if re.search(r"[;]", sentence[end : m.start()]):
                    continue
            elif m.end() <= start:
                distance = (start - m.end()) * 1.5
                if re.search(r"[;.]", sentence[m.end() : start]):
                    continue
            else:
                continue
            if distance > 90:
                continue
            if best is None or distance < best[0]:
                best = (distance, k)
        if best is not None and (best[1] not in out or best[0] < out[best[1]][0]):
            out[best[1]] = (best[0], _date_value(m))
    return {k: v for k, (_, v) in out.items()}


def _when(sentence: str, start: int, end: int) -> str | None:
    """The date the sentence gives for one event at [start, end) (see _attach_dates)."""
    return _attach_dates(sentence, [(start, end)]).get(0)


def _ordinal(when: str | None, story: float | None) -> float:
    """A sortable time: months since year 0; undated events happen when the story is published."""
    if not when:
        return story if story is not None else float("inf")
    year, _, month = when.partition("-")
    if not month:
        # "in 2025" in a story of May 2025 is the story's own time
        if story is not None and int(story // 12) == int(year):
            return story
        return int(year) * 12 + 5.5
    return int(year) * 12 + int(month) - 1


def _stage_cues(doc: Doc) -> Iterator[re.Match[str]]:
    """Stage cues in the sentences that can be tied to an agreement (the rest would be dropped anyway)."""
    text, rx = (doc.low, _STAGE_LOW) if doc.low is not None else (doc.text, _STAGE_RE)
    for i, (a, b) in enumerate(doc.spans):
        if doc.full[i] or doc.partial[i] or doc.deal[i]:
            yield from rx.finditer(text, a, b)


def extract_stages(doc: Doc) -> list[StageEvent]:
    """Stage events per matched agreement, in text order, except that each agreement's current stage
    comes last, so `Analysis.stage` reads it. The current stage is the latest event in time: events are
    dated by the date their clause gives, undated ones by the story's date; a background event ("after
    the court had ruled …") with no date of its own happens just before the dated news of its sentence."""
    if not doc.matched:
        return []
    by_sentence: dict[int, list[re.Match[str]]] = {}
    for m in _stage_cues(doc):
        by_sentence.setdefault(doc.sentence_of(m.start()), []).append(m)
    hits: list[_StageHit] = []
    for i, cues in by_sentence.items():
        a, _ = doc.spans[i]
        sentence = doc.sentence(i)
        dates = _attach_dates(sentence, [(m.start() - a, m.end() - a) for m in cues])
        for k, m in enumerate(cues):
            s, e = m.start() - a, m.end() - a
            stage, background = _stage_of(_GROUPS[m.lastgroup or ""], sentence, s, e)
            if stage is None:
                continue
            agreement_id = attribute(doc, i, m.start())
            if agreement_id is None:
                continue
            hits.append(_StageHit(agreement_id, stage, i, s, background, dates.get(k)))
    published = doc.story.published
    story_time = published.year * 12 + published.month - 1 + (published.day - 1) / 31 if published else None
    times: list[float] = []
    for h in hits:
        t = _ordinal(h.when, story_time)
        if not h.when:
            # "ruled unlawful … and later scrapped in July 2024": an undated event shares the time of the
            # dated ones in its sentence; a background one ("after …") comes just before them.
            dated = [_ordinal(o.when, story_time) for o in hits
                     if o.sentence == h.sentence and o.when and not o.background]
            if dated:
                t = min(dated) - 0.01 if h.background else max(dated)
        times.append(t)
    chosen: dict[str, _StageHit] = {}
    best_key: dict[str, tuple[float, bool, int]] = {}
    for h, t in zip(hits, times, strict=True):
        key = (t, not h.background, _STAGE_RANK[h.stage])
        if h.agreement_id not in chosen or key >= best_key[h.agreement_id]:
            chosen[h.agreement_id] = h
            best_key[h.agreement_id] = key
    events: list[StageEvent] = []
    seen: set[tuple[str, str, int]] = set()
    last: list[StageEvent] = []
    for h in hits:
        ident = (h.agreement_id, h.stage, h.sentence)
        event = StageEvent(h.agreement_id, h.stage, doc.evidence(h.sentence), h.when)
        if chosen[h.agreement_id] is h:
            last.append(event)
            continue
        if ident in seen:
            continue
        seen.add(ident)
        events.append(event)
    for event in last:
        # the chosen hit may share its (agreement, stage, sentence) with an earlier one already emitted
        events = [e for e in events if not (e.agreement_id == event.agreement_id and e.stage == event.stage
                                            and e.evidence == event.evidence)]
    assert all(e.stage in STAGES for e in events + last)
    return events + last


def timeline_stage(agreement: Agreement | None, published: datetime | None) -> str | None:
    """The stage the catalogue's timeline gives an agreement as of a date: its last dated stage change on
    or before it. For a story that names an agreement without saying where it stands."""
    if agreement is None or published is None:
        return None
    day = published.strftime("%Y-%m-%d")
    stage = None
    for event in sorted(agreement.timeline, key=lambda t: t.date):
        if event.stage and event.date <= day[: len(event.date)]:
            stage = event.stage
    return stage


def find_conflicts(doc: Doc, stages: list[StageEvent], catalogue_get) -> list[Conflict]:  # type: ignore[no-untyped-def]
    """A dated claim about a one-off event (signed, struck down, cancelled, suspended) that the catalogue's
    timeline dates otherwise. A claim without a year ("in July") is never a conflict."""
    conflicts: list[Conflict] = []
    seen: set[tuple[str, str]] = set()
    for event in stages:
        if event.stage not in ("signed", "struck-down", "cancelled", "suspended") or not event.when:
            continue
        agreement: Agreement | None = catalogue_get(event.agreement_id)
        if agreement is None:
            continue
        known = [t for t in agreement.timeline if t.stage == event.stage]
        if not known:
            continue
        claim_year, _, claim_month = event.when.partition("-")
        agrees = any(
            t.date[:4] == claim_year and (not claim_month or t.date[5:7] in ("", claim_month)) for t in known
        )
        if agrees or (event.agreement_id, event.when) in seen:
            continue
        seen.add((event.agreement_id, event.when))
        conflicts.append(Conflict(
            agreement_id=event.agreement_id,
            claim=f"{event.stage} in {_month_year(event.when)}",
            known="; ".join(f"{t.stage} {_month_year(t.date)}" for t in known),
            evidence=event.evidence,
        ))
    return conflicts


def _month_year(date: str) -> str:
    parts = date.split("-")
    if len(parts) >= 2 and parts[1].isdigit() and 1 <= int(parts[1]) <= 12:
        month = next(m for m, n in _MONTHS.items() if n == int(parts[1]))
        return f"{month} {parts[0]}"
    return parts[0]


# ---------------------------------------------------------------------------------------------- payments

_PAY_CONTEXT = re.compile(
    r"\b(?=[a-z])(?:pa(?:y|id|ys|ying|yment|yments)|fund\w*|financ\w*|aid|support|pledg\w*|promis\w*|commit\w*|"
    r"costs?|costing|spen[dt]\w*|worth|budget\w*|package|envelope|instal+ments?|tranches?|wired?|"
    r"disburs\w*|transfer\w*|ow(?:e|es|ed|ing)|debt|seek\w*|sought|demand\w*|compensat\w*|grants?|"
    r"money|deal|agreement|partnership|pact|memorandum|accord|treaty|contract\w*|allocat\w*|earmark\w*|bill|price|receiv\w*|given|gave|offer\w*|"
    r"handed|release\w*|reimburs\w*|refund\w*|claim\w*|asking|trust\s+fund|fee|fees|investment|"
    r"upfront|annually|million|billion)\b",
    re.IGNORECASE,
)
_STATUS_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("claimed", re.compile(r"\b(?:seek\w*|sought|demand\w*|claim\w*|asking\s+for|asked\s+for|wants?\s+back|"
                           r"compensation|reimburs\w*|refund\w*|calls?\s+for)\b", re.I)),
    ("owed", re.compile(r"\b(?:ow(?:e|es|ed|ing)|outstanding|due|arrears|yet\s+to\s+be\s+paid|"
                        r"will\s+be\s+(?:wired|paid|transferred|disbursed|released)|debt)\b", re.I)),
    ("proposed", re.compile(r"\b(?:propos\w+|would\s+(?:pay|provide|receive|cost|give|get)|could\s+"
                            r"(?:pay|receive|get|cost)|plans?\s+to\s+(?:pay|give|provide)|"
                            r"consider\w*|reportedly\s+offer\w*|wants?\s+to\s+pay|under\s+discussion|"
                            r"floated)\b", re.I)),
    ("pledged", re.compile(r"\b(?:pledg\w*|promis\w*|commit\w*|vow\w*|offer\w*|earmark\w*|allocat\w*|"
                           r"envelope|will\s+(?:pay|provide|give|receive|get|deliver)|agreed\s+to\s+(?:pay|"
                           r"provide|give)|annually|a\s+year|per\s+year|each\s+year|over\s+\w+\s+years|"
                           r"worth|package|upfront|to\s+be\s+paid|backed\s+by|(?:through|until)\s+20\d\d|"
                           r"over\s+the\s+(?:next|coming))\b", re.I)),
    ("paid", re.compile(r"\b(?:paid|pays|paying|spent|spend|spends|costs?|costing|received|receives|"
                        r"provided|disbursed|transferred|wired|handed|gave|given|funded|financed|payment|"
                        r"instal+ments?|released?|deposited|has\s+(?:paid|given))\b", re.I)),
)
_STATUS_CUES_LOW = tuple((status, lowered(rx)) for status, rx in _STATUS_CUES)
_PER_PERSON = re.compile(
    r"^\W{0,3}\s*(?:(?:\w+\s+){0,2})?(?:per|for\s+each|for\s+every|a|each)\s+(?:person|head|migrant|"
    r"deportee|asylum[\s-]seeker|individual|refugee|detainee|prisoner|inmate|man|woman|people)\b|^\s*each\b",
    re.IGNORECASE,
)
_TRANCHE = re.compile(r"\b(?:instal+ments?|tranches?|annually|a\s+year|per\s+year|each\s+year|yearly)\b", re.I)
_PAY_VERB_NEAR = re.compile(r"\b(?:pa(?:y|ys|id)|received|gave|wired|owes?|sent)\s+(?:\w+\s+){0,2}$", re.I)
_FROM = re.compile(r"\bfrom\s+(?:the\s+)?$", re.I)
_TO = re.compile(r"\b(?:to|for)\s+(?:the\s+)?$", re.I)
_SUBJECT_VERBS = re.compile(
    r"\b(?:pa(?:y|ys|id|ying)|pledg\w+|promis\w+|commit\w+|spen[dt]\w*|gave|give[ns]?|wired|offer\w*|"
    r"provid\w+|fund\w*|owes?)\b", re.I)
_RECEIVE_VERBS = re.compile(r"\b(?:receiv\w+|seek\w*|sought|demand\w*|claim\w*|get|gets|got|wants?|asking|"
                            r"asked|(?:is|are|was|were|being)\s+(?:still\s+)?owed)\b", re.I)
# "Rwanda says it is still owed £50m", "… a claim London disputes": one side's demand, not an agreed debt
_OWED_CLAIM = re.compile(
    r"\b(?:says?|said|claims?|claimed|insists?|insisted|argues?|argued|maintains?|believes?)\s+(?:that\s+)?"
    r"(?:it|they|he|she|[A-Z]\w+)\s+(?:is|are|was|were)\s+(?:still\s+)?owed\b"
    r"|\b(?:disput\w+|contest\w+|a\s+claim\b|rejects?\s+(?:the\s+)?claim)", re.I)
# "Critics say the total cost now exceeds £1.2bn", "… campaigners estimate": a cost that a side in the
# argument puts on the scheme. It is nobody's payment, promise or demand, so it is no Payment of any
# status; money the critics cite as paid or promised ("critics note Britain has paid Rwanda £240m") is.
_CRITICS = (r"(?:critics?|opponents?|detractors?|sceptics?|skeptics?|campaigners?|activists?|opposition\s+(?:MPs|"
            r"politicians|parties|leaders|figures|lawmakers))")
_ASSERT_VERB = (r"(?:say|says|said|saying|estimat\w*|calculat\w*|reckon\w*|put|puts|argu\w*|claim\w*|"
                r"believ\w*|contend\w*|alleg\w*|insist\w*|suggest\w*|point\w*\s+out|not(?:e|es|ed|ing)|warn\w*)")
_CRITICS_ASSERT = re.compile(
    rf"\b{_CRITICS}\s+(?:of\s+(?:[\w’'-]+\s+){{1,4}}?)?(?:(?:have|had|also|now|widely)\s+)?{_ASSERT_VERB}\b"
    rf"|\b{_ASSERT_VERB}\s+(?:some\s+|many\s+|the\s+|one\s+)?(?:[\w-]+[’']?s?\s+)?{_CRITICS}\b"
    rf"|\baccording\s+to\s+(?:some\s+|many\s+|the\s+|its\s+|their\s+)?{_CRITICS}\b"
    rf"|\b{_CRITICS}[’']\s+(?:estimates?|calculations?|figures?|reckoning|tally|count)\b",
    re.I,
)
_COST_WORD = re.compile(r"\b(?:costs?|costing|costed|bill|price(?:\s+tag)?|spen[dt]\w*|expenditure|"
                        r"estimat\w*)\b", re.I)
# money that moved, is owed or was promised: what the critics cite rather than estimate
_TRANSFER_VERB = re.compile(r"\b(?:paid|pays?|paying|payments?|handed|wired|transferred|disbursed|gave|given|"
                            r"received|receives?|owe[sd]?|owing|pledg\w+|promis\w+|committed)\b", re.I)
# a plain scan of the lower-cased sentence first: _CRITICS_ASSERT costs some 25 µs a sentence, this 1 µs
_CRITIC_WORD = re.compile(r"critic|opponent|detractor|sceptic|skeptic|campaigner|activist|opposition")


def _critics_estimate(sentence: str, s: int, e: int) -> bool:
    """Whether the money at [s, e) is a cost that critics put on the scheme rather than money that moved."""
    if not _CRITIC_WORD.search(sentence.lower()) or not _CRITICS_ASSERT.search(sentence):
        return False
    near = sentence[max(0, s - 60) : e + 30]
    return bool(_COST_WORD.search(sentence[max(0, s - 100) : e + 40])) and not _TRANSFER_VERB.search(near)


_SUPPORT_AFTER = re.compile(r"\s+(?:\w+\s+)?(?:support|aid|funding|money|assistance|grants?|loans?|financing)\b",
                            re.I)


def _dollar_currency(doc: Doc, i: int, agreement_id: str | None) -> str:
    """A bare "$" in an Australian (or Canadian, New Zealand) story is that country's dollar."""
    parties: list[str] = []
    if agreement_id:
        parties += list(doc.index.parties.get(agreement_id, ()))
    parties += [h.key for h in doc.hits[i] if h.kind == "party"]
    for party in parties:
        currency = currency_of(party)
        if currency in ("AUD", "NZD", "CAD"):
            return currency
    return "USD"


def _country_at(hits: list[Hit], a: int, b: int) -> list[Hit]:
    return [h for h in hits if h.kind == "party" and a <= h.start < b]


_DIGIT = re.compile(r"\d")
# Every amount parse_money reads has a currency sign or code, a currency word or a scale word; a sentence
# with none of them (most sentences with a number) is not parsed.
_MONEY_MARKS = ("$", "£", "€", "₪", "usd", "eur", "gbp", "aud", "rwf", "frw", "dkk", "chf", "ils", "nzd", "cad",
                "dollar", "pound", "sterling", "franc", "kroner", "shekel", "million", "billion", "trillion",
                "thousand", "mln", "mn", "bln", "bn", "tn", "trn")


def _may_hold_money(sentence: str) -> bool:
    low = sentence.lower()
    return any(mark in low for mark in _MONEY_MARKS)
_PAY_CONTEXT_F = Folded(_PAY_CONTEXT)
# Lenders' money beside a deal ("an $8bn IMF loan") is not the deal's money.
_NOT_AGREEMENT_MONEY = re.compile(r"\b(?:IMF|International\s+Monetary\s+Fund|World\s+Bank|bailout)\b")


def _about_an_agreement(doc: Doc, i: int) -> bool:
    """Whether sentence i can hold an agreement's money: it names a state or an agreement, or speaks of
    migration, or refers back ("the deal costs …", "the proposal") to the agreement that the sentence right
    before it is about. Any other sum is other business the story reports ("The proposal, costed at £3m,
    would be funded partly by central government"); the story's agreement is no reason to book it."""
    if doc.hits[i] or doc.cue[i]:
        return True
    j = i - 1
    if j < 0 or not (doc.full[j] or (doc.partial[j] and doc.cue[j])):
        return False  # "Residents of Kigali …" before it names a state, not the agreement
    return _DEFINITE_DEAL.search(doc.sentence(i)) is not None


def _agreement_with(doc: Doc, states: set[str], every: bool) -> str | None:
    """The story's best matched agreement (main ones first) that has all of `states` as parties, or, if
    not `every`, any of them."""
    best: tuple[bool, float, str] | None = None
    for agreement_id, match in doc.matched.items():
        parties = set(doc.index.parties.get(agreement_id, ()))
        if states <= parties if every else states & parties:
            key = (match.main, match.score, agreement_id)
            if best is None or key[:2] > best[:2]:
                best = key
    return best[2] if best else None


def extract_payments(doc: Doc) -> list[Payment]:
    """Amounts paid, owed, pledged, claimed or proposed under a matched agreement."""
    if not any(m.main for m in doc.matched.values()):
        return []
    out: list[Payment] = []
    seen: dict[tuple[str | None, float], int] = {}
    for i, (a, b) in enumerate(doc.spans):
        sentence = doc.text[a:b]
        if not _DIGIT.search(sentence) or not _may_hold_money(sentence):
            continue
        if not _about_an_agreement(doc, i):
            continue
        for money in parse_money(sentence):
            if money.conversion:
                continue
            s, e = money.start, money.end
            before = _clause_before(sentence, s, 80)
            if money.currency is None:
                # "126mln" with no currency: only right after a paying verb.
                if not _PAY_VERB_NEAR.search(sentence[max(0, s - 40) : s]):
                    continue
            if money.amount < 1000:
                continue
            if not _PAY_CONTEXT_F.search(sentence):
                continue
            if _NOT_AGREEMENT_MONEY.search(sentence[max(0, s - 30) : e + 25]):
                continue
            if _NEGATION.search(before[-45:]) and not re.search(r"\byet\b", before, re.I):
                continue
            if _NEG_AFTER.search(sentence[e:]):
                continue
            if _critics_estimate(sentence, s, e):
                continue
            agreement_id = attribute(doc, i, a + s, fallback=True)
            payer, payee, named = _payer_payee(doc, i, a, sentence, s, e, agreement_id)
            if agreement_id is not None:
                # The states the sentence names must be the agreement's: "£50m had been paid to Kigali" in a
                # story about Nauru is Rwanda's money. It goes to a matched agreement that has them, or,
                # when the story matches none, is not recorded; a side is never made up from another deal.
                parties = doc.index.parties.get(agreement_id, ())
                wanted = named or (set() if doc.full[i] or doc.partial[i] else doc.countries(i))
                if wanted and not (wanted <= set(parties) if named else wanted & set(parties)):
                    other = _agreement_with(doc, wanted, every=bool(named))
                    if other is not None:
                        agreement_id = other
                        payer, payee, named = _payer_payee(doc, i, a, sentence, s, e, agreement_id)
                    elif not wanted & set(parties):
                        continue
            currency = money.currency
            if currency == "USD" and not money.explicit:
                currency = _dollar_currency(doc, i, agreement_id)
            if currency is None:
                currency = currency_of(payer)
                if currency is None:
                    continue
            status = _status(sentence, s, e)
            after = sentence[e : e + 40]
            kind = "per-person" if _PER_PERSON.search(after) else "tranche" if _TRANCHE.search(
                sentence[max(0, s - 40) : e + 30]) else "total"
            key = (currency, round(money.amount, 2))
            if key in seen and seen[key] != i:
                continue  # the same sum retold in another sentence
            seen[key] = i
            out.append(Payment(
                amount=money.amount, currency=currency, payer=payer, payee=payee, status=status,
                evidence=doc.evidence(i), agreement_id=agreement_id, kind=kind,
            ))
    return out


_DEAL_VALUE = re.compile(r"\s*(?:[\w-]+\s+){0,2}(?:deal|partnership|package|agreement|programme|plan|pact|"
                         r"fund|facility|envelope|memorandum|treaty)\b", re.I)


def _status(sentence: str, s: int, e: int) -> str:
    best: tuple[float, str] | None = None
    if _DEAL_VALUE.match(sentence, e):
        # "a €7.4 billion partnership": the value of a deal, promised rather than paid
        before = sentence[max(0, s - 25) : s]
        if not re.search(r"\b(?:paid|spent|received|cost)\b", before, re.I):
            return "pledged"
    low = sentence.lower()
    cues = _STATUS_CUES_LOW if len(low) == len(sentence) else _STATUS_CUES
    text = low if cues is _STATUS_CUES_LOW else sentence
    for status, rx in cues:
        for m in rx.finditer(text):
            if m.start() < s:
                distance = float(s - m.end())
            elif m.start() >= e:
                distance = (m.start() - e) * 1.6
            else:
                continue
            # the clause with the money decides; cues past a full stop or far off barely count
            if distance > 120:
                continue
            if best is None or distance < best[0]:
                best = (distance, status)
    status = best[1] if best else "paid"
    if status == "owed" and _OWED_CLAIM.search(sentence):
        return "claimed"
    return status


def _payer_payee(
    doc: Doc, i: int, offset: int, sentence: str, s: int, e: int, agreement_id: str | None
) -> tuple[str | None, str | None, set[str]]:
    """Who pays and who is paid, and the states the sentence itself names in those roles. A side the
    sentence leaves out is the agreement's (its first party pays, its second is paid)."""
    parties = doc.index.parties.get(agreement_id or "", ())
    payer: str | None = parties[0] if parties else None
    payee: str | None = parties[1] if len(parties) > 1 else None
    hits = [h for h in doc.hits[i] if h.kind == "party"]
    rel = [(h.start - offset, h.end - offset, h.key) for h in hits]
    if len(parties) > 2:
        present = [k for _, _, k in rel if k in parties[1:]]
        if present:
            payee = present[0]
    found_payer = found_payee = None
    to_distance = 10_000
    for hs, he, key in rel:
        gap_before = sentence[max(0, hs - 12) : hs]
        if _FROM.search(gap_before) and hs > s - 40:
            found_payer = found_payer or key
        elif _TO.search(gap_before) and hs > s - 60:
            if found_payee is None or abs(hs - s) < to_distance:
                found_payee, to_distance = key, abs(hs - s)
        elif hs >= e and re.search(r"\bby\s+(?:the\s+)?$", gap_before) and hs - e < 30:
            found_payer = key  # "owed £50m by Britain"
        elif hs >= e and hs - e < 12 and re.search(r"\b(?:in|of)\s+(?:the\s+)?$", gap_before) \
                and _SUPPORT_AFTER.match(sentence, he):
            found_payer = key  # "€6bn in EU support"
    # "X paid/pledged … £N": the last country before the verb pays; "X seeks/received £N": X is paid.
    head = sentence[:s]
    verb = None
    for m in _SUBJECT_VERBS.finditer(head):
        verb = ("pay", m.start())
    for m in _RECEIVE_VERBS.finditer(head):
        if verb is None or m.start() > verb[1]:
            verb = ("get", m.start())
    if verb is not None:
        subject = [k for hs, _, k in rel if hs < verb[1]]
        obj = [k for hs, _, k in rel if verb[1] < hs < s]
        if subject:
            if verb[0] == "pay":
                found_payer = found_payer or subject[-1]
                if obj and not found_payee:
                    found_payee = obj[0]
            else:
                found_payee = found_payee or subject[-1]
    named = {k for k in (found_payer, found_payee) if k is not None}
    payer = found_payer or payer
    payee = found_payee or payee
    if payer == payee:
        payee = parties[1] if len(parties) > 1 and parties[1] != payer else (
            parties[0] if parties and parties[0] != payer else None)
    return payer, payee, named


# ---------------------------------------------------------------------------------------- rights warnings

_KNOWN_SPEAKERS: tuple[tuple[str, str], ...] = (
    (r"UNHCR|U\.?N\.?(?:[’']s)?\s+[Rr]efugee\s+[Aa]gency|United\s+Nations(?:[’']s)?\s+refugee\s+agency|"
     r"(?:Office\s+of\s+the\s+)?(?:United\s+Nations|UN)\s+High\s+Commissioner\s+for\s+Refugees|"
     r"Filippo\s+Grandi", "UNHCR"),
    (r"Amnesty(?:\s+International)?", "Amnesty International"),
    (r"Human\s+Rights\s+Watch|HRW", "Human Rights Watch"),
    (r"Council\s+of\s+Europe", "Council of Europe"),
    (r"European\s+Court\s+of\s+Human\s+Rights|ECtHR|Strasbourg\s+court", "European Court of Human Rights"),
    (r"European\s+Parliament|MEPs", "European Parliament"),
    (r"OHCHR|Volker\s+T[üu]rk|(?:UN|U\.N\.|United\s+Nations)\s+High\s+Commissioner\s+for\s+Human\s+Rights",
     "UN human rights office"),
    (r"International\s+Organi[sz]ation\s+for\s+Migration|IOM", "IOM"),
    (r"Médecins\s+Sans\s+Frontières|Medecins\s+Sans\s+Frontieres|Doctors\s+Without\s+Borders|MSF",
     "Médecins Sans Frontières"),
    (r"(?:International\s+Committee\s+of\s+the\s+)?Red\s+Cross|ICRC", "Red Cross"),
    (r"American\s+Civil\s+Liberties\s+Union|ACLU", "ACLU"),
    (r"Refugee\s+Council(?:\s+of\s+Australia)?|Freedom\s+from\s+Torture|Save\s+the\s+Children|Oxfam|"
     r"International\s+Rescue\s+Committee|Refugees\s+International|Care4Calais|Detention\s+Action|"
     r"Jesuit\s+Refugee\s+Service|Sea-Watch|SOS\s+M[ée]diterran[ée]e|SOS\s+Humanity|Cristosal|"
     r"Asylum\s+Aid|Refugee\s+Action|Human\s+Rights\s+First|Global\s+Detention\s+Project|"
     r"Physicians\s+for\s+Human\s+Rights|Committee\s+to\s+Protect\s+Journalists|"
     r"Reporters\s+Without\s+Borders|Euro-Med(?:iterranean)?\s+[\w\s]*?Monitor|EuroMed\s+Rights|"
     r"Alarm\s+Phone|Asylum\s+Seeker\s+Resource\s+Centre|Kaldor\s+Centre|Law\s+Society|Bar\s+Council|"
     r"(?:Australian\s+|Equality\s+and\s+)?Human\s+Rights\s+Commission|Inter-American\s+Commission\s+on\s+"
     r"Human\s+Rights|IACHR|Human\s+Rights\s+Council|[Oo]mbudsman|Caritas|Mediterranea|ASGI|"
     r"Legal\s+Aid\s+Society|National\s+Immigration\s+Law\s+Center|Southern\s+Poverty\s+Law\s+Center|"
     r"Democracy\s+Forward|Human\s+Rights\s+Law\s+Centre|Women[’']s\s+Refugee\s+Commission", ""),
    (r"(?:UN|U\.N\.|United\s+Nations)(?:[’']s)?\s+(?:[Ss]pecial\s+[Rr]apporteurs?|[Rr]apporteurs?|"
     r"(?:human\s+rights\s+)?experts?|[Hh]uman\s+[Rr]ights\s+(?:[Oo]ffice|[Cc]hief|[Cc]ouncil|[Cc]ommittee)|"
     r"Committee\s+(?:[Aa]gainst|[Oo]n)\s+[A-Z]\w+|fact-finding\s+mission|[Ff]act-[Ff]inding\s+[Mm]ission|"
     r"[Ii]nvestigators|Working\s+Group[\w\s]*?|[Ss]ecretary-[Gg]eneral|[Cc]hild\s+rights\s+committee|"
     r"Committee\s+on\s+the\s+Rights\s+of\s+the\s+Child|report|mission|[Hh]uman\s+[Rr]ights)"
     r"|[Ss]pecial\s+[Rr]apporteur(?:\s+on\s+[\w\s]+?(?=[,.]))?", "=UN"),
    (r"Supreme\s+Court|Court\s+of\s+Appeal|High\s+Court|Court\s+of\s+Justice(?:\s+of\s+the\s+European\s+"
     r"Union)?|appeals\s+court|federal\s+court|district\s+court|[Cc]onstitutional\s+[Cc]ourt|tribunal"
     r"|[Jj]udges?(?:\s+[A-Z][a-z]+){0,2}", "=COURT"),
    (r"(?i:(?:(?:human|migrant|refugee|civil)\s+)?rights\s+(?:groups?|organi[sz]ations?|campaigners|activists|"
     r"advocates|defenders|watchdogs?|lawyers|experts|NGOs)|[Hh]uman\s+rights\s+(?:groups|organi[sz]ations|"
     r"campaigners|activists|advocates|lawyers|experts|defenders|watchdogs?)|NGOs|non-governmental\s+"
     r"organi[sz]ations|aid\s+(?:groups|agencies|organi[sz]ations|workers)|charities|campaigners|activists|"
     r"advocacy\s+groups|civil\s+society(?:\s+(?:groups|organi[sz]ations))?|refugee\s+(?:groups|charities|"
     r"advocates|organi[sz]ations|lawyers)|humanitarian\s+(?:groups|organi[sz]ations|agencies)|lawyers|"
     r"attorneys|legal\s+experts|immigration\s+lawyers|advocates|rights\s+watchdog|"
     r"church\s+(?:leaders|groups)|churches|bishops|clergy|faith\s+(?:leaders|groups)|"
     r"(?:(?:Democratic|Republican|opposition|Labour|Green|Greens|Liberal)\s+)?(?:senators|lawmakers|MPs|"
     r"legislators|parliamentarians))", "=GROUP"),
    (r"(?:Arch)?[Bb]ishop\s+of\s+[A-Z]\w+|Church\s+of\s+England|Catholic\s+Church|Pope(?:\s+[A-Z][a-z]+)?|"
     r"Conference\s+of\s+(?:Catholic\s+)?Bishops", ""),
)
_SPEAKER_RE = re.compile(
    r"\b(?=[A-Za-zÉé])(?:" + "|".join(f"(?P<k{n}>{rx})" for n, (rx, _) in enumerate(_KNOWN_SPEAKERS)) + ")"
)
_ORG_SUFFIX = re.compile(
    r"\b(?:[A-Z][\w’'-]+\s+(?:for\s+|of\s+|on\s+|and\s+)?){1,4}(?:Watch|International|Foundation|Network|"
    r"Institute|Centre|Center|Project|Alliance|Coalition|Initiative|Federation|Association|Monitor|"
    r"Trust|Society)\b"
)
_NOT_ORG = re.compile(r"^(?:European|Senate|Security|Department|Ministry|White|National\s+Security)\b")
_APPOSITIVE_ORG = re.compile(
    r"\b([A-Z][\w’'&-]+(?:\s+[A-Z][\w’'&-]+){0,3}),\s+(an?\s+(?:[\w-]+\s+){0,4}?(?:charity|NGO|"
    r"non-governmental\s+organi[sz]ation|(?:rights|advocacy|campaign|aid|humanitarian|legal|watchdog)\s+"
    r"(?:group|organi[sz]ation|charity|body)|organi[sz]ation|watchdog|monitor|think\s+tank|rights\s+group))\b"
)
_STATE_WORDS = frozenset(form for forms, _ in COUNTRIES.values() for form in forms) | frozenset(COUNTRIES)
_CONJOINED = re.compile(r"^(?:\s*\([A-Z]{2,}\))?\s*(?:and|,)\s+([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,3})")
_PERSON_EXPERT = re.compile(
    r"\b([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){1,2}),\s+(?:a|an|the)?\s*(?:[\w’'-]+\s+){0,6}?"
    r"(?:professor|expert|researcher|lawyer|attorney|advocate|activist|campaigner|analyst|rapporteur|"
    r"director|founder|scholar|academic)\b"
)
_SPEECH = re.compile(
    r"\b(?=[a-z])(?:warn\w*|caution\w*|condemn\w*|critici[sz]\w*|denounc\w*|decr(?:y|ied|ies)|slam\w*|blast\w*|"
    r"urg(?:e|ed|es|ing)|call(?:ed|s|ing)?\s+(?:on|for)|concern\w*|alarm\w*|fear\w*|accus\w*|"
    r"raised?|rais(?:es|ing)|voic\w+|sa(?:y|id|ys|ying)|stated|told|argu\w*|describ\w+|report\w*|"
    r"document\w*|found|finds|finding|echo\w*|question\w*|oppos\w*|object\w*|protest\w*|according\s+to|"
    r"letter|statement|appeal\w*|insist\w*|highlight\w*|noted|notes|criticism|condemnation|ruled|"
    r"ruling|held|labell?ed|branded|called|cited|citing|urgent|claim\w*|alleg\w*|believe\w*|grounds)\b",
    re.IGNORECASE,
)
_STRONG_SPEECH = re.compile(
    r"\b(?=[a-z])(?:warn\w*|condemn\w*|critici[sz]\w*|denounc\w*|decr(?:y|ied|ies)|slam\w*|urg(?:e|ed|es|ing)|"
    r"call(?:ed|s|ing)?\s+on|alarm\w*|raised?\s+(?:\w+\s+){0,2}concerns?|voic\w+\s+(?:\w+\s+){0,2}concerns?)\b",
    re.IGNORECASE,
)
_OBJECT_POSITION = re.compile(
    r"\b(?:accus\w+|critici[sz]\w+|blam\w+|attack\w+|dismiss\w+|reject\w+|in|to|before|at|into|"
    r"through|against|with|(?<!\bjustices\s)(?<!\bjudges\s)(?<!\bgroup\s)(?<!\bpanel\s)(?<!\bmembers\s)"
    r"(?<!\bteam\s)(?<!\bexperts\s)(?<!\bcoalition\s)of|sued|suing)\s+(?:the\s+|a\s+)?(?:\w+\s+)?$",
    re.IGNORECASE,
)
_CONCERNS: tuple[tuple[str, str, bool], ...] = (
    # (label, pattern, substantive: enough for a court, which "unlawful" alone is not)
    ("refoulement", r"refoulement|refouled|returned\s+to\s+(?:\w+\s+){0,4}(?:countr(?:y|ies)|homelands?|"
     r"places?)\s+(?:\w+\s+){0,4}(?:fled|escaped)|(?:returned|sent|deported|removed)\s+(?:back\s+)?to\s+"
     r"(?:their|his|her)\s+(?:home\s*(?:countr(?:y|ies)|lands?)|countr(?:y|ies)\s+of\s+origin)|(?:sent|forced|returned|deported|pushed)\s+back|"
     r"countr(?:y|ies)\s+of\s+origin|persecution|onward\s+(?:removal|deportation)|(?:sent|deported|flown|removed)\s+"
     r"on\s+to|chain\s+deportation|"
     r"returned\s+to\s+danger|intercepting\s+and\s+returning|pull-?backs?", True),
    ("detention conditions", r"detention\s+conditions|(?:harsh|poor|unsafe|appalling|dire|prison)\s+"
     r"conditions|conditions\s+(?:for|of|in)\s+\w+|inhumane|degrading|overcrowd\w*|solitary\s+confinement|"
     r"squalid|concentration\s+camps?|indefinite(?:ly)?\s+detention|detained\s+indefinitely|arbitrary\s+detention|cruel\w*|"
     r"(?:prolonged|mandatory)\s+detention|detention\s+(?:of\s+)?(?:children|families)", True),
    ("torture and abuse", r"tortur\w*|abus(?:e|es|ed|ive)|mistreat\w*|ill-treat\w*|sexual\s+violence|rape|"
     r"enforced\s+disappearances?|disappeared|whereabouts|(?:no|without)\s+(?:proof|sign|word)\s+(?:\w+\s+){0,4}"
     r"alive|beaten|beatings|violence|exploitation|harrowing", True),
    ("due process", r"due\s+process|legal\s+safeguards?|access\s+to\s+(?:lawyers|legal|justice|asylum)|"
     r"fair\s+(?:hearing|trial|procedure)|opportunity\s+to\s+challenge|incommunicado|"
     r"without\s+(?:a\s+|any\s+)?(?:\w+\s+)?(?:hearings?|trials?|due\s+process|legal\s+(?:advice|counsel|"
     r"representation))|right\s+to\s+appeal|arbitrar\w+|meaningful\s+opportunity", True),
    ("political repression", r"political\s+(?:opponents|repression|prisoners|detainees|dissent)|repress\w*|"
     r"jail\w*\s+(?:\w+\s+)?(?:critics|opponents|journalists|activists|dissidents)|"
     r"crack(?:ing)?\s+down\s+on|crackdown|dissidents?|judicial\s+independence|authoritarian\w*", True),
    ("press freedom", r"press\s+freedom|freedom\s+of\s+(?:the\s+press|expression|speech)|media\s+freedom|"
     r"journalists", True),
    ("danger to life", r"deaths?|die|died|dying|danger\w*|endanger\w*|lives|unsafe|killed|risk\s+to\s+life|"
     r"war-torn|harm|lethal|drown\w*", True),
    ("human trafficking", r"traffick\w*", True),
    ("legality", r"unlawful|illegal|unconstitutional|breach\w*\s+(?:of\s+)?international\s+law|violat\w+|international\s+"
     r"(?:law|obligations)|unconscionable|irresponsible|unsustainable|shameful|reckless|immoral|"
     r"outsourc\w+\s+(?:of\s+)?(?:asylum|responsibility)|shift\w*\s+(?:the\s+)?(?:\w+\s+)?responsibilit\w+|"
     r"(?:burden|responsibility)[\s-]shifting", False),
    ("human rights", r"human\s+rights(?:\s+(?:violations|abuses|concerns|record))?|rights\s+(?:violations|"
     r"abuses)|racis\w+|xenophob\w+|discriminat\w+", False),
    ("transparency", r"transparen\w+|secre(?:t|cy|tive)|murky|opaque|accountab\w+", False),
)
_CONCERN_RE = re.compile(
    r"\b(?=[a-z])(?:" + "|".join(f"(?P<c{n}>{rx})" for n, (_, rx, _s) in enumerate(_CONCERNS)) + ")", re.I
)
_DENIAL = re.compile(
    r"\b(?=[a-z])(?:den(?:y|ies|ied|ying)|reject\w*|dismiss\w*|refut\w*|rebuff\w*|disput\w*|contest\w*)\s+"
    r"(?:\w+\s+){0,3}?(?:the\s+|these\s+|those\s+|such\s+|all\s+|any\s+)?(?:allegations?|claims?|"
    r"accusations?|reports?|charges?|criticism|concerns|findings|assertions?)\b"
    r"|\b(?:called|calling|dismissed)\s+(?:\w+\s+){0,3}(?:lies|false|untrue|fake\s+news|baseless)\b"
    r"|\bden(?:y|ies|ied|ying)\s+that\b",
    re.IGNORECASE,
)


_SPEECH_F, _STRONG_SPEECH_F = Folded(_SPEECH), Folded(_STRONG_SPEECH)
_CONCERN_F, _DENIAL_F = Folded(_CONCERN_RE), Folded(_DENIAL)


@dataclass(slots=True)
class _Speaker:
    name: str
    kind: str  # org | un | court | group | person
    start: int
    end: int


def _speakers(sentence: str) -> list[_Speaker]:
    found: list[_Speaker] = []
    for m in _SPEAKER_RE.finditer(sentence):
        group = m.lastgroup or ""
        rx_index = int(group[1:])
        canon = _KNOWN_SPEAKERS[rx_index][1]
        surface = m.group(0).strip()
        s = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
        if canon == "=UN":
            found.append(_Speaker(_un_name(surface), "un", s, m.end()))
        elif canon == "=COURT":
            name = re.sub(r"^(?:a|the|The)\s+", "", surface)
            if re.search(r"[Jj]udges?\b", name):
                # "a U.S. district judge" and "District Judge Brian Murphy" are one speaker, the judge.
                tail = re.search(r"[Jj]udges?((?:\s+[A-Z][a-z]+){0,2})$", name)
                name = ("Judge" + tail.group(1)) if tail and tail.group(1) else "judge"
            found.append(_Speaker(name, "court", s, m.end()))
        elif canon == "=GROUP":
            found.append(_Speaker(surface.lower() if not surface.isupper() else surface, "group", s, m.end()))
        else:
            found.append(_Speaker(canon or surface, "org", s, m.end()))
    for m in _ORG_SUFFIX.finditer(sentence):
        if _NOT_ORG.match(m.group(0)) or any(sp.start <= m.start() < sp.end for sp in found):
            continue
        found.append(_Speaker(m.group(0), "org", m.start(), m.end()))
    if not any(sp.kind in ("org", "un") for sp in found):
        for m in _PERSON_EXPERT.finditer(sentence):
            if any(sp.start <= m.start(1) < sp.end for sp in found):
                continue
            found.append(_Speaker(m.group(1), "person", m.start(1), m.end(1)))
    # "ActionAid, a charity that …", "Cristosal, a Salvadoran human rights organisation, said": the name
    # before the appositive is the speaker, not the common noun inside it.
    for m in _APPOSITIVE_ORG.finditer(sentence):
        name = m.group(1)
        if _NOT_ORG.match(name) or name in _STATE_WORDS:
            continue
        found = [sp for sp in found if not (m.start(2) <= sp.start < m.end(2))]
        found.append(_Speaker(name, "org", m.start(1), m.end(1)))
    found.sort(key=lambda sp: sp.start)
    return found


def _un_name(surface: str) -> str:
    name = re.sub(r"^(?:U\.N\.|United\s+Nations)", "UN", surface)
    name = re.sub(r"[’']s\b", "", name)
    name = re.sub(r"\s+(?:report|mission)$", "", name) if name.lower() not in ("un report", "un mission") else name
    if not name.startswith("UN"):
        name = "UN " + name
    return re.sub(r"\s+", " ", name)


def _concerns(sentence: str, masked: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    if masked:
        chars = list(sentence)
        for s, e in masked:
            chars[s:e] = " " * (e - s)
        sentence = "".join(chars)
    labels: list[tuple[str, bool]] = []
    for m in _CONCERN_F.finditer(sentence):
        label, _, substantive = _CONCERNS[int((m.lastgroup or "c0")[1:])]
        if (label, substantive) not in labels:
            labels.append((label, substantive))
    return labels


def extract_warnings(doc: Doc) -> list[RightsWarning]:
    """Who warned of what (UNHCR, Amnesty, courts, rights groups …), with denials attached."""
    if not any(m.main for m in doc.matched.values()):
        return []
    merged: dict[str, dict[str, object]] = {}
    order: list[str] = []
    last_key: str | None = None
    last_sentence = -10
    for i, (a, b) in enumerate(doc.spans):
        sentence = doc.text[a:b]
        # a denial only counts right after a warning, so only there is it looked for
        denial = _DENIAL_F.search(sentence) if last_key is not None and i - last_sentence <= 2 else None
        if denial and last_key is not None:
            entry = merged[last_key]
            if entry.get("denied_by") is None:
                entry["denied_by"] = _denier(doc, i, denial.start() + a)
                entry["denial"] = doc.evidence(i)
            continue
        if not doc.has(_SPEECH_F, i):
            continue
        # Nothing to warn of (no concern here or in a quote that carries on, no strong verb): no speaker
        # can make this sentence a warning, so the speaker scan is skipped.
        if not (doc.has(_CONCERN_F, i) or doc.has(_STRONG_SPEECH_F, i)
                or (i + 1 < len(doc.spans) and doc.sentence(i + 1)[:1] in "“\"‘")):
            continue
        speakers = _speakers(sentence)
        if not speakers:
            continue
        speakers = [sp for sp in speakers if not _OBJECT_POSITION.search(sentence[max(0, sp.start - 30) : sp.start])
                    or re.search(r"\bby\s+(?:the\s+)?$", sentence[max(0, sp.start - 12) : sp.start])]
        if not speakers:
            continue
        concerns = _concerns(sentence, [(sp.start, sp.end) for sp in speakers])
        # '"…," said X, an expert. "There is no focus on human rights."': the quote goes on after the
        # speaker's sentence, and what it warns of is in the sentences that continue it.
        j = i + 1
        while j < len(doc.spans) and j <= i + 2 and doc.sentence(j)[:1] in "“\"‘":
            concerns += [c for c in _concerns(doc.sentence(j), []) if c not in concerns]
            j += 1
        chosen = [speakers[0]]
        rest = sentence[speakers[0].end :]
        conj = _CONJOINED.match(rest)
        if conj:
            for sp in speakers[1:]:
                if sp.start <= speakers[0].end + conj.end(1):
                    chosen.append(sp)
            if len(chosen) == 1 and speakers[0].kind in ("org", "un"):
                name = conj.group(1)
                start = speakers[0].end + conj.start(1)
                chosen.append(_Speaker(name, "org", start, start + len(name)))
        strong = doc.has(_STRONG_SPEECH_F, i)
        for speaker in chosen:
            if speaker.kind == "court":
                labels = [lab for lab, substantive in concerns if substantive]
            elif speaker.kind == "person":
                labels = [lab for lab, _ in concerns]
            else:
                labels = [lab for lab, _ in concerns]
                if not labels and strong:
                    labels = ["criticism of the arrangement"]
            if not labels:
                continue
            key = _speaker_key(speaker.name)
            agreement_id = attribute(doc, i, a + speaker.start, fallback=True)
            if key not in merged:
                merged[key] = {"by": speaker.name, "concerns": list(labels), "evidence": doc.evidence(i),
                               "agreement_id": agreement_id, "denied_by": None, "denial": None}
                order.append(key)
            else:
                existing = merged[key]["concerns"]
                assert isinstance(existing, list)
                existing.extend(lab for lab in labels if lab not in existing)
                if len(speaker.name) > len(str(merged[key]["by"])) and key == "judge":
                    merged[key]["by"] = speaker.name
            last_key = key
            last_sentence = i
    out = []
    for key in order:
        entry = merged[key]
        out.append(RightsWarning(
            by=str(entry["by"]), concern="; ".join(entry["concerns"]),  # type: ignore[arg-type]
            evidence=entry["evidence"], agreement_id=entry["agreement_id"],  # type: ignore[arg-type]
            denied_by=entry["denied_by"], denial=entry["denial"],  # type: ignore[arg-type]
        ))
    return out


def _speaker_key(name: str) -> str:
    low = name.lower()
    if low.startswith("judge"):
        return "judge"
    if "unhcr" in low or "refugee agency" in low:
        return "unhcr"
    if low in ("rights groups", "human rights groups", "human rights organisations", "human rights organizations",
               "rights organisations", "rights organizations"):
        return "rights groups"
    return low


def _denier(doc: Doc, i: int, pos: int) -> str:
    """Who denies: the last state named before the denial verb in its sentence, else the sentence's first."""
    before = [h for h in doc.hits[i] if h.kind == "party" and h.start < pos]
    if before:
        return before[-1].key
    anywhere = [h for h in doc.hits[i] if h.kind == "party"]
    if anywhere:
        return anywhere[0].key
    m = re.match(r"\s*((?:The\s+)?[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,3})", doc.sentence(i))
    return m.group(1) if m else "unnamed"


__all__ = [
    "COUNTRIES",
    "Money",
    "attribute",
    "extract_payments",
    "extract_stages",
    "extract_warnings",
    "find_conflicts",
    "parse_money",
    "timeline_stage",
]

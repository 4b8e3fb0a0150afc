"""Payments under a matched agreement: amount, currency, payer, payee and status, with evidence."""

from __future__ import annotations

import re

from feeds.agreements import currency_of
from feeds.models import Payment
from feeds.understand.clauses import _NEG_AFTER, _NEGATION, _clause_before
from feeds.understand.doc import Doc, Folded, Hit
from feeds.understand.lexicon import alternation, rules
from feeds.understand.money import parse_money
from feeds.understand.refer import _DEFINITE_DEAL, attribute

_PAY_CONTEXT = re.compile(
    r"\b(?=[a-z])(?:pa(?:y|id|ys|ying|yment|yments)|fund\w*|financ\w*|aid|support|pledg\w*|promis\w*|commit\w*|"
    r"costs?|costing|spen[dt]\w*|worth|budget\w*|package|envelope|instal+ments?|tranches?|wired?|"
    r"disburs\w*|transfer\w*|ow(?:e|es|ed|ing)|debt|seek\w*|sought|demand\w*|compensat\w*|grants?|"
    r"money|deal|agreement|arrangement|partnership|pact|memorandum|accord|treaty|contract\w*|allocat\w*|earmark\w*|bill|price|receiv\w*|given|gave|offer\w*|"
    r"hand(?:s|ed|ing)|release\w*|reimburs\w*|refund\w*|claim\w*|asking|trust\s+fund|fee|fees|investment|"
    r"upfront|annually|million|billion)\b",
    re.IGNORECASE,
)
_PER_PERSON = re.compile(
    r"^\W{0,3}\s*(?:(?:\w+\s+){0,2})?(?:per|for\s+each|for\s+every|a|each)\s+(?:person|head|migrant|"
    r"deportee|asylum[\s-]seeker|individual|refugee|detainee|prisoner|inmate|man|woman|people)\b|^\s*each\b",
    re.IGNORECASE,
)
_TRANCHE = re.compile(r"\b(?:instal+ments?|tranches?|annually|a\s+year|per\s+year|each\s+year|yearly)\b", re.I)
_PAY_VERB_NEAR = re.compile(r"\b(?:pa(?:y|ys|id)|received|gave|wired|owes?|sent)\s+(?:\w+\s+){0,2}$", re.I)
_FROM = re.compile(r"\bfrom\s+(?:the\s+)?$", re.I)
# A state after "from" or "to" that says where people were moved ("sent" and "transferred" move money too)
_PEOPLE_MOVED = re.compile(r"\b(?:moved|moving|flown|flew|deported|relocated|resettled|taken|brought|returned)\s+"
                           r"(?:(?:[\w’'-]+\s+){0,3}(?:from|to|into)\s+(?:the\s+)?[\w’'-]+\s+)?"
                           r"(?:from|to|into)\s+(?:the\s+)?$", re.I)
_TO = re.compile(r"\b(?:to|for)\s+(?:the\s+)?$", re.I)
_SUBJECT_VERBS = re.compile(
    r"\b(?:pa(?:y|ys|id|ying)|pledg\w+|promis\w+|commit\w+|spen[dt]\w*|gave|give[ns]?|wired|offer\w*|"
    r"provid\w+|fund\w*|owes?|hand(?:s|ed|ing))\b", re.I)
_RECEIVE_VERBS = re.compile(r"\b(?:receiv\w+|seek\w*|sought|demand\w*|claim\w*|get|gets|got|wants?|asking|"
                            r"asked|(?:is|are|was|were|being)\s+(?:still\s+)?owed)\b", re.I)
# "Rwanda says it is still owed £50m", "… a claim London disputes": one side's demand, not an agreed debt
_OWED_CLAIM = re.compile(
    r"\b(?:says?|said|saying|claims?|claimed|claiming|insists?|insisted|insisting|argues?|argued|arguing|"
    r"maintains?|maintaining|believes?)\s+(?:that\s+)?"
    r"(?:(?:it|they|he|she|[A-Z]\w+)\s+(?:is|are|was|were)\s+(?:still\s+)?owed|[A-Z]\w+\s+(?:still\s+)?owes?)\b"
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
_NOT_AGREEMENT_MONEY = re.compile(r"\b(?:IMF|International\s+Monetary\s+Fund|World\s+Bank|bailout|bilateral\s+aid)\b")


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


# "Kigali says", "Rwanda's government said", "Accra insists": the state that reports the debt
_REPORTS = re.compile(r"(?:[’']s\s+(?:\w+\s+)?(?:government|officials?|ministry|president|spokesperson|spokes(?:wo)?man))?"
                      r"\s+(?:says?|said|insists?|insisted|claims?|claimed|argues?|argued|maintains?|maintained)\b")


def _creditor_asserts(doc: Doc, i: int, offset: int, payee: str | None) -> bool:
    """Whether the sentence's own source for a debt is the side that is owed."""
    if payee is None:
        return False
    return any(h.kind == "party" and h.key == payee and _REPORTS.match(doc.text, h.end)
               for h in doc.hits[i])


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
        if not (_DIGIT.search(sentence) or "illion" in sentence) or not _may_hold_money(sentence):
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
            if status == "owed" and _creditor_asserts(doc, i, a, payee):
                status = "claimed"  # "UK owes Rwanda £50m, Kigali says": a debt its creditor asserts
            after = sentence[e : e + 40]
            kind = "per-person" if _PER_PERSON.search(after) else "tranche" if _TRANCHE.search(
                sentence[max(0, s - 40) : e + 30]) else "total"
            key = (currency, round(money.amount, 2))
            payment = Payment(
                amount=money.amount, currency=currency, payer=payer, payee=payee, status=status,
                evidence=doc.evidence(i), agreement_id=agreement_id, kind=kind,
            )
            if key in seen:
                first = seen[key]
                if _RICHER[payment.evidence.source] > _RICHER[out[first].evidence.source]:
                    out[first] = payment  # the body retells the headline's sum, the article the summary's
                continue  # the same sum retold in another sentence
            seen[key] = len(out)
            out.append(payment)
    return out


# Which source's sentence says more, for a fact told in several: the article, then the feed text, then the
# headline.
_RICHER = {"headline": 0, "feed": 1, "article": 2}

# "a €7.4bn deal", "a £120m economic partnership" (the amount qualifies the deal; "£10m under the deal" is
# money paid or promised under it)
_DEAL_VALUE = re.compile(r"\s*(?:(?!(?:under|for|in|of|to|from|over|as|with|on|by|into|through|via|at|more|"
                         r"extra|each|a|an|the|this|that|its|their)\b)[\w-]+\s+){0,2}(?:deal|partnership|package|agreement|programme|plan|pact|"
                         r"fund|facility|envelope|memorandum|treaty)\b", re.I)


_STATUS_RE = Folded(alternation("status", "p"))
_STATUS_OF = {f"p{n}": rule.label for n, rule in enumerate(rules("status"))}
# Where the clause that holds an amount starts and ends: the verb that governs it is inside.
_CLAUSE_STOP = re.compile(r"[;:]|\s[—–]\s|\bbut\b|\bwhile\b|\bwhereas\b|\bafter\b|\bbefore\b", re.I)


_OFFERED = re.compile(r"\b(?:offer(?:s|ed|ing)?|propos(?:es|ed|ing))\b(?![^.;]*\b(?:accepted|agreed|signed)\b)", re.I)
_CHAIN = re.compile(r"\s+(?:to\s+)?(?:\w+ly\s+)?")  # "offered to pay", "proposed paying", "agreed to quickly pay"
_OTHER_OBJECT = re.compile(r"\b(?:regarding|about|concerning|answers|questions|explanations?|details|information|"
                           r"clarity|inquiry|investigation)\b", re.I)


def _status(sentence: str, s: int, e: int) -> str:
    """The status the verb governing the amount at [s, e) gives it: the nearest status construction before
    the amount in its clause, else the nearest after it; then a debt one side asserts is its claim."""
    if _DEAL_VALUE.match(sentence, e):
        # "a €7.4 billion partnership": the value of a deal, promised rather than paid; offered, it is
        # only proposed ("Brussels offers Nouakchott a €90m package")
        if _OFFERED.search(sentence, max(0, s - 45), s):
            return "proposed"
        before = sentence[max(0, s - 25) : s]
        if not re.search(r"\b(?:paid|spent|received|cost)\b", before, re.I):
            return "pledged"
    start = max(0, s - 110)
    for m in _CLAUSE_STOP.finditer(sentence, start, s):
        start = m.end()
    stop = min(len(sentence), e + 60)
    after = _CLAUSE_STOP.search(sentence, e, stop)
    if after:
        stop = after.start()
    before_hit: tuple[int, str] | None = None
    before_end = -100
    head_hit: str | None = None
    after_hit: tuple[int, str] | None = None
    for m in _STATUS_RE.finditer(sentence[start:stop]):
        ms, me = m.start() + start, m.end() + start
        status = _STATUS_OF[m.lastgroup or "p0"]
        if me <= s and _OTHER_OBJECT.search(sentence, me, s):
            continue  # "demand answers about the $6m payment": the verb governs something else
        if me <= s:
            # the last one before the amount is the nearest; one just before it heads its verb chain
            head_hit = before_hit[1] if before_hit and status == "paid" and before_hit[1] != "paid" \
                and _CHAIN.fullmatch(sentence, before_end, ms) else None
            before_hit, before_end = (s - me, status), me
        elif ms >= e and after_hit is None:
            after_hit = (ms - e, status)
    status = before_hit[1] if before_hit else after_hit[1] if after_hit else "paid"
    if before_hit and head_hit and status == "paid":
        status = head_hit  # "proposed paying £12m", "offered to pay": the head of the verb chain decides
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
        if _PEOPLE_MOVED.search(sentence, max(0, hs - 70), hs):
            continue  # "refugees moved from Nauru to Phnom Penh under the A$55m deal": where people went
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

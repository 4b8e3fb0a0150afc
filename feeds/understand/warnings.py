"""Rights warnings: who warned of what, and who denied it — an attribution grammar over news English.

A warning is a speaker, a reporting or stance verb that ties them to what is said, and what is warned of
(a concern), across sentence and quote boundaries:

- the speaker is an organisation, a UN body, a court or judge, a person introduced by a role
  ("X, the executive director of Y, said …", "Greens senator X said …"), or an unnamed group as written
  ("critics", "rights groups", "lawyers"); a pronoun ("she added") is the speaker last introduced;
- the verb follows the speaker (with an appositive between), comes before it ("said X", "according to
  X"), or the quote is attributed in the sentence after it ('"…," she added.') or before a colon;
- the concern is in the sentence, or in the quote that carries on after it;
- a stance verb (warned, condemned, criticised, expressed caution) is a warning without a concern term;
- a harm the story reports in its own voice, with nobody named ("migrants pushed out at gunpoint"), is a
  warning with no speaker (`by` is "", null in JSON).

The words are data: rules/speakers.toml, rules/verbs.toml, rules/concerns.toml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache

from feeds.agreements import COUNTRIES
from feeds.models import Evidence, RightsWarning
from feeds.understand.doc import Doc, Folded
from feeds.understand.lexicon import Rule, alternation, first_guard, rules, tables
from feeds.understand.refer import attribute


@dataclass(frozen=True, slots=True)
class _Grammar:
    """The compiled attribution tables (built once per process)."""

    speakers: re.Pattern[str]  # the case-sensitive speaker rules
    groups: Folded  # the others (unnamed groups), read in lower case
    speaker_rules: tuple[Rule, ...]
    verbs: Folded
    verb_labels: tuple[str, ...]
    stance: Folded
    concerns: Folded
    concern_rules: tuple[Rule, ...]
    denial: Folded
    appositive_person: re.Pattern[str]
    role_person: re.Pattern[str]


_NAME = r"[A-Z][\w’'-]+(?:\s+(?:[A-Z]\.\s+)?(?:van\s+|de\s+|von\s+|der\s+)?[A-Z][\w’'-]+){1,3}"


@cache
def grammar() -> _Grammar:
    speaker_rules = rules("speakers")
    # Names are read case-sensitively; the common nouns of unnamed groups in lower case, which `re` runs
    # several times faster than a case-insensitive alternation.
    speakers = re.compile(r"\b(?=[A-Za-zÉé])(?:" + "|".join(
        f"{first_guard(r.pattern, False)}(?P<k{n}>{r.pattern})" for n, r in enumerate(speaker_rules)
        if r.case_sensitive) + ")")
    groups = Folded(re.compile(r"\b(?=[a-z])(?:" + "|".join(
        f"{first_guard(r.pattern)}(?P<k{n}>{r.pattern})" for n, r in enumerate(speaker_rules)
        if not r.case_sensitive) + r")\b",
        re.IGNORECASE))
    verb_rules = [r for r in rules("verbs") if r.label != "denial"]
    verbs = re.compile(
        r"\b(?=[a-z])(?:" + "|".join(f"{first_guard(r.pattern)}(?P<v{n}>{r.pattern})" for n, r in enumerate(verb_rules))
        + r")\b",
        re.IGNORECASE,
    )
    stance = re.compile(
        r"\b(?=[a-z])(?:" + "|".join(r.pattern for r in verb_rules if r.label == "stance") + r")\b", re.IGNORECASE
    )
    denial = re.compile(
        r"\b(?=[a-z])(?:" + "|".join(r.pattern for r in rules("verbs") if r.label == "denial") + ")", re.IGNORECASE
    )
    roles = tables("speakers")["person"]["roles"]
    return _Grammar(
        speakers=speakers,
        groups=groups,
        speaker_rules=speaker_rules,
        verbs=Folded(verbs),
        verb_labels=tuple(r.label for r in verb_rules),
        stance=Folded(stance),
        concerns=Folded(alternation("concerns", "c")),
        concern_rules=rules("concerns"),
        denial=Folded(denial),
        # "Maya Ortiz, the executive director of the Refugee Law Project, said …"
        # "Tirana Ode, who takes over as the group's director, …", "Sam Lee, who represents the men, …"
        appositive_person=re.compile(
            rf"(?P<name>{_NAME}),\s+(?:(?:who\s+(?:is|was|has\s+been|serves\s+as|works\s+as|takes\s+over\s+as|"
            rf"took\s+over\s+as|became)\s+|now\s+)?(?:the\s+|a\s+|an\s+)?"
            rf"(?P<desc>(?:[\w’'.-]+\s+){{0,6}}?{roles}\b[^,;:“\"]{{0,120}})"
            rf"|who\s+(?P<acts>(?:represents|represented|heads|headed|leads|led|runs|directs|chairs|co-?founded|founded|"
            rf"advises|works\s+(?:for|with|at))\b[^,;:“\"]{{0,120}}))"
        ),
        # "Greens senator Nick Alder said …", "lawyer Dana Obi told …"
        # (the lookahead lets `re` try the roles only where a word is followed by a capitalised one)
        role_person=re.compile(rf"\b(?=[\w-]+\s+[A-Z])(?i:{roles})s?\s+(?P<name>{_NAME})"),
    )


_ORG_WORDS = tables("speakers")["org"]
_ORG_SUFFIX = re.compile(
    r"\b(?:[A-Z][\w’'-]+\s+(?:for\s+|of\s+|on\s+|and\s+)?){1,4}(?:"
    + "|".join(map(re.escape, _ORG_WORDS["heads"])) + r")\b"
)
_NOT_ORG = re.compile(r"^(?:" + "|".join(r"\s+".join(map(re.escape, h.split())) for h in _ORG_WORDS["not_heads"])
                      + r")\b")
_APPOSITIVE_ORG = re.compile(
    r"\b([A-Z][\w’'&-]+(?:\s+[A-Z][\w’'&-]+){0,3}),\s+(an?\s+(?:[\w-]+\s+){0,4}?(?:charity|NGO|"
    r"non-governmental\s+organi[sz]ation|(?:rights|advocacy|campaign|aid|humanitarian|legal|watchdog)\s+"
    r"(?:group|organi[sz]ation|charity|body)|organi[sz]ation|watchdog|monitor|think\s+tank|rights\s+group))\b"
)
_STATE_WORDS = frozenset(form for forms, _ in COUNTRIES.values() for form in forms) | frozenset(COUNTRIES)
_CONJOINED = re.compile(r"^(?:\s*\([A-Z]{2,}\))?\s*(?:and|,)\s+([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,3})")
# A speaker in object position is spoken about, not speaking ("criticised Amnesty", "a letter to UNHCR").
_OBJECT_POSITION = re.compile(
    r"\b(?:accus\w+|critici[sz]\w+|blam\w+|attack\w+|dismiss\w+|reject\w+|in|to|before|at|into|"
    r"through|against|for|(?<!\bjustices\s)(?<!\bjudges\s)(?<!\bgroup\s)(?<!\bpanel\s)(?<!\bmembers\s)"
    r"(?<!\bteam\s)(?<!\bexperts\s)(?<!\bcoalition\s)(?<!\bhead\s)(?<!\bchief\s)(?<!\bdirector\s)"
    r"(?<!\bspokesperson\s)(?<!\bspokesman\s)(?<!\bspokeswoman\s)(?<!\bleader\s)(?<!\bchair\s)"
    r"(?<!\bpresident\s)(?<!\bmember\s)(?<!\bcommissioner\s)(?<!\brepresentatives\s)of|sued|suing|told|asked)\s+(?:the\s+|a\s+)?(?:\w+\s+)?$",
    re.IGNORECASE,
)
# Between a speaker and its verb: an appositive, a parenthesis, a time, an auxiliary ("has also", "on Monday").
_SUBJECT_GAP = re.compile(
    r"(?:[’']s(?:\s+[\w-]+){1,4}?)?(?:\s+(?:chief|head|director|spokes\w+|envoy|official)s?)?"
    r"(?:\s+[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,2})?"
    r"(?:\s*\([^()]{0,60}\))?(?:\s+(?:for|of|representing|at|from|in|with|on\s+behalf\s+of)\s+[^,;:.“”\"]{1,80}?)?"
    r"(?:\s*,[^;:“”\"]{0,180}?,)?(?:,?\s+and\s+[A-Z][\w’'.-]+(?:\s+[A-Z][\w’'.-]+){0,3})?,?\s*(?:(?:has|have|had|also|have\s+also|has\s+also|"
    r"previously|repeatedly|recently|now|today|further|again|then|later|still|jointly|separately|"
    r"on\s+\w+|last\s+\w+|this\s+\w+|in\s+\w+|\w+ly|which|who|that|"
    r"would|will|could|may|did|does|do|is|are|was|were|been|being|not|jointly|themselves|itself|"
    r"in\s+a\s+\w+(?:\s+\w+)?)\s+){0,4}[‘“\"']?$",
    re.IGNORECASE,
)
_VERB_BEFORE = re.compile(
    r"(?:\b(?:said|says|say|added|adds|wrote|writes|told|warned|warns|argued|argues|noted|notes|remarked|according\s+to|"
    r"by|from|stated)\s+(?:the\s+|a\s+|an\s+)?(?:\w+\s+){0,2})$",
    re.IGNORECASE,
)
# "a suit was filed in the district court by X": the agent of a passive may stand further from its verb
_BY_AGENT = re.compile(r"\bby\s+(?:the\s+)?$", re.IGNORECASE)
_PRONOUN = re.compile(r"(?:^|[,;“”\"]\s*|\band\s+)(?P<p>[Hh]e|[Ss]he|[Tt]hey|[Ii]t|[Tt]he\s+(?:group|organi[sz]ation|"
                      r"agency|body))\s+(?:\w+\s+){0,2}?$")
_QUOTE_OPEN = "“\"‘"
# '“…,” said Jo Ode.', '“…,” Ode added.': whoever a closing quote is attributed to by name is a person
# (a name introduced earlier in the full story, or one that needs no introduction).
_QUOTE_NAME = re.compile(
    rf"[”\"],?\s+(?:(?:said|says|added|adds|remarked|wrote|writes|told\s+\w+)\s+(?P<after>{_NAME}|[A-Z][\w’'-]{{2,}})"
    rf"(?=\s*[.,]|$)|(?P<before>{_NAME}|[A-Z][\w’'-]{{2,}})\s+(?:said|says|added|adds|remarked|wrote|writes|told)\b)")
# capitalised words after a quote that are not a person's name
_NOT_A_NAME = frozenset({"The", "This", "That", "These", "Those", "It", "He", "She", "They", "We", "Officials",
                         "Police", "Authorities", "Ministers", "Reuters", "AFP", "AP", "Mr", "Mrs", "Ms", "Dr"})
# A harm the story states in its own voice: enough for an unattributed warning when nobody is named.
_OWN_VOICE_HARMS = frozenset({"torture and abuse", "detention conditions", "refoulement"})


@dataclass(frozen=True, slots=True)
class _Speaker:
    name: str
    kind: str  # org | un | court | group | person
    start: int
    end: int
    persona: bool = field(default=False)  # a person; pronouns refer back to them


def _speakers(sentence: str) -> list[_Speaker]:
    """Every speaker a sentence names, in order (a fresh list; the reading itself is cached)."""
    return list(_read_speakers(sentence))


@lru_cache(maxsize=256)  # a sentence is read again for the one after it (quotes, pronouns); cleared per story
def _read_speakers(sentence: str) -> tuple[_Speaker, ...]:
    g = grammar()
    found: list[_Speaker] = []

    def free(a: int, b: int) -> bool:
        return not any(sp.start < b and a < sp.end for sp in found)

    for m in g.appositive_person.finditer(sentence):
        name, desc = m.group("name"), m.group("desc") or m.group("acts")
        if name in _STATE_WORDS or _NOT_ORG.match(name) or g.speakers.fullmatch(name):
            continue
        org = _org_in(desc)
        found.append(_Speaker(org or name, "person", m.start("name"), m.end(), persona=True))
    for m in g.role_person.finditer(sentence):
        if re.match(r"(?i:judge|justice)", m.group(0)):
            continue  # "Judge X", "Justice X": the court's speakers, below
        if free(m.start("name"), m.end("name")) and m.group("name") not in _STATE_WORDS:
            found.append(_Speaker(m.group("name"), "person", m.start(), m.end("name"), persona=True))
    if "”" in sentence or '"' in sentence:
        for m in _QUOTE_NAME.finditer(sentence):
            name = m.group("after") or m.group("before")
            start = m.start("after") if m.group("after") else m.start("before")
            if name.split()[0] in _NOT_A_NAME or name in _STATE_WORDS or _NOT_ORG.match(name) \
                    or g.speakers.fullmatch(name) or not free(start, start + len(name)):
                continue
            found.append(_Speaker(name, "person", start, start + len(name), persona=True))
    named = [(m.start(), m.end(), m.lastgroup) for m in g.speakers.finditer(sentence)]
    named += [(m.start(), m.end(), m.lastgroup) for m in g.groups.finditer(sentence)]
    named.sort(key=lambda t: (t[0], -t[1]))  # leftmost, then longest, as one alternation would read them
    for start, end, group in named:
        if not free(start, end):
            continue
        rule = g.speaker_rules[int((group or "k0")[1:])]
        surface = sentence[start:end].strip()
        kind = str(rule.extra.get("kind", "org"))
        canon = str(rule.extra.get("canon", ""))
        if kind == "un":
            found.append(_Speaker(_un_name(surface), "un", start, end))
        elif kind == "court":
            name = _court_name(surface)
            # "Judge Ortiz" is someone "she" may refer back to; "the court" is not
            found.append(_Speaker(name, "court", start, end, persona=bool(re.search(r"\s[A-Z]", name))))
        elif kind == "group":
            name = re.sub(r"^(?:a|an|the)\s+", "", surface if surface.isupper() else surface.lower())
            if rule.extra.get("head"):
                name = name.split()[-1]  # "their lawyer", "a lawyer for the men": the lawyer
            name = canon or name
            found.append(_Speaker(name, "group", start, end))
        else:
            found.append(_Speaker(_canon_org(surface) if canon == "=as-listed" else canon or surface, "org",
                                  start, end))
    for m in _ORG_SUFFIX.finditer(sentence):
        if _NOT_ORG.match(m.group(0)) or not free(m.start(), m.end()):
            continue
        found.append(_Speaker(m.group(0), "org", m.start(), m.end()))
    # "Cristosal, a Salvadoran human rights organisation, said": the name before the appositive speaks.
    for m in _APPOSITIVE_ORG.finditer(sentence):
        name = m.group(1)
        if _NOT_ORG.match(name) or name in _STATE_WORDS:
            continue
        found = [sp for sp in found if not (m.start(2) <= sp.start < m.end(2))]
        if free(m.start(1), m.end(1)):
            found.append(_Speaker(name, "org", m.start(1), m.end(1)))
    found.sort(key=lambda sp: sp.start)
    return tuple(found)


_CANON_ORGS = (
    (re.compile(r"Amnesty"), "Amnesty International"), (re.compile(r"Human\s+Rights\s+Watch|HRW"), "Human Rights Watch"),
    (re.compile(r"Council\s+of\s+Europe"), "Council of Europe"),
    (re.compile(r"European\s+Court\s+of\s+Human\s+Rights|ECtHR|Strasbourg"), "European Court of Human Rights"),
    (re.compile(r"European\s+Parliament|MEPs"), "European Parliament"),
    (re.compile(r"OHCHR|T[üu]rk|High\s+Commissioner\s+for\s+Human\s+Rights"), "UN human rights office"),
    (re.compile(r"International\s+Organi[sz]ation\s+for\s+Migration|IOM|[Mm]igration\s+[Aa]gency"), "IOM"),
    (re.compile(r"M[ée]decins|Doctors\s+Without|MSF"), "Médecins Sans Frontières"),
    (re.compile(r"Red\s+Cross|ICRC"), "Red Cross"), (re.compile(r"Civil\s+Liberties|ACLU"), "ACLU"),
)


def _canon_org(surface: str) -> str:
    for rx, canon in _CANON_ORGS:
        if rx.search(surface):
            return canon
    return surface


def _org_in(desc: str) -> str | None:
    """The organisation named in a person's appositive, when it is one the ledger knows by name
    ("a researcher at Amnesty International" speaks for Amnesty)."""
    g = grammar()
    for m in g.speakers.finditer(desc):
        rule = g.speaker_rules[int((m.lastgroup or "k0")[1:])]
        if rule.extra.get("kind") == "org" and rule.extra.get("canon"):
            canon = str(rule.extra["canon"])
            return _canon_org(m.group(0)) if canon == "=as-listed" else canon
        if rule.extra.get("kind") == "un":
            return _un_name(m.group(0).strip())
    return None


_JUDGMENT = re.compile(r"(?:ruling|judg(?:e)?ment|verdict|opinion|decision)$")


def _court_name(surface: str) -> str:
    name = re.sub(r"^(?:a|the|The)\s+", "", surface)
    name = re.sub(r"^(?:[Tt]hree|[Ff]ive|[Ss]even|[Nn]ine)-judge\s+", "", name)
    name = re.sub(r"^Justices(?=\s+[A-Z]\w+\s+[A-Z]\w+(?:,|$))", "Justice", name)
    if _JUDGMENT.search(name):
        return "court"  # "the ruling said …", "the court's judgment found …": the court speaks
    if re.match(r"[Jj]udges?\b", name):
        # "a U.S. district judge" and "District Judge Brian Murphy" are one speaker, the judge.
        tail = re.search(r"[Jj]udges?((?:\s+[A-Z][\w.’'-]*){0,3})$", name)
        return ("Judge" + tail.group(1)) if tail and tail.group(1) else "judge"
    return name


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
    g = grammar()
    labels: list[tuple[str, bool]] = []
    for m in g.concerns.finditer(sentence):
        rule = g.concern_rules[int((m.lastgroup or "c0")[1:])]
        item = (rule.label, bool(rule.extra.get("substantive", False)))
        if item not in labels:
            labels.append(item)
    return labels


def _linked(sentence: str, speakers: list[_Speaker]) -> _Speaker | None:
    found = _link(sentence, speakers)
    return found[0] if found else None


def _link(sentence: str, speakers: list[_Speaker]) -> tuple[_Speaker, bool] | None:
    """The speaker a reporting or stance verb ties to the sentence: its subject (with an appositive or an
    auxiliary between), or the speaker right after the verb ("said X", "according to X", "by X")."""
    g = grammar()
    verbs = list(g.verbs.finditer(sentence))
    if not verbs:
        return None
    for sp in speakers:
        if _OBJECT_POSITION.search(sentence[max(0, sp.start - 30) : sp.start]) \
                and not re.search(r"(?i:\b(?:by|from|according\s+to)\s+(?:the\s+)?)$", sentence[max(0, sp.start - 18) : sp.start]):
            continue
        for v in verbs:
            if v.start() >= sp.end and _SUBJECT_GAP.match(_unquoted(sentence[sp.end : v.start()])):
                passive = re.search(r"\bby\s+(?:the\s+|a\s+)?(?:\w+\s+)?$", sentence[max(0, sp.start - 16) : sp.start])
                return sp, passive is None
            # "A judge blocked the flight, finding …": a participle after the clause is its subject's
            if v.start() > sp.end and sp is speakers[0] and sp.start < 40 and v.group(0).lower().endswith("ing") \
                    and sentence[v.start() - 2 : v.start()] == ", ":
                return sp, True
            if v.end() <= sp.start and _VERB_BEFORE.search(sentence[max(0, v.start() - 2) : sp.start]) \
                    and (sp.start - v.end() < 25 or (sp.start - v.end() < 70
                         and _BY_AGENT.search(sentence, max(0, sp.start - 12), sp.start))):
                return sp, False
    return None


_COLON_TAIL = re.compile(r",?(?:\s*,[^,:;“”\"]{1,100},)?(?:\s+[\w’'-]+){0,5}?\s*:")


def _colon_speaker(sentence: str, speakers: list[_Speaker]) -> _Speaker | None:
    """The speaker a colon gives the words after it: "Amnesty: deportees face torture", "Lorna Dee, the
    commissioner, was blunt:" (the speaker leads, and at most a few words stand before the colon)."""
    for sp in speakers[:1]:
        if sp.start < 40 and _COLON_TAIL.match(sentence, sp.end):
            return sp
    return None


def _unquoted(gap: str) -> str:
    """A gap without its quote marks ("bodies ‘gravely concerned’": the quote is the headline's, not a clause)
    and footnote marks ("UN experts* said")."""
    for mark in "‘“”\"*†":
        if mark in gap:
            gap = gap.replace(mark, "")
    return gap


def _pronoun_at(sentence: str) -> int:
    """Where a pronoun that is a verb's subject stands (the sentence's length when there is none)."""
    g = grammar()
    for v in g.verbs.finditer(sentence):
        base = max(0, v.start() - 40)
        m = _PRONOUN.search(sentence[base : v.start()])
        if m:
            return base + m.start("p")
    return len(sentence)


def _pronoun_subject(sentence: str) -> str | None:
    """'she added', '"…," he said', 'They argue …': the pronoun that is a verb's subject, if any."""
    g = grammar()
    for v in g.verbs.finditer(sentence):
        m = _PRONOUN.search(sentence[max(0, v.start() - 40) : v.start()])
        if m:
            p = m.group("p").lower()
            return "the body" if p.startswith("the") else p
    return None


@dataclass(slots=True)
class _Entry:
    by: str
    concerns: list[str]
    evidence: Evidence
    agreement_id: str | None
    denied_by: str | None = None
    denial: Evidence | None = None
    kind: str = "org"
    sentence: int = 0


def extract_warnings(doc: Doc) -> list[RightsWarning]:
    """Who warned of what (UNHCR, Amnesty, courts, judges, lawyers, critics …), with denials attached."""
    if not any(m.main for m in doc.matched.values()):
        return []
    g = grammar()
    _read_speakers.cache_clear()  # the cache serves one story (so a benchmark's repeated sentences gain nothing)
    merged: dict[str, _Entry] = {}
    last_key: str | None = None
    last_sentence = -10
    last_person: tuple[_Speaker, int] | None = None  # whom "she" or "he" refers to
    last_party: tuple[_Speaker, int] | None = None  # whom "they" or "it" refers to
    last_body: tuple[_Speaker, int] | None = None  # which organisation "the group" or "the agency" is
    surnames: dict[str, _Speaker] = {}  # people already introduced, by the surname a second reference uses
    scanned = 0  # sentences before this one have been read for the people they introduce
    n = len(doc.spans)
    for i in range(n):
        a, _ = doc.spans[i]
        sentence = doc.sentence(i)
        # a denial only counts right after a warning, so only there is it looked for
        denial = g.denial.search(sentence) if last_key is not None and i - last_sentence <= 2 else None
        if denial and last_key is not None:
            entry = merged[last_key]
            if entry.denied_by is None:
                entry.denied_by = _denier(doc, i, denial.start() + a)
                entry.denial = doc.evidence(i)
            continue
        stance = doc.has(g.stance, i)  # refined below, once the speakers' own words are masked
        quote_after = i + 1 < n and doc.sentence(i + 1)[:1] in _QUOTE_OPEN
        # Nothing to warn of here (no concern, no stance verb, no quote that carries on): the speakers still
        # matter to the pronouns of the sentences after, so people introduced are remembered.
        # A concern counts only where a verb, a quote or a colon can tie it to a speaker: the verb test is
        # the cheaper one, so it goes first.
        quoted = sentence[:1] in _QUOTE_OPEN
        worth = stance or quote_after or quoted or sentence.rstrip().endswith(":") \
            or ((":" in sentence or doc.has(g.verbs, i)) and doc.has(g.concerns, i))
        if not worth:
            # No warning here; a person it introduces ("X, a lawyer for the men, visited …") is looked for
            # only when a later sentence says "she" or names them again (see _introduced).
            continue
        introduced = _introduced(doc, range(scanned, i))
        scanned = i + 1
        if introduced:
            last_person = introduced[-1]
            for sp, _ in introduced:
                _remember_surname(sp, surnames)
        speakers = _speakers(sentence)
        # "It said the men were denied lawyers": a pronoun refers back past the speakers named after it
        cut = _pronoun_at(sentence) if speakers else 0
        named_before = next((k for k, sp in enumerate(speakers) if sp.start >= cut), len(speakers))
        last_person, last_party, last_body = _referents(speakers[:named_before], i, last_person, last_party, last_body)
        for sp in speakers:
            if sp.persona:
                _remember_surname(sp, surnames)
        if stance and speakers:
            stance = g.stance.search(_masked(sentence, speakers)) is not None
        speakers += _second_references(sentence, speakers, surnames)
        link = _link(sentence, speakers)
        speaker, active = link if link else (None, False)
        if speaker is None and ":" in sentence:
            speaker = _colon_speaker(sentence, speakers)
        if speaker is None:
            speaker = _speaker_elsewhere(doc, i, sentence, last_person, last_party, last_body)
        last_person, last_party, last_body = _referents(
            (sp for sp in speakers if sp.start >= cut), i, last_person, last_party, last_body)
        if speaker is None or g.denial.search(sentence):
            continue  # '“The claims of torture are lies,” the minister said': a denial warns of nothing
        concerns = _concerns(sentence, [(speaker.start, speaker.end)] if speaker in speakers else [])
        # '"…," said X, an expert. "There is no focus on human rights."': the quote goes on after the
        # speaker's sentence; "X said:" puts the quote in the next paragraph.
        j = i + 1
        while j < n and j <= i + 2 and (doc.sentence(j)[:1] in _QUOTE_OPEN or (j == i + 1 and sentence.rstrip().endswith(":"))):
            concerns += [c for c in _concerns(doc.sentence(j), []) if c not in concerns]
            j += 1
        chosen = [speaker]
        conj = _CONJOINED.match(sentence[speaker.end :])
        if conj:
            for sp in speakers:
                if speaker.end < sp.start <= speaker.end + conj.end(1):
                    chosen.append(sp)
        for sp in chosen:
            labels = _labels(sp, concerns, stance, active and sp is speaker)
            if not labels:
                continue
            key = _speaker_key(sp.name)
            # "Human rights groups voiced concerns … Critics argue …": a bare "critics" right after a warning
            # by a group or organisation is that speaker again, not a second one.
            if key in _ANAPHORIC_GROUPS and last_key is not None and last_key not in _ANAPHORIC_GROUPS \
                    and i - last_sentence <= 2 and key not in merged:
                key = last_key
            elif sp.kind == "group" and key not in merged:
                # "the experts said" after "UN human rights experts said": the head of a speaker named before
                earlier = [k for k in merged if k != key and k.endswith(" " + key)]
                if earlier:
                    key = earlier[-1]
            if key not in merged:
                merged[key] = _Entry(sp.name, list(labels), doc.evidence(i),
                                     attribute(doc, i, a + sp.start, fallback=True), kind=sp.kind, sentence=i)
            else:
                entry = merged[key]
                entry.concerns.extend(lab for lab in labels if lab not in entry.concerns)
                if _RICHER[doc.sources[i]] > _RICHER[entry.evidence.source]:
                    entry.evidence = doc.evidence(i)  # the body's sentence says more than the headline
                if len(sp.name) > len(entry.by) and key == "judge":
                    entry.by = sp.name
            last_key = key
            last_sentence = i
    _merge_generic(merged)
    if not merged:
        own = _own_voice_harm(doc)
        if own is not None:
            merged[""] = own
    return [RightsWarning(by=e.by, concern="; ".join(_specific(e.concerns)), evidence=e.evidence, agreement_id=e.agreement_id,
                          denied_by=e.denied_by, denial=e.denial) for e in merged.values()]


# Generic descriptions that refer back to the speaker named just before ("the rights watchdog" after
# Human Rights Watch, "critics" after the rights groups).
_RICHER = {"headline": 0, "feed": 1, "article": 2}  # whose sentence says more, for a warning told twice
_ANAPHORIC_GROUPS = frozenset({"critics", "opponents", "detractors", "sceptics", "skeptics", "rights watchdog",
                               "human rights watchdog"})


# One organisation described, not named ("Rights group condemns …" over a story that names Amnesty): the
# named speaker of the story, if there is one. Plurals ("rights groups") are speakers of their own.
_GENERIC_ONE = frozenset({
    "rights group", "human rights group", "rights organisation", "rights organization", "human rights organisation",
    "human rights organization", "rights watchdog", "human rights watchdog", "watchdog", "charity", "ngo",
    "aid group", "aid agency", "aid organisation", "aid organization", "campaign group", "advocacy group",
    "refugee charity", "humanitarian group", "humanitarian organisation", "humanitarian organization",
    "legal charity", "un agency",
})
_GENERIC = "criticism of the arrangement"  # a stance verb with no harm named


def _merge_generic(merged: dict[str, _Entry]) -> None:
    """Fold a warning by a described speaker ("a rights group", "the UN agency", "the charity") into the
    warning of the organisation the story names, the nearest in the text (the headline's into the body's)."""
    for key in [k for k in merged if k in _GENERIC_ONE]:
        entry = merged[key]
        un = key.startswith("un ")
        pool = [e for k, e in merged.items() if k not in _GENERIC_ONE
                and (e.kind == "un" or k in ("unhcr", "iom") if un else e.kind == "org" and k not in ("unhcr", "iom"))]
        if not pool:
            continue
        target = min(pool, key=lambda e: (abs(e.sentence - entry.sentence), e.sentence < entry.sentence))
        target.concerns.extend(c for c in entry.concerns if c not in target.concerns)
        if target.denied_by is None and entry.denied_by is not None:
            target.denied_by, target.denial = entry.denied_by, entry.denial
        del merged[key]


def _specific(concerns: list[str]) -> list[str]:
    """The harms a warning names; the generic stance only when it names none."""
    named = [c for c in concerns if c != _GENERIC]
    return named or concerns


def _introduced(doc: Doc, sentences: range) -> list[tuple[_Speaker, int]]:
    """The people introduced in sentences that held no warning, for the pronouns and surnames of the
    sentences after them (the cheap person patterns first: most sentences introduce nobody)."""
    g = grammar()
    out: list[tuple[_Speaker, int]] = []
    for j in sentences[-12:]:
        sentence = doc.sentence(j)
        if g.appositive_person.search(sentence) or g.role_person.search(sentence):
            out += [(sp, j) for sp in _speakers(sentence) if sp.persona]
    return out


def _remember_surname(person: _Speaker, surnames: dict[str, _Speaker]) -> None:
    surname = person.name.split()[-1]
    if surname[:1].isupper() and len(surname) > 2 and person.kind in ("person", "court"):
        surnames[surname] = person


def _masked(sentence: str, speakers: list[_Speaker]) -> str:
    chars = list(sentence)
    for sp in speakers:
        chars[sp.start : sp.end] = " " * (sp.end - sp.start)
    return "".join(chars)


def _second_references(sentence: str, speakers: list[_Speaker], surnames: dict[str, _Speaker]) -> list[_Speaker]:
    """People named again by surname alone ("Ortiz said …", "Ortiz's ruling warns …")."""
    out: list[_Speaker] = []
    for surname, person in surnames.items():
        for m in re.finditer(rf"\b{re.escape(surname)}\b(?:[’']s)?", sentence):
            if not any(sp.start <= m.start() < sp.end for sp in speakers):
                out.append(_Speaker(person.name, person.kind, m.start(), m.end(), persona=True))
    return sorted(out, key=lambda sp: sp.start)


def _labels(speaker: _Speaker, concerns: list[tuple[str, bool]], stance: bool, active: bool) -> list[str]:
    if speaker.kind == "court" and not active:
        # "deemed unlawful by the Supreme Court": a ruling retold, which the stage reads; a court warns
        # when it is the subject of the story's verb ("the court found …") or names a harm
        return [lab for lab, substantive in concerns if substantive]
    labels = [lab for lab, _ in concerns]
    if not labels and stance:
        labels = [_GENERIC]
    return labels


_Referent = tuple[_Speaker, int] | None


def _referents(speakers: Iterable[_Speaker], i: int, person: _Referent, party: _Referent, body: _Referent
               ) -> tuple[_Referent, _Referent, _Referent]:
    """Whom a later "she"/"he", "they"/"it" and "the group" refer to, once sentence `i`'s speakers are read."""
    for sp in speakers:
        if sp.persona:
            person = (sp, i)
        if sp.kind in ("org", "un", "court", "group"):
            party = (sp, i)
        if sp.kind in ("org", "un"):
            body = (sp, i)
    return person, party, body


def _speaker_elsewhere(doc: Doc, i: int, sentence: str, last_person: tuple[_Speaker, int] | None,
                       last_party: tuple[_Speaker, int] | None,
                       last_body: tuple[_Speaker, int] | None = None) -> _Speaker | None:
    """A speaker the sentence refers to without naming: a pronoun subject ("she added"), a quote
    attributed in the sentence after it, or a quote after "X said:"."""
    pronoun = _pronoun_subject(sentence)
    if pronoun in ("he", "she") and last_person and i - last_person[1] <= 4:
        return last_person[0]
    if pronoun in ("they", "it") and last_party and i - last_party[1] <= 3:
        return last_party[0]
    if pronoun == "the body" and last_body and i - last_body[1] <= 3:
        return last_body[0]  # "The group warned …", "the agency said": the organisation named before
    if sentence[:1] in _QUOTE_OPEN:
        if i > 0 and doc.sentence(i - 1).rstrip().endswith(":"):
            prev = doc.sentence(i - 1)
            found = _linked(prev, _speakers(prev)) or _colon_speaker(prev, _speakers(prev))
            if found:
                return found
        if i + 1 < len(doc.spans):
            nxt = doc.sentence(i + 1)
            if len(nxt) < 160:
                found = _linked(nxt, _speakers(nxt))
                if found:
                    return found
    return None


def _own_voice_harm(doc: Doc) -> _Entry | None:
    """A harm the story reports itself, naming no speaker (the headline first): a warning by nobody named."""
    # In a long story the reporter's own account of harm is background; in a headline and a feed item's
    # sentence or two it is what the item reports.
    body = [k for k in range(len(doc.spans)) if not doc.is_headline(k)]
    heads = [k for k in range(len(doc.spans)) if doc.is_headline(k)]
    for i in heads + (body[:2] if len(body) <= 3 else []):
        sentence = doc.sentence(i)
        if not (doc.hits[i] or doc.cue[i]):
            continue
        labels = [lab for lab, _ in _concerns(sentence, []) if lab in _OWN_VOICE_HARMS]
        if labels:
            a, _ = doc.spans[i]
            return _Entry("", labels, doc.evidence(i), attribute(doc, i, a, fallback=True))
    return None


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

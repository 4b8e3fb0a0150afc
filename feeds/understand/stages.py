"""Stage events: the stage cue phrases of news English, read with negation, modality, tense and the
story's dates; each agreement's current stage is the latest event in time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from feeds.models import STAGES, Payment, StageEvent
from feeds.understand.clauses import (
    _BACKGROUND,
    _MODAL,
    _MODAL_STRICT,
    _NEG_AFTER,
    _NEGATION,
    _clause_before,
    _demanded,
)
from feeds.understand.doc import Doc, lowered
from feeds.understand.lexicon import alternation, rules
from feeds.understand.refer import _DEFINITE_DEAL, attribute

_STAGE_RANK = {stage: n for n, stage in enumerate(
    ("exploratory", "negotiating", "signed", "implementing", "legally-challenged", "suspended",
     "struck-down", "cancelled")
)}
_GROUPS = {f"s{n}": rule.label for n, rule in enumerate(rules("stages"))}
# Every cue starts a word: the leading \b(?=[a-z]) lets `re` skip the other positions at once.
_STAGE_RE = alternation("stages", "s")
_STAGE_LOW = lowered(_STAGE_RE)
_DEFINITE_DEAL_F = lowered(_DEFINITE_DEAL)  # run over the lower-cased text, as the stage cues are
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
    if _demanded(sentence, start):
        return None, False  # "called for the deal to be scrapped": a demand, not a stage change
    if stage == "exploratory" and sentence[start:end].lower().startswith(("proposal", "plan")) \
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


# "in July" with no year, "last year": dated from the story's own date (a past month is this year's when it
# is not later than the story's month, else last year's: "scrapped the deal in July" in May 2025 is July 2024)
_MONTH_ONLY = re.compile(r"\b(?:in|since|by|until|from|on|early|late|mid-?|last)\s+(?P<month>January|February|March|"
                         r"April|May|June|July|August|September|October|November|December)\b"
                         r"(?!\s+(?:\d{1,2},?\s+)?(?:19|20)\d\d)")
_RELATIVE_YEAR = re.compile(r"\b(?P<rel>last|this|previous)\s+year\b|\ba\s+year\s+(?P<ago>ago|earlier)\b",
                            re.IGNORECASE)


def _dates_in(sentence: str, published: datetime | None) -> list[tuple[int, int, str]]:
    """(start, end, date) of every date the sentence gives: "July 2024", "2023", and, with the story's
    date, "in July" and "last year"."""
    found = [(m.start(), m.end(), _date_value(m)) for m in _YEAR.finditer(sentence)]
    if published is not None:
        for m in _MONTH_ONLY.finditer(sentence):
            month = _MONTHS[m.group("month")]
            year = published.year if month <= published.month else published.year - 1
            found.append((m.start("month"), m.end(), f"{year}-{month:02d}"))
        for m in _RELATIVE_YEAR.finditer(sentence):
            year = published.year if (m.group("rel") or "").lower() == "this" else published.year - 1
            found.append((m.start(), m.end(), str(year)))
    return found


def _attach_dates(sentence: str, cues: list[tuple[int, int]], published: datetime | None = None) -> dict[int, str]:
    """Each date the sentence gives, attached to the nearest stage cue (a date after its verb preferred,
    never across a full stop or semicolon): "ruled unlawful by the court and later scrapped in July 2024"
    dates the scrapping, not the ruling. Returns {cue index: date}."""
    out: dict[int, tuple[float, str]] = {}
    for m_start, m_end, value in _dates_in(sentence, published):
        best: tuple[float, int] | None = None
        for k, (start, end) in enumerate(cues):
            if m_start >= end:
                distance = float(m_start - end)
                if re.search(r"[;]", sentence[end : m_start]):
                    continue
            elif m_end <= start:
                distance = (start - m_end) * 1.5
                if re.search(r"[;.]", sentence[m_end : start]):
                    continue
            else:
                continue
            if distance > 90:
                continue
            if best is None or distance < best[0]:
                best = (distance, k)
        if best is not None and (best[1] not in out or best[0] < out[best[1]][0]):
            out[best[1]] = (best[0], value)
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
    text, rx, definite = (doc.low, _STAGE_LOW, _DEFINITE_DEAL_F) if doc.low is not None \
        else (doc.text, _STAGE_RE, _DEFINITE_DEAL)
    for i, (a, b) in enumerate(doc.spans):
        # `attribute` ties a cue only to an agreement the sentence names or refers back to ("the deal")
        if doc.full[i] or doc.partial[i] or (doc.deal[i] and definite.search(text, a, b)):
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
        dates = _attach_dates(sentence, [(m.start() - a, m.end() - a) for m in cues], doc.story.published)
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
    lead = _lead_sentences(doc)
    chosen: dict[str, _StageHit] = {}
    best_key: dict[str, tuple[float, bool, int, int]] = {}
    for h, t in zip(hits, times, strict=True):
        # Among events of one time, the headline's and the lead's is the story's news; the rest retell it
        # or its back-story ("The men … sued the government last week"), unless they say they came after
        # it ("… later scrapped the scheme").
        order = 2 if _AFTERWARDS.search(doc.sentence(h.sentence)) else 1 if h.sentence in lead else 0
        key = (t, not h.background, order, _STAGE_RANK[h.stage])
        if h.agreement_id not in chosen or key >= best_key[h.agreement_id]:
            chosen[h.agreement_id] = h
            best_key[h.agreement_id] = key
    # An undated event takes the date the story gives the same stage elsewhere ("the cancelled deal" after
    # "scrapped the deal in July"): a retelling, not news of the story's own day. (Not another event's date in
    # its own sentence: "scrapped the scheme, which was signed in April 2022" dates only the signing.)
    stage_date: dict[tuple[str, str], str] = {}
    for h in hits:
        if h.when and not h.background:
            stage_date[(h.agreement_id, h.stage)] = max(stage_date.get((h.agreement_id, h.stage), ""), h.when)
    events: list[StageEvent] = []
    seen: set[tuple[str, str, int]] = set()
    last: list[StageEvent] = []
    for h in hits:
        ident = (h.agreement_id, h.stage, h.sentence)
        when = h.when or stage_date.get((h.agreement_id, h.stage))
        event = StageEvent(h.agreement_id, h.stage, doc.evidence(h.sentence), when)
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


def implied_by_payments(stages: list[StageEvent], payments: list[Payment], doc: Doc) -> list[StageEvent]:
    """Money paid under an agreement the story gives no stage for: the deal is being carried out
    ("Washington paid El Salvador $6m to hold the men"). Appended after the stated events."""
    staged = {e.agreement_id for e in stages}
    out = list(stages)
    for p in payments:
        if p.status != "paid" or p.agreement_id is None or p.agreement_id in staged:
            continue
        match = doc.matched.get(p.agreement_id)
        if match is None or not match.main:
            continue
        out.append(StageEvent(p.agreement_id, "implementing", p.evidence))
        staged.add(p.agreement_id)
    return out


_AFTERWARDS = re.compile(r"\b(?:later|subsequently|eventually|afterwards|since\s+then|then|finally|now)\b", re.I)


def _lead_sentences(doc: Doc) -> frozenset[int]:
    """The headline and the first sentence of the body (the feed text, else the article): the news."""
    lead = {i for i in range(len(doc.spans)) if doc.is_headline(i)}
    body = [i for i in range(len(doc.spans)) if not doc.is_headline(i)]
    if body:
        lead.add(body[0])
    return frozenset(lead)

"""Story → agreements: which tracked agreements a story is ABOUT, and which it only mentions.

Naming both countries is not enough (Rwanda's football sponsorship, an IMF loan to Tunisia): a sentence
counts when it names the agreement's parties (or one of its aliases) together with a migration cue
(deport…, asylum, migrants, third country …). One such sentence makes the agreement a main subject of
the story; weaker evidence (the parties next to "deal"/"talks", or in neighbouring sentences) makes it a
mention. A deal named plainly by its parties ("the UK–Rwanda deal", "the Italy-Albania protocol") is the
agreement itself. Everything is computed from parties, aliases and keywords, so a user's own agreement
from the config matches as well as a bundled one. The headline, feed text and article are read alike.

`prepare` does the per-story work once (sentences, catalogue hits, cues); the fact modules reuse it.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from feeds.agreements import Catalogue, CatalogueIndex
from feeds.models import Evidence, Match, Story
from feeds.understand.doc import Doc, Folded, Hit, join_sources
from feeds.understand.lexicon import rules, tables
from feeds.understand.refer import _DEFINITE_DEAL


def _cue(label: str) -> re.Pattern[str]:
    """The cue rules of rules/cues.toml with one label, as one regex that starts a word."""
    body = "|".join(r.pattern for r in rules("cues") if r.label == label)
    lead = r"\b(?=[a-z])" if label != "similar" else r"\b"
    return re.compile(rf"{lead}(?:{body})\b", re.IGNORECASE)


MIGRATION_CUE = _cue("migration")
TRANSFER_CUE = _cue("transfer")  # about sending people somewhere, not about migration in general
STRONG_CUE = _cue("strong")  # sending people somewhere or the asylum system ("refugees sheltering" is not)
DEAL_WORD = _cue("deal")
SIMILAR_DEAL = _cue("similar")  # "a similar deal": likened to the migration deal the story is about
# Keep in step with MIGRATION_CUE (tests/test_match.py checks that every cue phrase passes).
CUE_STEMS: tuple[str, ...] = tuple(tables("cues")["stems"]["migration"])


def normalized(text: str) -> str:
    """Lower case, dashes as spaces, white space runs as one space: the form CUE_STEMS are looked up in.
    (str.replace runs in C; translate with a table and split/join cost ten times as much on long text.)"""
    low = text.lower()
    for dash in ("-", "\u2010", "\u2011", "\u2013", "\u2014"):
        if dash in low:
            low = low.replace(dash, " ")
    for space in ("\n", "\t", "\r", "\xa0"):
        if space in low:
            low = low.replace(space, " ")
    while "  " in low:
        low = low.replace("  ", " ")
    return low


def could_match(story: Story, index: CatalogueIndex) -> bool:
    """A cheap test that is true for every story `match_story` can match (and for some it cannot).

    A sentence weighs enough only beside a migration cue or one of an agreement's keywords, and a title
    only with a cue of its own, so a story with neither anywhere needs no sentences, hits or fingerprint.
    """
    title = story.title or ""
    if title and (_STRONG_F.search(title) or _TRANSFER_F.search(title)
                  or (_MONEY_MOVES.search(title) and _AMOUNT.search(title))):
        return True
    if title and index.party_alias_rx is not None and index.party_alias_rx.search(title):
        return True  # "Starmer confirms Rwanda scheme is dead": a scheme named by its receiving state
    text = f"{title}\n{story.text or ''}\n{story.article or ''}"
    if pair_hinted(text):
        return True  # "the UK–Rwanda deal": a deal named by its parties needs no cue
    if index.prefilter_rx is not None and index.prefilter_rx.search(text.lower()):
        return True
    if not index.prefilter_other:
        return False
    flat = normalized(text)
    return any(stem in flat for stem in index.prefilter_other)



# "to the Libyan and Algerian borders", "the Tunisian desert": a place, not the state acting
_PLACE_AFTER = re.compile(r"(?:\s+and\s+[A-Z]\w+)?\s+(?:borders?|frontiers?|desert|coastline|mountains)\b")


def _hits(index: CatalogueIndex, text: str, low: str | None = None) -> list[Hit]:
    out: list[Hit] = []
    for m, targets in index.finditer(text, low):
        if _PLACE_AFTER.match(text, m.end()) and all(kind == "party" for kind, _ in targets):
            continue
        for kind, key in targets:
            out.append(Hit(m.start(), m.end(), kind, key))
    return out


def _flags(pattern: re.Pattern[str], text: str, spans: list[tuple[int, int]]) -> list[bool]:
    """Per sentence, whether `pattern` matches in it: one scan of the whole text (a search per sentence
    costs several times as much on a long article)."""
    flags = [False] * len(spans)
    starts = [a for a, _ in spans]
    for m in pattern.finditer(text):
        i = bisect_right(starts, m.start()) - 1
        if i >= 0 and m.end() <= spans[i][1]:
            flags[i] = True
    return flags


def _cues(text: str, title: str, spans: list[tuple[int, int]], folded: bool) -> list[bool]:
    cue = _flags(_MIGRATION_LOW if folded else MIGRATION_CUE, text, spans)
    # "a similar deal" only stands for a migration deal in a story that is about migration at all.
    if any(cue) or _MIGRATION_F.search(title):
        similar = _flags(_SIMILAR_LOW if folded else SIMILAR_DEAL, text, spans)
        cue = [a or b for a, b in zip(cue, similar, strict=True)]
    return cue


_MIGRATION_F, _SIMILAR_F = Folded(MIGRATION_CUE), Folded(SIMILAR_DEAL)
_TRANSFER_F, _STRONG_F, _DEAL_F = Folded(TRANSFER_CUE), Folded(STRONG_CUE), Folded(DEAL_WORD)
_MIGRATION_LOW, _SIMILAR_LOW = _MIGRATION_F.low, _SIMILAR_F.low



def prepare(story: Story, catalogue: Catalogue) -> Doc:
    index = catalogue.index
    title = story.title or ""
    text, spans, sources, offsets = join_sources(story)
    starts = [a for a, _ in spans]
    n = len(spans)
    low: str | None = text.lower()
    if low is not None and len(low) != len(text):
        low = None  # a character whose lower case is longer ("İ"): the slower regexes on the text itself
    hits: list[list[Hit]] = [[] for _ in range(n)]
    if n:
        ends = [b for _, b in spans]
        for hit in _hits(index, text, low):
            i = max(0, bisect_right(starts, hit.start) - 1)
            if hit.start < ends[i]:  # not in a sentence left out as a repeat
                hits[i].append(hit)
    src = low if low is not None else text
    folded = low is not None
    cue = _cues(src, title, spans, folded) if n else []
    # every transfer cue sentence is also a migration cue sentence; only those need the second regex
    transfer_rx = _TRANSFER_F.low if folded else TRANSFER_CUE
    strong_rx = _STRONG_F.low if folded else STRONG_CUE
    transfer = [bool(c and transfer_rx.search(src, a, b)) for c, (a, b) in zip(cue, spans, strict=True)]
    strong = [bool(c and strong_rx.search(src, a, b)) for c, (a, b) in zip(cue, spans, strict=True)]
    return Doc(
        story=story, text=text, title=title, spans=spans, starts=starts, sources=sources, offsets=offsets,
        hits=hits, title_hits=_hits(index, title) if title else [],
        cue=cue,
        transfer=transfer,
        strong=strong,
        deal=_flags(_DEAL_F.low if folded else DEAL_WORD, src, spans) if n else [],
        title_cue=bool(_MIGRATION_F.search(title)), title_deal=bool(_DEAL_F.search(title)),
        index=index, low=low,
    )


# Two capitalised names joined by a dash before a deal noun: the cheap form of _pair_named for could_match.
_PAIR_HINT = re.compile(r"[A-Z][\w.]*\s?[-\u2010\u2011\u2013\u2014/]\s?[A-Z][\w.]*(?:\s[A-Z][\w.]*)?\s+"
                        r"(?:(?:migration|migrant|asylum|deportation|returns?|refugee|transfer|processing)\s+)?"
                        r"(?:deal|agreement|protocol|pact|accord|memorandum|MoU|scheme|plan|partnership|"
                        r"arrangement|treaty|statement|declaration|policy)")
# _PAIR_HINT from its dash: `re` looks for a dash or slash in C (a pattern that starts with a capital is
# tried at every capital), and only where the rest follows is the name before the dash checked.
_PAIR_HINT_TAIL = re.compile(_PAIR_HINT.pattern[_PAIR_HINT.pattern.index("[-"):])


def pair_hinted(text: str) -> bool:
    """Whether `_PAIR_HINT` matches somewhere in `text` (the same answer, several times faster)."""
    for m in _PAIR_HINT_TAIL.finditer(text):
        end = m.start()
        if end and text[end - 1].isspace():
            end -= 1  # the optional space before the dash
        start = end
        while start and (text[start - 1].isalnum() or text[start - 1] in "._"):
            start -= 1
        if any("A" <= ch <= "Z" for ch in text[start:end]):
            return True
    return False


# Money changing hands between two states: a paying verb and an amount with its currency.
_MONEY_MOVES = re.compile(r"\b(?:pa(?:y|ys|id|ying|yments?)|owe[sd]?|owing|fund(?:s|ed|ing)?|gives?|gave|"
                          r"pledg\w+|promis\w+|demand\w*|seek\w*|claims?|offer(?:s|ed|ing)?|propos\w+|"
                          r"commit(?:s|ted|ting)?|allocat\w+|earmark\w*|grant(?:s|ed)?|receiv\w+|gets?|getting|hand(?:s|ed|ing)|"
                          r"disburs\w+|releas(?:es|ed|ing))\b", re.IGNORECASE)
_AMOUNT = re.compile(r"[£€$]\s?\d|\b\d[\d.,]*\s?(?:m|bn|mln|million|billion)\b", re.IGNORECASE)
# "the UK–Rwanda deal", "the Italy-Albania protocol", "an EU/Tunisia memorandum": two parties joined by a dash
# before a deal noun name the agreement itself, cue or no cue. A trade or peace deal between them is not it.
_PAIR_JOIN = re.compile(r"\s*[-\u2010\u2011\u2013\u2014/]\s*")
_PAIR_NOUN = re.compile(
    r"[\s-]*(?:(?:migration|migrant|asylum|deportation|returns?|refugee|transfer|offshoring|processing)\s+)?"
    r"(?:deal|agreement|protocol|pact|accord|memorandum|MoU|scheme|plan|partnership|arrangement|treaty|"
    r"statement|declaration|policy)s?\b", re.IGNORECASE)


def _pair_named(index: CatalogueIndex, hits: list[Hit], text: str) -> frozenset[str]:
    """The agreements that `hits` (offsets in `text`) name as a pair of parties before a deal noun."""
    named: set[str] = {h.key for h in hits if h.kind == "alias" and _PAIR_HINT.search(text, h.start, h.end)}
    parties = [h for h in hits if h.kind == "party"]
    if len(parties) < 2:
        return frozenset(named)
    for h1, h2 in zip(parties, parties[1:], strict=False):
        if h1.key == h2.key or not _PAIR_JOIN.fullmatch(text, h1.end, h2.start):
            continue
        # (the second party's hit may be an alias that holds the deal noun: "Italy–Albania protocol")
        if not _PAIR_NOUN.match(text, h2.end) and not _PAIR_NOUN.search(text, h2.start, h2.end):
            continue
        pair = {h1.key, h2.key}
        for agreement_id in index.by_party.get(h1.key, ()):
            if pair <= set(index.parties[agreement_id]):
                named.add(agreement_id)
    return frozenset(named)


# "the Salvadoran prison deal", "the Eswatini agreement", "the Ghana deportations": a deal named by its
# receiving state alone
_RECEIVER_NOUN = re.compile(
    r"[\s-]*(?:(?:migration|migrant|asylum|deportation|deportee|returns?|refugee|transfer|prison|detention|"
    r"resettlement|processing)\s+)?(?:deal|agreement|protocol|pact|accord|memorandum|MoU|scheme|arrangement|"
    r"partnership|treaty|deportation|transfer|removal|deportee)s?\b", re.IGNORECASE)


def _receiver_named(index: CatalogueIndex, hits: list[Hit], text: str) -> frozenset[str]:
    """The agreements named by a receiving state that is in no other tracked deal, before a deal noun."""
    named: set[str] = set()
    for h in hits:
        if h.kind != "party":
            continue
        deals = index.by_party.get(h.key, ())
        if len(deals) == 1 and h.key in index.required[deals[0]][1] and _RECEIVER_NOUN.match(text, h.end):
            named.add(deals[0])
    return frozenset(named)


_Named = tuple[frozenset[str], frozenset[str], frozenset[str]]  # countries, aliases, keywords
_NOTHING: _Named = (frozenset(), frozenset(), frozenset())


def _named(sentence_hits: list[Hit]) -> _Named:
    if not sentence_hits:
        return _NOTHING
    return (
        frozenset(h.key for h in sentence_hits if h.kind == "party"),
        frozenset(h.key for h in sentence_hits if h.kind == "alias"),
        frozenset(h.key for h in sentence_hits if h.kind == "keyword"),
    )


# "deported to Eswatini", "a deportation flight to South Sudan", "halt transfers to South Sudan": the
# receiving state named as where people are sent
_SENT_TO = re.compile(
    r"(?:(?:\b(?:deport\w*|transfer(?:s|red|ring)?|removals?|removed|expel\w*|expulsions?|relocat\w*|flights?|flown)"
    r"|\b(?:migrants|deportees|asylum[\s-]seekers|refugees|people|men|women|detainees|being|been)"
    r"\s+(?:(?:being|been|were|was|are|is|first|later|now)\s+)?sent)"
    r"\s+(?:[\w’'-]+\s+){0,3}?(?:to|into)\s+(?:the\s+)?(?:(?:third\s+)?countries\s+(?:such\s+as|including|like)\s+)?"
    # "deportees in Eswatini", "deportees held at Juba": where the deportees are is where they were sent
    r"|\bdeportees\s+(?:(?:held|detained|jailed|stranded|living)\s+)?(?:in|at)\s+(?:the\s+)?)$", re.IGNORECASE)
_SENT_TO_REACH = 60


def _destination(index: CatalogueIndex, agreement_id: str, hits: list[Hit], text: str, migration: bool) -> bool:
    """Whether a sentence names the agreement by where people are sent: a sending word, "to" and a receiving
    state that is in no other tracked agreement, and no other state in the sentence (the sender may go
    unnamed: "Judge blocks deportation flight to South Sudan"; "Britain deports 50 to Ghana" is not it).
    `migration`: the story speaks of migration at all ("flights to Albania" in a travel story are not it)."""
    if not migration:
        return False
    _, rest = index.required[agreement_id]
    parties = set(index.parties[agreement_id])
    states = {h.key for h in hits if h.kind == "party"}
    if not states <= parties:
        return False
    for h in hits:
        if h.kind == "party" and h.key in rest and index.by_party.get(h.key, ()) == (agreement_id,) \
                and _SENT_TO.search(text, max(0, h.start - _SENT_TO_REACH), h.start):
            return True
    return False


def _only_receiver(index: CatalogueIndex, agreement_id: str, hits: list[Hit]) -> bool:
    """Whether the only state a sentence names is a receiving state of this agreement and of no other
    ("the crackdown on migrants in Tunisia … a deal struck with its government")."""
    states = {h.key for h in hits if h.kind == "party"}
    if len(states) != 1:
        return False
    (state,) = states
    return state in index.required[agreement_id][1] and index.by_party.get(state, ()) == (agreement_id,)


def _anchor(index: CatalogueIndex, agreement_id: str, named: _Named) -> tuple[int, bool]:
    """How firmly a sentence names an agreement: 2 fully (parties or alias), 1 partly, 0 not; and
    whether one of its keywords is there (a keyword is a cue of its own)."""
    first, rest = index.required[agreement_id]
    countries, aliases, keywords = named
    alias = agreement_id in aliases
    keyword = agreement_id in keywords
    if not countries and not alias and not keyword:
        return 0, False
    has_first = first in countries
    has_rest = any(p in countries for p in rest)
    if alias or (has_first and (has_rest or not rest)) and (rest or keyword):
        return 2, keyword
    if has_first or has_rest:
        # A keyword beside the receiving state names the deal; beside a sender with many deals (the US)
        # it does not ("a maximum-security prison" in a story about deportees held in Eswatini).
        if keyword and (has_rest or len(index.by_party.get(first, ())) <= 2):
            return 2, keyword
        return 1, keyword
    return 0, keyword


# Weights of the evidence a sentence gives; MAIN is what a story needs to be about an agreement.
STRONG = 3.0
MAIN = 3.0
MENTION = 1.0


def match_story(doc: Doc) -> list[Match]:
    """Score every agreement against the prepared story; fills doc.full/doc.partial/doc.matched."""
    index = doc.index
    n = len(doc.spans)
    body = [not doc.is_headline(i) for i in range(n)]
    doc_cues = sum(c and b for c, b in zip(doc.cue, body, strict=True)) + doc.title_cue
    doc_transfer = any(doc.transfer) or bool(doc.title_cue and TRANSFER_CUE.search(doc.title))
    candidates: set[str] = set()
    for sentence_hits in (*doc.hits, doc.title_hits):
        for h in sentence_hits:
            if h.kind == "party":
                candidates.update(index.by_party.get(h.key, ()))
            else:
                candidates.add(h.key)
    full: list[list[str]] = [[] for _ in range(n)]
    partial: list[list[str]] = [[] for _ in range(n)]
    named = [_named(h) for h in doc.hits]
    countries = [x[0] for x in named]
    # the sentences that name each agreement at all (a party, alias or keyword): elsewhere it scores 0
    where: dict[str, list[int]] = {}
    for i, sentence_hits in enumerate(doc.hits):
        for h in sentence_hits:
            for agreement_id in index.by_party.get(h.key, ()) if h.kind == "party" else (h.key,):
                rows = where.setdefault(agreement_id, [])
                if not rows or rows[-1] != i:
                    rows.append(i)
    pairs = [_pair_named(index, h, doc.text) for h in doc.hits]
    title_pairs = _pair_named(index, doc.title_hits, doc.title)
    if doc_cues:  # in a story about migration at all
        pairs = [p | _receiver_named(index, h, doc.text) if h else p for p, h in zip(pairs, doc.hits, strict=True)]
        title_pairs = title_pairs | _receiver_named(index, doc.title_hits, doc.title)
    title_money = bool(_MONEY_MOVES.search(doc.title) and _AMOUNT.search(doc.title))
    doc.pairs = pairs
    matches: list[Match] = []
    for agreement_id in sorted(candidates):
        first, rest = index.required[agreement_id]
        score = 0.0
        best: tuple[float, int] = (0.0, -1)
        levels = [0] * n
        naming = where.get(agreement_id, ())
        for i in naming:
            level, keyword = _anchor(index, agreement_id, named[i])
            levels[i] = level
            if agreement_id in pairs[i]:
                level = levels[i] = 2
            if level == 2:
                full[i].append(agreement_id)
            elif level == 1:
                partial[i].append(agreement_id)
            if doc.is_headline(i):
                continue  # the headline is weighed below, as the title
            weight = 0.0
            # an alias names the deal's own places and schemes, so any migration cue beside it will do (or in
            # the headline: "Italy to reopen Albanian migrant centres" over "… the facilities at Gjader")
            alias_here = agreement_id in named[i][1]
            # an alias that names the party ("the Rwanda scheme") is the deal itself in a migration story
            named_alias = alias_here and doc_cues and any(
                h.kind == "alias" and h.key == agreement_id and index.names_party(doc.text[h.start : h.end])
                for h in doc.hits[i])
            if agreement_id in pairs[i] or _destination(index, agreement_id, doc.hits[i], doc.text, doc_cues > 0) \
                    or (doc.cue[i] and doc.deal[i] and _only_receiver(index, agreement_id, doc.hits[i])):
                weight = STRONG
            elif level == 2 and (doc.strong[i] or keyword or named_alias
                               or ((doc.cue[i] or doc.title_cue) and alias_here)
                               or (doc.cue[i] and doc.deal[i])):
                weight = STRONG
            elif level == 2 and doc.cue[i]:
                weight = 1.5
            elif level == 2 and doc.deal[i]:
                # In a story about sending people abroad, the two states and "deal" mean this deal.
                weight = STRONG if doc_transfer else 1.5 if doc_cues else 0.3
            elif level == 2:
                weight = 1.0 if doc_cues >= 2 else 0.2
            if weight > best[0]:
                best = (weight, i)
            score += weight
        # A receiving country in a migration sentence, with the sender in a neighbouring one.
        for i in naming:
            if levels[i] == 1 and doc.cue[i] and rest:
                here = countries[i]
                if any(p in here for p in rest) and first not in here:
                    near: set[str] = set()
                    if i > 0:
                        near |= countries[i - 1]
                    if i + 1 < n:
                        near |= countries[i + 1]
                    if first in near:
                        score += 1.0
                        if best[1] < 0:
                            best = (1.0, i)
        # The title says what the story is about.
        title_level, title_keyword = _anchor(index, agreement_id, _named(doc.title_hits))
        title_strong = bool(STRONG_CUE.search(doc.title)) or (doc.title_cue and doc.title_deal)
        title_alias = any(h.kind == "alias" and h.key == agreement_id and index.names_party(doc.title[h.start:h.end])
                          for h in doc.title_hits)
        if title_alias and (doc_cues or first in _named(doc.title_hits)[0]):
            # "Starmer confirms Rwanda scheme is dead": a scheme named by its receiving state, with the
            # sender or a migration cue, is the deal itself
            score += STRONG
        elif title_level and _destination(index, agreement_id, doc.title_hits, doc.title, doc_cues > 0):
            score += STRONG
        elif agreement_id in title_pairs or (title_level == 2 and title_money):
            # "the UK–Rwanda deal"; "Rwanda says UK still owes it £50m": both sides and money changing
            # hands, in the line that says what the story is about
            score += STRONG
        elif title_level == 2 and (title_strong or title_keyword
                                   or (doc.title_cue and agreement_id in _named(doc.title_hits)[1])):
            # (an alias is the deal's own place or scheme: "Pentagon flies first migrants to Guantanamo")
            score += STRONG
        elif title_level == 2 and doc.title_cue:
            score += 1.0
            # "EU to suspend Tunisia migration aid" over "… payments under the 2023 memorandum": the body
            # speaks of the deal the headline names
            if any(_DEFINITE_DEAL.search(doc.text, a, b) for (a, b), body_sentence in zip(doc.spans, body, strict=True)
                   if body_sentence and not doc.hits[doc.sentence_of(a)]):
                score += 2.0
        elif title_level == 2 and doc.title_deal:
            score += 1.5 if doc_cues else 0.5
            # "Greece and Turkey: EU deal returns slow" over "… sent back from the Greek islands": the body
            # speaks of the deal the headline names by one of its own keywords
            if any(agreement_id in named[i][2] for i in naming if body[i]):
                score += STRONG
        elif title_level == 2 and doc_cues:
            score += 0.5
        elif title_level == 1 and doc_cues:
            if score > 0:
                score += 0.5
            # "Court rules Rwanda deportation plan unlawful" over a body that names the sender beside a
            # migration cue, or "Danish council warns against offshore asylum plans" over one that names the
            # receiving state beside one: the headline's state and the body's are one deal.
            title_countries = _named(doc.title_hits)[0]
            receiver_in_title = any(p in title_countries for p in rest)
            if rest and STRONG_CUE.search(doc.title) and (
                    (first not in title_countries and receiver_in_title
                     and any((doc.cue[i] or doc.deal[i]) and first in countries[i] for i in naming))
                    or (title_countries == {first}
                        and any(doc.cue[i] and any(p in countries[i] for p in rest) for i in naming))):
                score += 2.0 if score > 0 else STRONG
        # Spread evidence: both sides in several migration sentences, and the story is about transfers.
        # (a sentence naming a party of the agreement is one of `naming`: only those need reading)
        if rest and doc_transfer and score < MAIN:
            sender = sum(1 for i in naming if doc.cue[i] and first in countries[i])
            receiver = sum(1 for i in naming if doc.cue[i] and any(p in countries[i] for p in rest))
            if sender >= 2 and receiver >= 2:
                score += 2.0
        if score < MENTION:
            continue
        main = score >= MAIN
        if best[1] >= 0:
            evidence = doc.evidence(best[1])
        elif doc.title:
            evidence = Evidence(doc.title, 0, len(doc.title), "headline")
        else:
            evidence = doc.evidence(0)
        matches.append(Match(agreement_id, round(score, 2), main, evidence))
    matches.sort(key=lambda m: (-m.main, -m.score, m.agreement_id))
    keep = {m.agreement_id for m in matches}
    doc.full = [[a for a in row if a in keep] for row in full]
    doc.partial = [[a for a in row if a in keep] for row in partial]
    doc.matched = {m.agreement_id: m for m in matches}
    return matches

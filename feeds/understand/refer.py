"""Which agreement a fact at a position of a sentence is about."""

from __future__ import annotations

import re

from feeds.understand.doc import Doc

_DEFINITE_DEAL = re.compile(
    # "the deal", "the new deal", "the €210m deal", "the A$55m arrangement": the deal the story is about
    r"\b(?:the|that|this|its|their|such\s+a|the\s+\w+|(?:the|that|this|its|their)\s+(?:[A-Z]{0,2}[$£€]\s?)?"
    r"\d[\d.,]*\s?(?:m|bn|mn|million|billion)?(?:[\s-]+(?:euros?|pounds?|dollars?))?(?:\s+[a-z]+)?)\s+"
    r"(?:deal|agreement|plan|scheme|arrangement|talks|"
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

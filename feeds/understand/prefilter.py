"""Whether a short feed item's article is worth fetching: a broad migration prefilter.

Recall matters more than precision here (a missed article is a story read from its headline alone; a
fetched one costs a polite request), so any migration cue will do, or a party of a tracked agreement
beside a deal, money or court word (rules/prefilter.toml).
"""

from __future__ import annotations

from feeds.agreements import Catalogue
from feeds.understand.lexicon import lexicon


def worth_article(title: str, summary: str, catalogue: Catalogue) -> bool:
    """True when the headline or summary carries a migration cue, or names a catalogue party together with
    a deal, money or court word."""
    text = f"{title}\n{summary}"
    rules = lexicon().prefilter
    if rules.migration.search(text):
        return True
    if not rules.context.search(text):
        return False
    return any(kind == "party" for _, targets in catalogue.index.finditer(text) for kind, _ in targets)


__all__ = ["worth_article"]

"""Story → agreements (a compatibility module: the matcher lives in `feeds.understand.match`)."""

from __future__ import annotations

from feeds.agreements import Catalogue
from feeds.models import Match, Story
from feeds.understand.doc import Doc, Folded, Hit, lowered, split_sentences
from feeds.understand.match import (
    CUE_STEMS,
    DEAL_WORD,
    MAIN,
    MENTION,
    MIGRATION_CUE,
    SIMILAR_DEAL,
    STRONG,
    STRONG_CUE,
    TRANSFER_CUE,
    could_match,
    match_story,
    normalized,
    prepare,
)


def match(story: Story, catalogue: Catalogue) -> list[Match]:
    """The agreements a story concerns, main subjects first."""
    return match_story(prepare(story, catalogue))


__all__ = [
    "CUE_STEMS", "DEAL_WORD", "MAIN", "MENTION", "MIGRATION_CUE", "SIMILAR_DEAL", "STRONG", "STRONG_CUE",
    "TRANSFER_CUE", "Doc", "Folded", "Hit", "could_match", "lowered", "match", "match_story", "normalized",
    "prepare", "split_sentences",
]

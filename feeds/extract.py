"""Facts from a matched story, each with the sentence it came from (a compatibility module: the rules and
engines live in `feeds.understand`, one module a fact kind)."""

from __future__ import annotations

from feeds.agreements import COUNTRIES
from feeds.understand.conflicts import find_conflicts, timeline_stage
from feeds.understand.money import Money, parse_money
from feeds.understand.payments import extract_payments
from feeds.understand.refer import attribute
from feeds.understand.stages import extract_stages
from feeds.understand.warnings import extract_warnings

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

"""Reading the clause around a cue: negation, modality, background (shared by stages and payments).
The words are data: rules/clauses.toml."""

from __future__ import annotations

import re

from feeds.understand.lexicon import rules

_CLAUSES = {rule.label: rule.compiled() for rule in rules("clauses")}
_NEGATION = _CLAUSES["negation"]
_NEG_AFTER = _CLAUSES["negation_after"]
_MODAL = _CLAUSES["modal"]
_MODAL_STRICT = _CLAUSES["modal_strict"]  # without the bare infinitive: "decided to postpone" is a decision
_BACKGROUND = _CLAUSES["background"]
_CLAUSE_START = _CLAUSES["clause_start"]
_DEMAND = _CLAUSES["demand"]  # what someone calls for is not an event


def _clause_before(sentence: str, pos: int, limit: int = 60) -> str:
    """The text of the clause before `pos` (back to the last comma or semicolon, at most `limit`)."""
    head = sentence[max(0, pos - limit) : pos]
    cut = 0
    for m in _CLAUSE_START.finditer(head):
        cut = m.end()
    return head[cut:]


# Where a demand stops reaching: a new clause with its own subject ("…, and the government scrapped …")
# or a cause or time ("demands $130m over the scrapped deal", "calls grew after the flights were halted")
_DEMAND_STOP = re.compile(r"[;:—–]|,\s+(?:and|but|while|although|though)\b|\b(?:but|while|over|after|before|since|"
                          r"despite|because|following|amid|when)\b", re.I)


def _demanded(sentence: str, pos: int, limit: int = 110) -> bool:
    """Whether the cue at `pos` is what a call, demand or petition asks for ("called for the centres to be
    closed", "urged the government to halt the flights"), not something that happened."""
    head = sentence[max(0, pos - limit) : pos]
    cut = 0
    for m in _DEMAND_STOP.finditer(head):
        cut = m.end()
    return _DEMAND.search(head, cut) is not None

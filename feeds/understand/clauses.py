"""Reading the clause around a cue: negation, modality, background (shared by stages and payments).
The words are data: rules/clauses.toml."""

from __future__ import annotations

from feeds.understand.lexicon import rules

_CLAUSES = {rule.label: rule.compiled() for rule in rules("clauses")}
_NEGATION = _CLAUSES["negation"]
_NEG_AFTER = _CLAUSES["negation_after"]
_MODAL = _CLAUSES["modal"]
_MODAL_STRICT = _CLAUSES["modal_strict"]  # without the bare infinitive: "decided to postpone" is a decision
_BACKGROUND = _CLAUSES["background"]
_CLAUSE_START = _CLAUSES["clause_start"]


def _clause_before(sentence: str, pos: int, limit: int = 60) -> str:
    """The text of the clause before `pos` (back to the last comma or semicolon, at most `limit`)."""
    head = sentence[max(0, pos - limit) : pos]
    cut = 0
    for m in _CLAUSE_START.finditer(head):
        cut = m.end()
    return head[cut:]

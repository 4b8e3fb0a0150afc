"""Reading the clause around a cue: negation, modality, background (shared by stages and payments)."""

from __future__ import annotations

import re

_NEGATION = re.compile(
    r"\b(?:no|not|never|nor|neither|without|denied|deny|denies|denying|rejected|rejects|dismissed|"
    r"refused|yet\s+to|false|fake)\b|n[’']t\b",
    re.IGNORECASE,
)
_NEG_AFTER = re.compile(
    r"^(?:(?!\b(?:who|whom|which|that|where)\b)[^,;.]){0,80}?\b(?:(?:are|is|was|were|has|have|had|did|do|does)\s+not|(?:are|is|was|were)n[’']t|"
    r"no\s+longer)\b",
    re.IGNORECASE,
)
_MODAL = re.compile(
    r"\b(?:if|in\s+case|whether|lest|would|could|might|may|should|will|shall|expected|set|aims?|aiming|plans?|planned|hopes?|"
    r"wants?|seeks?|seeking|intends?|due|once|upcoming|proposed|possible|potential|unless)\b[^,;]{0,25}$"
    r"|\bto\s+(?:be\s+|have\s+|\w+ly\s+)?$",
    re.IGNORECASE,
)
# Without the bare infinitive "to": "decided to postpone" reports a decision, "to sign" only an aim.
_MODAL_STRICT = re.compile(
    r"\b(?:if|in\s+case|whether|lest|would|could|might|may|should|will|shall|expected\s+to|set\s+to|aims?\s+to|plans?\s+to|"
    r"hopes?\s+to|wants?\s+to|intends?\s+to|threatens?\s+to|due\s+to|once|upcoming|proposed|possible|"
    r"potential|unless|must|ought\s+to|(?:urg\w+|call(?:ed|s|ing)?\s+on|ask\w*|press\w*|demand\w*)\s+"
    r"(?:[\w’'-]+\s+){0,4}to)\b[^,;]{0,25}$",
    re.IGNORECASE,
)
_BACKGROUND = re.compile(
    r"\b(?:after|following|since|before|former|previous|previously|older|earlier|original|old|"
    r"had|once|even\s+as|despite|although|though|when)\b[^,;]{0,50}$",
    re.IGNORECASE,
)
_CLAUSE_START = re.compile(r"[,;:—–(]|\bbut\b|\bwhile\b|\bwhich\b", re.IGNORECASE)


def _clause_before(sentence: str, pos: int, limit: int = 60) -> str:
    """The text of the clause before `pos` (back to the last comma or semicolon, at most `limit`)."""
    head = sentence[max(0, pos - limit) : pos]
    cut = 0
    for m in _CLAUSE_START.finditer(head):
        cut = m.end()
    return head[cut:]

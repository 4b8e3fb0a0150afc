"""The understanding layer: Story → Analysis, pure.

Rules are data (`rules/*.toml`, loaded and compiled once per process by `lexicon`); the engine is code,
one module a fact kind: `match` (which agreements), `stages`, `money`, `payments`, `warnings`,
`conflicts`; `doc` prepares a story's headline, feed text and article as one run of sentences.
It imports only the seam values (feeds.models), the catalogue and the text gate.

The public names are imported on first use: importing one module of the layer (the catalogue needs the
cue stems of `match`) must not compile every engine's rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from feeds.understand.analysis import understand
    from feeds.understand.prefilter import worth_article

__all__ = ["understand", "worth_article"]


def __getattr__(name: str) -> Any:
    if name == "understand":
        from feeds.understand.analysis import understand

        return understand
    if name == "worth_article":
        from feeds.understand.prefilter import worth_article

        return worth_article
    raise AttributeError(f"module 'feeds.understand' has no attribute {name!r}")

"""The understanding layer: Story → Analysis, pure.

Rules are data (`rules/*.toml`, loaded and compiled once per process by `lexicon`); the engine is code,
one module a fact kind: `match` (which agreements), `stages`, `money`, `payments`, `warnings`,
`conflicts`; `doc` prepares a story's headline, feed text and article as one run of sentences.
It imports only the seam values (feeds.models), the catalogue and the text gate.
"""

from feeds.understand.analysis import understand
from feeds.understand.prefilter import worth_article

__all__ = ["understand", "worth_article"]

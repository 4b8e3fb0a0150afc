"""The Negotiations pane: each agreement's current stage, since when, on what source."""

from __future__ import annotations

from rich.text import Text

from store import Negotiation
from tui.format import _STAGE_STYLES, lit
from tui.panes.base import LedgerTable, _confirmed


class NegotiationsTable(LedgerTable):
    COLUMNS = (("Agreement", "agreement", 15, 0), ("Stage", "stage", 18, 0), ("Since", "since", 7, 0),
               ("Source", "source", 6, 1))

    def row_cells(self, item: object) -> tuple[str, str, tuple[Text, ...]]:
        n: Negotiation = item  # type: ignore[assignment]
        agreement = lit(n.agreement_id, "cyan")
        if n.conflicts:
            agreement = Text.assemble(("⚠ ", "bold red"), agreement)
        return n.agreement_id, n.story_id, (
            _confirmed(agreement, n.confirmed), lit(n.stage, _STAGE_STYLES.get(n.stage, "")),
            lit((n.since or "—")[:7]), lit(n.source, "dim"))


"""The Negotiations pane: each agreement's current stage, since when, on what source."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from store import Negotiation, Store
from tui.format import _STAGE_STYLES, lit
from tui.panes.base import FACT_BINDINGS, NAV_BINDINGS, LedgerTable, _confirmed


class NegotiationsTable(LedgerTable):
    """Enter opens the agreement's dossier; the fact keys act on its current stage."""

    BINDINGS = [*NAV_BINDINGS, Binding("enter", "app.dossier", "Dossier", id="negotiations.dossier"),
                *FACT_BINDINGS]
    KIND = "stage"
    KEEP = frozenset({"stage"})  # "legally-challenged" whole: the agreement id gives way first

    COLUMNS = (("Agreement", "agreement", 15, 0), ("Stage", "stage", 18, 0), ("Since", "since", 7, 0),
               ("Source", "source", 6, 1))

    def row_cells(self, item: object) -> tuple[str, str, tuple[Text, ...]]:
        n: Negotiation = item  # type: ignore[assignment]
        agreement = lit(n.agreement_id, "cyan")
        if n.conflicts:
            agreement = Text.assemble(("⚠ ", "bold red"), agreement)
        return n.agreement_id, n.story_id, (
            _confirmed(agreement, n.confirmed, n.user, n.review), lit(n.stage, _STAGE_STYLES.get(n.stage, "")),
            lit((n.since or "—")[:7]), lit(n.source, "dim"))



def query(store: Store, agreement: str | None) -> list[Negotiation]:
    """The pane's rows: every agreement with a stage (or only the filtered one)."""
    rows = store.negotiations()
    return [n for n in rows if n.agreement_id == agreement] if agreement else rows

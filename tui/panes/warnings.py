"""The Rights warnings pane: who warned of what, when, and who denied it."""

from __future__ import annotations

from rich.text import Text

from store import LedgerRow, Store
from tui.format import clean, format_date, lit
from tui.panes.base import LedgerTable, _confirmed, _source


class WarningsTable(LedgerTable):
    KIND = "warning"
    COLUMNS = (("Who", "who", 10, 2), ("Concern", "concern", 12, 3), ("When", "when", 7, 0),
               ("Source", "source", 6, 1))

    def row_cells(self, item: object) -> tuple[str, str, tuple[Text, ...]]:
        r: LedgerRow = item  # type: ignore[assignment]
        f = r.fact
        concern = lit(f.concern or "")
        if f.denied_by:
            concern.append(f" (denied by {clean(f.denied_by)})", "dim")
        return str(f.id), f.story_id, (
            _confirmed(lit(f.speaker or "?", "bold"), r.confirmed, f.user, f.review), concern, Text(format_date(r.published)[:7]),
            _source(r))



def query(store: Store, agreement: str | None, limit: int, offset: int = 0) -> list[LedgerRow]:
    """A page of the pane: the same warning told by several stories is one row."""
    return store.warnings(limit=limit, offset=offset, agreement=agreement, grouped=True)

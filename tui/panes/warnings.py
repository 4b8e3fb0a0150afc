"""The Rights warnings pane: who warned of what, when, and who denied it."""

from __future__ import annotations

from rich.text import Text

from store import LedgerRow
from tui.format import clean, format_date, lit
from tui.panes.base import LedgerTable, _confirmed, _source


class WarningsTable(LedgerTable):
    COLUMNS = (("Who", "who", 10, 2), ("Concern", "concern", 12, 3), ("When", "when", 7, 0),
               ("Source", "source", 6, 1))

    def row_cells(self, item: object) -> tuple[str, str, tuple[Text, ...]]:
        r: LedgerRow = item  # type: ignore[assignment]
        f = r.fact
        concern = lit(f.concern or "")
        if f.denied_by:
            concern.append(f" (denied by {clean(f.denied_by)})", "dim")
        return str(f.id), f.story_id, (
            _confirmed(lit(f.speaker or "?", "bold"), r.confirmed), concern, Text(format_date(r.published)[:7]),
            _source(r))


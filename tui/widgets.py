"""The dashboard's widgets: the panes (tui/panes/), the status line, and the formatting they share
(tui/format.py), importable from here as before."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual.widgets import Static

from tui.format import (
    CURRENCY_SYMBOLS,
    clean,
    flags_text,
    format_amount,
    format_date,
    format_payment,
    format_when,
    lit,
    short_party,
    sources_text,
    title_content,
)
from tui.panes.base import NAV_BINDINGS, TRIAGE_BINDINGS, LedgerTable, PagedTable
from tui.panes.inbox import InboxTable
from tui.panes.negotiations import NegotiationsTable
from tui.panes.payments import PaymentsTable
from tui.panes.preview import Preview, fact_line, render_story
from tui.panes.warnings import WarningsTable

__all__ = ["CURRENCY_SYMBOLS", "NAV_BINDINGS", "TRIAGE_BINDINGS", "InboxTable", "LedgerTable", "NegotiationsTable",
           "PagedTable", "PaymentsTable", "Preview", "StatusLine", "WarningsTable", "clean", "fact_line",
           "flags_text", "format_amount", "format_date", "format_payment", "format_when", "lit", "render_story",
           "short_party", "sources_text", "title_content"]

class StatusLine(Static):
    """Poll progress, counts, the last save — our own words only (feed text goes through Text)."""

    def show(self, parts: Sequence[Text | str]) -> None:
        line = Text(no_wrap=True, overflow="ellipsis")
        for i, part in enumerate(parts):
            if i:
                line.append("  │  ", "dim")
            line.append_text(part if isinstance(part, Text) else Text(part))
        self.update(line)


Opener = Callable[[str], object]

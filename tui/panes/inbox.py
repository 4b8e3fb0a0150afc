"""The inbox pane: stories, matched first, a cluster's stories together, paged from SQLite."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from store import InboxRow
from tui.format import flags_text, format_date, lit, sources_text
from tui.panes.base import NAV_BINDINGS, TRIAGE_BINDINGS, PagedTable


class InboxTable(PagedTable):
    """Stories, matched first, a cluster's stories together. Holds the ordered ids; shows a window of rows."""

    BINDINGS = [
        *NAV_BINDINGS,
        Binding("enter", "app.open_story", "Read", id="inbox.open"),
        *TRIAGE_BINDINGS,
    ]
    PAGE = 300
    COLUMNS = (("", "flags", 5, 0), ("Title", "title", 20, 4), ("Agreements", "agreements", 16, 0),
               ("Reports", "sources", 12, 0), ("Date", "date", 10, 0))
    # From WIDE_AT columns of table on, Reports takes a typical outlet's name whole ("Demo Courts & Policy")
    # from the title's room; narrower, the title keeps it.
    WIDE_COLUMNS = (("", "flags", 5, 0), ("Title", "title", 20, 4), ("Agreements", "agreements", 16, 0),
                    ("Reports", "sources", 20, 0), ("Date", "date", 10, 0))
    WIDE_AT = 90

    def fit_columns(self) -> None:
        if self.size.width:
            wide = self.scrollable_content_region.width >= self.WIDE_AT
            self.COLUMNS = self.WIDE_COLUMNS if wide else type(self).COLUMNS
        super().fit_columns()

    class NeedAll(Message):
        """G or End with rows still unloaded: the app loads the rest, then the cursor goes to the last."""

    def action_cursor_last(self) -> None:
        if not self.exhausted:
            self.post_message(self.NeedAll())
        super().action_cursor_last()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ids: list[str] = []  # every story in order (the current filter); rows show a prefix
        self.shown: dict[str, InboxRow] = {}

    @staticmethod
    def cells(row: InboxRow) -> tuple[Text, ...]:
        title_style = "bold" if row.unread else ""
        if row.state == "dismissed":
            title_style = "dim strike"
        return (
            flags_text(row),
            lit(row.title, title_style),
            lit(agreements_cell(row.agreements, 16), "cyan"),
            sources_text(row),
            Text(format_date(row.published or row.first_seen)),
        )

    def current_row(self) -> InboxRow | None:
        key = self.current_key()
        return self.shown.get(key) if key else None

    def append_rows(self, rows: Iterable[InboxRow]) -> None:
        for row in rows:
            if row.id in self.shown:
                continue
            self.shown[row.id] = row
            self.add_row(*self.cells(row), key=row.id)
        self.exhausted = len(self.shown) >= len(self.ids)
        self.call_after_refresh(self.fit_columns)  # rows may have brought a scrollbar that takes width

    def update_row(self, row: InboxRow) -> None:
        """Change one row in place (a triage action): only the cells that differ."""
        old = self.shown.get(row.id)
        if old is None:
            return
        self.shown[row.id] = row
        if old == row:
            return
        for column, (before, after) in zip(("flags", "title", "agreements", "sources", "date"),
                                           zip(self.cells(old), self.cells(row), strict=True), strict=True):
            if before != after:
                self.update_cell(row.id, column, after)

    def drop_row(self, story_id: str) -> None:
        if story_id in self.shown:
            del self.shown[story_id]
            self.remove_row(story_id)
        if story_id in self.ids:
            self.ids.remove(story_id)

    def show(self, ids: list[str], rows: Sequence[InboxRow]) -> None:
        """Show a fresh ordering: a keyed diff when the visible order is unchanged, else a refill."""
        cursor = self.current_key()
        self.ids = ids
        old_keys = [k.value for k in self.rows]
        new_keys = [r.id for r in rows]
        if old_keys == new_keys:
            for row in rows:
                self.update_row(row)
        else:
            self.clear()
            self.shown = {}
            self.append_rows(rows)
            if not self.move_to_key(cursor) and self.row_count:
                self.move_cursor(row=0, animate=False)
        self.exhausted = len(self.shown) >= len(self.ids)


def agreements_cell(agreements: Sequence[str], width: int) -> str:
    """The story's agreements in a cell `width` wide: all when they fit, else the first whole and how many
    more ("uk-rwanda +2"), never a second id cut to a few letters."""
    joined = " ".join(agreements)
    if len(joined) <= width or len(agreements) < 2:
        return joined
    return f"{agreements[0]} +{len(agreements) - 1}"

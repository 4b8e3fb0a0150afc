"""What every pane's table shares: paging, column fitting, the navigation and triage keys, a ledger row's
marks (accepted ✓, the user's ✎)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from store import LedgerRow
from tui.format import lit

# ------------------------------------------------------------------------------------------- tables


NAV_BINDINGS = [
    Binding("j", "cursor_down", "Down", show=False, id="nav.down"),
    Binding("k", "cursor_up", "Up", show=False, id="nav.up"),
    Binding("g,home", "cursor_first", "First", show=False, id="nav.first"),
    Binding("G,end", "cursor_last", "Last", show=False, id="nav.last"),
]

# Triage keys belong to the panes that show a story (the inbox and the preview), not to the app.
TRIAGE_BINDINGS = [
    Binding("a", "app.triage('accept')", "Accept", id="triage.accept"),
    Binding("x", "app.triage('dismiss')", "Dismiss", id="triage.dismiss"),
    Binding("s", "app.triage('star')", "Star", id="triage.star"),
    Binding("u", "app.triage('unread')", "Unread", id="triage.unread"),
    Binding("l", "app.link", "Link", id="triage.link"),
    Binding("o", "app.open_link", "Open", id="story.open"),
    Binding("A", "app.fetch_article", "Fetch article", id="story.fetch_article"),
]


class PagedTable(DataTable):
    """A row-cursor DataTable that asks for the next page when the cursor nears the end."""

    BINDINGS = NAV_BINDINGS
    PAGE = 200
    PREFETCH = 40

    class NeedMore(Message):
        def __init__(self, table: PagedTable) -> None:
            super().__init__()
            self.table = table

    # (label, key, width, flex): columns with a flex weight share the room the fixed ones (flex 0) leave, in
    # proportion to their weights, each at least `width`; weight 1 marks a column that gives way first.
    COLUMNS: tuple[tuple[str, str, int, int], ...] = ()
    KEEP: frozenset[str] = frozenset()  # fixed columns never cut (a stage name, an amount)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        self.exhausted = True

    def action_cursor_first(self) -> None:
        if self.row_count:
            self.move_cursor(row=0, animate=False)

    def action_cursor_last(self) -> None:
        """The last loaded row; reaching it asks for the next page, so G again goes further."""
        if self.row_count:
            self.move_cursor(row=self.row_count - 1, animate=False)

    def on_mount(self) -> None:
        for label, key, width, _flex in self.COLUMNS:
            self.add_column(label, key=key, width=width)
        self.fit_columns()

    def on_resize(self) -> None:
        self.fit_columns()

    def fit_columns(self) -> None:
        """Widths for the pane's width: the spare room goes to the flex columns by weight; in a pane too narrow
        for every column's width, the expendable columns give way first, then the fixed ones, then the rest."""
        if not self.COLUMNS or not self.size.width:
            return
        room = self.scrollable_content_region.width - 2 * self.cell_padding * len(self.COLUMNS)
        widths = {key: width for _label, key, width, _flex in self.COLUMNS}
        flex = [(key, weight) for _label, key, _width, weight in self.COLUMNS if weight]
        spare = room - sum(widths.values())
        if spare > 0 and flex:
            weights = sum(weight for _key, weight in flex)
            for key, weight in flex:
                widths[key] += spare * weight // weights
        elif spare < 0:
            # Too narrow: first the expendable columns (flex weight 1, a source), then the widest of the fixed
            # ones, then the rest (the title, the parties), each down to a few characters.
            weight_of = dict(flex)
            order = [[k for k, w in flex if w == 1], [k for k in widths if k not in weight_of and k not in self.KEEP],
                     [k for k, w in flex if w > 1]]
            for keys, floor in zip(order, (4, 6, 6), strict=True):
                while spare < 0 and keys:
                    widest = max(keys, key=widths.__getitem__)
                    if widths[widest] <= floor:
                        break
                    widths[widest] -= 1
                    spare += 1
        changed = False
        for key, width in widths.items():
            column = self.columns.get(key)  # type: ignore[call-overload]
            if column is not None and column.width != width:
                column.width = width
                changed = True
        if changed:
            self._clear_caches()
            self._require_update_dimensions = True
            self.refresh()

    def watch_cursor_coordinate(self, old, new) -> None:  # type: ignore[no-untyped-def]
        super().watch_cursor_coordinate(old, new)
        if not self.exhausted and new.row >= self.row_count - self.PREFETCH:
            self.post_message(self.NeedMore(self))

    def current_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:
            return None
        return key.value

    def move_to_key(self, key: str | None, *, scroll: bool = True) -> bool:
        if key is None or key not in self.rows:
            return False
        self.move_cursor(row=self.get_row_index(key), animate=False, scroll=scroll)
        return True


# The user's corrections, on any fact row (a ledger pane, the dossier): one journal, `z` undoes them.
FACT_BINDINGS = [
    Binding("e", "app.fact('edit')", "Edit fact", id="fact.edit"),
    Binding("x", "app.fact('reject')", "Reject fact", id="fact.reject"),
    Binding("c", "app.fact('confirm')", "Confirm fact", id="fact.confirm"),
    Binding("n", "app.fact('add')", "Add fact", id="fact.add"),
]


class LedgerTable(PagedTable):
    """A pane of facts; each row remembers the story it came from (enter shows it) and its item."""

    BINDINGS = [*NAV_BINDINGS, Binding("enter", "app.show_source", "Show story", id="ledger.show"), *FACT_BINDINGS]
    KIND = ""  # the fact kind its rows hold (stage, payment, warning)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.story_of: dict[str, str] = {}
        self.item_of: dict[str, object] = {}
        self.loaded = 0

    def current_item(self) -> object | None:
        key = self.current_key()
        return self.item_of.get(key) if key else None

    def replace_item(self, key: str, item: object | None) -> None:
        """One row changed in place (a correction shown at once), or gone (None)."""
        if key not in self.item_of:
            return
        if item is None:
            del self.item_of[key]
            self.story_of.pop(key, None)
            self.remove_row(key)
            return
        new_key, story_id, cells = self.row_cells(item)
        if new_key != key:
            return
        self.item_of[key] = item
        self.story_of[key] = story_id
        for (_label, column, _w, _f), cell in zip(self.COLUMNS, cells, strict=True):
            self.update_cell(key, column, cell)

    def row_cells(self, item: object) -> tuple[str, str, tuple[Text, ...]]:
        """(row key, story id, cells)."""
        raise NotImplementedError

    def show(self, items: Sequence[object], *, more: bool) -> None:
        """Keyed diff: update changed rows, drop gone ones; refill only if the order changed."""
        cursor = self.current_key()
        built = [self.row_cells(i) for i in items]
        self.item_of = {b[0]: i for b, i in zip(built, items, strict=True)}
        old_keys = [k.value for k in self.rows]
        new_keys = [b[0] for b in built]
        if old_keys == new_keys:
            columns = [c[1] for c in self.COLUMNS]
            for key, story_id, cells in built:
                self.story_of[key] = story_id
                current = self.get_row(key)
                for column, before, after in zip(columns, current, cells, strict=True):
                    if before != after:
                        self.update_cell(key, column, after)
        else:
            self.clear()
            self.story_of = {}
            self.append_built(built)
            self.move_to_key(cursor)
        self.loaded = len(items)
        self.exhausted = not more

    def append(self, items: Sequence[object], *, more: bool) -> None:
        built = [self.row_cells(i) for i in items]
        for b, i in zip(built, items, strict=True):
            self.item_of.setdefault(b[0], i)
        self.append_built(built)
        self.loaded += len(items)
        self.exhausted = not more

    def append_built(self, built: Iterable[tuple[str, str, tuple[Text, ...]]]) -> None:
        for key, story_id, cells in built:
            if key in self.story_of:
                continue
            self.story_of[key] = story_id
            self.add_row(*cells, key=key)
        self.call_after_refresh(self.fit_columns)  # rows may have brought a scrollbar that takes width

    def current_story(self) -> str | None:
        key = self.current_key()
        return self.story_of.get(key) if key else None


def _source(r: LedgerRow) -> Text:
    """The feed a fact came from; "3 sources" when several stories report the same fact."""
    if r.sources > 1:
        return Text(f"{r.sources} sources", style="bold")
    return lit(r.source, "dim")


def user_mark(user: str, review: bool = False) -> Text:
    """The user's part in a fact: ✎ edited or confirmed, ✚ added, ✗ rejected; ? when the extraction has
    changed since (it waits for review)."""
    mark = {"edited": "✎", "confirmed": "✎", "added": "✚", "rejected": "✗"}.get(user, "")
    if not mark:
        return Text()
    return Text(mark + ("?" if review else "") + " ", style="bold yellow" if review else "bold magenta")


def _confirmed(text: Text, confirmed: bool, user: str = "", review: bool = False) -> Text:
    marks = user_mark(user, review)
    if confirmed and user != "added":
        marks = Text.assemble(("✓ ", "bold green"), marks)
    return Text.assemble(marks, text) if marks.plain else text



"""The dashboard's panes and the formatting they share.

Every string that came from a feed (titles, feed names, errors, evidence, amounts' parties) is rendered
through `lit()` as a `rich.text.Text`: never parsed as markup, control characters removed. DataTable `str`
cells and `border_title` strings parse markup, so nothing here hands them a feed `str`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Static

from feeds.text import strip_controls
from store import FactRow, InboxRow, LedgerRow, Negotiation, StoryDetail

# ------------------------------------------------------------------------------------------- formatting


def clean(value: object, *, one_line: bool = True, limit: int = 2_000) -> str:
    """A feed string made safe to show: no control characters, one line (for cells), bounded."""
    text = strip_controls("" if value is None else str(value))
    if one_line:
        text = " ".join(text.split())
    return text[:limit]


def lit(value: object, style: str = "", *, one_line: bool = True) -> Text:
    """Untrusted text as a literal `Text`: `[bold]` stays `[bold]`."""
    return Text(clean(value, one_line=one_line, limit=100_000 if not one_line else 2_000), style=style)


def title_content(label: str, value: object | None = None) -> Content:
    """A border title: our label plus, optionally, untrusted text kept literal."""
    if value is None:
        return Content(label)
    return Content.assemble(label, Content(clean(value, limit=80)))


CURRENCY_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "AUD": "A$", "CAD": "C$", "NZD": "NZ$", "JPY": "¥",
                    "CHF": "CHF ", "DKK": "DKK ", "SEK": "SEK ", "NOK": "NOK "}


def _trim(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def format_amount(amount: float | None, currency: str | None) -> str:
    """50000000, "GBP" → "£50m"; 1.5e9, "EUR" → "€1.5bn"; 12000, "USD" → "$12,000"."""
    code = (currency or "").upper()
    symbol = CURRENCY_SYMBOLS.get(code, f"{code} " if code else "")
    if amount is None:
        return f"{symbol.strip()} amount unknown".strip()
    sign = "-" if amount < 0 else ""
    n = abs(amount)
    if n >= 1e9:
        number = _trim(n / 1e9, 2) + "bn"
    elif n >= 1e6:
        number = _trim(n / 1e6, 2) + "m"
    elif n == int(n):
        number = f"{int(n):,}"
    else:
        number = f"{n:,.2f}"
    return f"{sign}{symbol}{number}"


def format_payment(fact: FactRow) -> str:
    """'UK → Rwanda £50m claimed' (plain str: the caller wraps it in Text)."""
    parts = f"{short_party(fact.payer)} → {short_party(fact.payee)}"
    amount = format_amount(fact.amount, fact.currency)
    if fact.amount_kind == "per-person":
        amount += " per person"
    elif fact.amount_kind == "tranche":
        amount += " tranche"
    return f"{parts} {amount} {fact.status or ''}".rstrip()


def format_date(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d")


def format_when(value: datetime | None, now: datetime) -> str:
    """A time relative to `now`, for the status line and feed health: 'in 4m', '2h ago'."""
    if value is None:
        return "—"
    seconds = (value - now).total_seconds()
    future = seconds >= 0
    s = abs(seconds)
    if s < 60:
        span = f"{int(s)}s"
    elif s < 3600:
        span = f"{int(s // 60)}m"
    elif s < 86400:
        span = f"{int(s // 3600)}h{int(s % 3600 // 60):02d}m"
    else:
        span = f"{int(s // 86400)}d"
    return f"in {span}" if future else f"{span} ago"


def flags_text(row: InboxRow) -> Text:
    """Four fixed cells: unread ●, starred ★, accepted ✓, contradiction ⚠."""
    text = Text()
    text.append("●" if row.unread else " ", "bold dodger_blue1")
    text.append("★" if row.starred else " ", "bold yellow")
    text.append("✓" if row.state == "accepted" else " ", "bold green")
    text.append("⚠" if row.conflicts else " ", "bold red")
    return text


def sources_text(row: InboxRow) -> Text:
    if row.cluster_size > 1:
        return Text(f"{row.cluster_size} reports", style="magenta")  # stories of its event; the preview names the outlets
    return lit(row.feeds[0] if row.feeds else "", "dim")


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
            order = [[k for k, w in flex if w == 1], [k for k in widths if k not in weight_of],
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

    def move_to_key(self, key: str | None) -> bool:
        if key is None or key not in self.rows:
            return False
        self.move_cursor(row=self.get_row_index(key), animate=False, scroll=True)
        return True


class InboxTable(PagedTable):
    """Stories, matched first, a cluster's stories together. Holds the ordered ids; shows a window of rows."""

    BINDINGS = [
        *NAV_BINDINGS,
        Binding("enter", "app.open_story", "Read", id="inbox.open"),
        *TRIAGE_BINDINGS,
    ]
    PAGE = 300
    COLUMNS = (("", "flags", 4, 0), ("Title", "title", 20, 4), ("Agreements", "agreements", 16, 0),
               ("Reports", "sources", 12, 0), ("Date", "date", 10, 0))

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
            lit(" ".join(row.agreements), "cyan"),
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


class LedgerTable(PagedTable):
    """A pane of facts; each row remembers the story it came from (enter shows it)."""

    BINDINGS = [*NAV_BINDINGS, Binding("enter", "app.show_source", "Show story", id="ledger.show")]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.story_of: dict[str, str] = {}
        self.loaded = 0

    def row_cells(self, item: object) -> tuple[str, str, tuple[Text, ...]]:
        """(row key, story id, cells)."""
        raise NotImplementedError

    def show(self, items: Sequence[object], *, more: bool) -> None:
        """Keyed diff: update changed rows, drop gone ones; refill only if the order changed."""
        cursor = self.current_key()
        built = [self.row_cells(i) for i in items]
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
        self.append_built([self.row_cells(i) for i in items])
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


def _confirmed(text: Text, confirmed: bool) -> Text:
    if confirmed:
        return Text.assemble(("✓ ", "bold green"), text)
    return text


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


_STAGE_STYLES = {"exploratory": "cyan", "negotiating": "cyan", "signed": "green", "implementing": "green",
                 "suspended": "yellow", "legally-challenged": "yellow", "struck-down": "red", "cancelled": "red"}


_SHORT_PARTIES = {"united kingdom": "UK", "united states": "US", "european union": "EU",
                  "the united kingdom": "UK", "the united states": "US", "the european union": "EU"}


def short_party(name: object) -> str:
    text = clean(name)
    return _SHORT_PARTIES.get(text.lower(), text) or "?"


class PaymentsTable(LedgerTable):
    # The amount comes first and has its own column: it is what a monitor scans for, and it must never be
    # the part a narrow pane cuts off.
    COLUMNS = (("Amount", "amount", 11, 0), ("Status", "status", 8, 0),
               ("Payer → payee", "parties", 18, 3), ("Source", "source", 8, 1))

    def row_cells(self, item: object) -> tuple[str, str, tuple[Text, ...]]:
        r: LedgerRow = item  # type: ignore[assignment]
        f = r.fact
        amount = format_amount(f.amount, f.currency)
        if f.amount_kind == "per-person":
            amount += "/person"
        elif f.amount_kind == "tranche":
            amount += " part"
        return str(f.id), f.story_id, (
            _confirmed(lit(amount, "bold"), r.confirmed),
            lit(f.status or "", "bold" if f.status in ("owed", "claimed") else ""),
            lit(f"{short_party(f.payer)} → {short_party(f.payee)}"), _source(r))


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


# ------------------------------------------------------------------------------------------- preview

_FACT_STYLES = {"stage": "black on cyan", "payment": "black on yellow", "warning": "black on magenta",
                "conflict": "white on red"}


def render_story(story: StoryDetail, titles: dict[str, str]) -> Text:
    """The preview of one story: header, the text with evidence highlighted, the facts found in it."""
    out = Text()
    out.append_text(lit(story.title, "bold"))
    out.append("\n")
    meta = [", ".join(clean(f) for f in story.feeds) or "no feed", format_date(story.published or story.first_seen)]
    if story.author and clean(story.author) not in {clean(f) for f in story.feeds}:  # not the outlet again
        meta.append(clean(story.author))
    out.append_text(lit(" · ".join(meta), "dim"))
    out.append("\n")
    if story.link:
        out.append_text(lit(story.link, "underline dim"))
        out.append("\n")
    if len(story.cluster_sources) > 1:
        out.append(f"{len(story.cluster_sources)} sources: ", "magenta")
        out.append_text(lit(", ".join(clean(s) for s in story.cluster_sources), "magenta"))
        out.append("\n")
    main = [m for m in story.matches if m.main]
    mentions = [m for m in story.matches if not m.main]
    if main:
        out.append("Agreements: ", "bold")
        out.append_text(lit(", ".join(titles.get(m.agreement_id, m.agreement_id) + (" (linked by you)" if m.source == "user" else "")
                                      for m in main), "cyan"))
        out.append("\n")
    if mentions:
        out.append("Mentions: ", "dim")
        out.append_text(lit(", ".join(m.agreement_id for m in mentions), "dim"))
        out.append("\n")
    state = [story.state]
    if story.unread:
        state.append("unread")
    if story.starred:
        state.append("★ starred")
    out.append(" · ".join(state), "italic")
    out.append("\n\n")

    body = lit(story.text, one_line=False)
    n = len(body.plain)
    # Offsets index the stored text; the gate already removed controls, so clean() keeps them valid.
    for m in story.matches:
        if m.ev_start is not None and m.ev_end is not None and 0 <= m.ev_start < m.ev_end <= n:
            body.stylize("underline", m.ev_start, m.ev_end)
    for f in story.facts:
        if f.ev_start is not None and f.ev_end is not None and 0 <= f.ev_start < f.ev_end <= n:
            body.stylize(_FACT_STYLES.get(f.kind, "reverse"), f.ev_start, f.ev_end)
    out.append_text(body)

    if story.facts:
        out.append("\n\nFacts\n", "bold underline")
        for f in story.facts:
            out.append_text(fact_line(f, titles))
            out.append("\n")
    return out


def fact_line(f: FactRow, titles: dict[str, str]) -> Text:
    agreement = titles.get(f.agreement_id or "", f.agreement_id or "")
    line = Text("  ")
    if f.kind == "stage":
        line.append("Stage    ", "bold cyan")
        line.append_text(lit(f"{agreement}: {f.stage}" + (f" ({f.happened})" if f.happened else "")))
    elif f.kind == "payment":
        line.append("Payment  ", "bold yellow")
        line.append_text(lit(format_payment(f)))
    elif f.kind == "warning":
        line.append("Warning  ", "bold magenta")
        line.append_text(lit(f"{f.speaker or '?'}: {f.concern or ''}"))
        if f.denied_by:
            line.append_text(lit(f" — denied by {f.denied_by}", "dim"))
    elif f.kind == "conflict":
        line.append("⚠ Conflict ", "bold red")
        line.append_text(lit(f"{agreement}: says {f.claim!s}; tracked timeline: {f.known!s}"))
    else:
        line.append_text(lit(f.kind))
    return line


class Preview(VerticalScroll):
    """The selected story. Focusable so it can scroll, and triage works from here too."""

    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False, id="preview.down"),
        Binding("k", "scroll_up", "Up", show=False, id="preview.up"),
        *TRIAGE_BINDINGS,
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, can_focus=True)
        self.story_id: str | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(Text("No story selected.", style="dim"), id="preview-body")

    def show(self, story: StoryDetail | None, titles: dict[str, str]) -> None:
        body = self.query_one("#preview-body", Static)
        if story is None:
            self.story_id = None
            body.update(Text("No story selected.", style="dim"))
            return
        if story.id != self.story_id:
            self.scroll_home(animate=False)
        self.story_id = story.id
        body.update(render_story(story, titles))


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

"""The dossier: one agreement whole. Its title and parties, where it stands and since when (on what source),
any conflict with the known timeline; the stage events beside the catalogue's known timeline; payments with
totals by status and currency, each payment once however many stories tell it; rights warnings; the
agreement's stories, a cluster's together. Enter on any row opens its story at the evidence; the fact keys
(e, x, c, n) correct what the extractor said.

The dossier is read on the app's db thread (`MigwatchApp.open_dossier`); this module only renders it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, Static

from feeds.models import TimelineEvent
from store import Dossier, DossierItem, FactRow, InboxRow, StoryDetail
from tui.footer import Footer
from tui.format import (
    _STAGE_STYLES,
    clean,
    flags_text,
    format_amount,
    format_date,
    lit,
    payment_amount,
    short_party,
)
from tui.panes.base import FACT_BINDINGS, NAV_BINDINGS, PagedTable, user_mark
from tui.panes.preview import render_story


def format_totals(totals: Sequence[tuple[str, str, float]]) -> str:
    """'paid £240m · pledged £50m · claimed £50m' (our words and numbers only)."""
    return " · ".join(f"{status} {format_amount(amount, currency)}" for status, currency, amount in totals)


def outlet_text(item: DossierItem) -> Text:
    text = lit(item.outlet or "—", "dim")
    if len(item.story_ids) > 1:
        text.append(f" +{len(item.story_ids) - 1}", "bold")
    return text


class DossierTable(PagedTable):
    """One section of the dossier; its rows are DossierItems (facts) or InboxRows (stories).

    The detail strip under the dossier shows the highlighted row's date, outlet and whole evidence, so a pane
    too narrow for every column drops those (DROP, in order) rather than cut the rest to a few letters; the
    columns that say what the fact is (WHOLE) are as wide as their longest cell."""

    BINDINGS = [*NAV_BINDINGS, Binding("enter", "app.dossier_open", "Open story", id="dossier.open"),
                *FACT_BINDINGS]
    DROP = ("outlet", "denied", "date")  # the detail strip shows them; dropped in this order when narrow
    WHOLE = frozenset({"stage", "amount", "status", "parties", "who", "concern"})
    WHOLE_MAX = 28  # a cell longer than this is cut (the strip has it whole)
    EVIDENCE_MIN = 30  # the evidence column narrower than this: drop the next expendable column

    def __init__(self, kind: str, columns: tuple[tuple[str, str, int, int], ...], *, id: str | None = None) -> None:
        self.SPEC = columns
        self.COLUMNS = columns
        self.KEEP = frozenset({"date", "stage", "amount", "status"} | self.WHOLE)  # the evidence gives way
        super().__init__(id=id, classes="dossier-table")
        self.kind = kind
        self.item_of: dict[str, DossierItem | InboxRow] = {}
        self._rows: list[tuple[str, tuple[Text, ...]]] = []  # every column's cells, shown or not

    def current_item(self) -> DossierItem | InboxRow | None:
        key = self.current_key()
        return self.item_of.get(key) if key else None

    def _shown(self, cells: tuple[Text, ...]) -> tuple[Text, ...]:
        if self.COLUMNS is self.SPEC:
            return cells
        keys = {c[1] for c in self.COLUMNS}
        return tuple(cell for (_l, key, _w, _f), cell in zip(self.SPEC, cells, strict=True) if key in keys)

    def fill(self, rows: Sequence[tuple[str, DossierItem | InboxRow, tuple[Text, ...]]]) -> None:
        cursor = self.current_key()
        self.clear()
        self.item_of = {}
        self._rows = []
        for key, item, cells in rows:
            self.item_of[key] = item
            self._rows.append((key, cells))
            self.add_row(*self._shown(cells), key=key)
        # clear() left the cursor on the first row and the table scrolled to the top: a cursor kept on the first
        # row needs no scrolling (a scroll forced after the first paint would paint the table twice).
        if cursor is not None and cursor in self.rows:
            self.move_to_key(cursor, scroll=self.get_row_index(cursor) > 0)
        self.call_after_refresh(self.fit_columns)

    def _columns_for(self, room: int) -> tuple[tuple[str, str, int, int], ...]:
        """The columns that fit `room`: the WHOLE ones as wide as their cells, the expendable ones dropped
        while the evidence would be narrower than EVIDENCE_MIN."""
        content: dict[str, int] = {}
        for index, (label, key, width, _flex) in enumerate(self.SPEC):
            if key in self.WHOLE:
                longest = max((self._rows[n][1][index].cell_len for n in range(len(self._rows))), default=0)
                content[key] = max(width, len(label), min(longest, self.WHOLE_MAX))
        columns = [(label, key, content.get(key, width), 0 if key in self.WHOLE else flex)
                   for label, key, width, flex in self.SPEC]
        if not any(key == "evidence" for _l, key, _w, _f in columns):
            return tuple(columns)
        for drop in self.DROP:
            fixed = sum(w + 2 * self.cell_padding for _l, k, w, _f in columns if k != "evidence")
            if room - fixed - 2 * self.cell_padding >= self.EVIDENCE_MIN:
                break
            columns = [c for c in columns if c[1] != drop]
        return tuple(columns)

    def fit_columns(self) -> None:
        if not self.size.width:
            return
        columns = self._columns_for(self.scrollable_content_region.width)
        if [c[1] for c in columns] != [c[1] for c in self.COLUMNS]:
            cursor = self.current_key()
            self.COLUMNS = columns
            self.clear(columns=True)
            for label, key, width, _flex in columns:
                self.add_column(label, key=key, width=width)
            for key, cells in self._rows:
                self.add_row(*self._shown(cells), key=key)
            if cursor is not None and cursor in self.rows:
                self.move_to_key(cursor, scroll=False)
        else:
            self.COLUMNS = columns
        super().fit_columns()


def _fact_cells(item: DossierItem) -> tuple[Text, ...]:
    f = item.fact
    evidence = lit(f.evidence or f.note or "", "italic")
    if f.user == "added" and f.user_link:
        evidence.append_text(lit(f" {f.user_link}", "underline dim"))
    date = Text(item.when[:10] or "—")
    if f.kind == "stage":
        stage = Text.assemble(user_mark(f.user, f.review), lit(f.stage or "?", _STAGE_STYLES.get(f.stage or "", "")))
        if item.conflict:
            stage = Text.assemble(("⚠ ", "bold red"), stage)
        return date, stage, outlet_text(item), evidence
    if f.kind == "payment":
        return (date, Text.assemble(user_mark(f.user, f.review), lit(payment_amount(f), "bold")),
                lit(f.status or "", "bold" if f.status in ("owed", "claimed") else ""),
                lit(f"{short_party(f.payer)} → {short_party(f.payee)}"), outlet_text(item), evidence)
    return (date, Text.assemble(user_mark(f.user, f.review), lit(f.speaker or "?", "bold")), lit(f.concern or ""),
            lit(f.denied_by or "", "dim"), outlet_text(item), evidence)


def _story_cells(row: InboxRow) -> tuple[Text, ...]:
    outlet = Text(f"{row.cluster_size} reports", "magenta") if row.cluster_size > 1 else \
        lit(row.feeds[0] if row.feeds else "", "dim")
    return (Text(format_date(row.published or row.first_seen)), flags_text(row),
            lit(row.title, "bold" if row.unread else ""), outlet)


def render_detail(item: DossierItem | InboxRow | None) -> Text:
    """The detail strip: the highlighted row whole — its date, outlet, and evidence sentence (wrapped)."""
    out = Text()
    if item is None:
        return out
    if isinstance(item, InboxRow):
        out.append_text(lit(item.title, "bold"))
        out.append("\n")
        out.append(format_date(item.published or item.first_seen), "dim")
        out.append(" · ", "dim")
        out.append_text(lit(", ".join(item.feeds) or "—", "dim"))
        return out
    f = item.fact
    out.append(item.when[:10] or "—", "bold")
    out.append(" · ", "dim")
    out.append_text(outlet_text(item))
    if f.kind == "warning" and f.denied_by:
        out.append(" · denied by ", "dim")
        out.append_text(lit(f.denied_by))
    out.append("\n")
    evidence = f.evidence or f.note or ""
    if evidence:
        out.append("“", "dim")
        out.append_text(lit(evidence, "italic"))
        out.append("”", "dim")
    else:
        out.append("no evidence sentence", "dim")
    if f.user == "added" and f.user_link:
        out.append_text(lit(f" {f.user_link}", "underline dim"))
    return out


def render_head(d: Dossier, timeline: Sequence[TimelineEvent]) -> Text:
    out = Text()
    out.append_text(lit(d.title, "bold"))
    out.append("  ")
    out.append_text(lit(d.agreement_id, "cyan"))
    out.append("\n")
    out.append("Parties: ", "bold")
    out.append_text(lit(", ".join(clean(p) for p in d.parties) or "—"))
    out.append(f"  ·  {d.story_count:,} {'story' if d.story_count == 1 else 'stories'}\n", "dim")
    out.append("Stage: ", "bold")
    if d.stage is None:
        out.append("no stage reported yet", "dim")
    else:
        f = d.stage.fact
        out.append_text(user_mark(f.user, f.review))
        out.append_text(lit(f.stage or "?", "bold " + _STAGE_STYLES.get(f.stage or "", "")))
        out.append(f" since {d.stage.when or '—'}")
        out.append(" — ", "dim")
        out.append_text(lit(d.stage.outlet or "—", "dim"))
        if d.stage.fact.evidence:
            out.append("\n  “", "dim")
            out.append_text(lit(d.stage.fact.evidence, "italic"))
            out.append("”", "dim")
    known = [t for t in timeline if t.stage]
    if known and d.stage is not None and known[-1].stage != d.stage.fact.stage:
        out.append("\n")
        out.append("⚠ ", "bold red")
        out.append(f"the known timeline's last stage is {known[-1].stage} ({known[-1].date})", "red")
    for c in d.conflicts:
        out.append("\n")
        out.append("⚠ conflict: ", "bold red")
        out.append_text(lit(f"{c.outlet or 'a story'} ({c.when[:10]}) says “{c.fact.claim}”; "
                            f"the known timeline: {c.fact.known}"))
    out.append("\n")
    out.append("Payments: ", "bold")
    if not d.totals:
        out.append("none reported", "dim")
    user = set(d.user_totals)
    for n, (status, currency, amount) in enumerate(d.totals):
        if n:
            out.append(" · ")
        if (status, currency) in user:  # a correction of the user's went into this total, as the rows say
            out.append_text(user_mark("edited"))
        out.append(f"{status} {format_amount(amount, currency)}")
    payments = max(d.payment_count, len(d.payments))  # the count: the screen's dossier holds the first lines
    if payments:
        out.append(f"  ({payments} payment{'s' if payments != 1 else ''}, each counted once)", "dim")
    return out


def render_timeline(timeline: Sequence[TimelineEvent]) -> Text:
    out = Text()
    out.append("Known timeline", "bold underline")
    out.append(" (catalogue)\n", "dim")
    if not timeline:
        out.append("none in the catalogue", "dim")
    for t in timeline:
        out.append(f"{t.date:<10} ", "bold")
        if t.stage:
            out.append(t.stage, _STAGE_STYLES.get(t.stage, ""))
            out.append(" ")
        out.append_text(lit(t.note, "dim"))
        out.append("\n")
    return out


EVENT_COLUMNS = (("Date", "date", 10, 0), ("Stage", "stage", 20, 0), ("Outlet", "outlet", 12, 1),
                 ("Evidence", "evidence", 20, 4))
PAYMENT_COLUMNS = (("Date", "date", 10, 0), ("Amount", "amount", 12, 0), ("Status", "status", 8, 0),
                   ("Payer → payee", "parties", 16, 2), ("Outlet", "outlet", 12, 1), ("Evidence", "evidence", 20, 4))
WARNING_COLUMNS = (("Date", "date", 10, 0), ("Who", "who", 14, 2), ("Concern", "concern", 14, 2),
                   ("Denied by", "denied", 8, 1), ("Outlet", "outlet", 12, 1), ("Evidence", "evidence", 20, 4))
STORY_COLUMNS = (("Date", "date", 10, 0), ("", "flags", 4, 0), ("Title", "title", 30, 4),
                 ("Reports", "outlet", 12, 1))


ROWS = 40  # lines a dossier table shows; `migwatch export dossier` has them all


def _more(total: int, shown: int) -> str:
    return f" (the newest {shown:,} of {total:,}; the export has all)" if total > shown else ""


class DossierScreen(Screen[None]):
    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back", id="dossier.close")]

    def __init__(self, agreement_id: str) -> None:
        super().__init__()
        self.agreement_id = agreement_id
        self.dossier: Dossier | None = None
        self._pending_show: tuple[Dossier, Sequence[TimelineEvent]] | None = None
        # The app's CSS generation and terminal focus when this screen was last on screen, styled.
        self._styled_at: tuple[int, bool] | None = None

    def post_message(self, message: Message) -> bool:
        # Pushed again: Textual restyles every node of a pushed screen (each table's component styles too), and
        # each restyled node repaints again after the first paint. The styles of this screen, styled while it
        # was last on screen, are stale only if the app's CSS changed since (a theme: Textual counts those) or the
        # terminal's focus did (Textual restyles the current screen alone for that).
        if isinstance(message, events.ScreenResume) and message.refresh_styles \
                and self._styled_at == (self.app._css_update_count, self.app.app_focus):
            message = events.ScreenResume(refresh_styles=False)
        return super().post_message(message)

    def on_screen_suspend(self) -> None:
        self._styled_at = (self.app._css_update_count, self.app.app_focus)

    def on_mount(self) -> None:
        if self._pending_show is not None:
            d, timeline = self._pending_show
            self._pending_show = None
            self.show(d, timeline)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dossier-body") as body:
            body.border_title = Content(f"Dossier — {self.agreement_id}")
            yield Static(Text("Loading…", style="dim"), id="dossier-head")
            with Horizontal(id="dossier-timeline-row"):
                with Vertical(id="dossier-events-box"):
                    yield Label(Content("Timeline — what the news says"), id="dossier-events-label",
                                classes="dossier-section")
                    yield DossierTable("stage", EVENT_COLUMNS, id="dossier-events")
                yield Static(id="dossier-known")
            yield Label(Content("Payments"), id="dossier-payments-label", classes="dossier-section")
            yield DossierTable("payment", PAYMENT_COLUMNS, id="dossier-payments")
            yield Label(Content("Rights warnings"), id="dossier-warnings-label", classes="dossier-section")
            yield DossierTable("warning", WARNING_COLUMNS, id="dossier-warnings")
            yield Label(Content("Stories"), id="dossier-stories-label", classes="dossier-section")
            yield DossierTable("story", STORY_COLUMNS, id="dossier-stories")
            yield Static(id="dossier-rejected")
        yield Static(id="dossier-detail")
        yield Footer()

    def show(self, d: Dossier, timeline: Sequence[TimelineEvent], *, fresh: bool = False) -> None:
        """Fill the screen (fresh: the screen reused for another agreement: start at the top)."""
        if not self.query("#dossier-head"):  # installed, not yet composed: on_mount fills it
            self._pending_show = (d, timeline)
            return
        self.dossier = d
        self.query_one("#dossier-body").border_title = Content.assemble("Dossier — ", Content(clean(d.title, limit=60)))
        self.query_one("#dossier-head", Static).update(render_head(d, timeline))
        self.query_one("#dossier-known", Static).update(render_timeline(timeline))
        # A table shows the newest ROWS lines (the export has every one): a dossier opens at once however
        # many stories the agreement has.
        for table_id, label_id, label, items, count in (
                ("#dossier-events", "#dossier-events-label", "Timeline — what the news says", d.events,
                 d.event_count),
                ("#dossier-payments", "#dossier-payments-label", "Payments", d.payments, d.payment_count),
                ("#dossier-warnings", "#dossier-warnings-label", "Rights warnings", d.warnings, d.warning_count)):
            self.query_one(table_id, DossierTable).fill(
                [(f"{i.fact.kind}:{i.fact.id}:{n}", i, _fact_cells(i)) for n, i in enumerate(items[:ROWS])])
            self.query_one(label_id, Label).update(Content(label + _more(max(count, len(items)), ROWS)))
        stories = d.stories[:ROWS]
        self.query_one("#dossier-stories", DossierTable).fill([(r.id, r, _story_cells(r)) for r in stories])
        self.query_one("#dossier-stories-label", Label).update(Content("Stories" + _more(d.story_count, len(stories))))
        rejected = Text()
        if d.rejected:
            rejected.append("Rejected by you (counted nowhere; z undoes)\n", "bold")
            for r in d.rejected:
                rejected.append("  ✗ ", "bold magenta")
                rejected.append_text(lit(_describe(r), "strike dim"))
                rejected.append("\n")
        self.query_one("#dossier-rejected", Static).update(rejected)
        focused = self.focused
        if fresh or not isinstance(focused, DossierTable):
            # Focus once, after the content is in: the first table with rows (a screen reused for another
            # agreement starts there too). Set directly, not cleared first: each focus change refreshes the
            # screen's bindings, and the same table focused again changes nothing.
            first = next((t for t in self.query(DossierTable) if t.row_count), None)
            # The head (stage, conflicts, totals) stays in view: focus without scrolling to the table.
            self.set_focus(first or self.query_one("#dossier-stories", DossierTable), scroll_visible=False)
            body = self.query_one("#dossier-body", VerticalScroll)
            body.scroll_to(0, 0, animate=False, immediate=True)

        self.update_detail()

    def current(self) -> DossierItem | InboxRow | None:
        focused = self.focused
        return focused.current_item() if isinstance(focused, DossierTable) else None

    def update_detail(self) -> None:
        """The detail strip follows the focused table's cursor."""
        if self.query("#dossier-detail"):
            self.query_one("#dossier-detail", Static).update(render_detail(self.current()))

    def on_data_table_row_highlighted(self) -> None:
        self.update_detail()

    def on_descendant_focus(self) -> None:
        self.update_detail()


def _describe(item: DossierItem) -> str:
    f = item.fact
    if f.kind == "stage":
        return f"{item.when[:10]} {f.stage} — {item.outlet}"
    if f.kind == "payment":
        return f"{short_party(f.payer)} → {short_party(f.payee)} {payment_amount(f)} {f.status} — {item.outlet}"
    return f"{f.speaker}: {f.concern} — {item.outlet}"


class StoryScreen(Screen[None]):
    """One story opened from the dossier, scrolled to the evidence of the fact it was opened on."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back", id="story.close"),
                Binding("o", "app.open_link", "Open link", id="story.open_link"),
                Binding("j", "scroll_down", "Down", show=False, id="story.down"),
                Binding("k", "scroll_up", "Up", show=False, id="story.up")]

    def __init__(self, story: StoryDetail, titles: dict[str, str], focus: FactRow | None = None) -> None:
        super().__init__()
        self.story = story
        self.titles = titles
        self.focus_fact = focus

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="story-body") as body:
            body.border_title = Content.assemble("Story — ", Content(clean(self.story.title, limit=60)))
            yield Static(render_story(self.story, self.titles, focus=self.focus_fact), id="story-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#story-body").focus()
        self.call_after_refresh(self._scroll_to_evidence)

    def _scroll_to_evidence(self) -> None:
        f = self.focus_fact
        if f is None or not f.evidence:
            return
        text = render_story(self.story, self.titles, focus=f)
        at = text.plain.find(f.evidence)
        if at < 0:
            return
        body = self.query_one("#story-body", VerticalScroll)
        width = max(body.scrollable_content_region.width, 20)
        consumed = 0
        for line_no, line in enumerate(text.wrap(self.app.console, width)):
            consumed += len(line.plain) + 1
            if consumed > at:
                body.scroll_to(y=max(line_no - 2, 0), animate=False)
                return

    def action_scroll_down(self) -> None:
        self.query_one("#story-body", VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#story-body", VerticalScroll).scroll_up()

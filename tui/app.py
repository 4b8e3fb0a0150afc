"""The migwatch dashboard: an inbox, a preview, three ledger panes and a status line over one SQLite file.

Threads and connections (SQLite connections belong to the thread that opened them):
- the UI thread keeps one read `Store` for cheap, indexed lookups (a story for the preview, a page of rows);
- one "db" thread (a single-worker executor) owns a second `Store`: every triage write runs there, in the
  order the keys were pressed, and so do the heavier reads that rebuild the panes (the inbox ordering
  over every story), so a reload always sees the writes made before it;
- polling is one async worker on the App (`feeds.pipeline.Poller`, which parses in a process pool and
  writes in its own thread); a round ends in one message and one `batch_update()`.
"""

from __future__ import annotations

import asyncio
import time
import webbrowser
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Tab, Tabs

from feeds.config import Settings
from feeds.text import MAX_LINK, link_was_cut, plural
from store import Counts, DossierItem, FactRow, InboxRow, LedgerRow, Negotiation, Store, StoreError
from store.corrections import CorrectionError
from tui.footer import Footer
from tui.panes import negotiations as negotiations_pane
from tui.panes import payments as payments_pane
from tui.panes import warnings as warnings_pane
from tui.panes.dossier import ROWS as DOSSIER_ROWS
from tui.panes.dossier import DossierScreen, DossierTable, StoryScreen
from tui.panes.facts import FactForm, initial_values
from tui.screens import FeedHealthScreen, HelpScreen, PickerScreen, SearchScreen
from tui.widgets import (
    InboxTable,
    LedgerTable,
    NegotiationsTable,
    PagedTable,
    PaymentsTable,
    Preview,
    StatusLine,
    WarningsTable,
    clean,
    format_when,
    lit,
)

HERE = Path(__file__).parent
INBOX_PAGE = 300
INBOX_REST_CHUNK = 2000  # rows per step when G loads the rest of a long inbox
FAST_FIRST_ABOVE = 5_000  # stories; above this the first load shows the newest ones' page first
LEDGER_PAGE = 200
MAX_NOTIFICATIONS = 2  # stories named in a round's one note; the rest are counted
LIVE_RELOAD_SECONDS = 3.0  # during a round, how often the panes are re-read while new stories arrive
# ... while the database is small enough for that to be cheap (a first run, filling up); on a big one the
# inbox is full anyway and re-reading it costs the round time, so it waits for the round's end
LIVE_RELOAD_MAX_STORIES = 20_000
MIN_POLL_DELAY = 5.0
PREVIEW_DELAY = 0.05

Clock = Callable[[], datetime]
W = TypeVar("W", bound=Widget)
PollerFactory = Callable[[Settings, Path, Any], Any]


# ------------------------------------------------------------------------------------------- queries
#
# The inbox order is an index walk in the store (Store.inbox_ids); the dashboard reads the ordering once
# per reload, off the UI thread, and pages by slicing it and fetching rows by primary key (ms).


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the panes show, read in one go on the db thread."""

    ids: list[str]
    rows: list[InboxRow]  # with `ids` empty and no rows: the inbox was not re-read (keep it)
    negotiations: list[Negotiation]
    payments: list[LedgerRow]
    warnings: list[LedgerRow]
    counts: Counts | None  # None: not read in this step (keep the counts shown)
    titles: dict[str, str]
    more_payments: bool
    more_warnings: bool
    unread: int | None = None  # unread stories in the filtered or searched view (None: counts.unread)
    articles: dict[str, int] | None = None  # stories by what happened to their article
    ledger: bool = True  # False: the ledger panes were not read (the first page at start-up): keep them


def load_snapshot(store: Store, *, agreement: str | None, query: str | None, inbox_rows_wanted: int,
                  payments_wanted: int = LEDGER_PAGE, warnings_wanted: int = LEDGER_PAGE,
                  inbox: bool = True, recent: int | None = None, ledger: bool = True) -> Snapshot:
    """What the panes show. recent: only the newest N of the inbox's order and the counts (the first page
    of a big database); ledger=False: the inbox's whole ordering alone (the panes and counts come next)."""
    if inbox:
        # `recent`: only the first N of the order, a fast first page at start-up.
        ids = store.inbox_ids(agreement=agreement, query=query, limit=recent if recent is not None else -1)
        rows = store.inbox_rows(ids[:max(INBOX_PAGE, inbox_rows_wanted)])
    else:
        ids, rows = [], []
    if recent is not None:
        # The first page at start-up: the inbox alone paints sooner; the panes (and the articles' counts,
        # a scan of every story) come with the full load.
        return Snapshot(ids=ids, rows=rows, negotiations=[], payments=[], warnings=[], counts=store.counts(),
                        titles=store.agreement_titles(), more_payments=False, more_warnings=False, ledger=False)
    unread = len(store.inbox_ids(agreement=agreement, query=query, unread_only=True)) \
        if inbox and (agreement or query) else None
    if not ledger:
        return Snapshot(ids=ids, rows=rows, negotiations=[], payments=[], warnings=[], counts=None,
                        titles=store.agreement_titles(), more_payments=False, more_warnings=False, ledger=False,
                        unread=unread)
    payments = payments_pane.query(store, agreement, payments_wanted + 1)
    warnings = warnings_pane.query(store, agreement, warnings_wanted + 1)
    negotiations = negotiations_pane.query(store, agreement)
    return Snapshot(ids=ids, rows=rows, negotiations=negotiations, payments=payments[:payments_wanted],
                    warnings=warnings[:warnings_wanted], counts=store.counts(), titles=store.agreement_titles(),
                    more_payments=len(payments) > payments_wanted, more_warnings=len(warnings) > warnings_wanted,
                    unread=unread, articles=store.article_counts())


# ------------------------------------------------------------------------------------------- the app


def _default_poller_factory(settings: Settings, db_path: Path, catalogue: Any) -> Any:
    from feeds.pipeline import Poller

    return Poller(settings, db_path, catalogue)


def _load_catalogue(settings: Settings) -> Any:
    try:
        from feeds.agreements import load_catalogue
    except ImportError:
        return list(settings.agreements)
    return load_catalogue(settings.agreements)


PANE_NAMES = {"inbox": "Inbox", "preview": "Preview", "negotiations": "Negotiations", "payments": "Payments",
              "warnings": "Rights warnings", "dossier-events": "Dossier: timeline",
              "dossier-payments": "Dossier: payments", "dossier-warnings": "Dossier: rights warnings",
              "dossier-stories": "Dossier: stories", "story-body": "Story"}


LEDGER_TABS = (("negotiations", "Negotiations"), ("payments", "Payments"), ("warnings", "Rights warnings"))
NARROW = 150  # columns: below, the ledger panes are tabs and the inbox and preview take turns


def _row_date(row: Any, fact: FactRow | None) -> str | None:
    """The date a fact row shows: the fact's own, else its story's (a dossier line, a ledger row, the
    Negotiations row's `since`)."""
    if fact is not None and fact.happened:
        return fact.happened
    if isinstance(row, DossierItem):
        return row.when or None
    if isinstance(row, LedgerRow):
        return row.published.date().isoformat() if row.published else None
    if isinstance(row, Negotiation):
        return row.since or None
    return None


class MigwatchApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "migwatch"
    ENABLE_COMMAND_PALETTE = True
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW, "-wide")]
    NOTIFICATION_TIMEOUT = 3  # a note never covers a pane for long

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        # Ctrl-C ends the dashboard as it ends every command, with 130 (Textual would only say how to quit)
        Binding("ctrl+c", "interrupt", "Quit", show=False, id="app.interrupt"),
        Binding("r", "refresh", "Refresh", id="app.refresh"),
        Binding("slash", "search", "Search", id="app.search"),
        Binding("f", "filter", "Filter", id="app.filter"),
        Binding("z", "undo", "Undo", id="triage.undo"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("h,F", "feeds", "Feeds", id="app.feeds"),
        Binding("d", "dossier", "Dossier", id="app.dossier"),
        Binding("ctrl+r", "reload_config", "Reload config", show=False, id="app.reload_config"),
        Binding("escape", "clear_filters", "Clear filter", show=False, id="app.clear"),
        Binding("right_square_bracket", "ledger_tab(1)", "Next ledger tab", show=False, id="app.ledger_next"),
        Binding("left_square_bracket", "ledger_tab(-1)", "Previous ledger tab", show=False, id="app.ledger_prev"),
    ]

    class RoundFinished(Message):
        def __init__(self, result: Any) -> None:
            super().__init__()
            self.result = result

    class RoundFailed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(
        self,
        settings: Settings,
        db_path: Path,
        poller_factory: PollerFactory | None = None,
        clock: Clock | None = None,
        *,
        autopoll: bool = True,
        demo: bool = False,
        url_opener: Callable[[str], object] | None = None,
        start_dossier: str | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.db_path = Path(db_path)
        self.poller_factory = poller_factory or _default_poller_factory
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.autopoll = autopoll
        self.demo = demo
        self.url_opener = url_opener or webbrowser.open
        self.store: Store | None = None
        self._db_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="migwatch-ui-db")
        self._db_store: Store | None = None
        self.titles: dict[str, str] = {}
        self.filter_agreement: str | None = None
        self.search_query: str | None = None
        self.counts: Counts | None = None
        self._view_unread: int | None = None  # the inbox title's unread count, kept up to date by triage
        self._pending: dict[str, InboxRow] = {}  # optimistic rows whose write has not landed yet
        self._writes_in_flight = 0
        self._last_saved = ""
        self._progress: Any = None
        self._reloaded_at = 0.0  # monotonic time of the last reload during a round
        self._reloaded_at_new = 0  # the round's new-story count at that reload
        self._polling = False
        self._poll_error: str | None = None
        self._last_round: Any = None
        self._next_poll_at: datetime | None = None
        self._force_poll = False
        self._wake: asyncio.Event | None = None
        self._status_dirty = True
        self._reload_generation = 0
        self.loaded: asyncio.Event | None = None  # set in on_mount (needs the loop)
        self.ordered: asyncio.Event | None = None  # set once the inbox has the exact order of every story
        self._select_after_reload: str | None = None
        self._poller: Any = None
        self._preview_timer: Any = None
        self._catalogue: dict[str, Any] | None = None
        self.article_counts: dict[str, int] = {}
        self.last_dossier_ms = 0.0  # how long the last dossier took to read (bench/dashboard_scale.py)
        self.last_correction_ms = 0.0
        self.start_dossier = start_dossier
        self._dossier_after_round: str | None = None

    # ----------------------------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        with Vertical(id="main"):
            with Horizontal(id="top"):
                yield InboxTable(id="inbox")
                yield Preview(id="preview")
            with Vertical(id="ledger-area"):
                # Below NARROW columns the three ledger panes are tabs (the strip is hidden when wide).
                yield Tabs(*(Tab(label, id=f"tab-{pane}") for pane, label in LEDGER_TABS), id="ledger-tabs")
                with Horizontal(id="ledgers"):
                    yield NegotiationsTable(id="negotiations")
                    yield PaymentsTable(id="payments", classes="-tab-hidden")
                    yield WarningsTable(id="warnings", classes="-tab-hidden")
        yield StatusLine(id="status")
        yield Footer()

    @property
    def inbox(self) -> InboxTable:
        return self.main_query_one("#inbox", InboxTable)

    @property
    def preview(self) -> Preview:
        return self.main_query_one("#preview", Preview)

    def on_mount(self) -> None:
        self.loaded = asyncio.Event()
        self.ordered = asyncio.Event()
        self._wake = asyncio.Event()
        if self.settings.keys:
            self.set_keymap(dict(self.settings.keys))
        self.sub_title = "demo" if self.demo else str(self.db_path)
        for pane_id, label in list(PANE_NAMES.items())[:5]:  # the main screen's panes
            self.main_query_one(f"#{pane_id}").border_title = Content(label)
        try:
            self.store = Store(self.db_path)
        except StoreError as exc:
            self.exit(return_code=2, message=str(exc))
            return
        self.titles = self.store.agreement_titles()
        self.inbox.focus()
        if self.start_dossier:
            # `migwatch --agreement ID`: the dashboard filtered to the agreement, its dossier on top.
            self.filter_agreement = self.start_dossier
            self.open_dossier(self.start_dossier)
        self.reload()
        self.set_interval(0.5, self._tick)
        if self.autopoll:
            self.start_polling()

    async def on_unmount(self) -> None:
        self.workers.cancel_group(self, "poll")
        if self._poller is not None:
            poller, self._poller = self._poller, None
            try:
                await poller.aclose()
            except Exception:
                pass
        # Let queued writes land, then close each connection on its own thread.
        def close_db() -> None:
            if self._db_store is not None:
                self._db_store.close()

        try:
            await asyncio.get_running_loop().run_in_executor(self._db_pool, close_db)
        except RuntimeError:
            pass
        self._db_pool.shutdown(wait=True)
        if self.store is not None:
            self.store.close()

    # ----------------------------------------------------------------------------------- db thread

    def _db(self) -> Store:
        """The db thread's Store; only ever called on that thread."""
        if self._db_store is None:
            self._db_store = Store(self.db_path)
        return self._db_store

    async def on_db(self, fn: Callable[[Store], Any]) -> Any:
        """Run fn(store) on the db thread, in submission order."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db_pool, lambda: fn(self._db()))

    # ----------------------------------------------------------------------------------- loading

    def reload(self, *, inbox: bool = True) -> None:
        """Re-read the panes (in the db thread) and apply them in one batch.

        inbox=False: only the ledgers and counts (after accept/dismiss, whose inbox change is already shown).
        On a big database the first load shows a page ordered from the newest stories at once, then the
        exact ordering over every story.
        """
        self._reload_generation += 1
        fast_first = inbox and not self.inbox.row_count
        self._reload(self._reload_generation, self.filter_agreement, self.search_query,
                     len(self.inbox.shown), self._ledger_loaded("#payments"), self._ledger_loaded("#warnings"),
                     inbox, fast_first)

    def main_query_one(self, selector: str, expect_type: type[W] = Widget) -> W:  # type: ignore[assignment]
        """A widget of the main screen, whatever screen (help, picker, feed health) is on top."""
        return self.screen_stack[0].query_one(selector, expect_type)

    def _ledger_loaded(self, selector: str) -> int:
        return max(LEDGER_PAGE, self.main_query_one(selector, LedgerTable).loaded)

    @work(group="reload", exit_on_error=False)
    async def _reload(self, generation: int, agreement: str | None, query: str | None, inbox_wanted: int,
                      payments_wanted: int, warnings_wanted: int, inbox: bool, fast_first: bool) -> None:
        load = partial(load_snapshot, agreement=agreement, query=query, inbox_rows_wanted=min(inbox_wanted, 2000),
                       payments_wanted=min(payments_wanted, 2000), warnings_wanted=min(warnings_wanted, 2000))
        try:
            if fast_first and self.store is not None and self._story_count() > FAST_FIRST_ABOVE:
                # A big database: the newest page, then the exact order of every story, then the ledger panes
                # and the counts, each shown as it arrives (at a million stories the panes take seconds).
                snapshot = await self.on_db(partial(load, recent=FAST_FIRST_ABOVE))
                if generation != self._reload_generation:
                    return
                self.apply_snapshot(snapshot, partial_inbox=True)
                snapshot = await self.on_db(partial(load, ledger=False))
                if generation != self._reload_generation:
                    return
                self.apply_snapshot(snapshot)
                inbox = False
            snapshot = await self.on_db(partial(load, inbox=inbox))
        except Exception as exc:  # noqa: BLE001 - say so; never leave the inbox silently empty
            if generation == self._reload_generation:
                what = f"search “{clean(query, limit=40)}”" if query else "the inbox"
                self.notify(f"Could not load {what}: {clean(str(exc), limit=200)}", title="Not loaded",
                            severity="error", markup=False, timeout=6)
            return
        if generation != self._reload_generation:
            return  # a newer reload (another filter) is on its way
        self.apply_snapshot(snapshot, keep_inbox=not inbox)

    def _story_count(self) -> int:
        assert self.store is not None
        return int(self.store.conn.execute("SELECT max(rowid) FROM stories").fetchone()[0] or 0)

    def apply_snapshot(self, snap: Snapshot, *, keep_inbox: bool = False, partial_inbox: bool = False) -> None:
        with self.batch_update():
            self.titles = snap.titles
            if snap.counts is not None:
                self.counts = snap.counts
            if snap.articles is not None:
                self.article_counts = snap.articles
            if not keep_inbox and (snap.unread is not None or snap.counts is not None):
                self._view_unread = snap.unread if snap.unread is not None else snap.counts.unread  # type: ignore[union-attr]
            was_empty = not self.inbox.row_count
            if not keep_inbox:
                ids = [i for i in snap.ids if not (i in self._pending and self._pending[i].state == "dismissed")]
                wanted = set(ids)
                rows = [self._pending.get(r.id, r) for r in snap.rows if r.id in wanted]
                self.inbox.show(ids, rows)
                if partial_inbox:
                    self.inbox.exhausted = True  # no paging until the full ordering has arrived
            if self._select_after_reload is not None:
                if self.inbox.move_to_key(self._select_after_reload):
                    self.preview.story_id = None
                self._select_after_reload = None
            if snap.ledger:
                self.main_query_one("#negotiations", NegotiationsTable).show(snap.negotiations, more=False)
                self.main_query_one("#payments", PaymentsTable).show(snap.payments, more=snap.more_payments)
                self.main_query_one("#warnings", WarningsTable).show(snap.warnings, more=snap.more_warnings)
            self._update_titles()
            if was_empty or self.preview.story_id is None or self.preview.story_id not in self.inbox.shown:
                self.show_preview(self.inbox.current_key())
            else:
                self.show_preview(self.preview.story_id)
            self._status_dirty = True
            self._update_status()
        if self.loaded is not None and (self.inbox.row_count or not snap.ids):
            self.loaded.set()
        if self.ordered is not None and not keep_inbox and not partial_inbox:
            self.ordered.set()

    def _update_titles(self) -> None:
        label = f"Inbox — {plural(len(self.inbox.ids), 'story', 'stories')}"
        if self._view_unread is not None:
            label += f", {max(self._view_unread, 0):,} unread"
        extra: list[Content] = [Content(label)]
        if self.filter_agreement:
            extra.append(Content(" — agreement: "))
            extra.append(Content(clean(self.titles.get(self.filter_agreement, self.filter_agreement), limit=40)))
        if self.search_query:
            extra.append(Content(" — search: "))
            extra.append(Content(clean(self.search_query, limit=40)))
        self.inbox.border_title = Content.assemble(*extra)

    @on(PagedTable.NeedMore)
    def _page_more(self, event: PagedTable.NeedMore) -> None:
        if self.store is None:
            return
        table = event.table
        if table.exhausted or table.cursor_row < table.row_count - table.PREFETCH:
            return  # already served by an earlier message
        if isinstance(table, InboxTable):
            start = len(table.shown)
            ids = table.ids[start:start + INBOX_PAGE]
            if ids:
                table.append_rows(self.store.inbox_rows(ids))
            table.exhausted = len(table.shown) >= len(table.ids)
        elif isinstance(table, PaymentsTable | WarningsTable):
            pane = payments_pane if isinstance(table, PaymentsTable) else warnings_pane
            items = pane.query(self.store, self.filter_agreement, LEDGER_PAGE + 1, table.loaded)
            table.append(items[:LEDGER_PAGE], more=len(items) > LEDGER_PAGE)

    @on(InboxTable.NeedAll)
    def _inbox_to_end(self) -> None:
        self._load_rest_of_inbox()

    @work(group="inbox-end", exclusive=True, exit_on_error=False)
    async def _load_rest_of_inbox(self) -> None:
        """The rest of the inbox's rows, a chunk at a time so keys and paint get through, then the last row."""
        table = self.inbox
        remaining = len(table.ids) - len(table.shown)
        if remaining > 10 * INBOX_REST_CHUNK:
            self.notify(f"Loading {remaining:,} more stories to reach the last…", timeout=4, markup=False)
        while not table.exhausted:
            ids = table.ids[len(table.shown):len(table.shown) + INBOX_REST_CHUNK]
            if not ids:
                break
            table.append_rows(await self.on_db(lambda s, ids=ids: s.inbox_rows(ids)))  # type: ignore[misc]
            await asyncio.sleep(0)
        if table.row_count:
            table.move_cursor(row=table.row_count - 1, animate=False)

    # ----------------------------------------------------------------------------------- preview

    def show_preview(self, story_id: str | None) -> None:
        story = self.store.story(story_id) if (self.store is not None and story_id) else None
        if story is not None and story_id in self._pending:
            p = self._pending[story_id]
            story = replace(story, state=p.state, starred=p.starred, unread=p.unread)
        self.preview.show(story, self.titles)

    @on(InboxTable.RowHighlighted, "#inbox")
    def _inbox_moved(self, event: InboxTable.RowHighlighted) -> None:
        # While j/k repeat, only the cursor moves; the preview follows once the keys pause.
        story_id = event.row_key.value if event.row_key else None
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY, partial(self._preview_if_current, story_id))

    def _preview_if_current(self, story_id: str | None) -> None:
        self._preview_timer = None
        if story_id == self.inbox.current_key() and story_id != self.preview.story_id:
            self.show_preview(story_id)

    # ----------------------------------------------------------------------------------- triage

    def _story_row(self) -> InboxRow | None:
        """The story the keys act on: the preview's when it has focus, else the inbox cursor's."""
        if self.focused is self.preview and self.preview.story_id:
            row = self.inbox.shown.get(self.preview.story_id)
            if row is not None:
                return row
        return self.inbox.current_row()

    def action_triage(self, what: str) -> None:
        row = self._story_row()
        if row is None:
            self.bell()
            return
        if what == "star":
            changes: dict[str, object] = {"starred": not row.starred}
            done = "starred" if not row.starred else "unstarred"
        elif what == "unread":
            changes = {"unread": not row.unread}
            done = "marked unread" if not row.unread else "marked read"
        elif what == "accept":
            changes = {"state": "new" if row.state == "accepted" else "accepted", "unread": False}
            done = "accepted" if row.state != "accepted" else "unaccepted"
        elif what == "dismiss":
            changes = {"state": "dismissed", "unread": False}
            done = "dismissed"
        elif what == "read":
            if not row.unread:
                return
            changes, done = {"unread": False}, "read"
        else:
            return
        new_row = replace(row, **changes)  # type: ignore[arg-type]
        self._pending[row.id] = new_row
        if new_row.unread != row.unread and self._view_unread is not None:
            self._view_unread += 1 if new_row.unread else -1
            self._update_titles()
        if what == "dismiss":
            index = self.inbox.cursor_row
            self.inbox.drop_row(row.id)
            if self.inbox.row_count:
                self.inbox.move_cursor(row=min(index, self.inbox.row_count - 1), animate=False)
            self.show_preview(self.inbox.current_key())
        else:
            self.inbox.update_row(new_row)
            if self.preview.story_id == row.id:
                self.show_preview(row.id)
        self._write(row.id, what, changes, done, row, reload_after=what in ("accept", "dismiss"))

    @work(group="write", exit_on_error=False)
    async def _write(self, story_id: str, what: str, changes: dict[str, object], done: str, before: InboxRow,
                     reload_after: bool) -> None:
        self._writes_in_flight += 1
        self._status_dirty = True
        try:
            await self.on_db(lambda s: s.triage(story_id, what, **changes))
        except Exception as exc:  # the write failed: undo the optimistic change and say so
            self._pending.pop(story_id, None)
            self.notify(f"Could not save ({what}): {exc}", title="Not saved", severity="error", markup=False)
            self.reload()
            return
        finally:
            self._writes_in_flight -= 1
        if self._pending.get(story_id) == replace(before, **changes):  # type: ignore[arg-type]
            self._pending.pop(story_id, None)
        self._saved(done, before.title)
        if reload_after:
            self.reload(inbox=False)

    def _saved(self, done: str, title: str) -> None:
        self._last_saved = f"saved: {done} “{clean(title, limit=40)}”"
        self._status_dirty = True
        self._update_status()

    # ----------------------------------------------------------------------------------- narrow layout

    @on(Tabs.TabActivated, "#ledger-tabs")
    def _ledger_tab(self, event: Tabs.TabActivated) -> None:
        chosen = (event.tab.id or "").removeprefix("tab-")
        for pane, _label in LEDGER_TABS:
            self.main_query_one(f"#{pane}").set_class(pane != chosen, "-tab-hidden")

    def action_ledger_tab(self, step: int) -> None:
        """[ and ]: the next or previous ledger pane (a tab when narrow), focused."""
        panes = [p for p, _ in LEDGER_TABS]
        focused = self.focused
        current = focused.id if focused is not None and focused.id in panes else None
        if current is None:
            tabs = self.main_query_one("#ledger-tabs", Tabs)
            current = (tabs.active or "tab-negotiations").removeprefix("tab-")
            step = 0 if focused is None or focused.id not in panes else step
        target = panes[(panes.index(current) + step) % len(panes)]
        self.main_query_one("#ledger-tabs", Tabs).active = f"tab-{target}"
        self.main_query_one(f"#{target}").set_class(False, "-tab-hidden")
        self.call_after_refresh(self.main_query_one(f"#{target}").focus)

    def action_open_story(self) -> None:
        row = self.inbox.current_row()
        if row is None:
            return
        self.show_preview(row.id)
        # When narrow the preview takes the inbox's place while it has focus (esc or tab goes back).
        self.main_query_one("#top").add_class("-reading")
        self.preview.focus()
        if row.unread:
            self.action_triage("read")

    def action_show_source(self) -> None:
        """Enter on a ledger row: show the story the fact came from."""
        table = self.focused
        if not isinstance(table, LedgerTable):
            return
        story_id = table.current_story()
        item = table.current_item()
        if not story_id and isinstance(item, LedgerRow) and item.fact.user == "added":
            # A fact added by hand has no story: its source is the user's note and link.
            self.notify(f"Added by you: {clean(item.fact.note, limit=200)} {clean(item.fact.user_link or '')}",
                        title="Your source", markup=False)
            return
        if story_id is None:
            return
        self.inbox.move_to_key(story_id)
        self.show_preview(story_id)

    # ----------------------------------------------------------------------------------- dossier

    def action_dossier(self) -> None:
        """The dossier of the agreement under the cursor: the Negotiations row's, a fact's, the story's (a
        picker when the story has several, or none)."""
        focused = self.focused
        agreement: str | None = None
        candidates: list[str] = []
        if isinstance(focused, LedgerTable):
            item = focused.current_item()
            if isinstance(item, Negotiation):
                agreement = item.agreement_id
            elif isinstance(item, LedgerRow):
                agreement = item.fact.agreement_id
        elif isinstance(focused, DossierTable) and isinstance(self.screen, DossierScreen):
            agreement = self.screen.agreement_id
        else:
            row = self._story_row()
            if row is not None:
                candidates = list(row.agreements)
            if len(candidates) == 1:
                agreement = candidates[0]
        if agreement is None and not candidates and self.filter_agreement:
            agreement = self.filter_agreement
        if agreement:
            self.open_dossier(agreement)
            return
        self.pick_dossier(candidates)

    def pick_dossier(self, only: Sequence[str] = ()) -> None:
        choices = sorted(self._agreement_choices(), key=lambda c: c[1].lower())
        if only:
            choices = [c for c in choices if c[0] in only] or choices
        if not choices:
            self.notify("No agreements are known yet.", title="Dossier")
            return

        def chosen(agreement_id: str | None) -> None:
            if agreement_id:
                self.open_dossier(agreement_id)

        self.push_screen(PickerScreen("Open the dossier of…", choices), chosen)

    def _catalogue_timeline(self, agreement_id: str) -> tuple[Any, ...]:
        if self._catalogue is None:
            self._catalogue = {a.id: a for a in _load_catalogue(self.settings) if hasattr(a, "id")}
        agreement = self._catalogue.get(agreement_id)
        return tuple(getattr(agreement, "timeline", ()) or ())

    @work(group="dossier", exclusive=True, exit_on_error=False)
    async def open_dossier(self, agreement_id: str, *, refresh_only: bool = False) -> None:
        """Read the dossier on the db thread, then show it (or refresh the one on screen)."""
        started = time.perf_counter()
        try:
            # The lines the screen shows (DossierScreen.ROWS); the stage, totals and counts are over every one.
            dossier = await self.on_db(lambda s: s.dossier(agreement_id, lines=DOSSIER_ROWS))
        except Exception as exc:  # noqa: BLE001 - say so, keep the dashboard
            self.notify(f"Could not read the dossier: {clean(str(exc), limit=200)}", severity="error", markup=False)
            return
        self.last_dossier_ms = (time.perf_counter() - started) * 1000
        if dossier is None:
            if agreement_id == self.start_dossier and self._last_round is None and self.autopoll:
                # A new database learns the catalogue's agreements in the first round: open it after that.
                self._dossier_after_round = agreement_id
                return
            if not refresh_only:
                self.notify(f"No agreement {clean(agreement_id, limit=40)} is known.", title="Dossier", markup=False)
            return
        screen = next((s for s in reversed(self.screen_stack) if isinstance(s, DossierScreen)
                       and s.agreement_id == agreement_id), None)
        if screen is None:
            if refresh_only:
                return
            # One dossier screen, installed once and reused: composing and styling it anew cost more than
            # reading the dossier of an agreement with thousands of stories.
            if not self.is_screen_installed("dossier"):
                self.install_screen(DossierScreen(agreement_id), "dossier")
            screen = self.get_screen("dossier")  # type: ignore[assignment]
            assert isinstance(screen, DossierScreen)
            screen.agreement_id = agreement_id
            screen.show(dossier, self._catalogue_timeline(agreement_id), fresh=True)
            if screen not in self.screen_stack:  # on the stack already: it now shows this agreement
                await self.push_screen(screen)
            return
        screen.show(dossier, self._catalogue_timeline(agreement_id))

    def _refresh_dossiers(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, DossierScreen):
                self.open_dossier(screen.agreement_id, refresh_only=True)

    def action_dossier_open(self) -> None:
        """Enter on a dossier row: its story, scrolled to the evidence (a story row: the story)."""
        screen = self.screen
        if not isinstance(screen, DossierScreen):
            return
        item = screen.current()
        if isinstance(item, InboxRow):
            story_id, fact = item.id, None
        elif isinstance(item, DossierItem):
            story_id, fact = item.fact.story_id, item.fact
            if not story_id:
                self.notify(f"Added by you: {clean(item.fact.note, limit=200)} {clean(item.fact.user_link or '')}",
                            title="Your source", markup=False)
                return
        else:
            return
        story = self.store.story(story_id) if self.store is not None else None
        if story is None:
            self.bell()
            return
        self.push_screen(StoryScreen(story, self.titles, focus=fact))

    # ----------------------------------------------------------------------------------- corrections

    def _fact_target(self) -> tuple[str, str | None, FactRow | None, Any] | None:
        """(kind, agreement, fact, row) of the fact row under the cursor, in a pane or the dossier."""
        focused = self.focused
        if isinstance(focused, DossierTable) and isinstance(self.screen, DossierScreen):
            item = focused.current_item()
            agreement = self.screen.agreement_id
            if focused.kind == "story":
                return None
            if isinstance(item, DossierItem):
                return item.fact.kind, item.fact.agreement_id or agreement, item.fact, item
            return focused.kind, agreement, None, None
        if isinstance(focused, LedgerTable) and focused.KIND:
            item = focused.current_item()
            if isinstance(item, LedgerRow):
                return item.fact.kind, item.fact.agreement_id, item.fact, item
            if isinstance(item, Negotiation):
                return "stage", item.agreement_id, None, item
            return focused.KIND, self.filter_agreement, None, None
        return None

    def action_fact(self, what: str) -> None:
        target = self._fact_target()
        if target is None:
            self.bell()
            return
        kind, agreement, fact, row = target
        if what != "add" and fact is None and not isinstance(row, Negotiation):
            self.notify("No fact here to correct: n adds one.", title="Correct", markup=False)
            return
        self._fact_flow(what, kind, agreement, fact, row)

    @work(group="fact-form", exclusive=True, exit_on_error=False)
    async def _fact_flow(self, what: str, kind: str, agreement: str | None, fact: FactRow | None, row: Any) -> None:
        if fact is None and isinstance(row, Negotiation) and what != "add":
            # The Negotiations row stands for its current stage event: the dossier's rule finds it.
            dossier = await self.on_db(lambda s: s.dossier(row.agreement_id))
            fact = dossier.stage.fact if dossier is not None and dossier.stage is not None else None
            if fact is None:
                self.notify("This stage has no fact behind it to correct.", title="Correct", markup=False)
                return
        if what == "reject" and fact is not None and fact.user == "rejected":
            self.notify("Already rejected: z undoes it.", title="Correct", markup=False)
            return
        form_result: dict[str, Any] | None = None
        if what in ("edit", "add"):
            when = _row_date(row, fact)  # the date the row shows, for a fact that names none
            form = FactForm(kind, values=initial_values(fact, kind, when) if what == "edit" else {},
                            adding=what == "add", agreements=sorted(self._agreement_choices(),
                                                                    key=lambda c: c[1].lower()),
                            agreement=agreement, note=fact.note if fact is not None and what == "edit" else "",
                            link=fact.user_link if fact is not None and what == "edit" else None)
            form_result = await self.push_screen_wait(form)
            if form_result is None:
                return
        self._writes_in_flight += 1
        self._status_dirty = True
        started = time.perf_counter()
        try:
            if what == "add":
                assert form_result is not None
                chosen = form_result.get("agreement") or agreement
                story_id = fact.story_id if fact is not None and fact.story_id else None
                await self.on_db(lambda s: s.add_fact(kind, chosen, form_result["values"], form_result["note"],
                                                      form_result["link"], story_id=story_id))
                done = f"added a {kind} to {chosen}"
            else:
                assert fact is not None
                chosen_fact = fact

                def write(s: Store) -> Any:
                    targets = s.same_facts(chosen_fact)
                    return s.correct(targets, what, form_result["values"] if form_result else None,
                                     form_result["note"] if form_result else None,
                                     form_result["link"] if form_result else None)

                await self.on_db(write)
                done = {"edit": "corrected", "reject": "rejected", "confirm": "confirmed"}[what] + f" a {kind}"
        except (CorrectionError, KeyError, ValueError) as exc:
            self.notify(f"Not saved: {clean(str(exc), limit=200)}", title="Correct", severity="error", markup=False)
            return
        finally:
            self._writes_in_flight -= 1
        focused = self.focused
        if isinstance(row, LedgerRow) and isinstance(focused, LedgerTable) and self.store is not None \
                and what != "add":
            # Shown at once from one row's re-read; the panes' full re-read follows.
            focused.replace_item(str(row.fact.id), self.store.refreshed_row(row))
        self.last_correction_ms = (time.perf_counter() - started) * 1000
        self._last_saved = f"saved: {done} (z undoes)"
        self._status_dirty = True
        self.reload(inbox=False)
        self._refresh_dossiers()
        if self.preview.story_id:
            self.show_preview(self.preview.story_id)

    def action_undo(self) -> None:
        self._undo()

    @work(group="write", exit_on_error=False)
    async def _undo(self) -> None:
        try:
            change = await self.on_db(lambda s: s.undo())
        except Exception as exc:
            self.notify(f"Could not undo: {exc}", severity="error", markup=False)
            return
        if change is None:
            self.notify("Nothing to undo.", title="Undo")
            return
        self._pending.pop(change.story_id, None)
        self._last_saved = f"undone: {change.action}"
        self._select_after_reload = change.story_id or None
        self.reload()
        self._refresh_dossiers()

    def action_link(self) -> None:
        row = self._story_row()
        if row is None:
            self.bell()
            return
        choices = sorted(self._agreement_choices(), key=lambda c: c[1].lower())
        if not choices:
            self.notify("No agreements are known yet.", title="Link")
            return

        def chosen(agreement_id: str | None) -> None:
            if not agreement_id:
                return
            self._link(row, agreement_id)

        self.push_screen(PickerScreen("Link story to agreement", choices), chosen)

    def _agreement_choices(self) -> list[tuple[str, str]]:
        titles = dict(self.titles)
        if not titles:
            for agreement in _load_catalogue(self.settings):
                titles[agreement.id] = agreement.title
        return list(titles.items())

    @work(group="write", exit_on_error=False)
    async def _link(self, row: InboxRow, agreement_id: str) -> None:
        if agreement_id not in row.agreements:
            self.inbox.update_row(replace(row, agreements=(*row.agreements, agreement_id)))
        try:
            await self.on_db(lambda s: s.link(row.id, agreement_id))
        except Exception as exc:
            self.notify(f"Could not link: {exc}", severity="error", markup=False)
            self.reload()
            return
        self._saved(f"linked to {agreement_id}", row.title)
        self.reload()

    def action_fetch_article(self) -> None:
        """A: fetch the story's article now (even if it was fetched before), without blocking the keys."""
        row = self._story_row()
        if row is None:
            self.bell()
            return
        if not row.link:
            self.notify("This story has no link to fetch.", title="Article", markup=False)
            return
        if self._poller is None or not hasattr(self._poller, "fetch_article"):
            self.notify("Polling is off in this session, so no article can be fetched.", title="Article",
                        markup=False)
            return
        self._fetch_article(row.id, row.title)

    @work(group="article", exit_on_error=False)
    async def _fetch_article(self, story_id: str, title: str) -> None:
        self._last_saved = f"fetching the article of “{clean(title, limit=40)}”…"
        self._status_dirty = True
        if self.preview.story_id == story_id:
            self.show_preview(story_id)  # "waiting for the article…" once the poller marks it pending
        try:
            status = await self._poller.fetch_article(story_id)
        except Exception as exc:  # noqa: BLE001 - say so; the dashboard goes on
            self.notify(f"Could not fetch the article: {clean(str(exc), limit=200)}", title="Article",
                        severity="error", markup=False)
            return
        words = {"ok": "article fetched", "pending": "the article is queued"}.get(status, f"no article: {status}")
        self._last_saved = f"{words} — “{clean(title, limit=40)}”"
        self._status_dirty = True
        self.notify(f"{words}: {clean(title, limit=60)}", title="Article", markup=False, timeout=3,
                    severity="information" if status in ("ok", "pending") else "warning")
        self.reload(inbox=False)
        if self.preview.story_id == story_id:
            self.show_preview(story_id)

    def action_open_link(self) -> None:
        if isinstance(self.screen, StoryScreen):
            link = self.screen.story.link
        else:
            row = self._story_row()
            link = row.link if row is not None else None
        if not link:
            self.notify("This story has no link.", title="Open")
            return
        if link_was_cut(link):
            self.notify(f"Not opening this link: it is longer than {MAX_LINK:,} characters and was cut when "
                        "stored, so it would lead elsewhere.", title="Open", severity="warning")
            return
        parts = urlsplit(link)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            self.notify("Not opening this link: only http and https links are opened.", title="Open",
                        severity="warning")
            return
        self._open_url(link)

    @work(thread=True, group="browser", exit_on_error=False)
    def _open_url(self, link: str) -> None:
        # webbrowser can block (it may start a process), so never on the event loop.
        opened = self.url_opener(link)
        self.call_from_thread(self._opened, link, opened is not False)

    def _opened(self, link: str, opened: bool) -> None:
        if opened:
            self._last_saved = "opened link in the browser"
        else:
            self._last_saved = ""
            self.notify(f"No browser could be started here. The link: {link}", title="Open",
                        severity="warning", markup=False, timeout=6)
        self._status_dirty = True

    # ----------------------------------------------------------------------------------- search/filter

    def action_search(self) -> None:
        def done(query: str | None) -> None:
            if query is None:
                return
            self.search_query = query or None
            self.inbox.clear()
            self.inbox.shown = {}
            self.reload()

        self.push_screen(SearchScreen(self.search_query or ""), done)

    def action_filter(self) -> None:
        choices = [("", "All agreements"), *sorted(self._agreement_choices(), key=lambda c: c[1].lower())]

        def done(agreement_id: str | None) -> None:
            if agreement_id is None:
                return
            self.filter_agreement = agreement_id or None
            self.inbox.clear()
            self.inbox.shown = {}
            self.reload()

        self.push_screen(PickerScreen("Filter by agreement", choices, current=self.filter_agreement or ""), done)

    def action_clear_filters(self) -> None:
        if self.filter_agreement or self.search_query:
            self.filter_agreement = None
            self.search_query = None
            self.reload()

    # ----------------------------------------------------------------------------------- screens

    def action_help(self) -> None:
        focused = self.focused
        pane = "Dashboard"
        node = focused
        while node is not None and getattr(node, "id", None) not in PANE_NAMES:
            node = node.parent  # type: ignore[assignment]
        if node is not None:
            pane = PANE_NAMES[node.id]  # type: ignore[index]
        keys = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            # Ours have ids; Textual's own (cursor left/right, pages) are standard and left out.
            if not binding.description or not (binding.id or binding.show):
                continue
            keys.append((self.get_key_display(binding), binding.description, binding.id or ""))
        keys.append(("tab / shift+tab", "Next / previous pane", ""))
        keys.append(("ctrl+p", "Command palette: every action", ""))
        help_path = HERE / "help.md"
        try:
            help_markdown = help_path.read_text(encoding="utf-8")
        except OSError:
            help_markdown = ""
        self.push_screen(HelpScreen(pane, keys, help_markdown))

    def action_feeds(self) -> None:
        if isinstance(self.screen, FeedHealthScreen):
            self.pop_screen()
            return
        states = self.store.feed_states() if self.store is not None else []
        hosts = self.store.article_failures_by_host() if self.store is not None else []
        self.push_screen(FeedHealthScreen(states, self.clock(), article_hosts=hosts))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action in the palette, built from the bindings: a key remapped in [keys] shows remapped."""
        yield from super().get_system_commands(screen)
        actions = binding_actions()
        for binding_id, (title, help_text) in PALETTE.items():
            found = actions.get(binding_id)
            if found is None:
                continue
            key, action = found
            key = self._keymap.get(binding_id, key)
            shown = ", ".join(self.get_key_display(Binding(k.strip(), action)) for k in key.split(",")[:2])
            yield SystemCommand(title, f"{help_text} ({shown})", partial(self._palette_run, action))

    def _palette_run(self, action: str) -> None:
        self.call_later(self.run_action, action)  # every action is namespaced: "app.triage('accept')"

    def action_reload_config(self) -> None:
        if self.settings.path is None:
            self.notify("This session has no config file to reload (the demo runs without one).",
                        title="Reload config", markup=False)
            return
        self._reload_config(self.settings.path)

    @work(group="config", exclusive=True, exit_on_error=False)
    async def _reload_config(self, path: Path) -> None:
        """Read the config again without restarting: a bad file leaves the running settings in place."""
        from feeds.config import ConfigError, load_config

        try:
            settings = await asyncio.to_thread(load_config, path)
        except ConfigError as exc:
            self.notify(str(exc), title="Config not reloaded", severity="error", markup=False, timeout=6)
            return
        problem = check_keys(settings)
        if problem:
            self.notify(problem, title="Config not reloaded", severity="error", markup=False, timeout=6)
            return
        self.settings = settings
        self.set_keymap(dict(settings.keys))
        # The next round runs with the new feeds, intervals and agreements: a new poller picks them up.
        self.workers.cancel_group(self, "poll")
        if self.autopoll:
            self._force_poll = True
            self.start_polling()
        self._status_dirty = True
        self.notify(f"Config reloaded: {len(settings.feeds)} feeds, {len(settings.agreements)} agreements of "
                    "your own.", title="Reload config", markup=False)

    # ----------------------------------------------------------------------------------- polling

    def start_polling(self) -> None:
        if not self.settings.feeds:
            self._poll_error = "no feeds configured"
            self._status_dirty = True
            return
        self._poll_loop()

    def action_refresh(self) -> None:
        self._force_poll = True
        if not self.settings.feeds:
            self.notify("No feeds are configured: add [[feeds]] to the config.", title="Refresh", markup=False)
            return
        if not any(w.name == "poll" and w.is_running for w in self.workers):
            self._poll_loop()
        elif self._polling:
            self.notify("A poll round is running; another will follow it.", title="Refresh")
        if self._wake is not None:
            self._wake.set()

    @work(group="poll", name="poll", exclusive=True, exit_on_error=False)
    async def _poll_loop(self) -> None:
        try:
            poller = self.poller_factory(self.settings, self.db_path, _load_catalogue(self.settings))
        except Exception as exc:  # e.g. the pipeline cannot start: the dashboard still works
            self.post_message(self.RoundFailed(f"polling unavailable: {exc}"))
            return
        assert self._wake is not None
        self._poller = poller
        try:
            while True:
                force, self._force_poll = self._force_poll, False
                self._wake.clear()
                self._polling = True
                self._progress = None
                self._status_dirty = True
                try:
                    result = await poller.poll_round(force=force, progress=self._on_progress)
                except Exception as exc:
                    self.post_message(self.RoundFailed(f"{type(exc).__name__}: {exc}"))
                    result = None
                finally:
                    self._polling = False
                if result is not None:
                    self.post_message(self.RoundFinished(result))
                delay = self._delay_until(result.next_poll_at if result is not None else None)
                if self._force_poll:
                    continue
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
                except TimeoutError:
                    pass
        finally:
            if self._poller is poller:
                self._poller = None
                await poller.aclose()

    def _delay_until(self, next_poll_at: datetime | None) -> float:
        now = datetime.now(UTC)
        if next_poll_at is None:
            delay = self.settings.poll.interval
        else:
            delay = (next_poll_at - now).total_seconds()
        delay = min(max(delay, MIN_POLL_DELAY), self.settings.poll.interval)
        self._next_poll_at = self.clock() + timedelta(seconds=delay)
        return delay

    def _on_progress(self, progress: Any) -> None:
        # Called on the event loop for every feed; the status line redraws on the next tick. A long round's
        # new stories show as they are stored, the panes re-read at most every few seconds.
        self._progress = progress
        self._status_dirty = True
        now = time.monotonic()
        small = self.counts is None or self.counts.stories < LIVE_RELOAD_MAX_STORIES
        if small and progress.new > self._reloaded_at_new and now - self._reloaded_at >= LIVE_RELOAD_SECONDS:
            self._reloaded_at, self._reloaded_at_new = now, progress.new
            self.reload()

    def on_migwatch_app_round_finished(self, message: RoundFinished) -> None:
        result = message.result
        self._last_round = result
        self._poll_error = None
        self._reloaded_at_new = 0
        self.reload()
        if self._dossier_after_round:
            agreement, self._dossier_after_round = self._dossier_after_round, None
            self.open_dossier(agreement)
        matched = list(result.new_matched)
        if matched:
            # One note a round, however many stories it brought: the inbox holds them all.
            lines = []
            for _story_id, title, agreements in matched[:MAX_NOTIFICATIONS]:
                names = ", ".join(self.titles.get(a, a) for a in agreements) or "new story"
                lines.append(f"{clean(names, limit=60)}: {clean(title, limit=120)}")
            if len(matched) > MAX_NOTIFICATIONS:
                lines.append(f"… and {len(matched) - MAX_NOTIFICATIONS} more")
            title = "New matched story" if len(matched) == 1 else f"{len(matched)} new matched stories"
            if self.size.width < 120:
                # a small screen: one line, briefly, so the toast never hides a pane for long
                self.notify(lines[0] if len(matched) == 1 else "in the inbox, newest first", title=title,
                            markup=False, timeout=3)
            else:
                self.notify("\n".join(lines), title=title, markup=False)

    def on_migwatch_app_round_failed(self, message: RoundFailed) -> None:
        self._poll_error = clean(message.error, limit=200)
        self._status_dirty = True
        self._update_status()

    def action_interrupt(self) -> None:
        self.exit(return_code=130)

    # ----------------------------------------------------------------------------------- status

    def on_resize(self) -> None:
        self._tick()  # the status line's words depend on the width

    def _tick(self) -> None:
        self._status_dirty = True
        try:
            self._update_status()
        except NoMatches:
            pass  # the app is closing and the status line is already gone

    def _update_status(self) -> None:
        if not self._status_dirty:
            return
        self._status_dirty = False
        now = self.clock()
        # Below 140 columns the words are shortened and the last action comes first, so what the user just
        # did (a save, the article A fetched) and the article counts are seen at 80 columns too.
        narrow = self.size.width < 140
        parts: list[Text | str] = []
        if self._writes_in_flight:
            parts.append(Text("saving…", style="yellow"))
        elif self._last_saved and narrow:
            saved = clean(self._last_saved)
            parts.append(Text(saved if len(saved) <= 34 else saved[:33] + "…", style="green"))
        articles = self._article_part(narrow)
        if articles is not None and narrow:
            parts.append(articles)
        p = self._progress
        if self._polling:
            if p is not None:
                parts.append(Text(f"⟳ {p.done}/{p.total} feeds · {p.new} new" if narrow else
                                  f"⟳ polling {p.done}/{plural(p.total, 'feed')} · {p.new} new · "
                                  f"{plural(p.errors, 'error')}", style="bold"))
            else:
                parts.append(Text("⟳ polling…", style="bold"))
        elif self._last_round is not None:
            r = self._last_round
            if r.polled:
                errors = f" · {plural(r.errors, 'error')}" if r.errors or not narrow else ""
                parts.append(f"{'' if narrow else 'last round: '}{plural(r.polled, 'feed')} · {r.new} new{errors}")
            else:
                parts.append("no feed was due" if narrow else "last round: no feed was due")
        if self._poll_error:
            parts.append(lit(self._poll_error, "red"))
        if not self._polling and self._next_poll_at is not None:
            parts.append(f"{'next' if narrow else 'next poll'} {format_when(self._next_poll_at, now)}")
        elif not self._polling and self._last_round is None and not self._poll_error:
            parts.append("next poll —")
        if articles is not None and not narrow:
            parts.append(articles)
        if self.counts is not None:
            c = self.counts
            if narrow:
                if c.unhealthy:
                    parts.append(Text(f"{c.unhealthy} unhealthy (h)", style="red"))
            else:
                health = plural(c.feeds, "feed") + (f", {c.unhealthy} unhealthy (h)" if c.unhealthy else "")
                parts.append(Text(health, style="red" if c.unhealthy else ""))
        if self._last_saved and not narrow and not self._writes_in_flight:
            parts.append(Text(self._last_saved, style="green"))
        self.main_query_one("#status", StatusLine).show(parts)

    def _article_part(self, narrow: bool) -> Text | None:
        """The article counts of the status line (fetched, pending, blocked), or None before any."""
        a = self.article_counts
        if not any(a.get(k) for k in ("ok", "pending", "blocked", "robots", "failed")):
            return None
        refused = a.get("blocked", 0) + a.get("robots", 0)
        line = (f"articles {a.get('ok', 0):,}✓ {a.get('pending', 0):,}… {refused:,} blocked" if narrow else
                f"articles: {a.get('ok', 0):,} fetched · {a.get('pending', 0):,} pending · {refused:,} blocked")
        return Text(line, style="yellow" if refused else "")


def _start_forkserver() -> None:
    """Start the poller's fork server while stdio are still the real terminal (see start_worker_server)."""
    from feeds.pipeline import start_worker_server

    start_worker_server()


def binding_keys() -> dict[str, str]:
    """Every remappable binding id of the dashboard and its default key(s)."""
    import inspect

    import tui.screens
    from tui.panes import ALL_MODULES

    found: dict[str, str] = {}
    classes = [MigwatchApp] + [c for module in (*ALL_MODULES, tui.screens) for _, c in inspect.getmembers(module)
                               if inspect.isclass(c) and c.__module__ == module.__name__]
    for cls in classes:
        for binding in getattr(cls, "BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                found.setdefault(binding.id, binding.key)
    return found


# The palette's entries, by binding id: its key (as remapped) comes from the binding itself.
PALETTE: dict[str, tuple[str, str]] = {
    "triage.accept": ("Accept story", "Confirm the story's facts into the ledger"),
    "triage.dismiss": ("Dismiss story", "Hide the story from the inbox"),
    "triage.star": ("Star story", "Star or unstar the story"),
    "triage.unread": ("Toggle unread", "Mark the story read or unread"),
    "triage.link": ("Link to agreement", "Say the story is about an agreement"),
    "story.open": ("Open link", "Open the story in the browser"),
    "story.fetch_article": ("Fetch article", "Fetch the page behind the story's link now"),
    "app.dossier": ("Open a dossier", "One agreement whole: stage, timeline, payments, warnings, stories"),
    "fact.edit": ("Edit fact", "Correct the fact under the cursor (a ledger pane or the dossier)"),
    "fact.reject": ("Reject fact", "Say the fact under the cursor is wrong"),
    "fact.confirm": ("Confirm fact", "Keep the fact as it is, whatever a later analysis says"),
    "fact.add": ("Add fact", "Add a stage, payment or warning by hand, with its source"),
    "app.search": ("Search stories", "Full-text search"),
    "app.filter": ("Filter by agreement", "Show one agreement's stories and facts"),
    "app.clear": ("Clear filter and search", "Show everything again"),
    "triage.undo": ("Undo", "Undo the last triage action or correction"),
    "app.refresh": ("Refresh", "Poll every feed now"),
    "app.feeds": ("Feed health", "Each feed's last result, error and next poll"),
    "app.ledger_next": ("Next ledger pane", "Negotiations, Payments, Rights warnings (tabs when narrow)"),
    "app.reload_config": ("Reload config", "Read the config file again: feeds, intervals, agreements, keys"),
    "app.help": ("Help", "Keys of the focused pane"),
}


def binding_actions() -> dict[str, tuple[str, str]]:
    """binding id → (default key, action) of every binding of the dashboard."""
    import inspect

    import tui.screens
    from tui.panes import ALL_MODULES

    found: dict[str, tuple[str, str]] = {}
    classes = [MigwatchApp] + [c for module in (*ALL_MODULES, tui.screens) for _, c in inspect.getmembers(module)
                               if inspect.isclass(c) and c.__module__ == module.__name__]
    for cls in classes:
        for binding in getattr(cls, "BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                action = binding.action if "." in binding.action.split("(")[0] else f"app.{binding.action}"
                found.setdefault(binding.id, (binding.key, action))
    return found


def check_keys(settings: Settings) -> str | None:
    """One line naming the config key when a [keys] remap is unknown or takes another binding's key."""
    if not settings.keys:
        return None
    defaults = binding_keys()
    where = f"{settings.path}: " if settings.path else ""
    for binding_id in settings.keys:
        if binding_id not in defaults:
            return f"{where}keys.{binding_id}: no such binding (the ids are listed in the help screen, ?)"
    effective = {bid: settings.keys.get(bid, key) for bid, key in defaults.items()}
    owner: dict[str, str] = {}
    for binding_id, keys in effective.items():
        for key in (k.strip() for k in keys.split(",")):
            scope = binding_id.split(".")[0]
            # Keys only clash within the app-wide, triage and navigation bindings that share a pane.
            if scope not in ("app", "triage", "story", "inbox", "nav"):
                continue
            other = owner.get(key)
            if other is not None and other != binding_id and (binding_id in settings.keys or other in settings.keys):
                return (f"{where}keys.{binding_id if binding_id in settings.keys else other}: key {key!r} is "
                        f"already bound to {other if binding_id in settings.keys else binding_id}")
            owner.setdefault(key, binding_id)
    return None


def run_dashboard(settings: Settings, db_path: Path, *, demo: bool = False, agreement: str | None = None) -> int:
    """The `migwatch` dashboard; returns the exit code."""
    import signal

    _start_forkserver()
    app = MigwatchApp(settings, db_path, demo=demo, start_dossier=agreement)
    terminated: list[int] = []

    def on_sigterm(signum: int, frame: object) -> None:
        # As `q` does: the app ends on its own loop, so the terminal leaves raw mode and the alternate
        # screen, and the poller's pools shut down. (A signal handler runs on the main thread, the loop's.)
        terminated.append(signum)
        try:
            asyncio.get_running_loop().call_soon_threadsafe(app.exit)
        except RuntimeError:  # the app is not running (yet, or any more)
            raise KeyboardInterrupt from None

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        result = app.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
    if terminated:
        return 128 + signal.SIGTERM
    if app.return_code not in (None, 0):
        return int(app.return_code)
    return int(result or 0)

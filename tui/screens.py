"""Screens over the dashboard: help, feed health, the agreement picker and the search prompt."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Label, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from feeds.models import FeedState
from store import ArticleHostRow
from tui.footer import Footer
from tui.widgets import NAV_BINDINGS, clean, format_when, lit

# ------------------------------------------------------------------------------------------- help


class HelpScreen(ModalScreen[None]):
    """The focused pane's keys (as remapped by the user's keymap) and the help text."""

    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, pane: str, keys: Sequence[tuple[str, str, str]], help_markdown: str) -> None:
        super().__init__()
        self.pane = pane
        self.keys = keys
        self.help_markdown = help_markdown

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box") as box:
            box.border_title = Content(f"Help — {self.pane}")
            box.border_subtitle = Content("esc to close")
            table: DataTable = DataTable(id="help-keys", cursor_type="none", zebra_stripes=True)
            table.can_focus = False
            yield table
            with VerticalScroll(id="help-text"):
                yield Markdown(self.help_markdown)

    def on_mount(self) -> None:
        table = self.query_one("#help-keys", DataTable)
        table.add_column(Text("Key"), key="key", width=16)
        table.add_column(Text("Action"), key="action", width=30)
        table.add_column(Text("Binding id (remap in [keys])"), key="id")
        for key, description, binding_id in self.keys:
            table.add_row(Text(key, style="bold"), Text(description), Text(binding_id, style="dim"))


# ------------------------------------------------------------------------------------------- feed health


def _result_text(state: FeedState) -> Text:
    result = state.last_result or "never polled"
    style = {"ok": "green", "not-modified": "green", "error": "bold red", "gone": "red"}.get(state.last_result, "")
    if state.retired:
        result, style = "retired", "red"
    text = lit(result, style)
    if state.last_status:
        text.append(f" {state.last_status}", "dim")
    return text


class FeedHealthScreen(Screen[None]):
    """Each feed: last result, error, next poll and why."""

    BINDINGS = [
        *NAV_BINDINGS,
        Binding("escape,h,F,q", "app.pop_screen", "Back", id="feeds.close"),
    ]

    def __init__(self, states: Iterable[FeedState], now: datetime, *,
                 article_hosts: Sequence[ArticleHostRow] = ()) -> None:
        super().__init__()
        self.states = list(states)
        self.now = now
        self.article_hosts = list(article_hosts)

    def compose(self) -> ComposeResult:
        with Vertical(id="feeds-box") as box:
            ok = sum(1 for s in self.states if s.last_result in ("ok", "not-modified") and not s.failures)
            box.border_title = Content(f"Feed health — {len(self.states)} feeds, {ok} healthy")
            table: DataTable = DataTable(id="feeds-table", cursor_type="row")
            yield table
            yield Static(id="feeds-detail")
            failed = sum(h.count for h in self.article_hosts)
            yield Label(Content(f"Stories left with their feed text (no usable article), by site — {failed:,}"
                                if failed else "Articles: no site refused or failed"), id="articles-label")
            hosts: DataTable = DataTable(id="articles-table", cursor_type="row")
            yield hosts
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#feeds-table", DataTable)
        table.add_column("Feed", key="feed", width=28)
        table.add_column("Last result", key="result", width=16)
        table.add_column("Fails", key="failures", width=5)
        table.add_column("Last polled", key="polled", width=12)
        table.add_column("Next poll", key="next", width=12)
        table.add_column("Why", key="why", width=30)
        table.add_column("Error", key="error")
        for i, s in enumerate(self.states):
            table.add_row(
                lit(s.name or s.url, "bold"),
                _result_text(s),
                Text(str(s.failures), style="red" if s.failures else "dim"),
                Text(format_when(s.last_polled_at, self.now)),
                Text("retired" if s.retired else "due now" if s.next_poll_at and s.next_poll_at <= self.now
                     else format_when(s.next_poll_at, self.now)),
                lit(s.next_poll_why, "dim"),
                lit(s.last_error or "", "red"),
                key=str(i),
            )
        if not self.states:
            self.query_one("#feeds-detail", Static).update(Text("No feeds configured yet.", style="dim"))
        hosts = self.query_one("#articles-table", DataTable)
        hosts.add_column("Site", key="host", width=28)
        hosts.add_column("Outcome", key="status", width=12)
        hosts.add_column("Stories", key="count", width=7)
        hosts.add_column("Last", key="last", width=12)
        hosts.add_column("Last error", key="error")
        for i, h in enumerate(self.article_hosts):
            hosts.add_row(lit(h.host, "bold"), lit(h.status, "red" if h.status in ("failed", "blocked") else "yellow"),
                          Text(f"{h.count:,}"), Text(format_when(h.last_at, self.now)), lit(h.last_error or "", "dim"),
                          key=str(i))
        hosts.display = bool(self.article_hosts)
        table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is None:
            return
        s = self.states[int(event.row_key.value)]
        detail = Text()
        detail.append_text(lit(s.url, "underline"))
        if s.last_error:
            detail.append("\n")
            detail.append_text(lit(s.last_error, "red", one_line=False))
        self.query_one("#feeds-detail", Static).update(detail)


# ------------------------------------------------------------------------------------------- pickers


class PickerScreen(ModalScreen[str | None]):
    """Choose one agreement (link, filter, dossier); typing narrows the list. Labels are `Text`, never markup."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="picker.cancel")]

    def __init__(self, title: str, choices: Sequence[tuple[str, str]], *, current: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)
        self.current = current
        self.shown: list[tuple[str, str]] = list(self.choices)

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box") as box:
            box.border_title = Content(self.title_text)
            box.border_subtitle = Content("type to narrow · enter to choose · esc to cancel")
            yield Input(placeholder="type to narrow the list…", id="picker-filter", compact=True)
            yield OptionList(*self._options(self.choices), id="picker-list")

    @staticmethod
    def _options(choices: Sequence[tuple[str, str]]) -> list[Option]:
        options = []
        for value, label in choices:
            prompt = Text.assemble(lit(label), ("  " + clean(value), "dim")) if value and label != value else lit(label)
            options.append(Option(prompt, id=value or "\x00all"))
        return options

    def on_mount(self) -> None:
        self.query_one("#picker-filter", Input).focus()
        option_list = self.query_one(OptionList)
        option_list.highlighted = 0 if self.choices else None
        if self.current is not None:
            for i, (value, _) in enumerate(self.choices):
                if value == self.current:
                    option_list.highlighted = i
                    break

    def on_input_changed(self, event: Input.Changed) -> None:
        words = event.value.lower().split()
        self.shown = [(v, label) for v, label in self.choices
                      if all(w in f"{label} {v}".lower() for w in words)]
        option_list = self.query_one(OptionList)
        option_list.set_options(self._options(self.shown))
        option_list.highlighted = 0 if self.shown else None

    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        # The list's keys work while the filter has focus: up/down/page keys move the highlight.
        if not isinstance(self.focused, Input):
            return
        option_list = self.query_one(OptionList)
        moves = {"down": option_list.action_cursor_down, "up": option_list.action_cursor_up,
                 "pagedown": option_list.action_page_down, "pageup": option_list.action_page_up,
                 "home": option_list.action_first, "end": option_list.action_last}
        if event.key in moves and (event.key not in ("home", "end") or not self.query_one(Input).value):
            moves[event.key]()
            event.stop()
            event.prevent_default()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        option_list = self.query_one(OptionList)
        if option_list.highlighted is None or not self.shown:
            self.app.bell()
            return
        self.dismiss(self._value(option_list.get_option_at_index(option_list.highlighted).id))

    @staticmethod
    def _value(option_id: str | None) -> str:
        return "" if (option_id or "") == "\x00all" else (option_id or "")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._value(event.option.id))

    def action_cancel(self) -> None:
        self.dismiss(None)


class SearchScreen(ModalScreen[str | None]):
    """The `/` prompt: words searched with FTS5 across titles and text; empty clears the search."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="search.cancel")]

    def __init__(self, current: str = "") -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="search-box") as box:
            box.border_title = Content("Search stories")
            yield Input(value=self.current, placeholder="words… (enter to search, empty to clear)", id="search-input")
            yield Label(Content("Every word must appear; the last one may be a prefix."), id="search-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)

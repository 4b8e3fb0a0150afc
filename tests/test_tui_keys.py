"""Pilot tests: every dashboard key, asserting what the user sees and what lands in the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_tui_support import HOSTILE_TITLE, FakePoller, build_db, frozen_clock, settings

from feeds.pipeline import RoundResult
from store import Store
from tui.app import MigwatchApp
from tui.screens import FeedHealthScreen, HelpScreen, PickerScreen, SearchScreen
from tui.widgets import InboxTable, LedgerTable, Preview, clean

SIZE = (160, 48)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_db(tmp_path / "t.db")


def make_app(db: Path, **kw) -> MigwatchApp:
    kw.setdefault("autopoll", False)
    kw.setdefault("poller_factory", lambda *a: FakePoller())
    cfg = kw.pop("settings", None) or settings()
    return MigwatchApp(cfg, db, clock=frozen_clock, **kw)


async def ready(app: MigwatchApp, pilot) -> None:
    await asyncio.wait_for(app.loaded.wait(), 5)
    await pilot.pause()


async def settle(app: MigwatchApp, pilot) -> None:
    """Let writes land and reloads apply."""
    for _ in range(3):
        await asyncio.wait_for(app.workers.wait_for_complete(), 5)
        await pilot.pause()


async def previewed(app: MigwatchApp, pilot, story_id: str) -> bool:
    """The preview follows the cursor after a short debounce: wait for it (bounded), then say if it did."""
    for _ in range(50):
        if app.preview.story_id == story_id:
            return True
        await pilot.pause(0.02)
    return app.preview.story_id == story_id


def triage(db: Path, story_id: str) -> dict:
    with Store(db) as store:
        return store.triage_state(story_id)


def titles(table: InboxTable) -> list[str]:
    return [table.get_row(k)[1].plain for k in table.rows]


def cell_texts(table: LedgerTable) -> list[str]:
    return [" | ".join(c.plain for c in table.get_row(k)) for k in table.rows]


async def test_startup_shows_inbox_preview_and_panes(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        inbox = app.inbox
        assert titles(inbox)[:4] == ["US and Rwanda hold early talks on deportees", "Kigali presses London over £50m",
                                     "Rwanda says UK still owes £50m", "Court hears challenge to Albania centres"]
        # Unmatched stories come after every matched one.
        assert titles(inbox)[4] == "Storm closes Channel ports"
        # Cluster size and contradiction flag are visible.
        row = inbox.get_row("s-owes-2")
        assert row[3].plain == "2 reports"
        assert "⚠" in row[0].plain and "●" in row[0].plain
        negotiations = cell_texts(app.query_one("#negotiations", LedgerTable))
        assert any("uk-rwanda" in r and "cancelled" in r for r in negotiations)
        assert any("us-rwanda" in r and "negotiating" in r for r in negotiations)
        payments = cell_texts(app.query_one("#payments", LedgerTable))
        assert any(r.startswith("£50m | claimed | UK → Rwanda") for r in payments)
        warnings = cell_texts(app.query_one("#warnings", LedgerTable))
        assert any(r.startswith("UNHCR | refoulement") for r in warnings)
        preview = app.query_one("#preview-body").render()
        assert "US and Rwanda hold early talks" in str(preview)
        assert app.focused is inbox


async def test_a_big_database_shows_a_page_then_the_whole_order_then_the_panes(db: Path, monkeypatch) -> None:
    # Above FAST_FIRST_ABOVE stories the first load comes in three steps, each shown as it arrives: the newest
    # page, the exact order of every story (paging from then on), then the ledger panes and the counts.
    import tui.app

    monkeypatch.setattr(tui.app, "FAST_FIRST_ABOVE", 2)
    app = make_app(db)
    steps: list[tuple[int, bool, bool]] = []
    apply = app.apply_snapshot

    def recorded(snap, **kw) -> None:
        steps.append((len(snap.ids), snap.ledger, snap.counts is not None))
        apply(snap, **kw)

    app.apply_snapshot = recorded  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await asyncio.wait_for(app.ordered.wait(), 5)
        await settle(app, pilot)
        assert steps == [(2, False, True), (6, False, False), (0, True, True)]
        assert titles(app.inbox)[:4] == ["US and Rwanda hold early talks on deportees",
                                         "Kigali presses London over £50m", "Rwanda says UK still owes £50m",
                                         "Court hears challenge to Albania centres"]
        assert len(app.inbox.ids) == 6 and app.inbox.exhausted
        assert any(r.startswith("£50m | claimed | UK → Rwanda") for r in cell_texts(app.query_one("#payments",
                                                                                                  LedgerTable)))
        assert app.counts is not None and (app.counts.stories, app.counts.matched) == (6, 4)
        assert "6 stories, 6 unread" in str(app.inbox.border_title)


async def test_j_k_and_arrows_move_and_preview_follows(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        assert app.inbox.current_key() == "s-talks"
        await pilot.press("j")
        assert app.inbox.current_key() == "s-owes-2"
        assert await previewed(app, pilot, "s-owes-2")
        await pilot.press("down", "down")
        assert app.inbox.current_key() == "s-albania"
        await pilot.press("k")
        assert app.inbox.current_key() == "s-owes"
        await pilot.press("up")
        assert app.inbox.current_key() == "s-owes-2"
        assert await previewed(app, pilot, "s-owes-2")


async def test_enter_opens_preview_and_marks_read(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("j", "enter")
        await settle(app, pilot)
        assert isinstance(app.focused, Preview)
        assert await previewed(app, pilot, "s-owes-2")
        assert "●" not in app.inbox.get_row("s-owes-2")[0].plain
    assert triage(db, "s-owes-2")["unread"] is False


async def test_tab_moves_between_panes(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        seen = [app.focused.id]
        for _ in range(5):
            await pilot.press("tab")
            seen.append(app.focused.id)
        assert seen == ["inbox", "preview", "negotiations", "payments", "warnings", "inbox"]
        await pilot.press("shift+tab")
        assert app.focused.id == "warnings"


async def test_s_stars_and_survives_restart(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("s")
        # Optimistic: the row shows the star at once.
        assert "★" in app.inbox.get_row("s-talks")[0].plain
        await settle(app, pilot)
        assert "saved: starred" in str(app.query_one("#status").render())
    assert triage(db, "s-talks")["starred"] is True
    app2 = make_app(db)
    async with app2.run_test(size=SIZE) as pilot:
        await ready(app2, pilot)
        assert "★" in app2.inbox.get_row("s-talks")[0].plain


async def test_u_toggles_unread(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        title = str(app.inbox.border_title)
        before = int(title.split(", ")[1].split()[0])
        await pilot.press("u")
        await settle(app, pilot)
        assert triage(db, "s-talks")["unread"] is False
        assert "●" not in app.inbox.get_row("s-talks")[0].plain
        assert f", {before - 1} unread" in str(app.inbox.border_title)  # at once, not at the next poll
        await pilot.press("u")
        await settle(app, pilot)
        assert triage(db, "s-talks")["unread"] is True
        assert f", {before} unread" in str(app.inbox.border_title)


async def test_the_inbox_title_counts_the_searched_stories(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"albanian", "enter")
        await settle(app, pilot)
        assert list(app.inbox.rows) == ["s-albania"]
        assert str(app.inbox.border_title).startswith("Inbox — 1 story, 1 unread — search: albanian")


async def test_a_accepts_into_the_ledger(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert triage(db, "s-talks")["state"] == "accepted"
        assert "✓" in app.inbox.get_row("s-talks")[0].plain
        warnings = cell_texts(app.query_one("#warnings", LedgerTable))
        assert warnings[0].startswith("✓ UNHCR")
        negotiations = cell_texts(app.query_one("#negotiations", LedgerTable))
        assert any(r.startswith("✓ us-rwanda") for r in negotiations)


async def test_x_dismisses_and_z_restores(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("x")
        assert "s-talks" not in app.inbox.rows
        assert app.inbox.current_key() == "s-owes-2"
        await settle(app, pilot)
        assert triage(db, "s-talks")["state"] == "dismissed"
        # Its facts leave the panes.
        assert not any("UNHCR" in r for r in cell_texts(app.query_one("#warnings", LedgerTable)))
        await pilot.press("z")
        await settle(app, pilot)
        assert triage(db, "s-talks")["state"] == "new"
        assert "s-talks" in app.inbox.rows
        assert app.inbox.current_key() == "s-talks"
        assert any("UNHCR" in r for r in cell_texts(app.query_one("#warnings", LedgerTable)))


async def test_z_undoes_a_star_and_says_when_nothing_is_left(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("s", "z")
        await settle(app, pilot)
        assert triage(db, "s-talks")["starred"] is False
        assert "★" not in app.inbox.get_row("s-talks")[0].plain
        await pilot.press("z")
        await settle(app, pilot)
        assert any("Nothing to undo" in n.message for n in app._notifications)


async def test_l_links_to_an_agreement_via_the_picker(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("j", "j", "j", "j")  # the unmatched storm story
        assert app.inbox.current_key() == "s-weather"
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        # Options are sorted by title: Italy–Albania, UK–Rwanda, US–Rwanda.
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert "uk-rwanda" in app.inbox.get_row("s-weather")[2].plain
    with Store(db) as store:
        detail = store.story("s-weather")
        assert [(m.agreement_id, m.source) for m in detail.matches] == [("uk-rwanda", "user")]


async def test_l_escape_links_nothing(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("l")
        await pilot.pause()
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, PickerScreen)
    with Store(db) as store:
        assert [m.agreement_id for m in store.story("s-talks").matches] == ["us-rwanda"]


async def test_o_opens_http_links_only(db: Path) -> None:
    opened: list[str] = []
    app = make_app(db, url_opener=opened.append)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("o")
        await settle(app, pilot)
        assert opened == ["https://harbour.example/s-talks"]
        app.inbox.move_to_key("s-weather")  # its link is javascript:
        await pilot.pause()
        await pilot.press("o")
        await settle(app, pilot)
        assert opened == ["https://harbour.example/s-talks"]
        assert any("only http and https" in n.message for n in app._notifications)


async def test_slash_searches_and_escape_clears(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"albanian", "enter")
        await settle(app, pilot)
        assert list(app.inbox.rows) == ["s-albania"]
        assert "search: albanian" in app.inbox.border_title
        await pilot.press("escape")
        await settle(app, pilot)
        assert len(app.inbox.rows) == 6


async def test_search_with_fts_syntax_is_literal(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*'"x', "minus", "colon", "enter")
        await settle(app, pilot)
        assert app.is_running
        # Quotes, dashes and colons are words to find, not FTS5 operators: only the story with "x" matches.
        assert [k.value for k in app.inbox.rows] == ["s-hostile"]


async def test_f_filters_by_agreement(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        # "All agreements", Italy–Albania, UK–Rwanda, US–Rwanda
        await pilot.press("down", "down", "enter")
        await settle(app, pilot)
        assert set(app.inbox.rows) == {"s-owes", "s-owes-2"}
        assert [r.split(" | ")[0] for r in cell_texts(app.query_one("#negotiations", LedgerTable))] == ["⚠ uk-rwanda"]
        assert not cell_texts(app.query_one("#warnings", LedgerTable))
        await pilot.press("f")
        await pilot.pause()
        await pilot.press("home", "enter")  # All agreements
        await settle(app, pilot)
        assert len(app.inbox.rows) == 6


async def test_question_mark_shows_the_focused_panes_keys(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.pane == "Inbox"
        ids = {k[2] for k in app.screen.keys}
        assert {"triage.star", "triage.accept", "triage.dismiss", "triage.link", "app.search", "app.quit"} <= ids
        await pilot.press("escape")
        await pilot.press("tab", "tab")  # negotiations: no triage keys there
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.pane == "Negotiations"
        ids = {k[2] for k in app.screen.keys}
        assert {"negotiations.dossier", "fact.edit", "fact.reject", "fact.add"} <= ids and "triage.star" not in ids


async def test_ctrl_p_palette_runs_every_action(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        titles_ = {c.title for c in app.get_system_commands(app.screen)}
        for wanted in ("Accept story", "Dismiss story", "Star story", "Toggle unread", "Link to agreement",
                       "Open link", "Search stories", "Filter by agreement", "Undo", "Refresh", "Feed health",
                       "Help"):
            assert wanted in titles_
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"star", "space", *"story")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(app, pilot)
    assert triage(db, "s-talks")["starred"] is True


async def test_h_shows_feed_health(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, FeedHealthScreen)
        table = app.screen.query_one("#feeds-table")
        rows = [[c.plain for c in table.get_row(k)] for k in table.rows]
        broken = rows[0]
        assert broken[0] == "Broken [b]Feed[/b]"
        assert broken[1].startswith("error")
        assert broken[4] == "in 1h50m" and broken[5] == "backoff after 3 failures"
        assert broken[6] == "HTTP 503 [red]Service Unavailable[/red]"
        await pilot.press("escape")
        assert not isinstance(app.screen, FeedHealthScreen)


async def test_r_polls_now_and_notifies_new_matched_stories(db: Path) -> None:
    poller = FakePoller(rounds=[RoundResult(polled=2, new=1, new_matched=(("s-albania", HOSTILE_TITLE, ("italy-albania",)),))])
    app = make_app(db, poller_factory=lambda *a: poller)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("r")
        for _ in range(20):
            await pilot.pause(0.05)
            if app._last_round is not None:
                break
        await pilot.pause()
        assert poller.calls == [True]
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("Italy–Albania protocol: [bold red]x[/]") for m in messages)
        assert all(n.markup is False for n in app._notifications)
        assert "last round: 2 feeds · 1 new" in str(app.query_one("#status").render())
        assert app.is_running


async def test_autopoll_runs_a_round_at_start(db: Path) -> None:
    poller = FakePoller()
    app = make_app(db, autopoll=True, poller_factory=lambda *a: poller)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        for _ in range(20):
            await pilot.pause(0.05)
            if poller.calls:
                break
        assert poller.calls == [False]
        assert app._next_poll_at is not None
    assert poller.closed


async def test_q_quits(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_ctrl_c_quits_with_130(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 130


async def test_keys_are_remapped_from_config(db: Path) -> None:
    app = make_app(db, settings=settings(keys={"triage.star": "S", "nav.down": "n"}))
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        assert triage(db, "s-talks")["starred"] is False
        await pilot.press("S")
        await settle(app, pilot)
        assert triage(db, "s-talks")["starred"] is True
        await pilot.press("n")
        assert app.inbox.current_key() == "s-owes-2"


async def test_hostile_title_is_literal_and_harmless(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        assert app.inbox.get_row("s-hostile")[1].plain == clean(HOSTILE_TITLE)
        assert "\x1b" not in clean(HOSTILE_TITLE)
        assert clean(HOSTILE_TITLE).startswith("[bold red]x[/] [link=file:///etc/passwd]y[/link] [@click=app.quit]z[/] [/")
        app.inbox.move_to_key("s-hostile")
        await pilot.pause()
        await pilot.press("enter", "s")
        await settle(app, pilot)
        body = str(app.query_one("#preview-body").render())
        assert "[@click=app.quit]z[/]" in body
        # Clicking everywhere on the row cannot trigger the embedded action.
        await pilot.click("#preview-body", offset=(2, 0))
        await pilot.pause()
        assert app.is_running
        assert triage(db, "s-hostile")["starred"] is True


async def test_triage_keys_work_from_the_preview(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("j", "enter", "s")
        await settle(app, pilot)
        assert isinstance(app.focused, Preview)
    assert triage(db, "s-owes-2")["starred"] is True


async def test_enter_on_a_ledger_row_shows_its_story(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        app.query_one("#warnings").focus()
        await pilot.press("j", "enter")
        await pilot.pause()
        assert await previewed(app, pilot, "s-albania")
        assert app.inbox.current_key() == "s-albania"


async def test_ctrl_r_reloads_the_config_and_a_bad_one_keeps_the_old(db: Path, tmp_path: Path) -> None:
    from feeds.config import load_config

    path = tmp_path / "config.toml"
    path.write_text('[[feeds]]\nname = "One"\nurl = "http://127.0.0.1:9/one.xml"\n', encoding="utf-8")
    app = make_app(db, settings=load_config(path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        path.write_text('[[feeds]]\nname = "One"\nurl = "http://127.0.0.1:9/one.xml"\n'
                        '[[feeds]]\nname = "Two"\nurl = "http://127.0.0.1:9/two.xml"\n'
                        '[keys]\n"triage.star" = "S"\n', encoding="utf-8")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert [f.name for f in app.settings.feeds] == ["One", "Two"]
        await pilot.press("S")
        await settle(app, pilot)
        assert triage(db, "s-talks")["starred"] is True

        path.write_text('[poll]\nintervall = "1m"\n', encoding="utf-8")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert [f.name for f in app.settings.feeds] == ["One", "Two"]  # the running settings stay
        assert any("poll.intervall" in str(n.message) for n in app._notifications)


def test_bad_key_remaps_are_one_line_errors(tmp_path: Path, capsys) -> None:
    from tui.app import binding_keys
    from tui.cli import main

    assert {"triage.star", "triage.dismiss", "app.quit", "nav.down"} <= set(binding_keys())
    for keys, needle in (('"triage.stra" = "S"', "keys.triage.stra: no such binding"),
                         ('"triage.star" = "x"', "already bound to triage.dismiss"),
                         ('"triage.star" = "j"', "already bound to nav.down")):
        path = tmp_path / "c.toml"
        path.write_text(f'[[feeds]]\nurl = "http://127.0.0.1:9/f.xml"\n[keys]\n{keys}\n', encoding="utf-8")
        assert main(["--config", str(path), "--db", str(tmp_path / "m.db")]) == 2
        err = capsys.readouterr().err
        assert needle in err and err.count("\n") == 1
        assert main(["--config", str(path), "--db", str(tmp_path / "m.db"), "feeds"]) == 2  # the config check
        assert needle in capsys.readouterr().err


async def test_g_and_G_jump_to_first_and_last(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("G")
        assert app.inbox.cursor_row == app.inbox.row_count - 1
        await pilot.press("g")
        assert app.inbox.cursor_row == 0
        await pilot.press("end")
        assert app.inbox.cursor_row == app.inbox.row_count - 1
        await pilot.press("home")
        assert app.inbox.cursor_row == 0


async def test_G_reaches_the_last_story_of_an_inbox_longer_than_a_page(tmp_path: Path) -> None:
    """Rows are loaded a page at a time; G must still land on the inbox's last story, not the last loaded."""
    from datetime import UTC, datetime, timedelta

    from feeds.models import Analysis, FeedState, Story

    path = build_db(tmp_path / "big.db")
    store = Store(path)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    stories = [Story(id=f"bulk-{i:04d}", title=f"Bulk story {i}", text="Nothing about any agreement.",
                     published=start + timedelta(hours=i), feed_url="http://127.0.0.1:9/bulk.xml")
               for i in range(700)]
    store.save_feed_result(FeedState(url="http://127.0.0.1:9/bulk.xml", last_result="ok"),
                           [(s, Analysis(s.id)) for s in stories])
    store.close()
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        total = len(app.inbox.ids)
        assert total == 706 and app.inbox.row_count < total
        await pilot.press("G")
        await settle(app, pilot)
        assert app.inbox.row_count == total
        assert app.inbox.cursor_row == total - 1
        assert app.inbox.current_key() == app.inbox.ids[-1] == "bulk-0000"  # unmatched and oldest: last


async def test_a_round_with_many_new_stories_gives_one_note(db: Path) -> None:
    """New matched stories are announced once per round, not one toast each over the panes."""
    from feeds.pipeline import RoundResult

    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        new = tuple((f"n{i}", f"Story {i}", ("uk-rwanda",)) for i in range(7))
        app.post_message(app.RoundFinished(RoundResult(polled=3, new=7, new_matched=new)))
        await settle(app, pilot)
        notes = list(app._notifications)
        assert len(notes) == 1
        assert notes[0].title == "7 new matched stories" and "… and 5 more" in notes[0].message
        assert "last round: 3 feeds · 7 new · 0 errors" in str(app.main_query_one("#status").render())

"""Pilot tests for the analyst's ledger (issue 13): the dossier, corrections and their form, the narrow layout."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_tui_keys import make_app, ready, settle
from test_tui_support import FakePoller, build_db, settings
from textual.widgets import Input, Label, Select

from store import Store
from tui.app import MigwatchApp
from tui.panes.dossier import DossierScreen, DossierTable, StoryScreen
from tui.panes.facts import FactForm
from tui.screens import PickerScreen

SIZE = (160, 48)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_db(tmp_path / "l.db")


async def until(pilot, condition, what: str) -> None:
    for _ in range(100):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def open_dossier(app: MigwatchApp, pilot, agreement: str = "uk-rwanda") -> DossierScreen:
    app.open_dossier(agreement)
    await until(pilot, lambda: isinstance(app.screen, DossierScreen) and app.screen.dossier is not None, "the dossier")
    await pilot.pause()
    assert isinstance(app.screen, DossierScreen)
    return app.screen


def table_texts(table) -> list[str]:
    return [" | ".join(c.plain for c in table.get_row(k)) for k in table.rows]


def corrections(db: Path) -> list[tuple]:
    with Store(db) as store:
        return store.conn.execute("SELECT kind, action, fields, undone FROM corrections ORDER BY id").fetchall()


async def test_enter_on_negotiations_opens_the_dossier_with_the_claim_and_the_conflict(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("tab", "tab")  # the Negotiations pane: us-rwanda, italy-albania, uk-rwanda
        await pilot.press("j", "j", "enter")
        await until(pilot, lambda: isinstance(app.screen, DossierScreen) and app.screen.dossier is not None, "dossier")
        screen = app.screen
        assert screen.agreement_id == "uk-rwanda"
        head = screen.query_one("#dossier-head").render()
        plain = str(head)
        assert "cancelled since 2024-07" in plain and "conflict" in plain and "claimed £50m" in plain
        payments = table_texts(screen.query_one("#dossier-payments", DossierTable))
        assert len(payments) == 1 and "£50m" in payments[0] and "claimed" in payments[0] and "+1" in payments[0]
        stories = screen.query_one("#dossier-stories", DossierTable)
        assert set(stories.rows) == {"s-owes", "s-owes-2"}
        await pilot.press("escape")
        assert not isinstance(app.screen, DossierScreen)


async def test_enter_on_a_dossier_row_opens_its_story_at_the_evidence(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        screen = await open_dossier(app, pilot)
        screen.query_one("#dossier-payments", DossierTable).focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, StoryScreen), "the story")
        story = app.screen
        assert story.focus_fact is not None and story.focus_fact.kind == "payment"
        assert story.story.id in {"s-owes", "s-owes-2"}
        await pilot.press("escape")
        assert isinstance(app.screen, DossierScreen)


async def test_d_on_a_story_and_the_palette_open_dossiers(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("d")  # the first story is us-rwanda's
        await until(pilot, lambda: isinstance(app.screen, DossierScreen), "the dossier")
        assert app.screen.agreement_id == "us-rwanda"
        await pilot.press("escape")
        titles = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Open a dossier" in titles and "(d)" in titles["Open a dossier"].help
        app.pick_dossier()
        await until(pilot, lambda: isinstance(app.screen, PickerScreen), "the picker")
        await pilot.press(*"albania", "enter")  # typing narrows the list to Italy–Albania
        await until(pilot, lambda: isinstance(app.screen, DossierScreen), "the dossier")
        assert app.screen.agreement_id == "italy-albania"


async def test_started_with_an_agreement_the_dossier_is_open_and_the_inbox_filtered(db: Path) -> None:
    app = make_app(db, start_dossier="uk-rwanda")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, DossierScreen), "the dossier")
        await settle(app, pilot)
        assert app.filter_agreement == "uk-rwanda"
        assert set(app.inbox.rows) == {"s-owes", "s-owes-2"}


async def test_editing_a_payments_status_saves_a_correction_shown_and_undone(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        screen = await open_dossier(app, pilot)
        screen.query_one("#dossier-payments", DossierTable).focus()
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, FactForm), "the form")
        form = app.screen
        assert form.query_one("#field-amount", Input).value == "50m"
        form.query_one("#field-status", Select).value = "paid"
        form.query_one("#field-note", Input).value = "Home Office confirmed the transfer"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DossierScreen), "the dossier again")
        await settle(app, pilot)
        await until(pilot, lambda: "paid £50m" in str(app.screen.query_one("#dossier-head").render()), "paid")
        rows = table_texts(app.screen.query_one("#dossier-payments", DossierTable))
        assert rows[0].startswith("2025-03-11 | ✎ £50m | paid")
        assert [(k, a, u) for k, a, _f, u in corrections(db)] == [("payment", "edit", 0), ("payment", "edit", 0)]
        # The Payments pane shows it as the user's too.
        payments = table_texts(app.main_query_one("#payments"))
        assert payments[0].startswith("✎ £50m | paid")
        await pilot.press("z")
        await settle(app, pilot)
        await until(pilot, lambda: "claimed £50m" in str(app.screen.query_one("#dossier-head").render()), "undone")
        assert [u for *_x, u in corrections(db)] == [1, 1]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("amount", "-5m", "amount: must be positive"),
    ("currency", "XYZ", "currency: XYZ is not a known ISO code"),
    ("payer", "", "payer: required"),
])
async def test_the_form_says_what_is_wrong_and_saves_nothing(db: Path, field: str, value: str, message: str) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("tab", "tab", "tab")  # the Payments pane
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, FactForm), "the form")
        form = app.screen
        form.query_one(f"#field-{field}", Input).value = value
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, FactForm)  # still open
        error = form.query_one("#form-error", Label)
        assert message in str(error.render()) and error.has_class("-shown")
        await pilot.press("escape")
        await settle(app, pilot)
    assert corrections(db) == []


async def test_x_rejects_a_warning_and_n_adds_a_payment_with_its_source(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("tab", "tab", "tab", "tab")  # the Rights warnings pane
        assert app.focused.id == "warnings"
        before = len(app.main_query_one("#warnings").rows)
        await pilot.press("x")
        await settle(app, pilot)
        await until(pilot, lambda: len(app.main_query_one("#warnings").rows) == before - 1, "the rejected row gone")
        await pilot.press("shift+tab", "n")  # the Payments pane: add a payment
        await until(pilot, lambda: isinstance(app.screen, FactForm), "the form")
        form = app.screen
        form.query_one("#field-agreement", Select).value = "us-rwanda"
        for name, value in (("amount", "7.5m"), ("currency", "usd"), ("payer", "United States"),
                            ("payee", "Rwanda"), ("happened", "2025-08"), ("note", "State Department fact sheet"),
                            ("link", "https://state.example/rwanda")):
            form.query_one(f"#field-{name}", Input).value = value
        form.query_one("#field-status", Select).value = "pledged"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await until(pilot, lambda: any(r.startswith("✚ $7.5m") for r in table_texts(app.main_query_one("#payments"))),
                    "the added payment")
        await pilot.press("z")  # undo the addition
        await settle(app, pilot)
        await until(pilot, lambda: not any("7.5m" in r for r in table_texts(app.main_query_one("#payments"))),
                    "the addition undone")
    assert [(k, a, u) for k, a, _f, u in corrections(db)] == [("warning", "reject", 0), ("payment", "add", 1)]


async def test_a_correction_survives_a_restart(db: Path) -> None:
    with Store(db) as store:
        row = store.payments(agreement="uk-rwanda", grouped=True)[0]
        store.correct(store.same_facts(row.fact), "edit", {"status": "paid"}, note="confirmed")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        assert any(r.startswith("✎ £50m | paid") for r in table_texts(app.main_query_one("#payments")))


async def test_at_80_columns_the_ledgers_are_tabs_and_the_preview_takes_the_inbox_place(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert app.screen.has_class("-narrow")
        assert app.main_query_one("#negotiations").display and not app.main_query_one("#payments").display
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert app.focused.id == "negotiations"
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert app.focused.id == "payments" and not app.main_query_one("#negotiations").display
        # Every column of the pane is whole at 80 columns.
        assert any(r.startswith("£50m") for r in table_texts(app.main_query_one("#payments")))
        app.inbox.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is app.preview and not app.inbox.display
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is app.inbox and app.inbox.display and not app.preview.display


async def test_a_remapped_key_shows_remapped_in_the_palette(db: Path) -> None:
    app = make_app(db, settings=settings(keys={"app.dossier": "D"}))
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        titles = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert titles["Open a dossier"].endswith("(D)")
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, DossierScreen), "the dossier")


async def test_dossier_opens_fast_enough_to_feel_instant(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await open_dossier(app, pilot)
        assert 0 < app.last_dossier_ms < 1000
        await asyncio.sleep(0)


async def test_the_reused_dossier_screen_is_refocused_restyled_when_the_theme_changed_and_its_footer_current(
        db: Path) -> None:
    app = make_app(db, settings=settings(keys={"fact.confirm": "C"}))
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        screen = await open_dossier(app, pilot)
        first = screen.focused
        assert isinstance(first, DossierTable) and first.row_count
        keys = {k.key for k in screen.query("FooterKey")}
        assert "C" in keys and "c" not in keys  # the footer shows the remapped key
        surface = screen.styles.background, screen.query_one("#dossier-body").styles.border_top
        await pilot.press("escape")
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await pilot.pause()
        again = await open_dossier(app, pilot, "italy-albania")
        assert again is screen and again.focused is not None and isinstance(again.focused, DossierTable)
        assert "Albania" in str(again.query_one("#dossier-head").render())
        await until(pilot, lambda: (again.styles.background, again.query_one("#dossier-body").styles.border_top) != surface, "the new theme")
        assert "C" in {k.key for k in again.query("FooterKey")}


# ------------------------------------------------------------------------------------------- articles (issue 11.7)


def _article(db: Path, story_id: str, **columns) -> None:
    with Store(db) as store:
        sets = ", ".join(f"{k} = ?" for k in columns)
        store.conn.execute(f"UPDATE stories SET {sets} WHERE id = ?", (*columns.values(), story_id))


async def test_the_preview_shows_the_article_with_its_evidence_or_says_why_there_is_none(db: Path) -> None:
    article = "Officials in Kigali said on Monday that the United Kingdom still owes Rwanda £50m. More text follows."
    _article(db, "s-owes", article=article, article_status="ok", article_fetched="2025-03-10T10:00:00+00:00")
    with Store(db) as store:
        start = article.index("the United Kingdom still owes")
        store.conn.execute("UPDATE facts SET ev_source = 'article', ev_start = ?, ev_end = ? "
                           "WHERE story_id = 's-owes' AND kind = 'payment'", (start, start + 40))
    _article(db, "s-owes-2", article_status="blocked", article_http=403)
    _article(db, "s-talks", article_status="pending")
    _article(db, "s-albania", article_status="robots")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        expected = {"s-owes": "Article  fetched 2025-03-10", "s-owes-2": "feed summary only — the site answered 403",
                    "s-talks": "waiting for the article…", "s-albania": "robots.txt disallows"}
        for story_id, words in expected.items():
            app.show_preview(story_id)
            await pilot.pause()
            body = app.query_one("#preview-body").render()
            assert words in str(body), story_id
        app.show_preview("s-owes")
        await pilot.pause()
        from tui.panes.preview import render_story

        rendered = render_story(app.store.story("s-owes"), app.titles)
        at = rendered.plain.index("Monday that the United Kingdom") + len("Monday that ")  # in the article
        assert rendered.plain.index("Article  fetched") < at
        assert any(span.start <= at < span.end and "yellow" in str(span.style) for span in rendered.spans)
        assert "articles: 1 fetched · 1 pending · 2 blocked" in str(app.query_one("#status").render())


async def test_a_story_waiting_for_review_is_marked_in_the_inbox_and_the_preview(db: Path) -> None:
    _article(db, "s-albania", needs_review=1)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        assert "↻" in app.inbox.get_row("s-albania")[0].plain
        assert "↻" not in app.inbox.get_row("s-talks")[0].plain
        app.show_preview("s-albania")
        await pilot.pause()
        assert "facts wait for review" in str(app.query_one("#preview-body").render())


class ArticlePoller(FakePoller):
    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []
        self.gate = asyncio.Event()

    async def fetch_article(self, story_id: str) -> str:
        self.fetched.append(story_id)
        await self.gate.wait()
        return "ok"


async def test_A_fetches_the_article_now_without_blocking_the_keys(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        poller = ArticlePoller()
        app._poller = poller
        await pilot.press("A")
        await until(pilot, lambda: poller.fetched == ["s-talks"], "the fetch")
        await pilot.press("j")  # keys go on while the article is fetched
        assert app.inbox.current_key() == "s-owes-2"
        poller.gate.set()
        await settle(app, pilot)
        assert "article fetched" in str(app.query_one("#status").render())
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert "Fetch article" in titles


async def test_feed_health_lists_the_sites_that_gave_no_article(db: Path) -> None:
    _article(db, "s-owes-2", article_status="blocked", article_http=403, article_host="coastline.example",
             article_error="HTTP 403 [b]Forbidden[/b]", article_fetched="2025-03-14T11:00:00+00:00")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("h")
        await pilot.pause()
        hosts = app.screen.query_one("#articles-table")
        rows = table_texts(hosts)
        assert rows == ["coastline.example | blocked | 1 | 1h00m ago | HTTP 403 [b]Forbidden[/b]"]


# ------------------------------------------------------------------ the dossier at 80×24 and 100×30 (issue 13)


def detail_text(screen: DossierScreen) -> str:
    return str(screen.query_one("#dossier-detail").render())


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_a_narrow_dossier_drops_the_expendable_columns_and_the_strip_has_the_whole_evidence(
        db: Path, size: tuple[int, int]) -> None:
    app = make_app(db)
    async with app.run_test(size=size) as pilot:
        await ready(app, pilot)
        screen = await open_dossier(app, pilot)
        payments = screen.query_one("#dossier-payments", DossierTable)
        payments.focus()
        await pilot.pause()
        payments.fit_columns()
        await pilot.pause()
        keys = [c[1] for c in payments.COLUMNS]
        assert "outlet" not in keys and {"amount", "status", "parties", "evidence"} <= set(keys)
        # No header and no cell of the kept columns is cut.
        for label, key, _w, _f in payments.COLUMNS:
            width = payments.columns[key].width  # type: ignore[index]
            if key != "evidence":
                assert width >= len(label), (key, width)
                assert all(payments.get_cell(r, key).cell_len <= width for r in payments.rows), key
        item = payments.current_item()
        evidence = item.fact.evidence
        assert evidence and evidence in detail_text(screen) and item.when[:10] in detail_text(screen)
        strip = screen.query_one("#dossier-detail")
        assert strip.region.bottom <= size[1] - 1 and strip.size.height >= 2  # on screen, above the footer
        # The strip follows the cursor and the focus.
        events = screen.query_one("#dossier-events", DossierTable)
        events.focus()
        await pilot.pause()
        assert events.current_item().fact.evidence in detail_text(screen)
        # Enter still opens the story at the evidence.
        payments.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, StoryScreen), "the story")
        assert app.screen.focus_fact.evidence == evidence


async def test_the_strip_follows_the_cursor(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        screen = await open_dossier(app, pilot)
        events = screen.query_one("#dossier-events", DossierTable)
        events.focus()
        await pilot.pause()
        first = events.current_item()
        assert first.fact.evidence in detail_text(screen)
        if events.row_count > 1:
            await pilot.press("j")
            await pilot.pause()
            assert events.current_item().fact.evidence in detail_text(screen)


async def test_the_header_total_carries_the_users_mark_after_a_correction(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        screen = await open_dossier(app, pilot)
        assert "✎" not in str(screen.query_one("#dossier-head").render())
        screen.query_one("#dossier-payments", DossierTable).focus()
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, FactForm), "the form")
        app.screen.query_one("#field-status", Select).value = "owed"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DossierScreen), "the dossier again")
        await settle(app, pilot)
        await until(pilot, lambda: "✎ owed £50m" in str(app.screen.query_one("#dossier-head").render()), "✎ total")


async def test_the_edit_form_holds_the_facts_date(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        screen = await open_dossier(app, pilot)
        payments = screen.query_one("#dossier-payments", DossierTable)
        payments.focus()
        when = payments.current_item().when
        assert when
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, FactForm), "the form")
        assert app.screen.query_one("#field-happened", Input).value == when


async def test_enter_offers_the_dossier_only_on_a_story_with_an_agreement(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)

        def offers_dossier() -> bool:
            return any(b.binding.description == "Dossier" and b.binding.key == "enter"
                       for b in app.screen.active_bindings.values())

        await pilot.press("j", "j", "j", "j")  # the unmatched storm story
        assert app.inbox.current_key() == "s-weather"
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is app.preview and not offers_dossier()
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, (DossierScreen, PickerScreen))
        await pilot.press("escape")
        await pilot.press("k")
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is app.preview and offers_dossier()


@pytest.mark.parametrize(("size", "reports", "title"), [((80, 24), 12, 20), ((120, 40), 20, 30)])
async def test_the_inbox_gives_reports_a_typical_outlet_from_100_columns(
        db: Path, size: tuple[int, int], reports: int, title: int) -> None:
    app = make_app(db)
    async with app.run_test(size=size) as pilot:
        await ready(app, pilot)
        assert app.inbox.columns["sources"].width >= reports  # type: ignore[index]
        assert app.inbox.columns["title"].width >= title  # type: ignore[index]

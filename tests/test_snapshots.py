"""Snapshot tests (pytest-textual-snapshot): the main screen, the help screen and the feed health screen.

Fixed data (tests/test_tui_support.py), a frozen clock, no polling and no blinking cursor, so a snapshot
changes only when the dashboard does. Update with `pytest tests/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_tui_support import FakePoller, build_db, frozen_clock, settings
from textual.widgets import Input

from tui.app import MigwatchApp

SIZE = (160, 48)


@pytest.fixture
def app(tmp_path: Path) -> MigwatchApp:
    db = build_db(tmp_path / "snap.db")
    app = MigwatchApp(settings(), db, poller_factory=lambda *a: FakePoller(), clock=frozen_clock, autopoll=False)
    app.animation_level = "none"  # a scroll lands at once: the same frame every run
    return app


async def _loaded(pilot) -> None:
    app = pilot.app
    await asyncio.wait_for(app.loaded.wait(), 5)
    app.sub_title = "snapshot.db"  # the temp path differs on every run
    await pilot.pause()


class TestMainScreen:
    def test_main_screen(self, snap_compare, app: MigwatchApp) -> None:
        assert snap_compare(app, terminal_size=SIZE, run_before=_loaded)

    def test_main_screen_after_moving_to_a_cluster(self, snap_compare, app: MigwatchApp) -> None:
        assert snap_compare(app, terminal_size=SIZE, run_before=_loaded, press=["j"])


class TestHelpScreen:
    def test_help_screen(self, snap_compare, app: MigwatchApp) -> None:
        assert snap_compare(app, terminal_size=SIZE, run_before=_loaded, press=["question_mark"])


class TestFeedHealthScreen:
    def test_feed_health_screen(self, snap_compare, app: MigwatchApp) -> None:
        assert snap_compare(app, terminal_size=SIZE, run_before=_loaded, press=["h"])


SIZES = {"80x24": (80, 24), "120x40": (120, 40), "160x48": (160, 48)}


async def _dossier(pilot) -> None:
    await _loaded(pilot)
    pilot.app.open_dossier("uk-rwanda")
    for _ in range(50):
        await pilot.pause(0.02)
        screen = pilot.app.screen
        if getattr(screen, "dossier", None) is not None:
            break
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.2)
    await pilot.wait_for_scheduled_animations()


class TestEveryWidth:
    """The main screen, the dossier and the correction form at 80×24, 120×40 and 160×48: below 150 columns
    the ledger panes are tabs and the inbox and preview take turns."""

    @pytest.mark.parametrize("size", list(SIZES))
    def test_main_screen(self, snap_compare, app: MigwatchApp, size: str) -> None:
        assert snap_compare(app, terminal_size=SIZES[size], run_before=_loaded)

    @pytest.mark.parametrize("size", list(SIZES))
    def test_preview_after_enter(self, snap_compare, app: MigwatchApp, size: str) -> None:
        assert snap_compare(app, terminal_size=SIZES[size], run_before=_loaded, press=["enter"])

    @pytest.mark.parametrize("size", list(SIZES))
    def test_dossier(self, snap_compare, app: MigwatchApp, size: str) -> None:
        assert snap_compare(app, terminal_size=SIZES[size], run_before=_dossier)

    @pytest.mark.parametrize("size", ["80x24", "160x48"])
    def test_payments_tab(self, snap_compare, app: MigwatchApp, size: str) -> None:
        assert snap_compare(app, terminal_size=SIZES[size], run_before=_loaded, press=["right_square_bracket",
                                                                                      "right_square_bracket"])

    @pytest.mark.parametrize("size", ["80x24", "160x48"])
    def test_edit_form(self, snap_compare, app: MigwatchApp, size: str) -> None:
        async def open_form(pilot) -> None:
            await _dossier(pilot)
            await pilot.press("tab", "e")  # the payments table of the dossier
            await pilot.pause(0.2)
            for field in pilot.app.screen.query(Input):
                field.cursor_blink = False
            await pilot.pause()

        assert snap_compare(app, terminal_size=SIZES[size], run_before=open_form)

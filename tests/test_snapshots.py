"""Snapshot tests (pytest-textual-snapshot): the main screen, the help screen and the feed health screen.

Fixed data (tests/test_tui_support.py), a frozen clock, no polling and no blinking cursor, so a snapshot
changes only when the dashboard does. Update with `pytest tests/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_tui_support import FakePoller, build_db, frozen_clock, settings

from tui.app import MigwatchApp

SIZE = (160, 48)


@pytest.fixture
def app(tmp_path: Path) -> MigwatchApp:
    db = build_db(tmp_path / "snap.db")
    return MigwatchApp(settings(), db, poller_factory=lambda *a: FakePoller(), clock=frozen_clock, autopoll=False)


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

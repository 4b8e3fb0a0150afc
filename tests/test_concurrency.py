"""Issue 5, concurrent use: the dashboard's Store and a cron `migwatch poll` on one database at once.

The poll runs as a real subprocess writing a farm's stories; this process holds a Store the way the dashboard
does and, in a bounded loop, triages stories and reads the inbox. Neither side may see "database is locked",
and each sees the other's writes. Two overlapping polls (cron starting the next before the last finished)
on a fresh file store each story once.
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import write_config
from feedserver import FeedServer, Route
from test_crash import farm_feed

from store import Store

CLI = [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())"]


def serve_farm(server: FeedServer, prefix: str, count: int, seed: int, stagger: float = 0.0) -> list[tuple[str, str]]:
    """`stagger`: feed n answers after n % 4 × stagger seconds, so a poll's stores arrive over a while."""
    rng = random.Random(seed)
    feeds = []
    for n in range(count):
        path = f"/{prefix}/{n}.xml"
        server.routes[path] = Route(body=farm_feed(rng, seed * 1000 + n), delay=stagger * (n % 4))
        feeds.append((f"{prefix} {n}", server.url(path)))
    return feeds


def test_dashboard_store_and_a_poll_write_at_once(feed_server: FeedServer, tmp_path: Path) -> None:
    first = serve_farm(feed_server, "a", 2, 1)
    later = serve_farm(feed_server, "b", 12, 2, stagger=0.4)  # the dashboard must see some arrive before others
    db = tmp_path / "m.db"
    # Stories the dashboard can triage from the start.
    seed_config = write_config(tmp_path / "seed.toml", first)
    seeded = subprocess.run([*CLI, "--config", str(seed_config), "--db", str(db), "poll", "--once"],
                            capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr

    config = write_config(tmp_path / "c.toml", first + later)
    store = Store(db)  # opened before the poll starts, held throughout, as the dashboard holds it
    try:
        own = store.inbox_ids()
        assert len(own) == 80
        counts_seen: list[int] = []
        triaged: dict[str, bool] = {}
        errors: list[str] = []
        proc = subprocess.Popen([*CLI, "--config", str(config), "--db", str(db), "poll", "--once"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 90
        i = 0
        try:
            while time.monotonic() < deadline:
                finished = proc.poll() is not None
                sid = own[i % len(own)]
                try:
                    change = store.triage(sid, "star", starred=not (store.triage_state(sid) or {})["starred"])
                    triaged[sid] = bool(change.after["starred"])
                    if i % 5 == 0:
                        store.triage(sid, "read", unread=False)
                    counts_seen.append(len(store.inbox_ids()))
                    store.inbox_rows(store.inbox_ids()[:50])
                except sqlite3.OperationalError as exc:  # the test fails below; keep looping to see how often
                    errors.append(str(exc))
                i += 1
                if finished:
                    break
        finally:
            if proc.poll() is None:
                proc.kill()
            out, err = proc.communicate(timeout=30)
        assert errors == []
        assert proc.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err
        assert i >= 10, "the loop should have run while the poll wrote"

        # The dashboard saw the poll's stories arrive, some of them while the poll still ran.
        total = 80 + 12 * 40
        assert counts_seen[-1] == total
        assert any(80 < c < total for c in counts_seen), counts_seen[:: max(1, len(counts_seen) // 20)]
        assert len(store.inbox_ids()) == total
    finally:
        store.close()

    # And another process (the CLI) sees every triage write the dashboard made during the poll.
    exported = subprocess.run([*CLI, "--config", str(config), "--db", str(db), "export", "stories",
                               "--format", "json"], capture_output=True, text=True, timeout=60)
    assert exported.returncode == 0, exported.stderr
    by_id = {row["id"]: row["triage"] for row in json.loads(exported.stdout)}
    assert len(by_id) == total
    for sid, starred in triaged.items():
        assert by_id[sid]["starred"] is starred
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_two_overlapping_polls_on_a_fresh_database(feed_server: FeedServer, tmp_path: Path) -> None:
    feeds = serve_farm(feed_server, "c", 8, 3)
    config = write_config(tmp_path / "c.toml", feeds)
    db = tmp_path / "fresh.db"  # both processes create and migrate it at the same moment
    cmd = [*CLI, "--config", str(config), "--db", str(db), "poll", "--once"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored, distinct = conn.execute("SELECT count(*), count(DISTINCT id) FROM stories").fetchone()
        assert stored == distinct == 8 * 40
        assert conn.execute("SELECT count(*) FROM triage").fetchone()[0] == stored
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 1
    finally:
        conn.close()


async def test_the_dashboard_and_cron_poll_once_on_one_database_with_keys_pressed_throughout(
        feed_server: FeedServer, tmp_path: Path) -> None:
    """Issue 14.4: the real dashboard (Pilot) triages with keys while `poll --once` runs in another process,
    articles included: no "database is locked" anywhere, every triage action kept."""
    import asyncio

    from feeds.config import load_config
    from tui.app import MigwatchApp

    first = serve_farm(feed_server, "d", 2, 5)
    later = serve_farm(feed_server, "e", 10, 6)
    db = tmp_path / "m.db"
    seeded = subprocess.run([*CLI, "--config", str(write_config(tmp_path / "seed.toml", first)),  # noqa: ASYNC221
                             "--db", str(db), "poll", "--once"], capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    config = write_config(tmp_path / "c.toml", first + later)
    app = MigwatchApp(load_config(config), db, autopoll=False)
    notes: list[str] = []
    original_notify = app.notify

    def notify(message, *args, **kw):  # type: ignore[no-untyped-def]
        notes.append(str(message))
        return original_notify(message, *args, **kw)

    app.notify = notify  # type: ignore[method-assign]
    presses = 0
    async with app.run_test(size=(160, 48)) as pilot:
        await asyncio.wait_for(app.loaded.wait(), 10)
        proc = subprocess.Popen([*CLI, "--config", str(config), "--db", str(db), "poll", "--once"],  # noqa: ASYNC220
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        actions = 0  # keys that write a triage action: s (star) and u (unread)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                finished = proc.poll() is not None
                key = ("s", "j", "u", "j")[presses % 4]
                await pilot.press(key)
                presses += 1
                actions += key in ("s", "u")
                await pilot.pause(0.02)
                if finished and presses >= 40:
                    break
            await asyncio.wait_for(app.workers.wait_for_complete(), 30)
            await pilot.pause()
        finally:
            if proc.poll() is None:
                proc.kill()
            out, err = proc.communicate(timeout=30)
        await pilot.press("q")
    assert proc.returncode == 0, err
    assert "locked" not in err and "Traceback" not in err
    assert not [n for n in notes if "locked" in n.lower() or "could not" in n.lower()], notes
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        journalled = conn.execute("SELECT count(*) FROM triage_log").fetchone()[0]
        stored, distinct = conn.execute("SELECT count(*), count(DISTINCT id) FROM stories").fetchone()
    finally:
        conn.close()
    assert journalled == actions and actions >= 20, (journalled, actions)  # every triage action kept
    assert stored == distinct == 12 * 40

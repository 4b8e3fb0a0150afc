"""Issue 5, crash safety: `kill -9` during a poll and after a triage action loses nothing.

A short version of bench/crash_kill.py on a 10-feed farm made here (tests never read ../shared): three kills
at random moments of `migwatch poll --once`, `PRAGMA integrity_check` after each, then one clean poll that
must leave every served story stored exactly once, each with its triage row. And a triage action that
`Store.triage` acknowledged in a process that is then killed is there when the database is reopened.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import write_config
from feedserver import FeedServer, Route

from feeds.models import Analysis, FeedState, Story
from store import Store

FEEDS = 10
ITEMS = 40
CLI = [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())"]

WORDS = ("Rwanda asylum court ministers deportation Kigali agreement talks payment UNHCR warned refugees "
         "government transfer policy hearing appeal flights budget monitors").split()


def farm_feed(rng: random.Random, n: int) -> bytes:
    items = []
    for i in range(ITEMS):
        words = " ".join(rng.choice(WORDS) for _ in range(120))
        guid = f"urn:crash-farm:{n}:{i}" if i % 7 else ""  # some items without a guid: the id is the link
        link = f"http://127.0.0.1/farm/{n}/{i}.html"
        guid_el = f'<guid isPermaLink="false">{guid}</guid>' if guid else ""
        items.append(f"<item><title>Feed {n} story {i}: {' '.join(words.split()[:8])}</title>"
                     f"{guid_el}<link>{link}</link>"
                     f"<description>&lt;p&gt;{words}.&lt;/p&gt;&lt;p&gt;{words}.&lt;/p&gt;</description>"
                     f"<pubDate>Mon, 05 May 2025 {i % 24:02d}:00:00 GMT</pubDate></item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Farm {n}</title>'
            f'{"".join(items)}</channel></rss>').encode()


def db_figures(db: Path) -> tuple[str, int, int, int]:
    """(integrity, stories, distinct ids, stories without a triage row)."""
    if not db.exists():
        return "ok", 0, 0, 0
    conn = sqlite3.connect(db, timeout=30)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "stories" not in tables:
            return integrity, 0, 0, 0
        stored, distinct = conn.execute("SELECT count(*), count(DISTINCT id) FROM stories").fetchone()
        orphans = conn.execute("SELECT count(*) FROM stories s LEFT JOIN triage t ON t.story_id = s.id "
                               "WHERE t.story_id IS NULL").fetchone()[0]
        return integrity, stored, distinct, orphans
    finally:
        conn.close()


def lingering(tmp_path: Path) -> list[int]:
    """Processes of multiprocessing (fork server, workers) started by a poller that ran in tmp_path."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "multiprocessing" in cmdline and str(tmp_path) in cmdline:
            found.append(int(entry.name))
    return found


def test_kill_9_during_polls_then_a_clean_poll_stores_every_story_once(feed_server: FeedServer,
                                                                        tmp_path: Path) -> None:
    rng = random.Random(5)
    feeds = []
    for n in range(FEEDS):
        feed_server.routes[f"/farm/{n}.xml"] = Route(body=farm_feed(rng, n))
        feeds.append((f"Farm {n}", feed_server.url(f"/farm/{n}.xml")))
    served = FEEDS * ITEMS
    config = write_config(tmp_path / "c.toml", feeds)
    db = tmp_path / "m.db"
    cmd = [*CLI, "--config", str(config), "--db", str(db), "poll", "--once", "--quiet"]

    started = time.monotonic()
    clean = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    poll_seconds = time.monotonic() - started
    assert clean.returncode == 0, clean.stderr
    assert db_figures(db)[1] == served
    db.unlink()
    for extra in ("-wal", "-shm"):
        Path(str(db) + extra).unlink(missing_ok=True)

    landed = 0
    for _ in range(3):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
        time.sleep(rng.uniform(0.2, 1.0) * poll_seconds)
        landed += proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        integrity, stored, distinct, orphans = db_figures(db)
        assert integrity == "ok"
        assert stored == distinct <= served and orphans == 0
    assert landed >= 2, "the kills should land while the poll runs"
    # The killed pollers' fork servers and workers notice and go, instead of holding memory until reboot.
    deadline = time.monotonic() + 10
    while lingering(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not lingering(tmp_path)

    final = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert final.returncode == 0 and "Traceback" not in final.stderr, final.stderr
    assert db_figures(db) == ("ok", served, served, 0)


TRIAGE_CHILD = """
import sys, time
from store import Store
store = Store(sys.argv[1])
for i, sid in enumerate(sys.argv[2:]):
    store.triage(sid, "star" if i % 2 else "accept", **({"starred": True} if i % 2 else {"state": "accepted"}))
    print("ack", sid, flush=True)  # what the dashboard shows once triage() returned
time.sleep(60)
"""


def test_an_acknowledged_triage_action_survives_kill_9(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    ids = [f"urn:triage:{i}" for i in range(6)]
    with Store(db) as store:
        state = FeedState(url="http://127.0.0.1/t.xml", name="t")
        store.sync_feeds([(state.url, state.name, ())])
        stories = [Story(id=sid, title=f"Story {sid}", text="Text.") for sid in ids]
        store.save_feed_result(state, [(s, Analysis(s.id)) for s in stories])

    proc = subprocess.Popen([sys.executable, "-c", TRIAGE_CHILD, str(db), *ids], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        acked = []
        assert proc.stdout is not None
        while len(acked) < len(ids):
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            acked.append(line.split()[1])
        proc.send_signal(signal.SIGKILL)  # at once after the last acknowledgement, before any clean close
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert acked == ids

    with Store(db) as store:
        assert store.integrity_check() == "ok"
        for i, sid in enumerate(ids):
            state = store.triage_state(sid)
            assert state is not None
            if i % 2:
                assert state["starred"] is True and state["state"] == "new"
            else:
                assert state["state"] == "accepted"
        assert len(store.journal()) == len(ids)
        # and the journal behind undo survived too
        assert store.undo() is not None

"""Faults of the disk and the database, and signals mid-round (issue 14.3): one clear line each, a documented
exit code, and a database that PRAGMA integrity_check calls ok afterwards (where there was one)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import write_config
from feedserver import FeedServer, Route
from test_crash import db_figures, farm_feed

from tui.cli import main

CLI = [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())"]


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def seeded_db(feed_server: FeedServer, tmp_path: Path, capsys) -> tuple[Path, Path]:
    rng = random.Random(7)
    feeds = []
    for n in range(3):
        feed_server.routes[f"/f{n}.xml"] = Route(body=farm_feed(rng, n))
        feeds.append((f"f{n}", feed_server.url(f"/f{n}.xml")))
    config = write_config(tmp_path / "c.toml", feeds, extra='full_text = "never"\n')
    db = tmp_path / "m.db"
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 0
    capsys.readouterr()
    return config, db


def test_a_truncated_database_is_one_line_and_a_documented_code(feed_server: FeedServer, tmp_path: Path,
                                                                capsys) -> None:
    config, db = seeded_db(feed_server, tmp_path, capsys)
    for extra in ("-wal", "-shm"):
        Path(str(db) + extra).unlink(missing_ok=True)
    with open(db, "r+b") as fh:
        fh.truncate(db.stat().st_size // 3)
    code = main(["--config", str(config), "--db", str(db), "poll", "--once"])
    assert code in (2, 4), code  # 4: corrupt; 2: not a database at all (README, Failure modes)
    assert str(db) in one_line_error(capsys)
    assert main(["--db", str(db), "export", "stories", "--format", "json"]) in (2, 4)
    one_line_error(capsys)


def test_random_bytes_in_place_of_the_database(tmp_path: Path, capsys) -> None:
    db = tmp_path / "m.db"
    db.write_bytes(random.Random(3).randbytes(64 * 1024))
    before = db.read_bytes()
    assert main(["--db", str(db), "export", "stories", "--format", "json"]) == 2
    assert "not a database" in one_line_error(capsys)
    assert db.read_bytes() == before  # nothing written into somebody else's file


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_a_database_in_a_read_only_folder(feed_server: FeedServer, tmp_path: Path, capsys) -> None:
    config, db = seeded_db(feed_server, tmp_path, capsys)
    os.chmod(tmp_path, 0o555)
    try:
        assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) in (2, 3)
        one_line_error(capsys)
    finally:
        os.chmod(tmp_path, 0o755)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_round_stops_poll_once_cleanly_and_a_repoll_stores_everything_once(
        feed_server: FeedServer, tmp_path: Path, sig: signal.Signals) -> None:
    rng = random.Random(11)
    feeds = []
    for n in range(12):
        feed_server.routes[f"/f{n}.xml"] = Route(body=farm_feed(rng, n), delay=0.2 * (n % 4))
        feeds.append((f"f{n}", feed_server.url(f"/f{n}.xml")))
    config = write_config(tmp_path / "c.toml", feeds, extra='article_delay = 0.5\n')
    db = tmp_path / "m.db"
    proc = subprocess.Popen([*CLI, "--config", str(config), "--db", str(db), "poll", "--once"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(1.2)  # mid-round: some feeds stored, others in flight, articles waiting
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode in (0, 1, 130, 143), (proc.returncode, err)
    assert b"Traceback" not in err and b"leaked" not in err, err
    integrity, *_ = db_figures(db)
    assert integrity == "ok"
    again = subprocess.run([*CLI, "--config", str(config), "--db", str(db), "poll", "--once"],
                           capture_output=True, timeout=120)
    assert again.returncode == 0, again.stderr
    integrity, stored, distinct, orphans = db_figures(db)
    assert integrity == "ok" and stored == distinct == 12 * 40 and orphans == 0
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM stories WHERE article_status = 'pending'").fetchone()[0] == 0
    finally:
        conn.close()

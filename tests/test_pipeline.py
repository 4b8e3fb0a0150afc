"""poll → parse → analyse → store, against a real loopback server and a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_config
from feedserver import FeedServer, Route

from feeds.config import load_config
from feeds.pipeline import Poller
from store import Store
from tui.cli import main


def poll_cli(config: Path, db: Path, capsys) -> str:
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 0
    return capsys.readouterr().out


def test_poll_once_stores_matches_then_304(feed_server: FeedServer, fixture_bytes, tmp_path: Path, capsys) -> None:
    feed_server.routes["/wire.xml"] = Route(body=fixture_bytes("rwanda.rss"))
    config = write_config(tmp_path / "c.toml", [("Test Wire", feed_server.url("/wire.xml"))])
    db = tmp_path / "m.db"
    out = poll_cli(config, db, capsys)
    assert "polled 1 feed: 2 new stories" in out
    ua = feed_server.requests[0].headers["user-agent"]
    assert ua.startswith("migwatch/")

    with Store(db) as store:
        stories = list(store.export_stories())
    assert len(stories) == 2
    for s in stories:
        assert "us-rwanda" in s["agreements"]
        assert "uk-rwanda" in s["agreements"] + s["mentions"]
        assert s["feeds"] == ["Test Wire"]
    first = next(s for s in stories if s["title"].startswith("Kigali"))
    assert {"us-rwanda", "uk-rwanda"} <= set(first["agreements"])

    out = poll_cli(config, db, capsys)
    assert "0 new stories, 1 not modified (304)" in out
    second = feed_server.requests[-1].headers
    assert second["if-none-match"] == feed_server.routes["/wire.xml"].etag
    assert second["if-modified-since"] == feed_server.routes["/wire.xml"].last_modified
    with Store(db) as store:
        assert store.counts().stories == 2
        assert store.integrity_check() == "ok"


def test_same_story_in_two_feeds_is_stored_once(feed_server: FeedServer, fixture_bytes, tmp_path: Path, capsys) -> None:
    body = fixture_bytes("rwanda.rss").replace(b'isPermaLink="false">test-wire-', b'isPermaLink="false">urn:test:wire-')
    feed_server.routes["/a.xml"] = Route(body=body)
    feed_server.routes["/b.xml"] = Route(body=body + b" ")
    config = write_config(tmp_path / "c.toml", [("A", feed_server.url("/a.xml")), ("B", feed_server.url("/b.xml"))])
    db = tmp_path / "m.db"
    poll_cli(config, db, capsys)
    with Store(db) as store:
        stories = list(store.export_stories())
    assert len(stories) == 2
    assert all(sorted(s["feeds"]) == ["A", "B"] for s in stories)


def test_failures_are_recorded_per_feed_and_others_go_on(feed_server: FeedServer, fixture_bytes, tmp_path: Path,
                                                         capsys) -> None:
    feed_server.routes["/good.xml"] = Route(body=fixture_bytes("rwanda.rss"))
    feed_server.routes["/boom.xml"] = Route(status=500, validators=False, body=b"oops")
    feed_server.routes["/html.xml"] = Route(body=b"<!DOCTYPE html><html><body>hi</body></html>", content_type="text/html")
    feed_server.routes["/slow.xml"] = Route(status=429, headers={"Retry-After": "3600"}, validators=False)
    feed_server.routes["/gone.xml"] = Route(status=410, validators=False)
    feed_server.routes["/old.xml"] = Route(status=301, headers={"Location": "/good2.xml"}, validators=False)
    feed_server.routes["/good2.xml"] = Route(body=fixture_bytes("hostile_titles.rss"))
    names = ["good", "boom", "html", "slow", "gone", "old"]
    config = write_config(tmp_path / "c.toml", [(n, feed_server.url(f"/{n}.xml")) for n in names])
    db = tmp_path / "m.db"
    out = poll_cli(config, db, capsys)
    assert "polled 6 feeds" in out and "4 errors" in out
    with Store(db) as store:
        states = {s.name: s for s in store.feed_states()}
    assert states["good"].last_result == "ok"
    assert states["boom"].last_result == "error" and "500" in states["boom"].last_error
    assert states["boom"].failures == 1 and "backoff" in states["boom"].next_poll_why
    assert "HTML" in states["html"].last_error
    assert states["slow"].last_result == "throttled" and "Retry-After" in states["slow"].next_poll_why
    assert states["gone"].retired and "410" in states["gone"].next_poll_why
    assert states["old"].url == feed_server.url("/good2.xml")  # the permanent redirect moved the feed

    # The next --once round skips the retired feed and the one that asked us to wait, and polls the moved
    # feed at its new address.
    before = len(feed_server.requests)
    out = poll_cli(config, db, capsys)
    paths = [r.path for r in feed_server.requests[before:]]
    assert "/gone.xml" not in paths and "/slow.xml" not in paths
    assert "/good2.xml" in paths and "/old.xml" not in paths
    assert "skipped" in out

    assert main(["--config", str(config), "--db", str(db), "feeds"]) == 0
    health = capsys.readouterr().out
    assert "retired" in health and "Retry-After" in health and "HTTP 500" in health


def test_ttl_and_max_age_set_a_floor(feed_server: FeedServer, fixture_bytes, tmp_path: Path, capsys) -> None:
    feed_server.routes["/cc.xml"] = Route(body=fixture_bytes("hostile_titles.rss"),
                                          headers={"Cache-Control": "max-age=7200"})
    config = write_config(tmp_path / "c.toml", [("cc", feed_server.url("/cc.xml"))])
    db = tmp_path / "m.db"
    poll_cli(config, db, capsys)
    with Store(db) as store:
        st = store.feed_states()[0]
    assert "max-age" in st.next_poll_why
    assert (st.next_poll_at - st.last_polled_at).total_seconds() >= 7200


@pytest.mark.parametrize("workers", [1, 0])  # a process pool, and parsing on a thread of the poller's own
async def test_poller_round_reports_progress_and_new_matches(feed_server: FeedServer, fixture_bytes,
                                                             tmp_path: Path, workers: int) -> None:
    feed_server.routes["/wire.xml"] = Route(body=fixture_bytes("rwanda.rss"))
    settings = load_config(write_config(tmp_path / "c.toml", [("Wire", feed_server.url("/wire.xml"))]))
    from feeds.agreements import load_catalogue

    poller = Poller(settings, tmp_path / "m.db", load_catalogue(), workers=workers)
    seen = []
    try:
        result = await poller.poll_round(progress=seen.append)
    finally:
        await poller.aclose()
    assert result.polled == 1 and result.new == 2
    assert seen[-1].done == 1 and seen[-1].total == 1 and seen[-1].new == 2
    assert {a for _, _, agr in result.new_matched for a in agr} >= {"uk-rwanda", "us-rwanda"}
    assert result.next_poll_at is not None


def test_export_stories_json_contract(feed_server: FeedServer, fixture_bytes, tmp_path: Path, capsys) -> None:
    feed_server.routes["/wire.xml"] = Route(body=fixture_bytes("rwanda.rss"))
    config = write_config(tmp_path / "c.toml", [("Wire", feed_server.url("/wire.xml"))])
    db = tmp_path / "m.db"
    poll_cli(config, db, capsys)
    assert main(["--config", str(config), "--db", str(db), "export", "stories", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 2
    for row in rows:
        assert {"id", "title", "link", "feeds", "published", "agreements", "triage"} <= set(row)
    for kind in ("negotiations", "payments", "warnings"):
        for fmt in ("csv", "json", "md"):
            assert main(["--config", str(config), "--db", str(db), "export", kind, "--format", fmt]) == 0
            assert capsys.readouterr().out.strip()
    assert main(["--db", str(db), "export", "payments", "--format", "json"]) == 0
    payments = json.loads(capsys.readouterr().out)
    assert any(p["amount"] == 50_000_000 and p["currency"] == "GBP" and p["evidence"] for p in payments)


def test_an_empty_csv_export_still_has_its_header(feed_server: FeedServer, fixture_bytes, tmp_path: Path,
                                                   capsys) -> None:
    """An empty database exports a CSV header (the same columns as a full export), not a blank line."""
    empty = tmp_path / "empty.db"
    Store(empty).close()
    feed_server.routes["/wire.xml"] = Route(body=fixture_bytes("rwanda.rss"))
    config = write_config(tmp_path / "c.toml", [("Wire", feed_server.url("/wire.xml"))])
    full = tmp_path / "m.db"
    poll_cli(config, full, capsys)
    for kind in ("stories", "payments", "warnings"):
        headers = []
        for db in (empty, full):
            assert main(["--db", str(db), "export", kind, "--format", "csv"]) == 0
            headers.append(capsys.readouterr().out.splitlines()[0])
        assert headers[0] == headers[1] and headers[0].startswith(("id,", "agreement,")), (kind, headers)


def test_poll_does_not_import_textual(tmp_path: Path) -> None:
    code = ("import sys, tui.cli, feeds.pipeline, feeds.fetch, feeds.parse, store\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')]\n"
            "print(bad)\nsys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_database_file_opens_as_plain_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"feeds", "stories", "agreements", "matches", "facts", "triage", "stories_fts"} <= tables
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] >= 1


def test_poll_once_exits_1_when_every_feed_failed(feed_server: FeedServer, tmp_path: Path, capsys) -> None:
    feed_server.routes["/boom.xml"] = Route(status=500, validators=False, body=b"oops")
    config = write_config(tmp_path / "c.toml", [("boom", feed_server.url("/boom.xml"))])
    assert main(["--config", str(config), "--db", str(tmp_path / "m.db"), "poll", "--once"]) == 1
    assert "boom: HTTP 500" in capsys.readouterr().err


async def test_a_killed_worker_process_does_not_fail_the_round(feed_server: FeedServer, fixture_bytes,
                                                                tmp_path: Path) -> None:
    import os
    import signal

    from feeds.agreements import load_catalogue

    feed_server.routes["/wire.xml"] = Route(body=fixture_bytes("rwanda.rss"))
    settings = load_config(write_config(tmp_path / "c.toml", [("Wire", feed_server.url("/wire.xml"))]))
    poller = Poller(settings, tmp_path / "m.db", load_catalogue(), workers=1)
    try:
        pool = poller._executor()
        pool.submit(int, 0).result(timeout=60)  # the worker is up
        for pid in list(pool._processes):  # type: ignore[attr-defined]
            os.kill(pid, signal.SIGKILL)
        result = await poller.poll_round()
    finally:
        await poller.aclose()
    assert result.errors == 0 and result.new == 2

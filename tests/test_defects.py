"""Issue 15: defects found by an attack run, each with the reproduction that found it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_config
from feedserver import FeedServer, Route

from store import Store
from tui.cli import main

HOSTILE_REASON = "Oops \x1b]0;PWNED\x07\x1b[2J\x9b31m"


def _no_controls(text: str) -> bool:
    return not any((ord(c) < 32 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f for c in text)


# ------------------------------------------------------------------ 1. server bytes on the terminal


def test_a_hostile_reason_phrase_is_gated_in_the_store_and_on_stderr(feed_server: FeedServer, tmp_path: Path,
                                                                   capsys) -> None:
    def answer(handler) -> None:
        handler.send_response(500, HOSTILE_REASON)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    feed_server.routes["/evil.xml"] = Route(handler=answer)
    config = write_config(tmp_path / "c.toml", [("Evil", feed_server.url("/evil.xml"))])
    db = tmp_path / "m.db"
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 1
    captured = capsys.readouterr()
    assert "HTTP 500 Oops" in captured.err
    assert _no_controls(captured.err) and _no_controls(captured.out)
    with Store(db) as store:
        (state,) = store.feed_states()
    assert state.last_error is not None and state.last_error.startswith("HTTP 500 Oops")
    assert _no_controls(state.last_error)


# ------------------------------------------------------------------ 2. nested gzip and the body cap


def _zeros_gzipped(size: int, levels: int) -> bytes:
    import gzip
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1 << 20)
    data = b"".join(packer.compress(block) for _ in range(size >> 20)) + packer.flush()
    for _ in range(levels - 1):
        data = gzip.compress(data, 9)
    return data


@pytest.mark.parametrize("levels", [2, 3])
async def test_nested_gzip_is_capped_at_every_layer_as_it_is_decoded(feed_server: FeedServer, levels: int) -> None:
    import tracemalloc

    from feeds.fetch import fetch_feed, new_client

    bomb = _zeros_gzipped(128 << 20, levels)
    assert len(bomb) < 200_000

    def answer(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Encoding", ", ".join(["gzip"] * levels))
        handler.send_header("Content-Length", str(len(bomb)))
        handler.end_headers()
        handler.wfile.write(bomb)

    feed_server.routes["/bomb.xml"] = Route(handler=answer)
    client = new_client(2, 10.0)
    tracemalloc.start()
    try:
        result = await fetch_feed(client, feed_server.url("/bomb.xml"), max_body=1 << 20, deadline=10.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        await client.aclose()
    assert result.error_kind == "too-large" and "cap" in (result.error or "")
    assert peak < 8 << 20, f"decoding peaked at {peak:,} bytes"


async def test_nested_and_deflate_encodings_still_decode(feed_server: FeedServer) -> None:
    import gzip
    import zlib

    from feeds.fetch import fetch_feed, new_client

    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>a</title></item></channel></rss>'
    bodies = {"/gz2": ("gzip, gzip", gzip.compress(gzip.compress(feed))),
              "/deflate": ("deflate", zlib.compress(feed)),
              "/raw-deflate": ("deflate", zlib.compress(feed)[2:-4]),
              "/members": ("gzip", gzip.compress(feed[:50]) + gzip.compress(feed[50:]))}
    for path, (encoding, body) in bodies.items():
        feed_server.routes[path] = Route(handler=lambda h, e=encoding, b=body: (
            h.send_response(200), h.send_header("Content-Encoding", e), h.send_header("Content-Length", str(len(b))),
            h.end_headers(), h.wfile.write(b)))
    client = new_client(2, 5.0)
    try:
        for path in bodies:
            result = await fetch_feed(client, feed_server.url(path))
            assert result.body == feed, path
    finally:
        await client.aclose()


# ------------------------------------------------------------------ 3. the item cap keeps the newest


def _dated_feed(n: int, ascending: bool, atom: bool = False) -> bytes:
    from datetime import UTC, datetime, timedelta

    start = datetime(2020, 1, 1, tzinfo=UTC)
    order = range(n) if ascending else range(n - 1, -1, -1)
    if atom:
        entries = "".join(f"<entry><id>urn:x:{i}</id><title>item {i}</title><summary>s</summary>"
                          f"<updated>{(start + timedelta(hours=i)).isoformat()}</updated></entry>" for i in order)
        return f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{entries}</feed>'.encode()
    items = "".join(f"<item><guid>urn:x:{i}</guid><title>item {i}</title><description>s</description>"
                    f"<pubDate>{(start + timedelta(hours=i)).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
                    for i in order)
    return f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


@pytest.mark.parametrize("kind", ["rss", "atom", "feedparser"])
def test_the_item_cap_keeps_the_newest_of_an_oldest_first_feed(kind: str) -> None:
    from feeds.parse import MAX_ENTRIES, _feedparser_parse, parse_feed

    body = _dated_feed(MAX_ENTRIES + 500, ascending=True, atom=kind == "atom")
    parsed = (_feedparser_parse if kind == "feedparser" else parse_feed)(body, "http://x/f", None)
    titles = {s.title for s in parsed.stories}
    assert len(parsed.stories) == MAX_ENTRIES and parsed.cut == 500 and parsed.items == MAX_ENTRIES + 500
    assert f"item {MAX_ENTRIES + 499}" in titles and "item 499" not in titles and "item 500" in titles


def test_cut_items_are_said_in_the_poll_summary_and_the_feed_health(feed_server: FeedServer, tmp_path: Path,
                                                                    capsys) -> None:
    from feeds.parse import MAX_ENTRIES

    feed_server.routes["/long.xml"] = Route(body=_dated_feed(MAX_ENTRIES + 30, ascending=True))
    config = write_config(tmp_path / "c.toml", [("Long", feed_server.url("/long.xml"))])
    db = tmp_path / "m.db"
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 0
    out = capsys.readouterr().out
    assert "30 oldest items cut from 1 feed over the 2,000-item cap" in out
    assert main(["--config", str(config), "--db", str(db), "feeds"]) == 0
    health = capsys.readouterr().out
    assert "ok; note: kept the newest 2,000 of 2,030 items: 30 older ones were cut" in health
    with Store(db) as store:
        titles = {row.title for row in store.inbox(limit=5000)}
    assert f"item {MAX_ENTRIES + 29}" in titles and "item 29" not in titles


# ------------------------------------------------------------------ 4. dates


def test_one_unreadable_date_costs_only_its_own_item() -> None:
    from datetime import UTC, datetime

    from feeds.parse import _feedparser_parse, parse_feed

    body = (b'<rss version="2.0"><channel><title>t</title>'
            b'<item><guid>urn:a</guid><title>a</title><description>x</description>'
            b'<pubDate>Mon, 05 May 2025 09:00:00</pubDate></item>'
            b'<item><guid>urn:b</guid><title>b</title><description>x</description>'
            b'<pubDate>the day after tomorrow</pubDate></item>'
            b'<item><guid>urn:c</guid><title>c</title><description>x</description>'
            b'<pubDate>Tue, 06 May 2025 10:00:00 +0200</pubDate></item></channel></rss>')
    for parse in (parse_feed, _feedparser_parse):
        dates = {s.title: s.published for s in parse(body, "http://x/f", None).stories}
        assert dates == {"a": datetime(2025, 5, 5, 9, tzinfo=UTC), "b": None,
                         "c": datetime(2025, 5, 6, 8, tzinfo=UTC)}, parse.__name__


def test_a_date_in_the_future_sorts_by_first_seen_and_keeps_its_stated_date(tmp_path: Path, monkeypatch) -> None:
    import sqlite3
    from datetime import UTC, datetime, timedelta

    from feeds.models import Analysis, FeedState, Story

    soon = datetime.now(UTC) - timedelta(minutes=5)
    stories = [Story(id="urn:2099", title="2099", text="t", published=datetime(2099, 1, 1, tzinfo=UTC)),
               Story(id="urn:9999", title="9999", text="t", published=datetime(9999, 12, 31, 23, tzinfo=UTC)),
               Story(id="urn:now", title="now", text="t", published=soon)]
    with Store(tmp_path / "m.db") as store:
        store.sync_feeds([("http://x/f", "f", ())])
        store.save_feed_result(FeedState(url="http://x/f"), [(s, Analysis(s.id)) for s in stories])
        rows = {r.title: r for r in store.inbox()}
    assert rows["9999"].published == datetime(9999, 12, 31, 23, tzinfo=UTC)
    assert rows["2099"].published == datetime(2099, 1, 1, tzinfo=UTC)
    conn = sqlite3.connect(tmp_path / "m.db")
    sort = dict(conn.execute("SELECT title, sort_time FROM stories"))
    first_seen = dict(conn.execute("SELECT title, first_seen FROM stories"))
    conn.close()
    assert sort["2099"] == first_seen["2099"] and sort["9999"] == first_seen["9999"]
    assert sort["now"] < first_seen["now"]
    # a story published later than the future-dated ones were first seen goes above them
    import store.store as store_module

    an_hour_on = datetime.now(UTC) + timedelta(hours=1)
    monkeypatch.setattr(store_module, "now_utc", lambda: an_hour_on)
    later = Story(id="urn:later", title="later", text="t", published=an_hour_on - timedelta(minutes=1))
    with Store(tmp_path / "m.db") as store:
        store.save_feed_result(FeedState(url="http://x/f"), [(later, Analysis(later.id))])
        assert store.inbox()[0].title == "later"


# ------------------------------------------------------------------ 5. database faults


def _big_feed(tag: str, n: int = 60) -> bytes:
    items = "".join(f"<item><guid>urn:{tag}:{i}</guid><title>{tag} story {i}</title>"
                    f"<description>{(f'{tag} word{i} ' * 300)}</description></item>" for i in range(n))
    return f'<rss version="2.0"><channel><title>{tag}</title>{items}</channel></rss>'.encode()


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real 2 MB filesystem (tmpfs), where mounting is allowed (root); else the test is skipped."""
    import subprocess

    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True,
                          timeout=10)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, timeout=10)


def _fill(disk: Path) -> Path:
    import os

    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for _ in range(10_000):
            os.write(fd, b"\1" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_is_one_line_and_exit_3_for_poll_once(feed_server: FeedServer, small_disk: Path,
                                                          tmp_path: Path, capsys) -> None:
    feed_server.routes["/a.xml"] = Route(body=_big_feed("a", 2))
    config = write_config(tmp_path / "c.toml", [("A", feed_server.url("/a.xml"))])
    db = small_disk / "m.db"
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 0
    filler = _fill(small_disk)
    feed_server.routes["/a.xml"] = Route(body=_big_feed("b"))
    capsys.readouterr()
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "disk is full" in err and "Traceback" not in err, err
    filler.unlink()
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 0
    with Store(db) as store:
        assert store.integrity_check() == "ok"
        assert store.counts().stories == 62


def test_the_poll_daemon_keeps_trying_a_full_disk(feed_server: FeedServer, small_disk: Path, tmp_path: Path,
                                                  capsys, monkeypatch) -> None:
    import tui.cli
    from feeds.pipeline import Poller

    feed_server.routes["/a.xml"] = Route(body=_big_feed("a", 2))
    config = write_config(tmp_path / "c.toml", [("A", feed_server.url("/a.xml"))])
    db = small_disk / "m.db"
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 0
    feed_server.routes["/a.xml"] = Route(body=_big_feed("b"))
    real_round, real_wait = Poller.poll_round, tui.cli._disk_full_wait
    waits: list[str] = []
    results = []

    async def round_on_a_full_disk(self, **kw):
        if not waits and not results:
            _fill(small_disk)  # after the daemon started: the round is what meets the full disk
        result = await real_round(self, force=True)
        results.append(result)
        raise KeyboardInterrupt  # one good round after the disk had space again: stop the daemon

    def wait(fault) -> None:
        waits.append(str(fault))
        if len(waits) == 2:
            (small_disk / "filler").unlink()
        if len(waits) > 10:
            raise KeyboardInterrupt
        real_wait(fault)

    monkeypatch.setattr(tui.cli, "DISK_FULL_RETRY", 0.05)
    monkeypatch.setattr(tui.cli, "_disk_full_wait", wait)
    monkeypatch.setattr(Poller, "poll_round", round_on_a_full_disk)
    capsys.readouterr()
    assert main(["--config", str(config), "--db", str(db), "poll"]) == 130
    captured = capsys.readouterr()
    assert len(waits) == 2 and captured.err.count("disk is full") == 2 and "trying again" in captured.err
    assert "Traceback" not in captured.err
    assert len(results) == 1 and results[0].new == 60
    with Store(db) as store:
        assert store.counts().stories == 62


def test_a_read_only_database_is_one_line_and_exit_3(feed_server: FeedServer, tmp_path: Path, capsys) -> None:
    import os
    import subprocess

    feed_server.routes["/a.xml"] = Route(body=_big_feed("a", 2))
    config = write_config(tmp_path / "c.toml", [("A", feed_server.url("/a.xml"))])
    db = tmp_path / "m.db"
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 0
    db.chmod(0o444)
    immutable = os.geteuid() == 0  # root writes to a 0444 file anyway; an immutable one it cannot
    if immutable and subprocess.run(["chattr", "+i", str(db)], capture_output=True, timeout=10).returncode:
        pytest.skip("running as root on a filesystem without chattr +i")
    try:
        feed_server.routes["/a.xml"] = Route(body=_big_feed("b", 3))
        capsys.readouterr()
        assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 3
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "read-only" in err and "Traceback" not in err, err
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(db)], capture_output=True, timeout=10)


def test_a_corrupt_database_is_one_line_and_exit_4_and_poll_stops_writing(feed_server: FeedServer,
                                                                         tmp_path: Path, capsys) -> None:
    names = [f"f{i}" for i in range(10)]
    for name in names:
        feed_server.routes[f"/{name}.xml"] = Route(body=_big_feed(name, 20))
    config = write_config(tmp_path / "c.toml", [(n, feed_server.url(f"/{n}.xml")) for n in names])
    db = tmp_path / "m.db"
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 0
    size = db.stat().st_size
    with open(db, "r+b") as fh:  # garbage over a stretch in the middle of the file
        fh.seek(size // 2 // 8192 * 8192)
        fh.write(b"\xa5" * (size // 4))
    capsys.readouterr()
    assert main(["--db", str(db), "export", "stories", "--format", "json"]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "corrupt" in err and "Traceback" not in err, err
    for name in names:
        feed_server.routes[f"/{name}.xml"] = Route(body=_big_feed(name + "x", 20))
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 4
    err = capsys.readouterr().err
    assert "corrupt" in err and "Traceback" not in err, err


# ------------------------------------------------------------------ 6. SIGTERM


def _spawn(args: list[str], cwd: Path, env: dict[str, str] | None = None, **kw):
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONWARNINGS": "default", **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "tui", *args], cwd=cwd, env=env, **kw)


def test_sigterm_stops_the_poll_daemon_as_ctrl_c_does(feed_server: FeedServer, fixture_bytes, tmp_path: Path) -> None:
    import signal
    import subprocess
    import time

    feed_server.routes["/wire.xml"] = Route(body=fixture_bytes("rwanda.rss"))
    config = write_config(tmp_path / "c.toml", [("Wire", feed_server.url("/wire.xml"))])
    out = tmp_path / "out.txt"
    with open(out, "wb") as fh:
        proc = _spawn(["--config", str(config), "--db", str(tmp_path / "m.db"), "poll"], tmp_path, stdout=fh,
                      stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 30
            while b"migwatch poll: polled" not in out.read_bytes() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert b"polled 1 feed" in out.read_bytes()
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    assert proc.returncode == 143, err
    assert b"leaked" not in err and b"Traceback" not in err, err


def test_sigterm_to_the_dashboard_restores_the_terminal(tmp_path: Path, fixture_bytes) -> None:
    import os
    import pty
    import select
    import signal
    import termios
    import time

    feed = tmp_path / "wire.xml"
    feed.write_bytes(fixture_bytes("rwanda.rss"))
    config = write_config(tmp_path / "c.toml", [("Wire", str(feed))])
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    env_term = {"TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    proc = _spawn(["--config", str(config), "--db", str(tmp_path / "m.db")], tmp_path, env=env_term, stdin=slave,
                  stdout=slave, stderr=slave, start_new_session=True)
    seen = b""

    def read_for(seconds: float, until: bytes | None = None) -> None:
        nonlocal seen
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and (until is None or until not in seen):
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    return
            elif proc.poll() is not None:
                return

    try:
        read_for(30, until=b"Wire")  # the dashboard is up (alternate screen, raw mode) and painted a feed
        assert b"\x1b[?1049h" in seen
        assert termios.tcgetattr(slave)[3] & termios.ICANON == 0  # raw mode
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            read_for(0.2)
        read_for(0.5)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        after = termios.tcgetattr(slave)
        os.close(master)
        os.close(slave)
    assert proc.returncode == 143
    assert seen.rfind(b"\x1b[?1049l") > seen.rfind(b"\x1b[?1049h")  # the alternate screen is off again
    assert after[3] & termios.ICANON and after[3] & termios.ECHO == before[3] & termios.ECHO


# ------------------------------------------------------------------ 7. OPML


def _opml(outlines: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-16"?><opml version="2.0"><head/><body>{outlines}</body></opml>'


def test_a_utf16_opml_cannot_smuggle_a_doctype_or_entities(tmp_path: Path, capsys) -> None:
    bomb = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE opml [<!ENTITY u "https://evil.example/">]>'
            '<opml version="2.0"><body><outline text="&u;" xmlUrl="&u;feed"/></body></opml>')
    opml = tmp_path / "subs.opml"
    opml.write_bytes(bomb.encode("utf-16"))
    config = tmp_path / "c.toml"
    config.write_text('[poll]\ninterval = "15m"\n', encoding="utf-8")
    assert main(["--config", str(config), "import-opml", str(opml)]) == 2
    assert "DOCTYPE" in capsys.readouterr().err
    assert "evil" not in config.read_text(encoding="utf-8")
    # a plain UTF-16 subscription list still imports
    opml.write_bytes(_opml('<outline text="A" xmlUrl="https://a.example/feed"/>').encode("utf-16"))
    assert main(["--config", str(config), "import-opml", str(opml)]) == 0
    assert "https://a.example/feed" in config.read_text(encoding="utf-8")


def test_an_opml_url_with_bidi_or_c1_characters_is_skipped(tmp_path: Path, capsys) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_text(_opml('<outline text="Bidi" xmlUrl="https://a.example/\u202efeed"/>'
                          '<outline text="C1" xmlUrl="https://b.example/\u009bfeed"/>'
                          '<outline text="Zero width" xmlUrl="https://c.example/\u200bfeed"/>'
                          '<outline text="Fine" xmlUrl="https://d.example/feed"/>').replace("UTF-16", "UTF-8"),
                    encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text('[poll]\ninterval = "15m"\n', encoding="utf-8")
    assert main(["--config", str(config), "import-opml", str(opml)]) == 0
    captured = capsys.readouterr()
    assert "added 1 feeds" in captured.out and captured.err.count("skipped outline") == 3
    assert _no_controls(captured.err) and "\u202e" not in captured.err and "\u200b" not in captured.err
    text = config.read_text(encoding="utf-8")
    assert "d.example" in text and "\u202e" not in text and "\u009b" not in text and "\u200b" not in text
    assert main(["--config", str(config), "--db", str(tmp_path / "m.db"), "feeds"]) == 0
    assert "d.example" in capsys.readouterr().out


def test_a_10_mb_opml_is_refused_or_read_quickly(tmp_path: Path, capsys) -> None:
    import time

    def rows(n: int) -> str:
        return "".join(f'<outline text="Feed {i}" type="rss" xmlUrl="https://ex{i}.example/f.xml"/>' for i in range(n))

    opml = tmp_path / "big.opml"
    opml.write_text(f'<?xml version="1.0"?><opml version="2.0"><body>{rows(128_000)}</body></opml>', encoding="utf-8")
    assert 9_500_000 < opml.stat().st_size < 10 << 20
    config = tmp_path / "c.toml"
    config.write_text('[poll]\ninterval = "15m"\n', encoding="utf-8")
    started = time.monotonic()
    code = main(["--config", str(config), "import-opml", str(opml)])
    assert time.monotonic() - started < 10
    assert code == 2 and "more than 20,000 feeds" in capsys.readouterr().err
    small = tmp_path / "small.opml"
    small.write_text(f'<?xml version="1.0"?><opml version="2.0"><body>{rows(10_000)}</body></opml>',
                     encoding="utf-8")
    started = time.monotonic()
    assert main(["--config", str(config), "import-opml", str(small)]) == 0
    assert time.monotonic() - started < 10
    assert "added 10000 feeds" in capsys.readouterr().out


def test_import_opml_keeps_the_config_mode_and_writes_through_a_symlink(tmp_path: Path) -> None:
    import os
    import stat

    real = tmp_path / "dotfiles" / "migwatch.toml"
    real.parent.mkdir()
    real.write_text('# my feeds\n[poll]\ninterval = "15m"\n', encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    opml = tmp_path / "subs.opml"
    opml.write_text('<?xml version="1.0"?><opml version="2.0"><body><outline text="A" '
                    'xmlUrl="https://a.example/feed"/></body></opml>', encoding="utf-8")
    assert main(["--config", str(link), "import-opml", str(opml)]) == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    text = real.read_text(encoding="utf-8")
    assert text.startswith("# my feeds\n") and "https://a.example/feed" in text


# ------------------------------------------------------------------ 8. config


def test_a_config_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    from feeds.config import load_config

    config = tmp_path / "c.toml"
    config.write_bytes(b"\xef\xbb\xbf" + b'[poll]\ninterval = "20m"\n')
    assert load_config(config).poll.interval == 1200


@pytest.mark.parametrize("mark", ["\u200b", "\u200f", "\u202e", "\u2066", "\ufeff"])
def test_zero_width_and_bidi_marks_in_names_are_refused_naming_the_key(tmp_path: Path, mark: str, capsys) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[[feeds]]\nname = "UN{mark}HCR"\nurl = "https://a.example/feed"\n', encoding="utf-8")
    assert main(["--config", str(config), "feeds"]) == 2
    err = capsys.readouterr().err
    assert "feeds[0].name" in err and "bidi" in err and mark not in err


def test_near_duplicate_feed_urls_are_refused_in_one_line_naming_both(tmp_path: Path, capsys) -> None:
    variants = ["HTTP://127.0.0.1:8080/feed.xml", "http://127.0.0.1:8080/feed.xml#frag",
                "http://127.0.0.1:8080//feed.xml", "http://localhost:8080/feed.xml", "http://LOCALHOST.:8080/feed.xml"]
    for variant in variants:
        config = write_config(tmp_path / "c.toml", [("A", "http://127.0.0.1:8080/feed.xml"), ("B", variant)])
        assert main(["--config", str(config), "feeds"]) == 2, variant
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "feeds[1].url" in err and "feeds[0].url" in err, err
    config = write_config(tmp_path / "c.toml", [("A", "http://127.0.0.1:8080/feed.xml"),
                                                ("B", "http://127.0.0.1:8080/feed.xml?page=2"),
                                                ("C", "https://127.0.0.1:8080/feed.xml")])
    assert main(["--config", str(config), "--db", str(tmp_path / "m.db"), "feeds"]) == 0


# ------------------------------------------------------------------ 9. long links


@pytest.mark.parametrize("kind", ["rss", "atom", "feedparser"])
def test_links_are_kept_whole_up_to_2048_characters_and_a_longer_one_is_marked_cut(kind: str) -> None:
    from feeds.parse import _feedparser_parse, parse_feed
    from feeds.text import MAX_LINK, link_was_cut

    whole = "https://news.example/a?" + "q" * (MAX_LINK - 23)
    huge = "https://news.example/b?" + "x" * 100_000
    assert len(whole) == MAX_LINK
    if kind == "atom":
        entries = "".join(f'<entry><id>urn:{i}</id><title>t{i}</title><summary>s</summary><link href="{u}"/></entry>'
                          for i, u in enumerate((whole, huge)))
        body = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{entries}</feed>'.encode()
    else:
        items = "".join(f"<item><guid>urn:{i}</guid><title>t{i}</title><description>s</description><link>{u}</link></item>"
                        for i, u in enumerate((whole, huge)))
        body = f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
    parsed = (_feedparser_parse if kind == "feedparser" else parse_feed)(body, "http://x/f", None)
    links = {s.title: s.link for s in parsed.stories}
    assert links["t0"] == whole and not link_was_cut(whole)
    assert links["t1"] is not None and link_was_cut(links["t1"]) and links["t1"].startswith(huge[:MAX_LINK])


async def test_o_refuses_to_open_a_cut_link(tmp_path: Path) -> None:
    from test_tui_keys import SIZE, make_app, ready, settle
    from test_tui_support import build_db

    from feeds.models import Analysis, FeedState, Story
    from feeds.text import gate_link

    db = build_db(tmp_path / "t.db")
    cut = gate_link("https://news.example/b?" + "x" * 100_000)
    with Store(db) as store:
        store.sync_feeds([("http://x/f", "Long links", ())])
        story = Story(id="s-long", title="A story with a very long link", text="t", link=cut)
        store.save_feed_result(FeedState(url="http://x/f"), [(story, Analysis(story.id))])
    opened: list[str] = []
    app = make_app(db, url_opener=opened.append)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        app.inbox.move_to_key("s-long")
        await pilot.pause()
        await pilot.press("o")
        await settle(app, pilot)
        assert opened == []
        assert any("was cut when stored" in n.message for n in app._notifications)

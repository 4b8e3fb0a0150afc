"""Issue 15: defects found by an attack run, each with the reproduction that found it."""

from __future__ import annotations

from pathlib import Path

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

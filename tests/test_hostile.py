"""Issue 5, hostile servers: one `migwatch poll --once` round over every way a server can misbehave.

Runs the round of bench/hostile_round.py (its loopback server, its checks) with a short timeout: a good feed
and a 301 to it, plus 500/404/410/429, HTML, random bytes, empty and truncated bodies, an entity bomb, a
200 MB body (with and without Content-Length), a one-byte-a-second drip, a redirect loop, a refused and a
closed connection, and a host that does not resolve (getaddrinfo is replaced in the poller: no DNS query).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "hostile_round.py"
TIMEOUT = 3.0
MARGIN = 6.0  # interpreter start, forkserver, the parse pool and the database, on a slow CI machine


def _bench():
    spec = importlib.util.spec_from_file_location("hostile_round", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["hostile_round"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def round_result():
    bench = _bench()
    return bench, bench.run(TIMEOUT)


def test_round_is_bounded_in_time_and_memory(round_result) -> None:
    _, out = round_result
    assert out["exit_code"] == 0 and not out["traceback"]
    assert out["wall_s"] <= TIMEOUT + MARGIN, out["wall_s"]
    assert 0 < out["peak_rss_mb"] < 400, out["peak_rss_mb"]


def test_every_check_of_the_round_passes(round_result) -> None:
    bench, out = round_result
    assert bench.problems(out) == []


def test_good_feed_stored_once_each_with_whole_text_and_db_sound(round_result) -> None:
    bench, out = round_result
    assert out["integrity"] == "ok"
    assert out["stories"] == out["distinct_stories"] == 3
    assert out["good_texts_ok"]  # the truncated copies did not store a cut-off text
    assert [m[1].rsplit("/", 1)[1] for m in out["moved"]] == ["good.xml"]


@pytest.mark.parametrize("name,needle", [
    ("500", "HTTP 500"), ("404", "HTTP 404"), ("410", "Gone"), ("429", "HTTP 429"), ("html", "HTML page"),
    ("random", "not a feed"), ("empty", "empty body"), ("bomb", "entit"), ("huge", "cap"),
    ("huge-chunked", "cap"), ("drip", "within 3s"), ("loop-a", "redirect loop"), ("close", "closed"),
    ("refused", "refused"), ("nxdomain", "host not found"),
])
def test_each_failure_has_its_reason_and_next_attempt(round_result, name: str, needle: str) -> None:
    _, out = round_result
    st = out["feeds"][name]
    assert needle in st["error"]
    if name == "410":
        assert st["retired"] and st["result"] == "gone"
    else:
        assert st["next"] and st["why"]
    if name == "429":
        assert st["result"] == "throttled" and "Retry-After" in st["why"]
    line = out["feeds_output"].split(f"{name}  [", 1)[1].split("\n")[1]
    assert "error:" in line and "next poll" in line


# ------------------------------------------------------------------------------ the same bodies, in process

RSS_HEAD = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
ITEM1 = b"<item><title>First</title><guid>urn:t:1</guid><description>One whole sentence.</description></item>"


def test_a_body_cut_inside_an_entry_keeps_only_the_complete_entries() -> None:
    from feeds.parse import parse_feed

    cut = RSS_HEAD + ITEM1 + b"<item><title>Second</title><guid>urn:t:2</guid><description>Half a sent"
    assert [(s.id, s.text) for s in parse_feed(cut, "http://x").stories] == [("urn:t:1", "One whole sentence.")]
    whole = cut + b"ence.</description></item></channel></rss>"
    assert [s.id for s in parse_feed(whole, "http://x").stories] == ["urn:t:1", "urn:t:2"]


def test_a_body_cut_before_any_complete_entry_is_an_error() -> None:
    from feeds.parse import NotAFeed, parse_feed

    with pytest.raises(NotAFeed, match="truncated"):
        parse_feed(RSS_HEAD + b"<item><title>Second</title><guid>urn:t:2</guid><description>Ha", "http://x")


def test_entity_bombs_are_refused_not_stored_as_entity_text() -> None:
    from feeds.parse import NotAFeed, parse_feed

    bench = _bench()
    with pytest.raises(NotAFeed, match="entit"):
        parse_feed(bench.BOMB, "http://x")
    quoted = bench.BOMB.replace(b'"', b"'")
    with pytest.raises(NotAFeed, match="entit"):
        parse_feed(quoted, "http://x")


def test_a_single_harmless_entity_declaration_still_parses() -> None:
    from feeds.parse import parse_feed

    body = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY id "tag:example.com,">]><rss version="2.0"><channel>'
            b"<title>t</title><item><title>Entity &id;</title><guid>urn:t:9</guid></item></channel></rss>")
    assert [s.title for s in parse_feed(body, "http://x").stories] == ["Entity tag:example.com,"]


def test_items_whose_title_or_text_sit_in_another_element_are_not_dropped() -> None:
    """The fast path hands such items to feedparser, which knows every alias (dc:title, fullitem, …)."""
    from feeds.parse import parse_feed

    body = (b'<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            b"<title>t</title><item><dc:title>Only a DC title</dc:title><dc:description>And a DC text."
            b"</dc:description><guid>urn:dc:1</guid></item>"
            b"<item><fullitem>&lt;p&gt;Full item text&lt;/p&gt;</fullitem><guid>urn:dc:2</guid></item>"
            b"</channel></rss>")
    stories = {s.id: s for s in parse_feed(body, "http://x").stories}
    assert (stories["urn:dc:1"].title, stories["urn:dc:1"].text) == ("Only a DC title", "And a DC text.")
    assert stories["urn:dc:2"].text == "Full item text"

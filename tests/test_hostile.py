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


# ------------------------------------------------------------------------------ hostile input everywhere else

CLI = [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())"]


def cli(args: list[str], tmp_path: Path, stdin: bytes = b""):
    import os
    import subprocess

    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"), "XDG_DATA_HOME": str(tmp_path / "xdg-data")}
    env.pop("MIGWATCH_CONFIG", None)
    run = subprocess.run([*CLI, *args], input=stdin, capture_output=True, timeout=120, env=env, cwd=tmp_path)
    return run.returncode, run.stdout.decode("utf-8", "replace"), run.stderr.decode("utf-8", "replace")


def assert_one_line_exit_2(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, err


@pytest.mark.parametrize("line,needle", [
    pytest.param("[" * 100_000, "nested too deeply", id="deep-array"),
    pytest.param('{"id": "x", "text": "y"' + ', "a": {' * 50_000, "not valid JSON", id="deep-object"),
    pytest.param("\x00\x01", "not valid JSON", id="control-bytes"),
    pytest.param('{"id": null, "text": "x"}', 'missing "id"', id="null-id"),
])
def test_analyze_rejects_hostile_json_lines_with_one_line(tmp_path: Path, line: str, needle: str) -> None:
    good = '{"id": "ok", "title": "t", "text": "Rwanda asylum talks."}\n'
    code, out, err = cli(["analyze", "-"], tmp_path, (good + line + "\n").encode())
    assert_one_line_exit_2(code, err, "line 2", needle)
    assert out == ""  # nothing written half-way: the good first line is not printed either


OPML_HEAD = '<?xml version="1.0"?>'


@pytest.mark.parametrize("name,text,needle", [
    pytest.param("late-doctype.opml", OPML_HEAD + "<!--" + "x" * 6000 + '--><!DOCTYPE opml SYSTEM "file:///etc/passwd">'
                 '<opml version="2.0"><body><outline xmlUrl="https://e.org/x"/></body></opml>', "DOCTYPE",
                 id="doctype-after-a-long-comment"),
    pytest.param("param-entity.opml", OPML_HEAD + '<!DOCTYPE o [<!ENTITY % p "x">]><opml/>', "entity",
                 id="parameter-entity"),
    pytest.param("deep.opml", '<opml version="2.0"><body>' + '<outline text="f">' * 50_000 + "</outline>" * 50_000
                 + "</body></opml>", "nested", id="nested-50000-deep"),
    pytest.param("binary.opml", "\udcff\udcfe\x00<\x00o" * 100, "not valid XML", id="binary"),
    pytest.param("huge.opml", '<opml version="2.0"><body>' + '<outline text="a" xmlUrl="https://e.org/x"/>' * 260_000
                 + "</body></opml>", "over 10 MB", id="over-10MB"),
    pytest.param("not-opml.opml", "<rss><channel/></rss>", "not OPML", id="rss-not-opml"),
])
def test_import_opml_refuses_hostile_files_and_writes_nothing(tmp_path: Path, name: str, text: str,
                                                              needle: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[poll]\ninterval = "30m"\n', encoding="utf-8")
    before = config.read_bytes()
    (tmp_path / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    code, _, err = cli(["--config", str(config), "import-opml", name], tmp_path)
    assert_one_line_exit_2(code, err, name, needle)
    assert config.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".migwatch-")] == []


def test_import_opml_with_missing_attributes_and_hostile_names(tmp_path: Path) -> None:
    from feeds.config import load_config

    config = tmp_path / "config.toml"
    opml = tmp_path / "odd.opml"
    opml.write_text('<opml version="2.0"><body><outline/><outline xmlUrl="https://e.org/a"/><outline xmlUrl=""/>'
                    '<outline text="&#x9b;31mC1 &#x202e;bidi" xmlUrl="https://e.org/b"/>'
                    '<outline title="[b]markup[/b] &lt;script&gt;x" xmlUrl="https://e.org/c"/>'
                    '<outline text="folder only"><outline text="empty folder"/></outline>'
                    '<outline text="bad port" xmlUrl="http://e.org:99999/x"/></body></opml>', encoding="utf-8")
    code, out, err = cli(["--config", str(config), "import-opml", str(opml)], tmp_path)
    assert code == 0 and "Traceback" not in err, err
    assert "added 3 feeds" in out and "bad port" in err
    feeds = {f.url: f.name for f in load_config(config).feeds}
    assert feeds == {"https://e.org/a": "https://e.org/a", "https://e.org/b": "31mC1 bidi",
                     "https://e.org/c": "[b]markup[/b]"}  # the decoded <script> and what follows: dropped


HOSTILE_CONFIGS = {
    "nan interval": ("[poll]\ninterval = nan\n", "poll.interval"),
    "inf timeout": ("[poll]\ntimeout = inf\n", "poll.timeout"),
    "negative interval": ('[poll]\ninterval = "-5m"\n', "poll.interval"),
    "zero concurrency": ("[poll]\nconcurrency = 0\n", "poll.concurrency"),
    "absurd concurrency": ("[poll]\nconcurrency = 99999999999999999999999\n", "poll.concurrency"),
    "float concurrency": ("[poll]\nconcurrency = 1e9\n", "poll.concurrency"),
    "huge interval number": ("[poll]\ninterval = 1e400\n", "poll.interval"),
    "huge max_body": ('[poll]\nmax_body = "' + "9" * 400 + 'GB"\n', "poll.max_body"),
    "max_body over a GiB": ('[poll]\nmax_body = "5GB"\n', "poll.max_body"),
    "huge feed interval": ('[[feeds]]\nurl = "http://127.0.0.1/x"\ninterval = "99999999999d"\n', "feeds[0].interval"),
    "poll as array of tables": ('[[poll]]\ninterval = "15m"\n', "poll"),
    "feeds as a table": ('[feeds]\nurl = "http://127.0.0.1/x"\n', "feeds"),
    "feeds as a string": ('feeds = "http://127.0.0.1/x"\n', "feeds"),
    "dotted key inside poll": ('[poll.interval]\nvalue = "15m"\n', "poll.interval"),
    "deep nesting": ("x = " + "[" * 5000 + "\n", "nested too deeply"),
    "escape in a feed name": ('[[feeds]]\nname = "\\u001b[31mred"\nurl = "http://127.0.0.1/x"\n', "feeds[0].name"),
    "NUL in store path": ('[store]\npath = "a\\u0000b"\n', "store.path"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_CONFIGS))
def test_hostile_config_values_are_one_line_and_nothing_is_written(case: str, tmp_path: Path) -> None:
    text, needle = HOSTILE_CONFIGS[case]
    config = tmp_path / "config.toml"
    config.write_text(text + '\n[[feeds]]\nurl = "http://127.0.0.1:9/other"\n' if "feeds" not in text else text,
                      encoding="utf-8")
    db = tmp_path / "never.db"
    code, out, err = cli(["--config", str(config), "--db", str(db), "poll", "--once"], tmp_path)
    assert_one_line_exit_2(code, err, str(config), needle)
    assert out == "" and not db.exists()

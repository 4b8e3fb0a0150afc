"""Issue 5, property-based tests (hypothesis): the text gate, the money parser and the config loader take any
input without crashing, and what the text gate lets through is safe to show.

Bounded: ~200 examples each, no deadline (CI machines are slow), so the file runs in seconds.
"""

from __future__ import annotations

import math
import re
import string
import tomllib
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feeds.config import ConfigError, load_config, settings_from_dict
from feeds.extract import parse_money
from feeds.text import one_line, plain_text

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# C0 (but tab and newline), DEL, C1, and the Unicode characters that reorder or hide text.
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
UNSAFE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# Text that looks like what feeds send: markup, entities (numeric ones for control characters too),
# escapes, bidi overrides, CDATA and comments, mixed with anything at all.
PIECES = st.sampled_from([
    "<p>", "</p>", "<br/>", "<script>", "</script>", "<style>x{}</style>", "<b", "<!--", "-->", "<![CDATA[", "]]>",
    "&amp;", "&lt;", "&gt;", "&#27;", "&#x1b;", "&#155;", "&#x9b;", "&#0;", "&#x202e;", "&#8238;", "&nbsp;", "&",
    "\x1b[31m", "\x1b]8;;http://e.org\x07", "\x9b", "\u202e", "\u2066", "\r\n", "\r", "\t", "\n", "\x00", "[b]",
    "[/", "&#x110000;", "&#99999999;", "<a href='javascript:x'>", "<img src=x onerror=alert(1)>", "&lt;script&gt;",
])
FEED_TEXT = st.lists(st.one_of(PIECES, st.text(max_size=20)), max_size=30).map("".join)


@FUZZ
@given(st.one_of(FEED_TEXT, st.text(), st.binary().map(lambda b: b.decode("latin-1"))))
def test_plain_text_is_printable(value: str) -> None:
    out = plain_text(value)
    assert isinstance(out, str)
    assert not UNSAFE.search(out), repr(out)
    assert len(out) <= 100_001


@FUZZ
@given(st.one_of(FEED_TEXT, st.text()), st.integers(min_value=1, max_value=300))
def test_one_line_is_one_printable_line(value: str, limit: int) -> None:
    out = one_line(value, limit)
    assert not UNSAFE_LINE.search(out), repr(out)  # no tab or newline either
    assert len(out) <= limit + 1  # the ellipsis
    assert out == out.strip()


@FUZZ
@given(st.one_of(st.none(), st.integers(), st.floats(), st.binary(max_size=50), st.lists(st.text(), max_size=3)))
def test_the_gate_takes_any_object(value: object) -> None:
    assert not UNSAFE.search(plain_text(value))
    assert not UNSAFE_LINE.search(one_line(value))


MONEYISH = st.lists(st.one_of(
    st.sampled_from(["£", "$", "€", "US$", "A$", "AUD ", "EUR", " million", "m", "bn", " billion", "mln", " pounds",
                     " euros", " dollars", ",", ".", " and ", " to ", "-", "–", "(", ")", " "]),
    st.integers(min_value=0, max_value=10**12).map(str),
    st.text(alphabet=string.digits + ",.", min_size=1, max_size=400),
    st.text(max_size=10),
), max_size=20).map("".join)


@FUZZ
@given(st.one_of(MONEYISH, st.text()))
@example("£" + "9" * 400 + "m")  # float() of it is inf
@example("£" + "9" * 300 + " billion")
@example("between £" + "9" * 300 + " and £8.59 billion")
def test_money_parser_returns_finite_non_negative_amounts(text: str) -> None:
    for money in parse_money(text):
        assert math.isfinite(money.amount) and money.amount >= 0, money
        assert 0 <= money.start <= money.end <= len(text)


# ------------------------------------------------------------------------------------------- config

SCALARS = st.one_of(
    st.text(max_size=20), st.integers(min_value=-(2**70), max_value=2**70), st.floats(), st.booleans(),
    st.sampled_from(["15m", "-5m", "0s", "1e9s", "99999999999999999999d", "nan", "inf", "16MB", "9" * 400 + "GB",
                     "http://127.0.0.1/x", "http://[::1/x", "file://", "~nobody/x", "a\x00b", "gopher://x"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)
KEYS = st.sampled_from(["poll", "store", "feeds", "agreements", "keys", "interval", "concurrency", "timeout",
                        "max_body", "per_host", "path", "name", "url", "tags", "id", "title", "parties", "aliases",
                        "keywords", "x"])
SHAPED = st.fixed_dictionaries({}, optional={
    "poll": st.dictionaries(st.sampled_from(["interval", "concurrency", "timeout", "max_body", "per_host"]), VALUES),
    "store": st.one_of(st.dictionaries(st.just("path"), VALUES), VALUES),
    "feeds": st.lists(st.one_of(st.dictionaries(st.sampled_from(["name", "url", "interval", "tags"]), VALUES),
                                VALUES), max_size=3),
    "agreements": st.lists(st.dictionaries(st.sampled_from(["id", "title", "parties", "aliases", "keywords"]),
                                           VALUES), max_size=2),
    "keys": st.dictionaries(st.text(max_size=10), VALUES, max_size=3),
})


@FUZZ
@given(st.one_of(SHAPED, st.dictionaries(KEYS, VALUES, max_size=5)))
@example({"poll": {"max_body": "9" * 400 + "GB"}})  # OverflowError before
@example({"poll": {"max_body": 10**30}})  # accepted before
@example({"poll": {"interval": 10**400}})  # OverflowError before
@example({"poll": {"interval": float("inf"), "timeout": float("nan")}})
@example({"store": {"path": "a\x00b"}})  # accepted, then a crash opening the database
@example({"feeds": [{"url": "http://127.0.0.1/x", "name": "\x1b[31mred"}]})
@example({"feeds": [{"url": "http://[::1/x"}]})
@example({"keys": {"\x1b": "\x1b[A"}})
def test_settings_from_dict_raises_only_config_error(data: dict) -> None:
    try:
        settings = settings_from_dict(data, Path("/nonexistent/fuzz.toml"))
    except ConfigError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith("/nonexistent/fuzz.toml")
        return
    poll = settings.poll
    assert 60 <= poll.interval <= 30 * 86400 and 1 <= poll.timeout <= 600
    assert 1 <= poll.concurrency <= 256 and 1 <= poll.per_host <= 256
    assert 1024 <= poll.max_body <= 2**40
    for feed in settings.feeds:
        assert feed.interval is None or math.isfinite(feed.interval)
        assert not UNSAFE_LINE.search(feed.name)


TOMLISH = st.lists(st.one_of(
    st.sampled_from(["[poll]\n", "[store]\n", "[[feeds]]\n", "[[agreements]]\n", "[keys]\n", "interval = ",
                     "concurrency = ", "timeout = ", "max_body = ", "url = ", "name = ", "path = ", "tags = ",
                     '"15m"', "-5", "nan", "inf", "-inf", "1e400", "99999999999999999999999", '"http://127.0.0.1/f"',
                     "[", "]", "{", "}", "=", ",", '"', "'''", "\n", "\\u0000", "#", "[poll.interval]\n",
                     "a.b.c = 1\n", "x = [" * 50, "y = {z = " * 50, "\x00", "\ufeff"]),
    st.text(max_size=10),
), max_size=25).map("".join)


@FUZZ
@given(st.one_of(TOMLISH, st.text(max_size=200)))
def test_load_config_raises_only_config_error(tmp_path_factory, text: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "config.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_config(path)
    except ConfigError as exc:
        assert "\n" not in str(exc)


def test_deeply_nested_toml_is_a_config_error(tmp_path: Path) -> None:
    for text in ("a = " + "[" * 5000, "a = " + "{b = " * 5000, "[poll]\ninterval = " + "[" * 100000):
        path = tmp_path / "deep.toml"
        path.write_text(text, encoding="utf-8")
        try:
            load_config(path)
        except ConfigError as exc:
            assert "nest" in str(exc)
        else:  # pragma: no cover
            raise AssertionError("accepted")
    assert tomllib  # the stdlib parser is what recursed

"""Parsing: the text gate, stable ids, timezone-aware dates, not-a-feed bodies."""

from __future__ import annotations

from datetime import UTC

import pytest

from feeds.parse import NotAFeed, parse_feed, story_id
from feeds.text import one_line, plain_text


def test_fixture_feed_parses_to_plain_text(fixture_bytes) -> None:
    parsed = parse_feed(fixture_bytes("rwanda.rss"), "http://127.0.0.1/wire.xml")
    assert parsed.title == "Test Wire"
    assert parsed.ttl_seconds == 300
    first = parsed.stories[0]
    assert first.id == "test-wire-0001" or first.id.startswith("feed:")
    assert "<p>" not in first.text and "&lt;" not in first.text
    assert "\n" in first.text  # paragraphs survive as newlines
    assert first.published is not None and first.published.utcoffset() is not None
    assert first.link == "http://127.0.0.1/wire/1"


def test_hostile_titles_keep_markup_literal_and_lose_control_chars(fixture_bytes) -> None:
    parsed = parse_feed(fixture_bytes("hostile_titles.rss"), "http://127.0.0.1/h.xml")
    titles = [s.title for s in parsed.stories]
    assert "[bold red]Markup in a title[/]" in titles
    assert "[/" in titles
    assert all("\x1b" not in t and "\x07" not in t for t in titles)
    assert any("ESC and" in t for t in titles)
    body = parsed.stories[-1].text
    assert "<script" not in body and "Body" in body


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(NotAFeed, match="HTML"):
        parse_feed(b"<!DOCTYPE html><html><head><title>Hi</title></head><body><p>x</p></body></html>", "http://x")


def test_random_bytes_are_not_a_feed() -> None:
    with pytest.raises(NotAFeed):
        parse_feed(bytes(range(256)) * 4, "http://x")


def test_truncated_feed_keeps_what_it_can() -> None:
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            b'<item><title>First</title><guid>http://e.org/1</guid></item><item><title>Sec')
    parsed = parse_feed(body, "http://x")
    assert [s.title for s in parsed.stories][:1] == ["First"]


def test_billion_laughs_does_not_expand() -> None:
    lol = b'<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"".join(b"&lol%d;" % (i - 1) for _ in range(10))) for i in range(1, 10))
    body = (b'<?xml version="1.0"?><!DOCTYPE rss [' + lol + b']><rss version="2.0"><channel><title>t</title>'
            b'<item><title>&lol9;</title><guid>http://e.org/1</guid></item></channel></rss>')
    try:
        parsed = parse_feed(body, "http://x")
    except NotAFeed:
        return
    assert all(len(s.title) < 10_000 for s in parsed.stories)


def test_ids_guid_link_hash() -> None:
    assert story_id("http://a", "https://e.org/story/1", None, "t", "x") == "https://e.org/story/1"
    # short opaque guids are only unique inside a feed
    assert story_id("http://a", "1", None, "t", "x") != story_id("http://b", "1", None, "t", "x")
    assert story_id("http://a", None, "https://e.org/2", "t", "x") == "https://e.org/2"
    assert story_id("http://a", None, None, "t", "x") == story_id("http://b", None, None, "t", "x")


def test_text_gate() -> None:
    assert plain_text("a &amp; b &lt;c&gt;") == "a & b <c>"
    assert plain_text("x\x1b[2Jy\x9bz\u202eq") == "xyzq" or "\x1b" not in plain_text("x\x1b[2Jy")
    assert one_line("a\n\nb\tc") == "a b c"
    assert plain_text("<style>p{}</style><p>Hi</p>") == "Hi"
    assert len(plain_text("x" * 500_000)) <= 100_001


RSS_FAST = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Fast &amp; loose</title><ttl>30</ttl>
<item><title>One &lt;b&gt;bold&lt;/b&gt; claim</title><link>https://e.org/1</link><guid isPermaLink="false">urn:e:1</guid>
<pubDate>Tue, 06 May 2025 08:00:00 +0200</pubDate><dc:creator>A. Writer</dc:creator>
<description>&lt;p&gt;Short&lt;/p&gt;</description><content:encoded><![CDATA[<p>Longer body with <a href="x">a link</a> &amp; more.</p>]]></content:encoded></item>
<item><title>No guid</title><link>https://e.org/2</link><description>Two</description></item>
<item><title>Permalink guid</title><guid>https://e.org/3</guid><description>Three</description></item>
</channel></rss>"""

ATOM_FAST = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom feed</title>
<entry><title type="html">Court &amp;amp; ruling</title><id>tag:e.org,2025:1</id>
<link rel="alternate" href="https://e.org/a1"/><published>2025-05-06T08:00:00Z</published>
<author><name>B. Writer</name></author><summary type="html">&lt;p&gt;Summary&lt;/p&gt;</summary>
<content type="html">&lt;p&gt;The full &lt;em&gt;content&lt;/em&gt;.&lt;/p&gt;</content></entry>
</feed>"""


@pytest.mark.parametrize("body", [RSS_FAST, ATOM_FAST], ids=["rss", "atom"])
def test_fast_path_agrees_with_feedparser(body: bytes) -> None:
    from feeds.parse import _fast_parse, _feedparser_parse

    fast = _fast_parse(body, "http://127.0.0.1/f.xml")
    slow = _feedparser_parse(body, "http://127.0.0.1/f.xml", None)
    assert fast is not None, "the fast path should take a well-formed feed"
    assert fast.stories == slow.stories
    assert fast.title == slow.title
    assert fast.ttl_seconds == slow.ttl_seconds


def test_fast_path_declines_what_it_cannot_read() -> None:
    from feeds.parse import _fast_parse

    assert _fast_parse(b'<?xml version="1.0"?><!DOCTYPE rss><rss version="2.0"><channel/></rss>', "u") is None
    assert _fast_parse(b'<rss version="2.0"><channel><item><title>&nbsp;x</title></item></channel></rss>', "u") is None
    assert _fast_parse(b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', "u") is None
    # A date nobody can read is that item's loss only (issue 15.4): the fast path keeps the feed.
    parsed = _fast_parse(b'<rss version="2.0"><channel><item><title>x</title><pubDate>someday</pubDate>'
                         b'</item></channel></rss>', "u")
    assert parsed is not None and parsed.stories[0].published is None


def test_source_line_breaks_inside_html_paragraphs_are_spaces() -> None:
    assert plain_text("<p>Rwanda said the\nUK owes it money.</p><p>Next\nparagraph</p>") == \
        "Rwanda said the UK owes it money.\n\nNext paragraph"
    assert plain_text("plain line one\nplain line two") == "plain line one\nplain line two"


@pytest.mark.parametrize("text", [
    "Mon, 05 May 2025 09:00:00 +0000", "Mon, 05 May 2025 09:00:00 GMT", "5 May 2025 09:00 +0230",
    "Tue, 30 Jun 2026 23:59:59 -0700", "Sun, 1 Dec 2024 00:00:00 UT", "Wed, 29 Feb 2024 12:00:00 +0100",
    "Mon, 05 May 2025 09:00:00 EST", "05 May 2025 09:00:00 +0000 (UTC)",
])
def test_rss_dates_read_as_the_email_module_reads_them(text: str) -> None:
    """The fast path for the common form and the email module for the rest agree."""
    from email.utils import parsedate_to_datetime

    from feeds.parse import _rfc822

    expected = parsedate_to_datetime(text)
    if expected.tzinfo is None:
        expected = expected.replace(tzinfo=UTC)
    assert _rfc822(text) == expected.astimezone(UTC)

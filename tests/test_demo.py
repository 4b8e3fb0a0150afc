"""The demo: its bundled stories and the loopback server that releases them (tui/demo.py)."""

from __future__ import annotations

import gzip
import socket
from collections import Counter
from datetime import UTC, datetime

import feedparser
import httpx
import pytest

from feeds.config import Settings
from tui.demo import (
    INITIAL_PER_FEED,
    SPREAD_SECONDS,
    DemoServer,
    demo_settings,
    load_demo_data,
    xml_text,
)

HOSTILE_TITLES = [
    "[bold red]Markup in a title[/]",
    "[@click=app.quit]Click me[/]",
    "[link=file:///etc/passwd]Leaked memo[/link] on deportation costs",
]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock):
    with DemoServer(clock=clock) as srv:
        yield srv


@pytest.fixture
def client():
    with httpx.Client(timeout=5.0, trust_env=False) as c:
        yield c


def titles_of(body: bytes) -> list[str]:
    parsed = feedparser.parse(body)
    assert parsed.entries or not body, parsed.get("bozo_exception")
    return [e.title for e in parsed.entries]


# ------------------------------------------------------------------------------------ the data


def test_the_data_covers_what_the_demo_promises():
    data = load_demo_data()
    assert 30 <= len(data.stories) <= 40
    assert len({s.id for s in data.stories}) == len(data.stories)
    assert {f.format for f in data.feeds} == {"rss", "atom"}
    assert len(data.feeds) == 4
    for s in data.stories:
        assert s.published.tzinfo is not None
        assert datetime(2024, 1, 1, tzinfo=UTC) <= s.published < datetime(2026, 1, 1, tzinfo=UTC), s.id
        assert s.html.startswith("<p>"), s.id

    agreements = Counter(a for s in data.stories for a in s.expect.get("agreements", ()))
    for needed in ("uk-rwanda", "us-rwanda", "us-el-salvador", "italy-albania", "eu-tunisia",
                   "australia-nauru", "us-eswatini", "eu-turkey"):
        assert agreements[needed] >= 1, needed
    stages = {st for s in data.stories for st in s.expect.get("stage", {}).values()}
    assert {"negotiating", "signed", "legally-challenged", "cancelled"} <= stages
    statuses = {p["status"] for s in data.stories for p in s.expect.get("payments", ())}
    assert {"paid", "pledged", "claimed"} <= statuses
    currencies = {p["currency"] for s in data.stories for p in s.expect.get("payments", ())}
    assert {"GBP", "USD", "EUR", "AUD"} <= currencies
    warners = {w["by"] for s in data.stories for w in s.expect.get("warnings", ())}
    assert {"UNHCR", "Amnesty International", "Human Rights Watch", "court"} <= warners
    assert any(w.get("denied_by") for s in data.stories for w in s.expect.get("warnings", ()))
    assert sum(1 for s in data.stories if s.expect.get("conflict")) == 1
    assert sum(1 for s in data.stories if s.expect.get("agreements") == () and not s.expect.get("hostile")) >= 3

    clusters: dict[str, set[str]] = {}
    for s in data.stories:
        if "cluster" in s.expect:
            clusters.setdefault(s.expect["cluster"], set()).add(s.feed)
    assert clusters and all(len(feeds) >= 2 for feeds in clusters.values())

    titles = {s.title for s in data.stories}
    for t in HOSTILE_TITLES:
        assert t in titles
    assert any("\x1b]0;pwned\x07" in t and "\x1b[31m" in t for t in titles)
    assert any("[/" in t and "[/]" not in t for t in titles)


def test_the_payment_forms_the_analyzer_must_read_are_in_the_prose():
    text = " ".join(" ".join(s.html.split()) for s in load_demo_data().stories)
    for written in ("&pound;240m", "£50m", "50 million pounds ($66m)", "$6 million", "&euro;105m",
                    "A$408 million", "1.2bn euros", "670 million euros", "$5.1m", "has denied the allegations"):
        assert written in text, written


def test_xml_text_escapes_markup_and_references_control_characters():
    assert xml_text("a & b <c> \"d\"") == "a &amp; b &lt;c&gt; &quot;d&quot;"
    assert xml_text("x\x1b[31my\x07") == "x&#27;[31my&#7;"
    assert xml_text("tab\tand\nnewline") == "tab\tand\nnewline"


# ----------------------------------------------------------------------------------- the server


def test_each_feed_starts_with_a_few_stories_and_parses(server: DemoServer, client: httpx.Client):
    data = server.data
    assert [name for name, _ in server.feed_urls] == [f.name for f in data.feeds]
    for (name, url), feed in zip(server.feed_urls, data.feeds, strict=True):
        assert url.startswith("http://127.0.0.1:")
        r = client.get(url)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith(
            "application/atom+xml" if feed.format == "atom" else "application/rss+xml")
        parsed = feedparser.parse(r.content)
        assert len(parsed.entries) == INITIAL_PER_FEED, name
        assert parsed.feed.title == feed.title
        for e in parsed.entries:
            assert e.link.startswith(server.base_url + "/story/")
            assert e.get("published_parsed") is not None
            assert e.summary


def test_second_request_with_validators_gets_304(server: DemoServer, client: httpx.Client):
    url = server.feed_url("wire")
    first = client.get(url)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]

    by_etag = client.get(url, headers={"If-None-Match": etag})
    assert by_etag.status_code == 304
    assert by_etag.content == b""
    assert by_etag.headers["etag"] == etag

    by_date = client.get(url, headers={"If-Modified-Since": last_modified})
    assert by_date.status_code == 304

    both_stale = client.get(url, headers={"If-None-Match": '"something-else"', "If-Modified-Since": last_modified})
    assert both_stale.status_code == 200  # If-None-Match wins over If-Modified-Since


def test_advancing_the_clock_releases_more_and_changes_the_validators(
        server: DemoServer, client: httpx.Client, clock: FakeClock):
    url = server.feed_url("wire")
    first = client.get(url)
    counts = [len(titles_of(first.content))]
    released = [server.progress[0]]
    for _ in range(12):
        clock.advance(SPREAD_SECONDS / 12)
        counts.append(len(titles_of(client.get(url).content)))
        released.append(server.progress[0])
    assert counts == sorted(counts) and counts[-1] > counts[0]
    assert released == sorted(released)
    assert server.finished and released[-1] == len(server.data.stories)

    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 200
    assert again.headers["etag"] != first.headers["etag"]
    assert client.get(url, headers={"If-None-Match": again.headers["etag"]}).status_code == 304


def test_stories_arrive_steadily_within_two_minutes(server: DemoServer):
    times = sorted(server.schedule.values())
    later = [t for t in times if t > 0]
    assert times.count(0.0) == INITIAL_PER_FEED * len(server.data.feeds)
    assert max(times) <= 120
    gaps = [b - a for a, b in zip([0.0, *later], later, strict=False)]
    assert max(gaps) < 10  # the screen changes every few seconds


def test_every_title_is_served_exactly(server: DemoServer, client: httpx.Client, clock: FakeClock):
    clock.advance(SPREAD_SECONDS + 1)
    served: list[str] = []
    for _, url in server.feed_urls:
        served += titles_of(client.get(url).content)
    assert sorted(served) == sorted(s.title for s in server.data.stories)


def test_hostile_titles_are_literal_and_properly_escaped_in_the_xml(
        server: DemoServer, client: httpx.Client):
    server.release_all()
    body = client.get(server.feed_url("digest")).content
    for t in HOSTILE_TITLES:
        assert f"<title>{xml_text(t)}</title>".encode() in body
    assert b"<title>[bold red]Markup in a title[/]</title>" in body
    assert b"<title>[@click=app.quit]Click me[/]</title>" in body
    assert b"[/ part two]</title>" in body
    assert b"&#27;]0;pwned&#7;" in body and b"&#27;[31m" in body
    assert b"\x1b" not in body and b"\x07" not in body
    assert b"<title>Demo Courts &amp; Policy</title>" in client.get(server.feed_url("courts")).content


def test_gzip_only_when_asked(server: DemoServer, client: httpx.Client):
    url = server.feed_url("courts")
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as zipped:
        assert zipped.headers["content-encoding"] == "gzip"
        assert "accept-encoding" in zipped.headers["vary"].lower()
        raw = b"".join(zipped.iter_raw())
    assert gzip.decompress(raw) == plain.content


def test_head_story_pages_and_unknown_paths(server: DemoServer, client: httpx.Client, clock: FakeClock):
    head = client.head(server.feed_url("rights"))
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0
    out = server.released()[0]
    page = client.get(f"{server.base_url}/story/{out.id}")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    not_yet = next(s for s in server.data.stories if server.schedule[s.id] > 0)
    assert client.get(f"{server.base_url}/story/{not_yet.id}").status_code == 404
    assert client.get(f"{server.base_url}/feeds/nope.xml").status_code == 404
    assert client.get(f"{server.base_url}/feeds/courts.xml").status_code == 404  # Atom lives at .atom
    assert client.get(f"{server.base_url}/").status_code == 200


def test_a_summary_only_feed_sends_a_sentence_and_the_page_holds_the_story(server: DemoServer,
                                                                         client: httpx.Client):
    server.release_all()
    entries = feedparser.parse(client.get(server.feed_url("wire")).content).entries
    assert entries and all(len(e.summary) < 400 for e in entries)
    open_story = next(e for e in entries if "Mauritania" in e.title)
    page = client.get(open_story.link)
    assert page.status_code == 200
    assert "€210 million" in page.text or "&euro;210 million" in page.text
    for clutter in ("cookie-banner", "Most read", "Comments"):
        assert clutter in page.text  # what the article reader must leave out
    assert client.get(f"{server.base_url}/robots.txt").text.startswith("User-agent: *")
    # One outlet is paywalled: its link is on a host of its own, and the page answers 403.
    walled = next(e for e in entries if "Eswatini" in e.title)
    assert walled.link.startswith("http://localhost:")
    assert client.get(walled.link).status_code == 403


def test_the_demo_reads_the_articles_behind_short_items(server: DemoServer, tmp_path):
    import asyncio

    from feeds.pipeline import Poller
    from store import Store

    server.release_all()

    async def round_with_articles() -> None:
        poller = Poller(demo_settings(server), tmp_path / "d.db", workers=0)
        try:
            await poller.poll_round(force=True)
            await poller.finish_articles()
        finally:
            await poller.aclose()

    asyncio.run(round_with_articles())
    with Store(tmp_path / "d.db") as store:
        status = dict(store.conn.execute("SELECT title, article_status FROM stories"))
        assert status["EU and Mauritania sign migration partnership worth €210m"] == "ok"
        assert status["Five men deported from US land in Eswatini"] == "blocked"
        assert store.article_counts().get("ok", 0) >= 6


def test_server_stops_cleanly(clock: FakeClock):
    srv = DemoServer(clock=clock).start()
    host, port = srv.host, srv.port
    thread = srv._thread
    with httpx.Client(timeout=5.0, trust_env=False) as c:
        assert c.get(srv.feed_url("wire")).status_code == 200
    srv.stop()
    assert not srv.running
    assert thread is not None and not thread.is_alive()
    with pytest.raises(OSError):
        socket.create_connection((host, port), timeout=0.5).close()
    srv.stop()  # idempotent
    with pytest.raises(RuntimeError):
        srv.feed_urls  # noqa: B018


def test_only_loopback():
    with pytest.raises(ValueError):
        DemoServer(host="0.0.0.0")


def test_demo_settings_point_at_the_server(server: DemoServer):
    settings = demo_settings(server)
    assert isinstance(settings, Settings)
    assert settings.poll.interval == 5.0
    assert settings.poll.concurrency == 4
    assert settings.poll.timeout == 5.0
    assert [(f.name, f.url) for f in settings.feeds] == server.feed_urls
    assert demo_settings(server, interval_seconds=2).poll.interval == 2.0
    with pytest.raises(ValueError):
        demo_settings(server, interval_seconds=0)

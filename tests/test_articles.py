"""The article behind a feed item's link: what is fetched, how politely, what is kept, against real loopback
servers and a real SQLite file. Every page and sentence here is written for these tests."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from feedserver import FeedServer, Route

from feeds.articles import (
    AddressPolicy,
    ArticleFetcher,
    ArticleJob,
    extract_main_text,
    is_public_address,
    wants_article,
)
from feeds.config import load_config
from feeds.fetch import new_client
from feeds.pipeline import Poller
from store import Store
from tui.cli import main

ARTICLE_TEXT = [
    "Kigali said on Tuesday that the arrangement to receive people deported from Washington had moved from "
    "talks to a signed text, according to a statement from the foreign ministry.",
    "Under the terms described by officials, the United States will pay Rwanda $7.5 million to cover housing, "
    "training and health care for each group of deportees it sends.",
    "Lawyers for several of the men said they had never been told where they were being taken, and a refugee "
    "rights group warned that some could face being sent on to countries where they fear persecution.",
    "The foreign ministry said the first arrivals were expected within weeks and that numbers would be agreed "
    "case by case between the two governments, with reviews every six months.",
]


def article_page(title: str, paragraphs: list[str] = ARTICLE_TEXT) -> bytes:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head><body>
<div class="cookie-banner">We use cookies to give you the best experience. <button>Accept all</button></div>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav></header>
<main><article><h1>{title}</h1><p class="byline">By a staff reporter</p>
{body}
</article>
<aside class="most-read"><h2>Most read</h2><ol><li><a href="/x">Football club pays £80m for striker</a></li>
<li><a href="/y">Storms close airport for a day</a></li></ol></aside>
<section class="comments"><h2>Comments</h2><div class="comment">This will cost £3bn, you watch.</div></section>
</main><footer>© News Ltd. <a href="/terms">Terms</a></footer></body></html>""".encode()


PAYWALL = b"""<!doctype html><html><body><header>The Daily Record</header>
<main><h1>Deportation deal signed</h1><p>Subscribe to continue reading. Already a subscriber? Sign in.</p></main>
</body></html>"""


def rss(items: list[tuple[str, str, str]]) -> bytes:
    """(guid, title, link) items, each with a one-sentence description, as most news feeds send."""
    out = "".join(f"<item><title>{t}</title><link>{link}</link><guid>{g}</guid>"
                  f"<description>Rwanda and the United States have agreed terms on deportees.</description></item>"
                  for g, t, link in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{out}</channel></rss>'.encode()


# ------------------------------------------------------------------------------------------ deciding


def test_full_text_modes_decide_which_stories_get_an_article() -> None:
    relevant = lambda title, text: "deport" in (title + text).lower()  # noqa: E731
    assert wants_article("auto", "US deportees land in Kigali", "One sentence.", relevant)
    assert not wants_article("auto", "Football results", "One sentence.", relevant)
    assert not wants_article("auto", "US deportees land in Kigali", "x" * 1500, relevant)  # the feed has the story
    assert wants_article("always", "Football results", "x" * 1500, relevant)
    assert not wants_article("never", "US deportees land in Kigali", "One sentence.", relevant)
    # No headline and a fragment: too little to judge by, so the article decides.
    assert wants_article("auto", "", "Late on Tuesday, officials in the capital said.", relevant)
    assert not wants_article("auto", "", "x" * 300, relevant)


def test_only_public_addresses_are_public() -> None:
    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.10", "172.16.5.4", "169.254.169.254", "::1", "fe80::1",
                    "100.64.0.1", "0.0.0.0", "::ffff:127.0.0.1", "224.0.0.1", "not an address", ""):
        assert not is_public_address(address), address
    for address in ("8.8.8.8", "151.101.1.1", "2a00:1450:4001:81c::200e"):
        assert is_public_address(address), address


def test_a_feed_is_public_unless_its_url_is_a_file_loopback_or_private() -> None:
    policy = AddressPolicy()
    assert policy.feed_is_public("https://news.example.org/rss")
    for local in ("file:///tmp/x.xml", "/tmp/x.xml", "http://127.0.0.1:8080/f.xml", "http://localhost/f.xml",
                  "http://10.0.0.5/f.xml", "http://[::1]:99/f", None):
        assert not policy.feed_is_public(local), local
    assert policy.allow_peer("http://127.0.0.1/f.xml") is None
    check = policy.allow_peer("https://news.example.org/rss")
    assert check is not None and not check("127.0.0.1") and check("8.8.8.8")


# ------------------------------------------------------------------------------------------ main text


def test_main_text_leaves_the_clutter_and_the_headline_out() -> None:
    status, text, why = extract_main_text(article_page("US and Rwanda sign deportee deal"), "http://x/a",
                                          "US and Rwanda sign deportee deal", "Rwanda and the US agreed terms.")
    assert status == "ok" and why is None
    assert "$7.5 million" in text and "persecution" in text
    for clutter in ("cookies", "Most read", "£80m", "£3bn", "Terms", "staff reporter", "sign deportee deal"):
        assert clutter not in text, clutter


def test_a_paywall_a_stub_and_a_page_no_longer_than_the_feed_are_not_articles() -> None:
    assert extract_main_text(PAYWALL, None, "Deportation deal signed", "")[0] == "blocked"
    stub = article_page("Deal", ["Short."])
    assert extract_main_text(stub, None, "Deal", "")[0] == "too-short"
    feed_text = " ".join(ARTICLE_TEXT) + " And one more sentence the page does not have."
    assert extract_main_text(article_page("Deal"), None, "Deal", feed_text)[0] == "too-short"


# ------------------------------------------------------------------------------------------ fetching


async def fetch(server: FeedServer, path: str, *, delay: float = 0.0, timeout: float = 5.0,  # noqa: ASYNC109
                max_body: int = 5 * 1024 * 1024, policy: AddressPolicy | None = None,
                feed_url: str | None = None, story: str = "s1"):
    client = new_client(4, timeout)
    try:
        fetcher = ArticleFetcher(client, delay=delay, timeout=timeout, max_body=max_body, policy=policy)
        return await fetcher.fetch(ArticleJob(story, server.url(path), feed_url or server.url("/feed.xml")))
    finally:
        await client.aclose()


async def test_an_article_page_is_fetched_with_robots_txt_first(feed_server: FeedServer) -> None:
    feed_server.routes["/robots.txt"] = Route(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    feed_server.routes["/a/1.html"] = Route(body=article_page("Deal"), content_type="text/html; charset=utf-8")
    page = await fetch(feed_server, "/a/1.html")
    assert page.status == "fetched" and page.http_status == 200 and b"$7.5 million" in (page.body or b"")
    assert [r.path for r in feed_server.requests] == ["/robots.txt", "/a/1.html"]
    assert feed_server.requests[1].headers["user-agent"].startswith("migwatch/")
    assert "text/html" in feed_server.requests[1].headers["accept"]


async def test_robots_txt_that_disallows_the_page_means_no_request(feed_server: FeedServer) -> None:
    feed_server.routes["/robots.txt"] = Route(body=b"User-agent: migwatch\nDisallow: /a/\n", content_type="text/plain")
    feed_server.routes["/a/1.html"] = Route(body=article_page("Deal"), content_type="text/html")
    page = await fetch(feed_server, "/a/1.html")
    assert page.status == "robots"
    assert not feed_server.hits("/a/1.html")


async def test_a_403_backs_the_host_off_and_its_other_stories_wait(feed_server: FeedServer) -> None:
    feed_server.routes["/a/1.html"] = Route(status=403, body=b"<html>Forbidden</html>", content_type="text/html")
    feed_server.routes["/a/2.html"] = Route(body=article_page("Deal"), content_type="text/html")
    client = new_client(4, 5.0)
    try:
        fetcher = ArticleFetcher(client, delay=0.0)
        first = await fetcher.fetch(ArticleJob("s1", feed_server.url("/a/1.html"), feed_server.url("/f")))
        second = await fetcher.fetch(ArticleJob("s2", feed_server.url("/a/2.html"), feed_server.url("/f")))
        assert (first.status, first.http_status) == ("blocked", 403)
        assert (second.status, second.http_status) == ("blocked", None)  # not requested: no status of its own
        assert "not requested" in (second.error or "") and "403" in (second.error or "")
        assert not feed_server.hits("/a/2.html")
        # The user may ask for one anyway: a 403 backoff is ours, not the site's Retry-After.
        asked = await fetcher.fetch(ArticleJob("s2", feed_server.url("/a/2.html"), feed_server.url("/f"),
                                               on_request=True))
        assert asked.status == "fetched"
    finally:
        await client.aclose()


async def test_a_429_retry_after_is_honoured_even_on_request(feed_server: FeedServer) -> None:
    feed_server.routes["/a/1.html"] = Route(status=429, body=b"slow down", content_type="text/plain",
                                            headers={"Retry-After": "120"})
    client = new_client(4, 5.0)
    try:
        fetcher = ArticleFetcher(client, delay=0.0)
        first = await fetcher.fetch(ArticleJob("s1", feed_server.url("/a/1.html"), feed_server.url("/f")))
        assert (first.status, first.http_status) == ("blocked", 429)
        memory = fetcher.host_state("127.0.0.1").memory
        assert 100 < memory.refused_until - time.time() <= 120
        again = await fetcher.fetch(ArticleJob("s1", feed_server.url("/a/1.html"), feed_server.url("/f"),
                                               on_request=True))
        assert again.status == "blocked"
        assert len(feed_server.hits("/a/1.html")) == 1
    finally:
        await client.aclose()


async def test_a_host_whose_links_lead_nowhere_is_left_alone(feed_server: FeedServer) -> None:
    client = new_client(4, 5.0)
    try:
        fetcher = ArticleFetcher(client, delay=0.0)
        pages = [await fetcher.fetch(ArticleJob(f"s{n}", feed_server.url(f"/gone/{n}.html"), feed_server.url("/f")))
                 for n in range(6)]
    finally:
        await client.aclose()
    assert [p.status for p in pages] == ["failed"] * 6
    assert len([r for r in feed_server.requests if r.path.startswith("/gone/")]) == 3
    assert "3 articles in a row" in (pages[-1].error or "")


async def test_a_page_over_the_cap_is_cut_off(feed_server: FeedServer) -> None:
    feed_server.routes["/big.html"] = Route(body=b"<html><body>" + b"<p>word </p>" * 1_800_000 + b"</body></html>",
                                            content_type="text/html", validators=False)
    started = time.monotonic()
    page = await fetch(feed_server, "/big.html", max_body=5 * 1024 * 1024)
    assert page.status == "failed" and "cap" in (page.error or "")
    assert time.monotonic() - started < 5


async def test_a_gzip_bomb_page_is_cut_off_at_the_cap(feed_server: FeedServer) -> None:
    import gzip

    bomb = gzip.compress(gzip.compress(b"\0" * (64 * 1024 * 1024)))

    def send(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Encoding", "gzip, gzip")
        handler.send_header("Content-Length", str(len(bomb)))
        handler.end_headers()
        handler.wfile.write(bomb)

    feed_server.routes["/bomb.html"] = Route(handler=send)
    page = await fetch(feed_server, "/bomb.html", max_body=1024 * 1024)
    assert page.status == "failed" and "cap" in (page.error or "")


async def test_a_page_that_never_finishes_fails_within_the_deadline(feed_server: FeedServer) -> None:
    feed_server.routes["/slow.html"] = Route(body=article_page("Deal"), content_type="text/html", drip=0.05)
    started = time.monotonic()
    page = await fetch(feed_server, "/slow.html", timeout=1.5)
    assert page.status == "failed" and "1.5s" in (page.error or "")
    assert time.monotonic() - started < 3


async def test_only_html_is_read(feed_server: FeedServer) -> None:
    feed_server.routes["/a.pdf"] = Route(body=b"%PDF-1.7 " + b"x" * 10000, content_type="application/pdf")
    page = await fetch(feed_server, "/a.pdf")
    assert page.status == "not-html" and page.body is None


async def test_two_articles_on_one_host_are_spaced_by_the_delay(feed_server: FeedServer) -> None:
    for n in (1, 2, 3):
        feed_server.routes[f"/a/{n}.html"] = Route(body=article_page("Deal"), content_type="text/html")
    client = new_client(4, 5.0)
    try:
        fetcher = ArticleFetcher(client, delay=0.3)
        pages = await asyncio.gather(*(fetcher.fetch(ArticleJob(f"s{n}", feed_server.url(f"/a/{n}.html"),
                                                                feed_server.url("/f"))) for n in (1, 2, 3)))
    finally:
        await client.aclose()
    assert [p.status for p in pages] == ["fetched"] * 3
    times = sorted(r.at for r in feed_server.requests)  # robots.txt counts as a request to the host too
    assert len(times) == 4
    assert min(b - a for a, b in zip(times, times[1:])) >= 0.29


async def test_robots_txt_is_asked_at_every_hop_of_a_redirect() -> None:
    other = FeedServer(host="127.0.0.2").start()
    here = FeedServer().start()
    try:
        for server in (here, other):
            server.routes["/robots.txt"] = Route(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
            server.routes["/private/a.html"] = Route(body=article_page("Deal"), content_type="text/html")
        here.routes["/go/1"] = Route(status=302, headers={"Location": "/private/a.html"}, content_type="text/html")
        here.routes["/go/2"] = Route(status=302, headers={"Location": other.url("/private/a.html")},
                                     content_type="text/html")
        assert (await fetch(here, "/go/1")).status == "robots"
        assert (await fetch(here, "/go/2")).status == "robots"
        assert not here.hits("/private/a.html") and not other.hits("/private/a.html")
        assert other.hits("/robots.txt")  # the other host's own rules were read
    finally:
        here.stop()
        other.stop()


async def test_a_redirect_to_another_host_waits_for_that_hosts_turn() -> None:
    a, b = FeedServer().start(), FeedServer(host="127.0.0.2").start()
    try:
        for n in (1, 2):
            a.routes[f"/x{n}"] = Route(status=302, headers={"Location": b.url(f"/y{n}.html")}, content_type="text/html")
            b.routes[f"/y{n}.html"] = Route(body=article_page("Deal"), content_type="text/html")
            b.routes[f"/z{n}.html"] = Route(body=article_page("Deal"), content_type="text/html")
        client = new_client(8, 5.0)
        try:
            fetcher = ArticleFetcher(client, delay=0.3)
            jobs = [ArticleJob(f"a{n}", a.url(f"/x{n}"), a.url("/f")) for n in (1, 2)]
            jobs += [ArticleJob(f"b{n}", b.url(f"/z{n}.html"), b.url("/f")) for n in (1, 2)]
            pages = await asyncio.gather(*(fetcher.fetch(j) for j in jobs))
        finally:
            await client.aclose()
        assert [p.status for p in pages] == ["fetched"] * 4
        times = sorted(r.at for r in b.requests)
        assert len(times) == 5  # robots.txt and four pages, one at a time
        assert min(y - x for x, y in zip(times, times[1:])) >= 0.29
    finally:
        a.stop()
        b.stop()


async def test_the_wait_for_a_turn_does_not_count_against_the_timeout(feed_server: FeedServer) -> None:
    for n in (1, 2, 3):
        feed_server.routes[f"/a/{n}.html"] = Route(body=article_page("Deal"), content_type="text/html")
    client = new_client(4, 5.0)
    try:
        fetcher = ArticleFetcher(client, delay=0.6, timeout=0.5)
        pages = await asyncio.gather(*(fetcher.fetch(ArticleJob(f"s{n}", feed_server.url(f"/a/{n}.html"),
                                                                feed_server.url("/f"))) for n in (1, 2, 3)))
    finally:
        await client.aclose()
    assert [p.status for p in pages] == ["fetched"] * 3


async def test_a_public_feeds_link_cannot_reach_a_loopback_address() -> None:
    """127.0.0.2 plays a public news site (the policy is told so); its article redirects to 127.0.0.1,
    which must never see a request."""
    public = FeedServer(host="127.0.0.2").start()
    private = FeedServer().start()
    try:
        private.routes["/admin"] = Route(body=article_page("Secret"), content_type="text/html")
        public.routes["/robots.txt"] = Route(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")
        public.routes["/a/1.html"] = Route(status=302, headers={"Location": private.url("/admin")},
                                           content_type="text/html")
        policy = AddressPolicy(is_public=lambda ip: ip == "127.0.0.2")
        page = await fetch(public, "/a/1.html", policy=policy, feed_url=public.url("/feed.xml"))
        assert page.status == "failed" and "127.0.0.1" in (page.error or "")
        assert public.hits("/a/1.html") and not private.requests
        # A link straight to the private address is refused the same way.
        page = await fetch(private, "/admin", policy=policy, feed_url=public.url("/feed.xml"))
        assert page.status == "failed" and not private.requests
        # A feed that is itself local may link to local pages (the demo, a newsroom's intranet).
        page = await fetch(private, "/admin", policy=policy, feed_url=private.url("/feed.xml"))
        assert page.status == "fetched"
    finally:
        public.stop()
        private.stop()


# ------------------------------------------------------------------------------------------ the pipeline


def serve_wire(server: FeedServer, n: int = 2, *, status: int = 200) -> None:
    items = [(f"g{i}", f"US and Rwanda agree deportee terms, part {i}", server.url(f"/a/{i}.html"))
             for i in range(n)]
    server.routes["/feed.xml"] = Route(body=rss(items))
    server.routes["/robots.txt"] = Route(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")
    for i in range(n):
        server.routes[f"/a/{i}.html"] = Route(status=status, body=article_page(items[i][1]),
                                              content_type="text/html; charset=utf-8")


def _config(tmp_path: Path, server: FeedServer, extra: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(f'[poll]\ninterval = "15m"\ntimeout = "5s"\n{extra}\n'
                    f'[[feeds]]\nname = "Wire"\nurl = "{server.url("/feed.xml")}"\n', encoding="utf-8")
    return path


def export(db: Path) -> dict[str, dict]:
    """The stored stories by title."""
    with Store(db) as store:
        return {s["title"]: s for s in store.export_stories()}


def story_id(db: Path, title: str) -> str:
    return str(export(db)[title]["id"])


def test_poll_once_stores_the_story_then_its_article(feed_server: FeedServer, tmp_path: Path, capsys) -> None:
    serve_wire(feed_server)
    config, db = _config(tmp_path, feed_server, "article_delay = 0.1"), tmp_path / "m.db"
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 0
    out = capsys.readouterr().out
    assert "2 new stories" in out and "articles: 2 ok" in out
    stories = export(db)
    assert len(stories) == 2
    for story in stories.values():
        assert story["article"]["status"] == "ok" and story["article"]["http_status"] == 200
        assert story["article"]["chars"] > 400 and story["article"]["fetched"]
    with Store(db) as store:
        # The article's words are searchable: "persecution" is in no headline or feed text.
        assert len(store.inbox(query="persecution")) == 2
        detail = store.story(next(iter(stories.values()))["id"])
        assert detail is not None and "$7.5 million" in detail.article and "Most read" not in detail.article
    # Never fetched twice on its own: a second round (a changed feed, so not a 304) asks for no article.
    feed_server.routes["/feed.xml"] = Route(body=rss([("g0", "US and Rwanda agree deportee terms, part 0",
                                                       feed_server.url("/a/0.html"))]) + b" ")
    before = len([r for r in feed_server.requests if r.path.startswith("/a/")])
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 0
    assert len([r for r in feed_server.requests if r.path.startswith("/a/")]) == before


def test_poll_full_text_never_on_the_command_line_overrides_the_config(feed_server: FeedServer,
                                                                      tmp_path: Path) -> None:
    serve_wire(feed_server)
    path = tmp_path / "c.toml"
    path.write_text(f'[poll]\nfull_text = "always"\narticle_delay = 0\n[[feeds]]\nname = "Wire"\n'
                    f'url = "{feed_server.url("/feed.xml")}"\nfull_text = "always"\n', encoding="utf-8")
    db = tmp_path / "m.db"
    assert main(["--config", str(path), "--db", str(db), "poll", "--once", "--full-text", "never"]) == 0
    assert not [r for r in feed_server.requests if r.path.startswith("/a/") or r.path == "/robots.txt"]
    assert {s["article"]["status"] for s in export(db).values()} == {"skipped"}


def test_every_article_answering_403_leaves_every_story_stored_and_blocked(feed_server: FeedServer,
                                                                           tmp_path: Path, capsys) -> None:
    serve_wire(feed_server, 3, status=403)
    config, db = _config(tmp_path, feed_server, "article_delay = 0"), tmp_path / "m.db"
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 0
    assert "articles: 3 blocked" in capsys.readouterr().out
    stories = export(db)
    assert [s["article"]["status"] for s in stories.values()] == ["blocked"] * 3
    assert len([r for r in feed_server.requests if r.path.startswith("/a/")]) == 1  # the host was left alone
    assert main(["--config", str(config), "--db", str(db), "feeds"]) == 0
    health = capsys.readouterr().out
    assert "articles: 3 blocked" in health and "127.0.0.1: 3 blocked — last: the site answered HTTP 403" in health
    with Store(db) as store:
        assert store.article_counts() == {"blocked": 3}
        (row,) = store.article_failures_by_host()
        assert (row.host, row.status, row.count) == ("127.0.0.1", "blocked", 3) and "403" in (row.last_error or "")


def test_a_refusal_and_robots_txt_are_remembered_between_runs(feed_server: FeedServer, tmp_path: Path,
                                                              capsys) -> None:
    serve_wire(feed_server, 2, status=403)
    config, db = _config(tmp_path, feed_server, "article_delay = 0"), tmp_path / "m.db"
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 0
    assert len(feed_server.hits("/robots.txt")) == 1
    # The next cron run brings a new story from the same site: it is left alone, robots.txt not asked again.
    feed_server.routes["/feed.xml"] = Route(body=rss([("g7", "US and Rwanda agree deportee terms, part 7",
                                                       feed_server.url("/a/7.html"))]))
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 0
    assert "articles: 1 blocked" in capsys.readouterr().out
    assert not feed_server.hits("/a/7.html") and len(feed_server.hits("/robots.txt")) == 1
    story = export(db)["US and Rwanda agree deportee terms, part 7"]
    assert story["article"]["status"] == "blocked" and "http_status" not in story["article"]
    assert "not requested" in story["article"]["error"] and "fetched" not in story["article"]


def test_full_text_never_and_always(feed_server: FeedServer, tmp_path: Path, capsys) -> None:
    serve_wire(feed_server)
    config, db = _config(tmp_path, feed_server, 'full_text = "never"'), tmp_path / "m.db"
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 0
    assert not [r for r in feed_server.requests if r.path.startswith("/a/")]
    assert {s["article"]["status"] for s in export(db).values()} == {"skipped"}
    # "always": even a story the prefilter would pass over (a football headline) gets its article.
    feed_server.routes["/feed.xml"] = Route(body=rss([("g9", "Cup final tonight", feed_server.url("/a/0.html"))]))
    config = _config(tmp_path, feed_server, 'full_text = "always"\narticle_delay = 0')
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 0
    assert export(db)["Cup final tonight"]["article"]["status"] == "ok"


def test_an_unrelated_story_in_auto_mode_is_skipped(feed_server: FeedServer, tmp_path: Path, capsys) -> None:
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Sport</title><item><title>Cup final '
            b'tonight</title><link>' + feed_server.url("/a/0.html").encode() + b'</link><guid>g0</guid>'
            b'<description>The two best sides in the league meet at the national stadium.</description>'
            b'</item></channel></rss>')
    feed_server.routes["/feed.xml"] = Route(body=body)
    config, db = _config(tmp_path, feed_server, ""), tmp_path / "m.db"
    assert main(["--config", str(config), "--db", str(db), "poll", "--once"]) == 0
    assert export(db)["Cup final tonight"]["article"]["status"] == "skipped"
    assert not feed_server.hits("/a/0.html")


async def test_a_key_fetches_one_story_again(feed_server: FeedServer, tmp_path: Path) -> None:
    serve_wire(feed_server, 1)
    settings = load_config(_config(tmp_path, feed_server, "article_delay = 0"))
    poller = Poller(settings, tmp_path / "m.db", workers=0)
    seen: list[tuple[str, str]] = []
    poller.on_article = lambda story_id, status: seen.append((story_id, status))
    try:
        await poller.poll_round(force=True)
        await poller.finish_articles()
        sid = story_id(tmp_path / "m.db", "US and Rwanda agree deportee terms, part 0")
        assert seen == [(sid, "ok")]
        assert await poller.fetch_article(sid) == "ok"
        assert len(feed_server.hits("/a/0.html")) == 2
        assert await poller.fetch_article("no such story") == "failed"
    finally:
        await poller.aclose()


async def test_articles_left_pending_by_a_stopped_poll_are_fetched_by_the_next(feed_server: FeedServer,
                                                                              tmp_path: Path) -> None:
    serve_wire(feed_server, 2)
    feed_server.routes["/robots.txt"].delay = 1.0  # the articles are still waiting when the poller stops
    settings = load_config(_config(tmp_path, feed_server, "article_delay = 0"))
    db = tmp_path / "m.db"
    poller = Poller(settings, db, workers=0)
    try:
        await poller.poll_round(force=True)
    finally:
        await poller.aclose()
    assert {s["article"]["status"] for s in export(db).values()} == {"pending"}
    feed_server.routes["/robots.txt"].delay = 0.0
    poller = Poller(settings, db, workers=0)
    try:
        await poller.poll_round(force=True)  # a 304: nothing new, but the pending articles are fetched
        await poller.finish_articles()
    finally:
        await poller.aclose()
    assert {s["article"]["status"] for s in export(db).values()} == {"ok"}


def test_an_accepted_storys_facts_wait_for_review_when_the_article_changes_them(tmp_path: Path) -> None:
    from feeds.models import Analysis, Evidence, FeedState, Payment, Story

    db = tmp_path / "m.db"
    story = Story(id="s1", title="Deal", text="Rwanda will receive $5 million.", link="http://x/a")
    first = Analysis("s1", payments=(Payment(5e6, "USD", "United States", "Rwanda", "pledged",
                                             Evidence("Rwanda will receive $5 million.", 0, 31)),))
    later = Analysis("s1", payments=(Payment(7.5e6, "USD", "United States", "Rwanda", "paid",
                                             Evidence("The US paid Rwanda $7.5 million.", 10, 42, "article")),))
    with Store(db) as store:
        store.save_feed_result(FeedState(url="http://x/f"), [(story, first)], article_status=lambda s: "pending")
        store.triage("s1", "accept", state="accepted")
        assert store.save_article("s1", "ok", text="The US paid Rwanda $7.5 million.", analysis=later) is True
        detail = store.story("s1")
        assert detail is not None and detail.needs_review
        assert [f.amount for f in detail.facts] == [5e6]  # what the user accepted stays
        assert [(f.amount, f.ev_source) for f in detail.review_facts] == [(7.5e6, "article")]
        assert json.loads(json.dumps(list(store.export_stories())))[0]["needs_review"] is True
        store.triage("s1", "accept", state="accepted")  # accepting again takes the article's facts
        detail = store.story("s1")
        assert detail is not None and not detail.needs_review and [f.amount for f in detail.facts] == [7.5e6]
        # A story nobody accepted simply takes the new facts.
        store.save_feed_result(FeedState(url="http://x/f"), [(Story(id="s2", title="t", text="x"), first)])
        assert store.save_article("s2", "ok", text="y" * 300, analysis=later) is False
        assert [f.amount for f in store.story("s2").facts] == [7.5e6]  # type: ignore[union-attr]


@pytest.mark.parametrize("value", ['"sometimes"', "1"])
def test_full_text_must_be_a_known_mode(tmp_path: Path, value: str, capsys) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[poll]\nfull_text = {value}\n', encoding="utf-8")
    assert main(["--config", str(path), "feeds"]) == 2
    err = capsys.readouterr().err
    assert "poll.full_text" in err and str(path) in err

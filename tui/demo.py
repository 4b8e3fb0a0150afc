"""`migwatch --demo`: bundled demo feeds, served from a loopback server inside the process.

The stories live in `tui/demo_data/stories.toml` (written for the demo, illustrative only). `DemoServer`
serves them as three RSS feeds and one Atom feed on 127.0.0.1, like a well-behaved publisher (ETag,
Last-Modified, 304, gzip), and releases them over time so the dashboard fills while the user watches:
a few stories per feed at once, then the rest one by one, in order of publication, over about two minutes.

    with DemoServer() as server:
        settings = demo_settings(server)   # feeds.config.Settings pointing at the server
        ...

`python -m tui.demo` runs the server alone and prints the feed URLs (handy for `migwatch poll`).
"""

from __future__ import annotations

import gzip
import hashlib
import html
import ipaddress
import math
import re
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, formatdate, parsedate_to_datetime
from functools import lru_cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any
from urllib.parse import urlsplit

from feeds.config import FeedConfig, PollSettings, Settings

DATA_FILE = Path(__file__).with_name("demo_data") / "stories.toml"

INITIAL_PER_FEED = 3  # stories each feed has when the demo starts
SPREAD_SECONDS = 110.0  # the rest arrive one by one within this time

_FORMATS = {"rss": ("xml", "application/rss+xml; charset=utf-8"),
            "atom": ("atom", "application/atom+xml; charset=utf-8")}


# ------------------------------------------------------------------------------------------- the data


@dataclass(frozen=True, slots=True)
class DemoFeed:
    slug: str
    name: str  # the name migwatch shows (FeedConfig.name)
    format: str  # "rss" or "atom"
    title: str  # the channel / feed title inside the XML
    description: str
    summary_only: bool = False  # items carry a one-sentence summary; the story is on the article page


@dataclass(frozen=True, slots=True)
class DemoStory:
    id: str
    feed: str  # a DemoFeed.slug
    published: datetime  # timezone-aware
    title: str  # exactly as the publisher wrote it (hostile ones included)
    author: str
    html: str  # the description, HTML
    expect: Mapping[str, Any] = field(default_factory=dict)  # what an analyst takes from it (see the data file)
    article: str = "page"  # "page": the article page is served; "403": it answers as a paywall does


@dataclass(frozen=True, slots=True)
class DemoData:
    feeds: tuple[DemoFeed, ...]
    stories: tuple[DemoStory, ...]

    def feed(self, slug: str) -> DemoFeed:
        for f in self.feeds:
            if f.slug == slug:
                return f
        raise KeyError(slug)


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _unwrap(source: str) -> str:
    """The data file wraps its HTML at 110 columns for reading; a publisher's CMS would not. Whitespace is
    insignificant in HTML, so the served description has each paragraph on one line."""
    return " ".join(source.split()).replace("</p> <p>", "</p>\n<p>")


def load_demo_data(path: Path | None = None) -> DemoData:
    """The demo feeds and stories (the bundled file unless `path` is given), checked for consistency."""
    if path is None:
        return _bundled()
    return _load(path)


@lru_cache(maxsize=1)
def _bundled() -> DemoData:
    return _load(DATA_FILE)


def _load(path: Path) -> DemoData:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    feeds = tuple(
        DemoFeed(slug=f["slug"], name=f["name"], format=f["format"], title=f["title"],
                 description=f["description"], summary_only=bool(f.get("summary_only", False)))
        for f in raw["feeds"]
    )
    slugs = {f.slug for f in feeds}
    stories: list[DemoStory] = []
    seen: set[str] = set()
    for s in raw["stories"]:
        published = s["published"]
        if not isinstance(published, datetime) or published.tzinfo is None:
            raise ValueError(f"{path}: story {s.get('id')!r}: published must be a datetime with a zone")
        if s["feed"] not in slugs:
            raise ValueError(f"{path}: story {s['id']!r}: unknown feed {s['feed']!r}")
        if s["id"] in seen:
            raise ValueError(f"{path}: duplicate story id {s['id']!r}")
        seen.add(s["id"])
        stories.append(DemoStory(id=s["id"], feed=s["feed"], published=published.astimezone(UTC),
                                 title=s["title"], author=s.get("author", ""), html=_unwrap(s["html"]),
                                 expect=_freeze(s.get("expect", {})), article=str(s.get("article", "page"))))
        if stories[-1].article not in ("page", "403"):
            raise ValueError(f"{path}: story {s['id']!r}: article must be \"page\" or \"403\"")
    for f in feeds:
        if f.format not in _FORMATS:
            raise ValueError(f"{path}: feed {f.slug!r}: format must be rss or atom")
    return DemoData(feeds=feeds, stories=tuple(stories))


# --------------------------------------------------------------------------------------- rendering XML

# Characters XML 1.0 cannot carry at all. A real publisher's feed sometimes has them anyway (a title with
# an ESC sequence); we write them as character references, as such feeds do, and readers must cope.
_XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Escape text for an XML element or attribute value."""
    escaped = html.escape(value, quote=True)
    return _XML_FORBIDDEN.sub(lambda m: f"&#{ord(m.group())};", escaped)


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _render_rss(feed: DemoFeed, stories: list[DemoStory], base_url: str, updated: datetime) -> str:
    self_url = f"{base_url}/feeds/{feed.slug}.xml"
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">',
        "<channel>",
        f"<title>{xml_text(feed.title)}</title>",
        f"<link>{xml_text(base_url + '/')}</link>",
        f'<atom:link href="{xml_text(self_url)}" rel="self" type="application/rss+xml"/>',
        f"<description>{xml_text(feed.description)}</description>",
        "<language>en</language>",
        f"<lastBuildDate>{format_datetime(updated, usegmt=True)}</lastBuildDate>",
    ]
    # The rights monitor's CMS wraps descriptions in CDATA; the others escape them: readers see both.
    use_cdata = feed.slug == "rights"
    for s in stories:
        text = feed_text(feed, s)
        description = _cdata(text) if use_cdata else xml_text(text)
        out += [
            "<item>",
            f"<title>{xml_text(s.title)}</title>",
            f"<link>{xml_text(story_url(base_url, s))}</link>",
            f'<guid isPermaLink="false">{xml_text(f"migwatch-demo:{s.id}")}</guid>',
            f"<pubDate>{format_datetime(s.published)}</pubDate>",
            f"<dc:creator>{xml_text(s.author)}</dc:creator>" if s.author else "",
            f"<description>{description}</description>",
            "</item>",
        ]
    out += ["</channel>", "</rss>", ""]
    return "\n".join(line for line in out if line)


def _render_atom(feed: DemoFeed, stories: list[DemoStory], base_url: str, updated: datetime) -> str:
    self_url = f"{base_url}/feeds/{feed.slug}.atom"
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{xml_text(feed.title)}</title>",
        f"<subtitle>{xml_text(feed.description)}</subtitle>",
        f'<link href="{xml_text(self_url)}" rel="self"/>',
        f'<link href="{xml_text(base_url + "/")}"/>',
        f"<id>urn:migwatch-demo:{xml_text(feed.slug)}</id>",
        f"<updated>{updated.isoformat()}</updated>",
    ]
    for s in stories:
        out += [
            "<entry>",
            f'<title type="text">{xml_text(s.title)}</title>',
            f'<link rel="alternate" type="text/html" href="{xml_text(story_url(base_url, s))}"/>',
            f"<id>urn:migwatch-demo:{xml_text(s.id)}</id>",
            f"<published>{s.published.isoformat()}</published>",
            f"<updated>{s.published.isoformat()}</updated>",
            f"<author><name>{xml_text(s.author or feed.name)}</name></author>",
            f'<{"summary" if feed.summary_only else "content"} type="html">{xml_text(feed_text(feed, s))}'
            f'</{"summary" if feed.summary_only else "content"}>',
            "</entry>",
        ]
    out += ["</feed>", ""]
    return "\n".join(out)


def render_feed(feed: DemoFeed, stories: list[DemoStory], base_url: str) -> str:
    """A feed document holding `stories` (newest first), with links under `base_url`."""
    stories = sorted(stories, key=lambda s: (s.published, s.id), reverse=True)
    updated = stories[0].published if stories else datetime(2024, 1, 1, tzinfo=UTC)
    render = _render_atom if feed.format == "atom" else _render_rss
    return render(feed, stories, base_url.rstrip("/"), updated)


def story_url(base_url: str, story: DemoStory) -> str:
    """A story's article page. A paywalled story (article = "403") is linked under the name "localhost": the
    same loopback server, a host of its own to the article fetcher, which leaves a host alone after a 403,
    as a paywalled outlet beside the open ones."""
    if story.article == "403":
        base_url = base_url.replace("://127.0.0.1:", "://localhost:", 1)
    return f"{base_url}/story/{story.id}"


_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL | re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def feed_text(feed: DemoFeed, story: DemoStory) -> str:
    """What the feed item carries: the whole story, or (a summary-only feed, as most news feeds are) its
    first sentence, and the rest only on the article page."""
    if not feed.summary_only:
        return story.html
    m = _FIRST_PARAGRAPH.search(story.html)
    first = re.sub(r"\s+", " ", m.group(1) if m else story.html).strip()
    return _SENTENCE_END.split(first, maxsplit=1)[0]


def _story_page(story: DemoStory, feed: DemoFeed, others: list[DemoStory]) -> str:
    """An article page as news sites serve them: the story amid a cookie banner, navigation, a "most read"
    list, a newsletter box and reader comments, which the article reader must leave out."""
    title = html.escape(story.title)
    most_read = "".join(f'<li><a href="/story/{html.escape(o.id)}">{html.escape(o.title)}</a></li>'
                        for o in others[:5])
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title} | {html.escape(feed.name)}</title></head><body>\n"
        '<div class="cookie-banner">This site uses cookies to measure its audience. <button>Accept</button> '
        "<button>Refuse</button></div>\n"
        f'<header><a href="/" class="logo">{html.escape(feed.name)}</a><nav><a href="/">Home</a> '
        '<a href="/world">World</a> <a href="/courts">Courts</a> <a href="/donate">Donate €5</a></nav></header>\n'
        f"<main><article><h1>{title}</h1>\n"
        f'<p class="byline">{html.escape(story.author or feed.name)} · {story.published:%d %B %Y} · '
        "a demo story bundled with migwatch, illustrative only</p>\n"
        f"{story.html}\n</article>\n"
        f'<aside class="most-read"><h2>Most read</h2><ol>{most_read}</ol></aside>\n'
        '<section class="newsletter"><h2>The weekly brief</h2><p>Our migration desk, in your inbox every '
        "Friday. Sign up free.</p></section>\n"
        '<section class="comments"><h2>Comments (2)</h2><div class="comment"><b>reader</b> This will cost us '
        '£5bn before it is over.</div><div class="comment"><b>another</b> Amnesty warned about exactly this.'
        "</div></section></main>\n"
        "<footer>© Demo outlets. <a href=\"/terms\">Terms</a></footer></body></html>\n"
    )


# ---------------------------------------------------------------------------------------- the server


@dataclass(frozen=True, slots=True)
class _Response:
    body: bytes
    content_type: str
    etag: str | None = None
    last_modified: float | None = None  # Unix seconds, whole
    status: HTTPStatus = HTTPStatus.OK


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    demo: DemoServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-response is normal; a traceback on stderr would tear the dashboard.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "migwatch-demo/1"
    sys_version = ""
    timeout = 10  # seconds a connection may sit idle

    def log_message(self, format: str, *args: Any) -> None:
        pass  # stderr belongs to the dashboard

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def _respond(self, head: bool) -> None:
        demo = self.server.demo
        with demo._lock:
            demo.requests += 1
        response = demo._resolve(urlsplit(self.path).path)
        if response is None:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", {}, head)
            return
        headers: dict[str, str] = {"Vary": "Accept-Encoding"}
        if response.etag:
            headers["ETag"] = response.etag
        if response.last_modified is not None:
            headers["Last-Modified"] = formatdate(response.last_modified, usegmt=True)
        if self._not_modified(response):
            self._send(HTTPStatus.NOT_MODIFIED, b"", None, headers, head=True)
            return
        body = response.body
        if _accepts_gzip(self.headers.get("Accept-Encoding", "")):
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
        self._send(response.status, body, response.content_type, headers, head)

    def _not_modified(self, response: _Response) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:  # when present, If-Modified-Since is ignored (RFC 9110 13.1.3)
            if response.etag is None:
                return False
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return "*" in tags or response.etag.removeprefix("W/") in tags
        ims = self.headers.get("If-Modified-Since")
        if ims is None or response.last_modified is None:
            return False
        try:
            since = parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        return response.last_modified <= since

    def _send(self, status: HTTPStatus, body: bytes, content_type: str | None, headers: Mapping[str, str],
              head: bool) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != HTTPStatus.NOT_MODIFIED:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)


def _accepts_gzip(header: str) -> bool:
    for part in header.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "x-gzip", "*"):
            q = re.search(r"q\s*=\s*([0-9.]+)", params)
            return not (q and float(q.group(1)) == 0.0)
    return False


class DemoServer:
    """The demo feeds on a loopback HTTP server, releasing stories over time.

    `clock` is any monotonic seconds counter; tests pass one they can advance. Elapsed time is counted
    from `start()`. At 0 s each feed has `initial_per_feed` stories (its oldest); the others follow one by
    one, oldest first, evenly spaced, the last at `spread` seconds.
    """

    def __init__(
        self,
        data: DemoData | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
        initial_per_feed: int = INITIAL_PER_FEED,
        spread: float = SPREAD_SECONDS,
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the demo server only listens on loopback, not {host!r}")
        self.data = data if data is not None else load_demo_data()
        self.host = host
        self.port = port
        self.clock = clock
        self.schedule: dict[str, float] = _schedule(self.data, initial_per_feed, spread)
        self.requests = 0  # requests served, all paths
        self._lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._t0 = 0.0
        self._wall0 = 0.0
        self._all = False
        self._cache: dict[tuple[str, int], _Response] = {}

    # -- life cycle

    def start(self) -> DemoServer:
        if self._httpd is not None:
            return self
        httpd = _Server((self.host, self.port), _Handler)
        httpd.demo = self
        self.port = httpd.server_address[1]
        self._t0 = self.clock()
        self._wall0 = float(math.floor(time.time()))
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="migwatch-demo-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        self._httpd = self._thread = None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- what is out

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the demo server is not running; call start() first")
        return f"http://{self.host}:{self.port}"

    def feed_url(self, slug: str) -> str:
        feed = self.data.feed(slug)
        return f"{self.base_url}/feeds/{feed.slug}.{_FORMATS[feed.format][0]}"

    @property
    def feed_urls(self) -> list[tuple[str, str]]:
        """(name, url) for every demo feed, in the data file's order."""
        return [(f.name, self.feed_url(f.slug)) for f in self.data.feeds]

    def elapsed(self) -> float:
        return self.clock() - self._t0

    def release_all(self) -> None:
        """Release every story now (for screenshots and tests of a full screen)."""
        self._all = True

    def released(self, slug: str | None = None) -> list[DemoStory]:
        """The stories out so far (of one feed, or all), in the data file's order."""
        now = math.inf if self._all else self.elapsed()
        return [s for s in self.data.stories
                if (slug is None or s.feed == slug) and self.schedule[s.id] <= now]

    @property
    def progress(self) -> tuple[int, int]:
        """(stories released, stories in all)."""
        return len(self.released()), len(self.data.stories)

    @property
    def finished(self) -> bool:
        released, total = self.progress
        return released == total

    # -- serving (called from the server's threads)

    def _resolve(self, path: str) -> _Response | None:
        m = re.fullmatch(r"/feeds/([a-z0-9-]+)\.(xml|atom)", path)
        if m:
            return self._feed_response(m.group(1), m.group(2))
        m = re.fullmatch(r"/story/([a-z0-9-]+)", path)
        if m:
            released = self.released()
            story = next((s for s in released if s.id == m.group(1)), None)
            if story is None:
                return None
            if story.article == "403":
                return _Response(b"<!doctype html><title>Subscribers only</title><p>Subscribe to continue reading."
                                 b"</p>\n", "text/html; charset=utf-8", status=HTTPStatus.FORBIDDEN)
            others = [s for s in reversed(released) if s is not story]
            page = _story_page(story, self.data.feed(story.feed), others).encode()
            return _Response(page, "text/html; charset=utf-8")
        if path == "/robots.txt":
            return _Response(b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")
        if path in ("", "/"):
            items = "".join(f'<li><a href="{html.escape(url)}">{html.escape(name)}</a></li>'
                            for name, url in self.feed_urls)
            page = f"<!doctype html><title>migwatch demo feeds</title><ul>{items}</ul>\n".encode()
            return _Response(page, "text/html; charset=utf-8")
        return None

    def _feed_response(self, slug: str, ext: str) -> _Response | None:
        try:
            feed = self.data.feed(slug)
        except KeyError:
            return None
        if _FORMATS[feed.format][0] != ext:
            return None
        stories = self.released(slug)
        key = (slug, len(stories))
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        body = render_feed(feed, stories, self.base_url).encode("utf-8")
        etag = 'W/"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        newest = max((self.schedule[s.id] for s in stories), default=0.0)
        response = _Response(body, _FORMATS[feed.format][1], etag, self._wall0 + math.ceil(newest))
        with self._lock:
            self._cache[key] = response
        return response


def _schedule(data: DemoData, initial_per_feed: int, spread: float) -> dict[str, float]:
    """Story id → seconds after start when it appears."""
    ordered = sorted(data.stories, key=lambda s: (s.published, s.id))
    first: dict[str, int] = {}
    schedule: dict[str, float] = {}
    later: list[DemoStory] = []
    for s in ordered:
        if first.get(s.feed, 0) < initial_per_feed:
            first[s.feed] = first.get(s.feed, 0) + 1
            schedule[s.id] = 0.0
        else:
            later.append(s)
    step = spread / len(later) if later else 0.0
    for i, s in enumerate(later, start=1):
        schedule[s.id] = round(i * step, 3)
    return schedule


def demo_settings(server: DemoServer, interval_seconds: float = 5.0) -> Settings:
    """Settings whose feeds are the demo server's, polled every few seconds.

    Built directly: the config file's 60-second minimum interval protects real publishers, and this one
    is ours, on loopback.
    """
    if interval_seconds <= 0:
        raise ValueError("interval_seconds must be positive")
    return Settings(
        path=None,
        poll=PollSettings(interval=float(interval_seconds), concurrency=4, timeout=5.0, full_text="auto",
                          article_delay=0.5, proxy=""),  # loopback: never through the user's proxy
        feeds=tuple(FeedConfig(name=name, url=url, tags=("demo",)) for name, url in server.feed_urls),
    )


def main() -> None:  # pragma: no cover - a manual tool
    with DemoServer() as server:
        for name, url in server.feed_urls:
            print(f"{name}\t{url}", flush=True)
        print(f"{server.progress[1]} stories, all out within {SPREAD_SECONDS:.0f}s; ctrl+c to stop", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover
    main()

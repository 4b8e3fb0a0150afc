"""The article behind a story's link: which stories need it, and fetching it the way a polite reader does.

Most news feeds carry a headline and a sentence (ANCHORS.md (e)); the facts are in the article. The best
readers fetch it per feed, opt-in with a global default (Miniflux's "crawler", NewsBlur's text importer),
and their users asked for what is built here (ANCHORS.md (f)): one request at a time per host with a delay
between them, robots.txt honoured, an honest User-Agent, a host that refuses us left alone for a while
(Retry-After honoured), only HTML, a body cap and a deadline, and never the same article twice on its own.

A feed on a public host must not turn migwatch into a way to reach the user's own network: its links may
reach only public addresses, checked on the address actually connected to (after DNS and every redirect),
before a byte of the request is sent. Feeds that are themselves local (files, loopback, private addresses:
the demo, the tests, a newsroom's intranet) may link to local pages.

What to fetch is decided by pure functions (`wants_article`); `ArticleFetcher` does the network part and
hands back bytes; main-text extraction is CPU work and runs in the worker pool (`extract_main_text`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from feeds.fetch import MAX_REDIRECTS, REDIRECTS, BodyTooLarge, parse_retry_after, read_capped

if TYPE_CHECKING:
    from feeds.fetch import Fetcher

SHORT_FEED_TEXT = 1000  # characters: a feed text under this is a summary, not the story
JUDGE_BY = 200  # characters of feed text without a headline that are too few to judge relevance by
MIN_ARTICLE = 200  # characters of main text: less is a failed extraction (Media Cloud's bar)
ROBOTS_AGENT = "migwatch"  # the product token robots.txt rules name
ROBOTS_TTL = 24 * 3600.0
ROBOTS_MAX = 512 * 1024  # bytes of robots.txt read (Google reads 500 KiB)
REFUSING = {401, 403, 429, 451}  # the host does not want us: leave it alone for a while
FIRST_BACKOFF = 3600.0  # a host that refused us, when it gave no Retry-After; doubles, up to a day
DEAD_LINKS = 3  # articles in a row a host answers 404/410: its links lead nowhere, leave it for a while
MAX_BACKOFF = 86400.0
HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html|<head|<body)", re.IGNORECASE | re.DOTALL)


# ------------------------------------------------------------------------------------------ deciding


def wants_article(mode: str, title: str, feed_text: str, looks_relevant: Callable[[str, str], bool]) -> bool:
    """Whether a new story's article should be fetched: "always", "never", or "auto" — only when the feed
    gave a summary (under SHORT_FEED_TEXT characters) and the headline or summary looks like the news this
    user follows (`looks_relevant`, a broad prefilter: missing a story costs more than fetching one)."""
    if mode == "never":
        return False
    if mode == "always":
        return True
    if len(feed_text) >= SHORT_FEED_TEXT:
        return False
    if not title.strip() and len(feed_text) < JUDGE_BY:
        return True  # no headline and a fragment of a sentence: too little to judge the story by
    return looks_relevant(title, feed_text)


def is_public_address(address: str) -> bool:
    """An address on the public internet: not loopback, private, link-local, shared, reserved or multicast."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(ip.is_global) and not ip.is_multicast


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Which addresses a story's link may reach. `is_public` is injectable so a test can call one loopback
    address public (there is no public server on a test machine)."""

    is_public: Callable[[str], bool] = is_public_address

    def feed_is_public(self, feed_url: str | None) -> bool:
        """A feed on a public host (by its URL: an address literal is judged by the policy, a host name other
        than localhost counts as public). Files and unknown feeds are local."""
        if not feed_url:
            return False
        parts = urlsplit(feed_url)
        if parts.scheme.lower() not in ("http", "https"):
            return False
        host = (parts.hostname or "").rstrip(".").lower()
        if host == "localhost" or host.endswith(".localhost"):
            return False
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return True  # a name: whatever it resolves to, its links must stay public
        return self.is_public(host)

    def allow_peer(self, feed_url: str | None) -> Callable[[str], bool] | None:
        """The check for the article requests of a story from `feed_url`; None: any address."""
        return self.is_public if self.feed_is_public(feed_url) else None


# ------------------------------------------------------------------------------------------ fetching


@dataclass(frozen=True, slots=True)
class ArticleJob:
    story_id: str
    url: str
    feed_url: str | None
    on_request: bool = False  # asked for by the user: a host's backoff after a 401/403 does not apply


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """What one article request gave: a body to extract (status "fetched"), or a final status."""

    story_id: str
    status: str  # fetched | blocked | robots | not-html | failed (moved: a redirect, followed by `fetch`)
    host: str
    http_status: int | None = None
    body: bytes | None = None
    final_url: str | None = None
    content_type: str | None = None
    error: str | None = None
    fetched_at: datetime | None = field(default_factory=lambda: datetime.now(UTC))  # None: not requested


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


@dataclass
class HostMemory:
    """What is worth remembering about a site between runs (the poller stores it): whether it refused us and
    until when, and its robots.txt. Times are wall-clock seconds (time.time())."""

    host: str
    refused_until: float = 0.0
    refused_status: int | None = None
    refused_why: str = ""
    throttled: bool = False  # the refusal came with Retry-After (429/503): even the user's own request waits
    refusals: int = 0
    robots_kind: str = ""  # "" unknown, "allow" (no robots.txt), "deny" (401/403), "text"
    robots_text: str = ""
    robots_at: float = 0.0


@dataclass
class _Host:
    """One host's manners in this process: a lock so requests go one at a time, when the next may start,
    dead links in a row, and what is remembered across runs."""

    memory: HostMemory
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_at: float = 0.0  # monotonic time before which no request starts
    dead_links: int = 0  # 404/410 answers in a row
    robots: RobotFileParser | None = None


def _parser(memory: HostMemory) -> RobotFileParser:
    parser = RobotFileParser()
    if memory.robots_kind == "deny":
        parser.disallow_all = True  # type: ignore[attr-defined]
    elif memory.robots_kind == "allow":
        parser.allow_all = True  # type: ignore[attr-defined]
    else:
        parser.parse(memory.robots_text.splitlines())
    parser.modified()
    return parser


class ArticleFetcher:
    """Fetches article pages through the poller's own connections (`Fetcher`), politely per host: each hop
    of a redirect is a request to its own host, in that host's turn, after that host's robots.txt."""

    def __init__(self, client: Fetcher, *, delay: float = 1.0, timeout: float = 20.0,
                 max_body: int = 5 * 1024 * 1024, policy: AddressPolicy | None = None,
                 clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time) -> None:
        self.client = client
        self.delay = delay
        self.timeout = timeout  # each request: robots.txt, the page, each redirect; not the wait for a turn
        self.max_body = max_body
        self.policy = policy or AddressPolicy()
        self.clock = clock
        self.wall = wall
        self._hosts: dict[str, _Host] = {}
        self._changed: set[str] = set()

    def host_state(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host(HostMemory(host))
        return state

    def remember(self, memories: list[HostMemory]) -> None:
        """What earlier runs learnt about sites (refusals still running, robots.txt still fresh)."""
        for memory in memories:
            state = self.host_state(memory.host)
            state.memory = memory
            state.robots = None

    def take_changed(self) -> list[HostMemory]:
        """The memories that changed since the last call, for the poller to store."""
        changed, self._changed = self._changed, set()
        return [self._hosts[h].memory for h in sorted(changed)]

    def refusal_for(self, job: ArticleJob) -> FetchedPage | None:
        """The answer for `job` without a request, when its site is being left alone; else None."""
        host = host_of(job.url)
        state = self._hosts.get(host)
        return None if state is None else self._refused(state, job, host)

    async def fetch(self, job: ArticleJob) -> FetchedPage:
        """One article, or the reason there is none. Never raises for anything a server can do."""
        url, seen = job.url, {job.url}
        allow_peer = self.policy.allow_peer(job.feed_url)
        for _hop in range(MAX_REDIRECTS + 1):
            host = host_of(url)
            if urlsplit(url).scheme.lower() not in ("http", "https") or not host:
                return FetchedPage(job.story_id, "failed", host, error="the link is not an http(s) URL")
            page = await self._at(self.host_state(host), job, url, allow_peer)
            if page.status != "moved":
                return page
            target = page.final_url or ""
            if target in seen:
                return FetchedPage(job.story_id, "failed", host, page.http_status, error="redirect loop")
            seen.add(target)
            url = target
        return FetchedPage(job.story_id, "failed", host_of(url), error=f"more than {MAX_REDIRECTS} redirects")

    async def _at(self, state: _Host, job: ArticleJob, url: str, allow_peer: Callable[[str], bool] | None
                  ) -> FetchedPage:
        """One request to one host, in its turn: its robots.txt first, then the page (or where it moved)."""
        host = host_of(url)
        refused = self._refused(state, job, host)
        if refused is not None:
            return refused
        async with state.lock:
            refused = self._refused(state, job, host)  # another story of this host may have been refused meanwhile
            if refused is not None:
                return refused
            try:
                robots = await self._robots(state, url, allow_peer)
                if not robots.can_fetch(ROBOTS_AGENT, url):
                    return FetchedPage(job.story_id, "robots", host, error=f"robots.txt of {host} disallows {url[:200]}")
                return await self._get(state, job, url, allow_peer)
            except TimeoutError:
                return FetchedPage(job.story_id, "failed", host, error=f"no complete answer within {self.timeout:g}s")
            except Exception as exc:  # noqa: BLE001 - a network failure is this article's, never the round's
                return FetchedPage(job.story_id, "failed", host, error=_network_message(exc))

    def _refused(self, state: _Host, job: ArticleJob, host: str) -> FetchedPage | None:
        memory = state.memory
        if memory.refused_until <= self.wall():
            return None
        if job.on_request and not memory.throttled:
            return None
        status = "failed" if memory.refused_status in (404, 410) else "blocked"
        until = datetime.fromtimestamp(memory.refused_until, UTC).astimezone().strftime("%H:%M")
        # Not requested: no HTTP status of its own (the refusal was another article's).
        return FetchedPage(job.story_id, status, host, error=f"not requested: {memory.refused_why}; "
                           f"the site is left alone until {until}", fetched_at=None)

    async def _wait_turn(self, state: _Host) -> None:
        pause = state.next_at - self.clock()
        if pause > 0:
            await asyncio.sleep(pause)

    def _done_request(self, state: _Host) -> None:
        state.next_at = self.clock() + self.delay

    async def _robots(self, state: _Host, url: str, allow_peer: Callable[[str], bool] | None) -> RobotFileParser:
        """The host's robots.txt rules (kept a day, across runs), as RFC 9309 reads them: missing (4xx)
        allows all, 401/403 disallow all (as the standard library does), unreachable (5xx, network) is
        asked again next time."""
        memory = state.memory
        if memory.robots_kind and self.wall() - memory.robots_at < ROBOTS_TTL:
            if state.robots is None:
                state.robots = _parser(memory)
            return state.robots
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        await self._wait_turn(state)
        try:
            async with asyncio.timeout(self.timeout):
                status, body = await self._small_get(robots_url, allow_peer)
        finally:
            self._done_request(state)
        if status in (401, 403):
            memory.robots_kind, memory.robots_text = "deny", ""
        elif status is not None and 400 <= status < 500:
            memory.robots_kind, memory.robots_text = "allow", ""
        elif status is None or status >= 500:
            raise RobotsUnreachable(f"robots.txt unreachable (HTTP {status})" if status else "robots.txt unreachable")
        else:
            memory.robots_kind, memory.robots_text = "text", body.decode("utf-8", "replace")[:ROBOTS_MAX]
        memory.robots_at = self.wall()
        self._changed.add(memory.host)
        state.robots = _parser(memory)
        return state.robots

    async def _small_get(self, url: str, allow_peer: Callable[[str], bool] | None) -> tuple[int | None, bytes]:
        """GET robots.txt, following redirects (RFC 9309 allows five); the body cut at ROBOTS_MAX."""
        current = url
        for _hop in range(6):
            async with self.client.get(current, {"Accept": "text/plain, */*;q=0.5"}, allow_peer=allow_peer) as response:
                status = response.status_code
                if status in REDIRECTS and response.headers.get("location"):
                    target = urljoin(current, response.headers["location"])
                    if urlsplit(target).scheme.lower() not in ("http", "https"):
                        return 404, b""
                    current = target
                    continue
                if status != 200:
                    return status, b""
                try:
                    return status, await read_capped(response, ROBOTS_MAX)
                except BodyTooLarge:
                    return status, b""  # a robots.txt of megabytes is no robots.txt: nothing disallowed
        return None, b""

    async def _get(self, state: _Host, job: ArticleJob, url: str, allow_peer: Callable[[str], bool] | None
                   ) -> FetchedPage:
        host = host_of(url)
        await self._wait_turn(state)
        try:
            async with asyncio.timeout(self.timeout), \
                    self.client.get(url, {"Accept": HTML_ACCEPT}, allow_peer=allow_peer) as response:
                status = response.status_code
                if status in REDIRECTS and response.headers.get("location"):
                    target = urljoin(url, response.headers["location"])
                    if urlsplit(target).scheme.lower() not in ("http", "https"):
                        return FetchedPage(job.story_id, "failed", host, status,
                                           error=f"redirect to a non-http URL {target[:200]!r}")
                    return FetchedPage(job.story_id, "moved", host, status, final_url=target)
                if status in REFUSING or status == 503 and response.headers.get("retry-after"):
                    return self._refusal(state, job, status, response.reason_phrase,
                                         parse_retry_after(response.headers.get("retry-after")))
                if status in (404, 410):
                    state.dead_links += 1
                    if state.dead_links >= DEAD_LINKS:
                        memory = state.memory
                        memory.refused_until = self.wall() + FIRST_BACKOFF
                        memory.refused_status, memory.throttled = status, False
                        memory.refused_why = f"{host} answered HTTP {status} to {DEAD_LINKS} articles in a row"
                        self._changed.add(host)
                if status != 200:
                    return FetchedPage(job.story_id, "failed", host, status,
                                       error=f"HTTP {status} {response.reason_phrase}".strip())
                ctype = response.headers.get("content-type", "")
                main_type = ctype.split(";", 1)[0].strip().lower()
                if main_type and main_type not in _HTML_TYPES:
                    return FetchedPage(job.story_id, "not-html", host, status, content_type=ctype,
                                       error=f"the page is {main_type[:60]}, not HTML")
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_body:
                    return FetchedPage(job.story_id, "failed", host, status,
                                       error=f"page of {int(declared):,} bytes is over the {self.max_body:,}-byte cap")
                try:
                    body = await read_capped(response, self.max_body)
                except BodyTooLarge:
                    return FetchedPage(job.story_id, "failed", host, status,
                                       error=f"page over the {self.max_body:,}-byte cap")
                if not main_type and not _HTML_START.match(body[:4096]):
                    return FetchedPage(job.story_id, "not-html", host, status, error="the page is not HTML")
                state.dead_links = 0
                if state.memory.refusals:
                    state.memory.refusals = 0
                    self._changed.add(host)
                return FetchedPage(job.story_id, "fetched", host, status, body=body, final_url=url,
                                   content_type=ctype)
        finally:
            self._done_request(state)

    def _refusal(self, state: _Host, job: ArticleJob, status: int, reason: str, retry_after: float | None
                 ) -> FetchedPage:
        memory = state.memory
        memory.refusals += 1
        if retry_after is not None:
            pause, memory.throttled = min(max(retry_after, 1.0), MAX_BACKOFF), True
        else:
            pause = min(FIRST_BACKOFF * 2 ** min(memory.refusals - 1, 5), MAX_BACKOFF)
            memory.throttled = status == 429
        memory.refused_until = self.wall() + pause
        memory.refused_status = status
        memory.refused_why = f"{memory.host} answered HTTP {status} {reason}".strip()
        self._changed.add(memory.host)
        return FetchedPage(job.story_id, "blocked", memory.host, status,
                           error=f"the site answered HTTP {status} {reason}".strip())


class RobotsUnreachable(Exception):
    pass


def _network_message(exc: Exception) -> str:
    from feeds.aionet import PeerRefused
    from feeds.fetch import _network_error

    if isinstance(exc, PeerRefused):
        return f"refused: {exc}"
    if isinstance(exc, RobotsUnreachable):
        return str(exc)
    return _network_error(exc)[1]


# ------------------------------------------------------------------------------------------ main text

# Pages that stand in front of the article: what they say instead of the story.
_WALL = re.compile(
    r"\b(?:subscribe\s+(?:now\s+)?to\s+(?:continue|read|keep\s+reading|unlock)|subscribers?\s+only|"
    r"(?:sign|log)\s*(?:in|up)\s+to\s+(?:continue|read|keep\s+reading)|already\s+a\s+subscriber|"
    r"this\s+(?:article|content|story)\s+is\s+(?:for|available\s+to|reserved\s+for)\s+(?:paying\s+)?subscribers|"
    r"enable\s+(?:javascript|cookies)|(?:javascript|cookies)\s+(?:is|are)\s+(?:disabled|required)|"
    r"are\s+you\s+a\s+robot|verify\s+(?:that\s+)?you\s+are\s+(?:a\s+)?human|captcha|access\s+denied|"
    r"checking\s+your\s+browser|unusual\s+traffic|request\s+blocked|"
    r"(?:accept|agree\s+to)\s+(?:all\s+)?cookies\s+to\s+(?:continue|read|view))",
    re.IGNORECASE,
)


def extract_main_text(body: bytes, url: str | None, title: str, feed_text: str) -> tuple[str, str, str | None]:
    """(status, text, why) from an article page: "ok" with the main text when it is real article text
    longer than the feed's; "blocked" for a paywall, cookie or bot wall; "too-short" otherwise."""
    import trafilatura

    from feeds.text import plain_text

    extracted = trafilatura.extract(body, url=url, include_comments=False, include_tables=False,
                                    include_images=False, include_links=False, favor_precision=True,
                                    deduplicate=True, output_format="txt") or ""
    text = plain_text(_without_headline(extracted, title))
    if len(text) < 2 * MIN_ARTICLE and _WALL.search(text or body[:200_000].decode("utf-8", "replace")):
        return "blocked", "", "the page is a paywall, cookie or bot wall, not the article"
    if len(text) < MIN_ARTICLE:
        return "too-short", "", f"no article text on the page ({len(text)} characters)"
    if len(text) <= len(feed_text):
        return "too-short", "", "the page says no more than the feed"
    return "ok", text, None


def _without_headline(text: str, title: str) -> str:
    """The extractor keeps the page's <h1>: the headline is the story's own title, not article text."""
    first, _, rest = text.partition("\n")
    squash = re.compile(r"\W+")
    if title and squash.sub("", first).lower() == squash.sub("", title).lower():
        return rest.lstrip("\n")
    return text

"""One place that runs poll → parse → analyse → store.

The Poller runs on the caller's event loop (the dashboard's, or `migwatch poll`'s): fetching is async
httpx; parsing and analysis run in a process pool (CPU work, and feedparser holds the GIL); every
database call runs in one writer thread that owns its own Store. Nothing here blocks the loop.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from feeds.articles import AddressPolicy, ArticleFetcher, ArticleJob, FetchedPage, host_of
from feeds.config import Settings
from feeds.models import Analysis, FeedState, Story
from feeds.parse import MAX_ENTRIES
from feeds.text import one_line, plural

if TYPE_CHECKING:
    from feeds.fetch import Fetcher, FetchResult
    from store import Store

MAX_BACKOFF = 86400.0
MAX_FLOOR = 31 * 86400.0
CLUSTER_WINDOW = timedelta(days=4)  # a story and its retellings appear within days


@dataclass(frozen=True, slots=True)
class RoundProgress:
    done: int
    total: int
    new: int
    errors: int


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    url: str
    name: str
    result: str  # ok | not-modified | error | gone | throttled | skipped
    new: int = 0
    error: str | None = None
    cut: int = 0  # items dropped by the per-feed cap (the oldest)


@dataclass(frozen=True, slots=True)
class RoundResult:
    polled: int = 0
    new: int = 0
    not_modified: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0
    new_matched: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (story id, title, agreement ids)
    next_poll_at: datetime | None = None
    outcomes: tuple[FeedOutcome, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        next_text = ""
        if self.next_poll_at is not None:
            next_text = f"; next poll {self.next_poll_at.astimezone().strftime('%H:%M:%S')}"
        skipped = f", {self.skipped} skipped" if self.skipped else ""
        cut_feeds = [o for o in self.outcomes if o.cut]
        cut = ""
        if cut_feeds:
            cut = (f", {plural(sum(o.cut for o in cut_feeds), 'oldest item')} cut from "
                   f"{plural(len(cut_feeds), 'feed')} over the {MAX_ENTRIES:,}-item cap")
        return (f"polled {plural(self.polled, 'feed')}: {plural(self.new, 'new story', 'new stories')}, "
                f"{self.not_modified} not modified (304), {plural(self.errors, 'error')}{skipped}{cut} "
                f"in {self.seconds:.1f}s{next_text}")


# ------------------------------------------------------------------------------- worker processes


def start_worker_server() -> None:
    """Start the fork server that worker processes are forked from, preloading `feeds.warm`.

    Call it early: the preload runs in the server's own process while the main one goes on fetching.
    Under a running Textual app stdio are no longer real files and starting the server fails, so the
    dashboard calls this before the app takes the terminal.
    """
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["feeds.warm"])
    try:
        forkserver.ensure_running()
    except (OSError, ValueError):
        pass  # the pool falls back to starting it itself


def stop_worker_server() -> None:
    """Stop the fork server and wait for it (its workers must have ended first). multiprocessing has no
    public call for this; without it the server lingers until this process exits and is never waited for."""
    from multiprocessing import forkserver

    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
    if stop is None:
        return
    try:
        stop()
    except (OSError, ChildProcessError):
        pass


# ------------------------------------------------------------------------------- scheduling


def _fmt_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h".replace(".0h", "h")
    return f"{seconds / 86400:.1f}d".replace(".0d", "d")


def schedule_success(interval: float, max_age: float | None, ttl: float | None) -> tuple[float, str]:
    """Seconds to the next poll after a good fetch, and why: freshness and ttl set a floor."""
    delay, why = interval, f"interval {_fmt_seconds(interval)}"
    if max_age and max_age > delay:
        delay, why = min(max_age, MAX_FLOOR), f"Cache-Control max-age {_fmt_seconds(max_age)}"
    if ttl and ttl > delay:
        delay, why = min(ttl, MAX_FLOOR), f"feed ttl {_fmt_seconds(ttl)}"
    return delay, why


def schedule_failure(interval: float, failures: int) -> tuple[float, str]:
    factor = 2 ** min(max(failures - 1, 0), 10)
    delay = min(interval * factor, MAX_BACKOFF)
    if factor == 1:
        return delay, "1 failure: the interval, then backoff ×2 each"
    return delay, f"backoff ×{factor} after {plural(failures, 'failure')}"


@dataclass
class ArticleTally:
    """What happened to the articles asked for since the poller started (or since `reset`)."""

    counts: dict[str, int] = field(default_factory=dict)
    review: int = 0  # accepted stories whose facts the article changed

    def add(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1

    def summary(self) -> str:
        if not self.counts:
            return ""
        order = ("ok", "blocked", "robots", "too-short", "not-html", "failed")
        parts = [f"{self.counts[k]} {k}" for k in order if self.counts.get(k)]
        review = f", {self.review} to review" if self.review else ""
        return f"articles: {', '.join(parts)}{review}"


def _is_database_fault(exc: BaseException) -> bool:
    from store import DatabaseFault

    return isinstance(exc, DatabaseFault)


class Poller:
    def __init__(self, settings: Settings, db_path: Path, catalogue: Any = None, *, workers: int | None = None,
                 clock: Callable[[], datetime] | None = None, address_policy: AddressPolicy | None = None) -> None:
        self.settings = settings
        self.db_path = Path(db_path)
        self.catalogue = catalogue
        self.workers = (min(os.cpu_count() or 1, 4) if workers is None else workers)
        self.clock = clock or (lambda: datetime.now(UTC))
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="migwatch-db")
        self._store: Store | None = None
        self._pool: Executor | None = None
        self._inflight = 0  # parse jobs submitted and not yet answered
        self._client: Fetcher | None = None
        self._synced = False
        self._intervals: dict[str, float] = {}
        self._names: dict[str, str] = {}
        # States without stories (304s, errors) are written together at the end of a round; losing them
        # in a crash only means those feeds are polled again.
        self._pending: list[tuple[FeedState, str | None]] = []
        self._clusterer: Any = None
        self._full_text: dict[str, str] = {}
        # Articles: a queue and one task per host (requests to a host go one at a time, `feeds.articles`),
        # at most `concurrency` hosts at work at once. Nothing in a round waits for them.
        self.address_policy = address_policy or AddressPolicy()
        self._articles: ArticleFetcher | None = None
        self._article_queues: dict[str, deque[tuple[ArticleJob, Story, asyncio.Future[str] | None]]] = {}
        self._article_tasks: dict[str, asyncio.Task[None]] = {}
        self._article_slots: asyncio.Semaphore | None = None
        self._extract_slots: asyncio.Semaphore | None = None
        self._article_inflight = 0
        self._hosts_loaded = False
        self._requeued = False
        # Article extraction waits while a round fetches and parses feeds: the round's stories reach the
        # inbox first, and the worker pool is not shared between the two (a user's own request does not wait).
        self._feeds_idle = asyncio.Event()
        self._feeds_idle.set()
        self.articles = ArticleTally()
        self.on_article: Callable[[str, str], None] | None = None  # (story id, status), on the poller's loop

    # -------------------------------------------------------------------- resources

    def _db(self) -> Store:
        """The writer thread's Store (only ever called on that thread)."""
        if self._store is None:
            from store import Store

            self._store = Store(self.db_path, bulk_writes=True)
        return self._store

    async def _run_db(self, fn: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._writer, fn, *args)
        except (sqlite3.Error, OSError) as exc:
            from store import database_fault

            # A full disk, a read-only or corrupt file is the round's failure, never one feed's.
            fault = database_fault(exc, self.db_path)
            if fault is None:
                raise
            raise fault from exc

    def _executor(self) -> Executor:
        if self._pool is None:
            from feeds import workers

            if self.workers <= 0:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="migwatch-parse",
                                                initializer=workers.init, initargs=(self.settings.agreements,))
            else:
                import multiprocessing

                method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
                if method == "forkserver":
                    start_worker_server()
                from concurrent.futures import ProcessPoolExecutor  # not imported for a round of 304s

                self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context(method),
                                                 initializer=workers.init, initargs=(self.settings.agreements,))
        return self._pool

    def _reset_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _get_client(self) -> Fetcher:
        if self._client is None:
            from feeds.fetch import new_client

            self._client = new_client(self.settings.poll.concurrency, self.settings.poll.timeout,
                                      self.settings.poll.proxy)
        return self._client

    async def aclose(self) -> None:
        # Articles not fetched yet stay 'pending' in the database: the next poll fetches them.
        tasks, self._article_tasks = list(self._article_tasks.values()), {}
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._article_queues.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._pool is not None:
            # Idle workers are waited for, and so is their fork server: the processes end with the poller,
            # and their CPU time counts as this process's (what `time` and the benchmarks report).
            idle = self._inflight == 0
            await asyncio.get_running_loop().run_in_executor(
                None, partial(self._pool.shutdown, wait=idle, cancel_futures=True))
            self._pool = None
            if idle:
                stop_worker_server()
        if self._store is not None:
            store, self._store = self._store, None
            await self._run_db(store.close)
        self._writer.shutdown(wait=True)

    # -------------------------------------------------------------------- setup

    def _sync(self) -> list[FeedState]:
        store = self._db()
        if not self._synced:
            if self.catalogue is not None:
                store.sync_agreements(self.catalogue)
            store.sync_feeds((f.url, f.name, f.tags) for f in self.settings.feeds)
            self._synced = True
        self._intervals.clear()
        urls = store.resolve_feed_urls([f.url for f in self.settings.feeds])
        for f, url in zip(self.settings.feeds, urls, strict=True):
            self._intervals[url] = f.interval or self.settings.poll.interval
            self._names[url] = f.name
            self._full_text[url] = f.full_text or self.settings.poll.full_text
        return store.feed_states(urls)

    async def feed_states(self) -> list[FeedState]:
        return list(await self._run_db(self._sync))

    # -------------------------------------------------------------------- one round

    async def poll_round(self, *, force: bool = False,
                         progress: Callable[[RoundProgress], None] | None = None) -> RoundResult:
        started = time.monotonic()
        states: list[FeedState] = await self._run_db(self._sync)
        now = self.clock()
        due, skipped = [], 0
        for st in states:
            if st.retired:
                skipped += 1
                continue
            waiting = st.next_poll_at is not None and st.next_poll_at > now
            # --once polls everything now, except a feed whose server asked us to wait (Retry-After).
            if waiting and (not force or st.last_result == "throttled"):
                skipped += 1
                continue
            due.append(st)
        total = len(due)
        counters = {"done": 0, "new": 0, "errors": 0, "not_modified": 0}
        new_matched: list[tuple[str, str, tuple[str, ...]]] = []
        outcomes: list[FeedOutcome] = []
        limit = asyncio.Semaphore(self.settings.poll.concurrency)
        hosts: dict[str, asyncio.Semaphore] = {}

        async def one(st: FeedState) -> None:
            host = urlsplit(st.url).hostname or ""
            host_limit = hosts.setdefault(host, asyncio.Semaphore(self.settings.poll.per_host))
            async with limit:
                outcome = await self._poll_feed(st, new_matched, host_limit)
            outcomes.append(outcome)
            counters["done"] += 1
            counters["new"] += outcome.new
            if outcome.result in ("error", "gone", "throttled"):
                counters["errors"] += 1
            elif outcome.result == "not-modified":
                counters["not_modified"] += 1
            if progress is not None:
                progress(RoundProgress(counters["done"], total, counters["new"], counters["errors"]))

        if progress is not None:
            progress(RoundProgress(0, total, 0, 0))
        self._pending = []
        self._clusterer = None  # seeded afresh each round: another process may have stored stories meanwhile
        if not self._requeued:
            # Articles a stopped poll left pending (killed, quit mid-round) are fetched now.
            self._requeued = True
            for story, feed_url in await self._run_db(self._db().pending_articles):
                if story.link and self._full_text.get(feed_url or "", self.settings.poll.full_text) != "never":
                    self._enqueue(ArticleJob(story.id, story.link, feed_url), story)
        self._feeds_idle.clear()
        tasks = [asyncio.ensure_future(one(st)) for st in due]
        faulted = False
        try:
            await asyncio.gather(*tasks)
        except BaseException as exc:
            faulted = _is_database_fault(exc)
            for task in tasks:  # the others stop too: a fault would fail them all, Ctrl-C ends them
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        finally:
            self._feeds_idle.set()
            pending, self._pending = self._pending, []
            if not faulted:  # nothing more is written into a full, read-only or corrupt database
                await self._run_db(self._db().save_feed_states, pending)
                await self._run_db(self._db().index_pending)
        next_at = await self.next_poll_at()
        return RoundResult(polled=total, new=counters["new"], not_modified=counters["not_modified"],
                           errors=counters["errors"], skipped=skipped, seconds=time.monotonic() - started,
                           new_matched=tuple(new_matched), next_poll_at=next_at, outcomes=tuple(outcomes))

    async def next_poll_at(self) -> datetime | None:
        states: list[FeedState] = await self._run_db(self._sync)
        times = [s.next_poll_at for s in states if not s.retired and s.next_poll_at is not None]
        if any(s.next_poll_at is None and not s.retired for s in states):
            return self.clock()
        return min(times) if times else None

    async def _poll_feed(self, st: FeedState, new_matched: list[tuple[str, str, tuple[str, ...]]],
                         host_limit: asyncio.Semaphore) -> FeedOutcome:
        from feeds.fetch import fetch_feed

        poll = self.settings.poll
        interval = self._intervals.get(st.url, poll.interval)
        name = self._names.get(st.url) or st.name or st.url
        now = self.clock()
        try:
            # The per-host limit covers the request only: parsing and storing need no connection.
            async with host_limit:
                fetched = await fetch_feed(self._get_client(), st.url, etag=st.etag,
                                           last_modified=st.last_modified, max_body=poll.max_body,
                                           deadline=poll.timeout)
            return await self._handle(st, fetched, interval, name, now, new_matched)
        except Exception as exc:  # noqa: BLE001 - one feed's failure must never stop the round
            if _is_database_fault(exc):
                raise  # ... but the database's does
            failures = st.failures + 1
            delay, why = schedule_failure(interval, failures)
            message = one_line(f"internal error: {type(exc).__name__}: {exc}", 300)
            state = replace(st, last_result="error", last_error=message, failures=failures, last_polled_at=now,
                            next_poll_at=now + timedelta(seconds=delay), next_poll_why=why)
            self._pending.append((state, None))
            return FeedOutcome(st.url, name, "error", error=message)

    async def _handle(self, st: FeedState, fetched: FetchResult, interval: float, name: str, now: datetime,
                      new_matched: list[tuple[str, str, tuple[str, ...]]]) -> FeedOutcome:
        loop = asyncio.get_running_loop()
        moved_from = None
        url = st.url
        if fetched.moved_to and fetched.moved_to != st.url:
            moved_from, url = st.url, fetched.moved_to
        base = replace(st, url=url, last_status=fetched.status, last_polled_at=now)
        jitter = random.uniform(0, 0.05)

        if fetched.error is not None:
            failures = st.failures + 1
            if fetched.error_kind == "gone":
                state = replace(base, last_result="gone", last_error=fetched.error, failures=failures, retired=True,
                                next_poll_at=None, next_poll_why="410 Gone: retired, no longer polled")
                self._pending.append((state, moved_from))
                return FeedOutcome(url, name, "gone", error=fetched.error)
            if fetched.error_kind == "throttled" and fetched.retry_after is not None:
                delay = max(fetched.retry_after, 1.0)
                why = f"Retry-After {_fmt_seconds(delay)} (HTTP {fetched.status})"
                result = "throttled"
            else:
                delay, why = schedule_failure(interval, failures)
                result = "throttled" if fetched.error_kind == "throttled" else "error"
            state = replace(base, last_result=result, last_error=fetched.error, failures=failures,
                            next_poll_at=now + timedelta(seconds=delay), next_poll_why=why)
            self._pending.append((state, moved_from))
            return FeedOutcome(url, name, result, error=fetched.error)

        if fetched.not_modified:
            delay, why = schedule_success(interval, fetched.max_age, None)
            state = replace(base, last_result="not-modified", last_error=None, failures=0,
                            next_poll_at=now + timedelta(seconds=delay * (1 + jitter)), next_poll_why=why)
            self._pending.append((state, moved_from))
            return FeedOutcome(url, name, "not-modified")

        assert fetched.body is not None
        from feeds import workers

        seen: frozenset[str] = await self._run_db(self._db().story_ids_of_feed, url)
        mode = self._full_text.get(st.url, self.settings.poll.full_text)
        job = partial(workers.parse_and_analyze, fetched.body, fetched.final_url, url, fetched.content_type, seen,
                      mode)
        from concurrent.futures.process import BrokenProcessPool

        self._inflight += 1
        try:
            try:
                parsed, analyses, wanted = await loop.run_in_executor(self._executor(), job)
            except BrokenProcessPool:
                # A worker died (killed, out of memory): start a new pool and give this feed one more try.
                self._reset_pool()
                parsed, analyses, wanted = await loop.run_in_executor(self._executor(), job)
        finally:
            self._inflight -= 1
        if isinstance(parsed, str):
            failures = st.failures + 1
            delay, why = schedule_failure(interval, failures)
            # The old validators stay: this body was not stored, so the next poll must fetch it again.
            parsed = one_line(parsed, 300)  # a parser's exception text may quote the feed's bytes
            state = replace(base, last_result="error", last_error=parsed, failures=failures,
                            next_poll_at=now + timedelta(seconds=delay), next_poll_why=why)
            self._pending.append((state, moved_from))
            return FeedOutcome(url, name, "error", error=parsed)

        stories = parsed.stories
        items = [(s, a or Analysis(s.id)) for s, a in zip(stories, analyses, strict=True)]
        delay, why = schedule_success(interval, fetched.max_age, parsed.ttl_seconds)
        note = parsed.warning if not stories else None
        if parsed.cut:
            # Not an error (the feed was read), but the feed's health must say what was left out.
            note = f"kept the newest {MAX_ENTRIES:,} of {parsed.items:,} items: {parsed.cut:,} older ones were cut"
        state = replace(base, etag=fetched.etag, last_modified=fetched.last_modified, last_result="ok",
                        last_error=note, failures=0,
                        next_poll_at=now + timedelta(seconds=delay * (1 + jitter)), next_poll_why=why)
        fresh_ids: set[str] = await self._run_db(self._save, state, items, moved_from, wanted)
        for s, a in items:
            if s.id in fresh_ids and a.agreements:
                new_matched.append((s.id, s.title, tuple(a.agreements)))
            if s.id in fresh_ids and s.id in wanted and s.link:
                self._enqueue(ArticleJob(s.id, s.link, url), s)
        return FeedOutcome(url, name, "ok", new=len(fresh_ids), cut=parsed.cut)

    # -------------------------------------------------------------------- articles

    def _article_fetcher(self) -> ArticleFetcher:
        if self._articles is None:
            poll = self.settings.poll
            self._articles = ArticleFetcher(self._get_client(), delay=poll.article_delay,
                                            timeout=poll.article_timeout, max_body=poll.article_max_body,
                                            policy=self.address_policy)
            self._article_slots = asyncio.Semaphore(poll.concurrency)
            # Extraction leaves one worker (a core, on a small machine) to the feeds and the dashboard.
            self._extract_slots = asyncio.Semaphore(max(1, self.workers - 1))
        return self._articles

    def _enqueue(self, job: ArticleJob, story: Story, done: asyncio.Future[str] | None = None,
                 first: bool = False) -> None:
        host = host_of(job.url)
        queue = self._article_queues.setdefault(host, deque())
        if first:
            queue.appendleft((job, story, done))
        else:
            queue.append((job, story, done))
        if host not in self._article_tasks:
            self._article_tasks[host] = asyncio.get_running_loop().create_task(
                self._host_articles(host), name=f"migwatch-articles-{host}")

    @property
    def articles_pending(self) -> int:
        """Articles asked for and not yet done: waiting for their site's turn, or being fetched."""
        return sum(map(len, self._article_queues.values())) + self._article_inflight

    async def finish_articles(self) -> None:
        """Wait until every article asked for so far is fetched (or has failed): `poll --once` before it exits."""
        while self._article_tasks:
            await asyncio.gather(*list(self._article_tasks.values()), return_exceptions=True)

    async def fetch_article(self, story_id: str) -> str:
        """Fetch one story's article now, on the user's request (even if it was fetched before); returns its
        new status. robots.txt and a site's Retry-After still hold."""
        found = await self._run_db(self._db().story_for_article, story_id)
        if found is None:
            return "failed"
        story, feed_url = found
        if not story.link:
            return "failed"
        await self._run_db(self._db().mark_article_pending, story_id)
        done: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._enqueue(ArticleJob(story.id, story.link, feed_url, on_request=True), story, done, first=True)
        return await done

    async def _host_articles(self, host: str) -> None:
        """One host's articles, one after another (the fetcher spaces them out)."""
        queue = self._article_queues[host]
        fetcher = self._article_fetcher()
        assert self._article_slots is not None
        if not self._hosts_loaded:
            self._hosts_loaded = True  # what earlier runs learnt about sites: refusals, robots.txt
            fetcher.remember(await self._run_db(self._db().article_hosts))
        try:
            while queue:
                job, story, done = queue.popleft()
                self._article_inflight += 1
                try:
                    async with self._article_slots:
                        try:
                            status = await self._one_article(fetcher, job, story)
                        except Exception as exc:  # noqa: BLE001 - one article's failure never stops the others
                            status = "failed"
                            await self._run_db(partial(
                                self._db().save_article, job.story_id, "failed", host=host,
                                error=one_line(f"internal error: {type(exc).__name__}: {exc}")))
                finally:
                    self._article_inflight -= 1
                self._settled(job.story_id, status, done)
                if queue:
                    await self._settle_refused(fetcher, queue)
        finally:
            self._article_tasks.pop(host, None)
            if not queue:
                self._article_queues.pop(host, None)

    def _settled(self, story_id: str, status: str, done: asyncio.Future[str] | None) -> None:
        self.articles.add(status)
        if done is not None and not done.done():
            done.set_result(status)
        if self.on_article is not None:
            self.on_article(story_id, status)

    async def _settle_refused(self, fetcher: ArticleFetcher,
                              queue: deque[tuple[ArticleJob, Story, asyncio.Future[str] | None]]) -> None:
        """A site that refused us (or whose links lead nowhere): the stories waiting for it are settled in one
        write instead of a transaction each."""
        waiting, settled = list(queue), []
        queue.clear()
        for job, story, done in waiting:
            page = fetcher.refusal_for(job)
            if page is None:
                queue.append((job, story, done))
            else:
                settled.append((job, done, page))
        if settled:
            await self._run_db(self._db().save_articles_unrequested,
                               [(job.story_id, page.status, page.error, page.host) for job, _, page in settled])
            for job, done, page in settled:
                self._settled(job.story_id, page.status, done)

    async def _one_article(self, fetcher: ArticleFetcher, job: ArticleJob, story: Story) -> str:
        from feeds import workers

        page: FetchedPage = await fetcher.fetch(job)
        changed = fetcher.take_changed()
        if changed:
            await self._run_db(self._db().save_article_hosts, changed)
        status, text, error, analysis = page.status, "", page.error, None
        if page.status == "fetched" and page.body is not None:
            if not job.on_request:
                # Requests go on while a round reads its feeds (they mostly wait for a site's turn); the CPU
                # of extracting waits for the round, so its stories reach the inbox first.
                await self._feeds_idle.wait()
            loop = asyncio.get_running_loop()
            work = partial(workers.article_and_analyze, page.body, page.final_url, story)
            from concurrent.futures.process import BrokenProcessPool

            assert self._extract_slots is not None
            async with self._extract_slots:
                self._inflight += 1
                try:
                    try:
                        status, text, error, analysis = await loop.run_in_executor(self._executor(), work)
                    except BrokenProcessPool:
                        self._reset_pool()
                        status, text, error, analysis = await loop.run_in_executor(self._executor(), work)
                finally:
                    self._inflight -= 1
        review = await self._run_db(partial(
            self._db().save_article, job.story_id, status, text=text, http_status=page.http_status,
            error=one_line(error) if error else None, host=page.host, fetched=page.fetched_at, analysis=analysis))
        if review:
            self.articles.review += 1
        return status

    def _save(self, state: FeedState, items: list[tuple[Story, Analysis]], moved_from: str | None,
              wanted: frozenset[str] = frozenset()) -> set[str]:
        """Writer thread: one transaction for the feed, in which its new stories are clustered against recent
        ones. Returns the ids that were new."""
        store = self._db()
        fresh_ids: set[str] = set()

        def clusters(fresh: list[tuple[Story, Analysis]]) -> dict[str, str]:
            fresh_ids.update(s.id for s, _ in fresh)
            return {story.id: self._clusterer_for(store).assign(story.id, analysis.fingerprint, story.published)
                    for story, analysis in fresh if analysis.fingerprint and analysis.matches}

        def article_status(story: Story) -> str:
            return "pending" if story.id in wanted else "skipped"

        store.save_feed_result(state, items, clusters, moved_from, article_status)
        return fresh_ids

    def _clusterer_for(self, store: Store) -> Any:
        """The round's clusterer (writer thread), seeded once with the newest stored stories: comparing a new
        story with hundreds of candidates is one vectorised step instead of hundreds of unpacks."""
        if self._clusterer is None:
            from feeds.cluster import Clusterer

            clusterer = Clusterer(window=CLUSTER_WINDOW)
            for story_id, cluster_id, fp, published in store.recent_fingerprints():
                clusterer.assign(story_id, fp, published, known_cluster=cluster_id)
            self._clusterer = clusterer
        return self._clusterer

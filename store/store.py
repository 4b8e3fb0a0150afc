"""One Store over one SQLite file (WAL, busy timeout). A Store belongs to the thread that opened it.

Writes happen in short `BEGIN IMMEDIATE` transactions so the dashboard and a cron `migwatch poll` can share
the file: a writer waits for the other (busy timeout) instead of failing with "database is locked".
A feed's new stories, their facts and the feed's new validators are committed together, so a crash
loses nothing: what was not stored is fetched again, because the old validators were not replaced.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feeds.models import Agreement, Analysis, FeedState, Story
from store.corrections import CorrectionsMixin
from store.dossier import DossierMixin
from store.rows import (
    TRIAGE_STATES,
    ArticleHostRow,
    Counts,
    FactRow,
    InboxRow,
    LedgerRow,
    MatchRow,
    Negotiation,
    StoryDetail,
    TriageChange,
)
from store.schema import SchemaTooNew, migrate

if TYPE_CHECKING:
    from feeds.articles import HostMemory

BUSY_TIMEOUT_MS = 30_000
LOCK_RETRIES = 6
_WORD = re.compile(r"[^\W_]+")  # what the FTS5 unicode61 tokenizer keeps as a word (letters, numbers)


class StoreError(Exception):
    """The database cannot be opened or used; the message is one line for the user."""


class DatabaseFault(StoreError):
    """The database failed under us: the disk is full, the file is read-only or corrupt, or I/O failed.
    Not one feed's problem: the round stops, and `migwatch` exits with `exit_code` (README, Failure modes)."""

    EXIT_CODES = {"full": 3, "readonly": 3, "io": 3, "corrupt": 4}
    ADVICE = {"full": "the disk is full: free some space",
              "readonly": "the database is read-only: check the file's and its folder's permissions",
              "io": "disk I/O error",
              "corrupt": "the database file is corrupt: restore a backup, or try `sqlite3 FILE .recover`"}

    def __init__(self, kind: str, path: Path | str, detail: str) -> None:
        self.kind = kind
        self.path = Path(path)
        super().__init__(f"{path}: {self.ADVICE[kind]} ({detail})")

    @property
    def exit_code(self) -> int:
        return self.EXIT_CODES[self.kind]


def _disk_full(path: Path | str) -> bool:
    import os

    try:
        st = os.statvfs(Path(path).parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 256 * 1024


def database_fault(exc: BaseException, path: Path | str) -> DatabaseFault | None:
    """The fault an exception from sqlite3 (or the OS) stands for, or None when it is something else
    (a lock held too long, a bug)."""
    import errno

    if isinstance(exc, DatabaseFault):
        return exc
    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", "") or ""
        text = str(exc)
        if name == "SQLITE_FULL" or "disk is full" in text:
            return DatabaseFault("full", path, text)
        if name.startswith("SQLITE_READONLY") or "readonly database" in text:
            return DatabaseFault("readonly", path, text)
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text:
            return DatabaseFault("corrupt", path, text)
        if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN")) or "disk I/O error" in text:
            # A full disk often shows as an I/O error (the shared-memory file cannot grow)
            return DatabaseFault("full" if _disk_full(path) else "io", path, text)
        return None
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return DatabaseFault("full", path, exc.strerror or str(exc))
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return DatabaseFault("readonly", path, exc.strerror or str(exc))
        return DatabaseFault("io", path, exc.strerror or str(exc))
    return None


def now_utc() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat(timespec="seconds")


def _dt(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _name_key(text: str) -> str:
    """A name as compared with a search: case, dashes and spacing aside ("UK–Rwanda" is "uk-rwanda")."""
    return "-".join(_WORD.findall(text.lower()))


def _fts_query(text: str) -> str:
    """User words → a safe FTS5 query: every word the index would hold (letters and digits; the tokenizer
    splits "Salvador's", "uk-rwanda" and "US–Rwanda" the same way), each quoted so nothing in it is query
    syntax, all required, the last as a prefix when the text ends in it. One token per quoted string: the
    index keeps no positions (detail=column), so FTS5 refuses a phrase."""
    words = [w for part in text.split() for w in _WORD.findall(part)]
    if not words:
        return ""
    parts = [f'"{w}"' for w in words]
    if text.rstrip()[-1:].isalnum():  # still typing a word; "c++" asks for the word "c", not every c…
        parts[-1] += "*"
    return " ".join(parts)


_INBOX_SELECT = """
SELECT s.id, s.title, s.published, s.first_seen, s.link, s.cluster_id,
       t.state, t.starred, t.unread,
       (SELECT group_concat(agreement_id, ' ') FROM matches m WHERE m.story_id = s.id AND m.main = 1) AS agreements,
       (SELECT group_concat(coalesce(nullif(f.name, ''), f.url), '\x1f') FROM story_feeds sf JOIN feeds f ON f.url = sf.feed_url
         WHERE sf.story_id = s.id) AS feed_names,
       (SELECT count(*) FROM stories c WHERE c.cluster_id = s.cluster_id) AS cluster_size,
       (SELECT count(*) FROM facts x WHERE x.story_id = s.id AND x.kind = 'conflict') AS conflicts,
       EXISTS(SELECT 1 FROM matches m WHERE m.story_id = s.id AND m.main = 1) AS matched,
       s.needs_review
FROM stories s JOIN triage t ON t.story_id = s.id
"""


class Store(CorrectionsMixin, DossierMixin):
    def __init__(self, path: str | Path, *, readonly: bool = False, bulk_writes: bool = False) -> None:
        """bulk_writes: the poller's writer, which stores whole rounds: a larger page cache and fewer
        checkpoints cut a cold round's write CPU by a fifth, at up to 32 MB of memory."""
        self.path = Path(path)
        try:
            if not readonly:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(
                str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=True
            )
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # Takes effect only on a new file (before WAL writes its header): stories of 1-3 KB fit 8 KB pages
            # without overflow chains, so a cold poll writes 13% less and spends 8% less CPU doing it.
            if not readonly:
                self.conn.execute("PRAGMA page_size = 8192")
            self._retry(lambda: self.conn.execute("PRAGMA journal_mode = WAL"))
            self.conn.execute("PRAGMA synchronous = NORMAL")
            if bulk_writes:
                self.conn.execute("PRAGMA cache_size = -32000")
                self.conn.execute("PRAGMA wal_autocheckpoint = 4000")
            self.conn.execute("PRAGMA foreign_keys = OFF")
            self._retry(lambda: migrate(self.conn))
        except SchemaTooNew as exc:
            raise StoreError(f"{self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            fault = database_fault(exc, self.path)
            if fault is not None and fault.kind != "readonly" and "not a database" not in str(exc):
                raise fault from None  # (a file that is not a database at all is bad input, not corruption)
            raise StoreError(f"{self.path}: cannot open database: {exc}") from None
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot open database: {exc.strerror or exc}") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------ transactions

    @staticmethod
    def _retry(fn):  # type: ignore[no-untyped-def]
        """Run fn, retrying when another process holds the lock beyond the busy timeout."""
        for attempt in range(LOCK_RETRIES):
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or attempt == LOCK_RETRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        return None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._retry(lambda: self.conn.execute("BEGIN IMMEDIATE"))
        try:
            yield self.conn
        except BaseException:
            # SQLite may have rolled back already (a full disk, corruption): a second ROLLBACK would fail and
            # hide the error that matters.
            if self.conn.in_transaction:
                try:
                    self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise
        else:
            self._retry(lambda: self.conn.execute("COMMIT"))

    def integrity_check(self) -> str:
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])

    # ------------------------------------------------------------------------------------ agreements

    def sync_agreements(self, agreements: Iterable[Agreement]) -> None:
        rows = [(a.id, a.title, json.dumps(list(a.parties)), json.dumps(list(a.aliases)),
                 json.dumps(list(a.keywords)), int(a.bundled)) for a in agreements]
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO agreements (id, title, parties, aliases, keywords, bundled) VALUES (?,?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET title=excluded.title, parties=excluded.parties, "
                "aliases=excluded.aliases, keywords=excluded.keywords, bundled=excluded.bundled", rows)

    def agreement_titles(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT id, title FROM agreements ORDER BY id").fetchall())

    # ------------------------------------------------------------------------------------ feeds

    def sync_feeds(self, feeds: Iterable[tuple[str, str, Sequence[str]]]) -> None:
        """Make the feeds table know every configured (url, name, tags); keeps state of known feeds.

        A feed whose URL moved (301/308) is known under its new URL and `moved_to` on the old row points
        there, so the old config entry keeps working.
        """
        now = _iso(now_utc())
        with self.transaction() as conn:
            known = {r[0]: (r[1], r[2], r[3]) for r in conn.execute("SELECT url, name, tags, moved_to FROM feeds")}
            for url, name, tags in feeds:
                moved = known.get(url, (None, None, None))[2]
                target = moved or url
                tags_json = json.dumps(list(tags))
                if known.get(target, (None, None, None))[:2] == (name, tags_json):
                    continue  # unchanged: a round of 500 known feeds writes nothing
                conn.execute(
                    "INSERT INTO feeds (url, name, tags, added_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(url) DO UPDATE SET name = excluded.name, tags = excluded.tags",
                    (target, name, tags_json, now))

    def feed_states(self, urls: Iterable[str] | None = None) -> list[FeedState]:
        rows = self.conn.execute(
            "SELECT url, name, etag, last_modified, last_status, last_result, last_error, failures, "
            "next_poll_at, next_poll_why, last_polled_at, retired, tags FROM feeds WHERE moved_to IS NULL "
            "ORDER BY name, url").fetchall()
        wanted = set(urls) if urls is not None else None
        out = []
        for r in rows:
            if wanted is not None and r[0] not in wanted:
                continue
            out.append(FeedState(
                url=r[0], name=r[1] or "", etag=r[2], last_modified=r[3], last_status=r[4], last_result=r[5] or "",
                last_error=r[6], failures=r[7] or 0, next_poll_at=_dt(r[8]), next_poll_why=r[9] or "",
                last_polled_at=_dt(r[10]), retired=bool(r[11]), tags=tuple(json.loads(r[12] or "[]"))))
        return out

    def resolve_feed_urls(self, urls: Sequence[str]) -> list[str]:
        """Follow `moved_to` links (bounded) to the URLs configured feeds are now polled at; one query."""
        moved = dict(self.conn.execute("SELECT url, moved_to FROM feeds WHERE moved_to IS NOT NULL").fetchall())
        out = []
        for url in urls:
            for _ in range(10):
                if url not in moved:
                    break
                url = moved[url]
            out.append(url)
        return out

    def _write_feed_state(self, conn: sqlite3.Connection, state: FeedState, new: int, moved_from: str | None) -> None:
        if moved_from and moved_from != state.url:
            conn.execute(
                "INSERT INTO feeds (url, name, tags, added_at) SELECT ?, name, tags, added_at FROM feeds "
                "WHERE url = ? ON CONFLICT(url) DO NOTHING", (state.url, moved_from))
            conn.execute("UPDATE feeds SET moved_to = ? WHERE url = ?", (state.url, moved_from))
            conn.execute("UPDATE story_feeds SET feed_url = ? WHERE feed_url = ? AND story_id NOT IN "
                         "(SELECT story_id FROM story_feeds WHERE feed_url = ?)", (state.url, moved_from, state.url))
        conn.execute(
            "UPDATE feeds SET etag = ?, last_modified = ?, last_status = ?, last_result = ?, last_error = ?, "
            "failures = ?, next_poll_at = ?, next_poll_why = ?, last_polled_at = ?, retired = ?, last_new = ? "
            "WHERE url = ?",
            (state.etag, state.last_modified, state.last_status, state.last_result, state.last_error,
             state.failures, _iso(state.next_poll_at), state.next_poll_why, _iso(state.last_polled_at),
             int(state.retired), new, state.url))

    def save_feed_state(self, state: FeedState, moved_from: str | None = None) -> None:
        with self.transaction() as conn:
            self._write_feed_state(conn, state, 0, moved_from)

    def save_feed_states(self, states: Sequence[tuple[FeedState, str | None]]) -> None:
        """Many feeds' states (304s, errors) in one transaction: a round of 500 304s is one commit."""
        if not states:
            return
        with self.transaction() as conn:
            for state, moved_from in states:
                self._write_feed_state(conn, state, 0, moved_from)

    def save_feed_result(
        self,
        state: FeedState,
        items: Sequence[tuple[Story, Analysis]],
        cluster_ids: dict[str, str] | Callable[[list[tuple[Story, Analysis]]], dict[str, str]] | None = None,
        moved_from: str | None = None,
        article_status: Callable[[Story], str] | None = None,
    ) -> int:
        """Store a feed's stories (new ones with their analysis) and its new state in one transaction.

        Returns how many stories were new. A story already stored (same id, from this or another feed)
        only gains this feed in story_feeds. `cluster_ids`: story id → cluster id, or a function that
        gives them for the stories found new, called inside the transaction. `article_status`: what is to
        happen to a new story's article ("pending": to be fetched; "skipped"), stored with the story so a
        crash before the article arrives leaves it pending, to be fetched by the next poll.
        """
        now = _iso(now_utc())
        new = 0
        with self.transaction() as conn:
            if items:
                known = self.existing_story_ids([s.id for s, _ in items])
                fresh = [(s, a) for s, a in items if s.id not in known]
                new = len(fresh)
                clusters = cluster_ids(fresh) if callable(cluster_ids) else cluster_ids
                if fresh:
                    self._insert_stories(conn, fresh, clusters or {}, now, article_status)
                conn.executemany(
                    "INSERT OR IGNORE INTO story_feeds (story_id, feed_url, seen_at) VALUES (?, ?, ?)",
                    [(s.id, state.url, now) for s, _ in items])
            self._write_feed_state(conn, state, new, moved_from)
        return new

    def _insert_stories(self, conn: sqlite3.Connection, fresh: Sequence[tuple[Story, Analysis]],
                        cluster_ids: dict[str, str], now: str | None,
                        article_status: Callable[[Story], str] | None = None) -> None:
        # Every story of a cluster carries the cluster's newest sort_time (cluster_time, the inbox order).
        # A story joining a stored cluster raises it only when it is newer, so only then are the older
        # members rewritten, and only those behind it.
        published = {s.id: _iso(s.published) for s, _ in fresh}
        # A date in the future (2099, 9999) would keep a story on top of the inbox for good: it sorts by
        # when it was first seen instead, and keeps its stated date for display.
        sort_times = {story_id: min(when, now) if when and now else when or now
                      for story_id, when in published.items()}
        cluster_of = {s.id: cluster_ids.get(s.id, s.id) for s, _ in fresh}
        cluster_time: dict[str, str | None] = {}
        for story_id, cluster in cluster_of.items():
            t = sort_times[story_id]
            if cluster not in cluster_time or (t or "") > (cluster_time[cluster] or ""):
                cluster_time[cluster] = t
        joined = sorted({c for story_id, c in cluster_of.items() if c != story_id})
        stored: dict[str, str] = {}
        for chunk in range(0, len(joined), 500):
            part = joined[chunk:chunk + 500]
            stored.update(conn.execute(
                f"SELECT cluster_id, max(cluster_time) FROM stories WHERE cluster_id IN ({','.join('?' * len(part))}) "
                "GROUP BY cluster_id", part).fetchall())
        raised = []
        for cluster, before in stored.items():
            if before and before >= (cluster_time[cluster] or ""):
                cluster_time[cluster] = before
            else:
                raised.append((cluster_time[cluster], cluster))
        rows = []
        for s, a in fresh:
            rows.append((s.id, s.title, s.text, s.link, s.author, published[s.id], now, cluster_of[s.id],
                         a.fingerprint or None, int(any(m.main for m in a.matches)), sort_times[s.id],
                         cluster_time[cluster_of[s.id]], article_status(s) if article_status else "skipped",
                         s.article or None, len(s.article) if s.article else None))
        if raised:
            conn.executemany("UPDATE stories SET cluster_time = ?1 "
                             "WHERE cluster_id = ?2 AND (cluster_time IS NULL OR cluster_time < ?1)", raised)
        conn.executemany(
            "INSERT INTO stories (id, title, text, link, author, published, first_seen, cluster_id, fingerprint, "
            "matched, sort_time, cluster_time, article_status, article, article_chars) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany("INSERT OR IGNORE INTO triage (story_id, state, starred, unread, updated_at) "
                         "VALUES (?, 'new', 0, 1, ?)", [(s.id, now) for s, _ in fresh])
        match_rows = []
        fact_rows = []
        for s, a in fresh:
            match_rows.extend(_match_rows(s.id, a))
            fact_rows.extend(_fact_rows(s.id, a))
        _write_matches(conn, match_rows)
        _write_facts(conn, "facts", fact_rows)

    def index_pending(self) -> int:
        """Add stories stored since the last call to the full-text index, in one transaction."""
        with self.transaction() as conn:
            mark = int(conn.execute("SELECT value FROM meta WHERE key = 'fts_rowid'").fetchone()[0])
            top = conn.execute("SELECT coalesce(max(rowid), 0) FROM stories").fetchone()[0]
            if top <= mark:
                return 0
            conn.execute("INSERT INTO stories_fts (rowid, title, text, article) SELECT rowid, title, text, article "
                         "FROM stories WHERE rowid > ? AND rowid <= ?", (mark, top))
            conn.execute("UPDATE meta SET value = ? WHERE key = 'fts_rowid'", (str(top),))
        return int(top - mark)

    # ------------------------------------------------------------------------------------ articles

    def save_article(self, story_id: str, status: str, *, text: str = "", http_status: int | None = None,
                     error: str | None = None, host: str | None = None, fetched: datetime | None = None,
                     analysis: Analysis | None = None) -> bool:
        """Record what happened to a story's article and, with `analysis` (of headline, feed text and
        article), replace the story's facts and automatic matches in the same transaction.

        A story the user accepted keeps the facts they accepted: when the article changes them, the new
        facts wait in review_facts and the story is marked needs_review (accepting it again takes them).
        Returns True when the story was marked for review. The full-text index is brought up to date."""
        with self.transaction() as conn:
            r = conn.execute("SELECT s.rowid, s.title, s.text, s.article, t.state FROM stories s "
                             "JOIN triage t ON t.story_id = s.id WHERE s.id = ?", (story_id,)).fetchone()
            if r is None:
                return False
            rowid, title, body, old_article, state = r
            article = text if status == "ok" else (old_article or "")
            conn.execute("UPDATE stories SET article_status = ?, article_http = ?, article_error = ?, article_host = ?, "
                         "article_fetched = ?, article = ?, article_chars = ? WHERE id = ?",
                         (status, http_status, error, host, _iso(fetched), article or None,
                          len(article) if article else None, story_id))
            if article != (old_article or ""):
                mark = int(conn.execute("SELECT value FROM meta WHERE key = 'fts_rowid'").fetchone()[0])
                if rowid <= mark:  # indexed already: an external-content FTS row is replaced by delete + insert
                    conn.execute("INSERT INTO stories_fts (stories_fts, rowid, title, text, article) "
                                 "VALUES ('delete', ?, ?, ?, ?)", (rowid, title, body, old_article))
                    conn.execute("INSERT INTO stories_fts (rowid, title, text, article) VALUES (?, ?, ?, ?)",
                                 (rowid, title, body, article))
            if analysis is None:
                return False
            return self._reanalysed(conn, story_id, analysis, state == "accepted")

    def _reanalysed(self, conn: sqlite3.Connection, story_id: str, a: Analysis, accepted: bool) -> bool:
        new_facts = _fact_rows(story_id, a)
        if accepted:
            old = [(story_id, *row) for row in conn.execute(
                "SELECT kind, agreement_id, stage, happened, amount, currency, payer, payee, status, amount_kind, "
                "speaker, concern, denied_by, denial, claim, known FROM facts WHERE story_id = ?", (story_id,))]
            if sorted(map(_fact_key, old), key=repr) != sorted(map(_fact_key, new_facts), key=repr):
                conn.execute("DELETE FROM review_facts WHERE story_id = ?", (story_id,))
                _write_facts(conn, "review_facts", new_facts)
                conn.execute("UPDATE stories SET needs_review = 1 WHERE id = ?", (story_id,))
                # New agreements the article names are added; none the user accepted is taken away.
                _write_matches(conn, [m for m in _match_rows(story_id, a)])
                self._refresh_matched(conn, story_id, a)
                return True
        conn.execute("DELETE FROM facts WHERE story_id = ?", (story_id,))
        _write_facts(conn, "facts", new_facts)
        if not accepted:
            conn.execute("DELETE FROM matches WHERE story_id = ? AND source = 'auto'", (story_id,))
        _write_matches(conn, _match_rows(story_id, a))
        self._refresh_matched(conn, story_id, a)
        return False

    @staticmethod
    def _refresh_matched(conn: sqlite3.Connection, story_id: str, a: Analysis) -> None:
        conn.execute("UPDATE stories SET matched = EXISTS(SELECT 1 FROM matches m WHERE m.story_id = stories.id "
                     "AND m.main = 1), fingerprint = coalesce(?, fingerprint) WHERE id = ?",
                     (a.fingerprint or None, story_id))

    def accept_review(self, conn: sqlite3.Connection, story_id: str) -> bool:
        """Inside a transaction: the facts waiting for review replace the story's facts. True if there were any."""
        if not conn.execute("SELECT needs_review FROM stories WHERE id = ?", (story_id,)).fetchone()[0]:
            return False
        conn.execute("DELETE FROM facts WHERE story_id = ?", (story_id,))
        conn.execute(f"INSERT INTO facts ({self._FACT_COLS.replace('id, story_id', 'story_id', 1)}) "
                     f"SELECT {self._FACT_COLS.replace('id, story_id', 'story_id', 1)} FROM review_facts "
                     "WHERE story_id = ? ORDER BY id", (story_id,))
        conn.execute("DELETE FROM review_facts WHERE story_id = ?", (story_id,))
        conn.execute("UPDATE stories SET needs_review = 0 WHERE id = ?", (story_id,))
        return True

    def save_articles_unrequested(self, rows: Sequence[tuple[str, str, str | None, str]]) -> None:
        """(story id, status, why, host) of articles not requested (their site is left alone), in one write."""
        with self.transaction() as conn:
            conn.executemany("UPDATE stories SET article_status = ?, article_error = ?, article_host = ?, "
                             "article_http = NULL, article_fetched = NULL WHERE id = ?",
                             [(status, error, host, story_id) for story_id, status, error, host in rows])

    def article_hosts(self) -> list[HostMemory]:
        """What earlier runs learnt about article sites (feeds.articles.HostMemory)."""
        from feeds.articles import HostMemory

        return [HostMemory(host=r[0], refused_until=r[1] or 0.0, refused_status=r[2], refused_why=r[3] or "",
                           throttled=bool(r[4]), refusals=r[5] or 0, robots_kind=r[6] or "", robots_text=r[7] or "",
                           robots_at=r[8] or 0.0) for r in self.conn.execute(
            "SELECT host, refused_until, refused_status, refused_why, throttled, refusals, robots_kind, robots_text, "
            "robots_at FROM article_hosts")]

    def save_article_hosts(self, memories: Sequence[HostMemory]) -> None:
        if not memories:
            return
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO article_hosts (host, refused_until, refused_status, refused_why, throttled, "
                "refusals, robots_kind, robots_text, robots_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(m.host, m.refused_until, m.refused_status, m.refused_why, int(m.throttled), m.refusals,
                  m.robots_kind, m.robots_text, m.robots_at) for m in memories])

    def pending_articles(self, limit: int = 5000) -> list[tuple[Story, str | None]]:
        """Stories whose article is still to be fetched (a poll that stopped before it was), with a feed
        each came from, oldest first."""
        rows = self.conn.execute(
            "SELECT s.id, s.title, s.text, s.link, s.published, "
            "(SELECT feed_url FROM story_feeds sf WHERE sf.story_id = s.id ORDER BY seen_at LIMIT 1) "
            "FROM stories s WHERE s.article_status = 'pending' ORDER BY s.rowid LIMIT ?", (limit,)).fetchall()
        return [(Story(id=r[0], title=r[1] or "", text=r[2] or "", link=r[3], published=_dt(r[4]), feed_url=r[5]),
                 r[5]) for r in rows]

    def story_for_article(self, story_id: str) -> tuple[Story, str | None] | None:
        r = self.conn.execute(
            "SELECT s.id, s.title, s.text, s.link, s.published, "
            "(SELECT feed_url FROM story_feeds sf WHERE sf.story_id = s.id ORDER BY seen_at LIMIT 1) "
            "FROM stories s WHERE s.id = ?", (story_id,)).fetchone()
        if r is None:
            return None
        return Story(id=r[0], title=r[1] or "", text=r[2] or "", link=r[3], published=_dt(r[4]), feed_url=r[5]), r[5]

    def mark_article_pending(self, story_id: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE stories SET article_status = 'pending', article_error = NULL WHERE id = ?",
                         (story_id,))

    def article_counts(self) -> dict[str, int]:
        """Stories by what happened to their article (stories stored before articles were read: skipped)."""
        return {str(k): int(n) for k, n in self.conn.execute(
            "SELECT coalesce(article_status, 'skipped'), count(*) FROM stories GROUP BY 1")}

    def article_failures_by_host(self) -> list[ArticleHostRow]:
        """Per host and outcome, the article fetches that gave no article, worst first."""
        rows = self.conn.execute(
            "SELECT article_host, article_status, count(*), max(article_fetched) FROM stories "
            "WHERE article_host IS NOT NULL AND article_status NOT IN ('ok', 'pending', 'skipped') "
            "GROUP BY article_host, article_status ORDER BY count(*) DESC, article_host").fetchall()
        out = []
        for host, status, count, last_at in rows:
            last = self.conn.execute(
                "SELECT article_error FROM stories WHERE article_host = ? AND article_status = ? "
                "ORDER BY article_fetched DESC LIMIT 1", (host, status)).fetchone()
            out.append(ArticleHostRow(host=host, status=status, count=int(count), last_error=last[0] if last else None,
                                      last_at=_dt(last_at)))
        return out

    def story_ids_of_feed(self, feed_url: str) -> frozenset[str]:
        return frozenset(r[0] for r in self.conn.execute("SELECT story_id FROM story_feeds WHERE feed_url = ?",
                                                         (feed_url,)))

    def existing_story_ids(self, ids: Sequence[str]) -> set[str]:
        known: set[str] = set()
        for chunk in range(0, len(ids), 500):
            part = list(ids[chunk:chunk + 500])
            known.update(r[0] for r in self.conn.execute(
                f"SELECT id FROM stories WHERE id IN ({','.join('?' * len(part))})", part))
        return known

    def recent_fingerprints(self, limit: int = 5000) -> list[tuple[str, str, bytes, datetime | None]]:
        """(story id, cluster id, fingerprint, published) of the newest clustered stories, oldest first."""
        rows = self.conn.execute(
            "SELECT id, cluster_id, fingerprint, published FROM stories WHERE fingerprint IS NOT NULL "
            "ORDER BY sort_time DESC LIMIT ?", (limit,)).fetchall()
        return [(r[0], r[1] or r[0], r[2], _dt(r[3])) for r in reversed(rows)]

    # ------------------------------------------------------------------------------------ reading

    def counts(self) -> Counts:
        r = self.conn.execute(
            "SELECT count(*), sum(unread), sum(starred), sum(state = 'accepted'), sum(state = 'dismissed') "
            "FROM triage").fetchone()
        # stories.matched is kept with the main matches (the inbox order's index leads with it): a range count.
        matched = self.conn.execute("SELECT count(*) FROM stories WHERE matched = 1").fetchone()[0]
        f = self.conn.execute(
            "SELECT count(*), sum(last_result IN ('error', 'gone') OR failures > 0) FROM feeds WHERE moved_to IS NULL"
        ).fetchone()
        return Counts(stories=r[0] or 0, matched=matched or 0, unread=r[1] or 0, starred=r[2] or 0,
                      accepted=r[3] or 0, dismissed=r[4] or 0, feeds=f[0] or 0, unhealthy=f[1] or 0)

    _INBOX_ORDER = "s.matched DESC, s.cluster_time DESC, s.cluster_id, s.sort_time DESC, s.id"

    def _inbox_where(self, agreement: str | None, query: str | None, include_dismissed: bool, unread_only: bool,
                     starred_only: bool) -> tuple[str, list[object]] | None:
        where = []
        params: list[object] = []
        if not include_dismissed:
            where.append("t.state != 'dismissed'")
        if unread_only:
            where.append("t.unread = 1")
        if starred_only:
            where.append("t.starred = 1")
        if agreement:
            where.append("s.id IN (SELECT story_id FROM matches WHERE agreement_id = ?)")
            params.append(agreement)
        if query is not None:
            fts = _fts_query(query)
            if not fts:
                return None
            self.index_pending()  # a search sees every stored story, even mid-round
            clause = "s.rowid IN (SELECT rowid FROM stories_fts WHERE stories_fts MATCH ?)"
            params.append(fts)
            named = self._agreements_named(query)
            if named:
                # "UK–Rwanda", "Rwanda scheme", "Gjadër": the agreement's stories too, which may say "Britain"
                clause = (f"({clause} OR s.id IN (SELECT story_id FROM matches "
                          f"WHERE agreement_id IN ({','.join('?' * len(named))})))")
                params += named
            where.append(clause)
        return (" WHERE " + " AND ".join(where) if where else ""), params

    def _agreements_named(self, query: str) -> list[str]:
        """The agreements whose id, short title ("UK–Rwanda") or alias the search text is, as written."""
        key = _name_key(query)
        if not key:
            return []
        named = []
        for agreement_id, title, aliases in self.conn.execute("SELECT id, title, aliases FROM agreements"):
            title = title or ""
            # the whole title, its part before a colon, its first word ("UK–Rwanda Migration and …")
            names = (agreement_id, title, title.split(":")[0], title.split(" ")[0], *json.loads(aliases or "[]"))
            if key in {_name_key(n) for n in names}:
                named.append(agreement_id)
        return named

    def inbox_ids(self, *, agreement: str | None = None, query: str | None = None, include_dismissed: bool = False,
                  unread_only: bool = False, starred_only: bool = False, limit: int = -1, offset: int = 0
                  ) -> list[str]:
        """Inbox story ids in order: matched first, a cluster's stories together (by their newest), newest
        first. An index walk: the whole order of 100k stories costs about a tenth of a second."""
        found = self._inbox_where(agreement, query, include_dismissed, unread_only, starred_only)
        if found is None:
            return []
        where, params = found
        sql = (f"SELECT s.id FROM stories s INDEXED BY idx_stories_inbox JOIN triage t ON t.story_id = s.id"
               f"{where} ORDER BY {self._INBOX_ORDER} LIMIT ? OFFSET ?")
        return [r[0] for r in self.conn.execute(sql, [*params, limit, offset])]

    def inbox_id_count(self, *, agreement: str | None = None) -> int:
        """len(inbox_ids(agreement=…)) without reading the ids."""
        found = self._inbox_where(agreement, None, False, False, False)
        assert found is not None  # no search: always a where clause
        where, params = found
        sql = f"SELECT count(*) FROM stories s JOIN triage t ON t.story_id = s.id{where}"
        return int(self.conn.execute(sql, params).fetchone()[0])

    def inbox_rows(self, ids: Sequence[str]) -> list[InboxRow]:
        """The rows for these ids, in the order given (primary-key lookups)."""
        out: dict[str, InboxRow] = {}
        for start in range(0, len(ids), 500):
            part = list(ids[start:start + 500])
            sql = _INBOX_SELECT + f" WHERE s.id IN ({','.join('?' * len(part))})"
            for r in self.conn.execute(sql, part):
                row = self._inbox_row(r)
                out[row.id] = row
        return [out[i] for i in ids if i in out]

    def inbox(self, *, limit: int = 300, offset: int = 0, agreement: str | None = None, query: str | None = None,
              include_dismissed: bool = False, unread_only: bool = False, starred_only: bool = False
              ) -> list[InboxRow]:
        """One page of the inbox, in `inbox_ids` order."""
        return self.inbox_rows(self.inbox_ids(agreement=agreement, query=query, include_dismissed=include_dismissed,
                                              unread_only=unread_only, starred_only=starred_only, limit=limit,
                                              offset=offset))

    @staticmethod
    def _inbox_row(r: Sequence[object]) -> InboxRow:
        return InboxRow(
            id=str(r[0]), title=str(r[1] or ""), published=_dt(r[2]), first_seen=_dt(r[3]),  # type: ignore[arg-type]
            link=r[4], cluster_id=r[5], state=str(r[6]), starred=bool(r[7]), unread=bool(r[8]),  # type: ignore[arg-type]
            agreements=tuple(str(r[9]).split()) if r[9] else (),
            feeds=tuple(str(r[10]).split("\x1f")) if r[10] else (),
            cluster_size=int(r[11] or 1), conflicts=int(r[12] or 0),  # type: ignore[call-overload]
            needs_review=bool(r[14]),
        )

    def inbox_count(self, *, agreement: str | None = None, include_dismissed: bool = False) -> int:
        sql = "SELECT count(*) FROM triage t WHERE 1"
        params: list[object] = []
        if not include_dismissed:
            sql += " AND t.state != 'dismissed'"
        if agreement:
            sql += " AND t.story_id IN (SELECT story_id FROM matches WHERE agreement_id = ?)"
            params.append(agreement)
        return int(self.conn.execute(sql, params).fetchone()[0])

    def story(self, story_id: str) -> StoryDetail | None:
        r = self.conn.execute(
            "SELECT s.id, s.title, s.text, s.link, s.author, s.published, s.first_seen, s.cluster_id, "
            "t.state, t.starred, t.unread, s.article, s.article_status, s.article_http, s.article_error, "
            "s.article_fetched, s.needs_review "
            "FROM stories s JOIN triage t ON t.story_id = s.id WHERE s.id = ?", (story_id,)).fetchone()
        if r is None:
            return None
        feeds = tuple(x[0] for x in self.conn.execute(
            "SELECT coalesce(nullif(f.name, ''), f.url) FROM story_feeds sf JOIN feeds f ON f.url = sf.feed_url "
            "WHERE sf.story_id = ? ORDER BY sf.seen_at", (story_id,)))
        matches = tuple(MatchRow(agreement_id=m[0], score=m[1], main=bool(m[2]), source=m[3], evidence=m[4] or "",
                                 ev_start=m[5], ev_end=m[6], ev_source=m[7] or "feed") for m in self.conn.execute(
            "SELECT agreement_id, score, main, source, evidence, ev_start, ev_end, ev_source FROM matches "
            "WHERE story_id = ? ORDER BY main DESC, score DESC", (story_id,)))
        facts = tuple(self.overlay_facts(list(self._facts("WHERE story_id = ? ORDER BY id", (story_id,)))))
        review = tuple(self._facts("WHERE story_id = ? ORDER BY id", (story_id,), table="review_facts")) \
            if r[16] else ()
        sources: tuple[str, ...] = ()
        if r[7]:
            sources = tuple(x[0] for x in self.conn.execute(
                "SELECT DISTINCT coalesce(nullif(f.name, ''), f.url) FROM stories s JOIN story_feeds sf ON "
                "sf.story_id = s.id JOIN feeds f ON f.url = sf.feed_url WHERE s.cluster_id = ?", (r[7],)))
        return StoryDetail(id=r[0], title=r[1] or "", text=r[2] or "", link=r[3], author=r[4] or "",
                           published=_dt(r[5]), first_seen=_dt(r[6]), feeds=feeds, matches=matches, facts=facts,
                           state=r[8], starred=bool(r[9]), unread=bool(r[10]), cluster_id=r[7],
                           cluster_sources=sources, article=r[11] or "", article_status=r[12] or "skipped",
                           article_http_status=r[13], article_error=r[14], article_fetched=_dt(r[15]),
                           needs_review=bool(r[16]), review_facts=review)

    def cluster_members(self, cluster_id: str) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM stories WHERE cluster_id = ? ORDER BY published",
                                                (cluster_id,))]

    _FACT_COLS = ("id, story_id, kind, agreement_id, stage, happened, amount, currency, payer, payee, status, "
                  "amount_kind, speaker, concern, denied_by, denial, claim, known, evidence, ev_start, ev_end, "
                  "ev_source")

    def _facts(self, where: str, params: Sequence[object], table: str = "facts") -> Iterator[FactRow]:
        for r in self.conn.execute(f"SELECT {self._FACT_COLS} FROM {table} {where}", params):
            yield FactRow(*r)

    # A fact stays in the ledger while any report of its event (its story's cluster) is not dismissed:
    # dismissing a duplicate copy hides the story, not what the event established.
    _VISIBLE = ("(t.state != 'dismissed' OR EXISTS (SELECT 1 FROM stories c JOIN triage ct ON ct.story_id = c.id "
                "WHERE c.cluster_id = s.cluster_id AND ct.state != 'dismissed'))")
    # The same fact told by several stories is one ledger row ("3 sources") in the dashboard.
    _SAME_FACT = {"payment": "x.agreement_id, x.payer, x.payee, x.amount, x.currency, x.status, x.amount_kind",
                  "warning": "x.agreement_id, x.speaker, x.concern"}

    _OUTLETS = ("(SELECT group_concat(coalesce(nullif(f.name, ''), f.url), ', ') FROM story_feeds sf "
                "JOIN feeds f ON f.url = sf.feed_url WHERE sf.story_id = s.id)")

    def _ledger(self, kind: str, limit: int, offset: int, agreement: str | None, grouped: bool = False,
                *, raw: bool = False, outlets: bool = True, ids: Sequence[int] | None = None) -> list[LedgerRow]:
        """A page of one kind of fact; unless raw, with the user's corrections laid over it. outlets=False: each
        row's source left empty (`outlets_of` reads them for the rows kept). ids: only these facts."""
        cols = ", ".join("x." + c.strip() for c in self._FACT_COLS.split(","))
        rank = "(t.state = 'accepted') || coalesce(s.sort_time, '') || printf('%012d', x.id)"
        group = self._SAME_FACT.get(kind) if grouped else None
        sql = (f"SELECT {cols}, s.title, s.link, coalesce(s.published, s.first_seen), t.state, "
               f"{self._OUTLETS if outlets else 'NULL'}, "
               f"{'count(DISTINCT x.story_id), max(' + rank + ')' if group else '1, ' + rank} AS rank "
               f"FROM facts x JOIN stories s ON s.id = x.story_id JOIN triage t ON t.story_id = s.id "
               f"WHERE x.kind = ? AND {self._VISIBLE}")
        params: list[object] = [kind]
        if agreement:
            sql += " AND x.agreement_id = ?"
            params.append(agreement)
        if ids is not None:
            sql += f" AND x.id IN ({','.join('?' * len(ids))})"
            params.extend(ids)
        if group:
            sql += f" GROUP BY {group}"  # SQLite takes the other columns from the row with max(rank)
        sql += " ORDER BY rank DESC LIMIT ? OFFSET ?"
        params.extend([limit, offset])
        out = []
        n = len(self._FACT_COLS.split(","))
        for r in self.conn.execute(sql, params):
            out.append(LedgerRow(fact=FactRow(*r[:n]), story_title=r[n] or "", story_link=r[n + 1],
                                 published=_dt(r[n + 2]), confirmed=r[n + 3] == "accepted", source=r[n + 4] or "",
                                 sources=int(r[n + 5] or 1)))
        if raw or not self.has_corrections():
            return out
        # The user's corrections over the page; the facts the user added come first, on the first page.
        out = self.overlay_ledger(out)
        if offset == 0 and kind != "conflict":
            out = [self.added_row(f) for f in self.added_facts(kind, agreement)] + out
        return out

    def lean_facts(self, kind: str, agreement: str, limit: int) -> list[tuple[Any, ...]]:
        """What ordering and grouping a dossier's facts needs, in `_ledger`'s order and under its limit, without
        their text: (id, story id, happened, ev_start, the story's date, accepted, payer, payee, amount, currency,
        status, amount_kind, speaker, concern)."""
        rows = self.conn.execute(
            f"SELECT x.id, x.story_id, x.happened, x.ev_start, coalesce(s.published, s.first_seen), "
            f"t.state = 'accepted', x.payer, x.payee, x.amount, x.currency, x.status, x.amount_kind, x.speaker, "
            f"x.concern, s.sort_time FROM facts x JOIN stories s ON s.id = x.story_id "
            f"JOIN triage t ON t.story_id = s.id WHERE x.kind = ? AND {self._VISIBLE} AND x.agreement_id = ?",
            (kind, agreement)).fetchall()
        # _ledger's rank, made here rather than by SQLite's printf a row (a third of the query's time).
        rows.sort(key=lambda r: f"{r[5]}{r[14] or ''}{r[0]:012d}", reverse=True)
        return [r[:14] for r in rows[:limit]]

    def outlets_of(self, story_ids: Iterable[str]) -> dict[str, str]:
        """story id → its feeds' names, as a ledger row's source says them ("Feed 1, Feed 7")."""
        ids = sorted(set(story_ids))
        out: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            out.update(self.conn.execute(
                f"SELECT s.id, {self._OUTLETS} FROM stories s WHERE s.id IN ({','.join('?' * len(part))})", part))
        return {k: v or "" for k, v in out.items()}

    def payments(self, limit: int = 300, offset: int = 0, agreement: str | None = None, grouped: bool = False
                 ) -> list[LedgerRow]:
        return self._ledger("payment", limit, offset, agreement, grouped)

    def warnings(self, limit: int = 300, offset: int = 0, agreement: str | None = None, grouped: bool = False
                 ) -> list[LedgerRow]:
        return self._ledger("warning", limit, offset, agreement, grouped)

    def stage_events(self, limit: int = 300, offset: int = 0, agreement: str | None = None) -> list[LedgerRow]:
        return self._ledger("stage", limit, offset, agreement)

    def conflicts(self, limit: int = 300, offset: int = 0, agreement: str | None = None) -> list[LedgerRow]:
        return self._ledger("conflict", limit, offset, agreement)

    def negotiations(self) -> list[Negotiation]:
        """Each agreement with stories: its latest stage (accepted facts win over unconfirmed ones)."""
        titles = self.agreement_titles()
        # The current stage is the latest event in time: a date the text gives for the change ("signed in
        # April 2022", told in a 2025 story) beats the story's own date; accepted facts outrank the rest;
        # text order breaks ties. One indexed query per agreement, so 100k stories cost milliseconds.
        latest: dict[str, Sequence[object]] = {}
        agreement_ids = [r[0] for r in self.conn.execute(
            "SELECT DISTINCT agreement_id FROM facts WHERE kind = 'stage' AND agreement_id IS NOT NULL")]
        for agreement_id in agreement_ids:
            r = self.conn.execute(
                "SELECT x.agreement_id, x.stage, x.happened, x.story_id, x.evidence, t.state, "
                "coalesce(x.happened, substr(s.sort_time, 1, 10)) AS at, "
                "(SELECT group_concat(coalesce(nullif(f.name, ''), f.url), ', ') FROM story_feeds sf "
                " JOIN feeds f ON f.url = sf.feed_url WHERE sf.story_id = s.id) "
                "FROM facts x JOIN stories s ON s.id = x.story_id JOIN triage t ON t.story_id = s.id "
                f"WHERE x.kind = 'stage' AND x.agreement_id = ? AND {self._VISIBLE} "
                # A stage claim the story states against the known timeline (a conflict on the same
                # sentence) is flagged, never taken as the agreement's stage.
                "AND NOT EXISTS (SELECT 1 FROM facts c WHERE c.story_id = x.story_id AND c.kind = 'conflict' "
                "AND c.agreement_id = x.agreement_id AND c.ev_start = x.ev_start) "
                "ORDER BY t.state = 'accepted' DESC, at DESC, x.id DESC LIMIT 1", (agreement_id,)).fetchone()
            if r is not None:
                latest[agreement_id] = r
        counts = dict(self.conn.execute(
            "SELECT m.agreement_id, count(*) FROM matches m JOIN triage t ON t.story_id = m.story_id "
            "WHERE m.main = 1 AND t.state != 'dismissed' GROUP BY m.agreement_id").fetchall())
        conflicts = dict(self.conn.execute(
            "SELECT x.agreement_id, count(*) FROM facts x JOIN triage t ON t.story_id = x.story_id "
            "WHERE x.kind = 'conflict' AND t.state != 'dismissed' GROUP BY x.agreement_id").fetchall())
        out = []
        for agreement_id, r in latest.items():
            out.append(Negotiation(agreement_id=agreement_id, title=titles.get(agreement_id, agreement_id),
                                   stage=str(r[1]), since=str(r[6] or "") or None, source=str(r[7] or ""),
                                   story_id=str(r[3]), evidence=str(r[4] or ""), confirmed=r[5] == "accepted",
                                   stories=int(counts.get(agreement_id, 0)), conflicts=int(conflicts.get(agreement_id, 0))))
        out.sort(key=lambda n: (n.since or ""), reverse=True)
        if self.has_corrections():
            out = self.correct_negotiations(out)
        return out

    def _story_facts(self) -> dict[str, dict[str, object]]:
        """Every story's facts in `migwatch analyze`'s shape: stage {agreement: stage} (the last the story
        gives, in text order), payments, rights_warnings, each with its evidence and the text it is in."""
        out: dict[str, dict[str, object]] = {}
        for f in self._facts("ORDER BY story_id, id", ()):
            facts = out.setdefault(f.story_id, {"stage": {}, "payments": [], "rights_warnings": [],
                                                "stage_events": [], "conflicts": []})
            evidence = {"evidence": f.evidence, "evidence_source": f.ev_source,
                        "evidence_span": [f.ev_start, f.ev_end] if f.ev_start is not None else None}
            if f.kind == "stage" and f.agreement_id and f.stage:
                facts["stage"][f.agreement_id] = f.stage  # type: ignore[index]
                facts["stage_events"].append({"agreement": f.agreement_id, "stage": f.stage,  # type: ignore[attr-defined]
                                              "when": f.happened, **evidence})
            elif f.kind == "payment":
                facts["payments"].append({  # type: ignore[attr-defined]
                    "amount": f.amount, "currency": f.currency, "payer": f.payer, "payee": f.payee,
                    "status": f.status, "kind": f.amount_kind, "agreement": f.agreement_id, **evidence})
            elif f.kind == "warning":
                row: dict[str, object] = {"by": f.speaker or None, "concern": f.concern, "agreement": f.agreement_id}
                if f.denied_by:
                    row["denied_by"] = f.denied_by
                    if f.denial:
                        row["denial"] = f.denial
                row.update(evidence)
                facts["rights_warnings"].append(row)  # type: ignore[attr-defined]
            elif f.kind == "conflict":
                facts["conflicts"].append({"agreement": f.agreement_id, "claim": f.claim,  # type: ignore[attr-defined]
                                           "known": f.known, **evidence})
        return out

    def export_stories(self) -> Iterator[dict[str, object]]:
        facts = self._story_facts()
        cur = self.conn.execute(
            "SELECT s.id, s.title, s.link, s.published, s.first_seen, s.cluster_id, t.state, t.starred, t.unread, "
            "(SELECT json_group_array(coalesce(nullif(f.name, ''), f.url)) FROM story_feeds sf JOIN feeds f "
            " ON f.url = sf.feed_url WHERE sf.story_id = s.id), "
            "(SELECT json_group_array(agreement_id) FROM matches m WHERE m.story_id = s.id AND m.main = 1), "
            "(SELECT json_group_array(agreement_id) FROM matches m WHERE m.story_id = s.id AND m.main = 0), "
            "s.article_status, s.article_http, s.article_chars, s.article_fetched, s.article_error, s.needs_review "
            "FROM stories s JOIN triage t ON t.story_id = s.id ORDER BY coalesce(s.published, s.first_seen) DESC, s.id")
        empty: dict[str, object] = {"stage": {}, "payments": [], "rights_warnings": [], "stage_events": [],
                                    "conflicts": []}
        for r in cur:
            article: dict[str, object] = {"status": r[12] or "skipped"}
            for key, value in (("http_status", r[13]), ("chars", r[14]), ("fetched", r[15]), ("error", r[16])):
                if value is not None:
                    article[key] = value
            yield {"id": r[0], "title": r[1], "link": r[2], "published": r[3], "first_seen": r[4],
                   "cluster": r[5], "feeds": json.loads(r[9] or "[]"), "agreements": json.loads(r[10] or "[]"),
                   "mentions": json.loads(r[11] or "[]"), **facts.get(r[0], empty), "article": article,
                   "needs_review": bool(r[17]),
                   "triage": {"state": r[6], "starred": bool(r[7]), "unread": bool(r[8])}}

    # ------------------------------------------------------------------------------------ triage

    def triage_state(self, story_id: str) -> dict[str, object] | None:
        r = self.conn.execute("SELECT state, starred, unread FROM triage WHERE story_id = ?", (story_id,)).fetchone()
        if r is None:
            return None
        return {"state": r[0], "starred": bool(r[1]), "unread": bool(r[2])}

    def triage(self, story_id: str, action: str, **changes: object) -> TriageChange:
        """Apply one triage action (state/starred/unread changes) and journal it, in one transaction."""
        allowed = {"state", "starred", "unread"}
        if not changes or set(changes) - allowed:
            raise ValueError(f"triage changes must be among {sorted(allowed)}")
        if "state" in changes and changes["state"] not in TRIAGE_STATES:
            raise ValueError(f"unknown triage state {changes['state']!r}")
        with self.transaction() as conn:
            r = conn.execute("SELECT state, starred, unread FROM triage WHERE story_id = ?", (story_id,)).fetchone()
            if r is None:
                raise KeyError(story_id)
            before = {"state": r[0], "starred": bool(r[1]), "unread": bool(r[2])}
            after = {**before, **changes}
            self._set_triage(conn, story_id, after)
            if changes.get("state") == "accepted":
                self.accept_review(conn, story_id)
            conn.execute("INSERT INTO triage_log (story_id, action, before, after, at) VALUES (?, ?, ?, ?, ?)",
                         (story_id, action, json.dumps(before), json.dumps(after), _iso(now_utc())))
        return TriageChange(story_id, action, before, after)

    @staticmethod
    def _set_triage(conn: sqlite3.Connection, story_id: str, values: dict[str, object]) -> None:
        conn.execute("UPDATE triage SET state = ?, starred = ?, unread = ?, updated_at = ? WHERE story_id = ?",
                     (values["state"], int(bool(values["starred"])), int(bool(values["unread"])),
                      _iso(now_utc()), story_id))

    def undo(self) -> TriageChange | None:
        """Undo the latest triage action not yet undone (the journal survives restarts)."""
        with self.transaction() as conn:
            r = conn.execute("SELECT id, story_id, action, before, after FROM triage_log WHERE undone = 0 "
                             "ORDER BY id DESC LIMIT 1").fetchone()
            if r is None:
                return None
            before = json.loads(r[3])
            if r[2].startswith("fact."):
                self._undo_corrections(conn, json.loads(r[4]))
            elif r[2] == "link":
                conn.execute("DELETE FROM matches WHERE story_id = ? AND agreement_id = ? AND source = 'user'",
                             (r[1], json.loads(r[4]).get("agreement")))
                conn.execute("UPDATE stories SET matched = EXISTS(SELECT 1 FROM matches m WHERE m.story_id = "
                             "stories.id AND m.main = 1) WHERE id = ?", (r[1],))
            else:
                self._set_triage(conn, r[1], before)
            conn.execute("UPDATE triage_log SET undone = 1 WHERE id = ?", (r[0],))
        return TriageChange(r[1], r[2], json.loads(r[4]), before)

    def link(self, story_id: str, agreement_id: str) -> TriageChange:
        """The user says this story is about this agreement."""
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM stories WHERE id = ?", (story_id,)).fetchone() is None:
                raise KeyError(story_id)
            conn.execute(
                "INSERT INTO matches (story_id, agreement_id, score, main, source, evidence, ev_start, ev_end) "
                "VALUES (?, ?, 1.0, 1, 'user', '', NULL, NULL) ON CONFLICT(story_id, agreement_id) DO UPDATE "
                "SET main = 1", (story_id, agreement_id))
            conn.execute("UPDATE stories SET matched = 1 WHERE id = ?", (story_id,))
            before: dict[str, object] = {}
            after: dict[str, object] = {"agreement": agreement_id}
            conn.execute("INSERT INTO triage_log (story_id, action, before, after, at) VALUES (?, 'link', ?, ?, ?)",
                         (story_id, json.dumps(before), json.dumps(after), _iso(now_utc())))
        return TriageChange(story_id, "link", before, after)

    def journal(self, limit: int = 100) -> list[tuple[str, str, str, bool]]:
        return [(r[0], r[1], r[2], bool(r[3])) for r in self.conn.execute(
            "SELECT at, story_id, action, undone FROM triage_log ORDER BY id DESC LIMIT ?", (limit,))]


_FACT_INSERT = ("(story_id, kind, agreement_id, stage, happened, amount, currency, payer, payee, status, amount_kind, "
                "speaker, concern, denied_by, denial, claim, known, evidence, ev_start, ev_end, ev_source) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _write_facts(conn: sqlite3.Connection, table: str, rows: list[tuple[object, ...]]) -> None:
    if rows:
        conn.executemany(f"INSERT INTO {table} {_FACT_INSERT}", rows)


def _match_rows(story_id: str, a: Analysis) -> list[tuple[object, ...]]:
    return [(story_id, m.agreement_id, m.score, int(m.main), "auto", m.evidence.sentence, m.evidence.start,
             m.evidence.end, m.evidence.source) for m in a.matches]


def _write_matches(conn: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
    if rows:
        conn.executemany(
            "INSERT OR REPLACE INTO matches (story_id, agreement_id, score, main, source, evidence, ev_start, "
            "ev_end, ev_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _fact_key(row: Sequence[object]) -> tuple[object, ...]:
    """What a fact says, without its evidence: (kind, agreement, then the kind's own columns). Rows are as
    _fact_rows makes them, or as read back with the same column order after the story id."""
    return tuple(row[1:17])


def _fact_rows(story_id: str, a: Analysis) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    if not (a.stages or a.payments or a.warnings or a.conflicts):
        return rows

    def row(kind: str, agreement_id: str | None, ev: object, **kw: object) -> tuple[object, ...]:
        cols = ("stage", "happened", "amount", "currency", "payer", "payee", "status", "amount_kind", "speaker",
                "concern", "denied_by", "denial", "claim", "known")
        return (story_id, kind, agreement_id, *(kw.get(c) for c in cols),
                ev.sentence, ev.start, ev.end, ev.source)  # type: ignore[attr-defined]

    for st in a.stages:
        rows.append(row("stage", st.agreement_id, st.evidence, stage=st.stage, happened=st.when))
    for p in a.payments:
        rows.append(row("payment", p.agreement_id, p.evidence, amount=p.amount, currency=p.currency, payer=p.payer,
                        payee=p.payee, status=p.status, amount_kind=p.kind))
    for w in a.warnings:
        rows.append(row("warning", w.agreement_id, w.evidence, speaker=w.by, concern=w.concern,
                        denied_by=w.denied_by, denial=w.denial.sentence if w.denial else None))
    for c in a.conflicts:
        rows.append(row("conflict", c.agreement_id, c.evidence, claim=c.claim, known=c.known))
    return rows

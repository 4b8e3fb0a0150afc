"""Schema and forward migrations. `PRAGMA user_version` holds the number of migrations applied.

A migration is appended, never edited: a database made by any earlier release opens and is brought
forward in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils


def _v1(db: sqlite_utils.Database) -> None:
    db.table("feeds").create({
        "url": str, "name": str, "tags": str, "etag": str, "last_modified": str, "last_status": int,
        "last_result": str, "last_error": str, "failures": int, "next_poll_at": str, "next_poll_why": str,
        "last_polled_at": str, "last_new": int, "retired": int, "moved_to": str, "added_at": str,
    }, pk="url", not_null={"failures", "retired"}, defaults={"failures": 0, "retired": 0, "last_result": "",
                                                             "next_poll_why": "", "name": "", "tags": "[]"})
    db.table("stories").create({
        "id": str, "title": str, "text": str, "link": str, "author": str, "published": str,
        "first_seen": str, "cluster_id": str, "fingerprint": bytes, "content_hash": str,
    }, pk="id")
    db.table("stories").create_index(["published"])
    db.table("stories").create_index(["first_seen"])
    db.table("stories").create_index(["cluster_id"])
    db.table("story_feeds").create({"story_id": str, "feed_url": str, "seen_at": str}, pk=("story_id", "feed_url"))
    db.table("story_feeds").create_index(["feed_url"])
    db.table("agreements").create({
        "id": str, "title": str, "parties": str, "aliases": str, "keywords": str, "bundled": int,
    }, pk="id")
    db.table("matches").create({
        "story_id": str, "agreement_id": str, "score": float, "main": int, "source": str,
        "evidence": str, "ev_start": int, "ev_end": int,
    }, pk=("story_id", "agreement_id"))
    db.table("matches").create_index(["agreement_id"])
    # One table for every kind of fact, so a fact is one row with its evidence whatever its kind;
    # columns that a kind does not use stay NULL. Opens in Datasette as it is.
    db.table("facts").create({
        "id": int, "story_id": str, "kind": str, "agreement_id": str,
        "stage": str, "happened": str,
        "amount": float, "currency": str, "payer": str, "payee": str, "status": str, "amount_kind": str,
        "speaker": str, "concern": str, "denied_by": str, "denial": str,
        "claim": str, "known": str,
        "evidence": str, "ev_start": int, "ev_end": int,
    }, pk="id")
    db.table("facts").create_index(["story_id"])
    db.table("facts").create_index(["kind", "agreement_id"])
    db.table("triage").create({
        "story_id": str, "state": str, "starred": int, "unread": int, "updated_at": str,
    }, pk="story_id", not_null={"state", "starred", "unread"},
        defaults={"state": "new", "starred": 0, "unread": 1})
    db.table("triage").create_index(["state", "unread"])
    # The journal behind undo and audit: every triage action with the state it replaced.
    db.table("triage_log").create({
        "id": int, "story_id": str, "action": str, "before": str, "after": str, "at": str, "undone": int,
    }, pk="id", not_null={"undone"}, defaults={"undone": 0})
    db.table("stories").enable_fts(["title", "text"], fts_version="FTS5", create_triggers=True,
                             tokenize="unicode61 remove_diacritics 2")


def _v2(db: sqlite_utils.Database) -> None:
    """The inbox order as stored columns with one index, so a page at 100k stories is an index walk.

    matched: a main match exists; sort_time: published, else first seen; cluster_time: the newest
    sort_time in the story's cluster (a cluster's stories sit together, ordered by their newest).
    """
    stories = db.table("stories")
    stories.add_column("matched", int, not_null_default=0)
    stories.add_column("sort_time", str)
    stories.add_column("cluster_time", str)
    db.execute("UPDATE stories SET sort_time = coalesce(published, first_seen), "
               "matched = EXISTS(SELECT 1 FROM matches m WHERE m.story_id = stories.id AND m.main = 1)")
    db.execute("UPDATE stories SET cluster_time = (SELECT max(c.sort_time) FROM stories c "
               "WHERE c.cluster_id = stories.cluster_id)")
    db.execute("CREATE INDEX idx_stories_inbox ON stories (matched DESC, cluster_time DESC, cluster_id, "
               "sort_time DESC, id)")
    # Nothing reads these in order any more; each cost a write per story.
    db.execute("DROP INDEX IF EXISTS idx_stories_published")
    db.execute("DROP INDEX IF EXISTS idx_stories_first_seen")
    # FTS rows are added in batches (Store.index_pending) instead of by a trigger per story: one FTS5
    # insert per story in many small transactions cost 4x the whole rest of a cold poll's writes.
    # Stories are never edited or deleted, so a rowid watermark says what is indexed.
    for trigger in ("stories_ai", "stories_ad", "stories_au"):
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute("INSERT INTO meta (key, value) SELECT 'fts_rowid', coalesce(max(rowid), 0) FROM stories")


def _v3(db: sqlite_utils.Database) -> None:
    """The full-text index keeps which column a word is in, not its positions (detail=column): searches
    are words and prefixes, never phrases, so positions were never used; indexing costs a quarter less CPU
    and the index is half the size. Rebuilt here, once, from the stories already indexed."""
    mark = db.execute("SELECT value FROM meta WHERE key = 'fts_rowid'").fetchone()[0]
    db.execute("DROP TABLE IF EXISTS stories_fts")
    db.execute("CREATE VIRTUAL TABLE stories_fts USING fts5(title, text, content=stories, "
               "tokenize='unicode61 remove_diacritics 2', detail=column)")
    db.execute("INSERT INTO stories_fts (rowid, title, text) SELECT rowid, title, text FROM stories WHERE rowid <= ?",
               [int(mark)])


_FACT_SCHEMA = {
    "id": int, "story_id": str, "kind": str, "agreement_id": str,
    "stage": str, "happened": str,
    "amount": float, "currency": str, "payer": str, "payee": str, "status": str, "amount_kind": str,
    "speaker": str, "concern": str, "denied_by": str, "denial": str,
    "claim": str, "known": str,
    "evidence": str, "ev_start": int, "ev_end": int, "ev_source": str,
}


def _v4(db: sqlite_utils.Database) -> None:
    """The article behind a story's link, and which text each fact's evidence is in.

    stories.article*: the main text of the page and what happened when it was fetched (status: ok, blocked,
    robots, too-short, not-html, failed, skipped, pending; NULL for stories stored before articles were
    read, shown as skipped). needs_review: the article changed the facts of a story the user had accepted;
    the new facts wait in review_facts until the user accepts them. facts/matches.ev_source: which text
    ev_start/ev_end index (headline: the title, feed: the feed's text, article: the article).
    The full-text index gains the article column, rebuilt here from the stories already indexed."""
    stories = db.table("stories")
    for column, kind in (("article", str), ("article_status", str), ("article_http", int),
                         ("article_chars", int), ("article_fetched", str), ("article_error", str),
                         ("article_host", str)):
        stories.add_column(column, kind)
    stories.add_column("needs_review", int, not_null_default=0)
    db.execute("CREATE INDEX idx_stories_article_pending ON stories (article_status) "
               "WHERE article_status = 'pending'")
    db.execute("CREATE INDEX idx_stories_article_host ON stories (article_host, article_status) "
               "WHERE article_host IS NOT NULL")
    db.table("facts").add_column("ev_source", str, not_null_default="feed")
    db.table("matches").add_column("ev_source", str, not_null_default="feed")
    db.execute("UPDATE matches SET ev_source = 'headline' WHERE ev_start = -1")
    # What migwatch learnt about article sites, kept between runs (cron): a refusal and until when (wall-clock
    # seconds), and robots.txt (kept a day).
    db.table("article_hosts").create({
        "host": str, "refused_until": float, "refused_status": int, "refused_why": str, "throttled": int,
        "refusals": int, "robots_kind": str, "robots_text": str, "robots_at": float,
    }, pk="host")
    db.table("review_facts").create(_FACT_SCHEMA, pk="id")
    db.table("review_facts").create_index(["story_id"])
    mark = db.execute("SELECT value FROM meta WHERE key = 'fts_rowid'").fetchone()[0]
    db.execute("DROP TABLE IF EXISTS stories_fts")
    db.execute("CREATE VIRTUAL TABLE stories_fts USING fts5(title, text, article, content=stories, "
               "tokenize='unicode61 remove_diacritics 2', detail=column)")
    db.execute("INSERT INTO stories_fts (rowid, title, text, article) SELECT rowid, title, text, article "
               "FROM stories WHERE rowid <= ?", [int(mark)])


def _v5(db: sqlite_utils.Database) -> None:
    """The user's corrections, apart from the extractor's facts (store/corrections.py): a fact is named by
    story, kind, agreement and a natural key, never by facts.id, which re-analysis rewrites."""
    db.execute(
        "CREATE TABLE corrections (id INTEGER PRIMARY KEY, story_id TEXT, kind TEXT NOT NULL, agreement_id TEXT, "
        "fact_key TEXT NOT NULL, action TEXT NOT NULL, fields TEXT NOT NULL DEFAULT '{}', base TEXT NOT NULL "
        "DEFAULT '{}', note TEXT NOT NULL DEFAULT '', link TEXT, at TEXT NOT NULL, undone INTEGER NOT NULL DEFAULT 0)")
    db.execute("CREATE INDEX idx_corrections_target ON corrections (story_id, kind, agreement_id, fact_key)")
    db.execute("CREATE INDEX idx_corrections_agreement ON corrections (agreement_id)")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4, _v5]  # sqlite-utils is imported only to migrate
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(Exception):
    pass


def migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(f"database schema version {version} is newer than this migwatch ({SCHEMA_VERSION})")
    if version == SCHEMA_VERSION:
        return
    import sqlite_utils  # imported only when a migration runs: it pulls in numpy when that is installed

    db = sqlite_utils.Database(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-read inside the write lock: another process may have migrated meanwhile.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number in range(version, SCHEMA_VERSION):
            MIGRATIONS[number](db)
            conn.execute(f"PRAGMA user_version = {number + 1}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise

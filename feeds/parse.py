"""feedparser on fetched bytes (never a URL) → Story values that passed the text gate.

This is CPU work: callers run it in a process pool or a thread, never on the event loop.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from feeds.models import Story
from feeds.text import one_line, plain_text

MAX_ENTRIES = 2_000  # per feed and fetch; a feed longer than this is cut (Media Cloud does the same)
_URLISH = re.compile(r"^(https?|urn|tag|ftp):", re.IGNORECASE)


class NotAFeed(Exception):
    """The body is not RSS/Atom/RDF (an HTML page, random bytes, …); the message is one line."""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    stories: tuple[Story, ...]
    ttl_seconds: float | None = None  # RSS <ttl> (minutes in the feed)
    warning: str | None = None  # feedparser's bozo reason, when it still found entries


def _published(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, TypeError, OSError):
                continue
    return None


def _entry_text(entry: Any) -> str:
    """The longest of the entry's content blocks and its summary: feeds put the article in either."""
    best = entry.get("summary") or ""
    for block in entry.get("content") or ():
        value = block.get("value") if isinstance(block, dict) else None
        if value and len(value) > len(best):
            best = value
    return best


def story_id(feed_url: str, guid: str | None, link: str | None, title: str, text: str) -> str:
    """A stable id: the guid, else the link, else a hash of the content.

    A guid that is a URL/URN is global, so the same story in two feeds is stored once. A short opaque guid
    ("1234") is only unique inside its feed, so it is scoped by the feed's URL.
    """
    guid = (guid or "").strip()
    if guid:
        if _URLISH.match(guid) or (len(guid) >= 24 and not guid.isdigit()):
            return guid[:500]
        return "feed:" + hashlib.sha1(f"{feed_url}\n{guid}".encode()).hexdigest()
    link = (link or "").strip()
    if link:
        return link[:500]
    digest = hashlib.sha1(f"{title}\n{text}".encode()).hexdigest()
    return f"sha1:{digest}"


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    import feedparser

    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # Sanitising and resolving URIs is feedparser's slowest work and ours is done by the text gate, which
    # turns every string into plain text anyway.
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    entries = parsed.get("entries") or []
    version = parsed.get("version") or ""
    if not entries and not version:
        reason = parsed.get("bozo_exception")
        head = body[:512].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")):
            raise NotAFeed("not a feed: the server sent an HTML page")
        raise NotAFeed(f"not a feed: {one_line(reason, 200) if reason else 'no RSS/Atom content found'}")
    feed = parsed.get("feed") or {}
    stories = []
    seen: set[str] = set()
    for entry in entries[:MAX_ENTRIES]:
        title = one_line(entry.get("title"), 500)
        text = plain_text(_entry_text(entry))
        link = one_line(entry.get("link"), 2000) or None
        if link and not re.match(r"^https?://", link, re.IGNORECASE):
            link = None if ":" in link.split("/")[0] else link
        if not title and not text:
            continue
        sid = story_id(url, entry.get("id") or entry.get("guid"), link, title, text)
        if sid in seen:
            continue
        seen.add(sid)
        stories.append(Story(id=sid, title=title, text=text, link=link, published=_published(entry),
                             author=one_line(entry.get("author"), 200), feed_url=url))
    ttl = None
    ttl_text = feed.get("ttl")
    if ttl_text and str(ttl_text).strip().isdigit():
        ttl = float(str(ttl_text).strip()) * 60
    warning = None
    if parsed.get("bozo") and parsed.get("bozo_exception") is not None:
        warning = one_line(parsed.get("bozo_exception"), 200)
    return ParsedFeed(title=one_line(feed.get("title"), 300), stories=tuple(stories), ttl_seconds=ttl,
                      warning=warning)

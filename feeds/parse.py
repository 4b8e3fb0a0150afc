"""feedparser on fetched bytes (never a URL) → Story values that passed the text gate.

This is CPU work: callers run it in a process pool or a thread, never on the event loop.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from feeds.models import Story, fast_pickle
from feeds.text import gate_link, one_line, plain_text

MAX_ENTRIES = 2_000  # per feed and fetch; a feed longer than this is cut (Media Cloud does the same)
_URLISH = re.compile(r"^(https?|urn|tag|ftp):", re.IGNORECASE)


class NotAFeed(Exception):
    """The body is not RSS/Atom/RDF (an HTML page, random bytes, …); the message is one line."""


@fast_pickle
@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    stories: tuple[Story, ...]
    ttl_seconds: float | None = None  # RSS <ttl> (minutes in the feed)
    warning: str | None = None  # feedparser's bozo reason, when it still found entries
    cut: int = 0  # items beyond MAX_ENTRIES that were dropped (the oldest)
    items: int = 0  # items the feed held, before the cut


def newest_first_cut(nodes: list[Any], date_of: Any) -> list[Any]:
    """At most MAX_ENTRIES of a feed's items: the newest, whichever way the feed is ordered, kept in the
    feed's own order. Items without a date rank after dated ones, by where they sit: a feed whose dated
    items run oldest first has its newest at the end."""
    if len(nodes) <= MAX_ENTRIES:
        return nodes
    dates = [date_of(n) for n in nodes]
    dated = [(d, i) for i, d in enumerate(dates) if d is not None]
    ascending = len(dated) >= 2 and dated[0][0] < dated[-1][0]
    far = datetime.max.replace(tzinfo=UTC)

    def rank(i: int) -> tuple[int, datetime, int]:
        d = dates[i]
        position = i if ascending else -i
        return (1, d, position) if d is not None else (0, far, position)

    keep = sorted(sorted(range(len(nodes)), key=rank, reverse=True)[:MAX_ENTRIES])
    return [nodes[i] for i in keep]


def _published(entry: Any) -> datetime | None:
    for key in ("published", "updated", "created"):
        value = entry.get(key + "_parsed")
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, TypeError, OSError):
                pass
        # feedparser leaves a date it cannot read empty, a timezone-less RFC 822 date among them
        when = lenient_date(entry.get(key))
        if when is not None:
            return when
    return None


def lenient_date(text: object) -> datetime | None:
    """A feed's date in any form we or feedparser can read (no timezone: UTC), else None. One bad date
    costs only its own item's date, never the feed's fast path or another item's date."""
    if not isinstance(text, str) or not text.strip():
        return None
    for parse in (_rfc822, _iso8601):
        try:
            return parse(text)
        except (_Unsure, ValueError, OverflowError):
            continue
    from feedparser.datetimes import _parse_date

    try:
        value = _parse_date(text)
        return datetime.fromtimestamp(calendar.timegm(value), UTC) if value else None
    except (OverflowError, ValueError, TypeError, OSError):
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


def parse_feed(body: bytes, url: str, content_type: str | None = None, feed_url: str | None = None) -> ParsedFeed:
    """Well-formed RSS 2.0 and Atom 1.0 take a fast path through the C XML parser; everything else
    (and anything the fast path is unsure of) goes through feedparser, which handles every dialect.

    `url` is where the body came from (story ids derive from it); `feed_url`, the feed the stories are
    filed under, when that is another (the configured URL after a temporary redirect)."""
    fast = _fast_parse(body, url, feed_url)
    if fast is not None:
        return fast
    return _feedparser_parse(body, url, content_type, feed_url)


# Entity declarations whose value refers to another entity: how expansion bombs ("billion laughs") are built.
# No real feed needs them; expat also stops a bomb, but feedparser's loose fallback then stores "&j;" as text.
_NESTED_ENTITY = re.compile(rb"<!ENTITY\s+%?\s*[\w.:-]+\s+(?:\"[^\"]*&[\w.:-]+;|'[^']*&[\w.:-]+;)")
_ENTRY_END = re.compile(rb"</\s*(?:[\w.-]+:)?(?:item|entry)\s*>", re.IGNORECASE)
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")


def _root_closed(body: bytes) -> bool:
    """False when the document stops before its root element's end tag: a truncated body."""
    text = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>", b"", body[:65536], flags=re.DOTALL)
    m = _ROOT.search(text)
    if m is None:
        return True
    return re.search(rb"</\s*" + re.escape(m.group(1)) + rb"\s*>", body[-4096:]) is not None


def _feedparser_parse(body: bytes, url: str, content_type: str | None, feed_url: str | None = None) -> ParsedFeed:
    feed_url = feed_url or url
    import feedparser

    if _NESTED_ENTITY.search(body[:262144]):
        raise NotAFeed("refused: the feed declares nested XML entities (an entity-expansion bomb)")
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # Sanitising and resolving URIs is feedparser's slowest work and ours is done by the text gate, which
    # turns every string into plain text anyway.
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    entries = parsed.get("entries") or []
    version = parsed.get("version") or ""
    reason = parsed.get("bozo_exception")
    if reason is not None and "amplification" in str(reason):
        raise NotAFeed("refused: entity expansion over the XML parser's limit (an entity-expansion bomb)")
    truncated = bool(parsed.get("bozo")) and not _root_closed(body)
    if truncated and entries:
        # The loose parser still returns the entry the body stopped in, with a cut title or text; stored,
        # it would keep that cut text for good (the complete one later has the same id). Keep whole entries.
        entries = entries[:len(_ENTRY_END.findall(body))]
        if not entries:
            raise NotAFeed("truncated feed: the body ends before its first complete entry")
    if not entries and not version:
        head = body[:512].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")):
            raise NotAFeed("not a feed: an HTML page, not RSS or Atom")
        raise NotAFeed(f"not a feed: {one_line(reason, 200) if reason else 'no RSS/Atom content found'}")
    feed = parsed.get("feed") or {}
    stories: list[Story] = []
    seen: set[str] = set()
    total = len(entries)
    entries = newest_first_cut(list(entries), _published)
    for entry in entries:
        title = one_line(entry.get("title"), 500)
        text = plain_text(_entry_text(entry))
        link = gate_link(entry.get("link")) or None
        if link and not re.match(r"^https?://", link, re.IGNORECASE):
            link = None if ":" in link.split("/")[0] else link
        if not title and not text:
            continue
        sid = story_id(url, entry.get("id") or entry.get("guid"), link, title, text)
        if sid in seen:
            continue
        seen.add(sid)
        stories.append(Story(id=sid, title=title, text=text, link=link, published=_published(entry),
                             author=one_line(entry.get("author"), 200), feed_url=feed_url))
    ttl = None
    ttl_text = feed.get("ttl")
    if ttl_text and str(ttl_text).strip().isdigit():
        ttl = float(str(ttl_text).strip()) * 60
    warning = None
    if parsed.get("bozo") and parsed.get("bozo_exception") is not None:
        warning = one_line(parsed.get("bozo_exception"), 200)
    return ParsedFeed(title=one_line(feed.get("title"), 300), stories=tuple(stories), ttl_seconds=ttl,
                      warning=warning, cut=total - len(entries), items=total)


# ------------------------------------------------------------------------------------ the fast path

_ATOM = "{http://www.w3.org/2005/Atom}"
_CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
_DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
_DC_DATE = "{http://purl.org/dc/elements/1.1/}date"


class _Unsure(Exception):
    """The fast path declines; feedparser takes the feed."""


# Item children the fast path reads or may ignore. An item without a title or a text that has any other
# child (dc:title, dc:description, xhtml:body, fullitem, …) may hold them there: feedparser knows every alias.
_RSS_KNOWN = {"title", "description", "link", "guid", "pubDate", "category", "author", "comments", "enclosure",
              "source", _CONTENT_ENCODED, _DC_CREATOR, _DC_DATE}
_ATOM_KNOWN = {_ATOM + t for t in ("title", "summary", "content", "link", "id", "published", "updated", "author",
                                   "category", "contributor", "rights", "source")}


def _check_complete(title: str, text: str, node: Any, known: set[str]) -> None:
    if (not title or not text) and any(child.tag not in known for child in node):
        raise _Unsure


def _fast_parse(body: bytes, url: str, feed_url: str | None = None) -> ParsedFeed | None:
    feed_url = feed_url or url
    import xml.etree.ElementTree as ET

    head = body[:2048]
    # Entity declarations (and the bombs built from them) and odd encodings are feedparser's business.
    if b"<!DOCTYPE" in head or b"<!ENTITY" in body or b"<?xml-stylesheet" in head:
        return None
    decl = re.match(rb"\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)", head)
    if decl and decl.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"iso-8859-1", b"latin-1"):
        return None
    try:
        root = ET.fromstring(body)
        if root.tag == "rss" and (root.get("version") or "").startswith(("2.", "0.91", "0.92")):
            return _fast_rss(root, url, feed_url)
        if root.tag == _ATOM + "feed":
            return _fast_atom(root, url, feed_url)
    except (ET.ParseError, _Unsure, ValueError, TypeError, OverflowError):
        return None
    return None


_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
# The form nearly every feed writes ("Mon, 05 May 2025 09:00:00 +0000" or "… GMT"); anything else goes to
# the email module, which knows every variant, at five times the cost.
_RFC822_COMMON = re.compile(
    r"(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d\d):(\d\d)(?::(\d\d))?\s*"
    r"(?:([+-])(\d\d)(\d\d)|GMT|UTC|UT|Z)")


def _rfc822(text: str | None) -> datetime | None:
    if not text:
        return None
    m = _RFC822_COMMON.fullmatch(text.strip())
    month = _MONTHS.get(m.group(2).lower()) if m else None
    if m and month:
        try:
            when = datetime(int(m.group(3)), month, int(m.group(1)), int(m.group(4)), int(m.group(5)),
                            int(m.group(6) or 0), tzinfo=UTC)
        except ValueError:
            raise _Unsure from None
        if m.group(7):
            offset = timedelta(hours=int(m.group(8)), minutes=int(m.group(9)))
            when = when - offset if m.group(7) == "+" else when + offset
        return when
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        raise _Unsure from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _iso8601(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _Unsure from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _fast_rss(root: Any, url: str, feed_url: str) -> ParsedFeed:
    channel = root.find("channel")
    if channel is None:
        raise _Unsure
    stories: list[Story] = []
    seen: set[str] = set()
    items = channel.findall("item")
    kept = newest_first_cut(items, lambda item: lenient_date(item.findtext("pubDate"))
                            or lenient_date(item.findtext(_DC_DATE)))
    for item in kept:
        for child in item:
            # Markup inside an element (XHTML in a description) is feedparser's to interpret.
            if len(child) and child.tag in ("title", "description", _CONTENT_ENCODED):
                raise _Unsure
        title = one_line(item.findtext("title"), 500)
        description = item.findtext("description") or ""
        encoded = item.findtext(_CONTENT_ENCODED) or ""
        text = plain_text(encoded if len(encoded) > len(description) else description)
        link = (item.findtext("link") or "").strip()
        guid_el = item.find("guid")
        guid = (guid_el.text or "").strip() if guid_el is not None else ""
        if not link and guid_el is not None and guid_el.get("isPermaLink", "true").lower() == "true" and \
                guid.lower().startswith(("http://", "https://")):
            link = guid
        link = gate_link(link) or None
        if link and not re.match(r"^https?://", link, re.IGNORECASE):
            link = None
        _check_complete(title, text, item, _RSS_KNOWN)
        if not title and not text:
            continue
        published = lenient_date(item.findtext("pubDate")) or lenient_date(item.findtext(_DC_DATE))
        sid = story_id(url, guid or None, link, title, text)
        if sid in seen:
            continue
        seen.add(sid)
        author = item.findtext(_DC_CREATOR) or item.findtext("author") or ""
        stories.append(Story(id=sid, title=title, text=text, link=link, published=published,
                             author=one_line(author, 200), feed_url=feed_url))
    ttl_text = (channel.findtext("ttl") or "").strip()
    ttl = float(ttl_text) * 60 if ttl_text.isdigit() else None
    return ParsedFeed(title=one_line(channel.findtext("title"), 300), stories=tuple(stories), ttl_seconds=ttl,
                      cut=len(items) - len(kept), items=len(items))


def _atom_text(el: Any) -> str:
    if el is None:
        return ""
    kind = (el.get("type") or "text").lower()
    if kind == "xhtml" or len(el):
        raise _Unsure  # inline XHTML: let feedparser serialise it
    return el.text or ""


def _fast_atom(root: Any, url: str, feed_url: str) -> ParsedFeed:
    stories: list[Story] = []
    seen: set[str] = set()
    entries = root.findall(_ATOM + "entry")
    kept = newest_first_cut(entries, lambda entry: lenient_date(entry.findtext(_ATOM + "published"))
                            or lenient_date(entry.findtext(_ATOM + "updated")))
    for entry in kept:
        title = one_line(_atom_text(entry.find(_ATOM + "title")), 500)
        summary = _atom_text(entry.find(_ATOM + "summary"))
        content = _atom_text(entry.find(_ATOM + "content"))
        text = plain_text(content if len(content) > len(summary) else summary)
        link = None
        for link_el in entry.iterfind(_ATOM + "link"):
            if (link_el.get("rel") or "alternate") == "alternate" and link_el.get("href"):
                link = link_el.get("href").strip()
                break
        if link and not re.match(r"^https?://", link, re.IGNORECASE):
            raise _Unsure  # relative links need xml:base resolution
        _check_complete(title, text, entry, _ATOM_KNOWN)
        if not title and not text:
            continue
        published = lenient_date(entry.findtext(_ATOM + "published")) or lenient_date(entry.findtext(_ATOM + "updated"))
        guid = (entry.findtext(_ATOM + "id") or "").strip()
        sid = story_id(url, guid or None, link, title, text)
        if sid in seen:
            continue
        seen.add(sid)
        author = entry.findtext(f"{_ATOM}author/{_ATOM}name") or ""
        stories.append(Story(id=sid, title=title, text=text, link=gate_link(link) or None,
                             published=published, author=one_line(author, 200), feed_url=feed_url))
    return ParsedFeed(title=one_line(_atom_text(root.find(_ATOM + "title")), 300), stories=tuple(stories),
                      cut=len(entries) - len(kept), items=len(entries))

"""OPML interchange: read another reader's subscriptions, write ours. Folders become tags and back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from feeds.config import FeedConfig
from feeds.text import one_line

MAX_OPML = 10 * 1024 * 1024
MAX_OPML_FEEDS = 20_000  # more subscriptions than any reader's list; bounds the time and memory of an import


class OpmlError(Exception):
    """A broken or hostile OPML file; the message is one line."""


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    name: str
    url: str
    tags: tuple[str, ...] = ()


_NO_DTD = "OPML with a DOCTYPE or entity declarations is not accepted"


def _parse_without_dtd(data: bytes) -> ET.Element:
    """The tree, from a parser that stops at a DOCTYPE whatever the file's encoding (the byte test above
    cannot see one spelled in UTF-16)."""

    class _Refused(Exception):
        pass

    def refuse(*_args: object) -> None:
        raise _Refused

    from xml.parsers import expat

    checker = expat.ParserCreate()
    checker.StartDoctypeDeclHandler = refuse
    checker.EntityDeclHandler = refuse
    try:
        checker.Parse(data, True)
    except _Refused:
        raise OpmlError(_NO_DTD) from None
    except expat.ExpatError as exc:
        raise OpmlError(f"not valid XML: {exc}") from None
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"not valid XML: {exc}") from None


def read_opml(data: bytes) -> list[OpmlFeed]:
    if len(data) > MAX_OPML:
        raise OpmlError(f"file is over {MAX_OPML // 1024 // 1024} MB")
    lowered = data.lower()
    # Entity declarations are how XML bombs are built, and no feed list needs one (nor a DOCTYPE, which may
    # come after any amount of comment).
    if b"<!entity" in lowered or b"<!doctype" in lowered:
        raise OpmlError(_NO_DTD)
    root = _parse_without_dtd(data)
    if root.tag.lower() != "opml":
        raise OpmlError(f"not OPML: the root element is <{one_line(root.tag, 40)}>")
    body = next((child for child in root if child.tag.lower() == "body"), None)
    if body is None:
        raise OpmlError("OPML has no <body>")
    feeds: list[OpmlFeed] = []

    def walk(node: ET.Element, folders: tuple[str, ...], depth: int) -> None:
        if depth > 32:
            raise OpmlError("outlines nested more than 32 deep")
        for outline in node:
            if outline.tag.lower() != "outline":
                continue
            attrs = {k.lower(): v for k, v in outline.attrib.items()}
            url = (attrs.get("xmlurl") or "").strip()
            title = one_line(attrs.get("title") or attrs.get("text") or "", 300)
            if url:
                if len(feeds) >= MAX_OPML_FEEDS:
                    raise OpmlError(f"more than {MAX_OPML_FEEDS:,} feeds")
                # Folders first (they round-trip as folders), then the outline's own categories.
                extra = [one_line(c, 100).strip("/") for c in (attrs.get("category") or "").split(",")]
                tags = tuple(dict.fromkeys([*folders, *(t for t in extra if t)]))
                feeds.append(OpmlFeed(name=title or url, url=url, tags=tags))
            elif len(outline):
                walk(outline, (*folders, title) if title else folders, depth + 1)

    walk(body, (), 0)
    return feeds


def write_opml(feeds: Sequence[FeedConfig], title: str = "migwatch feeds") -> bytes:
    """OPML 2.0; a feed's first tag becomes its folder, the rest go into `category`."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC))
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in feeds:
        parent = body
        if feed.tags:
            folder = feed.tags[0]
            if folder not in folders:
                folders[folder] = ET.SubElement(body, "outline", text=folder, title=folder)
            parent = folders[folder]
        attrs = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": feed.url}
        if len(feed.tags) > 1:
            attrs["category"] = ",".join(feed.tags[1:])
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"

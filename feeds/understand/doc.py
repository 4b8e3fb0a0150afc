"""One story prepared for understanding: its headline, feed text and article as one run of sentences,
each knowing the source it came from, with what each sentence names.

The three sources are joined into one text (so every rule runs once over one string), but a sentence never
crosses a source, and evidence offsets index the source's own string (Story.title, Story.text or
Story.article). A feed summary is usually the article's lead and a body often repeats its headline: a
sentence that the richer source repeats is left out, so a fact is read once, from the richer source.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

from feeds.agreements import CatalogueIndex
from feeds.models import Evidence, Match, Story


def lowered(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The same case-insensitive regex as a case-sensitive one for lower-cased text: `re` runs a big
    IGNORECASE alternation about three times slower than the plain one."""
    out: list[str] = []
    escape = False
    for ch in pattern.pattern:
        out.append(ch if escape else ch.lower())
        escape = not escape and ch == "\\"
    source = "".join(out).replace("(?p<", "(?P<").replace("(?p=", "(?P=")
    return re.compile(source, pattern.flags & ~re.IGNORECASE)


class Folded:
    """A case-insensitive regex, run over lower-cased text whenever lower-casing keeps every offset."""

    __slots__ = ("low", "pattern")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.low = lowered(pattern)

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        low = text.lower()
        if len(low) == len(text):
            return self.low.search(low, pos, endpos)
        return self.pattern.search(text, pos, endpos)

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        low = text.lower()
        if len(low) == len(text):
            return self.low.finditer(low, pos, endpos)
        return self.pattern.finditer(text, pos, endpos)



_ABBREV = frozenset(
    "mr mrs ms dr st jan feb mar apr jun jul aug sep sept oct nov dec no gov sen rep gen lt col prof vs "
    "inc jr sr co corp ltd messrs mt ft approx est".split()
)
# A line break ends a sentence unless the next line carries on in lower case (a <br/> or a hard wrap
# inside a sentence), so the same story reads the same from a feed and from JSON.
_BREAK = re.compile(r"[.!?][\"”’')\]]*[ \t]+(?=[\"“‘'(\[]?[A-Z0-9])|\n")
_INITIALS = re.compile(r"(?:[A-Za-z]\.){2,}[\"”’')\]]*$|^[A-Z]\.$")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans in `text`: ends of sentences and line breaks split; "U.S." and "Mr." do not.

    A line break splits unless the next line carries on in lower case straight after it. (One scan for
    a sentence end or a line break, whose first character `re` can look for quickly; the rest in Python.)
    """
    spans: list[tuple[int, int]] = []
    start = 0
    end = -1
    n = len(text)
    for m in _BREAK.finditer(text):
        p = m.start()
        if p < end:
            continue
        if text[p] == "\n":
            r = p + 1
            while r < n and text[r].isspace():
                r += 1
            if r < n and "a" <= text[r] <= "z":
                if r == p + 1:
                    continue  # "…take\nmigrants": a line broken inside a sentence
                r -= 1
            _add_span(text, start, p, spans)
            start = end = r
            continue
        cut = p + 1
        if text[cut : m.end()].strip(" \t") == "":
            head = text[start:cut]
            if head.strip():
                token = head.rsplit(None, 1)[-1]
                bare = token.rstrip("\"”’')]").rstrip(".").lower()
                if bare in _ABBREV or _INITIALS.search(token):
                    continue
        _add_span(text, start, cut, spans)
        start = end = m.end()
    _add_span(text, start, n, spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))



@dataclass(slots=True)
class Hit:
    start: int
    end: int
    kind: str  # party | alias | keyword
    key: str  # a country for parties, an agreement id otherwise



# Between two sources in the joined text: a blank line, which always ends a sentence.
SEPARATOR = "\n\n"
_NORM_WORDS = re.compile(r"[^\w]+")


def _norm(text: str) -> str:
    return _NORM_WORDS.sub(" ", text.lower()).strip()


@dataclass(slots=True)
class Doc:
    """One story prepared for matching and extraction: sentences and what each names."""

    story: Story
    text: str  # the sources joined (headline, feed text, article), SEPARATOR between them
    title: str
    spans: list[tuple[int, int]]  # sentence spans in `text`
    starts: list[int]
    sources: list[str]  # per sentence: "headline" | "feed" | "article"
    offsets: dict[str, int]  # where each source starts in `text`
    hits: list[list[Hit]]  # per sentence
    title_hits: list[Hit]
    cue: list[bool]  # per sentence: a migration cue
    transfer: list[bool]
    strong: list[bool]  # per sentence: a strong cue
    deal: list[bool]
    title_cue: bool
    title_deal: bool
    index: CatalogueIndex
    low: str | None  # the text lower-cased, when that keeps every offset (for the Folded regexes)
    # filled by match_story: agreements fully / partly anchored in each sentence
    full: list[list[str]] = field(default_factory=list)
    partial: list[list[str]] = field(default_factory=list)
    matched: dict[str, Match] = field(default_factory=dict)
    pairs: list[frozenset[str]] = field(default_factory=list)  # per sentence: agreements named as "A–B deal"

    def sentence(self, i: int) -> str:
        a, b = self.spans[i]
        return self.text[a:b]

    def evidence(self, i: int) -> Evidence:
        a, b = self.spans[i]
        source = self.sources[i]
        base = self.offsets[source]
        return Evidence(self.text[a:b], a - base, b - base, source)

    def has(self, rx: Folded, i: int) -> bool:
        """Whether `rx` matches in sentence i: searched in place in the lower-cased text, without cutting or
        lower-casing the sentence (for patterns that start at a word boundary, as all Folded ones here do)."""
        a, b = self.spans[i]
        if self.low is not None:
            return rx.low.search(self.low, a, b) is not None
        return rx.pattern.search(self.text, a, b) is not None

    def sentence_of(self, offset: int) -> int:
        return max(0, bisect_right(self.starts, offset) - 1)

    def countries(self, i: int) -> set[str]:
        return {h.key for h in self.hits[i] if h.kind == "party"}

    def is_headline(self, i: int) -> bool:
        return self.sources[i] == "headline"


def join_sources(story: Story) -> tuple[str, list[tuple[int, int]], list[str], dict[str, int]]:
    """The story's sources as one text, its sentence spans and each span's source.

    A feed sentence the article repeats, and a headline the body repeats, are left out: the fact is
    read from the fuller source (the article's or body's sentence is the better evidence)."""
    parts = [("headline", story.title or ""), ("feed", story.text or ""), ("article", story.article or "")]
    text_parts: list[str] = []
    offsets: dict[str, int] = {}
    spans: list[tuple[int, int]] = []
    sources: list[str] = []
    pos = 0
    article_norm = _norm(story.article) if story.article else ""
    for source, body in parts:
        offsets[source] = pos
        if body:
            local = [(0, len(body))] if source == "headline" else split_sentences(body)
            for a, b in local:
                piece = body[a:b]
                if source == "headline" and body_norm_contains(_norm(piece), story):
                    continue
                if source == "feed" and article_norm and _norm(piece) in article_norm:
                    continue
                spans.append((pos + a, pos + b))
                sources.append(source)
            text_parts.append(body)
            pos += len(body)
        text_parts.append(SEPARATOR)
        pos += len(SEPARATOR)
    return "".join(text_parts), spans, sources, offsets


def body_norm_contains(headline: str, story: Story) -> bool:
    """Whether the body says the headline again, word for word (a feed that repeats its title)."""
    if not headline:
        return True
    for body in (story.text, story.article):
        if body and headline in _norm(body[: len(headline) * 3 + 200]):
            return True
    return False

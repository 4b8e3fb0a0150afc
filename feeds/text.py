"""The one gate for untrusted text.

Every string that comes from a feed passes through `plain_text` (or `one_line`) before it is stored or
shown: HTML becomes plain text, entities are unescaped, C0/C1 control characters (ESC included) are
removed except tab and newline, and the length is capped. The result is safe to show literally; the UI
still never interprets it as markup. (`plural` is for the text migwatch writes itself.)
"""

from __future__ import annotations

import html
import re

MAX_TEXT = 100_000
MAX_LINE = 1_000
MAX_LINK = 2_048  # Media Cloud's URL cap: a link up to this long is kept whole
LINK_CUT = "…"  # ends a link that was longer, and cut: never to be opened

# Elements whose content is never text a reader should see.
_DROP_BLOCKS = re.compile(
    r"<\s*(script|style|head|title|template|iframe|object|noscript|svg|math)\b[^>]*>.*?<\s*/\s*\1\s*>",
    re.IGNORECASE | re.DOTALL,
)
_DROP_OPEN = re.compile(
    r"<\s*(script|style|iframe|object|noscript|svg|math)\b.*", re.IGNORECASE | re.DOTALL
)
_COMMENT = re.compile(r"<!--.*?(-->|$)|<!\[CDATA\[|\]\]>", re.DOTALL)
# Tags that end a line: p, div, li, h1-h6 and blockquote opening or closing, br and hr, and the end of a
# row, list or table. Factored so `re` tries one branch after "<" instead of the whole list.
_BREAK = re.compile(r"<\s*(?:br|hr|/?(?:p|div|li|h[1-6]|blockquote)|/(?:tr|ul|ol|table))\b[^>]*>", re.IGNORECASE)
_DROPPED_NAME = re.compile(r"<\s*/?\s*(script|style|head|title|template|iframe|object|noscript|svg|math|embed)\b",
                           re.IGNORECASE)
_DANGEROUS_TAG = re.compile(r"<\s*/?\s*(script|style|iframe|object|embed)\b[^>]*>?", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z!?/][^<>]*>?")
# C0 controls except \t and \n, DEL, C1 controls, and the Unicode characters that reorder or hide text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_BLANKS = re.compile(r"\n\s*\n\s*(\n\s*)+")
_HAS_MARKUP = re.compile(r"[<&]")


def _squeeze_spaces(text: str) -> str:
    """Runs of spaces, tabs and no-break spaces become one space. str.replace, not a regex: a regex that
    visits every space cost more than the whole rest of the gate."""
    if "\t" in text:
        text = text.replace("\t", " ")
    if "\u00a0" in text:
        text = text.replace("\u00a0", " ")
    while "  " in text:
        text = text.replace("    ", " ").replace("  ", " ")
    return text


def strip_controls(text: str) -> str:
    """Remove control characters (keeping tab and newline); \r becomes a newline, and ESC is shown as the
    visible "␛", so a title carrying a terminal sequence reads as written ("␛[31mRED") and does nothing."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Every character _CONTROL removes is one str.isprintable() refuses, and that test runs far faster than
    # the regex: most text is printable but for its line breaks and tabs, and needs no substitution.
    if text.replace("\n", "").replace("\t", "").isprintable():
        return text
    if "\x1b" in text:
        text = text.replace("\x1b", "\u241b")
    return _CONTROL.sub("", text)


def plain_text(value: object, limit: int = MAX_TEXT) -> str:
    """Turn feed HTML (or text) into plain, printable text with paragraphs kept as newlines."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit * 4:
        text = text[: limit * 4]
    if _HAS_MARKUP.search(text):
        # Each pass runs only where its pattern can match: most feed HTML has no comments, CDATA or scripts,
        # and the text gate is a good part of a cold poll's CPU.
        if "<!" in text or "]]>" in text:
            text = _COMMENT.sub(" ", text)
        if "<" in text:
            # The pattern starts with "<", so `re` runs its alternation only there: cheaper than lower-casing.
            if _DROPPED_NAME.search(text):
                text = _DROP_BLOCKS.sub(" ", text)
                text = _DROP_OPEN.sub(" ", text)
            if _BREAK.search(text):
                # In HTML a line break in the source is just a space; only block tags break lines.
                text = text.replace("\r", " ").replace("\n", " ")
            text = _BREAK.sub("\n", text)
            text = _TAG.sub("", text)
        text = html.unescape(text)
        # Entities can decode to new tags ("&lt;script&gt;"): those are text the author wrote, and we keep
        # them literal, but an encoded <script> block is still not reading matter.
        if "<" in text and _DROPPED_NAME.search(text):
            text = _DROP_BLOCKS.sub(" ", text)
            text = _DANGEROUS_TAG.sub("", text)
    text = strip_controls(text)
    text = _squeeze_spaces(text)
    if "\n" in text:
        text = text.replace(" \n", "\n").replace("\n ", "\n")  # spaces are single by now
        text = _BLANKS.sub("\n\n", text)
    text = text.strip()
    if len(text) > limit:
        text = text[:limit].rstrip() + "…"
    return text


def plural(n: int, one: str, many: str | None = None) -> str:
    """ "1 feed", "3 feeds", "17,773 new stories"; `many` where the plural is not `one` + "s"."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def one_line(value: object, limit: int = MAX_LINE) -> str:
    """Plain text folded onto one line: titles, authors, feed names."""
    if isinstance(value, str) and value.isprintable() and "  " not in value and "<" not in value \
            and "&" not in value:
        # Most titles: nothing to remove or fold (printable text holds no control character, tab, line
        # break or odd space), so the gate's passes would change nothing.
        text = value.strip()
    else:
        text = plain_text(value, limit=limit * 2)
        text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit].rstrip() + "…"
    return text


def gate_link(value: object) -> str:
    """A story's link through the gate: kept whole up to MAX_LINK characters; a longer one is cut and marked
    (LINK_CUT), so nothing ever opens the mangled URL (`link_was_cut`)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if len(text) > 4 * MAX_TEXT:
        text = text[: 4 * MAX_TEXT]
    text = one_line(text, limit=4 * MAX_TEXT)
    if len(text) > MAX_LINK:
        text = text[:MAX_LINK] + LINK_CUT
    return text


def link_was_cut(link: str | None) -> bool:
    return bool(link) and len(link or "") == MAX_LINK + len(LINK_CUT) and (link or "").endswith(LINK_CUT)

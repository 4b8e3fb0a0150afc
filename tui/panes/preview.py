"""The preview pane: one story, its evidence highlighted, the facts found in it."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from store import FactRow, StoryDetail
from tui.format import clean, format_date, format_payment, lit
from tui.panes.base import TRIAGE_BINDINGS

# ------------------------------------------------------------------------------------------- preview

_FACT_STYLES = {"stage": "black on cyan", "payment": "black on yellow", "warning": "black on magenta",
                "conflict": "white on red"}


def render_story(story: StoryDetail, titles: dict[str, str], *, focus: FactRow | None = None) -> Text:
    """The preview of one story: header, the text with evidence highlighted, the facts found in it."""
    out = Text()
    out.append_text(lit(story.title, "bold"))
    out.append("\n")
    meta = [", ".join(clean(f) for f in story.feeds) or "no feed", format_date(story.published or story.first_seen)]
    if story.author and clean(story.author) not in {clean(f) for f in story.feeds}:  # not the outlet again
        meta.append(clean(story.author))
    out.append_text(lit(" · ".join(meta), "dim"))
    out.append("\n")
    if story.link:
        out.append_text(lit(story.link, "underline dim"))
        out.append("\n")
    if len(story.cluster_sources) > 1:
        out.append(f"{len(story.cluster_sources)} sources: ", "magenta")
        out.append_text(lit(", ".join(clean(s) for s in story.cluster_sources), "magenta"))
        out.append("\n")
    main = [m for m in story.matches if m.main]
    mentions = [m for m in story.matches if not m.main]
    if main:
        out.append("Agreements: ", "bold")
        out.append_text(lit(", ".join(titles.get(m.agreement_id, m.agreement_id) + (" (linked by you)" if m.source == "user" else "")
                                      for m in main), "cyan"))
        out.append("\n")
    if mentions:
        out.append("Mentions: ", "dim")
        out.append_text(lit(", ".join(m.agreement_id for m in mentions), "dim"))
        out.append("\n")
    state = [story.state]
    if story.unread:
        state.append("unread")
    if story.starred:
        state.append("★ starred")
    if story.needs_review:
        state.append("↻ facts wait for review")
    out.append(" · ".join(state), "italic")
    out.append("\n\n")

    # Each piece of evidence is highlighted in the text it came from: the headline, the feed's text or the
    # article (ev_source); offsets index the stored text, which the gate already cleaned.
    texts = {"feed": lit(story.text, one_line=False), "article": lit(story.article, one_line=False)}
    headline = lit(story.title, "bold")
    texts["headline"] = headline
    for m in story.matches:
        _mark_span(texts.get(getattr(m, "ev_source", "feed"), texts["feed"]), m.ev_start, m.ev_end, "underline")
    for f in story.facts:
        _mark_span(texts.get(f.ev_source, texts["feed"]), f.ev_start, f.ev_end, _FACT_STYLES.get(f.kind, "reverse"))
    if focus is not None:
        _mark_span(texts.get(focus.ev_source, texts["feed"]), focus.ev_start, focus.ev_end, "bold reverse")
    if _feed_repeats_article(story):
        # The feed's summary is the article's own opening: shown once, in the article.
        out.append("The feed's summary is the article's opening.", "dim italic")
    else:
        out.append_text(texts["feed"])
    out.append("\n\n")
    out.append_text(article_part(story, texts["article"]))
    if any(f.ev_source == "headline" and f.ev_start is not None for f in (*story.facts, *story.matches)):
        out.append("\n\nHeadline evidence: ", "dim")
        out.append_text(headline)
    if story.needs_review:
        out.append("\n\n↻ The article changed the facts of this accepted story; they wait for review "
                   "(accept it again, a, to take them):\n", "bold yellow")
        for f in story.review_facts:
            out.append_text(fact_line(f, titles))
            out.append("\n")

    if story.facts:
        out.append("\n\nFacts\n", "bold underline")
        for f in story.facts:
            out.append_text(fact_line(f, titles))
            out.append("\n")
    return out


def _mark_span(text: Text, start: int | None, end: int | None, style: str) -> None:
    if start is not None and end is not None and 0 <= start < end <= len(text.plain):
        text.stylize(style, start, end)


def _feed_repeats_article(story: StoryDetail) -> bool:
    """Whether the feed text says nothing the fetched article does not open with (and holds no evidence)."""
    if story.article_status != "ok" or not story.article or not story.text:
        return False
    if any(getattr(x, "ev_source", "feed") == "feed" for x in (*story.facts, *story.matches)):
        return False
    feed = " ".join(story.text.split())
    head = " ".join(story.article[: len(story.text) * 2 + 200].split())
    return feed in head


def article_words(story: StoryDetail) -> str:
    """Why a story has no article, in the user's words (our words only: the error is shown apart)."""
    status = story.article_status
    if status == "pending":
        return "waiting for the article…"
    if status == "blocked":
        answered = f"answered {story.article_http_status}" if story.article_http_status else "refused the request"
        return f"feed summary only — the site {answered}"
    if status == "robots":
        return "feed summary only — robots.txt disallows fetching it"
    if status == "too-short":
        return "feed summary only — the page had too little text to be the article"
    if status == "not-html":
        return "feed summary only — the link is not a web page"
    if status == "failed":
        return "feed summary only — the article could not be fetched"
    return "feed summary only — the article was not fetched (A fetches it)"


def article_part(story: StoryDetail, article: Text) -> Text:
    out = Text()
    if story.article_status == "ok" and story.article:
        out.append("Article", "bold underline")
        if story.article_fetched is not None:
            out.append(f"  fetched {format_date(story.article_fetched)}", "dim")
        out.append("\n")
        out.append_text(article)
        return out
    out.append(article_words(story), "italic dim")
    if story.article_status == "failed" and story.article_error:
        out.append(": ", "dim")
        out.append_text(lit(story.article_error, "dim"))
    return out


def fact_line(f: FactRow, titles: dict[str, str]) -> Text:
    agreement = titles.get(f.agreement_id or "", f.agreement_id or "")
    line = Text("  ")
    if f.kind == "stage":
        line.append("Stage    ", "bold cyan")
        line.append_text(lit(f"{agreement}: {f.stage}" + (f" ({f.happened})" if f.happened else "")))
    elif f.kind == "payment":
        line.append("Payment  ", "bold yellow")
        line.append_text(lit(format_payment(f)))
    elif f.kind == "warning":
        line.append("Warning  ", "bold magenta")
        line.append_text(lit(f"{f.speaker or '?'}: {f.concern or ''}"))
        if f.denied_by:
            line.append_text(lit(f" — denied by {f.denied_by}", "dim"))
    elif f.kind == "conflict":
        line.append("⚠ Conflict ", "bold red")
        line.append_text(lit(f"{agreement}: says {f.claim!s}; tracked timeline: {f.known!s}"))
    else:
        line.append_text(lit(f.kind))
    if f.user:
        what = {"edited": "corrected by you", "confirmed": "confirmed by you", "added": "added by you",
                "rejected": "rejected by you"}.get(f.user, f.user)
        line.append(f"  ✎ {what}", "bold magenta")
        if f.was:
            line.append_text(lit(f" (extracted: {f.was})", "dim"))
        if f.review:
            line.append(" — the extraction has changed since: review", "bold yellow")
    return line


class Preview(VerticalScroll):
    """The selected story. Focusable so it can scroll, and triage works from here too."""

    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False, id="preview.down"),
        Binding("k", "scroll_up", "Up", show=False, id="preview.up"),
        Binding("enter", "dossier", "Dossier", id="preview.dossier"),
        Binding("escape", "back", "Back to inbox", show=False, id="preview.back"),
        *TRIAGE_BINDINGS,
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, can_focus=True)
        self.story_id: str | None = None

    def on_focus(self) -> None:
        if self.parent is not None:
            self.parent.add_class("-reading")

    def on_blur(self) -> None:
        if self.parent is not None and self.screen.is_current:
            self.parent.remove_class("-reading")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """⏎ Dossier only on a story linked to an agreement (l links one)."""
        if action == "dossier":
            row = self.app._story_row()  # type: ignore[attr-defined]
            return bool(row is not None and row.agreements)
        return True

    def action_dossier(self) -> None:
        self.app.action_dossier()  # type: ignore[attr-defined]

    def action_back(self) -> None:
        """esc: back to the inbox (narrow: the inbox comes back in the preview's place)."""
        if self.parent is not None:
            self.parent.remove_class("-reading")
        inbox = self.screen.query("#inbox")
        if inbox:
            inbox.first().focus()

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(Text("No story selected.", style="dim"), id="preview-body")

    def show(self, story: StoryDetail | None, titles: dict[str, str]) -> None:
        body = self.query_one("#preview-body", Static)
        if story is None:
            self.story_id = None
            body.update(Text("No story selected.", style="dim"))
            self.refresh_bindings()
            return
        if story.id != self.story_id:
            self.scroll_home(animate=False)
        self.story_id = story.id
        body.update(render_story(story, titles))
        self.refresh_bindings()  # ⏎ Dossier comes and goes with the story's agreement


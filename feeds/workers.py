"""What the poller's worker processes run: parsing and analysis, the CPU work of a round.

Kept apart from `feeds.pipeline` so that a worker imports only what it needs. The fork server preloads
`feeds.warm`, so a worker starts with the analyzer and the catalogue's compiled patterns already in
memory instead of building them itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from feeds.articles import wants_article
from feeds.models import Agreement, Analysis, Story

_ANALYZER: Any = None


def init(extra: Sequence[Agreement]) -> None:
    global _ANALYZER
    _as_child_of_the_poller()
    from feeds.analyze import Analyzer

    if extra:
        from feeds.agreements import load_catalogue

        _ANALYZER = Analyzer(load_catalogue(extra))
    else:
        from feeds.warm import ANALYZER

        _ANALYZER = ANALYZER


def _as_child_of_the_poller() -> None:
    """In a worker process (not a thread pool in the poller's own process): leave Ctrl-C to the poller,
    and end when the poller ends, however it ends.

    Ctrl-C reaches the whole process group: the poller handles it and ends its workers; a worker that took
    it too would print a KeyboardInterrupt traceback of its own. A killed poller (kill -9, out of memory)
    never tells its pool to stop, and a worker blocked on its job queue would wait forever, keeping its fork
    server alive too. The parent's sentinel becomes ready when the parent process is gone.
    """
    import multiprocessing
    import os
    import signal
    import threading

    parent = multiprocessing.parent_process()
    if parent is None:  # a thread pool in the poller's own process: signals are not a thread's to set
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        parent.join()
        os._exit(0)

    threading.Thread(target=watch, name="migwatch-parent-watch", daemon=True).start()


def parse(body: bytes, url: str, content_type: str | None, feed_url: str | None = None) -> Any:
    """ParsedFeed, or one line saying why the body is not a feed."""
    from feeds.parse import NotAFeed, parse_feed

    try:
        return parse_feed(body, url, content_type, feed_url)
    except NotAFeed as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - a parser crash on hostile bytes is that feed's error
        return f"cannot parse the feed ({type(exc).__name__}: {str(exc)[:200]})"


def parse_and_analyze(body: bytes, url: str, feed_url: str, content_type: str | None,
                      skip: frozenset[str], full_text: str = "never"
                      ) -> tuple[Any, list[Analysis | None], frozenset[str]]:
    """One trip to the worker per feed: parse, then analyse every story not in `skip` (the ids this feed
    already stored). Returns the ParsedFeed (or the error line), an analysis per story (None: skipped) and
    the ids of the new stories whose article is worth fetching under the feed's `full_text` mode."""
    parsed = parse(body, url, content_type, feed_url)
    if isinstance(parsed, str):
        return parsed, [], frozenset()
    analyses: list[Analysis | None] = []
    wanted: set[str] = set()
    for story in parsed.stories:
        if story.id in skip:
            analyses.append(None)
            continue
        analyses.append(_ANALYZER.analyze(story))
        if story.link and wants_article(full_text, story.title, story.text, looks_relevant):
            wanted.add(story.id)
    return parsed, analyses, frozenset(wanted)


def looks_relevant(title: str, summary: str) -> bool:
    """The broad prefilter for fetching an article: a headline and a sentence that could concern a tracked
    agreement or migration at all."""
    from feeds.understand import worth_article

    return bool(worth_article(title, summary, _ANALYZER.catalogue))


def article_and_analyze(body: bytes, url: str | None, story: Story) -> tuple[str, str, str | None, Analysis | None]:
    """The article's main text (trafilatura) and the story analysed again with it: (status, text, why, analysis).
    The analysis is None unless the page gave an article."""
    from feeds.articles import extract_main_text

    try:
        status, text, why = extract_main_text(body, url, story.title, story.text)
    except Exception as exc:  # noqa: BLE001 - a page that breaks the extractor is that article's failure
        return "failed", "", f"cannot read the page ({type(exc).__name__})", None
    if status != "ok":
        return status, "", why, None
    return status, text, None, _ANALYZER.analyze(replace(story, article=text))

"""What the poller's worker processes run: parsing and analysis, the CPU work of a round.

Kept apart from `feeds.pipeline` so that a worker imports only what it needs. The fork server preloads
`feeds.warm`, so a worker starts with the analyzer and the catalogue's compiled patterns already in
memory instead of building them itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from feeds.models import Agreement, Analysis

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
                      skip: frozenset[str]) -> tuple[Any, list[Analysis | None]]:
    """One trip to the worker per feed: parse, then analyse every story not in `skip` (the ids this feed
    already stored). Returns the ParsedFeed (or the error line) and an analysis per story (None: skipped)."""
    parsed = parse(body, url, content_type, feed_url)
    if isinstance(parsed, str):
        return parsed, []
    return parsed, [None if s.id in skip else _ANALYZER.analyze(s) for s in parsed.stories]

"""How the dashboard behaves on a big database: time to the first inbox paint and key latency.

    .venv/bin/python bench/dashboard_scale.py [--stories 100000] [--db PATH] [--presses 200]

Builds the database through Store.save_feed_result (its executemany path) unless --db already holds one,
then drives the real MigwatchApp headless with Textual's Pilot and prints:
  - build time, time from start to the inbox showing rows (the app's `loaded` event),
  - p50 / p95 / max latency of j, k and s key presses (posted as the driver posts them → answered),
  - how long the first page fetch takes when scrolling past the loaded rows.

With --poll-config FILE (e.g. the feed farm's feeds.toml from ../shared/bench, served by its serve.sh) it
also measures key latency while the real poller runs a round over those feeds on the same event loop:
each j/k is posted as the terminal driver would post it and timed until the cursor has moved (the app
has answered), with no Pilot overhead; and it prints the process's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from feeds.config import FeedConfig, Settings  # noqa: E402
from feeds.models import Analysis, Evidence, FeedState, Match, Payment, RightsWarning, StageEvent, Story  # noqa: E402
from store import Store  # noqa: E402

AGREEMENTS = ("uk-rwanda", "us-rwanda", "us-el-salvador", "italy-albania", "eu-tunisia")


def build(db: Path, stories: int, feeds: int = 50) -> float:
    started = time.perf_counter()
    store = Store(db)
    base = datetime(2024, 1, 1, tzinfo=UTC)
    urls = [f"https://feed{i}.example/rss" for i in range(feeds)]
    store.sync_feeds([(u, f"Feed {i}", ()) for i, u in enumerate(urls)])
    per_feed: dict[str, list[tuple[Story, Analysis]]] = {u: [] for u in urls}
    for i in range(stories):
        agreement = AGREEMENTS[i % len(AGREEMENTS)]
        text = (f"Story {i}: officials discussed the {agreement} arrangement again. "
                f"The payment of {i % 90 + 10} million was claimed by the receiving state. "
                "Rights groups warned of refoulement.")
        s = Story(id=f"b{i:07d}", title=f"Story {i} on the {agreement} arrangement", text=text,
                  link=f"https://news.example/{i}", published=base + timedelta(minutes=i))
        first = text.index(".") + 1
        ev = Evidence(text[:first], 0, first)
        matched = i % 3 == 0
        analysis = Analysis(
            s.id,
            matches=(Match(agreement, 0.9, True, ev),) if matched else (),
            stages=(StageEvent(agreement, "negotiating", ev),) if matched and i % 30 == 0 else (),
            payments=(Payment((i % 90 + 10) * 1e6, "GBP", "UK", "Rwanda", "claimed", ev, agreement),)
            if matched and i % 15 == 0 else (),
            warnings=(RightsWarning("UNHCR", "refoulement", ev, agreement),) if matched and i % 21 == 0 else (),
        )
        per_feed[urls[i % feeds]].append((s, analysis))
    for url, items in per_feed.items():
        store.save_feed_result(FeedState(url=url, last_result="ok", last_status=200), items)
    store.close()
    return time.perf_counter() - started


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def timed_key(app: Any, key: str) -> float:
    """Post a key as the terminal driver would and time it until the app has answered it: the cursor has
    moved (j/k) or the triage action has run and updated the row (s). Milliseconds; no Pilot overhead."""
    from textual import events

    done = asyncio.Event()
    if key == "s":
        original = app.action_triage

        def traced(what: str) -> None:
            original(what)
            done.set()

        app.action_triage = traced
    before = app.inbox.cursor_row
    started = time.perf_counter()
    app.post_message(events.Key(key, key))
    while time.perf_counter() - started < 5:  # bounded
        if (key == "s" and done.is_set()) or (key != "s" and app.inbox.cursor_row != before):
            break
        await asyncio.sleep(0.0005)
    elapsed = (time.perf_counter() - started) * 1000
    if key == "s":
        app.action_triage = original
    return elapsed


async def measure(db: Path, presses: int, poller_factory: Any = None, poll_during: bool = False) -> dict[str, Any]:
    from tui.app import MigwatchApp  # imported before the clock starts: Python start-up is not the app's

    settings = Settings(feeds=(FeedConfig("bench", "https://feed0.example/rss"),))
    started = time.perf_counter()
    app = MigwatchApp(settings, db, poller_factory=poller_factory, autopoll=poll_during)
    out: dict[str, Any] = {}
    async with app.run_test(size=(160, 48)) as pilot:
        mounted = time.perf_counter()
        await asyncio.wait_for(app.loaded.wait(), 30)  # set by the batch that put the first rows on screen
        out["first_paint_s"] = time.perf_counter() - started
        await asyncio.wait_for(app.ordered.wait(), 30)  # set by the batch that showed the exact order of every story
        out["full_order_s"] = time.perf_counter() - started
        await asyncio.wait_for(app.workers.wait_for_complete(), 60)  # the ledger panes and counts follow
        await pilot.pause()
        out["all_loaded_s"] = time.perf_counter() - started
        out["mount_s"] = mounted - started
        out["inbox_total"] = len(app.inbox.ids)
        out["inbox_rows_shown"] = app.inbox.row_count
        for key in ("j", "k", "s"):
            latencies = []
            if key == "k":
                app.inbox.move_cursor(row=presses, animate=False)
                await pilot.pause()
            for _ in range(presses):
                latencies.append(await timed_key(app, key))
                await asyncio.sleep(0.03)  # a person's pace
            out[key] = latencies
        await asyncio.wait_for(app.workers.wait_for_complete(), 60)
        # Scroll past the loaded rows: the next page comes from SQLite by primary key.
        t = time.perf_counter()
        app.inbox.move_cursor(row=app.inbox.row_count - 1, animate=False)
        await pilot.pause()
        out["page_fetch_ms"] = (time.perf_counter() - t) * 1000
        out["inbox_rows_after_page"] = app.inbox.row_count
        out.update(await measure_ledger(app, pilot))
        await pilot.press("q")
    return out


async def measure_ledger(app: Any, pilot: Any, repeats: int = 5) -> dict[str, Any]:
    """The dossier of the agreement with most stories (and most facts), from the call to its first paint (read on the db
    thread, then drawn), and a correction: `c` on a Payments row posted as the terminal driver would, to the
    row showing the user's mark (the write on the db thread included)."""
    from textual import events

    from tui.panes.dossier import DossierScreen

    # Five agreements share the most stories in the synthetic data: the one whose dossier holds most facts
    # (uk-rwanda: its stage events and payments), not whichever the GROUP BY happens to list first.
    top = app.store.conn.execute(
        "SELECT m.agreement_id, count(*), (SELECT count(*) FROM facts f WHERE f.agreement_id = m.agreement_id) "
        "FROM matches m WHERE m.main = 1 GROUP BY 1 ORDER BY 2 DESC, 3 DESC, 1 LIMIT 1").fetchone()
    out: dict[str, Any] = {"dossier_agreement": top[0], "dossier_stories": top[1], "dossier_facts": top[2],
                           "dossier_ms": [],
                           "dossier_read_ms": [], "correction_ms": [], "correction_write_ms": []}
    # Told when the screen is on the stack and filled (no polling loop of ours competing with the db thread
    # for the interpreter while it reads).
    shown = asyncio.Event()
    show = DossierScreen.show

    def filled(screen: DossierScreen, *args: Any, **kw: Any) -> None:
        show(screen, *args, **kw)
        if screen.dossier is not None and screen in app.screen_stack:
            shown.set()

    push = app.push_screen

    def pushed(screen: Any, *args: Any, **kw: Any) -> Any:
        result = push(screen, *args, **kw)
        if isinstance(screen, DossierScreen) and screen.dossier is not None:
            shown.set()
        return result

    DossierScreen.show = filled  # type: ignore[method-assign]
    app.push_screen = pushed
    for _ in range(repeats):
        shown.clear()
        t = time.perf_counter()
        app.open_dossier(top[0])
        await asyncio.wait_for(shown.wait(), 30)
        assert isinstance(app.screen, DossierScreen) and app.screen.dossier is not None
        painted = asyncio.Event()
        app.screen.call_after_refresh(painted.set)
        await painted.wait()
        out["dossier_ms"].append((time.perf_counter() - t) * 1000)
        out["dossier_read_ms"].append(app.last_dossier_ms)
        app.pop_screen()
        await pilot.pause()
    app.push_screen = push
    DossierScreen.show = show  # type: ignore[method-assign]
    payments = app.query_one("#payments")
    unmarked = [i for i, k in enumerate(payments.rows) if not payments.get_row(k)[0].plain.startswith("✎")]
    for i in unmarked[:repeats]:
        payments.focus()
        payments.move_cursor(row=i, animate=False)
        await pilot.pause()
        key = payments.current_key()
        t = time.perf_counter()
        app.post_message(events.Key("c", "c"))
        while not str(payments.get_row(key)[0].plain).startswith("✎"):  # noqa: ASYNC110 - what is timed
            await asyncio.sleep(0.0005)
        out["correction_ms"].append((time.perf_counter() - t) * 1000)
        out["correction_write_ms"].append(app.last_correction_ms)
        await asyncio.wait_for(app.workers.wait_for_complete(), 30)
    return out


async def measure_during_poll(db: Path, config: Path, presses: int) -> dict[str, Any]:
    """Key latency while a real poll round runs in the app (same loop, process pool, writer thread)."""
    import resource

    from feeds.config import load_config
    from feeds.pipeline import start_worker_server
    from tui.app import MigwatchApp

    settings = load_config(config)
    start_worker_server()  # as run_dashboard does, before the app owns stdio
    app = MigwatchApp(settings, db, autopoll=True)
    app._force_poll = True  # a full round whatever the feeds' schedule (as `r` does)
    out: dict[str, Any] = {"latencies": [], "during_round": 0}
    async with app.run_test(size=(160, 48)) as pilot:
        await asyncio.wait_for(app.loaded.wait(), 30)
        for _ in range(400):  # the round starts right after the first paint
            if app._polling:
                break
            await asyncio.sleep(0.05)
        round_started = time.perf_counter()
        for i in range(presses):
            key = "j" if (i // 20) % 2 == 0 else "k"
            polling = app._polling
            latency = await timed_key(app, key)
            if polling and app._polling:
                out["latencies"].append(latency)
            await asyncio.sleep(0.03)  # a person's pace: ~30 keys a second at most
        out["round_seconds_at_end"] = time.perf_counter() - round_started
        out["still_polling"] = app._polling
        for _ in range(1200):
            if not app._polling:
                break
            await asyncio.sleep(0.1)
        out["round_s"] = time.perf_counter() - round_started
        out["round"] = app._last_round.summary() if app._last_round is not None else app._poll_error
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        await pilot.press("q")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="reuse (or create) this database")
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--poll-config", type=Path, help="also time keys while polling these feeds")
    args = parser.parse_args()
    tmp = None
    if args.db is None:
        tmp = tempfile.TemporaryDirectory(prefix="migwatch-bench-")
        args.db = Path(tmp.name) / "bench.db"
    try:
        if not args.db.exists():
            seconds = build(args.db, args.stories)
            print(f"built {args.stories:,} stories in {seconds:.1f}s → {args.db}")
        result = asyncio.run(measure(args.db, args.presses))
        print(f"stories in inbox:        {result['inbox_total']:,} ({result['inbox_rows_shown']} rows shown)")
        print(f"app mounted:             {result['mount_s'] * 1000:.0f} ms")
        print(f"first paint of inbox:    {result['first_paint_s'] * 1000:.0f} ms")
        print(f"exact order of all rows: {result['full_order_s'] * 1000:.0f} ms (paging enabled from then on)")
        print(f"ledger panes and counts: {result['all_loaded_s'] * 1000:.0f} ms (everything read)")
        for key in ("j", "k", "s"):
            values = result[key]
            print(f"key {key!r} latency (ms):   p50 {statistics.median(values):.1f}  p95 {_pct(values, 95):.1f}  "
                  f"max {max(values):.1f}  (n={len(values)})")
        print(f"next page on scroll:     {result['page_fetch_ms']:.0f} ms "
              f"(rows now {result['inbox_rows_after_page']})")
        d, r = result["dossier_ms"], result["dossier_read_ms"]
        print(f"dossier of {result['dossier_agreement']} ({result['dossier_stories']:,} stories, "
              f"{result['dossier_facts']:,} facts): "
              f"open {statistics.median(d):.0f} ms median, max {max(d):.0f} (read on the db thread "
              f"{statistics.median(r):.0f} ms)")
        c, w = result["correction_ms"], result["correction_write_ms"]
        print(f"correction (c on a payment) saved and shown: median {statistics.median(c):.0f} ms, "
              f"max {max(c):.0f} (write {statistics.median(w):.0f} ms)")
        if args.poll_config:
            during = asyncio.run(measure_during_poll(args.db, args.poll_config, args.presses))
            values = during["latencies"]
            if values:
                print(f"keys during a poll (ms): p50 {statistics.median(values):.1f}  p95 {_pct(values, 95):.1f}  "
                      f"max {max(values):.1f}  (n={len(values)} presses while the round ran)")
            else:
                print("keys during a poll: the round ended before any press (use more feeds)")
            print(f"poll round:              {during['round']}")
            print(f"poll round:              {during['round_s']:.1f}s; peak RSS of the dashboard process "
                  f"{during['peak_rss_mb']:.0f} MB")
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What reading the articles costs: a 500-feed farm round with article pages behind its links.

    .venv/bin/python bench/articles_round.py [--shared ../shared] [--feeds 500] [--reps 2] [--pages 300]
                                             [--keys 300]

Generates the shared feed farm (../shared/bench/make_farm.py) into a temporary folder and serves it itself,
on loopback only: the feeds from 127.0.0.1, and for every item an article page (the item's text amid the
clutter of a real news page: navigation, cookie banner, "most read", newsletter box, comments) spread over
127.0.0.2-127.0.0.9 as eight outlets. Then prints, side by side in one run:

  1. `migwatch poll --once` with full_text = "never", "auto" (on the farm's 1-3 KB summaries few items are
     short enough to need their article) the feed phase (the round's own
     seconds, which articles do not hold up), the article phase, CPU of the process tree and its peak RSS.
     and "always" (every item's article: the heaviest load). The articles here are fetched without the
     polite delay (article_delay = 0: the server is ours), so the article phase measures CPU, not
     politeness.
  2. Fetching, extracting and analysing one article, in one process, for --pages pages: CPU per article
     (median, p90, p99, max).
  3. The dashboard's key latency (j/k, p50/p95) while the poller fetches articles on its event loop.

Goals (issue 11): feed phase with articles ≤ 1.1× without; article CPU median ≤ 40 ms; keys p95 < 50 ms;
peak RSS < 400 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import html
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ARTICLE_HOSTS = [f"127.0.0.{n}" for n in range(2, 10)]
_ITEM = re.compile(r"<(?:item|entry)\b.*?</(?:item|entry)>", re.DOTALL)
_LINK = re.compile(r"http://127\.0\.0\.1:(\d+)/a/(\d{4})/(\d+)\.html")
_TAG = re.compile(r"<[^>]+>")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Farm:
    """The farm's feeds with their article links moved to eight outlet hosts, and a page per item."""

    def __init__(self, www: Path, port: int) -> None:
        self.feeds: dict[str, bytes] = {}
        self.pages: dict[str, tuple[str, str]] = {}  # /a/FFFF/NNNNN.html → (title, text)
        self.port = port
        for path in sorted((www / "f").glob("*.xml")):
            raw = path.read_text(encoding="utf-8")
            for item in _ITEM.findall(raw):
                m = _LINK.search(item)
                if not m:
                    continue
                title = re.search(r"<title[^>]*>(.*?)</title>", item, re.DOTALL)
                body = re.search(r"<(?:description|summary|content)[^>]*>(.*?)</(?:description|summary|content)>",
                                 item, re.DOTALL)
                text = html.unescape(_TAG.sub(" ", html.unescape((body.group(1) if body else "")
                                                                 .replace("<![CDATA[", "").replace("]]>", ""))))
                self.pages[f"/a/{m.group(2)}/{m.group(3)}.html"] = (
                    html.unescape(_TAG.sub("", title.group(1))) if title else "", re.sub(r"\s+", " ", text))
            self.feeds[f"/f/{path.name}"] = _LINK.sub(self._moved, raw).encode("utf-8")

    def _moved(self, m: re.Match[str]) -> str:
        host = ARTICLE_HOSTS[int(m.group(2)) % len(ARTICLE_HOSTS)]
        return f"http://{host}:{self.port}/a/{m.group(2)}/{m.group(3)}.html"

    def page(self, path: str) -> bytes | None:
        found = self.pages.get(path)
        if found is None:
            return None
        title, text = found
        # The article is longer than the feed's summary: the summary, then more of the same story.
        words = text.split()
        paragraphs = [" ".join(words[i:i + 60]) for i in range(0, len(words), 60)] or ["(empty)"]
        extra = [f"{p} The ministry said talks would continue next month." for p in paragraphs]
        body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs + extra)
        most_read = "".join(f"<li><a href='/x/{i}'>Most read headline number {i}</a></li>" for i in range(8))
        return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)} | Outlet</title>
<meta name="description" content="{html.escape(text[:150])}"></head><body>
<div class="cookie-banner">We use cookies. <button>Accept all</button><button>Manage</button></div>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/politics">Politics</a>
<a href="/subscribe">Subscribe for £1</a></nav></header>
<main><article><h1>{html.escape(title)}</h1><p class="byline">By a correspondent</p>
{body}</article>
<aside class="most-read"><h2>Most read</h2><ol>{most_read}</ol></aside>
<section class="newsletter"><h2>Newsletter</h2><p>Sign up for the morning briefing.</p></section>
<section class="comments"><h2>Comments</h2><div>This has cost £2bn already.</div>
<div>UNHCR warned about this years ago.</div></section></main>
<footer>© Outlet. <a href="/terms">Terms</a></footer></body></html>""".encode()


def serve(farm: Farm, hosts: list[str], port: int) -> list[ThreadingHTTPServer]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/robots.txt":
                body, ctype = b"User-agent: *\nAllow: /\n", "text/plain"
            elif self.path in farm.feeds:
                body, ctype = farm.feeds[self.path], "application/xml"
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
            else:
                page = farm.page(self.path)
                if page is None:
                    body, ctype = b"not found", "text/plain"
                    self.send_response(404)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                body, ctype = page, "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if self.path in farm.feeds:
                self.send_header("ETag", '"' + hashlib.sha1(body).hexdigest()[:16] + '"')
            self.end_headers()
            self.wfile.write(body)

    servers = []
    for host in hosts:
        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def poll_once(tmp: Path, feeds: list[str], mode: str, tag: str) -> dict[str, object]:
    config = tmp / f"{tag}.toml"
    db = tmp / f"{tag}.db"
    db.unlink(missing_ok=True)
    config.write_text(f'[poll]\nconcurrency = 16\ntimeout = "30s"\nfull_text = "{mode}"\narticle_delay = 0\n\n'
                      + "".join(f'[[feeds]]\nname = "farm {i}"\nurl = "{u}"\n\n' for i, u in enumerate(feeds)),
                      encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "migwatch"), "--config", str(config), "--db", str(db),
                           "poll", "--once"], capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        sys.exit(f"poll --once exited {done.returncode}: {done.stderr[-400:]}")
    feed_phase = float(re.search(r" in ([\d.]+)s", done.stdout).group(1))  # type: ignore[union-attr]
    articles = re.search(r"articles: (.*)", done.stdout)
    return {"mode": mode, "wall": wall, "feed_phase": feed_phase, "article_phase": wall - feed_phase,
            "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "peak_rss_mb": after.ru_maxrss / 1024, "articles": articles.group(1) if articles else "none",
            "summary": done.stdout.splitlines()[0] if done.stdout else ""}


async def article_cpu(farm: Farm, port: int, pages: int) -> list[float]:
    """CPU seconds per article: fetch (in this process's loop), extract and analyse (in this process)."""
    from feeds.agreements import load_catalogue
    from feeds.analyze import Analyzer
    from feeds.articles import ArticleFetcher, ArticleJob, extract_main_text
    from feeds.fetch import new_client
    from feeds.models import Story

    analyzer = Analyzer(load_catalogue())
    client = new_client(4, 20.0)
    fetcher = ArticleFetcher(client, delay=0.0)
    paths = sorted(farm.pages)[:: max(1, len(farm.pages) // pages)][:pages]
    costs = []
    try:
        for path in paths:
            host = ARTICLE_HOSTS[int(path.split("/")[2]) % len(ARTICLE_HOSTS)]
            title, summary = farm.pages[path]
            started = time.process_time()
            page = await fetcher.fetch(ArticleJob("s", f"http://{host}:{port}{path}", f"http://{host}/feed"))
            assert page.body is not None, page
            status, text, _ = extract_main_text(page.body, page.final_url, title, summary[:200])
            analyzer.analyze(Story(id="s", title=title, text=summary[:200], article=text))
            costs.append(time.process_time() - started)
    finally:
        await client.aclose()
    return costs


async def keys_while_fetching(tmp: Path, feeds: list[str], presses: int, delay: float) -> dict[str, object]:
    sys.path.insert(0, str(ROOT / "bench"))
    from dashboard_scale import timed_key  # type: ignore[import-not-found]

    from feeds.config import load_config
    from feeds.pipeline import start_worker_server
    from tui.app import MigwatchApp

    config = tmp / "keys.toml"
    config.write_text(f'[poll]\nconcurrency = 16\ntimeout = "30s"\nfull_text = "always"\narticle_delay = {delay:g}\n\n'
                      + "".join(f'[[feeds]]\nname = "farm {i}"\nurl = "{u}"\n\n' for i, u in enumerate(feeds)),
                      encoding="utf-8")
    db = tmp / "keys.db"
    db.unlink(missing_ok=True)
    start_worker_server()
    app = MigwatchApp(load_config(config), db, autopoll=True)
    app._force_poll = True
    latencies: list[float] = []
    fetched_during = 0
    async with app.run_test(size=(160, 48)):
        await asyncio.wait_for(app.loaded.wait(), 60)
        deadline = time.perf_counter() + 300
        while time.perf_counter() < deadline:  # wait for the round to end and the articles to start
            poller = app._poller
            if poller is not None and not app._polling and poller.articles_pending:
                break
            await asyncio.sleep(0.1)
        poller = app._poller
        if poller is None or not poller.articles_pending:
            return {"latencies": [], "note": "no articles were being fetched"}
        before = sum(poller.articles.counts.values())
        for i in range(presses):
            if not poller.articles_pending:
                break
            latencies.append(await timed_key(app, "j" if (i // 20) % 2 == 0 else "k"))
            await asyncio.sleep(0.03)
        fetched_during = sum(poller.articles.counts.values()) - before
        app.exit()
    return {"latencies": latencies, "fetched_during": fetched_during,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--feeds", type=int, default=500)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--keys", type=int, default=300)
    ap.add_argument("--modes", default="never,auto,always", help="full_text modes to time, comma-separated")
    ap.add_argument("--skip-cpu", action="store_true", help="skip the per-article CPU figures")
    args = ap.parse_args()
    make_farm = args.shared / "bench" / "make_farm.py"
    if not make_farm.exists():
        print(f"skipped: {make_farm} is not here (the farm comes from ../shared/bench)")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="mw-articles-"))
    port = free_port()
    try:
        subprocess.run([sys.executable, str(make_farm), "-n", str(args.feeds), "--port", str(port),
                        "--out", str(tmp / "farm")], check=True, capture_output=True)
        farm = Farm(tmp / "farm" / "www", port)
        servers = serve(farm, ["127.0.0.1", *ARTICLE_HOSTS], port)
        feeds = [f"http://127.0.0.1:{port}{p}" for p in sorted(farm.feeds)]
        print(f"farm: {len(feeds)} feeds, {len(farm.pages):,} items with an article page on "
              f"{len(ARTICLE_HOSTS)} outlet hosts")

        runs = []
        for rep in range(args.reps):
            for mode in args.modes.split(","):
                run = poll_once(tmp, feeds, mode, f"{mode}{rep}")
                runs.append(run)
                print(f"  rep {rep + 1} full_text={mode:5s}: feed phase {run['feed_phase']:.1f}s, article phase "
                      f"{run['article_phase']:.1f}s, CPU {run['cpu']:.1f}s, peak RSS {run['peak_rss_mb']:.0f} MB; "
                      f"{run['articles']}")
        off = statistics.median(float(r["feed_phase"]) for r in runs if r["mode"] == "never")  # type: ignore[arg-type]
        for mode in [m for m in args.modes.split(",") if m != "never"]:
            on = statistics.median(float(r["feed_phase"]) for r in runs if r["mode"] == mode)  # type: ignore[arg-type]
            print(f"feed phase, full_text {mode} / never: {on:.1f}s / {off:.1f}s = {on / off:.2f} (goal ≤ 1.10)")
        print(f"peak RSS of one poller process: {max(float(r['peak_rss_mb']) for r in runs):.0f} MB "  # type: ignore[arg-type]
              "(goal < 400)")

        costs = [] if args.skip_cpu else asyncio.run(article_cpu(farm, port, args.pages))
        ms = [c * 1000 for c in costs] or [0.0]
        print(f"one article, fetch + extract + analyse, CPU ms over {len(ms)} pages: median {statistics.median(ms):.1f}"
              f"  p90 {pct(ms, 90):.1f}  p99 {pct(ms, 99):.1f}  max {max(ms):.1f}  (goal: median ≤ 40)")

        for delay in (1.0, 0.0):  # the default politeness, then as fast as the machine goes
            keys = asyncio.run(keys_while_fetching(tmp, feeds, args.keys, delay))
            lat = keys["latencies"]
            if lat:
                print(f"dashboard keys while articles are fetched, article_delay {delay:g}s (ms): "
                      f"p50 {statistics.median(lat):.1f}  p95 {pct(lat, 95):.1f}  max {max(lat):.1f}  "  # type: ignore[arg-type]
                      f"(n={len(lat)}, {keys['fetched_during']} articles fetched meanwhile; goal p95 < 50)")
            else:
                print(f"dashboard keys while articles are fetched: {keys.get('note')}")
        for server in servers:
            server.shutdown()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

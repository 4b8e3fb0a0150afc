"""One `migwatch poll --once` round over hostile servers on 127.0.0.1, with figures.

    python bench/hostile_round.py [--timeout 5] [--json]

Serves, from a loopback server this script starts (and stops): a good feed, a 301 to the same good feed,
and feeds that return 500, 404, 410, 429 + Retry-After, an HTML page, random bytes, an empty body,
truncated XML, a billion-laughs entity bomb, a 200 MB body (streamed, never held), a body that drips one
byte a second, a redirect loop, a refused connection, a connection closed before any response, and a
host that does not resolve (simulated in the polling process: no DNS query is made).

Prints wall time, peak RSS of the poller, its exit code, each feed's recorded result, the good feed's
story count and the database's integrity check; exits 1 if any of those is off.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

GOOD = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Good feed</title>
<item><title>Kigali talks with Washington on deportees continue</title><guid>urn:hostile:good:1</guid>
<description>Rwanda said talks with the United States on receiving deported migrants were ongoing.</description></item>
<item><title>Court hears challenge to offshore processing</title><guid>urn:hostile:good:2</guid>
<description>Lawyers asked the court to halt transfers to Nauru.</description></item>
<item><title>Unrelated: a football sponsorship</title><guid>urn:hostile:good:3</guid>
<description>A club signed a tourism sponsorship.</description></item>
</channel></rss>"""

BOMB = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&%s;" % bytes([97 + i])) * 10) for i in range(9))
        + b']><rss version="2.0"><channel><title>&j;</title><item><title>&j;</title><description>&j;</description>'
        b"</item></channel></rss>")

HUGE = 200 * 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def send(self, status: int, body: bytes = b"", ctype: str = "application/rss+xml", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path
        try:
            if path == "/good.xml":
                self.send(200, GOOD, ETag='"good-1"')
            elif path == "/moved.xml":
                self.send(301, Location="/good.xml")
            elif path == "/500.xml":
                self.send(500, b"internal error", "text/plain")
            elif path == "/404.xml":
                self.send(404, b"not found", "text/plain")
            elif path == "/410.xml":
                self.send(410, b"gone", "text/plain")
            elif path == "/429.xml":
                self.send(429, b"slow down", "text/plain", Retry_After="3600")
            elif path == "/html.xml":
                self.send(200, b"<!DOCTYPE html><html><body><h1>Not a feed</h1></body></html>", "text/html")
            elif path == "/random.xml":
                self.send(200, random.Random(7).randbytes(65536), "application/octet-stream")
            elif path == "/empty.xml":
                self.send(200, b"")
            elif path == "/truncated.xml":
                self.send(200, GOOD[: len(GOOD) // 2])
            elif path == "/truncated-entry.xml":
                # Cut inside the second entry's text: that entry must not be stored with its text cut off.
                self.send(200, GOOD[: GOOD.index(b"Lawyers asked the") + 17])
            elif path == "/bomb.xml":
                self.send(200, BOMB)
            elif path == "/huge.xml":
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(HUGE))
                self.end_headers()
                chunk = b"<item><title>x</title></item>" * 2048
                sent = 0
                while sent < HUGE:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            elif path == "/huge-chunked.xml":
                # No Content-Length: the cap must hold on the bytes actually read.
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"<item><title>x</title></item>" * 2048
                for _ in range(HUGE // len(chunk)):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            elif path == "/drip.xml":
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(GOOD)))
                self.end_headers()
                for i in range(len(GOOD)):
                    self.wfile.write(GOOD[i:i + 1])
                    self.wfile.flush()
                    time.sleep(1.0)
            elif path == "/loop-a.xml":
                self.send(302, Location="/loop-b.xml")
            elif path == "/loop-b.xml":
                self.send(302, Location="/loop-a.xml")
            elif path == "/close.xml":
                self.connection.shutdown(socket.SHUT_RDWR)
                self.connection.close()
            else:
                self.send(404, b"", "text/plain")
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


# Runs in the polling process: names under .invalid fail like a DNS miss, without asking any resolver.
NO_DNS = """
import socket, sys
_real = socket.getaddrinfo
def _fake(host, *a, **k):
    if isinstance(host, str) and host.endswith('.invalid'):
        raise socket.gaierror(socket.EAI_NONAME, 'Name or service not known')
    return _real(host, *a, **k)
socket.getaddrinfo = _fake
from tui.cli import main
sys.exit(main(sys.argv[1:]))
"""

PATHS = ["good", "moved", "500", "404", "410", "429", "html", "random", "empty", "truncated", "truncated-entry",
         "bomb", "huge", "huge-chunked", "drip", "loop-a", "close"]
# Feeds that must end as a recorded failure (everything but the good feed, its 301 and the truncated bodies,
# which keep their complete entries).
FAILING = {"500", "404", "410", "429", "html", "random", "empty", "bomb", "huge", "huge-chunked", "drip", "loop-a",
           "close", "refused", "nxdomain"}
GOOD_TEXTS = {
    "urn:hostile:good:1": "Rwanda said talks with the United States on receiving deported migrants were ongoing.",
    "urn:hostile:good:2": "Lawyers asked the court to halt transfers to Nauru.",
    "urn:hostile:good:3": "A club signed a tourism sponsorship.",
}


def _tree_rss_kb(root: int) -> tuple[int, int]:
    """(sum, max) RSS in KB over a process and all its descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
            with open(f"/proc/{entry}/statm", "rb") as fh:
                pages = int(fh.read().split()[1])
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = pages * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total = peak = 0
    todo = [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        peak = max(peak, rss.get(pid, 0))
        todo.extend(children.get(pid, ()))
    return total, peak


class TreeMemory:
    """Samples the poller's process tree (it forks parse workers) every 50 ms; keeps the peaks."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_total_kb = 0
        self.peak_process_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            if os.path.isdir("/proc"):
                total, peak = _tree_rss_kb(self.pid)
                self.peak_total_kb = max(self.peak_total_kb, total)
                self.peak_process_kb = max(self.peak_process_kb, peak)
            self._stop.wait(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run(timeout: float) -> dict:
    server = Server(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    refused_port = closed.getsockname()[1]
    closed.close()
    try:
        with tempfile.TemporaryDirectory(prefix="migwatch-hostile-") as tmp:
            feeds = [(p, f"http://127.0.0.1:{port}/{p}.xml") for p in PATHS]
            feeds.append(("refused", f"http://127.0.0.1:{refused_port}/feed.xml"))
            feeds.append(("nxdomain", "http://feeds.nonexistent.invalid/feed.xml"))
            config = Path(tmp) / "config.toml"
            # full_text = "never": hostile items may link anywhere, and this round talks to loopback only.
            lines = [f'[poll]\ninterval = "15m"\nconcurrency = 16\ntimeout = "{timeout:g}s"\nfull_text = "never"\n']
            lines += [f'[[feeds]]\nname = "{n}"\nurl = "{u}"\n' for n, u in feeds]
            config.write_text("\n".join(lines))
            db = Path(tmp) / "m.db"
            cmd = [sys.executable, "-c", NO_DNS, "--config", str(config), "--db", str(db)]
            started = time.monotonic()
            proc = subprocess.Popen([*cmd, "poll", "--once"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
            memory = TreeMemory(proc.pid)
            try:
                stdout, stderr = proc.communicate(timeout=timeout * 6 + 60)
            finally:
                memory.stop()
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            wall = time.monotonic() - started
            children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            health = subprocess.run([*cmd, "feeds"], capture_output=True, text=True, timeout=60)
            conn = sqlite3.connect(db)
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            # Keyed by the configured name of the URL (the row's own name is the config's, and two config
            # entries that end at one URL share a row).
            names = {u: n for n, u in feeds if n != "moved"}
            states = {names.get(r[0], r[0]): {"result": r[1], "error": r[2], "next": r[3], "why": r[4],
                                              "retired": bool(r[5])}
                      for r in conn.execute("SELECT url, last_result, last_error, next_poll_at, next_poll_why, "
                                            "retired FROM feeds WHERE moved_to IS NULL")}
            moved = conn.execute("SELECT url, moved_to FROM feeds WHERE moved_to IS NOT NULL").fetchall()
            stories = conn.execute("SELECT count(*), count(DISTINCT id) FROM stories").fetchone()
            texts = dict(conn.execute("SELECT id, text FROM stories").fetchall())
            good_feeds = [r[0] for r in conn.execute(
                "SELECT DISTINCT f.name FROM story_feeds sf JOIN feeds f ON f.url = sf.feed_url")]
            traceback = any("Traceback" in t for t in (stdout, stderr, health.stdout, health.stderr))
            conn.close()
    finally:
        server.shutdown()
        server.server_close()
    return {"wall_s": round(wall, 2), "timeout_s": timeout,
            "peak_rss_mb": round(memory.peak_total_kb / 1024, 1),  # the whole tree at once
            "peak_rss_process_mb": round(memory.peak_process_kb / 1024, 1),
            "peak_rss_children_mb": round(children_mb, 1),  # getrusage: the largest reaped process
            "exit_code": proc.returncode, "traceback": traceback, "integrity": integrity,
            "stories": stories[0], "distinct_stories": stories[1], "feeds": states, "moved": moved,
            "good_texts_ok": texts == GOOD_TEXTS, "stored_from": sorted(good_feeds),
            "feeds_exit_code": health.returncode, "feeds_output": health.stdout,
            "summary": stdout.strip().splitlines()[-1] if stdout.strip() else ""}


def problems(out: dict) -> list[str]:
    """Every check of the round that failed, as one line each (empty: all good)."""
    bad = []
    if out["exit_code"] != 0:
        bad.append(f"poll exit code {out['exit_code']}")
    if out["traceback"]:
        bad.append("a traceback was printed")
    if out["integrity"] != "ok":
        bad.append(f"integrity_check: {out['integrity']}")
    if out["peak_rss_mb"] >= 400:
        bad.append(f"peak RSS {out['peak_rss_mb']} MB")
    if out["wall_s"] > out["timeout_s"] + 10:
        bad.append(f"wall {out['wall_s']}s for a {out['timeout_s']}s timeout")
    if out["stories"] != 3 or out["distinct_stories"] != 3 or not out["good_texts_ok"]:
        bad.append(f"stories: {out['stories']} stored, expected the good feed's 3 with their whole text")
    for name in sorted(FAILING):
        st = out["feeds"].get(name)
        if st is None or st["result"] not in ("error", "gone", "throttled") or not st["error"]:
            bad.append(f"{name}: failure not recorded ({st})")
        elif not st["retired"] and not (st["next"] and st["why"]):
            bad.append(f"{name}: no next attempt recorded")
    if out["feeds"].get("good", {}).get("result") != "ok" or not out["moved"] or \
            any(not m[0].endswith("/moved.xml") or not m[1].endswith("/good.xml") for m in out["moved"]):
        bad.append(f"the good feed or its 301 was not handled (moved: {out['moved']})")
    if out["feeds_exit_code"] != 0:
        bad.append(f"`migwatch feeds` exit code {out['feeds_exit_code']}")
    for name in FAILING:
        block = out["feeds_output"].split(f"{name}  [", 1)
        if len(block) != 2 or "error:" not in block[1].split("\n")[1] or "next poll" not in block[1].split("\n")[1]:
            bad.append(f"`migwatch feeds` does not show {name}'s error and next poll")
    return bad


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = run(args.timeout)
    if args.json:
        print(json.dumps(out))
    else:
        print(f"hostile round: wall {out['wall_s']}s (timeout {out['timeout_s']}s), peak RSS {out['peak_rss_mb']} MB "
              f"(process tree; largest process {out['peak_rss_process_mb']} MB), "
              f"exit {out['exit_code']}, traceback: {out['traceback']}, integrity {out['integrity']}, "
              f"stories {out['stories']} ({out['distinct_stories']} distinct)")
        print(f"  {out['summary']}")
        for name, st in out["feeds"].items():
            print(f"  {name:12s} {st['result']:13s} {st['error'] or '':60.60s} next: {st['why']}")
    bad = problems(out)
    if not args.json:
        for line in bad:
            print(f"FAILED: {line}")
        print("hostile round:", "ok" if not bad else "FAILED")
    return 1 if bad else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())

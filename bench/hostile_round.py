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

PATHS = ["good", "moved", "500", "404", "410", "429", "html", "random", "empty", "truncated", "bomb", "huge",
         "huge-chunked", "drip", "loop-a", "close"]


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
            lines = [f'[poll]\ninterval = "15m"\nconcurrency = 16\ntimeout = "{timeout:g}s"\n']
            lines += [f'[[feeds]]\nname = "{n}"\nurl = "{u}"\n' for n, u in feeds]
            config.write_text("\n".join(lines))
            db = Path(tmp) / "m.db"
            started = time.monotonic()
            proc = subprocess.run([sys.executable, "-c", NO_DNS, "--config", str(config), "--db", str(db), "poll",
                                   "--once"], capture_output=True, text=True, timeout=timeout * 6 + 60)
            wall = time.monotonic() - started
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            conn = sqlite3.connect(db)
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            states = {r[0]: {"result": r[1], "error": r[2], "next": r[3], "why": r[4], "retired": bool(r[5])}
                      for r in conn.execute("SELECT name, last_result, last_error, next_poll_at, next_poll_why, "
                                            "retired FROM feeds WHERE moved_to IS NULL")}
            moved = conn.execute("SELECT url, moved_to FROM feeds WHERE moved_to IS NOT NULL").fetchall()
            stories = conn.execute("SELECT count(*), count(DISTINCT id) FROM stories").fetchone()
            traceback = "Traceback" in proc.stderr or "Traceback" in proc.stdout
            conn.close()
    finally:
        server.shutdown()
        server.server_close()
    return {"wall_s": round(wall, 2), "timeout_s": timeout, "peak_rss_mb": round(peak_mb, 1),
            "exit_code": proc.returncode, "traceback": traceback, "integrity": integrity,
            "stories": stories[0], "distinct_stories": stories[1], "feeds": states, "moved": moved,
            "summary": proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = run(args.timeout)
    if args.json:
        print(json.dumps(out))
    else:
        print(f"hostile round: wall {out['wall_s']}s (timeout {out['timeout_s']}s), peak RSS {out['peak_rss_mb']} MB, "
              f"exit {out['exit_code']}, traceback: {out['traceback']}, integrity {out['integrity']}, "
              f"stories {out['stories']} ({out['distinct_stories']} distinct)")
        print(f"  {out['summary']}")
        for name, st in out["feeds"].items():
            print(f"  {name:12s} {st['result']:13s} {st['error'] or '':60.60s} next: {st['why']}")
    bad = (out["exit_code"] != 0 or out["traceback"] or out["integrity"] != "ok" or out["peak_rss_mb"] > 400
           or out["wall_s"] > out["timeout_s"] + 10 or out["stories"] != 3)
    return 1 if bad else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())

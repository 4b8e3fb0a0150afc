"""feedparser's own test corpus (2,106 feeds) through one `migwatch poll --once` round, with figures.

    python bench/corpus_round.py [--corpus ../shared/corpus/feedparser-tests] [--concurrency 16] [--timeout 5]
                                 [--json]

Serves every *.xml file of the corpus from a loopback server this script starts (and stops), read in place
from ../shared (never copied), with the Content-Type its `Header:` comment names. Polls them all in one
round, then checks: exit 0, no traceback on stdout/stderr, no stored title with a control character (C0,
C1, DEL, ESC) or `<script`, no stored text with a control character other than tab and newline,
`PRAGMA integrity_check` ok, and every story the parser finds in the corpus (feeds.parse run in this
process on the same bytes) stored once. Prints wall time, feeds ok/errored, stories stored; exit 1 if a
check fails. Without the corpus it says so and exits 0 (a user's clone has no ../shared).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "feedparser-tests"
_HEADER = re.compile(rb"^Header:\s*Content-type:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
TITLE_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|<\s*script", re.IGNORECASE)
TEXT_BAD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def content_type(body: bytes) -> str:
    m = _HEADER.search(body[:2048])
    return m.group(1).decode("latin-1") if m else "application/xml"


def make_server(corpus: Path) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            rel = self.path.lstrip("/")
            path = (corpus / rel).resolve()
            if corpus not in path.parents or not path.is_file():
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = path.read_bytes()
            try:
                self.send_response(200)
                self.send_header("Content-Type", content_type(body))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 64

        def handle_error(self, request: object, client_address: object) -> None:
            pass

    return Server(("127.0.0.1", 0), Handler)


def expected_stories(files: list[Path], corpus: Path, base: str) -> tuple[set[str], int, int]:
    """What the parser finds in the corpus, called as the poller calls it: ids, stories before dedup across
    feeds (entries without a guid or link share a content-hash id), feeds it refuses."""
    sys.path.insert(0, str(ROOT))
    from feeds.parse import NotAFeed, parse_feed

    ids: set[str] = set()
    refused = found = 0
    for path in files:
        body = path.read_bytes()
        url = base + path.relative_to(corpus).as_posix()
        try:
            stories = parse_feed(body, url, content_type(body)).stories
            found += len(stories)
            ids.update(s.id for s in stories)
        except NotAFeed:
            refused += 1
        except Exception:  # noqa: BLE001 - the poller records these as that feed's error; counted there
            refused += 1
    return ids, found, refused


def run(corpus: Path, concurrency: int, timeout: float) -> dict:
    files = sorted(p for p in corpus.rglob("*.xml") if p.is_file())
    corpus = corpus.resolve()
    files = [p.resolve() for p in files]
    server = make_server(corpus)
    port = server.server_address[1]
    base = f"http://127.0.0.1:{port}/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        with tempfile.TemporaryDirectory(prefix="migwatch-corpus-") as tmp:
            config = Path(tmp) / "config.toml"
            # full_text = "never": the corpus's items link to the wide world (example.org …), and this round
            # talks to loopback only.
            lines = [f'[poll]\ninterval = "15m"\nconcurrency = {concurrency}\nper_host = {concurrency}\n'
                     f'timeout = "{timeout:g}s"\nfull_text = "never"\n']
            for p in files:
                rel = p.relative_to(corpus).as_posix()
                lines.append(f"[[feeds]]\nname = {json.dumps(rel)}\nurl = {json.dumps(base + rel)}\n")
            config.write_text("\n".join(lines), encoding="utf-8")
            db = Path(tmp) / "m.db"
            cmd = [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())",
                   "--config", str(config), "--db", str(db)]
            env = {**os.environ, "XDG_CONFIG_HOME": str(Path(tmp) / "cfg"), "XDG_DATA_HOME": str(Path(tmp) / "data")}
            started = time.monotonic()
            proc = subprocess.run([*cmd, "poll", "--once"], capture_output=True, text=True, timeout=900, env=env,
                                  cwd=ROOT)
            wall = time.monotonic() - started
            # The other read paths over the same hostile data: feed health and the stories export.
            health = subprocess.run([*cmd, "feeds"], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
            export = subprocess.run([*cmd, "export", "stories", "--format", "json"], capture_output=True, text=True,
                                    timeout=300, env=env, cwd=ROOT)
            conn = sqlite3.connect(db)
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            results = Counter(r[0] or "never" for r in conn.execute(
                "SELECT last_result FROM feeds WHERE moved_to IS NULL"))
            errors = Counter(re.sub(r"\d+", "N", (r[0] or ""))[:70] for r in conn.execute(
                "SELECT last_error FROM feeds WHERE last_result != 'ok'"))
            stored, distinct = conn.execute("SELECT count(*), count(DISTINCT id) FROM stories").fetchone()
            stored_ids = {r[0] for r in conn.execute("SELECT id FROM stories")}
            bad_titles = [(sid, t) for sid, t in conn.execute("SELECT id, title FROM stories")
                          if TITLE_BAD.search(t or "")]
            bad_texts = [sid for sid, t in conn.execute("SELECT id, text FROM stories") if TEXT_BAD.search(t or "")]
            script_texts = [t for (t,) in conn.execute("SELECT text FROM stories WHERE text LIKE '%<script%'")]
            orphans = conn.execute("SELECT count(*) FROM stories s LEFT JOIN triage t ON t.story_id = s.id "
                                   "WHERE t.story_id IS NULL").fetchone()[0]
            conn.close()
    finally:
        server.shutdown()
        server.server_close()
    expected, found, refused = expected_stories(files, corpus, base)
    streams = (proc.stdout, proc.stderr, health.stdout, health.stderr, export.stderr)
    return {
        "files": len(files), "wall_s": round(wall, 1), "exit_code": proc.returncode,
        "feeds_exit_code": health.returncode, "export_exit_code": export.returncode,
        "traceback": any("Traceback" in s for s in streams),
        "feeds_ok": results.get("ok", 0), "feeds_errored": sum(v for k, v in results.items() if k != "ok"),
        "results": dict(results), "top_errors": errors.most_common(8),
        "stories": stored, "distinct_stories": distinct, "parser_finds": len(expected), "parser_stories_per_feed": found,
        "parser_refuses": refused, "missing": sorted(expected - stored_ids)[:10],
        "unexpected": sorted(stored_ids - expected)[:10], "orphans": orphans,
        "bad_titles": bad_titles[:10], "bad_title_count": len(bad_titles), "bad_text_count": len(bad_texts),
        "script_in_text": len(script_texts), "script_texts": script_texts[:3],
        "integrity": integrity,
        "summary": proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "",
    }


def problems(out: dict, limit_s: float = 600.0) -> list[str]:
    bad = []
    if out["exit_code"] != 0 or out["feeds_exit_code"] != 0 or out["export_exit_code"] != 0:
        bad.append(f"exit codes: poll {out['exit_code']}, feeds {out['feeds_exit_code']}, "
                   f"export {out['export_exit_code']}")
    if out["traceback"]:
        bad.append("a traceback was printed")
    if out["integrity"] != "ok":
        bad.append(f"integrity_check: {out['integrity']}")
    if out["bad_title_count"]:
        bad.append(f"{out['bad_title_count']} titles with a control character or <script: {out['bad_titles'][:3]}")
    if out["bad_text_count"]:
        bad.append(f"{out['bad_text_count']} texts with a control character")
    if out["script_in_text"]:
        bad.append(f"{out['script_in_text']} texts with <script: {out['script_texts']}")
    if out["stories"] != out["distinct_stories"] or out["missing"] or out["unexpected"] or out["orphans"]:
        bad.append(f"stored {out['stories']} ({out['distinct_stories']} distinct), the parser finds "
                   f"{out['parser_finds']}; missing {out['missing'][:3]}, unexpected {out['unexpected'][:3]}, "
                   f"{out['orphans']} without triage")
    if out["feeds_ok"] + out["feeds_errored"] != out["files"]:
        bad.append(f"{out['files']} feeds served, {out['feeds_ok'] + out['feeds_errored']} have a result")
    if out["wall_s"] > limit_s:
        bad.append(f"wall {out['wall_s']}s is over {limit_s:g}s")
    return bad


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        print(f"corpus_round: {corpus} not found; skipped")
        return 0
    out = run(corpus, args.concurrency, args.timeout)
    bad = problems(out)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"corpus round: {out['files']} feeds in {out['wall_s']}s (concurrency {args.concurrency}, timeout "
              f"{args.timeout:g}s): {out['feeds_ok']} ok, {out['feeds_errored']} errored {out['results']}; "
              f"{out['stories']} stories stored (the parser finds {out['parser_stories_per_feed']} in the feeds, "
              f"{out['parser_finds']} distinct ids; it refuses "
              f"{out['parser_refuses']} feeds); titles with control chars or <script: {out['bad_title_count']}; "
              f"texts with control chars: {out['bad_text_count']}, with <script: {out['script_in_text']}; traceback: {out['traceback']}; "
              f"integrity {out['integrity']}")
        print(f"  {out['summary']}")
        for error, count in out["top_errors"]:
            print(f"  {count:5d} × {error}")
        for line in bad:
            print(f"FAILED: {line}")
        print("corpus round:", "ok" if not bad else "FAILED")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""Crash safety: `kill -9` a `migwatch poll --once` at random moments, many times, then poll cleanly.

    python bench/crash_kill.py [--feeds 60] [--kills 6] [--seed 1] [--shared ../shared]

Builds a farm with ../shared/bench/make_farm.py (read from there, not copied) in a temporary folder,
serves it with ../shared/bench/pyserve.py on 127.0.0.1, then repeats: start a poll, kill -9 it after a
random delay, run `PRAGMA integrity_check`. Finally one clean poll; the number of stored stories must
equal the number of distinct items the farm serves. Prints one line per kill and the verdict; exit 1 if
any check fails.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=60)
    ap.add_argument("--kills", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[1].parent / "shared"))
    ap.add_argument("--migwatch", default=str(Path(sys.executable).with_name("migwatch")))
    args = ap.parse_args()
    shared = Path(args.shared) / "bench"
    if not (shared / "make_farm.py").exists():
        print(f"crash_kill: {shared}/make_farm.py not found; skipped")
        return 0
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="migwatch-crash-") as tmp:
        tmpdir = Path(tmp)
        port = free_port()
        subprocess.run([sys.executable, str(shared / "make_farm.py"), "-n", str(args.feeds), "--port", str(port),
                        "--out", str(tmpdir / "farm")], check=True, capture_output=True, timeout=300)
        manifest = json.loads((tmpdir / "farm" / "manifest.json").read_text())
        expected = sum(f["total"] for f in manifest["feeds"])
        server = subprocess.Popen([sys.executable, str(shared / "pyserve.py"), "--root", str(tmpdir / "farm" / "www"),
                                   "--port", str(port), "--access-log", str(tmpdir / "access.log"),
                                   "--max-seconds", "900"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            config = tmpdir / "config.toml"
            config.write_text((tmpdir / "farm" / "feeds.toml").read_text())
            db = tmpdir / "m.db"
            cmd = [args.migwatch, "--config", str(config), "--db", str(db), "poll", "--once", "--quiet"]
            # How long a clean poll takes (into a scratch database), so the kills land inside one.
            calib = [*cmd]
            calib[calib.index(str(db))] = str(tmpdir / "calibration.db")
            started = time.monotonic()
            subprocess.run(calib, capture_output=True, timeout=600, check=True)
            clean_s = time.monotonic() - started
            print(f"a clean poll of {args.feeds} feeds takes {clean_s:.2f}s; kills land at 10-95% of that")
            ok = True
            # Each kill lands in a cold poll of its own database (a kill after a poll has finished proves
            # nothing); each killed database must pass integrity_check, and one clean poll must then complete
            # it: every story served stored exactly once, each with its triage row.
            def check(path: Path) -> tuple[str, int, int, int]:
                conn = sqlite3.connect(path)
                try:
                    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
                    stored, distinct = conn.execute("SELECT count(*), count(DISTINCT id) FROM stories").fetchone()
                    orphans = conn.execute("SELECT count(*) FROM stories s LEFT JOIN triage t ON t.story_id = s.id "
                                           "WHERE t.story_id IS NULL").fetchone()[0]
                except sqlite3.DatabaseError as exc:
                    return f"error: {exc}", 0, 0, 0
                finally:
                    conn.close()
                return integrity, stored, distinct, orphans

            for i in range(args.kills):
                kill_db = tmpdir / f"kill{i + 1}.db"
                run = [*cmd]
                run[run.index(str(db))] = str(kill_db)
                proc = subprocess.Popen(run, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                delay = rng.uniform(0.10, 0.95) * clean_s
                time.sleep(delay)
                finished = proc.poll() is not None
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                if kill_db.exists():
                    integrity, stored, _, _ = check(kill_db)
                else:
                    integrity, stored = "ok (no database yet)", 0
                ok &= integrity.startswith("ok")
                final = subprocess.run(run, capture_output=True, text=True, timeout=600)
                after, total, distinct, orphans = check(kill_db)
                good = final.returncode == 0 and after == "ok" and total == expected == distinct and orphans == 0
                ok &= good
                print(f"kill {i + 1} after {delay:.2f}s{' (poll had finished)' if finished else ''}: integrity "
                      f"{integrity}, {stored} stories stored; then a clean poll: exit {final.returncode}, "
                      f"integrity {after}, {total} stored ({distinct} distinct, {orphans} without triage) of "
                      f"{expected} served: {'ok' if good else 'FAILED'}")
        finally:
            server.terminate()
            server.wait(timeout=10)
    print("crash safety:", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

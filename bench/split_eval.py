"""score.py's figures for the tune half and the check half of a labelled case file, apart.

    PATH=$PWD/.venv/bin:$PATH python bench/split_eval.py ../shared/eval/dev.jsonl [more.jsonl …] [--show N]

The check half is every third case by sorted id (indexes 0, 3, 6, … of the sorted ids); the rest is
the tune half. Rules are tuned on the tune half only: a change that lifts tune and not check has learnt
the tune stories' words, not news English.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

SCORE = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "score.py"


def split(cases: list[dict]) -> tuple[list[dict], list[dict]]:
    """(tune, check): check holds the cases at every third index of the sorted ids."""
    ids = sorted(str(c["id"]) for c in cases)
    check_ids = set(ids[0::3])
    tune = [c for c in cases if str(c["id"]) not in check_ids]
    check = [c for c in cases if str(c["id"]) in check_ids]
    return tune, check


def score(cases: list[dict], show: int, score_py: Path) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as tmp:
        for case in cases:
            tmp.write(json.dumps(case, ensure_ascii=False) + "\n")
    run = subprocess.run([sys.executable, str(score_py), tmp.name, "--json", "--show", str(show)],
                         capture_output=True, text=True, check=True)
    Path(tmp.name).unlink()
    lines = run.stdout.splitlines()
    for line in lines[:-1]:
        if line.startswith("  miss:"):
            print(line)
    return json.loads(lines[-1])


def summary(fig: dict) -> str:
    def f1(kind: str) -> str:
        return f"{fig[kind]['f1']:.3f}"

    return (f"agreements {f1('agreements')}  payments {f1('payments')}  "
            f"status {fig['payment_status_accuracy']}  warnings {f1('rights_warnings')} "
            f"(R {fig['rights_warnings']['recall']:.2f})  stage {fig['stage_accuracy']}  n={fig['cases']}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("cases", nargs="+")
    ap.add_argument("--show", type=int, default=0)
    ap.add_argument("--score", default=str(SCORE), help="path to score.py")
    args = ap.parse_args()
    for path in args.cases:
        cases = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
        tune, check = split(cases)
        for name, half in (("tune", tune), ("check", check)):
            fig = score(half, args.show, Path(args.score))
            print(f"{Path(path).name:24s} {name:5s} {summary(fig)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Compare the JSON figures `score.py --json` printed against issue 3's targets.

    python bench/check_scores.py SEEDS_OUTPUT DEV_OUTPUT [--strict]

Prints one verdict per figure. With --strict (CI uses it for the seeds) a figure below its target
fails the run.
"""

from __future__ import annotations

import json
import sys

TARGETS = {
    "seeds": {"agreements": 1.0, "payments": 1.0, "rights_warnings": 0.8, "stage_accuracy": 1.0},
    "dev": {"agreements": 0.95, "payments": 0.85, "rights_warnings": 0.80, "stage_accuracy": 0.70},
}


def figures(path: str) -> dict:
    lines = [line for line in open(path, encoding="utf-8") if line.startswith("{")]
    if not lines:
        sys.exit(f"check_scores: no JSON figures in {path}")
    return json.loads(lines[-1])


def main(argv: list[str]) -> int:
    strict = "--strict" in argv
    paths = [a for a in argv if not a.startswith("--")]
    failed = []
    for name, path in zip(("seeds", "dev"), paths, strict=False):
        got = figures(path)
        for key, target in TARGETS[name].items():
            value = got[key] if key == "stage_accuracy" else got[key]["f1"]
            ok = value is not None and value >= target - 1e-9
            print(f"{name:5s} {key:16s} {value!s:>6} target >= {target:<5} {'ok' if ok else 'BELOW TARGET'}")
            if not ok and (strict and name == "seeds"):
                failed.append(f"{name} {key}")
    if failed:
        print("check_scores: below target: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

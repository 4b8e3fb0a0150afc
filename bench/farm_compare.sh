#!/usr/bin/env bash
# The shared feed-farm comparison (issue 6): migwatch poll --once against newsboat and lemon24's reader on the
# same 500 loopback feeds, same run. migwatch's CPU includes its parse workers and their fork server (the
# poller waits for them, so /usr/bin/time counts them). Copies ../shared/bench to a scratch folder (its farm and results stay out
# of the project), runs it, and prints the table and migwatch's ratios to the fastest anchor per phase.
#
#   bash bench/farm_compare.sh [--reps 1] [extra run_anchors.sh options]
#
# Needs root for apt (nginx, newsboat) the first time, as ../shared/bench/run_anchors.sh does.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
shared="${MIGWATCH_SHARED:-$here/../shared}"
[ -f "$shared/bench/run_anchors.sh" ] || { echo "farm_compare: $shared/bench not found; skipped"; exit 0; }
work="$(mktemp -d /tmp/migwatch-farm-XXXXXX)"
trap 'rm -rf "$work"' EXIT
cp -r "$shared/bench/." "$work/"
export PATH="$here/.venv/bin:$PATH"
cd "$work"
# newsboat and reader read the feeds only, so migwatch does the same work here: no article behind the links
# (the farm has none; bench/articles_round.py measures articles, with pages of its own).
MIGWATCH_CMD="migwatch poll --once --full-text never --config {config} --db {db}" \
MIGWATCH_ENTRIES_SQL="SELECT COUNT(*) FROM stories" \
  bash run_anchors.sh --tools migwatch,newsboat-16t,reader-16w --reps 1 "$@" | tee "$work/run.log"
python3 - "$work" <<'PY'
import glob, json, sys
path = sorted(glob.glob(f"{sys.argv[1]}/results/anchors-*.json"))[-1]
data = json.load(open(path))
rows = {}
for run in data.get("runs", []):
    rows.setdefault((run["tool"], run["phase"]), []).append(run)
def median(xs):
    xs = sorted(xs); return xs[len(xs) // 2] if xs else None
print("\nmigwatch / fastest anchor (same run):")
for phase in ("cold", "warm", "warm2", "incremental"):
    mine = median([r.get("wall_s") for r in rows.get(("migwatch", phase), []) if r.get("wall_s")])
    best = min((median([r.get("wall_s") for r in rows.get((t, phase), []) if r.get("wall_s")]) or 1e9, t)
               for t in ("newsboat-16t", "reader-16w"))
    cpu = median([r.get("cpu_s") for r in rows.get(("migwatch", phase), []) if r.get("cpu_s")])
    best_cpu = min((median([r.get("cpu_s") for r in rows.get((t, phase), []) if r.get("cpu_s")]) or 1e9, t)
                   for t in ("newsboat-16t", "reader-16w"))
    if mine:
        print(f"  {phase:12s} wall {mine:6.2f}s vs {best[1]} {best[0]:6.2f}s: ratio {mine / best[0]:.2f}"
              f"   cpu {cpu or 0:6.2f}s vs {best_cpu[1]} {best_cpu[0]:6.2f}s: ratio {(cpu or 0) / best_cpu[0]:.2f}")
PY

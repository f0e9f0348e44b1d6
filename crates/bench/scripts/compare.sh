#!/usr/bin/env bash
# Side by side, in one run: Stone Soup 1.9.1 (the shared run_stonesoup.py, GNN with k-d gating)
# and Picket (picket-bench) on every shared tracking scenario, both scored by the shared
# score.py; then Picket alone on 1 000 targets at 4 Hz (generated with scenario.py), with Stone
# Soup timed on the first $SS_1000_SCANS scans of it for the ratio. Picket runs twice: the
# default global-nearest-neighbour association and the JPDA option.
#
# usage: crates/bench/scripts/compare.sh [OUT_DIR]      (default: target/bench-tracking)
# env:   PICKET_SHARED_DATA, PICKET_REFEREE_PYTHON (as the tests), SS_1000_SCANS (default 20)
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
data=${PICKET_SHARED_DATA:-$root/../shared/data}/tracking
py=${PICKET_REFEREE_PYTHON:-$root/.venv-referees/bin/python}
out=${1:-$root/target/bench-tracking}
ss_1000_scans=${SS_1000_SCANS:-20}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
[ -x "$py" ] || { echo "referee Python missing at $py (run scripts/referees.sh)" >&2; exit 1; }
[ -f "$data/README.md" ] || { echo "shared tracking data missing at $data" >&2; exit 1; }
mkdir -p "$out"

(cd "$root" && cargo build --quiet --release -p picket-bench --example tracking)
picket="$root/target/release/examples/tracking"

run_pair() { # name scenario_dir [stone soup max scans]
  local name=$1 dir=$2 max=${3:-}
  echo "== $name" >&2
  "$picket" "$dir" --out "$out/picket_$name.csv" --json > "$out/picket_$name.json"
  "$py" "$data/score.py" --truth "$dir/truth.csv" --tracks "$out/picket_$name.csv" \
    --c 100 --c 50 --out "$out/score_picket_$name.json" > /dev/null
  # The JPDA option (clutter density and detection probability of the benchmark's radar).
  "$picket" "$dir" --set jpda=true --set clutter_density_per_km2=0.1 --set detection_probability=0.9 \
    --out "$out/picketjpda_$name.csv" --json > "$out/picketjpda_$name.json"
  "$py" "$data/score.py" --truth "$dir/truth.csv" --tracks "$out/picketjpda_$name.csv" \
    --c 100 --c 50 --out "$out/score_picketjpda_$name.json" > /dev/null
  if [ -n "$max" ]; then
    "$py" "$data/run_stonesoup.py" --scenario "$dir" --assoc gnn-kd --max-scans "$max" \
      --tracks-out "$out/ss_$name.csv" --timing-out "$out/ss_$name.json" > /dev/null
  else
    "$py" "$data/run_stonesoup.py" --scenario "$dir" --assoc gnn-kd \
      --tracks-out "$out/ss_$name.csv" --timing-out "$out/ss_$name.json" > /dev/null
    "$py" "$data/score.py" --truth "$dir/truth.csv" --tracks "$out/ss_$name.csv" \
      --c 100 --c 50 --out "$out/score_ss_$name.json" > /dev/null
  fi
}

for n in 10 50 200; do
  run_pair "n$n" "$data/scen_n$n"
done
big="$out/scen_n1000_4hz"
[ -f "$big/detections.csv" ] ||
  "$py" "$data/scenario.py" --n-targets 1000 --dt 0.25 --out "$big" > /dev/null
run_pair n1000_4hz "$big" "$ss_1000_scans"

"$py" - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
load = lambda f: json.load(open(os.path.join(out, f))) if os.path.exists(os.path.join(out, f)) else None
print("| scenario | tracker | GOSPA c=100 | loc RMSE m | missed/scan | false/scan | ID sw | CPU ms/scan mean (p95) | wall ms/scan mean | CPU speed-up |")
print("|---|---|---|---|---|---|---|---|---|---|")
for name in ["n10", "n50", "n200", "n1000_4hz"]:
    ss, sss = load(f"ss_{name}.json"), load(f"score_ss_{name}.json")
    rows = []
    if ss:
        rows.append(("Stone Soup" + ("" if sss else f" (first {ss['scans']} scans)"), sss,
                     ss["cpu_mean_ms"], ss["cpu_p95_ms"], ss["mean_ms"], ""))
    for tag, key in [("Picket", "picket"), ("Picket JPDA", "picketjpda")]:
        pk, sp = load(f"{key}_{name}.json"), load(f"score_{key}_{name}.json")
        if not pk:
            continue
        up = f"{ss['cpu_mean_ms'] / pk['cpu_timing']['mean_ms']:.0f}x" if ss else ""
        rows.append((tag, sp, pk["cpu_timing"]["mean_ms"], pk["cpu_timing"]["p95_ms"],
                     pk["timing"]["mean_ms"], up))
    for tag, sc, cpu, p95, wall, up in rows:
        g = sc["c=100"] if sc else None
        gs = (f"{g['gospa_mean']:.1f} | {g['loc_rmse_m']:.1f} | {g['missed_mean']:.2f} | "
              f"{g['false_mean']:.2f} | {g['id_switches']}") if g else "- | - | - | - | -"
        print(f"| {name} | {tag} | {gs} | {cpu:.3f} ({p95:.3f}) | {wall:.3f} | {up} |")
PY

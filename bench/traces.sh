#!/usr/bin/env bash
# Time-aware vs peak-based packing on real CPU traces: for each trace kind,
# convert the trace into a fleet of new, unplaced instances with traces2fleet
# (datasets/README.md), rebalance it from scratch with unlimited moves, once
# on the hourly profiles and once with --peak-profiles (every profile flat at
# its peak), verify the time-aware plans, and report the monthly cost each way.
# The search is cut by the clock on the larger fleets, so its result varies
# from run to run: each rebalance runs --runs times and the report gives the
# median cost and the range.
#
#   bash bench/traces.sh [--traces DIR] [--time-limit S] [--runs N] [--seed S] [--scratch DIR] [--out FILE]
#
#   --traces DIR    the traces (default ../shared/traces next to the checkout,
#                   or $RP_TRACES); read in place, never copied into the repo
#   --time-limit S  rebalance time limit per run (default 60)
#   --runs N        runs of each rebalance, N odd (default 3)
#   --seed S        traces2fleet seed: plan mix and sizes (default 1)
#   --scratch DIR   fleets, plans and logs (default /tmp/reefplan-traces)
#   --out FILE      the Markdown report (default bench/RESULTS-traces.md)
#
# Fleets: planetlab -> one instance per VM name (rows of the same VM on
# several days pooled), 24 slots (hour of day: the 10 days are not
# consecutive, so there is no week to profile); azure-avg, azure-max,
# azure-periodic -> one instance per VM column, 168 slots (27.8 consecutive
# days from an assumed Monday 00:00 UTC). Not a test: ctest never runs it.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
traces=${RP_TRACES:-$root/../shared/traces}
limit=60
runs=3
seed=1
scratch=/tmp/reefplan-traces
out=$root/bench/RESULTS-traces.md
cmdline="bash bench/traces.sh"
[ $# -eq 0 ] || cmdline+=$(printf " %q" "$@") # quoted, so that it runs as shown
while [ $# -gt 0 ]; do
  case $1 in
    --traces) traces=$2; shift 2 ;;
    --time-limit) limit=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --scratch) scratch=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "traces.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
case $runs in *[!0-9]* | '' | 0) echo "traces.sh: --runs takes a positive odd number" >&2; exit 2 ;; esac
[ $((runs % 2)) = 1 ] || { echo "traces.sh: --runs takes a positive odd number" >&2; exit 2; }
command -v jq >/dev/null || { echo "traces.sh: jq is required (scripts/setup installs it)" >&2; exit 2; }
[ -d "$traces/planetlab" ] && [ -d "$traces/azure_v1" ] || { echo "traces.sh: no traces in $traces" >&2; exit 2; }

rm -rf "$scratch"
mkdir -p "$scratch"
bash "$root/scripts/build" >"$scratch/build.log" 2>&1 || { cat "$scratch/build.log" >&2; exit 1; }
# The tree the binary was built from, read right after the build (a commit
# made while this runs is not what it measures): the commit, and whether
# files other than the benchmark reports differed from it.
# shellcheck source=bench/results.sh
. "$root/bench/results.sh"
tree="commit $(results_tree)"
rp=$root/build/reefplan
t2f=$root/build/traces2fleet

# rebalances KIND TAG [FLAGS...]: runs the rebalance `runs` times, into
# $scratch/KIND.TAG.K.json (summary) and KIND.TAG-plan.K.json (plan), K = 1..runs;
# prints the K of the median cost, then the lowest and highest cost. Returns
# 1 when a run fails.
rebalances() {
  local kind=$1 tag=$2 k
  shift 2
  for k in $(seq "$runs"); do
    "$rp" rebalance "$scratch/$kind" --move-budget -1 --time-limit "$limit" "$@" --json \
      -o "$scratch/$kind.$tag-plan.$k.json" > "$scratch/$kind.$tag.$k.json" 2>"$scratch/$kind.$tag.$k.log" ||
      { cat "$scratch/$kind.$tag.$k.log" >&2; return 1; }
  done
  for k in $(seq "$runs"); do echo "$(jq .cost_after "$scratch/$kind.$tag.$k.json") $k"; done |
    sort -g | awk -v m=$(((runs + 1) / 2)) 'NR == 1 { lo = $1 } NR == m { k = $2 } { hi = $1 } END { print k, lo, hi }'
}

rows=()
fail=0
tot_n=0
tot_ded=0
for kind in planetlab azure-avg azure-max azure-periodic; do
  case $kind in
    planetlab) in=$traces/planetlab; slots=24 ;;
    *) in=$traces/azure_v1; slots=168 ;;
  esac
  d=$scratch/$kind
  echo "== $kind" >&2
  if ! "$t2f" --trace "$kind" --in "$in" --slots "$slots" --seed "$seed" -o "$d" 2>"$scratch/$kind.convert.log"; then
    cat "$scratch/$kind.convert.log" >&2; fail=1; continue
  fi
  n=$(($(wc -l < "$d/instances.csv") - 1))
  read -r kt tlo thi < <(rebalances "$kind" time) && [ -n "${kt:-}" ] || { fail=1; continue; }
  read -r kp plo phi < <(rebalances "$kind" peak --peak-profiles) && [ -n "${kp:-}" ] || { fail=1; continue; }
  verified=valid
  for k in $(seq "$runs"); do
    "$rp" verify "$d" "$scratch/$kind.time-plan.$k.json" > "$scratch/$kind.verify.$k.log" 2>&1 ||
      { verified=INVALID; fail=1; }
  done
  ts=$scratch/$kind.time.$kt.json tp=$scratch/$kind.time-plan.$kt.json
  ps=$scratch/$kind.peak.$kp.json pp=$scratch/$kind.peak-plan.$kp.json
  ct=$(jq .cost_after "$ts")
  cp=$(jq .cost_after "$ps")
  lb=$(jq .lower_bound "$ts")
  un=$(jq '[.unplaced, 0] | max' "$ts")
  reefs() { jq '[.reefs[] | select(.instances > 0)] | length' "$1"; }
  dedicated() { jq '[.placements[] | select(.db == "dedicated")] | length' "$1"; }
  rt=$(reefs "$tp"); rpk=$(reefs "$pp")
  dt=$(dedicated "$tp"); dp=$(dedicated "$pp")
  tot_n=$((tot_n + n)); tot_ded=$((tot_ded + dt))
  saving=$(awk -v a="$ct" -v b="$cp" 'BEGIN { printf "%.1f", (b > 0 ? 100 * (b - a) / b : 0) }')
  rows+=("$(printf '| %s | %d | %d | %.2f | %.2f–%.2f | %.2f | %.2f–%.2f | %s | %d | %d | %.2f | %d / %d | %d | %s |' \
    "$kind" "$slots" "$n" "$ct" "$tlo" "$thi" "$cp" "$plo" "$phi" "$saving" "$rt" "$rpk" "$lb" "$dt" "$dp" "$un" "$verified")")
  echo "${rows[-1]}" >&2
done

{
  echo "# Time-aware vs peak-based packing on real CPU traces"
  echo
  echo "Written by \`bash bench/traces.sh\` on $(date -u +%Y-%m-%d) ($(uname -m), $(nproc) CPUs),"
  echo "$tree."
  echo "Each trace is converted with \`traces2fleet --seed $seed\` into one region of new,"
  echo "unplaced instances (no reefs: rebalance packs from scratch, no move costs), then"
  echo
  echo '```'
  echo "reefplan rebalance FLEET --move-budget -1 --time-limit $limit --json -o plan.json"
  echo "reefplan rebalance FLEET --move-budget -1 --time-limit $limit --json -o peak-plan.json --peak-profiles"
  echo "reefplan verify FLEET plan.json"
  echo '```'
  echo
  echo "Each rebalance runs $runs times with the same seed: a run the time limit cuts"
  echo "ends wherever the clock stops it, so runs differ. Costs are USD per month (catalog"
  echo "azure-vcore): the median run's, then the lowest and highest of the $runs. *saving* ="
  echo "(peak-based - time-aware) / peak-based, of the medians. *reefs*, *lower bound* (the"
  echo "time-aware run's \`summary.lower_bound\`), *ded. DBs* (instances on a dedicated"
  echo "database, time-aware / peak-based) and *unplaced* are the median runs'. *verify*:"
  echo "every time-aware plan."
  echo
  echo "| trace | slots | instances | cost time-aware | range | cost peak-based | range | saving % | reefs time-aware | reefs peak-based | lower bound | ded. DBs | unplaced | verify |"
  echo "|---|---:|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Fleets: *planetlab* = one instance per PlanetLab VM name (its rows on the 10"
  echo "non-consecutive days pooled), 24 slots (hour of day, time zone taken as UTC);"
  echo "*azure-avg* / *azure-max* = the 100 Azure V1 VMs' 5-minute average / maximum CPU,"
  echo "*azure-periodic* = the 78 periodic VMs (average CPU), 168 slots over 27.8 days from"
  echo "an assumed Monday 00:00 UTC. Per slot the 0.95 nearest-rank quantile of the"
  echo "utilisation; each instance's plan and size come from the generator's plan mix"
  echo "(see datasets/README.md, \"Fleets from real CPU traces\")."
  if [ $((2 * tot_ded)) -gt "$tot_n" ]; then
    echo
    echo "**Reading these figures.** Most instances ended up on dedicated databases and"
    echo "the costs are far above the lower bound: packing an empty fleet inserts each"
    echo "instance at its marginal cost, and once the shared pool is full a GP_Gen5_2 single"
    echo "database (368 USD) is cheaper than the pool's next 2-vCore step (390 USD), so every"
    echo "later instance goes dedicated too, and moving one instance at a time cannot undo"
    echo "it. Until the search consolidates dedicated databases into pools, *saving %*"
    echo "measures the search as much as the profiles."
  fi
} > "$out.tmp" && mv "$out.tmp" "$out"
echo "traces.sh: wrote $out" >&2

# The headline in section f of bench/RESULTS.md, for a run into the default
# report.
if [ "$out" = "$root/bench/RESULTS-traces.md" ]; then
  {
    echo "### Time-aware vs peak-based packing on real traces: \`$cmdline\`"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $tree; $(uname -srm), $(nproc) CPUs. Each trace is converted by \`traces2fleet --seed $seed\` into a fleet of new instances, rebalanced with unlimited moves and \`--time-limit $limit\`, $runs runs each way; costs in USD/month, medians of the runs; *saving* = (peak-based - time-aware) / peak-based."
    echo
    echo "| trace | slots | instances | cost time-aware | range | cost peak-based | range | saving % | reefs time-aware | reefs peak-based | lower bound | ded. DBs | unplaced | verify |"
    echo "|---|---:|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "The fleets and how they are built: [RESULTS-traces.md](RESULTS-traces.md)."
  } | results_block traces && echo "traces.sh: bench/RESULTS.md section f updated" >&2
fi
exit $fail

#!/usr/bin/env bash
# Scale: rebalance of 100,000 instances x 168 slots (target: within 2 GB and
# 5 minutes, fleet load and plan writing included) and of 1,000,000
# instances x 24 slots (target: runs to completion). Whole-process wall time
# and peak RSS of each `reefplan rebalance`, with objective, lower bound and
# gap; each plan is then checked by `reefplan verify` (untimed).
#
#   bash bench/scale.sh [options]
#
#   --tl-100k T      rebalance --time-limit for 100k x 168 (default 200)
#   --tl-1m T        rebalance --time-limit for 1M x 24 (default 150)
#   --only WHICH     100k or 1m (default both)
#   --no-verify      skip the verify step
#   --scratch DIR    fleets, plans, logs (default /tmp/reefplan-bench/scale)
#   --out FILE       the report (default bench/RESULTS-scale.md, appended to)
#   --reefplan BIN   the binary (default build/reefplan)
#
# The search stops at its time limit; loading the fleet, the lower bound,
# ordering the actions and writing the plan come on top, which is why the
# limits sit below the 5-minute target.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tl100k=200 tl1m=150 only=both verify=1
scratch=/tmp/reefplan-bench/scale out=$root/bench/RESULTS-scale.md bin=$root/build/reefplan
cmdline="bash bench/scale.sh"
[ $# -eq 0 ] || cmdline+=$(printf " %q" "$@") # quoted, so that it runs as shown
die() { echo "bench/scale.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --tl-100k) tl100k=${2:?}; shift ;;
    --tl-1m) tl1m=${2:?}; shift ;;
    --only) only=${2:?}; shift ;;
    --no-verify) verify=0 ;;
    --scratch) scratch=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --reefplan) bin=${2:?}; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
case $only in both|100k|1m) ;; *) die "--only must be 100k or 1m" ;; esac
[ -x "$bin" ] || die "no binary at $bin (bash scripts/build)"
# The tree as it is now, not when the report is written.
# shellcheck source=bench/results.sh
. "$root/bench/results.sh"
tree_at=$(results_tree)
command -v jq >/dev/null && [ -x /usr/bin/time ] || die "jq and /usr/bin/time are needed (bash scripts/setup)"
case "$scratch" in "$root"|"$root"/*) die "--scratch must be outside the repository" ;; esac
mkdir -p "$scratch"
log() { echo "scale: $*" >&2; }

rows=()
# run N SLOTS TL
run() {
  local n=$1 slots=$2 tl=$3 d=$scratch/fleet-$1-$2 tag=$1-$2
  if [ ! -f "$d/fleet.json" ]; then
    log "generate --instances $n --slots $slots"
    /usr/bin/time -f '%e %M' -o "$scratch/gen-$tag.time" \
      "$bin" generate --instances "$n" --seed 7 --slots "$slots" -o "$d" >/dev/null 2>"$scratch/gen-$tag.err" ||
      die "generate failed: $(tail -1 "$scratch/gen-$tag.err")"
  fi
  log "rebalance $n x $slots (--time-limit $tl)"
  /usr/bin/time -f '%e %M' -o "$scratch/reb-$tag.time" \
    "$bin" rebalance "$d" -o "$scratch/plan-$tag.json" --json --time-limit "$tl" \
    >"$scratch/reb-$tag.json" 2>"$scratch/reb-$tag.err"
  local rc=$? wall rss obj lb gap ok=skipped
  read -r wall rss <"$scratch/reb-$tag.time"
  if [ $rc != 0 ]; then
    rows+=("| $n | $slots | $tl | $wall | $(awk -v k="$rss" 'BEGIN { printf "%.0f", k / 1024 }') | exit $rc: $(grep -v '^rebalance:' "$scratch/reb-$tag.err" | tail -1) | | | | |")
    return
  fi
  obj=$(jq -r .objective "$scratch/reb-$tag.json") lb=$(jq -r .lower_bound "$scratch/reb-$tag.json")
  gap=$(awk -v o="$obj" -v l="$lb" 'BEGIN { printf "%.1f%%", (o > 0 ? 100 * (o - l) / o : 0) }')
  if [ $verify = 1 ]; then
    log "verify $n x $slots"
    if "$bin" verify "$d" "$scratch/plan-$tag.json" >"$scratch/verify-$tag.out" 2>&1; then ok=yes; else ok=NO; fi
  fi
  rows+=("| $n | $slots | $tl | $wall | $(awk -v k="$rss" 'BEGIN { printf "%.0f", k / 1024 }') | $(jq -r .cost_before "$scratch/reb-$tag.json" | xargs printf '%.0f') | $(printf '%.0f' "$obj") | $(printf '%.0f' "$lb") | $gap | $ok |")
}

[ "$only" = 1m ] || run 100000 168 "$tl100k"
[ "$only" = 100k ] || run 1000000 24 "$tl1m"

[ -s "$out" ] || {
  echo "# Scale: rebalance of 100k instances x 168 slots and 1M x 24"
  echo
  echo "Produced by \`bash bench/scale.sh\`; every run appends a section. Targets: 100k x 168 within"
  echo "2 GB and 5 minutes; 1M x 24 runs to completion."
} >"$out"
{
  echo
  echo "## $(date -u '+%Y-%m-%d %H:%M UTC'): scale"
  echo
  echo "- Command: \`$cmdline\`"
  echo "- reefplan: $bin, tree at commit $tree_at"
  echo "- Machine: $(uname -srm); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Fleets: \`reefplan generate --instances N --seed 7 --slots S\`; the fleet's own move budget. Wall time and peak RSS are of the whole \`reefplan rebalance\` process (load, search, bound, ordering, plan writing)."
  echo
  echo "| instances | slots | --time-limit (s) | wall (s) | peak RSS (MiB) | cost before | objective | lower bound | gap | verified |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
} >>"$out"
log "report appended to $out"

# The headline in section f of bench/RESULTS.md, for a run of both sizes
# into the default report.
if [ "$out" = "$root/bench/RESULTS-scale.md" ] && [ "$only" = both ]; then
  {
    echo "### Scale: \`$cmdline\`"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'); reefplan tree at commit $tree_at; $(uname -srm), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo). Fleets: \`reefplan generate --instances N --seed 7 --slots S\`, the fleet's own move budget; wall time and peak RSS of the whole \`reefplan rebalance\` process."
    echo
    echo "| instances | slots | --time-limit (s) | wall (s) | peak RSS (MiB) | cost before | objective | lower bound | gap | verified |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "Targets: 100k x 168 within 2 GB and 5 minutes; 1M x 24 runs to completion. Every run: [RESULTS-scale.md](RESULTS-scale.md)."
  } | results_block scale && log "bench/RESULTS.md section f updated"
fi

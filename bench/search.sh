#!/usr/bin/env bash
# What moves, restarts and the search's exact steps buy, on the generated
# fleets of bench/mip and bench/run.sh:
#
#  a. the 10k x 24 fleet of bench/mip rebalanced at move budgets 0, 10, 30,
#     40, 50, 70, 100 (the fleet's), 300 and unlimited: objective, lower
#     bound, gap, moves, what stays in the draining reef, and the time;
#  b. at the fleet's budget, the whole sizes the plan pays for against what
#     its reefs' shared load needs at each reef's busiest slot, per region
#     (from the plan's --target-fleet);
#  c. --restarts 4 against one run on fleets of 200 to 1,000 instances;
#  d. the large-neighbourhood MIP steps (default) against none
#     (--lns-steps 0), search seeds 1-3, on the same fleets;
#  e. what the reef tier MIPs at the end of the search gained in the runs
#     of c (one run) and a (the fleet's budget), from their info log;
#  f. what one instance leaving its reef is worth in the plans of a at
#     budgets 0 and 100 (bench/bench_leavers.c, built here, on their
#     --target-fleet): the pool and node steps one leaver takes a reef
#     down, against what landing it elsewhere costs;
#  g. the run with moves deferred against the first run, side by side in
#     the log of --defer-moves 1, at budgets 10, 40 and 100 on the 10k x 24
#     fleet of a without states (no draining or broken reef) and on two
#     one-region fleets of 1,000 and 500 instances.
#
#   bash bench/search.sh [--time-limit S] [--scratch DIR] [--out FILE]
#
#   --time-limit S  rebalance time limit per run (default 60)
#   --scratch DIR   fleets, plans and logs (default /tmp/reefplan-bench/search)
#   --out FILE      the report (default bench/RESULTS-search.md, replaced)
#
# Runs one after the other, about 16 minutes on 2 cores. Not a test: ctest
# never runs it.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tl=60 scratch=/tmp/reefplan-bench/search out=$root/bench/RESULTS-search.md
cmdline="bash bench/search.sh"
[ $# -eq 0 ] || cmdline+=$(printf " %q" "$@")
die() { echo "bench/search.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --time-limit) tl=${2:?}; shift ;;
    --scratch) scratch=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
command -v jq >/dev/null || die "jq is not installed (bash scripts/setup)"
rm -rf "$scratch"
mkdir -p "$scratch"
bash "$root/scripts/build" >"$scratch/build.log" 2>&1 || { cat "$scratch/build.log" >&2; exit 1; }
# The commit the binary was built from, read now, not when the report is written.
# shellcheck source=bench/results.sh
. "$root/bench/results.sh"
commit=$(results_tree)
rp=$root/build/reefplan
bl=$scratch/bench_leavers
bl_cmd=(gcc -std=c11 -O2 -g -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
        -Wmissing-prototypes -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
        -I"$root/engine/src" -o "$bl" "$root/bench/bench_leavers.c"
        "$root/build/libreefplan_core.a" $(pkg-config --libs jansson libcrypto) -lglpk -lcsv -lm)
"${bl_cmd[@]}" >"$scratch/bench_leavers.build.log" 2>&1 ||
  die "bench_leavers did not compile (see $scratch/bench_leavers.build.log)"
t_start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
fail=0

gen() { # DIR ARGS...: generates once
  local d=$1; shift
  [ -d "$d" ] || "$rp" generate "$@" -o "$d" >/dev/null 2>"$d.gen.log" || { cat "$d.gen.log" >&2; exit 1; }
}
# run NAME FLEET [--move-budget K] ARGS...: rebalance with --json into
# $scratch/NAME.{plan,sum}.json, the wall time in $scratch/NAME.secs, and
# verify's verdict (with the same budget) in $scratch/NAME.ok.
run() {
  local name=$1 fleet=$2 budget=()
  shift 2
  [ "${1:-}" = --move-budget ] && budget=(--move-budget "$2")
  echo "== $name: rebalance $fleet $*" >&2
  local t0 t1
  t0=$(date +%s.%N)
  REEFPLAN_LOG=info "$rp" rebalance "$fleet" --time-limit "$tl" --json -o "$scratch/$name.plan.json" "$@" \
    >"$scratch/$name.sum.json" 2>"$scratch/$name.log" || { cat "$scratch/$name.log" >&2; fail=1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }' >"$scratch/$name.secs"
  if "$rp" verify "$fleet" "$scratch/$name.plan.json" "${budget[@]}" >"$scratch/$name.verify" 2>&1; then
    echo yes >"$scratch/$name.ok"
  else echo NO >"$scratch/$name.ok"; fail=1; fi
}
sum() { jq -r "$2" "$scratch/$1.sum.json"; }

# ---- a. move budgets at 10k x 24 ---------------------------------------
f10k=$scratch/fleet-10000-24
gen "$f10k" --instances 10000 --seed 7 --slots 24 --regions 3
rows_a=()
for k in 0 10 30 40 50 70 100 300 -1; do
  name=b$k
  extra=()
  case $k in 0 | 100) extra=(--target-fleet "$scratch/target-$k") ;; esac
  run "$name" "$f10k" --move-budget "$k" "${extra[@]}"
  obj=$(sum "$name" .objective) lb=$(sum "$name" .lower_bound)
  def=$(jq -r '[.deferred[].reason] | group_by(.) | map("\(length) \(.[0])") | join(", ")' \
    "$scratch/$name.plan.json")
  rows_a+=("$(printf '| %s | %.2f | %.2f | %.2f%% | %s | %s | %s | %s s | %s |' \
    "$([ "$k" = -1 ] && echo unlimited || echo "$k")" "$obj" "$lb" \
    "$(awk -v o="$obj" -v l="$lb" 'BEGIN { print 100 * (o - l) / o }')" \
    "$(sum "$name" .moves)" "${def:-none}" "$(sum "$name" .stopped_by)" \
    "$(cat "$scratch/$name.secs")" "$(cat "$scratch/$name.ok")")")
done

# ---- b. whole sizes against need, fleet's budget ------------------------
# Per reef of the target fleet: its shared db_compute, cpu_cores and
# memory_gb summed per slot over the instances whose tier is shared; the
# need is the busiest slot over the usable share (1 - headroom) of one vCore
# or one node; paid is the pool's vCores and the shared node count.
t=$scratch/target-100
cat=$(jq -r '.catalog' "$t/fleet.json")
case $cat in */* | *.json) catf=$cat ;; *) catf=$root/models/$cat.json ;; esac
jq -r --slurpfile c "$catf" '
  .settings.headroom as $h
  | ($c[0].templates | map({(.name): .node_sku}) | add) as $vm
  | ($c[0].node_vms | map({(.sku): .}) | add) as $v
  | ($c[0].elastic_pools | map({(.sku): .db_compute}) | add) as $p
  | .reefs[] | select(.pool_sku != null)
  | [.name, .region, $p[.pool_sku], .nodes,
     $v[$vm[.template]].alloc_cpu * (1 - $h.cpu_cores),
     $v[$vm[.template]].alloc_memory_gb * (1 - $h.memory_gb),
     1 - $h.db_compute] | map(tostring) | join(",")' "$t/fleet.json" >"$scratch/reefs.csv"
sizes_b=$(awk -F, '
  FILENAME ~ /reefs.csv$/ { reg[$1] = $2; vc[$1] = $3; nd[$1] = $4; cpu[$1] = $5; mem[$1] = $6; db[$1] = $7; next }
  FILENAME ~ /instances.csv$/ {
    if (FNR == 1) next
    at[$1] = $4; shdb[$1] = $5 == "shared"; shc[$1] = $6 == "shared"; next
  }
  FNR == 1 { next }
  {
    r = at[$1]; if (r == "" || !(r in reg)) next
    m = $2
    if (m == "db_compute" && shdb[$1]) k = "d"
    else if (m == "cpu_cores" && shc[$1]) k = "c"
    else if (m == "memory_gb" && shc[$1]) k = "m"
    else next
    for (s = 3; s <= NF; s++) load[r, k, s] += $s
    slots = NF
  }
  END {
    for (r in reg) {
      bd = bc = bm = 0
      for (s = 3; s <= slots; s++) {
        if (load[r, "d", s] > bd) bd = load[r, "d", s]
        if (load[r, "c", s] > bc) bc = load[r, "c", s]
        if (load[r, "m", s] > bm) bm = load[r, "m", s]
      }
      g = reg[r]
      pv[g] += vc[r]; nv[g] += bd / db[r]
      pn[g] += nd[r]; nc[g] += bc / cpu[r]; nm[g] += bm / mem[r]
      nn[g] += (bc / cpu[r] > bm / mem[r] ? bc / cpu[r] : bm / mem[r])
      reefs[g]++
    }
    for (g in pv)
      printf "| %s | %d | %d | %.1f | %.1f%% | %d | %.1f | %.1f%% | %.1f | %.1f |\n", g, reefs[g],
        pv[g], nv[g], 100 * (pv[g] / nv[g] - 1), pn[g], nn[g], 100 * (pn[g] / nn[g] - 1), nc[g], nm[g]
  }' "$scratch/reefs.csv" "$t/instances.csv" "$t/profiles.csv" | sort)

# ---- c. --restarts 4 against one run -------------------------------------
f200=$scratch/fleet-200-24 f300=$scratch/fleet-300-24-r1 f500=$scratch/fleet-500-24-r1
f1k=$scratch/fleet-1000-24 f1k168=$scratch/fleet-1000-168
gen "$f200" --instances 200 --seed 7 --slots 24 --regions 3
gen "$f300" --instances 300 --seed 7 --slots 24 --regions 1
gen "$f500" --instances 500 --seed 7 --slots 24 --regions 1
gen "$f1k" --instances 1000 --seed 7 --slots 24 --regions 3
gen "$f1k168" --instances 1000 --seed 7 --slots 168 --regions 3
rows_c=()
for pair in "200 x 24:$f200" "300 x 24, one region:$f300" "500 x 24, one region:$f500" \
  "1,000 x 24:$f1k" "1,000 x 168:$f1k168"; do
  label=${pair%%:*} fleet=${pair#*:} base=$(basename "$fleet")
  run "$base-r1" "$fleet"
  run "$base-r4" "$fleet" --restarts 4
  o1=$(sum "$base-r1" .objective) o4=$(sum "$base-r4" .objective)
  rows_c+=("$(printf '| %s | %.2f | %.2f | %+.2f%% | %s s | %s s | %s | %s / %s |' "$label" "$o1" "$o4" \
    "$(awk -v a="$o1" -v b="$o4" 'BEGIN { print 100 * (b - a) / a }')" \
    "$(cat "$scratch/$base-r1.secs")" "$(cat "$scratch/$base-r4.secs")" \
    "$(sum "$base-r4" .stopped_by)" "$(cat "$scratch/$base-r1.ok")" "$(cat "$scratch/$base-r4.ok")")")
done

# ---- d. large-neighbourhood steps against none ----------------------------
rows_d=()
for pair in "200 x 24:$f200" "500 x 24, one region:$f500" "1,000 x 24:$f1k" "1,000 x 168:$f1k168"; do
  label=${pair%%:*} fleet=${pair#*:} base=$(basename "$fleet")
  for seed in 1 2 3; do
    run "$base-s$seed" "$fleet" --seed "$seed"
    run "$base-s$seed-nolns" "$fleet" --seed "$seed" --lns-steps 0
    od=$(sum "$base-s$seed" .objective) o0=$(sum "$base-s$seed-nolns" .objective)
    steps=$(sed -n 's/.*large-neighbourhood MIP steps: \([0-9]*\), improving \([0-9]*\).*/\1 (\2 improving)/p' \
      "$scratch/$base-s$seed.log")
    rows_d+=("$(printf '| %s | %s | %.2f | %.2f | %+.2f%% | %s | %s s | %s s | %s / %s |' "$label" "$seed" "$od" "$o0" \
      "$(awk -v a="$o0" -v b="$od" 'BEGIN { print 100 * (b - a) / a }')" "${steps:-?}" \
      "$(cat "$scratch/$base-s$seed.secs")" "$(cat "$scratch/$base-s$seed-nolns.secs")" \
      "$(cat "$scratch/$base-s$seed.ok")" "$(cat "$scratch/$base-s$seed-nolns.ok")")")
  done
done

# ---- e. the reef tier MIPs, from the logs of c and a ----------------------
rows_e=()
for pair in "200 x 24:fleet-200-24-r1" "1,000 x 24:fleet-1000-24-r1" "1,000 x 168:fleet-1000-168-r1" \
  "10,000 x 24, budget 100:b100"; do
  label=${pair%%:*} name=${pair#*:}
  line=$(grep 'reef tier MIPs:' "$scratch/$name.log" | tail -1)
  rows_e+=("$(sed -n 's/.*reef tier MIPs: \([0-9]*\) of [0-9]* reefs tried, \([0-9]*\) improved, objective \([0-9.]*\) -> \([0-9.]*\), \([0-9.]*\) s.*/\2 \1 \3 \4 \5/p' <<<"$line" |
    awk -v l="$label" '{ printf "| %s | %d of %d | %.2f | %.2f | %.2f | %s s |", l, $1, $2, $3, $4, $3 - $4, $5 }')")
  [ -n "${rows_e[-1]}" ] || rows_e[-1]="| $label | (no reef tier MIP line in the log) | | | | |"
done

# ---- f. what one leaver is worth, budgets 0 and 100 -----------------------
rows_f=()
for k in 0 100; do
  if ! "$bl" "$scratch/target-$k" >"$scratch/leavers-$k.txt" 2>"$scratch/leavers-$k.err"; then
    cat "$scratch/leavers-$k.err" >&2; fail=1; continue
  fi
  while read -r line; do
    rows_f+=("$(awk -v k="$k" '{
      for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      printf "| %s | %s | %d | %d | %.2f | %d | %d | %d | %.2f |", k, v["region"], v["reefs"],
        v["step_reefs"], v["step_saving"], v["free_landing"], v["net_reefs"], v["greedy_moves"], v["greedy_net"]
    }' <<<"$line")")
  done <"$scratch/leavers-$k.txt"
done

# ---- g. moves deferred against the first run -------------------------------
f10n=$scratch/fleet-10000-24-nostates f1k1=$scratch/fleet-1000-24-r1 f500s3=$scratch/fleet-500-24-r1-s3
gen "$f10n" --instances 10000 --seed 7 --slots 24 --regions 3 --states off
gen "$f1k1" --instances 1000 --seed 1 --slots 24 --regions 1
gen "$f500s3" --instances 500 --seed 3 --slots 24 --regions 1
rows_g=()
for pair in "10,000 x 24, no states:$f10n" "1,000 x 24, one region:$f1k1" "500 x 24, one region, seed 3:$f500s3"; do
  label=${pair%%:*} fleet=${pair#*:} base=$(basename "$fleet")
  for k in 10 40 100; do
    run "$base-d$k" "$fleet" --move-budget "$k" --defer-moves 1
    lg=$scratch/$base-d$k.log
    o1=$(sed -n 's/.*run 1 of 1: objective \([0-9.]*\), \([0-9.]*\) s.*/\1 \2/p' "$lg")
    o2=$(sed -n 's/.*run 2, moves deferred: objective \([0-9.]*\), \([0-9.]*\) s.*/\1 \2/p' "$lg")
    if [ -z "$o2" ]; then
      why=$(sed -n 's/.*run 1 of 1: .*; \(moves [0-9]* of [0-9-]*, [0-9]* by draining reefs\).*/\1/p' "$lg")
      rows_g+=("$(printf '| %s | %s | %.2f | (no second run: %s) | | %s s | | %s |' "$label" "$k" \
        "${o1% *}" "${why:-see the log}" "${o1#* }" "$(cat "$scratch/$base-d$k.ok")")")
      continue
    fi
    rows_g+=("$(printf '| %s | %s | %.2f | %.2f | %+.2f%% | %s s | %s s | %s |' "$label" "$k" "${o1% *}" "${o2% *}" \
      "$(awk -v a="${o1% *}" -v b="${o2% *}" 'BEGIN { print 100 * (b - a) / a }')" "${o1#* }" "${o2#* }" \
      "$(cat "$scratch/$base-d$k.ok")")")
  done
done

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
took=$(($(date +%s) - t_start))
{
  echo "# Move budgets, restarts and the search's exact steps"
  echo
  echo "_Written by \`$cmdline\`; run it again to refresh. Not a test: ctest and CI never run it._"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC') (took $((took / 60)) min $((took % 60)) s)"
  echo "- Commit: $commit"
  echo "- Machine: \`$(uname -srm)\`, $(nproc) logical cores, $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "- Load average (1/5/15 min) at start: $load_start; at end: $load_end"
  echo "- Every run: \`REEFPLAN_LOG=info reefplan rebalance FLEET --time-limit $tl --json -o plan.json [options]\`, then"
  echo "  \`reefplan verify FLEET plan.json\` (with the same \`--move-budget\`). Times are wall"
  echo "  clock of the whole process; the machine is shared."
  echo
  echo "## a. Move budgets, 10k instances x 24 slots"
  echo
  echo "Fleet: \`reefplan generate --instances 10000 --seed 7 --slots 24 --regions 3\` (the 10k"
  echo "fleet of \`bench/mip/run.sh\`: 179 reefs, a draining reef of 30 instances, a broken"
  echo "one of 35, 192 new instances; its own budget is 100). Options: \`--move-budget K\`."
  echo "*moves* counts every instance that changes reef, the 35 out of the broken reef"
  echo "included (they do not count against the budget). *deferred*: instances left in the"
  echo "draining reef, by reason. Gap = (objective - bound) / objective."
  echo
  echo "| budget | objective | lower bound | gap | moves | deferred | stopped by | time | valid |"
  echo "|---:|---:|---:|---:|---:|---|---|---:|---|"
  printf '%s\n' "${rows_a[@]}"
  echo
  echo "## b. Whole sizes at the fleet's budget"
  echo
  echo "The target fleet of the budget-100 run (\`--target-fleet\`). Per reef: the shared"
  echo "database load (db_compute of the instances on the shared pool) and the shared"
  echo "compute load (cpu_cores, memory_gb of the instances on shared nodes), summed per slot;"
  echo "*need* is the busiest slot's load over one vCore's or one node's usable share (after"
  echo "headroom), summed over the region's reefs (for nodes the larger of CPU and memory per"
  echo "reef); *paid* is the pools' vCores and the shared node counts."
  echo
  echo "| region | reefs | vCores paid | vCores needed | above | nodes paid | nodes needed | above | of which CPU | memory |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  echo "$sizes_b"
  echo
  echo "## c. \`--restarts 4\` against one run"
  echo
  echo "Fleets: \`reefplan generate --instances N --seed 7 --slots S --regions R\` (R = 3 unless"
  echo "one region is stated). Options: none, then \`--restarts 4\`. *change* = (four runs -"
  echo "one run) / one run."
  echo
  echo "| fleet | objective, one run | objective, four runs | change | time, one | time, four | stopped by (four) | valid |"
  echo "|---|---:|---:|---:|---:|---:|---|---|"
  printf '%s\n' "${rows_c[@]}"
  echo
  echo "## d. Large-neighbourhood MIP steps (default) against none"
  echo
  echo "The fleets of c. Options: \`--seed N\`, then \`--seed N --lns-steps 0\`. *change* ="
  echo "(default - none) / none. *steps*: how many ran and how many lowered the objective"
  echo "(from the log)."
  echo
  echo "| fleet | seed | objective, default | objective, none | change | steps | time, default | time, none | valid |"
  echo "|---|---:|---:|---:|---:|---|---:|---:|---|"
  printf '%s\n' "${rows_d[@]}"
  echo
  echo "## e. The reef tier MIPs at the end of the search"
  echo
  echo "From the info log of the one-run plans of c and of the budget-100 run of a: how many"
  echo "reefs took their own MIP's tiers and sizes (of those tried), the objective before and"
  echo "after, and the time they took."
  echo
  echo "| fleet | reefs improved of tried | objective before | after | gain | time |"
  echo "|---|---|---:|---:|---:|---:|"
  printf '%s\n' "${rows_e[@]}"
  echo
  echo "## f. What one leaver is worth"
  echo
  echo "The target fleets of the budget-0 and budget-100 runs of a, read by"
  echo "\`bench_leavers TARGET\` (\`bench/bench_leavers.c\`, built with \`${bl_cmd[*]}\`),"
  echo "with the engine's capacity model. Every reef at the cheapest pool SKU and node count"
  echo "that hold it; each instance that may move (active reef, not pinned, no group, out of"
  echo "its cooldown) is taken out of its reef with its tiers kept. *step reefs*: reefs that"
  echo "one leaver takes down in pool SKU or node count; *saving if landing is free*: the sum"
  echo "of the best such step saving per reef, which is what a bound that lets leavers land"
  echo "at no more than their load's unit price can credit them with; *free landing*: of"
  echo "those reefs, how many have such a leaver that some other reef of the region takes"
  echo "without a larger pool or node count; *net > 0*: reefs with a single move that lowers"
  echo "the cost in all (steps at both ends, dedicated tiers, move cost); *greedy*: such moves"
  echo "taken by net, each reef once as source or destination, and what they save in all (an"
  echo "estimate of independent single moves, not a bound)."
  echo
  echo "| budget | region | reefs | step reefs | saving if landing is free | free landing | net > 0 | greedy moves | greedy net |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows_f[@]}"
  echo
  echo "## g. Moves deferred against the first run"
  echo
  echo "Options: \`--move-budget K --defer-moves 1\`: after the first run, a second that searches"
  echo "with the budget held back and then spends it, the better plan kept. Both objectives"
  echo "and the time each had ended at (since the solve began) are from the run's info log;"
  echo "*change* = (deferred - first) / first. With \`--defer-moves 0\` the second run follows"
  echo "only on fleets of 1,000 instances or more, for a budget of at most 64 moves beyond the"
  echo "draining reefs', all spent, and only when the first run took at most a quarter of the"
  echo "limit; by default (\`-1\`) it never does."
  echo
  echo "| fleet | budget | first run | moves deferred | change | first ended at | deferred ended at | valid |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  printf '%s\n' "${rows_g[@]}"
} >"$out.tmp" && mv "$out.tmp" "$out"
echo "bench/search.sh: wrote $out" >&2
exit $fail

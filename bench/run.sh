#!/usr/bin/env bash
# The reefplan benchmark suite: one command that builds reefplan, runs every
# benchmark and writes a Markdown report of the figures, the exact commands,
# the date and the machine.
#
#   bash bench/run.sh [--quick] [--scratch DIR] [--out FILE]
#
#   --quick        smaller sizes and time limits: a smoke run of a few minutes
#   --scratch DIR  where generated fleets, plans and logs go (default
#                  $RP_BENCH_DIR or /tmp/reefplan-bench); never inside the repo
#   --out FILE     the report (default bench/RESULTS.md for a full run,
#                  SCRATCH/RESULTS-quick.md for --quick, so a smoke run never
#                  overwrites the committed figures)
#
# Benchmarks (each section of the report says what it measures):
#   a. check: load time (median of 3) and peak RSS on generated fleets
#   b. profile: rows/s and peak RSS on a long load.csv (bench/bench_profile.sh)
#   c. rebalance at several sizes, fleet-default and unlimited move budget,
#      every plan checked with `reefplan verify --move-budget K`
#   d. time-aware vs peak-based (--peak-profiles) cost after rebalancing
#   e. place: in-process query latency (bench/bench_place.c, built here
#      against build/libreefplan_core.a) and whole-process `reefplan place`
#
# Benchmarks are not tests: ctest and CI never run this script. The machine
# is shared and noisy; short runs are repeated and the median reported, and
# comparisons are made side by side within one run.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/results.sh
. "$root/bench/results.sh"
scratch=${RP_BENCH_DIR:-/tmp/reefplan-bench}
quick=0
out=
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --scratch) scratch=${2:?--scratch needs a directory}; shift ;;
    --out) out=${2:?--out needs a file}; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

case $out in ""|/*) ;; *) out=$PWD/$out ;; esac
scratch=$(realpath -m "$scratch")
case "$scratch/" in
  "$(cd "$root" && pwd -P)/"*)
    echo "bench/run.sh: scratch dir $scratch is inside the repository; use another" >&2
    exit 2 ;;
esac
mkdir -p "$scratch" || exit 2
cd "$scratch" || exit 2 # every path below is absolute; stray files land in scratch
if [ -z "$out" ]; then
  if [ $quick = 1 ]; then out=$scratch/RESULTS-quick.md; else out=$root/bench/RESULTS.md; fi
fi

if [ $quick = 1 ]; then
  check_sizes="1000 5000"; reb_sizes="500 2000 5000"; place_sizes="1000 5000"
  profile_rows=500000; place_queries=500
  tl_for() { echo 10; }
else
  check_sizes="10000 100000"; reb_sizes="1000 10000 100000"; place_sizes="10000 100000"
  profile_rows=10000000; place_queries=2000
  tl_for() { if [ "$1" -ge 100000 ]; then echo 120; else echo 60; fi; }
fi
reps=3 # runs of each short benchmark; the median is reported

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
die() { echo "bench/run.sh: $*" >&2; exit 1; }

# ---- tools -----------------------------------------------------------------
need=()
[ -x /usr/bin/time ] || need+=(time)
command -v jq >/dev/null || need+=(jq)
command -v pkg-config >/dev/null || need+=(pkg-config)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing ${need[*]}; install them (apt-get install ${need[*]})"
  log "installing ${need[*]}"
  (apt-get update -qq && apt-get install -y -qq "${need[@]}") >"$scratch/apt.log" 2>&1 ||
    die "could not install ${need[*]} (see $scratch/apt.log)"
fi

# ---- build -------------------------------------------------------------------
cmds=$scratch/commands.txt
: > "$cmds"
note_cmd() { # records a command line once, with $root shown as the repo path
  local line="$*"
  grep -qxF -- "$line" "$cmds" || echo "$line" >> "$cmds"
}
log "building (bash scripts/build)"
note_cmd "bash scripts/build"
# A second try after a pause: another build in the same tree can race this one.
bash "$root/scripts/build" >"$scratch/build.log" 2>&1 ||
  { sleep 20; bash "$root/scripts/build" >"$scratch/build.log" 2>&1; } ||
  die "build failed (see $scratch/build.log)"
[ -x "$root/build/reefplan" ] || die "no build/reefplan after the build"
# The commit the binary was built from, read now: one made while this runs
# is not what it measures. Changes to the benchmark reports do not count.
tree=$(results_tree)
# Benchmark copies taken right after the build, so that another build in the
# same tree during the run neither breaks it nor mixes two versions.
bin=$scratch/reefplan
lib=$scratch/libreefplan_core.a
cp "$root/build/reefplan" "$bin.tmp" && mv "$bin.tmp" "$bin" &&
  cp "$root/build/libreefplan_core.a" "$lib" || die "could not copy the build to $scratch"
note_cmd "cp build/reefplan build/libreefplan_core.a $scratch/"
bp=$scratch/bench_place
bp_cmd=(gcc -std=c11 -O2 -g -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
        -Wmissing-prototypes -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
        -I"$root/engine/src" -o "$bp" "$root/bench/bench_place.c"
        "$lib" $(pkg-config --libs jansson libcrypto) -lglpk -lcsv -lm)
note_cmd "${bp_cmd[*]}"
"${bp_cmd[@]}" >"$scratch/bench_place.build.log" 2>&1 ||
  die "bench_place did not compile (see $scratch/bench_place.build.log)"

# ---- helpers -----------------------------------------------------------------
# timed OUT ERR CMD...: runs CMD under /usr/bin/time -v; sets T_RC, T_WALL (s),
# T_RSS (KiB). Records the command line.
timed() {
  local o=$1 e=$2; shift 2
  note_cmd "$*"
  /usr/bin/time -v -o "$scratch/time.txt" "$@" >"$o" 2>"$e"
  T_RC=$?
  T_WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {
             n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' \
           "$scratch/time.txt")
  T_RSS=$(awk '/Maximum resident set size/ {print $NF}' "$scratch/time.txt")
  [ -n "$T_WALL" ] || T_WALL=0
  [ -n "$T_RSS" ] || T_RSS=0
}
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
  END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
fsize() { stat -c %s "$1" 2>/dev/null || echo 0; }
secs() { awk -v s="$1" 'BEGIN { printf (s < 10 ? "%.2f" : "%.1f"), s }'; }
money() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }

fleet_dir() { echo "$scratch/fleet-$1"; }
declare -A gen_wall=()
gen_fleet() { # N: generates the fleet once per run of this script
  local n=$1 d; d=$(fleet_dir "$1")
  [ -n "${gen_wall[$n]:-}" ] && return 0
  rm -rf "$d"
  log "generate --instances $n"
  timed "$scratch/gen-$n.out" "$scratch/gen-$n.err" \
    "$bin" generate --instances "$n" --seed 7 --slots 168 -o "$d"
  [ "$T_RC" = 0 ] || die "generate --instances $n failed: $(tail -1 "$scratch/gen-$n.err")"
  gen_wall[$n]=$T_WALL
}

report=$scratch/report.md
: > "$report"
r() { printf '%s\n' "$*" >> "$report"; }
bugs=()

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)

# ---- a. check ------------------------------------------------------------------
r "## a. \`check\`: load time and peak memory"
r ""
r "\`reefplan check FLEET --json\` on generated fleets (168 slots, seed 7); wall time is the"
r "median of $reps runs, peak RSS the largest of them. Sizes are of the files read."
r ""
r "| instances | reefs | fleet.json | instances.csv | profiles.csv | wall (median) | runs | peak RSS | cost now (USD/month) | over-capacity findings |"
r "|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|"
for n in $check_sizes; do
  gen_fleet "$n"; d=$(fleet_dir "$n")
  walls=(); rss=0
  for k in $(seq "$reps"); do
    log "check $n (run $k)"
    timed "$scratch/check-$n.json" "$scratch/check-$n.err" "$bin" check "$d" --json
    if [ "$T_RC" != 0 ]; then bugs+=("check on $n instances exited $T_RC: $(head -1 "$scratch/check-$n.err")"); fi
    walls+=("$T_WALL"); [ "$T_RSS" -gt "$rss" ] && rss=$T_RSS
  done
  nreefs=$(jq '.reefs | length' "$d/fleet.json")
  cost=$(jq '.cost // 0' "$scratch/check-$n.json" 2>/dev/null || echo 0)
  over=$(jq '.over_capacity | length' "$scratch/check-$n.json" 2>/dev/null || echo "?")
  r "| $n | $nreefs | $(mb "$(fsize "$d/fleet.json")") MB | $(mb "$(fsize "$d/instances.csv")") MB | $(mb "$(fsize "$d/profiles.csv")") MB | $(secs "$(median "${walls[@]}")") s | $(printf '%s ' "${walls[@]}") | $(mib "$rss") MiB | $(money "$cost") | $over |"
done
r ""
gl=""
for n in $(printf '%s\n' "${!gen_wall[@]}" | sort -n); do gl+="$n: $(secs "${gen_wall[$n]}") s; "; done
r "Generating the fleets (\`reefplan generate --instances N --seed 7 --slots 168 -o DIR\`, one run): ${gl%; }."
r ""

# ---- b. profile ------------------------------------------------------------------
r "## b. \`profile\`: throughput on a long load.csv"
r ""
ptmp=$scratch/profile-tmp
rm -rf "$ptmp"; mkdir -p "$ptmp"
log "bench_profile.sh $profile_rows rows (load.csv generation takes a while)"
note_cmd "TMPDIR=$ptmp KEEP=1 REEFPLAN=$bin bash bench/bench_profile.sh $profile_rows"
TMPDIR=$ptmp KEEP=1 REEFPLAN=$bin bash "$root/bench/bench_profile.sh" "$profile_rows" \
  >"$scratch/profile.out" 2>"$scratch/profile.err"
prc=$?
pdir=$(ls -d "$ptmp"/tmp.* 2>/dev/null | head -1)
if [ $prc != 0 ] || [ -z "$pdir" ] || [ ! -f "$pdir/fleet/load.csv" ]; then
  bugs+=("bench_profile.sh exited $prc: $(tail -2 "$scratch/profile.err" | tr '\n' ' ')")
  r "bench/bench_profile.sh failed (exit $prc): \`$(tail -1 "$scratch/profile.err")\`"
else
  # The script's own run, then two more on the same load.csv for a median.
  w1=$(awk '/^rows:/ { for (i = 1; i < NF; i++) if ($i == "wall:") print $(i + 1) }' "$scratch/profile.out")
  m1=$(awk '/^rows:/ { for (i = 1; i < NF; i++) if ($i == "RSS:") print $(i + 1) }' "$scratch/profile.out")
  walls=("${w1:-0}"); rss=$(( ${m1:-0} * 1024 ))
  for k in $(seq 2 "$reps"); do
    log "profile (run $k)"
    timed "$scratch/profile-$k.out" "$scratch/profile-$k.err" \
      "$bin" profile "$pdir/fleet" -o "$pdir/profiles-$k.csv"
    if [ "$T_RC" != 0 ]; then bugs+=("profile exited $T_RC: $(head -1 "$scratch/profile-$k.err")"); fi
    walls+=("$T_WALL"); [ "$T_RSS" -gt "$rss" ] && rss=$T_RSS
  done
  small_budget=2000000
  log "profile --mem-budget $small_budget"
  timed "$scratch/profile-small.out" "$scratch/profile-small.err" \
    "$bin" profile "$pdir/fleet" -o "$pdir/profiles-small.csv" --mem-budget "$small_budget"
  if [ "$T_RC" != 0 ]; then bugs+=("profile --mem-budget exited $T_RC: $(head -1 "$scratch/profile-small.err")"); fi
  sw=$T_WALL; srss=$T_RSS
  ssame=yes; cmp -s "$pdir/profiles.csv" "$pdir/profiles-small.csv" || ssame=no
  lsize=$(fsize "$pdir/fleet/load.csv")
  ninst_p=$(( $(wc -l < "$pdir/fleet/instances.csv") - 1 ))
  nprof=$(( $(wc -l < "$pdir/profiles.csv") - 1 ))
  same=yes; for k in $(seq 2 "$reps"); do cmp -s "$pdir/profiles.csv" "$pdir/profiles-$k.csv" || same=no; done
  pw=$(median "${walls[@]}")
  r "bench/bench_profile.sh (generates a fleet of $ninst_p instances, then $profile_rows rows of"
  r "\`instance_id,timestamp,metric,value\` with awk; profiles.csv removed) and then the same"
  r "\`reefplan profile DIR -o out.csv\` twice more on the same file. Rows/s from the median wall time."
  r ""
  r "| rows | load.csv | wall (median) | runs | rows/s | peak RSS | peak RSS / file size | profiles.csv rows | runs identical |"
  r "|---:|---:|---:|---|---:|---:|---:|---:|---|"
  r "| $profile_rows | $(mb "$lsize") MB | $(secs "$pw") s | $(printf '%s ' "${walls[@]}") | $(awk -v r="$profile_rows" -v s="$pw" 'BEGIN { printf "%.0f", (s > 0 ? r / s : 0) }') | $(mib "$rss") MiB | $(awk -v a="$rss" -v b="$lsize" 'BEGIN { printf "%.1f%%", (b > 0 ? 100 * a * 1024 / b : 0) }') | $nprof | $same |"
  r ""
  r "With \`--mem-budget $small_budget\` (samples held at once; the default is 16 M) the same file"
  r "takes $(secs "$sw") s ($(awk -v r="$profile_rows" -v s="$sw" 'BEGIN { printf "%.0f", (s > 0 ? r / s : 0) }') rows/s, more passes over the file) and peaks at $(mib "$srss") MiB;"
  r "output identical to the default run: $ssame. Peak RSS follows the number of instances and the"
  r "sample budget, not the file: the fleet's own profile matrix alone is $ninst_p × 6 metrics × 168"
  r "slots × 4 B = $(awk -v n="$ninst_p" 'BEGIN { printf "%.1f", n * 6 * 168 * 4 / 1048576 }') MiB."
  r ""
  r "bench_profile.sh said: \`$(grep -v '^generating' "$scratch/profile.err" | tr '\n' ' ' | sed 's/ *$//')\`"
fi
rm -rf "$ptmp"
r ""

# ---- c, d. rebalance ---------------------------------------------------------------
rebal_rows=()
verify_notes=()
peak_rows=()
declare -A unl_cost=()
rebalance_one() { # N KEY LABEL BUDGETFLAG(- or K) PEAK(0/1): appends a row to the report
  local n=$1 key=$2 label=$3 bflag=$4 peak=$5 d tl plan tag runs k
  d=$(fleet_dir "$n"); tl=$(tl_for "$n")
  tag=$n-$key; [ "$peak" = 1 ] && tag+=-peak
  plan=$scratch/plan-$tag.json
  local args=(rebalance "$d" -o "$plan" --json --time-limit "$tl")
  [ "$bflag" != - ] && args+=(--move-budget "$bflag")
  [ "$peak" = 1 ] && args+=(--peak-profiles)
  runs=1; [ "$n" -le 2000 ] && runs=$reps
  local walls=() solves=() rss=0 sums=() hit=0
  for k in $(seq "$runs"); do
    log "rebalance $n budget=$label peak=$peak (run $k/$runs, limit ${tl}s)"
    timed "$scratch/reb-$tag.json" "$scratch/reb-$tag.err" "$bin" "${args[@]}"
    if [ "$T_RC" != 0 ]; then
      bugs+=("rebalance ${args[*]} exited $T_RC: $(grep -v '^rebalance:' "$scratch/reb-$tag.err" | head -1)")
      local fail="| $n | $label | ${tl} s | **FAILED** (exit $T_RC) | | $(mib "$T_RSS") MiB | | | | | | | | |"
      if [ "$peak" = 1 ]; then peak_rows+=("$fail"); else rebal_rows+=("$fail"); fi
      REB_OK=0; return
    fi
    walls+=("$T_WALL"); [ "$T_RSS" -gt "$rss" ] && rss=$T_RSS
    sums+=("$(jq -c '[.cost_after, .objective, .moves]' "$scratch/reb-$tag.json")")
    solves+=("$(jq .solve_seconds "$scratch/reb-$tag.json")")
    # A search cut by the time limit takes the limit again: repeating it says nothing.
    if awk -v s="$(jq .solve_seconds "$scratch/reb-$tag.json")" -v t="$tl" 'BEGIN { exit !(s >= 0.9 * t) }'; then
      hit=1; break
    fi
  done
  REB_OK=1
  local same=yes
  [ "$(printf '%s\n' "${sums[@]}" | sort -u | wc -l)" = 1 ] || same=no
  local j=$scratch/reb-$tag.json
  REB_COST=$(jq .cost_after "$j")
  local cb ob lb mv tc sv
  cb=$(jq .cost_before "$j"); ob=$(jq .objective "$j"); lb=$(jq .lower_bound "$j")
  mv=$(jq .moves "$j"); tc=$(jq .tier_changes "$j"); sv=$(median "${solves[@]}")
  local gap; gap=$(awk -v o="$ob" -v l="$lb" 'BEGIN { printf "%.2f%%", (o > 0 ? 100 * (o - l) / o : 0) }')
  local ver=skipped
  if [ "$peak" = 0 ]; then
    local vb=$bflag
    [ "$vb" = - ] && vb=$FLEET_BUDGET
    log "verify $n budget=$label"
    timed "$scratch/verify-$tag.json" "$scratch/verify-$tag.err" \
      "$bin" verify "$d" "$plan" --move-budget "$vb" --json
    VERIFY_WALL=$T_WALL
    if [ "$T_RC" = 0 ]; then
      ver="valid ($(secs "$T_WALL") s)"
    elif [ "$T_RC" = 1 ]; then
      local nv; nv=$(jq .violation_count "$scratch/verify-$tag.json")
      ver="**INVALID** ($nv violations)"
      bugs+=("verify of the $n-instance plan (budget $label) found $nv violation(s), first: $(jq -r '.violations[0]' "$scratch/verify-$tag.json")")
      verify_notes+=("$n instances, budget $label: $(jq -r '.violations[:5] | join("; ")' "$scratch/verify-$tag.json")")
    else
      ver="**error** (exit $T_RC)"
      bugs+=("verify of the $n-instance plan (budget $label) exited $T_RC: $(head -1 "$scratch/verify-$tag.err")")
    fi
  fi
  local wtxt; wtxt="$(secs "$(median "${walls[@]}")") s"
  [ ${#walls[@]} -gt 1 ] && wtxt+=" (median of ${#walls[@]}$( [ $same = no ] && echo ', results differed'))"
  [ $hit = 1 ] && wtxt+=" (time limit hit)"
  local row="| $n | $label | ${tl} s | $wtxt | $(secs "$sv") s | $(mib "$rss") MiB | $(money "$cb") | $(money "$REB_COST") | $(money "$ob") | $(money "$lb") | $gap | $mv | $tc | $ver |"
  if [ "$peak" = 1 ]; then peak_rows+=("$row"); else rebal_rows+=("$row"); fi
}

declare -A pk_cost=()
for n in $reb_sizes; do
  gen_fleet "$n"; d=$(fleet_dir "$n")
  FLEET_BUDGET=$(jq '.settings.move_budget // -1' "$d/fleet.json")
  rebalance_one "$n" default "fleet ($FLEET_BUDGET)" - 0
  rebalance_one "$n" unlimited unlimited -1 0
  [ "$REB_OK" = 1 ] && unl_cost[$n]=$REB_COST
  rebalance_one "$n" unlimited unlimited -1 1
  [ "$REB_OK" = 1 ] && pk_cost[$n]=$REB_COST
done

hdr="| instances | move budget | time limit | wall | solve | peak RSS | cost before | cost after | objective | lower bound | gap | moves | tier changes | verify |"
sep="|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
r "## c. \`rebalance\`"
r ""
r "\`reefplan rebalance FLEET -o PLAN --json --time-limit T [--move-budget -1]\` on generated fleets"
r "(168 slots, seed 7, search seed 1); costs in USD/month; wall and solve (\`solve_seconds\`) are"
r "medians over the runs, the other figures those of the last run. Gap = (objective − lower bound) / objective."
r "\"fleet (K)\" is \`settings.move_budget\` = K of the generated fleet (moves out of broken reefs do"
r "not count against it). Each plan is checked with \`reefplan verify FLEET PLAN --move-budget K --json\`."
r "Fleets of up to 2,000 instances are solved $reps times (median wall time; the figures are compared),"
r "unless the first run is cut by the time limit (\"time limit hit\": the search used ≥ 90% of it)."
r ""
r "$hdr"; r "$sep"
for row in "${rebal_rows[@]}"; do r "$row"; done
r ""
if [ ${#verify_notes[@]} -gt 0 ]; then
  r "Violations found by verify (first five each):"
  r ""
  for v in "${verify_notes[@]}"; do r "- $v"; done
  r ""
fi

r "## d. Time-aware vs peak-based packing"
r ""
r "The same fleets rebalanced with \`--peak-profiles --move-budget -1\` (every profile replaced by"
r "its peak: the time-unaware baseline) next to the time-aware unlimited-budget plans of section c."
r "The peak-based plan is for the flattened fleet, so it is not verified against the real one."
r ""
r "$hdr"; r "$sep"
for row in "${peak_rows[@]}"; do r "$row"; done
r ""
r "| instances | cost after, peak-based | cost after, time-aware | saving of packing by hour |"
r "|---:|---:|---:|---:|"
for n in $reb_sizes; do
  if [ -n "${pk_cost[$n]:-}" ] && [ -n "${unl_cost[$n]:-}" ]; then
    r "| $n | $(money "${pk_cost[$n]}") | $(money "${unl_cost[$n]}") | $(awk -v p="${pk_cost[$n]}" -v t="${unl_cost[$n]}" 'BEGIN { printf "%.1f%%", (p > 0 ? 100 * (p - t) / p : 0) }') |"
  fi
done
r ""

# ---- e. place ------------------------------------------------------------------------
r "## e. \`place\`: query latency"
r ""
r "In process: \`bench_place FLEET $place_queries\` (bench/bench_place.c linked against"
r "build/libreefplan_core.a) loads the fleet, builds the placer once and times $place_queries random"
r "requests with \`clock_gettime\` around \`rp_place_query\` (random region and plan; half with the"
r "plan's default profile, half with a random instance's profile scaled by 0.5–1.5; one in ten in a"
r "random existing group). Each figure is the median of $reps runs of the same requests. Whole process: \`reefplan place FLEET --request REQ.json --json\` for a"
r "default-profile request in the first region, median of $reps runs."
r ""
r "| instances | reefs | options per query | p50 | p90 | p99 | max | placer build | fleet load (in process) | whole \`reefplan place\` (median) | peak RSS |"
r "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $place_sizes; do
  gen_fleet "$n"; d=$(fleet_dir "$n")
  : > "$scratch/place-bench-$n.out"
  for k in $(seq "$reps"); do # the same $place_queries requests each run (seed 7)
    log "bench_place $n (run $k)"
    timed "$scratch/place-bench-$n-$k.out" "$scratch/place-bench-$n.err" "$bp" "$d" "$place_queries" 7
    if [ "$T_RC" != 0 ]; then
      bugs+=("bench_place on $n instances exited $T_RC: $(head -1 "$scratch/place-bench-$n.err")")
      continue 2
    fi
    cat "$scratch/place-bench-$n-$k.out" >> "$scratch/place-bench-$n.out"
  done
  # kv KEY: the median over the runs of KEY=value
  kv() { median $(tr ' ' '\n' < "$scratch/place-bench-$n.out" | awk -F= -v k="$1" '$1 == k { print $2 }'); }
  reg=$(jq -r '.regions[0].name' "$d/fleet.json")
  plan=$(jq -r '.plans | if type == "array" then .[0].name else (keys | .[0]) end' "$d/fleet.json")
  req=$scratch/place-req-$n.json
  printf '{"region": "%s", "plan": "%s"}\n' "$reg" "$plan" > "$req"
  walls=(); rss=0
  for k in $(seq "$reps"); do
    log "place $n (run $k)"
    timed "$scratch/place-$n.json" "$scratch/place-$n.err" "$bin" place "$d" --request "$req" --json
    if [ "$T_RC" -gt 1 ]; then bugs+=("place on $n instances exited $T_RC: $(head -1 "$scratch/place-$n.err")"); fi
    walls+=("$T_WALL"); [ "$T_RSS" -gt "$rss" ] && rss=$T_RSS
  done
  r "| $n | $(kv reefs) | $(kv options_per_query) | $(kv p50_us) µs | $(kv p90_us) µs | $(kv p99_us) µs | $(kv max_us) µs | $(kv placer_ms) ms | $(kv load_ms) ms | $(secs "$(median "${walls[@]}")") s | $(mib "$rss") MiB |"
done
r ""
r "The request file is \`{\"region\": \"<first region>\", \"plan\": \"<first plan>\"}\`. Options per query"
r "is the number of reefs ranked (the reefs of the request's region)."
r ""

# ---- write the report -----------------------------------------------------------------
t_end=$(date +%s)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
ncpu=$(grep -c '^processor' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
mode=full; [ $quick = 1 ] && mode="quick (smoke sizes; not comparable with a full run)"

tmp_out=$scratch/RESULTS.md.tmp
{
  echo "# reefplan benchmark results"
  echo ""
  echo "_Sections a–e are written by \`bash bench/run.sh$( [ $quick = 1 ] && echo ' --quick')\`, section f by the scripts it"
  echo "names (bench/results.sh) — do not edit by hand; run them again to refresh."
  echo "Benchmarks are not tests: ctest and CI never run them._"
  echo ""
  echo "- Mode: $mode"
  echo "- Date: $(date -u -d "@$t_start" '+%Y-%m-%d %H:%M:%S UTC') (took $(( (t_end - t_start) / 60 )) min $(( (t_end - t_start) % 60 )) s)"
  echo "- Commit: $tree"
  echo "- Machine: \`$(uname -a)\`"
  echo "- CPU: $cpu, $ncpu logical cores (nproc: $(nproc))"
  echo "- Memory: $mem"
  echo "- Load average (1/5/15 min) at start: $load_start; at end: $load_end"
  echo "- Build: \`bash scripts/build\` (CMake, RelWithDebInfo: -O2 -g)"
  echo "- Timings: \`/usr/bin/time -v\` (wall clock, maximum resident set size) per process."
  echo "  The machine is shared: compare figures within one report rather than across reports."
  echo ""
  echo "## Summary"
  echo ""
  if [ ${#bugs[@]} -eq 0 ]; then
    echo "No benchmark crashed or produced an invalid plan."
  else
    echo "Problems found:"
    echo ""
    for b in "${bugs[@]}"; do echo "- $b"; done
  fi
  echo ""
  cat "$report"
  echo "## Commands"
  echo ""
  echo "Run from the repository root ($root); scratch dir $scratch, where"
  echo "\`$scratch/reefplan\` is the copy of build/reefplan taken right after the build."
  echo ""
  echo '```sh'
  sed "s#$root/##g" "$cmds"
  echo '```'
  # Section f belongs to the optimizer-quality scripts: carried over as it is.
  if [ -f "$out" ] && grep -q '^## f\. ' "$out"; then
    echo ""
    sed -n '/^## f\. /,$p' "$out"
  elif [ $quick = 0 ]; then
    results_section_f
  fi
} > "$tmp_out"
mkdir -p "$(dirname "$out")"
mv "$tmp_out" "$out"
log "wrote $out"
[ ${#bugs[@]} -eq 0 ] || { log "problems found:"; printf '  %s\n' "${bugs[@]}" >&2; }
exit 0

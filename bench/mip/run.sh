#!/usr/bin/env bash
# reefplan against general MIP solvers on the same model: for each fleet
# size, generates a fleet, exports its full MIP (`reefplan export --lp`), and
# runs `reefplan rebalance`, glpsol (GLPK) and cbc (COIN-OR) one after the
# other with the same time limit. Reports each one's objective (the exported
# LP's objective is rebalance's objective, constants included), rebalance's
# lower bound, glpsol's and cbc's best bounds when they stop, and the wall
# times.
#
#   bash bench/mip/run.sh [options]
#
#   --sizes "N ..."   fleet sizes (default "200 1000 10000 100000": 200, where
#                     the MIP solvers find solutions, then the sizes of the
#                     fleet benchmark)
#   --slots S         slots per week of the generated fleets (default 24)
#   --regions R       regions of the generated fleets, 1..3 (default 3);
#                     with --move-budget 0 regions do not interact, so one
#                     region is a part of the problem the solvers may prove
#   --time-limit T    seconds for each solver (default 60)
#   --move-budget K   rebalance and export with this move budget instead of
#                     the fleet's own (0: no instance changes reef except
#                     out of the broken reef; new instances are placed)
#   --max-lp-mb M     do not write an LP file larger than about M MB, judged
#                     from the largest file written so far (which grows with the square
#                     of the fleet: a binary per instance and reef, and reefs
#                     grow with the fleet) (default 5000: the 10k fleet's, about
#                     3,800 MB, is written; the 100k's would be about 100 times
#                     that, more than the disk holds); such a size is reported
#                     as not run, with the estimate
#   --wall-cap W      stop a solver W seconds of wall time after it started
#                     (default 900), reported as such: on a large LP, reading
#                     the file takes minutes before the solver's own clock
#                     starts
#   --scratch DIR     fleets, LP files, logs (default /tmp/reefplan-bench/mip)
#   --out FILE        the report (default bench/RESULTS-mip.md, appended to)
#   --reefplan BIN    the binary (default build/reefplan)
#
# Solvers run one at a time, so each has the machine to itself (as far as a
# shared machine allows). glpsol gets --tmlim T; cbc gets `sec T` (CPU
# seconds). "none" means the solver found no integer solution in time.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
sizes="200 1000 10000 100000" slots=24 regions=3 tl=60 max_mb=5000 cap=900 budget=()
scratch=/tmp/reefplan-bench/mip out=$root/bench/RESULTS-mip.md bin=$root/build/reefplan
cmdline="bash bench/mip/run.sh"
[ $# -eq 0 ] || cmdline+=$(printf " %q" "$@") # quoted, so that it runs as shown
die() { echo "bench/mip/run.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --sizes) sizes=${2:?}; shift ;;
    --slots) slots=${2:?}; shift ;;
    --regions) regions=${2:?}; shift ;;
    --time-limit) tl=${2:?}; shift ;;
    --move-budget) budget=(--move-budget "${2:?}"); shift ;;
    --max-lp-mb) max_mb=${2:?}; shift ;;
    --wall-cap) cap=${2:?}; shift ;;
    --scratch) scratch=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --reefplan) bin=${2:?}; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
for t in glpsol cbc jq timeout stdbuf /usr/bin/time; do
  command -v "$t" >/dev/null || die "$t is not installed (bash scripts/setup)"
done
[ -x "$bin" ] || die "no binary at $bin (bash scripts/build)"
# The tree as it is now, not when the report is written.
# shellcheck source=bench/results.sh
. "$root/bench/results.sh"
tree_at=$(results_tree)
case "$scratch" in "$root"|"$root"/*) die "--scratch must be outside the repository" ;; esac
mkdir -p "$scratch"
log() { echo "mip: $*" >&2; }

# timed NAME CMD...: runs CMD with wall time and peak RSS into $scratch/NAME.time
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$scratch/$name.time" "$@" >"$scratch/$name.out" 2>"$scratch/$name.err"
}
# The last line: GNU time puts "Command exited with non-zero status N" first.
wall() { tail -1 "$scratch/$1.time" | cut -d' ' -f1; }
rss_mb() { tail -1 "$scratch/$1.time" | awk '{ printf "%.0f", $2 / 1024 }'; }

# capped NAME READ CMD...: timed, stopped after $cap seconds of wall time.
# Prints nothing when CMD ended by itself, else what it had done by then:
# whether its log shows the LP read (a line matching READ).
capped() {
  local name=$1 read=$2; shift 2
  # Line-buffered, so that what it printed survives the stop.
  timed "$name" timeout "$cap" stdbuf -oL "$@"
  if [ $? -eq 124 ]; then
    if grep -q "$read" "$scratch/$name.out"; then
      echo "stopped at the wall cap of $cap s, the LP read"
    else
      echo "stopped at the wall cap of $cap s, still reading the LP"
    fi
  fi
}

# glpsol's best integer objective from its solution file, or "none".
glpsol_obj() {
  local sol=$1
  if [ -s "$sol" ] && grep -q '^Status: *INTEGER \(OPTIMAL\|NON-OPTIMAL\)' "$sol"; then
    sed -n 's/^Objective: *[A-Za-z_]* = *\([-0-9.eE+]*\).*/\1/p' "$sol"
  else
    echo none
  fi
}
glpsol_status() { sed -n 's/^Status: *//p' "$1" 2>/dev/null | head -1; }

# bound_from LOG SED IF SED2: the last number SED prints from LOG, or, when
# it prints none and LOG has a line matching IF, the last SED2 prints;
# "none" when neither gives one.
bound_from() {
  local b
  b=$(sed -n "$2" "$1" | tail -1)
  if [ -z "$b" ] && grep -q "$3" "$1"; then
    b=$(sed -n "$4" "$1" | tail -1)
  fi
  [ -n "$b" ] && awk -v b="$b" 'BEGIN { printf "%.2f", b }' || echo none
}

# glpsol's best bound from its log (the last "mip = X >= BOUND" line), or
# its LP relaxation's optimum when the search ended before a bound line.
glpsol_bound() {
  bound_from "$1" 's/.*mip = .*>= *\([-0-9.eE+]*\) .*/\1/p' '^OPTIMAL LP SOLUTION FOUND' \
    's/^.*obj = *\([-0-9.eE+]*\).*/\1/p'
}

# cbc's best bound from its log: "Lower bound:", or its objective when it
# proved the optimum.
cbc_bound() {
  bound_from "$1" 's/^Lower bound: *\([-0-9.eE+]*\).*/\1/p' '^Result - Optimal solution found' \
    's/^Objective value: *\([-0-9.eE+]*\).*/\1/p'
}

# cbc's best integer objective from its solution file, or "none".
cbc_obj() {
  local sol=$1
  if [ -s "$sol" ] && ! grep -qi 'infeasible\|no integer\|unbounded' <(head -1 "$sol"); then
    sed -n 's/.*[Oo]bjective value *\(of\)\{0,1\} *:\{0,1\} *\([-0-9.eE+]*\).*/\2/p' "$sol" | head -1
  else
    echo none
  fi
}

rows=() brief=() first_mb='' first_n=''
rtag=''
[ "$regions" = 3 ] || rtag=-r$regions
for n in $sizes; do
  d=$scratch/fleet-$n-$slots${rtag}
  lp=$d${budget[1]:+-budget-${budget[1]}}.lp
  if [ ! -f "$d/fleet.json" ]; then
    log "generate --instances $n --slots $slots --regions $regions"
    "$bin" generate --instances "$n" --seed 7 --slots "$slots" --regions "$regions" -o "$d" >/dev/null 2>"$scratch/gen-$n.err" ||
      die "generate failed: $(tail -1 "$scratch/gen-$n.err")"
  fi
  log "rebalance $n (limit ${tl}s)"
  timed "reb-$n" "$bin" rebalance "$d" -o "$scratch/plan-$n.json" --json --time-limit "$tl" "${budget[@]}"
  r_obj=$(jq -r '"\(.objective) (stopped by \(.stopped_by))"' "$scratch/reb-$n.out")
  r_num=$(jq -r .objective "$scratch/reb-$n.out") r_lb=$(jq -r .lower_bound "$scratch/reb-$n.out")
  r_gap=$(awk -v o="$r_num" -v l="$r_lb" 'BEGIN { printf "%.2f%%", (o > 0 ? 100 * (o - l) / o : 0) }')
  # The LP charges 1e5 (RP_MIP_PEN_DRAIN) per movable instance left in a
  # draining reef: in the plan, those deferred for the move budget.
  r_def=$(jq '[.deferred[] | select(.reason == "move budget")] | length' "$scratch/plan-$n.json")
  r_lp=$(awk -v o="$r_num" -v k="$r_def" 'BEGIN { printf "%.2f", o + 1e5 * k }')
  # The bound in LP terms adds the penalty of the fewest movable instances
  # any plan leaves there: those the plan moved out of draining reefs and
  # those it left (for the budget, or with no reef to take them), less the
  # move budget.
  drain=$(jq -c '[.reefs[] | select(.state == "draining") | .name]' "$d/fleet.json")
  r_out=$(jq --argjson dr "$drain" '[.actions[] | select(.type == "migrate" and (.from_reef as $r | $dr | index($r)))] | length' "$scratch/plan-$n.json")
  r_left=$(jq '[.deferred[] | select(.reason == "move budget" or .reason == "no reef can take it")] | length' "$scratch/plan-$n.json")
  r_b=${budget[1]:-$(jq .settings.move_budget "$d/fleet.json")}
  r_lblp=$(awk -v lb="$r_lb" -v m="$((r_out + r_left))" -v b="$r_b" \
    'BEGIN { k = b < 0 ? 0 : m - b; if (k < 0) k = 0; printf "%.2f", lb + 1e5 * k }')
  if "$bin" verify "$d" "$scratch/plan-$n.json" "${budget[@]}" >"$scratch/verify-$n.out" 2>&1; then r_ok=yes; else r_ok=NO; fi
  # The same with large-neighbourhood MIP steps uncapped (--lns: 2% of the
  # iterations; the default caps them at 300, fewer above 24 slots).
  log "rebalance --lns $n (limit ${tl}s)"
  timed "lns-$n" "$bin" rebalance "$d" -o "$scratch/plan-lns-$n.json" --json --time-limit "$tl" --lns "${budget[@]}"
  l_obj=$(jq -r .objective "$scratch/lns-$n.out")
  if "$bin" verify "$d" "$scratch/plan-lns-$n.json" "${budget[@]}" >"$scratch/verify-lns-$n.out" 2>&1; then l_ok=yes; else l_ok=NO; fi
  l_obj="$l_obj ($(wall "lns-$n") s, verified $l_ok, stopped by $(jq -r .stopped_by "$scratch/lns-$n.out"))"
  est=''
  if [ -n "$first_mb" ]; then
    # The model has a binary per (instance, reef) pair, and the number of
    # reefs grows with the fleet: the file grows with the square of its size.
    est=$(awk -v m="$first_mb" -v a="$first_n" -v b="$n" 'BEGIN { printf "%.0f", m * (b / a) ^ 2 }')
  fi
  if [ -n "$est" ] && [ "$est" -gt "$max_mb" ]; then
    log "$n: LP of about $est MB exceeds --max-lp-mb $max_mb; glpsol and cbc not run"
    rows+=("| $n | $(wall "reb-$n") | $r_obj | $r_lb | $r_ok | $l_obj | $r_lp | $r_lblp | not run: LP about $est MB | | | | not run | | | | |")
    brief+=("| $n | $r_gap | $r_obj | $r_lb | $r_ok | $r_lp | not run: LP of about $est MB | not run |")
    continue
  fi
  log "export $n"
  timed "exp-$n" "$bin" export "$d" --lp "$lp" "${budget[@]}" || die "export failed: $(tail -1 "$scratch/exp-$n.err")"
  mb=$(du -m "$lp" | cut -f1)
  first_mb=$mb first_n=$n # the largest file so far is the reference
  log "glpsol $n ($mb MB LP)"
  rm -f "$scratch/glpsol-$n.sol"
  g_cap=$(capped "glpsol-$n" 'lines were read' glpsol --lp "$lp" --tmlim "$tl" -o "$scratch/glpsol-$n.sol")
  g_obj=$(glpsol_obj "$scratch/glpsol-$n.sol") g_st=${g_cap:-$(glpsol_status "$scratch/glpsol-$n.sol")}
  g_lb=$(glpsol_bound "$scratch/glpsol-$n.out")
  case $g_st in "INTEGER OPTIMAL"*) g_lb=$g_obj ;; esac # its log's last bound line comes before the proof
  [ -n "$g_st" ] || g_st="no solution file (exit $(tail -1 "$scratch/glpsol-$n.out" | cut -c1-60))"
  log "cbc $n"
  rm -f "$scratch/cbc-$n.sol"
  # cbc reads the file, then takes `sec`: its line marks the LP read.
  c_cap=$(capped "cbc-$n" '^seconds was changed' cbc "$lp" sec "$tl" solve solu "$scratch/cbc-$n.sol")
  c_obj=$(cbc_obj "$scratch/cbc-$n.sol") c_lb=$(cbc_bound "$scratch/cbc-$n.out")
  c_st=${c_cap:-$(grep -m1 '^Result - ' "$scratch/cbc-$n.out" | sed 's/^Result - //')}
  rows+=("| $n | $(wall "reb-$n") | $r_obj | $r_lb | $r_ok | $l_obj | $r_lp | $r_lblp | $mb MB, $(wall "exp-$n") s | $g_obj | $g_lb | $(wall "glpsol-$n") s, $(rss_mb "glpsol-$n") MiB | $g_st | $c_obj | $c_lb | $(wall "cbc-$n") s, $(rss_mb "cbc-$n") MiB | ${c_st:-see cbc-$n.out} |")
  brief+=("| $n | $r_gap | $r_obj | $r_lb | $r_ok | $r_lp | $g_obj ($g_st) | $c_obj (${c_st:-see cbc-$n.out}) |")
done

[ -s "$out" ] || {
  echo "# reefplan against glpsol and cbc on the same model"
  echo
  echo "Produced by \`bash bench/mip/run.sh\`; every run appends a section. For each fleet size:"
  echo "\`reefplan rebalance\`, then \`reefplan export --lp\` of the same fleet, then glpsol and cbc"
  echo "on that LP file, one after the other with the same time limit. \"none\": no integer solution"
  echo "within the limit."
} >"$out"
{
  echo
  echo "## $(date -u '+%Y-%m-%d %H:%M UTC'): fleets of ${sizes// /, } instances, $slots slots, time limit $tl s"
  echo
  echo "- Command: \`$cmdline\`"
  echo "- reefplan: $bin, tree at commit $tree_at"
  echo "- glpsol: $(glpsol --version | head -1); cbc: $(cbc -quit 2>/dev/null | grep -m1 -i 'version' | sed 's/^ *//')"
  echo "- Machine: $(uname -srm); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Fleets: \`reefplan generate --instances N --seed 7 --slots $slots${rtag:+ --regions $regions}\`, ${budget[1]:+move budget ${budget[1]} (\`--move-budget ${budget[1]}\` for rebalance and export), not }the fleet's own move budget. The solvers run one after the other, each alone, and each is stopped $cap s of wall time after it starts, reading the LP included."
  echo
  echo "- The LP's objective is rebalance's plus 100,000 per movable instance left in a draining reef (the move budget leaves some there); *reefplan in LP terms* adds that, and is the figure to set against glpsol's and cbc's."
  echo
  echo "- Bounds in LP terms: reefplan's lower bound plus 100,000 for each of the fewest movable instances any plan leaves in a draining reef; glpsol's and cbc's best bounds when they stop (a lower bound on the LP's optimum, like reefplan's)."
  echo
  echo "| instances | reefplan time (s) | reefplan objective | lower bound | plan verified | reefplan --lns objective | reefplan in LP terms | lower bound in LP terms | LP file, export time | glpsol objective | glpsol bound | glpsol time, peak RSS | glpsol status | cbc objective | cbc bound | cbc time, peak RSS | cbc result |"
  echo "|---:|---:|---:|---:|---|---|---:|---:|---|---:|---:|---|---|---:|---:|---|---|"
  printf '%s\n' "${rows[@]}"
} >>"$out"
log "report appended to $out"

# The headline in section f of bench/RESULTS.md, for a run into the default
# report.
if [ "$out" = "$root/bench/RESULTS-mip.md" ]; then
  {
    echo "### Fleets against glpsol and cbc: \`$cmdline\`"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'); fleets of ${sizes// /, } instances (\`reefplan generate --instances N --seed 7 --slots $slots${rtag:+ --regions $regions}\`), ${budget[1]:+move budget ${budget[1]}, }time limit $tl s for each solver; reefplan tree at commit $tree_at; $(glpsol --version | head -1); $(uname -srm), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores. Gap = (objective - lower bound) / objective."
    echo
    echo "| instances | gap | reefplan objective | lower bound | plan verified | reefplan in LP terms | glpsol objective (status) | cbc objective (result) |"
    echo "|---:|---:|---:|---:|---|---:|---|---|"
    printf '%s\n' "${brief[@]}"
    echo
    echo "Targets: a lower objective than both solvers at every size; a gap of at most 2% at 10k instances within 60 s."
    echo "*reefplan in LP terms* adds the LP's 100,000 per movable instance left in a draining reef: the figure to set against glpsol's and cbc's."
    echo "Every run, with bounds in LP terms, export times and the --lns runs: [RESULTS-mip.md](RESULTS-mip.md)."
  } | results_block mip && log "bench/RESULTS.md section f updated"
fi

#!/usr/bin/env bash
# One-dimensional bin packing benchmark: runs `reefplan rebalance` on the
# BPPLIB instances with known optima and compares the bins it uses with the
# optimum (best_ub of DATA_DIR/bpplib/optima.csv; the optimum when status is
# "closed").
#
#   bash bench/bpp/run.sh [options] [DATA_DIR]
#
#   DATA_DIR          holds bpplib/optima.csv and the instances (default
#                     ../shared/bench relative to the repository root); read only
#   --set NAME        classic (default): the 1,615 instances of Falkenauer U/T,
#                     Scholl 1-3, Schwerin 1-2, Waescher, Hard28; ai, ani,
#                     difficult (ai + ani), all; or one class of optima.csv,
#                     whole or by prefix (Hard28, Scholl, Scholl/Scholl_2)
#   --time-limit T    reefplan --time-limit per instance, seconds (default 10)
#   --iterations N    also pass --iterations N: a search budget that does not
#                     depend on the machine's load (the time limit still cuts)
#   --jobs J          instances solved in parallel (default 2). Runs in parallel
#                     share the machine's cores, caches and memory bandwidth:
#                     times are of a loaded machine when J > 1
#   --limit N         only N instances, spread evenly over the selection (a
#                     smoke run; its report goes to the scratch dir by default)
#   --scratch DIR     fleets, plans, logs, per-instance results (default
#                     /tmp/reefplan-bench/bpp); never inside the repository
#   --out FILE        the report (default bench/RESULTS-bpp.md, appended to;
#                     SCRATCH/RESULTS-bpp.md with --limit or a one-class --set)
#   --reefplan BIN    the binary (default build/reefplan; it is copied into
#                     the scratch dir first, so a rebuild during the run is harmless)
#   --resume          keep the per-instance results of an interrupted run in
#                     the same scratch dir and solve only the missing ones
#   --keep            keep every generated fleet and plan
#   --no-verify       do not check each plan with `reefplan verify` (the check
#                     is untimed; a rejected plan counts as a failure)
#
# Each instance becomes a fleet (bench/bpp/to_fleet.sh) whose rebalance
# objective is the number of bins; `reefplan rebalance FLEET --json` prints the
# summary, cost_after rounded = bins. Output: SCRATCH/results.csv (one row per
# instance), a per-class table on stdout, and the report with the table, the
# command, date, machine, the comparison line from the research notes and the
# worst instances. The table's "CPU share" is CPU time / wall time of the
# reefplan processes: below 100% the machine was busy and a wall-clock limited
# search did less work than on an idle machine. Exit 0 when every instance
# ran and placed every item in a plan that verify accepts, 1 otherwise (a
# crash, an error exit, unplaced items, a rejected plan, fewer bins than a
# proven optimum), 2 on a usage error.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC2034 # prog: the name in messages, used by common.sh
prog=bench/bpp/run.sh
# shellcheck source=bench/bpp/common.sh
. "$root/bench/bpp/common.sh"

set_name=classic tl=10 iter='' jobs=2 limit=0 scratch=/tmp/reefplan-bench/bpp out=''
bin=$root/build/reefplan resume=0 keep=0 verify=1 data=
cmdline="bash bench/bpp/run.sh"
[ $# -eq 0 ] || cmdline+=$(printf " %q" "$@") # quoted, so that it runs as shown
while [ $# -gt 0 ]; do
  case $1 in
    --set) set_name=${2:?--set needs a name}; shift ;;
    --time-limit) tl=${2:?--time-limit needs seconds}; shift ;;
    --iterations) iter=${2:?--iterations needs a number}; shift ;;
    --jobs) jobs=${2:?--jobs needs a number}; shift ;;
    --limit) limit=${2:?--limit needs a number}; shift ;;
    --scratch) scratch=${2:?--scratch needs a directory}; shift ;;
    --out) out=${2:?--out needs a file}; shift ;;
    --reefplan) bin=${2:?--reefplan needs a binary}; shift ;;
    --resume) resume=1 ;;
    --keep) keep=1 ;;
    --no-verify) verify=0 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) [ -z "$data" ] || die "one DATA_DIR only"; data=$1 ;;
  esac
  shift
done
check_run_opts
need_tools

data=${data:-$root/../shared/bench}
[ -f "$data/bpplib/optima.csv" ] || die "no bpplib/optima.csv under $data"
data=$(cd "$data" && pwd)
case $out in ""|/*) ;; *) out=$PWD/$out ;; esac
scratch=$(check_scratch "$scratch") || exit 2
if [ -z "$out" ]; then
  case $limit/$set_name in
    0/classic|0/ai|0/ani|0/difficult|0/all) out=$root/bench/RESULTS-bpp.md ;;
    *) out=$scratch/RESULTS-bpp.md ;;
  esac
fi

export RPB_WORK=$scratch RPB_TL=$tl RPB_KEEP=$keep RPB_ITER=$iter RPB_VERIFY=$verify
[ $resume = 1 ] || rm -rf "$scratch/results" "$scratch/logs" "$scratch/fleets"
mkdir -p "$scratch/results"
RPB_BIN=$(snapshot_bin "$bin" "$scratch" "$resume") || exit 2
cmdline=$(command_line "$scratch" "$resume" "$cmdline")
rnote=; [ "$resume" = 0 ] || rnote=" in this resumed part (instances solved before it are not counted)"
export RPB_BIN

# The selection: optima.csv rows of the set, optionally thinned to --limit.
meta=$scratch/selected.csv list=$scratch/selected.tsv
awk -F, -v set="$set_name" -v limit="$limit" '
  function want(c) {
    if (set == "classic") return c !~ /^Difficult_Instances/
    if (set == "all") return 1
    if (set == "ai") return c == "Difficult_Instances/AI"
    if (set == "ani") return c == "Difficult_Instances/ANI"
    if (set == "difficult") return c ~ /^Difficult_Instances\//
    return c == set || index(c, set "/") == 1 || index(c, set "_") == 1
  }
  { sub(/\r$/, "") }
  NR == 1 { hdr = $0; next }
  want($1) { row[++n] = $0 }
  END {
    print hdr
    step = (limit > 0 && limit < n) ? n / limit : 1
    for (k = 1; k <= n; k += step) print row[int(k)]
  }' "$data/bpplib/optima.csv" > "$meta"
total=$(($(wc -l < "$meta") - 1))
[ "$total" -gt 0 ] || die "--set '$set_name' selects no instance of $data/bpplib/optima.csv"
awk -F, -v d="$data/bpplib" 'NR > 1 { print $2 "\t" d "/" $3 }' "$meta" > "$list"

echo "bpp: $total instances (set $set_name), time limit $tl s${iter:+, $iter iterations}, $jobs jobs; scratch $scratch" >&2
start=$(date -u '+%Y-%m-%d %H:%M UTC')
t0=$EPOCHREALTIME
run_workers "$jobs" 1 "$list"
elapsed=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
collect "$list" "$scratch/raw.csv"
nverified=$(awk -F, '$10 == 1 && $8 == ""' "$scratch/raw.csv" | wc -l)

# results.csv: the optima.csv fields, then what reefplan found.
results=$scratch/results.csv
awk -F, 'NR == FNR { r[$1] = $0; next }
  FNR == 1 { print $0 ",bins,excess,at_best,unplaced,lower_bound,wall_s,solve_s,rc,note,cpu_s"; next }
  {
    split(r[$2], f, ",")
    bins = f[2]; ex = ""; at = ""; note = f[8]
    if (bins != "") {
      ex = bins - $7; at = (bins <= $7) ? 1 : 0
      if ($8 == "closed" && bins < $7 && note == "") note = "fewer bins than the optimum"
    }
    print $0 "," bins "," ex "," at "," f[3] "," f[4] "," f[5] "," f[6] "," f[7] "," note "," f[9]
  }' "$scratch/raw.csv" "$meta" > "$results"

# The per-class table (Markdown), failures and worst instances.
table=$(awk -F, '
  NR == 1 { next }
  !($1 in seen) { seen[$1] = 1; order[++nc] = $1 }
  {
    c = $1; n[c]++; N++
    if ($9 != "") { ok[c] += $11; OK += $11; ex[c] += $10; EX += $10 }
    if ($17 != "") bad[c]++
    if ($14 != "") { w = $14 + 0; ts[c] += w; TS += w; tn[c]++; TN++
                     if (w > tm[c]) tm[c] = w; if (w > TM) TM = w }
    if ($18 != "" && $14 > 0) { cs[c] += $18; cw[c] += $14; CS += $18; CW += $14 }
  }
  function line(name, n, ok, ex, ts, tn, tm, bad, cs, cw) {
    printf "| %s | %d | %d | %.1f%% | %d | %.2f | %.2f | %s | %d |\n", name, n, ok, 100 * ok / n, ex,
           tn ? ts / tn : 0, tm, cw ? sprintf("%.0f%%", 100 * cs / cw) : "?", bad
  }
  END {
    print "| class | instances | optimal | % optimal | bins over optimum | mean time (s) | max time (s) | CPU share | failures |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (k = 1; k <= nc; k++) { c = order[k]; line(c, n[c], ok[c], ex[c], ts[c], tn[c], tm[c], bad[c], cs[c], cw[c]) }
    line("**total**", N, OK, EX, TS, TN, TM, B, CS, CW)
  }' B="$(awk -F, 'NR > 1 && $17 != ""' "$results" | wc -l)" "$results")
failures=$(awk -F, 'NR > 1 && $17 != "" { printf "- %s (%s): %s, rc %s\n", $2, $1, $17, $16 }' "$results")
worst=$(awk -F, 'NR > 1 && $10 > 0' "$results" | sort -t, -k1,1 -k10,10nr -k14,14nr |
  awk -F, '{ if (++k[$1] <= 10) printf "| %s | %s | %s | %s | %s | %s | +%s | %s |\n", $1, $2, $4, $5, $7, $9, $10, $14 }')
open_note=$(awk -F, 'NR > 1 && $8 != "closed"' "$results" | wc -l)

summary="$table"
echo "$summary"
echo "bpp: $total instances in ${elapsed} s; per-instance results in $results" >&2
[ -z "$failures" ] || { echo "bpp: failures:" >&2; echo "$failures" >&2; }

gga=$(grep -m1 '^| GGA-CGT' "$data/../research/benchmarks.md" 2> /dev/null | awk -F'|' '{ gsub(/^ +| +$/, "", $3); print $3 }')
[ -n "$gga" ] || gga="1,601/1,615 optimal (99.1%), mean 0.77 s"

{
  [ -s "$out" ] || printf '# One-dimensional bin packing (BPPLIB): reefplan against known optima\n\nProduced by `bench/bpp/run.sh`; every run appends a section. Each instance is a fleet whose rebalance objective is the number of bins (`bench/bpp/to_fleet.sh`); "optimal" means bins = best_ub of `bpplib/optima.csv` (the proven optimum for the classic set; the best known bound for open AI/ANI instances).\n'
  printf '\n## %s: set %s, %d instances, time limit %s s%s, %d parallel jobs\n\n' "$start" "$set_name" "$total" "$tl" "${iter:+, $iter iterations}" "$jobs"
  printf -- '- Command: %s\n' "$cmdline"
  printf -- '- reefplan: %s\n' "$(cat "$scratch/source.txt" 2> /dev/null || source_line "$RPB_BIN")"
  printf -- '- Machine: %s\n' "$(machine_line)"
  printf -- '- %s of %s plans were checked with `reefplan verify` (untimed) and accepted.\n' "$nverified" "$total"
  printf -- '- Wall time of the whole run: %s s%s. Times are the wall time of each `reefplan rebalance` process (fleet load included), with %d instances running at once on %s cores, so each competes for the machine when jobs > 1; other work on the machine competes too (see CPU share). Load average at the end: %s.\n' "$elapsed" "$rnote" "$jobs" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
  [ "$open_note" -eq 0 ] || printf -- '- %d of these instances are open (no proven optimum): for them "optimal" means bins = best known upper bound.\n' "$open_note"
  printf '\n%s\n\n' "$summary"
  printf 'Comparison (../shared/research/benchmarks.md, same machine kind): GGA-CGT (Quiroz-Castellanos et al. 2015) %s.\n' "$gga"
  if [ -n "$worst" ]; then
    printf '\nWorst instances (most bins over the optimum, at most 10 per class):\n\n'
    printf '| class | instance | n | capacity | optimum | bins | excess | time (s) |\n|---|---|---:|---:|---:|---:|---:|---:|\n%s\n' "$worst"
  fi
  if [ -n "$failures" ]; then printf '\nFailures (crash, error exit, unplaced items, plan rejected by verify, no result):\n\n%s\n' "$failures"
  else printf '\nNo crash, no error exit, no unplaced item.\n'; fi
} >> "$out"
echo "bpp: report appended to $out" >&2

# The headline in section f of bench/RESULTS.md, for a run of the whole
# classic set into the default report.
if [ "$out" = "$root/bench/RESULTS-bpp.md" ] && [ "$set_name" = classic ]; then
  packing_block bpp "BPPLIB one-dimensional" "$summary" "Target: at least 99% of the 1,615 optimal with a mean of at most 1 s. Published: GGA-CGT $gga."
fi
[ -z "$failures" ]

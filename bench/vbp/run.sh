#!/usr/bin/env bash
# Two-dimensional vector packing benchmark: runs `reefplan rebalance` on the
# Caprara-Toth instances (10 classes x 4 sizes x 10) and compares the bins it
# uses with the optimum z*.
#
#   bash bench/vbp/run.sh [options] [DATA_DIR]
#
#   DATA_DIR          holds vbp/caprara_toth/{CT01/*.vbp, ct_2dvbp_table.csv,
#                     brandao_thesis_zstar.csv} (default ../shared/bench
#                     relative to the repository root); read only
#   --set NAME        certified (default): the 369 instances with a proven
#                     optimum, i.e. the 320 of Brandao's thesis (status
#                     "optimal", z* = zstar of brandao_thesis_zstar.csv) and
#                     the 49 whose continuous bound equals FFD (status
#                     "optimal_by_LB=FFD", z* = ub_ffd_sum); proven: the 320
#                     only; all: the 400, the 31 open ones compared with their
#                     lower bound lb_cont
#   --classes "1 2 …" only these classes (default all ten)
#   --time-limit T    reefplan --time-limit per instance, seconds (default 10)
#   --iterations N    also pass --iterations N (a search budget independent of
#                     the machine's load; the time limit still cuts)
#   --jobs J          instances solved in parallel (default 2; parallel runs
#                     share the cores, so times are of a loaded machine)
#   --limit N         only N instances, spread evenly (a smoke run; its report
#                     goes to the scratch dir by default)
#   --scratch DIR     default /tmp/reefplan-bench/vbp; never inside the repository
#   --out FILE        the report (default bench/RESULTS-vbp.md, appended to;
#                     SCRATCH/RESULTS-vbp.md with --limit or --classes)
#   --reefplan BIN    the binary (default build/reefplan, copied to the scratch
#                     dir first)
#   --resume, --keep, --no-verify  as in bench/bpp/run.sh
#
# The gap of an instance is (bins - z*) / z*. Headline figures are over the
# 320 with Brandao's optima (the set of the published comparison): average and
# worst gap, how many reach z*, mean time; the 369 certified ones are also
# reported. Output: SCRATCH/results.csv, a per-class table on stdout and the
# report. "CPU share" is CPU time / wall time of the reefplan processes (below
# 100%: the machine was busy and the wall-clock limited search did less).
# Exit 0 when every instance ran and placed every item in a plan that verify
# accepts, 1 otherwise, 2 on a usage error.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC2034 # prog: the name in messages, used by common.sh
prog=bench/vbp/run.sh
# shellcheck source=bench/bpp/common.sh
. "$root/bench/bpp/common.sh"

set_name=certified classes="" tl=10 iter='' jobs=2 limit=0 scratch=/tmp/reefplan-bench/vbp out=''
bin=$root/build/reefplan resume=0 keep=0 verify=1 data=
cmdline="bash bench/vbp/run.sh"
[ $# -eq 0 ] || cmdline+=$(printf " %q" "$@") # quoted, so that it runs as shown
while [ $# -gt 0 ]; do
  case $1 in
    --set) set_name=${2:?--set needs a name}; shift ;;
    --classes) classes=${2:?--classes needs a list}; shift ;;
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
case $set_name in certified|proven|all) ;; *) die "--set must be certified, proven or all, not '$set_name'" ;; esac
check_run_opts
case " $classes " in *[!0-9\ ]*) die "--classes takes class numbers, not '$classes'" ;; esac
need_tools

data=${data:-$root/../shared/bench}
ct=$data/vbp/caprara_toth
for f in ct_2dvbp_table.csv brandao_thesis_zstar.csv CT01; do
  [ -e "$ct/$f" ] || die "no vbp/caprara_toth/$f under $data"
done
ct=$(cd "$ct" && pwd)
case $out in ""|/*) ;; *) out=$PWD/$out ;; esac
scratch=$(check_scratch "$scratch") || exit 2
if [ -z "$out" ]; then
  if [ "$limit" -gt 0 ] || [ -n "$classes" ]; then out=$scratch/RESULTS-vbp.md; else out=$root/bench/RESULTS-vbp.md; fi
fi

export RPB_WORK=$scratch RPB_TL=$tl RPB_KEEP=$keep RPB_ITER=$iter RPB_VERIFY=$verify
[ $resume = 1 ] || rm -rf "$scratch/results" "$scratch/logs" "$scratch/fleets"
mkdir -p "$scratch/results"
RPB_BIN=$(snapshot_bin "$bin" "$scratch" "$resume") || exit 2
cmdline=$(command_line "$scratch" "$resume" "$cmdline")
rnote=; [ "$resume" = 0 ] || rnote=" in this resumed part (instances solved before it are not counted)"
export RPB_BIN

# The selection with its z*: columns are found by name in both tables.
# meta.csv: instance,cls,n,cap1,cap2,zstar,source,lb_cont
meta=$scratch/selected.csv list=$scratch/selected.tsv
awk -F, -v set="$set_name" -v classes="$classes" -v limit="$limit" '
  function col(name,   k) { for (k = 1; k <= NF; k++) if ($k == name) return k
                           print "vbp: no column " name " in " FILENAME > "/dev/stderr"; exit 2 }
  { sub(/\r$/, "") }
  FNR == 1 && NR == 1 { bi = col("instance"); bz = col("zstar"); next }
  NR == FNR { brandao[$bi] = $bz; next }
  FNR == 1 { ti = col("instance"); tc = col("cls"); tn = col("n"); t1 = col("cap1"); t2 = col("cap2")
             tl = col("lb_cont"); tu = col("ub_ffd_sum"); tz = col("zstar_brandao2013"); ts = col("status"); next }
  {
    if (classes != "" && index(" " classes " ", " " $tc " ") == 0) next
    if ($ts == "optimal") {
      if (!($ti in brandao)) { print "vbp: " $ti " is optimal but not in brandao_thesis_zstar.csv" > "/dev/stderr"; exit 2 }
      z = brandao[$ti]; src = "brandao"
      if ($tz != "" && $tz != z) { print "vbp: " $ti ": z* differs between the two tables" > "/dev/stderr"; exit 2 }
    } else if ($ts == "optimal_by_LB=FFD") {
      if (set == "proven") next
      z = $tu; src = "lb=ffd"
    } else {
      if (set != "all") next
      z = ""; src = "open"
    }
    row[++n] = $ti "," $tc "," $tn "," $t1 "," $t2 "," z "," src "," $tl
  }
  END {
    print "instance,cls,n,cap1,cap2,zstar,source,lb_cont"
    step = (limit > 0 && limit < n) ? n / limit : 1
    for (k = 1; k <= n; k += step) print row[int(k)]
  }' "$ct/brandao_thesis_zstar.csv" "$ct/ct_2dvbp_table.csv" > "$meta" || exit 2
total=$(($(wc -l < "$meta") - 1))
[ "$total" -gt 0 ] || die "the selection is empty"
awk -F, -v d="$ct/CT01" 'NR > 1 { print $1 "\t" d "/" $1 ".vbp" }' "$meta" > "$list"

echo "vbp: $total instances (set $set_name), time limit $tl s${iter:+, $iter iterations}, $jobs jobs; scratch $scratch" >&2
start=$(date -u '+%Y-%m-%d %H:%M UTC')
t0=$EPOCHREALTIME
run_workers "$jobs" 2 "$list"
elapsed=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
collect "$list" "$scratch/raw.csv"
nverified=$(awk -F, '$10 == 1 && $8 == ""' "$scratch/raw.csv" | wc -l)

# results.csv: 1 instance 2 cls 3 n 4 cap1 5 cap2 6 zstar 7 source 8 lb_cont
# 9 bins 10 excess 11 gap_pct 12 optimal 13 unplaced 14 lower_bound 15 wall_s
# 16 solve_s 17 rc 18 note 19 cpu_s. For open instances excess and gap are against lb_cont.
results=$scratch/results.csv
awk -F, 'NR == FNR { r[$1] = $0; next }
  FNR == 1 { print $0 ",bins,excess,gap_pct,optimal,unplaced,lower_bound,wall_s,solve_s,rc,note,cpu_s"; next }
  {
    split(r[$1], f, ","); bins = f[2]; ex = gap = opt = ""; note = f[8]
    ref = ($6 != "") ? $6 : $8
    if (bins != "") {
      ex = bins - ref; gap = sprintf("%.2f", 100 * ex / ref); opt = ($6 != "" && bins == $6) ? 1 : 0
      if ($6 != "" && bins < $6 && note == "") note = "fewer bins than the optimum"
    }
    print $0 "," bins "," ex "," gap "," opt "," f[3] "," f[4] "," f[5] "," f[6] "," f[7] "," note "," f[9]
  }' "$scratch/raw.csv" "$meta" > "$results"

table=$(awk -F, '
  NR == 1 { next }
  function add(g) {
    n[g]++; if ($9 != "") { ok[g] += $12; ex[g] += $10; gs[g] += $11; gn[g]++; if (!(g in gw) || $11 + 0 > gw[g]) gw[g] = $11 + 0 }
    if ($18 != "") bad[g]++
    if ($15 != "") { ts[g] += $15; tn[g]++; if ($15 + 0 > tm[g]) tm[g] = $15 + 0 }
    if ($19 != "" && $15 > 0) { cs[g] += $19; cw[g] += $15 }
  }
  function line(name, g) {
    if (!n[g]) return
    printf "| %s | %d | %d | %.1f%% | %.2f%% | %.2f%% | %d | %.2f | %.2f | %s | %d |\n", name, n[g], ok[g],
           100 * ok[g] / n[g], gn[g] ? gs[g] / gn[g] : 0, gw[g], ex[g], tn[g] ? ts[g] / tn[g] : 0, tm[g],
           cw[g] ? sprintf("%.0f%%", 100 * cs[g] / cw[g]) : "?", bad[g]
  }
  {
    add("c" $2)
    if ($7 == "brandao") add("proven")
    if ($7 != "open") add("certified")
    else add("open")
  }
  END {
    print "| class | instances | optimal | % optimal | mean gap | worst gap | bins over z* | mean time (s) | max time (s) | CPU share | failures |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (c = 1; c <= 10; c++) line(c, "c" c)
    line("**320 with Brandao optimum**", "proven")
    line("**certified (Brandao + LB = FFD)**", "certified")
    line("open (gap to lb_cont)", "open")
  }' "$results")
failures=$(awk -F, 'NR > 1 && $18 != "" { printf "- %s: %s, rc %s\n", $1, $18, $17 }' "$results")
worst=$(awk -F, 'NR > 1 && $10 > 0' "$results" | sort -t, -k2,2n -k10,10nr -k11,11nr |
  awk -F, '{ if (++k[$2] <= 10) printf "| %s | %s | %s | %s | %s | %s | +%s | %s%% | %s |\n", $2, $1, $3, ($7 == "open" ? $8 " (LB)" : $6), $14, $9, $10, $11, $15 }')

echo "$table"
echo "vbp: $total instances in ${elapsed} s; per-instance results in $results" >&2
[ -z "$failures" ] || { echo "vbp: failures:" >&2; echo "$failures" >&2; }

cmp=$(grep -m1 '^| best of four greedy' "$data/../research/benchmarks.md" 2> /dev/null | awk -F'|' '{ gsub(/^ +| +$/, "", $2); gsub(/^ +| +$/, "", $3); print $2 ": " $3 }')
[ -n "$cmp" ] || cmp="best of four greedy heuristics (Vectorpack_cpp, Mommessin et al. 2024): avg gap 1.74% on the 320, 165/320 optimal; 223/369 on the certified set"

{
  [ -s "$out" ] || printf '# Two-dimensional vector packing (Caprara-Toth): reefplan against known optima\n\nProduced by `bench/vbp/run.sh`; every run appends a section. Each instance is a fleet whose rebalance objective is the number of bins (`bench/bpp/to_fleet.sh ... 2`: dimension 1 = db_compute, dimension 2 = db_storage_gb of one elastic pool). Gap = (bins - z*) / z*; z* is the optimum of Brandao'"'"'s thesis for 320 instances, and the FFD value for 49 more whose continuous lower bound equals it.\n'
  printf '\n## %s: set %s, %d instances, time limit %s s%s, %d parallel jobs\n\n' "$start" "$set_name${classes:+, classes $classes}" "$total" "$tl" "${iter:+, $iter iterations}" "$jobs"
  printf -- '- Command: %s\n' "$cmdline"
  printf -- '- reefplan: %s\n' "$(cat "$scratch/source.txt" 2> /dev/null || source_line "$RPB_BIN")"
  printf -- '- Machine: %s\n' "$(machine_line)"
  printf -- '- %s of %s plans were checked with `reefplan verify` (untimed) and accepted.\n' "$nverified" "$total"
  printf -- '- Wall time of the whole run: %s s%s. Times are the wall time of each `reefplan rebalance` process (fleet load included), with %d instances running at once on %s cores, so each competes for the machine when jobs > 1; other work on the machine competes too (see CPU share). Load average at the end: %s.\n' "$elapsed" "$rnote" "$jobs" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf '\n%s\n\n' "$table"
  printf 'Comparison (../shared/research/benchmarks.md, run on this machine kind): %s.\n' "$cmp"
  if [ -n "$worst" ]; then
    printf '\nWorst instances (most bins over z*, at most 10 per class):\n\n'
    printf '| class | instance | n | z* | reefplan bound | bins | excess | gap | time (s) |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|\n%s\n' "$worst"
  fi
  if [ -n "$failures" ]; then printf '\nFailures (crash, error exit, unplaced items, plan rejected by verify, no result):\n\n%s\n' "$failures"
  else printf '\nNo crash, no error exit, no unplaced item.\n'; fi
} >> "$out"
echo "vbp: report appended to $out" >&2

# The headline in section f of bench/RESULTS.md, for a run of the whole
# certified set into the default report.
if [ "$out" = "$root/bench/RESULTS-vbp.md" ] && [ "$set_name" = certified ]; then
  packing_block vbp "Two-dimensional vector packing (Caprara-Toth)" "$table" "Target: an average gap of at most 0.5% over the 320 instances with proven optima. Published: $cmp."
fi
[ -z "$failures" ]

#!/usr/bin/env bash
# Solves one packing instance with reefplan and writes one CSV row of results.
# The worker behind bench/bpp/run.sh and bench/vbp/run.sh.
#
#   solve_one.sh ID INSTANCE_FILE DIMS RESULT_FILE
#
# Environment: RPB_BIN (the reefplan binary), RPB_TL (--time-limit seconds),
# RPB_ITER (if set and not 0: --iterations, a search budget independent of
# the machine's load; the time limit still applies),
# RPB_VERIFY (1, the default: check every plan with `reefplan verify`,
# untimed; a plan it rejects gets the note "verify rejected the plan"),
# RPB_WORK (scratch directory; the fleet goes to RPB_WORK/fleets/ID and is
# removed afterwards unless RPB_KEEP=1; stderr of the run is kept in
# RPB_WORK/logs/ID.err when the run failed).
#
# RESULT_FILE gets one line:
#   id,bins,unplaced,lower_bound,wall_s,solve_s,rc,note,cpu_s,verified
# bins is cost_after rounded to the nearest integer (the pool costs 1 a bin,
# everything else about 1e-9); wall_s is the wall time of the reefplan process
# (loading the fleet included, building it excluded); rc is reefplan's exit
# status (124: killed by the watchdog at 3 x time limit + 30 s; >128: signal).
# note is empty on success, otherwise a short reason (no commas). cpu_s is
# the user + system CPU time of the process: on a shared machine cpu_s/wall_s
# is the share of a core the (wall-clock limited) search actually had.
# verified is 1 when `reefplan verify` checked the plan (RPB_VERIFY=1).
set -uo pipefail

id=$1 file=$2 dims=$3 result=$4
here=$(cd "$(dirname "$0")" && pwd)
: "${RPB_BIN:?RPB_BIN is not set}" "${RPB_TL:?RPB_TL is not set}" "${RPB_WORK:?RPB_WORK is not set}"
fleet=$RPB_WORK/fleets/$id
log=$RPB_WORK/logs/$id.err
mkdir -p "$RPB_WORK/fleets" "$RPB_WORK/logs"

row() { printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$id" "$@" "$cpu" "$verified" > "$result.tmp" &&
        mv "$result.tmp" "$result"; }
# cpu_between A B: CPU seconds of this shell's children between two `times`
# outputs (its second line: children's user and system time, as 0m1.234s).
cpu_between() {
  awk 'FNR == 2 { t = 0; for (k = 1; k <= 2; k++) { split($k, p, /[ms]/); t += p[1] * 60 + p[2] }
                  v[++f] = t }
       END { printf "%.3f", v[2] - v[1] }' "$1" "$2"
}
cpu='' verified=0

rm -rf "$fleet"
if ! bash "$here/to_fleet.sh" "$file" "$fleet" "$dims" 2> "$log"; then
  row "" "" "" "" "" "" "adapter failed"
  exit 0
fi

watchdog=$(awk -v t="$RPB_TL" 'BEGIN { printf "%d", 3 * t + 30 }')
times > "$fleet.t0" # in this shell: a subshell has no children of its own
t0=$EPOCHREALTIME
timeout "$watchdog" "$RPB_BIN" rebalance "$fleet" -o "$fleet/plan.json" \
  --time-limit "$RPB_TL" ${RPB_ITER:+--iterations "$RPB_ITER"} --json \
  > "$fleet/summary.json" 2>> "$log"
rc=$?
t1=$EPOCHREALTIME
times > "$fleet.t1"
cpu=$(cpu_between "$fleet.t0" "$fleet.t1")
rm -f "$fleet.t0" "$fleet.t1"
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')

note=
if [ $rc -eq 124 ]; then note="watchdog timeout"
elif [ $rc -gt 128 ]; then note="signal $((rc - 128))"
elif [ $rc -ne 0 ]; then note="exit $rc"
fi
fields=$(jq -r '[(.cost_after + 0.5 | floor), .unplaced, .lower_bound, .solve_seconds] | @csv' \
           "$fleet/summary.json" 2> /dev/null) || fields=
if [ -z "$fields" ]; then
  [ -n "$note" ] || note="no summary JSON"
  row "" "" "" "$wall" "" "$rc" "$note"
else
  IFS=, read -r bins unplaced lb solve <<< "$fields"
  lb=$(awk -v x="$lb" 'BEGIN { printf "%.6g", x }')
  solve=$(awk -v x="$solve" 'BEGIN { printf "%.3f", x }')
  [ "$unplaced" = 0 ] || [ -n "$note" ] || note="unplaced items"
  if [ -z "$note" ] && [ "${RPB_VERIFY:-1}" = 1 ]; then
    verified=1
    if ! "$RPB_BIN" verify "$fleet" "$fleet/plan.json" > "$fleet/verify.txt" 2>&1; then
      note="verify rejected the plan"
      cat "$fleet/verify.txt" >> "$log"
    fi
  fi
  row "$bins" "$unplaced" "$lb" "$wall" "$solve" "$rc" "$note"
fi
[ "${RPB_KEEP:-0}" = 1 ] || rm -rf "$fleet"
[ -n "$note" ] || rm -f "$log"
exit 0

#!/usr/bin/env bash
# Benchmark of `reefplan profile`: generates a long load.csv (default 10
# million rows) with awk into a temporary fleet and times building profiles
# from it. Prints rows/s and peak RSS.
#
#   bash bench/bench_profile.sh [ROWS] [INSTANCES]
#   env: REEFPLAN (binary, default build/reefplan), MEM_BUDGET (samples),
#        KEEP=1 keeps the temporary directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-10000000}
ninst=${2:-20000}
bin=${REEFPLAN:-$root/build/reefplan}
[ -x "$bin" ] || { echo "bench_profile: no binary at $bin (run scripts/build)" >&2; exit 2; }
tmp=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$tmp"' EXIT
fleet=$tmp/fleet

# A fleet: from `reefplan generate` when it works, else one built like the
# tiny fixture with $ninst unplaced instances.
if ! "$bin" generate --instances "$ninst" --seed 1 --slots 168 -o "$fleet" >/dev/null 2>&1; then
  rm -rf "$fleet"
  mkdir -p "$fleet"
  sed 's/"slots": 24/"slots": 168/' "$root/tests/fixtures/tiny/fleet.json" > "$fleet/fleet.json"
  awk -v n="$ninst" 'BEGIN {
    print "instance_id,region,plan,reef,db,compute,storage,pinned,group,last_moved,window"
    for (i = 1; i <= n; i++)
      printf "i-%06d,westus2,%s,,,,,false,,,\n", i, (i % 5 ? "standard" : "premium")
  }' > "$fleet/instances.csv"
fi
rm -f "$fleet/profiles.csv" "$fleet/load.csv"

echo "generating $rows rows of load.csv ..." >&2
t0=$(date +%s.%N)
cut -d, -f1 "$fleet/instances.csv" | tail -n +2 | awk -v rows="$rows" '
  { id[n++] = $1 }
  END {
    srand(1)
    split("db_compute db_storage_gb cpu_cores memory_gb share_gb share_iops", m, " ")
    scale[1] = 2; scale[2] = 50; scale[3] = 4; scale[4] = 16; scale[5] = 100; scale[6] = 500
    print "instance_id,timestamp,metric,value"
    per = int(rows / n); if (per < 1) per = 1
    r = 0
    for (i = 0; i < n && r < rows; i++) {
      cnt = (i == n - 1) ? rows - r : per
      for (k = 0; k < cnt; k++) {
        h = k % 672; mi = int(k / 6) % 60
        d = 2 + int(h / 24); hh = h % 24
        mm = (k % 6) + 1
        printf "%s,2026-11-%02dT%02d:%02d:00Z,%s,%.3f\n", id[i], d, hh, mi, m[mm], rand() * scale[mm]
      }
      r += cnt
    }
  }' > "$fleet/load.csv"
t1=$(date +%s.%N)
size=$(stat -c %s "$fleet/load.csv")
echo "load.csv: $(awk -v s="$size" 'BEGIN{printf "%.0f MB", s/1e6}'), generated in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f s", b-a}')" >&2

args=(profile "$fleet" -o "$tmp/profiles.csv")
[ -n "${MEM_BUDGET:-}" ] && args+=(--mem-budget "$MEM_BUDGET")
if [ -x /usr/bin/time ]; then
  /usr/bin/time -v "$bin" "${args[@]}" 2> "$tmp/time.txt" || { cat "$tmp/time.txt" >&2; exit 1; }
  grep '^reefplan profile:' "$tmp/time.txt" >&2 || true
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time.txt")
  secs=$(echo "$wall" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
  echo "rows: $rows  wall: ${secs} s  rows/s: $(awk -v r="$rows" -v s="$secs" 'BEGIN{printf "%.0f", (s > 0 ? r/s : 0)}')  peak RSS: $((rss / 1024)) MiB"
else
  start=$(date +%s.%N)
  "$bin" "${args[@]}"
  end=$(date +%s.%N)
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}')
  echo "rows: $rows  wall: ${secs} s  rows/s: $(awk -v r="$rows" -v s="$secs" 'BEGIN{printf "%.0f", (s > 0 ? r/s : 0)}')  peak RSS: n/a"
fi
echo "profiles.csv: $(($(wc -l < "$tmp/profiles.csv") - 1)) rows" >&2

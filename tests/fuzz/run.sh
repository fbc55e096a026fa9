#!/usr/bin/env bash
# Fuzzes reefplan's input readers with libFuzzer, on a clang build with
# AddressSanitizer and UndefinedBehaviorSanitizer (tests/fuzz/fuzz_input.c):
#
#   bash tests/fuzz/run.sh [SECONDS] [TARGET ...]
#
# SECONDS per target, one target after another (default 60). FZ_SOLVE=1
# also rebalances every fleet that loads and verifies the plan (FZ_ITERS
# search iterations, default 300; see fuzz_input.c). TARGETs:
# fleet.json catalog.json instances.csv profiles.csv load.csv plan.json
# request.json (default: all). Each starts from seeds taken from
# tests/fixtures, tests/bad, models and datasets/sample, and its corpus grows
# in build-fuzz/corpus/TARGET, so a later run goes on from there. A crash, a
# leak, a read that fails without one located error, or an input slower than
# 10 s stops the target and is kept in build-fuzz/crashes/TARGET/. Exits 1
# when any target stopped that way, 0 otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] ||
  targets=(fleet.json catalog.json instances.csv profiles.csv load.csv plan.json request.json)
bash scripts/setup clang libclang-rt-dev
CC=clang cmake -S . -B build-fuzz -DRP_FUZZ=ON -DRP_TESTS=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzz_input >&2

# The fixture's fleet fingerprint (SPEC section 5), which the plan seeds
# need: with the placeholder of tests/fixtures/plans, every plan stops at
# its fingerprint and the rest of the reader is never reached.
fingerprint() {
  local d=tests/fixtures/tiny f
  { for f in "$d/fleet.json" models/azure-vcore.json "$d/instances.csv" "$d/profiles.csv"; do
      printf '%s\n%s\n' "$(basename "$f")" "$(wc -c < "$f" | tr -d ' ')"
      cat "$f"
    done; } | sha256sum | cut -c1-64
}
fp=$(fingerprint)

# Seeds: every file of that name under the test inputs, and a few more.
seed() {
  local t=$1 out=build-fuzz/corpus/$1 k=0 f
  mkdir -p "$out"
  while IFS= read -r f; do
    sed "s/@FINGERPRINT@/sha256:$fp/" "$f" >"$out/seed-$k"; k=$((k + 1))
  done < <(case $t in
             catalog.json) ls models/*.json; find tests/bad -name '*catalog*.json' ;;
             plan.json) ls tests/fixtures/plans/*.json ;;
             request.json) ;;
             *) find tests/fixtures/tiny tests/bad datasets/sample -name "$t" ;;
           esac | sort)
  if [ "$t" = request.json ]; then
    printf '%s\n' '{"region": "westus2", "plan": "standard"}' > "$out/seed-r1"
    printf '%s\n' '{"region": "westus2", "plan": "premium", "instance_id": "new-1", "group": "g1",
 "profile": {"db_compute": 1.5, "cpu_cores": [1,1,1,1,1,1,1,1,1,1,1,1,4,4,4,4,1,1,1,1,1,1,1,1]}}' \
      > "$out/seed-r2"
  fi
}

found=0
for t in "${targets[@]}"; do
  case $t in
    fleet.json | catalog.json | instances.csv | profiles.csv | load.csv | plan.json | request.json) ;;
    *) echo "tests/fuzz/run.sh: unknown target '$t'" >&2; exit 2 ;;
  esac
  seed "$t"
  mkdir -p "build-fuzz/crashes/$t"
  log=build-fuzz/fuzz-$t.log
  if FZ_TARGET=$t FZ_FIXTURE=tests/fixtures/tiny build-fuzz/fuzz_input \
       -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=4096 \
       -artifact_prefix="build-fuzz/crashes/$t/" -print_final_stats=1 \
       "build-fuzz/corpus/$t" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    kept=$(sed -n 's/^fuzz_input: \([0-9]*\) inputs loaded or read, \([0-9]*\) plans.*/\1 loaded or read, \2 rebalanced and verified/p' "$log")
    echo "ok   $t: ${runs:-?} inputs in ${secs} s (${kept:-?}), corpus $(ls "build-fuzz/corpus/$t" | wc -l) files"
  else
    found=1
    echo "FAIL $t: $(grep -m1 -E 'ERROR|fuzz_input:|SUMMARY' "$log" || tail -n 1 "$log") (log: $log)"
  fi
done
exit "$found"

#!/usr/bin/env bash
# reefplan profile end to end: load.csv -> profiles.csv (stdout and -o),
# the result loads as the fleet's profiles, errors exit 2.
set -euo pipefail
bin=$1
root=${RP_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cp -r "$root/tests/fixtures/tiny" "$tmp/f"
rm "$tmp/f/profiles.csv"
{
  echo "instance_id,timestamp,metric,value"
  for k in $(seq 1 20); do printf 'i-1,2026-11-02T03:%02d:00Z,cpu_cores,%d\n' "$k" "$k"; done
  echo "i-3,2026-11-02T10:00:00+02:00,memory_gb,7.25"
} > "$tmp/f/load.csv"

"$bin" profile "$tmp/f" > "$tmp/out.csv" 2> "$tmp/err"
grep -q '^reefplan profile: 21 rows, 5 instances in .*, 2 passes$' "$tmp/err" || fail "stderr: $(cat "$tmp/err")"
[ "$(wc -l < "$tmp/out.csv")" = 31 ] || fail "want 30 rows and a header"
head -1 "$tmp/out.csv" | grep -q '^instance_id,metric,v0,v1,.*,v23$' || fail "header"
# p95 of 1..20 at slot 3 is 19; other slots take that max.
row=$(grep '^i-1,cpu_cores,' "$tmp/out.csv")
[ "$(echo "$row" | cut -d, -f6)" = 19 ] || fail "i-1 cpu slot 3: $row"
[ "$(echo "$row" | cut -d, -f3)" = 19 ] || fail "i-1 cpu slot 0: $row"
# 10:00+02:00 is 08:00Z: slot 8; defaults elsewhere: plan premium cpu 2.
[ "$(grep '^i-3,memory_gb,' "$tmp/out.csv" | cut -d, -f11)" = 7.25 ] || fail "i-3 memory"
[ "$(grep '^i-3,cpu_cores,' "$tmp/out.csv" | cut -d, -f3)" = 2 ] || fail "i-3 default"

# -o writes the same bytes; a tiny memory budget does too.
# i-1's 20 samples exceed the budget of 3 and take a batch of their own;
# the instances after it share the next one: three passes in all.
"$bin" profile "$tmp/f" -o "$tmp/f/profiles.csv" --mem-budget 3 2> "$tmp/err"
grep -q ', 3 passes$' "$tmp/err" || fail "--mem-budget 3: $(cat "$tmp/err")"
cmp -s "$tmp/out.csv" "$tmp/f/profiles.csv" || fail "-o with --mem-budget differs from stdout"
"$bin" check "$tmp/f" > /dev/null || fail "check on the written profiles"

# Input errors: exit 2, located message, no output file.
echo "i-1,2026-11-02T03:00:00Z,cpu_cores,-1" >> "$tmp/f/load.csv"
set +e
"$bin" profile "$tmp/f" -o "$tmp/bad.csv" 2> "$tmp/err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "exit $rc on a bad value"
grep -q "load.csv:23:36: error: column 'value': want a finite decimal number >= 0, got '-1'" "$tmp/err" \
  || fail "message: $(cat "$tmp/err")"
[ ! -e "$tmp/bad.csv" ] || fail "output written despite the error"
# A fleet reads profiles.csv when it has one, load.csv only when it has
# none: a profiles.csv that cannot be opened (a dangling link) is an error,
# not a reason to read load.csv instead; the plan's fingerprint follows the
# same rule.
rm "$tmp/f/profiles.csv"
ln -s "$tmp/nowhere.csv" "$tmp/f/profiles.csv"
sed -i '$d' "$tmp/f/load.csv"
set +e
"$bin" check "$tmp/f" > "$tmp/out" 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] && [ ! -s "$tmp/out" ] || fail "check with a dangling profiles.csv: exit $rc"
[ "$(cat "$tmp/err")" = "$tmp/f/profiles.csv: error: cannot open: No such file or directory" ] \
  || fail "dangling profiles.csv: $(cat "$tmp/err")"
rm "$tmp/f/profiles.csv"
"$bin" check "$tmp/f" > /dev/null || fail "check on load.csv alone"

set +e
"$bin" profile 2>/dev/null; rc=$?
set -e
[ "$rc" = 2 ] || fail "usage exit $rc"
echo "profile cli: ok"

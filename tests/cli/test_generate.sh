#!/usr/bin/env bash
# reefplan generate, end to end: determinism, option errors, atomic output,
# and the generated fleet read back by check and profile.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok()  { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }

gen() { "$bin" generate "$@" 2>"$tmp/gen.err"; }

# same seed -> identical files; another seed -> different files
gen --instances 400 --seed 5 --load-fraction 0.05 -o "$tmp/a" || bad "generate a: $(cat "$tmp/gen.err")"
gen --instances 400 --seed 5 --load-fraction 0.05 -o "$tmp/b" || bad "generate b"
gen --instances 400 --seed 6 --load-fraction 0.05 -o "$tmp/c" || bad "generate c"
for f in fleet.json instances.csv profiles.csv load.csv; do
  if cmp -s "$tmp/a/$f" "$tmp/b/$f"; then ok; else bad "$f differs with the same seed"; fi
done
for f in instances.csv profiles.csv load.csv; do
  if cmp -s "$tmp/a/$f" "$tmp/c/$f"; then bad "$f identical with another seed"; else ok; fi
done
# no temporary directories left next to the output
if find "$tmp" -maxdepth 1 -name '*.tmp.*' | grep -q .; then bad "temporary directory left behind"; else ok; fi

# shape of the output
[ "$(($(wc -l < "$tmp/a/instances.csv") - 1))" = 400 ] && ok || bad "instances.csv rows"
head -1 "$tmp/a/profiles.csv" | grep -q '^instance_id,metric,v0,.*,v167$' && ok || bad "profiles header"
head -1 "$tmp/a/load.csv" | grep -qx 'instance_id,timestamp,metric,value' && ok || bad "load header"
grep -q '"slots": 168' "$tmp/a/fleet.json" && ok || bad "slots in fleet.json"
gen --instances 50 --slots 24 --regions 1 --load-fraction 0 -o "$tmp/d" || bad "generate d"
head -1 "$tmp/d/profiles.csv" | grep -q ',v23$' && ok || bad "24-slot header"
[ ! -e "$tmp/d/load.csv" ] && ok || bad "load.csv written with --load-fraction 0"
regions=$(tail -n +2 "$tmp/d/instances.csv" 2>/dev/null | cut -d, -f2 | sort -u)
[ -s "$tmp/d/instances.csv" ] && [ "$regions" = westus2 ] && ok \
  || bad "--regions 1: regions in instances.csv '$(echo $regions)', want 'westus2'"

# bad options: exit 2, nothing on stdout, a message naming the option
expect_usage() {
  local want=$1; shift
  out=$("$bin" generate "$@" 2>"$tmp/err"); rc=$?
  if [ "$rc" = 2 ] && [ -z "$out" ] && grep -q -- "$want" "$tmp/err"; then ok
  else bad "generate $* -> exit $rc, stderr: $(cat "$tmp/err")"; fi
}
expect_usage "--instances: '0' is not a whole number" --instances 0 -o "$tmp/x"
expect_usage "--instances: '-1' is not a whole number" --instances -1 -o "$tmp/x"
expect_usage "--instances: 'abc' is not a whole number" --instances abc -o "$tmp/x"
expect_usage "--instances: '1000001'" --instances 1000001 -o "$tmp/x"
expect_usage "--slots: '48' is not 24 or 168" --instances 5 --slots 48 -o "$tmp/x"
expect_usage "--regions: '4'" --instances 5 --regions 4 -o "$tmp/x"
expect_usage "--load-fraction: '1.5'" --instances 5 --load-fraction 1.5 -o "$tmp/x"
expect_usage "--states: 'maybe'" --instances 5 --states maybe -o "$tmp/x"
expect_usage "-o DIR is required" --instances 5
expect_usage "--instances N is required" -o "$tmp/x"
expect_usage "unknown argument '--bogus'" --instances 5 --bogus 1 -o "$tmp/x"
expect_usage "exists and is not empty" --instances 5 -o "$tmp/a"
expect_usage "$tmp/a/fleet.json: error: output exists and is not a directory" --instances 5 -o "$tmp/a/fleet.json"
expect_usage "$tmp/nodir/x: error: cannot create a directory in $tmp/nodir: No such file or directory" \
  --instances 5 -o "$tmp/nodir/x"
mkdir "$tmp/linked" && ln -s linked "$tmp/link"
expect_usage "$tmp/link: error: is a symbolic link: name the directory itself" --instances 5 -o "$tmp/link"
expect_usage "$tmp/linked/.: error: cannot be replaced: name a new or empty directory by its own name" \
  --instances 5 -o "$tmp/linked/."
expect_usage "nosuch.json: error: cannot read" --instances 5 --catalog nosuch -o "$tmp/x"
[ ! -e "$tmp/x" ] && ok || bad "a failed run created its output directory"

# the fleet loads: check exits 0
out=$("$bin" check "$tmp/a" 2>"$tmp/err"); rc=$?
if [ "$rc" = 0 ] && echo "$out" | grep -q "400 instances"; then ok
else bad "check on a generated fleet: exit $rc: $(head -3 "$tmp/err")"; fi

# profiles.csv rows of sampled instances equal what `reefplan profile`
# computes from load.csv (the generator's documented contract)
mkdir "$tmp/p"
cp "$tmp/a/fleet.json" "$tmp/a/instances.csv" "$tmp/a/load.csv" "$tmp/p/"
"$bin" profile "$tmp/p" -o "$tmp/p/out.csv" 2>"$tmp/err"; rc=$?
if [ "$rc" = 0 ]; then
  diffs=$(awk -F, '
    FNR == 1 { file++; next }
    file == 1 { sampled[$1] = 1; next }
    file == 2 { row[$1 "," $2] = $0; next }
    file == 3 && ($1 in sampled) {
      n++; split(row[$1 "," $2], w, ",")
      for (k = 3; k <= NF; k++) if ($k + 0 != w[k] + 0) { d++; break }
    }
    END { print (n > 0 ? d + 0 : "none") }' \
    "$tmp/a/load.csv" "$tmp/a/profiles.csv" "$tmp/p/out.csv")
  [ "$diffs" = 0 ] && ok || bad "profile of load.csv differs from profiles.csv rows: $diffs"
else bad "profile on generated load.csv: exit $rc: $(head -3 "$tmp/err")"; fi

echo "test_generate: $pass passed, $fail failed"
[ "$fail" = 0 ]

#!/usr/bin/env bash
# Every command's --help (stdout, exit 0), and the usage errors that come
# before any input is read: one line on stderr and exit 2, or the usage when
# an argument is missing.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 passed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; fail=1; }

for verb in check profile rebalance place verify generate export; do
  for flag in --help -h; do
    "$bin" "$verb" "$flag" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" = 0 ] && [ ! -s "$tmp/err" ] && head -1 "$tmp/out" | grep -q "^usage: reefplan $verb "; then
      ok "$verb $flag"
    else bad "$verb $flag: exit $rc, out '$(head -1 "$tmp/out")', err '$(head -1 "$tmp/err")'"; fi
  done
done
"$bin" --help >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ "$rc" = 0 ] && [ "$(grep -c '^  [a-z]' "$tmp/out")" = 7 ]; then ok "reefplan --help lists 7 commands"
else bad "reefplan --help: exit $rc, $(cat "$tmp/out")"; fi

# expect RC 'STDERR' ARGS...: the exact one-line error and exit code.
expect() {
  local want_rc=$1 want=$2
  shift 2
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ "$rc" = "$want_rc" ] && [ "$(cat "$tmp/err")" = "$want" ] && [ ! -s "$tmp/out" ]; then ok "$*"
  else bad "$*: exit $rc, stderr '$(cat "$tmp/err")', stdout '$(head -c 200 "$tmp/out")'"; fi
}
expect 2 "reefplan place: --request needs a file" place FLEET --request
expect 2 "reefplan place: unknown option '--frob'" place FLEET --frob
expect 2 "reefplan rebalance: unknown option '--frob'" rebalance FLEET --frob
expect 2 "reefplan rebalance: -o needs a file name" rebalance FLEET -o
expect 2 "reefplan export: --lp needs a file name" export FLEET --lp
expect 2 "reefplan check: unexpected argument 'B'" check A B
# An output that cannot be written is refused before any input is read.
expect 2 "reefplan: cannot write $tmp/nodir/x.lp: No such file or directory" export FLEET --lp "$tmp/nodir/x.lp"
expect 2 "reefplan: cannot write $tmp/nodir/p.csv: No such file or directory" profile FLEET -o "$tmp/nodir/p.csv"
expect 2 "reefplan: cannot write $tmp: Is a directory" export FLEET --lp "$tmp"

# A missing argument prints the usage on stderr, exit 2.
for args in "rebalance" "place FLEET" "verify FLEET" "export FLEET" "check"; do
  # shellcheck disable=SC2086
  "$bin" $args >"$tmp/out" 2>"$tmp/err"; rc=$?
  if [ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && grep -q "usage: reefplan ${args%% *} " "$tmp/err"; then
    ok "$args: usage on stderr"
  else bad "$args: exit $rc, stderr '$(head -1 "$tmp/err")'"; fi
done
"$bin" frob >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ "$rc" = 2 ] && [ "$(head -1 "$tmp/err")" = "reefplan: unknown command 'frob'" ]; then ok "unknown command"
else bad "unknown command: exit $rc, $(head -1 "$tmp/err")"; fi

# Commands of the contract that this version lacks say so, exit 2, and
# print nothing on stdout.
for cmd in whatif apply serve; do
  "$bin" "$cmd" FLEET >"$tmp/out" 2>"$tmp/err"; rc=$?
  if [ "$rc" = 2 ] && [ ! -s "$tmp/out" ] &&
    [ "$(cat "$tmp/err")" = "reefplan: '$cmd' is not implemented in this version" ]; then
    ok "$cmd: not implemented"
  else bad "$cmd: exit $rc, stderr '$(head -1 "$tmp/err")'"; fi
done

echo "usage cli: $passed passed"
exit $fail

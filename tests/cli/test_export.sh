#!/usr/bin/env bash
# End-to-end tests of `reefplan export`: the LP file of the tiny fixture is
# solved by glpsol, and its proven optimum must equal the objective of
# `reefplan rebalance` with the same move budget (within 0.01). A heuristic
# objective above the optimum is a weakness of the search and fails here.
set -u
bin=$1
root=${RP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tiny=$root/tests/fixtures/tiny
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

for tool in glpsol jq; do
  command -v $tool >/dev/null || { echo "FAIL $tool is not installed (scripts/setup)"; exit 1; }
done

# optimum LPFILE: glpsol's proven optimum, or nothing.
optimum() {
  glpsol --lp "$1" -o "$1.sol" >"$1.log" 2>&1 || return
  grep -q '^Status: *INTEGER OPTIMAL' "$1.sol" || return
  sed -n 's/^Objective: *[A-Za-z_]* = *\([-0-9.eE+]*\).*/\1/p' "$1.sol"
}

# variant STATE: $tmp/tiny-STATE, tiny with reef wus2-02 (the last reef) in
# STATE. Called directly (not in $(...)) so that its bad counts; returns 1
# when the edit did not take.
variant() {
  local d=$tmp/tiny-$1
  mkdir -p "$d"; cp -r "$tiny/." "$d/"
  [ "$1" = active ] || sed -i '$!N;s/"active", "pool_sku": "GP_Gen5_4", "nodes": 3}\n  \]/"'"$1"'", "pool_sku": "GP_Gen5_4", "nodes": 3}\n  ]/;P;D' "$d/fleet.json"
  jq -e --arg s "$1" '.reefs[-1] | .name == "wus2-02" and .state == $s' "$d/fleet.json" >/dev/null 2>&1 ||
    { bad "variant $1 not made"; return 1; }
}

# compare FLEET BUDGET NAME: glpsol's optimum of the export = rebalance's
# objective, and rebalance's plan is valid.
compare() {
  local fleet=$1 budget=$2 name=$3 lp=$tmp/$3.lp opt heur
  if ! "$bin" export "$fleet" --lp "$lp" --move-budget "$budget" 2>"$tmp/err"; then
    bad "$name: export failed: $(cat "$tmp/err")"; return
  fi
  [ -s "$lp" ] && ok "$name: export writes the LP file" || bad "$name: no LP file"
  opt=$(optimum "$lp")
  [ -n "$opt" ] && ok "$name: glpsol proves an optimum ($opt)" || { bad "$name: glpsol: no optimum"; return; }
  heur=$("$bin" rebalance "$fleet" --move-budget "$budget" --json -o "$tmp/$name.plan.json" 2>/dev/null |
         jq -r .objective)
  "$bin" verify "$fleet" "$tmp/$name.plan.json" --move-budget "$budget" >"$tmp/verify" 2>&1 ||
    bad "$name: SOLVER BUG: rebalance's plan is invalid: $(head -1 "$tmp/verify")"
  case $(awk -v h="$heur" -v o="$opt" 'BEGIN { d = h - o; print (d > 0.01 ? "above" : d < -0.01 ? "below" : "equal") }') in
    equal) ok "$name: rebalance objective $heur = MIP optimum $opt" ;;
    above) bad "$name: SOLVER WEAKNESS: rebalance objective $heur > MIP optimum $opt" ;;
    *) bad "$name: rebalance objective $heur < MIP optimum $opt (model too tight, or an invalid plan)" ;;
  esac
}

for budget in 40 1 0 -1; do
  compare "$tiny" "$budget" "tiny-budget$budget"
done
# tests/fixtures/group-evict: a group of four where only three reefs may
# hold it, so one member stays unplaced. Only a member with no reef to stay
# in (a new one) may be: the LP's optimum is rebalance's objective plus the
# 1e6 penalty of that one (it used to drop a member that sits in a closed
# reef, $10.01 below any plan).
ge=$root/tests/fixtures/group-evict
"$bin" export "$ge" --lp "$tmp/ge.lp" 2>/dev/null
opt=$(optimum "$tmp/ge.lp")
heur=$("$bin" rebalance "$ge" --json -o "$tmp/ge.json" 2>/dev/null | jq -r '.objective + 1e6 * .unplaced')
if [ -n "$opt" ] && awk -v h="$heur" -v o="$opt" 'BEGIN { d = h - o; exit !(d < 0.01 && d > -0.01) }'; then
  ok "group-evict: MIP optimum $opt = rebalance objective + 1e6 per unplaced instance"
else bad "group-evict: MIP optimum '$opt', rebalance $heur"; fi
for state in closed draining broken; do
  variant $state || continue
  compare "$tmp/tiny-$state" 40 "tiny-$state"
done

# The default budget is the fleet's (40): the same file as --move-budget 40.
"$bin" export "$tiny" --lp "$tmp/default.lp" 2>/dev/null &&
  cmp -s "$tmp/default.lp" "$tmp/tiny-budget40.lp" && ok "default budget is settings.move_budget" ||
  bad "default budget differs from --move-budget 40"

# Usage and input errors: exit 2, nothing written.
"$bin" export "$tiny" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q -- '--lp' "$tmp/err" && ok "missing --lp: exit 2" || bad "missing --lp: rc $rc"
"$bin" export "$tiny" --lp "$tmp/x.lp" --move-budget -5 >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && [ ! -e "$tmp/x.lp" ] && ok "bad --move-budget: exit 2" || bad "bad --move-budget: rc $rc"
"$bin" export "$tmp/nofleet" --lp "$tmp/x.lp" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && [ ! -e "$tmp/x.lp" ] && grep -q 'error:' "$tmp/err" && ok "missing fleet: exit 2" ||
  bad "missing fleet: rc $rc"
# An LP path in a missing directory is refused before the model is built.
"$bin" export "$tiny" --lp "$tmp/nodir/x.lp" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && [ "$(cat "$tmp/err")" = "reefplan: cannot write $tmp/nodir/x.lp: No such file or directory" ] &&
  ok "unwritable LP path: exit 2" || bad "unwritable path: rc $rc, $(cat "$tmp/err")"
# A write that fails (a 4 KiB file size limit; GLPK itself reports no
# error): exit 1, the one line, and no file left, not even a cut one.
(trap '' XFSZ; ulimit -f 4; "$bin" export "$tiny" --lp "$tmp/cut.lp" >/dev/null 2>"$tmp/err"); rc=$?
[ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = "$tmp/cut.lp: error: cannot write: the LP file was cut short" ] &&
  [ -z "$(ls "$tmp" | grep '^cut\.lp')" ] && ok "a write cut short: exit 1, no LP file" ||
  bad "cut LP: rc $rc, $(cat "$tmp/err"), $(ls "$tmp" | grep '^cut')"
# Through a symbolic link, the file it names gets the LP; the link stays
# and no temporary file is left.
mkdir "$tmp/l" && ln -s real.lp "$tmp/l/link.lp"
"$bin" export "$tiny" --lp "$tmp/l/link.lp" 2>/dev/null; rc=$?
[ $rc -eq 0 ] && [ -L "$tmp/l/link.lp" ] && cmp -s "$tmp/l/real.lp" "$tmp/default.lp" &&
  [ "$(ls "$tmp/l")" = "$(printf 'link.lp\nreal.lp')" ] && ok "--lp through a symbolic link" ||
  bad "--lp through a link: rc $rc, $(ls -l "$tmp/l" | tr '\n' ';')"

exit $fail

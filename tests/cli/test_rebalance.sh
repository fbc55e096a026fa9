#!/usr/bin/env bash
# Acceptance and property tests of `reefplan rebalance` on generated fleets
# (issue "Rebalance and placement"): every plan passes `verify`, and jq
# re-checks the rules that matter most (move budget, pinned, cooldown, reef
# states, broken reefs, summary counts) from the fleet files themselves.
# Also: determinism per seed, a rebalanced fleet is left alone, the reef
# tier MIPs at the end of the search and in a search the clock cuts, the LP
# relaxation bound, and --target-fleet. Two jobs at a time.
set -u
bin=$(realpath "$1")
root=${RP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v jq >/dev/null || { echo "FAIL jq is not installed (scripts/setup installs it)"; exit 1; }
fail=0 passed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; fail=1; failed=$((failed + 1)); }
failed=0

# At most $jobs background jobs; each writes its report to $tmp/log.*.
jobs_max=2
spawn() {
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  "$@" &
}

# ---- the property checker ---------------------------------------------
# props.jq: one line per violation of plan $p over fleet.json $f and
# instances.csv $inst (generated fleets: no quoted CSV fields) for budget $K.
cat > "$tmp/props.jq" <<'JQ'
($f[0]) as $f | ($p[0]) as $p |
($f.reefs | map({key: .name, value: .state}) | from_entries) as $state |
($f.settings.now | fromdateiso8601) as $now |
($f.settings.move_cooldown_days * 86400) as $cool |
($inst | split("\n") | map(select(length > 0) | split(","))) as $rows |
($rows[0]) as $h |
[$rows[1:][] | . as $r | reduce range(0; $h | length) as $k ({}; .[$h[$k]] = $r[$k])] as $I |
($p.placements | map({key: .instance_id, value: .}) | from_entries) as $P |
($p.unplaced | map({key: .instance_id, value: .reason}) | from_entries) as $U |
($p.deferred | map({key: .instance_id, value: .reason}) | from_entries) as $D |
def st($r): $state[$r] // "active";
def lm: if . == "" then null elif length == 10 then (. + "T00:00:00Z" | fromdateiso8601)
        else fromdateiso8601 end;
($I | map(select(.group != "")) | group_by(.group)
 | map({key: .[0].group, value: map({id: .instance_id, reef})}) | from_entries) as $G |
[$I[] | . as $i | $P[$i.instance_id] as $pl | $U[$i.instance_id] as $un |
  ($i.reef != "" and st($i.reef) == "broken") as $broken |
  ($i.last_moved | lm) as $lm |
  {i: $i, pl: $pl, un: $un, broken: $broken,
   moved: ($pl != null and $i.reef != "" and $pl.reef != $i.reef),
   cooldown: ($lm != null and $now - $lm < $cool)}] as $X |
($X | map(select(.moved and (.broken | not))) | length) as $counted |
( $X[] | .i.instance_id as $id |
  ( select((.pl == null) == (.un == null)) | "\($id): placed \(.pl != null), unplaced \(.un != null)" ),
  ( select(.un != null and .i.reef != "" and (.broken | not))
    | "\($id): unplaced but its reef \(.i.reef) is \(st(.i.reef))" ),
  ( select(.un != null and (.un | length) == 0) | "\($id): unplaced without a reason" ),
  ( select(.i.pinned == "true" and (.broken | not) and .pl != null and
           [.pl.reef, .pl.db, .pl.compute, .pl.storage] != [.i.reef, .i.db, .i.compute, .i.storage])
    | "\($id): pinned but \([.i.reef, .i.db, .i.compute, .i.storage]) -> \([.pl.reef, .pl.db, .pl.compute, .pl.storage])" ),
  ( select(.i.pinned == "true" and (.broken | not) and .i.reef != "" and .pl == null)
    | "\($id): pinned but unplaced" ),
  ( select(.cooldown and (.broken | not) and .moved)
    | "\($id): in cooldown (last_moved \(.i.last_moved)) but moved \(.i.reef) -> \(.pl.reef)" ),
  ( select(.pl != null) | st(.pl.reef) as $s
    | select($s == "broken" or (($s == "draining" or $s == "closed") and .pl.reef != .i.reef))
    | "\($id): placed in \($s) reef \(.pl.reef) (was in '\(.i.reef)')" ),
  ( select(.broken and .pl != null and .pl.reef == .i.reef) | "\($id): left in broken reef" ),
  ( select(.moved and .i.group != "") | .i.group as $g | .pl.reef as $to
    | $G[$g][] | select(.id != $id and .reef == $to)
    | "\($id): moves into \($to), where \(.id) of its group \($g) starts (mates cannot trade reefs)" ),
  ( select(.pl != null and st(.pl.reef) == "draining" and $D[$id] == null)
    | "\($id): stays in draining reef \(.pl.reef) but is not deferred" ),
  ( select($K < 0 and $D[$id] == "move budget") | "\($id): deferred for 'move budget' with no budget" )
),
( select($K >= 0 and $counted > $K) | "moves counted in the budget: \($counted) > \($K)" ),
( $p.actions[] | select($K == 0 and .type == "migrate" and st(.from_reef) != "broken")
  | "action \(.id): migrate \(.instance_id) out of \(st(.from_reef)) reef \(.from_reef) with budget 0" ),
( select($p.summary.moves != ($X | map(select(.moved)) | length))
  | "summary.moves \($p.summary.moves) != \($X | map(select(.moved)) | length) reef changes" ),
( select($p.summary.unplaced != ($p.unplaced | length)) | "summary.unplaced != length of unplaced" )
JQ

# props NAME FLEET PLAN K: prints ok/FAIL for the property checks.
props() {
  local out n
  out=$(jq -rn --slurpfile f "$2/fleet.json" --slurpfile p "$3" --rawfile inst "$2/instances.csv" \
        --argjson K "$4" -f "$tmp/props.jq" 2>&1) || { bad "$1: jq: $out"; return; }
  n=$(grep -c . <<<"$out")
  if [ "$n" -gt 0 ]; then bad "$1: $n violation(s): $(head -5 <<<"$out" | tr '\n' ';')"
  else ok "$1: properties"; fi
}

# case_run FLEET K: rebalance, verify, properties; plan in $tmp/FLEET.K.json.
case_run() {
  local name=$1 k=$2 fleet=$tmp/$1 plan=$tmp/$1.$2.json
  {
    local v rc
    "$bin" rebalance "$fleet" -o "$plan" --move-budget "$k" --time-limit 5 2>"$plan.err"; rc=$?
    [ "$rc" = 0 ] || { bad "$name K=$k: rebalance exit $rc: $(tail -3 "$plan.err")"; exit 0; }
    if v=$("$bin" verify "$fleet" "$plan" --move-budget "$k" 2>&1); then ok "$name K=$k: verify"
    else bad "$name K=$k: verify: $(head -5 <<<"$v" | tr '\n' ';')"; fi
    props "$name K=$k" "$fleet" "$plan" "$k"
  } > "$tmp/log.case.$name.$k" 2>&1
}

# ---- fleets -------------------------------------------------------------
gen() { local name=$1; shift; "$bin" generate -o "$tmp/$name" "$@" 2>/dev/null || bad "generate $name"; }
# s0-40 is small enough for the whole-fleet MIP: its proven optimum, or
# when the clock stops it short of a proof its best bound, is the plan's
# bound, so verify's check that the bound is at most the objective is a
# check of GLPK's bound.
gen s0-40 --instances 40 --seed 2 --slots 24 --states on
gen s1-200 --instances 200 --seed 1 --slots 168
gen s2-500 --instances 500 --seed 2 --slots 24 --states on
gen s3-1000 --instances 1000 --seed 3 --slots 168
gen s4-3000 --instances 3000 --seed 4 --slots 24
gen s5-20000 --instances 20000 --seed 5 --slots 24 --regions 3
gen s5-1000 --instances 1000 --seed 5 --slots 168
# Closed reefs: s5-1000 with its two fullest active reefs closed (they keep
# their instances and may take none).
closed=$(jq -r '[.reefs[] | select(.state == "active") | .name][0:2] | join(" ")' \
         "$tmp/s5-1000/fleet.json")
jq --arg c "$closed" '.reefs |= map(if (.name | IN($c | split(" ")[])) then .state = "closed" else . end)' \
   "$tmp/s5-1000/fleet.json" > "$tmp/fj" && mv "$tmp/fj" "$tmp/s5-1000/fleet.json"
for n in s3-1000 s4-3000 s5-20000 s5-1000; do
  states=$(jq -r '[.reefs[].state] | unique | join(",")' "$tmp/$n/fleet.json")
  case $states in *broken*draining*) ok "$n has broken and draining reefs ($states)" ;;
                  *) bad "$n states: $states" ;; esac
done
grep -q closed <<<"$(jq -r '.reefs[].state' "$tmp/s5-1000/fleet.json")" && ok "s5-1000 has closed reefs" \
  || bad "s5-1000: no closed reef"

# ---- every fleet, every budget -----------------------------------------
# Longest first so the two job slots stay busy. Under the sanitizers
# (RP_SANITIZE=1, the second pass of .ci/run) the 20,000-instance fleet runs
# at one budget only: each of its cases costs tens of seconds there, and
# the plain pass runs all four.
for n in s5-20000 s4-3000 s3-1000 s5-1000 s2-500 s1-200 s0-40; do
  for k in -1 40 5 0; do
    [ "${RP_SANITIZE:-0}" = 1 ] && [ "$n" = s5-20000 ] && [ "$k" != 40 ] && continue
    spawn case_run "$n" "$k"
  done
done

# ---- determinism: same seed, same plan (solve_seconds aside) -------------
# A search cut by --time-limit may differ, and says so (stopped_by "time
# limit", also when the clock put the reef tier MIPs mid-search, at 60% of
# the limit): such a run does not test determinism and fails here. s1-200
# and s4-3000 get an iteration budget (s1-200 also fewer large-neighbourhood
# MIP steps: its full search takes 90 s under the sanitizers, and the
# shorter one still runs the MIP steps, the reef tier MIPs, the LP
# relaxation and a region's MIP bound); the limits are generous because the
# sanitizer build is many times slower.
det() {
  local name=$1 k=$2; shift 2
  local a=$tmp/det.$name.a.json b=$tmp/det.$name.b.json
  {
    "$bin" rebalance "$tmp/$name" -o "$a" --json --move-budget "$k" --seed 7 "$@" \
        >"$a.sum" 2>/dev/null &&
      "$bin" rebalance "$tmp/$name" -o "$b" --json --move-budget "$k" --seed 7 "$@" \
        >"$b.sum" 2>/dev/null ||
      { bad "$name: rebalance for determinism failed"; exit 0; }
    local sa sb
    sa=$(jq -r .stopped_by "$a.sum") sb=$(jq -r .stopped_by "$b.sum")
    if [ "$sa" = "time limit" ] || [ "$sb" = "time limit" ] || [ "$sa" = null ]; then
      bad "$name: stopped by '$sa' / '$sb': the clock decided, determinism not tested"
    elif cmp -s <(jq -S 'del(.summary.solve_seconds)' "$a") <(jq -S 'del(.summary.solve_seconds)' "$b")
    then ok "$name: same seed, byte-identical plan (stopped by $sa)"
    else bad "$name: same seed, different plans"; fi
  } > "$tmp/log.det.$name" 2>&1
}
spawn det s1-200 40 --time-limit 300 --iterations 1500 --lns-steps 8
spawn det s3-1000 -1 --time-limit 300
spawn det s4-3000 40 --time-limit 300 --iterations 8000

# ---- the LP relaxation bound ----------------------------------------------
# s1-200 with a limit of 300 s: the LP relaxation of the whole model (its
# tenth of the limit is ample, even on the sanitizer build) lies above the
# heuristic's bound, and the plan reports it less the safety margin, or the
# regions' MIP bounds (each region has fewer than 120 instances) when they
# are higher; verify holds it to the objective. With --time-limit 5 the
# model is too large for half a second: it is not tried, and the bound is
# the heuristic's or the regions'.
# region_total FILE: the regions' bound the -v log FILE reports, or nothing.
region_total() { sed -n 's/.*region bounds: [0-9]* of [0-9]* regions raised, [0-9.]* -> \([0-9.]*\).*/\1/p' "$1"; }
lp_bound() {
  local p=$tmp/lpb.json q=$tmp/lpb5.json
  {
    "$bin" rebalance "$tmp/s1-200" -o "$p" --move-budget 40 --seed 7 --iterations 300 \
        --time-limit 300 -v 2>"$p.err" &&
      "$bin" rebalance "$tmp/s1-200" -o "$q" --move-budget 40 --seed 7 --iterations 300 \
        --time-limit 5 -v 2>"$q.err" || { bad "lp bound: rebalance failed"; exit 0; }
    local y z lb lb5 r r5
    y=$(sed -n 's/.*construction and lower bound: .* s, lower bound \([0-9.]*\)$/\1/p' "$p.err")
    z=$(sed -n 's/.*LP relaxation bound: optimum \([0-9.]*\),.*/\1/p' "$p.err")
    r=$(region_total "$p.err") r5=$(region_total "$q.err")
    lb=$(jq .summary.lower_bound "$p") lb5=$(jq .summary.lower_bound "$q")
    if [ -n "$y" ] && [ -n "$z" ] &&
       jq -en --argjson y "$y" --argjson z "$z" --argjson r "${r:-0}" --argjson lb "$lb" \
         '$z > $y + 1 and $lb >= $z - 0.016 - 1e-6 * $z and
          ($lb <= $z or ($lb - $r | fabs) < 0.006)' >/dev/null &&
       "$bin" verify "$tmp/s1-200" "$p" --move-budget 40 >/dev/null 2>&1
    then ok "lp bound: the LP relaxation ($z) raises the bound ($y -> $lb; regions ${r:-none})"
    else bad "lp bound: heuristic '$y', LP '$z', regions '$r', reported '$lb'"; fi
    if grep -q 'LP relaxation bound: not tried (model too large for the time)' "$q.err" &&
       jq -en --argjson y "$y" --argjson r "${r5:-0}" --argjson lb "$lb5" \
         '($lb - ([$y, $r] | max)) | fabs < 0.006' >/dev/null
    then ok "lp bound: not tried in a tenth of 5 s; the heuristic's or the regions' bound ($lb5)"
    else bad "lp bound at 5 s: reported '$lb5', heuristic '$y', regions '$r5': $(grep 'LP relax' "$q.err")"; fi
    # s0-40: the whole-fleet MIP. When the clock stops it short of a proof,
    # GLPK's best bound is the plan's bound (less the margin); when it
    # proves the optimum, the bound is the objective.
    local e=$tmp/lpb40.json st bb obj lb40
    "$bin" rebalance "$tmp/s0-40" -o "$e" --move-budget 0 --time-limit 5 -v 2>"$e.err" ||
      { bad "mip bound: rebalance failed"; exit 0; }
    st=$(sed -n 's/.*exact: MIP \([a-z]*\), objective .*/\1/p' "$e.err")
    bb=$(sed -n 's/.*exact: MIP [a-z]*, objective [0-9.]*, bound \([0-9.]*\),.*/\1/p' "$e.err")
    obj=$(jq .summary.objective "$e") lb40=$(jq .summary.lower_bound "$e")
    if [ -n "$bb" ] && "$bin" verify "$tmp/s0-40" "$e" --move-budget 0 >/dev/null 2>&1 &&
       jq -en --arg st "$st" --argjson b "$bb" --argjson o "$obj" --argjson lb "$lb40" \
         'if $st == "optimal" then ($lb - $o | fabs) < 0.006
          else $lb >= $b - 0.016 - 1e-6 * $b end' >/dev/null
    then ok "mip bound: s0-40 MIP $st, bound $bb, reported $lb40 (objective $obj)"
    else bad "mip bound: s0-40 MIP '$st', bound '$bb', reported '$lb40', objective '$obj'"; fi
  } > "$tmp/log.lpb" 2>&1
}
spawn lp_bound

# ---- the regions' MIP bounds -------------------------------------------
# Two regions of 42 and 48 instances, 5 moves: each region alone, as a MIP
# widened to hold every valid plan, is proven optimal, and the sum of the
# two optima (less the margin) is the bound. It meets the plan's objective,
# $10,478.99, which cbc also proves optimal for the exported model (`cbc
# FILE.lp sec 90 solve`); the heuristic's bound is $9,821.27.
region_bound() {
  local p=$tmp/rb.json
  {
    "$bin" generate -o "$tmp/r90" --instances 90 --seed 5 --regions 2 --slots 24 --states on \
        >/dev/null 2>&1 &&
      "$bin" rebalance "$tmp/r90" -o "$p" --move-budget 5 --time-limit 300 -v 2>"$p.err" ||
      { bad "region bound: rebalance failed"; exit 0; }
    local y r n obj lb
    y=$(sed -n 's/.*construction and lower bound: .* s, lower bound \([0-9.]*\)$/\1/p' "$p.err")
    r=$(region_total "$p.err")
    n=$(grep -c 'region bound [a-z0-9]*: [0-9]* instances, [0-9]* nodes at most, MIP optimal' "$p.err")
    obj=$(jq .summary.objective "$p") lb=$(jq .summary.lower_bound "$p")
    if [ "$n" = 2 ] && [ -n "$y" ] && [ -n "$r" ] &&
       "$bin" verify "$tmp/r90" "$p" --move-budget 5 >/dev/null 2>&1 &&
       jq -en --argjson y "$y" --argjson r "$r" --argjson lb "$lb" --argjson o "$obj" \
         '$r > $y + 500 and ($lb - $r | fabs) < 0.006 and $o - $lb < 0.05' >/dev/null
    then ok "region bound: 2 regions proven, bound $y -> $lb, objective $obj"
    else bad "region bound: $n proven, heuristic '$y', regions '$r', reported '$lb', objective '$obj'"; fi
  } > "$tmp/log.rb" 2>&1
}
spawn region_bound
wait

# ---- a rebalanced fleet is left alone --------------------------------------
# The target fleet of a plan, rebalanced again with the same seed and budget.
# The search is a local search with compound moves (emptying and eliminating
# reefs, ruin-and-recreate, batch tier flips): on a fleet it has not solved to
# a proven optimum, a second run may find a little more. It must not churn:
# at most 2% of the instances move and the objective improves by less than
# 1%. (Exactly "nothing to do" on fleets solved to proven optimality is pinned
# by tests/unit/test_solver.c.) A first run cut by the time limit did not
# finish its search, so the second may well find more: that fails here as
# "not tested". The limits are generous for the sanitizer build.
settled() {
  local name=$1 k=$2 t=$tmp/target.$1 p1=$tmp/settle.$1.1.json p2=$tmp/settle.$1.2.json
  {
    "$bin" rebalance "$tmp/$name" -o "$p1" --move-budget "$k" --target-fleet "$t" \
        --time-limit 300 --json >"$p1.sum" 2>/dev/null \
      || { bad "$name: rebalance --target-fleet failed"; exit 0; }
    local stop
    stop=$(jq -r .stopped_by "$p1.sum")
    if [ "$stop" = "time limit" ] || [ "$stop" = null ]; then
      bad "$name K=$k settled: first run stopped by '$stop', churn not tested"; exit 0
    fi
    "$bin" rebalance "$t" -o "$p2" --move-budget "$k" --time-limit 300 2>/dev/null \
      || { bad "$name: rebalance of the target fleet failed"; exit 0; }
    local v
    v=$("$bin" verify "$t" "$p2" --move-budget "$k" 2>&1) || bad "$name settled: verify: $v"
    v=$(jq -rn --slurpfile a "$p1" --slurpfile b "$p2" '$a[0] as $a | $b[0] as $b |
      ($b.placements | length) as $n |
      (select($b.summary.moves > 0.02 * $n) | "moves \($b.summary.moves) of \($n)"),
      (select($b.summary.objective > $a.summary.cost_after + 0.01)
       | "objective \($b.summary.objective) > first cost_after \($a.summary.cost_after)"),
      (select($b.summary.objective < $a.summary.cost_after * 0.99)
       | "objective \($b.summary.objective) far below first cost_after \($a.summary.cost_after)")')
    if [ -z "$v" ]; then ok "$name K=$k: a rebalanced fleet does not churn"
    else bad "$name K=$k settled: $(head -5 <<<"$v" | tr '\n' ';')"; fi
  } > "$tmp/log.settled.$name" 2>&1
}
spawn settled s1-200 -1
spawn settled s2-500 -1
spawn settled s3-1000 -1
spawn settled s5-1000 0
wait

# ---- --target-fleet ----------------------------------------------------
# s3-1000's target (written above): reefs, sizes and placements are the
# plan's, movers get last_moved = now, the rest of each row is unchanged,
# profiles are the same, and it is within capacity at every slot.
t=$tmp/target.s3-1000 p=$tmp/settle.s3-1000.1.json f=$tmp/s3-1000
a=$(jq -c '[.reefs[] | select(.deleted | not) | [.name, .pool_sku, .nodes]]' "$p")
b=$(jq -c '[.reefs[] | [.name, .pool_sku, .nodes]]' "$t/fleet.json")
[ "$a" = "$b" ] && ok "target fleet: reefs at the plan's sizes" || bad "target reefs: $a vs $b"
cmp -s <(jq 'del(.reefs)' "$f/fleet.json") <(jq 'del(.reefs)' "$t/fleet.json") \
  && ok "target fleet: settings, plans, regions unchanged" || bad "target fleet.json differs outside reefs"
a=$(jq -r '.placements[] | [.instance_id, .reef, .db, .compute, .storage] | join(",")' "$p" | sort)
b=$(tail -n +2 "$t/instances.csv" | awk -F, '$4 != ""' | cut -d, -f1,4-7 | sort)
[ "$a" = "$b" ] && ok "target fleet: instances at their target reef and tiers" \
  || bad "target instances differ from placements"
cmp -s <(cut -d, -f1-3,8,9,11 "$f/instances.csv") <(cut -d, -f1-3,8,9,11 "$t/instances.csv") \
  && ok "target fleet: id, region, plan, pinned, group, window unchanged" || bad "target columns changed"
now=$(jq -r '.settings.now[0:10]' "$f/fleet.json")
movers=$(jq -r --slurpfile f <(tail -n +2 "$f/instances.csv" | awk -F, '{print "{\"i\":\""$1"\",\"r\":\""$4"\"}"}' | jq -s .) \
  '($f[0] | map({key: .i, value: .r}) | from_entries) as $o
   | .placements[] | select($o[.instance_id] != "" and $o[.instance_id] != .reef) | .instance_id' "$p" | sort)
got=$(awk -F, -v d="$now" 'NR > 1 && $10 == d {print $1}' "$t/instances.csv" | sort)
stale=$(comm -23 <(echo "$movers") <(echo "$got"))
[ -n "$movers" ] && [ -z "$stale" ] && ok "target fleet: $(wc -l <<<"$movers") movers have last_moved $now" \
  || bad "target last_moved: movers without it: $stale"
[ -z "$(comm -23 <(sort "$f/profiles.csv") <(sort "$t/profiles.csv"))" ] \
  && ok "target fleet: every profile row kept" || bad "target profiles differ"
oc=$("$bin" check "$t" --json 2>/dev/null | jq -c '.over_capacity | length')
[ "$oc" = 0 ] && ok "target fleet: within capacity at every slot" || bad "target over capacity: $oc"

# A fleet.json changed while the search runs: the target fleet is written
# from the fleet.json that was read, and the plan's fingerprint, taken
# before the search, no longer matches (verify says so).
rm -rf "$tmp/chg"; cp -r "$tmp/s1-200" "$tmp/chg"
REEFPLAN_LOG=info "$bin" rebalance "$tmp/chg" --time-limit 4 -o "$tmp/chg.json" \
  --target-fleet "$tmp/chg.t" 2>"$tmp/chg.err" &
chg=$!
for _ in $(seq 600); do grep -q 'construction and lower bound' "$tmp/chg.err" && break; sleep 0.05; done
jq '.settings.move_cooldown_days = 99' "$tmp/s1-200/fleet.json" > "$tmp/chg/fleet.json"
wait $chg; rc=$?
if [ "$rc" = 0 ] && cmp -s <(jq 'del(.reefs)' "$tmp/s1-200/fleet.json") <(jq 'del(.reefs)' "$tmp/chg.t/fleet.json") &&
   "$bin" verify "$tmp/s1-200" "$tmp/chg.json" >/dev/null 2>&1 &&
   ! "$bin" verify "$tmp/chg" "$tmp/chg.json" >"$tmp/chg.v" 2>&1 && grep -q 'fleet_fingerprint' "$tmp/chg.v"; then
  ok "fleet.json changed during the search: the target keeps what was read, the fingerprint tells"
else bad "fleet.json changed during the search: exit $rc, $(head -3 "$tmp/chg.v" 2>&1 | tr '\n' ';')"; fi

# Unplaced instances come back as new; a catalog named by relative path is
# made absolute; quoted CSV fields survive; peak profiles are not written.
# The new i-6 peaks at 1000 of every metric: no reef or dedicated size holds
# it, so it is unplaced.
tiny=$tmp/tiny; cp -r "$root/tests/fixtures/tiny" "$tiny"
cp "$root/models/azure-vcore.json" "$tiny/cat.json"
jq '.catalog = "cat.json" | .reefs[1].state = "broken" | .reefs[0].pool_sku = "GP_Gen5_2"' \
  "$root/tests/fixtures/tiny/fleet.json" > "$tiny/fleet.json"
sed -i 's/,g1,/,"g,1",/' "$tiny/instances.csv"
echo 'i-6,westus2,standard,,,,,false,,,' >> "$tiny/instances.csv"
# x_ columns (SPEC: allowed, not interpreted) are carried to the target.
awk -F, -v OFS=, 'NR == 1 {print "x_owner", $0, "\"x_note, free\""; next}
              {print "team-" $1, $0, (NR == 3 ? "\"say \"\"hi\"\", ok\"" : "")}' \
  "$tiny/instances.csv" > "$tiny/x" && mv "$tiny/x" "$tiny/instances.csv"
for m in db_compute db_storage_gb cpu_cores memory_gb share_gb share_iops; do
  echo "i-6,$m$(printf ',1000%.0s' $(seq 24))"
done >> "$tiny/profiles.csv"
"$bin" rebalance "$tiny" -o "$tmp/tiny.json" --target-fleet "$tmp/tiny.t" --peak-profiles 2>/dev/null
rc=$?
if [ "$rc" = 0 ] && "$bin" check "$tmp/tiny.t" >/dev/null 2>&1; then ok "tiny target fleet loads"
else bad "tiny target fleet: rebalance exit $rc, or check fails"; fi
case $(jq -r .catalog "$tmp/tiny.t/fleet.json") in
  /*/cat.json) ok "target fleet: catalog path made absolute" ;;
  *) bad "target catalog: $(jq -r .catalog "$tmp/tiny.t/fleet.json")" ;;
esac
grep -q '"g,1"' "$tmp/tiny.t/instances.csv" && ok "target fleet: quoted group kept" \
  || bad "target group: $(cat "$tmp/tiny.t/instances.csv")"
xs=$(head -1 "$tmp/tiny.t/instances.csv" | grep -c ',window,x_owner,"x_note, free"$')
xs=$xs$(grep -c '^i-2,.*,team-i-2,"say ""hi"", ok"$' "$tmp/tiny.t/instances.csv")
xs=$xs$(grep -c '^\(i-[13-6]\),.*,team-\1,$' "$tmp/tiny.t/instances.csv")
[ "$xs" = 115 ] \
  && ok "target fleet: x_ columns and their values kept" || bad "target x_ columns ($xs): $(cat "$tmp/tiny.t/instances.csv")"
[ "$(jq '.reefs | map(.name) | index("wus2-02")' "$tmp/tiny.t/fleet.json")" = null ] \
  && ok "target fleet: the emptied broken reef is gone" || bad "target still has the broken reef"
# Values compared as numbers: the fixture writes "10.0", reefplan "10".
numbers() { awk -F, -v OFS=, 'NR > 1 && $1 != "i-5" {for (k = 3; k <= NF; k++) $k += 0; print}' "$1" | sort; }
cmp -s <(numbers "$tiny/profiles.csv") <(numbers "$tmp/tiny.t/profiles.csv") \
  && ok "target fleet: real profiles written under --peak-profiles" || bad "target profiles flattened"
if jq -e '(.unplaced | length > 0) and any(.unplaced[]; .instance_id == "i-6")' "$tmp/tiny.json" >/dev/null 2>&1
then
  ok "tiny: the oversized new i-6 is unplaced"
  for id in $(jq -r '.unplaced[].instance_id' "$tmp/tiny.json"); do
    grep -q "^$id,westus2,[a-z]*,,,,," "$tmp/tiny.t/instances.csv" && ok "target fleet: unplaced $id comes back as new" \
      || bad "unplaced $id not new in target"
  done
else bad "tiny: i-6 not unplaced: $(jq -c .unplaced "$tmp/tiny.json" 2>&1)"; fi
# A fleet.json with a UTF-8 byte order mark (which the loader skips) gives a
# target fleet too (it was read again without skipping it: exit 1 after the
# search).
rm -rf "$tmp/bom"; cp -r "$root/tests/fixtures/tiny" "$tmp/bom"; { printf '\357\273\277'; cat "$root/tests/fixtures/tiny/fleet.json"; } >"$tmp/bom/fleet.json"
if "$bin" rebalance "$tmp/bom" --time-limit 2 -o "$tmp/bom.json" --target-fleet "$tmp/bom.t" 2>"$tmp/bom.err" &&
   "$bin" check "$tmp/bom.t" >/dev/null 2>&1; then
  ok "target fleet of a fleet.json with a byte order mark"
else bad "target fleet with a BOM: $(cat "$tmp/bom.err")"; fi
# A target directory that is not empty: exit 2, nothing written.
mkdir -p "$tmp/full"; touch "$tmp/full/x"
"$bin" rebalance "$tiny" -o "$tmp/none.json" --target-fleet "$tmp/full" 2>"$tmp/err"; rc=$?
if [ "$rc" = 2 ] && [ ! -e "$tmp/none.json" ] && grep -q "not empty" "$tmp/err"; then
  ok "target fleet: non-empty directory refused, no plan written"
else bad "non-empty target: exit $rc, $(cat "$tmp/err")"; fi
"$bin" rebalance "$tiny" --target-fleet 2>/dev/null; [ $? = 2 ] && ok "--target-fleet needs a value" \
  || bad "--target-fleet without a value"
# Outputs that cannot be written are refused before the search starts: one
# line, exit 2, nothing written.
REEFPLAN_LOG=info "$bin" rebalance "$tiny" -o "$tmp/nodir/p.json" --target-fleet "$tmp/tf1" \
  2>"$tmp/err"; rc=$?
if [ "$rc" = 2 ] && [ "$(cat "$tmp/err")" = "reefplan: cannot write $tmp/nodir/p.json: No such file or directory" ] &&
   [ ! -e "$tmp/tf1" ]; then ok "-o in a missing directory refused before the search"
else bad "-o in a missing directory: exit $rc, $(cat "$tmp/err")"; fi
REEFPLAN_LOG=info "$bin" rebalance "$tiny" -o "$tmp/none.json" --target-fleet "$tmp/full" 2>"$tmp/err"; rc=$?
if [ "$rc" = 2 ] && [ "$(cat "$tmp/err")" = "$tmp/full: error: output directory exists and is not empty" ]; then
  ok "non-empty target directory refused before the search"
else bad "non-empty target, before the search: exit $rc, $(cat "$tmp/err")"; fi
# A plan file inside the (empty) target directory would fill it before the
# fleet takes its place: refused before the search, nothing written.
mkdir "$tmp/tfin"
REEFPLAN_LOG=info "$bin" rebalance "$tiny" -o "$tmp/tfin/plan.json" --target-fleet "$tmp/tfin" 2>"$tmp/err"; rc=$?
if [ "$rc" = 2 ] && [ -z "$(ls -A "$tmp/tfin")" ] &&
   [ "$(cat "$tmp/err")" = "reefplan rebalance: -o $tmp/tfin/plan.json is inside --target-fleet $tmp/tfin, which must be empty" ]; then
  ok "-o inside the target directory refused before the search"
else bad "-o inside the target: exit $rc, $(ls -A "$tmp/tfin"), $(cat "$tmp/err")"; fi
REEFPLAN_LOG=info "$bin" rebalance "$tiny" -o "$tmp/none.json" --target-fleet "$tmp/nodir/t" 2>"$tmp/err"; rc=$?
if [ "$rc" = 2 ] && [ ! -e "$tmp/none.json" ] &&
   [ "$(cat "$tmp/err")" = "$tmp/nodir/t: error: cannot create a directory in $tmp/nodir: No such file or directory" ]; then
  ok "target directory in a missing directory refused before the search"
else bad "target in a missing directory: exit $rc, $(cat "$tmp/err")"; fi
# The plan cannot be written (stdout is full) after the target fleet was
# staged: exit 1, the one error line, and neither the target fleet nor its
# temporary sibling is left.
if [ -w /dev/full ]; then
  "$bin" rebalance "$tiny" --target-fleet "$tmp/tf2" >/dev/full 2>"$tmp/err"; rc=$?
  left=$(find "$tmp" -maxdepth 1 -name 'tf2*' | wc -l)
  if [ "$rc" = 1 ] && [ "$left" = 0 ] &&
     [ "$(cat "$tmp/err")" = "reefplan: cannot write to stdout: No space left on device" ]; then
    ok "plan not written: no target fleet left, no summary printed"
  else bad "plan not written: exit $rc, $left left, $(cat "$tmp/err")"; fi
else bad "/dev/full is not writable here"; fi
# -o through a symbolic link replaces the file it names and keeps the link;
# -o on a FIFO (as on a device such as /dev/null) writes into it rather
# than renaming a file over it; an empty name is refused before the search.
mkdir "$tmp/o"; echo old >"$tmp/o/real.json"; ln -s real.json "$tmp/o/link.json"
"$bin" rebalance "$tiny" --time-limit 1 -o "$tmp/o/link.json" 2>/dev/null; rc=$?
if [ "$rc" = 0 ] && [ -L "$tmp/o/link.json" ] && jq -e '.kind == "rebalance"' "$tmp/o/real.json" >/dev/null &&
   [ "$(ls "$tmp/o")" = "$(printf 'link.json\nreal.json')" ]; then
  ok "-o through a symbolic link: the link kept, the file it names replaced"
else bad "-o through a link: exit $rc, $(ls -l "$tmp/o" | tr '\n' ';')"; fi
ln -s missing.json "$tmp/o/dangling.json"
"$bin" rebalance "$tiny" --time-limit 1 -o "$tmp/o/dangling.json" 2>/dev/null; rc=$?
if [ "$rc" = 0 ] && [ -L "$tmp/o/dangling.json" ] && jq -e .kind "$tmp/o/missing.json" >/dev/null; then
  ok "-o through a dangling link creates the file it names"
else bad "-o through a dangling link: exit $rc, $(ls -l "$tmp/o" | tr '\n' ';')"; fi
mkfifo "$tmp/o/fifo"
timeout 30 cat "$tmp/o/fifo" >"$tmp/o/fifo.out" &
reader=$!
"$bin" rebalance "$tiny" --time-limit 1 -o "$tmp/o/fifo" 2>/dev/null; rc=$?
wait "$reader"
if [ "$rc" = 0 ] && [ -p "$tmp/o/fifo" ] && jq -e '.kind == "rebalance"' "$tmp/o/fifo.out" >/dev/null; then
  ok "-o on a FIFO writes into it, and it stays a FIFO"
else bad "-o on a FIFO: exit $rc, $(ls -l "$tmp/o" | tr '\n' ';')"; fi
"$bin" rebalance "$tiny" -o "" 2>"$tmp/err"; rc=$?
if [ "$rc" = 2 ] && [ "$(cat "$tmp/err")" = "reefplan: the output file name is empty" ]; then
  ok "-o '' refused before the search"
else bad "-o '': exit $rc, $(cat "$tmp/err")"; fi
# --lns-steps: a whole number from -2; anything else is a usage error, no plan.
for v in 1.5 -3 x; do
  "$bin" rebalance "$tiny" --lns-steps "$v" -o "$tmp/lns.json" 2>"$tmp/err"; rc=$?
  if [ "$rc" = 2 ] && [ ! -e "$tmp/lns.json" ] && grep -q -- "--lns-steps" "$tmp/err"; then
    ok "--lns-steps $v refused"
  else bad "--lns-steps $v: exit $rc, $(cat "$tmp/err")"; fi
done
# Options that count take whole numbers: one line naming the option.
for a in "--max-concurrent 2.7" "--iterations 10.5" "--restarts 2.5" "--seed 0.5"; do
  read -r opt val <<<"$a"
  "$bin" rebalance "$tiny" "$opt" "$val" -o "$tmp/whole.json" 2>"$tmp/err"; rc=$?
  if [ "$rc" = 2 ] && [ ! -e "$tmp/whole.json" ] &&
     [ "$(cat "$tmp/err")" = "reefplan rebalance: $opt: '$val' is not a whole number" ]; then
    ok "$a refused"
  else bad "$a: exit $rc, $(cat "$tmp/err")"; fi
done
# With the steps off, none run; by default on this fleet, some do. From
# here on the longer checks run as background jobs, two at a time.
lns_off() {
  REEFPLAN_LOG=info "$bin" rebalance "$tmp/s2-500" --lns-steps 0 -o "$tmp/lns0.json" 2>"$tmp/err0"
  REEFPLAN_LOG=info "$bin" rebalance "$tmp/s2-500" -o "$tmp/lnsd.json" 2>"$tmp/errd"
  if grep -q "large-neighbourhood MIP steps: 0," "$tmp/err0" &&
     grep -q "large-neighbourhood MIP steps: [1-9]" "$tmp/errd"; then ok "--lns-steps 0 turns the steps off"
  else bad "--lns-steps 0: $(grep -h large-neighbourhood "$tmp/err0" "$tmp/errd" | tr '\n' ';')"; fi
}
spawn lns_off > "$tmp/log.lns" 2>&1

# --restarts N: N runs of the search, each from the fleet as it is, the
# best kept. Each run is bounded by iterations (no large-neighbourhood
# steps, a generous time limit), so the runs are the same in every build.
# On q1-150 the third run (seed derived from --seed) finds a plan cheaper
# than the first; one run is the default, byte for byte; the same N and
# seed give the same plan. On q1-130 the first run is the best of three:
# that plan is kept, not the last.
rf=(--iterations 1500 --lns-steps 0 --time-limit 600)
gen q1-150 --instances 150 --seed 1 --slots 24
gen q1-130 --instances 130 --seed 1 --slots 24
nots() { jq -S 'del(.summary.solve_seconds)' "$1"; }
runs() { sed -n 's/.*run \([0-9]\) of 3: objective \([0-9.]*\),.*/\1 \2/p' "$1"; }
same() { jq -en --argjson a "$1" --argjson b "$2" '($a - $b) | fabs < 0.005' >/dev/null; }
restarts_best() {
  "$bin" rebalance "$tmp/q1-150" "${rf[@]}" -o "$tmp/r-def.json" 2>/dev/null
  "$bin" rebalance "$tmp/q1-150" "${rf[@]}" --restarts 1 -o "$tmp/r-1.json" 2>/dev/null
  REEFPLAN_LOG=info "$bin" rebalance "$tmp/q1-150" "${rf[@]}" --restarts 3 -o "$tmp/r-3a.json" \
    --json >"$tmp/r-3a.out" 2>"$tmp/r-3a.err"
  "$bin" rebalance "$tmp/q1-150" "${rf[@]}" --restarts 3 -o "$tmp/r-3b.json" 2>/dev/null
  o1=$(jq .summary.objective "$tmp/r-1.json") o3=$(jq .summary.objective "$tmp/r-3a.json")
  best=$(runs "$tmp/r-3a.err" | sort -k2,2g | head -1)
  if [ "$(nots "$tmp/r-def.json")" = "$(nots "$tmp/r-1.json")" ] &&
     [ "$(nots "$tmp/r-3a.json")" = "$(nots "$tmp/r-3b.json")" ] &&
     jq -en --argjson a "$o3" --argjson b "$o1" '$a < $b - 0.005' >/dev/null &&
     [ "$(runs "$tmp/r-3a.err" | wc -l)" = 3 ] && same "${best#* }" "$o3" &&
     [ "$(jq -r .stopped_by "$tmp/r-3a.out")" != "time limit" ] &&
     "$bin" verify "$tmp/q1-150" "$tmp/r-3a.json" >/dev/null 2>&1; then
    ok "--restarts 3: run ${best% *}'s plan ($o3 < $o1), the same twice, valid"
  else bad "--restarts: 1 run $o1, 3 runs $o3; $(runs "$tmp/r-3a.err" | tr '\n' ';')"; fi
}
spawn restarts_best > "$tmp/log.restarts_best" 2>&1
restarts_kept() {
  REEFPLAN_LOG=info "$bin" rebalance "$tmp/q1-130" "${rf[@]}" --restarts 3 -o "$tmp/q13-3.json" \
    2>"$tmp/q13-3.err"
  best=$(runs "$tmp/q13-3.err" | sort -k2,2g | head -1) o=$(jq .summary.objective "$tmp/q13-3.json")
  last=$(runs "$tmp/q13-3.err" | tail -1)
  if [ "$(runs "$tmp/q13-3.err" | wc -l)" = 3 ] && same "${best#* }" "$o" &&
     jq -en --argjson a "${last#* }" --argjson b "$o" '$a > $b + 0.005' >/dev/null; then
    ok "--restarts 3: the best run's plan is kept (run ${best% *}: $o), not the last (${last#* })"
  else bad "--restarts best of 3: kept $o; runs $(runs "$tmp/q13-3.err" | tr '\n' ';')"; fi
}
spawn restarts_kept > "$tmp/log.restarts_kept" 2>&1
# Runs share the one time limit: those it leaves no room for are not made,
# and the clock having had a say is reported.
REEFPLAN_LOG=info "$bin" rebalance "$tmp/q1-150" --restarts 64 --time-limit 2 --json \
  -o "$tmp/r64.json" >"$tmp/r64.out" 2>"$tmp/r64.err"
n=$(grep -c "run [0-9]* of 64" "$tmp/r64.err")
if [ "$(jq -r .stopped_by "$tmp/r64.out")" = "time limit" ] && [ "$n" -ge 1 ] && [ "$n" -lt 64 ] &&
   "$bin" verify "$tmp/q1-150" "$tmp/r64.json" >/dev/null 2>&1; then
  ok "--restarts 64 --time-limit 2: $n runs, stopped by the time limit, valid"
else bad "--restarts 64 --time-limit 2: $n runs, $(cat "$tmp/r64.out")"; fi
for v in 0 1.5 65 x; do
  "$bin" rebalance "$tiny" --restarts "$v" -o "$tmp/rr.json" 2>"$tmp/err"; rc=$?
  if [ "$rc" = 2 ] && [ ! -e "$tmp/rr.json" ] && grep -q -- "--restarts" "$tmp/err"; then
    ok "--restarts $v refused"
  else bad "--restarts $v: exit $rc, $(cat "$tmp/err")"; fi
done

# --patience: steps in a row without a lower objective before the loop ends
# (checked every 256 steps). 256 ends it by stagnation within 512 steps,
# long before the default (4,000 + 4 per instance) would; -1 never does, so
# --iterations ends the loop at exactly its count. The time limit is far
# above what the runs take (about 8 s under the sanitizers), so that the
# clock decides nothing even on a loaded machine (the pass of reef tier
# MIPs at 60% of it, the LP bound's tenth).
pat() { # label, options...
  local l=$1; shift
  REEFPLAN_LOG=info "$bin" rebalance "$tmp/q1-150" --lns-steps 0 --time-limit 600 "$@" --json \
    -o "$tmp/pat.json" >"$tmp/pat.$l" 2>"$tmp/pat.$l.err"
  pstop=$(jq -r .stopped_by "$tmp/pat.$l")
  pit=$(sed -n 's/.*improvement: \([0-9]*\) iterations.*/\1/p' "$tmp/pat.$l.err")
  "$bin" verify "$tmp/q1-150" "$tmp/pat.json" >/dev/null 2>&1 || pstop="$pstop, invalid"
}
pat def; dstop=$pstop dit=$pit
pat p256 --patience 256; p256="$pstop $pit"
pat never --patience -1 --iterations 20000; pnever="$pstop $pit"
if [ "$dstop" = stagnation ] && [ "$p256" = "stagnation 512" ] && [ "$dit" -gt 2000 ] &&
   [ "$pnever" = "iterations 20000" ]; then
  ok "--patience 256 stops by stagnation at 512 steps (default: $dit); -1 runs all of --iterations"
else bad "--patience: default '$dstop $dit', 256 '$p256', -1 '$pnever'"; fi
for v in -2 2 0.5 x; do
  "$bin" rebalance "$tiny" --defer-moves "$v" -o "$tmp/rr.json" 2>"$tmp/err"; rc=$?
  if [ "$rc" = 2 ] && [ ! -e "$tmp/rr.json" ] && grep -q -- "--defer-moves" "$tmp/err"; then
    ok "--defer-moves $v refused"
  else bad "--defer-moves $v: exit $rc, $(cat "$tmp/err")"; fi
done
for v in -2 1.5 x; do
  "$bin" rebalance "$tiny" --patience "$v" -o "$tmp/rr.json" 2>"$tmp/err"; rc=$?
  if [ "$rc" = 2 ] && [ ! -e "$tmp/rr.json" ] && grep -q -- "--patience" "$tmp/err"; then
    ok "--patience $v refused"
  else bad "--patience $v: exit $rc, $(cat "$tmp/err")"; fi
done

# HA group mates never trade reefs: no order of their migrations keeps them
# in distinct reefs at every step (rule 7 after the first). On this fleet
# with --peak-profiles a large-neighbourhood MIP step once swapped i-00035
# and i-00106 between wus2-01 and wus2-02. The plan must pass verify whole:
# its peak_utilization is of the real profiles, not the flattened ones.
gen g11-120 --instances 120 --seed 11 --slots 24 --states on
group_apart() {
  "$bin" rebalance "$tmp/g11-120" --peak-profiles -o "$tmp/g11.json" 2>/dev/null \
    || bad "g11-120 --peak-profiles: rebalance failed"
  v=$("$bin" verify "$tmp/g11-120" "$tmp/g11.json" 2>&1); rc=$?
  if [ "$rc" = 0 ] && [[ $v == "plan valid: "* ]] && [ "$(wc -l <<<"$v")" = 1 ]; then
    ok "g11-120 --peak-profiles: valid, group mates apart at every step"
  else bad "g11-120 --peak-profiles: verify exit $rc: $(head -3 <<<"$v" | tr '\n' ';')"; fi
  props "g11-120 --peak-profiles" "$tmp/g11-120" "$tmp/g11.json" 40
}
spawn group_apart > "$tmp/log.group_apart" 2>&1

# The reef tier MIPs at the end of the search: after a short search (100
# iterations) on this 200-instance fleet, some reef's tiers and sizes by
# its own MIP beat the heuristic's, and the plan carries that objective.
gen t-200 --instances 200 --seed 7 --slots 24
tier_mips() {
  REEFPLAN_LOG=info "$bin" rebalance "$tmp/t-200" --iterations 100 -o "$tmp/tier.json" --json \
    >"$tmp/tier.sum" 2>"$tmp/tier.err"
  tline=$(grep "reef tier MIPs:" "$tmp/tier.err")
  tafter=$(sed -n 's/.*reef tier MIPs: [0-9]* of [0-9]* reefs tried, [1-9][0-9]* improved, objective \([0-9.]*\) -> \([0-9.]*\),.*/\1 \2/p' \
           <<<"$tline")
  if [ -n "$tafter" ] && awk -v a="${tafter% *}" -v b="${tafter#* }" 'BEGIN { exit !(b < a) }' &&
     awk -v b="${tafter#* }" -v o="$(jq .objective "$tmp/tier.sum")" 'BEGIN { exit !(o - b < 0.01 && b - o < 0.01) }' &&
     "$bin" verify "$tmp/t-200" "$tmp/tier.json" >/dev/null 2>&1; then
    ok "reef tier MIPs lower the objective (${tafter% *} -> ${tafter#* })"
  else bad "reef tier MIPs: '$tline', summary $(cat "$tmp/tier.sum")"; fi
}
spawn tier_mips > "$tmp/log.tier_mips" 2>&1


# Moves deferred (--defer-moves 0; off by default): on this one-region
# 1,000-instance fleet a budget of 20,
# spent at once by the first run, goes further on the plan settled without
# it (run 2 of the log); the plan is that run's, and valid. A move of the
# first run is traded for a better one once the reef tier MIPs have resized
# the reefs. At a budget of 100 (more than 64 moves) there is no such run;
# -1 turns it off at 20, where the plan is then the first run's; and
# --defer-moves 1 asks for one on the 150-instance fleet q1-150, whose
# budget of 40 is neither spent nor on a fleet of 1,000. (No large-
# neighbourhood MIP steps: they cost most of the time under the sanitizers.)
gen d1-1000 --instances 1000 --seed 1 --slots 24 --regions 1
deferred() {
  local k
  for k in 20 100 20:-1 q:1; do
    local b=${k%%:*} d=0 fl=$tmp/d1-1000
    [ "$b" = "$k" ] || d=${k#*:}
    [ "$b" = q ] && fl=$tmp/q1-150 b=40
    REEFPLAN_LOG=info "$bin" rebalance "$fl" --move-budget "$b" --defer-moves "$d" \
      --lns-steps 0 --time-limit 300 -o "$tmp/defer.$k.json" --json >"$tmp/defer.$k.sum" \
      2>"$tmp/defer.$k.err" ||
      { bad "moves deferred: rebalance at budget $k failed"; return; }
    "$bin" verify "$fl" "$tmp/defer.$k.json" --move-budget "$b" >/dev/null 2>&1 ||
      bad "moves deferred: the plan at budget $k is not valid"
  done
  local r1 r2 obj tr
  r1=$(sed -n 's/.*run 1 of 1: objective \([0-9.]*\),.*/\1/p' "$tmp/defer.20.err")
  r2=$(sed -n 's/.*run 2, moves deferred: objective \([0-9.]*\),.*/\1/p' "$tmp/defer.20.err")
  obj=$(jq .objective "$tmp/defer.20.sum")
  tr=$(sed -n 's/.*trading moves: .*, [1-9][0-9]* made, objective \([0-9.]*\) -> \([0-9.]*\),.*/\1 \2/p' \
       "$tmp/defer.20.err" | head -1)
  if [ -n "$r1" ] && [ -n "$r2" ] && awk -v a="$r1" -v b="$r2" -v o="$obj" \
       'BEGIN { exit !(b < a && o - b < 0.01 && b - o < 0.01) }'; then
    ok "budget 20: the run with moves deferred is kept ($r1 -> $r2)"
  else bad "budget 20: run 1 '$r1', deferred '$r2', objective $obj"; fi
  if [ -n "$tr" ] && awk -v a="${tr% *}" -v b="${tr#* }" 'BEGIN { exit !(b < a) }'; then
    ok "budget 20: trading a move lowers the objective (${tr% *} -> ${tr#* })"
  else bad "budget 20: no trade of moves lowered the objective"; fi
  local off
  off=$(jq .objective "$tmp/defer.20:-1.sum")
  if ! grep -q "moves deferred" "$tmp/defer.100.err" "$tmp/defer.20:-1.err" &&
     awk -v a="$r1" -v o="$off" 'BEGIN { exit !(o - a < 0.01 && a - o < 0.01) }'; then
    ok "budget 100, and 20 with --defer-moves -1 (the first run's plan, $off): no run with moves deferred"
  else bad "a run with moves deferred at budget 100 or with --defer-moves -1 ($off against $r1)"; fi
  if [ "$(jq -r .settings.defer_moves "$tmp/pat.json")" = -1 ]; then
    ok "--defer-moves is -1 (never) by default"
  else bad "--defer-moves by default: $(jq -c .settings "$tmp/pat.json")"; fi
  r1=$(sed -n 's/.*run 1 of 1: objective \([0-9.]*\),.*/\1/p' "$tmp/defer.q:1.err")
  r2=$(sed -n 's/.*run 2, moves deferred: objective \([0-9.]*\),.*/\1/p' "$tmp/defer.q:1.err")
  obj=$(jq .objective "$tmp/defer.q:1.sum")
  if [ -n "$r1" ] && [ -n "$r2" ] && awk -v a="$r1" -v b="$r2" -v o="$obj" \
       'BEGIN { m = a < b ? a : b; exit !(o - m < 0.01 && m - o < 0.01) }' &&
     [ "$(jq -r .settings.defer_moves "$tmp/defer.q:1.json")" = 1 ]; then
    ok "q1-150, --defer-moves 1: both runs, the better kept ($r1, $r2)"
  else bad "q1-150, --defer-moves 1: run 1 '$r1', deferred '$r2', objective $obj"; fi
}
spawn deferred > "$tmp/log.deferred" 2>&1
# The background jobs end first: the next check is about the clock.
wait

# A search the clock will cut gets the reef tier MIPs in its course, not
# only in what is left after it: when the improvement loop is still running
# at 60% of the time limit, it stops for a pass of tier MIPs (those reefs
# that pay most above unit prices first), which solves at least one reef and
# does not raise the objective, and goes on. --patience -1 and an iteration
# count no run reaches leave the clock alone to end the loop, so whether it
# outlasts 60% of the limit does not depend on how fast the machine is (the
# loop reads the clock at most every 64 iterations). The pass gets 15% of
# the limit; where that is too little for the first reef's MIP (0 tried, on
# a slow build), the next, longer limit is tried. A run whose construction
# ended before half the limit and that has no pass: a failure. No run with a
# pass that solves a reef: a failure too.
gen m-4000 --instances 4000 --seed 3 --slots 168
mline='' mlimit='' mdone=0 mzero=''
for lim in 4 8 16; do
  REEFPLAN_LOG=info "$bin" rebalance "$tmp/m-4000" --time-limit "$lim" --patience -1 \
    --iterations 1000000000000 -o "$tmp/mid.json" --json >"$tmp/mid.sum" 2>"$tmp/mid.err"
  mline=$(grep "reef tier MIPs, mid-search:" "$tmp/mid.err")
  built=$(sed -n 's/.*construction and lower bound: \([0-9.]*\) s.*/\1/p' "$tmp/mid.err")
  looped=$(sed -n 's/.*improvement: [0-9]* iterations, \([0-9.]*\) s;.*/\1/p' "$tmp/mid.err")
  mlimit=$lim
  if grep -q 'mid-search: 0 of' <<<"$mline"; then
    mzero="$mzero $lim"
    continue
  elif [ -n "$mline" ]; then
    mdone=1
    break
  fi
  if [ -n "$built" ] && awk -v l="$lim" -v b="$built" 'BEGIN { exit !(b < 0.5 * l) }'; then
    mdone=2
    break
  fi
done
mnums=$(sed -n 's/.*mid-search: \([0-9]*\) of [0-9]* reefs tried, [0-9]* improved, objective \([0-9.]*\) -> \([0-9.]*\),.*/\1 \2 \3/p' <<<"$mline")
if [ $mdone = 0 ]; then
  bad "mid-search tier MIPs: no run at 4, 8 or 16 s made a pass that solved a reef (passes with none at:${mzero:- none}; last: construction '$built' s, loop until '$looped' s)"
elif [ $mdone = 2 ]; then
  bad "mid-search tier MIPs: at --time-limit $mlimit the loop ran until $looped s (construction $built s) with no pass"
elif [ -n "$mnums" ] && awk -v n="$mnums" 'BEGIN { split(n, v, " "); exit !(v[1] >= 1 && v[3] <= v[2]) }' &&
   [ "$(jq -r .stopped_by "$tmp/mid.sum")" = "time limit" ] &&
   "$bin" verify "$tmp/m-4000" "$tmp/mid.json" >/dev/null 2>&1; then
  ok "a search cut by the clock runs reef tier MIPs mid-search (--time-limit $mlimit: ${mnums%% *} reef(s))"
else bad "mid-search tier MIPs at --time-limit $mlimit: '$mline', summary $(cat "$tmp/mid.sum")"; fi

# One-dimensional packing (bench/bpp/to_fleet.sh's mapping): five items of
# 35 in bins of 100. The L2 bound is 2, but no bin holds three, so the
# column-generation LP (5 / 2, rounded up) bounds the reefs at 3: the
# lower bound is 3 and the search stops on it.
printf '5\n100\n35\n35\n35\n35\n35\n' > "$tmp/five.txt"
if bash "$root/bench/bpp/to_fleet.sh" "$tmp/five.txt" "$tmp/five" 2>"$tmp/err5"; then
  "$bin" rebalance "$tmp/five" -o "$tmp/five.json" --json >"$tmp/five.sum" 2>"$tmp/five.err"
  if [ "$(jq -c '[(.cost_after | round), (.lower_bound | round), .stopped_by]' "$tmp/five.sum")" = \
       '[3,3,"lower bound"]' ] && "$bin" verify "$tmp/five" "$tmp/five.json" >/dev/null 2>&1; then
    ok "one-dimensional fleet: the LP count proves 3 reefs where L2 says 2"
  else bad "one-dimensional fleet: $(cat "$tmp/five.sum" "$tmp/five.err")"; fi
else bad "to_fleet.sh: $(cat "$tmp/err5")"; fi

# The packing step's column generation inside rebalance: 2,001 items of 340
# in bins of 1,000. L2 says 681 reefs but no bin holds three, so the kernel
# can never reach its floor and column generation always follows it; its LP
# proves 1,001. The instance also has costly kernel iterations (1,000 bins
# not full, each tried in two-bin repacks): the kernel must still stop at
# its share of the time, so the run ends within its limit (it took over
# 6 s of a 2 s limit when the kernel read the clock every 64 iterations).
{ echo 2001; echo 1000; for _ in $(seq 2001); do echo 340; done; } > "$tmp/pairs.txt"
if bash "$root/bench/bpp/to_fleet.sh" "$tmp/pairs.txt" "$tmp/pairs" 2>"$tmp/errp"; then
  REEFPLAN_LOG=info "$bin" rebalance "$tmp/pairs" -o "$tmp/pairs.json" --time-limit 2 --json \
    >"$tmp/pairs.sum" 2>"$tmp/pairs.err"
  cg=$(grep -c "pack r: column generation: 1001 reefs, LP bound 1001," "$tmp/pairs.err")
  if [ "$cg" = 1 ] && [ "$(jq '.cost_after | round' "$tmp/pairs.sum")" = 1001 ] &&
     awk -v s="$(jq .solve_seconds "$tmp/pairs.sum")" 'BEGIN { exit !(s < 4) }' &&
     "$bin" verify "$tmp/pairs" "$tmp/pairs.json" >/dev/null 2>&1; then
    ok "column generation in rebalance proves 1001 reefs where L2 says 681, within the time limit"
  else bad "column generation in rebalance: $cg line(s), $(jq -c . "$tmp/pairs.sum"), $(grep "pack r" "$tmp/pairs.err")"; fi
else bad "to_fleet.sh: $(cat "$tmp/errp")"; fi

# Fleets that start outside the rules (edits of the tiny fixture). An
# instance no size holds: exit 1 with the reason, no plan written, nothing
# on stdout (never a plan with a NaN cost). i-3 is pinned with a dedicated
# database and peaks at 30 vCores, above the largest single database (32 at
# 30% headroom); i-1 peaks at 57, above the largest pool (56), or at 1e12
# (the lower bound once counted the reefs that load needs in an int: under
# the sanitizers, a float-cast overflow).
edit() { rm -rf "${tmp:?}/$1"; cp -r "$root/tests/fixtures/tiny" "$tmp/$1"; }
edit big-ded; sed -i '/^i-3,db_compute/s/,[0-9.]*/,30/2' "$tmp/big-ded/profiles.csv"
edit big-sh; sed -i '2s/,0.1,/,57,/' "$tmp/big-sh/profiles.csv"
edit huge-sh; sed -i '2s/,0.1,/,1e12,/' "$tmp/huge-sh/profiles.csv"
for c in "big-ded:instance i-3 keeps a dedicated db that no size holds (it is pinned)" \
         "big-sh:no size of reef wus2-01 holds its 2 instances: rule 1 db_compute at slot 0: 57 > 56" \
         "huge-sh:no size of reef wus2-01 holds its 2 instances: rule 1 db_compute at slot 0: 1e+12 > 56"; do
  name=${c%%:*} want=${c#*:}
  "$bin" rebalance "$tmp/$name" -o "$tmp/$name.json" --json >"$tmp/$name.out" 2>"$tmp/$name.err"; rc=$?
  if [ "$rc" = 1 ] && [ ! -e "$tmp/$name.json" ] && [ ! -s "$tmp/$name.out" ] &&
     [ "$(cat "$tmp/$name.err")" = "rebalance: no feasible plan: $want" ]; then
    ok "$name: no feasible plan, exit 1, nothing written"
  else bad "$name: exit $rc, $(cat "$tmp/$name.err")"; fi
done
# An instance of a broken reef that no reef can take even alone (i-4 at
# 100 vCores) stays unplaced in it: the plan keeps that reef (no
# delete_reef; its sizes count in cost_after), and a reef that replaces it
# may be opened although the broken one still exists (max_reefs 2).
edit brk
jq '.settings.max_instances_per_reef = 3 | .regions[0].max_reefs = 2 |
    .reefs[1].state = "broken"' "$root/tests/fixtures/tiny/fleet.json" >"$tmp/brk/fleet.json"
sed -i '/^i-4,db_compute/s/,[0-9.][0-9.]*/,100/g' "$tmp/brk/profiles.csv"
"$bin" rebalance "$tmp/brk" --time-limit 2 -o "$tmp/brk.json" --target-fleet "$tmp/brk.t" 2>/dev/null; rc=$?
if [ "$rc" = 0 ] && "$bin" verify "$tmp/brk" "$tmp/brk.json" >/dev/null 2>&1 &&
   [ "$(jq -c '[.unplaced[].instance_id]' "$tmp/brk.json")" = '["i-4"]' ] &&
   [ "$(jq '[.reefs[] | select(.name == "wus2-02" and .deleted != true)] | length' "$tmp/brk.json")" = 1 ] &&
   [ "$(jq '[.actions[] | select(.type == "delete_reef")] | length' "$tmp/brk.json")" = 0 ] &&
   [ "$(jq '[.actions[] | select(.type == "create_reef")] | length' "$tmp/brk.json")" = 1 ]; then
  ok "a broken reef that keeps an unplaced instance is not deleted, and the plan is valid"
else bad "broken reef with an unplaced instance: exit $rc, $(jq -c '[.reefs, .actions, .unplaced]' "$tmp/brk.json" 2>&1 | head -c 600)"; fi
# Its target fleet keeps i-4 where it is, and costs what the plan says
# (the instance's own storage included), so rebalancing it changes nothing.
if grep -q '^i-4,westus2,standard,wus2-02,shared,shared,shared,' "$tmp/brk.t/instances.csv" &&
   [ "$("$bin" check "$tmp/brk.t" --json 2>/dev/null | jq .cost)" = "$(jq .summary.cost_after "$tmp/brk.json")" ]; then
  ok "target fleet: the unplaced instance stays in its broken reef, at the plan's cost"
else bad "target fleet of brk: $(grep '^i-4' "$tmp/brk.t/instances.csv"), cost $("$bin" check "$tmp/brk.t" --json 2>/dev/null | jq .cost) vs $(jq .summary.cost_after "$tmp/brk.json")"; fi
# A region at max_reefs whose third reef is broken is valid input: the
# broken reef does not count (it was refused as over max_reefs).
edit brk3
jq '.regions[0].max_reefs = 2 | .reefs += [.reefs[1] | .name = "wus2-03" | .state = "broken"]' \
  "$root/tests/fixtures/tiny/fleet.json" >"$tmp/brk3/fleet.json"
sed -i 's/^i-5,westus2,\([a-z]*\),,,,,/i-5,westus2,\1,wus2-03,shared,shared,shared,/' "$tmp/brk3/instances.csv"
if "$bin" check "$tmp/brk3" >/dev/null 2>"$tmp/brk3.err" &&
   "$bin" rebalance "$tmp/brk3" --time-limit 2 -o "$tmp/brk3.json" 2>/dev/null &&
   "$bin" verify "$tmp/brk3" "$tmp/brk3.json" >/dev/null 2>&1 &&
   [ "$(jq -r '.placements[] | select(.instance_id == "i-5") | .reef' "$tmp/brk3.json")" != wus2-03 ]; then
  ok "a broken reef beyond max_reefs is valid input, and its instance is restored"
else bad "broken reef beyond max_reefs: $(cat "$tmp/brk3.err")"; fi
# A dedicated node pool whose peak is exactly two nodes' worth (12.512 =
# 2 x 7.82 x 0.8; stored as a float, a hair above): two nodes, in rebalance
# and in verify alike (verify priced three, and refused the plan's
# cost_before).
edit ded2; sed -i 's/^i-1,westus2,standard,wus2-01,shared,shared,shared,/i-1,westus2,standard,wus2-01,shared,dedicated,shared,/' "$tmp/ded2/instances.csv"
sed -i '/^i-1,cpu_cores/s/,[0-9.][0-9.]*/,12.512/g' "$tmp/ded2/profiles.csv"
"$bin" rebalance "$tmp/ded2" --time-limit 2 -o "$tmp/ded2.json" 2>/dev/null; rc=$?
if [ "$rc" = 0 ] && "$bin" verify "$tmp/ded2" "$tmp/ded2.json" >"$tmp/ded2.v" 2>&1; then
  ok "a dedicated pool at exactly two nodes' worth: two nodes in rebalance and verify"
else bad "dedicated at a whole node count: exit $rc, $(tail -2 "$tmp/ded2.v")"; fi
# tests/fixtures/over-max-nodes: reef x has 4 shared nodes and a dedicated
# node pool of 1 under max_nodes 4, and new instance c goes there. The
# shared nodes shrink to 3 before c arrives (the plan placed c first, with
# the reef still at 5 nodes of 4).
"$bin" rebalance "$root/tests/fixtures/over-max-nodes" --time-limit 2 -o "$tmp/omn.json" 2>/dev/null; rc=$?
first=$(jq -r '[.actions[] | select(.type == "place" or .type == "scale_nodes") | .type] | first' "$tmp/omn.json" 2>/dev/null)
if [ "$rc" = 0 ] && [ "$first" = scale_nodes ] &&
   "$bin" verify "$root/tests/fixtures/over-max-nodes" "$tmp/omn.json" >"$tmp/omn.v" 2>&1; then
  ok "a reef over max_nodes scales its shared nodes down before an arrival"
else bad "over max_nodes: exit $rc, first $first, $(tail -2 "$tmp/omn.v")"; fi
# tests/fixtures/swap: A and B at max_nodes, busy by day and by night;
# swapping one instance each way would save two nodes, but no order of the
# two migrations keeps both reefs within capacity at every step. The swap
# is undone (info line), the plan verifies, and the run does not claim the
# lower bound.
REEFPLAN_LOG=info "$bin" rebalance "$root/tests/fixtures/swap" --time-limit 2 --json -o "$tmp/swap.json" \
  >"$tmp/swap.sum" 2>"$tmp/swap.err"; rc=$?
if [ "$rc" = 0 ] && "$bin" verify "$root/tests/fixtures/swap" "$tmp/swap.json" >/dev/null 2>&1 &&
   grep -q "sequence: 1 arrival(s) had no safe order; 2 instance(s) stay where they are" "$tmp/swap.err" &&
   [ "$(jq -c '[.moves, .stopped_by != "lower bound"]' "$tmp/swap.sum")" = '[0,true]' ]; then
  ok "a swap with no safe order is undone, and the plan verifies"
else bad "swap: exit $rc, $(jq -c . "$tmp/swap.sum" 2>&1 | head -c 300), $(grep sequence "$tmp/swap.err")"; fi
# check reports a database above its pool's per-database maximum by its
# peak (5 vCores in GP_Gen5_4, whose per_db_max is 4), not by a count.
edit perdb; sed -i '2s/,0.1,/,5,/' "$tmp/perdb/profiles.csv"
pd=$("$bin" check "$tmp/perdb" --json 2>/dev/null |
     jq -c '.over_capacity[] | select(.rule == "per_db_max") | [.reef, .value, .limit]')
if [ "$pd" = '["wus2-01",5,4]' ] && "$bin" check "$tmp/perdb" 2>/dev/null | grep -q "wus2-01: per_db_max: 5 > 4"; then
  ok "check: per_db_max reported by the database's peak"
else bad "check per_db_max: '$pd'"; fi
# A reef with no nodes under shared compute: min_nodes is a floor ("0 < 3"),
# and a utilization with load but no capacity is null in --json (it was
# dropped: jansson has no infinity).
edit n0; jq '.reefs[0].nodes = 0' "$root/tests/fixtures/tiny/fleet.json" >"$tmp/n0/fleet.json"
if "$bin" check "$tmp/n0" 2>/dev/null | grep -qx "  wus2-01: min_nodes: 0 < 3" &&
   [ "$("$bin" check "$tmp/n0" --json 2>/dev/null | jq -c '.reefs[0].peak_utilization | [.cpu_cores, .memory_gb, (.db_compute > 0)]')" = '[null,null,true]' ]; then
  ok "check: min_nodes reported as a floor, no-capacity utilization null"
else bad "check on nodes 0: $("$bin" check "$tmp/n0" 2>&1 | tail -2 | tr '\n' ';')"; fi
# The same i-3 unpinned: its database goes shared (a pool holds 30).
edit big-free; cp "$tmp/big-ded/profiles.csv" "$tmp/big-free/"
sed -i 's/^i-3,\(.*\),true,g1/i-3,\1,false,g1/' "$tmp/big-free/instances.csv"
if "$bin" rebalance "$tmp/big-free" -o "$tmp/big-free.json" 2>/dev/null &&
   [ "$(jq -r '.placements[] | select(.instance_id == "i-3") | .db' "$tmp/big-free.json")" = shared ] &&
   "$bin" verify "$tmp/big-free" "$tmp/big-free.json" >/dev/null 2>&1; then
  ok "a dedicated database no size holds goes shared when it may"
else bad "big-free: $(jq -c .summary "$tmp/big-free.json" 2>&1)"; fi
# i-1 joins group g1, whose i-2 shares its reef (and i-3 is pinned in
# wus2-02): one of the two moves to a new reef, the glpsol optimum 4679.89.
edit group; sed -i '2s/,false,,,$/,false,g1,,/' "$tmp/group/instances.csv"
"$bin" rebalance "$tmp/group" -o "$tmp/group.json" --json >"$tmp/group.sum" 2>/dev/null
if [ "$(jq -c '[.placements[] | select(.instance_id == "i-1" or .instance_id == "i-2") | .reef] | sort' \
        "$tmp/group.json")" = '["wus2-01","wus2-03"]' ] &&
   [ "$(jq .objective "$tmp/group.sum")" = 4679.89 ] &&
   "$bin" verify "$tmp/group" "$tmp/group.json" >/dev/null 2>&1; then
  ok "group members that share a reef at the start are separated"
else bad "group: $(cat "$tmp/group.sum")"; fi
# The same on a fleet too big for the exact step (100 instances): two
# unpinned instances of one reef join a group; a budget of 1 separates them.
gen g100 --instances 100 --seed 3 --slots 24 --states off --regions 1
awk -F, -v OFS=, 'NR == 2 { r = $4 } NR > 1 && $4 == r && $8 == "false" && k < 2 { $9 = "zz"; $10 = ""; k++ } 1' \
  "$tmp/g100/instances.csv" > "$tmp/g100.csv" && mv "$tmp/g100.csv" "$tmp/g100/instances.csv"
"$bin" rebalance "$tmp/g100" --move-budget 1 -o "$tmp/g100.json" 2>/dev/null
if [ "$(jq '.placements | length' "$tmp/g100.json")" = 100 ] &&
   [ "$(jq '.summary.moves' "$tmp/g100.json")" = 1 ] &&
   "$bin" verify "$tmp/g100" "$tmp/g100.json" >/dev/null 2>&1; then
  ok "group mates sharing a reef: one move separates them (100 instances, budget 1)"
else bad "g100: $(jq -c .summary "$tmp/g100.json" 2>&1)"; fi
# max_reefs 2 and wus2-01 draining but kept open by the pinned i-1: no new
# reef. i-2 (group g1, whose i-3 is in wus2-02) has nowhere to go and stays,
# deferred with that reason, not the budget's.
edit maxr; sed -i 's/"max_reefs": 4/"max_reefs": 2/; 0,/"state": "active"/s//"state": "draining"/' \
  "$tmp/maxr/fleet.json"
sed -i '2s/,false,/,true,/' "$tmp/maxr/instances.csv"
"$bin" rebalance "$tmp/maxr" -o "$tmp/maxr.json" 2>/dev/null
if [ "$(jq -c '[.summary.reefs_opened, (.deferred | map(.reason))]' "$tmp/maxr.json")" = \
     '[0,["pinned","no reef can take it"]]' ] && "$bin" verify "$tmp/maxr" "$tmp/maxr.json" >/dev/null 2>&1; then
  ok "a draining reef kept open counts against max_reefs"
else bad "maxr: $(jq -c '[.summary, .deferred]' "$tmp/maxr.json" 2>&1)"; fi
# The lower bound holds for every plan verify accepts, not only for plans
# that drain first. wus2-d drains; a budget of 1 moves m out of it (the
# solver's choice) or e out of wus2-e, which then closes instead, for a
# cheaper migration; m then stays, deferred, as rule 9 allows once the
# budget is spent. That plan is made by pinning m in a copy, then checked
# against the real fleet.
mkdir -p "$tmp/drain"
jq '.settings.move_budget = 1 | .reefs = [
      {name: "wus2-d", region: "westus2", template: "standard", state: "draining",
       pool_sku: "GP_Gen5_2", nodes: 3},
      {name: "wus2-e", region: "westus2", template: "standard", state: "active",
       pool_sku: "GP_Gen5_2", nodes: 3},
      {name: "wus2-b", region: "westus2", template: "standard", state: "active",
       pool_sku: "GP_Gen5_4", nodes: 3}]' "$root/tests/fixtures/tiny/fleet.json" > "$tmp/drain/fleet.json"
cat > "$tmp/drain/instances.csv" <<'CSV'
instance_id,region,plan,reef,db,compute,storage,pinned,group,last_moved,window
m,westus2,premium,wus2-d,shared,shared,shared,false,,,
e,westus2,standard,wus2-e,shared,shared,shared,false,,,
b1,westus2,premium,wus2-b,shared,shared,shared,false,,,
b2,westus2,premium,wus2-b,shared,shared,shared,false,,,
CSV
head -1 "$root/tests/fixtures/tiny/profiles.csv" > "$tmp/drain/profiles.csv"
cp -r "$tmp/drain" "$tmp/drain-alt"
sed -i 's/^m,\(.*\),false,,,$/m,\1,true,,,/' "$tmp/drain-alt/instances.csv"
"$bin" rebalance "$tmp/drain" -o "$tmp/drain.json" --json > "$tmp/drain.out" 2>/dev/null
"$bin" rebalance "$tmp/drain-alt" -o "$tmp/drain-alt.json" 2>/dev/null
jq --arg fp "$(jq -r .fleet_fingerprint "$tmp/drain.json")" \
  '.fleet_fingerprint = $fp | .deferred = [{instance_id: "m", reason: "move budget"}]' \
  "$tmp/drain-alt.json" > "$tmp/drain-alt2.json"
lb=$(jq .lower_bound "$tmp/drain.out") alt=$(jq .summary.objective "$tmp/drain-alt2.json")
if [ "$(jq -c '[.moves, .stopped_by]' "$tmp/drain.out")" = '[1,"stagnation"]' ] &&
   [ "$(jq -r '.actions[] | select(.type == "migrate") | .instance_id' "$tmp/drain-alt2.json")" = e ] &&
   "$bin" verify "$tmp/drain" "$tmp/drain-alt2.json" >/dev/null 2>&1 &&
   jq -en --argjson lb "$lb" --argjson alt "$alt" '$lb <= $alt + 0.005' >/dev/null &&
   "$bin" verify "$tmp/drain" "$tmp/drain.json" >/dev/null 2>&1; then
  ok "the lower bound holds for a plan that spends the budget before draining"
else bad "drain: lower bound $lb, a valid plan $alt: $(cat "$tmp/drain.out")"; fi

wait
cat "$tmp"/log.* | sort
grep -q '^FAIL' "$tmp"/log.* && fail=1
echo "$((passed + $(cat "$tmp"/log.* | grep -c '^ok'))) checks passed," \
     "$((failed + $(cat "$tmp"/log.* | grep -c '^FAIL'))) failed"
exit $fail

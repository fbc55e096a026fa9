#!/usr/bin/env bash
# End-to-end tests of `reefplan verify` on the tiny fixture and the hand-made
# plans in tests/fixtures/plans (their "@FINGERPRINT@" is filled in here).
set -u
bin=$1
root=${RP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
plans=$root/tests/fixtures/plans
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

# The fingerprint, re-derived independently of plan.c: sha256 over each file
# prefixed by "<base name>\n<length>\n".
fingerprint() {
  local dir=$1 cat=$2 prof
  prof=$dir/profiles.csv
  [ -f "$prof" ] || prof=$dir/load.csv
  { for f in "$dir/fleet.json" "$cat" "$dir/instances.csv" "$prof"; do
      printf '%s\n%s\n' "$(basename "$f")" "$(wc -c < "$f" | tr -d ' ')"
      cat "$f"
    done; } | sha256sum | cut -c1-64
}

# fleet DIR: a fresh copy of tiny, optionally edited by a sed expression.
fleet() {
  local d=$tmp/$1
  rm -rf "$d"; mkdir -p "$d"; cp -r "$root/tests/fixtures/tiny/." "$d/"
  [ -n "${2:-}" ] && sed -i "$2" "$d/fleet.json"
  echo "$d"
}

# plan NAME DIR: the fixture plan with DIR's fingerprint, written into DIR.
plan() {
  local fp
  fp=$(fingerprint "$2" "$root/models/azure-vcore.json")
  sed "s/@FINGERPRINT@/sha256:$fp/" "$plans/$1.json" > "$2/$1.json"
  echo "$2/$1.json"
}

# run NAME FLEET_DIR WANT_RC [PATTERN]: stdout must contain PATTERN.
run() {
  local name=$1 dir=$2 want=$3 pat=${4:-} p out rc
  p=$(plan "$name" "$dir")
  out=$("$bin" verify "$dir" "$p" 2>"$tmp/err"); rc=$?
  if [ "$rc" != "$want" ]; then bad "$name: exit $rc, want $want: $out $(cat "$tmp/err")"; return; fi
  if [ -n "$pat" ] && ! grep -qF -- "$pat" <<<"$out"; then bad "$name: no '$pat' in: $out"; return; fi
  ok "$name"
}

tiny=$(fleet tiny)
run valid "$tiny" 0 "plan valid: 5 placements, 1 actions, objective 4137.57"
run wrong_summary "$tiny" 1 "summary cost_after: stated 4147.57, recomputed 4137.57"
run over_capacity "$tiny" 1 "reef wus2-02: rule 1 db_compute at slot 14: 1.88 > 1.40 (after action 2)"
run wrong_group "$tiny" 1 "reef wus2-02: rule 7 group g1: instances i-2 and i-3 in the same reef"
run pinned_moved "$tiny" 1 "instance i-3: rule 10 pinned, but moved from wus2-02 to wus2-01"
run cooldown "$tiny" 1 "instance i-4: rule 10 cooldown"
run replay_early "$tiny" 1 "reef wus2-03: rule 4 cpu_cores at slot 9: 0.80 > 0.00 (after action 2)"
run one_move "$tiny" 0
run broken_restored "$(fleet broken '/wus2-02/,$ s/"active"/"broken"/')" 0 "plan valid"
run valid "$(fleet broken2 '/wus2-02/,$ s/"active"/"broken"/')" 1 \
  "instance i-3: rule 9 placed in broken reef wus2-02"
run draining_gains "$(fleet draining '/wus2-02/,$ s/"active"/"draining"/')" 1 \
  "reef wus2-02: rule 9 draining reef gains instance i-5"
run one_move "$(fleet budget 's/"move_budget": 40/"move_budget": 0/')" 1 \
  "plan: rule 10 moves: 1 > move_budget 0"

# Deferred reasons SPEC names are checked. wus2-01 drains and the budget is
# 0: rebalance leaves i-1 and i-2 there for the move budget (valid). The
# same placements under a budget of 40, or with i-1 said to be pinned or in
# its cooldown, are not.
d0=$(fleet drain0 's/"move_budget": 40/"move_budget": 0/; 0,/"active"/s//"draining"/')
"$bin" rebalance "$d0" -o "$d0/p.json" 2>/dev/null
d40=$(fleet drain40 '0,/"active"/s//"draining"/')
fp40=$(fingerprint "$d40" "$root/models/azure-vcore.json")
jq --arg fp "sha256:$fp40" '.fleet_fingerprint = $fp' "$d0/p.json" > "$d40/p.json"
jq '.deferred[0].reason = "pinned"' "$d0/p.json" > "$d0/pinned.json"
jq '.deferred[0].reason = "move cooldown"' "$d0/p.json" > "$d0/cooldown.json"
if [ "$(jq -c '.deferred' "$d0/p.json")" = \
     '[{"instance_id":"i-1","reason":"move budget"},{"instance_id":"i-2","reason":"move budget"}]' ]; then
  for c in "$d0 p 0 plan valid" \
           "$d40 p 1 instance i-1: rule 9 deferred for the move budget, but 0 moves of 40 are used" \
           "$d0 pinned 1 instance i-1: deferred as pinned, but it is not pinned" \
           "$d0 cooldown 1 instance i-1: deferred for its move cooldown, but it is not in one"; do
    read -r dir f want pat <<<"$c"
    out=$("$bin" verify "$dir" "$dir/$f.json" 2>&1); rc=$?
    if [ "$rc" = "$want" ] && grep -qF -- "$pat" <<<"$out"; then ok "deferred: $pat"
    else bad "deferred $f: exit $rc, want $want '$pat': $out"; fi
  done
else bad "deferred: rebalance gave $(jq -c '.deferred' "$d0/p.json")"; fi

# --json: valid and invalid objects.
p=$(plan valid "$tiny")
out=$("$bin" verify "$tiny" "$p" --json); rc=$?
if [ "$rc" = 0 ] && grep -q '"valid": *true' <<<"$out" && grep -q '"violations": *\[\]' <<<"$out"; then
  ok "json valid"; else bad "json valid: exit $rc: $out"; fi
jq -e '.valid == true and .summary.objective == 4137.57' <<<"$out" >/dev/null 2>&1 \
  && ok "json parses" || bad "json parses: $out"
p=$(plan wrong_summary "$tiny")
out=$("$bin" verify "$tiny" "$p" --json); rc=$?
if [ "$rc" = 1 ] && grep -q '"valid": *false' <<<"$out" && grep -q 'summary cost_after' <<<"$out"; then
  ok "json invalid"; else bad "json invalid: exit $rc: $out"; fi

# A plan for another fleet: the fingerprint no longer matches.
other=$(fleet other 's/"tier_change_cost": 5.0/"tier_change_cost": 6.0/')
cp "$tiny/valid.json" "$other/stale.json"
out=$("$bin" verify "$other" "$other/stale.json"); rc=$?
[ "$rc" = 1 ] && grep -q "fleet_fingerprint sha256:.* does not match the fleet" <<<"$out" \
  && ok "stale fingerprint" || bad "stale fingerprint: exit $rc: $out"

# Plans edited from rebalance's own: each must be refused (exit 1) with the
# violation named. has NAME FLEET PLAN LINE...: verify prints every LINE.
has() {
  local name=$1 dir=$2 pl=$3 out rc l
  shift 3
  out=$("$bin" verify "$dir" "$pl" 2>&1); rc=$?
  [ "$rc" = 1 ] || { bad "$name: exit $rc: $out"; return; }
  for l in "$@"; do grep -qxF -- "$l" <<<"$out" || { bad "$name: no '$l' in: $out"; return; }; done
  ok "$name"
}
ed=$(fleet edits)
"$bin" rebalance "$ed" -o "$ed/p.json" 2>/dev/null || bad "rebalance of tiny failed"
# Rule 10 at every step: pinned i-3's compute made dedicated and shared
# again ends where it began, but the executor would change it twice.
jq '.actions += [
  {id: 90, type: "set_tier", instance_id: "i-3", reef: "wus2-02", resource: "compute", from: "shared", to: "dedicated", size: 1, depends_on: [], wave: 1},
  {id: 91, type: "set_tier", instance_id: "i-3", reef: "wus2-02", resource: "compute", from: "dedicated", to: "shared", depends_on: [90], wave: 2}]' \
  "$ed/p.json" > "$ed/pin.json"
has "pinned tier changed and changed back" "$ed" "$ed/pin.json" \
  "action 90 (set_tier): instance i-3 is pinned: rule 10, it keeps its tiers" \
  "action 91 (set_tier): instance i-3 is pinned: rule 10, it keeps its tiers"
# Rule 9: an instance stays in a draining reef for the move budget (or for
# being pinned, in its cooldown, or with no reef to take it), not for any
# reason at all. wus2-01 drains; the plan made with no move budget keeps its
# instances there, and is checked against the fleet with a budget of 40.
dr0=$(fleet drain0 '0,/"active"/s//"draining"/; s/"move_budget": 40/"move_budget": 0/')
dr=$(fleet drain '0,/"active"/s//"draining"/')
"$bin" rebalance "$dr0" -o "$dr0/p.json" 2>/dev/null
"$bin" rebalance "$dr" -o "$dr/real.json" 2>/dev/null
jq --arg fp "$(jq -r .fleet_fingerprint "$dr/real.json")" \
  '.fleet_fingerprint = $fp | .deferred |= map(.reason = "we felt like it")' "$dr0/p.json" > "$dr/why.json"
has "deferred for a reason that is none" "$dr" "$dr/why.json" \
  "instance i-1: rule 9 deferred for 'we felt like it', which is not a reason to stay (move budget, pinned, move cooldown, no reef can take it)"
# An instance of a broken reef listed unplaced stays as it is: no action
# may change its tiers. And a deleted reef holds nothing, whatever it states.
br=$(fleet brk '/wus2-02/,$ s/"active"/"broken"/')
"$bin" rebalance "$br" -o "$br/p.json" 2>/dev/null
jq '.placements |= map(select(.instance_id != "i-4"))
  | .unplaced = [{instance_id: "i-4", reason: "no reef can take it"}]
  | .actions |= map(select(.type != "delete_reef" and .instance_id != "i-4"))
  | .reefs |= map(del(.deleted, .instances))
  | .actions += [{id: 97, type: "set_tier", instance_id: "i-4", reef: "wus2-02", resource: "storage", from: "shared", to: "dedicated", size: 100, depends_on: [], wave: 1}]' \
  "$br/p.json" > "$br/unpl.json"
has "tier change of an unplaced instance" "$br" "$br/unpl.json" \
  "action 97 (set_tier): instance i-4 is listed unplaced: it stays as it is" \
  "instance i-4: unplaced, but the actions change its tiers"
jq '.reefs |= map(if .name == "wus2-02" then .instances = 7 | .peak_utilization.cpu_cores = 0.9 else . end)' \
  "$br/p.json" > "$br/del.json"
has "a deleted reef that states instances and load" "$br" "$br/del.json" \
  "reef wus2-02: deleted, but states 7 instances" \
  "reef wus2-02: deleted, but states peak_utilization cpu_cores 0.9000"

# Input errors: exit 2, one located message on stderr (the whole line, its
# line and column included), nothing on stdout.
# bad_input FILE WANT: verify of $tiny/FILE is refused with exactly WANT.
bad_input() {
  local f=$1 want=$2 out rc
  out=$("$bin" verify "$tiny" "$tiny/$f" 2>"$tmp/err"); rc=$?
  if [ "$rc" = 2 ] && [ -z "$out" ] && [ "$(cat "$tmp/err")" = "$want" ]; then ok "bad $f refused"
  else bad "bad $f: exit $rc, stdout '$out', stderr '$(cat "$tmp/err")', want '$want'"; fi
}
p=$(plan valid "$tiny")
sed 's/"instance_id": "i-4", "reef"/"instance_id": "i-44", "reef"/' "$p" > "$tiny/unknown.json"
bad_input unknown.json "$tiny/unknown.json:17:21: error: placements[3].instance_id: unknown instance 'i-44'"
# A plan of another kind, an action in wave 0 (waves count from 1), a reef
# whose state is not the fleet's.
sed 's/"kind": "rebalance"/"kind": "garbage"/' "$p" > "$tiny/kind.json"
sed '0,/"wave": 1/s//"wave": 0/' "$p" > "$tiny/wave.json"
sed 's/"name": "wus2-01", "region": "westus2",/&  "state": "draining",/' "$p" > "$tiny/state.json"
bad_input kind.json "$tiny/kind.json:3:11: error: kind: want \"rebalance\", got 'garbage'"
bad_input wave.json "$tiny/wave.json:24:74: error: actions[0].wave: must be an integer in [1, 100000000], got 0"
bad_input state.json "$tiny/state.json:9:56: error: reefs[0].state: reef 'wus2-01' is active in the fleet, got 'draining'"
# Reefs, placements, actions and the header, one defect each.
# bad_edit NAME SED WANT: the valid plan edited by SED is refused with WANT,
# the file named $tiny/NAME.json.
bad_edit() {
  sed "$2" "$p" > "$tiny/$1.json"
  bad_input "$1.json" "$tiny/$1.json:$3"
}
bad_edit region 's/"region": "westus2", "pool_sku": "GP_Gen5_4", "nodes": 3, "instances": 3/"region": "westeurope", "pool_sku": "GP_Gen5_4", "nodes": 3, "instances": 3/' \
  "9:35: error: reefs[0].region: unknown region 'westeurope'"
bad_edit dupreef 's/"name": "wus2-02", "region"/"name": "wus2-01", "region"/' \
  "10:14: error: reefs[1].name: duplicate reef 'wus2-01'"
bad_edit template 's/"name": "wus2-01", "region": "westus2",/& "template": "big",/' \
  "9:58: error: reefs[0].template: unknown template 'big'"
bad_edit created 's/"name": "wus2-01", "region": "westus2",/& "created": true,/' \
  "9:57: error: reefs[0].created: reef 'wus2-01' already exists in the fleet"
bad_edit deleted '0,/"instances": 3}/s//"instances": 3, "deleted": 1}/' \
  "9:110: error: reefs[0].deleted: must be true or false"
bad_edit shared_size 's/"compute": "shared", "storage": "shared"},$/"compute": "shared", "compute_nodes": 2, "storage": "shared"},/' \
  "13:101: error: placements[0].compute_nodes: given for a shared compute"
bad_edit fingerprint 's/"fleet_fingerprint": "sha256:[0-9a-f]*"/"fleet_fingerprint": "md5:abc"/' \
  "4:24: error: fleet_fingerprint: 'md5:abc' is not sha256:<64 hex digits>"
bad_edit depends 's/"depends_on": \[\]/"depends_on": [0]/' \
  "24:63: error: actions[0].depends_on[0]: must be an action id in [1, 100000000], got 0"
bad_edit missing 's/"lower_bound": 4000,//' \
  "5:14: error: summary: missing field 'lower_bound'"
bad_edit field 's/"id": 1, "type": "place"/"id": 1, "type": "place", "not_before": "yesterday"/' \
  "23:46: error: actions[0].not_before: unknown field"
out=$("$bin" verify "$tiny" "$tmp/nope.json" 2>"$tmp/err"); rc=$?
want="$tmp/nope.json: error: cannot read: No such file or directory"
if [ "$rc" = 2 ] && [ -z "$out" ] && [ "$(cat "$tmp/err")" = "$want" ]; then ok "missing plan file"
else bad "missing plan file: exit $rc, stderr '$(cat "$tmp/err")', want '$want'"; fi
out=$("$bin" verify "$tiny" 2>"$tmp/err"); rc=$?
[ "$rc" = 2 ] && grep -q "usage" "$tmp/err" && ok "usage" || bad "usage: exit $rc"
out=$("$bin" verify "$tiny" "$p" --bogus 2>"$tmp/err"); rc=$?
[ "$rc" = 2 ] && ok "unknown option" || bad "unknown option: exit $rc"
exit $fail

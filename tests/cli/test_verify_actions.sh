#!/usr/bin/env bash
# End-to-end tests of `reefplan verify` on the actions of a real plan: the
# sample fleet is rebalanced, and each case edits one action of that plan with
# jq (found by its kind, not by a fixed id, so that a change of the search
# does not break the test) and requires verify to exit 1 with exactly the
# expected violations, derived from the plan's own fields.
set -u
bin=$1
root=${RP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
fleet=$root/datasets/sample
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 passed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; fail=1; }

plan=$tmp/plan.json
if ! "$bin" rebalance "$fleet" --seed 1 --time-limit 20 -o "$plan" 2>"$tmp/err"; then
  echo "FAIL rebalance of the sample: $(cat "$tmp/err")"
  exit 1
fi
if "$bin" verify "$fleet" "$plan" >/dev/null 2>&1; then ok "the plan itself is valid"
else bad "the plan itself is invalid"; fi

# q JQ: a field of the plan (raw).
q() { jq -r "$1" "$plan"; }

# expect NAME JQ-EDIT VIOLATION...: the plan edited by JQ-EDIT fails verify
# (exit 1) with exactly these violations, in this order; with allow=REGEX
# set, violations that match it are also accepted (an instance left in a
# reef whose pool the plan shrinks overloads it, by how much depends on the
# plan).
allow=''
expect() {
  local name=$1 edit=$2
  shift 2
  if ! jq "$edit" "$plan" >"$tmp/m.json" 2>"$tmp/jq.err"; then
    bad "$name: jq: $(cat "$tmp/jq.err")"
    return
  fi
  local got rc want
  got=$("$bin" verify "$fleet" "$tmp/m.json" --json 2>"$tmp/v.err"); rc=$?
  want=$(printf '%s\n' "$@" | jq -R . | jq -sc .)
  if [ "$rc" = 1 ] && [ "$(jq -c --arg a "$allow" '.violations | map(select($a == "" or (test($a) | not)))' <<<"$got")" = "$want" ] &&
    [ "$(jq -r '.valid' <<<"$got")" = false ]; then
    ok "$name"
  else
    bad "$name: exit $rc, violations $(jq -c '.violations' <<<"$got" 2>/dev/null), wanted $want"
  fi
}

# The actions each case edits, by kind. Every one must exist in the plan.
dep=$(q '[.actions[] | select(.type == "migrate" and (.depends_on | length) > 0)][0].id')
dep_on=$(q "(.actions[] | select(.id == $dep)).depends_on[0]")
dep_wave=$(q "(.actions[] | select(.id == $dep_on)).wave")
resize=$(q '[.actions[] | select(.type == "resize_pool")][0].id')
scale=$(q '[.actions[] | select(.type == "scale_nodes")][0].id')
tier=$(q '[.actions[] | select(.type == "set_tier")][0].id')
window=$(q '[.actions[] | select(.type == "migrate" and .not_before != null)][0].id')
place=$(q '[.actions[] | select(.type == "place")][0].id')
gone=$(q '[.actions[] | select(.type == "delete_reef")][0].reef')
last=$(q '[.actions[].id] | max')
for v in dep dep_on dep_wave resize scale tier window place gone last; do
  if [ -z "${!v}" ] || [ "${!v}" = null ]; then
    echo "FAIL the sample's plan has no action for case '$v'"
    exit 1
  fi
done
A() { echo "(.actions[] | select(.id == $1))"; }

# Ids and dependencies. The duplicate: two actions that depend on none and
# that none depends on.
# shellcheck disable=SC2016 # jq variables
free=$(q '([.actions[].depends_on[]] | unique) as $used
  | [.actions[] | select((.depends_on | length) == 0 and (.id as $i | $used | index($i) | not)) | .id]
  | .[0:2] | map(tostring) | join(" ")')
read -r v w <<<"$free"
[ -n "${w:-}" ] || { echo "FAIL the sample's plan has no two independent actions"; exit 1; }
expect "duplicate id" "$(A "$v").id = $w" "action $w: duplicate id"
expect "depends on a later action" "$(A "$dep").depends_on = [$last]" \
  "action $dep: depends on action $last, which is not earlier"
expect "depends on an action of the same wave" "$(A "$dep").wave = $dep_wave" \
  "action $dep (wave $dep_wave): depends on action $dep_on in wave $dep_wave, not an earlier wave"
expect "depends on an unknown action" "$(A "$dep").depends_on = [$((last + 7))]" \
  "action $dep: depends on unknown action $((last + 7))"

# Sizes: an action must start from the size the reef has then.
r=$(q "$(A "$resize").reef") from=$(q "$(A "$resize").from")
expect "resize_pool from another size" "$(A "$resize").from = \"GP_Gen5_80\"" \
  "action $resize (resize_pool): reef $r has pool $from, not GP_Gen5_80"
r=$(q "$(A "$scale").reef") from=$(q "$(A "$scale").from")
expect "scale_nodes from another count" "$(A "$scale").from = $((from + 50))" \
  "action $scale (scale_nodes): reef $r has $from nodes, not $((from + 50))"

# Instances: where they are, what tier they have, what is new.
i=$(q "$(A "$tier").instance_id") r=$(q "$(A "$tier").reef") res=$(q "$(A "$tier").resource")
other=$(q "[.reefs[].name | select(. != \"$r\")][0]")
# A refused tier change leaves the instance on its reef's shared capacity,
# which a later resize may leave too small for it, by how much depends on
# the plan.
allow="^reef $r: rule [0-9]+ "
expect "set_tier in another reef" "$(A "$tier").reef = \"$other\"" \
  "action $tier (set_tier): instance $i is in $r, not in $other" \
  "instance $i: the actions leave other tiers or dedicated sizes than its placement"
was=$(q "$(A "$tier").from") to=$(q "$(A "$tier").to")
expect "set_tier from the tier it does not have" "$(A "$tier").from = \"$to\"" \
  "action $tier (set_tier): instance $i has $res $was, the action goes from $to to $to" \
  "instance $i: the actions leave other tiers or dedicated sizes than its placement"
i=$(q "$(A "$dep").instance_id") src=$(q "$(A "$dep").from_reef") dst=$(q "$(A "$dep").to_reef")
allow="^reef $src: rule [0-9]+ "
expect "migrate into its own reef" "$(A "$dep").to_reef = \"$src\"" \
  "action $dep (migrate): from_reef and to_reef are both $src" \
  "instance $i: the actions leave it in $src, the plan has it in $dst"
expect "migrate twice" ".actions += [$(A "$dep") | .id = $((last + 1)) | .from_reef = \"$dst\" | .to_reef = \"$src\" | .depends_on = [] | .wave = 99]" \
  "action $((last + 1)) (migrate): instance $i migrates more than once" \
  "instance $i: the actions leave it in $src, the plan has it in $dst"
allow=''
new=$(q "$(A "$place").instance_id") placed=$(q '.placements[0].instance_id')
expect "place an instance that is not new" "$(A "$place").instance_id = \"$placed\"" \
  "action $place (place): instance $placed is not a new instance" \
  "instance $new: the actions leave it unplaced, the plan has it in $(q "$(A "$place").reef")"

# Maintenance windows.
expect "window that ends before it starts" "$(A "$window").not_after = $(A "$window").not_before" \
  "action $window (migrate): not_after is not after not_before"

# Reefs: created once, not used once deleted, deleted only when empty.
some=$(q '.reefs[0].name') region=$(q '.reefs[0].region')
expect "create a reef that exists" \
  ".actions += [{\"id\": $((last + 1)), \"type\": \"create_reef\", \"reef\": \"$some\", \"region\": \"$region\", \"template\": \"standard\", \"pool_sku\": \"GP_Gen5_2\", \"nodes\": 3, \"depends_on\": [], \"wave\": 99}]" \
  "action $((last + 1)) (create_reef): reef $some already exists"
expect "resize a deleted reef" \
  ".actions += [{\"id\": $((last + 1)), \"type\": \"resize_pool\", \"reef\": \"$gone\", \"from\": \"GP_Gen5_2\", \"to\": \"GP_Gen5_4\", \"depends_on\": [], \"wave\": 99}]" \
  "action $((last + 1)) (resize_pool): reef $gone was deleted"
out=$(q "[.actions[] | select(.type == \"migrate\" and .from_reef == \"$gone\")][0].id")
i=$(q "$(A "$out").instance_id") dst=$(q "$(A "$out").to_reef")
del=$(q "[.actions[] | select(.type == \"delete_reef\" and .reef == \"$gone\")][0].id")
expect "delete a reef that still holds an instance" \
  "del($(A "$out")) | $(A "$del").depends_on -= [$out]" \
  "action $del (delete_reef): reef $gone still holds 1 instance" \
  "instance $i: the actions leave it in $gone, the plan has it in $dst" \
  "reef $gone: flagged deleted, but no delete_reef action deletes it"

# Waves: an executor runs them one after another, so the plan must also
# hold in that order. The reef's deletion moved to wave 1 without its
# dependencies keeps the id order valid, but wave by wave it comes before
# the migrations that empty the reef.
# (Those of the migrations in wave 1 with a lower id still go first.)
n=$(q "[.actions[] | select(.type == \"migrate\" and .from_reef == \"$gone\" and (.wave > 1 or .id > $del))] | length")
allow='^replayed wave by wave: instance '
expect "a deletion in a wave before the migrations out" "$(A "$del") |= (.wave = 1 | .depends_on = [])" \
  "replayed wave by wave: action $del (delete_reef): reef $gone still holds $n instance$([ "$n" = 1 ] || echo s)" \
  "replayed wave by wave: reef $gone: flagged deleted, but no delete_reef action deletes it"
allow=''

# A reef new in the plan: created by an action, and only used after that.
# (The summary's counts and cost then differ too: allowed.)
allow='^summary '
tmpl=$(q '.reefs[0].template')
newreef="{\"name\": \"zz-new\", \"region\": \"$region\", \"template\": \"$tmpl\", \"state\": \"active\", \"pool_sku\": \"GP_Gen5_2\", \"nodes\": 3, \"instances\": 0, \"created\": true"
expect "a new reef that no action creates" ".reefs += [$newreef}]" \
  "reef zz-new: new in the plan, but no create_reef action creates it"
expect "a reef scaled before it is created" \
  ".reefs += [$newreef, \"deleted\": true}] | .actions += [
     {\"id\": $((last + 1)), \"type\": \"scale_nodes\", \"reef\": \"zz-new\", \"from\": 3, \"to\": 4, \"depends_on\": [], \"wave\": 99},
     {\"id\": $((last + 2)), \"type\": \"create_reef\", \"reef\": \"zz-new\", \"region\": \"$region\", \"template\": \"$tmpl\", \"pool_sku\": \"GP_Gen5_2\", \"nodes\": 3, \"depends_on\": [], \"wave\": 100},
     {\"id\": $((last + 3)), \"type\": \"delete_reef\", \"reef\": \"zz-new\", \"depends_on\": [], \"wave\": 101}]" \
  "action $((last + 1)) (scale_nodes): reef zz-new does not exist yet"
allow=''

# Dedicated sizes of the placements (rule 8). The summary's cost, and the
# sizes the actions leave, then differ too: those lines are allowed.
allow='^summary (cost_after|objective): |: the actions leave other tiers or dedicated sizes than its placement$'
i=$(q '[.placements[] | select(.compute == "dedicated")][0].instance_id')
P() { echo "(.placements[] | select(.instance_id == \"$1\"))"; }
expect "dedicated compute of no node" "$(P "$i").compute_nodes = 0" \
  "instance $i: rule 8 dedicated compute: 0 nodes (at least 1)"
i=$(q '[.actions[] | select(.type == "place" and .storage == "shared")][0].instance_id') # new: no tier change
expect "dedicated share below the smallest size" \
  "$(P "$i") |= (.storage = \"dedicated\" | .storage_gb = 1)" \
  "instance $i: rule 8 dedicated storage: 1 GiB outside [100, 102400]"
allow=''

# A pool resize and the migration that needs it, in one wave: with the
# resize last (which running the wave at once allows) the pool is too small.
# The sample's plan: a migration whose only dependency is a resize_pool of
# its destination.
rp=$(q '([.actions[] | select(.type == "resize_pool") | {key: (.id | tostring), value: .reef}] | from_entries) as $rp |
  [.actions[] | select(.type == "migrate" and (.depends_on | length) == 1) |
   select($rp[.depends_on[0] | tostring] == .to_reef)][0] | "\(.id) \(.depends_on[0]) \(.to_reef)"')
read -r mig rsz to <<<"$rp"
w=$(q "(.actions[] | select(.id == $rsz)).wave")
pre="wave $w in another order (in reef $to, what takes room first, a pool resize last): reef $to: rule "
jq "$(A "$mig") |= (.wave = $w | .depends_on = [])" "$plan" >"$tmp/m.json"
got=$("$bin" verify "$fleet" "$tmp/m.json" --json 2>/dev/null); rc=$?
if [ -n "$mig" ] && [ "$rc" = 1 ] && jq -e --arg p "$pre" '(.violations | length) > 0 and
     all(.violations[]; startswith($p))' <<<"$got" >/dev/null; then
  ok "a migration in the wave of the pool resize it needs ($mig after $rsz)"
else
  bad "a migration in the wave of the pool resize it needs ('$rp'): exit $rc, $(jq -c .violations <<<"$got" 2>/dev/null)"
fi

# Within a wave: its actions may run at once, so they must hold in every
# order. On this generated fleet the search makes some tiers dedicated to
# free pool room for instances that arrive; the arrivals must wait for the
# tier changes (a wave later, through depends_on), which the plan's own
# validity checks. A migration put back into the tier change's wave without
# that dependency still holds in id order and wave by wave, but not with the
# arrivals first, which an executor running the wave at once may do.
gfleet=$tmp/gen
"$bin" generate --instances 300 --seed 3 --slots 24 -o "$gfleet" >/dev/null 2>&1
if ! "$bin" rebalance "$gfleet" --seed 1 --time-limit 20 -o "$tmp/gplan.json" 2>"$tmp/err"; then
  bad "rebalance of the generated fleet: $(cat "$tmp/err")"
elif "$bin" verify "$gfleet" "$tmp/gplan.json" >"$tmp/v.out" 2>&1; then
  ok "rebalance's waves hold in every order"
else
  bad "rebalance's plan is invalid: $(head -3 "$tmp/v.out")"
fi
# Migrations whose only dependencies are tier changes to dedicated in their
# destination, made in wave 1.
sel='([.actions[] | select(.type == "set_tier" and .to == "dedicated" and .wave == 1) |
        {key: (.id | tostring), value: .reef}] | from_entries) as $st |
  [.actions[] | select(.type == "migrate" and (.depends_on | length) > 0) |
   select(. as $m | all(.depends_on[]; $st[tostring] == $m.to_reef))]'
to=$(jq -r "$sel | .[0].to_reef // empty" "$tmp/gplan.json")
ids=$(jq -c --arg to "$to" "$sel | map(select(.to_reef == \$to) | .id)" "$tmp/gplan.json")
if [ -z "$to" ]; then
  bad "the generated plan has no migration waiting only for tier changes"
else
  jq --argjson ids "$ids" '(.actions[] | select(.id as $i | $ids | index($i))) |= (.wave = 1 | .depends_on = [])' \
    "$tmp/gplan.json" >"$tmp/gm.json"
  got=$("$bin" verify "$gfleet" "$tmp/gm.json" --json 2>/dev/null); rc=$?
  pre="wave 1 in another order (in reef $to, what takes room first): reef $to: rule "
  if [ "$rc" = 1 ] && jq -e --arg p "$pre" '(.violations | length) > 0 and
       all(.violations[]; startswith($p))' <<<"$got" >/dev/null; then
    ok "arrivals in the wave of the tier changes they need ($ids into $to)"
  else
    bad "arrivals in the wave of the tier changes they need: exit $rc, $(jq -c .violations <<<"$got" 2>/dev/null)"
  fi
fi

# The same for rule 5's node count, whose worst order differs: in the
# over-max-nodes fixture brought to 3 shared nodes (max_nodes 4, and b's
# dedicated node pool), b's compute goes back to shared and a's becomes
# dedicated, both in wave 1. In id order the node pool is given back first
# (3 + 1 nodes); with a's taken first the reef has 5. The summary and the
# stated peaks are left as rebalance wrote them (allowed).
nm=$tmp/nodes
mkdir -p "$nm"; cp "$root/tests/fixtures/over-max-nodes/"* "$nm/"
sed -i 's/"nodes": 4/"nodes": 3/' "$nm/fleet.json"
if ! "$bin" rebalance "$nm" --time-limit 2 -o "$tmp/nm.json" 2>"$tmp/err" >/dev/null; then
  bad "rebalance of the node fixture: $(cat "$tmp/err")"
else
  jq '(.placements[] | select(.instance_id == "a")) |= (.compute = "dedicated" | .compute_nodes = 1) |
      .actions += [{"id": (([.actions[].id] | max) + 1), "type": "set_tier", "instance_id": "a",
        "reef": "x", "resource": "compute", "from": "shared", "to": "dedicated", "size": 1,
        "depends_on": [], "wave": 1}]' "$tmp/nm.json" >"$tmp/nm2.json"
  got=$("$bin" verify "$nm" "$tmp/nm2.json" --json 2>/dev/null); rc=$?
  n=$(jq '[.actions[].id] | max' "$tmp/nm2.json")
  want="[\"wave 1 in another order (in reef x, what takes nodes first): reef x: rule 5 max_nodes (shared + dedicated): 5 > 4 (after action $n)\"]"
  if [ "$rc" = 1 ] && [ "$(jq -c '.violations | map(select(test("^summary |^reef x: states peak_utilization ") | not))' <<<"$got")" = "$want" ] &&
    jq -e '.actions[] | select(.type == "set_tier" and .instance_id == "b" and .to == "shared" and .wave == 1)' "$tmp/nm2.json" >/dev/null; then
    ok "a dedicated node pool taken in the wave that gives one back"
  else
    bad "a dedicated node pool taken in the wave that gives one back: exit $rc, $(jq -c .violations <<<"$got" 2>/dev/null)"
  fi
fi

echo "verify actions cli: $passed passed"
exit $fail

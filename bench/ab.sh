#!/usr/bin/env bash
# Two builds side by side: the same rebalance, run by the build of commit
# BASE and of commit HEAD at the same time (one on each core, so both see
# the same machine), N pairs; reports each pair's objective and wall time,
# the medians and the ratio HEAD / BASE of the medians. For changes whose
# effect shows only where the time limit cuts the search, where single runs
# vary.
#
#   bash bench/ab.sh --base REV --fleet DIR [--head REV] [--runs N]
#                    [--time-limit S] [--label TEXT] [--out FILE] [-- REBALANCE-FLAGS...]
#
#   --base REV      the commit to compare against
#   --head REV      the commit under test (default HEAD)
#   --fleet DIR     the fleet directory to rebalance (read, never changed)
#   --runs N        pairs (default 3)
#   --time-limit S  rebalance --time-limit (default 60)
#   --label TEXT    the fleet's name in the report (default the directory's)
#   --out FILE      report, appended to (default bench/RESULTS-ab.md)
#   --scratch DIR   worktrees, builds and plans (default /tmp/reefplan-ab)
#   -- FLAGS        more rebalance flags, e.g. --move-budget -1 --peak-profiles
#
# Every plan goes through `reefplan verify` (untimed). Not a test: ctest and
# CI never run it.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base='' head=HEAD fleet='' runs=3 tl=60 label='' out=$root/bench/RESULTS-ab.md
scratch=/tmp/reefplan-ab
extra=()
die() { echo "ab.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --base) base=${2:?}; shift 2 ;;
    --head) head=${2:?}; shift 2 ;;
    --fleet) fleet=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --time-limit) tl=${2:?}; shift 2 ;;
    --label) label=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --scratch) scratch=${2:?}; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) die "unknown argument '$1'" ;;
  esac
done
[ -n "$base" ] || die "--base REV is required"
[ -f "$fleet/fleet.json" ] || die "--fleet: no fleet.json in '$fleet'"
case $runs in *[!0-9]* | '' | 0) die "--runs takes a positive number" ;; esac
case "$scratch" in "$root" | "$root"/*) die "--scratch must be outside the repository" ;; esac
command -v jq >/dev/null || die "jq is required (scripts/setup installs it)"
fleet=$(cd "$fleet" && pwd)
label=${label:-$(basename "$fleet")}

# build TAG REV: a worktree of REV and its build (as scripts/build); prints
# the short commit.
build() {
  local tag=$1 rev wt=$scratch/src-$1
  rev=$(git -C "$root" rev-parse --short "$2") || die "no commit '$2'"
  git -C "$root" worktree remove --force "$wt" >/dev/null 2>&1
  rm -rf "$wt"
  git -C "$root" worktree add --detach "$wt" "$rev" >/dev/null 2>&1 || die "git worktree add $rev failed"
  cmake -S "$wt" -B "$scratch/build-$tag" >/dev/null &&
    cmake --build "$scratch/build-$tag" -j "$(nproc)" --target reefplan >"$scratch/build-$tag.log" 2>&1 ||
    die "build of $rev failed (see $scratch/build-$tag.log)"
  cp "$scratch/build-$tag/reefplan" "$scratch/reefplan-$tag"
  echo "$rev"
}

mkdir -p "$scratch"
# A build finds its catalogs (models/) in its source tree: the worktrees stay
# until the end.
trap 'git -C "$root" worktree remove --force "$scratch/src-a" >/dev/null 2>&1
      git -C "$root" worktree remove --force "$scratch/src-b" >/dev/null 2>&1' EXIT
rev_a=$(build a "$base") || exit 2
rev_b=$(build b "$head") || exit 2
args=(rebalance "$fleet" --time-limit "$tl" --json "${extra[@]}")
# verify takes the run's move budget, if one was given.
vargs=()
for ((q = 0; q < ${#extra[@]}; q++)); do
  [ "${extra[q]}" = --move-budget ] && vargs=(--move-budget "${extra[q + 1]}")
done

# one TAG K: runs build TAG once; prints "objective seconds verdict".
one() {
  local tag=$1 k=$2 plan=$scratch/plan-$1-$2.json t0 t1
  t0=$(date +%s.%N)
  "$scratch/reefplan-$tag" "${args[@]}" -o "$plan" >"$scratch/sum-$tag-$k.json" 2>"$scratch/log-$tag-$k.txt" ||
    { echo "NaN NaN failed"; return; }
  t1=$(date +%s.%N)
  local v=valid
  "$scratch/reefplan-$tag" verify "$fleet" "$plan" "${vargs[@]}" >/dev/null 2>&1 || v=INVALID
  echo "$(jq .objective "$scratch/sum-$tag-$k.json") $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') $v"
}

rows=()
oa=() ob=() ta=() tb=()
for k in $(seq "$runs"); do
  echo "ab.sh: pair $k of $runs" >&2
  one a "$k" >"$scratch/res-a-$k" &
  one b "$k" >"$scratch/res-b-$k" &
  wait
  read -r o1 s1 v1 <"$scratch/res-a-$k"
  read -r o2 s2 v2 <"$scratch/res-b-$k"
  oa+=("$o1") ob+=("$o2") ta+=("$s1") tb+=("$s2")
  rows+=("$(printf '| %d | %.2f | %.2f | %s s | %s s | %s / %s |' "$k" "$o1" "$o2" "$s1" "$s2" "$v1" "$v2")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
ma=$(median "${oa[@]}") mb=$(median "${ob[@]}")
sa=$(median "${ta[@]}") sb=$(median "${tb[@]}")
{
  echo
  echo "## $(date -u '+%Y-%m-%d %H:%M UTC'): $label, $rev_b against $rev_a"
  echo
  echo "- Command: \`bash bench/ab.sh --base $base --head $head --fleet $fleet --runs $runs --time-limit $tl${label:+ --label '$label'}${extra[*]:+ -- ${extra[*]}}\`"
  echo "- Each pair: \`reefplan ${args[*]} -o plan.json\` by both builds at once, then \`reefplan verify\`."
  echo "- Machine: $(uname -srm); $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores"
  echo
  echo "| pair | objective $rev_a | objective $rev_b | wall $rev_a | wall $rev_b | verify |"
  echo "|---:|---:|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
  echo
  awk -v ma="$ma" -v mb="$mb" -v sa="$sa" -v sb="$sb" -v a="$rev_a" -v b="$rev_b" 'BEGIN {
    printf "Medians: objective %.2f (%s) and %.2f (%s), ratio %s / %s = %.4f; wall %.1f s and %.1f s, ratio %.2f.\n",
      ma, a, mb, b, b, a, mb / ma, sa, sb, sb / sa }'
} >>"$out"
echo "ab.sh: appended to $out" >&2
grep -q "failed\|INVALID" "$scratch"/res-* && exit 1
exit 0

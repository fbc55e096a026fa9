#!/usr/bin/env bash
# bench/results.sh, which keeps section f of bench/RESULTS.md: a block is
# written where its markers are, the others and the rest of the report are
# left as they were, the section is added once, a missing block is added at
# its end, an unknown block name changes nothing, a block may come on
# standard input, and results_tree ignores changed reports. Runs on a scratch
# copy; never touches bench/RESULTS.md.
set -u
root=${RP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok()  { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }

export RP_RESULTS=$tmp/RESULTS.md
# shellcheck source=bench/results.sh
. "$root/bench/results.sh"
block() { sed -n "/^<!-- begin $1 -->\$/,/^<!-- end $1 -->\$/p" "$RP_RESULTS" | sed '1d;$d'; }

printf '# report\n\n## a. one\n\ntext a\n\n## Commands\n\nx\n' >"$RP_RESULTS"
cp "$RP_RESULTS" "$tmp/head"
printf 'bpp line 1\nbpp line 2\n' >"$tmp/b1"
results_block bpp "$tmp/b1" || bad "results_block bpp failed"
[ "$(block bpp)" = "$(cat "$tmp/b1")" ] && ok || bad "bpp block: $(block bpp)"
[ "$(grep -c '^## f\. ' "$RP_RESULTS")" = 1 ] && ok || bad "section f not added once"
head -n "$(wc -l <"$tmp/head")" "$RP_RESULTS" | cmp -s - "$tmp/head" && ok || bad "sections a-e changed"
for k in vbp mip traces scale; do
  case $(block "$k") in _Not\ run*) ok ;; *) bad "block $k not empty: $(block "$k")" ;; esac
done

# A second block, then the first again: each replaces only its own.
printf 'scale figures\n' >"$tmp/b2"
results_block scale "$tmp/b2"
printf 'bpp, new run\n' >"$tmp/b3"
results_block bpp "$tmp/b3"
[ "$(block bpp)" = "bpp, new run" ] && ok || bad "bpp not replaced: $(block bpp)"
[ "$(block scale)" = "scale figures" ] && ok || bad "scale lost: $(block scale)"
[ "$(grep -c '^## f\. ' "$RP_RESULTS")" = 1 ] && ok || bad "section f added twice"
[ "$(grep -c '^<!-- begin ' "$RP_RESULTS")" = 5 ] && ok || bad "not five blocks"

# Unknown name: exit 2, one line, the report unchanged.
cp "$RP_RESULTS" "$tmp/before"
results_block nope "$tmp/b3" 2>"$tmp/err"
rc=$?
[ $rc = 2 ] && ok || bad "unknown block: exit $rc"
[ "$(cat "$tmp/err")" = "results.sh: unknown block 'nope'" ] && ok || bad "message: $(cat "$tmp/err")"
cmp -s "$tmp/before" "$RP_RESULTS" && ok || bad "unknown block changed the report"

# Section f without the mip block (an older report): the block is added at
# the end, once, and the others stay.
awk '/^<!-- begin mip -->$/ { skip = 1 } !skip { print } /^<!-- end mip -->$/ { skip = 0 }' \
  "$RP_RESULTS" >"$tmp/old" && mv "$tmp/old" "$RP_RESULTS"
printf 'mip figures\n' >"$tmp/b4"
results_block mip "$tmp/b4"
[ "$(block mip)" = "mip figures" ] && ok || bad "mip block: $(block mip)"
[ "$(tail -1 "$RP_RESULTS")" = "<!-- end mip -->" ] && ok || bad "mip block not at the end"
[ "$(block scale)" = "scale figures" ] && ok || bad "scale lost after adding mip"
[ "$(grep -c '^## f\. ' "$RP_RESULTS")" = 1 ] && ok || bad "section f added again"

# The block from standard input, as the scripts write it.
printf 'traces figures\n' | results_block traces
[ "$(block traces)" = "traces figures" ] && ok || bad "traces block from stdin: $(block traces)"
[ "$(block mip)" = "mip figures" ] && ok || bad "mip lost after the stdin block"

# results_tree: the commit, "plus uncommitted changes" only when a tracked
# file other than bench/RESULTS*.md differs (a scratch repository).
repo=$tmp/repo
mkdir -p "$repo/bench"
echo a >"$repo/a.c" && echo r >"$repo/bench/RESULTS-x.md"
git -C "$repo" init -q && git -C "$repo" add . &&
  git -C "$repo" -c user.name=t -c user.email=t@t commit -q -m t
sha=$(git -C "$repo" rev-parse --short HEAD)
RP_BENCH_SRC=$repo/bench
[ "$(results_tree)" = "$sha" ] && ok || bad "clean tree: $(results_tree)"
echo more >>"$repo/bench/RESULTS-x.md"
[ "$(results_tree)" = "$sha" ] && ok || bad "a changed report made the tree dirty: $(results_tree)"
echo more >>"$repo/a.c"
[ "$(results_tree)" = "$sha plus uncommitted changes" ] && ok || bad "a changed source: $(results_tree)"

echo "bench_results: $pass passed, $fail failed"
[ $fail = 0 ]

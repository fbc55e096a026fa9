#!/usr/bin/env bash
# Bad-input suite. Each directory tests/bad/<defect>/ holds the file(s) that
# carry one defect; they are laid over a copy of the fixture named in its
# file `base` (default tests/fixtures/tiny). A file named `_remove` lists files
# of the base to delete. `expect` holds the exact stderr line; the command
# (default `check`) must exit 2 and print nothing on stdout.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
for case in "$here"/*/; do
  name=$(basename "$case")
  base=tiny
  [ -f "$case/base" ] && base=$(cat "$case/base")
  rm -rf "${tmp:?}/$name"
  cp -r "$root/tests/fixtures/$base" "$tmp/$name"
  for f in "$case"/*; do
    b=$(basename "$f")
    case "$b" in expect|base|_remove|cmd) ;; *) cp "$f" "$tmp/$name/$b" ;; esac
  done
  if [ -f "$case/_remove" ]; then
    while read -r r; do rm -f "$tmp/$name/$r"; done < "$case/_remove"
  fi
  cmd=check
  [ -f "$case/cmd" ] && cmd=$(cat "$case/cmd")
  out=$(cd "$tmp" && $bin $cmd "$name" 2>"$tmp/$name.err")
  rc=$?
  want=$(cat "$case/expect")
  got=$(cat "$tmp/$name.err")
  if [ "$rc" = 2 ] && [ "$got" = "$want" ] && [ -z "$out" ]; then
    pass=$((pass+1))
  else
    fail=$((fail+1))
    echo "FAIL $name: exit $rc"
    echo "  want: $want"
    echo "  got:  $got"
    [ -n "$out" ] && echo "  stdout: $(echo "$out" | head -3)"
  fi
done
echo "bad inputs: $pass passed, $fail failed"
[ "$fail" = 0 ]

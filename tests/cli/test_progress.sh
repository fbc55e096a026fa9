#!/usr/bin/env bash
# The search's progress line of `reefplan rebalance` (SPEC section 6: a
# progress bar only on a terminal). stderr is made a terminal with script(1)
# (util-linux, Debian's bsdutils). The line is rewritten in place ("\r" and
# erase to the end of line), cleared before the summary, and never shown
# when stderr is not a terminal, when TERM is dumb, or when info log lines
# would cut across it. It does not change the plan.
set -u
bin=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v script >/dev/null || { echo "FAIL script(1) is not installed (scripts/setup installs bsdutils)"; exit 1; }
fail=0 passed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; fail=1; }

"$bin" generate --instances 200 --regions 1 --seed 5 -o "$tmp/fleet" >/dev/null 2>&1 ||
  { echo "FAIL generate"; exit 1; }
args=(rebalance "$tmp/fleet" --time-limit 120 --lns-steps 0 --seed 3)
esc=$(printf '\033')

# on_tty OUT ENV... -- ARGS...: runs reefplan ARGS with stderr (and stdout)
# on a pseudo-terminal, under the environment ENV; what the terminal got
# goes to OUT.
on_tty() {
  local out=$1
  shift
  local env=()
  while [ "$1" != -- ]; do env+=("$1"); shift; done
  shift
  local cmd
  cmd=$(printf '%q ' "$bin" "$@")
  env "${env[@]}" script -qec "$cmd" /dev/null >"$out" 2>&1
}

# On a terminal: the steps and the objective, rewritten in place.
on_tty "$tmp/tty.out" TERM=xterm -- "${args[@]}" -o "$tmp/tty.json"
tr '\r' '\n' <"$tmp/tty.out" >"$tmp/tty.lines"
if grep -q "^${esc}\[Krebalance: 0 of 120 s, construction\$" "$tmp/tty.lines" &&
  grep -Eq "^${esc}\[Krebalance: [0-9]+ of 120 s, improvement, objective [0-9]+\.[0-9]{2}\$" "$tmp/tty.lines" &&
  grep -q "^${esc}\[Krebalance: [0-9]* of 120 s, final sweep, objective " "$tmp/tty.lines"; then
  ok "progress on a terminal"
else bad "progress on a terminal: $(head -c 600 "$tmp/tty.lines" | cat -v)"; fi
# Cleared before the summary, which starts its own line.
if grep -q "^${esc}\[Krebalance: cost .* objective .*, lower bound " "$tmp/tty.lines"; then
  ok "the line is cleared before the summary"
else bad "summary: $(grep 'rebalance: cost' "$tmp/tty.lines" | cat -v)"; fi

# Not a terminal: no control characters at all, and the same plan.
"$bin" "${args[@]}" -o "$tmp/plain.json" 2>"$tmp/plain.err"
if ! grep -q $'\r' "$tmp/plain.err" && ! grep -q "$esc" "$tmp/plain.err" &&
  grep -q '^rebalance: cost' "$tmp/plain.err"; then
  ok "no progress when stderr is not a terminal"
else bad "not a terminal: $(head -c 300 "$tmp/plain.err" | cat -v)"; fi
strip='del(.summary.solve_seconds)'
if [ -s "$tmp/plain.json" ] &&
  [ "$(jq -S "$strip" "$tmp/tty.json")" = "$(jq -S "$strip" "$tmp/plain.json")" ]; then
  ok "the progress line does not change the plan"
else bad "plans differ with and without the progress line"; fi

# TERM=dumb, or info log lines: no progress line.
on_tty "$tmp/dumb.out" TERM=dumb -- "${args[@]}" -o "$tmp/dumb.json"
if ! grep -q "$esc" "$tmp/dumb.out" && grep -q 'rebalance: cost' "$tmp/dumb.out"; then
  ok "no progress with TERM=dumb"
else bad "TERM=dumb: $(head -c 300 "$tmp/dumb.out" | cat -v)"; fi
on_tty "$tmp/info.out" TERM=xterm REEFPLAN_LOG=info -- "${args[@]}" -o "$tmp/info.json"
if ! grep -q "$esc" "$tmp/info.out" && grep -q 'reefplan: info: ' "$tmp/info.out"; then
  ok "no progress with info log lines"
else bad "REEFPLAN_LOG=info: $(head -c 300 "$tmp/info.out" | cat -v)"; fi

# With --restarts, the run is named.
on_tty "$tmp/runs.out" TERM=xterm -- "${args[@]}" --restarts 2 -o "$tmp/runs.json"
if tr '\r' '\n' <"$tmp/runs.out" | grep -q "^${esc}\[Krebalance: [0-9]* of 120 s, improvement, run 2 of 2, objective "; then
  ok "progress names the run of --restarts"
else bad "--restarts 2: $(tr '\r' '\n' <"$tmp/runs.out" | tail -5 | cat -v)"; fi

echo "progress cli: $passed passed"
exit $fail

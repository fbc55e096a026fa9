# shellcheck shell=bash
# bench/results.sh - sourced by the optimizer-quality benchmarks (bpp/run.sh,
# vbp/run.sh, mip/run.sh, traces.sh, scale.sh): keeps their headline figures
# in section "f" of bench/RESULTS.md, one block per script, so that the one
# report holds every figure with its command, date and machine. Each script
# still keeps its full history in its own bench/RESULTS-*.md.
#
# A block lies between the lines "<!-- begin KEY -->" and "<!-- end KEY -->";
# a run replaces its own block and leaves the others alone. bench/run.sh,
# which writes the rest of RESULTS.md anew, carries section f over.
#
#   results_block KEY [FILE] put FILE's text (standard input without FILE)
#                            in block KEY of $RP_RESULTS (default
#                            bench/RESULTS.md next to this file)
#   results_section_f        print section f with every block empty
#   results_tree             the commit checked out, with " plus uncommitted
#                            changes" when a tracked file other than the
#                            benchmark reports (bench/RESULTS*.md) differs

RP_BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RP_RESULTS=${RP_RESULTS:-$RP_BENCH_SRC/RESULTS.md}

results_tree() {
  local dir=$RP_BENCH_SRC
  printf '%s' "$(git -C "$dir" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  git -C "$dir" status --porcelain --untracked-files=no -- ':(top)' ':(top,exclude)bench/RESULTS*.md' 2>/dev/null |
    grep -q . && printf ' plus uncommitted changes'
  echo
}

# The blocks, in the order of the issue's list of benchmarks.
RP_RESULT_KEYS="bpp vbp mip traces scale"

results_script() {
  case $1 in
    bpp) echo "bash bench/bpp/run.sh --time-limit 5" ;;
    vbp) echo "bash bench/vbp/run.sh --time-limit 2" ;;
    mip) echo "bash bench/mip/run.sh" ;;
    traces) echo "bash bench/traces.sh" ;;
    scale) echo "bash bench/scale.sh" ;;
  esac
}

results_section_f() {
  printf '\n## f. Optimizer quality: known optima, MIP solvers, real traces, scale\n\n'
  printf 'Each block below is written by its own script when that script runs with its\n'
  printf 'default report (a smoke run with --limit, --only or --out leaves it alone); the\n'
  printf 'script keeps every run in the file the block names. bench/run.sh carries this\n'
  printf 'section over when it writes the rest of the report.\n'
  local k
  for k in $RP_RESULT_KEYS; do
    # shellcheck disable=SC2016 # backquotes are Markdown
    printf '\n<!-- begin %s -->\n_Not run since this section was added: `%s`._\n<!-- end %s -->\n' "$k" "$(results_script "$k")" "$k"
  done
}

results_block() {
  local key=$1 body=${2:-/dev/stdin} tmp
  case " $RP_RESULT_KEYS " in *" $key "*) ;; *) echo "results.sh: unknown block '$key'" >&2; return 2 ;; esac
  [ -s "$RP_RESULTS" ] || printf '# reefplan benchmark results\n' >"$RP_RESULTS"
  if ! grep -q "^<!-- begin $key -->\$" "$RP_RESULTS"; then
    if grep -q '^## f\. ' "$RP_RESULTS"; then # section f ends the file
      printf '\n<!-- begin %s -->\n<!-- end %s -->\n' "$key" "$key" >>"$RP_RESULTS"
    else
      results_section_f >>"$RP_RESULTS"
    fi
  fi
  tmp=$RP_RESULTS.tmp.$$
  awk -v key="$key" -v body="$body" '
    $0 == "<!-- begin " key " -->" && !done { print; while ((getline l < body) > 0) print l; skip = 1; done = 1; next }
    $0 == "<!-- end " key " -->" { skip = 0 }
    !skip { print }' "$RP_RESULTS" >"$tmp" && mv "$tmp" "$RP_RESULTS"
}

# shellcheck shell=bash disable=SC2154 # root: set by the caller
# Shared by bench/bpp/run.sh and bench/vbp/run.sh (sourced, not run).
# Expects $root (the repository) to be set by the caller.

# die MSG: one line on stderr, exit 2.
die() { echo "${prog:-$(basename "$0")}: $*" >&2; exit 2; }

# check_run_opts: the options both runners share (jobs, limit, iter, tl)
# hold numbers of the right kind.
check_run_opts() {
  case $jobs in ''|*[!0-9]*|0) die "--jobs must be a positive integer, not '$jobs'" ;; esac
  case $limit in ''|*[!0-9]*) die "--limit must be a non-negative integer, not '$limit'" ;; esac
  case $iter in *[!0-9]*) die "--iterations must be a non-negative integer, not '$iter'" ;; esac
  awk -v t="$tl" 'BEGIN { exit !(t + 0 > 0 && t ~ /^[0-9.]+$/) }' || die "--time-limit must be positive seconds, not '$tl'"
}

# need_tools: jq, awk, timeout must be on PATH.
need_tools() {
  local t
  for t in jq awk timeout sha256sum; do
    command -v "$t" > /dev/null || die "$t is missing (jq: apt-get install -y jq)"
  done
}

# check_scratch DIR: refuse a scratch directory inside the repository, since
# benchmark data must never land in the project. Prints the absolute path.
check_scratch() {
  local abs=$1 rest=""
  case $abs in /*) ;; *) abs=$PWD/$abs ;; esac
  # Resolve the longest existing prefix, so nothing is created before the check.
  while [ ! -d "$abs" ]; do rest=/$(basename "$abs")$rest; abs=$(dirname "$abs"); done
  abs=$(cd "$abs" && pwd -P)$rest
  case "$abs/" in
    "$(cd "$root" && pwd -P)/"*) die "scratch dir $abs is inside the repository; use another" ;;
  esac
  mkdir -p "$abs" || die "cannot create $abs"
  printf '%s\n' "$abs"
}

# snapshot_bin BIN SCRATCH RESUME: copy the reefplan binary into scratch, so
# that a rebuild of build/ during a long run cannot change the solver mid-run.
# A resumed run (RESUME=1) keeps the copy it finds there. What the binary was
# built from is recorded at copy time in SCRATCH/source.txt (source_line).
# Prints the copy's path.
snapshot_bin() {
  if [ "$3" = 1 ] && [ -x "$2/reefplan.bin" ]; then
    echo "$prog: --resume: using the binary of the interrupted run, $2/reefplan.bin" >&2
  else
    [ -x "$1" ] || die "reefplan binary $1 not found (bash scripts/build, or --reefplan BIN)"
    cp "$1" "$2/reefplan.bin" || die "cannot copy $1"
    source_line "$1" > "$2/source.txt"
  fi
  printf '%s\n' "$2/reefplan.bin"
}

# command_line SCRATCH RESUME CMD: the command to report, in backquotes. A fresh run records
# CMD in SCRATCH/command.txt; a resumed one reports that first command too.
command_line() {
  if [ "$2" = 1 ] && [ -s "$1/command.txt" ]; then
    printf '`%s` (resumed with `%s`)' "$(cat "$1/command.txt")" "$3"
  else
    printf '%s\n' "$3" > "$1/command.txt"
    printf '`%s`' "$3"
  fi
}

# machine_line: uname, CPU model, cores.
machine_line() {
  local cpu
  cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2> /dev/null)
  printf '%s; CPU %s, %s cores' "$(uname -srm)" "${cpu:-unknown}" "$(nproc 2> /dev/null || echo '?')"
}

# source_line BIN: where the binary comes from: for build/reefplan the git
# commit of the tree (with "+ uncommitted changes" when engine/ is dirty) and
# the build time, otherwise its path; and its sha256.
source_line() {
  local rev dirty="" sum
  sum=$(sha256sum "$1" | cut -c1-16)
  if [ "$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")" = "$(cd "$root" && pwd -P)/build/reefplan" ]; then
    rev=$(git -C "$root" rev-parse --short HEAD 2> /dev/null || echo unknown)
    [ -z "$(git -C "$root" status --porcelain -- engine 2> /dev/null)" ] || dirty=" + uncommitted changes in engine/"
    printf 'build/reefplan built %s, tree at commit %s%s; binary sha256 %s\n' \
      "$(date -u -r "$1" '+%Y-%m-%d %H:%M UTC')" "$rev" "$dirty" "$sum"
  else
    printf 'binary %s (%s); sha256 %s\n' "$1" "$(date -u -r "$1" '+%Y-%m-%d %H:%M UTC')" "$sum"
  fi
}

# run_workers JOBS DIMS LIST: LIST has lines "id<TAB>instance_file"; runs
# solve_one.sh on each with JOBS in parallel, results in $RPB_WORK/results/.
# Instances whose result file already exists are skipped (--resume).
run_workers() {
  local jobs=$1 dims=$2 list=$3 id file
  while IFS=$'\t' read -r id file; do
    [ -s "$RPB_WORK/results/$id.csv" ] && continue
    printf '%s\0%s\0%s\0%s\0' "$id" "$file" "$dims" "$RPB_WORK/results/$id.csv"
  done < "$list" | xargs -0 -r -n 4 -P "$jobs" bash "$root/bench/bpp/solve_one.sh"
}

# collect LIST OUT: the result rows of the ids of LIST (in LIST's order) into OUT,
# with a row of empty fields and note "no result" for a missing one.
collect() {
  local id file
  while IFS=$'\t' read -r id file; do
    if [ -s "$RPB_WORK/results/$id.csv" ]; then cat "$RPB_WORK/results/$id.csv"
    else printf '%s,,,,,,,no result\n' "$id"; fi
  done < "$1" > "$2"
}

# packing_block KEY TITLE TABLE TARGET: the block KEY of section f of
# bench/RESULTS.md (bench/results.sh) for a whole run: TITLE and the
# command, the run's date, size, binary and machine, TABLE, TARGET and a
# link to the report. Reads the caller's cmdline, start, total, tl, jobs,
# scratch, RPB_BIN, nverified, elapsed and out.
packing_block() {
  # shellcheck source=bench/results.sh
  . "$root/bench/results.sh"
  {
    printf '### %s: %s\n\n' "$2" "$cmdline"
    printf '%s, %d instances, time limit %s s, %d at once; reefplan %s; %s. %s of %s plans verified; the whole run took %s s.\n\n' \
      "$start" "$total" "$tl" "$jobs" "$(cat "$scratch/source.txt" 2> /dev/null || source_line "$RPB_BIN")" "$(machine_line)" "$nverified" "$total" "$elapsed"
    printf '%s\n\n%s\n' "$3" "$4"
    printf 'Every run, with the worst instances: [%s](%s).\n' "$(basename "$out")" "$(basename "$out")"
  } | results_block "$1" && echo "$prog: bench/RESULTS.md section f updated" >&2
}

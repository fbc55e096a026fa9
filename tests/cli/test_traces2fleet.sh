#!/usr/bin/env bash
# traces2fleet, end to end on tiny synthetic traces in each supported format
# (PlanetLab long-by-day, Azure V1 wide, gzip or plain): the fleets load with
# `reefplan check`, cpu_cores profiles are the nearest-rank 0.95 quantiles
# computed here independently, sampling and seeds behave, and bad usage or
# bad input exit 2 with one exact line. Self-contained: needs no real trace.
set -u
bin=$1
t2f="$(dirname "$bin")/traces2fleet"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok()  { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
[ -x "$t2f" ] || { echo "FAIL: no traces2fleet next to $bin"; exit 1; }

conv() { "$t2f" "$@" 2>"$tmp/conv.err"; }

# ---- synthetic traces -------------------------------------------------------
# Azure wide: 3 weeks of 5-minute slots from a Monday 00:00; 36 samples per
# hour of week. VM "101": in hour w the samples are a permutation of
# 1..36 plus w%50, so its 0.95 quantile (rank 35 of 36) is 35+w%50, one below
# the maximum. VM "202 24" (a periodic-style name): 40 except one spike of 90
# per hour, which the quantile must ignore.
awk 'BEGIN {
  print "slot,101,202 24"
  for (s = 0; s < 3 * 168 * 12; s++) {
    h = int(s / 12); w = h % 168; k = int(h / 168) * 12 + s % 12; kk = (k * 7) % 36
    printf "%d,%d,%d\n", s, kk + 1 + w % 50, kk == 0 ? 90 : 40
  }
}' > "$tmp/azure.csv"
# PlanetLab: VM "a b" on three days (two Thursdays and a Friday), VM "c" on
# one; sample i of a day is in hour i/12.
awk 'BEGIN {
  printf "date,vm"; for (i = 0; i < 288; i++) printf ",t%03d", i; printf "\n"
  split("20110303 20110304 20110310", days, " ")
  for (d = 1; d <= 3; d++) {
    printf "%s,a b", days[d]
    for (i = 0; i < 288; i++) { k = (d - 1) * 12 + i % 12; printf ",%d", (k * 7) % 36 + 1 + int(i / 12) }
    printf "\n"
    if (d == 1) {
      printf "%s,c", days[d]
      for (i = 0; i < 288; i++) printf ",%d", (i * 5) % 12 + 1 + int(i / 12)
      printf "\n"
    }
  }
}' > "$tmp/pl.csv"

# Long samples "vm<TAB>slot<TAB>value" of each trace, as the converter's
# contract maps them (Azure: (slot/12) mod S; PlanetLab: weekday*24 + hour).
azure_long() { # slots
  awk -F, -v S="$1" 'NR == 1 { for (k = 2; k <= NF; k++) name[k] = $k; next }
    { for (k = 2; k <= NF; k++) printf "%s\t%d\t%s\n", name[k], int($1 / 12) % S, $k }' "$tmp/azure.csv"
}
pl_long() { # slots
  awk -F, -v S="$1" 'NR == 1 { next }
    { wd = ($1 == "20110304") ? 4 : 3  # Thursday 3, Friday 4 (Monday 0)
      for (i = 0; i < 288; i++) printf "%s\t%d\t%s\n", $2, (S == 168 ? wd * 24 : 0) + int(i / 12), $(i + 3) }' "$tmp/pl.csv"
}
# Oracle: per VM and slot the nearest-rank 0.95 quantile (rank ceil(0.95 n),
# exact integers here), an empty slot taking the VM's highest slot.
# Prints "vm<TAB>slot<TAB>q".
oracle() { # slots
  awk -F'\t' -v S="$1" '
    { n = ++cnt[$1 SUBSEP $2]; val[$1 SUBSEP $2 SUBSEP n] = $3 + 0; vms[$1] = 1 }
    END {
      for (v in vms) {
        top = 0
        for (t = 0; t < S; t++) {
          n = cnt[v SUBSEP t] + 0; q[t] = -1
          if (n == 0) continue
          for (i = 1; i <= n; i++) a[i] = val[v SUBSEP t SUBSEP i]
          for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
          r = int((95 * n + 99) / 100)
          q[t] = a[r]; if (q[t] > top) top = q[t]
        }
        for (t = 0; t < S; t++) printf "%s\t%d\t%s\n", v, t, q[t] < 0 ? top : q[t]
      }
    }'
}
# Compares every instance's cpu_cores row with max(0.02 P, P q/100), P its
# x_cpu_peak, within the 3-significant-digit rounding; each instance of
# instances.csv has exactly one such row, and there is at least one. Prints
# mismatches; fails on any.
compare() { # fleet dir, oracle file
  awk -F, -v OR="$2" '
    BEGIN { while ((getline l < OR) > 0) { split(l, f, "\t"); q[f[1] SUBSEP f[2]] = f[3] } }
    FILENAME ~ /instances.csv$/ { if (FNR > 1) { vm = $12; gsub(/"/, "", vm); who[$1] = vm; peak[$1] = $13 }; next }
    FNR > 1 && $2 == "cpu_cores" {
      rows++; seen[$1]++
      if (!($1 in who)) { printf "%s: cpu_cores row of no instance in instances.csv\n", $1; bad++ }
      for (t = 0; t < NF - 2; t++) {
        e = peak[$1] * q[who[$1] SUBSEP t] / 100; if (e < 0.02 * peak[$1]) e = 0.02 * peak[$1]
        d = $(t + 3) - e; if (d < 0) d = -d
        if (d > 0.006 * e + 0.0006) { printf "%s (%s) slot %d: got %s want %.4f\n", $1, who[$1], t, $(t + 3), e; bad++ }
      }
    }
    END {
      if (!rows) print "no cpu_cores rows"
      for (i in who) if (seen[i] != 1) { printf "%s: %d cpu_cores rows, want 1\n", i, seen[i]; bad++ }
      exit (bad > 0 || !rows)
    }' "$1/instances.csv" "$1/profiles.csv"
}
check_fleet() { # dir, instances
  out=$("$bin" check "$1" 2>&1) || { bad "check $1: $out"; return; }
  echo "$out" | grep -q "$2 instances (0 placed, $2 not yet placed)" && ok || bad "check $1 summary: $out"
}
expect_quantiles() { # dir, slots, long-sample function
  $3 "$2" | oracle "$2" > "$tmp/oracle.tsv"
  res=$(compare "$1" "$tmp/oracle.tsv") && ok || bad "quantiles of $1: $(echo "$res" | head -5)"
}

# ---- Azure formats ----------------------------------------------------------
for kind in azure-avg azure-max azure-periodic; do
  conv --trace $kind --in "$tmp/azure.csv" -o "$tmp/$kind" || bad "$kind: $(cat "$tmp/conv.err")"
  check_fleet "$tmp/$kind" 2
  expect_quantiles "$tmp/$kind" 168 azure_long
done
head -1 "$tmp/azure-avg/profiles.csv" | grep -q '^instance_id,metric,v0,.*,v167$' && ok || bad "168-slot header"
grep -q '"move_budget": null' "$tmp/azure-avg/fleet.json" && ok || bad "move_budget not null"
grep -q '"reefs": \[\]' "$tmp/azure-avg/fleet.json" && ok || bad "fleet has reefs"
# the spike VM's profile is flat at 0.40 P, not at its 0.90 P maximum
grep -q ',202 24,' "$tmp/azure-avg/instances.csv" && ok || bad "x_trace_vm of '202 24'"
# 24 slots, from a directory holding the kind's gzip file
mkdir "$tmp/azdir"
gzip -c "$tmp/azure.csv" > "$tmp/azdir/microsoft_max_100.csv.gz"
conv --trace azure-max --in "$tmp/azdir" --slots 24 -o "$tmp/az24" || bad "az24: $(cat "$tmp/conv.err")"
check_fleet "$tmp/az24" 2
expect_quantiles "$tmp/az24" 24 azure_long
head -1 "$tmp/az24/profiles.csv" | grep -q ',v23$' && ok || bad "24-slot header"

# ---- PlanetLab ----------------------------------------------------------------
gzip -c "$tmp/pl.csv" > "$tmp/pl.csv.gz"
conv --trace planetlab --in "$tmp/pl.csv.gz" --slots 24 -o "$tmp/pl24" || bad "pl24: $(cat "$tmp/conv.err")"
check_fleet "$tmp/pl24" 2
expect_quantiles "$tmp/pl24" 24 pl_long
conv --trace planetlab --in "$tmp/pl.csv" --slots 168 -o "$tmp/pl168" || bad "pl168: $(cat "$tmp/conv.err")"
check_fleet "$tmp/pl168" 2
expect_quantiles "$tmp/pl168" 168 pl_long
# "a b" rows of three days are one VM: 2 instances, not 4
[ "$(grep -c ',a b,' "$tmp/pl24/instances.csv")" = 1 ] && ok || bad "VM 'a b' not pooled over days"

# ---- sampling, seeds ----------------------------------------------------------
conv --trace planetlab --in "$tmp/pl.csv" --slots 24 --instances 5 --seed 3 -o "$tmp/s5" || bad "s5"
check_fleet "$tmp/s5" 5
[ "$(grep -c ',a b,' "$tmp/s5/instances.csv")" -ge 2 ] && [ "$(grep -c ',c,' "$tmp/s5/instances.csv")" -ge 2 ] \
  && ok || bad "--instances 5 from 2 VMs: every VM at least twice"
expect_quantiles "$tmp/s5" 24 pl_long
conv --trace planetlab --in "$tmp/pl.csv" --slots 24 --instances 5 --seed 3 -o "$tmp/s5b" || bad "s5b"
conv --trace planetlab --in "$tmp/pl.csv" --slots 24 --instances 5 --seed 4 -o "$tmp/s5c" || bad "s5c"
for f in fleet.json instances.csv profiles.csv; do
  cmp -s "$tmp/s5/$f" "$tmp/s5b/$f" && ok || bad "$f differs with the same seed"
done
cmp -s "$tmp/s5/instances.csv" "$tmp/s5c/instances.csv" && bad "same plans with another seed" || ok
conv --trace planetlab --in "$tmp/pl.csv" --slots 24 --instances 1 -o "$tmp/s1" || bad "s1"
check_fleet "$tmp/s1" 1
if find "$tmp" -maxdepth 1 -name '*.tmp.*' | grep -q .; then bad "temporary directory left behind"; else ok; fi
# the converted fleet rebalances and verifies
if "$bin" rebalance "$tmp/pl24" --move-budget -1 --time-limit 5 -o "$tmp/plan.json" 2>/dev/null \
   && "$bin" verify "$tmp/pl24" "$tmp/plan.json" >/dev/null; then ok; else bad "rebalance/verify of pl24"; fi

# ---- usage errors: exit 2, nothing on stdout, the message ------------------------
expect_usage() { # message substring, args...
  local want=$1; shift
  out=$("$t2f" "$@" 2>"$tmp/err"); rc=$?
  if [ $rc -eq 2 ] && [ -z "$out" ] && grep -qF -- "$want" "$tmp/err"; then ok
  else bad "traces2fleet $* -> rc $rc, stdout '$out', stderr '$(cat "$tmp/err")'"; fi
}
expect_usage "--trace is required"
expect_usage "--trace: 'bitbrains' is not" --trace bitbrains --in "$tmp/pl.csv" -o "$tmp/u"
expect_usage "--slots: '100' is not 24 or 168" --trace planetlab --in "$tmp/pl.csv" --slots 100 -o "$tmp/u"
expect_usage "-o is required" --trace planetlab --in "$tmp/pl.csv"
expect_usage "--in is required" --trace planetlab -o "$tmp/u"
expect_usage "unknown argument '--bogus'" --trace planetlab --bogus 1
expect_usage "--instances: '0' is not a whole number" --trace planetlab --in "$tmp/pl.csv" --instances 0 -o "$tmp/u"
expect_usage "--seed needs a value" --trace planetlab --in "$tmp/pl.csv" --seed
expect_usage "$tmp/nope.csv: error: cannot open" --trace planetlab --in "$tmp/nope.csv" -o "$tmp/u"
expect_usage "output directory exists and is not empty" --trace planetlab --in "$tmp/pl.csv" -o "$tmp/pl24"
expect_usage "output exists and is not a directory" --trace planetlab --in "$tmp/pl.csv" -o "$tmp/pl.csv"
# Refused before the trace is read: the missing trace is not reached.
expect_usage "$tmp/nodir/u: error: cannot create a directory in $tmp/nodir: No such file or directory" \
  --trace planetlab --in "$tmp/nope.csv" -o "$tmp/nodir/u"
[ ! -e "$tmp/u" ] && ok || bad "output written on a usage error"
"$t2f" --help | grep -q '^usage: traces2fleet' && ok || bad "--help"

# ---- bad input: the exact line ---------------------------------------------------
expect_line() { # file, kind, expected stderr line
  out=$("$t2f" --trace "$2" --in "$1" -o "$tmp/u" 2>"$tmp/err"); rc=$?
  if [ $rc -eq 2 ] && [ -z "$out" ] && [ "$(cat "$tmp/err")" = "$3" ] && [ ! -e "$tmp/u" ]; then ok
  else bad "$1: rc $rc, stderr '$(cat "$tmp/err")', want '$3'"; fi
}
printf 'slot,101,202 24\n0,5,6\n1,5,abc\n' > "$tmp/b1.csv"
expect_line "$tmp/b1.csv" azure-avg "$tmp/b1.csv:3:5: error: column '202 24': utilisation 'abc' is not a number"
printf 'slot,101\n0,5\n1,100.5\n' > "$tmp/b2.csv"
gzip -c "$tmp/b2.csv" > "$tmp/b2.csv.gz"
expect_line "$tmp/b2.csv.gz" azure-max "$tmp/b2.csv.gz:3:3: error: column '101': utilisation '100.5' is outside 0..100"
printf 'time,101\n0,5\n' > "$tmp/b3.csv"
expect_line "$tmp/b3.csv" azure-periodic "$tmp/b3.csv:1:1: error: missing column 'slot'"
printf 'slot,101\n-1,5\n' > "$tmp/b4.csv"
expect_line "$tmp/b4.csv" azure-avg "$tmp/b4.csv:2:1: error: column 'slot': '-1' is not a 5-minute slot index (a whole number >= 0)"
sed '4s/^20110304/20110231/' "$tmp/pl.csv" > "$tmp/b5.csv"
expect_line "$tmp/b5.csv" planetlab "$tmp/b5.csv:4:1: error: column 'date': '20110231' is not a date YYYYMMDD"
sed -n '1,2p' "$tmp/pl.csv" > "$tmp/b6.csv"; sed -n '2p' "$tmp/pl.csv" >> "$tmp/b6.csv"
expect_line "$tmp/b6.csv" planetlab "$tmp/b6.csv:3:10: error: column 'vm': VM 'a b' has a second row for 20110303"
printf 'not gzip' | gzip -c | head -c 15 > "$tmp/b7.csv.gz"
out=$("$t2f" --trace planetlab --in "$tmp/b7.csv.gz" -o "$tmp/u" 2>"$tmp/err"); rc=$?
[ $rc -eq 2 ] && grep -q "^$tmp/b7.csv.gz: error: bad gzip data" "$tmp/err" && ok || bad "truncated gzip: rc $rc $(cat "$tmp/err")"

echo "test_traces2fleet: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

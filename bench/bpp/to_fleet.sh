#!/usr/bin/env bash
# Maps a one-dimensional bin-packing instance (BPPLIB format: n, capacity, then
# n weights) onto a reefplan fleet: every item is a new instance whose only
# load is a flat db_compute equal to its weight; every bin is a reef whose one
# pool SKU holds exactly the capacity and costs 1 per month, with no other
# cost and no headroom. The rebalance objective is then the number of bins.
#   to_fleet.sh INSTANCE.txt OUTDIR [DIMS]
# With a Caprara-Toth .vbp file and DIMS=2 the second dimension maps to
# db_storage_gb (two-dimensional vector packing).
set -euo pipefail
in=$1 out=$2 dims=${3:-1}
mkdir -p "$out"
if [ "$dims" = 1 ]; then
  awk -v f="$in" '{sub(/\r$/, "")} NR==1{n=$1} NR==2{c=$1} NR>2 && NF{k++; print $1}
       END{if (k != n) {print f ": " n " items announced, " k " found" > "/dev/stderr"; exit 1}
           print "C", c, c}' "$in"
else
  # .vbp (VPSolver format, as in vbp/caprara_toth): the number of dimensions
  # (2), the capacities "c1 c2", the number of item types m, then m lines
  # "w1 w2 multiplicity". A file of another shape is refused, not misread.
  awk -v f="$in" '{sub(/\r$/, "")}
       NR==1{d=$1; if (d != 2 || NF != 1) {bad = "line 1: expected 2 dimensions"; exit} next}
       NR==2{c1=$1; c2=$2; if (NF != 2) {bad = "line 2: expected 2 capacities"; exit} next}
       NR==3{m=$1; next}
       NF==0{next}
       NF!=3{bad = "line " NR ": expected \"w1 w2 multiplicity\""; exit}
       {types++; for(k=0;k<$3;k++) print $1, $2}
       END{if (bad == "" && types != m) bad = m " item types announced, " types " found"
           if (bad != "") {print f ": " bad > "/dev/stderr"; exit 1}
           print "C", c1, c2}' "$in"
fi | awk -v out="$out" -v dims="$dims" '
  BEGIN {n = 0}
  $1=="C" {c1=$2; c2=$3; next}
  {w1[n]=$1; w2[n]=(dims==2?$2:0); n++}
  END {
    cat = out "/catalog.json"
    printf "{\"version\": 1, \"currency\": \"bin\", \"db_compute_unit\": \"vcore\",\n" > cat
    printf " \"templates\": [{\"name\": \"bin\", \"fixed_cost\": 0, \"node_sku\": \"vm\", \"min_nodes\": 0,\n" > cat
    printf "   \"max_nodes\": 1, \"max_pods_per_node\": %d, \"storage_sku\": \"s\", \"dedicated_storage_sku\": \"p\"}],\n", n + 1 > cat
    printf " \"elastic_pools\": [{\"sku\": \"bin\", \"db_compute\": %s, \"max_storage_gb\": %s, \"max_dbs\": %d,\n", c1, (dims==2?c2:1), n + 1 > cat
    printf "   \"per_db_max\": %s, \"price\": 1}],\n", c1 > cat
    printf " \"single_databases\": [{\"sku\": \"none\", \"db_compute\": 1e-9, \"max_storage_gb\": 1e-9, \"price\": 1e9}],\n" > cat
    printf " \"node_vms\": [{\"sku\": \"vm\", \"alloc_cpu\": 1, \"alloc_memory_gb\": 1, \"price\": 1e-9}],\n" > cat
    printf " \"storage\": [{\"sku\": \"s\", \"kind\": \"shared\", \"max_gb\": 1, \"max_iops\": 1, \"price_per_gb\": 0},\n" > cat
    printf "   {\"sku\": \"p\", \"kind\": \"dedicated\", \"min_gb\": 1, \"iops_base\": 1, \"iops_per_gb\": 0, \"max_gb\": 1, \"price_per_gb\": 1e9}]}\n" > cat
    f = out "/fleet.json"
    printf "{\"version\": 1, \"catalog\": \"catalog.json\",\n" > f
    printf " \"settings\": {\"slots\": 24, \"quantile\": 1, \"headroom\": {\"db_compute\": 0, \"db_storage_gb\": 0,\n" > f
    printf "   \"cpu_cores\": 0, \"memory_gb\": 0, \"share_gb\": 0, \"share_iops\": 0},\n" > f
    printf "   \"max_instances_per_reef\": %d, \"move_budget\": 0, \"move_cooldown_days\": 0,\n", n + 1 > f
    printf "   \"tier_change_cost\": 0, \"now\": \"2026-01-01T00:00:00Z\"},\n" > f
    printf " \"plans\": [{\"name\": \"item\", \"move_cost\": 0, \"default_profile\": {\"db_compute\": 0,\n" > f
    printf "   \"db_storage_gb\": 0, \"cpu_cores\": 0, \"memory_gb\": 0, \"share_gb\": 0, \"share_iops\": 0}}],\n" > f
    printf " \"regions\": [{\"name\": \"r\", \"template\": \"bin\", \"max_reefs\": %d}],\n", n > f
    printf " \"reefs\": []}\n" > f
    ins = out "/instances.csv"; pro = out "/profiles.csv"
    print "instance_id,region,plan,reef,db,compute,storage,pinned,group,last_moved,window" > ins
    hdr = "instance_id,metric"; for (t = 0; t < 24; t++) hdr = hdr ",v" t
    print hdr > pro
    for (k = 0; k < n; k++) {
      printf "i%d,r,item,,,,,false,,,\n", k > ins
      row = ""; for (t = 0; t < 24; t++) row = row "," w1[k]
      printf "i%d,db_compute%s\n", k, row > pro
      if (dims == 2) { row = ""; for (t = 0; t < 24; t++) row = row "," w2[k]; printf "i%d,db_storage_gb%s\n", k, row > pro }
    }
  }'

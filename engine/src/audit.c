#include "audit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

double rp_metric_limit(const rp_fleet *f, int template_idx, int pool, int nodes, int metric)
{
    const rp_catalog *c = f->cat;
    const rp_template *t = &c->templates[template_idx];
    const rp_vm_sku *vm = &c->vms[t->node_vm];
    const rp_storage_sku *st = &c->storage[t->storage];
    double keep = 1.0 - f->set.headroom[metric];
    switch (metric) {
    case RP_M_DB_COMPUTE:
        return c->pools[pool].db_compute * keep;
    case RP_M_DB_STORAGE:
        return c->pools[pool].max_storage_gb * keep;
    case RP_M_CPU:
        return nodes * vm->alloc_cpu * keep;
    case RP_M_MEMORY:
        return nodes * vm->alloc_memory_gb * keep;
    case RP_M_SHARE_GB:
        return st->max_gb * keep;
    default:
        return st->max_iops * keep;
    }
}

const char *rp_slot_label(int slot, int slots, char buf[16])
{
    static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    if (slots == 168)
        snprintf(buf, 16, "%s %02d:00", days[(slot / 24) % 7], slot % 24);
    else
        snprintf(buf, 16, "%02d:00", slot % 24);
    return buf;
}

static const int metric_rule[RP_NMETRICS] = {RP_RULE_DB_COMPUTE, RP_RULE_DB_STORAGE, RP_RULE_CPU,
                                             RP_RULE_MEMORY,     RP_RULE_SHARE_GB,   RP_RULE_SHARE_IOPS};

static void push_over(rp_vec *v, rp_audit_over o)
{
    RP_VEC_PUSH(v, rp_audit_over, o);
}

/* Per-slot rules: every metric whose shared sum exceeds its limit. */
static void check_metrics(const rp_fleet *f, int r, const rp_reef_use *u, rp_vec *over,
                          rp_audit_reef *cr)
{
    const rp_reef *reef = &f->reefs[r];
    int S = f->set.slots;
    for (int m = 0; m < RP_NMETRICS; m++) {
        double lim = rp_metric_limit(f, reef->template_idx, reef->pool, reef->nodes, m);
        cr->util[m] = lim > 0 ? u->peak[m] / lim : (u->peak[m] > 0 ? INFINITY : 0);
        rp_audit_over o = {r, metric_rule[m], m, -1, 0, 0, lim};
        for (int t = 0; t < S; t++) {
            double v = u->sum[m * S + t];
            if (!rp_fits(v, lim)) {
                o.nslots++;
                if (o.slot < 0 || v > o.value) {
                    o.slot = t;
                    o.value = v;
                }
            }
        }
        if (o.nslots)
            push_over(over, o);
    }
}

/* Count rules: databases and pods per pool/node pool, instances per reef,
 * per-database maximum, node limits. */
static void check_counts(const rp_fleet *f, int r, const rp_reef_use *u, rp_vec *over)
{
    const rp_reef *reef = &f->reefs[r];
    const rp_catalog *c = f->cat;
    const rp_template *t = &c->templates[reef->template_idx];
    const rp_pool_sku *p = &c->pools[reef->pool];
    if (u->n_shared[RP_TIER_DB] > p->max_dbs)
        push_over(over, (rp_audit_over){r, RP_RULE_MAX_DBS, -1, -1, 0, u->n_shared[RP_TIER_DB],
                                        p->max_dbs});
    if (u->over_per_db[reef->pool] > 0) { /* the largest shared database's peak */
        double pk = 0;
        for (size_t i = 0; i < f->ninst; i++)
            if (f->inst[i].reef == r && f->inst[i].tier[RP_TIER_DB] == RP_SHARED)
                pk = fmax(pk, rp_fleet_peak(f, i, RP_M_DB_COMPUTE));
        push_over(over, (rp_audit_over){r, RP_RULE_PER_DB_MAX, RP_M_DB_COMPUTE, -1, 0, pk,
                                        p->per_db_max});
    }
    double pods = (double)reef->nodes * t->max_pods_per_node;
    if (u->n_shared[RP_TIER_COMPUTE] > pods)
        push_over(over, (rp_audit_over){r, RP_RULE_PODS, -1, -1, 0, u->n_shared[RP_TIER_COMPUTE],
                                        pods});
    if (u->n > 0 && reef->nodes < t->min_nodes)
        push_over(over, (rp_audit_over){r, RP_RULE_MIN_NODES, -1, -1, 0, reef->nodes,
                                        t->min_nodes});
    if (reef->nodes + u->ded_nodes > t->max_nodes)
        push_over(over, (rp_audit_over){r, RP_RULE_MAX_NODES, -1, -1, 0,
                                        reef->nodes + u->ded_nodes, t->max_nodes});
    if (u->n > f->set.max_instances_per_reef)
        push_over(over, (rp_audit_over){r, RP_RULE_MAX_INSTANCES, -1, -1, 0, u->n,
                                        f->set.max_instances_per_reef});
}

static int cmp_pair(const void *a, const void *b)
{
    const int *x = a, *y = b;
    return x[0] != y[0] ? (x[0] > y[0]) - (x[0] < y[0]) : (x[1] > y[1]) - (x[1] < y[1]);
}

/* Rule 7: instances of one group in one reef. One row per reef and group. */
static void check_groups(const rp_fleet *f, rp_vec *over)
{
    int *pairs = rp_xcalloc(f->ninst * 2 + 2, sizeof(int));
    size_t n = 0;
    for (size_t i = 0; i < f->ninst; i++)
        if (f->inst[i].reef >= 0 && f->inst[i].group >= 0) {
            pairs[2 * n] = f->inst[i].reef;
            pairs[2 * n + 1] = f->inst[i].group;
            n++;
        }
    qsort(pairs, n, 2 * sizeof(int), cmp_pair);
    for (size_t k = 1; k < n; k++)
        if (pairs[2 * k] == pairs[2 * k - 2] && pairs[2 * k + 1] == pairs[2 * k - 1] &&
            (k < 2 || pairs[2 * k - 2] != pairs[2 * k - 4] || pairs[2 * k - 1] != pairs[2 * k - 3]))
            push_over(over, (rp_audit_over){pairs[2 * k], RP_RULE_GROUP, -1, -1, 0,
                                            pairs[2 * k + 1], 1});
    free(pairs);
}

void rp_audit_run(const rp_fleet *f, rp_audit_report *r)
{
    *r = (rp_audit_report){0};
    r->region_instances = rp_xcalloc(f->nregions, sizeof(size_t));
    r->region_reefs = rp_xcalloc(f->nregions, sizeof(size_t));
    r->reefs = rp_xcalloc(f->nreefs, sizeof(rp_audit_reef));
    for (size_t i = 0; i < f->ninst; i++) {
        r->region_instances[f->inst[i].region]++;
        if (f->inst[i].reef < 0)
            r->unplaced++;
        else
            r->placed++;
    }
    rp_reef_use *uses = rp_xcalloc(f->nreefs ? f->nreefs : 1, sizeof(rp_reef_use));
    rp_fleet_current_use(f, uses);
    rp_vec over = {0};
    for (size_t k = 0; k < f->nreefs; k++) {
        const rp_reef *reef = &f->reefs[k];
        rp_audit_reef *cr = &r->reefs[k];
        r->region_reefs[reef->region]++;
        cr->instances = uses[k].n;
        for (int t = 0; t < RP_NTIERS; t++)
            cr->ded[t] = uses[k].n - uses[k].n_shared[t];
        cr->cost = rp_use_cost(&uses[k], f, reef->template_idx, reef->pool, reef->nodes);
        r->cost += cr->cost;
        check_metrics(f, (int)k, &uses[k], &over, cr);
        check_counts(f, (int)k, &uses[k], &over);
        rp_use_free(&uses[k]);
    }
    free(uses);
    check_groups(f, &over);
    r->over = over.data;
    r->nover = over.len;
}

void rp_audit_report_free(rp_audit_report *r)
{
    free(r->region_instances);
    free(r->region_reefs);
    free(r->reefs);
    free(r->over);
    *r = (rp_audit_report){0};
}

/* search_pack.c - closing reefs of a region by vector packing.
 *
 * With every reef held at its current pool SKU and node count, keeping the
 * region's cost while closing reefs is a vector-packing problem: the
 * instances' shared-tier loads per metric and slot (and their counts
 * against max_dbs, pods, dedicated nodes and max_instances_per_reef) must
 * fit each reef's limits at that size. This file builds that problem for
 * one region, hands it to the packing kernel (pack.c), and applies the
 * result only when the true objective, penalties and move budget included,
 * improves. Slots whose columns are identical over the region's instances
 * are one dimension, so flat profiles cost one slot's work. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "capacity.h"
#include "log.h"
#include "pack.h"
#include "solver_int.h"

enum { C_N, C_DB, C_PODS, C_DEDN, NCOUNT };

typedef struct rpack {
    rp_solver *s;
    int *item, *bin; /* solver instance / reef of each kernel item / bin */
    int n, nb;
    int *binof;     /* per solver reef: kernel bin or -1 */
    bool *is_item;  /* per instance */
    int *slot_rep;  /* distinct slots: representative slot of each */
    int nslot;
    int dm[RP_NMETRICS]; /* metric used by some item in a shared tier */
    int dc[NCOUNT];      /* count dimension in use */
    int d;
} rpack;

static bool shared(const rp_solver *s, size_t i, int m)
{
    return s->tier[i][rp_metric_tier[m]] == RP_SHARED;
}

static double count_w(const rp_solver *s, size_t i, int c)
{
    switch (c) {
    case C_N: return 1;
    case C_DB: return s->tier[i][RP_TIER_DB] == RP_SHARED;
    case C_PODS: return s->tier[i][RP_TIER_COMPUTE] == RP_SHARED;
    default: return s->tier[i][RP_TIER_COMPUTE] == RP_DEDICATED ? s->ded[i].nodes : 0;
    }
}

/* Reefs that can close or receive: active, open, sized. Instances that the
 * kernel may move: in such a reef, movable, not in a group, and (under a
 * move budget) free of it. */
static void pick(rpack *k, int g)
{
    rp_solver *s = k->s;
    const rp_fleet *f = s->f;
    k->binof = rp_xmalloc(((size_t)s->nr + 1) * sizeof(int));
    k->bin = rp_xmalloc(((size_t)s->region_nreefs[g] + 1) * sizeof(int));
    for (int r = 0; r < s->nr; r++)
        k->binof[r] = -1;
    for (int q = 0; q < s->region_nreefs[g]; q++) {
        int r = s->region_reefs[g][q];
        if (s->r[r].use.n > 0 && s->r[r].state == RP_REEF_ACTIVE && s->r[r].pool >= 0) {
            k->binof[r] = k->nb;
            k->bin[k->nb++] = r;
        }
    }
    k->is_item = rp_xcalloc(f->ninst + 1, sizeof(bool));
    k->item = rp_xmalloc((f->ninst + 1) * sizeof(int));
    for (size_t i = 0; i < f->ninst; i++) {
        int r = s->at[i];
        if (r < 0 || k->binof[r] < 0 || !s->movable[i] || f->inst[i].group >= 0)
            continue;
        if (s->budget >= 0 && s->orig[i] >= 0 && !s->forced[i])
            continue;
        k->is_item[i] = true;
        k->item[k->n++] = (int)i;
    }
}

static uint64_t mix(uint64_t h, float v)
{
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return (h ^ b) * 1099511628211ULL;
}

/* Value of metric m at slot t that instance i puts on its reef's shared
 * capacity. */
static float val(const rp_solver *s, size_t i, int m, int t)
{
    return shared(s, i, m) ? rp_fleet_profile(s->f, i, m)[t] : 0.0f;
}

static bool same_column(const rpack *k, int t, int u)
{
    const rp_solver *s = k->s;
    for (size_t i = 0; i < s->f->ninst; i++) {
        if (s->at[i] < 0 || k->binof[s->at[i]] < 0)
            continue;
        for (int m = 0; m < RP_NMETRICS; m++)
            if (val(s, i, m, t) != val(s, i, m, u))
                return false;
    }
    return true;
}

/* Distinct slot columns over every instance in the kernel's bins. */
static void dedup_slots(rpack *k)
{
    const rp_solver *s = k->s;
    int S = s->f->set.slots;
    uint64_t *h = rp_xmalloc((size_t)S * sizeof(uint64_t));
    for (int t = 0; t < S; t++)
        h[t] = 1469598103934665603ULL;
    for (size_t i = 0; i < s->f->ninst; i++) {
        if (s->at[i] < 0 || k->binof[s->at[i]] < 0)
            continue;
        for (int m = 0; m < RP_NMETRICS; m++)
            for (int t = 0; t < S; t++)
                h[t] = mix(h[t], val(s, i, m, t));
    }
    k->slot_rep = rp_xmalloc((size_t)S * sizeof(int));
    for (int t = 0; t < S; t++) {
        bool dup = false;
        for (int q = 0; q < k->nslot && !dup; q++)
            dup = h[k->slot_rep[q]] == h[t] && same_column(k, k->slot_rep[q], t);
        if (!dup)
            k->slot_rep[k->nslot++] = t;
    }
    free(h);
}

/* Which metric and count dimensions can bind: a metric some item loads, a
 * count whose limit is below the number of items somewhere. */
static void pick_dims(rpack *k, const double limit[][RP_NMETRICS + NCOUNT])
{
    const rp_solver *s = k->s;
    for (int x = 0; x < k->n; x++)
        for (int m = 0; m < RP_NMETRICS; m++)
            k->dm[m] |= shared(s, (size_t)k->item[x], m) &&
                        rp_fleet_peak(s->f, (size_t)k->item[x], m) > 0;
    for (int c = 0; c < NCOUNT; c++) {
        bool used = false;
        for (int x = 0; x < k->n && !used; x++)
            used = count_w(s, (size_t)k->item[x], c) > 0;
        for (int b = 0; b < k->nb && used; b++)
            k->dc[c] |= limit[b][RP_NMETRICS + c] < k->n;
    }
    k->d = 0;
    for (int m = 0; m < RP_NMETRICS; m++)
        k->d += k->dm[m] ? k->nslot : 0;
    for (int c = 0; c < NCOUNT; c++)
        k->d += k->dc[c];
}

/* Limits of reef r at its current pool and node count, per metric and
 * count. */
static void reef_limits(const rp_solver *s, int r, double *lim)
{
    const rp_fleet *f = s->f;
    const rp_catalog *c = f->cat;
    const sreef *x = &s->r[r];
    const rp_template *t = &c->templates[x->tmpl];
    const rp_pool_sku *p = &c->pools[x->pool];
    const rp_vm_sku *vm = &c->vms[t->node_vm];
    const rp_storage_sku *a = &c->storage[t->storage];
    double raw[RP_NMETRICS] = {p->db_compute, p->max_storage_gb, x->nodes * vm->alloc_cpu,
                               x->nodes * vm->alloc_memory_gb, a->max_gb, a->max_iops};
    for (int m = 0; m < RP_NMETRICS; m++)
        lim[m] = raw[m] * (1.0 - f->set.headroom[m]);
    lim[RP_NMETRICS + C_N] = f->set.max_instances_per_reef;
    lim[RP_NMETRICS + C_DB] = p->max_dbs;
    lim[RP_NMETRICS + C_PODS] = (double)x->nodes * t->max_pods_per_node;
    lim[RP_NMETRICS + C_DEDN] = (double)t->max_nodes - x->nodes;
}

/* Weight vector of instance i over the kernel's dimensions. */
static void weights(const rpack *k, size_t i, float *w)
{
    int x = 0;
    for (int m = 0; m < RP_NMETRICS; m++)
        if (k->dm[m])
            for (int q = 0; q < k->nslot; q++)
                w[x++] = val(k->s, i, m, k->slot_rep[q]);
    for (int c = 0; c < NCOUNT; c++)
        if (k->dc[c])
            w[x++] = (float)count_w(k->s, i, c);
}

typedef struct may_ctx {
    const rpack *k;
    const double *dbpeak; /* per item: db_compute peak when the db is shared, else -1 */
} may_ctx;

/* The kernel's items are in no group and its bins are active reefs of
 * their region, so rule 9 and groups allow every pair; only a shared
 * database above a pool's per_db_max is kept out. */
static bool may_go(void *ctx, int item, int bin)
{
    const may_ctx *c = ctx;
    if (c->dbpeak[item] < 0)
        return true;
    const rp_solver *s = c->k->s;
    return rp_fits(c->dbpeak[item], s->f->cat->pools[s->r[c->k->bin[bin]].pool].per_db_max);
}

/* Capacities: limits minus what the reef's fixed instances use. */
static void capacities(const rpack *k, const double lim[][RP_NMETRICS + NCOUNT], double *cap,
                       bool *stays)
{
    const rp_solver *s = k->s;
    int d = k->d;
    for (int b = 0; b < k->nb; b++) {
        double *c = cap + (size_t)b * (size_t)d;
        int x = 0;
        for (int m = 0; m < RP_NMETRICS; m++)
            if (k->dm[m])
                for (int q = 0; q < k->nslot; q++)
                    c[x++] = lim[b][m];
        for (int n = 0; n < NCOUNT; n++)
            if (k->dc[n])
                c[x++] = lim[b][RP_NMETRICS + n];
    }
    float *w = rp_xmalloc(((size_t)d + 1) * sizeof(float));
    for (size_t i = 0; i < s->f->ninst; i++) {
        if (s->at[i] < 0 || k->binof[s->at[i]] < 0 || k->is_item[i])
            continue;
        int b = k->binof[s->at[i]];
        stays[b] = true;
        weights(k, i, w);
        for (int x = 0; x < d; x++)
            cap[(size_t)b * (size_t)d + (size_t)x] -= w[x];
    }
    free(w);
}

static void rpack_free(rpack *k)
{
    free(k->item), free(k->bin), free(k->binof), free(k->is_item), free(k->slot_rep);
}

/* Moves the instances to the kernel's bins; keeps the result when the
 * objective improves within the budget, else restores the region. */
static bool apply_result(rpack *k, const int *at)
{
    rp_solver *s = k->s;
    journal j = {0};
    double sh0, c0 = rp__total_cost(s, &sh0);
    for (int x = 0; x < k->n; x++) {
        size_t i = (size_t)k->item[x];
        if (s->at[i] != k->bin[at[x]]) {
            rp__touch(&j, s, i);
            rp__inst_remove(s, i);
        }
    }
    for (int x = 0; x < k->n; x++) {
        size_t i = (size_t)k->item[x];
        if (s->at[i] < 0)
            rp__inst_put(s, i, k->bin[at[x]], s->tier[i], &s->ded[i]);
    }
    double sh1, c1 = rp__total_cost(s, &sh1);
    bool keep = (s->budget < 0 || s->moves <= s->budget) && rp__improves(c1 - c0, sh1 - sh0);
    if (!keep)
        rp__rollback(s, &j);
    rp_vec_free(&j.log);
    rp_log(RP_LOG_DEBUG, "pack: objective %.2f -> %.2f, %s", c0, c1, keep ? "kept" : "undone");
    return keep;
}

/* Column generation (rp_pack_cg): at most this many master LP solves per
 * region, bytes of pricing table (items x capacity cells), and capacity
 * cells (the knapsack keeps a double per cell). */
#define CG_MAX_LP 20000
#define CG_MAX_TABLE 50000000.0
#define CG_MAX_CELLS 1000000.0

/* One or two dimensions, every bin alike and empty of fixed instances, no
 * per-db limit, integral weights and capacities: the case column generation
 * takes. Fills w and cap. */
static bool cg_applies(const rp_pack *p, const double *dbpeak, long *w, long *cap)
{
    if (p->d > 2 || p->nb < 2)
        return false;
    double cells = 1;
    for (int x = 0; x < p->d; x++) {
        if (p->cap[x] < 1)
            return false;
        cap[x] = (long)floor(p->cap[x] + 1e-9);
        cells *= (double)cap[x] + 1;
    }
    if (cells > CG_MAX_CELLS || (double)p->n * cells > CG_MAX_TABLE)
        return false;
    for (int b = 0; b < p->nb; b++)
        for (int x = 0; x < p->d; x++)
            if (p->cap[(size_t)b * (size_t)p->d + (size_t)x] != p->cap[x] ||
                (p->stays && p->stays[b]))
                return false;
    for (size_t k = 0; k < (size_t)p->n * (size_t)p->d; k++) {
        if (p->w[k] < 0 || p->w[k] != floorf(p->w[k]))
            return false;
        w[k] = (long)p->w[k];
    }
    for (int x = 0; x < p->n; x++)
        if (dbpeak[x] >= 0)
            return false;
    return true;
}

/* Largest problem handed to the kernel, in item-dimension weights. */
#define PACK_MAX_WEIGHTS 40000000.0

bool rp__pack_region(rp_solver *s, int g, double deadline)
{
    rpack k = {.s = s};
    pick(&k, g);
    bool kept = false;
    if (k.n < 2 || k.nb < 2) {
        rpack_free(&k);
        return false;
    }
    dedup_slots(&k);
    double (*lim)[RP_NMETRICS + NCOUNT] = rp_xmalloc((size_t)k.nb * sizeof *lim);
    for (int b = 0; b < k.nb; b++)
        reef_limits(s, k.bin[b], lim[b]);
    pick_dims(&k, (const double(*)[RP_NMETRICS + NCOUNT])lim);
    if ((double)k.n * k.d <= PACK_MAX_WEIGHTS && k.d > 0) {
        float *w = rp_xmalloc((size_t)k.n * (size_t)k.d * sizeof(float));
        double *cap = rp_xmalloc((size_t)k.nb * (size_t)k.d * sizeof(double));
        bool *stays = rp_xcalloc((size_t)k.nb, sizeof(bool));
        double *dbpeak = rp_xmalloc((size_t)k.n * sizeof(double));
        int *at = rp_xmalloc((size_t)k.n * sizeof(int));
        double min_per_db = INFINITY;
        for (int b = 0; b < k.nb; b++)
            min_per_db = fmin(min_per_db, s->f->cat->pools[s->r[k.bin[b]].pool].per_db_max);
        for (int x = 0; x < k.n; x++) {
            size_t i = (size_t)k.item[x];
            weights(&k, i, w + (size_t)x * (size_t)k.d);
            dbpeak[x] = shared(s, i, RP_M_DB_COMPUTE) ? rp_fleet_peak(s->f, i, RP_M_DB_COMPUTE) : -1;
            if (dbpeak[x] >= 0 && rp_fits(dbpeak[x], min_per_db))
                dbpeak[x] = -1; /* fits every pool's per-db limit */
            at[x] = k.binof[s->at[i]];
        }
        capacities(&k, (const double(*)[RP_NMETRICS + NCOUNT])lim, cap, stays);
        may_ctx mc = {&k, dbpeak};
        rp_pack p = {k.n, k.d, k.nb, w, cap, at, stays, may_go, &mc, false};
        int floor = rp_pack_bound(&p);
        int before = k.nb;
        double t = rp__now_seconds();
        long *iw = rp_xmalloc((size_t)k.n * (size_t)k.d * sizeof(long)), icap[2] = {0, 0};
        bool cg = cg_applies(&p, dbpeak, iw, icap);
        /* With column generation to follow, the kernel gets 10% of the
         * time: where it stalls one bin above the optimum (BPPLIB's hard
         * instances), the dive does better with the rest. */
        double first = cg && deadline < INFINITY ? t + 0.1 * (deadline - t) : deadline;
        int after = rp_pack_reduce(&p, floor, first, 50, &s->rng);
        rp_log(RP_LOG_INFO,
               "pack %s: %d instances, %d reefs, %d dimensions (%d distinct slots): %d -> %d "
               "reefs, bound %d, %.2f s",
               s->f->regions[g].name, k.n, k.nb, k.d, k.nslot, before, after, floor,
               rp__now_seconds() - t);
        if (cg && after > floor) {
            rp_cg_info ci;
            double t1 = rp__now_seconds();
            after = rp_pack_cg(k.n, k.d, iw, icap, at, floor, CG_MAX_LP, deadline, &ci);
            p.timed_out |= ci.timed_out;
            floor = ci.root_bound > floor ? ci.root_bound : floor;
            rp_log(RP_LOG_INFO,
                   "pack %s: column generation: %d reefs, LP bound %d, %ld LPs, %d columns, "
                   "%.2f s%s",
                   s->f->regions[g].name, after, ci.root_bound, ci.lp_solves, ci.columns,
                   rp__now_seconds() - t1, ci.failed ? ", GLPK failed" : "");
            if (after > floor && rp__now_seconds() < deadline)
                after = rp_pack_reduce(&p, floor, deadline, 50, &s->rng);
        }
        free(iw);
        s->timed_out |= p.timed_out;
        if (after < before)
            kept = apply_result(&k, at);
        free(w), free(cap), free(stays), free(dbpeak), free(at);
    }
    free(lim);
    rpack_free(&k);
    return kept;
}

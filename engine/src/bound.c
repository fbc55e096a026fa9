#include "bound.h"
#include "bound_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pack.h"

static void unit_of_template(const rp_fleet *f, int tmpl, unit *u)
{
    const rp_catalog *c = f->cat;
    const double *h = f->set.headroom;
    const rp_template *t = &c->templates[tmpl];
    const rp_vm_sku *vm = &c->vms[t->node_vm];
    u->cpu = fmin(u->cpu, vm->price / (vm->alloc_cpu * (1 - h[RP_M_CPU])));
    u->mem = fmin(u->mem, vm->price / (vm->alloc_memory_gb * (1 - h[RP_M_MEMORY])));
    u->nodes_min = fmin(u->nodes_min, t->min_nodes * vm->price);
    u->fixed_min = fmin(u->fixed_min, t->fixed_cost);
    for (size_t k = 0; k < c->npools; k++) {
        const rp_pool_sku *p = &c->pools[k];
        u->dbc = fmin(u->dbc, p->price / (p->db_compute * (1 - h[RP_M_DB_COMPUTE])));
        u->dbs = fmin(u->dbs, p->price / (p->max_storage_gb * (1 - h[RP_M_DB_STORAGE])));
        u->pool_min = fmin(u->pool_min, p->price);
    }
}

static void region_unit(const rp_fleet *f, int g, unit *u)
{
    *u = (unit){INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};
    unit_of_template(f, f->regions[g].template_idx, u);
    for (size_t r = 0; r < f->nreefs; r++)
        if (f->reefs[r].region == g)
            unit_of_template(f, f->reefs[r].template_idx, u);
}

/* Templates a region's instances may use: its own and its reefs'. */
static size_t region_templates(const rp_fleet *f, int g, int *out)
{
    size_t n = 0;
    out[n++] = f->regions[g].template_idx;
    for (size_t r = 0; r < f->nreefs; r++) {
        if (f->reefs[r].region != g)
            continue;
        bool seen = false;
        for (size_t k = 0; k < n; k++)
            seen |= out[k] == f->reefs[r].template_idx;
        if (!seen)
            out[n++] = f->reefs[r].template_idx;
    }
    return n;
}

/* Cheapest dedicated price per tier for instance i over the templates
 * (INFINITY when no size fits). */
static void ded_prices(const rp_fleet *f, size_t i, const int *tmpls, size_t nt,
                       double ded[RP_NTIERS])
{
    ded[0] = ded[1] = ded[2] = INFINITY;
    int db = rp_size_ded_db(f, i);
    if (db >= 0)
        ded[RP_TIER_DB] = f->cat->dbs[db].price;
    for (size_t k = 0; k < nt; k++) {
        int n = rp_size_ded_nodes(f, i, tmpls[k]), s = rp_size_ded_share(f, i, tmpls[k]);
        if (n > 0)
            ded[RP_TIER_COMPUTE] = fmin(ded[RP_TIER_COMPUTE], rp_ded_price(f, 1, tmpls[k], n));
        if (s > 0)
            ded[RP_TIER_STORAGE] = fmin(ded[RP_TIER_STORAGE], rp_ded_price(f, 2, tmpls[k], s));
    }
}

static double shared_storage_price(const rp_fleet *f, int g)
{
    double p = f->cat->storage[f->cat->templates[f->regions[g].template_idx].storage].price_per_gb;
    for (size_t r = 0; r < f->nreefs; r++)
        if (f->reefs[r].region == g)
            p = fmin(p, f->cat->storage[f->cat->templates[f->reefs[r].template_idx].storage]
                            .price_per_gb);
    return p;
}

/* What one instance may pay at slot t for one resource: shared at the best
 * unit price, or its whole dedicated price. Pinned instances have no choice. */
static double term(const rp_fleet *f, size_t i, int m, int t, double unit_price, double ded)
{
    double shared = unit_price * rp_fleet_profile(f, i, m)[t];
    const rp_instance *in = &f->inst[i];
    if (rp__pinned(f, i))
        return in->tier[rp_metric_tier[m]] == RP_SHARED ? shared : ded;
    return fmin(shared, ded);
}

double rp__storage_term(const rctx *c, size_t i)
{
    const rp_fleet *f = c->f;
    double ded = c->ded[i][RP_TIER_STORAGE];
    double shared = c->ppg * rp_fleet_peak(f, i, RP_M_SHARE_GB);
    const rp_instance *in = &f->inst[i];
    if (rp__pinned(f, i))
        return in->tier[RP_TIER_STORAGE] == RP_SHARED ? shared : ded;
    return fmin(shared, ded);
}

int rp__cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int rp__cmp_desc(const void *a, const void *b)
{
    return rp__cmp_double(b, a);
}

/* Sum of the k smallest of v[0..n) (reorders v). */
static double sum_smallest(double *v, size_t n, size_t k)
{
    if (k >= n) {
        double s = 0;
        for (size_t j = 0; j < n; j++)
            s += v[j];
        return s;
    }
    qsort(v, n, sizeof *v, rp__cmp_double);
    double s = 0;
    for (size_t j = 0; j < k; j++)
        s += v[j];
    return s;
}

bool rp__immovable(const rp_fleet *f, size_t i)
{
    const rp_instance *in = &f->inst[i];
    if (in->reef < 0 || f->reefs[in->reef].state == RP_REEF_BROKEN)
        return false;
    if (in->pinned)
        return true;
    return in->last_moved != RP_NO_TIME &&
           f->set.now - in->last_moved < (int64_t)f->set.move_cooldown_days * 86400;
}

static const int bound_metrics[4] = {RP_M_DB_COMPUTE, RP_M_DB_STORAGE, RP_M_CPU, RP_M_MEMORY};

/* Bound of a set of instances ids[0..n), of which the first nfix must stay
 * and at least keep of the rest stay too, held in `reefs` reefs. */
static double set_bound(const rctx *c, const int *ids, size_t nfix, size_t n, size_t keep,
                        int reefs)
{
    const rp_fleet *f = c->f;
    int S = f->set.slots;
    double best[4] = {0, 0, 0, 0};
    double *v = rp_xmalloc((n + 1) * sizeof(double));
    for (int b = 0; b < 4; b++) {
        int m = bound_metrics[b];
        int tier = rp_metric_tier[m];
        double up = rp__unit_price(&c->u, m);
        for (int t = 0; t < S; t++) {
            double fixed = 0;
            for (size_t k = 0; k < nfix; k++)
                fixed += term(f, (size_t)ids[k], m, t, up, c->ded[ids[k]][tier]);
            for (size_t k = nfix; k < n; k++)
                v[k - nfix] = term(f, (size_t)ids[k], m, t, up, c->ded[ids[k]][tier]);
            double tot = fixed + sum_smallest(v, n - nfix, keep);
            best[b] = fmax(best[b], tot);
        }
    }
    double sto_fixed = 0;
    for (size_t k = 0; k < nfix; k++)
        sto_fixed += rp__storage_term(c, (size_t)ids[k]);
    for (size_t k = nfix; k < n; k++)
        v[k - nfix] = rp__storage_term(c, (size_t)ids[k]);
    double sto = sto_fixed + sum_smallest(v, n - nfix, keep);
    free(v);
    double db = fmax(fmax(best[0], best[1]), reefs * c->u.pool_min);
    double nodes = fmax(fmax(best[2], best[3]), reefs * c->u.nodes_min);
    return reefs * c->u.fixed_min + db + nodes + sto;
}

/* Largest shared capacity one reef can have for metric m (headroom applied). */
static double reef_capacity(const rp_fleet *f, int g, int m)
{
    const rp_catalog *c = f->cat;
    double best = 0;
    for (size_t r = 0; r <= f->nreefs; r++) {
        if (r < f->nreefs && f->reefs[r].region != g)
            continue;
        const rp_template *t =
            &c->templates[r < f->nreefs ? f->reefs[r].template_idx : f->regions[g].template_idx];
        const rp_vm_sku *vm = &c->vms[t->node_vm];
        const rp_storage_sku *st = &c->storage[t->storage];
        double cap[RP_NMETRICS] = {0, 0, t->max_nodes * vm->alloc_cpu,
                                   t->max_nodes * vm->alloc_memory_gb, st->max_gb, st->max_iops};
        for (size_t k = 0; k < c->npools; k++) {
            cap[0] = fmax(cap[0], c->pools[k].db_compute);
            cap[1] = fmax(cap[1], c->pools[k].max_storage_gb);
        }
        best = fmax(best, cap[m]);
    }
    return best * (1 - f->set.headroom[m]);
}

/* Instances that must use shared capacity for metric m. */
static bool must_share(const rctx *c, size_t i, int m)
{
    const rp_instance *in = &c->f->inst[i];
    int tier = rp_metric_tier[m];
    bool pinned_shared = rp__pinned(c->f, i) && in->tier[tier] == RP_SHARED;
    return !isfinite(c->ded[i][tier]) || pinned_shared;
}

/* Loads at one slot for the column-generation count: at most this many,
 * the LPs it may solve, and the table it may use (items x capacity). */
#define LP_COUNT_MAX_ITEMS 2000
#define LP_COUNT_MAX_LP 200
#define LP_COUNT_MAX_TABLE 20000000.0
/* Scale of the loads when they or the capacity are not whole numbers
 * (or the capacity is large): rounded down, so the bound stays valid. */
#define LP_COUNT_SCALE 1000

/* Reefs that the loads at one slot need, whatever else they hold: each
 * reef takes at most cap of them at that slot, and the loads at one slot
 * do not share a reef's capacity over time. The larger of Martello and
 * Toth's L2 and, for at most LP_COUNT_MAX_ITEMS loads, the
 * column-generation LP bound (stronger where no three, or k, loads share a
 * reef although their volume would allow it). */
static long busiest_count(const rctx *c, const int *ids, size_t n, int m, int t, double cap)
{
    double *v = rp_xmalloc((n + 1) * sizeof(double));
    int k = 0;
    bool whole = cap == floor(cap) && cap <= 1e5;
    /* A load above cap counts as cap: it needs a reef of its own either
     * way (no plan holds it), and the integer weights stay in range. */
    for (size_t j = 0; j < n; j++)
        if (must_share(c, (size_t)ids[j], m)) {
            v[k] = fmin(rp_fleet_profile(c->f, (size_t)ids[j], m)[t], cap);
            whole &= v[k] == floor(v[k]);
            k++;
        }
    long count = rp_l2_bound(v, k, cap);
    if (k > 0 && k <= LP_COUNT_MAX_ITEMS) {
        whole &= (double)k * (cap + 1) <= LP_COUNT_MAX_TABLE;
        long C = whole ? (long)cap : LP_COUNT_SCALE;
        long *w = rp_xmalloc((size_t)k * sizeof(long));
        for (int q = 0; q < k; q++)
            w[q] = whole ? (long)v[q] : (long)floor(v[q] * LP_COUNT_SCALE / cap);
        long lp = rp_pack_lp_bound(k, w, C, LP_COUNT_MAX_LP);
        count = lp > count ? lp : count;
        free(w);
    }
    free(v);
    return count;
}

/* Reefs needed to hold, at the busiest slot, the load of the instances that
 * have no dedicated alternative for that metric. */
static int capacity_reefs(const rctx *c, const int *ids, size_t n)
{
    const rp_fleet *f = c->f;
    int S = f->set.slots, k = 0;
    double *sum = rp_xcalloc((size_t)S, sizeof(double));
    for (int m = 0; m < RP_NMETRICS; m++) {
        double cap = reef_capacity(f, c->g, m);
        if (!(cap > 0))
            continue;
        memset(sum, 0, (size_t)S * sizeof(double));
        bool any = false;
        for (size_t j = 0; j < n; j++) {
            size_t i = (size_t)ids[j];
            if (!must_share(c, i, m))
                continue;
            const float *p = rp_fleet_profile(f, i, m);
            for (int t = 0; t < S; t++)
                sum[t] += p[t];
            any = true;
        }
        if (!any)
            continue;
        int busiest = 0;
        for (int t = 1; t < S; t++)
            busiest = sum[t] > sum[busiest] ? t : busiest;
        /* More reefs than instances only for a fleet no plan holds (a load
         * above a whole reef): the count stays within n, and an int. */
        double need = fmin(ceil(sum[busiest] / cap - 1e-6), (double)n);
        if (need > k)
            k = (int)need;
        long count = busiest_count(c, ids, n, m, busiest, cap);
        if (count > k)
            k = (int)count;
    }
    free(sum);
    return k;
}

static int fewest_reefs(const rctx *c, const int *ids, size_t n)
{
    const rp_fleet *f = c->f;
    if (n == 0)
        return 0;
    int k = (int)((n + (size_t)f->set.max_instances_per_reef - 1) /
                  (size_t)f->set.max_instances_per_reef);
    /* Reefs that keep an immovable instance stay open. */
    int held = 0;
    for (size_t r = 0; r < f->nreefs; r++)
        for (size_t q = c->rstart[r]; q < c->rstart[r + 1]; q++)
            if (rp__immovable(f, (size_t)c->rids[q])) {
                held++;
                break;
            }
    /* A group needs as many reefs as it has members here. */
    int *gc = rp_xcalloc(f->ngroups + 1, sizeof(int));
    int gmax = 0;
    for (size_t j = 0; j < n; j++) {
        int grp = f->inst[ids[j]].group;
        if (grp >= 0 && ++gc[grp] > gmax)
            gmax = gc[grp];
    }
    free(gc);
    k = k > held ? k : held;
    k = k > gmax ? k : gmax;
    int kc = capacity_reefs(c, ids, n);
    k = k > kc ? k : kc;
    return k > 1 ? k : 1;
}

/* Move-budget bound: each existing reef keeps all but B of its movable
 * instances. */
static double budget_bound(const rctx *c, int budget)
{
    const rp_fleet *f = c->f;
    int *ids = rp_xmalloc((c->rstart[f->nreefs] + 1) * sizeof(int));
    double total = 0;
    for (size_t r = 0; r < f->nreefs; r++) {
        if (f->reefs[r].region != c->g || f->reefs[r].state == RP_REEF_BROKEN)
            continue;
        /* Its instances, immovable ones first. */
        size_t nfix = 0, n = 0;
        for (size_t k = c->rstart[r]; k < c->rstart[r + 1]; k++)
            if (rp__immovable(f, (size_t)c->rids[k]))
                ids[nfix++] = c->rids[k];
        n = nfix;
        for (size_t k = c->rstart[r]; k < c->rstart[r + 1]; k++)
            if (!rp__immovable(f, (size_t)c->rids[k]))
                ids[n++] = c->rids[k];
        size_t movable = n - nfix;
        size_t keep = movable > (size_t)budget ? movable - (size_t)budget : 0;
        if (nfix + keep == 0)
            continue;
        total += set_bound(c, ids, nfix, n, keep, 1);
    }
    free(ids);
    return total;
}

/* The region's placed instances by reef (rctx.rstart, rctx.rids): one
 * pass over the fleet, not one per reef (a million instances in 18,000
 * reefs). */
static void reef_index(const rp_fleet *f, int g, const bool *placed, size_t **start, int **ids)
{
    size_t *st = rp_xcalloc(f->nreefs + 2, sizeof(size_t));
    for (size_t i = 0; i < f->ninst; i++) {
        int r = f->inst[i].reef;
        if (r >= 0 && f->reefs[r].region == g && (!placed || placed[i]))
            st[r + 1]++;
    }
    for (size_t r = 0; r < f->nreefs; r++)
        st[r + 1] += st[r];
    size_t *fill = rp_xmalloc((f->nreefs + 1) * sizeof(size_t));
    memcpy(fill, st, (f->nreefs + 1) * sizeof(size_t));
    int *out = rp_xmalloc((st[f->nreefs] + 1) * sizeof(int));
    for (size_t i = 0; i < f->ninst; i++) {
        int r = f->inst[i].reef;
        if (r >= 0 && f->reefs[r].region == g && (!placed || placed[i]))
            out[fill[r]++] = (int)i;
    }
    free(fill);
    *start = st;
    *ids = out;
}

/* ---- reef by reef: a Lagrangian bound ---------------------------------------
 *
 * Each reef's shared capacity must cover its own load at every slot, so
 * pricing each reef's load at one slot (and one metric per resource) at the
 * best unit price is a lower bound on that reef, and the sum over reefs is
 * one on the region: the capacity rows of the MIP relaxed with multipliers
 * that put the unit price on one slot per reef. It then falls apart by
 * instance: each one pays its load at its reef's slot (or its dedicated
 * price, or a tier change to get there), and at most B of them may move,
 * paying their migration, to the reef where they are cheapest. Unlike the
 * fleet-wide bound, it sees that reefs peak at different hours, that some
 * are short of memory and others of CPU, and that few instances may leave
 * a reef. A reef that must stay open (an immovable instance, or more
 * movable ones than the budget lets leave) pays its fixed cost, and may
 * instead price a resource at its minimum size, with that resource free to
 * its instances (multiplier 0), when that is more. Which slot and metric
 * each reef is priced at comes from a plan (the guide): any choice is
 * valid, the plan's busiest ones make the bound tight for that plan. */

typedef struct rprice {
    int m[2], t[2]; /* per resource (pool, nodes): metric and slot */
    bool full[2];   /* false: the resource is free here, its minimum paid */
} rprice;

typedef struct rguide {
    const int *reef; /* fleet reef per instance, -1 none */
    const uint8_t (*tier)[RP_NTIERS];
} rguide;

static const int group_metrics[2][2] = {{RP_M_DB_COMPUTE, RP_M_DB_STORAGE},
                                        {RP_M_CPU, RP_M_MEMORY}};

/* Busiest metric and slot, per resource, of shared loads sum[4][S] (in
 * bound_metrics order); *worth: the unit-priced load there. */
static void busiest_price(const rctx *c, double *const sum[4], rprice *p, double worth[2])
{
    int S = c->f->set.slots;
    for (int k = 0; k < 2; k++) {
        worth[k] = -1;
        for (int b = 0; b < 2; b++) {
            double up = rp__unit_price(&c->u, group_metrics[k][b]);
            for (int t = 0; t < S; t++)
                if (up * sum[2 * k + b][t] > worth[k]) {
                    worth[k] = up * sum[2 * k + b][t];
                    p->m[k] = group_metrics[k][b];
                    p->t[k] = t;
                }
        }
        p->full[k] = true;
    }
}

/* What instance i pays for its three tiers at a reef priced p; staying in
 * its own reef it pays for a tier it changes, and keeps a pinned one. */
static double priced(const rctx *c, size_t i, const rprice *p, bool stay)
{
    const rp_fleet *f = c->f;
    const rp_instance *in = &f->inst[i];
    bool pinned = stay && in->pinned;
    double tcc = stay ? f->set.tier_change_cost : 0, total = 0;
    for (int k = 0; k < RP_NTIERS; k++) {
        double sh;
        if (k == RP_TIER_STORAGE)
            sh = c->ppg * rp_fleet_peak(f, i, RP_M_SHARE_GB);
        else
            sh = p->full[k]
                     ? rp__unit_price(&c->u, p->m[k]) * rp_fleet_profile(f, i, p->m[k])[p->t[k]]
                     : 0;
        double ded = c->ded[i][k];
        bool was_ded = stay && in->tier[k] == RP_DEDICATED, was_sh = stay && !was_ded;
        if (pinned)
            total += was_ded ? ded : sh;
        else
            total += fmin(sh + (was_ded ? tcc : 0), ded + (was_sh ? tcc : 0));
    }
    return total;
}

static bool same_price(const rprice *a, const rprice *b)
{
    for (int k = 0; k < 2; k++)
        if (a->full[k] != b->full[k] || (a->full[k] && (a->m[k] != b->m[k] || a->t[k] != b->t[k])))
            return false;
    return true;
}

/* The reef-by-reef bound of region c->g, its reefs priced from guide g. */
static double reef_bound(const rctx *c, int budget, const rguide *g)
{
    const rp_fleet *f = c->f;
    int S = f->set.slots;
    size_t nr = f->nreefs;
    /* Shared loads per reef (index nr: the whole region) under the guide. */
    double *buf = rp_xcalloc((nr + 1) * 4 * (size_t)S, sizeof(double));
    int *movable = rp_xcalloc(nr + 1, sizeof(int));
    bool *held = rp_xcalloc(nr + 1, sizeof(bool));
    for (size_t i = 0; i < f->ninst; i++) {
        const rp_instance *in = &f->inst[i];
        if (in->region != c->g || (c->placed && !c->placed[i]))
            continue;
        if (in->reef >= 0) {
            if (rp__immovable(f, i))
                held[in->reef] = true;
            else
                movable[in->reef]++;
        }
        int r = g->reef[i];
        for (int b = 0; b < 4; b++) {
            int m = bound_metrics[b];
            if (g->tier[i][rp_metric_tier[m]] != RP_SHARED)
                continue;
            const float *pr = rp_fleet_profile(f, i, m);
            for (int t = 0; t < S; t++) {
                if (r >= 0)
                    buf[((size_t)r * 4 + b) * S + t] += pr[t];
                buf[(nr * 4 + b) * S + t] += pr[t];
            }
        }
    }
    rprice *price = rp_xmalloc((nr + 1) * sizeof(rprice));
    rprice *cand = rp_xmalloc((nr + 1) * sizeof(rprice));
    int ncand = 0;
    double total = 0;
    for (size_t r = 0; r <= nr; r++) {
        if (r < nr && f->reefs[r].region != c->g)
            continue;
        double *sum[4], worth[2];
        for (int b = 0; b < 4; b++)
            sum[b] = buf + (r * 4 + b) * S;
        busiest_price(c, sum, &price[r], worth);
        bool active = r == nr || f->reefs[r].state == RP_REEF_ACTIVE;
        bool open = r < nr && active && (held[r] || (budget >= 0 && movable[r] > budget));
        if (open) {
            double floor[2] = {c->u.pool_min, c->u.nodes_min};
            total += c->u.fixed_min;
            for (int k = 0; k < 2; k++)
                if (floor[k] > worth[k]) {
                    price[r].full[k] = false;
                    total += floor[k];
                }
        }
        /* Reefs that may take instances, one per distinct price (the last
         * one stands for a reef the plan may create). */
        bool seen = !active;
        for (int k = 0; k < ncand && !seen; k++)
            seen = same_price(&cand[k], &price[r]);
        if (!seen)
            cand[ncand++] = price[r];
    }
    double *save = rp_xmalloc((f->ninst + 1) * sizeof(double));
    size_t nsave = 0;
    for (size_t i = 0; i < f->ninst; i++) {
        const rp_instance *in = &f->inst[i];
        if (in->region != c->g || (c->placed && !c->placed[i]))
            continue;
        double away = INFINITY;
        for (int k = 0; k < ncand; k++)
            away = fmin(away, priced(c, i, &cand[k], false));
        int r0 = in->reef;
        if (r0 < 0 || f->reefs[r0].state == RP_REEF_BROKEN) {
            total += away; /* placed anew, or moved out at a cost counted apart */
            continue;
        }
        double stay = priced(c, i, &price[r0], true);
        if (rp__immovable(f, i))
            total += stay;
        else if (f->reefs[r0].state != RP_REEF_ACTIVE)
            total += fmin(stay, away);
        else {
            total += stay;
            double gain = stay - away - f->plans[in->plan].move_cost;
            if (gain > 0)
                save[nsave++] = gain;
        }
    }
    if (budget >= 0)
        qsort(save, nsave, sizeof *save, rp__cmp_desc);
    size_t take = budget < 0 || nsave < (size_t)budget ? nsave : (size_t)budget;
    for (size_t k = 0; k < take; k++)
        total -= save[k];
    free(save);
    free(price);
    free(cand);
    free(held);
    free(movable);
    free(buf);
    return total;
}

/* The bound of region c->g with at most budgets[j] moves in out[j],
 * j = 0..nb) (budgets increasing). Only the whole-size part is taken at
 * each budget: the others, taken at the last, hold for every smaller one. */
static void region_bound(const rctx *c, const int *budgets, int nb, const rguide *guides,
                         int nguides, double *out)
{
    const rp_fleet *f = c->f;
    int budget = budgets[nb - 1];
    int *ids = rp_xmalloc((f->ninst + 1) * sizeof(int));
    size_t n = 0;
    for (size_t i = 0; i < f->ninst; i++)
        if (f->inst[i].region == c->g && (!c->placed || c->placed[i]))
            ids[n++] = (int)i;
    double lb = n ? set_bound(c, ids, 0, n, n, fewest_reefs(c, ids, n)) : 0;
    free(ids);
    if (budget >= 0)
        lb = fmax(lb, budget_bound(c, budget));
    for (int k = 0; k < nguides; k++)
        lb = fmax(lb, reef_bound(c, budget, &guides[k]));
    rp__step_bounds(c, budgets, nb, out);
    for (int j = 0; j < nb; j++)
        out[j] = fmax(lb, out[j]);
}

/* Migrations every valid plan makes: out of broken reefs, all placed ones.
 * Moves out of draining reefs are not among them: once the budget is spent
 * their instances may stay (SPEC rule 9), and a plan may spend it on other
 * reefs first, as when an over-full reef must shed instances. */
static double forced_moves(const rp_fleet *f, const bool *placed, int g)
{
    double cost = 0;
    for (size_t i = 0; i < f->ninst; i++) {
        const rp_instance *in = &f->inst[i];
        if (in->region == g && in->reef >= 0 && (!placed || placed[i]) &&
            f->reefs[in->reef].state == RP_REEF_BROKEN)
            cost += f->plans[in->plan].move_cost;
    }
    return cost;
}

/* The budgets a region's part is computed at when the fleet's budget B is
 * split among regions: every one up to SPLIT_DENSE, then steps of about a
 * quarter, then B. Budget 0, an unlimited one or a single region: B alone. */
#define SPLIT_DENSE 16
#define SPLIT_GROWTH 1.25

static int split_grid(const rp_fleet *f, int budget, int *out)
{
    int nonempty = 0;
    bool *seen = rp_xcalloc(f->nregions + 1, sizeof(bool));
    for (size_t i = 0; i < f->ninst; i++)
        if (!seen[f->inst[i].region]) {
            seen[f->inst[i].region] = true;
            nonempty++;
        }
    free(seen);
    int n = 0;
    if (budget > 0 && nonempty > 1)
        for (int b = 0; b < budget && n < RP_BOUND_GRID_MAX - 1;)
            out[n++] = b, b = b < SPLIT_DENSE ? b + 1 : (int)ceil(b * SPLIT_GROWTH);
    out[n++] = budget;
    return n;
}

void rp_bound_parts_free(rp_bound_parts *p)
{
    free(p->part);
    p->part = NULL;
    p->nb = 0;
}

double rp_bound_parts_total(const rp_bound_parts *p, const double *floor)
{
    size_t ng = p->nregions;
    int nb = p->nb;
    /* v[j]: region g's part with at most budget[j] moves; any part for a
     * larger budget holds as well, and so does the floor. */
    double total = 0;
    if (nb == 1) {
        for (size_t g = 0; g < ng; g++)
            total += floor ? fmax(p->part[g], floor[g]) : p->part[g];
        return total;
    }
    double *v = rp_xmalloc((size_t)nb * sizeof(double));
    /* Spending budget[j - 1] + 1 moves, a region may reach v[j]: a knapsack
     * over regions on the moves spent. */
    int B = p->budget[nb - 1];
    double *dp = rp_xmalloc(((size_t)B + 1) * sizeof(double));
    double *nx = rp_xmalloc(((size_t)B + 1) * sizeof(double));
    for (int u = 0; u <= B; u++)
        dp[u] = u == 0 ? 0 : INFINITY;
    for (size_t g = 0; g < ng; g++) {
        double run = -INFINITY;
        for (int j = nb - 1; j >= 0; j--) {
            run = fmax(run, p->part[g * (size_t)nb + (size_t)j]);
            v[j] = floor ? fmax(run, floor[g]) : run;
        }
        for (int u = 0; u <= B; u++)
            nx[u] = INFINITY;
        for (int u = 0; u <= B; u++) {
            if (!isfinite(dp[u]))
                continue;
            for (int j = 0; j < nb; j++) {
                int cost = j == 0 ? 0 : p->budget[j - 1] + 1;
                if (u + cost > B)
                    break;
                nx[u + cost] = fmin(nx[u + cost], dp[u] + v[j]);
            }
        }
        double *t = dp;
        dp = nx;
        nx = t;
    }
    total = INFINITY;
    for (int u = 0; u <= B; u++)
        total = fmin(total, dp[u]);
    free(nx);
    free(dp);
    free(v);
    return total;
}

double rp_lower_bound(const rp_fleet *f, const bool *placed, int move_budget)
{
    return rp_lower_bound_guided(f, placed, move_budget, NULL, NULL);
}

double rp_lower_bound_guided(const rp_fleet *f, const bool *placed, int move_budget,
                             const int *guide_reef, const uint8_t (*guide_tier)[RP_NTIERS])
{
    rp_bound_parts p;
    double lb = rp_lower_bound_regions(f, placed, move_budget, guide_reef, guide_tier, &p);
    rp_bound_parts_free(&p);
    return lb;
}

double rp_lower_bound_regions(const rp_fleet *f, const bool *placed, int move_budget,
                              const int *guide_reef, const uint8_t (*guide_tier)[RP_NTIERS],
                              rp_bound_parts *parts)
{
    /* The fleet as it is guides the reef-by-reef bound, and so does the
     * caller's plan. */
    int *reef = rp_xmalloc((f->ninst + 1) * sizeof(int));
    uint8_t(*tier)[RP_NTIERS] = rp_xmalloc((f->ninst + 1) * sizeof *tier);
    for (size_t i = 0; i < f->ninst; i++) {
        const rp_instance *in = &f->inst[i];
        bool usable = in->reef >= 0 && f->reefs[in->reef].state != RP_REEF_BROKEN;
        reef[i] = usable ? in->reef : -1;
        for (int k = 0; k < RP_NTIERS; k++)
            tier[i][k] = usable ? in->tier[k] : RP_SHARED;
    }
    rguide guides[2] = {{reef, (const uint8_t(*)[RP_NTIERS])tier}, {guide_reef, guide_tier}};
    int nguides = guide_reef && guide_tier ? 2 : 1;
    /* More moves than instances change nothing. */
    int budget = move_budget > (int)f->ninst ? (int)f->ninst : move_budget;
    *parts = (rp_bound_parts){.nregions = f->nregions};
    parts->nb = split_grid(f, budget, parts->budget);
    parts->part = rp_xcalloc(f->nregions * (size_t)parts->nb + 1, sizeof(double));
    double(*ded)[RP_NTIERS] = rp_xcalloc(f->ninst + 1, sizeof *ded);
    for (size_t g = 0; g < f->nregions; g++) {
        rctx c = {.f = f,
                  .g = (int)g,
                  .ppg = shared_storage_price(f, (int)g),
                  .ded = ded,
                  .placed = placed};
        region_unit(f, (int)g, &c.u);
        int *tmpls = rp_xmalloc((f->nreefs + 1) * sizeof(int));
        size_t nt = region_templates(f, (int)g, tmpls);
        for (size_t i = 0; i < f->ninst; i++)
            if (f->inst[i].region == (int)g)
                ded_prices(f, i, tmpls, nt, ded[i]);
        free(tmpls);
        size_t *rstart;
        int *rids;
        reef_index(f, (int)g, placed, &rstart, &rids);
        c.rstart = rstart;
        c.rids = rids;
        double *out = parts->part + g * (size_t)parts->nb;
        region_bound(&c, parts->budget, parts->nb, guides, nguides, out);
        double forced = forced_moves(f, placed, (int)g);
        for (int j = 0; j < parts->nb; j++)
            out[j] += forced;
        free(rids);
        free(rstart);
    }
    free(tier);
    free(reef);
    free(ded);
    return rp_bound_parts_total(parts, NULL);
}

#include "solver_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "bound.h"
#include "log.h"

double rp__now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

rp_pacer rp__pacer_start(void)
{
    return (rp_pacer){0, 1, rp__now_seconds()};
}

bool rp__pacer_due(rp_pacer *p)
{
    if (--p->left > 0)
        return false;
    double now = rp__now_seconds(), gap = now - p->last;
    if (gap < RP_PACE_MIN_S && p->stride < RP_PACE_MAX_STRIDE)
        p->stride *= 2;
    else if (gap > RP_PACE_MAX_S)
        p->stride = (long)fmax(1, floor((double)p->stride * RP_PACE_MAX_S / gap));
    p->left = p->stride;
    p->last = now;
    return true;
}

uint64_t rp__rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int rp__rng_below(rp_solver *s, int n)
{
    return n <= 1 ? 0 : (int)(rp__rng_next(&s->rng) % (uint64_t)n);
}


/* ---- reef cost --------------------------------------------------------- */


static void load_of(const rp_solver *s, const sreef *x, load *l)
{
    memcpy(l->peak, x->use.peak, sizeof l->peak);
    memcpy(l->nsh, x->use.n_shared, sizeof l->nsh);
    l->n = x->use.n;
    l->ded_nodes = x->use.ded_nodes;
    l->share_gb_peaks = x->use.share_gb_peaks;
    l->ded_cost = x->use.ded_cost;
    memcpy(l->over, x->use.over_per_db, s->f->cat->npools * sizeof(int));
}

/* Adjusts l for instance i entering (sign +1) or leaving (-1) with tiers
 * and sizes; peak must already hold the new peaks. */
static void load_shift(const rp_solver *s, const sreef *x, load *l, size_t i,
                       const uint8_t tier[RP_NTIERS], const rp_ded *d, int sign)
{
    const rp_fleet *f = s->f;
    l->n += sign;
    for (int t = 0; t < RP_NTIERS; t++)
        if (tier[t] == RP_SHARED)
            l->nsh[t] += sign;
    if (tier[RP_TIER_COMPUTE] == RP_DEDICATED)
        l->ded_nodes += sign * d->nodes;
    if (tier[RP_TIER_STORAGE] == RP_SHARED)
        l->share_gb_peaks += sign * (double)rp_fleet_peak(f, i, RP_M_SHARE_GB);
    l->ded_cost += sign * rp_ded_cost(f, x->tmpl, tier, d);
    if (tier[RP_TIER_DB] == RP_SHARED) {
        double p = rp_fleet_peak(f, i, RP_M_DB_COMPUTE);
        for (size_t k = 0; k < f->cat->npools; k++)
            if (!rp_fits(p, f->cat->pools[k].per_db_max))
                l->over[k] += sign;
    }
}

/* Overflow of a load over the largest SKUs, for a graded penalty. */
static double overflow(const rp_solver *s, const sreef *x, const load *l)
{
    const rp_catalog *c = s->f->cat;
    const rp_template *t = &c->templates[x->tmpl];
    const double *h = s->f->set.headroom;
    double big_dbc = 0, big_dbs = 0;
    for (size_t k = 0; k < c->npools; k++) {
        big_dbc = fmax(big_dbc, c->pools[k].db_compute);
        big_dbs = fmax(big_dbs, c->pools[k].max_storage_gb);
    }
    const rp_vm_sku *vm = &c->vms[t->node_vm];
    const rp_storage_sku *st = &c->storage[t->storage];
    double cap[RP_NMETRICS] = {big_dbc, big_dbs, t->max_nodes * vm->alloc_cpu,
                               t->max_nodes * vm->alloc_memory_gb, st->max_gb, st->max_iops};
    double over = 0;
    for (int m = 0; m < RP_NMETRICS; m++) {
        double lim = cap[m] * (1 - h[m]);
        if (l->peak[m] > lim)
            over += lim > 0 ? (l->peak[m] - lim) / lim : 1;
    }
    if (l->n > s->f->set.max_instances_per_reef)
        over += l->n - s->f->set.max_instances_per_reef;
    return over;
}

/* Cost of a reef holding load l: 0 when empty (deleted or never opened). */
/* Construction prices shared capacity by the unit: the pool at the best
 * price per vCore (or GB), nodes by the fraction of a node the load needs.
 * Priced by SKU steps instead, a greedy placement sees a whole pool step
 * against one small single database and sends instance after instance to
 * dedicated tiers that one larger pool would hold for less. */
static void smooth_costs(const rp_solver *s, const sreef *x, const load *l, double *pool_cost,
                         double *node_cost)
{
    const rp_catalog *c = s->f->cat;
    const rp_template *t = &c->templates[x->tmpl];
    const rp_vm_sku *vm = &c->vms[t->node_vm];
    const double *h = s->f->set.headroom;
    double unit_dbc = INFINITY, unit_dbs = INFINITY, cheapest = INFINITY;
    for (size_t k = 0; k < c->npools; k++) {
        const rp_pool_sku *p = &c->pools[k];
        unit_dbc = fmin(unit_dbc, p->price / (p->db_compute * (1 - h[RP_M_DB_COMPUTE])));
        unit_dbs = fmin(unit_dbs, p->price / (p->max_storage_gb * (1 - h[RP_M_DB_STORAGE])));
        cheapest = fmin(cheapest, p->price);
    }
    *pool_cost = fmax(cheapest, fmax(unit_dbc * l->peak[RP_M_DB_COMPUTE],
                                     unit_dbs * l->peak[RP_M_DB_STORAGE]));
    double n = fmax((double)t->min_nodes,
                    fmax(l->peak[RP_M_CPU] / (vm->alloc_cpu * (1 - h[RP_M_CPU])),
                         l->peak[RP_M_MEMORY] / (vm->alloc_memory_gb * (1 - h[RP_M_MEMORY]))));
    n = fmax(n, (double)l->nsh[RP_TIER_COMPUTE] / t->max_pods_per_node);
    *node_cost = n * vm->price;
}

static double cost_of(const rp_solver *s, const sreef *x, const load *l, int *pool, int *nodes)
{
    const rp_fleet *f = s->f;
    *pool = -1;
    *nodes = 0;
    if (l->n == 0)
        return 0;
    double pen = x->state == RP_REEF_DRAINING ? PEN_DRAIN * l->n : 0;
    if (x->state == RP_REEF_BROKEN)
        pen += PEN_INFEASIBLE * l->n;
    rp_violation v;
    if (rp_size_for(f, x->tmpl, l->peak, l->nsh, l->n, l->ded_nodes, l->over, 0, pool, nodes,
                    &v) != 0) {
        *pool = -1;
        return pen + PEN_INFEASIBLE * (1 + overflow(s, x, l));
    }
    const rp_template *t = &f->cat->templates[x->tmpl];
    double pool_cost = f->cat->pools[*pool].price;
    double node_cost = *nodes * f->cat->vms[t->node_vm].price;
    if (s->smooth)
        smooth_costs(s, x, l, &pool_cost, &node_cost);
    return pen + t->fixed_cost + pool_cost + node_cost +
           f->cat->storage[t->storage].price_per_gb * l->share_gb_peaks + l->ded_cost;
}

/* On plateaus of cost (pools and nodes come in steps) the search prefers
 * fuller reefs: minus the sum of squared fill levels, a smooth measure that
 * rewards emptying one reef into others, which later pays as a smaller SKU
 * or a deleted reef. It only breaks ties; it is never traded against cost. */
double rp__shape_of(const rp_solver *s, const sreef *x, const load *l)
{
    static const int ms[4] = {RP_M_DB_COMPUTE, RP_M_DB_STORAGE, RP_M_CPU, RP_M_MEMORY};
    double sh = 0;
    for (int k = 0; k < 4; k++) {
        double u = l->peak[ms[k]] / s->norm[x->tmpl][k];
        sh -= u * u;
    }
    return sh;
}

double rp__exchange_cost(const rp_solver *s, int r, const int *outs, int nout, const int *ins,
                         int nin, load *l, int *pool, int *nodes)
{
    const sreef *x = &s->r[r];
    const rp_fleet *f = s->f;
    int S = f->set.slots;
    load_of(s, x, l);
    for (int m = 0; m < RP_NMETRICS; m++) {
        int t = rp_metric_tier[m];
        const float *po[2] = {NULL, NULL}, *pn[2] = {NULL, NULL};
        bool any = false;
        for (int k = 0; k < nout; k++)
            if (s->tier[outs[k]][t] == RP_SHARED)
                any = true, po[k] = rp_fleet_profile(f, (size_t)outs[k], m);
        for (int k = 0; k < nin; k++)
            if (s->tier[ins[k]][t] == RP_SHARED)
                any = true, pn[k] = rp_fleet_profile(f, (size_t)ins[k], m);
        if (!any)
            continue;
        const double *sum = x->use.sum + (size_t)m * (size_t)S;
        double best = 0;
        for (int k = 0; k < S; k++) {
            double v = sum[k];
            for (int q = 0; q < 2; q++)
                v += (pn[q] ? pn[q][k] : 0) - (po[q] ? po[q][k] : 0);
            best = v > best ? v : best;
        }
        l->peak[m] = best;
    }
    for (int k = 0; k < nout; k++)
        load_shift(s, x, l, (size_t)outs[k], s->tier[outs[k]], &s->ded[outs[k]], -1);
    for (int k = 0; k < nin; k++)
        load_shift(s, x, l, (size_t)ins[k], s->tier[ins[k]], &s->ded[ins[k]], +1);
    return cost_of(s, x, l, pool, nodes);
}

/* What reef r pays above its load priced by the unit (smooth_costs): the
 * most its own tier MIP can take off whole pool and node sizes. */
double rp__reef_premium(rp_solver *s, int r)
{
    load l;
    int pool, nodes;
    bool smooth = s->smooth;
    load_of(s, &s->r[r], &l);
    s->smooth = false;
    double whole = cost_of(s, &s->r[r], &l, &pool, &nodes);
    s->smooth = true;
    double unit = cost_of(s, &s->r[r], &l, &pool, &nodes);
    s->smooth = smooth;
    return whole - unit;
}

void rp__refresh(rp_solver *s, int r)
{
    load l;
    load_of(s, &s->r[r], &l);
    s->r[r].cost = cost_of(s, &s->r[r], &l, &s->r[r].pool, &s->r[r].nodes);
    s->r[r].shape = rp__shape_of(s, &s->r[r], &l);
}

/* ---- instance terms ----------------------------------------------------- */

bool rp__is_move(const rp_solver *s, size_t i, int reef)
{
    return s->orig[i] >= 0 && reef != s->orig[i];
}

bool rp__counts_in_budget(const rp_solver *s, size_t i, int reef)
{
    return rp__is_move(s, i, reef) && !s->forced[i];
}

/* Move and tier-change cost of instance i at reef with tiers. */
double rp__inst_cost(const rp_solver *s, size_t i, int reef, const uint8_t tier[RP_NTIERS])
{
    const rp_fleet *f = s->f;
    if (reef < 0)
        return 0;
    if (rp__is_move(s, i, reef))
        return f->plans[f->inst[i].plan].move_cost;
    if (s->orig[i] < 0)
        return 0;
    int changes = 0;
    for (int t = 0; t < RP_NTIERS; t++)
        changes += tier[t] != s->orig_tier[i][t];
    return changes * f->set.tier_change_cost;
}

int rp__mate_at(const rp_solver *s, size_t i, int reef)
{
    int g = s->f->inst[i].group;
    for (int k = 0; g >= 0 && k < s->group_size[g]; k++) {
        int j = s->group_members[g][k];
        if ((size_t)j != i && s->at[j] == reef)
            return j;
    }
    return -1;
}

bool rp__group_ok(const rp_solver *s, size_t i, int reef)
{
    int g = s->f->inst[i].group;
    if (g < 0)
        return true;
    if (rp__mate_at(s, i, reef) >= 0)
        return false;
    for (int k = 0; k < s->group_size[g]; k++) {
        int j = s->group_members[g][k];
        if ((size_t)j == i)
            continue;
        /* A reef a group mate is leaving: entering it would need the mate
         * to leave first, and two mates trading reefs cannot be ordered so
         * that they are apart at every step. */
        if (s->orig[j] == reef && s->r[reef].state != RP_REEF_BROKEN)
            return false;
    }
    return true;
}

/* May instance i enter reef r (ignoring capacity)? */
bool rp__may_enter(const rp_solver *s, size_t i, int r)
{
    const sreef *x = &s->r[r];
    if (x->region != s->f->inst[i].region)
        return false;
    /* Home is open to its own instances whatever its state (but broken);
     * other reefs only when active. Groups hold either way. */
    bool home = r == s->orig[i] && x->state != RP_REEF_BROKEN;
    if (!home && x->state != RP_REEF_ACTIVE)
        return false;
    return rp__group_ok(s, i, r);
}

bool rp__ded_sizes(const rp_solver *s, size_t i, int tmpl, const uint8_t tier[RP_NTIERS],
                      rp_ded *d)
{
    *d = (rp_ded){-1, 0, 0};
    return rp_ded_fill(s->f, i, tmpl, tier, d) < 0;
}

/* ---- apply ------------------------------------------------------------- */

void rp__inst_remove(rp_solver *s, size_t i)
{
    int r = s->at[i];
    if (r < 0)
        return;
    rp_use_add(&s->r[r].use, s->f, i, s->r[r].tmpl, s->tier[i], &s->ded[i], -1);
    if (rp__counts_in_budget(s, i, r))
        s->moves--;
    s->at[i] = -1;
    rp__refresh(s, r);
}

void rp__inst_put(rp_solver *s, size_t i, int r, const uint8_t tier[RP_NTIERS],
                     const rp_ded *d)
{
    memcpy(s->tier[i], tier, RP_NTIERS);
    s->ded[i] = *d;
    s->at[i] = r;
    rp_use_add(&s->r[r].use, s->f, i, s->r[r].tmpl, tier, d, +1);
    if (rp__counts_in_budget(s, i, r))
        s->moves++;
    rp__refresh(s, r);
}

/* ---- evaluation -------------------------------------------------------- */


/* Cost of reef r after instance i (currently elsewhere) enters with each
 * tier combination; keeps the best in *best. base_delta carries the change
 * elsewhere (source reef, instance terms are added here). */
static void try_enter(const rp_solver *s, size_t i, int r, double base_delta,
                      double base_dshape, bool tiers_free,
                      const uint8_t cur_tier[RP_NTIERS], choice *best)
{
    const sreef *x = &s->r[r];
    double pw[RP_NMETRICS];
    const uint8_t all_shared[RP_NTIERS] = {0, 0, 0};
    rp_use_peak_with(&x->use, s->f, i, all_shared, +1, pw);
    for (int combo = 0; combo < 8; combo++) {
        uint8_t tier[RP_NTIERS] = {combo & 1, (combo >> 1) & 1, (combo >> 2) & 1};
        if (!tiers_free && memcmp(tier, cur_tier, RP_NTIERS) != 0)
            continue;
        rp_ded d;
        if (!rp__ded_sizes(s, i, x->tmpl, tier, &d))
            continue;
        load l;
        load_of(s, x, &l);
        for (int m = 0; m < RP_NMETRICS; m++)
            l.peak[m] = tier[rp_metric_tier[m]] == RP_SHARED ? pw[m] : x->use.peak[m];
        load_shift(s, x, &l, i, tier, &d, +1);
        int pool, nodes;
        double c = cost_of(s, x, &l, &pool, &nodes);
        if (pool < 0)
            continue; /* never move load into a reef no SKU can hold */
        double delta = base_delta + c - x->cost + rp__inst_cost(s, i, r, tier);
        double dshape = base_dshape + rp__shape_of(s, x, &l) - x->shape;
        if (best->reef < 0 || rp__better(delta, dshape, best->delta, best->dshape)) {
            best->reef = r;
            memcpy(best->tier, tier, RP_NTIERS);
            best->ded = d;
            best->delta = delta;
            best->dshape = dshape;
        }
    }
}

/* Change of reef r's cost (and tie-breaker) if instance i (in it) leaves. */
double rp__leave_delta(const rp_solver *s, size_t i, double *dshape)
{
    int r = s->at[i];
    *dshape = 0;
    if (r < 0)
        return 0;
    const sreef *x = &s->r[r];
    load l;
    load_of(s, x, &l);
    rp_use_peak_with(&x->use, s->f, i, s->tier[i], -1, l.peak);
    load_shift(s, x, &l, i, s->tier[i], &s->ded[i], -1);
    int pool, nodes;
    *dshape = rp__shape_of(s, x, &l) - x->shape;
    return cost_of(s, x, &l, &pool, &nodes) - x->cost - rp__inst_cost(s, i, r, s->tier[i]);
}

/* Tier changes of instance i in its own reef (rule 10: not when pinned). */
static void try_retier(const rp_solver *s, size_t i, choice *best)
{
    if (!s->tier_free[i])
        return;
    int r = s->at[i];
    const sreef *x = &s->r[r];
    double pw_add[RP_NMETRICS], pw_rem[RP_NMETRICS];
    const uint8_t all_shared[RP_NTIERS] = {0, 0, 0};
    rp_use_peak_with(&x->use, s->f, i, all_shared, +1, pw_add);
    rp_use_peak_with(&x->use, s->f, i, s->tier[i], -1, pw_rem);
    double before = x->cost + rp__inst_cost(s, i, r, s->tier[i]);
    for (int combo = 0; combo < 8; combo++) {
        uint8_t tier[RP_NTIERS] = {combo & 1, (combo >> 1) & 1, (combo >> 2) & 1};
        if (!memcmp(tier, s->tier[i], RP_NTIERS))
            continue;
        rp_ded d;
        if (!rp__ded_sizes(s, i, x->tmpl, tier, &d))
            continue;
        load l;
        load_of(s, x, &l);
        load_shift(s, x, &l, i, s->tier[i], &s->ded[i], -1);
        for (int m = 0; m < RP_NMETRICS; m++) {
            bool was = s->tier[i][rp_metric_tier[m]] == RP_SHARED;
            bool will = tier[rp_metric_tier[m]] == RP_SHARED;
            l.peak[m] = was ? (will ? x->use.peak[m] : pw_rem[m])
                            : (will ? pw_add[m] : x->use.peak[m]);
        }
        load_shift(s, x, &l, i, tier, &d, +1);
        int pool, nodes;
        double delta = cost_of(s, x, &l, &pool, &nodes) + rp__inst_cost(s, i, r, tier) - before;
        double dshape = rp__shape_of(s, x, &l) - x->shape;
        if (best->reef < 0 || rp__better(delta, dshape, best->delta, best->dshape)) {
            best->reef = r;
            memcpy(best->tier, tier, RP_NTIERS);
            best->ded = d;
            best->delta = delta;
            best->dshape = dshape;
        }
    }
}

/* Considers reef r as the destination of instance i (or its own reef, for
 * a tier change when stay is true). */
static void consider(const rp_solver *s, size_t i, int r, bool stay, double out,
                     double out_shape, bool *opened_empty, choice *best)
{
    int cur = s->at[i];
    if (r == cur) {
        if (stay)
            try_retier(s, i, best);
        return;
    }
    if ((cur >= 0 && !s->movable[i]) || !rp__may_enter(s, i, r))
        return;
    if (s->r[r].use.n == 0 && s->r[r].fleet_reef < 0) {
        if (*opened_empty)
            return; /* empty new reefs are all alike: try one */
        *opened_empty = true;
    }
    int budget_left = s->budget < 0 ? 1 << 30 : s->budget - s->moves;
    int extra = (rp__counts_in_budget(s, i, r) ? 1 : 0) -
                (cur >= 0 && rp__counts_in_budget(s, i, cur) ? 1 : 0);
    if (extra > 0 && budget_left < extra)
        return;
    try_enter(s, i, r, out, out_shape, s->tier_free[i] || s->forced[i], s->tier[i], best);
}

bool rp__retier(rp_solver *s, size_t i, journal *j)
{
    if (s->at[i] < 0)
        return false;
    choice best = {.reef = -1};
    try_retier(s, i, &best);
    if (best.reef < 0 || !rp__improves(best.delta, best.dshape))
        return false;
    if (j)
        rp__touch(j, s, i);
    rp__apply_choice(s, i, &best);
    return true;
}

/* Regions with more reefs than this are searched through a random sample
 * of their reefs per move (plus the instance's own and original reef). */
#define SAMPLE_ABOVE 48
#define SAMPLE_SIZE 32

/* Best destination for instance i among its region's reefs (its own reef
 * included when stay is true), honouring the move budget. */
choice rp__best_place(rp_solver *s, size_t i, bool stay)
{
    choice best = {.reef = -1};
    int g = s->f->inst[i].region;
    double out_shape;
    double out = rp__leave_delta(s, i, &out_shape);
    bool opened_empty = false;
    int n = s->region_nreefs[g];
    if (n <= SAMPLE_ABOVE) {
        for (int k = 0; k < n; k++)
            consider(s, i, s->region_reefs[g][k], stay, out, out_shape, &opened_empty, &best);
        return best;
    }
    if (s->at[i] >= 0)
        consider(s, i, s->at[i], stay, out, out_shape, &opened_empty, &best);
    if (s->orig[i] >= 0 && s->orig[i] != s->at[i])
        consider(s, i, s->orig[i], stay, out, out_shape, &opened_empty, &best);
    /* The first empty candidate reef, so opening one is always weighed. */
    for (int k = 0; k < n; k++) {
        int r = s->region_reefs[g][k];
        if (s->r[r].fleet_reef < 0 && s->r[r].use.n == 0) {
            consider(s, i, r, stay, out, out_shape, &opened_empty, &best);
            break;
        }
    }
    for (int k = 0; k < SAMPLE_SIZE; k++) {
        int r = s->region_reefs[g][rp__rng_below(s, n)];
        if (r != s->at[i] && r != s->orig[i])
            consider(s, i, r, stay, out, out_shape, &opened_empty, &best);
    }
    return best;
}

void rp__apply_choice(rp_solver *s, size_t i, const choice *c)
{
    rp__inst_remove(s, i);
    rp__inst_put(s, i, c->reef, c->tier, &c->ded);
}

/* ---- set-up ------------------------------------------------------------ */

/* Per region, the reefs that stay open whatever the plan: all but broken
 * ones (emptied, then deleted) and draining ones the budget can empty. A
 * draining reef stays open when it holds an instance that cannot move, or
 * when the budget cannot move every instance out of the draining reefs.
 * The caller frees the array. */
static int *reefs_kept_open(const rp_fleet *f, int budget)
{
    bool *keeps = rp_xcalloc(f->nreefs + 1, sizeof(bool));
    long movable = 0;
    for (size_t i = 0; i < f->ninst; i++) {
        int r = f->inst[i].reef;
        if (r < 0 || f->reefs[r].state != RP_REEF_DRAINING)
            continue;
        if (f->inst[i].pinned || rp__solver_cooling(f, i))
            keeps[r] = true;
        else
            movable++;
    }
    bool budget_short = budget >= 0 && movable > budget;
    int *n = rp_xcalloc(f->nregions + 1, sizeof(int));
    for (size_t k = 0; k < f->nreefs; k++) {
        rp_reef_state st = f->reefs[k].state;
        if (st != RP_REEF_BROKEN && (st != RP_REEF_DRAINING || keeps[k] || budget_short))
            n[f->reefs[k].region]++;
    }
    free(keeps);
    return n;
}

/* Existing reefs first (same index as the fleet), then for each region as
 * many candidate new reefs as max_reefs allows (bounded by what its
 * instances could need). */
static void build_reefs(rp_solver *s)
{
    const rp_fleet *f = s->f;
    rp_vec v = {0};
    for (size_t k = 0; k < f->nreefs; k++) {
        sreef x = {.fleet_reef = (int)k,
                   .region = f->reefs[k].region,
                   .tmpl = f->reefs[k].template_idx,
                   .state = f->reefs[k].state,
                   .tiers_cost = NAN};
        RP_VEC_PUSH(&v, sreef, x);
    }
    int *kept = reefs_kept_open(f, s->budget);
    for (size_t g = 0; g < f->nregions; g++) {
        int room = f->regions[g].max_reefs - kept[g];
        size_t in_region = 0;
        for (size_t i = 0; i < f->ninst; i++)
            in_region += f->inst[i].region == (int)g;
        if ((size_t)room > in_region)
            room = (int)in_region; /* never more new reefs than instances */
        for (int k = 0; k < room; k++) {
            sreef x = {.fleet_reef = -1,
                       .region = (int)g,
                       .tmpl = f->regions[g].template_idx,
                       .state = RP_REEF_ACTIVE,
                       .tiers_cost = NAN};
            RP_VEC_PUSH(&v, sreef, x);
        }
    }
    free(kept);
    s->r = v.data;
    s->nr = (int)v.len;
    s->region_reefs = rp_xcalloc(f->nregions, sizeof(int *));
    s->region_nreefs = rp_xcalloc(f->nregions, sizeof(int));
    for (int r = 0; r < s->nr; r++) {
        rp_use_init(&s->r[r].use, f);
        int g = s->r[r].region;
        s->region_reefs[g] = rp_xreallocarray(s->region_reefs[g], s->region_nreefs[g] + 1,
                                              sizeof(int));
        s->region_reefs[g][s->region_nreefs[g]++] = r;
    }
}

static void build_groups(rp_solver *s)
{
    const rp_fleet *f = s->f;
    s->group_size = rp_xcalloc(f->ngroups + 1, sizeof(int));
    s->group_members = rp_xcalloc(f->ngroups + 1, sizeof(int *));
    for (size_t i = 0; i < f->ninst; i++) {
        int g = f->inst[i].group;
        if (g < 0)
            continue;
        s->group_members[g] =
            rp_xreallocarray(s->group_members[g], s->group_size[g] + 1, sizeof(int));
        s->group_members[g][s->group_size[g]++] = (int)i;
    }
}

static void build_norms(rp_solver *s)
{
    const rp_catalog *c = s->f->cat;
    s->norm = rp_xcalloc(c->ntemplates + 1, sizeof *s->norm);
    double dbc = 0, dbs = 0;
    for (size_t k = 0; k < c->npools; k++) {
        dbc = fmax(dbc, c->pools[k].db_compute);
        dbs = fmax(dbs, c->pools[k].max_storage_gb);
    }
    for (size_t t = 0; t < c->ntemplates; t++) {
        const rp_vm_sku *vm = &c->vms[c->templates[t].node_vm];
        s->norm[t][0] = dbc > 0 ? dbc : 1;
        s->norm[t][1] = dbs > 0 ? dbs : 1;
        s->norm[t][2] = vm->alloc_cpu * 20;
        s->norm[t][3] = vm->alloc_memory_gb * 20;
    }
}

bool rp__solver_cooling(const rp_fleet *f, size_t i)
{
    int64_t lm = f->inst[i].last_moved;
    return lm != RP_NO_TIME && f->set.now - lm < (int64_t)f->set.move_cooldown_days * 86400;
}

rp_solver *rp_solver_new(const rp_fleet *f, const rp_solve_opts *o)
{
    rp_solver *s = rp_xcalloc(1, sizeof *s);
    s->f = f;
    s->o = *o;
    s->budget = o->move_budget >= -1 ? o->move_budget : f->set.move_budget;
    s->rng = o->seed * 0x2545F4914F6CDD1DULL + 1;
    s->run = s->runs = 1;
    s->improve_until = RP_IMPROVE_UNTIL;
    s->solve_limit = o->time_limit;
    size_t n = f->ninst ? f->ninst : 1;
    s->at = rp_xmalloc(n * sizeof(int));
    s->orig = rp_xmalloc(n * sizeof(int));
    s->tier = rp_xcalloc(n, sizeof *s->tier);
    s->orig_tier = rp_xcalloc(n, sizeof *s->orig_tier);
    s->ded = rp_xcalloc(n, sizeof *s->ded);
    s->movable = rp_xcalloc(n, sizeof(bool));
    s->tier_free = rp_xcalloc(n, sizeof(bool));
    s->forced = rp_xcalloc(n, sizeof(bool));
    s->movers = rp_xmalloc(n * sizeof(int));
    s->unplaced_reason = rp_xcalloc(n, sizeof(char *));
    build_reefs(s);
    build_groups(s);
    build_norms(s);
    for (size_t i = 0; i < f->ninst; i++) {
        const rp_instance *in = &f->inst[i];
        s->at[i] = -1;
        s->orig[i] = in->reef;
        memcpy(s->orig_tier[i], in->tier, RP_NTIERS);
        bool broken = in->reef >= 0 && f->reefs[in->reef].state == RP_REEF_BROKEN;
        s->forced[i] = broken;
        s->movable[i] = broken || in->reef < 0 || (!in->pinned && !rp__solver_cooling(f, i));
        s->tier_free[i] = broken || in->reef < 0 || !in->pinned;
        if (s->movable[i])
            s->movers[s->nmovers++] = (int)i;
    }
    return s;
}

void rp_solver_free(rp_solver *s)
{
    if (!s)
        return;
    for (int r = 0; r < s->nr; r++)
        rp_use_free(&s->r[r].use);
    for (size_t g = 0; g < s->f->nregions; g++)
        free(s->region_reefs[g]);
    for (size_t g = 0; g < s->f->ngroups; g++)
        free(s->group_members[g]);
    for (size_t i = 0; i < s->f->ninst; i++)
        free(s->unplaced_reason[i]);
    free(s->region_reefs);
    free(s->region_nreefs);
    free(s->norm);
    free(s->group_members);
    free(s->group_size);
    free(s->r);
    free(s->at);
    free(s->orig);
    free(s->tier);
    free(s->orig_tier);
    free(s->ded);
    free(s->movable);
    free(s->tier_free);
    free(s->forced);
    free(s->movers);
    free(s->unplaced_reason);
    rp_bound_parts_free(&s->lb_parts);
    free(s);
}

/* ---- results ----------------------------------------------------------- */

static double true_reef_cost(const rp_solver *s, int r)
{
    const sreef *x = &s->r[r];
    if (x->use.n == 0)
        return 0;
    if (x->pool < 0)
        return NAN;
    return rp_use_cost(&x->use, s->f, x->tmpl, x->pool, x->nodes);
}

/* Fleet reefs that the target keeps only because an unplaced instance is
 * still in them (a broken reef whose instance fits nowhere): such a reef
 * cannot be deleted, and it costs what the fleet pays for it now with
 * those instances (SPEC section 4: a reef is open unless the plan deletes
 * it): fixed cost, pool and nodes as stated, their shared storage and
 * dedicated tiers. kept[r] for the fleet's reefs; returns their cost. */
static double kept_by_unplaced(const rp_solver *s, bool *kept)
{
    const rp_fleet *f = s->f;
    memset(kept, 0, (f->nreefs + 1) * sizeof *kept);
    bool any = false;
    for (size_t i = 0; i < f->ninst; i++) {
        int r = f->inst[i].reef;
        if (s->at[i] < 0 && r >= 0 && s->r[r].use.n == 0)
            kept[r] = any = true;
    }
    double cost = 0;
    for (size_t r = 0; any && r < f->nreefs; r++) {
        if (!kept[r])
            continue;
        const rp_reef *x = &f->reefs[r];
        rp_reef_use u;
        rp_use_init(&u, f);
        for (size_t i = 0; i < f->ninst; i++)
            if (s->at[i] < 0 && f->inst[i].reef == (int)r) {
                rp_ded d;
                rp_ded_fill_or_largest(f, i, x->template_idx, f->inst[i].tier, &d);
                rp_use_add(&u, f, i, x->template_idx, f->inst[i].tier, &d, +1);
            }
        cost += rp_use_cost(&u, f, x->template_idx, x->pool, x->nodes);
        rp_use_free(&u);
    }
    return cost;
}

double rp_solver_objective(const rp_solver *s)
{
    double total = 0;
    bool stays = false; /* an unplaced instance still in a reef: rare */
    for (int r = 0; r < s->nr; r++)
        total += true_reef_cost(s, r);
    for (size_t i = 0; i < s->f->ninst; i++) {
        total += rp__inst_cost(s, i, s->at[i], s->tier[i]);
        stays |= s->at[i] < 0 && s->f->inst[i].reef >= 0;
    }
    if (stays) {
        bool *kept = rp_xmalloc((s->f->nreefs + 1) * sizeof *kept);
        total += kept_by_unplaced(s, kept);
        free(kept);
    }
    return total;
}

/* May instance i go back where the fleet has it? */
static bool may_go_back(const rp_solver *s, size_t i)
{
    int o = s->orig[i];
    return o >= 0 && s->at[i] >= 0 && s->at[i] != o && s->r[o].state != RP_REEF_BROKEN;
}

size_t rp_solver_move_back(rp_solver *s, const int *ids, size_t n)
{
    const rp_fleet *f = s->f;
    bool *back = rp_xcalloc(f->ninst + 1, sizeof *back);
    bool *seen = rp_xcalloc((size_t)s->nr + 1, sizeof *seen);
    rp_vec reefs = {0}; /* int: reefs instances go back to, each once */
    for (size_t k = 0; k < n; k++) {
        size_t i = (size_t)ids[k];
        if (i >= f->ninst || !may_go_back(s, i))
            continue;
        back[i] = true;
        if (!seen[s->orig[i]]) {
            seen[s->orig[i]] = true;
            RP_VEC_PUSH(&reefs, int, s->orig[i]);
        }
    }
    /* Whatever moved into a reef that takes an instance back goes back too. */
    for (size_t q = 0; q < reefs.len; q++) {
        int r = RP_VEC_AT(&reefs, int, q);
        for (size_t j = 0; j < f->ninst; j++) {
            if (s->at[j] != r || back[j] || !may_go_back(s, j))
                continue;
            back[j] = true;
            if (!seen[s->orig[j]]) {
                seen[s->orig[j]] = true;
                RP_VEC_PUSH(&reefs, int, s->orig[j]);
            }
        }
    }
    typedef struct was {
        size_t i;
        int reef;
        uint8_t tier[RP_NTIERS];
        rp_ded ded;
    } was;
    rp_vec was_at = {0};
    for (size_t i = 0; i < f->ninst; i++)
        if (back[i]) {
            was w = {i, s->at[i], {0}, s->ded[i]};
            memcpy(w.tier, s->tier[i], RP_NTIERS);
            RP_VEC_PUSH(&was_at, was, w);
            rp__inst_remove(s, i);
        }
    bool ok = true;
    for (size_t k = 0; k < was_at.len; k++) {
        size_t i = RP_VEC_AT(&was_at, was, k).i;
        int o = s->orig[i];
        rp_ded d;
        ok &= rp_ded_fill(f, i, s->r[o].tmpl, s->orig_tier[i], &d) < 0;
        if (!ok)
            break;
        rp__inst_put(s, i, o, s->orig_tier[i], &d);
    }
    for (size_t q = 0; ok && q < reefs.len; q++) {
        const sreef *x = &s->r[RP_VEC_AT(&reefs, int, q)];
        int pool, nodes;
        rp_violation v;
        ok = x->use.n == 0 || rp_use_size(&x->use, f, x->tmpl, &pool, &nodes, &v) == 0;
    }
    for (size_t i = 0; ok && i < f->ninst; i++)
        ok = !back[i] || rp__mate_at(s, i, s->at[i]) < 0;
    if (!ok) { /* as it was */
        for (size_t k = 0; k < was_at.len; k++)
            rp__inst_remove(s, RP_VEC_AT(&was_at, was, k).i);
        for (size_t k = 0; k < was_at.len; k++) {
            const was *w = &RP_VEC_AT(&was_at, was, k);
            rp__inst_put(s, w->i, w->reef, w->tier, &w->ded);
        }
    }
    size_t moved = ok ? was_at.len : 0;
    rp_vec_free(&was_at);
    rp_vec_free(&reefs);
    free(seen);
    free(back);
    return moved;
}

static const char *reef_name(const rp_solver *s, int r)
{
    int k = s->r[r].fleet_reef;
    return k >= 0 ? s->f->reefs[k].name : "(a new reef)";
}

char *rp_solver_infeasible(const rp_solver *s)
{
    const rp_fleet *f = s->f;
    for (size_t i = 0; i < f->ninst; i++) {
        int r = s->at[i];
        rp_ded d;
        int bad = r >= 0 ? rp_ded_fill(f, i, s->r[r].tmpl, s->tier[i], &d) : -1;
        if (bad >= 0)
            return rp_xasprintf("instance %s keeps a dedicated %s that no size holds%s",
                                f->inst[i].id, rp_tier_names[bad],
                                f->inst[i].pinned ? " (it is pinned)" : "");
    }
    for (size_t i = 0; i < f->ninst; i++) {
        int j = s->at[i] >= 0 ? rp__mate_at(s, i, s->at[i]) : -1;
        if (j >= 0)
            return rp_xasprintf("instances %s and %s of group '%s' share reef %s, and no "
                                "move within the rules separates them",
                                f->inst[i].id, f->inst[j].id, f->groups[f->inst[i].group],
                                reef_name(s, s->at[i]));
    }
    for (size_t g = 0; g < f->nregions; g++) {
        int open = 0;
        for (int k = 0; k < s->region_nreefs[g]; k++) {
            const sreef *x = &s->r[s->region_reefs[g][k]];
            open += x->use.n > 0 || (x->fleet_reef >= 0 && x->state != RP_REEF_BROKEN &&
                                     x->state != RP_REEF_DRAINING);
        }
        if (open > f->regions[g].max_reefs)
            return rp_xasprintf("region %s would have %d reefs, more than max_reefs %d",
                                f->regions[g].name, open, f->regions[g].max_reefs);
    }
    for (int r = 0; r < s->nr; r++) {
        const sreef *x = &s->r[r];
        int pool, nodes;
        rp_violation v;
        if (x->use.n == 0 || rp_use_size(&x->use, f, x->tmpl, &pool, &nodes, &v) == 0)
            continue;
        char why[200];
        rp_violation_str(&v, why, sizeof why);
        return rp_xasprintf("no size of reef %s holds its %d instances: %s", reef_name(s, r),
                            x->use.n, why);
    }
    return NULL;
}

static void plan_reefs(const rp_solver *s, rp_plan *p, int *plan_index, const bool *kept)
{
    const rp_fleet *f = s->f;
    p->reefs = rp_xcalloc((size_t)s->nr, sizeof(rp_plan_reef));
    for (int r = 0; r < s->nr; r++) {
        const sreef *x = &s->r[r];
        plan_index[r] = -1;
        if (x->fleet_reef < 0 && x->use.n == 0)
            continue;
        rp_plan_reef *pr = &p->reefs[p->nreefs];
        plan_index[r] = (int)p->nreefs++;
        pr->region = x->region;
        pr->template_idx = x->tmpl;
        pr->fleet_reef = x->fleet_reef;
        pr->instances = x->use.n;
        pr->created = x->fleet_reef < 0;
        pr->deleted = x->use.n == 0 && !(x->fleet_reef >= 0 && kept[x->fleet_reef]);
        if (x->fleet_reef >= 0) {
            pr->name = rp_xstrdup(f->reefs[x->fleet_reef].name);
            pr->pool = f->reefs[x->fleet_reef].pool;
            pr->nodes = f->reefs[x->fleet_reef].nodes;
        } else {
            pr->name = rp_plan_new_reef_name(f, x->region, p);
        }
        if (x->use.n > 0 && x->pool >= 0) {
            pr->pool = x->pool;
            pr->nodes = x->nodes;
        }
        for (int m = 0; m < RP_NMETRICS && x->use.n > 0 && x->pool >= 0; m++) {
            double lim = rp_metric_limit(f, x->tmpl, x->pool, x->nodes, m);
            pr->peak_util[m] = lim > 0 ? x->use.peak[m] / lim : 0;
        }
    }
}

static void push_note(rp_plan_note **arr, size_t *n, int inst, char *reason)
{
    *arr = rp_xreallocarray(*arr, *n + 1, sizeof(rp_plan_note));
    (*arr)[(*n)++] = (rp_plan_note){inst, reason};
}

const char *rp_deferred_reason(const rp_fleet *f, size_t i, bool budget_spent)
{
    if (f->inst[i].pinned)
        return "pinned";
    if (rp__solver_cooling(f, i))
        return "move cooldown";
    return budget_spent ? "move budget" : "no reef can take it";
}

void rp_solver_to_plan(const rp_solver *s, rp_plan *p)
{
    const rp_fleet *f = s->f;
    int *idx = rp_xmalloc((size_t)(s->nr + 1) * sizeof(int));
    bool *kept = rp_xmalloc((f->nreefs + 1) * sizeof *kept);
    double kept_cost = kept_by_unplaced(s, kept);
    plan_reefs(s, p, idx, kept);
    p->place = rp_xcalloc(f->ninst + 1, sizeof(rp_placement));
    rp_plan_summary *sum = &p->sum;
    sum->cost_before = rp_fleet_current_cost(f);
    bool spent = s->budget >= 0 && s->moves >= s->budget;
    for (size_t i = 0; i < f->ninst; i++) {
        int r = s->at[i];
        if (r < 0) {
            push_note(&p->unplaced, &p->nunplaced, (int)i,
                      rp_xstrdup(s->unplaced_reason[i] ? s->unplaced_reason[i]
                                                       : "no feasible reef"));
            continue;
        }
        rp_placement *pl = &p->place[p->nplace++];
        pl->inst = (int)i;
        pl->reef = idx[r];
        memcpy(pl->tier, s->tier[i], RP_NTIERS);
        pl->ded = s->ded[i];
        if (s->r[r].state == RP_REEF_DRAINING)
            push_note(&p->deferred, &p->ndeferred, (int)i,
                      rp_xstrdup(rp_deferred_reason(f, i, spent)));
        if (rp__is_move(s, i, r))
            sum->moves++;
        else if (s->orig[i] >= 0)
            for (int t = 0; t < RP_NTIERS; t++)
                sum->tier_changes += s->tier[i][t] != s->orig_tier[i][t];
    }
    sum->cost_after = kept_cost;
    for (int r = 0; r < s->nr; r++) {
        double c = true_reef_cost(s, r);
        sum->cost_after += c;
        if (s->r[r].fleet_reef < 0 && s->r[r].use.n > 0)
            sum->reefs_opened++;
        if (s->r[r].fleet_reef >= 0 && s->r[r].use.n == 0 && !kept[s->r[r].fleet_reef])
            sum->reefs_deleted++;
    }
    free(kept);
    sum->objective = rp_solver_objective(s);
    sum->lower_bound = s->lb;
    sum->unplaced = (int)p->nunplaced;
    sum->solve_seconds = rp__now_seconds() - s->t0;
    free(idx);
}

rp_plan *rp_solver_plan(rp_solver *s, rp_plan *p, int max_conc, bool *changed)
{
    const rp_fleet *f = s->f;
    *changed = false;
    for (int round = 0;; round++) {
        rp_solver_to_plan(s, p);
        int *forced = NULL;
        size_t nf = rp_plan_sequence(f, p, max_conc, &forced);
        size_t back = nf > 0 && round < 32 ? rp_solver_move_back(s, forced, nf) : 0;
        if (nf > 0 && back == 0)
            for (size_t k = 0; k < nf; k++)
                rp_log(RP_LOG_WARN,
                       "sequence: instance %s arrives past its reef's capacity: the moves "
                       "around a cycle of full reefs have no safe order",
                       f->inst[forced[k]].id);
        else if (back > 0)
            rp_log(RP_LOG_INFO,
                   "sequence: %zu arrival(s) had no safe order; %zu instance(s) stay where "
                   "they are",
                   nf, back);
        free(forced);
        if (back == 0)
            return p;
        *changed = true;
        rp_plan *q = rp_plan_new();
        memcpy(q->fingerprint, p->fingerprint, sizeof q->fingerprint);
        rp_plan_free(p);
        p = q;
    }
}

void rp_fleet_flatten_peaks(rp_fleet *f)
{
    int S = f->set.slots;
    for (size_t i = 0; i < f->ninst; i++)
        for (int m = 0; m < RP_NMETRICS; m++) {
            float pk = rp_fleet_peak(f, i, m);
            float *row = f->prof + (i * RP_NMETRICS + (size_t)m) * (size_t)S;
            for (int t = 0; t < S; t++)
                row[t] = pk;
        }
}

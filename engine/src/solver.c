#include "solver.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "bound.h"
#include "log.h"

/* Penalties steer the search; they never reach the reported objective. A
 * reef that no SKU can hold costs INFEASIBLE plus its overflow, and every
 * instance left in a draining reef costs DRAIN, so the budget goes there
 * first. */
#define PEN_INFEASIBLE 1e7
#define PEN_DRAIN 1e5
#define IMPROVE_EPS 1e-6
#define MAX_POOLS 256

typedef struct sreef {
    int fleet_reef; /* -1: a reef the plan may create */
    int region, tmpl;
    rp_reef_state state;
    rp_reef_use use;
    int pool, nodes; /* cheapest sizing of the load, -1 when none fits */
    double cost;     /* reef cost with penalties; 0 when empty */
    double shape;    /* tie-breaker: minus the sum of squared fill levels */
} sreef;

struct rp_solver {
    const rp_fleet *f;
    rp_solve_opts o;
    sreef *r;
    int nr;
    int **region_reefs; /* per region: solver reef indexes */
    int *region_nreefs;
    int *at, *orig; /* solver reef of each instance now / at the start; -1 none */
    uint8_t (*tier)[RP_NTIERS];
    uint8_t (*orig_tier)[RP_NTIERS];
    rp_ded *ded;
    bool *movable, *tier_free, *forced;
    double (*norm)[4]; /* per template: fill-level scale of db_compute, db_storage, cpu, memory */
    int *movers; /* instances that may change reef */
    int nmovers;
    int **group_members;
    int *group_size;
    int moves, budget;
    char **unplaced_reason; /* per instance, malloc'd, or NULL */
    uint64_t rng;
    double t0;
    long iters;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int rng_below(rp_solver *s, int n)
{
    return n <= 1 ? 0 : (int)(rng_next(&s->rng) % (uint64_t)n);
}


/* ---- reef cost --------------------------------------------------------- */

/* What a reef would hold: the figures rp_size_for and the cost need. */
typedef struct load {
    double peak[RP_NMETRICS];
    int nsh[RP_NTIERS];
    int n, ded_nodes;
    double share_gb_peaks, ded_cost;
    int over[MAX_POOLS];
} load;

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
    return pen + t->fixed_cost + f->cat->pools[*pool].price +
           *nodes * f->cat->vms[t->node_vm].price +
           f->cat->storage[t->storage].price_per_gb * l->share_gb_peaks + l->ded_cost;
}

/* On plateaus of cost (pools and nodes come in steps) the search prefers
 * fuller reefs: minus the sum of squared fill levels, a smooth measure that
 * rewards emptying one reef into others, which later pays as a smaller SKU
 * or a deleted reef. It only breaks ties; it is never traded against cost. */
static double shape_of(const rp_solver *s, const sreef *x, const load *l)
{
    static const int ms[4] = {RP_M_DB_COMPUTE, RP_M_DB_STORAGE, RP_M_CPU, RP_M_MEMORY};
    double sh = 0;
    for (int k = 0; k < 4; k++) {
        double u = l->peak[ms[k]] / s->norm[x->tmpl][k];
        sh -= u * u;
    }
    return sh;
}

static void refresh(rp_solver *s, int r)
{
    load l;
    load_of(s, &s->r[r], &l);
    s->r[r].cost = cost_of(s, &s->r[r], &l, &s->r[r].pool, &s->r[r].nodes);
    s->r[r].shape = shape_of(s, &s->r[r], &l);
}

/* ---- instance terms ----------------------------------------------------- */

static bool is_move(const rp_solver *s, size_t i, int reef)
{
    return s->orig[i] >= 0 && reef != s->orig[i];
}

static bool counts_in_budget(const rp_solver *s, size_t i, int reef)
{
    return is_move(s, i, reef) && !s->forced[i];
}

/* Move and tier-change cost of instance i at reef with tiers. */
static double inst_cost(const rp_solver *s, size_t i, int reef, const uint8_t tier[RP_NTIERS])
{
    const rp_fleet *f = s->f;
    if (reef < 0)
        return 0;
    if (is_move(s, i, reef))
        return f->plans[f->inst[i].plan].move_cost;
    if (s->orig[i] < 0)
        return 0;
    int changes = 0;
    for (int t = 0; t < RP_NTIERS; t++)
        changes += tier[t] != s->orig_tier[i][t];
    return changes * f->set.tier_change_cost;
}

static bool group_ok(const rp_solver *s, size_t i, int reef)
{
    int g = s->f->inst[i].group;
    if (g < 0)
        return true;
    for (int k = 0; k < s->group_size[g]; k++) {
        int j = s->group_members[g][k];
        if ((size_t)j != i && s->at[j] == reef)
            return false;
    }
    return true;
}

/* May instance i enter reef r (ignoring capacity)? */
static bool may_enter(const rp_solver *s, size_t i, int r)
{
    const sreef *x = &s->r[r];
    if (x->region != s->f->inst[i].region)
        return false;
    if (r == s->orig[i] && x->state != RP_REEF_BROKEN)
        return true; /* returning home is always allowed */
    if (x->state != RP_REEF_ACTIVE)
        return false;
    return group_ok(s, i, r);
}

static bool ded_sizes(const rp_solver *s, size_t i, int tmpl, const uint8_t tier[RP_NTIERS],
                      rp_ded *d)
{
    *d = (rp_ded){-1, 0, 0};
    return rp_ded_fill(s->f, i, tmpl, tier, d) < 0;
}

/* ---- apply ------------------------------------------------------------- */

static void inst_remove(rp_solver *s, size_t i)
{
    int r = s->at[i];
    if (r < 0)
        return;
    rp_use_add(&s->r[r].use, s->f, i, s->r[r].tmpl, s->tier[i], &s->ded[i], -1);
    if (counts_in_budget(s, i, r))
        s->moves--;
    s->at[i] = -1;
    refresh(s, r);
}

static void inst_put(rp_solver *s, size_t i, int r, const uint8_t tier[RP_NTIERS],
                     const rp_ded *d)
{
    memcpy(s->tier[i], tier, RP_NTIERS);
    s->ded[i] = *d;
    s->at[i] = r;
    rp_use_add(&s->r[r].use, s->f, i, s->r[r].tmpl, tier, d, +1);
    if (counts_in_budget(s, i, r))
        s->moves++;
    refresh(s, r);
}

/* ---- evaluation -------------------------------------------------------- */

typedef struct choice {
    int reef;
    uint8_t tier[RP_NTIERS];
    rp_ded ded;
    double delta;  /* change of the total objective, penalties included */
    double dshape; /* change of the tie-breaker */
} choice;

#define SHAPE_EPS 1e-9

/* Lexicographic: cost first, shape on equal cost. */
static bool better(double d, double ds, double bd, double bds)
{
    return d < bd - IMPROVE_EPS || (d <= bd + IMPROVE_EPS && ds < bds - SHAPE_EPS);
}

static bool improves(double d, double ds)
{
    return better(d, ds, 0, 0);
}

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
        if (!ded_sizes(s, i, x->tmpl, tier, &d))
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
        double delta = base_delta + c - x->cost + inst_cost(s, i, r, tier);
        double dshape = base_dshape + shape_of(s, x, &l) - x->shape;
        if (best->reef < 0 || better(delta, dshape, best->delta, best->dshape)) {
            best->reef = r;
            memcpy(best->tier, tier, RP_NTIERS);
            best->ded = d;
            best->delta = delta;
            best->dshape = dshape;
        }
    }
}

/* Change of reef r's cost (and tie-breaker) if instance i (in it) leaves. */
static double leave_delta(const rp_solver *s, size_t i, double *dshape)
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
    *dshape = shape_of(s, x, &l) - x->shape;
    return cost_of(s, x, &l, &pool, &nodes) - x->cost - inst_cost(s, i, r, s->tier[i]);
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
    double before = x->cost + inst_cost(s, i, r, s->tier[i]);
    for (int combo = 0; combo < 8; combo++) {
        uint8_t tier[RP_NTIERS] = {combo & 1, (combo >> 1) & 1, (combo >> 2) & 1};
        if (!memcmp(tier, s->tier[i], RP_NTIERS))
            continue;
        rp_ded d;
        if (!ded_sizes(s, i, x->tmpl, tier, &d))
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
        double delta = cost_of(s, x, &l, &pool, &nodes) + inst_cost(s, i, r, tier) - before;
        double dshape = shape_of(s, x, &l) - x->shape;
        if (best->reef < 0 || better(delta, dshape, best->delta, best->dshape)) {
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
    if ((cur >= 0 && !s->movable[i]) || !may_enter(s, i, r))
        return;
    if (s->r[r].use.n == 0 && s->r[r].fleet_reef < 0) {
        if (*opened_empty)
            return; /* empty new reefs are all alike: try one */
        *opened_empty = true;
    }
    int budget_left = s->budget < 0 ? 1 << 30 : s->budget - s->moves;
    int extra = (counts_in_budget(s, i, r) ? 1 : 0) -
                (cur >= 0 && counts_in_budget(s, i, cur) ? 1 : 0);
    if (extra > 0 && budget_left < extra)
        return;
    try_enter(s, i, r, out, out_shape, s->tier_free[i] || s->forced[i], s->tier[i], best);
}

/* Regions with more reefs than this are searched through a random sample
 * of their reefs per move (plus the instance's own and original reef). */
#define SAMPLE_ABOVE 48
#define SAMPLE_SIZE 32

/* Best destination for instance i among its region's reefs (its own reef
 * included when stay is true), honouring the move budget. */
static choice best_place(rp_solver *s, size_t i, bool stay)
{
    choice best = {.reef = -1};
    int g = s->f->inst[i].region;
    double out_shape;
    double out = leave_delta(s, i, &out_shape);
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
        int r = s->region_reefs[g][rng_below(s, n)];
        if (r != s->at[i] && r != s->orig[i])
            consider(s, i, r, stay, out, out_shape, &opened_empty, &best);
    }
    return best;
}

static void apply_choice(rp_solver *s, size_t i, const choice *c)
{
    inst_remove(s, i);
    inst_put(s, i, c->reef, c->tier, &c->ded);
}

/* ---- set-up ------------------------------------------------------------ */

static int region_of_reef_count(const rp_fleet *f, int g)
{
    int n = 0;
    for (size_t k = 0; k < f->nreefs; k++)
        if (f->reefs[k].region == g && f->reefs[k].state != RP_REEF_BROKEN &&
            f->reefs[k].state != RP_REEF_DRAINING)
            n++;
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
        sreef x = {.fleet_reef = (int)k, .region = f->reefs[k].region,
                   .tmpl = f->reefs[k].template_idx, .state = f->reefs[k].state};
        RP_VEC_PUSH(&v, sreef, x);
    }
    for (size_t g = 0; g < f->nregions; g++) {
        int room = f->regions[g].max_reefs - region_of_reef_count(f, (int)g);
        size_t in_region = 0;
        for (size_t i = 0; i < f->ninst; i++)
            in_region += f->inst[i].region == (int)g;
        long need = (long)(in_region / 20) + 2;
        if (room > need)
            room = (int)need;
        for (int k = 0; k < room; k++) {
            sreef x = {.fleet_reef = -1, .region = (int)g,
                       .tmpl = f->regions[g].template_idx, .state = RP_REEF_ACTIVE};
            RP_VEC_PUSH(&v, sreef, x);
        }
    }
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

static bool in_cooldown(const rp_fleet *f, size_t i)
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
        s->movable[i] = broken || in->reef < 0 || (!in->pinned && !in_cooldown(f, i));
        s->tier_free[i] = broken || in->reef < 0 || !in->pinned;
        if (s->movable[i] && in->reef >= 0)
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
    free(s);
}

/* ---- construction ------------------------------------------------------ */

/* Loads the current placement, sized at the cheapest fitting size. Current
 * dedicated tiers take their cheapest size; one that no size fits keeps
 * the largest so the instance is still accounted for. */
static void load_current(rp_solver *s)
{
    const rp_fleet *f = s->f;
    for (size_t i = 0; i < f->ninst; i++) {
        int r = f->inst[i].reef;
        if (r < 0 || f->reefs[r].state == RP_REEF_BROKEN)
            continue;
        rp_ded d = {-1, 0, 0};
        rp_ded_fill(f, i, s->r[r].tmpl, f->inst[i].tier, &d);
        memcpy(s->tier[i], f->inst[i].tier, RP_NTIERS);
        s->ded[i] = d;
        s->at[i] = r;
        rp_use_add(&s->r[r].use, f, i, s->r[r].tmpl, s->tier[i], &d, +1);
    }
    for (int r = 0; r < s->nr; r++)
        refresh(s, r);
}

static double size_key(const rp_fleet *f, size_t i)
{
    double k = 0;
    for (int m = 0; m < RP_NMETRICS; m++) {
        double scale = 1;
        double dp = f->plans[0].default_profile[m];
        if (dp > 0)
            scale = dp;
        k += rp_fleet_peak(f, i, m) / scale;
    }
    return k;
}

static const rp_fleet *sort_fleet;
static int cmp_size_desc(const void *a, const void *b)
{
    double x = size_key(sort_fleet, (size_t) * (const int *)a);
    double y = size_key(sort_fleet, (size_t) * (const int *)b);
    return (x < y) - (x > y);
}

/* Why instance i fits nowhere, for the plan's unplaced list. */
static char *unplaced_why(const rp_solver *s, size_t i)
{
    const rp_fleet *f = s->f;
    int g = f->inst[i].region;
    int open = 0, group = 0;
    for (int k = 0; k < s->region_nreefs[g]; k++) {
        int r = s->region_reefs[g][k];
        if (s->r[r].state == RP_REEF_ACTIVE)
            open++;
        if (s->r[r].state == RP_REEF_ACTIVE && !group_ok(s, i, r))
            group++;
    }
    if (open == 0)
        return rp_xasprintf("region %s has no active reef and no room for a new one "
                            "(max_reefs %d)",
                            f->regions[g].name, f->regions[g].max_reefs);
    if (group == open)
        return rp_xasprintf("every active reef in %s already holds an instance of group '%s'",
                            f->regions[g].name, f->groups[f->inst[i].group]);
    uint8_t sh[RP_NTIERS] = {0, 0, 0};
    rp_ded d;
    if (!ded_sizes(s, i, f->regions[g].template_idx, (uint8_t[]){1, 1, 1}, &d) &&
        !ded_sizes(s, i, f->regions[g].template_idx, sh, &d))
        return rp_xstrdup("its load exceeds every pool, single database, node pool and share "
                          "size in the catalog");
    return rp_xasprintf("no reef in %s has capacity left at every slot, and no new reef can be "
                        "opened (max_reefs %d)",
                        f->regions[g].name, f->regions[g].max_reefs);
}

/* Places every instance that has no reef (new ones, and those of broken
 * reefs), largest first, each at its cheapest feasible reef and tiers. */
static void construct(rp_solver *s)
{
    const rp_fleet *f = s->f;
    int *todo = rp_xmalloc((f->ninst ? f->ninst : 1) * sizeof(int));
    size_t n = 0;
    for (size_t i = 0; i < f->ninst; i++)
        if (s->at[i] < 0)
            todo[n++] = (int)i;
    sort_fleet = f;
    qsort(todo, n, sizeof(int), cmp_size_desc);
    for (size_t k = 0; k < n; k++) {
        size_t i = (size_t)todo[k];
        choice c = best_place(s, i, false);
        if (c.reef < 0) {
            s->unplaced_reason[i] = unplaced_why(s, i);
            continue;
        }
        inst_put(s, i, c.reef, c.tier, &c.ded);
    }
    free(todo);
}

/* ---- improvement ------------------------------------------------------- */

typedef struct undo {
    int inst, reef;
    uint8_t tier[RP_NTIERS];
    rp_ded ded;
} undo;

typedef struct journal {
    rp_vec log; /* undo entries, first touch of each instance */
    double delta, dshape;
} journal;

static void touch(journal *j, const rp_solver *s, size_t i)
{
    for (size_t k = 0; k < j->log.len; k++)
        if (RP_VEC_AT(&j->log, undo, k).inst == (int)i)
            return;
    undo u = {(int)i, s->at[i], {0}, s->ded[i]};
    memcpy(u.tier, s->tier[i], RP_NTIERS);
    RP_VEC_PUSH(&j->log, undo, u);
}

static void rollback(rp_solver *s, journal *j)
{
    for (size_t k = 0; k < j->log.len; k++)
        inst_remove(s, (size_t)RP_VEC_AT(&j->log, undo, k).inst);
    for (size_t k = 0; k < j->log.len; k++) {
        undo *u = &RP_VEC_AT(&j->log, undo, k);
        if (u->reef >= 0)
            inst_put(s, (size_t)u->inst, u->reef, u->tier, &u->ded);
    }
}

/* Relocate or re-tier one instance if that lowers the objective. */
static bool move_one(rp_solver *s, size_t i)
{
    if (s->at[i] < 0)
        return false;
    choice c = best_place(s, i, s->tier_free[i]);
    if (c.reef < 0 || !improves(c.delta, c.dshape))
        return false;
    apply_choice(s, i, &c);
    return true;
}

/* Instances of reef r that may leave it. */
static size_t members(const rp_solver *s, int r, int *out)
{
    size_t n = 0;
    for (int k = 0; k < s->nmovers; k++)
        if (s->at[s->movers[k]] == r)
            out[n++] = s->movers[k];
    return n;
}

/* Re-inserts the instances in ids (all currently unplaced), largest first,
 * each at its best reef. Returns false when one fits nowhere. */
static bool reinsert(rp_solver *s, journal *j, int *ids, size_t n)
{
    sort_fleet = s->f;
    qsort(ids, n, sizeof(int), cmp_size_desc);
    for (size_t k = 0; k < n; k++) {
        choice c = best_place(s, (size_t)ids[k], false);
        if (c.reef < 0)
            return false;
        j->delta += c.delta;
        j->dshape += c.dshape;
        inst_put(s, (size_t)ids[k], c.reef, c.tier, &c.ded);
    }
    return true;
}

/* Takes the instances in ids out of their reefs and puts them back by best
 * fit, excluding nothing; keeps the result only when it is cheaper. */
static bool ruin_recreate(rp_solver *s, int *ids, size_t n, int forbid)
{
    if (!n)
        return false;
    journal j = {0};
    for (size_t k = 0; k < n; k++) {
        size_t i = (size_t)ids[k];
        touch(&j, s, i);
        double ds;
        j.delta += leave_delta(s, i, &ds);
        j.dshape += ds;
        inst_remove(s, i);
    }
    /* Close the emptied reef to newcomers while re-inserting. */
    rp_reef_state saved = RP_REEF_ACTIVE;
    if (forbid >= 0) {
        saved = s->r[forbid].state;
        s->r[forbid].state = RP_REEF_CLOSED;
    }
    bool ok = reinsert(s, &j, ids, n);
    if (forbid >= 0)
        s->r[forbid].state = saved;
    bool keep = ok && improves(j.delta, j.dshape);
    if (!keep)
        rollback(s, &j);
    rp_vec_free(&j.log);
    return keep;
}

static int pick_nonempty_reef(rp_solver *s)
{
    for (int tries = 0; tries < 8; tries++) {
        int r = rng_below(s, s->nr);
        if (s->r[r].use.n > 0)
            return r;
    }
    return -1;
}

/* Empties a reef (the smaller of two random ones) if that pays. */
static bool empty_reef(rp_solver *s, int *buf)
{
    int a = pick_nonempty_reef(s), b = pick_nonempty_reef(s);
    if (a < 0 || (b >= 0 && s->r[b].use.n < s->r[a].use.n))
        a = b < 0 ? a : b;
    if (a < 0)
        return false;
    size_t n = members(s, a, buf);
    if (n == 0 || (int)n < s->r[a].use.n)
        return false; /* pinned or cooling-down instances keep it open */
    return ruin_recreate(s, buf, n, a);
}

/* Ruins part of two reefs of one region and rebuilds them. */
static bool shake(rp_solver *s, int *buf)
{
    int a = pick_nonempty_reef(s);
    if (a < 0)
        return false;
    int g = s->r[a].region;
    int b = s->region_reefs[g][rng_below(s, s->region_nreefs[g])];
    size_t na = members(s, a, buf), nb = b != a ? members(s, b, buf + na) : 0;
    size_t n = na + nb, keep = 0;
    size_t want = 4 + (size_t)rng_below(s, 24);
    for (size_t k = 0; k < n; k++) /* reservoir-free subsample: keep ~want */
        if ((size_t)rng_below(s, (int)n) < want)
            buf[keep++] = buf[k];
    return ruin_recreate(s, buf, keep, -1);
}

static bool out_of_time(rp_solver *s)
{
    return s->o.time_limit > 0 && now_seconds() - s->t0 > s->o.time_limit;
}

void rp_solver_run(rp_solver *s)
{
    const rp_fleet *f = s->f;
    s->t0 = now_seconds();
    load_current(s);
    construct(s);
    int *buf = rp_xmalloc((f->ninst + 1) * sizeof(int));
    /* Draining reefs first: every instance tries to leave while budget lasts. */
    for (int k = 0; k < s->nmovers; k++) {
        size_t i = (size_t)s->movers[k];
        if (s->at[i] >= 0 && s->r[s->at[i]].state == RP_REEF_DRAINING)
            move_one(s, i);
    }
    long max_iters = s->o.max_iters > 0 ? s->o.max_iters : 40L * s->nmovers + 4000;
    long stall_limit = 4000 + 4L * s->nmovers;
    long stall = 0;
    for (s->iters = 0; s->iters < max_iters && stall < stall_limit && s->nmovers + f->ninst > 0;
         s->iters++) {
        if ((s->iters & 63) == 0 && out_of_time(s))
            break;
        int u = rng_below(s, 100);
        bool better;
        if (u < 70) {
            size_t i = (size_t)rng_below(s, (int)f->ninst);
            better = move_one(s, i);
        } else if (u < 88) {
            better = empty_reef(s, buf);
        } else {
            better = shake(s, buf);
        }
        stall = better ? 0 : stall + 1;
    }
    free(buf);
    rp_log(RP_LOG_INFO, "search: %ld iterations, %.2f s, objective %.2f", s->iters,
           now_seconds() - s->t0, rp_solver_objective(s));
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

double rp_solver_objective(const rp_solver *s)
{
    double total = 0;
    for (int r = 0; r < s->nr; r++)
        total += true_reef_cost(s, r);
    for (size_t i = 0; i < s->f->ninst; i++)
        total += inst_cost(s, i, s->at[i], s->tier[i]);
    return total;
}

/* Name for the k-th reef the plan creates in a region: the region's naming
 * pattern (prefix of its first reef, digits stripped) with the next free
 * number. */
static char *new_reef_name(const rp_fleet *f, int g, rp_vec *taken)
{
    const char *pattern = NULL;
    for (size_t k = 0; k < f->nreefs && !pattern; k++)
        if (f->reefs[k].region == g)
            pattern = f->reefs[k].name;
    char prefix[128];
    if (pattern) {
        size_t n = strlen(pattern);
        while (n > 0 && pattern[n - 1] >= '0' && pattern[n - 1] <= '9')
            n--;
        snprintf(prefix, sizeof prefix, "%.*s", (int)n, pattern);
    } else {
        snprintf(prefix, sizeof prefix, "%s-", f->regions[g].name);
    }
    for (int num = 1;; num++) {
        char *name = rp_xasprintf("%s%02d", prefix, num);
        bool used = rp_fleet_find_reef(f, name) >= 0;
        for (size_t k = 0; k < taken->len && !used; k++)
            used = !strcmp(RP_VEC_AT(taken, char *, k), name);
        if (!used) {
            RP_VEC_PUSH(taken, char *, name);
            return name;
        }
        free(name);
    }
}

static void plan_reefs(const rp_solver *s, rp_plan *p, int *plan_index)
{
    const rp_fleet *f = s->f;
    rp_vec taken = {0};
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
        pr->deleted = x->use.n == 0;
        if (x->fleet_reef >= 0) {
            pr->name = rp_xstrdup(f->reefs[x->fleet_reef].name);
            pr->pool = f->reefs[x->fleet_reef].pool;
            pr->nodes = f->reefs[x->fleet_reef].nodes;
        } else {
            pr->name = rp_xstrdup(new_reef_name(f, x->region, &taken));
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
    for (size_t k = 0; k < taken.len; k++)
        free(RP_VEC_AT(&taken, char *, k));
    rp_vec_free(&taken);
}

static void push_note(rp_plan_note **arr, size_t *n, int inst, char *reason)
{
    *arr = rp_xreallocarray(*arr, *n + 1, sizeof(rp_plan_note));
    (*arr)[(*n)++] = (rp_plan_note){inst, reason};
}

static const char *deferred_why(const rp_solver *s, size_t i)
{
    if (s->f->inst[i].pinned)
        return "pinned";
    if (!s->movable[i])
        return "move cooldown";
    return "move budget";
}

void rp_solver_to_plan(const rp_solver *s, rp_plan *p)
{
    const rp_fleet *f = s->f;
    int *idx = rp_xmalloc((size_t)(s->nr + 1) * sizeof(int));
    plan_reefs(s, p, idx);
    p->place = rp_xcalloc(f->ninst + 1, sizeof(rp_placement));
    rp_plan_summary *sum = &p->sum;
    sum->cost_before = rp_fleet_current_cost(f);
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
            push_note(&p->deferred, &p->ndeferred, (int)i, rp_xstrdup(deferred_why(s, i)));
        if (is_move(s, i, r))
            sum->moves++;
        else if (s->orig[i] >= 0)
            for (int t = 0; t < RP_NTIERS; t++)
                sum->tier_changes += s->tier[i][t] != s->orig_tier[i][t];
    }
    for (int r = 0; r < s->nr; r++) {
        double c = true_reef_cost(s, r);
        sum->cost_after += c;
        if (s->r[r].fleet_reef < 0 && s->r[r].use.n > 0)
            sum->reefs_opened++;
        if (s->r[r].fleet_reef >= 0 && s->r[r].use.n == 0)
            sum->reefs_deleted++;
    }
    sum->objective = rp_solver_objective(s);
    bool *placed = rp_xcalloc(f->ninst + 1, sizeof(bool));
    for (size_t i = 0; i < f->ninst; i++)
        placed[i] = s->at[i] >= 0;
    sum->lower_bound = rp_lower_bound(f, placed, s->budget);
    free(placed);
    sum->unplaced = (int)p->nunplaced;
    sum->solve_seconds = now_seconds() - s->t0;
    free(idx);
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

/* bound_steps.c - the lower bound's step part: a reef buys its pool and its
 * nodes in whole sizes, and few of its instances may leave it.
 *
 * With a small move budget most instances stay where they are, so each
 * reef's pool and node count must cover, at whole sizes, the load of the
 * instances it keeps. Per resource (the pool, the nodes) and region:
 *
 *   min  sum_r price(size_r) + sum_i (i shared ? 0 : dedicated_i) + moves
 *   s.t. size_r covers, at every slot and metric, what reef r keeps shared
 *        at most B instances leave their reefs
 *        sum_r cap(size_r) >= sum_i shared load_i  at the region's busiest
 *                                                  slot of one metric
 *
 * The last row (implied by the rest once moved instances are counted where
 * they land) is relaxed with a multiplier mu in [0, best unit price]:
 * instance i then pays a_i = min(dedicated_i, mu x load_i) wherever it goes,
 * a size costs price - mu x cap (never negative, so new reefs are not worth
 * opening), and what a reef keeps need not leave room for arrivals. Each
 * reef's part, for k of its instances leaving, is bounded below by: for
 * each size, the cheapest fractional cover, by dedicated sizes, of what its
 * busiest slots exceed once the k largest movable loads are gone (the k
 * cheapest migrations paid). A knapsack over reefs spreads the budget. At
 * mu = 0 it is the sum of whole sizes; at the unit price, close to the
 * fleet-wide bound; the best mu is searched. At each reef's busiest slot
 * per metric the cover is also taken with whole instances (a knapsack on a
 * grid, loads rounded up): a dedicated database is bought whole, and that
 * is most of what a reef's sizes cost above the unit price.
 *
 * Draining reefs count like active ones: their instances may stay (the
 * budget can run out, or go to other reefs first), and moves out of them
 * use the budget and pay their migrations like any other. Any reef's room
 * for arrivals is dropped.
 *
 * Pool and nodes share one knapsack over reefs (the same instances leave a
 * reef for both); migrations and each open reef's fixed cost are counted
 * once, with the pool. Shared storage is priced per GB and adds as in the
 * fleet-wide bound. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "bound_int.h"
#include "capacity.h"

#define STEP_SLOTS 3      /* busiest slots checked per reef and metric */
#define STEP_KCAP 32      /* leavers per reef counted one by one */
#define STEP_MAX_LEVELS 8 /* node counts tried below the one that holds all */
#define STEP_MU_GRID 4
#define STEP_MU_REFINE 4
/* The whole-instance cover of a reef's busiest slot: loads on a grid of
 * 1/STEP_GRID_PER_STEP of the smallest step between sizes, up to
 * STEP_GRID_CELLS cells. Rounding is what this part loses: on the
 * generated 10k x 24 fleet a grid of 1/100 gives three quarters of what a
 * near-exact one (1/2000) adds over 1/50, in about the same time; the
 * near-exact one takes more than ten times as long. */
#define STEP_GRID_PER_STEP 100
#define STEP_GRID_CELLS 400

/* A size: its price, the capacity the multiplier credits, and the
 * capacity per metric its cover is taken at. */
typedef struct level {
    double price, mucap, cap[2];
} level;

typedef struct citem {
    double ratio, load, cost;
} citem;

/* One reef, for one resource. */
typedef struct breef {
    int *ids;
    int n, nmov, K; /* instances, movable ones, leavers counted one by one */
    bool held;      /* keeps an immovable instance */
    int t[2][STEP_SLOTS], nt[2];
    double full[2][STEP_SLOTS]; /* shared-able load at those slots */
    double *top[2][STEP_SLOTS]; /* prefix sums of the largest movable loads, K + 1 */
    double *mc;                 /* prefix sums of the cheapest migrations, nmov + 1 */
    level *lv; /* sizes; with few node counts tried, the first stands for all smaller */
    int nlv;
    double cell[2]; /* grid of the whole-instance cover, per metric */
} breef;

typedef struct bres {
    const rctx *c;
    int res, tier, m[2];
    int aggm, aggt; /* metric index (0, 1) and slot of the relaxed row */
    double mu_max;
    int budget; /* leavers, all reefs together */
    breef *reefs;
    int nreefs;
    int *loose; /* instances of no active or draining reef */
    int nloose;
} bres;

/* fmin without the NaN rules (no NaN reaches here), which keeps it inline. */
static inline double dmin(double a, double b)
{
    return a < b ? a : b;
}

static int cmp_ratio(const void *a, const void *b)
{
    double x = ((const citem *)a)->ratio, y = ((const citem *)b)->ratio;
    return (x > y) - (x < y);
}

static bool pinned_tier(const rp_fleet *f, size_t i, int tier, int want)
{
    return rp__pinned(f, i) && f->inst[i].tier[tier] == want;
}

/* Load of i that shared capacity may have to hold (not pinned dedicated). */
static double load_of(const bres *b, size_t i, int mi, int t)
{
    if (pinned_tier(b->c->f, i, b->tier, RP_DEDICATED))
        return 0;
    return rp_fleet_profile(b->c->f, i, b->m[mi])[t];
}

/* What i pays at multiplier mu wherever it is. */
static double a_of(const bres *b, size_t i, double mu)
{
    const rp_fleet *f = b->c->f;
    double ded = b->c->ded[i][b->tier];
    double sh = mu * rp_fleet_profile(f, i, b->m[b->aggm])[b->aggt];
    if (pinned_tier(f, i, b->tier, RP_DEDICATED))
        return ded;
    if (pinned_tier(f, i, b->tier, RP_SHARED))
        return sh;
    return dmin(sh, ded);
}

static void reef_levels(const bres *b, int r, breef *x)
{
    const rp_fleet *f = b->c->f;
    const double *h = f->set.headroom;
    if (b->res == 0) {
        x->lv = rp_xmalloc((f->cat->npools + 1) * sizeof(level));
        for (size_t k = 0; k < f->cat->npools; k++) {
            const rp_pool_sku *p = &f->cat->pools[k];
            level l = {p->price,
                       0,
                       {p->db_compute * (1 - h[RP_M_DB_COMPUTE]),
                        p->max_storage_gb * (1 - h[RP_M_DB_STORAGE])}};
            l.mucap = l.cap[b->aggm];
            x->lv[x->nlv++] = l;
        }
        return;
    }
    const rp_template *tp = &f->cat->templates[f->reefs[r].template_idx];
    const rp_vm_sku *vm = &f->cat->vms[tp->node_vm];
    double cap1[2] = {vm->alloc_cpu * (1 - h[RP_M_CPU]),
                      vm->alloc_memory_gb * (1 - h[RP_M_MEMORY])};
    int hi = tp->min_nodes;
    for (int mi = 0; mi < 2; mi++)
        for (int s = 0; s < x->nt[mi]; s++)
            if (cap1[mi] > 0 && x->full[mi][s] / cap1[mi] > hi)
                hi = (int)dmin(ceil(x->full[mi][s] / cap1[mi] - 1e-9), tp->max_nodes);
    hi = hi < tp->max_nodes ? hi : tp->max_nodes;
    int lo = hi - STEP_MAX_LEVELS > tp->min_nodes ? hi - STEP_MAX_LEVELS : tp->min_nodes;
    x->lv = rp_xmalloc((size_t)(hi - lo + 2) * sizeof(level));
    if (lo > tp->min_nodes)
        /* Every smaller count: priced as the minimum count (the multiplier
         * never makes a node cost less than nothing), covered as lo - 1. */
        x->lv[x->nlv++] = (level){tp->min_nodes * vm->price,
                                  tp->min_nodes * cap1[b->aggm],
                                  {(lo - 1) * cap1[0], (lo - 1) * cap1[1]}};
    for (int n = lo; n <= hi; n++)
        x->lv[x->nlv++] = (level){n * vm->price, n * cap1[b->aggm], {n * cap1[0], n * cap1[1]}};
}

/* Busiest STEP_SLOTS slots of reef x per metric, and the prefix sums. */
static void reef_setup(const bres *b, int r, breef *x)
{
    const rp_fleet *f = b->c->f;
    int S = f->set.slots;
    double *sum = rp_xmalloc((size_t)S * sizeof(double));
    double *v = rp_xmalloc(((size_t)x->n + 1) * sizeof(double));
    x->K = x->nmov < STEP_KCAP ? x->nmov : STEP_KCAP;
    for (int mi = 0; mi < 2; mi++) {
        memset(sum, 0, (size_t)S * sizeof(double));
        for (int j = 0; j < x->n; j++)
            for (int t = 0; t < S; t++)
                sum[t] += load_of(b, (size_t)x->ids[j], mi, t);
        x->nt[mi] = 0;
        for (int s = 0; s < STEP_SLOTS && s < S; s++) {
            int best = -1;
            for (int t = 0; t < S; t++) {
                bool used = false;
                for (int q = 0; q < s; q++)
                    used |= x->t[mi][q] == t;
                if (!used && (best < 0 || sum[t] > sum[best]))
                    best = t;
            }
            x->t[mi][s] = best;
            x->full[mi][s] = sum[best];
            int k = 0;
            for (int j = 0; j < x->n; j++)
                if (!rp__immovable(f, (size_t)x->ids[j]))
                    v[k++] = load_of(b, (size_t)x->ids[j], mi, best);
            qsort(v, (size_t)k, sizeof *v, rp__cmp_desc);
            x->top[mi][s] = rp_xcalloc((size_t)x->K + 1, sizeof(double));
            for (int q = 0; q < x->K; q++)
                x->top[mi][s][q + 1] = x->top[mi][s][q] + v[q];
            x->nt[mi]++;
        }
    }
    int k = 0;
    for (int j = 0; j < x->n; j++)
        if (!rp__immovable(f, (size_t)x->ids[j]))
            v[k++] = f->plans[f->inst[x->ids[j]].plan].move_cost;
    qsort(v, (size_t)k, sizeof *v, rp__cmp_desc);
    x->mc = rp_xcalloc((size_t)k + 1, sizeof(double));
    for (int q = 0; q < k; q++)
        x->mc[q + 1] = x->mc[q] + v[k - 1 - q]; /* cheapest first */
    free(v);
    free(sum);
    reef_levels(b, r, x);
    for (int mi = 0; mi < 2; mi++) {
        double gap = INFINITY, top = 0;
        for (int p = 0; p < x->nlv; p++) {
            top = fmax(top, x->lv[p].cap[mi]);
            for (int q = 0; q < x->nlv; q++) {
                double d = x->lv[q].cap[mi] - x->lv[p].cap[mi];
                if (d > 1e-9)
                    gap = dmin(gap, d);
            }
        }
        x->cell[mi] = (isfinite(gap) ? gap : fmax(top, 1)) / STEP_GRID_PER_STEP;
    }
}

/* Cheapest fractional cover of `need` by the sorted items it[0..n) (prefix
 * sums pl, pc); INFINITY when they do not reach. */
static double cover(const citem *it, const double *pl, const double *pc, int n, double need)
{
    if (need <= 1e-9)
        return 0;
    if (need > pl[n] + 1e-9)
        return INFINITY;
    int lo = 0, hi = n - 1; /* first j with pl[j + 1] >= need */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (pl[mid + 1] >= need)
            hi = mid;
        else
            lo = mid + 1;
    }
    return pc[lo] + (need - pl[lo]) * it[lo].ratio;
}

/* Cheapest whole-instance cover by items it[0..n): out[x] for at least x
 * cells (cell size c), x = 0..STEP_GRID_CELLS. Loads are rounded up and
 * needs down, so it never says more than the true cover costs. */
static void cover_grid(const citem *it, int n, double c, double *out)
{
    const int X = STEP_GRID_CELLS;
    for (int x = 0; x <= X; x++)
        out[x] = x == 0 ? 0 : INFINITY;
    for (int k = 0; k < n; k++) {
        double w = ceil(it[k].load / c);
        int step = w >= X ? X : (int)w;
        for (int x = X; x >= 0; x--) {
            if (!isfinite(out[x]))
                continue;
            int y = x + step < X ? x + step : X;
            if (out[x] + it[k].cost < out[y])
                out[y] = out[x] + it[k].cost;
        }
    }
    for (int x = X - 1; x >= 0; x--) /* at least x */
        out[x] = dmin(out[x], out[x + 1]);
}

/* Value of reef x at multiplier mu for each number of leavers k = 0..K
 * (val[0..K]), beyond K (val[K + 1], when more may leave) and when all
 * leave (*closed, INFINITY when it cannot close). */
static void reef_value(const bres *b, const breef *x, double mu, double *val, double *closed)
{
    const rp_fleet *f = b->c->f;
    double base = 0;
    int ns = x->nt[0] + x->nt[1];
    citem *it = rp_xmalloc(((size_t)x->n + 1) * (size_t)ns * sizeof(citem));
    double *pl = rp_xmalloc(((size_t)x->n + 1) * (size_t)ns * sizeof(double));
    double *pc = rp_xmalloc(((size_t)x->n + 1) * (size_t)ns * sizeof(double));
    int cnt[2 * STEP_SLOTS];
    double *grid[2 * STEP_SLOTS] = {0};
    for (int j = 0; j < x->n; j++)
        base += a_of(b, (size_t)x->ids[j], mu);
    int q = 0;
    for (int mi = 0; mi < 2; mi++)
        for (int s = 0; s < x->nt[mi]; s++, q++) {
            citem *w = it + (size_t)q * ((size_t)x->n + 1);
            int n = 0;
            for (int j = 0; j < x->n; j++) {
                size_t i = (size_t)x->ids[j];
                double l = load_of(b, i, mi, x->t[mi][s]), ded = b->c->ded[i][b->tier];
                if (l <= 0 || !isfinite(ded) || pinned_tier(f, i, b->tier, RP_SHARED))
                    continue;
                double cost = fmax(0, ded - a_of(b, i, mu));
                w[n++] = (citem){cost / l, l, cost};
            }
            qsort(w, (size_t)n, sizeof *w, cmp_ratio);
            double *L = pl + (size_t)q * ((size_t)x->n + 1),
                   *C = pc + (size_t)q * ((size_t)x->n + 1);
            L[0] = C[0] = 0;
            for (int k = 0; k < n; k++) {
                L[k + 1] = L[k] + w[k].load;
                C[k + 1] = C[k] + w[k].cost;
            }
            cnt[q] = n;
            if (s == 0) {
                grid[q] = rp_xmalloc((STEP_GRID_CELLS + 1) * sizeof(double));
                cover_grid(w, n, x->cell[mi], grid[q]);
            }
        }
    /* Migrations and the reef's fixed cost are counted with the pool. */
    double mcw = b->res == 0 ? 1 : 0, fixed = b->res == 0 ? b->c->u.fixed_min : 0;
    double cheapest = INFINITY;
    for (int v = 0; v < x->nlv; v++)
        cheapest = dmin(cheapest, x->lv[v].price - mu * x->lv[v].mucap);
    for (int k = 0; k <= x->K; k++) {
        double best = INFINITY;
        for (int v = 0; v < x->nlv; v++) {
            const level *lv = &x->lv[v];
            double need = 0;
            int qq = 0;
            for (int mi = 0; mi < 2; mi++)
                for (int s = 0; s < x->nt[mi]; s++, qq++) {
                    size_t off = (size_t)qq * ((size_t)x->n + 1);
                    double ex = x->full[mi][s] - lv->cap[mi] - x->top[mi][s][k];
                    need = fmax(need, cover(it + off, pl + off, pc + off, cnt[qq], ex));
                    if (grid[qq] && ex > 0) {
                        double cells = floor(ex / x->cell[mi]);
                        need =
                            fmax(need,
                                 grid[qq][cells >= STEP_GRID_CELLS ? STEP_GRID_CELLS : (int)cells]);
                    }
                }
            best = dmin(best, lv->price - mu * lv->mucap + need);
        }
        val[k] = base + fixed + best + mcw * x->mc[k];
    }
    val[x->K + 1] = x->nmov > x->K ? base + fixed + cheapest + mcw * x->mc[x->K + 1] : INFINITY;
    *closed = !x->held ? base + mcw * x->mc[x->nmov] : INFINITY;
    for (int k = 0; k < 2 * STEP_SLOTS; k++)
        free(grid[k]);
    free(pc);
    free(pl);
    free(it);
}

/* Per reef, one resource's values at one multiplier (reef_value), with
 * the loose instances' part. */
typedef struct rvals {
    double *val; /* nreefs x (STEP_KCAP + 3): k = 0..K, beyond K, closed */
    double loose;
} rvals;

#define VSTRIDE (STEP_KCAP + 3)

static void values_at(const bres *b, double mu, rvals *v)
{
    for (int r = 0; r < b->nreefs; r++) {
        double *row = v->val + (size_t)r * VSTRIDE;
        reef_value(b, &b->reefs[r], mu, row, &row[STEP_KCAP + 2]);
    }
    v->loose = 0;
    for (int j = 0; j < b->nloose; j++)
        v->loose += a_of(b, (size_t)b->loose[j], mu);
}

/* The knapsack over reefs: the same instances leave a reef for both
 * resources, so both resources' values are added before the budget is
 * spread. best[u], u = 0..b->budget: the bound when at most u instances
 * leave their reefs. */
static void knapsack_all(const bres *b, const rvals *v0, const rvals *v1, double *best)
{
    int B = b->budget;
    double *dp = rp_xmalloc(((size_t)B + 1) * sizeof(double));
    double *nx = rp_xmalloc(((size_t)B + 1) * sizeof(double));
    for (int u = 0; u <= B; u++)
        dp[u] = u == 0 ? 0 : INFINITY;
    for (int r = 0; r < b->nreefs; r++) {
        const breef *x = &b->reefs[r];
        const double *a = v0->val + (size_t)r * VSTRIDE, *c = v1->val + (size_t)r * VSTRIDE;
        for (int u = 0; u <= B; u++)
            nx[u] = INFINITY;
        for (int u = 0; u <= B; u++) {
            if (!isfinite(dp[u]))
                continue;
            for (int k = 0; k <= x->K + 1 && u + k <= B; k++)
                nx[u + k] = dmin(nx[u + k], dp[u] + a[k] + c[k]);
            if (u + x->nmov <= B)
                nx[u + x->nmov] =
                    dmin(nx[u + x->nmov], dp[u] + a[STEP_KCAP + 2] + c[STEP_KCAP + 2]);
        }
        double *t = dp;
        dp = nx;
        nx = t;
    }
    double run = INFINITY;
    for (int u = 0; u <= B; u++) {
        run = dmin(run, dp[u]);
        best[u] = run + v0->loose + v1->loose;
    }
    free(nx);
    free(dp);
}

/* The bound at the whole budget. */
static double knapsack(const bres *b, const rvals *v0, const rvals *v1)
{
    double *best = rp_xmalloc(((size_t)b->budget + 1) * sizeof(double));
    knapsack_all(b, v0, v1, best);
    double v = best[b->budget];
    free(best);
    return v;
}

/* The relaxed row's metric and slot: the region's busiest, priced. */
static void pick_row(bres *b, const int *ids, int n)
{
    const rp_fleet *f = b->c->f;
    int S = f->set.slots;
    double *sum = rp_xmalloc((size_t)S * sizeof(double)), worth = -1;
    for (int mi = 0; mi < 2; mi++) {
        memset(sum, 0, (size_t)S * sizeof(double));
        for (int j = 0; j < n; j++)
            for (int t = 0; t < S; t++)
                sum[t] += load_of(b, (size_t)ids[j], mi, t);
        double up = rp__unit_price(&b->c->u, b->m[mi]);
        for (int t = 0; t < S; t++)
            if (up * sum[t] > worth) {
                worth = up * sum[t];
                b->aggm = mi;
                b->aggt = t;
                b->mu_max = up;
            }
    }
    free(sum);
}

/* A reef whose instances may stay: active or draining. */
static bool kept_reef(const rp_fleet *f, int r)
{
    return f->reefs[r].state == RP_REEF_ACTIVE || f->reefs[r].state == RP_REEF_DRAINING;
}

static void setup(bres *b, int *ids, int n)
{
    const rp_fleet *f = b->c->f;
    pick_row(b, ids, n);
    b->reefs = rp_xcalloc(f->nreefs + 1, sizeof(breef));
    b->loose = rp_xmalloc(((size_t)n + 1) * sizeof(int));
    for (size_t r = 0; r < f->nreefs; r++) {
        if (f->reefs[r].region != b->c->g || !kept_reef(f, (int)r))
            continue;
        breef *x = &b->reefs[b->nreefs++];
        const size_t *st = b->c->rstart;
        x->ids = rp_xmalloc((st[r + 1] - st[r] + 1) * sizeof(int));
        for (size_t k = st[r]; k < st[r + 1]; k++) {
            int i = b->c->rids[k];
            x->ids[x->n++] = i;
            if (rp__immovable(f, (size_t)i))
                x->held = true;
            else
                x->nmov++;
        }
        reef_setup(b, (int)r, x);
    }
    for (int j = 0; j < n; j++) {
        int r = f->inst[ids[j]].reef;
        if (r < 0 || !kept_reef(f, r))
            b->loose[b->nloose++] = ids[j];
    }
}

static void teardown(bres *b)
{
    for (int r = 0; r < b->nreefs; r++) {
        breef *x = &b->reefs[r];
        for (int mi = 0; mi < 2; mi++)
            for (int s = 0; s < x->nt[mi]; s++)
                free(x->top[mi][s]);
        free(x->mc);
        free(x->lv);
        free(x->ids);
    }
    free(b->reefs);
    free(b->loose);
}

/* The search of one multiplier, the other resource's values fixed. */
typedef struct musearch {
    const bres *b;
    int res;
    rvals *v, t;
    double best, mu;
} musearch;

/* The bound at multiplier m (its values in `known` when not NULL); the
 * best one so far is kept in v[res]. */
static double try_mu(musearch *q, double m, const rvals *known)
{
    const bres *x = &q->b[q->res];
    if (known) {
        memcpy(q->t.val, known->val, (size_t)(x->nreefs + 1) * VSTRIDE * sizeof(double));
        q->t.loose = known->loose;
    } else {
        values_at(x, m, &q->t);
    }
    double val = q->res == 0 ? knapsack(q->b, &q->t, &q->v[1]) : knapsack(q->b, &q->v[0], &q->t);
    if (val > q->best) {
        q->best = val;
        q->mu = m;
        memcpy(q->v[q->res].val, q->t.val, (size_t)(x->nreefs + 1) * VSTRIDE * sizeof(double));
        q->v[q->res].loose = q->t.loose;
    }
    return val;
}

/* Best multiplier of resource res, the other's values fixed: a grid (its
 * values in grid[0..STEP_MU_GRID]), then golden sections around its best
 * point. Leaves the best values in v[res] and returns the bound there. */
static double best_mu(const bres *b, int res, rvals v[2], double *mu, double now, const rvals *grid)
{
    const bres *x = &b[res];
    musearch q = {b,   res, v, {rp_xmalloc((size_t)(x->nreefs + 1) * VSTRIDE * sizeof(double)), 0},
                  now, *mu};
    double step = x->mu_max / STEP_MU_GRID;
    for (int k = 0; k <= STEP_MU_GRID; k++)
        try_mu(&q, k * step, &grid[k]);
    double lo = fmax(0, q.mu - step), hi = dmin(x->mu_max, q.mu + step);
    const double phi = 0.6180339887498949;
    double x1 = hi - phi * (hi - lo), x2 = lo + phi * (hi - lo);
    double f1 = try_mu(&q, x1, NULL), f2 = try_mu(&q, x2, NULL);
    for (int k = 0; k < STEP_MU_REFINE; k++) {
        if (f1 > f2) {
            hi = x2, x2 = x1, f2 = f1;
            x1 = hi - phi * (hi - lo);
            f1 = try_mu(&q, x1, NULL);
        } else {
            lo = x1, x1 = x2, f1 = f2;
            x2 = lo + phi * (hi - lo);
            f2 = try_mu(&q, x2, NULL);
        }
    }
    free(q.t.val);
    *mu = q.mu;
    return q.best;
}

void rp__step_bounds(const rctx *c, const int *budgets, int nb, double *out)
{
    const rp_fleet *f = c->f;
    int budget = budgets[nb - 1];
    for (int j = 0; j < nb; j++)
        out[j] = 0;
    if (budget < 0 || f->ninst > RP_STEP_BOUND_MAX_INSTANCES)
        return;
    int *ids = rp_xmalloc((f->ninst + 1) * sizeof(int));
    int n = 0;
    for (size_t i = 0; i < f->ninst; i++)
        if (f->inst[i].region == c->g && (!c->placed || c->placed[i]))
            ids[n++] = (int)i;
    bres b[2];
    rvals v[2], grid[2][STEP_MU_GRID + 1];
    double mu[2];
    for (int res = 0; res < 2; res++) {
        b[res] = (bres){
            .c = c,
            .res = res,
            .tier = res == 0 ? RP_TIER_DB : RP_TIER_COMPUTE,
            .m = {res == 0 ? RP_M_DB_COMPUTE : RP_M_CPU, res == 0 ? RP_M_DB_STORAGE : RP_M_MEMORY},
            .budget = budget < n ? budget : n};
        setup(&b[res], ids, n);
        size_t sz = (size_t)(b[res].nreefs + 1) * VSTRIDE * sizeof(double);
        for (int k = 0; k <= STEP_MU_GRID; k++) {
            grid[res][k].val = rp_xmalloc(sz);
            values_at(&b[res], k * (b[res].mu_max / STEP_MU_GRID), &grid[res][k]);
        }
        /* The search starts at the unit price, the last grid point (k x
         * (mu_max / 4) is mu_max exactly for k = 4). */
        v[res].val = rp_xmalloc(sz);
        memcpy(v[res].val, grid[res][STEP_MU_GRID].val, sz);
        v[res].loose = grid[res][STEP_MU_GRID].loose;
        mu[res] = b[res].mu_max;
    }
    /* Below the whole budget (when the fleet's is split among regions):
     * the best pair of multipliers on a grid, each knapsack read at every
     * budget at once. The pool's multiplier takes every grid point, the
     * nodes' three (the others gave nothing more on generated fleets). */
    for (int j = 0; j < nb; j++)
        out[j] = -INFINITY;
    if (nb > 1) {
        double *best = rp_xmalloc(((size_t)b[0].budget + 1) * sizeof(double));
        for (int k0 = 0; k0 <= STEP_MU_GRID; k0++)
            for (int k1 = 0; k1 <= STEP_MU_GRID; k1 += STEP_MU_GRID / 2) {
                knapsack_all(b, &grid[0][k0], &grid[1][k1], best);
                for (int j = 0; j < nb; j++)
                    out[j] =
                        fmax(out[j], best[budgets[j] < b[0].budget ? budgets[j] : b[0].budget]);
            }
        free(best);
    }
    /* The whole budget: one round of coordinate ascent over the two
     * multipliers, from the unit prices (a second round gained less than
     * 0.01% on generated fleets). */
    double total = knapsack(b, &v[0], &v[1]);
    for (int res = 0; res < 2; res++)
        total = best_mu(b, res, v, &mu[res], total, grid[res]);
    out[nb - 1] = fmax(out[nb - 1], total);
    for (int res = 0; res < 2; res++) {
        for (int k = 0; k <= STEP_MU_GRID; k++)
            free(grid[res][k].val);
        free(v[res].val);
        teardown(&b[res]);
    }
    double sto = 0;
    for (int j = 0; j < n; j++)
        sto += rp__storage_term(c, (size_t)ids[j]);
    free(ids);
    for (int j = 0; j < nb; j++)
        out[j] = isfinite(out[j]) ? out[j] + sto : 0;
}

/* bound_int.h - what the parts of the lower bound share (bound.c,
 * bound_steps.c). */
#ifndef RP_BOUND_INT_H
#define RP_BOUND_INT_H

#include "fleet.h"

/* Best unit prices of a region: the least any plan can pay per unit of
 * shared capacity, and the cheapest fixed parts of a reef. */
typedef struct unit {
    double dbc, dbs, cpu, mem; /* per unit of load, headroom included */
    double pool_min, nodes_min, fixed_min;
} unit;

/* One region's bound in the making. */
typedef struct rctx {
    const rp_fleet *f;
    int g;
    unit u;
    double ppg;               /* best shared storage price per GB */
    double (*ded)[RP_NTIERS]; /* per instance: cheapest dedicated price per tier */
    const bool *placed;       /* NULL: every instance */
    /* The region's placed instances by reef, in instance order: reef r's
     * are rids[rstart[r] .. rstart[r + 1]) (rp_lower_bound_regions). */
    const size_t *rstart;
    const int *rids;
} rctx;

static inline double rp__unit_price(const unit *u, int m)
{
    return m == RP_M_DB_COMPUTE   ? u->dbc
           : m == RP_M_DB_STORAGE ? u->dbs
           : m == RP_M_CPU        ? u->cpu
                                  : u->mem;
}

/* Instance i must stay in its reef (pinned, or moved too recently). */
bool rp__immovable(const rp_fleet *f, size_t i);

/* Instance i keeps its reef and tiers: pinned, in a reef that is not
 * broken. */
static inline bool rp__pinned(const rp_fleet *f, size_t i)
{
    const rp_instance *in = &f->inst[i];
    return in->pinned && in->reef >= 0 && f->reefs[in->reef].state != RP_REEF_BROKEN;
}

/* qsort comparators of doubles: ascending, descending. */
int rp__cmp_double(const void *a, const void *b);
int rp__cmp_desc(const void *a, const void *b);

/* What instance i pays for storage at least: the best shared price per GB
 * at its peak, or its dedicated share (a pinned tier has no choice). */
double rp__storage_term(const rctx *c, size_t i);

/* Fleets above this many instances skip the step bound (its time grows
 * with instances x reefs). */
#define RP_STEP_BOUND_MAX_INSTANCES 200000

/* The step bound of region c->g (bound_steps.c): pools and nodes bought in
 * whole sizes, reef by reef, with at most budgets[j] instances moving, in
 * out[j] for j = 0..nb); budgets increase, and the multipliers are searched
 * closest for the last. 0 when the budget is unlimited or the fleet too
 * large. */
void rp__step_bounds(const rctx *c, const int *budgets, int nb, double *out);

#endif

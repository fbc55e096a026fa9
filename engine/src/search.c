/* search.c - construction and improvement moves of the rebalance search:
 * placing what has no reef, relocating and re-tiering instances, emptying
 * reefs, ruin-and-recreate, and the loop that runs them with the
 * elimination of a reef by ejection chains (eliminate.c) and the exact
 * steps (exact.c). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bound.h"
#include "log.h"
#include "solver_int.h"

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
        memcpy(s->tier[i], f->inst[i].tier, RP_NTIERS);
        /* A dedicated tier that no size holds starts shared when its tiers
         * may change (the search then finds the best ones). A pinned one
         * keeps it, priced at the largest size, and the plan fails
         * (rp_solver_infeasible). */
        int bad;
        while ((bad = rp_ded_fill(f, i, s->r[r].tmpl, s->tier[i], &d)) >= 0 && s->tier_free[i])
            s->tier[i][bad] = RP_SHARED;
        if (bad >= 0)
            rp_ded_fill_or_largest(f, i, s->r[r].tmpl, s->tier[i], &d);
        s->ded[i] = d;
        s->at[i] = r;
        rp_use_add(&s->r[r].use, f, i, s->r[r].tmpl, s->tier[i], &d, +1);
    }
    for (int r = 0; r < s->nr; r++)
        rp__refresh(s, r);
}

double rp__size_key(const rp_fleet *f, size_t i)
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
    double x = rp__size_key(sort_fleet, (size_t) * (const int *)a);
    double y = rp__size_key(sort_fleet, (size_t) * (const int *)b);
    return (x < y) - (x > y);
}

/* Could instance i fit an empty reef of template tmpl with some tier
 * combination? When not, why (the all-shared case's broken rule, or the
 * tier no dedicated size fits). */
static bool fits_alone(const rp_solver *s, size_t i, int tmpl, char *why, size_t n)
{
    const rp_fleet *f = s->f;
    rp_reef_use u;
    rp_use_init(&u, f);
    bool ok = false;
    snprintf(why, n, "no tier combination fits");
    for (int combo = 0; combo < 8 && !ok; combo++) {
        uint8_t tier[RP_NTIERS] = {combo & 1, (combo >> 1) & 1, (combo >> 2) & 1};
        rp_ded d;
        int bad = rp_ded_fill(f, i, tmpl, tier, &d);
        if (bad >= 0)
            continue;
        int pool, nodes;
        rp_violation v;
        if (rp_use_size_with(&u, f, tmpl, i, tier, &d, +1, &pool, &nodes, &v) == RP_RULE_NONE)
            ok = true;
        else if (combo == 0)
            rp_violation_str(&v, why, n);
    }
    rp_use_free(&u);
    return ok;
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
        if (s->r[r].state == RP_REEF_ACTIVE && !rp__group_ok(s, i, r))
            group++;
    }
    if (open == 0)
        return rp_xasprintf("region %s has no active reef and no room for a new one "
                            "(max_reefs %d)",
                            f->regions[g].name, f->regions[g].max_reefs);
    if (group == open)
        return rp_xasprintf("every active reef in %s already holds an instance of group '%s'",
                            f->regions[g].name, f->groups[f->inst[i].group]);
    char why[200];
    if (!fits_alone(s, i, f->regions[g].template_idx, why, sizeof why))
        return rp_xasprintf("it fits no reef even alone: %s", why);
    return rp_xasprintf("no reef in %s has capacity left at every slot, and no new reef can be "
                        "opened (max_reefs %d)",
                        f->regions[g].name, f->regions[g].max_reefs);
}

/* Group members that share a reef at the start (rule 7): all but one
 * leave it, within the move budget, movable ones only; construct() places
 * them. Their count goes to *n, the instances to the returned array. */
static int *separate_groups(rp_solver *s, size_t *n)
{
    const rp_fleet *f = s->f;
    int *out = rp_xmalloc((f->ninst + 1) * sizeof(int));
    *n = 0;
    for (size_t i = 0; i < f->ninst; i++) {
        if (s->at[i] < 0 || !s->movable[i] || rp__mate_at(s, i, s->at[i]) < 0)
            continue;
        if (s->budget >= 0 && (int)*n >= s->budget)
            break;
        rp__inst_remove(s, i);
        out[(*n)++] = (int)i;
    }
    return out;
}

/* Members separate_groups took out that construct() could not place go
 * back where they were (rp_solver_infeasible then reports the conflict). */
static void restore_unplaced(rp_solver *s, const int *ids, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        size_t i = (size_t)ids[k];
        if (s->at[i] >= 0)
            continue;
        rp_ded d;
        rp_ded_fill_or_largest(s->f, i, s->r[s->orig[i]].tmpl, s->orig_tier[i], &d);
        rp__inst_put(s, i, s->orig[i], s->orig_tier[i], &d);
        free(s->unplaced_reason[i]);
        s->unplaced_reason[i] = NULL;
    }
}

/* Places every instance that has no reef (new ones, and those of broken
 * reefs), largest first, each at its cheapest feasible reef and tiers. */
static void construct(rp_solver *s)
{
    const rp_fleet *f = s->f;
    int *pending = rp_xmalloc((f->ninst ? f->ninst : 1) * sizeof(int));
    size_t n = 0;
    for (size_t i = 0; i < f->ninst; i++)
        if (s->at[i] < 0)
            pending[n++] = (int)i;
    sort_fleet = f;
    qsort(pending, n, sizeof(int), cmp_size_desc);
    for (size_t k = 0; k < n; k++) {
        size_t i = (size_t)pending[k];
        choice c = rp__best_place(s, i, false);
        if (c.reef < 0) {
            s->unplaced_reason[i] = unplaced_why(s, i);
            continue;
        }
        rp__inst_put(s, i, c.reef, c.tier, &c.ded);
    }
    free(pending);
}

/* ---- improvement ------------------------------------------------------- */


void rp__touch(journal *j, const rp_solver *s, size_t i)
{
    for (size_t k = 0; k < j->log.len; k++)
        if (RP_VEC_AT(&j->log, undo, k).inst == (int)i)
            return;
    undo u = {(int)i, s->at[i], {0}, s->ded[i]};
    memcpy(u.tier, s->tier[i], RP_NTIERS);
    RP_VEC_PUSH(&j->log, undo, u);
}

void rp__rollback(rp_solver *s, journal *j)
{
    for (size_t k = 0; k < j->log.len; k++)
        rp__inst_remove(s, (size_t)RP_VEC_AT(&j->log, undo, k).inst);
    for (size_t k = 0; k < j->log.len; k++) {
        undo *u = &RP_VEC_AT(&j->log, undo, k);
        if (u->reef >= 0)
            rp__inst_put(s, (size_t)u->inst, u->reef, u->tier, &u->ded);
    }
}

/* Relocate or re-tier one instance if that lowers the objective, recording
 * it in j (if not NULL) first. */
static bool move_one(rp_solver *s, size_t i, journal *j)
{
    if (s->at[i] < 0)
        return false;
    choice c = rp__best_place(s, i, s->tier_free[i]);
    if (c.reef < 0 || !rp__improves(c.delta, c.dshape))
        return false;
    if (j)
        rp__touch(j, s, i);
    rp__apply_choice(s, i, &c);
    return true;
}

size_t rp__members(const rp_solver *s, int r, int *out)
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
        choice c = rp__best_place(s, (size_t)ids[k], false);
        if (c.reef < 0)
            return false;
        j->delta += c.delta;
        j->dshape += c.dshape;
        rp__inst_put(s, (size_t)ids[k], c.reef, c.tier, &c.ded);
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
        rp__touch(&j, s, i);
        double ds;
        j.delta += rp__leave_delta(s, i, &ds);
        j.dshape += ds;
        rp__inst_remove(s, i);
    }
    /* Close the emptied reef to newcomers while re-inserting. */
    rp_reef_state saved = RP_REEF_ACTIVE;
    if (forbid >= 0) {
        saved = s->r[forbid].state;
        s->r[forbid].state = RP_REEF_CLOSED;
    }
    bool ok = reinsert(s, &j, ids, n);
    if (forbid >= 0) {
        /* Its own instances may have gone back, priced while it was
         * closed: a draining reef's penalty must count again. */
        s->r[forbid].state = saved;
        double cost = s->r[forbid].cost, shape = s->r[forbid].shape;
        rp__refresh(s, forbid);
        j.delta += s->r[forbid].cost - cost;
        j.dshape += s->r[forbid].shape - shape;
    }
    bool keep = ok && rp__improves(j.delta, j.dshape);
    if (!keep)
        rp__rollback(s, &j);
    rp_vec_free(&j.log);
    return keep;
}

static int pick_nonempty_reef(rp_solver *s)
{
    for (int tries = 0; tries < 8; tries++) {
        int r = rp__rng_below(s, s->nr);
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
    size_t n = rp__members(s, a, buf);
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
    int b = s->region_reefs[g][rp__rng_below(s, s->region_nreefs[g])];
    size_t na = rp__members(s, a, buf), nb = b != a ? rp__members(s, b, buf + na) : 0;
    size_t n = na + nb, keep = 0;
    size_t want = 4 + (size_t)rp__rng_below(s, 24);
    for (size_t k = 0; k < n; k++) /* reservoir-free subsample: keep ~want */
        if ((size_t)rp__rng_below(s, (int)n) < want)
            buf[keep++] = buf[k];
    return ruin_recreate(s, buf, keep, -1);
}

static bool out_of_time_frac(rp_solver *s, double frac)
{
    if (s->o.time_limit <= 0 || rp__now_seconds() - s->t0 <= frac * s->o.time_limit)
        return false;
    s->timed_out = true;
    return true;
}

bool rp__out_of_time(rp_solver *s)
{
    return out_of_time_frac(s, s->improve_until);
}

void rp__progress(rp_solver *s, const char *phase)
{
    if (!s->o.progress)
        return;
    double now = rp__now_seconds();
    bool same = s->last_phase && !strcmp(phase, s->last_phase);
    if (same && now - s->last_report < 0.25)
        return;
    s->last_phase = phase;
    s->last_report = now;
    bool building = !strcmp(phase, "construction"); /* nothing placed yet */
    rp_progress p = {now - s->solve_t0,
                     s->solve_limit,
                     phase,
                     building ? NAN : rp_solver_objective(s),
                     s->run,
                     s->runs};
    s->o.progress(&p, s->o.progress_ud);
}

/* Ends the search at a local optimum: every instance in turn takes its best
 * relocation or tier change, until a full pass changes nothing (or time
 * runs out), so a second rebalance of the result finds nothing to do.
 * At most max_passes passes; changes are recorded in j if not NULL. */
static void sweep(rp_solver *s, int max_passes, journal *j)
{
    rp_pacer pc = rp__pacer_start();
    for (int pass = 0; pass < max_passes && !out_of_time_frac(s, 1.0); pass++) {
        bool changed = false;
        for (size_t i = 0; i < s->f->ninst; i++) {
            if (rp__pacer_due(&pc) && out_of_time_frac(s, 1.0))
                return;
            changed |= move_one(s, i, j);
        }
        if (!changed)
            return;
    }
}

/* ---- tiers at unit prices ---------------------------------------------- */

static void refresh_all(rp_solver *s, bool smooth)
{
    s->smooth = smooth;
    for (int r = 0; r < s->nr; r++)
        rp__refresh(s, r);
}

/* Every instance takes its best tiers in its own reef at unit prices, as
 * in construction: a dedicated database that costs more than its share of
 * a pool goes back to the pool. Priced by SKU steps, one full pool shows a
 * whole step against one single database, and the search would keep
 * instance after instance dedicated. Back at step prices, the changed
 * instances take their best tiers again (with `relocate`, every instance
 * its best reef and tiers, as in the final sweep); the whole is kept only
 * if the objective is then lower, so a fleet already settled is left
 * alone. Returns whether it was kept. */
static bool tiers_at_unit_prices(rp_solver *s, bool relocate)
{
    double sh0, c0 = rp__total_cost(s, &sh0);
    journal j = {0};
    refresh_all(s, true);
    for (size_t i = 0; i < s->f->ninst; i++)
        rp__retier(s, i, &j);
    refresh_all(s, false);
    if (relocate)
        sweep(s, 4, &j);
    bool changed = !relocate;
    for (int pass = 0; pass < 4 && changed && !out_of_time_frac(s, 1.0); pass++) {
        changed = false;
        for (size_t k = 0; k < j.log.len; k++)
            changed |= rp__retier(s, (size_t)RP_VEC_AT(&j.log, undo, k).inst, &j);
    }
    double sh1, c1 = rp__total_cost(s, &sh1);
    bool keep = rp__improves(c1 - c0, sh1 - sh0);
    if (!keep)
        rp__rollback(s, &j);
    rp_log(RP_LOG_INFO, "tiers at unit prices: %zu instances, objective %.2f -> %.2f, %s", j.log.len,
           c0, c1, keep ? "kept" : "undone");
    rp_vec_free(&j.log);
    return keep;
}

/* ---- moves by gain ------------------------------------------------------ */

typedef struct ranked {
    int inst;
    double gain;
} ranked;

static int cmp_gain_desc(const void *a, const void *b)
{
    double x = ((const ranked *)a)->gain, y = ((const ranked *)b)->gain;
    return (x < y) - (x > y);
}

/* Gain of instance i's best move (0 if no move lowers the objective). */
static double move_gain(rp_solver *s, size_t i, choice *c)
{
    *c = rp__best_place(s, i, false);
    return c->reef >= 0 && c->delta < 0 ? -c->delta : 0;
}

/* The moves that gain most go first. The improvement loop takes the first
 * improving move it meets: a move budget would go to small gains, and each
 * move costs its migration. Lazy greedy over the instances still in their
 * original reef: ranked by the gain of their best move, the first one's
 * gain is measured again, and its move is made if it still leads, else it
 * takes its new place in the ranking. Ends when the budget is spent, no
 * move gains, or after 4 measurements per candidate. */
static void moves_by_gain(rp_solver *s)
{
    if (s->budget >= 0 && s->moves >= s->budget)
        return;
    ranked *c = rp_xmalloc(((size_t)s->nmovers + 1) * sizeof *c);
    int n = 0;
    rp_pacer pc = rp__pacer_start();
    for (int k = 0; k < s->nmovers; k++) {
        size_t i = (size_t)s->movers[k];
        if (rp__pacer_due(&pc) && rp__out_of_time(s))
            break;
        if (s->at[i] < 0 || s->at[i] != s->orig[i] || s->forced[i])
            continue;
        choice ch;
        double g = move_gain(s, i, &ch);
        if (g > 0)
            c[n++] = (ranked){(int)i, g};
    }
    qsort(c, (size_t)n, sizeof *c, cmp_gain_desc);
    long evals = 0, limit = 4L * n;
    int pos = 0, made = 0;
    double first = 0, last = 0; /* gains of the first and last moves made */
    while (pos < n && (s->budget < 0 || s->moves < s->budget) && evals++ < limit) {
        if (rp__pacer_due(&pc) && rp__out_of_time(s))
            break;
        size_t i = (size_t)c[pos].inst;
        choice ch;
        double g = s->at[i] == s->orig[i] ? move_gain(s, i, &ch) : 0;
        if (g <= 0) {
            pos++;
        } else if (pos + 1 == n || g >= c[pos + 1].gain) {
            rp__apply_choice(s, i, &ch);
            if (made++ == 0)
                first = g;
            last = g;
            pos++;
        } else {
            int q = pos;
            for (; q + 1 < n && c[q + 1].gain > g; q++)
                c[q] = c[q + 1];
            c[q] = (ranked){(int)i, g};
        }
    }
    if (made > 0)
        rp_log(RP_LOG_INFO,
               "moves by gain: %d candidates, %d made (the first gains %.2f, the last %.2f), "
               "%ld measurements",
               n, made, first, last, evals);
    else
        rp_log(RP_LOG_INFO, "moves by gain: %d candidates, none made, %ld measurements", n, evals);
    free(c);
}

/* ---- batch tier flips ---------------------------------------------------- */

static int batch_metric;
static const rp_fleet *batch_fleet;
static int cmp_peak_asc(const void *a, const void *b)
{
    float x = rp_fleet_peak(batch_fleet, (size_t) * (const int *)a, batch_metric);
    float y = rp_fleet_peak(batch_fleet, (size_t) * (const int *)b, batch_metric);
    return (x > y) - (x < y);
}

static void flip_to_shared(rp_solver *s, size_t i, int r, int tier)
{
    uint8_t t[RP_NTIERS];
    memcpy(t, s->tier[i], RP_NTIERS);
    t[tier] = RP_SHARED;
    rp_ded d;
    if (!rp__ded_sizes(s, i, s->r[r].tmpl, t, &d))
        return;
    rp__inst_remove(s, i);
    rp__inst_put(s, i, r, t, &d);
}

/* Flips one dedicated tier of up to 12 instances of a reef to shared
 * together, smallest first, and keeps the best prefix when it pays: one
 * larger pool or a node more can hold several databases or pods that each
 * cost a whole single database or node pool, which no single flip shows. */
static bool share_batch(rp_solver *s, int *buf)
{
    static const int main_metric[RP_NTIERS] = {RP_M_DB_COMPUTE, RP_M_CPU, RP_M_SHARE_GB};
    int r = pick_nonempty_reef(s);
    if (r < 0)
        return false;
    int tier = rp__rng_below(s, RP_NTIERS);
    size_t n = 0;
    for (size_t i = 0; i < s->f->ninst; i++)
        if (s->at[i] == r && s->tier_free[i] && s->tier[i][tier] == RP_DEDICATED)
            buf[n++] = (int)i;
    if (n == 0)
        return false;
    batch_fleet = s->f;
    batch_metric = main_metric[tier];
    qsort(buf, n, sizeof(int), cmp_peak_asc);
    if (n > 12)
        n = 12;
    double base = s->r[r].cost, best = 0, best_shape = 0;
    for (size_t k = 0; k < n; k++)
        base += rp__inst_cost(s, (size_t)buf[k], r, s->tier[buf[k]]);
    double base_shape = s->r[r].shape;
    size_t best_k = 0;
    journal j = {0};
    for (size_t k = 0; k < n; k++) {
        rp__touch(&j, s, (size_t)buf[k]);
        flip_to_shared(s, (size_t)buf[k], r, tier);
        double cur = s->r[r].cost;
        for (size_t q = 0; q < n; q++)
            cur += rp__inst_cost(s, (size_t)buf[q], r, s->tier[buf[q]]);
        if (rp__better(cur - base, s->r[r].shape - base_shape, best, best_shape)) {
            best = cur - base;
            best_shape = s->r[r].shape - base_shape;
            best_k = k + 1;
        }
    }
    rp__rollback(s, &j);
    rp_vec_free(&j.log);
    for (size_t k = 0; k < best_k; k++)
        flip_to_shared(s, (size_t)buf[k], r, tier);
    return best_k > 0;
}

/* Objective with penalties, for accepting or undoing a compound move. */
double rp__total_cost(const rp_solver *s, double *shape)
{
    double c = 0, sh = 0;
    for (int r = 0; r < s->nr; r++) {
        c += s->r[r].cost;
        sh += s->r[r].shape;
    }
    for (size_t i = 0; i < s->f->ninst; i++)
        c += rp__inst_cost(s, i, s->at[i], s->tier[i]);
    *shape = sh;
    return c;
}

/* The emptiest of a few random reefs. */
static int pick_light_reef(rp_solver *s)
{
    int best = -1;
    for (int k = 0; k < 3; k++) {
        int r = pick_nonempty_reef(s);
        if (r >= 0 && (best < 0 || s->r[r].shape > s->r[best].shape))
            best = r;
    }
    return best;
}

/* Proven optimal: the objective is within a millionth (or half a cent) of
 * the lower bound. */
static bool at_bound(const rp_solver *s)
{
    return rp_solver_objective(s) <= s->lb + fmax(1e-6 * s->lb, 0.005);
}

/* Closes reefs region by region with the packing kernel, within half of
 * the time limit shared evenly among the regions. */
static void pack_regions(rp_solver *s)
{
    int ng = (int)s->f->nregions;
    for (int g = 0; g < ng && !at_bound(s); g++) {
        double now = rp__now_seconds(), deadline = INFINITY;
        if (s->o.time_limit > 0)
            deadline = now + (s->t0 + 0.75 * s->o.time_limit - now) / (ng - g);
        if (now < deadline)
            rp__pack_region(s, g, deadline);
        else
            s->timed_out = true;
    }
}

/* Instances of one reef freed for its tier MIP, at most. */
#define TIER_MAX_FREE 400
/* Shares of the time limit: an improvement loop still running at
 * TIER_MID_AT stops for reef tier MIPs for up to TIER_MID_SHARE (never past
 * the loop's own end); the last pass ends by TIER_END_UNTIL. */
#define TIER_MID_AT 0.6
#define TIER_MID_SHARE 0.15
#define TIER_END_UNTIL 0.9

typedef struct premium {
    int reef;
    double above; /* rp__reef_premium */
} premium;

static int cmp_premium_desc(const void *a, const void *b)
{
    const premium *x = a, *y = b;
    if (x->above != y->above)
        return (x->above < y->above) - (x->above > y->above);
    return (x->reef > y->reef) - (x->reef < y->reef);
}

/* Whether reef r is as its last tier MIP left it. */
static bool tiers_current(const rp_solver *s, int r)
{
    const sreef *x = &s->r[r];
    return x->tiers_cost == x->cost && x->tiers_shape == x->shape && x->tiers_n == x->use.n;
}

/* Each reef in turn takes the tiers, pool and node count of its own MIP
 * (its instances held in it), until `frac` of the time limit; then, unless
 * the improvement loop goes on (`mid`), the sweep again, so that the plan
 * still ends at a local optimum. The reefs that pay most above their load
 * at unit prices go first (what a reef's MIP can gain is mostly that), so
 * a pass the clock cuts short has done the ones most likely to gain; reefs
 * unchanged since their last MIP are skipped. */
static void exact_tiers(rp_solver *s, int *buf, double frac, bool mid)
{
    if (at_bound(s))
        return;
    double t0 = rp__now_seconds(), before = rp_solver_objective(s);
    /* The instances that may change tiers, grouped by reef in one pass (a
     * reef's MIP moves none of them to another reef). */
    int *first = rp_xcalloc((size_t)s->nr + 2, sizeof(int));
    for (size_t i = 0; i < s->f->ninst; i++)
        if (s->at[i] >= 0 && s->tier_free[i])
            first[s->at[i] + 2]++;
    for (int r = 0; r < s->nr; r++)
        first[r + 2] += first[r + 1];
    for (size_t i = 0; i < s->f->ninst; i++)
        if (s->at[i] >= 0 && s->tier_free[i])
            buf[first[s->at[i] + 1]++] = (int)i;
    premium *order = rp_xmalloc(((size_t)s->nr + 1) * sizeof(premium));
    int no = 0;
    for (int r = 0; r < s->nr; r++)
        if (s->r[r].use.n > 0 && !tiers_current(s, r))
            order[no++] = (premium){r, rp__reef_premium(s, r)};
    qsort(order, (size_t)no, sizeof *order, cmp_premium_desc);
    int wins = 0, tried = 0;
    for (int k = 0; k < no && !out_of_time_frac(s, frac); k++) {
        int r = order[k].reef, n = first[r + 1] - first[r];
        rp__progress(s, "reef tier MIPs");
        int won =
            rp__tiers_exact(s, r, buf + first[r], n < TIER_MAX_FREE ? (size_t)n : TIER_MAX_FREE);
        if (won < 0)
            break; /* too little time left: this reef is not done */
        wins += won;
        tried++;
        sreef *x = &s->r[r];
        x->tiers_cost = x->cost, x->tiers_shape = x->shape, x->tiers_n = x->use.n;
    }
    free(order);
    free(first);
    if (wins > 0 && !mid)
        sweep(s, 50, NULL);
    rp_log(RP_LOG_INFO,
           "reef tier MIPs%s: %d of %d reefs tried, %d improved, objective %.2f -> %.2f, %.2f s",
           mid ? ", mid-search" : "", tried, no, wins, before, rp_solver_objective(s),
           rp__now_seconds() - t0);
}

/* ---- trading moves under a spent budget ------------------------------- */

/* Puts moved instance j back in its original reef, with its best tiers
 * there, recording it in jr. False (nothing changed) when it may not go
 * back or its dedicated tiers cannot be sized there. */
static bool send_back(rp_solver *s, size_t j, journal *jr)
{
    int o = s->orig[j];
    if (o < 0 || s->at[j] == o || !s->movable[j] || !rp__may_enter(s, j, o))
        return false;
    rp_ded d;
    if (!rp__ded_sizes(s, j, s->r[o].tmpl, s->orig_tier[j], &d))
        return false;
    rp__touch(jr, s, j);
    rp__inst_remove(s, j);
    rp__inst_put(s, j, o, s->orig_tier[j], &d);
    if (s->tier_free[j])
        rp__retier(s, j, jr);
    return true;
}

/* With the move budget spent, trades a move made earlier for a better one:
 * the moves were chosen before the reef tier MIPs resized the reefs, and
 * a pool or node step that one leaver now takes off is worth more than a
 * move that saves little. For the instances still in their reef whose best
 * move (with one move more allowed) gains most, largest gain first, each
 * budget-counted move is undone in turn (cheapest to undo first) and the
 * instance moved; a trade is kept when the objective drops. Bounded by
 * TRADE_CANDIDATES instances and the time limit. Returns whether any trade
 * was kept. */
#define TRADE_CANDIDATES 64
static bool trade_moves(rp_solver *s, double frac)
{
    if (s->budget <= 0 || s->moves < s->budget || at_bound(s))
        return false;
    double t0 = rp__now_seconds(), before = rp_solver_objective(s);
    ranked *cand = rp_xmalloc(((size_t)s->nmovers + 1) * sizeof *cand);
    ranked *back = rp_xmalloc(((size_t)s->nmovers + 1) * sizeof *back);
    int nc = 0, nb = 0;
    rp_pacer pc = rp__pacer_start();
    s->budget++;
    for (int k = 0; k < s->nmovers; k++) {
        size_t i = (size_t)s->movers[k];
        if (rp__pacer_due(&pc) && out_of_time_frac(s, frac))
            break;
        if (s->at[i] < 0 || s->at[i] != s->orig[i] || s->forced[i])
            continue;
        choice ch;
        double g = move_gain(s, i, &ch);
        if (g > 0 && rp__counts_in_budget(s, i, ch.reef))
            cand[nc++] = (ranked){(int)i, g};
    }
    s->budget--;
    /* What undoing each budget-counted move costs, alone. */
    for (int k = 0; k < s->nmovers && !out_of_time_frac(s, frac); k++) {
        size_t j = (size_t)s->movers[k];
        if (s->at[j] < 0 || !rp__counts_in_budget(s, j, s->at[j]))
            continue;
        journal jr = {0};
        double sh0, c0 = rp__total_cost(s, &sh0);
        if (send_back(s, j, &jr)) {
            double sh1, c1 = rp__total_cost(s, &sh1);
            back[nb++] = (ranked){(int)j, c0 - c1}; /* minus the cost: sorted cheapest first */
            rp__rollback(s, &jr);
        }
        rp_vec_free(&jr.log);
    }
    qsort(cand, (size_t)nc, sizeof *cand, cmp_gain_desc);
    qsort(back, (size_t)nb, sizeof *back, cmp_gain_desc);
    if (nc > TRADE_CANDIDATES)
        nc = TRADE_CANDIDATES;
    int made = 0;
    long tries = 0;
    for (int a = 0; a < nc && !out_of_time_frac(s, frac); a++) {
        size_t i = (size_t)cand[a].inst;
        for (int b = 0; b < nb; b++) {
            size_t j = (size_t)back[b].inst;
            if (-back[b].gain >= cand[a].gain)
                break; /* alone, undoing j costs more than moving i gains */
            if (s->at[i] != s->orig[i] || s->at[j] == s->orig[j] ||
                !rp__counts_in_budget(s, j, s->at[j]))
                continue;
            if (rp__pacer_due(&pc) && out_of_time_frac(s, frac))
                break;
            tries++;
            journal jr = {0};
            double sh0, c0 = rp__total_cost(s, &sh0);
            bool kept = false;
            if (send_back(s, j, &jr)) {
                choice ch = rp__best_place(s, i, false);
                if (ch.reef >= 0) {
                    rp__touch(&jr, s, i);
                    rp__apply_choice(s, i, &ch);
                    double sh1, c1 = rp__total_cost(s, &sh1);
                    kept = rp__improves(c1 - c0, sh1 - sh0);
                }
                if (!kept)
                    rp__rollback(s, &jr);
            }
            rp_vec_free(&jr.log);
            if (kept) {
                made++;
                break;
            }
        }
    }
    free(cand);
    free(back);
    rp_log(RP_LOG_INFO,
           "trading moves: %d candidates, %d moves to undo, %ld tried, %d made, "
           "objective %.2f -> %.2f, %.2f s",
           nc, nb, tries, made, before, rp_solver_objective(s), rp__now_seconds() - t0);
    return made > 0;
}

/* The lower bound of the instances placed now, its reef-by-reef part
 * guided by the current plan. */
static double guided_bound(rp_solver *s)
{
    const rp_fleet *f = s->f;
    bool *placed = rp_xcalloc(f->ninst + 1, sizeof(bool));
    int *reef = rp_xmalloc((f->ninst + 1) * sizeof(int));
    for (size_t i = 0; i < f->ninst; i++) {
        placed[i] = s->at[i] >= 0;
        reef[i] = placed[i] ? s->r[s->at[i]].fleet_reef : -1;
    }
    rp_bound_parts_free(&s->lb_parts);
    double lb = rp_lower_bound_regions(f, placed, s->budget, reef,
                                       (const uint8_t(*)[RP_NTIERS])s->tier, &s->lb_parts);
    free(reef);
    free(placed);
    return lb;
}

/* A run with moves deferred stops its first search at these shares of its
 * time limit (loop, reef tier MIPs), leaving the rest to the second. */
#define DEFER_IMPROVE_UNTIL 0.6
#define DEFER_TIERS_UNTIL 0.65

static void improve(rp_solver *s, int *buf, double tiers_until);

void rp_solver_run(rp_solver *s)
{
    const rp_fleet *f = s->f;
    s->t0 = rp__now_seconds();
    if (s->solve_t0 == 0)
        s->solve_t0 = s->t0;
    rp__progress(s, "construction");
    load_current(s);
    size_t nsep;
    int *sep = separate_groups(s, &nsep);
    s->smooth = true;
    for (int r = 0; r < s->nr; r++)
        rp__refresh(s, r);
    construct(s);
    restore_unplaced(s, sep, nsep);
    free(sep);
    s->smooth = false;
    for (int r = 0; r < s->nr; r++)
        rp__refresh(s, r);
    tiers_at_unit_prices(s, false);
    s->lb = guided_bound(s);
    rp_log(RP_LOG_INFO, "construction and lower bound: %.2f s, lower bound %.2f",
           rp__now_seconds() - s->t0, s->lb);
    rp__exact_small(s); /* small fleets: a proven optimum ends the search at once */
    int *buf = rp_xmalloc((f->ninst + 1) * sizeof(int));
    /* Draining reefs first: every instance tries to leave while budget lasts. */
    for (int k = 0; k < s->nmovers; k++) {
        size_t i = (size_t)s->movers[k];
        if (s->at[i] >= 0 && s->r[s->at[i]].state == RP_REEF_DRAINING)
            move_one(s, i, NULL);
    }
    s->drain_moves = s->moves;
    rp__progress(s, "packing");
    pack_regions(s);
    int budget = s->budget;
    if (s->defer_moves && budget > s->moves) {
        /* First the search with the budget held back, then the budget spent
         * on the plan that search settled on. */
        s->budget = s->moves;
        s->improve_until = DEFER_IMPROVE_UNTIL;
        improve(s, buf, DEFER_TIERS_UNTIL);
        s->budget = budget;
        s->improve_until = RP_IMPROVE_UNTIL;
    }
    rp__progress(s, "moves by gain");
    moves_by_gain(s);
    improve(s, buf, TIER_END_UNTIL);
    if (trade_moves(s, TIER_END_UNTIL))
        sweep(s, 50, NULL);
    free(buf);
    if (!at_bound(s))
        rp__exact_lp_bound(s);
    if (!at_bound(s))
        rp__exact_region_bounds(s);
    rp_log(RP_LOG_INFO, "search: %ld iterations, %.2f s, objective %.2f, stopped by %s", s->iters,
           rp__now_seconds() - s->t0, rp_solver_objective(s), rp_stop_names[rp_solver_stop(s)]);
}

/* The improvement loop (step 3 of the README's "How it searches"), then the
 * final sweep, the tiers at unit prices and the reef tier MIPs until
 * `tiers_until` of the time limit. */
static void improve(rp_solver *s, int *buf, double tiers_until)
{
    const rp_fleet *f = s->f;
    rp__progress(s, "improvement");
    long max_iters = s->o.max_iters > 0 ? s->o.max_iters : 40L * s->nmovers + 4000;
    long stall_limit = s->o.patience > 0    ? s->o.patience
                       : s->o.patience == 0 ? 4000 + 4L * s->nmovers
                                            : LONG_MAX;
    long stall = 0;
    bool mid_tiers = false;
    double last_sh, last_cost = rp__total_cost(s, &last_sh);
    double lns_spent = 0;
    long lns_calls = 0, lns_wins = 0;
    /* Large-neighbourhood steps: 2% of the iterations, or fewer, spread
     * over the iteration budget, when their number is capped. */
    long lns_cap = s->o.lns_steps, lns_per_10k = 200;
    if (lns_cap == -2) {
        /* A step's model grows with the slots, and what two reefs can gain
         * matters less the more reefs there are. */
        double c = RP_LNS_AUTO_STEPS * 24.0 / (f->set.slots > 24 ? f->set.slots : 24);
        if (f->ninst > RP_LNS_AUTO_INSTANCES)
            c *= (double)RP_LNS_AUTO_INSTANCES / (double)f->ninst;
        lns_cap = (long)c;
    }
    if (lns_cap >= 0)
        lns_per_10k = lns_cap * 10000 >= 200 * max_iters ? 200 : lns_cap * 10000 / max_iters;
    if (lns_cap > 0 && lns_per_10k < 1)
        lns_per_10k = 1;
    rp_pacer pc = rp__pacer_start();
    for (s->iters = 0; s->iters < max_iters && stall < stall_limit && s->nmovers + f->ninst > 0;
         s->iters++) {
        if (rp__pacer_due(&pc)) {
            if (rp__out_of_time(s))
                break;
            if (!mid_tiers && s->o.time_limit > 0 &&
                rp__now_seconds() - s->t0 > TIER_MID_AT * s->o.time_limit) {
                /* The clock, not stagnation, will end this loop: the reef
                 * tier MIPs get their turn now rather than only in what is
                 * left after it. Where the clock put that pass shapes the
                 * rest of the search, so the run is the clock's to decide. */
                mid_tiers = true;
                s->timed_out = true;
                double at = (rp__now_seconds() - s->t0) / s->o.time_limit;
                exact_tiers(s, buf, fmin(at + TIER_MID_SHARE, s->improve_until), true);
            }
            rp__progress(s, "improvement");
        }
        if (s->iters == 0 && at_bound(s))
            break;
        int u10k = rp__rng_below(s, 10000), u = u10k / 100;
        bool better;
        if (u10k < lns_per_10k && (lns_cap < 0 || lns_calls < lns_cap)) {
            double now = rp__now_seconds();
            better = rp__lns_step(s, buf);
            lns_spent += rp__now_seconds() - now;
            lns_calls++;
            lns_wins += better;
        } else if (u < 70) {
            size_t i = (size_t)rp__rng_below(s, (int)f->ninst);
            better = move_one(s, i, NULL);
        } else if (u < 75) {
            better = share_batch(s, buf);
        } else if (u < 80) {
            better = empty_reef(s, buf);
        } else if (u < 90) {
            int r = pick_light_reef(s);
            better = r >= 0 && rp__eliminate(s, r, buf);
        } else {
            better = shake(s, buf);
        }
        if (better && at_bound(s))
            break;
        /* Stagnation counts iterations since the objective last dropped:
         * tie-breaker-only steps cross plateaus but do not extend the run. */
        (void)better;
        stall++;
        if ((s->iters & 255) == 255) {
            double sh, c = rp__total_cost(s, &sh);
            if (c < last_cost - IMPROVE_EPS * (1 + fabs(last_cost))) {
                last_cost = c;
                stall = 0;
            }
        }
    }
    s->iters_spent = s->iters >= max_iters;
    rp_log(RP_LOG_INFO,
           "improvement: %ld iterations, %.2f s; large-neighbourhood MIP steps: %ld, improving "
           "%ld, %.2f s",
           s->iters, rp__now_seconds() - s->t0, lns_calls, lns_wins, lns_spent);
    double before_sweep = rp_solver_objective(s);
    rp__progress(s, "final sweep");
    sweep(s, 50, NULL);
    for (int round = 0; round < 3 && !out_of_time_frac(s, 1.0); round++)
        if (!tiers_at_unit_prices(s, true))
            break;
    rp_log(RP_LOG_INFO, "sweep: objective %.2f -> %.2f", before_sweep, rp_solver_objective(s));
    exact_tiers(s, buf, tiers_until, false);
}

const char *const rp_stop_names[4] = {"lower bound", "time limit", "iterations", "stagnation"};

rp_stop rp_solver_stop(const rp_solver *s)
{
    if (at_bound(s))
        return RP_STOP_LOWER_BOUND;
    if (s->timed_out)
        return RP_STOP_TIME_LIMIT;
    return s->iters_spent ? RP_STOP_ITERATIONS : RP_STOP_STAGNATION;
}

/* A restart begins only while this share of the time limit is left. */
#define RESTART_MIN_SHARE 0.1
/* The run with moves deferred follows only runs that took at most this
 * share of the time limit, and only for a budget of at most
 * DEFER_MAX_MOVES moves beyond those of the draining reefs: with more, the
 * search that moves from the start does better (bench/search.sh). */
#define DEFER_IDLE 0.25
#define DEFER_MAX_MOVES 64
/* Nor for fleets of fewer instances than this: on fleets of a few hundred
 * the moves chosen early did better in every run of bench/search.sh g. */
#define DEFER_MIN_INSTANCES 1000

/* Is a better than b: a plan before no plan, then the lower objective. */
static bool better_run(rp_solver *a, rp_solver *b)
{
    char *wa = rp_solver_infeasible(a), *wb = rp_solver_infeasible(b);
    bool fa = wa == NULL, fb = wb == NULL;
    free(wa);
    free(wb);
    if (fa != fb)
        return fa;
    double oa = rp_solver_objective(a), ob = rp_solver_objective(b);
    return oa < ob - IMPROVE_EPS * (1 + fabs(ob));
}

rp_solver *rp_solver_solve(const rp_fleet *f, const rp_solve_opts *o)
{
    double t0 = rp__now_seconds(), lb = -INFINITY;
    int runs = o->restarts > 1 ? o->restarts : 1;
    bool cut = false;
    rp_solver *best = NULL;
    for (int k = 0; k < runs; k++) {
        rp_solve_opts ok = *o;
        /* The first run is the one without restarts: same seed, whole limit. */
        ok.seed = k == 0 ? o->seed : o->seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t)k);
        if (k > 0 && o->time_limit > 0) { /* the first run always runs */
            ok.time_limit = o->time_limit - (rp__now_seconds() - t0);
            if (ok.time_limit < RESTART_MIN_SHARE * o->time_limit) {
                cut = true; /* the clock, not the count, ended the restarts */
                break;
            }
        }
        rp_solver *s = rp_solver_new(f, &ok);
        s->run = k + 1;
        s->runs = runs;
        s->solve_t0 = t0;
        s->solve_limit = o->time_limit;
        rp_solver_run(s);
        cut |= s->timed_out;
        lb = fmax(lb, s->lb);
        rp_log(RP_LOG_INFO,
               "run %d of %d: objective %.2f, %.2f s; moves %d of %d, %d by draining reefs", k + 1,
               runs, rp_solver_objective(s), rp__now_seconds() - t0, s->moves, s->budget,
               s->drain_moves);
        bool done = at_bound(s);
        if (!best || better_run(s, best)) {
            rp_solver_free(best);
            best = s;
        } else {
            rp_solver_free(s);
        }
        if (done)
            break;
    }
    /* A small budget, all spent (with defer_moves 1, any limited budget):
     * one more run that first settles the plan without those moves and then
     * spends them, the better plan kept. The early moves are chosen on reefs
     * not yet resized, where a step that one leaver takes off is often one
     * the search takes off anyway; on the settled plan they go where they
     * still save. With defer_moves 0 only when the runs so far ended by
     * themselves (not by the clock) in at most DEFER_IDLE of the limit; with
     * 1, it needs a tenth of the limit left, as a restart does. */
    double used = rp__now_seconds() - t0;
    int spare = best->budget - best->drain_moves;
    bool eligible =
        !cut && !at_bound(best) && spare > 0 &&
        (o->defer_moves > 0 || (o->defer_moves == 0 && spare <= DEFER_MAX_MOVES &&
                                best->moves >= best->budget && f->ninst >= DEFER_MIN_INSTANCES));
    bool time_ok = o->time_limit <= 0 ||
                   (o->defer_moves > 0 ? o->time_limit - used >= RESTART_MIN_SHARE * o->time_limit
                                       : used <= DEFER_IDLE * o->time_limit);
    if (eligible && !time_ok && o->defer_moves > 0)
        cut = true; /* asked for, but the clock left no time for it */
    if (eligible && time_ok) {
        rp_solve_opts ok = *o;
        if (o->time_limit > 0)
            ok.time_limit = o->time_limit - used;
        rp_solver *s = rp_solver_new(f, &ok);
        s->defer_moves = true;
        s->run = s->runs = runs + 1;
        s->solve_t0 = t0;
        s->solve_limit = o->time_limit;
        rp_solver_run(s);
        cut |= s->timed_out;
        lb = fmax(lb, s->lb);
        rp_log(RP_LOG_INFO, "run %d, moves deferred: objective %.2f, %.2f s", runs + 1,
               rp_solver_objective(s), rp__now_seconds() - t0);
        if (better_run(s, best)) {
            rp_solver_free(best);
            best = s;
        } else {
            rp_solver_free(s);
        }
    }
    /* Every run's bound holds for every plan; the chosen one reports the
     * strongest, and whether the clock had a say in any run. */
    best->lb = lb;
    best->timed_out |= cut;
    best->t0 = t0; /* the solve's time is that of all runs */
    return best;
}

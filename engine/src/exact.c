/* exact.c - the MIP (mip.h) inside the rebalance search: small fleets are
 * solved to proven optimality after the heuristic, large-neighbourhood
 * steps free the instances of two reefs and re-optimise them exactly, the
 * rest of the fleet fixed, and at the end each reef's tiers and sizes are
 * solved with its instances held in it. Every result goes through the
 * solver's own state and is kept only when the solver's objective says it
 * is better. The LP relaxation of the whole model, widened to hold every
 * valid plan, raises the lower bound of small fleets. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mip.h"
#include "solver_int.h"

/* Fleets up to this many instances are handed whole to the MIP. */
#define EXACT_MAX_INSTANCES 60
/* Instances freed by one large-neighbourhood step, at most. */
#define LNS_MAX_FREE 16
/* Work limits of one large-neighbourhood MIP: branch-and-bound nodes and
 * simplex iterations of its root LP. They end a step, not the clock, so a
 * run with --lns is as deterministic as one without. */
#define LNS_NODES 200
#define LNS_LP_ITERS 20000

/* The model's reef numbering against the solver's. */
typedef struct modelmap {
    rp_mip_reef *mr;
    size_t nmr;
    int *to_solver; /* model reef -> solver reef, -1 none */
    int *to_model;  /* solver reef -> model reef, -1 none */
    bool complete;  /* the model has every reef the solver may open */
} modelmap;

static void map_build(const rp_solver *s, modelmap *m)
{
    const rp_fleet *f = s->f;
    m->nmr = rp_mip_reefs(f, &m->mr);
    m->to_solver = rp_xmalloc((m->nmr + 1) * sizeof(int));
    m->to_model = rp_xmalloc(((size_t)s->nr + 1) * sizeof(int));
    for (int r = 0; r < s->nr; r++)
        m->to_model[r] = -1;
    int *seen = rp_xcalloc(f->nregions + 1, sizeof(int));
    for (size_t k = 0; k < m->nmr; k++) {
        int g = m->mr[k].region, hit = -1;
        if (m->mr[k].fleet_reef >= 0) {
            hit = m->mr[k].fleet_reef;
        } else {
            int want = seen[g]++;
            for (int q = 0; q < s->region_nreefs[g] && hit < 0; q++) {
                int r = s->region_reefs[g][q];
                if (s->r[r].fleet_reef < 0 && want-- == 0)
                    hit = r;
            }
        }
        m->to_solver[k] = hit;
        if (hit >= 0)
            m->to_model[hit] = (int)k;
    }
    m->complete = true;
    for (int r = 0; r < s->nr; r++)
        if (m->to_model[r] < 0)
            m->complete = false;
    free(seen);
}

static void map_free(modelmap *m)
{
    free(m->mr);
    free(m->to_solver);
    free(m->to_model);
}

/* The solver's placement in the model's numbering; NULL when an instance
 * sits in a reef the model does not have. */
static rp_mip_place *current_places(const rp_solver *s, const modelmap *m)
{
    rp_mip_place *pl = rp_xcalloc(s->f->ninst + 1, sizeof(rp_mip_place));
    for (size_t i = 0; i < s->f->ninst; i++) {
        int r = s->at[i];
        pl[i].reef = r >= 0 ? m->to_model[r] : -1;
        if (r >= 0 && pl[i].reef < 0) {
            free(pl);
            return NULL;
        }
        memcpy(pl[i].tier, s->tier[i], RP_NTIERS);
        pl[i].ded = s->ded[i];
    }
    return pl;
}

/* Moves the instances in ids to where result r puts them (journalled).
 * Returns false when the result uses a reef the solver does not have. */
static bool adopt(rp_solver *s, const modelmap *m, const rp_mip_result *r, const int *ids,
                  size_t n, journal *j)
{
    for (size_t k = 0; k < n; k++) {
        int mr = r->place[ids[k]].reef;
        if (mr >= 0 && m->to_solver[mr] < 0)
            return false;
    }
    for (size_t k = 0; k < n; k++) {
        rp__touch(j, s, (size_t)ids[k]);
        rp__inst_remove(s, (size_t)ids[k]);
    }
    for (size_t k = 0; k < n; k++) {
        const rp_mip_place *p = &r->place[ids[k]];
        if (p->reef >= 0)
            rp__inst_put(s, (size_t)ids[k], m->to_solver[p->reef], p->tier, &p->ded);
    }
    return true;
}

static double remaining(const rp_solver *s)
{
    if (s->o.time_limit <= 0)
        return 60;
    return s->o.time_limit - (rp__now_seconds() - s->t0);
}

/* Is less than `need` seconds left? A step skipped for that reason makes
 * the run depend on the clock, which the solver records. */
static bool short_of_time(rp_solver *s, double need)
{
    if (remaining(s) >= need)
        return false;
    s->timed_out = true;
    return true;
}

/* Solves mo and keeps the result for instances ids when it lowers the
 * objective. */
static bool try_model(rp_solver *s, const modelmap *m, const rp_mip_opts *mo, const int *ids,
                      size_t n, rp_mip_result *res)
{
    rp_error err;
    if (rp_mip_solve_opts(s->f, mo, res, &err) < 0)
        return false;
    s->timed_out |= res->timed_out;
    if (res->status == RP_MIP_NONE)
        return false;
    /* The model may leave instances unplaced (at a penalty the solver's
     * objective does not carry): never take such a result. */
    for (size_t k = 0; k < n; k++)
        if (res->place[ids[k]].reef < 0 && s->at[ids[k]] >= 0)
            return false;
    double sh0, c0 = rp__total_cost(s, &sh0);
    journal j = {0};
    bool ok = adopt(s, m, res, ids, n, &j);
    double sh1, c1 = ok ? rp__total_cost(s, &sh1) : INFINITY;
    bool keep = ok && (s->budget < 0 || s->moves <= s->budget) && rp__improves(c1 - c0, sh1 - sh0);
    if (!keep)
        rp__rollback(s, &j);
    rp_vec_free(&j.log);
    return keep;
}

/* Do members of some group start in different reefs? */
static bool mates_apart(const rp_solver *s)
{
    for (size_t g = 0; g < s->f->ngroups; g++)
        for (int k = 1; k < s->group_size[g]; k++)
            if (s->orig[s->group_members[g][k]] != s->orig[s->group_members[g][0]])
                return true;
    return false;
}

/* May a valid plan leave a movable instance in a draining reef? SPEC rule
 * 9 lets it stay once the move budget runs out, and a plan may spend the
 * budget elsewhere first. The model charges every such instance
 * RP_MIP_PEN_DRAIN, so its optimum need not be the fleet's. Not when the
 * budget cannot run out: it covers every move that counts against it. */
static bool drain_optional(const rp_solver *s)
{
    if (s->budget < 0)
        return false;
    int counted = 0;
    bool draining = false;
    for (int k = 0; k < s->nmovers; k++) {
        size_t i = (size_t)s->movers[k];
        if (s->orig[i] < 0 || s->forced[i])
            continue;
        counted++;
        draining |= s->r[s->orig[i]].state == RP_REEF_DRAINING;
    }
    return draining && s->budget < counted;
}

/* Does the solver's plan place every instance? The bounds from the model
 * hold for plans that do. */
static bool all_placed(const rp_solver *s)
{
    for (size_t i = 0; i < s->f->ninst; i++)
        if (s->at[i] < 0)
            return false;
    return true;
}

/* What a bound from GLPK gives up to its tolerances (1e-7): a margin well
 * above them keeps it on the safe side. */
static double glpk_margin(double bound)
{
    return 1e-6 * fabs(bound) + 0.01;
}

void rp__exact_small(rp_solver *s)
{
    const rp_fleet *f = s->f;
    if (f->ninst == 0 || f->ninst > EXACT_MAX_INSTANCES || short_of_time(s, 0.5))
        return;
    modelmap m;
    map_build(s, &m);
    if (!m.complete) { /* the model lacks reefs the heuristic may open */
        map_free(&m);
        return;
    }
    rp_mip_place *start = current_places(s, &m);
    rp_mip_opts mo;
    rp_mip_opts_default(&mo);
    mo.move_budget = s->budget;
    mo.time_limit = fmin(remaining(s) * 0.8, 30);
    mo.start = start;
    int *ids = rp_xmalloc((f->ninst + 1) * sizeof(int));
    for (size_t i = 0; i < f->ninst; i++)
        ids[i] = (int)i;
    rp_mip_result res = {0};
    bool kept = try_model(s, &m, &mo, ids, f->ninst, &res);
    /* A proven optimum of a model with every reef the solver may use, with
     * nothing left unplaced, is the optimum: its bound is a lower bound.
     * Not when group mates start in different reefs: the model keeps each
     * out of the others' reefs, which also rules out chains a plan could
     * order (mip.h). Nor when a plan may leave draining instances where
     * they are (drain_optional). */
    if (res.status == RP_MIP_OPTIMAL && m.complete && res.unplaced == 0 && res.left_draining == 0 &&
        isfinite(res.bound) && !mates_apart(s) && !drain_optional(s))
        s->lb = fmax(s->lb, fmin(res.bound, res.objective));
    /* Short of a proof, GLPK's best bound still holds for the model, and
     * so for every plan when the model offers every reef a plan may open
     * and the plan places every instance. */
    else if (res.status != RP_MIP_OPTIMAL && isfinite(res.bound) && res.bound > -1e299 &&
             !mates_apart(s) && !drain_optional(s) && all_placed(s) && rp_mip_reefs_complete(f))
        s->lb = fmax(s->lb, res.bound - glpk_margin(res.bound));
    rp_log(RP_LOG_INFO, "exact: MIP %s, objective %.2f, bound %.2f, %.2f s, %s",
           rp_mip_status_names[res.status], res.objective, res.bound, res.seconds,
           kept ? "adopted" : "heuristic kept");
    rp_mip_result_free(&res);
    free(ids);
    free(start);
    map_free(&m);
}

/* The LP relaxation bound: fleets up to this many instances, and simplex
 * iterations capped so that a run the clock does not cut reports the same
 * bound on any machine. */
#define LPB_MAX_INSTANCES 1000
#define LPB_LP_ITERS 200000
/* Share of the time limit the LP may take (the bound's tenth). */
#define LPB_SHARE 0.1
/* Seconds per unit of model_work, measured with glpsol on generated
 * fleets (24 and 168 slots, 200 to 1,000 instances) on a 2-core Xeon: a
 * model whose estimate exceeds the time it is given is not built. */
#define LPB_SECONDS_PER_WORK 2e-7

/* What the LP's simplex time grows with: (instance, reef) pairs squared,
 * times the square root of the slots (fitted to the runs above). */
static double model_work(const rp_fleet *f)
{
    rp_mip_reef *mr;
    size_t n = rp_mip_reefs(f, &mr);
    double *inst = rp_xcalloc(f->nregions + 1, sizeof(double)), pairs = 0;
    for (size_t i = 0; i < f->ninst; i++)
        inst[f->inst[i].region] += 1;
    for (size_t k = 0; k < n; k++)
        pairs += inst[mr[k].region];
    free(inst);
    free(mr);
    return pairs * pairs * sqrt((double)f->set.slots);
}

void rp__exact_lp_bound(rp_solver *s)
{
    const rp_fleet *f = s->f;
    if (s->run > 1 || f->ninst == 0 || f->ninst > LPB_MAX_INSTANCES)
        return;
    if (!all_placed(s))
        return;
    /* Whether to try depends on the fleet and the time limit, not on the
     * clock: a run that is not cut by it reports the same bound anywhere. */
    double tm = LPB_SHARE * (s->o.time_limit > 0 ? s->o.time_limit : 60);
    bool whole = rp_mip_reefs_complete(f);
    double work = model_work(f);
    if (!whole || work * LPB_SECONDS_PER_WORK > tm) {
        rp_log(RP_LOG_INFO, "LP relaxation bound: not tried (%s)",
               whole ? "model too large for the time" : "the model lacks reefs a plan may open");
        return;
    }
    if (short_of_time(s, tm))
        return;
    rp_mip_opts mo;
    rp_mip_opts_default(&mo);
    mo.move_budget = s->budget;
    mo.time_limit = tm;
    mo.lp_iter_limit = LPB_LP_ITERS;
    mo.relax_only = true;
    rp_mip_result res = {0};
    rp_error err;
    if (rp_mip_solve_opts(f, &mo, &res, &err) < 0) {
        rp_log(RP_LOG_INFO, "LP relaxation bound: %s", err.msg);
        return;
    }
    s->timed_out |= res.timed_out; /* the clock, not the work, ended it */
    double lp = res.bound - glpk_margin(res.bound);
    double obj = rp_solver_objective(s);
    bool used = isfinite(lp) && lp <= obj;
    if (used)
        s->lb = fmax(s->lb, lp);
    rp_log(RP_LOG_INFO, "LP relaxation bound: %s %.2f, %d rows, %d columns, work %.0f, %.2f s%s",
           isfinite(res.bound) ? "optimum" : "none", isfinite(res.bound) ? res.bound : 0.0,
           res.rows, res.cols, work, res.seconds,
           isfinite(lp) && !used ? ", above the plan: not used" : "");
    rp_mip_result_free(&res);
}

/* Regions of at most this many instances get a MIP of their own for the
 * bound. All of them together may take this share of the time limit (the
 * bound's tenth, as for the LP relaxation), an equal part each. Each MIP
 * stops after at most RB_NODES branch-and-bound nodes, fewer when its
 * estimated time for RB_NODES (RB_SECONDS_PER_WORK per (instance, reef)
 * pair and slot, measured on generated fleets of 24 and 168 slots on a
 * 2-core Xeon, with a margin) exceeds its part, and is not tried below
 * RB_MIN_NODES; its root LP's simplex iterations are capped too. The node
 * count then depends on the fleet and the time limit, not on the clock,
 * so a run the clock does not cut reports the same bound on any machine. */
#define RB_MAX_INSTANCES 120
#define RB_SHARE 0.1
#define RB_NODES 500
#define RB_MIN_NODES 100
#define RB_LP_ITERS 50000
#define RB_SECONDS_PER_WORK 1e-3

void rp__exact_region_bounds(rp_solver *s)
{
    const rp_fleet *f = s->f;
    if (s->run > 1 || !s->lb_parts.part || f->ninst == 0 || !all_placed(s) ||
        !rp_mip_reefs_complete(f))
        return;
    /* The whole fleet's own MIP gave its bound already (rp__exact_small). */
    if (f->ninst <= EXACT_MAX_INSTANCES && !mates_apart(s) && !drain_optional(s))
        return;
    size_t ng = f->nregions;
    int *count = rp_xcalloc(ng + 1, sizeof(int));
    for (size_t i = 0; i < f->ninst; i++)
        count[f->inst[i].region]++;
    /* The small regions, smallest first: what a region leaves of its part
     * the next may use if the clock would cut it. */
    int *order = rp_xmalloc((ng + 1) * sizeof(int)), no = 0;
    for (size_t g = 0; g < ng; g++)
        if (count[g] > 0 && count[g] <= RB_MAX_INSTANCES)
            order[no++] = (int)g;
    double share = RB_SHARE * (s->o.time_limit > 0 ? s->o.time_limit : 60);
    if (no == 0 || short_of_time(s, fmin(share, 0.25 * no))) {
        free(order);
        free(count);
        return;
    }
    double tm = fmin(share, remaining(s));
    for (int a = 1; a < no; a++)
        for (int b = a; b > 0 && count[order[b]] < count[order[b - 1]]; b--) {
            int t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    double *exact = rp_xmalloc((ng + 1) * sizeof(double));
    for (size_t g = 0; g < ng; g++)
        exact[g] = -INFINITY;
    double t_start = rp__now_seconds();
    modelmap m;
    map_build(s, &m);
    rp_mip_place *start = current_places(s, &m);
    int *ids = rp_xmalloc((f->ninst + 1) * sizeof(int));
    int *cand = rp_xmalloc((m.nmr + 1) * sizeof(int));
    for (int q = 0; q < no; q++) {
        int g = order[q];
        size_t n = 0, nc = 0;
        for (size_t i = 0; i < f->ninst; i++)
            if (f->inst[i].region == (int)g)
                ids[n++] = (int)i;
        for (size_t k = 0; k < m.nmr; k++)
            if (m.mr[k].region == (int)g)
                cand[nc++] = (int)k;
        double part = share / no, est = RB_SECONDS_PER_WORK * (double)(n * nc) * f->set.slots;
        int nodes = est <= part ? RB_NODES : (int)(RB_NODES * part / est);
        if (nodes < RB_MIN_NODES) {
            rp_log(RP_LOG_INFO,
                   "region bound %s: %d instances, not tried (model too large for the time)",
                   f->regions[g].name, count[g]);
            continue;
        }
        /* The region's instances free, its reefs the candidates, every
         * other instance where the fleet has it: the model's objective is
         * then the region's part of the plan's (nothing else is in it), and
         * the region may use the whole budget. */
        rp_mip_opts mo;
        rp_mip_opts_default(&mo);
        mo.move_budget = s->budget;
        /* The clock is a safety net: twice the region's part, within what
         * is left of the share (and of the time limit). */
        mo.time_limit = fmin(2 * part, tm - (rp__now_seconds() - t_start));
        mo.node_limit = nodes;
        mo.lp_iter_limit = RB_LP_ITERS;
        mo.widen = true;
        mo.free_inst = ids;
        mo.nfree = n;
        mo.cand_reefs = cand;
        mo.ncand = nc;
        mo.start = start;
        rp_mip_result res = {.status = RP_MIP_NONE};
        rp_error err;
        if (mo.time_limit > 0 && rp_mip_solve_opts(f, &mo, &res, &err) == 0) {
            s->timed_out |= res.timed_out;
            if (isfinite(res.bound) && res.bound > -1e299)
                exact[g] = res.bound - glpk_margin(res.bound);
        }
        rp_log(RP_LOG_INFO,
               "region bound %s: %d instances, %d nodes at most, MIP %s, bound %.2f, heuristic "
               "%.2f, %.2f s",
               f->regions[g].name, count[g], nodes, rp_mip_status_names[res.status],
               isfinite(exact[g]) ? exact[g] : 0.0,
               s->lb_parts.part[(size_t)g * (size_t)s->lb_parts.nb + (size_t)s->lb_parts.nb - 1],
               res.seconds);
        rp_mip_result_free(&res);
    }
    /* A region's MIP holds for the whole budget, so for any share of it. */
    int raised = 0;
    for (size_t g = 0; g < ng; g++)
        raised +=
            exact[g] > s->lb_parts.part[g * (size_t)s->lb_parts.nb + (size_t)s->lb_parts.nb - 1];
    double before = rp_bound_parts_total(&s->lb_parts, NULL);
    double total = rp_bound_parts_total(&s->lb_parts, exact);
    /* A bound above the plan would be a fault in the model: never used. */
    bool used = raised > 0 && total <= rp_solver_objective(s) + 0.005;
    if (used)
        s->lb = fmax(s->lb, total);
    rp_log(RP_LOG_INFO, "region bounds: %d of %d regions raised, %.2f -> %.2f%s", raised, no,
           before, total, raised > 0 && !used ? ", above the plan: not used" : "");
    free(exact);
    free(order);
    free(cand);
    free(ids);
    free(start);
    map_free(&m);
    free(count);
}

/* The MIP over instances ids[0..n), free to go to (or stay in) the solver
 * reefs reefs[0..nreefs), the rest of the fleet where it is, within the
 * large-neighbourhood work limits; the result is kept when the objective
 * drops. */
static bool solve_part(rp_solver *s, const int *ids, size_t n, const int *reefs, int nreefs)
{
    modelmap m;
    map_build(s, &m);
    rp_mip_place *base = current_places(s, &m);
    int cand[2];
    bool ok = base != NULL && nreefs <= 2;
    for (int k = 0; ok && k < nreefs; k++)
        ok = (cand[k] = m.to_model[reefs[k]]) >= 0;
    bool kept = false;
    if (ok) {
        rp_mip_opts mo;
        rp_mip_opts_default(&mo);
        mo.move_budget = s->budget;
        mo.time_limit = remaining(s) * 0.5; /* a safety net: the work limits end it */
        mo.node_limit = LNS_NODES;
        mo.lp_iter_limit = LNS_LP_ITERS;
        mo.free_inst = ids;
        mo.nfree = n;
        mo.cand_reefs = cand;
        mo.ncand = (size_t)nreefs;
        mo.base = base;
        mo.start = base;
        rp_mip_result res = {0};
        kept = try_model(s, &m, &mo, ids, n, &res);
        rp_mip_result_free(&res);
    }
    free(base);
    map_free(&m);
    return kept;
}

/* Two reefs of one region: a light one and another at random. */
static bool pick_pair(rp_solver *s, int *a, int *b)
{
    for (int tries = 0; tries < 8; tries++) {
        int r = rp__rng_below(s, s->nr);
        if (s->r[r].use.n == 0)
            continue;
        int g = s->r[r].region, n = s->region_nreefs[g];
        int q = s->region_reefs[g][rp__rng_below(s, n)];
        if (q == r || s->r[q].use.n == 0)
            continue;
        *a = r;
        *b = q;
        return true;
    }
    return false;
}

bool rp__lns_step(rp_solver *s, int *buf)
{
    int a, b;
    if (short_of_time(s, 1.0) || !pick_pair(s, &a, &b))
        return false;
    size_t n = 0;
    for (int k = 0; k < s->nmovers; k++) {
        int i = s->movers[k];
        if (s->at[i] == a || s->at[i] == b)
            buf[n++] = i;
    }
    while (n > LNS_MAX_FREE) /* a random subset */
        buf[rp__rng_below(s, (int)n)] = buf[n - 1], n--;
    if (n == 0)
        return false;
    int reefs[2] = {a, b};
    return solve_part(s, buf, n, reefs, 2);
}

/* One reef's tiers, pool and node count, solved exactly with its instances
 * ids[0..n) held in it: a step of the search cannot find them when two
 * instances must go dedicated together before a pool size can drop. */
int rp__tiers_exact(rp_solver *s, int r, const int *ids, size_t n)
{
    if (n == 0)
        return 0;
    if (short_of_time(s, 1.0))
        return -1;
    return solve_part(s, ids, n, &r, 1);
}

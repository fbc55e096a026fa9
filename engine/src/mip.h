/* mip.h - the exact side of the optimizer: the rebalance problem of SPEC
 * §3-4 as a mixed-integer program, solved with GLPK or written in CPLEX LP
 * format. GLPK lives in the mip*.c files only (mip_cg.c: column generation for
 * packing, declared in pack.h); nothing here exposes it.
 *
 * The model. Reefs are numbered as in rp_mip_reefs: the fleet's reefs first
 * (same index as f->reefs), then per region the candidate new reefs. For
 * every allowed (instance i, reef r) pair a binary z[i,r] places i in r and
 * per tier a binary s[i,r,k] <= z[i,r] makes tier k shared (dedicated when
 * z - s = 1). This is the tier-combination model x[i,r,c] factorised: the
 * dedicated size and price of each tier, the tier-change cost and the shared
 * load are per tier, so 4 columns per pair replace 8 and each capacity row
 * has one term per pair. A tier that cannot be dedicated (rule 8: no size
 * fits) or is fixed (pinned) has no s column: it is z (shared) or 0.
 * A group member has no pair at a reef another member of its group starts
 * in (but its own): mates never trade reefs, which no order of migrations
 * could do with rule 7 holding at every step (as in the search).
 * Per reef: o[r] open, y[r,k] pool SKU k (sum_k y = o), N[r] shared nodes.
 * Rows: assignment (sum_r z + u_i = 1, u_i = unplaced at penalty
 * RP_MIP_PEN_UNPLACED), s <= z, z <= o, rules 1-2 and 4 and 6 per slot,
 * 3 (max_dbs; per_db_max as s_db + y_k <= 1), pods, min and max nodes,
 * instance count, groups, the move budget, max_reefs per region, and
 * o[new k] >= o[new k+1] against symmetry. Rows that cannot bind (the whole
 * possible load fits the smallest size) are left out. Objective: SPEC §4
 * target cost + move and tier-change costs, plus RP_MIP_PEN_DRAIN per
 * instance left in a draining reef that rule 10 would let it leave (a
 * pinned or cooling-down one costs nothing extra: it has no choice). Capacity limits carry the
 * RP_EPS slack of rp_fits.
 *
 * Ownership: an rp_mip_result owns its arrays; rp_mip_result_free releases
 * them (a zeroed result is a no-op). The fleet must outlive nothing here. */
#ifndef RP_MIP_H
#define RP_MIP_H

#include "plan.h"

#define RP_MIP_PEN_UNPLACED 1e6
#define RP_MIP_PEN_DRAIN 1e5

/* One reef of the model. */
typedef struct rp_mip_reef {
    int fleet_reef; /* index in f->reefs, -1 for a candidate new reef */
    int region, template_idx;
    /* Result only: whether the reef is open in the solution, and its pool
     * (catalog index) and shared node count; pool -1 when closed. */
    bool open;
    int pool, nodes;
} rp_mip_reef;

/* Where one instance is: reef index in the model numbering (-1: unplaced),
 * tiers (RP_SHARED / RP_DEDICATED) and dedicated sizes at that reef's
 * template (rp_ded_fill). */
typedef struct rp_mip_place {
    int reef;
    uint8_t tier[RP_NTIERS];
    rp_ded ded;
} rp_mip_place;

/* Options. Zero-initialised values are not all sensible: start from
 * rp_mip_opts_default.
 * Subset mode (large-neighbourhood search): free_inst lists the instances
 * the model may place (NULL: all), cand_reefs the model reefs they may go
 * to and that may be resized, opened or closed (NULL: all). Every other
 * instance stays where base puts it (NULL: the fleet's current placement;
 * otherwise one entry per fleet instance in the rp_mip_reefs numbering);
 * fixed instances in candidate reefs load them and force them open, their
 * moves use the budget, and their members hold group slots. */
typedef struct rp_mip_opts {
    int move_budget;   /* -1 unlimited, -2 the fleet's setting */
    double time_limit; /* seconds for glp_intopt; <= 0: none */
    double mip_gap;    /* relative gap at which the search stops */
    /* Work limits that do not depend on the machine's speed (0: none):
     * simplex iterations of the root LP, and branch-and-bound nodes. A
     * search they end is as deterministic as GLPK; a search the time limit
     * ends is not (timed_out in the result). */
    int lp_iter_limit;
    int node_limit;
    const int *free_inst;
    size_t nfree;
    const int *cand_reefs;
    size_t ncand;
    const rp_mip_place *base;
    /* A starting solution (per fleet instance, rp_mip_reefs numbering;
     * fixed instances are ignored), e.g. the heuristic's placement via
     * rp_mip_start_from_plan. When it is feasible for the model it is
     * handed to GLPK as the first incumbent; when not, it is silently
     * unused. */
    const rp_mip_place *start;
    /* Solve only the LP relaxation (glp_simplex): status stays
     * RP_MIP_NONE, and bound is the LP's optimum, or -INFINITY when the
     * simplex reaches none within the limits. The model is then widened
     * to hold every valid plan: group mates may have pairs at the reefs the
     * others start in, and instances left in a draining reef cost nothing
     * extra. */
    bool relax_only;
    /* The model widened as with relax_only, solved as a MIP: its bound then
     * holds for every valid plan, but a solution may be no valid plan (mates
     * trading reefs, draining instances left while budget remains), so it
     * is for bounds only. */
    bool widen;
} rp_mip_opts;

void rp_mip_opts_default(rp_mip_opts *o);

typedef enum {
    RP_MIP_OPTIMAL,  /* proven optimal within mip_gap */
    RP_MIP_FEASIBLE, /* a solution, not proven optimal (time or work limit) */
    RP_MIP_NONE      /* no solution found (time limit, or the model is empty) */
} rp_mip_status;
extern const char *const rp_mip_status_names[3]; /* "optimal", "feasible", "none" */

typedef struct rp_mip_result {
    rp_mip_status status;
    /* objective: the rebalance objective (SPEC §4) of the solution over the
     * candidate reefs, penalties excluded; in full mode it is the whole
     * fleet's and comparable with rp_solver_objective. mip_objective is the
     * model's objective (penalties included) and bound GLPK's best bound
     * on it (equal to mip_objective when optimal with gap 0). */
    double objective, mip_objective, bound;
    double seconds;                     /* build + solve wall time */
    double build_seconds;               /* of which building the model */
    int rows, cols, nonzeros, integers; /* model size */
    rp_mip_reef *reefs;                 /* the model reefs (rp_mip_reefs numbering) */
    size_t nreefs;
    rp_mip_place *place; /* per fleet instance */
    size_t ninst;
    /* moves as counted by the budget; left_draining counts every instance
     * that ends in a draining reef (the plan's deferred list). */
    int unplaced, moves, left_draining;
    /* opts.start was feasible for the model and offered to GLPK (which
     * takes it at its first heuristic call; a root LP that is already
     * integral ends the search before that). */
    bool start_used;
    /* The time limit ended the LP or the branch and bound. */
    bool timed_out;
} rp_mip_result;

void rp_mip_result_free(rp_mip_result *r);

/* The model's reefs for fleet f: f->reefs in order, then per region
 * min(ceil(instances/20) + 2, max_reefs - active and closed reefs) new
 * reefs of the region's template. Returns the count; *out is malloc'd. */
size_t rp_mip_reefs(const rp_fleet *f, rp_mip_reef **out);
/* Does rp_mip_reefs offer, in every region, every new reef a plan may
 * open? Then the model (widened as with relax_only) holds every valid
 * plan, not only those within the solver's reefs. */
bool rp_mip_reefs_complete(const rp_fleet *f);

/* Builds the model and solves it: the LP relaxation with glp_simplex, then
 * glp_intopt from its basis (time limit over both, mip gap; GLPK
 * silenced; no GLPK presolver, which does not honour the time limit). Returns 0 with out filled
 * (status says whether a solution was found: no solution is an answer, not an error), or a negative
 * RP_E* code with err set for bad options (an index out of range, a base placement in the wrong
 * region) or a GLPK failure. */
int rp_mip_solve_opts(const rp_fleet *f, const rp_mip_opts *o, rp_mip_result *out, rp_error *err);

/* The full model with move_budget (-1 unlimited, -2 the fleet's setting)
 * and a time limit in seconds; returns status as an int (rp_mip_status), or
 * a negative RP_E* code. */
int rp_mip_solve(const rp_fleet *f, int move_budget, double time_limit, rp_mip_result *out);

/* Writes the full model in CPLEX LP format to path (temporary file in the
 * same directory, then rename). Returns 0 or a negative code with err. */
int rp_mip_export_lp(const rp_fleet *f, int move_budget, const char *path, rp_error *err);

/* Maps a plan's target placement (e.g. rp_solver_to_plan's) to the model
 * numbering for rp_mip_opts.start: fleet reefs keep their index, the k-th
 * created reef of a region becomes that region's k-th candidate new reef;
 * unplaced instances get reef -1. Returns a malloc'd array of f->ninst
 * entries, or NULL when the plan creates more reefs in a region than the
 * model has candidates. */
rp_mip_place *rp_mip_start_from_plan(const rp_fleet *f, const rp_plan *p);

/* Turns a full-mode result into plan p (which must be empty, from
 * rp_plan_new): plan reefs (fleet reefs first, then the opened new reefs,
 * named like the solver's), placements, unplaced (reason "no feasible
 * placement in the exact model"), deferred (instances left in draining
 * reefs) and the summary, priced with the capacity model (lower_bound from
 * rp_lower_bound: the MIP bound is not used, since it holds only for the
 * model's candidate reefs and includes penalties). Actions are left to
 * rp_plan_sequence. Returns 0, or RP_EINVALID when r has no solution. */
int rp_mip_to_plan(const rp_fleet *f, const rp_mip_result *r, int move_budget, rp_plan *p);

#endif

/* solver.h - the rebalance search (SPEC §3-4, issue "rebalance"): a working
 * state of the whole fleet with incremental cost, a constructive start for
 * instances that must be placed, and improvement moves (relocate with tier
 * choice, tier flips, emptying a reef, ruin-and-recreate) on the true
 * objective, within the move budget and the placement rules.
 *
 * rp_solver_new copies what it needs from the fleet (which must outlive the
 * solver); rp_solver_free releases it (NULL is a no-op). */
#ifndef RP_SOLVER_H
#define RP_SOLVER_H

#include "plan.h"

#define RP_LNS_AUTO_STEPS 300
#define RP_LNS_AUTO_INSTANCES 2000

/* What the search reports while it runs, through rp_solve_opts.progress:
 * how long the solve has run, its limit, the step it is in and the
 * objective of the run so far. Reporting never changes the search. */
typedef struct rp_progress {
    double elapsed;    /* seconds since the solve began */
    double time_limit; /* the solve's limit in seconds; 0 none */
    const char *phase; /* "construction", "packing", "moves by gain", "improvement",
                          "final sweep", "reef tier MIPs" */
    double objective;  /* this run's objective so far (SPEC section 4, without the search's
                          penalties); NAN during construction */
    int run, runs;     /* run of --restarts (from 1), and how many there may be */
} rp_progress;
typedef void (*rp_progress_fn)(const rp_progress *p, void *ud);

typedef struct rp_solve_opts {
    double time_limit; /* seconds of wall time for the whole solve */
    uint64_t seed;
    int move_budget;   /* -1 unlimited; -2 means "use the fleet's setting" */
    long max_iters;    /* 0: default, scaled to the fleet */
    long patience;     /* iterations without a lower objective before the search stops:
                          0 default (4000 + 4 per movable instance), -1 never */
    int defer_moves;   /* a run with moves deferred after the first (search.c): -1 never (the
                          CLI's default), 0 when the budget, all spent, is at most 64 moves,
                          the fleet has 1,000 instances or more and the first run took at
                          most a quarter of the limit, 1 whenever the budget is limited */
    long lns_steps;    /* large-neighbourhood MIP steps at most: 0 none, -1 no cap (2% of
                          the iterations), -2 RP_LNS_AUTO_STEPS, x 24 / slots above 24 slots
                          (a step's model grows with the slots), x RP_LNS_AUTO_INSTANCES /
                          instances above that many; each step is bounded by nodes and LP
                          iterations, not by the clock */
    int restarts;      /* runs of the search, the best kept (rp_solver_solve); 0 or 1: one */
    rp_progress_fn progress; /* NULL: none; else called at each step and about
                                four times a second within one */
    void *progress_ud;
} rp_solve_opts;

typedef struct rp_solver rp_solver;

rp_solver *rp_solver_new(const rp_fleet *f, const rp_solve_opts *o);
void rp_solver_free(rp_solver *s);

/* Runs construction then improvement until the iteration budget is spent,
 * the search stagnates, or the time limit passes. Deterministic for a given
 * seed unless the time limit ended some part of it (RP_STOP_TIME_LIMIT). */
void rp_solver_run(rp_solver *s);

/* rp_solver_run from the fleet as it is, o->restarts times within
 * the one time limit, each with its own random stream (the first with
 * o->seed itself, so one run is exactly rp_solver_run); returns the best
 * (a feasible result first, then the lowest objective), reporting the
 * strongest of the runs' lower bounds. Stops early when a run reaches its
 * lower bound. A run the clock cut short, or one not started for lack of
 * time, makes the result RP_STOP_TIME_LIMIT. Caller frees. */
rp_solver *rp_solver_solve(const rp_fleet *f, const rp_solve_opts *o);

/* Why the search ended, in order of precedence: it reached the lower bound
 * (a proven optimum); the time limit cut some step short (a MIP step, the
 * packing kernel or the improvement loop), so another run may differ; the
 * iteration budget was spent; it stopped improving. */
typedef enum rp_stop {
    RP_STOP_LOWER_BOUND,
    RP_STOP_TIME_LIMIT,
    RP_STOP_ITERATIONS,
    RP_STOP_STAGNATION
} rp_stop;
extern const char *const rp_stop_names[4]; /* "lower bound", "time limit", ... */
rp_stop rp_solver_stop(const rp_solver *s);

/* Writes the target placement, reef sizes, unplaced, deferred and summary
 * (actions are added by rp_plan_sequence). */
void rp_solver_to_plan(const rp_solver *s, rp_plan *p);

/* Why instance i stays in its draining reef, as a plan's deferred list
 * says: "pinned", "move cooldown", "move budget" (when the budget is
 * spent) or "no reef can take it". */
const char *rp_deferred_reason(const rp_fleet *f, size_t i, bool budget_spent);

/* After rp_solver_run: NULL when every reef of the result holds its load at
 * some size and every dedicated tier has a size that holds it; else why not
 * (the first such reef or instance; caller frees). Existing instances are
 * never left out of a plan, so such a result is no plan (SPEC §3: nothing
 * is put somewhere infeasible). */
char *rp_solver_infeasible(const rp_solver *s);

/* The objective of the current solver state (target cost + move and tier
 * costs), penalties excluded. */
double rp_solver_objective(const rp_solver *s);

/* Orders the actions that take the fleet from its current placement to the
 * plan's target so that the replay rule of SPEC §5 and rule 7 hold at every
 * step; max_concurrent bounds migrations per reef in one wave. A target no
 * order reaches safely (load that can only move around a cycle of full
 * reefs; group mates that trade reefs, which the optimizer never plans)
 * still gets every action, capacity given up before groups, the latter
 * logged as a warning. Returns how many arrivals went past capacity; with
 * forced, *forced receives those instances (the caller frees it; NULL when
 * none). */
size_t rp_plan_sequence(const rp_fleet *f, rp_plan *p, int max_concurrent, int **forced);

/* The plan of s in p (empty, from rp_plan_new, its fingerprint set), with
 * its actions in order (rp_plan_sequence). Where no order is safe, the
 * forced arrivals go back with rp_solver_move_back and the plan is made
 * again, until every step is safe; should that leave a reef no size holds,
 * the plan keeps those steps, each logged as a warning. Returns the plan
 * (p, or a new one that replaces it: p is then freed); *changed says
 * whether moves were undone. */
rp_plan *rp_solver_plan(rp_solver *s, rp_plan *p, int max_concurrent, bool *changed);

/* Moves back to the reef the fleet has them in, at the tiers it has, the
 * instances of ids[0..n) and, reef by reef, every instance that has moved
 * into a reef one of them came from (so a cycle of moves among full reefs
 * is undone whole). New instances and those of broken reefs stay. When the
 * result has no feasible size somewhere, nothing is changed and it returns
 * 0; else how many instances moved back. */
size_t rp_solver_move_back(rp_solver *s, const int *ids, size_t n);

/* Replaces every profile by its peak (the time-unaware baseline that
 * packing by slot is compared against). */
void rp_fleet_flatten_peaks(rp_fleet *f);

#endif

/* solver_int.h - the rebalance search's working state, shared by solver.c
 * (state, incremental cost, results) and search.c (construction and
 * improvement moves). Not part of the library's interface. */
#ifndef RP_SOLVER_INT_H
#define RP_SOLVER_INT_H

#include "bound.h"
#include "solver.h"

/* Penalties steer the search; they never reach the reported objective. A
 * reef that no SKU can hold costs INFEASIBLE plus its overflow, and every
 * instance left in a draining reef costs DRAIN, so the budget goes there
 * first. */
#define PEN_INFEASIBLE 1e7
#define PEN_DRAIN 1e5
#define IMPROVE_EPS 1e-6
#define MAX_POOLS 256
/* The improvement loop stops at this share of the time limit, leaving the
 * rest to the final sweep that settles every instance at a local optimum,
 * and to the reef tier MIPs. */
#define RP_IMPROVE_UNTIL 0.85

typedef struct sreef {
    int fleet_reef; /* -1: a reef the plan may create */
    int region, tmpl;
    rp_reef_state state;
    rp_reef_use use;
    int pool, nodes; /* cheapest sizing of the load, -1 when none fits */
    double cost;     /* reef cost with penalties; 0 when empty */
    double shape;    /* tie-breaker: minus the sum of squared fill levels */
    /* Failed eliminations of this reef and the region's state when they
     * failed (cost, tie-breaker, moves): retrying an unchanged region is
     * work that finds nothing. */
    int elim_fails;
    double elim_cost, elim_shape;
    int elim_moves;
    /* The reef as its last tier MIP left it (cost, tie-breaker, members);
     * NAN before its first. */
    double tiers_cost, tiers_shape;
    int tiers_n;
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
    double lb; /* lower bound of the instances placed after construction */
    rp_bound_parts lb_parts; /* its parts per region and budget (rp_lower_bound_regions) */
    bool smooth; /* price shared capacity by the unit (construction) */
    bool timed_out; /* the time limit cut some step short */
    bool iters_spent; /* the improvement loop used its whole iteration budget */
    /* The improvement loop stops at this share of the time limit. */
    double improve_until;
    /* Moves deferred: the run first searches with no budget-counted move
     * beyond the draining reefs', then spends the budget (search.c). */
    bool defer_moves;
    int drain_moves; /* budget-counted moves made by the draining reefs first */
    /* Progress reports: the run among the solve's runs, when the solve
     * began and its whole limit, the last report. */
    int run, runs;
    double solve_t0, solve_limit, last_report;
    const char *last_phase;
};

/* What a reef would hold: the figures rp_size_for and the cost need. */
typedef struct load {
    double peak[RP_NMETRICS];
    int nsh[RP_NTIERS];
    int n;
    long ded_nodes;
    double share_gb_peaks, ded_cost;
    int over[MAX_POOLS];
} load;

typedef struct choice {
    int reef;
    uint8_t tier[RP_NTIERS];
    rp_ded ded;
    double delta;  /* change of the total objective, penalties included */
    double dshape; /* change of the tie-breaker */
} choice;

#define SHAPE_EPS 1e-9

/* Lexicographic: cost first, shape on equal cost. */
static inline bool rp__better(double d, double ds, double bd, double bds)
{
    return d < bd - IMPROVE_EPS || (d <= bd + IMPROVE_EPS && ds < bds - SHAPE_EPS);
}

static inline bool rp__improves(double d, double ds)
{
    return rp__better(d, ds, 0, 0);
}

typedef struct undo {
    int inst, reef;
    uint8_t tier[RP_NTIERS];
    rp_ded ded;
} undo;

typedef struct journal {
    rp_vec log; /* undo entries, first touch of each instance */
    double delta, dshape;
} journal;

/* Records instance i's placement the first time a compound move touches it. */
void rp__touch(journal *j, const rp_solver *s, size_t i);
/* Puts every touched instance back where it was. */
void rp__rollback(rp_solver *s, journal *j);
/* Objective with penalties (and the tie-breaker in *shape). */
double rp__total_cost(const rp_solver *s, double *shape);
/* Sort key of instance i for placing the largest first: its peaks, each
 * metric scaled by the first plan's default profile. */
double rp__size_key(const rp_fleet *f, size_t i);
/* The improvement loop's clock: true (and timed_out set) once 85% of the
 * time limit has passed. */
bool rp__out_of_time(rp_solver *s);
/* Tells the caller's progress callback (if any) that the search is in
 * `phase` (a string that outlives the solve, such as a literal): at once
 * when the phase changes, else at most four times a second. */
void rp__progress(rp_solver *s, const char *phase);
/* Instances of reef r that may leave it, into out; returns how many. */
size_t rp__members(const rp_solver *s, int r, int *out);
/* Eliminates reef R by ejection chains (eliminate.c): its instances go to
 * a pool; each is put where it fits at no extra cost, or swapped for
 * smaller ones that join the pool (tabu keeps an ejected instance out of
 * the reef it left for a few steps). Kept when the pool empties and the
 * objective drops; buf: room for every instance. */
bool rp__eliminate(rp_solver *s, int R, int *buf);
/* Re-tiers instance i in its own reef when that lowers the objective,
 * recording it in j (if not NULL) first. */
bool rp__retier(rp_solver *s, size_t i, journal *j);
/* Exact steps with the MIP (exact.c): the whole fleet when it is small
 * enough to prove optimality, large-neighbourhood steps that free the
 * instances of two reefs and re-optimise them exactly (buf: room for
 * every instance), and one reef's tiers, pool and node count with its
 * instances ids held in it. Each keeps its result only when the objective drops. */
void rp__exact_small(rp_solver *s);
/* The LP relaxation of the whole fleet's model as a lower bound, for
 * small fleets whose model holds every valid plan, within a tenth of the
 * time limit (exact.c). */
void rp__exact_lp_bound(rp_solver *s);
/* Each region of few instances solved alone as a MIP widened to hold every
 * valid plan, its bound replacing the heuristic's part for that region when
 * higher (exact.c). */
void rp__exact_region_bounds(rp_solver *s);
bool rp__lns_step(rp_solver *s, int *buf);
/* 1: reef r's own MIP lowered the objective; 0: it did not; -1: too little
 * time was left to solve it. */
int rp__tiers_exact(rp_solver *s, int r, const int *ids, size_t n);

/* Closes reefs of region g by vector packing at their current sizes
 * (search_pack.c); true when the objective improved. */
bool rp__pack_region(rp_solver *s, int g, double deadline);

double rp__now_seconds(void);

/* How often a loop reads the clock: every `stride` steps, at most every
 * RP_PACE_MAX_STRIDE. The stride doubles while reads come less than
 * RP_PACE_MIN_S apart, and shrinks in proportion when they come more than
 * RP_PACE_MAX_S apart. A loop whose steps take milliseconds (large fleets
 * with 168 slots) then reads it at every step and stops within one step of
 * its deadline; one whose steps take microseconds reads it every 64 steps. */
#define RP_PACE_MIN_S 0.002
#define RP_PACE_MAX_S 0.010
#define RP_PACE_MAX_STRIDE 64

typedef struct rp_pacer {
    long left, stride;
    double last;
} rp_pacer;

rp_pacer rp__pacer_start(void);
/* True when the loop should look at the clock now (at the first call, and
 * then every stride steps). */
bool rp__pacer_due(rp_pacer *p);

uint64_t rp__rng_next(uint64_t *s);
int rp__rng_below(rp_solver *s, int n);
void rp__refresh(rp_solver *s, int r);
double rp__reef_premium(rp_solver *s, int r);
bool rp__is_move(const rp_solver *s, size_t i, int reef);
bool rp__counts_in_budget(const rp_solver *s, size_t i, int reef);
double rp__inst_cost(const rp_solver *s, size_t i, int reef, const uint8_t tier[RP_NTIERS]);
/* A group mate of i in reef (its instance index), or -1. */
int rp__mate_at(const rp_solver *s, size_t i, int reef);
bool rp__group_ok(const rp_solver *s, size_t i, int reef);
bool rp__ded_sizes(const rp_solver *s, size_t i, int tmpl, const uint8_t tier[RP_NTIERS],
                   rp_ded *d);
/* Take instance i out of its reef / put it into reef r with tiers and sizes. */
void rp__inst_remove(rp_solver *s, size_t i);
void rp__inst_put(rp_solver *s, size_t i, int r, const uint8_t tier[RP_NTIERS], const rp_ded *d);
/* Change of the objective (and tie-breaker) if instance i leaves its reef. */
double rp__leave_delta(const rp_solver *s, size_t i, double *dshape);
/* Best destination and tiers for instance i (its own reef too when stay). */
choice rp__best_place(rp_solver *s, size_t i, bool stay);
void rp__apply_choice(rp_solver *s, size_t i, const choice *c);
bool rp__solver_cooling(const rp_fleet *f, size_t i);
/* Load of reef r with instances outs[0..nout) removed and ins[0..nin)
 * added (at most 2 each), all with their current tiers and sizes; fills l
 * and returns the reef's new cost (pool < 0 when no size holds it). */
double rp__exchange_cost(const rp_solver *s, int r, const int *outs, int nout, const int *ins,
                         int nin, load *l, int *pool, int *nodes);
/* May instance i enter reef r (state, region, group; not capacity)? */
bool rp__may_enter(const rp_solver *s, size_t i, int r);
double rp__shape_of(const rp_solver *s, const sreef *x, const load *l);

#endif

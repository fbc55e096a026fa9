/* bound.h - a lower bound on the rebalance objective (SPEC §4), valid for
 * every plan that places the instances marked in `placed` and obeys the
 * move budget. Combinatorial and cheap (O(instances x slots)), except that
 * the count of reefs a region needs also takes, per metric at its busiest
 * slot and for at most 2,000 instances, the column-generation LP bound of
 * that one-slot bin packing (at most 200 LPs; deterministic), and the
 * whole-size part, whose knapsacks take instances x (a few hundred) per
 * multiplier tried (about 5 s at 100k instances x 168 slots).
 *
 * Per region it is the largest of four bounds:
 * - fleet-wide: pools, nodes and shares must cover the region's total load at
 *   its busiest slot, each instance's part priced at the cheaper of the best
 *   unit price of shared capacity and its own dedicated size; plus the fixed
 *   cost and minimum size of the fewest reefs the region can use (by
 *   instance count, groups, immovable instances, and per metric the L2 and
 *   LP bounds of the busiest slot's packing);
 * - move-budget: at most B instances leave any reef, so each existing reef
 *   keeps at least its immovable instances and all but B of the rest, and
 *   must be sized for the lightest such set at every slot;
 * - reef by reef (a Lagrangian bound): each reef's load priced at its own
 *   busiest slot and metric, at most B instances moving to where they are
 *   priced lowest; it sees reefs that peak at different hours, or run short
 *   of memory in one and of CPU in another;
 * - whole sizes (bound_steps.c, for a limited budget and fleets up to
 *   RP_STEP_BOUND_MAX_INSTANCES): pools and node counts bought in whole
 *   steps reef by reef, dedicated databases bought whole, at most B
 *   instances leaving their reefs; the region-wide capacity row relaxed
 *   with a searched multiplier.
 * Plus the migrations no plan can avoid (instances of broken reefs, and of
 * draining reefs as far as the budget reaches), at their cheapest. Those
 * out of draining reefs come first (rule 9), so the last two parts give
 * the other reefs only what is left of the budget; the whole-size part
 * also sizes draining reefs for what stays in them.
 *
 * The fleet's budget is split among regions: each region's part is taken
 * at a grid of budgets (rp_bound_parts) and the bound is the least sum of
 * parts over the ways to split the budget. */
#ifndef RP_BOUND_H
#define RP_BOUND_H

#include "capacity.h"

/* placed: per instance, true when the plan places it (NULL: all).
 * move_budget: -1 unlimited. */
double rp_lower_bound(const rp_fleet *f, const bool *placed, int move_budget);

/* The same, its reef-by-reef part also priced at the busiest slots of a
 * plan: guide_reef[i] is the fleet reef of instance i in that plan (-1: none
 * or a new reef), guide_tier[i] its tiers. Any plan gives a valid bound; the
 * tighter the plan, the tighter the bound. */
double rp_lower_bound_guided(const rp_fleet *f, const bool *placed, int move_budget,
                             const int *guide_reef, const uint8_t (*guide_tier)[RP_NTIERS]);

/* Each region's part of the bound at a grid of move budgets: what the
 * region's reefs cost and its instances' dedicated tiers, moves and tier
 * changes, forced moves out of broken reefs included, when at most
 * budget[j] of its instances change reef. The fleet's budget is split
 * among its regions, so the bound is the least sum of parts over the ways
 * to split it (rp_bound_parts_total), and a region's part may be replaced
 * by any other lower bound on it that holds for the whole budget. */
#define RP_BOUND_GRID_MAX 64

typedef struct rp_bound_parts {
    size_t nregions;
    int nb;                        /* budgets in the grid */
    int budget[RP_BOUND_GRID_MAX]; /* increasing, the last the fleet's (-1: unlimited) */
    double *part;                  /* part[g * nb + j] */
} rp_bound_parts;

/* The same, with each region's part in *parts (to be freed with
 * rp_bound_parts_free). */
double rp_lower_bound_regions(const rp_fleet *f, const bool *placed, int move_budget,
                              const int *guide_reef, const uint8_t (*guide_tier)[RP_NTIERS],
                              rp_bound_parts *parts);

/* The least, over the ways to split the budget among regions, of the sum
 * of the regions' parts, each raised to floor[g] at least (floor NULL:
 * none). */
double rp_bound_parts_total(const rp_bound_parts *p, const double *floor);

void rp_bound_parts_free(rp_bound_parts *p);

#endif

/* bound.h - a lower bound on the rebalance objective (SPEC §4), valid for
 * every plan that places the instances marked in `placed` and obeys the
 * move budget. Combinatorial and cheap (O(instances x slots)), except that
 * the count of reefs a region needs also takes, per metric at its busiest
 * slot and for at most 2,000 instances, the column-generation LP bound of
 * that one-slot bin packing (at most 200 LPs; deterministic).
 *
 * Per region it is the larger of two bounds:
 * - fleet-wide: pools, nodes and shares must cover the region's total load at
 *   its busiest slot, each instance's part priced at the cheaper of the best
 *   unit price of shared capacity and its own dedicated size; plus the fixed
 *   cost and minimum size of the fewest reefs the region can use (by
 *   instance count, groups, immovable instances, and per metric the L2 and
 *   LP bounds of the busiest slot's packing);
 * - move-budget: at most B instances leave any reef, so each existing reef
 *   keeps at least its immovable instances and all but B of the rest, and
 *   must be sized for the lightest such set at every slot.
 * Plus the migrations no plan can avoid (instances of broken reefs, and of
 * draining reefs as far as the budget reaches), at their cheapest. */
#ifndef RP_BOUND_H
#define RP_BOUND_H

#include "capacity.h"

/* placed: per instance, true when the plan places it (NULL: all).
 * move_budget: -1 unlimited. */
double rp_lower_bound(const rp_fleet *f, const bool *placed, int move_budget);

#endif

/* capacity.h - the capacity and cost model of SPEC §3-4, shared by check,
 * rebalance, place and whatif. (verify deliberately re-derives the rules on
 * its own; it is the oracle.)
 *
 * An rp_reef_use holds the shared-tier load of one reef per metric and slot,
 * so adding or removing an instance costs O(metrics x slots) and a candidate
 * move is evaluated without modifying anything. Callers own rp_reef_use
 * values; rp_use_free releases the arrays inside (a zeroed one is a no-op). */
#ifndef RP_CAPACITY_H
#define RP_CAPACITY_H

#include "fleet.h"

/* Floating-point slack when comparing a load with a limit. */
#define RP_EPS 1e-6

/* Whether a load fits under a limit, with RP_EPS slack (absolute below 1,
 * relative above) so a value exactly at a limit passes. Every capacity
 * comparison in the engine should use this one test. */
static inline bool rp_fits(double value, double limit)
{
    double a = limit < 0 ? -limit : limit;
    return value <= limit + RP_EPS * (a > 1.0 ? a : 1.0);
}

/* The tier whose shared/dedicated choice decides where a metric loads:
 * db metrics -> RP_TIER_DB, cpu/memory -> RP_TIER_COMPUTE, share -> STORAGE. */
extern const int rp_metric_tier[RP_NMETRICS];

/* Dedicated sizes of one instance: db single-DB SKU index, node-pool node
 * count, premium share GiB. A tier that is shared has size -1 / 0. */
typedef struct rp_ded {
    int db_sku;
    int nodes;
    int share_gb;
} rp_ded;

/* Cheapest feasible dedicated size per rule 8, or -1 when nothing fits
 * (then the instance cannot use that tier dedicated). */
int rp_size_ded_db(const rp_fleet *f, size_t i);
int rp_size_ded_nodes(const rp_fleet *f, size_t i, int template_idx);
int rp_size_ded_share(const rp_fleet *f, size_t i, int template_idx);
/* Monthly price of a dedicated tier at a size (tier RP_TIER_*). */
double rp_ded_price(const rp_fleet *f, int tier, int template_idx, int size);
/* Fills d with the cheapest size for each dedicated tier in tier[]; returns
 * the tier index that cannot be sized, or -1 when all fit. */
int rp_ded_fill(const rp_fleet *f, size_t i, int template_idx, const uint8_t tier[RP_NTIERS],
                rp_ded *d);
/* As rp_ded_fill, but a tier that cannot be sized gets the largest size
 * (largest single DB, max_nodes nodes, max_gb GiB) so the current state can
 * still be priced; returns the first such tier, or -1. */
int rp_ded_fill_or_largest(const rp_fleet *f, size_t i, int template_idx,
                           const uint8_t tier[RP_NTIERS], rp_ded *d);
/* Sum of the prices of the dedicated tiers in d (0 when d is NULL). */
double rp_ded_cost(const rp_fleet *f, int template_idx, const uint8_t tier[RP_NTIERS],
                   const rp_ded *d);

/* Which rule a reef breaks, with the metric and slot when they apply. */
enum rp_rule {
    RP_RULE_NONE = 0,
    RP_RULE_DB_COMPUTE = 1, /* rule 1 */
    RP_RULE_DB_STORAGE,     /* rule 2 */
    RP_RULE_MAX_DBS,        /* rule 3 count */
    RP_RULE_PER_DB_MAX,     /* rule 3 per-db */
    RP_RULE_CPU,            /* rule 4 cpu */
    RP_RULE_MEMORY,         /* rule 4 memory */
    RP_RULE_PODS,           /* rule 4 pods */
    RP_RULE_MIN_NODES,      /* rule 4 min */
    RP_RULE_MAX_NODES,      /* rule 5 */
    RP_RULE_SHARE_GB,       /* rule 6 */
    RP_RULE_SHARE_IOPS,     /* rule 6 */
    RP_RULE_MAX_INSTANCES,  /* rule 7 */
    RP_RULE_GROUP,          /* rule 7 */
    RP_RULE_REGION,         /* rule 7 */
    RP_RULE_DEDICATED,      /* rule 8: no dedicated size fits */
    RP_RULE_STATE,          /* rule 9 */
    RP_RULE_NO_SKU          /* no pool SKU / node count fits at all */
};

typedef struct rp_violation {
    int rule;   /* enum rp_rule */
    int metric; /* -1 when not a per-metric rule */
    int slot;   /* -1 when not per slot */
    double value, limit;
} rp_violation;

/* "rule 1 db_compute at slot 37: 12.4 > 11.2" style text into buf. */
const char *rp_violation_str(const rp_violation *v, char *buf, size_t n);
/* Short name of a rule: "db_compute", "max_dbs", ... */
const char *rp_rule_name(int rule);

typedef struct rp_reef_use {
    int slots;
    double *sum;               /* [RP_NMETRICS * slots], shared tiers only */
    double peak[RP_NMETRICS];  /* max over slots of sum, kept current */
    int peak_slot[RP_NMETRICS];
    double share_gb_peaks;     /* Σ peak share_gb over shared storage (cost basis) */
    int n;                     /* instances in the reef */
    int n_shared[RP_NTIERS];   /* instances with that tier shared */
    long ded_nodes;            /* Σ nodes of dedicated node pools */
    double ded_cost;           /* Σ prices of dedicated tiers */
    int *over_per_db;          /* [npools]: shared dbs whose peak exceeds pool k's per_db_max */
} rp_reef_use;

/* init: an empty use for f (u's old contents are ignored, not freed).
 * clear: back to empty, keeping the arrays. copy: dst (initialised or
 * zeroed) becomes an independent copy of src. */
void rp_use_init(rp_reef_use *u, const rp_fleet *f);
void rp_use_free(rp_reef_use *u);
void rp_use_clear(rp_reef_use *u, const rp_fleet *f);
void rp_use_copy(rp_reef_use *dst, const rp_reef_use *src, const rp_fleet *f);

/* Adds (sign +1) or removes (sign -1) instance i with tiers and dedicated
 * sizes (d may be NULL when no tier is dedicated); template_idx prices the
 * dedicated tiers. Removal must mirror an earlier add. Sums of float
 * profiles are exact in double for values of similar magnitude, so add then
 * remove restores sums and peaks bit for bit; a tier left with no shared
 * instance is reset to exact zeros. */
void rp_use_add(rp_reef_use *u, const rp_fleet *f, size_t i, int template_idx,
                const uint8_t tier[RP_NTIERS], const rp_ded *d, int sign);

/* The cheapest pool SKU and node count for this load: returns 0 and fills
 * pool/nodes, or returns the rule that no SKU or node count can satisfy and
 * fills v (a per-slot rule carries the metric's peak slot). An empty reef
 * gets the cheapest pool and min_nodes. */
int rp_use_size(const rp_reef_use *u, const rp_fleet *f, int template_idx, int *pool,
                int *nodes, rp_violation *v);

/* Checks rules 1-6 and the instance count of rule 7 for a fixed pool and node
 * count. Returns RP_RULE_NONE or the first broken rule (v filled with the
 * metric and the worst slot). */
int rp_use_check(const rp_reef_use *u, const rp_fleet *f, int template_idx, int pool, int nodes,
                 rp_violation *v);

/* Monthly cost of an open reef at pool/nodes (SPEC §4), dedicated tiers included. */
double rp_use_cost(const rp_reef_use *u, const rp_fleet *f, int template_idx, int pool,
                   int nodes);

/* Peaks of the shared sums if instance i (tiers as given) were added
 * (sign +1) or removed (sign -1), without modifying u. */
void rp_use_peak_with(const rp_reef_use *u, const rp_fleet *f, size_t i,
                      const uint8_t tier[RP_NTIERS], int sign, double peak[RP_NMETRICS]);

/* Cheapest pool and nodes given peaks and counts (the sizing core used by
 * rp_use_size and by move evaluation). over_per_db: per pool, shared dbs
 * already above its per_db_max (NULL = none). extra_db_peak: db_compute
 * peak of one more shared db that must also fit under per_db_max (<= 0 for
 * none). Checks rule 6 and the instance count first (not sizable), then the
 * pools in price order; when none fits, returns the first rule the LARGEST
 * pool breaks. Node count: max(min_nodes, cpu, memory, pods); rule 5 with
 * ded_nodes. Per-metric violations carry slot -1 (peaks only). */
int rp_size_for(const rp_fleet *f, int template_idx, const double peak[RP_NMETRICS],
                const int n_shared[RP_NTIERS], int n, long ded_nodes, const int *over_per_db,
                double extra_db_peak, int *pool, int *nodes, rp_violation *v);

/* rp_use_size for u with instance i added (sign +1) or removed (sign -1),
 * without modifying u; the per-db counts are adjusted for i. The move
 * evaluator's one-call sizing. */
int rp_use_size_with(const rp_reef_use *u, const rp_fleet *f, int template_idx, size_t i,
                     const uint8_t tier[RP_NTIERS], const rp_ded *d, int sign, int *pool,
                     int *nodes, rp_violation *v);

/* The current state's monthly cost per SPEC §4: every reef at its stated
 * pool and nodes, each dedicated tier at its cheapest size (the largest
 * size when none fits; see rp_ded_fill_or_largest). */
double rp_fleet_current_cost(const rp_fleet *f);

/* Builds the usage of every reef in the current placement into
 * uses[nreefs] (caller allocates the array; each is initialised here). */
void rp_fleet_current_use(const rp_fleet *f, rp_reef_use *uses);

#endif

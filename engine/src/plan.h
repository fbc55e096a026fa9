/* plan.h - the placement plan of SPEC §5: target placement, per-reef sizes,
 * unplaced and deferred instances, summary and ordered actions; JSON output
 * and input.
 *
 * An rp_plan owns its arrays and strings; rp_plan_free releases them (NULL
 * is a no-op). Reefs are referred to by index into plan->reefs; the first
 * fleet->nreefs entries mirror fleet->reefs in order, new reefs follow. */
#ifndef RP_PLAN_H
#define RP_PLAN_H

#include "capacity.h"

typedef struct rp_plan_reef {
    char *name;
    int region, template_idx;
    int fleet_reef; /* index in fleet->reefs, -1 for a reef the plan creates */
    int pool, nodes;
    bool created, deleted;
    int instances;  /* read: as stated, -1 when absent; ignored by the writer */
    /* Peak shared load / raw capacity (no headroom) per metric: pool
     * db_compute and max_storage_gb, nodes x VM cpu and memory, storage
     * account max_gb and max_iops. Read: as stated, -1 when absent; the
     * writer recomputes both fields from the placements. */
    double peak_util[RP_NMETRICS];
} rp_plan_reef;

typedef struct rp_placement {
    int inst;  /* fleet instance index */
    int reef;  /* plan reef index */
    uint8_t tier[RP_NTIERS];
    rp_ded ded;
} rp_placement;

typedef struct rp_plan_note {
    int inst;
    char *reason;
} rp_plan_note;

typedef enum {
    RP_ACT_CREATE_REEF,
    RP_ACT_RESIZE_POOL,
    RP_ACT_SCALE_NODES,
    RP_ACT_SET_TIER,
    RP_ACT_MIGRATE,
    RP_ACT_PLACE,
    RP_ACT_DELETE_REEF,
    RP_NACT
} rp_action_type;
extern const char *const rp_action_names[RP_NACT];

typedef struct rp_action {
    int id;
    rp_action_type type;
    int reef;      /* create/resize/scale/delete/set_tier/place: the reef; migrate: to_reef */
    int from_reef; /* migrate only */
    int inst;      /* set_tier/migrate/place, else -1 */
    int from, to;  /* resize_pool: pool idx; scale_nodes: node counts;
                      set_tier: RP_SHARED/RP_DEDICATED */
    int pool, nodes; /* create_reef: initial pool idx and shared node count
                        (region and template are the plan reef's) */
    int resource;  /* set_tier: RP_TIER_* */
    uint8_t tier[RP_NTIERS]; /* migrate/place: target tiers */
    rp_ded ded;    /* migrate/place/set_tier: target dedicated sizes */
    int64_t not_before, not_after; /* migrate: RP_NO_TIME when unconstrained */
    int *depends_on;
    size_t ndepends;
    int wave;
} rp_action;

/* Summary as defined in SPEC §4-5. moves counts every placed instance whose
 * reef changes (moves out of broken reefs included; only the move budget
 * excludes them); tier_changes counts tiers switched on instances that keep
 * their reef; reefs_opened / reefs_deleted count plan reefs flagged created /
 * deleted. */
typedef struct rp_plan_summary {
    double cost_before, cost_after, objective, lower_bound;
    int moves, tier_changes, reefs_opened, reefs_deleted, unplaced;
    double solve_seconds;
} rp_plan_summary;

typedef struct rp_plan {
    char *kind; /* "rebalance" */
    char fingerprint[80]; /* "sha256:<64 hex>" */
    rp_plan_summary sum;
    rp_plan_reef *reefs;
    size_t nreefs;
    rp_placement *place; /* one per placed instance, fleet instance order */
    size_t nplace;
    rp_plan_note *unplaced;
    size_t nunplaced;
    rp_plan_note *deferred;
    size_t ndeferred;
    rp_action *act;
    size_t nact;
    char *settings_json; /* effective settings echo (a JSON object text) or NULL */
} rp_plan;

rp_plan *rp_plan_new(void);
void rp_plan_free(rp_plan *p);

/* sha256 over fleet.json, the catalog file, instances.csv and the profile
 * source (profiles.csv or load.csv) as stored on disk: "sha256:<hex>". */
int rp_fleet_fingerprint(const rp_fleet *f, char out[80], rp_error *err);

/* Serialises the plan to a malloc'd JSON text (SPEC §5 field names). */
char *rp_plan_to_json(const rp_plan *p, const rp_fleet *f);
/* Parses plan JSON against fleet f (instance and reef names resolved,
 * new reefs appended). Strict; errors located at path:line:col. */
int rp_plan_read(const char *path, const rp_fleet *f, rp_plan **out, rp_error *err);

/* A name for a reef the plan creates in region g: the region's naming
 * pattern (its first reef's name, trailing digits stripped; else
 * "<region>-") with the lowest two-digit number not used by the fleet or by
 * p's reefs so far. Returns a malloc'd string. */
char *rp_plan_new_reef_name(const rp_fleet *f, int g, const rp_plan *p);

#endif

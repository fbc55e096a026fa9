/* fleet.h - the in-memory fleet (SPEC §1-2): settings, plans, regions, reefs,
 * instances and their load profiles.
 *
 * An rp_fleet owns everything it points to, including its catalog;
 * rp_fleet_free releases it (NULL is a no-op). Names are looked up through
 * sorted index arrays (bsearch), never by linear scan on hot paths. */
#ifndef RP_FLEET_H
#define RP_FLEET_H

#include <stdint.h>

#include "catalog.h"

enum rp_metric {
    RP_M_DB_COMPUTE,
    RP_M_DB_STORAGE,
    RP_M_CPU,
    RP_M_MEMORY,
    RP_M_SHARE_GB,
    RP_M_SHARE_IOPS,
    RP_NMETRICS
};
/* "db_compute", "db_storage_gb", "cpu_cores", "memory_gb", "share_gb", "share_iops" */
extern const char *const rp_metric_names[RP_NMETRICS];
/* Index of a metric name or -1. */
int rp_metric_index(const char *name);

enum rp_tier { RP_TIER_DB, RP_TIER_COMPUTE, RP_TIER_STORAGE, RP_NTIERS };
extern const char *const rp_tier_names[RP_NTIERS]; /* "db", "compute", "storage" */
enum { RP_SHARED = 0, RP_DEDICATED = 1 };

typedef enum {
    RP_REEF_ACTIVE,
    RP_REEF_CLOSED,
    RP_REEF_DRAINING,
    RP_REEF_BROKEN
} rp_reef_state;
extern const char *const rp_reef_state_names[4];

#define RP_NO_TIME INT64_MIN

typedef struct rp_settings {
    int slots;      /* 24 or 168 */
    double quantile;/* (0,1] */
    double headroom[RP_NMETRICS]; /* [0,1) */
    int max_instances_per_reef;
    int move_budget;            /* -1 = unlimited */
    int move_cooldown_days;
    double tier_change_cost;
    int64_t now;                /* unix seconds UTC */
} rp_settings;

typedef struct rp_plan_def {
    char *name;
    double move_cost;
    double default_profile[RP_NMETRICS];
} rp_plan_def;

typedef struct rp_region {
    char *name;
    int template_idx; /* catalog template */
    int max_reefs;
} rp_region;

typedef struct rp_reef {
    char *name;
    int region;
    int template_idx;
    rp_reef_state state;
    int pool;  /* catalog pool index */
    int nodes; /* shared node pool size */
} rp_reef;

/* A weekly window in minutes since Monday 00:00 UTC; end may be < start when
 * it wraps past Sunday midnight. start < 0 means "any time". */
typedef struct rp_window {
    int start, end;
} rp_window;

typedef struct rp_instance {
    char *id;
    int region, plan;
    int reef;                /* -1: not yet placed */
    uint8_t tier[RP_NTIERS]; /* RP_SHARED / RP_DEDICATED (meaningless when reef < 0) */
    bool pinned;
    int group;               /* index into fleet->groups, -1 for none */
    int64_t last_moved;      /* unix seconds, RP_NO_TIME when empty */
    rp_window window;
    bool has_profile[RP_NMETRICS]; /* false: plan default was used */
} rp_instance;

typedef struct rp_fleet {
    char *dir;
    char *catalog_path;
    rp_catalog *cat;
    rp_settings set;
    rp_plan_def *plans;
    size_t nplans;
    rp_region *regions;
    size_t nregions;
    rp_reef *reefs;
    size_t nreefs;
    rp_instance *inst;
    size_t ninst;
    char **groups; /* distinct non-empty group names, sorted */
    size_t ngroups;
    /* instances.csv's x_ columns, kept to be written back with the target
     * fleet: their names, and per instance (ninst entries, or NULL when the
     * file has none) the values one after another, each NUL-terminated. */
    struct json_t *json; /* fleet.json as read: the target fleet is written from it */
    char **x_cols;
    size_t nx_cols;
    char **inst_x;
    /* Profiles: ninst * RP_NMETRICS * slots floats, instance-major:
     * value of instance i, metric m, slot t at prof[(i*RP_NMETRICS+m)*slots+t]. */
    float *prof;
    /* Peak (max over slots) per instance and metric: ninst * RP_NMETRICS. */
    float *peak;
    /* Sorted indexes for name lookup. */
    char **inst_sorted; /* instance ids sorted */
    int *inst_order;    /* inst_order[k] = instance index of inst_sorted[k] */
    char **reef_sorted;
    int *reef_order;
} rp_fleet;

static inline const float *rp_fleet_profile(const rp_fleet *f, size_t i, int m)
{
    return f->prof + ((size_t)i * RP_NMETRICS + (size_t)m) * (size_t)f->set.slots;
}
static inline float rp_fleet_peak(const rp_fleet *f, size_t i, int m)
{
    return f->peak[(size_t)i * RP_NMETRICS + (size_t)m];
}

/* Loads a fleet directory: fleet.json, its catalog, instances.csv, and
 * profiles.csv or else load.csv (SPEC §2). Strict: any defect returns a
 * negative code with err located at FILE:LINE:COL. */
int rp_fleet_load(const char *dir, rp_fleet **out, rp_error *err);
void rp_fleet_free(rp_fleet *f);
/* The first step of rp_fleet_load: fleet.json and its catalog only (no
 * instances, no profiles; f->inst, f->prof and f->peak stay empty). For
 * callers and tests that need the settings, plans, regions and reefs. */
int rp_fleet_load_json(const char *dir, rp_fleet **out, rp_error *err);
/* The rest of rp_fleet_load after rp_fleet_load_json: instances.csv and
 * the profiles. On error f is left for the caller to free. */
int rp_fleet_load_rest(rp_fleet *f, rp_error *err);

/* Name lookups; -1 when absent. */
/* The fleet's load file, allocated: DIR/profiles.csv if the directory has
 * an entry of that name (even one that cannot be opened, so that its error
 * is reported rather than load.csv read instead; *wide true), else
 * DIR/load.csv if it has one (*wide false), else NULL. wide may be NULL. */
char *rp_fleet_profiles_path(const char *dir, bool *wide);

int rp_fleet_find_instance(const rp_fleet *f, const char *id);
int rp_fleet_find_reef(const rp_fleet *f, const char *name);
int rp_fleet_find_region(const rp_fleet *f, const char *name);
int rp_fleet_find_plan(const rp_fleet *f, const char *name);
int rp_fleet_find_group(const rp_fleet *f, const char *name);

/* The members of each group, in instance order: group g's are
 * (*members)[(*first)[g] .. (*first)[g + 1]). Both arrays are the caller's
 * to free. */
void rp_fleet_group_index(const rp_fleet *f, size_t **first, int **members);

/* Recomputes f->peak from f->prof. */
void rp_fleet_compute_peaks(rp_fleet *f);

/* Builds the sorted instance-id index (after f->inst is filled). Returns
 * the index of the first duplicate id, or -1 when all ids are distinct. */
long rp_fleet_index_instances(rp_fleet *f);

#endif

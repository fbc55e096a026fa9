/* gen_internal.h - shared by generate.c (parameters, packing, sizing),
 * gen_model.c (random streams, shapes, profile synthesis) and gen_write.c
 * (the files). Not a public interface. */
#ifndef RP_GEN_INTERNAL_H
#define RP_GEN_INTERNAL_H

#include <stdio.h>

#include "fleet.h"
#include "generate.h"

#define RP__GEN_WEEKS 4 /* weeks of samples in load.csv */
#define RP__GEN_NSAMPLES (RP__GEN_WEEKS * 168)
#define RP__GEN_QUANTILE 0.95
#define RP__GEN_MAX_PER_REEF 300
#define RP__GEN_COOLDOWN_DAYS 14
/* 2026-11-28 (a Saturday), the fleet's `now`; samples cover the 4 weeks before. */
#define RP__GEN_NOW_Y 2026
#define RP__GEN_NOW_M 11
#define RP__GEN_NOW_D 28

/* Random stream purposes (added to the instance index stream id). */
enum { RP__GEN_S_PARAMS, RP__GEN_S_PROFILE, RP__GEN_S_SAMPLES, RP__GEN_S_N };

enum {
    RP__GI_SAMPLED = 1,
    RP__GI_PINNED = 2,
    RP__GI_DED_DB = 4,
    RP__GI_DED_COMPUTE = 8,
    RP__GI_DED_STORAGE = 16,
    RP__GI_UNPLACED = 32,
};

typedef struct rp__gen_inst {
    int8_t region, plan, shape, tz, heavy_day;
    uint8_t flags;
    int8_t win_day, win_hour, win_len; /* UTC start; win_len 0 = no window */
    int16_t moved_days_ago;            /* -1 = never moved */
    int reef;                          /* -1 unplaced */
    int group;                         /* -1 none */
    float idle, memfix;
    float base[RP_NMETRICS]; /* nominal peak */
    float peak[RP_NMETRICS]; /* max over slots of the written profile */
} rp__gen_inst;

typedef struct rp__gen_reef {
    int region, seq; /* seq: 1-based number within its region */
    int pool, nodes;
    rp_reef_state state;
    int count, ndb, ncompute; /* instances; shared db; shared compute */
    bool over;
    double sumpeak[RP_NMETRICS]; /* over shared tiers */
    double maxdb;                /* largest shared-db peak */
    double limit[RP_NMETRICS];   /* packing targets (sum of peaks) */
} rp__gen_reef;

typedef struct rp__gen_plan {
    const char *name;
    double weight, move_cost;
    double base[RP_NMETRICS]; /* db_compute in vCores */
} rp__gen_plan;

typedef struct rp__gen_region {
    const char *name, *prefix;
    double weight;
    int tz[5];
    double tzw[5];
} rp__gen_region;

extern const rp__gen_plan rp__gen_plans[4];
extern const rp__gen_region rp__gen_regions[3];
extern const double rp__gen_headroom[RP_NMETRICS];

typedef struct rp__gen {
    const rp_gen_opts *o;
    const rp_catalog *cat;
    const char *catalog_ref;
    int tmpl;
    double unit; /* db_compute units per vCore: 1 (vcore) or 100 (eDTU) */
    int slots;
    size_t n;
    rp__gen_inst *inst;
    rp__gen_reef *reefs;
    size_t nreefs;
    int ngroups;
    int move_budget;
    double *slot_sum; /* nreefs * RP_NMETRICS * slots, shared tiers */
    int64_t now_day;  /* days since 1970-01-01 */
} rp__gen;

/* Whether metric m of an instance is on a dedicated tier. */
static inline bool rp__gen_dedicated(const rp__gen_inst *in, int m)
{
    if (m == RP_M_DB_COMPUTE || m == RP_M_DB_STORAGE)
        return in->flags & RP__GI_DED_DB;
    if (m == RP_M_CPU || m == RP_M_MEMORY)
        return in->flags & RP__GI_DED_COMPUTE;
    return in->flags & RP__GI_DED_STORAGE;
}

/* The random stream of instance i for a purpose (and metric). */
static inline uint64_t rp__gen_stream(size_t i, int purpose, int m)
{
    return ((uint64_t)i * RP__GEN_S_N + (uint64_t)purpose) * 8 + (uint64_t)m;
}
/* The generator-wide stream (packing, groups, sizing, states). */
#define RP__GEN_GLOBAL_STREAM UINT64_MAX

/* gen_model.c */
/* v rounded as rp_gen_format writes it. */
double rp__gen_round(double v);
int64_t rp__gen_days_from_civil(int y, int m, int d);
void rp__gen_civil_from_days(int64_t z, int *y, int *m, int *d);
/* The instance's written profile into prof[m * slots + t] (rounded values). */
void rp__gen_profile(const rp__gen *g, size_t i, float *prof);
/* The instance's hourly samples of metric m, RP__GEN_NSAMPLES rounded values,
 * sample k at now - 28 days + k hours. */
void rp__gen_samples(const rp__gen *g, size_t i, int m, double *out);

/* gen_write.c */
int rp__gen_write_data(rp__gen *g, const char *dir, rp_error *err);
int rp__gen_write_fleet(const rp__gen *g, const char *dir, rp_error *err);
int rp__gen_write_instances(const rp__gen *g, const char *dir, rp_error *err);
/* "ID" of instance i, "PREFIX-NN" of reef r. */
void rp__gen_inst_id(const rp__gen *g, size_t i, char *buf, size_t len);
void rp__gen_reef_name(const rp__gen *g, size_t r, char *buf, size_t len);

#endif

/* place.h - placement queries (reefplan place, and the service later): for
 * one new instance, every reef of its region ranked by marginal monthly
 * cost, with tiers and sizes, the headroom left per metric at its tightest
 * slot and the binding constraint; and for reefs that cannot take it, why.
 *
 * An rp_placer holds the per-reef usage of a fleet, built once, so each
 * query costs O(reefs x metrics x slots). It borrows the fleet, which must
 * outlive it. rp_placer_free and rp_place_result_free accept NULL. */
#ifndef RP_PLACE_H
#define RP_PLACE_H

#include "capacity.h"

typedef struct rp_place_req {
    char *id;
    int region, plan, group; /* group -1: none */
    float *profile;          /* RP_NMETRICS * slots, metric-major */
    float peak[RP_NMETRICS];
    bool from_default;       /* the plan's default profile was used */
} rp_place_req;

typedef struct rp_place_option {
    int reef;     /* fleet reef, or -1 for a new reef the region has room for */
    bool feasible;
    uint8_t tier[RP_NTIERS];
    rp_ded ded;
    double marginal;            /* monthly cost added */
    int pool_before, nodes_before, pool_after, nodes_after;
    double left[RP_NMETRICS];   /* limit - load at the tightest slot (shared tiers) */
    double util[RP_NMETRICS];   /* load / limit at that slot */
    int slot[RP_NMETRICS];      /* the tightest slot, -1 when the tier is dedicated */
    int binding;                /* metric with the least relative headroom, -1 none */
    char reason[256];           /* why not, when !feasible */
} rp_place_option;

typedef struct rp_place_result {
    rp_place_option *opt; /* feasible first (cheapest first), then the rest */
    size_t n, nfeasible;
} rp_place_result;

typedef struct rp_placer rp_placer;

rp_placer *rp_placer_new(const rp_fleet *f);
void rp_placer_free(rp_placer *p);

/* Reads a request JSON: {"region": R, "plan": P, "instance_id"?: ID,
 * "group"?: G, "profile"?: {metric: number | [slots numbers]}}; metrics
 * left out take the plan's default profile. Strict, errors located. */
int rp_place_request_read(const rp_fleet *f, const char *path, rp_place_req *req,
                          rp_error *err);
void rp_place_req_free(rp_place_req *req);

/* Answers one request. */
void rp_place_query(const rp_placer *p, const rp_place_req *req, rp_place_result *out);
void rp_place_result_free(rp_place_result *r);

#endif

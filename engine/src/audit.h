/* audit.h - the summary of a fleet's current state (reefplan check): counts
 * per region and reef, current monthly cost (SPEC §4), and every reef that is
 * over capacity now, with the rule, metric and the slots where it is over.
 *
 * rp_audit_run fills an rp_audit_report that the caller releases with
 * rp_audit_report_free. */
#ifndef RP_AUDIT_H
#define RP_AUDIT_H

#include "capacity.h"

typedef struct rp_audit_over {
    int reef;
    int rule;   /* enum rp_rule */
    int metric; /* -1 for count rules */
    int slot;   /* worst slot, -1 for count rules */
    int nslots; /* slots over the limit */
    double value, limit;
} rp_audit_over;

typedef struct rp_audit_reef {
    int instances;
    double cost;
    int ded[RP_NTIERS]; /* dedicated tiers */
    double util[RP_NMETRICS]; /* peak / limit at the stated size */
} rp_audit_reef;

typedef struct rp_audit_report {
    size_t placed, unplaced;
    size_t *region_instances; /* [nregions] */
    size_t *region_reefs;     /* [nregions] */
    rp_audit_reef *reefs;     /* [nreefs] */
    double cost;
    rp_audit_over *over;
    size_t nover;
} rp_audit_report;

void rp_audit_run(const rp_fleet *f, rp_audit_report *r);
void rp_audit_report_free(rp_audit_report *r);

/* Limit of a per-slot metric for a reef at a stated pool/nodes (SPEC §3
 * rules 1, 2, 4, 6), headroom applied. */
double rp_metric_limit(const rp_fleet *f, int template_idx, int pool, int nodes, int metric);

/* "Tue 13:00" style label of a slot ("13:00" for 24 slots) into buf[16]. */
const char *rp_slot_label(int slot, int slots, char buf[16]);

#endif

/* verify_int.h - shared between verify.c (target state, summary) and
 * verify_replay.c (the replay rule). Not a public interface. */
#ifndef RP_VERIFY_INT_H
#define RP_VERIFY_INT_H

#include "verify.h"

/* A placement state: per instance its plan reef (-1: none), tiers and
 * dedicated sizes. */
typedef struct rp__vstate {
    int *reef;
    uint8_t (*tier)[RP_NTIERS];
    rp_ded *ded;
} rp__vstate;

typedef struct rp__vctx {
    const rp_fleet *f;
    const rp_plan *p;
    rp_verify_report *out;
    int S;
    double *peak;   /* [ninst * RP_NMETRICS], re-derived from the profiles */
    double *sum;    /* scratch [RP_NMETRICS * S] */
    int *gfirst;    /* scratch per group: first member seen, -1 */
    int *target;    /* per instance: index into p->place, -1 when not placed */
    rp__vstate tgt; /* the target placement */
    size_t nex;     /* length of an excess vector (rp__eval_reef) */
    const char *vprefix; /* put before each violation when set */
} rp__vctx;

void rp__violation(rp__vctx *c, const char *fmt, ...) RP_PRINTF(2, 3);

void rp__vstate_init(rp__vstate *s, size_t ninst);
void rp__vstate_free(rp__vstate *s);

/* Current plan reef of instance i (fleet reef index = plan reef index), -1. */
int rp__cur_reef(const rp__vctx *c, size_t i);
bool rp__in_cooldown(const rp__vctx *c, size_t i);

/* Evaluates rules 1-7 (and rule 5's dedicated node pools) for plan reef r
 * holding the instances that state st puts there, at pool and nodes. When
 * ex is not NULL it receives the excess over every limit (c->nex values, 0
 * where the limit holds). When suffix is not NULL every broken rule is
 * reported as a violation ending in suffix. Returns true when any is broken. */
bool rp__eval_reef(rp__vctx *c, const rp__vstate *st, int r, int pool, int nodes, double *ex,
                   const char *suffix);

/* Rule 8 for one dedicated tier of instance i at size d in a reef of
 * template tmpl; reports with prefix (e.g. "instance i-1") and returns
 * false when the size does not fit. */
bool rp__check_ded(rp__vctx *c, size_t i, int tmpl, int tier, const rp_ded *d, const char *prefix);

/* Cheapest size of a dedicated tier per rule 8 (re-derived), written into d;
 * when nothing fits, the largest. */
void rp__cheapest_ded(const rp__vctx *c, size_t i, int tmpl, int tier, rp_ded *d);

/* The replay rule of SPEC §5. */
void rp__verify_replay(rp__vctx *c);

#endif

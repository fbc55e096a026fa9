/* mip_int.h - the model shared by mip_build.c (rows and columns) and mip.c
 * (solving, results). Internal: only these two files include glpk.h. */
#ifndef RP_MIP_INT_H
#define RP_MIP_INT_H

#include <glpk.h>

#include "mip.h"

/* How a tier of a pair is modelled: a column (s, shared when 1), or
 * equal to z (always shared), or 0 (always dedicated). */
enum { RP__S_ZERO = -1, RP__S_Z = 0 };

typedef struct rp__mpair {
    int inst, reef;
    int zcol;
    int scol[RP_NTIERS]; /* > 0 column, RP__S_Z or RP__S_ZERO */
    int ded[RP_NTIERS];  /* dedicated size per tier, -1 when none fits */
} rp__mpair;

typedef struct rp__mreef {
    rp_mip_reef info;
    rp_reef_state state;  /* active for new reefs */
    bool cand;            /* modelled (subset mode: in cand_reefs) */
    int ocol, ncol, ycol; /* y of pool k is ycol + k */
    rp_reef_use fixed;    /* load of the fixed instances in it */
    rp_vec pairs;         /* int: pair indexes at this reef */
} rp__mreef;

typedef struct rp__mip {
    const rp_fleet *f;
    glp_prob *lp;
    rp__mreef *r;
    size_t nr;
    rp_vec pairs;  /* rp__mpair, grouped by instance */
    size_t *first; /* per instance + 1: pair range [first[i], first[i+1]) */
    int *ucol;     /* per instance: unplaced column, 0 when not free */
    bool *is_free;
    rp_mip_place *base; /* per instance */
    size_t *gstart;     /* group g's members: gmem[gstart[g] .. gstart[g+1]) */
    int *gmem;
    int budget;         /* -1 unlimited */
    bool relax;         /* opts.relax_only or widen: a relaxation of every valid plan */
    int fixed_moves;
    double constant, constant_pen; /* fixed instances: cost and penalties */
    double *obj;                   /* objective per column (1-based), grown with columns */
    size_t obj_cap;
    int *ind; /* row scratch, 1-based */
    double *val;
    int rlen, rcap;
    int nnz;
} rp__mip;

/* Builds the model for options o (validated by the caller). Returns 0 or a
 * negative code with err set. */
int rp__mip_build(rp__mip *m, const rp_fleet *f, const rp_mip_opts *o, rp_error *err);
void rp__mip_free(rp__mip *m);
/* Checks options against f; returns 0 or RP_EINVALID with err. */
int rp__mip_check_opts(const rp_fleet *f, const rp_mip_opts *o, rp_error *err);
/* The column vector (1-based, malloc'd) of placement start with every
 * reef at its cheapest size, or NULL when it is not feasible for the model
 * (an instance where the model has no pair for it, a reef no size holds, a
 * row broken: a group, the budget, max_reefs). */
double *rp__mip_start_vector(const rp__mip *m, const rp_mip_place *start);
/* RP_MIP_PEN_DRAIN when instance i at model reef r is in a draining reef
 * it could leave (rule 10 allows it to move), else 0. */
double rp__mip_drain_pen(const rp__mip *m, size_t i, int r);
/* Whether instance i is within its move cooldown. */
bool rp__mip_cooldown(const rp_fleet *f, size_t i);

#endif

/* mip_start.c - a starting solution for the rebalance MIP: a placement
 * (typically the heuristic's) turned into a full column vector, sized with
 * the capacity model and checked against every row of the model, so GLPK
 * is only ever handed a solution that is feasible for it. */
#include "mip_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The pair of free instance i at model reef r, or NULL. */
static const rp__mpair *find_pair(const rp__mip *m, size_t i, int r)
{
    for (size_t k = m->first[i]; k < m->first[i + 1]; k++)
        if (RP_VEC_AT(&m->pairs, rp__mpair, k).reef == r)
            return &RP_VEC_AT(&m->pairs, rp__mpair, k);
    return NULL;
}

/* Sets z and s of a pair for tiers; false when the pair cannot take them. */
static bool set_pair(const rp__mpair *p, const uint8_t tier[RP_NTIERS], double *x)
{
    for (int k = 0; k < RP_NTIERS; k++) {
        bool shared = tier[k] == RP_SHARED;
        if ((p->scol[k] == RP__S_Z && !shared) || (p->scol[k] == RP__S_ZERO && shared))
            return false;
        if (p->scol[k] > 0)
            x[p->scol[k]] = shared;
    }
    x[p->zcol] = 1;
    return true;
}

/* Instance columns; the reefs' usage in use[] (fixed load included). */
static bool set_instances(const rp__mip *m, const rp_mip_place *start, double *x, rp_reef_use *use)
{
    const rp_fleet *f = m->f;
    for (size_t i = 0; i < f->ninst; i++) {
        if (!m->is_free[i])
            continue;
        const rp__mpair *p = start[i].reef >= 0 ? find_pair(m, i, start[i].reef) : NULL;
        if (start[i].reef >= 0 && (!p || !set_pair(p, start[i].tier, x)))
            return false;
        if (m->ucol[i] > 0)
            x[m->ucol[i]] = p ? 0 : 1;
        if (!p)
            continue;
        int t = m->r[p->reef].info.template_idx;
        rp_ded d;
        rp_ded_fill(f, i, t, start[i].tier, &d);
        rp_use_add(&use[p->reef], f, i, t, start[i].tier, &d, +1);
    }
    return true;
}

static bool set_reefs(const rp__mip *m, double *x, const rp_reef_use *use)
{
    for (size_t r = 0; r < m->nr; r++) {
        const rp__mreef *q = &m->r[r];
        if (!q->cand || use[r].n == 0)
            continue;
        int pool, nodes;
        if (rp_use_size(&use[r], m->f, q->info.template_idx, &pool, &nodes, NULL) != 0)
            return false;
        x[q->ocol] = 1;
        x[q->ycol + pool] = 1;
        x[q->ncol] = nodes;
    }
    return true;
}

/* Every row and bound of the model holds at x (tolerance 1e-6 relative). */
static bool rows_hold(glp_prob *lp, const double *x, int *ind, double *val)
{
    for (int j = 1; j <= glp_get_num_cols(lp); j++) {
        double lo = glp_get_col_lb(lp, j), hi = glp_get_col_ub(lp, j);
        int type = glp_get_col_type(lp, j);
        if ((type != GLP_FR && type != GLP_UP && x[j] < lo - 1e-9) ||
            (type != GLP_FR && type != GLP_LO && x[j] > hi + 1e-9))
            return false;
    }
    for (int i = 1; i <= glp_get_num_rows(lp); i++) {
        int n = glp_get_mat_row(lp, i, ind, val);
        double a = 0;
        for (int k = 1; k <= n; k++)
            a += val[k] * x[ind[k]];
        int type = glp_get_row_type(lp, i);
        double lo = glp_get_row_lb(lp, i), hi = glp_get_row_ub(lp, i);
        if ((type == GLP_LO || type == GLP_DB || type == GLP_FX) &&
            a < lo - 1e-6 * fmax(1, fabs(lo)))
            return false;
        if ((type == GLP_UP || type == GLP_DB || type == GLP_FX) &&
            a > hi + 1e-6 * fmax(1, fabs(hi)))
            return false;
    }
    return true;
}

double *rp__mip_start_vector(const rp__mip *m, const rp_mip_place *start)
{
    int ncols = glp_get_num_cols(m->lp);
    double *x = rp_xcalloc((size_t)ncols + 1, sizeof(double));
    rp_reef_use *use = rp_xcalloc(m->nr + 1, sizeof(rp_reef_use));
    for (size_t r = 0; r < m->nr; r++)
        rp_use_copy(&use[r], &m->r[r].fixed, m->f);
    bool ok = set_instances(m, start, x, use) && set_reefs(m, x, use);
    for (size_t r = 0; r < m->nr; r++)
        rp_use_free(&use[r]);
    free(use);
    if (ok) {
        size_t n = (size_t)ncols + 1;
        int *ind = rp_xmalloc(n * sizeof(int));
        double *val = rp_xmalloc(n * sizeof(double));
        ok = rows_hold(m->lp, x, ind, val);
        free(ind);
        free(val);
    }
    if (!ok) {
        free(x);
        return NULL;
    }
    return x;
}

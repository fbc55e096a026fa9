/* mip_cg.c - bin packing in one or two dimensions by column generation
 * (see pack.h).
 *
 * The Gilmore-Gomory model over item types (one type per distinct weight
 * vector): minimise the number of patterns used, each type covered at
 * least as often as it occurs. GLPK solves the restricted master LP; the
 * pricing problem is a bounded knapsack over the types' duals, solved
 * exactly by dynamic programming over the integral capacity (a grid of
 * capacities in two dimensions). In one dimension the LP's ceiling equals
 * the optimum on most instances (the integer round-up property).
 *
 * Solutions come from diving with limited discrepancy (after Sadykov et
 * al., "Primal heuristics for branch and price: the assets of diving
 * methods", 2019): at each node column generation solves the residual
 * problem; the integral part of the LP solution is fixed at once,
 * otherwise the column with the largest value is fixed to one, and on
 * failure up to `disc` next-best columns are tried, each tabu below its
 * later siblings. Each node also completes its partial packing first fit
 * decreasing. The dive runs with 1, 2, ... CG_MAX_DISCREPANCY while
 * budget remains; it is bounded by LP solves (deterministic) and by a
 * deadline (recorded as timed_out).
 *
 * GLPK is contained as in mip.c: silenced, and its fatal errors longjmp
 * back; our allocations live in the cg struct, freed on both paths. */
#include <glpk.h>
#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "pack.h"

double rp__now_seconds(void);

/* Reduced-cost and integrality tolerances. */
#define CG_EPS 1e-9
#define CG_INT_EPS 1e-6
/* Discrepancies of the dive: next-best columns tried at a node; the dive
 * is repeated with 1, 2, ... up to this many while budget remains. */
#define CG_MAX_DISCREPANCY 4

typedef struct cg {
    int n, nt;
    long cap[2]; /* capacity per dimension; cap[1] = 0 in one dimension */
    long *tw;    /* [nt * 2] weights of each type, by decreasing size */
    int *dem;    /* [nt] items of each type */
    int *res;    /* [nt] residual demand */
    int *type;   /* [n] type of each item, -1 for weight 0 */
    glp_prob *lp;
    int ncol, colcap;
    int *col_off;       /* [ncol + 1] each column's entries in col_t, col_k */
    int *col_t, *col_k; /* pattern entries: type, count */
    int nnz, nnzcap;
    char *tabu; /* [ncol] */
    /* knapsack */
    int *pt, *pk;        /* [n] 0-1 pieces: type and count */
    double *best;        /* [(cap[0] + 1) * (cap[1] + 1)] */
    unsigned char *take; /* [pieces * that] */
    size_t take_cap;
    double *y;   /* [nt] duals */
    int *cand;   /* [nt] new pattern */
    int *ind;    /* [nt + 1] GLPK scratch */
    double *val; /* [nt + 1] */
    double *x;   /* [ncol] scratch: LP values */
    int *order;  /* [ncol] scratch */
    /* fixed bins (sparse effective patterns), and the best packing found */
    int nfix, nent, *fix_off, *ent_t, *ent_k;
    int best_bins, best_nent, *best_off, *best_t, *best_k;
    bool improved;
    long *room;  /* [n * 2] FFD scratch */
    int *ffd_of; /* [n] */
    int floor;   /* stop when the best reaches it */
    long lp_solves, max_lp;
    double deadline;
    bool stop, timed_out;
    int root_bound;
} cg;

static void cg_free(cg *c)
{
    free(c->tw), free(c->dem), free(c->res), free(c->type), free(c->tabu);
    free(c->col_off), free(c->col_t), free(c->col_k);
    free(c->pt), free(c->pk), free(c->best), free(c->take), free(c->y), free(c->cand);
    free(c->ind), free(c->val), free(c->x), free(c->order), free(c->fix_off), free(c->ent_t);
    free(c->ent_k), free(c->best_off), free(c->best_t), free(c->best_k), free(c->room);
    free(c->ffd_of);
}

/* Size of an item for the type order: its weights relative to capacity. */
static double size_of(const cg *c, const long *w)
{
    double z = (double)w[0] / (double)c->cap[0];
    return c->cap[1] > 0 ? z + (double)w[1] / (double)c->cap[1] : z;
}

typedef struct item_key {
    double size;
    long w0, w1;
    int i;
} item_key;

static int cmp_key(const void *a, const void *b)
{
    const item_key *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    if (x->w0 != y->w0)
        return x->w0 < y->w0 ? 1 : -1;
    if (x->w1 != y->w1)
        return x->w1 < y->w1 ? 1 : -1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Types: distinct non-zero weight vectors, by decreasing size. */
static void build_types(cg *c, const long *w, int d)
{
    item_key *k = rp_xmalloc(((size_t)c->n + 1) * sizeof(item_key));
    int m = 0;
    c->type = rp_xmalloc(((size_t)c->n + 1) * sizeof(int));
    for (int i = 0; i < c->n; i++) {
        long v[2] = {w[(size_t)i * (size_t)d], d > 1 ? w[(size_t)i * (size_t)d + 1] : 0};
        c->type[i] = -1;
        if (v[0] > 0 || v[1] > 0)
            k[m++] = (item_key){size_of(c, v), v[0], v[1], i};
    }
    qsort(k, (size_t)m, sizeof *k, cmp_key);
    c->tw = rp_xmalloc(((size_t)m + 1) * 2 * sizeof(long));
    c->dem = rp_xcalloc((size_t)m + 1, sizeof(int));
    for (int q = 0; q < m; q++) {
        if (c->nt == 0 || c->tw[2 * (c->nt - 1)] != k[q].w0 ||
            c->tw[2 * (c->nt - 1) + 1] != k[q].w1) {
            c->tw[2 * c->nt] = k[q].w0;
            c->tw[2 * c->nt + 1] = k[q].w1;
            c->nt++;
        }
        c->type[k[q].i] = c->nt - 1;
        c->dem[c->nt - 1]++;
    }
    free(k);
    c->res = rp_xmalloc(((size_t)c->nt + 1) * sizeof(int));
    memcpy(c->res, c->dem, (size_t)c->nt * sizeof(int));
}

/* Adds pattern p (dense, nt counts) to the master. */
static void add_column(cg *c, const int *p)
{
    if (c->ncol == c->colcap) {
        c->colcap = c->colcap ? 2 * c->colcap : 256;
        c->col_off = rp_xreallocarray(c->col_off, (size_t)c->colcap + 1, sizeof(int));
        c->tabu = rp_xrealloc(c->tabu, (size_t)c->colcap);
        c->x = rp_xreallocarray(c->x, (size_t)c->colcap, sizeof(double));
        c->order = rp_xreallocarray(c->order, (size_t)c->colcap, sizeof(int));
    }
    int nz = 0;
    for (int t = 0; t < c->nt; t++)
        if (p[t] > 0) {
            c->ind[++nz] = t + 1;
            c->val[nz] = p[t];
        }
    if (c->nnz + nz > c->nnzcap) {
        c->nnzcap = 2 * (c->nnz + nz);
        c->col_t = rp_xreallocarray(c->col_t, (size_t)c->nnzcap, sizeof(int));
        c->col_k = rp_xreallocarray(c->col_k, (size_t)c->nnzcap, sizeof(int));
    }
    c->col_off[c->ncol] = c->nnz;
    for (int e = 1; e <= nz; e++) {
        c->col_t[c->nnz] = c->ind[e] - 1;
        c->col_k[c->nnz++] = (int)c->val[e];
    }
    c->col_off[c->ncol + 1] = c->nnz;
    c->tabu[c->ncol] = 0;
    int j = glp_add_cols(c->lp, 1);
    glp_set_col_bnds(c->lp, j, GLP_LO, 0, 0);
    glp_set_obj_coef(c->lp, j, 1);
    glp_set_mat_col(c->lp, j, nz, c->ind, c->val);
    c->ncol++;
}

/* Best pattern for the duals within the residual demand: a bounded
 * knapsack as 0-1 pieces of 1, 2, 4, ... copies, by dynamic programming
 * over the capacity (a grid in two dimensions; best[a][b] is the best
 * value using at most a and b). Returns its value and leaves it in
 * c->cand. */
static double price(cg *c)
{
    int np = 0;
    for (int t = 0; t < c->nt; t++) {
        if (c->res[t] <= 0 || c->y[t] <= CG_EPS)
            continue;
        for (int left = c->res[t], k = 1; left > 0; k *= 2) {
            int take = k < left ? k : left;
            if (take * c->tw[2 * t] <= c->cap[0] && take * c->tw[2 * t + 1] <= c->cap[1]) {
                c->pt[np] = t;
                c->pk[np++] = take;
            }
            left -= take;
        }
    }
    size_t B = (size_t)c->cap[1] + 1, W = ((size_t)c->cap[0] + 1) * B;
    memset(c->cand, 0, (size_t)c->nt * sizeof(int));
    for (size_t v = 0; v < W; v++)
        c->best[v] = 0;
    if ((size_t)np * W > c->take_cap) {
        c->take_cap = (size_t)np * W;
        c->take = rp_xrealloc(c->take, c->take_cap);
    }
    for (int j = 0; j < np; j++) {
        long w0 = (long)c->pk[j] * c->tw[2 * c->pt[j]];
        long w1 = (long)c->pk[j] * c->tw[2 * c->pt[j] + 1];
        size_t back = (size_t)w0 * B + (size_t)w1;
        double vj = c->pk[j] * c->y[c->pt[j]];
        unsigned char *tk = c->take + (size_t)j * W;
        memset(tk, 0, W);
        for (long a = c->cap[0]; a >= w0; a--)
            for (long b = c->cap[1]; b >= w1; b--) {
                size_t v = (size_t)a * B + (size_t)b;
                if (c->best[v - back] + vj > c->best[v] + CG_EPS) {
                    c->best[v] = c->best[v - back] + vj;
                    tk[v] = 1;
                }
            }
    }
    size_t v = 0; /* the least capacity with the best value */
    for (size_t u = 1; u < W; u++)
        if (c->best[u] > c->best[v])
            v = u;
    double value = c->best[v];
    for (int j = np - 1; j >= 0; j--)
        if (c->take[(size_t)j * W + v]) {
            c->cand[c->pt[j]] += c->pk[j];
            v -= (size_t)c->pk[j] *
                 ((size_t)c->tw[2 * c->pt[j]] * B + (size_t)c->tw[2 * c->pt[j] + 1]);
        }
    return value;
}

static bool out_of_budget(cg *c)
{
    if (c->stop)
        return true;
    if (c->max_lp > 0 && c->lp_solves >= c->max_lp)
        c->stop = true;
    else if (rp__now_seconds() > c->deadline)
        c->stop = c->timed_out = true;
    return c->stop;
}

/* Column generation on the residual problem. Returns the ceiling of the
 * LP bound for the residual (a valid bound even when cut short, through
 * Farley's bound z / best pricing value), or -1 when the LP failed. */
static int generate(cg *c, double *z)
{
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    /* New row bounds keep the basis dual feasible: dual simplex first;
     * a new column keeps it primal feasible: primal simplex after. */
    parm.meth = GLP_DUALP;
    for (int t = 0; t < c->nt; t++)
        glp_set_row_bnds(c->lp, t + 1, GLP_LO, c->res[t], 0);
    int bound = 0;
    for (;;) {
        if (glp_simplex(c->lp, &parm) != 0 || glp_get_status(c->lp) != GLP_OPT)
            return -1;
        c->lp_solves++;
        parm.meth = GLP_PRIMAL;
        *z = glp_get_obj_val(c->lp);
        for (int t = 0; t < c->nt; t++)
            c->y[t] = glp_get_row_dual(c->lp, t + 1);
        double v = price(c);
        int lp_ceil = (int)ceil(*z - CG_INT_EPS);
        if (v <= 1 + CG_EPS)
            return lp_ceil;
        int farley = (int)ceil(*z / v - CG_INT_EPS);
        bound = farley > bound ? farley : bound;
        if (bound >= lp_ceil || out_of_budget(c))
            return bound;
        add_column(c, c->cand);
    }
}

/* Fixes `copies` bins of pattern col, each capped by the residual demand. */
static void fix(cg *c, int col, int copies)
{
    for (int k = 0; k < copies; k++) {
        int start = c->nent;
        for (int e = c->col_off[col]; e < c->col_off[col + 1]; e++) {
            int t = c->col_t[e], take = c->col_k[e] < c->res[t] ? c->col_k[e] : c->res[t];
            if (take > 0) {
                c->ent_t[c->nent] = t;
                c->ent_k[c->nent++] = take;
                c->res[t] -= take;
            }
        }
        if (c->nent > start)
            c->fix_off[++c->nfix] = c->nent;
    }
}

/* Undoes fixes down to nfix bins. */
static void unfix(cg *c, int nfix)
{
    while (c->nfix > nfix) {
        for (int e = c->fix_off[c->nfix - 1]; e < c->fix_off[c->nfix]; e++)
            c->res[c->ent_t[e]] += c->ent_k[e];
        c->nent = c->fix_off[--c->nfix];
    }
}

/* Packs the residual demand first fit decreasing: c->room per bin and
 * c->ffd_of per item (types in order, res[t] items each). Returns the
 * bins it uses. */
static int first_fit(cg *c)
{
    int nb = 0, q = 0;
    for (int t = 0; t < c->nt; t++)
        for (int k = 0; k < c->res[t]; k++) {
            int b = 0;
            while (b < nb &&
                   (c->room[2 * b] < c->tw[2 * t] || c->room[2 * b + 1] < c->tw[2 * t + 1]))
                b++;
            if (b == nb) {
                c->room[2 * nb] = c->cap[0];
                c->room[2 * nb++ + 1] = c->cap[1];
            }
            c->room[2 * b] -= c->tw[2 * t];
            c->room[2 * b + 1] -= c->tw[2 * t + 1];
            c->ffd_of[q++] = b;
        }
    return nb;
}

/* The first-fit bin b as pattern counts per type, into p. */
static void first_fit_bin(const cg *c, int b, int *p)
{
    for (int t = 0, q = 0; t < c->nt; t++) {
        p[t] = 0;
        for (int k = 0; k < c->res[t]; k++)
            p[t] += c->ffd_of[q++] == b;
    }
}

/* Completes the fixed bins first fit decreasing; keeps the packing if it
 * beats the best. */
static void complete(cg *c)
{
    int nb = first_fit(c);
    if (c->nfix + nb >= c->best_bins)
        return;
    memcpy(c->best_t, c->ent_t, (size_t)c->nent * sizeof(int));
    memcpy(c->best_k, c->ent_k, (size_t)c->nent * sizeof(int));
    memcpy(c->best_off, c->fix_off, ((size_t)c->nfix + 1) * sizeof(int));
    int e = c->nent, bins = c->nfix;
    for (int b = 0; b < nb; b++) {
        first_fit_bin(c, b, c->cand);
        for (int t = 0; t < c->nt; t++)
            if (c->cand[t] > 0) {
                c->best_t[e] = t;
                c->best_k[e++] = c->cand[t];
            }
        c->best_off[++bins] = e;
    }
    c->best_bins = bins;
    c->best_nent = e;
    c->improved = true;
}

/* One node of the dive: column generation, completion, then fixing. */
static void dive(cg *c, int disc, int depth)
{
    double z = 0;
    int lb = generate(c, &z);
    if (lb < 0) {
        c->stop = true;
        return;
    }
    lb += c->nfix;
    if (depth == 0) {
        c->root_bound = lb;
        c->floor = lb > c->floor ? lb : c->floor;
    }
    if (lb >= c->best_bins)
        return;
    complete(c);
    if (c->best_bins <= c->floor)
        c->stop = true;
    if (c->best_bins <= lb || out_of_budget(c))
        return;
    int nc = 0;
    for (int j = 0; j < c->ncol; j++) {
        c->x[j] = glp_get_col_prim(c->lp, j + 1);
        if (c->x[j] > CG_INT_EPS && !c->tabu[j])
            c->order[nc++] = j;
    }
    if (nc == 0)
        return;
    /* Decreasing value, ties by column: a basic solution has no more
     * positive columns than rows, so insertion sort is cheap. */
    for (int k = 1; k < nc; k++) {
        int j = c->order[k], q = k;
        for (; q > 0 && c->x[c->order[q - 1]] < c->x[j]; q--)
            c->order[q] = c->order[q - 1];
        c->order[q] = j;
    }
    int base = c->nfix;
    bool whole = false;
    for (int k = 0; k < nc && c->x[c->order[k]] >= 1 - CG_INT_EPS; k++) {
        fix(c, c->order[k], (int)floor(c->x[c->order[k]] + CG_INT_EPS));
        whole = true;
    }
    if (whole) {
        dive(c, disc, depth + 1);
        unfix(c, base);
        return;
    }
    int tried[CG_MAX_DISCREPANCY + 1], ntried = nc < disc + 1 ? nc : disc + 1;
    memcpy(tried, c->order, (size_t)ntried * sizeof(int));
    for (int k = 0; k < ntried && !c->stop && c->best_bins > lb; k++) {
        fix(c, tried[k], 1);
        dive(c, disc - k, depth + 1);
        unfix(c, base);
        c->tabu[tried[k]] = 1;
    }
    for (int k = 0; k < ntried; k++)
        c->tabu[tried[k]] = 0;
}

/* Writes the best packing into at: each new bin takes the label of the old
 * bin it shares most items with, so that as few items as possible move. */
static void assign(cg *c, int *at, int nb_old)
{
    int *off = rp_xcalloc((size_t)c->nt + 2, sizeof(int));
    int *list = rp_xmalloc(((size_t)c->n + 1) * sizeof(int));
    for (int i = 0; i < c->n; i++)
        if (c->type[i] >= 0)
            off[c->type[i] + 1]++;
    for (int t = 0; t < c->nt; t++)
        off[t + 1] += off[t];
    int *fill = rp_xmalloc(((size_t)c->nt + 1) * sizeof(int));
    memcpy(fill, off, (size_t)c->nt * sizeof(int));
    for (int i = 0; i < c->n; i++)
        if (c->type[i] >= 0)
            list[fill[c->type[i]]++] = i;
    bool *done = rp_xcalloc((size_t)c->n + 1, sizeof(bool));
    bool *used = rp_xcalloc((size_t)nb_old + 1, sizeof(bool));
    int *score = rp_xcalloc((size_t)nb_old + 1, sizeof(int));
    int *seen = rp_xcalloc((size_t)nb_old + 1, sizeof(int));
    int *touched = rp_xmalloc(((size_t)c->n + 1) * sizeof(int));
    int *label = rp_xmalloc(((size_t)c->best_bins + 1) * sizeof(int));
    int next_free = 0;
    for (int b = 0; b < c->best_bins; b++) {
        int nt = 0;
        for (int e = c->best_off[b]; e < c->best_off[b + 1]; e++) {
            int t = c->best_t[e];
            for (int q = off[t]; q < off[t + 1]; q++) {
                int o = at[list[q]];
                if (done[list[q]] || used[o])
                    continue;
                if (score[o] == 0 && seen[o] == 0)
                    touched[nt++] = o;
                if (seen[o] < c->best_k[e]) /* at most k of this type count */
                    seen[o]++, score[o]++;
            }
            for (int k = 0; k < nt; k++)
                seen[touched[k]] = 0;
        }
        int pick = -1;
        for (int k = 0; k < nt; k++) {
            int o = touched[k];
            if (pick < 0 || score[o] > score[pick] || (score[o] == score[pick] && o < pick))
                pick = o;
        }
        for (int k = 0; k < nt; k++) /* cleared only once every score was compared */
            score[touched[k]] = 0;
        if (pick < 0) {
            while (used[next_free])
                next_free++;
            pick = next_free;
        }
        used[pick] = true;
        label[b] = pick;
        /* Items: those already in `pick` first, then any of the type. */
        for (int e = c->best_off[b]; e < c->best_off[b + 1]; e++) {
            int t = c->best_t[e], need = c->best_k[e];
            for (int pass = 0; pass < 2 && need > 0; pass++)
                for (int q = off[t]; q < off[t + 1] && need > 0; q++) {
                    int i = list[q];
                    if (!done[i] && (pass == 1 || at[i] == pick)) {
                        done[i] = true;
                        need--;
                        at[i] = -2 - pick; /* placed; decoded below */
                    }
                }
        }
    }
    for (int i = 0; i < c->n; i++) {
        if (at[i] <= -2)
            at[i] = -2 - at[i];
        else if (c->type[i] < 0 && !used[at[i]]) /* weight 0: any bin in use */
            at[i] = label[0];
    }
    free(off), free(list), free(fill), free(done), free(used), free(score), free(seen);
    free(touched), free(label);
}

static void on_glpk_error(void *info)
{
    longjmp(*(jmp_buf *)info, 1);
}

/* Column generation from the packing in at; with search, the dive too. */
static int run(int n, int d, const long *w, const long *cap, int *at, int floor, long max_lp,
               double deadline, bool search, rp_cg_info *info)
{
    memset(info, 0, sizeof *info);
    volatile int nb_old = 0;
    for (int i = 0; at && i < n; i++)
        nb_old = at[i] + 1 > nb_old ? at[i] + 1 : nb_old;
    cg c = {.n = n, .max_lp = max_lp, .deadline = deadline, .floor = floor};
    c.cap[0] = cap[0];
    c.cap[1] = d > 1 ? cap[1] : 0;
    build_types(&c, w, d);
    /* Start: the bins of the given packing, one column each (items listed
     * by bin, counted per type one bin at a time); without one, the bins
     * of first fit decreasing (below). */
    int *first = rp_xcalloc((size_t)nb_old + 2, sizeof(int));
    int *by_bin = rp_xmalloc(((size_t)n + 1) * sizeof(int));
    int *cnt = rp_xcalloc((size_t)c.nt + 1, sizeof(int));
    for (int i = 0; at && i < n; i++)
        first[at[i] + 1]++;
    int start = 0;
    for (int b = 0; b < nb_old; b++) {
        start += first[b + 1] > 0;
        first[b + 1] += first[b];
    }
    int *fill = rp_xmalloc(((size_t)nb_old + 1) * sizeof(int));
    memcpy(fill, first, (size_t)nb_old * sizeof(int));
    for (int i = 0; at && i < n; i++)
        by_bin[fill[at[i]]++] = i;
    free(fill);
    size_t N = (size_t)n + 2, T = (size_t)c.nt + 2;
    c.pt = rp_xmalloc(N * sizeof(int)), c.pk = rp_xmalloc(N * sizeof(int));
    c.best = rp_xmalloc(((size_t)c.cap[0] + 1) * ((size_t)c.cap[1] + 1) * sizeof(double));
    c.y = rp_xmalloc(T * sizeof(double)), c.cand = rp_xmalloc(T * sizeof(int));
    c.ind = rp_xmalloc(T * sizeof(int)), c.val = rp_xmalloc(T * sizeof(double));
    c.fix_off = rp_xcalloc(N, sizeof(int)), c.ent_t = rp_xmalloc(N * sizeof(int));
    c.ent_k = rp_xmalloc(N * sizeof(int)), c.best_off = rp_xcalloc(N, sizeof(int));
    c.best_t = rp_xmalloc(N * sizeof(int)), c.best_k = rp_xmalloc(N * sizeof(int));
    c.room = rp_xmalloc(2 * N * sizeof(long)), c.ffd_of = rp_xmalloc(N * sizeof(int));
    if (!at)
        start = first_fit(&c);
    c.best_bins = start;
    info->bins = start;
    jmp_buf env;
    int term = glp_term_out(GLP_OFF);
    glp_error_hook(on_glpk_error, &env);
    if (setjmp(env) == 0) {
        c.lp = glp_create_prob();
        glp_set_obj_dir(c.lp, GLP_MIN);
        if (c.nt > 0)
            glp_add_rows(c.lp, c.nt);
        for (int b = 0; !at && b < start; b++) {
            first_fit_bin(&c, b, cnt);
            add_column(&c, cnt);
        }
        for (int b = 0; b < nb_old; b++) {
            if (first[b + 1] == first[b])
                continue;
            for (int q = first[b]; q < first[b + 1]; q++)
                if (c.type[by_bin[q]] >= 0)
                    cnt[c.type[by_bin[q]]]++;
            add_column(&c, cnt);
            for (int q = first[b]; q < first[b + 1]; q++)
                if (c.type[by_bin[q]] >= 0)
                    cnt[c.type[by_bin[q]]] = 0;
        }
        double z = 0;
        if (!search && c.nt > 0)
            c.root_bound = generate(&c, &z);
        for (int disc = 1; search && disc <= CG_MAX_DISCREPANCY && c.nt > 0; disc++)
            if (!c.stop && c.best_bins > c.floor)
                dive(&c, disc, 0);
        glp_error_hook(NULL, NULL);
        glp_delete_prob(c.lp);
        if (c.improved)
            assign(&c, at, nb_old);
        info->bins = c.best_bins;
    } else {
        glp_free_env();
        info->failed = true;
    }
    glp_term_out(term);
    info->root_bound = c.root_bound;
    info->lp_solves = c.lp_solves;
    info->columns = c.ncol;
    info->timed_out = c.timed_out;
    free(first), free(by_bin), free(cnt);
    cg_free(&c);
    return info->bins;
}

int rp_pack_cg(int n, int d, const long *w, const long *cap, int *at, int floor, long max_lp,
               double deadline, rp_cg_info *info)
{
    return run(n, d, w, cap, at, floor, max_lp, deadline, true, info);
}

int rp_pack_lp_bound(int n, const long *w, long cap, long max_lp)
{
    for (int i = 0; i < n; i++)
        if (w[i] < 0 || w[i] > cap)
            return 0;
    rp_cg_info info;
    run(n, 1, w, &cap, NULL, 0, max_lp, INFINITY, false, &info);
    return info.failed ? 0 : info.root_bound;
}

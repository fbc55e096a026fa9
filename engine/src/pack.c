/* pack.c - bin-count reduction for vector packing (see pack.h). */
#include "pack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "capacity.h"

double rp__now_seconds(void);
uint64_t rp__rng_next(uint64_t *s);

/* Subsets of S with at most this many items get pairs as well as singles. */
#define PAIRS_S_MAX 48
/* Bins with at most this many items offer pairs of items to swap out. */
#define PAIRS_BIN_MAX 24
/* Pack moves: at most this many candidate items, and search nodes. */
#define PACK_MAX_ITEMS 40
#define PACK_NODES 2000
/* Partners tried for each bin that is not full in a two-bin repack. */
#define PACK_TWO_TRIES 4

typedef struct subset {
    int a, b;   /* items; b = -1 for a single */
    double size;
} subset;

typedef struct packer {
    const rp_pack *p;
    double *load;    /* [nb * d] */
    double *size;    /* [n] scalar size: sum over dims of weight / largest capacity */
    double *bsize;   /* [nb] sum of its items' sizes */
    int **mem;       /* [nb] items of each bin */
    int *cnt, *slots; /* [nb] items in each bin, and room in mem[b] */
    int *pos;        /* [n] index in its bin's list; -1 in S */
    int *at;         /* [n] bin, -1 in S */
    bool *closed;    /* [nb] emptied for the current attempt */
    int *S;
    int ns;
    double ws;       /* total size of S */
    double *sw;      /* [d] total weight of S */
    int *last_bin;   /* [n] bin the item last left for S */
    long *back_at;   /* [n] iteration from which it may go back there */
    long *stay;      /* [n] iteration from which it may leave its bin */
    subset *q;       /* subsets of S */
    double *qw;      /* [nq * d] their weights */
    double *tmp;     /* [d] */
    double *acc;     /* [2 * d] running weights of the pack searches */
    double *room;    /* [d] what a bin leaves beside the items that stay */
    double *inv;     /* [d] 1 / largest capacity (0 for none) */
    double *full;    /* [nb] size of a bin filled to capacity in every dimension */
    long it;
    bool wide; /* this attempt closes three bins (else two) */
    bool timed_out; /* a deadline ended some part of the search */
    uint64_t *rng;
} packer;

/* Is the deadline past? Records that the result depends on the clock. */
static bool past(packer *k, double deadline)
{
    if (rp__now_seconds() <= deadline)
        return false;
    k->timed_out = true;
    return true;
}

static int rnd(packer *k, int n)
{
    return n <= 1 ? 0 : (int)(rp__rng_next(k->rng) % (uint64_t)n);
}

static const float *wt(const packer *k, int i)
{
    return k->p->w + (size_t)i * (size_t)k->p->d;
}

static double *bload(const packer *k, int b)
{
    return k->load + (size_t)b * (size_t)k->p->d;
}

static const double *bcap(const packer *k, int b)
{
    return k->p->cap + (size_t)b * (size_t)k->p->d;
}

static void bin_add(packer *k, int i, int b)
{
    if (k->cnt[b] == k->slots[b]) {
        k->slots[b] = k->slots[b] ? 2 * k->slots[b] : 8;
        k->mem[b] = rp_xrealloc(k->mem[b], (size_t)k->slots[b] * sizeof(int));
    }
    k->pos[i] = k->cnt[b];
    k->mem[b][k->cnt[b]++] = i;
    k->at[i] = b;
    double *l = bload(k, b);
    const float *w = wt(k, i);
    for (int x = 0; x < k->p->d; x++)
        l[x] += w[x];
    k->bsize[b] += k->size[i];
}

static void bin_del(packer *k, int i)
{
    int b = k->at[i], last = k->mem[b][--k->cnt[b]];
    k->mem[b][k->pos[i]] = last;
    k->pos[last] = k->pos[i];
    k->pos[i] = -1;
    k->at[i] = -1;
    double *l = bload(k, b);
    const float *w = wt(k, i);
    for (int x = 0; x < k->p->d; x++)
        l[x] -= w[x];
    k->bsize[b] -= k->size[i];
    if (k->cnt[b] == 0) { /* exact zeros: no drift in an empty bin */
        memset(l, 0, (size_t)k->p->d * sizeof(double));
        k->bsize[b] = 0;
    }
}

static void s_add(packer *k, int i)
{
    k->S[k->ns++] = i;
    k->ws += k->size[i];
    const float *w = wt(k, i);
    for (int x = 0; x < k->p->d; x++)
        k->sw[x] += w[x];
}

static void s_del(packer *k, int i)
{
    for (int j = 0; j < k->ns; j++)
        if (k->S[j] == i) {
            k->S[j] = k->S[--k->ns];
            break;
        }
    k->ws -= k->size[i];
    const float *w = wt(k, i);
    for (int x = 0; x < k->p->d; x++)
        k->sw[x] -= w[x];
    if (k->ns == 0) {
        k->ws = 0;
        memset(k->sw, 0, (size_t)k->p->d * sizeof(double));
    }
}

static bool may(const packer *k, int i, int b)
{
    return !k->p->may || k->p->may(k->p->ctx, i, b);
}

/* Was item i sent from bin b to S so recently that it may not go back? */
static bool tabu(const packer *k, int i, int b)
{
    return k->last_bin[i] == b && k->it < k->back_at[i];
}

/* Item i leaves its bin for S; tabu keeps it from going straight back. */
static void to_s(packer *k, int i)
{
    k->last_bin[i] = k->at[i];
    k->back_at[i] = k->it + 4 + rnd(k, 8);
    bin_del(k, i);
    s_add(k, i);
}

/* Item i goes from S into bin b, and stays there a few iterations. */
static void to_bin(packer *k, int i, int b)
{
    s_del(k, i);
    bin_add(k, i, b);
    k->stay[i] = k->it + 2 + rnd(k, 4);
}

/* Do the weights of item i fit on top of acc under cap? */
static bool adds_up(const packer *k, const double *acc, int i, const double *cap)
{
    const float *w = wt(k, i);
    for (int x = 0; x < k->p->d; x++)
        if (!rp_fits(acc[x] + w[x], cap[x]))
            return false;
    return true;
}

static void acc_add(const packer *k, double *acc, int i, double sign)
{
    const float *w = wt(k, i);
    for (int x = 0; x < k->p->d; x++)
        acc[x] += sign * w[x];
}

/* Sets every item to its bin in at[] (S empty). */
static void load_from(packer *k, const int *at)
{
    const rp_pack *p = k->p;
    memset(k->load, 0, (size_t)p->nb * (size_t)p->d * sizeof(double));
    for (int b = 0; b < p->nb; b++) {
        k->cnt[b] = 0;
        k->bsize[b] = 0;
        k->closed[b] = false;
    }
    k->ns = 0;
    k->ws = 0;
    memset(k->sw, 0, (size_t)p->d * sizeof(double));
    for (int i = 0; i < p->n; i++)
        bin_add(k, i, at[i]);
}

static bool stays(const packer *k, int b)
{
    return k->p->stays && k->p->stays[b];
}

static int bins_used(const packer *k)
{
    int u = 0;
    for (int b = 0; b < k->p->nb; b++)
        u += k->cnt[b] > 0 || stays(k, b);
    return u;
}

/* ---- the swap neighbourhood ------------------------------------------- */

static int cmp_subset_desc(const void *x, const void *y)
{
    double a = ((const subset *)x)->size, b = ((const subset *)y)->size;
    return (a < b) - (a > b);
}

/* Singles and (when S is small) pairs of S, largest first, with weights. */
static int build_subsets(packer *k)
{
    int nq = 0, d = k->p->d;
    for (int x = 0; x < k->ns; x++) {
        k->q[nq++] = (subset){k->S[x], -1, k->size[k->S[x]]};
        for (int y = x + 1; y < k->ns && k->ns <= PAIRS_S_MAX; y++)
            k->q[nq++] = (subset){k->S[x], k->S[y], k->size[k->S[x]] + k->size[k->S[y]]};
    }
    qsort(k->q, (size_t)nq, sizeof(subset), cmp_subset_desc);
    for (int j = 0; j < nq; j++) {
        double *v = k->qw + (size_t)j * (size_t)d;
        const float *a = wt(k, k->q[j].a);
        for (int x = 0; x < d; x++)
            v[x] = a[x];
        if (k->q[j].b >= 0) {
            const float *b = wt(k, k->q[j].b);
            for (int x = 0; x < d; x++)
                v[x] += b[x];
        }
    }
    return nq;
}

/* Does bin b hold its load minus out (in tmp) plus subset weights v? */
static bool fits_with(const packer *k, int b, const double *v)
{
    const double *c = bcap(k, b);
    for (int x = 0; x < k->p->d; x++)
        if (!rp_fits(k->tmp[x] + v[x], c[x]))
            return false;
    return true;
}

typedef struct move {
    int b, o1, o2, qi;
    double gain;
    int ties;
} move;

static bool q_allowed(const packer *k, const subset *q, int b)
{
    for (int t = 0; t < 2; t++) {
        int u = t ? q->b : q->a;
        if (u < 0)
            continue;
        if (tabu(k, u, b) || !may(k, u, b))
            return false;
    }
    return true;
}

/* Best swap of the items o1, o2 (-1: none) of bin b for a subset of S. */
static void try_out(packer *k, int b, int o1, int o2, int nq, move *best)
{
    int d = k->p->d;
    double out = (o1 >= 0 ? k->size[o1] : 0) + (o2 >= 0 ? k->size[o2] : 0);
    const double *l = bload(k, b);
    for (int x = 0; x < d; x++)
        k->tmp[x] = l[x] - (o1 >= 0 ? wt(k, o1)[x] : 0) - (o2 >= 0 ? wt(k, o2)[x] : 0);
    for (int j = 0; j < nq; j++) {
        const subset *q = &k->q[j];
        double gain = q->size - out;
        if (gain < best->gain - 1e-12)
            break; /* sorted: the rest gain less */
        if (q->a == o1 || q->a == o2)
            continue;
        if (!fits_with(k, b, k->qw + (size_t)j * (size_t)d) || !q_allowed(k, q, b))
            continue;
        if (gain > best->gain + 1e-12) {
            *best = (move){b, o1, o2, j, gain, 1};
        } else if (rnd(k, ++best->ties) == 0) {
            best->b = b, best->o1 = o1, best->o2 = o2, best->qi = j;
        }
        break; /* the first fitting subset is this out-set's best */
    }
}

static bool may_leave(const packer *k, int i)
{
    return k->it >= k->stay[i];
}

static move best_move(packer *k, int nq)
{
    move best = {-1, -1, -1, -1, -INFINITY, 0};
    for (int b = 0; b < k->p->nb; b++) {
        if (k->cnt[b] == 0 || k->closed[b])
            continue;
        try_out(k, b, -1, -1, nq, &best);
        int c = k->cnt[b];
        for (int x = 0; x < c; x++) {
            int i = k->mem[b][x];
            if (!may_leave(k, i))
                continue;
            try_out(k, b, i, -1, nq, &best);
            for (int y = x + 1; y < c && c <= PAIRS_BIN_MAX; y++)
                if (may_leave(k, k->mem[b][y]))
                    try_out(k, b, i, k->mem[b][y], nq, &best);
        }
    }
    return best;
}

static void apply(packer *k, const move *m)
{
    const subset *q = &k->q[m->qi];
    int outs[2] = {m->o1, m->o2}, ins[2] = {q->a, q->b};
    for (int t = 0; t < 2; t++)
        if (outs[t] >= 0)
            to_s(k, outs[t]);
    for (int t = 0; t < 2; t++)
        if (ins[t] >= 0)
            to_bin(k, ins[t], m->b);
}

/* ---- the pack move: fill one bin as tightly as possible ----------------- */

/* Depth-first search for the subset of cand[0..nc) (largest first) with the
 * largest total size that fits capacity c; node-limited. */
typedef struct dfs {
    const packer *k;
    const int *cand;
    int nc;
    const double *cap;
    double *acc;   /* [d] running weight */
    double suf[PACK_MAX_ITEMS + 1]; /* size of cand[j..nc) */
    bool take[PACK_MAX_ITEMS], *best_take;
    double best;
    long nodes;
} dfs;

static void dfs_run(dfs *z, int j, double got)
{
    if (got > z->best + 1e-12) {
        z->best = got;
        memcpy(z->best_take, z->take, (size_t)z->nc * sizeof(bool));
    }
    if (j == z->nc || got + z->suf[j] <= z->best + 1e-12 || ++z->nodes > PACK_NODES)
        return;
    int i = z->cand[j];
    if (adds_up(z->k, z->acc, i, z->cap)) {
        z->take[j] = true;
        acc_add(z->k, z->acc, i, 1);
        dfs_run(z, j + 1, got + z->k->size[i]);
        acc_add(z->k, z->acc, i, -1);
        z->take[j] = false;
    }
    dfs_run(z, j + 1, got);
}

/* Best subset of cand (sorted largest first, at most PACK_MAX_ITEMS) for
 * capacity cap: its total size, and take[] marks it. */
static double best_subset(const packer *k, const int *cand, int nc, const double *cap, bool *take)
{
    dfs z = {.k = k, .cand = cand, .nc = nc, .cap = cap, .acc = k->acc, .best_take = take,
             .best = -1};
    memset(k->acc, 0, (size_t)k->p->d * sizeof(double));
    for (int j = nc - 1; j >= 0; j--)
        z.suf[j] = z.suf[j + 1] + k->size[cand[j]];
    memset(take, 0, (size_t)nc * sizeof(bool));
    dfs_run(&z, 0, 0);
    return z.best;
}

static const double *sort_sizes;

static int cmp_item_desc(const void *x, const void *y)
{
    double a = sort_sizes[*(const int *)x], b = sort_sizes[*(const int *)y];
    return (a < b) - (a > b);
}

/* Refills bin b from its own items and S so that it holds the most it can;
 * what does not go in joins S. True when S shrank. */
static bool pack_bin(packer *k, int b)
{
    int cand[PACK_MAX_ITEMS], nc = 0, d = k->p->d;
    bool take[PACK_MAX_ITEMS];
    if (k->cnt[b] + k->ns > PACK_MAX_ITEMS || k->bsize[b] >= k->full[b] - 1e-9)
        return false;
    /* Items that may not leave yet stay: the room is what they leave. */
    double *room = k->room, now = 0;
    memcpy(room, bcap(k, b), (size_t)d * sizeof(double));
    for (int x = 0; x < k->cnt[b]; x++) {
        int i = k->mem[b][x];
        if (may_leave(k, i)) {
            cand[nc++] = i;
            now += k->size[i];
        } else {
            for (int y = 0; y < d; y++)
                room[y] -= wt(k, i)[y];
        }
    }
    for (int x = 0; x < k->ns; x++) {
        int u = k->S[x];
        if (may(k, u, b) && !tabu(k, u, b))
            cand[nc++] = u;
    }
    sort_sizes = k->size;
    qsort(cand, (size_t)nc, sizeof(int), cmp_item_desc);
    if (best_subset(k, cand, nc, room, take) <= now + 1e-9)
        return false;
    for (int j = 0; j < nc; j++)
        if (!take[j] && k->at[cand[j]] == b)
            to_s(k, cand[j]);
    for (int j = 0; j < nc; j++)
        if (take[j] && k->at[cand[j]] < 0)
            to_bin(k, cand[j], b);
    return true;
}

/* Two-bin repacking: the items of bins b[0], b[1] and S are dealt to the
 * two bins (or left in S) to fill them as much as a bounded search finds. */
typedef struct deal {
    const packer *k;
    int bins[2];
    int cand[PACK_MAX_ITEMS], nc;
    int to[PACK_MAX_ITEMS], best_to[PACK_MAX_ITEMS]; /* 0, 1, or -1 for S */
    double *acc[2];
    double suf[PACK_MAX_ITEMS + 1], best;
    long nodes;
} deal;

static bool deal_allowed(const deal *z, int side, int i)
{
    const packer *k = z->k;
    int b = z->bins[side];
    if (k->at[i] == b)
        return true;
    return may(k, i, b) && !tabu(k, i, b);
}

/* Only complete deals are recorded: an item that may not leave its bin
 * has no "S" branch, so a partial deal could drop it. */
static void deal_run(deal *z, int j, double got)
{
    if (j == z->nc) {
        if (got > z->best + 1e-12) {
            z->best = got;
            memcpy(z->best_to, z->to, (size_t)z->nc * sizeof(int));
        }
        return;
    }
    if (got + z->suf[j] <= z->best + 1e-12 || ++z->nodes > PACK_NODES)
        return;
    int i = z->cand[j];
    for (int side = 0; side < 2; side++) {
        if (!deal_allowed(z, side, i) ||
            !adds_up(z->k, z->acc[side], i, bcap(z->k, z->bins[side])))
            continue;
        z->to[j] = side;
        acc_add(z->k, z->acc[side], i, 1);
        deal_run(z, j + 1, got + z->k->size[i]);
        acc_add(z->k, z->acc[side], i, -1);
    }
    z->to[j] = -1;
    if (z->k->at[i] < 0 || may_leave(z->k, i))
        deal_run(z, j + 1, got);
}

static bool pack_two(packer *k, int b, int c)
{
    if (k->cnt[b] + k->cnt[c] + k->ns > PACK_MAX_ITEMS)
        return false;
    deal z = {.k = k, .bins = {b, c}, .best = -1};
    for (int j = 0; j < PACK_MAX_ITEMS; j++)
        z.to[j] = z.best_to[j] = -1;
    for (int t = 0; t < 2; t++)
        for (int x = 0; x < k->cnt[z.bins[t]]; x++)
            z.cand[z.nc++] = k->mem[z.bins[t]][x];
    for (int x = 0; x < k->ns; x++)
        z.cand[z.nc++] = k->S[x];
    sort_sizes = k->size;
    qsort(z.cand, (size_t)z.nc, sizeof(int), cmp_item_desc);
    z.suf[z.nc] = 0;
    for (int j = z.nc - 1; j >= 0; j--)
        z.suf[j] = z.suf[j + 1] + k->size[z.cand[j]];
    z.acc[0] = k->acc;
    z.acc[1] = k->acc + k->p->d;
    memset(k->acc, 0, 2 * (size_t)k->p->d * sizeof(double));
    deal_run(&z, 0, 0);
    if (z.best <= k->bsize[b] + k->bsize[c] + 1e-9)
        return false;
    for (int j = 0; j < z.nc; j++) { /* out first, then in */
        int i = z.cand[j], dest = z.best_to[j] < 0 ? -1 : z.bins[z.best_to[j]];
        if (k->at[i] >= 0 && k->at[i] != dest)
            to_s(k, i);
    }
    for (int j = 0; j < z.nc; j++)
        if (z.best_to[j] >= 0 && k->at[z.cand[j]] < 0)
            to_bin(k, z.cand[j], z.bins[z.best_to[j]]);
    return true;
}

static bool open_bin(const packer *k, int b)
{
    return k->cnt[b] > 0 && !k->closed[b];
}

/* One pass of pack moves over the open bins, from a random start; then,
 * in one dimension, two-bin repacks of bins that are not full with a few
 * others. (In one dimension they reach the exact fills that instances
 * like Falkenauer's triplets demand; with several dimensions, where the
 * total size is a poor guide to a good fill, they cost more than they
 * find.) */
static bool descent(packer *k)
{
    bool any = false;
    int nb = k->p->nb, start = rnd(k, nb);
    for (int t = 0; t < nb && k->ns; t++) {
        int b = (start + t) % nb;
        if (open_bin(k, b))
            any |= pack_bin(k, b);
    }
    for (int t = 0; t < nb && k->ns && !any && k->p->d == 1; t++) {
        int b = (start + t) % nb;
        if (!open_bin(k, b) || k->bsize[b] >= k->full[b] - 1e-9)
            continue;
        for (int tries = 0; tries < PACK_TWO_TRIES && !any; tries++) {
            int c = rnd(k, nb);
            if (c != b && open_bin(k, c))
                any |= pack_two(k, b, c);
        }
    }
    return any;
}

/* ---- an attempt: close bins, rebuild S into one fewer of them ------------ */

static bool sum_fits(const packer *k, const double *v, int b)
{
    const double *c = bcap(k, b);
    for (int x = 0; x < k->p->d; x++)
        if (!rp_fits(v[x], c[x]))
            return false;
    return true;
}

static bool all_may(const packer *k, const int *items, int n, int b)
{
    for (int j = 0; j < n; j++)
        if (!may(k, items[j], b))
            return false;
    return true;
}

/* Can S go into the bins home[0..nh) (nh is 1 or 2)? Fills dest[] (per S
 * position) when it can. */
static bool s_fits(packer *k, const int *home, int nh, int *dest)
{
    if (nh == 1) {
        for (int j = 0; j < k->ns; j++)
            dest[j] = home[0];
        return sum_fits(k, k->sw, home[0]) && all_may(k, k->S, k->ns, home[0]);
    }
    if (k->ns > PACK_MAX_ITEMS)
        return false;
    for (int x = 0; x < k->p->d; x++) /* a quick necessary test */
        if (!rp_fits(k->sw[x], bcap(k, home[0])[x] + bcap(k, home[1])[x]))
            return false;
    int cand[PACK_MAX_ITEMS], nc = k->ns;
    bool take[PACK_MAX_ITEMS];
    memcpy(cand, k->S, (size_t)nc * sizeof(int));
    sort_sizes = k->size;
    qsort(cand, (size_t)nc, sizeof(int), cmp_item_desc);
    for (int t = 0; t < 2; t++) {
        int a = home[t], b = home[1 - t], rest[PACK_MAX_ITEMS], nr = 0, na = 0, ina[PACK_MAX_ITEMS];
        for (int j = 0; j < nc; j++)
            if (may(k, cand[j], a))
                ina[na++] = cand[j];
        best_subset(k, ina, na, bcap(k, a), take);
        for (int x = 0; x < k->p->d; x++)
            k->tmp[x] = 0;
        for (int j = 0; j < nc; j++) {
            bool in_a = false;
            for (int q = 0; q < na; q++)
                in_a |= take[q] && ina[q] == cand[j];
            if (!in_a) {
                rest[nr++] = cand[j];
                for (int x = 0; x < k->p->d; x++)
                    k->tmp[x] += wt(k, cand[j])[x];
            }
        }
        if (!sum_fits(k, k->tmp, b) || !all_may(k, rest, nr, b))
            continue;
        for (int j = 0; j < k->ns; j++) {
            dest[j] = a;
            for (int q = 0; q < nr; q++)
                dest[j] = rest[q] == k->S[j] ? b : dest[j];
        }
        return true;
    }
    return false;
}

/* Empties the bins out[0..nout) into S and searches until S fits into all
 * but the last of them. */
static bool attempt(packer *k, const int *out, int nout, long patience, double deadline)
{
    for (int t = 0; t < nout; t++) {
        k->closed[out[t]] = true;
        while (k->cnt[out[t]]) {
            int i = k->mem[out[t]][0];
            bin_del(k, i);
            s_add(k, i);
        }
    }
    int *dest = rp_xmalloc(((size_t)k->p->n + 1) * sizeof(int));
    double best_ws = k->ws;
    long since = 0;
    bool ok = false;
    for (;;) {
        if (s_fits(k, out, nout - 1, dest)) {
            int n = k->ns, *items = rp_xmalloc((size_t)n * sizeof(int) + 1);
            memcpy(items, k->S, (size_t)n * sizeof(int));
            for (int j = 0; j < n; j++) {
                s_del(k, items[j]);
                bin_add(k, items[j], dest[j]);
            }
            free(items);
            ok = true;
            break;
        }
        if (since > patience || past(k, deadline))
            break;
        int nq = build_subsets(k);
        move m = best_move(k, nq);
        if (m.gain <= 1e-12 && descent(k)) {
            k->it++;
        } else if (m.b >= 0) {
            apply(k, &m);
            k->it++;
        } else {
            break;
        }
        if (k->ws < best_ws - 1e-9) {
            best_ws = k->ws;
            since = 0;
        } else {
            since++;
        }
    }
    free(dest);
    return ok;
}

/* Bins to empty, among the lightest; after failures the choice is spread
 * over more of them. Returns how many (3, or 2 when only two can close;
 * 0 when fewer). */
static int pick_out(packer *k, int fails, int *out)
{
    int nb = k->p->nb, *order = rp_xmalloc((size_t)nb * sizeof(int) + 1), m = 0;
    for (int b = 0; b < nb; b++)
        if (k->cnt[b] > 0 && !stays(k, b))
            order[m++] = b;
    int want = m >= 3 && k->wide ? 3 : m >= 2 ? 2 : 0;
    for (int x = 1; x < m; x++) { /* insertion sort by size, ascending */
        int b = order[x], y = x;
        for (; y > 0 && k->bsize[order[y - 1]] > k->bsize[b]; y--)
            order[y] = order[y - 1];
        order[y] = b;
    }
    int span = want + fails;
    span = span > m ? m : span;
    for (int t = 0; t < want; t++) { /* distinct picks among the first span */
        int x = t + rnd(k, span - t), b = order[x];
        order[x] = order[t];
        order[t] = b;
        out[t] = b;
    }
    /* The largest capacities receive S: put the smallest last. */
    for (int t = 0; t + 1 < want; t++)
        if (bcap(k, out[t])[0] < bcap(k, out[want - 1])[0]) {
            int b = out[t];
            out[t] = out[want - 1];
            out[want - 1] = b;
        }
    free(order);
    return want;
}

static void packer_init(packer *k, const rp_pack *p, uint64_t *rng)
{
    memset(k, 0, sizeof *k);
    k->p = p;
    k->rng = rng;
    size_t n = (size_t)p->n + 1, nb = (size_t)p->nb + 1, d = (size_t)p->d + 1;
    k->load = rp_xcalloc(nb * d, sizeof(double));
    k->size = rp_xcalloc(n, sizeof(double));
    k->bsize = rp_xcalloc(nb, sizeof(double));
    k->mem = rp_xcalloc(nb, sizeof(int *));
    k->cnt = rp_xcalloc(nb, sizeof(int));
    k->slots = rp_xcalloc(nb, sizeof(int));
    k->pos = rp_xcalloc(n, sizeof(int));
    k->at = rp_xcalloc(n, sizeof(int));
    k->closed = rp_xcalloc(nb, sizeof(bool));
    k->S = rp_xcalloc(n, sizeof(int));
    k->sw = rp_xcalloc(d, sizeof(double));
    k->last_bin = rp_xcalloc(n, sizeof(int));
    k->back_at = rp_xcalloc(n, sizeof(long));
    k->stay = rp_xcalloc(n, sizeof(long));
    size_t maxq = (size_t)PAIRS_S_MAX * PAIRS_S_MAX + n;
    k->q = rp_xcalloc(maxq, sizeof(subset));
    k->qw = rp_xcalloc(maxq * d, sizeof(double));
    k->tmp = rp_xcalloc(d, sizeof(double));
    k->acc = rp_xcalloc(2 * d, sizeof(double));
    k->room = rp_xcalloc(d, sizeof(double));
    double *cmax = rp_xcalloc(d, sizeof(double));
    k->inv = rp_xcalloc(d, sizeof(double));
    for (int b = 0; b < p->nb; b++)
        for (int x = 0; x < p->d; x++)
            cmax[x] = fmax(cmax[x], p->cap[(size_t)b * (size_t)p->d + (size_t)x]);
    for (int x = 0; x < p->d; x++)
        k->inv[x] = cmax[x] > 0 ? 1.0 / cmax[x] : 0;
    for (int i = 0; i < p->n; i++) {
        k->last_bin[i] = -1;
        for (int x = 0; x < p->d; x++)
            k->size[i] += wt(k, i)[x] * k->inv[x];
    }
    free(cmax);
    k->full = rp_xcalloc(nb, sizeof(double));
    for (int b = 0; b < p->nb; b++)
        for (int x = 0; x < p->d; x++)
            k->full[b] += bcap(k, b)[x] * k->inv[x];
}

static void packer_free(packer *k)
{
    for (int b = 0; b < k->p->nb; b++)
        free(k->mem[b]);
    free(k->load), free(k->size), free(k->bsize), free(k->mem), free(k->cnt), free(k->slots);
    free(k->pos), free(k->at), free(k->closed), free(k->S), free(k->sw), free(k->last_bin);
    free(k->back_at), free(k->stay), free(k->q), free(k->qw), free(k->tmp), free(k->inv), free(k->full);
    free(k->acc), free(k->room);
}


/* Best fit decreasing from empty bins (bins that stay open count as
 * open): each item, largest first, goes to the fullest open bin that takes
 * it, else opens the largest closed bin. Returns false when some item fits
 * nowhere (k is then left in a partial state). */
static bool best_fit(packer *k)
{
    const rp_pack *p = k->p;
    int *order = rp_xmalloc(((size_t)p->n + 1) * sizeof(int));
    bool *open = rp_xcalloc((size_t)p->nb + 1, sizeof(bool)), ok = true;
    for (int i = 0; i < p->n; i++)
        order[i] = i;
    sort_sizes = k->size;
    qsort(order, (size_t)p->n, sizeof(int), cmp_item_desc);
    for (int b = 0; b < p->nb; b++)
        open[b] = stays(k, b);
    int *all = rp_xmalloc(((size_t)p->n + 1) * sizeof(int));
    for (int i = 0; i < p->n; i++)
        all[i] = k->at[i] = -1, k->pos[i] = -1;
    memset(k->load, 0, (size_t)p->nb * (size_t)p->d * sizeof(double));
    for (int b = 0; b < p->nb; b++)
        k->cnt[b] = 0, k->bsize[b] = 0;
    for (int t = 0; t < p->n && ok; t++) {
        int i = order[t], best = -1, fresh = -1;
        const float *w = wt(k, i);
        for (int x = 0; x < p->d; x++)
            k->tmp[x] = w[x];
        for (int b = 0; b < p->nb; b++) {
            if (!may(k, i, b))
                continue;
            const double *l = bload(k, b), *c = bcap(k, b);
            bool fit = true;
            for (int x = 0; x < p->d && fit; x++)
                fit = rp_fits(l[x] + k->tmp[x], c[x]);
            if (!fit)
                continue;
            if (open[b] && (best < 0 || k->bsize[b] > k->bsize[best]))
                best = b;
            if (!open[b] && fresh < 0)
                fresh = b;
        }
        best = best >= 0 ? best : fresh;
        if (best < 0)
            ok = false;
        else
            open[best] = true, bin_add(k, i, best);
    }
    free(order), free(open), free(all);
    return ok;
}

/* Attempts from the assignment at[], which receives each improvement;
 * returns the bins it uses. */
static int run_from(packer *k, int *at, int floor, double deadline, int max_fail)
{
    load_from(k, at);
    int used = bins_used(k), fails = 0, attempts = 0;
    long patience = 2000 + 4L * k->p->n;
    while (used > floor && used >= 2 && fails < max_fail && !past(k, deadline)) {
        k->wide = (attempts++ & 1) == 0;
        int out[3], nout = pick_out(k, fails, out);
        if (nout < 2)
            break;
        if (attempt(k, out, nout, patience, deadline)) {
            used = bins_used(k);
            fails = 0;
            memcpy(at, k->at, (size_t)k->p->n * sizeof(int));
            for (int b = 0; b < k->p->nb; b++)
                k->closed[b] = false;
        } else {
            fails++;
            load_from(k, at);
        }
    }
    return used;
}

/* Two starts, each with half the time: the caller's assignment (a loose
 * one leaves the search room to rebuild bins), then best fit decreasing
 * (a tight one is closer when the structure is simple). */
int rp_pack_reduce(rp_pack *p, int floor, double deadline, int max_fail, uint64_t *rng)
{
    packer k;
    packer_init(&k, p, rng);
    double now = rp__now_seconds();
    int used = run_from(&k, p->at, floor, now + (deadline - now) / 2, max_fail);
    if (used > floor && !past(&k, deadline) && best_fit(&k)) {
        int *alt = rp_xmalloc(((size_t)p->n + 1) * sizeof(int));
        memcpy(alt, k.at, (size_t)p->n * sizeof(int));
        int u2 = run_from(&k, alt, floor, deadline, max_fail);
        if (u2 < used) {
            used = u2;
            memcpy(p->at, alt, (size_t)p->n * sizeof(int));
        }
        free(alt);
    }
    p->timed_out = k.timed_out;
    packer_free(&k);
    return used;
}

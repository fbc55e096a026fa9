/* pack.h - reducing the number of bins of a vector packing.
 *
 * The kernel behind reef elimination: items with a weight per dimension sit
 * in bins with a capacity per dimension, and rp_pack_reduce looks for an
 * assignment that leaves more bins empty. It knows nothing of fleets; the
 * solver (search_pack.c) turns a region's reefs and instances into one.
 *
 * The search is a consistent-neighbourhood tabu search in the manner of
 * Buljubasic and Vasquez (2016): to go from k bins to k-1 it empties two
 * bins into a set S of unassigned items, then swaps up to two items of a
 * bin for up to two of S, shrinking S's total size, until S fits into one
 * of the two emptied bins. Every assignment it returns is feasible. */
#ifndef RP_PACK_H
#define RP_PACK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct rp_pack {
    int n;  /* items */
    int d;  /* dimensions */
    int nb; /* bins */
    const float *w;    /* [n * d] item weights, >= 0 */
    const double *cap; /* [nb * d] bin capacities */
    int *at;           /* [n] bin of each item: in, a feasible start; out, the result */
    const bool *stays; /* [nb] bins that stay open whatever they hold (NULL: none) */
    /* May item go to bin (beyond capacity)? NULL: always. */
    bool (*may)(void *ctx, int item, int bin);
    void *ctx;
    bool timed_out; /* out: the deadline ended part of the search, so the
                       result depends on the machine's speed */
} rp_pack;

/* Lower bound on the bins any feasible assignment needs: per dimension,
 * the Martello-Toth L2 bound when every bin has the same capacity in it,
 * the continuous bound otherwise. */
int rp_pack_bound(const rp_pack *p);

/* Martello-Toth L2: the fewest bins of capacity c that hold items of
 * weights v[0..n) (sorted in place). */
long rp_l2_bound(double *v, int n, double c);

/* Searches until `deadline` (rp__now_seconds() scale), until the bins in
 * use reach `floor`, or until `max_fail` attempts in a row fail to free a
 * bin. p->at receives the best assignment found (never worse than the
 * start). Returns the number of bins it uses. */
int rp_pack_reduce(rp_pack *p, int floor, double deadline, int max_fail, uint64_t *rng);

/* What rp_pack_cg did. */
typedef struct rp_cg_info {
    int bins;       /* bins of the result */
    int root_bound; /* ceiling of the column-generation LP bound (0: not reached) */
    long lp_solves; /* master LPs solved */
    int columns;    /* patterns generated, the start's bins included */
    bool timed_out; /* the deadline ended the search */
    bool failed;    /* GLPK failed; at is unchanged */
} rp_cg_info;

/* Packing in one or two dimensions into identical bins of integral
 * capacity, by column generation and diving (mip_cg.c, where GLPK lives):
 * n items of integral weights w[i * d + k] in [0, cap[k]], d = 1 or 2; at
 * holds a feasible assignment to bins numbered from 0 and receives a
 * packing with fewer bins when one is found (a new bin keeps the number of
 * the old bin it shares most items with). Stops when the bins reach
 * max(floor, LP bound), after max_lp master LP solves (0: no limit) or at
 * the deadline. The pricing keeps a byte per item and capacity cell (the
 * product of cap[k] + 1): the caller bounds n times that. Returns the bins
 * of the result. */
int rp_pack_cg(int n, int d, const long *w, const long *cap, int *at, int floor, long max_lp,
               double deadline, rp_cg_info *info);

/* A lower bound on the bins of capacity cap that hold n items of integral
 * weights w: the column-generation LP's ceiling, or Farley's bound when
 * max_lp master LPs (0: no limit) end it first. 0 when an item exceeds
 * cap or GLPK fails. Deterministic; the pricing table is n * (cap + 1)
 * bytes. */
int rp_pack_lp_bound(int n, const long *w, long cap, long max_lp);

#endif

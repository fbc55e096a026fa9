/* test_pack.c - the vector-packing kernel: its lower bound, and bin-count
 * reduction that stays feasible, honours bins that stay open and items
 * kept out of bins (even when that costs a bin), and reaches the optimum
 * of instances built to have one; and one-dimensional packing by column
 * generation (rp_pack_cg): its bound, its optimum, items kept in place,
 * work and time limits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "pack.h"
#include "solver_int.h"
#include "testutil.h"

/* Every item in a bin, every bin within capacity in every dimension. */
static void assert_feasible(const rp_pack *p)
{
    double *sum = calloc((size_t)p->nb * (size_t)p->d, sizeof(double));
    for (int i = 0; i < p->n; i++) {
        ck_assert_int_ge(p->at[i], 0);
        ck_assert_int_lt(p->at[i], p->nb);
        for (int x = 0; x < p->d; x++)
            sum[p->at[i] * p->d + x] += p->w[i * p->d + x];
    }
    for (int b = 0; b < p->nb; b++)
        for (int x = 0; x < p->d; x++)
            ck_assert_msg(sum[b * p->d + x] <= p->cap[b * p->d + x] + 1e-9,
                          "bin %d dim %d: %g > %g", b, x, sum[b * p->d + x], p->cap[b * p->d + x]);
    free(sum);
}

static int bins_used(const rp_pack *p)
{
    int *seen = calloc((size_t)p->nb, sizeof(int)), u = 0;
    for (int i = 0; i < p->n; i++)
        u += !seen[p->at[i]]++;
    free(seen);
    return u;
}

START_TEST(bound_l2_beats_continuous)
{
    /* Three items of 6 in bins of 10: 1.8 bins by volume, but no two share
     * a bin, so 3. */
    float w[] = {6, 6, 6};
    double cap[] = {10, 10, 10};
    int at[] = {0, 1, 2};
    rp_pack p = {3, 1, 3, w, cap, at, NULL, NULL, NULL, false};
    ck_assert_int_eq(rp_pack_bound(&p), 3);
    /* Mixed sizes: 7,7,3,3,3 in 10: two bins hold 7+3, one holds 3. */
    float w2[] = {7, 7, 3, 3, 3};
    double cap2[] = {10, 10, 10, 10, 10};
    int at2[] = {0, 1, 2, 3, 4};
    rp_pack p2 = {5, 1, 5, w2, cap2, at2, NULL, NULL, NULL, false};
    ck_assert_int_eq(rp_pack_bound(&p2), 3);
}
END_TEST

START_TEST(bound_unequal_capacities_is_continuous)
{
    float w[] = {6, 6, 6};
    double cap[] = {10, 20, 10};
    int at[] = {0, 1, 2};
    rp_pack p = {3, 1, 3, w, cap, at, NULL, NULL, NULL, false};
    ck_assert_int_eq(rp_pack_bound(&p), 1); /* 18 / 20, rounded up */
}
END_TEST

/* Triplets: nt bins of capacity 1000, each filled exactly by three items
 * (the structure of Falkenauer's T class); every item starts alone. */
static rp_pack triplets(int nt, uint64_t seed, float **w, double **cap, int **at)
{
    int n = 3 * nt;
    *w = malloc((size_t)n * sizeof(float));
    *cap = malloc((size_t)n * sizeof(double));
    *at = malloc((size_t)n * sizeof(int));
    uint64_t s = seed;
    for (int t = 0; t < nt; t++) {
        int a = 250 + (int)(rp__rng_next(&s) % 240), b = 250 + (int)(rp__rng_next(&s) % 240);
        (*w)[3 * t] = (float)a;
        (*w)[3 * t + 1] = (float)b;
        (*w)[3 * t + 2] = (float)(1000 - a - b);
    }
    for (int i = 0; i < n; i++) {
        (*cap)[i] = 1000;
        (*at)[i] = i;
    }
    return (rp_pack){n, 1, n, *w, *cap, *at, NULL, NULL, NULL, false};
}

START_TEST(reduce_reaches_exact_fill)
{
    float *w;
    double *cap;
    int *at;
    rp_pack p = triplets(20, 42, &w, &cap, &at);
    uint64_t rng = 7;
    ck_assert_int_eq(rp_pack_bound(&p), 20);
    /* A deadline already past: the start comes back unchanged and the
     * result is marked as cut by the clock. */
    int start[60];
    memcpy(start, at, sizeof start);
    ck_assert_int_eq(rp_pack_reduce(&p, 20, rp__now_seconds() - 1, 50, &rng), 60);
    ck_assert_int_eq(memcmp(at, start, sizeof start), 0);
    ck_assert(p.timed_out);
    int used = rp_pack_reduce(&p, 20, rp__now_seconds() + 60, 50, &rng);
    assert_feasible(&p);
    ck_assert_int_eq(used, bins_used(&p));
    ck_assert_int_eq(used, 20);
    ck_assert(!p.timed_out); /* ended at the bound, not by the clock */
    free(w), free(cap), free(at);
}
END_TEST

START_TEST(reduce_never_worse_than_start)
{
    /* Already optimal: two bins, nothing to gain. */
    float w[] = {6, 6, 4, 4};
    double cap[] = {10, 10, 10, 10};
    int at[] = {0, 1, 0, 1};
    rp_pack p = {4, 1, 4, w, cap, at, NULL, NULL, NULL, false};
    uint64_t rng = 1;
    ck_assert_int_eq(rp_pack_reduce(&p, 1, rp__now_seconds() + 5, 5, &rng), 2);
    assert_feasible(&p);
    ck_assert_int_eq(bins_used(&p), 2);
}
END_TEST

START_TEST(reduce_respects_stays)
{
    /* Six items of 5 in bins of 10: three bins suffice. Bin 2 stays open
     * (its fixed load is outside the kernel). */
    float w[] = {5, 5, 5, 5, 5, 5};
    double cap[] = {10, 10, 10, 10, 10, 10};
    int at[] = {1, 1, 3, 3, 4, 5};
    bool stays[] = {false, false, true, false, false, false};
    rp_pack p = {6, 1, 6, w, cap, at, stays, NULL, NULL, false};
    uint64_t rng = 3;
    int used = rp_pack_reduce(&p, 3, rp__now_seconds() + 5, 20, &rng);
    assert_feasible(&p);
    ck_assert_int_eq(used, 3); /* bin 2 counts, even if it ends empty */
    int in2 = 0;
    for (int i = 0; i < 6; i++)
        in2 += p.at[i] == 2;
    ck_assert_int_eq(used, bins_used(&p) + (in2 == 0));
}
END_TEST

static bool not_bin0(void *ctx, int item, int bin)
{
    (void)ctx;
    return !(item == 0 && bin == 0);
}

START_TEST(reduce_respects_may)
{
    /* Bin 0 holds 10, bins 1-3 hold 7. Item 0 (3) is alone in bin 1 and
     * three 7s fill bins 0, 2 and 3. Three bins suffice only by putting
     * item 0 beside the 7 in bin 0, the one bin with room for it. */
    float w[] = {3, 7, 7, 7};
    double cap[] = {10, 7, 7, 7};
    int at[] = {1, 0, 2, 3};
    rp_pack p = {4, 1, 4, w, cap, at, NULL, NULL, NULL, false};
    uint64_t rng = 3;
    ck_assert_int_eq(rp_pack_bound(&p), 3);
    /* Unrestricted, the search finds that placement. */
    ck_assert_int_eq(rp_pack_reduce(&p, 3, rp__now_seconds() + 5, 20, &rng), 3);
    assert_feasible(&p);
    ck_assert_int_eq(p.at[0], 0);
    /* With item 0 kept out of bin 0, no bin can be freed. */
    int start[] = {1, 0, 2, 3};
    memcpy(at, start, sizeof start);
    p.may = not_bin0;
    int used = rp_pack_reduce(&p, 3, rp__now_seconds() + 5, 20, &rng);
    assert_feasible(&p);
    ck_assert_int_ne(p.at[0], 0);
    ck_assert_int_eq(used, 4);
    ck_assert_int_eq(bins_used(&p), 4);
}
END_TEST

/* Pairs that fill (10, 10) exactly, in opposite proportions -- (7,3) +
 * (3,7), (6,4) + (4,6), (5,5) + (5,5) -- each alone in one of six bins:
 * packing by one dimension alone overflows the other. */
static rp_pack opposite_pairs(float w[12], double cap[12], int at[6])
{
    static const float pairs[12] = {7, 3, 3, 7, 6, 4, 4, 6, 5, 5, 5, 5};
    memcpy(w, pairs, sizeof pairs);
    for (int b = 0; b < 6; b++) {
        cap[2 * b] = cap[2 * b + 1] = 10;
        at[b] = b;
    }
    return (rp_pack){6, 2, 6, w, cap, at, NULL, NULL, NULL, false};
}

START_TEST(reduce_two_dimensions)
{
    float w[12];
    double cap[12];
    int at[6];
    rp_pack p = opposite_pairs(w, cap, at);
    uint64_t rng = 5;
    int used = rp_pack_reduce(&p, rp_pack_bound(&p), rp__now_seconds() + 5, 20, &rng);
    assert_feasible(&p);
    ck_assert_int_eq(used, 3);
    ck_assert_int_eq(p.at[0], p.at[1]); /* (7,3) + (3,7) */
    ck_assert_int_eq(p.at[2], p.at[3]); /* (6,4) + (4,6) */
}
END_TEST

START_TEST(reduce_uniform_items_stays_feasible)
{
    /* Falkenauer-U-like: weights 20..100 in bins of 150, every item alone
     * at the start. Whatever the search does, the result must fit. */
    for (uint64_t seed = 1; seed <= 5; seed++) {
        int n = 300;
        float *w = malloc((size_t)n * sizeof(float));
        double *cap = malloc((size_t)n * sizeof(double));
        int *at = malloc((size_t)n * sizeof(int));
        uint64_t s = seed;
        for (int i = 0; i < n; i++) {
            w[i] = (float)(20 + rp__rng_next(&s) % 81);
            cap[i] = 150;
            at[i] = i;
        }
        rp_pack p = {n, 1, n, w, cap, at, NULL, NULL, NULL, false};
        uint64_t rng = seed;
        int floor = rp_pack_bound(&p);
        int used = rp_pack_reduce(&p, floor, rp__now_seconds() + 2, 30, &rng);
        assert_feasible(&p);
        ck_assert_int_eq(used, bins_used(&p));
        ck_assert_int_ge(used, floor);
        ck_assert_int_lt(used, n / 2);
        free(w), free(cap), free(at);
    }
}
END_TEST

/* rp_pack_cg on an rp_pack of integral weights and identical bins. */
static int run_cg(rp_pack *p, int floor, long max_lp, double deadline, rp_cg_info *ci)
{
    long *w = malloc((size_t)p->n * (size_t)p->d * sizeof(long)), cap[2];
    for (int k = 0; k < p->n * p->d; k++)
        w[k] = (long)p->w[k];
    for (int x = 0; x < p->d; x++)
        cap[x] = (long)p->cap[x];
    int used = rp_pack_cg(p->n, p->d, w, cap, p->at, floor, max_lp, deadline, ci);
    free(w);
    return used;
}

START_TEST(cg_reaches_exact_fill)
{
    float *w;
    double *cap;
    int *at;
    rp_pack p = triplets(20, 42, &w, &cap, &at);
    rp_cg_info ci;
    int used = run_cg(&p, 0, 0, rp__now_seconds() + 60, &ci);
    assert_feasible(&p);
    ck_assert_int_eq(used, 20);
    ck_assert_int_eq(ci.bins, 20);
    ck_assert_int_eq(bins_used(&p), 20);
    ck_assert_int_eq(ci.root_bound, 20); /* every bin exactly full */
    ck_assert(!ci.timed_out && !ci.failed);
    ck_assert_int_gt(ci.columns, 60); /* the start's 60 bins, then priced ones */
    free(w), free(cap), free(at);
}
END_TEST

START_TEST(cg_bound_beats_volume)
{
    /* Three items of 6 in bins of 10: 1.8 by volume, and the LP knows no
     * pattern holds two, so its bound is 3 and the start stays. */
    float w[] = {6, 6, 6};
    double cap[] = {10, 10, 10};
    int at[] = {2, 0, 1};
    rp_pack p = {3, 1, 3, w, cap, at, NULL, NULL, NULL, false};
    rp_cg_info ci;
    ck_assert_int_eq(run_cg(&p, 0, 0, rp__now_seconds() + 10, &ci), 3);
    ck_assert_int_eq(ci.root_bound, 3);
    ck_assert_int_eq(at[0], 2);
    ck_assert_int_eq(at[1], 0);
    ck_assert_int_eq(at[2], 1);
}
END_TEST

START_TEST(cg_keeps_items_in_place)
{
    /* Bins 2 and 3 are full (6 + 4); the two 5s alone in bins 0 and 1 go
     * together. The full bins keep their numbers and their items. An item
     * of weight 0 (bin 1) ends in a bin that is still in use. */
    float w[] = {6, 4, 6, 4, 5, 5, 0};
    double cap[] = {10, 10, 10, 10, 10, 10, 10};
    int at[] = {2, 2, 3, 3, 0, 1, 1};
    rp_pack p = {7, 1, 7, w, cap, at, NULL, NULL, NULL, false};
    rp_cg_info ci;
    ck_assert_int_eq(run_cg(&p, 0, 0, rp__now_seconds() + 10, &ci), 3);
    assert_feasible(&p);
    ck_assert_int_eq(bins_used(&p), 3);
    ck_assert_int_eq(at[0], 2);
    ck_assert_int_eq(at[1], 2);
    ck_assert_int_eq(at[2], 3);
    ck_assert_int_eq(at[3], 3);
    ck_assert_int_eq(at[4], at[5]);
    ck_assert(at[4] == 0 || at[4] == 1);
}
END_TEST

START_TEST(cg_new_bin_keeps_majority_label)
{
    /* The only packing in two bins is {4, 4, 2} and {5, 5}. The first
     * shares two items with bin 0 and one with bin 1, so it is bin 0: the
     * 2 moves, the 4s stay. */
    float w[] = {4, 4, 2, 5, 5};
    double cap[] = {10, 10, 10, 10, 10};
    int at[] = {0, 0, 1, 2, 3};
    rp_pack p = {5, 1, 5, w, cap, at, NULL, NULL, NULL, false};
    rp_cg_info ci;
    ck_assert_int_eq(run_cg(&p, 0, 0, rp__now_seconds() + 10, &ci), 2);
    assert_feasible(&p);
    ck_assert_int_eq(at[0], 0);
    ck_assert_int_eq(at[1], 0);
    ck_assert_int_eq(at[2], 0);
    ck_assert_int_eq(at[3], at[4]);
    ck_assert(at[3] == 2 || at[3] == 3);
}
END_TEST

START_TEST(cg_two_dimensions)
{
    /* Three bins, and the LP proves it. */
    float w[12];
    double cap[12];
    int at[6];
    rp_pack p = opposite_pairs(w, cap, at);
    rp_cg_info ci;
    ck_assert_int_eq(run_cg(&p, 0, 0, rp__now_seconds() + 10, &ci), 3);
    assert_feasible(&p);
    ck_assert_int_eq(bins_used(&p), 3);
    ck_assert_int_eq(ci.root_bound, 3);
    ck_assert_int_eq(p.at[0], p.at[1]); /* (7,3) + (3,7) */
    ck_assert_int_eq(p.at[2], p.at[3]); /* (6,4) + (4,6) */
    ck_assert_int_eq(p.at[4], p.at[5]);
}
END_TEST

START_TEST(lp_bound_counts)
{
    /* Five items of 35 in bins of 100: L2 says 2, the LP 5 / 2 -> 3. */
    long five[] = {35, 35, 35, 35, 35};
    double v[] = {35, 35, 35, 35, 35};
    ck_assert_int_eq(rp_l2_bound(v, 5, 100), 2);
    ck_assert_int_eq(rp_pack_lp_bound(5, five, 100, 0), 3);
    /* Exactly full triplets: 20. */
    float *w;
    double *cap;
    int *at;
    triplets(20, 42, &w, &cap, &at);
    long lw[60];
    for (int i = 0; i < 60; i++)
        lw[i] = (long)w[i];
    ck_assert_int_eq(rp_pack_lp_bound(60, lw, 1000, 0), 20);
    /* One LP from the first-fit start: Farley's bound, never above 20. */
    int early = rp_pack_lp_bound(60, lw, 1000, 1);
    ck_assert_int_le(early, 20);
    ck_assert_int_ge(early, 1);
    /* Weight 0 counts for nothing; an item above the capacity gives 0. */
    long zero[] = {35, 0, 35, 35};
    ck_assert_int_eq(rp_pack_lp_bound(4, zero, 100, 0), 2);
    long big[] = {35, 101};
    ck_assert_int_eq(rp_pack_lp_bound(2, big, 100, 0), 0);
    ck_assert_int_eq(rp_pack_lp_bound(0, big, 100, 0), 0);
    free(w), free(cap), free(at);
}
END_TEST

START_TEST(cg_limits)
{
    float *w;
    double *cap;
    int *at;
    rp_pack p = triplets(30, 7, &w, &cap, &at);
    int *start = malloc(90 * sizeof(int)), *first = malloc(90 * sizeof(int));
    memcpy(start, at, 90 * sizeof(int));
    /* A work limit of 4 LP solves ends the search the same way twice, and
     * not by the clock. */
    rp_cg_info a, b;
    int used = run_cg(&p, 0, 4, rp__now_seconds() + 60, &a);
    assert_feasible(&p);
    ck_assert_int_eq(used, bins_used(&p));
    ck_assert_int_eq(a.lp_solves, 4);
    ck_assert(!a.timed_out);
    memcpy(first, at, 90 * sizeof(int));
    memcpy(at, start, 90 * sizeof(int));
    ck_assert_int_eq(run_cg(&p, 0, 4, rp__now_seconds() + 60, &b), used);
    ck_assert_int_eq(memcmp(first, at, 90 * sizeof(int)), 0);
    /* A deadline already past: one LP, then the clock ends it, marked. */
    memcpy(at, start, 90 * sizeof(int));
    used = run_cg(&p, 0, 0, rp__now_seconds() - 1, &a);
    ck_assert(a.timed_out);
    ck_assert_int_eq(a.lp_solves, 1);
    assert_feasible(&p);
    ck_assert_int_le(used, 90);
    free(w), free(cap), free(at), free(start), free(first);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pack");
    TCase *tc = tcase_create("pack");
    tcase_add_test(tc, bound_l2_beats_continuous);
    tcase_add_test(tc, bound_unequal_capacities_is_continuous);
    tcase_add_test(tc, reduce_reaches_exact_fill);
    tcase_add_test(tc, reduce_never_worse_than_start);
    tcase_add_test(tc, reduce_respects_stays);
    tcase_add_test(tc, reduce_respects_may);
    tcase_add_test(tc, reduce_two_dimensions);
    tcase_add_test(tc, reduce_uniform_items_stays_feasible);
    tcase_add_test(tc, cg_reaches_exact_fill);
    tcase_add_test(tc, cg_bound_beats_volume);
    tcase_add_test(tc, cg_keeps_items_in_place);
    tcase_add_test(tc, cg_new_bin_keeps_majority_label);
    tcase_add_test(tc, cg_two_dimensions);
    tcase_add_test(tc, lp_bound_counts);
    tcase_add_test(tc, cg_limits);
    suite_add_tcase(s, tc);
    return rp_test_run(s);
}

/* test_capacity.c - the capacity and cost model (capacity.h, SPEC §3-4).
 *
 * Fleets are built by hand (tf_new) so these tests do not depend on the
 * loaders. The test catalog, with every headroom 0.5 unless a test says
 * otherwise, gives these effective limits:
 *   pools (by price)  P2: dbc 1, dbs 50, max_dbs 3, per_db_max 0.5, $100
 *                     P4: dbc 2, dbs 100, max_dbs 10, per_db_max 2, $200
 *                     P8: dbc 4, dbs 200, max_dbs 20, per_db_max 3, $400
 *   single dbs        D1: dbc 0.5, dbs 25, $50;  D2: 1/50, $100;  D4: 2/100, $200
 *   node VM V4        cpu 2, memory 8 per node, $100; template: min 2, max 10
 *                     nodes, 4 pods per node, fixed $73
 *   shared storage    500 GiB, 500 IOPS, $0.1/GiB
 *   premium share     min 100, max 1000 GiB, IOPS (400 + g) * 0.5, $0.2/GiB
 *   max_instances_per_reef 50. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "capacity.h"
#include "testutil.h"

static const uint8_t ALL_SHARED[RP_NTIERS] = {RP_SHARED, RP_SHARED, RP_SHARED};
static const uint8_t ALL_DED[RP_NTIERS] = {RP_DEDICATED, RP_DEDICATED, RP_DEDICATED};

static rp_catalog *tf_catalog(void)
{
    rp_catalog *c = rp_xcalloc(1, sizeof *c);
    c->ntemplates = 1;
    c->templates = rp_xcalloc(1, sizeof *c->templates);
    c->templates[0] = (rp_template){"std", 73.0, 0, 2, 10, 4, 0, 1};
    c->npools = 3;
    c->pools = rp_xcalloc(3, sizeof *c->pools);
    c->pools[0] = (rp_pool_sku){"P2", 2, 100, 0.5, 100, 3};
    c->pools[1] = (rp_pool_sku){"P4", 4, 200, 2, 200, 10};
    c->pools[2] = (rp_pool_sku){"P8", 8, 400, 3, 400, 20};
    c->ndbs = 3;
    c->dbs = rp_xcalloc(3, sizeof *c->dbs);
    c->dbs[0] = (rp_db_sku){"D1", 1, 50, 50};
    c->dbs[1] = (rp_db_sku){"D2", 2, 100, 100};
    c->dbs[2] = (rp_db_sku){"D4", 4, 200, 200};
    c->nvms = 1;
    c->vms = rp_xcalloc(1, sizeof *c->vms);
    c->vms[0] = (rp_vm_sku){"V4", 4, 16, 100};
    c->nstorage = 2;
    c->storage = rp_xcalloc(2, sizeof *c->storage);
    c->storage[0] = (rp_storage_sku){"shared", false, 0, 1000, 1000, 0, 0, 0.1};
    c->storage[1] = (rp_storage_sku){"prem", true, 100, 1000, 0, 400, 1, 0.2};
    return c;
}

/* A fleet of ninst instances (all loads 0, unplaced) and nreefs reefs
 * (template 0, pool P2, 2 nodes) over S slots. */
static rp_fleet *tf_new(int S, size_t ninst, size_t nreefs)
{
    rp_fleet *f = rp_xcalloc(1, sizeof *f);
    f->cat = tf_catalog();
    f->set.slots = S;
    for (int m = 0; m < RP_NMETRICS; m++)
        f->set.headroom[m] = 0.5;
    f->set.max_instances_per_reef = 50;
    f->ninst = ninst;
    f->inst = rp_xcalloc(ninst, sizeof *f->inst);
    for (size_t i = 0; i < ninst; i++) {
        f->inst[i].reef = -1;
        f->inst[i].group = -1;
    }
    f->prof = rp_xcalloc(ninst * RP_NMETRICS * (size_t)S, sizeof(float));
    f->peak = rp_xcalloc(ninst * RP_NMETRICS, sizeof(float));
    f->nreefs = nreefs;
    f->reefs = rp_xcalloc(nreefs, sizeof *f->reefs);
    for (size_t r = 0; r < nreefs; r++)
        f->reefs[r] = (rp_reef){"r", 0, 0, RP_REEF_ACTIVE, 0, 2};
    return f;
}

static void tf_free(rp_fleet *f)
{
    rp_catalog *c = f->cat;
    free(c->templates);
    free(c->pools);
    free(c->dbs);
    free(c->vms);
    free(c->storage);
    free(c);
    free(f->inst);
    free(f->prof);
    free(f->peak);
    free(f->reefs);
    free(f);
}

static void tf_peaks(rp_fleet *f)
{
    for (size_t i = 0; i < f->ninst; i++)
        for (int m = 0; m < RP_NMETRICS; m++) {
            const float *p = rp_fleet_profile(f, i, m);
            float best = p[0];
            for (int t = 1; t < f->set.slots; t++)
                best = p[t] > best ? p[t] : best;
            f->peak[i * RP_NMETRICS + (size_t)m] = best;
        }
}

/* Sets every slot of instance i, metric m to v (then peaks are refreshed). */
static void tf_flat(rp_fleet *f, size_t i, int m, float v)
{
    float *p = (float *)rp_fleet_profile(f, i, m);
    for (int t = 0; t < f->set.slots; t++)
        p[t] = v;
    tf_peaks(f);
}

static void tf_at(rp_fleet *f, size_t i, int m, int slot, float v)
{
    ((float *)rp_fleet_profile(f, i, m))[slot] = v;
    tf_peaks(f);
}

/* Deterministic pseudo-random profile values in [0, scale) on a 1/64 grid. */
static unsigned tf_seed = 12345u;
static float tf_rand(float scale)
{
    tf_seed = tf_seed * 1103515245u + 12345u;
    return (float)((tf_seed >> 8) % 640u) / 640.0f * scale;
}

static void tf_random(rp_fleet *f, size_t i)
{
    static const float scale[RP_NMETRICS] = {0.3f, 10, 0.7f, 3, 40, 60};
    for (int m = 0; m < RP_NMETRICS; m++) {
        float *p = (float *)rp_fleet_profile(f, i, m);
        for (int t = 0; t < f->set.slots; t++)
            p[t] = tf_rand(scale[m]);
    }
    tf_peaks(f);
}

/* Adds instance i with the given tiers, dedicated sizes filled. */
static void tf_add(rp_reef_use *u, const rp_fleet *f, size_t i, const uint8_t tier[RP_NTIERS],
                   int sign)
{
    rp_ded d;
    rp_ded_fill(f, i, 0, tier, &d);
    rp_use_add(u, f, i, 0, tier, &d, sign);
}

static void assert_use_eq(const rp_reef_use *a, const rp_reef_use *b, const rp_fleet *f)
{
    ck_assert_int_eq(a->n, b->n);
    for (int k = 0; k < RP_NTIERS; k++)
        ck_assert_int_eq(a->n_shared[k], b->n_shared[k]);
    for (int m = 0; m < RP_NMETRICS; m++) {
        ck_assert(a->peak[m] == b->peak[m]);
        ck_assert_int_eq(a->peak_slot[m], b->peak_slot[m]);
    }
    ck_assert_mem_eq(a->sum, b->sum, sizeof(double) * RP_NMETRICS * (size_t)a->slots);
    ck_assert_mem_eq(a->over_per_db, b->over_per_db, sizeof(int) * f->cat->npools);
    ck_assert(a->share_gb_peaks == b->share_gb_peaks);
    ck_assert_int_eq(a->ded_nodes, b->ded_nodes);
    ck_assert_double_eq_tol(a->ded_cost, b->ded_cost, 1e-9);
}

/* ---- comparison --------------------------------------------------------- */

START_TEST(test_fits_slack)
{
    ck_assert(rp_fits(1.0, 1.0));
    ck_assert(rp_fits(1.0 + 0.5 * RP_EPS, 1.0));
    ck_assert(!rp_fits(1.0 + 10 * RP_EPS, 1.0));
    ck_assert(rp_fits(0.5 * RP_EPS, 0.0));
    ck_assert(!rp_fits(2 * RP_EPS, 0.0));
    ck_assert(rp_fits(1e6 + 0.5 * RP_EPS * 1e6, 1e6)); /* relative above 1 */
    ck_assert(!rp_fits(1e6 + 2 * RP_EPS * 1e6, 1e6));
    ck_assert(rp_fits(0.7 * 2, 1.4));
    ck_assert_int_eq(rp_metric_tier[RP_M_DB_STORAGE], RP_TIER_DB);
    ck_assert_int_eq(rp_metric_tier[RP_M_MEMORY], RP_TIER_COMPUTE);
    ck_assert_int_eq(rp_metric_tier[RP_M_SHARE_IOPS], RP_TIER_STORAGE);
}
END_TEST

/* ---- rule 8: dedicated sizes ----------------------------------------------- */

START_TEST(test_ded_db_sizes)
{
    rp_fleet *f = tf_new(24, 1, 0);
    ck_assert_int_eq(rp_size_ded_db(f, 0), 0); /* nothing -> cheapest */
    tf_flat(f, 0, RP_M_DB_COMPUTE, 0.5f);
    ck_assert_int_eq(rp_size_ded_db(f, 0), 0); /* exactly at D1's 0.5 */
    tf_at(f, 0, RP_M_DB_COMPUTE, 7, 0.625f);
    ck_assert_int_eq(rp_size_ded_db(f, 0), 1); /* one slot decides */
    tf_flat(f, 0, RP_M_DB_COMPUTE, 0.25f);
    tf_flat(f, 0, RP_M_DB_STORAGE, 25);
    ck_assert_int_eq(rp_size_ded_db(f, 0), 0);
    tf_flat(f, 0, RP_M_DB_STORAGE, 26);
    ck_assert_int_eq(rp_size_ded_db(f, 0), 1); /* storage-driven */
    tf_flat(f, 0, RP_M_DB_STORAGE, 100);
    ck_assert_int_eq(rp_size_ded_db(f, 0), 2);
    tf_flat(f, 0, RP_M_DB_COMPUTE, 2.5f);
    ck_assert_int_eq(rp_size_ded_db(f, 0), -1);
    tf_free(f);
}
END_TEST

START_TEST(test_ded_db_cheapest_not_first_fit_by_size)
{
    /* dbs are sorted by price: the cheapest that fits wins even if a
     * bigger one comes first in size order. */
    rp_fleet *f = tf_new(24, 1, 0);
    f->cat->dbs[0] = (rp_db_sku){"BIGCHEAP", 8, 400, 10};
    tf_flat(f, 0, RP_M_DB_COMPUTE, 1.5f);
    ck_assert_int_eq(rp_size_ded_db(f, 0), 0);
    tf_free(f);
}
END_TEST

START_TEST(test_ded_node_sizes)
{
    rp_fleet *f = tf_new(24, 1, 0);
    ck_assert_int_eq(rp_size_ded_nodes(f, 0, 0), 1); /* at least one node */
    tf_flat(f, 0, RP_M_CPU, 2);
    ck_assert_int_eq(rp_size_ded_nodes(f, 0, 0), 1); /* exactly at 2 */
    tf_at(f, 0, RP_M_CPU, 3, 2.5f);
    ck_assert_int_eq(rp_size_ded_nodes(f, 0, 0), 2);
    tf_flat(f, 0, RP_M_MEMORY, 17);
    ck_assert_int_eq(rp_size_ded_nodes(f, 0, 0), 3); /* memory-driven: 17/8 */
    tf_flat(f, 0, RP_M_MEMORY, 0);
    tf_flat(f, 0, RP_M_CPU, 20);
    ck_assert_int_eq(rp_size_ded_nodes(f, 0, 0), 10); /* exactly max_nodes */
    tf_flat(f, 0, RP_M_CPU, 20.5f);
    ck_assert_int_eq(rp_size_ded_nodes(f, 0, 0), -1);
    tf_flat(f, 0, RP_M_CPU, 1e30f);
    ck_assert_int_eq(rp_size_ded_nodes(f, 0, 0), -1); /* no int overflow */
    tf_free(f);
}
END_TEST

START_TEST(test_nodes_inexact_headroom)
{
    /* 7.82 * 0.7 is not exact in binary: a peak equal to 3 nodes' worth,
     * computed as the check computes it, needs exactly 3 nodes, not 4. */
    rp_fleet *f = tf_new(24, 0, 0);
    f->cat->vms[0].alloc_cpu = 7.82;
    f->set.headroom[RP_M_CPU] = 0.3;
    double peak[RP_NMETRICS] = {0, 0, 3 * 7.82 * (1 - 0.3), 0, 0, 0};
    int ns[RP_NTIERS] = {1, 1, 1};
    int pool, nodes;
    ck_assert_int_eq(rp_size_for(f, 0, peak, ns, 1, 0, NULL, 0, &pool, &nodes, NULL), 0);
    ck_assert_int_eq(nodes, 3);
    peak[RP_M_CPU] *= 1 + 1e-12; /* within the slack */
    ck_assert_int_eq(rp_size_for(f, 0, peak, ns, 1, 0, NULL, 0, &pool, &nodes, NULL), 0);
    ck_assert_int_eq(nodes, 3);
    peak[RP_M_CPU] *= 1 + 10 * RP_EPS;
    ck_assert_int_eq(rp_size_for(f, 0, peak, ns, 1, 0, NULL, 0, &pool, &nodes, NULL), 0);
    ck_assert_int_eq(nodes, 4);
    peak[RP_M_CPU] = 2 * 7.82 * 0.7 * (1 - 1e-12); /* just below 2 nodes: min_nodes 2 */
    ck_assert_int_eq(rp_size_for(f, 0, peak, ns, 1, 0, NULL, 0, &pool, &nodes, NULL), 0);
    ck_assert_int_eq(nodes, 2);
    tf_free(f);
}
END_TEST

START_TEST(test_ded_share_sizes)
{
    rp_fleet *f = tf_new(24, 1, 0);
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), 100); /* min_gb */
    tf_flat(f, 0, RP_M_SHARE_GB, 50);
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), 100); /* exactly min */
    tf_flat(f, 0, RP_M_SHARE_GB, 50.5f);
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), 101);
    tf_flat(f, 0, RP_M_SHARE_GB, 60);
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), 120);
    tf_flat(f, 0, RP_M_SHARE_GB, 500);
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), 1000); /* exactly max */
    tf_flat(f, 0, RP_M_SHARE_GB, 500.5f);
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), -1);
    tf_free(f);
}
END_TEST

START_TEST(test_ded_share_iops_driven)
{
    rp_fleet *f = tf_new(24, 1, 0);
    tf_flat(f, 0, RP_M_SHARE_GB, 10);
    tf_flat(f, 0, RP_M_SHARE_IOPS, 250); /* base alone: (400+100)*0.5 = 250 */
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), 100);
    tf_flat(f, 0, RP_M_SHARE_IOPS, 300); /* (400+g)*0.5 >= 300 -> g = 200 */
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), 200);
    tf_flat(f, 0, RP_M_SHARE_IOPS, 300.25f); /* g >= 200.5 */
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), 201);
    tf_flat(f, 0, RP_M_SHARE_GB, 150); /* gb needs 300, iops 201: max */
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), 300);
    tf_flat(f, 0, RP_M_SHARE_IOPS, 700); /* g = 1000 exactly */
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), 1000);
    tf_flat(f, 0, RP_M_SHARE_IOPS, 700.5f);
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), -1);
    /* no IOPS growth: only the base can serve */
    f->cat->storage[1].iops_per_gb = 0;
    tf_flat(f, 0, RP_M_SHARE_IOPS, 200);
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), 300);
    tf_flat(f, 0, RP_M_SHARE_IOPS, 201);
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), -1);
    tf_free(f);
}
END_TEST

START_TEST(test_ded_share_ceil_epsilon)
{
    /* h = 0.1: 9/0.9 and 27/0.9 are not exact in binary; the whole-GiB
     * answer must still be 10 and 30, not 11 and 31. */
    rp_fleet *f = tf_new(24, 1, 0);
    f->cat->storage[1].min_gb = 1;
    f->set.headroom[RP_M_SHARE_GB] = 0.1;
    tf_flat(f, 0, RP_M_SHARE_GB, 9);
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), 10);
    tf_flat(f, 0, RP_M_SHARE_GB, 27);
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), 30);
    tf_flat(f, 0, RP_M_SHARE_GB, 0);
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), 1); /* whole GiB, at least 1 */
    f->cat->storage[1].min_gb = 99.5;                /* fractional min rounds up */
    ck_assert_int_eq(rp_size_ded_share(f, 0, 0), 100);
    tf_free(f);
}
END_TEST

START_TEST(test_ded_fill_price_cost)
{
    rp_fleet *f = tf_new(24, 1, 0);
    tf_flat(f, 0, RP_M_DB_COMPUTE, 0.75f); /* D2 $100 */
    tf_flat(f, 0, RP_M_CPU, 3);            /* 2 nodes, $200 */
    tf_flat(f, 0, RP_M_SHARE_GB, 60);      /* 120 GiB, $24 */
    rp_ded d;
    ck_assert_int_eq(rp_ded_fill(f, 0, 0, ALL_DED, &d), -1);
    ck_assert_int_eq(d.db_sku, 1);
    ck_assert_int_eq(d.nodes, 2);
    ck_assert_int_eq(d.share_gb, 120);
    ck_assert_double_eq_tol(rp_ded_price(f, RP_TIER_DB, 0, 1), 100, 1e-9);
    ck_assert_double_eq_tol(rp_ded_price(f, RP_TIER_COMPUTE, 0, 2), 200, 1e-9);
    ck_assert_double_eq_tol(rp_ded_price(f, RP_TIER_STORAGE, 0, 120), 24, 1e-9);
    ck_assert_double_eq_tol(rp_ded_cost(f, 0, ALL_DED, &d), 324, 1e-9);
    /* only dedicated tiers are priced and sized */
    uint8_t only_db[RP_NTIERS] = {RP_DEDICATED, RP_SHARED, RP_SHARED};
    ck_assert_double_eq_tol(rp_ded_cost(f, 0, only_db, &d), 100, 1e-9);
    ck_assert_double_eq(rp_ded_cost(f, 0, ALL_DED, NULL), 0);
    ck_assert_int_eq(rp_ded_fill(f, 0, 0, only_db, &d), -1);
    ck_assert_int_eq(d.db_sku, 1);
    ck_assert_int_eq(d.nodes, 0);
    ck_assert_int_eq(d.share_gb, 0);
    ck_assert_int_eq(rp_ded_fill(f, 0, 0, ALL_SHARED, &d), -1);
    ck_assert_int_eq(d.db_sku, -1);
    tf_free(f);
}
END_TEST

START_TEST(test_ded_fill_unsizable)
{
    rp_fleet *f = tf_new(24, 1, 0);
    tf_flat(f, 0, RP_M_DB_COMPUTE, 3); /* beyond D4 (2) */
    tf_flat(f, 0, RP_M_CPU, 3);
    tf_flat(f, 0, RP_M_SHARE_GB, 600); /* beyond 1000 GiB */
    rp_ded d;
    ck_assert_int_eq(rp_ded_fill(f, 0, 0, ALL_DED, &d), RP_TIER_DB);
    ck_assert_int_eq(d.db_sku, -1);
    ck_assert_int_eq(d.nodes, 2); /* the other tiers are still sized */
    ck_assert_int_eq(d.share_gb, 0);
    ck_assert_int_eq(rp_ded_fill_or_largest(f, 0, 0, ALL_DED, &d), RP_TIER_DB);
    ck_assert_int_eq(d.db_sku, 2);
    ck_assert_int_eq(d.nodes, 2);
    ck_assert_int_eq(d.share_gb, 1000);
    ck_assert_double_eq_tol(rp_ded_cost(f, 0, ALL_DED, &d), 200 + 200 + 200, 1e-9);
    tf_flat(f, 0, RP_M_CPU, 21);
    ck_assert_int_eq(rp_ded_fill_or_largest(f, 0, 0, ALL_DED, &d), RP_TIER_DB);
    ck_assert_int_eq(d.nodes, 10); /* max_nodes */
    tf_free(f);
}
END_TEST

/* ---- rp_reef_use -------------------------------------------------------- */

START_TEST(test_use_sums_route_by_tier)
{
    rp_fleet *f = tf_new(24, 2, 0);
    for (int m = 0; m < RP_NMETRICS; m++)
        tf_flat(f, 0, m, 1.0f + m);
    for (int m = 0; m < RP_NMETRICS; m++)
        tf_flat(f, 1, m, 0.5f);
    rp_reef_use u;
    rp_use_init(&u, f);
    ck_assert_int_eq(u.slots, 24);
    uint8_t mixed[RP_NTIERS] = {RP_DEDICATED, RP_SHARED, RP_DEDICATED};
    rp_ded d = {0, 3, 200};
    rp_use_add(&u, f, 0, 0, mixed, &d, +1);
    tf_add(&u, f, 1, ALL_SHARED, +1);
    ck_assert_int_eq(u.n, 2);
    ck_assert_int_eq(u.n_shared[RP_TIER_DB], 1);
    ck_assert_int_eq(u.n_shared[RP_TIER_COMPUTE], 2);
    ck_assert_int_eq(u.n_shared[RP_TIER_STORAGE], 1);
    ck_assert_double_eq(u.peak[RP_M_DB_COMPUTE], 0.5); /* only instance 1 */
    ck_assert_double_eq(u.peak[RP_M_CPU], 3.0 + 0.5);  /* both */
    ck_assert_double_eq(u.peak[RP_M_MEMORY], 4.0 + 0.5);
    ck_assert_double_eq(u.peak[RP_M_SHARE_IOPS], 0.5);
    ck_assert_double_eq(u.share_gb_peaks, 0.5);
    ck_assert_int_eq(u.ded_nodes, 0); /* compute was shared */
    /* D1 $50 + 200 GiB premium $40 */
    ck_assert_double_eq_tol(u.ded_cost, 90, 1e-9);
    rp_use_free(&u);
    rp_use_free(&u); /* a zeroed use frees as a no-op */
    tf_free(f);
}
END_TEST

START_TEST(test_use_ded_nodes_and_cost)
{
    rp_fleet *f = tf_new(24, 2, 0);
    tf_flat(f, 0, RP_M_CPU, 3);
    tf_flat(f, 1, RP_M_CPU, 5);
    rp_reef_use u;
    rp_use_init(&u, f);
    uint8_t dc[RP_NTIERS] = {RP_SHARED, RP_DEDICATED, RP_SHARED};
    tf_add(&u, f, 0, dc, +1);
    tf_add(&u, f, 1, dc, +1);
    ck_assert_int_eq(u.ded_nodes, 2 + 3);
    ck_assert_double_eq_tol(u.ded_cost, 500, 1e-9);
    ck_assert_double_eq(u.peak[RP_M_CPU], 0); /* not in the shared sums */
    ck_assert_int_eq(u.n_shared[RP_TIER_COMPUTE], 0);
    tf_add(&u, f, 1, dc, -1);
    ck_assert_int_eq(u.ded_nodes, 2);
    ck_assert_double_eq_tol(u.ded_cost, 200, 1e-9);
    tf_add(&u, f, 0, dc, -1);
    ck_assert_double_eq(u.ded_cost, 0); /* exactly zero when none is left */
    rp_use_free(&u);
    tf_free(f);
}
END_TEST

START_TEST(test_use_peaks_at_different_hours_fit)
{
    /* Each peaks at 0.8 db_compute, at slots 3 and 10, otherwise 0.1: the
     * sum of peaks (1.6) exceeds P2's 1.0, the peak of the sum (0.9) does not. */
    rp_fleet *f = tf_new(24, 2, 0);
    f->cat->pools[0].per_db_max = 1;
    tf_flat(f, 0, RP_M_DB_COMPUTE, 0.1f);
    tf_flat(f, 1, RP_M_DB_COMPUTE, 0.1f);
    tf_at(f, 0, RP_M_DB_COMPUTE, 3, 0.8f);
    tf_at(f, 1, RP_M_DB_COMPUTE, 10, 0.8f);
    rp_reef_use u;
    rp_use_init(&u, f);
    tf_add(&u, f, 0, ALL_SHARED, +1);
    tf_add(&u, f, 1, ALL_SHARED, +1);
    ck_assert_double_eq(u.peak[RP_M_DB_COMPUTE], (double)0.8f + (double)0.1f);
    ck_assert_int_eq(u.peak_slot[RP_M_DB_COMPUTE], 3); /* first of equal maxima */
    int pool = -1, nodes = -1;
    rp_violation v;
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, &v), RP_RULE_NONE);
    ck_assert_int_eq(pool, 0);
    ck_assert_int_eq(nodes, 2);
    ck_assert_int_eq(rp_use_check(&u, f, 0, 0, 2, &v), RP_RULE_NONE);
    /* at the same hour they would not fit P2 */
    tf_at(f, 1, RP_M_DB_COMPUTE, 10, 0.1f);
    tf_at(f, 1, RP_M_DB_COMPUTE, 3, 0.8f);
    rp_use_clear(&u, f);
    ck_assert_int_eq(u.n, 0);
    ck_assert_double_eq(u.peak[RP_M_DB_COMPUTE], 0);
    tf_add(&u, f, 0, ALL_SHARED, +1);
    tf_add(&u, f, 1, ALL_SHARED, +1);
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, &v), RP_RULE_NONE);
    ck_assert_int_eq(pool, 1);
    ck_assert_int_eq(rp_use_check(&u, f, 0, 0, 2, &v), RP_RULE_DB_COMPUTE);
    ck_assert_int_eq(v.slot, 3);
    rp_use_free(&u);
    tf_free(f);
}
END_TEST

START_TEST(test_use_add_remove_restores_exactly)
{
    rp_fleet *f = tf_new(168, 5, 0);
    for (size_t i = 0; i < 5; i++)
        tf_random(f, i);
    uint8_t t2[RP_NTIERS] = {RP_SHARED, RP_DEDICATED, RP_SHARED};
    uint8_t t3[RP_NTIERS] = {RP_DEDICATED, RP_SHARED, RP_DEDICATED};
    rp_reef_use u, snap = {0};
    rp_use_init(&u, f);
    tf_add(&u, f, 0, ALL_SHARED, +1);
    tf_add(&u, f, 1, t2, +1);
    rp_use_copy(&snap, &u, f);
    tf_add(&u, f, 2, t3, +1);
    tf_add(&u, f, 3, ALL_SHARED, +1);
    tf_add(&u, f, 4, ALL_DED, +1);
    tf_add(&u, f, 3, ALL_SHARED, -1);
    tf_add(&u, f, 4, ALL_DED, -1);
    tf_add(&u, f, 2, t3, -1);
    assert_use_eq(&u, &snap, f);
    /* removing everything leaves exact zeros */
    tf_add(&u, f, 0, ALL_SHARED, -1);
    tf_add(&u, f, 1, t2, -1);
    rp_reef_use empty;
    rp_use_init(&empty, f);
    assert_use_eq(&u, &empty, f);
    ck_assert(u.ded_cost == 0.0);
    rp_use_free(&u);
    rp_use_free(&snap);
    rp_use_free(&empty);
    tf_free(f);
}
END_TEST

START_TEST(test_use_emptied_tier_is_exact_zero)
{
    /* 3e9 + 0.1 is not exact in double: without the reset an emptied reef
     * would keep a rounding residue in its sums and peak. */
    rp_fleet *f = tf_new(24, 2, 0);
    tf_flat(f, 0, RP_M_CPU, 0.1f);
    tf_flat(f, 1, RP_M_CPU, 3e9f);
    rp_reef_use u;
    rp_use_init(&u, f);
    tf_add(&u, f, 0, ALL_SHARED, +1);
    tf_add(&u, f, 1, ALL_SHARED, +1);
    tf_add(&u, f, 1, ALL_SHARED, -1);
    ck_assert(u.peak[RP_M_CPU] != (double)0.1f); /* the residue this test is about */
    double peak[RP_NMETRICS];
    rp_use_peak_with(&u, f, 0, ALL_SHARED, -1, peak);
    ck_assert(peak[RP_M_CPU] == 0.0);
    tf_add(&u, f, 0, ALL_SHARED, -1);
    ck_assert(u.peak[RP_M_CPU] == 0.0);
    for (int t = 0; t < 24; t++)
        ck_assert(u.sum[RP_M_CPU * 24 + t] == 0.0);
    rp_use_free(&u);
    tf_free(f);
}
END_TEST

START_TEST(test_use_copy_is_independent)
{
    rp_fleet *f = tf_new(24, 2, 0);
    tf_random(f, 0);
    tf_random(f, 1);
    rp_reef_use a, b = {0};
    rp_use_init(&a, f);
    tf_add(&a, f, 0, ALL_SHARED, +1);
    rp_use_copy(&b, &a, f);
    ck_assert_ptr_ne(a.sum, b.sum);
    ck_assert_ptr_ne(a.over_per_db, b.over_per_db);
    assert_use_eq(&a, &b, f);
    tf_add(&b, f, 1, ALL_SHARED, +1);
    ck_assert_int_eq(a.n, 1);
    ck_assert_int_eq(b.n, 2);
    rp_use_copy(&b, &a, f); /* reuses b's arrays */
    assert_use_eq(&a, &b, f);
    rp_use_free(&a);
    rp_use_free(&b);
    tf_free(f);
}
END_TEST

START_TEST(test_use_peak_with_matches_add)
{
    rp_fleet *f = tf_new(168, 12, 0);
    for (size_t i = 0; i < 12; i++)
        tf_random(f, i);
    static const uint8_t tiers[4][RP_NTIERS] = {{0, 0, 0}, {1, 0, 0}, {0, 1, 1}, {1, 1, 1}};
    rp_reef_use u, w = {0};
    rp_use_init(&u, f);
    for (size_t i = 0; i < 8; i++)
        tf_add(&u, f, i, tiers[i % 4], +1);
    for (size_t i = 0; i < 12; i++) {
        const uint8_t *t = tiers[(i * 3) % 4];
        int sign = i < 8 ? -1 : +1;
        if (sign < 0)
            t = tiers[i % 4];
        double peak[RP_NMETRICS];
        rp_use_peak_with(&u, f, i, t, sign, peak);
        rp_use_copy(&w, &u, f);
        tf_add(&w, f, i, t, sign);
        for (int m = 0; m < RP_NMETRICS; m++)
            ck_assert_msg(peak[m] == w.peak[m], "instance %zu metric %d: %.17g != %.17g", i, m,
                          peak[m], w.peak[m]);
    }
    rp_use_free(&u);
    rp_use_free(&w);
    tf_free(f);
}
END_TEST

START_TEST(test_use_peak_with_last_instance)
{
    rp_fleet *f = tf_new(24, 1, 0);
    tf_random(f, 0);
    rp_reef_use u, snap = {0};
    rp_use_init(&u, f);
    tf_add(&u, f, 0, ALL_SHARED, +1);
    rp_use_copy(&snap, &u, f);
    double peak[RP_NMETRICS];
    rp_use_peak_with(&u, f, 0, ALL_SHARED, -1, peak);
    for (int m = 0; m < RP_NMETRICS; m++)
        ck_assert(peak[m] == 0.0);
    /* u unchanged: counts, per-slot sums, peaks */
    assert_use_eq(&u, &snap, f);
    rp_use_peak_with(&u, f, 0, ALL_SHARED, +1, peak); /* twice the load */
    ck_assert_double_eq_tol(peak[RP_M_CPU], 2.0 * rp_fleet_peak(f, 0, RP_M_CPU), 1e-12);
    assert_use_eq(&u, &snap, f);
    rp_use_free(&u);
    rp_use_free(&snap);
    tf_free(f);
}
END_TEST

START_TEST(test_use_over_per_db)
{
    rp_fleet *f = tf_new(24, 2, 0);
    tf_flat(f, 0, RP_M_DB_COMPUTE, 0.75f); /* over P2's 0.5 only */
    tf_flat(f, 1, RP_M_DB_COMPUTE, 0.5f);  /* exactly at P2's 0.5 */
    rp_reef_use u;
    rp_use_init(&u, f);
    tf_add(&u, f, 1, ALL_SHARED, +1);
    ck_assert_int_eq(u.over_per_db[0], 0);
    tf_add(&u, f, 0, ALL_SHARED, +1);
    ck_assert_int_eq(u.over_per_db[0], 1);
    ck_assert_int_eq(u.over_per_db[1], 0);
    ck_assert_int_eq(u.over_per_db[2], 0);
    /* the sum 1.25 also breaks P2's dbc; make the per-db rule the binding
     * one by giving P2 more compute */
    f->cat->pools[0].db_compute = 4;
    int pool, nodes;
    rp_violation v;
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, &v), RP_RULE_NONE);
    ck_assert_int_eq(pool, 1);
    ck_assert_int_eq(rp_use_check(&u, f, 0, 0, 2, &v), RP_RULE_PER_DB_MAX);
    ck_assert_int_eq(v.metric, RP_M_DB_COMPUTE);
    ck_assert_double_eq(v.value, 1);
    ck_assert_double_eq(v.limit, 0.5);
    tf_add(&u, f, 0, ALL_SHARED, -1);
    ck_assert_int_eq(u.over_per_db[0], 0);
    /* dedicated dbs never count */
    uint8_t ddb[RP_NTIERS] = {RP_DEDICATED, RP_SHARED, RP_SHARED};
    tf_add(&u, f, 0, ddb, +1);
    ck_assert_int_eq(u.over_per_db[0], 0);
    rp_use_free(&u);
    tf_free(f);
}
END_TEST

/* ---- sizing --------------------------------------------------------------- */

/* Sizes n_shared all-shared instances with the given flat loads. */
static int size_flat(rp_fleet *f, const float load[RP_NMETRICS], int *pool, int *nodes,
                     rp_violation *v)
{
    for (int m = 0; m < RP_NMETRICS; m++)
        tf_flat(f, 0, m, load[m]);
    rp_reef_use u;
    rp_use_init(&u, f);
    tf_add(&u, f, 0, ALL_SHARED, +1);
    int r = rp_use_size(&u, f, 0, pool, nodes, v);
    rp_use_free(&u);
    return r;
}

START_TEST(test_size_cheapest_pool)
{
    rp_fleet *f = tf_new(24, 1, 0);
    int pool, nodes;
    rp_violation v;
    ck_assert_int_eq(size_flat(f, (float[]){0.5f, 50, 0, 0, 0, 0}, &pool, &nodes, &v), 0);
    ck_assert_int_eq(pool, 0); /* exactly at P2's storage and per-db limits */
    ck_assert_int_eq(size_flat(f, (float[]){0.625f, 50, 0, 0, 0, 0}, &pool, &nodes, &v), 0);
    ck_assert_int_eq(pool, 1); /* per-db 0.625 > 0.5 */
    ck_assert_int_eq(v.rule, RP_RULE_NONE);
    ck_assert_int_eq(size_flat(f, (float[]){1.5f, 0, 0, 0, 0, 0}, &pool, &nodes, &v), 0);
    ck_assert_int_eq(pool, 1); /* compute-driven */
    ck_assert_int_eq(size_flat(f, (float[]){0.25f, 150, 0, 0, 0, 0}, &pool, &nodes, &v), 0);
    ck_assert_int_eq(pool, 2); /* storage-driven */
    tf_free(f);
}
END_TEST

START_TEST(test_size_max_dbs)
{
    rp_fleet *f = tf_new(24, 4, 0);
    rp_reef_use u;
    rp_use_init(&u, f);
    int pool, nodes;
    for (size_t i = 0; i < 3; i++)
        tf_add(&u, f, i, ALL_SHARED, +1);
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, NULL), 0);
    ck_assert_int_eq(pool, 0); /* 3 dbs: P2's max */
    tf_add(&u, f, 3, ALL_SHARED, +1);
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, NULL), 0);
    ck_assert_int_eq(pool, 1);
    rp_violation v;
    ck_assert_int_eq(rp_use_check(&u, f, 0, 0, 2, &v), RP_RULE_MAX_DBS);
    ck_assert_double_eq(v.value, 4);
    ck_assert_double_eq(v.limit, 3);
    rp_use_free(&u);
    tf_free(f);
}
END_TEST

START_TEST(test_size_price_ties_keep_order)
{
    /* Two pools at the same price: the first (catalog order) wins when both
     * fit; the second is used when only it fits. */
    rp_fleet *f = tf_new(24, 1, 0);
    f->cat->pools[1] = (rp_pool_sku){"P4a", 4, 100, 2, 200, 10};
    f->cat->pools[2] = (rp_pool_sku){"P4b", 4, 200, 2, 200, 10};
    int pool, nodes;
    ck_assert_int_eq(size_flat(f, (float[]){1.5f, 40, 0, 0, 0, 0}, &pool, &nodes, NULL), 0);
    ck_assert_int_eq(pool, 1);
    ck_assert_int_eq(size_flat(f, (float[]){1.5f, 60, 0, 0, 0, 0}, &pool, &nodes, NULL), 0);
    ck_assert_int_eq(pool, 2);
    tf_free(f);
}
END_TEST

START_TEST(test_size_nodes_cpu_memory_pods)
{
    rp_fleet *f = tf_new(24, 9, 0);
    int pool, nodes;
    ck_assert_int_eq(size_flat(f, (float[]){0, 0, 1, 1, 0, 0}, &pool, &nodes, NULL), 0);
    ck_assert_int_eq(nodes, 2); /* min_nodes */
    ck_assert_int_eq(size_flat(f, (float[]){0, 0, 4, 0, 0, 0}, &pool, &nodes, NULL), 0);
    ck_assert_int_eq(nodes, 2); /* exactly 2 nodes of cpu */
    ck_assert_int_eq(size_flat(f, (float[]){0, 0, 5, 0, 0, 0}, &pool, &nodes, NULL), 0);
    ck_assert_int_eq(nodes, 3); /* cpu 5/2 */
    ck_assert_int_eq(size_flat(f, (float[]){0, 0, 1, 33, 0, 0}, &pool, &nodes, NULL), 0);
    ck_assert_int_eq(nodes, 5); /* memory 33/8 */
    /* pods: 9 shared compute instances at 4 per node -> 3 nodes */
    tf_flat(f, 0, RP_M_MEMORY, 0);
    rp_reef_use u;
    rp_use_init(&u, f);
    for (size_t i = 0; i < 9; i++)
        tf_add(&u, f, i, ALL_SHARED, +1);
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, NULL), 0);
    ck_assert_int_eq(pool, 1); /* 9 shared dbs: P2 holds 3, P4 10 */
    ck_assert_int_eq(nodes, 3);
    rp_use_free(&u);
    tf_free(f);
}
END_TEST

START_TEST(test_size_empty_reef)
{
    rp_fleet *f = tf_new(24, 0, 0);
    rp_reef_use u;
    rp_use_init(&u, f);
    int pool = -1, nodes = -1;
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, NULL), 0);
    ck_assert_int_eq(pool, 0);
    ck_assert_int_eq(nodes, 2);
    ck_assert_double_eq_tol(rp_use_cost(&u, f, 0, pool, nodes), 73 + 100 + 200, 1e-9);
    ck_assert_int_eq(rp_use_check(&u, f, 0, 0, 0, NULL), RP_RULE_NONE); /* no min when empty */
    rp_use_free(&u);
    tf_free(f);
}
END_TEST

START_TEST(test_size_max_nodes_with_dedicated)
{
    rp_fleet *f = tf_new(24, 3, 0);
    tf_flat(f, 0, RP_M_CPU, 15); /* dedicated: 8 nodes */
    tf_flat(f, 1, RP_M_CPU, 1);  /* dedicated: 1 node */
    uint8_t dc[RP_NTIERS] = {RP_SHARED, RP_DEDICATED, RP_SHARED};
    rp_reef_use u;
    rp_use_init(&u, f);
    tf_add(&u, f, 0, dc, +1);
    ck_assert_int_eq(u.ded_nodes, 8);
    int pool, nodes;
    rp_violation v;
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, &v), 0);
    ck_assert_int_eq(nodes, 2); /* 2 + 8 = max_nodes exactly */
    tf_add(&u, f, 1, dc, +1);
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, &v), RP_RULE_MAX_NODES);
    ck_assert_int_eq(v.rule, RP_RULE_MAX_NODES);
    ck_assert_double_eq(v.value, 11);
    ck_assert_double_eq(v.limit, 10);
    ck_assert_int_eq(rp_use_check(&u, f, 0, 0, 2, &v), RP_RULE_MAX_NODES);
    ck_assert_double_eq(v.value, 11);
    /* shared load needing nodes beyond the room left */
    tf_add(&u, f, 1, dc, -1);
    tf_flat(f, 2, RP_M_CPU, 4.5f); /* 3 shared nodes + 8 > 10 */
    tf_add(&u, f, 2, ALL_SHARED, +1);
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, &v), RP_RULE_MAX_NODES);
    ck_assert_double_eq(v.value, 11);
    rp_use_free(&u);
    tf_free(f);
}
END_TEST

START_TEST(test_size_no_pool_reports_largest)
{
    rp_fleet *f = tf_new(24, 1, 0);
    int pool, nodes;
    rp_violation v;
    tf_at(f, 0, RP_M_DB_COMPUTE, 13, 5);
    rp_reef_use u;
    rp_use_init(&u, f);
    tf_add(&u, f, 0, ALL_SHARED, +1);
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, &v), RP_RULE_DB_COMPUTE);
    ck_assert_int_eq(v.metric, RP_M_DB_COMPUTE);
    ck_assert_int_eq(v.slot, 13);
    ck_assert_double_eq(v.value, 5);
    ck_assert_double_eq(v.limit, 4); /* P8 with headroom */
    rp_use_free(&u);
    ck_assert_int_eq(size_flat(f, (float[]){1, 300, 0, 0, 0, 0}, &pool, &nodes, &v),
                     RP_RULE_DB_STORAGE);
    ck_assert_double_eq(v.limit, 200);
    ck_assert_int_eq(v.slot, 0);
    /* per-db: 3.5 is over every pool's per_db_max (P8: 3) but within P8 */
    ck_assert_int_eq(size_flat(f, (float[]){3.5f, 0, 0, 0, 0, 0}, &pool, &nodes, &v),
                     RP_RULE_PER_DB_MAX);
    ck_assert_double_eq(v.value, 1);
    ck_assert_double_eq(v.limit, 3);
    /* the largest pool is chosen by size, not by position */
    f->cat->pools[0] = (rp_pool_sku){"HUGE", 16, 800, 16, 100, 1};
    ck_assert_int_eq(size_flat(f, (float[]){0, 0, 0, 0, 0, 0}, &pool, &nodes, &v), 0);
    ck_assert_int_eq(pool, 0);
    tf_flat(f, 0, RP_M_DB_COMPUTE, 9); /* HUGE cap is 8 */
    rp_use_init(&u, f);
    tf_add(&u, f, 0, ALL_SHARED, +1);
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, &v), RP_RULE_DB_COMPUTE);
    ck_assert_double_eq(v.limit, 8);
    rp_use_free(&u);
    tf_free(f);
}
END_TEST

START_TEST(test_size_storage_and_instances)
{
    rp_fleet *f = tf_new(24, 3, 0);
    int pool, nodes;
    rp_violation v;
    tf_at(f, 0, RP_M_SHARE_GB, 4, 501);
    rp_reef_use u;
    rp_use_init(&u, f);
    tf_add(&u, f, 0, ALL_SHARED, +1);
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, &v), RP_RULE_SHARE_GB);
    ck_assert_int_eq(v.metric, RP_M_SHARE_GB);
    ck_assert_int_eq(v.slot, 4);
    ck_assert_double_eq(v.limit, 500);
    tf_add(&u, f, 0, ALL_SHARED, -1);
    tf_at(f, 0, RP_M_SHARE_GB, 4, 500); /* exactly at the limit */
    tf_at(f, 0, RP_M_SHARE_IOPS, 9, 500.5f);
    tf_add(&u, f, 0, ALL_SHARED, +1);
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, &v), RP_RULE_SHARE_IOPS);
    ck_assert_int_eq(v.slot, 9);
    /* dedicated storage does not load the account */
    uint8_t ds[RP_NTIERS] = {RP_SHARED, RP_SHARED, RP_DEDICATED};
    tf_add(&u, f, 0, ALL_SHARED, -1);
    tf_add(&u, f, 0, ds, +1);
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, &v), RP_RULE_NONE);
    /* instance count */
    f->set.max_instances_per_reef = 2;
    tf_add(&u, f, 1, ALL_SHARED, +1);
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, &v), RP_RULE_NONE);
    tf_add(&u, f, 2, ALL_DED, +1);
    ck_assert_int_eq(rp_use_size(&u, f, 0, &pool, &nodes, &v), RP_RULE_MAX_INSTANCES);
    ck_assert_double_eq(v.value, 3);
    ck_assert_double_eq(v.limit, 2);
    ck_assert_int_eq(rp_use_check(&u, f, 0, 2, 9, &v), RP_RULE_MAX_INSTANCES);
    rp_use_free(&u);
    tf_free(f);
}
END_TEST

START_TEST(test_size_for_extra_db_and_null_counts)
{
    rp_fleet *f = tf_new(24, 0, 0);
    double peak[RP_NMETRICS] = {0.5, 10, 1, 1, 0, 0};
    int ns[RP_NTIERS] = {1, 1, 1};
    int pool, nodes;
    rp_violation v;
    ck_assert_int_eq(rp_size_for(f, 0, peak, ns, 1, 0, NULL, 0, &pool, &nodes, &v), 0);
    ck_assert_int_eq(pool, 0);
    ck_assert_int_eq(rp_size_for(f, 0, peak, ns, 1, 0, NULL, 0.5, &pool, &nodes, &v), 0);
    ck_assert_int_eq(pool, 0); /* exactly at per_db_max */
    ck_assert_int_eq(rp_size_for(f, 0, peak, ns, 1, 0, NULL, 0.75, &pool, &nodes, &v), 0);
    ck_assert_int_eq(pool, 1);
    int over[3] = {0, 1, 0};
    ck_assert_int_eq(rp_size_for(f, 0, peak, ns, 1, 0, over, 0.75, &pool, &nodes, &v), 0);
    ck_assert_int_eq(pool, 2);
    ck_assert_int_eq(v.slot, -1);
    /* ded_nodes leaves no room even for min_nodes */
    ck_assert_int_eq(rp_size_for(f, 0, peak, ns, 1, 9, NULL, 0, &pool, &nodes, &v),
                     RP_RULE_MAX_NODES);
    ck_assert_double_eq(v.value, 11);
    /* unbounded cpu */
    peak[RP_M_CPU] = 1e300;
    ck_assert_int_eq(rp_size_for(f, 0, peak, ns, 1, 0, NULL, 0, &pool, &nodes, &v),
                     RP_RULE_MAX_NODES);
    tf_free(f);
}
END_TEST

START_TEST(test_size_with_matches_add)
{
    rp_fleet *f = tf_new(24, 3, 0);
    tf_flat(f, 2, RP_M_DB_COMPUTE, 0.75f); /* fits P2's dbc, not its per_db_max */
    tf_flat(f, 2, RP_M_CPU, 5);
    rp_reef_use u, w = {0};
    rp_use_init(&u, f);
    tf_add(&u, f, 0, ALL_SHARED, +1);
    tf_add(&u, f, 1, ALL_SHARED, +1);
    int pool, nodes, pool2, nodes2;
    rp_violation v;
    ck_assert_int_eq(rp_use_size_with(&u, f, 0, 2, ALL_SHARED, NULL, +1, &pool, &nodes, &v), 0);
    rp_use_copy(&w, &u, f);
    tf_add(&w, f, 2, ALL_SHARED, +1);
    ck_assert_int_eq(rp_use_size(&w, f, 0, &pool2, &nodes2, &v), 0);
    ck_assert_int_eq(pool, pool2);
    ck_assert_int_eq(pool, 1);
    ck_assert_int_eq(nodes, nodes2);
    ck_assert_int_eq(nodes, 3);
    /* removing the over-per-db instance lets P2 fit again */
    ck_assert_int_eq(rp_use_size_with(&w, f, 0, 2, ALL_SHARED, NULL, -1, &pool, &nodes, &v), 0);
    ck_assert_int_eq(pool, 0);
    ck_assert_int_eq(nodes, 2);
    /* dedicated compute: its nodes count against max_nodes */
    uint8_t dc[RP_NTIERS] = {RP_SHARED, RP_DEDICATED, RP_SHARED};
    rp_ded d = {-1, 9, 0};
    ck_assert_int_eq(rp_use_size_with(&u, f, 0, 2, dc, &d, +1, &pool, &nodes, &v),
                     RP_RULE_MAX_NODES);
    rp_use_free(&u);
    rp_use_free(&w);
    tf_free(f);
}
END_TEST

/* ---- checking ----------------------------------------------------------- */

/* One all-shared instance with one spiking metric; returns the check rule. */
static int check_spike(rp_fleet *f, int m, int slot, float v, int pool, int nodes,
                       rp_violation *out)
{
    for (int k = 0; k < RP_NMETRICS; k++)
        tf_flat(f, 0, k, 0);
    tf_at(f, 0, m, slot, v);
    rp_reef_use u;
    rp_use_init(&u, f);
    tf_add(&u, f, 0, ALL_SHARED, +1);
    int r = rp_use_check(&u, f, 0, pool, nodes, out);
    rp_use_free(&u);
    return r;
}

START_TEST(test_check_each_rule_at_its_slot)
{
    rp_fleet *f = tf_new(168, 1, 0);
    rp_violation v;
    ck_assert_int_eq(check_spike(f, RP_M_DB_COMPUTE, 37, 1.5f, 0, 2, &v), RP_RULE_DB_COMPUTE);
    ck_assert_int_eq(v.metric, RP_M_DB_COMPUTE);
    ck_assert_int_eq(v.slot, 37);
    ck_assert_double_eq(v.value, 1.5);
    ck_assert_double_eq(v.limit, 1);
    ck_assert_int_eq(check_spike(f, RP_M_DB_COMPUTE, 37, 1.5f, 1, 2, &v), RP_RULE_NONE);
    ck_assert_int_eq(v.rule, RP_RULE_NONE);
    ck_assert_int_eq(check_spike(f, RP_M_DB_STORAGE, 100, 51, 0, 2, &v), RP_RULE_DB_STORAGE);
    ck_assert_int_eq(v.slot, 100);
    ck_assert_int_eq(check_spike(f, RP_M_CPU, 5, 4.5f, 0, 2, &v), RP_RULE_CPU);
    ck_assert_int_eq(v.slot, 5);
    ck_assert_double_eq(v.limit, 4);
    ck_assert_int_eq(check_spike(f, RP_M_CPU, 5, 4.5f, 0, 3, &v), RP_RULE_NONE);
    ck_assert_int_eq(check_spike(f, RP_M_MEMORY, 167, 17, 0, 2, &v), RP_RULE_MEMORY);
    ck_assert_int_eq(v.slot, 167);
    ck_assert_double_eq(v.value, 17);
    ck_assert_double_eq(v.limit, 16);
    ck_assert_int_eq(check_spike(f, RP_M_SHARE_GB, 0, 600, 0, 2, &v), RP_RULE_SHARE_GB);
    ck_assert_int_eq(v.slot, 0);
    ck_assert_int_eq(check_spike(f, RP_M_SHARE_IOPS, 80, 501, 0, 2, &v), RP_RULE_SHARE_IOPS);
    ck_assert_int_eq(v.slot, 80);
    ck_assert_double_eq(v.limit, 500);
    /* exactly at every limit passes */
    ck_assert_int_eq(check_spike(f, RP_M_DB_COMPUTE, 1, 2, 1, 2, &v), RP_RULE_NONE);
    ck_assert_int_eq(check_spike(f, RP_M_DB_COMPUTE, 1, 1, 0, 2, &v), RP_RULE_PER_DB_MAX);
    ck_assert_int_eq(check_spike(f, RP_M_MEMORY, 1, 16, 0, 2, &v), RP_RULE_NONE);
    ck_assert_int_eq(check_spike(f, RP_M_SHARE_IOPS, 1, 500, 0, 2, &v), RP_RULE_NONE);
    /* min_nodes for a reef that holds an instance */
    ck_assert_int_eq(check_spike(f, RP_M_CPU, 1, 0, 0, 1, &v), RP_RULE_MIN_NODES);
    ck_assert_double_eq(v.value, 1);
    ck_assert_double_eq(v.limit, 2);
    tf_free(f);
}
END_TEST

START_TEST(test_check_rule_order_and_counts)
{
    rp_fleet *f = tf_new(24, 9, 0);
    rp_reef_use u;
    rp_use_init(&u, f);
    uint8_t sc[RP_NTIERS] = {RP_DEDICATED, RP_SHARED, RP_DEDICATED};
    for (size_t i = 0; i < 9; i++)
        tf_add(&u, f, i, sc, +1);
    rp_violation v;
    ck_assert_int_eq(rp_use_check(&u, f, 0, 0, 2, &v), RP_RULE_PODS);
    ck_assert_double_eq(v.value, 9);
    ck_assert_double_eq(v.limit, 8);
    ck_assert_int_eq(rp_use_check(&u, f, 0, 0, 3, &v), RP_RULE_NONE);
    /* two broken rules: the first in rule order is reported */
    tf_add(&u, f, 0, sc, -1);
    tf_flat(f, 0, RP_M_CPU, 7);
    tf_flat(f, 0, RP_M_SHARE_GB, 9999);
    tf_add(&u, f, 0, ALL_SHARED, +1);
    ck_assert_int_eq(rp_use_check(&u, f, 0, 0, 3, &v), RP_RULE_CPU);
    ck_assert_int_eq(rp_use_check(&u, f, 0, 0, 4, &v), RP_RULE_SHARE_GB);
    rp_use_free(&u);
    tf_free(f);
}
END_TEST

/* ---- cost ------------------------------------------------------------------ */

START_TEST(test_cost_arithmetic)
{
    rp_fleet *f = tf_new(24, 3, 0);
    tf_at(f, 0, RP_M_SHARE_GB, 2, 30);
    tf_at(f, 1, RP_M_SHARE_GB, 9, 50); /* cost basis is the sum of peaks, 80 */
    tf_flat(f, 2, RP_M_DB_COMPUTE, 0.75f);
    tf_flat(f, 2, RP_M_CPU, 3);
    tf_flat(f, 2, RP_M_SHARE_IOPS, 300);
    rp_reef_use u;
    rp_use_init(&u, f);
    tf_add(&u, f, 0, ALL_SHARED, +1);
    tf_add(&u, f, 1, ALL_SHARED, +1);
    tf_add(&u, f, 2, ALL_DED, +1); /* D2 100 + 2 nodes 200 + 200 GiB 40 */
    ck_assert_double_eq(u.share_gb_peaks, 80);
    ck_assert_double_eq(u.peak[RP_M_SHARE_GB], 50);
    /* 73 + P4 200 + 3 x 100 + 0.1 x 80 + 340 */
    ck_assert_double_eq_tol(rp_use_cost(&u, f, 0, 1, 3), 73 + 200 + 300 + 8 + 340, 1e-9);
    tf_add(&u, f, 0, ALL_SHARED, -1);
    ck_assert_double_eq_tol(rp_use_cost(&u, f, 0, 0, 2), 73 + 100 + 200 + 5 + 340, 1e-9);
    rp_use_free(&u);
    tf_free(f);
}
END_TEST

START_TEST(test_current_use_and_cost)
{
    rp_fleet *f = tf_new(24, 4, 2);
    f->reefs[0].pool = 0;
    f->reefs[0].nodes = 2;
    f->reefs[1].pool = 1;
    f->reefs[1].nodes = 3;
    f->reefs[1].state = RP_REEF_BROKEN; /* still costs in the current state */
    tf_flat(f, 0, RP_M_SHARE_GB, 40);
    tf_flat(f, 0, RP_M_DB_COMPUTE, 0.5f);
    f->inst[0].reef = 0;
    memcpy(f->inst[0].tier, ALL_SHARED, RP_NTIERS);
    tf_flat(f, 1, RP_M_DB_COMPUTE, 0.75f); /* dedicated db: D2 $100 */
    f->inst[1].reef = 1;
    memcpy(f->inst[1].tier, ((uint8_t[]){RP_DEDICATED, RP_SHARED, RP_SHARED}), RP_NTIERS);
    tf_flat(f, 2, RP_M_CPU, 30); /* dedicated compute too big: priced at 10 nodes */
    f->inst[2].reef = 1;
    memcpy(f->inst[2].tier, ((uint8_t[]){RP_SHARED, RP_DEDICATED, RP_SHARED}), RP_NTIERS);
    tf_flat(f, 3, RP_M_SHARE_GB, 1000); /* unplaced: not counted */
    rp_reef_use uses[2];
    rp_fleet_current_use(f, uses);
    ck_assert_int_eq(uses[0].n, 1);
    ck_assert_int_eq(uses[1].n, 2);
    ck_assert_int_eq(uses[1].n_shared[RP_TIER_DB], 1);
    ck_assert_int_eq(uses[1].ded_nodes, 10);
    ck_assert_double_eq(uses[0].peak[RP_M_DB_COMPUTE], 0.5);
    ck_assert_double_eq_tol(uses[1].ded_cost, 100 + 1000, 1e-9);
    for (int r = 0; r < 2; r++)
        rp_use_free(&uses[r]);
    double r0 = 73 + 100 + 2 * 100 + 0.1 * 40;
    double r1 = 73 + 200 + 3 * 100 + 100 + 10 * 100;
    ck_assert_double_eq_tol(rp_fleet_current_cost(f), r0 + r1, 1e-9);
    tf_free(f);
}
END_TEST

START_TEST(test_current_cost_empty_fleet)
{
    rp_fleet *f = tf_new(24, 0, 0);
    ck_assert_double_eq(rp_fleet_current_cost(f), 0);
    f->nreefs = 1;
    free(f->reefs);
    f->reefs = rp_xcalloc(1, sizeof *f->reefs);
    f->reefs[0] = (rp_reef){"r", 0, 0, RP_REEF_ACTIVE, 2, 0}; /* empty, P8, 0 nodes */
    ck_assert_double_eq_tol(rp_fleet_current_cost(f), 73 + 400, 1e-9);
    tf_free(f);
}
END_TEST

/* ---- text ------------------------------------------------------------------- */

START_TEST(test_violation_text)
{
    char buf[128];
    rp_violation v = {RP_RULE_DB_COMPUTE, RP_M_DB_COMPUTE, 37, 12.4, 16 * 0.7};
    ck_assert_str_eq(rp_violation_str(&v, buf, sizeof buf),
                     "rule 1 db_compute at slot 37: 12.4 > 11.2");
    v = (rp_violation){RP_RULE_CPU, RP_M_CPU, -1, 5, 4};
    ck_assert_str_eq(rp_violation_str(&v, buf, sizeof buf), "rule 4 cpu_cores peak: 5 > 4");
    v = (rp_violation){RP_RULE_MAX_DBS, -1, -1, 201, 200};
    ck_assert_str_eq(rp_violation_str(&v, buf, sizeof buf), "rule 3 max_dbs: 201 shared dbs > 200");
    v = (rp_violation){RP_RULE_PER_DB_MAX, RP_M_DB_COMPUTE, -1, 2, 4};
    ck_assert_str_eq(rp_violation_str(&v, buf, sizeof buf),
                     "rule 3 per_db_max: 2 shared dbs peak above 4");
    v = (rp_violation){RP_RULE_MIN_NODES, -1, -1, 1, 3};
    ck_assert_str_eq(rp_violation_str(&v, buf, sizeof buf), "rule 4 min_nodes: 1 nodes < 3");
    v = (rp_violation){RP_RULE_MAX_NODES, -1, -1, 1003, 1000};
    ck_assert_str_eq(rp_violation_str(&v, buf, sizeof buf), "rule 5 max_nodes: 1003 nodes > 1000");
    v = (rp_violation){RP_RULE_SHARE_IOPS, RP_M_SHARE_IOPS, 0, 16000.5, 16000};
    ck_assert_str_eq(rp_violation_str(&v, buf, sizeof buf),
                     "rule 6 share_iops at slot 0: 16000.5 > 16000");
    v = (rp_violation){RP_RULE_MAX_INSTANCES, -1, -1, 301, 300};
    ck_assert_str_eq(rp_violation_str(&v, buf, sizeof buf),
                     "rule 7 max_instances_per_reef: 301 instances > 300");
    v = (rp_violation){RP_RULE_NONE, -1, -1, 0, 0};
    ck_assert_str_eq(rp_violation_str(&v, buf, sizeof buf), "ok");
    v = (rp_violation){RP_RULE_NO_SKU, -1, -1, 0, 0};
    ck_assert_str_eq(rp_violation_str(&v, buf, sizeof buf), "no_sku");
    /* truncation is safe */
    char small[8];
    v = (rp_violation){RP_RULE_DB_COMPUTE, RP_M_DB_COMPUTE, 37, 12.4, 11.2};
    ck_assert_str_eq(rp_violation_str(&v, small, sizeof small), "rule 1 ");
}
END_TEST

START_TEST(test_rule_names)
{
    ck_assert_str_eq(rp_rule_name(RP_RULE_NONE), "none");
    ck_assert_str_eq(rp_rule_name(RP_RULE_DB_COMPUTE), "db_compute");
    ck_assert_str_eq(rp_rule_name(RP_RULE_DB_STORAGE), "db_storage_gb");
    ck_assert_str_eq(rp_rule_name(RP_RULE_MAX_DBS), "max_dbs");
    ck_assert_str_eq(rp_rule_name(RP_RULE_PER_DB_MAX), "per_db_max");
    ck_assert_str_eq(rp_rule_name(RP_RULE_CPU), "cpu_cores");
    ck_assert_str_eq(rp_rule_name(RP_RULE_MEMORY), "memory_gb");
    ck_assert_str_eq(rp_rule_name(RP_RULE_PODS), "pods");
    ck_assert_str_eq(rp_rule_name(RP_RULE_MIN_NODES), "min_nodes");
    ck_assert_str_eq(rp_rule_name(RP_RULE_MAX_NODES), "max_nodes");
    ck_assert_str_eq(rp_rule_name(RP_RULE_SHARE_GB), "share_gb");
    ck_assert_str_eq(rp_rule_name(RP_RULE_SHARE_IOPS), "share_iops");
    ck_assert_str_eq(rp_rule_name(RP_RULE_MAX_INSTANCES), "max_instances_per_reef");
    ck_assert_str_eq(rp_rule_name(RP_RULE_GROUP), "group");
    ck_assert_str_eq(rp_rule_name(RP_RULE_REGION), "region");
    ck_assert_str_eq(rp_rule_name(RP_RULE_DEDICATED), "dedicated");
    ck_assert_str_eq(rp_rule_name(RP_RULE_STATE), "state");
    ck_assert_str_eq(rp_rule_name(RP_RULE_NO_SKU), "no_sku");
    ck_assert_str_eq(rp_rule_name(999), "unknown");
}
END_TEST

static Suite *capacity_suite(void)
{
    Suite *s = suite_create("capacity");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_fits_slack);
    tcase_add_test(tc, test_ded_db_sizes);
    tcase_add_test(tc, test_ded_db_cheapest_not_first_fit_by_size);
    tcase_add_test(tc, test_ded_node_sizes);
    tcase_add_test(tc, test_nodes_inexact_headroom);
    tcase_add_test(tc, test_ded_share_sizes);
    tcase_add_test(tc, test_ded_share_iops_driven);
    tcase_add_test(tc, test_ded_share_ceil_epsilon);
    tcase_add_test(tc, test_ded_fill_price_cost);
    tcase_add_test(tc, test_ded_fill_unsizable);
    tcase_add_test(tc, test_use_sums_route_by_tier);
    tcase_add_test(tc, test_use_ded_nodes_and_cost);
    tcase_add_test(tc, test_use_peaks_at_different_hours_fit);
    tcase_add_test(tc, test_use_add_remove_restores_exactly);
    tcase_add_test(tc, test_use_emptied_tier_is_exact_zero);
    tcase_add_test(tc, test_use_copy_is_independent);
    tcase_add_test(tc, test_use_peak_with_matches_add);
    tcase_add_test(tc, test_use_peak_with_last_instance);
    tcase_add_test(tc, test_use_over_per_db);
    tcase_add_test(tc, test_size_cheapest_pool);
    tcase_add_test(tc, test_size_max_dbs);
    tcase_add_test(tc, test_size_price_ties_keep_order);
    tcase_add_test(tc, test_size_nodes_cpu_memory_pods);
    tcase_add_test(tc, test_size_empty_reef);
    tcase_add_test(tc, test_size_max_nodes_with_dedicated);
    tcase_add_test(tc, test_size_no_pool_reports_largest);
    tcase_add_test(tc, test_size_storage_and_instances);
    tcase_add_test(tc, test_size_for_extra_db_and_null_counts);
    tcase_add_test(tc, test_size_with_matches_add);
    tcase_add_test(tc, test_check_each_rule_at_its_slot);
    tcase_add_test(tc, test_check_rule_order_and_counts);
    tcase_add_test(tc, test_cost_arithmetic);
    tcase_add_test(tc, test_current_use_and_cost);
    tcase_add_test(tc, test_current_cost_empty_fleet);
    tcase_add_test(tc, test_violation_text);
    tcase_add_test(tc, test_rule_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_test_run(capacity_suite());
}

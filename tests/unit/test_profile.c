/* test_profile.c - nearest-rank quantiles, load.csv -> profiles (empty-slot
 * and default rules, batching under a tiny memory budget, unsorted input),
 * profiles.csv in/out round trip and its errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instances.h"
#include "profile.h"
#include "testutil.h"

static char *dir;

static void setup(void)
{
    dir = rp_test_fixture_copy("tiny");
}

static void teardown(void)
{
    char *cmd = rp_xasprintf("rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    free(dir);
}

/* fleet.json + instances.csv of the tiny fixture (24 slots, q 0.95). */
static rp_fleet *fleet_new(void)
{
    rp_fleet *f;
    rp_error err;
    ck_assert_int_eq(rp_fleet_load_json(dir, &f, &err), 0);
    char *path = rp_xasprintf("%s/instances.csv", dir);
    ck_assert_int_eq(rp_instances_read(f, path, &err), 0);
    free(path);
    return f;
}

static float prof(const rp_fleet *f, const char *id, int m, int t)
{
    int i = rp_fleet_find_instance(f, id);
    ck_assert_int_ge(i, 0);
    return rp_fleet_profile(f, (size_t)i, m)[t];
}

/* Shuffled 1..n: the k-th smallest is k. */
static float *shuffled(size_t n, unsigned seed)
{
    float *v = rp_xmalloc(n * sizeof *v);
    for (size_t k = 0; k < n; k++)
        v[k] = (float)(k + 1);
    srand(seed);
    for (size_t k = n; k > 1; k--) {
        size_t j = (size_t)rand() % k;
        float t = v[k - 1];
        v[k - 1] = v[j];
        v[j] = t;
    }
    return v;
}

START_TEST(quantile_nearest_rank)
{
    float *v = shuffled(20, 1);
    ck_assert_float_eq(rp_quantile(v, 20, 0.95), 19.0f);
    free(v);
    v = shuffled(100, 2);
    ck_assert_float_eq(rp_quantile(v, 100, 0.95), 95.0f);
    ck_assert_float_eq(rp_quantile(v, 100, 1.0), 100.0f);
    ck_assert_float_eq(rp_quantile(v, 100, 0.001), 1.0f);
    ck_assert_float_eq(rp_quantile(v, 100, 0.5), 50.0f);
    ck_assert_float_eq(rp_quantile(v, 100, 0.505), 51.0f);
    free(v);
    float one = 7;
    ck_assert_float_eq(rp_quantile(&one, 1, 0.95), 7.0f);
}
END_TEST

/* ceil(q*n) by integer arithmetic for q = p/100, against rp_quantile. */
START_TEST(quantile_rank_exact_for_all_n)
{
    static const int percents[] = {50, 90, 95, 99, 100};
    for (size_t pi = 0; pi < sizeof percents / sizeof percents[0]; pi++)
        for (size_t n = 1; n <= 600; n++) {
            size_t want = ((size_t)percents[pi] * n + 99) / 100;
            float *v = shuffled(n, (unsigned)n);
            float got = rp_quantile(v, n, percents[pi] / 100.0);
            ck_assert_msg(got == (float)want, "q=%d%% n=%zu: got %g want %zu", percents[pi], n,
                          (double)got, want);
            free(v);
        }
}
END_TEST

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

START_TEST(quantile_with_ties_matches_sort)
{
    srand(7);
    for (int round = 0; round < 50; round++) {
        size_t n = 1 + (size_t)rand() % 3000;
        float *v = rp_xmalloc(n * sizeof *v), *s = rp_xmalloc(n * sizeof *s);
        for (size_t k = 0; k < n; k++)
            v[k] = s[k] = (float)(rand() % 37);
        qsort(s, n, sizeof *s, cmp_float);
        size_t rank = (size_t)ceil(0.9 * (double)n - 1e-9);
        ck_assert_float_eq(rp_quantile(v, n, 0.9), s[rank ? rank - 1 : 0]);
        free(v);
        free(s);
    }
}
END_TEST

static void write_file(const char *name, const char *text)
{
    free(rp_test_write(dir, name, text));
}

static int load(rp_fleet *f, size_t budget, size_t *rows, rp_error *err)
{
    char *path = rp_xasprintf("%s/load.csv", dir);
    int rc = rp_load_read(f, path, budget, rows, NULL, err);
    free(path);
    return rc;
}

START_TEST(load_rules)
{
    /* i-1 cpu: slot 0 gets 20 samples 1..20 (p95 = 19), slot 5 one sample
     * 0.25; every other slot takes the max of those, 19. i-2 db_compute: one
     * sample at 04:30Z (given +01:00). Everything else: plan defaults. */
    char *text = rp_xstrdup("instance_id,timestamp,metric,value\n");
    for (int k = 20; k >= 1; k--) {
        char *row = rp_xasprintf("i-1,2026-11-02T00:%02d:00Z,cpu_cores,%d\n", k, k);
        char *t = rp_xasprintf("%s%s", text, row);
        free(text);
        free(row);
        text = t;
    }
    char *t = rp_xasprintf("%s%s", text,
                           "i-1,2026-11-02T05:30:00Z,cpu_cores,0.25\n"
                           "i-2,2026-11-02T05:30:00+01:00,db_compute,7.5\n");
    write_file("load.csv", t);
    free(text);
    free(t);
    rp_fleet *f = fleet_new();
    size_t rows = 0;
    rp_error err;
    ck_assert_int_eq(load(f, 0, &rows, &err), 0);
    ck_assert_uint_eq(rows, 22);
    ck_assert_float_eq(prof(f, "i-1", RP_M_CPU, 0), 19.0f);
    ck_assert_float_eq(prof(f, "i-1", RP_M_CPU, 5), 0.25f);
    ck_assert_float_eq(prof(f, "i-1", RP_M_CPU, 1), 19.0f);
    ck_assert_float_eq(prof(f, "i-1", RP_M_CPU, 23), 19.0f);
    ck_assert_float_eq(prof(f, "i-2", RP_M_DB_COMPUTE, 4), 7.5f);
    ck_assert_float_eq(prof(f, "i-2", RP_M_DB_COMPUTE, 0), 7.5f);
    /* Defaults: standard cpu 0.5, premium (i-3) memory 8. */
    ck_assert_float_eq(prof(f, "i-1", RP_M_DB_COMPUTE, 3), 0.25f);
    ck_assert_float_eq(prof(f, "i-2", RP_M_CPU, 0), 0.5f);
    ck_assert_float_eq(prof(f, "i-3", RP_M_MEMORY, 17), 8.0f);
    ck_assert(f->inst[0].has_profile[RP_M_CPU]);
    ck_assert(!f->inst[0].has_profile[RP_M_MEMORY]);
    ck_assert(!f->inst[4].has_profile[RP_M_CPU]);
    rp_fleet_free(f);
}
END_TEST

/* Random samples for every instance and metric, rows in the given order. */
static void write_random_load(int nrows, unsigned seed, bool shuffle_rows)
{
    static const char *const ids[] = {"i-1", "i-2", "i-3", "i-4", "i-5"};
    char **rows = rp_xcalloc((size_t)nrows, sizeof *rows);
    srand(seed);
    for (int k = 0; k < nrows; k++) {
        int i = k * 5 / nrows, m = rand() % RP_NMETRICS;
        rows[k] = rp_xasprintf("%s,2026-11-%02dT%02d:%02d:00Z,%s,%d.%03d\n", ids[i],
                               1 + rand() % 28, rand() % 24, rand() % 60, rp_metric_names[m],
                               rand() % 100, rand() % 1000);
    }
    if (shuffle_rows)
        for (int k = nrows; k > 1; k--) {
            int j = rand() % k;
            char *t = rows[k - 1];
            rows[k - 1] = rows[j];
            rows[j] = t;
        }
    char *path = rp_xasprintf("%s/load.csv", dir);
    FILE *fp = fopen(path, "w");
    fputs("instance_id,timestamp,metric,value\n", fp);
    for (int k = 0; k < nrows; k++) {
        fputs(rows[k], fp);
        free(rows[k]);
    }
    fclose(fp);
    free(rows);
    free(path);
}

static float *load_profiles(size_t budget, size_t *passes)
{
    rp_fleet *f = fleet_new();
    rp_error err;
    size_t rows;
    char *path = rp_xasprintf("%s/load.csv", dir);
    ck_assert_int_eq(rp_load_read(f, path, budget, &rows, passes, &err), 0);
    free(path);
    ck_assert_uint_eq(rows, 3000);
    size_t n = f->ninst * RP_NMETRICS * (size_t)f->set.slots;
    float *copy = rp_xmalloc(n * sizeof *copy);
    memcpy(copy, f->prof, n * sizeof *copy);
    rp_fleet_free(f);
    return copy;
}

START_TEST(batches_match_single_pass)
{
    write_random_load(3000, 11, false);
    size_t passes[3];
    float *one = load_profiles(0, &passes[0]);
    /* 3,000 samples over 5 instances: a budget of 7 puts every instance in
     * its own batch, one of 1,300 two instances in each (the last alone). */
    float *tiny = load_profiles(7, &passes[1]);
    float *mid = load_profiles(1300, &passes[2]);
    ck_assert_uint_eq(passes[0], 2);
    ck_assert_uint_eq(passes[1], 1 + 5);
    ck_assert_uint_eq(passes[2], 1 + 3);
    size_t n = 5 * RP_NMETRICS * 24;
    ck_assert_int_eq(memcmp(one, tiny, n * sizeof *one), 0);
    ck_assert_int_eq(memcmp(one, mid, n * sizeof *one), 0);
    /* Same samples, rows shuffled. */
    write_random_load(3000, 11, true);
    float *shuf = load_profiles(0, NULL);
    ck_assert_int_eq(memcmp(one, shuf, n * sizeof *one), 0);
    free(one);
    free(tiny);
    free(mid);
    free(shuf);
}
END_TEST

static const char *load_error(const char *rows)
{
    static char buf[1200];
    char *text = rp_xasprintf("instance_id,timestamp,metric,value\n%s", rows);
    write_file("load.csv", text);
    free(text);
    rp_fleet *f = fleet_new();
    rp_error err;
    int rc = load(f, 0, NULL, &err);
    rp_fleet_free(f);
    if (rc == 0)
        return "";
    snprintf(buf, sizeof buf, "%ld:%ld: %s", err.line, err.col, err.msg);
    return buf;
}

START_TEST(load_errors)
{
    ck_assert_str_eq(load_error("i-9,2026-11-02T00:00:00Z,cpu_cores,1\n"),
                     "2:1: column 'instance_id': unknown instance 'i-9'");
    ck_assert_str_eq(load_error("i-1,2026-11-02T00:00:00Z,gpu,1\n"),
                     "2:26: column 'metric': unknown metric 'gpu'");
    ck_assert_str_eq(load_error("i-1,2026-11-02T00:00:00,cpu_cores,1\n"),
                     "2:5: column 'timestamp': want an ISO-8601 timestamp with offset "
                     "(2026-11-01T13:00:00Z), got '2026-11-02T00:00:00'");
    ck_assert_str_eq(load_error("i-1,2026-11-02T00:00:00Z,cpu_cores,-1\n"),
                     "2:36: column 'value': want a finite decimal number >= 0, got '-1'");
    ck_assert_str_eq(load_error("i-1,2026-11-02T00:00:00Z,cpu_cores,\n"),
                     "2:36: column 'value': empty value");
    ck_assert_str_eq(load_error("i-1,2026-11-02T00:00:00Z,cpu_cores,1e999\n"),
                     "2:36: column 'value': want a finite decimal number >= 0, got '1e999'");
    ck_assert_str_eq(load_error("i-1,2026-11-02T00:00:00Z,cpu_cores,1e39\n"),
                     "2:36: column 'value': want a finite decimal number >= 0 and <= "
                     "3.40282347e+38 (profiles are 32-bit floats), got '1e39'");
    /* Rounds to FLT_MAX; a finite decimal below the smallest double reads as 0. */
    ck_assert_str_eq(load_error("i-1,2026-11-02T00:00:00Z,cpu_cores,3.4028235e38\n"), "");
    ck_assert_str_eq(load_error("i-1,2026-11-02T00:00:00Z,cpu_cores,1e-400\n"), "");
    ck_assert_str_eq(load_error(""), "");
}
END_TEST

static int read_profiles(rp_fleet *f, const char *text, rp_error *err)
{
    write_file("p.csv", text);
    char *path = rp_xasprintf("%s/p.csv", dir);
    int rc = rp_profiles_read(f, path, err);
    free(path);
    return rc;
}

START_TEST(profiles_roundtrip)
{
    rp_fleet *f = fleet_new();
    rp_error err;
    char *path = rp_xasprintf("%s/profiles.csv", dir);
    ck_assert_int_eq(rp_profiles_read(f, path, &err), 0);
    ck_assert_float_eq(prof(f, "i-1", RP_M_DB_COMPUTE, 9), 0.6f);
    ck_assert_float_eq(prof(f, "i-5", RP_M_CPU, 3), 0.5f); /* no rows: default */
    ck_assert(!f->inst[4].has_profile[RP_M_CPU]);
    /* Awkward values survive a write and a read bit for bit. */
    float *row = f->prof + (0 * RP_NMETRICS + RP_M_SHARE_IOPS) * 24;
    row[0] = 1.0f / 3.0f;
    row[1] = 123456789.0f;
    row[2] = 1e-7f;
    row[3] = 0.1f;
    row[4] = 3.4e38f;
    row[5] = 0;
    row[6] = 1234.5678f;
    row[7] = nextafterf(1.0f, 0);
    row[8] = nextafterf(1024.0f, 0);
    row[9] = nextafterf(0.125f, 1);
    row[10] = 0.999f;
    row[11] = 1e-40f; /* subnormal */
    /* Many plain and awkward values in the other rows. */
    srand(3);
    for (size_t k = 0; k < 4 * RP_NMETRICS * 24; k++) {
        float *v = f->prof + 6 * 24 + k;
        int kind = rand() % 3;
        *v = kind == 0   ? (float)(rand() % 100000) / 1000.0f
             : kind == 1 ? (float)rand() / (float)RAND_MAX * 5000.0f
                         : nextafterf((float)(1 << (rand() % 20)), 0);
    }
    char *out = rp_xasprintf("%s/out.csv", dir);
    ck_assert_int_eq(rp_profiles_write(f, out, &err), 0);
    rp_fleet *g = fleet_new();
    ck_assert_int_eq(rp_profiles_read(g, out, &err), 0);
    size_t n = f->ninst * RP_NMETRICS * 24;
    ck_assert_int_eq(memcmp(f->prof, g->prof, n * sizeof(float)), 0);
    for (size_t i = 0; i < f->ninst; i++)
        for (int m = 0; m < RP_NMETRICS; m++)
            ck_assert(g->inst[i].has_profile[m]);
    rp_fleet_free(f);
    rp_fleet_free(g);
    free(path);
    free(out);
}
END_TEST

START_TEST(profiles_bom_and_errors)
{
    char hdr[400] = "instance_id,metric";
    for (int t = 0; t < 24; t++)
        snprintf(hdr + strlen(hdr), sizeof hdr - strlen(hdr), ",v%d", t);
    char *ok = rp_xasprintf("\xef\xbb\xbf%s\ni-2,cpu_cores%s\n", hdr,
                            ",1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24");
    rp_fleet *f = fleet_new();
    rp_error err;
    ck_assert_int_eq(read_profiles(f, ok, &err), 0);
    ck_assert_float_eq(prof(f, "i-2", RP_M_CPU, 23), 24.0f);
    rp_fleet_free(f);
    /* The same row twice. */
    char *dup = rp_xasprintf("%s%s", ok, strchr(ok + 4, '\n') + 1);
    f = fleet_new();
    ck_assert_int_lt(read_profiles(f, dup, &err), 0);
    ck_assert_str_eq(err.msg, "column 'metric': duplicate profile for instance 'i-2' metric "
                              "'cpu_cores' (first on line 2)");
    ck_assert_int_eq(err.line, 3);
    rp_fleet_free(f);
    /* v24 does not exist with 24 slots. */
    char *extra = rp_xasprintf("%s,v24\n", hdr);
    f = fleet_new();
    ck_assert_int_lt(read_profiles(f, extra, &err), 0);
    ck_assert_str_eq(err.msg, "unknown column 'v24'");
    rp_fleet_free(f);
    free(ok);
    free(dup);
    free(extra);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("profile");
    TCase *tc = tcase_create("profile");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, quantile_nearest_rank);
    tcase_add_test(tc, quantile_rank_exact_for_all_n);
    tcase_add_test(tc, quantile_with_ties_matches_sort);
    tcase_add_test(tc, load_rules);
    tcase_add_test(tc, batches_match_single_pass);
    tcase_add_test(tc, load_errors);
    tcase_add_test(tc, profiles_roundtrip);
    tcase_add_test(tc, profiles_bom_and_errors);
    suite_add_tcase(s, tc);
    return rp_test_run(s);
}

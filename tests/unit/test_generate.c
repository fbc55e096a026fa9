/* test_generate.c - the generator's PRNG, shapes, number format, and a
 * generated fleet read back through rp_fleet_load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fleet.h"
#include "generate.h"
#include "testutil.h"

START_TEST(splitmix64_reference)
{
    /* Reference outputs of Vigna's splitmix64 from state 0. */
    uint64_t st = 0;
    ck_assert_uint_eq(rp_gen_splitmix64(&st), 0xe220a8397b1dcdafULL);
    ck_assert_uint_eq(rp_gen_splitmix64(&st), 0x6e789e6aa1b965f4ULL);
    ck_assert_uint_eq(rp_gen_splitmix64(&st), 0x06c45d188009454fULL);
}
END_TEST

START_TEST(xoshiro_reference)
{
    /* xoshiro256** from state {1, 2, 3, 4} (reference test vector). */
    rp_gen_rng r = {{1, 2, 3, 4}};
    ck_assert_uint_eq(rp_gen_rng_next(&r), 11520);
    ck_assert_uint_eq(rp_gen_rng_next(&r), 0);
    ck_assert_uint_eq(rp_gen_rng_next(&r), 1509978240);
    ck_assert_uint_eq(rp_gen_rng_next(&r), 1215971899390074240ULL);
}
END_TEST

START_TEST(streams_deterministic_and_distinct)
{
    rp_gen_rng a, b, c;
    rp_gen_rng_init(&a, 42, 7);
    rp_gen_rng_init(&b, 42, 7);
    rp_gen_rng_init(&c, 42, 8);
    int same_c = 0;
    double lo = 1, hi = 0, sum = 0;
    for (int k = 0; k < 10000; k++) {
        uint64_t x = rp_gen_rng_next(&a);
        ck_assert_uint_eq(x, rp_gen_rng_next(&b));
        same_c += x == rp_gen_rng_next(&c);
        double u = rp_gen_rng_uniform(&a);
        rp_gen_rng_uniform(&b);
        rp_gen_rng_uniform(&c);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
        sum += u;
    }
    ck_assert_int_eq(same_c, 0);
    ck_assert(lo >= 0.0 && hi < 1.0);
    ck_assert_double_eq_tol(sum / 10000, 0.5, 0.02);
}
END_TEST

START_TEST(normal_moments)
{
    rp_gen_rng r;
    rp_gen_rng_init(&r, 1, 1);
    double s = 0, s2 = 0;
    for (int k = 0; k < 20000; k++) {
        double z = rp_gen_rng_normal(&r);
        s += z;
        s2 += z * z;
    }
    ck_assert_double_eq_tol(s / 20000, 0.0, 0.03);
    ck_assert_double_eq_tol(s2 / 20000, 1.0, 0.05);
}
END_TEST

START_TEST(shapes_local_time)
{
    /* office: Monday 12:00 busy, 03:00 idle, Saturday idle */
    ck_assert(rp_gen_shape(RP_GEN_OFFICE, 12, 0) > 0.95);
    ck_assert(rp_gen_shape(RP_GEN_OFFICE, 3, 0) == 0.0);
    ck_assert(rp_gen_shape(RP_GEN_OFFICE, 5 * 24 + 12, 0) == 0.0);
    /* batch: 02:00 every day, not at noon */
    ck_assert(rp_gen_shape(RP_GEN_BATCH, 6 * 24 + 2, 0) == 1.0);
    ck_assert(rp_gen_shape(RP_GEN_BATCH, 12, 0) == 0.0);
    /* weekly: the heavy day (Wednesday) carries the full load */
    double wed = rp_gen_shape(RP_GEN_WEEKLY, 2 * 24 + 12, 2);
    double mon = rp_gen_shape(RP_GEN_WEEKLY, 12, 2);
    ck_assert(wed > 0.95 && mon < 0.4 && mon > 0.2);
    ck_assert(rp_gen_shape(RP_GEN_FLAT, 77, 0) == 1.0);
    for (int how = 0; how < 168; how++)
        for (int s = 0; s < RP_GEN_NSHAPES; s++) {
            double v = rp_gen_shape(s, how, how % 5);
            ck_assert(v >= 0.0 && v <= 1.0);
        }
}
END_TEST

START_TEST(shapes_utc_slots)
{
    /* UTC-8: Monday 18:00 UTC is 10:00 local (busy), 10:00 UTC is 02:00 local */
    ck_assert(rp_gen_shape_slot(RP_GEN_OFFICE, 18, 168, -8, 0) > 0.85);
    ck_assert(rp_gen_shape_slot(RP_GEN_OFFICE, 10, 168, -8, 0) == 0.0);
    /* UTC+10: Sunday 23:00 UTC (slot 167) is Monday 09:00 local */
    ck_assert(rp_gen_shape_slot(RP_GEN_OFFICE, 167, 168, 10, 0) > 0.85);
    /* slot 0 UTC-8 is Sunday 16:00 local: idle */
    ck_assert(rp_gen_shape_slot(RP_GEN_OFFICE, 0, 168, -8, 0) == 0.0);
    /* 24 slots: the busiest day at that hour; UTC+1 noon is 13:00 local */
    ck_assert(rp_gen_shape_slot(RP_GEN_WEEKLY, 12, 24, 1, 3) > 0.95);
    ck_assert(rp_gen_shape_slot(RP_GEN_BATCH, 1, 24, 1, 0) == 1.0);
    ck_assert(rp_gen_shape_slot(RP_GEN_BATCH, 12, 24, 1, 0) == 0.0);
}
END_TEST

static void fmt_is(double v, const char *want)
{
    char buf[32];
    double r;
    int n = rp_gen_format(v, buf, &r);
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(n, (int)strlen(want));
    ck_assert(r == strtod(buf, NULL));
}

START_TEST(number_format)
{
    fmt_is(0.12345, "0.123");
    fmt_is(0.0178, "0.018");
    fmt_is(12.345, "12.3");
    fmt_is(2.0, "2");
    fmt_is(0.1, "0.1");
    fmt_is(99.96, "100");
    fmt_is(1234.4, "1234");
    fmt_is(0.0004, "0");
    fmt_is(0.0, "0");
    fmt_is(-3.0, "0");
    fmt_is(0.9996, "1");
}
END_TEST

static rp_catalog *catalog(void)
{
    rp_catalog *cat = NULL;
    rp_error err = {0};
    int rc = rp_catalog_load(rp_test_path("models/azure-vcore.json"), &cat, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    return cat;
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
    char *p = rp_xasprintf("%s/%s", dir, name);
    char *buf = rp_test_read(p, len);
    free(p);
    return buf;
}

static char *gen(const rp_catalog *cat, const rp_gen_opts *o)
{
    char *base = rp_test_tmpdir();
    char *dir = rp_xasprintf("%s/fleet", base);
    rp_error err = {0};
    int rc = rp_generate_with_catalog(o, cat, "azure-vcore", dir, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    free(base);
    return dir;
}

START_TEST(same_seed_same_bytes)
{
    rp_catalog *cat = catalog();
    rp_gen_opts o;
    rp_gen_opts_init(&o);
    o.instances = 300;
    o.load_fraction = 0.05;
    o.seed = 99;
    char *a = gen(cat, &o), *b = gen(cat, &o);
    o.seed = 100;
    char *c = gen(cat, &o);
    static const char *const files[] = {"fleet.json", "instances.csv", "profiles.csv", "load.csv"};
    for (size_t k = 0; k < 4; k++) {
        size_t na, nb, nc;
        char *x = slurp(a, files[k], &na), *y = slurp(b, files[k], &nb);
        char *z = slurp(c, files[k], &nc);
        ck_assert_uint_eq(na, nb);
        ck_assert_msg(!memcmp(x, y, na), "%s differs between runs", files[k]);
        if (k > 0) /* fleet.json may coincide for small fleets */
            ck_assert_msg(na != nc || memcmp(x, z, na), "%s ignores the seed", files[k]);
        free(x);
        free(y);
        free(z);
    }
    free(a);
    free(b);
    free(c);
    rp_catalog_free(cat);
}
END_TEST

START_TEST(fleet_loads_and_obeys_hard_rules)
{
    rp_catalog *cat = catalog();
    rp_gen_opts o;
    rp_gen_opts_init(&o);
    o.instances = 1200;
    o.slots = 24;
    char *dir = gen(cat, &o);
    rp_fleet *f = NULL;
    rp_error err = {0};
    int rc = rp_fleet_load(dir, &f, &err);
    ck_assert_msg(rc == 0, "%s:%ld:%ld: %s", err.file, err.line, err.col, err.msg);
    ck_assert_uint_eq(f->ninst, 1200);
    ck_assert_int_eq(f->set.slots, 24);
    ck_assert_uint_eq(f->nregions, 3);
    int unplaced = 0, draining = 0, broken = 0;
    for (size_t i = 0; i < f->ninst; i++) {
        const rp_instance *in = &f->inst[i];
        unplaced += in->reef < 0;
        if (in->reef >= 0)
            ck_assert_int_eq(f->reefs[in->reef].region, in->region);
        for (size_t j = i + 1; j < f->ninst && in->group >= 0; j++)
            if (f->inst[j].group == in->group)
                ck_assert_int_ne(f->inst[j].reef, in->reef);
    }
    for (size_t r = 0; r < f->nreefs; r++) {
        draining += f->reefs[r].state == RP_REEF_DRAINING;
        broken += f->reefs[r].state == RP_REEF_BROKEN;
    }
    ck_assert(unplaced > 0 && unplaced < 60);
    ck_assert_int_eq(draining, 1);
    ck_assert_int_eq(broken, 1);
    ck_assert(f->ngroups > 0);
    rp_fleet_free(f);
    free(dir);
    rp_catalog_free(cat);
}
END_TEST

START_TEST(bad_options_and_nonempty_dir)
{
    rp_catalog *cat = catalog();
    rp_gen_opts o;
    rp_gen_opts_init(&o);
    rp_error err = {0};
    char *base = rp_test_tmpdir();
    o.instances = 0;
    ck_assert_int_eq(rp_generate_with_catalog(&o, cat, "x", base, &err), RP_EUSAGE);
    ck_assert_str_eq(err.msg, "instances: 0 is not in [1, 1000000]");
    o.instances = 10;
    o.slots = 48;
    ck_assert_int_eq(rp_generate_with_catalog(&o, cat, "x", base, &err), RP_EUSAGE);
    ck_assert_str_eq(err.msg, "slots: 48 is not 24 or 168");
    o.slots = 168;
    free(rp_test_write(base, "keep.txt", "x"));
    ck_assert_int_eq(rp_generate_with_catalog(&o, cat, "x", base, &err), RP_EUSAGE);
    ck_assert_str_eq(err.msg, "output directory exists and is not empty");
    /* an empty existing directory is fine */
    char *empty = rp_xasprintf("%s/empty", base);
    ck_assert_int_eq(mkdir(empty, 0755), 0);
    ck_assert_int_eq(rp_generate_with_catalog(&o, cat, "x", empty, &err), 0);
    size_t n;
    free(slurp(empty, "fleet.json", &n));
    ck_assert(n > 100);
    free(empty);
    free(base);
    rp_catalog_free(cat);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("generate");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, splitmix64_reference);
    tcase_add_test(tc, xoshiro_reference);
    tcase_add_test(tc, streams_deterministic_and_distinct);
    tcase_add_test(tc, normal_moments);
    tcase_add_test(tc, shapes_local_time);
    tcase_add_test(tc, shapes_utc_slots);
    tcase_add_test(tc, number_format);
    tcase_add_test(tc, same_seed_same_bytes);
    tcase_add_test(tc, fleet_loads_and_obeys_hard_rules);
    tcase_add_test(tc, bad_options_and_nonempty_dir);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_test_run(suite());
}

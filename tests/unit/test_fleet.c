/* test_fleet.c - loading a fleet directory end to end, name lookups and
 * indexes. Defects in fleet.json are pinned by tests/bad/fleet-*. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet.h"
#include "testutil.h"

static void rm_tree(char *dir)
{
    char *cmd = rp_xasprintf("rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    free(dir);
}

/* A private copy of tests/fixtures/tiny (rp_test_fixture_copy leaks a path
 * string, which fails this test under LeakSanitizer). */
static char *copy_tiny(void)
{
    char *d = rp_test_tmpdir();
    char *cmd = rp_xasprintf("cp -r '%s'/. '%s'", rp_test_path("tests/fixtures/tiny"), d);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    return d;
}

/* Replaces the first occurrence of from in dir/fleet.json by to. */
static void edit_fleet(const char *dir, const char *from, const char *to)
{
    char *path = rp_xasprintf("%s/fleet.json", dir);
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    char *hit = strstr(buf, from);
    ck_assert_ptr_nonnull(hit);
    *hit = '\0';
    char *text = rp_xasprintf("%s%s%s", buf, to, hit + strlen(from));
    free(rp_test_write(dir, "fleet.json", text));
    free(text);
    free(path);
}

START_TEST(tiny_loads)
{
    rp_fleet *f;
    rp_error err = {0};
    int rc = rp_fleet_load(rp_test_path("tests/fixtures/tiny"), &f, &err);
    ck_assert_msg(rc == 0, "%s:%ld:%ld: %s", err.file, err.line, err.col, err.msg);
    ck_assert_str_eq(f->cat->name, "azure-vcore");
    ck_assert_uint_eq(f->nplans, 2);
    ck_assert_uint_eq(f->nregions, 1);
    ck_assert_uint_eq(f->nreefs, 2);
    ck_assert_uint_eq(f->ninst, 5);
    ck_assert_int_eq(f->set.slots, 24);
    ck_assert_double_eq(f->set.quantile, 0.95);
    ck_assert_double_eq(f->set.headroom[RP_M_DB_COMPUTE], 0.30);
    ck_assert_double_eq(f->set.headroom[RP_M_SHARE_GB], 0.10);
    ck_assert_int_eq(f->set.max_instances_per_reef, 300);
    ck_assert_int_eq(f->set.move_budget, 40);
    ck_assert_int_eq(f->set.move_cooldown_days, 14);
    ck_assert_double_eq(f->set.tier_change_cost, 5.0);
    ck_assert_int_eq(f->set.now, 1795824000);
    ck_assert_double_eq(f->plans[1].move_cost, 40.0);
    ck_assert_double_eq(f->plans[1].default_profile[RP_M_SHARE_IOPS], 300);
    const rp_reef *r = &f->reefs[rp_fleet_find_reef(f, "wus2-02")];
    ck_assert_str_eq(r->name, "wus2-02");
    ck_assert_str_eq(f->cat->pools[r->pool].sku, "GP_Gen5_4");
    ck_assert_str_eq(f->cat->templates[r->template_idx].name, "standard");
    ck_assert_int_eq(r->state, RP_REEF_ACTIVE);
    ck_assert_int_eq(r->nodes, 3);
    ck_assert_int_eq(rp_fleet_find_reef(f, "wus2-03"), -1);
    ck_assert_int_eq(rp_fleet_find_region(f, "westus2"), 0);
    ck_assert_int_eq(rp_fleet_find_plan(f, "premium"), 1);
    ck_assert_int_eq(rp_fleet_find_plan(f, "gold"), -1);
    ck_assert_int_eq(rp_fleet_find_group(f, "g1"), 0);
    ck_assert_int_eq(rp_fleet_find_group(f, "g2"), -1);
    int i1 = rp_fleet_find_instance(f, "i-1"), i5 = rp_fleet_find_instance(f, "i-5");
    ck_assert_str_eq(f->inst[i1].id, "i-1");
    ck_assert_int_eq(rp_fleet_find_instance(f, "i-9"), -1);
    /* Peaks from profiles.csv; i-5 has none and takes its plan default, flat. */
    ck_assert_float_eq_tol(rp_fleet_peak(f, i1, RP_M_DB_COMPUTE), 0.6f, 1e-6);
    ck_assert_float_eq_tol(rp_fleet_profile(f, i1, RP_M_CPU)[9], 0.8f, 1e-6);
    ck_assert_float_eq_tol(rp_fleet_peak(f, rp_fleet_find_instance(f, "i-3"), RP_M_MEMORY), 7.5f,
                           1e-6);
    ck_assert(f->inst[i1].has_profile[RP_M_SHARE_IOPS]);
    ck_assert(!f->inst[i5].has_profile[RP_M_DB_COMPUTE]);
    ck_assert_float_eq_tol(rp_fleet_profile(f, i5, RP_M_DB_COMPUTE)[17], 0.25f, 1e-6);
    ck_assert_float_eq_tol(rp_fleet_peak(f, i5, RP_M_SHARE_GB), 20.0f, 1e-6);
    rp_fleet_free(f);
}
END_TEST

START_TEST(optional_settings)
{
    char *dir = copy_tiny();
    edit_fleet(dir, "\"move_budget\": 40", "\"move_budget\": null");
    edit_fleet(dir, ",\n    \"now\": \"2026-11-28T00:00:00Z\"", "");
    char *slash = rp_xasprintf("%s//", dir);
    rp_fleet *f;
    rp_error err = {0};
    time_t before = time(NULL);
    int rc = rp_fleet_load_json(slash, &f, &err);
    ck_assert_msg(rc == 0, "%s:%ld:%ld: %s", err.file, err.line, err.col, err.msg);
    ck_assert_str_eq(f->dir, dir);
    ck_assert_int_eq(f->set.move_budget, -1);
    ck_assert_int_ge(f->set.now, before);
    ck_assert_int_le(f->set.now, time(NULL));
    ck_assert_uint_eq(f->ninst, 0);
    rp_fleet_free(f);
    free(slash);
    rm_tree(dir);
}
END_TEST

START_TEST(load_csv_fallback)
{
    char *dir = copy_tiny();
    char *p = rp_xasprintf("%s/profiles.csv", dir);
    remove(p);
    free(p);
    free(rp_test_write(dir, "load.csv",
                       "instance_id,timestamp,metric,value\n"
                       "i-1,2026-11-02T03:10:00Z,cpu_cores,1.5\n"
                       "i-1,2026-11-03T05:00:00Z,cpu_cores,0.5\n"));
    rp_fleet *f;
    rp_error err = {0};
    int rc = rp_fleet_load(dir, &f, &err);
    ck_assert_msg(rc == 0, "%s:%ld:%ld: %s", err.file, err.line, err.col, err.msg);
    int i1 = rp_fleet_find_instance(f, "i-1");
    ck_assert(f->inst[i1].has_profile[RP_M_CPU]);
    ck_assert(!f->inst[i1].has_profile[RP_M_MEMORY]);
    ck_assert_float_eq_tol(rp_fleet_profile(f, i1, RP_M_CPU)[3], 1.5f, 1e-6);
    ck_assert_float_eq_tol(rp_fleet_profile(f, i1, RP_M_CPU)[5], 0.5f, 1e-6);
    ck_assert_float_eq_tol(rp_fleet_peak(f, i1, RP_M_CPU), 1.5f, 1e-6);
    ck_assert_float_eq_tol(rp_fleet_peak(f, i1, RP_M_MEMORY), 2.0f, 1e-6);
    rp_fleet_free(f);
    rm_tree(dir);
}
END_TEST

START_TEST(neither_profiles_nor_load)
{
    char *dir = copy_tiny();
    char *p = rp_xasprintf("%s/profiles.csv", dir);
    remove(p);
    free(p);
    rp_fleet *f = (rp_fleet *)1;
    rp_error err = {0};
    ck_assert_int_eq(rp_fleet_load(dir, &f, &err), RP_EIO);
    ck_assert_ptr_null(f);
    ck_assert_str_eq(err.file, dir);
    ck_assert_int_eq(err.line, 0);
    ck_assert_str_eq(err.msg, "neither profiles.csv nor load.csv found");
    rm_tree(dir);
}
END_TEST

START_TEST(index_finds_first_duplicate)
{
    rp_fleet f = {0};
    rp_instance inst[5] = {{.id = "b"}, {.id = "a"}, {.id = "c"}, {.id = "a"}, {.id = "b"}};
    f.inst = inst;
    f.ninst = 3;
    ck_assert_int_eq(rp_fleet_index_instances(&f), -1);
    ck_assert_str_eq(f.inst_sorted[0], "a");
    ck_assert_int_eq(f.inst_order[0], 1);
    ck_assert_int_eq(rp_fleet_find_instance(&f, "c"), 2);
    f.ninst = 5;
    ck_assert_int_eq(rp_fleet_index_instances(&f), 3);
    f.ninst = 2;
    ck_assert_int_eq(rp_fleet_index_instances(&f), -1);
    free(f.inst_sorted);
    free(f.inst_order);
}
END_TEST

START_TEST(names)
{
    ck_assert_int_eq(rp_metric_index("share_iops"), RP_M_SHARE_IOPS);
    ck_assert_int_eq(rp_metric_index("db_storage_gb"), RP_M_DB_STORAGE);
    ck_assert_int_eq(rp_metric_index("cpu"), -1);
    ck_assert_str_eq(rp_metric_names[RP_M_MEMORY], "memory_gb");
    ck_assert_str_eq(rp_tier_names[RP_TIER_STORAGE], "storage");
    ck_assert_str_eq(rp_reef_state_names[RP_REEF_DRAINING], "draining");
    rp_fleet_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fleet");
    TCase *tc = tcase_create("fleet");
    tcase_add_test(tc, tiny_loads);
    tcase_add_test(tc, optional_settings);
    tcase_add_test(tc, load_csv_fallback);
    tcase_add_test(tc, neither_profiles_nor_load);
    tcase_add_test(tc, index_finds_first_duplicate);
    tcase_add_test(tc, names);
    suite_add_tcase(s, tc);
    return rp_test_run(s);
}

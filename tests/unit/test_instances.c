/* test_instances.c - instances.csv on top of the tiny fixture's fleet.json:
 * fields, groups, placements, and exact located errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instances.h"
#include "testutil.h"
#include "timefmt.h"

#define HEADER "instance_id,region,plan,reef,db,compute,storage,pinned,group,last_moved,window\n"

static char *dir;
static rp_fleet *fleet;

static void setup(void)
{
    dir = rp_test_fixture_copy("tiny");
    rp_error err;
    ck_assert_int_eq(rp_fleet_load_json(dir, &fleet, &err), 0);
}

static void teardown(void)
{
    rp_fleet_free(fleet);
    char *cmd = rp_xasprintf("rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    free(dir);
}

static int read_text(const char *text, rp_error *err)
{
    char *path = rp_test_write(dir, "instances.csv", text);
    int rc = rp_instances_read(fleet, path, err);
    free(path);
    return rc;
}

/* "LINE:COL: MSG" of reading HEADER + rows, or "" when accepted. */
static const char *error_of(const char *rows)
{
    static char buf[1200];
    char *text = rp_xasprintf(HEADER "%s", rows);
    rp_error err;
    int rc = read_text(text, &err);
    free(text);
    if (rc == 0)
        return "";
    snprintf(buf, sizeof buf, "%ld:%ld: %s", err.line, err.col, err.msg);
    return buf;
}

START_TEST(reads_fixture)
{
    rp_error err;
    char *path = rp_xasprintf("%s/instances.csv", dir);
    ck_assert_int_eq(rp_instances_read(fleet, path, &err), 0);
    free(path);
    ck_assert_uint_eq(fleet->ninst, 5);
    const rp_instance *i2 = &fleet->inst[1], *i3 = &fleet->inst[2], *i5 = &fleet->inst[4];
    ck_assert_str_eq(i2->id, "i-2");
    ck_assert_int_eq(i2->reef, rp_fleet_find_reef(fleet, "wus2-01"));
    ck_assert_int_eq(i2->tier[RP_TIER_DB], RP_SHARED);
    ck_assert(!i2->pinned);
    int64_t t;
    rp_date_parse("2026-11-01", &t);
    ck_assert_int_eq(i2->last_moved, t);
    ck_assert_int_eq(i2->window.start, 6 * 1440 + 120);
    ck_assert_int_eq(i3->tier[RP_TIER_DB], RP_DEDICATED);
    ck_assert(i3->pinned);
    ck_assert_int_eq(i3->plan, rp_fleet_find_plan(fleet, "premium"));
    ck_assert_int_eq(i5->reef, -1);
    ck_assert_int_eq(i5->last_moved, RP_NO_TIME);
    ck_assert_int_eq(i5->window.start, -1);
    /* Groups: "g1" on i-2 and i-3. */
    ck_assert_uint_eq(fleet->ngroups, 1);
    ck_assert_str_eq(fleet->groups[0], "g1");
    ck_assert_int_eq(i2->group, 0);
    ck_assert_int_eq(i3->group, 0);
    ck_assert_int_eq(fleet->inst[0].group, -1);
    /* The instance index is built. */
    ck_assert_int_eq(rp_fleet_find_instance(fleet, "i-4"), 3);
    ck_assert_int_eq(rp_fleet_find_instance(fleet, "i-9"), -1);
}
END_TEST

START_TEST(groups_sorted_and_timestamps)
{
    ck_assert_str_eq(error_of("b,westus2,standard,,,,,false,zeta,2026-11-01T10:00:00Z,\n"
                              "a,westus2,standard,,,,,true,alpha,,\n"
                              "c,westus2,standard,,,,,false,zeta,,\n"),
                     "");
    ck_assert_uint_eq(fleet->ngroups, 2);
    ck_assert_str_eq(fleet->groups[0], "alpha");
    ck_assert_str_eq(fleet->groups[1], "zeta");
    ck_assert_int_eq(fleet->inst[0].group, 1);
    ck_assert_int_eq(fleet->inst[1].group, 0);
    ck_assert_int_eq(fleet->inst[2].group, 1);
    int64_t t;
    rp_time_parse("2026-11-01T10:00:00Z", &t);
    ck_assert_int_eq(fleet->inst[0].last_moved, t);
    ck_assert_int_eq(rp_fleet_find_group(fleet, "zeta"), 1);
}
END_TEST

START_TEST(zero_rows_and_columns_any_order)
{
    ck_assert_str_eq(error_of(""), "");
    ck_assert_uint_eq(fleet->ninst, 0);
    rp_error err;
    rp_fleet_free(fleet); /* instances are read once into a fleet */
    ck_assert_int_eq(rp_fleet_load_json(dir, &fleet, &err), 0);
    ck_assert_int_eq(read_text("window,x_owner,last_moved,group,pinned,storage,compute,db,reef,"
                               "plan,region,instance_id\n"
                               ",alice,,,false,,,,,standard,westus2,i-1\n",
                               &err),
                     0);
    ck_assert_uint_eq(fleet->ninst, 1);
    ck_assert_str_eq(fleet->inst[0].id, "i-1");
}
END_TEST

START_TEST(errors)
{
    ck_assert_str_eq(error_of("i-1,eastus,standard,,,,,false,,,\n"),
                     "2:5: column 'region': unknown region 'eastus'");
    ck_assert_str_eq(error_of("i-1,westus2,gold,,,,,false,,,\n"),
                     "2:13: column 'plan': unknown plan 'gold'");
    ck_assert_str_eq(error_of("i-1,westus2,standard,wus2-09,shared,shared,shared,false,,,\n"),
                     "2:22: column 'reef': unknown reef 'wus2-09'");
    ck_assert_str_eq(error_of("i-1,westus2,standard,wus2-01,shared,big,shared,false,,,\n"),
                     "2:37: column 'compute': want shared or dedicated, got 'big'");
    ck_assert_str_eq(error_of("i-1,westus2,standard,wus2-01,,shared,shared,false,,,\n"),
                     "2:30: column 'db': empty in a partial placement (reef, db, compute and "
                     "storage must all be set or all be empty)");
    ck_assert_str_eq(error_of("i-1,westus2,standard,,shared,shared,shared,false,,,\n"),
                     "2:22: column 'reef': empty in a partial placement (reef, db, compute and "
                     "storage must all be set or all be empty)");
    ck_assert_str_eq(error_of("i-1,westus2,standard,,,,,yes,,,\n"),
                     "2:26: column 'pinned': want true or false, got 'yes'");
    ck_assert_str_eq(error_of("i-1,westus2,standard,,,,,false,,2026-02-30,\n"),
                     "2:33: column 'last_moved': want an ISO date (YYYY-MM-DD) or UTC timestamp, "
                     "got '2026-02-30'");
    ck_assert_str_eq(error_of("i-1,westus2,standard,,,,,false,,,Sunday 2am\n"),
                     "2:34: column 'window': want a weekly window like 'Sun 02:00-04:00', got "
                     "'Sunday 2am'");
    ck_assert_str_eq(error_of(",westus2,standard,,,,,false,,,\n"),
                     "2:1: column 'instance_id': empty instance id");
    ck_assert_str_eq(error_of("i-1,westus2,standard,,,,,false,,\n"),
                     "2:33: row has 10 fields, header has 11");
}
END_TEST

START_TEST(duplicates_name_first_line)
{
    ck_assert_str_eq(error_of("i-1,westus2,standard,,,,,false,,,\n"
                              "i-2,westus2,standard,,,,,false,,,\n"
                              "i-3,westus2,standard,,,,,false,,,\n"
                              "i-2,westus2,standard,,,,,false,,,\n"
                              "i-1,westus2,standard,,,,,false,,,\n"),
                     "5:1: column 'instance_id': duplicate instance id 'i-2' (first on line 3)");
}
END_TEST

START_TEST(reef_in_other_region)
{
    /* Add a second region with a reef by hand. */
    fleet->regions = rp_xreallocarray(fleet->regions, 2, sizeof *fleet->regions);
    fleet->regions[1] = fleet->regions[0];
    fleet->regions[1].name = rp_xstrdup("eastus");
    fleet->nregions = 2;
    ck_assert_str_eq(error_of("i-1,eastus,standard,wus2-01,shared,shared,shared,false,,,\n"),
                     "2:21: column 'reef': reef 'wus2-01' is in region 'westus2', not 'eastus'");
}
END_TEST

START_TEST(header_errors)
{
    rp_error err;
    ck_assert_int_lt(read_text("instance_id,region,plan,reef,db,compute,storage,pinned,group,"
                               "last_moved\n",
                               &err),
                     0);
    ck_assert_str_eq(err.msg, "missing column 'window'");
    ck_assert_int_lt(read_text("instance_id,region,plan,reef,db,compute,storage,pinned,group,"
                               "last_moved,window,owner\n",
                               &err),
                     0);
    ck_assert_str_eq(err.msg, "unknown column 'owner'");
    ck_assert_int_eq(err.col, 80);
    ck_assert_int_lt(read_text("", &err), 0);
    ck_assert_str_eq(err.msg, "empty file");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("instances");
    TCase *tc = tcase_create("instances");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reads_fixture);
    tcase_add_test(tc, groups_sorted_and_timestamps);
    tcase_add_test(tc, zero_rows_and_columns_any_order);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, duplicates_name_first_line);
    tcase_add_test(tc, reef_in_other_region);
    tcase_add_test(tc, header_errors);
    suite_add_tcase(s, tc);
    return rp_test_run(s);
}

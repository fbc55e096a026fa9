/* test_verify.c - the plan oracle on hand-written plans over the tiny fleet
 * (tests/fixtures/plans): the valid plans pass, each crafted defect is
 * caught with its exact message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "plan.h"
#include "testutil.h"
#include "verify.h"

/* Replaces every occurrence of from in s with to (freeing s). */
static char *replace(char *s, const char *from, const char *to)
{
    char *hit;
    size_t off = 0;
    while ((hit = strstr(s + off, from)) != NULL) {
        size_t pre = (size_t)(hit - s);
        char *t = rp_xasprintf("%.*s%s%s", (int)pre, s, to, hit + strlen(from));
        free(s);
        s = t;
        off = pre + strlen(to);
    }
    return s;
}

/* Replaces the last occurrence of from in dir/fleet.json (reef wus2-02 is
 * the last reef, so "active" there is its state). */
static void edit_fleet(const char *dir, const char *from, const char *to)
{
    char *path = rp_xasprintf("%s/fleet.json", dir);
    char *s = rp_test_read(path, NULL), *last = NULL, *hit = s;
    while ((hit = strstr(hit, from)) != NULL)
        last = hit++;
    ck_assert_ptr_nonnull(last);
    char *t = rp_xasprintf("%.*s%s%s", (int)(last - s), s, to, last + strlen(from));
    free(rp_test_write(dir, "fleet.json", t));
    free(t);
    free(s);
    free(path);
}

typedef struct run {
    char *dir;
    rp_fleet *f;
    rp_plan *p;
    rp_verify_report rep;
} run;

/* Verifies fixture plan `name` against tiny, with fleet.json edited by the
 * (from, to) pairs of edits (NULL-terminated; NULL for none). */
static void verify_fixture(run *r, const char *name, const char *const *edits)
{
    rp_error err = {0};
    r->dir = rp_test_fixture_copy("tiny");
    for (; edits && *edits; edits += 2)
        edit_fleet(r->dir, edits[0], edits[1]);
    ck_assert_int_eq(rp_fleet_load(r->dir, &r->f, &err), 0);
    char fp[80];
    ck_assert_int_eq(rp_fleet_fingerprint(r->f, fp, &err), 0);
    char *rel = rp_xasprintf("tests/fixtures/plans/%s.json", name);
    char *text = replace(rp_test_read(rp_test_path(rel), NULL), "@FINGERPRINT@", fp);
    char *path = rp_test_write(r->dir, "plan.json", text);
    int rc = rp_plan_read(path, r->f, &r->p, &err);
    ck_assert_msg(rc == 0, "%s: %s", name, err.msg);
    rp_verify(r->f, r->p, &r->rep);
    free(path);
    free(text);
    free(rel);
}

static void run_free(run *r)
{
    char *cmd = rp_xasprintf("rm -rf '%s'", r->dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    free(r->dir);
    rp_verify_report_free(&r->rep);
    rp_plan_free(r->p);
    rp_fleet_free(r->f);
}

static bool has(const run *r, const char *msg)
{
    for (size_t k = 0; k < r->rep.nmsgs; k++)
        if (!strcmp(r->rep.msgs[k], msg))
            return true;
    return false;
}

static void dump(const run *r)
{
    for (size_t k = 0; k < r->rep.nmsgs; k++)
        fprintf(stderr, "  %s\n", r->rep.msgs[k]);
}

#define EDITS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define STATE_OF_02(st) EDITS("\"active\"", "\"" st "\"")
#define EXPECT(r, msg) ck_assert_msg(has(r, msg), "missing violation: %s", msg)
#define EXPECT_N(r, n)                                                                             \
    do {                                                                                           \
        if ((r)->rep.nviolations != (size_t)(n))                                                   \
            dump(r);                                                                               \
        ck_assert_uint_eq((r)->rep.nviolations, (size_t)(n));                                      \
    } while (0)

START_TEST(valid_plan_passes)
{
    run r;
    verify_fixture(&r, "valid", NULL);
    EXPECT_N(&r, 0);
    ck_assert_double_eq_tol(r.rep.sum.cost_before, 4136.37, 0.005);
    ck_assert_double_eq_tol(r.rep.sum.cost_after, 4137.57, 0.005);
    ck_assert_double_eq_tol(r.rep.sum.objective, 4137.57, 0.005);
    run_free(&r);
}
END_TEST

START_TEST(one_move_within_budget_passes)
{
    run r;
    verify_fixture(&r, "one_move", NULL);
    EXPECT_N(&r, 0);
    ck_assert_int_eq(r.rep.sum.moves, 1);
    ck_assert_double_eq_tol(r.rep.sum.objective, 4157.57, 0.005);
    run_free(&r);
}
END_TEST

START_TEST(broken_reef_restored_passes)
{
    /* Pinned i-3 and cooldown i-4 leave the broken reef, over a zero budget. */
    run r;
    verify_fixture(&r, "broken_restored",
                   EDITS("\"active\"", "\"broken\"", "\"move_budget\": 40", "\"move_budget\": 0"));
    EXPECT_N(&r, 0);
    ck_assert_int_eq(r.rep.sum.reefs_opened, 1);
    ck_assert_int_eq(r.rep.sum.reefs_deleted, 1);
    ck_assert_double_eq_tol(r.rep.sum.objective, 3806.75, 0.005);
    run_free(&r);
}
END_TEST

START_TEST(over_capacity_at_a_slot)
{
    run r;
    verify_fixture(&r, "over_capacity", NULL);
    EXPECT(&r, "reef wus2-02: rule 1 db_compute at slot 14: 1.88 > 1.40");
    EXPECT(&r, "reef wus2-02: rule 1 db_compute at slot 14: 1.88 > 1.40 (after action 2)");
    EXPECT(&r, "instance i-3: rule 10 pinned, but its db changes from dedicated to shared");
    EXPECT(&r, "action 2 (set_tier): instance i-3 is pinned: rule 10, it keeps its tiers");
    EXPECT_N(&r, 4);
    run_free(&r);
}
END_TEST

START_TEST(group_in_one_reef)
{
    run r;
    verify_fixture(&r, "wrong_group", NULL);
    EXPECT(&r, "reef wus2-02: rule 7 group g1: instances i-2 and i-3 in the same reef");
    EXPECT_N(&r, 2); /* and the same after action 2 */
    run_free(&r);
}
END_TEST

START_TEST(pinned_moved)
{
    run r;
    verify_fixture(&r, "pinned_moved", NULL);
    EXPECT(&r, "instance i-3: rule 10 pinned, but moved from wus2-02 to wus2-01");
    run_free(&r);
}
END_TEST

START_TEST(cooldown_moved)
{
    run r;
    verify_fixture(&r, "cooldown", NULL);
    EXPECT(&r, "instance i-4: rule 10 cooldown: moved from wus2-02 to wus2-01, last moved "
               "2026-11-20 (within 14 days)");
    EXPECT_N(&r, 1);
    run_free(&r);
}
END_TEST

START_TEST(move_budget_exceeded)
{
    run r;
    verify_fixture(&r, "one_move", EDITS("\"move_budget\": 40", "\"move_budget\": 0"));
    EXPECT(&r, "plan: rule 10 moves: 1 > move_budget 0 (moves out of broken reefs not counted)");
    EXPECT_N(&r, 1);
    run_free(&r);
}
END_TEST

START_TEST(draining_reef_gains)
{
    run r;
    verify_fixture(&r, "draining_gains", STATE_OF_02("draining"));
    EXPECT(&r, "reef wus2-02: rule 9 draining reef gains instance i-5");
    EXPECT(&r, "action 1 (place): reef wus2-02 is draining and takes no instance");
    EXPECT_N(&r, 2);
    run_free(&r);
}
END_TEST

START_TEST(draining_stayers_must_be_deferred)
{
    run r;
    verify_fixture(&r, "valid", STATE_OF_02("draining"));
    EXPECT(&r, "instance i-3: rule 9 stays in draining reef wus2-02 but is not deferred");
    EXPECT(&r, "instance i-4: rule 9 stays in draining reef wus2-02 but is not deferred");
    EXPECT_N(&r, 2);
    run_free(&r);
}
END_TEST

START_TEST(deferred_outside_draining)
{
    run r;
    verify_fixture(&r, "draining_gains", NULL);
    EXPECT(&r, "instance i-3: deferred, but it does not stay in a draining reef");
    EXPECT_N(&r, 2);
    run_free(&r);
}
END_TEST

START_TEST(broken_reef_kept)
{
    run r;
    verify_fixture(&r, "valid", STATE_OF_02("broken"));
    EXPECT(&r, "instance i-3: rule 9 placed in broken reef wus2-02");
    EXPECT(&r, "instance i-4: rule 9 placed in broken reef wus2-02");
    EXPECT_N(&r, 2);
    run_free(&r);
}
END_TEST

START_TEST(load_arrives_before_capacity)
{
    /* The target is feasible (the new reef ends with 3 nodes), but the
     * migration lands while it has 0. */
    run r;
    verify_fixture(&r, "replay_early", NULL);
    EXPECT(&r, "reef wus2-03: rule 4 cpu_cores at slot 9: 0.80 > 0.00 (after action 2)");
    EXPECT(&r, "reef wus2-03: rule 4 min_nodes: 0 < 3 (after action 2)");
    EXPECT_N(&r, 4);
    run_free(&r);
}
END_TEST

START_TEST(wrong_summary_cost)
{
    run r;
    verify_fixture(&r, "wrong_summary", NULL);
    EXPECT(&r, "summary cost_after: stated 4147.57, recomputed 4137.57");
    EXPECT_N(&r, 1);
    run_free(&r);
}
END_TEST

START_TEST(window_respected)
{
    run r;
    verify_fixture(&r, "window", NULL);
    EXPECT(&r, "action 2 (migrate): not_before is outside instance i-2's window");
    run_free(&r);
    verify_fixture(&r, "wrong_group", NULL); /* same move inside the window */
    ck_assert(!has(&r, "action 2 (migrate): not_before is outside instance i-2's window"));
    run_free(&r);
}
END_TEST

START_TEST(instance_missing)
{
    run r;
    verify_fixture(&r, "missing", NULL);
    EXPECT(&r, "instance i-4: neither placed nor listed unplaced");
    EXPECT_N(&r, 1);
    run_free(&r);
}
END_TEST

/* In-memory edits of a valid plan: each breaks exactly one thing. */
START_TEST(in_memory_defects)
{
    run r;
    verify_fixture(&r, "valid", NULL);
    rp_verify_report rep;

    r.p->act[0].id = 3;
    r.p->act[0].ndepends = 1;
    free(r.p->act[0].depends_on);
    r.p->act[0].depends_on = rp_xcalloc(1, sizeof(int));
    r.p->act[0].depends_on[0] = 7;
    if (rp_verify(r.f, r.p, &rep) != 1)
        for (size_t k = 0; k < rep.nmsgs; k++)
            fprintf(stderr, "  %s\n", rep.msgs[k]);
    ck_assert_uint_eq(rep.nviolations, 1);
    ck_assert_str_eq(rep.msgs[0], "action 3: depends on unknown action 7");
    rp_verify_report_free(&rep);
    r.p->act[0].ndepends = 0;

    r.p->reefs[0].nodes = 4; /* stated size the actions never reach */
    r.p->sum.cost_after += 280.32;
    r.p->sum.objective += 280.32;
    if (rp_verify(r.f, r.p, &rep) != 1)
        for (size_t k = 0; k < rep.nmsgs; k++)
            fprintf(stderr, "  %s\n", rep.msgs[k]);
    ck_assert_uint_eq(rep.nviolations, 1);
    ck_assert_str_eq(rep.msgs[0], "reef wus2-01: the actions leave 3 nodes, the plan states 4");
    rp_verify_report_free(&rep);
    r.p->reefs[0].nodes = 3;
    r.p->sum.cost_after -= 280.32;
    r.p->sum.objective -= 280.32;

    r.p->sum.lower_bound = 0;
    r.p->place[2].ded.db_sku = rp_catalog_db(r.f->cat, "GP_Gen5_2"); /* too small for i-3 */
    r.p->sum.cost_after -= 368.37;
    r.p->sum.objective -= 368.37;
    if (rp_verify(r.f, r.p, &rep) != 1)
        for (size_t k = 0; k < rep.nmsgs; k++)
            fprintf(stderr, "  %s\n", rep.msgs[k]);
    ck_assert_uint_eq(rep.nviolations, 1);
    ck_assert_str_eq(rep.msgs[0],
                     "instance i-3: rule 8 dedicated db GP_Gen5_2: db_compute peak 1.80 > 1.40");
    rp_verify_report_free(&rep);
    run_free(&r);
}
END_TEST

/* One wave of one_move: i-5 placed into wus2-01 (action 1), i-1 migrated
 * out of it (action 2), and here its pool resized to a larger one (action
 * 3) that holds fewer databases (max_dbs 2 in memory, as a premium DTU pool
 * holds fewer than the standard one below it). In id order the reef has 2
 * databases at the resize; run at once, the resize may come before the
 * migration out, with 3. */
START_TEST(wave_resize_before_migration_out)
{
    run r;
    verify_fixture(&r, "one_move", NULL);
    EXPECT_N(&r, 0);
    int to = rp_catalog_pool(r.f->cat, "GP_Gen5_8"), from = rp_catalog_pool(r.f->cat, "GP_Gen5_4");
    ck_assert_int_ge(to, 0);
    r.f->cat->pools[to].max_dbs = 2;
    r.p->act = rp_xreallocarray(r.p->act, r.p->nact + 1, sizeof *r.p->act);
    r.p->act[r.p->nact++] = (rp_action){.id = 3,
                                        .type = RP_ACT_RESIZE_POOL,
                                        .reef = 0,
                                        .from_reef = -1,
                                        .inst = -1,
                                        .from = from,
                                        .to = to,
                                        .resource = -1,
                                        .not_before = RP_NO_TIME,
                                        .not_after = RP_NO_TIME,
                                        .wave = 1};
    ck_assert_str_eq(r.p->reefs[0].name, "wus2-01");
    r.p->reefs[0].pool = to;
    rp_verify_report rep;
    rp_verify(r.f, r.p, &rep);
    const char *want = "wave 1 in another order (in reef wus2-01, what takes room first): reef "
                       "wus2-01: rule 3 max_dbs: 3 > 2 (after action 3)";
    size_t found = 0;
    for (size_t k = 0; k < rep.nmsgs; k++) {
        found += !strcmp(rep.msgs[k], want);
        /* the resize's price changes the summary; nothing else may fail */
        ck_assert_msg(!strcmp(rep.msgs[k], want) || !strncmp(rep.msgs[k], "summary ", 8),
                      "unexpected violation: %s", rep.msgs[k]);
    }
    ck_assert_uint_eq(found, 1);
    rp_verify_report_free(&rep);
    run_free(&r);
}
END_TEST

/* Rule 8 for compute and storage: i-1's peaks raised past one D8s_v5 node
 * (6.256 cores, 23.768 GiB after headroom) and past a 100 GiB premium
 * share (90 GiB, 2,480 IOPS), then the plan gives it exactly those sizes. */
START_TEST(dedicated_sizes_below_peak)
{
    static const char *const raise[][2] = {
        {"i-1,cpu_cores,0.2,0.2,0.2,0.2,0.355,0.5,0.624,0.72,0.78,0.8,",
         "i-1,cpu_cores,0.2,0.2,0.2,0.2,0.355,0.5,0.624,0.72,0.78,7.0,"},
        {"i-1,memory_gb,1.0,1.0,1.0,1.0,1.388,1.75,2.061,2.299,2.449,2.5,",
         "i-1,memory_gb,1.0,1.0,1.0,1.0,1.388,1.75,2.061,2.299,2.449,25.0,"},
        {"i-1,share_gb,30.0,", "i-1,share_gb,95.0,"},
        {"i-1,share_iops,20.0,", "i-1,share_iops,2500.0,"},
    };
    run r = {0};
    rp_error err = {0};
    r.dir = rp_test_fixture_copy("tiny");
    char *ppath = rp_xasprintf("%s/profiles.csv", r.dir);
    char *prof = rp_test_read(ppath, NULL);
    for (size_t k = 0; k < sizeof raise / sizeof raise[0]; k++) {
        ck_assert_ptr_nonnull(strstr(prof, raise[k][0]));
        prof = replace(prof, raise[k][0], raise[k][1]);
    }
    free(rp_test_write(r.dir, "profiles.csv", prof));
    free(prof);
    free(ppath);
    ck_assert_int_eq(rp_fleet_load(r.dir, &r.f, &err), 0);
    char fp[80];
    ck_assert_int_eq(rp_fleet_fingerprint(r.f, fp, &err), 0);
    char *text = replace(rp_test_read(rp_test_path("tests/fixtures/plans/valid.json"), NULL),
                         "@FINGERPRINT@", fp);
    char *path = rp_test_write(r.dir, "plan.json", text);
    ck_assert_int_eq(rp_plan_read(path, r.f, &r.p, &err), 0);
    free(path);
    free(text);

    rp_placement *pl = &r.p->place[0];
    ck_assert_str_eq(r.f->inst[pl->inst].id, "i-1");
    pl->tier[RP_TIER_COMPUTE] = RP_DEDICATED;
    pl->ded.nodes = 1;
    pl->tier[RP_TIER_STORAGE] = RP_DEDICATED;
    pl->ded.share_gb = 100;
    rp_verify(r.f, r.p, &r.rep);
    static const char *const want[] = {
        "instance i-1: rule 8 dedicated compute 1 nodes: cpu_cores peak 7.00 > 6.26",
        "instance i-1: rule 8 dedicated compute 1 nodes: memory_gb peak 25.00 > 23.77",
        "instance i-1: rule 8 dedicated storage 100 GiB: share_gb peak 95.00 > 90.00",
        "instance i-1: rule 8 dedicated storage 100 GiB: share_iops peak 2500.00 > 2480.00",
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        EXPECT(&r, want[k]);
    size_t rule8 = 0;
    for (size_t k = 0; k < r.rep.nmsgs; k++)
        rule8 += strstr(r.rep.msgs[k], "rule 8") != NULL;
    if (rule8 != 4)
        dump(&r);
    ck_assert_uint_eq(rule8, 4);

    /* Two nodes and 125 GiB (3,125 IOPS x 0.8 = 2,500, the peak exactly)
     * hold those peaks: no rule 8 line is left. */
    rp_verify_report_free(&r.rep);
    pl->ded.nodes = 2;
    pl->ded.share_gb = 125;
    rp_verify(r.f, r.p, &r.rep);
    for (size_t k = 0; k < r.rep.nmsgs; k++)
        ck_assert_msg(!strstr(r.rep.msgs[k], "rule 8"), "unexpected: %s", r.rep.msgs[k]);
    run_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("verify");
    TCase *tc = tcase_create("plans");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, valid_plan_passes);
    tcase_add_test(tc, one_move_within_budget_passes);
    tcase_add_test(tc, broken_reef_restored_passes);
    tcase_add_test(tc, over_capacity_at_a_slot);
    tcase_add_test(tc, group_in_one_reef);
    tcase_add_test(tc, pinned_moved);
    tcase_add_test(tc, cooldown_moved);
    tcase_add_test(tc, move_budget_exceeded);
    tcase_add_test(tc, draining_reef_gains);
    tcase_add_test(tc, draining_stayers_must_be_deferred);
    tcase_add_test(tc, deferred_outside_draining);
    tcase_add_test(tc, broken_reef_kept);
    tcase_add_test(tc, load_arrives_before_capacity);
    tcase_add_test(tc, wrong_summary_cost);
    tcase_add_test(tc, window_respected);
    tcase_add_test(tc, instance_missing);
    tcase_add_test(tc, in_memory_defects);
    tcase_add_test(tc, dedicated_sizes_below_peak);
    tcase_add_test(tc, wave_resize_before_migration_out);
    suite_add_tcase(s, tc);
    return rp_test_run(s);
}

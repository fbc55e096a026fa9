/* test_plan.c - plan.json output and input (round trip, every action type,
 * located input errors) and the fleet fingerprint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "plan.h"
#include "testutil.h"
#include "timefmt.h"

static char *dir;
static rp_fleet *fleet;

static void setup(void)
{
    rp_error err = {0};
    dir = rp_test_fixture_copy("tiny");
    ck_assert_msg(rp_fleet_load(dir, &fleet, &err) == 0, "%s", err.msg);
}

static void teardown(void)
{
    char *cmd = rp_xasprintf("rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    free(dir);
    rp_fleet_free(fleet);
}

static int inst(const char *id)
{
    return rp_fleet_find_instance(fleet, id);
}

static rp_action *add_action(rp_plan *p, rp_action_type type, int reef_idx, int inst_idx)
{
    p->act = rp_xreallocarray(p->act, p->nact + 1, sizeof *p->act);
    rp_action *a = &p->act[p->nact++];
    *a = (rp_action){.id = (int)p->nact,
                     .type = type,
                     .reef = reef_idx,
                     .from_reef = -1,
                     .inst = inst_idx,
                     .resource = -1,
                     .ded = {.db_sku = -1},
                     .not_before = RP_NO_TIME,
                     .not_after = RP_NO_TIME,
                     .wave = 1};
    return a;
}

/* A plan with one new reef and one action of every type (not a valid
 * plan: the round trip only needs it to be well-formed). */
static rp_plan *sample_plan(void)
{
    rp_plan *p = rp_plan_new();
    rp_error err;
    ck_assert_int_eq(rp_fleet_fingerprint(fleet, p->fingerprint, &err), 0);
    p->sum = (rp_plan_summary){.cost_before = 4136.37,
                               .cost_after = 3000.5,
                               .objective = 3020.5,
                               .lower_bound = 2900,
                               .moves = 1,
                               .tier_changes = 1,
                               .reefs_opened = 1,
                               .unplaced = 1,
                               .solve_seconds = 1.25};
    p->nreefs = 3;
    p->reefs = rp_xcalloc(3, sizeof *p->reefs);
    for (int r = 0; r < 3; r++) {
        const rp_reef *fr = &fleet->reefs[r < 2 ? r : 0];
        p->reefs[r] = (rp_plan_reef){.name = rp_xstrdup(r < 2 ? fr->name : "wus2-03"),
                                     .region = fr->region,
                                     .template_idx = fr->template_idx,
                                     .fleet_reef = r < 2 ? r : -1,
                                     .pool = fr->pool,
                                     .nodes = fr->nodes + r,
                                     .created = r == 2};
    }
    p->nplace = 3;
    p->place = rp_xcalloc(3, sizeof *p->place);
    p->place[0] = (rp_placement){.inst = inst("i-1"), .reef = 2, .ded = {.db_sku = -1}};
    p->place[1] = (rp_placement){
        .inst = inst("i-3"),
        .reef = 1,
        .tier = {RP_DEDICATED, RP_DEDICATED, RP_DEDICATED},
        .ded = {.db_sku = rp_catalog_db(fleet->cat, "GP_Gen5_4"), .nodes = 2, .share_gb = 120}};
    p->place[2] = (rp_placement){.inst = inst("i-4"), .reef = 1, .ded = {.db_sku = -1}};
    p->nunplaced = 1;
    p->unplaced = rp_xcalloc(1, sizeof *p->unplaced);
    p->unplaced[0] = (rp_plan_note){inst("i-5"), rp_xstrdup("no reef fits")};
    p->ndeferred = 1;
    p->deferred = rp_xcalloc(1, sizeof *p->deferred);
    p->deferred[0] = (rp_plan_note){inst("i-2"), rp_xstrdup("move budget")};

    rp_action *a = add_action(p, RP_ACT_CREATE_REEF, 2, -1);
    a->pool = fleet->reefs[0].pool;
    a->nodes = 3;
    a = add_action(p, RP_ACT_RESIZE_POOL, 0, -1);
    a->from = a->to = fleet->reefs[0].pool;
    a = add_action(p, RP_ACT_SCALE_NODES, 1, -1);
    a->from = 3;
    a->to = 4;
    a = add_action(p, RP_ACT_SET_TIER, 1, inst("i-3"));
    a->resource = RP_TIER_STORAGE;
    a->from = RP_SHARED;
    a->to = RP_DEDICATED;
    a->ded.share_gb = 120;
    a = add_action(p, RP_ACT_MIGRATE, 2, inst("i-1"));
    a->from_reef = 0;
    ck_assert_int_eq(rp_time_parse("2026-11-29T02:00:00Z", &a->not_before), 0);
    a->not_after = a->not_before + 7200;
    a->depends_on = rp_xcalloc(2, sizeof(int));
    a->depends_on[0] = 1;
    a->depends_on[1] = 4;
    a->ndepends = 2;
    a->wave = 2;
    a = add_action(p, RP_ACT_PLACE, 0, inst("i-5"));
    a->tier[RP_TIER_DB] = RP_DEDICATED;
    a->ded.db_sku = rp_catalog_db(fleet->cat, "GP_Gen5_2");
    add_action(p, RP_ACT_DELETE_REEF, 0, -1);
    p->settings_json = rp_xstrdup("{\"move_budget\":40}");
    return p;
}

static rp_plan *write_and_read(const rp_plan *p, char **text_out)
{
    char *text = rp_plan_to_json(p, fleet);
    char *path = rp_test_write(dir, "plan.json", text);
    rp_plan *q = NULL;
    rp_error err = {0};
    ck_assert_msg(rp_plan_read(path, fleet, &q, &err) == 0, "%s:%ld:%ld: %s", err.file, err.line,
                  err.col, err.msg);
    free(path);
    *text_out = text;
    return q;
}

static void assert_same_actions(const rp_plan *p, const rp_plan *q)
{
    ck_assert_uint_eq(q->nact, p->nact);
    for (size_t k = 0; k < p->nact; k++) {
        const rp_action *a = &p->act[k], *b = &q->act[k];
        ck_assert_int_eq(b->id, a->id);
        ck_assert_int_eq(b->type, a->type);
        ck_assert_int_eq(b->reef, a->reef);
        ck_assert_int_eq(b->inst, a->inst);
        ck_assert_int_eq(b->wave, a->wave);
        ck_assert_uint_eq(b->ndepends, a->ndepends);
        for (size_t d = 0; d < a->ndepends; d++)
            ck_assert_int_eq(b->depends_on[d], a->depends_on[d]);
    }
    const rp_action *m = &q->act[4];
    ck_assert_int_eq(m->from_reef, 0);
    ck_assert(m->not_before == p->act[4].not_before && m->not_after == p->act[4].not_after);
    ck_assert_int_eq(q->act[0].pool, p->act[0].pool);
    ck_assert_int_eq(q->act[0].nodes, 3);
    ck_assert_int_eq(q->act[2].from, 3);
    ck_assert_int_eq(q->act[2].to, 4);
    ck_assert_int_eq(q->act[3].resource, RP_TIER_STORAGE);
    ck_assert_int_eq(q->act[3].ded.share_gb, 120);
    ck_assert_int_eq(q->act[5].tier[RP_TIER_DB], RP_DEDICATED);
    ck_assert_int_eq(q->act[5].ded.db_sku, p->act[5].ded.db_sku);
}

START_TEST(round_trip_every_field)
{
    rp_plan *p = sample_plan();
    char *text;
    rp_plan *q = write_and_read(p, &text);
    ck_assert_str_eq(q->fingerprint, p->fingerprint);
    ck_assert_str_eq(q->kind, "rebalance");
    ck_assert_double_eq_tol(q->sum.cost_after, 3000.5, 1e-9);
    ck_assert_double_eq_tol(q->sum.solve_seconds, 1.25, 1e-9);
    ck_assert_int_eq(q->sum.tier_changes, 1);
    ck_assert_uint_eq(q->nreefs, 3);
    ck_assert_str_eq(q->reefs[2].name, "wus2-03");
    ck_assert(q->reefs[2].created && q->reefs[2].fleet_reef == -1);
    ck_assert_int_eq(q->reefs[1].nodes, 4);
    ck_assert_int_eq(q->reefs[1].instances, 2); /* recomputed by the writer */
    ck_assert_uint_eq(q->nplace, 3);
    for (size_t k = 0; k < 3; k++) {
        ck_assert_int_eq(q->place[k].inst, p->place[k].inst);
        ck_assert_int_eq(q->place[k].reef, p->place[k].reef);
        ck_assert_mem_eq(q->place[k].tier, p->place[k].tier, RP_NTIERS);
    }
    ck_assert_int_eq(q->place[1].ded.nodes, 2);
    ck_assert_int_eq(q->place[1].ded.share_gb, 120);
    ck_assert_int_eq(q->place[1].ded.db_sku, p->place[1].ded.db_sku);
    ck_assert_str_eq(q->unplaced[0].reason, "no reef fits");
    ck_assert_str_eq(q->deferred[0].reason, "move budget");
    assert_same_actions(p, q);
    ck_assert_str_eq(q->settings_json, "{\"move_budget\":40}");
    /* Writing what was read gives the same text. */
    char *again = rp_plan_to_json(q, fleet);
    ck_assert_str_eq(again, text);
    ck_assert_ptr_nonnull(strstr(text, "\"created\": true"));
    ck_assert_ptr_nonnull(strstr(text, "\"size\": 120"));
    free(again);
    free(text);
    rp_plan_free(q);
    rp_plan_free(p);
}
END_TEST

/* Replaces the first occurrence of from in the file at path with to. */
static void edit_file(const char *path, const char *from, const char *to)
{
    char *text = rp_test_read(path, NULL);
    char *hit = strstr(text, from);
    ck_assert_msg(hit != NULL, "no '%s' in %s", from, path);
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    fwrite(text, 1, (size_t)(hit - text), fp);
    fputs(to, fp);
    fputs(hit + strlen(from), fp);
    ck_assert_int_eq(fclose(fp), 0);
    free(text);
}

/* Edits the file at path (edit_file) and checks that the fleet's
 * fingerprint moves from *prev, which then takes the new one. */
static void edit_rehashes(const char *path, const char *from, const char *to, char prev[80])
{
    char now[80];
    rp_error err;
    edit_file(path, from, to);
    ck_assert_int_eq(rp_fleet_fingerprint(fleet, now, &err), 0);
    ck_assert_str_ne(prev, now);
    strcpy(prev, now);
}

START_TEST(fingerprint_tracks_every_input)
{
    char a[80], b[80];
    rp_error err;
    ck_assert_int_eq(rp_fleet_fingerprint(fleet, a, &err), 0);
    ck_assert_uint_eq(strlen(a), 71);
    ck_assert_int_eq(strncmp(a, "sha256:", 7), 0);
    ck_assert_int_eq(rp_fleet_fingerprint(fleet, b, &err), 0);
    ck_assert_str_eq(a, b);
    /* One byte of profiles.csv changes: 0.1 -> 0.2 in the first value. */
    char *path = rp_xasprintf("%s/profiles.csv", dir);
    FILE *fp = fopen(path, "r+");
    ck_assert_ptr_nonnull(fp);
    char line[200];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, fp));
    long at = ftell(fp) + (long)strlen("i-1,db_compute,0.");
    fseek(fp, at, SEEK_SET);
    fputc('2', fp);
    fclose(fp);
    ck_assert_int_eq(rp_fleet_fingerprint(fleet, b, &err), 0);
    ck_assert_str_ne(a, b);
    strcpy(a, b);
    free(path);
    /* A setting in fleet.json, and one field of instances.csv (each edit
     * keeps the file's length). */
    path = rp_xasprintf("%s/fleet.json", dir);
    edit_rehashes(path, "\"move_budget\": 40", "\"move_budget\": 41", a);
    free(path);
    path = rp_xasprintf("%s/instances.csv", dir);
    edit_rehashes(path, "i-1,westus2,standard,wus2-01,", "i-1,westus2,standard,wus2-02,", a);
    free(path);
    /* The catalog: the fleet reloaded with a copy of it, then one price
     * of the copy changes. */
    char *text = rp_test_read(fleet->catalog_path, NULL);
    char *cat = rp_test_write(dir, "cat.json", text);
    free(text);
    path = rp_xasprintf("%s/fleet.json", dir);
    edit_file(path, "\"catalog\": \"azure-vcore\"", "\"catalog\": \"cat.json\"");
    free(path);
    rp_fleet_free(fleet);
    fleet = NULL;
    ck_assert_msg(rp_fleet_load(dir, &fleet, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(fleet->catalog_path, cat);
    ck_assert_int_eq(rp_fleet_fingerprint(fleet, a, &err), 0);
    edit_rehashes(cat, "\"price\": 390.0", "\"price\": 391.0", a);
    free(cat);
    /* A missing input is an error, not a silent hash. */
    path = rp_xasprintf("%s/instances.csv", dir);
    ck_assert_int_eq(remove(path), 0);
    ck_assert_int_eq(rp_fleet_fingerprint(fleet, b, &err), RP_EIO);
    ck_assert_str_eq(err.file, path);
    free(path);
}
END_TEST

/* Reads a plan made from the round-trip text with one substitution; returns
 * the error line "FILE:LINE:COL: error: MSG" with FILE reduced to its base. */
static char *read_error(const char *from, const char *to)
{
    rp_plan *p = sample_plan();
    char *text = rp_plan_to_json(p, fleet);
    rp_plan_free(p);
    char *hit = strstr(text, from);
    ck_assert_msg(hit != NULL, "no '%s' in the plan", from);
    char *edited = rp_xasprintf("%.*s%s%s", (int)(hit - text), text, to, hit + strlen(from));
    char *path = rp_test_write(dir, "bad.json", edited);
    rp_plan *q = NULL;
    rp_error err = {0};
    int rc = rp_plan_read(path, fleet, &q, &err);
    ck_assert_int_lt(rc, 0);
    ck_assert_ptr_null(q);
    char *out =
        rp_xasprintf("%s:%ld:%ld: %s", strrchr(err.file, '/') + 1, err.line, err.col, err.msg);
    free(path);
    free(edited);
    free(text);
    return out;
}

#define READ_ERROR(from, to, want)                                                                 \
    do {                                                                                           \
        char *got = read_error(from, to);                                                          \
        ck_assert_str_eq(got, want);                                                               \
        free(got);                                                                                 \
    } while (0)

START_TEST(read_errors_are_located)
{
    READ_ERROR("\"instance_id\": \"i-4\"", "\"instance_id\": \"i-44\"",
               "bad.json:89:19: placements[2].instance_id: unknown instance 'i-44'");
    READ_ERROR("\"reef\": \"wus2-03\",\n   \"db\"", "\"reef\": \"wus2-09\",\n   \"db\"",
               "bad.json:73:12: placements[0].reef: unknown reef 'wus2-09'");
    READ_ERROR("\"compute\": \"dedicated\"", "\"compute\": \"private\"",
               "bad.json:82:15: placements[1].compute: 'private' is not shared or dedicated");
    READ_ERROR("\"db_sku\": \"GP_Gen5_4\"", "\"db_sku\": \"GP_Gen5_5\"",
               "bad.json:84:14: placements[1].db_sku: unknown single-database SKU 'GP_Gen5_5'");
    READ_ERROR("\"compute_nodes\": 2,", "",
               "bad.json:78:3: placements[1]: missing field 'compute_nodes'");
    READ_ERROR("\"type\": \"scale_nodes\"", "\"type\": \"scale_pods\"",
               "bad.json:131:12: actions[2].type: unknown action type 'scale_pods'");
    READ_ERROR("\"name\": \"wus2-02\"", "\"name\": \"wus2-07\"",
               "bad.json:17:11: reefs: fleet reef 'wus2-02' is missing");
    READ_ERROR("\"wave\": 2", "\"wave\": -2",
               "bad.json:165:12: actions[4].wave: must be an integer in [1, 100000000], got -2");
    READ_ERROR("\"version\": 1", "\"version\": 2",
               "bad.json:2:13: version: must be an integer in [1, 1], got 2");
}
END_TEST

/* New reef names: the region's pattern ("wus2-", from wus2-01) with the
 * lowest number no reef of the fleet (wus2-01, wus2-02) or of the plan has
 * so far. A name with other digits ("wus2-004": four, not 04) or another
 * prefix does not take a number; past 99 the numbers grow a digit. */
START_TEST(new_reef_names)
{
    rp_plan_reef r[130] = {{0}};
    rp_plan p = {0};
    p.reefs = r;
    char *name = rp_plan_new_reef_name(fleet, 0, &p);
    ck_assert_str_eq(name, "wus2-03");
    free(name);
    char *names[] = {"wus2-03", NULL, "wus2-05", "wus2-004", "weu-04", "wus2-4x"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        r[p.nreefs++].name = names[k];
    name = rp_plan_new_reef_name(fleet, 0, &p);
    ck_assert_str_eq(name, "wus2-04");
    free(name);
    p.nreefs = 0;
    char *own[128];
    for (int k = 0; k < 128; k++) /* wus2-03 .. wus2-130 */
        r[p.nreefs++].name = own[k] = rp_xasprintf("wus2-%02d", k + 3);
    name = rp_plan_new_reef_name(fleet, 0, &p);
    ck_assert_str_eq(name, "wus2-131");
    free(name);
    free(own[50]); /* wus2-53 freed */
    r[50].name = NULL;
    name = rp_plan_new_reef_name(fleet, 0, &p);
    ck_assert_str_eq(name, "wus2-53");
    free(name);
    for (int k = 0; k < 128; k++)
        if (k != 50)
            free(own[k]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("plan");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, round_trip_every_field);
    tcase_add_test(tc, fingerprint_tracks_every_input);
    tcase_add_test(tc, read_errors_are_located);
    tcase_add_test(tc, new_reef_names);
    suite_add_tcase(s, tc);
    return rp_test_run(s);
}

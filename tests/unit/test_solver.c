/* test_solver.c - the rebalance search on small hand-built fleets (24 slots,
 * one region, catalog azure-vcore, headroom 0): time-aware packing, reef
 * deletion against the move budget, pinned instances, groups, an instance
 * too big for the catalog, determinism. Every plan is sequenced and must
 * pass the independent oracle (rp_verify). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bound.h"
#include "fleet.h"
#include "fleetout.h"
#include "plan.h"
#include "solver.h"
#include "solver_int.h"
#include "testutil.h"
#include "verify.h"

#define S 24

/* One test instance: db_compute is `hi` in slots [from, to) and `lo`
 * elsewhere; the other metrics are flat and small. reef "" = new. */
typedef struct tinst {
    const char *id, *reef, *tiers; /* tiers: "sss", "dss" (db dedicated), ... */
    const char *pinned, *group;
    double lo, hi;
    int from, to;
    double cpu, mem;
} tinst;

typedef struct tfleet {
    char *dir;
    rp_fleet *f;
} tfleet;

/* settings.max_instances_per_reef of the fleets make_fleet writes. */
static int max_per_reef = 300;

/* budget < 0 writes "move_budget": null (unlimited). reefs: JSON array text. */
static char *fleet_json(int budget, const char *reefs)
{
    char mb[32];
    if (budget < 0)
        snprintf(mb, sizeof mb, "null");
    else
        snprintf(mb, sizeof mb, "%d", budget);
    return rp_xasprintf(
        "{\"version\": 1, \"catalog\": \"azure-vcore\",\n"
        " \"settings\": {\"slots\": 24, \"quantile\": 0.95,\n"
        "  \"headroom\": {\"db_compute\": 0, \"db_storage_gb\": 0, \"cpu_cores\": 0,\n"
        "               \"memory_gb\": 0, \"share_gb\": 0, \"share_iops\": 0},\n"
        "  \"max_instances_per_reef\": %d, \"move_budget\": %s, \"move_cooldown_days\": 14,\n"
        "  \"tier_change_cost\": 5.0, \"now\": \"2026-11-28T00:00:00Z\"},\n"
        " \"plans\": [{\"name\": \"standard\", \"move_cost\": 20.0,\n"
        "  \"default_profile\": {\"db_compute\": 0.25, \"db_storage_gb\": 5, \"cpu_cores\": 0.5,\n"
        "                       \"memory_gb\": 2, \"share_gb\": 20, \"share_iops\": 50}}],\n"
        " \"regions\": [{\"name\": \"westus2\", \"template\": \"standard\", \"max_reefs\": 4}],\n"
        " \"reefs\": %s}\n",
        max_per_reef, mb, reefs);
}

static const char *tier_word(char c)
{
    return c == 'd' ? "dedicated" : "shared";
}

static void put_row(rp_vec *buf, const char *id, const char *metric, const double *v)
{
    char *line = rp_xasprintf("%s,%s", id, metric);
    for (int t = 0; t < S; t++) {
        char *next = rp_xasprintf("%s,%g", line, v[t]);
        free(line);
        line = next;
    }
    for (char *c = line; *c; c++)
        rp_vec_push(buf, 1, c);
    rp_vec_push(buf, 1, "\n");
    free(line);
}

/* profiles.csv for the placed instances (new ones use the plan default,
 * unless they set hi > 0). */
static char *profiles_csv(const tinst *in, size_t n)
{
    rp_vec buf = {0};
    const char *hdr = "instance_id,metric";
    for (const char *c = hdr; *c; c++)
        rp_vec_push(&buf, 1, c);
    for (int t = 0; t < S; t++) {
        char col[16];
        snprintf(col, sizeof col, ",v%d", t);
        for (char *c = col; *c; c++)
            rp_vec_push(&buf, 1, c);
    }
    rp_vec_push(&buf, 1, "\n");
    for (size_t k = 0; k < n; k++) {
        if (!in[k].reef[0] && in[k].hi <= 0)
            continue;
        double v[RP_NMETRICS][S];
        for (int t = 0; t < S; t++) {
            v[RP_M_DB_COMPUTE][t] = t >= in[k].from && t < in[k].to ? in[k].hi : in[k].lo;
            v[RP_M_DB_STORAGE][t] = 5;
            v[RP_M_CPU][t] = in[k].cpu > 0 ? in[k].cpu : 0.2;
            v[RP_M_MEMORY][t] = in[k].mem > 0 ? in[k].mem : 1;
            v[RP_M_SHARE_GB][t] = 10;
            v[RP_M_SHARE_IOPS][t] = 50;
        }
        for (int m = 0; m < RP_NMETRICS; m++)
            put_row(&buf, in[k].id, rp_metric_names[m], v[m]);
    }
    rp_vec_push(&buf, 1, "");
    return buf.data;
}

static char *instances_csv(const tinst *in, size_t n)
{
    char *s = rp_xstrdup("instance_id,region,plan,reef,db,compute,storage,pinned,group,"
                         "last_moved,window\n");
    for (size_t k = 0; k < n; k++) {
        const char *t = in[k].tiers ? in[k].tiers : "sss";
        bool placed = in[k].reef[0] != '\0';
        char *row =
            rp_xasprintf("%s%s,westus2,standard,%s,%s,%s,%s,%s,%s,,\n", s, in[k].id, in[k].reef,
                         placed ? tier_word(t[0]) : "", placed ? tier_word(t[1]) : "",
                         placed ? tier_word(t[2]) : "", in[k].pinned ? in[k].pinned : "false",
                         in[k].group ? in[k].group : "");
        free(s);
        s = row;
    }
    return s;
}

#define TWO_SMALL_REEFS                                                                            \
    "[{\"name\": \"wus2-01\", \"region\": \"westus2\", \"template\": \"standard\",\n"              \
    "  \"state\": \"active\", \"pool_sku\": \"GP_Gen5_2\", \"nodes\": 3},\n"                       \
    " {\"name\": \"wus2-02\", \"region\": \"westus2\", \"template\": \"standard\",\n"              \
    "  \"state\": \"active\", \"pool_sku\": \"GP_Gen5_2\", \"nodes\": 3}]"

static tfleet make_fleet(int budget, const char *reefs, const tinst *in, size_t n)
{
    tfleet t = {rp_test_tmpdir(), NULL};
    char *fj = fleet_json(budget, reefs), *ic = instances_csv(in, n), *pc = profiles_csv(in, n);
    free(rp_test_write(t.dir, "fleet.json", fj));
    free(rp_test_write(t.dir, "instances.csv", ic));
    free(rp_test_write(t.dir, "profiles.csv", pc));
    free(fj);
    free(ic);
    free(pc);
    rp_error err = {0};
    int rc = rp_fleet_load(t.dir, &t.f, &err);
    ck_assert_msg(rc == 0, "fleet: %s:%ld:%ld: %s", err.file, err.line, err.col, err.msg);
    return t;
}

static void free_fleet(tfleet *t)
{
    rp_fleet_free(t->f);
    char *cmd = rp_xasprintf("rm -rf '%s'", t->dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    free(t->dir);
}

/* Why the last solve() stopped. */
static rp_stop last_stop;

/* Solves with the fleet's move budget within time_limit seconds,
 * sequences, and checks the plan with rp_verify (which must find nothing). */
static rp_plan *solve_within(const rp_fleet *f, uint64_t seed, double time_limit)
{
    rp_error err = {0};
    rp_plan *p = rp_plan_new();
    ck_assert_int_eq(rp_fleet_fingerprint(f, p->fingerprint, &err), 0);
    rp_solve_opts o = {.time_limit = time_limit, .seed = seed, .move_budget = -2, .max_iters = 0};
    rp_solver *s = rp_solver_new(f, &o);
    rp_solver_run(s);
    rp_solver_to_plan(s, p);
    last_stop = rp_solver_stop(s);
    rp_solver_free(s);
    rp_plan_sequence(f, p, 4, NULL);
    rp_verify_report rep;
    size_t nv = rp_verify(f, p, &rep);
    ck_assert_msg(nv == 0, "verify: %zu violation(s), first: %s", nv,
                  rep.nmsgs ? rep.msgs[0] : "?");
    rp_verify_report_free(&rep);
    return p;
}

static rp_plan *solve(const rp_fleet *f, uint64_t seed)
{
    return solve_within(f, seed, 60);
}

static const rp_placement *placement(const rp_fleet *f, const rp_plan *p, const char *id)
{
    int i = rp_fleet_find_instance(f, id);
    ck_assert_int_ge(i, 0);
    for (size_t k = 0; k < p->nplace; k++)
        if (p->place[k].inst == i)
            return &p->place[k];
    return NULL;
}

static const char *reef_of(const rp_fleet *f, const rp_plan *p, const char *id)
{
    const rp_placement *pl = placement(f, p, id);
    ck_assert_msg(pl != NULL, "%s is not placed", id);
    return p->reefs[pl->reef].name;
}

static const rp_plan_reef *plan_reef(const rp_plan *p, const char *name)
{
    for (size_t r = 0; r < p->nreefs; r++)
        if (!strcmp(p->reefs[r].name, name))
            return &p->reefs[r];
    ck_abort_msg("no reef %s in the plan", name);
    return NULL;
}

static size_t count_actions(const rp_plan *p, rp_action_type type)
{
    size_t n = 0;
    for (size_t k = 0; k < p->nact; k++)
        n += p->act[k].type == type;
    return n;
}

/* The lower bound of fleet f at `budget` is at most plan p's objective
 * (the optimum, on fleets this small) and at least that less tol. */
static void bound_within(const rp_fleet *f, const rp_plan *p, int budget, double tol)
{
    double lb = rp_lower_bound(f, NULL, budget);
    ck_assert_double_le(lb, p->sum.objective + 1e-6);
    ck_assert_double_ge(lb, p->sum.objective - tol);
}

/* One reef of region westus2, template standard, 3 nodes, as JSON. */
#define REEF(name, state, pool)                                                                    \
    "{\"name\": \"" name                                                                           \
    "\", \"region\": \"westus2\", \"template\": \"standard\", \"state\": \"" state                 \
    "\", \"pool_sku\": \"" pool "\", \"nodes\": 3}"

/* A peaks at night (1.5 vCores in slots 0-11), B by day (12-23): the sum of
 * their peaks (3.0) needs GP_Gen5_4, but at every slot they need at most
 * 1.6, which GP_Gen5_2 holds. */
static const tinst day_night[] = {
    {"a", "wus2-01", "sss", NULL, NULL, 0.1, 1.5, 0, 12, 0, 0},
    {"b", "wus2-02", "sss", NULL, NULL, 0.1, 1.5, 12, 24, 0, 0},
};

START_TEST(time_aware_packing_shares_a_small_pool)
{
    tfleet t = make_fleet(-1, TWO_SMALL_REEFS, day_night, 2);
    rp_plan *p = solve(t.f, 1);
    const char *ra = reef_of(t.f, p, "a");
    ck_assert_str_eq(ra, reef_of(t.f, p, "b"));
    const rp_plan_reef *r = plan_reef(p, ra);
    ck_assert_str_eq(t.f->cat->pools[r->pool].sku, "GP_Gen5_2");
    ck_assert(!placement(t.f, p, "a")->tier[RP_TIER_DB]);
    ck_assert(!placement(t.f, p, "b")->tier[RP_TIER_DB]);
    ck_assert_int_eq(p->sum.moves, 1);
    ck_assert_int_eq(p->sum.reefs_deleted, 1);
    ck_assert_double_lt(p->sum.cost_after, p->sum.cost_before);
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

/* The same two by their peaks only (the time-unaware baseline): they no
 * longer fit one GP_Gen5_2 pool together, and the plan costs more. */
START_TEST(peak_profiles_need_a_bigger_pool)
{
    tfleet t = make_fleet(-1, TWO_SMALL_REEFS, day_night, 2);
    rp_plan *p = solve(t.f, 1);
    double timed = p->sum.cost_after;
    rp_plan_free(p);
    rp_fleet_flatten_peaks(t.f);
    p = solve(t.f, 1);
    const char *ra = reef_of(t.f, p, "a");
    if (!strcmp(ra, reef_of(t.f, p, "b"))) {
        /* Sharing a reef, 3.0 vCores at once: a bigger pool or one of
         * them on a single database of its own (GP_Gen5_2 at 368). */
        const rp_plan_reef *r = plan_reef(p, ra);
        bool ded =
            placement(t.f, p, "a")->tier[RP_TIER_DB] || placement(t.f, p, "b")->tier[RP_TIER_DB];
        ck_assert(ded || strcmp(t.f->cat->pools[r->pool].sku, "GP_Gen5_2") != 0);
    }
    ck_assert_double_gt(p->sum.cost_after, timed + 300);
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

START_TEST(budget_zero_keeps_the_reef)
{
    tfleet t = make_fleet(0, TWO_SMALL_REEFS, day_night, 2);
    rp_plan *p = solve(t.f, 1);
    ck_assert_str_eq(reef_of(t.f, p, "a"), "wus2-01");
    ck_assert_str_eq(reef_of(t.f, p, "b"), "wus2-02");
    ck_assert_int_eq(p->sum.moves, 0);
    ck_assert_int_eq(p->sum.reefs_deleted, 0);
    ck_assert_uint_eq(count_actions(p, RP_ACT_MIGRATE), 0);
    ck_assert_uint_eq(count_actions(p, RP_ACT_DELETE_REEF), 0);
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

/* Two instances of 1.05 vCores at every slot share a reef and may not
 * move: 2.1 vCores need GP_Gen5_4 (780.82), or GP_Gen5_2 (390) with one of
 * them on a database of its own (373, plus a tier change at 5). The lower
 * bound (rp_lower_bound itself: the search's bound also takes the MIP's on
 * so small a fleet) must see the whole pool sizes, where a price per vCore
 * says about 410, and so come within the tier change of the optimum. */
START_TEST(budget_zero_bound_counts_whole_sizes)
{
    const tinst in[] = {
        {"a", "wus2-01", "sss", NULL, NULL, 1.05, 1.05, 0, 24, 0, 0},
        {"b", "wus2-01", "sss", NULL, NULL, 1.05, 1.05, 0, 24, 0, 0},
    };
    tfleet t = make_fleet(0, TWO_SMALL_REEFS, in, 2);
    rp_plan *p = solve(t.f, 1); /* small enough for the MIP: the optimum */
    ck_assert_int_eq(p->sum.moves, 0);
    bound_within(t.f, p, 0, 5.01);
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

/* Pinned a peaks at 4 vCores by night in one reef, pinned b by day in the
 * other. Together they never need more than 4.1 vCores at once, a bound
 * for the region as a whole; but neither may leave its reef, so each reef
 * needs 4 vCores of pool (GP_Gen5_4), and the bound must say so even with
 * no move budget to lean on. */
START_TEST(pinned_reefs_bound_each_at_its_own_peak)
{
    const tinst in[] = {
        {"a", "wus2-01", "sss", "true", NULL, 0.1, 4.0, 0, 12, 0, 0},
        {"b", "wus2-02", "sss", "true", NULL, 0.1, 4.0, 12, 24, 0, 0},
    };
    tfleet t = make_fleet(-1, TWO_SMALL_REEFS, in, 2);
    rp_plan *p = solve(t.f, 1);
    ck_assert_str_eq(t.f->cat->pools[plan_reef(p, "wus2-01")->pool].sku, "GP_Gen5_4");
    ck_assert_str_eq(t.f->cat->pools[plan_reef(p, "wus2-02")->pool].sku, "GP_Gen5_4");
    /* Within what a vCore costs more in GP_Gen5_4 than at the best unit
     * price (GP_Gen5_2's 195.00): 2 x (780.82 - 4 x 195). */
    bound_within(t.f, p, -1, 1.65);
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

/* budget_zero_bound_counts_whole_sizes in a draining reef: with no move
 * budget b and c stay in it (deferred), so it keeps paying for whole
 * sizes, and the bound must count them there as in an active reef. a,
 * pinned, keeps the other reef open. */
START_TEST(draining_reef_bound_counts_whole_sizes)
{
    const char *reefs = "[" REEF("wus2-01", "active", "GP_Gen5_2") ", " REEF("wus2-02", "draining",
                                                                             "GP_Gen5_4") "]";
    const tinst in[] = {
        {"a", "wus2-01", "sss", "true", NULL, 0.2, 0.2, 0, 24, 0, 0},
        {"b", "wus2-02", "sss", NULL, NULL, 1.05, 1.05, 0, 24, 0, 0},
        {"c", "wus2-02", "sss", NULL, NULL, 1.05, 1.05, 0, 24, 0, 0},
    };
    tfleet t = make_fleet(0, reefs, in, 3);
    rp_plan *p = solve(t.f, 1); /* small enough for the MIP: the optimum */
    ck_assert_str_eq(reef_of(t.f, p, "b"), "wus2-02");
    ck_assert_int_eq(p->sum.moves, 0);
    bound_within(t.f, p, 0, 5.01);
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

/* wus2-01 holds three instances where two are allowed, so the one move of
 * the budget must take one of them out (to wus2-02, where it fits the pool
 * as it is); d and e then stay in the draining reef, the budget spent
 * (rule 9). The bound once assumed that every plan spends the budget on
 * draining reefs first, and came out above this plan's objective. */
START_TEST(bound_holds_when_the_budget_goes_to_another_reef)
{
    const char *reefs = "[" REEF("wus2-01", "active", "GP_Gen5_4") ", " REEF(
        "wus2-02", "active", "GP_Gen5_2") ", " REEF("wus2-03", "draining", "GP_Gen5_2") "]";
    const tinst in[] = {
        {"a", "wus2-01", "sss", NULL, NULL, 1, 1, 0, 24, 0, 0},
        {"b", "wus2-01", "sss", NULL, NULL, 1, 1, 0, 24, 0, 0},
        {"c", "wus2-01", "sss", NULL, NULL, 1, 1, 0, 24, 0, 0},
        {"p", "wus2-02", "sss", "true", NULL, 0.2, 0.2, 0, 24, 0, 0},
        {"d", "wus2-03", "sss", NULL, NULL, 0.2, 0.2, 0, 24, 0, 0},
        {"e", "wus2-03", "sss", NULL, NULL, 0.2, 0.2, 0, 24, 0, 0},
    };
    max_per_reef = 2;
    tfleet t = make_fleet(1, reefs, in, 6);
    max_per_reef = 300;
    rp_plan *p = solve(t.f, 1); /* small enough for the MIP: the optimum */
    ck_assert_int_eq(p->sum.moves, 1);
    ck_assert_str_eq(reef_of(t.f, p, "d"), "wus2-03");
    ck_assert_str_eq(reef_of(t.f, p, "e"), "wus2-03");
    ck_assert_uint_eq(p->ndeferred, 2);
    ck_assert_double_le(rp_lower_bound(t.f, NULL, 1), p->sum.objective + 1e-6);
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

START_TEST(budget_one_deletes_the_emptied_reef)
{
    tfleet t = make_fleet(1, TWO_SMALL_REEFS, day_night, 2);
    rp_plan *p = solve(t.f, 1);
    ck_assert_int_eq(p->sum.moves, 1);
    ck_assert_int_eq(p->sum.reefs_deleted, 1);
    ck_assert_uint_eq(count_actions(p, RP_ACT_MIGRATE), 1);
    ck_assert_uint_eq(count_actions(p, RP_ACT_DELETE_REEF), 1);
    /* The delete comes after the migration out of that reef. */
    ck_assert_int_eq(p->act[p->nact - 1].type, RP_ACT_DELETE_REEF);
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

/* b is pinned: a goes to b's reef, b keeps reef and tiers (a dedicated db
 * that would be cheaper in the shared pool). */
START_TEST(pinned_instance_stays)
{
    const tinst in[] = {
        {"a", "wus2-01", "sss", NULL, NULL, 0.1, 1.5, 0, 12, 0, 0},
        {"b", "wus2-02", "dss", "true", NULL, 0.1, 1.5, 12, 24, 0, 0},
    };
    tfleet t = make_fleet(-1, TWO_SMALL_REEFS, in, 2);
    rp_plan *p = solve(t.f, 1);
    const rp_placement *pb = placement(t.f, p, "b");
    ck_assert_ptr_nonnull(pb);
    ck_assert_str_eq(p->reefs[pb->reef].name, "wus2-02");
    ck_assert_int_eq(pb->tier[RP_TIER_DB], RP_DEDICATED);
    ck_assert_int_eq(pb->tier[RP_TIER_COMPUTE], RP_SHARED);
    ck_assert_str_eq(reef_of(t.f, p, "a"), "wus2-02");
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

START_TEST(both_pinned_nothing_moves)
{
    const tinst in[] = {
        {"a", "wus2-01", "sss", "true", NULL, 0.1, 1.5, 0, 12, 0, 0},
        {"b", "wus2-02", "sss", "true", NULL, 0.1, 1.5, 12, 24, 0, 0},
    };
    tfleet t = make_fleet(-1, TWO_SMALL_REEFS, in, 2);
    rp_plan *p = solve(t.f, 1);
    ck_assert_int_eq(p->sum.moves, 0);
    ck_assert_int_eq(p->sum.tier_changes, 0);
    ck_assert_int_eq(p->sum.reefs_deleted, 0);
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

/* a and b would share a reef but are one HA group; c and d are new members
 * of another group, small enough to go anywhere. */
START_TEST(group_members_in_distinct_reefs)
{
    const tinst in[] = {
        {"a", "wus2-01", "sss", NULL, "ha-1", 0.1, 1.5, 0, 12, 0, 0},
        {"b", "wus2-02", "sss", NULL, "ha-1", 0.1, 1.5, 12, 24, 0, 0},
        {"c", "", NULL, NULL, "ha-2", 0.05, 0.1, 0, 24, 0, 0},
        {"d", "", NULL, NULL, "ha-2", 0.05, 0.1, 0, 24, 0, 0},
    };
    tfleet t = make_fleet(-1, TWO_SMALL_REEFS, in, 4);
    rp_plan *p = solve(t.f, 1);
    ck_assert_str_ne(reef_of(t.f, p, "a"), reef_of(t.f, p, "b"));
    ck_assert_str_ne(reef_of(t.f, p, "c"), reef_of(t.f, p, "d"));
    ck_assert_uint_eq(p->nunplaced, 0);
    ck_assert_uint_eq(count_actions(p, RP_ACT_PLACE), 2);
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

#define GROUP_REEF(name) REEF(name, "active", "GP_Gen5_4")

/* Group members a, b, ... in reefs wus2-01, wus2-02, ..., each sharing its
 * GP_Gen5_4 reef with a pinned instance that peaks at the same hours (the
 * n members' hours split the day). With the member of the next reef in its
 * place (peaks apart, 1.6 vCores at most), every pool would drop to
 * GP_Gen5_2 for far more than the moves cost. But mates that trade reefs,
 * two or around a cycle, have no order of migrations that keeps them apart
 * at every step (the first puts two of them in one reef), so the members
 * stay; solve() checks every step of the plan with rp_verify. */
static void check_group_mates_stay(int n)
{
    char names[3][2][4], reefs[3][16];
    tinst in[6];
    for (int k = 0; k < n; k++) {
        snprintf(names[k][0], sizeof names[k][0], "%c", 'a' + k);
        snprintf(names[k][1], sizeof names[k][1], "p%c", 'a' + k);
        snprintf(reefs[k], sizeof reefs[k], "wus2-%02d", k + 1);
        int from = 24 * k / n, to = 24 * (k + 1) / n;
        in[2 * k] = (tinst){names[k][0], reefs[k], "sss", NULL, "ha-1", 0.1, 1.5, from, to, 0, 0};
        in[2 * k + 1] = (tinst){names[k][1], reefs[k], "sss", "true", NULL, 0.1, 1.5, from, to, 0, 0};
    }
    const char *two = "[" GROUP_REEF("wus2-01") ", " GROUP_REEF("wus2-02") "]";
    const char *three =
        "[" GROUP_REEF("wus2-01") ", " GROUP_REEF("wus2-02") ", " GROUP_REEF("wus2-03") "]";
    tfleet t = make_fleet(-1, n == 2 ? two : three, in, (size_t)(2 * n));
    rp_plan *p = solve(t.f, 1);
    for (int k = 0; k < n; k++)
        ck_assert_str_eq(reef_of(t.f, p, names[k][0]), reefs[k]);
    ck_assert_uint_eq(count_actions(p, RP_ACT_MIGRATE), 0);
    rp_plan_free(p);
    free_fleet(&t);
}

/* Two mates: swapping them would be cheapest. */
START_TEST(group_mates_never_trade_reefs)
{
    check_group_mates_stay(2);
}
END_TEST

/* Three mates (peaks in thirds of the day): a rotation a -> wus2-02 ->
 * b -> wus2-03 -> c -> wus2-01 would be cheapest. */
START_TEST(group_mates_never_rotate_reefs)
{
    check_group_mates_stay(3);
}
END_TEST

#define FULL_REEF(name) REEF(name, "active", "GP_Gen5_80")
#define THREE_FULL_REEFS                                                                           \
    "[" FULL_REEF("wus2-01") ", " FULL_REEF("wus2-02") ", " FULL_REEF("wus2-03") "]"

/* A plan to fill in by hand: the fleet's reefs at their sizes, and room for
 * one placement per instance (none set). */
static rp_plan *hand_plan(const rp_fleet *f)
{
    rp_plan *p = rp_plan_new();
    p->nreefs = f->nreefs;
    p->reefs = rp_xcalloc(f->nreefs, sizeof *p->reefs);
    for (size_t r = 0; r < f->nreefs; r++)
        p->reefs[r] = (rp_plan_reef){.name = rp_xstrdup(f->reefs[r].name),
                                     .region = f->reefs[r].region,
                                     .template_idx = f->reefs[r].template_idx,
                                     .fleet_reef = (int)r,
                                     .pool = f->reefs[r].pool,
                                     .nodes = f->reefs[r].nodes};
    p->nplace = f->ninst;
    p->place = rp_xcalloc(f->ninst, sizeof *p->place);
    return p;
}

/* A target, made by hand, that no order reaches safely: x joins its mate
 * y's reef, y goes where z is and z where x is, every reef at the largest
 * pool and every instance at 45 vCores, so no two fit in one. Nothing can
 * go as it should; capacity gives way first, and x still waits for y to
 * leave, so the group stays apart. */
START_TEST(sequence_forces_capacity_before_groups)
{
    const tinst in[] = {
        {"x", "wus2-01", "sss", NULL, "ha-1", 45, 45, 0, 24, 0, 0},
        {"y", "wus2-02", "sss", NULL, "ha-1", 45, 45, 0, 24, 0, 0},
        {"z", "wus2-03", "sss", NULL, NULL, 45, 45, 0, 24, 0, 0},
    };
    tfleet t = make_fleet(-1, THREE_FULL_REEFS, in, 3);
    const rp_fleet *f = t.f;
    rp_plan *p = hand_plan(f);
    for (size_t i = 0; i < f->ninst; i++)
        p->place[i] =
            (rp_placement){.inst = (int)i, .reef = (f->inst[i].reef + 1) % 3, .ded = {-1, 0, 0}};
    rp_plan_sequence(f, p, 4, NULL);
    ck_assert_uint_eq(p->nact, 3);
    ck_assert_str_eq(f->inst[p->act[2].inst].id, "x");
    rp_verify_report rep;
    ck_assert_uint_gt(rp_verify(f, p, &rep), 0); /* capacity, at least */
    for (size_t k = 0; k < rep.nmsgs; k++)
        ck_assert_msg(!strstr(rep.msgs[k], "rule 7"), "%s", rep.msgs[k]);
    rp_verify_report_free(&rep);
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

/* A scale-up sized for a reef that an instance with a dedicated node pool
 * has left must wait for that migration: run in one wave, the scale-up may
 * land first. max_nodes is 4 (in memory): wus2-01 has 3 shared nodes and
 * b's dedicated node; b goes to wus2-02, and the new q needs a 4th shared
 * node in wus2-01 (25 cores against 3 x 7.82). */
START_TEST(sequence_scale_up_waits_for_the_pool_that_left)
{
    const tinst in[] = {
        {"b", "wus2-01", "sds", NULL, NULL, 0.1, 0.1, 0, 24, 2, 4},
        {"q", "", NULL, NULL, NULL, 0.1, 0.1, 0, 24, 25, 8},
    };
    tfleet t = make_fleet(-1, TWO_SMALL_REEFS, in, 2);
    rp_fleet *f = t.f;
    f->cat->templates[f->reefs[0].template_idx].max_nodes = 4;
    rp_plan *p = hand_plan(f);
    rp_error err = {0};
    ck_assert_int_eq(rp_fleet_fingerprint(f, p->fingerprint, &err), 0);
    p->reefs[0].nodes = 4;
    int b = rp_fleet_find_instance(f, "b"), q = rp_fleet_find_instance(f, "q");
    p->place[0] = (rp_placement){.inst = b, .reef = 1, .ded = {-1, 1, 0}};
    p->place[0].tier[RP_TIER_COMPUTE] = RP_DEDICATED;
    p->place[1] = (rp_placement){.inst = q, .reef = 0, .ded = {-1, 0, 0}};
    rp_plan_sequence(f, p, 4, NULL);
    const rp_action *mig = NULL, *scale = NULL;
    for (size_t k = 0; k < p->nact; k++) {
        if (p->act[k].type == RP_ACT_MIGRATE)
            mig = &p->act[k];
        if (p->act[k].type == RP_ACT_SCALE_NODES && p->act[k].reef == 0)
            scale = &p->act[k];
    }
    ck_assert_ptr_nonnull(mig);
    ck_assert_ptr_nonnull(scale);
    ck_assert_int_eq(scale->to, 4);
    ck_assert_int_gt(scale->wave, mig->wave);
    rp_verify_report rep;
    rp_verify(f, p, &rep); /* the hand-made plan states no figures: only the replay counts */
    for (size_t k = 0; k < rep.nmsgs; k++)
        ck_assert_msg(!strstr(rep.msgs[k], "(after action") && !strstr(rep.msgs[k], "action "),
                      "%s", rep.msgs[k]);
    rp_verify_report_free(&rep);
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

/* 1000 vCores, 10000 cores and 100000 GiB: more than any pool, single
 * database or node pool (1000 x Standard_D8s_v5 = 29710 GiB). */
START_TEST(too_big_instance_is_unplaced_with_a_reason)
{
    const tinst in[] = {
        {"a", "wus2-01", "sss", NULL, NULL, 0.1, 1.5, 0, 12, 0, 0},
        {"huge", "", NULL, NULL, NULL, 1000, 1000, 0, 24, 10000, 100000},
    };
    tfleet t = make_fleet(-1, TWO_SMALL_REEFS, in, 2);
    rp_plan *p = solve(t.f, 1);
    ck_assert_uint_eq(p->nunplaced, 1);
    ck_assert_int_eq(p->sum.unplaced, 1);
    ck_assert_str_eq(t.f->inst[p->unplaced[0].inst].id, "huge");
    /* The reason names the rule even an empty reef of the largest size breaks. */
    ck_assert_ptr_nonnull(strstr(p->unplaced[0].reason, "it fits no reef even alone: rule"));
    ck_assert_ptr_null(placement(t.f, p, "huge"));
    ck_assert_uint_eq(count_actions(p, RP_ACT_PLACE), 0);
    ck_assert_uint_eq(count_actions(p, RP_ACT_CREATE_REEF), 0);
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

/* Twelve instances with staggered peaks over three reefs. */
static const tinst staggered[] = {
    {"i01", "wus2-01", "sss", NULL, NULL, 0.1, 1.2, 0, 6, 0.5, 2},
    {"i02", "wus2-01", "sss", NULL, NULL, 0.2, 0.9, 6, 12, 1.5, 4},
    {"i03", "wus2-01", "dss", NULL, "g", 0.1, 1.9, 12, 18, 0.5, 2},
    {"i04", "wus2-01", "sss", NULL, NULL, 0.3, 0.7, 18, 24, 2.5, 8},
    {"i05", "wus2-02", "sss", "true", NULL, 0.1, 1.1, 3, 9, 0.5, 2},
    {"i06", "wus2-02", "sss", NULL, "g", 0.2, 1.4, 9, 15, 1.0, 3},
    {"i07", "wus2-02", "sds", NULL, NULL, 0.1, 0.8, 15, 21, 6.0, 20},
    {"i08", "wus2-02", "sss", NULL, NULL, 0.2, 1.0, 21, 24, 0.5, 2},
    {"i09", "wus2-03", "sss", NULL, NULL, 0.1, 1.3, 0, 12, 0.5, 2},
    {"i10", "wus2-03", "sss", NULL, NULL, 0.1, 1.3, 12, 24, 0.5, 2},
    {"i11", "", NULL, NULL, NULL, 0.2, 0.6, 8, 16, 0.5, 2},
    {"i12", "", NULL, NULL, NULL, 0, 0, 0, 0, 0, 0},
};
#define THREE_REEFS                                                                                \
    "[{\"name\": \"wus2-01\", \"region\": \"westus2\", \"template\": \"standard\",\n"              \
    "  \"state\": \"active\", \"pool_sku\": \"GP_Gen5_4\", \"nodes\": 3},\n"                       \
    " {\"name\": \"wus2-02\", \"region\": \"westus2\", \"template\": \"standard\",\n"              \
    "  \"state\": \"active\", \"pool_sku\": \"GP_Gen5_4\", \"nodes\": 4},\n"                       \
    " {\"name\": \"wus2-03\", \"region\": \"westus2\", \"template\": \"standard\",\n"              \
    "  \"state\": \"active\", \"pool_sku\": \"GP_Gen5_2\", \"nodes\": 3}]"

static char *plan_text(const rp_fleet *f, rp_plan *p)
{
    p->sum.solve_seconds = 0;
    return rp_plan_to_json(p, f);
}

START_TEST(same_seed_same_plan)
{
    tfleet t = make_fleet(-1, THREE_REEFS, staggered, RP_ARRAY_LEN(staggered));
    rp_plan *p1 = solve(t.f, 42), *p2 = solve(t.f, 42);
    ck_assert_int_ne(last_stop, RP_STOP_TIME_LIMIT);
    char *a = plan_text(t.f, p1), *b = plan_text(t.f, p2);
    ck_assert_str_eq(a, b);
    ck_assert_double_lt(p1->sum.cost_after, p1->sum.cost_before);
    ck_assert_uint_eq(p1->nunplaced, 0);
    ck_assert_str_ne(reef_of(t.f, p1, "i03"), reef_of(t.f, p1, "i06"));
    ck_assert_str_eq(reef_of(t.f, p1, "i05"), "wus2-02");
    free(a);
    free(b);
    rp_plan_free(p1);
    rp_plan_free(p2);
    free_fleet(&t);
}
END_TEST

/* What a progress callback saw. */
typedef struct seen_progress {
    int n;
    const char *phase[4096];
    double elapsed[4096], objective[4096];
    int run[4096], runs[4096];
} seen_progress;

static void record_progress(const rp_progress *p, void *ud)
{
    seen_progress *sp = ud;
    if (sp->n == 4096)
        return;
    sp->phase[sp->n] = p->phase;
    sp->elapsed[sp->n] = p->elapsed;
    sp->objective[sp->n] = p->objective;
    sp->run[sp->n] = p->run;
    sp->runs[sp->n++] = p->runs;
    ck_assert_double_eq(p->time_limit, 60);
}

static bool saw_phase(const seen_progress *sp, const char *phase)
{
    for (int k = 0; k < sp->n; k++)
        if (!strcmp(sp->phase[k], phase))
            return true;
    return false;
}

/* The solve with --restarts 2, with and without a progress callback. */
static rp_plan *solve_reporting(const rp_fleet *f, seen_progress *sp)
{
    rp_solve_opts o = {.time_limit = 60,
                       .seed = 42,
                       .move_budget = -2,
                       .restarts = 2,
                       .progress = sp ? record_progress : NULL,
                       .progress_ud = sp};
    rp_solver *s = rp_solver_solve(f, &o);
    rp_plan *p = rp_plan_new();
    rp_solver_to_plan(s, p);
    rp_solver_free(s);
    return p;
}

/* The callback hears of each step of the search, from construction (no
 * objective yet) on, in time order, and hearing it changes nothing. */
START_TEST(progress_reports_each_step)
{
    tfleet t = make_fleet(-1, THREE_REEFS, staggered, RP_ARRAY_LEN(staggered));
    seen_progress *sp = calloc(1, sizeof *sp);
    rp_plan *p1 = solve_reporting(t.f, sp), *p2 = solve_reporting(t.f, NULL);
    ck_assert_int_gt(sp->n, 4);
    ck_assert_str_eq(sp->phase[0], "construction");
    ck_assert(isnan(sp->objective[0]));
    ck_assert_int_eq(sp->run[0], 1);
    static const char *const steps[] = {"packing", "moves by gain", "improvement", "final sweep"};
    for (size_t k = 0; k < RP_ARRAY_LEN(steps); k++)
        ck_assert_msg(saw_phase(sp, steps[k]), "no report of %s", steps[k]);
    for (int k = 0; k < sp->n; k++) {
        ck_assert_int_eq(sp->runs[k], 2);
        ck_assert(sp->run[k] >= 1 && sp->run[k] <= 2);
        if (k > 0)
            ck_assert_double_ge(sp->elapsed[k], sp->elapsed[k - 1]);
        if (strcmp(sp->phase[k], "construction") != 0)
            ck_assert_msg(isfinite(sp->objective[k]) && sp->objective[k] > 0, "objective %g at %s",
                          sp->objective[k], sp->phase[k]);
    }
    char *a = plan_text(t.f, p1), *b = plan_text(t.f, p2);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    free(sp);
    rp_plan_free(p1);
    rp_plan_free(p2);
    free_fleet(&t);
}
END_TEST

/* A loop whose steps turn slow (5 ms each, after 100,000 that take next
 * to nothing) soon looks at the clock at every step or two, and stops
 * within a few steps of its deadline, 0.5 s after the change. Reading it
 * every 64 steps, as a fixed stride would, can pass it by 0.32 s. */
START_TEST(pacer_stops_near_the_deadline)
{
    const struct timespec step = {0, 5000000};
    rp_pacer p = rp__pacer_start();
    volatile long work = 0;
    for (long k = 0; k < 100000; k++)
        work += rp__pacer_due(&p);
    ck_assert_int_eq(p.stride, RP_PACE_MAX_STRIDE);
    double deadline = rp__now_seconds() + 0.5, stop = 0;
    int steps = 0;
    for (; steps < 1000; steps++) {
        if (rp__pacer_due(&p) && (stop = rp__now_seconds()) > deadline)
            break;
        nanosleep(&step, NULL);
    }
    ck_assert_int_lt(steps, 1000);
    ck_assert_double_lt(stop - deadline, 0.1);
    ck_assert_int_le(p.stride, 4);
}
END_TEST

/* On steps that take next to nothing it reads the clock about once every
 * RP_PACE_MAX_STRIDE steps, not at each one. */
START_TEST(pacer_reads_rarely_on_fast_steps)
{
    rp_pacer p = rp__pacer_start();
    volatile long work = 0;
    long reads = 0, n = 1000000;
    for (long k = 0; k < n; k++) {
        reads += rp__pacer_due(&p);
        work += k;
    }
    ck_assert_int_ge(reads, n / RP_PACE_MAX_STRIDE);
    ck_assert_int_le(reads, n / (RP_PACE_MAX_STRIDE / 2));
    ck_assert_int_eq(p.stride, RP_PACE_MAX_STRIDE);
}
END_TEST

/* A time limit too short for any search step is reported as the reason
 * the search stopped (construction alone is far from the bound here). */
START_TEST(time_limit_is_reported)
{
    tfleet t = make_fleet(-1, THREE_REEFS, staggered, RP_ARRAY_LEN(staggered));
    rp_plan *p = solve_within(t.f, 42, 1e-9);
    ck_assert_double_gt(p->sum.objective, p->sum.lower_bound + 1);
    ck_assert_int_eq(last_stop, RP_STOP_TIME_LIMIT);
    rp_plan_free(p);
    p = solve(t.f, 42);
    ck_assert_int_ne(last_stop, RP_STOP_TIME_LIMIT);
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

/* With a budget of 2 the search may move at most two instances. */
START_TEST(budget_two_caps_moves)
{
    tfleet t = make_fleet(2, THREE_REEFS, staggered, RP_ARRAY_LEN(staggered));
    rp_plan *p = solve(t.f, 7);
    ck_assert_int_le(p->sum.moves, 2);
    ck_assert_uint_le(count_actions(p, RP_ACT_MIGRATE), 2);
    ck_assert_uint_eq(count_actions(p, RP_ACT_PLACE), 2);
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

#define FOUR_REEFS                                                                                 \
    "[{\"name\": \"wus2-01\", \"region\": \"westus2\", \"template\": \"standard\",\n"              \
    "  \"state\": \"active\", \"pool_sku\": \"GP_Gen5_4\", \"nodes\": 4},\n"                       \
    " {\"name\": \"wus2-02\", \"region\": \"westus2\", \"template\": \"standard\",\n"              \
    "  \"state\": \"active\", \"pool_sku\": \"GP_Gen5_4\", \"nodes\": 3},\n"                       \
    " {\"name\": \"wus2-03\", \"region\": \"westus2\", \"template\": \"standard\",\n"              \
    "  \"state\": \"active\", \"pool_sku\": \"GP_Gen5_4\", \"nodes\": 3},\n"                       \
    " {\"name\": \"wus2-04\", \"region\": \"westus2\", \"template\": \"standard\",\n"              \
    "  \"state\": \"active\", \"pool_sku\": \"GP_Gen5_2\", \"nodes\": 3}]"

/* One move allowed, and several that pay. Moving x out of wus2-01 saves a
 * pool step and a node (671 a month, less 20 to move); moving y1 or y2
 * saves a pool step only (371); moving abig costs a pool step where it
 * goes. wus2-04 has room for x or a y; its 58 small instances keep the
 * fleet above the size the exact MIP solves, so this is the search's
 * choice. The move that gains most must get the budget, whatever the
 * seed. */
START_TEST(budget_goes_to_the_largest_gain)
{
    tinst in[64] = {
        {"abig", "wus2-01", "sss", NULL, NULL, 1.95, 1.95, 0, 0, 20, 1},
        {"x", "wus2-01", "sss", NULL, NULL, 0.2, 0.2, 0, 0, 4, 1},
        {"b1big", "wus2-02", "sss", NULL, NULL, 1.9, 1.9, 0, 0, 1, 1},
        {"y1", "wus2-02", "sss", NULL, NULL, 0.2, 0.2, 0, 0, 0.2, 1},
        {"b2big", "wus2-03", "sss", NULL, NULL, 1.9, 1.9, 0, 0, 1, 1},
        {"y2", "wus2-03", "sss", NULL, NULL, 0.2, 0.2, 0, 0, 0.2, 1},
    };
    char ids[58][8];
    for (int k = 0; k < 58; k++) {
        snprintf(ids[k], sizeof ids[k], "f%02d", k);
        in[6 + k] = (tinst){ids[k], "wus2-04", "sss", NULL, NULL, 0.005, 0.005, 0, 0, 0.05, 0.1};
    }
    tfleet t = make_fleet(1, FOUR_REEFS, in, RP_ARRAY_LEN(in));
    for (uint64_t seed = 1; seed <= 4; seed++) {
        rp_plan *p = solve(t.f, seed);
        ck_assert_int_eq(p->sum.moves, 1);
        ck_assert_str_eq(reef_of(t.f, p, "x"), "wus2-04");
        ck_assert_str_eq(reef_of(t.f, p, "y1"), "wus2-02");
        ck_assert_str_eq(reef_of(t.f, p, "y2"), "wus2-03");
        ck_assert_int_eq(plan_reef(p, "wus2-01")->nodes, 3);
        rp_plan_free(p);
    }
    free_fleet(&t);
}
END_TEST

/* The target fleet of the time-aware plan reads back with the plan's one
 * reef at its size, the mover's last_moved at now's date, and nothing left
 * to do. */
START_TEST(target_fleet_round_trip)
{
    tfleet t = make_fleet(-1, TWO_SMALL_REEFS, day_night, 2);
    rp_plan *p = solve(t.f, 1);
    char *out = rp_xasprintf("%s/target", t.dir);
    rp_error err = {0};
    ck_assert_int_eq(rp_fleet_write_target(t.f, p, out, &err), 0);
    ck_assert_int_eq(rp_fleet_write_target(t.f, p, out, &err), RP_EUSAGE);
    ck_assert_str_eq(err.msg, "output directory exists and is not empty");
    rp_fleet *g = NULL;
    ck_assert_msg(rp_fleet_load(out, &g, &err) == 0, "%s: %s", err.file, err.msg);
    ck_assert_uint_eq(g->nreefs, 1);
    const rp_placement *pa = placement(t.f, p, "a");
    ck_assert_str_eq(g->reefs[0].name, p->reefs[pa->reef].name);
    ck_assert_int_eq(g->reefs[0].pool, p->reefs[pa->reef].pool);
    ck_assert_int_eq(g->reefs[0].nodes, p->reefs[pa->reef].nodes);
    const char *mover = p->reefs[pa->reef].fleet_reef == 0 ? "b" : "a";
    const char *stayer = mover[0] == 'a' ? "b" : "a";
    int64_t day = t.f->set.now - t.f->set.now % 86400;
    ck_assert(g->inst[rp_fleet_find_instance(g, mover)].last_moved == day);
    ck_assert(g->inst[rp_fleet_find_instance(g, stayer)].last_moved == RP_NO_TIME);
    ck_assert_mem_eq(g->prof, t.f->prof, t.f->ninst * RP_NMETRICS * S * sizeof(float));
    rp_plan *again = solve(g, 1);
    ck_assert_int_eq(again->sum.moves, 0);
    ck_assert_uint_eq(again->nact, 0);
    ck_assert_double_eq_tol(again->sum.objective, p->sum.cost_after, 0.01);
    rp_plan_free(again);
    rp_fleet_free(g);
    free(out);
    rp_plan_free(p);
    free_fleet(&t);
}
END_TEST

/* The budget split among regions: with the whole budget of 2 moves
 * region A's part falls from 100 to 50 and region B's to 80, but only one
 * of them can have both moves. */
START_TEST(bound_split_among_regions)
{
    rp_bound_parts p = {.nregions = 2, .nb = 3, .budget = {0, 1, 2}};
    double part[6] = {100, 100, 50, 100, 100, 80};
    p.part = part;
    ck_assert_double_eq_tol(rp_bound_parts_total(&p, NULL), 150, 1e-9);
    /* A floor of 90 on A (a MIP bound for the whole budget): the moves
     * then go to B, 100 + 80; the split chosen before the floor would
     * claim 90 + 100. */
    double floor[2] = {90, -INFINITY};
    ck_assert_double_eq_tol(rp_bound_parts_total(&p, floor), 180, 1e-9);
    /* One move each: 60 + 80, B's 70 at one move raised to its 80 at two
     * (a part for more moves holds for fewer). */
    part[1] = 60;
    part[4] = 70;
    ck_assert_double_eq_tol(rp_bound_parts_total(&p, NULL), 140, 1e-9);
    /* A's 40 at no move is raised to its 60 at one, so the moves going to
     * B give 60 + 80, not 40 + 80. */
    part[0] = 40;
    ck_assert_double_eq_tol(rp_bound_parts_total(&p, NULL), 140, 1e-9);
}
END_TEST

/* Against every split of a small budget: for random parts on grids with
 * gaps, the total is the least sum over splits, each region's part at
 * the smallest grid budget at or above its moves (the largest part from
 * there on). */
START_TEST(bound_split_matches_every_split)
{
    uint64_t x = 12345;
    for (int round = 0; round < 200; round++) {
        rp_bound_parts p = {.nregions = 3, .nb = 4, .budget = {0, 1, 3, 7}};
        double part[12], floor[3];
        for (int k = 0; k < 12; k++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            part[k] = (double)(x >> 40 & 1023);
        }
        for (int g = 0; g < 3; g++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            floor[g] = (double)(x >> 40 & 1023);
        }
        p.part = part;
        for (int use_floor = 0; use_floor < 2; use_floor++) {
            double best = INFINITY;
            for (int a = 0; a <= 7; a++)
                for (int b = 0; a + b <= 7; b++)
                    for (int c = 0; a + b + c <= 7; c++) {
                        int m[3] = {a, b, c};
                        double sum = 0;
                        for (int g = 0; g < 3; g++) {
                            double v = -INFINITY;
                            for (int j = 0; j < 4; j++)
                                if (p.budget[j] >= m[g])
                                    v = fmax(v, part[g * 4 + j]);
                            sum += use_floor ? fmax(v, floor[g]) : v;
                        }
                        best = fmin(best, sum);
                    }
            ck_assert_double_eq_tol(rp_bound_parts_total(&p, use_floor ? floor : NULL), best, 1e-9);
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("solver");
    TCase *tc = tcase_create("solver");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, time_aware_packing_shares_a_small_pool);
    tcase_add_test(tc, peak_profiles_need_a_bigger_pool);
    tcase_add_test(tc, budget_zero_keeps_the_reef);
    tcase_add_test(tc, budget_zero_bound_counts_whole_sizes);
    tcase_add_test(tc, pinned_reefs_bound_each_at_its_own_peak);
    tcase_add_test(tc, draining_reef_bound_counts_whole_sizes);
    tcase_add_test(tc, bound_holds_when_the_budget_goes_to_another_reef);
    tcase_add_test(tc, budget_one_deletes_the_emptied_reef);
    tcase_add_test(tc, pinned_instance_stays);
    tcase_add_test(tc, both_pinned_nothing_moves);
    tcase_add_test(tc, group_members_in_distinct_reefs);
    tcase_add_test(tc, group_mates_never_trade_reefs);
    tcase_add_test(tc, group_mates_never_rotate_reefs);
    tcase_add_test(tc, sequence_forces_capacity_before_groups);
    tcase_add_test(tc, sequence_scale_up_waits_for_the_pool_that_left);
    tcase_add_test(tc, too_big_instance_is_unplaced_with_a_reason);
    tcase_add_test(tc, same_seed_same_plan);
    tcase_add_test(tc, progress_reports_each_step);
    tcase_add_test(tc, time_limit_is_reported);
    tcase_add_test(tc, pacer_stops_near_the_deadline);
    tcase_add_test(tc, pacer_reads_rarely_on_fast_steps);
    tcase_add_test(tc, budget_two_caps_moves);
    tcase_add_test(tc, budget_goes_to_the_largest_gain);
    tcase_add_test(tc, target_fleet_round_trip);
    tcase_add_test(tc, bound_split_among_regions);
    tcase_add_test(tc, bound_split_matches_every_split);
    suite_add_tcase(s, tc);
    return rp_test_run(s);
}

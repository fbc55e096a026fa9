/* test_mip.c - the exact rebalance model on tiny hand-built fleets whose
 * optimum is computed by hand below, plus export and the plan bridge.
 *
 * The catalog: template fixed 100, min 1 node of a VM (4 cpu, 16 GiB, 50);
 * pools P1 (2 vCore, 200) and P2 (4 vCore, 350); single DB 2 vCore 300;
 * shared storage 0.1/GiB; premium share >= 100 GiB at 0.2. Headroom 0.
 * Instances a (reef A) and b (reef B) use 1.5 vCore half the day and 0.5
 * the other half, in opposite halves; 1 core, 2 GiB, 10 GiB share.
 *   each reef alone: 100 + 200 (P1) + 50 (1 node) + 0.1*10   = 351
 *   both apart: 702; together: 2.0 vCore at every slot fits P1 exactly
 *   (the slack of rp_fits), so 100 + 200 + 50 + 2 = 352, plus one move
 *   (20) = 372. Dedicated tiers only cost more (DB 300, node 50, share 20). */
#include <glpk.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generate.h"
#include "mip.h"
#include "solver.h"
#include "testutil.h"
#include "verify.h"

static const char *catalog_json =
    "{\"version\": 1, \"currency\": \"USD\", \"db_compute_unit\": \"vcore\",\n"
    " \"templates\": [{\"name\": \"t\", \"fixed_cost\": 100, \"node_sku\": \"vm\", "
    "\"min_nodes\": 1, \"max_nodes\": 10, \"max_pods_per_node\": 110, \"storage_sku\": "
    "\"std\", \"dedicated_storage_sku\": \"prem\"}],\n"
    " \"elastic_pools\": [{\"sku\": \"P1\", \"db_compute\": 2, \"max_storage_gb\": 100, "
    "\"max_dbs\": 100, \"per_db_max\": 2, \"price\": 200},\n"
    "   {\"sku\": \"P2\", \"db_compute\": 4, \"max_storage_gb\": 200, \"max_dbs\": 100, "
    "\"per_db_max\": 4, \"price\": 350}],\n"
    " \"single_databases\": [{\"sku\": \"D2\", \"db_compute\": 2, \"max_storage_gb\": 100, "
    "\"price\": 300}],\n"
    " \"node_vms\": [{\"sku\": \"vm\", \"alloc_cpu\": 4, \"alloc_memory_gb\": 16, \"price\": "
    "50}],\n"
    " \"storage\": [{\"sku\": \"std\", \"kind\": \"shared\", \"max_gb\": 10000, \"max_iops\": "
    "10000, \"price_per_gb\": 0.1},\n"
    "   {\"sku\": \"prem\", \"kind\": \"dedicated\", \"min_gb\": 100, \"iops_base\": 3000, "
    "\"iops_per_gb\": 1, \"max_gb\": 1000, \"max_iops\": 10000, \"price_per_gb\": 0.2}]}\n";

/* A fleet of reefs A and B (states sa, sb; "" leaves a reef out), a budget,
 * max_reefs, and instance rows (instances.csv without the header). */
typedef struct spec {
    const char *sa, *sb;
    int budget, max_reefs;
    const char *rows;
    double big_c; /* db_compute of an instance "c" (0: none) */
} spec;

static char *reef_json(const char *name, const char *state)
{
    return rp_xasprintf("{\"name\": \"%s\", \"region\": \"r\", \"template\": \"t\", \"state\": "
                        "\"%s\", \"pool_sku\": \"P1\", \"nodes\": 1}",
                        name, state);
}

static char *fleet_json(const spec *s)
{
    char *a = *s->sa ? reef_json("A", s->sa) : rp_xstrdup("");
    char *b = *s->sb ? reef_json("B", s->sb) : rp_xstrdup("");
    char *j = rp_xasprintf(
        "{\"version\": 1, \"catalog\": \"cat.json\",\n"
        " \"settings\": {\"slots\": 24, \"quantile\": 0.95, \"headroom\": {\"db_compute\": 0, "
        "\"db_storage_gb\": 0, \"cpu_cores\": 0, \"memory_gb\": 0, \"share_gb\": 0, "
        "\"share_iops\": 0}, \"max_instances_per_reef\": 300, \"move_budget\": %d, "
        "\"move_cooldown_days\": 14, \"tier_change_cost\": 5, \"now\": "
        "\"2026-11-28T00:00:00Z\"},\n"
        " \"plans\": [{\"name\": \"std\", \"move_cost\": 20, \"default_profile\": "
        "{\"db_compute\": 0.1, \"db_storage_gb\": 1, \"cpu_cores\": 0.1, \"memory_gb\": 1, "
        "\"share_gb\": 1, \"share_iops\": 1}}],\n"
        " \"regions\": [{\"name\": \"r\", \"template\": \"t\", \"max_reefs\": %d}],\n"
        " \"reefs\": [%s%s%s]}\n",
        s->budget, s->max_reefs, a, *a && *b ? ", " : "", b);
    free(a);
    free(b);
    return j;
}

static void profile_rows(rp_vec *out, const char *id, int half, double dbc)
{
    const char *metric[6] = {"db_compute", "db_storage_gb", "cpu_cores",
                             "memory_gb",  "share_gb",      "share_iops"};
    const double flat[6] = {0, 10, 1, 2, 10, 10};
    for (int m = 0; m < 6; m++) {
        char line[1024];
        int n = snprintf(line, sizeof line, "%s,%s", id, metric[m]);
        for (int t = 0; t < 24; t++) {
            double v = flat[m];
            if (m == 0)
                v = dbc > 0 ? dbc : ((t < 12) == (half == 0) ? 1.5 : 0.5);
            n += snprintf(line + n, sizeof line - (size_t)n, ",%g", v);
        }
        snprintf(line + n, sizeof line - (size_t)n, "\n");
        for (const char *c = line; *c; c++)
            rp_vec_push(out, 1, c);
    }
}

static rp_fleet *make_fleet(const spec *s, char **dir_out)
{
    char *dir = rp_test_tmpdir();
    free(rp_test_write(dir, "cat.json", catalog_json));
    char *fj = fleet_json(s);
    free(rp_test_write(dir, "fleet.json", fj));
    free(fj);
    char *inst = rp_xasprintf(
        "instance_id,region,plan,reef,db,compute,storage,pinned,group,last_moved,window\n%s",
        s->rows);
    free(rp_test_write(dir, "instances.csv", inst));
    free(inst);
    rp_vec prof = {0};
    const char *head = "instance_id,metric";
    for (const char *c = head; *c; c++)
        rp_vec_push(&prof, 1, c);
    for (int t = 0; t < 24; t++) {
        char col[16];
        snprintf(col, sizeof col, ",v%d", t);
        for (const char *c = col; *c; c++)
            rp_vec_push(&prof, 1, c);
    }
    rp_vec_push(&prof, 1, "\n");
    if (strstr(s->rows, "a,r,"))
        profile_rows(&prof, "a", 0, 0);
    if (strstr(s->rows, "b,r,"))
        profile_rows(&prof, "b", 1, 0);
    if (s->big_c > 0)
        profile_rows(&prof, "c", 0, s->big_c);
    rp_vec_push(&prof, 1, "");
    free(rp_test_write(dir, "profiles.csv", prof.data));
    rp_vec_free(&prof);
    rp_fleet *f = NULL;
    rp_error err = {0};
    int rc = rp_fleet_load(dir, &f, &err);
    ck_assert_msg(rc == 0, "fleet: %s:%ld:%ld: %s", err.file, err.line, err.col, err.msg);
    if (dir_out)
        *dir_out = dir;
    else
        free(dir);
    return f;
}

#define ROW_A "a,r,std,A,shared,shared,shared,false,,,\n"
#define ROW_B "b,r,std,B,shared,shared,shared,false,,,\n"
/* a and b as above, in one group. */
#define ROWS_MATES                                                                                 \
    "a,r,std,A,shared,shared,shared,false,g,,\n"                                                   \
    "b,r,std,B,shared,shared,shared,false,g,,\n"

static void solve(const rp_fleet *f, int budget, rp_mip_result *r)
{
    int st = rp_mip_solve(f, budget, 30, r);
    ck_assert_int_eq(st, RP_MIP_OPTIMAL);
    ck_assert_int_eq(r->status, RP_MIP_OPTIMAL);
}

/* The plan made from the result passes the independent oracle and prices
 * the same objective. */
static void check_plan(rp_fleet *f, const rp_mip_result *r, int budget)
{
    rp_plan *p = rp_plan_new();
    ck_assert_int_eq(rp_mip_to_plan(f, r, budget, p), 0);
    ck_assert(fabs(p->sum.objective - r->objective) < 1e-6);
    rp_error err = {0};
    ck_assert_int_eq(rp_fleet_fingerprint(f, p->fingerprint, &err), 0);
    rp_plan_sequence(f, p, 4, NULL);
    int saved = f->set.move_budget;
    f->set.move_budget = budget >= -1 ? budget : saved;
    rp_verify_report rep;
    size_t bad = rp_verify(f, p, &rep);
    f->set.move_budget = saved;
    ck_assert_msg(bad == 0, "verify: %s", rep.nmsgs ? rep.msgs[0] : "?");
    ck_assert(fabs(rep.sum.objective - r->objective) < 0.01);
    rp_verify_report_free(&rep);
    rp_plan_free(p);
}

START_TEST(merge_reefs)
{
    rp_fleet *f = make_fleet(&(spec){"active", "active", 10, 2, ROW_A ROW_B, 0}, NULL);
    rp_mip_result r;
    solve(f, -2, &r);
    ck_assert_double_eq_tol(r.objective, 372.0, 1e-6);
    ck_assert_double_eq_tol(r.mip_objective, 372.0, 1e-6);
    ck_assert_double_eq_tol(r.bound, 372.0, 1e-6);
    ck_assert_int_eq(r.moves, 1);
    ck_assert_int_eq(r.place[0].reef, r.place[1].reef);
    ck_assert_int_eq(r.reefs[r.place[0].reef].pool, 0); /* P1, exactly full */
    ck_assert_int_eq(r.reefs[r.place[0].reef].nodes, 1);
    ck_assert(!r.reefs[1 - r.place[0].reef].open);
    ck_assert(r.rows > 0 && r.cols > 0 && r.nonzeros > 0 && r.integers > 0);
    check_plan(f, &r, -2);
    rp_mip_result_free(&r);
    rp_fleet_free(f);
}
END_TEST

START_TEST(budget_zero_keeps_reefs)
{
    rp_fleet *f = make_fleet(&(spec){"active", "active", 10, 2, ROW_A ROW_B, 0}, NULL);
    rp_mip_result r;
    solve(f, 0, &r);
    ck_assert_double_eq_tol(r.objective, 702.0, 1e-6);
    ck_assert_int_eq(r.moves, 0);
    ck_assert_int_eq(r.place[0].reef, 0);
    ck_assert_int_eq(r.place[1].reef, 1);
    check_plan(f, &r, 0);
    rp_mip_result_free(&r);
    rp_fleet_free(f);
}
END_TEST

START_TEST(group_keeps_apart)
{
    rp_fleet *f = make_fleet(&(spec){"active", "active", 10, 2, ROWS_MATES, 0}, NULL);
    rp_mip_result r;
    solve(f, -2, &r);
    ck_assert_double_eq_tol(r.objective, 702.0, 1e-6);
    ck_assert_int_ne(r.place[0].reef, r.place[1].reef);
    rp_mip_result_free(&r);
    rp_fleet_free(f);
}
END_TEST

/* a is cooling down (moved 10 days ago), b pinned: neither may leave. */
START_TEST(pinned_and_cooldown_stay)
{
    rp_fleet *f = make_fleet(&(spec){"active", "active", 10, 2,
                                     "a,r,std,A,shared,shared,shared,false,,2026-11-18,\n"
                                     "b,r,std,B,shared,shared,shared,true,,,\n",
                                     0},
                             NULL);
    rp_mip_result r;
    solve(f, -2, &r);
    ck_assert_double_eq_tol(r.objective, 702.0, 1e-6);
    ck_assert_int_eq(r.place[0].reef, 0);
    ck_assert_int_eq(r.place[1].reef, 1);
    rp_mip_result_free(&r);
    rp_fleet_free(f);
}
END_TEST

/* B is broken: b moves to A whatever the budget (352 + 20), B is deleted. */
START_TEST(broken_reef_evacuated)
{
    rp_fleet *f = make_fleet(&(spec){"active", "broken", 0, 2, ROW_A ROW_B, 0}, NULL);
    rp_mip_result r;
    solve(f, -2, &r);
    ck_assert_double_eq_tol(r.objective, 372.0, 1e-6);
    ck_assert_int_eq(r.place[1].reef, 0);
    ck_assert_int_eq(r.moves, 0); /* not counted by the budget */
    ck_assert(!r.reefs[1].open);
    check_plan(f, &r, -2);
    rp_mip_result_free(&r);
    rp_fleet_free(f);
}
END_TEST

/* B is draining: with budget 0 b stays (deferred, no penalty in the
 * objective); with budget 1 it leaves. */
START_TEST(draining_reef)
{
    rp_fleet *f = make_fleet(&(spec){"active", "draining", 0, 2, ROW_A ROW_B, 0}, NULL);
    rp_mip_result r;
    solve(f, 0, &r);
    ck_assert_double_eq_tol(r.objective, 702.0, 1e-6);
    ck_assert_double_eq_tol(r.mip_objective, 702.0 + RP_MIP_PEN_DRAIN, 1e-6);
    ck_assert_int_eq(r.left_draining, 1);
    rp_plan *p = rp_plan_new();
    ck_assert_int_eq(rp_mip_to_plan(f, &r, 0, p), 0);
    ck_assert_uint_eq(p->ndeferred, 1);
    ck_assert_str_eq(p->deferred[0].reason, "move budget");
    rp_plan_free(p);
    rp_mip_result_free(&r);
    solve(f, 1, &r);
    ck_assert_double_eq_tol(r.objective, 372.0, 1e-6);
    ck_assert_int_eq(r.left_draining, 0);
    ck_assert_int_eq(r.place[1].reef, 0);
    rp_mip_result_free(&r);
    rp_fleet_free(f);
}
END_TEST

/* No reef yet and a new instance: the model opens a new reef (351); a new
 * instance c needing 10 vCore fits no pool or single DB: unplaced, and the
 * reported objective leaves its penalty out. */
START_TEST(new_reef_and_unplaced)
{
    rp_fleet *f = make_fleet(&(spec){"", "", 10, 2,
                                     "a,r,std,,,,,false,,,\n"
                                     "c,r,std,,,,,false,,,\n",
                                     10},
                             NULL);
    rp_mip_result r;
    solve(f, -2, &r);
    ck_assert_uint_eq(r.nreefs, 2); /* min(ceil(2/20) + 2, max_reefs 2) candidates */
    ck_assert_int_eq(r.reefs[0].fleet_reef, -1);
    ck_assert_double_eq_tol(r.objective, 351.0, 1e-6);
    ck_assert_int_eq(r.unplaced, 1);
    ck_assert_int_eq(r.place[1].reef, -1);
    ck_assert_int_eq(r.place[0].reef, 0); /* the first candidate: symmetry rows */
    rp_plan *p = rp_plan_new();
    ck_assert_int_eq(rp_mip_to_plan(f, &r, -2, p), 0);
    ck_assert_uint_eq(p->nreefs, 1);
    ck_assert(p->reefs[0].created);
    ck_assert_str_eq(p->reefs[0].name, "r-01");
    ck_assert_uint_eq(p->nunplaced, 1);
    rp_plan_free(p);
    rp_mip_result_free(&r);
    rp_fleet_free(f);
}
END_TEST

/* Subset mode: only b is free, a stays at A as fixed load: b joins A. */
START_TEST(subset_fixed_rest)
{
    rp_fleet *f = make_fleet(&(spec){"active", "active", 10, 2, ROW_A ROW_B, 0}, NULL);
    rp_mip_opts o;
    rp_mip_opts_default(&o);
    int free_inst[1] = {rp_fleet_find_instance(f, "b")};
    int cand[2] = {0, 1};
    o.free_inst = free_inst;
    o.nfree = 1;
    o.cand_reefs = cand;
    o.ncand = 2;
    rp_mip_result r;
    rp_error err = {0};
    ck_assert_int_eq(rp_mip_solve_opts(f, &o, &r, &err), 0);
    ck_assert_int_eq(r.status, RP_MIP_OPTIMAL);
    ck_assert_double_eq_tol(r.objective, 372.0, 1e-6);
    ck_assert_int_eq(r.place[free_inst[0]].reef, 0);
    rp_mip_result_free(&r);
    cand[0] = 7;
    ck_assert_int_eq(rp_mip_solve_opts(f, &o, &r, &err), RP_EINVALID);
    ck_assert_str_eq(err.msg, "cand_reefs[0]: bad reef 7");
    rp_fleet_free(f);
}
END_TEST

START_TEST(export_reads_back)
{
    char *dir;
    rp_fleet *f = make_fleet(&(spec){"active", "active", 10, 2, ROW_A ROW_B, 0}, &dir);
    char *path = rp_xasprintf("%s/model.lp", dir);
    rp_error err = {0};
    ck_assert_int_eq(rp_mip_export_lp(f, -2, path, &err), 0);
    rp_mip_result r;
    solve(f, -2, &r);
    glp_term_out(GLP_OFF);
    glp_prob *lp = glp_create_prob();
    ck_assert_int_eq(glp_read_lp(lp, NULL, path), 0);
    ck_assert_int_eq(glp_get_num_rows(lp), r.rows);
    ck_assert_int_eq(glp_get_num_cols(lp), r.cols);
    ck_assert_int_eq(glp_get_num_int(lp), r.integers);
    glp_iocp parm;
    glp_init_iocp(&parm);
    parm.presolve = GLP_ON;
    parm.msg_lev = GLP_MSG_OFF;
    ck_assert_int_eq(glp_intopt(lp, &parm), 0);
    ck_assert_double_eq_tol(glp_mip_obj_val(lp), 372.0, 1e-6);
    glp_delete_prob(lp);
    ck_assert_int_eq(rp_mip_export_lp(f, -2, "/nonexistent-dir/x.lp", &err), RP_EIO);
    rp_mip_result_free(&r);
    free(path);
    free(dir);
    rp_fleet_free(f);
}
END_TEST

/* The model widened to hold every valid plan: its LP relaxation alone
 * (mip false: a bound and no plan), or solved as a MIP (opts.widen). */
static void widened(const rp_fleet *f, int budget, bool mip, rp_mip_result *r)
{
    rp_mip_opts o;
    rp_mip_opts_default(&o);
    o.move_budget = budget;
    o.relax_only = !mip;
    o.widen = mip;
    rp_error err = {0};
    ck_assert_int_eq(rp_mip_solve_opts(f, &o, r, &err), 0);
    ck_assert_int_eq(r->status, mip ? RP_MIP_OPTIMAL : RP_MIP_NONE);
    ck_assert(isfinite(r->bound));
}

/* Mates a and b: the widened model has the pairs the model leaves out,
 * each at the reef the other starts in, and its bound is not above the
 * model's optimum. */
static void mates_widened(bool mip)
{
    rp_fleet *f = make_fleet(&(spec){"active", "active", 10, 2, ROWS_MATES, 0}, NULL);
    rp_mip_result full, r;
    solve(f, -2, &full);
    widened(f, -2, mip, &r);
    ck_assert_int_gt(r.cols, full.cols);
    ck_assert(r.bound <= full.objective + 1e-6);
    rp_mip_result_free(&full);
    rp_mip_result_free(&r);
    rp_fleet_free(f);
}

/* The LP relaxation alone gives a bound and no plan. Merging a and b:
 * the LP reaches the optimum, 372 (a reef open in part pays its part of
 * the fixed cost, pool and node, so halves gain nothing). B draining with no budget:
 * b stays, which the model charges RP_MIP_PEN_DRAIN and the relaxation
 * does not (a plan may leave it there): exactly 702. Mates: mates_widened. */
START_TEST(relax_only_bounds)
{
    rp_fleet *f = make_fleet(&(spec){"active", "active", 10, 2, ROW_A ROW_B, 0}, NULL);
    rp_mip_result r;
    widened(f, -2, false, &r);
    ck_assert_double_eq_tol(r.bound, 372.0, 1e-6);
    rp_mip_result_free(&r);
    rp_fleet_free(f);

    f = make_fleet(&(spec){"active", "draining", 0, 2, ROW_A ROW_B, 0}, NULL);
    widened(f, 0, false, &r);
    ck_assert_double_eq_tol(r.bound, 702.0, 1e-6);
    rp_mip_result_free(&r);
    rp_fleet_free(f);

    mates_widened(false);
}
END_TEST

/* The widened model solved as a MIP (opts.widen): a bound for every valid
 * plan, as the LP relaxation is, from branch and bound. B draining with no
 * budget: the model's optimum is 100,702 (RP_MIP_PEN_DRAIN for b's
 * staying), the widened one's 702. Mates: mates_widened. */
START_TEST(widen_bounds)
{
    rp_fleet *f = make_fleet(&(spec){"active", "draining", 0, 2, ROW_A ROW_B, 0}, NULL);
    rp_mip_result full, r;
    solve(f, 0, &full);
    ck_assert_double_eq_tol(full.mip_objective, 100702.0, 1e-6);
    widened(f, 0, true, &r);
    ck_assert_double_eq_tol(r.bound, 702.0, 1e-6);
    rp_mip_result_free(&full);
    rp_mip_result_free(&r);
    rp_fleet_free(f);

    mates_widened(true);
}
END_TEST

/* rp_mip_reefs offers ceil(n/20) + 2 new reefs per region at most: with
 * A and B and max_reefs 4 that is every new reef a plan may open (2), with
 * max_reefs 10 it is 3 of 8. */
START_TEST(reefs_complete)
{
    rp_fleet *f = make_fleet(&(spec){"active", "active", 10, 4, ROW_A ROW_B, 0}, NULL);
    rp_mip_reef *mr;
    ck_assert_uint_eq(rp_mip_reefs(f, &mr), 4);
    free(mr);
    ck_assert(rp_mip_reefs_complete(f));
    rp_fleet_free(f);
    f = make_fleet(&(spec){"active", "active", 10, 10, ROW_A ROW_B, 0}, NULL);
    ck_assert_uint_eq(rp_mip_reefs(f, &mr), 5);
    free(mr);
    ck_assert(!rp_mip_reefs_complete(f));
    rp_fleet_free(f);
}
END_TEST

/* The tiny fixture: the exact optimum is never above the heuristic's. */
START_TEST(tiny_not_above_heuristic)
{
    rp_fleet *f = NULL;
    rp_error err = {0};
    ck_assert_int_eq(rp_fleet_load(rp_test_path("tests/fixtures/tiny"), &f, &err), 0);
    rp_mip_result r;
    solve(f, -2, &r);
    rp_solve_opts so = {.time_limit = 10, .seed = 1, .move_budget = -2};
    rp_solver *s = rp_solver_new(f, &so);
    rp_solver_run(s);
    ck_assert(r.objective <= rp_solver_objective(s) + 1e-6);
    rp_solver_free(s);
    check_plan(f, &r, -2);
    rp_mip_result_free(&r);
    rp_fleet_free(f);
}
END_TEST

/* A starting solution, feasible (the current placement) or not (a move
 * over a budget of 0; both in A with a group between them), never changes
 * the optimum; the solver's plan maps onto the model's reefs. */
START_TEST(warm_start)
{
    rp_fleet *f = make_fleet(&(spec){"active", "active", 10, 2,
                                     "a,r,std,A,shared,shared,shared,false,g,,\n"
                                     "b,r,std,B,shared,shared,shared,false,,,\n",
                                     0},
                             NULL);
    rp_mip_place start[2] = {{0, {0, 0, 0}, {-1, 0, 0}}, {1, {0, 0, 0}, {-1, 0, 0}}};
    rp_mip_opts o;
    rp_mip_opts_default(&o);
    o.start = start;
    rp_mip_result r;
    rp_error err = {0};
    ck_assert_int_eq(rp_mip_solve_opts(f, &o, &r, &err), 0);
    ck_assert_int_eq(r.status, RP_MIP_OPTIMAL);
    ck_assert(r.start_used);
    ck_assert_double_eq_tol(r.objective, 372.0, 1e-6);
    rp_mip_result_free(&r);
    start[0].tier[RP_TIER_DB] = RP_DEDICATED; /* feasible too, dearer */
    ck_assert_int_eq(rp_mip_solve_opts(f, &o, &r, &err), 0);
    ck_assert(r.start_used);
    ck_assert_double_eq_tol(r.objective, 372.0, 1e-6);
    rp_mip_result_free(&r);
    start[0] = (rp_mip_place){1, {0, 0, 0}, {-1, 0, 0}}; /* a moves: over budget 0 */
    o.move_budget = 0;
    ck_assert_int_eq(rp_mip_solve_opts(f, &o, &r, &err), 0);
    ck_assert(!r.start_used);
    ck_assert_double_eq_tol(r.objective, 702.0, 1e-6);
    rp_mip_result_free(&r);
    start[1].reef = 9;
    ck_assert_int_eq(rp_mip_solve_opts(f, &o, &r, &err), RP_EINVALID);
    ck_assert_str_eq(err.msg, "start placement of instance b: bad reef 9 or tiers");
    o.move_budget = -2;
    rp_solve_opts so = {.time_limit = 10, .seed = 1, .move_budget = -2};
    rp_solver *s = rp_solver_new(f, &so);
    rp_solver_run(s);
    rp_plan *p = rp_plan_new();
    rp_solver_to_plan(s, p);
    rp_mip_place *from = rp_mip_start_from_plan(f, p);
    ck_assert_ptr_nonnull(from);
    ck_assert_int_eq(from[0].reef, p->reefs[p->place[0].reef].fleet_reef);
    o.start = from;
    ck_assert_int_eq(rp_mip_solve_opts(f, &o, &r, &err), 0);
    ck_assert_double_eq_tol(r.objective, 372.0, 1e-6);
    ck_assert(r.objective <= rp_solver_objective(s) + 1e-6);
    rp_mip_result_free(&r);
    free(from);
    rp_plan_free(p);
    rp_solver_free(s);
    rp_fleet_free(f);
    /* a and b in one group: apart is feasible, both in A is not. */
    f = make_fleet(&(spec){"active", "active", 10, 2, ROWS_MATES, 0}, NULL);
    start[0] = (rp_mip_place){0, {0, 0, 0}, {-1, 0, 0}};
    start[1] = (rp_mip_place){1, {0, 0, 0}, {-1, 0, 0}};
    o.start = start;
    ck_assert_int_eq(rp_mip_solve_opts(f, &o, &r, &err), 0);
    ck_assert(r.start_used);
    ck_assert_double_eq_tol(r.objective, 702.0, 1e-6);
    rp_mip_result_free(&r);
    start[1].reef = 0; /* b joins a in A */
    ck_assert_int_eq(rp_mip_solve_opts(f, &o, &r, &err), 0);
    ck_assert(!r.start_used);
    ck_assert_double_eq_tol(r.objective, 702.0, 1e-6);
    ck_assert_int_ne(r.place[0].reef, r.place[1].reef);
    rp_mip_result_free(&r);
    rp_fleet_free(f);
}
END_TEST

/* A node limit ends a branch and bound that needs many nodes (this fleet
 * takes seconds to prove), well before its time limit: the result is not
 * marked timed out, is not proven optimal, and is the same on every run. */
START_TEST(node_limit_is_deterministic)
{
    char *dir = rp_test_tmpdir();
    char *out = rp_xasprintf("%s/fleet", dir);
    rp_gen_opts g;
    rp_gen_opts_init(&g);
    g.instances = 40;
    g.seed = 3;
    g.slots = 24;
    rp_error err = {0};
    ck_assert_int_eq(rp_generate(&g, out, &err), 0);
    rp_fleet *f = NULL;
    ck_assert_int_eq(rp_fleet_load(out, &f, &err), 0);
    rp_mip_opts o;
    rp_mip_opts_default(&o);
    o.node_limit = 3;
    o.lp_iter_limit = 100000;
    rp_mip_result a, b;
    ck_assert_int_eq(rp_mip_solve_opts(f, &o, &a, &err), 0);
    ck_assert_int_eq(rp_mip_solve_opts(f, &o, &b, &err), 0);
    ck_assert(!a.timed_out);
    ck_assert_int_ne(a.status, RP_MIP_OPTIMAL);
    ck_assert_int_eq(a.status, b.status);
    ck_assert(a.bound == b.bound);
    ck_assert(a.seconds < 30);
    rp_mip_result_free(&a);
    rp_mip_result_free(&b);
    rp_fleet_free(f);
    char *cmd = rp_xasprintf("rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    free(out);
    free(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("mip");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, merge_reefs);
    tcase_add_test(tc, budget_zero_keeps_reefs);
    tcase_add_test(tc, group_keeps_apart);
    tcase_add_test(tc, pinned_and_cooldown_stay);
    tcase_add_test(tc, broken_reef_evacuated);
    tcase_add_test(tc, draining_reef);
    tcase_add_test(tc, new_reef_and_unplaced);
    tcase_add_test(tc, subset_fixed_rest);
    tcase_add_test(tc, export_reads_back);
    tcase_add_test(tc, relax_only_bounds);
    tcase_add_test(tc, widen_bounds);
    tcase_add_test(tc, reefs_complete);
    tcase_add_test(tc, tiny_not_above_heuristic);
    tcase_add_test(tc, warm_start);
    tcase_add_test(tc, node_limit_is_deterministic);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_test_run(suite());
}

/* reefplan verify FLEET PLAN [--json] [--move-budget K]: checks a plan against
 * SPEC §3-5; --move-budget checks against the budget a plan was made with
 * (rebalance --move-budget) instead of settings.move_budget.
 * Exit 0 valid, 1 violations, 2 usage or input error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "plan.h"
#include "verify.h"

static json_t *summary_json(const rp_plan_summary *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "cost_before", json_real(round(s->cost_before * 100) / 100));
    json_object_set_new(o, "cost_after", json_real(round(s->cost_after * 100) / 100));
    json_object_set_new(o, "objective", json_real(round(s->objective * 100) / 100));
    json_object_set_new(o, "moves", json_integer(s->moves));
    json_object_set_new(o, "tier_changes", json_integer(s->tier_changes));
    json_object_set_new(o, "reefs_opened", json_integer(s->reefs_opened));
    json_object_set_new(o, "reefs_deleted", json_integer(s->reefs_deleted));
    json_object_set_new(o, "unplaced", json_integer(s->unplaced));
    return o;
}

static int print_json(const rp_plan *p, const rp_verify_report *rep)
{
    json_t *o = json_object();
    json_object_set_new(o, "valid", json_boolean(rep->nviolations == 0));
    json_t *v = json_array();
    for (size_t k = 0; k < rep->nmsgs; k++)
        json_array_append_new(v, json_string(rep->msgs[k]));
    json_object_set_new(o, "violations", v);
    json_object_set_new(o, "violation_count", json_integer((json_int_t)rep->nviolations));
    json_object_set_new(o, "placements", json_integer((json_int_t)p->nplace));
    json_object_set_new(o, "actions", json_integer((json_int_t)p->nact));
    json_object_set_new(o, "summary", summary_json(&rep->sum));
    char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(o);
    char *line = rp_xasprintf("%s\n", text);
    free(text);
    int rc = rp_cli_output(NULL, line);
    free(line);
    return rc;
}

static void print_text(const rp_plan *p, const rp_verify_report *rep)
{
    if (rep->nviolations == 0) {
        printf("plan valid: %zu placements, %zu actions, objective %.2f\n", p->nplace, p->nact,
               rep->sum.objective);
        return;
    }
    for (size_t k = 0; k < rep->nmsgs; k++)
        printf("%s\n", rep->msgs[k]);
    if (rep->nviolations > rep->nmsgs)
        printf("... and %zu more\n", rep->nviolations - rep->nmsgs);
    printf("plan invalid: %zu violation%s\n", rep->nviolations, rep->nviolations == 1 ? "" : "s");
}

int cmd_verify(int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    bool as_json = false;
    long budget = -2;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--json"))
            as_json = true;
        else if (!strcmp(argv[k], "--move-budget")) {
            if (rp_cli_long("verify", "--move-budget", k + 1 < argc ? argv[++k] : NULL, -1,
                            1000000000L, &budget) < 0)
                return RP_EXIT_USAGE;
        }
        else if (argv[k][0] == '-' && argv[k][1])
            return rp_cli_usage("verify", "unknown option '%s'", argv[k]);
        else if (npos < 2)
            pos[npos++] = argv[k];
        else
            return rp_cli_usage("verify", "unexpected argument '%s'", argv[k]);
    }
    if (npos != 2)
        return rp_cli_usage("verify",
                            "usage: reefplan verify FLEET PLAN [--json] [--move-budget K]");
    rp_cli_log_init(0);
    rp_error err = {0};
    rp_fleet *f = NULL;
    rp_plan *p = NULL;
    if (rp_fleet_load(pos[0], &f, &err) < 0)
        return rp_cli_error(&err);
    if (budget >= -1)
        f->set.move_budget = (int)budget; /* the budget the plan was made with */
    if (rp_plan_read(pos[1], f, &p, &err) < 0) {
        rp_fleet_free(f);
        return rp_cli_error(&err);
    }
    rp_verify_report rep;
    size_t bad = rp_verify(f, p, &rep);
    int rc = bad ? RP_EXIT_FAIL : RP_EXIT_OK;
    if (as_json) {
        if (print_json(p, &rep) < 0)
            rc = RP_EXIT_FAIL;
    } else {
        print_text(p, &rep);
        if (rp_cli_stdout_done() < 0)
            rc = RP_EXIT_FAIL;
    }
    rp_verify_report_free(&rep);
    rp_plan_free(p);
    rp_fleet_free(f);
    return rc;
}

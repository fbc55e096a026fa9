/* reefplan check FLEET [--json]: validate a fleet and summarise its current
 * state. Exit 0 when the inputs are valid (even if reefs are over capacity:
 * that is an answer, reported), 2 on input errors. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cli.h"

static const char *over_what(const rp_fleet *f, const rp_audit_over *o, char *buf, size_t n)
{
    char slot[16];
    if (o->rule == RP_RULE_GROUP)
        snprintf(buf, n, "group '%s' has more than one instance here", f->groups[(int)o->value]);
    else if (o->slot >= 0)
        snprintf(buf, n, "%s at %s (slot %d): %.4g > %.4g, over in %d of %d slots",
                 rp_metric_names[o->metric], rp_slot_label(o->slot, f->set.slots, slot), o->slot,
                 o->value, o->limit, o->nslots, f->set.slots);
    else /* min_nodes is the one rule with a floor */
        snprintf(buf, n, "%s: %.4g %s %.4g", rp_rule_name(o->rule), o->value,
                 o->rule == RP_RULE_MIN_NODES ? "<" : ">", o->limit);
    return buf;
}

static void print_text(const char *dir, const rp_fleet *f, const rp_audit_report *r)
{
    printf("fleet %s: %zu instances (%zu placed, %zu not yet placed), %zu regions, %zu reefs, "
           "%d slots, catalog %s\n",
           dir, f->ninst, r->placed, r->unplaced, f->nregions, f->nreefs, f->set.slots,
           f->cat->name);
    printf("\n%-16s %6s %10s\n", "region", "reefs", "instances");
    for (size_t g = 0; g < f->nregions; g++)
        printf("%-16s %6zu %10zu\n", f->regions[g].name, r->region_reefs[g],
               r->region_instances[g]);
    printf("\n%-16s %-14s %-9s %9s %-16s %6s %5s %5s %5s %12s\n", "reef", "region", "state",
           "instances", "pool", "nodes", "d.db", "d.cmp", "d.sto", "cost/month");
    for (size_t k = 0; k < f->nreefs; k++) {
        const rp_reef *x = &f->reefs[k];
        const rp_audit_reef *c = &r->reefs[k];
        printf("%-16s %-14s %-9s %9d %-16s %6d %5d %5d %5d %12.2f\n", x->name,
               f->regions[x->region].name, rp_reef_state_names[x->state], c->instances,
               f->cat->pools[x->pool].sku, x->nodes, c->ded[0], c->ded[1], c->ded[2], c->cost);
    }
    printf("\ncurrent monthly cost: %.2f %s\n", r->cost, f->cat->currency);
    if (!r->nover) {
        printf("over capacity now: none\n");
        return;
    }
    printf("over capacity now: %zu finding(s)\n", r->nover);
    char buf[256];
    for (size_t k = 0; k < r->nover; k++)
        printf("  %s: %s\n", f->reefs[r->over[k].reef].name, over_what(f, &r->over[k], buf,
                                                                         sizeof buf));
}

static json_t *over_json(const rp_fleet *f, const rp_audit_over *o)
{
    json_t *j = json_pack("{s:s, s:s, s:i}", "reef", f->reefs[o->reef].name, "rule",
                          rp_rule_name(o->rule), "slots_over", o->nslots);
    if (o->rule == RP_RULE_GROUP) {
        json_object_set_new(j, "metric", json_null());
        json_object_set_new(j, "group", json_string(f->groups[(int)o->value]));
    } else {
        json_object_set_new(j, "metric",
                            o->metric >= 0 ? json_string(rp_metric_names[o->metric]) : json_null());
        json_object_set_new(j, "value", json_real(o->value));
        json_object_set_new(j, "limit", json_real(o->limit));
    }
    json_object_set_new(j, "slot", o->slot >= 0 ? json_integer(o->slot) : json_null());
    return j;
}

static char *report_json(const rp_fleet *f, const rp_audit_report *r)
{
    json_t *reefs = json_array(), *regions = json_array(), *over = json_array();
    for (size_t k = 0; k < f->nreefs; k++) {
        const rp_reef *x = &f->reefs[k];
        json_t *util = json_object();
        for (int m = 0; m < RP_NMETRICS; m++) { /* null: load where the reef has no capacity */
            double u = r->reefs[k].util[m];
            json_object_set_new(util, rp_metric_names[m], isfinite(u) ? json_real(u) : json_null());
        }
        json_array_append_new(
            reefs, json_pack("{s:s, s:s, s:s, s:i, s:s, s:i, s:f, s:o}", "name", x->name,
                             "region", f->regions[x->region].name, "state",
                             rp_reef_state_names[x->state], "instances", r->reefs[k].instances,
                             "pool_sku", f->cat->pools[x->pool].sku, "nodes", x->nodes, "cost",
                             r->reefs[k].cost, "peak_utilization", util));
    }
    for (size_t g = 0; g < f->nregions; g++)
        json_array_append_new(regions, json_pack("{s:s, s:I, s:I}", "name", f->regions[g].name,
                                                 "reefs", (json_int_t)r->region_reefs[g],
                                                 "instances",
                                                 (json_int_t)r->region_instances[g]));
    for (size_t k = 0; k < r->nover; k++)
        json_array_append_new(over, over_json(f, &r->over[k]));
    json_t *root = json_pack("{s:I, s:I, s:I, s:i, s:s, s:o, s:o, s:f, s:s, s:o}", "instances",
                             (json_int_t)f->ninst, "placed", (json_int_t)r->placed, "unplaced",
                             (json_int_t)r->unplaced, "slots", f->set.slots, "catalog",
                             f->cat->name, "regions", regions, "reefs", reefs, "cost", r->cost,
                             "currency", f->cat->currency, "over_capacity", over);
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    json_decref(root);
    return s;
}

int cmd_check(int argc, char **argv)
{
    const char *dir = NULL;
    bool as_json = false;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--json"))
            as_json = true;
        else if (argv[k][0] == '-')
            return rp_cli_usage("check", "unknown option '%s'", argv[k]);
        else if (!dir)
            dir = argv[k];
        else
            return rp_cli_usage("check", "unexpected argument '%s'", argv[k]);
    }
    if (!dir)
        return rp_cli_usage("check", "usage: reefplan check FLEET [--json]");
    rp_cli_log_init(0);
    rp_fleet *f;
    rp_error err;
    if (rp_fleet_load(dir, &f, &err) < 0)
        return rp_cli_error(&err);
    rp_audit_report r;
    rp_audit_run(f, &r);
    int rc = RP_EXIT_OK;
    if (as_json) {
        char *s = report_json(f, &r);
        size_t n = strlen(s);
        char *t = rp_xmalloc(n + 2);
        memcpy(t, s, n);
        memcpy(t + n, "\n", 2);
        if (rp_cli_output(NULL, t) < 0)
            rc = RP_EXIT_FAIL;
        free(s);
        free(t);
    } else {
        print_text(dir, f, &r);
        if (rp_cli_stdout_done() < 0)
            rc = RP_EXIT_FAIL;
    }
    rp_audit_report_free(&r);
    rp_fleet_free(f);
    return rc;
}

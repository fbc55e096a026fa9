/* reefplan place FLEET --request REQ.json [--json]: rank the reefs of the
 * request's region for one new instance. Exit 0 when some reef can take it,
 * 1 when none can (the answer lists why), 2 on input errors. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cli.h"
#include "place.h"

static json_t *option_json(const rp_fleet *f, const rp_place_option *o)
{
    json_t *j = json_pack("{s:s, s:b}", "reef", f->reefs[o->reef].name, "feasible", o->feasible);
    if (!o->feasible) {
        json_object_set_new(j, "reason", json_string(o->reason));
        return j;
    }
    for (int t = 0; t < RP_NTIERS; t++)
        json_object_set_new(j, rp_tier_names[t],
                            json_string(o->tier[t] == RP_SHARED ? "shared" : "dedicated"));
    if (o->tier[RP_TIER_DB])
        json_object_set_new(j, "db_sku", json_string(f->cat->dbs[o->ded.db_sku].sku));
    if (o->tier[RP_TIER_COMPUTE])
        json_object_set_new(j, "compute_nodes", json_integer(o->ded.nodes));
    if (o->tier[RP_TIER_STORAGE])
        json_object_set_new(j, "storage_gb", json_integer(o->ded.share_gb));
    json_object_set_new(j, "marginal_cost", json_real(o->marginal));
    json_object_set_new(j, "pool_sku", json_string(f->cat->pools[o->pool_after].sku));
    json_object_set_new(j, "nodes", json_integer(o->nodes_after));
    json_object_set_new(j, "resize", json_boolean(o->pool_after != o->pool_before ||
                                                  o->nodes_after != o->nodes_before));
    json_t *h = json_object();
    for (int m = 0; m < RP_NMETRICS; m++) /* null: the tier is dedicated */
        json_object_set_new(h, rp_metric_names[m],
                            o->slot[m] < 0
                                ? json_null()
                                : json_pack("{s:f, s:f, s:i}", "left", o->left[m], "utilization",
                                            o->util[m], "slot", o->slot[m]));
    json_object_set_new(j, "headroom", h);
    json_object_set_new(j, "binding", o->binding >= 0
                                          ? json_pack("{s:s, s:i, s:f}", "metric",
                                                      rp_metric_names[o->binding], "slot",
                                                      o->slot[o->binding], "utilization",
                                                      o->util[o->binding])
                                          : json_null());
    return j;
}

static char *result_json(const rp_fleet *f, const rp_place_req *req, const rp_place_result *r)
{
    json_t *ranked = json_array(), *rejected = json_array();
    for (size_t k = 0; k < r->n; k++)
        json_array_append_new(r->opt[k].feasible ? ranked : rejected,
                              option_json(f, &r->opt[k]));
    json_t *root = json_pack("{s:s, s:s, s:s, s:b, s:o, s:o}", "instance_id", req->id, "region",
                             f->regions[req->region].name, "plan", f->plans[req->plan].name,
                             "default_profile", req->from_default, "ranked", ranked, "rejected",
                             rejected);
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(8));
    json_decref(root);
    return s;
}

static void print_text(const rp_fleet *f, const rp_place_req *req, const rp_place_result *r)
{
    printf("%s (%s, plan %s): %zu of %zu reefs can take it\n", req->id,
           f->regions[req->region].name, f->plans[req->plan].name, r->nfeasible, r->n);
    char slot[16];
    for (size_t k = 0; k < r->n; k++) {
        const rp_place_option *o = &r->opt[k];
        if (!o->feasible) {
            printf("  %-14s no: %s\n", f->reefs[o->reef].name, o->reason);
            continue;
        }
        printf("  %-14s +%.2f %s/month  db=%s compute=%s storage=%s  pool %s, %d nodes",
               f->reefs[o->reef].name, o->marginal, f->cat->currency,
               o->tier[0] ? "dedicated" : "shared", o->tier[1] ? "dedicated" : "shared",
               o->tier[2] ? "dedicated" : "shared", f->cat->pools[o->pool_after].sku,
               o->nodes_after);
        if (o->binding >= 0)
            printf("  binding %s %.0f%% at %s", rp_metric_names[o->binding],
                   100 * o->util[o->binding],
                   rp_slot_label(o->slot[o->binding], f->set.slots, slot));
        printf("\n");
    }
}

int cmd_place(int argc, char **argv)
{
    const char *dir = NULL, *reqpath = NULL;
    bool as_json = false;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--json"))
            as_json = true;
        else if (!strcmp(argv[k], "--request")) {
            if (k + 1 >= argc)
                return rp_cli_usage("place", "--request needs a file");
            reqpath = argv[++k];
        } else if (argv[k][0] == '-')
            return rp_cli_usage("place", "unknown option '%s'", argv[k]);
        else if (!dir)
            dir = argv[k];
        else
            return rp_cli_usage("place", "unexpected argument '%s'", argv[k]);
    }
    if (!dir || !reqpath)
        return rp_cli_usage("place", "usage: reefplan place FLEET --request REQ.json [--json]");
    rp_cli_log_init(0);
    rp_fleet *f;
    rp_error err;
    if (rp_fleet_load(dir, &f, &err) < 0)
        return rp_cli_error(&err);
    rp_place_req req;
    if (rp_place_request_read(f, reqpath, &req, &err) < 0) {
        rp_fleet_free(f);
        return rp_cli_error(&err);
    }
    rp_placer *pl = rp_placer_new(f);
    rp_place_result res;
    rp_place_query(pl, &req, &res);
    int rc = res.nfeasible ? RP_EXIT_OK : RP_EXIT_FAIL;
    if (as_json) {
        char *s = result_json(f, &req, &res);
        char *line = rp_xasprintf("%s\n", s);
        if (rp_cli_output(NULL, line) < 0)
            rc = RP_EXIT_FAIL;
        free(s);
        free(line);
    } else {
        print_text(f, &req, &res);
        if (rp_cli_stdout_done() < 0)
            rc = RP_EXIT_FAIL;
    }
    rp_place_result_free(&res);
    rp_placer_free(pl);
    rp_place_req_free(&req);
    rp_fleet_free(f);
    return rc;
}

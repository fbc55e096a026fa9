#include "place.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "jsonpos.h"
#include "profile.h"

struct rp_placer {
    const rp_fleet *f;
    rp_reef_use *use;   /* per fleet reef, current placement */
    double *cost;       /* per reef, at its stated size */
    int *region_reefs;  /* reefs of each region, packed */
    int *region_first;  /* nregions + 1 offsets into region_reefs */
    int *reef_groups;   /* per instance placed: reef*ngroups pairs, sorted */
    size_t nreef_groups;
};

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

rp_placer *rp_placer_new(const rp_fleet *f)
{
    rp_placer *p = rp_xcalloc(1, sizeof *p);
    p->f = f;
    size_t nr = f->nreefs ? f->nreefs : 1;
    p->use = rp_xcalloc(nr, sizeof(rp_reef_use));
    p->cost = rp_xcalloc(nr, sizeof(double));
    rp_fleet_current_use(f, p->use);
    for (size_t r = 0; r < f->nreefs; r++)
        p->cost[r] = rp_use_cost(&p->use[r], f, f->reefs[r].template_idx, f->reefs[r].pool,
                                 f->reefs[r].nodes);
    p->region_first = rp_xcalloc(f->nregions + 1, sizeof(int));
    p->region_reefs = rp_xcalloc(nr, sizeof(int));
    for (size_t r = 0; r < f->nreefs; r++)
        p->region_first[f->reefs[r].region + 1]++;
    for (size_t g = 0; g < f->nregions; g++)
        p->region_first[g + 1] += p->region_first[g];
    int *fill = rp_xcalloc(f->nregions + 1, sizeof(int));
    for (size_t r = 0; r < f->nreefs; r++) {
        int g = f->reefs[r].region;
        p->region_reefs[p->region_first[g] + fill[g]++] = (int)r;
    }
    free(fill);
    /* (group, reef) keys, sorted, for the distinct-groups rule. */
    p->reef_groups = rp_xcalloc(f->ninst + 1, sizeof(int));
    for (size_t i = 0; i < f->ninst; i++)
        if (f->inst[i].group >= 0 && f->inst[i].reef >= 0)
            p->reef_groups[p->nreef_groups++] =
                f->inst[i].group * (int)nr + f->inst[i].reef;
    qsort(p->reef_groups, p->nreef_groups, sizeof(int), cmp_int);
    return p;
}

void rp_placer_free(rp_placer *p)
{
    if (!p)
        return;
    for (size_t r = 0; r < p->f->nreefs; r++)
        rp_use_free(&p->use[r]);
    free(p->use);
    free(p->cost);
    free(p->region_reefs);
    free(p->region_first);
    free(p->reef_groups);
    free(p);
}

static bool group_in_reef(const rp_placer *p, int group, int reef)
{
    if (group < 0)
        return false;
    int key = group * (int)(p->f->nreefs ? p->f->nreefs : 1) + reef;
    return bsearch(&key, p->reef_groups, p->nreef_groups, sizeof(int), cmp_int) != NULL;
}

/* A one-instance view of the fleet whose instance 0 is the request, so the
 * capacity model's (fleet, instance) functions apply to it unchanged. */
static void request_view(const rp_fleet *f, const rp_place_req *req, rp_fleet *q,
                         rp_instance *in)
{
    *q = *f;
    memset(in, 0, sizeof *in);
    in->id = req->id;
    in->region = req->region;
    in->plan = req->plan;
    in->reef = -1;
    in->group = req->group;
    in->last_moved = RP_NO_TIME;
    in->window.start = -1;
    q->inst = in;
    q->ninst = 1;
    q->prof = req->profile;
    q->peak = (float *)req->peak;
}

/* Load at each slot vs limit, for the tightest slot of every metric whose
 * tier is shared (a dedicated tier's load goes to its own database, node
 * pool or share: slot -1, and it is never the binding metric). */
static void headroom(const rp_fleet *q, const rp_reef_use *u, int tmpl, int pool, int nodes,
                     rp_place_option *o)
{
    int S = q->set.slots;
    o->binding = -1;
    double worst = -1;
    for (int m = 0; m < RP_NMETRICS; m++) {
        o->slot[m] = -1;
        o->left[m] = o->util[m] = 0;
        if (o->tier[rp_metric_tier[m]] != RP_SHARED)
            continue;
        const double *sum = u->sum + (size_t)m * (size_t)S;
        const float *pr = rp_fleet_profile(q, 0, m);
        double lim = rp_metric_limit(q, tmpl, pool, nodes, m);
        for (int s = 0; s < S; s++) {
            double v = sum[s] + pr[s];
            double ut = lim > 0 ? v / lim : 0;
            if (o->slot[m] < 0 || ut > o->util[m]) {
                o->slot[m] = s;
                o->util[m] = ut;
                o->left[m] = lim - v;
            }
        }
        if (o->util[m] > worst) {
            worst = o->util[m];
            o->binding = m;
        }
    }
}

/* Evaluates one tier combination at reef r; fills o when it beats *o. */
/* Does pool k hold the reef's shared databases with the request added? */
static bool pool_holds(const rp_fleet *q, const rp_reef_use *u, int k,
                       const double peak[RP_NMETRICS], const uint8_t tier[RP_NTIERS])
{
    const rp_pool_sku *pk = &q->cat->pools[k];
    const double *h = q->set.headroom;
    bool shared = tier[RP_TIER_DB] == RP_SHARED;
    return rp_fits(peak[RP_M_DB_COMPUTE], pk->db_compute * (1 - h[RP_M_DB_COMPUTE])) &&
           rp_fits(peak[RP_M_DB_STORAGE], pk->max_storage_gb * (1 - h[RP_M_DB_STORAGE])) &&
           u->n_shared[RP_TIER_DB] + shared <= pk->max_dbs && u->over_per_db[k] == 0 &&
           (!shared || rp_fits(q->peak[RP_M_DB_COMPUTE], pk->per_db_max));
}

/* pw: the reef's peaks with the request's load added to every metric (all
 * tiers shared), computed once per reef; a combination takes the reef's own
 * peak for the metrics of its dedicated tiers. */
static void try_combo(const rp_placer *p, const rp_fleet *q, const rp_place_req *req, int r,
                      const uint8_t tier[RP_NTIERS], const double pw[RP_NMETRICS],
                      rp_place_option *o)
{
    const rp_fleet *f = p->f;
    const rp_reef *x = &f->reefs[r];
    const rp_reef_use *u = &p->use[r];
    rp_ded d = {-1, 0, 0};
    int bad = rp_ded_fill(q, 0, x->template_idx, tier, &d);
    if (bad >= 0) {
        if (!o->feasible && !o->reason[0])
            snprintf(o->reason, sizeof o->reason, "no dedicated %s size fits its peak",
                     rp_tier_names[bad]);
        return;
    }
    double peak[RP_NMETRICS];
    for (int m = 0; m < RP_NMETRICS; m++)
        peak[m] = tier[rp_metric_tier[m]] == RP_SHARED ? pw[m] : u->peak[m];
    int nsh[RP_NTIERS];
    for (int k = 0; k < RP_NTIERS; k++)
        nsh[k] = u->n_shared[k] + (tier[k] == RP_SHARED);
    long ded_nodes = u->ded_nodes + (tier[RP_TIER_COMPUTE] == RP_DEDICATED ? d.nodes : 0);
    double extra = tier[RP_TIER_DB] == RP_SHARED ? req->peak[RP_M_DB_COMPUTE] : 0.0;
    int pool, nodes;
    rp_violation v;
    int rule = rp_size_for(q, x->template_idx, peak, nsh, u->n + 1, ded_nodes, u->over_per_db,
                           extra, &pool, &nodes, &v);
    if (rule != RP_RULE_NONE) {
        if (!o->feasible) {
            char buf[160];
            snprintf(o->reason, sizeof o->reason, "even the largest size breaks %s",
                     rp_violation_str(&v, buf, sizeof buf));
        }
        return;
    }
    /* Keep the stated size when it still holds the load; else the cheapest
     * that does, never below the stated node count, unless that count and
     * the dedicated node pools break rule 5 (a reef that already does):
     * then as many as rule 5 leaves (at least the fewest that hold it). */
    if (pool_holds(q, u, x->pool, peak, tier))
        pool = x->pool;
    const rp_template *t = &f->cat->templates[x->template_idx];
    long keep = x->nodes < t->max_nodes - ded_nodes ? x->nodes : t->max_nodes - ded_nodes;
    if (nodes < keep)
        nodes = (int)keep;
    double after = p->cost[r] - f->cat->pools[x->pool].price + f->cat->pools[pool].price +
                   (nodes - x->nodes) * f->cat->vms[t->node_vm].price +
                   rp_ded_cost(q, x->template_idx, tier, &d);
    if (tier[RP_TIER_STORAGE] == RP_SHARED)
        after += f->cat->storage[t->storage].price_per_gb * req->peak[RP_M_SHARE_GB];
    double marginal = after - p->cost[r];
    if (o->feasible && marginal >= o->marginal - 1e-9)
        return;
    o->feasible = true;
    o->reason[0] = '\0';
    memcpy(o->tier, tier, RP_NTIERS);
    o->ded = d;
    o->marginal = marginal;
    o->pool_after = pool;
    o->nodes_after = nodes;
}

static void eval_reef(const rp_placer *p, const rp_fleet *q, const rp_place_req *req, int r,
                      rp_place_option *o)
{
    const rp_fleet *f = p->f;
    const rp_reef *x = &f->reefs[r];
    memset(o, 0, sizeof *o);
    o->reef = r;
    o->pool_before = o->pool_after = x->pool;
    o->nodes_before = o->nodes_after = x->nodes;
    o->binding = -1;
    if (x->state != RP_REEF_ACTIVE) {
        snprintf(o->reason, sizeof o->reason, "reef is %s and takes no new instances",
                 rp_reef_state_names[x->state]);
        return;
    }
    if (group_in_reef(p, req->group, r)) {
        snprintf(o->reason, sizeof o->reason, "reef already holds an instance of group '%s'",
                 f->groups[req->group]);
        return;
    }
    if (p->use[r].n + 1 > f->set.max_instances_per_reef) {
        snprintf(o->reason, sizeof o->reason, "reef holds max_instances_per_reef (%d)",
                 f->set.max_instances_per_reef);
        return;
    }
    double pw[RP_NMETRICS];
    const uint8_t all_shared[RP_NTIERS] = {0, 0, 0};
    rp_use_peak_with(&p->use[r], q, 0, all_shared, +1, pw);
    for (int combo = 0; combo < 8; combo++) {
        uint8_t tier[RP_NTIERS] = {combo & 1, (combo >> 1) & 1, (combo >> 2) & 1};
        try_combo(p, q, req, r, tier, pw, o);
    }
    if (o->feasible)
        headroom(q, &p->use[r], x->template_idx, o->pool_after, o->nodes_after, o);
}

static int cmp_option(const void *a, const void *b)
{
    const rp_place_option *x = a, *y = b;
    if (x->feasible != y->feasible)
        return x->feasible ? -1 : 1;
    if (x->feasible && x->marginal != y->marginal)
        return x->marginal < y->marginal ? -1 : 1;
    return (x->reef > y->reef) - (x->reef < y->reef);
}

void rp_place_query(const rp_placer *p, const rp_place_req *req, rp_place_result *out)
{
    const rp_fleet *f = p->f;
    rp_fleet q;
    rp_instance in;
    request_view(f, req, &q, &in);
    int g = req->region;
    int n = p->region_first[g + 1] - p->region_first[g];
    out->opt = rp_xcalloc((size_t)n + 1, sizeof(rp_place_option));
    out->n = out->nfeasible = 0;
    for (int k = 0; k < n; k++) {
        rp_place_option *o = &out->opt[out->n++];
        eval_reef(p, &q, req, p->region_reefs[p->region_first[g] + k], o);
        out->nfeasible += o->feasible;
    }
    qsort(out->opt, out->n, sizeof(rp_place_option), cmp_option);
}

void rp_place_result_free(rp_place_result *r)
{
    if (!r)
        return;
    free(r->opt);
    r->opt = NULL;
    r->n = r->nfeasible = 0;
}

/* ---- requests ----------------------------------------------------------- */

/* A value that is >= 0 but does not fit the float it is stored in. */
static int too_large(const rp_jdoc *doc, const char *jp, rp_error *err)
{
    char raw[72];
    return rp_jdoc_error(doc, jp, err, RP_EINVALID,
                         "must be <= %.9g (profiles are 32-bit floats), got %s", (double)FLT_MAX,
                         rp_jdoc_raw(doc, jp, raw));
}

static int read_metric(const rp_fleet *f, const rp_jdoc *doc, const char *jp, json_t *v,
                       float *row, float *peak, rp_error *err)
{
    int S = f->set.slots;
    if (json_is_number(v)) {
        double x = json_number_value(v);
        char raw[72];
        if (!(x >= 0))
            return rp_jdoc_error(doc, jp, err, RP_EINVALID, "must be >= 0, got %s",
                                 rp_jdoc_raw(doc, jp, raw));
        if (!rp_profile_fits(x))
            return too_large(doc, jp, err);
        for (int t = 0; t < S; t++)
            row[t] = (float)x;
        *peak = (float)x;
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) != (size_t)S) {
        char raw[72];
        return rp_jdoc_error(doc, jp, err, RP_EINVALID,
                             "expected a number or an array of %d numbers, got %s", S,
                             rp_jdoc_raw(doc, jp, raw));
    }
    *peak = 0;
    for (int t = 0; t < S; t++) {
        json_t *e = json_array_get(v, (size_t)t);
        double x = json_is_number(e) ? json_number_value(e) : -1;
        char p2[256];
        if (!(x >= 0)) {
            char raw[72];
            rp_jdoc_path_index(p2, sizeof p2, jp, (size_t)t);
            return rp_jdoc_error(doc, p2, err, RP_EINVALID, "expected a number >= 0, got %s",
                                 rp_jdoc_raw(doc, p2, raw));
        }
        if (!rp_profile_fits(x))
            return too_large(doc, rp_jdoc_path_index(p2, sizeof p2, jp, (size_t)t), err);
        row[t] = (float)x;
        if (row[t] > *peak)
            *peak = row[t];
    }
    return 0;
}

static int read_profile(const rp_fleet *f, const rp_jdoc *doc, json_t *prof, rp_place_req *req,
                        rp_error *err)
{
    int S = f->set.slots;
    const rp_plan_def *pd = &f->plans[req->plan];
    req->from_default = true;
    for (int m = 0; m < RP_NMETRICS; m++) {
        float *row = req->profile + (size_t)m * (size_t)S;
        json_t *v = prof ? json_object_get(prof, rp_metric_names[m]) : NULL;
        if (!v) {
            for (int t = 0; t < S; t++)
                row[t] = (float)pd->default_profile[m];
            req->peak[m] = (float)pd->default_profile[m];
            continue;
        }
        req->from_default = false;
        char jp[128];
        int rc = read_metric(f, doc, rp_jdoc_path_key(jp, sizeof jp, "profile",
                                                      rp_metric_names[m]), v, row,
                             &req->peak[m], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int read_request(const rp_fleet *f, const rp_jdoc *doc, rp_place_req *req, rp_error *err)
{
    static const char *const req_keys[] = {"region", "plan", NULL};
    static const char *const opt_keys[] = {"instance_id", "group", "profile", NULL};
    int rc = rp_jdoc_keys(doc, "", doc->root, req_keys, opt_keys, err);
    const char *region, *plan, *id = "new-instance", *group = NULL;
    if (rc < 0 || (rc = rp_jdoc_string(doc, "", doc->root, "region", &region, err)) < 0 ||
        (rc = rp_jdoc_string(doc, "", doc->root, "plan", &plan, err)) < 0)
        return rc;
    if (json_object_get(doc->root, "instance_id") &&
        (rc = rp_jdoc_string(doc, "", doc->root, "instance_id", &id, err)) < 0)
        return rc;
    if (json_object_get(doc->root, "group") &&
        (rc = rp_jdoc_string(doc, "", doc->root, "group", &group, err)) < 0)
        return rc;
    req->region = rp_fleet_find_region(f, region);
    if (req->region < 0)
        return rp_jdoc_error(doc, "region", err, RP_EUNKNOWN, "unknown region '%s'", region);
    req->plan = rp_fleet_find_plan(f, plan);
    if (req->plan < 0)
        return rp_jdoc_error(doc, "plan", err, RP_EUNKNOWN, "unknown plan '%s'", plan);
    req->group = group ? rp_fleet_find_group(f, group) : -1; /* a new group conflicts with none */
    req->id = rp_xstrdup(id);
    json_t *prof = json_object_get(doc->root, "profile");
    if (prof && !json_is_object(prof)) {
        char raw[72];
        return rp_jdoc_error(doc, "profile", err, RP_EINVALID, "expected an object, got %s",
                             rp_jdoc_raw(doc, "profile", raw));
    }
    if (prof) {
        json_t *dummy;
        const char *k;
        json_object_foreach(prof, k, dummy) {
            if (rp_metric_index(k) < 0) {
                char jp[128];
                return rp_jdoc_error(doc, rp_jdoc_path_key(jp, sizeof jp, "profile", k), err,
                                     RP_EUNKNOWN, "unknown metric '%s'", k);
            }
        }
    }
    return read_profile(f, doc, prof, req, err);
}

int rp_place_request_read(const rp_fleet *f, const char *path, rp_place_req *req,
                          rp_error *err)
{
    memset(req, 0, sizeof *req);
    req->group = -1;
    req->profile = rp_xcalloc((size_t)RP_NMETRICS * (size_t)f->set.slots, sizeof(float));
    rp_jdoc doc;
    int rc = rp_jdoc_load(path, &doc, err);
    if (rc < 0) {
        rp_place_req_free(req);
        return rc;
    }
    rc = read_request(f, &doc, req, err);
    rp_jdoc_free(&doc);
    if (rc < 0)
        rp_place_req_free(req);
    return rc;
}

void rp_place_req_free(rp_place_req *req)
{
    if (!req)
        return;
    free(req->id);
    free(req->profile);
    req->id = NULL;
    req->profile = NULL;
}

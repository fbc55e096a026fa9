/* plan_read.c - parses plan.json (SPEC §5) strictly against a loaded fleet.
 *
 * Structure, types, names and numbers are checked here and reported as
 * located input errors; whether the plan obeys the rules is verify.c's job. */
#include "plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpos.h"
#include "timefmt.h"

typedef struct rd {
    rp_jdoc doc;
    const rp_fleet *f;
    rp_plan *p;
    rp_error *err;
} rd;

static int fail(rd *r, const char *jpath, int code, const char *fmt, ...) RP_PRINTF(4, 5);
static int fail(rd *r, const char *jpath, int code, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rp_jdoc_error(&r->doc, jpath, r->err, code, "%s", msg);
}

/* Rejects keys of obj not in allowed (NULL-terminated) and a non-object;
 * required fields are checked where they are read. */
static int check_keys(rd *r, json_t *obj, const char *jp, const char *const *allowed)
{
    static const char *const none[] = {NULL};
    return rp_jdoc_keys(&r->doc, jp, obj, none, allowed, r->err);
}

static void join(char *out, size_t n, const char *jp, const char *key)
{
    rp_jdoc_path_key(out, n, jp, key);
}

static int get(rd *r, json_t *obj, const char *jp, const char *key, json_t **out)
{
    *out = json_object_get(obj, key);
    if (!*out)
        return fail(r, jp, RP_EINVALID, "missing field '%s'", key);
    return 0;
}

static int get_arr(rd *r, json_t *obj, const char *jp, const char *key, json_t **out)
{
    return rp_jdoc_array(&r->doc, jp, obj, key, out, r->err);
}

static int get_str(rd *r, json_t *obj, const char *jp, const char *key, const char **out)
{
    return rp_jdoc_string(&r->doc, jp, obj, key, out, r->err);
}

static int get_int(rd *r, json_t *obj, const char *jp, const char *key, long lo, long hi, int *out)
{
    long v;
    int rc = rp_jdoc_int(&r->doc, jp, obj, key, lo, hi, &v, r->err);
    if (rc == 0)
        *out = (int)v;
    return rc;
}

static int get_num(rd *r, json_t *obj, const char *jp, const char *key, double *out)
{
    return rp_jdoc_number_min(&r->doc, jp, obj, key, 0, false, out, r->err);
}

static int get_bool_opt(rd *r, json_t *obj, const char *jp, const char *key, bool *out)
{
    char kp[300];
    join(kp, sizeof kp, jp, key);
    json_t *v = json_object_get(obj, key);
    *out = false;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return fail(r, kp, RP_EINVALID, "must be true or false");
    *out = json_is_true(v);
    return 0;
}

/* A name resolved by lookup, with a located "unknown ..." error. */
static int get_name(rd *r, json_t *obj, const char *jp, const char *key, const char *what,
                    int (*find)(const rd *, const char *), int *out)
{
    const char *s;
    int rc = get_str(r, obj, jp, key, &s);
    if (rc)
        return rc;
    *out = find(r, s);
    if (*out < 0) {
        char kp[300], ex[72];
        join(kp, sizeof kp, jp, key);
        return fail(r, kp, RP_EUNKNOWN, "unknown %s '%s'", what, rp_error_excerpt(s, ex));
    }
    return 0;
}

static int find_inst(const rd *r, const char *s)
{
    return rp_fleet_find_instance(r->f, s);
}

static int find_region(const rd *r, const char *s)
{
    return rp_fleet_find_region(r->f, s);
}

static int find_template(const rd *r, const char *s)
{
    return rp_catalog_template(r->f->cat, s);
}

static int find_pool(const rd *r, const char *s)
{
    return rp_catalog_pool(r->f->cat, s);
}

static int find_db(const rd *r, const char *s)
{
    return rp_catalog_db(r->f->cat, s);
}

static int find_reef(const rd *r, const char *s)
{
    int k = rp_fleet_find_reef(r->f, s);
    if (k >= 0)
        return k;
    for (size_t j = r->f->nreefs; j < r->p->nreefs; j++)
        if (!strcmp(r->p->reefs[j].name, s))
            return (int)j;
    return -1;
}

static int find_tier_word(const rd *r, const char *s)
{
    (void)r;
    return !strcmp(s, "shared") ? RP_SHARED : !strcmp(s, "dedicated") ? RP_DEDICATED : -1;
}

static int get_tier(rd *r, json_t *obj, const char *jp, const char *key, int *out)
{
    const char *s;
    int rc = get_str(r, obj, jp, key, &s);
    if (rc)
        return rc;
    *out = find_tier_word(r, s);
    if (*out < 0) {
        char kp[300], ex[72];
        join(kp, sizeof kp, jp, key);
        return fail(r, kp, RP_EINVALID, "'%s' is not shared or dedicated", rp_error_excerpt(s, ex));
    }
    return 0;
}

/* ---- summary ---- */

static int read_summary(rd *r, json_t *root)
{
    static const char *const keys[] = {
        "cost_before",  "cost_after",    "objective", "lower_bound",   "moves", "tier_changes",
        "reefs_opened", "reefs_deleted", "unplaced",  "solve_seconds", NULL};
    json_t *s;
    rp_plan_summary *m = &r->p->sum;
    int rc = get(r, root, "", "summary", &s);
    rc = rc ? rc : check_keys(r, s, "summary", keys);
    rc = rc ? rc : get_num(r, s, "summary", "cost_before", &m->cost_before);
    rc = rc ? rc : get_num(r, s, "summary", "cost_after", &m->cost_after);
    rc = rc ? rc : get_num(r, s, "summary", "objective", &m->objective);
    rc = rc ? rc : get_num(r, s, "summary", "lower_bound", &m->lower_bound);
    rc = rc ? rc : get_int(r, s, "summary", "moves", 0, 100000000, &m->moves);
    rc = rc ? rc : get_int(r, s, "summary", "tier_changes", 0, 100000000, &m->tier_changes);
    rc = rc ? rc : get_int(r, s, "summary", "reefs_opened", 0, 100000000, &m->reefs_opened);
    rc = rc ? rc : get_int(r, s, "summary", "reefs_deleted", 0, 100000000, &m->reefs_deleted);
    rc = rc ? rc : get_int(r, s, "summary", "unplaced", 0, 100000000, &m->unplaced);
    rc = rc ? rc : get_num(r, s, "summary", "solve_seconds", &m->solve_seconds);
    return rc;
}

/* ---- reefs ---- */

static int read_peak_util(rd *r, json_t *o, const char *jp, rp_plan_reef *pr)
{
    for (int m = 0; m < RP_NMETRICS; m++)
        pr->peak_util[m] = -1;
    json_t *pu = json_object_get(o, "peak_utilization");
    if (!pu)
        return 0;
    char kp[300];
    join(kp, sizeof kp, jp, "peak_utilization");
    static const char *const metrics[] = {"db_compute", "db_storage_gb", "cpu_cores", "memory_gb",
                                          "share_gb",   "share_iops",    NULL};
    int rc = check_keys(r, pu, kp, metrics);
    if (rc)
        return rc;
    const char *key;
    json_t *v;
    json_object_foreach(pu, key, v)
    {
        (void)v;
        rc = get_num(r, pu, kp, key, &pr->peak_util[rp_metric_index(key)]);
        if (rc)
            return rc;
    }
    return 0;
}

/* Region, state and template of a reef entry, compared with the fleet's for
 * a fleet reef. */
static int read_reef_identity(rd *r, json_t *o, const char *jp, rp_plan_reef *pr)
{
    char kp[300];
    int region, rc = get_name(r, o, jp, "region", "region", find_region, &region);
    if (rc)
        return rc;
    join(kp, sizeof kp, jp, "region");
    if (pr->fleet_reef >= 0 && region != pr->region)
        return fail(r, kp, RP_EINVALID, "reef '%s' is in region '%s'", pr->name,
                    r->f->regions[pr->region].name);
    pr->region = region;
    if (pr->fleet_reef < 0)
        pr->template_idx = r->f->regions[region].template_idx;
    if (json_object_get(o, "template")) {
        int t;
        rc = get_name(r, o, jp, "template", "template", find_template, &t);
        join(kp, sizeof kp, jp, "template");
        if (rc == 0 && t != pr->template_idx)
            rc = fail(r, kp, RP_EINVALID, "reef '%s' has template '%s'", pr->name,
                      r->f->cat->templates[pr->template_idx].name);
        if (rc)
            return rc;
    }
    if (json_object_get(o, "state")) {
        const char *s;
        rc = get_str(r, o, jp, "state", &s);
        rp_reef_state want =
            pr->fleet_reef >= 0 ? r->f->reefs[pr->fleet_reef].state : RP_REEF_ACTIVE;
        join(kp, sizeof kp, jp, "state");
        char ex[72];
        if (rc == 0 && strcmp(s, rp_reef_state_names[want]) != 0)
            rc = fail(r, kp, RP_EINVALID, "reef '%s' is %s in the fleet, got '%s'", pr->name,
                      rp_reef_state_names[want], rp_error_excerpt(s, ex));
        if (rc)
            return rc;
    }
    return 0;
}

static int read_reef(rd *r, json_t *o, const char *jp, bool *seen)
{
    static const char *const keys[] = {"name",     "region",  "template",  "state",
                                       "pool_sku", "nodes",   "instances", "peak_utilization",
                                       "created",  "deleted", NULL};
    const char *name;
    char kp[300], ex[72];
    int rc = check_keys(r, o, jp, keys);
    rc = rc ? rc : get_str(r, o, jp, "name", &name);
    if (rc)
        return rc;
    join(kp, sizeof kp, jp, "name");
    int idx = find_reef(r, name);
    if (idx >= 0 && (idx >= (int)r->f->nreefs || seen[idx]))
        return fail(r, kp, RP_EDUPLICATE, "duplicate reef '%s'", rp_error_excerpt(name, ex));
    rp_plan_reef nr = {.fleet_reef = -1, .created = true};
    if (idx < 0) {
        r->p->reefs = rp_xreallocarray(r->p->reefs, r->p->nreefs + 1, sizeof *r->p->reefs);
        idx = (int)r->p->nreefs++;
        nr.name = rp_xstrdup(name);
        r->p->reefs[idx] = nr;
    } else {
        seen[idx] = true;
    }
    rp_plan_reef *pr = &r->p->reefs[idx];
    bool created, deleted;
    rc = read_reef_identity(r, o, jp, pr);
    rc = rc ? rc : get_name(r, o, jp, "pool_sku", "pool SKU", find_pool, &pr->pool);
    rc = rc ? rc : get_int(r, o, jp, "nodes", 0, RP_MAX_NODES, &pr->nodes);
    rc = rc ? rc : get_bool_opt(r, o, jp, "created", &created);
    rc = rc ? rc : get_bool_opt(r, o, jp, "deleted", &deleted);
    rc = rc ? rc : read_peak_util(r, o, jp, pr);
    if (rc)
        return rc;
    pr->deleted = deleted;
    pr->instances = -1;
    if (json_object_get(o, "instances"))
        rc = get_int(r, o, jp, "instances", 0, 100000000, &pr->instances);
    join(kp, sizeof kp, jp, "created");
    if (rc == 0 && pr->fleet_reef >= 0 && created)
        rc = fail(r, kp, RP_EINVALID, "reef '%s' already exists in the fleet", pr->name);
    if (rc == 0 && pr->fleet_reef < 0 && json_object_get(o, "created") && !created)
        rc = fail(r, kp, RP_EINVALID, "reef '%s' is not in the fleet, so it is created", pr->name);
    return rc;
}

/* Plan reefs start as copies of the fleet's; the JSON must list each. */
static int read_reefs(rd *r, json_t *root)
{
    const rp_fleet *f = r->f;
    rp_plan *p = r->p;
    p->nreefs = f->nreefs;
    p->reefs = rp_xcalloc(f->nreefs ? f->nreefs : 1, sizeof *p->reefs);
    for (size_t k = 0; k < f->nreefs; k++) {
        rp_plan_reef *pr = &p->reefs[k];
        pr->name = rp_xstrdup(f->reefs[k].name);
        pr->region = f->reefs[k].region;
        pr->template_idx = f->reefs[k].template_idx;
        pr->fleet_reef = (int)k;
        pr->pool = f->reefs[k].pool;
        pr->nodes = f->reefs[k].nodes;
    }
    json_t *arr;
    int rc = get_arr(r, root, "", "reefs", &arr);
    bool *seen = rp_xcalloc(f->nreefs + 1, sizeof *seen);
    for (size_t k = 0; rc == 0 && k < json_array_size(arr); k++) {
        char jp[64];
        snprintf(jp, sizeof jp, "reefs[%zu]", k);
        rc = read_reef(r, json_array_get(arr, k), jp, seen);
    }
    for (size_t k = 0; rc == 0 && k < f->nreefs; k++)
        if (!seen[k])
            rc = fail(r, "reefs", RP_EINVALID, "fleet reef '%s' is missing", f->reefs[k].name);
    free(seen);
    return rc;
}

/* ---- placements ---- */

/* Tiers db/compute/storage and the size of each dedicated one; a size given
 * for a shared tier is an error. */
static int read_tiers(rd *r, json_t *o, const char *jp, uint8_t tier[RP_NTIERS], rp_ded *d)
{
    static const char *const size_key[RP_NTIERS] = {"db_sku", "compute_nodes", "storage_gb"};
    d->db_sku = -1;
    d->nodes = 0;
    d->share_gb = 0;
    for (int t = 0; t < RP_NTIERS; t++) {
        int v, rc = get_tier(r, o, jp, rp_tier_names[t], &v);
        if (rc)
            return rc;
        tier[t] = (uint8_t)v;
        char kp[300];
        join(kp, sizeof kp, jp, size_key[t]);
        if (v == RP_SHARED && json_object_get(o, size_key[t]))
            return fail(r, kp, RP_EINVALID, "given for a shared %s", rp_tier_names[t]);
        if (v == RP_SHARED)
            continue;
        if (t == RP_TIER_DB)
            rc = get_name(r, o, jp, "db_sku", "single-database SKU", find_db, &d->db_sku);
        else if (t == RP_TIER_COMPUTE)
            rc = get_int(r, o, jp, "compute_nodes", 0, RP_MAX_NODES, &d->nodes);
        else
            rc = get_int(r, o, jp, "storage_gb", 0, RP_MAX_SHARE_GB, &d->share_gb);
        if (rc)
            return rc;
    }
    return 0;
}

static int cmp_place(const void *a, const void *b)
{
    const rp_placement *x = a, *y = b;
    return (x->inst > y->inst) - (x->inst < y->inst);
}

static int read_placements(rd *r, json_t *root)
{
    static const char *const keys[] = {"instance_id",   "reef",       "db",
                                       "compute",       "storage",    "db_sku",
                                       "compute_nodes", "storage_gb", NULL};
    json_t *arr;
    int rc = get_arr(r, root, "", "placements", &arr);
    if (rc)
        return rc;
    size_t n = json_array_size(arr);
    r->p->place = rp_xcalloc(n ? n : 1, sizeof *r->p->place);
    for (size_t k = 0; k < n; k++) {
        char jp[64];
        snprintf(jp, sizeof jp, "placements[%zu]", k);
        json_t *o = json_array_get(arr, k);
        rp_placement *pl = &r->p->place[k];
        rc = check_keys(r, o, jp, keys);
        rc = rc ? rc : get_name(r, o, jp, "instance_id", "instance", find_inst, &pl->inst);
        rc = rc ? rc : get_name(r, o, jp, "reef", "reef", find_reef, &pl->reef);
        rc = rc ? rc : read_tiers(r, o, jp, pl->tier, &pl->ded);
        if (rc)
            return rc;
        r->p->nplace++;
    }
    /* Fleet instance order; duplicates stay (adjacent) for verify to report. */
    qsort(r->p->place, r->p->nplace, sizeof *r->p->place, cmp_place);
    return 0;
}

static int read_notes(rd *r, json_t *root, const char *key, rp_plan_note **out, size_t *count)
{
    static const char *const keys[] = {"instance_id", "reason", NULL};
    json_t *arr;
    int rc = get_arr(r, root, "", key, &arr);
    if (rc)
        return rc;
    size_t n = json_array_size(arr);
    *out = rp_xcalloc(n ? n : 1, sizeof **out);
    for (size_t k = 0; k < n; k++) {
        char jp[64];
        const char *reason;
        snprintf(jp, sizeof jp, "%s[%zu]", key, k);
        json_t *o = json_array_get(arr, k);
        rp_plan_note *note = &(*out)[k];
        rc = check_keys(r, o, jp, keys);
        rc = rc ? rc : get_name(r, o, jp, "instance_id", "instance", find_inst, &note->inst);
        rc = rc ? rc : get_str(r, o, jp, "reason", &reason);
        if (rc)
            return rc;
        note->reason = rp_xstrdup(reason);
        ++*count;
    }
    return 0;
}

/* ---- actions ---- */

static int read_time_opt(rd *r, json_t *o, const char *jp, const char *key, int64_t *out)
{
    *out = RP_NO_TIME;
    if (!json_object_get(o, key))
        return 0;
    const char *s;
    int rc = get_str(r, o, jp, key, &s);
    if (rc)
        return rc;
    if (rp_time_parse(s, out) < 0) {
        char kp[300], ex[72];
        join(kp, sizeof kp, jp, key);
        return fail(r, kp, RP_EINVALID, "'%s' is not an ISO-8601 UTC time",
                    rp_error_excerpt(s, ex));
    }
    return 0;
}

static int read_create(rd *r, json_t *o, const char *jp, rp_action *a)
{
    int region, tmpl;
    int rc = get_name(r, o, jp, "reef", "reef", find_reef, &a->reef);
    rc = rc ? rc : get_name(r, o, jp, "region", "region", find_region, &region);
    rc = rc ? rc : get_name(r, o, jp, "template", "template", find_template, &tmpl);
    rc = rc ? rc : get_name(r, o, jp, "pool_sku", "pool SKU", find_pool, &a->pool);
    rc = rc ? rc : get_int(r, o, jp, "nodes", 0, RP_MAX_NODES, &a->nodes);
    if (rc)
        return rc;
    const rp_plan_reef *pr = &r->p->reefs[a->reef];
    char kp[300];
    join(kp, sizeof kp, jp, "region");
    if (region != pr->region)
        return fail(r, kp, RP_EINVALID, "reef '%s' is in region '%s'", pr->name,
                    r->f->regions[pr->region].name);
    join(kp, sizeof kp, jp, "template");
    if (tmpl != pr->template_idx)
        return fail(r, kp, RP_EINVALID, "reef '%s' has template '%s'", pr->name,
                    r->f->cat->templates[pr->template_idx].name);
    return 0;
}

static int read_set_tier(rd *r, json_t *o, const char *jp, rp_action *a)
{
    const char *res;
    int rc = get_name(r, o, jp, "instance_id", "instance", find_inst, &a->inst);
    rc = rc ? rc : get_name(r, o, jp, "reef", "reef", find_reef, &a->reef);
    rc = rc ? rc : get_str(r, o, jp, "resource", &res);
    if (rc)
        return rc;
    char kp[300], ex[72];
    join(kp, sizeof kp, jp, "resource");
    a->resource = -1;
    for (int t = 0; t < RP_NTIERS; t++)
        if (!strcmp(res, rp_tier_names[t]))
            a->resource = t;
    if (a->resource < 0)
        return fail(r, kp, RP_EINVALID, "'%s' is not db, compute or storage",
                    rp_error_excerpt(res, ex));
    rc = get_tier(r, o, jp, "from", &a->from);
    rc = rc ? rc : get_tier(r, o, jp, "to", &a->to);
    if (rc)
        return rc;
    a->ded = (rp_ded){.db_sku = -1};
    join(kp, sizeof kp, jp, "size");
    if (a->to == RP_SHARED)
        return json_object_get(o, "size") ? fail(r, kp, RP_EINVALID, "given for to=shared") : 0;
    if (a->resource == RP_TIER_DB)
        return get_name(r, o, jp, "size", "single-database SKU", find_db, &a->ded.db_sku);
    if (a->resource == RP_TIER_COMPUTE)
        return get_int(r, o, jp, "size", 0, RP_MAX_NODES, &a->ded.nodes);
    return get_int(r, o, jp, "size", 0, RP_MAX_SHARE_GB, &a->ded.share_gb);
}

static int read_action_body(rd *r, json_t *o, const char *jp, rp_action *a)
{
    int rc;
    switch (a->type) {
    case RP_ACT_CREATE_REEF:
        return read_create(r, o, jp, a);
    case RP_ACT_RESIZE_POOL:
        rc = get_name(r, o, jp, "reef", "reef", find_reef, &a->reef);
        rc = rc ? rc : get_name(r, o, jp, "from", "pool SKU", find_pool, &a->from);
        return rc ? rc : get_name(r, o, jp, "to", "pool SKU", find_pool, &a->to);
    case RP_ACT_SCALE_NODES:
        rc = get_name(r, o, jp, "reef", "reef", find_reef, &a->reef);
        rc = rc ? rc : get_int(r, o, jp, "from", 0, RP_MAX_NODES, &a->from);
        return rc ? rc : get_int(r, o, jp, "to", 0, RP_MAX_NODES, &a->to);
    case RP_ACT_SET_TIER:
        return read_set_tier(r, o, jp, a);
    case RP_ACT_MIGRATE:
        rc = get_name(r, o, jp, "instance_id", "instance", find_inst, &a->inst);
        rc = rc ? rc : get_name(r, o, jp, "from_reef", "reef", find_reef, &a->from_reef);
        rc = rc ? rc : get_name(r, o, jp, "to_reef", "reef", find_reef, &a->reef);
        rc = rc ? rc : read_tiers(r, o, jp, a->tier, &a->ded);
        rc = rc ? rc : read_time_opt(r, o, jp, "not_before", &a->not_before);
        return rc ? rc : read_time_opt(r, o, jp, "not_after", &a->not_after);
    case RP_ACT_PLACE:
        rc = get_name(r, o, jp, "instance_id", "instance", find_inst, &a->inst);
        rc = rc ? rc : get_name(r, o, jp, "reef", "reef", find_reef, &a->reef);
        return rc ? rc : read_tiers(r, o, jp, a->tier, &a->ded);
    default:
        return get_name(r, o, jp, "reef", "reef", find_reef, &a->reef);
    }
}

static const char *const *action_keys(rp_action_type t)
{
    static const char *const create[] = {"id",     "type",     "depends_on", "wave",  "reef",
                                         "region", "template", "pool_sku",   "nodes", NULL};
    static const char *const resize[] = {"id",   "type", "depends_on", "wave",
                                         "reef", "from", "to",         NULL};
    static const char *const set_tier[] = {"id",          "type", "depends_on", "wave",
                                           "instance_id", "reef", "resource",   "from",
                                           "to",          "size", NULL};
    static const char *const migrate[] = {
        "id",         "type",       "depends_on", "wave",    "instance_id", "from_reef",
        "to_reef",    "db",         "compute",    "storage", "db_sku",      "compute_nodes",
        "storage_gb", "not_before", "not_after",  NULL};
    static const char *const place[] = {
        "id",      "type",    "depends_on", "wave",          "instance_id", "reef", "db",
        "compute", "storage", "db_sku",     "compute_nodes", "storage_gb",  NULL};
    static const char *const del[] = {"id", "type", "depends_on", "wave", "reef", NULL};
    switch (t) {
    case RP_ACT_CREATE_REEF:
        return create;
    case RP_ACT_RESIZE_POOL:
    case RP_ACT_SCALE_NODES:
        return resize;
    case RP_ACT_SET_TIER:
        return set_tier;
    case RP_ACT_MIGRATE:
        return migrate;
    case RP_ACT_PLACE:
        return place;
    default:
        return del;
    }
}

static int read_depends(rd *r, json_t *o, const char *jp, rp_action *a)
{
    json_t *deps;
    int rc = get_arr(r, o, jp, "depends_on", &deps);
    if (rc)
        return rc;
    a->ndepends = json_array_size(deps);
    a->depends_on = rp_xcalloc(a->ndepends ? a->ndepends : 1, sizeof *a->depends_on);
    for (size_t k = 0; k < a->ndepends; k++) {
        json_t *v = json_array_get(deps, k);
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100000000) {
            char kp[300], raw[72];
            snprintf(kp, sizeof kp, "%s.depends_on[%zu]", jp, k);
            return fail(r, kp, RP_EINVALID, "must be an action id in [1, 100000000], got %s",
                        rp_jdoc_raw(&r->doc, kp, raw));
        }
        a->depends_on[k] = (int)json_integer_value(v);
    }
    return 0;
}

static int read_action(rd *r, json_t *o, const char *jp, rp_action *a)
{
    const char *type;
    *a = (rp_action){.reef = -1,
                     .from_reef = -1,
                     .inst = -1,
                     .resource = -1,
                     .pool = -1,
                     .not_before = RP_NO_TIME,
                     .not_after = RP_NO_TIME};
    int rc = json_is_object(o) ? 0 : check_keys(r, o, jp, action_keys(RP_ACT_CREATE_REEF));
    rc = rc ? rc : get_int(r, o, jp, "id", 1, 100000000, &a->id);
    rc = rc ? rc : get_str(r, o, jp, "type", &type);
    if (rc)
        return rc;
    int t = -1;
    for (int k = 0; k < RP_NACT; k++)
        if (!strcmp(type, rp_action_names[k]))
            t = k;
    if (t < 0) {
        char kp[300], ex[72];
        join(kp, sizeof kp, jp, "type");
        return fail(r, kp, RP_EINVALID, "unknown action type '%s'", rp_error_excerpt(type, ex));
    }
    a->type = (rp_action_type)t;
    rc = check_keys(r, o, jp, action_keys(a->type));
    rc = rc ? rc : read_depends(r, o, jp, a);
    rc = rc ? rc : get_int(r, o, jp, "wave", 1, 100000000, &a->wave);
    return rc ? rc : read_action_body(r, o, jp, a);
}

static int read_actions(rd *r, json_t *root)
{
    json_t *arr;
    int rc = get_arr(r, root, "", "actions", &arr);
    if (rc)
        return rc;
    size_t n = json_array_size(arr);
    r->p->act = rp_xcalloc(n ? n : 1, sizeof *r->p->act);
    for (size_t k = 0; k < n; k++) {
        char jp[64];
        snprintf(jp, sizeof jp, "actions[%zu]", k);
        rc = read_action(r, json_array_get(arr, k), jp, &r->p->act[k]);
        r->p->nact++; /* counted even on failure: depends_on is owned */
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- top level ---- */

static int read_header(rd *r, json_t *root)
{
    static const char *const keys[] = {
        "version",  "kind",     "fleet_fingerprint", "summary",  "reefs", "placements",
        "unplaced", "deferred", "actions",           "settings", NULL};
    int version;
    const char *kind, *fp;
    int rc = check_keys(r, root, "", keys);
    rc = rc ? rc : get_int(r, root, "", "version", 1, 1, &version);
    rc = rc ? rc : get_str(r, root, "", "kind", &kind);
    rc = rc ? rc : get_str(r, root, "", "fleet_fingerprint", &fp);
    if (rc)
        return rc;
    if (strcmp(kind, "rebalance") != 0) {
        char ex[72];
        return fail(r, "kind", RP_EINVALID, "want \"rebalance\", got '%s'",
                    rp_error_excerpt(kind, ex));
    }
    free(r->p->kind);
    r->p->kind = rp_xstrdup(kind);
    bool ok =
        strlen(fp) == 71 && !strncmp(fp, "sha256:", 7) && strspn(fp + 7, "0123456789abcdef") == 64;
    if (!ok) {
        char ex[72];
        return fail(r, "fleet_fingerprint", RP_EINVALID, "'%s' is not sha256:<64 hex digits>",
                    rp_error_excerpt(fp, ex));
    }
    snprintf(r->p->fingerprint, sizeof r->p->fingerprint, "%s", fp);
    json_t *s = json_object_get(root, "settings");
    if (s && !json_is_object(s)) {
        char raw[72];
        return fail(r, "settings", RP_EINVALID, "expected an object, got %s",
                    rp_jdoc_raw(&r->doc, "settings", raw));
    }
    if (s)
        r->p->settings_json = json_dumps(s, JSON_COMPACT);
    return 0;
}

int rp_plan_read(const char *path, const rp_fleet *f, rp_plan **out, rp_error *err)
{
    rd r = {.f = f, .err = err};
    *out = NULL;
    int rc = rp_jdoc_load(path, &r.doc, err);
    if (rc)
        return rc;
    r.p = rp_plan_new();
    json_t *root = r.doc.root;
    rc = read_header(&r, root);
    rc = rc ? rc : read_summary(&r, root);
    rc = rc ? rc : read_reefs(&r, root);
    rc = rc ? rc : read_placements(&r, root);
    rc = rc ? rc : read_notes(&r, root, "unplaced", &r.p->unplaced, &r.p->nunplaced);
    rc = rc ? rc : read_notes(&r, root, "deferred", &r.p->deferred, &r.p->ndeferred);
    rc = rc ? rc : read_actions(&r, root);
    rp_jdoc_free(&r.doc);
    if (rc) {
        rp_plan_free(r.p);
        return rc;
    }
    *out = r.p;
    return 0;
}

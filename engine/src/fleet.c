/* fleet.c - fleet.json (SPEC §2) and the orchestration of a fleet load:
 * fleet.json -> catalog -> instances.csv -> profiles.csv or load.csv.
 *
 * fleet.json is validated strictly: unknown keys, wrong types, values out of
 * range and names that refer to nothing are errors located in the file. */
#include "fleet.h"

#include <errno.h>
#include <sys/stat.h>
#include <float.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "instances.h"
#include "jsonpos.h"
#include "profile.h"
#include "timefmt.h"

const char *const rp_metric_names[RP_NMETRICS] = {"db_compute", "db_storage_gb", "cpu_cores",
                                                  "memory_gb",  "share_gb",      "share_iops"};
const char *const rp_tier_names[RP_NTIERS] = {"db", "compute", "storage"};
const char *const rp_reef_state_names[4] = {"active", "closed", "draining", "broken"};

int rp_metric_index(const char *name)
{
    for (int m = 0; m < RP_NMETRICS; m++)
        if (!strcmp(rp_metric_names[m], name))
            return m;
    return -1;
}

/* The six metric names, NULL-terminated, for rp_jdoc_keys. */
static const char *const metric_keys[RP_NMETRICS + 1] = {
    "db_compute", "db_storage_gb", "cpu_cores", "memory_gb", "share_gb", "share_iops", NULL};

typedef struct ctx {
    const rp_jdoc *doc;
    rp_fleet *f;
    rp_error *err;
} ctx;

#define JP 256 /* JSON path buffer size */

/* ---- settings --------------------------------------------------------- */

static int parse_headroom(ctx *c, const json_t *set)
{
    const json_t *h = json_object_get(set, "headroom");
    char p[JP], raw[72];
    int rc = rp_jdoc_keys(c->doc, "settings.headroom", h, metric_keys, NULL, c->err);
    for (int m = 0; rc == 0 && m < RP_NMETRICS; m++) {
        double *v = &c->f->set.headroom[m];
        rc = rp_jdoc_number(c->doc, "settings.headroom", h, rp_metric_names[m], v, c->err);
        if (rc == 0 && !(*v >= 0 && *v < 1)) {
            rp_jdoc_path_key(p, sizeof p, "settings.headroom", rp_metric_names[m]);
            rc = rp_jdoc_error(c->doc, p, c->err, RP_EINVALID, "must be in [0, 1), got %s",
                               rp_jdoc_raw(c->doc, p, raw));
        }
    }
    return rc;
}

static int parse_move_budget(ctx *c, const json_t *set)
{
    long v;
    const json_t *mb = json_object_get(set, "move_budget");
    c->f->set.move_budget = -1;
    if (!mb || json_is_null(mb))
        return 0;
    int rc = rp_jdoc_int(c->doc, "settings", set, "move_budget", 0, INT_MAX, &v, c->err);
    if (rc == 0)
        c->f->set.move_budget = (int)v;
    return rc;
}

static int parse_now(ctx *c, const json_t *set)
{
    const char *s;
    rp_settings *st = &c->f->set;
    if (!json_object_get(set, "now")) {
        st->now = (int64_t)time(NULL);
        return 0;
    }
    int rc = rp_jdoc_string(c->doc, "settings", set, "now", &s, c->err);
    if (rc == 0 && rp_time_parse(s, &st->now) < 0) {
        char raw[72];
        rc = rp_jdoc_error(c->doc, "settings.now", c->err, RP_EINVALID,
                           "not an ISO-8601 timestamp with offset: '%s'", rp_error_excerpt(s, raw));
    }
    return rc;
}

static int parse_settings(ctx *c, const json_t *set)
{
    static const char *const req[] = {"slots",
                                      "quantile",
                                      "headroom",
                                      "max_instances_per_reef",
                                      "move_cooldown_days",
                                      "tier_change_cost",
                                      NULL};
    static const char *const opt[] = {"move_budget", "now", NULL};
    rp_settings *st = &c->f->set;
    long slots, maxi, cool;
    char raw[72];
    int rc;
    if ((rc = rp_jdoc_keys(c->doc, "settings", set, req, opt, c->err)) < 0 ||
        (rc = rp_jdoc_int(c->doc, "settings", set, "slots", LONG_MIN, LONG_MAX, &slots, c->err)) <
            0)
        return rc;
    if (slots != 24 && slots != 168)
        return rp_jdoc_error(c->doc, "settings.slots", c->err, RP_EINVALID,
                             "must be 24 or 168, got %s",
                             rp_jdoc_raw(c->doc, "settings.slots", raw));
    st->slots = (int)slots;
    if ((rc = rp_jdoc_number(c->doc, "settings", set, "quantile", &st->quantile, c->err)) < 0)
        return rc;
    if (!(st->quantile > 0 && st->quantile <= 1))
        return rp_jdoc_error(c->doc, "settings.quantile", c->err, RP_EINVALID,
                             "must be in (0, 1], got %s",
                             rp_jdoc_raw(c->doc, "settings.quantile", raw));
    if ((rc = parse_headroom(c, set)) < 0 ||
        (rc = rp_jdoc_int(c->doc, "settings", set, "max_instances_per_reef", 1, INT_MAX, &maxi,
                          c->err)) < 0 ||
        (rc = parse_move_budget(c, set)) < 0 ||
        (rc = rp_jdoc_int(c->doc, "settings", set, "move_cooldown_days", 0, 36500, &cool, c->err)) <
            0 ||
        (rc = rp_jdoc_number_min(c->doc, "settings", set, "tier_change_cost", 0, false,
                                 &st->tier_change_cost, c->err)) < 0 ||
        (rc = parse_now(c, set)) < 0)
        return rc;
    st->max_instances_per_reef = (int)maxi;
    st->move_cooldown_days = (int)cool;
    return 0;
}

/* ---- plans, regions, reefs -------------------------------------------- */

/* Element i of array key at path p, or a type error when not an object with
 * the given keys. */
static int list_item(ctx *c, const char *p, const json_t *o, const char *const *req)
{
    return rp_jdoc_keys(c->doc, p, o, req, NULL, c->err);
}

/* Rejects name when it equals the name of one of the first n elements. */
static int check_unique(ctx *c, const char *p, const char *what, const char *name, size_t n,
                        const char *(*name_of)(const rp_fleet *, size_t))
{
    char q[JP];
    for (size_t j = 0; j < n; j++)
        if (!strcmp(name_of(c->f, j), name))
            return rp_jdoc_error(c->doc, rp_jdoc_path_key(q, sizeof q, p, "name"), c->err,
                                 RP_EDUPLICATE, "duplicate %s '%s'", what, name);
    return 0;
}

static const char *plan_name(const rp_fleet *f, size_t i)
{
    return f->plans[i].name;
}
static const char *region_name(const rp_fleet *f, size_t i)
{
    return f->regions[i].name;
}
static const char *reef_name(const rp_fleet *f, size_t i)
{
    return f->reefs[i].name;
}

/* One default_profile value (at jpath q): >= 0 and finite as the float it
 * becomes in a profile. */
static int profile_value(ctx *c, const char *q, const json_t *dp, int m, double *out)
{
    char p[JP], raw[72];
    int rc = rp_jdoc_number_min(c->doc, q, dp, rp_metric_names[m], 0, false, out, c->err);
    if (rc < 0 || rp_profile_fits(*out))
        return rc;
    rp_jdoc_path_key(p, sizeof p, q, rp_metric_names[m]);
    return rp_jdoc_error(c->doc, p, c->err, RP_EINVALID,
                         "must be <= %.9g (profiles are 32-bit floats), got %s", (double)FLT_MAX,
                         rp_jdoc_raw(c->doc, p, raw));
}

static int parse_plan(ctx *c, const char *p, const json_t *o, rp_plan_def *pl)
{
    static const char *const req[] = {"name", "move_cost", "default_profile", NULL};
    const char *name;
    char q[JP];
    int rc;
    if ((rc = list_item(c, p, o, req)) < 0 ||
        (rc = rp_jdoc_string(c->doc, p, o, "name", &name, c->err)) < 0 ||
        (rc = check_unique(c, p, "plan", name, c->f->nplans, plan_name)) < 0 ||
        (rc = rp_jdoc_number_min(c->doc, p, o, "move_cost", 0, false, &pl->move_cost, c->err)) < 0)
        return rc;
    const json_t *dp = json_object_get(o, "default_profile");
    rp_jdoc_path_key(q, sizeof q, p, "default_profile");
    if ((rc = rp_jdoc_keys(c->doc, q, dp, metric_keys, NULL, c->err)) < 0)
        return rc;
    for (int m = 0; m < RP_NMETRICS; m++)
        if ((rc = profile_value(c, q, dp, m, &pl->default_profile[m])) < 0)
            return rc;
    pl->name = rp_xstrdup(name);
    return 0;
}

static int catalog_template(ctx *c, const char *p, const json_t *o, int *out)
{
    const char *name;
    char q[JP];
    int rc = rp_jdoc_string(c->doc, p, o, "template", &name, c->err);
    if (rc < 0)
        return rc;
    *out = rp_catalog_template(c->f->cat, name);
    if (*out < 0)
        return rp_jdoc_error(c->doc, rp_jdoc_path_key(q, sizeof q, p, "template"), c->err,
                             RP_EUNKNOWN, "unknown template '%s' in catalog '%s'", name,
                             c->f->cat->name);
    return 0;
}

static int parse_region(ctx *c, const char *p, const json_t *o, rp_region *r)
{
    static const char *const req[] = {"name", "template", "max_reefs", NULL};
    const char *name;
    long max_reefs;
    int rc;
    if ((rc = list_item(c, p, o, req)) < 0 ||
        (rc = rp_jdoc_string(c->doc, p, o, "name", &name, c->err)) < 0 ||
        (rc = check_unique(c, p, "region", name, c->f->nregions, region_name)) < 0 ||
        (rc = catalog_template(c, p, o, &r->template_idx)) < 0 ||
        (rc = rp_jdoc_int(c->doc, p, o, "max_reefs", 1, INT_MAX, &max_reefs, c->err)) < 0)
        return rc;
    r->max_reefs = (int)max_reefs;
    r->name = rp_xstrdup(name);
    return 0;
}

static int reef_region(ctx *c, const char *p, const json_t *o, int *out)
{
    const char *name;
    char q[JP];
    int rc = rp_jdoc_string(c->doc, p, o, "region", &name, c->err);
    if (rc < 0)
        return rc;
    rp_jdoc_path_key(q, sizeof q, p, "region");
    *out = rp_fleet_find_region(c->f, name);
    if (*out < 0)
        return rp_jdoc_error(c->doc, q, c->err, RP_EUNKNOWN, "unknown region '%s'", name);
    return 0;
}

/* A region holds at most max_reefs reefs. A broken one does not count: it
 * is down, and the reefs that replace it must fit under the limit. */
static int reef_count(ctx *c, const char *p, const rp_reef *r)
{
    if (r->state == RP_REEF_BROKEN)
        return 0;
    const rp_region *g = &c->f->regions[r->region];
    size_t count = 1;
    for (size_t j = 0; j < c->f->nreefs; j++)
        count += c->f->reefs[j].region == r->region && c->f->reefs[j].state != RP_REEF_BROKEN;
    if (count <= (size_t)g->max_reefs)
        return 0;
    char q[JP];
    rp_jdoc_path_key(q, sizeof q, p, "region");
    return rp_jdoc_error(c->doc, q, c->err, RP_EINVALID,
                         "region '%s' already has its max_reefs (%d) reefs (broken ones aside)",
                         g->name, g->max_reefs);
}

static int reef_state_pool(ctx *c, const char *p, const json_t *o, rp_reef *r)
{
    const char *state, *sku;
    char q[JP];
    int rc;
    if ((rc = rp_jdoc_string(c->doc, p, o, "state", &state, c->err)) < 0)
        return rc;
    int s = 0;
    while (s < 4 && strcmp(rp_reef_state_names[s], state))
        s++;
    if (s == 4)
        return rp_jdoc_error(c->doc, rp_jdoc_path_key(q, sizeof q, p, "state"), c->err, RP_EINVALID,
                             "unknown state '%s' (expected active, closed, draining or broken)",
                             state);
    r->state = (rp_reef_state)s;
    if ((rc = rp_jdoc_string(c->doc, p, o, "pool_sku", &sku, c->err)) < 0)
        return rc;
    r->pool = rp_catalog_pool(c->f->cat, sku);
    if (r->pool < 0)
        return rp_jdoc_error(c->doc, rp_jdoc_path_key(q, sizeof q, p, "pool_sku"), c->err,
                             RP_EUNKNOWN, "unknown pool SKU '%s'", sku);
    return 0;
}

static int parse_reef(ctx *c, const char *p, const json_t *o, rp_reef *r)
{
    static const char *const req[] = {"name",     "region", "template", "state",
                                      "pool_sku", "nodes",  NULL};
    const char *name;
    long nodes;
    int rc;
    if ((rc = list_item(c, p, o, req)) < 0 ||
        (rc = rp_jdoc_string(c->doc, p, o, "name", &name, c->err)) < 0 ||
        (rc = check_unique(c, p, "reef", name, c->f->nreefs, reef_name)) < 0 ||
        (rc = reef_region(c, p, o, &r->region)) < 0 ||
        (rc = catalog_template(c, p, o, &r->template_idx)) < 0 ||
        (rc = reef_state_pool(c, p, o, r)) < 0 || (rc = reef_count(c, p, r)) < 0 ||
        (rc = rp_jdoc_int(c->doc, p, o, "nodes", 0, INT_MAX, &nodes, c->err)) < 0)
        return rc;
    int max_nodes = c->f->cat->templates[r->template_idx].max_nodes;
    if (nodes > max_nodes) {
        char q[JP];
        return rp_jdoc_error(c->doc, rp_jdoc_path_key(q, sizeof q, p, "nodes"), c->err, RP_EINVALID,
                             "%ld exceeds the template's max_nodes %d", nodes, max_nodes);
    }
    r->nodes = (int)nodes;
    r->name = rp_xstrdup(name);
    return 0;
}

/* Parses array key of the root into a calloc'd array, counting parsed
 * elements in *n as they complete so that a failure frees exactly those. */
#define PARSE_LIST(c, key, arr, n, fn, nonempty)                                                   \
    do {                                                                                           \
        json_t *a_, *o_;                                                                           \
        size_t i_;                                                                                 \
        char p_[JP];                                                                               \
        int rc_ = rp_jdoc_array((c)->doc, "", (c)->doc->root, key, &a_, (c)->err);                 \
        if (rc_ < 0)                                                                               \
            return rc_;                                                                            \
        if ((nonempty) && json_array_size(a_) == 0)                                                \
            return rp_jdoc_error((c)->doc, key, (c)->err, RP_EINVALID, "must not be empty");       \
        (arr) = rp_xcalloc(json_array_size(a_), sizeof *(arr));                                    \
        json_array_foreach(a_, i_, o_)                                                             \
        {                                                                                          \
            rp_jdoc_path_index(p_, sizeof p_, key, i_);                                            \
            if ((rc_ = fn((c), p_, o_, &(arr)[i_])) < 0)                                           \
                return rc_;                                                                        \
            (n)++;                                                                                 \
        }                                                                                          \
    } while (0)

static int parse_plans(ctx *c)
{
    PARSE_LIST(c, "plans", c->f->plans, c->f->nplans, parse_plan, true);
    return 0;
}

static int parse_regions(ctx *c)
{
    PARSE_LIST(c, "regions", c->f->regions, c->f->nregions, parse_region, true);
    return 0;
}

static int parse_reefs(ctx *c)
{
    PARSE_LIST(c, "reefs", c->f->reefs, c->f->nreefs, parse_reef, false);
    return 0;
}

/* ---- catalog ---------------------------------------------------------- */

static int load_catalog(ctx *c)
{
    const char *value;
    int rc = rp_jdoc_string(c->doc, "", c->doc->root, "catalog", &value, c->err);
    if (rc < 0)
        return rc;
    rp_fleet *f = c->f;
    f->catalog_path = rp_catalog_resolve(value, f->dir);
    struct stat st;
    if (stat(f->catalog_path, &st) == 0 && S_ISDIR(st.st_mode))
        return rp_jdoc_error(c->doc, "catalog", c->err, RP_EIO, "cannot read '%s': %s",
                             f->catalog_path, strerror(EISDIR));
    if (access(f->catalog_path, R_OK) != 0) {
        char raw[72];
        if (!strchr(value, '/') && !strstr(value, ".json"))
            return rp_jdoc_error(c->doc, "catalog", c->err, RP_EUNKNOWN,
                                 "unknown catalog '%s' (no %s.json in %s)",
                                 rp_error_excerpt(value, raw), value, rp_models_dir());
        return rp_jdoc_error(c->doc, "catalog", c->err, RP_EIO, "cannot read '%s': %s",
                             f->catalog_path, strerror(errno));
    }
    return rp_catalog_load(f->catalog_path, &f->cat, c->err);
}

static int parse_fleet_json(ctx *c)
{
    static const char *const req[] = {"version", "catalog", "settings", "plans",
                                      "regions", "reefs",   NULL};
    const json_t *root = c->doc->root;
    long version;
    int rc;
    if ((rc = rp_jdoc_keys(c->doc, "", root, req, NULL, c->err)) < 0 ||
        (rc = rp_jdoc_int(c->doc, "", root, "version", LONG_MIN, LONG_MAX, &version, c->err)) < 0)
        return rc;
    if (version != 1)
        return rp_jdoc_error(c->doc, "version", c->err, RP_EINVALID,
                             "unsupported version %ld (expected 1)", version);
    if ((rc = parse_settings(c, json_object_get(root, "settings"))) < 0 ||
        (rc = load_catalog(c)) < 0 || (rc = parse_plans(c)) < 0 || (rc = parse_regions(c)) < 0 ||
        (rc = parse_reefs(c)) < 0)
        return rc;
    return 0;
}

/* ---- indexes ---------------------------------------------------------- */

typedef struct name_ref {
    char *name;
    int idx;
} name_ref;

static int cmp_name_ref(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    int d = strcmp(x->name, y->name);
    return d ? d : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Sorts refs and splits them into sorted (borrowed names) and order. */
static void build_index(name_ref *refs, size_t n, char ***sorted, int **order)
{
    qsort(refs, n, sizeof *refs, cmp_name_ref);
    free(*sorted);
    free(*order);
    *sorted = rp_xcalloc(n, sizeof **sorted);
    *order = rp_xcalloc(n, sizeof **order);
    for (size_t k = 0; k < n; k++) {
        (*sorted)[k] = refs[k].name;
        (*order)[k] = refs[k].idx;
    }
}

long rp_fleet_index_instances(rp_fleet *f)
{
    name_ref *refs = rp_xcalloc(f->ninst, sizeof *refs);
    for (size_t i = 0; i < f->ninst; i++)
        refs[i] = (name_ref){f->inst[i].id, (int)i};
    build_index(refs, f->ninst, &f->inst_sorted, &f->inst_order);
    free(refs);
    long dup = -1;
    for (size_t k = 1; k < f->ninst; k++)
        if (!strcmp(f->inst_sorted[k], f->inst_sorted[k - 1]) &&
            (dup < 0 || f->inst_order[k] < dup))
            dup = f->inst_order[k];
    return dup;
}

static void index_reefs(rp_fleet *f)
{
    name_ref *refs = rp_xcalloc(f->nreefs, sizeof *refs);
    for (size_t i = 0; i < f->nreefs; i++)
        refs[i] = (name_ref){f->reefs[i].name, (int)i};
    build_index(refs, f->nreefs, &f->reef_sorted, &f->reef_order);
    free(refs);
}

int rp_fleet_find_instance(const rp_fleet *f, const char *id)
{
    long k = f->inst_sorted ? rp_str_index(f->inst_sorted, f->ninst, id) : -1;
    return k < 0 ? -1 : f->inst_order[k];
}

int rp_fleet_find_reef(const rp_fleet *f, const char *name)
{
    if (!f->reef_sorted) { /* while fleet.json is being read */
        for (size_t i = 0; i < f->nreefs; i++)
            if (!strcmp(f->reefs[i].name, name))
                return (int)i;
        return -1;
    }
    long k = rp_str_index(f->reef_sorted, f->nreefs, name);
    return k < 0 ? -1 : f->reef_order[k];
}

/* Regions and plans number in the tens: a scan is cheaper than an index. */
int rp_fleet_find_region(const rp_fleet *f, const char *name)
{
    for (size_t i = 0; i < f->nregions; i++)
        if (!strcmp(f->regions[i].name, name))
            return (int)i;
    return -1;
}

int rp_fleet_find_plan(const rp_fleet *f, const char *name)
{
    for (size_t i = 0; i < f->nplans; i++)
        if (!strcmp(f->plans[i].name, name))
            return (int)i;
    return -1;
}

int rp_fleet_find_group(const rp_fleet *f, const char *name)
{
    return (int)rp_str_index(f->groups, f->ngroups, name);
}

void rp_fleet_compute_peaks(rp_fleet *f)
{
    size_t slots = (size_t)f->set.slots;
    for (size_t i = 0; i < f->ninst; i++)
        for (int m = 0; m < RP_NMETRICS; m++) {
            const float *v = rp_fleet_profile(f, i, m);
            float peak = slots ? v[0] : 0;
            for (size_t t = 1; t < slots; t++)
                peak = v[t] > peak ? v[t] : peak;
            f->peak[i * RP_NMETRICS + (size_t)m] = peak;
        }
}

/* ---- load ------------------------------------------------------------- */

static char *trim_dir(const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return rp_xstrndup(dir, n);
}

int rp_fleet_load_json(const char *dir, rp_fleet **out, rp_error *err)
{
    rp_fleet *f = rp_xcalloc(1, sizeof *f);
    f->dir = trim_dir(dir);
    char *path = rp_xasprintf("%s/fleet.json", f->dir);
    rp_jdoc doc;
    int rc = rp_jdoc_load(path, &doc, err);
    free(path);
    if (rc == 0) {
        ctx c = {&doc, f, err};
        rc = parse_fleet_json(&c);
        f->json = json_incref(doc.root);
        rp_jdoc_free(&doc);
    }
    if (rc < 0) {
        rp_fleet_free(f);
        *out = NULL;
        return rc;
    }
    index_reefs(f);
    *out = f;
    return 0;
}

char *rp_fleet_profiles_path(const char *dir, bool *wide)
{
    static const char *names[] = {"profiles.csv", "load.csv"};
    struct stat st;
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        char *path = rp_xasprintf("%s/%s", dir, names[k]);
        if (lstat(path, &st) == 0) {
            if (wide)
                *wide = k == 0;
            return path;
        }
        free(path);
    }
    return NULL;
}

static int read_profiles(rp_fleet *f, rp_error *err)
{
    if (!f->prof)
        f->prof = rp_xcalloc(f->ninst * RP_NMETRICS * (size_t)f->set.slots, sizeof *f->prof);
    if (!f->peak)
        f->peak = rp_xcalloc(f->ninst * RP_NMETRICS, sizeof *f->peak);
    bool wide = false;
    char *path = rp_fleet_profiles_path(f->dir, &wide);
    if (!path)
        return rp_error_set(err, RP_EIO, f->dir, 0, 0, "neither profiles.csv nor load.csv found");
    int rc;
    if (wide)
        rc = rp_profiles_read(f, path, err);
    else
        rc = rp_load_read(f, path, 0, NULL, NULL, err);
    free(path);
    if (rc < 0)
        return rc;
    rp_profiles_fill_defaults(f);
    rp_fleet_compute_peaks(f);
    return 0;
}

int rp_fleet_load_rest(rp_fleet *f, rp_error *err)
{
    char *path = rp_xasprintf("%s/instances.csv", f->dir);
    int rc = rp_instances_read(f, path, err);
    free(path);
    if (rc == 0 && !f->inst_sorted)
        rp_fleet_index_instances(f);
    return rc < 0 ? rc : read_profiles(f, err);
}

int rp_fleet_load(const char *dir, rp_fleet **out, rp_error *err)
{
    rp_fleet *f;
    int rc = rp_fleet_load_json(dir, &f, err);
    if (rc < 0) {
        *out = NULL;
        return rc;
    }
    rc = rp_fleet_load_rest(f, err);
    if (rc < 0) {
        rp_fleet_free(f);
        *out = NULL;
        return rc;
    }
    *out = f;
    return 0;
}

void rp_fleet_group_index(const rp_fleet *f, size_t **first, int **members)
{
    size_t *st = rp_xcalloc(f->ngroups + 2, sizeof(size_t));
    int *mem = rp_xmalloc((f->ninst + 1) * sizeof(int));
    for (size_t i = 0; i < f->ninst; i++)
        if (f->inst[i].group >= 0)
            st[f->inst[i].group + 2]++;
    for (size_t g = 0; g < f->ngroups; g++)
        st[g + 2] += st[g + 1];
    for (size_t i = 0; i < f->ninst; i++)
        if (f->inst[i].group >= 0)
            mem[st[f->inst[i].group + 1]++] = (int)i;
    *first = st;
    *members = mem;
}

void rp_fleet_free(rp_fleet *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nplans; i++)
        free(f->plans[i].name);
    for (size_t i = 0; i < f->nregions; i++)
        free(f->regions[i].name);
    for (size_t i = 0; i < f->nreefs; i++)
        free(f->reefs[i].name);
    for (size_t i = 0; i < f->ninst; i++)
        free(f->inst[i].id);
    for (size_t i = 0; i < f->ngroups; i++)
        free(f->groups[i]);
    for (size_t i = 0; i < f->nx_cols; i++)
        free(f->x_cols[i]);
    for (size_t i = 0; f->inst_x && i < f->ninst; i++)
        free(f->inst_x[i]);
    json_decref(f->json);
    free(f->x_cols);
    free(f->inst_x);
    free(f->plans);
    free(f->regions);
    free(f->reefs);
    free(f->inst);
    free(f->groups);
    free(f->prof);
    free(f->peak);
    free(f->inst_sorted);
    free(f->inst_order);
    free(f->reef_sorted);
    free(f->reef_order);
    rp_catalog_free(f->cat);
    free(f->catalog_path);
    free(f->dir);
    free(f);
}

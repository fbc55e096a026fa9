/* catalog.c - loading and validating a priced resource catalog (SPEC §2).
 *
 * Every field is checked against its meaning: prices and capacities are
 * positive, counts are integers, SKU names are unique within their list and
 * the names a template refers to exist with the right kind. Errors are
 * located in the catalog file with rp_jdoc_error. */
#include "catalog.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpos.h"

#ifndef RP_MODELS_DIR
#define RP_MODELS_DIR "models"
#endif

typedef struct ctx {
    const rp_jdoc *doc;
    rp_catalog *cat;
    rp_error *err;
} ctx;

#define PATH_MAX_LEN 256

/* ---- one entry of each list ------------------------------------------- */

static int get_pos(ctx *c, const char *p, const json_t *o, const char *key, double *out)
{
    return rp_jdoc_number_min(c->doc, p, o, key, 0, true, out, c->err);
}

static int get_nonneg(ctx *c, const char *p, const json_t *o, const char *key, double *out)
{
    return rp_jdoc_number_min(c->doc, p, o, key, 0, false, out, c->err);
}

static int parse_pool(ctx *c, const char *p, const json_t *o, void *elem)
{
    rp_pool_sku *s = elem;
    static const char *const req[] = {
        "sku", "db_compute", "max_storage_gb", "max_dbs", "per_db_max", "price", NULL};
    const char *sku;
    long max_dbs;
    int rc;
    if ((rc = rp_jdoc_keys(c->doc, p, o, req, NULL, c->err)) < 0 ||
        (rc = rp_jdoc_string(c->doc, p, o, "sku", &sku, c->err)) < 0 ||
        (rc = get_pos(c, p, o, "db_compute", &s->db_compute)) < 0 ||
        (rc = get_pos(c, p, o, "max_storage_gb", &s->max_storage_gb)) < 0 ||
        (rc = rp_jdoc_int(c->doc, p, o, "max_dbs", 1, INT_MAX, &max_dbs, c->err)) < 0 ||
        (rc = get_pos(c, p, o, "per_db_max", &s->per_db_max)) < 0 ||
        (rc = get_pos(c, p, o, "price", &s->price)) < 0)
        return rc;
    if (s->per_db_max > s->db_compute) {
        char q[PATH_MAX_LEN], raw[72];
        rp_jdoc_path_key(q, sizeof q, p, "per_db_max");
        return rp_jdoc_error(c->doc, q, c->err, RP_EINVALID, "%s exceeds db_compute %g",
                             rp_jdoc_raw(c->doc, q, raw), s->db_compute);
    }
    s->max_dbs = (int)max_dbs;
    s->sku = rp_xstrdup(sku);
    return 0;
}

static int parse_db(ctx *c, const char *p, const json_t *o, void *elem)
{
    rp_db_sku *s = elem;
    static const char *const req[] = {"sku", "db_compute", "max_storage_gb", "price", NULL};
    const char *sku;
    int rc;
    if ((rc = rp_jdoc_keys(c->doc, p, o, req, NULL, c->err)) < 0 ||
        (rc = rp_jdoc_string(c->doc, p, o, "sku", &sku, c->err)) < 0 ||
        (rc = get_pos(c, p, o, "db_compute", &s->db_compute)) < 0 ||
        (rc = get_pos(c, p, o, "max_storage_gb", &s->max_storage_gb)) < 0 ||
        (rc = get_pos(c, p, o, "price", &s->price)) < 0)
        return rc;
    s->sku = rp_xstrdup(sku);
    return 0;
}

static int parse_vm(ctx *c, const char *p, const json_t *o, void *elem)
{
    rp_vm_sku *s = elem;
    static const char *const req[] = {"sku", "alloc_cpu", "alloc_memory_gb", "price", NULL};
    const char *sku;
    int rc;
    if ((rc = rp_jdoc_keys(c->doc, p, o, req, NULL, c->err)) < 0 ||
        (rc = rp_jdoc_string(c->doc, p, o, "sku", &sku, c->err)) < 0 ||
        (rc = get_pos(c, p, o, "alloc_cpu", &s->alloc_cpu)) < 0 ||
        (rc = get_pos(c, p, o, "alloc_memory_gb", &s->alloc_memory_gb)) < 0 ||
        (rc = get_pos(c, p, o, "price", &s->price)) < 0)
        return rc;
    s->sku = rp_xstrdup(sku);
    return 0;
}

static int parse_shared_storage(ctx *c, const char *p, const json_t *o, rp_storage_sku *s)
{
    static const char *const req[] = {"sku", "kind", "max_gb", "max_iops", "price_per_gb", NULL};
    int rc;
    if ((rc = rp_jdoc_keys(c->doc, p, o, req, NULL, c->err)) < 0 ||
        (rc = get_pos(c, p, o, "max_gb", &s->max_gb)) < 0 ||
        (rc = get_pos(c, p, o, "max_iops", &s->max_iops)) < 0 ||
        (rc = get_nonneg(c, p, o, "price_per_gb", &s->price_per_gb)) < 0)
        return rc;
    return 0;
}

/* A premium share: g GiB in [min_gb, max_gb] gives iops_base + iops_per_gb*g
 * IOPS, capped by the optional max_iops. */
static int parse_dedicated_storage(ctx *c, const char *p, const json_t *o, rp_storage_sku *s)
{
    static const char *const req[] = {"sku",         "kind",   "min_gb",       "iops_base",
                                      "iops_per_gb", "max_gb", "price_per_gb", NULL};
    static const char *const opt[] = {"max_iops", NULL};
    int rc;
    if ((rc = rp_jdoc_keys(c->doc, p, o, req, opt, c->err)) < 0 ||
        (rc = get_nonneg(c, p, o, "min_gb", &s->min_gb)) < 0 ||
        (rc = get_nonneg(c, p, o, "iops_base", &s->iops_base)) < 0 ||
        (rc = get_nonneg(c, p, o, "iops_per_gb", &s->iops_per_gb)) < 0 ||
        (rc = get_pos(c, p, o, "max_gb", &s->max_gb)) < 0 ||
        (rc = get_pos(c, p, o, "price_per_gb", &s->price_per_gb)) < 0)
        return rc;
    if (s->max_gb > RP_MAX_SHARE_GB) {
        char q[PATH_MAX_LEN], raw[72];
        rp_jdoc_path_key(q, sizeof q, p, "max_gb");
        return rp_jdoc_error(c->doc, q, c->err, RP_EINVALID, "must be at most %d, got %s",
                             RP_MAX_SHARE_GB, rp_jdoc_raw(c->doc, q, raw));
    }
    s->max_iops = s->iops_base + s->iops_per_gb * s->max_gb;
    if (json_object_get(o, "max_iops") && (rc = get_pos(c, p, o, "max_iops", &s->max_iops)) < 0)
        return rc;
    if (s->min_gb > s->max_gb) {
        char q[PATH_MAX_LEN], raw[72];
        rp_jdoc_path_key(q, sizeof q, p, "min_gb");
        return rp_jdoc_error(c->doc, q, c->err, RP_EINVALID, "%s exceeds max_gb %g",
                             rp_jdoc_raw(c->doc, q, raw), s->max_gb);
    }
    if (s->iops_base + s->iops_per_gb * s->max_gb <= 0) {
        char q[PATH_MAX_LEN];
        rp_jdoc_path_key(q, sizeof q, p, "iops_base");
        return rp_jdoc_error(c->doc, q, c->err, RP_EINVALID,
                             "a share of any size would have no IOPS");
    }
    return 0;
}

static int parse_storage(ctx *c, const char *p, const json_t *o, void *elem)
{
    rp_storage_sku *s = elem;
    const char *sku, *kind;
    char q[PATH_MAX_LEN];
    int rc;
    if (!json_is_object(o))
        return rp_jdoc_keys(c->doc, p, o, NULL, NULL, c->err);
    if ((rc = rp_jdoc_string(c->doc, p, o, "sku", &sku, c->err)) < 0 ||
        (rc = rp_jdoc_string(c->doc, p, o, "kind", &kind, c->err)) < 0)
        return rc;
    if (!strcmp(kind, "shared"))
        rc = parse_shared_storage(c, p, o, s);
    else if (!strcmp(kind, "dedicated")) {
        s->dedicated = true;
        rc = parse_dedicated_storage(c, p, o, s);
    } else
        return rp_jdoc_error(c->doc, rp_jdoc_path_key(q, sizeof q, p, "kind"), c->err, RP_EINVALID,
                             "unknown storage kind '%s' (expected shared or dedicated)", kind);
    if (rc < 0)
        return rc;
    s->sku = rp_xstrdup(sku);
    return 0;
}

/* Resolves template field key to an index with the lookup fn; kind_check
 * (when >= 0) requires storage of that dedicated-ness. */
static int template_ref(ctx *c, const char *p, const json_t *o, const char *key,
                        int (*fn)(const rp_catalog *, const char *), const char *what,
                        int want_dedicated, int *out)
{
    const char *name;
    char q[PATH_MAX_LEN];
    int rc = rp_jdoc_string(c->doc, p, o, key, &name, c->err);
    if (rc < 0)
        return rc;
    rp_jdoc_path_key(q, sizeof q, p, key);
    *out = fn(c->cat, name);
    if (*out < 0)
        return rp_jdoc_error(c->doc, q, c->err, RP_EUNKNOWN, "unknown %s '%s'", what, name);
    if (want_dedicated >= 0 && c->cat->storage[*out].dedicated != (want_dedicated == 1))
        return rp_jdoc_error(c->doc, q, c->err, RP_EINVALID, "storage SKU '%s' is %s, expected %s",
                             name, want_dedicated ? "shared" : "dedicated",
                             want_dedicated ? "dedicated" : "shared");
    return 0;
}

static int parse_template(ctx *c, const char *p, const json_t *o, void *elem)
{
    rp_template *t = elem;
    static const char *const req[] = {
        "name",      "fixed_cost",        "node_sku",    "min_nodes",
        "max_nodes", "max_pods_per_node", "storage_sku", "dedicated_storage_sku",
        NULL};
    const char *name;
    long lo, hi, pods;
    int rc;
    if ((rc = rp_jdoc_keys(c->doc, p, o, req, NULL, c->err)) < 0 ||
        (rc = rp_jdoc_string(c->doc, p, o, "name", &name, c->err)) < 0 ||
        (rc = get_nonneg(c, p, o, "fixed_cost", &t->fixed_cost)) < 0 ||
        (rc = template_ref(c, p, o, "node_sku", rp_catalog_vm, "node VM SKU", -1, &t->node_vm)) <
            0 ||
        (rc = rp_jdoc_int(c->doc, p, o, "min_nodes", 0, RP_MAX_NODES, &lo, c->err)) < 0 ||
        (rc = rp_jdoc_int(c->doc, p, o, "max_nodes", lo > 1 ? lo : 1, RP_MAX_NODES, &hi, c->err)) <
            0 ||
        (rc = rp_jdoc_int(c->doc, p, o, "max_pods_per_node", 1, INT_MAX, &pods, c->err)) < 0 ||
        (rc = template_ref(c, p, o, "storage_sku", rp_catalog_storage, "storage SKU", 0,
                           &t->storage)) < 0 ||
        (rc = template_ref(c, p, o, "dedicated_storage_sku", rp_catalog_storage, "storage SKU", 1,
                           &t->dedicated_storage)) < 0)
        return rc;
    t->min_nodes = (int)lo;
    t->max_nodes = (int)hi;
    t->max_pods_per_node = (int)pods;
    t->name = rp_xstrdup(name);
    return 0;
}

/* ---- lists ------------------------------------------------------------ */

typedef int (*entry_fn)(ctx *c, const char *p, const json_t *o, void *elem);

/* Parses catalog[key] into *arr / *n with fn, rejecting an empty list and
 * duplicate names (the char * at offset 0 of each element). */
static int parse_list(ctx *c, const char *key, size_t esize, entry_fn fn, void **arr, size_t *n)
{
    json_t *a, *o;
    size_t i;
    char p[PATH_MAX_LEN];
    int rc = rp_jdoc_array(c->doc, "", c->doc->root, key, &a, c->err);
    if (rc < 0)
        return rc;
    if (json_array_size(a) == 0)
        return rp_jdoc_error(c->doc, key, c->err, RP_EINVALID, "must not be empty");
    *arr = rp_xcalloc(json_array_size(a), esize);
    json_array_foreach(a, i, o)
    {
        rp_jdoc_path_index(p, sizeof p, key, i);
        void *elem = (char *)*arr + i * esize;
        if ((rc = fn(c, p, o, elem)) < 0)
            return rc;
        (*n)++;
        const char *name = *(char **)elem;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(*(char **)((char *)*arr + j * esize), name))
                continue;
            char q[PATH_MAX_LEN];
            const char *field = !strcmp(key, "templates") ? "name" : "sku";
            return rp_jdoc_error(c->doc, rp_jdoc_path_key(q, sizeof q, p, field), c->err,
                                 RP_EDUPLICATE, "duplicate name '%s' (also %s[%zu])", name, key, j);
        }
    }
    return 0;
}

static int cmp_pool_price(const void *a, const void *b)
{
    const rp_pool_sku *x = a, *y = b;
    return (x->price > y->price) - (x->price < y->price);
}

static int cmp_db_price(const void *a, const void *b)
{
    const rp_db_sku *x = a, *y = b;
    return (x->price > y->price) - (x->price < y->price);
}

/* Stable insertion sort: lists are small and ties keep file order. */
static void sort_stable(void *base, size_t n, size_t esize, int (*cmp)(const void *, const void *))
{
    char *b = base, *tmp = rp_xmalloc(esize);
    for (size_t i = 1; i < n; i++) {
        size_t j = i;
        memcpy(tmp, b + i * esize, esize);
        while (j > 0 && cmp(b + (j - 1) * esize, tmp) > 0) {
            memcpy(b + j * esize, b + (j - 1) * esize, esize);
            j--;
        }
        memcpy(b + j * esize, tmp, esize);
    }
    free(tmp);
}

static char *file_stem(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && !strcmp(base + n - 5, ".json"))
        n -= 5;
    return rp_xstrndup(base, n);
}

static int parse_header(ctx *c)
{
    static const char *const req[] = {"version",   "currency",      "db_compute_unit",
                                      "templates", "elastic_pools", "single_databases",
                                      "node_vms",  "storage",       NULL};
    const json_t *root = c->doc->root;
    const char *cur, *unit;
    long version;
    int rc;
    if ((rc = rp_jdoc_keys(c->doc, "", root, req, NULL, c->err)) < 0 ||
        (rc = rp_jdoc_int(c->doc, "", root, "version", LONG_MIN, LONG_MAX, &version, c->err)) < 0)
        return rc;
    if (version != 1)
        return rp_jdoc_error(c->doc, "version", c->err, RP_EINVALID,
                             "unsupported version %ld (expected 1)", version);
    if ((rc = rp_jdoc_string(c->doc, "", root, "currency", &cur, c->err)) < 0 ||
        (rc = rp_jdoc_string(c->doc, "", root, "db_compute_unit", &unit, c->err)) < 0)
        return rc;
    if (strcmp(unit, "vcore") && strcmp(unit, "edtu"))
        return rp_jdoc_error(c->doc, "db_compute_unit", c->err, RP_EINVALID,
                             "unknown unit '%s' (expected vcore or edtu)", unit);
    c->cat->version = (int)version;
    c->cat->currency = rp_xstrdup(cur);
    c->cat->db_compute_unit = rp_xstrdup(unit);
    return 0;
}

static int parse_catalog(ctx *c)
{
    rp_catalog *cat = c->cat;
    int rc;
    if ((rc = parse_header(c)) < 0 ||
        (rc = parse_list(c, "node_vms", sizeof(rp_vm_sku), parse_vm, (void **)&cat->vms,
                         &cat->nvms)) < 0 ||
        (rc = parse_list(c, "storage", sizeof(rp_storage_sku), parse_storage,
                         (void **)&cat->storage, &cat->nstorage)) < 0 ||
        (rc = parse_list(c, "elastic_pools", sizeof(rp_pool_sku), parse_pool, (void **)&cat->pools,
                         &cat->npools)) < 0 ||
        (rc = parse_list(c, "single_databases", sizeof(rp_db_sku), parse_db, (void **)&cat->dbs,
                         &cat->ndbs)) < 0 ||
        (rc = parse_list(c, "templates", sizeof(rp_template), parse_template,
                         (void **)&cat->templates, &cat->ntemplates)) < 0)
        return rc;
    sort_stable(cat->pools, cat->npools, sizeof *cat->pools, cmp_pool_price);
    sort_stable(cat->dbs, cat->ndbs, sizeof *cat->dbs, cmp_db_price);
    return 0;
}

int rp_catalog_load(const char *path, rp_catalog **out, rp_error *err)
{
    rp_jdoc doc;
    *out = NULL;
    int rc = rp_jdoc_load(path, &doc, err);
    if (rc < 0)
        return rc;
    rp_catalog *cat = rp_xcalloc(1, sizeof *cat);
    cat->name = file_stem(path);
    ctx c = {&doc, cat, err};
    rc = parse_catalog(&c);
    rp_jdoc_free(&doc);
    if (rc < 0) {
        rp_catalog_free(cat);
        return rc;
    }
    *out = cat;
    return 0;
}

void rp_catalog_free(rp_catalog *cat)
{
    if (!cat)
        return;
    for (size_t i = 0; i < cat->ntemplates; i++)
        free(cat->templates[i].name);
    for (size_t i = 0; i < cat->npools; i++)
        free(cat->pools[i].sku);
    for (size_t i = 0; i < cat->ndbs; i++)
        free(cat->dbs[i].sku);
    for (size_t i = 0; i < cat->nvms; i++)
        free(cat->vms[i].sku);
    for (size_t i = 0; i < cat->nstorage; i++)
        free(cat->storage[i].sku);
    free(cat->templates);
    free(cat->pools);
    free(cat->dbs);
    free(cat->vms);
    free(cat->storage);
    free(cat->name);
    free(cat->currency);
    free(cat->db_compute_unit);
    free(cat);
}

/* ---- lookups ---------------------------------------------------------- */

/* Catalogs hold tens of entries and are looked up while loading, so a scan
 * over the name at offset 0 of each element is enough. */
static int find_name(const void *arr, size_t n, size_t esize, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(*(char *const *)((const char *)arr + i * esize), name))
            return (int)i;
    return -1;
}

int rp_catalog_template(const rp_catalog *cat, const char *name)
{
    return find_name(cat->templates, cat->ntemplates, sizeof *cat->templates, name);
}

int rp_catalog_pool(const rp_catalog *cat, const char *sku)
{
    return find_name(cat->pools, cat->npools, sizeof *cat->pools, sku);
}

int rp_catalog_db(const rp_catalog *cat, const char *sku)
{
    return find_name(cat->dbs, cat->ndbs, sizeof *cat->dbs, sku);
}

int rp_catalog_vm(const rp_catalog *cat, const char *sku)
{
    return find_name(cat->vms, cat->nvms, sizeof *cat->vms, sku);
}

int rp_catalog_storage(const rp_catalog *cat, const char *sku)
{
    return find_name(cat->storage, cat->nstorage, sizeof *cat->storage, sku);
}

const char *rp_models_dir(void)
{
    const char *env = getenv("REEFPLAN_MODELS");
    return env && *env ? env : RP_MODELS_DIR;
}

char *rp_catalog_resolve(const char *value, const char *fleet_dir)
{
    size_t n = strlen(value);
    bool is_path = strchr(value, '/') || (n >= 5 && !strcmp(value + n - 5, ".json"));
    if (!is_path)
        return rp_xasprintf("%s/%s.json", rp_models_dir(), value);
    if (value[0] == '/')
        return rp_xstrdup(value);
    while (value[0] == '.' && value[1] == '/') /* "./x.json" reads better as "x.json" */
        value += 2 + strspn(value + 2, "/");
    return rp_xasprintf("%s/%s", fleet_dir, value);
}

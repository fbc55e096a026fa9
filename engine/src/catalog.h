/* catalog.h - the priced resource catalog (SPEC §2 "Catalog").
 *
 * An rp_catalog owns all its strings and arrays; rp_catalog_free releases
 * them (NULL is a no-op). Entries are kept in file order except where noted;
 * indexes into these arrays are how the rest of the engine names a SKU. */
#ifndef RP_CATALOG_H
#define RP_CATALOG_H

#include "error.h"

/* The largest node count and premium share a catalog may allow: a plan
 * names sizes up to these, and the plan reader holds them too. */
#define RP_MAX_NODES 1000000
#define RP_MAX_SHARE_GB 100000000

typedef struct rp_template {
    char *name;
    double fixed_cost;
    int node_vm;           /* index into node_vms */
    int min_nodes, max_nodes, max_pods_per_node;
    int storage;           /* index into storage (kind shared) */
    int dedicated_storage; /* index into storage (kind dedicated) */
} rp_template;

typedef struct rp_pool_sku {
    char *sku;
    double db_compute, max_storage_gb, per_db_max, price;
    int max_dbs;
} rp_pool_sku;

typedef struct rp_db_sku {
    char *sku;
    double db_compute, max_storage_gb, price;
} rp_db_sku;

typedef struct rp_vm_sku {
    char *sku;
    double alloc_cpu, alloc_memory_gb, price;
} rp_vm_sku;

typedef struct rp_storage_sku {
    char *sku;
    bool dedicated;
    double min_gb, max_gb, max_iops, iops_base, iops_per_gb, price_per_gb;
} rp_storage_sku;

typedef struct rp_catalog {
    int version;
    char *name; /* file stem, e.g. "azure-vcore" */
    char *currency, *db_compute_unit;
    rp_template *templates;
    size_t ntemplates;
    rp_pool_sku *pools; /* sorted by price ascending (ties: file order) */
    size_t npools;
    rp_db_sku *dbs;     /* sorted by price ascending */
    size_t ndbs;
    rp_vm_sku *vms;
    size_t nvms;
    rp_storage_sku *storage;
    size_t nstorage;
} rp_catalog;

/* Loads and validates a catalog JSON file. On error returns a negative code
 * and err names path:line:col and the field (JSON path) and value. */
int rp_catalog_load(const char *path, rp_catalog **out, rp_error *err);
void rp_catalog_free(rp_catalog *cat);

/* Lookups by name; -1 when absent. */
int rp_catalog_template(const rp_catalog *cat, const char *name);
int rp_catalog_pool(const rp_catalog *cat, const char *sku);
int rp_catalog_db(const rp_catalog *cat, const char *sku);
int rp_catalog_vm(const rp_catalog *cat, const char *sku);
int rp_catalog_storage(const rp_catalog *cat, const char *sku);

/* Resolves a fleet.json "catalog" value: a bare name means
 * <models_dir>/<name>.json; anything with a '/' or ending in ".json" is a path
 * relative to fleet_dir. Returns a malloc'd path. models_dir comes from
 * rp_models_dir(). */
char *rp_catalog_resolve(const char *value, const char *fleet_dir);
/* The models directory: $REEFPLAN_MODELS if set, else the compiled-in
 * RP_MODELS_DIR (the source tree's models/). */
const char *rp_models_dir(void);

#endif

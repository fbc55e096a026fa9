/* test_catalog.c - the shipped catalogs load; malformed catalogs are
 * rejected with exact, located messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "testutil.h"

/* A small valid catalog; the malformed cases below edit one token of it. */
static const char *const base_cat =
    "{\"version\": 1, \"currency\": \"USD\", \"db_compute_unit\": \"vcore\",\n"
    " \"templates\": [{\"name\": \"standard\", \"fixed_cost\": 73.0, \"node_sku\": "
    "\"Standard_D8s_v5\",\n"
    "                \"min_nodes\": 3, \"max_nodes\": 1000, \"max_pods_per_node\": 110,\n"
    "                \"storage_sku\": \"standard_files\", \"dedicated_storage_sku\": "
    "\"premium_files\"}],\n"
    " \"elastic_pools\": [{\"sku\": \"GP_Gen5_4\", \"db_compute\": 4, \"max_storage_gb\": 756,\n"
    "                    \"max_dbs\": 200, \"per_db_max\": 4, \"price\": 780.82},\n"
    "                   {\"sku\": \"GP_Gen5_2\", \"db_compute\": 2, \"max_storage_gb\": 512,\n"
    "                    \"max_dbs\": 100, \"per_db_max\": 2, \"price\": 390}],\n"
    " \"single_databases\": [{\"sku\": \"GP_Gen5_2\", \"db_compute\": 2, \"max_storage_gb\": 1024, "
    "\"price\": 368.0}],\n"
    " \"node_vms\": [{\"sku\": \"Standard_D8s_v5\", \"alloc_cpu\": 7.82, \"alloc_memory_gb\": "
    "29.71, \"price\": 280.32}],\n"
    " \"storage\": [{\"sku\": \"standard_files\", \"kind\": \"shared\", \"max_gb\": 5242880, "
    "\"max_iops\": 20000, \"price_per_gb\": 0.06},\n"
    "             {\"sku\": \"premium_files\", \"kind\": \"dedicated\", \"min_gb\": 100, "
    "\"iops_base\": 3000,\n"
    "              \"iops_per_gb\": 1.0, \"max_gb\": 102400, \"price_per_gb\": 0.176}]}\n";

/* base_cat with the first occurrence of from replaced by to. */
static char *edit(const char *from, const char *to)
{
    const char *hit = strstr(base_cat, from);
    ck_assert_msg(hit != NULL, "fixture text '%s' not found", from);
    size_t pre = (size_t)(hit - base_cat);
    size_t n = strlen(base_cat) - strlen(from) + strlen(to) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%.*s%s%s", (int)pre, base_cat, to, hit + strlen(from));
    return s;
}

/* Loads text as dir/cat.json and returns the formatted error line ("" when it loaded). */
static char *load_error(const char *text)
{
    static char line[2048];
    char *dir = rp_test_tmpdir();
    char *path = rp_test_write(dir, "cat.json", text);
    rp_catalog *cat = NULL;
    rp_error err = {0};
    int rc = rp_catalog_load(path, &cat, &err);
    line[0] = '\0';
    if (rc < 0) {
        ck_assert_ptr_null(cat);
        snprintf(line, sizeof line, "%s:%ld:%ld: error: %s", err.file + strlen(dir) + 1, err.line,
                 err.col, err.msg);
    }
    rp_catalog_free(cat);
    remove(path);
    remove(dir);
    free(path);
    free(dir);
    return line;
}

static void check_error(const char *from, const char *to, const char *want)
{
    char *text = edit(from, to);
    ck_assert_str_eq(load_error(text), want);
    free(text);
}

START_TEST(vcore_loads)
{
    rp_catalog *cat;
    rp_error err = {0};
    ck_assert_int_eq(rp_catalog_load(rp_test_path("models/azure-vcore.json"), &cat, &err), 0);
    ck_assert_str_eq(cat->name, "azure-vcore");
    ck_assert_str_eq(cat->db_compute_unit, "vcore");
    ck_assert_uint_eq(cat->ntemplates, 2);
    ck_assert_uint_eq(cat->npools, 14);
    ck_assert_uint_eq(cat->ndbs, 5);
    ck_assert_uint_eq(cat->nvms, 10);
    ck_assert_uint_eq(cat->nstorage, 2);
    for (size_t i = 1; i < cat->npools; i++)
        ck_assert_double_le(cat->pools[i - 1].price, cat->pools[i].price);
    int p = rp_catalog_pool(cat, "GP_Gen5_4");
    ck_assert_int_ge(p, 0);
    ck_assert_double_eq_tol(cat->pools[p].price, 780.82, 1e-9);
    ck_assert_int_eq(cat->pools[p].max_dbs, 200);
    ck_assert_double_eq(cat->pools[p].max_storage_gb, 756);
    ck_assert_str_eq(cat->pools[0].sku, "GP_Gen5_2");
    ck_assert_str_eq(cat->pools[cat->npools - 1].sku, "GP_Gen5_80");
    const rp_template *t = &cat->templates[rp_catalog_template(cat, "memory")];
    ck_assert_str_eq(cat->vms[t->node_vm].sku, "Standard_E8s_v5");
    ck_assert_double_eq_tol(cat->vms[t->node_vm].alloc_memory_gb, 61.71, 1e-9);
    ck_assert(!cat->storage[t->storage].dedicated);
    ck_assert(cat->storage[t->dedicated_storage].dedicated);
    ck_assert_double_eq(cat->storage[t->dedicated_storage].min_gb, 100);
    ck_assert_int_eq(rp_catalog_pool(cat, "GP_Gen5_99"), -1);
    ck_assert_int_eq(rp_catalog_db(cat, "GP_Gen5_16"), 3);
    ck_assert_int_eq(rp_catalog_vm(cat, "nope"), -1);
    rp_catalog_free(cat);
}
END_TEST

START_TEST(dtu_loads)
{
    rp_catalog *cat;
    rp_error err = {0};
    ck_assert_int_eq(rp_catalog_load(rp_test_path("models/azure-dtu.json"), &cat, &err), 0);
    ck_assert_str_eq(cat->db_compute_unit, "edtu");
    ck_assert_uint_eq(cat->npools, 21);
    ck_assert_uint_eq(cat->ndbs, 15);
    for (size_t i = 1; i < cat->ndbs; i++)
        ck_assert_double_le(cat->dbs[i - 1].price, cat->dbs[i].price);
    ck_assert_str_eq(cat->dbs[0].sku, "S0");
    ck_assert_str_eq(cat->pools[0].sku, "StandardPool_50");
    int p = rp_catalog_pool(cat, "PremiumPool_1500");
    ck_assert_double_eq(cat->pools[p].per_db_max, 1000);
    rp_catalog_free(cat);
}
END_TEST

START_TEST(sort_is_stable)
{
    /* GP_Gen5_2 is cheaper and moves first; equal prices keep file order. */
    char *text = edit("\"price\": 780.82", "\"price\": 390");
    char *dir = rp_test_tmpdir();
    char *path = rp_test_write(dir, "two.json", text);
    rp_catalog *cat;
    rp_error err = {0};
    ck_assert_int_eq(rp_catalog_load(path, &cat, &err), 0);
    ck_assert_str_eq(cat->name, "two");
    ck_assert_str_eq(cat->pools[0].sku, "GP_Gen5_4");
    ck_assert_str_eq(cat->pools[1].sku, "GP_Gen5_2");
    rp_catalog_free(cat);
    free(text);
    ck_assert_str_eq(load_error(base_cat), "");
    text = edit("\"price\": 780.82", "\"price\": 391");
    free(path);
    path = rp_test_write(dir, "two.json", text);
    ck_assert_int_eq(rp_catalog_load(path, &cat, &err), 0);
    ck_assert_str_eq(cat->pools[0].sku, "GP_Gen5_2");
    rp_catalog_free(cat);
    free(text);
    free(path);
    free(dir);
}
END_TEST

START_TEST(bom_accepted)
{
    size_t n = strlen(base_cat) + 4;
    char *text = malloc(n);
    snprintf(text, n, "\xEF\xBB\xBF%s", base_cat);
    ck_assert_str_eq(load_error(text), "");
    free(text);
}
END_TEST

START_TEST(bad_values)
{
    check_error("\"price\": 390}", "\"price\": -1}",
                "cat.json:8:63: error: elastic_pools[1].price: must be > 0, got -1");
    check_error("\"max_dbs\": 200", "\"max_dbs\": \"200\"",
                "cat.json:6:32: error: elastic_pools[0].max_dbs: expected an integer, got \"200\"");
    check_error("\"max_dbs\": 200", "\"max_dbs\": 0",
                "cat.json:6:32: error: elastic_pools[0].max_dbs: must be an integer >= 1, got 0");
    check_error("\"per_db_max\": 2,", "\"per_db_max\": 2.5,",
                "cat.json:8:51: error: elastic_pools[1].per_db_max: 2.5 exceeds db_compute 2");
    check_error("\"alloc_cpu\": 7.82", "\"alloc_cpu\": 0",
                "cat.json:10:55: error: node_vms[0].alloc_cpu: must be > 0, got 0");
    check_error("\"version\": 1", "\"version\": 2",
                "cat.json:1:13: error: version: unsupported version 2 (expected 1)");
    check_error(
        "\"vcore\"", "\"vcores\"",
        "cat.json:1:54: error: db_compute_unit: unknown unit 'vcores' (expected vcore or edtu)");
    check_error("\"min_gb\": 100", "\"min_gb\": 200000",
                "cat.json:12:70: error: storage[1].min_gb: 200000 exceeds max_gb 102400");
}
END_TEST

START_TEST(bad_structure)
{
    check_error("\"alloc_cpu\"", "\"colour\": \"red\", \"alloc_cpu\"",
                "cat.json:10:52: error: node_vms[0].colour: unknown field");
    check_error("\"max_iops\": 20000, ", "",
                "cat.json:11:14: error: storage[0]: missing field 'max_iops'");
    check_error("\"kind\": \"shared\"", "\"kind\": \"hot\"",
                "cat.json:11:48: error: storage[0].kind: unknown storage kind 'hot' (expected "
                "shared or dedicated)");
    check_error("{\"sku\": \"GP_Gen5_2\", \"db_compute\": 2, \"max_storage_gb\": 512",
                "{\"sku\": \"GP_Gen5_4\", \"db_compute\": 2, \"max_storage_gb\": 512",
                "cat.json:7:28: error: elastic_pools[1].sku: duplicate name 'GP_Gen5_4' (also "
                "elastic_pools[0])");
    check_error("\"node_vms\": [{\"sku\": \"Standard_D8s_v5\", \"alloc_cpu\": 7.82, "
                "\"alloc_memory_gb\": 29.71, \"price\": 280.32}]",
                "\"node_vms\": []", "cat.json:10:14: error: node_vms: must not be empty");
    check_error(
        "[{\"sku\": \"GP_Gen5_2\", \"db_compute\": 2, \"max_storage_gb\": 1024, \"price\": 368.0}]",
        "{\"sku\": \"GP_Gen5_2\"}",
        "cat.json:9:22: error: single_databases: expected an array, got {\"sku\": \"GP_Gen5_2\"}");
}
END_TEST

START_TEST(bad_references)
{
    check_error("\"node_sku\": \"Standard_D8s_v5\"", "\"node_sku\": \"Standard_X\"",
                "cat.json:2:69: error: templates[0].node_sku: unknown node VM SKU 'Standard_X'");
    check_error("\"storage_sku\": \"standard_files\"", "\"storage_sku\": \"premium_files\"",
                "cat.json:4:32: error: templates[0].storage_sku: storage SKU 'premium_files' is "
                "dedicated, expected shared");
    check_error("\"dedicated_storage_sku\": \"premium_files\"",
                "\"dedicated_storage_sku\": \"standard_files\"",
                "cat.json:4:75: error: templates[0].dedicated_storage_sku: storage SKU "
                "'standard_files' is shared, expected dedicated");
    check_error("\"max_nodes\": 1000", "\"max_nodes\": 2",
                "cat.json:3:46: error: templates[0].max_nodes: must be an integer in [3, 1000000], got 2");
}
END_TEST

START_TEST(bad_files)
{
    ck_assert_str_eq(load_error(""), "cat.json:1:1: error: empty file");
    check_error("780.82},", "780.82,},", "cat.json:6:70: error: string or '}' expected near '}'");
    check_error("\"currency\": \"USD\",", "\"currency\": \"USD\", \"currency\": \"EUR\",",
                "cat.json:1:44: error: duplicate object key near '\"currency\"'");
    rp_catalog *cat = (rp_catalog *)1;
    rp_error err = {0};
    ck_assert_int_eq(rp_catalog_load("/nonexistent/x.json", &cat, &err), RP_EIO);
    ck_assert_ptr_null(cat);
    ck_assert_str_eq(err.msg, "cannot read: No such file or directory");
}
END_TEST

START_TEST(resolve)
{
    setenv("REEFPLAN_MODELS", "/m", 1);
    char *p = rp_catalog_resolve("azure-vcore", "fl");
    ck_assert_str_eq(p, "/m/azure-vcore.json");
    free(p);
    p = rp_catalog_resolve("./bad.json", "fl");
    ck_assert_str_eq(p, "fl/bad.json");
    free(p);
    p = rp_catalog_resolve("c.json", "fl");
    ck_assert_str_eq(p, "fl/c.json");
    free(p);
    p = rp_catalog_resolve("/abs/c.json", "fl");
    ck_assert_str_eq(p, "/abs/c.json");
    free(p);
    unsetenv("REEFPLAN_MODELS");
    ck_assert_ptr_nonnull(strstr(rp_models_dir(), "models"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("catalog");
    TCase *tc = tcase_create("catalog");
    tcase_add_test(tc, vcore_loads);
    tcase_add_test(tc, dtu_loads);
    tcase_add_test(tc, sort_is_stable);
    tcase_add_test(tc, bom_accepted);
    tcase_add_test(tc, bad_values);
    tcase_add_test(tc, bad_structure);
    tcase_add_test(tc, bad_references);
    tcase_add_test(tc, bad_files);
    tcase_add_test(tc, resolve);
    suite_add_tcase(s, tc);
    return rp_test_run(s);
}

/* test_jsonpos.c - the JSON locator finds values by path in the raw text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpos.h"
#include "testutil.h"

static const char *const text =
    "{\"a\": {\"s\": \"x]}[{,\\\"\", \"b\": [1, {\"c\": [\"]\", 2]}, 3]},\n"
    "  \"\\u00e9t\\u00e9\": \"\xc3\xa9\xc3\xa9\", \"d\": {\"e.f\": 1},\n"
    "\t\"z\": [[], {}, \"last\"]}\n";

static rp_jdoc doc;
static char *dir;

static void setup(void)
{
    dir = rp_test_tmpdir();
    char *path = rp_test_write(dir, "t.json", text);
    rp_error err = {0};
    ck_assert_int_eq(rp_jdoc_load(path, &doc, &err), 0);
    free(path);
}

static void teardown(void)
{
    char *path = rp_xasprintf("%s/t.json", dir);
    remove(path);
    remove(dir);
    free(path);
    free(dir);
    rp_jdoc_free(&doc);
}

/* "LINE:COL MSG" of an error at jpath. */
static const char *where(const char *jpath)
{
    static char buf[1200];
    rp_error err = {0};
    ck_assert_int_eq(rp_jdoc_error(&doc, jpath, &err, RP_EINVALID, "m"), RP_EINVALID);
    ck_assert_str_eq(err.file + strlen(dir), "/t.json");
    snprintf(buf, sizeof buf, "%ld:%ld %s", err.line, err.col, err.msg);
    return buf;
}

START_TEST(finds_values)
{
    ck_assert_str_eq(where(""), "1:1 m");
    ck_assert_str_eq(where("a.s"), "1:13 a.s: m");
    ck_assert_str_eq(where("a.b[1].c[1]"), "1:46 a.b[1].c[1]: m");
    ck_assert_str_eq(where("a.b[2]"), "1:51 a.b[2]: m");
    /* Escaped key; columns count bytes (the value "éé", four bytes, puts d at 33, not 31). */
    ck_assert_str_eq(where("\xc3\xa9t\xc3\xa9"), "2:20 \xc3\xa9t\xc3\xa9: m");
    ck_assert_str_eq(where("d"), "2:33 d: m");
    ck_assert_str_eq(where("z[2]"), "3:16 z[2]: m");
}
END_TEST

START_TEST(falls_back_to_enclosing)
{
    /* A key with a dot cannot be named by a path: the nearest value found is used. */
    ck_assert_str_eq(where("d.e.f"), "2:33 d.e.f: m");
    ck_assert_str_eq(where("a.b[7]"), "1:30 a.b[7]: m");
    ck_assert_str_eq(where("nope"), "1:1 nope: m");
}
END_TEST

START_TEST(raw_text)
{
    char buf[72];
    ck_assert_str_eq(rp_jdoc_raw(&doc, "a.b[1]", buf), "{\"c\": [\"]\", 2]}");
    ck_assert_str_eq(rp_jdoc_raw(&doc, "a.s", buf), "\"x]}[{,\\\"\"");
    ck_assert_str_eq(rp_jdoc_raw(&doc, "z[0]", buf), "[]");
    ck_assert_str_eq(rp_jdoc_raw(&doc, "missing", buf), "?");
}
END_TEST

START_TEST(typed_access)
{
    rp_error err = {0};
    const char *s;
    long n;
    json_t *a = json_object_get(doc.root, "a");
    ck_assert_int_eq(rp_jdoc_string(&doc, "a", a, "s", &s, &err), 0);
    ck_assert_str_eq(s, "x]}[{,\"");
    ck_assert_int_eq(rp_jdoc_int(&doc, "a", a, "s", 0, 5, &n, &err), RP_EINVALID);
    ck_assert_str_eq(err.msg, "a.s: expected an integer, got \"x]}[{,\\\"\"");
    json_t *d = json_object_get(doc.root, "d");
    ck_assert_int_eq(rp_jdoc_int(&doc, "d", d, "e.f", 2, 5, &n, &err), RP_EINVALID);
    ck_assert_str_eq(err.msg, "d.e.f: must be an integer in [2, 5], got ?");
    static const char *const req[] = {"s", "b", "q", NULL};
    ck_assert_int_eq(rp_jdoc_keys(&doc, "a", a, req, NULL, &err), RP_EINVALID);
    ck_assert_str_eq(err.msg, "a: missing field 'q'");
    static const char *const req2[] = {"s", NULL};
    ck_assert_int_eq(rp_jdoc_keys(&doc, "a", a, req2, NULL, &err), RP_EUNKNOWN);
    ck_assert_str_eq(err.msg, "a.b: unknown field");
    ck_assert_int_eq(err.line, 1);
    ck_assert_int_eq(err.col, 30);
}
END_TEST

START_TEST(load_errors)
{
    rp_jdoc d2;
    rp_error err = {0};
    char *p = rp_test_write(dir, "nul.json", "[1, 2,\n  nan]\n");
    ck_assert_int_eq(rp_jdoc_load(p, &d2, &err), RP_EPARSE);
    ck_assert_int_eq(err.line, 2);
    ck_assert_str_eq(err.msg, "invalid token near 'nan'");
    remove(p);
    free(p);
    p = rp_test_write(dir, "big.json", "{\"x\": 1e999}");
    ck_assert_int_eq(rp_jdoc_load(p, &d2, &err), RP_EPARSE);
    ck_assert_str_eq(err.msg, "real number overflow near '1e999'");
    remove(p);
    free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jsonpos");
    TCase *tc = tcase_create("jsonpos");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, finds_values);
    tcase_add_test(tc, falls_back_to_enclosing);
    tcase_add_test(tc, raw_text);
    tcase_add_test(tc, typed_access);
    tcase_add_test(tc, load_errors);
    suite_add_tcase(s, tc);
    return rp_test_run(s);
}

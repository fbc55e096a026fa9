#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

const char *rp_test_path(const char *rel)
{
    static char buf[8][4096];
    static int k;
    const char *root = getenv("RP_SOURCE_DIR");
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", root ? root : ".", rel);
    return b;
}

char *rp_test_tmpdir(void)
{
    char tmpl[] = "/tmp/rptest.XXXXXX";
    char *d = mkdtemp(tmpl);
    ck_assert_ptr_nonnull(d);
    return rp_xstrdup(d);
}

char *rp_test_read(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
    long n = ftell(fp);
    ck_assert_int_ge(n, 0);
    rewind(fp);
    char *buf = rp_xmalloc((size_t)n + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    if (len)
        *len = (size_t)n;
    return buf;
}

char *rp_test_write(const char *dir, const char *name, const char *text)
{
    char *p = rp_xasprintf("%s/%s", dir, name);
    FILE *fp = fopen(p, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    fclose(fp);
    return p;
}

char *rp_test_fixture_copy(const char *name)
{
    char *d = rp_test_tmpdir();
    char *rel = rp_xasprintf("tests/fixtures/%s", name);
    char *cmd = rp_xasprintf("cp -r '%s'/. '%s'", rp_test_path(rel), d);
    free(rel);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    return d;
}

int rp_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

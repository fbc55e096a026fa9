/* testutil.h - helpers shared by the Check unit tests. */
#ifndef RP_TESTUTIL_H
#define RP_TESTUTIL_H

#include <check.h>
#include <stddef.h>

/* Absolute path of a file under the source tree (tests/fixtures/..., models/...). */
const char *rp_test_path(const char *rel);
/* Creates a fresh temporary directory; returns its malloc'd path. */
char *rp_test_tmpdir(void);
/* The whole file at path, NUL-terminated and malloc'd; its length in *len
 * (may be NULL). Fails the test when it cannot be read. */
char *rp_test_read(const char *path, size_t *len);
/* Writes text to dir/name; returns the malloc'd path. */
char *rp_test_write(const char *dir, const char *name, const char *text);
/* Copies the fixture directory tests/fixtures/<name> into a new temp dir and returns it. */
char *rp_test_fixture_copy(const char *name);
/* Runs a suite and returns the process exit status (0 when all passed). */
int rp_test_run(Suite *s);

#endif

/* test_csvin.c - the strict CSV reader: fields, positions, row width, blank
 * lines, quoting errors, BOM, empty files, large inputs across blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvin.h"
#include "testutil.h"

static char *tmpdir;

static void setup(void)
{
    tmpdir = rp_test_tmpdir();
}

static void teardown(void)
{
    char *cmd = rp_xasprintf("rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    free(tmpdir);
}

/* Opens text as a.csv; returns the reader or NULL with err filled. */
static rp_csv *open_text(const char *text, rp_error *err)
{
    char *path = rp_test_write(tmpdir, "a.csv", text);
    rp_csv *c = NULL;
    int rc = rp_csv_open(path, &c, err);
    free(path);
    ck_assert(rc == 0 || c == NULL);
    return c;
}

/* Reads every record; returns the last rp_csv_next code. */
static int drain(rp_csv *c, rp_error *err, int *records)
{
    int rc;
    *records = 0;
    while ((rc = rp_csv_next(c, err)) == 1)
        (*records)++;
    return rc;
}

/* The error text "LINE:COL: MSG" (file name left out) of opening and
 * reading text to the end; "" when it is fine. */
static const char *error_of(const char *text)
{
    static char buf[1200];
    rp_error err;
    memset(&err, 0, sizeof err);
    rp_csv *c = open_text(text, &err);
    int n, rc = c ? drain(c, &err, &n) : -1;
    rp_csv_close(c);
    if (rc == 0)
        return "";
    snprintf(buf, sizeof buf, "%ld:%ld: %s", err.line, err.col, err.msg);
    return buf;
}

START_TEST(fields_and_positions)
{
    rp_error err;
    rp_csv *c = open_text("a,b,c\n1,,\"x,\"\"y\"\"\"\n\"multi\nline\",22,333\n", &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(rp_csv_ncols(c), 3);
    ck_assert_str_eq(rp_csv_colname(c, 2), "c");
    ck_assert_int_eq(rp_csv_find(c, "b"), 1);
    ck_assert_int_eq(rp_csv_find(c, "z"), -1);
    ck_assert_int_eq(rp_csv_next(c, &err), 1);
    ck_assert_str_eq(rp_csv_field(c, 0), "1");
    ck_assert_str_eq(rp_csv_field(c, 1), "");
    ck_assert_str_eq(rp_csv_field(c, 2), "x,\"y\"");
    ck_assert_uint_eq(rp_csv_field_len(c, 2), 5);
    ck_assert_int_eq(rp_csv_line(c), 2);
    ck_assert_int_eq(rp_csv_col(c, 0), 1);
    ck_assert_int_eq(rp_csv_col(c, 1), 3);
    ck_assert_int_eq(rp_csv_col(c, 2), 4);
    ck_assert_int_eq(rp_csv_next(c, &err), 1);
    ck_assert_str_eq(rp_csv_field(c, 0), "multi\nline");
    ck_assert_int_eq(rp_csv_line(c), 3);
    ck_assert_int_eq(rp_csv_col(c, 1), 7); /* on line 4, after 'line",' */
    ck_assert_str_eq(rp_csv_field(c, 2), "333");
    ck_assert_int_eq(rp_csv_next(c, &err), 0);
    ck_assert_int_eq(rp_csv_next(c, &err), 0);
    rp_csv_close(c);
}
END_TEST

START_TEST(spaces_are_kept)
{
    rp_error err;
    rp_csv *c = open_text("a,b\n 12,3 \n", &err);
    ck_assert_int_eq(rp_csv_next(c, &err), 1);
    ck_assert_str_eq(rp_csv_field(c, 0), " 12");
    ck_assert_str_eq(rp_csv_field(c, 1), "3 ");
    rp_csv_close(c);
    /* Blank-only fields and tabs, on the whole-line fast path. */
    c = open_text("a,b\n\t, \nx y,\tz\t\n", &err);
    ck_assert_int_eq(rp_csv_next(c, &err), 1);
    ck_assert_str_eq(rp_csv_field(c, 0), "\t");
    ck_assert_str_eq(rp_csv_field(c, 1), " ");
    ck_assert_int_eq(rp_csv_col(c, 1), 3);
    ck_assert_int_eq(rp_csv_next(c, &err), 1);
    ck_assert_str_eq(rp_csv_field(c, 0), "x y");
    ck_assert_str_eq(rp_csv_field(c, 1), "\tz\t");
    ck_assert_int_eq(rp_csv_col(c, 1), 5);
    ck_assert_int_eq(rp_csv_next(c, &err), 0);
    rp_csv_close(c);
    c = open_text("a\n   \nb\n", &err);
    ck_assert_int_eq(rp_csv_next(c, &err), 1);
    ck_assert_str_eq(rp_csv_field(c, 0), "   ");
    ck_assert_int_eq(rp_csv_next(c, &err), 1);
    ck_assert_str_eq(rp_csv_field(c, 0), "b");
    ck_assert_int_eq(rp_csv_line(c), 3);
    rp_csv_close(c);
}
END_TEST

START_TEST(crlf_and_no_final_newline)
{
    rp_error err;
    rp_csv *c = open_text("a,b\r\n1,2\r\n3,4", &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(rp_csv_colname(c, 1), "b");
    ck_assert_int_eq(rp_csv_next(c, &err), 1);
    ck_assert_str_eq(rp_csv_field(c, 1), "2");
    ck_assert_int_eq(rp_csv_next(c, &err), 1);
    ck_assert_str_eq(rp_csv_field(c, 0), "3");
    ck_assert_str_eq(rp_csv_field(c, 1), "4");
    ck_assert_int_eq(rp_csv_line(c), 3);
    ck_assert_int_eq(rp_csv_col(c, 1), 3);
    ck_assert_int_eq(rp_csv_next(c, &err), 0);
    rp_csv_close(c);
    /* A trailing comma at end of file is an empty last field. */
    ck_assert_str_eq(error_of("a,b\n1,"), "");
}
END_TEST

START_TEST(bom_is_skipped)
{
    rp_error err;
    rp_csv *c = open_text("\xef\xbb\xbfid,v\nx,1\n", &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(rp_csv_colname(c, 0), "id");
    ck_assert_int_eq(rp_csv_find(c, "id"), 0);
    ck_assert_int_eq(rp_csv_next(c, &err), 1);
    ck_assert_int_eq(rp_csv_col(c, 1), 3);
    rp_csv_close(c);
    ck_assert_str_eq(error_of("\xef\xbb\xbf"), "1:1: empty file");
}
END_TEST

START_TEST(header_only_and_empty)
{
    ck_assert_str_eq(error_of("a,b\n"), "");
    ck_assert_str_eq(error_of("a,b"), "");
    ck_assert_str_eq(error_of(""), "1:1: empty file");
    ck_assert_str_eq(error_of("a,,c\n"), "1:3: empty column name");
    ck_assert_str_eq(error_of("a,b,a\n"), "1:5: duplicate column 'a' (first at column 1)");
}
END_TEST

START_TEST(ragged_rows)
{
    ck_assert_str_eq(error_of("a,b,c\n1,2,3\n1,2,3,4\n"), "3:7: row has 4 fields, header has 3");
    ck_assert_str_eq(error_of("a,b,c\n1,2\n"), "2:4: row has 2 fields, header has 3");
    ck_assert_str_eq(error_of("a,b,c\n1,2"), "2:4: row has 2 fields, header has 3");
}
END_TEST

START_TEST(blank_lines)
{
    ck_assert_str_eq(error_of("a,b\n1,2\n\n3,4\n"), "3:1: blank line");
    ck_assert_str_eq(error_of("a,b\r\n1,2\r\n\r\n"), "3:1: blank line");
    ck_assert_str_eq(error_of("a,b\n1,2\n\n"), "3:1: blank line");
    ck_assert_str_eq(error_of("\na,b\n"), "1:1: blank line");
}
END_TEST

START_TEST(quote_errors)
{
    ck_assert_str_eq(error_of("a,b\n1,\"abc\n"), "2:3: unterminated quoted field");
    ck_assert_str_eq(error_of("a,b\n1,ab\"c\n"), "2:5: quote inside unquoted field");
    ck_assert_str_eq(error_of("a,b\n1,\"ab\"c\n"), "2:7: unexpected character 'c' after closing quote");
}
END_TEST

START_TEST(nul_byte)
{
    char *path = rp_xasprintf("%s/n.csv", tmpdir);
    FILE *fp = fopen(path, "wb");
    fwrite("a,b\n1,x\0y\n", 1, 10, fp);
    fclose(fp);
    rp_csv *c;
    rp_error err;
    ck_assert_int_eq(rp_csv_open(path, &c, &err), 0);
    ck_assert_int_lt(rp_csv_next(c, &err), 0);
    ck_assert_int_eq(err.line, 2);
    ck_assert_int_eq(err.col, 4);
    ck_assert_str_eq(err.msg, "NUL byte");
    rp_csv_close(c);
    free(path);
}
END_TEST

START_TEST(invalid_utf8)
{
    ck_assert_str_eq(error_of("a,b\nx,\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\n"), "");
    ck_assert_str_eq(error_of("a,b\nx,ab\xff\n"),
                     "2:3: column 'b': invalid UTF-8: unable to decode byte 0xff near 'ab'");
    ck_assert_str_eq(error_of("a,b\nx,\xc0\xaf\n"), /* overlong '/' */
                     "2:3: column 'b': invalid UTF-8: unable to decode byte 0xc0 near ''");
    ck_assert_str_eq(error_of("a,b\nx,\xed\xa0\x80\n"), /* surrogate U+D800 */
                     "2:3: column 'b': invalid UTF-8: unable to decode byte 0xed near ''");
    ck_assert_str_eq(error_of("a,b\nx,\xf4\x90\x80\x80\n"), /* U+110000 */
                     "2:3: column 'b': invalid UTF-8: unable to decode byte 0xf4 near ''");
    ck_assert_str_eq(error_of("a,b\nx,\"\xe2\x82\"\n"), /* truncated, quoted */
                     "2:3: column 'b': invalid UTF-8: unable to decode byte 0xe2 near ''");
    ck_assert_str_eq(error_of("a,\x80"
                              "b\n"),
                     "1:3: column name: invalid UTF-8: unable to decode byte 0x80 near ''");
}
END_TEST

START_TEST(columns_check)
{
    static const char *const req[] = {"id", "v", NULL};
    static const char *const opt[] = {"note", NULL};
    rp_error err;
    int idx[3];
    rp_csv *c = open_text("v,x_extra,id\n", &err);
    ck_assert_int_eq(rp_csv_columns(c, req, opt, idx, &err), 0);
    ck_assert_int_eq(idx[0], 2);
    ck_assert_int_eq(idx[1], 0);
    ck_assert_int_eq(idx[2], -1);
    rp_csv_close(c);
    c = open_text("id,v,colour\n", &err);
    ck_assert_int_eq(rp_csv_columns(c, req, opt, idx, &err), RP_EUNKNOWN);
    ck_assert_int_eq(err.col, 6);
    ck_assert_str_eq(err.msg, "unknown column 'colour'");
    rp_csv_close(c);
    c = open_text("id,note\n", &err);
    ck_assert_int_lt(rp_csv_columns(c, req, opt, idx, &err), 0);
    ck_assert_str_eq(err.msg, "missing column 'v'");
    rp_csv_close(c);
}
END_TEST

START_TEST(field_error_format)
{
    rp_error err;
    rp_csv *c = open_text("id,value\nx,abc\n", &err);
    ck_assert_int_eq(rp_csv_next(c, &err), 1);
    ck_assert_int_eq(rp_csv_field_error(c, 1, &err, RP_EINVALID, "bad '%s'", "abc"), RP_EINVALID);
    ck_assert_int_eq(err.line, 2);
    ck_assert_int_eq(err.col, 3);
    ck_assert_str_eq(err.msg, "column 'value': bad 'abc'");
    ck_assert_str_eq(err.file + strlen(err.file) - 5, "a.csv");
    rp_csv_close(c);
}
END_TEST

/* Many rows with quoted fields and CRLF straddle the 64 KiB blocks. */
START_TEST(many_rows_across_blocks)
{
    char *path = rp_xasprintf("%s/big.csv", tmpdir);
    FILE *fp = fopen(path, "w");
    fputs("id,text,n\n", fp);
    for (int k = 0; k < 20000; k++) {
        if (k % 7 == 0)
            fprintf(fp, "r%d,\"q,%d\r\nz\",%d\r\n", k, k, k);
        else
            fprintf(fp, "r%d,t%d,%d\n", k, k, k);
    }
    fclose(fp);
    rp_csv *c;
    rp_error err;
    ck_assert_int_eq(rp_csv_open(path, &c, &err), 0);
    long line = 2;
    for (int k = 0; k < 20000; k++) {
        ck_assert_int_eq(rp_csv_next(c, &err), 1);
        char want[64];
        snprintf(want, sizeof want, "r%d", k);
        ck_assert_str_eq(rp_csv_field(c, 0), want);
        ck_assert_int_eq(rp_csv_line(c), line);
        ck_assert_int_eq(rp_csv_col(c, 1), (long)strlen(want) + 2);
        if (k % 7 == 0) {
            snprintf(want, sizeof want, "q,%d\r\nz", k);
            ck_assert_str_eq(rp_csv_field(c, 1), want);
            line += 2;
        } else {
            line++;
        }
        ck_assert_int_eq(atoi(rp_csv_field(c, 2)), k);
    }
    ck_assert_int_eq(rp_csv_next(c, &err), 0);
    rp_csv_close(c);
    free(path);
}
END_TEST

START_TEST(missing_file)
{
    rp_csv *c = (rp_csv *)1;
    rp_error err;
    ck_assert_int_eq(rp_csv_open("/nonexistent/x.csv", &c, &err), RP_EIO);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(err.line, 0);
    ck_assert_str_eq(err.file, "/nonexistent/x.csv");
    rp_csv_close(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("csvin");
    TCase *tc = tcase_create("csvin");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fields_and_positions);
    tcase_add_test(tc, spaces_are_kept);
    tcase_add_test(tc, crlf_and_no_final_newline);
    tcase_add_test(tc, bom_is_skipped);
    tcase_add_test(tc, header_only_and_empty);
    tcase_add_test(tc, ragged_rows);
    tcase_add_test(tc, blank_lines);
    tcase_add_test(tc, quote_errors);
    tcase_add_test(tc, nul_byte);
    tcase_add_test(tc, invalid_utf8);
    tcase_add_test(tc, columns_check);
    tcase_add_test(tc, field_error_format);
    tcase_add_test(tc, many_rows_across_blocks);
    tcase_add_test(tc, missing_file);
    suite_add_tcase(s, tc);
    return rp_test_run(s);
}

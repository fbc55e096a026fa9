/* test_error.c - error codes, their names and texts, located messages and
 * excerpts of input values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "testutil.h"

static const int codes[] = {RP_EOK,      RP_ENOMEM,     RP_EIO,    RP_EPARSE, RP_EINVALID,
                            RP_EUNKNOWN, RP_EDUPLICATE, RP_EUSAGE, RP_ESTALE, RP_EINTERNAL};

START_TEST(every_code_has_its_own_name_and_text)
{
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t a = 0; a < n; a++) {
        ck_assert_str_ne(rp_err_name(codes[a]), "RP_E?");
        ck_assert_str_ne(rp_strerror(codes[a]), "unknown error");
        ck_assert_int_eq(strncmp(rp_err_name(codes[a]), "RP_E", 4), 0);
        for (size_t b = 0; b < a; b++) {
            ck_assert_str_ne(rp_err_name(codes[a]), rp_err_name(codes[b]));
            ck_assert_str_ne(rp_strerror(codes[a]), rp_strerror(codes[b]));
        }
    }
    ck_assert_str_eq(rp_err_name(RP_EPARSE), "RP_EPARSE");
    ck_assert_str_eq(rp_strerror(RP_EPARSE), "malformed input");
    ck_assert_str_eq(rp_err_name(RP_EOK), "RP_EOK");
    ck_assert_str_eq(rp_strerror(RP_EOK), "success");
    ck_assert_str_eq(rp_err_name(-100), "RP_E?");
    ck_assert_str_eq(rp_strerror(-100), "unknown error");
    ck_assert_str_eq(rp_err_name(1), "RP_E?");
}
END_TEST

START_TEST(set_fills_and_returns_the_code)
{
    ck_assert_int_eq(rp_error_set(NULL, RP_EIO, "f", 1, 2, "x"), RP_EIO);
    rp_error e;
    ck_assert_int_eq(rp_error_set(&e, RP_EINVALID, "fleet.json", 7, 12, "%s: got %d", "nodes", -3),
                     RP_EINVALID);
    ck_assert_int_eq(e.code, RP_EINVALID);
    ck_assert_int_eq(e.line, 7);
    ck_assert_int_eq(e.col, 12);
    ck_assert_str_eq(e.file, "fleet.json");
    ck_assert_str_eq(e.msg, "nodes: got -3");
    rp_error_set(&e, RP_EIO, NULL, 0, 0, "no file");
    ck_assert_str_eq(e.file, "");
}
END_TEST

/* Input quoted in a message cannot make it span lines or send escapes. */
START_TEST(set_turns_control_characters_into_question_marks)
{
    rp_error e;
    rp_error_set(&e, RP_EUNKNOWN, "i.csv", 1, 3, "unknown column '%s'", "a\nb\x1b[31m\x7f\tc");
    ck_assert_str_eq(e.msg, "unknown column 'a?b?[31m??c'");
}
END_TEST

/* A message longer than the buffer is cut, never overrun. */
START_TEST(set_cuts_a_long_message)
{
    rp_error e;
    char *big = malloc(4000);
    memset(big, 'x', 3999);
    big[3999] = '\0';
    rp_error_set(&e, RP_EINVALID, big, 1, 1, "%s", big);
    ck_assert_uint_eq(strlen(e.msg), sizeof e.msg - 1);
    ck_assert_uint_eq(strlen(e.file), sizeof e.file - 1);
    free(big);
}
END_TEST

static char *printed(const rp_error *e)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    rp_error_print(e, f);
    fclose(f);
    return buf;
}

START_TEST(print_names_file_line_and_column_when_known)
{
    rp_error e;
    rp_error_set(&e, RP_EPARSE, "instances.csv", 4, 9, "bad value");
    char *s = printed(&e);
    ck_assert_str_eq(s, "instances.csv:4:9: error: bad value\n");
    free(s);
    rp_error_set(&e, RP_EIO, "fleet.json", 0, 0, "cannot open");
    s = printed(&e);
    ck_assert_str_eq(s, "fleet.json: error: cannot open\n");
    free(s);
    rp_error_set(&e, RP_EUSAGE, NULL, 0, 0, "no fleet");
    s = printed(&e);
    ck_assert_str_eq(s, "error: no fleet\n");
    free(s);
}
END_TEST

START_TEST(excerpt_keeps_short_values_and_cuts_long_ones)
{
    char buf[72];
    ck_assert_str_eq(rp_error_excerpt("GP_Gen5_4", buf), "GP_Gen5_4");
    ck_assert_str_eq(rp_error_excerpt("", buf), "");
    ck_assert_str_eq(rp_error_excerpt("a\r\nb", buf), "a??b");
    char sixty[61], more[62];
    memset(sixty, 'v', 60);
    sixty[60] = '\0';
    ck_assert_str_eq(rp_error_excerpt(sixty, buf), sixty); /* 60 fit whole */
    memset(more, 'v', 61);
    more[61] = '\0';
    rp_error_excerpt(more, buf);
    ck_assert_uint_eq(strlen(buf), 63);
    ck_assert_str_eq(buf + 60, "...");
    ck_assert_int_eq(strncmp(buf, sixty, 60), 0);
    /* The cut falls on a character: 59 bytes and a two-byte é would leave
     * its first byte alone at the end, and the three-byte € the same. */
    char utf[80];
    memset(utf, 'p', 59);
    strcpy(utf + 59, "\xc3\xa9 and more");
    rp_error_excerpt(utf, buf);
    ck_assert_uint_eq(strlen(buf), 62);
    ck_assert_str_eq(buf + 59, "...");
    memset(utf, 'p', 58);
    strcpy(utf + 58, "\xe2\x82\xac and more");
    rp_error_excerpt(utf, buf);
    ck_assert_str_eq(buf + 58, "...");
    memset(utf, 'p', 57);
    strcpy(utf + 57, "\xe2\x82\xac and more");
    rp_error_excerpt(utf, buf);
    ck_assert_str_eq(buf + 57, "\xe2\x82\xac...");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("error");
    TCase *tc = tcase_create("error");
    tcase_add_test(tc, every_code_has_its_own_name_and_text);
    tcase_add_test(tc, set_fills_and_returns_the_code);
    tcase_add_test(tc, set_turns_control_characters_into_question_marks);
    tcase_add_test(tc, set_cuts_a_long_message);
    tcase_add_test(tc, print_names_file_line_and_column_when_known);
    tcase_add_test(tc, excerpt_keeps_short_values_and_cuts_long_ones);
    suite_add_tcase(s, tc);
    return rp_test_run(s);
}

/* test_timefmt.c - timestamps, dates, slots and maintenance windows. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "timefmt.h"

static int64_t T(const char *s)
{
    int64_t t = 0;
    ck_assert_msg(rp_time_parse(s, &t) == 0, "cannot parse %s", s);
    return t;
}

START_TEST(parse_timestamps)
{
    ck_assert_int_eq(T("1970-01-01T00:00:00Z"), 0);
    ck_assert_int_eq(T("2026-11-28T00:00:00Z"), 1795824000);
    ck_assert_int_eq(T("2000-02-29T12:34:56Z"), 951827696);
    ck_assert_int_eq(T("2026-11-28 00:00Z"), 1795824000);
    ck_assert_int_eq(T("2026-11-28T01:30:00+01:30"), 1795824000);
    ck_assert_int_eq(T("2026-11-27T22:00:00-02:00"), 1795824000);
    ck_assert_int_eq(T("2026-11-28T00:00:00.999Z"), 1795824000);
    ck_assert_int_eq(T("1969-12-31T23:59:59Z"), -1);
}
END_TEST

START_TEST(reject_bad_timestamps)
{
    static const char *const bad[] = {
        "",
        "2026-11-28",               /* no time */
        "2026-11-28T00:00:00",      /* no offset */
        "2026-13-01T00:00:00Z",     /* month */
        "2026-02-29T00:00:00Z",     /* not a leap year */
        "2026-04-31T00:00:00Z",     /* day of month */
        "2026-11-28T24:00:00Z",     /* hour */
        "2026-11-28T00:60:00Z",     /* minute */
        "2026-11-28T00:00:60Z",     /* second */
        "2026-11-28T00:00:00.Z",    /* empty fraction */
        "2026-11-28T00:00:00Zx",    /* trailing */
        " 2026-11-28T00:00:00Z",    /* leading blank */
        "26-11-28T00:00:00Z",       /* short year */
        "2026-11-28T00:00:00+0100", /* offset without colon */
        "2026/11/28T00:00:00Z",
    };
    int64_t t;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        ck_assert_msg(rp_time_parse(bad[k], &t) < 0, "accepted '%s'", bad[k]);
}
END_TEST

START_TEST(parse_dates)
{
    int64_t t;
    ck_assert_int_eq(rp_date_parse("2026-11-01", &t), 0);
    ck_assert_int_eq(t, T("2026-11-01T00:00:00Z"));
    ck_assert_int_eq(rp_date_parse("2026-11-01T13:14:15Z", &t), 0);
    ck_assert_int_eq(t, T("2026-11-01T00:00:00Z"));
    ck_assert_int_eq(rp_date_parse("1969-12-31T13:00:00Z", &t), 0);
    ck_assert_int_eq(t, -86400);
    ck_assert_int_lt(rp_date_parse("2026-11-1", &t), 0);
    ck_assert_int_lt(rp_date_parse("2026-11-01x", &t), 0);
    ck_assert_int_lt(rp_date_parse("yesterday", &t), 0);
}
END_TEST

START_TEST(format_roundtrip)
{
    char buf[32];
    rp_time_format(1795824000, buf);
    ck_assert_str_eq(buf, "2026-11-28T00:00:00Z");
    rp_time_format(951827696, buf);
    ck_assert_str_eq(buf, "2000-02-29T12:34:56Z");
    rp_time_format(-1, buf);
    ck_assert_str_eq(buf, "1969-12-31T23:59:59Z");
    for (int64_t t = -5000000000LL; t < 5000000000LL; t += 123456789) {
        rp_time_format(t, buf);
        ck_assert_int_eq(T(buf), t);
    }
}
END_TEST

START_TEST(slots)
{
    /* 2026-11-02 is a Monday. */
    ck_assert_int_eq(rp_time_slot(T("2026-11-02T00:00:00Z"), 168), 0);
    ck_assert_int_eq(rp_time_slot(T("2026-11-02T00:59:59Z"), 168), 0);
    ck_assert_int_eq(rp_time_slot(T("2026-11-02T01:00:00Z"), 168), 1);
    ck_assert_int_eq(rp_time_slot(T("2026-11-03T05:30:00Z"), 168), 29);
    ck_assert_int_eq(rp_time_slot(T("2026-11-08T23:59:59Z"), 168), 167);
    ck_assert_int_eq(rp_time_slot(T("2026-11-09T00:00:00Z"), 168), 0);
    ck_assert_int_eq(rp_time_slot(T("2026-11-03T05:30:00Z"), 24), 5);
    ck_assert_int_eq(rp_time_slot(T("2026-11-02T00:30:00+01:00"), 168), 167);
    ck_assert_int_eq(rp_time_slot(T("1970-01-01T00:00:00Z"), 168), 72); /* Thursday */
    ck_assert_int_eq(rp_time_slot(T("1969-12-29T00:00:00Z"), 168), 0);  /* Monday */
    ck_assert_int_eq(rp_time_slot(-1, 168), 71);
}
END_TEST

START_TEST(windows)
{
    rp_window w;
    ck_assert_int_eq(rp_window_parse("Sun 02:00-04:00", &w), 0);
    ck_assert_int_eq(w.start, 6 * 1440 + 120);
    ck_assert_int_eq(w.end, 6 * 1440 + 240);
    ck_assert_int_eq(rp_window_parse("mon 00:00-24:00", &w), 0);
    ck_assert_int_eq(w.start, 0);
    ck_assert_int_eq(w.end, 1440);
    ck_assert_int_eq(rp_window_parse("Tue 23:00-01:00", &w), 0);
    ck_assert_int_eq(w.start, 1440 + 23 * 60);
    ck_assert_int_eq(w.end, 2 * 1440 + 60);
    ck_assert_int_eq(rp_window_parse("Sun 23:00-01:00", &w), 0); /* wraps the week */
    ck_assert_int_eq(w.start, 6 * 1440 + 23 * 60);
    ck_assert_int_eq(w.end, 60);
    static const char *const bad[] = {"",          "Sun",           "Sun 02:00",
                                      "Sun 02:00-02:00", "Sunday 02:00-04:00", "Sun 2:00-4:00",
                                      "Sun 24:00-01:00", "Sun 02:00-24:01",   "Xyz 02:00-04:00",
                                      "Sun 02:00-04:00 ", "Sun  02:00-04:00"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        ck_assert_msg(rp_window_parse(bad[k], &w) < 0, "accepted '%s'", bad[k]);
}
END_TEST

START_TEST(window_next)
{
    rp_window w;
    int64_t a, b;
    ck_assert_int_eq(rp_window_parse("Sun 02:00-04:00", &w), 0);
    /* Saturday 2026-11-28 -> Sunday 2026-11-29 02:00-04:00. */
    rp_window_next(&w, T("2026-11-28T00:00:00Z"), &a, &b);
    ck_assert_int_eq(a, T("2026-11-29T02:00:00Z"));
    ck_assert_int_eq(b, T("2026-11-29T04:00:00Z"));
    /* Under way: cut to start now. */
    rp_window_next(&w, T("2026-11-29T03:00:00Z"), &a, &b);
    ck_assert_int_eq(a, T("2026-11-29T03:00:00Z"));
    ck_assert_int_eq(b, T("2026-11-29T04:00:00Z"));
    /* Just over: next week. */
    rp_window_next(&w, T("2026-11-29T04:00:00Z"), &a, &b);
    ck_assert_int_eq(a, T("2026-12-06T02:00:00Z"));
    /* A window wrapping past Sunday midnight, asked on Monday 00:30. */
    ck_assert_int_eq(rp_window_parse("Sun 23:00-01:00", &w), 0);
    rp_window_next(&w, T("2026-11-30T00:30:00Z"), &a, &b);
    ck_assert_int_eq(a, T("2026-11-30T00:30:00Z"));
    ck_assert_int_eq(b, T("2026-11-30T01:00:00Z"));
    /* Any time. */
    w.start = w.end = -1;
    rp_window_next(&w, 1000, &a, &b);
    ck_assert_int_eq(a, 1000);
    ck_assert_int_gt(b, a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("timefmt");
    TCase *tc = tcase_create("timefmt");
    tcase_add_test(tc, parse_timestamps);
    tcase_add_test(tc, reject_bad_timestamps);
    tcase_add_test(tc, parse_dates);
    tcase_add_test(tc, format_roundtrip);
    tcase_add_test(tc, slots);
    tcase_add_test(tc, windows);
    tcase_add_test(tc, window_next);
    suite_add_tcase(s, tc);
    return rp_test_run(s);
}

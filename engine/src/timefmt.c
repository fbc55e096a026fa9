/* timefmt.c - ISO-8601 parsing by hand (it runs once per load.csv row), civil
 * date arithmetic without timegm (days-from-civil, proleptic Gregorian). */
#include "timefmt.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DAY 86400
#define WEEK (7 * DAY)
#define WEEK_MIN (7 * 1440)

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Exactly n decimal digits at *s; advances *s. Returns the value or -1. */
static int digits(const char **s, int n)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        unsigned char ch = (unsigned char)(*s)[k];
        if (ch < '0' || ch > '9')
            return -1;
        v = v * 10 + (ch - '0');
    }
    *s += n;
    return v;
}

/* "YYYY-MM-DD" -> days since epoch; advances *s. */
static int parse_ymd(const char **s, int64_t *days)
{
    int y = digits(s, 4);
    if (y < 0 || **s != '-')
        return -1;
    (*s)++;
    int m = digits(s, 2);
    if (m < 1 || m > 12 || **s != '-')
        return -1;
    (*s)++;
    int d = digits(s, 2);
    if (d < 1 || d > days_in_month(y, m))
        return -1;
    *days = days_from_civil(y, m, d);
    return 0;
}

/* "HH:MM" -> minutes; advances *s. */
static int parse_hm(const char **s, int max_hour)
{
    int h = digits(s, 2);
    if (h < 0 || h > max_hour || **s != ':')
        return -1;
    (*s)++;
    int mi = digits(s, 2);
    if (mi < 0 || mi > 59 || (h == 24 && mi != 0))
        return -1;
    return h * 60 + mi;
}

/* "[:SS[.frac]]" -> seconds; advances *s. */
static int parse_seconds(const char **s)
{
    if (**s != ':')
        return 0;
    (*s)++;
    int sec = digits(s, 2);
    if (sec < 0 || sec > 59)
        return -1;
    if (**s == '.') {
        (*s)++;
        if (!isdigit((unsigned char)**s))
            return -1;
        while (isdigit((unsigned char)**s))
            (*s)++;
    }
    return sec;
}

/* "Z", "+HH:MM" or "-HH:MM" -> offset seconds east of UTC; advances *s. */
static int parse_offset(const char **s, int *off)
{
    char sign = **s;
    if (sign == 'Z') {
        (*s)++;
        *off = 0;
        return 0;
    }
    if (sign != '+' && sign != '-')
        return -1;
    (*s)++;
    int m = parse_hm(s, 23);
    if (m < 0)
        return -1;
    *off = (sign == '-' ? -m : m) * 60;
    return 0;
}

int rp_time_parse(const char *s, int64_t *out)
{
    int64_t days;
    int off;
    if (parse_ymd(&s, &days) < 0 || (*s != 'T' && *s != ' '))
        return -1;
    s++;
    int hm = parse_hm(&s, 23);
    if (hm < 0)
        return -1;
    int sec = parse_seconds(&s);
    if (sec < 0 || parse_offset(&s, &off) < 0 || *s)
        return -1;
    *out = days * DAY + hm * 60 + sec - off;
    return 0;
}

int rp_date_parse(const char *s, int64_t *out)
{
    const char *p = s;
    int64_t days;
    if (parse_ymd(&p, &days) == 0 && !*p) {
        *out = days * DAY;
        return 0;
    }
    int64_t t;
    if (rp_time_parse(s, &t) < 0)
        return -1;
    *out = floor_div(t, DAY) * DAY;
    return 0;
}

void rp_time_format(int64_t t, char *buf)
{
    int64_t days = floor_div(t, DAY), y;
    int64_t sod = t - days * DAY;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    char tmp[64];
    if (y < 0)
        y = 0;
    if (y > 9999)
        y = 9999;
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, m, d, (int)(sod / 3600),
             (int)(sod / 60 % 60), (int)(sod % 60));
    memcpy(buf, tmp, 20);
    buf[20] = '\0';
}

/* Seconds since the Monday 00:00 UTC that starts t's week (1970-01-01 was a
 * Thursday, 3 days after a Monday). */
static int64_t week_offset(int64_t t)
{
    return t - (floor_div(t + 3 * DAY, WEEK) * WEEK - 3 * DAY);
}

int rp_time_slot(int64_t t, int slots)
{
    int64_t hour_of_week = week_offset(t) / 3600;
    return (int)(hour_of_week % slots);
}

static int parse_day(const char **s)
{
    static const char *const names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    for (int d = 0; d < 7; d++)
        if (!strncasecmp(*s, names[d], 3)) {
            *s += 3;
            return d;
        }
    return -1;
}

int rp_window_parse(const char *s, rp_window *w)
{
    int day = parse_day(&s);
    if (day < 0 || *s++ != ' ')
        return -1;
    int a = parse_hm(&s, 23);
    if (a < 0 || *s++ != '-')
        return -1;
    int b = parse_hm(&s, 24);
    if (b < 0 || *s || a == b)
        return -1;
    int start = day * 1440 + a;
    int end = day * 1440 + b + (b < a ? 1440 : 0);
    w->start = start;
    w->end = end % WEEK_MIN;
    return 0;
}

void rp_window_next(const rp_window *w, int64_t t, int64_t *from, int64_t *to)
{
    if (w->start < 0) {
        *from = t;
        *to = t + WEEK;
        return;
    }
    int64_t week0 = t - week_offset(t);
    int64_t dur = ((int64_t)w->end - w->start + WEEK_MIN) % WEEK_MIN;
    if (dur == 0)
        dur = WEEK_MIN;
    for (int k = -1; k <= 1; k++) {
        int64_t a = week0 + (int64_t)k * WEEK + (int64_t)w->start * 60;
        int64_t b = a + dur * 60;
        if (b <= t)
            continue;
        *from = a > t ? a : t;
        *to = b;
        return;
    }
    *from = t; /* unreachable: the k = 1 occurrence always ends after t */
    *to = t + dur * 60;
}

/* profile.c - profiles.csv in and out, plan defaults, the nearest-rank
 * quantile. load.csv streaming lives in profile_load.c. */
#include "profile.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <sys/stat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvin.h"
#include "profile_internal.h"

/* ---- numbers ---------------------------------------------------------- */

static const double pow10_tab[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Plain "ddd[.ddd]" with at most 15 significant digits: the mantissa and the
 * power of ten are exact doubles, so one division is correctly rounded and
 * equals strtod. Returns 0, or -1 when the slow path must decide. */
static int fast_decimal(const char *s, double *out)
{
    uint64_t m = 0;
    int nd = 0, frac = 0;
    bool point = false;
    const char *p = s;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (m || *p != '0')
                nd++;
            m = m * 10 + (uint64_t)(*p - '0');
            frac += point;
        } else if (*p == '.' && !point) {
            point = true;
        } else {
            return -1;
        }
        if (nd > 15)
            return -1;
    }
    if (p == s || (point && p == s + 1) || frac > 22)
        return -1;
    *out = (double)m / pow10_tab[frac];
    return 0;
}

static int parse_value(const char *s, double *out)
{
    if (fast_decimal(s, out) == 0)
        return 0;
    if (rp_parse_double(s, out) < 0 || *out < 0)
        return -1;
    if (*out == 0)
        *out = 0; /* no negative zero */
    return 0;
}

bool rp_profile_fits(double x)
{
    return isfinite((float)x);
}

int rp__read_value(const rp_csv *c, size_t k, float *out, rp_error *err)
{
    char b[72];
    const char *s = rp_csv_field(c, k);
    double v;
    if (!s[0])
        return rp_csv_field_error(c, k, err, RP_EINVALID, "empty value");
    if (parse_value(s, &v) < 0)
        return rp_csv_field_error(c, k, err, RP_EINVALID,
                                  "want a finite decimal number >= 0, got '%s'",
                                  rp_error_excerpt(s, b));
    if (!rp_profile_fits(v))
        return rp_csv_field_error(c, k, err, RP_EINVALID,
                                  "want a finite decimal number >= 0 and <= %.9g (profiles are "
                                  "32-bit floats), got '%s'",
                                  (double)FLT_MAX, rp_error_excerpt(s, b));
    *out = (float)v;
    return 0;
}

/* ---- quantile ----------------------------------------------------------- */

size_t rp__quantile_rank(size_t n, double q)
{
    double x = q * (double)n;
    double r = nearbyint(x);
    double k = fabs(x - r) <= 1e-9 * (1.0 + x) ? r : ceil(x);
    if (k < 1)
        return 1;
    return k > (double)n ? n : (size_t)k;
}

static void insertion_sort(float *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        float x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

static void swapf(float *a, float *b)
{
    float t = *a;
    *a = *b;
    *b = t;
}

/* Quickselect (median-of-three pivot, Hoare partition): v[k] ends up the
 * value it would have in sorted order. */
static float select_kth(float *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (hi - lo > 16) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo])
            swapf(&v[mid], &v[lo]);
        if (v[hi] < v[lo])
            swapf(&v[hi], &v[lo]);
        if (v[hi] < v[mid])
            swapf(&v[hi], &v[mid]);
        float pivot = v[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                swapf(&v[i], &v[j]);
                i++;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    insertion_sort(v + lo, hi - lo + 1);
    return v[k];
}

float rp_quantile(float *v, size_t n, double q)
{
    return select_kth(v, n, rp__quantile_rank(n, q) - 1);
}

/* ---- defaults ----------------------------------------------------------- */

void rp_profiles_fill_defaults(rp_fleet *f)
{
    size_t S = (size_t)f->set.slots;
    for (size_t i = 0; i < f->ninst; i++) {
        const rp_plan_def *p = &f->plans[f->inst[i].plan];
        for (int m = 0; m < RP_NMETRICS; m++) {
            if (f->inst[i].has_profile[m])
                continue;
            float *row = f->prof + (i * RP_NMETRICS + (size_t)m) * S;
            for (size_t t = 0; t < S; t++)
                row[t] = (float)p->default_profile[m];
        }
    }
}

void rp__profiles_alloc(rp_fleet *f)
{
    if (!f->prof)
        f->prof = rp_xcalloc(f->ninst * RP_NMETRICS * (size_t)f->set.slots + 1, sizeof(float));
}

/* ---- profiles.csv in ------------------------------------------------------ */

typedef struct preader {
    rp_fleet *f;
    rp_csv *csv;
    int *idx;       /* instance_id, metric, v0..v{S-1} */
    long *first;    /* line of the row that set (instance, metric) */
} preader;

static char **slot_columns(int S)
{
    char **cols = rp_xcalloc((size_t)S + 3, sizeof *cols);
    cols[0] = rp_xstrdup("instance_id");
    cols[1] = rp_xstrdup("metric");
    for (int t = 0; t < S; t++)
        cols[t + 2] = rp_xasprintf("v%d", t);
    return cols;
}

static void free_columns(char **cols)
{
    for (size_t k = 0; cols[k]; k++)
        free(cols[k]);
    free(cols);
}

static int name_error(const rp_csv *c, size_t k, rp_error *err, const char *what)
{
    char b[72];
    return rp_csv_field_error(c, k, err, RP_EUNKNOWN, "unknown %s '%s'", what,
                              rp_error_excerpt(rp_csv_field(c, k), b));
}

static int read_profile_row(preader *r, rp_error *err)
{
    rp_fleet *f = r->f;
    size_t S = (size_t)f->set.slots;
    int i = rp_fleet_find_instance(f, rp_csv_field(r->csv, (size_t)r->idx[0]));
    if (i < 0)
        return name_error(r->csv, (size_t)r->idx[0], err, "instance");
    int m = rp_metric_index(rp_csv_field(r->csv, (size_t)r->idx[1]));
    if (m < 0)
        return name_error(r->csv, (size_t)r->idx[1], err, "metric");
    long *first = &r->first[(size_t)i * RP_NMETRICS + (size_t)m];
    if (*first) {
        char b[72];
        return rp_csv_field_error(r->csv, (size_t)r->idx[1], err, RP_EDUPLICATE,
                                  "duplicate profile for instance '%s' metric '%s' (first on "
                                  "line %ld)",
                                  rp_error_excerpt(f->inst[i].id, b), rp_metric_names[m], *first);
    }
    float *row = f->prof + ((size_t)i * RP_NMETRICS + (size_t)m) * S;
    for (size_t t = 0; t < S; t++) {
        int rc = rp__read_value(r->csv, (size_t)r->idx[t + 2], &row[t], err);
        if (rc < 0)
            return rc;
    }
    *first = rp_csv_line(r->csv);
    f->inst[i].has_profile[m] = true;
    return 0;
}

static int read_profile_rows(preader *r, rp_error *err)
{
    char **cols = slot_columns(r->f->set.slots);
    int rc = rp_csv_columns(r->csv, (const char *const *)cols, NULL, r->idx, err);
    free_columns(cols);
    while (rc == 0 && (rc = rp_csv_next(r->csv, err)) == 1)
        rc = read_profile_row(r, err);
    return rc;
}

int rp_profiles_read(rp_fleet *f, const char *path, rp_error *err)
{
    preader r = {f, NULL, NULL, NULL};
    int rc = rp_csv_open(path, &r.csv, err);
    if (rc < 0)
        return rc;
    rp__profiles_alloc(f);
    r.idx = rp_xcalloc((size_t)f->set.slots + 2, sizeof *r.idx);
    r.first = rp_xcalloc(f->ninst * RP_NMETRICS + 1, sizeof *r.first);
    rc = read_profile_rows(&r, err);
    free(r.idx);
    free(r.first);
    rp_csv_close(r.csv);
    if (rc < 0)
        return rc;
    rp_profiles_fill_defaults(f);
    return 0;
}

/* ---- profiles.csv out ----------------------------------------------------- */

/* A line of output being built (fputc per byte is slow on glibc). */
typedef struct linebuf {
    char *p;
    size_t len, cap;
} linebuf;

static void lb_put(linebuf *b, const char *s, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = rp_xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void lb_str(linebuf *b, const char *s)
{
    lb_put(b, s, strlen(s));
}

/* v as r/1000 with trailing zeros trimmed when that decimal reads back as
 * v for certain: it lies within 0.49 of the gap to v's neighbour on its side,
 * so no rounding tie can flip it.
 * Returns the length written to out, or 0 to take the slow path. */
static int fmt_milli(float v, char out[32])
{
    if (!(v >= 0 && v < 1e9f))
        return 0;
    double r = nearbyint((double)v * 1000.0), d = r / 1000.0;
    float nb = nextafterf(v, d < (double)v ? -INFINITY : INFINITY); /* neighbour towards d */
    if (fabs(d - (double)v) > 0.49 * fabs((double)nb - (double)v))
        return 0;
    unsigned long long ir = (unsigned long long)r, ip = ir / 1000;
    unsigned frac = (unsigned)(ir % 1000);
    char rev[24];
    int n = 0, k = 0;
    do {
        rev[k++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    while (k)
        out[n++] = rev[--k];
    if (frac) {
        out[n++] = '.';
        for (unsigned div = 100; frac; div /= 10) {
            out[n++] = (char)('0' + frac / div);
            frac %= div;
        }
    }
    return n;
}

/* Shortest of milli / %.6g / %.9g that reads back as the same float. */
static void put_value(linebuf *b, float v)
{
    char s[32];
    int n = fmt_milli(v, s);
    if (n > 0) {
        lb_put(b, s, (size_t)n);
        return;
    }
    snprintf(s, sizeof s, "%.6g", (double)v);
    if (strtof(s, NULL) != v)
        snprintf(s, sizeof s, "%.9g", (double)v);
    lb_str(b, s);
}

static void put_id(linebuf *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        lb_str(b, s);
        return;
    }
    lb_put(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"')
            lb_put(b, "\"", 1);
        lb_put(b, s, 1);
    }
    lb_put(b, "\"", 1);
}

static void write_rows(const rp_fleet *f, FILE *out)
{
    size_t S = (size_t)f->set.slots;
    linebuf b = {NULL, 0, 0};
    char num[32];
    lb_str(&b, "instance_id,metric");
    for (size_t t = 0; t < S; t++) {
        snprintf(num, sizeof num, ",v%zu", t);
        lb_str(&b, num);
    }
    lb_put(&b, "\n", 1);
    fwrite(b.p, 1, b.len, out);
    for (size_t i = 0; i < f->ninst; i++)
        for (int m = 0; m < RP_NMETRICS; m++) {
            const float *row = rp_fleet_profile(f, i, m);
            b.len = 0;
            put_id(&b, f->inst[i].id);
            lb_put(&b, ",", 1);
            lb_str(&b, rp_metric_names[m]);
            for (size_t t = 0; t < S; t++) {
                lb_put(&b, ",", 1);
                put_value(&b, row[t]);
            }
            lb_put(&b, "\n", 1);
            fwrite(b.p, 1, b.len, out);
        }
    free(b.p);
}

static int write_error(const char *path, rp_error *err)
{
    return rp_error_set(err, RP_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
}

/* Writes the rows into the open output (a duplicate of its descriptor, so
 * that rp_out_commit can still sync it). */
static bool write_out(const rp_fleet *f, int fd)
{
    int dup_fd = dup(fd);
    FILE *out = dup_fd < 0 ? NULL : fdopen(dup_fd, "w");
    if (!out) {
        if (dup_fd >= 0)
            close(dup_fd);
        return false;
    }
    char *buf = rp_xmalloc(1 << 16);
    setvbuf(out, buf, _IOFBF, 1 << 16);
    write_rows(f, out);
    bool ok = fflush(out) == 0 && !ferror(out);
    ok = fclose(out) == 0 && ok;
    free(buf);
    return ok;
}

int rp_profiles_write(const rp_fleet *f, const char *path, rp_error *err)
{
    if (!strcmp(path, "-")) {
        write_rows(f, stdout);
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : write_error("<stdout>", err);
    }
    rp_out o;
    if (rp_out_open(path, &o) < 0)
        return write_error(path, err);
    if (!write_out(f, o.fd)) {
        rp_out_abort(&o);
        return write_error(path, err);
    }
    return rp_out_commit(&o) < 0 ? write_error(path, err) : 0;
}

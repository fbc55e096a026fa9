/* profile_load.c - load.csv (long samples) into profiles, streaming.
 *
 * Pass 1 validates every row and counts samples per (instance, metric).
 * Instances are then cut into consecutive batches whose samples fit the
 * memory budget; each further pass re-reads the file and keeps only that
 * batch's samples, each instance's in its own range (offsets from the pass-1
 * counts) tagged with its (metric, slot) cell. Per instance, a counting sort
 * by cell groups the samples and a selection picks the nearest-rank quantile.
 * No row is ever kept; memory is the budget plus per-instance counters. */
#include <stdlib.h>
#include <string.h>

#include "csvin.h"
#include "profile_internal.h"
#include "timefmt.h"

#define DEFAULT_BUDGET ((size_t)16 * 1024 * 1024)

enum { L_ID, L_TS, L_METRIC, L_VALUE, L_N };
static const char *const load_columns[L_N + 1] = {"instance_id", "timestamp", "metric", "value",
                                                  NULL};

typedef struct loader {
    rp_fleet *f;
    const char *path;
    rp_csv *csv;
    int idx[L_N];
    int last_inst, last_metric; /* lookup caches: rows come grouped */
    size_t rows;
    uint32_t *count; /* samples per (instance, metric) */
    /* the current batch: instances [a, b) */
    size_t a, b;
    size_t batches; /* passes after the count */
    size_t *off;    /* b - a + 1 offsets into vals/cells */
    size_t *fill; /* write cursor per instance */
    float *vals;
    uint16_t *cells; /* metric * S + slot */
} loader;

/* One parsed row. */
typedef struct sample {
    int inst, metric, slot;
    float value;
} sample;

static size_t col(const loader *L, int c)
{
    return (size_t)L->idx[c];
}

static int bad_field(const loader *L, int c, rp_error *err, int code, const char *what)
{
    char b[72];
    return rp_csv_field_error(L->csv, col(L, c), err, code, "%s '%s'", what,
                              rp_error_excerpt(rp_csv_field(L->csv, col(L, c)), b));
}

static int find_inst(loader *L, rp_error *err)
{
    const char *id = rp_csv_field(L->csv, col(L, L_ID));
    if (L->last_inst >= 0 && !strcmp(id, L->f->inst[L->last_inst].id))
        return L->last_inst;
    int i = rp_fleet_find_instance(L->f, id);
    if (i < 0)
        return bad_field(L, L_ID, err, RP_EUNKNOWN, "unknown instance");
    L->last_inst = i;
    return i;
}

static int find_metric(loader *L, rp_error *err)
{
    const char *s = rp_csv_field(L->csv, col(L, L_METRIC));
    if (L->last_metric >= 0 && !strcmp(s, rp_metric_names[L->last_metric]))
        return L->last_metric;
    int m = rp_metric_index(s);
    if (m < 0)
        return bad_field(L, L_METRIC, err, RP_EUNKNOWN, "unknown metric");
    L->last_metric = m;
    return m;
}

/* Metric, slot and value of the current row (instance already known). */
static int parse_rest(loader *L, sample *s, rp_error *err)
{
    s->metric = find_metric(L, err);
    if (s->metric < 0)
        return s->metric;
    int64_t t;
    if (rp_time_parse(rp_csv_field(L->csv, col(L, L_TS)), &t) < 0)
        return bad_field(L, L_TS, err, RP_EINVALID,
                         "want an ISO-8601 timestamp with offset (2026-11-01T13:00:00Z), got");
    s->slot = rp_time_slot(t, L->f->set.slots);
    return rp__read_value(L->csv, col(L, L_VALUE), &s->value, err);
}

static int open_file(loader *L, rp_error *err)
{
    rp_csv_close(L->csv);
    L->csv = NULL;
    L->last_inst = L->last_metric = -1;
    int rc = rp_csv_open(L->path, &L->csv, err);
    if (rc == 0)
        rc = rp_csv_columns(L->csv, load_columns, NULL, L->idx, err);
    return rc;
}

static int count_pass(loader *L, rp_error *err)
{
    int rc = open_file(L, err);
    while (rc == 0 && (rc = rp_csv_next(L->csv, err)) == 1) {
        sample s;
        s.inst = find_inst(L, err);
        rc = s.inst < 0 ? s.inst : parse_rest(L, &s, err);
        if (rc < 0)
            break;
        uint32_t *n = &L->count[(size_t)s.inst * RP_NMETRICS + (size_t)s.metric];
        if (*n == UINT32_MAX)
            return rp_csv_field_error(L->csv, col(L, L_ID), err, RP_EINVALID,
                                      "too many samples for one instance and metric");
        (*n)++;
        L->rows++;
    }
    return rc;
}

static size_t inst_samples(const loader *L, size_t i)
{
    size_t n = 0;
    for (int m = 0; m < RP_NMETRICS; m++)
        n += L->count[i * RP_NMETRICS + (size_t)m];
    return n;
}

static int changed_error(const loader *L, rp_error *err)
{
    return rp_error_set(err, RP_EIO, L->path, rp_csv_line(L->csv), 1,
                        "file changed while it was being read");
}

/* Keeps the current row's sample when its instance is in [a, b). */
static int collect_row(loader *L, rp_error *err)
{
    sample s;
    s.inst = find_inst(L, err);
    if (s.inst < 0)
        return s.inst;
    if ((size_t)s.inst < L->a || (size_t)s.inst >= L->b)
        return 0;
    int rc = parse_rest(L, &s, err);
    if (rc < 0)
        return rc;
    size_t k = (size_t)s.inst - L->a, S = (size_t)L->f->set.slots;
    if (L->fill[k] == L->off[k + 1])
        return changed_error(L, err);
    L->vals[L->fill[k]] = s.value;
    L->cells[L->fill[k]++] = (uint16_t)((size_t)s.metric * S + (size_t)s.slot);
    return 0;
}

/* Re-reads the file keeping the samples of instances [a, b). */
static int collect_pass(loader *L, rp_error *err)
{
    int rc = open_file(L, err);
    if (rc < 0)
        return rc;
    while ((rc = rp_csv_next(L->csv, err)) == 1)
        if ((rc = collect_row(L, err)) < 0)
            return rc;
    for (size_t k = 0; rc == 0 && k < L->b - L->a; k++)
        if (L->fill[k] != L->off[k + 1])
            return changed_error(L, err);
    return rc;
}

/* Profiles of one instance from its samples v/cell[0..n); tmp and start are
 * scratch (n floats, cells + 1 offsets). */
static void build_instance(rp_fleet *f, size_t i, const uint32_t *count, const float *v,
                           const uint16_t *cell, size_t n, float *tmp, size_t *start)
{
    size_t S = (size_t)f->set.slots, ncell = RP_NMETRICS * S;
    memset(start, 0, (ncell + 1) * sizeof *start);
    for (size_t k = 0; k < n; k++)
        start[cell[k] + 1]++;
    for (size_t c = 0; c < ncell; c++)
        start[c + 1] += start[c];
    for (size_t k = 0; k < n; k++)
        tmp[start[cell[k]]++] = v[k];
    for (size_t c = ncell; c > 0; c--) /* cursors back to starts */
        start[c] = start[c - 1];
    start[0] = 0;
    for (int m = 0; m < RP_NMETRICS; m++) {
        if (!count[i * RP_NMETRICS + (size_t)m])
            continue;
        float *row = f->prof + (i * RP_NMETRICS + (size_t)m) * S, peak = 0;
        for (size_t t = 0; t < S; t++) {
            size_t c = (size_t)m * S + t, nc = start[c + 1] - start[c];
            row[t] = nc ? rp_quantile(tmp + start[c], nc, f->set.quantile) : -1.0f;
            if (row[t] > peak)
                peak = row[t];
        }
        for (size_t t = 0; t < S; t++) /* empty slot: max of the others */
            if (row[t] < 0)
                row[t] = peak;
        f->inst[i].has_profile[m] = true;
    }
}

static void build_batch(loader *L, float *tmp, size_t *start)
{
    for (size_t i = L->a; i < L->b; i++) {
        size_t k = i - L->a, n = L->off[k + 1] - L->off[k];
        if (n)
            build_instance(L->f, i, L->count, L->vals + L->off[k], L->cells + L->off[k], n, tmp,
                           start);
    }
}

/* The end of the batch starting at a: as many instances as fit budget
 * (at least one); *total gets their samples. */
static size_t batch_end(const loader *L, size_t a, size_t budget, size_t *total)
{
    size_t b = a;
    *total = 0;
    while (b < L->f->ninst) {
        size_t n = inst_samples(L, b);
        if (b > a && *total + n > budget)
            break;
        *total += n;
        b++;
    }
    return b;
}

static int run_batches(loader *L, size_t budget, rp_error *err)
{
    size_t ninst = L->f->ninst, maxn = 1, cap = 1, total;
    for (size_t a = 0; a < ninst;) {
        a = batch_end(L, a, budget, &total);
        if (total > cap)
            cap = total;
    }
    for (size_t i = 0; i < ninst; i++)
        if (inst_samples(L, i) > maxn)
            maxn = inst_samples(L, i);
    L->vals = rp_xmalloc(cap * sizeof *L->vals);
    L->cells = rp_xmalloc(cap * sizeof *L->cells);
    float *tmp = rp_xmalloc(maxn * sizeof *tmp);
    size_t *start = rp_xmalloc((RP_NMETRICS * (size_t)L->f->set.slots + 1) * sizeof *start);
    int rc = 0;
    for (size_t a = 0; rc == 0 && a < ninst; a = L->b) {
        L->a = a;
        L->b = batch_end(L, a, budget, &total);
        if (!total)
            continue;
        L->off = rp_xreallocarray(L->off, L->b - a + 1, sizeof *L->off);
        L->fill = rp_xreallocarray(L->fill, L->b - a + 1, sizeof *L->fill);
        L->off[0] = 0;
        for (size_t i = a; i < L->b; i++)
            L->off[i - a + 1] = L->off[i - a] + inst_samples(L, i);
        memcpy(L->fill, L->off, (L->b - a) * sizeof *L->fill);
        rc = collect_pass(L, err);
        L->batches++;
        if (rc == 0)
            build_batch(L, tmp, start);
    }
    free(tmp);
    free(start);
    return rc;
}

int rp_load_read(rp_fleet *f, const char *path, size_t mem_budget_samples, size_t *rows,
                 size_t *passes, rp_error *err)
{
    loader L;
    memset(&L, 0, sizeof L);
    L.f = f;
    L.path = path;
    rp__profiles_alloc(f);
    L.count = rp_xcalloc(f->ninst * RP_NMETRICS + 1, sizeof *L.count);
    int rc = count_pass(&L, err);
    if (rc == 0)
        rc = run_batches(&L, mem_budget_samples ? mem_budget_samples : DEFAULT_BUDGET, err);
    if (rc == 0) {
        rp_profiles_fill_defaults(f);
        if (rows)
            *rows = L.rows;
        if (passes)
            *passes = 1 + L.batches;
    }
    rp_csv_close(L.csv);
    free(L.count);
    free(L.off);
    free(L.fill);
    free(L.vals);
    free(L.cells);
    return rc;
}

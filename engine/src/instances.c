/* instances.c - instances.csv (SPEC §2) into rp_fleet->inst. */
#include "instances.h"

#include <stdlib.h>
#include <string.h>

#include "csvin.h"
#include "timefmt.h"

enum {
    C_ID,
    C_REGION,
    C_PLAN,
    C_REEF,
    C_DB,
    C_COMPUTE,
    C_STORAGE,
    C_PINNED,
    C_GROUP,
    C_LAST_MOVED,
    C_WINDOW,
    C_N
};

static const char *const columns[C_N + 1] = {
    "instance_id", "region", "plan",   "reef",       "db",     "compute",
    "storage",     "pinned", "group",  "last_moved", "window", NULL};

/* State of one read: the csv reader, column indexes and the group name of
 * each instance until groups are indexed. */
typedef struct reader {
    rp_fleet *f;
    rp_csv *csv;
    int idx[C_N];
    rp_vec inst;   /* rp_instance */
    rp_vec groups; /* char *, per instance (NULL for none) */
    rp_vec lines;  /* long, per instance */
    rp_vec cols;   /* long, column of the id per instance */
    rp_vec xidx;   /* size_t, the x_ columns' indexes in the file */
    rp_vec xval;   /* char *, per instance: its x_ values (rp_fleet.inst_x) */
} reader;

static const char *fld(const reader *r, int c)
{
    return rp_csv_field(r->csv, (size_t)r->idx[c]);
}

static int ferr(const reader *r, int c, rp_error *err, int code, const char *what)
{
    char b[72];
    return rp_csv_field_error(r->csv, (size_t)r->idx[c], err, code, "%s '%s'", what,
                              rp_error_excerpt(fld(r, c), b));
}

static int read_names(reader *r, rp_instance *in, rp_error *err)
{
    if (!fld(r, C_ID)[0])
        return rp_csv_field_error(r->csv, (size_t)r->idx[C_ID], err, RP_EINVALID,
                                  "empty instance id");
    /* Ids and group names go into plans, whose JSON reader (like the
     * fleet's) refuses control characters in names: refused here too. */
    if (rp_has_control(fld(r, C_ID)))
        return ferr(r, C_ID, err, RP_EINVALID, "control character in instance id");
    in->region = rp_fleet_find_region(r->f, fld(r, C_REGION));
    if (in->region < 0)
        return ferr(r, C_REGION, err, RP_EUNKNOWN, "unknown region");
    in->plan = rp_fleet_find_plan(r->f, fld(r, C_PLAN));
    if (in->plan < 0)
        return ferr(r, C_PLAN, err, RP_EUNKNOWN, "unknown plan");
    return 0;
}

static int read_tier(const reader *r, int c, uint8_t *out, rp_error *err)
{
    const char *v = fld(r, c);
    if (!strcmp(v, "shared"))
        *out = RP_SHARED;
    else if (!strcmp(v, "dedicated"))
        *out = RP_DEDICATED;
    else
        return ferr(r, c, err, RP_EINVALID, "want shared or dedicated, got");
    return 0;
}

static int read_placement(reader *r, rp_instance *in, rp_error *err)
{
    static const int cols[4] = {C_REEF, C_DB, C_COMPUTE, C_STORAGE};
    int empty = 0, first_empty = -1;
    for (int k = 0; k < 4; k++)
        if (!fld(r, cols[k])[0]) {
            empty++;
            if (first_empty < 0)
                first_empty = cols[k];
        }
    in->reef = -1;
    if (empty == 4)
        return 0;
    if (empty)
        return rp_csv_field_error(r->csv, (size_t)r->idx[first_empty], err, RP_EINVALID,
                                  "empty in a partial placement (reef, db, compute and "
                                  "storage must all be set or all be empty)");
    in->reef = rp_fleet_find_reef(r->f, fld(r, C_REEF));
    if (in->reef < 0)
        return ferr(r, C_REEF, err, RP_EUNKNOWN, "unknown reef");
    int reg = r->f->reefs[in->reef].region;
    if (reg != in->region) {
        char b[72];
        return rp_csv_field_error(r->csv, (size_t)r->idx[C_REEF], err, RP_EINVALID,
                                  "reef '%s' is in region '%s', not '%s'",
                                  rp_error_excerpt(fld(r, C_REEF), b), r->f->regions[reg].name,
                                  r->f->regions[in->region].name);
    }
    for (int t = 0; t < RP_NTIERS; t++) {
        int rc = read_tier(r, cols[t + 1], &in->tier[t], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int read_extras(reader *r, rp_instance *in, rp_error *err)
{
    const char *v = fld(r, C_PINNED);
    if (!strcmp(v, "true"))
        in->pinned = true;
    else if (!strcmp(v, "false"))
        in->pinned = false;
    else
        return ferr(r, C_PINNED, err, RP_EINVALID, "want true or false, got");
    v = fld(r, C_LAST_MOVED);
    in->last_moved = RP_NO_TIME;
    if (v[0] && rp_time_parse(v, &in->last_moved) < 0 && rp_date_parse(v, &in->last_moved) < 0)
        return ferr(r, C_LAST_MOVED, err, RP_EINVALID,
                    "want an ISO date (YYYY-MM-DD) or UTC timestamp, got");
    if (rp_has_control(fld(r, C_GROUP)))
        return ferr(r, C_GROUP, err, RP_EINVALID, "control character in group");
    v = fld(r, C_WINDOW);
    in->window.start = in->window.end = -1;
    if (v[0] && rp_window_parse(v, &in->window) < 0)
        return ferr(r, C_WINDOW, err, RP_EINVALID,
                    "want a weekly window like 'Sun 02:00-04:00', got");
    return 0;
}

/* The row's x_ values, each NUL-terminated, in one allocation. */
static char *x_values(const reader *r)
{
    const size_t *xi = r->xidx.data;
    size_t n = 0;
    for (size_t k = 0; k < r->xidx.len; k++)
        n += rp_csv_field_len(r->csv, xi[k]) + 1;
    char *v = rp_xmalloc(n), *at = v;
    for (size_t k = 0; k < r->xidx.len; k++) {
        size_t len = rp_csv_field_len(r->csv, xi[k]);
        memcpy(at, rp_csv_field(r->csv, xi[k]), len);
        at[len] = '\0';
        at += len + 1;
    }
    return v;
}

static int read_row(reader *r, rp_error *err)
{
    rp_instance in;
    memset(&in, 0, sizeof in);
    in.group = -1;
    int rc = read_names(r, &in, err);
    if (rc == 0)
        rc = read_placement(r, &in, err);
    if (rc == 0)
        rc = read_extras(r, &in, err);
    if (rc < 0)
        return rc;
    in.id = rp_xstrdup(fld(r, C_ID));
    RP_VEC_PUSH(&r->inst, rp_instance, in);
    const char *g = fld(r, C_GROUP);
    RP_VEC_PUSH(&r->groups, char *, g[0] ? rp_xstrdup(g) : NULL);
    RP_VEC_PUSH(&r->lines, long, rp_csv_field_line(r->csv, (size_t)r->idx[C_ID]));
    RP_VEC_PUSH(&r->cols, long, rp_csv_col(r->csv, (size_t)r->idx[C_ID]));
    if (r->xidx.len)
        RP_VEC_PUSH(&r->xval, char *, x_values(r));
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Distinct non-empty group names, sorted, into f->groups; inst.group set. */
static void index_groups(reader *r)
{
    rp_fleet *f = r->f;
    char **names = r->groups.data;
    size_t n = r->groups.len, k = 0;
    char **sorted = rp_xcalloc(n ? n : 1, sizeof *sorted);
    for (size_t i = 0; i < n; i++)
        if (names[i])
            sorted[k++] = names[i];
    qsort(sorted, k, sizeof *sorted, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || strcmp(sorted[u - 1], sorted[i]))
            sorted[u++] = sorted[i];
    f->groups = rp_xcalloc(u ? u : 1, sizeof *f->groups);
    for (size_t i = 0; i < u; i++)
        f->groups[i] = rp_xstrdup(sorted[i]);
    f->ngroups = u;
    free(sorted);
    rp_instance *inst = r->inst.data;
    for (size_t i = 0; i < n; i++)
        inst[i].group = names[i] ? (int)rp_str_index(f->groups, u, names[i]) : -1;
}

typedef struct id_row {
    const char *id;
    size_t row;
} id_row;

static int cmp_id_row(const void *a, const void *b)
{
    const id_row *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->row < y->row ? -1 : x->row > y->row);
}

/* The earliest row whose id appeared on an earlier row, or -1; *first gets
 * the row of that earlier appearance. */
static long find_duplicate(const rp_instance *inst, size_t n, long *first)
{
    id_row *ord = rp_xcalloc(n ? n : 1, sizeof *ord);
    for (size_t i = 0; i < n; i++)
        ord[i] = (id_row){inst[i].id, i};
    qsort(ord, n, sizeof *ord, cmp_id_row);
    long dup = -1;
    for (size_t k = 1; k < n; k++) {
        bool second = strcmp(ord[k - 1].id, ord[k].id) == 0 &&
                      (k == 1 || strcmp(ord[k - 2].id, ord[k - 1].id) != 0);
        if (second && (dup < 0 || (long)ord[k].row < dup)) {
            dup = (long)ord[k].row;
            *first = (long)ord[k - 1].row;
        }
    }
    free(ord);
    return dup;
}

/* The error for row dup, whose id first appeared on row first. */
static int duplicate_error(const reader *r, long dup, long first, const char *id, rp_error *err)
{
    const long *lines = r->lines.data, *cols = r->cols.data;
    char b[72];
    return rp_error_set(err, RP_EDUPLICATE, rp_csv_path(r->csv), lines[dup], cols[dup],
                        "column 'instance_id': duplicate instance id '%s' (first on line %ld)",
                        rp_error_excerpt(id, b), lines[first]);
}

static int check_duplicates(reader *r, rp_error *err)
{
    long first = -1;
    long dup = find_duplicate(r->inst.data, r->inst.len, &first);
    const rp_instance *inst = r->inst.data;
    return dup < 0 ? 0 : duplicate_error(r, dup, first, inst[dup].id, err);
}

static void reader_free(reader *r, bool keep_inst)
{
    char **g = r->groups.data;
    for (size_t i = 0; i < r->groups.len; i++)
        free(g[i]);
    rp_vec_free(&r->groups);
    rp_vec_free(&r->lines);
    rp_vec_free(&r->cols);
    rp_vec_free(&r->xidx);
    if (!keep_inst) {
        char **x = r->xval.data;
        for (size_t i = 0; i < r->xval.len; i++)
            free(x[i]);
        rp_vec_free(&r->xval);
        rp_instance *inst = r->inst.data;
        for (size_t i = 0; i < r->inst.len; i++)
            free(inst[i].id);
        rp_vec_free(&r->inst);
    }
    rp_csv_close(r->csv);
}

/* An error on a row: a duplicate id earlier in the file is the first
 * error, and is reported instead. The failing row's own id counts when its
 * column comes before the error's (a row has been read when read_row
 * fails, not when the CSV reader does). */
static int earlier_duplicate(reader *r, bool row_read, rp_error *err)
{
    if (!err)
        return 0;
    if (row_read) {
        rp_instance in = {.id = (char *)fld(r, C_ID)};
        RP_VEC_PUSH(&r->inst, rp_instance, in);
        RP_VEC_PUSH(&r->lines, long, rp_csv_field_line(r->csv, (size_t)r->idx[C_ID]));
        RP_VEC_PUSH(&r->cols, long, rp_csv_col(r->csv, (size_t)r->idx[C_ID]));
    }
    long first = -1;
    long dup = find_duplicate(r->inst.data, r->inst.len, &first);
    const long *lines = r->lines.data, *cols = r->cols.data;
    bool before =
        dup >= 0 && (lines[dup] < err->line || (lines[dup] == err->line && cols[dup] < err->col));
    if (row_read) { /* the row is not kept: its id is not the reader's */
        r->inst.len--;
        r->lines.len--;
        r->cols.len--;
    }
    if (!before)
        return 0;
    const rp_instance *inst = r->inst.data;
    return duplicate_error(r, dup, first, (size_t)dup < r->inst.len ? inst[dup].id : fld(r, C_ID),
                           err);
}

static int read_rows(reader *r, rp_error *err)
{
    int rc = rp_csv_columns(r->csv, columns, NULL, r->idx, err);
    if (rc < 0)
        return rc;
    for (size_t k = 0; k < rp_csv_ncols(r->csv); k++)
        if (!strncmp(rp_csv_colname(r->csv, k), "x_", 2))
            RP_VEC_PUSH(&r->xidx, size_t, k);
    while ((rc = rp_csv_next(r->csv, err)) == 1)
        if ((rc = read_row(r, err)) < 0) {
            int d = earlier_duplicate(r, true, err);
            return d < 0 ? d : rc;
        }
    if (rc < 0) {
        int d = earlier_duplicate(r, false, err);
        return d < 0 ? d : rc;
    }
    return check_duplicates(r, err);
}

int rp_instances_read(rp_fleet *f, const char *path, rp_error *err)
{
    reader r;
    memset(&r, 0, sizeof r);
    r.f = f;
    int rc = rp_csv_open(path, &r.csv, err);
    if (rc < 0)
        return rc;
    rc = read_rows(&r, err);
    if (rc < 0) {
        reader_free(&r, false);
        return rc;
    }
    index_groups(&r);
    f->inst = r.inst.len ? r.inst.data : rp_xcalloc(1, sizeof *f->inst);
    if (!r.inst.len)
        rp_vec_free(&r.inst);
    f->ninst = r.inst.len;
    if (r.xidx.len) {
        const size_t *xi = r.xidx.data;
        f->nx_cols = r.xidx.len;
        f->x_cols = rp_xcalloc(f->nx_cols, sizeof *f->x_cols);
        for (size_t k = 0; k < f->nx_cols; k++)
            f->x_cols[k] = rp_xstrdup(rp_csv_colname(r.csv, xi[k]));
        f->inst_x = r.xval.len ? r.xval.data : rp_xcalloc(1, sizeof *f->inst_x);
        if (!r.xval.len)
            rp_vec_free(&r.xval);
    }
    reader_free(&r, true);
    rp_fleet_index_instances(f);
    return 0;
}

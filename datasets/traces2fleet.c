/* traces2fleet.c - turns real CPU utilisation traces into reefplan fleets, so
 * that packing by hourly profile can be measured on real load shapes
 * (bench/traces.sh; datasets/README.md documents the commands).
 *
 *   traces2fleet --trace planetlab|azure-avg|azure-max|azure-periodic
 *                --in FILE_OR_DIR [--instances N] [--slots 24|168] [--seed S] -o OUTDIR
 *
 * Inputs (plain CSV or gzip-compressed CSV; a .gz file is inflated with zlib
 * into an unlinked temporary file and read with the strict CSV reader, so
 * errors still name FILE:LINE:COL, lines counting in the inflated text):
 * - planetlab: `date,vm,t000..t287`, one row per VM and day, t<i> the mean
 *   CPU utilisation (%) of the 5-minute interval i of that day. Rows with the
 *   same vm name on several days are one VM (one instance): sample i of day
 *   D falls in slot hour(i) (24 slots) or weekday(D)*24 + hour(i) (168).
 *   The time zone is undocumented: taken as UTC.
 * - azure-avg, azure-max, azure-periodic: the Azure V1 wide CSVs, `slot`
 *   then one column per VM (the column name is the VM). Row slot s covers
 *   minutes [5s, 5s+5) from the trace start, which is undocumented and taken
 *   to be a Monday 00:00 UTC: slot (s/12) mod 168 (or mod 24).
 *   With --in DIR the kind picks the file: microsoft_avg_100.csv.gz,
 *   microsoft_max_100.csv.gz or periodic_avg_78.csv.gz.
 * Utilisation values must be finite numbers in [0, 100].
 *
 * Per VM and slot the utilisation profile u(t) is the 0.95 quantile of the
 * slot's samples by nearest rank (SPEC §2, the same rank function as
 * `reefplan profile`); a slot with no sample takes the VM's highest slot.
 *
 * Each instance gets a plan and a size from the generator's plan mix
 * (starter/standard/professional/enterprise 40/35/18/7%, nominal peaks as in
 * engine/src/generate.c, a lognormal size multiplier with sigma 0.45 and a 3%
 * Pareto(1.5) tail, per-metric jitter and caps), P(m) being its peak of
 * metric m at 100% utilisation. Then, with FLOOR = 2% of P:
 *   db_compute(t), cpu_cores(t), share_iops(t) = max(FLOOR, P * u(t)/100)
 *   memory_gb(t) = P * (0.6 + 0.4 u(t)/100);  db_storage_gb, share_gb = P.
 * The fleet has one region (westus2), no reefs and every instance new and
 * unplaced, so `reefplan rebalance` packs from scratch with no move costs.
 * instances.csv carries x_trace_vm (the VM's name in the trace) and
 * x_cpu_peak (P of cpu_cores). --instances N < VMs takes a seeded sample of
 * N VMs; N > VMs repeats every VM N/VMs times (plus a seeded sample for the
 * remainder), each copy with its own plan and size. Same input and seed ->
 * identical files. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "csvin.h"
#include "fleetout.h"
#include "traces2fleet.h"

enum { EXIT_USAGE = 2, EXIT_FAIL = 1 };
const char *const t2f_kind_names[K_N] = {"planetlab", "azure-avg", "azure-max", "azure-periodic"};
static const char *const kind_files[K_N] = {"planetlab_all_days.csv.gz", "microsoft_avg_100.csv.gz",
                                            "microsoft_max_100.csv.gz", "periodic_avg_78.csv.gz"};

#define PL_SAMPLES 288 /* 5-minute samples per PlanetLab day */

/* ---- options ------------------------------------------------------------ */

/* X(flag, value name, help): parsing, --help and errors come from one table. */
#define T2F_OPTIONS(X)                                                                             \
    X("--trace", "KIND", "planetlab, azure-avg, azure-max or azure-periodic (required)")            \
    X("--in", "PATH", "trace CSV (.csv or .csv.gz) or the directory holding it (required)")        \
    X("--instances", "N", "instances, 1..1000000 (default: one per VM in the trace)")              \
    X("--slots", "24|168", "profile slots: hour of day or hour of week (default 168)")             \
    X("--seed", "S", "random seed for plans, sizes and sampling (default 1)")                      \
    X("-o", "DIR", "output fleet directory; must not exist or be empty (required)")

static void help(FILE *out)
{
    fprintf(out, "usage: traces2fleet --trace KIND --in PATH [options] -o DIR\n\noptions:\n");
#define T2F_HELP(flag, val, text) fprintf(out, "  %-12s %-7s %s\n", flag, val, text);
    T2F_OPTIONS(T2F_HELP)
#undef T2F_HELP
}

static int usage(const char *fmt, ...) RP_PRINTF(1, 2);
static int usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("traces2fleet: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see --help)\n", stderr);
    va_end(ap);
    return -1;
}

static bool known(const char *arg)
{
#define T2F_KNOWN(flag, val, text)                                                                 \
    if (!strcmp(arg, flag))                                                                        \
        return true;
    T2F_OPTIONS(T2F_KNOWN)
#undef T2F_KNOWN
    return false;
}

static int set_number(const char *opt, const char *val, long lo, long hi, long *out)
{
    if (rp_parse_long(val, lo, hi, out) < 0)
        return usage("%s: '%s' is not a whole number in %ld..%ld", opt, val, lo, hi);
    return 0;
}

static int set_option(t2f_opts *o, const char *opt, const char *val)
{
    long v;
    if (!strcmp(opt, "--trace")) {
        for (int k = 0; k < K_N; k++)
            if (!strcmp(val, t2f_kind_names[k]))
                return o->kind = k, 0;
        return usage("--trace: '%s' is not planetlab, azure-avg, azure-max or azure-periodic", val);
    }
    if (!strcmp(opt, "--instances"))
        return set_number(opt, val, 1, 1000000, &o->instances);
    if (!strcmp(opt, "--slots")) {
        if (rp_parse_long(val, 24, 168, &v) < 0 || (v != 24 && v != 168))
            return usage("--slots: '%s' is not 24 or 168", val);
        return o->slots = (int)v, 0;
    }
    if (!strcmp(opt, "--seed")) {
        if (set_number(opt, val, 0, 0x7fffffffffffffffL, &v) < 0)
            return -1;
        return o->seed = (uint64_t)v, 0;
    }
    *(!strcmp(opt, "--in") ? &o->in : &o->out) = val;
    return 0;
}

/* Returns 0 to run, 1 after --help, -1 on a usage error (message printed). */
static int parse_args(int argc, char **argv, t2f_opts *o)
{
    *o = (t2f_opts){.kind = -1, .slots = 168, .seed = 1};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 1;
        }
        if (!known(argv[i]))
            return usage("unknown argument '%s'", argv[i]);
        if (i + 1 >= argc)
            return usage("%s needs a value", argv[i]);
        if (set_option(o, argv[i], argv[i + 1]) < 0)
            return -1;
        i++;
    }
    if (o->kind < 0)
        return usage("--trace is required");
    if (!o->in)
        return usage("--in is required");
    if (!o->out)
        return usage("-o is required");
    return 0;
}

/* ---- the trace in memory ------------------------------------------------- */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void tab_grow(t2f_trace *t)
{
    size_t cap = t->tabcap ? t->tabcap * 2 : 1024;
    free(t->tab);
    t->tab = rp_xcalloc(cap, sizeof *t->tab);
    t->tabcap = cap;
    for (size_t i = 0; i < t->vms.len; i++) {
        size_t h = fnv1a(RP_VEC_AT(&t->vms, t2f_vm, i).name) & (cap - 1);
        while (t->tab[h])
            h = (h + 1) & (cap - 1);
        t->tab[h] = i + 1;
    }
}

/* The VM named name, created when new. */
static t2f_vm *vm_get(t2f_trace *t, const char *name)
{
    if (2 * (t->vms.len + 1) > t->tabcap)
        tab_grow(t);
    size_t h = fnv1a(name) & (t->tabcap - 1);
    for (; t->tab[h]; h = (h + 1) & (t->tabcap - 1)) {
        t2f_vm *v = &RP_VEC_AT(&t->vms, t2f_vm, t->tab[h] - 1);
        if (!strcmp(v->name, name))
            return v;
    }
    t2f_vm nv = {.name = rp_xstrdup(name)};
    t->tab[h] = t->vms.len + 1;
    return rp_vec_push(&t->vms, sizeof nv, &nv);
}

static void trace_free(t2f_trace *t)
{
    for (size_t i = 0; i < t->vms.len; i++) {
        t2f_vm *v = &RP_VEC_AT(&t->vms, t2f_vm, i);
        free(v->name);
        rp_vec_free(&v->samples);
        rp_vec_free(&v->dates);
    }
    rp_vec_free(&t->vms);
    free(t->tab);
}

static void add_sample(t2f_vm *v, int slot, double value)
{
    t2f_sample s = {(uint16_t)slot, (float)value};
    rp_vec_push(&v->samples, sizeof s, &s);
}

/* ---- reading ------------------------------------------------------------- */

static int is_gzip(const char *path, bool *gz, rp_error *err)
{
    unsigned char magic[2] = {0, 0};
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return rp_error_set(err, RP_EIO, path, 0, 0, "cannot open: %s", strerror(errno));
    size_t n = fread(magic, 1, 2, fp);
    fclose(fp);
    *gz = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    return 0;
}

static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Inflates path into a new temporary file whose name goes to *tmp. */
static int gunzip(const char *path, char **tmp, rp_error *err)
{
    const char *dir = getenv("TMPDIR");
    *tmp = rp_xasprintf("%s/traces2fleet.XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(*tmp), rc = 0;
    if (fd < 0)
        return rp_error_set(err, RP_EIO, *tmp, 0, 0, "cannot create: %s", strerror(errno));
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        rc = rp_error_set(err, RP_EIO, path, 0, 0, "cannot open: %s", strerror(errno));
    char *buf = rp_xmalloc(1 << 16);
    int n = 0;
    while (rc == 0 && (n = gzread(gz, buf, 1 << 16)) > 0)
        if (write_all(fd, buf, (size_t)n) < 0)
            rc = rp_error_set(err, RP_EIO, *tmp, 0, 0, "cannot write: %s", strerror(errno));
    if (rc == 0) { /* a truncated stream ends with n == 0 and Z_BUF_ERROR */
        int zerr = Z_OK;
        const char *msg = gzerror(gz, &zerr);
        if (n < 0 || zerr != Z_OK)
            rc = rp_error_set(err, RP_EPARSE, path, 0, 0, "bad gzip data: %s", msg);
    }
    if (gz)
        gzclose(gz);
    free(buf);
    if (close(fd) < 0 && rc == 0)
        rc = rp_error_set(err, RP_EIO, *tmp, 0, 0, "cannot write: %s", strerror(errno));
    return rc;
}

static int bad_util(rp_csv *c, size_t k, const char *s, const char *why, rp_error *err)
{
    char ex[72];
    return rp_csv_field_error(c, k, err, RP_EINVALID, "utilisation '%s' %s",
                              rp_error_excerpt(s, ex), why);
}

static int parse_util(rp_csv *c, size_t k, double *v, rp_error *err)
{
    const char *s = rp_csv_field(c, k);
    if (rp_parse_double(s, v) < 0)
        return bad_util(c, k, s, "is not a number", err);
    if (*v < 0 || *v > 100)
        return bad_util(c, k, s, "is outside 0..100", err);
    return 0;
}

static bool leap(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm). */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* A YYYYMMDD date -> *date (the number) and *weekday (0 = Monday). */
static int parse_date(rp_csv *c, size_t k, long *date, int *weekday, rp_error *err)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *s = rp_csv_field(c, k);
    long v, y, m, d;
    if (strlen(s) == 8 && rp_parse_long(s, 10000101, 99991231, &v) == 0) {
        y = v / 10000, m = v / 100 % 100, d = v % 100;
        if (m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1] + (m == 2 && leap(y))) {
            *date = v;
            *weekday = (int)(((days_from_civil(y, m, d) + 3) % 7 + 7) % 7); /* 1970-01-01: Thu */
            return 0;
        }
    }
    char ex[72];
    return rp_csv_field_error(c, k, err, RP_EINVALID, "'%s' is not a date YYYYMMDD",
                              rp_error_excerpt(s, ex));
}

static int planetlab_row(rp_csv *c, t2f_trace *t, const int *idx, rp_error *err)
{
    long date = 0;
    int wd = 0, rc = parse_date(c, (size_t)idx[0], &date, &wd, err);
    if (rc < 0)
        return rc;
    const char *name = rp_csv_field(c, (size_t)idx[1]);
    if (!*name)
        return rp_csv_field_error(c, (size_t)idx[1], err, RP_EINVALID, "empty VM name");
    t2f_vm *v = vm_get(t, name);
    for (size_t k = 0; k < v->dates.len; k++)
        if (RP_VEC_AT(&v->dates, long, k) == date)
            return rp_csv_field_error(c, (size_t)idx[1], err, RP_EDUPLICATE,
                                      "VM '%s' has a second row for %ld", name, date);
    RP_VEC_PUSH(&v->dates, long, date);
    for (int i = 0; i < PL_SAMPLES; i++) {
        double u;
        if ((rc = parse_util(c, (size_t)idx[2 + i], &u, err)) < 0)
            return rc;
        add_sample(v, t->slots == 168 ? wd * 24 + i / 12 : i / 12, u);
    }
    return 0;
}

static int read_planetlab(rp_csv *c, t2f_trace *t, rp_error *err)
{
    char names[PL_SAMPLES][16];
    const char *req[2 + PL_SAMPLES + 1] = {"date", "vm"};
    int idx[2 + PL_SAMPLES];
    for (int i = 0; i < PL_SAMPLES; i++) {
        snprintf(names[i], sizeof names[i], "t%03d", i);
        req[2 + i] = names[i];
    }
    req[2 + PL_SAMPLES] = NULL;
    const char *const none[] = {NULL};
    int rc = rp_csv_columns(c, req, none, idx, err);
    while (rc == 0 && (rc = rp_csv_next(c, err)) == 1)
        rc = planetlab_row(c, t, idx, err);
    return rc;
}

static int azure_row(rp_csv *c, t2f_trace *t, int sc, t2f_vm **col, rp_error *err)
{
    long s;
    const char *f = rp_csv_field(c, (size_t)sc);
    if (rp_parse_long(f, 0, 1000000000L, &s) < 0) {
        char ex[72];
        return rp_csv_field_error(c, (size_t)sc, err, RP_EINVALID,
                                  "'%s' is not a 5-minute slot index (a whole number >= 0)",
                                  rp_error_excerpt(f, ex));
    }
    int slot = (int)((s / 12) % t->slots);
    for (size_t k = 0; k < rp_csv_ncols(c); k++) {
        double u;
        if ((int)k == sc)
            continue;
        int rc = parse_util(c, k, &u, err);
        if (rc < 0)
            return rc;
        add_sample(col[k], slot, u);
    }
    return 0;
}

static int read_azure(rp_csv *c, t2f_trace *t, rp_error *err)
{
    int sc = rp_csv_find(c, "slot");
    if (sc < 0)
        return rp_error_set(err, RP_EPARSE, rp_csv_path(c), 1, 1, "missing column 'slot'");
    size_t ncols = rp_csv_ncols(c);
    if (ncols < 2)
        return rp_error_set(err, RP_EPARSE, rp_csv_path(c), 1, 1, "no VM columns after 'slot'");
    t2f_vm **col = rp_xcalloc(ncols, sizeof *col);
    for (size_t k = 0; k < ncols; k++)
        if ((int)k != sc)
            vm_get(t, rp_csv_colname(c, k)); /* names are distinct: the reader checks */
    for (size_t k = 0, j = 0; k < ncols; k++)
        if ((int)k != sc)
            col[k] = &RP_VEC_AT(&t->vms, t2f_vm, j++);
    int rc;
    while ((rc = rp_csv_next(c, err)) == 1 && (rc = azure_row(c, t, sc, col, err)) == 0)
        ;
    free(col);
    return rc;
}

/* Reads the trace file (inflating it first when it is gzip). */
static int read_trace(const t2f_opts *o, t2f_trace *t, rp_error *err)
{
    bool gz = false;
    char *tmp = NULL;
    rp_csv *c = NULL;
    int rc = is_gzip(t->path, &gz, err);
    if (rc == 0 && gz)
        rc = gunzip(t->path, &tmp, err);
    if (rc == 0)
        rc = rp_csv_open(tmp ? tmp : t->path, &c, err);
    if (tmp)
        unlink(tmp); /* the reader keeps it open */
    if (rc == 0)
        rc = o->kind == K_PLANETLAB ? read_planetlab(c, t, err) : read_azure(c, t, err);
    rp_csv_close(c);
    if (rc < 0 && tmp && err && !strcmp(err->file, tmp))
        snprintf(err->file, sizeof err->file, "%s", t->path);
    free(tmp);
    if (rc == 0 && t->vms.len == 0)
        rc = rp_error_set(err, RP_EINVALID, t->path, 0, 0, "no VM in the trace");
    return rc < 0 ? rc : 0;
}

/* ---- main ----------------------------------------------------------------- */

/* --in DIR -> DIR/<the kind's file>; a file is taken as it is. */
static char *input_path(const t2f_opts *o)
{
    struct stat st;
    if (stat(o->in, &st) == 0 && S_ISDIR(st.st_mode))
        return rp_xasprintf("%s/%s", o->in, kind_files[o->kind]);
    return rp_xstrdup(o->in);
}

/* Reads and writes. *writing tells a failure to write the fleet (exit 1)
 * from a usage or input error (exit 2). */
static int convert(const t2f_opts *o, bool *writing, rp_error *err)
{
    char *path = input_path(o);
    t2f_trace t = {.slots = o->slots, .path = path};
    size_t n = 0;
    /* An output that cannot be written is refused before the trace is read. */
    int rc = rp_outdir_check(o->out, err);
    if (rc == 0)
        rc = read_trace(o, &t, err);
    if (rc == 0) {
        *writing = true;
        rc = t2f_write_fleet(&t, o, &n, err);
    }
    if (rc == 0)
        fprintf(stderr, "traces2fleet: %zu instances from %zu VMs of %s (%s, %d slots) -> %s\n", n,
                t.vms.len, path, t2f_kind_names[o->kind], o->slots, o->out);
    trace_free(&t);
    free(path);
    return rc;
}

int main(int argc, char **argv)
{
    t2f_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? 0 : EXIT_USAGE;
    rp_error err = {0};
    bool writing = false;
    if ((rc = convert(&o, &writing, &err)) < 0) {
        rp_error_print(&err, stderr);
        return writing && rc == RP_EIO ? EXIT_FAIL : EXIT_USAGE;
    }
    return 0;
}

/* traces2fleet_fleet.c - traces2fleet's output side: per-VM quantile
 * profiles, instances with plans and sizes from the generator's plan mix, and
 * the fleet's files (see the contract in traces2fleet.c's opening comment). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "fleet.h"
#include "fleetout.h"
#include "generate.h"
#include "profile_internal.h"
#include "traces2fleet.h"

#define QUANTILE 0.95
#define FLOOR 0.02
#define REGION "westus2"
#define NOW "2026-11-28T00:00:00Z"

/* The generator's plan mix (engine/src/generate.c; its table is in the
 * internal gen_internal.h, so it is restated here): weight, move cost and
 * nominal peak per metric (db_compute in vCores). */
static const struct plan {
    const char *name;
    double weight, move_cost;
    double base[RP_NMETRICS];
} plans[4] = {
    {"starter", 0.40, 10.0, {0.10, 2, 0.25, 1.0, 10, 15}},
    {"standard", 0.35, 20.0, {0.25, 5, 0.5, 2.0, 25, 40}},
    {"professional", 0.18, 40.0, {0.5, 15, 1.0, 4.0, 60, 100}},
    {"enterprise", 0.07, 80.0, {1.0, 40, 2.0, 8.0, 150, 250}},
};
static const double headroom[RP_NMETRICS] = {0.30, 0.20, 0.20, 0.20, 0.10, 0.20};
static const double metric_cap[RP_NMETRICS] = {8, 100, 8, 32, 1000, 3000};
static const double metric_min[RP_NMETRICS] = {0.005, 0.5, 0.02, 0.1, 1, 1};
/* ---- profiles and instances ---------------------------------------------- */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* u[t] = nearest-rank 0.95 quantile of the VM's samples in slot t; empty
 * slots take the highest slot. */
static void vm_profile(const t2f_vm *v, int slots, double *u)
{
    size_t n = v->samples.len, *start = rp_xcalloc((size_t)slots + 1, sizeof *start);
    const t2f_sample *s = v->samples.data;
    float *vals = rp_xmalloc(sizeof *vals * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        start[s[i].slot + 1]++;
    for (int t = 0; t < slots; t++)
        start[t + 1] += start[t];
    size_t *fill = rp_xmalloc(sizeof *fill * (size_t)slots);
    memcpy(fill, start, sizeof *fill * (size_t)slots);
    for (size_t i = 0; i < n; i++)
        vals[fill[s[i].slot]++] = s[i].v;
    double top = 0;
    for (int t = 0; t < slots; t++) {
        size_t cnt = start[t + 1] - start[t];
        u[t] = -1;
        if (cnt == 0)
            continue;
        qsort(vals + start[t], cnt, sizeof *vals, cmp_float);
        u[t] = vals[start[t] + rp__quantile_rank(cnt, QUANTILE) - 1];
        top = fmax(top, u[t]);
    }
    for (int t = 0; t < slots; t++)
        if (u[t] < 0)
            u[t] = top;
    free(start);
    free(fill);
    free(vals);
}

typedef struct inst {
    size_t vm;
    int plan;
    double peak[RP_NMETRICS]; /* at 100% utilisation, rounded as written */
} inst;

static double round3(double v)
{
    char buf[32];
    double r;
    rp_gen_format(v, buf, &r);
    return r;
}

/* The generator's size multiplier: lognormal, 3% Pareto tail, [0.25, 10]. */
static double size_multiplier(rp_gen_rng *r)
{
    double mult = exp(0.45 * rp_gen_rng_normal(r));
    double tail = rp_gen_rng_uniform(r), u = rp_gen_rng_uniform(r);
    if (tail < 0.03)
        mult *= fmin(8.0, pow(1.0 - u, -1.0 / 1.5));
    return fmin(10.0, fmax(0.25, mult));
}

static void inst_size(inst *in, uint64_t seed, size_t k)
{
    rp_gen_rng r;
    rp_gen_rng_init(&r, seed, (uint64_t)k);
    double u = rp_gen_rng_uniform(&r), acc = 0;
    in->plan = 3;
    for (int p = 0; p < 4; p++) {
        acc += plans[p].weight;
        if (u < acc) {
            in->plan = p;
            break;
        }
    }
    double mult = size_multiplier(&r);
    for (int m = 0; m < RP_NMETRICS; m++) {
        bool storage = m == RP_M_DB_STORAGE || m == RP_M_SHARE_GB;
        double v = plans[in->plan].base[m] * mult * exp((storage ? 0.5 : 0.2) * rp_gen_rng_normal(&r));
        in->peak[m] = round3(fmin(metric_cap[m], fmax(metric_min[m], v)));
    }
}

/* How many instances each VM gives: all once by default; else N/VMs each
 * plus a seeded sample of N mod VMs distinct VMs. Returns the total. */
static size_t select_vms(size_t nvms, long want, uint64_t seed, size_t *copies)
{
    if (want <= 0) {
        for (size_t i = 0; i < nvms; i++)
            copies[i] = 1;
        return nvms;
    }
    size_t each = (size_t)want / nvms, rem = (size_t)want % nvms;
    size_t *perm = rp_xmalloc(sizeof *perm * nvms);
    for (size_t i = 0; i < nvms; i++)
        perm[i] = i, copies[i] = each;
    rp_gen_rng r;
    rp_gen_rng_init(&r, seed, UINT64_MAX);
    for (size_t i = 0; i < rem; i++) { /* partial Fisher-Yates */
        size_t j = i + (size_t)(rp_gen_rng_uniform(&r) * (double)(nvms - i));
        size_t x = perm[i];
        perm[i] = perm[j];
        perm[j] = x;
        copies[perm[i]]++;
    }
    free(perm);
    return (size_t)want;
}

static inst *make_instances(const t2f_trace *t, const t2f_opts *o, size_t *n)
{
    size_t nvms = t->vms.len, *copies = rp_xmalloc(sizeof *copies * nvms);
    *n = select_vms(nvms, o->instances, o->seed, copies);
    inst *in = rp_xcalloc(*n, sizeof *in);
    size_t k = 0;
    for (size_t v = 0; v < nvms; v++)
        for (size_t c = 0; c < copies[v]; c++, k++) {
            in[k].vm = v;
            inst_size(&in[k], o->seed, k);
        }
    free(copies);
    return in;
}

/* Metric m at utilisation u (percent) for an instance of peaks p. */
static double metric_at(const double *p, int m, double u)
{
    switch (m) {
    case RP_M_DB_COMPUTE:
    case RP_M_CPU:
    case RP_M_SHARE_IOPS:
        return fmax(FLOOR * p[m], p[m] * u / 100.0);
    case RP_M_MEMORY:
        return p[m] * (0.6 + 0.4 * u / 100.0);
    default:
        return p[m];
    }
}

/* ---- writing ------------------------------------------------------------- */

typedef struct out {
    const t2f_trace *t;
    const t2f_opts *o;
    const inst *in;
    size_t n;
    const char *tmpl;
} out;

static FILE *open_out(const char *dir, const char *name, char **path, rp_error *err)
{
    *path = rp_xasprintf("%s/%s", dir, name);
    FILE *fp = fopen(*path, "w");
    if (!fp)
        rp_error_set(err, RP_EIO, *path, 0, 0, "cannot create: %s", strerror(errno));
    return fp;
}

/* Flushes, syncs and closes fp; frees path. */
static int close_out(FILE *fp, char *path, int rc, rp_error *err)
{
    if (fp) {
        if (rc == 0 && (fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) < 0))
            rc = rp_error_set(err, RP_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
        if (fclose(fp) != 0 && rc == 0)
            rc = rp_error_set(err, RP_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
    }
    free(path);
    return rc;
}

static json_t *fleet_json(const out *w)
{
    json_t *s = json_object(), *h = json_object(), *pl = json_array();
    json_object_set_new(s, "slots", json_integer(w->o->slots));
    json_object_set_new(s, "quantile", json_real(QUANTILE));
    for (int m = 0; m < RP_NMETRICS; m++)
        json_object_set_new(h, rp_metric_names[m], json_real(headroom[m]));
    json_object_set_new(s, "headroom", h);
    json_object_set_new(s, "max_instances_per_reef", json_integer(300));
    json_object_set_new(s, "move_budget", json_null());
    json_object_set_new(s, "move_cooldown_days", json_integer(14));
    json_object_set_new(s, "tier_change_cost", json_real(5.0));
    json_object_set_new(s, "now", json_string(NOW));
    for (int p = 0; p < 4; p++) {
        json_t *d = json_object();
        for (int m = 0; m < RP_NMETRICS; m++)
            json_object_set_new(d, rp_metric_names[m], json_real(plans[p].base[m]));
        json_array_append_new(pl, json_pack("{s:s, s:f, s:o}", "name", plans[p].name,
                                            "move_cost", plans[p].move_cost, "default_profile", d));
    }
    long max_reefs = (long)w->n / 50 + 4; /* never binding: a reef holds <= 300 */
    return json_pack("{s:i, s:s, s:o, s:o, s:[{s:s, s:s, s:I}], s:[]}", "version", 1, "catalog",
                     "azure-vcore", "settings", s, "plans", pl, "regions", "name", REGION,
                     "template", w->tmpl, "max_reefs", (json_int_t)max_reefs, "reefs");
}

static int write_fleet(const out *w, const char *dir, rp_error *err)
{
    char *path;
    FILE *fp = open_out(dir, "fleet.json", &path, err);
    if (!fp)
        return close_out(NULL, path, RP_EIO, err);
    json_t *root = fleet_json(w);
    int rc = 0;
    if (json_dumpf(root, fp, JSON_INDENT(2) | JSON_REAL_PRECISION(6)) < 0 || fputc('\n', fp) == EOF)
        rc = rp_error_set(err, RP_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
    json_decref(root);
    return close_out(fp, path, rc, err);
}

/* A CSV field, quoted when it holds a comma, quote or line break. */
static void put_field(FILE *fp, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

/* "i-" and k+1 zero-padded to the width of n (at least 5 digits). */
static void inst_id(size_t k, size_t n, char *buf, size_t len)
{
    char num[24], wid[24];
    int nd = snprintf(num, sizeof num, "%zu", k + 1);
    int w = snprintf(wid, sizeof wid, "%zu", n);
    int pad = (w < 5 ? 5 : w) - nd;
    snprintf(buf, len, "i-%.*s%s", pad > 0 ? pad : 0, "00000000000000000000", num);
}

static int write_instances(const out *w, const char *dir, rp_error *err)
{
    char *path, id[48], num[32];
    FILE *fp = open_out(dir, "instances.csv", &path, err);
    if (!fp)
        return close_out(NULL, path, RP_EIO, err);
    fputs("instance_id,region,plan,reef,db,compute,storage,pinned,group,last_moved,window,"
          "x_trace_vm,x_cpu_peak\n",
          fp);
    for (size_t k = 0; k < w->n; k++) {
        inst_id(k, w->n, id, sizeof id);
        fprintf(fp, "%s,%s,%s,,,,,false,,,,", id, REGION, plans[w->in[k].plan].name);
        put_field(fp, RP_VEC_AT(&w->t->vms, t2f_vm, w->in[k].vm).name);
        rp_gen_format(w->in[k].peak[RP_M_CPU], num, NULL);
        fprintf(fp, ",%s\n", num);
    }
    return close_out(fp, path, 0, err);
}

static void profile_rows(FILE *fp, const char *id, const inst *in, const double *u, int slots)
{
    char num[32];
    for (int m = 0; m < RP_NMETRICS; m++) {
        fprintf(fp, "%s,%s", id, rp_metric_names[m]);
        for (int t = 0; t < slots; t++) {
            rp_gen_format(metric_at(in->peak, m, u[t]), num, NULL);
            fputc(',', fp);
            fputs(num, fp);
        }
        fputc('\n', fp);
    }
}

static int write_profiles(const out *w, const char *dir, rp_error *err)
{
    char *path, id[48];
    FILE *fp = open_out(dir, "profiles.csv", &path, err);
    if (!fp)
        return close_out(NULL, path, RP_EIO, err);
    int slots = w->o->slots;
    setvbuf(fp, NULL, _IOFBF, 1 << 20);
    fputs("instance_id,metric", fp);
    for (int t = 0; t < slots; t++)
        fprintf(fp, ",v%d", t);
    fputc('\n', fp);
    double *u = rp_xmalloc(sizeof *u * (size_t)slots);
    size_t cur = SIZE_MAX;
    for (size_t k = 0; k < w->n; k++) {
        if (w->in[k].vm != cur) /* copies of a VM are consecutive */
            vm_profile(&RP_VEC_AT(&w->t->vms, t2f_vm, cur = w->in[k].vm), slots, u);
        inst_id(k, w->n, id, sizeof id);
        profile_rows(fp, id, &w->in[k], u, slots);
    }
    free(u);
    return close_out(fp, path, 0, err);
}

/* Writes the fleet into a temporary sibling of dir and renames it into place. */
static int write_outputs(const out *w, const char *dir, rp_error *err)
{
    char *tmp;
    int rc = rp_outdir_stage(dir, &tmp, err);
    if (rc < 0)
        return rc;
    if ((rc = write_fleet(w, tmp, err)) == 0 && (rc = write_instances(w, tmp, err)) == 0)
        rc = write_profiles(w, tmp, err);
    if (rc == 0)
        return rp_outdir_commit(tmp, dir, err);
    rp_outdir_discard(tmp);
    return rc;
}

int t2f_write_fleet(const t2f_trace *t, const t2f_opts *o, size_t *n, rp_error *err)
{
    char *cpath = rp_catalog_resolve("azure-vcore", ".");
    rp_catalog *cat = NULL;
    int rc = rp_catalog_load(cpath, &cat, err);
    free(cpath);
    if (rc < 0)
        return rc;
    int tm = rp_catalog_template(cat, "standard");
    out w = {.t = t, .o = o, .tmpl = cat->templates[tm < 0 ? 0 : tm].name};
    w.in = make_instances(t, o, &w.n);
    rc = write_outputs(&w, o->out, err);
    *n = w.n;
    free((void *)w.in);
    rp_catalog_free(cat);
    return rc;
}

/* gen_write.c - the generator's files: profiles.csv and load.csv (streamed
 * instance by instance with buffered stdio), fleet.json (jansson) and
 * instances.csv. Files go into the generator's temporary directory; the
 * directory rename in generate.c makes the fleet appear whole. Every field
 * written is an identifier, a number or a window of our own making, so none
 * needs CSV quoting. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen_internal.h"

static const char *const day_names[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

static int digits(size_t n)
{
    int d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

void rp__gen_inst_id(const rp__gen *g, size_t i, char *buf, size_t len)
{
    int w = digits(g->n) > 5 ? digits(g->n) : 5;
    snprintf(buf, len, "i-%0*zu", w > 12 ? 12 : w, i + 1);
}

void rp__gen_reef_name(const rp__gen *g, size_t r, char *buf, size_t len)
{
    int w = digits(g->nreefs) > 2 ? digits(g->nreefs) : 2;
    snprintf(buf, len, "%s-%0*d", rp__gen_regions[g->reefs[r].region].prefix, w > 12 ? 12 : w,
             g->reefs[r].seq);
}

static FILE *open_out(const char *dir, const char *name, char **path, rp_error *err)
{
    *path = rp_xasprintf("%s/%s", dir, name);
    FILE *fp = fopen(*path, "w");
    if (!fp)
        rp_error_set(err, RP_EIO, *path, 0, 0, "cannot create: %s", strerror(errno));
    else
        setvbuf(fp, NULL, _IOFBF, 1 << 20);
    return fp;
}

/* Flushes, syncs and closes fp; frees path. */
static int close_out(FILE *fp, char *path, rp_error *err)
{
    int rc = 0;
    if (!fp) {
        free(path);
        return 0;
    }
    if (fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) < 0)
        rc = rp_error_set(err, RP_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
    if (fclose(fp) != 0 && rc == 0)
        rc = rp_error_set(err, RP_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
    free(path);
    return rc;
}

/* ---- profiles.csv and load.csv ---- */

static void write_profile_rows(const rp__gen *g, FILE *fp, const char *id, const float *prof,
                               char *row)
{
    for (int m = 0; m < RP_NMETRICS; m++) {
        char *p = row + sprintf(row, "%s,%s", id, rp_metric_names[m]);
        for (int t = 0; t < g->slots; t++) {
            *p++ = ',';
            p += rp_gen_format(prof[m * g->slots + t], p, NULL);
        }
        *p++ = '\n';
        fwrite(row, 1, (size_t)(p - row), fp);
    }
}

static void accumulate(rp__gen *g, size_t i, const float *prof)
{
    const rp__gen_inst *in = &g->inst[i];
    for (int m = 0; m < RP_NMETRICS; m++) {
        if (rp__gen_dedicated(in, m))
            continue;
        double *s = g->slot_sum + ((size_t)in->reef * RP_NMETRICS + (size_t)m) * (size_t)g->slots;
        for (int t = 0; t < g->slots; t++)
            s[t] += prof[m * g->slots + t];
    }
}

/* "YYYY-MM-DDTHH:00:00Z" of every sample hour. */
static char (*sample_times(const rp__gen *g))[24]
{
    char(*ts)[24] = rp_xmalloc(sizeof(*ts) * RP__GEN_NSAMPLES);
    int64_t day0 = g->now_day - 7 * RP__GEN_WEEKS;
    for (int k = 0; k < RP__GEN_NSAMPLES; k++) {
        int y, mo, d;
        rp__gen_civil_from_days(day0 + k / 24, &y, &mo, &d);
        snprintf(ts[k], sizeof ts[k], "%04d-%02d-%02dT%02d:00:00Z", y, mo, d, k % 24);
    }
    return ts;
}

static void write_samples(const rp__gen *g, FILE *fp, size_t i, const char *id, char (*ts)[24],
                          double *smp)
{
    for (int m = 0; m < RP_NMETRICS; m++)
        rp__gen_samples(g, i, m, smp + (size_t)m * RP__GEN_NSAMPLES);
    char line[128];
    size_t idlen = strlen(id);
    memcpy(line, id, idlen);
    line[idlen] = ',';
    for (int k = 0; k < RP__GEN_NSAMPLES; k++)
        for (int m = 0; m < RP_NMETRICS; m++) {
            char *p = line + idlen + 1;
            p = stpcpy(p, ts[k]);
            *p++ = ',';
            p = stpcpy(p, rp_metric_names[m]);
            *p++ = ',';
            p += rp_gen_format(smp[(size_t)m * RP__GEN_NSAMPLES + (size_t)k], p, NULL);
            *p++ = '\n';
            fwrite(line, 1, (size_t)(p - line), fp);
        }
}

static bool any_sampled(const rp__gen *g)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->inst[i].flags & RP__GI_SAMPLED)
            return true;
    return false;
}

static void write_data_rows(rp__gen *g, FILE *pf, FILE *lf)
{
    float *prof = rp_xmalloc(sizeof(float) * RP_NMETRICS * (size_t)g->slots);
    char *row = rp_xmalloc((size_t)g->slots * 24 + 128);
    double *smp = rp_xmalloc(sizeof(double) * RP_NMETRICS * RP__GEN_NSAMPLES);
    char(*ts)[24] = sample_times(g);
    fputs("instance_id,metric", pf);
    for (int t = 0; t < g->slots; t++)
        fprintf(pf, ",v%d", t);
    fputc('\n', pf);
    if (lf)
        fputs("instance_id,timestamp,metric,value\n", lf);
    char id[32];
    for (size_t i = 0; i < g->n; i++) {
        if (g->inst[i].flags & RP__GI_UNPLACED)
            continue;
        rp__gen_inst_id(g, i, id, sizeof id);
        rp__gen_profile(g, i, prof);
        write_profile_rows(g, pf, id, prof, row);
        accumulate(g, i, prof);
        if (lf && (g->inst[i].flags & RP__GI_SAMPLED))
            write_samples(g, lf, i, id, ts, smp);
    }
    free(prof);
    free(row);
    free(smp);
    free(ts);
}

int rp__gen_write_data(rp__gen *g, const char *dir, rp_error *err)
{
    char *ppath = NULL, *lpath = NULL;
    FILE *pf = open_out(dir, "profiles.csv", &ppath, err), *lf = NULL;
    if (!pf) {
        free(ppath);
        return RP_EIO;
    }
    if (any_sampled(g) && !(lf = open_out(dir, "load.csv", &lpath, err))) {
        close_out(pf, ppath, NULL);
        free(lpath);
        return RP_EIO;
    }
    write_data_rows(g, pf, lf);
    int rc = close_out(pf, ppath, err);
    int rc2 = close_out(lf, lpath, rc < 0 ? NULL : err);
    return rc < 0 ? rc : rc2;
}

/* ---- fleet.json ---- */

static json_t *num(double v)
{
    double r;
    char buf[32];
    rp_gen_format(v, buf, &r);
    return json_real(r);
}

static json_t *settings_json(const rp__gen *g)
{
    json_t *s = json_object(), *h = json_object();
    json_object_set_new(s, "slots", json_integer(g->slots));
    json_object_set_new(s, "quantile", json_real(RP__GEN_QUANTILE));
    for (int m = 0; m < RP_NMETRICS; m++)
        json_object_set_new(h, rp_metric_names[m], json_real(rp__gen_headroom[m]));
    json_object_set_new(s, "headroom", h);
    json_object_set_new(s, "max_instances_per_reef", json_integer(RP__GEN_MAX_PER_REEF));
    json_object_set_new(s, "move_budget", json_integer(g->move_budget));
    json_object_set_new(s, "move_cooldown_days", json_integer(RP__GEN_COOLDOWN_DAYS));
    json_object_set_new(s, "tier_change_cost", json_real(5.0));
    char now[32];
    snprintf(now, sizeof now, "%04d-%02d-%02dT00:00:00Z", RP__GEN_NOW_Y, RP__GEN_NOW_M,
             RP__GEN_NOW_D);
    json_object_set_new(s, "now", json_string(now));
    return s;
}

static json_t *plans_json(const rp__gen *g)
{
    json_t *a = json_array();
    for (size_t k = 0; k < RP_ARRAY_LEN(rp__gen_plans); k++) {
        const rp__gen_plan *p = &rp__gen_plans[k];
        json_t *o = json_object(), *d = json_object();
        json_object_set_new(o, "name", json_string(p->name));
        json_object_set_new(o, "move_cost", json_real(p->move_cost));
        for (int m = 0; m < RP_NMETRICS; m++)
            json_object_set_new(d, rp_metric_names[m],
                                num(p->base[m] * (m == RP_M_DB_COMPUTE ? g->unit : 1.0)));
        json_object_set_new(o, "default_profile", d);
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *regions_json(const rp__gen *g)
{
    json_t *a = json_array();
    for (int reg = 0; reg < g->o->regions; reg++) {
        int n = 0;
        for (size_t k = 0; k < g->nreefs; k++)
            n += g->reefs[k].region == reg;
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(rp__gen_regions[reg].name));
        json_object_set_new(o, "template", json_string(g->cat->templates[g->tmpl].name));
        json_object_set_new(o, "max_reefs", json_integer(n + (n / 2 > 2 ? n / 2 : 2)));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *reefs_json(const rp__gen *g)
{
    json_t *a = json_array();
    char name[32];
    for (size_t k = 0; k < g->nreefs; k++) {
        const rp__gen_reef *rf = &g->reefs[k];
        json_t *o = json_object();
        rp__gen_reef_name(g, k, name, sizeof name);
        json_object_set_new(o, "name", json_string(name));
        json_object_set_new(o, "region", json_string(rp__gen_regions[rf->region].name));
        json_object_set_new(o, "template", json_string(g->cat->templates[g->tmpl].name));
        json_object_set_new(o, "state", json_string(rp_reef_state_names[rf->state]));
        json_object_set_new(o, "pool_sku", json_string(g->cat->pools[rf->pool].sku));
        json_object_set_new(o, "nodes", json_integer(rf->nodes));
        json_array_append_new(a, o);
    }
    return a;
}

int rp__gen_write_fleet(const rp__gen *g, const char *dir, rp_error *err)
{
    json_t *root = json_object();
    json_object_set_new(root, "version", json_integer(1));
    json_object_set_new(root, "catalog", json_string(g->catalog_ref));
    json_object_set_new(root, "settings", settings_json(g));
    json_object_set_new(root, "plans", plans_json(g));
    json_object_set_new(root, "regions", regions_json(g));
    json_object_set_new(root, "reefs", reefs_json(g));
    char *path = NULL;
    FILE *fp = open_out(dir, "fleet.json", &path, err);
    if (!fp) {
        free(path);
        json_decref(root);
        return RP_EIO;
    }
    size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10);
    bool bad = json_dumpf(root, fp, flags) < 0 || fputc('\n', fp) == EOF;
    json_decref(root);
    if (bad) {
        fclose(fp);
        int rc = rp_error_set(err, RP_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
        free(path);
        return rc;
    }
    return close_out(fp, path, err);
}

/* ---- instances.csv ---- */

static void write_instance(const rp__gen *g, FILE *fp, size_t i)
{
    static const char *const tier[2] = {"shared", "dedicated"};
    const rp__gen_inst *in = &g->inst[i];
    char id[32], reef[32] = "", moved[16] = "", group[16] = "", win[24] = "";
    rp__gen_inst_id(g, i, id, sizeof id);
    if (in->reef >= 0)
        rp__gen_reef_name(g, (size_t)in->reef, reef, sizeof reef);
    if (in->group >= 0)
        snprintf(group, sizeof group, "ha-%05d", in->group + 1);
    if (in->moved_days_ago >= 0) {
        int y, m, d;
        rp__gen_civil_from_days(g->now_day - in->moved_days_ago, &y, &m, &d);
        snprintf(moved, sizeof moved, "%04d-%02d-%02d", y, m, d);
    }
    if (in->win_len)
        snprintf(win, sizeof win, "%s %02d:00-%02d:00", day_names[in->win_day], in->win_hour,
                 (in->win_hour + in->win_len) % 24);
    fprintf(fp, "%s,%s,%s,%s,", id, rp__gen_regions[in->region].name, rp__gen_plans[in->plan].name,
            reef);
    if (in->reef >= 0)
        fprintf(fp, "%s,%s,%s,", tier[!!(in->flags & RP__GI_DED_DB)],
                tier[!!(in->flags & RP__GI_DED_COMPUTE)], tier[!!(in->flags & RP__GI_DED_STORAGE)]);
    else
        fputs(",,,", fp);
    fprintf(fp, "%s,%s,%s,%s\n", (in->flags & RP__GI_PINNED) ? "true" : "false", group, moved, win);
}

int rp__gen_write_instances(const rp__gen *g, const char *dir, rp_error *err)
{
    char *path = NULL;
    FILE *fp = open_out(dir, "instances.csv", &path, err);
    if (!fp) {
        free(path);
        return RP_EIO;
    }
    fputs("instance_id,region,plan,reef,db,compute,storage,pinned,group,last_moved,window\n", fp);
    for (size_t i = 0; i < g->n; i++)
        write_instance(g, fp, i);
    return close_out(fp, path, err);
}

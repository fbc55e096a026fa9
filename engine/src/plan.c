/* plan.c - the plan object, its fleet fingerprint and its JSON output.
 * Reading a plan is in plan_read.c. */
#include "plan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "timefmt.h"

const char *const rp_action_names[RP_NACT] = {
    "create_reef", "resize_pool", "scale_nodes", "set_tier", "migrate", "place", "delete_reef"};

rp_plan *rp_plan_new(void)
{
    rp_plan *p = rp_xcalloc(1, sizeof *p);
    p->kind = rp_xstrdup("rebalance");
    return p;
}

static void free_notes(rp_plan_note *n, size_t count)
{
    for (size_t k = 0; k < count; k++)
        free(n[k].reason);
    free(n);
}

void rp_plan_free(rp_plan *p)
{
    if (!p)
        return;
    free(p->kind);
    for (size_t r = 0; r < p->nreefs; r++)
        free(p->reefs[r].name);
    free(p->reefs);
    free(p->place);
    free_notes(p->unplaced, p->nunplaced);
    free_notes(p->deferred, p->ndeferred);
    for (size_t a = 0; a < p->nact; a++)
        free(p->act[a].depends_on);
    free(p->act);
    free(p->settings_json);
    free(p);
}

/* ---- fingerprint ---- */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Feeds "<base name>\n<length>\n<bytes>" of one file into the digest. */
static int hash_file(EVP_MD_CTX *md, const char *path, rp_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return rp_error_set(err, RP_EIO, path, 0, 0, "cannot read: %s", strerror(errno));
    long len = -1;
    if (fseek(fp, 0, SEEK_END) == 0)
        len = ftell(fp);
    if (len < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return rp_error_set(err, RP_EIO, path, 0, 0, "cannot read: %s", strerror(errno));
    }
    char head[600];
    int n = snprintf(head, sizeof head, "%s\n%ld\n", base_name(path), len);
    EVP_DigestUpdate(md, head, (size_t)n);
    char buf[65536];
    size_t got, total = 0;
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0) {
        EVP_DigestUpdate(md, buf, got);
        total += got;
    }
    int bad = ferror(fp) || total != (size_t)len;
    fclose(fp);
    if (bad)
        return rp_error_set(err, RP_EIO, path, 0, 0, "read error or file changed while read");
    return 0;
}

int rp_fleet_fingerprint(const rp_fleet *f, char out[80], rp_error *err)
{
    char *paths[4];
    paths[0] = rp_xasprintf("%s/fleet.json", f->dir);
    paths[1] = rp_xstrdup(f->catalog_path);
    paths[2] = rp_xasprintf("%s/instances.csv", f->dir);
    paths[3] = rp_fleet_profiles_path(f->dir, NULL);
    if (!paths[3]) /* hash_file names the file that is not there */
        paths[3] = rp_xasprintf("%s/profiles.csv", f->dir);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int rc = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1
                 ? 0
                 : rp_error_set(err, RP_EINTERNAL, "", 0, 0, "sha256 unavailable");
    for (int k = 0; k < 4 && rc == 0; k++)
        rc = hash_file(md, paths[k], err);
    unsigned char dig[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (rc == 0 && EVP_DigestFinal_ex(md, dig, &dlen) != 1)
        rc = rp_error_set(err, RP_EINTERNAL, "", 0, 0, "sha256 failed");
    if (rc == 0) {
        strcpy(out, "sha256:");
        for (unsigned int k = 0; k < dlen && k < 32; k++)
            snprintf(out + 7 + 2 * k, 3, "%02x", dig[k]);
    }
    EVP_MD_CTX_free(md);
    for (int k = 0; k < 4; k++)
        free(paths[k]);
    return rc;
}

/* ---- JSON output ---- */

static json_t *money(double x)
{
    return json_real(round(x * 100.0) / 100.0);
}

static const char *tier_word(int t)
{
    return t == RP_DEDICATED ? "dedicated" : "shared";
}

static json_t *summary_json(const rp_plan_summary *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "cost_before", money(s->cost_before));
    json_object_set_new(o, "cost_after", money(s->cost_after));
    json_object_set_new(o, "objective", money(s->objective));
    json_object_set_new(o, "lower_bound", money(s->lower_bound));
    json_object_set_new(o, "moves", json_integer(s->moves));
    json_object_set_new(o, "tier_changes", json_integer(s->tier_changes));
    json_object_set_new(o, "reefs_opened", json_integer(s->reefs_opened));
    json_object_set_new(o, "reefs_deleted", json_integer(s->reefs_deleted));
    json_object_set_new(o, "unplaced", json_integer(s->unplaced));
    json_object_set_new(o, "solve_seconds", json_real(round(s->solve_seconds * 1000.0) / 1000.0));
    return o;
}

/* Raw capacity of a reef per metric, for peak_utilization. */
static void reef_capacity(const rp_fleet *f, const rp_plan_reef *r, double cap[RP_NMETRICS])
{
    const rp_catalog *c = f->cat;
    const rp_template *t = &c->templates[r->template_idx];
    const rp_pool_sku *ps = &c->pools[r->pool];
    const rp_vm_sku *vm = &c->vms[t->node_vm];
    const rp_storage_sku *st = &c->storage[t->storage];
    cap[RP_M_DB_COMPUTE] = ps->db_compute;
    cap[RP_M_DB_STORAGE] = ps->max_storage_gb;
    cap[RP_M_CPU] = r->nodes * vm->alloc_cpu;
    cap[RP_M_MEMORY] = r->nodes * vm->alloc_memory_gb;
    cap[RP_M_SHARE_GB] = st->max_gb;
    cap[RP_M_SHARE_IOPS] = st->max_iops;
}

/* Which tier carries metric m. */
static int metric_tier(int m)
{
    return m <= RP_M_DB_STORAGE ? RP_TIER_DB : m <= RP_M_MEMORY ? RP_TIER_COMPUTE : RP_TIER_STORAGE;
}

/* Peak utilization of reef r per metric, computed from the placements. */
static void reef_peaks(const rp_plan *p, const rp_fleet *f, size_t r, double util[RP_NMETRICS],
                       int *count)
{
    int S = f->set.slots;
    double *sum = rp_xcalloc((size_t)RP_NMETRICS * (size_t)S, sizeof *sum);
    *count = 0;
    for (size_t k = 0; k < p->nplace; k++) {
        const rp_placement *pl = &p->place[k];
        if (pl->reef != (int)r)
            continue;
        ++*count;
        for (int m = 0; m < RP_NMETRICS; m++) {
            if (pl->tier[metric_tier(m)] != RP_SHARED)
                continue;
            const float *v = rp_fleet_profile(f, (size_t)pl->inst, m);
            for (int t = 0; t < S; t++)
                sum[m * S + t] += v[t];
        }
    }
    double cap[RP_NMETRICS];
    reef_capacity(f, &p->reefs[r], cap);
    for (int m = 0; m < RP_NMETRICS; m++) {
        double pk = 0;
        for (int t = 0; t < S; t++)
            pk = fmax(pk, sum[m * S + t]);
        util[m] = cap[m] > 0 ? pk / cap[m] : 0;
    }
    free(sum);
}

static json_t *reef_json(const rp_plan *p, const rp_fleet *f, size_t r)
{
    const rp_plan_reef *pr = &p->reefs[r];
    const rp_catalog *c = f->cat;
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(pr->name));
    json_object_set_new(o, "region", json_string(f->regions[pr->region].name));
    json_object_set_new(o, "template", json_string(c->templates[pr->template_idx].name));
    if (pr->fleet_reef >= 0)
        json_object_set_new(o, "state",
                            json_string(rp_reef_state_names[f->reefs[pr->fleet_reef].state]));
    json_object_set_new(o, "pool_sku", json_string(c->pools[pr->pool].sku));
    json_object_set_new(o, "nodes", json_integer(pr->nodes));
    double util[RP_NMETRICS];
    int count;
    reef_peaks(p, f, r, util, &count);
    json_object_set_new(o, "instances", json_integer(count));
    json_t *pu = json_object();
    for (int m = 0; m < RP_NMETRICS; m++)
        json_object_set_new(pu, rp_metric_names[m], json_real(round(util[m] * 1e4) / 1e4));
    json_object_set_new(o, "peak_utilization", pu);
    if (pr->created)
        json_object_set_new(o, "created", json_true());
    if (pr->deleted)
        json_object_set_new(o, "deleted", json_true());
    return o;
}

/* Tiers and dedicated sizes, as in placements, migrate and place. */
static void tiers_json(json_t *o, const rp_fleet *f, const uint8_t tier[RP_NTIERS], const rp_ded *d)
{
    for (int t = 0; t < RP_NTIERS; t++)
        json_object_set_new(o, rp_tier_names[t], json_string(tier_word(tier[t])));
    if (tier[RP_TIER_DB] == RP_DEDICATED)
        json_object_set_new(o, "db_sku", json_string(f->cat->dbs[d->db_sku].sku));
    if (tier[RP_TIER_COMPUTE] == RP_DEDICATED)
        json_object_set_new(o, "compute_nodes", json_integer(d->nodes));
    if (tier[RP_TIER_STORAGE] == RP_DEDICATED)
        json_object_set_new(o, "storage_gb", json_integer(d->share_gb));
}

static json_t *placement_json(const rp_plan *p, const rp_fleet *f, const rp_placement *pl)
{
    json_t *o = json_object();
    json_object_set_new(o, "instance_id", json_string(f->inst[pl->inst].id));
    json_object_set_new(o, "reef", json_string(p->reefs[pl->reef].name));
    tiers_json(o, f, pl->tier, &pl->ded);
    return o;
}

static json_t *notes_json(const rp_fleet *f, const rp_plan_note *n, size_t count)
{
    json_t *a = json_array();
    for (size_t k = 0; k < count; k++) {
        json_t *o = json_object();
        json_object_set_new(o, "instance_id", json_string(f->inst[n[k].inst].id));
        json_object_set_new(o, "reason", json_string(n[k].reason ? n[k].reason : ""));
        json_array_append_new(a, o);
    }
    return a;
}

static void set_time(json_t *o, const char *key, int64_t t)
{
    if (t == RP_NO_TIME)
        return;
    char buf[40];
    rp_time_format(t, buf);
    json_object_set_new(o, key, json_string(buf));
}

static void set_size(json_t *o, const rp_fleet *f, const rp_action *a)
{
    if (a->to != RP_DEDICATED)
        return;
    if (a->resource == RP_TIER_DB)
        json_object_set_new(o, "size", json_string(f->cat->dbs[a->ded.db_sku].sku));
    else if (a->resource == RP_TIER_COMPUTE)
        json_object_set_new(o, "size", json_integer(a->ded.nodes));
    else
        json_object_set_new(o, "size", json_integer(a->ded.share_gb));
}

/* The type-specific fields of one action. */
static void action_fields(json_t *o, const rp_plan *p, const rp_fleet *f, const rp_action *a)
{
    const rp_catalog *c = f->cat;
    const char *reef = a->reef >= 0 ? p->reefs[a->reef].name : "";
    switch (a->type) {
    case RP_ACT_CREATE_REEF:
        json_object_set_new(o, "reef", json_string(reef));
        json_object_set_new(o, "region", json_string(f->regions[p->reefs[a->reef].region].name));
        json_object_set_new(o, "template",
                            json_string(c->templates[p->reefs[a->reef].template_idx].name));
        json_object_set_new(o, "pool_sku", json_string(c->pools[a->pool].sku));
        json_object_set_new(o, "nodes", json_integer(a->nodes));
        break;
    case RP_ACT_RESIZE_POOL:
        json_object_set_new(o, "reef", json_string(reef));
        json_object_set_new(o, "from", json_string(c->pools[a->from].sku));
        json_object_set_new(o, "to", json_string(c->pools[a->to].sku));
        break;
    case RP_ACT_SCALE_NODES:
        json_object_set_new(o, "reef", json_string(reef));
        json_object_set_new(o, "from", json_integer(a->from));
        json_object_set_new(o, "to", json_integer(a->to));
        break;
    case RP_ACT_SET_TIER:
        json_object_set_new(o, "instance_id", json_string(f->inst[a->inst].id));
        json_object_set_new(o, "reef", json_string(reef));
        json_object_set_new(o, "resource", json_string(rp_tier_names[a->resource]));
        json_object_set_new(o, "from", json_string(tier_word(a->from)));
        json_object_set_new(o, "to", json_string(tier_word(a->to)));
        set_size(o, f, a);
        break;
    case RP_ACT_MIGRATE:
        json_object_set_new(o, "instance_id", json_string(f->inst[a->inst].id));
        json_object_set_new(o, "from_reef", json_string(p->reefs[a->from_reef].name));
        json_object_set_new(o, "to_reef", json_string(reef));
        tiers_json(o, f, a->tier, &a->ded);
        set_time(o, "not_before", a->not_before);
        set_time(o, "not_after", a->not_after);
        break;
    case RP_ACT_PLACE:
        json_object_set_new(o, "instance_id", json_string(f->inst[a->inst].id));
        json_object_set_new(o, "reef", json_string(reef));
        tiers_json(o, f, a->tier, &a->ded);
        break;
    default: /* RP_ACT_DELETE_REEF */
        json_object_set_new(o, "reef", json_string(reef));
        break;
    }
}

static json_t *action_json(const rp_plan *p, const rp_fleet *f, const rp_action *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(a->id));
    json_object_set_new(o, "type", json_string(rp_action_names[a->type]));
    action_fields(o, p, f, a);
    json_t *deps = json_array();
    for (size_t k = 0; k < a->ndepends; k++)
        json_array_append_new(deps, json_integer(a->depends_on[k]));
    json_object_set_new(o, "depends_on", deps);
    json_object_set_new(o, "wave", json_integer(a->wave));
    return o;
}

char *rp_plan_to_json(const rp_plan *p, const rp_fleet *f)
{
    json_t *root = json_object();
    json_object_set_new(root, "version", json_integer(1));
    json_object_set_new(root, "kind", json_string(p->kind ? p->kind : "rebalance"));
    json_object_set_new(root, "fleet_fingerprint", json_string(p->fingerprint));
    json_object_set_new(root, "summary", summary_json(&p->sum));
    json_t *a = json_array();
    for (size_t r = 0; r < p->nreefs; r++)
        json_array_append_new(a, reef_json(p, f, r));
    json_object_set_new(root, "reefs", a);
    a = json_array();
    for (size_t k = 0; k < p->nplace; k++)
        json_array_append_new(a, placement_json(p, f, &p->place[k]));
    json_object_set_new(root, "placements", a);
    json_object_set_new(root, "unplaced", notes_json(f, p->unplaced, p->nunplaced));
    json_object_set_new(root, "deferred", notes_json(f, p->deferred, p->ndeferred));
    a = json_array();
    for (size_t k = 0; k < p->nact; k++)
        json_array_append_new(a, action_json(p, f, &p->act[k]));
    json_object_set_new(root, "actions", a);
    if (p->settings_json) {
        json_t *s = json_loads(p->settings_json, 0, NULL);
        if (s)
            json_object_set_new(root, "settings", s);
    }
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(15));
    json_decref(root);
    char *out = rp_xasprintf("%s\n", text ? text : "{}");
    free(text);
    return out;
}

/* The region's naming pattern (prefix of its first reef, digits stripped)
 * with the next free number, as the solver names new reefs. */
char *rp_plan_new_reef_name(const rp_fleet *f, int g, const rp_plan *p)
{
    const char *pattern = NULL;
    for (size_t k = 0; k < f->nreefs && !pattern; k++)
        if (f->reefs[k].region == g)
            pattern = f->reefs[k].name;
    char prefix[128];
    if (pattern) {
        size_t n = strlen(pattern);
        while (n > 0 && pattern[n - 1] >= '0' && pattern[n - 1] <= '9')
            n--;
        snprintf(prefix, sizeof prefix, "%.*s", (int)n, pattern);
    } else {
        snprintf(prefix, sizeof prefix, "%s-", f->regions[g].name);
    }
    /* The numbers taken, by the fleet's reefs and p's: one pass over the
     * names rather than one per candidate (a plan may create thousands). */
    size_t cap = f->nreefs + p->nreefs + 2, plen = strlen(prefix);
    bool *used = rp_xcalloc(cap, sizeof(bool));
    for (size_t k = 0; k < f->nreefs + p->nreefs; k++) {
        const char *name = k < f->nreefs ? f->reefs[k].name : p->reefs[k - f->nreefs].name;
        if (!name || strncmp(name, prefix, plen) != 0)
            continue;
        const char *d = name + plen;
        size_t nd = strspn(d, "0123456789");
        if (nd == 0 || nd > 9 || d[nd] != '\0')
            continue;
        long num = strtol(d, NULL, 10);
        char back[16];
        snprintf(back, sizeof back, "%02ld", num);
        if (num > 0 && (size_t)num < cap && !strcmp(back, d))
            used[num] = true;
    }
    size_t num = 1;
    while (num < cap && used[num])
        num++;
    free(used);
    return rp_xasprintf("%s%02zu", prefix, num);
}

/* verify_rules.c - rules 1-8 of SPEC §3 for the verifier, re-derived with
 * plain loops over the profiles (deliberately not capacity.c). */
#include "verify_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rp__violation(rp__vctx *c, const char *fmt, ...)
{
    rp_verify_report *o = c->out;
    o->nviolations++;
    if (o->nmsgs >= RP_VERIFY_MAX_MSGS)
        return;
    char buf[1024];
    int n = c->vprefix ? snprintf(buf, sizeof buf, "%s", c->vprefix) : 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
    va_end(ap);
    o->msgs = rp_xreallocarray(o->msgs, o->nmsgs + 1, sizeof *o->msgs);
    o->msgs[o->nmsgs++] = rp_xstrdup(buf);
}

void rp__vstate_init(rp__vstate *s, size_t ninst)
{
    s->reef = rp_xcalloc(ninst + 1, sizeof *s->reef);
    s->tier = rp_xcalloc(ninst + 1, sizeof *s->tier);
    s->ded = rp_xcalloc(ninst + 1, sizeof *s->ded);
    for (size_t i = 0; i < ninst; i++) {
        s->reef[i] = -1;
        s->ded[i].db_sku = -1;
    }
}

void rp__vstate_free(rp__vstate *s)
{
    free(s->reef);
    free(s->tier);
    free(s->ded);
}

int rp__cur_reef(const rp__vctx *c, size_t i)
{
    return c->f->inst[i].reef;
}

bool rp__in_cooldown(const rp__vctx *c, size_t i)
{
    int64_t lm = c->f->inst[i].last_moved;
    if (lm == RP_NO_TIME)
        return false;
    return c->f->set.now - lm < (int64_t)c->f->set.move_cooldown_days * 86400;
}

/* v over lim beyond float slack: the excess, else 0. */
static double excess(double v, double lim)
{
    double slack = RP_EPS * (fabs(lim) > 1 ? fabs(lim) : 1); /* as rp_fits */
    return v > lim + slack ? v - lim : 0;
}

/* "12.41 > 11.20", with more digits when two decimals would hide the gap. */
static const char *pair(char *buf, size_t n, double v, const char *op, double lim)
{
    snprintf(buf, n, "%.2f %s %.2f", v, op, lim);
    char a[40], b[40];
    snprintf(a, sizeof a, "%.2f", v);
    snprintf(b, sizeof b, "%.2f", lim);
    if (!strcmp(a, b))
        snprintf(buf, n, "%.9g %s %.9g", v, op, lim);
    return buf;
}

static int tier_of_metric(int m)
{
    return m <= RP_M_DB_STORAGE ? RP_TIER_DB : m <= RP_M_MEMORY ? RP_TIER_COMPUTE : RP_TIER_STORAGE;
}

/* Scalar excess slots after the per-metric, per-slot ones. */
enum { X_MAX_DBS, X_PER_DB, X_PODS, X_MIN_NODES, X_MAX_NODES, X_INSTANCES, X_GROUP, X_REGION, X_N };

typedef struct reef_tally {
    int n, nsh[RP_NTIERS], groups_dup, region_bad;
    long ded_nodes;
    double per_db_excess;
} reef_tally;

/* Sums the shared loads of the members of r into c->sum and counts them;
 * reports per-instance breaches (per_db_max, group, region) when suffix. */
static void tally(rp__vctx *c, const rp__vstate *st, int r, const rp_pool_sku *ps, reef_tally *t,
                  const char *suffix)
{
    const rp_fleet *f = c->f;
    const char *rn = c->p->reefs[r].name;
    int S = c->S;
    memset(c->sum, 0, sizeof(double) * RP_NMETRICS * (size_t)S);
    memset(t, 0, sizeof *t);
    for (size_t g = 0; g < f->ngroups; g++)
        c->gfirst[g] = -1;
    for (size_t i = 0; i < f->ninst; i++) {
        if (st->reef[i] != r)
            continue;
        const rp_instance *in = &f->inst[i];
        t->n++;
        if (in->region != c->p->reefs[r].region) {
            t->region_bad++;
            if (suffix)
                rp__violation(
                    c, "reef %s: rule 7 region: instance %s is in region %s, the reef in %s%s", rn,
                    in->id, f->regions[in->region].name, f->regions[c->p->reefs[r].region].name,
                    suffix);
        }
        if (in->group >= 0 && c->gfirst[in->group] >= 0) {
            t->groups_dup++;
            if (suffix)
                rp__violation(c, "reef %s: rule 7 group %s: instances %s and %s in the same reef%s",
                              rn, f->groups[in->group], f->inst[c->gfirst[in->group]].id, in->id,
                              suffix);
        } else if (in->group >= 0) {
            c->gfirst[in->group] = (int)i;
        }
        for (int k = 0; k < RP_NTIERS; k++)
            t->nsh[k] += st->tier[i][k] == RP_SHARED;
        if (st->tier[i][RP_TIER_COMPUTE] == RP_DEDICATED)
            t->ded_nodes += st->ded[i].nodes;
        if (st->tier[i][RP_TIER_DB] == RP_SHARED) {
            double pk = c->peak[i * RP_NMETRICS + RP_M_DB_COMPUTE];
            double x = excess(pk, ps->per_db_max);
            char b[80];
            t->per_db_excess += x;
            if (x > 0 && suffix)
                rp__violation(c, "reef %s: rule 3 per_db_max: instance %s db_compute peak %s%s", rn,
                              in->id, pair(b, sizeof b, pk, ">", ps->per_db_max), suffix);
        }
        for (int m = 0; m < RP_NMETRICS; m++) {
            if (st->tier[i][tier_of_metric(m)] != RP_SHARED)
                continue;
            const float *v = rp_fleet_profile(f, i, m);
            double *s = c->sum + (size_t)m * (size_t)S;
            for (int k = 0; k < S; k++)
                s[k] += v[k];
        }
    }
}

static void limits(const rp__vctx *c, int r, int pool, int nodes, double lim[RP_NMETRICS])
{
    const rp_catalog *cat = c->f->cat;
    const rp_template *t = &cat->templates[c->p->reefs[r].template_idx];
    const rp_pool_sku *ps = &cat->pools[pool];
    const rp_vm_sku *vm = &cat->vms[t->node_vm];
    const rp_storage_sku *a = &cat->storage[t->storage];
    const double *h = c->f->set.headroom;
    lim[RP_M_DB_COMPUTE] = ps->db_compute * (1 - h[RP_M_DB_COMPUTE]);
    lim[RP_M_DB_STORAGE] = ps->max_storage_gb * (1 - h[RP_M_DB_STORAGE]);
    lim[RP_M_CPU] = nodes * vm->alloc_cpu * (1 - h[RP_M_CPU]);
    lim[RP_M_MEMORY] = nodes * vm->alloc_memory_gb * (1 - h[RP_M_MEMORY]);
    lim[RP_M_SHARE_GB] = a->max_gb * (1 - h[RP_M_SHARE_GB]);
    lim[RP_M_SHARE_IOPS] = a->max_iops * (1 - h[RP_M_SHARE_IOPS]);
}

/* Per-slot rules 1, 2, 4 (cpu, memory) and 6; returns true if any breaks. */
static bool eval_slots(rp__vctx *c, int r, const double lim[RP_NMETRICS], double *ex,
                       const char *suffix)
{
    static const int rule_no[RP_NMETRICS] = {1, 2, 4, 4, 6, 6};
    bool bad = false;
    int S = c->S;
    for (int m = 0; m < RP_NMETRICS; m++) {
        int worst = -1;
        double wx = 0;
        for (int t = 0; t < S; t++) {
            double x = excess(c->sum[m * S + t], lim[m]);
            if (ex)
                ex[m * S + t] = x;
            if (x > wx) {
                wx = x;
                worst = t;
            }
        }
        if (worst < 0)
            continue;
        bad = true;
        char b[80];
        if (suffix)
            rp__violation(c, "reef %s: rule %d %s at slot %d: %s%s", c->p->reefs[r].name,
                          rule_no[m], rp_metric_names[m], worst,
                          pair(b, sizeof b, c->sum[m * S + worst], ">", lim[m]), suffix);
    }
    return bad;
}

/* One scalar rule: records its excess and reports it. */
static bool scalar(rp__vctx *c, double *ex, int slot, double v, double lim, bool below,
                   const char *what, int r, const char *suffix)
{
    double x = below ? excess(lim, v) : excess(v, lim);
    if (ex)
        ex[c->nex - X_N + (size_t)slot] = x;
    if (x > 0 && suffix)
        rp__violation(c, "reef %s: %s: %.0f %s %.0f%s", c->p->reefs[r].name, what, v,
                      below ? "<" : ">", lim, suffix);
    return x > 0;
}

bool rp__eval_reef(rp__vctx *c, const rp__vstate *st, int r, int pool, int nodes, double *ex,
                   const char *suffix)
{
    const rp_catalog *cat = c->f->cat;
    const rp_template *t = &cat->templates[c->p->reefs[r].template_idx];
    const rp_pool_sku *ps = &cat->pools[pool];
    reef_tally tl;
    tally(c, st, r, ps, &tl, suffix);
    double lim[RP_NMETRICS];
    limits(c, r, pool, nodes, lim);
    bool bad = eval_slots(c, r, lim, ex, suffix);
    bad |= scalar(c, ex, X_MAX_DBS, tl.nsh[RP_TIER_DB], ps->max_dbs, false, "rule 3 max_dbs", r,
                  suffix);
    if (ex)
        ex[c->nex - X_N + X_PER_DB] = tl.per_db_excess;
    bad |= tl.per_db_excess > 0;
    bad |= scalar(c, ex, X_PODS, tl.nsh[RP_TIER_COMPUTE], (double)nodes * t->max_pods_per_node,
                  false, "rule 4 pods", r, suffix);
    bad |= scalar(c, ex, X_MIN_NODES, nodes, tl.n > 0 ? t->min_nodes : 0, true, "rule 4 min_nodes",
                  r, suffix);
    bad |= scalar(c, ex, X_MAX_NODES, nodes + tl.ded_nodes, t->max_nodes, false,
                  "rule 5 max_nodes (shared + dedicated)", r, suffix);
    bad |= scalar(c, ex, X_INSTANCES, tl.n, c->f->set.max_instances_per_reef, false,
                  "rule 7 max_instances_per_reef", r, suffix);
    if (ex) {
        ex[c->nex - X_N + X_GROUP] = tl.groups_dup;
        ex[c->nex - X_N + X_REGION] = tl.region_bad;
    }
    return bad || tl.groups_dup > 0 || tl.region_bad > 0;
}

/* ---- rule 8 ---- */

static double h(const rp__vctx *c, int m)
{
    return 1 - c->f->set.headroom[m];
}

static double pk(const rp__vctx *c, size_t i, int m)
{
    return c->peak[i * RP_NMETRICS + m];
}

static bool check_db(rp__vctx *c, size_t i, int sku, const char *prefix)
{
    const rp_catalog *cat = c->f->cat;
    char b[80];
    if (sku < 0 || (size_t)sku >= cat->ndbs) {
        rp__violation(c, "%s: rule 8 dedicated db: no single-database SKU", prefix);
        return false;
    }
    const rp_db_sku *s = &cat->dbs[sku];
    bool ok = true;
    if (excess(pk(c, i, RP_M_DB_COMPUTE), s->db_compute * h(c, RP_M_DB_COMPUTE)) > 0) {
        ok = false;
        rp__violation(c, "%s: rule 8 dedicated db %s: db_compute peak %s", prefix, s->sku,
                      pair(b, sizeof b, pk(c, i, RP_M_DB_COMPUTE), ">",
                           s->db_compute * h(c, RP_M_DB_COMPUTE)));
    }
    if (excess(pk(c, i, RP_M_DB_STORAGE), s->max_storage_gb * h(c, RP_M_DB_STORAGE)) > 0) {
        ok = false;
        rp__violation(c, "%s: rule 8 dedicated db %s: db_storage_gb peak %s", prefix, s->sku,
                      pair(b, sizeof b, pk(c, i, RP_M_DB_STORAGE), ">",
                           s->max_storage_gb * h(c, RP_M_DB_STORAGE)));
    }
    return ok;
}

static bool check_nodes(rp__vctx *c, size_t i, int tmpl, int n, const char *prefix)
{
    const rp_vm_sku *vm = &c->f->cat->vms[c->f->cat->templates[tmpl].node_vm];
    char b[80];
    if (n < 1) {
        rp__violation(c, "%s: rule 8 dedicated compute: %d nodes (at least 1)", prefix, n);
        return false;
    }
    double cpu = n * vm->alloc_cpu * h(c, RP_M_CPU),
           mem = n * vm->alloc_memory_gb * h(c, RP_M_MEMORY);
    bool ok = true;
    if (excess(pk(c, i, RP_M_CPU), cpu) > 0) {
        ok = false;
        rp__violation(c, "%s: rule 8 dedicated compute %d nodes: cpu_cores peak %s", prefix, n,
                      pair(b, sizeof b, pk(c, i, RP_M_CPU), ">", cpu));
    }
    if (excess(pk(c, i, RP_M_MEMORY), mem) > 0) {
        ok = false;
        rp__violation(c, "%s: rule 8 dedicated compute %d nodes: memory_gb peak %s", prefix, n,
                      pair(b, sizeof b, pk(c, i, RP_M_MEMORY), ">", mem));
    }
    return ok;
}

static bool check_share(rp__vctx *c, size_t i, int tmpl, int g, const char *prefix)
{
    const rp_storage_sku *s = &c->f->cat->storage[c->f->cat->templates[tmpl].dedicated_storage];
    char b[80];
    if (g < s->min_gb || g > s->max_gb) {
        rp__violation(c, "%s: rule 8 dedicated storage: %d GiB outside [%.0f, %.0f]", prefix, g,
                      s->min_gb, s->max_gb);
        return false;
    }
    double gb = g * h(c, RP_M_SHARE_GB);
    double iops = (s->iops_base + s->iops_per_gb * g) * h(c, RP_M_SHARE_IOPS);
    bool ok = true;
    if (excess(pk(c, i, RP_M_SHARE_GB), gb) > 0) {
        ok = false;
        rp__violation(c, "%s: rule 8 dedicated storage %d GiB: share_gb peak %s", prefix, g,
                      pair(b, sizeof b, pk(c, i, RP_M_SHARE_GB), ">", gb));
    }
    if (excess(pk(c, i, RP_M_SHARE_IOPS), iops) > 0) {
        ok = false;
        rp__violation(c, "%s: rule 8 dedicated storage %d GiB: share_iops peak %s", prefix, g,
                      pair(b, sizeof b, pk(c, i, RP_M_SHARE_IOPS), ">", iops));
    }
    return ok;
}

bool rp__check_ded(rp__vctx *c, size_t i, int tmpl, int tier, const rp_ded *d, const char *prefix)
{
    if (tier == RP_TIER_DB)
        return check_db(c, i, d->db_sku, prefix);
    if (tier == RP_TIER_COMPUTE)
        return check_nodes(c, i, tmpl, d->nodes, prefix);
    return check_share(c, i, tmpl, d->share_gb, prefix);
}

/* Smallest whole n >= lo with n * unit >= need (unit > 0). */
/* Smallest whole n >= lo (up to hi) whose capacity (a + n b) k holds need
 * by the same test as every capacity check here (excess, with rp_fits's
 * slack): a peak stored as a float a hair above a whole number of units
 * still fits that number, as the engine sizes it. */
static double whole_at_least(double need, double a, double b, double k, double lo, double hi)
{
    if (!(b > 0) || !(k > 0))
        return excess(need, (a + lo * b) * k) > 0 ? hi : lo;
    double n = fmin(hi, fmax(lo, ceil((need / k - a) / b)));
    while (n > lo && !excess(need, (a + (n - 1) * b) * k))
        n--;
    while (n < hi && excess(need, (a + n * b) * k) > 0)
        n++;
    return n;
}

void rp__cheapest_ded(const rp__vctx *c, size_t i, int tmpl, int tier, rp_ded *d)
{
    const rp_catalog *cat = c->f->cat;
    if (tier == RP_TIER_DB) {
        int best = -1, largest = -1;
        for (size_t k = 0; k < cat->ndbs; k++) {
            const rp_db_sku *s = &cat->dbs[k];
            if (largest < 0 || s->price > cat->dbs[largest].price)
                largest = (int)k;
            bool fits =
                !excess(pk(c, i, RP_M_DB_COMPUTE), s->db_compute * h(c, RP_M_DB_COMPUTE)) &&
                !excess(pk(c, i, RP_M_DB_STORAGE), s->max_storage_gb * h(c, RP_M_DB_STORAGE));
            if (fits && (best < 0 || s->price < cat->dbs[best].price))
                best = (int)k;
        }
        d->db_sku = best >= 0 ? best : largest;
    } else if (tier == RP_TIER_COMPUTE) {
        const rp_vm_sku *vm = &cat->vms[cat->templates[tmpl].node_vm];
        double hi = cat->templates[tmpl].max_nodes;
        double n = whole_at_least(pk(c, i, RP_M_CPU), 0, vm->alloc_cpu, h(c, RP_M_CPU), 1, hi);
        n = fmax(n, whole_at_least(pk(c, i, RP_M_MEMORY), 0, vm->alloc_memory_gb, h(c, RP_M_MEMORY),
                                   1, hi));
        d->nodes = (int)n;
    } else {
        const rp_storage_sku *s = &cat->storage[cat->templates[tmpl].dedicated_storage];
        double hi = floor(s->max_gb), lo = fmin(hi, ceil(s->min_gb));
        double g = whole_at_least(pk(c, i, RP_M_SHARE_GB), 0, 1, h(c, RP_M_SHARE_GB), lo, hi);
        g = fmax(g, whole_at_least(pk(c, i, RP_M_SHARE_IOPS), s->iops_base, s->iops_per_gb,
                                   h(c, RP_M_SHARE_IOPS), lo, hi));
        d->share_gb = (int)g;
    }
}

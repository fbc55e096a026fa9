/* capacity.c - the capacity and cost model of SPEC §3-4.
 *
 * Every comparison of a load with a limit goes through rp_fits so sizing
 * (rp_size_*, rp_use_size) and checking (rp_use_check) can never disagree
 * about a value sitting exactly at a limit. */
#include "capacity.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const int rp_metric_tier[RP_NMETRICS] = {RP_TIER_DB,      RP_TIER_DB,      RP_TIER_COMPUTE,
                                         RP_TIER_COMPUTE, RP_TIER_STORAGE, RP_TIER_STORAGE};

static double keep(const rp_fleet *f, int m)
{
    return 1.0 - f->set.headroom[m];
}

/* Smallest whole n in [lo, hi] with rp_fits(need, (a + n * b) * k), or -1.
 * The ceil of the ratio is only a first guess; the answer is settled with
 * rp_fits on the same expression the checks evaluate, so sizing and checking
 * agree on values exactly at a limit. */
static long whole_units(double need, double a, double b, double k, long lo, long hi)
{
    if (rp_fits(need, (a + lo * b) * k))
        return lo;
    if (!(b > 0) || !(k > 0) || hi < lo)
        return -1;
    double x = (need / k - a) / b;
    if (!(x <= (double)hi + 2))
        return -1;
    long n = (long)ceil(x - RP_EPS * fmax(1.0, fabs(x)));
    n = n < lo ? lo : n;
    while (n > lo && rp_fits(need, (a + (n - 1) * b) * k))
        n--;
    while (n <= hi && !rp_fits(need, (a + n * b) * k))
        n++;
    return n <= hi ? n : -1;
}

/* ---- rule 8: dedicated sizes ---------------------------------------- */

int rp_size_ded_db(const rp_fleet *f, size_t i)
{
    double dbc = rp_fleet_peak(f, i, RP_M_DB_COMPUTE);
    double dbs = rp_fleet_peak(f, i, RP_M_DB_STORAGE);
    for (size_t k = 0; k < f->cat->ndbs; k++) {
        const rp_db_sku *s = &f->cat->dbs[k];
        if (rp_fits(dbc, s->db_compute * keep(f, RP_M_DB_COMPUTE)) &&
            rp_fits(dbs, s->max_storage_gb * keep(f, RP_M_DB_STORAGE)))
            return (int)k;
    }
    return -1;
}

int rp_size_ded_nodes(const rp_fleet *f, size_t i, int template_idx)
{
    const rp_template *t = &f->cat->templates[template_idx];
    const rp_vm_sku *vm = &f->cat->vms[t->node_vm];
    long hi = t->max_nodes;
    long a = whole_units(rp_fleet_peak(f, i, RP_M_CPU), 0, vm->alloc_cpu, keep(f, RP_M_CPU), 1, hi);
    long b = whole_units(rp_fleet_peak(f, i, RP_M_MEMORY), 0, vm->alloc_memory_gb,
                         keep(f, RP_M_MEMORY), 1, hi);
    if (a < 0 || b < 0)
        return -1;
    return (int)(a > b ? a : b);
}

int rp_size_ded_share(const rp_fleet *f, size_t i, int template_idx)
{
    const rp_template *t = &f->cat->templates[template_idx];
    const rp_storage_sku *st = &f->cat->storage[t->dedicated_storage];
    if (st->max_gb < 1)
        return -1;
    long hi = st->max_gb >= INT_MAX ? INT_MAX : (long)floor(st->max_gb + RP_EPS);
    long lo = (long)ceil(st->min_gb - RP_EPS * fmax(1.0, st->min_gb));
    if (lo < 1)
        lo = 1;
    long g = whole_units(rp_fleet_peak(f, i, RP_M_SHARE_GB), 0, 1, keep(f, RP_M_SHARE_GB), lo, hi);
    if (g < 0)
        return -1;
    /* IOPS grow with size: (iops_base + iops_per_gb * g) * (1 - h). */
    g = whole_units(rp_fleet_peak(f, i, RP_M_SHARE_IOPS), st->iops_base, st->iops_per_gb,
                    keep(f, RP_M_SHARE_IOPS), g, hi);
    return g < 0 ? -1 : (int)g;
}

double rp_ded_price(const rp_fleet *f, int tier, int template_idx, int size)
{
    const rp_catalog *c = f->cat;
    const rp_template *t = &c->templates[template_idx];
    switch (tier) {
    case RP_TIER_DB:
        return size >= 0 ? c->dbs[size].price : 0.0;
    case RP_TIER_COMPUTE:
        return size > 0 ? size * c->vms[t->node_vm].price : 0.0;
    default:
        return size > 0 ? size * c->storage[t->dedicated_storage].price_per_gb : 0.0;
    }
}

static int ded_size(const rp_fleet *f, size_t i, int template_idx, int tier)
{
    if (tier == RP_TIER_DB)
        return rp_size_ded_db(f, i);
    if (tier == RP_TIER_COMPUTE)
        return rp_size_ded_nodes(f, i, template_idx);
    return rp_size_ded_share(f, i, template_idx);
}

static void ded_set(rp_ded *d, int tier, int size)
{
    if (tier == RP_TIER_DB)
        d->db_sku = size;
    else if (tier == RP_TIER_COMPUTE)
        d->nodes = size < 0 ? 0 : size;
    else
        d->share_gb = size < 0 ? 0 : size;
}

int rp_ded_fill(const rp_fleet *f, size_t i, int template_idx, const uint8_t tier[RP_NTIERS],
                rp_ded *d)
{
    int bad = -1;
    *d = (rp_ded){-1, 0, 0};
    for (int k = 0; k < RP_NTIERS; k++) {
        if (tier[k] != RP_DEDICATED)
            continue;
        int s = ded_size(f, i, template_idx, k);
        ded_set(d, k, s);
        if (s < 0 && bad < 0)
            bad = k;
    }
    return bad;
}

/* The largest single DB: most compute, then most storage, then dearest. */
static int largest_db(const rp_catalog *c)
{
    int best = -1;
    for (size_t k = 0; k < c->ndbs; k++) {
        const rp_db_sku *s = &c->dbs[k];
        if (best < 0 || s->db_compute > c->dbs[best].db_compute ||
            (s->db_compute == c->dbs[best].db_compute &&
             s->max_storage_gb >= c->dbs[best].max_storage_gb))
            best = (int)k;
    }
    return best;
}

static int largest_size(const rp_fleet *f, int template_idx, int tier)
{
    const rp_template *t = &f->cat->templates[template_idx];
    if (tier == RP_TIER_DB)
        return largest_db(f->cat);
    if (tier == RP_TIER_COMPUTE)
        return t->max_nodes;
    double g = f->cat->storage[t->dedicated_storage].max_gb;
    return g >= INT_MAX ? INT_MAX : (int)floor(g + RP_EPS);
}

int rp_ded_fill_or_largest(const rp_fleet *f, size_t i, int template_idx,
                           const uint8_t tier[RP_NTIERS], rp_ded *d)
{
    int bad = rp_ded_fill(f, i, template_idx, tier, d);
    if (bad < 0)
        return -1;
    for (int k = bad; k < RP_NTIERS; k++) {
        int cur = k == RP_TIER_DB ? d->db_sku : k == RP_TIER_COMPUTE ? d->nodes : d->share_gb;
        bool missing = k == RP_TIER_DB ? cur < 0 : cur <= 0;
        if (tier[k] == RP_DEDICATED && missing)
            ded_set(d, k, largest_size(f, template_idx, k));
    }
    return bad;
}

double rp_ded_cost(const rp_fleet *f, int template_idx, const uint8_t tier[RP_NTIERS],
                   const rp_ded *d)
{
    if (!d)
        return 0.0;
    double sum = 0.0;
    if (tier[RP_TIER_DB] == RP_DEDICATED)
        sum += rp_ded_price(f, RP_TIER_DB, template_idx, d->db_sku);
    if (tier[RP_TIER_COMPUTE] == RP_DEDICATED)
        sum += rp_ded_price(f, RP_TIER_COMPUTE, template_idx, d->nodes);
    if (tier[RP_TIER_STORAGE] == RP_DEDICATED)
        sum += rp_ded_price(f, RP_TIER_STORAGE, template_idx, d->share_gb);
    return sum;
}

/* ---- rules: names and text ------------------------------------------ */

/* X(enum suffix, SPEC rule number, short name) */
#define RP_RULE_MAP(X)                                                                             \
    X(NONE, 0, "none")                                                                             \
    X(DB_COMPUTE, 1, "db_compute")                                                                 \
    X(DB_STORAGE, 2, "db_storage_gb")                                                              \
    X(MAX_DBS, 3, "max_dbs")                                                                       \
    X(PER_DB_MAX, 3, "per_db_max")                                                                 \
    X(CPU, 4, "cpu_cores")                                                                         \
    X(MEMORY, 4, "memory_gb")                                                                      \
    X(PODS, 4, "pods")                                                                             \
    X(MIN_NODES, 4, "min_nodes")                                                                   \
    X(MAX_NODES, 5, "max_nodes")                                                                   \
    X(SHARE_GB, 6, "share_gb")                                                                     \
    X(SHARE_IOPS, 6, "share_iops")                                                                 \
    X(MAX_INSTANCES, 7, "max_instances_per_reef")                                                  \
    X(GROUP, 7, "group")                                                                           \
    X(REGION, 7, "region")                                                                         \
    X(DEDICATED, 8, "dedicated")                                                                   \
    X(STATE, 9, "state")                                                                           \
    X(NO_SKU, 0, "no_sku")

static const struct {
    int rule, number;
    const char *name;
} rule_info[] = {
#define RP__RULE(e, num, name) {RP_RULE_##e, num, name},
    RP_RULE_MAP(RP__RULE)
#undef RP__RULE
};

const char *rp_rule_name(int rule)
{
    for (size_t k = 0; k < RP_ARRAY_LEN(rule_info); k++)
        if (rule_info[k].rule == rule)
            return rule_info[k].name;
    return "unknown";
}

static int rule_number(int rule)
{
    for (size_t k = 0; k < RP_ARRAY_LEN(rule_info); k++)
        if (rule_info[k].rule == rule)
            return rule_info[k].number;
    return 0;
}

/* What the value counts for count rules, or NULL for per-slot rules. */
static const char *count_unit(int rule)
{
    switch (rule) {
    case RP_RULE_MAX_DBS:
        return " shared dbs";
    case RP_RULE_PODS:
        return " shared pods";
    case RP_RULE_MIN_NODES:
    case RP_RULE_MAX_NODES:
        return " nodes";
    case RP_RULE_MAX_INSTANCES:
        return " instances";
    default:
        return NULL;
    }
}

const char *rp_violation_str(const rp_violation *v, char *buf, size_t n)
{
    int num = rule_number(v->rule);
    const char *name = rp_rule_name(v->rule);
    const char *unit = count_unit(v->rule);
    char head[64];
    if (num > 0)
        snprintf(head, sizeof head, "rule %d %s", num, name);
    else
        snprintf(head, sizeof head, "%s", name);
    if (v->rule == RP_RULE_NONE)
        snprintf(buf, n, "ok");
    else if (v->rule == RP_RULE_PER_DB_MAX)
        snprintf(buf, n, "%s: %.6g shared dbs peak above %.6g", head, v->value, v->limit);
    else if (v->rule == RP_RULE_MIN_NODES)
        snprintf(buf, n, "%s: %.6g nodes < %.6g", head, v->value, v->limit);
    else if (unit)
        snprintf(buf, n, "%s: %.6g%s > %.6g", head, v->value, unit, v->limit);
    else if (v->metric >= 0 && v->slot >= 0)
        snprintf(buf, n, "%s at slot %d: %.6g > %.6g", head, v->slot, v->value, v->limit);
    else if (v->metric >= 0 && strcmp(name, rp_metric_names[v->metric]) == 0)
        snprintf(buf, n, "%s peak: %.6g > %.6g", head, v->value, v->limit);
    else if (v->metric >= 0)
        snprintf(buf, n, "%s %s: %.6g > %.6g", head, rp_metric_names[v->metric], v->value,
                 v->limit);
    else
        snprintf(buf, n, "%s", head);
    return buf;
}

static void viol_set(rp_violation *v, int rule, int metric, int slot, double value, double limit)
{
    if (v)
        *v = (rp_violation){rule, metric, slot, value, limit};
}

/* ---- rp_reef_use ------------------------------------------------------ */

void rp_use_init(rp_reef_use *u, const rp_fleet *f)
{
    memset(u, 0, sizeof *u);
    u->slots = f->set.slots;
    u->sum = rp_xcalloc((size_t)RP_NMETRICS * (size_t)u->slots, sizeof(double));
    u->over_per_db = rp_xcalloc(f->cat->npools, sizeof(int));
}

void rp_use_free(rp_reef_use *u)
{
    free(u->sum);
    free(u->over_per_db);
    memset(u, 0, sizeof *u);
}

void rp_use_clear(rp_reef_use *u, const rp_fleet *f)
{
    double *sum = u->sum;
    int *over = u->over_per_db;
    int slots = u->slots;
    memset(sum, 0, (size_t)RP_NMETRICS * (size_t)slots * sizeof(double));
    memset(over, 0, f->cat->npools * sizeof(int));
    memset(u, 0, sizeof *u);
    u->sum = sum;
    u->over_per_db = over;
    u->slots = slots;
}

void rp_use_copy(rp_reef_use *dst, const rp_reef_use *src, const rp_fleet *f)
{
    if (!dst->sum || dst->slots != src->slots) {
        rp_use_free(dst);
        rp_use_init(dst, f);
    }
    double *sum = dst->sum;
    int *over = dst->over_per_db;
    *dst = *src;
    dst->sum = sum;
    dst->over_per_db = over;
    memcpy(sum, src->sum, (size_t)RP_NMETRICS * (size_t)src->slots * sizeof(double));
    memcpy(over, src->over_per_db, f->cat->npools * sizeof(int));
}

/* Adds sg * profile into one metric's sums and rescans its peak. When the
 * tier has no shared instance left the sums are reset to exact zeros so
 * rounding cannot linger in an emptied reef. */
static void add_metric(rp_reef_use *u, const float *p, int m, double sg, bool empty)
{
    double *s = u->sum + (size_t)m * (size_t)u->slots;
    double best = 0.0;
    int at = 0;
    for (int t = 0; t < u->slots; t++) {
        double v = empty ? 0.0 : s[t] + sg * (double)p[t];
        s[t] = v;
        if (v > best || t == 0) {
            best = v;
            at = t;
        }
    }
    u->peak[m] = best;
    u->peak_slot[m] = at;
}

static void add_over_per_db(rp_reef_use *u, const rp_fleet *f, size_t i, int sign)
{
    double pk = rp_fleet_peak(f, i, RP_M_DB_COMPUTE);
    for (size_t k = 0; k < f->cat->npools; k++)
        if (!rp_fits(pk, f->cat->pools[k].per_db_max))
            u->over_per_db[k] += sign;
}

void rp_use_add(rp_reef_use *u, const rp_fleet *f, size_t i, int template_idx,
                const uint8_t tier[RP_NTIERS], const rp_ded *d, int sign)
{
    double sg = sign > 0 ? 1.0 : -1.0;
    u->n += sign;
    for (int k = 0; k < RP_NTIERS; k++)
        if (tier[k] == RP_SHARED)
            u->n_shared[k] += sign;
    for (int m = 0; m < RP_NMETRICS; m++) {
        int k = rp_metric_tier[m];
        if (tier[k] == RP_SHARED)
            add_metric(u, rp_fleet_profile(f, i, m), m, sg, u->n_shared[k] == 0);
    }
    if (tier[RP_TIER_DB] == RP_SHARED)
        add_over_per_db(u, f, i, sign);
    if (tier[RP_TIER_STORAGE] == RP_SHARED)
        u->share_gb_peaks = u->n_shared[RP_TIER_STORAGE] == 0
                                ? 0.0
                                : u->share_gb_peaks + sg * rp_fleet_peak(f, i, RP_M_SHARE_GB);
    if (d && tier[RP_TIER_COMPUTE] == RP_DEDICATED)
        u->ded_nodes += sign * d->nodes;
    int ndedicated = 0;
    for (int k = 0; k < RP_NTIERS; k++)
        ndedicated += u->n - u->n_shared[k];
    u->ded_cost = ndedicated == 0 ? 0.0 : u->ded_cost + sg * rp_ded_cost(f, template_idx, tier, d);
}

void rp_use_peak_with(const rp_reef_use *u, const rp_fleet *f, size_t i,
                      const uint8_t tier[RP_NTIERS], int sign, double peak[RP_NMETRICS])
{
    double sg = sign > 0 ? 1.0 : -1.0;
    int S = u->slots;
    for (int m = 0; m < RP_NMETRICS; m++) {
        int k = rp_metric_tier[m];
        if (tier[k] != RP_SHARED) {
            peak[m] = u->peak[m];
            continue;
        }
        if (sign < 0 && u->n_shared[k] == 1) {
            peak[m] = 0.0; /* mirrors the reset in add_metric */
            continue;
        }
        const double *s = u->sum + (size_t)m * (size_t)S;
        const float *p = rp_fleet_profile(f, i, m);
        double best = s[0] + sg * (double)p[0];
        for (int t = 1; t < S; t++) {
            double v = s[t] + sg * (double)p[t];
            best = v > best ? v : best;
        }
        peak[m] = best;
    }
}

/* ---- sizing ------------------------------------------------------------- */

/* First of rules 1-3 that pool k breaks (0 when it fits); v gets details.
 * extra: db_compute peak of one more shared db (<= 0 for none). */
static int pool_breaks(const rp_fleet *f, int k, const double peak[RP_NMETRICS], int ndbs, int over,
                       double extra, rp_violation *v)
{
    const rp_pool_sku *p = &f->cat->pools[k];
    double lim = p->db_compute * keep(f, RP_M_DB_COMPUTE);
    if (!rp_fits(peak[RP_M_DB_COMPUTE], lim)) {
        viol_set(v, RP_RULE_DB_COMPUTE, RP_M_DB_COMPUTE, -1, peak[RP_M_DB_COMPUTE], lim);
        return RP_RULE_DB_COMPUTE;
    }
    lim = p->max_storage_gb * keep(f, RP_M_DB_STORAGE);
    if (!rp_fits(peak[RP_M_DB_STORAGE], lim)) {
        viol_set(v, RP_RULE_DB_STORAGE, RP_M_DB_STORAGE, -1, peak[RP_M_DB_STORAGE], lim);
        return RP_RULE_DB_STORAGE;
    }
    if (ndbs > p->max_dbs) {
        viol_set(v, RP_RULE_MAX_DBS, -1, -1, ndbs, p->max_dbs);
        return RP_RULE_MAX_DBS;
    }
    over += extra > 0 && !rp_fits(extra, p->per_db_max);
    if (over > 0) {
        viol_set(v, RP_RULE_PER_DB_MAX, RP_M_DB_COMPUTE, -1, over, p->per_db_max);
        return RP_RULE_PER_DB_MAX;
    }
    return 0;
}

/* Whether pool a is at least as large as pool b: db_compute, then storage,
 * then max_dbs. */
static bool pool_ge(const rp_pool_sku *a, const rp_pool_sku *b)
{
    if (a->db_compute != b->db_compute)
        return a->db_compute > b->db_compute;
    if (a->max_storage_gb != b->max_storage_gb)
        return a->max_storage_gb > b->max_storage_gb;
    return a->max_dbs >= b->max_dbs;
}

/* The largest pool; the dearest among equals (pools are sorted by price). */
static int largest_pool(const rp_catalog *c)
{
    int best = 0;
    for (size_t k = 1; k < c->npools; k++)
        if (pool_ge(&c->pools[k], &c->pools[best]))
            best = (int)k;
    return best;
}

/* Rule 6 (the shared storage account is not sizable) and the rule 7 count. */
static int fixed_breaks(const rp_fleet *f, int template_idx, const double peak[RP_NMETRICS], int n,
                        rp_violation *v)
{
    const rp_storage_sku *a = &f->cat->storage[f->cat->templates[template_idx].storage];
    double lim = a->max_gb * keep(f, RP_M_SHARE_GB);
    if (!rp_fits(peak[RP_M_SHARE_GB], lim)) {
        viol_set(v, RP_RULE_SHARE_GB, RP_M_SHARE_GB, -1, peak[RP_M_SHARE_GB], lim);
        return RP_RULE_SHARE_GB;
    }
    lim = a->max_iops * keep(f, RP_M_SHARE_IOPS);
    if (!rp_fits(peak[RP_M_SHARE_IOPS], lim)) {
        viol_set(v, RP_RULE_SHARE_IOPS, RP_M_SHARE_IOPS, -1, peak[RP_M_SHARE_IOPS], lim);
        return RP_RULE_SHARE_IOPS;
    }
    if (n > f->set.max_instances_per_reef) {
        viol_set(v, RP_RULE_MAX_INSTANCES, -1, -1, n, f->set.max_instances_per_reef);
        return RP_RULE_MAX_INSTANCES;
    }
    return 0;
}

/* Shared node count per rule 4, or -1 with v filled (rule 5) when it and
 * the dedicated node pools exceed max_nodes. */
static long node_count(const rp_fleet *f, int template_idx, const double peak[RP_NMETRICS],
                       int npods, long ded_nodes, rp_violation *v)
{
    const rp_template *t = &f->cat->templates[template_idx];
    const rp_vm_sku *vm = &f->cat->vms[t->node_vm];
    long lo = t->min_nodes > 0 ? t->min_nodes : 0;
    long room = (long)t->max_nodes - ded_nodes;
    /* Sized without the room cap so a violation reports the real need. */
    long a = whole_units(peak[RP_M_CPU], 0, vm->alloc_cpu, keep(f, RP_M_CPU), lo, INT_MAX);
    long b =
        whole_units(peak[RP_M_MEMORY], 0, vm->alloc_memory_gb, keep(f, RP_M_MEMORY), lo, INT_MAX);
    long c = t->max_pods_per_node > 0 ? (npods + t->max_pods_per_node - 1) / t->max_pods_per_node
                                      : (npods > 0 ? LONG_MAX / 2 : 0);
    long n = lo;
    n = a < 0 || b < 0 ? LONG_MAX / 2 : n;
    n = a > n ? a : n;
    n = b > n ? b : n;
    n = c > n ? c : n;
    if (n > room) {
        double want = n >= LONG_MAX / 2 ? INFINITY : (double)n;
        viol_set(v, RP_RULE_MAX_NODES, -1, -1, want + ded_nodes, t->max_nodes);
        return -1;
    }
    return n;
}

static int size_core(const rp_fleet *f, int template_idx, const double peak[RP_NMETRICS],
                     const int n_shared[RP_NTIERS], int n, long ded_nodes, const int *over_per_db,
                     double extra_db_peak, int *pool, int *nodes, rp_violation *v)
{
    const rp_catalog *c = f->cat;
    int rule = fixed_breaks(f, template_idx, peak, n, v);
    if (rule)
        return rule;
    if (c->npools == 0) {
        viol_set(v, RP_RULE_NO_SKU, -1, -1, 0, 0);
        return RP_RULE_NO_SKU;
    }
    int k = 0;
    for (; k < (int)c->npools; k++)
        if (!pool_breaks(f, k, peak, n_shared[RP_TIER_DB], over_per_db ? over_per_db[k] : 0,
                         extra_db_peak, NULL))
            break;
    if (k == (int)c->npools) {
        int big = largest_pool(c);
        return pool_breaks(f, big, peak, n_shared[RP_TIER_DB], over_per_db ? over_per_db[big] : 0,
                           extra_db_peak, v);
    }
    long nn = node_count(f, template_idx, peak, n_shared[RP_TIER_COMPUTE], ded_nodes, v);
    if (nn < 0)
        return RP_RULE_MAX_NODES;
    *pool = k;
    *nodes = (int)nn;
    viol_set(v, RP_RULE_NONE, -1, -1, 0, 0);
    return RP_RULE_NONE;
}

int rp_size_for(const rp_fleet *f, int template_idx, const double peak[RP_NMETRICS],
                const int n_shared[RP_NTIERS], int n, long ded_nodes, const int *over_per_db,
                double extra_db_peak, int *pool, int *nodes, rp_violation *v)
{
    return size_core(f, template_idx, peak, n_shared, n, ded_nodes, over_per_db, extra_db_peak,
                     pool, nodes, v);
}

int rp_use_size(const rp_reef_use *u, const rp_fleet *f, int template_idx, int *pool, int *nodes,
                rp_violation *v)
{
    int rule = size_core(f, template_idx, u->peak, u->n_shared, u->n, u->ded_nodes, u->over_per_db,
                         0.0, pool, nodes, v);
    if (rule && v && v->metric >= 0 && rule != RP_RULE_PER_DB_MAX)
        v->slot = u->peak_slot[v->metric];
    return rule;
}

int rp_use_size_with(const rp_reef_use *u, const rp_fleet *f, int template_idx, size_t i,
                     const uint8_t tier[RP_NTIERS], const rp_ded *d, int sign, int *pool,
                     int *nodes, rp_violation *v)
{
    double peak[RP_NMETRICS];
    int n_shared[RP_NTIERS];
    rp_use_peak_with(u, f, i, tier, sign, peak);
    for (int k = 0; k < RP_NTIERS; k++)
        n_shared[k] = u->n_shared[k] + (tier[k] == RP_SHARED ? sign : 0);
    long ded_nodes =
        u->ded_nodes + (d && tier[RP_TIER_COMPUTE] == RP_DEDICATED ? sign * d->nodes : 0);
    bool db_shared = tier[RP_TIER_DB] == RP_SHARED;
    double dbp = rp_fleet_peak(f, i, RP_M_DB_COMPUTE);
    if (sign > 0 || !db_shared)
        return size_core(f, template_idx, peak, n_shared, u->n + sign, ded_nodes, u->over_per_db,
                         sign > 0 && db_shared ? dbp : 0.0, pool, nodes, v);
    /* Removing a shared db: its own per-db excess must not count. The pools
     * it exceeds are exactly those with per_db_max below its peak. */
    int *over = u->over_per_db;
    size_t np = f->cat->npools;
    int local[64] = {0};
    int *adj = np <= 64 ? local : rp_xmalloc(np * sizeof(int));
    for (size_t k = 0; k < np; k++)
        adj[k] = over[k] - !rp_fits(dbp, f->cat->pools[k].per_db_max);
    int rule =
        size_core(f, template_idx, peak, n_shared, u->n - 1, ded_nodes, adj, 0.0, pool, nodes, v);
    if (adj != local)
        free(adj);
    return rule;
}

/* ---- checking and cost ------------------------------------------------ */

static int check_slot_rule(const rp_reef_use *u, int m, int rule, double lim, rp_violation *v)
{
    if (rp_fits(u->peak[m], lim))
        return 0;
    viol_set(v, rule, m, u->peak_slot[m], u->peak[m], lim);
    return rule;
}

static int check_db(const rp_reef_use *u, const rp_fleet *f, int pool, rp_violation *v)
{
    const rp_pool_sku *p = &f->cat->pools[pool];
    int r = check_slot_rule(u, RP_M_DB_COMPUTE, RP_RULE_DB_COMPUTE,
                            p->db_compute * keep(f, RP_M_DB_COMPUTE), v);
    if (!r)
        r = check_slot_rule(u, RP_M_DB_STORAGE, RP_RULE_DB_STORAGE,
                            p->max_storage_gb * keep(f, RP_M_DB_STORAGE), v);
    if (!r && u->n_shared[RP_TIER_DB] > p->max_dbs) {
        viol_set(v, RP_RULE_MAX_DBS, -1, -1, u->n_shared[RP_TIER_DB], p->max_dbs);
        r = RP_RULE_MAX_DBS;
    }
    if (!r && u->over_per_db[pool] > 0) {
        viol_set(v, RP_RULE_PER_DB_MAX, RP_M_DB_COMPUTE, -1, u->over_per_db[pool], p->per_db_max);
        r = RP_RULE_PER_DB_MAX;
    }
    return r;
}

static int check_nodes(const rp_reef_use *u, const rp_fleet *f, int template_idx, int nodes,
                       rp_violation *v)
{
    const rp_template *t = &f->cat->templates[template_idx];
    const rp_vm_sku *vm = &f->cat->vms[t->node_vm];
    int r = check_slot_rule(u, RP_M_CPU, RP_RULE_CPU, nodes * vm->alloc_cpu * keep(f, RP_M_CPU), v);
    if (!r)
        r = check_slot_rule(u, RP_M_MEMORY, RP_RULE_MEMORY,
                            nodes * vm->alloc_memory_gb * keep(f, RP_M_MEMORY), v);
    double pods = (double)nodes * t->max_pods_per_node;
    if (!r && u->n_shared[RP_TIER_COMPUTE] > pods) {
        viol_set(v, RP_RULE_PODS, -1, -1, u->n_shared[RP_TIER_COMPUTE], pods);
        r = RP_RULE_PODS;
    }
    if (!r && u->n > 0 && nodes < t->min_nodes) {
        viol_set(v, RP_RULE_MIN_NODES, -1, -1, nodes, t->min_nodes);
        r = RP_RULE_MIN_NODES;
    }
    if (!r && (long)nodes + u->ded_nodes > t->max_nodes) {
        viol_set(v, RP_RULE_MAX_NODES, -1, -1, (double)nodes + u->ded_nodes, t->max_nodes);
        r = RP_RULE_MAX_NODES;
    }
    return r;
}

int rp_use_check(const rp_reef_use *u, const rp_fleet *f, int template_idx, int pool, int nodes,
                 rp_violation *v)
{
    assert(pool >= 0 && (size_t)pool < f->cat->npools);
    const rp_storage_sku *a = &f->cat->storage[f->cat->templates[template_idx].storage];
    int r = check_db(u, f, pool, v);
    if (!r)
        r = check_nodes(u, f, template_idx, nodes, v);
    if (!r)
        r = check_slot_rule(u, RP_M_SHARE_GB, RP_RULE_SHARE_GB, a->max_gb * keep(f, RP_M_SHARE_GB),
                            v);
    if (!r)
        r = check_slot_rule(u, RP_M_SHARE_IOPS, RP_RULE_SHARE_IOPS,
                            a->max_iops * keep(f, RP_M_SHARE_IOPS), v);
    if (!r && u->n > f->set.max_instances_per_reef) {
        viol_set(v, RP_RULE_MAX_INSTANCES, -1, -1, u->n, f->set.max_instances_per_reef);
        r = RP_RULE_MAX_INSTANCES;
    }
    if (!r)
        viol_set(v, RP_RULE_NONE, -1, -1, 0, 0);
    return r;
}

double rp_use_cost(const rp_reef_use *u, const rp_fleet *f, int template_idx, int pool, int nodes)
{
    const rp_catalog *c = f->cat;
    const rp_template *t = &c->templates[template_idx];
    return t->fixed_cost + c->pools[pool].price + nodes * c->vms[t->node_vm].price +
           c->storage[t->storage].price_per_gb * u->share_gb_peaks + u->ded_cost;
}

/* ---- the current state -------------------------------------------------- */

void rp_fleet_current_use(const rp_fleet *f, rp_reef_use *uses)
{
    for (size_t r = 0; r < f->nreefs; r++)
        rp_use_init(&uses[r], f);
    for (size_t i = 0; i < f->ninst; i++) {
        const rp_instance *in = &f->inst[i];
        if (in->reef < 0)
            continue;
        int t = f->reefs[in->reef].template_idx;
        rp_ded d;
        rp_ded_fill_or_largest(f, i, t, in->tier, &d);
        rp_use_add(&uses[in->reef], f, i, t, in->tier, &d, +1);
    }
}

double rp_fleet_current_cost(const rp_fleet *f)
{
    rp_reef_use *uses = rp_xcalloc(f->nreefs, sizeof *uses);
    rp_fleet_current_use(f, uses);
    double cost = 0.0;
    for (size_t r = 0; r < f->nreefs; r++) {
        const rp_reef *reef = &f->reefs[r];
        cost += rp_use_cost(&uses[r], f, reef->template_idx, reef->pool, reef->nodes);
        rp_use_free(&uses[r]);
    }
    free(uses);
    return cost;
}

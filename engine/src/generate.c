/* generate.c - `reefplan generate`: instance parameters, the time-unaware
 * current placement (packing by sum of peaks), reef sizing, HA groups and
 * reef states, and the atomic fleet directory. See generate.h for what the
 * fleet looks like and gen_write.c for the files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fleetout.h"
#include "gen_internal.h"
#include "log.h"

/* Octopus-Cloud-like plans (research/catalog.md §5): nominal peaks of
 * db_compute (vCore), db_storage_gb, cpu_cores, memory_gb, share_gb, share_iops. */
const rp__gen_plan rp__gen_plans[4] = {
    {"starter", 0.40, 10.0, {0.10, 2, 0.25, 1.0, 10, 15}},
    {"standard", 0.35, 20.0, {0.25, 5, 0.5, 2.0, 25, 40}},
    {"professional", 0.18, 40.0, {0.5, 15, 1.0, 4.0, 60, 100}},
    {"enterprise", 0.07, 80.0, {1.0, 40, 2.0, 8.0, 150, 250}},
};

/* Regions with the UTC offsets of their tenants (no daylight saving). */
const rp__gen_region rp__gen_regions[3] = {
    {"westus2", "wus2", 0.45, {-8, -7, -6, -5, -8}, {0.6, 0.1, 0.1, 0.2, 0}},
    {"westeurope", "weu", 0.35, {0, 1, 2, 3, 1}, {0.25, 0.5, 0.2, 0.05, 0}},
    {"australiaeast", "aue", 0.20, {8, 9, 10, 11, 12}, {0.15, 0.05, 0.6, 0.1, 0.1}},
};

const double rp__gen_headroom[RP_NMETRICS] = {0.30, 0.20, 0.20, 0.20, 0.10, 0.20};

static const double shape_weights[RP_GEN_NSHAPES] = {0.50, 0.15, 0.10, 0.25};
/* Caps per metric (db_compute in vCores): Octopus Cloud limits DBs to 100 GB
 * and files to 1 TB. */
static const double metric_cap[RP_NMETRICS] = {8, 100, 8, 32, 1000, 3000};
static const double metric_min[RP_NMETRICS] = {0.005, 0.5, 0.02, 0.1, 1, 1};

void rp_gen_opts_init(rp_gen_opts *o)
{
    o->instances = 1000;
    o->regions = 3;
    o->seed = 1;
    o->slots = 168;
    o->load_fraction = 0.0;
    o->catalog = NULL;
    o->states = -1;
}

static int pick(const double *w, int n, double u)
{
    double total = 0.0, acc = 0.0;
    for (int k = 0; k < n; k++)
        total += w[k];
    for (int k = 0; k < n; k++) {
        acc += w[k];
        if (u * total < acc)
            return k;
    }
    return n - 1;
}

static double size_multiplier(rp_gen_rng *r)
{
    double mult = exp(0.45 * rp_gen_rng_normal(r));
    double tail = rp_gen_rng_uniform(r), u = rp_gen_rng_uniform(r);
    if (tail < 0.03)
        mult *= fmin(8.0, pow(1.0 - u, -1.0 / 1.5)); /* Pareto(1.5) */
    return fmin(10.0, fmax(0.25, mult));
}

static void params_size(rp__gen *g, rp__gen_inst *in, rp_gen_rng *r)
{
    const rp__gen_plan *p = &rp__gen_plans[in->plan];
    double mult = size_multiplier(r);
    for (int m = 0; m < RP_NMETRICS; m++) {
        bool storage = m == RP_M_DB_STORAGE || m == RP_M_SHARE_GB;
        double v = p->base[m] * mult * exp((storage ? 0.5 : 0.2) * rp_gen_rng_normal(r));
        v = fmin(metric_cap[m], fmax(metric_min[m], v));
        in->base[m] = (float)(m == RP_M_DB_COMPUTE ? v * g->unit : v);
    }
    in->idle = (float)(0.08 + 0.22 * rp_gen_rng_uniform(r));
    in->memfix = (float)(0.55 + 0.25 * rp_gen_rng_uniform(r));
    if (in->base[RP_M_DB_COMPUTE] >= 1.5 * g->unit)
        in->flags |= RP__GI_DED_DB;
    if (in->base[RP_M_CPU] >= 3.5)
        in->flags |= RP__GI_DED_COMPUTE;
    if (in->base[RP_M_SHARE_GB] >= 400.0)
        in->flags |= RP__GI_DED_STORAGE;
}

/* A local night (weekend mostly) converted to a UTC window of 2-4 hours. */
static void params_window(rp__gen_inst *in, rp_gen_rng *r)
{
    double u = rp_gen_rng_uniform(r), ud = rp_gen_rng_uniform(r);
    double uh = rp_gen_rng_uniform(r), ul = rp_gen_rng_uniform(r);
    if (u >= 0.40)
        return;
    int day = ud < 0.7 ? 5 + (int)(ud / 0.35) % 2 : (int)((ud - 0.7) / 0.3 * 5);
    int local = day * 24 + (int)(uh * 5);
    int utc = ((local - in->tz) % 168 + 168) % 168;
    in->win_day = (int8_t)(utc / 24);
    in->win_hour = (int8_t)(utc % 24);
    in->win_len = (int8_t)(2 + (int)(ul * 3));
}

static void params_status(const rp__gen *g, rp__gen_inst *in, rp_gen_rng *r)
{
    double uu = rp_gen_rng_uniform(r), us = rp_gen_rng_uniform(r);
    double up = rp_gen_rng_uniform(r), um = rp_gen_rng_uniform(r);
    double ud = rp_gen_rng_uniform(r);
    in->moved_days_ago = -1;
    if (uu < 0.02) {
        in->flags = RP__GI_UNPLACED;
        return;
    }
    if (us < g->o->load_fraction)
        in->flags |= RP__GI_SAMPLED;
    if (up < 0.02)
        in->flags |= RP__GI_PINNED;
    if (um < 0.05)
        in->moved_days_ago = (int16_t)(1 + (int)(ud * 13));
    else if (um < 0.30)
        in->moved_days_ago = (int16_t)(20 + (int)(ud * 680));
}

static void gen_params(rp__gen *g, size_t i)
{
    rp__gen_inst *in = &g->inst[i];
    rp_gen_rng r;
    rp_gen_rng_init(&r, g->o->seed, rp__gen_stream(i, RP__GEN_S_PARAMS, 0));
    double rw[3], pw[4];
    for (int k = 0; k < 3; k++)
        rw[k] = rp__gen_regions[k].weight;
    for (int k = 0; k < 4; k++)
        pw[k] = rp__gen_plans[k].weight;
    memset(in, 0, sizeof *in);
    in->region = (int8_t)pick(rw, g->o->regions, rp_gen_rng_uniform(&r));
    const rp__gen_region *reg = &rp__gen_regions[in->region];
    in->tz = (int8_t)reg->tz[pick(reg->tzw, 5, rp_gen_rng_uniform(&r))];
    in->plan = (int8_t)pick(pw, 4, rp_gen_rng_uniform(&r));
    in->shape = (int8_t)pick(shape_weights, RP_GEN_NSHAPES, rp_gen_rng_uniform(&r));
    in->heavy_day = (int8_t)(rp_gen_rng_uniform(&r) * 5);
    in->reef = -1;
    in->group = -1;
    params_size(g, in, &r);
    params_window(in, &r);
    params_status(g, in, &r);
}

static void gen_peaks(rp__gen *g)
{
    float *prof = rp_xmalloc(sizeof(float) * RP_NMETRICS * (size_t)g->slots);
    for (size_t i = 0; i < g->n; i++) {
        rp__gen_inst *in = &g->inst[i];
        if (in->flags & RP__GI_UNPLACED)
            continue;
        rp__gen_profile(g, i, prof);
        for (int m = 0; m < RP_NMETRICS; m++) {
            float mx = 0.0f;
            for (int t = 0; t < g->slots; t++)
                mx = fmaxf(mx, prof[m * g->slots + t]);
            in->peak[m] = mx;
        }
    }
    free(prof);
}

/* ---- packing: reefs filled in arrival order by sum of peaks ---- */

static const rp_vm_sku *gen_vm(const rp__gen *g)
{
    return &g->cat->vms[g->cat->templates[g->tmpl].node_vm];
}

static const rp_storage_sku *gen_storage(const rp__gen *g)
{
    return &g->cat->storage[g->cat->templates[g->tmpl].storage];
}

/* The pool a reef is filled towards: the largest of at most 32 vCores. */
static const rp_pool_sku *target_pool(const rp__gen *g)
{
    const rp_pool_sku *best = &g->cat->pools[0];
    for (size_t k = 0; k < g->cat->npools; k++) {
        const rp_pool_sku *p = &g->cat->pools[k];
        if (p->db_compute <= 32 * g->unit && p->db_compute > best->db_compute)
            best = p;
    }
    return best;
}

static rp__gen_reef *open_reef(rp__gen *g, rp_vec *reefs, int region, rp_gen_rng *r)
{
    const rp_pool_sku *tp = target_pool(g);
    const rp_vm_sku *vm = gen_vm(g);
    const rp_storage_sku *st = gen_storage(g);
    const double *h = rp__gen_headroom;
    int seq = 1;
    for (size_t k = 0; k < reefs->len; k++)
        seq += RP_VEC_AT(reefs, rp__gen_reef, k).region == region;
    rp__gen_reef nr = {.region = region, .seq = seq, .state = RP_REEF_ACTIVE};
    double fill = 0.55 + 0.40 * rp_gen_rng_uniform(r);
    double nodes = 6 + (int)(rp_gen_rng_uniform(r) * 10);
    nr.limit[RP_M_DB_COMPUTE] = fill * (1 - h[RP_M_DB_COMPUTE]) * tp->db_compute;
    nr.limit[RP_M_DB_STORAGE] = 0.9 * (1 - h[RP_M_DB_STORAGE]) * tp->max_storage_gb;
    nr.limit[RP_M_CPU] = nodes * vm->alloc_cpu * (1 - h[RP_M_CPU]);
    nr.limit[RP_M_MEMORY] = nodes * vm->alloc_memory_gb * (1 - h[RP_M_MEMORY]);
    nr.limit[RP_M_SHARE_GB] = 0.9 * (1 - h[RP_M_SHARE_GB]) * st->max_gb;
    nr.limit[RP_M_SHARE_IOPS] = 0.9 * (1 - h[RP_M_SHARE_IOPS]) * st->max_iops;
    return rp_vec_push(reefs, sizeof nr, &nr);
}

static bool reef_fits(const rp__gen *g, const rp__gen_reef *rf, const rp__gen_inst *in)
{
    int max_count = (int)(0.9 * RP__GEN_MAX_PER_REEF);
    int max_dbs = (int)(0.9 * target_pool(g)->max_dbs);
    if (rf->count + 1 > max_count || rf->ndb + 1 > max_dbs)
        return false;
    for (int m = 0; m < RP_NMETRICS; m++)
        if (!rp__gen_dedicated(in, m) && rf->sumpeak[m] + in->peak[m] > rf->limit[m])
            return false;
    return true;
}

static void reef_add(rp__gen_reef *rf, const rp__gen_inst *in)
{
    rf->count++;
    rf->ndb += !(in->flags & RP__GI_DED_DB);
    rf->ncompute += !(in->flags & RP__GI_DED_COMPUTE);
    for (int m = 0; m < RP_NMETRICS; m++)
        if (!rp__gen_dedicated(in, m))
            rf->sumpeak[m] += in->peak[m];
    if (!(in->flags & RP__GI_DED_DB))
        rf->maxdb = fmax(rf->maxdb, in->peak[RP_M_DB_COMPUTE]);
}

static void gen_pack(rp__gen *g, rp_gen_rng *r)
{
    rp_vec reefs = {0};
    for (int reg = 0; reg < g->o->regions; reg++) {
        long cur = -1;
        for (size_t i = 0; i < g->n; i++) {
            rp__gen_inst *in = &g->inst[i];
            if (in->region != reg || (in->flags & RP__GI_UNPLACED))
                continue;
            if (cur < 0 || !reef_fits(g, &RP_VEC_AT(&reefs, rp__gen_reef, cur), in)) {
                open_reef(g, &reefs, reg, r);
                cur = (long)reefs.len - 1;
            }
            in->reef = (int)cur;
            reef_add(&RP_VEC_AT(&reefs, rp__gen_reef, cur), in);
        }
    }
    g->reefs = reefs.data;
    g->nreefs = reefs.len;
}

/* ---- HA groups: 2-3 instances of a region, each in a different reef ---- */

static long pick_member(const rp__gen *g, const int *start, const int *members, int reef,
                        rp_gen_rng *r)
{
    int n = start[reef + 1] - start[reef];
    for (int tries = 0; tries < 4 && n > 0; tries++) {
        int i = members[start[reef] + (int)(rp_gen_rng_uniform(r) * n)];
        if (g->inst[i].group < 0)
            return i;
    }
    return -1;
}

static void group_region(rp__gen *g, int reg, const int *start, const int *members, rp_gen_rng *r)
{
    int first = -1, nr = 0, placed = 0;
    for (size_t k = 0; k < g->nreefs; k++)
        if (g->reefs[k].region == reg) {
            first = first < 0 ? (int)k : first;
            nr++;
            placed += g->reefs[k].count;
        }
    if (nr < 2)
        return;
    int target = (int)lround(0.05 * placed), grouped = 0;
    for (int attempt = 0; grouped < target && attempt < 10 * target + 10; attempt++) {
        int size = (nr >= 3 && rp_gen_rng_uniform(r) < 0.3) ? 3 : 2, reef[3];
        long mem[3];
        int ok = 1;
        for (int k = 0; k < size && ok; k++) {
            reef[k] = first + (int)(rp_gen_rng_uniform(r) * nr);
            for (int j = 0; j < k; j++)
                ok &= reef[j] != reef[k];
            mem[k] = ok ? pick_member(g, start, members, reef[k], r) : -1;
            ok &= mem[k] >= 0;
        }
        if (!ok)
            continue;
        for (int k = 0; k < size; k++)
            g->inst[mem[k]].group = g->ngroups;
        g->ngroups++;
        grouped += size;
    }
}

static void gen_groups(rp__gen *g, rp_gen_rng *r)
{
    int *start = rp_xcalloc(g->nreefs + 1, sizeof(int));
    int *members = rp_xmalloc(sizeof(int) * (g->n + 1));
    int *fill = rp_xcalloc(g->nreefs + 1, sizeof(int));
    for (size_t i = 0; i < g->n; i++)
        if (g->inst[i].reef >= 0)
            start[g->inst[i].reef + 1]++;
    for (size_t k = 0; k < g->nreefs; k++)
        start[k + 1] += start[k];
    for (size_t i = 0; i < g->n; i++) {
        int rf = g->inst[i].reef;
        if (rf >= 0)
            members[start[rf] + fill[rf]++] = (int)i;
    }
    for (int reg = 0; reg < g->o->regions; reg++)
        group_region(g, reg, start, members, r);
    free(start);
    free(members);
    free(fill);
}

/* ---- sizing: pool SKU and node count per reef ---- */

static bool pool_holds(const rp__gen *g, const rp_pool_sku *p, const rp__gen_reef *rf)
{
    const double *h = rp__gen_headroom;
    (void)g;
    return p->max_dbs >= rf->ndb && p->per_db_max >= rf->maxdb &&
           p->max_storage_gb * (1 - h[RP_M_DB_STORAGE]) >= rf->sumpeak[RP_M_DB_STORAGE];
}

static double slot_max(const rp__gen *g, size_t reef, int m)
{
    const double *s = g->slot_sum + (reef * RP_NMETRICS + (size_t)m) * (size_t)g->slots;
    double mx = 0.0;
    for (int t = 0; t < g->slots; t++)
        mx = fmax(mx, s[t]);
    return mx;
}

/* Cheapest pool covering the sum of peaks with slack (pools are sorted by price). */
static int size_pool(const rp__gen *g, const rp__gen_reef *rf, double slack)
{
    double need = rf->sumpeak[RP_M_DB_COMPUTE] * (1 + slack);
    for (size_t k = 0; k < g->cat->npools; k++) {
        const rp_pool_sku *p = &g->cat->pools[k];
        if (pool_holds(g, p, rf) && p->db_compute * (1 - rp__gen_headroom[0]) >= need)
            return (int)k;
    }
    int best = 0;
    for (size_t k = 1; k < g->cat->npools; k++)
        if (g->cat->pools[k].db_compute > g->cat->pools[best].db_compute)
            best = (int)k;
    return best;
}

static int size_nodes(const rp__gen *g, const rp__gen_reef *rf, double slack)
{
    const rp_template *t = &g->cat->templates[g->tmpl];
    const rp_vm_sku *vm = gen_vm(g);
    const double *h = rp__gen_headroom;
    double need = fmax(rf->sumpeak[RP_M_CPU] / (vm->alloc_cpu * (1 - h[RP_M_CPU])),
                       rf->sumpeak[RP_M_MEMORY] / (vm->alloc_memory_gb * (1 - h[RP_M_MEMORY])));
    int nodes = (int)ceil(need * (1 + slack) - 1e-9);
    int pods = (rf->ncompute + t->max_pods_per_node - 1) / t->max_pods_per_node;
    nodes = nodes > pods ? nodes : pods;
    return nodes > t->min_nodes ? nodes : t->min_nodes;
}

/* Largest pool still below the reef's hourly db peak (by at most 25%). */
static bool make_over_db(const rp__gen *g, size_t reef)
{
    rp__gen_reef *rf = &g->reefs[reef];
    double peak = slot_max(g, reef, RP_M_DB_COMPUTE), keep = 1 - rp__gen_headroom[0];
    int best = -1;
    for (size_t k = 0; k < g->cat->npools; k++) {
        const rp_pool_sku *p = &g->cat->pools[k];
        double cap = p->db_compute * keep;
        if (!pool_holds(g, p, rf) || cap >= peak || cap < 0.75 * peak)
            continue;
        if (best < 0 || p->db_compute > g->cat->pools[best].db_compute)
            best = (int)k;
    }
    if (best < 0)
        return false;
    rf->pool = best;
    return true;
}

static bool make_over_cpu(const rp__gen *g, size_t reef)
{
    rp__gen_reef *rf = &g->reefs[reef];
    const rp_template *t = &g->cat->templates[g->tmpl];
    const rp_vm_sku *vm = gen_vm(g);
    double per = vm->alloc_cpu * (1 - rp__gen_headroom[RP_M_CPU]);
    double per_mem = vm->alloc_memory_gb * (1 - rp__gen_headroom[RP_M_MEMORY]);
    int nodes = (int)ceil(slot_max(g, reef, RP_M_CPU) / per) - 1;
    int pods = (rf->ncompute + t->max_pods_per_node - 1) / t->max_pods_per_node;
    /* over in cpu at its busy hours only: memory must still fit */
    int mem = (int)ceil(slot_max(g, reef, RP_M_MEMORY) / per_mem);
    if (nodes < t->min_nodes || nodes < pods || nodes < mem || nodes >= rf->nodes)
        return false;
    rf->nodes = nodes;
    return true;
}

static bool make_over(const rp__gen *g, size_t reef, bool cpu_first)
{
    bool ok = cpu_first ? make_over_cpu(g, reef) || make_over_db(g, reef)
                        : make_over_db(g, reef) || make_over_cpu(g, reef);
    g->reefs[reef].over = ok;
    return ok;
}

static void gen_size(rp__gen *g, rp_gen_rng *r)
{
    size_t nover = 0;
    for (size_t k = 0; k < g->nreefs; k++) {
        rp__gen_reef *rf = &g->reefs[k];
        double slack = 0.20 * rp_gen_rng_uniform(r);
        rf->pool = size_pool(g, rf, slack);
        rf->nodes = size_nodes(g, rf, slack);
        double u = rp_gen_rng_uniform(r), uc = rp_gen_rng_uniform(r);
        if (u < 0.10)
            nover += make_over(g, k, uc < 0.5);
    }
    for (size_t k = 0; nover == 0 && g->nreefs >= 3 && k < g->nreefs; k++)
        nover += make_over(g, k, false);
}

/* ---- reef states: one draining and one broken reef ---- */

static long smallest_reef(const rp__gen *g, int region)
{
    long best = -1;
    int nr = 0;
    for (size_t k = 0; k < g->nreefs; k++) {
        const rp__gen_reef *rf = &g->reefs[k];
        if (rf->region != region)
            continue;
        nr++;
        if (rf->over || rf->state != RP_REEF_ACTIVE)
            continue;
        if (best < 0 || rf->count < g->reefs[best].count)
            best = (long)k;
    }
    return nr >= 3 ? best : -1;
}

static void gen_states(rp__gen *g)
{
    int on = g->o->states < 0 ? g->n >= 1000 : g->o->states;
    if (!on)
        return;
    long d = smallest_reef(g, 0);
    if (d >= 0)
        g->reefs[d].state = RP_REEF_DRAINING;
    long b = smallest_reef(g, g->o->regions - 1);
    if (b >= 0)
        g->reefs[b].state = RP_REEF_BROKEN;
}

static int validate(const rp_gen_opts *o, rp_error *err)
{
    if (o->instances < 1 || o->instances > 1000000)
        return rp_error_set(err, RP_EUSAGE, NULL, 0, 0, "instances: %ld is not in [1, 1000000]",
                            o->instances);
    if (o->regions < 1 || o->regions > 3)
        return rp_error_set(err, RP_EUSAGE, NULL, 0, 0, "regions: %d is not in [1, 3]", o->regions);
    if (o->slots != 24 && o->slots != 168)
        return rp_error_set(err, RP_EUSAGE, NULL, 0, 0, "slots: %d is not 24 or 168", o->slots);
    if (!(o->load_fraction >= 0.0 && o->load_fraction <= 1.0))
        return rp_error_set(err, RP_EUSAGE, NULL, 0, 0, "load_fraction: %g is not in [0, 1]",
                            o->load_fraction);
    return 0;
}

static int setup(rp__gen *g, const rp_gen_opts *o, const rp_catalog *cat, const char *ref,
                 rp_error *err)
{
    memset(g, 0, sizeof *g);
    g->o = o;
    g->cat = cat;
    g->catalog_ref = ref;
    g->slots = o->slots;
    g->n = (size_t)o->instances;
    g->unit = strcasecmp(cat->db_compute_unit, "vcore") ? 100.0 : 1.0;
    g->now_day = rp__gen_days_from_civil(RP__GEN_NOW_Y, RP__GEN_NOW_M, RP__GEN_NOW_D);
    g->move_budget = o->instances / 100 > 40 ? (int)(o->instances / 100) : 40;
    g->tmpl = rp_catalog_template(cat, "standard");
    if (g->tmpl < 0)
        g->tmpl = 0;
    if (!cat->ntemplates || !cat->npools || !cat->nvms || !cat->nstorage)
        return rp_error_set(err, RP_EINVALID, cat->name, 0, 0,
                            "catalog has no template, pool, node VM or storage SKU");
    return 0;
}

static int build(rp__gen *g, const char *tmp, rp_error *err)
{
    rp_gen_rng r;
    rp_gen_rng_init(&r, g->o->seed, RP__GEN_GLOBAL_STREAM);
    g->inst = rp_xmalloc(sizeof *g->inst * g->n);
    for (size_t i = 0; i < g->n; i++)
        gen_params(g, i);
    gen_peaks(g);
    gen_pack(g, &r);
    gen_groups(g, &r);
    rp_log(RP_LOG_INFO, "generate: %zu instances in %zu reefs, %d groups", g->n, g->nreefs,
           g->ngroups);
    g->slot_sum = rp_xcalloc(g->nreefs * RP_NMETRICS * (size_t)g->slots + 1, sizeof(double));
    int rc = rp__gen_write_data(g, tmp, err);
    if (rc < 0)
        return rc;
    gen_size(g, &r);
    gen_states(g);
    rc = rp__gen_write_fleet(g, tmp, err);
    return rc < 0 ? rc : rp__gen_write_instances(g, tmp, err);
}

int rp_generate_with_catalog(const rp_gen_opts *o, const rp_catalog *cat, const char *catalog_ref,
                             const char *outdir, rp_error *err)
{
    rp__gen g;
    int rc = validate(o, err);
    char *tmp = NULL;
    if (rc < 0 || (rc = setup(&g, o, cat, catalog_ref, err)) < 0 ||
        (rc = rp_outdir_stage(outdir, &tmp, err)) < 0)
        return rc;
    rc = build(&g, tmp, err);
    if (rc == 0)
        rc = rp_outdir_commit(tmp, outdir, err);
    else
        rp_outdir_discard(tmp);
    free(g.inst);
    free(g.reefs);
    free(g.slot_sum);
    return rc;
}

/* fleet.json names the catalog as the user did when it is a models/ name,
 * else by absolute path (a relative one would resolve against the fleet). */
static char *catalog_ref(const char *name, const char *path)
{
    if (!strchr(name, '/') && !strstr(name, ".json"))
        return rp_xstrdup(name);
    char *abs = realpath(path, NULL);
    return abs ? abs : rp_xstrdup(path);
}

int rp_generate(const rp_gen_opts *o, const char *outdir, rp_error *err)
{
    int rc = validate(o, err);
    if (rc < 0)
        return rc;
    const char *name = o->catalog ? o->catalog : "azure-vcore";
    char *path = rp_catalog_resolve(name, ".");
    rp_catalog *cat = NULL;
    rc = rp_catalog_load(path, &cat, err);
    if (rc == RP_EIO) /* a missing catalog is bad input, not a failed write */
        rc = RP_EINVALID;
    if (rc == 0) {
        char *ref = catalog_ref(name, path);
        rc = rp_generate_with_catalog(o, cat, ref, outdir, err);
        free(ref);
    }
    rp_catalog_free(cat);
    free(path);
    return rc;
}

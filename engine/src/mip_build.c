/* mip_build.c - columns and rows of the rebalance MIP (see mip.h for the
 * model). Every value handed to GLPK is checked or derived here first:
 * GLPK aborts the process on a bad argument (a duplicate index in a row, an
 * index out of range), so rows are assembled in a scratch buffer that holds
 * each column at most once, and zero coefficients are dropped. */
#include "mip_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Capacity coefficients carry rp_fits' relative slack, so a load exactly at
 * a limit is feasible in the model as it is in the checks. */
#define SLACK (1.0 + RP_EPS)

static double keep(const rp_fleet *f, int m)
{
    return 1.0 - f->set.headroom[m];
}

bool rp__mip_cooldown(const rp_fleet *f, size_t i)
{
    int64_t lm = f->inst[i].last_moved;
    return lm != RP_NO_TIME && f->set.now - lm < (int64_t)f->set.move_cooldown_days * 86400;
}

static bool orig_broken(const rp_fleet *f, size_t i)
{
    int r = f->inst[i].reef;
    return r >= 0 && f->reefs[r].state == RP_REEF_BROKEN;
}

/* Rule 10: a pinned or cooling-down instance keeps its reef (unless the
 * reef is broken); a pinned one keeps its tiers too. */
static bool movable(const rp_fleet *f, size_t i)
{
    const rp_instance *in = &f->inst[i];
    return in->reef < 0 || orig_broken(f, i) || (!in->pinned && !rp__mip_cooldown(f, i));
}

double rp__mip_drain_pen(const rp__mip *m, size_t i, int r)
{
    if (m->relax) /* a plan may leave them once the budget is spent */
        return 0.0;
    bool draining = r >= 0 && m->r[r].state == RP_REEF_DRAINING;
    return draining && movable(m->f, i) ? RP_MIP_PEN_DRAIN : 0.0;
}

static bool tiers_fixed(const rp_fleet *f, size_t i)
{
    return f->inst[i].reef >= 0 && !orig_broken(f, i) && f->inst[i].pinned;
}

/* ---- the reefs ---------------------------------------------------------- */

/* New reefs a plan may open in region g: max_reefs less its active and
 * closed reefs (draining and broken ones count until deleted, so this is
 * at least as many). */
static long region_room(const rp_fleet *f, size_t g)
{
    long stay = 0;
    for (size_t k = 0; k < f->nreefs; k++)
        stay += f->reefs[k].region == (int)g &&
                (f->reefs[k].state == RP_REEF_ACTIVE || f->reefs[k].state == RP_REEF_CLOSED);
    return f->regions[g].max_reefs - stay;
}

/* New reefs the model offers in region g, which holds n instances. */
static long region_offer(const rp_fleet *f, size_t g, size_t n)
{
    long room = region_room(f, g), need = (long)((n + 19) / 20) + 2;
    return room > need ? need : room;
}

static size_t *region_counts(const rp_fleet *f)
{
    size_t *count = rp_xcalloc(f->nregions + 1, sizeof(size_t));
    for (size_t i = 0; i < f->ninst; i++)
        count[f->inst[i].region]++;
    return count;
}

size_t rp_mip_reefs(const rp_fleet *f, rp_mip_reef **out)
{
    rp_vec v = {0};
    size_t *count = region_counts(f);
    for (size_t k = 0; k < f->nreefs; k++) {
        rp_mip_reef x = {(int)k, f->reefs[k].region, f->reefs[k].template_idx, false, -1, 0};
        RP_VEC_PUSH(&v, rp_mip_reef, x);
    }
    for (size_t g = 0; g < f->nregions; g++) {
        long offer = region_offer(f, g, count[g]);
        for (long k = 0; k < offer; k++) {
            rp_mip_reef x = {-1, (int)g, f->regions[g].template_idx, false, -1, 0};
            RP_VEC_PUSH(&v, rp_mip_reef, x);
        }
    }
    free(count);
    *out = v.data;
    return v.len;
}

bool rp_mip_reefs_complete(const rp_fleet *f)
{
    size_t *count = region_counts(f);
    bool all = true;
    for (size_t g = 0; g < f->nregions && all; g++)
        all = region_offer(f, g, count[g]) >= region_room(f, g);
    free(count);
    return all;
}

/* ---- columns, rows, objective -------------------------------------------- */

static int add_col(rp__mip *m, int kind, double lb, double ub, double cost, const char *name)
{
    int j = glp_add_cols(m->lp, 1);
    glp_set_col_name(m->lp, j, name);
    glp_set_col_kind(m->lp, j, kind);
    if (kind != GLP_BV || lb != 0 || ub != 1)
        glp_set_col_bnds(m->lp, j, lb == ub ? GLP_FX : GLP_DB, lb, ub);
    if ((size_t)j >= m->obj_cap) {
        size_t cap = m->obj_cap ? m->obj_cap * 2 : 1024;
        m->obj = rp_xreallocarray(m->obj, cap, sizeof(double));
        memset(m->obj + m->obj_cap, 0, (cap - m->obj_cap) * sizeof(double));
        m->obj_cap = cap;
    }
    m->obj[j] = cost;
    return j;
}

static void row_add(rp__mip *m, int col, double v)
{
    if (col <= 0 || v == 0)
        return;
    if (m->rlen + 2 > m->rcap) {
        m->rcap = m->rcap ? m->rcap * 2 : 1024;
        m->ind = rp_xreallocarray(m->ind, (size_t)m->rcap, sizeof(int));
        m->val = rp_xreallocarray(m->val, (size_t)m->rcap, sizeof(double));
    }
    m->rlen++;
    m->ind[m->rlen] = col;
    m->val[m->rlen] = v;
}

/* a * (1 when tier k of the pair is shared). */
static void row_shared(rp__mip *m, const rp__mpair *p, int k, double a)
{
    if (p->scol[k] > 0)
        row_add(m, p->scol[k], a);
    else if (p->scol[k] == RP__S_Z)
        row_add(m, p->zcol, a);
}

/* a * (1 when tier k of the pair is dedicated) = a * (z - s). */
static void row_ded(rp__mip *m, const rp__mpair *p, int k, double a)
{
    if (p->scol[k] == RP__S_Z)
        return;
    row_add(m, p->zcol, a);
    if (p->scol[k] > 0)
        row_add(m, p->scol[k], -a);
}

/* Ends the row being assembled: type GLP_UP (<= hi), GLP_LO (>= lo) or
 * GLP_FX. An empty row is dropped. */
static void row_end(rp__mip *m, int type, double lo, double hi, const char *name)
{
    if (m->rlen == 0)
        return;
    int i = glp_add_rows(m->lp, 1);
    glp_set_row_name(m->lp, i, name);
    glp_set_row_bnds(m->lp, i, type, lo, hi);
    glp_set_mat_row(m->lp, i, m->rlen, m->ind, m->val);
    m->nnz += m->rlen;
    m->rlen = 0;
}

static void obj_shared(rp__mip *m, const rp__mpair *p, int k, double a)
{
    if (p->scol[k] > 0)
        m->obj[p->scol[k]] += a;
    else if (p->scol[k] == RP__S_Z)
        m->obj[p->zcol] += a;
}

static void obj_ded(rp__mip *m, const rp__mpair *p, int k, double a)
{
    if (p->scol[k] == RP__S_Z)
        return;
    m->obj[p->zcol] += a;
    if (p->scol[k] > 0)
        m->obj[p->scol[k]] -= a;
}

static rp__mpair *pair_at(const rp__mip *m, size_t k)
{
    return &RP_VEC_AT(&m->pairs, rp__mpair, k);
}

/* ---- fixed instances (subset mode) ----------------------------------------- */

/* Move and tier-change terms of instance i at reef r with tiers. */
static double inst_terms(const rp_fleet *f, size_t i, int r, const uint8_t tier[RP_NTIERS])
{
    int orig = f->inst[i].reef;
    if (r < 0 || orig < 0)
        return 0;
    if (r != orig)
        return f->plans[f->inst[i].plan].move_cost;
    int changes = 0;
    for (int k = 0; k < RP_NTIERS; k++)
        changes += tier[k] != f->inst[i].tier[k];
    return changes * f->set.tier_change_cost;
}

static void add_fixed(rp__mip *m, size_t i)
{
    const rp_fleet *f = m->f;
    const rp_mip_place *b = &m->base[i];
    int orig = f->inst[i].reef;
    if (b->reef >= 0 && orig >= 0 && b->reef != orig && !orig_broken(f, i))
        m->fixed_moves++;
    if (b->reef < 0 || !m->r[b->reef].cand)
        return;
    rp__mreef *x = &m->r[b->reef];
    int t = x->info.template_idx;
    rp_ded d;
    rp_ded_fill_or_largest(f, i, t, b->tier, &d);
    rp_use_add(&x->fixed, f, i, t, b->tier, &d, +1);
    m->constant += rp_ded_cost(f, t, b->tier, &d) + inst_terms(f, i, b->reef, b->tier);
    if (b->tier[RP_TIER_STORAGE] == RP_SHARED)
        m->constant += f->cat->storage[f->cat->templates[t].storage].price_per_gb *
                       rp_fleet_peak(f, i, RP_M_SHARE_GB);
    m->constant_pen += rp__mip_drain_pen(m, i, b->reef);
}

/* ---- reef columns ----------------------------------------------------------- */

static void reef_cols(rp__mip *m, size_t r)
{
    const rp_catalog *c = m->f->cat;
    rp__mreef *x = &m->r[r];
    const rp_template *t = &c->templates[x->info.template_idx];
    char name[64];
    bool held = x->fixed.n > 0;
    snprintf(name, sizeof name, "o_%zu", r);
    x->ocol = add_col(m, GLP_BV, held ? 1 : 0, 1, t->fixed_cost, name);
    snprintf(name, sizeof name, "N_%zu", r);
    x->ncol = add_col(m, GLP_IV, 0, t->max_nodes, c->vms[t->node_vm].price, name);
    for (size_t k = 0; k < c->npools; k++) {
        snprintf(name, sizeof name, "y_%zu_%zu", r, k);
        int j = add_col(m, GLP_BV, 0, x->fixed.over_per_db[k] > 0 ? 0 : 1, c->pools[k].price, name);
        if (k == 0)
            x->ycol = j;
    }
}

/* ---- pairs ------------------------------------------------------------------ */

/* Does a group mate of instance i start in reef r? Then i has no pair
 * there, unless it starts there too: mates never trade reefs, two or around
 * a cycle (mip.h). The search's rp__group_ok draws the same line. */
static bool mate_starts_in(const rp__mip *m, size_t i, int r)
{
    int g = m->f->inst[i].group;
    if (g < 0)
        return false;
    for (size_t k = m->gstart[g]; k < m->gstart[g + 1]; k++)
        if ((size_t)m->gmem[k] != i && m->f->inst[m->gmem[k]].reef == r)
            return true;
    return false;
}

static bool pair_allowed(const rp__mip *m, size_t i, size_t r)
{
    const rp_fleet *f = m->f;
    const rp__mreef *x = &m->r[r];
    int orig = f->inst[i].reef;
    if (!x->cand || x->info.region != f->inst[i].region || x->state == RP_REEF_BROKEN)
        return false;
    bool home = orig == (int)r;
    if (!home && (x->state != RP_REEF_ACTIVE || (orig >= 0 && !movable(f, i))))
        return false;
    /* The relaxation lets mates go where the others start: a plan may
     * order such moves, mate out first (it still keeps them apart). */
    return home || m->relax || !mate_starts_in(m, i, (int)r);
}

/* Decides how each tier is modelled; false when the pinned tiers cannot be
 * sized at this reef (rule 8). */
static bool pair_tiers(const rp__mip *m, size_t i, int tmpl, rp__mpair *p)
{
    const rp_fleet *f = m->f;
    p->ded[RP_TIER_DB] = rp_size_ded_db(f, i);
    p->ded[RP_TIER_COMPUTE] = rp_size_ded_nodes(f, i, tmpl);
    p->ded[RP_TIER_STORAGE] = rp_size_ded_share(f, i, tmpl);
    bool fixed = tiers_fixed(f, i);
    for (int k = 0; k < RP_NTIERS; k++) {
        if (!fixed)
            p->scol[k] = p->ded[k] >= 0 ? 1 : RP__S_Z; /* 1: a column, made later */
        else if (f->inst[i].tier[k] == RP_SHARED)
            p->scol[k] = RP__S_Z;
        else if (p->ded[k] < 0)
            return false;
        else
            p->scol[k] = RP__S_ZERO;
    }
    return true;
}

static void pair_objective(rp__mip *m, const rp__mpair *p)
{
    const rp_fleet *f = m->f;
    const rp_instance *in = &f->inst[p->inst];
    const rp__mreef *x = &m->r[p->reef];
    int tmpl = x->info.template_idx;
    if (in->reef >= 0 && p->reef != in->reef)
        m->obj[p->zcol] += f->plans[in->plan].move_cost;
    m->obj[p->zcol] += rp__mip_drain_pen(m, (size_t)p->inst, p->reef);
    for (int k = 0; k < RP_NTIERS; k++)
        if (p->ded[k] >= 0)
            obj_ded(m, p, k, rp_ded_price(f, k, tmpl, p->ded[k]));
    double gb = f->cat->storage[f->cat->templates[tmpl].storage].price_per_gb;
    obj_shared(m, p, RP_TIER_STORAGE, gb * rp_fleet_peak(f, p->inst, RP_M_SHARE_GB));
    if (in->reef < 0 || p->reef != in->reef)
        return;
    for (int k = 0; k < RP_NTIERS; k++) {
        if (in->tier[k] == RP_SHARED)
            obj_ded(m, p, k, f->set.tier_change_cost);
        else
            obj_shared(m, p, k, f->set.tier_change_cost);
    }
}

static void pair_cols(rp__mip *m, rp__mpair *p)
{
    char name[64];
    snprintf(name, sizeof name, "z_%d_%d", p->inst, p->reef);
    p->zcol = add_col(m, GLP_BV, 0, 1, 0, name);
    for (int k = 0; k < RP_NTIERS; k++) {
        if (p->scol[k] <= 0)
            continue;
        snprintf(name, sizeof name, "s_%d_%d_%c", p->inst, p->reef, "dcs"[k]);
        p->scol[k] = add_col(m, GLP_BV, 0, 1, 0, name);
    }
}

static void make_pairs(rp__mip *m)
{
    const rp_fleet *f = m->f;
    m->first = rp_xcalloc(f->ninst + 1, sizeof(size_t));
    for (size_t i = 0; i < f->ninst; i++) {
        m->first[i] = m->pairs.len;
        if (!m->is_free[i])
            continue;
        for (size_t r = 0; r < m->nr; r++) {
            rp__mpair p = {.inst = (int)i, .reef = (int)r};
            if (!pair_allowed(m, i, r) || !pair_tiers(m, i, m->r[r].info.template_idx, &p))
                continue;
            pair_cols(m, &p);
            pair_objective(m, &p);
            RP_VEC_PUSH(&m->pairs, rp__mpair, p);
            RP_VEC_PUSH(&m->r[r].pairs, int, (int)m->pairs.len - 1);
        }
    }
    m->first[f->ninst] = m->pairs.len;
}

/* ---- instance rows ----------------------------------------------------------- */

static void instance_rows(rp__mip *m)
{
    char name[64];
    for (size_t i = 0; i < m->f->ninst; i++) {
        if (!m->is_free[i])
            continue;
        if (m->first[i] == m->first[i + 1]) {
            m->constant_pen += RP_MIP_PEN_UNPLACED; /* no allowed reef at all */
            continue;
        }
        /* Only an instance with no reef to stay in (new, or in a broken
         * reef) may be left unplaced, as in a plan: any other is placed. */
        int home = m->f->inst[i].reef;
        if (home < 0 || m->f->reefs[home].state == RP_REEF_BROKEN) {
            snprintf(name, sizeof name, "u_%zu", i);
            m->ucol[i] = add_col(m, GLP_CV, 0, 1, RP_MIP_PEN_UNPLACED, name);
        }
        for (size_t k = m->first[i]; k < m->first[i + 1]; k++)
            row_add(m, pair_at(m, k)->zcol, 1);
        if (m->ucol[i] > 0)
            row_add(m, m->ucol[i], 1);
        snprintf(name, sizeof name, "assign_%zu", i);
        row_end(m, GLP_FX, 1, 1, name);
        for (size_t k = m->first[i]; k < m->first[i + 1]; k++) {
            const rp__mpair *p = pair_at(m, k);
            for (int t = 0; t < RP_NTIERS; t++) {
                if (p->scol[t] <= 0)
                    continue;
                row_add(m, p->scol[t], 1);
                row_add(m, p->zcol, -1);
                snprintf(name, sizeof name, "sz_%zu_%d_%d", i, p->reef, t);
                row_end(m, GLP_UP, 0, 0, name);
            }
        }
    }
}

/* ---- reef rows ---------------------------------------------------------------- */

/* Capacity terms of metric m at reef r: coefficient per size variable. */
static void cap_terms(rp__mip *m, size_t r, int met, double *min_cap)
{
    const rp_fleet *f = m->f;
    const rp__mreef *x = &m->r[r];
    const rp_template *t = &f->cat->templates[x->info.template_idx];
    const rp_vm_sku *vm = &f->cat->vms[t->node_vm];
    const rp_storage_sku *st = &f->cat->storage[t->storage];
    double k = keep(f, met) * SLACK;
    *min_cap = INFINITY;
    if (met == RP_M_DB_COMPUTE || met == RP_M_DB_STORAGE) {
        for (size_t p = 0; p < f->cat->npools; p++) {
            const rp_pool_sku *s = &f->cat->pools[p];
            double cap = (met == RP_M_DB_COMPUTE ? s->db_compute : s->max_storage_gb) * k;
            row_add(m, x->ycol + (int)p, -cap);
            if (x->fixed.over_per_db[p] == 0)
                *min_cap = fmin(*min_cap, cap);
        }
    } else if (met == RP_M_CPU || met == RP_M_MEMORY) {
        double cap = (met == RP_M_CPU ? vm->alloc_cpu : vm->alloc_memory_gb) * k;
        row_add(m, x->ncol, -cap);
        *min_cap = cap * t->min_nodes;
    } else {
        double cap = (met == RP_M_SHARE_GB ? st->max_gb : st->max_iops) * k;
        row_add(m, x->ocol, -cap);
        *min_cap = cap;
    }
}

/* Rules 1, 2, 4 (cpu, memory) and 6 at every slot; a row is left out when
 * the whole load that could be there fits the smallest size. */
static void capacity_rows(rp__mip *m, size_t r)
{
    const rp_fleet *f = m->f;
    const rp__mreef *x = &m->r[r];
    const int *pr = x->pairs.data;
    size_t np = x->pairs.len;
    char name[64];
    for (int met = 0; met < RP_NMETRICS; met++) {
        int tier = rp_metric_tier[met];
        for (int t = 0; t < f->set.slots; t++) {
            double fixed = x->fixed.sum[(size_t)met * (size_t)f->set.slots + (size_t)t];
            double most = fixed;
            for (size_t k = 0; k < np; k++) {
                const rp__mpair *p = pair_at(m, (size_t)pr[k]);
                double l = rp_fleet_profile(f, (size_t)p->inst, met)[t];
                if (p->scol[tier] != RP__S_ZERO && l > 0) {
                    row_shared(m, p, tier, l);
                    most += l;
                }
            }
            double min_cap;
            cap_terms(m, r, met, &min_cap);
            if (most <= min_cap) {
                m->rlen = 0;
                continue;
            }
            snprintf(name, sizeof name, "cap_%zu_%d_%d", r, met, t);
            row_end(m, GLP_UP, 0, -fixed, name);
        }
    }
}

static int min_max_dbs(const rp__mip *m, size_t r)
{
    int lo = 1 << 30;
    for (size_t k = 0; k < m->f->cat->npools; k++)
        if (m->r[r].fixed.over_per_db[k] == 0 && m->f->cat->pools[k].max_dbs < lo)
            lo = m->f->cat->pools[k].max_dbs;
    return lo;
}

/* Rule 3 count, pods, min and max nodes, instance count. */
static void count_rows(rp__mip *m, size_t r)
{
    const rp_fleet *f = m->f;
    const rp__mreef *x = &m->r[r];
    const rp_template *t = &f->cat->templates[x->info.template_idx];
    const int *pr = x->pairs.data;
    size_t np = x->pairs.len;
    char name[64];
    long most = (long)np + x->fixed.n;
    if (most > min_max_dbs(m, r)) {
        for (size_t k = 0; k < np; k++)
            row_shared(m, pair_at(m, (size_t)pr[k]), RP_TIER_DB, 1);
        for (size_t k = 0; k < f->cat->npools; k++)
            row_add(m, x->ycol + (int)k, -f->cat->pools[k].max_dbs);
        snprintf(name, sizeof name, "dbs_%zu", r);
        row_end(m, GLP_UP, 0, -x->fixed.n_shared[RP_TIER_DB], name);
    }
    if (most > (long)t->max_pods_per_node * t->min_nodes) {
        for (size_t k = 0; k < np; k++)
            row_shared(m, pair_at(m, (size_t)pr[k]), RP_TIER_COMPUTE, 1);
        row_add(m, x->ncol, -t->max_pods_per_node);
        snprintf(name, sizeof name, "pods_%zu", r);
        row_end(m, GLP_UP, 0, -x->fixed.n_shared[RP_TIER_COMPUTE], name);
    }
    row_add(m, x->ncol, 1);
    row_add(m, x->ocol, -t->min_nodes);
    snprintf(name, sizeof name, "minN_%zu", r);
    row_end(m, GLP_LO, 0, 0, name);
    row_add(m, x->ncol, 1);
    for (size_t k = 0; k < np; k++) {
        const rp__mpair *p = pair_at(m, (size_t)pr[k]);
        if (p->ded[RP_TIER_COMPUTE] > 0)
            row_ded(m, p, RP_TIER_COMPUTE, p->ded[RP_TIER_COMPUTE]);
    }
    row_add(m, x->ocol, -t->max_nodes);
    snprintf(name, sizeof name, "maxN_%zu", r);
    row_end(m, GLP_UP, 0, -x->fixed.ded_nodes, name);
    if (most > f->set.max_instances_per_reef) {
        for (size_t k = 0; k < np; k++)
            row_add(m, pair_at(m, (size_t)pr[k])->zcol, 1);
        row_add(m, x->ocol, -f->set.max_instances_per_reef);
        snprintf(name, sizeof name, "count_%zu", r);
        row_end(m, GLP_UP, 0, -x->fixed.n, name);
    }
}

/* One pool per open reef, z <= o, and rule 3 per db: s_db + y_k <= 1. */
static void link_rows(rp__mip *m, size_t r)
{
    const rp_fleet *f = m->f;
    const rp__mreef *x = &m->r[r];
    char name[64];
    for (size_t k = 0; k < f->cat->npools; k++)
        row_add(m, x->ycol + (int)k, 1);
    row_add(m, x->ocol, -1);
    snprintf(name, sizeof name, "pool_%zu", r);
    row_end(m, GLP_FX, 0, 0, name);
    for (size_t q = 0; q < x->pairs.len; q++) {
        const rp__mpair *p = pair_at(m, (size_t)((const int *)x->pairs.data)[q]);
        row_add(m, p->zcol, 1);
        row_add(m, x->ocol, -1);
        snprintf(name, sizeof name, "open_%d_%zu", p->inst, r);
        row_end(m, GLP_UP, 0, 0, name);
        if (p->scol[RP_TIER_DB] == RP__S_ZERO)
            continue;
        double pk = rp_fleet_peak(f, (size_t)p->inst, RP_M_DB_COMPUTE);
        for (size_t k = 0; k < f->cat->npools; k++) {
            if (rp_fits(pk, f->cat->pools[k].per_db_max) || x->fixed.over_per_db[k] > 0)
                continue;
            row_shared(m, p, RP_TIER_DB, 1);
            row_add(m, x->ycol + (int)k, 1);
            snprintf(name, sizeof name, "perdb_%d_%zu_%zu", p->inst, r, k);
            row_end(m, GLP_UP, 0, 1, name);
        }
    }
}

/* ---- fleet-wide rows ---------------------------------------------------------- */

typedef struct gmark {
    int reef, zcol; /* zcol 0: a fixed member */
} gmark;

static int cmp_gmark(const void *a, const void *b)
{
    const gmark *x = a, *y = b;
    return (x->reef > y->reef) - (x->reef < y->reef);
}

static void group_member(const rp__mip *m, size_t i, rp_vec *marks)
{
    if (!m->is_free[i]) {
        if (m->base[i].reef >= 0 && m->r[m->base[i].reef].cand)
            RP_VEC_PUSH(marks, gmark, ((gmark){m->base[i].reef, 0}));
        return;
    }
    for (size_t k = m->first[i]; k < m->first[i + 1]; k++)
        RP_VEC_PUSH(marks, gmark, ((gmark){pair_at(m, k)->reef, pair_at(m, k)->zcol}));
}

/* Rule 7: members of a group in distinct reefs. */
static void group_rows(rp__mip *m)
{
    rp_vec marks = {0};
    char name[64];
    for (size_t g = 0; g < m->f->ngroups; g++) {
        marks.len = 0;
        for (size_t k = m->gstart[g]; k < m->gstart[g + 1]; k++)
            group_member(m, (size_t)m->gmem[k], &marks);
        gmark *a = marks.data;
        if (marks.len > 1) /* qsort wants a non-null array even when empty */
            qsort(a, marks.len, sizeof(gmark), cmp_gmark);
        for (size_t lo = 0, hi; lo < marks.len; lo = hi) {
            int fixed = 0;
            for (hi = lo; hi < marks.len && a[hi].reef == a[lo].reef; hi++) {
                fixed += a[hi].zcol == 0;
                row_add(m, a[hi].zcol, 1);
            }
            double rhs = fixed >= 1 ? 0 : 1;
            if (m->rlen >= 2 || (m->rlen >= 1 && rhs == 0)) {
                snprintf(name, sizeof name, "group_%zu_%d", g, a[lo].reef);
                row_end(m, GLP_UP, 0, rhs, name);
            }
            m->rlen = 0;
        }
    }
    rp_vec_free(&marks);
}

/* Rule 10: moves counted by the budget (not out of broken reefs). */
static void budget_row(rp__mip *m)
{
    if (m->budget < 0)
        return;
    for (size_t k = 0; k < m->pairs.len; k++) {
        const rp__mpair *p = pair_at(m, k);
        int orig = m->f->inst[p->inst].reef;
        if (orig >= 0 && p->reef != orig && !orig_broken(m->f, (size_t)p->inst))
            row_add(m, p->zcol, 1);
    }
    double rhs = m->budget - m->fixed_moves;
    row_end(m, GLP_UP, 0, rhs < 0 ? 0 : rhs, "move_budget");
}

/* max_reefs per region once a reef is created (verify's rule), and the
 * candidate new reefs opened in order. */
static void region_rows(rp__mip *m, size_t g)
{
    int fixed_open = 0, cand_old = 0, max = m->f->regions[g].max_reefs;
    bool fixed_new = false;
    rp_vec news = {0};
    for (size_t r = 0; r < m->nr; r++) {
        const rp__mreef *x = &m->r[r];
        if (x->info.region != (int)g)
            continue;
        if (x->cand && x->info.fleet_reef < 0)
            RP_VEC_PUSH(&news, int, (int)r);
        else if (x->cand)
            cand_old++;
        if (!x->cand && x->fixed.n > 0) {
            fixed_open++;
            fixed_new |= x->info.fleet_reef < 0;
        }
    }
    int excess = cand_old + fixed_open - max;
    excess = excess < 0 || fixed_new ? 0 : excess;
    char name[64];
    const int *nw = news.data;
    for (size_t k = 0; k < news.len && (excess > 0 || k == 0); k++) {
        for (size_t r = 0; r < m->nr; r++)
            if (m->r[r].cand && m->r[r].info.region == (int)g)
                row_add(m, m->r[r].ocol, r == (size_t)nw[k] ? 1.0 + excess : 1.0);
        snprintf(name, sizeof name, "maxreefs_%zu_%zu", g, k);
        row_end(m, GLP_UP, 0, max - fixed_open + excess, name);
    }
    for (size_t k = 0; k + 1 < news.len; k++) {
        if (m->r[nw[k]].fixed.n > 0 || m->r[nw[k + 1]].fixed.n > 0)
            continue;
        row_add(m, m->r[nw[k]].ocol, 1);
        row_add(m, m->r[nw[k + 1]].ocol, -1);
        snprintf(name, sizeof name, "order_%d", nw[k + 1]);
        row_end(m, GLP_LO, 0, 0, name);
    }
    rp_vec_free(&news);
}

/* ---- options and set-up --------------------------------------------------------- */

int rp__mip_check_opts(const rp_fleet *f, const rp_mip_opts *o, rp_error *err)
{
    rp_mip_reef *reefs;
    size_t nr = rp_mip_reefs(f, &reefs);
    int rc = 0;
    bool *seen = rp_xcalloc(f->ninst + nr + 1, sizeof(bool));
    for (size_t k = 0; k < o->nfree && o->free_inst && !rc; k++) {
        int i = o->free_inst[k];
        if (i < 0 || (size_t)i >= f->ninst || seen[i])
            rc = rp_error_set(err, RP_EINVALID, "mip", 0, 0, "free_inst[%zu]: bad instance %d", k,
                              i);
        else
            seen[i] = true;
    }
    memset(seen, 0, (f->ninst + nr + 1) * sizeof(bool));
    for (size_t k = 0; k < o->ncand && o->cand_reefs && !rc; k++) {
        int r = o->cand_reefs[k];
        if (r < 0 || (size_t)r >= nr || seen[r])
            rc = rp_error_set(err, RP_EINVALID, "mip", 0, 0, "cand_reefs[%zu]: bad reef %d", k, r);
        else
            seen[r] = true;
    }
    for (int which = 0; which < 2 && !rc; which++) {
        const rp_mip_place *pl = which == 0 ? o->base : o->start;
        for (size_t i = 0; i < f->ninst && pl && !rc; i++) {
            const rp_mip_place *b = &pl[i];
            bool ok = b->reef >= -1 && b->reef < (int)nr &&
                      (b->reef < 0 || reefs[b->reef].region == f->inst[i].region);
            for (int k = 0; k < RP_NTIERS; k++)
                ok = ok && b->tier[k] <= RP_DEDICATED;
            if (!ok)
                rc = rp_error_set(err, RP_EINVALID, "mip", 0, 0,
                                  "%s placement of instance %s: bad reef %d or tiers",
                                  which == 0 ? "base" : "start", f->inst[i].id, b->reef);
        }
    }
    free(seen);
    free(reefs);
    return rc;
}

static void setup(rp__mip *m, const rp_fleet *f, const rp_mip_opts *o)
{
    m->f = f;
    rp_mip_reef *reefs;
    m->nr = rp_mip_reefs(f, &reefs);
    m->r = rp_xcalloc(m->nr + 1, sizeof(rp__mreef));
    for (size_t r = 0; r < m->nr; r++) {
        m->r[r].info = reefs[r];
        m->r[r].state = reefs[r].fleet_reef >= 0 ? f->reefs[r].state : RP_REEF_ACTIVE;
        m->r[r].cand = o->cand_reefs == NULL;
        rp_use_init(&m->r[r].fixed, f);
    }
    free(reefs);
    for (size_t k = 0; o->cand_reefs && k < o->ncand; k++)
        m->r[o->cand_reefs[k]].cand = true;
    size_t n = f->ninst + 1;
    m->is_free = rp_xcalloc(n, sizeof(bool));
    m->ucol = rp_xcalloc(n, sizeof(int));
    m->base = rp_xcalloc(n, sizeof(rp_mip_place));
    for (size_t i = 0; i < f->ninst; i++) {
        m->is_free[i] = o->free_inst == NULL;
        if (o->base)
            m->base[i] = o->base[i];
        else
            m->base[i] = (rp_mip_place){.reef = f->inst[i].reef};
        if (!o->base)
            memcpy(m->base[i].tier, f->inst[i].tier, RP_NTIERS);
    }
    for (size_t k = 0; o->free_inst && k < o->nfree; k++)
        m->is_free[o->free_inst[k]] = true;
    m->budget = o->move_budget >= -1 ? o->move_budget : f->set.move_budget;
    m->relax = o->relax_only || o->widen;
    rp_fleet_group_index(f, &m->gstart, &m->gmem);
}

int rp__mip_build(rp__mip *m, const rp_fleet *f, const rp_mip_opts *o, rp_error *err)
{
    (void)err;
    setup(m, f, o);
    m->lp = glp_create_prob();
    glp_set_prob_name(m->lp, "reefplan_rebalance");
    glp_set_obj_name(m->lp, "cost");
    glp_set_obj_dir(m->lp, GLP_MIN);
    for (size_t i = 0; i < f->ninst; i++)
        if (!m->is_free[i])
            add_fixed(m, i);
    for (size_t r = 0; r < m->nr; r++)
        if (m->r[r].cand)
            reef_cols(m, r);
    make_pairs(m);
    instance_rows(m);
    for (size_t r = 0; r < m->nr; r++) {
        if (!m->r[r].cand)
            continue;
        link_rows(m, r);
        count_rows(m, r);
        capacity_rows(m, r);
    }
    group_rows(m);
    budget_row(m);
    for (size_t g = 0; g < f->nregions; g++)
        region_rows(m, g);
    int ncols = glp_get_num_cols(m->lp);
    for (int j = 1; j <= ncols; j++)
        glp_set_obj_coef(m->lp, j, m->obj[j]);
    glp_set_obj_coef(m->lp, 0, m->constant + m->constant_pen);
    return 0;
}

void rp__mip_free(rp__mip *m)
{
    if (m->lp)
        glp_delete_prob(m->lp);
    for (size_t r = 0; r < m->nr; r++) {
        rp_use_free(&m->r[r].fixed);
        rp_vec_free(&m->r[r].pairs);
    }
    free(m->r);
    rp_vec_free(&m->pairs);
    free(m->first);
    free(m->ucol);
    free(m->is_free);
    free(m->base);
    free(m->gstart);
    free(m->gmem);
    free(m->obj);
    free(m->ind);
    free(m->val);
    memset(m, 0, sizeof *m);
}

/* sequence.c - orders a plan's actions so that the replay rule of SPEC §5
 * holds: capacity is added before load arrives (sized for the load at that
 * step), a migrating instance loads both reefs until it completes, capacity
 * is released after load leaves, what takes room in a reef waits (a wave
 * later) for what gave that room, a group member joins a reef only after its
 * mates have left it, and reef deletions come last. The order is proved by
 * simulation as it is built: every action is checked against the simulated
 * reefs before it is emitted. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "solver.h"
#include "timefmt.h"

typedef struct sim {
    const rp_fleet *f;
    rp_plan *p;
    rp_reef_use *use; /* per plan reef */
    int *pool, *nodes;
    bool *exists;
    int *reef; /* per instance: plan reef now, -1 none */
    uint8_t (*tier)[RP_NTIERS];
    rp_ded *ded;
    rp_vec acts;
    int *last_cap;   /* per reef: id of the last capacity action, 0 none */
    rp_vec *outs;    /* per reef: ids of what gave room back (migrations out, tiers made
                      * dedicated): what takes room there waits for them */
    rp_vec *touch;   /* per reef: ids of migrations/tier changes touching it */
    int *wave_migr;  /* per (reef, wave) count, grown on demand: index reef*maxw+w */
    int maxw;
    int k_conc;
    size_t *gfirst; /* group g's instances: gmem[gfirst[g] .. gfirst[g+1]) */
    int *gmem;
    rp_vec forced; /* int: instances whose arrival went past capacity */
} sim;

/* Is a group mate of instance i in reef r now? */
static bool mate_in(const sim *m, size_t i, int r)
{
    int g = m->f->inst[i].group;
    if (g < 0)
        return false;
    for (size_t k = m->gfirst[g]; k < m->gfirst[g + 1]; k++)
        if ((size_t)m->gmem[k] != i && m->reef[m->gmem[k]] == r)
            return true;
    return false;
}

static bool usable(const sim *m, int r)
{
    const rp_plan_reef *pr = &m->p->reefs[r];
    return pr->fleet_reef < 0 || m->f->reefs[pr->fleet_reef].state != RP_REEF_BROKEN;
}

static rp_action *new_action(sim *m, rp_action_type type, int reef)
{
    rp_action a = {0};
    a.id = (int)m->acts.len + 1;
    a.type = type;
    a.reef = reef;
    a.from_reef = -1;
    a.inst = -1;
    a.resource = -1;
    a.not_before = a.not_after = RP_NO_TIME;
    a.ded = (rp_ded){-1, 0, 0};
    return rp_vec_push(&m->acts, sizeof a, &a);
}

static void depend(rp_action *a, int id)
{
    if (id <= 0)
        return;
    for (size_t k = 0; k < a->ndepends; k++)
        if (a->depends_on[k] == id)
            return;
    a->depends_on = rp_xreallocarray(a->depends_on, a->ndepends + 1, sizeof(int));
    a->depends_on[a->ndepends++] = id;
}

static void depend_all(rp_action *a, const rp_vec *ids)
{
    for (size_t k = 0; k < ids->len; k++)
        depend(a, RP_VEC_AT(ids, int, k));
}

static rp_action *act(sim *m, int id)
{
    return &RP_VEC_AT(&m->acts, rp_action, id - 1);
}

static int *wave_slot(sim *m, int r, int w)
{
    if (w >= m->maxw) {
        int nw = m->maxw * 2 > w + 1 ? m->maxw * 2 : w + 8;
        int *grown = rp_xcalloc(m->p->nreefs * (size_t)nw, sizeof(int));
        for (size_t k = 0; k < m->p->nreefs; k++)
            memcpy(grown + k * (size_t)nw, m->wave_migr + k * (size_t)m->maxw,
                   (size_t)m->maxw * sizeof(int));
        free(m->wave_migr);
        m->wave_migr = grown;
        m->maxw = nw;
    }
    return &m->wave_migr[(size_t)r * (size_t)m->maxw + (size_t)w];
}

/* Wave = one after its latest dependency; a migration also waits for a
 * wave where both of its reefs have fewer than k_conc migrations. */
static void set_wave(sim *m, rp_action *a)
{
    int w = 1;
    for (size_t k = 0; k < a->ndepends; k++) {
        int dw = act(m, a->depends_on[k])->wave + 1;
        if (dw > w)
            w = dw;
    }
    if (a->type == RP_ACT_MIGRATE) {
        while (*wave_slot(m, a->reef, w) >= m->k_conc ||
               (a->from_reef >= 0 && *wave_slot(m, a->from_reef, w) >= m->k_conc))
            w++;
        (*wave_slot(m, a->reef, w))++;
        if (a->from_reef >= 0)
            (*wave_slot(m, a->from_reef, w))++;
    }
    a->wave = w;
}

/* A capacity action on reef r. after_outs: it was sized for the reef with
 * what has left it so far, so it waits for that (in a wave run at once it
 * could otherwise land first). */
static void cap_action(sim *m, int r, rp_action_type type, int from, int to, bool after_outs)
{
    rp_action *a = new_action(m, type, r);
    a->from = from;
    a->to = to;
    depend(a, m->last_cap[r]);
    if (after_outs)
        depend_all(a, &m->outs[r]);
    if (type == RP_ACT_RESIZE_POOL)
        m->pool[r] = to;
    else
        m->nodes[r] = to;
    m->last_cap[r] = a->id;
    set_wave(m, a);
}

/* Does pool `to` hold less than pool `from` in any limit? (A premium DTU
 * pool of more DTUs than a standard one holds fewer databases.) */
static bool pool_shrinks(const rp_catalog *cat, int from, int to)
{
    const rp_pool_sku *a = &cat->pools[from], *b = &cat->pools[to];
    return b->db_compute < a->db_compute || b->max_storage_gb < a->max_storage_gb ||
           b->max_dbs < a->max_dbs || b->per_db_max < a->per_db_max;
}

static bool pool_holds(const sim *m, int r, int pool)
{
    const rp_pool_sku *p = &m->f->cat->pools[pool];
    const rp_reef_use *u = &m->use[r];
    const double *h = m->f->set.headroom;
    return rp_fits(u->peak[RP_M_DB_COMPUTE], p->db_compute * (1 - h[RP_M_DB_COMPUTE])) &&
           rp_fits(u->peak[RP_M_DB_STORAGE], p->max_storage_gb * (1 - h[RP_M_DB_STORAGE])) &&
           u->n_shared[RP_TIER_DB] <= p->max_dbs && u->over_per_db[pool] == 0;
}

/* Makes reef r large enough for its simulated load plus instance i with
 * tiers/ded (i == -1: just its load), emitting the resize and scale actions
 * that needs. Returns false when no size can hold it. */
static bool grow_for(sim *m, int r, int i, const uint8_t tier[RP_NTIERS], const rp_ded *d)
{
    int tmpl = m->p->reefs[r].template_idx;
    if (i >= 0)
        rp_use_add(&m->use[r], m->f, (size_t)i, tmpl, tier, d, +1);
    rp_violation v;
    bool ok = true;
    int rule = rp_use_check(&m->use[r], m->f, tmpl, m->pool[r], m->nodes[r], &v);
    if (rule != RP_RULE_NONE) {
        int pool, nodes;
        ok = rp_use_size(&m->use[r], m->f, tmpl, &pool, &nodes, &v) == 0;
        if (ok && !pool_holds(m, r, m->pool[r]))
            cap_action(m, r, RP_ACT_RESIZE_POOL, m->pool[r], pool,
                       pool_shrinks(m->f->cat, m->pool[r], pool));
        /* Over max_nodes (shared and dedicated nodes together), fewer shared
         * nodes that hold the load with i also hold it without i: they
         * shrink first. */
        if (ok && (nodes > m->nodes[r] || (nodes < m->nodes[r] && rule == RP_RULE_MAX_NODES)))
            cap_action(m, r, RP_ACT_SCALE_NODES, m->nodes[r], nodes, true);
    }
    if (i >= 0)
        rp_use_add(&m->use[r], m->f, (size_t)i, tmpl, tier, d, -1);
    return ok;
}

static void sim_init(sim *m, const rp_fleet *f, rp_plan *p, int k_conc)
{
    memset(m, 0, sizeof *m);
    m->f = f;
    m->p = p;
    m->k_conc = k_conc < 1 ? 1 : k_conc;
    size_t nr = p->nreefs ? p->nreefs : 1, ni = f->ninst ? f->ninst : 1;
    m->use = rp_xcalloc(nr, sizeof(rp_reef_use));
    m->pool = rp_xcalloc(nr, sizeof(int));
    m->nodes = rp_xcalloc(nr, sizeof(int));
    m->exists = rp_xcalloc(nr, sizeof(bool));
    m->last_cap = rp_xcalloc(nr, sizeof(int));
    m->outs = rp_xcalloc(nr, sizeof(rp_vec));
    m->touch = rp_xcalloc(nr, sizeof(rp_vec));
    m->maxw = 8;
    m->wave_migr = rp_xcalloc(nr * 8, sizeof(int));
    m->reef = rp_xmalloc(ni * sizeof(int));
    m->tier = rp_xcalloc(ni, sizeof *m->tier);
    m->ded = rp_xcalloc(ni, sizeof *m->ded);
    rp_fleet_group_index(m->f, &m->gfirst, &m->gmem);
    for (size_t r = 0; r < p->nreefs; r++) {
        rp_use_init(&m->use[r], f);
        int fr = p->reefs[r].fleet_reef;
        m->exists[r] = fr >= 0;
        m->pool[r] = fr >= 0 ? f->reefs[fr].pool : p->reefs[r].pool;
        m->nodes[r] = fr >= 0 ? f->reefs[fr].nodes : p->reefs[r].nodes;
    }
    /* Plan reefs mirror the fleet's reefs first, in order. */
    for (size_t i = 0; i < f->ninst; i++) {
        int r = f->inst[i].reef;
        m->reef[i] = r;
        if (r < 0)
            continue;
        memcpy(m->tier[i], f->inst[i].tier, RP_NTIERS);
        m->ded[i] = (rp_ded){-1, 0, 0};
        rp_ded_fill(f, i, p->reefs[r].template_idx, m->tier[i], &m->ded[i]);
        rp_use_add(&m->use[r], f, i, p->reefs[r].template_idx, m->tier[i], &m->ded[i], +1);
    }
}

static void sim_free(sim *m)
{
    for (size_t r = 0; r < m->p->nreefs; r++) {
        rp_use_free(&m->use[r]);
        rp_vec_free(&m->outs[r]);
        rp_vec_free(&m->touch[r]);
    }
    free(m->use);
    free(m->pool);
    free(m->nodes);
    free(m->exists);
    free(m->last_cap);
    free(m->outs);
    free(m->touch);
    free(m->wave_migr);
    free(m->reef);
    free(m->tier);
    free(m->ded);
    free(m->gfirst);
    free(m->gmem);
    rp_vec_free(&m->forced);
}

static void note_touch(sim *m, int r, int id)
{
    RP_VEC_PUSH(&m->touch[r], int, id);
}

static void emit_creates(sim *m)
{
    for (size_t r = 0; r < m->p->nreefs; r++) {
        if (!m->p->reefs[r].created)
            continue;
        rp_action *a = new_action(m, RP_ACT_CREATE_REEF, (int)r);
        a->pool = m->p->reefs[r].pool;
        a->nodes = m->p->reefs[r].nodes;
        m->exists[r] = true;
        m->last_cap[r] = a->id;
        set_wave(m, a);
    }
}

/* One set_tier action per resource that changes for instance i in reef r. */
static void emit_set_tiers(sim *m, const rp_placement *pl, int to_state)
{
    size_t i = (size_t)pl->inst;
    int r = pl->reef;
    int tmpl = m->p->reefs[r].template_idx;
    for (int t = 0; t < RP_NTIERS; t++) {
        if (m->tier[i][t] == pl->tier[t] || pl->tier[t] != to_state)
            continue;
        uint8_t nt[RP_NTIERS];
        memcpy(nt, m->tier[i], RP_NTIERS);
        nt[t] = pl->tier[t];
        rp_ded nd = m->ded[i];
        if (t == RP_TIER_DB)
            nd.db_sku = pl->ded.db_sku;
        else if (t == RP_TIER_COMPUTE)
            nd.nodes = pl->ded.nodes;
        else
            nd.share_gb = pl->ded.share_gb;
        rp_use_add(&m->use[r], m->f, i, tmpl, m->tier[i], &m->ded[i], -1);
        if (to_state == RP_SHARED)
            grow_for(m, r, (int)i, nt, &nd);
        rp_action *a = new_action(m, RP_ACT_SET_TIER, r);
        a->inst = (int)i;
        a->resource = t;
        a->from = m->tier[i][t];
        a->to = nt[t];
        a->ded = nd;
        memcpy(a->tier, nt, RP_NTIERS);
        depend(a, m->last_cap[r]);
        if (to_state == RP_SHARED)
            depend_all(a, &m->outs[r]);
        memcpy(m->tier[i], nt, RP_NTIERS);
        m->ded[i] = nd;
        rp_use_add(&m->use[r], m->f, i, tmpl, m->tier[i], &m->ded[i], +1);
        if (to_state == RP_DEDICATED) /* the shared load it takes away */
            RP_VEC_PUSH(&m->outs[r], int, a->id);
        note_touch(m, r, a->id);
        set_wave(m, a);
    }
}

static void window_bounds(const rp_fleet *f, size_t i, rp_action *a)
{
    const rp_window *w = &f->inst[i].window;
    if (w->start < 0)
        return;
    rp_window_next(w, f->set.now, &a->not_before, &a->not_after);
}

/* How hard emit_arrivals pushes when no arrival can go as it should: not
 * at all; past capacity (no size holds the reef at that step); past a group
 * mate still in the destination. */
enum { FORCE_NONE, FORCE_CAPACITY, FORCE_GROUP };

/* Emits the migration or placement of pl if its destination can take it
 * now (growing it first when needed); returns false to retry later. */
static bool try_arrival(sim *m, const rp_placement *pl, int force)
{
    size_t i = (size_t)pl->inst;
    int to = pl->reef, from = m->reef[i];
    if (mate_in(m, i, to)) {
        if (force < FORCE_GROUP)
            return false; /* wait until the group mate has left */
        rp_log(RP_LOG_WARN,
               "sequence: instance %s joins a group mate in reef %s: mates that trade reefs "
               "have no safe order",
               m->f->inst[i].id, m->p->reefs[to].name);
    }
    if (!grow_for(m, to, (int)i, pl->tier, &pl->ded)) {
        if (force < FORCE_CAPACITY)
            return false;
        RP_VEC_PUSH(&m->forced, int, (int)i);
    }
    rp_action *a = new_action(m, from >= 0 ? RP_ACT_MIGRATE : RP_ACT_PLACE, to);
    a->inst = (int)i;
    a->from_reef = from;
    memcpy(a->tier, pl->tier, RP_NTIERS);
    a->ded = pl->ded;
    depend(a, m->last_cap[to]);
    depend_all(a, &m->outs[to]);
    if (from >= 0)
        window_bounds(m->f, i, a);
    int tmpl = m->p->reefs[to].template_idx;
    rp_use_add(&m->use[to], m->f, i, tmpl, pl->tier, &pl->ded, +1);
    if (from >= 0) {
        rp_use_add(&m->use[from], m->f, i, m->p->reefs[from].template_idx, m->tier[i],
                   &m->ded[i], -1);
        RP_VEC_PUSH(&m->outs[from], int, a->id);
        note_touch(m, from, a->id);
    }
    note_touch(m, to, a->id);
    m->reef[i] = to;
    memcpy(m->tier[i], pl->tier, RP_NTIERS);
    m->ded[i] = pl->ded;
    set_wave(m, a);
    return true;
}

static void emit_arrivals(sim *m)
{
    const rp_plan *p = m->p;
    rp_vec pending = {0};
    for (size_t k = 0; k < p->nplace; k++)
        if (m->reef[p->place[k].inst] != p->place[k].reef)
            RP_VEC_PUSH(&pending, size_t, k);
    /* No progress: past capacity first, and past a group mate only when
     * that is stuck too, since a forced arrival may free the mate to leave
     * (the optimizer never lets mates trade reefs, so that last step is
     * for plans made elsewhere). */
    int force = FORCE_NONE;
    while (pending.len) {
        size_t kept = 0;
        for (size_t k = 0; k < pending.len; k++) {
            size_t pk = RP_VEC_AT(&pending, size_t, k);
            if (!try_arrival(m, &p->place[pk], force))
                RP_VEC_AT(&pending, size_t, kept++) = pk;
        }
        force = kept < pending.len ? FORCE_NONE : force + 1;
        pending.len = kept;
    }
    rp_vec_free(&pending);
}

/* Final sizes after load has left; then deletions. */
static void emit_final(sim *m)
{
    for (size_t r = 0; r < m->p->nreefs; r++) {
        const rp_plan_reef *pr = &m->p->reefs[r];
        if (pr->deleted || !usable(m, (int)r))
            continue;
        int ids_before = (int)m->acts.len;
        if (m->pool[r] != pr->pool)
            cap_action(m, (int)r, RP_ACT_RESIZE_POOL, m->pool[r], pr->pool, false);
        if (m->nodes[r] != pr->nodes)
            cap_action(m, (int)r, RP_ACT_SCALE_NODES, m->nodes[r], pr->nodes, false);
        for (int id = ids_before + 1; id <= (int)m->acts.len; id++) {
            depend_all(act(m, id), &m->touch[r]);
            set_wave(m, act(m, id));
        }
    }
    for (size_t r = 0; r < m->p->nreefs; r++) {
        if (!m->p->reefs[r].deleted)
            continue;
        rp_action *a = new_action(m, RP_ACT_DELETE_REEF, (int)r);
        depend_all(a, &m->touch[r]);
        depend(a, m->last_cap[r]);
        set_wave(m, a);
    }
}

size_t rp_plan_sequence(const rp_fleet *f, rp_plan *p, int max_concurrent, int **forced)
{
    sim m;
    sim_init(&m, f, p, max_concurrent);
    emit_creates(&m);
    for (size_t k = 0; k < p->nplace; k++)
        if (m.reef[p->place[k].inst] == p->place[k].reef)
            emit_set_tiers(&m, &p->place[k], RP_DEDICATED);
    emit_arrivals(&m);
    for (size_t k = 0; k < p->nplace; k++)
        if (m.reef[p->place[k].inst] == p->place[k].reef)
            emit_set_tiers(&m, &p->place[k], RP_SHARED);
    emit_final(&m);
    p->act = m.acts.data;
    p->nact = m.acts.len;
    m.acts.data = NULL;
    size_t nforced = m.forced.len;
    if (forced) {
        *forced = m.forced.data;
        m.forced = (rp_vec){0};
    }
    sim_free(&m);
    return nforced;
}

/* verify_replay.c - the replay rule of SPEC §5: the actions, applied in id
 * order from the current placement, reach the target without driving a reef
 * over capacity; plus depends_on, waves and maintenance windows. */
#include "verify_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

typedef struct replay {
    rp__vctx *c;
    rp__vstate st;
    int *pool, *nodes;
    bool *exists, *created, *deleted;
    int *migrates, *places; /* per instance */
    double *before, *after; /* excess vectors */
    const rp_action **order;
    size_t n;
    char suffix[64];
} replay;

static const char *tier_word(int t)
{
    return t == RP_DEDICATED ? "dedicated" : "shared";
}

static const char *rname(const replay *r, int reef)
{
    return r->c->p->reefs[reef].name;
}

static const char *iname(const replay *r, int i)
{
    return r->c->f->inst[i].id;
}

static rp_reef_state rstate(const replay *r, int reef)
{
    int fr = r->c->p->reefs[reef].fleet_reef;
    return fr >= 0 ? r->c->f->reefs[fr].state : RP_REEF_ACTIVE;
}

/* ---- setup ---- */

static int cmp_action(const void *a, const void *b)
{
    const rp_action *x = *(const rp_action *const *)a, *y = *(const rp_action *const *)b;
    if (x->id != y->id)
        return (x->id > y->id) - (x->id < y->id);
    return (x > y) - (x < y);
}

/* The current placement; a current dedicated tier takes the size the plan
 * states for it when the instance keeps reef and tier, else the cheapest. */
static void initial_state(replay *r)
{
    const rp_fleet *f = r->c->f;
    for (size_t i = 0; i < f->ninst; i++) {
        int cur = f->inst[i].reef;
        r->st.reef[i] = cur;
        if (cur < 0)
            continue;
        memcpy(r->st.tier[i], f->inst[i].tier, RP_NTIERS);
        int k = r->c->target[i];
        const rp_placement *pl = k >= 0 ? &r->c->p->place[k] : NULL;
        for (int t = 0; t < RP_NTIERS; t++) {
            if (f->inst[i].tier[t] != RP_DEDICATED)
                continue;
            if (pl && pl->reef == cur && pl->tier[t] == RP_DEDICATED) {
                rp_ded *d = &r->st.ded[i];
                if (t == RP_TIER_DB)
                    d->db_sku = pl->ded.db_sku;
                else if (t == RP_TIER_COMPUTE)
                    d->nodes = pl->ded.nodes;
                else
                    d->share_gb = pl->ded.share_gb;
            } else {
                rp__cheapest_ded(r->c, i, f->reefs[cur].template_idx, t, &r->st.ded[i]);
            }
        }
    }
    for (size_t k = 0; k < f->nreefs; k++) {
        r->exists[k] = true;
        r->pool[k] = f->reefs[k].pool;
        r->nodes[k] = f->reefs[k].nodes;
    }
}

static void replay_init(replay *r, rp__vctx *c)
{
    const rp_plan *p = c->p;
    size_t nr = p->nreefs + 1, ni = c->f->ninst + 1;
    memset(r, 0, sizeof *r);
    r->c = c;
    rp__vstate_init(&r->st, c->f->ninst);
    r->pool = rp_xcalloc(nr, sizeof *r->pool);
    r->nodes = rp_xcalloc(nr, sizeof *r->nodes);
    r->exists = rp_xcalloc(nr, sizeof *r->exists);
    r->created = rp_xcalloc(nr, sizeof *r->created);
    r->deleted = rp_xcalloc(nr, sizeof *r->deleted);
    r->migrates = rp_xcalloc(ni, sizeof *r->migrates);
    r->places = rp_xcalloc(ni, sizeof *r->places);
    r->before = rp_xcalloc(c->nex, sizeof *r->before);
    r->after = rp_xcalloc(c->nex, sizeof *r->after);
    r->n = p->nact;
    r->order = rp_xcalloc(r->n + 1, sizeof *r->order);
    for (size_t k = 0; k < r->n; k++)
        r->order[k] = &p->act[k];
    qsort(r->order, r->n, sizeof *r->order, cmp_action);
    initial_state(r);
}

static void replay_free(replay *r)
{
    rp__vstate_free(&r->st);
    free(r->pool);
    free(r->nodes);
    free(r->exists);
    free(r->created);
    free(r->deleted);
    free(r->migrates);
    free(r->places);
    free(r->before);
    free(r->after);
    free(r->order);
}

/* ---- ids, depends_on, waves ---- */

static const rp_action *find_action(const replay *r, int id)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->order[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n && r->order[lo]->id == id ? r->order[lo] : NULL;
}

static void check_ids(replay *r)
{
    for (size_t k = 0; k < r->n; k++) {
        const rp_action *a = r->order[k];
        if (k > 0 && r->order[k - 1]->id == a->id)
            rp__violation(r->c, "action %d: duplicate id", a->id);
        for (size_t d = 0; d < a->ndepends; d++) {
            const rp_action *dep = find_action(r, a->depends_on[d]);
            if (!dep)
                rp__violation(r->c, "action %d: depends on unknown action %d", a->id,
                              a->depends_on[d]);
            else if (dep->id >= a->id)
                rp__violation(r->c, "action %d: depends on action %d, which is not earlier", a->id,
                              dep->id);
            else if (dep->wave >= a->wave) /* one wave's actions may run at once */
                rp__violation(r->c,
                              "action %d (wave %d): depends on action %d in wave %d, not an "
                              "earlier wave",
                              a->id, a->wave, dep->id, dep->wave);
        }
    }
}

/* ---- capacity before/after one action ---- */

static bool skip_capacity(const replay *r, int reef)
{
    return rstate(r, reef) == RP_REEF_BROKEN || !r->exists[reef] || r->deleted[reef];
}

static void capture_before(replay *r, int reef)
{
    if (skip_capacity(r, reef)) {
        memset(r->before, 0, r->c->nex * sizeof *r->before);
        return;
    }
    rp__eval_reef(r->c, &r->st, reef, r->pool[reef], r->nodes[reef], r->before, NULL);
}

/* After the action: over capacity is allowed only where the reef already
 * was, the action added nothing to it and no limit is exceeded further. */
static void check_after(replay *r, const rp_action *a, int reef, bool adding)
{
    if (skip_capacity(r, reef))
        return;
    rp__vctx *c = r->c;
    if (!rp__eval_reef(c, &r->st, reef, r->pool[reef], r->nodes[reef], r->after, NULL))
        return;
    bool was_over = false, worse = false;
    for (size_t k = 0; k < c->nex; k++) {
        was_over |= r->before[k] > 0;
        worse |= r->after[k] > r->before[k] * (1 + RP_EPS) + RP_EPS;
    }
    if (was_over && !adding && !worse)
        return;
    snprintf(r->suffix, sizeof r->suffix, " (after action %d)", a->id);
    rp__eval_reef(c, &r->st, reef, r->pool[reef], r->nodes[reef], NULL, r->suffix);
}

/* ---- the actions ---- */

static bool reef_usable(replay *r, const rp_action *a, int reef)
{
    const char *type = rp_action_names[a->type];
    if (!r->exists[reef])
        rp__violation(r->c, "action %d (%s): reef %s does not exist yet", a->id, type,
                      rname(r, reef));
    else if (r->deleted[reef])
        rp__violation(r->c, "action %d (%s): reef %s was deleted", a->id, type, rname(r, reef));
    else
        return true;
    return false;
}

static void act_create(replay *r, const rp_action *a)
{
    int reef = a->reef;
    if (r->c->p->reefs[reef].fleet_reef >= 0 || r->created[reef]) {
        rp__violation(r->c, "action %d (create_reef): reef %s already exists", a->id,
                      rname(r, reef));
        return;
    }
    if (a->pool < 0 || (size_t)a->pool >= r->c->f->cat->npools || a->nodes < 0) {
        rp__violation(r->c, "action %d (create_reef): invalid pool or nodes", a->id);
        return;
    }
    r->exists[reef] = r->created[reef] = true;
    r->pool[reef] = a->pool;
    r->nodes[reef] = a->nodes;
    memset(r->before, 0, r->c->nex * sizeof *r->before);
    check_after(r, a, reef, false);
}

static void act_resize(replay *r, const rp_action *a)
{
    int reef = a->reef;
    bool pool = a->type == RP_ACT_RESIZE_POOL;
    int *cur = pool ? &r->pool[reef] : &r->nodes[reef];
    if (!reef_usable(r, a, reef))
        return;
    if (pool && (a->to < 0 || (size_t)a->to >= r->c->f->cat->npools)) {
        rp__violation(r->c, "action %d (resize_pool): invalid pool", a->id);
        return;
    }
    if (!pool && a->to < 0) {
        rp__violation(r->c, "action %d (scale_nodes): negative node count", a->id);
        return;
    }
    if (a->from != *cur) {
        const rp_catalog *cat = r->c->f->cat;
        if (pool)
            rp__violation(r->c, "action %d (resize_pool): reef %s has pool %s, not %s", a->id,
                          rname(r, reef), cat->pools[*cur].sku,
                          a->from >= 0 && (size_t)a->from < cat->npools ? cat->pools[a->from].sku
                                                                        : "?");
        else
            rp__violation(r->c, "action %d (scale_nodes): reef %s has %d nodes, not %d", a->id,
                          rname(r, reef), *cur, a->from);
    }
    capture_before(r, reef);
    *cur = a->to;
    check_after(r, a, reef, false);
}

/* Instance a->inst must be in reef `where`. */
static bool inst_in(replay *r, const rp_action *a, int where)
{
    int at = r->st.reef[a->inst];
    if (at == where)
        return true;
    rp__violation(r->c, "action %d (%s): instance %s is %s%s, not in %s", a->id,
                  rp_action_names[a->type], iname(r, a->inst), at >= 0 ? "in " : "not placed",
                  at >= 0 ? rname(r, at) : "", rname(r, where));
    return false;
}

static void act_set_tier(replay *r, const rp_action *a)
{
    int i = a->inst, t = a->resource;
    if (t < 0 || t >= RP_NTIERS || !reef_usable(r, a, a->reef) || !inst_in(r, a, a->reef))
        return;
    /* Rule 10 at every step, not only at the end: a tier changed and
     * changed back is still a change the executor makes. An instance that
     * is listed unplaced stays as it is (in its broken reef, which is down). */
    const rp_fleet *f = r->c->f;
    const rp_instance *in = &f->inst[i];
    const char *why = NULL;
    if (r->c->target[i] < 0)
        why = "is listed unplaced: it stays as it is";
    else if (in->pinned && in->reef >= 0 && f->reefs[in->reef].state != RP_REEF_BROKEN)
        why = "is pinned: rule 10, it keeps its tiers";
    if (why) /* reported, and replayed as written */
        rp__violation(r->c, "action %d (set_tier): instance %s %s", a->id, iname(r, i), why);
    if (r->st.tier[i][t] != a->from || a->from == a->to) {
        rp__violation(r->c,
                      "action %d (set_tier): instance %s has %s %s, the action goes from %s "
                      "to %s",
                      a->id, iname(r, i), rp_tier_names[t], tier_word(r->st.tier[i][t]),
                      tier_word(a->from), tier_word(a->to));
        return;
    }
    char prefix[120];
    snprintf(prefix, sizeof prefix, "action %d (set_tier): instance %s", a->id, iname(r, i));
    if (a->to == RP_DEDICATED &&
        !rp__check_ded(r->c, (size_t)i, r->c->p->reefs[a->reef].template_idx, t, &a->ded, prefix))
        return;
    capture_before(r, a->reef);
    r->st.tier[i][t] = (uint8_t)a->to;
    rp_ded *d = &r->st.ded[i];
    if (t == RP_TIER_DB)
        d->db_sku = a->to == RP_DEDICATED ? a->ded.db_sku : -1;
    else if (t == RP_TIER_COMPUTE)
        d->nodes = a->to == RP_DEDICATED ? a->ded.nodes : 0;
    else
        d->share_gb = a->to == RP_DEDICATED ? a->ded.share_gb : 0;
    check_after(r, a, a->reef, a->to == RP_SHARED);
}

/* Rule 8 for the dedicated tiers of a migrate or place. */
static bool sizes_ok(replay *r, const rp_action *a)
{
    char prefix[120];
    snprintf(prefix, sizeof prefix, "action %d (%s): instance %s", a->id, rp_action_names[a->type],
             iname(r, a->inst));
    bool ok = true;
    for (int t = 0; t < RP_NTIERS; t++)
        if (a->tier[t] == RP_DEDICATED)
            ok &= rp__check_ded(r->c, (size_t)a->inst, r->c->p->reefs[a->reef].template_idx, t,
                                &a->ded, prefix);
    return ok;
}

/* The instance joins a->reef with the action's tiers; capacity checked. */
static void arrive(replay *r, const rp_action *a)
{
    int reef = a->reef, i = a->inst;
    if (rstate(r, reef) != RP_REEF_ACTIVE)
        rp__violation(r->c, "action %d (%s): reef %s is %s and takes no instance", a->id,
                      rp_action_names[a->type], rname(r, reef),
                      rp_reef_state_names[rstate(r, reef)]);
    capture_before(r, reef);
    r->st.reef[i] = reef;
    memcpy(r->st.tier[i], a->tier, RP_NTIERS);
    r->st.ded[i] = a->ded;
    check_after(r, a, reef, true);
}

/* Minute of week (Monday 00:00 UTC = 0) in seconds of t. */
static int64_t week_offset(int64_t t)
{
    int64_t w = 7 * 86400, s = (t - 4 * 86400) % w; /* 1970-01-05 was a Monday */
    return s < 0 ? s + w : s;
}

/* not_before/not_after of a migrate inside an occurrence of the window. */
static void check_window(replay *r, const rp_action *a)
{
    const rp_instance *in = &r->c->f->inst[a->inst];
    int64_t nb = a->not_before, na = a->not_after;
    if (nb != RP_NO_TIME && na != RP_NO_TIME && na <= nb)
        rp__violation(r->c, "action %d (migrate): not_after is not after not_before", a->id);
    if (in->window.start < 0)
        return;
    if (nb == RP_NO_TIME || na == RP_NO_TIME) {
        rp__violation(r->c,
                      "action %d (migrate): instance %s has a maintenance window, the "
                      "action no not_before/not_after",
                      a->id, in->id);
        return;
    }
    if (nb < r->c->f->set.now)
        rp__violation(r->c, "action %d (migrate): not_before is before settings.now", a->id);
    int64_t w = 7 * 86400, ws = (int64_t)in->window.start * 60, we = (int64_t)in->window.end * 60;
    if (we <= ws)
        we += w;
    int64_t s = week_offset(nb);
    if (s < ws && s + w < we)
        s += w;
    if (s < ws || s >= we)
        rp__violation(r->c, "action %d (migrate): not_before is outside instance %s's window",
                      a->id, in->id);
    else if (na > nb + (we - s))
        rp__violation(r->c,
                      "action %d (migrate): not_after runs past the end of instance %s's "
                      "window",
                      a->id, in->id);
}

static void act_migrate(replay *r, const rp_action *a)
{
    int i = a->inst;
    if (r->migrates[i]++)
        rp__violation(r->c, "action %d (migrate): instance %s migrates more than once", a->id,
                      iname(r, i));
    check_window(r, a);
    if (a->from_reef == a->reef) {
        rp__violation(r->c, "action %d (migrate): from_reef and to_reef are both %s", a->id,
                      rname(r, a->reef));
        return;
    }
    if (!inst_in(r, a, a->from_reef) || !reef_usable(r, a, a->reef) || !sizes_ok(r, a))
        return;
    /* Loaded on both reefs while it runs: the source keeps it (no change
     * there to check) until the target has been checked with it. */
    arrive(r, a);
}

static void act_place(replay *r, const rp_action *a)
{
    int i = a->inst;
    if (r->c->f->inst[i].reef >= 0 || r->places[i]++) {
        rp__violation(r->c, "action %d (place): instance %s is not a new instance", a->id,
                      iname(r, i));
        return;
    }
    if (!reef_usable(r, a, a->reef) || !sizes_ok(r, a))
        return;
    arrive(r, a);
}

static void act_delete(replay *r, const rp_action *a)
{
    int reef = a->reef, n = 0;
    if (!reef_usable(r, a, reef))
        return;
    for (size_t i = 0; i < r->c->f->ninst; i++)
        n += r->st.reef[i] == reef;
    if (n > 0) {
        rp__violation(r->c, "action %d (delete_reef): reef %s still holds %d instance%s", a->id,
                      rname(r, reef), n, n == 1 ? "" : "s");
        return;
    }
    r->deleted[reef] = true;
}

static bool action_indexes_ok(const replay *r, const rp_action *a)
{
    const rp_plan *p = r->c->p;
    int ni = (int)r->c->f->ninst, nr = (int)p->nreefs;
    bool needs_inst =
        a->type == RP_ACT_SET_TIER || a->type == RP_ACT_MIGRATE || a->type == RP_ACT_PLACE;
    if ((unsigned)a->type >= RP_NACT || a->reef < 0 || a->reef >= nr ||
        (needs_inst && (a->inst < 0 || a->inst >= ni)) ||
        (a->type == RP_ACT_MIGRATE && (a->from_reef < 0 || a->from_reef >= nr))) {
        rp__violation(r->c, "action %d: invalid type, reef or instance", a->id);
        return false;
    }
    return true;
}

static void apply(replay *r, const rp_action *a)
{
    if (!action_indexes_ok(r, a))
        return;
    switch (a->type) {
    case RP_ACT_CREATE_REEF:
        act_create(r, a);
        break;
    case RP_ACT_RESIZE_POOL:
    case RP_ACT_SCALE_NODES:
        act_resize(r, a);
        break;
    case RP_ACT_SET_TIER:
        act_set_tier(r, a);
        break;
    case RP_ACT_MIGRATE:
        act_migrate(r, a);
        break;
    case RP_ACT_PLACE:
        act_place(r, a);
        break;
    default:
        act_delete(r, a);
        break;
    }
}

/* ---- the end state against the plan ---- */

static bool same_ded(const uint8_t tier[RP_NTIERS], const rp_ded *x, const rp_ded *y)
{
    return (tier[RP_TIER_DB] == RP_SHARED || x->db_sku == y->db_sku) &&
           (tier[RP_TIER_COMPUTE] == RP_SHARED || x->nodes == y->nodes) &&
           (tier[RP_TIER_STORAGE] == RP_SHARED || x->share_gb == y->share_gb);
}

static void final_instances(replay *r)
{
    const rp__vctx *c = r->c;
    for (size_t i = 0; i < c->f->ninst; i++) {
        int at = r->st.reef[i], want = c->tgt.reef[i];
        if (c->target[i] < 0)
            want = c->f->inst[i].reef; /* unplaced: stays where it was */
        if (at != want) {
            rp__violation(r->c, "instance %s: the actions leave it %s%s, the plan %s%s",
                          iname(r, (int)i), at >= 0 ? "in " : "unplaced",
                          at >= 0 ? rname(r, at) : "", want >= 0 ? "has it in " : "has it unplaced",
                          want >= 0 ? rname(r, want) : "");
            continue;
        }
        if (c->target[i] < 0) {
            if (memcmp(r->st.tier[i], c->f->inst[i].tier, RP_NTIERS) != 0)
                rp__violation(r->c, "instance %s: unplaced, but the actions change its tiers",
                              iname(r, (int)i));
            continue;
        }
        if (memcmp(r->st.tier[i], c->tgt.tier[i], RP_NTIERS) != 0 ||
            !same_ded(c->tgt.tier[i], &r->st.ded[i], &c->tgt.ded[i]))
            rp__violation(r->c,
                          "instance %s: the actions leave other tiers or dedicated sizes "
                          "than its placement",
                          iname(r, (int)i));
    }
}

static void final_reefs(replay *r)
{
    const rp_plan *p = r->c->p;
    const rp_catalog *cat = r->c->f->cat;
    for (size_t k = 0; k < p->nreefs; k++) {
        const rp_plan_reef *pr = &p->reefs[k];
        if (pr->created && !r->created[k])
            rp__violation(r->c, "reef %s: new in the plan, but no create_reef action creates it",
                          pr->name);
        if (pr->deleted != r->deleted[k])
            rp__violation(r->c, "reef %s: %s, but %s", pr->name,
                          pr->deleted ? "flagged deleted" : "deleted by an action",
                          pr->deleted ? "no delete_reef action deletes it" : "not flagged deleted");
        if (!r->exists[k] || r->deleted[k])
            continue;
        if (r->pool[k] != pr->pool)
            rp__violation(r->c, "reef %s: the actions leave pool %s, the plan states %s", pr->name,
                          cat->pools[r->pool[k]].sku, cat->pools[pr->pool].sku);
        if (r->nodes[k] != pr->nodes)
            rp__violation(r->c, "reef %s: the actions leave %d nodes, the plan states %d", pr->name,
                          r->nodes[k], pr->nodes);
    }
}

/* ---- orders within a wave ----
 *
 * The actions of one wave may run at once, so they must hold in every order,
 * not only in id order. For each reef that two or more actions of a wave
 * touch, those actions are applied from the state before the wave in the
 * orders that are worst for that reef: what takes room from it first, what
 * gives room back last. Every limit of rules 1-7 moves one way under each
 * action, so for each limit one of three orders is the worst of all:
 *   ORD_ROOM      load and counts against capacity: arrivals, tier changes
 *                 back to shared, fewer nodes first; a pool resize first;
 *   ORD_ROOM_LATE the same with a pool resize last (a resize may shrink one
 *                 limit and grow another, as from a standard to a premium
 *                 pool of more DTUs but fewer databases);
 *   ORD_NODES     rule 5's node count: arrivals, tier changes to dedicated
 *                 and more nodes first.
 * Each is a real order of the wave (these actions first, the rest after),
 * so whatever breaks in it is a fault. */
enum { ORD_ROOM, ORD_ROOM_LATE, ORD_NODES, ORD_N };

/* 0: a takes room from reef x in order ord (first), 1: gives it (last). */
static int room_rank(const rp_action *a, int x, int ord)
{
    bool nodes = ord == ORD_NODES;
    switch (a->type) {
    case RP_ACT_PLACE:
        return 0;
    case RP_ACT_MIGRATE:
        return a->reef == x ? 0 : 1;
    case RP_ACT_SET_TIER:
        return (a->to == RP_SHARED) != nodes ? 0 : 1;
    case RP_ACT_RESIZE_POOL:
        return ord == ORD_ROOM_LATE;
    case RP_ACT_SCALE_NODES:
        return (a->to < a->from) != nodes ? 0 : 1;
    case RP_ACT_CREATE_REEF:
        return 1;
    default: /* delete_reef */
        return 0;
    }
}

typedef struct touch {
    int reef, rank, id;
    const rp_action *a;
} touch;

static int cmp_touch(const void *a, const void *b)
{
    const touch *x = a, *y = b;
    if (x->reef != y->reef)
        return (x->reef > y->reef) - (x->reef < y->reef);
    if (x->rank != y->rank)
        return (x->rank > y->rank) - (x->rank < y->rank);
    return (x->id > y->id) - (x->id < y->id);
}

/* What applying a changes, to be put back. */
typedef struct undo {
    int inst, reef_i, migrates, places;
    uint8_t tier[RP_NTIERS];
    rp_ded ded;
    int reef[2], pool[2], nodes[2];
    bool exists[2], created[2], deleted[2];
} undo;

static void save(const replay *r, const rp_action *a, undo *u)
{
    int i = a->inst;
    u->inst = i;
    if (i >= 0) {
        u->reef_i = r->st.reef[i];
        memcpy(u->tier, r->st.tier[i], RP_NTIERS);
        u->ded = r->st.ded[i];
        u->migrates = r->migrates[i];
        u->places = r->places[i];
    }
    u->reef[0] = a->reef;
    u->reef[1] = a->type == RP_ACT_MIGRATE ? a->from_reef : a->reef;
    for (int k = 0; k < 2; k++) {
        int x = u->reef[k];
        u->pool[k] = r->pool[x];
        u->nodes[k] = r->nodes[x];
        u->exists[k] = r->exists[x];
        u->created[k] = r->created[x];
        u->deleted[k] = r->deleted[x];
    }
}

static void restore(replay *r, const undo *u)
{
    for (int k = 1; k >= 0; k--) {
        int x = u->reef[k];
        r->pool[x] = u->pool[k];
        r->nodes[x] = u->nodes[k];
        r->exists[x] = u->exists[k];
        r->created[x] = u->created[k];
        r->deleted[x] = u->deleted[k];
    }
    int i = u->inst;
    if (i >= 0) {
        r->st.reef[i] = u->reef_i;
        memcpy(r->st.tier[i], u->tier, RP_NTIERS);
        r->st.ded[i] = u->ded;
        r->migrates[i] = u->migrates;
        r->places[i] = u->places;
    }
}

/* Applies the m actions of g (one reef's, in order) from the current state,
 * reporting with prefix, and puts the state back. */
static void try_order(replay *r, touch *g, size_t m, undo *u, const char *prefix)
{
    r->c->vprefix = prefix;
    for (size_t k = 0; k < m; k++) {
        save(r, g[k].a, &u[k]);
        apply(r, g[k].a);
    }
    for (size_t k = m; k-- > 0;)
        restore(r, &u[k]);
    r->c->vprefix = NULL;
}

/* The wave order[lo, hi), from the state before it, in the worst orders for
 * each reef it touches twice or more; the state is left as it was. An order
 * that is id order (which the wave-by-wave replay had) or that an earlier
 * one already was is not tried again. */
static void check_wave_orders(replay *r, size_t lo, size_t hi)
{
    static const char *const what[ORD_N] = {"room", "room first, a pool resize last", "nodes"};
    size_t n = 0, cap = 2 * (hi - lo) + 1;
    touch *t = rp_xcalloc(cap, sizeof *t), *g = rp_xcalloc(cap, sizeof *g);
    int *seen = rp_xcalloc(ORD_N * cap, sizeof *seen);
    undo *u = rp_xcalloc(cap, sizeof *u);
    char prefix[200];
    for (size_t k = lo; k < hi; k++) {
        const rp_action *a = r->order[k];
        t[n++] = (touch){a->reef, 0, a->id, a};
        if (a->type == RP_ACT_MIGRATE)
            t[n++] = (touch){a->from_reef, 0, a->id, a};
    }
    qsort(t, n, sizeof *t, cmp_touch); /* by reef, then id */
    for (size_t s = 0, e; s < n; s = e) {
        for (e = s + 1; e < n && t[e].reef == t[s].reef; e++)
            ;
        size_t m = e - s;
        if (m < 2)
            continue;
        for (int ord = 0; ord < ORD_N; ord++) {
            memcpy(g, t + s, m * sizeof *g);
            for (size_t k = 0; k < m; k++)
                g[k].rank = room_rank(g[k].a, t[s].reef, ord);
            qsort(g, m, sizeof *g, cmp_touch);
            int *ids = seen + (size_t)ord * cap;
            bool fresh = false;
            for (size_t k = 0; k < m; k++) {
                ids[k] = g[k].id;
                fresh |= ids[k] != t[s + k].id;
            }
            for (int o = 0; o < ord && fresh; o++)
                fresh = memcmp(ids, seen + (size_t)o * cap, m * sizeof *ids) != 0;
            if (!fresh)
                continue;
            snprintf(prefix, sizeof prefix,
                     "wave %d in another order (in reef %s, what takes %s%s): ", g[0].a->wave,
                     rname(r, t[s].reef), what[ord], ord == ORD_ROOM_LATE ? "" : " first");
            try_order(r, g, m, u, prefix);
        }
    }
    free(t);
    free(g);
    free(seen);
    free(u);
}

static int cmp_wave(const void *a, const void *b)
{
    const rp_action *x = *(const rp_action *const *)a, *y = *(const rp_action *const *)b;
    if (x->wave != y->wave)
        return (x->wave > y->wave) - (x->wave < y->wave);
    return cmp_action(a, b);
}

void rp__verify_replay(rp__vctx *c)
{
    replay r;
    replay_init(&r, c);
    size_t before = c->out->nviolations;
    check_ids(&r);
    for (size_t k = 0; k < r.n; k++)
        apply(&r, r.order[k]);
    final_instances(&r);
    final_reefs(&r);
    replay_free(&r);
    if (c->out->nviolations > before) /* its faults would be told twice */
        return;
    /* An executor runs the waves one after another: the plan must hold in
     * that order too (each wave's actions here in id order), which it does
     * when every action waits, through depends_on, for those it needs. */
    replay_init(&r, c);
    qsort(r.order, r.n, sizeof *r.order, cmp_wave);
    bool same = true;
    for (size_t k = 1; k < r.n && same; k++)
        same = r.order[k - 1]->id < r.order[k]->id;
    if (!same) {
        c->vprefix = "replayed wave by wave: ";
        for (size_t k = 0; k < r.n; k++)
            apply(&r, r.order[k]);
        final_instances(&r);
        final_reefs(&r);
        c->vprefix = NULL;
    }
    replay_free(&r);
    if (c->out->nviolations > before)
        return;
    /* Within a wave, the worst orders reef by reef (check_wave_orders). */
    replay_init(&r, c);
    qsort(r.order, r.n, sizeof *r.order, cmp_wave);
    for (size_t lo = 0, hi; lo < r.n; lo = hi) {
        for (hi = lo + 1; hi < r.n && r.order[hi]->wave == r.order[lo]->wave; hi++)
            ;
        check_wave_orders(&r, lo, hi);
        for (size_t k = lo; k < hi; k++)
            apply(&r, r.order[k]);
    }
    replay_free(&r);
}

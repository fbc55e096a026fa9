/* verify.c - the plan oracle's entry, the target-state rules (coverage,
 * capacity, rules 9 and 10, regions) and the summary recomputation. */
#include "verify_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

static const char *tier_word(int t)
{
    return t == RP_DEDICATED ? "dedicated" : "shared";
}

static const char *iname(const rp__vctx *c, size_t i)
{
    return c->f->inst[i].id;
}

static const char *rname(const rp__vctx *c, int r)
{
    return c->p->reefs[r].name;
}

static rp_reef_state rstate(const rp__vctx *c, int r)
{
    int fr = c->p->reefs[r].fleet_reef;
    return fr >= 0 ? c->f->reefs[fr].state : RP_REEF_ACTIVE;
}

/* ---- structure: indexes an in-memory plan could get wrong ---- */

static bool valid_ded(const rp__vctx *c, const uint8_t tier[RP_NTIERS], const rp_ded *d)
{
    for (int t = 0; t < RP_NTIERS; t++)
        if (tier[t] > RP_DEDICATED)
            return false;
    return tier[RP_TIER_DB] == RP_SHARED || (d->db_sku >= 0 && (size_t)d->db_sku < c->f->cat->ndbs);
}

static bool check_reefs_structure(rp__vctx *c)
{
    const rp_fleet *f = c->f;
    const rp_plan *p = c->p;
    if (p->nreefs < f->nreefs) {
        rp__violation(c, "plan: lists %zu reefs, the fleet has %zu", p->nreefs, f->nreefs);
        return false;
    }
    bool ok = true;
    for (size_t r = 0; r < p->nreefs; r++) {
        const rp_plan_reef *pr = &p->reefs[r];
        bool mirror = r < f->nreefs ? pr->fleet_reef == (int)r : pr->fleet_reef == -1;
        if (!mirror || pr->pool < 0 || (size_t)pr->pool >= f->cat->npools || pr->region < 0 ||
            (size_t)pr->region >= f->nregions || pr->template_idx < 0 ||
            (size_t)pr->template_idx >= f->cat->ntemplates) {
            rp__violation(c,
                          "plan: reef %zu (%s) has an invalid fleet index, pool, region or "
                          "template",
                          r, pr->name ? pr->name : "?");
            ok = false;
        }
    }
    return ok;
}

static bool check_structure(rp__vctx *c)
{
    const rp_plan *p = c->p;
    bool ok = check_reefs_structure(c);
    for (size_t k = 0; k < p->nplace; k++) {
        const rp_placement *pl = &p->place[k];
        if (pl->inst < 0 || (size_t)pl->inst >= c->f->ninst || pl->reef < 0 ||
            (size_t)pl->reef >= p->nreefs || !valid_ded(c, pl->tier, &pl->ded)) {
            rp__violation(c, "plan: placement %zu has an invalid instance, reef, tier or SKU", k);
            ok = false;
        }
    }
    for (size_t k = 0; k < p->nunplaced + p->ndeferred; k++) {
        int i = k < p->nunplaced ? p->unplaced[k].inst : p->deferred[k - p->nunplaced].inst;
        if (i < 0 || (size_t)i >= c->f->ninst) {
            rp__violation(c, "plan: unplaced/deferred entry %zu has an invalid instance", k);
            ok = false;
        }
    }
    return ok;
}

/* ---- coverage: each instance placed once or unplaced ---- */

static void build_target(rp__vctx *c)
{
    const rp_plan *p = c->p;
    for (size_t k = 0; k < p->nplace; k++) {
        const rp_placement *pl = &p->place[k];
        if (c->target[pl->inst] >= 0) {
            rp__violation(c, "instance %s: placed more than once", iname(c, (size_t)pl->inst));
            continue;
        }
        c->target[pl->inst] = (int)k;
        c->tgt.reef[pl->inst] = pl->reef;
        memcpy(c->tgt.tier[pl->inst], pl->tier, RP_NTIERS);
        c->tgt.ded[pl->inst] = pl->ded;
    }
}

static void check_coverage(rp__vctx *c)
{
    const rp_fleet *f = c->f;
    const rp_plan *p = c->p;
    int *unpl = rp_xcalloc(f->ninst + 1, sizeof *unpl);
    for (size_t k = 0; k < p->nunplaced; k++) {
        size_t i = (size_t)p->unplaced[k].inst;
        if (unpl[i]++)
            rp__violation(c, "instance %s: listed unplaced more than once", iname(c, i));
        if (!p->unplaced[k].reason || !*p->unplaced[k].reason)
            rp__violation(c, "instance %s: unplaced without a reason", iname(c, i));
    }
    for (size_t i = 0; i < f->ninst; i++) {
        int cur = rp__cur_reef(c, i);
        if (c->target[i] >= 0 && unpl[i])
            rp__violation(c, "instance %s: both placed and unplaced", iname(c, i));
        else if (c->target[i] < 0 && !unpl[i])
            rp__violation(c, "instance %s: neither placed nor listed unplaced", iname(c, i));
        else if (unpl[i] && cur >= 0 && rstate(c, cur) != RP_REEF_BROKEN)
            rp__violation(c, "instance %s: unplaced, but its reef %s is not broken", iname(c, i),
                          rname(c, cur));
    }
    free(unpl);
}

/* ---- rules 8, 9, 10 per placed instance ---- */

static void check_placement(rp__vctx *c, size_t i, int *budget_moves)
{
    const rp_placement *pl = &c->p->place[c->target[i]];
    const rp_instance *in = &c->f->inst[i];
    int cur = rp__cur_reef(c, i), to = pl->reef;
    char prefix[300];
    snprintf(prefix, sizeof prefix, "instance %s", in->id);
    for (int t = 0; t < RP_NTIERS; t++)
        if (pl->tier[t] == RP_DEDICATED)
            rp__check_ded(c, i, c->p->reefs[to].template_idx, t, &pl->ded, prefix);
    rp_reef_state st = rstate(c, to);
    if (st == RP_REEF_BROKEN)
        rp__violation(c, "instance %s: rule 9 placed in broken reef %s", in->id, rname(c, to));
    else if (to != cur && st != RP_REEF_ACTIVE)
        rp__violation(c, "reef %s: rule 9 %s reef gains instance %s", rname(c, to),
                      rp_reef_state_names[st], in->id);
    if (cur < 0 || to == cur) {
        if (cur >= 0 && in->pinned)
            for (int t = 0; t < RP_NTIERS; t++)
                if (pl->tier[t] != in->tier[t])
                    rp__violation(
                        c, "instance %s: rule 10 pinned, but its %s changes from %s to %s", in->id,
                        rp_tier_names[t], tier_word(in->tier[t]), tier_word(pl->tier[t]));
        return;
    }
    if (rstate(c, cur) == RP_REEF_BROKEN)
        return;
    ++*budget_moves;
    if (in->pinned)
        rp__violation(c, "instance %s: rule 10 pinned, but moved from %s to %s", in->id,
                      rname(c, cur), rname(c, to));
    if (rp__in_cooldown(c, i)) {
        char when[40];
        rp_time_format(in->last_moved, when);
        rp__violation(c,
                      "instance %s: rule 10 cooldown: moved from %s to %s, last moved %.10s "
                      "(within %d days)",
                      in->id, rname(c, cur), rname(c, to), when, c->f->set.move_cooldown_days);
    }
}

/* The reasons for staying in a draining reef: SPEC's (the move budget)
 * and the two rule 10 gives (pinned, move cooldown) are checked against the
 * fleet and the plan; "no reef can take it" is taken as given (a claim
 * about every reef no single check can confirm); any other is refused. */
static void check_reason(rp__vctx *c, size_t i, const char *why, int budget, int budget_moves)
{
    if (strcmp(why, "move budget") == 0 && (budget < 0 || budget_moves < budget))
        rp__violation(c,
                      "instance %s: rule 9 deferred for the move budget, but %d moves of %d are "
                      "used",
                      iname(c, i), budget_moves, budget);
    else if (strcmp(why, "pinned") == 0 && !c->f->inst[i].pinned)
        rp__violation(c, "instance %s: deferred as pinned, but it is not pinned", iname(c, i));
    else if (strcmp(why, "move cooldown") == 0 && !rp__in_cooldown(c, i))
        rp__violation(c, "instance %s: deferred for its move cooldown, but it is not in one",
                      iname(c, i));
    else if (strcmp(why, "move budget") != 0 && strcmp(why, "pinned") != 0 &&
             strcmp(why, "move cooldown") != 0 && strcmp(why, "no reef can take it") != 0) {
        char b[72];
        rp__violation(c,
                      "instance %s: rule 9 deferred for '%s', which is not a reason to stay "
                      "(move budget, pinned, move cooldown, no reef can take it)",
                      iname(c, i), rp_error_excerpt(why, b));
    }
}

static void check_deferred(rp__vctx *c, int budget, int budget_moves)
{
    const rp_fleet *f = c->f;
    const rp_plan *p = c->p;
    int *def = rp_xcalloc(f->ninst + 1, sizeof *def);
    for (size_t k = 0; k < p->ndeferred; k++) {
        size_t i = (size_t)p->deferred[k].inst;
        int cur = rp__cur_reef(c, i);
        if (def[i]++)
            rp__violation(c, "instance %s: deferred more than once", iname(c, i));
        if (!p->deferred[k].reason || !*p->deferred[k].reason)
            rp__violation(c, "instance %s: deferred without a reason", iname(c, i));
        else
            check_reason(c, i, p->deferred[k].reason, budget, budget_moves);
        if (cur < 0 || rstate(c, cur) != RP_REEF_DRAINING || c->tgt.reef[i] != cur)
            rp__violation(c, "instance %s: deferred, but it does not stay in a draining reef",
                          iname(c, i));
    }
    for (size_t i = 0; i < f->ninst; i++) {
        int r = c->tgt.reef[i];
        if (r >= 0 && r == rp__cur_reef(c, i) && rstate(c, r) == RP_REEF_DRAINING && !def[i])
            rp__violation(c, "instance %s: rule 9 stays in draining reef %s but is not deferred",
                          iname(c, i), rname(c, r));
    }
    free(def);
}

static void check_instances(rp__vctx *c)
{
    int budget_moves = 0;
    for (size_t i = 0; i < c->f->ninst; i++)
        if (c->target[i] >= 0)
            check_placement(c, i, &budget_moves);
    int budget = c->f->set.move_budget;
    if (budget >= 0 && budget_moves > budget)
        rp__violation(c,
                      "plan: rule 10 moves: %d > move_budget %d (moves out of broken reefs "
                      "not counted)",
                      budget_moves, budget);
    check_deferred(c, budget, budget_moves);
}

/* ---- reefs: capacity at the plan's sizes, flags, regions ---- */

static void check_reef_stats(rp__vctx *c, int r, int count)
{
    const rp_plan_reef *pr = &c->p->reefs[r];
    if (pr->instances >= 0 && pr->instances != count)
        rp__violation(c, "reef %s: states %d instances, the placements put %d there", pr->name,
                      pr->instances, count);
    const rp_catalog *cat = c->f->cat;
    const rp_template *t = &cat->templates[pr->template_idx];
    double cap[RP_NMETRICS] = {cat->pools[pr->pool].db_compute,
                               cat->pools[pr->pool].max_storage_gb,
                               pr->nodes * cat->vms[t->node_vm].alloc_cpu,
                               pr->nodes * cat->vms[t->node_vm].alloc_memory_gb,
                               cat->storage[t->storage].max_gb,
                               cat->storage[t->storage].max_iops};
    for (int m = 0; m < RP_NMETRICS; m++) {
        if (pr->peak_util[m] < 0)
            continue;
        double pk = 0;
        for (int s = 0; s < c->S; s++)
            pk = fmax(pk, c->sum[m * c->S + s]);
        double u = cap[m] > 0 ? pk / cap[m] : 0;
        if (fabs(u - pr->peak_util[m]) > 1e-3)
            rp__violation(c, "reef %s: states peak_utilization %s %.4f, recomputed %.4f", pr->name,
                          rp_metric_names[m], pr->peak_util[m], u);
    }
}

/* A deleted reef holds nothing: what it states must say so. */
static void check_deleted_stats(rp__vctx *c, const rp_plan_reef *pr)
{
    if (pr->instances > 0)
        rp__violation(c, "reef %s: deleted, but states %d instances", pr->name, pr->instances);
    for (int m = 0; m < RP_NMETRICS; m++)
        if (pr->peak_util[m] > 0)
            rp__violation(c, "reef %s: deleted, but states peak_utilization %s %.4f", pr->name,
                          rp_metric_names[m], pr->peak_util[m]);
}

static void check_reefs(rp__vctx *c)
{
    const rp_plan *p = c->p;
    int *count = rp_xcalloc(p->nreefs + 1, sizeof *count);
    for (size_t i = 0; i < c->f->ninst; i++)
        if (c->tgt.reef[i] >= 0)
            count[c->tgt.reef[i]]++;
    for (size_t r = 0; r < p->nreefs; r++) {
        const rp_plan_reef *pr = &p->reefs[r];
        if (pr->created != (pr->fleet_reef < 0))
            rp__violation(c, "reef %s: created flag %s for a reef %s the fleet", pr->name,
                          pr->created ? "set" : "missing", pr->fleet_reef < 0 ? "not in" : "in");
        if (pr->deleted && count[r] > 0)
            rp__violation(c, "reef %s: deleted by the plan but holds %d instances", pr->name,
                          count[r]);
        if (pr->fleet_reef < 0 && pr->template_idx != c->f->regions[pr->region].template_idx)
            rp__violation(c, "reef %s: template %s differs from region %s's template %s", pr->name,
                          c->f->cat->templates[pr->template_idx].name,
                          c->f->regions[pr->region].name,
                          c->f->cat->templates[c->f->regions[pr->region].template_idx].name);
        if (pr->deleted && count[r] == 0) {
            check_deleted_stats(c, pr);
            continue;
        }
        rp__eval_reef(c, &c->tgt, (int)r, pr->pool, pr->nodes, NULL, "");
        check_reef_stats(c, (int)r, count[r]);
    }
    free(count);
}

static void check_regions(rp__vctx *c)
{
    for (size_t g = 0; g < c->f->nregions; g++) {
        int open = 0, created = 0;
        for (size_t r = 0; r < c->p->nreefs; r++) {
            const rp_plan_reef *pr = &c->p->reefs[r];
            /* A broken reef is down, and a reef that replaces it may be
             * opened whatever max_reefs says: it counts only once deleted
             * (it stays while an instance no reef can take is still in it). */
            if (pr->region != (int)g || pr->deleted ||
                (pr->fleet_reef >= 0 && c->f->reefs[pr->fleet_reef].state == RP_REEF_BROKEN))
                continue;
            open++;
            created += pr->created;
        }
        if (created > 0 && open > c->f->regions[g].max_reefs)
            rp__violation(c, "region %s: %d reefs after the plan > max_reefs %d",
                          c->f->regions[g].name, open, c->f->regions[g].max_reefs);
    }
}

/* ---- summary (SPEC §4) ---- */

static double ded_price(const rp__vctx *c, int tmpl, int tier, const rp_ded *d)
{
    const rp_catalog *cat = c->f->cat;
    const rp_template *t = &cat->templates[tmpl];
    if (tier == RP_TIER_DB)
        return d->db_sku >= 0 && (size_t)d->db_sku < cat->ndbs ? cat->dbs[d->db_sku].price : 0;
    if (tier == RP_TIER_COMPUTE)
        return d->nodes * cat->vms[t->node_vm].price;
    return d->share_gb * cat->storage[t->dedicated_storage].price_per_gb;
}

static double reef_base(const rp__vctx *c, int tmpl, int pool, int nodes)
{
    const rp_catalog *cat = c->f->cat;
    const rp_template *t = &cat->templates[tmpl];
    return t->fixed_cost + cat->pools[pool].price + nodes * cat->vms[t->node_vm].price;
}

/* Cost of instance i's tiers in a reef of template tmpl (shared storage by
 * its peak, dedicated tiers at d). */
static double inst_cost(const rp__vctx *c, size_t i, int tmpl, const uint8_t tier[RP_NTIERS],
                        const rp_ded *d)
{
    const rp_catalog *cat = c->f->cat;
    double cost = 0;
    if (tier[RP_TIER_STORAGE] == RP_SHARED)
        cost += cat->storage[cat->templates[tmpl].storage].price_per_gb *
                c->peak[i * RP_NMETRICS + RP_M_SHARE_GB];
    for (int t = 0; t < RP_NTIERS; t++)
        if (tier[t] == RP_DEDICATED)
            cost += ded_price(c, tmpl, t, d);
    return cost;
}

static double cost_before(const rp__vctx *c)
{
    const rp_fleet *f = c->f;
    double cost = 0;
    for (size_t r = 0; r < f->nreefs; r++)
        cost += reef_base(c, f->reefs[r].template_idx, f->reefs[r].pool, f->reefs[r].nodes);
    for (size_t i = 0; i < f->ninst; i++) {
        int r = f->inst[i].reef;
        if (r < 0)
            continue;
        int tmpl = f->reefs[r].template_idx;
        rp_ded d = {.db_sku = -1};
        for (int t = 0; t < RP_NTIERS; t++)
            if (f->inst[i].tier[t] == RP_DEDICATED)
                rp__cheapest_ded(c, i, tmpl, t, &d);
        cost += inst_cost(c, i, tmpl, f->inst[i].tier, &d);
    }
    return cost;
}

static double cost_after(const rp__vctx *c)
{
    const rp_plan *p = c->p;
    double cost = 0;
    bool *open = rp_xcalloc(p->nreefs + 1, sizeof *open);
    bool *listed = rp_xcalloc(c->f->ninst + 1, sizeof *listed);
    for (size_t r = 0; r < p->nreefs; r++)
        open[r] = !p->reefs[r].deleted;
    for (size_t k = 0; k < p->nunplaced; k++)
        listed[p->unplaced[k].inst] = true;
    for (size_t i = 0; i < c->f->ninst; i++) {
        int r = c->tgt.reef[i];
        if (r < 0) {
            /* Listed unplaced, still in a reef the plan keeps (broken): it
             * costs there what it costs now. */
            int cur = rp__cur_reef(c, i);
            if (!listed[i] || cur < 0 || p->reefs[cur].deleted)
                continue;
            int tmpl = p->reefs[cur].template_idx;
            rp_ded d = {.db_sku = -1};
            for (int t = 0; t < RP_NTIERS; t++)
                if (c->f->inst[i].tier[t] == RP_DEDICATED)
                    rp__cheapest_ded(c, i, tmpl, t, &d);
            cost += inst_cost(c, i, tmpl, c->f->inst[i].tier, &d);
            continue;
        }
        open[r] = true;
        cost += inst_cost(c, i, p->reefs[r].template_idx, c->tgt.tier[i], &c->tgt.ded[i]);
    }
    for (size_t r = 0; r < p->nreefs; r++)
        if (open[r])
            cost += reef_base(c, p->reefs[r].template_idx, p->reefs[r].pool, p->reefs[r].nodes);
    free(open);
    free(listed);
    return cost;
}

static void recompute_summary(rp__vctx *c, rp_plan_summary *s)
{
    const rp_fleet *f = c->f;
    double move_cost = 0;
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < f->ninst; i++) {
        int cur = rp__cur_reef(c, i), to = c->tgt.reef[i];
        if (cur < 0 || to < 0)
            continue;
        if (to != cur) {
            s->moves++;
            move_cost += f->plans[f->inst[i].plan].move_cost;
            continue;
        }
        for (int t = 0; t < RP_NTIERS; t++)
            s->tier_changes += c->tgt.tier[i][t] != f->inst[i].tier[t];
    }
    for (size_t r = 0; r < c->p->nreefs; r++) {
        s->reefs_opened += c->p->reefs[r].created;
        s->reefs_deleted += c->p->reefs[r].deleted;
    }
    s->unplaced = (int)c->p->nunplaced;
    s->cost_before = cost_before(c);
    s->cost_after = cost_after(c);
    s->objective = s->cost_after + move_cost + f->set.tier_change_cost * s->tier_changes;
    s->lower_bound = c->p->sum.lower_bound;
    s->solve_seconds = c->p->sum.solve_seconds;
}

static void cmp_money(rp__vctx *c, const char *what, double stated, double real)
{
    if (fabs(stated - real) > 0.01 + 1e-6 * fabs(real))
        rp__violation(c, "summary %s: stated %.2f, recomputed %.2f", what, stated, real);
}

static void cmp_count(rp__vctx *c, const char *what, int stated, int real)
{
    if (stated != real)
        rp__violation(c, "summary %s: stated %d, recomputed %d", what, stated, real);
}

static void check_summary(rp__vctx *c)
{
    const rp_plan_summary *st = &c->p->sum;
    rp_plan_summary *s = &c->out->sum;
    recompute_summary(c, s);
    cmp_money(c, "cost_before", st->cost_before, s->cost_before);
    cmp_money(c, "cost_after", st->cost_after, s->cost_after);
    cmp_money(c, "objective", st->objective, s->objective);
    cmp_count(c, "moves", st->moves, s->moves);
    cmp_count(c, "tier_changes", st->tier_changes, s->tier_changes);
    cmp_count(c, "reefs_opened", st->reefs_opened, s->reefs_opened);
    cmp_count(c, "reefs_deleted", st->reefs_deleted, s->reefs_deleted);
    cmp_count(c, "unplaced", st->unplaced, s->unplaced);
    if (!(st->lower_bound >= 0) || st->lower_bound > s->objective + 0.01 + 1e-6 * s->objective)
        rp__violation(c, "summary lower_bound: %.2f is not in [0, objective %.2f]", st->lower_bound,
                      s->objective);
    if (!(st->solve_seconds >= 0))
        rp__violation(c, "summary solve_seconds: negative");
}

/* ---- entry ---- */

static void check_fingerprint(rp__vctx *c)
{
    if (!c->f->dir)
        return;
    char fp[80];
    rp_error err;
    if (rp_fleet_fingerprint(c->f, fp, &err) < 0)
        rp__violation(c, "plan: cannot fingerprint the fleet: %s: %s", err.file, err.msg);
    else if (strcmp(fp, c->p->fingerprint) != 0)
        rp__violation(c, "plan: fleet_fingerprint %s does not match the fleet (%s)",
                      c->p->fingerprint[0] ? c->p->fingerprint : "(none)", fp);
}

static void ctx_init(rp__vctx *c, const rp_fleet *f, const rp_plan *p, rp_verify_report *out)
{
    memset(c, 0, sizeof *c);
    c->f = f;
    c->p = p;
    c->out = out;
    c->S = f->set.slots;
    c->nex = (size_t)RP_NMETRICS * (size_t)c->S + 8;
    c->peak = rp_xcalloc(f->ninst * RP_NMETRICS + 1, sizeof *c->peak);
    for (size_t i = 0; i < f->ninst; i++)
        for (int m = 0; m < RP_NMETRICS; m++) {
            const float *v = rp_fleet_profile(f, i, m);
            double pk = 0;
            for (int t = 0; t < c->S; t++)
                pk = fmax(pk, v[t]);
            c->peak[i * RP_NMETRICS + (size_t)m] = pk;
        }
    c->sum = rp_xcalloc((size_t)RP_NMETRICS * (size_t)c->S, sizeof *c->sum);
    c->gfirst = rp_xcalloc(f->ngroups + 1, sizeof *c->gfirst);
    c->target = rp_xcalloc(f->ninst + 1, sizeof *c->target);
    for (size_t i = 0; i < f->ninst; i++)
        c->target[i] = -1;
    rp__vstate_init(&c->tgt, f->ninst);
}

static void ctx_free(rp__vctx *c)
{
    free(c->peak);
    free(c->sum);
    free(c->gfirst);
    free(c->target);
    rp__vstate_free(&c->tgt);
}

size_t rp_verify(const rp_fleet *f, const rp_plan *p, rp_verify_report *out)
{
    memset(out, 0, sizeof *out);
    rp__vctx c;
    ctx_init(&c, f, p, out);
    check_fingerprint(&c);
    if (check_structure(&c)) {
        build_target(&c);
        check_coverage(&c);
        check_instances(&c);
        check_reefs(&c);
        check_regions(&c);
        check_summary(&c);
        rp__verify_replay(&c);
    }
    ctx_free(&c);
    return out->nviolations;
}

void rp_verify_report_free(rp_verify_report *r)
{
    for (size_t k = 0; k < r->nmsgs; k++)
        free(r->msgs[k]);
    free(r->msgs);
    r->msgs = NULL;
    r->nmsgs = r->nviolations = 0;
}

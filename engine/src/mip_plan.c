/* mip_plan.c - a MIP result as a plan (SPEC §5 without actions): the
 * bridge from the exact model to the rest of the engine. Reef sizes come
 * from the model; costs are recomputed with the capacity model so the
 * summary is priced exactly as the solver and verify price it. */
#include "mip.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bound.h"
#include "solver.h"

/* Plan reefs: every fleet reef, then the opened new ones; idx maps model
 * reef -> plan reef (-1 for new reefs left closed). */
static void plan_reefs(const rp_fleet *f, const rp_mip_result *r, rp_plan *p, int *idx)
{
    p->reefs = rp_xcalloc(r->nreefs + 1, sizeof(rp_plan_reef));
    for (size_t k = 0; k < r->nreefs; k++) {
        const rp_mip_reef *x = &r->reefs[k];
        idx[k] = -1;
        if (x->fleet_reef < 0 && !x->open)
            continue;
        rp_plan_reef *pr = &p->reefs[p->nreefs];
        pr->region = x->region;
        pr->template_idx = x->template_idx;
        pr->fleet_reef = x->fleet_reef;
        pr->created = x->fleet_reef < 0;
        pr->deleted = !x->open;
        pr->pool = x->fleet_reef >= 0 ? f->reefs[x->fleet_reef].pool : x->pool;
        pr->nodes = x->fleet_reef >= 0 ? f->reefs[x->fleet_reef].nodes : x->nodes;
        if (x->open && x->pool >= 0) {
            pr->pool = x->pool;
            pr->nodes = x->nodes;
        }
        for (int m = 0; m < RP_NMETRICS; m++)
            pr->peak_util[m] = -1; /* the writer recomputes it */
        pr->name = x->fleet_reef >= 0 ? rp_xstrdup(f->reefs[x->fleet_reef].name)
                                      : rp_plan_new_reef_name(f, x->region, p);
        idx[k] = (int)p->nreefs++;
    }
}

static void push_note(rp_plan_note **arr, size_t *n, int inst, const char *reason)
{
    *arr = rp_xreallocarray(*arr, *n + 1, sizeof(rp_plan_note));
    (*arr)[(*n)++] = (rp_plan_note){inst, rp_xstrdup(reason)};
}

/* Placements, unplaced and deferred, move and tier counts, and the
 * per-reef usage for pricing. */
static double plan_places(const rp_fleet *f, const rp_mip_result *r, int budget, rp_plan *p,
                          const int *idx, rp_reef_use *use)
{
    bool spent = budget >= 0 && r->moves >= budget;
    double terms = 0;
    p->place = rp_xcalloc(f->ninst + 1, sizeof(rp_placement));
    for (size_t i = 0; i < f->ninst; i++) {
        const rp_mip_place *x = &r->place[i];
        const rp_instance *in = &f->inst[i];
        if (x->reef < 0) {
            push_note(&p->unplaced, &p->nunplaced, (int)i,
                      "no feasible placement in the exact model");
            continue;
        }
        const rp_mip_reef *mr = &r->reefs[x->reef];
        rp_placement *pl = &p->place[p->nplace++];
        *pl = (rp_placement){(int)i, idx[x->reef], {0}, x->ded};
        memcpy(pl->tier, x->tier, RP_NTIERS);
        rp_use_add(&use[x->reef], f, i, mr->template_idx, x->tier, &x->ded, +1);
        p->reefs[pl->reef].instances++;
        if (mr->fleet_reef >= 0 && f->reefs[mr->fleet_reef].state == RP_REEF_DRAINING)
            push_note(&p->deferred, &p->ndeferred, (int)i, rp_deferred_reason(f, i, spent));
        if (in->reef >= 0 && x->reef != in->reef) {
            p->sum.moves++;
            terms += f->plans[in->plan].move_cost;
        } else if (in->reef >= 0) {
            for (int k = 0; k < RP_NTIERS; k++)
                p->sum.tier_changes += x->tier[k] != in->tier[k];
        }
    }
    return terms + p->sum.tier_changes * f->set.tier_change_cost;
}

int rp_mip_to_plan(const rp_fleet *f, const rp_mip_result *r, int move_budget, rp_plan *p)
{
    if (r->status == RP_MIP_NONE || !r->place || r->ninst != f->ninst)
        return RP_EINVALID;
    int *idx = rp_xmalloc((r->nreefs + 1) * sizeof(int));
    rp_reef_use *use = rp_xcalloc(r->nreefs + 1, sizeof(rp_reef_use));
    for (size_t k = 0; k < r->nreefs; k++)
        rp_use_init(&use[k], f);
    int budget = move_budget >= -1 ? move_budget : f->set.move_budget;
    plan_reefs(f, r, p, idx);
    double terms = plan_places(f, r, budget, p, idx, use);
    rp_plan_summary *s = &p->sum;
    s->cost_before = rp_fleet_current_cost(f);
    for (size_t k = 0; k < r->nreefs; k++) {
        const rp_mip_reef *x = &r->reefs[k];
        if (x->open && x->pool >= 0)
            s->cost_after += rp_use_cost(&use[k], f, x->template_idx, x->pool, x->nodes);
        s->reefs_opened += x->fleet_reef < 0 && x->open;
        s->reefs_deleted += x->fleet_reef >= 0 && !x->open;
        rp_use_free(&use[k]);
    }
    s->objective = s->cost_after + terms;
    s->unplaced = (int)p->nunplaced;
    bool *placed = rp_xcalloc(f->ninst + 1, sizeof(bool));
    for (size_t i = 0; i < f->ninst; i++)
        placed[i] = r->place[i].reef >= 0;
    s->lower_bound = rp_lower_bound(f, placed, budget);
    s->solve_seconds = r->seconds;
    free(placed);
    free(use);
    free(idx);
    return 0;
}

rp_mip_place *rp_mip_start_from_plan(const rp_fleet *f, const rp_plan *p)
{
    rp_mip_reef *reefs;
    size_t nr = rp_mip_reefs(f, &reefs);
    int *map = rp_xmalloc((p->nreefs + 1) * sizeof(int));
    size_t *next = rp_xcalloc(f->nregions + 1, sizeof(size_t)); /* per region: candidates used */
    bool ok = true;
    for (size_t k = 0; k < p->nreefs && ok; k++) {
        const rp_plan_reef *pr = &p->reefs[k];
        map[k] = pr->fleet_reef;
        if (pr->fleet_reef >= 0)
            continue;
        size_t seen = 0, r = 0;
        for (; r < nr; r++)
            if (reefs[r].fleet_reef < 0 && reefs[r].region == pr->region &&
                seen++ == next[pr->region])
                break;
        ok = r < nr;
        map[k] = (int)r;
        next[pr->region]++;
    }
    rp_mip_place *out = NULL;
    if (ok) {
        out = rp_xcalloc(f->ninst + 1, sizeof(rp_mip_place));
        for (size_t i = 0; i < f->ninst; i++)
            out[i] = (rp_mip_place){.reef = -1, .ded = {-1, 0, 0}};
        for (size_t k = 0; k < p->nplace; k++) {
            const rp_placement *pl = &p->place[k];
            rp_mip_place *o = &out[pl->inst];
            o->reef = map[pl->reef];
            memcpy(o->tier, pl->tier, RP_NTIERS);
            o->ded = pl->ded;
        }
    }
    free(next);
    free(map);
    free(reefs);
    return out;
}

/* bench_leavers.c - what one instance leaving its reef is worth, on a placed
 * fleet (a plan's --target-fleet), with the engine's capacity model
 * (engine/src/capacity.h).
 *
 *   bench_leavers FLEET
 *
 * Every reef is sized at the cheapest pool SKU and node count that hold what
 * it holds. For each instance that may move (placed in an active reef, not
 * pinned, in no group, out of its cooldown) with its tiers kept:
 *   saving:  what the reef's shared resources (pool SKU, node count) cost
 *            now less what they cost without the instance;
 *   landing: what another active reef's shared resources cost more with it
 *            (dedicated tiers sized for that reef's template; reefs it does
 *            not fit at any size are skipped);
 *   net:     what the move saves in all, the instance's dedicated tiers at
 *            both ends and the plan's move cost included.
 * Per region it prints one line of key=value pairs:
 *   reefs          active reefs holding instances
 *   step_reefs     reefs one leaver takes down in pool SKU or node count
 *   step_saving    the sum, over those reefs, of the best such saving: what
 *                  single moves are worth if each leaver lands for free
 *   free_landing   of those reefs, how many have a leaver with a saving
 *                  that lands in some reef at no added cost
 *   net_reefs      reefs with some leaver of positive net
 *   greedy_moves / greedy_net
 *                  single moves of positive net taken greedily by net, each
 *                  reef at most once as source or destination: an estimate
 *                  of what independent single moves gain (not a bound)
 * A benchmark aid, not a test: it is never run by ctest or CI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capacity.h"
#include "fleet.h"

typedef struct cand {
    double net;
    size_t inst;
    int from, to;
} cand;

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->net != y->net)
        return x->net > y->net ? -1 : 1;
    if (x->inst != y->inst)
        return x->inst < y->inst ? -1 : 1;
    return (x->to > y->to) - (x->to < y->to);
}

/* The reef's cost at its cheapest size, or -1 when no size holds it; *steps
 * gets the price of that pool SKU and node count alone. */
static double sized_cost(const rp_reef_use *u, const rp_fleet *f, int t, double *steps)
{
    int pool, nodes;
    rp_violation v;
    if (rp_use_size(u, f, t, &pool, &nodes, &v) != 0)
        return -1.0;
    const rp_catalog *c = f->cat;
    *steps = c->pools[pool].price + nodes * c->vms[c->templates[t].node_vm].price;
    return rp_use_cost(u, f, t, pool, nodes);
}

static bool may_move(const rp_fleet *f, size_t i)
{
    const rp_instance *in = &f->inst[i];
    if (in->reef < 0 || in->pinned || in->group >= 0)
        return false;
    if (f->reefs[in->reef].state != RP_REEF_ACTIVE)
        return false;
    if (in->last_moved != RP_NO_TIME &&
        f->set.now - in->last_moved < (int64_t)f->set.move_cooldown_days * 86400)
        return false;
    return true;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_leavers FLEET\n");
        return 2;
    }
    rp_fleet *f;
    rp_error err;
    if (rp_fleet_load(argv[1], &f, &err) < 0) {
        rp_error_print(&err, stderr);
        return 1;
    }
    size_t nr = f->nreefs;
    rp_reef_use *u = calloc(nr, sizeof *u);
    double *base = calloc(nr, sizeof *base);
    double *base_steps = calloc(nr, sizeof *base_steps);
    double *best_save = calloc(nr, sizeof *best_save);
    double *best_net = calloc(nr, sizeof *best_net);
    bool *free_land = calloc(nr, sizeof *free_land);
    bool *used = calloc(nr, sizeof *used);
    size_t ncand = 0, capc = 1024;
    cand *cs = malloc(capc * sizeof *cs);
    if (!u || !base || !base_steps || !best_save || !best_net || !free_land || !used || !cs) {
        fprintf(stderr, "bench_leavers: out of memory\n");
        return 1;
    }
    rp_fleet_current_use(f, u);
    for (size_t r = 0; r < nr; r++) {
        base[r] = sized_cost(&u[r], f, f->reefs[r].template_idx, &base_steps[r]);
        best_net[r] = -1e300;
    }
    for (size_t i = 0; i < f->ninst; i++) {
        if (!may_move(f, i))
            continue;
        const rp_instance *in = &f->inst[i];
        int r = in->reef, t = f->reefs[r].template_idx;
        if (base[r] < 0)
            continue;
        rp_ded d;
        rp_ded_fill_or_largest(f, i, t, in->tier, &d);
        rp_use_add(&u[r], f, i, t, in->tier, &d, -1);
        double steps_without = 0.0;
        double without = sized_cost(&u[r], f, t, &steps_without);
        rp_use_add(&u[r], f, i, t, in->tier, &d, +1);
        double save = without < 0 ? 0.0 : base_steps[r] - steps_without;
        if (save <= 0.005)
            continue;
        if (save > best_save[r])
            best_save[r] = save;
        for (size_t r2 = 0; r2 < nr; r2++) {
            const rp_reef *to = &f->reefs[r2];
            if ((int)r2 == r || to->region != in->region || to->state != RP_REEF_ACTIVE ||
                u[r2].n == 0 || base[r2] < 0)
                continue;
            int t2 = to->template_idx;
            rp_ded d2;
            if (rp_ded_fill(f, i, t2, in->tier, &d2) >= 0)
                continue;
            rp_use_add(&u[r2], f, i, t2, in->tier, &d2, +1);
            double steps_with = 0.0;
            double with = sized_cost(&u[r2], f, t2, &steps_with);
            rp_use_add(&u[r2], f, i, t2, in->tier, &d2, -1);
            if (with < 0)
                continue;
            double land = steps_with - base_steps[r2];
            if (land <= 0.005)
                free_land[r] = true;
            double net = (base[r] - without) - (with - base[r2]) - f->plans[in->plan].move_cost;
            if (net > best_net[r])
                best_net[r] = net;
            if (net > 0.005) {
                if (ncand == capc) {
                    capc *= 2;
                    cs = realloc(cs, capc * sizeof *cs);
                    if (!cs) {
                        fprintf(stderr, "bench_leavers: out of memory\n");
                        return 1;
                    }
                }
                cs[ncand++] = (cand){net, i, r, (int)r2};
            }
        }
    }
    qsort(cs, ncand, sizeof *cs, cand_cmp);
    for (size_t g = 0; g < f->nregions; g++) {
        int reefs = 0, step_reefs = 0, free_landing = 0, net_reefs = 0, gm = 0;
        double step_saving = 0.0, gnet = 0.0;
        for (size_t r = 0; r < nr; r++) {
            if (f->reefs[r].region != (int)g || f->reefs[r].state != RP_REEF_ACTIVE || u[r].n == 0)
                continue;
            reefs++;
            if (best_save[r] > 0.005) {
                step_reefs++;
                step_saving += best_save[r];
                free_landing += free_land[r];
                net_reefs += best_net[r] > 0.005;
            }
        }
        for (size_t k = 0; k < ncand; k++) {
            if (f->reefs[cs[k].from].region != (int)g || used[cs[k].from] || used[cs[k].to])
                continue;
            used[cs[k].from] = used[cs[k].to] = true;
            gm++;
            gnet += cs[k].net;
        }
        printf("region=%s reefs=%d step_reefs=%d step_saving=%.2f free_landing=%d net_reefs=%d "
               "greedy_moves=%d greedy_net=%.2f\n",
               f->regions[g].name, reefs, step_reefs, step_saving, free_landing, net_reefs, gm,
               gnet);
    }
    for (size_t r = 0; r < nr; r++)
        rp_use_free(&u[r]);
    free(u);
    free(base);
    free(base_steps);
    free(best_save);
    free(best_net);
    free(free_land);
    free(used);
    free(cs);
    rp_fleet_free(f);
    return 0;
}

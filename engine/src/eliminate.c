/* eliminate.c - closing a reef by ejection chains: its instances go to a
 * pool; each is put where it fits at no extra cost, or swapped for smaller
 * ones that join the pool, until the pool empties (the reef is gone) or the
 * attempt's work bound is spent. */
#include <math.h>
#include <stdlib.h>

#include "log.h"
#include "solver_int.h"

/* Members of every reef of one region, kept current while an elimination
 * runs (pos[i]: index of i in its reef's list). */
typedef struct roster {
    rp_vec *mem; /* per solver reef: int instance ids */
    int *pos;    /* per instance */
} roster;

static void roster_build(const rp_solver *s, roster *ro)
{
    ro->mem = rp_xcalloc((size_t)s->nr, sizeof(rp_vec));
    ro->pos = rp_xmalloc((s->f->ninst + 1) * sizeof(int));
    for (int k = 0; k < s->nmovers; k++) {
        int i = s->movers[k];
        if (s->at[i] < 0)
            continue;
        ro->pos[i] = (int)ro->mem[s->at[i]].len;
        RP_VEC_PUSH(&ro->mem[s->at[i]], int, i);
    }
}

static void roster_free(const rp_solver *s, roster *ro)
{
    for (int r = 0; r < s->nr; r++)
        rp_vec_free(&ro->mem[r]);
    free(ro->mem);
    free(ro->pos);
}

static void roster_del(roster *ro, int r, int i)
{
    rp_vec *v = &ro->mem[r];
    int last = RP_VEC_AT(v, int, v->len - 1);
    RP_VEC_AT(v, int, ro->pos[i]) = last;
    ro->pos[last] = ro->pos[i];
    v->len--;
}

static void roster_add(roster *ro, int r, int i)
{
    ro->pos[i] = (int)ro->mem[r].len;
    RP_VEC_PUSH(&ro->mem[r], int, i);
}

typedef struct ejection {
    rp_solver *s;
    roster ro;
    journal j;
    rp_vec pool;      /* unassigned instance ids */
    int *left_reef;   /* per instance: reef it was last ejected from */
    long *left_until; /* ... and the iteration until which it may not go back */
    long *stay_until; /* per instance: iteration until which it may not be ejected */
    long it;
    long evals;     /* exchange evaluations so far ... */
    long max_evals; /* ... and the attempt's work bound */
    int banned;     /* the reef being eliminated */
} ejection;

/* Work bound of one elimination attempt, in slot-metric additions (about
 * 30 ms); an exchange evaluation costs metrics x slots of them. */
#define ELIM_MAX_WORK 5e7
/* Attempts to eliminate a reef while its region stays unchanged. */
#define ELIM_TRIES 4

static bool fits_free(ejection *e, int r, const int *outs, int nout, int u)
{
    rp_solver *s = e->s;
    load l;
    int pool, nodes;
    e->evals++;
    double c = rp__exchange_cost(s, r, outs, nout, &u, 1, &l, &pool, &nodes);
    return pool >= 0 && c <= s->r[r].cost + 1e-9;
}

static bool allowed(ejection *e, int u, int r)
{
    const rp_solver *s = e->s;
    if (r == e->banned || s->r[r].use.n == 0 || !rp__may_enter(s, (size_t)u, r))
        return false;
    return !(e->left_reef[u] == r && e->it < e->left_until[u]);
}

static void eject_put(ejection *e, int u, int r)
{
    rp_solver *s = e->s;
    rp_ded d;
    if (!rp__ded_sizes(s, (size_t)u, s->r[r].tmpl, s->tier[u], &d))
        d = s->ded[u];
    rp__touch(&e->j, s, (size_t)u);
    rp__inst_put(s, (size_t)u, r, s->tier[u], &d);
    roster_add(&e->ro, r, u);
    e->stay_until[u] = e->it + 3 + rp__rng_below(s, 5);
}

static void eject_take(ejection *e, int v)
{
    rp_solver *s = e->s;
    int r = s->at[v];
    rp__touch(&e->j, s, (size_t)v);
    roster_del(&e->ro, r, v);
    rp__inst_remove(s, (size_t)v);
    e->left_reef[v] = r;
    e->left_until[v] = e->it + 5 + rp__rng_below(s, 6);
    RP_VEC_PUSH(&e->pool, int, v);
}

/* Puts u into a reef where it fits at no extra cost (the fullest such). */
static bool eject_insert(ejection *e, int u, const int *cand, int nc)
{
    rp_solver *s = e->s;
    int best = -1;
    double best_shape = 0;
    for (int k = 0; k < nc; k++) {
        int r = cand[k];
        if (!allowed(e, u, r) || !fits_free(e, r, NULL, 0, u))
            continue;
        if (best < 0 || s->r[r].shape < best_shape)
            best = r, best_shape = s->r[r].shape;
    }
    if (best < 0)
        return false;
    eject_put(e, u, best);
    return true;
}

/* Swaps u for one or two smaller instances of a reef where the exchange
 * costs nothing; the smaller ones join the pool. Prefers the exchange that
 * shrinks the pool's total size the most. */
static bool eject_swap(ejection *e, int u, const int *cand, int nc)
{
    rp_solver *s = e->s;
    double su = rp__size_key(s->f, (size_t)u), best_gain = 0;
    int best_r = -1, best_out[2] = {-1, -1}, best_n = 0;
    for (int k = 0; k < nc; k++) {
        int r = cand[k];
        if (!allowed(e, u, r))
            continue;
        rp_vec *m = &e->ro.mem[r];
        for (size_t a = 0; a < m->len; a++) {
            int v = RP_VEC_AT(m, int, a);
            if (e->it < e->stay_until[v])
                continue;
            double sv = rp__size_key(s->f, (size_t)v);
            if (sv < su && su - sv > best_gain && fits_free(e, r, &v, 1, u)) {
                best_gain = su - sv, best_r = r, best_out[0] = v, best_n = 1;
            }
            for (size_t b = a + 1; b < m->len && m->len <= 16; b++) {
                int w = RP_VEC_AT(m, int, b);
                if (e->it < e->stay_until[w])
                    continue;
                int outs[2] = {v, w};
                double sw = sv + rp__size_key(s->f, (size_t)w);
                if (sw < su && su - sw > best_gain && fits_free(e, r, outs, 2, u))
                    best_gain = su - sw, best_r = r, best_out[0] = v, best_out[1] = w, best_n = 2;
            }
        }
    }
    if (best_r < 0)
        return false;
    for (int k = 0; k < best_n; k++)
        eject_take(e, best_out[k]);
    eject_put(e, u, best_r);
    return true;
}

static int pick_pool_item(ejection *e)
{
    rp_vec *p = &e->pool;
    size_t k = 0;
    if (rp__rng_below(e->s, 4) == 0) {
        k = (size_t)rp__rng_below(e->s, (int)p->len);
    } else {
        for (size_t q = 1; q < p->len; q++)
            if (rp__size_key(e->s->f, (size_t)RP_VEC_AT(p, int, q)) >
                rp__size_key(e->s->f, (size_t)RP_VEC_AT(p, int, k)))
                k = q;
    }
    int u = RP_VEC_AT(p, int, k);
    RP_VEC_AT(p, int, k) = RP_VEC_AT(p, int, p->len - 1);
    p->len--;
    return u;
}

/* Reefs of the region to try, all of them or a sample in large regions. */
static int candidates(rp_solver *s, int g, int *out)
{
    int n = s->region_nreefs[g], k = 0;
    if (n <= 512) {
        for (int q = 0; q < n; q++)
            if (s->r[s->region_reefs[g][q]].use.n > 0)
                out[k++] = s->region_reefs[g][q];
        return k;
    }
    for (int q = 0; q < 64; q++) {
        int r = s->region_reefs[g][rp__rng_below(s, n)];
        if (s->r[r].use.n > 0)
            out[k++] = r;
    }
    return k;
}

static double pool_weight(const ejection *e)
{
    double w = 0;
    for (size_t k = 0; k < e->pool.len; k++)
        w += rp__size_key(e->s->f, (size_t)RP_VEC_AT(&e->pool, int, k));
    return w;
}

/* Swaps two pool instances into a reef for one of its own, where that
 * costs nothing and the pool shrinks. */
static bool eject_swap21(ejection *e, const int *cand, int nc)
{
    rp_solver *s = e->s;
    rp_vec *p = &e->pool;
    if (p->len < 2 || p->len > 40)
        return false;
    double best_gain = 0;
    int bu = -1, bw = -1, bv = -1, br = -1;
    for (size_t a = 0; a < p->len; a++)
        for (size_t b = a + 1; b < p->len; b++) {
            int u = RP_VEC_AT(p, int, a), w = RP_VEC_AT(p, int, b);
            int ins[2] = {u, w};
            double suw = rp__size_key(s->f, (size_t)u) + rp__size_key(s->f, (size_t)w);
            for (int k = 0; k < nc; k++) {
                int r = cand[k];
                if (!allowed(e, u, r) || !allowed(e, w, r))
                    continue;
                rp_vec *m = &e->ro.mem[r];
                for (size_t q = 0; q < m->len; q++) {
                    int v = RP_VEC_AT(m, int, q);
                    if (e->it < e->stay_until[v])
                        continue;
                    double gain = suw - rp__size_key(s->f, (size_t)v);
                    if (gain <= best_gain)
                        continue;
                    if (e->evals >= e->max_evals)
                        goto done;
                    load l;
                    int pool, nodes;
                    e->evals++;
                    double c = rp__exchange_cost(s, r, &v, 1, ins, 2, &l, &pool, &nodes);
                    if (pool >= 0 && c <= s->r[r].cost + 1e-9)
                        best_gain = gain, bu = u, bw = w, bv = v, br = r;
                }
            }
        }
done:
    if (br < 0)
        return false;
    for (size_t k = 0; k < p->len; k++) /* take u and w out of the pool */
        if (RP_VEC_AT(p, int, k) == bu || RP_VEC_AT(p, int, k) == bw) {
            RP_VEC_AT(p, int, k) = RP_VEC_AT(p, int, p->len - 1);
            p->len--;
            k--;
        }
    eject_take(e, bv);
    eject_put(e, bu, br);
    eject_put(e, bw, br);
    return true;
}

/* A sideways step when nothing shrinks the pool: u takes the place of the
 * instance nearest its size in a reef where that costs nothing; tabu keeps
 * the ejected one from going straight back. */
static bool eject_sideways(ejection *e, int u, const int *cand, int nc)
{
    rp_solver *s = e->s;
    double su = rp__size_key(s->f, (size_t)u), best = INFINITY;
    int bv = -1, br = -1;
    for (int k = 0; k < nc; k++) {
        int r = cand[k];
        if (!allowed(e, u, r))
            continue;
        rp_vec *m = &e->ro.mem[r];
        for (size_t q = 0; q < m->len; q++) {
            int v = RP_VEC_AT(m, int, q);
            double d = fabs(rp__size_key(s->f, (size_t)v) - su) + 1e-6 * rp__rng_below(s, 1000);
            if (d < best && e->it >= e->stay_until[v] && fits_free(e, r, &v, 1, u))
                best = d, bv = v, br = r;
        }
    }
    if (br < 0)
        return false;
    eject_take(e, bv);
    eject_put(e, u, br);
    return true;
}

/* One round over the pool: insert what fits, swap what shrinks the pool;
 * when nothing did, one sideways step. */
static void eject_round(ejection *e, const int *cand, int nc)
{
    size_t n = e->pool.len;
    bool moved = false;
    for (size_t k = 0; k < n && e->pool.len; k++) {
        int u = pick_pool_item(e);
        if (eject_insert(e, u, cand, nc) || eject_swap(e, u, cand, nc))
            moved = true;
        else
            RP_VEC_PUSH(&e->pool, int, u);
        e->it++;
    }
    if (e->pool.len && eject_swap21(e, cand, nc))
        moved = true;
    if (!moved && e->pool.len) {
        int u = pick_pool_item(e);
        if (!eject_sideways(e, u, cand, nc))
            RP_VEC_PUSH(&e->pool, int, u);
        e->it++;
    }
}

bool rp__eliminate(rp_solver *s, int R, int *buf)
{
    size_t n = rp__members(s, R, buf);
    if (n == 0 || (int)n < s->r[R].use.n)
        return false;
    if (s->budget >= 0) {
        int need = 0;
        for (size_t k = 0; k < n; k++)
            need += rp__counts_in_budget(s, (size_t)buf[k], -2);
        if (s->moves + need > s->budget)
            return false;
    }
    /* The region's state; the attempt is skipped after ELIM_TRIES failures
     * on the same one (it is randomised, so a retry may still succeed). */
    sreef *x = &s->r[R];
    double rc = 0, rsh = 0;
    for (int k = 0; k < s->region_nreefs[x->region]; k++) {
        const sreef *y = &s->r[s->region_reefs[x->region][k]];
        rc += y->cost;
        rsh += y->shape;
    }
    bool same = x->elim_cost == rc && x->elim_shape == rsh && x->elim_moves == s->moves;
    if (same && x->elim_fails >= ELIM_TRIES)
        return false;
    ejection e = {.s = s, .banned = R};
    double sh0, c0 = rp__total_cost(s, &sh0);
    roster_build(s, &e.ro);
    e.left_reef = rp_xmalloc((s->f->ninst + 1) * sizeof(int));
    e.left_until = rp_xcalloc(s->f->ninst + 1, sizeof(long));
    e.stay_until = rp_xcalloc(s->f->ninst + 1, sizeof(long));
    for (size_t i = 0; i < s->f->ninst; i++)
        e.left_reef[i] = -1;
    for (size_t k = 0; k < n; k++)
        eject_take(&e, buf[k]);
    int *cand = rp_xmalloc((size_t)s->nr * sizeof(int) + sizeof(int));
    double best_w = pool_weight(&e);
    int stall = 0;
    int max_stall = 300 + 20 * (int)n;
    e.max_evals = (long)(ELIM_MAX_WORK / (RP_NMETRICS * s->f->set.slots));
    for (int round = 0;
         e.pool.len && stall < max_stall && e.evals < e.max_evals && !rp__out_of_time(s); round++) {
        int nc = candidates(s, s->r[R].region, cand);
        eject_round(&e, cand, nc);
        double w = pool_weight(&e);
        if (w < best_w - 1e-9) {
            best_w = w;
            stall = 0;
        } else {
            stall++;
        }
    }
    double sh1 = 0, c1 = e.pool.len ? INFINITY : rp__total_cost(s, &sh1);
    bool keep = e.pool.len == 0 && (s->budget < 0 || s->moves <= s->budget) &&
                rp__improves(c1 - c0, sh1 - sh0);
    rp_log(RP_LOG_DEBUG, "eliminate reef %d (%zu instances): %zu left after %ld steps, %s", R, n,
           e.pool.len, e.it, keep ? "kept" : "undone");
    if (!keep) {
        rp__rollback(s, &e.j);
        x->elim_fails = same ? x->elim_fails + 1 : 1;
        x->elim_cost = rc, x->elim_shape = rsh, x->elim_moves = s->moves;
    }
    free(cand);
    rp_vec_free(&e.pool);
    rp_vec_free(&e.j.log);
    free(e.left_reef);
    free(e.left_until);
    free(e.stay_until);
    roster_free(s, &e.ro);
    return keep;
}

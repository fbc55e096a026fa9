/* bench_place.c - in-process latency of placement queries (engine/src/place.h).
 *
 *   bench_place FLEET [QUERIES] [SEED]
 *
 * Loads a fleet, builds the placer once, then answers QUERIES (default 2000)
 * random requests, timing each rp_place_query with CLOCK_MONOTONIC. A request
 * has a random region and plan; half take the plan's default profile, the
 * other half the profile of a random instance of the fleet scaled by a
 * random factor in [0.5, 1.5); one in ten names a random existing group.
 * Prints one line of key=value pairs (times in microseconds) on stdout; the
 * timings exclude building and freeing the request and the result.
 * A benchmark, not a test: it is never run by ctest or CI. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet.h"
#include "place.h"

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    /* splitmix64: deterministic by seed, no libc rand() state */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static size_t rng_below(size_t n)
{
    return (size_t)(rng_next() % (uint64_t)n);
}

static double rng_unit(void)
{
    return (double)(rng_next() >> 11) / 9007199254740992.0;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n). */
static double pct(const double *v, size_t n, double q)
{
    size_t k = (size_t)(q * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return v[k - 1];
}

/* Fills req with a random request; profile is owned by the caller. */
static void random_request(const rp_fleet *f, rp_place_req *req, float *profile)
{
    int S = f->set.slots;
    memset(req, 0, sizeof *req);
    req->id = "bench-new";
    req->region = (int)rng_below(f->nregions);
    req->plan = (int)rng_below(f->nplans);
    req->group = (f->ngroups && rng_below(10) == 0) ? (int)rng_below(f->ngroups) : -1;
    req->profile = profile;
    bool from_default = f->ninst == 0 || rng_below(2) == 0;
    req->from_default = from_default;
    size_t src = from_default ? 0 : rng_below(f->ninst);
    double scale = 0.5 + rng_unit();
    for (int m = 0; m < RP_NMETRICS; m++) {
        float *row = profile + (size_t)m * (size_t)S;
        const float *from = from_default ? NULL : rp_fleet_profile(f, src, m);
        float peak = 0;
        for (int t = 0; t < S; t++) {
            row[t] = from ? (float)(from[t] * scale) : (float)f->plans[req->plan].default_profile[m];
            if (row[t] > peak)
                peak = row[t];
        }
        req->peak[m] = peak;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: bench_place FLEET [QUERIES] [SEED]\n");
        return 2;
    }
    long nq = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
    rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 7;
    if (nq < 1) {
        fprintf(stderr, "bench_place: QUERIES must be >= 1\n");
        return 2;
    }
    double t0 = now_us();
    rp_fleet *f;
    rp_error err;
    if (rp_fleet_load(argv[1], &f, &err) < 0) {
        rp_error_print(&err, stderr);
        return 2;
    }
    double t1 = now_us();
    rp_placer *pl = rp_placer_new(f);
    double t2 = now_us();

    float *profile = malloc((size_t)RP_NMETRICS * (size_t)f->set.slots * sizeof *profile);
    double *lat = malloc((size_t)nq * sizeof *lat);
    if (!profile || !lat) {
        fprintf(stderr, "bench_place: out of memory\n");
        return 1;
    }
    long feasible = 0, options = 0;
    double total = 0;
    for (long q = 0; q < nq; q++) {
        rp_place_req req;
        random_request(f, &req, profile);
        rp_place_result res;
        double a = now_us();
        rp_place_query(pl, &req, &res);
        double b = now_us();
        lat[q] = b - a;
        total += lat[q];
        feasible += res.nfeasible > 0;
        options += (long)res.n;
        rp_place_result_free(&res);
    }
    qsort(lat, (size_t)nq, sizeof *lat, cmp_double);
    printf("instances=%zu reefs=%zu regions=%zu slots=%d queries=%ld "
           "load_ms=%.1f placer_ms=%.2f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f "
           "mean_us=%.1f feasible=%ld options_per_query=%.1f\n",
           f->ninst, f->nreefs, f->nregions, f->set.slots, nq, (t1 - t0) / 1e3,
           (t2 - t1) / 1e3, pct(lat, (size_t)nq, 0.50), pct(lat, (size_t)nq, 0.90),
           pct(lat, (size_t)nq, 0.99), lat[nq - 1], total / (double)nq, feasible,
           (double)options / (double)nq);
    free(lat);
    free(profile);
    rp_placer_free(pl);
    rp_fleet_free(f);
    return 0;
}

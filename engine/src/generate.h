/* generate.h - synthetic fleets (`reefplan generate`) for tests, benchmarks
 * and demos.
 *
 * rp_generate writes a complete fleet directory (SPEC §2): fleet.json,
 * instances.csv, profiles.csv and, when load_fraction > 0, load.csv. The
 * directory is built in a temporary sibling and renamed into place, so a
 * fleet is written whole or not at all; outdir must not exist or be empty.
 * Same options and seed -> byte-identical files (on the same build).
 *
 * What a generated fleet looks like:
 * - tenants in up to three regions (westus2 UTC-8, westeurope UTC+1,
 *   australiaeast UTC+10, each with a spread of neighbouring offsets) with
 *   four load shapes in local time: office hours (weekdays 09-17), an
 *   overnight batch (01-05 every day), weekly (office hours, heavy on one
 *   weekday) and flat;
 * - four plans (starter, standard, professional, enterprise) with lognormal
 *   size multipliers and a Pareto tail; db_compute, cpu_cores and share_iops
 *   follow the shape, memory_gb partly, storage is flat;
 * - maintenance windows (~40%), HA groups of 2-3 instances in distinct reefs
 *   (~5%), pinned (~2%), moved within the cooldown (~5%), dedicated tiers for
 *   the largest, ~2% new unplaced instances;
 * - a time-unaware current placement: reefs were filled by the sum of peaks
 *   and sized with slack, so a time-aware rebalance has real work; a few
 *   reefs (~10%, at least one when there are 3 or more) are sized below their
 *   hourly peak and are over capacity at some hour; with states on, one reef
 *   is `draining` and one `broken`.
 *
 * Load data (decision): every placed instance has rows in profiles.csv (new
 * unplaced instances have none: they use their plan's default_profile). With
 * load_fraction F > 0, a fraction F of the placed instances also get 4 weeks
 * of hourly samples in load.csv, and their profiles.csv rows are exactly the
 * nearest-rank quantile profile `reefplan profile` computes from those
 * samples. Since profiles.csv wins when both files exist, check and
 * rebalance read the complete profiles.csv; load.csv is there to exercise
 * and test the sample path (delete profiles.csv to use it; instances without
 * samples then fall back to their plan default).
 *
 * Size: a profiles.csv row is about 0.9 KB at 168 slots (~5.3 MB per 1,000
 * instances; ~0.53 GB for 100,000, written in about 5 s); load.csv adds
 * about 180 KB per sampled instance. */
#ifndef RP_GENERATE_H
#define RP_GENERATE_H

#include <stdint.h>

#include "catalog.h"

typedef struct rp_gen_opts {
    long instances; /* 1 .. 1000000 */
    int regions;    /* 1 .. 3: westus2, westeurope, australiaeast in order */
    uint64_t seed;
    int slots;            /* 24 or 168 */
    double load_fraction; /* [0, 1] */
    const char *catalog;  /* catalog name (models/) or path; NULL = "azure-vcore" */
    int states;           /* -1 auto (on when instances >= 1000), 0 off, 1 on */
} rp_gen_opts;

/* Defaults: 1000 instances, 3 regions, seed 1, 168 slots, load_fraction 0,
 * catalog "azure-vcore", states auto. */
void rp_gen_opts_init(rp_gen_opts *o);

/* Loads the catalog named by o->catalog and writes the fleet to outdir.
 * Returns 0; RP_EUSAGE for out-of-range options or a non-empty outdir;
 * the catalog loader's error (RP_EINVALID when it cannot be read); RP_EIO
 * only when the fleet cannot be written. */
int rp_generate(const rp_gen_opts *o, const char *outdir, rp_error *err);

/* As rp_generate with a catalog already loaded; fleet.json names it by
 * catalog_ref (a models/ name, or an absolute path). */
int rp_generate_with_catalog(const rp_gen_opts *o, const rp_catalog *cat, const char *catalog_ref,
                             const char *outdir, rp_error *err);

/* ---- building blocks, exposed for the unit tests ---- */

/* splitmix64: advances *state and returns the next output. */
uint64_t rp_gen_splitmix64(uint64_t *state);

/* xoshiro256** seeded by splitmix64 from (seed, stream): independent
 * streams per instance make an instance's data independent of the order in
 * which the generator visits instances. */
typedef struct rp_gen_rng {
    uint64_t s[4];
} rp_gen_rng;
void rp_gen_rng_init(rp_gen_rng *r, uint64_t seed, uint64_t stream);
uint64_t rp_gen_rng_next(rp_gen_rng *r);
double rp_gen_rng_uniform(rp_gen_rng *r); /* [0, 1), 53 bits */
double rp_gen_rng_normal(rp_gen_rng *r);  /* standard normal (Box-Muller) */

enum rp_gen_shape { RP_GEN_OFFICE, RP_GEN_BATCH, RP_GEN_WEEKLY, RP_GEN_FLAT, RP_GEN_NSHAPES };

/* Load intensity in [0, 1] of a shape at a local hour of week (0 = Monday
 * 00:00 local); heavy_day (0 = Monday .. 4) matters for RP_GEN_WEEKLY. */
double rp_gen_shape(int shape, int local_how, int heavy_day);
/* Intensity at a UTC slot of a 168- or 24-slot profile for a tenant at UTC
 * offset tz hours. A 24-slot value is the maximum over the days of the week
 * at that hour, which is what the nearest-rank quantile of a month of
 * samples approaches. */
double rp_gen_shape_slot(int shape, int slot, int slots, int tz, int heavy_day);

/* Writes v >= 0 rounded to 3 significant digits but at most 3 decimals
 * (whole numbers from 100 up; below 0.0005 it is "0"), without trailing
 * zeros, into buf (>= 24 bytes); returns the length. *rounded, if not NULL,
 * receives exactly the double the text denotes. */
int rp_gen_format(double v, char *buf, double *rounded);

#endif

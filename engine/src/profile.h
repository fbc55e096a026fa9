/* profile.h - load profiles: profiles.csv (wide) and load.csv (long samples)
 * into rp_fleet->prof, and profiles.csv output (SPEC §2). */
#ifndef RP_PROFILE_H
#define RP_PROFILE_H

#include "fleet.h"

/* Reads profiles.csv into f->prof for instances already in f. Instance/metric
 * pairs absent from the file take the plan default (has_profile false).
 * Strict: unknown instance or metric, duplicate pair, wrong slot columns
 * (v0..v{S-1} exactly), bad numbers (NaN/Inf/negative/empty) are errors. */
int rp_profiles_read(rp_fleet *f, const char *path, rp_error *err);

/* Builds f->prof from load.csv by the nearest-rank quantile per slot
 * (SPEC §2), streaming: the file is read in passes and only a bounded
 * number of sample values (mem_budget_samples; 0 = default 16M) is held in
 * memory at once; rows are never kept. Returns rows read in *rows and the
 * passes over the file in *passes (one to count, one per batch; either may
 * be NULL). */
int rp_load_read(rp_fleet *f, const char *path, size_t mem_budget_samples, size_t *rows,
                 size_t *passes, rp_error *err);

/* Profiles are stored as 32-bit floats: true when x stays finite as one
 * (it rounds to at most FLT_MAX). Every profile value read from a file,
 * fleet.json or a request must fit. */
bool rp_profile_fits(double x);

/* Fills every metric without data with the plan default (flat). */
void rp_profiles_fill_defaults(rp_fleet *f);

/* Nearest-rank quantile of v[0..n) (n >= 1), reorders v: the
 * ceil(q*n)-th smallest (1-based), at least the 1st. */
float rp_quantile(float *v, size_t n, double q);

/* Writes profiles.csv (every instance, every metric) to path, whole or not
 * at all; path "-" writes to stdout. */
int rp_profiles_write(const rp_fleet *f, const char *path, rp_error *err);

#endif

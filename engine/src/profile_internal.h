/* profile_internal.h - shared by profile.c and profile_load.c. */
#ifndef RP_PROFILE_INTERNAL_H
#define RP_PROFILE_INTERNAL_H

#include "csvin.h"
#include "profile.h"

/* A profile value, field k of c's current record: a finite decimal >= 0
 * (fast path for plain decimals, rp_parse_double otherwise) that stays
 * finite as the float it is stored in (a tiny one becomes 0). Returns 0, or
 * RP_EINVALID with err at the field ("empty value", "want ..., got '...'"). */
int rp__read_value(const rp_csv *c, size_t k, float *out, rp_error *err);
/* The 1-based nearest rank ceil(q*n) in [1, n], with q*n within 1e-9 of an
 * integer taken as that integer (0.95*100 is 95, not 96). */
size_t rp__quantile_rank(size_t n, double q);
/* Allocates f->prof (zeroed) when the loader has not. */
void rp__profiles_alloc(rp_fleet *f);

#endif

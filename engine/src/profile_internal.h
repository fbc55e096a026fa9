/* profile_internal.h - shared by profile.c and profile_load.c. */
#ifndef RP_PROFILE_INTERNAL_H
#define RP_PROFILE_INTERNAL_H

#include "profile.h"

/* A profile value: a finite decimal >= 0 (fast path for plain decimals,
 * rp_parse_double otherwise). Returns 0 or -1. */
int rp__parse_value(const char *s, double *out);
/* The 1-based nearest rank ceil(q*n) in [1, n], with q*n within 1e-9 of an
 * integer taken as that integer (0.95*100 is 95, not 96). */
size_t rp__quantile_rank(size_t n, double q);
/* Allocates f->prof (zeroed) when the loader has not. */
void rp__profiles_alloc(rp_fleet *f);

#endif

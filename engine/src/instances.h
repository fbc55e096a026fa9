/* instances.h - instances.csv (SPEC §2) into rp_fleet->inst. */
#ifndef RP_INSTANCES_H
#define RP_INSTANCES_H

#include "fleet.h"

/* Reads instances.csv into f->inst / f->ninst and f->groups and builds the
 * instance index, once per fleet, after fleet.json (regions, plans, reefs,
 * settings) is loaded. Zero rows is a valid fleet. Strict: unknown region, plan
 * or reef; reef in another region; tiers other than shared/dedicated; a
 * partial placement (some of reef/db/compute/storage empty); bad pinned,
 * last_moved or window; duplicate instance ids. Errors at FILE:LINE:COL name
 * the column and the value. */
int rp_instances_read(rp_fleet *f, const char *path, rp_error *err);

#endif

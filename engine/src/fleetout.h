/* fleetout.h - the fleet as it will be after a plan (`reefplan rebalance
 * --target-fleet DIR`): a fleet directory that rp_fleet_load reads back, so
 * a plan's outcome can be checked, rebalanced again or fed to what-if runs.
 *
 * Nothing here takes ownership of its arguments. */
#ifndef RP_FLEETOUT_H
#define RP_FLEETOUT_H

#include "plan.h"

/* Writes the target fleet of plan p over fleet f into the new directory dir
 * (which must not exist, or be empty):
 * - fleet.json: f's fleet.json as stored in f->dir, with "reefs" replaced by
 *   the plan's reefs that are not deleted, in plan order (existing reefs keep
 *   their state, created ones are "active"), each at the plan's pool_sku and
 *   nodes; a catalog given as a path is rewritten as an absolute path;
 * - instances.csv: every instance at its target reef and tiers; last_moved
 *   becomes the date of settings.now for an instance whose reef changes;
 *   an unplaced new instance has reef and tiers empty (it is new again), an
 *   unplaced one of a broken reef keeps its reef and tiers (the plan keeps
 *   that reef for it);
 * - profiles.csv: every instance's profile (rp_profiles_write).
 * The directory is built in a temporary sibling and renamed into place, so
 * it is whole or absent. Returns 0; RP_EUSAGE when rp_outdir_check refuses
 * dir; RP_EIO (err names the file) when fleet.json cannot be read again
 * or a file cannot be written. */
int rp_fleet_write_target(const rp_fleet *f, const rp_plan *p, const char *dir, rp_error *err);

/* The same in two steps, so that a caller can write other outputs between
 * them and leave nothing behind when one fails. rp_fleet_stage_target: the
 * three files in a temporary sibling of dir, whose path (*staged, the
 * caller's) goes to rp_fleet_commit_target, which renames it into place, or
 * to rp_fleet_discard_target, which removes it; both free it. Errors as
 * rp_fleet_write_target's; a failed step leaves nothing behind. */
int rp_fleet_stage_target(const rp_fleet *f, const rp_plan *p, const char *dir, char **staged,
                          rp_error *err);
int rp_fleet_commit_target(char *staged, const char *dir, rp_error *err);
void rp_fleet_discard_target(char *staged);

/* A fleet directory written whole or not at all, by every writer of one
 * (rebalance --target-fleet, generate, traces2fleet).
 * - rp_outdir_check: 0 when dir may be written: absent, in a directory that
 *   exists and is writable, or an empty directory; else RP_EUSAGE, the
 *   reason in err. Run it before any long work.
 * - rp_outdir_stage: the check, then a new temporary sibling of dir, its
 *   path in *tmp (the caller's); RP_EIO when it cannot be made.
 * - rp_outdir_commit: tmp made world-readable and renamed to dir; when that
 *   fails, tmp and its files are removed and RP_EIO returned. Frees tmp.
 * - rp_outdir_discard: removes tmp and the files in it, and frees it (NULL:
 *   nothing). */
int rp_outdir_check(const char *dir, rp_error *err);
int rp_outdir_stage(const char *dir, char **tmp, rp_error *err);
int rp_outdir_commit(char *tmp, const char *dir, rp_error *err);
void rp_outdir_discard(char *tmp);

#endif

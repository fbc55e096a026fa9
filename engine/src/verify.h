/* verify.h - the plan oracle: checks a plan against every rule of SPEC §3-5.
 *
 * verify re-derives the rules with plain loops over the profiles and shares
 * no capacity code with the planner, so a bug in one is caught by the other.
 * The caller owns the rp_verify_report; rp_verify_report_free releases what
 * rp_verify put in it (a zeroed report is a no-op). */
#ifndef RP_VERIFY_H
#define RP_VERIFY_H

#include "plan.h"

/* At most this many violation messages are kept; nviolations counts all. */
#define RP_VERIFY_MAX_MSGS 2000

typedef struct rp_verify_report {
    size_t nviolations;
    char **msgs; /* one line each, no newline, e.g. "reef wus2-01: rule 1 db_compute at
                    slot 37: 12.41 > 11.20 (after action 12)" */
    size_t nmsgs;
    rp_plan_summary sum; /* recomputed; lower_bound and solve_seconds copied */
} rp_verify_report;

/* Checks plan p against fleet f and fills out (which need not be zeroed).
 * Checks: the plan's fingerprint (when f->dir is set); every instance placed
 * once or listed unplaced (only new instances and those of broken reefs may
 * be unplaced); rules 1-8 on every target reef at the plan's pool and nodes;
 * rule 9 (broken / draining / closed reefs, deferred); rule 10 (move
 * budget, pinned, cooldown); max_reefs per region; the stated summary
 * (costs within 0.01 + 1e-6 relative); and the replay rule of §5 (actions in
 * id order from the current placement reach the target, no reef driven over
 * capacity, depends_on and waves consistent, migrations inside the
 * instance's maintenance window). A cooldown holds while now - last_moved <
 * move_cooldown_days days. Returns the number of violations (0: valid). */
size_t rp_verify(const rp_fleet *f, const rp_plan *p, rp_verify_report *out);
void rp_verify_report_free(rp_verify_report *r);

#endif

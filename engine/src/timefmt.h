/* timefmt.h - ISO-8601 timestamps and dates, weekly maintenance windows. */
#ifndef RP_TIMEFMT_H
#define RP_TIMEFMT_H

#include <stdint.h>

#include "fleet.h"

/* "YYYY-MM-DDTHH:MM[:SS[.frac]](Z|+HH:MM|-HH:MM)" -> unix seconds UTC.
 * A space may replace 'T'. The offset is required. Fields are range-checked
 * (month, day of that month, hour < 24, ...). Returns 0 or -1. */
int rp_time_parse(const char *s, int64_t *out);
/* "YYYY-MM-DD" (or a full timestamp as above) -> unix seconds at 00:00 UTC.
 * Returns 0 or -1. */
int rp_date_parse(const char *s, int64_t *out);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
void rp_time_format(int64_t t, char *buf);
/* Slot of a timestamp: hour of week (Monday 00:00 UTC = 0) for 168 slots,
 * hour of day for 24. */
int rp_time_slot(int64_t t, int slots);
/* "Sun 02:00-04:00" -> window in minutes of week (Monday 00:00 = 0). Day
 * names Mon..Sun (case-insensitive); end may be 24:00; end before start
 * means the window wraps to the next day. Empty start == end is an error.
 * Returns 0 or -1. */
int rp_window_parse(const char *s, rp_window *w);
/* The next occurrence of w starting at or after t (an occurrence already
 * under way at t is cut to start at t): fills [*from, *to). */
void rp_window_next(const rp_window *w, int64_t t, int64_t *from, int64_t *to);

#endif

/* error.h - error codes and located error reports.
 *
 * Functions that can fail return int: 0 on success, a negative RP_E* code on
 * failure, and fill the caller's rp_error (which may be NULL). An rp_error
 * carries the file, 1-based line and column (0 when unknown) and a message
 * that already names the field and the offending value. */
#ifndef RP_ERROR_H
#define RP_ERROR_H

#include <stdio.h>

#include "base.h"

/* X(name, value, text) */
#define RP_ERRNO_MAP(X)                                                                    \
    X(OK, 0, "success")                                                                    \
    X(NOMEM, -1, "out of memory")                                                          \
    X(IO, -2, "input/output error")                                                        \
    X(PARSE, -3, "malformed input")                                                        \
    X(INVALID, -4, "invalid value")                                                        \
    X(UNKNOWN, -5, "unknown name")                                                         \
    X(DUPLICATE, -6, "duplicate")                                                          \
    X(USAGE, -7, "usage error")                                                            \
    X(STALE, -8, "stale plan")                                                             \
    X(INTERNAL, -9, "internal error")

enum rp_errno {
#define RP__ENUM(name, value, text) RP_E##name = value,
    RP_ERRNO_MAP(RP__ENUM)
#undef RP__ENUM
};

typedef struct rp_error {
    int code;
    long line, col;
    char file[512];
    char msg[1024];
} rp_error;

/* "success", "malformed input", ... for a code. */
const char *rp_strerror(int code);
/* "RP_EPARSE" style name for a code. */
const char *rp_err_name(int code);

/* Fills err (if not NULL) and returns code. Control characters in the
 * formatted message become '?', so that it stays one line whatever input
 * names it quotes. */
int rp_error_set(rp_error *err, int code, const char *file, long line, long col,
                 const char *fmt, ...) RP_PRINTF(6, 7);

/* Writes "FILE:LINE:COL: error: MESSAGE\n" (FILE alone when line is 0). */
void rp_error_print(const rp_error *err, FILE *out);

/* Copies at most 60 bytes of s into a printable excerpt for messages:
 * control characters become '?', a longer value ends with "...". */
const char *rp_error_excerpt(const char *s, char buf[72]);

#endif

/* log.h - the library never prints; it reports through this callback.
 * Levels are gated before formatting, so a disabled message costs a compare. */
#ifndef RP_LOG_H
#define RP_LOG_H

#include "base.h"

typedef enum { RP_LOG_ERROR, RP_LOG_WARN, RP_LOG_INFO, RP_LOG_DEBUG } rp_log_level;
typedef void (*rp_log_fn)(rp_log_level level, const char *msg, void *ud);

/* Installs fn (NULL silences) and the most verbose level that is formatted. */
void rp_log_set(rp_log_fn fn, void *ud, rp_log_level max_level);
bool rp_log_enabled(rp_log_level level);
void rp__log(rp_log_level level, const char *fmt, ...) RP_PRINTF(2, 3);

#define rp_log(level, ...)                                                                 \
    do {                                                                                   \
        if (rp_log_enabled(level))                                                         \
            rp__log(level, __VA_ARGS__);                                                   \
    } while (0)

#endif

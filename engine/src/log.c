#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static rp_log_fn log_fn;
static void *log_ud;
static rp_log_level log_max = RP_LOG_WARN;

void rp_log_set(rp_log_fn fn, void *ud, rp_log_level max_level)
{
    log_fn = fn;
    log_ud = ud;
    log_max = max_level;
}

bool rp_log_enabled(rp_log_level level)
{
    return log_fn && level <= log_max;
}

void rp__log(rp_log_level level, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_fn(level, buf, log_ud);
}

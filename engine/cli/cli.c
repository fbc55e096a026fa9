#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "log.h"

int rp_cli_usage(const char *verb, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "reefplan %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return RP_EXIT_USAGE;
}

int rp_cli_error(const rp_error *err)
{
    rp_error_print(err, stderr);
    return RP_EXIT_USAGE;
}

int rp_cli_output(const char *path, const char *text)
{
    size_t len = strlen(text);
    if (!path || !strcmp(path, "-")) {
        if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
            fprintf(stderr, "reefplan: cannot write to stdout: %s\n", strerror(errno));
            return -1;
        }
        return 0;
    }
    if (rp_write_file_atomic(path, text, len) < 0) {
        fprintf(stderr, "reefplan: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int rp_cli_stdout_done(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "reefplan: cannot write to stdout: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

int rp_cli_output_check(const char *path)
{
    if (!path || !strcmp(path, "-"))
        return 0;
    if (!path[0]) {
        fprintf(stderr, "reefplan: the output file name is empty\n");
        return -1;
    }
    if (rp_out_check(path) < 0) {
        fprintf(stderr, "reefplan: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static bool status_shown;

bool rp_cli_status_wanted(void)
{
    const char *term = getenv("TERM");
    return isatty(STDERR_FILENO) && !(term && !strcmp(term, "dumb")) &&
           !rp_log_enabled(RP_LOG_INFO);
}

void rp_cli_status_line(const char *text)
{
    fprintf(stderr, "\r\033[K%s", text);
    fflush(stderr);
    status_shown = true;
}

void rp_cli_status_end(void)
{
    if (status_shown)
        fputs("\r\033[K", stderr);
    status_shown = false;
}

static void log_stderr(rp_log_level level, const char *msg, void *ud)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    (void)ud;
    rp_cli_status_end();
    fprintf(stderr, "reefplan: %s: %s\n", names[level], msg);
}

void rp_cli_log_init(int verbose)
{
    rp_log_level lvl = RP_LOG_WARN;
    const char *env = getenv("REEFPLAN_LOG");
    if (env && !strcmp(env, "info"))
        lvl = RP_LOG_INFO;
    if (env && !strcmp(env, "debug"))
        lvl = RP_LOG_DEBUG;
    if (verbose == 1 && lvl < RP_LOG_INFO)
        lvl = RP_LOG_INFO;
    if (verbose > 1)
        lvl = RP_LOG_DEBUG;
    rp_log_set(log_stderr, NULL, lvl);
}

int rp_cli_long(const char *verb, const char *opt, const char *val, long lo, long hi, long *out)
{
    if (!val) {
        rp_cli_usage(verb, "%s needs a value", opt);
        return -1;
    }
    if (rp_parse_long(val, lo, hi, out) < 0) {
        rp_cli_usage(verb, "%s: '%s' is not a whole number in [%ld, %ld]", opt, val, lo, hi);
        return -1;
    }
    return 0;
}

int rp_cli_double(const char *verb, const char *opt, const char *val, double lo, double hi,
                  double *out)
{
    if (!val) {
        rp_cli_usage(verb, "%s needs a value", opt);
        return -1;
    }
    if (rp_parse_double(val, out) < 0 || *out < lo || *out > hi) {
        rp_cli_usage(verb, "%s: '%s' is not a number in [%g, %g]", opt, val, lo, hi);
        return -1;
    }
    return 0;
}

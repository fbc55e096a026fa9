#include "error.h"

#include <stdarg.h>
#include <string.h>

const char *rp_strerror(int code)
{
    switch (code) {
#define RP__CASE(name, value, text)                                                        \
    case value:                                                                            \
        return text;
        RP_ERRNO_MAP(RP__CASE)
#undef RP__CASE
    }
    return "unknown error";
}

const char *rp_err_name(int code)
{
    switch (code) {
#define RP__CASE(name, value, text)                                                        \
    case value:                                                                            \
        return "RP_E" #name;
        RP_ERRNO_MAP(RP__CASE)
#undef RP__CASE
    }
    return "RP_E?";
}

int rp_error_set(rp_error *err, int code, const char *file, long line, long col,
                 const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->line = line;
    err->col = col;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    /* Names and values in the message come from the input: its control
     * characters (a newline in a quoted column name or a JSON key, a
     * terminal escape) would break the one-line message. */
    for (char *p = err->msg; *p; p++)
        if (rp_is_control(*p))
            *p = '?';
    return code;
}

void rp_error_print(const rp_error *err, FILE *out)
{
    if (err->file[0] && err->line > 0)
        fprintf(out, "%s:%ld:%ld: error: %s\n", err->file, err->line, err->col, err->msg);
    else if (err->file[0])
        fprintf(out, "%s: error: %s\n", err->file, err->msg);
    else
        fprintf(out, "error: %s\n", err->msg);
}

const char *rp_error_excerpt(const char *s, char buf[72])
{
    size_t n = strlen(s), i, k = 0;
    for (i = 0; i < n && k < 60; i++)
        buf[k++] = rp_is_control(s[i]) ? '?' : s[i];
    /* Cut on a character: no UTF-8 sequence left open at the end. */
    while (i < n && k > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) {
        while (k > 0 && ((unsigned char)buf[k - 1] & 0xC0) == 0x80)
            k--, i--;
        if (k > 0)
            k--, i--;
    }
    if (i < n) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die_nomem(size_t n)
{
    fprintf(stderr, "reefplan: out of memory (%zu bytes)\n", n);
    exit(1);
}

void *rp_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die_nomem(n);
    return p;
}

void *rp_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        die_nomem(count * size);
    return p;
}

void *rp_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        die_nomem(n);
    return q;
}

void *rp_xreallocarray(void *p, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        die_nomem(SIZE_MAX);
    return rp_xrealloc(p, count * size);
}

char *rp_xstrdup(const char *s)
{
    return rp_xstrndup(s, strlen(s));
}

char *rp_xstrndup(const char *s, size_t n)
{
    char *d = rp_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *rp_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        die_nomem(0);
    char *s = rp_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void rp_vec_reserve(rp_vec *v, size_t esize, size_t n)
{
    if (n <= v->cap)
        return;
    size_t cap = v->cap ? v->cap : 8;
    while (cap < n)
        cap *= 2;
    v->data = rp_xreallocarray(v->data, cap, esize);
    v->cap = cap;
}

void *rp_vec_push(rp_vec *v, size_t esize, const void *elem)
{
    rp_vec_reserve(v, esize, v->len + 1);
    void *dst = (char *)v->data + v->len * esize;
    memcpy(dst, elem, esize);
    v->len++;
    return dst;
}

void rp_vec_free(rp_vec *v)
{
    free(v->data);
    v->data = NULL;
    v->len = v->cap = 0;
}

int rp_parse_double(const char *s, double *out)
{
    if (!*s || !(s[0] == '-' || s[0] == '+' || s[0] == '.' || (s[0] >= '0' && s[0] <= '9')))
        return -1;
    /* Reject hex floats, inf and nan spelled out: only decimal digits, sign,
     * point and exponent are allowed. */
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789+-.eE", *p))
            return -1;
    char *end;
    double d = strtod(s, &end); /* an underflow (ERANGE) is a fine 0 or subnormal */
    if (*end || !isfinite(d))
        return -1;
    *out = d;
    return 0;
}

int rp_parse_long(const char *s, long lo, long hi, long *out)
{
    if (!*s || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno == ERANGE || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int cmp_str_key(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(char *const *)elem);
}

long rp_str_index(char *const *sorted, size_t n, const char *name)
{
    char *const *hit = bsearch(name, sorted, n, sizeof(*sorted), cmp_str_key);
    return hit ? (long)(hit - sorted) : -1;
}

int rp_write_file_atomic(const char *path, const char *data, size_t len)
{
    char *tmp = rp_xasprintf("%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        off += (size_t)w;
    }
    if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) < 0)
        goto fail;
    free(tmp);
    return 0;
fail:;
    int e = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    errno = e;
    return -1;
}

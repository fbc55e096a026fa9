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

/* The file a path names, through its symbolic links (at most 40), which
 * need not exist yet: a link to a missing file names that file. */
static char *follow_links(const char *path)
{
    char *p = rp_xstrdup(path);
    for (int hops = 0; hops < 40; hops++) {
        struct stat st;
        if (lstat(p, &st) < 0 || !S_ISLNK(st.st_mode))
            return p;
        char *buf = rp_xmalloc((size_t)st.st_size + 2);
        ssize_t n = readlink(p, buf, (size_t)st.st_size + 1);
        if (n < 0 || n > st.st_size) { /* changed meanwhile: take it as it is */
            free(buf);
            return p;
        }
        buf[n] = '\0';
        const char *slash = strrchr(p, '/');
        char *next = buf[0] == '/' || !slash ? rp_xstrdup(buf)
                                             : rp_xasprintf("%.*s/%s", (int)(slash - p), p, buf);
        free(buf);
        free(p);
        p = next;
    }
    free(p);
    errno = ELOOP;
    return NULL;
}

char *rp_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? rp_xasprintf("%.*s", (int)(slash == path ? 1 : slash - path), path)
                 : rp_xstrdup(".");
}

/* Where output to path goes: 1 when path is an existing file that is not
 * regular (written in place), 0 with *dest the file a rename replaces
 * (the caller's), -1 with errno set. */
static int out_target(const char *path, char **dest)
{
    struct stat st;
    *dest = NULL;
    if (!path[0]) {
        errno = ENOENT;
        return -1;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return -1;
    }
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return 1; /* a device or a FIFO: renaming over it would replace it */
    *dest = follow_links(path);
    return *dest ? 0 : -1;
}

int rp_out_check(const char *path)
{
    char *dest;
    int t = out_target(path, &dest);
    if (t != 0)
        return t > 0 ? access(path, W_OK) : -1;
    char *dir = rp_dir_of(dest);
    int rc = access(dir, W_OK | X_OK);
    int e = errno;
    free(dir);
    free(dest);
    errno = e;
    return rc;
}

int rp_out_open(const char *path, rp_out *o)
{
    *o = (rp_out){.fd = -1};
    char *dest;
    int t = out_target(path, &dest);
    if (t < 0)
        return -1;
    if (t > 0) {
        o->fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (o->fd < 0)
            return -1;
        o->name = rp_xstrdup(path);
        return 0;
    }
    char *tmp = rp_xasprintf("%s.tmp.XXXXXX", dest);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        free(dest);
        errno = e;
        return -1;
    }
    *o = (rp_out){.fd = fd, .name = tmp, .dest = dest};
    return 0;
}

int rp_out_commit(rp_out *o)
{
    int rc = 0;
    if (o->dest && (fchmod(o->fd, 0644) < 0 || fsync(o->fd) < 0))
        rc = -1;
    if (close(o->fd) < 0 && rc == 0)
        rc = -1;
    o->fd = -1;
    if (rc == 0 && o->dest && rename(o->name, o->dest) < 0)
        rc = -1;
    int e = errno;
    if (rc < 0 && o->dest)
        unlink(o->name);
    free(o->name);
    free(o->dest);
    *o = (rp_out){.fd = -1};
    errno = e;
    return rc;
}

void rp_out_abort(rp_out *o)
{
    int e = errno;
    if (o->fd >= 0)
        close(o->fd);
    if (o->dest)
        unlink(o->name);
    free(o->name);
    free(o->dest);
    *o = (rp_out){.fd = -1};
    errno = e;
}

int rp_out_write(rp_out *o, const char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(o->fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}

int rp_write_file_atomic(const char *path, const char *data, size_t len)
{
    rp_out o;
    if (rp_out_open(path, &o) < 0)
        return -1;
    if (rp_out_write(&o, data, len) < 0) {
        rp_out_abort(&o);
        return -1;
    }
    return rp_out_commit(&o);
}

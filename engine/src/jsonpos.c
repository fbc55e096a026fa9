/* jsonpos.c - JSON files with located errors.
 *
 * jansson parses; this file only finds where a value sits in the raw text so
 * that semantic errors carry a line and column. The scanner below is a
 * locator, not a parser: it runs over text jansson has already accepted. */
#include "jsonpos.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- loading ---------------------------------------------------------- */

static int read_all(const char *path, char **out, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    rp_vec buf = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        rp_vec_reserve(&buf, 1, buf.len + n + 1);
        memcpy((char *)buf.data + buf.len, chunk, n);
        buf.len += n;
    }
    int bad = ferror(fp);
    int saved = errno;
    fclose(fp);
    if (bad) {
        rp_vec_free(&buf);
        errno = saved;
        return -1;
    }
    rp_vec_reserve(&buf, 1, buf.len + 1);
    ((char *)buf.data)[buf.len] = '\0';
    *out = buf.data;
    *len = buf.len;
    return 0;
}

/* jansson's column of a syntax error counts UTF-8 characters: the same
 * place in bytes. */
static long byte_col(const char *s, size_t len, long line, long ccol)
{
    size_t i = 0;
    for (long l = 1; l < line && i < len; i++)
        l += s[i] == '\n';
    size_t start = i;
    for (long c = 1; c < ccol && i < len && s[i] != '\n'; c++) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
    }
    return (long)(i - start) + 1;
}

int rp_jdoc_load(const char *path, rp_jdoc *doc, rp_error *err)
{
    memset(doc, 0, sizeof *doc);
    char *text;
    size_t len;
    if (read_all(path, &text, &len) < 0)
        return rp_error_set(err, RP_EIO, path, 0, 0, "cannot read: %s", strerror(errno));
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
        memmove(text, text + 3, len - 3 + 1);
        len -= 3;
    }
    if (len == 0) {
        free(text);
        return rp_error_set(err, RP_EPARSE, path, 1, 1, "empty file");
    }
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        long line = je.line > 0 ? je.line : 1, col = je.column > 0 ? je.column : 1;
        col = byte_col(text, len, line, col);
        free(text);
        return rp_error_set(err, RP_EPARSE, path, line, col, "%s", je.text);
    }
    doc->path = rp_xstrdup(path);
    doc->text = text;
    doc->len = len;
    doc->root = root;
    return 0;
}

void rp_jdoc_free(rp_jdoc *doc)
{
    if (!doc)
        return;
    free(doc->path);
    free(doc->text);
    json_decref(doc->root);
    memset(doc, 0, sizeof *doc);
}

/* ---- the locator ------------------------------------------------------ */

typedef struct scan {
    const char *s;
    size_t n, i;
} scan;

static void skip_ws(scan *sc)
{
    while (sc->i < sc->n && strchr(" \t\r\n", sc->s[sc->i]) && sc->s[sc->i])
        sc->i++;
}

/* At '"': moves past the closing quote. */
static int skip_string(scan *sc)
{
    for (sc->i++; sc->i < sc->n; sc->i++) {
        if (sc->s[sc->i] == '\\')
            sc->i++;
        else if (sc->s[sc->i] == '"') {
            sc->i++;
            return 0;
        }
    }
    return -1;
}

static int skip_value(scan *sc)
{
    if (sc->i >= sc->n)
        return -1;
    char c = sc->s[sc->i];
    if (c == '"')
        return skip_string(sc);
    if (c != '{' && c != '[') {
        while (sc->i < sc->n && !strchr(" \t\r\n,]}", sc->s[sc->i]))
            sc->i++;
        return 0;
    }
    int depth = 0;
    while (sc->i < sc->n) {
        c = sc->s[sc->i];
        if (c == '"') {
            if (skip_string(sc) < 0)
                return -1;
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && --depth == 0) {
            sc->i++;
            return 0;
        }
        sc->i++;
    }
    return -1;
}

static void put_utf8(rp_vec *out, unsigned long cp)
{
    char b[4];
    size_t k;
    if (cp < 0x80) {
        b[0] = (char)cp;
        k = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    for (size_t j = 0; j < k; j++)
        rp_vec_push(out, 1, &b[j]);
}

static unsigned long hex4(const char *p)
{
    char tmp[5] = {p[0], p[1], p[2], p[3], 0};
    return strtoul(tmp, NULL, 16);
}

/* Decodes the string token at sc->i (a '"') into out (NUL-terminated) and
 * moves past it. Escapes are already known valid (jansson accepted them). */
static int read_string(scan *sc, rp_vec *out)
{
    out->len = 0;
    const char *s = sc->s;
    for (sc->i++; sc->i < sc->n && s[sc->i] != '"'; sc->i++) {
        char c = s[sc->i];
        if (c != '\\') {
            rp_vec_push(out, 1, &c);
            continue;
        }
        c = s[++sc->i];
        if (c == 'u' && sc->i + 4 < sc->n) {
            unsigned long cp = hex4(s + sc->i + 1);
            sc->i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && sc->i + 6 < sc->n && s[sc->i + 1] == '\\') {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (hex4(s + sc->i + 3) - 0xDC00);
                sc->i += 6;
            }
            put_utf8(out, cp);
            continue;
        }
        const char *from = "bfnrt", *to = "\b\f\n\r\t";
        const char *k = strchr(from, c);
        char d = k && c ? to[k - from] : c;
        rp_vec_push(out, 1, &d);
    }
    if (sc->i >= sc->n)
        return -1;
    sc->i++;
    char z = '\0';
    rp_vec_push(out, 1, &z);
    return 0;
}

/* In an object at sc->i, moves to the value of key; -1 when absent. */
static int find_key(scan *sc, const char *key, size_t keylen)
{
    if (sc->i >= sc->n || sc->s[sc->i] != '{')
        return -1;
    sc->i++;
    rp_vec name = {0};
    int rc = -1;
    for (;;) {
        skip_ws(sc);
        if (sc->i >= sc->n || sc->s[sc->i] != '"' || read_string(sc, &name) < 0)
            break;
        skip_ws(sc);
        if (sc->i >= sc->n || sc->s[sc->i] != ':')
            break;
        sc->i++;
        skip_ws(sc);
        if (name.len - 1 == keylen && !memcmp(name.data, key, keylen)) {
            rc = 0;
            break;
        }
        if (skip_value(sc) < 0)
            break;
        skip_ws(sc);
        if (sc->i >= sc->n || sc->s[sc->i] != ',')
            break;
        sc->i++;
    }
    rp_vec_free(&name);
    return rc;
}

/* In an array at sc->i, moves to element k; -1 when absent. */
static int find_index(scan *sc, unsigned long k)
{
    if (sc->i >= sc->n || sc->s[sc->i] != '[')
        return -1;
    sc->i++;
    skip_ws(sc);
    if (sc->i >= sc->n || sc->s[sc->i] == ']')
        return -1;
    for (unsigned long j = 0; j < k; j++) {
        if (skip_value(sc) < 0)
            return -1;
        skip_ws(sc);
        if (sc->i >= sc->n || sc->s[sc->i] != ',')
            return -1;
        sc->i++;
        skip_ws(sc);
    }
    return 0;
}

/* Offset of the value at jpath, or of the nearest enclosing value found. */
static size_t locate(const rp_jdoc *doc, const char *jpath, bool *found)
{
    scan sc = {doc->text, doc->len, 0};
    skip_ws(&sc);
    size_t pos = sc.i;
    const char *p = jpath;
    *found = false;
    while (*p) {
        int rc;
        if (*p == '[') {
            char *end;
            unsigned long k = strtoul(p + 1, &end, 10);
            if (*end != ']')
                return pos;
            rc = find_index(&sc, k);
            p = end + 1;
        } else {
            if (*p == '.')
                p++;
            size_t klen = strcspn(p, ".[");
            rc = find_key(&sc, p, klen);
            p += klen;
        }
        if (rc < 0)
            return pos;
        pos = sc.i;
    }
    *found = true;
    return pos;
}

/* Line and column (1-based; the column counts bytes, as the CSV reader's
 * and gcc's do). */
static void line_col(const char *s, size_t off, long *line, long *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

int rp_jdoc_error(const rp_jdoc *doc, const char *jpath, rp_error *err, int code, const char *fmt,
                  ...)
{
    if (!err)
        return code;
    bool found;
    size_t off = locate(doc, jpath, &found);
    long line, col;
    line_col(doc->text, off, &line, &col);
    char msg[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (*jpath)
        return rp_error_set(err, code, doc->path, line, col, "%s: %s", jpath, msg);
    return rp_error_set(err, code, doc->path, line, col, "%s", msg);
}

const char *rp_jdoc_raw(const rp_jdoc *doc, const char *jpath, char buf[72])
{
    bool found;
    size_t off = locate(doc, jpath, &found);
    scan sc = {doc->text, doc->len, off};
    if (!found || skip_value(&sc) < 0)
        return strcpy(buf, "?");
    char *tok = rp_xstrndup(doc->text + off, sc.i - off);
    rp_error_excerpt(tok, buf);
    free(tok);
    return buf;
}

/* ---- typed access ----------------------------------------------------- */

const char *rp_jdoc_path_key(char *buf, size_t n, const char *parent, const char *key)
{
    snprintf(buf, n, "%s%s%s", parent, *parent ? "." : "", key);
    return buf;
}

const char *rp_jdoc_path_index(char *buf, size_t n, const char *parent, size_t i)
{
    snprintf(buf, n, "%s[%zu]", parent, i);
    return buf;
}

static bool in_list(const char *const *list, const char *key)
{
    for (; list && *list; list++)
        if (!strcmp(*list, key))
            return true;
    return false;
}

static int type_error(const rp_jdoc *doc, const char *jpath, const char *what, rp_error *err)
{
    char raw[72];
    return rp_jdoc_error(doc, jpath, err, RP_EINVALID, "expected %s, got %s", what,
                         rp_jdoc_raw(doc, jpath, raw));
}

int rp_jdoc_keys(const rp_jdoc *doc, const char *jpath, const json_t *v,
                 const char *const *required, const char *const *optional, rp_error *err)
{
    if (!json_is_object(v))
        return type_error(doc, jpath, "an object", err);
    const char *key;
    json_t *val;
    char path[512];
    json_object_foreach((json_t *)v, key, val)
    {
        if (in_list(required, key) || in_list(optional, key))
            continue;
        /* A key with the path's own separators cannot be found by its
         * path: the error names it and points at its object. */
        if (strpbrk(key, ".[]")) {
            char ex[72];
            return rp_jdoc_error(doc, jpath, err, RP_EUNKNOWN, "unknown field '%s'",
                                 rp_error_excerpt(key, ex));
        }
        return rp_jdoc_error(doc, rp_jdoc_path_key(path, sizeof path, jpath, key), err, RP_EUNKNOWN,
                             "unknown field");
    }
    for (; required && *required; required++)
        if (!json_object_get(v, *required))
            return rp_jdoc_error(doc, jpath, err, RP_EINVALID, "missing field '%s'", *required);
    return 0;
}

/* The member key of obj, or an error when absent. */
static int member(const rp_jdoc *doc, const char *jpath, const json_t *obj, const char *key,
                  json_t **out, rp_error *err)
{
    *out = json_object_get(obj, key);
    if (!*out)
        return rp_jdoc_error(doc, jpath, err, RP_EINVALID, "missing field '%s'", key);
    return 0;
}

int rp_jdoc_string(const rp_jdoc *doc, const char *jpath, const json_t *obj, const char *key,
                   const char **out, rp_error *err)
{
    json_t *v;
    char path[512];
    int rc = member(doc, jpath, obj, key, &v, err);
    if (rc < 0)
        return rc;
    rp_jdoc_path_key(path, sizeof path, jpath, key);
    if (!json_is_string(v))
        return type_error(doc, path, "a string", err);
    const char *s = json_string_value(v);
    if (!*s || strlen(s) != json_string_length(v))
        return rp_jdoc_error(doc, path, err, RP_EINVALID, "must be a non-empty string");
    if (rp_has_control(s)) {
        char b[72];
        return rp_jdoc_error(doc, path, err, RP_EINVALID, "control character in '%s'",
                             rp_error_excerpt(s, b));
    }
    *out = s;
    return 0;
}

int rp_jdoc_number(const rp_jdoc *doc, const char *jpath, const json_t *obj, const char *key,
                   double *out, rp_error *err)
{
    json_t *v;
    char path[512];
    int rc = member(doc, jpath, obj, key, &v, err);
    if (rc < 0)
        return rc;
    if (!json_is_number(v))
        return type_error(doc, rp_jdoc_path_key(path, sizeof path, jpath, key), "a number", err);
    *out = json_number_value(v);
    return 0;
}

int rp_jdoc_number_min(const rp_jdoc *doc, const char *jpath, const json_t *obj, const char *key,
                       double lo, bool lo_open, double *out, rp_error *err)
{
    int rc = rp_jdoc_number(doc, jpath, obj, key, out, err);
    if (rc < 0)
        return rc;
    if (*out > lo || (!lo_open && *out == lo))
        return 0;
    char path[512], raw[72];
    rp_jdoc_path_key(path, sizeof path, jpath, key);
    return rp_jdoc_error(doc, path, err, RP_EINVALID, "must be %s %g, got %s",
                         lo_open ? ">" : ">=", lo, rp_jdoc_raw(doc, path, raw));
}

int rp_jdoc_int(const rp_jdoc *doc, const char *jpath, const json_t *obj, const char *key, long lo,
                long hi, long *out, rp_error *err)
{
    json_t *v;
    char path[512], raw[72];
    int rc = member(doc, jpath, obj, key, &v, err);
    if (rc < 0)
        return rc;
    rp_jdoc_path_key(path, sizeof path, jpath, key);
    double d = json_is_number(v) ? json_number_value(v) : NAN;
    if (!json_is_integer(v) && !(json_is_real(v) && d == floor(d) && fabs(d) < 9e15))
        return type_error(doc, path, "an integer", err);
    long x = json_is_integer(v) ? (long)json_integer_value(v) : (long)d;
    if (x >= lo && x <= hi) {
        *out = x;
        return 0;
    }
    rp_jdoc_raw(doc, path, raw);
    if (hi >= INT_MAX) /* no meaningful upper bound */
        return rp_jdoc_error(doc, path, err, RP_EINVALID, "must be an integer >= %ld, got %s", lo,
                             raw);
    return rp_jdoc_error(doc, path, err, RP_EINVALID, "must be an integer in [%ld, %ld], got %s",
                         lo, hi, raw);
}

int rp_jdoc_array(const rp_jdoc *doc, const char *jpath, const json_t *obj, const char *key,
                  json_t **out, rp_error *err)
{
    char path[512];
    int rc = member(doc, jpath, obj, key, out, err);
    if (rc < 0)
        return rc;
    if (!json_is_array(*out))
        return type_error(doc, rp_jdoc_path_key(path, sizeof path, jpath, key), "an array", err);
    return 0;
}

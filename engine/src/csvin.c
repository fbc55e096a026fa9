/* csvin.c - strict CSV reader on libcsv with positions.
 *
 * libcsv reports fields through callbacks but never says where they were.
 * We therefore feed it pieces of the input that end right after each ',',
 * '\n' or '\r' (scanned with a byte table): libcsv can only complete a field
 * on such a byte, so after each csv_parse call we know that any field it
 * completed ended at the last byte of the piece, and the next field begins at
 * the first byte of the next piece. Fast path: a record whose line holds no
 * '"' and lies wholly in the buffer is fed as one piece; its fields are then
 * unquoted and untrimmed, so field k+1 starts len(k) + 1 bytes after field k.
 * Lines are counted on '\n'. libcsv
 * silently skips empty rows; we detect blank lines ourselves before feeding a
 * piece that starts at the beginning of a row. */
#include "csvin.h"

#include <csv.h>
#include <errno.h>
#include <openssl/asn1.h> /* UTF8_getc */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define RP_CSV_BLOCK (64 * 1024)

struct rp_csv {
    FILE *fp;
    char *path;
    struct csv_parser p;
    unsigned char *buf;
    size_t len, pos;   /* bytes in buf, next byte to feed */
    long long base;    /* file offset of buf[0] */
    bool eof, done;    /* no more input; csv_fini called */
    long line;         /* line of buf[pos] */
    long long lstart;  /* file offset where that line starts */
    /* field tracking */
    bool at_field;     /* the next byte fed begins a field */
    bool row_start;    /* ...and a row */
    bool after_cr;     /* the previous piece was a row-ending '\r' */
    long fline, fcol;  /* where the field being parsed starts */
    bool fast;         /* feeding a whole unquoted line */
    /* the current record */
    char *rec;
    size_t rec_len, rec_cap;
    size_t *off, *flen;
    long *flines, *fcols; /* where each field starts (a quoted newline moves it) */
    size_t nf, fcap;
    long rec_line;
    bool row_done;
    long end_line, end_col; /* where the record ended */
    /* header */
    char **cols;
    long *hlines, *hcols; /* where each header name starts */
    size_t ncols;
};

/* Bytes that end a piece: slow_tab field by field, line_tab a whole line
 * (or stop the fast path: '"', NUL). */
static const unsigned char slow_tab[256] = {[','] = 1, ['\n'] = 1, ['\r'] = 1, ['\0'] = 1};
static const unsigned char line_tab[256] = {['"'] = 1, ['\n'] = 1, ['\r'] = 1, ['\0'] = 1};

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void grow_fields(rp_csv *c)
{
    size_t cap = c->fcap ? c->fcap * 2 : 16;
    c->off = rp_xreallocarray(c->off, cap, sizeof *c->off);
    c->flen = rp_xreallocarray(c->flen, cap, sizeof *c->flen);
    c->flines = rp_xreallocarray(c->flines, cap, sizeof *c->flines);
    c->fcols = rp_xreallocarray(c->fcols, cap, sizeof *c->fcols);
    c->fcap = cap;
}

static void on_field(void *s, size_t len, void *data)
{
    rp_csv *c = data;
    if (c->nf == c->fcap)
        grow_fields(c);
    if (c->nf == 0)
        c->rec_line = c->fline;
    if (c->rec_len + len + 1 > c->rec_cap) {
        size_t cap = c->rec_cap ? c->rec_cap : 256;
        while (cap < c->rec_len + len + 1)
            cap *= 2;
        c->rec = rp_xrealloc(c->rec, cap);
        c->rec_cap = cap;
    }
    if (len)
        memcpy(c->rec + c->rec_len, s, len);
    c->rec[c->rec_len + len] = '\0';
    c->off[c->nf] = c->rec_len;
    c->flen[c->nf] = len;
    c->flines[c->nf] = c->fline;
    c->fcols[c->nf] = c->fcol;
    c->nf++;
    c->rec_len += len + 1;
    c->at_field = true;
    if (c->fast)
        c->fcol += (long)len + 1;
}

static void on_row(int ch, void *data)
{
    rp_csv *c = data;
    c->row_done = true;
    c->row_start = true;
    c->at_field = true;
    c->after_cr = (ch == '\r');
}

static long col_of(const rp_csv *c, long long abs)
{
    return (long)(abs - c->lstart + 1);
}

static int io_error(rp_csv *c, rp_error *err)
{
    return rp_error_set(err, RP_EIO, c->path, 0, 0, "read failed: %s", strerror(errno));
}

/* Reads the next block; returns 1 with data, 0 at end of file, < 0 on error. */
static int refill(rp_csv *c, rp_error *err)
{
    c->base += (long long)c->len;
    c->len = fread(c->buf, 1, RP_CSV_BLOCK, c->fp);
    c->pos = 0;
    if (c->len == 0) {
        if (ferror(c->fp))
            return io_error(c, err);
        c->eof = true;
        return 0;
    }
    return 1;
}

static size_t scan_piece(const rp_csv *c)
{
    const unsigned char *b = c->buf;
    size_t i = c->pos, n = c->len;
    while (i < n && !slow_tab[b[i]])
        i++;
    return i < n ? i + 1 - c->pos : n - c->pos;
}

/* Length of the whole line at pos when the fast path may take it, else 0. */
static size_t scan_line(const rp_csv *c)
{
    const unsigned char *b = c->buf;
    size_t i = c->pos, n = c->len;
    while (i < n && !line_tab[b[i]])
        i++;
    return i < n && (b[i] == '\n' || b[i] == '\r') ? i + 1 - c->pos : 0;
}

static int parse_error(rp_csv *c, long long abs, rp_error *err)
{
    long col = col_of(c, abs);
    if (csv_error(&c->p) == CSV_ENOMEM || csv_error(&c->p) == CSV_ETOOBIG)
        return rp_error_set(err, RP_ENOMEM, c->path, c->line, col, "field too large");
    unsigned char ch = c->buf[abs - c->base];
    if (c->p.quoted) {
        char b[8];
        if (ch < 0x20 || ch >= 0x7f)
            snprintf(b, sizeof b, "\\x%02x", ch);
        else
            snprintf(b, sizeof b, "%c", ch);
        return rp_error_set(err, RP_EPARSE, c->path, c->line, col,
                            "unexpected character '%s' after closing quote", b);
    }
    return rp_error_set(err, RP_EPARSE, c->path, c->line, col, "quote inside unquoted field");
}

/* A row ended by a CR alone (old Mac line endings): the reader counts lines
 * by LF, so it is refused rather than misplaced. abs: the CR. */
static int lone_cr(const rp_csv *c, long long abs, rp_error *err)
{
    return rp_error_set(err, RP_EPARSE, c->path, c->line, col_of(c, abs),
                        "line ends with a CR alone: want LF or CRLF line endings");
}

/* Before feeding a piece: blank-line detection and field start bookkeeping.
 * Returns 1 to feed it, 0 to skip feeding-side bookkeeping (LF of CRLF). */
static int before_piece(rp_csv *c, rp_error *err)
{
    if (!c->at_field)
        return 0;
    unsigned char b0 = c->buf[c->pos];
    long long abs = c->base + (long long)c->pos;
    if (c->row_start && c->after_cr && b0 != '\n')
        return lone_cr(c, abs - 1, err);
    if (c->row_start && (b0 == '\n' || b0 == '\r')) {
        if (b0 == '\n' && c->after_cr) {
            c->after_cr = false;
            return 0;
        }
        return rp_error_set(err, RP_EPARSE, c->path, c->line, col_of(c, abs), "blank line");
    }
    c->after_cr = false;
    c->row_start = false;
    c->at_field = false;
    c->fline = c->line;
    c->fcol = col_of(c, abs);
    return 0;
}

/* Feeds a whole quote-free line with libcsv's built-in space test (much
 * faster than a callback per byte). That test trims leading and trailing
 * blanks, which we must keep; when the fields do not add up to the line
 * (sum of lengths + separators), something was trimmed, and the line is fed
 * again with blanks kept. libcsv is at a row start before and after. */
static size_t feed_line(rp_csv *c, size_t n)
{
    long col0 = c->fcol;
    csv_set_space_func(&c->p, NULL);
    size_t got = csv_parse(&c->p, c->buf + c->pos, n, on_field, on_row, c);
    csv_set_space_func(&c->p, no_space);
    if (got == n && c->row_done && c->rec_len == n)
        return n;
    c->nf = c->rec_len = 0;
    c->row_done = false;
    c->fcol = col0;
    return csv_parse(&c->p, c->buf + c->pos, n, on_field, on_row, c);
}

static int feed_piece(rp_csv *c, rp_error *err)
{
    bool record_start = c->at_field && c->row_start;
    int rc = before_piece(c, err);
    if (rc < 0)
        return rc;
    size_t n = record_start ? scan_line(c) : 0;
    c->fast = n > 0;
    if (!n)
        n = scan_piece(c);
    long long last = c->base + (long long)(c->pos + n - 1);
    if (c->buf[c->pos + n - 1] == '\0')
        return rp_error_set(err, RP_EPARSE, c->path, c->line, col_of(c, last), "NUL byte");
    size_t got = c->fast ? feed_line(c, n) : csv_parse(&c->p, c->buf + c->pos, n, on_field,
                                                         on_row, c);
    if (got != n)
        return parse_error(c, c->base + (long long)(c->pos + got), err);
    if (c->row_done) {
        c->end_line = c->line;
        c->end_col = col_of(c, last);
    }
    if (c->buf[c->pos + n - 1] == '\n') {
        c->line++;
        c->lstart = last + 1;
    }
    c->pos += n;
    return 0;
}

static int finish(rp_csv *c, rp_error *err)
{
    long long abs = c->base + (long long)c->len;
    if (c->after_cr)
        return lone_cr(c, abs - 1, err);
    c->done = true;
    c->fast = false;
    if (c->at_field && !c->row_start) { /* a last empty field after ',' */
        c->fline = c->line;
        c->fcol = col_of(c, abs);
    }
    c->end_line = c->line;
    c->end_col = col_of(c, abs);
    if (csv_fini(&c->p, on_field, on_row, c) != 0)
        return rp_error_set(err, RP_EPARSE, c->path, c->fline, c->fcol,
                            "unterminated quoted field");
    return 0;
}

/* Reads one raw record of any width: 1, 0 at end, < 0 on error. */
static int read_record(rp_csv *c, rp_error *err)
{
    c->nf = 0;
    c->rec_len = 0;
    c->row_done = false;
    while (!c->row_done) {
        if (c->pos == c->len) {
            int rc = c->eof ? 0 : refill(c, err);
            if (rc < 0)
                return rc;
            if (rc == 0) {
                if (c->done)
                    return 0;
                rc = finish(c, err);
                if (rc < 0)
                    return rc;
                return c->row_done ? 1 : 0;
            }
        }
        int rc = feed_piece(c, err);
        if (rc < 0)
            return rc;
    }
    return 1;
}

/* Offset of the first byte of s[0..n) that does not start a valid UTF-8
 * character, or n. OpenSSL's decoder (libcrypto is linked for the
 * fingerprint) refuses truncated and overlong forms; surrogates and values
 * above U+10FFFF are refused here too, as older OpenSSL versions took them. */
static size_t utf8_bad(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned long v = s[i];
        int k = v < 0x80 ? 1 : UTF8_getc(s + i, (int)(n - i < 4 ? n - i : 4), &v);
        if (k <= 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            return i;
        i += (size_t)k;
    }
    return n;
}

/* SPEC §2: CSV is UTF-8. Checks every field of the record just read (the
 * header when c->cols is not set yet); the message mirrors jansson's for
 * fleet.json and the error sits at the start of the field. */
static int check_utf8(const rp_csv *c, rp_error *err)
{
    for (size_t k = 0; k < c->nf; k++) {
        const char *s = c->rec + c->off[k];
        size_t bad = utf8_bad((const unsigned char *)s, c->flen[k]);
        if (bad == c->flen[k])
            continue;
        char near[72], *pre = rp_xstrndup(s, bad);
        unsigned byte = (unsigned char)s[bad];
        rp_error_excerpt(pre, near);
        free(pre);
        if (!c->cols)
            return rp_error_set(err, RP_EPARSE, c->path, c->flines[k], c->fcols[k],
                                "column name: invalid UTF-8: unable to decode byte 0x%02x "
                                "near '%s'",
                                byte, near);
        return rp_csv_field_error(c, k, err, RP_EPARSE,
                                  "invalid UTF-8: unable to decode byte 0x%02x near '%s'", byte,
                                  near);
    }
    return 0;
}

static int check_header(rp_csv *c, rp_error *err)
{
    for (size_t k = 0; k < c->ncols; k++) {
        if (!c->cols[k][0])
            return rp_error_set(err, RP_EPARSE, c->path, c->hlines[k], c->hcols[k],
                                "empty column name");
        for (size_t j = 0; j < k; j++)
            if (!strcmp(c->cols[j], c->cols[k]))
                return rp_error_set(err, RP_EDUPLICATE, c->path, c->hlines[k], c->hcols[k],
                                    "duplicate column '%s' (first at column %ld)", c->cols[k],
                                    c->hcols[j]);
    }
    return 0;
}

static int read_header(rp_csv *c, rp_error *err)
{
    int rc = refill(c, err);
    if (rc < 0)
        return rc;
    if (c->len >= 3 && !memcmp(c->buf, "\xef\xbb\xbf", 3)) {
        c->pos = 3;
        c->lstart = 3;
    }
    if (rc > 0 && c->pos == c->len)
        rc = refill(c, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return rp_error_set(err, RP_EPARSE, c->path, 1, 1, "empty file");
    rc = read_record(c, err);
    if (rc > 0)
        rc = check_utf8(c, err);
    if (rc < 0)
        return rc;
    c->ncols = c->nf;
    c->cols = rp_xcalloc(c->nf, sizeof *c->cols);
    c->hlines = rp_xcalloc(c->nf, sizeof *c->hlines);
    c->hcols = rp_xcalloc(c->nf, sizeof *c->hcols);
    for (size_t k = 0; k < c->nf; k++) {
        c->cols[k] = rp_xstrdup(c->rec + c->off[k]);
        c->hlines[k] = c->flines[k];
        c->hcols[k] = c->fcols[k];
    }
    return check_header(c, err);
}

int rp_csv_open(const char *path, rp_csv **out, rp_error *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return rp_error_set(err, RP_EIO, path, 0, 0, "cannot open: %s", strerror(errno));
    rp_csv *c = rp_xcalloc(1, sizeof *c);
    c->fp = fp;
    c->path = rp_xstrdup(path);
    c->buf = rp_xmalloc(RP_CSV_BLOCK);
    c->line = 1;
    c->at_field = c->row_start = true;
    if (csv_init(&c->p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        rp_csv_close(c);
        return rp_error_set(err, RP_ENOMEM, path, 0, 0, "cannot create a CSV parser");
    }
    csv_set_space_func(&c->p, no_space);
    int rc = read_header(c, err);
    if (rc < 0) {
        rp_csv_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

void rp_csv_close(rp_csv *c)
{
    if (!c)
        return;
    csv_free(&c->p);
    if (c->fp)
        fclose(c->fp);
    for (size_t k = 0; k < c->ncols; k++)
        free(c->cols[k]);
    free(c->cols);
    free(c->hlines);
    free(c->hcols);
    free(c->buf);
    free(c->rec);
    free(c->off);
    free(c->flen);
    free(c->flines);
    free(c->fcols);
    free(c->path);
    free(c);
}

size_t rp_csv_ncols(const rp_csv *c)
{
    return c->ncols;
}

const char *rp_csv_colname(const rp_csv *c, size_t k)
{
    return c->cols[k];
}

int rp_csv_find(const rp_csv *c, const char *name)
{
    for (size_t k = 0; k < c->ncols; k++)
        if (!strcmp(c->cols[k], name))
            return (int)k;
    return -1;
}

static bool in_list(const char *const *list, const char *name)
{
    for (size_t k = 0; list && list[k]; k++)
        if (!strcmp(list[k], name))
            return true;
    return false;
}

int rp_csv_columns(rp_csv *c, const char *const *required, const char *const *optional,
                   int *idx, rp_error *err)
{
    for (size_t k = 0; k < c->ncols; k++) {
        const char *n = c->cols[k];
        if (!in_list(required, n) && !in_list(optional, n) && strncmp(n, "x_", 2) != 0)
            return rp_error_set(err, RP_EUNKNOWN, c->path, c->hlines[k], c->hcols[k],
                                "unknown column '%s'", n);
    }
    size_t i = 0;
    for (size_t k = 0; required && required[k]; k++, i++) {
        idx[i] = rp_csv_find(c, required[k]);
        if (idx[i] < 0)
            return rp_error_set(err, RP_EPARSE, c->path, 1, 1, "missing column '%s'",
                                required[k]);
    }
    for (size_t k = 0; optional && optional[k]; k++, i++)
        idx[i] = rp_csv_find(c, optional[k]);
    return 0;
}

static int check_width(rp_csv *c, rp_error *err)
{
    if (c->nf == c->ncols)
        return 0;
    long line = c->nf > c->ncols ? c->flines[c->ncols] : c->end_line;
    long col = c->nf > c->ncols ? c->fcols[c->ncols] : c->end_col;
    return rp_error_set(err, RP_EPARSE, c->path, line, col, "row has %zu fields, header has %zu",
                        c->nf, c->ncols);
}

int rp_csv_next(rp_csv *c, rp_error *err)
{
    int rc = read_record(c, err);
    if (rc <= 0)
        return rc;
    rc = check_width(c, err);
    if (rc == 0)
        rc = check_utf8(c, err);
    return rc < 0 ? rc : 1;
}

const char *rp_csv_field(const rp_csv *c, size_t k)
{
    return c->rec + c->off[k];
}

size_t rp_csv_field_len(const rp_csv *c, size_t k)
{
    return c->flen[k];
}

long rp_csv_line(const rp_csv *c)
{
    return c->rec_line;
}

long rp_csv_field_line(const rp_csv *c, size_t k)
{
    return c->flines[k];
}

long rp_csv_col(const rp_csv *c, size_t k)
{
    return c->fcols[k];
}

const char *rp_csv_path(const rp_csv *c)
{
    return c->path;
}

int rp_csv_field_error(const rp_csv *c, size_t k, rp_error *err, int code, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rp_error_set(err, code, c->path, c->flines[k], c->fcols[k], "column '%s': %s",
                        k < c->ncols ? c->cols[k] : "?", msg);
}

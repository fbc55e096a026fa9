/* base.h - allocation wrappers, one generic growable array, small string helpers.
 *
 * Allocation failure is not recoverable in reefplan: rp_xmalloc and friends
 * print one line and exit(1). Every other function in the library that can
 * fail on user input returns a negative RP_E* code instead (see error.h). */
#ifndef RP_BASE_H
#define RP_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define RP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define RP_PRINTF(f, a) __attribute__((format(printf, f, a)))

void *rp_xmalloc(size_t n);
void *rp_xcalloc(size_t count, size_t size);
void *rp_xrealloc(void *p, size_t n);
/* Multiplication-checked reallocarray. */
void *rp_xreallocarray(void *p, size_t count, size_t size);
char *rp_xstrdup(const char *s);
char *rp_xstrndup(const char *s, size_t n);
/* malloc'd printf. */
char *rp_xasprintf(const char *fmt, ...) RP_PRINTF(1, 2);

/* rp_vec: a growable array of fixed-size elements. Zero-initialised is empty.
 * The element size is passed on every push so one type serves all. */
typedef struct rp_vec {
    void *data;
    size_t len, cap;
} rp_vec;

/* Appends one element of esize bytes copied from elem; returns its address. */
void *rp_vec_push(rp_vec *v, size_t esize, const void *elem);
/* Grows capacity to at least n elements. */
void rp_vec_reserve(rp_vec *v, size_t esize, size_t n);
void rp_vec_free(rp_vec *v);
#define RP_VEC_AT(v, type, i) (((type *)(v)->data)[i])
#define RP_VEC_PUSH(v, type, val)                                                          \
    do {                                                                                   \
        type rp__tmp = (val);                                                              \
        rp_vec_push((v), sizeof(type), &rp__tmp);                                          \
    } while (0)

/* Strict number parsing: the whole string must be a finite decimal.
 * Returns 0 or -1. Leading/trailing blanks are rejected. A decimal too
 * small for a double (1e-400) reads as 0 or a subnormal, not as an error. */
int rp_parse_double(const char *s, double *out);
/* Whole-string base-10 integer in [lo, hi]. Returns 0 or -1. */
int rp_parse_long(const char *s, long lo, long hi, long *out);

/* Index of name in a sorted array of strings (bsearch), or -1. */
long rp_str_index(char *const *sorted, size_t n, const char *name);

/* The directory part of path ("." for a bare name, "/" for "/x"); the
 * caller frees it. */
char *rp_dir_of(const char *path);

/* An output file written whole or not at all. A regular file or a new
 * name is written into a temporary file next to it, which rp_out_commit
 * syncs and renames over it; through a symbolic link, the file the link
 * names is replaced and the link stays. An existing file that is not
 * regular (a device such as /dev/null, a FIFO) is written in place, since
 * a rename would replace the device itself. rp_out_open: 0, fd open for
 * writing and name the file being written (by name for writers that open
 * it again), or -1 with errno set (an empty path: ENOENT; a directory:
 * EISDIR). rp_out_commit: 0, or -1 with errno set and nothing left
 * behind. rp_out_abort: drops what was written. Both release o. */
typedef struct rp_out {
    int fd;
    char *name; /* the temporary file, or the path itself when written in place */
    char *dest; /* the file name renames over; NULL when written in place */
} rp_out;
int rp_out_open(const char *path, rp_out *o);
/* Before a long run: could rp_out_open and rp_out_commit write path (the
 * directory of the file it names exists and is writable; a device or FIFO
 * is writable)? 0, or -1 with errno set. */
int rp_out_check(const char *path);
/* Writes all of data to o->fd (0, or -1 with errno set). */
int rp_out_write(rp_out *o, const char *data, size_t len);
int rp_out_commit(rp_out *o);
void rp_out_abort(rp_out *o);

/* Writes data to path through rp_out. Returns 0 or -1 with errno set. */
int rp_write_file_atomic(const char *path, const char *data, size_t len);

/* A control character (below U+0020, or U+007F): refused in names and
 * replaced in messages. */
static inline bool rp_is_control(char c)
{
    return (unsigned char)c < 0x20 || c == 0x7f;
}

static inline bool rp_has_control(const char *s)
{
    for (; *s; s++)
        if (rp_is_control(*s))
            return true;
    return false;
}

#endif

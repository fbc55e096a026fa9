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

/* Writes data to path atomically: a temporary file in the same directory,
 * fsync, rename. Returns 0 or -1 with errno set. */
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

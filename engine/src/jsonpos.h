/* jsonpos.h - locating values in JSON text for error messages.
 *
 * jansson reports line/column for syntax errors only; semantic errors (an
 * unknown SKU in reefs[3].pool_sku) are located here by walking the raw text
 * to the value at a path. */
#ifndef RP_JSONPOS_H
#define RP_JSONPOS_H

#include <jansson.h>

#include "error.h"

typedef struct rp_jdoc {
    char *path;  /* file path for messages */
    char *text;  /* whole file, NUL-terminated */
    size_t len;
    json_t *root;
} rp_jdoc;

/* Reads and parses a JSON file (UTF-8 BOM accepted, duplicate keys and
 * non-finite numbers rejected). Syntax errors come from jansson with its
 * line and column. */
int rp_jdoc_load(const char *path, rp_jdoc *doc, rp_error *err);
void rp_jdoc_free(rp_jdoc *doc);

/* Fills err at the position of the value at jpath ("reefs[3].pool_sku",
 * "settings.headroom.cpu_cores"; "" is the root) in doc; when the path
 * cannot be found, at the nearest enclosing value found. The message is
 * prefixed with "<jpath>: ". Returns code. */
int rp_jdoc_error(const rp_jdoc *doc, const char *jpath, rp_error *err, int code,
                  const char *fmt, ...) RP_PRINTF(5, 6);

/* Typed field access with located errors. jpath names the object that holds
 * key (or the value itself for rp_jdoc_keys); every failure fills err at the
 * offending value with its JSON path and raw text, and returns a negative
 * code. Borrowed pointers (strings, arrays) live as long as doc. */

/* Checks that v (at jpath) is an object whose keys are all in required[] or
 * optional[] (NULL-terminated; optional may be NULL) and that every required
 * key is present: "<jpath>.<key>: unknown field", "<jpath>: missing field
 * '<key>'", "<jpath>: expected an object, got <raw>". */
int rp_jdoc_keys(const rp_jdoc *doc, const char *jpath, const json_t *v,
                 const char *const *required, const char *const *optional, rp_error *err);
/* Non-empty string without control characters. */
int rp_jdoc_string(const rp_jdoc *doc, const char *jpath, const json_t *obj, const char *key,
                   const char **out, rp_error *err);
/* Any JSON number (integer or real). */
int rp_jdoc_number(const rp_jdoc *doc, const char *jpath, const json_t *obj, const char *key,
                   double *out, rp_error *err);
/* Number >= lo (or > lo when lo_open), with "must be >= lo, got <raw>". */
int rp_jdoc_number_min(const rp_jdoc *doc, const char *jpath, const json_t *obj, const char *key,
                       double lo, bool lo_open, double *out, rp_error *err);
/* Integer (an integral real is accepted) in [lo, hi]. */
int rp_jdoc_int(const rp_jdoc *doc, const char *jpath, const json_t *obj, const char *key, long lo,
                long hi, long *out, rp_error *err);
/* Array (may be empty). */
int rp_jdoc_array(const rp_jdoc *doc, const char *jpath, const json_t *obj, const char *key,
                  json_t **out, rp_error *err);

/* "<parent>.<key>" (or "<key>" when parent is "") into buf of size n. */
const char *rp_jdoc_path_key(char *buf, size_t n, const char *parent, const char *key);
/* "<parent>[<i>]" into buf of size n. */
const char *rp_jdoc_path_index(char *buf, size_t n, const char *parent, size_t i);
/* The raw text of the value at jpath as written in the file (an excerpt of
 * at most 60 bytes, control characters shown as '?'), or "?" when the path
 * is not found. */
const char *rp_jdoc_raw(const rp_jdoc *doc, const char *jpath, char buf[72]);

#endif

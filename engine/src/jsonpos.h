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

#endif

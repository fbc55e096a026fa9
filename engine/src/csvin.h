/* csvin.h - strict CSV reading on top of libcsv (CSV_STRICT|CSV_STRICT_FINI),
 * with the line and column of every field tracked here (libcsv reports only
 * byte counts) and the width of every row checked against the header.
 *
 * rp_csv_open reads the header row; rp_csv_next yields one record at a time.
 * Field strings belong to the reader and live until the next rp_csv_next.
 * A UTF-8 BOM at the start is skipped. Blank lines and fields that are not
 * valid UTF-8 are errors. */
#ifndef RP_CSVIN_H
#define RP_CSVIN_H

#include "error.h"

typedef struct rp_csv rp_csv;

/* Opens path and reads the header. Empty file, bad header (empty or
 * duplicate column name) -> error at FILE:1:COL. */
int rp_csv_open(const char *path, rp_csv **out, rp_error *err);
void rp_csv_close(rp_csv *c);

size_t rp_csv_ncols(const rp_csv *c);
const char *rp_csv_colname(const rp_csv *c, size_t k);
/* Column index of name in the header, or -1. */
int rp_csv_find(const rp_csv *c, const char *name);

/* Checks the header against the columns a file must have and may have:
 * every name in required[] present, every header column either in
 * required[], optional[] or prefixed "x_". NULL-terminated lists. Fills
 * idx[] (same order as required then optional) with column indexes or -1. */
int rp_csv_columns(rp_csv *c, const char *const *required, const char *const *optional,
                   int *idx, rp_error *err);

/* Reads the next record: 1 when a record is ready, 0 at end of file, < 0 on
 * error (err located; ragged rows, bad quoting, unterminated quote). */
int rp_csv_next(rp_csv *c, rp_error *err);
/* Field k of the current record (NUL-terminated) and its position. */
const char *rp_csv_field(const rp_csv *c, size_t k);
size_t rp_csv_field_len(const rp_csv *c, size_t k);
long rp_csv_line(const rp_csv *c);                 /* line where the record starts */
long rp_csv_field_line(const rp_csv *c, size_t k); /* line where field k starts */
long rp_csv_col(const rp_csv *c, size_t k); /* column (1-based byte) where field k starts */
const char *rp_csv_path(const rp_csv *c);

/* Error helper: "FILE:LINE:COL: error: column 'NAME': MSG" for field k of the
 * current record. */
int rp_csv_field_error(const rp_csv *c, size_t k, rp_error *err, int code, const char *fmt, ...)
    RP_PRINTF(5, 6);

#endif

/* cli.h - shared by the reefplan subcommands. Each cmd_<verb>.c parses its
 * own arguments and calls the library; exit codes follow SPEC §6. */
#ifndef RP_CLI_H
#define RP_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "error.h"

enum { RP_EXIT_OK = 0, RP_EXIT_FAIL = 1, RP_EXIT_USAGE = 2 };

int cmd_check(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_rebalance(int argc, char **argv);
int cmd_place(int argc, char **argv);
int cmd_export(int argc, char **argv);

/* Prints "reefplan VERB: MSG" to stderr and returns RP_EXIT_USAGE. */
int rp_cli_usage(const char *verb, const char *fmt, ...) RP_PRINTF(2, 3);
/* Prints err to stderr; returns RP_EXIT_USAGE. */
int rp_cli_error(const rp_error *err);
/* Writes text to path whole or not at all ("-" or NULL: stdout).
 * Returns 0 or prints the reason and returns -1. */
int rp_cli_output(const char *path, const char *text);
/* After text printed to stdout: flushes it; 0, or prints the reason (a
 * full disk, a closed pipe) and returns -1. */
int rp_cli_stdout_done(void);
/* Before a long run: can rp_cli_output write path (its directory exists
 * and is writable, and path is not a directory)? Returns 0, or prints the
 * reason and returns -1. */
int rp_cli_output_check(const char *path);
/* Installs the stderr logger (level from REEFPLAN_LOG or -v). */
void rp_cli_log_init(int verbose);
/* A status line on stderr, rewritten in place: only when stderr is a
 * terminal (not TERM=dumb) and no info or debug log lines would cut
 * across it. rp_cli_status_line replaces the line; rp_cli_status_end
 * clears it (log lines clear it first too). */
bool rp_cli_status_wanted(void);
void rp_cli_status_line(const char *text);
void rp_cli_status_end(void);
/* Parses a non-negative integer option value; returns 0 or -1 (message printed). */
int rp_cli_long(const char *verb, const char *opt, const char *val, long lo, long hi, long *out);
int rp_cli_double(const char *verb, const char *opt, const char *val, double lo, double hi,
                  double *out);

#endif

/* fuzz_input.c - libFuzzer harness for reefplan's inputs (tests/fuzz/run.sh).
 *
 * FZ_TARGET names the file the fuzzer's input replaces in a copy of the
 * fixture FZ_FIXTURE (tests/fixtures/tiny): fleet.json, catalog.json (the
 * fleet then names "catalog.json"), instances.csv, profiles.csv, load.csv
 * (profiles.csv removed), plan.json (read, then verified against the
 * fixture) or request.json (a `place` request, read, then answered). What
 * it checks beyond the sanitizers: a load or read either succeeds or fails
 * with a negative code and one located message (a file, a non-empty
 * message on one line, no negative line or column), and nothing leaks.
 *
 * With FZ_SOLVE=1, every fleet that loads is also rebalanced (a short
 * search: FZ_ITERS iterations, default 300, seed 1, at most 5 s) unless the
 * solver finds no feasible plan; the plan, sequenced, written and read back
 * as `rebalance` and `verify` do, must pass rp_verify (every rule, the
 * replay, the summary, and the lower bound at most the objective). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fleet.h"
#include "place.h"
#include "plan.h"
#include "solver.h"
#include "verify.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[4096];
static const char *target;
static rp_fleet *fixture; /* plan.json and request.json: the fleet they refer to */
static bool solve;
static long iters;
static long loaded, verified; /* reported at exit */

static void die(const char *what)
{
    fprintf(stderr, "fuzz_input: %s\n", what);
    abort();
}

static void write_file(const char *name, const void *data, size_t size)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        die("cannot write the input file");
}

static char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot read the fixture");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        die("cannot read the fixture");
    fclose(f);
    buf[n] = 0;
    *size = (size_t)n;
    return buf;
}

static void remove_dir(void)
{
    const char *names[] = {"fleet.json", "catalog.json", "instances.csv", "profiles.csv",
                           "load.csv",   "plan.json",    "request.json"};
    char path[4200];
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        unlink(path);
    }
    rmdir(dir);
    rp_fleet_free(fixture);
    fprintf(stderr, "fuzz_input: %ld inputs loaded or read, %ld plans rebalanced and verified\n",
            loaded, verified);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    target = getenv("FZ_TARGET");
    const char *sv = getenv("FZ_SOLVE"), *it = getenv("FZ_ITERS");
    solve = sv && strcmp(sv, "1") == 0;
    iters = it && atol(it) > 0 ? atol(it) : 300;
    const char *src = getenv("FZ_FIXTURE");
    if (!target || !src)
        die("FZ_TARGET and FZ_FIXTURE must be set");
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/reefplan-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        die("cannot make a directory");
    atexit(remove_dir);
    const char *files[] = {"fleet.json", "instances.csv", "profiles.csv"};
    for (size_t k = 0; k < 3; k++) {
        char path[4200];
        size_t n;
        snprintf(path, sizeof path, "%s/%s", src, files[k]);
        char *text = read_file(path, &n);
        if (k == 0 && strcmp(target, "catalog.json") == 0) {
            /* The fleet names the fuzzed catalog instead of a built-in one. */
            char *at = strstr(text, "\"catalog\"");
            char *q1 = at ? strchr(at + 9, '"') : NULL;
            char *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
            if (!q2)
                die("the fixture's fleet.json names no catalog");
            char *edited = malloc(n + 32);
            int len =
                snprintf(edited, n + 32, "%.*s\"catalog.json\"%s", (int)(q1 - text), text, q2 + 1);
            write_file(files[k], edited, (size_t)len);
            free(edited);
        } else {
            write_file(files[k], text, n);
        }
        free(text);
    }
    if (strcmp(target, "load.csv") == 0) {
        char path[4200];
        snprintf(path, sizeof path, "%s/profiles.csv", dir);
        unlink(path);
    }
    if (strcmp(target, "plan.json") == 0 || strcmp(target, "request.json") == 0) {
        rp_error err;
        if (rp_fleet_load(dir, &fixture, &err) < 0)
            die("the fixture does not load");
    }
    return 0;
}

/* A failure must be one located message. */
static void check_error(int rc, const rp_error *err)
{
    if (rc >= 0)
        return;
    if (err->code != rc || err->code >= 0)
        die("error code not reported");
    if (!err->file[0] || !err->msg[0])
        die("error without a file or a message");
    if (strchr(err->msg, '\n') || strchr(err->file, '\n'))
        die("error message on more than one line");
    if (err->line < 0 || err->col < 0)
        die("negative line or column");
}

/* Rebalances f and verifies the plan; aborts, printing the first
 * violations, when verify finds any. */
static void solve_and_verify(const rp_fleet *f)
{
    rp_plan *p = rp_plan_new();
    rp_error err;
    if (rp_fleet_fingerprint(f, p->fingerprint, &err) < 0)
        die("no fingerprint for a fleet that loads");
    rp_solve_opts so = {.time_limit = 5, .seed = 1, .move_budget = -2, .max_iters = iters};
    rp_solver *s = rp_solver_solve(f, &so);
    char *bad = rp_solver_infeasible(s);
    if (bad) {
        free(bad);
        rp_solver_free(s);
        rp_plan_free(p);
        return;
    }
    bool changed;
    p = rp_solver_plan(s, p, 0, &changed);
    rp_solver_free(s);
    /* As `rebalance` then `verify` do: written, read back, verified. */
    char *text = rp_plan_to_json(p, f);
    rp_plan_free(p);
    write_file("plan.json", text, strlen(text));
    free(text);
    char path[4200];
    snprintf(path, sizeof path, "%s/plan.json", dir);
    rp_plan *q = NULL;
    if (rp_plan_read(path, f, &q, &err) < 0) {
        fprintf(stderr, "fuzz_input: %s:%ld:%ld: %s\n", err.file, err.line, err.col, err.msg);
        die("the rebalanced plan does not read back");
    }
    rp_verify_report rep;
    size_t nv = rp_verify(f, q, &rep);
    for (size_t k = 0; k < rep.nmsgs && k < 5; k++)
        fprintf(stderr, "fuzz_input: verify: %s\n", rep.msgs[k]);
    rp_verify_report_free(&rep);
    rp_plan_free(q);
    if (nv > 0)
        die("the rebalanced plan does not verify");
    verified++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rp_error err;
    memset(&err, 0, sizeof err);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, target);
    write_file(target, data, size);
    if (strcmp(target, "plan.json") == 0) {
        rp_plan *p = NULL;
        int rc = rp_plan_read(path, fixture, &p, &err);
        check_error(rc, &err);
        if (rc == 0) {
            loaded++;
            rp_verify_report rep;
            rp_verify(fixture, p, &rep);
            rp_verify_report_free(&rep);
        }
        rp_plan_free(p);
    } else if (strcmp(target, "request.json") == 0) {
        rp_place_req req;
        int rc = rp_place_request_read(fixture, path, &req, &err);
        check_error(rc, &err);
        if (rc == 0) {
            loaded++;
            rp_placer *pl = rp_placer_new(fixture);
            rp_place_result res;
            rp_place_query(pl, &req, &res);
            rp_place_result_free(&res);
            rp_placer_free(pl);
            rp_place_req_free(&req);
        }
    } else {
        rp_fleet *f = NULL;
        int rc = rp_fleet_load(dir, &f, &err);
        check_error(rc, &err);
        loaded += rc == 0;
        if (rc == 0 && solve)
            solve_and_verify(f);
        rp_fleet_free(f);
    }
    return 0;
}

/* reefplan rebalance FLEET [-o plan.json] [options]: the target placement of
 * least objective and the ordered actions that reach it. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "fleetout.h"
#include "log.h"
#include "solver.h"

/* One table: option, default, bounds, whole number only, help. */
#define REBALANCE_OPTIONS(X)                                                                       \
    X(time_limit, "--time-limit", 30, 0.1, 86400, false, "seconds of search (wall time)")          \
    X(seed, "--seed", 1, 0, 4e18, true, "random seed; same input and seed give the same plan")     \
    X(move_budget, "--move-budget", -2, -1, 1e9, true,                                             \
      "instances that may change reef (-1 unlimited)")                                             \
    X(max_concurrent, "--max-concurrent", 4, 1, 1000, true, "migrations per reef in one wave")     \
    X(iterations, "--iterations", 0, 0, 1e12, true, "search iterations (0: scaled to the fleet)")  \
    X(patience, "--patience", 0, -1, 1e12, true,                                                   \
      "iterations without a lower objective before the search stops (0: 4000 + 4 per movable "     \
      "instance; -1: never, the clock or --iterations ends it)")                                   \
    X(defer_moves, "--defer-moves", -1, -1, 1, true,                                               \
      "a second run that spends the budget on the plan settled without it (0: for a budget of at " \
      "most 64 moves, all spent, on 1000 instances or more, in the time the first run leaves; "    \
      "1: whenever the budget is limited; -1: never)")                                             \
    X(lns_steps, "--lns-steps", -2, -2, 1e9, true,                                                 \
      "large-neighbourhood MIP steps at most (-2: 300, x 24 / slots above 24 slots, x 2000 / "     \
      "instances above 2000; -1: 2% of iterations; 0: none)")                                      \
    X(restarts, "--restarts", 1, 1, 64, true,                                                      \
      "runs of the search within the time limit, each from the fleet as it is, the best kept")

typedef struct opts {
#define X(name, flag, def, lo, hi, whole, help) double name;
    REBALANCE_OPTIONS(X)
#undef X
    const char *dir, *out, *target_fleet;
    bool json, explain, peak_profiles;
    int verbose;
} opts;

/* The usage and every option (--help: on stdout). */
static void usage_help(FILE *out)
{
    fprintf(out, "usage: reefplan rebalance FLEET [-o plan.json] [--json] [--explain] "
                 "[--peak-profiles] [--lns] [--target-fleet DIR] [-v]\n");
#define X(name, flag, def, lo, hi, whole, help)                                                    \
    if ((double)(def) < (lo)) /* no default of its own */                                          \
        fprintf(out, "  %-18s %s (default: the fleet's settings)\n", flag, help);                  \
    else                                                                                           \
        fprintf(out, "  %-18s %s (default %g)\n", flag, help, (double)def);
    REBALANCE_OPTIONS(X)
#undef X
}

static int parse(int argc, char **argv, opts *o)
{
    *o = (opts){0};
#define X(name, flag, def, lo, hi, whole, help) o->name = def;
    REBALANCE_OPTIONS(X)
#undef X
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        bool matched = false;
#define X(name, flag, def, lo, hi, whole, help)                                                    \
    if (!matched && !strcmp(a, flag)) {                                                            \
        matched = true;                                                                            \
        if (rp_cli_double("rebalance", flag, k + 1 < argc ? argv[++k] : NULL, lo, hi, &o->name) <  \
            0)                                                                                     \
            return -1;                                                                             \
        if ((whole) && o->name != floor(o->name))                                                  \
            return rp_cli_usage("rebalance", "%s: '%s' is not a whole number", flag, argv[k]), -1; \
    }
        REBALANCE_OPTIONS(X)
#undef X
        if (matched)
            continue;
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (k + 1 >= argc)
                return rp_cli_usage("rebalance", "-o needs a file name"), -1;
            o->out = argv[++k];
        } else if (!strcmp(a, "--target-fleet")) {
            if (k + 1 >= argc)
                return rp_cli_usage("rebalance", "--target-fleet needs a directory"), -1;
            o->target_fleet = argv[++k];
        } else if (!strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(a, "--explain")) {
            o->explain = true;
        } else if (!strcmp(a, "--peak-profiles")) {
            o->peak_profiles = true;
        } else if (!strcmp(a, "--lns")) { /* no cap: 2% of the iterations */
            o->lns_steps = -1;
        } else if (!strcmp(a, "-v")) {
            o->verbose++;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            return usage_help(stdout), 1;
        } else if (a[0] == '-') {
            return rp_cli_usage("rebalance", "unknown option '%s'", a), -1;
        } else if (!o->dir) {
            o->dir = a;
        } else {
            return rp_cli_usage("rebalance", "unexpected argument '%s'", a), -1;
        }
    }
    if (!o->dir)
        return usage_help(stderr), -1;
    return 0;
}

static char *settings_echo(const rp_fleet *f, const opts *o, int budget)
{
    json_t *j = json_object();
#define X(name, flag, def, lo, hi, whole, help)                                                    \
    json_object_set_new(j, #name, (whole) ? json_integer((json_int_t)o->name) : json_real(o->name));
    REBALANCE_OPTIONS(X)
#undef X
    json_object_set_new(j, "move_budget", json_integer(budget));
    json_object_set_new(j, "peak_profiles", json_boolean(o->peak_profiles));
    json_object_set_new(j, "slots", json_integer(f->set.slots));
    json_object_set_new(j, "quantile", json_real(f->set.quantile));
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

static void print_summary(const rp_fleet *f, const rp_plan *p, rp_stop stop)
{
    const rp_plan_summary *s = &p->sum;
    char change[32] = ""; /* none from nothing (a fleet of new instances only) */
    if (s->cost_before > 0)
        snprintf(change, sizeof change, " (%+.1f%%)",
                 100 * (s->cost_after - s->cost_before) / s->cost_before);
    fprintf(stderr,
            "rebalance: cost %.2f -> %.2f %s/month%s, objective %.2f, lower bound %.2f\n"
            "rebalance: %d moves, %d tier changes, %d reefs opened, %d deleted, %zu actions, "
            "%.2f s, stopped by %s\n",
            s->cost_before, s->cost_after, f->cat->currency, change, s->objective, s->lower_bound,
            s->moves, s->tier_changes, s->reefs_opened, s->reefs_deleted, p->nact, s->solve_seconds,
            rp_stop_names[stop]);
    for (size_t k = 0; k < p->nunplaced && k < 10; k++)
        fprintf(stderr, "rebalance: unplaced %s: %s\n", f->inst[p->unplaced[k].inst].id,
                p->unplaced[k].reason);
    if (p->nunplaced > 10)
        fprintf(stderr, "rebalance: ... and %zu more unplaced (see the plan)\n",
                p->nunplaced - 10);
    if (p->ndeferred)
        fprintf(stderr, "rebalance: %zu instance(s) left in draining reefs (deferred)\n",
                p->ndeferred);
}

/* Per-reef before/after with utilisation at the tightest hour. */
static void print_explain(const rp_fleet *f, const rp_plan *p)
{
    rp_audit_report before;
    rp_audit_run(f, &before);
    fprintf(stderr, "\n%-14s %-9s %5s %5s %-12s %-12s %5s %5s %7s %7s\n", "reef", "state", "inst",
            "->", "pool", "->", "nodes", "->", "util", "->");
    for (size_t r = 0; r < p->nreefs; r++) {
        const rp_plan_reef *pr = &p->reefs[r];
        int fr = pr->fleet_reef;
        double ub = 0, ua = 0;
        for (int m = 0; m < RP_NMETRICS; m++) {
            if (fr >= 0 && before.reefs[fr].util[m] > ub)
                ub = before.reefs[fr].util[m];
            if (pr->peak_util[m] > ua)
                ua = pr->peak_util[m];
        }
        int ninst = 0;
        for (size_t k = 0; k < p->nplace; k++)
            ninst += p->place[k].reef == (int)r;
        fprintf(stderr, "%-14s %-9s %5d %5d %-12s %-12s %5d %5d %6.0f%% %6.0f%%\n", pr->name,
                pr->created ? "new" : pr->deleted ? "deleted" : rp_reef_state_names[f->reefs[fr].state],
                fr >= 0 ? before.reefs[fr].instances : 0, ninst,
                fr >= 0 ? f->cat->pools[f->reefs[fr].pool].sku : "-",
                pr->deleted ? "-" : f->cat->pools[pr->pool].sku, fr >= 0 ? f->reefs[fr].nodes : 0,
                pr->deleted ? 0 : pr->nodes, 100 * ub, 100 * ua);
    }
    fprintf(stderr, "(util: highest share of any capacity at its tightest hour, headroom "
                    "included; before at the stated sizes, after at the plan's)\n");
    rp_audit_report_free(&before);
}

static char *summary_json(const rp_plan *p, rp_stop stop)
{
    const rp_plan_summary *s = &p->sum;
    json_t *j = json_pack("{s:f, s:f, s:f, s:f, s:i, s:i, s:i, s:i, s:i, s:I, s:I, s:f, s:s}",
                          "cost_before", s->cost_before, "cost_after", s->cost_after,
                          "objective", s->objective, "lower_bound", s->lower_bound, "moves",
                          s->moves, "tier_changes", s->tier_changes, "reefs_opened",
                          s->reefs_opened, "reefs_deleted", s->reefs_deleted, "unplaced",
                          s->unplaced, "deferred", (json_int_t)p->ndeferred, "actions",
                          (json_int_t)p->nact, "solve_seconds", s->solve_seconds,
                          "stopped_by", rp_stop_names[stop]);
    char *out = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    json_decref(j);
    return out;
}

/* rp_fleetout errors: RP_EUSAGE is the caller's (exit 2), others fail the
 * run (exit 1). */
static int target_error(int rc, const rp_error *err)
{
    return rc == RP_EUSAGE ? rp_cli_error(err) : (rp_error_print(err, stderr), RP_EXIT_FAIL);
}

/* Writes the target fleet (if asked), the plan, the JSON summary and the
 * summary on stderr. The target fleet and a plan file are both written
 * into temporary files first and renamed into place only once both are
 * whole (the plan last; should that rename fail, the target fleet is
 * removed again): an error leaves neither behind, and prints no summary.
 * A plan on stdout is written before the target fleet is renamed. Returns
 * the exit code. */
static int write_outputs(const opts *o, const rp_fleet *fr, const rp_plan *p, rp_stop stop)
{
    rp_error err;
    char *staged = NULL;
    int rc = RP_EXIT_OK;
    if (o->target_fleet) {
        int trc = rp_fleet_stage_target(fr, p, o->target_fleet, &staged, &err);
        if (trc < 0)
            rc = target_error(trc, &err);
    }
    bool to_file = o->out && strcmp(o->out, "-") != 0;
    rp_out plan_out = {.fd = -1};
    char *text = rc == RP_EXIT_OK ? rp_plan_to_json(p, fr) : NULL;
    if (rc == RP_EXIT_OK && to_file) {
        if (rp_out_open(o->out, &plan_out) < 0 || rp_out_write(&plan_out, text, strlen(text)) < 0) {
            fprintf(stderr, "reefplan: cannot write %s: %s\n", o->out, strerror(errno));
            if (plan_out.fd >= 0)
                rp_out_abort(&plan_out);
            rc = RP_EXIT_FAIL;
        }
    } else if (rc == RP_EXIT_OK && (o->out || !o->json) && rp_cli_output(NULL, text) < 0) {
        rc = RP_EXIT_FAIL;
    }
    free(text);
    bool committed = false;
    if (staged) {
        int trc = 0;
        if (rc == RP_EXIT_OK)
            trc = rp_fleet_commit_target(staged, o->target_fleet, &err);
        else
            rp_fleet_discard_target(staged);
        if (trc < 0)
            rc = target_error(trc, &err);
        committed = trc == 0 && rc == RP_EXIT_OK;
    }
    if (plan_out.fd >= 0) {
        if (rc != RP_EXIT_OK) {
            rp_out_abort(&plan_out);
        } else if (rp_out_commit(&plan_out) < 0) {
            fprintf(stderr, "reefplan: cannot write %s: %s\n", o->out, strerror(errno));
            if (committed)
                rp_outdir_discard(rp_xstrdup(o->target_fleet));
            rc = RP_EXIT_FAIL;
        }
    }
    if (rc == RP_EXIT_OK && o->json) {
        char *sj = summary_json(p, stop);
        char *line = rp_xasprintf("%s\n", sj);
        if (rp_cli_output(NULL, line) < 0)
            rc = RP_EXIT_FAIL;
        free(sj);
        free(line);
    }
    if (rc == RP_EXIT_OK) {
        print_summary(fr, p, stop);
        if (o->explain)
            print_explain(fr, p);
    }
    return rc;
}

/* The search's progress on a terminal: time against the limit, the step,
 * the objective so far (and the run, with --restarts). */
static void show_progress(const rp_progress *p, void *ud)
{
    (void)ud;
    char line[200], limit[32] = "", run[32] = "", obj[48] = "";
    if (p->time_limit > 0)
        snprintf(limit, sizeof limit, " of %.0f", p->time_limit);
    if (p->runs > 1)
        snprintf(run, sizeof run, ", run %d of %d", p->run, p->runs);
    if (!isnan(p->objective))
        snprintf(obj, sizeof obj, ", objective %.2f", p->objective);
    snprintf(line, sizeof line, "rebalance: %.0f%s s, %s%s%s", p->elapsed, limit, p->phase, run,
             obj);
    rp_cli_status_line(line);
}

/* A plan file in the target fleet's directory would fill the directory
 * that must be empty for the fleet to take its place: refused. The target
 * exists here only as an empty directory, so the plan's directory can only
 * be that directory itself. */
static int out_in_target(const opts *o)
{
    if (!o->target_fleet || !o->out || !strcmp(o->out, "-"))
        return 0;
    char *dir = rp_dir_of(o->out);
    char *a = realpath(dir, NULL), *b = realpath(o->target_fleet, NULL);
    bool inside = a && b && !strcmp(a, b);
    free(dir);
    free(a);
    free(b);
    if (inside)
        return rp_cli_usage("rebalance", "-o %s is inside --target-fleet %s, which must be empty",
                            o->out, o->target_fleet),
               -1;
    return 0;
}

int cmd_rebalance(int argc, char **argv)
{
    opts o;
    int pr = parse(argc, argv, &o);
    if (pr != 0)
        return pr > 0 ? RP_EXIT_OK : RP_EXIT_USAGE;
    rp_cli_log_init(o.verbose);
    rp_fleet *f;
    rp_error err;
    if (rp_fleet_load_json(o.dir, &f, &err) < 0)
        return rp_cli_error(&err);
    /* The fingerprint is taken before instances.csv and the profiles are
     * read: a file that changes while it is read leaves a plan whose
     * fingerprint no longer matches the fleet, which verify reports. A
     * file that is missing or bad is reported as the loader words it. */
    rp_plan *p = rp_plan_new();
    rp_error ferr;
    int frc = rp_fleet_fingerprint(f, p->fingerprint, &ferr);
    int lrc = rp_fleet_load_rest(f, &err);
    if (lrc < 0 || frc < 0) {
        rp_plan_free(p);
        rp_fleet_free(f);
        return rp_cli_error(lrc < 0 ? &err : &ferr);
    }
    /* Outputs that cannot be written are refused before the search. */
    int pre = o.target_fleet ? rp_outdir_check(o.target_fleet, &err) : 0;
    if (pre < 0 || rp_cli_output_check(o.out) < 0 || out_in_target(&o) < 0) {
        if (pre < 0)
            rp_error_print(&err, stderr);
        rp_plan_free(p);
        rp_fleet_free(f);
        return RP_EXIT_USAGE;
    }
    /* With --peak-profiles the search sees flattened profiles; the real ones
     * are put back for the plan's peak_utilization and the target fleet. */
    float *real = NULL;
    size_t nprof = f->ninst * RP_NMETRICS * (size_t)f->set.slots;
    if (o.peak_profiles && nprof) {
        real = rp_xmalloc(nprof * sizeof *real);
        memcpy(real, f->prof, nprof * sizeof *real);
        rp_fleet_flatten_peaks(f);
    }
    rp_solve_opts so = {.time_limit = o.time_limit,
                        .seed = (uint64_t)o.seed,
                        .move_budget = (int)o.move_budget,
                        .max_iters = (long)o.iterations,
                        .patience = (long)o.patience,
                        .defer_moves = (int)o.defer_moves,
                        .lns_steps = (long)o.lns_steps,
                        .restarts = (int)o.restarts,
                        .progress = rp_cli_status_wanted() ? show_progress : NULL};
    rp_solver *s = rp_solver_solve(f, &so);
    rp_cli_status_end();
    char *bad = rp_solver_infeasible(s);
    if (bad) {
        fprintf(stderr, "rebalance: no feasible plan: %s\n", bad);
        free(bad);
        rp_solver_free(s);
        rp_plan_free(p);
        rp_fleet_free(f);
        free(real);
        return RP_EXIT_FAIL;
    }
    rp_stop stop = rp_solver_stop(s);
    bool changed;
    p = rp_solver_plan(s, p, (int)o.max_concurrent, &changed);
    if (changed && stop == RP_STOP_LOWER_BOUND) /* the plan is no longer the bound's */
        stop = RP_STOP_STAGNATION;
    rp_solver_free(s);
    p->settings_json = settings_echo(f, &o, (int)(o.move_budget >= -1 ? o.move_budget
                                                                      : f->set.move_budget));
    if (real) {
        memcpy(f->prof, real, nprof * sizeof *real);
        free(real);
    }
    int rc = write_outputs(&o, f, p, stop);
    rp_plan_free(p);
    rp_fleet_free(f);
    return rc;
}

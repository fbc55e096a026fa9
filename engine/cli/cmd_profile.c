/* reefplan profile FLEET [-o profiles.csv] [--mem-budget SAMPLES]
 *
 * Builds profiles from the fleet's load.csv (always: an existing
 * profiles.csv in the fleet is what this command replaces, so unlike
 * rp_fleet_load it is not consulted) and writes profiles.csv. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "instances.h"
#include "profile.h"

typedef struct profile_args {
    const char *fleet, *out;
    long budget;
} profile_args;

static int parse_args(int argc, char **argv, profile_args *a)
{
    a->fleet = NULL;
    a->out = "-";
    a->budget = 0;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "-o") || !strcmp(argv[k], "--output")) {
            if (++k == argc)
                return rp_cli_usage("profile", "%s needs a file name", argv[k - 1]);
            a->out = argv[k];
        } else if (!strcmp(argv[k], "--mem-budget")) {
            if (rp_cli_long("profile", "--mem-budget", k + 1 < argc ? argv[k + 1] : NULL, 1,
                            1L << 40, &a->budget) < 0)
                return RP_EXIT_USAGE;
            k++;
        } else if (argv[k][0] == '-' && argv[k][1]) {
            return rp_cli_usage("profile", "unknown option '%s'", argv[k]);
        } else if (!a->fleet) {
            a->fleet = argv[k];
        } else {
            return rp_cli_usage("profile", "unexpected argument '%s'", argv[k]);
        }
    }
    if (!a->fleet)
        return rp_cli_usage("profile", "usage: reefplan profile FLEET [-o profiles.csv] "
                                       "[--mem-budget SAMPLES]");
    return 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int build(const profile_args *a, rp_fleet *f, rp_error *err)
{
    char *path = rp_xasprintf("%s/instances.csv", f->dir);
    int rc = rp_instances_read(f, path, err);
    free(path);
    if (rc < 0)
        return rc;
    path = rp_xasprintf("%s/load.csv", f->dir);
    size_t rows = 0, passes = 0;
    double t0 = now_seconds();
    rc = rp_load_read(f, path, (size_t)a->budget, &rows, &passes, err);
    double dt = now_seconds() - t0;
    free(path);
    if (rc < 0)
        return rc;
    fprintf(stderr,
            "reefplan profile: %zu rows, %zu instances in %.2f s (%.0f rows/s), %zu passes\n", rows,
            f->ninst, dt, dt > 0 ? (double)rows / dt : 0.0, passes);
    return 0;
}

int cmd_profile(int argc, char **argv)
{
    profile_args a;
    if (parse_args(argc, argv, &a) != 0)
        return RP_EXIT_USAGE;
    if (rp_cli_output_check(a.out) < 0) /* before load.csv is read */
        return RP_EXIT_USAGE;
    rp_fleet *f;
    rp_error err;
    int rc = rp_fleet_load_json(a.fleet, &f, &err);
    if (rc == 0)
        rc = build(&a, f, &err);
    if (rc < 0) {
        rp_fleet_free(f);
        return rp_cli_error(&err);
    }
    rc = rp_profiles_write(f, a.out, &err);
    rp_fleet_free(f);
    if (rc < 0) { /* the inputs were fine: the operation failed */
        rp_error_print(&err, stderr);
        return RP_EXIT_FAIL;
    }
    return RP_EXIT_OK;
}

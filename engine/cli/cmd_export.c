/* reefplan export FLEET --lp FILE [--move-budget K]: writes the full
 * rebalance MIP (see mip.h) in CPLEX LP format, for glpsol, CBC, HiGHS or
 * any solver that reads it. Exit 0 written, 2 usage or input error. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mip.h"

static int usage(void)
{
    return rp_cli_usage("export", "usage: reefplan export FLEET --lp FILE [--move-budget K]");
}

int cmd_export(int argc, char **argv)
{
    const char *dir = NULL, *lp = NULL;
    long budget = -2;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--lp")) {
            if (k + 1 >= argc || !*argv[k + 1])
                return rp_cli_usage("export", "--lp needs a file name");
            lp = argv[++k];
        } else if (!strcmp(argv[k], "--move-budget")) {
            if (rp_cli_long("export", "--move-budget", k + 1 < argc ? argv[++k] : NULL, -1,
                            1000000000L, &budget) < 0)
                return RP_EXIT_USAGE;
        } else if (argv[k][0] == '-' && argv[k][1]) {
            return rp_cli_usage("export", "unknown option '%s'", argv[k]);
        } else if (!dir) {
            dir = argv[k];
        } else {
            return rp_cli_usage("export", "unexpected argument '%s'", argv[k]);
        }
    }
    if (!dir || !lp)
        return usage();
    if (rp_cli_output_check(lp) < 0) /* before the model is built */
        return RP_EXIT_USAGE;
    rp_cli_log_init(0);
    rp_error err = {0};
    rp_fleet *f = NULL;
    if (rp_fleet_load(dir, &f, &err) < 0)
        return rp_cli_error(&err);
    int rc = rp_mip_export_lp(f, (int)budget, lp, &err);
    rp_fleet_free(f);
    if (rc < 0) {
        rp_error_print(&err, stderr);
        return RP_EXIT_FAIL;
    }
    return RP_EXIT_OK;
}

/* reefplan - placement and capacity planning for cell-based SaaS fleets. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *verb;
    int (*fn)(int, char **);
    const char *help;
    bool own_help; /* prints its own --help */
} commands[] = {
    {"check", cmd_check, "FLEET [--json]                validate inputs, print a summary", false},
    {"profile", cmd_profile, "FLEET [-o profiles.csv] [--mem-budget SAMPLES]  samples -> profiles",
     false},
    {"rebalance", cmd_rebalance,
     "FLEET [-o plan.json] [--time-limit S] [--seed N] [--move-budget K] [options]  the plan",
     true},
    {"place", cmd_place, "FLEET --request REQ.json [--json]  rank reefs for a new instance", false},
    {"verify", cmd_verify, "FLEET PLAN [--json] [--move-budget K]  check a plan against the rules",
     false},
    {"generate", cmd_generate, "--instances N [--regions R] [--seed S] [options] -o DIR  a fleet",
     true},
    {"export", cmd_export, "FLEET --lp FILE [--move-budget K]  the MIP in CPLEX LP format", false},
};

/* Does argv[1..argc) ask for help? */
static bool wants_help(int argc, char **argv)
{
    for (int k = 1; k < argc; k++)
        if (!strcmp(argv[k], "-h") || !strcmp(argv[k], "--help"))
            return true;
    return false;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: reefplan COMMAND [ARGS]\n\ncommands:\n");
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        fprintf(out, "  %-10s %s\n", commands[k].verb, commands[k].help);
    fprintf(out, "\n'reefplan COMMAND --help' lists every option of a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return RP_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return RP_EXIT_OK;
    }
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        if (!strcmp(argv[1], commands[k].verb)) {
            if (!commands[k].own_help && wants_help(argc - 1, argv + 1)) {
                printf("usage: reefplan %s %s\n", commands[k].verb, commands[k].help);
                return RP_EXIT_OK;
            }
            return commands[k].fn(argc - 1, argv + 1);
        }
    /* Commands of the contract (SPEC section 6) that this version lacks say
     * so, rather than that they are unknown. */
    static const char *const missing[] = {"whatif", "apply", "serve"};
    for (size_t k = 0; k < sizeof missing / sizeof missing[0]; k++)
        if (!strcmp(argv[1], missing[k])) {
            fprintf(stderr, "reefplan: '%s' is not implemented in this version\n", argv[1]);
            return RP_EXIT_USAGE;
        }
    fprintf(stderr, "reefplan: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return RP_EXIT_USAGE;
}

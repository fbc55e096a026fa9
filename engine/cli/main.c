/* reefplan - placement and capacity planning for cell-based SaaS fleets. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *verb;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"check", cmd_check, "FLEET [--json]                validate inputs, print a summary"},
    {"profile", cmd_profile, "FLEET [-o profiles.csv]       samples -> profiles"},
    {"rebalance", cmd_rebalance,
     "FLEET [-o plan.json] [--time-limit S] [--seed N] [--move-budget K] [--json] [--explain]"},
    {"place", cmd_place, "FLEET --request REQ.json [--json]  rank reefs for a new instance"},
    {"verify", cmd_verify, "FLEET PLAN [--json]           check a plan against the rules"},
    {"generate", cmd_generate, "--instances N [--regions R] [--seed S] [--slots 24|168] -o DIR"},
    {"export", cmd_export, "FLEET --lp FILE               the MIP in CPLEX LP format"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: reefplan COMMAND [ARGS]\n\ncommands:\n");
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        fprintf(out, "  %-10s %s\n", commands[k].verb, commands[k].help);
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
        if (!strcmp(argv[1], commands[k].verb))
            return commands[k].fn(argc - 1, argv + 1);
    fprintf(stderr, "reefplan: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return RP_EXIT_USAGE;
}

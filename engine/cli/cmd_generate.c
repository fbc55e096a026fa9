/* cmd_generate.c - `reefplan generate`: a synthetic fleet directory (see
 * engine/src/generate.h for its contents and datasets/README.md for use). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "generate.h"

/* X(flag, value name, help) - parsing, --help and errors come from one table. */
#define GEN_OPTIONS(X)                                                                             \
    X("--instances", "N", "number of instances, 1..1000000 (required)")                            \
    X("--regions", "R", "regions 1..3: westus2, westeurope, australiaeast (default 3)")            \
    X("--seed", "S", "random seed, same seed -> identical files (default 1)")                      \
    X("--slots", "24|168", "profile slots (default 168)")                                          \
    X("--load-fraction", "F", "share of instances that also get load.csv samples (0)")             \
    X("--catalog", "NAME", "catalog name in models/ or a path (default azure-vcore)")              \
    X("--states", "on|off", "one draining and one broken reef (default: on from 1000)")            \
    X("-o", "DIR", "output directory; must not exist or be empty (required)")

static void help(FILE *out)
{
    fprintf(out, "usage: reefplan generate --instances N [options] -o DIR\n\noptions:\n");
#define GEN_HELP(flag, val, text) fprintf(out, "  %-15s %-7s %s\n", flag, val, text);
    GEN_OPTIONS(GEN_HELP)
#undef GEN_HELP
}

static bool known(const char *arg)
{
#define GEN_KNOWN(flag, val, text)                                                                 \
    if (!strcmp(arg, flag))                                                                        \
        return true;
    GEN_OPTIONS(GEN_KNOWN)
#undef GEN_KNOWN
    return false;
}

static int set_option(rp_gen_opts *o, const char **outdir, const char *opt, const char *val)
{
    long v;
    if (!strcmp(opt, "--instances"))
        return rp_cli_long("generate", opt, val, 1, 1000000, &o->instances);
    if (!strcmp(opt, "--regions") || !strcmp(opt, "--slots")) {
        bool slots = !strcmp(opt, "--slots");
        if (rp_cli_long("generate", opt, val, slots ? 24 : 1, slots ? 168 : 3, &v) < 0)
            return -1;
        if (slots && v != 24 && v != 168) {
            rp_cli_usage("generate", "--slots: '%s' is not 24 or 168", val);
            return -1;
        }
        *(slots ? &o->slots : &o->regions) = (int)v;
        return 0;
    }
    if (!strcmp(opt, "--seed")) {
        if (rp_cli_long("generate", opt, val, 0, 0x7fffffffffffffffL, &v) < 0)
            return -1;
        o->seed = (uint64_t)v;
        return 0;
    }
    if (!strcmp(opt, "--load-fraction"))
        return rp_cli_double("generate", opt, val, 0.0, 1.0, &o->load_fraction);
    if (!strcmp(opt, "--states")) {
        if (val && (!strcmp(val, "on") || !strcmp(val, "off"))) {
            o->states = !strcmp(val, "on");
            return 0;
        }
        rp_cli_usage("generate", "--states: '%s' is not on or off", val ? val : "");
        return -1;
    }
    if (!val) {
        rp_cli_usage("generate", "%s needs a value", opt);
        return -1;
    }
    *(!strcmp(opt, "--catalog") ? &o->catalog : outdir) = val;
    return 0;
}

int cmd_generate(int argc, char **argv)
{
    rp_gen_opts o;
    rp_gen_opts_init(&o);
    o.instances = 0;
    const char *outdir = NULL;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "-h") || !strcmp(argv[k], "--help")) {
            help(stdout);
            return RP_EXIT_OK;
        }
        if (!known(argv[k])) {
            rp_cli_usage("generate", "unknown argument '%s' (see --help)", argv[k]);
            return RP_EXIT_USAGE;
        }
        const char *val = k + 1 < argc ? argv[k + 1] : NULL;
        if (set_option(&o, &outdir, argv[k], val) < 0)
            return RP_EXIT_USAGE;
        k++;
    }
    if (!o.instances)
        return rp_cli_usage("generate", "--instances N is required (see --help)");
    if (!outdir)
        return rp_cli_usage("generate", "-o DIR is required (see --help)");
    rp_cli_log_init(0);
    rp_error err = {0};
    int rc = rp_generate(&o, outdir, &err);
    if (rc < 0) {
        rp_error_print(&err, stderr);
        return rc == RP_EIO ? RP_EXIT_FAIL : RP_EXIT_USAGE;
    }
    fprintf(stderr, "reefplan generate: wrote %ld instances to %s\n", o.instances, outdir);
    return RP_EXIT_OK;
}

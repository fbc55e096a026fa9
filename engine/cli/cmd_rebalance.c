#include "cli.h"

int cmd_rebalance(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return rp_cli_usage("rebalance", "not available in this build yet");
}

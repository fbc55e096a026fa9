#include "cli.h"

int cmd_check(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return rp_cli_usage("check", "not available in this build yet");
}

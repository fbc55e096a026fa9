#include "cli.h"

int cmd_verify(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return rp_cli_usage("verify", "not available in this build yet");
}

#include "cli.h"

int cmd_profile(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return rp_cli_usage("profile", "not available in this build yet");
}

#include "cli.h"

int cmd_place(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return rp_cli_usage("place", "not available in this build yet");
}

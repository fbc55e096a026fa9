#include "cli.h"

int cmd_export(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return rp_cli_usage("export", "not available in this build yet");
}

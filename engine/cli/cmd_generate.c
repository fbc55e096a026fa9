#include "cli.h"

int cmd_generate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return rp_cli_usage("generate", "not available in this build yet");
}

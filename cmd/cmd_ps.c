/* siren ps: not built yet. */
#include "cmd.h"

int cmd_ps(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_usage_error("ps", "this command is not available in this build");
}

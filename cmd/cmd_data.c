/* siren data: not built yet. */
#include "cmd.h"

int cmd_data(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_usage_error("data", "this command is not available in this build");
}

/* siren sim: not built yet. */
#include "cmd.h"

int cmd_sim(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_usage_error("sim", "this command is not available in this build");
}

/* siren sched: not built yet. */
#include "cmd.h"

int cmd_sched(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_usage_error("sched", "this command is not available in this build");
}

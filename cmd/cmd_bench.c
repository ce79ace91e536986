/* siren bench: not built yet. */
#include "cmd.h"

int cmd_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_usage_error("bench", "this command is not available in this build");
}

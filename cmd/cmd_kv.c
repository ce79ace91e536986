/* siren kv: not built yet. */
#include "cmd.h"

int cmd_kv(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_usage_error("kv", "this command is not available in this build");
}

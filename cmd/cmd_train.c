/* siren train: not built yet. */
#include "cmd.h"

int cmd_train(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cmd_usage_error("train", "this command is not available in this build");
}

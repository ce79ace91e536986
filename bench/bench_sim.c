/* siren bench sim: not built yet. */
#include "bench.h"

int bench_sim_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "siren bench sim: not available in this build\n");
    return 1;
}

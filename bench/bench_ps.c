/* siren bench ps: not built yet. */
#include "bench.h"

int bench_ps_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "siren bench ps: not available in this build\n");
    return 1;
}

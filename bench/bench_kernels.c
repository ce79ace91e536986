/* siren bench kernels: not built yet. */
#include "bench.h"

int bench_kernels_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "siren bench kernels: not available in this build\n");
    return 1;
}

/* siren bench functions: not built yet. */
#include "bench.h"

int bench_functions_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "siren bench functions: not available in this build\n");
    return 1;
}

/* siren bench emu: not built yet. */
#include "bench.h"

int bench_emu_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "siren bench emu: not available in this build\n");
    return 1;
}

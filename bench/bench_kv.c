/* KV throughput benchmark: not built yet. */
#include "bench.h"

int bench_kv_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "siren bench functions: the KV part is not available in this build\n");
    return 1;
}

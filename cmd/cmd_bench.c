/* siren bench SUITE: runs one benchmark suite (see bench/bench.h). */
#include "bench.h"
#include "cmd.h"

#include <stdio.h>
#include <string.h>

struct suite {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct suite suites[] = {
    {"kernels", bench_kernels_main, "training samples/s per workload, 1 thread, vs PyTorch"},
    {"functions", bench_functions_main, "sandbox invocation round trips and KV throughput"},
    {"lr", bench_lr_main, "siren's logistic regression against liblinear's, same features"},
    {"toy", bench_toy_main, "the paper's toy example: LR with 20, 150 and X functions"},
    {"emu", bench_emu_main, "emulator wall time per invocation and KV operation; overhead"},
    {"sim", bench_sim_main, "simulated epochs per second; simulator against emulator"},
    {"ps", bench_ps_main, "parameter-server baseline: wall clock against the virtual model"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: siren bench SUITE [options]   (siren bench SUITE --help)\n\nsuites:\n");
    for (size_t i = 0; i < sizeof suites / sizeof *suites; i++)
        fprintf(f, "  %-10s %s\n", suites[i].name, suites[i].summary);
}

int cmd_bench(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof suites / sizeof *suites; i++)
        if (!strcmp(argv[1], suites[i].name)) return suites[i].run(argc - 1, argv + 1);
    return cmd_usage_error("bench", "unknown suite '%s'", argv[1]);
}

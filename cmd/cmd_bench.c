/* siren bench SUITE: runs one benchmark suite: a built-in one (see bench/bench.h) or one defined
 * as a file in bench/suites/ (bench/suite.c); and siren plot. */
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
    {"crossover", bench_crossover_main, "the data size above which Lambda beats EC2 at equal cost"},
};

/* Suite files shipped in bench/suites/, listed in the usage with their description. */
static const char *const suite_files[] = {"paper", "ci"};

static void usage(FILE *f)
{
    fprintf(f, "usage: siren bench SUITE [options]   (siren bench SUITE --help)\n\nsuites:\n");
    for (size_t i = 0; i < sizeof suite_files / sizeof *suite_files; i++) {
        char path[1200];
        const char *what = "(suite file missing)";
        cJSON *root = NULL;
        struct err e;
        if (!bench_suite_path(suite_files[i], path, sizeof path) && !json_load_file(path, &root, &e)) {
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "summary");
            if (cJSON_IsString(d)) what = d->valuestring;
        }
        fprintf(f, "  %-10s %s\n", suite_files[i], what);
        cJSON_Delete(root);
    }
    for (size_t i = 0; i < sizeof suites / sizeof *suites; i++)
        fprintf(f, "  %-10s %s\n", suites[i].name, suites[i].summary);
    fprintf(f, "\nAny bench/suites/NAME.json is a suite too.\n");
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
    char path[1200] = "bench/suites/NAME.json";
    if (!strchr(argv[1], '/') && !bench_suite_path(argv[1], path, sizeof path))
        return bench_suite_main(argv[1], argc - 1, argv + 1);
    return opt_usage_error("bench", "unknown suite '%s' (no built-in suite and no %s)", argv[1],
                           path);
}

int cmd_plot(int argc, char **argv) { return bench_plot_main(argc, argv); }

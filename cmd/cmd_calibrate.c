/* siren calibrate: seconds per training sample of a workload on this host (one thread, or T
 * OpenBLAS threads with --threads T, stored under the key "W@Tt"). */
#define _GNU_SOURCE
#include "calibration.h"
#include "cmd.h"

#include <sched.h> /* cpu_set_t, used by cblas.h */
#include <cblas.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: siren calibrate --workload W [--out FILE] [--reps N] [--batch B]\n"
               "                       [--rows N] [--seed S]\n\n"
               "Times real training steps of W at one thread (three warm-up steps, then N timed\n"
               "ones, default 21) and stores the median seconds per sample in FILE (default\n"
               "results/calibration/local.json), the compute term of the virtual clock. The\n"
               "committed results/calibration/reference.json makes runs identical anywhere.\n"
               "With --threads T (> 1) the step runs on T OpenBLAS threads and is stored as\n"
               "\"W@Tt\": the measured multi-thread speed-up `siren ps` scales VM compute with.\n");
}

int cmd_calibrate(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"workload", required_argument, 0, 'w'}, {"out", required_argument, 0, 'o'},
        {"reps", required_argument, 0, 'n'},     {"batch", required_argument, 0, 'b'},
        {"rows", required_argument, 0, 'r'},     {"seed", required_argument, 0, 's'},
        {"threads", required_argument, 0, 't'},  {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *name = NULL, *out = "results/calibration/local.json";
    long long reps = 21, threads = 1, v;
    struct workload_opts wo = {.load_train = 1};
    struct err e;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "w:o:n:b:r:s:t:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': name = optarg; break;
        case 'o': out = optarg; break;
        case 'n':
            if (parse_long(optarg, "--reps", &reps, &e) || reps < 1 || reps > 100000)
                return cmd_usage_error("calibrate", "--reps: expected 1..100000, got '%s'", optarg);
            break;
        case 'b':
            if (parse_long(optarg, "--batch", &v, &e) || v < 1 || v > 1 << 20)
                return cmd_usage_error("calibrate", "--batch: expected 1..1048576, got '%s'", optarg);
            wo.batch = (int)v;
            break;
        case 'r':
            if (parse_long(optarg, "--rows", &v, &e) || v < 10)
                return cmd_usage_error("calibrate", "--rows: expected an integer >= 10, got '%s'", optarg);
            wo.synthetic_rows = (size_t)v;
            break;
        case 's':
            if (parse_long(optarg, "--seed", &v, &e) || v < 0)
                return cmd_usage_error("calibrate", "--seed: expected an integer >= 0, got '%s'", optarg);
            wo.seed = (uint64_t)v;
            break;
        case 't':
            if (parse_long(optarg, "--threads", &threads, &e) || threads < 1 || threads > 256)
                return cmd_usage_error("calibrate", "--threads: expected 1..256, got '%s'", optarg);
            break;
        case 'h': usage(stdout); return 0;
        default: return cmd_usage_error("calibrate", "unknown option");
        }
    }
    if (!name) return cmd_usage_error("calibrate", "--workload is required");
    if (!workload_find(name)) return cmd_usage_error("calibrate", "unknown workload '%s'", name);
    openblas_set_num_threads((int)threads);
    char key[160];
    if (threads > 1) snprintf(key, sizeof key, "%s@%lldt", name, threads);
    else snprintf(key, sizeof key, "%s", name);
    struct workload *w;
    if (workload_open(name, &wo, &w, &e)) return cmd_fail("calibrate", &e);
    struct calibration_entry cal;
    int rc = calibration_measure(w, (int)reps, &cal, &e);
    workload_close(w);
    if (rc) return cmd_fail("calibrate", &e);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", out);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        if (fs_mkdir_p(dir, &e)) return cmd_fail("calibrate", &e);
    }
    if (calibration_store(out, key, &cal, &e)) return cmd_fail("calibrate", &e);
    printf("%s: %.3e s per sample (min %.3e, max %.3e) at batch %d, %d reps -> %s\n", key,
           cal.s_per_sample, cal.min_s_per_sample, cal.max_s_per_sample, cal.batch, cal.reps, out);
    return 0;
}

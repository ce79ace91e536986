/*
 * siren bench toy: the paper's toy example (Siren, section II): logistic regression trained
 * with 20 functions, with 150 functions, and with the "X functions" schedule (many functions
 * first, fewer later: 120, 20, 10) on Lambda as of 2019, side by side per epoch: held-out loss,
 * virtual time and cost. Our data is the Criteo sample (lr-ctr), not the paper's.
 */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct opt_use toy_opts[] = {
    {.id = OPT_OUT, .def = "results/toy in the source tree"},
    {.id = OPT_MEMORY, .def = "1024",
     .help = "every function's memory size in MB (at least lambda-2019's 128)"},
    {.id = OPT_BATCH, .def = "16"},
    {.id = OPT_QUICK, .help = "accepted and ignored: the benchmark is small already"},
    {.id = OPT_HELP},
};

static const char toy_help[] =
    "usage: [mpirun -n N] siren bench toy [--out DIR] [--memory MB] [--batch B]\n\n"
    "lr-ctr on lambda-2019 with 20 functions, 150 functions and the X-functions\n"
    "schedule (120, 20, 10), three epochs each; writes toy.md and toy.csv.\n\n";

/* The benchmark's own options. */
struct toy_args {
    int memory_mb, batch;
};

static int toy_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct toy_args *a = ctx;
    (void)e;
    if (v->id == OPT_MEMORY) a->memory_mb = (int)v->i;
    if (v->id == OPT_BATCH) a->batch = (int)v->i;
    return SIREN_OK;
}

static const struct bench_cli toy_cli = BENCH_CLI("bench toy", toy_opts, toy_opt, toy_help);

int bench_toy_main(int argc, char **argv)
{
    struct bench_args a = {0};
    struct toy_args toy = {.memory_mb = 1024, .batch = 16};
    struct err e;
    int rc = bench_args_parse(&toy_cli, argc, argv, &a, &toy, NULL);
    if (rc != OPT_GO_ON) return rc;
    /* The platform is lambda-2019: smaller functions do not exist there. */
    if (toy.memory_mb < 128)
        return opt_usage_error("bench toy", "--memory: lambda-2019's smallest function has 128 "
                               "MB, got %d", toy.memory_mb);
    int rank = bench_mpi_init(&argc, &argv);
    char dir[1024], kvdir[1200], sched_path[1200], runs[1200];
    rc = bench_out_dir(a.out, "toy", dir, sizeof dir, &e);
    /* The schedule file and the KV store are the same path on every rank (one machine or a
     * shared filesystem); the KV lives in memory when /dev/shm exists. */
    snprintf(sched_path, sizeof sched_path, "%s/x-functions.schedule", dir);
    if (!rc && rank == 0) {
        char text[256];
        int len = snprintf(text, sizeof text,
                           "# the paper's X functions: many first, fewer later\n120 %d\n20 %d\n10 %d\n",
                           toy.memory_mb, toy.memory_mb, toy.memory_mb);
        rc = fs_write_atomic(sched_path, text, (size_t)len, &e);
    }
    struct {
        const char *name;
        char spec[1300];
    } configs[3] = {{"20 functions", ""}, {"150 functions", ""}, {"X functions", ""}};
    snprintf(configs[0].spec, sizeof configs[0].spec, "static:n=20,m=%d", toy.memory_mb);
    snprintf(configs[1].spec, sizeof configs[1].spec, "static:n=150,m=%d", toy.memory_mb);
    snprintf(configs[2].spec, sizeof configs[2].spec, "schedule:%s", sched_path);

    const char *cols[] = {"config", "epoch", "n", "memory_mb", "test_loss", "time_s",
                          "cost_usd", "total_time_s", "total_cost_usd"};
    struct table t;
    if (!rc) rc = table_init(&t, 9, cols);
    for (int k = 0; k < 3 && !rc; k++) {
        struct job_config cfg;
        job_config_init(&cfg); /* siren run's defaults: HSP with the average rule */
        cfg.workload = "lr-ctr";
        cfg.wopts.batch = toy.batch;
        cfg.wopts.hash_bits = 16;
        cfg.platform = "lambda-2019";
        cfg.target_loss = 1e-9; /* run all three epochs */
        cfg.quiet = 1;
        snprintf(runs, sizeof runs, "%s/runs/%d", dir, k);
        cfg.out_dir = runs;
        snprintf(kvdir, sizeof kvdir, "file:%s/siren-toy-kv-%d",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : dir, k);
        cfg.kv_url = kvdir;
        struct epoch_report *reps;
        int nrep;
        rc = bench_job(&cfg, configs[k].spec, 3, &reps, &nrep, &e);
        struct err ignore;
        if (rank == 0 && fs_remove_tree(kvdir + 5, &ignore))
            LOG_WARN("bench", "%s", ignore.msg);
        for (int i = 0; i < nrep && !rc; i++) {
            const struct epoch_report *r = &reps[i];
            if ((rc = table_add_row(&t))) break;
            size_t row = t.nrows - 1;
            table_setf(&t, row, 0, "%s", configs[k].name);
            table_setf(&t, row, 1, "%d", r->epoch);
            table_setf(&t, row, 2, "%d", r->n);
            table_setf(&t, row, 3, "%d", r->memory_mb);
            table_setf(&t, row, 4, "%.4f", r->test_loss);
            table_setf(&t, row, 5, "%.3f", r->time_s);
            table_setf(&t, row, 6, "%.6f", r->cost_usd);
            table_setf(&t, row, 7, "%.3f", r->total_time_s);
            table_setf(&t, row, 8, "%.6f", r->total_cost_usd);
        }
        free(reps);
    }
    if (!rc && rank == 0) {
        char config[256];
        snprintf(config, sizeof config, "lr-ctr (Criteo sample, 2^16 hashed weights), batch %d, "
                 "%d MB functions, lambda-2019, HSP, reference calibration", toy.batch,
                 toy.memory_mb);
        rc = bench_write_table(&t, dir, "toy", "toy", config, &e);
    }
    if (rc) fprintf(stderr, "siren bench toy: %s\n", e.msg);
    table_free(&t);
    bench_mpi_finalize();
    return rc ? 1 : 0;
}

/*
 * siren bench sim: simulated epochs per second on one core, for the closed-form HSP path and
 * for the planner path, on the workloads the scheduler is evaluated on. Actions cycle through
 * a seeded random list over the whole action space; an episode restarts when it stops. Warm-up
 * then repetitions; min / median / max of each.
 */
#include "bench.h"
#include "sim.h"

#include <stdlib.h>
#include <string.h>

/* Runs n epochs; returns epochs per second. */
static int measure(struct sim *s, const struct sched_action *acts, int n_acts, long n,
                   double *eps, struct err *e)
{
    struct epoch_report rep;
    sim_reset(s);
    double t0 = clock_mono_s();
    for (long i = 0; i < n; i++) {
        if (sim_stopped(s) != SIM_RUNNING) sim_reset(s);
        int rc = sim_step(s, acts[i % n_acts], &rep, e);
        if (rc) return rc;
    }
    double dt = clock_mono_s() - t0;
    *eps = (double)n / (dt > 0 ? dt : 1e-9);
    return SIREN_OK;
}

static const struct opt_use sim_opts[] = {
    {.id = OPT_SIM_EPOCHS}, {.id = OPT_BENCH_REPS, .def = "5"},
    {.id = OPT_OUT, .def = "results/sched in the source tree"}, {.id = OPT_HELP},
};

static const char sim_help[] =
    "usage: siren bench sim [--epochs N] [--reps R] [--out DIR]\n\n";

/* --epochs into a long (ctx). */
static int sim_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    (void)e;
    if (v->id == OPT_SIM_EPOCHS) *(long *)ctx = (long)v->i;
    return SIREN_OK;
}

static const struct bench_cli sim_cli = BENCH_CLI("bench sim", sim_opts, sim_opt, sim_help);

int bench_sim_main(int argc, char **argv)
{
    struct bench_args a = {.reps = 5};
    long epochs = 2000000;
    struct err e;
    int rc = bench_args_parse(&sim_cli, argc, argv, &a, &epochs, NULL);
    if (rc != OPT_GO_ON) return rc;
    char calibration[1200];
    if (core_source_path("results/sched/calibration.json", calibration, sizeof calibration)) {
        fprintf(stderr, "siren bench sim: the source tree's path is too long\n");
        return 1;
    }
    static const char *cols[] = {"workload", "path", "epochs", "epochs_per_s_min",
                                 "epochs_per_s_median", "epochs_per_s_max", "ns_per_epoch_median"};
    struct table t;
    if (table_init(&t, 7, cols)) return 1;
    struct {
        const char *w;
        int batch, hash_bits;
    } jobs[] = {{"lr-ctr", 16, 16}, {"lenet-fashion", 256, 0}};
    size_t row = 0;
    for (size_t j = 0; j < 2 && !rc; j++) {
        struct sim_setup su = {0};
        su.workload = jobs[j].w;
        su.wopts.batch = jobs[j].batch;
        su.wopts.hash_bits = jobs[j].hash_bits;
        su.calibration = calibration;
        su.max_epochs = 50;
        for (int exact = 0; exact < 2 && !rc; exact++) {
            su.exact = exact;
            struct sim *s;
            if ((rc = sim_open_setup(&su, &s, &e))) break;
            enum { NA = 4096 };
            struct sched_action *acts = malloc(NA * sizeof *acts);
            double *v = malloc((size_t)a.reps * sizeof *v);
            if (!acts || !v) rc = err_set(&e, SIREN_ENOMEM, "out of memory");
            struct rng r;
            rng_seed(&r, 1);
            const struct sim_config *c = sim_config_of(s);
            int nm = (c->platform.memory_mb_max - sim_min_memory_mb(s)) / c->platform.memory_mb_step + 1;
            for (int i = 0; !rc && i < NA; i++)
                acts[i] = (struct sched_action){1 + (int)rng_below(&r, (uint64_t)sim_max_functions(s)),
                                                sim_min_memory_mb(s) + (int)rng_below(&r, (uint64_t)nm) *
                                                                        c->platform.memory_mb_step};
            long n = exact ? epochs / 1000 : epochs;
            double ignore;
            if (!rc) rc = measure(s, acts, NA, n / 10, &ignore, &e); /* warm-up */
            for (int k = 0; k < a.reps && !rc; k++) rc = measure(s, acts, NA, n, &v[k], &e);
            if (!rc) {
                bench_sort(v, (size_t)a.reps);
                if (table_add_row(&t)) rc = err_set(&e, SIREN_ENOMEM, "out of memory");
                table_setf(&t, row, 0, "%s", jobs[j].w);
                table_setf(&t, row, 1, "%s", exact ? "planner" : "closed-form");
                table_setf(&t, row, 2, "%ld", n);
                table_setf(&t, row, 3, "%.0f", v[0]);
                table_setf(&t, row, 4, "%.0f", v[a.reps / 2]);
                table_setf(&t, row, 5, "%.0f", v[a.reps - 1]);
                table_setf(&t, row, 6, "%.1f", 1e9 / v[a.reps / 2]);
                row++;
            }
            free(acts);
            free(v);
            sim_close(s);
        }
    }
    char dir[1200];
    if (!rc) rc = bench_out_dir(a.out, "sched", dir, sizeof dir, &e);
    if (!rc) rc = bench_write_table(&t, dir, "bench_sim", "sim",
                                    "one core; actions uniform over n and memory; 50-epoch episodes", &e);
    table_free(&t);
    if (rc) {
        fprintf(stderr, "siren bench sim: %s\n", e.msg);
        return 1;
    }
    return 0;
}

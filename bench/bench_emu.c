/*
 * siren bench emu: what the emulator costs in real time. (1) Overhead: one epoch of
 * lenet-fashion with 100 functions, emulated (job_epoch: planning, every step in a siren-fn
 * sandbox against the KV store, the held-out evaluation), against `siren train` on the same
 * samples (train_run: the epoch and the same evaluation), in the same run. The two alternate
 * --reps times, so a load that comes and goes on a shared host hits both alike; the ratio is
 * the median of the per-pair ratios, with their range. (2) Scale: one epoch with 1,000
 * functions of lr-synthetic (1,000,000 rows) and of lenet-fashion completes; wall time per
 * invocation and per KV operation, from the trace. Run it under mpirun to spread the
 * functions over ranks; the ratio is then against one core.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "scheduler.h"
#include "trace.h"
#include "trainer.h"

#include <mpi.h>
#include <sched.h>
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct emu_case {
    const char *name;
    const char *workload;
    int n, batch, hash_bits;
    size_t rows;
};

/* CPU seconds this process and its reaped children (the sandboxes) have used: on a shared
 * host, CPU time is steadier than wall time, which also counts waiting for a core. */
static double cpu_s(void)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    double s = 0;
    const struct rusage *r[2] = {&self, &kids};
    for (int i = 0; i < 2; i++)
        s += (double)r[i]->ru_utime.tv_sec + r[i]->ru_utime.tv_usec / 1e6 +
             (double)r[i]->ru_stime.tv_sec + r[i]->ru_stime.tv_usec / 1e6;
    return s;
}

/* One epoch of a case: staging and epoch wall seconds (rank 0), the CPU seconds of the epoch
 * (rank 0 with the sandboxes it hosted, when it hosts them all), and the trace's means. */
struct emu_measure {
    double stage_s, epoch_s, epoch_cpu_s;
    int steps;
    double data_get_ms, param_get_ms, put_ms;
    double test_loss;
};

static int run_case(const struct emu_case *c, const char *dir, struct emu_measure *m,
                    struct err *e)
{
    char out[1200], kv[1300];
    snprintf(out, sizeof out, "%s/runs/%s", dir, c->name);
    snprintf(kv, sizeof kv, "file:%s/siren-emu-kv-%s",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : dir, c->name);
    struct job_config cfg;
    job_config_init(&cfg); /* siren run's defaults: HSP with the average rule */
    cfg.workload = c->workload;
    cfg.wopts.batch = c->batch;
    cfg.wopts.hash_bits = c->hash_bits;
    cfg.wopts.synthetic_rows = c->rows;
    cfg.platform = "lambda-2019";
    cfg.out_dir = out;
    cfg.kv_url = kv;
    cfg.scheduler = "static";
    cfg.target_loss = 1e-9;
    cfg.quiet = 1;
    memset(m, 0, sizeof *m);
    struct job *j = NULL;
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = clock_mono_s();
    int rc = job_open(&cfg, &j, e);
    m->stage_s = clock_mono_s() - t0;
    if (rc) return rc;
    if (job_rank(j) != 0) {
        rc = job_serve(j, e);
        job_close(j);
        return rc;
    }
    struct epoch_report rep;
    double cpu0 = cpu_s();
    t0 = clock_mono_s();
    rc = job_epoch(j, c->n, 1024, &rep, e);
    m->epoch_s = clock_mono_s() - t0;
    double cpu1 = cpu_s();
    struct err fe;
    int frc = job_finish(j, &fe);
    if (!rc && frc) {
        rc = frc;
        *e = fe;
    }
    /* The sandboxes' CPU time is counted when job_close reaps them; the small work of writing
     * the trace and summary in between is left out. */
    double cpu2 = cpu_s();
    job_close(j);
    m->epoch_cpu_s = (cpu1 - cpu0) + (cpu_s() - cpu2);
    struct err ignore;
    if (fs_remove_tree(kv + 5, &ignore)) LOG_WARN("bench", "%s", ignore.msg);
    if (rc) return rc;
    m->test_loss = rep.test_loss;
    char path[1300];
    snprintf(path, sizeof path, "%s/trace.h5", out);
    struct trace t;
    if ((rc = trace_read_h5(path, &t, e))) return rc;
    double sum[4] = {0};
    int cnt[4] = {0};
    for (size_t i = 0; i < t.n_ops; i++) {
        sum[t.ops[i].op] += t.ops[i].wall_ms;
        cnt[t.ops[i].op]++;
    }
    m->steps = cnt[TRACE_PARAM_PUT];
    m->data_get_ms = cnt[0] ? sum[0] / cnt[0] : 0;
    m->param_get_ms = cnt[1] ? sum[1] / cnt[1] : 0;
    m->put_ms = cnt[3] ? sum[3] / cnt[3] : 0;
    trace_free(&t);
    return SIREN_OK;
}

/* `siren train` on the same workload, batch and one epoch: seconds of training + evaluation,
 * wall and CPU. */
static int run_train(const char *workload, int batch, double *seconds, double *cpu_seconds,
                     struct err *e)
{
    struct workload_opts wo = {.batch = batch};
    struct workload *w;
    int rc = workload_open(workload, &wo, &w, e);
    if (rc) return rc;
    struct train_opts to = {.epochs = 1, .quiet = 1};
    struct train_result r;
    double t0 = clock_mono_s(), c0 = cpu_s();
    rc = train_run(w, &to, &r, e);
    *seconds = clock_mono_s() - t0;
    *cpu_seconds = cpu_s() - c0;
    workload_close(w);
    return rc;
}

static const struct opt_use emu_opts[] = {
    {.id = OPT_OUT, .def = "results/emu in the source tree"},
    {.id = OPT_QUICK, .help = "skip the 1,000-function cases"},
    {.id = OPT_BENCH_REPS, .def = "3",
     .help = "runs of the overhead case and of `siren train`, alternately: medians, and the "
             "per-pair ratio's median and range"},
    {.id = OPT_HELP},
};

static const char emu_help[] =
    "usage: [mpirun -n N] siren bench emu [--out DIR] [--quick] [--reps N]\n\n";

static const struct bench_cli emu_cli = BENCH_CLI("bench emu", emu_opts, NULL, emu_help);

/* The host's 1-minute load average, or -1: the machine is shared, so the report says how
 * busy it was. */
static double load_1min(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1) l = -1;
        fclose(f);
    }
    return l;
}

int bench_emu_main(int argc, char **argv)
{
    struct bench_args a = {.reps = 3};
    int rc = bench_args_parse(&emu_cli, argc, argv, &a, NULL, NULL);
    if (rc != OPT_GO_ON) return rc;
    struct err e;
    openblas_set_num_threads(1);
    int rank = bench_mpi_init(&argc, &argv), size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char dir[1024];
    rc = bench_out_dir(a.out, "emu", dir, sizeof dir, &e);
    const struct emu_case cases[] = {
        {"lenet-fashion-100", "lenet-fashion", 100, 64, 20, 0},
        {"lr-synthetic-1000", "lr-synthetic", 1000, 1000, 18, 1000000},
        {"lenet-fashion-1000", "lenet-fashion", 1000, 60, 20, 0},
    };
    const char *cols[] = {"case", "functions", "steps", "ranks", "stage_s", "epoch_wall_s",
                          "wall_ms_per_invocation", "data_get_ms_mean", "param_get_ms_mean",
                          "put_ms_mean", "train_wall_s", "ratio_to_train", "ratio_min",
                          "ratio_max", "epoch_cpu_s", "train_cpu_s", "cpu_ratio_to_train"};
    struct table t;
    if (!rc) rc = table_init(&t, 17, cols);
    double load_before = load_1min();
    int n_cases = a.quick ? 1 : 3;
    for (int k = 0; k < n_cases && !rc; k++) {
        /* The overhead case alternates with `siren train` (rank 0; the other ranks wait in
         * the next case's collective calls); the other cases run once. */
        int n_reps = k == 0 ? a.reps : 1;
        double emu_s[100] = {0}, train_s[100] = {0}, ratio[100] = {0}, ratio_med = 0;
        double train_med = 0, emu_cpu[100] = {0}, train_cpu[100] = {0}, cpu_ratio[100] = {0};
        struct emu_measure ms[100] = {{0}};
        for (int r = 0; r < n_reps && !rc; r++) {
            rc = run_case(&cases[k], dir, &ms[r], &e);
            if (rc || rank != 0) break;
            emu_s[r] = ms[r].epoch_s;
            if (k != 0) continue;
            if ((rc = run_train(cases[k].workload, cases[k].batch, &train_s[r], &train_cpu[r],
                                &e)))
                break;
            ratio[r] = ms[r].epoch_s / train_s[r];
            emu_cpu[r] = ms[r].epoch_cpu_s;
            cpu_ratio[r] = emu_cpu[r] / train_cpu[r];
            fprintf(stderr, "siren bench emu: %s rep %d/%d: emulated %.3f s (CPU %.3f s), train "
                    "%.3f s (CPU %.3f s), ratio %.3f (load %.2f)\n", cases[k].name, r + 1,
                    n_reps, ms[r].epoch_s, emu_cpu[r], train_s[r], train_cpu[r], ratio[r],
                    load_1min());
        }
        if (rc || rank != 0) continue;
        /* The other columns come from the rep whose epoch time is the (lower) median. */
        int mid = 0;
        for (int r = 0; r < n_reps; r++) {
            int below = 0;
            for (int q = 0; q < n_reps; q++)
                below += emu_s[q] < emu_s[r] || (emu_s[q] == emu_s[r] && q < r);
            if (below == (n_reps - 1) / 2) mid = r;
        }
        struct emu_measure m = ms[mid];
        double ratio_lo = ratio[0], ratio_hi = ratio[0];
        for (int r = 1; r < n_reps; r++) {
            if (ratio[r] < ratio_lo) ratio_lo = ratio[r];
            if (ratio[r] > ratio_hi) ratio_hi = ratio[r];
        }
        if (k == 0) {
            ratio_med = bench_median(ratio, (size_t)n_reps);
            train_med = bench_median(train_s, (size_t)n_reps);
        }
        m.epoch_s = bench_median(emu_s, (size_t)n_reps);
        if ((rc = table_add_row(&t))) break;
        size_t row = t.nrows - 1;
        table_setf(&t, row, 0, "%s", cases[k].name);
        table_setf(&t, row, 1, "%d", cases[k].n);
        table_setf(&t, row, 2, "%d", m.steps);
        table_setf(&t, row, 3, "%d", size);
        table_setf(&t, row, 4, "%.2f", m.stage_s);
        table_setf(&t, row, 5, "%.2f", m.epoch_s);
        table_setf(&t, row, 6, "%.3f", m.steps ? m.epoch_s * 1e3 / m.steps : 0.0);
        table_setf(&t, row, 7, "%.3f", m.data_get_ms);
        table_setf(&t, row, 8, "%.3f", m.param_get_ms);
        table_setf(&t, row, 9, "%.3f", m.put_ms);
        if (k == 0) {
            table_setf(&t, row, 10, "%.2f", train_med);
            table_setf(&t, row, 11, "%.3f", ratio_med);
            table_setf(&t, row, 12, "%.3f", ratio_lo);
            table_setf(&t, row, 13, "%.3f", ratio_hi);
            /* With more ranks the sandboxes' CPU time is spent elsewhere. */
            if (size == 1) {
                table_setf(&t, row, 14, "%.2f", bench_median(emu_cpu, (size_t)n_reps));
                table_setf(&t, row, 15, "%.2f", bench_median(train_cpu, (size_t)n_reps));
                table_setf(&t, row, 16, "%.3f", bench_median(cpu_ratio, (size_t)n_reps));
            }
        }
    }
    if (!rc && rank == 0) {
        char config[1024];
        snprintf(config, sizeof config,
                 "one epoch per case, 1,024 MB functions, lambda-2019, file KV on %s, %d rank(s), "
                 "1 sandbox slot per rank, OpenBLAS 1 thread; ratio_to_train = emulated epoch wall "
                 "(job_epoch) / `siren train` wall (train_run, 1 thread) on the same samples, "
                 "evaluation on all held-out rows included in both, data loading and staging in "
                 "neither; %s: %d alternating reps, medians (ratio: median of the per-pair "
                 "ratios, range ratio_min..ratio_max; CPU: user + system seconds of the process "
                 "and its sandboxes, steadier than wall time on a shared host); 1-minute load "
                 "average %.2f before, %.2f after",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "disk", size, cases[0].name, a.reps,
                 load_before, load_1min());
        rc = bench_write_table(&t, dir, "emu", "emu", config, &e);
    }
    if (rc) fprintf(stderr, "siren bench emu: %s\n", e.msg);
    table_free(&t);
    bench_mpi_finalize();
    return rc ? 1 : 0;
}

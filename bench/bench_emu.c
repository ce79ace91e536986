/*
 * siren bench emu: what the emulator costs in real time. (1) Overhead: one epoch of
 * lenet-fashion with 100 functions, emulated (job_epoch: planning, every step in a siren-fn
 * sandbox against the KV store, the held-out evaluation), against `siren train` on the same
 * samples (train_run: the epoch and the same evaluation), in the same run. The two alternate
 * --reps times, so a load that comes and goes on a shared host hits both alike; the ratio is
 * the median of the per-pair ratios, with their range. (2) Scale: one epoch with 1,000
 * functions of lr-synthetic (1,000,000 rows) and of lenet-fashion completes; wall time per
 * invocation and per KV operation, from the trace. Run it under mpirun to spread the
 * functions over ranks; the ratio is then against one core. (3) End to end (e2e.md, only
 * when started alone): the whole `mpirun -n 2 siren run` of the overhead case against the
 * whole `siren train`, fresh processes alternating, with siren run's phases from its
 * wall.json, since a user waits for start-up, loading, staging and evaluation too.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "scheduler.h"
#include "trace.h"
#include "trainer.h"

#include <math.h>
#include <mpi.h>
#include <sched.h>
#include <cblas.h>
#include <errno.h>
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
    int steps, invocations; /* mini-batches trained; invocations made */
    double data_get_ms, param_get_ms, put_ms; /* step rules' means (NAN: no such request) */
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
        if (t.ops[i].op > TRACE_PARAM_PUT) continue;
        sum[t.ops[i].op] += t.ops[i].wall_ms;
        cnt[t.ops[i].op]++;
    }
    m->steps = (int)rep.versions;
    m->invocations = rep.invocations;
    /* The step rules record each request's wall time; the round rules' requests are
     * planned bursts, timed on the virtual clock only. */
    int steps = cnt[TRACE_PARAM_PUT] > 0; /* a step rule's trace */
    m->data_get_ms = steps && cnt[0] ? sum[0] / cnt[0] : (double)NAN;
    m->param_get_ms = steps && cnt[1] ? sum[1] / cnt[1] : (double)NAN;
    m->put_ms = steps ? sum[3] / cnt[3] : (double)NAN;
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

/* ------------------------------------------------------------ end to end */

/* The phases of wall.json (siren run's real seconds per phase), in table order. */
static const char *const e2e_phases[] = {"mpi_init_s", "load_s",   "stage_s", "epochs_s",
                                         "evaluate_s", "finish_s", "close_s", "total_s"};
#define E2E_PHASES (sizeof e2e_phases / sizeof *e2e_phases)

/* Wall seconds of the command a, run as a user runs it (its output in log). */
static int timed_command(const struct bench_argv *a, const char *log, double *seconds,
                         struct err *e)
{
    double t0 = clock_mono_s();
    int rc = bench_spawn_logged(a, log, e);
    *seconds = clock_mono_s() - t0;
    return rc;
}

/* One repetition of the end-to-end pair: `SIREN_MPIRUN -n ranks siren run` for one epoch of
 * case c, a fresh process with a fresh store, then `siren train` for one epoch of the same
 * workload and batch. run_s and train_s: their wall seconds; phase[]: the run's wall.json. */
static int e2e_rep(const char *self, const char *dir, const struct emu_case *c, int ranks,
                   double *run_s, double phase[E2E_PHASES], double *train_s, struct err *e)
{
    char out[1200], kv[1300], log[1300], sched[64], batch[16];
    snprintf(out, sizeof out, "%s/runs/%s-e2e", dir, c->name);
    snprintf(kv, sizeof kv, "%s/siren-emu-kv-%s-e2e",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : dir, c->name);
    snprintf(sched, sizeof sched, "static:n=%d,m=1024", c->n);
    snprintf(batch, sizeof batch, "%d", c->batch);
    /* Each repetition starts as a user's first run does: nothing staged, no run directory. */
    int rc = fs_remove_tree(out, e);
    if (!rc) rc = fs_remove_tree(kv, e);
    if (!rc) rc = fs_mkdir_p(out, e);
    if (rc) return rc;
    struct bench_argv a = {.n = 0};
    const char *run_args[] = {"run",      "--workload", c->workload, "--batch",       batch,
                              "--platform", "lambda-2019", "--scheduler", sched,
                              "--max-epochs", "1", "--target-loss", "1e-9", "--quiet",
                              "--out",    out,          "--kv"};
    if (ranks > 1) rc = bench_argv_mpirun(&a, ranks, e);
    if (!rc) rc = bench_argv_push(&a, self, e);
    for (size_t i = 0; i < sizeof run_args / sizeof *run_args && !rc; i++)
        rc = bench_argv_push(&a, run_args[i], e);
    char kv_url[1400];
    snprintf(kv_url, sizeof kv_url, "file:%s", kv);
    if (!rc) rc = bench_argv_push(&a, kv_url, e);
    snprintf(log, sizeof log, "%s.log", out);
    if (!rc) rc = timed_command(&a, log, run_s, e);
    bench_argv_free(&a);
    cJSON *w = NULL;
    char path[1300];
    snprintf(path, sizeof path, "%s/wall.json", out);
    if (!rc) rc = json_load_file(path, &w, e);
    for (size_t i = 0; i < E2E_PHASES && !rc; i++)
        rc = json_get_number(w, e2e_phases[i], path, &phase[i], e);
    cJSON_Delete(w);
    struct err ignore;
    if (fs_remove_tree(kv, &ignore)) LOG_WARN("bench", "%s", ignore.msg);
    if (rc) return rc;
    const char *train_args[] = {"train", "--workload", c->workload, "--batch", batch,
                                "--epochs", "1", "--threads", "1", "--quiet"};
    rc = bench_argv_push(&a, self, e);
    for (size_t i = 0; i < sizeof train_args / sizeof *train_args && !rc; i++)
        rc = bench_argv_push(&a, train_args[i], e);
    snprintf(log, sizeof log, "%s/runs/%s-train.log", dir, c->name);
    if (!rc) rc = timed_command(&a, log, train_s, e);
    bench_argv_free(&a);
    return rc;
}

/* The end-to-end table: reps alternating pairs of case c; medians, and the per-pair ratio's
 * median and range. */
static int e2e_table(const char *self, const char *dir, const struct emu_case *c, int ranks,
                     int reps, struct err *e)
{
    double run_s[100], train_s[100], ratio[100], phase[E2E_PHASES][100], launch[100];
    int rc = SIREN_OK;
    for (int r = 0; r < reps && !rc; r++) {
        double ph[E2E_PHASES];
        if ((rc = e2e_rep(self, dir, c, ranks, &run_s[r], ph, &train_s[r], e))) break;
        for (size_t i = 0; i < E2E_PHASES; i++) phase[i][r] = ph[i];
        /* What the process's own clock did not see: mpirun's start, exec, and the exit. */
        launch[r] = run_s[r] - ph[E2E_PHASES - 1];
        ratio[r] = run_s[r] / train_s[r];
        fprintf(stderr, "siren bench emu: end to end rep %d/%d: run %.3f s, train %.3f s, "
                "ratio %.3f (load %.2f)\n", r + 1, reps, run_s[r], train_s[r], ratio[r],
                load_1min());
    }
    if (rc) return rc;
    const char *cols[] = {"case", "ranks", "run_wall_s", "train_wall_s", "ratio_to_train",
                          "ratio_min", "ratio_max", "launch_s", "mpi_init_s", "load_s",
                          "stage_s", "epochs_s", "evaluate_s", "finish_s", "close_s"};
    struct table t;
    if ((rc = table_init(&t, sizeof cols / sizeof *cols, cols)) || (rc = table_add_row(&t)))
        return err_set(e, rc, "out of memory");
    double lo = ratio[0], hi = ratio[0];
    for (int r = 1; r < reps; r++) {
        if (ratio[r] < lo) lo = ratio[r];
        if (ratio[r] > hi) hi = ratio[r];
    }
    int col = 0;
    table_setf(&t, 0, col++, "%s", c->name);
    table_setf(&t, 0, col++, "%d", ranks);
    table_setf(&t, 0, col++, "%.2f", bench_median(run_s, (size_t)reps));
    table_setf(&t, 0, col++, "%.2f", bench_median(train_s, (size_t)reps));
    table_setf(&t, 0, col++, "%.3f", bench_median(ratio, (size_t)reps));
    table_setf(&t, 0, col++, "%.3f", lo);
    table_setf(&t, 0, col++, "%.3f", hi);
    table_setf(&t, 0, col++, "%.2f", bench_median(launch, (size_t)reps));
    for (size_t i = 0; i + 1 < E2E_PHASES; i++)
        table_setf(&t, 0, col++, "%.2f", bench_median(phase[i], (size_t)reps));
    char config[1024];
    snprintf(config, sizeof config,
             "the whole command as a user runs it: `%s -n %d siren run` (one epoch of %d "
             "functions, batch %d, 1,024 MB, a fresh run directory and store each time) against "
             "`siren train --threads 1` (one epoch, the same batch), each a fresh process, %d "
             "alternating pairs; run_wall_s and train_wall_s are medians of the commands' wall "
             "seconds, ratio_to_train the median of the per-pair ratios (range "
             "ratio_min..ratio_max); the phases are medians of siren run's own wall.json: "
             "launch_s is the command's wall time its process did not see (mpirun's start, "
             "exec, exit), epochs_s includes evaluate_s (the held-out evaluation after the "
             "epoch, which siren train does too)",
             getenv("SIREN_MPIRUN") && *getenv("SIREN_MPIRUN") ? getenv("SIREN_MPIRUN")
                                                              : "mpirun --oversubscribe",
             ranks, c->n, c->batch, reps);
    rc = bench_write_table(&t, dir, "e2e", "emu", config, e);
    table_free(&t);
    return rc;
}

static const struct opt_use emu_opts[] = {
    {.id = OPT_OUT, .def = "results/emu in the source tree"},
    {.id = OPT_QUICK, .help = "skip the 1,000-function cases"},
    {.id = OPT_BENCH_REPS, .def = "5",
     .help = "runs of the overhead case and of `siren train`, alternately (in the epoch and "
             "end-to-end tables): medians, and the per-pair ratio's median and range"},
    {.id = OPT_HELP},
};

static const char emu_help[] =
    "usage: [mpirun -n N] siren bench emu [--out DIR] [--quick] [--reps N]\n\n";

static const struct bench_cli emu_cli = BENCH_CLI("bench emu", emu_opts, NULL, emu_help);

int bench_emu_main(int argc, char **argv)
{
    struct bench_args a = {.reps = 5};
    int rc = bench_args_parse(&emu_cli, argc, argv, &a, NULL, NULL);
    if (rc != OPT_GO_ON) return rc;
    struct err e;
    openblas_set_num_threads(1);
    /* The end-to-end pairs launch mpirun themselves, so they run before this process starts
     * MPI, and only when it was started alone (not under mpirun). */
    const struct emu_case e2e_case = {"lenet-fashion-100", "lenet-fashion", 100, 64, 20, 0};
    rc = SIREN_OK;
    if (!getenv("OMPI_COMM_WORLD_SIZE")) {
        char self[1024], dir0[1024];
        ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
        if (len <= 0) rc = err_errno(&e, errno, "cannot find the siren executable");
        else self[len] = 0;
        if (!rc) rc = bench_out_dir(a.out, "emu", dir0, sizeof dir0, &e);
        if (!rc) rc = e2e_table(self, dir0, &e2e_case, 2, a.reps, &e);
        if (rc) {
            fprintf(stderr, "siren bench emu: %s\n", e.msg);
            return 1;
        }
    }
    int rank = bench_mpi_init(&argc, &argv), size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char dir[1024];
    rc = bench_out_dir(a.out, "emu", dir, sizeof dir, &e);
    const struct emu_case cases[] = {
        e2e_case,
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
        table_setf(&t, row, 6, "%.3f", m.invocations ? m.epoch_s * 1e3 / m.invocations : 0.0);
        const double means[3] = {m.data_get_ms, m.param_get_ms, m.put_ms};
        for (int q = 0; q < 3; q++)
            if (!isnan(means[q])) table_setf(&t, row, 7 + q, "%.3f", means[q]);
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

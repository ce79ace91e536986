/*
 * siren bench emu: what the emulator costs in real time. (1) Overhead: one epoch of
 * lenet-fashion with 100 functions, emulated, against `siren train` on the same samples, in
 * the same run. (2) Scale: one epoch with 1,000 functions of lr-synthetic (1,000,000 rows) and
 * of lenet-fashion completes; wall time per invocation and per KV operation, from the trace.
 * Run it under mpirun to spread the functions over ranks; the ratio is then against one core.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "scheduler.h"
#include "trace.h"
#include "trainer.h"

#include <getopt.h>
#include <mpi.h>
#include <sched.h>
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct emu_case {
    const char *name;
    const char *workload;
    int n, batch, hash_bits;
    size_t rows;
};

/* One epoch of a case: staging and epoch wall seconds (rank 0), and the trace's means. */
struct emu_measure {
    double stage_s, epoch_s;
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
    struct job_config cfg = {0};
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
    t0 = clock_mono_s();
    rc = job_epoch(j, c->n, 1024, &rep, e);
    m->epoch_s = clock_mono_s() - t0;
    struct err fe;
    int frc = job_finish(j, &fe);
    if (!rc && frc) {
        rc = frc;
        *e = fe;
    }
    job_close(j);
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

/* `siren train` on the same workload, batch and one epoch: seconds of training + evaluation. */
static int run_train(const char *workload, int batch, double *seconds, struct err *e)
{
    struct workload_opts wo = {.batch = batch};
    struct workload *w;
    int rc = workload_open(workload, &wo, &w, e);
    if (rc) return rc;
    struct train_opts to = {.epochs = 1, .quiet = 1};
    struct train_result r;
    double t0 = clock_mono_s();
    rc = train_run(w, &to, &r, e);
    *seconds = clock_mono_s() - t0;
    workload_close(w);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: [mpirun -n N] siren bench emu [--out DIR] [--quick]\n\n"
               "--quick skips the 1,000-function cases.\n");
}

int bench_emu_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, 0, 'o'}, {"quick", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},      {0, 0, 0, 0},
    };
    const char *out = NULL;
    int quick = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'q': quick = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    openblas_set_num_threads(1);
    int rank = bench_mpi_init(&argc, &argv), size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    struct err e;
    char dir[1024];
    int rc = bench_out_dir(out, "emu", dir, sizeof dir, &e);
    const struct emu_case cases[] = {
        {"lenet-fashion-100", "lenet-fashion", 100, 64, 20, 0},
        {"lr-synthetic-1000", "lr-synthetic", 1000, 1000, 18, 1000000},
        {"lenet-fashion-1000", "lenet-fashion", 1000, 60, 20, 0},
    };
    const char *cols[] = {"case", "functions", "steps", "ranks", "stage_s", "epoch_wall_s",
                          "wall_ms_per_invocation", "data_get_ms_mean", "param_get_ms_mean",
                          "put_ms_mean", "train_wall_s", "ratio_to_train"};
    struct table t;
    if (!rc) rc = table_init(&t, 12, cols);
    int n_cases = quick ? 1 : 3;
    for (int k = 0; k < n_cases && !rc; k++) {
        struct emu_measure m;
        rc = run_case(&cases[k], dir, &m, &e);
        if (rc || rank != 0) continue;
        double train_s = 0;
        if (k == 0 && (rc = run_train(cases[k].workload, cases[k].batch, &train_s, &e))) break;
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
            table_setf(&t, row, 10, "%.2f", train_s);
            table_setf(&t, row, 11, "%.3f", m.epoch_s / train_s);
        }
    }
    if (!rc && rank == 0) {
        char config[512];
        snprintf(config, sizeof config,
                 "one epoch per case, 1,024 MB functions, lambda-2019, file KV on %s, %d rank(s), "
                 "1 sandbox slot per rank, OpenBLAS 1 thread; ratio_to_train = emulated epoch wall "
                 "/ `siren train` wall (1 thread) on the same samples, evaluation included in both",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "disk", size);
        rc = bench_write_table(&t, dir, "emu", "emu", config, &e);
    }
    if (rc) fprintf(stderr, "siren bench emu: %s\n", e.msg);
    table_free(&t);
    bench_mpi_finalize();
    return rc ? 1 : 0;
}

/*
 * siren bench ps: is the parameter-server baseline's virtual clock right on this machine? The
 * same job (LeNet on Fashion-MNIST, m4.large-like instances of ONE vCPU so that every worker
 * has a core of this small host) runs under the wall clock and under the virtual clock, and
 * the time per epoch is compared. For a like-for-like model the virtual run gets this host's
 * numbers, measured first: seconds per sample (calibration, one thread, at the job's batch)
 * and the MPI link's latency and bandwidth (ping-pong between two ranks). Each job is its own
 * `mpirun` (a PS job needs exactly 1 + S + K ranks). Writes results/ps/bench.md and .csv.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "calibration.h"
#include "ps.h"

#include <math.h>
#include <mpi.h>
#include <sched.h> /* cpu_set_t, used by cblas.h */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* `--pingpong BYTES` mode, run under mpirun -n 2: prints "latency_us gbit_s" on rank 0. */
static int bench_ps_pingpong(int argc, char **argv, long long bytes)
{
    int rank = bench_mpi_init(&argc, &argv), reps = 200;
    char *buf = calloc((size_t)bytes + 8, 1);
    if (!buf) return 1;
    double lat = 0, bw = 0;
    for (int pass = 0; pass < 2; pass++) {
        int len = pass == 0 ? 8 : (int)bytes, n = pass == 0 ? reps : reps / 4;
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        for (int i = 0; i < n + 5; i++) {
            if (i == 5) t0 = MPI_Wtime(); /* five warm-up round trips */
            if (rank == 0) {
                MPI_Send(buf, len, MPI_BYTE, 1, 1, MPI_COMM_WORLD);
                MPI_Recv(buf, len, MPI_BYTE, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            } else if (rank == 1) {
                MPI_Recv(buf, len, MPI_BYTE, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                MPI_Send(buf, len, MPI_BYTE, 0, 1, MPI_COMM_WORLD);
            }
        }
        double one_way = (MPI_Wtime() - t0) / n / 2.0;
        if (pass == 0) lat = one_way;
        else bw = (double)len / fmax(one_way - lat, 1e-9);
    }
    if (rank == 0) printf("%.3f %.6f\n", lat * 1e6, bw * 8.0 / 1e9);
    free(buf);
    bench_mpi_finalize();
    return 0;
}

/* Runs one job with `mpirun`; reads its epochs and training time from summary.json. */
static int bench_ps_job(const char *exe, const char *args, int ranks, const char *out,
                        double *epoch_s, struct err *e)
{
    char *cmd = NULL;
    if (asprintf(&cmd, "mpirun -n %d --oversubscribe %s ps %s --quiet --out %s >%s.log 2>&1",
                 ranks, exe, args, out, out) < 0)
        return err_set(e, SIREN_ENOMEM, "out of memory");
    fprintf(stderr, "bench ps: %s\n", cmd);
    int rc = system(cmd);
    free(cmd);
    if (rc != 0) return err_set(e, SIREN_EIO, "bench ps: job failed (see %s.log)", out);
    char path[1200];
    snprintf(path, sizeof path, "%s/summary.json", out);
    cJSON *s;
    double total, epochs;
    if ((rc = json_load_file(path, &s, e))) return rc;
    rc = json_get_number(s, "total_time_s", path, &total, e);
    if (!rc) rc = json_get_number(s, "epochs", path, &epochs, e);
    cJSON_Delete(s);
    if (!rc) *epoch_s = total / epochs;
    return rc;
}

/* `--grid`: the EC2 table, m4.large/xlarge/2xlarge x 1, 2, 4 instances x sync/async for
 * lr-ctr and lenet-fashion on the virtual clock (committed calibration). Writes grid.md/.csv. */
static int bench_ps_grid(const char *exe, const char *dir, int lenet_epochs, struct err *e)
{
    static const char *const cols[] = {"workload", "instance_type", "instances", "mode",
                                       "epochs", "target_loss", "time_to_target_s",
                                       "total_time_s", "cost_usd", "final_loss",
                                       "test_accuracy"};
    static const char *const types[] = {"m4.large", "m4.xlarge", "m4.2xlarge"};
    static const char *const modes[] = {"sync", "async"};
    static const int counts[] = {1, 2, 4};
    struct table t;
    if (table_init(&t, 11, cols)) return err_set(e, SIREN_ENOMEM, "out of memory");
    char runs[1100];
    snprintf(runs, sizeof runs, "%s/runs", dir);
    int rc = fs_mkdir_p(runs, e);
    for (int wl = 0; wl < 2 && !rc; wl++) {
        /* LeNet: a larger batch, a subset of the held-out split per epoch and a nearer target
         * keep 18 jobs affordable on a 2-core host. */
        char wargs[256];
        if (wl == 0)
            snprintf(wargs, sizeof wargs, "--workload lr-ctr --max-epochs 10");
        else
            snprintf(wargs, sizeof wargs, "--workload lenet-fashion --batch 256 --eval-rows 2000 "
                     "--target-loss 0.40 --max-epochs %d", lenet_epochs);
        for (int ti = 0; ti < 3 && !rc; ti++)
            for (int ci = 0; ci < 3 && !rc; ci++)
                for (int mi = 0; mi < 2 && !rc; mi++) {
                    char args[512], run[1300], path[1400];
                    snprintf(args, sizeof args, "%s --instance-type %s --instances %d --mode %s",
                             wargs, types[ti], counts[ci], modes[mi]);
                    snprintf(run, sizeof run, "%s/%s-%s-%d-%s", runs, wl ? "lenet-fashion" : "lr-ctr",
                             types[ti], counts[ci], modes[mi]);
                    double ep;
                    if ((rc = bench_ps_job(exe, args, 1 + 2 * counts[ci], run, &ep, e))) break;
                    snprintf(path, sizeof path, "%s/summary.json", run);
                    cJSON *sj;
                    if ((rc = json_load_file(path, &sj, e))) break;
                    size_t row = t.nrows;
                    if ((rc = table_add_row(&t))) break;
                    const char *keys[] = {"workload", "instance_type", "instances", "sync",
                                          "epochs", "target_loss", "time_to_target_s",
                                          "total_time_s", "cost_usd", "final_loss",
                                          "test_accuracy"};
                    for (int k = 0; k < 11; k++) {
                        const cJSON *it = cJSON_GetObjectItemCaseSensitive(sj, keys[k]);
                        if (k == 3) table_setf(&t, row, k, "%s", modes[mi]);
                        else if (cJSON_IsString(it)) table_setf(&t, row, k, "%s", it->valuestring);
                        else if (cJSON_IsNumber(it) && (k == 2 || k == 4))
                            table_setf(&t, row, k, "%d", it->valueint);
                        else if (cJSON_IsNumber(it) && k == 8)
                            table_setf(&t, row, k, "%.6f", it->valuedouble);
                        else if (cJSON_IsNumber(it))
                            table_setf(&t, row, k, "%.4f", it->valuedouble);
                        else table_setf(&t, row, k, "not reached");
                    }
                    cJSON_Delete(sj);
                }
    }
    if (!rc) {
        char config[512];
        snprintf(config, sizeof config,
                 "virtual clock, committed calibration results/ps/calibration.json, platform "
                 "lambda-2019, S = K servers colocated, latency %.0f us; lr-ctr: batch 64, "
                 "target 0.50, at most 10 epochs; lenet-fashion: batch 256, target 0.40 on 2000 "
                 "held-out rows, at most %d epochs; seed 0",
                 PS_DEFAULT_LATENCY_US, lenet_epochs);
        rc = bench_write_table(&t, dir, "grid", "ps", config, e);
    }
    table_free(&t);
    return rc;
}

static const struct opt_use ps_opts[] = {
    {.id = OPT_WORKLOAD, .def = "lenet-fashion"}, {.id = OPT_BATCH, .def = "256"},
    {.id = OPT_EPOCHS, .def = "2", .help = "epochs of each job"},
    {.id = OPT_OUT, .def = "results/ps in the source tree"}, {.id = OPT_GRID}, {.id = OPT_PINGPONG},
    {.id = OPT_HELP},
};

static const char ps_help[] =
    "usage: siren bench ps [--workload W] [--batch B] [--epochs E] [--out DIR]\n"
    "       siren bench ps --grid LENET_MAX_EPOCHS [--out DIR]\n\n"
    "Time per epoch of `siren ps` under the wall clock against the virtual clock,\n"
    "same job (1-vCPU m4.large-like instances, 1 and 2 of them), with this host's\n"
    "calibration and MPI link. Runs mpirun itself (not under mpirun).\n"
    "--grid: the EC2 table (grid.md/.csv): lr-ctr and lenet-fashion on m4.large,\n"
    "xlarge and 2xlarge x 1, 2, 4 instances x sync/async, virtual clock.\n\n";

/* The benchmark's own options. */
struct ps_args {
    const char *wname;
    long long batch, epochs, pp, grid;
};

static int ps_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct ps_args *a = ctx;
    (void)e;
    switch (v->id) {
    case OPT_WORKLOAD: a->wname = v->text; break;
    case OPT_BATCH: a->batch = v->i; break;
    case OPT_EPOCHS: a->epochs = v->i; break;
    case OPT_PINGPONG: a->pp = v->i; break;
    case OPT_GRID: a->grid = v->i; break;
    default: break;
    }
    return SIREN_OK;
}

static const struct bench_cli ps_cli = BENCH_CLI("bench ps", ps_opts, ps_opt, ps_help);

int bench_ps_main(int argc, char **argv)
{
    struct bench_args a = {0};
    struct ps_args ps = {.wname = "lenet-fashion", .batch = 256, .epochs = 2};
    struct err e;
    int rc = bench_args_parse(&ps_cli, argc, argv, &a, &ps, NULL);
    if (rc != OPT_GO_ON) return rc;
    if (ps.pp) return bench_ps_pingpong(argc, argv, ps.pp);
    char dir[1024], exe[1024];
    if (bench_out_dir(a.out, "ps", dir, sizeof dir, &e)) {
        fprintf(stderr, "siren bench ps: %s\n", e.msg);
        return 1;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "siren bench ps: cannot find the siren binary\n");
        return 1;
    }
    exe[n] = '\0';
    if (ps.grid) {
        int grc = bench_ps_grid(exe, dir, (int)ps.grid, &e);
        if (grc) fprintf(stderr, "siren bench ps: %s\n", e.msg);
        return grc ? 1 : 0;
    }
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) < 0) load[0] = -1;

    /* 1. This host's compute: one thread at the job's batch, into the bench's own file. */
    char cal[1200];
    snprintf(cal, sizeof cal, "%s/bench-calibration.json", dir);
    openblas_set_num_threads(1);
    struct workload_opts wo = {.batch = (int)ps.batch, .load_train = 1};
    struct workload *w;
    struct calibration_entry ce;
    if (workload_open(ps.wname, &wo, &w, &e)) {
        fprintf(stderr, "siren bench ps: %s\n", e.msg);
        return 1;
    }
    struct kn_model *m = NULL;
    size_t params = 0;
    if (!kn_model_create(&w->model_cfg, &m, &e)) params = kn_model_num_params(m);
    kn_model_free(m);
    rc = calibration_measure(w, 21, &ce, &e);
    /* And the servers' update, which the virtual clock charges per parameter. */
    struct calibration_update cu;
    if (!rc) rc = calibration_update_measure(w, 21, &cu, &e);
    workload_close(w);
    if (!rc) rc = calibration_store(cal, ps.wname, &ce, &e);
    if (!rc) rc = calibration_update_store(cal, ps.wname, &cu, &e);
    if (rc) {
        fprintf(stderr, "siren bench ps: %s\n", e.msg);
        return 1;
    }

    /* 2. This host's MPI link, with messages of one whole parameter vector. */
    char *cmd = NULL;
    double lat_us = 0, gbit = 0;
    if (asprintf(&cmd, "mpirun -n 2 --oversubscribe %s bench ps --pingpong %zu 2>/dev/null", exe,
                 params * sizeof(float)) < 0)
        return 1;
    FILE *p = popen(cmd, "r");
    free(cmd);
    if (!p || fscanf(p, "%lf %lf", &lat_us, &gbit) != 2) {
        if (p) pclose(p);
        fprintf(stderr, "siren bench ps: the MPI ping-pong failed\n");
        return 1;
    }
    pclose(p);

    /* 3. The jobs, each in its own run directory. */
    char runs[1100];
    snprintf(runs, sizeof runs, "%s/runs", dir);
    if (fs_mkdir_p(runs, &e)) {
        fprintf(stderr, "siren bench ps: %s\n", e.msg);
        return 1;
    }
    static const char *const cols[] = {"instances", "mode", "wall_epoch_s", "virtual_epoch_s",
                                       "wall_over_virtual", "within_15pct"};
    struct table t;
    if (table_init(&t, 6, cols)) return 1;
    struct { int k; const char *mode; } cases[] = {{1, "sync"}, {2, "sync"}, {2, "async"}};
    rc = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0] && !rc; i++) {
        double ep[2];
        for (int clock = 0; clock < 2 && !rc; clock++) {
            char args[2048], run[1300];
            snprintf(args, sizeof args,
                     "--workload %s --batch %lld --instance-type m4.large --vcpus 1 "
                     "--instances %d --mode %s --clock %s --max-epochs %lld --target-loss 1e-9 "
                     "--eval-rows 1000 --calibration %s --latency-us %.3f --net-gbit-s %.6f",
                     ps.wname, ps.batch, cases[i].k, cases[i].mode, clock ? "virtual" : "wall",
                     ps.epochs, cal, lat_us, gbit);
            snprintf(run, sizeof run, "%s/runs/%d-%s-%s", dir, cases[i].k, cases[i].mode,
                     clock ? "virtual" : "wall");
            rc = bench_ps_job(exe, args, 1 + 2 * cases[i].k, run, &ep[clock], &e);
        }
        if (rc) break;
        size_t row = t.nrows;
        double ratio = ep[0] / ep[1];
        if (table_add_row(&t)) return 1;
        table_setf(&t, row, 0, "%d", cases[i].k);
        table_setf(&t, row, 1, "%s", cases[i].mode);
        table_setf(&t, row, 2, "%.3f", ep[0]);
        table_setf(&t, row, 3, "%.3f", ep[1]);
        table_setf(&t, row, 4, "%.3f", ratio);
        table_setf(&t, row, 5, "%s", fabs(ratio - 1.0) <= 0.15 ? "yes" : "no");
    }
    if (rc) {
        fprintf(stderr, "siren bench ps: %s\n", e.msg);
        table_free(&t);
        return 1;
    }
    char config[1024];
    snprintf(config, sizeof config,
             "%s, batch %lld, %lld epochs, m4.large with 1 vCPU (--vcpus 1), S = K servers; "
             "virtual clock with this host's calibration %.3e s/sample (1 thread) and MPI link "
             "%.1f us one-way, %.2f Gbit/s (ping-pong, %zu-byte messages); host load average "
             "%.2f when the bench started (other work on the host slows the wall runs)",
             ps.wname, ps.batch, ps.epochs, ce.s_per_sample, lat_us, gbit, params * sizeof(float),
             load[0]);
    rc = bench_write_table(&t, dir, "bench", "ps", config, &e);
    table_free(&t);
    if (rc) fprintf(stderr, "siren bench ps: %s\n", e.msg);
    return rc ? 1 : 0;
}

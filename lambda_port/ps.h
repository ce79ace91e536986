/*
 * ps: the EC2 baseline, an MXNet-style parameter server (kvstore dist_sync / dist_async) on
 * the same kernels, data and workloads as the serverless emulator. Rank layout under mpirun:
 * rank 0 is the scheduler/client (evaluates, bills, writes summary.json, epochs.csv and
 * trace.h5), ranks 1..S are servers (each owns one contiguous shard of the flat parameter
 * vector and its optimiser state, and applies the update, as MXNet's server-side updater
 * does), ranks S+1..S+K are workers (one per emulated instance). Servers are modelled as
 * colocated with the workers (server s on instance s mod K), as MXNet's launcher does, so the
 * bill is K instances. Unless provisioning is off, the instances first boot and copy the
 * training split from S3 (preset terms), and the bill runs from the launch request. With
 * wopts.generate (lr-synthetic, --data generate) no rank holds the training split: workers
 * generate each batch's rows as they train it, and the copy is billed at one generated
 * batch's bytes per row times the rows, as the emulator bills generated rows. Workers
 * compute on every vCPU and servers take the calibrated time of their updates. Under the
 * virtual clock every time comes from the calibration and the
 * network model and the servers order requests by virtual time: same bits on any host.
 */
#ifndef SIREN_PS_H
#define SIREN_PS_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "workload.h"

enum ps_mode { PS_MODE_SYNC = 0, PS_MODE_ASYNC = 1 };

struct ps_config {
    const char *workload;
    struct workload_opts wopts;  /* batch, lr, seed, generate, ... (zero: workload defaults) */
    const char *instance_type;   /* a VM type of the platform preset ("m4.large") */
    int instances;               /* K workers, one per instance (>= 1) */
    int servers;                 /* S server ranks; <= 0 means S = K (MXNet's default) */
    enum ps_mode mode;
    int wall_clock;              /* 0: virtual clock (default); 1: measured wall time */
    const char *platform;        /* preset name or path; NULL = lambda-2019 */
    const char *calibration;     /* NULL = results/ps/calibration.json in the source tree */
    double target_loss;          /* <= 0: the workload's default */
    int max_epochs;              /* >= 1 */
    size_t eval_rows;            /* held-out rows evaluated per epoch; 0 = all */
    int vcpus;                   /* > 0 overrides the instance's vCPUs (benchmarks) */
    double latency_us;           /* one-way network latency; < 0 = the default below */
    double net_gbit_s;           /* > 0 overrides the instance's network bandwidth */
    const char *out_dir;         /* created; required */
    int quiet;                   /* no progress line per epoch */
    int provisioning_off;        /* 1: warm instances; no boot, no data copy (training only) */
};

/* Default one-way latency between two instances of one availability zone, in microseconds:
 * half the 0.26 ms average ping round trip measured inside us-east-1a/1b (orensol.com,
 * "Network latency inside and across Amazon EC2 availability zones", 2009). */
#define PS_DEFAULT_LATENCY_US 130.0

/* The number of MPI ranks a configuration needs: 1 + S + K. */
int ps_ranks_needed(const struct ps_config *c);

/* The result of a job, on rank 0. */
struct ps_result {
    int epochs;
    int reached_target;
    double time_to_target_s;   /* NAN when not reached */
    double total_time_s;       /* boot_s + data_s + train_s: from the launch request */
    double boot_s;             /* launch request to instances that accept SSH (0: off) */
    double data_s;             /* copy of the training split from S3 onto each instance */
    double train_s;            /* the epochs, evaluation excluded */
    double epoch_time_s_mean;  /* train_s / epochs */
    double cost_usd;
    double final_loss, test_accuracy;
};

/* Collective over MPI_COMM_WORLD (MPI must be initialised): runs the job. Rank 0 writes
 * summary.json, epochs.csv and trace.h5 into cfg->out_dir and fills *out (may be NULL; other
 * ranks leave it untouched). Errors: SIREN_EUSAGE (wrong number of ranks, unknown instance
 * type, bad option, an option the workload refuses such as generate for rows that are read;
 * checked on every rank before any message), SIREN_ENOTFOUND (workload,
 * preset, calibration entry: the message names the `siren calibrate` command to run),
 * SIREN_EMPI, SIREN_EIO, SIREN_EHDF5, errors of the kernels. On a failure after the start,
 * the caller should MPI_Abort: ranks may be blocked on each other. */
int ps_run(const struct ps_config *cfg, struct ps_result *out, struct err *e) SIREN_WUR;

/* Compute speed-up over one thread of a worker that runs on all `vcpus` of its instance, as
 * MXNet's OpenMP and OpenBLAS threads do, from measured calibration entries (threads[i] threads
 * take t_s[i] seconds per sample; s1 at one thread): s1 / t_s[i] where threads[i] == vcpus;
 * else from the largest measured T < vcpus, Amdahl's law fitted to it when threads gained, or
 * its measured ratio when they did not (a slow-down is kept, not extrapolated). Below 1 when
 * threads slow the step down. Returns 1 for vcpus <= 1; *rc = SIREN_ENOTFOUND (and 0) when no
 * T in 2..vcpus was measured. */
double ps_speedup(int vcpus, double s1, const int *threads, const double *t_s, int n, int *rc);

#endif

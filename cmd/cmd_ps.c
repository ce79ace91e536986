/*
 * siren ps: the EC2 MXNet-style parameter-server baseline under mpirun. Rank 0 is the
 * client, ranks 1..S the servers, ranks S+1..S+K the workers (one per emulated instance).
 * Parses the options, checks them before MPI starts where it can, and runs ps_run(); a failure
 * after the job started aborts the whole MPI job (ranks may be waiting on each other).
 */
#include "cmd.h"
#include "ps.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options of siren ps, in the order of its help. */
static const struct opt_use ps_opts[] = {
    {.id = OPT_WORKLOAD}, {.id = OPT_INSTANCE_TYPE}, {.id = OPT_INSTANCES}, {.id = OPT_SERVERS},
    {.id = OPT_MODE},
    {.id = OPT_CLOCK, .help = "virtual (calibrated compute, modelled network; deterministic) | "
                              "wall (real messages and compute, measured)"},
    {.id = OPT_PLATFORM}, {.id = OPT_TARGET_LOSS}, {.id = OPT_MAX_EPOCHS}, {.id = OPT_BATCH},
    {.id = OPT_LR}, {.id = OPT_SEED}, {.id = OPT_ROWS}, {.id = OPT_HASH_BITS},
    {.id = OPT_DATA, .help = "lr-synthetic's training rows: stage (every worker holds the whole "
                             "training split) | generate (each worker makes its batches' rows "
                             "from the seed and their row range as it trains, one batch at a "
                             "time, so memory stays bounded whatever --rows; the copy from S3 "
                             "is still timed and billed, at one generated batch's bytes per "
                             "row)"},
    {.id = OPT_EVAL_ROWS},
    {.id = OPT_CALIBRATION, .def = "results/ps/calibration.json in the source tree",
     .help = "seconds per sample: needs W and, for more than one vCPU, W@Tt from `siren "
             "calibrate --threads T`"},
    {.id = OPT_VCPUS},
    {.id = OPT_LATENCY_US, .def = CMD_STR(PS_DEFAULT_LATENCY_US) " us: half the 0.26 ms "
                                  "same-zone EC2 ping round trip reported by orensol.com"},
    {.id = OPT_NET_GBIT_S}, {.id = OPT_PROVISIONING},
    {.id = OPT_OUT, .def = "results/runs/<time>-ps-<workload>"},
    {.id = OPT_QUIET}, {.id = OPT_HELP},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mpirun -n N siren ps --workload W --instance-type T --instances K [options]\n\n"
            "Trains W as MXNet's kvstore does on K EC2 instances: S servers hold shards of the\n"
            "parameters and the optimiser state and apply the updates; one worker per instance\n"
            "pulls parameters and pushes gradients. Ranks: 0 = client (evaluation, outputs),\n"
            "1..S = servers, S+1..S+K = workers, so N = 1 + S + K. Servers are modelled as\n"
            "colocated with the workers (MXNet's default), so the bill is K instances.\n"
            "The instances boot and copy the training split from S3 first (the preset's\n"
            "vm.boot_to_ready_s and per-type s3_mb_per_s), and are billed from the launch\n"
            "request; --provisioning off starts from warm instances. Workers compute on all\n"
            "the instance's vCPUs and servers' updates take the calibrated time. With\n"
            "--data generate the workers make their rows as they train instead of loading\n"
            "the training split (lr-synthetic at any --rows, e.g. Criteo's 45,840,617).\n"
            "Writes summary.json, epochs.csv and trace.h5 into --out, as `siren run` does.\n\n");
    opt_help_write(f, ps_opts, CMD_COUNT(ps_opts));
}

/* Stores one option of siren ps (opt_parse's handler). */
static int ps_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct ps_config *c = ctx;
    (void)e;
    if (cmd_workload_opt(v, &c->wopts)) return SIREN_OK;
    switch (v->id) {
    case OPT_WORKLOAD: c->workload = v->text; break;
    case OPT_INSTANCE_TYPE: c->instance_type = v->text; break;
    case OPT_INSTANCES: c->instances = (int)v->i; break;
    case OPT_SERVERS: c->servers = (int)v->i; break;
    case OPT_MODE: c->mode = v->i ? PS_MODE_ASYNC : PS_MODE_SYNC; break;
    case OPT_CLOCK: c->wall_clock = v->i == 1; break;
    case OPT_PLATFORM: c->platform = v->text; break;
    case OPT_TARGET_LOSS: c->target_loss = v->d; break;
    case OPT_MAX_EPOCHS: c->max_epochs = (int)v->i; break;
    case OPT_EVAL_ROWS: c->eval_rows = (size_t)v->i; break;
    case OPT_CALIBRATION: c->calibration = v->text; break;
    case OPT_VCPUS: c->vcpus = (int)v->i; break;
    case OPT_LATENCY_US: c->latency_us = v->d; break;
    case OPT_NET_GBIT_S: c->net_gbit_s = v->d; break;
    case OPT_PROVISIONING: c->provisioning_off = v->i == 1; break;
    case OPT_OUT: c->out_dir = v->text; break;
    case OPT_QUIET: c->quiet = 1; break;
    case OPT_HELP: usage(stdout); return OPT_DONE;
    default: break;
    }
    return SIREN_OK;
}

int cmd_ps(int argc, char **argv)
{
    struct ps_config cfg = {.max_epochs = 10, .latency_us = -1.0, .mode = PS_MODE_SYNC};
    struct err e;
    int rc = opt_parse("ps", ps_opts, CMD_COUNT(ps_opts), argc, argv, ps_opt, &cfg, NULL);
    if (rc != OPT_GO_ON) return rc;
    if (!cfg.workload) return opt_usage_error("ps", "--workload is required");
    if (!workload_find(cfg.workload)) return cmd_unknown_workload("ps", cfg.workload);
    if (!cfg.instance_type)
        return opt_usage_error("ps", "--instance-type is required (e.g. m4.large)");
    if (cfg.instances < 1) return opt_usage_error("ps", "--instances is required (e.g. 2)");
    if (!cfg.out_dir) cfg.out_dir = cmd_default_run_dir("ps-", cfg.workload);

    int provided, rank;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    log_set_rank(rank);
    if (rank != 0) log_set_level(LOG_LEVEL_WARN);
    struct ps_result res;
    rc = ps_run(&cfg, &res, &e);
    if (rc == SIREN_EUSAGE) {
        /* Every rank reached the same verdict before any message: a clean exit. */
        if (rank == 0) opt_usage_error("ps", "%s", e.msg);
        MPI_Finalize();
        return 2;
    }
    if (rc == SIREN_ENOTFOUND) {
        /* Found missing during set-up (calibration, preset, data), on every rank alike. */
        if (rank == 0) fprintf(stderr, "siren ps: %s\n", e.msg);
        MPI_Finalize();
        return 1;
    }
    if (rc && (rank == 0 || rc != SIREN_EMPI)) fprintf(stderr, "siren ps: rank %d: %s\n", rank, e.msg);
    if (!rc && rank == 0) printf("%s/summary.json\n", cfg.out_dir);
    /* Alone, end quietly; with others, take down those that may wait for this rank. */
    int ranks = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    if (rc && ranks > 1) MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Finalize();
    return rc ? 1 : 0;
}

/*
 * siren ps: the EC2 MXNet-style parameter-server baseline under mpirun. Rank 0 is the
 * client, ranks 1..S the servers, ranks S+1..S+K the workers (one per emulated instance).
 * Parses the options, checks them before MPI starts where it can, and runs ps_run(); a failure
 * after the job started aborts the whole MPI job (ranks may be waiting on each other).
 */
#include "cmd.h"
#include "ps.h"

#include <getopt.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mpirun -n N siren ps --workload W --instance-type T --instances K [options]\n\n"
            "Trains W as MXNet's kvstore does on K EC2 instances: S servers hold shards of the\n"
            "parameters and the optimiser state and apply the updates; one worker per instance\n"
            "pulls parameters and pushes gradients. Ranks: 0 = client (evaluation, outputs),\n"
            "1..S = servers, S+1..S+K = workers, so N = 1 + S + K. Servers are modelled as\n"
            "colocated with the workers (MXNet's default), so the bill is K instances.\n"
            "Writes summary.json, epochs.csv and trace.h5 into --out, as `siren run` does.\n\n"
            "  --instance-type T    a VM type of the platform (m4.large, m4.xlarge, m4.2xlarge,\n"
            "                       c5.2xlarge in lambda-2019)\n"
            "  --instances K        workers, one per instance (>= 1)\n"
            "  --servers S          server ranks (default K)\n"
            "  --mode M             sync (dist_sync, default) | async (dist_async)\n"
            "  --clock C            virtual (default: calibrated compute, modelled network;\n"
            "                       deterministic) | wall (real messages and compute, measured)\n"
            "  --platform P         preset name or file (default lambda-2019)\n"
            "  --target-loss L      stop when the held-out loss reaches it (default: workload's)\n"
            "  --max-epochs E       (default 10)\n"
            "  --batch B --lr X --seed S --rows N --hash-bits K   as in siren train\n"
            "  --eval-rows N        held-out rows evaluated per epoch (default all)\n"
            "  --calibration FILE   default results/ps/calibration.json; needs W and, for more\n"
            "                       than one vCPU, W@Tt from `siren calibrate --threads T`\n"
            "  --vcpus V            override the instance's vCPUs (benchmarks on small hosts)\n"
            "  --latency-us U       one-way network latency (default %.0f: half the 0.26 ms\n"
            "                       same-zone EC2 ping round trip reported by orensol.com)\n"
            "  --net-gbit-s G       override the instance's network bandwidth\n"
            "  --out DIR            (default results/runs/<time>-ps-<workload>)\n"
            "  --quiet              no progress line per epoch\n",
            PS_DEFAULT_LATENCY_US);
}

int cmd_ps(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"workload", required_argument, 0, 'w'},    {"instance-type", required_argument, 0, 't'},
        {"instances", required_argument, 0, 'k'},   {"servers", required_argument, 0, 'S'},
        {"mode", required_argument, 0, 'm'},        {"clock", required_argument, 0, 'c'},
        {"platform", required_argument, 0, 'p'},    {"target-loss", required_argument, 0, 'T'},
        {"max-epochs", required_argument, 0, 'E'},  {"batch", required_argument, 0, 'b'},
        {"lr", required_argument, 0, 'l'},          {"seed", required_argument, 0, 's'},
        {"rows", required_argument, 0, 'r'},        {"hash-bits", required_argument, 0, 'H'},
        {"eval-rows", required_argument, 0, 'v'},   {"calibration", required_argument, 0, 'C'},
        {"vcpus", required_argument, 0, 'V'},       {"latency-us", required_argument, 0, 'L'},
        {"net-gbit-s", required_argument, 0, 'G'},  {"out", required_argument, 0, 'o'},
        {"quiet", no_argument, 0, 'q'},             {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct ps_config cfg = {.max_epochs = 10, .latency_us = -1.0, .mode = PS_MODE_SYNC};
    long long v;
    double d;
    struct err e;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "w:t:k:S:m:c:p:T:E:b:l:s:r:H:v:C:V:L:G:o:qh", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'w': cfg.workload = optarg; break;
        case 't': cfg.instance_type = optarg; break;
        case 'k':
            if (parse_long(optarg, "--instances", &v, &e) || v < 1 || v > 4096)
                return cmd_usage_error("ps", "--instances: expected 1..4096, got '%s'", optarg);
            cfg.instances = (int)v;
            break;
        case 'S':
            if (parse_long(optarg, "--servers", &v, &e) || v < 1 || v > 4096)
                return cmd_usage_error("ps", "--servers: expected 1..4096, got '%s'", optarg);
            cfg.servers = (int)v;
            break;
        case 'm':
            if (!strcmp(optarg, "sync")) cfg.mode = PS_MODE_SYNC;
            else if (!strcmp(optarg, "async")) cfg.mode = PS_MODE_ASYNC;
            else return cmd_usage_error("ps", "--mode: expected sync or async, got '%s'", optarg);
            break;
        case 'c':
            if (!strcmp(optarg, "wall")) cfg.wall_clock = 1;
            else if (strcmp(optarg, "virtual"))
                return cmd_usage_error("ps", "--clock: expected virtual or wall, got '%s'", optarg);
            break;
        case 'p': cfg.platform = optarg; break;
        case 'T':
            if (parse_double(optarg, "--target-loss", &d, &e) || !(d > 0))
                return cmd_usage_error("ps", "--target-loss: expected a number > 0, got '%s'", optarg);
            cfg.target_loss = d;
            break;
        case 'E':
            if (parse_long(optarg, "--max-epochs", &v, &e) || v < 1 || v > 100000)
                return cmd_usage_error("ps", "--max-epochs: expected 1..100000, got '%s'", optarg);
            cfg.max_epochs = (int)v;
            break;
        case 'b':
            if (parse_long(optarg, "--batch", &v, &e) || v < 1 || v > 1 << 20)
                return cmd_usage_error("ps", "--batch: expected 1..1048576, got '%s'", optarg);
            cfg.wopts.batch = (int)v;
            break;
        case 'l':
            if (parse_double(optarg, "--lr", &d, &e) || !(d > 0))
                return cmd_usage_error("ps", "--lr: expected a number > 0, got '%s'", optarg);
            cfg.wopts.lr = d;
            break;
        case 's':
            if (parse_long(optarg, "--seed", &v, &e) || v < 0)
                return cmd_usage_error("ps", "--seed: expected an integer >= 0, got '%s'", optarg);
            cfg.wopts.seed = (uint64_t)v;
            break;
        case 'r':
            if (parse_long(optarg, "--rows", &v, &e) || v < 10)
                return cmd_usage_error("ps", "--rows: expected an integer >= 10, got '%s'", optarg);
            cfg.wopts.synthetic_rows = (size_t)v;
            break;
        case 'H':
            if (parse_long(optarg, "--hash-bits", &v, &e) || v < 4 || v > 28)
                return cmd_usage_error("ps", "--hash-bits: expected 4..28, got '%s'", optarg);
            cfg.wopts.hash_bits = (int)v;
            break;
        case 'v':
            if (parse_long(optarg, "--eval-rows", &v, &e) || v < 1)
                return cmd_usage_error("ps", "--eval-rows: expected an integer >= 1, got '%s'", optarg);
            cfg.eval_rows = (size_t)v;
            break;
        case 'C': cfg.calibration = optarg; break;
        case 'V':
            if (parse_long(optarg, "--vcpus", &v, &e) || v < 1 || v > 256)
                return cmd_usage_error("ps", "--vcpus: expected 1..256, got '%s'", optarg);
            cfg.vcpus = (int)v;
            break;
        case 'L':
            if (parse_double(optarg, "--latency-us", &d, &e) || !(d >= 0))
                return cmd_usage_error("ps", "--latency-us: expected a number >= 0, got '%s'", optarg);
            cfg.latency_us = d;
            break;
        case 'G':
            if (parse_double(optarg, "--net-gbit-s", &d, &e) || !(d > 0))
                return cmd_usage_error("ps", "--net-gbit-s: expected a number > 0, got '%s'", optarg);
            cfg.net_gbit_s = d;
            break;
        case 'o': cfg.out_dir = optarg; break;
        case 'q': cfg.quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: return cmd_usage_error("ps", "unknown option");
        }
    }
    if (optind < argc) return cmd_usage_error("ps", "unexpected argument '%s'", argv[optind]);
    if (!cfg.workload) return cmd_usage_error("ps", "--workload is required");
    if (!workload_find(cfg.workload)) return cmd_usage_error("ps", "unknown workload '%s'", cfg.workload);
    if (!cfg.instance_type)
        return cmd_usage_error("ps", "--instance-type is required (e.g. m4.large)");
    if (cfg.instances < 1) return cmd_usage_error("ps", "--instances is required (e.g. 2)");
    if (!cfg.out_dir) {
        static char buf[256];
        char stamp[32];
        time_t now = time(NULL);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", gmtime(&now));
        snprintf(buf, sizeof buf, "results/runs/%s-ps-%s", stamp, cfg.workload);
        cfg.out_dir = buf;
    }

    int provided, rank;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    log_set_rank(rank);
    if (rank != 0) log_set_level(LOG_LEVEL_WARN);
    struct ps_result res;
    int rc = ps_run(&cfg, &res, &e);
    if (rc == SIREN_EUSAGE) {
        /* Every rank reached the same verdict before any message: a clean exit. */
        if (rank == 0) cmd_usage_error("ps", "%s", e.msg);
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
    if (rc) MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Finalize();
    return rc ? 1 : 0;
}

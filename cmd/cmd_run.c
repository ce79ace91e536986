/* siren run: an emulated training job under mpirun (rank 0 client, other ranks invokers). */
#include "cmd.h"
#include "job.h"
#include "lambda_backend.h"
#include "s3.h"
#include "scheduler.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mpirun -n N siren run --workload W --scheduler SPEC [options]\n\n"
            "Trains W with emulated serverless functions, epoch by epoch (HSP: asynchronous\n"
            "inside an epoch, a barrier between epochs), on the deterministic virtual clock.\n"
            "Rank 0 is the client; every other rank hosts function sandboxes (with -n 1, rank 0\n"
            "hosts them). Writes summary.json, epochs.csv and trace.h5 into --out.\n\n"
            "  --scheduler SPEC     static:n=N,m=MB | schedule:FILE (lines 'n m')\n"
            "  --sync MODE          hsp (default) | bsp (barrier after every round of mini-batches,\n"
            "                       the leader averages the gradients) | ssp:S (at most S steps\n"
            "                       ahead of the slowest) | asp (no barrier at all: the run is one\n"
            "                       plan of --max-epochs passes, each function going on to its\n"
            "                       share of the next pass at once; needs static:n=N,m=MB, as no\n"
            "                       point is left to change them; epochs.csv has a row per pass,\n"
            "                       at the time its last step ends: the newest version's loss,\n"
            "                       the time since the last row, the bill accrued meanwhile;\n"
            "                       virtual clock only, no --faults, no --resume)\n"
            "  --update RULE        overwrite (default: PUT the local copy, lock-free) | apply\n"
            "                       (re-read the newest version and apply the step's change)\n"
            "  --clock CLOCK        virtual (default: planned, deterministic) | wall (every\n"
            "                       function at once, real timers; faithful with a core each)\n"
            "  --platform P         lambda-2019 (default) | lambda-2024 | a preset file\n"
            "  --budget USD         stop when the cost reaches it\n"
            "  --target-loss L      stop when the held-out loss reaches it (default: workload's)\n"
            "  --max-epochs E       (default 10)\n"
            "  --on-timeout WHAT    continue (re-invoke, default) | fail (killed at the timeout)\n"
            "  --batch B --lr X --seed S --rows N --hash-bits K   as in siren train\n"
            "  --eval-rows N        held-out rows evaluated per epoch (default all)\n"
            "  --kv URL             file:DIR | redis://host:port (default file:OUT/kv)\n"
            "  --calibration FILE   seconds per sample (default: the committed reference)\n"
            "  --slots K            sandboxes run at once per rank (default 1)\n"
            "  --backend lambda --function F\n"
            "                       run the functions on AWS Lambda instead of local sandboxes\n"
            "                       (with --clock wall and an s3:// --kv): F is a function name\n"
            "                       (\"%%d\" becomes the memory size), or the http:// URL of a\n"
            "                       local Runtime API emulator (scripts/peers/lambda-up.sh)\n"
            "  --out DIR            (default results/runs/<time>-<workload>)\n"
            "  --quiet              no progress line per epoch\n"
            "  --faults SPEC        inject faults, drawn from --seed on the virtual clock:\n"
            "                       crash=P (an invocation dies at a random point),\n"
            "                       straggler=P:F (its compute runs F times slower),\n"
            "                       kv-error=P (a KV request fails transiently; retried with\n"
            "                       backoff), throttle=on (the preset's request rates enforced);\n"
            "                       e.g. crash=0.1,straggler=0.1:3 (hsp and ssp only)\n"
            "  --retries N          retries of a failed invocation, as Lambda retries an\n"
            "                       asynchronous one (default 2; 0 allowed)\n"
            "  --retry-delay S      wait before the first retry, doubled for each next one\n"
            "                       (default 60 s, Lambda's)\n"
            "  --resume DIR         continue the run whose --out was DIR from its last completed\n"
            "                       epoch (after a kill: its arguments and KV store are the ones\n"
            "                       it recorded in DIR/run.json); nothing else may be given\n");
}

/* FNV-1a over the run's arguments: what a checkpoint must have been written by. */
static uint64_t args_hash(int argc, char **argv)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < argc; i++)
        for (const char *c = argv[i];; c++) {
            h = (h ^ (uint8_t)*c) * 0x100000001b3ULL;
            if (!*c) break;
        }
    return h;
}

/* DIR/run.json: the arguments of the run (argv[1..]), its directory and --out, so that
 * --resume DIR runs it again exactly. Written atomically before the job starts. */
static int record_run(const char *out, int argc, char **argv, struct err *e)
{
    char cwd[PATH_MAX], path[PATH_MAX + 64];
    if (!getcwd(cwd, sizeof cwd)) return err_errno(e, errno, "cannot read the working directory");
    int rc = fs_mkdir_p(out, e);
    if (rc) return rc;
    cJSON *r = cJSON_CreateObject();
    cJSON *a = cJSON_AddArrayToObject(r, "argv");
    for (int i = 1; i < argc; i++) cJSON_AddItemToArray(a, cJSON_CreateString(argv[i]));
    cJSON_AddStringToObject(r, "cwd", cwd);
    cJSON_AddStringToObject(r, "out", out);
    snprintf(path, sizeof path, "%s/run.json", out);
    rc = json_write_file(path, r, e);
    cJSON_Delete(r);
    return rc;
}

/* Reads DIR/run.json back: *args gets {"run", recorded arguments...} (free the array and
 * the strings with free_args), *cwd the run's directory and *out its --out. */
static int load_run(const char *dir, int *argc, char ***args, char **cwd, char **out,
                    struct err *e)
{
    char path[PATH_MAX + 64];
    cJSON *r;
    snprintf(path, sizeof path, "%s/run.json", dir);
    int rc = json_load_file(path, &r, e);
    if (rc) return rc;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(r, "argv"), *it;
    const char *c, *o;
    if ((rc = json_get_string(r, "cwd", path, &c, e)) || (rc = json_get_string(r, "out", path, &o, e)))
        goto out;
    if (!cJSON_IsArray(a)) {
        rc = err_set(e, SIREN_EFORMAT, "%s: key 'argv': expected an array of strings", path);
        goto out;
    }
    int n = cJSON_GetArraySize(a);
    char **v = calloc((size_t)n + 2, sizeof *v);
    if (!v) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    v[0] = strdup("run");
    int k = 1;
    cJSON_ArrayForEach(it, a)
    {
        if (!cJSON_IsString(it)) rc = err_set(e, SIREN_EFORMAT, "%s: key 'argv': expected strings", path);
        v[k++] = strdup(cJSON_IsString(it) ? it->valuestring : "");
    }
    *argc = k;
    *args = v;
    *cwd = strdup(c);
    *out = strdup(o);
out:
    cJSON_Delete(r);
    return rc;
}

static void free_args(int argc, char **args)
{
    for (int i = 0; args && i < argc; i++) free(args[i]);
    free(args);
}

static int parse_sync(const char *s, struct job_config *c)
{
    if (!strcmp(s, "hsp")) c->sync = PLAN_SYNC_HSP;
    else if (!strcmp(s, "bsp")) c->sync = PLAN_SYNC_BSP;
    else if (!strcmp(s, "asp")) c->sync = PLAN_SYNC_ASP;
    else if (!strncmp(s, "ssp:", 4)) {
        char *end;
        long v = strtol(s + 4, &end, 10);
        if (*end || v < 0 || s[4] == '\0') return -1;
        c->sync = PLAN_SYNC_SSP;
        c->staleness = (int)v;
    } else return -1;
    return 0;
}

/* The run itself: argv as given (or as recorded, when resume), out forced when resuming. */
/* The job as the scheduler's target (scheduler.h). */
static int target_memory_clip_mb(void *ctx, int memory_mb)
{
    return job_memory_clip_mb(ctx, memory_mb);
}

static int target_run_epoch(void *ctx, int n, int memory_mb, struct epoch_report *out,
                            struct err *e)
{
    return job_epoch(ctx, n, memory_mb, out, e);
}

static int run_args(int argc, char **argv, int resume, const char *resume_out)
{
    static const struct option longopts[] = {
        {"workload", required_argument, 0, 'w'}, {"scheduler", required_argument, 0, 'S'},
        {"sync", required_argument, 0, 'y'},     {"update", required_argument, 0, 'u'},
        {"clock", required_argument, 0, 'c'},    {"platform", required_argument, 0, 'p'},
        {"budget", required_argument, 0, 'B'},   {"target-loss", required_argument, 0, 'T'},
        {"max-epochs", required_argument, 0, 'E'}, {"batch", required_argument, 0, 'b'},
        {"lr", required_argument, 0, 'l'},       {"kv", required_argument, 0, 'k'},
        {"calibration", required_argument, 0, 'C'}, {"seed", required_argument, 0, 's'},
        {"out", required_argument, 0, 'o'},      {"rows", required_argument, 0, 'r'},
        {"hash-bits", required_argument, 0, 'H'}, {"eval-rows", required_argument, 0, 'v'},
        {"slots", required_argument, 0, 'K'},    {"on-timeout", required_argument, 0, 'O'},
        {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
        {"backend", required_argument, 0, 'A'}, {"function", required_argument, 0, 'F'},
        {"faults", required_argument, 0, 'X'},  {"retries", required_argument, 0, 'Y'},
        {"retry-delay", required_argument, 0, 'Z'},
        {0, 0, 0, 0},
    };
    static struct fault_config faults;
    int faults_given = 0;
    fault_config_init(&faults);
    struct job_config cfg = {0};
    const char *spec = NULL, *out = NULL;
    long long max_epochs = 10, v;
    double d;
    struct err e;
    int c;
    cfg.workload = "lenet-fashion";
    optind = 1;
    while ((c = getopt_long(argc, argv, "w:S:y:u:c:p:B:T:E:b:l:k:C:s:o:r:H:v:K:O:qhA:F:X:Y:Z:", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': cfg.workload = optarg; break;
        case 'S': spec = optarg; break;
        case 'y':
            if (parse_sync(optarg, &cfg))
                return cmd_usage_error("run", "--sync: expected hsp, bsp, asp or ssp:S, got '%s'",
                                       optarg);
            break;
        case 'u':
            if (!strcmp(optarg, "overwrite")) cfg.update = PLAN_UPDATE_OVERWRITE;
            else if (!strcmp(optarg, "apply")) cfg.update = PLAN_UPDATE_APPLY;
            else return cmd_usage_error("run", "--update: expected overwrite or apply, got '%s'", optarg);
            break;
        case 'c':
            if (!strcmp(optarg, "wall")) cfg.wall_clock = 1;
            else if (strcmp(optarg, "virtual"))
                return cmd_usage_error("run", "--clock: expected virtual or wall, got '%s'", optarg);
            break;
        case 'p': cfg.platform = optarg; break;
        case 'B':
            if (parse_double(optarg, "--budget", &d, &e) || !(d > 0))
                return cmd_usage_error("run", "--budget: expected USD > 0, got '%s'", optarg);
            cfg.budget_usd = d;
            break;
        case 'T':
            if (parse_double(optarg, "--target-loss", &d, &e) || !(d > 0))
                return cmd_usage_error("run", "--target-loss: expected a number > 0, got '%s'", optarg);
            cfg.target_loss = d;
            break;
        case 'E':
            if (parse_long(optarg, "--max-epochs", &max_epochs, &e) || max_epochs < 1)
                return cmd_usage_error("run", "--max-epochs: expected an integer >= 1, got '%s'", optarg);
            break;
        case 'b':
            if (parse_long(optarg, "--batch", &v, &e) || v < 1 || v > 1 << 20)
                return cmd_usage_error("run", "--batch: expected 1..1048576, got '%s'", optarg);
            cfg.wopts.batch = (int)v;
            break;
        case 'l':
            if (parse_double(optarg, "--lr", &d, &e) || !(d > 0))
                return cmd_usage_error("run", "--lr: expected a number > 0, got '%s'", optarg);
            cfg.wopts.lr = d;
            break;
        case 'k': cfg.kv_url = optarg; break;
        case 'C': cfg.calibration = optarg; break;
        case 's':
            if (parse_long(optarg, "--seed", &v, &e) || v < 0)
                return cmd_usage_error("run", "--seed: expected an integer >= 0, got '%s'", optarg);
            cfg.wopts.seed = (uint64_t)v;
            break;
        case 'o': out = optarg; break;
        case 'r':
            if (parse_long(optarg, "--rows", &v, &e) || v < 10)
                return cmd_usage_error("run", "--rows: expected an integer >= 10, got '%s'", optarg);
            cfg.wopts.synthetic_rows = (size_t)v;
            break;
        case 'H':
            if (parse_long(optarg, "--hash-bits", &v, &e) || v < 4 || v > 28)
                return cmd_usage_error("run", "--hash-bits: expected 4..28, got '%s'", optarg);
            cfg.wopts.hash_bits = (int)v;
            break;
        case 'v':
            if (parse_long(optarg, "--eval-rows", &v, &e) || v < 1)
                return cmd_usage_error("run", "--eval-rows: expected an integer >= 1, got '%s'", optarg);
            cfg.eval_rows = (size_t)v;
            break;
        case 'K':
            if (parse_long(optarg, "--slots", &v, &e) || v < 1 || v > 64)
                return cmd_usage_error("run", "--slots: expected 1..64, got '%s'", optarg);
            cfg.slots = (int)v;
            break;
        case 'O':
            if (!strcmp(optarg, "continue")) cfg.on_timeout = PLAN_TIMEOUT_CONTINUE;
            else if (!strcmp(optarg, "fail")) cfg.on_timeout = PLAN_TIMEOUT_FAIL;
            else return cmd_usage_error("run", "--on-timeout: expected continue or fail, got '%s'", optarg);
            break;
        case 'q': cfg.quiet = 1; break;
        case 'A':
            if (strcmp(optarg, "lambda") && strcmp(optarg, "sandbox"))
                return cmd_usage_error("run", "--backend: expected sandbox or lambda, got '%s'", optarg);
            cfg.backend = optarg;
            break;
        case 'F': cfg.backend_target = optarg; break;
        case 'X':
            if (fault_config_parse(optarg, &faults, &e)) return cmd_usage_error("run", "%s", e.msg);
            faults_given = 1;
            break;
        case 'Y':
            if (parse_long(optarg, "--retries", &v, &e) || v < 0 || v > 100)
                return cmd_usage_error("run", "--retries: expected 0..100, got '%s'", optarg);
            faults.retries = (int)v;
            break;
        case 'Z':
            if (parse_double(optarg, "--retry-delay", &d, &e) || !(d >= 0) || !isfinite(d))
                return cmd_usage_error("run", "--retry-delay: expected seconds >= 0, got '%s'", optarg);
            faults.retry_delay_s = d;
            break;
        case 'h': usage(stdout); return 0;
        default: return cmd_usage_error("run", "unknown option");
        }
    }
    if (optind < argc) return cmd_usage_error("run", "unexpected argument '%s'", argv[optind]);
    if (!spec) return cmd_usage_error("run", "--scheduler is required (e.g. static:n=10,m=1024)");
    if (cfg.backend && !strcmp(cfg.backend, "lambda")) {
        /* Real functions cannot be held to a planned timeline: the wall clock measures them. */
        if (!cfg.wall_clock || !cfg.backend_target || !cfg.kv_url || strncmp(cfg.kv_url, "s3://", 5))
            return cmd_usage_error("run", "--backend lambda needs --clock wall, --function F and "
                                   "an s3:// --kv that the functions can reach");
        lambda_backend_register();
    }
    s3_kv_register(); /* rank 0 stages data in, and evaluates from, an s3:// store too */
    if (cfg.wall_clock && cfg.sync != PLAN_SYNC_HSP)
        return cmd_usage_error("run", "--clock wall runs HSP only (no planned barriers)");
    int asp = cfg.sync == PLAN_SYNC_ASP;
    if (asp && strncmp(spec, "static:", 7))
        return cmd_usage_error("run", "--sync asp needs --scheduler static:n=N,m=MB, not '%s': with "
                               "no barrier there is no point at which a scheduler could change "
                               "n and m", spec);
    if (asp && faults_given)
        return cmd_usage_error("run", "--faults is not modelled across the passes of --sync asp");
    if (asp && resume)
        return cmd_usage_error("run", "--resume: an asp run is one plan and keeps no "
                               "checkpoints: it cannot be resumed");
    if (faults_given) {
        /* Faults are laid into the planned timeline; the wall clock plans nothing, and BSP's
         * rounds have no retry model. */
        if (cfg.wall_clock || cfg.sync == PLAN_SYNC_BSP)
            return cmd_usage_error("run", "--faults needs the virtual clock and --sync hsp or ssp");
        cfg.faults = &faults;
    }
    if (!workload_find(cfg.workload)) return cmd_usage_error("run", "unknown workload '%s'", cfg.workload);
    if (resume) out = resume_out;
    if (!out) {
        static char buf[256];
        char stamp[32];
        time_t now = time(NULL);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", gmtime(&now));
        snprintf(buf, sizeof buf, "results/runs/%s-%s", stamp, cfg.workload);
        out = buf;
    }
    cfg.out_dir = out;
    cfg.scheduler = spec;
    cfg.resume = resume;
    cfg.config_hash = args_hash(argc - 1, argv + 1);
    struct sched_policy *pol = NULL;
    if (sched_open(spec, &pol, &e)) return cmd_usage_error("run", "%s", e.msg);

    int rank = job_mpi_init(&argc, &argv);
    log_set_rank(rank);
    if (rank != 0) log_set_level(LOG_LEVEL_WARN);
    struct job *j = NULL;
    int rc = SIREN_OK;
    /* Every rank waits for run.json: a rank that failed to record it takes the job down. */
    if (rank == 0 && !resume) rc = record_run(out, argc, argv, &e);
    int bad = rc != SIREN_OK, any = 0;
    MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any && !rc) rc = err_set(&e, SIREN_EMPI, "rank 0 could not record the run");
    if (!rc) rc = job_open(&cfg, &j, &e);
    if (!rc) {
        if (rank == 0) {
            struct sched_action a;
            if (!asp) {
                struct sched_target t = {j, job_epochs_done(j), job_last_report(j),
                                         job_max_functions(j), target_memory_clip_mb,
                                         target_run_epoch};
                rc = sched_drive(pol, &t, (int)max_epochs, cfg.budget_usd, NULL, &e);
            }
            else if (!(rc = sched_next(pol, NULL, &a, &e)))
                rc = job_run_asp(j, a.n, a.memory_mb, (int)max_epochs, cfg.budget_usd, &e);
            struct err fe;
            int frc = job_finish(j, &fe);
            if (!rc && frc) {
                rc = frc;
                e = fe;
            }
        } else {
            rc = job_serve(j, &e);
        }
    }
    if (rc && (rank == 0 || rc != SIREN_EMPI)) fprintf(stderr, "siren run: rank %d: %s\n", rank, e.msg);
    if (!rc && rank == 0) printf("%s/summary.json\n", out);
    job_close(j);
    sched_close(pol);
    if (rc && rank == 0) MPI_Abort(MPI_COMM_WORLD, 1);
    job_mpi_finalize();
    return rc ? 1 : 0;
}

int cmd_run(int argc, char **argv)
{
    /* --resume DIR alone: the recorded arguments, run from the recorded directory. */
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--resume")) dir = i + 1 < argc ? argv[i + 1] : "";
        else if (!strncmp(argv[i], "--resume=", 9)) dir = argv[i] + 9;
        else continue;
        int alone = (i == 1 && argc == 3 && !strcmp(argv[1], "--resume")) ||
                    (i == 1 && argc == 2);
        if (!alone || !*dir)
            return cmd_usage_error("run", "--resume DIR takes nothing else: the run's arguments "
                                   "come from DIR/run.json");
        break;
    }
    if (!dir) return run_args(argc, argv, 0, NULL);
    int rargc = 0, rc;
    char **rargv = NULL, *cwd = NULL, *out = NULL;
    struct err e;
    if (load_run(dir, &rargc, &rargv, &cwd, &out, &e)) {
        rc = cmd_usage_error("run", "--resume: %s", e.msg);
    } else if (chdir(cwd)) {
        rc = cmd_usage_error("run", "--resume: cannot enter the run's directory %s: %s", cwd,
                             strerror(errno));
    } else {
        rc = run_args(rargc, rargv, 1, out);
    }
    free_args(rargc, rargv);
    free(cwd);
    free(out);
    return rc;
}

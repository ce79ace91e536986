/* siren run: an emulated training job under mpirun (rank 0 client, other ranks invokers). */
#include "cmd.h"
#include "job.h"
#include "lambda_backend.h"
#include "s3.h"
#include "scheduler.h"
#include "store.h"

#include <errno.h>
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The options of siren run, in the order of its help. */
static const struct opt_use run_opts[] = {
    {.id = OPT_WORKLOAD, .def = "lenet-fashion"},
    {.id = OPT_SCHEDULER}, {.id = OPT_SYNC}, {.id = OPT_UPDATE}, {.id = OPT_LR_SCALE},
    {.id = OPT_FETCH}, {.id = OPT_CLOCK},
    {.id = OPT_PLATFORM}, {.id = OPT_LATENCY}, {.id = OPT_CHANNEL}, {.id = OPT_CONCURRENCY}, {.id = OPT_BUDGET}, {.id = OPT_TARGET_LOSS}, {.id = OPT_MAX_EPOCHS},
    {.id = OPT_ON_TIMEOUT}, {.id = OPT_BATCH}, {.id = OPT_LR}, {.id = OPT_SEED},
    {.id = OPT_ROWS}, {.id = OPT_HASH_BITS}, {.id = OPT_DATA}, {.id = OPT_EVAL_ROWS},
    {.id = OPT_KV, .def = "file:OUT/kv"},
    {.id = OPT_CALIBRATION},
    {.id = OPT_SLOTS}, {.id = OPT_BACKEND}, {.id = OPT_FUNCTION},
    {.id = OPT_OUT, .def = "results/runs/<time>-<workload>"},
    {.id = OPT_QUIET}, {.id = OPT_FAULTS}, {.id = OPT_RETRIES}, {.id = OPT_RETRY_DELAY},
    {.id = OPT_JOB}, {.id = OPT_KEEP},
    {.id = OPT_FORCE, .help = "start the job even when its id is taken in the store (a fresh "
                              "run deletes the owner's objects first; with --resume, takes the "
                              "job over from a coordinator that may still run)"},
    {.id = OPT_RESUME, .help = "continue the run whose --out was DIR from its last completed "
                               "epoch, as the same job (after a kill: its arguments, job id and "
                               "KV store are the ones it recorded in DIR/run.json); nothing "
                               "else may be given but --force"},
    {.id = OPT_HELP},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mpirun -n N siren run --workload W --scheduler SPEC [options]\n"
            "       mpirun -n N siren run --resume DIR [--force]\n\n"
            "Trains W with emulated serverless functions, epoch by epoch (HSP: asynchronous\n"
            "inside an epoch, a barrier between epochs), on the deterministic virtual clock.\n"
            "Rank 0 is the client; every other rank hosts function sandboxes (with -n 1, rank 0\n"
            "hosts them). Writes summary.json, epochs.csv and trace.h5 into --out.\n\n"
            "Many jobs may share one --kv store: each keeps its objects under jobs/ID/ (--job;\n"
            "by default a fresh id, recorded in OUT/run.json) and refuses an id in use. The\n"
            "staged data is shared by the jobs that stage the same bytes. A job that ends\n"
            "well deletes its objects unless --keep; siren kv gc removes what dead jobs left.\n\n");
    opt_help_write(f, run_opts, CMD_COUNT(run_opts));
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

/* DIR/run.json: the arguments of the run (argv[1..]), its directory, --out and job id, so that
 * --resume DIR runs it again exactly, as the same job. Written atomically before the job
 * starts. */
static int record_run(const char *out, const char *job, int argc, char **argv, struct err *e)
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
    cJSON_AddStringToObject(r, "job", job);
    snprintf(path, sizeof path, "%s/run.json", out);
    rc = json_write_file(path, r, e);
    cJSON_Delete(r);
    return rc;
}

/* Reads DIR/run.json back: *args gets {"run", recorded arguments...} (free the array and
 * the strings with free_args), *cwd the run's directory, *out its --out and *job its job id
 * (NULL from a run.json older than job ids: its --job, or a fresh id). */
static int load_run(const char *dir, int *argc, char ***args, char **cwd, char **out,
                    char **job, struct err *e)
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
    const cJSON *jb = cJSON_GetObjectItemCaseSensitive(r, "job");
    *job = cJSON_IsString(jb) ? strdup(jb->valuestring) : NULL;
out:
    cJSON_Delete(r);
    return rc;
}

static void free_args(int argc, char **args)
{
    for (int i = 0; args && i < argc; i++) free(args[i]);
    free(args);
}

/* What the command line asks of a run. */
struct run_request {
    struct job_config cfg;
    const char *spec, *out;
    long long max_epochs;
    struct fault_config faults;
    int faults_given, update_given;
};

/* Stores one option of siren run (opt_parse's handler). */
static int run_opt(void *ctx, const struct opt_value *v, struct err *e)
{
    struct run_request *r = ctx;
    struct job_config *c = &r->cfg;
    if (cmd_workload_opt(v, &c->wopts)) return SIREN_OK;
    switch (v->id) {
    case OPT_WORKLOAD: c->workload = v->text; break;
    case OPT_SCHEDULER: r->spec = v->text; break;
    case OPT_SYNC:
        if (plan_sync_parse(v->text, &c->sync, &c->staleness, e)) return err_prefix(e, "--sync");
        break;
    case OPT_UPDATE:
        r->update_given = 1;
        if (plan_update_parse(v->text, &c->update, &c->round_batches, e))
            return err_prefix(e, "--update");
        break;
    case OPT_LR_SCALE: return lr_rule_parse(v->text, &c->lr_rule, e);
    case OPT_FETCH: c->fetch = v->i ? PLAN_FETCH_BATCH : PLAN_FETCH_SHARE; break;
    case OPT_CLOCK: c->wall_clock = v->i == 1; break;
    case OPT_PLATFORM: c->platform = v->text; break;
    case OPT_LATENCY: c->fixed_latency = v->i == 1; break;
    case OPT_CHANNEL: c->channel = (enum channel_kind)v->i; break;
    case OPT_CONCURRENCY: c->concurrency = (int)v->i; break;
    case OPT_BUDGET: c->budget_usd = v->d; break;
    case OPT_TARGET_LOSS: c->target_loss = v->d; break;
    case OPT_MAX_EPOCHS: r->max_epochs = v->i; break;
    case OPT_KV: c->kv_url = v->text; break;
    case OPT_CALIBRATION: c->calibration = v->text; break;
    case OPT_OUT: r->out = v->text; break;
    case OPT_EVAL_ROWS: c->eval_rows = (size_t)v->i; break;
    case OPT_SLOTS: c->slots = (int)v->i; break;
    case OPT_ON_TIMEOUT: c->on_timeout = v->i ? PLAN_TIMEOUT_FAIL : PLAN_TIMEOUT_CONTINUE; break;
    case OPT_QUIET: c->quiet = 1; break;
    case OPT_BACKEND: c->backend = v->text; break;
    case OPT_FUNCTION: c->backend_target = v->text; break;
    case OPT_FAULTS:
        r->faults_given = 1;
        return fault_config_parse(v->text, &r->faults, e);
    case OPT_RETRIES: r->faults.retries = (int)v->i; break;
    case OPT_RETRY_DELAY: r->faults.retry_delay_s = v->d; break;
    case OPT_JOB: c->job_id = v->text; break;
    case OPT_KEEP: c->keep = 1; break;
    case OPT_FORCE: c->force = 1; break;
    case OPT_RESUME:
        return err_set(e, SIREN_EUSAGE, "--resume DIR takes nothing else but --force: the "
                       "run's arguments come from DIR/run.json");
    case OPT_HELP: usage(stdout); return OPT_DONE;
    default: break;
    }
    return SIREN_OK;
}

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

/* Rank 0's real seconds per phase of the command (after the process started), for
 * wall.json: what a user waits for besides the epochs. */
struct run_wall {
    double mpi_init_s, open_s, epochs_s, finish_s, close_s;
    struct job_wall job; /* inside open: load and stage; inside the epochs: evaluation */
};

/* OUT/wall.json; a failure to write it is only reported (it is no result). */
static void run_wall_write(const char *out, const struct run_wall *w, double total_s)
{
    cJSON *o = cJSON_CreateObject();
    const struct { const char *key; double v; } rows[] = {
        {"mpi_init_s", w->mpi_init_s}, {"open_s", w->open_s},
        {"load_s", w->job.load_s},     {"stage_s", w->job.stage_s},
        {"epochs_s", w->epochs_s},     {"evaluate_s", w->job.evaluate_s},
        {"finish_s", w->finish_s},     {"close_s", w->close_s},
        {"total_s", total_s},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        cJSON_AddNumberToObject(o, rows[i].key, rows[i].v);
    char path[1200];
    struct err e;
    snprintf(path, sizeof path, "%s/wall.json", out);
    if (json_write_file(path, o, &e)) LOG_WARN("run", "%s", e.msg);
    cJSON_Delete(o);
}

/* The run itself: argv as given (or as recorded, when resume), out and the job id forced
 * when resuming (job: NULL for a fresh id), force added by --resume DIR --force. */
static int run_args(int argc, char **argv, int resume, const char *resume_out,
                    const char *resume_job, int force)
{
    struct run_request req = {.cfg.workload = "lenet-fashion", .max_epochs = 10};
    struct err e;
    fault_config_init(&req.faults);
    if (lr_rule_parse("auto", &req.cfg.lr_rule, &e)) return opt_usage_error("run", "%s", e.msg);
    int rc = opt_parse("run", run_opts, CMD_COUNT(run_opts), argc, argv, run_opt, &req, NULL);
    if (rc != OPT_GO_ON) return rc;
    struct job_config cfg = req.cfg;
    const char *spec = req.spec, *out = req.out;
    int faults_given = req.faults_given;
    /* The workload first: a misspelt one is the first thing a new user gets wrong. */
    if (!workload_find(cfg.workload)) return cmd_unknown_workload("run", cfg.workload);
    if (!spec) return opt_usage_error("run", "--scheduler is required (e.g. static:n=10,m=1024)");
    if (cfg.backend && !strcmp(cfg.backend, "lambda")) {
        /* Real functions cannot be held to a planned timeline: the wall clock measures them. */
        if (!cfg.wall_clock || !cfg.backend_target || !cfg.kv_url || strncmp(cfg.kv_url, "s3://", 5))
            return opt_usage_error("run", "--backend lambda needs --clock wall, --function F and "
                                   "an s3:// --kv that the functions can reach");
        lambda_backend_register();
    }
    s3_kv_register(); /* rank 0 stages data in, and evaluates from, an s3:// store too */
    if (cfg.wall_clock && cfg.sync != PLAN_SYNC_HSP)
        return opt_usage_error("run", "--clock wall runs HSP only (no planned barriers)");
    /* HSP's default is the rule under which every function's work counts; the other modes
     * plan the lock-free steps. */
    if (!req.update_given) cfg.update = cfg.sync == PLAN_SYNC_HSP ? PLAN_UPDATE_AVERAGE
                                                                 : PLAN_UPDATE_OVERWRITE;
    if (plan_update_in_rounds(cfg.update)) {
        char rule[32];
        plan_update_format(cfg.update, cfg.round_batches, rule, sizeof rule);
        if (cfg.sync != PLAN_SYNC_HSP)
            return opt_usage_error("run", "--update %s runs inside HSP epochs (its rounds are "
                                   "its synchronisation): use --sync hsp, or overwrite or apply "
                                   "with bsp, ssp and asp", rule);
        if (req.faults_given && (req.faults.kv_error_p > 0 || req.faults.throttle))
            return opt_usage_error("run", "--faults: --update %s models crash and straggler; "
                                   "kv-error and throttle are modelled for the step rules "
                                   "(overwrite, apply)", rule);
    }
    int asp = cfg.sync == PLAN_SYNC_ASP;
    if (asp && strncmp(spec, "static:", 7))
        return opt_usage_error("run", "--sync asp needs --scheduler static:n=N,m=MB, not '%s': with "
                               "no barrier there is no point at which a scheduler could change "
                               "n and m", spec);
    if (asp && faults_given)
        return opt_usage_error("run", "--faults is not modelled across the passes of --sync asp");
    if (asp && resume)
        return opt_usage_error("run", "--resume: an asp run is one plan and keeps no "
                               "checkpoints: it cannot be resumed");
    if (faults_given) {
        /* Faults are laid into the planned timeline; the wall clock plans nothing, and BSP's
         * rounds have no retry model. */
        if (cfg.wall_clock || cfg.sync == PLAN_SYNC_BSP)
            return opt_usage_error("run", "--faults needs the virtual clock and --sync hsp or ssp");
        cfg.faults = &req.faults;
    }
    if (cfg.job_id && store_job_id_check(cfg.job_id, &e))
        return opt_usage_error("run", "--job: %s", e.msg);
    if (resume && resume_job) cfg.job_id = resume_job;
    if (force) cfg.force = 1;
    /* A fresh id is drawn here, once, so that run.json records it for --resume. */
    char fresh_id[STORE_JOB_ID_MAX + 1];
    if (!cfg.job_id) {
        store_job_id_new(fresh_id);
        cfg.job_id = fresh_id;
    }
    if (resume) out = resume_out;
    if (!out) out = cmd_default_run_dir("", cfg.workload);
    cfg.out_dir = out;
    cfg.scheduler = spec;
    cfg.resume = resume;
    cfg.config_hash = args_hash(argc - 1, argv + 1);
    struct sched_policy *pol = NULL;
    if (sched_open(spec, &pol, &e)) return opt_usage_error("run", "%s", e.msg);

    double t_start = clock_mono_s();
    int rank = job_mpi_init(&argc, &argv);
    struct run_wall wall = {.mpi_init_s = clock_mono_s() - t_start};
    log_set_rank(rank);
    if (rank != 0) log_set_level(LOG_LEVEL_WARN);
    struct job *j = NULL;
    rc = SIREN_OK;
    /* Every rank waits for run.json: a rank that failed to record it takes the job down. */
    if (rank == 0 && !resume) rc = record_run(out, cfg.job_id, argc, argv, &e);
    int bad = rc != SIREN_OK, any = 0;
    MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any && !rc) rc = err_set(&e, SIREN_EMPI, "rank 0 could not record the run");
    double t = clock_mono_s();
    if (!rc) rc = job_open(&cfg, &j, &e);
    wall.open_s = clock_mono_s() - t;
    if (!rc) {
        if (rank == 0) {
            struct sched_action a;
            if (!asp) {
                struct sched_target target = {j, job_epochs_done(j), job_last_report(j),
                                              job_max_functions(j), target_memory_clip_mb,
                                              target_run_epoch};
                rc = sched_drive(pol, &target, (int)req.max_epochs, cfg.budget_usd, NULL, &e);
            }
            else if (!(rc = sched_next(pol, NULL, &a, &e)))
                rc = job_run_asp(j, a.n, a.memory_mb, (int)req.max_epochs, cfg.budget_usd, &e);
            struct err fe;
            wall.epochs_s = clock_mono_s() - t - wall.open_s;
            job_wall_get(j, &wall.job);
            t = clock_mono_s();
            int frc = job_finish(j, &fe);
            /* A run that failed keeps its objects, for --resume. */
            if (!rc && !frc) frc = job_release(j, NULL, &fe);
            wall.finish_s = clock_mono_s() - t;
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
    /* Alone, the rank just ends (MPI_Abort would add OpenMPI's notice to siren's message);
     * with others, it takes down the ranks that may still wait for it. */
    int ranks = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    if (rc && rank == 0 && ranks > 1) MPI_Abort(MPI_COMM_WORLD, 1);
    t = clock_mono_s();
    job_mpi_finalize();
    wall.close_s = clock_mono_s() - t;
    if (!rc && rank == 0) run_wall_write(out, &wall, clock_mono_s() - t_start);
    return rc ? 1 : 0;
}

int cmd_run(int argc, char **argv)
{
    /* --resume DIR (and --force at most): the recorded arguments, run from the recorded
     * directory as the recorded job. */
    const char *dir = NULL;
    int force = 0, other = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--resume")) dir = i + 1 < argc ? argv[++i] : "";
        else if (!strncmp(argv[i], "--resume=", 9)) dir = argv[i] + 9;
        else if (!strcmp(argv[i], "--force")) force = 1;
        else other = 1;
    }
    if (!dir) return run_args(argc, argv, 0, NULL, NULL, 0);
    if (other || !*dir)
        return opt_usage_error("run", "--resume DIR takes nothing else but --force: the run's "
                               "arguments come from DIR/run.json");
    int rargc = 0, rc;
    char **rargv = NULL, *cwd = NULL, *out = NULL, *job = NULL;
    struct err e;
    if (load_run(dir, &rargc, &rargv, &cwd, &out, &job, &e)) {
        rc = opt_usage_error("run", "--resume: %s", e.msg);
    } else if (chdir(cwd)) {
        rc = opt_usage_error("run", "--resume: cannot enter the run's directory %s: %s", cwd,
                             strerror(errno));
    } else {
        rc = run_args(rargc, rargv, 1, out, job, force);
    }
    free_args(rargc, rargv);
    free(cwd);
    free(out);
    free(job);
    return rc;
}

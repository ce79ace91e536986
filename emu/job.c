/*
 * The emulated job (see job.h): opening it on every rank, finishing and closing it. Rank 0
 * turns each epoch's plan into per-rank task lists (job_epoch.c); the ranks run their tasks in
 * the plan's run order, which cannot deadlock (planner.h), and send back what happened
 * (job_invoker.c, job_wire.c); rank 0 records the epoch (job_record.c) and commits it with a
 * checkpoint (job_ckpt.c). job_internal.h says which room holds what.
 */
#include "job_internal.h"

#include "handler.h"
#include "sandbox.h"

#include <sched.h> /* cpu_set_t, used by cblas.h */
#include <cblas.h>
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

int job_mpi_init(int *argc, char ***argv)
{
    int inited, provided, rank;
    MPI_Initialized(&inited);
    if (!inited) MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

void job_mpi_finalize(void)
{
    int fin;
    MPI_Finalized(&fin);
    if (!fin) MPI_Finalize();
}

void job_config_init(struct job_config *c)
{
    memset(c, 0, sizeof *c);
    c->sync = PLAN_SYNC_HSP;
    c->update = PLAN_UPDATE_AVERAGE;
    c->fetch = PLAN_FETCH_SHARE;
    c->lr_rule = (struct lr_rule){LR_SCALE_AUTO, LR_RULE_WARMUP_EPOCHS};
}

int job_rank(const struct job *j) { return j->rank; }
int job_evaluate(struct job *j, struct workload_eval *out, struct err *e)
{
    struct job_coord *c = j->coord;
    double t = clock_mono_s();
    int rc = workload_evaluate(c->w, c->eval_model, 1, j->cfg.eval_rows, out, e);
    c->wall.evaluate_s += clock_mono_s() - t;
    return rc;
}

void job_wall_get(const struct job *j, struct job_wall *out)
{
    *out = j->coord ? j->coord->wall : (struct job_wall){0};
}
int job_memory_clip_mb(const struct job *j, int memory_mb)
{
    return platform_memory_clip_mb(&j->platform, memory_mb);
}
int job_max_functions(const struct job *j)
{
    size_t lim = (size_t)j->platform.concurrency_limit;
    size_t nb = j->coord ? j->coord->n_batches : 0;
    return (int)(nb < lim ? nb : lim);
}
double job_target_loss(const struct job *j) { return j->cfg.target_loss; }
const char *job_id(const struct job *j) { return j->job_id; }

int job_epochs_done(const struct job *j) { return j->coord ? j->coord->progress.epoch : 0; }
const struct epoch_report *job_last_report(const struct job *j)
{
    return j->coord && j->coord->progress.epoch > 0 ? &j->coord->progress.last : NULL;
}

const char *job_update_name(enum plan_update u)
{
    return u == PLAN_UPDATE_APPLY ? "apply" : "overwrite";
}

/* ------------------------------------------------------------------------ opening */

/* Rank 0's workload, calibration, run directory, store, evaluation model, ledger and trace. */
static int coord_load(struct job *j, struct err *e)
{
    struct job_coord *c = j->coord;
    /* Rank 0 evaluates the parameters with one OpenBLAS thread, as every function computes:
     * sgemm's rounding depends on how many threads share it, and by default that number
     * follows the CPUs mpirun binds the rank to (one core each up to 2 ranks, more beyond),
     * so losses would otherwise change with -n. */
    openblas_set_num_threads(1);
    int rc = workload_open(j->cfg.workload, &j->cfg.wopts, &c->w, e);
    if (rc) return rc;
    if (j->cfg.target_loss <= 0) j->cfg.target_loss = c->w->info.target_loss;
    lr_rule_resolve(&j->cfg.lr_rule, (int)c->w->optim_cfg.kind);
    if ((rc = calibration_load(j->calibration_path, j->cfg.workload, &c->cal, e))) return rc;
    if ((rc = fs_mkdir_p(j->out_dir, e))) return rc;
    if ((rc = kv_open(j->kv_url, &c->kv, e))) return rc;
    if ((rc = kn_model_create(&c->w->model_cfg, &c->eval_model, e))) return rc;
    ledger_init(&c->progress.ledger, &j->platform);
    trace_init(&c->trace);
    c->progress.time_to_target_s = (double)NAN;
    c->faults.seed = c->w->opts.seed;
    return SIREN_OK;
}

/* Claims the run, then starts it afresh (forgetting an earlier run's checkpoints) or restores
 * the newest checkpoint; *rows gets the resumed epochs' epochs.csv rows. Either way the only
 * parameters kept are the next epoch's version 0: versions of an epoch cut short are written
 * again, bit for bit, when it reruns. */
static int coord_start(struct job *j, char **rows, struct err *e)
{
    struct job_coord *c = j->coord;
    struct job_progress *prog = &c->progress;
    char prefix[STORE_KEY_MAX], keep[STORE_KEY_MAX], all[STORE_KEY_MAX];
    int rc = job_owner_claim(j, e);
    if (rc) return rc;
    rc = j->cfg.resume ? job_ckpt_restore(j, rows, e) : job_ckpt_clear(j, e);
    job_key_params(j, prefix, sizeof prefix, prog->epoch + 1);
    store_key_params_all(all, sizeof all, j->job_id);
    fn_version_key(prefix, j->cfg.wall_clock ? FN_CURRENT : 0, 0, keep, sizeof keep);
    if (!rc) rc = job_kv_delete_prefix(j, all, prog->epoch > 0 ? keep : NULL, e);
    if (!rc) rc = job_stage(j, prog->epoch == 0, e);
    if (!rc && prog->epoch > 0) {
        struct kv_value v;
        if ((rc = kv_get(c->kv, keep, &v)))
            rc = err_set(e, rc, "resume: the checkpoint of epoch %d is there but not the "
                         "parameters epoch %d starts from: %s", prog->epoch, prog->epoch + 1,
                         kv_errmsg(c->kv));
        kv_value_free(&v);
    }
    return rc;
}

static int coord_open(struct job *j, const struct job_config *cfg, struct err *e)
{
    struct job_coord *c = calloc(1, sizeof *c);
    if (!c) return err_set(e, SIREN_ENOMEM, "out of memory");
    j->coord = c;
    if (cfg->faults) {
        c->faults = *cfg->faults;
        c->faults_on = 1;
        j->cfg.faults = &c->faults;
    }
    char *rows = NULL;
    double t0 = clock_mono_s();
    int rc = coord_load(j, e);
    double t1 = clock_mono_s();
    if (!rc) rc = coord_start(j, &rows, e);
    c->wall.load_s = t1 - t0;
    c->wall.stage_s = clock_mono_s() - t1;
    if (!rc) rc = job_epochs_csv_open(j, rows, e);
    free(rows);
    if (rc) return rc;
    const struct job_progress *prog = &c->progress;
    if (prog->epoch > 0)
        LOG_INFO("run", "resumed after epoch %d (total %.2f s, $%.6f)", prog->epoch,
                 prog->total_time_s, prog->total_cost_usd);
    return SIREN_OK;
}

int job_open(const struct job_config *cfg, struct job **out, struct err *e)
{
    *out = NULL;
    struct job *j = calloc(1, sizeof *j);
    if (!j) return err_set(e, SIREN_ENOMEM, "out of memory");
    j->cfg = *cfg;
    MPI_Comm_rank(MPI_COMM_WORLD, &j->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &j->size);
    snprintf(j->out_dir, sizeof j->out_dir, "%s", cfg->out_dir);
    if (cfg->kv_url) snprintf(j->kv_url, sizeof j->kv_url, "%s", cfg->kv_url);
    else snprintf(j->kv_url, sizeof j->kv_url, "file:%s/kv", cfg->out_dir);
    snprintf(j->platform_name, sizeof j->platform_name, "%s",
             cfg->platform ? cfg->platform : "lambda-2019");
    snprintf(j->calibration_path, sizeof j->calibration_path, "%s",
             cfg->calibration ? cfg->calibration : calibration_reference_path());
    snprintf(j->scheduler, sizeof j->scheduler, "%s", cfg->scheduler ? cfg->scheduler : "?");
    snprintf(j->backend, sizeof j->backend, "%s", cfg->backend ? cfg->backend : "sandbox");
    snprintf(j->backend_target, sizeof j->backend_target, "%s",
             cfg->backend_target ? cfg->backend_target : "");
    j->cfg.backend = j->backend;
    j->cfg.backend_target = j->backend_target;
    j->cfg.faults = NULL; /* rank 0's copy, below */
    j->cfg.out_dir = j->out_dir;
    j->cfg.kv_url = j->kv_url;
    j->cfg.platform = j->platform_name;
    j->cfg.calibration = j->calibration_path;
    j->cfg.scheduler = j->scheduler;
    j->cfg.job_id = NULL; /* rank 0's, below */

    int rc = SIREN_OK;
    if (j->rank == 0) {
        if (cfg->job_id) snprintf(j->job_id, sizeof j->job_id, "%s", cfg->job_id);
        else store_job_id_new(j->job_id);
        rc = store_job_id_check(cfg->job_id ? cfg->job_id : j->job_id, e);
        j->cfg.job_id = j->job_id;
    }

    if (!rc) rc = platform_load(j->platform_name, &j->platform, e);
    if (!rc && cfg->concurrency > 0) j->platform.concurrency_limit = cfg->concurrency;
    if (!rc && j->rank == 0) rc = coord_open(j, cfg, e);
    if (!rc && (j->rank > 0 || j->size == 1)) rc = job_pools_open(j, e);
    /* Everyone learns whether everyone opened. */
    int mine = rc ? 1 : 0, any = 0;
    MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any) {
        if (!rc) rc = err_set(e, SIREN_EMPI, "another rank failed to open the job (see rank 0)");
        job_close(j);
        return rc;
    }
    *out = j;
    return SIREN_OK;
}

/* ---------------------------------------------------------------------- the end */

int job_finish(struct job *j, struct err *e)
{
    struct job_coord *c = j->coord;
    /* Release the invokers; one that cannot be told has gone already. */
    for (int k = 1; k < j->size; k++) {
        struct err ignore;
        if (job_msg_send("stop", k, TAG_STOP, &ignore))
            LOG_DEBUG("job", "rank %d: %s", k, ignore.msg);
    }
    if (c->epochs_csv) {
        fclose(c->epochs_csv);
        c->epochs_csv = NULL;
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/trace.h5", j->out_dir);
    int rc = trace_write_h5(&c->trace, path, e);
    if (rc) return rc;
    return job_summary_write(j, e);
}

static void coord_close(struct job_coord *c)
{
    if (!c) return;
    if (c->epochs_csv) fclose(c->epochs_csv);
    kn_model_free(c->eval_model);
    kv_close(c->kv);
    workload_close(c->w);
    trace_free(&c->trace);
    free(c->batch_rows);
    free(c);
}

void job_close(struct job *j)
{
    if (!j) return;
    coord_close(j->coord);
    for (int k = 0; k < j->n_pools; k++) sandbox_pool_close(j->pools[k]);
    free(j->pools);
    free(j);
}

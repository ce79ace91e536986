/*
 * The emulated job (see job.h). Rank 0 turns each epoch's plan into per-rank task lists (one
 * task = one mini-batch step of one function, run as one event of the training handler); the
 * ranks run their tasks in the plan's run order, which cannot deadlock (planner.h), and send
 * back what happened. Messages are JSON text over MPI point-to-point.
 */
#include "job.h"

#include "calibration.h"
#include "epoch_model.h"
#include "handler.h"
#include "kv.h"
#include "ledger.h"
#include "platform.h"
#include "sandbox.h"
#include "shard.h"
#include "staging.h"
#include "streams.h"
#include "trace.h"

#include <sched.h> /* cpu_set_t, used by cblas.h */
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <mpi.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { TAG_TASKS = 71, TAG_RESULTS = 72, TAG_STOP = 73 };

/* How long a step may wait for a version another function writes, in real time. */
#define JOB_WAIT_MS 600000.0

/* The version a planned crash's event names as its write: no step ever reads it, so the
 * failure marker its sandbox's failure leaves (run_tasks marks a failed task's version) stands
 * in nobody's way. */
#define JOB_FAULT_VERSION 99999999

struct job {
    struct job_config cfg;
    int rank, size;
    char out_dir[1024], kv_url[1100], platform_name[1100], calibration_path[1100];
    char backend[64], backend_target[1024];
    char scheduler[256];
    struct platform platform;

    /* Rank 0 only. */
    struct workload *w;
    struct calibration_entry cal;
    struct kv *kv;
    struct ledger ledger;
    struct trace trace;
    struct kn_model *eval_model;
    uint32_t *batch_rows; /* rows of each staged mini-batch */
    size_t n_batches;
    double shard_bytes_per_sample, param_bytes;
    int prev_n, prev_memory_mb, epoch, peak_functions;
    double total_time_s, total_cost_usd, time_to_target_s;
    int reached_target, invocations, failed_invocations;
    struct epoch_report last;
    FILE *epochs_csv;
    /* Faults (faults_on only) and their counts over the job, in the fault fields of ftot. */
    struct fault_config faults;
    int faults_on;
    struct epoch_report ftot;
    char owner[128]; /* this coordinator's token under CKPT_OWNER */

    /* Every rank: its sandboxes, one pool per thread that runs functions at once. */
    struct sandbox_pool **pools;
    int n_pools, slots;
};

static const struct job_backend *backends[8];
static int n_backends;

int job_backend_register(const struct job_backend *b)
{
    const struct job_backend *taken = NULL;
    for (int i = 0; i < n_backends; i++)
        if (!strcmp(backends[i]->name, b->name)) taken = backends[i];
    int rc = registry_admit(taken, b, n_backends, 8, "job", "job backend", b->name);
    if (rc == SIREN_OK) backends[n_backends++] = b;
    return rc == REGISTRY_PRESENT ? SIREN_OK : rc;
}

static const struct job_backend *backend_find(const char *name)
{
    for (int i = 0; i < n_backends; i++)
        if (!strcmp(backends[i]->name, name)) return backends[i];
    return NULL;
}

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

int job_rank(const struct job *j) { return j->rank; }
int job_memory_clip_mb(const struct job *j, int memory_mb)
{
    return platform_memory_clip_mb(&j->platform, memory_mb);
}
int job_max_functions(const struct job *j)
{
    size_t lim = (size_t)j->platform.concurrency_limit;
    return (int)(j->n_batches < lim ? j->n_batches : lim);
}
double job_target_loss(const struct job *j) { return j->cfg.target_loss; }

static const char *sync_name(enum plan_sync s)
{
    switch (s) {
    case PLAN_SYNC_HSP: return "hsp";
    case PLAN_SYNC_BSP: return "bsp";
    case PLAN_SYNC_ASP: return "asp";
    case PLAN_SYNC_SSP: return "ssp";
    }
    return "?";
}

/* ------------------------------------------------------------------ MPI text messages */

static int send_text(const char *text, int dest, int tag, struct err *e)
{
    int len = (int)strlen(text) + 1;
    if (MPI_Send(text, len, MPI_CHAR, dest, tag, MPI_COMM_WORLD) != MPI_SUCCESS)
        return err_set(e, SIREN_EMPI, "MPI_Send to rank %d failed", dest);
    return SIREN_OK;
}

/* Receives a text message from src (MPI_ANY_SOURCE allowed); *tag gets its tag. Caller owns
 * *out (free()). */
static int recv_text(int src, int *tag, int *from, char **out, struct err *e)
{
    MPI_Status st;
    int count, ready = 0;
    *out = NULL;
    /* Poll politely: a blocking MPI_Probe spins on a core that the functions need (a waiting
     * rank shares the host with the sandboxes). Back off from 50 us to 2 ms between probes. */
    for (long pause_ns = 50000; !ready;) {
        if (MPI_Iprobe(src, MPI_ANY_TAG, MPI_COMM_WORLD, &ready, &st) != MPI_SUCCESS)
            return err_set(e, SIREN_EMPI, "MPI_Iprobe failed");
        if (ready) break;
        struct timespec ts = {0, pause_ns};
        nanosleep(&ts, NULL);
        if (pause_ns < 2000000) pause_ns *= 2;
    }
    if (MPI_Get_count(&st, MPI_CHAR, &count) != MPI_SUCCESS)
        return err_set(e, SIREN_EMPI, "MPI_Get_count failed");
    char *buf = malloc((size_t)count + 1);
    if (!buf) return err_set(e, SIREN_ENOMEM, "out of memory for a %d-byte message", count);
    if (MPI_Recv(buf, count, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE) != MPI_SUCCESS) {
        free(buf);
        return err_set(e, SIREN_EMPI, "MPI_Recv from rank %d failed", st.MPI_SOURCE);
    }
    buf[count] = '\0';
    *tag = st.MPI_TAG;
    *from = st.MPI_SOURCE;
    *out = buf;
    return SIREN_OK;
}

/* ------------------------------------------------------------------- running tasks */

/* What one step of a task gave. */
struct step_result {
    double loss;
    double op_ms[5]; /* data GET, parameter GET, compute, base GET, PUT (measured inside) */
    int64_t read_got, base_got;
};

/* One invocation of one function, as an invoker runs it: one step under the virtual clock
 * (steps run in the plan's order), all of the function's steps under the wall clock. */
struct task {
    int fn, first_step, n_steps;
    int prev;           /* index of the same function's previous task here, or -1 */
    cJSON *event;       /* the whole event (template + function + steps) */
    char fail_key[256]; /* what its failure marks failed: its (first) version or gradient */
    /* Filled when it ran: */
    int done, ok, cold;
    double wall_ms, peak_mb, init_ms;
    double run_ms;           /* the function's own duration (Lambda's REPORT, or the sandbox's) */
    double start_ms, end_ms; /* from the rank's receipt of the epoch (wall clock) */
    struct step_result *steps; /* (n_steps) */
    char error[96];
};

struct task_run {
    struct job *j;
    struct task *tasks;
    int n;
    int next;
    int memory_mb, timeout_ms, mem_method, wall;
    const struct job_backend *backend; /* NULL: local sandboxes */
    const char *backend_target;
    double t0; /* when the rank received the epoch */
    const char *params_prefix;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct kv *kv; /* for failure markers; guarded by mu */
};

/* Marks a version (or a BSP gradient) failed so that readers fall back to the newest earlier
 * version (or leave the gradient out) instead of waiting for it. */
static void mark_failed(struct task_run *r, const char *what)
{
    char key[1200];
    snprintf(key, sizeof key, "%s-failed", what);
    if (kv_put(r->kv, key, "failed", 6))
        LOG_ERROR("job", "cannot mark %s failed: %s", what, kv_errmsg(r->kv));
}

static const char *const op_names[5] = {"data_get_ms", "param_get_ms", "compute_ms",
                                         "base_get_ms", "put_ms"};

static void run_one(struct task_run *r, struct sandbox_pool *pool, struct task *t)
{
    struct sandbox_opts so;
    sandbox_opts_init(&so);
    so.mem_limit_mb = r->memory_mb;
    so.timeout_ms = r->timeout_ms;
    so.mem_method = (enum sandbox_mem_method)r->mem_method;
    struct sandbox_result res;
    struct err e;
    t->start_ms = (clock_mono_s() - r->t0) * 1e3;
    int rc = r->backend ? r->backend->invoke(r->backend_target, r->memory_mb, r->timeout_ms,
                                             t->event, &res, &e)
                        : sandbox_pool_invoke(pool, &so, "train", t->event, &res, &e);
    t->end_ms = (clock_mono_s() - r->t0) * 1e3;
    t->wall_ms = t->end_ms - t->start_ms;
    if (rc) {
        snprintf(t->error, sizeof t->error, "Sandbox.Error: %s", e.msg);
    } else if (res.status != SANDBOX_OK) {
        snprintf(t->error, sizeof t->error, "%s: %s", res.error_type, res.error_msg);
    } else {
        const cJSON *steps = cJSON_GetObjectItemCaseSensitive(res.response, "steps");
        int ok = cJSON_GetArraySize(steps) == t->n_steps;
        for (int k = 0; ok && k < t->n_steps; k++) {
            const cJSON *s = cJSON_GetArrayItem(steps, k);
            const cJSON *loss = cJSON_GetObjectItemCaseSensitive(s, "loss");
            const cJSON *rd = cJSON_GetObjectItemCaseSensitive(s, "read");
            const cJSON *bs = cJSON_GetObjectItemCaseSensitive(s, "base");
            struct step_result *sr = &t->steps[k];
            for (int q = 0; q < 5; q++) {
                const cJSON *ms = cJSON_GetObjectItemCaseSensitive(s, op_names[q]);
                sr->op_ms[q] = cJSON_IsNumber(ms) ? ms->valuedouble : 0.0;
            }
            ok = cJSON_IsNumber(loss) && cJSON_IsNumber(rd);
            if (!ok) break;
            sr->loss = loss->valuedouble;
            sr->read_got = (int64_t)rd->valuedouble;
            sr->base_got = cJSON_IsNumber(bs) ? (int64_t)bs->valuedouble : -1;
        }
        t->ok = ok;
        if (!ok) snprintf(t->error, sizeof t->error, "Runtime.InvalidResponse: no step results");
    }
    t->cold = res.cold;
    t->init_ms = res.init_ms;
    t->run_ms = res.duration_ms;
    t->peak_mb = res.peak_mb;
    sandbox_result_free(&res);
}

struct worker_arg {
    struct task_run *r;
    struct sandbox_pool *pool;
    int only; /* wall clock: the one task this thread runs; else -1 (take them in order) */
};

static void *task_worker(void *arg)
{
    struct worker_arg *a = arg;
    struct task_run *r = a->r;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        if (a->only < 0 ? r->next >= r->n : a->only >= r->n) {
            pthread_mutex_unlock(&r->mu);
            return NULL;
        }
        struct task *t = a->only < 0 ? &r->tasks[r->next++] : &r->tasks[a->only];
        a->only = a->only < 0 ? -1 : r->n; /* a wall-clock thread runs one task */
        /* A function's steps run one after another, as in its container. */
        while (t->prev >= 0 && !r->tasks[t->prev].done) pthread_cond_wait(&r->cv, &r->mu);
        int dead = t->prev >= 0 && !r->tasks[t->prev].ok;
        pthread_mutex_unlock(&r->mu);
        if (dead) snprintf(t->error, sizeof t->error, "Skipped: the function died earlier");
        else run_one(r, a->pool, t);
        pthread_mutex_lock(&r->mu);
        if (!t->ok && !r->wall) mark_failed(r, t->fail_key);
        t->done = 1;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
}

/* One pool of warm sandboxes per thread that may run at once; grown on demand. */
static int ensure_pools(struct job *j, int want, struct err *e)
{
    if (want <= j->n_pools) return SIREN_OK;
    struct sandbox_pool **p = realloc(j->pools, (size_t)want * sizeof *p);
    if (!p) return err_set(e, SIREN_ENOMEM, "out of memory");
    j->pools = p;
    for (; j->n_pools < want; j->n_pools++) {
        int rc = sandbox_pool_open(4, &j->pools[j->n_pools], e);
        if (rc) return rc;
    }
    return SIREN_OK;
}

/* Runs the tasks of one epoch message; returns the results message. Caller owns *out. */
static int run_tasks(struct job *j, const char *msg, char **out, struct err *e)
{
    cJSON *root = NULL, *res = NULL;
    struct task_run r = {0};
    r.t0 = clock_mono_s();
    int rc = json_parse(msg, strlen(msg), "epoch message", &root, e);
    if (rc) return rc;
    const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(root, "template");
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(root, "tasks");
    const cJSON *pref = cJSON_GetObjectItemCaseSensitive(tmpl, "params");
    const cJSON *kvu = cJSON_GetObjectItemCaseSensitive(tmpl, "kv");
    long long mem, tmo, wall;
    if ((rc = json_get_int(root, "memory_mb", "epoch message", &mem, e)) ||
        (rc = json_get_int(root, "timeout_ms", "epoch message", &tmo, e)) ||
        (rc = json_get_int(root, "wall", "epoch message", &wall, e)))
        goto out;
    if (!cJSON_IsObject(tmpl) || !cJSON_IsArray(tasks) || !cJSON_IsString(pref) ||
        !cJSON_IsString(kvu)) {
        rc = err_set(e, SIREN_EFORMAT, "epoch message: missing template or tasks");
        goto out;
    }
    r.j = j;
    r.n = cJSON_GetArraySize(tasks);
    r.memory_mb = (int)mem;
    r.timeout_ms = (int)tmo;
    r.wall = (int)wall;
    r.params_prefix = pref->valuestring;
    r.mem_method = fn_memory_method_for(kvu->valuestring);
    if (j->cfg.backend && strcmp(j->cfg.backend, "sandbox")) {
        r.backend = backend_find(j->cfg.backend);
        r.backend_target = j->backend_target;
        if (!r.backend) {
            rc = err_set(e, SIREN_ENOTFOUND, "no function backend '%s'", j->cfg.backend);
            goto out;
        }
    }
    r.tasks = calloc((size_t)(r.n ? r.n : 1), sizeof *r.tasks);
    if (!r.tasks) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = kv_open(kvu->valuestring, &r.kv, e))) goto out;
    int i = 0;
    const cJSON *tk;
    cJSON_ArrayForEach(tk, tasks)
    {
        /* [fn, first step, [[data key, read, base, write, seed], ...]] */
        struct task *t = &r.tasks[i];
        const cJSON *fn = cJSON_GetArrayItem(tk, 0), *first = cJSON_GetArrayItem(tk, 1);
        const cJSON *list = cJSON_GetArrayItem(tk, 2);
        if (!cJSON_IsNumber(fn) || !cJSON_IsNumber(first) || !cJSON_IsArray(list) ||
            cJSON_GetArraySize(list) < 1) {
            rc = err_set(e, SIREN_EFORMAT, "epoch message: task %d is malformed", i);
            goto out;
        }
        t->fn = (int)fn->valuedouble;
        t->first_step = (int)first->valuedouble;
        t->n_steps = cJSON_GetArraySize(list);
        t->steps = calloc((size_t)t->n_steps, sizeof *t->steps);
        if (!t->steps) {
            rc = err_set(e, SIREN_ENOMEM, "out of memory");
            goto out;
        }
        t->prev = -1;
        for (int k = i - 1; k >= 0 && !r.wall; k--)
            if (r.tasks[k].fn == t->fn) {
                t->prev = k;
                break;
            }
        t->event = cJSON_Duplicate(tmpl, 1);
        const cJSON *lr = cJSON_GetArrayItem(tk, 3), *ep = cJSON_GetArrayItem(tk, 4);
        if (cJSON_IsNumber(lr) && cJSON_IsNumber(ep)) {
            /* An ASP step: its own pass's epoch and learning rate. */
            cJSON *opt = cJSON_GetObjectItemCaseSensitive(t->event, "optimizer");
            cJSON_ReplaceItemInObjectCaseSensitive(opt, "lr", cJSON_CreateNumber(lr->valuedouble));
            cJSON_ReplaceItemInObjectCaseSensitive(t->event, "epoch",
                                                   cJSON_CreateNumber(ep->valuedouble));
        }
        cJSON_AddNumberToObject(t->event, "function", t->fn);
        cJSON *steps = cJSON_AddArrayToObject(t->event, "steps");
        const cJSON *a;
        cJSON_ArrayForEach(a, list)
        {
            /* [data, read, base, write, seed] and, for BSP, a gradient key (a gradient step)
             * or the round's gradient keys (the leader's aggregation). */
            cJSON *s = cJSON_CreateObject();
            const cJSON *extra = cJSON_GetArrayItem(a, 5);
            cJSON_AddNumberToObject(s, "read", cJSON_GetArrayItem(a, 1)->valuedouble);
            if (cJSON_IsArray(extra)) {
                cJSON_AddItemToObject(s, "aggregate", cJSON_Duplicate(extra, 1));
                cJSON_AddNumberToObject(s, "write", cJSON_GetArrayItem(a, 3)->valuedouble);
            } else {
                cJSON_AddStringToObject(s, "data", cJSON_GetArrayItem(a, 0)->valuestring);
                if (cJSON_IsString(extra)) cJSON_AddStringToObject(s, "grad", extra->valuestring);
                else cJSON_AddNumberToObject(s, "write", cJSON_GetArrayItem(a, 3)->valuedouble);
                if (cJSON_GetArrayItem(a, 2)->valuedouble >= 0 || r.wall)
                    cJSON_AddNumberToObject(s, "base", cJSON_GetArrayItem(a, 2)->valuedouble);
                cJSON_AddNumberToObject(s, "seed", cJSON_GetArrayItem(a, 4)->valuedouble);
            }
            cJSON_AddItemToArray(steps, s);
        }
        const cJSON *a0 = cJSON_GetArrayItem(list, 0), *x0 = cJSON_GetArrayItem(a0, 5);
        if (cJSON_IsString(x0)) snprintf(t->fail_key, sizeof t->fail_key, "%s", x0->valuestring);
        else fn_version_key(r.params_prefix, (int64_t)cJSON_GetArrayItem(a0, 3)->valuedouble, 0,
                            t->fail_key, sizeof t->fail_key);
        i++;
    }
    /* Virtual clock: `slots` threads take the tasks in the plan's order. Wall clock: every
     * function runs at once, one thread and one sandbox each. */
    int nth = r.wall ? r.n : j->slots;
    if ((rc = ensure_pools(j, nth, e))) goto out;
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    pthread_t *th = calloc((size_t)(nth ? nth : 1), sizeof *th);
    struct worker_arg *args = calloc((size_t)(nth ? nth : 1), sizeof *args);
    if (!th || !args) {
        free(th);
        free(args);
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    for (int k = 0; k < nth; k++) {
        args[k] = (struct worker_arg){&r, j->pools[k], r.wall ? k : -1};
        pthread_create(&th[k], NULL, task_worker, &args[k]);
    }
    for (int k = 0; k < nth; k++) pthread_join(th[k], NULL);
    free(th);
    free(args);
    pthread_mutex_destroy(&r.mu);
    pthread_cond_destroy(&r.cv);

    res = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(res, "results");
    for (int k = 0; k < r.n; k++) {
        const struct task *t = &r.tasks[k];
        for (int q = 0; q < t->n_steps; q++) {
            const struct step_result *sr = &t->steps[q];
            cJSON *o = cJSON_CreateArray();
            double v[] = {t->fn,         t->first_step + q, t->ok,           (double)sr->read_got,
                          (double)sr->base_got, sr->loss,   t->wall_ms,      t->peak_mb,
                          t->cold,       sr->op_ms[0],      sr->op_ms[1],    sr->op_ms[2],
                          sr->op_ms[3],  sr->op_ms[4],      t->start_ms,     t->end_ms,
                          t->init_ms,    t->run_ms};
            for (size_t z = 0; z < sizeof v / sizeof *v; z++)
                cJSON_AddItemToArray(o, cJSON_CreateNumber(v[z]));
            cJSON_AddItemToArray(o, cJSON_CreateString(t->error));
            cJSON_AddItemToArray(arr, o);
        }
    }
    *out = cJSON_PrintUnformatted(res);
    if (!*out) rc = err_set(e, SIREN_ENOMEM, "out of memory");
out:
    for (int k = 0; k < r.n && r.tasks; k++) {
        cJSON_Delete(r.tasks[k].event);
        free(r.tasks[k].steps);
    }
    free(r.tasks);
    kv_close(r.kv);
    cJSON_Delete(root);
    cJSON_Delete(res);
    return rc;
}

/* ------------------------------------------------------------------------ opening */

static int open_pools(struct job *j, struct err *e)
{
    j->slots = j->cfg.slots > 0 ? j->cfg.slots : 1;
    if (j->slots > 64) j->slots = 64;
    return ensure_pools(j, j->slots, e);
}

static void data_key(char *buf, size_t len, size_t batch)
{
    snprintf(buf, len, "job/data/b%07zu", batch);
}

static void params_prefix(char *buf, size_t len, int epoch)
{
    snprintf(buf, len, "job/params/e%04d/", epoch);
}

/* Puts staged batch b (staging_build's put). */
static int stage_put(void *ctx, size_t b, const uint8_t *obj, size_t len, struct err *e)
{
    struct job *j = ctx;
    char key[64];
    data_key(key, sizeof key, b);
    if (kv_put(j->kv, key, obj, len)) return err_set(e, kv_errcode(j->kv), "%s", kv_errmsg(j->kv));
    return SIREN_OK;
}

/* Rank 0: puts the training split as mini-batch objects (staging.h), and (put_params) the
 * initial parameters as version 0 of epoch 1. */
static int stage(struct job *j, int put_params, struct err *e)
{
    struct staging st;
    int rc = staging_build(j->w, stage_put, j, &st, e);
    if (rc) return rc;
    j->n_batches = st.n_batches;
    j->batch_rows = st.batch_rows; /* taken over from st */
    j->shard_bytes_per_sample = st.shard_bytes_per_sample;

    uint8_t *obj;
    size_t len;
    if ((rc = staging_initial_params(j->w, j->eval_model, &obj, &len, e))) return rc;
    j->param_bytes = (double)len;
    char prefix[64], key[128];
    params_prefix(prefix, sizeof prefix, 1);
    fn_version_key(prefix, j->cfg.wall_clock ? FN_CURRENT : 0, 0, key, sizeof key);
    if (put_params && kv_put(j->kv, key, obj, len))
        rc = err_set(e, kv_errcode(j->kv), "%s", kv_errmsg(j->kv));
    free(obj);
    return rc;
}

/* ---------------------------------------------------------------------- checkpoints */

#define CKPT_PREFIX "job/ckpt/"

/* Rank 0's state after an epoch: the head of the epoch's checkpoint object, which goes on
 * with the epoch's epochs.csv row and then its trace records. Raw structs: a checkpoint is
 * read back by the build that wrote it, and the head names the sizes it was written with. */
struct ckpt_head {
    char magic[8]; /* "SIRENCK1" */
    uint32_t head_bytes, report_bytes, inv_bytes, op_bytes;
    uint64_t config_hash;
    int32_t epoch, prev_n, prev_memory_mb, peak_functions;
    int32_t reached_target, invocations, failed_invocations, ledger_epoch;
    double total_time_s, total_cost_usd, time_to_target_s;
    struct ledger_totals job_totals;
    struct epoch_report last, ftot;
    uint64_t row_bytes, n_inv, n_ops;
};

static const char ckpt_magic[8] = {'S', 'I', 'R', 'E', 'N', 'C', 'K', '1'};

/* Which coordinator owns the run: each one that opens it puts a token of its own here, and
 * checks it before it commits an epoch. A coordinator whose ranks outlived it (mpirun killed,
 * its ranks not yet) stops at its next epoch boundary instead of writing over the run that
 * resumed it. */
#define CKPT_OWNER "job/owner"

static int owner_claim(struct job *j, struct err *e)
{
    char host[64] = "";
    struct timespec ts;
    gethostname(host, sizeof host - 1);
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(j->owner, sizeof j->owner, "%s:%ld:%lld.%09ld", host, (long)getpid(),
             (long long)ts.tv_sec, ts.tv_nsec);
    if (kv_put(j->kv, CKPT_OWNER, j->owner, strlen(j->owner)))
        return err_set(e, kv_errcode(j->kv), "%s", kv_errmsg(j->kv));
    return SIREN_OK;
}

static int owner_check(struct job *j, struct err *e)
{
    struct kv_value v;
    if (kv_get(j->kv, CKPT_OWNER, &v))
        return err_set(e, kv_errcode(j->kv), "%s", kv_errmsg(j->kv));
    int mine = v.len == strlen(j->owner) && !memcmp(v.data, j->owner, v.len);
    kv_value_free(&v);
    return mine ? SIREN_OK
                : err_set(e, SIREN_EINVAL, "epoch %d: another coordinator (%s) has taken this "
                          "run over (resumed): this one stops", j->epoch, j->kv_url);
}

static void ckpt_key(char *buf, size_t len, int epoch)
{
    snprintf(buf, len, CKPT_PREFIX "e%06d", epoch);
}

/* Puts the checkpoint of the epoch just run: one object, and a put is atomic on every
 * backend (file: a temporary file, fsync, rename; Redis: one SET; S3: one PUT), so a reader
 * finds the whole checkpoint or none. inv0 and ops0: where the epoch's trace records start. */
static int checkpoint_put(struct job *j, size_t inv0, size_t ops0, const char *row, struct err *e)
{
    struct ckpt_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, ckpt_magic, sizeof h.magic);
    h.head_bytes = sizeof h;
    h.report_bytes = sizeof(struct epoch_report);
    h.inv_bytes = sizeof(struct trace_invocation);
    h.op_bytes = sizeof(struct trace_kv_op);
    h.config_hash = j->cfg.config_hash;
    h.epoch = j->epoch;
    h.prev_n = j->prev_n;
    h.prev_memory_mb = j->prev_memory_mb;
    h.peak_functions = j->peak_functions;
    h.reached_target = j->reached_target;
    h.invocations = j->invocations;
    h.failed_invocations = j->failed_invocations;
    h.ledger_epoch = j->ledger.epoch;
    h.total_time_s = j->total_time_s;
    h.total_cost_usd = j->total_cost_usd;
    h.time_to_target_s = j->time_to_target_s;
    h.job_totals = j->ledger.job_totals;
    h.last = j->last;
    h.ftot = j->ftot;
    h.row_bytes = strlen(row);
    h.n_inv = j->trace.n_inv - inv0;
    h.n_ops = j->trace.n_ops - ops0;
    size_t len = sizeof h + h.row_bytes + h.n_inv * sizeof(struct trace_invocation) +
                 h.n_ops * sizeof(struct trace_kv_op);
    uint8_t *buf = malloc(len), *at = buf;
    if (!buf) return err_set(e, SIREN_ENOMEM, "checkpoint of epoch %d: out of memory", j->epoch);
    memcpy(at, &h, sizeof h);
    at += sizeof h;
    memcpy(at, row, h.row_bytes);
    at += h.row_bytes;
    if (h.n_inv) memcpy(at, j->trace.inv + inv0, h.n_inv * sizeof(struct trace_invocation));
    at += h.n_inv * sizeof(struct trace_invocation);
    if (h.n_ops) memcpy(at, j->trace.ops + ops0, h.n_ops * sizeof(struct trace_kv_op));
    char key[64];
    ckpt_key(key, sizeof key, j->epoch);
    int rc = SIREN_OK;
    if (kv_put(j->kv, key, buf, len))
        rc = err_set(e, kv_errcode(j->kv), "checkpoint: %s", kv_errmsg(j->kv));
    free(buf);
    return rc;
}

/* Deletes every key under prefix except keep (may be NULL). */
static int delete_prefix(struct job *j, const char *prefix, const char *keep, struct err *e)
{
    struct kv_keys keys;
    if (kv_list(j->kv, prefix, &keys))
        return err_set(e, kv_errcode(j->kv), "%s", kv_errmsg(j->kv));
    int rc = SIREN_OK;
    for (size_t i = 0; i < keys.count && !rc; i++)
        if ((!keep || strcmp(keys.keys[i], keep)) && kv_delete(j->kv, keys.keys[i]) &&
            kv_errcode(j->kv) != SIREN_ENOTFOUND)
            rc = err_set(e, kv_errcode(j->kv), "%s", kv_errmsg(j->kv));
    kv_keys_free(&keys);
    return rc;
}

/* Reads checkpoints e000001, e000002, ... while they exist, restoring rank 0's state after the
 * newest and the trace records of all; *rows gets their epochs.csv rows (caller frees). */
static int checkpoint_restore(struct job *j, char **rows, struct err *e)
{
    size_t rows_len = 0;
    *rows = calloc(1, 1);
    if (!*rows) return err_set(e, SIREN_ENOMEM, "out of memory");
    for (int ep = 1;; ep++) {
        char key[64];
        struct kv_value v;
        ckpt_key(key, sizeof key, ep);
        int rc = kv_get(j->kv, key, &v);
        if (rc == SIREN_ENOTFOUND) return SIREN_OK;
        if (rc) return err_set(e, rc, "resume: %s", kv_errmsg(j->kv));
        struct ckpt_head h;
        if (v.len >= sizeof h) memcpy(&h, v.data, sizeof h);
        if (v.len < sizeof h || memcmp(h.magic, ckpt_magic, sizeof h.magic) ||
            h.head_bytes != sizeof h || h.report_bytes != sizeof(struct epoch_report) ||
            h.inv_bytes != sizeof(struct trace_invocation) ||
            h.op_bytes != sizeof(struct trace_kv_op) || h.epoch != ep ||
            v.len != sizeof h + h.row_bytes + h.n_inv * sizeof(struct trace_invocation) +
                         h.n_ops * sizeof(struct trace_kv_op)) {
            kv_value_free(&v);
            return err_set(e, SIREN_EFORMAT, "resume: %s in %s is not a checkpoint this build "
                           "wrote (or is cut short)", key, j->kv_url);
        }
        if (j->cfg.config_hash && h.config_hash != j->cfg.config_hash) {
            kv_value_free(&v);
            return err_set(e, SIREN_EINVAL, "resume: %s in %s was written by a run of another "
                           "configuration", key, j->kv_url);
        }
        const uint8_t *at = v.data + sizeof h;
        char *r = realloc(*rows, rows_len + h.row_bytes + 1);
        if (!r) rc = err_set(e, SIREN_ENOMEM, "out of memory");
        if (!rc) {
            *rows = r;
            memcpy(r + rows_len, at, h.row_bytes);
            rows_len += h.row_bytes;
            r[rows_len] = '\0';
        }
        at += h.row_bytes;
        for (uint64_t q = 0; q < h.n_inv && !rc; q++) {
            struct trace_invocation ti;
            memcpy(&ti, at + q * sizeof ti, sizeof ti);
            if (trace_add_invocation(&j->trace, &ti)) rc = err_set(e, SIREN_ENOMEM, "out of memory");
        }
        at += h.n_inv * sizeof(struct trace_invocation);
        for (uint64_t q = 0; q < h.n_ops && !rc; q++) {
            struct trace_kv_op op;
            memcpy(&op, at + q * sizeof op, sizeof op);
            if (trace_add_kv_op(&j->trace, &op)) rc = err_set(e, SIREN_ENOMEM, "out of memory");
        }
        kv_value_free(&v);
        if (rc) return rc;
        j->epoch = h.epoch;
        j->prev_n = h.prev_n;
        j->prev_memory_mb = h.prev_memory_mb;
        j->peak_functions = h.peak_functions;
        j->reached_target = h.reached_target;
        j->invocations = h.invocations;
        j->failed_invocations = h.failed_invocations;
        j->ledger.epoch = h.ledger_epoch;
        j->total_time_s = h.total_time_s;
        j->total_cost_usd = h.total_cost_usd;
        j->time_to_target_s = h.time_to_target_s;
        j->ledger.job_totals = h.job_totals;
        j->last = h.last;
        j->ftot = h.ftot;
    }
}

static int open_rank0(struct job *j, struct err *e)
{
    const struct job_config *c = &j->cfg;
    /* Rank 0 evaluates the parameters with one OpenBLAS thread, as every function computes:
     * sgemm's rounding depends on how many threads share it, and by default that number
     * follows the CPUs mpirun binds the rank to (one core each up to 2 ranks, more beyond),
     * so losses would otherwise change with -n. */
    openblas_set_num_threads(1);
    int rc = workload_open(c->workload, &c->wopts, &j->w, e);
    if (rc) return rc;
    if (j->cfg.target_loss <= 0) j->cfg.target_loss = j->w->info.target_loss;
    if ((rc = calibration_load(j->calibration_path, c->workload, &j->cal, e))) return rc;
    if ((rc = fs_mkdir_p(j->out_dir, e))) return rc;
    if ((rc = kv_open(j->kv_url, &j->kv, e))) return rc;
    if ((rc = kn_model_create(&j->w->model_cfg, &j->eval_model, e))) return rc;
    ledger_init(&j->ledger, &j->platform);
    trace_init(&j->trace);
    j->time_to_target_s = (double)NAN;
    j->faults.seed = j->w->opts.seed;
    /* A fresh run forgets the checkpoints of an earlier run in the same store; a resumed one
     * restores the newest. Either way the only parameters kept are the next epoch's version
     * 0: versions of an epoch cut short are written again, bit for bit, when it reruns. */
    char *rows = NULL, prefix[64], keep[128];
    if ((rc = owner_claim(j, e))) return rc;
    rc = j->cfg.resume ? checkpoint_restore(j, &rows, e) : delete_prefix(j, CKPT_PREFIX, NULL, e);
    params_prefix(prefix, sizeof prefix, j->epoch + 1);
    fn_version_key(prefix, j->cfg.wall_clock ? FN_CURRENT : 0, 0, keep, sizeof keep);
    if (!rc) rc = delete_prefix(j, "job/params/", j->epoch > 0 ? keep : NULL, e);
    if (!rc) rc = stage(j, j->epoch == 0, e);
    if (!rc && j->epoch > 0) {
        struct kv_value v;
        if ((rc = kv_get(j->kv, keep, &v)))
            rc = err_set(e, rc, "resume: the checkpoint of epoch %d is there but not the "
                         "parameters epoch %d starts from: %s", j->epoch, j->epoch + 1,
                         kv_errmsg(j->kv));
        kv_value_free(&v);
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/epochs.csv", j->out_dir);
    if (!rc && !(j->epochs_csv = fopen(path, "w"))) rc = err_errno(e, errno, "cannot create %s", path);
    if (rc) {
        free(rows);
        return rc;
    }
    fprintf(j->epochs_csv,
            "epoch,n,memory_mb,warm,time_s,fetch_s,compute_s,update_s,cost_usd,train_loss,"
            "test_loss,test_accuracy,budget_left_usd,invocations,failed_invocations,versions,"
            "stale_reads%s\n%s",
            j->faults_on ? ",crashes,kv_failures,retries,stragglers,kv_errors,throttled,"
                           "lost_functions,failed_steps"
                         : "",
            rows ? rows : "");
    fflush(j->epochs_csv);
    free(rows);
    if (j->epoch > 0)
        LOG_INFO("run", "resumed after epoch %d (total %.2f s, $%.6f)", j->epoch, j->total_time_s,
                 j->total_cost_usd);
    return SIREN_OK;
}

int job_epochs_done(const struct job *j) { return j->epoch; }
const struct epoch_report *job_last_report(const struct job *j)
{
    return j->epoch > 0 ? &j->last : NULL;
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
    if (cfg->faults) {
        j->faults = *cfg->faults;
        j->faults_on = 1;
        j->cfg.faults = &j->faults;
    }
    j->cfg.out_dir = j->out_dir;
    j->cfg.kv_url = j->kv_url;
    j->cfg.platform = j->platform_name;
    j->cfg.calibration = j->calibration_path;
    j->cfg.scheduler = j->scheduler;

    int rc = platform_load(j->platform_name, &j->platform, e);
    if (!rc && j->rank == 0) rc = open_rank0(j, e);
    if (!rc && (j->rank > 0 || j->size == 1)) rc = open_pools(j, e);
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

/* ----------------------------------------------------------------------- an epoch */

static int invoker_of(const struct job *j, int fn)
{
    return j->size == 1 ? 0 : 1 + fn % (j->size - 1);
}

/* The plan's costs for memory_mb on this platform and calibration (shared with the
 * simulator, so both plan the same timelines). */
static void plan_costs_for(const struct job *j, int memory_mb, struct plan_costs *k)
{
    epoch_model_costs(&j->platform, j->cal.s_per_sample, j->shard_bytes_per_sample,
                      j->param_bytes, memory_mb, k);
}

static int check_action(const struct job *j, int n, int memory_mb, struct err *e)
{
    if (!platform_memory_valid(&j->platform, memory_mb))
        return err_set(e, SIREN_EINVAL, "memory %d MB is not valid on %s (%d..%d MB in steps of %d)",
                       memory_mb, j->platform.name, j->platform.memory_mb_min,
                       j->platform.memory_mb_max, j->platform.memory_mb_step);
    if (n < 1 || n > j->platform.concurrency_limit)
        return err_set(e, SIREN_EINVAL, "%d functions: expected 1..%d (the concurrency limit of %s)",
                       n, j->platform.concurrency_limit, j->platform.name);
    if ((size_t)n > j->n_batches)
        return err_set(e, SIREN_EINVAL, "%d functions but only %zu mini-batches of %d rows "
                       "(use a smaller --batch)", n, j->n_batches, j->w->opts.batch);
    return SIREN_OK;
}

/* Where function fn's gradient of BSP round r goes. */
static void grad_key(char *buf, size_t len, const char *prefix, int round, int fn)
{
    snprintf(buf, len, "%sg%06d/f%06d", prefix, round, fn);
}

/* The leader's aggregation of BSP round r (a task of function 0 with step -1 - r): the mean of
 * the round's gradients applied to version r gives version r + 1. */
static void add_aggregation(const struct job *j, const struct plan_epoch *p, const char *prefix,
                            int round, cJSON *rank_tasks)
{
    (void)j;
    cJSON *keys = cJSON_CreateArray();
    for (int i = 0; i < p->n_functions; i++) {
        if (round >= p->fns[i].n_steps) continue;
        char gkey[128];
        grad_key(gkey, sizeof gkey, prefix, round, i);
        cJSON_AddItemToArray(keys, cJSON_CreateString(gkey));
    }
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateString(""));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(round));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(-1));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(round + 1));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(0));
    cJSON_AddItemToArray(a, keys);
    cJSON *task = cJSON_CreateArray();
    cJSON_AddItemToArray(task, cJSON_CreateNumber(0));
    cJSON_AddItemToArray(task, cJSON_CreateNumber(-1 - round));
    cJSON *list = cJSON_CreateArray();
    cJSON_AddItemToArray(list, a);
    cJSON_AddItemToArray(task, list);
    cJSON_AddItemToArray(rank_tasks, task);
}

/* The function number the invokers see for attempt generation gen of function fn (gen: failed
 * attempts before it). A retry is a fresh invocation: as its own function, it does not wait for
 * the tasks of the attempt that died, nor is it skipped because that attempt failed. Without
 * faults gen is 0 and this is fn. */
static int wire_fn(const struct plan_epoch *p, int fn, int gen)
{
    return fn + gen * p->n_functions;
}

/* Faults: every attempt planned to die gets one more task, the step it dies in, whose event
 * names a data object that does not exist. Its handler fails at that GET, for real, in its
 * sandbox; the attempt's later steps are not sent. Its write is JOB_FAULT_VERSION, so the
 * failure marker lands where no reader looks. Appended after the attempt's other tasks, so
 * it runs after them on its rank. */
static void add_fault_tasks(const struct job *j, const struct plan_epoch *p, cJSON **tasks)
{
    for (size_t q = 0; q < p->n_attempts; q++) {
        const struct plan_attempt *at = &p->attempts[q];
        if (at->status != PLAN_ATTEMPT_CRASHED && at->status != PLAN_ATTEMPT_KV_FAILED) continue;
        const struct plan_step *st = &p->steps[at->end_step];
        char key[128];
        snprintf(key, sizeof key, "job/faults/e%04d/f%06d-i%d-a%d-%s", j->epoch, at->fn,
                 at->invocation, at->attempt,
                 at->status == PLAN_ATTEMPT_CRASHED ? "crash" : "kv-error");
        int apply = j->cfg.update == PLAN_UPDATE_APPLY;
        cJSON *a = cJSON_CreateArray();
        cJSON_AddItemToArray(a, cJSON_CreateString(key));
        cJSON_AddItemToArray(a, cJSON_CreateNumber(0));
        cJSON_AddItemToArray(a, cJSON_CreateNumber(apply ? 0 : -1));
        cJSON_AddItemToArray(a, cJSON_CreateNumber(JOB_FAULT_VERSION));
        cJSON_AddItemToArray(a, cJSON_CreateNumber(0));
        cJSON *list = cJSON_CreateArray();
        cJSON_AddItemToArray(list, a);
        cJSON *task = cJSON_CreateArray();
        cJSON_AddItemToArray(task, cJSON_CreateNumber(wire_fn(p, at->fn, at->gen)));
        cJSON_AddItemToArray(task, cJSON_CreateNumber(st->step));
        cJSON_AddItemToArray(task, list);
        cJSON_AddItemToArray(tasks[invoker_of(j, at->fn)], task);
    }
}

/* Builds each rank's task message in run order: the n_order steps order[0..n_order) (all of
 * the plan's steps for an epoch; a part of them for an ASP run, job_run_asp). msgs[r] is owned
 * by the caller. */
static int build_messages(struct job *j, const struct plan_epoch *p, const uint32_t *order,
                          size_t n_order, const uint32_t *perm, int memory_mb, const char *prefix,
                          char **msgs, struct err *e)
{
    cJSON **tasks = calloc((size_t)j->size, sizeof *tasks);
    cJSON **roots = calloc((size_t)j->size, sizeof *roots);
    if (!tasks || !roots) {
        free(tasks);
        free(roots);
        return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    for (int r = 0; r < j->size; r++) {
        roots[r] = cJSON_CreateObject();
        cJSON_AddNumberToObject(roots[r], "epoch", j->epoch);
        cJSON_AddNumberToObject(roots[r], "memory_mb", memory_mb);
        cJSON_AddNumberToObject(roots[r], "timeout_ms", j->platform.timeout_s * 1e3);
        cJSON_AddNumberToObject(roots[r], "wall", j->cfg.wall_clock);
        cJSON *t = cJSON_AddObjectToObject(roots[r], "template");
        cJSON_AddStringToObject(t, "job", "job");
        cJSON_AddStringToObject(t, "workload", j->w->info.name);
        cJSON_AddNumberToObject(t, "epoch", j->epoch);
        cJSON_AddNumberToObject(t, "memory_mb", memory_mb);
        cJSON_AddStringToObject(t, "kv", j->kv_url);
        cJSON_AddStringToObject(t, "update", j->cfg.update == PLAN_UPDATE_APPLY ? "apply" : "overwrite");
        cJSON_AddNumberToObject(t, "wait_ms", JOB_WAIT_MS);
        cJSON_AddStringToObject(t, "params", prefix);
        cJSON_AddItemToObject(t, "model", fn_model_config_to_json(&j->w->model_cfg));
        struct kn_optim_config oc = j->w->optim_cfg;
        oc.lr = (float)workload_lr_at(j->w, j->epoch); /* the workload's per-epoch decay */
        cJSON_AddItemToObject(t, "optimizer", fn_optim_config_to_json(&oc));
        tasks[r] = cJSON_AddArrayToObject(roots[r], "tasks");
    }
    /* Under the virtual clock a task is one step, in run order; under the wall clock a task
     * is a whole function, every step reading and overwriting the current object. Under BSP
     * each round of gradient steps is followed by the leader's aggregation. */
    cJSON *fn_task = NULL;
    int fn_of_task = -1, bsp = j->cfg.sync == PLAN_SYNC_BSP, round = 0;
    for (size_t i = 0; i <= n_order; i++) {
        if (bsp && (i == n_order || p->steps[order[i]].step != round)) {
            add_aggregation(j, p, prefix, round, tasks[invoker_of(j, 0)]);
            if (i == n_order) break;
            round = p->steps[order[i]].step;
        }
        if (i == n_order) break;
        const struct plan_step *st = &p->steps[j->cfg.wall_clock ? i : order[i]];
        if (st->failed) continue; /* planned past the timeout: never runs */
        char key[64];
        data_key(key, sizeof key, perm[st->batch]);
        /* Seeds of the step's random masks: fixed by (seed, epoch, batch). A step of pass p
         * of an ASP run counts as epoch 1 + p, its batch numbered within its pass. */
        int ep = j->epoch + st->pass;
        uint32_t batch = st->batch - (uint32_t)st->pass * (uint32_t)j->n_batches;
        uint64_t seed = stream_step_seed(j->w->opts.seed, ep, batch);
        int apply = j->cfg.update == PLAN_UPDATE_APPLY;
        double rd = (double)st->read_version, wr = (double)st->write_version;
        double base = apply ? (double)st->base_version : -1.0;
        if (j->cfg.wall_clock) rd = wr = base = FN_CURRENT;
        cJSON *a = cJSON_CreateArray();
        cJSON_AddItemToArray(a, cJSON_CreateString(key));
        cJSON_AddItemToArray(a, cJSON_CreateNumber(rd));
        cJSON_AddItemToArray(a, cJSON_CreateNumber(base));
        cJSON_AddItemToArray(a, cJSON_CreateNumber(wr));
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)seed));
        if (bsp) {
            char gkey[128];
            grad_key(gkey, sizeof gkey, prefix, st->step, st->fn);
            cJSON_ReplaceItemInArray(a, 3, cJSON_CreateNumber(-1));
            cJSON_AddItemToArray(a, cJSON_CreateString(gkey));
        }
        if (!j->cfg.wall_clock || st->fn != fn_of_task) {
            fn_task = cJSON_CreateArray();
            cJSON_AddItemToArray(fn_task, cJSON_CreateNumber(wire_fn(p, st->fn, st->gen)));
            cJSON_AddItemToArray(fn_task, cJSON_CreateNumber(st->step));
            cJSON_AddItemToArray(fn_task, cJSON_CreateArray());
            if (j->cfg.sync == PLAN_SYNC_ASP) {
                /* ASP: the learning rate of the step's pass (the template has pass 1's). */
                double lr = (double)(float)workload_lr_at(j->w, ep);
                cJSON_AddItemToArray(fn_task, cJSON_CreateNumber(lr));
                cJSON_AddItemToArray(fn_task, cJSON_CreateNumber(ep));
            }
            cJSON_AddItemToArray(tasks[invoker_of(j, st->fn)], fn_task);
            fn_of_task = st->fn;
        }
        cJSON_AddItemToArray(cJSON_GetArrayItem(fn_task, 2), a);
    }
    add_fault_tasks(j, p, tasks);
    int rc = SIREN_OK;
    for (int r = 0; r < j->size; r++) {
        msgs[r] = cJSON_PrintUnformatted(roots[r]);
        if (!msgs[r]) rc = err_set(e, SIREN_ENOMEM, "out of memory");
        cJSON_Delete(roots[r]);
    }
    free(tasks);
    free(roots);
    return rc;
}

/* Per-step outcome gathered from the ranks, indexed like plan.steps. */
struct step_outcome {
    int ran, ok, cold;
    int64_t read_got, base_got;
    double loss, wall_ms, peak_mb;
    double op_ms[5]; /* data GET, parameter GET, compute, base GET, PUT */
    double start_ms, end_ms, init_ms; /* its invocation, from the rank's receipt (wall clock) */
    double run_ms;                    /* the function's own duration, as it reported it */
    char error[96];
};

/* What came back from a planned crash's task (faults), indexed like plan.attempts. */
struct attempt_outcome {
    int ran, ok;
    double wall_ms, peak_mb;
    char error[96];
};

/* The attempt of function fn, generation gen, planned to die in step index s, or -1. */
static long dying_attempt(const struct plan_epoch *p, int fn, int gen, size_t s)
{
    size_t lo = 0, hi = p->n_attempts;
    while (lo < hi) { /* attempts are sorted by function */
        size_t mid = lo + (hi - lo) / 2;
        if (p->attempts[mid].fn < fn) lo = mid + 1;
        else hi = mid;
    }
    for (size_t q = lo; q < p->n_attempts && p->attempts[q].fn == fn; q++) {
        const struct plan_attempt *a = &p->attempts[q];
        if (a->gen == gen && (size_t)a->end_step == s &&
            (a->status == PLAN_ATTEMPT_CRASHED || a->status == PLAN_ATTEMPT_KV_FAILED))
            return (long)q;
    }
    return -1;
}

static int absorb_results(const char *msg, const struct plan_epoch *p,
                          struct step_outcome *out, struct attempt_outcome *ao,
                          int *failed_aggregations, struct err *e)
{
    cJSON *root;
    int rc = json_parse(msg, strlen(msg), "results message", &root, e);
    if (rc) return rc;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "results"), *r;
    cJSON_ArrayForEach(r, arr)
    {
        int wire = (int)cJSON_GetArrayItem(r, 0)->valuedouble;
        int step = (int)cJSON_GetArrayItem(r, 1)->valuedouble;
        if (step < 0) { /* a BSP aggregation: a failed one shows as a missing version */
            if (!(int)cJSON_GetArrayItem(r, 2)->valuedouble) (*failed_aggregations)++;
            continue;
        }
        /* wire_fn(): the function and its attempt generation. */
        int fn = wire >= 0 ? wire % p->n_functions : -1, gen = wire / p->n_functions;
        if (fn < 0 || step < 0 || step >= p->fns[fn].n_steps) {
            cJSON_Delete(root);
            return err_set(e, SIREN_EFORMAT, "results message: step %d of function %d is unknown",
                           step, wire);
        }
        size_t s = (size_t)(p->fns[fn].first_step + step);
        long qa = p->n_attempts ? dying_attempt(p, fn, gen, s) : -1;
        if (qa >= 0 && ao) {
            const cJSON *err = cJSON_GetArrayItem(r, 18);
            struct attempt_outcome *a = &ao[qa];
            a->ran = 1;
            a->ok = (int)cJSON_GetArrayItem(r, 2)->valuedouble;
            a->wall_ms = cJSON_GetArrayItem(r, 6)->valuedouble;
            a->peak_mb = cJSON_GetArrayItem(r, 7)->valuedouble;
            snprintf(a->error, sizeof a->error, "%s", cJSON_IsString(err) ? err->valuestring : "");
            continue;
        }
        if (gen != p->steps[s].gen || p->steps[s].failed) {
            /* No attempt was planned to run it: a retry must never redo a written step. */
            cJSON_Delete(root);
            return err_set(e, SIREN_EFORMAT, "results message: step %d of function %d came from "
                           "attempt generation %d, which was not planned to run it", step, fn, gen);
        }
        struct step_outcome *o = &out[s];
        o->ran = 1;
        o->ok = (int)cJSON_GetArrayItem(r, 2)->valuedouble;
        o->read_got = (int64_t)cJSON_GetArrayItem(r, 3)->valuedouble;
        o->base_got = (int64_t)cJSON_GetArrayItem(r, 4)->valuedouble;
        o->loss = cJSON_GetArrayItem(r, 5)->valuedouble;
        o->wall_ms = cJSON_GetArrayItem(r, 6)->valuedouble;
        o->peak_mb = cJSON_GetArrayItem(r, 7)->valuedouble;
        o->cold = (int)cJSON_GetArrayItem(r, 8)->valuedouble;
        for (int q = 0; q < 5; q++) o->op_ms[q] = cJSON_GetArrayItem(r, 9 + q)->valuedouble;
        o->start_ms = cJSON_GetArrayItem(r, 14)->valuedouble;
        o->end_ms = cJSON_GetArrayItem(r, 15)->valuedouble;
        o->init_ms = cJSON_GetArrayItem(r, 16)->valuedouble;
        o->run_ms = cJSON_GetArrayItem(r, 17)->valuedouble;
        const cJSON *err = cJSON_GetArrayItem(r, 18);
        snprintf(o->error, sizeof o->error, "%s", cJSON_IsString(err) ? err->valuestring : "");
    }
    cJSON_Delete(root);
    return SIREN_OK;
}

/* Reads version v (or the newest earlier one that did not fail) into the eval model; carry:
 * also put it as the next epoch's version 0. */
static int load_version(struct job *j, const char *prefix, int64_t v, int carry, int64_t *got,
                        struct err *e)
{
    if (j->cfg.wall_clock) v = FN_CURRENT;
    for (; v >= FN_CURRENT; v--) {
        char key[128];
        struct kv_value val;
        fn_version_key(prefix, v, 0, key, sizeof key);
        int rc = kv_get(j->kv, key, &val);
        if (rc == SIREN_ENOTFOUND && v >= 0) continue;
        if (rc == SIREN_ENOTFOUND) break;
        if (rc) return err_set(e, rc, "%s", kv_errmsg(j->kv));
        rc = params_decode(val.data, val.len, key, kn_model_params(j->eval_model),
                           kn_model_num_params(j->eval_model), NULL, e);
        if (!rc && carry) {
            /* The next epoch starts from these bytes, optimiser state included. */
            char next[64], nkey[128];
            params_prefix(next, sizeof next, j->epoch + 1);
            fn_version_key(next, j->cfg.wall_clock ? FN_CURRENT : 0, 0, nkey, sizeof nkey);
            if (kv_put(j->kv, nkey, val.data, val.len))
                rc = err_set(e, kv_errcode(j->kv), "%s", kv_errmsg(j->kv));
        }
        kv_value_free(&val);
        *got = v;
        return rc;
    }
    return err_set(e, SIREN_ENOTFOUND, "%s: no parameter version survived the epoch", prefix);
}

/* Deletes an epoch's parameter versions once the next epoch has its own version 0. */
static void drop_versions(struct job *j, const char *prefix)
{
    struct kv_keys keys;
    if (kv_list(j->kv, prefix, &keys)) return;
    for (size_t i = 0; i < keys.count; i++)
        if (kv_delete(j->kv, keys.keys[i]))
            LOG_WARN("job", "cannot delete %s: %s", keys.keys[i], kv_errmsg(j->kv));
    kv_keys_free(&keys);
}

/* The end of a planned epoch's record (with or without faults): its object-store requests
 * billed, the epoch closed in the ledger, and the report's times, cost and means. */
static void close_planned_epoch(struct job *j, const struct plan_epoch *p, uint64_t gets,
                                uint64_t puts, double epoch_end, double billed_total,
                                double train_loss_sum, int train_loss_n, struct epoch_report *rep)
{
    ledger_add_kv(&j->ledger, gets, puts, 0, 0);
    struct ledger_totals tot;
    ledger_end_epoch(&j->ledger, &tot);
    rep->time_s = epoch_end;
    rep->fetch_s = p->fetch_s;
    rep->compute_s = p->compute_s;
    rep->update_s = p->update_s;
    rep->cost_usd = tot.total_usd;
    rep->cpu_util = billed_total > 0 ? p->compute_s / billed_total : 0.0;
    rep->train_loss = train_loss_n ? train_loss_sum / train_loss_n : (double)NAN;
    rep->versions = p->n_versions;
}

static int record_epoch(struct job *j, const struct plan_epoch *p, const struct step_outcome *so,
                        int memory_mb, struct epoch_report *rep, struct err *e)
{
    const struct platform *pf = &j->platform;
    double t0 = j->total_time_s, epoch_end = 0.0, billed_total = 0.0;
    int rc = SIREN_OK;
    for (int i = 0; i < p->n_functions && !rc; i++) {
        const struct plan_fn *f = &p->fns[i];
        /* A function that really died ends at the compute of the step that failed. */
        int dead_at = -1;
        for (int k = 0; k < f->n_steps; k++) {
            const struct plan_step *st = &p->steps[f->first_step + k];
            if (!st->failed && !so[f->first_step + k].ok) {
                dead_at = k;
                break;
            }
        }
        double end = dead_at >= 0 ? p->steps[f->first_step + dead_at].t_compute : f->t_end;
        if (end > epoch_end) epoch_end = end;
        /* One ledger entry per invocation (continuations are invocations of their own); its
         * billing window comes from the epoch model the simulator uses too. */
        for (int inv = 0; inv < f->invocations; inv++) {
            struct epoch_invocation ei;
            epoch_model_invocation(pf, p, i, inv, dead_at, memory_mb, &ei);
            if (!ei.ran) continue;
            double wall = 0, peak = 0, cost;
            for (int k = 0; k < f->n_steps; k++) {
                const struct plan_step *st = &p->steps[f->first_step + k];
                const struct step_outcome *o = &so[f->first_step + k];
                if (st->invocation != inv || st->failed || (dead_at >= 0 && k >= dead_at)) continue;
                wall += o->wall_ms;
                if (o->peak_mb > peak) peak = o->peak_mb;
            }
            const char *error = ei.status == TRACE_FAILED ? so[f->first_step + ei.dead_step].error
                                : ei.status == TRACE_TIMED_OUT ? "Sandbox.Timedout: Task timed out"
                                                               : "";
            double dur_ms = (ei.stop_s - ei.start_s) * 1e3;
            rc = ledger_add_invocation(&j->ledger, memory_mb, dur_ms, ei.init_ms, &cost, e);
            if (rc) break;
            billed_total += ei.billed_ms / 1e3;
            struct trace_invocation ti = {0};
            ti.epoch = j->epoch;
            ti.fn = i;
            ti.invocation = inv;
            ti.rank = invoker_of(j, i);
            ti.memory_mb = memory_mb;
            ti.cold = ei.cold;
            ti.status = ei.status;
            ti.v_start_s = t0 + (inv == 0 ? f->t_invoke : ei.start_s - pf->warm_start_ms / 1e3);
            ti.v_end_s = t0 + ei.stop_s;
            ti.billed_ms = ei.billed_ms;
            ti.cost_usd = cost;
            ti.wall_ms = wall;
            ti.peak_mb = peak;
            ti.compute_factor = 1.0;
            snprintf(ti.error, sizeof ti.error, "%s", error);
            if (trace_add_invocation(&j->trace, &ti)) rc = err_set(e, SIREN_ENOMEM, "out of memory");
            int status = ei.status;
            rep->invocations++;
            if (status == TRACE_FAILED || status == TRACE_TIMED_OUT) rep->failed_invocations++;
        }
    }
    if (rc) return rc;
    /* KV requests: per step that ran, a data GET, a parameter GET and a PUT (and the APPLY
     * re-read); each also goes into the trace. */
    uint64_t gets = 0, puts = 0;
    double train_loss_sum = 0;
    int train_loss_n = 0;
    for (size_t s = 0; s < p->n_steps && !rc; s++) {
        const struct plan_step *st = &p->steps[s];
        const struct step_outcome *o = &so[s];
        if (st->failed || !o->ran) continue;
        gets += 2 + (j->cfg.update == PLAN_UPDATE_APPLY);
        if (o->ok) {
            puts++;
            train_loss_sum += o->loss;
            train_loss_n++;
            if (o->read_got < st->write_version - 1) rep->stale_reads++;
        }
        struct trace_kv_op ops[4] = {
            {j->epoch, st->fn, st->step, TRACE_DATA_GET, -1, -1, t0 + st->t_data_get,
             t0 + st->t_param_get, j->shard_bytes_per_sample * st->n_samples, o->op_ms[0], 0, 0, 0},
            {j->epoch, st->fn, st->step, TRACE_PARAM_GET, st->read_version, o->read_got,
             t0 + st->t_param_get, t0 + st->t_compute, j->param_bytes, o->op_ms[1], 0, 0, 0},
            {j->epoch, st->fn, st->step, TRACE_BASE_GET, st->base_version, o->base_got,
             t0 + st->t_put, t0 + st->t_end, j->param_bytes, o->op_ms[3], 0, 0, 0},
            {j->epoch, st->fn, st->step, TRACE_PARAM_PUT, st->write_version, -1, t0 + st->t_put,
             t0 + st->t_end, j->param_bytes, o->op_ms[4], 0, 0, 0},
        };
        for (int q = 0; q < 4 && !rc; q++) {
            if (q == 2 && j->cfg.update != PLAN_UPDATE_APPLY) continue;
            if (q == 3 && !o->ok) continue;
            if (trace_add_kv_op(&j->trace, &ops[q])) rc = err_set(e, SIREN_ENOMEM, "out of memory");
        }
    }
    if (rc) return rc;
    if (j->cfg.sync == PLAN_SYNC_BSP) {
        /* The leader's aggregation per round, as planned: the other members' gradients GET,
         * the averaged parameters PUT. */
        for (int64_t r = 0; r < p->n_versions && !rc; r++) {
            int members = 0;
            double barrier = 0;
            for (int i = 0; i < p->n_functions; i++) {
                if (r >= p->fns[i].n_steps) continue;
                members++;
                const struct plan_step *st = &p->steps[p->fns[i].first_step + r];
                if (st->t_end > barrier) barrier = st->t_end;
            }
            gets += (uint64_t)(members - 1);
            puts++;
            double agg_s = (members - 1) * (pf->store_first_byte_ms / 1e3 +
                                            j->param_bytes / 1e6 / pf->store_mb_per_s_per_connection);
            struct trace_kv_op op = {j->epoch, 0, (int32_t)(-1 - r), TRACE_PARAM_PUT, r + 1, -1,
                                     t0 + barrier + agg_s, t0 + barrier + agg_s +
                                     pf->store_first_byte_ms / 1e3, j->param_bytes, 0, 0, 0, 0};
            if (trace_add_kv_op(&j->trace, &op)) rc = err_set(e, SIREN_ENOMEM, "out of memory");
        }
        if (rc) return rc;
    }
    close_planned_epoch(j, p, gets, puts, epoch_end, billed_total, train_loss_sum, train_loss_n,
                        rep);
    return SIREN_OK;
}

/* Faults' epoch: one ledger entry and trace record per attempt (retries are billed), each
 * planned attempt cut short where its step really failed; requests as in record_epoch, with
 * each one's failed tries in the trace. */
static int record_epoch_faults(struct job *j, const struct plan_epoch *p,
                               const struct step_outcome *so, const struct attempt_outcome *ao,
                               int memory_mb, struct epoch_report *rep, int *survivors,
                               struct err *e)
{
    const struct platform *pf = &j->platform;
    double t0 = j->total_time_s, epoch_end = 0.0, billed_total = 0.0;
    int rc = SIREN_OK, apply = j->cfg.update == PLAN_UPDATE_APPLY;
    uint64_t gets = 0, puts = 0;
    int *ends_ok = calloc((size_t)p->n_functions, sizeof *ends_ok);
    if (!ends_ok) return err_set(e, SIREN_ENOMEM, "out of memory");
    for (size_t q = 0; q < p->n_attempts && !rc; q++) {
        const struct plan_attempt *a = &p->attempts[q];
        /* The first of its steps that really failed (out of memory, a handler error): the
         * attempt died there, and the rest of its steps were skipped. */
        int dead = -1;
        for (int s = a->first_step; s < a->end_step && dead < 0; s++)
            if (!so[s].ok) dead = s;
        double stop = dead >= 0 ? p->steps[dead].t_compute : a->t_stop;
        int status = a->status == PLAN_ATTEMPT_OK          ? TRACE_OK
                     : a->status == PLAN_ATTEMPT_CONTINUED ? TRACE_CONTINUED
                     : a->status == PLAN_ATTEMPT_TIMED_OUT ? TRACE_TIMED_OUT
                                                           : TRACE_FAILED;
        if (dead >= 0) status = TRACE_FAILED;
        if (stop < a->t_start) stop = a->t_start;
        if (stop > epoch_end) epoch_end = stop;
        ends_ok[a->fn] = status == TRACE_OK;
        double init_ms = a->cold ? pf->cold_start_ms : 0.0, cost;
        if ((rc = ledger_add_invocation(&j->ledger, memory_mb, (stop - a->t_start) * 1e3, init_ms,
                                        &cost, e)))
            break;
        double billed_ms = platform_billed_ms(pf, (stop - a->t_start) * 1e3, init_ms);
        billed_total += billed_ms / 1e3;
        struct trace_invocation ti = {0};
        ti.epoch = j->epoch;
        ti.fn = a->fn;
        ti.invocation = a->invocation;
        ti.attempt = a->attempt;
        ti.rank = invoker_of(j, a->fn);
        ti.memory_mb = memory_mb;
        ti.cold = a->cold;
        ti.status = status;
        ti.v_start_s = t0 + a->t_invoke;
        ti.v_end_s = t0 + stop;
        ti.billed_ms = billed_ms;
        ti.cost_usd = cost;
        ti.compute_factor = a->compute_factor;
        ti.kv_errors = a->kv_errors;
        ti.throttled = a->throttled;
        ti.fault = (a->status == PLAN_ATTEMPT_CRASHED ? TRACE_FAULT_CRASH : 0) |
                   (a->status == PLAN_ATTEMPT_KV_FAILED ? TRACE_FAULT_KV_FAILED : 0) |
                   (a->compute_factor > 1.0 ? TRACE_FAULT_STRAGGLER : 0) |
                   (a->kv_errors ? TRACE_FAULT_KV_ERROR : 0) |
                   (a->throttled ? TRACE_FAULT_THROTTLED : 0);
        for (int s = a->first_step; s < a->end_step; s++) {
            if (dead >= 0 && s > dead) break;
            ti.wall_ms += so[s].wall_ms;
            if (so[s].peak_mb > ti.peak_mb) ti.peak_mb = so[s].peak_mb;
        }
        if (dead >= 0) {
            snprintf(ti.error, sizeof ti.error, "%s", so[dead].error);
        } else if (a->status == PLAN_ATTEMPT_CRASHED || a->status == PLAN_ATTEMPT_KV_FAILED) {
            /* What its sandbox really said, after the planned kind. */
            const struct attempt_outcome *o = &ao[q];
            ti.wall_ms += o->wall_ms;
            if (o->peak_mb > ti.peak_mb) ti.peak_mb = o->peak_mb;
            snprintf(ti.error, sizeof ti.error, "%s: step %d: %s",
                     a->status == PLAN_ATTEMPT_CRASHED ? "Fault.Crash" : "Fault.KvError",
                     p->steps[a->end_step].step,
                     !o->ran ? "not run" : o->ok ? "did not fail" : o->error);
            gets += (uint64_t)a->dead_gets; /* what completed of the step it died in */
        } else if (a->status == PLAN_ATTEMPT_TIMED_OUT) {
            snprintf(ti.error, sizeof ti.error, "Sandbox.Timedout: Task timed out");
        }
        if (trace_add_invocation(&j->trace, &ti)) rc = err_set(e, SIREN_ENOMEM, "out of memory");
        rep->invocations++;
        if (status == TRACE_FAILED || status == TRACE_TIMED_OUT) rep->failed_invocations++;
    }
    *survivors = 0;
    for (int i = 0; i < p->n_functions; i++) *survivors += ends_ok[i];
    free(ends_ok);
    if (rc) return rc;
    double train_loss_sum = 0;
    int train_loss_n = 0;
    for (size_t s = 0; s < p->n_steps && !rc; s++) {
        const struct plan_step *st = &p->steps[s];
        const struct step_outcome *o = &so[s];
        if (st->failed || !o->ran) continue;
        gets += 2 + (uint64_t)apply;
        if (o->ok) {
            puts++;
            train_loss_sum += o->loss;
            train_loss_n++;
            if (o->read_got < st->write_version - 1) rep->stale_reads++;
        }
        struct trace_kv_op ops[4] = {
            {j->epoch, st->fn, st->step, TRACE_DATA_GET, -1, -1, t0 + st->t_data_get,
             t0 + st->t_param_get, j->shard_bytes_per_sample * st->n_samples, o->op_ms[0],
             st->attempt, st->kv_retries[0], st->throttled[0]},
            {j->epoch, st->fn, st->step, TRACE_PARAM_GET, st->read_version, o->read_got,
             t0 + st->t_param_get, t0 + st->t_compute, j->param_bytes, o->op_ms[1], st->attempt,
             st->kv_retries[1], st->throttled[1]},
            {j->epoch, st->fn, st->step, TRACE_BASE_GET, st->base_version, o->base_got,
             t0 + st->t_put, t0 + st->t_end, j->param_bytes, o->op_ms[3], st->attempt,
             st->kv_retries[2], st->throttled[2]},
            {j->epoch, st->fn, st->step, TRACE_PARAM_PUT, st->write_version, -1, t0 + st->t_put,
             t0 + st->t_end, j->param_bytes, o->op_ms[4], st->attempt, st->kv_retries[3],
             st->throttled[3]},
        };
        for (int q = 0; q < 4 && !rc; q++) {
            if (q == 2 && !apply) continue;
            if (q == 3 && !o->ok) continue;
            if (trace_add_kv_op(&j->trace, &ops[q])) rc = err_set(e, SIREN_ENOMEM, "out of memory");
        }
    }
    if (rc) return rc;
    close_planned_epoch(j, p, gets, puts, epoch_end, billed_total, train_loss_sum, train_loss_n,
                        rep);
    rep->crashes = p->crashes;
    rep->kv_failures = p->kv_failures;
    rep->retries = p->retries;
    rep->stragglers = p->stragglers;
    rep->kv_errors = p->kv_errors;
    rep->throttled = p->throttled;
    rep->lost_functions = p->lost_functions;
    rep->failed_steps = p->failed_steps;
    return SIREN_OK;
}

/* The wall clock's epoch: times and costs as measured, one invocation per function. */
static int record_epoch_wall(struct job *j, const struct plan_epoch *p,
                             const struct step_outcome *so, int memory_mb,
                             struct epoch_report *rep, struct err *e)
{
    const struct platform *pf = &j->platform;
    double t0 = j->total_time_s, billed_total = 0, loss_sum = 0;
    int loss_n = 0, rc = SIREN_OK;
    uint64_t gets = 0, puts = 0;
    for (int i = 0; i < p->n_functions && !rc; i++) {
        const struct plan_fn *f = &p->fns[i];
        const struct step_outcome *o0 = &so[f->first_step];
        if (!o0->ran) continue;
        /* Billed as the platform bills: the function's own duration (Lambda's REPORT figures,
         * or the sandbox's event-to-response time), not the round trip the rank saw. */
        double dur_ms = o0->end_ms - o0->start_ms, init_ms = o0->cold ? o0->init_ms : 0.0;
        double cost, run_ms = o0->run_ms;
        if ((rc = ledger_add_invocation(&j->ledger, memory_mb, run_ms, init_ms, &cost, e))) break;
        billed_total += platform_billed_ms(pf, run_ms, init_ms) / 1e3;
        if (o0->end_ms / 1e3 > rep->time_s) rep->time_s = o0->end_ms / 1e3;
        struct trace_invocation ti = {0};
        ti.epoch = j->epoch;
        ti.fn = i;
        ti.rank = invoker_of(j, i);
        ti.memory_mb = memory_mb;
        ti.cold = o0->cold;
        ti.status = o0->ok ? TRACE_OK : TRACE_FAILED;
        ti.v_start_s = t0 + o0->start_ms / 1e3;
        ti.v_end_s = t0 + o0->end_ms / 1e3;
        ti.billed_ms = platform_billed_ms(pf, run_ms, init_ms);
        ti.cost_usd = cost;
        ti.wall_ms = dur_ms;
        ti.peak_mb = o0->peak_mb;
        ti.compute_factor = 1.0;
        snprintf(ti.error, sizeof ti.error, "%s", o0->error);
        if (trace_add_invocation(&j->trace, &ti)) rc = err_set(e, SIREN_ENOMEM, "out of memory");
        rep->invocations++;
        if (!o0->ok) rep->failed_invocations++;
        /* Operations laid end to end from the function's start, as measured inside it. */
        double at = t0 + (o0->start_ms + init_ms) / 1e3;
        for (int k = 0; k < f->n_steps && o0->ok && !rc; k++) {
            const struct plan_step *st = &p->steps[f->first_step + k];
            const struct step_outcome *o = &so[f->first_step + k];
            static const int ops[4] = {TRACE_DATA_GET, TRACE_PARAM_GET, TRACE_BASE_GET, TRACE_PARAM_PUT};
            static const int op_ix[4] = {0, 1, 3, 4};
            double bytes[4] = {j->shard_bytes_per_sample * st->n_samples, j->param_bytes,
                               j->param_bytes, j->param_bytes};
            for (int q = 0; q < 4 && !rc; q++) {
                double ms = o->op_ms[op_ix[q]];
                if (q == 2 && j->cfg.update != PLAN_UPDATE_APPLY) continue;
                struct trace_kv_op op = {j->epoch, i, k, ops[q], FN_CURRENT, FN_CURRENT, at,
                                         at + ms / 1e3, bytes[q], ms, 0, 0, 0};
                if (q == 1) at += o->op_ms[2] / 1e3; /* compute sits between GET and PUT */
                at += ms / 1e3;
                if (trace_add_kv_op(&j->trace, &op)) rc = err_set(e, SIREN_ENOMEM, "out of memory");
            }
            rep->fetch_s += (o->op_ms[0] + o->op_ms[1]) / 1e3;
            rep->compute_s += o->op_ms[2] / 1e3;
            rep->update_s += (o->op_ms[3] + o->op_ms[4]) / 1e3;
            gets += 2 + (j->cfg.update == PLAN_UPDATE_APPLY);
            puts++;
            loss_sum += o->loss;
            loss_n++;
        }
    }
    if (rc) return rc;
    ledger_add_kv(&j->ledger, gets, puts, 0, 0);
    struct ledger_totals tot;
    ledger_end_epoch(&j->ledger, &tot);
    rep->cost_usd = tot.total_usd;
    rep->cpu_util = billed_total > 0 ? rep->compute_s / billed_total : 0.0;
    rep->train_loss = loss_n ? loss_sum / loss_n : (double)NAN;
    rep->versions = puts;
    return SIREN_OK;
}

/* Sends every rank its task message (rank 0 runs its own with one rank) and gathers what
 * happened into so and ao. */
static int exchange(struct job *j, char **msgs, const struct plan_epoch *p,
                    struct step_outcome *so, struct attempt_outcome *ao,
                    int *failed_aggregations, struct err *e)
{
    int rc;
    if (j->size == 1) {
        char *res;
        if ((rc = run_tasks(j, msgs[0], &res, e))) return rc;
        rc = absorb_results(res, p, so, ao, failed_aggregations, e);
        free(res);
        return rc;
    }
    for (int k = 1; k < j->size; k++)
        if ((rc = send_text(msgs[k], k, TAG_TASKS, e))) return rc;
    for (int k = 1; k < j->size; k++) {
        char *res;
        int tag, from;
        if ((rc = recv_text(MPI_ANY_SOURCE, &tag, &from, &res, e))) return rc;
        rc = tag == TAG_RESULTS ? absorb_results(res, p, so, ao, failed_aggregations, e)
                                : err_set(e, SIREN_EMPI, "rank %d sent tag %d", from, tag);
        free(res);
        if (rc) return rc;
    }
    return SIREN_OK;
}

/* An epoch's epochs.csv row, newline included (the fault columns when faults are on);
 * budget_usd <= 0: no budget, written as -1. */
static int epoch_row(const struct job *j, const struct epoch_report *rep, double budget_usd,
                     char *row, size_t size, struct err *e)
{
    int len = snprintf(row, size, "%d,%d,%d,%d,%.6f,%.6f,%.6f,%.6f,%.9f,%.6f,%.6f,%.6f,%.9f,%d,%d,"
                       "%lld,%lld",
                       rep->epoch, rep->n, rep->memory_mb, rep->warm, rep->time_s, rep->fetch_s,
                       rep->compute_s, rep->update_s, rep->cost_usd, rep->train_loss,
                       rep->test_loss, rep->test_accuracy,
                       budget_usd > 0 ? rep->budget_left_usd : -1.0, rep->invocations,
                       rep->failed_invocations, (long long)rep->versions,
                       (long long)rep->stale_reads);
    if (j->faults_on && len > 0 && (size_t)len < size)
        len += snprintf(row + len, size - (size_t)len, ",%d,%d,%d,%d,%d,%d,%d,%d",
                        rep->crashes, rep->kv_failures, rep->retries, rep->stragglers,
                        rep->kv_errors, rep->throttled, rep->lost_functions, rep->failed_steps);
    if (len < 0 || (size_t)len + 2 > size)
        return err_set(e, SIREN_ENOMEM, "epoch %d: the epochs.csv row does not fit", rep->epoch);
    row[len++] = '\n';
    row[len] = '\0';
    return SIREN_OK;
}

int job_epoch(struct job *j, int n, int memory_mb, struct epoch_report *rep, struct err *e)
{
    memset(rep, 0, sizeof *rep);
    int rc = check_action(j, n, memory_mb, e);
    if (rc) return rc;
    j->epoch++;
    size_t inv0 = j->trace.n_inv, ops0 = j->trace.n_ops; /* the epoch's trace records start here */
    struct plan_config pc = {0};
    pc.n_functions = n;
    pc.n_warm = memory_mb == j->prev_memory_mb ? (n < j->prev_n ? n : j->prev_n) : 0;
    pc.sync = j->cfg.sync;
    pc.staleness = j->cfg.staleness;
    pc.update = j->cfg.update;
    pc.on_timeout = j->cfg.on_timeout;
    plan_costs_for(j, memory_mb, &pc.costs);
    if (j->faults_on) {
        pc.faults = &j->faults;
        pc.epoch = j->epoch;
        if (j->faults.throttle) {
            pc.costs.kv_gets_per_s_per_prefix = j->platform.store_gets_per_s_per_prefix;
            pc.costs.kv_puts_per_s_per_prefix = j->platform.store_puts_per_s_per_prefix;
        }
    }
    /* Which staged mini-batch each of the epoch's batches is: a seeded shuffle per epoch. */
    uint32_t *perm = malloc(j->n_batches * sizeof *perm);
    uint32_t *rows = malloc(j->n_batches * sizeof *rows);
    uint32_t *order = NULL;
    char **msgs = calloc((size_t)j->size, sizeof *msgs);
    struct step_outcome *so = NULL;
    struct attempt_outcome *ao = NULL;
    struct plan_epoch p = {0};
    int failed_aggregations = 0, survivors = 0;
    if (!perm || !rows || !msgs) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    staging_epoch_order(j->w->opts.seed, j->epoch, j->n_batches, perm);
    for (size_t b = 0; b < j->n_batches; b++) rows[b] = j->batch_rows[perm[b]];
    pc.batch_rows = rows;
    pc.n_batches = j->n_batches;
    if ((rc = plan_epoch_build(&pc, &p, e)) || (rc = plan_epoch_run_order(&p, &order, e))) goto out;
    so = calloc(p.n_steps, sizeof *so);
    ao = calloc(p.n_attempts ? p.n_attempts : 1, sizeof *ao);
    if (!so || !ao) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    char prefix[64];
    params_prefix(prefix, sizeof prefix, j->epoch);
    if ((rc = build_messages(j, &p, order, p.n_steps, perm, memory_mb, prefix, msgs, e)) ||
        (rc = exchange(j, msgs, &p, so, ao, &failed_aggregations, e)))
        goto out;

    rep->epoch = j->epoch;
    rep->n = n;
    rep->memory_mb = memory_mb;
    rep->warm = pc.n_warm;
    rc = j->cfg.wall_clock ? record_epoch_wall(j, &p, so, memory_mb, rep, e)
         : j->faults_on    ? record_epoch_faults(j, &p, so, ao, memory_mb, rep, &survivors, e)
                           : record_epoch(j, &p, so, memory_mb, rep, e);
    if (rc) goto out;
    int64_t got;
    if ((rc = load_version(j, prefix, p.n_versions, 1, &got, e))) goto out;
    struct workload_eval ev;
    if ((rc = workload_evaluate(j->w, j->eval_model, 1, j->cfg.eval_rows, &ev, e))) goto out;
    rep->test_loss = ev.loss;
    rep->test_accuracy = ev.accuracy;
    rep->test_auc = ev.auc;
    struct kn_mem_report mr;
    struct err ignore;
    if (!kn_model_memory(&j->w->model_cfg, j->w->opts.batch, &j->w->optim_cfg, &mr, &ignore))
        rep->mem_util = (double)mr.total_bytes / (memory_mb * 1048576.0);

    j->total_time_s += rep->time_s;
    j->total_cost_usd += rep->cost_usd;
    j->invocations += rep->invocations;
    j->failed_invocations += rep->failed_invocations;
    if (n > j->peak_functions) j->peak_functions = n;
    rep->total_time_s = j->total_time_s;
    rep->total_cost_usd = j->total_cost_usd;
    rep->budget_left_usd = j->cfg.budget_usd > 0 ? j->cfg.budget_usd - j->total_cost_usd : (double)INFINITY;
    if (!j->reached_target && rep->test_loss <= j->cfg.target_loss) {
        j->reached_target = 1;
        j->time_to_target_s = j->total_time_s;
    }
    rep->reached_target = j->reached_target;
    /* Containers of functions that died are gone: only the survivors start warm next time. */
    j->prev_n = n - rep->failed_invocations > 0 ? n - rep->failed_invocations : 0;
    if (j->faults_on) j->prev_n = survivors; /* a function retried to success has one */
    j->prev_memory_mb = memory_mb;
    j->last = *rep;
    j->ftot.crashes += rep->crashes;
    j->ftot.kv_failures += rep->kv_failures;
    j->ftot.retries += rep->retries;
    j->ftot.stragglers += rep->stragglers;
    j->ftot.kv_errors += rep->kv_errors;
    j->ftot.throttled += rep->throttled;
    j->ftot.lost_functions += rep->lost_functions;
    j->ftot.failed_steps += rep->failed_steps;
    if ((rc = owner_check(j, e))) goto out;
    char row[512];
    if ((rc = epoch_row(j, rep, j->cfg.budget_usd, row, sizeof row, e))) goto out;
    /* The checkpoint commits the epoch; only then may its parameter versions go (a resume
     * from the previous checkpoint would run this epoch again from its version 0), and only
     * then does its row appear in epochs.csv, so that a row there is an epoch a resume
     * continues after (the checkpoint carries the row for the resumed epochs.csv). */
    if ((rc = checkpoint_put(j, inv0, ops0, row, e))) goto out;
    fputs(row, j->epochs_csv);
    fflush(j->epochs_csv);
    drop_versions(j, prefix);
    if (!j->cfg.quiet)
        LOG_INFO("run", "epoch %d: n=%d m=%d loss %.4f acc %.4f time %.2f s cost $%.6f "
                 "(total %.2f s, $%.6f)%s",
                 rep->epoch, n, memory_mb, rep->test_loss, rep->test_accuracy, rep->time_s,
                 rep->cost_usd, j->total_time_s, j->total_cost_usd,
                 rep->failed_invocations ? " with failed functions" : "");
out:
    for (int k = 0; msgs && k < j->size; k++) free(msgs[k]);
    free(msgs);
    free(perm);
    free(rows);
    free(order);
    free(so);
    free(ao);
    plan_epoch_free(&p);
    return rc;
}

/* ------------------------------------------------------------- ASP: the run as one plan */

/* What the run has come to by virtual time T (cumulative; a row is the difference of two). */
struct asp_upto {
    double cost_usd;          /* the bill if every function were stopped at T */
    int invocations, warm, failed;
    uint64_t gets, puts;
};

/* Invocation inv of function fn: its billing window (epoch_model_invocation) and when the
 * client invoked it (a continuation is invoked its warm start before it runs). */
static void asp_invocation(const struct job *j, const struct plan_epoch *p, int fn, int inv,
                           int dead_at, int memory_mb, struct epoch_invocation *ei,
                           double *t_invoke)
{
    epoch_model_invocation(&j->platform, p, fn, inv, dead_at, memory_mb, ei);
    *t_invoke = inv == 0 ? p->fns[fn].t_invoke : ei->start_s - j->platform.warm_start_ms / 1e3;
}

/* Whether step s's requests are (or will be) made: it was sent and ran, or it is still to be
 * sent and its function has not died. *put_ok: whether its PUT is made too. */
static int asp_step_requests(const struct plan_epoch *p, const struct step_outcome *so,
                             const unsigned char *sent, const int *dead_at, size_t s, int *put_ok)
{
    const struct plan_step *st = &p->steps[s];
    *put_ok = 0;
    if (st->failed) return 0;
    if (sent[s]) {
        *put_ok = so[s].ok;
        return so[s].ran;
    }
    *put_ok = dead_at[st->fn] < 0;
    return dead_at[st->fn] < 0;
}

/* The run up to T, as the platform bills it if the client stopped every function at T: each
 * invocation invoked by T is billed for the time it ran up to min(its stop, T), rounded up to
 * the billing granularity as any invocation is, plus its request fee; the object store bills
 * the requests issued by T (a GET or PUT when it starts). Summed in epoch_model_bill's order,
 * so that for T at or after the run's end it is the run's bill to the last bit. */
static void asp_cost_until(const struct job *j, const struct plan_epoch *p,
                           const struct step_outcome *so, const unsigned char *sent,
                           const int *dead_at, int memory_mb, double T, struct asp_upto *out)
{
    const struct platform *pf = &j->platform;
    int apply = j->cfg.update == PLAN_UPDATE_APPLY;
    double total = 0.0;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < p->n_functions; i++)
        for (int inv = 0; inv < p->fns[i].invocations; inv++) {
            struct epoch_invocation ei;
            double t_inv;
            asp_invocation(j, p, i, inv, dead_at[i], memory_mb, &ei, &t_inv);
            if (!ei.ran || t_inv > T) continue;
            double stop = ei.stop_s < T ? ei.stop_s : T;
            total += platform_invocation_cost_usd(pf, memory_mb, (stop - ei.start_s) * 1e3,
                                                  ei.init_ms);
            out->invocations++;
            out->warm += !ei.cold;
            out->failed += (ei.status == TRACE_FAILED || ei.status == TRACE_TIMED_OUT) &&
                           ei.stop_s <= T;
        }
    for (size_t s = 0; s < p->n_steps; s++) {
        const struct plan_step *st = &p->steps[s];
        int put_ok;
        if (!asp_step_requests(p, so, sent, dead_at, s, &put_ok)) continue;
        out->gets += (st->t_data_get <= T) + (st->t_param_get <= T) + (apply && st->t_put <= T);
        out->puts += put_ok && st->t_put <= T;
    }
    /* An ASP run makes no LIST requests. */
    total += ((double)out->gets * pf->store_usd_per_1000_get +
              (double)out->puts * pf->store_usd_per_1000_put) / 1000.0;
    out->cost_usd = total;
}

/* Trace records of the run up to T_end: one per invocation invoked by then (one still running
 * at T_end was stopped there by the client), and the requests of every step that ran. */
static int asp_trace(struct job *j, const struct plan_epoch *p, const struct step_outcome *so,
                     const unsigned char *sent, const int *dead_at, int memory_mb, double T_end,
                     struct err *e)
{
    const struct platform *pf = &j->platform;
    int apply = j->cfg.update == PLAN_UPDATE_APPLY;
    for (int i = 0; i < p->n_functions; i++) {
        const struct plan_fn *f = &p->fns[i];
        for (int inv = 0; inv < f->invocations; inv++) {
            struct epoch_invocation ei;
            double t_inv;
            asp_invocation(j, p, i, inv, dead_at[i], memory_mb, &ei, &t_inv);
            if (!ei.ran || t_inv > T_end) continue;
            int stopped = ei.stop_s > T_end;
            double stop = stopped ? T_end : ei.stop_s;
            struct trace_invocation ti = {0};
            int first = -1;
            for (int k = 0; k < f->n_steps; k++) {
                const struct plan_step *st = &p->steps[f->first_step + k];
                const struct step_outcome *o = &so[f->first_step + k];
                if (st->invocation != inv || st->failed || !sent[f->first_step + k]) continue;
                if (first < 0) first = k;
                ti.wall_ms += o->wall_ms;
                if (o->peak_mb > ti.peak_mb) ti.peak_mb = o->peak_mb;
            }
            const char *error = stopped ? "Client.Stopped: the run ended before it did"
                                : ei.status == TRACE_FAILED ? so[f->first_step + ei.dead_step].error
                                : ei.status == TRACE_TIMED_OUT ? "Sandbox.Timedout: Task timed out"
                                                               : "";
            ti.epoch = 1 + p->steps[f->first_step + (first >= 0 ? first : 0)].pass;
            ti.fn = i;
            ti.invocation = inv;
            ti.rank = invoker_of(j, i);
            ti.memory_mb = memory_mb;
            ti.cold = ei.cold;
            ti.status = stopped ? TRACE_OK : ei.status;
            ti.v_start_s = t_inv;
            ti.v_end_s = stop;
            ti.billed_ms = platform_billed_ms(pf, (stop - ei.start_s) * 1e3, ei.init_ms);
            ti.cost_usd = platform_invocation_cost_usd(pf, memory_mb, (stop - ei.start_s) * 1e3,
                                                       ei.init_ms);
            ti.compute_factor = 1.0;
            snprintf(ti.error, sizeof ti.error, "%s", error);
            if (trace_add_invocation(&j->trace, &ti)) return err_set(e, SIREN_ENOMEM, "out of memory");
        }
    }
    for (size_t s = 0; s < p->n_steps; s++) {
        const struct plan_step *st = &p->steps[s];
        const struct step_outcome *o = &so[s];
        if (st->failed || !sent[s] || !o->ran) continue;
        int32_t ep = 1 + st->pass;
        struct trace_kv_op ops[4] = {
            {ep, st->fn, st->step, TRACE_DATA_GET, -1, -1, st->t_data_get, st->t_param_get,
             j->shard_bytes_per_sample * st->n_samples, o->op_ms[0], 0, 0, 0},
            {ep, st->fn, st->step, TRACE_PARAM_GET, st->read_version, o->read_got,
             st->t_param_get, st->t_compute, j->param_bytes, o->op_ms[1], 0, 0, 0},
            {ep, st->fn, st->step, TRACE_BASE_GET, st->base_version, o->base_got, st->t_put,
             st->t_end, j->param_bytes, o->op_ms[3], 0, 0, 0},
            {ep, st->fn, st->step, TRACE_PARAM_PUT, st->write_version, -1, st->t_put, st->t_end,
             j->param_bytes, o->op_ms[4], 0, 0, 0},
        };
        for (int q = 0; q < 4; q++) {
            if ((q == 2 && !apply) || (q == 3 && !o->ok)) continue;
            if (trace_add_kv_op(&j->trace, &ops[q])) return err_set(e, SIREN_ENOMEM, "out of memory");
        }
    }
    return SIREN_OK;
}

/* Deletes versions [*from, to) and their failure markers: none is read again. */
static void asp_drop(struct job *j, const char *prefix, int64_t *from, int64_t to)
{
    for (int64_t v = *from; v < to; v++)
        for (int failed = 0; failed < 2; failed++) {
            char key[128];
            fn_version_key(prefix, v, failed, key, sizeof key);
            if (kv_delete(j->kv, key) && kv_errcode(j->kv) != SIREN_ENOTFOUND)
                LOG_WARN("job", "cannot delete %s: %s", key, kv_errmsg(j->kv));
        }
    if (to > *from) *from = to;
}

int job_run_asp(struct job *j, int n, int memory_mb, int passes, double budget_usd,
                struct err *e)
{
    int rc = check_action(j, n, memory_mb, e);
    if (rc) return rc;
    if (j->cfg.sync != PLAN_SYNC_ASP || j->cfg.wall_clock || j->faults_on || j->epoch > 0)
        return err_set(e, SIREN_EINVAL, "asp: a run of its own, fresh, on the virtual clock and "
                       "without faults is needed");
    if (passes < 1) return err_set(e, SIREN_EINVAL, "asp: %d passes, expected >= 1", passes);
    size_t nb = j->n_batches, total = nb * (size_t)passes;
    /* The run's versions live under epoch 1's prefix, where version 0 was staged; a step of
     * pass p counts as epoch 1 + p for its seeds and learning rate (build_messages). */
    j->epoch = 1;
    char prefix[64];
    params_prefix(prefix, sizeof prefix, j->epoch);
    struct plan_config pc = {0};
    pc.n_functions = n;
    pc.n_warm = 0;
    pc.sync = PLAN_SYNC_ASP;
    pc.update = j->cfg.update;
    pc.on_timeout = j->cfg.on_timeout;
    pc.passes = passes;
    pc.n_batches = nb;
    plan_costs_for(j, memory_mb, &pc.costs);
    uint32_t *perm = malloc(total * sizeof *perm), *rows = malloc(total * sizeof *rows);
    uint32_t *order = NULL, *chunk = NULL;
    char **msgs = calloc((size_t)j->size, sizeof *msgs);
    struct step_outcome *so = NULL;
    unsigned char *sent = NULL;
    int *dead_at = NULL, rows_done = 0;
    double *T = NULL;
    int64_t *ver_step = NULL, dropped = 0;
    struct plan_epoch p = {0};
    if (!perm || !rows || !msgs) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    /* Each pass's batches in that epoch's shuffled order, as job_epoch draws them. */
    for (int pass = 0; pass < passes; pass++) {
        uint32_t *pp = perm + (size_t)pass * nb;
        staging_epoch_order(j->w->opts.seed, pass + 1, nb, pp);
        for (size_t b = 0; b < nb; b++) rows[(size_t)pass * nb + b] = j->batch_rows[pp[b]];
    }
    pc.batch_rows = rows;
    if ((rc = plan_epoch_build(&pc, &p, e)) || (rc = plan_epoch_run_order(&p, &order, e))) goto out;
    so = calloc(p.n_steps, sizeof *so);
    sent = calloc(p.n_steps, 1);
    chunk = malloc(p.n_steps * sizeof *chunk);
    dead_at = malloc((size_t)n * sizeof *dead_at);
    T = calloc((size_t)passes, sizeof *T);
    ver_step = malloc(((size_t)p.n_versions + 1) * sizeof *ver_step);
    if (!so || !sent || !chunk || !dead_at || !T || !ver_step) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) dead_at[i] = -1;
    /* T[k]: when pass k's last planned step completes (never before T[k-1]). */
    ver_step[0] = -1;
    for (size_t s = 0; s < p.n_steps; s++) {
        const struct plan_step *st = &p.steps[s];
        if (st->failed) continue;
        if (st->t_end > T[st->pass]) T[st->pass] = st->t_end;
        ver_step[st->write_version] = (int64_t)s;
    }
    for (int k = 1; k < passes; k++)
        if (T[k] < T[k - 1]) T[k] = T[k - 1];
    int64_t v_prev = 0;
    struct asp_upto prev = {0};
    for (int k = 0; k < passes; k++) {
        /* Run, in run order, every step that completes by T[k]: what it reads was written
         * before its GET, so by an earlier part or this one. A function that really died
         * (out of memory) runs nothing more; its versions are marked failed so that readers
         * fall back, as an invoker marks those of a dead function's skipped steps. */
        size_t m = 0;
        for (size_t q = 0; q < p.n_steps; q++) {
            size_t s = order[q];
            const struct plan_step *st = &p.steps[s];
            if (sent[s] || st->failed || st->t_end > T[k]) continue;
            sent[s] = 1;
            if (dead_at[st->fn] >= 0) {
                char key[128];
                fn_version_key(prefix, st->write_version, 1, key, sizeof key);
                if (kv_put(j->kv, key, "failed", 6)) {
                    rc = err_set(e, kv_errcode(j->kv), "%s", kv_errmsg(j->kv));
                    goto out;
                }
                continue;
            }
            chunk[m++] = (uint32_t)s;
        }
        int failed_aggregations = 0;
        if (m > 0) {
            if ((rc = build_messages(j, &p, chunk, m, perm, memory_mb, prefix, msgs, e)) ||
                (rc = exchange(j, msgs, &p, so, NULL, &failed_aggregations, e)))
                goto out;
            for (int r = 0; r < j->size; r++) {
                free(msgs[r]);
                msgs[r] = NULL;
            }
        }
        for (size_t q = 0; q < m; q++) {
            const struct plan_step *st = &p.steps[chunk[q]];
            if (!so[chunk[q]].ok && (dead_at[st->fn] < 0 || st->step < dead_at[st->fn]))
                dead_at[st->fn] = st->step;
        }
        /* The newest version at T[k]: PUTs are numbered in the order they complete. */
        int64_t v_at = v_prev;
        while (v_at < p.n_versions && p.steps[ver_step[v_at + 1]].t_end <= T[k]) v_at++;
        int64_t got;
        if ((rc = load_version(j, prefix, v_at, 0, &got, e))) goto out;
        struct epoch_report *rep = &j->last;
        memset(rep, 0, sizeof *rep);
        struct workload_eval ev;
        if ((rc = workload_evaluate(j->w, j->eval_model, 1, j->cfg.eval_rows, &ev, e))) goto out;
        struct asp_upto now;
        asp_cost_until(j, &p, so, sent, dead_at, memory_mb, T[k], &now);
        double loss_sum = 0;
        int loss_n = 0;
        for (size_t s = 0; s < p.n_steps; s++) {
            const struct plan_step *st = &p.steps[s];
            if (st->pass != k || st->failed) continue;
            rep->fetch_s += st->t_compute - st->t_data_get;
            rep->compute_s += st->t_put - st->t_compute;
            rep->update_s += st->t_end - st->t_put;
            if (!sent[s] || !so[s].ok) continue;
            loss_sum += so[s].loss;
            loss_n++;
            if (so[s].read_got < st->write_version - 1) rep->stale_reads++;
        }
        rep->epoch = k + 1;
        rep->n = n;
        rep->memory_mb = memory_mb;
        rep->warm = now.warm - prev.warm;
        rep->time_s = T[k] - (k > 0 ? T[k - 1] : 0.0);
        rep->cost_usd = now.cost_usd - prev.cost_usd;
        rep->train_loss = loss_n ? loss_sum / loss_n : (double)NAN;
        rep->test_loss = ev.loss;
        rep->test_accuracy = ev.accuracy;
        rep->test_auc = ev.auc;
        rep->invocations = now.invocations - prev.invocations;
        rep->failed_invocations = now.failed - prev.failed;
        rep->versions = v_at - v_prev;
        struct kn_mem_report mr;
        struct err ignore;
        if (!kn_model_memory(&j->w->model_cfg, j->w->opts.batch, &j->w->optim_cfg, &mr, &ignore))
            rep->mem_util = (double)mr.total_bytes / (memory_mb * 1048576.0);
        j->total_time_s = T[k];
        j->total_cost_usd = now.cost_usd;
        j->invocations = now.invocations;
        j->failed_invocations = now.failed;
        j->peak_functions = n;
        rep->total_time_s = j->total_time_s;
        rep->total_cost_usd = j->total_cost_usd;
        rep->budget_left_usd = budget_usd > 0 ? budget_usd - j->total_cost_usd : (double)INFINITY;
        if (!j->reached_target && rep->test_loss <= j->cfg.target_loss) {
            j->reached_target = 1;
            j->time_to_target_s = T[k];
        }
        rep->reached_target = j->reached_target;
        char row[512];
        if ((rc = epoch_row(j, rep, budget_usd, row, sizeof row, e))) goto out;
        fputs(row, j->epochs_csv);
        fflush(j->epochs_csv);
        rows_done = k + 1;
        if (!j->cfg.quiet)
            LOG_INFO("run", "asp pass %d: n=%d m=%d loss %.4f acc %.4f ends at %.2f s, cost $%.6f "
                     "(total $%.6f)%s",
                     k + 1, n, memory_mb, rep->test_loss, rep->test_accuracy, T[k], rep->cost_usd,
                     j->total_cost_usd, rep->failed_invocations ? " with failed functions" : "");
        prev = now;
        v_prev = v_at;
        /* The client stops every function at T[k] once the target or the budget is met. */
        if (j->reached_target) break;
        if (budget_usd > 0 && j->total_cost_usd >= budget_usd) {
            LOG_INFO("run", "budget of $%g reached at the end of pass %d", budget_usd, k + 1);
            break;
        }
        /* Memory: the store keeps only the versions still read. Every version up to v_at is
         * settled (written or failed); the steps still to run read (or re-read under apply)
         * none older than `need`, and a read of a failed version falls back to the newest
         * earlier one that was written, so versions older than that one are dropped. The
         * store thus holds about one pass of versions (plus those a slow function still
         * reads), as an HSP epoch does before its versions are dropped. */
        int64_t need = v_at;
        for (size_t s = 0; s < p.n_steps; s++) {
            const struct plan_step *st = &p.steps[s];
            if (sent[s] || st->failed) continue;
            if (st->read_version < need) need = st->read_version;
            if (j->cfg.update == PLAN_UPDATE_APPLY && st->base_version < need) need = st->base_version;
        }
        while (need > 0 && !so[ver_step[need]].ok) need--;
        asp_drop(j, prefix, &dropped, need);
    }
    j->epoch = rows_done;
    rc = asp_trace(j, &p, so, sent, dead_at, memory_mb, T[rows_done - 1], e);
    if (!rc) rc = delete_prefix(j, prefix, NULL, e);
out:
    for (int r = 0; msgs && r < j->size; r++) free(msgs[r]);
    free(msgs);
    free(perm);
    free(rows);
    free(order);
    free(chunk);
    free(so);
    free(sent);
    free(dead_at);
    free(T);
    free(ver_step);
    plan_epoch_free(&p);
    return rc;
}

int job_serve(struct job *j, struct err *e)
{
    for (;;) {
        char *msg, *res = NULL;
        int tag, from;
        int rc = recv_text(0, &tag, &from, &msg, e);
        if (rc) return rc;
        if (tag == TAG_STOP) {
            free(msg);
            return SIREN_OK;
        }
        rc = run_tasks(j, msg, &res, e);
        free(msg);
        if (rc) {
            /* Report the failure as results of nothing; rank 0 sees missing steps. */
            LOG_ERROR("job", "rank %d: %s", j->rank, e->msg);
            res = strdup("{\"results\":[]}");
        }
        rc = send_text(res, 0, TAG_RESULTS, e);
        free(res);
        if (rc) return rc;
    }
}

int job_finish(struct job *j, struct err *e)
{
    for (int k = 1; k < j->size; k++) send_text("stop", k, TAG_STOP, e);
    if (j->epochs_csv) {
        fclose(j->epochs_csv);
        j->epochs_csv = NULL;
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/trace.h5", j->out_dir);
    int rc = trace_write_h5(&j->trace, path, e);
    if (rc) return rc;
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "workload", j->w->info.name);
    cJSON_AddStringToObject(s, "scheduler", j->scheduler);
    char sync[32];
    if (j->cfg.sync == PLAN_SYNC_SSP) snprintf(sync, sizeof sync, "ssp:%d", j->cfg.staleness);
    else snprintf(sync, sizeof sync, "%s", sync_name(j->cfg.sync));
    cJSON_AddStringToObject(s, "sync", sync);
    cJSON_AddStringToObject(s, "update", j->cfg.update == PLAN_UPDATE_APPLY ? "apply" : "overwrite");
    cJSON_AddStringToObject(s, "clock", j->cfg.wall_clock ? "wall" : "virtual");
    cJSON_AddStringToObject(s, "backend", j->backend);
    cJSON_AddStringToObject(s, "platform", j->platform.name);
    cJSON_AddNumberToObject(s, "seed", (double)j->w->opts.seed);
    cJSON_AddNumberToObject(s, "batch", j->w->opts.batch);
    cJSON_AddStringToObject(s, "commit", build_commit());
    cJSON_AddNumberToObject(s, "calibration_s_per_sample", j->cal.s_per_sample);
    cJSON_AddNumberToObject(s, "epochs", j->epoch);
    cJSON_AddNumberToObject(s, "target_loss", j->cfg.target_loss);
    if (j->reached_target) cJSON_AddNumberToObject(s, "time_to_target_s", j->time_to_target_s);
    else cJSON_AddNullToObject(s, "time_to_target_s");
    cJSON_AddNumberToObject(s, "total_time_s", j->total_time_s);
    cJSON_AddNumberToObject(s, "cost_usd", j->total_cost_usd);
    if (j->cfg.budget_usd > 0) cJSON_AddNumberToObject(s, "budget_usd", j->cfg.budget_usd);
    cJSON_AddNumberToObject(s, "final_loss", j->last.test_loss);
    cJSON_AddNumberToObject(s, "test_accuracy", j->last.test_accuracy);
    cJSON_AddBoolToObject(s, "reached_target", j->reached_target);
    cJSON_AddNumberToObject(s, "invocations", j->invocations);
    cJSON_AddNumberToObject(s, "failed_invocations", j->failed_invocations);
    cJSON_AddNumberToObject(s, "peak_functions", j->peak_functions);
    if (j->faults_on) {
        /* What was injected, and what it cost in retries and lost work (epochs.csv has the
         * same counts per epoch, trace.h5 per invocation and request). */
        char spec[256];
        fault_config_format(&j->faults, spec, sizeof spec);
        cJSON *f = cJSON_AddObjectToObject(s, "faults");
        cJSON_AddStringToObject(f, "spec", spec);
        cJSON_AddNumberToObject(f, "retries_allowed", j->faults.retries);
        cJSON_AddNumberToObject(f, "retry_delay_s", j->faults.retry_delay_s);
        cJSON_AddNumberToObject(f, "crashes", j->ftot.crashes);
        cJSON_AddNumberToObject(f, "kv_failures", j->ftot.kv_failures);
        cJSON_AddNumberToObject(f, "retries", j->ftot.retries);
        cJSON_AddNumberToObject(f, "stragglers", j->ftot.stragglers);
        cJSON_AddNumberToObject(f, "kv_errors", j->ftot.kv_errors);
        cJSON_AddNumberToObject(f, "throttled", j->ftot.throttled);
        cJSON_AddNumberToObject(f, "lost_functions", j->ftot.lost_functions);
        cJSON_AddNumberToObject(f, "failed_steps", j->ftot.failed_steps);
    }
    snprintf(path, sizeof path, "%s/summary.json", j->out_dir);
    rc = json_write_file(path, s, e);
    cJSON_Delete(s);
    return rc;
}

void job_close(struct job *j)
{
    if (!j) return;
    if (j->epochs_csv) fclose(j->epochs_csv);
    for (int k = 0; k < j->n_pools; k++) sandbox_pool_close(j->pools[k]);
    free(j->pools);
    kn_model_free(j->eval_model);
    kv_close(j->kv);
    workload_close(j->w);
    trace_free(&j->trace);
    free(j->batch_rows);
    free(j);
}

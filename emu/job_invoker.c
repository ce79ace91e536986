/*
 * job_invoker: what a rank that hosts functions does with a task message. Each task is one
 * invocation of one function (one step of it under the virtual clock, in the plan's run
 * order; all of its steps under the wall clock), run as one event of the training handler in
 * a siren-fn sandbox of the epoch's memory size, or through a registered backend. `slots`
 * threads take the tasks in order; a function's tasks run one after another, as in its
 * container, and a task whose function died is skipped. A task that fails marks the version
 * (or BSP gradient) it was to write failed, so that readers fall back instead of waiting.
 * Every event is an Invoke whose response the driver waits for, a synchronous (RequestResponse)
 * one: before any task runs, each event is held to the platform's payload_bytes.sync
 * (payload.h), and the invokers agree that all of theirs fit, so that an exchange runs on every
 * rank or on none. The sandboxes hold each response to the same limit.
 */
#include "job_internal.h"

#include "handler.h"
#include "payload.h"
#include "sandbox.h"

#include <mpi.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ backends */

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

/* ------------------------------------------------------------------- running tasks */

/* One invocation of one function, as an invoker runs it. */
struct task {
    const struct task_spec *spec; /* borrowed from the message */
    int prev;           /* index of the same function's previous task here, or -1 */
    cJSON *event;       /* the whole event (template + function + steps) */
    char *event_text;   /* the event as sent to a sandbox (JSON text) */
    char fail_key[256]; /* what its failure marks failed: its (first) version or gradient */
    int done;
    struct task_result *res; /* what it gave (in task_run.results) */
};

struct task_run {
    struct job *j;
    struct task_msg msg;
    struct task *tasks;
    struct task_result *results; /* (n) in the message's order */
    int n;
    int next;
    int memory_mb, timeout_ms, mem_method, wall;
    const struct job_backend *backend; /* NULL: local sandboxes */
    const char *backend_target;
    double t0; /* when the rank received the epoch */
    const char *params_prefix;
    struct payload_limits payload; /* the platform's, for every event and response */
    int refused; /* an event is over the payload limit: nothing may run */
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

/* A number the handler reported (a time, ms, or a count), or 0 when it gave none. */
static double response_ms(const cJSON *step, const char *key)
{
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(step, key);
    return cJSON_IsNumber(ms) ? ms->valuedouble : 0.0;
}

/* A round task's response (handler_rounds.c): one entry per operation sent, the train
 * operations with their summed losses. */
static void take_round_response(struct task_result *res, const cJSON *response, int n_ops)
{
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(response, "ops"), *op;
    res->ok = cJSON_GetArraySize(ops) == n_ops;
    cJSON_ArrayForEach(op, ops)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(op, "op");
        double ms = response_ms(op, "ms");
        if (!cJSON_IsString(name)) continue;
        if (!strcmp(name->valuestring, "load") || !strcmp(name->valuestring, "restore"))
            res->fetch_ms += ms;
        else if (!strcmp(name->valuestring, "train"))
            res->compute_ms += ms;
        else
            res->update_ms += ms;
        const cJSON *sum = cJSON_GetObjectItemCaseSensitive(op, "loss_sum");
        const cJSON *steps = cJSON_GetObjectItemCaseSensitive(op, "steps");
        if (!cJSON_IsNumber(sum) || !cJSON_IsNumber(steps)) continue;
        res->loss_sum += sum->valuedouble;
        res->loss_steps += steps->valueint;
    }
    res->kv_gets = response_ms(response, "kv_gets");
    res->kv_puts = response_ms(response, "kv_puts");
    res->bytes_read = response_ms(response, "bytes_read");
    res->bytes_written = response_ms(response, "bytes_written");
    if (!res->ok)
        snprintf(res->error, sizeof res->error, "Runtime.InvalidResponse: %d of %d operations",
                 cJSON_GetArraySize(ops), n_ops);
}

/* Reads the handler's response: one entry per step with its loss and the versions it read. */
static void take_response(struct task_result *res, const cJSON *response)
{
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(response, "steps");
    int ok = cJSON_GetArraySize(steps) == res->n_steps;
    for (int k = 0; ok && k < res->n_steps; k++) {
        const cJSON *s = cJSON_GetArrayItem(steps, k);
        const cJSON *loss = cJSON_GetObjectItemCaseSensitive(s, "loss");
        const cJSON *rd = cJSON_GetObjectItemCaseSensitive(s, "read");
        const cJSON *bs = cJSON_GetObjectItemCaseSensitive(s, "base");
        struct step_result *sr = &res->steps[k];
        sr->timing = (struct step_timing){
            .data_get_ms = response_ms(s, "data_get_ms"),
            .param_get_ms = response_ms(s, "param_get_ms"),
            .compute_ms = response_ms(s, "compute_ms"),
            .base_get_ms = response_ms(s, "base_get_ms"),
            .put_ms = response_ms(s, "put_ms"),
        };
        ok = cJSON_IsNumber(loss) && cJSON_IsNumber(rd);
        if (!ok) break;
        sr->loss = loss->valuedouble;
        sr->read_got = (int64_t)rd->valuedouble;
        sr->base_got = cJSON_IsNumber(bs) ? (int64_t)bs->valuedouble : -1;
    }
    res->ok = ok;
    if (!ok) snprintf(res->error, sizeof res->error, "Runtime.InvalidResponse: no step results");
}

static void run_one(struct task_run *r, struct sandbox_pool *pool, struct task *t)
{
    struct task_result *out = t->res;
    struct sandbox_opts so;
    sandbox_opts_init(&so);
    int memory_mb = t->spec->memory_mb > 0 ? t->spec->memory_mb : r->memory_mb;
    so.mem_limit_mb = memory_mb;
    so.timeout_ms = r->timeout_ms;
    so.mem_method = (enum sandbox_mem_method)r->mem_method;
    so.payload = r->payload;
    struct sandbox_result res;
    struct err e;
    out->start_ms = (clock_mono_s() - r->t0) * 1e3;
    int rc = r->backend ? r->backend->invoke(r->backend_target, memory_mb, r->timeout_ms,
                                             t->event, &res, &e)
                        : sandbox_pool_invoke_text(pool, &so, "train", t->event_text, &res, &e);
    out->end_ms = (clock_mono_s() - r->t0) * 1e3;
    out->wall_ms = out->end_ms - out->start_ms;
    if (rc) snprintf(out->error, sizeof out->error, "Sandbox.Error: %s", e.msg);
    else if (res.status != SANDBOX_OK)
        snprintf(out->error, sizeof out->error, "%s: %s", res.error_type, res.error_msg);
    else if (t->spec->ops) take_round_response(out, res.response, cJSON_GetArraySize(t->spec->ops));
    else take_response(out, res.response);
    out->cold = res.cold;
    out->init_ms = res.init_ms;
    out->run_ms = res.duration_ms;
    out->peak_mb = res.peak_mb;
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
        int dead = t->prev >= 0 && !r->tasks[t->prev].res->ok;
        pthread_mutex_unlock(&r->mu);
        if (dead)
            snprintf(t->res->error, sizeof t->res->error, "Skipped: the function died earlier");
        else run_one(r, a->pool, t);
        pthread_mutex_lock(&r->mu);
        if (!t->res->ok && (!r->wall || t->spec->ops)) mark_failed(r, t->fail_key);
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

int job_pools_open(struct job *j, struct err *e)
{
    j->slots = j->cfg.slots > 0 ? j->cfg.slots : 1;
    if (j->slots > 64) j->slots = 64;
    return ensure_pools(j, j->slots, e);
}

/* A step of a task's event, as the handler reads it (handler.h): a training or gradient step
 * names its data, the versions it reads (its base under APPLY, or any under the wall clock)
 * and its seed; an aggregation names the gradients it averages. */
static cJSON *event_step(const struct task_step *st, int wall)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddNumberToObject(s, "read", (double)st->read_version);
    if (st->kind == TASK_STEP_AGGREGATE) {
        cJSON *keys = cJSON_AddArrayToObject(s, "aggregate");
        for (int i = 0; i < st->n_aggregate; i++)
            cJSON_AddItemToArray(keys, cJSON_CreateString(st->aggregate[i]));
        cJSON_AddNumberToObject(s, "write", (double)st->write_version);
        return s;
    }
    cJSON_AddStringToObject(s, "data", st->data_key);
    if (st->kind == TASK_STEP_GRADIENT) cJSON_AddStringToObject(s, "grad", st->grad_key);
    else cJSON_AddNumberToObject(s, "write", (double)st->write_version);
    if (st->base_version >= 0 || wall)
        cJSON_AddNumberToObject(s, "base", (double)st->base_version);
    cJSON_AddNumberToObject(s, "seed", (double)st->seed);
    return s;
}

/* Task i: its event (the template with the function's number and its steps; an ASP step's
 * own pass's epoch and learning rate), the task of the same function before it, and what its
 * failure marks failed. */
static int task_open(struct task_run *r, int i, struct err *e)
{
    struct task *t = &r->tasks[i];
    const struct task_spec *sp = &r->msg.tasks[i];
    t->spec = sp;
    t->res = &r->results[i];
    t->res->fn = sp->fn;
    t->res->first_step = sp->first_step;
    t->res->n_steps = sp->n_steps;
    t->res->steps = calloc((size_t)sp->n_steps, sizeof *t->res->steps);
    if (!t->res->steps) return err_set(e, SIREN_ENOMEM, "out of memory");
    t->prev = -1;
    for (int k = i - 1; k >= 0 && !r->wall; k--)
        if (r->tasks[k].spec->fn == sp->fn) {
            t->prev = k;
            break;
        }
    t->event = cJSON_Duplicate(r->msg.event, 1);
    if (sp->epoch > 0) {
        cJSON *opt = cJSON_GetObjectItemCaseSensitive(t->event, "optimizer");
        cJSON_ReplaceItemInObjectCaseSensitive(opt, "lr", cJSON_CreateNumber(sp->lr));
        cJSON_ReplaceItemInObjectCaseSensitive(t->event, "epoch", cJSON_CreateNumber(sp->epoch));
    }
    cJSON_AddNumberToObject(t->event, "function", sp->fn);
    if (sp->ops) {
        cJSON_AddStringToObject(t->event, "kind", "rounds");
        cJSON_AddItemToObject(t->event, "ops", cJSON_Duplicate(sp->ops, 1));
        snprintf(t->fail_key, sizeof t->fail_key, "%s", sp->fail_key);
        return SIREN_OK;
    }
    if (sp->state_key[0]) cJSON_AddStringToObject(t->event, "state", sp->state_key);
    cJSON *steps = cJSON_AddArrayToObject(t->event, "steps");
    for (int k = 0; k < sp->n_steps; k++)
        cJSON_AddItemToArray(steps, event_step(&sp->steps[k], r->wall));
    const struct task_step *s0 = &sp->steps[0];
    if (s0->kind == TASK_STEP_GRADIENT)
        snprintf(t->fail_key, sizeof t->fail_key, "%s", s0->grad_key);
    else fn_version_key(r->params_prefix, s0->write_version, 0, t->fail_key, sizeof t->fail_key);
    return SIREN_OK;
}

/* Renders every task's event as it will be sent and holds it to the synchronous payload
 * limit, before any task runs. An event over the limit sets r->refused; the message names the
 * largest (the one to shrink first) and how many are over. */
static int tasks_check_payload(struct task_run *r, struct err *e)
{
    int largest = -1, over = 0;
    size_t largest_bytes = 0;
    for (int i = 0; i < r->n; i++) {
        struct task *t = &r->tasks[i];
        if (!(t->event_text = cJSON_PrintUnformatted(t->event)))
            return err_set(e, SIREN_ENOMEM, "out of memory");
        size_t bytes = strlen(t->event_text);
        if (r->payload.sync_bytes > 0 && bytes > (unsigned long long)r->payload.sync_bytes) over++;
        if (largest < 0 || bytes > largest_bytes) {
            largest = i;
            largest_bytes = bytes;
        }
    }
    if (!over) return SIREN_OK;
    r->refused = 1;
    const struct task_spec *sp = r->tasks[largest].spec;
    char what[160];
    int n = snprintf(what, sizeof what, "epoch %d, function %d",
                     sp->epoch > 0 ? sp->epoch : r->msg.epoch, sp->fn);
    if (over > 1 && n > 0 && (size_t)n < sizeof what)
        snprintf(what + n, sizeof what - (size_t)n, " (the largest of %d events over the limit)",
                 over);
    return payload_event_check(&r->payload, PAYLOAD_SYNC, largest_bytes, what, e);
}

/* Reads a task message into r: its settings, then one task per entry. */
static int tasks_open(struct job *j, const char *text, struct task_run *r, struct err *e)
{
    int rc = job_task_msg_decode(text, &r->msg, e);
    if (rc) return rc;
    const char *kv = cJSON_GetObjectItemCaseSensitive(r->msg.event, "kv")->valuestring;
    r->j = j;
    r->n = r->msg.n_tasks;
    r->memory_mb = r->msg.memory_mb;
    r->timeout_ms = (int)r->msg.timeout_ms;
    r->wall = r->msg.wall;
    r->params_prefix = cJSON_GetObjectItemCaseSensitive(r->msg.event, "params")->valuestring;
    r->mem_method = fn_memory_method_for(kv);
    payload_limits_of(&j->platform, &r->payload);
    if (j->cfg.backend && strcmp(j->cfg.backend, "sandbox")) {
        r->backend = backend_find(j->cfg.backend);
        r->backend_target = j->backend_target;
        if (!r->backend)
            return err_set(e, SIREN_ENOTFOUND, "no function backend '%s'", j->cfg.backend);
    }
    r->tasks = calloc((size_t)(r->n ? r->n : 1), sizeof *r->tasks);
    r->results = calloc((size_t)(r->n ? r->n : 1), sizeof *r->results);
    if (!r->tasks || !r->results) return err_set(e, SIREN_ENOMEM, "out of memory");
    if ((rc = kv_open(kv, &r->kv, e))) return rc;
    for (int i = 0; i < r->n; i++)
        if ((rc = task_open(r, i, e))) return rc;
    return tasks_check_payload(r, e);
}

/* Virtual clock: `slots` threads take the tasks in the plan's order. Wall clock: every
 * function runs at once, one thread and one sandbox each. */
static int tasks_run_all(struct job *j, struct task_run *r, struct err *e)
{
    int nth = r->wall ? r->n : j->slots;
    int rc = ensure_pools(j, nth, e);
    if (rc) return rc;
    pthread_t *th = calloc((size_t)(nth ? nth : 1), sizeof *th);
    struct worker_arg *args = calloc((size_t)(nth ? nth : 1), sizeof *args);
    if (!th || !args) {
        free(th);
        free(args);
        return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    for (int k = 0; k < nth; k++) {
        args[k] = (struct worker_arg){r, j->pools[k], r->wall ? k : -1};
        pthread_create(&th[k], NULL, task_worker, &args[k]);
    }
    for (int k = 0; k < nth; k++) pthread_join(th[k], NULL);
    free(th);
    free(args);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    return SIREN_OK;
}

static void task_run_free(struct task_run *r)
{
    for (int k = 0; k < r->n && r->tasks; k++) {
        cJSON_Delete(r->tasks[k].event);
        free(r->tasks[k].event_text);
    }
    free(r->tasks);
    job_task_results_free(r->results, r->n);
    job_task_msg_free(&r->msg);
    kv_close(r->kv);
}

/* Runs an opened task message's tasks and encodes their results into *out. */
static int tasks_run_encode(struct job *j, struct task_run *r, char **out, struct err *e)
{
    int rc = tasks_run_all(j, r, e);
    return rc ? rc : job_task_results_encode(r->results, r->n, out, e);
}

int job_tasks_run(struct job *j, const char *msg, char **out, struct err *e)
{
    struct task_run r = {0};
    r.t0 = clock_mono_s();
    int rc = tasks_open(j, msg, &r, e);
    if (!rc) rc = tasks_run_encode(j, &r, out, e);
    task_run_free(&r);
    return rc;
}

/* The invoker ranks (1 .. size-1) among themselves: made by them alone (rank 0 is not in
 * the group, so it need not take part). */
static int invokers_comm(const struct job *j, MPI_Comm *out, struct err *e)
{
    MPI_Group world, invokers;
    int zero = 0, rc = SIREN_OK;
    *out = MPI_COMM_NULL;
    if (MPI_Comm_group(MPI_COMM_WORLD, &world) != MPI_SUCCESS)
        return err_set(e, SIREN_EMPI, "rank %d: MPI_Comm_group failed", j->rank);
    if (MPI_Group_excl(world, 1, &zero, &invokers) != MPI_SUCCESS) {
        MPI_Group_free(&world);
        return err_set(e, SIREN_EMPI, "rank %d: MPI_Group_excl failed", j->rank);
    }
    if (MPI_Comm_create_group(MPI_COMM_WORLD, invokers, TAG_TASKS, out) != MPI_SUCCESS)
        rc = err_set(e, SIREN_EMPI, "rank %d: MPI_Comm_create_group failed", j->rank);
    MPI_Group_free(&invokers);
    MPI_Group_free(&world);
    return rc;
}

/* One task message on an invoker rank. Every invoker gets one per exchange and opens it
 * (decoding, events, their payload check) before any runs a task; then they agree, so that
 * if one refuses its events none runs anything, and nothing of the exchange is half done.
 * The refusing rank answers with its reason, which fails the exchange on rank 0; the others
 * answer with results of nothing. *out: the results message (caller frees). */
static int serve_one(struct job *j, MPI_Comm invokers, const char *msg, char **out,
                     struct err *e)
{
    struct task_run r = {0};
    struct err oe;
    err_clear(&oe);
    r.t0 = clock_mono_s();
    int orc = tasks_open(j, msg, &r, &oe);
    int refused = r.refused, any = refused, rc = SIREN_OK;
    if (MPI_Allreduce(&refused, &any, 1, MPI_INT, MPI_MAX, invokers) != MPI_SUCCESS)
        rc = err_set(e, SIREN_EMPI, "rank %d: MPI_Allreduce among the invokers failed",
                     j->rank);
    else if (refused) rc = job_task_results_encode_refusal(oe.code, oe.msg, out, e);
    else if (orc || any) {
        /* Report a failure as results of nothing; rank 0 sees missing steps (or, when
         * another invoker refused, that invoker's reason). */
        if (orc) LOG_ERROR("job", "rank %d: %s", j->rank, oe.msg);
        rc = job_task_results_encode(NULL, 0, out, e);
    } else if ((rc = tasks_run_encode(j, &r, out, e))) {
        LOG_ERROR("job", "rank %d: %s", j->rank, e->msg);
        rc = job_task_results_encode(NULL, 0, out, e);
    }
    task_run_free(&r);
    return rc;
}

int job_serve(struct job *j, struct err *e)
{
    MPI_Comm invokers;
    int rc = invokers_comm(j, &invokers, e);
    while (!rc) {
        char *msg, *res = NULL;
        int tag, from;
        if ((rc = job_msg_recv(0, &tag, &from, &msg, e))) break;
        if (tag == TAG_STOP) {
            free(msg);
            break;
        }
        rc = serve_one(j, invokers, msg, &res, e);
        free(msg);
        if (!rc) rc = job_msg_send(res, 0, TAG_RESULTS, e);
        free(res);
    }
    if (invokers != MPI_COMM_NULL) MPI_Comm_free(&invokers);
    return rc;
}

/*
 * job_invoker: what a rank that hosts functions does with a task message. Each task is one
 * invocation of one function (one step of it under the virtual clock, in the plan's run
 * order; all of its steps under the wall clock), run as one event of the training handler in
 * a siren-fn sandbox of the epoch's memory size, or through a registered backend. `slots`
 * threads take the tasks in order; a function's tasks run one after another, as in its
 * container, and a task whose function died is skipped. A task that fails marks the version
 * (or BSP gradient) it was to write failed, so that readers fall back instead of waiting.
 */
#include "job_internal.h"

#include "handler.h"
#include "sandbox.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ backends */

static const struct job_backend *backends[8];
static int n_backends;

int job_backend_register(const struct job_backend *b)
{
    for (int i = 0; i < n_backends; i++)
        if (!strcmp(backends[i]->name, b->name)) return SIREN_OK;
    if (n_backends == 8) return SIREN_ELIMIT;
    backends[n_backends++] = b;
    return SIREN_OK;
}

static const struct job_backend *backend_find(const char *name)
{
    for (int i = 0; i < n_backends; i++)
        if (!strcmp(backends[i]->name, name)) return backends[i];
    return NULL;
}

/* ------------------------------------------------------------------- running tasks */

/* What one step of a task gave. */
struct step_result {
    double loss;
    double op_ms[5]; /* data GET, parameter GET, compute, base GET, PUT (measured inside) */
    int64_t read_got, base_got;
};

/* One invocation of one function, as an invoker runs it. */
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

/* Reads the handler's response: one entry per step with its loss and the versions it read. */
static void take_response(struct task *t, const cJSON *response)
{
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(response, "steps");
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
    if (rc) snprintf(t->error, sizeof t->error, "Sandbox.Error: %s", e.msg);
    else if (res.status != SANDBOX_OK)
        snprintf(t->error, sizeof t->error, "%s: %s", res.error_type, res.error_msg);
    else take_response(t, res.response);
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

int job_pools_open(struct job *j, struct err *e)
{
    j->slots = j->cfg.slots > 0 ? j->cfg.slots : 1;
    if (j->slots > 64) j->slots = 64;
    return ensure_pools(j, j->slots, e);
}

/* Task i's event: the template with the function's number and its steps, as the handler reads
 * them (handler.h). A task is [fn, first step, [[data key, read, base, write, seed (, extra)],
 * ...] (, lr, epoch)]. */
static int task_from_wire(struct task_run *r, const cJSON *tmpl, const cJSON *tk, int i,
                          struct err *e)
{
    struct task *t = &r->tasks[i];
    const cJSON *fn = cJSON_GetArrayItem(tk, 0), *first = cJSON_GetArrayItem(tk, 1);
    const cJSON *list = cJSON_GetArrayItem(tk, 2);
    if (!cJSON_IsNumber(fn) || !cJSON_IsNumber(first) || !cJSON_IsArray(list) ||
        cJSON_GetArraySize(list) < 1)
        return err_set(e, SIREN_EFORMAT, "epoch message: task %d is malformed", i);
    t->fn = (int)fn->valuedouble;
    t->first_step = (int)first->valuedouble;
    t->n_steps = cJSON_GetArraySize(list);
    t->steps = calloc((size_t)t->n_steps, sizeof *t->steps);
    if (!t->steps) return err_set(e, SIREN_ENOMEM, "out of memory");
    t->prev = -1;
    for (int k = i - 1; k >= 0 && !r->wall; k--)
        if (r->tasks[k].fn == t->fn) {
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
        /* [data, read, base, write, seed] and, for BSP, a gradient key (a gradient step) or
         * the round's gradient keys (the leader's aggregation). */
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
            if (cJSON_GetArrayItem(a, 2)->valuedouble >= 0 || r->wall)
                cJSON_AddNumberToObject(s, "base", cJSON_GetArrayItem(a, 2)->valuedouble);
            cJSON_AddNumberToObject(s, "seed", cJSON_GetArrayItem(a, 4)->valuedouble);
        }
        cJSON_AddItemToArray(steps, s);
    }
    const cJSON *a0 = cJSON_GetArrayItem(list, 0), *x0 = cJSON_GetArrayItem(a0, 5);
    if (cJSON_IsString(x0)) snprintf(t->fail_key, sizeof t->fail_key, "%s", x0->valuestring);
    else fn_version_key(r->params_prefix, (int64_t)cJSON_GetArrayItem(a0, 3)->valuedouble, 0,
                        t->fail_key, sizeof t->fail_key);
    return SIREN_OK;
}

/* Reads a task message into r: its settings, then one task per entry. */
static int tasks_from_wire(struct job *j, const cJSON *root, struct task_run *r, struct err *e)
{
    const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(root, "template");
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(root, "tasks");
    const cJSON *pref = cJSON_GetObjectItemCaseSensitive(tmpl, "params");
    const cJSON *kvu = cJSON_GetObjectItemCaseSensitive(tmpl, "kv");
    long long mem, tmo, wall;
    int rc;
    if ((rc = json_get_int(root, "memory_mb", "epoch message", &mem, e)) ||
        (rc = json_get_int(root, "timeout_ms", "epoch message", &tmo, e)) ||
        (rc = json_get_int(root, "wall", "epoch message", &wall, e)))
        return rc;
    if (!cJSON_IsObject(tmpl) || !cJSON_IsArray(tasks) || !cJSON_IsString(pref) ||
        !cJSON_IsString(kvu))
        return err_set(e, SIREN_EFORMAT, "epoch message: missing template or tasks");
    r->j = j;
    r->n = cJSON_GetArraySize(tasks);
    r->memory_mb = (int)mem;
    r->timeout_ms = (int)tmo;
    r->wall = (int)wall;
    r->params_prefix = pref->valuestring;
    r->mem_method = fn_memory_method_for(kvu->valuestring);
    if (j->cfg.backend && strcmp(j->cfg.backend, "sandbox")) {
        r->backend = backend_find(j->cfg.backend);
        r->backend_target = j->backend_target;
        if (!r->backend)
            return err_set(e, SIREN_ENOTFOUND, "no function backend '%s'", j->cfg.backend);
    }
    r->tasks = calloc((size_t)(r->n ? r->n : 1), sizeof *r->tasks);
    if (!r->tasks) return err_set(e, SIREN_ENOMEM, "out of memory");
    if ((rc = kv_open(kvu->valuestring, &r->kv, e))) return rc;
    int i = 0;
    const cJSON *tk;
    cJSON_ArrayForEach(tk, tasks)
    {
        if ((rc = task_from_wire(r, tmpl, tk, i, e))) return rc;
        i++;
    }
    return SIREN_OK;
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

/* The results message: one row per step of every task. */
static int results_to_wire(const struct task_run *r, char **out, struct err *e)
{
    cJSON *res = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(res, "results");
    for (int k = 0; k < r->n; k++) {
        const struct task *t = &r->tasks[k];
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
    cJSON_Delete(res);
    return *out ? SIREN_OK : err_set(e, SIREN_ENOMEM, "out of memory");
}

int job_tasks_run(struct job *j, const char *msg, char **out, struct err *e)
{
    cJSON *root = NULL;
    struct task_run r = {0};
    r.t0 = clock_mono_s();
    int rc = json_parse(msg, strlen(msg), "epoch message", &root, e);
    if (rc) return rc;
    if (!(rc = tasks_from_wire(j, root, &r, e)) && !(rc = tasks_run_all(j, &r, e)))
        rc = results_to_wire(&r, out, e);
    for (int k = 0; k < r.n && r.tasks; k++) {
        cJSON_Delete(r.tasks[k].event);
        free(r.tasks[k].steps);
    }
    free(r.tasks);
    kv_close(r.kv);
    cJSON_Delete(root);
    return rc;
}

int job_serve(struct job *j, struct err *e)
{
    for (;;) {
        char *msg, *res = NULL;
        int tag, from;
        int rc = job_msg_recv(0, &tag, &from, &msg, e);
        if (rc) return rc;
        if (tag == TAG_STOP) {
            free(msg);
            return SIREN_OK;
        }
        rc = job_tasks_run(j, msg, &res, e);
        free(msg);
        if (rc) {
            /* Report the failure as results of nothing; rank 0 sees missing steps. */
            LOG_ERROR("job", "rank %d: %s", j->rank, e->msg);
            res = strdup("{\"results\":[]}");
        }
        rc = job_msg_send(res, 0, TAG_RESULTS, e);
        free(res);
        if (rc) return rc;
    }
}

/*
 * job_wire: the messages between rank 0 and the invoker ranks (job_wire.h has the formats):
 * each struct's encoder and decoder, next to each other so that a field added to one is seen
 * in the other, and the MPI point-to-point transport of the text. Every message is JSON
 * sent with one of the job's tags (TAG_TASKS: rank 0's task message, TAG_RESULTS: an
 * invoker's answer, TAG_STOP: the end of the job). A waiting rank polls instead of blocking in
 * MPI, because it shares the host's cores with the sandboxes.
 */
#include "job_internal.h"

#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ typed getters */

static int get_int(const cJSON *o, const char *key, const char *where, int *out, struct err *e)
{
    long long v;
    int rc = json_get_int(o, key, where, &v, e);
    if (rc) return rc;
    if (v < INT_MIN || v > INT_MAX)
        return err_set(e, SIREN_EFORMAT, "%s: key '%s': %lld is out of range", where, key, v);
    *out = (int)v;
    return SIREN_OK;
}

static int get_i64(const cJSON *o, const char *key, const char *where, int64_t *out,
                   struct err *e)
{
    long long v;
    int rc = json_get_int(o, key, where, &v, e);
    if (!rc) *out = (int64_t)v;
    return rc;
}

/* A KV key: a string that fits TASK_KEY_MAX. */
static int get_key(const cJSON *o, const char *key, const char *where, char *buf,
                   struct err *e)
{
    const char *s;
    int rc = json_get_string(o, key, where, &s, e);
    if (rc) return rc;
    if (strlen(s) >= TASK_KEY_MAX)
        return err_set(e, SIREN_EFORMAT, "%s: key '%s': longer than %d bytes", where, key,
                       TASK_KEY_MAX - 1);
    memcpy(buf, s, strlen(s) + 1);
    return SIREN_OK;
}

static int get_array(const cJSON *o, const char *key, const char *where, const cJSON **out,
                     struct err *e)
{
    *out = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!*out) return err_set(e, SIREN_EFORMAT, "%s: key '%s' is missing", where, key);
    if (!cJSON_IsArray(*out))
        return err_set(e, SIREN_EFORMAT, "%s: key '%s': expected an array", where, key);
    return SIREN_OK;
}

/* Where entry i of an array is, for messages: "<where> <what> <i>". */
static void where_at(char *buf, size_t len, const char *where, const char *what, int i)
{
    snprintf(buf, len, "%s: %s %d", where, what, i);
}

/* Grows an array of n entries of size bytes to hold one more; NULL when out of memory. The
 * new entry is zeroed. */
static void *grow(void **items, int *n, int *cap, size_t size)
{
    if (*n == *cap) {
        int want = *cap ? 2 * *cap : 4;
        void *p = realloc(*items, (size_t)want * size);
        if (!p) return NULL;
        *items = p;
        *cap = want;
    }
    char *at = (char *)*items + (size_t)(*n)++ * size;
    memset(at, 0, size);
    return at;
}

/* ------------------------------------------------------------------- task messages */

static const char *const step_kinds[] = {"train", "gradient", "aggregate"};

struct task_spec *job_task_msg_add(struct task_msg *m)
{
    return grow((void **)&m->tasks, &m->n_tasks, &m->cap_tasks, sizeof *m->tasks);
}

struct task_step *job_task_spec_add_step(struct task_spec *t)
{
    return grow((void **)&t->steps, &t->n_steps, &t->cap_steps, sizeof *t->steps);
}

int job_task_step_aggregate(struct task_step *s, int n, struct err *e)
{
    s->aggregate = calloc((size_t)(n > 0 ? n : 1), sizeof *s->aggregate);
    if (!s->aggregate) return err_set(e, SIREN_ENOMEM, "out of memory");
    s->n_aggregate = n;
    return SIREN_OK;
}

static cJSON *task_step_encode(const struct task_step *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", step_kinds[s->kind]);
    cJSON_AddStringToObject(o, "data", s->data_key);
    cJSON_AddNumberToObject(o, "read", (double)s->read_version);
    cJSON_AddNumberToObject(o, "base", (double)s->base_version);
    cJSON_AddNumberToObject(o, "write", (double)s->write_version);
    cJSON_AddNumberToObject(o, "seed", (double)s->seed);
    cJSON_AddStringToObject(o, "grad", s->grad_key);
    cJSON *agg = cJSON_AddArrayToObject(o, "aggregate");
    for (int i = 0; i < s->n_aggregate; i++)
        cJSON_AddItemToArray(agg, cJSON_CreateString(s->aggregate[i]));
    return o;
}

static int task_step_decode(const cJSON *o, const char *where, struct task_step *s,
                            struct err *e)
{
    const char *kind;
    const cJSON *agg;
    int64_t seed;
    int rc;
    if (!cJSON_IsObject(o)) return err_set(e, SIREN_EFORMAT, "%s: expected an object", where);
    if ((rc = json_get_string(o, "kind", where, &kind, e))) return rc;
    int k = 0;
    while (k <= TASK_STEP_AGGREGATE && strcmp(kind, step_kinds[k])) k++;
    if (k > TASK_STEP_AGGREGATE)
        return err_set(e, SIREN_EFORMAT, "%s: key 'kind': expected train, gradient or "
                       "aggregate, got '%s'", where, kind);
    s->kind = (enum task_step_kind)k;
    if ((rc = get_key(o, "data", where, s->data_key, e)) ||
        (rc = get_i64(o, "read", where, &s->read_version, e)) ||
        (rc = get_i64(o, "base", where, &s->base_version, e)) ||
        (rc = get_i64(o, "write", where, &s->write_version, e)) ||
        (rc = get_i64(o, "seed", where, &seed, e)) ||
        (rc = get_key(o, "grad", where, s->grad_key, e)) ||
        (rc = get_array(o, "aggregate", where, &agg, e)))
        return rc;
    if (seed < 0) return err_set(e, SIREN_EFORMAT, "%s: key 'seed': expected >= 0", where);
    s->seed = (uint64_t)seed;
    int n = cJSON_GetArraySize(agg);
    if (n > 0 && (rc = job_task_step_aggregate(s, n, e))) return rc;
    for (int i = 0; i < n; i++) {
        const cJSON *key = cJSON_GetArrayItem(agg, i);
        if (!cJSON_IsString(key) || strlen(key->valuestring) >= TASK_KEY_MAX)
            return err_set(e, SIREN_EFORMAT, "%s: key 'aggregate': entry %d is not a key",
                           where, i);
        memcpy(s->aggregate[i], key->valuestring, strlen(key->valuestring) + 1);
    }
    return SIREN_OK;
}

static cJSON *task_spec_encode(const struct task_spec *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "fn", t->fn);
    cJSON_AddNumberToObject(o, "first_step", t->first_step);
    cJSON_AddNumberToObject(o, "epoch", t->epoch);
    cJSON_AddNumberToObject(o, "lr", t->lr);
    cJSON_AddNumberToObject(o, "memory_mb", t->memory_mb);
    cJSON_AddStringToObject(o, "state", t->state_key);
    cJSON *steps = cJSON_AddArrayToObject(o, "steps");
    for (int k = 0; k < t->n_steps; k++)
        cJSON_AddItemToArray(steps, task_step_encode(&t->steps[k]));
    if (t->ops) {
        cJSON_AddItemToObject(o, "ops", cJSON_Duplicate(t->ops, 1));
        cJSON_AddStringToObject(o, "fail", t->fail_key);
    }
    return o;
}

static void task_spec_free(struct task_spec *t)
{
    for (int k = 0; k < t->n_steps; k++) free(t->steps[k].aggregate);
    free(t->steps);
    cJSON_Delete(t->ops);
}

static int task_spec_decode(const cJSON *o, const char *where, struct task_spec *t,
                            struct err *e)
{
    const cJSON *steps;
    int rc;
    if (!cJSON_IsObject(o)) return err_set(e, SIREN_EFORMAT, "%s: expected an object", where);
    if ((rc = get_int(o, "fn", where, &t->fn, e)) ||
        (rc = get_int(o, "first_step", where, &t->first_step, e)) ||
        (rc = get_int(o, "epoch", where, &t->epoch, e)) ||
        (rc = json_get_number(o, "lr", where, &t->lr, e)) ||
        (rc = get_int(o, "memory_mb", where, &t->memory_mb, e)) ||
        (rc = get_key(o, "state", where, t->state_key, e)) ||
        (rc = get_array(o, "steps", where, &steps, e)))
        return rc;
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(o, "ops");
    if (ops) {
        /* A round task: its operations go to the handler, which checks each one. */
        if (!cJSON_IsArray(ops) || cJSON_GetArraySize(ops) < 1)
            return err_set(e, SIREN_EFORMAT, "%s: key 'ops': expected a non-empty array", where);
        if ((rc = get_key(o, "fail", where, t->fail_key, e))) return rc;
        t->ops = cJSON_Duplicate(ops, 1);
        return t->ops ? SIREN_OK : err_set(e, SIREN_ENOMEM, "out of memory");
    }
    if (cJSON_GetArraySize(steps) < 1)
        return err_set(e, SIREN_EFORMAT, "%s: key 'steps': no step", where);
    const cJSON *s;
    cJSON_ArrayForEach(s, steps)
    {
        char at[128];
        where_at(at, sizeof at, where, "step", t->n_steps);
        struct task_step *st = job_task_spec_add_step(t);
        if (!st) return err_set(e, SIREN_ENOMEM, "out of memory");
        if ((rc = task_step_decode(s, at, st, e))) return rc;
    }
    return SIREN_OK;
}

int job_task_msg_encode(const struct task_msg *m, char **text, struct err *e)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "epoch", m->epoch);
    cJSON_AddNumberToObject(root, "memory_mb", m->memory_mb);
    cJSON_AddNumberToObject(root, "timeout_ms", m->timeout_ms);
    cJSON_AddNumberToObject(root, "wall", m->wall);
    cJSON_AddItemToObject(root, "template", cJSON_Duplicate(m->event, 1));
    cJSON *tasks = cJSON_AddArrayToObject(root, "tasks");
    for (int i = 0; i < m->n_tasks; i++)
        cJSON_AddItemToArray(tasks, task_spec_encode(&m->tasks[i]));
    *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return *text ? SIREN_OK : err_set(e, SIREN_ENOMEM, "out of memory");
}

int job_task_msg_decode(const char *text, struct task_msg *m, struct err *e)
{
    static const char where[] = "task message";
    cJSON *root;
    const cJSON *tasks, *tk;
    const char *kv, *params;
    long long timeout_ms;
    memset(m, 0, sizeof *m);
    int rc = json_parse(text, strlen(text), where, &root, e);
    if (rc) return rc;
    m->event = cJSON_DetachItemFromObjectCaseSensitive(root, "template");
    if ((rc = get_int(root, "epoch", where, &m->epoch, e)) ||
        (rc = get_int(root, "memory_mb", where, &m->memory_mb, e)) ||
        (rc = json_get_int(root, "timeout_ms", where, &timeout_ms, e)) ||
        (rc = get_int(root, "wall", where, &m->wall, e)) ||
        (rc = get_array(root, "tasks", where, &tasks, e)))
        goto out;
    m->timeout_ms = (double)timeout_ms;
    if (!cJSON_IsObject(m->event)) {
        rc = err_set(e, SIREN_EFORMAT, "%s: key 'template': expected an object", where);
        goto out;
    }
    if ((rc = json_get_string(m->event, "kv", "task message: template", &kv, e)) ||
        (rc = json_get_string(m->event, "params", "task message: template", &params, e)))
        goto out;
    cJSON_ArrayForEach(tk, tasks)
    {
        char at[64];
        where_at(at, sizeof at, where, "task", m->n_tasks);
        struct task_spec *t = job_task_msg_add(m);
        if (!t) {
            rc = err_set(e, SIREN_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = task_spec_decode(tk, at, t, e))) goto out;
    }
out:
    cJSON_Delete(root);
    if (rc) job_task_msg_free(m);
    return rc;
}

void job_task_msg_free(struct task_msg *m)
{
    if (!m) return;
    for (int i = 0; i < m->n_tasks; i++) task_spec_free(&m->tasks[i]);
    free(m->tasks);
    cJSON_Delete(m->event);
    memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- results messages */

static cJSON *step_result_encode(const struct step_result *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "read_got", (double)s->read_got);
    cJSON_AddNumberToObject(o, "base_got", (double)s->base_got);
    cJSON_AddNumberToObject(o, "loss", s->loss);
    cJSON_AddNumberToObject(o, "data_get_ms", s->timing.data_get_ms);
    cJSON_AddNumberToObject(o, "param_get_ms", s->timing.param_get_ms);
    cJSON_AddNumberToObject(o, "compute_ms", s->timing.compute_ms);
    cJSON_AddNumberToObject(o, "base_get_ms", s->timing.base_get_ms);
    cJSON_AddNumberToObject(o, "put_ms", s->timing.put_ms);
    return o;
}

static int step_result_decode(const cJSON *o, const char *where, struct step_result *s,
                              struct err *e)
{
    struct step_timing *t = &s->timing;
    int rc;
    if (!cJSON_IsObject(o)) return err_set(e, SIREN_EFORMAT, "%s: expected an object", where);
    if ((rc = get_i64(o, "read_got", where, &s->read_got, e)) ||
        (rc = get_i64(o, "base_got", where, &s->base_got, e)) ||
        (rc = json_get_number(o, "loss", where, &s->loss, e)) ||
        (rc = json_get_number(o, "data_get_ms", where, &t->data_get_ms, e)) ||
        (rc = json_get_number(o, "param_get_ms", where, &t->param_get_ms, e)) ||
        (rc = json_get_number(o, "compute_ms", where, &t->compute_ms, e)) ||
        (rc = json_get_number(o, "base_get_ms", where, &t->base_get_ms, e)) ||
        (rc = json_get_number(o, "put_ms", where, &t->put_ms, e)))
        return rc;
    return SIREN_OK;
}

cJSON *job_task_result_encode(const struct task_result *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddNumberToObject(o, "fn", r->fn);
    cJSON_AddNumberToObject(o, "first_step", r->first_step);
    cJSON_AddBoolToObject(o, "ok", r->ok);
    cJSON_AddBoolToObject(o, "cold", r->cold);
    cJSON_AddNumberToObject(o, "wall_ms", r->wall_ms);
    cJSON_AddNumberToObject(o, "peak_mb", r->peak_mb);
    cJSON_AddNumberToObject(o, "init_ms", r->init_ms);
    cJSON_AddNumberToObject(o, "run_ms", r->run_ms);
    cJSON_AddNumberToObject(o, "start_ms", r->start_ms);
    cJSON_AddNumberToObject(o, "end_ms", r->end_ms);
    cJSON_AddStringToObject(o, "error", r->error);
    cJSON_AddNumberToObject(o, "loss_sum", r->loss_sum);
    cJSON_AddNumberToObject(o, "loss_steps", r->loss_steps);
    cJSON_AddNumberToObject(o, "fetch_ms", r->fetch_ms);
    cJSON_AddNumberToObject(o, "compute_ms", r->compute_ms);
    cJSON_AddNumberToObject(o, "update_ms", r->update_ms);
    cJSON_AddNumberToObject(o, "kv_gets", r->kv_gets);
    cJSON_AddNumberToObject(o, "kv_puts", r->kv_puts);
    cJSON_AddNumberToObject(o, "bytes_read", r->bytes_read);
    cJSON_AddNumberToObject(o, "bytes_written", r->bytes_written);
    cJSON *steps = cJSON_AddArrayToObject(o, "steps");
    for (int k = 0; k < r->n_steps; k++)
        cJSON_AddItemToArray(steps, step_result_encode(&r->steps[k]));
    return o;
}

int job_task_result_decode(const cJSON *o, const char *where, struct task_result *r,
                           struct err *e)
{
    const cJSON *steps;
    const char *error;
    int rc;
    memset(r, 0, sizeof *r);
    if (!cJSON_IsObject(o)) return err_set(e, SIREN_EFORMAT, "%s: expected an object", where);
    const struct json_number_field numbers[] = {
        {"wall_ms", &r->wall_ms},       {"peak_mb", &r->peak_mb},
        {"init_ms", &r->init_ms},       {"run_ms", &r->run_ms},
        {"start_ms", &r->start_ms},     {"end_ms", &r->end_ms},
        {"loss_sum", &r->loss_sum},     {"fetch_ms", &r->fetch_ms},
        {"compute_ms", &r->compute_ms}, {"update_ms", &r->update_ms},
        {"kv_gets", &r->kv_gets},       {"kv_puts", &r->kv_puts},
        {"bytes_read", &r->bytes_read}, {"bytes_written", &r->bytes_written},
    };
    if ((rc = get_int(o, "fn", where, &r->fn, e)) ||
        (rc = get_int(o, "first_step", where, &r->first_step, e)) ||
        (rc = json_get_bool(o, "ok", where, &r->ok, e)) ||
        (rc = json_get_bool(o, "cold", where, &r->cold, e)) ||
        (rc = json_get_string(o, "error", where, &error, e)) ||
        (rc = get_int(o, "loss_steps", where, &r->loss_steps, e)) ||
        (rc = json_get_numbers(o, where, numbers, sizeof numbers / sizeof *numbers, e)) ||
        (rc = get_array(o, "steps", where, &steps, e)))
        return rc;
    snprintf(r->error, sizeof r->error, "%s", error);
    int n = cJSON_GetArraySize(steps);
    r->steps = calloc((size_t)(n ? n : 1), sizeof *r->steps);
    if (!r->steps) return err_set(e, SIREN_ENOMEM, "out of memory");
    for (r->n_steps = 0; r->n_steps < n; r->n_steps++) {
        char at[128];
        where_at(at, sizeof at, where, "step", r->n_steps);
        rc = step_result_decode(cJSON_GetArrayItem(steps, r->n_steps), at,
                                &r->steps[r->n_steps], e);
        if (rc) {
            job_task_result_free(r);
            return rc;
        }
    }
    return SIREN_OK;
}

void job_task_result_free(struct task_result *r)
{
    if (!r) return;
    free(r->steps);
    r->steps = NULL;
    r->n_steps = 0;
}

int job_task_results_encode(const struct task_result *r, int n, char **text, struct err *e)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "results");
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(arr, job_task_result_encode(&r[i]));
    *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return *text ? SIREN_OK : err_set(e, SIREN_ENOMEM, "out of memory");
}

int job_task_results_encode_refusal(int code, const char *msg, char **text, struct err *e)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddArrayToObject(root, "results");
    cJSON *why = cJSON_AddObjectToObject(root, "refused");
    cJSON_AddNumberToObject(why, "code", code);
    cJSON_AddStringToObject(why, "message", msg);
    *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return *text ? SIREN_OK : err_set(e, SIREN_ENOMEM, "out of memory");
}

/* A refusal's code and message as the error to raise; SIREN_EFORMAT when malformed. */
static int refusal_decode(const cJSON *why, const char *where, struct err *e)
{
    const char *msg;
    int code, rc;
    char at[64];
    snprintf(at, sizeof at, "%s: refused", where);
    if (!cJSON_IsObject(why))
        return err_set(e, SIREN_EFORMAT, "%s: key 'refused': expected an object", where);
    if ((rc = get_int(why, "code", at, &code, e)) ||
        (rc = json_get_string(why, "message", at, &msg, e)))
        return rc;
    if (code >= 0)
        return err_set(e, SIREN_EFORMAT, "%s: key 'code': %d is not an error code", at, code);
    return err_set(e, code, "%s", msg);
}

int job_task_results_decode(const char *text, struct task_result **out, int *n, struct err *e)
{
    static const char where[] = "results message";
    cJSON *root;
    const cJSON *arr, *why;
    *out = NULL;
    *n = 0;
    int rc = json_parse(text, strlen(text), where, &root, e);
    if (rc) return rc;
    if ((why = cJSON_GetObjectItemCaseSensitive(root, "refused"))) {
        rc = refusal_decode(why, where, e);
        goto out;
    }
    if ((rc = get_array(root, "results", where, &arr, e))) goto out;
    int count = cJSON_GetArraySize(arr);
    *out = calloc((size_t)(count ? count : 1), sizeof **out);
    if (!*out) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    for (; *n < count; (*n)++) {
        char at[64];
        where_at(at, sizeof at, where, "task", *n);
        if ((rc = job_task_result_decode(cJSON_GetArrayItem(arr, *n), at, &(*out)[*n], e)))
            break;
    }
out:
    cJSON_Delete(root);
    if (rc) {
        job_task_results_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

void job_task_results_free(struct task_result *r, int n)
{
    for (int i = 0; r && i < n; i++) job_task_result_free(&r[i]);
    free(r);
}

/* ---------------------------------------------------------------- MPI transport */

int job_msg_send(const char *text, int dest, int tag, struct err *e)
{
    int len = (int)strlen(text) + 1;
    if (MPI_Send(text, len, MPI_CHAR, dest, tag, MPI_COMM_WORLD) != MPI_SUCCESS)
        return err_set(e, SIREN_EMPI, "MPI_Send to rank %d failed", dest);
    return SIREN_OK;
}

int job_msg_recv(int src, int *tag, int *from, char **out, struct err *e)
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

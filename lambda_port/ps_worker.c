/*
 * ps_worker: one worker rank (one emulated instance) of the parameter-server baseline. Per
 * epoch it walks the same shuffled order as the reference trainer (emu/trainer.c: the shuffle
 * stream (epoch << 8) | 1, the batch seed of global batch j); worker k takes global batches
 * k, k+K, k+2K, ... (round r holds batches rK .. rK+K-1). Per batch: pull the parameters it
 * needs from every server (the whole shard, or for logistic regression only the rows of the
 * batch's features, as MXNet's row_sparse_pull), compute the mean gradient, push it. With one
 * worker this is `siren train` step for step. The clock is virtual (calibrated compute, the
 * instance's bandwidth and latency) or the wall clock.
 * Generated rows (--data generate): the worker holds no training split. Batch b is rows
 * [b B, b B + n) of the generator's training stream, as in `siren run --data generate`; an
 * epoch visits the batches in staging_epoch_order's order, worker k taking positions k, k+K,
 * ..., and each batch's rows are made just before its step (worker_generated_batch), so a
 * worker's memory is one batch plus 4 bytes of order per batch, whatever the rows; its trace
 * records of an epoch fold into one pull and one push record (worker_add_op).
 */
#define _GNU_SOURCE
#include "ps_internal.h"
#include "shard.h"
#include "staging.h"
#include "streams.h"

#include <sched.h> /* cpu_set_t, used by cblas.h */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The reference trainer's stream ids (emu/trainer.c): shuffling and per-batch seeds. */

struct ps_worker {
    struct ps_ctx *c;
    int k;
    struct kn_model *m;
    float *params, *grads;   /* the model's flat vectors (borrowed) */
    size_t *lo;              /* (S + 1) shard bounds */
    uint32_t *order;         /* (train rows), or (batches) when rows are generated */
    uint8_t *gen;            /* the generated batch's object (--data generate), or NULL */
    uint8_t *mark;           /* (n_params) sparse: touched map, zero between steps */
    uint32_t *touched;       /* (n_params) sparse: sorted touched indices */
    size_t n_touched;
    size_t *cut;             /* (S + 1) sparse: touched[cut[s] .. cut[s+1]) lie in shard s */
    struct ps_outbox out;
    struct trace_kv_op *ops;
    size_t n_ops, cap_ops;
    int64_t round;           /* rounds taken since the start of the job */
    int64_t version;         /* oldest shard version of the last pull */
    double t_s;              /* the worker's virtual clock */
    double *scratch;         /* (4 S) byte counts and times */
};

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Adds a pull or push record to the epoch's trace. With generated rows an epoch may have any
 * number of steps, so there the epoch's records of one kind fold into one that stands for all
 * of them (requests: the steps; bytes and wall_ms summed; from the first one's start to the
 * last one's end, with the last one's versions): two records per worker and epoch, whatever
 * the rows. */
static int worker_add_op(struct ps_worker *k, const struct trace_kv_op *op, struct err *e)
{
    int fold = k->c->w->opts.generate;
    for (size_t i = 0; fold && i < k->n_ops; i++) {
        struct trace_kv_op *r = &k->ops[i];
        if (r->op != op->op) continue;
        r->requests++;
        r->bytes += op->bytes;
        r->wall_ms += op->wall_ms;
        r->v_end_s = op->v_end_s;
        r->version = op->version;
        r->version_got = op->version_got;
        return SIREN_OK;
    }
    if (k->n_ops == k->cap_ops) {
        size_t cap = k->cap_ops ? 2 * k->cap_ops : 256;
        struct trace_kv_op *p = realloc(k->ops, cap * sizeof *p);
        if (!p) return err_set(e, SIREN_ENOMEM, "ps worker %d: out of memory", k->k);
        k->ops = p;
        k->cap_ops = cap;
    }
    k->ops[k->n_ops] = *op;
    if (fold) k->ops[k->n_ops].requests = 1;
    k->n_ops++;
    return SIREN_OK;
}

/* Sparse: the sorted distinct weights the batch touches plus the bias, cut by shard. */
static void worker_touched(struct ps_worker *k, const struct kn_batch *b)
{
    const struct ps_ctx *c = k->c;
    size_t n = 0;
    for (uint64_t i = b->row_ptr[0]; i < b->row_ptr[b->n]; i++) {
        uint32_t j = b->col[i] & c->lr_mask;
        if (!k->mark[j]) {
            k->mark[j] = 1;
            k->touched[n++] = j;
        }
    }
    k->touched[n++] = c->lr_mask + 1;
    for (size_t i = 0; i < n; i++) k->mark[k->touched[i]] = 0;
    qsort(k->touched, n, sizeof *k->touched, cmp_u32);
    k->n_touched = n;
    size_t at = 0;
    for (int s = 0; s <= c->S; s++) {
        while (at < n && k->touched[at] < k->lo[s]) at++;
        k->cut[s] = at;
    }
    k->cut[c->S] = n;
}

/* Is server s on this worker's instance (server s runs on instance s mod K)? */
static int worker_local(const struct ps_worker *k, int s) { return s % k->c->K == k->k; }

static size_t worker_count(const struct ps_worker *k, int s)
{
    return k->c->sparse ? k->cut[s + 1] - k->cut[s] : k->lo[s + 1] - k->lo[s];
}

/* Virtual arrival times arr (S) of messages of payload bytes[s] sent to every server from t0:
 * the instance's interface sends them one after the other; a local server gets them at once,
 * and so does any server an empty message goes to. */
static void worker_send_times(const struct ps_worker *k, double t0, const double *bytes,
                              double *arr)
{
    const struct ps_ctx *c = k->c;
    double sent = 0.0;
    for (int s = 0; s < c->S; s++) {
        if (worker_local(k, s) || bytes[s] < 0) {
            arr[s] = t0;
        } else {
            sent += bytes[s];
            arr[s] = t0 + ps_net_s(c, sent);
        }
    }
}

/* Virtual time all replies are in: server s sent bytes[s] at served[s]; the replies share the
 * instance's interface, so all their bytes take their time after the first one starts. */
static double worker_reply_done(const struct ps_worker *k, double t0, const double *served,
                                const double *bytes)
{
    const struct ps_ctx *c = k->c;
    double done = t0, first_remote = INFINITY, remote_bytes = 0.0;
    for (int s = 0; s < c->S; s++) {
        if (worker_local(k, s)) {
            done = fmax(done, served[s]);
        } else {
            done = fmax(done, served[s] + ps_net_s(c, bytes[s]));
            first_remote = fmin(first_remote, served[s]);
            remote_bytes += bytes[s];
        }
    }
    if (remote_bytes > 0) done = fmax(done, first_remote + ps_net_s(c, remote_bytes));
    return done;
}

static double worker_push_bytes(const struct ps_worker *k, int s, int rows)
{
    if (rows <= 0) return -1.0; /* empty: no payload, no transfer */
    size_t cnt = worker_count(k, s);
    return (double)(k->c->sparse ? cnt * (sizeof(uint32_t) + sizeof(float)) : cnt * sizeof(float));
}

/* Pulls what the next batch needs; advances the clock. compute_s is the batch's virtual
 * compute time: with it the worker tells each server when its push will arrive, which the
 * servers' virtual-time ordering needs (dist_async serves at arrival, so it is exact). */
static int worker_pull(struct ps_worker *k, int epoch, int step, int rows, double compute_s,
                       double *phase_s, struct err *e)
{
    const struct ps_ctx *c = k->c;
    double w0 = clock_mono_s(), t0 = k->t_s;
    double *req_b = k->scratch, *rep_b = req_b + c->S, *arr = rep_b + c->S, *parr = arr + c->S;
    for (int s = 0; s < c->S; s++) {
        size_t cnt = worker_count(k, s);
        req_b[s] = c->sparse ? (double)(cnt * sizeof(uint32_t)) : 0.0;
        rep_b[s] = (double)(cnt * sizeof(float));
    }
    worker_send_times(k, t0, req_b, arr);
    double push_t0 = worker_reply_done(k, t0, arr, rep_b) + compute_s;
    for (int s = 0; s < c->S; s++) req_b[s] = worker_push_bytes(k, s, rows);
    worker_send_times(k, push_t0, req_b, parr);
    for (int s = 0; s < c->S; s++) {
        size_t cnt = worker_count(k, s);
        size_t len = sizeof(struct ps_req) + (c->sparse ? cnt * sizeof(uint32_t) : 0);
        char *buf = malloc(len);
        if (!buf) return err_set(e, SIREN_ENOMEM, "ps worker %d: out of memory", k->k);
        struct ps_req q = {.kind = PS_REQ_PULL, .worker = k->k,
                           .n = c->sparse ? (int32_t)cnt : -1, .round = k->round,
                           .t_arrive_s = arr[s], .t_next_s = parr[s]};
        memcpy(buf, &q, sizeof q);
        if (c->sparse) {
            uint32_t *idx = (uint32_t *)(buf + sizeof q);
            for (size_t i = 0; i < cnt; i++)
                idx[i] = k->touched[k->cut[s] + i] - (uint32_t)k->lo[s];
        }
        int rc = ps_outbox_send(&k->out, buf, len, ps_server_rank(s), PS_TAG_REQ, e);
        if (rc) return rc;
    }
    double bytes = 0.0;
    int64_t version = INT64_MAX;
    for (int got = 0; got < c->S; got++) {
        void *buf;
        size_t len;
        MPI_Status st;
        int rc = ps_recv_any(MPI_ANY_SOURCE, PS_TAG_REPLY, &k->out, &buf, &len, &st, e);
        if (rc) return rc;
        int s = st.MPI_SOURCE - 1;
        size_t cnt = worker_count(k, s);
        if (s < 0 || s >= c->S || len != sizeof(struct ps_reply) + cnt * sizeof(float)) {
            free(buf);
            return err_set(e, SIREN_EFORMAT, "ps worker %d: bad reply from rank %d", k->k,
                           st.MPI_SOURCE);
        }
        struct ps_reply r;
        memcpy(&r, buf, sizeof r);
        const float *vals = (const float *)((char *)buf + sizeof r);
        if (c->sparse) {
            const uint32_t *idx = k->touched + k->cut[s];
            for (size_t i = 0; i < cnt; i++) k->params[idx[i]] = vals[i];
        } else {
            memcpy(k->params + k->lo[s], vals, cnt * sizeof(float));
        }
        free(buf);
        if (r.version < version) version = r.version;
        bytes += rep_b[s];
        arr[s] = r.t_served_s;
    }
    double done = worker_reply_done(k, t0, arr, rep_b);
    k->version = version;
    double wall_ms = (clock_mono_s() - w0) * 1e3;
    k->t_s = c->cfg.wall_clock ? k->t_s + wall_ms * 1e-3 : done;
    *phase_s += k->t_s - t0;
    struct trace_kv_op op = {.epoch = epoch, .fn = k->k, .step = step, .op = TRACE_PARAM_GET,
                             .version = version, .version_got = version, .v_start_s = t0,
                             .v_end_s = k->t_s, .bytes = bytes, .wall_ms = wall_ms};
    return worker_add_op(k, &op, e);
}

/* Pushes the gradient of a batch of rows (0: an empty push that only closes the round). */
static int worker_push(struct ps_worker *k, int epoch, int step, int rows, double *phase_s,
                       struct err *e)
{
    const struct ps_ctx *c = k->c;
    double w0 = clock_mono_s(), t0 = k->t_s, last = t0, bytes = 0.0;
    double *pb = k->scratch, *arr = pb + c->S;
    for (int s = 0; s < c->S; s++) pb[s] = worker_push_bytes(k, s, rows);
    worker_send_times(k, t0, pb, arr);
    for (int s = 0; s < c->S; s++) last = fmax(last, arr[s]);
    for (int s = 0; s < c->S; s++) {
        size_t cnt = rows > 0 ? worker_count(k, s) : 0;
        size_t payload = c->sparse ? cnt * (sizeof(uint32_t) + sizeof(float)) : cnt * sizeof(float);
        size_t len = sizeof(struct ps_req) + payload;
        char *buf = malloc(len);
        if (!buf) return err_set(e, SIREN_ENOMEM, "ps worker %d: out of memory", k->k);
        /* The next request (a pull, or DONE) leaves after the push: no earlier than t_next. */
        struct ps_req q = {.kind = PS_REQ_PUSH, .worker = k->k, .rows = rows,
                           .n = (c->sparse || rows == 0) ? (int32_t)cnt : -1, .round = k->round,
                           .t_arrive_s = arr[s],
                           .t_next_s = last + (worker_local(k, s) ? 0.0 : k->c->latency_s)};
        bytes += (double)payload;
        memcpy(buf, &q, sizeof q);
        if (c->sparse) {
            uint32_t *idx = (uint32_t *)(buf + sizeof q);
            float *vals = (float *)(idx + cnt);
            for (size_t i = 0; i < cnt; i++) {
                uint32_t j = k->touched[k->cut[s] + i];
                idx[i] = j - (uint32_t)k->lo[s];
                vals[i] = k->grads[j];
            }
        } else if (cnt) {
            memcpy(buf + sizeof q, k->grads + k->lo[s], cnt * sizeof(float));
        }
        int rc = ps_outbox_send(&k->out, buf, len, ps_server_rank(s), PS_TAG_REQ, e);
        if (rc) return rc;
    }
    /* A push is complete when the servers have it (MXNet's push then pull of the same key). */
    int rc = c->cfg.wall_clock ? ps_outbox_flush(&k->out, e) : SIREN_OK;
    if (rc) return rc;
    double wall_ms = (clock_mono_s() - w0) * 1e3;
    k->t_s = c->cfg.wall_clock ? k->t_s + wall_ms * 1e-3 : last;
    *phase_s += k->t_s - t0;
    if (rows == 0) return SIREN_OK;
    struct trace_kv_op op = {.epoch = epoch, .fn = k->k, .step = step, .op = TRACE_PARAM_PUT,
                             .version = k->version, .version_got = -1, .v_start_s = t0,
                             .v_end_s = k->t_s, .bytes = bytes, .wall_ms = wall_ms};
    return worker_add_op(k, &op, e);
}

/* Generated rows (--data generate): rows [first_row, first_row + n) of the workload's training
 * stream as a kernel batch, made as the functions of `siren run --data generate` make them
 * (staging_generated_batch). *b borrows k->gen: valid until the next call. The worker's only
 * call into the generator. Errors: the generator's, SIREN_EFORMAT, SIREN_ENOMEM. */
static int worker_generated_batch(struct ps_worker *k, size_t first_row, int n, uint64_t seed,
                                  struct kn_batch *b, struct err *e)
{
    const struct workload_opts *o = &k->c->w->opts;
    size_t len = 0;
    free(k->gen);
    k->gen = NULL;
    int rc = staging_generated_batch(workload_schema(k->c->w), o->seed, o->hash_bits, first_row,
                                     (size_t)n, &k->gen, &len, e);
    struct shard_view v;
    if (!rc) rc = shard_decode(k->gen, len, "generated batch", &v, e);
    if (rc) return rc;
    if (v.layout != DS_SPARSE_CSR || v.n != (uint32_t)n)
        return err_set(e, SIREN_EFORMAT, "ps worker %d: rows %zu..%zu: expected %d sparse rows",
                       k->k, first_row, first_row + (size_t)n, n);
    *b = (struct kn_batch){.n = n, .row_ptr = v.row_ptr, .col = v.col, .val = v.val,
                           .labels = v.labels, .seed = seed};
    return SIREN_OK;
}

/* Training rows of the job: the loaded split's, or the generator's (--data generate). */
static size_t worker_rows(const struct workload *w)
{
    return w->opts.generate ? w->opts.synthetic_rows : w->train.rows;
}

static int worker_epoch(struct ps_worker *k, int epoch, struct ps_report *rep, struct err *e)
{
    struct ps_ctx *c = k->c;
    struct workload *w = c->w;
    size_t rows = worker_rows(w);
    int B = w->opts.batch, gen = w->opts.generate;
    size_t nb = (rows + (size_t)B - 1) / (size_t)B;
    if (gen) {
        /* Batches of consecutive generated rows, visited in the order `siren run` visits them. */
        staging_epoch_order(w->opts.seed, epoch, nb, k->order);
    } else {
        struct rng r;
        rng_seed_stream(&r, w->opts.seed, stream_train_shuffle(epoch));
        for (size_t i = 0; i < rows; i++) k->order[i] = (uint32_t)i;
        rng_shuffle_u32(&r, k->order, rows);
    }
    size_t rounds = (nb + (size_t)c->K - 1) / (size_t)c->K;
    *rep = (struct ps_report){.worker = k->k, .epoch = epoch};
    k->n_ops = 0;
    double w0 = clock_mono_s();
    int rc = SIREN_OK;
    for (size_t rd = 0; rd < rounds && !rc; rd++, k->round++) {
        size_t j = rd * (size_t)c->K + (size_t)k->k;
        if (j >= nb) {
            /* No batch left for this worker: dist_sync still needs its (empty) push. */
            if (c->cfg.mode == PS_MODE_SYNC) rc = worker_push(k, epoch, (int)j, 0, &rep->push_s, e);
            continue;
        }
        /* Generated: the j-th batch of the order; staged: the j-th B rows of the shuffle. */
        size_t at = gen ? (size_t)k->order[j] * (size_t)B : j * (size_t)B;
        int n = (int)(rows - at < (size_t)B ? rows - at : (size_t)B);
        uint64_t batch_seed = w->opts.seed ^ stream_train_dropout(epoch, (uint64_t)j);
        struct kn_batch b;
        float loss;
        rc = gen ? worker_generated_batch(k, at, n, batch_seed, &b, e)
                 : workload_batch(w, 0, k->order + at, n, batch_seed, &b, e);
        if (rc) break;
        if (c->sparse) worker_touched(k, &b);
        double vc = (double)n * c->s_per_sample / c->speedup;
        if ((rc = worker_pull(k, epoch, (int)j, n, vc, &rep->pull_s, e))) break;
        double c0 = clock_mono_s();
        if ((rc = kn_model_loss_grad(k->m, &b, &loss, e))) break;
        double dt = c->cfg.wall_clock ? clock_mono_s() - c0 : vc;
        k->t_s += dt;
        rep->compute_s += dt;
        rep->loss_sum += (double)loss;
        rep->steps++;
        rc = worker_push(k, epoch, (int)j, n, &rep->push_s, e);
    }
    if (rc) return rc;
    for (int s = 0; s < c->S && !rc; s++) {
        struct ps_req *q = malloc(sizeof *q);
        if (!q) return err_set(e, SIREN_ENOMEM, "ps worker %d: out of memory", k->k);
        *q = (struct ps_req){.kind = PS_REQ_DONE, .worker = k->k, .round = k->round,
                             .t_arrive_s = INFINITY, .t_next_s = k->t_s};
        rc = ps_outbox_send(&k->out, q, sizeof *q, ps_server_rank(s), PS_TAG_REQ, e);
    }
    if (!rc) rc = ps_outbox_flush(&k->out, e);
    rep->wall_s = clock_mono_s() - w0;
    rep->t_end_s = k->t_s;
    rep->n_ops = (int32_t)k->n_ops;
    return rc;
}

int ps_worker_main(struct ps_ctx *c, struct err *e)
{
    /* The worker's clock starts when its instance is up and holds the data. */
    struct ps_worker k = {.c = c, .k = c->rank - 1 - c->S, .t_s = c->boot_s + c->data_s};
    ps_outbox_init(&k.out);
    openblas_set_num_threads(c->blas_threads);
    int rc = kn_model_create(&c->w->model_cfg, &k.m, e);
    if (rc) return rc;
    kn_model_init(k.m, c->w->opts.seed);
    k.params = kn_model_params(k.m);
    k.grads = kn_model_grads(k.m);
    k.lo = malloc(((size_t)c->S + 1) * sizeof *k.lo);
    k.cut = malloc(((size_t)c->S + 1) * sizeof *k.cut);
    k.scratch = malloc(4 * (size_t)c->S * sizeof *k.scratch);
    size_t rows = worker_rows(c->w), B = (size_t)c->w->opts.batch;
    size_t n_order = c->w->opts.generate ? (rows + B - 1) / B : rows;
    k.order = malloc((n_order ? n_order : 1) * sizeof *k.order);
    if (c->sparse) {
        k.mark = calloc(c->n_params, 1);
        k.touched = malloc(c->n_params * sizeof *k.touched);
    }
    if (!k.lo || !k.cut || !k.scratch || !k.order || (c->sparse && (!k.mark || !k.touched))) {
        rc = err_set(e, SIREN_ENOMEM, "ps worker %d: out of memory", k.k);
        goto out;
    }
    for (int s = 0; s <= c->S; s++) k.lo[s] = ps_shard_lo(c->n_params, c->S, s);
    for (int epoch = 1;; epoch++) {
        struct ps_report rep;
        if ((rc = worker_epoch(&k, epoch, &rep, e))) break;
        size_t len = sizeof rep + k.n_ops * sizeof *k.ops;
        char *buf = malloc(len);
        if (!buf) {
            rc = err_set(e, SIREN_ENOMEM, "ps worker %d: out of memory", k.k);
            break;
        }
        memcpy(buf, &rep, sizeof rep);
        if (k.n_ops) memcpy(buf + sizeof rep, k.ops, k.n_ops * sizeof *k.ops);
        int mrc = MPI_Send(buf, (int)len, MPI_BYTE, 0, PS_TAG_REPORT, MPI_COMM_WORLD);
        free(buf);
        if (mrc != MPI_SUCCESS) {
            rc = err_set(e, SIREN_EMPI, "ps worker %d: report send failed", k.k);
            break;
        }
        void *cb;
        size_t cl;
        MPI_Status st;
        if ((rc = ps_recv_any(0, PS_TAG_CMD, NULL, &cb, &cl, &st, e))) break;
        struct ps_cmd cmd = {0};
        if (cl >= sizeof cmd) memcpy(&cmd, cb, sizeof cmd);
        free(cb);
        if (cmd.kind != PS_CMD_GO) break;
        k.t_s = cmd.t_start_s;
    }
out:
    ps_outbox_free(&k.out);
    kn_model_free(k.m);
    free(k.lo);
    free(k.cut);
    free(k.scratch);
    free(k.order);
    free(k.gen);
    free(k.mark);
    free(k.touched);
    free(k.ops);
    return rc;
}

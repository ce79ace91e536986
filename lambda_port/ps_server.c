/*
 * ps_server: one server rank of the parameter-server baseline. It owns the shard [lo, hi) of
 * the flat parameter vector and the optimiser state of that shard, and applies the update
 * itself, as MXNet's kvstore does when the optimizer is set on the servers. dist_sync: the
 * pushes of one round from every worker are averaged (weighted by their rows, summed in worker
 * order so the bits do not depend on arrival order), then one step is taken; a pull of round r
 * waits for round r-1's update. dist_async: every push is one step at once. Under the virtual
 * clock requests are handled in order of virtual arrival time (ties: lower worker first), a
 * conservative discrete-event rule that needs one queued message from every worker. An update
 * takes the calibrated time per parameter it touches; the server does one thing at a time, so
 * a pull that arrives during an update is answered when it ends.
 */
#include "ps_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A received request waiting in its worker's queue (virtual clock) or for its round (sync). */
struct ps_msg {
    struct ps_msg *next;
    struct ps_req *req; /* the whole message; owned */
};

struct ps_server {
    struct ps_ctx *c;
    int s;
    size_t lo, n;        /* shard */
    float *params;       /* (n) */
    struct kn_optim opt; /* state of the shard */
    /* dist_sync accumulation of the current round: one buffer per worker. */
    float **acc;         /* K x (n), zero outside the indices pushed */
    uint32_t **acc_idx;  /* sparse: K lists of pushed indices */
    int32_t *acc_cnt, *acc_rows;
    int pushes;          /* pushes received in the round */
    double round_ready_s;
    int64_t applied;     /* rounds (sync) or pushes (async) applied = the version */
    float *gsum;         /* (n) the averaged gradient, zero between steps */
    uint8_t *mark;       /* (n) union of sparse indices */
    uint32_t *uni;       /* (n) */
    int64_t *pulled_version; /* (K) version of the worker's last pull */
    double *floor_s;         /* (K) virtual time before which the worker sends nothing */
    int64_t epoch_updates, epoch_stale;
    double ready_s;      /* virtual time of the newest update */
    /* Virtual clock: per-worker FIFO queues. */
    struct ps_msg **head, **tail;
    struct ps_msg *deferred; /* sync pulls waiting for their round */
    struct ps_msg *early;    /* sync pushes of a round that is not open yet */
    int done;            /* workers that finished the epoch */
    int epoch_complete;
    struct ps_outbox out;
};

static void server_free(struct ps_server *v)
{
    int K = v->c->K;
    for (int k = 0; v->acc && k < K; k++) free(v->acc[k]);
    for (int k = 0; v->acc_idx && k < K; k++) free(v->acc_idx[k]);
    free(v->acc);
    free(v->acc_idx);
    free(v->acc_cnt);
    free(v->acc_rows);
    free(v->gsum);
    free(v->mark);
    free(v->uni);
    free(v->pulled_version);
    free(v->floor_s);
    free(v->params);
    kn_optim_free(&v->opt);
    for (int k = 0; v->head && k < K; k++) {
        for (struct ps_msg *m = v->head[k], *nx; m; m = nx) {
            nx = m->next;
            free(m->req);
            free(m);
        }
    }
    for (struct ps_msg *m = v->deferred, *nx; m; m = nx) {
        nx = m->next;
        free(m->req);
        free(m);
    }
    for (struct ps_msg *m = v->early, *nx; m; m = nx) {
        nx = m->next;
        free(m->req);
        free(m);
    }
    free(v->head);
    free(v->tail);
    ps_outbox_free(&v->out);
}

static int server_open(struct ps_ctx *c, struct ps_server *v, struct err *e)
{
    int K = c->K;
    *v = (struct ps_server){.c = c, .s = c->rank - 1};
    ps_outbox_init(&v->out);
    v->lo = ps_shard_lo(c->n_params, c->S, v->s);
    v->n = ps_shard_lo(c->n_params, c->S, v->s + 1) - v->lo;
    struct kn_model *m = NULL;
    int rc = kn_model_create(&c->w->model_cfg, &m, e);
    if (rc) return rc;
    kn_model_init(m, c->w->opts.seed);
    size_t n1 = v->n ? v->n : 1;
    v->params = malloc(n1 * sizeof *v->params);
    if (v->params) memcpy(v->params, kn_model_params(m) + v->lo, v->n * sizeof(float));
    kn_model_free(m);
    v->acc = calloc((size_t)K, sizeof *v->acc);
    v->acc_idx = calloc((size_t)K, sizeof *v->acc_idx);
    v->acc_cnt = calloc((size_t)K, sizeof *v->acc_cnt);
    v->acc_rows = calloc((size_t)K, sizeof *v->acc_rows);
    v->gsum = calloc(n1, sizeof *v->gsum);
    v->mark = calloc(n1, 1);
    v->uni = malloc(n1 * sizeof *v->uni);
    v->pulled_version = calloc((size_t)K, sizeof *v->pulled_version);
    v->floor_s = calloc((size_t)K, sizeof *v->floor_s);
    v->head = calloc((size_t)K, sizeof *v->head);
    v->tail = calloc((size_t)K, sizeof *v->tail);
    if (!v->params || !v->acc || !v->acc_idx || !v->acc_cnt || !v->acc_rows || !v->gsum ||
        !v->mark || !v->uni || !v->pulled_version || !v->floor_s || !v->head || !v->tail)
        return err_set(e, SIREN_ENOMEM, "ps server %d: out of memory", v->s);
    if (c->cfg.mode == PS_MODE_SYNC) {
        for (int k = 0; k < K; k++) {
            v->acc[k] = calloc(n1, sizeof(float));
            if (c->sparse) v->acc_idx[k] = malloc(n1 * sizeof(uint32_t));
            if (!v->acc[k] || (c->sparse && !v->acc_idx[k]))
                return err_set(e, SIREN_ENOMEM, "ps server %d: out of memory", v->s);
        }
    }
    return kn_optim_init(&v->opt, &c->w->optim_cfg, n1, e);
}

/* Answers one pull (its round is ready). */
static int server_reply(struct ps_server *v, const struct ps_req *q, struct err *e)
{
    size_t cnt = q->n < 0 ? v->n : (size_t)q->n;
    size_t len = sizeof(struct ps_reply) + cnt * sizeof(float);
    char *buf = malloc(len);
    if (!buf) return err_set(e, SIREN_ENOMEM, "ps server %d: out of memory", v->s);
    struct ps_reply r = {.version = v->applied,
                         .t_served_s = fmax(q->t_arrive_s, v->ready_s)};
    memcpy(buf, &r, sizeof r);
    float *vals = (float *)(buf + sizeof r);
    if (q->n < 0) {
        memcpy(vals, v->params, v->n * sizeof(float));
    } else {
        const uint32_t *idx = (const uint32_t *)(q + 1);
        for (size_t i = 0; i < cnt; i++) vals[i] = v->params[idx[i]];
    }
    v->pulled_version[q->worker] = v->applied;
    return ps_outbox_send(&v->out, buf, len, ps_worker_rank(v->c, q->worker), PS_TAG_REPLY, e);
}

/* Virtual time of an update: `sums` weighted gradient entries added into the average, then
 * an optimiser step over `params` entries (zero under the wall clock, which measures). */
static double server_update_s(const struct ps_server *v, double sums, double params)
{
    if (v->c->cfg.wall_clock) return 0.0;
    return sums * v->c->update_sum_s_per_param + params * v->c->update_step_s_per_param;
}

/* dist_sync: the round is complete; average in worker order and take one step. Returns the
 * update's virtual duration. */
static double server_apply_round(struct ps_server *v)
{
    int K = v->c->K;
    long long rows = 0;
    int contributors = 0, only = -1;
    for (int k = 0; k < K; k++) {
        if (v->acc_rows[k] > 0) {
            rows += v->acc_rows[k];
            contributors++;
            only = k;
        }
    }
    if (contributors == 0) return 0.0;
    double dur;
    if (!v->c->sparse) {
        /* One contributor's gradient is stepped on directly, without a sum. */
        dur = server_update_s(v, contributors == 1 ? 0.0 : (double)contributors * (double)v->n,
                              (double)v->n);
        if (contributors == 1) {
            kn_optim_step(&v->opt, v->params, v->acc[only]);
        } else {
            memset(v->gsum, 0, v->n * sizeof(float));
            for (int k = 0; k < K; k++) {
                if (v->acc_rows[k] <= 0) continue;
                float wk = (float)((double)v->acc_rows[k] / (double)rows);
                const float *g = v->acc[k];
                for (size_t i = 0; i < v->n; i++) v->gsum[i] += wk * g[i];
            }
            kn_optim_step(&v->opt, v->params, v->gsum);
        }
    } else {
        size_t cnt = 0;
        double sums = 0.0;
        for (int k = 0; k < K; k++) {
            if (v->acc_rows[k] <= 0) continue;
            sums += v->acc_cnt[k];
            float wk = contributors == 1 ? 1.0f : (float)((double)v->acc_rows[k] / (double)rows);
            for (int32_t i = 0; i < v->acc_cnt[k]; i++) {
                uint32_t j = v->acc_idx[k][i];
                if (!v->mark[j]) {
                    v->mark[j] = 1;
                    v->uni[cnt++] = j;
                }
                v->gsum[j] += contributors == 1 ? v->acc[k][j] : wk * v->acc[k][j];
            }
        }
        kn_optim_step_sparse(&v->opt, v->params, v->gsum, v->uni, cnt);
        for (size_t i = 0; i < cnt; i++) {
            v->gsum[v->uni[i]] = 0.0f;
            v->mark[v->uni[i]] = 0;
        }
        dur = server_update_s(v, sums, (double)cnt);
    }
    /* Clear the accumulators for the next round. */
    for (int k = 0; k < K; k++) {
        if (v->c->sparse) {
            for (int32_t i = 0; i < v->acc_cnt[k]; i++) v->acc[k][v->acc_idx[k][i]] = 0.0f;
        }
        v->acc_cnt[k] = 0;
        v->acc_rows[k] = 0;
    }
    return dur;
}

static int server_push(struct ps_server *v, const struct ps_req *q, struct err *e)
{
    const uint32_t *idx = (const uint32_t *)(q + 1);
    const float *vals = q->n < 0 ? (const float *)(q + 1) : (const float *)(idx + q->n);
    int k = q->worker;
    if (v->c->cfg.mode == PS_MODE_ASYNC) {
        if (q->rows <= 0) return SIREN_OK;
        if (v->pulled_version[k] != v->applied) v->epoch_stale++;
        if (q->n < 0) {
            kn_optim_step(&v->opt, v->params, vals);
        } else {
            for (int32_t i = 0; i < q->n; i++) v->gsum[idx[i]] = vals[i];
            kn_optim_step_sparse(&v->opt, v->params, v->gsum, idx, (size_t)q->n);
            for (int32_t i = 0; i < q->n; i++) v->gsum[idx[i]] = 0.0f;
        }
        v->applied++;
        v->epoch_updates++;
        /* Pushes are handled in virtual-time order, one after the other. */
        v->ready_s = fmax(v->ready_s, q->t_arrive_s) +
                     server_update_s(v, 0.0, q->n < 0 ? (double)v->n : (double)q->n);
        return SIREN_OK;
    }
    if (q->round != v->applied)
        return err_set(e, SIREN_EINVAL, "ps server %d: push of round %lld from worker %d while "
                       "round %lld is open", v->s, (long long)q->round, k, (long long)v->applied);
    v->acc_rows[k] = q->rows;
    if (q->rows > 0) {
        if (q->n < 0) {
            memcpy(v->acc[k], vals, v->n * sizeof(float));
        } else {
            for (int32_t i = 0; i < q->n; i++) v->acc[k][idx[i]] = vals[i];
            memcpy(v->acc_idx[k], idx, (size_t)q->n * sizeof(uint32_t));
            v->acc_cnt[k] = q->n;
        }
    }
    v->round_ready_s = fmax(v->round_ready_s, q->t_arrive_s);
    if (++v->pushes < v->c->K) return SIREN_OK;
    double update_s = server_apply_round(v);
    v->pushes = 0;
    v->applied++;
    v->epoch_updates++;
    v->ready_s = v->round_ready_s + update_s;
    /* Answer the pulls that waited for this round, in the order they were deferred. */
    struct ps_msg **pp = &v->deferred;
    while (*pp) {
        struct ps_msg *m = *pp;
        if (m->req->round <= v->applied) {
            int rc = server_reply(v, m->req, e);
            *pp = m->next;
            free(m->req);
            free(m);
            if (rc) return rc;
        } else {
            pp = &m->next;
        }
    }
    return SIREN_OK;
}

/* Handles one request; takes ownership of m. */
static int server_handle(struct ps_server *v, struct ps_msg *m, struct err *e)
{
    struct ps_req *q = m->req;
    int rc = SIREN_OK;
    if (q->worker < 0 || q->worker >= v->c->K) {
        free(q);
        free(m);
        return err_set(e, SIREN_EFORMAT, "ps server %d: bad worker index", v->s);
    }
    v->floor_s[q->worker] = q->t_next_s;
    if (q->kind == PS_REQ_PULL) {
        if (v->c->cfg.mode == PS_MODE_SYNC && q->round > v->applied) {
            /* Deferred, appended at the tail so replies keep the arrival order. */
            m->next = NULL;
            struct ps_msg **pp = &v->deferred;
            while (*pp) pp = &(*pp)->next;
            *pp = m;
            return SIREN_OK;
        }
        rc = server_reply(v, q, e);
    } else if (q->kind == PS_REQ_PUSH) {
        if (v->c->cfg.mode == PS_MODE_SYNC && q->round > v->applied) {
            /* A worker without a batch in a round pushes (empty) without pulling first, so
             * its push may come before the previous round is complete: keep it for later. */
            m->next = v->early;
            v->early = m;
            return SIREN_OK;
        }
        rc = server_push(v, q, e);
        /* Pushes kept for the round that just opened are handled now. */
        for (int again = 1; !rc && again;) {
            again = 0;
            for (struct ps_msg **pp = &v->early; *pp; pp = &(*pp)->next) {
                if ((*pp)->req->round != v->applied) continue;
                struct ps_msg *x = *pp;
                *pp = x->next;
                rc = server_push(v, x->req, e);
                free(x->req);
                free(x);
                again = 1;
                break;
            }
        }
    } else if (q->kind == PS_REQ_DONE) {
        if (++v->done == v->c->K) {
            v->done = 0;
            v->epoch_complete = 1;
        }
    } else {
        rc = err_set(e, SIREN_EFORMAT, "ps server %d: unknown request kind %d", v->s, q->kind);
    }
    free(q);
    free(m);
    return rc;
}

/* Virtual clock: handles queued requests in virtual-time order while every worker has one. */
static int server_drain(struct ps_server *v, struct err *e)
{
    int K = v->c->K;
    for (;;) {
        int best = -1;
        for (int k = 0; k < K; k++)
            if (v->head[k] && (best < 0 || v->head[k]->req->t_arrive_s <
                                               v->head[best]->req->t_arrive_s))
                best = k;
        if (best < 0) return SIREN_OK;
        /* A worker with nothing queued sends its next request no earlier than floor[k]
         * (strictly later when k is the lower index): only then is `best` safe to handle. */
        double t = v->head[best]->req->t_arrive_s;
        for (int k = 0; k < K; k++) {
            if (v->head[k]) continue;
            if (!(t < v->floor_s[k] || (t == v->floor_s[k] && best < k))) return SIREN_OK;
        }
        /* Only DONE markers (at +inf) are left: the epoch's requests are all handled. */
        if (v->head[best]->req->kind == PS_REQ_DONE) return SIREN_OK;
        struct ps_msg *m = v->head[best];
        v->head[best] = m->next;
        if (!v->head[best]) v->tail[best] = NULL;
        int rc = server_handle(v, m, e);
        if (rc) return rc;
    }
}

static int server_snapshot(struct ps_server *v, struct err *e)
{
    size_t len = sizeof(struct ps_snap) + v->n * sizeof(float);
    char *buf = malloc(len);
    if (!buf) return err_set(e, SIREN_ENOMEM, "ps server %d: out of memory", v->s);
    struct ps_snap h = {.version = v->applied, .updates = v->epoch_updates,
                        .stale_pushes = v->epoch_stale};
    memcpy(buf, &h, sizeof h);
    memcpy(buf + sizeof h, v->params, v->n * sizeof(float));
    v->epoch_updates = v->epoch_stale = 0;
    v->epoch_complete = 0;
    int rc = MPI_Send(buf, (int)len, MPI_BYTE, 0, PS_TAG_SNAP, MPI_COMM_WORLD);
    free(buf);
    return rc == MPI_SUCCESS ? SIREN_OK : err_set(e, SIREN_EMPI, "ps server %d: send failed", v->s);
}

int ps_server_main(struct ps_ctx *c, struct err *e)
{
    struct ps_server v;
    int rc = server_open(c, &v, e);
    int snapshot_wanted = 0, stop = 0;
    while (!rc && !stop) {
        void *buf;
        size_t len;
        MPI_Status st;
        if ((rc = ps_recv_any(MPI_ANY_SOURCE, MPI_ANY_TAG, &v.out, &buf, &len, &st, e))) break;
        if (st.MPI_SOURCE == 0) {
            const struct ps_cmd *cmd = buf;
            if (len >= sizeof *cmd && cmd->kind == PS_CMD_SNAPSHOT) snapshot_wanted = 1;
            else stop = 1;
            free(buf);
        } else if (len < sizeof(struct ps_req)) {
            free(buf);
            rc = err_set(e, SIREN_EFORMAT, "ps server %d: short request from rank %d", v.s,
                         st.MPI_SOURCE);
        } else {
            struct ps_msg *m = malloc(sizeof *m);
            if (!m) {
                free(buf);
                rc = err_set(e, SIREN_ENOMEM, "ps server %d: out of memory", v.s);
                break;
            }
            m->next = NULL;
            m->req = buf;
            /* dist_sync's values and times do not depend on the order requests are handled
             * in (pushes are summed in worker order; a pull waits for its round), so only
             * dist_async on the virtual clock needs the virtual-time order. */
            if (c->cfg.wall_clock || c->cfg.mode == PS_MODE_SYNC) {
                rc = server_handle(&v, m, e);
            } else {
                int k = m->req->worker;
                if (k < 0 || k >= c->K) {
                    free(buf);
                    free(m);
                    rc = err_set(e, SIREN_EFORMAT, "ps server %d: bad worker %d", v.s, k);
                    break;
                }
                if (v.tail[k]) v.tail[k]->next = m;
                else v.head[k] = m;
                v.tail[k] = m;
                rc = server_drain(&v, e);
                /* Every worker is done: the DONE markers are the only heads left. */
                int all_done = 1;
                for (int k2 = 0; k2 < c->K; k2++)
                    if (!v.head[k2] || v.head[k2]->req->kind != PS_REQ_DONE) all_done = 0;
                for (int k2 = 0; !rc && all_done && k2 < c->K; k2++) {
                    struct ps_msg *d = v.head[k2];
                    v.head[k2] = d->next;
                    if (!v.head[k2]) v.tail[k2] = NULL;
                    rc = server_handle(&v, d, e);
                }
            }
        }
        if (!rc && snapshot_wanted && v.epoch_complete) {
            snapshot_wanted = 0;
            rc = server_snapshot(&v, e);
        }
    }
    if (!rc) rc = ps_outbox_flush(&v.out, e);
    server_free(&v);
    return rc;
}

/*
 * The round planner (see plan_rounds.h). Functions advance round by round: each member's
 * part is timed from its own data pipeline and compute, then the round's collective from all
 * members' contribution times. A function's data pipeline keeps its state across rounds: the
 * piece after the one being computed is fetched while it computes or waits.
 */
#include "plan_rounds.h"

#include "latency.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[PLAN_OP_COUNT] = {
    "param_get", "data_get", "contrib_put", "reduce_get", "reduce_put",
    "result_get", "result_put", "state_put", "state_get"};

const char *plan_op_name(enum plan_op op)
{
    return op >= 0 && op < PLAN_OP_COUNT ? op_names[op] : "?";
}

int plan_op_is_put(enum plan_op op)
{
    return op == PLAN_OP_CONTRIB_PUT || op == PLAN_OP_REDUCE_PUT || op == PLAN_OP_RESULT_PUT ||
           op == PLAN_OP_STATE_PUT;
}

void plan_rounds_free(struct plan_rounds *p)
{
    if (!p) return;
    free(p->parts);
    free(p->bursts);
    free(p->calls);
    memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------------ request times */

/* ------------------------------------------------------------------ the builder */

#define NO_REFETCH UINT32_MAX

/* A function's state as the plan advances. */
struct fn_run {
    uint32_t lo, hi;    /* its positions in the epoch's order */
    double t;           /* where its timeline stands */
    int call;           /* index of its current invocation in calls */
    int invocations;    /* its invocations so far */
    /* Data pipeline: pieces [piece0, piece0 + n_pieces) of the build's piece arrays. */
    size_t piece0;
    uint32_t n_pieces;
    uint32_t fetched;   /* pieces whose fetch is timed */
    double fetch_free;  /* when its data connection is free */
    uint32_t refetch;   /* after a continuation: the first piece fetched again (NO_REFETCH:
                           none) */
    uint32_t refetch_at; /* ... from this position (the rest of it) */
    int last_round;     /* the last round it is a member of */
    int dead;           /* faults: a part of it was lost; it takes no further part */
};

struct build {
    const struct plan_config *c;
    const struct plan_costs *k;
    double state_bytes;
    struct plan_rounds *p;
    struct fn_run *fr;
    uint32_t *piece_first;  /* per piece: first position (pieces of a function are contiguous) */
    uint32_t *piece_count;
    double *piece_fetched;  /* when the piece is in memory */
    double *piece_computed; /* when its last mini-batch is computed (0 until then) */
    size_t cap_bursts, cap_calls;
    int depth;              /* pieces fetched ahead of the one computed (share 1, batch 0) */
    struct rng *lat;        /* per function: its latency stream (NULL: fixed latency) */
};

/* Bursts of function fn (plan_burst_s): channel GETs and PUTs shared by `sharers` functions
 * at once, and data GETs from the object store. `load`: the requests the busiest prefix the
 * burst touches serves at the same time (each function's objects have a prefix of their own:
 * n - 1 others reading one function's chunk load its prefix n - 1 times). Where the store
 * limits requests per prefix, a prefix serves them at that rate, so the burst lasts at least
 * load / rate. */
static double prefix_bound(double burst, uint32_t load, double per_s)
{
    double least = per_s > 0 && load > 1 ? (double)load / per_s : 0.0;
    return burst > least ? burst : least;
}

static double gets_s(const struct build *b, int fn, uint32_t m, double bytes, int sharers,
                     uint32_t load)
{
    return prefix_bound(plan_burst_s(b->k, b->lat ? &b->lat[fn] : NULL, 0, m, bytes, sharers),
                        load, b->k->kv_gets_per_s_per_prefix);
}

static double puts_s(const struct build *b, int fn, uint32_t m, double bytes, int sharers,
                     uint32_t load)
{
    return prefix_bound(plan_burst_s(b->k, b->lat ? &b->lat[fn] : NULL, 1, m, bytes, sharers),
                        load, b->k->kv_puts_per_s_per_prefix);
}

static double data_s(const struct build *b, int fn, double bytes)
{
    return plan_data_burst_s(b->k, b->lat ? &b->lat[fn] : NULL, 1, bytes);
}

/* Room for one more of n entries of size bytes in *items (capacity *cap, doubled as it
 * fills). SIREN_ENOMEM when there is none. */
static int grow(void **items, size_t n, size_t *cap, size_t size, struct err *e)
{
    if (n < *cap) return SIREN_OK;
    size_t want = *cap ? 2 * *cap : 64;
    void *p = realloc(*items, want * size);
    if (!p) return err_set(e, SIREN_ENOMEM, "plan: out of memory");
    *items = p;
    *cap = want;
    return SIREN_OK;
}

static int add_burst(struct build *b, int fn, int round, enum plan_op op, uint32_t requests,
                     double bytes, double t0, double t1, struct err *e)
{
    struct plan_rounds *p = b->p;
    if (requests == 0) return SIREN_OK;
    if (op != PLAN_OP_DATA_GET) /* values above the channel's item size are split */
        requests = (uint32_t)plan_burst_requests(b->k, requests, bytes / requests);
    else
        p->data_gets += requests;
    if (grow((void **)&p->bursts, p->n_bursts, &b->cap_bursts, sizeof *p->bursts, e))
        return SIREN_ENOMEM;
    struct plan_burst *q = &p->bursts[p->n_bursts++];
    q->fn = fn;
    q->round = round;
    q->op = op;
    q->invocation = p->calls[b->fr[fn].call].invocation;
    q->requests = requests;
    q->bytes = bytes;
    q->t_start = t0;
    q->t_end = t1;
    if (plan_op_is_put(op)) {
        p->puts += requests;
        p->bytes_put += bytes;
    } else {
        p->gets += requests;
        p->bytes_got += bytes;
    }
    double d = t1 - t0;
    if (op == PLAN_OP_PARAM_GET || op == PLAN_OP_DATA_GET || op == PLAN_OP_STATE_GET)
        p->fetch_s += d;
    else
        p->update_s += d;
    return SIREN_OK;
}

static int add_call(struct build *b, int fn, int cold, double t_invoke, struct err *e)
{
    struct plan_rounds *p = b->p;
    if (grow((void **)&p->calls, p->n_calls, &b->cap_calls, sizeof *p->calls, e))
        return SIREN_ENOMEM;
    struct plan_call *c = &p->calls[p->n_calls];
    *c = (struct plan_call){fn, b->fr[fn].invocations++, cold, 0, t_invoke, 0.0, 0.0, 0, 0, 0,
                            1.0};
    struct rng *r = b->lat ? &b->lat[fn] : NULL;
    c->t_start = t_invoke + (cold ? latency_draw(r, b->k->start_cold_s, b->k->sigma_cold)
                                  : latency_draw(r, b->k->start_warm_s, b->k->sigma_warm));
    b->fr[fn].call = (int)p->n_calls++;
    return SIREN_OK;
}

uint32_t plan_rounds_chunk_batches(const struct plan_costs *k, uint32_t max_rows)
{
    double batch_bytes = k->data_bytes_per_sample * max_rows;
    if (!(batch_bytes > 0) || !(k->data_chunk_bytes >= batch_bytes)) return 1;
    double c = floor(k->data_chunk_bytes / batch_bytes);
    return c > 1e9 ? 1000000000u : (uint32_t)c;
}

/* Splits function fn's share [lo, hi) into pieces: its part of each chunk of `chunk`
 * positions of the epoch's order (one mini-batch each under PLAN_FETCH_BATCH). */
static uint32_t cut_pieces(struct build *b, uint32_t lo, uint32_t hi, uint32_t chunk, size_t at)
{
    uint32_t n = 0;
    for (uint32_t pos = lo; pos < hi; pos++) {
        if (n == 0 || b->c->fetch == PLAN_FETCH_BATCH || pos % chunk == 0) {
            b->piece_first[at + n] = pos;
            b->piece_count[at + n] = 0;
            n++;
        }
        b->piece_count[at + n - 1]++;
    }
    return n;
}

/* The bytes of piece q of function fn from position `from` on. */
static double piece_bytes(const struct build *b, size_t q, uint32_t from)
{
    double bytes = 0;
    uint32_t end = b->piece_first[q] + b->piece_count[q];
    for (uint32_t pos = from; pos < end; pos++)
        bytes += b->k->data_bytes_per_sample * b->c->batch_rows[pos];
    return bytes;
}

/* Times the fetches of function fn's pieces up to (local) piece j. */
static int fetch_until(struct build *b, int fn, uint32_t j, int round, struct err *e)
{
    struct fn_run *f = &b->fr[fn];
    while (f->fetched <= j) {
        uint32_t q = f->fetched;
        size_t g = f->piece0 + q;
        double start = f->fetch_free;
        /* Without prefetch (one GET per mini-batch) a fetch starts when the step does. */
        if (b->depth == 0 && f->t > start) start = f->t;
        /* Double buffering: a piece's buffer is free once the piece `depth + 1` before it is
         * computed (pieces refetched after a continuation wait only for their own kind). */
        if (q >= (uint32_t)b->depth + 1 &&
            (f->refetch == NO_REFETCH || q - (uint32_t)b->depth - 1 >= f->refetch)) {
            double freed = b->piece_computed[g - (size_t)b->depth - 1];
            if (freed > start) start = freed;
        }
        uint32_t from = q == f->refetch ? f->refetch_at : b->piece_first[g];
        double bytes = piece_bytes(b, g, from);
        double end = start + data_s(b, fn, bytes);
        int rc = add_burst(b, fn, round, PLAN_OP_DATA_GET, 1, bytes, start, end, e);
        if (rc) return rc;
        b->piece_fetched[g] = end;
        f->fetch_free = end;
        f->fetched++;
    }
    return SIREN_OK;
}

/* The local piece of function fn holding position pos. */
static uint32_t piece_of(const struct build *b, const struct fn_run *f, uint32_t pos)
{
    uint32_t lo = 0, hi = f->n_pieces;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (b->piece_first[f->piece0 + mid] <= pos) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* Ends function fn's invocation at its current time after saving its state, and starts a
 * warm continuation that reads the state back and fetches its data again from position pos. */
static int continue_at(struct build *b, int fn, uint32_t pos, int round, struct err *e)
{
    struct fn_run *f = &b->fr[fn];
    const struct plan_costs *k = b->k;
    struct plan_call *c = &b->p->calls[f->call];
    double saved = f->t + puts_s(b, fn, 1, b->state_bytes, 1, 1);
    if (saved - c->t_invoke > k->timeout_s)
        return err_set(e, SIREN_EINVAL, "plan: function %d cannot save its state before its "
                       "%.0f s timeout (it waited too long in a round)", fn, k->timeout_s);
    int rc = add_burst(b, fn, round, PLAN_OP_STATE_PUT, 1, b->state_bytes, f->t, saved, e);
    if (rc) return rc;
    c->t_stop = saved;
    c->continued = 1;
    /* The continuation goes on with the same attempt, as slow as it was. */
    int attempt = c->attempt;
    double factor = c->compute_factor;
    if ((rc = add_call(b, fn, 0, saved, e))) return rc;
    c = &b->p->calls[f->call];
    c->round = round;
    c->attempt = attempt;
    c->compute_factor = factor;
    double got = c->t_start + gets_s(b, fn, 1, b->state_bytes, 1, 1);
    if ((rc = add_burst(b, fn, round, PLAN_OP_STATE_GET, 1, b->state_bytes, c->t_start, got, e)))
        return rc;
    f->t = got;
    /* What was prefetched died with the old invocation. */
    uint32_t q = piece_of(b, f, pos);
    f->fetched = q;
    f->refetch = q;
    f->refetch_at = pos;
    f->fetch_free = got;
    return SIREN_OK;
}

/* A retry of function fn's part (attempt a >= 1) after its last attempt died at the function's
 * current time: a fresh, cold invocation Lambda starts fault_retry_delay_s later, which reads
 * the part's input again (and the function's saved state, after average:K's first round) and
 * fetches the part's data from its start. */
static int retry_part(struct build *b, const struct plan_part *part, int a, struct err *e)
{
    struct fn_run *f = &b->fr[part->fn];
    const struct plan_costs *k = b->k;
    int rc = add_call(b, part->fn, 1, f->t + fault_retry_delay_s(b->c->faults, a), e);
    if (rc) return rc;
    struct plan_call *c = &b->p->calls[f->call];
    double t = c->t_start;
    if (b->c->update == PLAN_UPDATE_AVERAGE && part->round > 0) {
        double got = t + gets_s(b, part->fn, 1, b->state_bytes, 1, 1);
        if ((rc = add_burst(b, part->fn, part->round, PLAN_OP_STATE_GET, 1, b->state_bytes, t,
                            got, e)))
            return rc;
        t = got;
    }
    enum plan_op op = part->round == 0 ? PLAN_OP_PARAM_GET : PLAN_OP_RESULT_GET;
    double got = t + gets_s(b, part->fn, 1, k->param_bytes, 1, 1);
    if ((rc = add_burst(b, part->fn, part->round, op, 1, k->param_bytes, t, got, e))) return rc;
    f->t = got;
    uint32_t q = piece_of(b, f, part->first);
    f->fetched = q;
    f->refetch = q;
    f->refetch_at = part->first;
    f->fetch_free = got;
    b->p->retries++;
    return SIREN_OK;
}

/* One attempt at function fn's part: its mini-batches one after another, each once its piece
 * is in memory, compute d->compute_factor times slower. Returns 1 when the attempt crashes
 * (d->crash_step): the function's time is then when it died. */
static int attempt_part(struct build *b, struct plan_part *part,
                        const struct fault_attempt_draw *d, struct err *e)
{
    struct fn_run *f = &b->fr[part->fn];
    const struct plan_costs *k = b->k;
    for (uint32_t pos = part->first; pos < part->first + part->count; pos++) {
        double compute = k->compute_s_per_sample * b->c->batch_rows[pos] * d->compute_factor;
        for (int tries = 0;; tries++) {
            uint32_t q = piece_of(b, f, pos);
            int rc = fetch_until(b, part->fn, q, part->round, e);
            if (rc) return rc;
            double start = f->t > b->piece_fetched[f->piece0 + q] ? f->t
                                                                  : b->piece_fetched[f->piece0 + q];
            const struct plan_call *c = &b->p->calls[f->call];
            /* Room is kept after each mini-batch to save the state, should the next one not
             * fit: a function that checks its remaining time before each step. */
            double save = plan_burst_s(k, NULL, 1, 1, b->state_bytes, 1); /* its median */
            if (d->crash_step == (int)(pos - part->first)) {
                /* Dies part way through this mini-batch: nothing of it is written. */
                f->t = start + d->crash_frac * compute;
                b->p->compute_s += d->crash_frac * compute;
                return 1;
            }
            if (start + compute + save - c->t_invoke <= k->timeout_s) {
                f->t = start + compute;
                b->p->compute_s += compute;
                if (pos + 1 == b->piece_first[f->piece0 + q] + b->piece_count[f->piece0 + q])
                    b->piece_computed[f->piece0 + q] = f->t;
                break;
            }
            /* The round rules always continue: a function that keeps its state in memory
             * saves it and goes on (--on-timeout is the step rules' choice). */
            if (tries > 0)
                return err_set(e, SIREN_EINVAL, "plan: function %d: a mini-batch of %u rows does "
                               "not fit in a %.0f s invocation", part->fn,
                               b->c->batch_rows[pos], k->timeout_s);
            if ((rc = continue_at(b, part->fn, pos, part->round, e))) return rc;
        }
    }
    return 0;
}

/* Trains function fn's part of a round: an attempt, and under faults Lambda's retries of a
 * crashed one. A part whose every attempt crashed is lost, and its function dead. */
static int run_part(struct build *b, struct plan_part *part, struct err *e)
{
    struct fn_run *f = &b->fr[part->fn];
    const struct fault_config *fc = b->c->faults;
    part->t_begin = f->t;
    int attempts = fc ? fc->retries + 1 : 1;
    for (int a = 0; a < attempts; a++) {
        int rc;
        if (a > 0 && (rc = retry_part(b, part, a, e))) return rc;
        struct fault_attempt_draw d = {-1, 0.0, 1.0};
        if (fc)
            fault_draw_attempt(fc, b->c->epoch, part->fn, part->round, a, 0, (int)part->count, &d);
        /* The call is on this part now; a retry is a fresh call, and a call that ran earlier
         * parts keeps its own attempt number and the worst slowdown it had. */
        struct plan_call *c = &b->p->calls[f->call];
        c->round = part->round;
        if (a > 0) c->attempt = a;
        if (a > 0 || d.compute_factor > c->compute_factor) c->compute_factor = d.compute_factor;
        b->p->stragglers += d.compute_factor > 1.0;
        rc = attempt_part(b, part, &d, e);
        if (rc < 0 || rc > 1) return rc;
        if (rc == 0) {
            part->retries = a;
            part->t_computed = f->t;
            return SIREN_OK;
        }
        c = &b->p->calls[f->call];
        c->crashed = 1;
        c->t_stop = f->t;
        b->p->crashes++;
    }
    part->lost = 1;
    part->t_computed = part->t_contributed = part->t_end = f->t;
    f->dead = 1;
    b->p->lost_functions++;
    b->p->lost_batches += (int)(f->hi - part->first); /* this part and the rounds it skips */
    return SIREN_OK;
}

/* Times the collective of round r among its members mem[0..m) (parts that were not lost). */
static int run_collective(struct build *b, struct plan_part *const *mem, int m, int r,
                          struct err *e)
{
    const struct plan_costs *k = b->k;
    double B = k->param_bytes;
    int last = r == b->p->n_rounds - 1, rc;
    enum plan_update u = b->c->update == PLAN_UPDATE_AVERAGE ? PLAN_UPDATE_SCATTER_REDUCE
                                                             : b->c->update;
    if (m == 1) {
        /* Alone: its contribution is the result. */
        mem[0]->t_contributed = mem[0]->t_end = mem[0]->t_computed;
        return SIREN_OK;
    }
    double all_in = 0.0;
    for (int x = 0; x < m; x++) {
        struct plan_part *q = mem[x];
        uint32_t reqs = u == PLAN_UPDATE_SCATTER_REDUCE ? (uint32_t)(m - 1) : 1;
        double bytes = u == PLAN_UPDATE_SCATTER_REDUCE ? B / m : B;
        q->t_contributed = q->t_computed + puts_s(b, q->fn, reqs, bytes, m, reqs);
        if ((rc = add_burst(b, q->fn, r, PLAN_OP_CONTRIB_PUT, reqs, bytes * reqs, q->t_computed,
                            q->t_contributed, e)))
            return rc;
        if (q->t_contributed > all_in) all_in = q->t_contributed;
    }
    if (u == PLAN_UPDATE_ALLREDUCE) {
        /* The leader: in the last round nobody reads the reduced contribution back (the
         * leader PUTs the epoch's result instead). */
        struct plan_part *l = mem[0];
        double got = all_in + gets_s(b, l->fn, (uint32_t)(m - 1), B, 1, 1);
        double red = last ? got : got + puts_s(b, l->fn, 1, B, 1, 1);
        if ((rc = add_burst(b, l->fn, r, PLAN_OP_REDUCE_GET, (uint32_t)(m - 1), B * (m - 1),
                            all_in, got, e)) ||
            (!last && (rc = add_burst(b, l->fn, r, PLAN_OP_REDUCE_PUT, 1, B, got, red, e))))
            return rc;
        l->t_end = red;
        l->wait_s += all_in - l->t_contributed;
        for (int x = 1; x < m; x++) {
            struct plan_part *q = mem[x];
            if (last || b->fr[q->fn].last_round == r) {
                q->t_end = q->t_contributed;
                continue;
            }
            q->t_end = red + gets_s(b, q->fn, 1, B, m - 1, (uint32_t)(m - 1));
            q->wait_s += red - q->t_contributed;
            if ((rc = add_burst(b, q->fn, r, PLAN_OP_RESULT_GET, 1, B, red, q->t_end, e))) return rc;
        }
        return SIREN_OK;
    }
    if (u == PLAN_UPDATE_ALLGATHER) {
        for (int x = 0; x < m; x++) {
            struct plan_part *q = mem[x];
            if (x > 0 && (last || b->fr[q->fn].last_round == r)) {
                q->t_end = q->t_contributed;
                continue;
            }
            q->t_end = all_in + gets_s(b, q->fn, (uint32_t)(m - 1), B, m, (uint32_t)(m - 1));
            q->wait_s += all_in - q->t_contributed;
            if ((rc = add_burst(b, q->fn, r, PLAN_OP_RESULT_GET, (uint32_t)(m - 1), B * (m - 1),
                                all_in, q->t_end, e)))
                return rc;
        }
        return SIREN_OK;
    }
    /* Scatter-reduce: member x reduces chunk x of every contribution. */
    double chunk = B / m, all_red = 0.0;
    for (int x = 0; x < m; x++) {
        struct plan_part *q = mem[x];
        double got = all_in + gets_s(b, q->fn, (uint32_t)(m - 1), chunk, m, (uint32_t)(m - 1));
        double red = got + puts_s(b, q->fn, 1, chunk, m, 1);
        q->wait_s += all_in - q->t_contributed;
        if ((rc = add_burst(b, q->fn, r, PLAN_OP_REDUCE_GET, (uint32_t)(m - 1), chunk * (m - 1),
                            all_in, got, e)) ||
            (rc = add_burst(b, q->fn, r, PLAN_OP_REDUCE_PUT, 1, chunk, got, red, e)))
            return rc;
        q->t_end = red; /* for now: its chunk is reduced */
        if (red > all_red) all_red = red;
    }
    for (int x = 0; x < m; x++) {
        struct plan_part *q = mem[x];
        if (x > 0 && (last || b->fr[q->fn].last_round == r)) continue;
        double red = q->t_end;
        q->t_end = all_red + gets_s(b, q->fn, (uint32_t)(m - 1), chunk, m, (uint32_t)(m - 1));
        q->wait_s += all_red - red;
        if ((rc = add_burst(b, q->fn, r, PLAN_OP_RESULT_GET, (uint32_t)(m - 1), chunk * (m - 1),
                            all_red, q->t_end, e)))
            return rc;
    }
    return SIREN_OK;
}

static int check_config(const struct plan_config *c, double state_bytes, struct err *e)
{
    const struct plan_costs *k = &c->costs;
    if (!plan_update_in_rounds(c->update))
        return err_set(e, SIREN_EINVAL, "plan: update rule %d is not planned in rounds", c->update);
    if (c->sync != PLAN_SYNC_HSP)
        return err_set(e, SIREN_EINVAL, "plan: the round rules run inside HSP epochs (the "
                       "rounds are their own synchronisation); not with bsp, ssp or asp");
    if (c->faults && (c->faults->kv_error_p > 0 || c->faults->throttle))
        return err_set(e, SIREN_EINVAL, "plan: the round rules model crash and straggler faults; "
                       "kv-error and throttle are modelled for the step rules");
    if (c->n_functions <= 0 || !c->batch_rows || c->n_batches < (size_t)c->n_functions)
        return err_set(e, SIREN_EINVAL, "plan: %d functions over %zu mini-batches: expected "
                       "1 to %zu functions", c->n_functions, c->n_batches, c->n_batches);
    if (c->n_batches > UINT32_MAX)
        return err_set(e, SIREN_EINVAL, "plan: %zu mini-batches, at most %u", c->n_batches,
                       UINT32_MAX);
    if (c->round_batches < 0 || (c->update != PLAN_UPDATE_AVERAGE && c->round_batches < 1))
        return err_set(e, SIREN_EINVAL, "plan: %d mini-batches per round, expected >= 1 (or 0 "
                       "with average: the whole share)", c->round_batches);
    const double vals[] = {k->start_cold_s,     k->start_warm_s,   k->kv_get_latency_s,
                           k->kv_put_latency_s, k->compute_s_per_sample, k->data_bytes_per_sample,
                           k->param_bytes,      k->timeout_s,      k->data_chunk_bytes,
                           state_bytes};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
        if (!(vals[i] >= 0) || !isfinite(vals[i]))
            return err_set(e, SIREN_EINVAL, "plan: cost #%zu is %g, expected a finite value >= 0",
                           i, vals[i]);
    if (!(k->kv_bandwidth_bytes_per_s > 0) || k->kv_connections < 1)
        return err_set(e, SIREN_EINVAL, "plan: the store's bandwidth must be > 0 and a function's "
                       "connections >= 1");
    return SIREN_OK;
}

static int cmp_call(const void *x, const void *y)
{
    const struct plan_call *a = x, *b = y;
    if (a->fn != b->fn) return a->fn < b->fn ? -1 : 1;
    return (a->invocation > b->invocation) - (a->invocation < b->invocation);
}

/* By function, then start, then kind (stable for equal times: qsort is not). */
static int cmp_burst(const void *x, const void *y)
{
    const struct plan_burst *a = x, *b = y;
    if (a->fn != b->fn) return a->fn < b->fn ? -1 : 1;
    if (a->t_start != b->t_start) return a->t_start < b->t_start ? -1 : 1;
    if (a->round != b->round) return a->round < b->round ? -1 : 1;
    if (a->op != b->op) return a->op < b->op ? -1 : 1;
    return (a->t_end > b->t_end) - (a->t_end < b->t_end);
}

int plan_rounds_build(const struct plan_config *cfg, double state_bytes, struct plan_rounds *out,
                      struct err *e)
{
    memset(out, 0, sizeof *out);
    int rc = check_config(cfg, state_bytes, e);
    if (rc) return rc;
    int n = cfg->n_functions;
    uint32_t nb = (uint32_t)cfg->n_batches;
    struct plan_part **mem = NULL; /* a round's members: its parts that were not lost */
    struct build b = {cfg, &cfg->costs, state_bytes, out, NULL, NULL, NULL, NULL, NULL, 0, 0,
                      cfg->fetch == PLAN_FETCH_BATCH ? 0 : 1, NULL};
    b.fr = calloc((size_t)n, sizeof *b.fr);
    if (plan_costs_variable(b.k)) {
        if (!(b.lat = malloc((size_t)n * sizeof *b.lat))) {
            rc = err_set(e, SIREN_ENOMEM, "plan: out of memory");
            goto out;
        }
        for (int i = 0; i < n; i++) latency_stream(b.k->latency_seed, cfg->epoch, i, &b.lat[i]);
    }
    b.piece_first = malloc(nb * sizeof *b.piece_first);
    b.piece_count = malloc(nb * sizeof *b.piece_count);
    b.piece_fetched = calloc(nb, sizeof *b.piece_fetched);
    b.piece_computed = calloc(nb, sizeof *b.piece_computed);
    if (!b.fr || !b.piece_first || !b.piece_count || !b.piece_fetched || !b.piece_computed) {
        rc = err_set(e, SIREN_ENOMEM, "plan: out of memory");
        goto out;
    }
    /* Shares as the step planner cuts them; rounds of K mini-batches (one round: K = 0). */
    uint32_t K = (uint32_t)cfg->round_batches, max_share = 0, max_rows = 0;
    for (uint32_t pos = 0; pos < nb; pos++)
        if (cfg->batch_rows[pos] > max_rows) max_rows = cfg->batch_rows[pos];
    uint32_t chunk = plan_rounds_chunk_batches(b.k, max_rows);
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        struct fn_run *f = &b.fr[i];
        f->lo = (uint32_t)((uint64_t)nb * (uint64_t)i / (uint64_t)n);
        f->hi = (uint32_t)((uint64_t)nb * (uint64_t)(i + 1) / (uint64_t)n);
        f->piece0 = at;
        f->refetch = NO_REFETCH;
        f->n_pieces = cut_pieces(&b, f->lo, f->hi, chunk, at);
        at += f->n_pieces;
        if (f->hi - f->lo > max_share) max_share = f->hi - f->lo;
    }
    out->n_functions = n;
    out->n_rounds = K == 0 ? 1 : (int)((max_share + K - 1) / K);
    size_t cap_parts = 0;
    for (int i = 0; i < n; i++) {
        uint32_t share = b.fr[i].hi - b.fr[i].lo;
        int rounds = K == 0 ? 1 : (int)((share + K - 1) / K);
        b.fr[i].last_round = rounds - 1;
        cap_parts += (size_t)rounds;
    }
    out->parts = calloc(cap_parts, sizeof *out->parts);
    if (!out->parts) {
        rc = err_set(e, SIREN_ENOMEM, "plan: out of memory");
        goto out;
    }
    /* Invocations, then the epoch's parameters. */
    for (int i = 0; i < n; i++) {
        struct fn_run *f = &b.fr[i];
        if ((rc = add_call(&b, i, i >= cfg->n_warm, plan_invoke_time(b.k, i, cfg->n_warm), e)))
            goto out;
        double t0 = out->calls[f->call].t_start;
        /* Every function reads the epoch's one parameter object as it starts: where the
         * store limits a prefix's rate below the driver's, the i-th reader waits its turn. */
        double queue = 0.0, rate = b.k->kv_gets_per_s_per_prefix;
        if (rate > 0 && 1.0 / rate > b.k->invoke_interval_s)
            queue = (double)i * (1.0 / rate - b.k->invoke_interval_s);
        f->t = t0 + queue + gets_s(&b, i, 1, b.k->param_bytes, n, 1);
        f->fetch_free = f->t;
        if ((rc = add_burst(&b, i, 0, PLAN_OP_PARAM_GET, 1, b.k->param_bytes, t0, f->t, e)))
            goto out;
    }
    mem = malloc((size_t)n * sizeof *mem);
    if (!mem) {
        rc = err_set(e, SIREN_ENOMEM, "plan: out of memory");
        goto out;
    }
    out->writer = -1;
    for (int r = 0; r < out->n_rounds; r++) {
        int m = 0;
        for (int i = 0; i < n; i++) {
            struct fn_run *f = &b.fr[i];
            if (r > f->last_round || f->dead) continue;
            struct plan_part *q = &out->parts[out->n_parts++];
            q->fn = i;
            q->round = r;
            q->first = K == 0 ? f->lo : f->lo + (uint32_t)r * K;
            uint32_t end = K == 0 ? f->hi : q->first + K;
            q->count = (end < f->hi ? end : f->hi) - q->first;
            for (uint32_t pos = q->first; pos < q->first + q->count; pos++)
                q->samples += cfg->batch_rows[pos];
            if ((rc = run_part(&b, q, e))) goto out;
            if (!q->lost) mem[m++] = q;
        }
        /* Every part of the round lost: its input stands, nobody reduces. */
        if (m && (rc = run_collective(&b, mem, m, r, e))) goto out;
        if (r == out->n_rounds - 1 && m) out->writer = mem[0]->fn;
        for (int x = 0; x < m; x++) {
            struct plan_part *q = mem[x];
            struct fn_run *f = &b.fr[q->fn];
            f->t = q->t_end;
            const struct plan_call *c = &out->calls[f->call];
            if (f->t - c->t_invoke > b.k->timeout_s) {
                rc = err_set(e, SIREN_EINVAL, "plan: function %d would wait for the others past "
                             "its %.0f s timeout in round %d (use more functions or fewer "
                             "mini-batches per round)", q->fn, b.k->timeout_s, r);
                goto out;
            }
        }
    }
    /* The writer PUTs the epoch's result (none when the last round's every part was lost). */
    if (out->writer >= 0) {
        struct fn_run *w = &b.fr[out->writer];
        double put_end = w->t + puts_s(&b, out->writer, 1, b.k->param_bytes, 1, 1);
        if ((rc = add_burst(&b, out->writer, out->n_rounds - 1, PLAN_OP_RESULT_PUT, 1,
                            b.k->param_bytes, w->t, put_end, e)))
            goto out;
        w->t = put_end;
        if (w->t - out->calls[w->call].t_invoke > b.k->timeout_s) {
            rc = err_set(e, SIREN_EINVAL, "plan: function %d would PUT the epoch's result past "
                         "its %.0f s timeout (use more functions)", out->writer, b.k->timeout_s);
            goto out;
        }
    }
    for (int i = 0; i < n; i++) {
        struct plan_call *c = &out->calls[b.fr[i].call];
        c->t_stop = b.fr[i].t;
        if (c->t_stop > out->t_end) out->t_end = c->t_stop;
    }
    /* Calls and bursts by function, then time (continuations were appended as they came). */
    qsort(out->calls, out->n_calls, sizeof *out->calls, cmp_call);
    qsort(out->bursts, out->n_bursts, sizeof *out->bursts, cmp_burst);
out:
    free(mem);
    free(b.lat);
    free(b.fr);
    free(b.piece_first);
    free(b.piece_count);
    free(b.piece_fetched);
    free(b.piece_computed);
    if (rc) plan_rounds_free(out);
    return rc;
}

const struct plan_part *plan_rounds_part(const struct plan_rounds *p, int fn, int round)
{
    /* Parts are sorted by (round, fn). */
    size_t lo = 0, hi = p->n_parts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct plan_part *q = &p->parts[mid];
        if (q->round < round || (q->round == round && q->fn < fn)) lo = mid + 1;
        else hi = mid;
    }
    if (lo < p->n_parts && p->parts[lo].round == round && p->parts[lo].fn == fn)
        return &p->parts[lo];
    return NULL;
}

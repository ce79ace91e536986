/*
 * plan_rounds: the virtual clock of the update rules under which every function's work counts
 * (planner.h: average[:K], allreduce, scatter-reduce, allgather). An epoch is a sequence of
 * rounds. In each round every member function (one with mini-batches left) trains its part
 * from the round's input model, puts its contribution (average: its model; the gradient
 * rules: the sum of its mini-batches' gradients, times their rows), and the members combine
 * their contributions with the rule's collective, through the store; the round's result is
 * the next round's input. Contributions are weighted by the rows they trained on.
 *
 * Per function, from its invocation at t = 0: the start latency (cold or warm), one GET of the
 * epoch's parameters (weights only), then its mini-batches. Its data share is fetched as
 * ranged GETs, one per chunk of the staged data it touches (a piece: plan_rounds_chunk_batches),
 * one piece ahead of the one it computes (double buffering), or (PLAN_FETCH_BATCH) one GET per
 * mini-batch just before it. A burst of m requests of b bytes each takes ceil(m / kv_connections) latencies
 * plus m b / bandwidth. The collectives, for a round of m members and contribution size B
 * (the weights' size, param_bytes):
 *   allreduce (LambdaML's leader): each PUTs B; the lowest-numbered member GETs the other
 *     m - 1 once all are in, and PUTs the reduced B; the others GET it.
 *   allgather: each PUTs B; once all are in, each GETs the other m - 1.
 *   scatter-reduce (also average's): each PUTs m - 1 chunks of B/m; once all are in, member
 *     j GETs the m - 1 chunks j, reduces them and PUTs its reduced chunk; once all are in,
 *     each GETs the other m - 1 reduced chunks.
 * A function waits for the slowest member, and is billed while it waits. A round of one
 * member needs no communication. In the last round only the function that writes the
 * epoch's result (the leader, or function 0 with the reduced model) goes on after its part
 * of the reduction; it PUTs the result (the next epoch's parameters).
 * A mini-batch that would end past the timeout is left to a continuation: the invocation PUTs
 * its state (weights and optimiser state, state_bytes) and ends, and a warm invocation GETs
 * it and fetches its data again from that mini-batch's piece. A function that would wait for
 * the others past its timeout cannot be continued: the plan is refused. Deterministic.
 * Faults (plan_config.faults: crash=P and straggler=P:F; kv-error and throttle are the step
 * planner's): each attempt at a part draws from faults.h's stream keyed by (epoch, function,
 * round, attempt). A straggler computes F times slower; a crash kills the attempt part way
 * through a mini-batch, and Lambda retries it after fault_retry_delay_s as a fresh (cold)
 * invocation that reads its input again (and its saved state, after the first round of
 * average:K) and redoes the whole part. The others wait for it in the collective. A part whose
 * every attempt crashed is lost: the round combines the others, and its function takes no
 * further part in the epoch.
 */
#ifndef SIREN_PLAN_ROUNDS_H
#define SIREN_PLAN_ROUNDS_H

#include <stddef.h>
#include <stdint.h>

#include "planner.h"

/* What a burst of requests is for. */
enum plan_op {
    PLAN_OP_PARAM_GET = 0, /* the epoch's parameters */
    PLAN_OP_DATA_GET,      /* a piece of the data share (or one mini-batch) */
    PLAN_OP_CONTRIB_PUT,   /* the function's contribution (whole, or in chunks) */
    PLAN_OP_REDUCE_GET,    /* contributions read by the one that reduces them */
    PLAN_OP_REDUCE_PUT,    /* a reduced contribution (whole, or a chunk) */
    PLAN_OP_RESULT_GET,    /* the round's reduced result, read back */
    PLAN_OP_RESULT_PUT,    /* the epoch's result: the next epoch's parameters */
    PLAN_OP_STATE_PUT,     /* a continuation: the state saved at the timeout */
    PLAN_OP_STATE_GET,     /* a continuation: the state read back */
    PLAN_OP_COUNT
};
const char *plan_op_name(enum plan_op op);
/* 1 for the kinds that are PUTs. */
int plan_op_is_put(enum plan_op op);

/* One function's part of one round. */
struct plan_part {
    int fn, round;
    uint32_t first, count; /* its mini-batches: positions first .. first + count - 1 of the
                              epoch's order */
    uint32_t samples;      /* their rows: the weight of its contribution */
    double t_begin;        /* it holds the round's input model */
    double t_computed;     /* its last mini-batch of the round is computed */
    double t_contributed;  /* its contribution is in the store */
    double t_end;          /* it holds the round's result (last round: it is done) */
    double wait_s;         /* of [t_begin, t_end], time spent waiting for other members */
    int retries;           /* attempts that crashed before the one that completed it */
    int lost;              /* every attempt crashed: no contribution */
};

/* Consecutive requests of one kind by one function. */
struct plan_burst {
    int fn, round, op, invocation;
    uint32_t requests;
    double bytes; /* of all of them */
    double t_start, t_end;
};

/* One invocation of one function (continuations are invocations of their own). */
struct plan_call {
    int fn, invocation, cold, continued; /* continued: it ended at the timeout, saving state */
    double t_invoke, t_start, t_stop;    /* invoked; running after the start latency; ended */
    int round, attempt;                  /* faults: the round of the part it is on (a crashed
                                            call: the one it died in), and Lambda's retry
                                            that began it (0: the first try) */
    int crashed;                         /* faults: it died (a retry follows, or the part is
                                            lost) */
    double compute_factor;               /* faults: its worst straggler slowdown (1: none) */
};

struct plan_rounds {
    int n_functions, n_rounds;
    int writer;                /* the function that PUTs the epoch's result */
    struct plan_part *parts;   /* by round, then function (members only) */
    size_t n_parts;
    struct plan_burst *bursts; /* by function, then time */
    size_t n_bursts;
    struct plan_call *calls;   /* by function, then time */
    size_t n_calls;
    double t_end;              /* the epoch's duration: its last function's end */
    uint64_t gets, puts;       /* requests of the epoch (values split on the channel count
                                  each piece) */
    uint64_t data_gets;        /* of the gets: data from the object store */
    double bytes_got, bytes_put;
    double fetch_s, compute_s, update_s; /* sums over functions: data and parameter GETs;
                                            compute; contributions, collectives, results */
    int crashes, retries, stragglers, lost_functions; /* faults: attempts that crashed, that
                                                         retried, that straggled; functions
                                                         whose part was lost */
    int lost_batches; /* faults: the mini-batches lost functions never trained */
};

/* Plans one epoch under a round rule (cfg->update, plan_update_in_rounds). Uses n_functions,
 * n_warm, batch_rows and n_batches (required), round_batches, fetch, on_timeout and the
 * costs, with costs.param_bytes the size of the weights and state_bytes (below) that of a
 * continuation's saved state. Caller owns *out; release with plan_rounds_free(). Errors:
 * SIREN_EINVAL (a count or cost out of range, kv-error or throttle faults, a sync mode other
 * than hsp, a function
 * that would wait past its timeout, a mini-batch longer than the timeout), SIREN_ENOMEM. */
int plan_rounds_build(const struct plan_config *cfg, double state_bytes, struct plan_rounds *out,
                      struct err *e) SIREN_WUR;
void plan_rounds_free(struct plan_rounds *p);

/* Consecutive staged mini-batches one ranged GET of the data may read (a chunk): as many
 * full mini-batches of max_rows as fit in k->data_chunk_bytes, at least 1. A function's share
 * (in an epoch order of whole chunks, staging_epoch_order_chunked) is fetched one piece per
 * chunk it touches; under PLAN_FETCH_BATCH, one per mini-batch. */
uint32_t plan_rounds_chunk_batches(const struct plan_costs *k, uint32_t max_rows);

/* The part of function fn in round r, or NULL when it is not a member. */
const struct plan_part *plan_rounds_part(const struct plan_rounds *p, int fn, int round);

#endif

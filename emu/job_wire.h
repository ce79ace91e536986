/*
 * job_wire: what rank 0 and the invoker ranks of an emulated job (job.h) say to each other
 * about an epoch, as named structs with one encoder and one decoder each. The text is JSON
 * with named keys. Rank 0 sends each invoker a task message (struct task_msg): the epoch's
 * settings, the event template and the invoker's tasks in run order, a task being one
 * invocation of one function (one step of it under the virtual clock, all of its steps under
 * the wall clock). The invoker answers with a results message: one struct task_result per
 * task, in the same order. Every decoder checks that each field is there with its type and
 * returns SIREN_EFORMAT naming the first one that is not ("results message: task 3: key
 * 'wall_ms' is missing"). Integers (versions, seeds < 2^52) and strings travel exactly; other
 * numbers as cJSON prints them, within DBL_EPSILON (relative). Rank 0 reads its own tasks'
 * results through the same text when it is alone, so no number depends on the rank count.
 * This header has no MPI: job_msg_send and job_msg_recv (job_internal.h) carry the text.
 */
#ifndef SIREN_JOB_WIRE_H
#define SIREN_JOB_WIRE_H

#include <stdint.h>

#include "core.h"

/* Bytes of a KV key in a task, NUL included. */
#define TASK_KEY_MAX 128

enum task_step_kind {
    TASK_STEP_TRAIN = 0, /* trains on data_key from read_version, PUTs write_version */
    TASK_STEP_GRADIENT,  /* BSP: trains on data_key from read_version, PUTs its gradient to
                            grad_key */
    TASK_STEP_AGGREGATE, /* BSP's leader: averages the round's gradients (aggregate) onto
                            read_version and PUTs write_version */
};

/* One step of a task, as rank 0 planned it. Versions are the planner's, or FN_CURRENT
 * (handler.h) under the wall clock. */
struct task_step {
    enum task_step_kind kind;
    char data_key[TASK_KEY_MAX]; /* the mini-batch object; "" for an aggregation */
    int64_t read_version;        /* version its GET reads */
    int64_t base_version;        /* APPLY: version re-read at PUT time; -1: none */
    int64_t write_version;       /* version its PUT creates; -1 for a gradient step */
    uint64_t seed;               /* of its random masks (stream_step_seed: < 2^52) */
    char grad_key[TASK_KEY_MAX]; /* a gradient step's gradient; "" otherwise */
    int n_aggregate;             /* an aggregation's gradients; 0 otherwise */
    char (*aggregate)[TASK_KEY_MAX]; /* (n_aggregate) their keys; owned */
};

/* One task: an invocation of one function. */
struct task_spec {
    int fn;         /* the function number the invokers see (a retry is a function of its own) */
    int first_step; /* its first step's index within the function; -1 - r for BSP round r's
                       aggregation */
    int epoch;      /* ASP: the epoch its pass counts as (its seeds and lr); 0: the template's */
    double lr;      /* ASP: that epoch's learning rate; 0 otherwise */
    int n_steps, cap_steps;
    struct task_step *steps; /* (n_steps) owned */
    /* A round task (plan_rounds.h) instead of steps: the operations of its round event
     * (handler_rounds.c), owned, and the key its failure marks failed. NULL: a step task. */
    cJSON *ops;
    char fail_key[TASK_KEY_MAX];
    int memory_mb; /* its sandbox's memory size; 0: the message's */
    /* A step task under the virtual clock: where its function keeps its optimiser state
     * between the events of its invocation ("": nowhere, a fresh state each event). */
    char state_key[TASK_KEY_MAX];
};

/* What rank 0 sends one invoker for one exchange. */
struct task_msg {
    int epoch, memory_mb;
    double timeout_ms; /* the platform's timeout: whole milliseconds (a fraction is refused) */
    int wall;          /* wall clock: every task at once, nothing planned */
    cJSON *event;      /* the template of every task's event (handler.h), with at least "kv"
                          and "params"; owned */
    int n_tasks, cap_tasks;
    struct task_spec *tasks; /* (n_tasks) in run order; owned */
};

/* Times measured inside the function for one step, ms. */
struct step_timing {
    double data_get_ms, param_get_ms, compute_ms, base_get_ms, put_ms;
};

/* What one step of a task gave (zeros when its task failed). */
struct step_result {
    int64_t read_got; /* version its GET really read */
    int64_t base_got; /* version its base GET really read; -1 when it made none */
    double loss;      /* training loss of its mini-batch */
    struct step_timing timing;
};

/* What one task gave, as its invoker reports it. */
struct task_result {
    int fn, first_step; /* as in its task_spec */
    int ok;             /* it ran and reported every step */
    int cold;           /* its sandbox started cold */
    double wall_ms;     /* real time the invocation took, the round trip included */
    double peak_mb;     /* its peak resident memory, MiB */
    double init_ms;     /* cold-start time */
    double run_ms;      /* the function's own duration (Lambda's REPORT, or the sandbox's) */
    double start_ms, end_ms; /* from the invoker's receipt of the message */
    char error[96];     /* Lambda's "errorType: errorMessage", or "" */
    int n_steps;
    struct step_result *steps; /* (n_steps) owned */
    double loss_sum;           /* a round task: its mini-batches' mean losses, summed */
    int loss_steps;            /* ... over this many mini-batches */
    /* A round task, as measured inside the function: its operations' times (loads and
     * restores; training; contributions, saves and reductions), ms, and its requests. */
    double fetch_ms, compute_ms, update_ms;
    double kv_gets, kv_puts, bytes_read, bytes_written;
};

/* Building a message: each returns the new, zeroed entry, or NULL when out of memory. The
 * pointer is valid until the next entry is added to the same message or task. */
struct task_spec *job_task_msg_add(struct task_msg *m);
struct task_step *job_task_spec_add_step(struct task_spec *t);
/* An aggregation's n gradient keys, zeroed. SIREN_ENOMEM. */
int job_task_step_aggregate(struct task_step *s, int n, struct err *e) SIREN_WUR;

/* Task messages. Caller owns *text (free()) and *out (release with job_task_msg_free()).
 * Errors: SIREN_ENOMEM; the decoder also SIREN_EFORMAT naming the field. */
int job_task_msg_encode(const struct task_msg *m, char **text, struct err *e) SIREN_WUR;
int job_task_msg_decode(const char *text, struct task_msg *out, struct err *e) SIREN_WUR;
void job_task_msg_free(struct task_msg *m);

/* One result as a JSON object (NULL when out of memory; caller owns it), and back: `where`
 * names it in messages. Caller owns out->steps (job_task_result_free()). */
cJSON *job_task_result_encode(const struct task_result *r);
int job_task_result_decode(const cJSON *o, const char *where, struct task_result *out,
                           struct err *e) SIREN_WUR;
void job_task_result_free(struct task_result *r);

/* Results messages: n results (r may be NULL when n is 0). Caller owns *text (free()) and
 * *out (job_task_results_free()). Errors: SIREN_ENOMEM; SIREN_EFORMAT naming the field. */
int job_task_results_encode(const struct task_result *r, int n, char **text,
                            struct err *e) SIREN_WUR;
/* The answer of an invoker that refused its task message and ran none of it (an event over
 * the payload limit): no results, and why, as the error code and message to raise. */
int job_task_results_encode_refusal(int code, const char *msg, char **text,
                                    struct err *e) SIREN_WUR;
/* A refusal decodes as its own code and message (*n = 0). */
int job_task_results_decode(const char *text, struct task_result **out, int *n,
                            struct err *e) SIREN_WUR;
void job_task_results_free(struct task_result *r, int n);

#endif

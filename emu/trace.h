/*
 * trace: one record per function invocation and one per KV operation of a run, kept in memory
 * by rank 0 and written at the end as trace.h5 (two HDF5 compound datasets, "invocations" and
 * "kv_ops"), through a temporary file renamed into place. Virtual times are seconds from the
 * job's start; wall times are what the host measured, for checking the model. Injected faults
 * (faults.h) show in both: an invocation's attempt number (0 for the first try, 1.. for
 * Lambda's retries), its fault kinds and counts, and per request the tries that failed.
 */
#ifndef SIREN_TRACE_H
#define SIREN_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* Fault kinds of an invocation (bits of trace_invocation.fault). */
enum trace_fault {
    TRACE_FAULT_CRASH = 1,      /* it crashed (crash=P) */
    TRACE_FAULT_STRAGGLER = 2,  /* its compute ran compute_factor times slower */
    TRACE_FAULT_KV_ERROR = 4,   /* some request failed transiently and was retried */
    TRACE_FAULT_KV_FAILED = 8,  /* a request failed on every try: the function raised */
    TRACE_FAULT_THROTTLED = 16, /* some request was refused over the store's rate */
};

enum trace_status {
    TRACE_OK = 0,
    TRACE_FAILED = 1,      /* the function died (memory, crash, handler error) */
    TRACE_TIMED_OUT = 2,   /* planned past the timeout and killed there */
    TRACE_CONTINUED = 3,   /* ended at the timeout and continued by a new invocation */
};

struct trace_invocation {
    int32_t epoch, fn, invocation, rank, memory_mb, cold, status;
    double v_start_s, v_end_s; /* virtual: invoke and end */
    double billed_ms, cost_usd;
    double wall_ms;            /* real time its steps took on the host, round trips included */
    double peak_mb;            /* measured peak resident memory */
    char error[96];            /* Lambda's errorType: errorMessage, or "" */
    int32_t attempt;           /* 0: the first try; 1..: Lambda's retries of a failed one */
    int32_t fault;             /* enum trace_fault bits, 0 for none */
    int32_t kv_errors, throttled; /* request tries failed transiently / refused over the rate */
    double compute_factor;     /* straggler slowdown of its compute (1: none; 0 in old files) */
};

/* What a request was for. The first four are the step rules' (one request each); the rest
 * are the round rules' (plan_rounds.h: a record per burst of requests of one kind). */
enum trace_op {
    TRACE_DATA_GET = 0,
    TRACE_PARAM_GET = 1,
    TRACE_BASE_GET = 2,
    TRACE_PARAM_PUT = 3,
    TRACE_CONTRIB_PUT = 4,
    TRACE_REDUCE_GET = 5,
    TRACE_REDUCE_PUT = 6,
    TRACE_RESULT_GET = 7,
    TRACE_RESULT_PUT = 8,
    TRACE_STATE_PUT = 9,
    TRACE_STATE_GET = 10,
    TRACE_DATA_GEN = 11,  /* data the function generated (--data generate), planned, timed and
                             billed as the GET of its bytes from the store */
};

struct trace_kv_op {
    int32_t epoch, fn, step, op;
    int64_t version;           /* planned version read or written (-1 for data) */
    int64_t version_got;       /* version actually read (differs after a failure), or -1 */
    double v_start_s, v_end_s;
    double bytes;
    double wall_ms;            /* real duration of the operation inside the function */
    int32_t attempt;           /* the invocation attempt that made it (see trace_invocation) */
    int32_t retries;           /* tries that failed transiently before it succeeded */
    int32_t throttled;         /* tries refused over the store's rate before it succeeded */
    int32_t requests;          /* requests this record stands for: one for the step rules'
                                  records, a burst's for the round rules' (0 in old files:
                                  one) */
};

struct trace {
    struct trace_invocation *inv;
    size_t n_inv, cap_inv;
    struct trace_kv_op *ops;
    size_t n_ops, cap_ops;
};

void trace_init(struct trace *t);
void trace_free(struct trace *t);
int trace_add_invocation(struct trace *t, const struct trace_invocation *r) SIREN_WUR;
int trace_add_kv_op(struct trace *t, const struct trace_kv_op *r) SIREN_WUR;
/* Writes trace.h5 atomically. Errors: SIREN_EHDF5 / SIREN_EIO naming the file. */
int trace_write_h5(const struct trace *t, const char *path, struct err *e) SIREN_WUR;
/* Reads the records back (for tests and `siren sim fit`). Caller owns the arrays in *t. */
int trace_read_h5(const char *path, struct trace *t, struct err *e) SIREN_WUR;

#endif

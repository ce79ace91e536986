/*
 * trace: one record per function invocation and one per KV operation of a run, kept in memory
 * by rank 0 and written at the end as trace.h5 (two HDF5 compound datasets, "invocations" and
 * "kv_ops"), through a temporary file renamed into place. Virtual times are seconds from the
 * job's start; wall times are what the host measured, for checking the model.
 */
#ifndef SIREN_TRACE_H
#define SIREN_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

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
};

enum trace_op { TRACE_DATA_GET = 0, TRACE_PARAM_GET = 1, TRACE_BASE_GET = 2, TRACE_PARAM_PUT = 3 };

struct trace_kv_op {
    int32_t epoch, fn, step, op;
    int64_t version;           /* planned version read or written (-1 for data) */
    int64_t version_got;       /* version actually read (differs after a failure), or -1 */
    double v_start_s, v_end_s;
    double bytes;
    double wall_ms;            /* real duration of the operation inside the function */
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

/*
 * trace_check: did every parameter update of a finished run land exactly once? Reads a run
 * directory's summary.json, epochs.csv and trace.h5 (nothing else: it checks the record, not
 * the emulator's own bookkeeping) and counts, per epoch, the PUTs of every planned parameter
 * version 1..versions. A version written twice is doubled (a retried function applied its
 * update again). The planner numbers only PUTs that complete, so injected faults (crashes,
 * failed requests, retries) leave no version unwritten; a version never written is lost
 * unless a function of that epoch really died (out of memory or time, a handler error: its
 * planned versions were never written and readers fell back to older ones). HSP and SSP runs
 * (one version sequence per epoch); BSP writes gradients, and an ASP run numbers versions
 * across passes, so both are refused.
 */
#ifndef SIREN_TRACE_CHECK_H
#define SIREN_TRACE_CHECK_H

#include <stdint.h>

#include "core.h"

struct trace_check_epoch {
    int epoch;
    int64_t versions;      /* planned parameter versions (epochs.csv) */
    int64_t puts;          /* PUT records of the epoch */
    int64_t retried_puts;  /* of which made by a retry (attempt > 0) */
    int64_t unwritten;     /* versions with no PUT */
    int64_t doubled;       /* PUTs beyond the first of a version */
    int64_t died;          /* invocations that failed on their own, not by an injected fault */
    int64_t lost;          /* unwritten versions no failure explains */
};

struct trace_check {
    struct trace_check_epoch *epochs;
    int n_epochs;
    int64_t puts, retried_puts, unwritten, doubled, lost;
};

/* Checks run_dir. Errors: SIREN_ENOTFOUND / SIREN_EIO (a missing file), SIREN_EFORMAT (a file
 * that is not what siren run writes, naming it and the line or key), SIREN_EINVAL (a BSP or
 * ASP run), SIREN_ENOMEM. A run with lost or doubled updates is not an error: the counts say
 * so. Release with trace_check_free(). */
int trace_check_run(const char *run_dir, struct trace_check *out, struct err *e) SIREN_WUR;
void trace_check_free(struct trace_check *c);

#endif

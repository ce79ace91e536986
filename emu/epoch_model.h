/*
 * epoch_model: the time and bill of one planned epoch, as pure arithmetic shared by the
 * emulator (job.c) and the simulator (sched/sim.c), so that both give the same numbers for the
 * same schedule. Inputs: the platform preset, the calibration, the job's data and parameter
 * sizes, the memory size, and the plan (planner.h); optionally which step each function
 * really died at. Nothing here allocates, reads a clock or keeps state.
 */
#ifndef SIREN_EPOCH_MODEL_H
#define SIREN_EPOCH_MODEL_H

#include "plan_rounds.h"
#include "planner.h"
#include "platform.h"

/* The planner's costs for functions of memory_mb: start latencies and object-store times from
 * the preset; compute = s_per_sample (one full vCPU) / min(vCPU share, 1), because the kernels
 * run one thread; shard_bytes_per_sample and param_bytes are the staged object sizes. */
void epoch_model_costs(const struct platform *pf, double s_per_sample,
                       double shard_bytes_per_sample, double param_bytes, int memory_mb,
                       struct plan_costs *out);

/* One invocation's billing window: [start_s, stop_s] of virtual time from the epoch's start
 * (start latency excluded), and its status (a trace_status value: 0 ok, 1 failed, 2 timed out,
 * 3 continued). ran is 0 when nothing of it ran. */
struct epoch_invocation {
    int ran, cold, status, dead_step; /* dead_step: index of the failed step, or -1 */
    double start_s, stop_s, init_ms, billed_ms, cost_usd;
};

/* Invocation inv of function fn of plan p. dead_at (may be -1) is the step index at which
 * the function really died (the emulator's outcome; the simulator passes -1). */
void epoch_model_invocation(const struct platform *pf, const struct plan_epoch *p, int fn,
                            int inv, int dead_at, int memory_mb, struct epoch_invocation *out);

/* The epoch's totals. */
struct epoch_bill {
    double time_s;        /* last function's end (a dead function ends at its failed compute) */
    double billed_s;      /* sum of billed durations */
    double invocation_usd; /* GB-s and request fees, summed invocation by invocation */
    double kv_usd;        /* object-store request fees */
    double cost_usd;      /* invocation_usd + kv_usd, summed as the ledger does */
    uint64_t kv_gets, kv_puts;
    int invocations, failed_invocations;
};

/* Bills a whole epoch. dead_at: per function, the step it died at or -1 (NULL: none died);
 * step_ok: per step whether its PUT happened (NULL: every step that was planned to run did).
 * Same arithmetic, in the same order, as the ledger: identical doubles. */
void epoch_model_bill(const struct platform *pf, const struct plan_epoch *p, int memory_mb,
                      enum plan_update update, const int *dead_at, const int *step_ok,
                      struct epoch_bill *out);

/* Bills a whole epoch planned in rounds (plan_rounds.h): every invocation (continuations
 * included) for its running time, then the epoch's object-store requests. Same arithmetic,
 * in the same order, as the ledger. time_s is the plan's end. */
void epoch_model_bill_rounds(const struct platform *pf, const struct plan_rounds *p,
                             int memory_mb, struct epoch_bill *out);

/* One invocation of a round plan: its billing window and cost, as epoch_model_invocation. */
void epoch_model_call(const struct platform *pf, const struct plan_call *c, int memory_mb,
                      struct epoch_invocation *out);

#endif

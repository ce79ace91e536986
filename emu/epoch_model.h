/*
 * epoch_model: one epoch as pure arithmetic shared by the emulator (job.c) and the simulator
 * (sched/sim.c), so that both give the same numbers for the same schedule: which functions
 * start warm, the planner's input, the time and bill of the planned epoch, and the report's
 * fields that both fill alike. Inputs: the platform preset, the calibration, the job's data
 * and parameter sizes, the memory size, and the plan (planner.h); optionally which step each
 * function really died at. Nothing here allocates, reads a clock or keeps state.
 */
#ifndef SIREN_EPOCH_MODEL_H
#define SIREN_EPOCH_MODEL_H

#include "epoch_report.h"
#include "plan_rounds.h"
#include "planner.h"
#include "platform.h"

/* The model's choices beyond the preset: the channel functions exchange models through, and
 * whether latencies are drawn (seeded by seed) or fixed at their medians. */
struct epoch_model_opts {
    enum channel_kind channel;
    int variable_latency;
    uint64_t seed;
};

/* How many of an epoch's n functions start warm: the previous epoch's prev_n containers serve
 * again, one function each, only at the same memory size (another size needs new ones). */
int epoch_model_warm(int n, int memory_mb, int prev_n, int prev_memory_mb);

/* The planner's input for one epoch without faults: n functions, the first n_warm of them
 * warm, at costs, splitting the epoch's n_batches mini-batches (batch_rows[b] rows each, in
 * the epoch's order; borrowed by *out, so it must live until plan_epoch_build has run). A job
 * with faults sets out->faults and out->epoch after. */
void epoch_model_plan_config(const struct plan_costs *costs, int epoch, int n, int n_warm,
                             enum plan_sync sync, int staleness, enum plan_update update,
                             enum plan_timeout on_timeout, const uint32_t *batch_rows,
                             size_t n_batches, struct plan_config *out);

/* The planner's costs for functions of memory_mb (o NULL: S3, fixed latency): start latencies
 * (a cold start grows with the package), invocation rate and scale-up, and the channel's and
 * the object store's times from the preset, each at the lower of its own bandwidth and the
 * function's (which grows with memory); compute = s_per_sample (one full vCPU) / min(vCPU
 * share, 1), because the kernels run one thread; shard_bytes_per_sample and param_bytes are
 * the staged object sizes. */
void epoch_model_costs(const struct platform *pf, const struct epoch_model_opts *o,
                       double s_per_sample, double shard_bytes_per_sample, double param_bytes,
                       int memory_mb, struct plan_costs *out);

/* The driver's step after an epoch (collect, evaluate, decide: the preset's driver.step_ms),
 * in s; 0 under ASP, where nobody waits for it. It is part of the epoch's time. */
double epoch_model_driver_s(const struct platform *pf, enum plan_sync sync);

/* The fees of a channel other than S3 for an epoch that lasted time_s: DynamoDB's request
 * units (reads of read_unit_bytes, writes of write_unit_bytes, per request of the sizes its
 * bursts carried), or a node's or instance's time. 0 for S3 (its requests are the ledger's
 * kv fees). */
double epoch_model_channel_usd(const struct platform *pf, const struct epoch_model_opts *o,
                               const struct plan_rounds *p, double time_s);
/* The same for the step planner's epoch: param_gets and param_puts values of param_bytes. */
double epoch_model_channel_step_usd(const struct platform *pf, const struct epoch_model_opts *o,
                                    uint64_t param_gets, uint64_t param_puts,
                                    double param_bytes, double time_s);

/* One invocation's billing window: [start_s, stop_s] of virtual time from the epoch's start
 * (start latency excluded), and its status (a trace_status value: 0 ok, 1 failed, 2 timed out,
 * 3 continued). ran is 0 when nothing of it ran. */
struct epoch_invocation {
    int ran, cold, status, dead_step; /* dead_step: index of the failed step, or -1 */
    double invoke_s;                  /* when the driver invoked it */
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
    double channel_usd;   /* a channel other than S3 (epoch_model_channel_usd) */
    double cost_usd;      /* invocation_usd + kv_usd + channel_usd, summed as the ledger does */
    uint64_t kv_gets, kv_puts; /* object-store requests (with a channel other than S3: the
                                  data GETs) */
    int invocations, failed_invocations;
};

/* Bills a whole epoch. dead_at: per function, the step it died at or -1 (NULL: none died);
 * step_ok: per step whether its PUT happened (NULL: every step that was planned to run did).
 * o: the channel (NULL: S3); driver_s: the driver's step, part of time_s (and of a channel
 * node's billed time). Same arithmetic, in the same order, as the ledger: identical doubles. */
void epoch_model_bill(const struct platform *pf, const struct epoch_model_opts *o,
                      const struct plan_epoch *p, int memory_mb, enum plan_update update,
                      const int *dead_at, const int *step_ok, double driver_s,
                      struct epoch_bill *out);

/* Bills a whole epoch planned in rounds (plan_rounds.h): every invocation (continuations
 * included) for its running time, then the epoch's object-store requests. Same arithmetic,
 * in the same order, as the ledger. time_s is the plan's end. */
void epoch_model_bill_rounds(const struct platform *pf, const struct epoch_model_opts *o,
                             const struct plan_rounds *p, int memory_mb, double driver_s,
                             struct epoch_bill *out);

/* One invocation of a round plan: its billing window and cost, as epoch_model_invocation. */
void epoch_model_call(const struct platform *pf, const struct plan_call *c, int memory_mb,
                      struct epoch_invocation *out);

/* An epoch's report, in the parts the emulator and the simulator fill alike; the losses,
 * counts and fault fields are the caller's. */

/* Zeroes *rep and writes the action (epoch from 1; n functions of memory_mb, n_warm of them
 * warm) and the memory utilisation, model_bytes / memory size (model_bytes 0: unknown). */
void epoch_model_report_start(struct epoch_report *rep, int epoch, int n, int memory_mb,
                              int n_warm, double model_bytes);
/* The epoch's time (its last function's end plus the driver's step, epoch_model_driver_s),
 * its phases summed over functions and its cost, all in seconds and USD, and the CPU
 * utilisation compute_s / billed_s (0 when nothing was billed). */
void epoch_model_report_usage(struct epoch_report *rep, double time_s, double fetch_s,
                              double compute_s, double update_s, double billed_s,
                              double cost_usd);
/* Adds the epoch's time and cost to the job's running totals (*total_time_s, *total_cost_usd)
 * and writes them into the report, with the budget left (budget_usd <= 0: no budget, and
 * INFINITY left). */
void epoch_model_report_totals(struct epoch_report *rep, double budget_usd,
                               double *total_time_s, double *total_cost_usd);

#endif

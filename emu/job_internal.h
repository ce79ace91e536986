/*
 * job_internal.h: what the rooms of the emulated job (job.h) share; never included outside
 * emu/. struct job is what every rank holds; struct job_coord is rank 0's part (the
 * coordinator: workload, KV store, ledger, trace, progress), NULL on the invoker ranks.
 * The rooms: job.c (open, finish, close), job_invoker.c (sandbox pools and the threads that
 * run an invoker's tasks), job_wire.c (the MPI messages), job_stage.c (KV keys, staged data,
 * parameter versions), job_ckpt.c (checkpoints and the owner token), job_epoch.c (one epoch
 * from the action to the commit), job_record.c (bill, trace, epochs.csv, summary.json) and
 * job_asp.c (the ASP run as one plan). Functions here are rank 0's unless marked.
 */
#ifndef SIREN_JOB_INTERNAL_H
#define SIREN_JOB_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "calibration.h"
#include "epoch_model.h"
#include "job.h"
#include "job_wire.h"
#include "kv.h"
#include "ledger.h"
#include "platform.h"
#include "store.h"
#include "trace.h"

/* MPI tags of the job's messages. */
enum { TAG_TASKS = 71, TAG_RESULTS = 72, TAG_STOP = 73 };

/* Fault counts over the job (faults.h): attempts that crashed, that raised after a request
 * failed on every try, Lambda's retries, straggling attempts, request tries failed transiently
 * and refused over the rate, functions still failing after the last retry, and the steps that
 * therefore wrote no version. */
struct job_fault_totals {
    int crashes, kv_failures, retries, stragglers, kv_errors, throttled, lost_functions;
    int failed_steps;
};

/* Rank 0's progress through the run: everything a checkpoint saves and a resume restores.
 * job_ckpt.c copies it whole both ways, so a field added here is saved and restored without a
 * line more. Plain data, but for ledger.platform: the job's, set again on restore. */
struct job_progress {
    int epoch;                  /* epochs run (during job_epoch: the one running) */
    int prev_n, prev_memory_mb; /* the warm containers the last epoch left: how many, of which
                                   memory size */
    int peak_functions;         /* the most functions of any epoch */
    int reached_target;         /* the held-out loss has reached the target */
    int invocations, failed_invocations;
    double total_time_s;        /* virtual time of the epochs run, s */
    double total_cost_usd;
    double time_to_target_s;    /* total_time_s when the target was reached; NaN before */
    struct ledger ledger;       /* the bill: its epoch counter and job totals */
    struct epoch_report last;   /* the last epoch's report */
    struct job_fault_totals faults;
};

/* Rank 0's part of a job. */
struct job_coord {
    struct workload *w;
    struct calibration_entry cal;
    struct kv *kv;
    struct trace trace;
    struct kn_model *eval_model; /* the parameters evaluated on held-out data */
    /* The staged data (job_stage.c). */
    uint32_t *batch_rows; /* (n_batches) rows of each staged mini-batch */
    size_t n_batches;
    double shard_bytes_per_sample;
    double param_bytes;  /* the shared parameter object: the weights only */
    double state_bytes;  /* weights and optimiser state: a round rule's saved state */
    struct job_progress progress;
    FILE *epochs_csv;
    /* Faults (faults_on only): cfg.faults points here. */
    struct fault_config faults;
    int faults_on;
    struct job_wall wall; /* real seconds per phase (job_wall_get) */
    /* The job in the store (job_ckpt.c): this coordinator's owner record as it put it (the
     * events carry it, so that a function stops waiting once it is replaced), its key, and
     * the staged data's digest (job_stage.c; "" until staged). */
    char owner[STORE_OWNER_TEXT_MAX];
    char owner_key[STORE_KEY_MAX];
    char data_digest[STORE_DIGEST_HEX + 1];
};

/* What every rank holds. */
struct job {
    struct job_config cfg; /* its strings point into the buffers below */
    int rank, size;
    char out_dir[1024], kv_url[1100], platform_name[1100], calibration_path[1100];
    char backend[64], backend_target[1024];
    char scheduler[256];
    char job_id[STORE_JOB_ID_MAX + 1]; /* rank 0's; "" on the other ranks */
    struct platform platform;
    /* Sandboxes (invokers, and rank 0 when alone): one pool per thread that runs functions at
     * once. */
    struct sandbox_pool **pools;
    int n_pools, slots;
    struct job_coord *coord; /* rank 0's; NULL on the other ranks */
};

/* Per-step outcome gathered from the ranks, indexed like plan.steps. */
struct step_outcome {
    int ran, ok, cold;
    int64_t read_got, base_got;
    double loss, wall_ms, peak_mb;
    struct step_timing timing;        /* measured inside the function */
    double start_ms, end_ms, init_ms; /* its invocation, from the rank's receipt (wall clock) */
    double run_ms;                    /* the function's own duration, as it reported it */
    char error[96];
};

/* What came back from a planned crash's task (faults), indexed like plan.attempts. */
struct attempt_outcome {
    int ran, ok;
    double wall_ms, peak_mb;
    char error[96];
};

/* job.c */
/* The update rule's name, as events and summary.json spell it. */
const char *job_update_name(enum plan_update u);

/* job_wire.c: text messages over MPI point-to-point (any rank). */
int job_msg_send(const char *text, int dest, int tag, struct err *e) SIREN_WUR;
/* Receives a message from src (MPI_ANY_SOURCE allowed), polling politely; *tag and *from get
 * its tag and sender. Caller owns *out (free()). */
int job_msg_recv(int src, int *tag, int *from, char **out, struct err *e) SIREN_WUR;

/* job_invoker.c (any rank that hosts functions). */
/* Opens cfg.slots pools of sandboxes. */
int job_pools_open(struct job *j, struct err *e) SIREN_WUR;
/* Runs the tasks of one task message; *out gets the results message (caller frees).
 * SIREN_ELIMIT, before any task runs, when an event is over the platform's synchronous
 * payload limit (the message names it, payload.h). */
int job_tasks_run(struct job *j, const char *msg, char **out, struct err *e) SIREN_WUR;

/* job_stage.c: the KV keys of a job, the staged data and the parameter versions. Keys are
 * built by store.h; a buffer of STORE_KEY_MAX bytes holds any of them. */
void job_key_data(const struct job *j, char *buf, size_t len, size_t batch);
void job_key_params(const struct job *j, char *buf, size_t len, int epoch); /* an epoch's
                                                                              prefix */
void job_key_grad(char *buf, size_t len, const char *prefix, int round, int fn);
/* Puts the training split as mini-batch objects (staging.h), and (put_params) the initial
 * parameters as version 0 of epoch 1. */
int job_stage(struct job *j, int put_params, struct err *e) SIREN_WUR;
/* Reads version v (or the newest earlier one that did not fail) into the eval model; *got
 * gets the version read. carry: also put it as the next epoch's version 0. */
int job_version_load(struct job *j, const char *prefix, int64_t v, int carry, int64_t *got,
                     struct err *e) SIREN_WUR;
/* Deletes an epoch's parameter versions (a failure is logged, not returned). */
void job_versions_drop(struct job *j, const char *prefix);
/* Deletes every key under prefix except keep (may be NULL). */
int job_kv_delete_prefix(struct job *j, const char *prefix, const char *keep,
                         struct err *e) SIREN_WUR;

/* Drops the job's reference to its staged data (the last user deletes the data). */
int job_stage_release(struct job *j, size_t *removed, struct err *e) SIREN_WUR;

/* job_ckpt.c */
/* Claims the job's id: creates its owner record. A fresh run refuses an id that is taken
 * (SIREN_EEXISTS naming the id, the owner and what to do), unless cfg.force, which deletes
 * the owner's objects; a resumed run takes its job over when its owner is gone (or with
 * cfg.force). */
int job_owner_claim(struct job *j, struct err *e) SIREN_WUR;
/* SIREN_EINVAL when another coordinator's record is there (or none). Also puts the job's
 * heartbeat, for siren kv gc. */
int job_owner_check(struct job *j, struct err *e) SIREN_WUR;
/* A fresh run: deletes the checkpoints of an earlier run in the same store. */
int job_ckpt_clear(struct job *j, struct err *e) SIREN_WUR;
/* Puts the checkpoint of the epoch just run; inv0 and ops0: where its trace records start,
 * row: its epochs.csv row. */
int job_ckpt_put(struct job *j, size_t inv0, size_t ops0, const char *row,
                 struct err *e) SIREN_WUR;
/* Restores rank 0's state after the newest checkpoint and the trace records of all; *rows
 * gets their epochs.csv rows (caller frees). */
int job_ckpt_restore(struct job *j, char **rows, struct err *e) SIREN_WUR;

/* job_epoch.c */
/* The rank that hosts function fn. */
int job_invoker_of(const struct job *j, int fn);
/* The plan's costs for memory_mb on this platform and calibration (shared with the
 * simulator, so both plan the same timelines). */
void job_plan_costs(const struct job *j, int memory_mb, struct plan_costs *k);
/* The model's channel and latency draws (--channel, --latency; the workload's seed). */
void job_model_opts(const struct job *j, struct epoch_model_opts *o);
/* The driver's step after a planned epoch (epoch_model_driver_s). */
double job_driver_s(const struct job *j);
/* SIREN_EINVAL, naming the limit, for an action the platform or the data cannot take. */
int job_action_check(const struct job *j, int n, int memory_mb, struct err *e) SIREN_WUR;
/* Builds each rank's task message from the n_order steps order[0..n_order) of p (all of
 * them for an epoch; a part for an ASP run). perm: the staged batch of each of the plan's
 * batches. msgs[r] is owned by the caller. */
int job_messages_build(struct job *j, const struct plan_epoch *p, const uint32_t *order,
                       size_t n_order, const uint32_t *perm, int memory_mb, const char *prefix,
                       char **msgs, struct err *e) SIREN_WUR;
/* The job's totals into rep after its progress took the epoch's: the budget left, and
 * whether (and when, in total_time_s) the held-out loss reached the target. */
void job_progress_report(struct job *j, double budget_usd, struct epoch_report *rep);
/* Frees the j->size messages of msgs (may be NULL) and the array. */
void job_messages_free(const struct job *j, char **msgs);
/* The head of a rank's task message: the epoch's settings and the event template. */
void job_message_head(const struct job *j, int memory_mb, const char *prefix,
                      struct task_msg *m);
/* Receives one task's result during an exchange. */
typedef int (*job_absorb_fn)(void *ctx, const struct task_result *r, struct err *e);
/* Sends every rank its message (rank 0 runs its own with one rank) and hands every task's
 * result to absorb. */
int job_exchange_tasks(struct job *j, char **msgs, job_absorb_fn absorb, void *ctx,
                       struct err *e) SIREN_WUR;
/* The job's totals after an epoch, and what the next epoch finds warm (survivors: with
 * faults, the functions whose last attempt succeeded). */
void job_epoch_account(struct job *j, int n, int memory_mb, int survivors,
                       struct epoch_report *rep);
/* Commits an epoch: checkpoint, epochs.csv row, then the epoch's objects under prefix go.
 * inv0, ops0: where its trace records start. */
int job_epoch_commit(struct job *j, const char *prefix, const struct epoch_report *rep,
                     size_t inv0, size_t ops0, struct err *e) SIREN_WUR;
/* job_rounds.c: an epoch of a round rule (plan_rounds.h), from its plan to its evaluation;
 * called by job_epoch after the action is checked and the epoch counted. *survivors: the
 * functions that ended well (warm next epoch). */
int job_epoch_rounds(struct job *j, int n, int memory_mb, struct epoch_report *rep,
                     int *survivors, struct err *e) SIREN_WUR;
/* Sends every rank its message (rank 0 runs its own with one rank) and gathers what happened
 * into so and ao (ao may be NULL without faults). */
int job_exchange(struct job *j, char **msgs, const struct plan_epoch *p, struct step_outcome *so,
                 struct attempt_outcome *ao, int *failed_aggregations, struct err *e) SIREN_WUR;

/* job_record.c */
/* Records a planned epoch: bills and traces every invocation (every attempt with faults),
 * every request, and fills rep's times, cost, counts and means. *survivors gets (faults) the
 * functions whose last attempt succeeded. */
int job_record_epoch(struct job *j, const struct plan_epoch *p, const struct step_outcome *so,
                     const struct attempt_outcome *ao, int memory_mb, struct epoch_report *rep,
                     int *survivors, struct err *e) SIREN_WUR;
/* Records a wall-clock epoch from what was measured. */
int job_record_epoch_wall(struct job *j, const struct plan_epoch *p,
                          const struct step_outcome *so, int memory_mb,
                          struct epoch_report *rep, struct err *e) SIREN_WUR;
/* The error text of invocation ei of function f: the failed step's, or the timeout's. */
const char *job_invocation_error(const struct epoch_invocation *ei, const struct plan_fn *f,
                                 const struct step_outcome *so);
/* The trace records of planned step st's requests (data GET, parameter GET, base GET, PUT),
 * epoch as the trace counts it, times t0 s after the job's start. */
void job_trace_step_ops(const struct job *j, int32_t epoch, double t0,
                        const struct plan_step *st, const struct step_outcome *o,
                        struct trace_kv_op ops[4]);
/* Adds a step's request records to the trace: the base GET only under APPLY, the PUT only
 * when put_ok. */
int job_trace_add_step_ops(struct job *j, const struct trace_kv_op ops[4], int put_ok,
                           struct err *e) SIREN_WUR;
/* The workload's predicted peak memory at its batch size, bytes (0: unknown). */
double job_model_bytes(const struct job *j);
/* Opens epochs.csv with its header and rows (the resumed epochs', or NULL). */
int job_epochs_csv_open(struct job *j, const char *rows, struct err *e) SIREN_WUR;
/* An epoch's epochs.csv row, newline included (the fault columns when faults are on);
 * budget_usd <= 0: no budget, written as -1. */
int job_epoch_row(const struct job *j, const struct epoch_report *rep, double budget_usd,
                  char *row, size_t size, struct err *e) SIREN_WUR;
/* Appends a committed row to epochs.csv. */
void job_epochs_csv_add(struct job *j, const char *row);
/* Writes summary.json. */
int job_summary_write(const struct job *j, struct err *e) SIREN_WUR;

/* Rank 0: evaluates the parameters loaded into eval_model on the held-out rows (the same
 * for every mode and rule), counting its real time in wall.evaluate_s. */
int job_evaluate(struct job *j, struct workload_eval *out, struct err *e) SIREN_WUR;

#endif

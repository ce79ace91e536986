/*
 * job: an emulated training job under mpirun. Rank 0 is the client: it stages the data as
 * mini-batch objects in the KV store, and per epoch plans the functions' timelines on the
 * virtual clock (planner.h), sends every invoker rank the steps of its functions in a
 * deadlock-free order, gathers what really happened, evaluates the newest parameters on
 * held-out data, bills the epoch (ledger.h) and records it (epochs.csv, trace.h5, and
 * summary.json at the end). Every other rank is an invoker: it runs each step as an event of
 * the training handler in a siren-fn sandbox of the epoch's memory size (warm where it can).
 * With one rank, rank 0 hosts the functions itself. Results depend on the seed, the
 * calibration and the configuration only, never on the number of ranks. Under the wall clock
 * (cfg.wall_clock) nothing is planned: every function runs at once against one lock-free
 * parameter object, and times and costs are what was measured.
 * Faults (cfg.faults, faults.h) are planned into the virtual timeline: an attempt planned to
 * crash is really made to fail in its sandbox (its crashing step is sent an event whose data
 * object does not exist, so the handler fails there and the steps after it never run), and
 * Lambda's retries run as fresh invocations that carry on from the first unwritten step.
 * Many jobs may share one store: every object of a job lives under jobs/<id>/ and its staged
 * data under data/<digest>/, shared with every job that stages the same bytes (store.h).
 * Checkpoints: after every epoch rank 0 puts one object, jobs/<id>/ckpt/eNNNNNN, into the KV
 * store (a put is atomic) holding its state after that epoch, the epoch's epochs.csv row and
 * trace records; cfg.resume reopens a run from the newest one (the KV holds the next epoch's
 * parameters), so that a resumed virtual-clock run writes the same files as an uninterrupted
 * one. A coordinator claims its id by creating the owner record jobs/<id>/owner (store.h);
 * a fresh run refuses an id that is taken, a resumed one takes its job over once its owner is
 * gone (or when forced), and a coordinator stops at an epoch boundary where it finds
 * another's record there (an old run's ranks outliving their mpirun). A job that ends well
 * deletes its objects (job_release).
 * Collective calls are marked; the rest are rank 0's.
 */
#ifndef SIREN_JOB_H
#define SIREN_JOB_H

#include "core.h"
#include "epoch_report.h"
#include "lr_rule.h"
#include "planner.h"
#include "platform.h"
#include "workload.h"

/* Where functions run when not in local siren-fn sandboxes: a table registered by name (the
 * backend seam; lambda_port registers "lambda": real AWS Lambda, or a local Runtime API
 * emulator). One blocking call per invocation that fills a sandbox_result exactly as a
 * sandbox does (status, response, Lambda's errorType/errorMessage, durations, peak memory), so
 * the job needs no other change. Called from several threads at once. */
struct sandbox_result;
struct job_backend {
    const char *name;
    int (*invoke)(const char *target, int memory_mb, int timeout_ms, const cJSON *event,
                  struct sandbox_result *res, struct err *e);
};
/* Registers b (borrowed: it must outlive every job); b again is a no-op. SIREN_EINVAL when
 * another table has b's name, SIREN_ELIMIT when 8 are registered (core.h's registry rule). */
int job_backend_register(const struct job_backend *b) SIREN_WUR;

struct job_config {
    const char *workload;
    struct workload_opts wopts;
    const char *platform;      /* preset name or path; NULL = lambda-2019 */
    const char *calibration;   /* file; NULL = the committed reference calibration */
    const char *kv_url;        /* NULL = file:<out_dir>/kv */
    const char *out_dir;       /* run directory (created) */
    const char *scheduler;     /* the policy's spec, recorded in the summary */
    enum plan_sync sync;
    int staleness;             /* SSP bound */
    enum plan_update update;
    int round_batches;         /* round rules: mini-batches per round (plan_update_parse's K) */
    enum plan_fetch fetch;     /* round rules: a share in ranged GETs, or a GET per batch */
    struct lr_rule lr_rule;    /* round rules: the learning rate of an update of several
                                  functions' work (lr_rule.h) */
    enum plan_timeout on_timeout;
    enum channel_kind channel; /* where functions exchange models (--channel): its model */
    int fixed_latency;         /* every latency at its median (--latency fixed) */
    int concurrency;           /* > 0: the account's concurrency limit instead of the
                                  preset's (--concurrency) */
    double budget_usd;         /* <= 0: no budget */
    double target_loss;        /* <= 0: the workload's default */
    size_t eval_rows;          /* held-out rows evaluated after each epoch; 0 = all */
    int slots;                 /* sandboxes run at once per rank; <= 0 = 1 (virtual clock) */
    const char *backend;       /* NULL or "sandbox": local siren-fn sandboxes; else the name of a
                                  registered job_backend (wall clock only) */
    const char *backend_target; /* the backend's function: a name, or a URL */
    int wall_clock;            /* run every function at once and measure real time, instead of
                                  planning the virtual clock (needs as many cores as functions
                                  to be faithful; for checking the model) */
    int quiet;                 /* no progress line per epoch */
    const struct fault_config *faults; /* injected faults and retries (copied), or NULL */
    int resume;                /* continue from the newest checkpoint in the KV store instead
                                  of starting afresh (which deletes old checkpoints) */
    const char *job_id;        /* the job's id in the store (store.h); NULL = a fresh one */
    int keep;                  /* job_release keeps the job's objects, marked as kept */
    int force;                 /* a fresh run takes an id that is taken, deleting the owner's
                                  objects first; a resume takes its job over from a
                                  coordinator that may still run */
    uint64_t config_hash;      /* fingerprint of the run's configuration, kept in checkpoints:
                                  a resume refuses checkpoints of another configuration */
};

/* A configuration with siren run's defaults: HSP with the average rule, the learning rate
 * scaled for the optimiser (lr_rule "auto"), shares read in ranged GETs; the rest zero. */
void job_config_init(struct job_config *c);

struct job;

/* MPI_Init_thread (funnelled: only the main thread calls MPI) and MPI_Finalize, for the
 * commands that run jobs; each a no-op when already done. job_mpi_init returns the rank. */
int job_mpi_init(int *argc, char ***argv);
void job_mpi_finalize(void);

/* Collective. Rank 0 loads the workload, platform and calibration and stages the data and the
 * initial parameters; all ranks open their side. Caller owns *out; release with job_close().
 * Errors (rank 0's detail; other ranks get SIREN_EMPI with a pointer to rank 0's message). */
int job_open(const struct job_config *cfg, struct job **out, struct err *e) SIREN_WUR;
/* Rank 0: the number of ranks, the platform's limits for validating actions. */
int job_rank(const struct job *j);
int job_memory_clip_mb(const struct job *j, int memory_mb);
int job_max_functions(const struct job *j);
double job_target_loss(const struct job *j);
/* Rank 0: epochs already run (from a checkpoint when resumed; 0 for a fresh run), and the
 * last one's report (NULL when none). Borrowed. */
int job_epochs_done(const struct job *j);
/* Rank 0's real (wall) seconds so far in the phases of a run a user waits for, beside the
 * epochs: loading the workload and opening the store, staging the data, and evaluating the
 * parameters after each epoch. Zero on other ranks. Not part of any result: it varies with
 * the host. */
struct job_wall {
    double load_s, stage_s, evaluate_s;
};
void job_wall_get(const struct job *j, struct job_wall *out);
const struct epoch_report *job_last_report(const struct job *j);
/* Rank 0: runs one epoch with n functions of memory_mb MB. Errors: SIREN_EINVAL (an action
 * outside the platform's grid or more functions than mini-batches), SIREN_ELIMIT (an event
 * over the platform's synchronous payload limit: no function of the epoch ran), SIREN_EMPI,
 * KV errors. */
int job_epoch(struct job *j, int n, int memory_mb, struct epoch_report *out,
              struct err *e) SIREN_WUR;
/* Rank 0: an ASP run (cfg.sync == PLAN_SYNC_ASP): no barrier at all, so no point at which n
 * and memory_mb could change. The whole run is one plan (planner.h, plan_config.passes) of
 * `passes` passes over the data: function i runs its HSP share of pass 1, then at once its
 * share of pass 2, ..., each pass's batches shuffled as job_epoch shuffles that epoch's, in
 * one invocation re-invoked warm at the timeout (or killed there: cfg.on_timeout). Versions
 * live under one prefix for the whole run and are deleted at its end; a version is dropped
 * as soon as no step still to run can read it (about one pass of versions is kept).
 * Logical epochs: pass k ends at T_k, when its last planned step completes (over all
 * functions). epochs.csv gets one row per pass: the held-out loss and accuracy of the newest
 * version at T_k, time_s = T_k - T_(k-1), and cost = C(T_k) - C(T_(k-1)), where C(T) is the
 * bill if the client stopped every function at T: every invocation invoked by T billed, as
 * the platform bills (rounded up to its granularity), for the time it ran up to min(its end,
 * T), plus its request fee, and the object-store fees of the requests started by T. C of the
 * last T_k is the run's whole bill; warm, invocations and versions count what started or
 * completed in the interval. When the loss at T_k reaches the target, or C(T_k) the budget
 * (budget_usd > 0), the client stops every function at T_k: the run's time and cost are T_k
 * and C(T_k), and later passes are not reported. The steps are really run in parts, those
 * that complete by T_1, then by T_2, ..., so nothing after the stop runs. Not with the wall
 * clock, faults or checkpoints (an ASP run is not resumed). Errors: as job_epoch, and
 * SIREN_EINVAL for a run that is not a fresh virtual-clock ASP run. */
int job_run_asp(struct job *j, int n, int memory_mb, int passes, double budget_usd,
                struct err *e) SIREN_WUR;
/* Ranks > 0, every one of them: serve epochs until rank 0 finishes. The invokers agree among
 * themselves on each task message before any runs it (an event over the payload limit on one
 * stops all), so rank 0 sends every invoker a message in every exchange. Blocks. */
int job_serve(struct job *j, struct err *e) SIREN_WUR;
/* Rank 0: writes summary.json and trace.h5 and releases the invokers. */
int job_finish(struct job *j, struct err *e) SIREN_WUR;
/* Rank 0, after job_finish of a run that ended well: deletes the job's objects from the store
 * and drops its reference to the staged data (the last job using it deletes it), or with
 * cfg.keep marks the job as kept and keeps everything. A run that failed keeps its objects
 * for --resume (siren kv gc removes them once its coordinator is gone). *removed (may be
 * NULL) gets the number of objects deleted. Errors: the store's. */
int job_release(struct job *j, size_t *removed, struct err *e) SIREN_WUR;
/* Rank 0: the job's id (borrowed). */
const char *job_id(const struct job *j);
/* Collective in the sense that every rank calls it; NULL is ignored. */
void job_close(struct job *j);

#endif

/*
 * planner: the virtual clock. Before an epoch runs, the planner builds every function's
 * timeline from the platform model and the calibration (start latency, then per mini-batch a
 * data GET, a parameter GET, compute, a parameter PUT), then orders all parameter operations
 * by virtual time and fixes which parameter version each GET reads and each PUT writes. The
 * functions then run for real, each reading exactly its planned version, so staleness is what
 * the virtual timeline says, not what the host's scheduler did.
 *
 * Versions: version 0 is the epoch's starting parameters; every PUT creates the next version,
 * numbered in the order the PUTs complete in virtual time (ties: lower function index, then
 * lower step, first). A GET that starts at time t reads the newest version whose PUT completed
 * at or before t (read-after-write consistency). Deterministic: the same inputs give the same
 * plan, bit for bit. Times are seconds of virtual time from the epoch's start.
 *
 * ASP over several passes (plan_config.passes > 1, PLAN_SYNC_ASP only): the whole run is one
 * plan. Function i takes from every pass over the data the batches HSP would give it in that
 * epoch, and runs its share of pass 1, then at once its share of pass 2, and so on, in one
 * timeline with no barrier: its first step of pass k+1 starts when its last PUT of pass k
 * ends. It is invoked once (cold or warm as n_warm says) and re-invoked warm when it reaches
 * the timeout (PLAN_TIMEOUT_CONTINUE), or killed there (PLAN_TIMEOUT_FAIL). Versions are
 * numbered and resolved over the whole run by the rules above, across pass boundaries:
 * version 0 is the run's starting parameters, and a step of pass k+1 may read a version that
 * a slower function's step of pass k wrote. With passes <= 1 the plan is the one-epoch plan,
 * bit for bit.
 *
 * Faults (plan_config.faults, faults.h): crashes, stragglers, transient object-store errors
 * and throttling are drawn and laid into the timelines before versions are assigned, with
 * every retried invocation (plan_epoch.attempts) at the time Lambda would start it. A retry
 * carries on from the first step its failed attempt did not write, so each version is written
 * exactly once, by the attempt that completes its step; steps that still fail after the last
 * retry write nothing (failed), like steps killed at the timeout. Without faults (NULL) the
 * plan is exactly the plan without this feature.
 */
#ifndef SIREN_PLANNER_H
#define SIREN_PLANNER_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "faults.h"

enum plan_sync {
    PLAN_SYNC_HSP = 0, /* asynchronous inside the epoch, barrier between epochs (Siren) */
    PLAN_SYNC_BSP,     /* barrier after every mini-batch round, gradients averaged */
    PLAN_SYNC_ASP,     /* no barrier at all */
    PLAN_SYNC_SSP,     /* a function may run at most `staleness` steps ahead of the slowest */
};

/* The text of a sync mode, as --sync takes it and summary.json records it: "hsp", "bsp",
 * "asp", or "ssp:S" with S the staleness bound in steps (an integer >= 0). plan_sync_parse
 * reads one (staleness 0 unless ssp); errors: SIREN_EINVAL "expected hsp, bsp, asp or ssp:S
 * (S >= 0), got '...'". plan_sync_format writes one into buf and returns buf. The text is
 * read and written by these two only, so every reader and writer agrees on it. */
int plan_sync_parse(const char *text, enum plan_sync *sync, int *staleness,
                    struct err *e) SIREN_WUR;
const char *plan_sync_format(enum plan_sync sync, int staleness, char *buf, size_t len);

/* How the functions of an epoch combine their work (`--update`). The first two are the
 * lock-free baselines of the step planner below, which lose updates; the others are planned
 * in rounds (plan_rounds.h), and under them every function's work counts. */
enum plan_update {
    PLAN_UPDATE_OVERWRITE = 0, /* PUT the locally updated copy, as a lock-free S3 job does */
    PLAN_UPDATE_APPLY,         /* re-read the newest version at PUT time and apply the gradient */
    PLAN_UPDATE_AVERAGE,       /* local SGD on each share; models averaged (weighted by
                                  samples) at the end of the share, or every K mini-batches */
    PLAN_UPDATE_ALLREDUCE,     /* gradients averaged each round through a leader (LambdaML) */
    PLAN_UPDATE_SCATTER_REDUCE, /* gradients averaged each round by scatter-reduce (LambdaML) */
    PLAN_UPDATE_ALLGATHER,     /* each function reads every other function's gradient */
};

/* 1 for the rules planned in rounds (plan_rounds.h). */
static inline int plan_update_in_rounds(enum plan_update u) { return u >= PLAN_UPDATE_AVERAGE; }

/* The text of an update rule, as --update takes it and summary.json records it: "overwrite",
 * "apply", "average" or "average:K" (K >= 1 mini-batches between averages), "allreduce",
 * "scatter-reduce" and "allgather", each optionally ":K" (K >= 1 mini-batches' gradients per
 * update; 1 without). *round_batches gets K (0 for average without K, and for the step
 * rules). Errors: SIREN_EINVAL naming the text and the rules. plan_update_format writes one
 * into buf and returns buf. */
int plan_update_parse(const char *text, enum plan_update *update, int *round_batches,
                      struct err *e) SIREN_WUR;
const char *plan_update_format(enum plan_update update, int round_batches, char *buf,
                               size_t len);

/* How a function gets its data under the round rules: its whole share, as ranged GETs of at
 * most data_chunk_bytes prefetched while it computes (SHARE), or one GET per mini-batch just
 * before its step (BATCH, as the step planner does). */
enum plan_fetch { PLAN_FETCH_SHARE = 0, PLAN_FETCH_BATCH };

/* The costs the planner needs, already resolved from the platform preset and calibration.
 * Latencies are medians; under variable latency each one is drawn per request (latency.h). */
struct plan_costs {
    double start_cold_s, start_warm_s; /* invocation start latency */
    double kv_get_latency_s, kv_put_latency_s; /* the channel: first byte / acknowledgement */
    double kv_bandwidth_bytes_per_s;           /* the channel: one connection of a function */
    double compute_s_per_sample;               /* at the function's vCPU share */
    double data_bytes_per_sample;              /* size of a mini-batch shard per sample */
    double param_bytes;                        /* size of the parameter object */
    double timeout_s;                          /* the platform's function timeout */
    /* Request rates the store allows per key prefix (throttle=on only; 0 = no limit). */
    double kv_gets_per_s_per_prefix, kv_puts_per_s_per_prefix;
    /* Round rules: requests a function keeps in flight at once (a burst of m requests takes
     * ceil(m / kv_connections) latencies), and the largest ranged GET of its data share. */
    int kv_connections;
    double data_chunk_bytes;
    /* The data's store (S3) when the channel is another one; 0: the channel's figures. */
    double data_get_latency_s, data_bandwidth_bytes_per_s;
    /* The channel's shared network (a node or instance), divided among the functions that
     * use it at once (0: no shared cap), and its largest value (a larger one is split into
     * several requests; 0: no limit). */
    double kv_node_bytes_per_s, kv_item_max_bytes;
    /* Variable latency: lognormal shapes (latency_sigma; all 0: fixed) and the seed of the
     * draws, keyed by plan_config.epoch and the function. */
    double sigma_cold, sigma_warm, sigma_get, sigma_put, sigma_data_get;
    uint64_t latency_seed;
    /* Invocations: the driver sends one every invoke_interval_s (0: all at once), in function
     * order; a new environment beyond env_burst waits for the platform to add env_scale_step
     * environments every env_scale_interval_s (env_burst 0: no limit). */
    double invoke_interval_s;
    int env_burst, env_scale_step;
    double env_scale_interval_s;
};

/* Time of a burst of m requests of `bytes` each on the channel (put: PUTs, else GETs), on
 * kv_connections connections at once, by a function whose stream is r (NULL: medians):
 * values above kv_item_max_bytes are split into several requests; request q goes to
 * connection q mod kv_connections, and the burst ends with its slowest connection's latencies
 * plus the bytes at the function's bandwidth, which `sharers` functions share where the
 * channel has a shared cap. With fixed latency: ceil(m / connections) medians. */
double plan_burst_s(const struct plan_costs *k, struct rng *r, int put, uint32_t m,
                    double bytes, int sharers);
/* The same for data GETs from the object store (never split, never shared). */
double plan_data_burst_s(const struct plan_costs *k, struct rng *r, uint32_t m, double bytes);
/* Requests a burst of m values of `bytes` each takes on the channel (split values count each
 * piece). */
uint64_t plan_burst_requests(const struct plan_costs *k, uint32_t m, double bytes);

/* 1 when some latency is drawn (variable latency). */
static inline int plan_costs_variable(const struct plan_costs *k)
{
    return k->sigma_cold > 0 || k->sigma_warm > 0 || k->sigma_get > 0 || k->sigma_put > 0 ||
           k->sigma_data_get > 0;
}

/* When function i of an epoch is invoked: the driver's sending, and for a function that
 * needs a new environment (i >= n_warm) the platform's scale-up beyond its burst. */
double plan_invoke_time(const struct plan_costs *k, int i, int n_warm);

/* A function whose work would run past the platform timeout either is re-invoked as a
 * continuation (a new invocation, warm, picking up at the next step) or is killed at the
 * timeout, its remaining steps failed. */
enum plan_timeout { PLAN_TIMEOUT_FAIL = 0, PLAN_TIMEOUT_CONTINUE };

struct plan_config {
    int n_functions;
    int n_warm;           /* functions 0 .. n_warm-1 start warm */
    int batch_size;       /* samples per mini-batch */
    size_t epoch_samples; /* samples split among the n functions */
    /* Pre-cut mini-batches instead: when batch_rows is not NULL, the epoch's n_batches batches
     * (batch_rows[b] rows each, b in epoch order) are split among the functions, function i
     * taking batches [i*n_batches/n, (i+1)*n_batches/n); batch_size and epoch_samples are
     * then ignored. Borrowed for the call. */
    const uint32_t *batch_rows;
    size_t n_batches;
    enum plan_timeout on_timeout;
    enum plan_sync sync;
    int staleness; /* SSP bound, in steps */
    enum plan_update update;
    struct plan_costs costs;
    /* Injected faults and the retries that answer them (borrowed for the call), or NULL.
     * Not with PLAN_SYNC_BSP. epoch keys the fault draws (faults.h) and the latency draws
     * (latency.h). */
    const struct fault_config *faults;
    int epoch;
    /* ASP only: passes over the data planned as one run (see above); 0 or 1: one epoch. With
     * batch_rows, it then holds passes * n_batches entries, pass p's batches (in that pass's
     * order) at [p * n_batches, (p + 1) * n_batches); without, every pass splits
     * epoch_samples as one epoch does. Not with faults. */
    int passes;
    /* Round rules only: mini-batches per round (average: local steps between averages, 0 =
     * the whole share; gradient rules: mini-batches accumulated per update, at least 1), and
     * how data is fetched. */
    int round_batches;
    enum plan_fetch fetch;
};

/* One mini-batch step of one function. */
struct plan_step {
    int fn;          /* function index */
    int step;        /* step index within the function */
    uint32_t batch;  /* global mini-batch index within the epoch (multi-pass ASP: within
                        the run, pass p's batches numbered from p * batches per pass) */
    uint32_t n_samples;
    double t_data_get, t_param_get, t_compute, t_put, t_end; /* phase starts, then end */
    int64_t read_version;  /* parameter version the step's GET reads */
    int64_t base_version;  /* APPLY: version re-read at PUT time; OVERWRITE: = read_version */
    int64_t write_version; /* version its PUT creates */
    int invocation;        /* which invocation of its function runs it (continuations) */
    int failed;            /* planned past the timeout (PLAN_TIMEOUT_FAIL), or still failing
                              after the last retry: never completes, writes no version */
    /* Faults only (zero otherwise): */
    int attempt;           /* Lambda's retry that completes it (0: the first try) */
    int gen;               /* failed attempts of its function before the one that runs it */
    int16_t kv_retries[4]; /* transient request failures retried: data GET, parameter GET,
                              base GET, PUT */
    int16_t throttled[4];  /* requests refused over the rate, likewise */
    int pass;              /* multi-pass ASP: the pass over the data it belongs to, from 0
                              (0 otherwise) */
};

struct plan_fn {
    int fn;
    int cold;
    double t_invoke;  /* when the coordinator invoked it */
    double t_start;   /* after the start latency */
    double t_end;     /* after its last PUT */
    int first_step, n_steps; /* its steps in plan_epoch.steps */
    int timed_out;    /* it reached the timeout (killed, or continued) */
    int invocations;  /* 1 + continuations */
    double billed_s;  /* sum over its invocations of (end - start), start latency excluded */
    double fetch_s, compute_s, update_s;
};

/* One try of one invocation (faults only): the first attempt, or a retry after a failure. */
enum plan_attempt_status {
    PLAN_ATTEMPT_OK = 0,        /* ran its steps to the end */
    PLAN_ATTEMPT_CRASHED,       /* died at a random point (crash=P) */
    PLAN_ATTEMPT_KV_FAILED,     /* a request failed on every try: the function raised */
    PLAN_ATTEMPT_TIMED_OUT,     /* killed at the timeout (PLAN_TIMEOUT_FAIL) */
    PLAN_ATTEMPT_CONTINUED,     /* ended at the timeout, continued by a new invocation */
};

struct plan_attempt {
    int fn, invocation, attempt; /* attempt 0 is the first try; 1.. are retries */
    int gen;                     /* failed attempts of the function before this one */
    int cold;                    /* a crashed environment is gone: its retry starts cold */
    double t_invoke, t_start;    /* invoked; running after the start latency */
    double t_stop;               /* end of its last step, or when it died */
    int first_step, end_step;    /* its steps in plan_epoch.steps: [first_step, end_step);
                                    end_step is the step it died in when it failed */
    int status;                  /* enum plan_attempt_status */
    double compute_factor;       /* straggler slowdown (1: none) */
    int kv_errors, throttled;    /* requests retried after a transient error / a refusal */
    int dead_gets;               /* requests of the step it died in that completed before */
};

struct plan_epoch {
    int n_functions;
    struct plan_fn *fns;    /* (n_functions) */
    struct plan_step *steps; /* grouped by function, in step order */
    size_t n_steps;
    int64_t n_versions;     /* versions created this epoch (the last is the epoch's result) */
    double t_end;           /* epoch duration: last function's end */
    double param_bytes;     /* the parameter object's size (costs.param_bytes) */
    int invocations;        /* all invocations, continuations included */
    int failed_steps;       /* steps planned past the timeout */
    double fetch_s, compute_s, update_s; /* sums over functions of each phase */
    /* Faults only (NULL and zeros otherwise): every attempt, by function then time. */
    struct plan_attempt *attempts;
    size_t n_attempts;
    int crashes, kv_failures, retries, stragglers; /* attempts that crashed, raised, retried,
                                                      straggled */
    int kv_errors, throttled;                      /* request tries failed / refused */
    int lost_functions;                            /* functions still failing after the
                                                      last retry */
};

/* Plans one epoch. Caller owns *out; release with plan_epoch_free(). Errors: SIREN_EINVAL
 * (a count, cost, rate or fault setting out of range, named in e; faults with BSP; a step
 * that alone exceeds the timeout under PLAN_TIMEOUT_CONTINUE), SIREN_ENOMEM. */
int plan_epoch_build(const struct plan_config *cfg, struct plan_epoch *out,
                     struct err *e) SIREN_WUR;
void plan_epoch_free(struct plan_epoch *p);

/* The steps in an order in which they can run for real without deadlock, by any number of
 * workers that each wait for the versions their step reads: by the virtual time of their PUT
 * (ties by function, then step). Every version a step reads (at its GET, or at its PUT under
 * APPLY) was completed before that step's PUT started, by a step whose own PUT started earlier,
 * so it comes earlier in this order. Caller owns *order (n_steps indices; free()). */
int plan_epoch_run_order(const struct plan_epoch *p, uint32_t **order, struct err *e) SIREN_WUR;

#endif

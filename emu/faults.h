/*
 * faults: the failures `siren run --faults` injects, and the retry rules that answer them.
 * Every draw comes from a stream keyed by (seed, epoch, function, invocation, attempt, step),
 * never from a running generator, so the same run draws the same faults whatever order the
 * planner visits functions in, and a run resumed at an epoch draws what it would have drawn.
 *
 *   crash=P          each invocation attempt dies with probability P at a uniformly random
 *                    point: a random one of its remaining mini-batch steps, at a uniformly
 *                    random fraction of that step's duration (nothing of that step is written)
 *   straggler=P:F    each invocation attempt runs its compute F times slower with probability P
 *   kv-error=P       each object-store request fails transiently with probability P; the
 *                    function retries it as the AWS SDKs' standard retry mode does
 *   throttle=on      the preset's object-store request rates per prefix are enforced: a request
 *                    over the rate is refused (S3's 503 SlowDown) and retried the same way
 *
 * A failed invocation is retried as Lambda retries asynchronous invocations: fault_retry_delay_s
 * after the failure, as a fresh invocation that carries on from the first step not yet written.
 * The plan of every attempt is fixed before the epoch runs (planner.h), so a retried step
 * writes the parameter version it was planned to write and no version is written twice.
 * struct fault_config is plain caller storage: copy it freely, nothing to free.
 */
#ifndef SIREN_FAULTS_H
#define SIREN_FAULTS_H

#include <stdint.h>

#include "core.h"

/* Lambda's asynchronous invocations: "If the function returns an error, Lambda attempts to run
 * it two more times, with a one-minute wait between the first two attempts, and two minutes
 * between the second and third attempts" (AWS Lambda Developer Guide, "Asynchronous
 * invocation"). The count is configurable (--retries), the first wait too (--retry-delay). */
#define FAULT_DEFAULT_RETRIES 2
#define FAULT_DEFAULT_RETRY_DELAY_S 60.0

/* The AWS SDKs' standard retry mode (AWS SDKs and Tools Reference Guide, "Retry behavior"):
 * at most 3 tries of a request, and before try i + 1 a wait of b * 2^i seconds with b uniform
 * in [0, 1), at most 20 s. */
#define FAULT_KV_MAX_TRIES 3
#define FAULT_KV_MAX_BACKOFF_S 20.0

struct fault_config {
    double crash_p;          /* per invocation attempt, in [0, 1] */
    double straggler_p;      /* per invocation attempt, in [0, 1] */
    double straggler_factor; /* compute time multiplier of a straggler, >= 1 */
    double kv_error_p;       /* per object-store request try, in [0, 1) */
    int throttle;            /* enforce the preset's request rates per prefix */
    int retries;             /* retries of a failed invocation, >= 0 */
    double retry_delay_s;    /* wait before the first retry; each later one waits twice more */
    uint64_t seed;           /* the run's --seed */
};

/* No faults, Lambda's default retries. */
void fault_config_init(struct fault_config *c);

/* Parses "crash=P,straggler=P:F,kv-error=P,throttle=on|off" (any subset, any order) into c
 * (keys not given keep their values). Errors: SIREN_EFORMAT naming the key and what was
 * expected (a probability outside [0, 1], kv-error=1 which no request survives, F < 1). */
int fault_config_parse(const char *spec, struct fault_config *c, struct err *e) SIREN_WUR;

/* 1 when c injects anything (a probability > 0 or throttling on). */
int fault_config_active(const struct fault_config *c);

/* Writes the canonical spec ("crash=0.1,straggler=0.1:3,kv-error=0,throttle=off") into buf. */
void fault_config_format(const struct fault_config *c, char *buf, size_t buflen);

/* What one invocation attempt draws when it starts at step first_step of a function with
 * n_steps steps: whether and where it crashes, and its compute slowdown. */
struct fault_attempt_draw {
    int crash_step;       /* step index (within the function) it dies in, or -1 */
    double crash_frac;    /* how far into that step, in [0, 1) */
    double compute_factor; /* 1, or the straggler factor */
};
void fault_draw_attempt(const struct fault_config *c, int epoch, int fn, int invocation,
                        int attempt, int first_step, int n_steps, struct fault_attempt_draw *out);

/* The draws of one step's object-store requests, taken in order as the step issues them:
 * fault_kv_stream() seeds the stream of step `step` of an attempt; fault_kv_try() draws one
 * try of a request (1 when the store fails it transiently); fault_kv_backoff_s() draws the
 * wait before try `tries_done` + 1 (tries_done >= 1). */
void fault_kv_stream(const struct fault_config *c, int epoch, int fn, int invocation, int attempt,
                     int step, struct rng *out);
int fault_kv_try(const struct fault_config *c, struct rng *r);
double fault_kv_backoff_s(struct rng *r, int tries_done);

/* Wait before retry number `retry` (1 for the first) of a failed invocation. */
double fault_retry_delay_s(const struct fault_config *c, int retry);

#endif

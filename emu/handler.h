/*
 * handler: fn_handle(), the whole body of a serverless training function, identical in the
 * siren-fn sandbox, in a Lambda custom runtime and in-process. For each mini-batch of its event
 * it GETs the batch shard, GETs the planned parameter version (waiting until it exists), runs
 * one optimiser step with the kernels, and PUTs the next version. It keeps nothing between
 * invocations except what a warm container may: open KV connections, in a struct fn_context.
 *
 * Event (JSON):
 *   {"job": "J", "epoch": 3, "function": 17, "workload": "lenet-fashion", "memory_mb": 1024,
 *    "kv": "file:/shared/kv", "update": "overwrite" | "apply", "wait_ms": 60000,
 *    "owner_key": "jobs/J/owner", "owner": "{...the owner record...}",
 *    "model": {kernel model configuration}, "optimizer": {kind, lr, momentum, ...},
 *    "params": "jobs/J/params/e0003/",
 *    "steps": [{"data": KEY, "read": 5, "base": 7, "write": 9, "seed": N}, ...]}
 * Parameter version v lives under the key params + "v%08d" (fn_version_key). Under the wall
 * clock nothing is planned: read, base and write are all -1 (FN_CURRENT), and every step
 * reads and overwrites the one object params + "current", as a lock-free S3 job does. "base" (apply
 * only) is the newest version at PUT time, onto which the step's change is applied. A version
 * whose writer failed is marked by an object under its key + "-failed"; a reader waiting for
 * it then reads the newest earlier version instead, so a dead function never blocks the
 * others. A wait for a version lasts at most wait_ms, and ends at once when the job's owner
 * record (owner_key, when the event names one) is no longer the event's "owner": the job is
 * gone or taken over, so what is waited for will never come (handler_internal.h, fn_wait).
 * Response: per-step loss and the versions actually read, phase times (fetch, compute,
 * update, wait) in ms, KV request counts and bytes, and the process's peak resident memory.
 * Round events ({"kind": "rounds", ..., "ops": [...]}) serve the update rules under which
 * every function's work counts (average, allreduce, scatter-reduce, allgather): a list of
 * operations (load, restore, train, contribute, save, reduce) documented in handler_rounds.c;
 * their parameter objects hold the weights only.
 */
#ifndef SIREN_HANDLER_H
#define SIREN_HANDLER_H

#include "core.h"
#include "kernels.h"
#include "kv.h"

/* A warm container's cache: the KV store of the last event (reused while the URL is the
 * same), the model's and optimiser's allocations (reused while their configurations are
 * the same) and the buffers every step fills (objects read and written, a batch's pixels).
 * Only allocations are reused: every step overwrites the parameters and the optimiser state
 * from the version it reads and each buffer is written before it is read, so no training
 * state survives an invocation. Keeping the buffers spares a warm process the page faults of
 * fresh ones at every step (its runtime hands freed heap back after each event).
 * Zero-initialise; release with fn_context_free(). */
struct fn_context {
    struct kv *kv;
    char kv_url[1024];
    struct kn_model *model;
    struct kn_model_config model_cfg;
    struct kn_optim optim;
    struct kn_optim_config optim_cfg;
    struct kv_buf shard_buf;  /* the last batch shard read */
    struct kv_buf param_buf;  /* the last parameter object (or BSP gradient) read whole */
    float *images;            /* a batch's pixels as floats in [0,1] */
    size_t images_cap;        /* floats */
    float *scratch, *base;    /* (num_params): apply's parameters as read and the newest
                                 version's; the BSP leader's gradient sum (scratch) */
    size_t scratch_cap;       /* floats of each */
};

void fn_context_free(struct fn_context *ctx);

/* Runs one event (see above) and fills response (an empty object the caller owns).
 * Errors, each naming the field or key: SIREN_EFORMAT (bad event, foreign or wrong-size
 * object), SIREN_ENOTFOUND (a data key that does not exist, or the job is gone while waiting),
 * SIREN_ETIMEOUT (a planned version did not appear within wait_ms), KV errors, SIREN_ENOMEM. */
int fn_handle(const cJSON *event, struct fn_context *ctx, cJSON *response,
              struct err *e) SIREN_WUR;

#define FN_CURRENT (-1)

/* The key of version v under prefix ("jobs/J/params/e0003/" -> ".../v00000009"), and of its
 * failure marker (failed != 0); FN_CURRENT gives ".../current". */
void fn_version_key(const char *prefix, int64_t version, int failed, char *buf, size_t buflen);

/* The model and optimiser configurations as event JSON, and back (every field named in the
 * error when missing or mistyped). */
cJSON *fn_model_config_to_json(const struct kn_model_config *m);
int fn_model_config_from_json(const cJSON *j, struct kn_model_config *out,
                              struct err *e) SIREN_WUR;
cJSON *fn_optim_config_to_json(const struct kn_optim_config *o);
int fn_optim_config_from_json(const cJSON *j, struct kn_optim_config *out,
                              struct err *e) SIREN_WUR;

/* How a sandbox running this handler against the store at kv_url should enforce its memory
 * size. A memory cgroup also charges the pages of files its process writes; for a file: store
 * on tmpfs those are the store's objects, held in memory until deleted, which S3 never counts
 * against a function. There the RSS watchdog (the process's own memory) is the faithful
 * choice; elsewhere the platform's default (a cgroup where one can be made). */
int fn_memory_method_for(const char *kv_url);

/* The fn_runtime handler ("train"): fn_handle with a static fn_context (siren-fn registers it
 * with fn_runtime_register("train", fn_handler_train, &ctx)). */
int fn_handler_train(const cJSON *event, cJSON *response, void *ctx, struct err *e);

#endif

/*
 * Private to emu/handler*.c: the pieces of the function's body that the step events
 * (handler.c) and the round events (handler_rounds.c) share. Never included outside emu/.
 */
#ifndef SIREN_HANDLER_INTERNAL_H
#define SIREN_HANDLER_INTERNAL_H

#include "handler.h"
#include "shard.h"

#include <stdint.h>

/* Milliseconds of the monotonic clock, and a sleep that resumes after signals. */
double fn_now_ms(void);
void fn_sleep_ms(double ms);

/* The context's store for url (the cached one while the URL is the same). */
int fn_context_kv(struct fn_context *ctx, const char *url, struct err *e) SIREN_WUR;
/* The model and optimiser for these configurations: the cached ones when they match. */
int fn_context_model(struct fn_context *ctx, const struct kn_model_config *mcfg,
                     const struct kn_optim_config *ocfg, struct err *e) SIREN_WUR;
/* Room for n floats in the context's scratch and, with both, base arrays. */
int fn_context_scratch(struct fn_context *ctx, size_t n, int both, struct err *e) SIREN_WUR;
/* A kernel batch from a shard; pixels become floats in [0,1] in *images (grown as needed). */
int fn_batch_from_shard(const struct shard_view *v, const struct kn_model_config *m,
                        uint64_t seed, float **images, size_t *cap, struct kn_batch *b,
                        struct err *e) SIREN_WUR;

/* How a function waits for an object another task of its job writes: at most wait_ms of real
 * time (the bound the coordinator derives from the plan), and not at all once the job is gone.
 * Every FN_WATCH_MS of a wait it reads the job's owner record at owner_key and gives up when
 * that is not the record its event carries (the job was deleted, or another coordinator took
 * it over), or when the process the record names is known to be gone (store.h). */
#define FN_WATCH_MS 1000.0
struct fn_wait {
    double wait_ms;
    const char *job;       /* the job id, for messages ("?" when the event names none) */
    const char *owner_key; /* NULL: no watch (an event of no job: siren invoke) */
    const char *owner;     /* the record as the coordinator put it */
    double waited_ms;      /* grows by the time spent waiting */
    uint64_t watch_gets;   /* GETs of the watch, left out of the function's request counts */
};
/* The event's "wait_ms" (default 60 s), "job", "owner_key" and "owner" (the last two
 * together or not at all) into *w, borrowed from the event. SIREN_EFORMAT naming the key. */
int fn_wait_parse(const cJSON *event, struct fn_wait *w, struct err *e) SIREN_WUR;
/* During a wait for what (its key: key) that began at start_ms: SIREN_OK to go on waiting, or
 * SIREN_ETIMEOUT (the bound passed) or SIREN_ENOTFOUND (the job is gone), each naming the key
 * and the job. */
int fn_wait_check(struct kv *kv, struct fn_wait *w, double start_ms, double *next_watch_ms,
                  const char *what, const char *key, struct err *e) SIREN_WUR;

/* GETs key into out, waiting (with back-off, as w says) while it does not exist yet; *present
 * is 0 when its writer died (a failure marker "<key>-failed" exists instead). Errors: as
 * fn_wait_check, KV errors. */
int fn_wait_object(struct kv *kv, const char *key, struct fn_wait *w, struct kv_buf *out,
                   int *present, struct err *e) SIREN_WUR;

/* The round events (handler_rounds.c): fn_handle passes an event whose "kind" is "rounds". */
int fn_handle_rounds(const cJSON *event, struct fn_context *ctx, cJSON *response,
                     struct err *e) SIREN_WUR;

#endif

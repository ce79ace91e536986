/*
 * Private to emu/handler*.c: the pieces of the function's body that the step events
 * (handler.c) and the round events (handler_rounds.c) share. Never included outside emu/.
 */
#ifndef SIREN_HANDLER_INTERNAL_H
#define SIREN_HANDLER_INTERNAL_H

#include "handler.h"
#include "shard.h"

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

/* GETs key into out, waiting (with back-off) while it does not exist yet; *present is 0 when
 * its writer died (a failure marker "<key>-failed" exists instead). *waited_ms grows by the
 * time spent waiting. Errors: SIREN_ETIMEOUT naming the key after wait_ms, KV errors. */
int fn_wait_object(struct kv *kv, const char *key, double wait_ms, struct kv_buf *out,
                   int *present, double *waited_ms, struct err *e) SIREN_WUR;

/* The round events (handler_rounds.c): fn_handle passes an event whose "kind" is "rounds". */
int fn_handle_rounds(const cJSON *event, struct fn_context *ctx, cJSON *response,
                     struct err *e) SIREN_WUR;

#endif

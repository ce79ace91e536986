/*
 * staging: how a workload's training split becomes a job's mini-batch objects, and in which
 * order an epoch visits them. The rows are shuffled once (STREAM_STAGE_ROWS) and cut into
 * mini-batches of the workload's batch size, the last one short; each is a batch shard
 * (shard.h). Every epoch visits the staged batches in an order of its own
 * (stream_epoch_batches). The emulator stages through this module and the simulator measures
 * through it, so both see the same object sizes and the same order: there is no second copy
 * to drift.
 */
#ifndef SIREN_STAGING_H
#define SIREN_STAGING_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "workload.h"

/* What staging made of a training split. Caller storage; release with staging_free(). */
struct staging {
    size_t rows, n_batches;
    int batch;                     /* rows per mini-batch (the last may have fewer) */
    uint32_t *batch_rows;          /* (n_batches): rows of each staged batch */
    double bytes;                  /* all the batch objects' bytes */
    double shard_bytes_per_sample; /* bytes / rows */
};

/* Receives staged batch b's object (borrowed for the call). Returns SIREN_OK or an error. */
typedef int (*staging_put_fn)(void *ctx, size_t b, const uint8_t *obj, size_t len,
                              struct err *e);

/* Cuts w's training split into batch objects and hands each, in staged order, to put (NULL:
 * only measure them). Errors: SIREN_ENOMEM, the encoder's, put's. */
int staging_build(const struct workload *w, staging_put_fn put, void *ctx, struct staging *out,
                  struct err *e) SIREN_WUR;
void staging_free(struct staging *s);

/* The training split of a workload whose functions generate their rows (workload_opts.generate):
 * batch b is rows [b B, b B + n) of the generator's training stream (B the batch size, the
 * last batch short), made where it is trained (staging_generated_batch) instead of staged.
 * Nothing is generated here but one full batch, whose object's size per row stands for every
 * batch's, so the plan times and bills each batch's GET as if its bytes came from the store.
 * Errors: SIREN_EINVAL (not a generated workload), SIREN_ENOMEM, the generator's. */
int staging_generated(const struct workload *w, struct staging *out, struct err *e) SIREN_WUR;

/* Generated batch rows [first_row, first_row + rows) of a generated workload's training
 * stream (schema: workload_schema; seed, hash_bits as the workload has them), as the batch
 * object staging would make of them. Caller owns *obj (free()).
 * Errors: SIREN_EINVAL, SIREN_ENOMEM. */
int staging_generated_batch(int schema, uint64_t seed, int hash_bits, size_t first_row,
                            size_t rows, uint8_t **obj, size_t *len, struct err *e) SIREN_WUR;

/* The order of epoch `epoch` (from 1) over n_batches staged batches: order[k] is the staged
 * batch visited k-th. */
void staging_epoch_order(uint64_t seed, int epoch, size_t n_batches, uint32_t *order);

/* The order of epoch `epoch` when functions read their shares as ranged GETs of chunks of
 * `chunk` consecutive staged batches (chunk c: batches [c chunk, (c + 1) chunk)): the chunks
 * in a seeded order (a short last chunk stays last, so every chunk starts at a multiple of
 * `chunk` in the order), and the batches of each chunk in a seeded order of their own, so that a
 * function's share (a contiguous range of this order) spans few chunks, each one byte range
 * of the staged data (plan_rounds_chunk_batches gives chunk). chunk <= 1 gives
 * staging_epoch_order. */
void staging_epoch_order_chunked(uint64_t seed, int epoch, size_t n_batches, size_t chunk,
                                 uint32_t *order);

/* The job's initial parameter object: model m (of w's configuration) initialised from w's
 * seed, with (with_state) a zero optimiser state of w's optimiser, or the weights only.
 * Caller owns *obj (free()). Errors: SIREN_ENOMEM. */
int staging_initial_params(const struct workload *w, struct kn_model *m, int with_state,
                           uint8_t **obj, size_t *len, struct err *e) SIREN_WUR;

#endif

/*
 * streams: the named random streams of a job. Every draw that two parts of siren must make
 * alike (the emulator and the simulator, the coordinator and the function handler, a run and
 * its resume) takes its stream from here, so that a number two modules must agree on is
 * written once. rng_seed_stream(&r, seed, stream) gives independent sequences per stream for
 * one seed. The values are part of every result's bits: append, never renumber.
 */
#ifndef SIREN_STREAMS_H
#define SIREN_STREAMS_H

#include <stdint.h>

enum siren_stream {
    /* The reference trainer's (and the EC2 baseline's) per-epoch row shuffle and dropout:
     * combined with the epoch by stream_trainer(). */
    STREAM_TRAIN_SHUFFLE = 1,
    STREAM_TRAIN_DROPOUT = 2,
    /* Faults (faults.c): an attempt's own draws, and its requests' draws. */
    STREAM_FAULT_ATTEMPT = 0xfa,
    STREAM_FAULT_KV = 0xfb,
    /* The low bits of an epoch's batch order stream (stream_epoch_batches). */
    STREAM_EPOCH_BATCHES = 0xe9,
    /* The one shuffle of the training rows before they are cut into mini-batch objects. */
    STREAM_STAGE_ROWS = 0x57a9e,
    /* The low bits of an epoch's chunk order stream (stream_epoch_chunks). */
    STREAM_EPOCH_CHUNKS = 0xc4,
};

/* The stream of epoch `epoch`'s (from 1) order over the staged mini-batches. */
static inline uint64_t stream_epoch_batches(int epoch)
{
    return ((uint64_t)(uint32_t)epoch << 16) | STREAM_EPOCH_BATCHES;
}

/* The stream of epoch `epoch`'s order over chunks of staged mini-batches (ranged GETs). */
static inline uint64_t stream_epoch_chunks(int epoch)
{
    return ((uint64_t)(uint32_t)epoch << 16) | STREAM_EPOCH_CHUNKS;
}

/* The reference trainer's stream of kind STREAM_TRAIN_SHUFFLE in epoch `epoch`. */
static inline uint64_t stream_train_shuffle(int epoch)
{
    return ((uint64_t)(uint32_t)epoch << 8) | STREAM_TRAIN_SHUFFLE;
}

/* The reference trainer's dropout-mask seed of step `step` of epoch `epoch`, xor-ed with the
 * job's seed. */
static inline uint64_t stream_train_dropout(int epoch, uint64_t step)
{
    return ((uint64_t)(uint32_t)epoch << 40) ^ (step << 8) ^ STREAM_TRAIN_DROPOUT;
}

/* The seed of the random masks (dropout) of the mini-batch step at position `pos` of epoch
 * `epoch`'s batch order in a job seeded `seed`: fixed by those three, whichever function, rank
 * or retry runs it. 52 bits, so that it travels exactly as a JSON number. */
static inline uint64_t stream_step_seed(uint64_t seed, int epoch, uint32_t pos)
{
    uint64_t s = (seed * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)(uint32_t)epoch << 32) ^ pos;
    return s & ((1ULL << 52) - 1);
}

#endif

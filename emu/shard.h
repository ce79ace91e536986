/*
 * shard: the binary objects a training function reads and writes through the KV store.
 *
 * A batch shard holds the rows of one mini-batch (labels and pixels | tokens | sparse rows) so
 * a function needs no dataset of its own. A parameter object holds a model's flat parameter
 * vector and its optimiser's state (momentum, or Adam's moments and step), because a stateless
 * function can keep nothing between invocations. Both are little-endian with a magic, a
 * version and their sizes in a fixed header; decoding checks every size against the object's
 * length, so a short or foreign object is an error naming its key, never a wrong gradient.
 */
#ifndef SIREN_SHARD_H
#define SIREN_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "datasets.h"
#include "kernels.h"

/* Rows idx[0..n) of d as a batch shard. Caller owns *out (free()). Errors: SIREN_ERANGE,
 * SIREN_ENOMEM. */
int shard_encode(const struct ds_data *d, const uint32_t *idx, size_t n, uint8_t **out,
                 size_t *len, struct err *e) SIREN_WUR;

/* A decoded shard: pointers into the object's bytes (borrowed; valid while they are). */
struct shard_view {
    enum ds_layout layout;
    uint32_t n;
    int classes;
    const int32_t *labels;   /* (n) */
    const uint8_t *pixels;   /* (n,channels,height,width) */
    int channels, height, width;
    const int32_t *tokens;   /* (n,seq_len) */
    int seq_len;
    const uint64_t *row_ptr; /* (n+1), from 0 */
    const uint32_t *col;     /* (nnz) */
    const float *val;        /* (nnz) */
    uint64_t nnz;
};

/* Errors: SIREN_EFORMAT naming key (bad magic, version, sizes or an object too short). */
int shard_decode(const uint8_t *buf, size_t len, const char *key, struct shard_view *out,
                 struct err *e) SIREN_WUR;

/* Parameter objects: n params followed by the optimiser state o holds (o may be NULL: no
 * state). Caller owns *out (free()). Errors: SIREN_ENOMEM. */
int params_encode(const float *params, size_t n, const struct kn_optim *o, uint8_t **out,
                  size_t *len, struct err *e) SIREN_WUR;
/* The same into a caller-kept buffer *buf of *cap bytes, grown with realloc() when too small
 * (a warm function reuses one buffer instead of faulting in fresh pages every step). */
int params_encode_into(const float *params, size_t n, const struct kn_optim *o, uint8_t **buf,
                       size_t *cap, size_t *len, struct err *e) SIREN_WUR;
/* Reads an object into params (n floats) and, when o is not NULL and the object carries state
 * of o's kind, into o's state (otherwise o's state is zeroed). Errors: SIREN_EFORMAT naming
 * key, with the expected and found parameter counts for an object of the wrong size. */
int params_decode(const uint8_t *buf, size_t len, const char *key, float *params, size_t n,
                  struct kn_optim *o, struct err *e) SIREN_WUR;

#endif

/*
 * datasets internals shared by the readers, fetch and the HDF5 writer; never leaves the folder.
 *
 * A growable byte/row buffer for readers, a CSR builder that sorts and merges each row's
 * columns, and path helpers. Everything here reports errors through struct err.
 */
#ifndef SIREN_DS_INTERNAL_H
#define SIREN_DS_INTERNAL_H

#include "datasets.h"

/* CSR under construction: rows are appended one at a time. */
struct ds_csr_builder {
    uint64_t *row_ptr; /* rows + 1 */
    uint32_t *col;
    float *val;
    int32_t *labels;
    size_t rows, nnz, cap_rows, cap_nnz;
};

/* Appends one row: cols[0..n) (any order, duplicates allowed) with value 1 each. Duplicates
 * are merged into one column with the summed value, so rows are sorted and unique. */
int ds_csr_add_row(struct ds_csr_builder *b, int32_t label, uint32_t *cols, const float *vals,
                   size_t n, struct err *e) SIREN_WUR;
/* Moves the arrays into out (layout, rows, nnz, labels, row_ptr, col, val) and empties b. */
void ds_csr_finish(struct ds_csr_builder *b, struct ds_data *out);
void ds_csr_free(struct ds_csr_builder *b);

/* The splitmix64 finaliser: a bijection of 64-bit words in which every output bit depends on
 * every input bit. ds_hash64 ends with it (FNV's low bits mix poorly, and a 2^k mask keeps
 * only those); lr-synthetic makes its columns and planted weights with it. */
static inline uint64_t ds_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* An approximately standard normal value fixed by a hash: the Irwin-Hall sum of h's four
 * 16-bit quarters, centred and scaled to variance 1 (cheaper than Box-Muller). */
static inline float ds_hashed_normal(uint64_t h)
{
    float sum = (float)(h & 0xffff) + (float)(h >> 16 & 0xffff) + (float)(h >> 32 & 0xffff) +
                (float)(h >> 48);
    return (sum * (1.0f / 65536.0f) - 2.0f) * 1.7320508f; /* sqrt(12 / 4) */
}

/* The last path component (for messages: "train.txt line 3"). */
const char *ds_basename(const char *path);

/* Finds `file`'s hex sum in datasets/sums/NAME.EXT (lines "<hex>  <file>"); the nth match
 * (0-based) lets a file have several accepted versions. SIREN_ENOTFOUND when absent. */
int ds_sum_find(const char *name, const char *ext, const char *file, int nth, char *hex,
                size_t hexlen, struct err *e) SIREN_WUR;

/* lr-criteo (ds_criteo_gen.c). ds_criteo_gen_norm gives the seed's per-field weight
 * standardisation (39 means and inverse spreads; computed once per seed, thread-safe);
 * ds_criteo_gen_row draws one row from r: its 39 columns, one per Criteo field in field order
 * (unsorted; two may coincide), and returns the row's planted logit. */
void ds_criteo_gen_norm(uint64_t seed, float *mean, float *inv_sd);
float ds_criteo_gen_row(uint64_t seed, const float *mean, const float *inv_sd, struct rng *r,
                        int hash_bits, uint32_t *cols);

#endif

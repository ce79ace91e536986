/*
 * datasets: the real data of the paper's workloads, from raw files to memory.
 *
 * Readers (IDX, sentence polarity, Criteo TSV, LIBSVM) and the synthetic generator all
 * produce one in-memory form, struct ds_data, in one of three layouts (images, token ids,
 * sparse rows). `fetch` finds or downloads raw files and verifies their SHA-256 against the
 * sums kept in this folder; `prepare` writes HDF5 shard files into $SIREN_DATA_DIR; `ds_load`
 * reads them back. Errors name the file, the line or byte offset, and what was expected.
 * A ds_data owns all its arrays; release with ds_data_free().
 */
#ifndef SIREN_DATASETS_H
#define SIREN_DATASETS_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

enum ds_layout {
    DS_IMAGES_U8 = 1, /* pixels (rows, channels, height, width), uint8, row-major */
    DS_TOKENS_I32 = 2, /* tokens (rows, seq_len), int32 ids; 0 is padding */
    DS_SPARSE_CSR = 3, /* CSR rows: row_ptr (rows+1), col (nnz), val (nnz) */
};

struct ds_data {
    enum ds_layout layout;
    size_t rows;
    int classes;     /* labels are 0 .. classes-1 */
    int32_t *labels; /* (rows) */

    /* DS_IMAGES_U8 */
    uint8_t *pixels;
    int channels, height, width;

    /* DS_TOKENS_I32 */
    int32_t *tokens;
    int seq_len;
    int vocab_size; /* ids are 0 .. vocab_size-1 */

    /* DS_SPARSE_CSR */
    uint64_t *row_ptr;
    uint32_t *col;
    float *val;
    size_t nnz;
    uint32_t n_features; /* column ids are 0 .. n_features-1 */

    /* Provenance, copied into HDF5 attributes and shown by `siren data info`. */
    char name[64];    /* registry name ("mnist") or "file" */
    char split[16];   /* "train", "test" or "all" */
    char source[512]; /* raw file(s) it came from */
    char sha256[65];  /* of the (first) raw file */
};

void ds_data_free(struct ds_data *d);

#endif

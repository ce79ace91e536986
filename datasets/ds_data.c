/*
 * The in-memory dataset every reader produces: release, invariant checks, and the CSR
 * builder the sparse readers share. The checks run before a ds_data is written to HDF5 and
 * after one is read back, so a bad file is caught at the boundary, not in a kernel.
 */
#include "ds_internal.h"

#include <stdlib.h>
#include <string.h>

void ds_data_free(struct ds_data *d)
{
    if (!d) return;
    free(d->labels);
    free(d->pixels);
    free(d->tokens);
    free(d->row_ptr);
    free(d->col);
    free(d->val);
    if (d->vocab) {
        for (int i = 0; i < d->vocab_size; i++) free(d->vocab[i]);
        free(d->vocab);
    }
    memset(d, 0, sizeof *d);
}

const char *ds_layout_name(enum ds_layout layout)
{
    switch (layout) {
    case DS_IMAGES_U8: return "images_u8";
    case DS_TOKENS_I32: return "tokens_i32";
    case DS_SPARSE_CSR: return "sparse_csr";
    }
    return "unknown";
}

int ds_data_check(const struct ds_data *d, const char *what, struct err *e)
{
    if (d->classes < 1) return err_set(e, SIREN_EFORMAT, "%s: classes %d < 1", what, d->classes);
    if (d->rows > 0 && !d->labels) return err_set(e, SIREN_EFORMAT, "%s: labels missing", what);
    for (size_t i = 0; i < d->rows; i++) {
        if (d->labels[i] < 0 || d->labels[i] >= d->classes)
            return err_set(e, SIREN_EFORMAT, "%s: row %zu: label %d outside 0..%d", what, i,
                           (int)d->labels[i], d->classes - 1);
    }
    switch (d->layout) {
    case DS_IMAGES_U8:
        if (d->channels < 1 || d->height < 1 || d->width < 1)
            return err_set(e, SIREN_EFORMAT, "%s: bad image shape %dx%dx%d", what, d->channels,
                           d->height, d->width);
        if (d->rows > 0 && !d->pixels) return err_set(e, SIREN_EFORMAT, "%s: pixels missing", what);
        return SIREN_OK;
    case DS_TOKENS_I32:
        if (d->seq_len < 1 || d->vocab_size < 2)
            return err_set(e, SIREN_EFORMAT, "%s: bad seq_len %d or vocab_size %d", what,
                           d->seq_len, d->vocab_size);
        if (d->rows > 0 && !d->tokens) return err_set(e, SIREN_EFORMAT, "%s: tokens missing", what);
        for (size_t i = 0; i < d->rows * (size_t)d->seq_len; i++) {
            if (d->tokens[i] < 0 || d->tokens[i] >= d->vocab_size)
                return err_set(e, SIREN_EFORMAT, "%s: row %zu: token id %d outside 0..%d", what,
                               i / (size_t)d->seq_len, (int)d->tokens[i], d->vocab_size - 1);
        }
        return SIREN_OK;
    case DS_SPARSE_CSR:
        if (!d->row_ptr) return err_set(e, SIREN_EFORMAT, "%s: row_ptr missing", what);
        if (d->nnz > 0 && (!d->col || !d->val))
            return err_set(e, SIREN_EFORMAT, "%s: col or val missing", what);
        if (d->row_ptr[0] != 0 || d->row_ptr[d->rows] != d->nnz)
            return err_set(e, SIREN_EFORMAT, "%s: row_ptr does not span 0..nnz", what);
        for (size_t r = 0; r < d->rows; r++) {
            if (d->row_ptr[r + 1] < d->row_ptr[r])
                return err_set(e, SIREN_EFORMAT, "%s: row_ptr decreases at row %zu", what, r);
            for (uint64_t k = d->row_ptr[r]; k < d->row_ptr[r + 1]; k++) {
                if (d->col[k] >= d->n_features)
                    return err_set(e, SIREN_EFORMAT, "%s: row %zu: column %u >= %u features",
                                   what, r, d->col[k], d->n_features);
                if (k > d->row_ptr[r] && d->col[k] <= d->col[k - 1])
                    return err_set(e, SIREN_EFORMAT, "%s: row %zu: columns not increasing",
                                   what, r);
            }
        }
        return SIREN_OK;
    }
    return err_set(e, SIREN_EFORMAT, "%s: unknown layout %d", what, (int)d->layout);
}

const char *ds_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* ------------------------------------------------------------ CSR builder */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int ds_csr_add_row(struct ds_csr_builder *b, int32_t label, uint32_t *cols, const float *vals,
                   size_t n, struct err *e)
{
    if (b->rows + 1 >= b->cap_rows) {
        size_t cap = b->cap_rows ? b->cap_rows * 2 : 1024;
        uint64_t *rp = realloc(b->row_ptr, (cap + 1) * sizeof *rp);
        if (!rp) return err_set(e, SIREN_ENOMEM, "out of memory for %zu rows", cap);
        b->row_ptr = rp;
        int32_t *lab = realloc(b->labels, cap * sizeof *lab);
        if (!lab) return err_set(e, SIREN_ENOMEM, "out of memory for %zu rows", cap);
        b->labels = lab;
        b->cap_rows = cap;
        if (b->rows == 0) b->row_ptr[0] = 0;
    }
    if (b->nnz + n > b->cap_nnz) {
        size_t cap = b->cap_nnz ? b->cap_nnz * 2 : 16384;
        while (cap < b->nnz + n) cap *= 2;
        uint32_t *c = realloc(b->col, cap * sizeof *c);
        if (!c) return err_set(e, SIREN_ENOMEM, "out of memory for %zu nonzeros", cap);
        b->col = c;
        float *v = realloc(b->val, cap * sizeof *v);
        if (!v) return err_set(e, SIREN_ENOMEM, "out of memory for %zu nonzeros", cap);
        b->val = v;
        b->cap_nnz = cap;
    }
    /* Hashed rows come unsorted, with the odd collision: sort, then merge equal columns.
     * Values are given (LIBSVM, already sorted and unique) or all 1 (hashed rows). */
    if (!vals && n > 1) qsort(cols, n, sizeof *cols, cmp_u32); /* qsort must not see NULL */
    size_t out = b->nnz;
    for (size_t i = 0; i < n; i++) {
        float v = vals ? vals[i] : 1.0f;
        if (out > b->nnz && b->col[out - 1] == cols[i]) {
            b->val[out - 1] += v;
            continue;
        }
        b->col[out] = cols[i];
        b->val[out] = v;
        out++;
    }
    b->nnz = out;
    b->labels[b->rows] = label;
    b->rows++;
    b->row_ptr[b->rows] = b->nnz;
    return SIREN_OK;
}

void ds_csr_finish(struct ds_csr_builder *b, struct ds_data *out)
{
    out->layout = DS_SPARSE_CSR;
    out->rows = b->rows;
    out->nnz = b->nnz;
    if (!b->row_ptr) b->row_ptr = calloc(1, sizeof *b->row_ptr);
    out->row_ptr = b->row_ptr;
    out->col = b->col;
    out->val = b->val;
    out->labels = b->labels;
    memset(b, 0, sizeof *b);
}

void ds_csr_free(struct ds_csr_builder *b)
{
    free(b->row_ptr);
    free(b->col);
    free(b->val);
    free(b->labels);
    memset(b, 0, sizeof *b);
}

/*
 * HDF5 shard files: one file per split with the arrays of a ds_data as datasets and its
 * provenance as attributes of the root group. Files are written under a temporary name and
 * renamed at the end, so a reader never sees half a file. HDF5's own error printing is
 * switched off; every failure becomes SIREN_EHDF5 naming the file and the object.
 */
#include "ds_internal.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

static void h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static int write_array(hid_t file, const char *name, hid_t type, int rank, const hsize_t *dims,
                       const void *data, const char *path, struct err *e)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t set = space < 0 ? -1 : H5Dcreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = set < 0 ? -1 : H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (set >= 0) H5Dclose(set);
    if (space >= 0) H5Sclose(space);
    if (st < 0) return err_set(e, SIREN_EHDF5, "%s: cannot write dataset '%s'", path, name);
    return SIREN_OK;
}

static int write_attr(hid_t file, const char *name, hid_t type, hsize_t n, const void *val,
                      const char *path, struct err *e)
{
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t a = space < 0 ? -1 : H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Awrite(a, type, val);
    if (a >= 0) H5Aclose(a);
    if (space >= 0) H5Sclose(space);
    if (st < 0) return err_set(e, SIREN_EHDF5, "%s: cannot write attribute '%s'", path, name);
    return SIREN_OK;
}

static int write_str_attr(hid_t file, const char *name, const char *s, const char *path,
                          struct err *e)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(s) + 1);
    H5Tset_strpad(type, H5T_STR_NULLTERM);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Awrite(a, type, s);
    if (a >= 0) H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
    if (st < 0) return err_set(e, SIREN_EHDF5, "%s: cannot write attribute '%s'", path, name);
    return SIREN_OK;
}

static int write_body(const struct ds_data *d, hid_t f, const char *path, struct err *e)
{
    int rc = ds_data_check(d, path, e);
    if (rc) return rc;
    hsize_t rows = d->rows;
    rc = write_array(f, "labels", H5T_NATIVE_INT32, 1, &rows, d->labels, path, e);
    if (rc) return rc;
    int64_t dims[4] = {(int64_t)d->rows, 0, 0, 0};
    hsize_t ndims = 2;
    if (d->layout == DS_IMAGES_U8) {
        hsize_t dd[4] = {rows, (hsize_t)d->channels, (hsize_t)d->height, (hsize_t)d->width};
        rc = write_array(f, "pixels", H5T_NATIVE_UINT8, 4, dd, d->pixels, path, e);
        dims[1] = d->channels, dims[2] = d->height, dims[3] = d->width;
        ndims = 4;
    } else if (d->layout == DS_TOKENS_I32) {
        hsize_t dd[2] = {rows, (hsize_t)d->seq_len};
        rc = write_array(f, "tokens", H5T_NATIVE_INT32, 2, dd, d->tokens, path, e);
        dims[1] = d->seq_len;
        if (!rc && d->vocab) {
            /* Variable-length strings: the words are raw cp1252 bytes, not UTF-8. */
            hid_t st = H5Tcopy(H5T_C_S1);
            H5Tset_size(st, H5T_VARIABLE);
            hsize_t nv = (hsize_t)d->vocab_size;
            rc = write_array(f, "vocab", st, 1, &nv, d->vocab, path, e);
            H5Tclose(st);
        }
    } else {
        hsize_t np = rows + 1, nz = d->nnz;
        rc = write_array(f, "row_ptr", H5T_NATIVE_UINT64, 1, &np, d->row_ptr, path, e);
        if (!rc) rc = write_array(f, "col", H5T_NATIVE_UINT32, 1, &nz, d->col, path, e);
        if (!rc) rc = write_array(f, "val", H5T_NATIVE_FLOAT, 1, &nz, d->val, path, e);
        dims[1] = d->n_features;
    }
    if (rc) return rc;
    int32_t classes = d->classes, hash_bits = d->hash_bits, seq_len = d->seq_len,
            vocab_size = d->vocab_size;
    uint64_t seed = d->seed, nnz = d->nnz;
    uint32_t n_features = d->n_features;
    if (!rc) rc = write_str_attr(f, "name", d->name, path, e);
    if (!rc) rc = write_str_attr(f, "source", d->source, path, e);
    if (!rc) rc = write_str_attr(f, "sha256", d->sha256, path, e);
    if (!rc) rc = write_str_attr(f, "split", d->split, path, e);
    if (!rc) rc = write_str_attr(f, "layout", ds_layout_name(d->layout), path, e);
    if (!rc) rc = write_attr(f, "seed", H5T_NATIVE_UINT64, 1, &seed, path, e);
    if (!rc) rc = write_attr(f, "classes", H5T_NATIVE_INT32, 1, &classes, path, e);
    if (!rc) rc = write_attr(f, "dims", H5T_NATIVE_INT64, ndims, dims, path, e);
    if (!rc) rc = write_attr(f, "hash_bits", H5T_NATIVE_INT32, 1, &hash_bits, path, e);
    if (!rc) rc = write_attr(f, "seq_len", H5T_NATIVE_INT32, 1, &seq_len, path, e);
    if (!rc) rc = write_attr(f, "vocab_size", H5T_NATIVE_INT32, 1, &vocab_size, path, e);
    if (!rc) rc = write_attr(f, "nnz", H5T_NATIVE_UINT64, 1, &nnz, path, e);
    if (!rc) rc = write_attr(f, "n_features", H5T_NATIVE_UINT32, 1, &n_features, path, e);
    return rc;
}

int ds_h5_write(const struct ds_data *d, const char *path, struct err *e)
{
    h5_quiet();
    size_t tl = strlen(path) + 64;
    char *tmp = malloc(tl);
    if (!tmp) return err_set(e, SIREN_ENOMEM, "out of memory");
    fs_tmp_name(path, tmp, tl);
    hid_t f = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        int rc = err_set(e, SIREN_EHDF5, "%s: cannot create HDF5 file (directory missing or not "
                         "writable?)", tmp);
        free(tmp);
        return rc;
    }
    int rc = write_body(d, f, path, e);
    if (H5Fclose(f) < 0 && !rc) rc = err_set(e, SIREN_EHDF5, "%s: cannot close HDF5 file", path);
    if (!rc) rc = fs_commit_tmp(tmp, path, e);
    else fs_abort_tmp(tmp);
    free(tmp);
    return rc;
}

/* ------------------------------------------------------------------ reading */

static int read_str_attr(hid_t f, const char *name, char *buf, size_t buflen, const char *path,
                         struct err *e)
{
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    if (a < 0) return err_set(e, SIREN_EFORMAT, "%s: attribute '%s' missing", path, name);
    hid_t t = H5Aget_type(a);
    size_t sz = H5Tget_size(t);
    int rc = SIREN_OK;
    char *tmp = malloc(sz + 1);
    if (H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) > 0 || !tmp ||
        H5Aread(a, t, tmp) < 0) {
        rc = err_set(e, SIREN_EFORMAT, "%s: attribute '%s' is not a fixed-length string", path, name);
    } else {
        tmp[sz] = '\0';
        snprintf(buf, buflen, "%s", tmp);
    }
    free(tmp);
    H5Tclose(t);
    H5Aclose(a);
    return rc;
}

static int read_attr(hid_t f, const char *name, hid_t type, void *val, size_t n,
                     const char *path, struct err *e)
{
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    if (a < 0) return err_set(e, SIREN_EFORMAT, "%s: attribute '%s' missing", path, name);
    hid_t space = H5Aget_space(a);
    hssize_t have = H5Sget_simple_extent_npoints(space);
    herr_t st = have == (hssize_t)n ? H5Aread(a, type, val) : -1;
    H5Sclose(space);
    H5Aclose(a);
    if (st < 0) return err_set(e, SIREN_EFORMAT, "%s: attribute '%s' unreadable or of the wrong size", path, name);
    return SIREN_OK;
}

/* Reads a dataset of exactly `n` elements into a new buffer. */
static int read_array(hid_t f, const char *name, hid_t type, size_t elem, size_t n, void **out,
                      const char *path, struct err *e)
{
    *out = NULL;
    hid_t set = H5Dopen2(f, name, H5P_DEFAULT);
    if (set < 0) return err_set(e, SIREN_EFORMAT, "%s: dataset '%s' missing", path, name);
    hid_t space = H5Dget_space(set);
    hssize_t have = H5Sget_simple_extent_npoints(space);
    H5Sclose(space);
    int rc = SIREN_OK;
    if (have != (hssize_t)n) {
        rc = err_set(e, SIREN_EFORMAT, "%s: dataset '%s' has %lld elements, expected %zu", path,
                     name, (long long)have, n);
    } else if (!(*out = malloc(n ? n * elem : 1))) {
        rc = err_set(e, SIREN_ENOMEM, "%s: out of memory for '%s'", path, name);
    } else if (n && H5Dread(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0) {
        rc = err_set(e, SIREN_EHDF5, "%s: cannot read dataset '%s'", path, name);
    }
    H5Dclose(set);
    if (rc) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

static int read_vocab(hid_t f, struct ds_data *d, const char *path, struct err *e)
{
    size_t n = (size_t)d->vocab_size;
    char **raw = NULL;
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, H5T_VARIABLE);
    int rc = read_array(f, "vocab", st, sizeof(char *), n, (void **)&raw, path, e);
    if (rc) {
        H5Tclose(st);
        return rc;
    }
    d->vocab = calloc(n, sizeof *d->vocab);
    for (size_t i = 0; d->vocab && i < n; i++) d->vocab[i] = strdup(raw[i] ? raw[i] : "");
    /* The strings belong to HDF5's allocator: give them back through it. */
    hid_t space = H5Screate_simple(1, (hsize_t[]){n}, NULL);
    H5Dvlen_reclaim(st, space, H5P_DEFAULT, raw);
    H5Sclose(space);
    H5Tclose(st);
    free(raw);
    if (!d->vocab) return err_set(e, SIREN_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (!d->vocab[i]) return err_set(e, SIREN_ENOMEM, "out of memory");
    return SIREN_OK;
}

static int read_body(hid_t f, struct ds_data *d, const char *path, struct err *e)
{
    char layout[32];
    int rc = read_str_attr(f, "layout", layout, sizeof layout, path, e);
    if (!rc) rc = read_str_attr(f, "name", d->name, sizeof d->name, path, e);
    if (!rc) rc = read_str_attr(f, "source", d->source, sizeof d->source, path, e);
    if (!rc) rc = read_str_attr(f, "sha256", d->sha256, sizeof d->sha256, path, e);
    if (!rc) rc = read_str_attr(f, "split", d->split, sizeof d->split, path, e);
    int32_t classes = 0, hash_bits = 0, seq_len = 0, vocab_size = 0;
    uint64_t nnz = 0;
    if (!rc) rc = read_attr(f, "seed", H5T_NATIVE_UINT64, &d->seed, 1, path, e);
    if (!rc) rc = read_attr(f, "classes", H5T_NATIVE_INT32, &classes, 1, path, e);
    if (!rc) rc = read_attr(f, "hash_bits", H5T_NATIVE_INT32, &hash_bits, 1, path, e);
    if (!rc) rc = read_attr(f, "seq_len", H5T_NATIVE_INT32, &seq_len, 1, path, e);
    if (!rc) rc = read_attr(f, "vocab_size", H5T_NATIVE_INT32, &vocab_size, 1, path, e);
    if (!rc) rc = read_attr(f, "nnz", H5T_NATIVE_UINT64, &nnz, 1, path, e);
    if (!rc) rc = read_attr(f, "n_features", H5T_NATIVE_UINT32, &d->n_features, 1, path, e);
    if (rc) return rc;
    d->classes = classes;
    d->hash_bits = hash_bits;
    int64_t dims[4] = {0};
    if (!strcmp(layout, "images_u8")) {
        d->layout = DS_IMAGES_U8;
        rc = read_attr(f, "dims", H5T_NATIVE_INT64, dims, 4, path, e);
    } else if (!strcmp(layout, "tokens_i32")) {
        d->layout = DS_TOKENS_I32;
        rc = read_attr(f, "dims", H5T_NATIVE_INT64, dims, 2, path, e);
    } else if (!strcmp(layout, "sparse_csr")) {
        d->layout = DS_SPARSE_CSR;
        rc = read_attr(f, "dims", H5T_NATIVE_INT64, dims, 2, path, e);
    } else {
        rc = err_set(e, SIREN_EFORMAT, "%s: unknown layout '%s'", path, layout);
    }
    if (rc) return rc;
    if (dims[0] < 0 || dims[1] < 0 || dims[2] < 0 || dims[3] < 0 || dims[1] > INT32_MAX ||
        dims[2] > INT32_MAX || dims[3] > INT32_MAX)
        return err_set(e, SIREN_EFORMAT, "%s: bad dims attribute", path);
    d->rows = (size_t)dims[0];
    rc = read_array(f, "labels", H5T_NATIVE_INT32, 4, d->rows, (void **)&d->labels, path, e);
    if (rc) return rc;
    if (d->layout == DS_IMAGES_U8) {
        d->channels = (int)dims[1], d->height = (int)dims[2], d->width = (int)dims[3];
        size_t n = d->rows * (size_t)d->channels * (size_t)d->height * (size_t)d->width;
        rc = read_array(f, "pixels", H5T_NATIVE_UINT8, 1, n, (void **)&d->pixels, path, e);
    } else if (d->layout == DS_TOKENS_I32) {
        d->seq_len = (int)dims[1];
        d->vocab_size = vocab_size;
        if (seq_len != d->seq_len) return err_set(e, SIREN_EFORMAT, "%s: seq_len disagrees with dims", path);
        rc = read_array(f, "tokens", H5T_NATIVE_INT32, 4, d->rows * (size_t)d->seq_len,
                        (void **)&d->tokens, path, e);
        if (!rc && H5Lexists(f, "vocab", H5P_DEFAULT) > 0) rc = read_vocab(f, d, path, e);
    } else {
        d->nnz = (size_t)nnz;
        rc = read_array(f, "row_ptr", H5T_NATIVE_UINT64, 8, d->rows + 1, (void **)&d->row_ptr, path, e);
        if (!rc) rc = read_array(f, "col", H5T_NATIVE_UINT32, 4, d->nnz, (void **)&d->col, path, e);
        if (!rc) rc = read_array(f, "val", H5T_NATIVE_FLOAT, 4, d->nnz, (void **)&d->val, path, e);
    }
    if (!rc) rc = ds_data_check(d, path, e);
    return rc;
}

int ds_load_file(const char *path, struct ds_data *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    h5_quiet();
    if (!fs_exists(path)) return err_set(e, SIREN_ENOTFOUND, "%s: no such file", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return err_set(e, SIREN_EHDF5, "%s: not an HDF5 file or unreadable", path);
    int rc = read_body(f, out, path, e);
    H5Fclose(f);
    if (rc) ds_data_free(out);
    return rc;
}

/* The run trace and its HDF5 file (see trace.h). */
#include "trace.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

void trace_init(struct trace *t) { memset(t, 0, sizeof *t); }

void trace_free(struct trace *t)
{
    if (!t) return;
    free(t->inv);
    free(t->ops);
    memset(t, 0, sizeof *t);
}

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return SIREN_OK;
    size_t nc = *cap ? 2 * *cap : 256;
    void *p = realloc(*arr, nc * size);
    if (!p) return SIREN_ENOMEM;
    *arr = p;
    *cap = nc;
    return SIREN_OK;
}

int trace_add_invocation(struct trace *t, const struct trace_invocation *r)
{
    if (grow((void **)&t->inv, &t->cap_inv, t->n_inv, sizeof *r)) return SIREN_ENOMEM;
    t->inv[t->n_inv++] = *r;
    return SIREN_OK;
}

int trace_add_kv_op(struct trace *t, const struct trace_kv_op *r)
{
    if (grow((void **)&t->ops, &t->cap_ops, t->n_ops, sizeof *r)) return SIREN_ENOMEM;
    t->ops[t->n_ops++] = *r;
    return SIREN_OK;
}

/* The compound types, field by field, so the file is self-describing (h5dump shows names). */
static hid_t inv_type(void)
{
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, sizeof(((struct trace_invocation *)0)->error));
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(struct trace_invocation));
#define F(name, type) H5Tinsert(t, #name, HOFFSET(struct trace_invocation, name), type)
    F(epoch, H5T_NATIVE_INT32);
    F(fn, H5T_NATIVE_INT32);
    F(invocation, H5T_NATIVE_INT32);
    F(rank, H5T_NATIVE_INT32);
    F(memory_mb, H5T_NATIVE_INT32);
    F(cold, H5T_NATIVE_INT32);
    F(status, H5T_NATIVE_INT32);
    F(v_start_s, H5T_NATIVE_DOUBLE);
    F(v_end_s, H5T_NATIVE_DOUBLE);
    F(billed_ms, H5T_NATIVE_DOUBLE);
    F(cost_usd, H5T_NATIVE_DOUBLE);
    F(wall_ms, H5T_NATIVE_DOUBLE);
    F(peak_mb, H5T_NATIVE_DOUBLE);
    F(error, str);
    F(attempt, H5T_NATIVE_INT32);
    F(fault, H5T_NATIVE_INT32);
    F(kv_errors, H5T_NATIVE_INT32);
    F(throttled, H5T_NATIVE_INT32);
    F(compute_factor, H5T_NATIVE_DOUBLE);
#undef F
    H5Tclose(str);
    return t;
}

static hid_t op_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(struct trace_kv_op));
#define F(name, type) H5Tinsert(t, #name, HOFFSET(struct trace_kv_op, name), type)
    F(epoch, H5T_NATIVE_INT32);
    F(fn, H5T_NATIVE_INT32);
    F(step, H5T_NATIVE_INT32);
    F(op, H5T_NATIVE_INT32);
    F(version, H5T_NATIVE_INT64);
    F(version_got, H5T_NATIVE_INT64);
    F(v_start_s, H5T_NATIVE_DOUBLE);
    F(v_end_s, H5T_NATIVE_DOUBLE);
    F(bytes, H5T_NATIVE_DOUBLE);
    F(wall_ms, H5T_NATIVE_DOUBLE);
    F(attempt, H5T_NATIVE_INT32);
    F(retries, H5T_NATIVE_INT32);
    F(throttled, H5T_NATIVE_INT32);
    F(requests, H5T_NATIVE_INT32);
#undef F
    return t;
}

static int write_set(hid_t file, const char *name, hid_t type, const void *data, size_t n)
{
    hsize_t dims[1] = {n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t ds = H5Dcreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = ds < 0 ? -1 : (n ? H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : 0);
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(space);
    return rc < 0 ? -1 : 0;
}

int trace_write_h5(const struct trace *t, const char *path, struct err *e)
{
    char tmp[4200];
    fs_tmp_name(path, tmp, sizeof tmp);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t file = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) return err_set(e, SIREN_EHDF5, "%s: cannot create the HDF5 file", tmp);
    hid_t it = inv_type(), ot = op_type();
    int bad = write_set(file, "invocations", it, t->inv, t->n_inv) ||
              write_set(file, "kv_ops", ot, t->ops, t->n_ops);
    H5Tclose(it);
    H5Tclose(ot);
    if (H5Fclose(file) < 0) bad = 1;
    if (bad) {
        fs_abort_tmp(tmp);
        return err_set(e, SIREN_EHDF5, "%s: cannot write the trace", path);
    }
    return fs_commit_tmp(tmp, path, e);
}

static int read_set(hid_t file, const char *name, hid_t type, size_t size, void **out,
                    size_t *n)
{
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    if (ds < 0) return -1;
    hid_t space = H5Dget_space(ds);
    hsize_t dims[1] = {0};
    H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    *n = (size_t)dims[0];
    *out = calloc(*n ? *n : 1, size);
    herr_t rc = *out ? (*n ? H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) : 0) : -1;
    H5Dclose(ds);
    return rc < 0 ? -1 : 0;
}

int trace_read_h5(const char *path, struct trace *t, struct err *e)
{
    trace_init(t);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) return err_set(e, SIREN_EHDF5, "%s: cannot open as HDF5", path);
    hid_t it = inv_type(), ot = op_type();
    int bad = read_set(file, "invocations", it, sizeof *t->inv, (void **)&t->inv, &t->n_inv) ||
              read_set(file, "kv_ops", ot, sizeof *t->ops, (void **)&t->ops, &t->n_ops);
    H5Tclose(it);
    H5Tclose(ot);
    H5Fclose(file);
    t->cap_inv = t->n_inv;
    t->cap_ops = t->n_ops;
    if (bad) {
        trace_free(t);
        return err_set(e, SIREN_EHDF5, "%s: not a siren trace (datasets invocations, kv_ops)",
                       path);
    }
    return SIREN_OK;
}

/*
 * prepare and load: raw files of a registry dataset -> $SIREN_DATA_DIR/NAME/{train,test}.h5,
 * and back. Split rules: MNIST-style sets keep their published train/t10k files; polarity
 * holds out a seeded 10%; criteo is 90/10 by row order (train.txt vs dev.txt + test.txt);
 * criteo-full is 90/10 by row order of its train.txt; a9a keeps a9a / a9a.t. Also the raw
 * file reader behind `siren data info --file`.
 */
#include "ds_internal.h"

#include <stdlib.h>
#include <string.h>

#define PATH_LEN 4096

/* Fills provenance of a prepared split. */
static void set_provenance(struct ds_data *d, const struct ds_entry *entry, const char *split,
                           const char *first_raw_file, const char *source)
{
    char copy[sizeof d->source];
    snprintf(copy, sizeof copy, "%s", source); /* source may be d->source itself */
    snprintf(d->name, sizeof d->name, "%s", entry->name);
    snprintf(d->split, sizeof d->split, "%s", split);
    memcpy(d->source, copy, sizeof copy);
    struct err ignore;
    char path[PATH_LEN];
    ds_raw_path(entry, first_raw_file, path, sizeof path);
    if (sha256_file(path, d->sha256, &ignore) != SIREN_OK) d->sha256[0] = '\0';
}

/* Rows [from, to) of a CSR dataset, as a new ds_data. */
static int csr_slice(const struct ds_data *d, size_t from, size_t to, struct ds_data *out,
                     struct err *e)
{
    memset(out, 0, sizeof *out);
    size_t rows = to - from;
    uint64_t k0 = d->row_ptr[from], nnz = d->row_ptr[to] - k0;
    out->row_ptr = malloc((rows + 1) * sizeof *out->row_ptr);
    out->labels = malloc((rows + 1) * sizeof *out->labels);
    out->col = malloc((nnz + 1) * sizeof *out->col);
    out->val = malloc((nnz + 1) * sizeof *out->val);
    if (!out->row_ptr || !out->labels || !out->col || !out->val) {
        ds_data_free(out);
        return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    for (size_t r = 0; r <= rows; r++) out->row_ptr[r] = d->row_ptr[from + r] - k0;
    memcpy(out->labels, d->labels + from, rows * sizeof *out->labels);
    memcpy(out->col, d->col + k0, nnz * sizeof *out->col);
    memcpy(out->val, d->val + k0, nnz * sizeof *out->val);
    out->layout = DS_SPARSE_CSR;
    out->rows = rows;
    out->nnz = (size_t)nnz;
    out->classes = d->classes;
    out->n_features = d->n_features;
    out->hash_bits = d->hash_bits;
    return SIREN_OK;
}

/* Reads both splits of entry from its fetched raw files. */
static int read_splits(const struct ds_entry *entry, int hash_bits, struct ds_data *train,
                       struct ds_data *test, struct err *e)
{
    char p[4][PATH_LEN];
    for (size_t i = 0; i < entry->n_files; i++)
        ds_raw_path(entry, entry->files[i].name, p[i], sizeof p[i]);
    char source[512];
    int rc;
    switch (entry->format) {
    case DS_FMT_IDX:
        rc = ds_idx_read(p[0], p[1], train, e);
        if (!rc) rc = ds_idx_read(p[2], p[3], test, e);
        if (rc) return rc;
        set_provenance(train, entry, "train", entry->files[0].name, train->source);
        set_provenance(test, entry, "test", entry->files[2].name, test->source);
        return SIREN_OK;
    case DS_FMT_POLARITY: {
        struct ds_polarity_opts o = {DS_POLARITY_SEQ_LEN, DS_POLARITY_SEED, DS_POLARITY_TEST_PERMILLE};
        rc = ds_polarity_read(p[0], p[1], &o, train, test, e);
        if (rc) return rc;
        snprintf(source, sizeof source, "%s", train->source);
        set_provenance(train, entry, "train", entry->files[0].name, source);
        set_provenance(test, entry, "test", entry->files[0].name, source);
        return SIREN_OK;
    }
    case DS_FMT_CRITEO:
        if (entry->n_files >= 3) {
            const char *tr[1] = {p[0]}, *te[2] = {p[1], p[2]};
            rc = ds_criteo_read(tr, 1, hash_bits, train, e);
            if (!rc) rc = ds_criteo_read(te, 2, hash_bits, test, e);
            if (rc) return rc;
        } else {
            struct ds_data all;
            const char *one[1] = {p[0]};
            rc = ds_criteo_read(one, 1, hash_bits, &all, e);
            if (rc) return rc;
            size_t cut = all.rows - (all.rows + 5) / 10; /* 90/10 by row order */
            rc = csr_slice(&all, 0, cut, train, e);
            if (!rc) rc = csr_slice(&all, cut, all.rows, test, e);
            snprintf(train->source, sizeof train->source, "%s rows 1..%zu", p[0], cut);
            snprintf(test->source, sizeof test->source, "%s rows %zu..%zu", p[0], cut + 1, all.rows);
            ds_data_free(&all);
            if (rc) return rc;
        }
        set_provenance(train, entry, "train", entry->files[0].name, train->source);
        set_provenance(test, entry, "test", entry->files[entry->n_files > 1 ? 1 : 0].name, test->source);
        return SIREN_OK;
    case DS_FMT_LIBSVM:
        /* a9a has 123 features, but a9a.t never uses the last one: fix the dimension. */
        rc = ds_libsvm_read(p[0], 123, train, e);
        if (!rc) rc = ds_libsvm_read(p[1], 123, test, e);
        if (rc) return rc;
        set_provenance(train, entry, "train", entry->files[0].name, train->source);
        set_provenance(test, entry, "test", entry->files[1].name, test->source);
        return SIREN_OK;
    case DS_FMT_UNKNOWN:
        break;
    }
    return err_set(e, SIREN_EINVAL, "%s: no reader", entry->name);
}

int ds_prepare_with(const char *name, int hash_bits, struct err *e)
{
    const struct ds_entry *entry = ds_registry_find(name);
    if (!entry) return err_set(e, SIREN_ENOTFOUND, "unknown dataset '%s'", name);
    if (hash_bits <= 0) hash_bits = DS_CRITEO_HASH_BITS;
    int rc = ds_fetch(entry, e);
    if (rc) return rc;
    char dir[PATH_LEN], out_dir[PATH_LEN + 80];
    ds_data_dir(dir, sizeof dir);
    snprintf(out_dir, sizeof out_dir, "%s/%s", dir, name);
    rc = fs_mkdir_p(out_dir, e);
    if (rc) return err_prefix(e, "%s: cannot write to the cache directory", name);
    struct ds_data train, test;
    double t0 = clock_mono_s();
    rc = read_splits(entry, hash_bits, &train, &test, e);
    if (rc) return rc;
    char path[PATH_LEN];
    ds_split_path(name, "train", path, sizeof path);
    rc = ds_h5_write(&train, path, e);
    if (!rc) {
        ds_split_path(name, "test", path, sizeof path);
        rc = ds_h5_write(&test, path, e);
    }
    if (!rc)
        LOG_INFO("datasets", "%s: prepared %zu train + %zu test rows in %.1f s", name, train.rows,
                 test.rows, clock_mono_s() - t0);
    ds_data_free(&train);
    ds_data_free(&test);
    return rc;
}

int ds_prepare(const char *name, struct err *e) { return ds_prepare_with(name, 0, e); }

int ds_load(const char *name, const char *split, struct ds_data *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (strcmp(split, "train") != 0 && strcmp(split, "test") != 0)
        return err_set(e, SIREN_EINVAL, "split '%s': expected train or test", split);
    if (!strcmp(name, "lr-synthetic")) {
        int train = !strcmp(split, "train");
        struct ds_synthetic_opts o = {.rows = train ? DS_SYNTHETIC_TRAIN_ROWS
                                                    : DS_SYNTHETIC_TEST_ROWS,
                                      .seed = DS_SYNTHETIC_SEED, .stream = train ? 0 : 1};
        return ds_synthetic_make(&o, out, e);
    }
    if (!ds_registry_find(name)) return err_set(e, SIREN_ENOTFOUND, "unknown dataset '%s'", name);
    char path[PATH_LEN];
    ds_split_path(name, split, path, sizeof path);
    if (!fs_exists(path)) {
        LOG_INFO("datasets", "%s: %s is missing; preparing it", name, path);
        int rc = ds_prepare(name, e);
        if (rc) return rc;
    }
    return ds_load_file(path, out, e);
}

/* ------------------------------------------------------------- raw files */

const char *ds_format_name(enum ds_format fmt)
{
    switch (fmt) {
    case DS_FMT_IDX: return "idx";
    case DS_FMT_POLARITY: return "polarity";
    case DS_FMT_CRITEO: return "criteo";
    case DS_FMT_LIBSVM: return "libsvm";
    case DS_FMT_UNKNOWN: break;
    }
    return "unknown";
}

enum ds_format ds_format_parse(const char *s)
{
    for (int f = DS_FMT_IDX; f <= DS_FMT_LIBSVM; f++)
        if (!strcmp(s, ds_format_name((enum ds_format)f))) return (enum ds_format)f;
    return DS_FMT_UNKNOWN;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

enum ds_format ds_format_guess(const char *path)
{
    const char *base = ds_basename(path);
    if (strstr(base, "idx1-ubyte") || strstr(base, "idx3-ubyte")) return DS_FMT_IDX;
    if (has_suffix(base, ".pos") || has_suffix(base, ".neg")) return DS_FMT_POLARITY;
    FILE *f = fopen(path, "rb");
    if (!f) return DS_FMT_UNKNOWN;
    char line[4096];
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    if (n >= 4 && line[0] == 0 && line[1] == 0 && line[2] == 8) return DS_FMT_IDX;
    if (n >= 2 && (unsigned char)line[0] == 0x1f && (unsigned char)line[1] == 0x8b) return DS_FMT_IDX;
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    size_t tabs = 0;
    for (char *p = line; *p; p++) tabs += *p == '\t';
    if (tabs >= 30) return DS_FMT_CRITEO;
    /* LIBSVM: a label then idx:val tokens. */
    char *colon = strchr(line, ':');
    if (colon && (line[0] == '+' || line[0] == '-' || (line[0] >= '0' && line[0] <= '9')))
        return DS_FMT_LIBSVM;
    return DS_FMT_POLARITY;
}

int ds_raw_read(const char *path, enum ds_format fmt, struct ds_data *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (!fs_exists(path)) return err_set(e, SIREN_ENOTFOUND, "%s: no such file", path);
    if (fmt == DS_FMT_UNKNOWN) fmt = ds_format_guess(path);
    int rc;
    switch (fmt) {
    case DS_FMT_IDX: {
        /* Pair images with labels (and back) by the MNIST naming: *-images-idx3-* / *-labels-idx1-*. */
        char other[PATH_LEN];
        snprintf(other, sizeof other, "%s", path);
        char *img = strstr(other + (ds_basename(path) - path), "images-idx3");
        char *lab = strstr(other + (ds_basename(path) - path), "labels-idx1");
        if (img) memcpy(img, "labels-idx1", 11);
        else if (lab) memcpy(lab, "images-idx3", 11);
        if ((img || lab) && !fs_exists(other)) {
            /* The pair may be gzipped when this one is not, or the other way round. */
            size_t n = strlen(other);
            if (has_suffix(other, ".gz")) other[n - 3] = '\0';
            else if (n + 3 < sizeof other) memcpy(other + n, ".gz", 4);
        }
        int paired = (img || lab) && fs_exists(other);
        const char *images = lab ? (paired ? other : NULL) : path;
        const char *labels = lab ? path : (paired ? other : NULL);
        rc = ds_idx_read(images, labels, out, e);
        break;
    }
    case DS_FMT_POLARITY:
        rc = ds_polarity_read_file(path, has_suffix(path, ".neg") ? 0 : 1, 0, out, e);
        break;
    case DS_FMT_CRITEO: {
        const char *one[1] = {path};
        rc = ds_criteo_read(one, 1, DS_CRITEO_HASH_BITS, out, e);
        break;
    }
    case DS_FMT_LIBSVM:
        rc = ds_libsvm_read(path, 0, out, e);
        break;
    default:
        return err_set(e, SIREN_EINVAL, "%s: unknown format", path);
    }
    if (rc) return rc;
    snprintf(out->source, sizeof out->source, "%s", path);
    rc = sha256_file(path, out->sha256, e);
    if (rc) ds_data_free(out);
    return rc;
}

/*
 * IDX reader (MNIST, Fashion-MNIST): a big-endian header (magic, then one u32 per dimension)
 * and the bytes. zlib's gz* functions read gzipped and plain files alike. The images file
 * (magic 0x00000803: n, rows, cols) and the labels file (magic 0x00000801: n) must agree on
 * n; a short file is reported with the byte offset (after gunzip) where the data stopped.
 */
#include "ds_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_MAGIC_IMAGES 0x00000803u
#define IDX_MAGIC_LABELS 0x00000801u
#define IDX_MAX_SIDE 4096u

/* An open IDX file and how many (uncompressed) bytes were read from it. */
struct idx_file {
    gzFile gz;
    const char *path;
    uint64_t offset;
};

static int idx_open(struct idx_file *f, const char *path, struct err *e)
{
    f->path = path;
    f->offset = 0;
    errno = 0;
    f->gz = gzopen(path, "rb");
    if (!f->gz) return err_errno(e, errno ? errno : ENOMEM, "cannot open %s", path);
    gzbuffer(f->gz, 1 << 17);
    return SIREN_OK;
}

/* Reads exactly len bytes or fails naming the offset where the data ran out. */
static int idx_read(struct idx_file *f, void *buf, size_t len, const char *what, struct err *e)
{
    uint8_t *p = buf;
    size_t left = len;
    while (left > 0) {
        unsigned chunk = left > (1u << 30) ? (1u << 30) : (unsigned)left;
        int got = gzread(f->gz, p, chunk);
        if (got < 0) {
            int zerr;
            const char *msg = gzerror(f->gz, &zerr);
            return err_set(e, SIREN_EFORMAT, "%s: byte %llu: %s: %s", ds_basename(f->path),
                           (unsigned long long)f->offset, what, msg);
        }
        if (got == 0) {
            return err_set(e, SIREN_EFORMAT,
                           "%s: truncated at byte %llu: %s needs %zu more bytes",
                           ds_basename(f->path), (unsigned long long)f->offset, what, left);
        }
        p += got;
        left -= (size_t)got;
        f->offset += (uint64_t)got;
    }
    return SIREN_OK;
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Reads the magic and the dimensions; ndims is 3 for images and 1 for labels. */
static int idx_header(struct idx_file *f, uint32_t magic, int ndims, uint32_t *dims,
                      struct err *e)
{
    uint8_t hdr[16];
    int rc = idx_read(f, hdr, 4 + 4 * (size_t)ndims, "header", e);
    if (rc) return rc;
    uint32_t got = be32(hdr);
    if (got != magic)
        return err_set(e, SIREN_EFORMAT, "%s: bad magic 0x%08x, expected 0x%08x (%s)",
                       ds_basename(f->path), got, magic,
                       magic == IDX_MAGIC_IMAGES ? "IDX unsigned-byte images, 3 dimensions"
                                                 : "IDX unsigned-byte labels, 1 dimension");
    for (int i = 0; i < ndims; i++) dims[i] = be32(hdr + 4 + 4 * i);
    return SIREN_OK;
}

/* After the data there must be nothing left: trailing bytes mean a wrong header. */
static int idx_expect_end(struct idx_file *f, struct err *e)
{
    uint8_t extra;
    int got = gzread(f->gz, &extra, 1);
    if (got > 0)
        return err_set(e, SIREN_EFORMAT, "%s: unexpected data after byte %llu (header says the "
                       "file ends there)", ds_basename(f->path), (unsigned long long)f->offset);
    if (got < 0) {
        int zerr;
        return err_set(e, SIREN_EFORMAT, "%s: byte %llu: %s", ds_basename(f->path),
                       (unsigned long long)f->offset, gzerror(f->gz, &zerr));
    }
    return SIREN_OK;
}

/* Reads `bytes` bytes into a buffer that grows with the data actually read, so a header that
 * claims more than the file holds fails with the truncation error (naming the byte offset)
 * instead of allocating what it claims. Caller owns *out (free()). */
static int idx_read_alloc(struct idx_file *f, size_t bytes, const char *what, uint8_t **out,
                          struct err *e)
{
    size_t cap = bytes < ((size_t)1 << 20) ? bytes : ((size_t)1 << 20), got = 0;
    uint8_t *buf = malloc(cap ? cap : 1);
    while (buf && got < bytes) {
        if (got == cap) {
            size_t want = cap * 2 < bytes ? cap * 2 : bytes;
            uint8_t *grown = realloc(buf, want);
            if (!grown) break;
            buf = grown;
            cap = want;
        }
        int rc = idx_read(f, buf + got, cap - got, what, e);
        if (rc) {
            free(buf);
            return rc;
        }
        got = cap;
    }
    if (!buf || got < bytes) {
        free(buf);
        return err_set(e, SIREN_ENOMEM, "out of memory for %zu bytes of %s", bytes, what);
    }
    *out = buf;
    return SIREN_OK;
}

static int idx_read_images(const char *path, struct ds_data *out, struct err *e)
{
    struct idx_file f;
    int rc = idx_open(&f, path, e);
    if (rc) return rc;
    uint32_t dims[3];
    rc = idx_header(&f, IDX_MAGIC_IMAGES, 3, dims, e);
    if (rc) goto out;
    if (dims[1] == 0 || dims[2] == 0 || dims[1] > IDX_MAX_SIDE || dims[2] > IDX_MAX_SIDE) {
        rc = err_set(e, SIREN_EFORMAT, "%s: bad image size %ux%u", ds_basename(path), dims[1],
                     dims[2]);
        goto out;
    }
    size_t bytes = (size_t)dims[0] * dims[1] * dims[2];
    rc = idx_read_alloc(&f, bytes, "pixel data", &out->pixels, e);
    if (rc) goto out;
    rc = idx_expect_end(&f, e);
    if (rc) goto out;
    out->rows = dims[0];
    out->channels = 1;
    out->height = (int)dims[1];
    out->width = (int)dims[2];
out:
    gzclose(f.gz);
    return rc;
}

static int idx_read_labels(const char *path, size_t *rows, int32_t **labels, struct err *e)
{
    struct idx_file f;
    uint8_t *raw = NULL;
    int rc = idx_open(&f, path, e);
    if (rc) return rc;
    uint32_t n;
    rc = idx_header(&f, IDX_MAGIC_LABELS, 1, &n, e);
    if (rc) goto out;
    rc = idx_read_alloc(&f, n, "label data", &raw, e);
    if (rc) goto out;
    *labels = malloc((n ? n : 1) * sizeof **labels);
    if (!*labels) {
        rc = err_set(e, SIREN_ENOMEM, "%s: out of memory for %u labels", path, n);
        goto out;
    }
    rc = idx_expect_end(&f, e);
    if (rc) goto out;
    for (uint32_t i = 0; i < n; i++) {
        if (raw[i] > 9) {
            rc = err_set(e, SIREN_EFORMAT, "%s: byte %u: label %u of item %u outside 0..9",
                         ds_basename(path), 8 + i, raw[i], i);
            goto out;
        }
        (*labels)[i] = raw[i];
    }
    *rows = n;
out:
    free(raw);
    if (rc) {
        free(*labels);
        *labels = NULL;
    }
    gzclose(f.gz);
    return rc;
}

int ds_idx_read(const char *images_path, const char *labels_path, struct ds_data *out,
                struct err *e)
{
    memset(out, 0, sizeof *out);
    int rc;
    size_t nlabels = 0;
    int32_t *labels = NULL;
    if (images_path) {
        rc = idx_read_images(images_path, out, e);
        if (rc) goto fail;
    }
    if (labels_path) {
        rc = idx_read_labels(labels_path, &nlabels, &labels, e);
        if (rc) goto fail;
        if (images_path && nlabels != out->rows) {
            rc = err_set(e, SIREN_EFORMAT, "%s has %zu images but %s has %zu labels",
                         ds_basename(images_path), out->rows, ds_basename(labels_path),
                         nlabels);
            goto fail;
        }
    }
    if (!images_path) {
        /* Labels alone: rows without pixels, for `info --file` on a labels file. */
        out->rows = nlabels;
        out->channels = 1;
        out->height = out->width = 0;
    }
    if (!labels) labels = calloc(out->rows ? out->rows : 1, sizeof *labels);
    if (!labels) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto fail;
    }
    out->labels = labels;
    out->layout = DS_IMAGES_U8;
    out->classes = 10;
    snprintf(out->name, sizeof out->name, "file");
    snprintf(out->split, sizeof out->split, "all");
    snprintf(out->source, sizeof out->source, "%s%s%s", images_path ? images_path : "",
             images_path && labels_path ? " " : "", labels_path ? labels_path : "");
    return SIREN_OK;
fail:
    free(labels);
    ds_data_free(out);
    return rc;
}

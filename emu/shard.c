/* Batch shards and parameter objects (see shard.h). Layout of a batch shard:
 *   header (64 bytes): magic "SRNSHRD1", u32 layout, u32 n, u32 classes, u32 channels,
 *   u32 height, u32 width, u32 seq_len, u32 reserved, u64 nnz, 8 bytes reserved;
 *   then labels (n int32), then pixels (n*c*h*w bytes) | tokens (n*L int32) |
 *   row_ptr ((n+1) u64), col (nnz u32), val (nnz f32); each array starts 8-byte aligned.
 * Parameter object: header (32 bytes): magic "SRNPRMS1", u64 n, u32 optimiser kind (0 none),
 *   u32 state arrays (0, 1 or 2), i64 Adam step; then params (n f32), then the state arrays. */
#include "shard.h"

#include <stdlib.h>
#include <string.h>

#define SHARD_MAGIC "SRNSHRD1"
#define PARAMS_MAGIC "SRNPRMS1"
#define SHARD_HEADER 64

static size_t align8(size_t x) { return (x + 7) & ~(size_t)7; }

static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Byte sizes of the arrays after the header, in order. */
struct shard_sizes {
    size_t labels, body1, body2, body3, total;
};

static struct shard_sizes sizes_of(enum ds_layout layout, size_t n, size_t px, size_t L,
                                   size_t nnz)
{
    struct shard_sizes s = {0};
    s.labels = n * 4;
    if (layout == DS_IMAGES_U8) s.body1 = n * px;
    else if (layout == DS_TOKENS_I32) s.body1 = n * L * 4;
    else {
        s.body1 = (n + 1) * 8;
        s.body2 = nnz * 4;
        s.body3 = nnz * 4;
    }
    s.total = SHARD_HEADER + align8(s.labels) + align8(s.body1) + align8(s.body2) + align8(s.body3);
    return s;
}

int shard_encode(const struct ds_data *d, const uint32_t *idx, size_t n, uint8_t **out,
                 size_t *len, struct err *e)
{
    *out = NULL;
    size_t px = (size_t)d->channels * (size_t)d->height * (size_t)d->width;
    size_t L = (size_t)d->seq_len, nnz = 0;
    for (size_t i = 0; i < n; i++) {
        if (idx[i] >= d->rows)
            return err_set(e, SIREN_ERANGE, "shard: row %u of a %zu-row split", idx[i], d->rows);
        if (d->layout == DS_SPARSE_CSR) nnz += d->row_ptr[idx[i] + 1] - d->row_ptr[idx[i]];
    }
    struct shard_sizes s = sizes_of(d->layout, n, px, L, nnz);
    uint8_t *buf = calloc(1, s.total);
    if (!buf) return err_set(e, SIREN_ENOMEM, "shard: out of memory");
    memcpy(buf, SHARD_MAGIC, 8);
    put_u32(buf + 8, (uint32_t)d->layout);
    put_u32(buf + 12, (uint32_t)n);
    put_u32(buf + 16, (uint32_t)d->classes);
    put_u32(buf + 20, (uint32_t)d->channels);
    put_u32(buf + 24, (uint32_t)d->height);
    put_u32(buf + 28, (uint32_t)d->width);
    put_u32(buf + 32, (uint32_t)d->seq_len);
    put_u64(buf + 40, nnz);
    uint8_t *p = buf + SHARD_HEADER;
    for (size_t i = 0; i < n; i++) memcpy(p + i * 4, &d->labels[idx[i]], 4);
    p += align8(s.labels);
    if (d->layout == DS_IMAGES_U8) {
        for (size_t i = 0; i < n; i++) memcpy(p + i * px, d->pixels + (size_t)idx[i] * px, px);
    } else if (d->layout == DS_TOKENS_I32) {
        for (size_t i = 0; i < n; i++)
            memcpy(p + i * L * 4, d->tokens + (size_t)idx[i] * L, L * 4);
    } else {
        uint8_t *cols = p + align8(s.body1), *vals = cols + align8(s.body2);
        uint64_t at = 0;
        put_u64(p, 0);
        for (size_t i = 0; i < n; i++) {
            uint64_t lo = d->row_ptr[idx[i]], hi = d->row_ptr[idx[i] + 1];
            memcpy(cols + at * 4, d->col + lo, (hi - lo) * 4);
            if (d->val) {
                memcpy(vals + at * 4, d->val + lo, (hi - lo) * 4);
            } else {
                float one = 1.0f;
                for (uint64_t j = 0; j < hi - lo; j++) memcpy(vals + (at + j) * 4, &one, 4);
            }
            at += hi - lo;
            put_u64(p + (i + 1) * 8, at);
        }
    }
    *out = buf;
    *len = s.total;
    return SIREN_OK;
}

int shard_decode(const uint8_t *buf, size_t len, const char *key, struct shard_view *out,
                 struct err *e)
{
    memset(out, 0, sizeof *out);
    if (len < SHARD_HEADER || memcmp(buf, SHARD_MAGIC, 8))
        return err_set(e, SIREN_EFORMAT, "%s: not a batch shard (bad magic or too short)", key);
    /* Every size is checked as the unsigned number it is stored as, before any arithmetic, and
     * every product is bounded by the object's own length, so no header can make the sizes
     * wrap around and pass the length check. */
    uint32_t layout = get_u32(buf + 8), n = get_u32(buf + 12), classes = get_u32(buf + 16);
    uint32_t channels = get_u32(buf + 20), height = get_u32(buf + 24), width = get_u32(buf + 28);
    uint32_t seq_len = get_u32(buf + 32);
    uint64_t nnz = get_u64(buf + 40);
    if (layout != DS_IMAGES_U8 && layout != DS_TOKENS_I32 && layout != DS_SPARSE_CSR)
        return err_set(e, SIREN_EFORMAT, "%s: batch shard layout %u is unknown", key, layout);
    if (n == 0 || n > (1u << 24) || classes < 1 || classes > 65536 || channels > 4096 ||
        height > 65536 || width > 65536 || seq_len > (1u << 20) || nnz > len)
        return err_set(e, SIREN_EFORMAT, "%s: batch shard sizes out of range", key);
    uint64_t px = (uint64_t)channels * height * width; /* < 2^44 */
    uint64_t per_row = layout == DS_IMAGES_U8 ? px : layout == DS_TOKENS_I32 ? (uint64_t)seq_len * 4 : 8;
    if (per_row && n > len / per_row)
        return err_set(e, SIREN_EFORMAT, "%s: batch shard of %zu bytes cannot hold %u rows", key,
                       len, n);
    out->layout = (enum ds_layout)layout;
    out->n = n;
    out->classes = (int)classes;
    out->channels = (int)channels;
    out->height = (int)height;
    out->width = (int)width;
    out->seq_len = (int)seq_len;
    out->nnz = nnz;
    struct shard_sizes s = sizes_of(out->layout, out->n, (size_t)px, (size_t)out->seq_len, out->nnz);
    if (s.total != len)
        return err_set(e, SIREN_EFORMAT, "%s: batch shard of %zu bytes, its header says %zu", key,
                       len, s.total);
    const uint8_t *p = buf + SHARD_HEADER;
    out->labels = (const int32_t *)p;
    p += align8(s.labels);
    if (out->layout == DS_IMAGES_U8) {
        out->pixels = p;
    } else if (out->layout == DS_TOKENS_I32) {
        out->tokens = (const int32_t *)p;
    } else {
        out->row_ptr = (const uint64_t *)p;
        out->col = (const uint32_t *)(p + align8(s.body1));
        out->val = (const float *)(p + align8(s.body1) + align8(s.body2));
        for (uint32_t i = 0; i < out->n; i++)
            if (out->row_ptr[i + 1] < out->row_ptr[i] || out->row_ptr[i + 1] > out->nnz)
                return err_set(e, SIREN_EFORMAT, "%s: batch shard row %u has bad offsets", key, i);
        if (out->row_ptr[0] != 0 || out->row_ptr[out->n] != out->nnz)
            return err_set(e, SIREN_EFORMAT, "%s: batch shard offsets do not cover its values",
                           key);
    }
    for (uint32_t i = 0; i < out->n; i++)
        if (out->labels[i] < 0 || out->labels[i] >= out->classes)
            return err_set(e, SIREN_EFORMAT, "%s: batch shard row %u has label %d, expected 0..%d",
                           key, i, out->labels[i], out->classes - 1);
    return SIREN_OK;
}

/* State arrays an optimiser keeps: momentum 1, Adam 2, plain SGD 0. */
static uint32_t state_arrays(const struct kn_optim *o)
{
    if (!o) return 0;
    if (o->cfg.kind == KN_OPTIM_ADAM) return 2;
    return o->cfg.momentum != 0.0f ? 1 : 0;
}

int params_encode(const float *params, size_t n, const struct kn_optim *o, uint8_t **out,
                  size_t *len, struct err *e)
{
    uint8_t hdr[PARAMS_HEADER_BYTES];
    struct kv_iov iov[PARAMS_IOV_MAX];
    /* The pieces are only read here. */
    int k = params_iov((float *)params, n, o, hdr, iov);
    *out = kv_iov_gather(iov, k, len);
    return *out ? SIREN_OK : err_set(e, SIREN_ENOMEM, "params: out of memory");
}

int params_iov(float *params, size_t n, const struct kn_optim *o, uint8_t *hdr,
               struct kv_iov *iov)
{
    uint32_t arrays = state_arrays(o);
    memcpy(hdr, PARAMS_MAGIC, 8);
    put_u64(hdr + 8, n);
    put_u32(hdr + 16, arrays ? (uint32_t)o->cfg.kind : 0);
    put_u32(hdr + 20, arrays);
    put_u64(hdr + 24, (uint64_t)(o ? o->t : 0));
    int k = 0;
    iov[k++] = (struct kv_iov){hdr, PARAMS_HEADER_BYTES};
    iov[k++] = (struct kv_iov){params, n * 4};
    if (arrays >= 1) iov[k++] = (struct kv_iov){o->m, n * 4};
    if (arrays >= 2) iov[k++] = (struct kv_iov){o->v, n * 4};
    return k;
}

int params_iov_took(const uint8_t *hdr, size_t n, struct kn_optim *o)
{
    uint32_t want = state_arrays(o);
    if (memcmp(hdr, PARAMS_MAGIC, 8) || get_u64(hdr + 8) != n || get_u32(hdr + 20) != want ||
        (want && get_u32(hdr + 16) != (uint32_t)o->cfg.kind))
        return 0;
    if (o) {
        /* As params_decode: the step count travels with a state of o's kind only. */
        int64_t t;
        memcpy(&t, hdr + 24, 8);
        o->t = want ? t : 0;
    }
    return 1;
}

int params_decode(const uint8_t *buf, size_t len, const char *key, float *params, size_t n,
                  struct kn_optim *o, struct err *e)
{
    if (len < PARAMS_HEADER_BYTES || memcmp(buf, PARAMS_MAGIC, 8))
        return err_set(e, SIREN_EFORMAT, "%s: not a parameter object (bad magic or too short)",
                       key);
    uint64_t found = get_u64(buf + 8);
    uint32_t kind = get_u32(buf + 16), arrays = get_u32(buf + 20);
    if (found != n)
        return err_set(e, SIREN_EFORMAT, "%s: parameter object holds %llu parameters, the model "
                       "has %zu", key, (unsigned long long)found, n);
    if (arrays > 2 || len != PARAMS_HEADER_BYTES + n * 4 * (1 + (size_t)arrays))
        return err_set(e, SIREN_EFORMAT, "%s: parameter object of %zu bytes does not match its "
                       "header", key, len);
    memcpy(params, buf + PARAMS_HEADER_BYTES, n * 4);
    if (o) {
        uint32_t want = state_arrays(o);
        int same = want && want == arrays && kind == (uint32_t)o->cfg.kind;
        if (o->m) {
            if (same) memcpy(o->m, buf + PARAMS_HEADER_BYTES + n * 4, n * 4);
            else memset(o->m, 0, n * 4);
        }
        if (o->v) {
            if (same && arrays == 2) memcpy(o->v, buf + PARAMS_HEADER_BYTES + n * 8, n * 4);
            else memset(o->v, 0, n * 4);
        }
        int64_t t;
        memcpy(&t, buf + 24, 8);
        o->t = same ? t : 0;
    }
    return SIREN_OK;
}

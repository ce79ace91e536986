/*
 * A real training split at another size (`--rows N`): the real rows, then seeded
 * augmentations of them, or a seeded sample of them (see datasets.h).
 *
 * Row g >= base has its own RNG stream (seed, AUG_STREAM_ROW ^ g) and draws in a fixed order
 * (images: dx, dy, flip; tokens: one draw per token, the kept token when all were dropped,
 * the swap), so a row never depends on another row, on N or on the slice it is made in.
 * The choice of augmentations and their sources are in datasets/README.md.
 */
#include "ds_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The streams of the augmented rows and of the sample of N < base rows. */
#define AUG_STREAM_ROW (0xa06ull << 40)
#define AUG_STREAM_SAMPLE 0xa06a5ull

size_t ds_augment_row_bytes(const struct ds_data *d)
{
    switch (d->layout) {
    case DS_IMAGES_U8:
        return sizeof(int32_t) + (size_t)d->channels * (size_t)d->height * (size_t)d->width;
    case DS_TOKENS_I32: return sizeof(int32_t) + (size_t)d->seq_len * sizeof(int32_t);
    case DS_SPARSE_CSR: return 0;
    }
    return 0;
}

/* Bytes of memory the system can give now without swapping (MemAvailable), else its
 * physical memory; 0 when neither is known. */
static size_t memory_available_bytes(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        char line[256];
        unsigned long long kb;
        while (fgets(line, sizeof line, f)) {
            if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
                fclose(f);
                return (size_t)kb * 1024u;
            }
        }
        fclose(f);
    }
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (size_t)pages * (size_t)page : 0;
}

/* Image row g: the source translated by (dx, dy) in -SHIFT..SHIFT, mirrored first when
 * `flips` and the draw says so; pixels shifted in from outside are 0. src and dst are
 * (channels, height, width). */
static void augment_image(const struct ds_data *b, int flips, struct rng *r, const uint8_t *src,
                          uint8_t *dst)
{
    const int span = 2 * DS_AUGMENT_SHIFT_MAX + 1;
    int dx = (int)rng_below(r, (uint64_t)span) - DS_AUGMENT_SHIFT_MAX;
    int dy = (int)rng_below(r, (uint64_t)span) - DS_AUGMENT_SHIFT_MAX;
    int flip = rng_below(r, 2) == 1 && flips;
    const int H = b->height, W = b->width;
    for (int c = 0; c < b->channels; c++) {
        const uint8_t *s = src + (size_t)c * (size_t)H * (size_t)W;
        uint8_t *d = dst + (size_t)c * (size_t)H * (size_t)W;
        for (int y = 0; y < H; y++) {
            int sy = y - dy;
            for (int x = 0; x < W; x++) {
                int sx = x - dx;
                if (flip) sx = W - 1 - sx;
                d[(size_t)y * (size_t)W + (size_t)x] =
                    sy >= 0 && sy < H && sx >= 0 && sx < W ? s[(size_t)sy * (size_t)W + (size_t)sx] : 0;
            }
        }
    }
}

/* Token row g: the sentence is the tokens up to the last non-padding one; each is removed
 * with probability 1/DROP_IN (one drawn at random is kept when all would go), then one pair
 * of adjacent tokens is swapped. src and dst are (seq_len). */
static void augment_tokens(int seq_len, struct rng *r, const int32_t *src, int32_t *dst)
{
    int n = seq_len;
    while (n > 0 && src[n - 1] == 0) n--;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (rng_below(r, DS_AUGMENT_DROP_IN) != 0) dst[m++] = src[i];
    if (m == 0 && n > 0) dst[m++] = src[rng_below(r, (uint64_t)n)];
    if (m >= 2) {
        int i = (int)rng_below(r, (uint64_t)(m - 1));
        int32_t t = dst[i];
        dst[i] = dst[i + 1];
        dst[i + 1] = t;
    }
    for (int i = m; i < seq_len; i++) dst[i] = 0;
}

/* out's shape, provenance and vocabulary from base; its arrays for `rows` rows. */
static int alloc_like(const struct ds_data *base, size_t rows, struct ds_data *out,
                      struct err *e)
{
    memset(out, 0, sizeof *out);
    out->layout = base->layout;
    out->rows = rows;
    out->classes = base->classes;
    out->channels = base->channels;
    out->height = base->height;
    out->width = base->width;
    out->seq_len = base->seq_len;
    out->vocab_size = base->vocab_size;
    out->seed = base->seed;
    memcpy(out->name, base->name, sizeof out->name);
    memcpy(out->split, base->split, sizeof out->split);
    memcpy(out->source, base->source, sizeof out->source);
    memcpy(out->sha256, base->sha256, sizeof out->sha256);
    size_t per_row = ds_augment_row_bytes(base) - sizeof(int32_t);
    out->labels = malloc((rows ? rows : 1) * sizeof *out->labels);
    if (base->layout == DS_IMAGES_U8) out->pixels = malloc(rows ? rows * per_row : 1);
    else out->tokens = malloc(rows ? rows * per_row : 1);
    int ok = out->labels && (out->pixels || out->tokens);
    if (ok && base->vocab) {
        out->vocab = calloc((size_t)base->vocab_size, sizeof *out->vocab);
        ok = out->vocab != NULL;
        for (int i = 0; ok && i < base->vocab_size; i++)
            ok = (out->vocab[i] = strdup(base->vocab[i] ? base->vocab[i] : "")) != NULL;
    }
    if (!ok) {
        ds_data_free(out);
        return err_set(e, SIREN_ENOMEM, "out of memory for %zu rows x %zu bytes = %zu bytes",
                       rows, per_row + sizeof(int32_t), rows * (per_row + sizeof(int32_t)));
    }
    return SIREN_OK;
}

/* The sample of N < base rows: ids[i] = entry first+i of a forward Fisher-Yates shuffle of
 * 0..base-1 seeded by `seed`; entry i depends on the draws of entries 0..i only, so it is the
 * same for every N. */
static int sample_ids(size_t base, uint64_t seed, size_t first, size_t count, uint32_t *ids,
                      struct err *e)
{
    uint32_t *perm = malloc(base * sizeof *perm);
    if (!perm) return err_set(e, SIREN_ENOMEM, "out of memory for a shuffle of %zu rows", base);
    for (size_t i = 0; i < base; i++) perm[i] = (uint32_t)i;
    struct rng r;
    rng_seed_stream(&r, seed, AUG_STREAM_SAMPLE);
    for (size_t i = 0; i < first + count; i++) {
        size_t j = i + (size_t)rng_below(&r, (uint64_t)(base - i));
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    memcpy(ids, perm + first, count * sizeof *ids);
    free(perm);
    return SIREN_OK;
}

int ds_augment_make(const struct ds_data *base, const struct ds_augment_opts *opts,
                    struct ds_data *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    const char *what = base->name[0] ? base->name : "data";
    const char *split = base->split[0] ? base->split : "split";
    if (base->layout != DS_IMAGES_U8 && base->layout != DS_TOKENS_I32)
        return err_set(e, SIREN_EINVAL,
                       "%s %s: %s rows have no augmentation (images and token ids have)", what,
                       split, ds_layout_name(base->layout));
    if (base->rows == 0 || base->rows > DS_AUGMENT_MAX_ROWS)
        return err_set(e, SIREN_EINVAL, "%s %s: %zu real rows, expected 1..%u", what, split,
                       base->rows, DS_AUGMENT_MAX_ROWS);
    size_t N = opts->rows;
    if (N == 0 || N > DS_AUGMENT_MAX_ROWS)
        return err_set(e, SIREN_EINVAL, "%zu rows: expected 1..%u (row ids are 32-bit)", N,
                       DS_AUGMENT_MAX_ROWS);
    size_t first = opts->first_row;
    if (first >= N) return err_set(e, SIREN_EINVAL, "row %zu of a %zu-row split", first, N);
    size_t count = opts->count ? opts->count : N - first;
    if (count > N - first)
        return err_set(e, SIREN_EINVAL, "%zu rows from row %zu of a %zu-row split", count,
                       first, N);
    size_t row_bytes = ds_augment_row_bytes(base), need = count * row_bytes;
    size_t avail = memory_available_bytes();
    if (avail && need > avail) {
        char h_need[32], h_avail[32];
        return err_set(e, SIREN_ENOMEM,
                       "%zu rows x %zu bytes = %zu bytes (%s), more than the %zu bytes (%s) of "
                       "memory available",
                       count, row_bytes, need, fmt_bytes((double)need, h_need, sizeof h_need),
                       avail, fmt_bytes((double)avail, h_avail, sizeof h_avail));
    }
    uint32_t *ids = NULL;
    if (N < base->rows) {
        ids = malloc(count * sizeof *ids);
        if (!ids) return err_set(e, SIREN_ENOMEM, "out of memory for %zu row ids", count);
        int rc = sample_ids(base->rows, opts->seed, first, count, ids, e);
        if (rc) {
            free(ids);
            return rc;
        }
    }
    int rc = alloc_like(base, count, out, e);
    if (rc) {
        free(ids);
        return rc;
    }
    const size_t per_row = row_bytes - sizeof(int32_t);
    const int flips = base->layout == DS_IMAGES_U8 && !strcmp(base->name, "fashion-mnist");
    for (size_t i = 0; i < count; i++) {
        size_t g = first + i, src = ids ? ids[i] : g % base->rows;
        out->labels[i] = base->labels[src];
        int real = ids || g < base->rows;
        if (base->layout == DS_IMAGES_U8) {
            const uint8_t *s = base->pixels + src * per_row;
            uint8_t *d = out->pixels + i * per_row;
            if (real) {
                memcpy(d, s, per_row);
            } else {
                struct rng r;
                rng_seed_stream(&r, opts->seed, AUG_STREAM_ROW ^ (uint64_t)g);
                augment_image(base, flips, &r, s, d);
            }
        } else {
            const size_t L = (size_t)base->seq_len;
            const int32_t *s = base->tokens + src * L;
            int32_t *d = out->tokens + i * L;
            if (real) {
                memcpy(d, s, L * sizeof *d);
            } else {
                struct rng r;
                rng_seed_stream(&r, opts->seed, AUG_STREAM_ROW ^ (uint64_t)g);
                augment_tokens(base->seq_len, &r, s, d);
            }
        }
    }
    free(ids);
    return SIREN_OK;
}

int ds_augment_resize(struct ds_data *d, size_t rows, uint64_t seed, struct err *e)
{
    if (rows == d->rows) return SIREN_OK;
    struct ds_augment_opts o = {.rows = rows, .seed = seed};
    struct ds_data out;
    int rc = ds_augment_make(d, &o, &out, e);
    if (rc) return rc;
    ds_data_free(d);
    *d = out;
    return SIREN_OK;
}

/*
 * fuzz_idx: IDX image and label files (ds_idx_read), raw or gzipped.
 * Input: one control byte, then the data. Control bits 0-1 choose the files (0 images only,
 * 1 labels only, 2 and 3 both: the data is split at the first "\n--\n", images before it);
 * bit 2 writes the files gzip-compressed so the same bytes also go through zlib's path.
 */
#include "datasets.h"
#include "fuzz_util.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char *put(int slot, const char *name, const uint8_t *d, size_t n, int gz)
{
    if (!gz) return fuzz_write_file(slot, name, d, n);
    const char *path = fuzz_write_file(slot, name, NULL, 0);
    gzFile f = gzopen(path, "wb1");
    if (!f) abort();
    if (n && gzwrite(f, d, (unsigned)n) != (int)n) abort();
    gzclose(f);
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    fuzz_quiet();
    int mode = data[0] & 3, gz = (data[0] >> 2) & 1;
    const uint8_t *a, *b;
    size_t a_len, b_len;
    int has_b;
    fuzz_split(data + 1, size - 1, "\n--\n", 4, &a, &a_len, &b, &b_len, &has_b);
    const char *images = NULL, *labels = NULL;
    if (mode == 0) images = put(0, "images-idx3-ubyte", data + 1, size - 1, gz);
    else if (mode == 1) labels = put(1, "labels-idx1-ubyte", data + 1, size - 1, gz);
    else {
        images = put(0, "images-idx3-ubyte", a, a_len, gz);
        labels = put(1, "labels-idx1-ubyte", b, b_len, gz);
    }
    struct ds_data d;
    struct err e;
    if (ds_idx_read(images, labels, &d, &e) == SIREN_OK) {
        struct err e2;
        /* Data the reader accepts must satisfy the invariants every consumer relies on (a
         * labels file alone gives rows without pixels, which the check rightly refuses). */
        if (images && ds_data_check(&d, "idx", &e2) != SIREN_OK) abort();
        ds_data_free(&d);
    }
    return 0;
}

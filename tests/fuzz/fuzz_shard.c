/*
 * fuzz_shard: batch shards (shard_decode). The input is the object, copied to a heap buffer
 * of exactly its length (as kv_get returns it). When a shard is accepted, every array the view
 * points at is read to its end, so a view that reaches past the object is an ASan report.
 */
#include "shard.h"
#include "fuzz_util.h"

#include <stdlib.h>
#include <string.h>

static volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    uint8_t *obj = malloc(size ? size : 1);
    if (!obj) abort();
    memcpy(obj, data, size);
    struct shard_view v;
    struct err e;
    if (shard_decode(obj, size, "fuzz/shard", &v, &e) == SIREN_OK) {
        uint64_t acc = 0;
        for (uint32_t i = 0; i < v.n; i++) acc += (uint32_t)v.labels[i];
        if (v.layout == DS_IMAGES_U8) {
            size_t px = (size_t)v.channels * (size_t)v.height * (size_t)v.width;
            for (size_t i = 0; i < (size_t)v.n * px; i++) acc += v.pixels[i];
        } else if (v.layout == DS_TOKENS_I32) {
            for (size_t i = 0; i < (size_t)v.n * (size_t)v.seq_len; i++) acc += (uint32_t)v.tokens[i];
        } else {
            for (uint32_t i = 0; i <= v.n; i++) acc += v.row_ptr[i];
            for (uint64_t k = 0; k < v.nnz; k++) {
                float f;
                memcpy(&f, &v.val[k], sizeof f);
                acc += v.col[k] + (f != 0.0f);
            }
        }
        sink = acc;
    }
    free(obj);
    return 0;
}

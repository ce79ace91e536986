/*
 * fuzz_params: parameter objects (params_decode). Input: a control byte (bits 0-1: the
 * optimiser whose state is loaded: none, plain SGD, SGD with momentum, Adam; bit 2: take the
 * parameter count from the object's own header when it is small, else from byte 1; at least
 * 1, as every model has parameters), then the object, copied to a heap buffer of exactly its
 * length. An accepted object is re-encoded and its parameters must come back unchanged.
 */
#include "shard.h"
#include "fuzz_util.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    fuzz_quiet();
    int opt = data[0] & 3, from_header = (data[0] >> 2) & 1;
    size_t len = size - 2;
    size_t n = data[1] ? data[1] : 1;
    if (from_header && len >= 16) {
        uint64_t h = 0;
        for (int i = 0; i < 8; i++) h |= (uint64_t)data[2 + 8 + i] << (8 * i);
        if (h >= 1 && h <= MAX_PARAMS) n = (size_t)h;
    }
    uint8_t *obj = malloc(len ? len : 1);
    float *params = malloc((n ? n : 1) * sizeof *params);
    if (!obj || !params) abort();
    memcpy(obj, data + 2, len);
    struct kn_optim o = {0}, *op = NULL;
    struct err e;
    if (opt) {
        struct kn_optim_config c = kn_optim_config_default(opt == 3 ? KN_OPTIM_ADAM : KN_OPTIM_SGD);
        if (opt == 1) c.momentum = 0.0f;
        if (opt == 2 && c.momentum == 0.0f) c.momentum = 0.9f;
        if (kn_optim_init(&o, &c, n, &e) != SIREN_OK) {
            /* Refused options (no parameters at all) are not the decoder's concern. */
            free(params);
            free(obj);
            return 0;
        }
        op = &o;
    }
    if (params_decode(obj, len, "fuzz/params", params, n, op, &e) == SIREN_OK) {
        uint8_t *again = NULL;
        size_t again_len = 0;
        if (params_encode(params, n, op, &again, &again_len, &e) != SIREN_OK) abort();
        /* The parameters themselves always round-trip. */
        if (memcmp(again + 32, obj + 32, n * sizeof(float))) abort();
        free(again);
    }
    kn_optim_free(&o);
    free(params);
    free(obj);
    return 0;
}

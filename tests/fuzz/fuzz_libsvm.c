/*
 * fuzz_libsvm: LIBSVM text (ds_libsvm_read). Input: a control byte (below 128: dim 0, the
 * largest index seen; else dim = byte - 127, so small fixed dimensions are tried too), then
 * the text. Accepted data must pass ds_data_check.
 */
#include "datasets.h"
#include "fuzz_util.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    fuzz_quiet();
    uint32_t dim = data[0] < 128 ? 0 : (uint32_t)data[0] - 127;
    const char *path = fuzz_write_file(0, "a9a", data + 1, size - 1);
    struct ds_data d;
    struct err e, e2;
    if (ds_libsvm_read(path, dim, &d, &e) == SIREN_OK) {
        if (ds_data_check(&d, "libsvm", &e2) != SIREN_OK) abort();
        ds_data_free(&d);
    }
    return 0;
}

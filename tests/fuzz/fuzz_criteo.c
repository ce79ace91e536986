/*
 * fuzz_criteo: Criteo display-advertising TSV (ds_criteo_read). Input: a control byte
 * (hash_bits = byte % 32, so 0 and 31 check that bad options are refused), then the text;
 * a "\n--\n" splits it into two files read in order. Accepted data must pass ds_data_check.
 */
#include "datasets.h"
#include "fuzz_util.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    fuzz_quiet();
    int hash_bits = data[0] % 32;
    const uint8_t *a, *b;
    size_t a_len, b_len;
    int has_b;
    fuzz_split(data + 1, size - 1, "\n--\n", 4, &a, &a_len, &b, &b_len, &has_b);
    const char *paths[2];
    paths[0] = fuzz_write_file(0, "train.txt", a, a_len);
    if (has_b) paths[1] = fuzz_write_file(1, "test.txt", b, b_len);
    struct ds_data d;
    struct err e, e2;
    if (ds_criteo_read(paths, has_b ? 2 : 1, hash_bits, &d, &e) == SIREN_OK) {
        if (ds_data_check(&d, "criteo", &e2) != SIREN_OK) abort();
        ds_data_free(&d);
    }
    return 0;
}

/*
 * fuzz_polarity: sentence-polarity text (ds_polarity_read with a pos and a neg file, and
 * ds_polarity_read_file on one file). Input: a control byte (bit 0: one file or two; bits
 * 1-7: seq_len 0..127, 0 meaning the default), then the text; with two files the text is
 * split at the first "\n--\n" (pos before it). Accepted data must pass ds_data_check.
 */
#include "datasets.h"
#include "fuzz_util.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    fuzz_quiet();
    int two = data[0] & 1, seq_len = data[0] >> 1;
    struct err e, e2;
    struct ds_data train, test;
    if (!two) {
        const char *path = fuzz_write_file(0, "rt-polarity.pos", data + 1, size - 1);
        if (ds_polarity_read_file(path, 1, seq_len, &train, &e) == SIREN_OK) {
            if (ds_data_check(&train, "polarity", &e2) != SIREN_OK) abort();
            ds_data_free(&train);
        }
        return 0;
    }
    const uint8_t *a, *b;
    size_t a_len, b_len;
    int has_b;
    fuzz_split(data + 1, size - 1, "\n--\n", 4, &a, &a_len, &b, &b_len, &has_b);
    const char *pos = fuzz_write_file(0, "rt-polarity.pos", a, a_len);
    const char *neg = fuzz_write_file(1, "rt-polarity.neg", b, b_len);
    struct ds_polarity_opts o = {.seq_len = seq_len, .seed = DS_POLARITY_SEED,
                                 .test_permille = 0};
    if (ds_polarity_read(pos, neg, &o, &train, &test, &e) == SIREN_OK) {
        if (ds_data_check(&train, "polarity train", &e2) != SIREN_OK ||
            ds_data_check(&test, "polarity test", &e2) != SIREN_OK)
            abort();
        ds_data_free(&train);
        ds_data_free(&test);
    }
    return 0;
}

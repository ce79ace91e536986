/*
 * fuzz_raw: ds_raw_read, the `siren data info --file` entry: the format is guessed from the
 * name and then the first bytes, so every reader is reached from one input. Input: a control
 * byte choosing the file name (and so the guess), then the file's bytes. An IDX images name
 * gets no labels file next to it (the directory holds only this one file per name).
 */
#include "datasets.h"
#include "fuzz_util.h"

#include <stdlib.h>
#include <unistd.h>

static const char *const names[] = {
    "data.bin",          "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "rt-polarity.neg",   "rt-polarity.pos",         "train.txt",
    "a9a.t",             "data.svm",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    fuzz_quiet();
    size_t n_names = sizeof names / sizeof names[0];
    const char *name = names[data[0] % n_names];
    const char *path = fuzz_write_file(0, name, data + 1, size - 1);
    struct ds_data d;
    struct err e, e2;
    if (ds_raw_read(path, DS_FMT_UNKNOWN, &d, &e) == SIREN_OK) {
        /* An IDX labels file alone gives rows without pixels (height 0), refused by the check. */
        int labels_only = d.layout == DS_IMAGES_U8 && d.height == 0;
        if (!labels_only && ds_data_check(&d, "raw", &e2) != SIREN_OK) abort();
        ds_data_free(&d);
    }
    /* No file may outlive its input: an images file would otherwise pair with it. */
    unlink(path);
    return 0;
}

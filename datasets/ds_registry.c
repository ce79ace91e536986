/*
 * The registry of named datasets: which raw files each one has, where they come from (the
 * mirror, a distribution package, the publisher's address or its archive), and the SHA-256
 * sums kept in datasets/sums/NAME.sha256 (sha256sum format) that every file must match.
 * Also the two directories everything else is relative to: the data dir and the mirror.
 */
#include "ds_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define LECUN "http://yann.lecun.com/exdb/mnist/"
#define ZALANDO "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
#define DEBIAN_FASHION "/usr/share/datasets/fashion-mnist/"
#define LIBSVM_BIN "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary/"
#define KIM_RAW "https://raw.githubusercontent.com/yoonkim/CNN_sentence/master/"
#define CRITEO_8K_RAW \
    "https://raw.githubusercontent.com/Lapis-Hong/Wide-ResDNN/" \
    "824b21d690c84eec60d51e3755c745833aef779d/data/criteo/"

static const struct ds_entry registry[] = {
    {"mnist", "MNIST handwritten digits, 60,000 + 10,000 images of 28x28 (LeCun et al.)",
     DS_FMT_IDX, 0, 0, NULL, NULL, NULL, 4,
     {{"train-images-idx3-ubyte.gz", "mnist/train-images-idx3-ubyte.gz", NULL,
       LECUN "train-images-idx3-ubyte.gz", NULL},
      {"train-labels-idx1-ubyte.gz", "mnist/train-labels-idx1-ubyte.gz", NULL,
       LECUN "train-labels-idx1-ubyte.gz", NULL},
      {"t10k-images-idx3-ubyte.gz", "mnist/t10k-images-idx3-ubyte.gz", NULL,
       LECUN "t10k-images-idx3-ubyte.gz", NULL},
      {"t10k-labels-idx1-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz", NULL,
       LECUN "t10k-labels-idx1-ubyte.gz", NULL}}},
    {"fashion-mnist", "Fashion-MNIST (Zalando), 60,000 + 10,000 images of 28x28", DS_FMT_IDX, 0, 0,
     NULL, NULL, NULL, 4,
     {{"train-images-idx3-ubyte.gz", "fashion-mnist/train-images-idx3-ubyte.gz",
       DEBIAN_FASHION "train-images-idx3-ubyte.gz", ZALANDO "train-images-idx3-ubyte.gz", NULL},
      {"train-labels-idx1-ubyte.gz", "fashion-mnist/train-labels-idx1-ubyte.gz",
       DEBIAN_FASHION "train-labels-idx1-ubyte.gz", ZALANDO "train-labels-idx1-ubyte.gz", NULL},
      {"t10k-images-idx3-ubyte.gz", "fashion-mnist/t10k-images-idx3-ubyte.gz",
       DEBIAN_FASHION "t10k-images-idx3-ubyte.gz", ZALANDO "t10k-images-idx3-ubyte.gz", NULL},
      {"t10k-labels-idx1-ubyte.gz", "fashion-mnist/t10k-labels-idx1-ubyte.gz",
       DEBIAN_FASHION "t10k-labels-idx1-ubyte.gz", ZALANDO "t10k-labels-idx1-ubyte.gz", NULL}}},
    {"polarity", "sentence polarity v1.0 (Pang & Lee 2005), 5,331 + 5,331 sentences, as published",
     DS_FMT_POLARITY, 0, 0, "rt-polaritydata.tar.gz", "polarity/rt-polaritydata.tar.gz",
     "http://www.cs.cornell.edu/people/pabo/movie-review-data/rt-polaritydata.tar.gz", 2,
     {{"rt-polarity.pos", "polarity/cornell-v1.0/rt-polarity.pos", NULL, NULL,
       "rt-polaritydata/rt-polarity.pos"},
      {"rt-polarity.neg", "polarity/cornell-v1.0/rt-polarity.neg", NULL, NULL,
       "rt-polaritydata/rt-polarity.neg"}}},
    {"polarity-kim", "sentence polarity as in Kim (2014)'s CNN_sentence repository (30 lines differ)",
     DS_FMT_POLARITY, 1, 0, NULL, NULL, NULL, 2,
     {{"rt-polarity.pos", "polarity/rt-polarity.pos", NULL, KIM_RAW "rt-polarity.pos", NULL},
      {"rt-polarity.neg", "polarity/rt-polarity.neg", NULL, KIM_RAW "rt-polarity.neg", NULL}}},
    {"criteo", "Criteo Kaggle display-advertising sample, 8,000 rows (7,200 train + 800 test)",
     DS_FMT_CRITEO, 0, 0, NULL, NULL, NULL, 3,
     {{"train.txt", "ctr/criteo_kaggle_8k/train.txt", NULL, CRITEO_8K_RAW "train.csv", NULL},
      {"dev.txt", "ctr/criteo_kaggle_8k/dev.txt", NULL, CRITEO_8K_RAW "dev.csv", NULL},
      {"test.txt", "ctr/criteo_kaggle_8k/test.txt", NULL, CRITEO_8K_RAW "test.csv", NULL}}},
    {"criteo-full", "Criteo Kaggle display-advertising challenge train.txt (45,840,617 rows)",
     DS_FMT_CRITEO, 1, 1, "criteo-research-kaggle-display-advertising-challenge-dataset.tar.gz",
     "criteo-full/criteo-research-kaggle-display-advertising-challenge-dataset.tar.gz",
     "https://go.criteo.net/criteo-research-kaggle-display-advertising-challenge-dataset.tar.gz",
     1, {{"train.txt", "criteo-full/train.txt", NULL, NULL, "train.txt"}}},
    {"a9a", "LIBSVM a9a (Adult income), 32,561 + 16,281 rows, 123 binary features",
     DS_FMT_LIBSVM, 0, 0, NULL, NULL, NULL, 2,
     {{"a9a", "a9a/a9a", NULL, LIBSVM_BIN "a9a", NULL},
      {"a9a.t", "a9a/a9a.t", NULL, LIBSVM_BIN "a9a.t", NULL}}},
};

size_t ds_registry_count(void) { return sizeof registry / sizeof *registry; }

const struct ds_entry *ds_registry_at(size_t i)
{
    return i < ds_registry_count() ? &registry[i] : NULL;
}

const struct ds_entry *ds_registry_find(const char *name)
{
    for (size_t i = 0; i < ds_registry_count(); i++)
        if (!strcmp(registry[i].name, name)) return &registry[i];
    return NULL;
}

void ds_data_dir(char *buf, size_t buflen)
{
    const char *env = getenv("SIREN_DATA_DIR");
    if (env && *env) snprintf(buf, buflen, "%s", env);
    else snprintf(buf, buflen, "%s/datasets/cache", core_source_root());
}

void ds_mirror_dir(char *buf, size_t buflen)
{
    const char *env = getenv("SIREN_DATA_MIRROR");
    if (env && *env) {
        snprintf(buf, buflen, "%s", env);
        return;
    }
    char beside[PATH_MAX];
    snprintf(beside, sizeof beside, "%s/../shared/datasets", core_source_root());
    const char *const candidates[2] = {beside, "../shared/datasets"};
    for (int i = 0; i < 2; i++) {
        char real[PATH_MAX];
        if (fs_is_dir(candidates[i]) && realpath(candidates[i], real)) {
            snprintf(buf, buflen, "%s", real);
            return;
        }
    }
    buf[0] = '\0';
}

void ds_raw_path(const struct ds_entry *entry, const char *file, char *buf, size_t buflen)
{
    char dir[2048];
    ds_data_dir(dir, sizeof dir);
    snprintf(buf, buflen, "%s/raw/%s/%s", dir, entry->name, file);
}

void ds_split_path(const char *name, const char *split, char *buf, size_t buflen)
{
    char dir[2048];
    ds_data_dir(dir, sizeof dir);
    snprintf(buf, buflen, "%s/%s/%s.h5", dir, name, split);
}

int ds_sum_find(const char *name, const char *ext, const char *file, int nth, char *hex,
                size_t hexlen, struct err *e)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/datasets/sums/%s.%s", core_source_root(), name, ext);
    char *text;
    size_t len;
    int rc = fs_read_all(path, &text, &len, e);
    if (rc) return rc;
    rc = err_set(e, SIREN_ENOTFOUND, "%s: no sum for %s", path, file);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') continue;
        char *sp = strchr(line, ' ');
        if (!sp) continue;
        const char *fname = sp;
        while (*fname == ' ' || *fname == '*') fname++;
        if (strcmp(fname, file) != 0 || (size_t)(sp - line) + 1 > hexlen) continue;
        if (nth-- > 0) continue;
        memcpy(hex, line, (size_t)(sp - line));
        hex[sp - line] = '\0';
        err_clear(e);
        rc = SIREN_OK;
        break;
    }
    free(text);
    return rc;
}

int ds_sum_lookup(const char *name, const char *file, char hex[65], struct err *e)
{
    return ds_sum_find(name, "sha256", file, 0, hex, 65, e);
}

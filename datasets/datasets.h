/*
 * datasets: the real data of the paper's workloads, from raw files to memory.
 *
 * Readers (IDX, sentence polarity, Criteo TSV, LIBSVM) and the synthetic generator all
 * produce one in-memory form, struct ds_data, in one of three layouts (images, token ids,
 * sparse rows). `fetch` finds or downloads raw files and verifies their SHA-256 against the
 * sums kept in this folder; `prepare` writes HDF5 shard files into $SIREN_DATA_DIR; `ds_load`
 * reads them back. Errors name the file, the line or byte offset, and what was expected.
 * A ds_data owns all its arrays; release with ds_data_free().
 */
#ifndef SIREN_DATASETS_H
#define SIREN_DATASETS_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

enum ds_layout {
    DS_IMAGES_U8 = 1, /* pixels (rows, channels, height, width), uint8, row-major */
    DS_TOKENS_I32 = 2, /* tokens (rows, seq_len), int32 ids; 0 is padding */
    DS_SPARSE_CSR = 3, /* CSR rows: row_ptr (rows+1), col (nnz), val (nnz) */
};

struct ds_data {
    enum ds_layout layout;
    size_t rows;
    int classes;     /* labels are 0 .. classes-1 */
    int32_t *labels; /* (rows) */

    /* DS_IMAGES_U8 */
    uint8_t *pixels;
    int channels, height, width;

    /* DS_TOKENS_I32 */
    int32_t *tokens;
    int seq_len;
    int vocab_size; /* ids are 0 .. vocab_size-1 */

    /* DS_SPARSE_CSR */
    uint64_t *row_ptr;
    uint32_t *col;
    float *val;
    size_t nnz;
    uint32_t n_features; /* column ids are 0 .. n_features-1 */

    /* Provenance, copied into HDF5 attributes and shown by `siren data info`. */
    char name[64];    /* registry name ("mnist") or "file" */
    char split[16];   /* "train", "test" or "all" */
    char source[512]; /* raw file(s) it came from */
    char sha256[65];  /* of the (first) raw file */

    /* Added fields (zero when unused). */
    char **vocab;       /* DS_TOKENS_I32: vocab_size words (raw bytes, NUL-terminated);
                           vocab[0] = "<pad>", vocab[1] = "<unk>"; owned */
    int hash_bits;      /* DS_SPARSE_CSR built by hashing: n_features = 2^hash_bits */
    uint64_t seed;      /* seed of the split or generator, 0 when none */
};

/* Frees every array and zeroes d; d may be NULL. */
void ds_data_free(struct ds_data *d);
/* Checks the invariants of d (array presence, CSR monotonic and in range, labels in range);
 * SIREN_EFORMAT naming `what` and the first violation. */
int ds_data_check(const struct ds_data *d, const char *what, struct err *e) SIREN_WUR;
/* "images_u8", "tokens_i32", "sparse_csr" (or "unknown"). */
const char *ds_layout_name(enum ds_layout layout);

/* ------------------------------------------------------------------ readers */

/* Raw file formats, for ds_raw_read() and `siren data info --file`. */
enum ds_format { DS_FMT_UNKNOWN = 0, DS_FMT_IDX, DS_FMT_POLARITY, DS_FMT_CRITEO, DS_FMT_LIBSVM };

/* IDX images (magic 0x00000803, n x 28 x 28 in MNIST) and labels (magic 0x00000801) files,
 * gzipped or raw, into DS_IMAGES_U8 with channels 1 and classes 10. Errors: SIREN_EFORMAT
 * (magic, dimensions, truncated data with its byte offset, count mismatch, label outside
 * 0..9), SIREN_ENOTFOUND/SIREN_EIO, SIREN_ENOMEM. Caller owns *out. */
int ds_idx_read(const char *images_path, const char *labels_path, struct ds_data *out,
                struct err *e) SIREN_WUR;

/* Sentence polarity (Pang & Lee): one sentence per line, cp1252 bytes, tokens split on ASCII
 * whitespace (bytes >= 0x80 are word bytes). */
#define DS_POLARITY_SEQ_LEN 64     /* the longest published sentence has 59 tokens */
#define DS_POLARITY_SEED 2014u     /* seed of the fixed 90/10 split (Kim 2014's year) */
#define DS_POLARITY_TEST_PERMILLE 100
struct ds_polarity_opts {
    int seq_len;   /* pad with 0 / truncate to this many tokens; 0 = DS_POLARITY_SEQ_LEN */
    uint64_t seed; /* split seed; used as given (DS_POLARITY_SEED by convention) */
    int test_permille; /* rows out of 1000 held out for test; 0 = DS_POLARITY_TEST_PERMILLE */
};
/* Reads pos (label 1) and neg (label 0), shuffles the row ids with opts->seed and holds the
 * first 10% out as test; builds the vocabulary from the train split only (id 0 padding,
 * 1 unknown, then by descending count, ties in byte order) and stores it in BOTH outputs.
 * Caller owns *train and *test. Errors: SIREN_ENOTFOUND/SIREN_EIO, SIREN_EFORMAT (a NUL byte,
 * an empty file), SIREN_ENOMEM. */
int ds_polarity_read(const char *pos_path, const char *neg_path,
                     const struct ds_polarity_opts *opts, struct ds_data *train,
                     struct ds_data *test, struct err *e) SIREN_WUR;
/* One polarity file on its own (for `info --file`): every line gets `label`, the vocabulary
 * comes from the file itself, split "all". */
int ds_polarity_read_file(const char *path, int label, int seq_len, struct ds_data *out,
                          struct err *e) SIREN_WUR;
/* Number of whitespace-separated tokens in the buffer's first line (up to '\n' or len). */
size_t ds_polarity_count_tokens(const char *line, size_t len);

/* Criteo display-advertising TSV: label, I1..I13, C1..C26 (40 tab-separated fields). */
#define DS_CRITEO_FIELDS 40
#define DS_CRITEO_HASH_BITS 20
/* Reads the files in order into one DS_SPARSE_CSR with n_features = 2^hash_bits (1..30) and
 * values 1 (2 where two fields of a row hash to the same column). See README.md for the
 * hashing. Errors: SIREN_EFORMAT "train.txt line 1042: 38 fields, expected 40", a bad
 * label or integer naming line and field; SIREN_ENOTFOUND/SIREN_EIO; SIREN_ENOMEM. */
int ds_criteo_read(const char *const *paths, size_t n_paths, int hash_bits,
                   struct ds_data *out, struct err *e) SIREN_WUR;
/* The feature column of one Criteo field (1..39: I1..I13 then C1..C26) holding the raw text
 * value (empty = missing), under 2^hash_bits features. Exposed so tests can check it. */
uint32_t ds_criteo_feature(int field, const char *value, size_t len, int hash_bits);

/* The 64-bit hash of the hashing trick: FNV-1a 64 over the bytes, then the splitmix64
 * finaliser so that the low bits (the ones a 2^k mask keeps) depend on every input byte. */
uint64_t ds_hash64(const void *data, size_t len);

/* LIBSVM text: `label idx:val ...`, labels +1/-1 or 1/0 (class 1/0), 1-based strictly
 * increasing indices. n_features = `dim` when dim > 0 (an index above it is an error), else
 * the largest index seen. Errors: SIREN_EFORMAT naming file and line. Caller owns *out. */
int ds_libsvm_read(const char *path, uint32_t dim, struct ds_data *out,
                   struct err *e) SIREN_WUR;

/* Guesses a raw file's format from its name, then from its first bytes. */
enum ds_format ds_format_guess(const char *path);
const char *ds_format_name(enum ds_format fmt);
/* Parses "idx", "polarity", "criteo", "libsvm"; DS_FMT_UNKNOWN otherwise. */
enum ds_format ds_format_parse(const char *s);
/* Reads and validates a whole raw file of the given format (DS_FMT_UNKNOWN: guess). An IDX
 * images file is paired with its labels file when that exists next to it (else labels only
 * or images only are read, unlabelled rows get label 0). A polarity file's label comes from
 * its name (".neg" = 0, else 1). Caller owns *out. */
int ds_raw_read(const char *path, enum ds_format fmt, struct ds_data *out,
                struct err *e) SIREN_WUR;

/* ---------------------------------------------------------------- synthetic */

/* `lr-synthetic`: CTR-shaped hashed sparse rows from a planted logistic model. The model (a
 * weight per feature, drawn from the seed) is the same for train and test; the rows come from
 * stream 0 (train) or 1 (test) of the seed. Each row has one feature from each of nnz_per_row
 * fields, chosen with a Zipf-like popularity, and label ~ Bernoulli(sigmoid(w.x + b)). */
/* The shape of the generated rows. */
enum ds_synthetic_schema {
    DS_SCHEMA_CTR = 0,    /* lr-synthetic: nnz_per_row Zipf fields, a weight per column */
    DS_SCHEMA_CRITEO = 1, /* lr-criteo: Criteo Kaggle's 13 integer and 26 categorical fields,
                           * hashed as the real reader hashes them (ds_criteo_gen.c) */
};

struct ds_synthetic_opts {
    enum ds_synthetic_schema schema;
    size_t rows;
    int hash_bits;   /* 1..30; 0 = 20 */
    int nnz_per_row; /* 1..1024; 0 = 39, as Criteo's 13 + 26 fields */
    uint64_t seed;
    int stream;      /* 0 train, 1 test, any other value another independent stream */
    size_t first_row; /* make rows first_row .. first_row+rows-1 of the stream */
    float *probs;     /* NULL, or (rows): each row's planted click probability, from which its
                       * label was drawn (the best any learner can predict) */
};
#define DS_SYNTHETIC_TRAIN_ROWS 1000000
#define DS_SYNTHETIC_TEST_ROWS 100000
#define DS_SYNTHETIC_SEED 42u
/* Deterministic for (opts): the same rows and labels on every machine and thread count, and
 * a slice (first_row) equals the same rows of a longer run. Uses all cores for large row
 * counts. Caller owns *out.
 * Errors: SIREN_EINVAL (bad options), SIREN_ENOMEM. */
int ds_synthetic_make(const struct ds_synthetic_opts *opts, struct ds_data *out,
                      struct err *e) SIREN_WUR;

/* ------------------------------------------------------------- augmentation */

/* A real training split at another size (`--rows N`), for images and token ids.
 * N >= base (the real rows): row g < base is real row g, unchanged; row g >= base is a seeded
 * augmentation of real row g mod base, fixed by (seed, g) alone, so any slice can be made on
 * its own. Images: a translation by up to DS_AUGMENT_SHIFT_MAX pixels each way with zero fill,
 * and for fashion-mnist only a horizontal flip with probability 1/2 (garments are left-right
 * symmetric, digits are not). Token ids: each token of the sentence removed with probability
 * 1 / DS_AUGMENT_DROP_IN (at least one kept; the rest moves left, padding fills the end), then
 * one swap of two adjacent tokens. Labels are kept. datasets/README.md gives the sources.
 * N < base: the first N rows of a shuffle of the real rows seeded by `seed`, unchanged.
 * Sparse rows have no augmentation. */
#define DS_AUGMENT_SHIFT_MAX 2 /* pixels, in each direction */
#define DS_AUGMENT_DROP_IN 10  /* a token is removed with probability 1 in this */
#define DS_AUGMENT_MAX_ROWS 4294967295u /* row ids of batches and staging are 32-bit */
struct ds_augment_opts {
    size_t rows;      /* N: rows of the whole split, 1..DS_AUGMENT_MAX_ROWS */
    uint64_t seed;
    size_t first_row; /* make rows first_row .. first_row+count-1 of the split */
    size_t count;     /* 0: up to the end (rows - first_row) */
};
/* Bytes one row of d takes in memory: its label and its pixels or token ids; 0 for sparse
 * rows. The split of N rows holds N times this. */
size_t ds_augment_row_bytes(const struct ds_data *d);
/* Rows [first_row, first_row + count) of base's N-row split into *out (base's shape, its
 * provenance and a copy of its vocabulary). Refused before allocating when the rows would
 * take more than the memory available now (Linux's MemAvailable). Caller owns *out.
 * Errors: SIREN_EINVAL (sparse or empty base, N or the range out of bounds), SIREN_ENOMEM
 * (naming the rows and bytes). */
int ds_augment_make(const struct ds_data *base, const struct ds_augment_opts *opts,
                    struct ds_data *out, struct err *e) SIREN_WUR;
/* Replaces *d by its split of `rows` rows (ds_augment_make of all of them); nothing happens
 * when rows == d->rows. While it runs, both splits are in memory. On error *d is unchanged.
 * Errors: as ds_augment_make. */
int ds_augment_resize(struct ds_data *d, size_t rows, uint64_t seed, struct err *e) SIREN_WUR;

/* --------------------------------------------------------------- HDF5 files */

/* Writes d to path as one HDF5 file (datasets labels, pixels | tokens + vocab | row_ptr, col,
 * val; attributes name, source, sha256, split, seed, layout, classes, dims, hash_bits),
 * through a temporary name renamed at the end: a failure leaves no file at path and no
 * temporary. Errors: SIREN_EHDF5 / SIREN_EIO naming the file, SIREN_EFORMAT for a bad d. */
int ds_h5_write(const struct ds_data *d, const char *path, struct err *e) SIREN_WUR;
/* Reads a file written by ds_h5_write. Caller owns *out. Errors: SIREN_ENOTFOUND, SIREN_EHDF5
 * or SIREN_EFORMAT naming the file and the dataset or attribute. */
int ds_load_file(const char *path, struct ds_data *out, struct err *e) SIREN_WUR;

/* ----------------------------------------------------------- registry, fetch */

#define DS_MAX_FILES 4

/* One raw file of a registry dataset. */
struct ds_raw_file {
    const char *name;        /* file name in $SIREN_DATA_DIR/raw/NAME/ and in the sums */
    const char *mirror_path; /* relative to the mirror root */
    const char *system_path; /* a distribution package's copy (Debian), or NULL */
    const char *url;         /* the publisher's address, or NULL (then see archive) */
    const char *member;      /* path inside the entry's archive, or NULL */
};

struct ds_entry {
    const char *name;
    const char *description;
    enum ds_format format;
    int optional;            /* fetch with no names skips it when absent */
    int sums_unknown;        /* no published sum exists: the first copy's sum is recorded */
    const char *archive_name;   /* publisher's archive holding the files, or NULL */
    const char *archive_mirror; /* the archive in the mirror, or NULL */
    const char *archive_url;
    size_t n_files;
    struct ds_raw_file files[DS_MAX_FILES];
};

size_t ds_registry_count(void);
const struct ds_entry *ds_registry_at(size_t i);
/* NULL when name is not in the registry. */
const struct ds_entry *ds_registry_find(const char *name);

/* $SIREN_DATA_DIR, else datasets/cache in the source tree (core_source_root()). Writes at most
 * buflen bytes. */
void ds_data_dir(char *buf, size_t buflen);
/* The mirror root: $SIREN_DATA_MIRROR, else ../shared/datasets beside the source tree when a
 * directory, else ../shared/datasets from the working directory; "" when none. */
void ds_mirror_dir(char *buf, size_t buflen);

/* The expected SHA-256 of raw file `file` of dataset `name`, from datasets/sums/NAME.sha256.
 * SIREN_ENOTFOUND when no sum is kept for it. */
int ds_sum_lookup(const char *name, const char *file, char hex[65], struct err *e) SIREN_WUR;

/* Makes every raw file of `entry` present and verified in $SIREN_DATA_DIR/raw/NAME/: the
 * cached copy when its stamp (size, mtime, sha256) still matches, else from the mirror, the
 * system copy, or a download (libcurl, with connect and stall timeouts; skipped when
 * $SIREN_DATA_OFFLINE is set). Blocks on I/O and the network. Errors: SIREN_ENOTFOUND
 * ("mnist: t10k-labels-idx1-ubyte.gz: not in mirror X, download from URL failed: ..."),
 * SIREN_ECHECKSUM (file, expected and actual sum), SIREN_EIO (unwritable cache). */
int ds_fetch(const struct ds_entry *entry, struct err *e) SIREN_WUR;
/* Path of a fetched raw file: $SIREN_DATA_DIR/raw/NAME/FILE. */
void ds_raw_path(const struct ds_entry *entry, const char *file, char *buf, size_t buflen);

/* Fetches, reads and writes $SIREN_DATA_DIR/NAME/{train,test}.h5 (each atomically). */
int ds_prepare(const char *name, struct err *e) SIREN_WUR;
/* The same with Criteo's hash bits (1..30; 0 = DS_CRITEO_HASH_BITS). */
int ds_prepare_with(const char *name, int hash_bits, struct err *e) SIREN_WUR;
/* Path of a prepared split: $SIREN_DATA_DIR/NAME/SPLIT.h5. */
void ds_split_path(const char *name, const char *split, char *buf, size_t buflen);
/* Reads a prepared split ("train" or "test"), preparing it first (fetch included) when it is
 * missing. "lr-synthetic" is generated instead: DS_SYNTHETIC_TRAIN_ROWS / _TEST_ROWS rows
 * from DS_SYNTHETIC_SEED (train stream 0, test stream 1). Caller owns *out. */
int ds_load(const char *name, const char *split, struct ds_data *out, struct err *e) SIREN_WUR;

#endif

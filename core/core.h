/*
 * core: the pieces every other module stands on.
 *
 * Errors: one X-macro list (SIREN_ERRNO_MAP) gives the negative codes, their names and
 * messages; the detail ("mnist/train-images: byte 16: truncated") lives in a caller-owned
 * struct err, filled by the function that failed. Logging goes to stderr with a level and a
 * category and a deterministic prefix; results go to stdout. The RNG gives the same stream
 * on every machine for the same seed. JSON is cJSON, with helpers that name the missing or
 * mistyped key. Tables print as markdown, CSV or JSON. Files are written atomically.
 * Nothing here calls exit(); nothing here keeps global state except the log settings.
 */
#ifndef SIREN_CORE_H
#define SIREN_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>

#define SIREN_WUR __attribute__((warn_unused_result))
#define SIREN_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* ---------------------------------------------------------------- errors */

/* Codes are appended, never renumbered. X(NAME, number, message). */
#define SIREN_ERRNO_MAP(X)                                           \
    X(NOMEM, 1, "out of memory")                                     \
    X(INVAL, 2, "invalid argument")                                  \
    X(IO, 3, "input/output error")                                   \
    X(FORMAT, 4, "malformed input")                                  \
    X(NOTFOUND, 5, "not found")                                      \
    X(CHECKSUM, 6, "checksum mismatch")                              \
    X(RANGE, 7, "value out of range")                                \
    X(LIMIT, 8, "limit exceeded")                                    \
    X(TIMEOUT, 9, "timed out")                                       \
    X(KILLED, 10, "killed")                                          \
    X(BACKEND, 11, "backend error")                                  \
    X(AUTH, 12, "authentication refused")                            \
    X(UNSUPPORTED, 13, "not supported")                              \
    X(EXISTS, 14, "already exists")                                  \
    X(USAGE, 15, "bad command-line usage")                           \
    X(MPI, 16, "MPI error")                                          \
    X(HDF5, 17, "HDF5 error")                                        \
    X(NETWORK, 18, "network error")

enum siren_errno {
    SIREN_OK = 0,
#define SIREN_ERRNO_ENUM(name, num, msg) SIREN_E##name = -(num),
    SIREN_ERRNO_MAP(SIREN_ERRNO_ENUM)
#undef SIREN_ERRNO_ENUM
};

/* The detail of the last failure: the code and a message naming the input that failed. */
struct err {
    int code;
    char msg[1024];
};

/* Generic message of a code ("malformed input"), or "unknown error". */
const char *err_str(int code);
/* Name of a code ("SIREN_EFORMAT"). */
const char *err_name(int code);
/* Sets e (may be NULL) to code and the formatted message; returns code. */
int err_set(struct err *e, int code, const char *fmt, ...) SIREN_PRINTF(3, 4);
/* Puts "<formatted>: " in front of e's message; returns e->code (0 if e is NULL). */
int err_prefix(struct err *e, const char *fmt, ...) SIREN_PRINTF(2, 3);
/* Sets e from errno: "<formatted>: strerror(errnum)", code SIREN_EIO (SIREN_ENOTFOUND for
 * ENOENT, SIREN_ENOMEM for ENOMEM); returns the code. */
int err_errno(struct err *e, int errnum, const char *fmt, ...) SIREN_PRINTF(3, 4);
/* Clears e to SIREN_OK with an empty message. */
void err_clear(struct err *e);

/* --------------------------------------------------------------- logging */

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

extern int log_threshold; /* messages above it are not even formatted */

/* Reads SIREN_LOG (error|warn|info|debug; default info). */
void log_init_from_env(void);
void log_set_level(enum log_level level);
/* Context in the prefix: rank (-1 hides it), function index (-1 hides it), virtual time in
 * milliseconds (negative hides it). The prefix never holds wall-clock time, so logs diff. */
void log_set_rank(int rank);
void log_set_fn(int fn_index);
void log_set_vtime_ms(double vtime_ms);
void log_write(enum log_level level, const char *category, const char *fmt, ...)
    SIREN_PRINTF(3, 4);

#define LOG_AT(level, cat, ...)                                        \
    do {                                                               \
        if ((int)(level) <= log_threshold) log_write(level, cat, __VA_ARGS__); \
    } while (0)
#define LOG_ERROR(cat, ...) LOG_AT(LOG_LEVEL_ERROR, cat, __VA_ARGS__)
#define LOG_WARN(cat, ...) LOG_AT(LOG_LEVEL_WARN, cat, __VA_ARGS__)
#define LOG_INFO(cat, ...) LOG_AT(LOG_LEVEL_INFO, cat, __VA_ARGS__)
#define LOG_DEBUG(cat, ...) LOG_AT(LOG_LEVEL_DEBUG, cat, __VA_ARGS__)

/* ------------------------------------------------------------------- RNG */

/* xoshiro256** seeded through splitmix64: the same stream on every machine. */
struct rng {
    uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
/* A child stream for (seed, stream id), independent of the parent's position: used to give
 * every function, epoch and layer its own reproducible stream. */
void rng_seed_stream(struct rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_u64(struct rng *r);
/* Uniform in [0, 1) with 53 (double) or 24 (float) random bits. */
double rng_uniform(struct rng *r);
float rng_uniform_f(struct rng *r);
/* Uniform integer in [0, n), unbiased; n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Standard normal (Marsaglia polar method). */
double rng_normal(struct rng *r);
/* Fisher-Yates shuffle of idx[0..n). */
void rng_shuffle_u32(struct rng *r, uint32_t *idx, size_t n);

/* ------------------------------------------------------------------ JSON */

/* Parses a whole JSON file. On a syntax error the message names path, line and column.
 * Caller owns *out; release with cJSON_Delete(). */
int json_load_file(const char *path, cJSON **out, struct err *e) SIREN_WUR;
/* Parses text; `what` names the text in messages (a file name, "event"). */
int json_parse(const char *text, size_t len, const char *what, cJSON **out,
               struct err *e) SIREN_WUR;
/* Typed getters: a missing key or wrong type is SIREN_EFORMAT with "<where>: key 'k': ...". */
int json_get_number(const cJSON *obj, const char *key, const char *where, double *out,
                    struct err *e) SIREN_WUR;
int json_get_int(const cJSON *obj, const char *key, const char *where, long long *out,
                 struct err *e) SIREN_WUR;
int json_get_string(const cJSON *obj, const char *key, const char *where, const char **out,
                    struct err *e) SIREN_WUR; /* *out borrowed from obj */
int json_get_bool(const cJSON *obj, const char *key, const char *where, int *out,
                  struct err *e) SIREN_WUR;
/* Writes root, pretty-printed, atomically (temporary file, fsync, rename). */
int json_write_file(const char *path, const cJSON *root, struct err *e) SIREN_WUR;

/* ---------------------------------------------------------------- tables */

/* A result table: named columns (units in the names: time_ms_median), rows of text cells.
 * One model, printed as markdown, CSV or JSON. */
struct table {
    int ncols;
    char **cols;
    size_t nrows;
    char **cells; /* nrows * ncols, row-major; NULL is an empty cell */
    size_t cap_rows;
};

int table_init(struct table *t, int ncols, const char *const *col_names) SIREN_WUR;
void table_free(struct table *t);
/* Appends an empty row; cells are then set with table_set*. */
int table_add_row(struct table *t) SIREN_WUR;
/* Sets the cell (row, col) to formatted text. */
int table_setf(struct table *t, size_t row, int col, const char *fmt, ...) SIREN_PRINTF(4, 5);
int table_write_markdown(const struct table *t, FILE *f);
int table_write_csv(const struct table *t, FILE *f);
/* A JSON array of objects; cells that parse fully as numbers become numbers. */
cJSON *table_to_json(const struct table *t);
/* Reading back what table_write_csv writes (no quoting: siren's CSV files have none). The
 * index of column name in a header line, or -1; field col of a line as a number, 0, or -1
 * when the line is shorter or the field is not a number. */
int csv_column(const char *header, const char *name);
int csv_number(const char *line, int col, double *out);

/* --------------------------------------------------------- files, hashes */

/* mkdir -p with mode 0755. */
int fs_mkdir_p(const char *path, struct err *e) SIREN_WUR;
/* Reads a whole file. Caller owns *out (free()); a NUL is appended (not counted in *len). */
int fs_read_all(const char *path, char **out, size_t *len, struct err *e) SIREN_WUR;
/* Writes data to path atomically: "<path>.tmp.<pid>.<n>" in the same directory, fsync, rename,
 * fsync of the directory. Readers see the old file or the new one, never a part. On failure the
 * temporary file is removed. */
int fs_write_atomic(const char *path, const void *data, size_t len, struct err *e) SIREN_WUR;
/* A temporary name next to final_path, for writers (HDF5) that cannot write through a buffer:
 * write there, then fs_commit_tmp() renames it into place (fsync first). fs_abort_tmp() removes
 * it. buf must hold at least strlen(final_path) + 32 bytes. */
void fs_tmp_name(const char *final_path, char *buf, size_t buflen);
int fs_commit_tmp(const char *tmp_path, const char *final_path, struct err *e) SIREN_WUR;
void fs_abort_tmp(const char *tmp_path);
int fs_exists(const char *path);
/* rm -rf path (files, directories, symbolic links themselves); a missing path is not an error.
 * Errors: SIREN_EIO naming the entry that could not be removed. */
int fs_remove_tree(const char *path, struct err *e) SIREN_WUR;
int fs_is_dir(const char *path);
/* Adds "others may not write" (S_IWOTH) to the process umask and keeps the rest of it, so no
 * file or directory siren creates (fopen, HDF5, mkdir) is world-writable even under umask 000;
 * group write stays the user's choice. Call at the start of main(), before any thread exists
 * (umask is per process). */
void fs_umask_no_world_write(void);

/* SHA-256 (OpenSSL) of a file or a buffer, as 64 lowercase hex digits and a NUL. */
int sha256_file(const char *path, char hex[65], struct err *e) SIREN_WUR;
void sha256_hex(const void *data, size_t len, char hex[65]);

/* --------------------------------------------------------- backend tables */

/* The one rule of the process-wide tables of named backends (kv_register, job_backend_register),
 * so that both answer a registration alike: the same table under its name again is a success
 * that changes nothing (commands and runtimes register what they need without tracking who
 * did first); another table under a taken name is SIREN_EINVAL (a second backend must never
 * replace the first in silence); a full table is SIREN_ELIMIT. The tables stay with their
 * owners; like them, this is not thread-safe. */
#define REGISTRY_PRESENT 1
/* Decides on registering entry under name in a table holding count of capacity entries, where
 * taken is the entry already under name (NULL when the name is free). Returns SIREN_OK when
 * entry is to be added, REGISTRY_PRESENT when taken is entry, else SIREN_EINVAL or
 * SIREN_ELIMIT, logged at error level under category with what and name ("KV backend 'mem':
 * another table is registered under this name"): the tables' callers have no error object. */
int registry_admit(const void *taken, const void *entry, int count, int capacity,
                   const char *category, const char *what, const char *name) SIREN_WUR;

/* --------------------------------------------------------- small helpers */

/* Monotonic wall time in seconds (for measuring, never for virtual-clock results). */
double clock_mono_s(void);
/* The git commit the binary was built from ("unknown" outside a checkout). */
const char *build_commit(void);
/* Parses a whole string as a number; SIREN_EFORMAT names `what` when it is not one. */
int parse_double(const char *s, const char *what, double *out, struct err *e) SIREN_WUR;
int parse_long(const char *s, const char *what, long long *out, struct err *e) SIREN_WUR;
/* Human-readable byte count ("4.0 MiB") into buf. */
const char *fmt_bytes(double bytes, char *buf, size_t buflen);

#endif

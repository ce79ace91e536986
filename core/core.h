/*
 * core: the pieces every other module stands on.
 *
 * Errors: one X-macro list (SIREN_ERRNO_MAP) gives the negative codes, their names and
 * messages; the detail ("mnist/train-images: byte 16: truncated") lives in a caller-owned
 * struct err, filled by the function that failed. Logging goes to stderr with a level and a
 * category and a deterministic prefix; results go to stdout. The RNG gives the same stream
 * on every machine for the same seed. JSON is cJSON, with helpers that name the missing or
 * mistyped key. Tables print as markdown, CSV or JSON. Files are written atomically. Every
 * command-line option of every command is one entry of one table (opts.c), parsed and
 * described from there. Nothing here calls exit(); nothing here keeps global state except the
 * log settings (and getopt's, while an option parser runs).
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
/* Reads a record's numbers from one table rather than a chain of getters: each field's key
 * into its *out, in order; the first missing or mistyped one is the error. */
struct json_number_field {
    const char *key;
    double *out;
};
int json_get_numbers(const cJSON *obj, const char *where, const struct json_number_field *fields,
                     size_t n, struct err *e) SIREN_WUR;
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

/* The root of the source tree, where committed inputs live (results/, bench/suites/,
 * emu/platforms/, datasets/sums/) and the benchmarks write results/SUITE/: $SIREN_SOURCE_DIR
 * when set and not empty, else the tree the binary was built from when it still exists, else
 * "." (the current directory). Borrowed; valid until SIREN_SOURCE_DIR changes. */
const char *core_source_root(void);
/* Writes "<root>/<rel>" into buf. Errors: SIREN_ERANGE when it does not fit (buf then holds
 * it cut short). */
int core_source_path(const char *rel, char *buf, size_t len) SIREN_WUR;

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

/* ------------------------------------------------------- command-line options */

/* The most epochs a job, simulated or emulated, may be asked to run (--max-epochs). The
 * simulator holds an episode's actions in arrays of this size (sched/sim.h SIM_MAX_EPOCHS;
 * cmd/cmd_sim.c asserts that the two agree). */
#define SIREN_MAX_EPOCHS 256

/* Every option of every siren command and benchmark: one table (core/opts.c) gives each its
 * spelling, the kind of its argument, its bounds, its default as the help shows it and its
 * help text. A command lists the ids it accepts; opt_parser_next checks the argument against
 * the table, so the same option has the same bounds and the same message everywhere. Ids are
 * named after the option; a few options share a spelling across commands with another
 * meaning, and so have ids of their own (OPT_BENCH_REPS is --reps of the benchmarks). */
enum opt_id {
    OPT_HELP = 0,
    /* the job: what trains, on what, how long */
    OPT_WORKLOAD, OPT_SCHEDULER, OPT_SYNC, OPT_UPDATE, OPT_CLOCK, OPT_PLATFORM, OPT_BUDGET,
    OPT_TARGET_LOSS, OPT_MAX_EPOCHS, OPT_ON_TIMEOUT, OPT_EVAL_ROWS, OPT_KV, OPT_CALIBRATION,
    OPT_OUT, OPT_QUIET,
    /* the workload's options */
    OPT_BATCH, OPT_LR, OPT_SEED, OPT_ROWS, OPT_HASH_BITS,
    /* siren run */
    OPT_SLOTS, OPT_BACKEND, OPT_FUNCTION, OPT_FAULTS, OPT_RETRIES, OPT_RETRY_DELAY, OPT_RESUME,
    /* siren train, siren calibrate */
    OPT_EPOCHS, OPT_THREADS, OPT_JSON, OPT_DRY_RUN, OPT_REPS,
    /* siren sim, siren sim fit */
    OPT_LOSS_MODEL, OPT_EXACT, OPT_SCHEDULE_OUT, OPT_FORM, OPT_MODEL, OPT_PER_RUN,
    OPT_ALL_EPOCHS,
    /* siren sched */
    OPT_EPISODES, OPT_POLICIES, OPT_EMULATE, OPT_BUDGET_SPREAD, OPT_ALGO, OPT_SIGMA,
    OPT_COLD_START, OPT_STARTS, OPT_PLAN_MARGIN, OPT_MATRIX,
    /* siren ps */
    OPT_INSTANCE_TYPE, OPT_INSTANCES, OPT_SERVERS, OPT_MODE, OPT_VCPUS, OPT_LATENCY_US,
    OPT_NET_GBIT_S,
    /* siren invoke */
    OPT_EVENT, OPT_EXAMPLE, OPT_MEMORY, OPT_TIMEOUT, OPT_HANDLER, OPT_STEPS,
    /* siren data */
    OPT_SHARD_HASH_BITS, OPT_FILE, OPT_FORMAT,
    /* siren bench, siren plot */
    OPT_QUICK, OPT_BENCH_REPS, OPT_SIM_EPOCHS, OPT_NO_TORCH, OPT_KV_DIR, OPT_PINGPONG, OPT_GRID,
    OPT_LABEL, OPT_EXPECTED, OPT_CHECK, OPT_WRITE_EXPECTED, OPT_NO_PLOTS,
    OPT_LR_SCALE, OPT_FETCH, OPT_OPTIMIZER,
    /* siren kv gc */
    OPT_KEPT, OPT_STALE_AFTER,
    /* siren run: the job's name in a shared store */
    OPT_JOB, OPT_FORCE, OPT_KEEP,
    /* siren calibrate */
    OPT_SERVER_UPDATE,
    /* siren ps */
    OPT_PROVISIONING,
    /* the platform model: request latencies, the channel functions exchange models through */
    OPT_LATENCY, OPT_CHANNEL, OPT_CONCURRENCY,
    /* where a generated workload's training rows are made */
    OPT_DATA,
    OPT_COUNT /* appended before this; the numbers are never stored anywhere */
};

enum opt_kind {
    OPT_FLAG,   /* no argument */
    OPT_TEXT,   /* any text: a name, a path, a spec the command reads itself */
    OPT_CHOICE, /* one of the words in `choices` ("overwrite|apply") */
    OPT_INT,    /* a whole number in [min, max] */
    OPT_NUM,    /* a finite number in [min, max], or (min, max] with min_open */
};

struct opt_info {
    const char *name;    /* the spelling without "--": "max-epochs" */
    enum opt_kind kind;
    const char *arg;     /* the argument's name in the help: "E" (NULL for a flag) */
    const char *choices; /* OPT_CHOICE: the accepted words, '|'-separated */
    double min, max;     /* OPT_INT, OPT_NUM: the bounds; +-HUGE_VAL where there is none */
    int min_open;        /* 1: min itself is refused ("> 0") */
    const char *def;     /* the default as the help shows it, or NULL */
    const char *help;    /* what it does, in sentences; the help printer wraps it */
};

/* The table's entry of an id (never NULL for id < OPT_COUNT). */
const struct opt_info *opt_info_get(enum opt_id id);

/* One option a command accepts. arg, def and help, when not NULL, replace the table's
 * wording in this command's help (where the command gives the option a default or a meaning
 * of its own); the bounds are always the table's. def "" shows no default. */
struct opt_use {
    enum opt_id id;
    const char *arg, *def, *help;
};

/* One parsed option. text is the argument as given (borrowed from argv; NULL for a flag);
 * i is an OPT_INT's value or an OPT_CHOICE's index in its choices; d an OPT_NUM's value. */
struct opt_value {
    enum opt_id id;
    const char *text;
    long long i;
    double d;
};

/* Walks argv like getopt_long (which it uses: options and operands may be mixed, operands
 * are moved after the options, "--" ends the options, an unambiguous prefix names an
 * option, "--name=value" works). Only -h is short, for --help, when the command takes it.
 * Holds getopt's global state: one parser at a time. */
struct opt_parser {
    const struct opt_use *use;
    size_t n_use;
    int argc;
    char **argv;
    int started;
    int operand; /* after the last option: argv index of the first operand */
};

/* argv[0] is the command's name and is skipped; use is borrowed for the parser's life. */
void opt_parser_init(struct opt_parser *p, const struct opt_use *use, size_t n_use, int argc,
                     char **argv);
/* The next option into *v: returns 1, or 0 at the end (p->operand is then the first
 * operand), or SIREN_EUSAGE with e naming the option and what was expected ("--max-epochs:
 * expected an integer in 1..256, got '300'", "unknown option '--foo'"). */
int opt_parser_next(struct opt_parser *p, struct opt_value *v, struct err *e) SIREN_WUR;
/* What an opt_parse handler returns to stop parsing with exit status 0 (it printed the help). */
#define OPT_DONE 1
/* opt_parse's "every option parsed: go on". */
#define OPT_GO_ON (-1)
/* The whole loop of a command: hands each option of argv to fn(ctx, v, e), which stores it
 * and returns SIREN_OK, or OPT_DONE, or an error code with e naming the option (bad usage).
 * With operand NULL the command takes no operands and one is bad usage; else *operand is the
 * argv index of the first. Returns OPT_GO_ON, or the exit status for main(): 0 after
 * OPT_DONE, 2 after bad usage, printed as opt_usage_error(cmd, ...) does. */
int opt_parse(const char *cmd, const struct opt_use *use, size_t n_use, int argc, char **argv,
              int (*fn)(void *ctx, const struct opt_value *v, struct err *e), void *ctx,
              int *operand);
/* Writes the option list of a command's --help: one entry per use, the table's help (or the
 * command's) followed by the bounds and the default, wrapped to 79 columns. */
void opt_help_write(FILE *f, const struct opt_use *use, size_t n_use);
/* Every SIREN_* environment variable siren, siren-fn or bootstrap reads, and what it does: one
 * table beside the options' (opts.c), printed by `siren --help`. {NULL, NULL} ends it. */
struct env_var {
    const char *name, *help;
};
extern const struct env_var env_vars[];
/* Writes one help entry per variable whose name starts with prefix ("" for all). */
void env_help_write(FILE *f, const char *prefix);

/* Prints "siren <cmd>: <message>" and "(see 'siren <cmd> --help')" on stderr; returns 2, the
 * exit status of bad usage, for main() to return. */
int opt_usage_error(const char *cmd, const char *fmt, ...) SIREN_PRINTF(2, 3);
int opt_usage_verror(const char *cmd, const char *fmt, va_list ap) SIREN_PRINTF(2, 0);

#endif

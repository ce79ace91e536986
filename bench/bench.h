/*
 * bench: benchmark suites. Each suite is a function taking the command line after
 * `siren bench SUITE`; it validates, warms up, repeats, and writes CSV + markdown (with the
 * machine, commit and configuration above the numbers) under results/SUITE/ unless --out is
 * given. Benchmarks measure and report; they assert nothing about speed.
 */
#ifndef SIREN_BENCH_H
#define SIREN_BENCH_H

#include "core.h"
#include "job.h"

/* The options the benchmarks share, each read the same way wherever a benchmark takes it. */
struct bench_args {
    const char *out; /* --out DIR; NULL: results/SUITE in the source tree (bench_out_dir) */
    int quick;       /* --quick */
    int reps;        /* --reps N (OPT_BENCH_REPS); preset to the benchmark's default */
};

/* A benchmark's command line: its name in messages ("bench emu"), the help printed above its
 * option list, the options it accepts, and the handler of those that are its own (NULL when
 * it has none; it never sees the shared options or --help). */
struct bench_cli {
    const char *cmd;
    const char *help;
    const struct opt_use *use;
    size_t n_use;
    int (*opt)(void *ctx, const struct opt_value *v, struct err *e);
};
/* A struct bench_cli for an option array (its length taken here) and the help text. */
#define BENCH_CLI(cmd, use, opt, help) {(cmd), (help), (use), sizeof(use) / sizeof *(use), (opt)}
/* Writes cli's help, then its option list. */
void bench_help_write(const struct bench_cli *cli, FILE *f);
/* opt_parse for a benchmark: the shared options into *a, the others to cli->opt with ctx;
 * --help writes the help on stdout. operand as opt_parse's. Returns OPT_GO_ON, or the exit
 * status (0 after --help, 2 after bad usage). */
int bench_args_parse(const struct bench_cli *cli, int argc, char **argv, struct bench_args *a,
                     void *ctx, int *operand);

/* Returns the process exit status (0 ok, 1 failed, 2 usage). */
int bench_kernels_main(int argc, char **argv);
int bench_functions_main(int argc, char **argv);
/* The KV half of `siren bench functions` (bench_kv.c), run by bench_functions_main after the
 * sandbox half with the options it parsed: --out and --quick in a, --kv-dir (NULL: $TMPDIR,
 * else /tmp). Returns the exit status. */
int bench_kv_run(const struct bench_args *a, const char *kv_dir);

int bench_toy_main(int argc, char **argv);
int bench_emu_main(int argc, char **argv);
int bench_sim_main(int argc, char **argv);
int bench_ps_main(int argc, char **argv);
int bench_crossover_main(int argc, char **argv);
int bench_lr_main(int argc, char **argv);

/* Suites defined as files: bench/suites/NAME.json in the source tree (core_source_root()).
 * bench_suite_path writes the path and returns 0 when it exists. */
int bench_suite_path(const char *name, char *buf, size_t len);
/* `siren bench NAME ...` for a suite file (bench/suite.c): runs it, writes the tables and
 * figures, checks expected values. Returns the exit status (0, 1 failed or regressed, 2 usage). */
int bench_suite_main(const char *name, int argc, char **argv);
/* `siren plot RUN_DIR...`: the suite figures for any run directories. Returns the exit status. */
int bench_plot_main(int argc, char **argv);

/* The results folder of a suite: --out when given, else results/SUITE in the source tree
 * (core_source_root()). Created. Writes into buf. */
int bench_out_dir(const char *out, const char *suite, char *buf, size_t buflen,
                  struct err *e) SIREN_WUR;
/* Writes t as SUITE.md (with the header) and SUITE.csv into dir, and prints the markdown. */
int bench_write_table(const struct table *t, const char *dir, const char *name,
                      const char *suite, const char *config, struct err *e) SIREN_WUR;

/* Writes t as NAME.md (the header, the table, then footer when not NULL) and NAME.csv (the
 * header again as '#' comment lines when csv_header is set, for read_csv(...,
 * comment='#'), then the table) into dir, which is created; each file is replaced
 * atomically. The markdown is also printed on stdout. */
int bench_write_report(const struct table *t, const char *dir, const char *name,
                       const char *suite, const char *config, const char *footer, int csv_header,
                       struct err *e) SIREN_WUR;

/* Runs one emulated job to its end on every rank (collective: rank 0 drives it with the
 * policy spec, the other ranks serve). On rank 0, reports[0..*n_reports) get the epochs
 * (caller owns the array; free()). MPI must be initialised (bench_mpi_init). */
int bench_job(const struct job_config *cfg, const char *spec, int max_epochs,
              struct epoch_report **reports, int *n_reports, struct err *e) SIREN_WUR;
/* MPI_Init for suites that run jobs (a no-op when already initialised); returns the rank. */
int bench_mpi_init(int *argc, char ***argv);
void bench_mpi_finalize(void);

/* A command line being built (NULL-terminated; each word owned). */
struct bench_argv {
    char *v[256];
    int n;
};
int bench_argv_push(struct bench_argv *a, const char *word, struct err *e) SIREN_WUR;
void bench_argv_free(struct bench_argv *a);
/* Appends the MPI launcher for `ranks` ranks: $SIREN_MPIRUN split on spaces (default
 * "mpirun --oversubscribe": benchmarks run several small ranks per core), then -n ranks. */
int bench_argv_mpirun(struct bench_argv *a, int ranks, struct err *e) SIREN_WUR;
/* Runs a as a user would, stdin from /dev/null, stdout and stderr into log_path; an exit
 * other than 0 is an error naming the command and the log. */
int bench_spawn_logged(const struct bench_argv *a, const char *log_path,
                       struct err *e) SIREN_WUR;

/* Sorts v[0..n) ascending (repetitions, before their min / median / max are read). */
void bench_sort(double *v, size_t n);
/* The median of v[0..n) (n >= 1; sorts v; the mean of the middle two when n is even). */
double bench_median(double *v, size_t n);

/* The scheduler contest's report (bench_contest.c; `siren sched eval --matrix`): reads
 * dir/<name>/cells.json for each of names[0..n) that exists and writes contest.md,
 * contest.csv and contest.png into dir. suite_path is named in the report. */
int bench_contest_report(const char *dir, const char *const *names, int n_names,
                         const char *suite_path, struct err *e) SIREN_WUR;

/* Writes "machine: ..., commit: ..., date: ..." lines (markdown comments) describing this run. */
void bench_write_header(FILE *f, const char *suite, const char *config);

#endif

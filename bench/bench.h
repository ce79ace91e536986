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

/* Returns the process exit status (0 ok, 1 failed, 2 usage). */
int bench_kernels_main(int argc, char **argv);
int bench_functions_main(int argc, char **argv);
/* The KV half of `siren bench functions` (bench_kv.c); called by bench_functions_main with the
 * same arguments after the sandbox half. Both halves take the options bench_functions_opts. */
int bench_kv_main(int argc, char **argv);
/* What the command line asks of `siren bench functions`: --out, --quick, --kv-dir. */
struct bench_functions_args {
    const char *out, *kv_dir;
    int quick;
};
extern const struct opt_use bench_functions_opts[];
extern const size_t bench_functions_n_opts;
/* opt_parse's handler for bench_functions_opts (ctx: struct bench_functions_args). */
int bench_functions_opt(void *ctx, const struct opt_value *v, struct err *e);

int bench_toy_main(int argc, char **argv);
int bench_emu_main(int argc, char **argv);
int bench_sim_main(int argc, char **argv);
int bench_ps_main(int argc, char **argv);
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

/* Sorts v[0..n) ascending (repetitions, before their min / median / max are read). */
void bench_sort(double *v, size_t n);
/* The median of v[0..n) (n >= 1; sorts v; the mean of the middle two when n is even). */
double bench_median(double *v, size_t n);

/* Writes "machine: ..., commit: ..., date: ..." lines (markdown comments) describing this run. */
void bench_write_header(FILE *f, const char *suite, const char *config);

#endif

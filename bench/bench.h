/*
 * bench: benchmark suites. Each suite is a function taking the command line after
 * `siren bench SUITE`; it validates, warms up, repeats, and writes CSV + markdown (with the
 * machine, commit and configuration above the numbers) under results/SUITE/ unless --out is
 * given. Benchmarks measure and report; they assert nothing about speed.
 */
#ifndef SIREN_BENCH_H
#define SIREN_BENCH_H

#include "core.h"

/* Returns the process exit status (0 ok, 1 failed, 2 usage). */
int bench_kernels_main(int argc, char **argv);
int bench_functions_main(int argc, char **argv);
/* The KV half of `siren bench functions` (bench_kv.c); called by bench_functions_main with the
 * same arguments after the sandbox half. */
int bench_kv_main(int argc, char **argv);

/* Writes "machine: ..., commit: ..., date: ..." lines (markdown comments) describing this run. */
void bench_write_header(FILE *f, const char *suite, const char *config);

#endif

/*
 * cmd: the `siren` command line. siren.c dispatches git-style to one cmd_<name>() per
 * subcommand (cmd_<name>.c). Each parses its own options (getopt_long), prints results on
 * stdout and diagnostics on stderr, and returns the process exit status: 0 success, 1 failure,
 * 2 bad usage. Only main() and these functions decide the exit status.
 */
#ifndef SIREN_CMD_H
#define SIREN_CMD_H

#include "core.h"

int cmd_data(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_kv(int argc, char **argv);
int cmd_invoke(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_sched(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_trace(int argc, char **argv);

/* Prints "siren <cmd>: <message>" and the hint to use --help; returns 2. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) SIREN_PRINTF(2, 3);
/* Prints "siren <cmd>: <err message>" for a failed call; returns 1. */
int cmd_fail(const char *cmd, const struct err *e);

#endif

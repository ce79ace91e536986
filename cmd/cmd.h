/*
 * cmd: the `siren` command line. siren.c dispatches git-style to one cmd_<name>() per
 * subcommand (cmd_<name>.c). Each picks the options it accepts from the one option table
 * (core.h, core/opts.c) and parses them with opt_parser_next, prints results on stdout and
 * diagnostics on stderr, and returns the process exit status: 0 success, 1 failure, 2 bad
 * usage. Only main() and these functions decide the exit status.
 */
#ifndef SIREN_CMD_H
#define SIREN_CMD_H

#include "core.h"

/* Every subcommand, X(name, summary), in the order `siren --help` lists them: the one list
 * that declares cmd_<name>() here and makes siren.c's dispatch table. */
#define CMD_LIST(X)                                                                          \
    X(data, "find, verify, prepare and describe datasets (fetch/prepare/info)")             \
    X(train, "single-process reference training of a workload")                             \
    X(kv, "the KV store by hand (put/get/ls/rm)")                                           \
    X(invoke, "one function in a sandbox, with Lambda's REPORT line")                       \
    X(calibrate, "seconds per sample of a workload on this host")                           \
    X(run, "an emulated training job (under mpirun)")                                       \
    X(sim, "the same job in the fast simulator (and `sim fit`)")                            \
    X(sched, "train the DRL scheduling policy; compare policies")                           \
    X(ps, "the EC2 MXNet-style parameter-server baseline (under mpirun)")                   \
    X(bench, "benchmark suites: tables and figures")                                        \
    X(plot, "the suites' figures (gnuplot PNGs) for any run directories")                   \
    X(trace, "check a run's trace: every parameter update written once")                    \
    X(platform, "the platform presets' constants, units and sources (Markdown)")

#define CMD_DECLARE(name, summary) int cmd_##name(int argc, char **argv);
CMD_LIST(CMD_DECLARE)
#undef CMD_DECLARE

/* Bad usage is reported by opt_usage_error (core.h): "siren <cmd>: <message>" and the hint
 * to use --help; it returns 2. */
/* Prints "siren <cmd>: <err message>" for a failed call; returns 1. */
int cmd_fail(const char *cmd, const struct err *e);
/* The first word after a command that takes a verb (siren VERB, siren data VERB): returns
 * OPT_GO_ON when argv[1] is there to be run, else the exit status after writing usage: 2
 * when there is none (usage on stderr), 0 for --help, -h or help (usage on stdout). */
int cmd_verb_help(int argc, char **argv, void (*write_usage)(FILE *f));

/* The number of entries of a static array (an option list). */
#define CMD_COUNT(a) (sizeof(a) / sizeof *(a))
/* A numeric macro's value as a string literal, for a help text: CMD_STR(PS_DEFAULT_LATENCY_US). */
#define CMD_STR_(x) #x
#define CMD_STR(x) CMD_STR_(x)

struct workload_opts;
/* Stores a workload option (--batch, --lr, --seed, --rows, --hash-bits), already checked
 * against the table, into w; returns 1, or 0 when v is another option. */
int cmd_workload_opt(const struct opt_value *v, struct workload_opts *w);
/* The usage error of command cmd for an unknown workload: its name and the known ones. */
int cmd_unknown_workload(const char *cmd, const char *name);
struct sim_setup;
/* Stores an option of the simulator's set-up (--workload, --platform, --budget,
 * --target-loss, --calibration, --loss-model and the workload's options) into su; returns 1,
 * or 0 when v is another option. */
int cmd_sim_setup_opt(const struct opt_value *v, struct sim_setup *su);
/* --update and --fetch into su: 1 when v was one of them, 0 when not, -1 on a bad rule (e
 * says why, SIREN_EUSAGE). */
int cmd_update_opt(const struct opt_value *v, struct sim_setup *su, struct err *e);
/* The default run directory of `siren run` and `siren ps`:
 * results/runs/<UTC time>-<prefix><workload>, under the current directory (a run's outputs
 * belong to whoever started it). Static storage: valid until the next call. */
const char *cmd_default_run_dir(const char *prefix, const char *workload);

#endif

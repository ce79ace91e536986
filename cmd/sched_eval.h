/*
 * Private to cmd/: the machinery of `siren sched eval`, shared by one evaluation
 * (cmd_sched.c) and the contest of a suite file (`--matrix`, cmd_sched_matrix.c). A cell is
 * one job (workload, budget, seed): every policy's schedule in the simulator, the exact
 * oracle, and each schedule replayed to the real target.
 */
#ifndef SIREN_CMD_SCHED_EVAL_H
#define SIREN_CMD_SCHED_EVAL_H

#include "lr_rule.h"
#include "sim.h"

#include <stddef.h>
#include <stdint.h>

struct sched_opts {
    struct sim_setup su;
    struct lr_rule lr_rule; /* --lr-scale (has_lr_rule), for the emulated replays */
    int has_lr_rule;
    const char *policies, *out, *matrix;
    size_t eval_rows;
    int episodes, emulate, reinforce, cold_start, starts, dry_run;
    double budget_spread, sigma_start, sigma_end;
    double plan_margin; /* in RMSEs of the loss model */
    uint64_t seed;
    char calibration[1200]; /* the default --calibration, in the source tree */
};

/* Fills o from argv (argv[0] is the command's name) and the workload's defaults; cmd names
 * the command in messages ("sched eval"). Returns 0 to go on, -1 after --help, 2 on bad usage
 * (printed). Only --matrix may leave the workload unset. */
int sched_parse(int argc, char **argv, const char *cmd, struct sched_opts *o);

struct sched_row {
    char policy[1100];
    struct sim_result plan; /* the episode that chose the schedule, at the planning target */
    struct sim_result r;    /* the schedule replayed at the real target */
    double ratio;      /* r.jct_s / the oracle's */
    double plan_ratio; /* plan.jct_s / the oracle's: the objective every policy planned for */
    double seconds;    /* wall time the policy took to choose its schedule */
    double emu_jct_s, emu_cost_usd, emu_loss;
    int emu_reached, emulated, emu_epochs;
    /* The simulator's clock after each epoch of the planned schedule run whatever the loss:
     * its time model alone, compared with the emulator's clock after as many epochs. */
    double clock_s[SIM_MAX_EPOCHS];
    int clocked;
};

/* How the oracle searched: its action set and the search's size and time. */
struct sched_oracle_run {
    double target, seconds;
    struct sim_oracle_stats st;
};

#define SCHED_MAX_ROWS 16
struct sched_cell {
    struct sched_row rows[SCHED_MAX_ROWS];
    int nr, n_orc;
    struct sched_oracle_run orc[2];
    double target, plan_target; /* the real target and the one every policy planned to */
};

/* Runs o->policies ("drl:FILE", "grid", "heuristic", "bo", "model", "oracle", any spec of
 * sched_open) on o's job in the simulator: each policy plans to the margin's target, the
 * oracle searches the real one (and the planned one when they differ), every schedule is
 * replayed to the real target, and each row's ratio to the oracle is set. drl_path, when not
 * NULL, replaces the file of a "drl:" entry. Errors: from the simulator and the policies. */
int sched_eval_cell(const struct sched_opts *o, const char *drl_path, struct sched_cell *c,
                    struct err *e) SIREN_WUR;

/* Replays w's planned schedule in the emulator (one rank) under dir: schedule-<idx>.txt and
 * emulated-<idx>/; sets w's emu_* fields. MPI must be initialised (bench_mpi_init). */
int sched_emulate_row(const struct sched_opts *o, const char *dir, struct sched_row *w, int idx,
                      struct err *e) SIREN_WUR;

/* The emulator's error against the simulator, in percent: the JCT when both stop at the
 * target, and the simulator's clock after as many epochs as the emulator ran (NAN when not
 * emulated or the epochs differ beyond the simulator's). */
double sched_row_jct_error_pct(const struct sched_row *w);
double sched_row_time_error_pct(const struct sched_row *w);
double sched_row_cost_error_pct(const struct sched_row *w);
/* A row as eval.json and cells.json hold it: the policy, its replay to the target (jct_s,
 * cost_usd, final_loss, reached_target, ratio_to_oracle, epochs), its plan to plan_target
 * (planned_*, plan_wall_s, schedule) and, when emulated, the emulator's figures and errors. */
cJSON *sched_row_json(const struct sched_row *w, double plan_target);

/* siren sched eval --matrix (cmd_sched_matrix.c). */
int sched_matrix(const struct sched_opts *o, struct err *e) SIREN_WUR;

#endif

/*
 * run_summary: summary.json, the one-file result of a run, written by one function for every
 * kind of run (`siren run`, job.h; the EC2 parameter-server baseline `siren ps`), so that the
 * keys readers share (bench, plot, the tests) are spelled and ordered once. A run adds the
 * keys of its own kind after the common ones. Written atomically (json_write_file).
 */
#ifndef SIREN_RUN_SUMMARY_H
#define SIREN_RUN_SUMMARY_H

#include <stdint.h>

#include "core.h"

/* The common fields, in the order they are written. Strings are borrowed for the call. */
struct run_summary {
    const char *workload, *scheduler;
    const char *sync;     /* "hsp", "ssp:2", ..., or the baseline's mode */
    const char *update;   /* "overwrite", "apply", or "server" */
    const char *clock;    /* "virtual" or "wall" */
    const char *backend;  /* where functions ran; NULL: not written (no functions) */
    const char *platform;
    uint64_t seed;
    int batch;
    double calibration_s_per_sample;
    int epochs;
    double target_loss;
    int reached_target;
    double time_to_target_s; /* written as null unless reached_target */
    double total_time_s;     /* virtual (or wall-clock) time of the run, s */
    double cost_usd;
    double budget_usd;       /* <= 0: no budget, not written */
    double final_loss, test_accuracy;
    double test_auc;         /* NaN: not written */
    int invocations, failed_invocations, peak_functions;
};

/* Writes s to path, then the members of extra (borrowed; NULL for none) in their order.
 * Errors: SIREN_ENOMEM; json_write_file's, naming path. */
int run_summary_write(const char *path, const struct run_summary *s, const cJSON *extra,
                      struct err *e) SIREN_WUR;

#endif

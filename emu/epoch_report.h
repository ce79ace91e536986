/*
 * epoch_report: the state after an epoch, as the scheduler sees it (the paper's s_t), and the
 * epoch's row of epochs.csv. The emulated job (job.h) and the simulator (sched/sim.h) both
 * fill it, so a policy cannot tell which one it runs on. Plain data; no MPI.
 */
#ifndef SIREN_EPOCH_REPORT_H
#define SIREN_EPOCH_REPORT_H

#include <stdint.h>

/* The state after an epoch: what the scheduler sees (the paper's s_t) and the epoch's row. */
struct epoch_report {
    int epoch;                 /* from 1 */
    int n, memory_mb, warm;    /* action taken, and how many started warm */
    double time_s, fetch_s, compute_s, update_s; /* virtual; phases summed over functions */
    double cost_usd;
    double train_loss, test_loss, test_accuracy, test_auc;
    double cpu_util;           /* compute time / billed time of the functions */
    double mem_util;           /* predicted peak memory / memory size */
    double total_time_s, total_cost_usd, budget_left_usd;
    int invocations, failed_invocations;
    /* Step rules: parameter versions created, and GETs that missed a newer version. Round
     * rules: the mini-batches whose work reached the epoch's model, and 0 (every part reads
     * its round's input). */
    int64_t versions, stale_reads;
    int reached_target;
    /* Faults (zero without): attempts that crashed, that raised after a request failed on
     * every try, Lambda's retries, straggling attempts, request tries failed transiently and
     * refused over the rate, functions still failing after the last retry, and steps that
     * therefore wrote no version. */
    int crashes, kv_failures, retries, stragglers, kv_errors, throttled, lost_functions;
    int failed_steps;
};

#endif

/*
 * calibration: how long one training sample takes on this host, per workload, at one thread
 * and a batch size: the compute term of the virtual clock. `siren calibrate` measures it
 * (median of repetitions of real training steps) into a JSON file; a committed reference file
 * (results/calibration/reference.json) makes virtual-clock runs identical on any machine.
 * File: {"host": "...", "commit": "...", "date": "...",
 *        "workloads": {"lenet-fashion": {"batch": 64, "s_per_sample": 3.1e-5,
 *                                        "reps": 15, "min": .., "max": ..}, ...}}
 */
#ifndef SIREN_CALIBRATION_H
#define SIREN_CALIBRATION_H

#include "core.h"
#include "workload.h"

struct calibration_entry {
    double s_per_sample; /* median, seconds per training sample at one full vCPU */
    double min_s_per_sample, max_s_per_sample;
    int batch, reps;
};

/* Measures w's training step at w's batch size: warm-up, then reps timed steps of random
 * batches from the training split. Errors: from the kernels. */
int calibration_measure(struct workload *w, int reps, struct calibration_entry *out,
                        struct err *e) SIREN_WUR;

/* Reads the entry for a workload from a calibration file. Errors: SIREN_ENOTFOUND (file, or no
 * entry for the workload: the message says to run `siren calibrate --workload W`),
 * SIREN_EFORMAT naming the key. */
int calibration_load(const char *path, const char *workload, struct calibration_entry *out,
                     struct err *e) SIREN_WUR;

/* Adds or replaces the workload's entry in the file (created if missing), atomically. */
int calibration_store(const char *path, const char *workload, const struct calibration_entry *c,
                      struct err *e) SIREN_WUR;

/* One server update of the parameter-server baseline (`siren ps`) on this host at one thread,
 * per parameter: adding a worker's weighted gradient into the round's average (sum) and one
 * optimiser step of the workload's optimiser (step), each the median of reps timed passes over
 * the model's whole flat vector. Stored beside the workload's entry under "W@update":
 *   {"step_s_per_param": .., "sum_s_per_param": .., "params": .., "reps": ..} */
struct calibration_update {
    double step_s_per_param, sum_s_per_param;
    long long params; /* the vector length the passes were timed over */
    int reps;
};

/* Measures w's server update (three warm-up passes, then reps timed ones). Needs no data.
 * Errors: SIREN_ENOMEM, the kernels'. */
int calibration_update_measure(const struct workload *w, int reps,
                               struct calibration_update *out, struct err *e) SIREN_WUR;
/* Reads "W@update" for workload W. Errors: SIREN_ENOTFOUND (file, or no entry: the message
 * names the `siren calibrate --update` command), SIREN_EFORMAT naming the key. */
int calibration_update_load(const char *path, const char *workload,
                            struct calibration_update *out, struct err *e) SIREN_WUR;
/* Adds or replaces "W@update" in the file (created if missing), atomically. */
int calibration_update_store(const char *path, const char *workload,
                             const struct calibration_update *c, struct err *e) SIREN_WUR;

/* The committed reference calibration: results/calibration/reference.json in the source tree
 * (core_source_root()). Borrowed; valid until the next call on the same thread. */
const char *calibration_reference_path(void);

#endif

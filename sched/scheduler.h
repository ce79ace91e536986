/*
 * sched: the scheduler seam. After every epoch a policy receives the state (struct
 * epoch_report: the paper's s_t) and returns the next action a_t = (number of functions,
 * memory size). The emulator (`siren run`) and the simulator call the same interface.
 * (The header is not called sched.h so that it never hides the system <sched.h>.)
 * Specs: "static:n=N,m=MB"; "schedule:FILE" (one line per epoch: n m; '#' comments; the
 * last line repeats when the run is longer than the file); "heuristic[:n0=,n1=,decay=,m=]"
 * (n0 functions, times decay each epoch, at least n1, memory m); "drl:POLICY" (a trained
 * agent's file, sched_internal.h). "grid" and "oracle" search the simulator (sim.h): `siren
 * sim` and `siren sched eval` resolve them; `siren run` takes the schedule they write.
 * Heuristic and drl actions are clipped to the job's grid by sched_drive.
 */
#ifndef SIREN_SCHED_H
#define SIREN_SCHED_H

#include "core.h"
#include "epoch_report.h"

struct sched_action {
    int n;         /* functions */
    int memory_mb; /* memory size of each */
};

struct sched_policy;

/* Parses spec and builds the policy. Caller owns *out; release with sched_close().
 * Errors: SIREN_EFORMAT naming the spec, or the file and line, and what was expected. */
int sched_open(const char *spec, struct sched_policy **out, struct err *e) SIREN_WUR;
/* The action for the next epoch. state is NULL before the first epoch. */
int sched_next(struct sched_policy *p, const struct epoch_report *state, struct sched_action *out,
               struct err *e) SIREN_WUR;
const char *sched_spec(const struct sched_policy *p);
/* What sched_drive runs epochs on: the emulated job (`siren run` wraps job.h in one) or any
 * other runner of epochs. Borrowed for the call. */
struct sched_target {
    void *ctx;
    int epochs_done;                   /* run before (a resumed job); 0 for a fresh one */
    const struct epoch_report *last;   /* the last of those, or NULL */
    int max_functions;                 /* the most functions an epoch may have */
    int (*memory_clip_mb)(void *ctx, int memory_mb); /* onto the platform's memory grid */
    int (*run_epoch)(void *ctx, int n, int memory_mb, struct epoch_report *out, struct err *e);
};
/* Rank 0's loop over epochs: ask the policy, run the epoch, stop at the target loss, when the
 * cost reaches budget_usd (> 0), or after max_epochs. *last (may be NULL) gets the last
 * epoch's report. A resumed job (`siren run --resume`) has epochs done already: the policy is
 * first asked for as many actions, so that it stands where it stood, and the loop goes on from
 * the next epoch. Errors: from the policy and the target. */
int sched_drive(struct sched_policy *p, const struct sched_target *t, int max_epochs,
                double budget_usd, struct epoch_report *last, struct err *e) SIREN_WUR;
void sched_close(struct sched_policy *p);
/* A policy replaying an action list (the last repeats), named spec (e.g. "oracle"); a copy of
 * a is kept. Errors: SIREN_EINVAL (n < 1), SIREN_ENOMEM. */
int sched_open_actions(const struct sched_action *a, int n, const char *spec,
                       struct sched_policy **out, struct err *e) SIREN_WUR;

#endif

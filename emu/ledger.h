/*
 * ledger: the cost ledger of a job. Pure arithmetic on a platform preset: per invocation the
 * billed duration (rounded up to the preset's granularity, with init time where billed) x
 * memory in GB x price per GB-s + the request fee; object-store request fees (GET, PUT, LIST;
 * DELETE is free on S3); and VM time (instances x hourly price x billed time, per second with
 * a minimum); and a channel's fees (request units, or a node's time). Totals are kept for the current epoch and for the whole job. A ledger borrows its
 * platform (it must outlive the ledger) and owns nothing else: no free needed.
 */
#ifndef SIREN_LEDGER_H
#define SIREN_LEDGER_H

#include <stdint.h>

#include "core.h"
#include "platform.h"

struct ledger_totals {
    uint64_t invocations;
    double billed_ms;           /* sum of billed durations */
    double gb_s;                /* sum of billed GB-seconds */
    double compute_usd;         /* GB-s charges */
    double request_usd;         /* invocation request fees */
    uint64_t kv_gets, kv_puts, kv_lists, kv_deletes;
    double kv_usd;              /* object-store request fees */
    double vm_usd;              /* VM instance time */
    double channel_usd;         /* a channel other than S3: its request units or node time */
    double total_usd;           /* compute + request + kv + vm + channel */
};

struct ledger {
    const struct platform *platform; /* borrowed */
    int epoch;                       /* index of the epoch being charged, from 0 */
    struct ledger_totals epoch_totals;
    struct ledger_totals job_totals;
};

void ledger_init(struct ledger *l, const struct platform *p);

/* Charges one invocation of memory_mb that ran duration_ms after init_ms of start-up (0 for a
 * warm start). *cost_usd (may be NULL) gets its cost. SIREN_ERANGE (e names the value) when
 * memory_mb is outside the preset's range or a time is negative or not finite. */
int ledger_add_invocation(struct ledger *l, int memory_mb, double duration_ms, double init_ms,
                          double *cost_usd, struct err *e) SIREN_WUR;
/* Charges object-store requests (counts, e.g. the difference of two kv_stats). Returns the
 * fees in USD. */
double ledger_add_kv(struct ledger *l, uint64_t gets, uint64_t puts, uint64_t lists,
                     uint64_t deletes);
/* Charges the fees of a channel other than the object store (epoch_model_channel_usd).
 * Negative or non-finite amounts are not charged. */
void ledger_add_channel(struct ledger *l, double usd);
/* Charges count instances of the VM type called instance for seconds each. *cost_usd (may be
 * NULL) gets the cost. SIREN_ENOTFOUND for an unknown type, SIREN_ERANGE for a negative count
 * or time. */
int ledger_add_vm(struct ledger *l, const char *instance, int count, double seconds,
                  double *cost_usd, struct err *e) SIREN_WUR;
/* Closes the current epoch: *out (may be NULL) gets its totals, which then restart from zero
 * for the next epoch. The job totals keep accumulating. */
void ledger_end_epoch(struct ledger *l, struct ledger_totals *out);

#endif

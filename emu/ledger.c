/*
 * ledger: the cost ledger. Every charge is added to the epoch totals and the job totals at
 * once, so the job total is always the sum of the closed epochs plus the open one. Prices and
 * billing rules come from the platform preset; nothing here reads a clock.
 */
#include "ledger.h"

#include <math.h>
#include <string.h>

void ledger_init(struct ledger *l, const struct platform *p)
{
    memset(l, 0, sizeof *l);
    l->platform = p;
}

/* Adds one charge (d: counts and fees; its total_usd is not read) to the epoch's totals and
 * the job's alike. */
static void charge(struct ledger *l, const struct ledger_totals *d)
{
    struct ledger_totals *t[2] = {&l->epoch_totals, &l->job_totals};
    for (int i = 0; i < 2; i++) {
        t[i]->invocations += d->invocations;
        t[i]->billed_ms += d->billed_ms;
        t[i]->gb_s += d->gb_s;
        t[i]->kv_gets += d->kv_gets;
        t[i]->kv_puts += d->kv_puts;
        t[i]->kv_lists += d->kv_lists;
        t[i]->kv_deletes += d->kv_deletes;
        t[i]->compute_usd += d->compute_usd;
        t[i]->request_usd += d->request_usd;
        t[i]->kv_usd += d->kv_usd;
        t[i]->vm_usd += d->vm_usd;
        t[i]->channel_usd += d->channel_usd;
        t[i]->total_usd += d->compute_usd + d->request_usd + d->kv_usd + d->vm_usd + d->channel_usd;
    }
}

int ledger_add_invocation(struct ledger *l, int memory_mb, double duration_ms, double init_ms,
                          double *cost_usd, struct err *e)
{
    const struct platform *p = l->platform;
    if (memory_mb < p->memory_mb_min || memory_mb > p->memory_mb_max)
        return err_set(e, SIREN_ERANGE, "%s: memory %d MB outside %d..%d MB", p->name,
                       memory_mb, p->memory_mb_min, p->memory_mb_max);
    if (!(duration_ms >= 0) || !isfinite(duration_ms) || !(init_ms >= 0) || !isfinite(init_ms))
        return err_set(e, SIREN_ERANGE, "%s: invocation time %g ms (init %g ms) is not a "
                       "non-negative number", p->name, duration_ms, init_ms);
    double billed_ms = platform_billed_ms(p, duration_ms, init_ms);
    double gb_s = billed_ms / 1000.0 * (memory_mb / 1024.0);
    double compute = gb_s * p->price_usd_per_gb_s;
    struct ledger_totals d = {.invocations = 1, .billed_ms = billed_ms, .gb_s = gb_s,
                              .compute_usd = compute, .request_usd = p->price_usd_per_request};
    charge(l, &d);
    if (cost_usd) *cost_usd = compute + p->price_usd_per_request;
    return SIREN_OK;
}

double ledger_add_kv(struct ledger *l, uint64_t gets, uint64_t puts, uint64_t lists,
                     uint64_t deletes)
{
    const struct platform *p = l->platform;
    double usd = ((double)gets * p->store_usd_per_1000_get +
                  (double)puts * p->store_usd_per_1000_put +
                  (double)lists * p->store_usd_per_1000_list) / 1000.0;
    struct ledger_totals d = {.kv_gets = gets, .kv_puts = puts, .kv_lists = lists,
                              .kv_deletes = deletes, .kv_usd = usd};
    charge(l, &d);
    return usd;
}

void ledger_add_channel(struct ledger *l, double usd)
{
    if (!(usd > 0) || !isfinite(usd)) return;
    struct ledger_totals d = {.channel_usd = usd};
    charge(l, &d);
}

int ledger_add_vm(struct ledger *l, const char *instance, int count, double seconds,
                  double *cost_usd, struct err *e)
{
    const struct vm_instance *vm = platform_vm_find(l->platform, instance);
    if (!vm)
        return err_set(e, SIREN_ENOTFOUND, "%s: no VM instance type '%s'", l->platform->name,
                       instance);
    if (count < 0 || !(seconds >= 0) || !isfinite(seconds))
        return err_set(e, SIREN_ERANGE, "%s: %d x %s for %g s: count and time must be "
                       "non-negative", l->platform->name, count, instance, seconds);
    double usd = platform_vm_cost_usd(l->platform, vm, count, seconds);
    struct ledger_totals d = {.vm_usd = usd};
    charge(l, &d);
    if (cost_usd) *cost_usd = usd;
    return SIREN_OK;
}

void ledger_end_epoch(struct ledger *l, struct ledger_totals *out)
{
    if (out) *out = l->epoch_totals;
    memset(&l->epoch_totals, 0, sizeof l->epoch_totals);
    l->epoch++;
}

/*
 * epoch_model (see epoch_model.h): the warm functions and the planner's input of an epoch; the
 * billing window of every invocation and the epoch's bill, in the ledger's order of
 * floating-point operations (per invocation compute + request fee, then the object-store
 * fees), so that the emulator's ledger and the simulator agree to the last bit; and the
 * report's shared fields.
 */
#include "epoch_model.h"

#include "latency.h"

#include <math.h>
#include <string.h>

int epoch_model_warm(int n, int memory_mb, int prev_n, int prev_memory_mb)
{
    return memory_mb == prev_memory_mb ? (n < prev_n ? n : prev_n) : 0;
}

void epoch_model_plan_config(const struct plan_costs *costs, int epoch, int n, int n_warm,
                             enum plan_sync sync, int staleness, enum plan_update update,
                             enum plan_timeout on_timeout, const uint32_t *batch_rows,
                             size_t n_batches, struct plan_config *out)
{
    /* No faults, one pass: the rest zero. */
    *out = (struct plan_config){.n_functions = n, .n_warm = n_warm, .epoch = epoch, .batch_rows = batch_rows,
                                .n_batches = n_batches, .on_timeout = on_timeout, .sync = sync,
                                .staleness = staleness, .update = update, .costs = *costs};
}

void epoch_model_costs(const struct platform *pf, const struct epoch_model_opts *o,
                       double s_per_sample, double shard_bytes_per_sample, double param_bytes,
                       int memory_mb, struct plan_costs *k)
{
    double share = platform_vcpu_share(pf, memory_mb);
    double speed = share < 1.0 ? share : 1.0;
    double net = platform_network_mb_per_s(pf, memory_mb);
    double s3_bw = pf->store_mb_per_s_per_connection < net ? pf->store_mb_per_s_per_connection : net;
    const struct channel *ch = &pf->channels[o ? o->channel : CHANNEL_S3];
    double ch_bw = ch->mb_per_s < net ? ch->mb_per_s : net;
    memset(k, 0, sizeof *k);
    k->start_cold_s = platform_cold_start_ms(pf) / 1e3;
    k->start_warm_s = pf->warm_start_ms / 1e3;
    k->kv_get_latency_s = ch->get_ms / 1e3;
    k->kv_put_latency_s = ch->put_ms / 1e3;
    k->kv_bandwidth_bytes_per_s = ch_bw * 1e6;
    k->kv_node_bytes_per_s = ch->node_mb_per_s * 1e6;
    k->kv_item_max_bytes = ch->item_max_bytes;
    if (ch->kind == CHANNEL_S3) { /* per-prefix request rates (each function's own prefix) */
        k->kv_gets_per_s_per_prefix = pf->store_gets_per_s_per_prefix;
        k->kv_puts_per_s_per_prefix = pf->store_puts_per_s_per_prefix;
    } else { /* the data still comes from S3 */
        k->data_get_latency_s = pf->store_first_byte_ms / 1e3;
        k->data_bandwidth_bytes_per_s = s3_bw * 1e6;
    }
    k->compute_s_per_sample = s_per_sample / speed;
    k->data_bytes_per_sample = shard_bytes_per_sample;
    k->param_bytes = param_bytes;
    k->timeout_s = pf->timeout_s;
    k->kv_connections = pf->store_connections_per_function;
    k->data_chunk_bytes = pf->store_range_get_bytes;
    k->invoke_interval_s = pf->invoke_per_s > 0 ? 1.0 / pf->invoke_per_s : 0.0;
    k->env_burst = pf->concurrency_burst;
    k->env_scale_step = pf->concurrency_scale_step;
    k->env_scale_interval_s = pf->concurrency_scale_interval_s;
    if (o && o->variable_latency) {
        /* A cold start's spread is the runtime's; the package adds a constant. */
        k->sigma_cold = latency_sigma(pf->cold_start_ms, pf->cold_start_p95_ms);
        k->sigma_warm = latency_sigma(pf->warm_start_ms, pf->warm_start_p95_ms);
        k->sigma_get = latency_sigma(ch->get_ms, ch->get_p95_ms);
        k->sigma_put = latency_sigma(ch->put_ms, ch->put_p95_ms);
        k->sigma_data_get = latency_sigma(pf->store_first_byte_ms, pf->store_get_p95_ms);
        k->latency_seed = o->seed;
    }
}

double epoch_model_driver_s(const struct platform *pf, enum plan_sync sync)
{
    return sync == PLAN_SYNC_ASP ? 0.0 : pf->driver_step_ms / 1e3;
}

/* A node's or instance's time, or nothing. */
static double node_usd(const struct channel *ch, double time_s)
{
    return ch->usd_per_hour > 0 && time_s > 0 ? ch->usd_per_hour * time_s / 3600.0 : 0.0;
}

/* DynamoDB: request units of `requests` values of `bytes` each (at least one unit each). */
static double dynamo_usd(const struct channel *ch, int put, double requests, double bytes)
{
    double unit = put ? ch->write_unit_bytes : ch->read_unit_bytes;
    double units = requests * fmax(1.0, ceil(bytes / unit));
    return units * (put ? ch->usd_per_million_writes : ch->usd_per_million_reads) / 1e6;
}

double epoch_model_channel_usd(const struct platform *pf, const struct epoch_model_opts *o,
                               const struct plan_rounds *p, double time_s)
{
    const struct channel *ch = &pf->channels[o ? o->channel : CHANNEL_S3];
    if (ch->kind == CHANNEL_S3) return 0.0;
    double usd = 0.0;
    if (ch->kind == CHANNEL_DYNAMODB)
        for (size_t i = 0; i < p->n_bursts; i++) {
            const struct plan_burst *b = &p->bursts[i];
            if (b->op == PLAN_OP_DATA_GET || b->requests == 0) continue;
            usd += dynamo_usd(ch, plan_op_is_put((enum plan_op)b->op), b->requests,
                              b->bytes / b->requests);
        }
    return usd + node_usd(ch, time_s);
}

double epoch_model_channel_step_usd(const struct platform *pf, const struct epoch_model_opts *o,
                                    uint64_t param_gets, uint64_t param_puts,
                                    double param_bytes, double time_s)
{
    const struct channel *ch = &pf->channels[o ? o->channel : CHANNEL_S3];
    if (ch->kind == CHANNEL_S3) return 0.0;
    double usd = 0.0;
    if (ch->kind == CHANNEL_DYNAMODB) {
        double per = ch->item_max_bytes > 0 && param_bytes > ch->item_max_bytes
                         ? ceil(param_bytes / ch->item_max_bytes)
                         : 1.0;
        usd += dynamo_usd(ch, 0, (double)param_gets * per, param_bytes / per) +
               dynamo_usd(ch, 1, (double)param_puts * per, param_bytes / per);
    }
    return usd + node_usd(ch, time_s);
}

void epoch_model_invocation(const struct platform *pf, const struct plan_epoch *p, int fn,
                            int inv, int dead_at, int memory_mb, struct epoch_invocation *out)
{
    const struct plan_fn *f = &p->fns[fn];
    double start = -1, stop = -1;
    memset(out, 0, sizeof *out);
    out->status = 0;
    out->dead_step = -1;
    /* A continuation is invoked when its predecessor's last step ends. */
    out->invoke_s = f->t_invoke;
    for (int k = 0; k < f->n_steps; k++) {
        const struct plan_step *st = &p->steps[f->first_step + k];
        if (inv > 0 && st->invocation == inv - 1) out->invoke_s = st->t_end;
        if (st->invocation != inv) continue;
        if (start < 0) start = inv == 0 ? f->t_start : st->t_data_get;
        if (st->failed) {
            out->status = 2;
            stop = f->t_invoke + pf->timeout_s;
            break;
        }
        if (dead_at >= 0 && k >= dead_at) {
            out->status = 1;
            out->dead_step = dead_at;
            stop = st->t_compute;
            break;
        }
        stop = st->t_end;
    }
    if (start < 0) return;
    out->ran = 1;
    if (inv + 1 < f->invocations && out->status == 0) out->status = 3;
    out->cold = inv == 0 && f->cold;
    out->init_ms = out->cold ? (f->t_start - f->t_invoke) * 1e3 : 0.0;
    out->start_s = start;
    out->stop_s = stop;
    double dur_ms = (stop - start) * 1e3;
    out->billed_ms = platform_billed_ms(pf, dur_ms, out->init_ms);
    /* As ledger_add_invocation: billed s x GB x price, plus the request fee. */
    double gb_s = out->billed_ms / 1000.0 * (memory_mb / 1024.0);
    out->cost_usd = gb_s * pf->price_usd_per_gb_s + pf->price_usd_per_request;
}

/* One invocation of billed_ms into the bill, as ledger_add_invocation adds it: billed s x GB
 * x price, plus the request fee, summed into *total in the ledger's order. */
static void bill_invocation(const struct platform *pf, int memory_mb, double billed_ms,
                            double *total, struct epoch_bill *out)
{
    double gb_s = billed_ms / 1000.0 * (memory_mb / 1024.0);
    double compute = gb_s * pf->price_usd_per_gb_s;
    *total += compute + pf->price_usd_per_request;
    out->invocation_usd += compute + pf->price_usd_per_request;
    out->billed_s += billed_ms / 1e3;
    out->invocations++;
}

/* The object store's fees of out's requests (no LIST requests), the channel's, then the
 * epoch's cost. */
static void bill_close(const struct platform *pf, double total, struct epoch_bill *out)
{
    out->kv_usd = ((double)out->kv_gets * pf->store_usd_per_1000_get +
                   (double)out->kv_puts * pf->store_usd_per_1000_put +
                   (double)0 * pf->store_usd_per_1000_list) / 1000.0;
    out->cost_usd = total + out->kv_usd;
    if (out->channel_usd > 0 && isfinite(out->channel_usd)) out->cost_usd += out->channel_usd;
}

void epoch_model_bill(const struct platform *pf, const struct epoch_model_opts *o,
                      const struct plan_epoch *p, int memory_mb, enum plan_update update,
                      const int *dead_at, const int *step_ok, double driver_s,
                      struct epoch_bill *out)
{
    memset(out, 0, sizeof *out);
    double total = 0.0;
    for (int i = 0; i < p->n_functions; i++) {
        const struct plan_fn *f = &p->fns[i];
        int dead = dead_at ? dead_at[i] : -1;
        double end = dead >= 0 ? p->steps[f->first_step + dead].t_compute : f->t_end;
        if (end > out->time_s) out->time_s = end;
        for (int inv = 0; inv < f->invocations; inv++) {
            struct epoch_invocation ei;
            epoch_model_invocation(pf, p, i, inv, dead, memory_mb, &ei);
            if (!ei.ran) continue;
            bill_invocation(pf, memory_mb, ei.billed_ms, &total, out);
            if (ei.status == 1 || ei.status == 2) out->failed_invocations++;
        }
    }
    for (size_t s = 0; s < p->n_steps; s++) {
        const struct plan_step *st = &p->steps[s];
        if (st->failed) continue;
        int fn_dead = dead_at ? dead_at[st->fn] : -1;
        /* The emulator reports the steps after a death as run (skipped, failed): their GETs
         * are charged, as the ledger does. */
        out->kv_gets += 2 + (update == PLAN_UPDATE_APPLY);
        int ok = step_ok ? step_ok[s] : (fn_dead < 0 || st->step < fn_dead);
        if (ok) out->kv_puts++;
    }
    out->time_s += driver_s;
    if (o && o->channel != CHANNEL_S3) {
        /* One data GET per step stays with S3; the parameter requests go to the channel. */
        uint64_t data_gets = 0;
        for (size_t s = 0; s < p->n_steps; s++) data_gets += !p->steps[s].failed;
        out->channel_usd = epoch_model_channel_step_usd(pf, o, out->kv_gets - data_gets,
                                                        out->kv_puts, p->param_bytes,
                                                        out->time_s);
        out->kv_gets = data_gets;
        out->kv_puts = 0;
    }
    bill_close(pf, total, out);
}

void epoch_model_call(const struct platform *pf, const struct plan_call *c, int memory_mb,
                      struct epoch_invocation *out)
{
    memset(out, 0, sizeof *out);
    out->ran = 1;
    out->dead_step = -1;
    out->status = c->continued ? 3 : 0;
    out->cold = c->cold;
    out->init_ms = c->cold ? (c->t_start - c->t_invoke) * 1e3 : 0.0;
    out->start_s = c->t_start;
    out->stop_s = c->t_stop;
    out->billed_ms = platform_billed_ms(pf, (c->t_stop - c->t_start) * 1e3, out->init_ms);
    double gb_s = out->billed_ms / 1000.0 * (memory_mb / 1024.0);
    out->cost_usd = gb_s * pf->price_usd_per_gb_s + pf->price_usd_per_request;
}

void epoch_model_bill_rounds(const struct platform *pf, const struct epoch_model_opts *o,
                             const struct plan_rounds *p, int memory_mb, double driver_s,
                             struct epoch_bill *out)
{
    memset(out, 0, sizeof *out);
    double total = 0.0;
    for (size_t i = 0; i < p->n_calls; i++) {
        struct epoch_invocation ei;
        epoch_model_call(pf, &p->calls[i], memory_mb, &ei);
        bill_invocation(pf, memory_mb, ei.billed_ms, &total, out);
    }
    out->time_s = p->t_end + driver_s;
    int s3 = !o || o->channel == CHANNEL_S3;
    out->kv_gets = s3 ? p->gets : p->data_gets;
    out->kv_puts = s3 ? p->puts : 0;
    out->channel_usd = epoch_model_channel_usd(pf, o, p, out->time_s);
    bill_close(pf, total, out);
}

void epoch_model_report_start(struct epoch_report *rep, int epoch, int n, int memory_mb,
                              int n_warm, double model_bytes)
{
    memset(rep, 0, sizeof *rep);
    rep->epoch = epoch;
    rep->n = n;
    rep->memory_mb = memory_mb;
    rep->warm = n_warm;
    rep->mem_util = model_bytes / (memory_mb * 1048576.0);
}

void epoch_model_report_usage(struct epoch_report *rep, double time_s, double fetch_s,
                              double compute_s, double update_s, double billed_s,
                              double cost_usd)
{
    rep->time_s = time_s;
    rep->fetch_s = fetch_s;
    rep->compute_s = compute_s;
    rep->update_s = update_s;
    rep->cost_usd = cost_usd;
    rep->cpu_util = billed_s > 0 ? compute_s / billed_s : 0.0;
}

void epoch_model_report_totals(struct epoch_report *rep, double budget_usd,
                               double *total_time_s, double *total_cost_usd)
{
    *total_time_s += rep->time_s;
    *total_cost_usd += rep->cost_usd;
    rep->total_time_s = *total_time_s;
    rep->total_cost_usd = *total_cost_usd;
    rep->budget_left_usd = budget_usd > 0 ? budget_usd - *total_cost_usd : (double)INFINITY;
}

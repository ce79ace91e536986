/*
 * The planners' request and invocation times (planner.h): when the driver invokes a function,
 * and how long a burst of requests takes on the channel or the object store, with fixed or
 * drawn latencies (latency.h). Shared by the step planner and the round planner.
 */
#include "planner.h"

#include "latency.h"

#include <math.h>

double plan_invoke_time(const struct plan_costs *k, int i, int n_warm)
{
    double t = k->invoke_interval_s > 0 ? k->invoke_interval_s * i : 0.0;
    if (k->env_burst > 0 && k->env_scale_step > 0 && i >= n_warm && i >= k->env_burst) {
        double waits = ceil((double)(i - k->env_burst + 1) / (double)k->env_scale_step);
        double ramp = waits * k->env_scale_interval_s;
        if (ramp > t) t = ramp;
    }
    return t;
}

/* Requests per value: a value above the channel's item size is split. */
static double pieces_of(const struct plan_costs *k, double bytes)
{
    return k->kv_item_max_bytes > 0 && bytes > k->kv_item_max_bytes
               ? ceil(bytes / k->kv_item_max_bytes)
               : 1.0;
}

uint64_t plan_burst_requests(const struct plan_costs *k, uint32_t m, double bytes)
{
    return (uint64_t)m * (uint64_t)pieces_of(k, bytes);
}

/* m requests on c connections: the slowest connection's latencies. */
static double burst_latency_s(const struct plan_costs *k, struct rng *r, double median,
                              double sigma, uint64_t m)
{
    uint64_t c = k->kv_connections > 0 ? (uint64_t)k->kv_connections : 1;
    if (m == 0) return 0.0;
    if (!r || !(sigma > 0)) return (double)((m + c - 1) / c) * median;
    if (c > m) c = m;
    double sums[64], worst = 0.0;
    if (c > 64) c = 64;
    for (uint64_t j = 0; j < c; j++) sums[j] = 0.0;
    for (uint64_t q = 0; q < m; q++) sums[q % c] += latency_draw(r, median, sigma);
    for (uint64_t j = 0; j < c; j++)
        if (sums[j] > worst) worst = sums[j];
    return worst;
}

double plan_burst_s(const struct plan_costs *k, struct rng *r, int put, uint32_t m,
                    double bytes, int sharers)
{
    if (m == 0) return 0.0;
    double per = pieces_of(k, bytes);
    double bw = k->kv_bandwidth_bytes_per_s;
    if (k->kv_node_bytes_per_s > 0 && sharers > 0 && k->kv_node_bytes_per_s / sharers < bw)
        bw = k->kv_node_bytes_per_s / sharers;
    double lat = burst_latency_s(k, r, put ? k->kv_put_latency_s : k->kv_get_latency_s,
                                 put ? k->sigma_put : k->sigma_get, (uint64_t)(m * per));
    return lat + (double)m * bytes / bw;
}

double plan_data_burst_s(const struct plan_costs *k, struct rng *r, uint32_t m, double bytes)
{
    if (m == 0) return 0.0;
    if (!(k->data_bandwidth_bytes_per_s > 0)) return plan_burst_s(k, r, 0, m, bytes, 0);
    return burst_latency_s(k, r, k->data_get_latency_s, k->sigma_data_get, m) +
           (double)m * bytes / k->data_bandwidth_bytes_per_s;
}

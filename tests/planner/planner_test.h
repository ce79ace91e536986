/*
 * The round-number costs the planner tests compute their expected timelines from: every GET
 * 0.25 s + bytes / 1024 B/s, every PUT 0.5 s + bytes / 1024 B/s, compute 0.25 s per sample,
 * start 0.5 s cold and 0.125 s warm, 256 bytes of data per sample, 512 bytes of parameters.
 */
#ifndef SIREN_PLANNER_TEST_H
#define SIREN_PLANNER_TEST_H

#include "planner.h"

static inline struct plan_costs round_costs(void)
{
    struct plan_costs k = {0};
    k.start_cold_s = 0.5;
    k.start_warm_s = 0.125;
    k.kv_get_latency_s = 0.25;
    k.kv_put_latency_s = 0.5;
    k.kv_bandwidth_bytes_per_s = 1024.0;
    k.compute_s_per_sample = 0.25;
    k.data_bytes_per_sample = 256.0;
    k.param_bytes = 512.0;
    k.timeout_s = 900.0;
    return k;
}

#endif

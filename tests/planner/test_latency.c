/*
 * The platform model's new terms in the planners: lognormal latency draws (their median and
 * 95th percentile, seeded streams), invocation times (the driver's rate, the platform's
 * scale-up), bursts on a channel (split values, a shared node), data from S3 beside another
 * channel, and that fixed latency leaves the plans exactly as the medians give them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "latency.h"
#include "plan_rounds.h"
#include "planner_test.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 200,000 draws of the S3 GET's lognormal (27 ms median, 74 ms p95) have that median and
 * 95th percentile, and the mean the formula gives. */
static void test_draws_have_the_median_and_p95_they_are_fitted_to(void **state)
{
    (void)state;
    enum { N = 200000 };
    double *d = malloc(N * sizeof *d), sum = 0;
    assert_non_null(d);
    double sigma = latency_sigma(27, 74);
    assert_true(fabs(sigma - log(74.0 / 27.0) / 1.6448536269514722) < 1e-12);
    struct rng r;
    latency_stream(7, 1, 0, &r);
    for (int i = 0; i < N; i++) sum += d[i] = latency_draw(&r, 27, sigma);
    qsort(d, N, sizeof *d, cmp_double);
    assert_true(fabs(d[N / 2] - 27) < 0.01 * 27);
    assert_true(fabs(d[(int)(0.95 * N)] - 74) < 0.02 * 74);
    assert_true(fabs(sum / N - latency_mean(27, sigma)) < 0.01 * latency_mean(27, sigma));
    free(d);
    /* No spread, or no stream: the median itself. */
    assert_true(latency_sigma(27, 27) == 0 && latency_sigma(0, 5) == 0);
    assert_true(latency_draw(&r, 27, 0) == 27 && latency_draw(NULL, 27, sigma) == 27);
}

/* A stream depends on (seed, epoch, function) only. */
static void test_streams_are_keyed_by_seed_epoch_and_function(void **state)
{
    (void)state;
    struct rng a, b, c, d;
    latency_stream(1, 3, 5, &a);
    latency_stream(1, 3, 5, &b);
    latency_stream(1, 3, 6, &c);
    latency_stream(2, 3, 5, &d);
    uint64_t x = rng_u64(&a);
    assert_true(x == rng_u64(&b));
    assert_true(x != rng_u64(&c));
    assert_true(x != rng_u64(&d));
}

/* The driver sends one invocation each interval; new environments beyond the burst come in
 * steps; warm functions need none. */
static void test_invocations_follow_the_driver_and_the_scale_up(void **state)
{
    (void)state;
    struct plan_costs k = round_costs();
    assert_true(plan_invoke_time(&k, 99, 0) == 0.0); /* neither: all at once */
    k.invoke_interval_s = 0.01;
    k.env_burst = 3;
    k.env_scale_step = 2;
    k.env_scale_interval_s = 60;
    assert_true(plan_invoke_time(&k, 0, 0) == 0.0);
    assert_true(plan_invoke_time(&k, 2, 0) == 0.02);
    assert_true(plan_invoke_time(&k, 3, 0) == 60.0); /* first step after the burst */
    assert_true(plan_invoke_time(&k, 4, 0) == 60.0);
    assert_true(plan_invoke_time(&k, 5, 0) == 120.0);
    assert_true(plan_invoke_time(&k, 5, 6) == 0.05); /* warm: its environment exists */
}

/* Bursts: m requests on c connections take ceil(m/c) latencies plus the bytes; a value
 * larger than the item size is several requests; a shared node divides its bandwidth. */
static void test_bursts_split_values_and_share_a_node(void **state)
{
    (void)state;
    struct plan_costs k = round_costs();
    k.kv_connections = 2;
    assert_true(plan_burst_s(&k, NULL, 0, 3, 512, 0) == 2 * 0.25 + 3 * 512 / 1024.0);
    assert_true(plan_burst_s(&k, NULL, 1, 1, 512, 0) == 0.5 + 0.5);
    k.kv_item_max_bytes = 200; /* 512 bytes: 3 items */
    assert_int_equal((int)plan_burst_requests(&k, 2, 512), 6);
    assert_true(plan_burst_s(&k, NULL, 0, 2, 512, 0) == 3 * 0.25 + 1024 / 1024.0);
    k.kv_item_max_bytes = 0;
    k.kv_node_bytes_per_s = 2048; /* 4 functions at once: 512 B/s each */
    assert_true(plan_burst_s(&k, NULL, 0, 1, 512, 4) == 0.25 + 1.0);
    assert_true(plan_burst_s(&k, NULL, 0, 1, 512, 1) == 0.25 + 0.5); /* own cap binds */
    /* Data from S3 beside the channel: its own latency and bandwidth. */
    assert_true(plan_data_burst_s(&k, NULL, 1, 512) == 0.25 + 0.5); /* unset: the channel's */
    k.data_get_latency_s = 0.125;
    k.data_bandwidth_bytes_per_s = 512;
    assert_true(plan_data_burst_s(&k, NULL, 1, 512) == 0.125 + 1.0);
}

static uint32_t rows4[16] = {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4};

static struct plan_config average_config(int n)
{
    struct plan_config c = {0};
    c.n_functions = n;
    c.batch_rows = rows4;
    c.n_batches = 16;
    c.sync = PLAN_SYNC_HSP;
    c.update = PLAN_UPDATE_AVERAGE;
    c.fetch = PLAN_FETCH_SHARE;
    c.on_timeout = PLAN_TIMEOUT_CONTINUE;
    c.epoch = 1;
    c.costs = round_costs();
    c.costs.kv_connections = 2;
    c.costs.data_chunk_bytes = 2048.0;
    return c;
}

/* Variable latency: the same seed gives the same plan bit for bit, another seed another plan;
 * the median of many epochs' times is near the fixed plan's, and no draw makes a function
 * start before it is invoked. */
static void test_variable_plans_are_seeded_and_centred_on_the_fixed_one(void **state)
{
    (void)state;
    struct err e;
    struct plan_config c = average_config(4);
    struct plan_rounds fixed, a, b;
    assert_int_equal(plan_rounds_build(&c, 0, &fixed, &e), 0);
    c.costs.sigma_cold = c.costs.sigma_warm = c.costs.sigma_get = c.costs.sigma_put =
        latency_sigma(1, 2.5);
    c.costs.latency_seed = 11;
    assert_int_equal(plan_rounds_build(&c, 0, &a, &e), 0);
    assert_int_equal(plan_rounds_build(&c, 0, &b, &e), 0);
    assert_true(a.t_end == b.t_end && a.t_end != fixed.t_end);
    for (size_t i = 0; i < a.n_calls; i++) assert_true(a.calls[i].t_start > a.calls[i].t_invoke);
    plan_rounds_free(&b);
    enum { EPOCHS = 400 };
    double t[EPOCHS];
    for (int ep = 0; ep < EPOCHS; ep++) {
        c.epoch = ep + 1;
        assert_int_equal(plan_rounds_build(&c, 0, &b, &e), 0);
        t[ep] = b.t_end;
        plan_rounds_free(&b);
    }
    qsort(t, EPOCHS, sizeof *t, cmp_double);
    /* Mostly compute and bandwidth; the latencies' spread moves the median a little (the
     * slowest of four functions sets the epoch's end, so it sits above the fixed plan). */
    assert_true(t[EPOCHS / 2] > fixed.t_end && t[EPOCHS / 2] < 1.2 * fixed.t_end);
    plan_rounds_free(&a);
    plan_rounds_free(&fixed);
}

/* Per-prefix request rates: with 4 functions averaging, each function's chunk is read by the
 * 3 others at once, so at 1 GET per second per prefix each of those bursts lasts 3 s; and the
 * epoch's parameter object, read by every function as it starts, queues its readers. */
static void test_prefix_rates_bound_the_collective_and_queue_the_readers(void **state)
{
    (void)state;
    struct err e;
    struct plan_config c = average_config(4);
    struct plan_rounds free_, slow;
    assert_int_equal(plan_rounds_build(&c, 0, &free_, &e), 0);
    c.costs.kv_gets_per_s_per_prefix = 1.0;
    assert_int_equal(plan_rounds_build(&c, 0, &slow, &e), 0);
    int reduce_gets = 0;
    for (size_t i = 0; i < slow.n_bursts; i++) {
        const struct plan_burst *q = &slow.bursts[i];
        if (q->op == PLAN_OP_REDUCE_GET || q->op == PLAN_OP_RESULT_GET) {
            assert_true(q->t_end - q->t_start == 3.0);
            reduce_gets++;
        }
        if (q->op == PLAN_OP_PARAM_GET) /* function i waits i seconds for its turn */
            assert_true(q->t_end - q->t_start >= (double)q->fn);
    }
    assert_true(reduce_gets > 0);
    assert_true(slow.t_end > free_.t_end + 3.0);
    plan_rounds_free(&slow);
    plan_rounds_free(&free_);
}

/* The step planner too: fixed latency (all shapes 0) is exactly the medians' plan, and the
 * driver's invocation times shift each function's timeline. */
static void test_step_plans_take_invocation_times_and_draws(void **state)
{
    (void)state;
    struct err e;
    struct plan_config c = {0};
    c.n_functions = 2;
    c.batch_size = 4;
    c.epoch_samples = 16;
    c.sync = PLAN_SYNC_HSP;
    c.update = PLAN_UPDATE_OVERWRITE;
    c.epoch = 1;
    c.costs = round_costs();
    struct plan_epoch p0, p1;
    assert_int_equal(plan_epoch_build(&c, &p0, &e), 0);
    c.costs.invoke_interval_s = 0.75;
    assert_int_equal(plan_epoch_build(&c, &p1, &e), 0);
    assert_true(p1.fns[0].t_end == p0.fns[0].t_end);
    assert_true(p1.fns[1].t_invoke == 0.75 && p1.fns[1].t_end == p0.fns[1].t_end + 0.75);
    plan_epoch_free(&p1);
    c.costs.sigma_get = latency_sigma(0.25, 0.6);
    c.costs.latency_seed = 3;
    assert_int_equal(plan_epoch_build(&c, &p1, &e), 0);
    assert_true(p1.fns[0].t_end != p0.fns[0].t_end);
    plan_epoch_free(&p1);
    plan_epoch_free(&p0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_draws_have_the_median_and_p95_they_are_fitted_to),
        cmocka_unit_test(test_streams_are_keyed_by_seed_epoch_and_function),
        cmocka_unit_test(test_invocations_follow_the_driver_and_the_scale_up),
        cmocka_unit_test(test_bursts_split_values_and_share_a_node),
        cmocka_unit_test(test_variable_plans_are_seeded_and_centred_on_the_fixed_one),
        cmocka_unit_test(test_prefix_rates_bound_the_collective_and_queue_the_readers),
        cmocka_unit_test(test_step_plans_take_invocation_times_and_draws),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

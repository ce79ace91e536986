/*
 * The round planner (plan_rounds.h): timelines by hand for each collective, the data pipeline
 * (prefetch and one GET per mini-batch), continuations at the timeout, members of the last
 * rounds, and the configurations it refuses. Costs are planner_test.h's round numbers, with
 * two connections per function and pieces of 2,048 bytes (two mini-batches of four rows).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan_rounds.h"
#include "planner_test.h"

static uint32_t rows4[16] = {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4};

static struct plan_config rounds_config(enum plan_update u, int n, int n_batches)
{
    struct plan_config c = {0};
    c.n_functions = n;
    c.batch_rows = rows4;
    c.n_batches = (size_t)n_batches;
    c.sync = PLAN_SYNC_HSP;
    c.update = u;
    c.round_batches = u == PLAN_UPDATE_AVERAGE ? 0 : 1;
    c.fetch = PLAN_FETCH_SHARE;
    c.on_timeout = PLAN_TIMEOUT_CONTINUE;
    c.costs = round_costs();
    c.costs.kv_connections = 2;
    c.costs.data_chunk_bytes = 2048.0;
    return c;
}

static struct plan_rounds build(const struct plan_config *c, double state_bytes)
{
    struct plan_rounds p;
    struct err e;
    if (plan_rounds_build(c, state_bytes, &p, &e)) fail_msg("%s", e.msg);
    return p;
}

static void test_one_function_prefetches_its_share_and_puts_the_result(void **state)
{
    (void)state;
    struct plan_config c = rounds_config(PLAN_UPDATE_AVERAGE, 1, 4);
    struct plan_rounds p = build(&c, 0);
    /* Cold start 0.5; parameters 0.25 + 512/1024 -> 1.25. Pieces of two mini-batches: piece
     * 0 fetched 1.25 -> 3.5 (0.25 + 2048/1024), computed 3.5 -> 5.5; piece 1 fetched while
     * piece 0 is computed, 3.5 -> 5.75; computed 5.75 -> 7.75. Alone, no collective: the
     * result PUT 0.5 + 0.5 -> 8.75. */
    assert_int_equal(p.n_rounds, 1);
    assert_int_equal(p.n_parts, 1);
    assert_true(p.parts[0].t_begin == 1.25);
    assert_true(p.parts[0].t_computed == 7.75);
    assert_true(p.t_end == 8.75);
    assert_int_equal(p.writer, 0);
    assert_int_equal(p.gets, 3);
    assert_int_equal(p.puts, 1);
    assert_true(p.bytes_got == 512.0 + 4096.0 && p.bytes_put == 512.0);
    assert_true(p.fetch_s == 5.25 && p.compute_s == 4.0 && p.update_s == 1.0);
    assert_int_equal(p.n_calls, 1);
    assert_true(p.calls[0].cold && p.calls[0].t_start == 0.5 && p.calls[0].t_stop == 8.75);
    plan_rounds_free(&p);
}

static void test_one_get_per_mini_batch_waits_for_each_step(void **state)
{
    (void)state;
    struct plan_config c = rounds_config(PLAN_UPDATE_AVERAGE, 1, 2);
    c.fetch = PLAN_FETCH_BATCH;
    struct plan_rounds p = build(&c, 0);
    /* Parameters -> 1.25; mini-batch 0 fetched 1.25 -> 2.5, computed -> 3.5; mini-batch 1
     * fetched only then, 3.5 -> 4.75, computed -> 5.75; result PUT -> 6.75. */
    assert_true(p.t_end == 6.75);
    assert_int_equal(p.gets, 3);
    plan_rounds_free(&p);
}

static void test_allreduce_leader_reduces_and_others_read_the_result(void **state)
{
    (void)state;
    struct plan_config c = rounds_config(PLAN_UPDATE_ALLREDUCE, 2, 4);
    c.n_warm = 2;
    struct plan_rounds p = build(&c, 0);
    /* Each: warm 0.125, parameters -> 0.875, its one piece -> 3.125. Round 0: computed ->
     * 4.125, contribution PUT -> 5.125. The leader GETs the other (0.25 + 0.5) -> 5.875 and
     * PUTs the reduced gradient -> 6.875; function 1 GETs it -> 7.625. Round 1 (the last):
     * computed 7.875 and 8.625, contributions 8.875 and 9.625; the leader GETs -> 10.375 and
     * PUTs the epoch's result -> 11.375; function 1 is done at 9.625. */
    assert_int_equal(p.n_rounds, 2);
    assert_int_equal(p.n_parts, 4);
    const struct plan_part *l0 = plan_rounds_part(&p, 0, 0), *f0 = plan_rounds_part(&p, 1, 0);
    const struct plan_part *l1 = plan_rounds_part(&p, 0, 1), *f1 = plan_rounds_part(&p, 1, 1);
    assert_non_null(l0);
    assert_non_null(f1);
    assert_true(l0->t_contributed == 5.125 && l0->t_end == 6.875 && l0->wait_s == 0.0);
    assert_true(f0->t_end == 7.625 && f0->wait_s == 1.75);
    assert_true(l1->t_computed == 7.875 && l1->t_end == 10.375);
    assert_true(f1->t_computed == 8.625 && f1->t_end == 9.625);
    assert_true(p.t_end == 11.375);
    assert_int_equal(p.gets, 7);
    assert_int_equal(p.puts, 6);
    assert_null(plan_rounds_part(&p, 2, 0));
    plan_rounds_free(&p);
}

static void test_average_reduces_by_scatter_reduce(void **state)
{
    (void)state;
    struct plan_config c = rounds_config(PLAN_UPDATE_AVERAGE, 2, 4);
    c.n_warm = 2;
    struct plan_rounds p = build(&c, 0);
    /* Computed at 5.125; each PUTs one chunk of 256 bytes (0.5 + 0.25) -> 5.875; reduces
     * chunk x: GET one chunk (0.25 + 0.25) -> 6.375, PUT it -> 7.125. Function 0 then GETs
     * the other reduced chunk -> 7.625 and PUTs the result -> 8.625; function 1 is done at
     * 7.125. */
    assert_int_equal(p.n_rounds, 1);
    assert_true(plan_rounds_part(&p, 0, 0)->t_end == 7.625);
    assert_true(plan_rounds_part(&p, 1, 0)->t_end == 7.125);
    assert_true(p.t_end == 8.625);
    assert_int_equal(p.gets, 7);
    assert_int_equal(p.puts, 5);
    assert_true(p.bytes_put == 2 * 256.0 + 2 * 256.0 + 512.0);
    plan_rounds_free(&p);
}

static void test_allgather_reads_every_other_gradient(void **state)
{
    (void)state;
    struct plan_config c = rounds_config(PLAN_UPDATE_ALLGATHER, 4, 4);
    c.n_warm = 4;
    struct plan_rounds p = build(&c, 0);
    /* One mini-batch each: parameters -> 0.875, piece -> 2.125, computed -> 3.125, PUT ->
     * 4.125. Function 0 GETs the 3 others on 2 connections: 2 x 0.25 + 3 x 0.5 -> 6.125, and
     * PUTs the result -> 7.125. The others are done after their PUT (last round). */
    assert_true(plan_rounds_part(&p, 0, 0)->t_end == 6.125);
    assert_true(plan_rounds_part(&p, 3, 0)->t_end == 4.125);
    assert_true(p.t_end == 7.125);
    assert_int_equal(p.gets, 4 + 4 + 3);
    plan_rounds_free(&p);
}

static void test_continuation_saves_state_and_refetches_its_data(void **state)
{
    (void)state;
    struct plan_config c = rounds_config(PLAN_UPDATE_AVERAGE, 1, 4);
    c.costs.timeout_s = 7.0;
    struct plan_rounds p = build(&c, 0);
    /* As the first test until mini-batch 2, which would end at 6.75 plus a 0.5 s save: past
     * 7. So at 5.5 the state is PUT (-> 6.0), a warm invocation starts at 6.125, GETs the
     * state -> 6.375, fetches piece 1 again -> 8.625, computes -> 10.625 and PUTs the result
     * -> 11.625. */
    assert_int_equal(p.n_calls, 2);
    assert_true(p.calls[0].continued && p.calls[0].t_stop == 6.0);
    assert_true(!p.calls[1].cold && p.calls[1].t_invoke == 6.0 && p.calls[1].t_start == 6.125);
    assert_true(p.calls[1].t_stop == 11.625);
    assert_true(p.t_end == 11.625);
    assert_int_equal(p.gets, 5);
    assert_int_equal(p.puts, 2);
    plan_rounds_free(&p);
}

static void test_last_rounds_have_the_functions_with_batches_left(void **state)
{
    (void)state;
    struct plan_config c = rounds_config(PLAN_UPDATE_AVERAGE, 2, 5);
    c.round_batches = 2;
    struct plan_rounds p = build(&c, 0);
    /* Shares of 2 and 3 mini-batches: round 0 has both, round 1 only function 1, which then
     * writes the result. */
    assert_int_equal(p.n_rounds, 2);
    assert_int_equal(p.n_parts, 3);
    assert_null(plan_rounds_part(&p, 0, 1));
    assert_int_equal(plan_rounds_part(&p, 1, 1)->count, 1);
    assert_int_equal(plan_rounds_part(&p, 1, 1)->samples, 4);
    assert_int_equal(p.writer, 1);
    plan_rounds_free(&p);
}

static void test_stragglers_compute_slower_and_the_others_wait(void **state)
{
    (void)state;
    struct fault_config f;
    fault_config_init(&f);
    f.straggler_p = 1.0;
    f.straggler_factor = 2.0;
    struct plan_config c = rounds_config(PLAN_UPDATE_AVERAGE, 2, 4);
    c.n_warm = 2;
    c.faults = &f;
    c.epoch = 1;
    struct plan_rounds p = build(&c, 0);
    /* As test_average_reduces_by_scatter_reduce with compute twice as long: computed at
     * 7.125, each chunk PUT -> 7.875, reduced -> 9.125, function 0's GET -> 9.625, the result
     * PUT -> 10.625. */
    assert_true(p.t_end == 10.625);
    assert_int_equal(p.stragglers, 2);
    assert_int_equal(p.crashes, 0);
    assert_true(p.calls[0].compute_factor == 2.0);
    plan_rounds_free(&p);
}

static void test_crashed_parts_are_retried_cold_then_lost(void **state)
{
    (void)state;
    struct fault_config f;
    fault_config_init(&f);
    f.crash_p = 1.0;
    f.retries = 1;
    f.retry_delay_s = 10.0;
    struct plan_config c = rounds_config(PLAN_UPDATE_AVERAGE, 2, 4);
    c.faults = &f;
    c.epoch = 3;
    struct plan_rounds p = build(&c, 0);
    /* Every attempt crashes: each function's first try dies, its retry starts cold 10 s later
     * and dies too; both parts are lost, nobody reduces or writes a result. */
    assert_int_equal(p.crashes, 4);
    assert_int_equal(p.retries, 2);
    assert_int_equal(p.lost_functions, 2);
    assert_int_equal(p.writer, -1);
    assert_int_equal(p.n_calls, 4);
    for (int fn = 0; fn < 2; fn++) {
        const struct plan_call *a = &p.calls[2 * fn], *r = &p.calls[2 * fn + 1];
        assert_true(a->crashed && r->crashed && r->cold && r->attempt == 1);
        assert_true(r->t_invoke == a->t_stop + 10.0);
        assert_true(plan_rounds_part(&p, fn, 0)->lost);
    }
    assert_int_equal(p.puts, 0);
    plan_rounds_free(&p);
}

static void test_round_planner_refuses_what_it_does_not_model(void **state)
{
    (void)state;
    struct plan_rounds p;
    struct err e;
    struct plan_config c = rounds_config(PLAN_UPDATE_ALLREDUCE, 2, 4);
    c.sync = PLAN_SYNC_BSP;
    assert_int_equal(plan_rounds_build(&c, 0, &p, &e), SIREN_EINVAL);
    struct fault_config f;
    fault_config_init(&f);
    f.kv_error_p = 0.1;
    c = rounds_config(PLAN_UPDATE_AVERAGE, 2, 4);
    c.faults = &f;
    assert_int_equal(plan_rounds_build(&c, 0, &p, &e), SIREN_EINVAL);
    c = rounds_config(PLAN_UPDATE_ALLREDUCE, 2, 4);
    c.round_batches = 0;
    assert_int_equal(plan_rounds_build(&c, 0, &p, &e), SIREN_EINVAL);
    c = rounds_config(PLAN_UPDATE_OVERWRITE, 2, 4);
    assert_int_equal(plan_rounds_build(&c, 0, &p, &e), SIREN_EINVAL);
    c = rounds_config(PLAN_UPDATE_AVERAGE, 5, 4);
    assert_int_equal(plan_rounds_build(&c, 0, &p, &e), SIREN_EINVAL);
    /* One mini-batch longer than an invocation may run. */
    c = rounds_config(PLAN_UPDATE_AVERAGE, 1, 4);
    c.costs.timeout_s = 2.0;
    assert_int_equal(plan_rounds_build(&c, 0, &p, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "does not fit"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_function_prefetches_its_share_and_puts_the_result),
        cmocka_unit_test(test_one_get_per_mini_batch_waits_for_each_step),
        cmocka_unit_test(test_allreduce_leader_reduces_and_others_read_the_result),
        cmocka_unit_test(test_average_reduces_by_scatter_reduce),
        cmocka_unit_test(test_allgather_reads_every_other_gradient),
        cmocka_unit_test(test_continuation_saves_state_and_refetches_its_data),
        cmocka_unit_test(test_last_rounds_have_the_functions_with_batches_left),
        cmocka_unit_test(test_stragglers_compute_slower_and_the_others_wait),
        cmocka_unit_test(test_crashed_parts_are_retried_cold_then_lost),
        cmocka_unit_test(test_round_planner_refuses_what_it_does_not_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The virtual-clock planner: timelines by hand, version resolution, dependency order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"
#include "planner_test.h"

/* Round numbers so expected times are exact in binary floating point. */
static struct plan_config base_config(void)
{
    struct plan_config c = {0};
    c.n_functions = 1;
    c.batch_size = 4;
    c.epoch_samples = 4;
    c.sync = PLAN_SYNC_HSP;
    c.update = PLAN_UPDATE_OVERWRITE;
    c.costs = round_costs();
    return c;
}

static void test_plan_single_step_timeline_matches_hand_computation(void **state)
{
    (void)state;
    struct plan_config c = base_config();
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    assert_int_equal(p.n_steps, 1);
    const struct plan_step *s = &p.steps[0];
    /* cold start 0.5; data GET 0.25 + 1024/1024 = 1.25; param GET 0.25 + 0.5 = 0.75;
     * compute 4 * 0.25 = 1; PUT 0.5 + 0.5 = 1. */
    assert_true(p.fns[0].cold);
    assert_true(s->t_data_get == 0.5);
    assert_true(s->t_param_get == 1.75);
    assert_true(s->t_compute == 2.5);
    assert_true(s->t_put == 3.5);
    assert_true(s->t_end == 4.5);
    assert_true(p.t_end == 4.5);
    assert_int_equal(s->read_version, 0);
    assert_int_equal(s->write_version, 1);
    assert_true(p.fetch_s == 2.0 && p.compute_s == 1.0 && p.update_s == 1.0);
    plan_epoch_free(&p);
}

static void test_plan_warm_function_writes_first_and_cold_one_reads_it(void **state)
{
    (void)state;
    struct plan_config c = base_config();
    c.n_functions = 2;
    c.n_warm = 1; /* function 0 warm (starts 0.375 s earlier) */
    c.epoch_samples = 8;
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    const struct plan_step *w = &p.steps[0], *k = &p.steps[1];
    assert_int_equal(w->fn, 0);
    assert_int_equal(k->fn, 1);
    /* Warm step ends at 0.125 + 4 = 4.125; cold step GETs params at 1.75: version 0. */
    assert_true(w->t_end == 4.125);
    assert_int_equal(w->write_version, 1);
    assert_int_equal(k->read_version, 0);
    assert_int_equal(k->write_version, 2); /* its update overwrites: a lost update */
    plan_epoch_free(&p);
}

static void test_plan_apply_rereads_the_newest_version_at_put_time(void **state)
{
    (void)state;
    struct plan_config c = base_config();
    c.n_functions = 2;
    c.n_warm = 1;
    c.epoch_samples = 8;
    c.update = PLAN_UPDATE_APPLY;
    /* Make the warm function's PUT finish before the cold one starts its PUT. */
    c.costs.start_warm_s = 0.0;
    c.costs.start_cold_s = 4.0;
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    const struct plan_step *w = &p.steps[0], *k = &p.steps[1];
    /* APPLY adds a GET of the newest version before the PUT: 0.75 s. */
    assert_true(w->t_end == 4.0 + 0.75);
    assert_int_equal(w->write_version, 1);
    assert_int_equal(k->read_version, 1); /* cold GET at 5.25 sees version 1 (done 4.75) */
    assert_int_equal(k->base_version, 1);
    assert_int_equal(k->write_version, 2);
    plan_epoch_free(&p);
}

static void test_plan_splits_samples_and_batches_evenly(void **state)
{
    (void)state;
    struct plan_config c = base_config();
    c.n_functions = 3;
    c.epoch_samples = 10;
    c.batch_size = 2;
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    /* Shares 3, 3, 4 samples: batches (2,1), (2,1), (2,2). */
    assert_int_equal(p.n_steps, 6);
    assert_int_equal(p.fns[0].n_steps, 2);
    assert_int_equal(p.steps[1].n_samples, 1);
    assert_int_equal(p.steps[5].n_samples, 2);
    uint32_t total = 0;
    for (size_t s = 0; s < p.n_steps; s++) {
        assert_int_equal(p.steps[s].batch, s);
        total += p.steps[s].n_samples;
    }
    assert_int_equal(total, 10);
    plan_epoch_free(&p);
}

static void test_plan_ssp_zero_waits_for_every_function_each_step(void **state)
{
    (void)state;
    struct plan_config c = base_config();
    c.n_functions = 2;
    c.n_warm = 1;
    c.epoch_samples = 16;
    c.sync = PLAN_SYNC_SSP;
    c.staleness = 0;
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    const struct plan_step *f0 = &p.steps[p.fns[0].first_step];
    const struct plan_step *f1 = &p.steps[p.fns[1].first_step];
    /* Step 1 of the fast function starts only when the slow one finished step 0. */
    assert_true(f0[1].t_data_get == f1[0].t_end);
    assert_true(f1[1].t_data_get == f1[0].t_end);
    plan_epoch_free(&p);
}

static void test_plan_bsp_reads_round_versions(void **state)
{
    (void)state;
    struct plan_config c = base_config();
    c.n_functions = 2;
    c.n_warm = 2;
    c.epoch_samples = 16;
    c.sync = PLAN_SYNC_BSP;
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    for (size_t s = 0; s < p.n_steps; s++) {
        assert_int_equal(p.steps[s].read_version, p.steps[s].step);
        assert_int_equal(p.steps[s].write_version, p.steps[s].step + 1);
    }
    /* Round 1 starts after round 0's barrier plus the leader's GET (0.75) and PUT (1.0). */
    assert_true(p.steps[1].t_data_get == p.steps[0].t_end + 0.75 + 1.0);
    assert_int_equal(p.n_versions, 2);
    plan_epoch_free(&p);
}

/* Property: in run order, the writer of every version a step reads comes before it. */
static void test_plan_run_order_puts_writers_before_readers(void **state)
{
    (void)state;
    for (int trial = 0; trial < 40; trial++) {
        struct plan_config c = base_config();
        c.n_functions = 1 + trial % 13;
        c.n_warm = trial % 5;
        c.epoch_samples = 50 + (size_t)trial * 7;
        c.batch_size = 1 + trial % 6;
        c.update = trial % 2 ? PLAN_UPDATE_APPLY : PLAN_UPDATE_OVERWRITE;
        c.sync = trial % 3 == 2 ? PLAN_SYNC_SSP : PLAN_SYNC_HSP;
        c.staleness = trial % 4;
        c.costs.compute_s_per_sample = 0.01 * (1 + trial % 3);
        struct plan_epoch p;
        struct err e;
        assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
        uint32_t *order;
        assert_int_equal(plan_epoch_run_order(&p, &order, &e), SIREN_OK);
        int64_t *pos_of_version = calloc((size_t)p.n_versions + 1, sizeof *pos_of_version);
        size_t *pos = calloc(p.n_steps, sizeof *pos);
        for (size_t i = 0; i < p.n_steps; i++) pos[order[i]] = i;
        for (size_t s = 0; s < p.n_steps; s++) pos_of_version[p.steps[s].write_version] = (int64_t)pos[s];
        for (size_t s = 0; s < p.n_steps; s++) {
            const struct plan_step *st = &p.steps[s];
            assert_true(st->read_version < st->write_version);
            if (st->read_version > 0)
                assert_true(pos_of_version[st->read_version] < (int64_t)pos[s]);
            if (st->base_version > 0)
                assert_true(pos_of_version[st->base_version] < (int64_t)pos[s]);
        }
        /* The same inputs give the same plan, bit for bit. */
        struct plan_epoch q;
        assert_int_equal(plan_epoch_build(&c, &q, &e), SIREN_OK);
        assert_memory_equal(p.steps, q.steps, p.n_steps * sizeof *p.steps);
        plan_epoch_free(&q);
        free(pos_of_version);
        free(pos);
        free(order);
        plan_epoch_free(&p);
    }
}

static void test_plan_rejects_bad_configs_with_a_reason(void **state)
{
    (void)state;
    struct plan_config c = base_config();
    struct plan_epoch p;
    struct err e;
    c.n_functions = 0;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "number of functions 0"));
    c = base_config();
    c.n_functions = 5; /* 4 samples cannot feed 5 functions */
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_EINVAL);
    c = base_config();
    c.costs.kv_bandwidth_bytes_per_s = 0;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_EINVAL);
    c = base_config();
    c.costs.compute_s_per_sample = NAN;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_EINVAL);
}

static void test_plan_marks_functions_past_the_timeout(void **state)
{
    (void)state;
    struct plan_config c = base_config();
    c.costs.timeout_s = 4.0; /* the single step ends at 4.5 */
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    assert_int_equal(p.fns[0].timed_out, 1);
    assert_int_equal(p.steps[0].failed, 1); /* killed at 4.0: its PUT never happens */
    assert_int_equal(p.n_versions, 0);
    assert_int_equal(p.failed_steps, 1);
    assert_true(p.fns[0].billed_s == 3.5);
    assert_true(p.t_end == 4.0);
    plan_epoch_free(&p);
    /* A continuation cannot help a step that alone is longer than the timeout. */
    c.on_timeout = PLAN_TIMEOUT_CONTINUE;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "no continuation can finish it"));
}

static void test_plan_continuation_reinvokes_warm_past_the_timeout(void **state)
{
    (void)state;
    struct plan_config c = base_config();
    c.epoch_samples = 8; /* two steps: the first ends at 4.5, the second would end at 8.5 */
    c.costs.timeout_s = 5.0;
    c.on_timeout = PLAN_TIMEOUT_CONTINUE;
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    assert_int_equal(p.fns[0].invocations, 2);
    assert_int_equal(p.invocations, 2);
    assert_int_equal(p.steps[1].invocation, 1);
    assert_true(p.steps[1].t_data_get == 4.625); /* 4.5 + warm start 0.125 */
    assert_true(p.t_end == 8.625);
    assert_true(p.fns[0].billed_s == 8.0); /* (4.5 - 0.5) + (8.625 - 4.625) */
    assert_int_equal(p.n_versions, 2);
    plan_epoch_free(&p);
    c.on_timeout = PLAN_TIMEOUT_FAIL;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    assert_int_equal(p.steps[1].failed, 1);
    assert_int_equal(p.steps[1].write_version, -1);
    assert_int_equal(p.n_versions, 1);
    plan_epoch_free(&p);
}

static void test_plan_pre_cut_batches_are_split_among_functions(void **state)
{
    (void)state;
    struct plan_config c = base_config();
    uint32_t rows[5] = {4, 4, 4, 4, 2};
    c.n_functions = 2;
    c.batch_rows = rows;
    c.n_batches = 5;
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    assert_int_equal(p.fns[0].n_steps, 2); /* batches 0, 1 */
    assert_int_equal(p.fns[1].n_steps, 3); /* batches 2, 3, 4 */
    assert_int_equal(p.steps[4].batch, 4);
    assert_int_equal(p.steps[4].n_samples, 2);
    plan_epoch_free(&p);
    c.n_functions = 6;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_single_step_timeline_matches_hand_computation),
        cmocka_unit_test(test_plan_warm_function_writes_first_and_cold_one_reads_it),
        cmocka_unit_test(test_plan_apply_rereads_the_newest_version_at_put_time),
        cmocka_unit_test(test_plan_splits_samples_and_batches_evenly),
        cmocka_unit_test(test_plan_ssp_zero_waits_for_every_function_each_step),
        cmocka_unit_test(test_plan_bsp_reads_round_versions),
        cmocka_unit_test(test_plan_run_order_puts_writers_before_readers),
        cmocka_unit_test(test_plan_rejects_bad_configs_with_a_reason),
        cmocka_unit_test(test_plan_marks_functions_past_the_timeout),
        cmocka_unit_test(test_plan_continuation_reinvokes_warm_past_the_timeout),
        cmocka_unit_test(test_plan_pre_cut_batches_are_split_among_functions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

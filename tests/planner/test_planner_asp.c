/*
 * The multi-pass ASP plan: every pass over the data in one timeline per function, with no
 * barrier between passes, and versions resolved across pass boundaries. Times are checked
 * against hand computation with round numbers that are exact in binary floating point.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"
#include "planner_test.h"

/* Every GET costs 0.25 s + bytes / 1024 B/s, every PUT 0.5 s + bytes / 1024 B/s, compute
 * 0.25 s per sample. A 4-row batch: data GET 1.25, parameter GET 0.75, compute 1, PUT 1:
 * 4 s a step. Both functions start warm, at 0.125 s. */
static struct plan_config asp_config(const uint32_t *rows, size_t n_batches, int passes)
{
    struct plan_config c = {0};
    c.n_functions = 2;
    c.n_warm = 2;
    c.batch_rows = rows;
    c.n_batches = n_batches;
    c.passes = passes;
    c.sync = PLAN_SYNC_ASP;
    c.update = PLAN_UPDATE_OVERWRITE;
    c.on_timeout = PLAN_TIMEOUT_CONTINUE;
    c.costs = round_costs();
    return c;
}

/* Three batches a pass: function 0 (fast) takes batch 0 of each pass, function 1 (slow)
 * batches 1 and 2. Pass 2's last batch has 8 rows. */
static const uint32_t rows2[6] = {4, 4, 4, 4, 4, 8};

static void test_asp_function_starts_its_next_pass_when_its_last_put_ends(void **state)
{
    (void)state;
    struct plan_config c = asp_config(rows2, 3, 2);
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    assert_int_equal(p.n_steps, 6);
    assert_int_equal(p.fns[0].n_steps, 2);
    assert_int_equal(p.fns[1].n_steps, 4);
    /* Function 0: pass 1 [0.125, 4.125]; its pass-2 data GET starts at 4.125 exactly. */
    const struct plan_step *f0p1 = &p.steps[0], *f0p2 = &p.steps[1];
    assert_int_equal(f0p1->pass, 0);
    assert_int_equal(f0p2->pass, 1);
    assert_int_equal(f0p1->batch, 0);
    assert_int_equal(f0p2->batch, 3); /* pass 2's batches are numbered from 3 */
    assert_true(f0p1->t_data_get == 0.125);
    assert_true(f0p1->t_end == 4.125);
    assert_true(f0p2->t_data_get == 4.125);
    assert_true(f0p2->t_param_get == 5.375);
    assert_true(f0p2->t_end == 8.125);
    /* Function 1: steps end at 4.125, 8.125 (end of its pass 1), 12.125, then the 8-row
     * batch of pass 2: 12.125 + 2.25 + 0.75 + 2 + 1 = 18.125. */
    const struct plan_step *s = &p.steps[p.fns[1].first_step];
    assert_int_equal(s[0].batch, 1);
    assert_int_equal(s[1].batch, 2);
    assert_int_equal(s[2].batch, 4);
    assert_int_equal(s[3].batch, 5);
    assert_int_equal(s[3].n_samples, 8);
    assert_int_equal(s[1].pass, 0);
    assert_int_equal(s[2].pass, 1);
    assert_true(s[1].t_end == 8.125);
    assert_true(s[2].t_data_get == 8.125); /* no barrier: right after its own last PUT */
    assert_true(s[2].t_end == 12.125);
    assert_true(s[3].t_end == 18.125);
    assert_true(p.t_end == 18.125);
    /* One invocation each for the whole run. */
    assert_int_equal(p.fns[0].invocations, 1);
    assert_int_equal(p.fns[1].invocations, 1);
    assert_int_equal(p.invocations, 2);
    assert_true(p.fns[1].billed_s == 18.0);
    plan_epoch_free(&p);
}

static void test_asp_versions_cross_the_pass_boundary(void **state)
{
    (void)state;
    struct plan_config c = asp_config(rows2, 3, 2);
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    const struct plan_step *f0 = &p.steps[0], *f1 = &p.steps[p.fns[1].first_step];
    /* PUTs end at 4.125 (f0, then f1 on the tie), 8.125 (f0, f1), 12.125, 18.125. */
    assert_int_equal(f0[0].write_version, 1);
    assert_int_equal(f1[0].write_version, 2);
    assert_int_equal(f0[1].write_version, 3);
    assert_int_equal(f1[1].write_version, 4);
    assert_int_equal(f1[2].write_version, 5);
    assert_int_equal(f1[3].write_version, 6);
    assert_int_equal(p.n_versions, 6);
    /* The fast function's pass-2 GET at 5.375 reads version 2, written by the slow
     * function's pass-1 step, which is still in pass 1 (its step 2 runs until 8.125). */
    assert_int_equal(f0[1].pass, 1);
    assert_int_equal(f1[0].pass, 0);
    assert_int_equal(f0[1].read_version, 2);
    assert_true(f1[1].t_end > f0[1].t_param_get);
    /* The slow function's first pass-2 GET (9.375) reads version 4, its own pass-1 end. */
    assert_int_equal(f1[2].read_version, 4);
    assert_int_equal(f1[3].read_version, 5);
    plan_epoch_free(&p);
}

static void test_asp_first_pass_times_equal_the_one_epoch_plan(void **state)
{
    (void)state;
    struct plan_config c = asp_config(rows2, 3, 2);
    struct plan_config one = asp_config(rows2, 3, 1);
    one.sync = PLAN_SYNC_HSP;
    struct plan_epoch p, q;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    assert_int_equal(plan_epoch_build(&one, &q, &e), SIREN_OK);
    assert_int_equal(q.n_steps, 3);
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < q.fns[i].n_steps; k++) {
            const struct plan_step *a = &p.steps[p.fns[i].first_step + k];
            const struct plan_step *b = &q.steps[q.fns[i].first_step + k];
            assert_int_equal(a->batch, b->batch);
            assert_true(a->t_data_get == b->t_data_get && a->t_end == b->t_end);
            assert_int_equal(b->pass, 0);
        }
    plan_epoch_free(&p);
    plan_epoch_free(&q);
}

static void test_asp_continuation_spans_passes_past_the_timeout(void **state)
{
    (void)state;
    struct plan_config c = asp_config(rows2, 3, 2);
    c.costs.timeout_s = 10.0;
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    const struct plan_step *s = &p.steps[p.fns[1].first_step];
    /* Function 1's third step (pass 2) would end at 12.125 > 10: a warm continuation is
     * invoked at 8.125, starts at 8.25 and runs it to 12.25; the 8-row step would end at
     * 18.25, 10.125 s after that invocation: another at 12.25, running it 12.375..18.375. */
    assert_int_equal(s[1].invocation, 0);
    assert_int_equal(s[2].invocation, 1);
    assert_true(s[2].t_data_get == 8.25);
    assert_true(s[2].t_end == 12.25);
    assert_int_equal(s[3].invocation, 2);
    assert_true(s[3].t_data_get == 12.375);
    assert_true(s[3].t_end == 18.375);
    assert_int_equal(p.fns[1].invocations, 3);
    assert_int_equal(p.fns[0].invocations, 1);
    plan_epoch_free(&p);
}

static void test_asp_passes_rejected_outside_asp_and_with_faults(void **state)
{
    (void)state;
    struct plan_config c = asp_config(rows2, 3, 2);
    struct plan_epoch p;
    struct err e;
    c.sync = PLAN_SYNC_HSP;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "only ASP"));
    c = asp_config(rows2, 3, 2);
    struct fault_config f;
    fault_config_init(&f);
    c.faults = &f;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "ASP passes"));
    c = asp_config(rows2, 3, -1);
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_EINVAL);
}

/* Without pre-cut batches every pass splits the samples as one epoch does. */
static void test_asp_sample_split_repeats_per_pass(void **state)
{
    (void)state;
    struct plan_config c = asp_config(NULL, 0, 3);
    c.batch_size = 2;
    c.epoch_samples = 10; /* shares of 5: batches (2,2,1) each */
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    assert_int_equal(p.n_steps, 18);
    assert_int_equal(p.fns[0].n_steps, 9);
    const struct plan_step *f1 = &p.steps[p.fns[1].first_step];
    /* Function 1 takes batches 3..5 of each pass of 6. */
    assert_int_equal(f1[0].batch, 3);
    assert_int_equal(f1[2].batch, 5);
    assert_int_equal(f1[3].batch, 9);
    assert_int_equal(f1[8].batch, 17);
    assert_int_equal(f1[8].pass, 2);
    assert_int_equal(f1[2].n_samples, 1);
    assert_int_equal(f1[5].n_samples, 1);
    plan_epoch_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_asp_function_starts_its_next_pass_when_its_last_put_ends),
        cmocka_unit_test(test_asp_versions_cross_the_pass_boundary),
        cmocka_unit_test(test_asp_first_pass_times_equal_the_one_epoch_plan),
        cmocka_unit_test(test_asp_continuation_spans_passes_past_the_timeout),
        cmocka_unit_test(test_asp_passes_rejected_outside_asp_and_with_faults),
        cmocka_unit_test(test_asp_sample_split_repeats_per_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

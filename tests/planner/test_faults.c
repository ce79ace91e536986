/*
 * Faults in the plan: the --faults spec, keyed draws, and the planned timelines of crashes,
 * Lambda's retries, stragglers, transient request errors and throttling. The property that
 * matters most: every step is completed by exactly one attempt, so every version is written
 * once, and a step fails only when its function failed on every try.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "planner.h"
#include "planner_test.h"

/* Round numbers (as in test_planner.c), 4 functions of 6 steps each. */
static struct plan_config base_config(void)
{
    struct plan_config c = {0};
    c.n_functions = 4;
    c.batch_size = 4;
    c.epoch_samples = 96;
    c.sync = PLAN_SYNC_HSP;
    c.update = PLAN_UPDATE_OVERWRITE;
    c.costs = round_costs();
    c.epoch = 3;
    return c;
}

static void test_fault_spec_parses_every_key_and_keeps_defaults(void **state)
{
    (void)state;
    struct fault_config f;
    struct err e;
    fault_config_init(&f);
    assert_int_equal(f.retries, 2);
    assert_true(f.retry_delay_s == 60.0);
    assert_false(fault_config_active(&f));
    assert_int_equal(fault_config_parse("crash=0.1,straggler=0.25:3,kv-error=0.05,throttle=on", &f, &e),
                     SIREN_OK);
    assert_true(f.crash_p == 0.1);
    assert_true(f.straggler_p == 0.25);
    assert_true(f.straggler_factor == 3.0);
    assert_true(f.kv_error_p == 0.05);
    assert_int_equal(f.throttle, 1);
    assert_int_equal(f.retries, 2);
    assert_true(fault_config_active(&f));
    char buf[128];
    fault_config_format(&f, buf, sizeof buf);
    assert_string_equal(buf, "crash=0.1,straggler=0.25:3,kv-error=0.05,throttle=on");
}

static void test_fault_spec_rejects_bad_values_naming_the_key(void **state)
{
    (void)state;
    const char *bad[][2] = {
        {"crash=1.5", "crash=1.5"},          {"crash=-0.1", "crash=-0.1"},
        {"kv-error=1", "kv-error=1"},        {"straggler=0.1", "P:FACTOR"},
        {"straggler=0.1:0.5", "factor"},     {"throttle=maybe", "on or off"},
        {"lightning=0.1", "unknown key 'lightning'"}, {"crash", "not key=value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct fault_config f;
        struct err e;
        fault_config_init(&f);
        assert_int_equal(fault_config_parse(bad[i][0], &f, &e), SIREN_EFORMAT);
        if (!strstr(e.msg, bad[i][1])) fail_msg("'%s': message '%s' lacks '%s'", bad[i][0], e.msg, bad[i][1]);
    }
}

static void test_fault_draws_are_keyed_not_sequential(void **state)
{
    (void)state;
    struct fault_config f;
    fault_config_init(&f);
    f.crash_p = 0.5;
    f.straggler_p = 0.5;
    f.straggler_factor = 4;
    f.seed = 11;
    /* The same coordinates give the same draw whatever was drawn before. */
    struct fault_attempt_draw a, b, c;
    fault_draw_attempt(&f, 2, 5, 0, 1, 0, 10, &a);
    for (int i = 0; i < 7; i++) fault_draw_attempt(&f, 2, i, 0, 0, 0, 10, &c);
    fault_draw_attempt(&f, 2, 5, 0, 1, 0, 10, &b);
    assert_int_equal(a.crash_step, b.crash_step);
    assert_true(a.crash_frac == b.crash_frac && a.compute_factor == b.compute_factor);
    /* Over many coordinates, the rates are the configured ones (4 sigma bounds). */
    int crashes = 0, slow = 0, n = 4000;
    for (int i = 0; i < n; i++) {
        fault_draw_attempt(&f, 1 + i / 100, i % 100, 0, 0, 2, 10, &c);
        crashes += c.crash_step >= 0;
        slow += c.compute_factor == 4.0;
        if (c.crash_step >= 0) {
            assert_true(c.crash_step >= 2 && c.crash_step < 10);
            assert_true(c.crash_frac >= 0 && c.crash_frac < 1);
        }
    }
    assert_in_range(crashes, n / 2 - 130, n / 2 + 130);
    assert_in_range(slow, n / 2 - 130, n / 2 + 130);
    /* Retry waits: Lambda's one minute, then two. */
    assert_true(fault_retry_delay_s(&f, 1) == 60.0);
    assert_true(fault_retry_delay_s(&f, 2) == 120.0);
}

static void assert_same_plan(const struct plan_epoch *a, const struct plan_epoch *b)
{
    assert_int_equal(a->n_steps, b->n_steps);
    assert_int_equal(a->n_versions, b->n_versions);
    for (size_t s = 0; s < a->n_steps; s++) {
        const struct plan_step *x = &a->steps[s], *y = &b->steps[s];
        assert_true(x->t_data_get == y->t_data_get && x->t_param_get == y->t_param_get &&
                    x->t_compute == y->t_compute && x->t_put == y->t_put && x->t_end == y->t_end);
        assert_int_equal(x->read_version, y->read_version);
        assert_int_equal(x->base_version, y->base_version);
        assert_int_equal(x->write_version, y->write_version);
        assert_int_equal(x->failed, y->failed);
    }
    for (int i = 0; i < a->n_functions; i++) assert_true(a->fns[i].billed_s == b->fns[i].billed_s);
    assert_true(a->t_end == b->t_end);
}

static void test_zero_faults_plan_the_same_timeline_bit_for_bit(void **state)
{
    (void)state;
    enum plan_update upd[2] = {PLAN_UPDATE_OVERWRITE, PLAN_UPDATE_APPLY};
    enum plan_sync sync[2] = {PLAN_SYNC_HSP, PLAN_SYNC_SSP};
    for (int u = 0; u < 2; u++)
        for (int y = 0; y < 2; y++) {
            struct plan_config c = base_config();
            c.update = upd[u];
            c.sync = sync[y];
            c.staleness = 1;
            c.n_warm = 2;
            c.costs.kv_get_latency_s = 0.0123; /* inexact in binary: the same roundings */
            struct plan_epoch p0, p1;
            struct err e;
            assert_int_equal(plan_epoch_build(&c, &p0, &e), SIREN_OK);
            struct fault_config f;
            fault_config_init(&f);
            c.faults = &f;
            assert_int_equal(plan_epoch_build(&c, &p1, &e), SIREN_OK);
            assert_same_plan(&p0, &p1);
            assert_int_equal(p1.n_attempts, 4);
            assert_int_equal(p1.retries + p1.crashes + p1.stragglers + p1.kv_errors, 0);
            plan_epoch_free(&p0);
            plan_epoch_free(&p1);
        }
}

/* Every step completed by exactly one attempt, every version written once, failures only
 * for functions that failed on every try; each retry picks up where its attempt died. */
static void check_attempts(const struct plan_config *c, const struct plan_epoch *p)
{
    const struct fault_config *f = c->faults;
    char *written = calloc((size_t)p->n_versions + 1, 1);
    assert_non_null(written);
    for (size_t s = 0; s < p->n_steps; s++) {
        const struct plan_step *st = &p->steps[s];
        if (st->failed) continue;
        assert_in_range(st->write_version, 1, p->n_versions);
        assert_int_equal(written[st->write_version], 0);
        written[st->write_version] = 1;
        /* It reads a version completed before its GET. */
        assert_true(st->read_version < st->write_version);
    }
    for (int i = 0; i < p->n_functions; i++) {
        const struct plan_fn *fn = &p->fns[i];
        int next = fn->first_step, failed_tries = 0, last_status = -1;
        double last_stop = 0;
        for (size_t q = 0; q < p->n_attempts; q++) {
            const struct plan_attempt *a = &p->attempts[q];
            if (a->fn != i) continue;
            assert_int_equal(a->first_step, next); /* carries on from the first unwritten step */
            assert_int_equal(a->gen, failed_tries);
            if (a->attempt > 0) {
                /* A retry: Lambda's wait after the failure, cold after a crash. */
                assert_true(a->t_invoke == last_stop + fault_retry_delay_s(f, a->attempt));
                assert_int_equal(a->cold, last_status == PLAN_ATTEMPT_CRASHED);
            }
            for (int s = a->first_step; s < a->end_step; s++) {
                assert_false(p->steps[s].failed);
                assert_int_equal(p->steps[s].attempt, a->attempt);
                assert_int_equal(p->steps[s].gen, a->gen);
                assert_true(p->steps[s].t_data_get >= a->t_start);
                assert_true(p->steps[s].t_end <= a->t_stop);
            }
            assert_true(a->t_stop >= a->t_start);
            next = a->end_step;
            last_stop = a->t_stop;
            last_status = a->status;
            if (a->status == PLAN_ATTEMPT_CRASHED || a->status == PLAN_ATTEMPT_KV_FAILED) {
                assert_true(a->attempt <= f->retries);
                failed_tries++;
            } else {
                assert_int_equal(a->status, PLAN_ATTEMPT_OK);
            }
        }
        int lost = next < fn->first_step + fn->n_steps;
        /* Steps fail only after the last retry failed too. */
        if (lost) {
            assert_int_equal(last_status == PLAN_ATTEMPT_CRASHED || last_status == PLAN_ATTEMPT_KV_FAILED, 1);
            for (int s = next; s < fn->first_step + fn->n_steps; s++) assert_true(p->steps[s].failed);
        }
    }
    for (int64_t v = 1; v <= p->n_versions; v++) assert_int_equal(written[v], 1);
    free(written);
}

static void test_crashes_are_retried_and_every_version_is_written_once(void **state)
{
    (void)state;
    int crashed = 0, lost = 0, retried = 0;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        struct plan_config c = base_config();
        struct fault_config f;
        fault_config_init(&f);
        f.crash_p = 0.6;
        f.kv_error_p = 0.2; /* some requests fail on all 3 tries: the function raises */
        f.seed = seed;
        c.faults = &f;
        c.sync = seed % 2 ? PLAN_SYNC_HSP : PLAN_SYNC_SSP;
        c.staleness = 1;
        struct plan_epoch p;
        struct err e;
        assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
        check_attempts(&c, &p);
        crashed += p.crashes;
        lost += p.lost_functions;
        retried += p.retries;
        int64_t steps_ok = 0;
        for (size_t s = 0; s < p.n_steps; s++) steps_ok += !p.steps[s].failed;
        assert_int_equal(steps_ok, p.n_versions);
        assert_int_equal(p.retries, p.crashes + p.kv_failures - p.lost_functions);
        plan_epoch_free(&p);
    }
    /* The seeds exercise all three outcomes. */
    assert_true(crashed > 20 && retried > 20 && lost > 0);
}

static void test_crash_every_time_loses_the_function_after_the_last_retry(void **state)
{
    (void)state;
    for (int retries = 0; retries <= 3; retries++) {
        struct plan_config c = base_config();
        struct fault_config f;
        fault_config_init(&f);
        f.crash_p = 1.0;
        f.retries = retries;
        f.retry_delay_s = 10.0;
        c.faults = &f;
        struct plan_epoch p;
        struct err e;
        assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
        assert_int_equal(p.n_attempts, 4 * (retries + 1));
        assert_int_equal(p.lost_functions, 4);
        assert_int_equal(p.retries, 4 * retries);
        check_attempts(&c, &p);
        /* Waits of 10, 20, 40 s: the epoch lasts at least their sum. */
        assert_true(p.t_end >= 10.0 * ((1 << retries) - 1));
        plan_epoch_free(&p);
    }
    /* --retries 0 with no crash: nothing is retried or lost. */
    struct plan_config c = base_config();
    struct fault_config f;
    fault_config_init(&f);
    f.retries = 0;
    c.faults = &f;
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    assert_int_equal(p.n_versions, 24);
    assert_int_equal(p.lost_functions, 0);
    plan_epoch_free(&p);
}

static void test_straggler_scales_compute_only(void **state)
{
    (void)state;
    struct plan_config c = base_config();
    struct fault_config f;
    fault_config_init(&f);
    f.straggler_p = 1.0;
    f.straggler_factor = 3.0;
    c.faults = &f;
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    assert_int_equal(p.stragglers, 4);
    for (size_t s = 0; s < p.n_steps; s++) {
        const struct plan_step *st = &p.steps[s];
        assert_true(st->t_put - st->t_compute == 3.0 * 4 * 0.25); /* 4 samples at 0.25 s, x3 */
        assert_true(st->t_compute - st->t_param_get == 0.75);      /* I/O untouched */
    }
    for (size_t q = 0; q < p.n_attempts; q++) assert_true(p.attempts[q].compute_factor == 3.0);
    plan_epoch_free(&p);
}

static void test_kv_errors_add_error_responses_and_backoff(void **state)
{
    (void)state;
    struct plan_config c = base_config();
    struct fault_config f;
    fault_config_init(&f);
    f.kv_error_p = 0.3;
    f.seed = 5;
    f.retries = 10; /* so that no function is lost */
    c.faults = &f;
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_OK);
    int retried = 0;
    for (size_t s = 0; s < p.n_steps; s++) {
        const struct plan_step *st = &p.steps[s];
        if (st->failed) continue;
        /* A data GET that failed k times took at least k error responses longer. */
        double data = st->t_param_get - st->t_data_get;
        assert_true(data >= 1.25 + st->kv_retries[0] * 0.25 - 1e-12);
        if (!st->kv_retries[0]) assert_true(data == 1.25);
        retried += st->kv_retries[0] + st->kv_retries[1] + st->kv_retries[3];
        assert_int_equal(st->kv_retries[2], 0); /* no base GET without apply */
    }
    assert_true(retried > 0);
    assert_true(p.kv_errors >= retried);
    check_attempts(&c, &p);
    plan_epoch_free(&p);
}

static void test_throttle_refuses_requests_over_the_prefix_rate(void **state)
{
    (void)state;
    struct plan_config c = base_config();
    c.n_functions = 24;
    c.epoch_samples = 24 * 4 * 3;
    c.costs.kv_gets_per_s_per_prefix = 1000;
    c.costs.kv_puts_per_s_per_prefix = 4; /* 24 functions PUT far faster than that */
    struct fault_config f;
    fault_config_init(&f);
    f.retries = 50; /* a refused request fails the function after 3 tries: retry it */
    c.faults = &f;
    struct plan_epoch off, on;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &off, &e), SIREN_OK);
    assert_int_equal(off.throttled, 0); /* rates are enforced only with throttle=on */
    f.throttle = 1;
    assert_int_equal(plan_epoch_build(&c, &on, &e), SIREN_OK);
    assert_true(on.throttled > 0);
    assert_true(on.t_end > off.t_end);
    check_attempts(&c, &on);
    /* No whole second holds more PUT completions than the rate could have accepted: each
     * accepted PUT ends put_s = 1 s after it starts, so count PUT starts per second. */
    int per_s[4096] = {0};
    for (size_t s = 0; s < on.n_steps; s++) {
        const struct plan_step *st = &on.steps[s];
        if (st->failed) continue;
        double start = st->t_end - 1.0; /* PUT: 0.5 latency + 512 / 1024 */
        assert_true(start >= 0 && start < 4096);
        per_s[(int)floor(start)]++;
    }
    for (int b = 0; b < 4096; b++) assert_true(per_s[b] <= 4);
    plan_epoch_free(&off);
    plan_epoch_free(&on);
}

static void test_bsp_and_bad_fault_values_are_rejected(void **state)
{
    (void)state;
    struct plan_config c = base_config();
    struct fault_config f;
    fault_config_init(&f);
    c.faults = &f;
    c.sync = PLAN_SYNC_BSP;
    struct plan_epoch p;
    struct err e;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "bsp"));
    c.sync = PLAN_SYNC_HSP;
    f.retries = -1;
    assert_int_equal(plan_epoch_build(&c, &p, &e), SIREN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_spec_parses_every_key_and_keeps_defaults),
        cmocka_unit_test(test_fault_spec_rejects_bad_values_naming_the_key),
        cmocka_unit_test(test_fault_draws_are_keyed_not_sequential),
        cmocka_unit_test(test_zero_faults_plan_the_same_timeline_bit_for_bit),
        cmocka_unit_test(test_crashes_are_retried_and_every_version_is_written_once),
        cmocka_unit_test(test_crash_every_time_loses_the_function_after_the_last_retry),
        cmocka_unit_test(test_straggler_scales_compute_only),
        cmocka_unit_test(test_kv_errors_add_error_responses_and_backoff),
        cmocka_unit_test(test_throttle_refuses_requests_over_the_prefix_rate),
        cmocka_unit_test(test_bsp_and_bad_fault_values_are_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

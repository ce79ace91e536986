/*
 * The cost ledger against figures computed by hand from the presets: GB-seconds rounded to
 * the billing unit, request fees, object-store request fees, VM time with its minimum, and
 * epoch totals that add up to the job totals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "ledger.h"

/* cmocka's assert_float_equal compares floats; costs need doubles. */
#define assert_near(a, b, eps) assert_near_impl((double)(a), (double)(b), (double)(eps), #a, __LINE__)
static void assert_near_impl(double a, double b, double eps, const char *what, int line)
{
    if (!(fabs(a - b) <= eps)) fail_msg("line %d: %s = %.17g, expected %.17g (+/- %g)", line, what, a, b, eps);
}


static void test_ledger_epochs_and_job_totals_2019(void **state)
{
    (void)state;
    struct platform p;
    struct err e;
    assert_int_equal(platform_load("lambda-2019", &p, &e), SIREN_OK);
    struct ledger l;
    ledger_init(&l, &p);
    double usd;
    /* 1,024 MB x 1,234 ms -> 1,300 ms billed = 1.3 GB-s x $0.0000166667 + $0.0000002. */
    assert_int_equal(ledger_add_invocation(&l, 1024, 1234, 0, &usd, &e), SIREN_OK);
    assert_near(usd, 0.00002186671, 1e-15);
    /* 2,048 MB x 50 ms (warm) -> 100 ms = 0.2 GB-s. */
    assert_int_equal(ledger_add_invocation(&l, 2048, 50, 0, &usd, &e), SIREN_OK);
    assert_near(usd, 0.2 * 0.0000166667 + 0.0000002, 1e-15);
    /* 1,000 GETs, 200 PUTs, 10 LISTs, 5 DELETEs: 0.0004 + 0.001 + 0.00005 (DELETE free). */
    assert_near(ledger_add_kv(&l, 1000, 200, 10, 5), 0.00145, 1e-15);
    struct ledger_totals t;
    ledger_end_epoch(&l, &t);
    assert_int_equal(t.invocations, 2);
    assert_near(t.billed_ms, 1400, 0);
    assert_near(t.gb_s, 1.5, 1e-12);
    assert_near(t.compute_usd, 1.5 * 0.0000166667, 1e-15);
    assert_near(t.request_usd, 0.0000004, 1e-15);
    assert_near(t.kv_usd, 0.00145, 1e-15);
    assert_int_equal(t.kv_deletes, 5);
    assert_near(t.total_usd, 1.5 * 0.0000166667 + 0.0000004 + 0.00145, 1e-15);
    assert_int_equal(l.epoch, 1);
    /* Epoch 1: 128 MB x 99 ms -> 100 ms = 0.0125 GB-s; 4 m4.large for an hour; 2 c5.2xlarge
     * for 10 s, billed as the 60 s minimum. */
    assert_int_equal(ledger_add_invocation(&l, 128, 99, 0, &usd, &e), SIREN_OK);
    assert_near(usd, 0.0125 * 0.0000166667 + 0.0000002, 1e-15);
    assert_int_equal(ledger_add_vm(&l, "m4.large", 4, 3600, &usd, &e), SIREN_OK);
    assert_near(usd, 0.40, 1e-12);
    assert_int_equal(ledger_add_vm(&l, "c5.2xlarge", 2, 10, &usd, &e), SIREN_OK);
    assert_near(usd, 2 * 0.34 * 60 / 3600, 1e-15);
    ledger_end_epoch(&l, &t);
    assert_int_equal(t.invocations, 1);
    assert_near(t.vm_usd, 0.40 + 2 * 0.34 * 60 / 3600, 1e-12);
    /* The job: both epochs. */
    const struct ledger_totals *j = &l.job_totals;
    assert_int_equal(j->invocations, 3);
    assert_near(j->gb_s, 1.5125, 1e-12);
    assert_near(j->total_usd,
                       1.5125 * 0.0000166667 + 0.0000006 + 0.00145 + 0.40 +
                           2 * 0.34 * 60 / 3600,
                       1e-12);
    assert_int_equal(j->kv_gets, 1000);
}

static void test_ledger_2024_bills_init_and_milliseconds(void **state)
{
    (void)state;
    struct platform p;
    struct err e;
    assert_int_equal(platform_load("lambda-2024", &p, &e), SIREN_OK);
    struct ledger l;
    ledger_init(&l, &p);
    double usd;
    assert_int_equal(ledger_add_invocation(&l, 1024, 1234, 0, &usd, &e), SIREN_OK);
    assert_near(usd, 1.234 * 0.0000166667 + 0.0000002, 1e-15);
    /* Cold: 300 ms of init billed on top (since August 2025): 1,534 ms at 1 GB. */
    assert_int_equal(ledger_add_invocation(&l, 1024, 1234, 300, &usd, &e), SIREN_OK);
    assert_near(usd, 1.534 * 0.0000166667 + 0.0000002, 1e-15);
    assert_near(l.job_totals.billed_ms, 2768, 0);
}

static void test_ledger_rejects_out_of_range_charges(void **state)
{
    (void)state;
    struct platform p;
    struct err e;
    assert_int_equal(platform_load("lambda-2019", &p, &e), SIREN_OK);
    struct ledger l;
    ledger_init(&l, &p);
    assert_int_equal(ledger_add_invocation(&l, 64, 100, 0, NULL, &e), SIREN_ERANGE);
    assert_non_null(strstr(e.msg, "64 MB"));
    assert_int_equal(ledger_add_invocation(&l, 4096, 100, 0, NULL, &e), SIREN_ERANGE);
    assert_int_equal(ledger_add_invocation(&l, 1024, -1, 0, NULL, &e), SIREN_ERANGE);
    assert_int_equal(ledger_add_vm(&l, "t2.nano", 1, 10, NULL, &e), SIREN_ENOTFOUND);
    assert_int_equal(ledger_add_vm(&l, "m4.large", -1, 10, NULL, &e), SIREN_ERANGE);
    assert_int_equal(l.job_totals.invocations, 0);
    assert_near(l.job_totals.total_usd, 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ledger_epochs_and_job_totals_2019),
        cmocka_unit_test(test_ledger_2024_bills_init_and_milliseconds),
        cmocka_unit_test(test_ledger_rejects_out_of_range_charges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

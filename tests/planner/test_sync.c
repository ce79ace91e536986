/*
 * The sync mode's and the update rule's texts: plan_sync_parse and plan_update_parse read
 * what --sync and --update take and summary.json records, refuse anything else naming it,
 * and the format functions write back the same text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "planner.h"

#include <stdio.h>
#include <string.h>

static void test_sync_parse_reads_every_mode(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum plan_sync sync;
        int staleness;
    } good[] = {
        {"hsp", PLAN_SYNC_HSP, 0},   {"bsp", PLAN_SYNC_BSP, 0},
        {"asp", PLAN_SYNC_ASP, 0},   {"ssp:0", PLAN_SYNC_SSP, 0},
        {"ssp:2", PLAN_SYNC_SSP, 2}, {"ssp:2147483647", PLAN_SYNC_SSP, 2147483647},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        enum plan_sync sync = PLAN_SYNC_BSP;
        int staleness = -1;
        struct err e;
        assert_int_equal(plan_sync_parse(good[i].text, &sync, &staleness, &e), SIREN_OK);
        assert_int_equal(sync, good[i].sync);
        assert_int_equal(staleness, good[i].staleness);
    }
}

static void test_sync_parse_refuses_other_text_naming_it(void **state)
{
    (void)state;
    static const char *const bad[] = {"",      "HSP",   "hsp ",   "ssp",       "ssp:",
                                      "ssp:-1", "ssp:x", "ssp:2x", "ssp:2147483648", "bsp:1",
                                      "async", "ssp2"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        enum plan_sync sync = PLAN_SYNC_BSP;
        int staleness = 7;
        struct err e;
        assert_int_equal(plan_sync_parse(bad[i], &sync, &staleness, &e), SIREN_EINVAL);
        char want[128];
        snprintf(want, sizeof want, "expected hsp, bsp, asp or ssp:S (S >= 0), got '%s'", bad[i]);
        assert_string_equal(e.msg, want);
        /* Nothing is stored from refused text. */
        assert_int_equal(sync, PLAN_SYNC_BSP);
        assert_int_equal(staleness, 7);
    }
}

static void test_sync_format_writes_what_parse_reads(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(plan_sync_format(PLAN_SYNC_HSP, 0, buf, sizeof buf), "hsp");
    assert_string_equal(plan_sync_format(PLAN_SYNC_BSP, 0, buf, sizeof buf), "bsp");
    assert_string_equal(plan_sync_format(PLAN_SYNC_ASP, 0, buf, sizeof buf), "asp");
    assert_string_equal(plan_sync_format(PLAN_SYNC_SSP, 3, buf, sizeof buf), "ssp:3");
    for (int s = PLAN_SYNC_HSP; s <= PLAN_SYNC_SSP; s++) {
        enum plan_sync back;
        int staleness;
        struct err e;
        plan_sync_format((enum plan_sync)s, 5, buf, sizeof buf);
        assert_int_equal(plan_sync_parse(buf, &back, &staleness, &e), SIREN_OK);
        assert_int_equal(back, s);
        assert_int_equal(staleness, s == PLAN_SYNC_SSP ? 5 : 0);
    }
}

static void test_update_parse_reads_every_rule_and_format_writes_it_back(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum plan_update update;
        int k;
    } good[] = {
        {"overwrite", PLAN_UPDATE_OVERWRITE, 0},    {"apply", PLAN_UPDATE_APPLY, 0},
        {"average", PLAN_UPDATE_AVERAGE, 0},        {"average:8", PLAN_UPDATE_AVERAGE, 8},
        {"allreduce", PLAN_UPDATE_ALLREDUCE, 1},    {"allreduce:4", PLAN_UPDATE_ALLREDUCE, 4},
        {"scatter-reduce", PLAN_UPDATE_SCATTER_REDUCE, 1},
        {"allgather:2", PLAN_UPDATE_ALLGATHER, 2},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        enum plan_update u = PLAN_UPDATE_APPLY;
        int k = -1;
        struct err e;
        char buf[32];
        assert_int_equal(plan_update_parse(good[i].text, &u, &k, &e), SIREN_OK);
        assert_int_equal(u, good[i].update);
        assert_int_equal(k, good[i].k);
        assert_string_equal(plan_update_format(u, k, buf, sizeof buf), good[i].text);
    }
    static const char *const bad[] = {"", "avg", "average:", "average:0", "allreduce:-1",
                                      "overwrite:2", "apply:1", "allgather:x", "Average"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        enum plan_update u = PLAN_UPDATE_APPLY;
        int k = 7;
        struct err e;
        assert_int_equal(plan_update_parse(bad[i], &u, &k, &e), SIREN_EINVAL);
        assert_non_null(strstr(e.msg, "average[:K]"));
        assert_int_equal(u, PLAN_UPDATE_APPLY);
        assert_int_equal(k, 7);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_parse_reads_every_mode),
        cmocka_unit_test(test_sync_parse_refuses_other_text_naming_it),
        cmocka_unit_test(test_sync_format_writes_what_parse_reads),
        cmocka_unit_test(test_update_parse_reads_every_rule_and_format_writes_it_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

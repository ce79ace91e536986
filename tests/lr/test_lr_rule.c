/* The learning-rate rule under data parallelism: parsing, the scaled factor, the warm-up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "lr_rule.h"

static void test_lr_rule_parses_and_formats(void **state)
{
    (void)state;
    struct lr_rule r;
    struct err e;
    char buf[32];
    assert_int_equal(lr_rule_parse("none", &r, &e), SIREN_OK);
    assert_int_equal(r.scale, LR_SCALE_NONE);
    assert_int_equal(lr_rule_parse("linear", &r, &e), SIREN_OK);
    assert_int_equal(r.scale, LR_SCALE_LINEAR);
    assert_true(r.warmup_epochs == LR_RULE_WARMUP_EPOCHS);
    assert_int_equal(lr_rule_parse("sqrt:2.5", &r, &e), SIREN_OK);
    assert_true(r.scale == LR_SCALE_SQRT && r.warmup_epochs == 2.5);
    lr_rule_format(&r, buf, sizeof buf);
    assert_string_equal(buf, "sqrt:2.5");
    assert_int_equal(lr_rule_parse("linear:0", &r, &e), SIREN_OK);
    assert_true(r.warmup_epochs == 0.0);
    /* auto: linear for SGD, the square root for Adam. */
    assert_int_equal(lr_rule_parse("auto:0.5", &r, &e), SIREN_OK);
    lr_rule_resolve(&r, 1);
    assert_true(r.scale == LR_SCALE_LINEAR && r.warmup_epochs == 0.5);
    assert_int_equal(lr_rule_parse("auto", &r, &e), SIREN_OK);
    lr_rule_resolve(&r, 2);
    assert_int_equal(r.scale, LR_SCALE_SQRT);
    const char *bad[] = {"", "lin", "linear:", "linear:-1", "sqrt:x", "none:1", "linearx"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(lr_rule_parse(bad[i], &r, &e), SIREN_EFORMAT);
        assert_non_null(strstr(e.msg, "--lr-scale"));
    }
}

static void test_lr_rule_scales_after_the_warm_up(void **state)
{
    (void)state;
    struct lr_rule lin = {LR_SCALE_LINEAR, 2.0}, sq = {LR_SCALE_SQRT, 0.0}, none = {0, 1.0};
    /* Linear, 2 warm-up epochs, 16 mini-batches' worth: 1x at the start, 8.5x half way, 16x
     * from epoch 3 on. */
    assert_true(lr_rule_at(&lin, 0.5, 16.0, 0.0) == 0.5);
    assert_true(lr_rule_at(&lin, 0.5, 16.0, 1.0) == 0.5 * 8.5);
    assert_true(lr_rule_at(&lin, 0.5, 16.0, 2.0) == 8.0);
    assert_true(lr_rule_at(&lin, 0.5, 16.0, 7.25) == 8.0);
    /* Square root, no warm-up: 4x at once. */
    assert_true(lr_rule_at(&sq, 0.25, 16.0, 0.0) == 1.0);
    /* No scaling, and one function: the per-function rate. */
    assert_true(lr_rule_at(&none, 0.5, 16.0, 3.0) == 0.5);
    assert_true(lr_rule_at(&lin, 0.5, 1.0, 3.0) == 0.5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lr_rule_parses_and_formats),
        cmocka_unit_test(test_lr_rule_scales_after_the_warm_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Error codes: names and messages come from one list; details name the input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "core.h"

static void test_err_codes_have_distinct_names_and_messages(void **state)
{
    (void)state;
    assert_string_equal(err_name(SIREN_EFORMAT), "SIREN_EFORMAT");
    assert_string_equal(err_str(SIREN_ENOTFOUND), "not found");
    assert_string_equal(err_str(SIREN_OK), "success");
    assert_string_equal(err_str(-9999), "unknown error");
    assert_int_equal(SIREN_ENOMEM, -1); /* codes are appended, never renumbered */
    assert_int_equal(SIREN_ENETWORK, -18);
}

static void test_err_set_and_prefix_compose_a_message(void **state)
{
    (void)state;
    struct err e;
    err_clear(&e);
    int rc = err_set(&e, SIREN_EFORMAT, "line %d: %d fields, expected %d", 1042, 38, 40);
    assert_int_equal(rc, SIREN_EFORMAT);
    assert_int_equal(err_prefix(&e, "%s", "criteo.tsv"), SIREN_EFORMAT);
    assert_string_equal(e.msg, "criteo.tsv: line 1042: 38 fields, expected 40");
    assert_int_equal(err_set(NULL, SIREN_EIO, "ignored"), SIREN_EIO);
}

static void test_err_errno_maps_enoent_to_not_found(void **state)
{
    (void)state;
    struct err e;
    assert_int_equal(err_errno(&e, ENOENT, "cannot open %s", "x.idx"), SIREN_ENOTFOUND);
    assert_non_null(strstr(e.msg, "cannot open x.idx: "));
    assert_int_equal(err_errno(&e, EACCES, "cannot open %s", "y"), SIREN_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_codes_have_distinct_names_and_messages),
        cmocka_unit_test(test_err_set_and_prefix_compose_a_message),
        cmocka_unit_test(test_err_errno_maps_enoent_to_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

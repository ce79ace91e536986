/*
 * The source tree's root: $SIREN_SOURCE_DIR when set and not empty, else the tree this binary
 * was built from (SIREN_TEST_SOURCE_ROOT, given by the build); paths in it are composed whole
 * or refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core.h"

#include <stdlib.h>
#include <string.h>

static void test_source_root_is_the_environment_when_set(void **state)
{
    (void)state;
    char buf[256];
    setenv("SIREN_SOURCE_DIR", "/some/where", 1);
    assert_string_equal(core_source_root(), "/some/where");
    assert_int_equal(core_source_path("results/sched/x.json", buf, sizeof buf), SIREN_OK);
    assert_string_equal(buf, "/some/where/results/sched/x.json");
}

static void test_source_root_is_the_built_tree_otherwise(void **state)
{
    (void)state;
    setenv("SIREN_SOURCE_DIR", "", 1);
    assert_string_equal(core_source_root(), SIREN_TEST_SOURCE_ROOT);
    unsetenv("SIREN_SOURCE_DIR");
    assert_string_equal(core_source_root(), SIREN_TEST_SOURCE_ROOT);
    char buf[4096];
    assert_int_equal(core_source_path("emu/platforms", buf, sizeof buf), SIREN_OK);
    assert_true(fs_is_dir(buf));
}

static void test_source_path_that_does_not_fit_is_refused(void **state)
{
    (void)state;
    char buf[16];
    setenv("SIREN_SOURCE_DIR", "/a/long/source/tree", 1);
    assert_int_equal(core_source_path("results", buf, sizeof buf), SIREN_ERANGE);
    assert_int_equal(strlen(buf), sizeof buf - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_root_is_the_environment_when_set),
        cmocka_unit_test(test_source_root_is_the_built_tree_otherwise),
        cmocka_unit_test(test_source_path_that_does_not_fit_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

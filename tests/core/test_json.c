/* JSON helpers: syntax errors name line and column; getters name the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "testutil.h"

static void test_json_syntax_error_names_line_and_column(void **state)
{
    (void)state;
    const char *text = "{\n  \"a\": 1,\n  \"b\": ]\n}";
    cJSON *root;
    struct err e;
    assert_int_equal(json_parse(text, strlen(text), "preset.json", &root, &e), SIREN_EFORMAT);
    assert_null(root);
    assert_string_equal(e.msg, "preset.json: line 3, column 8: not valid JSON");
}

static void test_json_trailing_garbage_is_rejected(void **state)
{
    (void)state;
    cJSON *root;
    struct err e;
    assert_int_equal(json_parse("{} x", 4, "ev", &root, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "unexpected text"));
}

static void test_json_getters_name_missing_and_mistyped_keys(void **state)
{
    (void)state;
    const char *text = "{\"n\": 3, \"x\": 2.5, \"s\": \"hi\", \"b\": true}";
    cJSON *root;
    struct err e;
    assert_int_equal(json_parse(text, strlen(text), "ev", &root, &e), SIREN_OK);
    long long n;
    double x;
    const char *s;
    int b;
    assert_int_equal(json_get_int(root, "n", "ev", &n, &e), SIREN_OK);
    assert_int_equal(n, 3);
    assert_int_equal(json_get_number(root, "x", "ev", &x, &e), SIREN_OK);
    assert_true(x == 2.5);
    assert_int_equal(json_get_string(root, "s", "ev", &s, &e), SIREN_OK);
    assert_string_equal(s, "hi");
    assert_int_equal(json_get_bool(root, "b", "ev", &b, &e), SIREN_OK);
    assert_int_equal(b, 1);
    assert_int_equal(json_get_int(root, "x", "ev", &n, &e), SIREN_EFORMAT);
    assert_string_equal(e.msg, "ev: key 'x': expected an integer, got 2.5");
    assert_int_equal(json_get_number(root, "missing", "ev", &x, &e), SIREN_EFORMAT);
    assert_string_equal(e.msg, "ev: key 'missing' is missing");
    assert_int_equal(json_get_string(root, "n", "ev", &s, &e), SIREN_EFORMAT);
    cJSON_Delete(root);
}

static void test_json_file_round_trip(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = tu_path(dir, "out.json");
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddNumberToObject(obj, "cost_usd", 0.125);
    struct err e;
    assert_int_equal(json_write_file(path, obj, &e), SIREN_OK);
    cJSON *back;
    assert_int_equal(json_load_file(path, &back, &e), SIREN_OK);
    double v;
    assert_int_equal(json_get_number(back, "cost_usd", path, &v, &e), SIREN_OK);
    assert_true(v == 0.125);
    cJSON_Delete(obj);
    cJSON_Delete(back);
    assert_int_equal(json_load_file("/nonexistent/x.json", &back, &e), SIREN_ENOTFOUND);
    tu_rm_rf(dir);
    free(path);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_syntax_error_names_line_and_column),
        cmocka_unit_test(test_json_trailing_garbage_is_rejected),
        cmocka_unit_test(test_json_getters_name_missing_and_mistyped_keys),
        cmocka_unit_test(test_json_file_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

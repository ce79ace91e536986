/* One table model, three renderings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static char *render(const struct table *t, int (*fn)(const struct table *, FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(fn(t, f), SIREN_OK);
    fclose(f);
    return buf;
}

static void test_table_renders_markdown_csv_and_json(void **state)
{
    (void)state;
    const char *cols[] = {"workload", "time_s", "note"};
    struct table t;
    assert_int_equal(table_init(&t, 3, cols), SIREN_OK);
    assert_int_equal(table_add_row(&t), SIREN_OK);
    table_setf(&t, 0, 0, "lr");
    table_setf(&t, 0, 1, "%.1f", 12.5);
    table_setf(&t, 0, 2, "a,\"b\"");
    assert_int_equal(table_add_row(&t), SIREN_OK);
    table_setf(&t, 1, 0, "lenet");
    assert_int_equal(table_setf(&t, 5, 0, "x"), SIREN_ERANGE);

    char *md = render(&t, table_write_markdown);
    assert_string_equal(md, "| workload | time_s | note  |\n"
                            "| -------- | ------ | ----- |\n"
                            "| lr       | 12.5   | a,\"b\" |\n"
                            "| lenet    |        |       |\n");
    char *csv = render(&t, table_write_csv);
    assert_string_equal(csv, "workload,time_s,note\nlr,12.5,\"a,\"\"b\"\"\"\nlenet,,\n");
    cJSON *j = table_to_json(&t);
    char *js = cJSON_PrintUnformatted(j);
    assert_string_equal(js, "[{\"workload\":\"lr\",\"time_s\":12.5,\"note\":\"a,\\\"b\\\"\"},"
                            "{\"workload\":\"lenet\",\"time_s\":\"\",\"note\":\"\"}]");
    free(md);
    free(csv);
    free(js);
    cJSON_Delete(j);
    table_free(&t);
}

static void test_csv_columns_and_numbers_read_back(void **state)
{
    (void)state;
    const char *header = "epoch,n,time_s,versions\r\n";
    assert_int_equal(csv_column(header, "epoch"), 0);
    assert_int_equal(csv_column(header, "versions"), 3); /* the last, before CR LF */
    assert_int_equal(csv_column(header, "time"), -1);    /* a prefix is not a column */
    assert_int_equal(csv_column(header, "cost_usd"), -1);
    double v = 0;
    assert_int_equal(csv_number("1,8,3.25,235\n", 2, &v), 0);
    assert_true(v == 3.25);
    assert_int_equal(csv_number("1,8,3.25,235\r\n", 3, &v), 0);
    assert_true(v == 235.0);
    assert_int_equal(csv_number("1,8,3.25", 3, &v), -1);   /* the line is shorter */
    assert_int_equal(csv_number("1,8,x,235", 2, &v), -1);  /* not a number */
    assert_int_equal(csv_number("1,8,3.2.5,1", 2, &v), -1); /* trailing junk in the field */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_renders_markdown_csv_and_json),
        cmocka_unit_test(test_csv_columns_and_numbers_read_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

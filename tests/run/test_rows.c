/*
 * --rows N for the image and text workloads: N equal to the real count changes nothing, more
 * rows keep the real ones first and their labels after, `siren train` runs an epoch of
 * lenet-fashion at twice its rows with the real held-out split, and impossible counts are
 * refused with the option, the rows and the reason.
 */
#include "run_test.h"

#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "workload.h"

static struct workload *open_train(const char *name, size_t rows)
{
    struct workload_opts wo = {.load_train = 1, .synthetic_rows = rows};
    struct workload *w;
    struct err e;
    if (workload_open(name, &wo, &w, &e)) fail_msg("%s", e.msg);
    return w;
}

static void test_rows_equal_to_the_real_count_change_nothing(void **state)
{
    (void)state;
    const struct {
        const char *name;
        size_t rows;
    } cases[] = {{"lenet-fashion", 60000}, {"textcnn-polarity", 9596}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        struct workload *real = open_train(cases[k].name, 0);
        struct workload *same = open_train(cases[k].name, cases[k].rows);
        struct workload *more = open_train(cases[k].name, 3 * cases[k].rows);
        const struct ds_data *a = &real->train, *b = &same->train, *c = &more->train;
        assert_int_equal(a->rows, cases[k].rows);
        assert_int_equal(b->rows, a->rows);
        assert_int_equal(c->rows, 3 * a->rows);
        size_t rb = a->layout == DS_IMAGES_U8 ? (size_t)(a->channels * a->height * a->width)
                                              : (size_t)a->seq_len * sizeof(int32_t);
        const void *pa = a->layout == DS_IMAGES_U8 ? (const void *)a->pixels : (const void *)a->tokens;
        const void *pb = b->layout == DS_IMAGES_U8 ? (const void *)b->pixels : (const void *)b->tokens;
        const void *pc = c->layout == DS_IMAGES_U8 ? (const void *)c->pixels : (const void *)c->tokens;
        assert_memory_equal(pa, pb, a->rows * rb);
        assert_memory_equal(a->labels, b->labels, a->rows * sizeof *a->labels);
        /* Three times the rows: the real ones first, every row with its real row's label. */
        assert_memory_equal(pa, pc, a->rows * rb);
        for (size_t g = 0; g < c->rows; g++) assert_int_equal(c->labels[g], a->labels[g % a->rows]);
        workload_close(real);
        workload_close(same);
        workload_close(more);
    }
}

/* One epoch of lenet-fashion at 120,000 rows: the split has them, the held-out split is the
 * real 10,000, and the epoch learns (chance is a loss of ln 10 = 2.3 and accuracy 0.1). */
static void test_train_runs_an_epoch_at_twice_the_real_rows(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run_one("train", "--workload lenet-fashion --rows 120000 --epochs 1 "
                                      "--batch 256 --json --quiet", &out),
                     0);
    /* The JSON object is the last line. */
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == '\n') out[--len] = '\0';
    char *last = strrchr(out, '\n');
    cJSON *j = cJSON_Parse(last ? last + 1 : out);
    if (!j) fail_msg("no JSON in: %s", out);
    double train_rows, test_rows, loss, accuracy;
    const struct json_number_field f[] = {{"train_rows", &train_rows}, {"test_rows", &test_rows},
                                          {"test_loss", &loss}, {"test_accuracy", &accuracy}};
    struct err e;
    if (json_get_numbers(j, "train --json", f, sizeof f / sizeof *f, &e)) fail_msg("%s", e.msg);
    assert_true(train_rows == 120000);
    assert_true(test_rows == 10000);
    assert_true(isfinite(loss) && loss < 1.0);
    assert_true(accuracy > 0.6);
    cJSON_Delete(j);
    free(out);
}

/* Counts no split can have are refused with --rows, the count and the reason; a count below
 * the option's bound is a usage error. */
static void test_impossible_row_counts_are_refused_with_the_reason(void **state)
{
    (void)state;
    const struct {
        const char *args;
        int status;
        const char *says[2];
    } cases[] = {
        {"--workload lenet-fashion --rows 5", 2, {"--rows", ">= 10"}},
        {"--workload lenet-fashion --rows 4294967296", 1, {"--rows 4294967296", "32-bit"}},
        {"--workload textcnn-polarity --rows 4294967296", 1, {"--rows 4294967296", "32-bit"}},
        {"--workload lenet-mnist --rows 4000000000", 1,
         {"--rows 4000000000", "4000000000 rows x 788 bytes = 3152000000000 bytes"}},
        {"--workload lr-ctr --rows 5000", 1, {"--rows 5000", "no augmentation"}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char *out, *args = NULL;
        assert_true(asprintf(&args, "%s --epochs 1 --quiet", cases[k].args) > 0);
        int st = run_one("train", args, &out);
        if (st != cases[k].status || !strstr(out, cases[k].says[0]) ||
            !strstr(out, cases[k].says[1]))
            fail_msg("siren train %s: exit %d: %s", args, st, out);
        free(out);
        free(args);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_equal_to_the_real_count_change_nothing),
        cmocka_unit_test(test_train_runs_an_epoch_at_twice_the_real_rows),
        cmocka_unit_test(test_impossible_row_counts_are_refused_with_the_reason),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

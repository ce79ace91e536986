/*
 * `siren run --sync asp` under mpirun: the run is one plan with no barrier, reported per pass.
 * The same job on 1 and 3 ranks gives byte-identical summary.json and epochs.csv; the held-out
 * loss falls from the first pass to the last; the run takes strictly less virtual time than
 * HSP with the same functions and passes (no barrier waits, no restarts between epochs); its
 * rows' costs add up to its bill; it stops at the pass whose loss reaches the target; its
 * versions are gone at the end; and any scheduler but static is refused with the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core.h"
#include "kv.h"
#include "testutil.h"
#include "run_test.h"

/* Runs the lr-synthetic job of this test on `ranks` ranks into dir/name; returns the exit
 * status. */
static int run_job(int ranks, const char *name, const char *extra)
{
    const char *src = getenv("SIREN_SOURCE_DIR");
    assert_non_null(src);
    char *args = NULL;
    assert_true(asprintf(&args, "--workload lr-synthetic --rows 4000 --batch 100 --max-epochs 3 "
                                "--calibration %s/results/calibration/reference.json "
                                "--scheduler static:n=4,m=1024 %s", src, extra) > 0);
    int rc = run_siren(ranks, name, args);
    free(args);
    return rc;
}

/* summary.json's text, parsed; the test fails when it is not JSON. Caller deletes. */
static cJSON *json_of(const char *text)
{
    cJSON *j;
    struct err e;
    if (json_parse(text, strlen(text), "summary.json", &j, &e)) fail_msg("%s", e.msg);
    return j;
}

/* A top-level number of summary.json; the test fails when it is missing or not a number. */
static double json_number(const char *text, const char *key)
{
    cJSON *j = json_of(text);
    double v = 0;
    struct err e;
    if (json_get_number(j, key, "summary.json", &v, &e)) fail_msg("%s", e.msg);
    cJSON_Delete(j);
    return v;
}

/* Column col (from 0) of every data row of epochs.csv; returns the number of rows. */
static int text_column(const char *csv, int col, double *out, int max)
{
    int n = 0;
    for (const char *line = strchr(csv, '\n') + 1; *line && n < max; n++) {
        const char *p = line;
        for (int c = 0; c < col; c++) p = strchr(p, ',') + 1;
        out[n] = strtod(p, NULL);
        line = strchr(line, '\n') + 1;
    }
    return n;
}

static void test_asp_is_identical_on_1_and_3_ranks_learns_and_beats_hsp(void **state)
{
    (void)state;
    assert_int_equal(run_job(1, "a1", "--sync asp"), 0);
    assert_int_equal(run_job(3, "a3", "--sync asp"), 0);
    /* Against HSP with the same lock-free rule. */
    assert_int_equal(run_job(1, "h1", "--sync hsp --update overwrite"), 0);
    char *s1 = slurp("a1", "summary.json"), *s3 = slurp("a3", "summary.json");
    char *e1 = slurp("a1", "epochs.csv"), *e3 = slurp("a3", "epochs.csv");
    char *sh = slurp("h1", "summary.json");
    assert_string_equal(s1, s3);
    assert_string_equal(e1, e3);
    cJSON *j1 = json_of(s1);
    const char *sync = NULL;
    struct err err;
    assert_int_equal(json_get_string(j1, "sync", "summary.json", &sync, &err), 0);
    assert_string_equal(sync, "asp");
    cJSON_Delete(j1);
    /* One row per pass; the held-out loss (column 10) falls from pass 1 to pass 3. */
    double loss[8], cost[8], time_s[8], inv[8];
    assert_int_equal(text_column(e1, 10, loss, 8), 3);
    assert_true(loss[2] < loss[0]);
    /* One invocation per function for the whole run, all in the first row. */
    assert_int_equal(text_column(e1, 13, inv, 8), 3);
    assert_true(inv[0] == 4 && inv[1] == 0 && inv[2] == 0);
    assert_true(json_number(s1, "invocations") == 4);
    /* The rows' times and costs add up to the run's. */
    text_column(e1, 4, time_s, 8);
    text_column(e1, 8, cost, 8);
    double total_time = json_number(s1, "total_time_s"), total_cost = json_number(s1, "cost_usd");
    assert_true(fabs(time_s[0] + time_s[1] + time_s[2] - total_time) < 1e-5);
    assert_true(fabs(cost[0] + cost[1] + cost[2] - total_cost) < 1e-8);
    assert_true(cost[0] > 0 && cost[1] > 0 && cost[2] > 0);
    /* No barrier and no restart between passes: strictly faster than HSP's 3 epochs. */
    double hsp_time = json_number(sh, "total_time_s");
    assert_true(json_number(sh, "epochs") == 3);
    assert_true(total_time < hsp_time);
    /* The run's versions were deleted at its end, and with them every object of the job. */
    char *url = NULL;
    struct kv *kv;
    struct kv_keys left;
    assert_true(asprintf(&url, "file:%s/a1/kv", dir) > 0);
    if (kv_open(url, &kv, &err)) fail_msg("%s", err.msg);
    assert_int_equal(kv_list(kv, "", &left), SIREN_OK);
    if (left.count) fail_msg("%zu objects left in %s, the first %s", left.count, url, left.keys[0]);
    kv_keys_free(&left);
    kv_close(kv);
    free(url);
    free(s1), free(s3), free(e1), free(e3), free(sh);
}

static void test_asp_stops_at_the_pass_that_reaches_the_target(void **state)
{
    (void)state;
    /* The full run's loss after pass 1 and pass 2 brackets the target. */
    assert_int_equal(run_job(1, "full", "--sync asp"), 0);
    char *ef = slurp("full", "epochs.csv");
    double loss[8], t_full[8];
    assert_int_equal(text_column(ef, 10, loss, 8), 3);
    text_column(ef, 4, t_full, 8);
    assert_true(loss[1] < loss[0]);
    char extra[96];
    snprintf(extra, sizeof extra, "--sync asp --target-loss %.6f", (loss[0] + loss[1]) / 2);
    assert_int_equal(run_job(1, "target", extra), 0);
    char *s = slurp("target", "summary.json"), *e = slurp("target", "epochs.csv");
    double l2[8];
    assert_int_equal(text_column(e, 10, l2, 8), 2);
    assert_true(l2[1] == loss[1]);
    cJSON *js = json_of(s);
    int reached = 0;
    struct err err;
    assert_int_equal(json_get_bool(js, "reached_target", "summary.json", &reached, &err), 0);
    assert_true(reached);
    cJSON_Delete(js);
    assert_true(json_number(s, "epochs") == 2);
    double t2 = t_full[0] + t_full[1];
    assert_true(fabs(json_number(s, "time_to_target_s") - t2) < 1e-5);
    assert_true(fabs(json_number(s, "total_time_s") - t2) < 1e-5);
    free(ef), free(s), free(e);
}

static void test_asp_with_another_scheduler_is_a_usage_error(void **state)
{
    (void)state;
    char *cmd = NULL;
    const char *bin = getenv("SIREN_BIN");
    assert_true(asprintf(&cmd, "%s run --workload lr-synthetic --sync asp --scheduler grid "
                         "--out %s/grid >%s/grid.log 2>&1", bin, dir, dir) > 0);
    int st = system(cmd);
    free(cmd);
    assert_true(WIFEXITED(st));
    assert_int_not_equal(WEXITSTATUS(st), 0);
    char *path = NULL, *text = NULL;
    size_t len;
    struct err e;
    assert_true(asprintf(&path, "%s/grid.log", dir) > 0);
    if (fs_read_all(path, &text, &len, &e)) fail_msg("%s", e.msg);
    assert_non_null(strstr(text, "--sync asp needs --scheduler static:n=N,m=MB"));
    assert_non_null(strstr(text, "no point at which a scheduler could change n and m"));
    free(path);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_asp_is_identical_on_1_and_3_ranks_learns_and_beats_hsp),
        cmocka_unit_test(test_asp_stops_at_the_pass_that_reaches_the_target),
        cmocka_unit_test(test_asp_with_another_scheduler_is_a_usage_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

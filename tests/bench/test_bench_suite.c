/*
 * `siren bench ci` end to end: the suite passes against the committed results/ci/expected.json;
 * its own results checked (--check) against a copy with one figure perturbed beyond tolerance
 * fail and name that figure; a perturbation inside the tolerance passes; malformed suite and
 * expected files are refused naming the key. Also `siren plot` draws PNGs for run directories.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *g_dir;      /* the ci suite's results, made once */
static char g_src[1024]; /* the source tree */

/* Runs a shell command with stdout and stderr in `log`; returns its exit status. */
static int sh(const char *log, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[4500];
    snprintf(full, sizeof full, "%s > '%s' 2>&1", cmd, log);
    int st = system(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static char *slurp(const char *path)
{
    char *text = NULL;
    size_t len;
    struct err e;
    return fs_read_all(path, &text, &len, &e) ? NULL : text;
}

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("SIREN_SOURCE_DIR");
    assert_non_null(src);
    snprintf(g_src, sizeof g_src, "%s", src);
    /* OpenMPI refuses root unless told (CI runs as root); the suite's runs use mpirun. */
    if (geteuid() == 0) {
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    }
    g_dir = tu_mkdtemp();
    return g_dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tu_rm_rf(g_dir);
    free(g_dir);
    return 0;
}

static void test_ci_suite_passes_against_committed_expected_values(void **state)
{
    (void)state;
    char log[1200];
    snprintf(log, sizeof log, "%s/ci.log", g_dir);
    int rc = sh(log, "'%s' bench ci --out '%s/ci'", getenv("SIREN_BIN"), g_dir);
    char *text = slurp(log);
    if (rc) fprintf(stderr, "%s\n", text ? text : "(no log)");
    assert_int_equal(rc, 0);
    assert_non_null(strstr(text, "every figure within tolerance"));
    free(text);
    /* The result model in its three forms, and the figures. */
    static const char *const files[] = {"table.md", "table.csv", "table.json", "suite.json",
                                        "emulator-lr-synthetic-lambda-2019-loss-time.png",
                                        "emulator-lr-synthetic-lambda-2019-time-cost.png",
                                        "simulator-lr-ctr-lambda-2019-time-cost.png"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[1300];
        struct stat sb;
        snprintf(path, sizeof path, "%s/ci/%s", g_dir, files[i]);
        assert_int_equal(stat(path, &sb), 0);
        assert_true(sb.st_size > 100);
    }
}

/* Copies the committed expected values to out with the first row's figure replaced by
 * figure * factor + delta. Returns 0 when the figure was found and the copy written. */
static int perturb(const char *out, const char *figure, double factor, double delta)
{
    char path[1200];
    cJSON *root = NULL;
    struct err e;
    snprintf(path, sizeof path, "%s/results/ci/expected.json", g_src);
    if (json_load_file(path, &root, &e)) return -1;
    cJSON *rows = cJSON_GetObjectItemCaseSensitive(root, "rows");
    int found = -1;
    for (cJSON *row = rows ? rows->child : NULL; row && found; row = row->next) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(row, figure);
        if (!cJSON_IsNumber(v)) continue;
        cJSON_SetNumberValue(v, v->valuedouble * factor + delta);
        found = 0;
    }
    int rc = found || json_write_file(out, root, &e);
    cJSON_Delete(root);
    return rc;
}

static void check_perturbed(const char *figure, double factor, double delta, int want_rc)
{
    char exp[1200], log[1200];
    snprintf(exp, sizeof exp, "%s/perturbed-%s.json", g_dir, figure);
    snprintf(log, sizeof log, "%s/check-%s.log", g_dir, figure);
    assert_int_equal(perturb(exp, figure, factor, delta), 0);
    int rc = sh(log, "'%s' bench ci --check '%s/ci' --expected '%s'", getenv("SIREN_BIN"), g_dir,
                exp);
    char *text = slurp(log);
    assert_non_null(text);
    if (rc != want_rc) fprintf(stderr, "%s\n", text);
    assert_int_equal(rc, want_rc);
    if (want_rc) {
        /* The message names the figure that regressed and the row it belongs to. */
        char needle[64];
        snprintf(needle, sizeof needle, ": %s ", figure);
        assert_non_null(strstr(text, needle));
        assert_non_null(strstr(text, "regression: "));
        assert_non_null(strstr(text, "1 figure regressed"));
    }
    free(text);
}

/* Every committed suite's siren ps runs find their servers' update time in the calibration
 * the suite names: without it each of them stops before it starts (siren calibrate
 * --server-update measures it). */
static void test_every_suite_calibration_holds_what_its_ps_runs_need(void **state)
{
    (void)state;
    static const char *const suites[] = {"ci", "paper", "scaling"};
    int checked = 0;
    for (size_t k = 0; k < sizeof suites / sizeof *suites; k++) {
        char path[1300], cal_path[1300];
        snprintf(path, sizeof path, "%s/bench/suites/%s.json", g_src, suites[k]);
        cJSON *suite, *cal = NULL;
        struct err e;
        if (json_load_file(path, &suite, &e)) fail_msg("%s", e.msg);
        /* siren's default, unless the suite names another. */
        snprintf(cal_path, sizeof cal_path, "%s/results/calibration/reference.json", g_src);
        const cJSON *opt = cJSON_GetObjectItemCaseSensitive(suite, "options"), *o;
        cJSON_ArrayForEach(o, opt)
        {
            if (strcmp(o->valuestring, "--calibration") || !o->next) continue;
            const char *v = o->next->valuestring;
            if (!strncmp(v, "{source}", 8)) snprintf(cal_path, sizeof cal_path, "%s%s", g_src, v + 8);
            else snprintf(cal_path, sizeof cal_path, "%s", v);
        }
        if (json_load_file(cal_path, &cal, &e)) fail_msg("%s", e.msg);
        const cJSON *sec;
        cJSON_ArrayForEach(sec, cJSON_GetObjectItemCaseSensitive(suite, "sections"))
        {
            const cJSON *run, *w;
            cJSON_ArrayForEach(run, cJSON_GetObjectItemCaseSensitive(sec, "runs"))
            {
                const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(run, "command");
                if (!cJSON_IsString(cmd) || strcmp(cmd->valuestring, "ps")) continue;
                cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(sec, "workloads"))
                {
                    char key[128];
                    snprintf(key, sizeof key, "%s@update", w->valuestring);
                    if (!cJSON_GetObjectItemCaseSensitive(
                            cJSON_GetObjectItemCaseSensitive(cal, "workloads"), key))
                        fail_msg("%s: its ps runs of %s need \"%s\" in %s", path,
                                 w->valuestring, key, cal_path);
                    checked++;
                }
            }
        }
        cJSON_Delete(cal);
        cJSON_Delete(suite);
    }
    assert_true(checked > 0);
}

static void test_check_fails_naming_a_cost_perturbed_by_a_tenth_of_a_percent(void **state)
{
    (void)state;
    check_perturbed("cost_usd", 1.001, 0, 1);
}

static void test_check_fails_naming_a_virtual_time_perturbed_in_the_eighth_digit(void **state)
{
    (void)state;
    check_perturbed("total_time_s", 1 + 1e-7, 0, 1);
}

static void test_check_fails_on_a_loss_outside_and_passes_inside_its_tolerance(void **state)
{
    (void)state;
    check_perturbed("final_loss", 1, 5e-4, 1);
    check_perturbed("final_loss", 1, 5e-5, 0);
}

static void test_malformed_expected_values_are_refused_naming_the_key(void **state)
{
    (void)state;
    char exp[1200], log[1200];
    snprintf(exp, sizeof exp, "%s/bad-expected.json", g_dir);
    snprintf(log, sizeof log, "%s/bad-expected.log", g_dir);
    const char *bad = "{\"rows\": {\"emulator/lr-synthetic/lambda-2019/hsp n=4 m=1024\": "
                      "{\"cost_dollars\": 1}}}";
    assert_int_equal(tu_write_file(exp, bad, strlen(bad)), 0);
    int rc = sh(log, "'%s' bench ci --check '%s/ci' --expected '%s'", getenv("SIREN_BIN"), g_dir,
                exp);
    char *text = slurp(log);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(text, "cost_dollars"));
    assert_non_null(strstr(text, "bad-expected.json"));
    free(text);
}

static void test_malformed_suite_file_is_refused_before_any_run(void **state)
{
    (void)state;
    /* A source tree of its own holding only the bad suite. */
    char suites[1200], path[1300], log[1200], out[1200];
    snprintf(suites, sizeof suites, "%s/tree/bench/suites", g_dir);
    struct err e;
    assert_int_equal(fs_mkdir_p(suites, &e), 0);
    snprintf(path, sizeof path, "%s/bad.json", suites);
    const char *bad = "{\"sections\": [{\"name\": \"s\", \"workloads\": [\"lr-synthetic\"], "
                      "\"runs\": [{\"label\": \"one\", \"command\": \"run\"}, "
                      "{\"label\": \"two\", \"command\": \"train\"}]}]}";
    assert_int_equal(tu_write_file(path, bad, strlen(bad)), 0);
    snprintf(log, sizeof log, "%s/bad-suite.log", g_dir);
    snprintf(out, sizeof out, "%s/bad-out", g_dir);
    int rc = sh(log, "SIREN_SOURCE_DIR='%s/tree' '%s' bench bad --out '%s'", g_dir,
                getenv("SIREN_BIN"), out);
    char *text = slurp(log);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(text, "bad.json"));
    assert_non_null(strstr(text, "runs[1]"));
    assert_non_null(strstr(text, "'command'"));
    free(text);
    /* Nothing ran: no run directory was made. */
    char runs[1300];
    snprintf(runs, sizeof runs, "%s/runs", out);
    assert_false(fs_exists(runs));
}

static void test_plot_draws_the_three_figures_for_run_directories(void **state)
{
    (void)state;
    char log[1200], png[1300];
    snprintf(log, sizeof log, "%s/plot.log", g_dir);
    int rc = sh(log,
                "'%s' plot --out '%s/plot' --label 'n=4' --label 'bsp' "
                "'%s/ci/runs/emulator/lr-synthetic-lambda-2019/hsp-n-4-m-1024' "
                "'%s/ci/runs/emulator/lr-synthetic-lambda-2019/bsp-n-4-m-1024'",
                getenv("SIREN_BIN"), g_dir, g_dir, g_dir);
    assert_int_equal(rc, 0);
    static const char *const kinds[] = {"loss-time", "loss-cost", "time-cost"};
    for (int i = 0; i < 3; i++) {
        snprintf(png, sizeof png, "%s/plot/lr-synthetic-lambda-2019-%s.png", g_dir, kinds[i]);
        struct stat sb;
        assert_int_equal(stat(png, &sb), 0);
        assert_true(sb.st_size > 1000);
    }
    /* The labels given are the legend's. */
    snprintf(png, sizeof png, "%s/plot/lr-synthetic-lambda-2019-loss-time.gp", g_dir);
    char *gp = slurp(png);
    assert_non_null(strstr(gp, "title 'n=4'"));
    assert_non_null(strstr(gp, "title 'bsp'"));
    free(gp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ci_suite_passes_against_committed_expected_values),
        cmocka_unit_test(test_every_suite_calibration_holds_what_its_ps_runs_need),
        cmocka_unit_test(test_check_fails_naming_a_cost_perturbed_by_a_tenth_of_a_percent),
        cmocka_unit_test(test_check_fails_naming_a_virtual_time_perturbed_in_the_eighth_digit),
        cmocka_unit_test(test_check_fails_on_a_loss_outside_and_passes_inside_its_tolerance),
        cmocka_unit_test(test_malformed_expected_values_are_refused_naming_the_key),
        cmocka_unit_test(test_malformed_suite_file_is_refused_before_any_run),
        cmocka_unit_test(test_plot_draws_the_three_figures_for_run_directories),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * `siren bench crossover --quick` end to end: the table is what its rows say (Lambda within the
 * EC2 cost, the ratio, the cheaper side), an EC2 time is the measured `siren ps` run's time per
 * batch times the batches per worker, and a Lambda winner's time and cost are what `siren sim`
 * gives for that configuration on its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *g_dir;
static const char *g_src, *g_bin;

static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* crossover.csv's data lines (comments skipped), split on commas. */
#define MAX_ROWS 16
#define MAX_COLS 32
static char g_csv[MAX_ROWS + 1][MAX_COLS][96];
static int g_rows, g_cols;

static int col(const char *name)
{
    for (int c = 0; c < g_cols; c++)
        if (!strcmp(g_csv[0][c], name)) return c;
    fail_msg("no column %s", name);
    return -1;
}

static double num(int r, const char *name) { return atof(g_csv[r][col(name)]); }
static const char *txt(int r, const char *name) { return g_csv[r][col(name)]; }

static int setup(void **state)
{
    (void)state;
    g_src = getenv("SIREN_SOURCE_DIR");
    g_bin = getenv("SIREN_BIN");
    assert_non_null(g_src);
    assert_non_null(g_bin);
    if (geteuid() == 0) {
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    }
    g_dir = tu_mkdtemp();
    assert_int_equal(sh("cp '%s/results/crossover/calibration.json' '%s/'", g_src, g_dir), 0);
    assert_int_equal(sh("'%s' bench crossover --quick --out '%s' >'%s/bench.log' 2>&1", g_bin,
                        g_dir, g_dir),
                     0);
    char path[1200];
    snprintf(path, sizeof path, "%s/crossover.csv", g_dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    while (fgets(line, sizeof line, f) && g_rows <= MAX_ROWS) {
        if (line[0] == '#') continue;
        line[strcspn(line, "\n")] = '\0';
        int c = 0;
        for (char *save = NULL, *tok = strtok_r(line, ",", &save); tok && c < MAX_COLS;
             tok = strtok_r(NULL, ",", &save))
            snprintf(g_csv[g_rows][c++], sizeof g_csv[0][0], "%s", tok);
        if (g_rows == 0) g_cols = c;
        g_rows++;
    }
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rm_rf(g_dir);
    free(g_dir);
    return 0;
}

static void test_rows_say_what_the_table_claims(void **state)
{
    (void)state;
    assert_int_equal(g_rows - 1, 6); /* lr x 2 presets x 3 sizes */
    for (int r = 1; r < g_rows; r++) {
        assert_true(num(r, "ec2_warm_time_s") < num(r, "ec2_time_s")); /* boot and copy */
        if (strcmp(txt(r, "lambda"), "none within")) {
            assert_true(num(r, "lambda_cost_usd") <= num(r, "ec2_cost_usd") * (1 + 1e-6));
            double ratio = num(r, "lambda_time_s") / num(r, "ec2_time_s");
            assert_true(fabs(num(r, "time_ratio") - ratio) <= 1e-3 + 1e-3 * ratio);
            assert_true(num(r, "lambda_fastest_time_s") <= num(r, "lambda_time_s"));
        }
        assert_true(num(r, "lambda_min_cost_usd") <= num(r, "lambda_cost_usd") + 1e-9 ||
                    !strcmp(txt(r, "lambda"), "none within"));
        const char *cheaper =
            num(r, "lambda_min_cost_usd") < num(r, "ec2_min_cost_usd") ? "lambda" : "ec2";
        assert_string_equal(txt(r, "cheaper"), cheaper);
    }
}

/* The EC2 side: the warm epoch of the first row is the ps run's training time scaled by
 * batches per worker (100,000 rows measured, 10,000 asked, batch 64). */
static void test_ec2_time_is_the_measured_time_per_batch(void **state)
{
    (void)state;
    char type[32], mode[16];
    int count;
    assert_int_equal(sscanf(txt(1, "ec2_warm"), "%31s x%d %15s", type, &count, mode), 3);
    char path[1400];
    snprintf(path, sizeof path, "%s/ec2/lr-lambda-2019-%s-x%d-%s/summary.json", g_dir, type, count,
             mode);
    cJSON *s;
    struct err e;
    if (json_load_file(path, &s, &e)) fail_msg("%s", e.msg);
    double train_s;
    assert_int_equal(json_get_number(s, "train_s", path, &train_s, &e), SIREN_OK);
    cJSON_Delete(s);
    double measured = ceil(ceil(100000.0 / 64) / count), asked = ceil(ceil(10000.0 / 64) / count);
    double want = train_s / measured * asked;
    assert_true(fabs(num(1, "ec2_warm_time_s") - want) <= 1e-3 + 1e-6 * want);
}

/* The Lambda side: the first row's winner, simulated on its own at that size. */
static void test_lambda_winner_is_what_the_simulator_gives(void **state)
{
    (void)state;
    char rule[32], channel[32];
    int n, m;
    assert_int_equal(sscanf(txt(1, "lambda"), "%31s %31s n=%d m=%d", rule, channel, &n, &m), 4);
    /* A loss model that never stops the epoch (only time and cost are compared). */
    char model[1200], out[1200];
    snprintf(model, sizeof model, "%s/lr-criteo.%s.json", g_dir, rule);
    snprintf(out, sizeof out, "%s/sim.txt", g_dir);
    assert_int_equal(sh("sed 's/\"lr-ctr\"/\"lr-criteo\"/' '%s/results/sched/models/lr-ctr.%s.json' "
                        ">'%s'", g_src, rule, model),
                     0);
    assert_int_equal(sh("'%s' sim --workload lr-criteo --data generate --rows 10000 --update %s "
                        "--channel %s --scheduler static:n=%d,m=%d --max-epochs 1 --target-loss "
                        "1e-9 --platform lambda-2019 --calibration '%s/calibration.json' "
                        "--loss-model '%s' >'%s' 2>&1",
                        g_bin, rule, channel, n, m, g_dir, model, out),
                     0);
    char *text = NULL;
    size_t len;
    struct err e;
    if (fs_read_all(out, &text, &len, &e)) fail_msg("%s", e.msg);
    char want[96];
    snprintf(want, sizeof want, "time %.3f s cost $%.6f", num(1, "lambda_time_s"),
             num(1, "lambda_cost_usd"));
    if (!strstr(text, want)) fail_msg("no '%s' in:\n%s", want, text);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_say_what_the_table_claims),
        cmocka_unit_test(test_ec2_time_is_the_measured_time_per_batch),
        cmocka_unit_test(test_lambda_winner_is_what_the_simulator_gives),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * `siren sched eval --matrix`: the scheduler contest of a small suite (lr-ctr at two budgets
 * and two seeds, every policy, the best two replayed in the emulator). Every ratio to the
 * exact oracle is >= 1, the oracle's own is 1, a row that reached the target kept to its
 * cell's budget, the report's means are the cells' means, the emulator's clock matches the
 * simulator's for the replayed schedules, and a bad suite is refused naming the file and key.
 */
#include "run_test.h"

#include <cJSON.h>
#include <math.h>
#include <string.h>

/* Writes dir/name with text; returns the path (caller frees). */
static char *write_suite(const char *name, const char *text)
{
    char *path = tu_path(dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static const char *policy_path(void)
{
    static char buf[1200];
    snprintf(buf, sizeof buf, "%s/results/sched/lr-ctr.policy.json", getenv("SIREN_SOURCE_DIR"));
    return buf;
}

static void test_a_small_contest(void **state)
{
    (void)state;
    char text[4096];
    snprintf(text, sizeof text,
             "{\"format\": \"siren-contest-1\", \"budgets\": [0.5, 1], \"seeds\": [1, 2],\n"
             " \"policies\": \"drl,grid,heuristic,bo,model,oracle\", \"emulate_best\": 2,\n"
             " \"workloads\": [{\"name\": \"lr-ctr\", \"args\": [\"--workload\", \"lr-ctr\",\n"
             "   \"--plan-margin\", \"0\", \"--max-epochs\", \"6\"],\n"
             "   \"agents\": {\"drl\": {\"policy\": \"%s\"}}}]}\n",
             policy_path());
    char *suite = write_suite("small.json", text), *args = NULL, *out;
    assert_true(asprintf(&args, "eval --matrix %s --emulate --out %s/contest", suite, dir) > 0);
    int rc = run_one("sched", args, &out);
    if (rc) fail_msg("exit %d: %s", rc, out);
    free(out);

    char *cells_text = slurp("contest/lr-ctr", "cells.json");
    cJSON *root = cJSON_Parse(cells_text);
    assert_non_null(root);
    const cJSON *cells = cJSON_GetObjectItem(root, "cells"), *c;
    assert_int_equal(cJSON_GetArraySize(cells), 4);
    double grid_sum = 0;
    int grid_n = 0;
    cJSON_ArrayForEach(c, cells)
    {
        double budget = cJSON_GetObjectItem(c, "budget_usd")->valuedouble;
        const cJSON *r;
        int oracles = 0;
        cJSON_ArrayForEach(r, cJSON_GetObjectItem(c, "rows"))
        {
            const char *p = cJSON_GetObjectItem(r, "kind")->valuestring;
            const cJSON *ratio = cJSON_GetObjectItem(r, "ratio_to_oracle");
            int reached = cJSON_IsTrue(cJSON_GetObjectItem(r, "reached_target"));
            assert_int_equal(reached, cJSON_IsNumber(ratio));
            if (reached) {
                if (ratio->valuedouble < 1.0 - 1e-12)
                    fail_msg("%s: ratio %.15g", p, ratio->valuedouble);
                assert_true(cJSON_GetObjectItem(r, "cost_usd")->valuedouble <= budget);
            }
            if (!strcmp(p, "oracle")) {
                oracles++;
                assert_true(reached);
                assert_true(ratio->valuedouble == 1.0);
            }
            if (!strcmp(p, "grid") && reached) grid_sum += ratio->valuedouble, grid_n++;
        }
        assert_int_equal(oracles, 1);
    }
    /* The replays: the simulator's clock after the emulator's epochs is the emulator's. */
    const cJSON *em = cJSON_GetObjectItem(root, "emulated");
    assert_int_equal(cJSON_GetArraySize(em), 2);
    cJSON_ArrayForEach(c, em)
    {
        const cJSON *te = cJSON_GetObjectItem(c, "emu_epochs_time_error_pct");
        assert_true(cJSON_IsNumber(te));
        if (fabs(te->valuedouble) > 1e-6) fail_msg("time error %g %%", te->valuedouble);
    }
    cJSON_Delete(root);
    free(cells_text);

    /* The report: grid's mean over the seeds that reached, at both budgets, from the cells. */
    char *csv = slurp("contest", "contest.csv");
    double sum = 0;
    int rows = 0;
    const char *grid_row = "\nlr-ctr,grid,";
    for (char *line = strstr(csv, grid_row); line; line = strstr(line + 1, grid_row)) {
        char *p = line + 1;
        for (int k = 0; k < 4; k++) p = strchr(p, ',') + 1;
        sum += strtod(p, NULL) * 2; /* each budget's mean over its two seeds */
        rows++;
    }
    assert_int_equal(rows, 2);
    assert_int_equal(grid_n, 4);
    assert_true(fabs(sum / 4 - grid_sum / 4) < 1e-3); /* the csv's means have 3 decimals */
    free(csv);
    char *md = slurp("contest", "contest.md");
    if (!strstr(md, "lr-ctr at 0.5x: drl reached") || !strstr(md, "lr-ctr at 1x: drl reached") ||
        !strstr(md, "drl meets the bar at") || !strstr(md, "(workload, budget) pairs"))
        fail_msg("%s", md);
    free(md);
    free(suite);
    free(args);
}

/* Runs a bad suite; its message must hold every one of the words. */
static void refused(const char *name, const char *text, const char *extra, const char *w1,
                    const char *w2)
{
    char *suite = write_suite(name, text), *args = NULL, *out;
    assert_true(asprintf(&args, "eval --matrix %s --out %s/bad %s", suite, dir, extra) > 0);
    int rc = run_one("sched", args, &out);
    if (!rc || !strstr(out, w1) || (w2 && !strstr(out, w2))) fail_msg("exit %d: %s", rc, out);
    /* Refused before anything ran. */
    char *cells = tu_path(dir, "bad/lr-ctr/cells.json");
    assert_false(fs_exists(cells));
    free(cells);
    free(out);
    free(args);
    free(suite);
}

static void test_bad_suites_are_refused_naming_the_key(void **state)
{
    (void)state;
    char text[2048];
    refused("nobudgets.json",
            "{\"format\": \"siren-contest-1\", \"budgets\": [], \"seeds\": [1], "
            "\"policies\": \"grid\", \"workloads\": [{\"name\": \"lr-ctr\", \"args\": [], "
            "\"agents\": {}}]}",
            "", "nobudgets.json", "\"budgets\"");
    refused("badseed.json",
            "{\"format\": \"siren-contest-1\", \"budgets\": [1], \"seeds\": [1.5], "
            "\"policies\": \"grid\", \"workloads\": [{\"name\": \"lr-ctr\", \"args\": [], "
            "\"agents\": {}}]}",
            "", "badseed.json", "\"seeds\"[0]");
    refused("format.json", "{\"format\": \"siren-contest-0\"}", "", "format.json",
            "siren-contest-1");
    /* The second workload's typo is found before the first runs. */
    snprintf(text, sizeof text,
             "{\"format\": \"siren-contest-1\", \"budgets\": [1], \"seeds\": [1], "
             "\"policies\": \"grid,oracle\", \"workloads\": ["
             "{\"name\": \"lr-ctr\", \"args\": [\"--workload\", \"lr-ctr\"], "
             "\"agents\": {\"drl\": {\"policy\": \"%s\"}}}, "
             "{\"name\": \"lenet-fashion\", \"args\": [\"--workload\", \"lenet-fashion\", "
             "\"--budgte\", \"1\"], \"agents\": {}}]}",
             policy_path());
    refused("typo.json", text, "", "workloads[1]", "--budgte");
    refused("name.json",
            "{\"format\": \"siren-contest-1\", \"budgets\": [1], \"seeds\": [1], "
            "\"policies\": \"grid\", \"workloads\": [{\"name\": \"lr-ctr\", \"args\": "
            "[\"--workload\", \"lenet-fashion\"], \"agents\": {}}]}",
            "", "\"name\" is lr-ctr", "lenet-fashion");
    /* A drl row needs the workload's agent of that name. */
    refused("agent.json",
            "{\"format\": \"siren-contest-1\", \"budgets\": [1], \"seeds\": [1], "
            "\"policies\": \"drl-spread,grid\", \"workloads\": [{\"name\": \"lr-ctr\", "
            "\"args\": [\"--workload\", \"lr-ctr\"], \"agents\": {}}]}",
            "", "workloads[0]", "drl-spread, which is not one of its \"agents\"");
    snprintf(text, sizeof text, "%s",
             "{\"format\": \"siren-contest-1\", \"budgets\": [1], \"seeds\": [1], "
             "\"policies\": \"grid\", \"workloads\": [{\"name\": \"lr-ctr\", \"args\": "
             "[\"--workload\", \"lr-ctr\"], \"agents\": {}}]}");
    /* --workload only picks a workload of the suite: one without defaults (lr-criteo has no
     * default budget) is named as missing from the suite, not asked for a budget. */
    refused("other.json", text, "--workload lr-criteo", "lr-criteo", "not a workload of");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_suites_are_refused_naming_the_key),
        cmocka_unit_test(test_a_small_contest),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

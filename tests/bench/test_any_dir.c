/*
 * Commands work from any directory. `siren sched eval` (the committed calibration, loss model
 * and policy) and `siren bench ci` (the suite file, expected values, presets and reference
 * calibration), started in a fresh mkdtemp directory with SIREN_SOURCE_DIR unset, read their
 * inputs from the source tree the binary was built from and write their outputs where a
 * relative --out says, under the directory they run in. SIREN_SOURCE_DIR, when set, is the
 * tree they read instead.
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
#include <sys/wait.h>
#include <unistd.h>

static char *g_dir; /* the directory the commands run in */

/* Runs a shell command in g_dir with stdout and stderr in `log` (a name in g_dir); returns its
 * exit status and, in *text, what it printed (caller frees). */
static int sh(const char *log, char **text, const char *fmt, ...)
{
    char cmd[4096], full[4600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "cd '%s' && %s > '%s' 2>&1", g_dir, cmd, log);
    int st = system(full);
    char path[1300];
    size_t len;
    struct err e;
    snprintf(path, sizeof path, "%s/%s", g_dir, log);
    if (fs_read_all(path, text, &len, &e)) *text = NULL;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int in_dir(const char *rel)
{
    char path[1300];
    snprintf(path, sizeof path, "%s/%s", g_dir, rel);
    return fs_exists(path);
}

static int setup(void **state)
{
    (void)state;
    if (!getenv("SIREN_BIN")) return -1;
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

static void test_sched_eval_runs_from_another_directory(void **state)
{
    (void)state;
    char *text;
    int rc = sh("eval.log", &text, "env -u SIREN_SOURCE_DIR '%s' sched eval --workload lr-ctr "
                "--max-epochs 5 --out eval", getenv("SIREN_BIN"));
    if (rc) fprintf(stderr, "%s\n", text ? text : "(no log)");
    assert_int_equal(rc, 0);
    /* The default policies, the committed one among them, each made a row. */
    assert_non_null(strstr(text, "| drl:results/sched/lr-ctr.policy.json "));
    assert_non_null(strstr(text, "| oracle "));
    free(text);
    assert_true(in_dir("eval/eval.json"));
    assert_true(in_dir("eval/eval.md"));
}

static void test_bench_ci_runs_from_another_directory(void **state)
{
    (void)state;
    char *text;
    int rc = sh("ci.log", &text, "env -u SIREN_SOURCE_DIR '%s' bench ci --out ci --no-plots",
                getenv("SIREN_BIN"));
    if (rc) fprintf(stderr, "%s\n", text ? text : "(no log)");
    assert_int_equal(rc, 0);
    assert_non_null(strstr(text, "every figure within tolerance"));
    free(text);
    assert_true(in_dir("ci/table.md"));
    assert_true(in_dir("ci/table.json"));
    assert_true(in_dir("ci/suite.json"));
}

static void test_source_dir_when_set_is_the_tree_read(void **state)
{
    (void)state;
    char *text, tree[1200];
    snprintf(tree, sizeof tree, "%s/no-tree", g_dir);
    int rc = sh("tree.log", &text, "SIREN_SOURCE_DIR='%s' '%s' sched eval --workload lr-ctr "
                "--policies grid --max-epochs 5", tree, getenv("SIREN_BIN"));
    assert_int_equal(rc, 1);
    /* It looked for its inputs there, and said so. */
    assert_non_null(strstr(text, tree));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sched_eval_runs_from_another_directory),
        cmocka_unit_test(test_bench_ci_runs_from_another_directory),
        cmocka_unit_test(test_source_dir_when_set_is_the_tree_read),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * trace_check_run on run directories written here: a clean run, a version PUT twice
 * (doubled), a version never PUT (lost), the same with a function that died (explained), a
 * retry's PUT counted as such, and the runs and files it must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "trace.h"
#include "trace_check.h"

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp();
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tu_rm_rf(dir);
    free(dir);
    return 0;
}

static void write_text(const char *name, const char *text)
{
    char *p = tu_path(dir, name);
    assert_int_equal(tu_write_file(p, text, strlen(text)), 0);
    free(p);
}

/* Two epochs of 3 planned versions each; epoch 1's PUTs are `puts` (versions, 0-terminated),
 * epoch 2's are 1, 2, 3. A dead invocation in epoch 1 when `died`. */
static void make_run(const char *sync, const int *puts, int died, int retry_of_version)
{
    char summary[128];
    snprintf(summary, sizeof summary, "{\"sync\": \"%s\"}\n", sync);
    write_text("summary.json", summary);
    write_text("epochs.csv", "epoch,n,memory_mb,warm,versions\n1,2,1024,0,3\n2,2,1024,2,3\n");
    struct trace t;
    trace_init(&t);
    for (int ep = 1; ep <= 2; ep++) {
        struct trace_invocation inv = {0};
        inv.epoch = ep;
        inv.status = ep == 1 && died ? TRACE_FAILED : TRACE_OK;
        assert_int_equal(trace_add_invocation(&t, &inv), 0);
        const int all[] = {1, 2, 3, 0};
        for (const int *v = ep == 1 ? puts : all; *v; v++) {
            struct trace_kv_op op = {0};
            op.epoch = ep;
            op.op = TRACE_PARAM_PUT;
            op.version = *v;
            op.attempt = ep == 1 && *v == retry_of_version ? 1 : 0;
            assert_int_equal(trace_add_kv_op(&t, &op), 0);
        }
        struct trace_kv_op get = {0}; /* GETs are not updates */
        get.epoch = ep;
        get.op = TRACE_PARAM_GET;
        get.version = 2;
        assert_int_equal(trace_add_kv_op(&t, &get), 0);
    }
    char *p = tu_path(dir, "trace.h5");
    struct err e;
    if (trace_write_h5(&t, p, &e)) fail_msg("%s", e.msg);
    free(p);
    trace_free(&t);
}

static void check(struct trace_check *c)
{
    struct err e;
    if (trace_check_run(dir, c, &e)) fail_msg("%s", e.msg);
    assert_int_equal(c->n_epochs, 2);
}

static void test_every_version_once_is_clean_and_retries_are_counted(void **state)
{
    (void)state;
    const int puts[] = {1, 2, 3, 0};
    make_run("hsp", puts, 0, 2);
    struct trace_check c;
    check(&c);
    assert_int_equal(c.puts, 6);
    assert_int_equal(c.retried_puts, 1);
    assert_int_equal(c.epochs[0].retried_puts, 1);
    assert_int_equal(c.lost, 0);
    assert_int_equal(c.doubled, 0);
    trace_check_free(&c);
}

static void test_a_version_put_twice_is_doubled(void **state)
{
    (void)state;
    const int puts[] = {1, 2, 2, 3, 0};
    make_run("ssp:2", puts, 0, 0);
    struct trace_check c;
    check(&c);
    assert_int_equal(c.epochs[0].doubled, 1);
    assert_int_equal(c.epochs[1].doubled, 0);
    assert_int_equal(c.doubled, 1);
    assert_int_equal(c.lost, 0);
    trace_check_free(&c);
}

static void test_a_version_never_put_is_lost_unless_a_function_died(void **state)
{
    (void)state;
    const int puts[] = {1, 3, 0};
    make_run("hsp", puts, 0, 0);
    struct trace_check c;
    check(&c);
    assert_int_equal(c.epochs[0].unwritten, 1);
    assert_int_equal(c.epochs[0].lost, 1);
    assert_int_equal(c.lost, 1);
    trace_check_free(&c);

    make_run("hsp", puts, 1, 0);
    check(&c);
    assert_int_equal(c.epochs[0].unwritten, 1);
    assert_int_equal(c.epochs[0].died, 1);
    assert_int_equal(c.lost, 0);
    trace_check_free(&c);
}

static void test_refuses_bsp_asp_and_foreign_files(void **state)
{
    (void)state;
    const int puts[] = {1, 2, 3, 0};
    struct trace_check c;
    struct err e;
    make_run("bsp", puts, 0, 0);
    assert_int_equal(trace_check_run(dir, &c, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "bsp"));
    make_run("asp", puts, 0, 0);
    assert_int_equal(trace_check_run(dir, &c, &e), SIREN_EINVAL);

    make_run("hsp", puts, 0, 0);
    write_text("epochs.csv", "epoch,n,memory_mb,warm,versions\n1,2,1024,0,3\n3,2,1024,0,x\n");
    assert_int_equal(trace_check_run(dir, &c, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "epochs.csv line 3"));
    write_text("epochs.csv", "when,what\n");
    assert_int_equal(trace_check_run(dir, &c, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "line 1"));

    /* A PUT of a version the epoch never planned. */
    write_text("epochs.csv", "epoch,n,memory_mb,warm,versions\n1,2,1024,0,2\n2,2,1024,2,3\n");
    assert_int_equal(trace_check_run(dir, &c, &e), SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "version 3"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_version_once_is_clean_and_retries_are_counted),
        cmocka_unit_test(test_a_version_put_twice_is_doubled),
        cmocka_unit_test(test_a_version_never_put_is_lost_unless_a_function_died),
        cmocka_unit_test(test_refuses_bsp_asp_and_foreign_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * Tests of the in-process function runtime: the handler registry, the in-process host
 * (fn_runtime_invoke) and the framed event loop fed through pipes, including malformed input.
 */
#include "testutil.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fn_runtime.h"

static int handler_add(const cJSON *event, cJSON *response, void *ctx, struct err *e)
{
    double a, b;
    if (json_get_number(event, "a", "add event", &a, e) ||
        json_get_number(event, "b", "add event", &b, e))
        return e->code;
    cJSON_AddNumberToObject(response, "sum", a + b + *(double *)ctx);
    return 0;
}

static double add_bias = 0.5;

static int setup(void **state)
{
    (void)state;
    fn_runtime_register_builtins();
    return fn_runtime_register("add", handler_add, &add_bias) ? -1 : 0;
}

static void test_fn_runtime_invoke_registered_handler(void **state)
{
    (void)state;
    struct err e;
    cJSON *ev = cJSON_Parse("{\"a\":2,\"b\":3}"), *resp = NULL;
    assert_int_equal(fn_runtime_invoke("add", ev, &resp, &e), 0);
    assert_true(cJSON_GetObjectItem(resp, "sum")->valuedouble == 5.5);
    cJSON_Delete(resp);
    cJSON_Delete(ev);
}

static void test_fn_runtime_invoke_reports_handler_error_and_missing(void **state)
{
    (void)state;
    struct err e;
    cJSON *ev = cJSON_Parse("{\"a\":2}"), *resp = NULL;
    assert_int_equal(fn_runtime_invoke("add", ev, &resp, &e), SIREN_EFORMAT);
    assert_null(resp);
    assert_non_null(strstr(e.msg, "'b'"));
    assert_int_equal(fn_runtime_invoke("nope", ev, &resp, &e), SIREN_ENOTFOUND);
    assert_non_null(strstr(e.msg, "nope"));
    assert_null(fn_runtime_lookup("nope", NULL));
    assert_non_null(fn_runtime_lookup("echo", NULL));
    assert_int_equal(fn_runtime_register("", handler_add, NULL), SIREN_EINVAL);
    cJSON_Delete(ev);
}

/* Runs the loop on `input` and returns everything it wrote (malloc'ed, NUL-terminated). */
static char *serve_text(const char *input, int *rc, struct err *e)
{
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    size_t n = strlen(input);
    assert_true(write(in[1], input, n) == (ssize_t)n);
    close(in[1]);
    *rc = fn_runtime_serve(in[0], out[1], e);
    close(in[0]);
    close(out[1]);
    char *buf = calloc(1, 65536);
    size_t len = 0;
    ssize_t got;
    while ((got = read(out[0], buf + len, 65535 - len)) > 0) len += (size_t)got;
    close(out[0]);
    return buf;
}

static void test_fn_runtime_serve_answers_frames_in_order(void **state)
{
    (void)state;
    const char *p1 = "{\"handler\":\"add\",\"event\":{\"a\":1,\"b\":1}}";
    const char *p2 = "{\"handler\":\"missing\",\"event\":null}";
    char input[256];
    snprintf(input, sizeof input, "%zu\n%s%zu\n%s", strlen(p1), p1, strlen(p2), p2);
    struct err e;
    int rc;
    char *outp = serve_text(input, &rc, &e);
    assert_int_equal(rc, 0);
    /* Ready frame, then the two answers. */
    char *ready = strstr(outp, "{\"ready\":true,\"pid\":");
    char *first = strstr(outp, "{\"ok\":true,\"response\":{\"sum\":2.5}}");
    char *second = strstr(outp, "\"errorType\":\"Runtime.HandlerNotFound\"");
    assert_non_null(ready);
    assert_non_null(first);
    assert_non_null(second);
    assert_true(ready < first && first < second);
    free(outp);
}

static void test_fn_runtime_serve_rejects_garbage(void **state)
{
    (void)state;
    struct err e;
    int rc;
    char *outp = serve_text("this is not a frame at all\n", &rc, &e);
    assert_int_equal(rc, SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "frame header"));
    free(outp);
    outp = serve_text("50\n{\"handler\":", &rc, &e);
    assert_int_equal(rc, SIREN_EFORMAT);
    assert_non_null(strstr(e.msg, "inside a frame"));
    free(outp);
    outp = serve_text("99999999999\n", &rc, &e);
    assert_int_not_equal(rc, 0);
    free(outp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fn_runtime_invoke_registered_handler),
        cmocka_unit_test(test_fn_runtime_invoke_reports_handler_error_and_missing),
        cmocka_unit_test(test_fn_runtime_serve_answers_frames_in_order),
        cmocka_unit_test(test_fn_runtime_serve_rejects_garbage),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

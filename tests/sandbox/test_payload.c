/*
 * The Invoke API's payload limits (payload.h) where the emulator applies them: the words of a
 * refusal, a sandbox that refuses an event over the limit before anything starts or is sent,
 * a response over the limit that fails its invocation as Lambda's does and leaves the
 * container warm, and `siren invoke` under a preset whose limit was lowered. The limits come
 * from a copy of the shipped preset loaded from a path, as a user's own preset would be.
 */
#include "testutil.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "payload.h"
#include "payload_preset.h"
#include "platform.h"
#include "sandbox.h"

/* The lowered limits: a synchronous event or response of 64 bytes fits, 65 does not. */
#define SYNC_BYTES 64
#define ASYNC_BYTES 32

static char fn_path[PATH_MAX];
static char *dir, *preset_path;
static struct payload_limits tiny;

static int setup(void **state)
{
    (void)state;
    const char *bin = getenv("SIREN_BIN");
    if (!bin || !*bin) return -1;
    snprintf(fn_path, sizeof fn_path, "%s", bin);
    char *slash = strrchr(fn_path, '/');
    snprintf(slash ? slash + 1 : fn_path,
             sizeof fn_path - (size_t)(slash ? slash + 1 - fn_path : 0), "siren-fn");
    if (!(dir = tu_mkdtemp())) return -1;
    preset_path = tu_payload_preset(dir, "tiny-payload", SYNC_BYTES, ASYNC_BYTES);
    struct platform p;
    struct err e;
    if (!preset_path || platform_load(preset_path, &p, &e)) return -1;
    payload_limits_of(&p, &tiny);
    return access(fn_path, X_OK);
}

static int teardown(void **state)
{
    (void)state;
    tu_rm_rf(dir);
    free(dir);
    free(preset_path);
    return 0;
}

static void assert_has(const char *text, const char *needle)
{
    if (!strstr(text, needle)) fail_msg("'%s' does not say '%s'", text, needle);
}

static void assert_starts(const char *text, const char *prefix)
{
    if (strncmp(text, prefix, strlen(prefix)))
        fail_msg("'%s' does not start with '%s'", text, prefix);
}

static struct sandbox_opts tiny_opts(void)
{
    struct sandbox_opts o;
    sandbox_opts_init(&o);
    o.fn_path = fn_path;
    o.timeout_ms = 5000;
    o.payload = tiny;
    return o;
}

/* {"s":"xx..."} of exactly `bytes` bytes of JSON text (bytes >= 8). */
static cJSON *event_of(size_t bytes)
{
    char *s = malloc(bytes - 8 + 1);
    assert_non_null(s);
    memset(s, 'x', bytes - 8);
    s[bytes - 8] = '\0';
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "s", s);
    free(s);
    char *text = cJSON_PrintUnformatted(ev);
    assert_int_equal(strlen(text), bytes);
    free(text);
    return ev;
}

static void test_event_refusal_names_size_limit_preset_and_what_to_do(void **state)
{
    (void)state;
    struct err e;
    assert_int_equal(payload_event_check(&tiny, PAYLOAD_SYNC, SYNC_BYTES, "function 3", &e), 0);
    assert_int_equal(payload_event_check(&tiny, PAYLOAD_SYNC, SYNC_BYTES + 1, "function 3", &e),
                     SIREN_ELIMIT);
    assert_has(e.msg, "function 3: event of 65 bytes");
    assert_has(e.msg, "synchronous (RequestResponse) invocation payload limit of 64 bytes");
    assert_has(e.msg, "payload_bytes.sync of platform 'tiny-payload'");
    assert_has(e.msg, preset_path);
    assert_has(e.msg, "nothing was run");
    assert_has(e.msg, "keys into the KV store, not data");
    /* An asynchronous (Event) invocation has its own, smaller limit. */
    assert_int_equal(payload_event_check(&tiny, PAYLOAD_ASYNC, ASYNC_BYTES, "f", &e), 0);
    assert_int_equal(payload_event_check(&tiny, PAYLOAD_ASYNC, ASYNC_BYTES + 1, "f", &e),
                     SIREN_ELIMIT);
    assert_has(e.msg, "event of 33 bytes");
    assert_has(e.msg, "asynchronous (Event) invocation payload limit of 32 bytes");
    assert_has(e.msg, "payload_bytes.async of platform 'tiny-payload'");
    /* Lambda's own limits, where no preset is loaded; no limit at all never refuses. */
    struct payload_limits l;
    payload_limits_lambda(&l);
    assert_int_equal(payload_event_check(&l, PAYLOAD_SYNC, 6291456, "f", &e), 0);
    assert_int_equal(payload_event_check(&l, PAYLOAD_SYNC, 6291457, "f", &e), SIREN_ELIMIT);
    assert_has(e.msg, "limit of 6291456 bytes (AWS Lambda's own limit)");
    assert_int_equal(payload_event_check(&l, PAYLOAD_ASYNC, 262145, "f", &e), SIREN_ELIMIT);
    memset(&l, 0, sizeof l);
    assert_int_equal(payload_event_check(&l, PAYLOAD_SYNC, (size_t)1 << 40, "f", &e), 0);
}

static void test_response_over_the_limit_reads_as_lambdas_error(void **state)
{
    (void)state;
    char msg[512] = "untouched";
    assert_int_equal(payload_response_over(&tiny, SYNC_BYTES, msg, sizeof msg), 0);
    assert_string_equal(msg, "untouched");
    assert_int_equal(payload_response_over(&tiny, SYNC_BYTES + 1, msg, sizeof msg), 1);
    /* Lambda's sentence first, word for word, then where the limit comes from. */
    assert_starts(msg, "Response payload size (65 bytes) exceeded maximum allowed payload size "
                       "(64 bytes).");
    assert_has(msg, "payload_bytes.sync of platform 'tiny-payload'");
    assert_has(msg, "returns their keys, not the data");
}

/* An event over the limit takes no container, cold or warm, and is never sent: the pool's
 * warm sandbox serves the next event that fits, as its first (cold) invocation still. */
static void test_sandbox_refuses_an_event_over_the_limit_before_anything_runs(void **state)
{
    (void)state;
    struct sandbox_opts o = tiny_opts();
    struct sandbox_pool *pool = NULL;
    struct sandbox_result res;
    struct err e;
    cJSON *fits = event_of(SYNC_BYTES), *over = event_of(SYNC_BYTES + 1);
    assert_int_equal(sandbox_pool_open(2, &pool, &e), 0);
    assert_int_equal(sandbox_pool_invoke(pool, &o, "echo", over, &res, &e), SIREN_ELIMIT);
    assert_has(e.msg, "handler 'echo': event of 65 bytes");
    assert_has(e.msg, "limit of 64 bytes (payload_bytes.sync of platform 'tiny-payload'");
    assert_int_equal(res.status, SANDBOX_OK); /* initialised, nothing in it */
    assert_null(res.response);
    assert_int_equal(res.pid, 0);
    assert_int_equal(sandbox_pool_idle(pool), 0); /* nothing was started */
    assert_int_equal(sandbox_pool_invoke(pool, &o, "echo", fits, &res, &e), 0);
    assert_int_equal(res.status, SANDBOX_OK);
    pid_t pid = res.pid;
    sandbox_result_free(&res);
    assert_int_equal(sandbox_pool_idle(pool), 1);
    assert_int_equal(sandbox_pool_invoke(pool, &o, "echo", over, &res, &e), SIREN_ELIMIT);
    assert_int_equal(sandbox_pool_idle(pool), 1); /* the warm one was not taken */
    assert_int_equal(sandbox_pool_invoke(pool, &o, "echo", fits, &res, &e), 0);
    assert_int_equal(res.pid, pid);
    assert_int_equal(res.cold, 0);
    sandbox_result_free(&res);
    sandbox_pool_close(pool);

    /* A sandbox driven directly: the refused event never reaches the process. */
    struct sandbox *sb = NULL;
    assert_int_equal(sandbox_open(&o, &sb, &e), 0);
    assert_int_equal(sandbox_invoke(sb, "echo", over, &res, &e), SIREN_ELIMIT);
    assert_true(sandbox_alive(sb));
    assert_int_equal(sandbox_invoke(sb, "echo", fits, &res, &e), 0);
    assert_int_equal(res.status, SANDBOX_OK);
    assert_int_equal(res.cold, 1); /* the process's first invocation is this one */
    sandbox_result_free(&res);
    sandbox_close(sb);

    /* Without limits (sandbox_opts_init), the same event runs. */
    sandbox_opts_init(&o);
    o.fn_path = fn_path;
    assert_int_equal(sandbox_open(&o, &sb, &e), 0);
    assert_int_equal(sandbox_invoke(sb, "echo", over, &res, &e), 0);
    assert_int_equal(res.status, SANDBOX_OK);
    sandbox_result_free(&res);
    sandbox_close(sb);
    cJSON_Delete(fits);
    cJSON_Delete(over);
}

/* blob {bytes: k} answers {"blob":"x..."}: k + 11 bytes of JSON text. At the limit it is
 * returned; one byte over, the function ran (and its time is measured) but the invocation
 * fails with Lambda's Function.ResponseSizeTooLarge, and the container stays warm. */
static void test_sandbox_response_over_the_limit_fails_the_invocation(void **state)
{
    (void)state;
    struct sandbox_opts o = tiny_opts();
    struct sandbox_pool *pool = NULL;
    struct sandbox_result res;
    struct err e;
    assert_int_equal(sandbox_pool_open(2, &pool, &e), 0);
    cJSON *at = cJSON_Parse("{\"bytes\":53}"), *over = cJSON_Parse("{\"bytes\":54}");
    assert_int_equal(sandbox_pool_invoke(pool, &o, "blob", at, &res, &e), 0);
    assert_int_equal(res.status, SANDBOX_OK);
    char *text = cJSON_PrintUnformatted(res.response);
    assert_int_equal(strlen(text), SYNC_BYTES);
    free(text);
    pid_t pid = res.pid;
    sandbox_result_free(&res);
    assert_int_equal(sandbox_pool_invoke(pool, &o, "blob", over, &res, &e), 0);
    assert_int_equal(res.status, SANDBOX_HANDLER_ERROR);
    assert_string_equal(res.error_type, "Function.ResponseSizeTooLarge");
    assert_starts(res.error_msg, "Response payload size (65 bytes) exceeded maximum allowed "
                                 "payload size (64 bytes).");
    assert_has(res.error_msg, "payload_bytes.sync of platform 'tiny-payload'");
    assert_null(res.response);
    assert_int_equal(res.pid, pid);
    assert_true(res.duration_ms > 0);
    sandbox_result_free(&res);
    assert_int_equal(sandbox_pool_idle(pool), 1);
    assert_int_equal(sandbox_pool_invoke(pool, &o, "blob", at, &res, &e), 0);
    assert_int_equal(res.status, SANDBOX_OK);
    assert_int_equal(res.pid, pid);
    assert_int_equal(res.cold, 0);
    sandbox_result_free(&res);
    cJSON_Delete(at);
    cJSON_Delete(over);
    sandbox_pool_close(pool);
}

/* Runs `siren invoke --event FILE --platform PRESET --handler H` with event text; returns its
 * exit status, its stdout and stderr in *out (caller frees). */
static int siren_invoke(const char *event, const char *handler, char **out)
{
    char *ev_path = tu_path(dir, "event.json"), *cmd = NULL;
    assert_int_equal(tu_write_file(ev_path, event, strlen(event)), 0);
    assert_true(asprintf(&cmd, "'%s' invoke --event '%s' --platform '%s' --handler %s 2>&1",
                         getenv("SIREN_BIN"), ev_path, preset_path, handler) > 0);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0, got;
    char *buf = malloc(cap);
    while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) len += got;
    buf[len] = '\0';
    int st = pclose(p);
    free(cmd);
    free(ev_path);
    *out = buf;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_siren_invoke_holds_event_and_response_to_the_preset(void **state)
{
    (void)state;
    char *out;
    /* 65 bytes as sent: refused before a sandbox starts, naming the file and the preset. */
    cJSON *ev = event_of(SYNC_BYTES + 1);
    char *text = cJSON_PrintUnformatted(ev);
    assert_int_equal(siren_invoke(text, "echo", &out), 1);
    free(text);
    cJSON_Delete(ev);
    assert_has(out, "siren invoke: ");
    assert_has(out, "event.json: event of 65 bytes is over the synchronous (RequestResponse) "
                    "invocation payload limit of 64 bytes");
    assert_has(out, "tiny-payload");
    assert_true(!strstr(out, "REPORT")); /* nothing ran */
    free(out);
    /* The event fits, its response does not: Lambda's error document and REPORT, status 1. */
    assert_int_equal(siren_invoke("{\"bytes\":100}", "blob", &out), 1);
    assert_has(out, "{\"errorType\":\"Function.ResponseSizeTooLarge\",\"errorMessage\":"
                    "\"Response payload size (111 bytes) exceeded maximum allowed payload size "
                    "(64 bytes).");
    assert_has(out, "REPORT Duration:");
    free(out);
    /* Both fit: the response is printed as always. */
    assert_int_equal(siren_invoke("{\"bytes\":3}", "blob", &out), 0);
    assert_starts(out, "{\"blob\":\"xxx\"}\n");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_refusal_names_size_limit_preset_and_what_to_do),
        cmocka_unit_test(test_response_over_the_limit_reads_as_lambdas_error),
        cmocka_unit_test(test_sandbox_refuses_an_event_over_the_limit_before_anything_runs),
        cmocka_unit_test(test_sandbox_response_over_the_limit_fails_the_invocation),
        cmocka_unit_test(test_siren_invoke_holds_event_and_response_to_the_preset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

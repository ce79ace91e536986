/*
 * The Lambda Invoke client against a local HTTP server (http_stub.h) that answers as the
 * Invoke API documents: the request it receives (path, invocation type, log type, a SigV4
 * Authorization for service "lambda", the payload hash, no secret anywhere), a success with a
 * base64 log tail whose REPORT line is parsed, a function error, an asynchronous Event (202),
 * throttling retried until it passes, refused calls mapped to their codes, and payloads over
 * the limit of their invocation type refused before any request. This checks our side of the
 * protocol only; AWS itself was not reachable (see lambda_port/README.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "http_stub.h"
#include "lambda_invoke.h"
#include "payload_preset.h"
#include "platform.h"
#include "s3.h"
#include "testutil.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

/* Base64 of a four-line log tail ending in a REPORT line (tab-separated, as Lambda writes). */
#define LOG_B64                                                                              \
    "U1RBUlQgUmVxdWVzdElkOiA4ZjVlLTExIFZlcnNpb246ICRMQVRFU1QKc3RlcCAwIGxvc3MgMC42OQpFTkQgUmVx" \
    "dWVzdElkOiA4ZjVlLTExClJFUE9SVCBSZXF1ZXN0SWQ6IDhmNWUtMTEJRHVyYXRpb246IDEyMzQuNTYgbXMJQmls" \
    "bGVkIER1cmF0aW9uOiAxMjM1IG1zCU1lbW9yeSBTaXplOiAxMDI0IE1CCU1heCBNZW1vcnkgVXNlZDogMzEyIE1C" \
    "CUluaXQgRHVyYXRpb246IDEwMS41MCBtcwkK"

static char *dir;

static struct lambda_client *open_client(const struct http_stub *s)
{
    char ep[64];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", s->port);
    struct lambda_client_config cfg = {.region = "eu-west-1", .endpoint = ep, .timeout_ms = 10000};
    struct lambda_client *c;
    struct err e;
    int rc = lambda_client_open(&cfg, &c, &e);
    if (rc) fprintf(stderr, "lambda_client_open: %s\n", e.msg);
    assert_int_equal(rc, SIREN_OK);
    return c;
}

static void test_lambda_invoke_sync_returns_payload_and_report(void **state)
{
    (void)state;
    const char *responses[] = {
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "x-amzn-RequestId: 8f5e-11\r\nX-Amz-Executed-Version: $LATEST\r\n"
        "X-Amz-Log-Result: " LOG_B64 "\r\nContent-Length: 17\r\nConnection: close\r\n\r\n"
        "{\"loss\":0.6931}\r\n"};
    struct http_stub s;
    assert_int_equal(http_stub_start(&s, dir, responses, 1), 0);
    struct lambda_client *c = open_client(&s);
    struct lambda_result r;
    struct err e;
    const char *payload = "{\"job\":\"j\"}";
    int rc = lambda_invoke(c, "siren-train", NULL, LAMBDA_REQUEST_RESPONSE, payload,
                           strlen(payload), 1, &r, &e);
    if (rc) fprintf(stderr, "lambda_invoke: %s\n", e.msg);
    assert_int_equal(rc, SIREN_OK);
    assert_int_equal(r.http_status, 200);
    assert_true(r.ok);
    assert_string_equal(r.payload, "{\"loss\":0.6931}\r\n");
    assert_string_equal(r.request_id, "8f5e-11");
    assert_string_equal(r.executed_version, "$LATEST");
    assert_non_null(r.log_tail);
    assert_non_null(strstr(r.log_tail, "step 0 loss 0.69"));
    assert_true(r.report.found);
    assert_string_equal(r.report.request_id, "8f5e-11");
    assert_true(fabs(r.report.duration_ms - 1234.56) < 1e-9);
    assert_true(fabs(r.report.billed_duration_ms - 1235) < 1e-9);
    assert_int_equal(r.report.memory_size_mb, 1024);
    assert_int_equal(r.report.max_memory_used_mb, 312);
    assert_true(fabs(r.report.init_duration_ms - 101.5) < 1e-9);
    lambda_result_free(&r);
    lambda_client_close(c);
    http_stub_stop(&s);
    /* What went over the wire. */
    char *req = http_stub_request(&s, 0);
    assert_non_null(req);
    assert_non_null(strstr(req, "POST /2015-03-31/functions/siren-train/invocations HTTP/1.1"));
    assert_non_null(strcasestr(req, "\r\nX-Amz-Invocation-Type: RequestResponse\r\n"));
    assert_non_null(strcasestr(req, "\r\nX-Amz-Log-Type: Tail\r\n"));
    assert_non_null(strcasestr(req, "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
    assert_non_null(strstr(req, "/eu-west-1/lambda/aws4_request, SignedHeaders="));
    assert_non_null(strstr(req, ", Signature="));
    assert_non_null(strcasestr(req, "\r\nx-amz-content-sha256: "
                                    "be6f73303d4610eda4fd5a6bbe54efd5b15204f76c7bea3b78ca66082"
                                    "18b788b\r\n"));
    assert_non_null(strcasestr(req, "\r\nX-Amz-Date: "));
    assert_non_null(strstr(req, "\r\n\r\n{\"job\":\"j\"}"));
    assert_null(strstr(req, SECRET)); /* the secret never leaves the process */
    assert_null(strcasestr(req, "x-amz-security-token")); /* none set */
    free(req);
}

static void test_lambda_invoke_function_error_is_a_result_not_a_failure(void **state)
{
    (void)state;
    const char *responses[] = {
        "HTTP/1.1 200 OK\r\nX-Amz-Function-Error: Unhandled\r\nContent-Length: 67\r\n"
        "Connection: close\r\n\r\n"
        "{\"errorType\":\"SIREN_ETIMEOUT\",\"errorMessage\":\"version 7 not there\"}"};
    struct http_stub s;
    assert_int_equal(http_stub_start(&s, dir, responses, 1), 0);
    struct lambda_client *c = open_client(&s);
    struct lambda_result r;
    struct err e;
    setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLETOKEN", 1);
    lambda_client_close(c);
    c = open_client(&s); /* now with a session token */
    unsetenv("AWS_SESSION_TOKEN");
    assert_int_equal(lambda_invoke(c, "fn", "live", LAMBDA_REQUEST_RESPONSE, "{}", 2, 0, &r, &e),
                     SIREN_OK);
    assert_false(r.ok);
    assert_string_equal(r.function_error, "Unhandled");
    assert_string_equal(r.error_type, "SIREN_ETIMEOUT");
    assert_string_equal(r.error_message, "version 7 not there");
    assert_false(r.report.found);
    assert_null(r.log_tail);
    lambda_result_free(&r);
    lambda_client_close(c);
    http_stub_stop(&s);
    char *req = http_stub_request(&s, 0);
    assert_non_null(req);
    assert_non_null(strstr(req, "POST /2015-03-31/functions/fn/invocations?Qualifier=live "));
    assert_non_null(strcasestr(req, "\r\nX-Amz-Security-Token: FwoGZXIvYXdzEXAMPLETOKEN\r\n"));
    assert_non_null(strstr(req, "x-amz-security-token")); /* signed (libcurl lists it) */
    assert_null(strcasestr(req, "X-Amz-Log-Type"));
    free(req);
}

static void test_lambda_invoke_event_is_queued_and_throttling_is_retried(void **state)
{
    (void)state;
    const char *throttled = "HTTP/1.1 429 Too Many Requests\r\n"
                            "x-amzn-ErrorType: TooManyRequestsException:http://internal\r\n"
                            "Content-Length: 36\r\nConnection: close\r\n\r\n"
                            "{\"Type\":\"User\",\"message\":\"Rate\"}    ";
    const char *responses[] = {throttled, throttled,
                               "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n"
                               "Connection: close\r\n\r\n"};
    struct http_stub s;
    assert_int_equal(http_stub_start(&s, dir, responses, 3), 0);
    struct lambda_client *c = open_client(&s);
    struct lambda_result r;
    struct err e;
    assert_int_equal(lambda_invoke(c, "fn", NULL, LAMBDA_EVENT, "{}", 2, 1, &r, &e), SIREN_OK);
    assert_int_equal(r.http_status, 202);
    assert_true(r.ok);
    assert_int_equal(r.payload_len, 0);
    lambda_result_free(&r);
    lambda_client_close(c);
    http_stub_stop(&s);
    char *req = http_stub_request(&s, 2); /* the third attempt reached the server */
    assert_non_null(req);
    assert_non_null(strcasestr(req, "\r\nX-Amz-Invocation-Type: Event\r\n"));
    assert_null(strcasestr(req, "X-Amz-Log-Type")); /* no log tail for Event */
    free(req);
}

static void test_lambda_invoke_refused_calls_map_to_codes(void **state)
{
    (void)state;
    const char *responses[] = {
        "HTTP/1.1 404 Not Found\r\nx-amzn-ErrorType: ResourceNotFoundException\r\n"
        "Content-Length: 62\r\nConnection: close\r\n\r\n"
        "{\"Type\":\"User\",\"message\":\"Function not found: arn:aws:x\"}     ",
        "HTTP/1.1 403 Forbidden\r\nx-amzn-ErrorType: InvalidSignatureException\r\n"
        "Content-Length: 2\r\nConnection: close\r\n\r\n{}",
        "HTTP/1.1 413 Request Entity Too Large\r\nx-amzn-ErrorType: RequestTooLargeException\r\n"
        "Content-Length: 2\r\nConnection: close\r\n\r\n{}"};
    struct http_stub s;
    assert_int_equal(http_stub_start(&s, dir, responses, 3), 0);
    struct lambda_client *c = open_client(&s);
    struct lambda_result r;
    struct err e;
    assert_int_equal(lambda_invoke(c, "nope", NULL, LAMBDA_REQUEST_RESPONSE, "{}", 2, 0, &r, &e),
                     SIREN_ENOTFOUND);
    assert_non_null(strstr(e.msg, "ResourceNotFoundException"));
    assert_non_null(strstr(e.msg, "Function not found"));
    lambda_result_free(&r);
    assert_int_equal(lambda_invoke(c, "fn", NULL, LAMBDA_REQUEST_RESPONSE, "{}", 2, 0, &r, &e),
                     SIREN_EAUTH);
    assert_non_null(strstr(e.msg, "InvalidSignatureException"));
    assert_null(strstr(e.msg, SECRET));
    lambda_result_free(&r);
    assert_int_equal(lambda_invoke(c, "fn", NULL, LAMBDA_REQUEST_RESPONSE, "{}", 2, 0, &r, &e),
                     SIREN_ELIMIT);
    lambda_result_free(&r);
    /* Names that would need encoding are refused before any request. */
    assert_int_equal(lambda_invoke(c, "arn:aws:lambda:x", NULL, LAMBDA_EVENT, "{}", 2, 0, &r, &e),
                     SIREN_EINVAL);
    assert_int_equal(lambda_invoke(c, "a/b", NULL, LAMBDA_EVENT, "{}", 2, 0, &r, &e), SIREN_EINVAL);
    lambda_client_close(c);
    http_stub_stop(&s);
}

/* Lambda's own limits (6 MB RequestResponse, 256 KB Event) by default, a preset's when given:
 * a payload over the limit of its type never opens a connection. The server answers once, and
 * what it saw first is the one call that fit. */
static void test_lambda_invoke_refuses_a_payload_over_its_limit_before_sending(void **state)
{
    (void)state;
    const char *responses[] = {"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n"
                               "Connection: close\r\n\r\n"};
    struct http_stub s;
    assert_int_equal(http_stub_start(&s, dir, responses, 1), 0);
    struct lambda_client *c = open_client(&s);
    struct lambda_result r;
    struct err e;
    size_t big = 6291457;
    char *payload = malloc(big);
    assert_non_null(payload);
    memset(payload, ' ', big);
    assert_int_equal(lambda_invoke(c, "fn", NULL, LAMBDA_REQUEST_RESPONSE, payload, big, 0, &r, &e),
                     SIREN_ELIMIT);
    assert_int_equal(r.http_status, 0);
    assert_non_null(strstr(e.msg, "invoke fn: event of 6291457 bytes is over the synchronous "
                                  "(RequestResponse) invocation payload limit of 6291456 bytes "
                                  "(AWS Lambda's own limit)"));
    lambda_result_free(&r);
    assert_int_equal(lambda_invoke(c, "fn", NULL, LAMBDA_EVENT, payload, 262145, 0, &r, &e),
                     SIREN_ELIMIT);
    assert_non_null(strstr(e.msg, "event of 262145 bytes is over the asynchronous (Event) "
                                  "invocation payload limit of 262144 bytes"));
    lambda_result_free(&r);
    assert_int_equal(lambda_invoke(c, "fn", NULL, LAMBDA_EVENT, payload, 262144, 0, &r, &e),
                     SIREN_OK);
    assert_int_equal(r.http_status, 202);
    lambda_result_free(&r);
    lambda_client_close(c);
    http_stub_stop(&s);
    char *req = http_stub_request(&s, 0);
    assert_non_null(req);
    assert_non_null(strcasestr(req, "\r\nContent-Length: 262144\r\n"));
    free(req);

    /* A preset's own limits, named in the refusal. */
    char *path = tu_payload_preset(dir, "tiny-payload", 64, 32);
    struct platform p;
    struct payload_limits tiny;
    assert_non_null(path);
    assert_int_equal(platform_load(path, &p, &e), SIREN_OK);
    payload_limits_of(&p, &tiny);
    struct lambda_client_config cfg = {.region = "eu-west-1", .endpoint = "http://127.0.0.1:9",
                                       .timeout_ms = 1000, .payload = &tiny};
    assert_int_equal(lambda_client_open(&cfg, &c, &e), SIREN_OK);
    assert_int_equal(lambda_invoke(c, "fn", NULL, LAMBDA_REQUEST_RESPONSE, payload, 65, 0, &r, &e),
                     SIREN_ELIMIT);
    assert_non_null(strstr(e.msg, "limit of 64 bytes (payload_bytes.sync of platform "
                                  "'tiny-payload'"));
    lambda_result_free(&r);
    assert_int_equal(lambda_invoke(c, "fn", NULL, LAMBDA_EVENT, payload, 33, 0, &r, &e),
                     SIREN_ELIMIT);
    assert_non_null(strstr(e.msg, "limit of 32 bytes (payload_bytes.async of platform "
                                  "'tiny-payload'"));
    lambda_result_free(&r);
    lambda_client_close(c);
    free(path);
    free(payload);
}

static void test_lambda_report_and_base64_parsing(void **state)
{
    (void)state;
    struct lambda_report rep;
    lambda_report_parse("x\nREPORT RequestId: a Duration: 2.5 ms Billed Duration: 100 ms "
                        "Memory Size: 128 MB Max Memory Used: 20 MB\n",
                        &rep);
    assert_true(rep.found);
    assert_true(fabs(rep.duration_ms - 2.5) < 1e-12);
    assert_true(fabs(rep.billed_duration_ms - 100) < 1e-12);
    assert_int_equal(rep.memory_size_mb, 128);
    assert_int_equal(rep.max_memory_used_mb, 20);
    assert_true(rep.init_duration_ms < 0); /* warm start: no Init Duration */
    lambda_report_parse("no report here", &rep);
    assert_false(rep.found);
    char *out;
    size_t n;
    struct err e;
    assert_int_equal(lambda_base64_decode("aGVsbG8gd29ybGQ=", &out, &n, &e), SIREN_OK);
    assert_int_equal(n, 11);
    assert_string_equal(out, "hello world");
    free(out);
    assert_int_equal(lambda_base64_decode("aGk", &out, &n, &e), SIREN_OK);
    assert_string_equal(out, "hi");
    free(out);
    assert_int_equal(lambda_base64_decode("a*b=", &out, &n, &e), SIREN_EFORMAT);
    assert_int_equal(lambda_base64_decode("a", &out, &n, &e), SIREN_EFORMAT);
}

static void test_lambda_client_without_credentials_is_auth_error(void **state)
{
    (void)state;
    char *id = strdup(getenv("AWS_ACCESS_KEY_ID"));
    unsetenv("AWS_ACCESS_KEY_ID");
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    struct lambda_client *c = (struct lambda_client *)1;
    struct err e;
    assert_int_equal(lambda_client_open(NULL, &c, &e), SIREN_EAUTH);
    assert_null(c);
    assert_non_null(strstr(e.msg, "AWS_ACCESS_KEY_ID"));
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    setenv("AWS_ACCESS_KEY_ID", id, 1);
    free(id);
}

int main(void)
{
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    unsetenv("AWS_SESSION_TOKEN");
    dir = tu_mkdtemp();
    if (!dir) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lambda_invoke_sync_returns_payload_and_report),
        cmocka_unit_test(test_lambda_invoke_function_error_is_a_result_not_a_failure),
        cmocka_unit_test(test_lambda_invoke_event_is_queued_and_throttling_is_retried),
        cmocka_unit_test(test_lambda_invoke_refused_calls_map_to_codes),
        cmocka_unit_test(test_lambda_invoke_refuses_a_payload_over_its_limit_before_sending),
        cmocka_unit_test(test_lambda_report_and_base64_parsing),
        cmocka_unit_test(test_lambda_client_without_credentials_is_auth_error),
    };
    int failed = cmocka_run_group_tests_name("lambda invoke client", tests, NULL, NULL);
    tu_rm_rf(dir);
    free(dir);
    return failed;
}

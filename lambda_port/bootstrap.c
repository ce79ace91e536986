/*
 * bootstrap: the Lambda custom runtime (provided.al2023) around fn_handle(). It loops on the
 * Runtime API at $AWS_LAMBDA_RUNTIME_API ("host:port" on Lambda, "http://host:port/prefix" in
 * local emulators): GET the next invocation, run the training handler on its event with the
 * KV store the event names (s3://... on Lambda), POST the response, or POST the error as
 * {"errorMessage","errorType","stackTrace":[]}. A failure before the loop is posted to
 * /runtime/init/error. One fn_context lives as long as the process, so a warm container keeps
 * its S3 connection and allocations, as siren-fn does. Logs go to stderr (CloudWatch).
 * A response over the synchronous payload limit (AWS Lambda's 6 MB, or the preset
 * $SIREN_BOOTSTRAP_PLATFORM names) is never posted: the invocation fails with Lambda's
 * Function.ResponseSizeTooLarge instead, as the emulator's sandboxes fail it, and the runtime
 * goes on to the next event (a response the Runtime API refused would end the process).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_http.h"
#include "core.h"
#include "handler.h"
#include "payload.h"
#include "platform.h"
#include "s3.h"

#define RUNTIME_API_VERSION "2018-06-01"

struct rt {
    struct aws_http *http;
    char base[1024]; /* "http://host:port[/prefix]/2018-06-01/runtime" */
};

/* The answer to one Runtime API request. */
struct reply {
    struct aws_http_body body;
    char request_id[128];
    char deadline_ms[32];
};

/* The runtime base URL from $AWS_LAMBDA_RUNTIME_API, either form. */
static int rt_base(const char *api, char *buf, size_t cap, struct err *e)
{
    if (!api || !*api)
        return err_set(e, SIREN_EINVAL, "AWS_LAMBDA_RUNTIME_API is not set (bootstrap runs "
                                        "inside Lambda or a Runtime API emulator)");
    size_t n = strlen(api);
    while (n && api[n - 1] == '/') n--;
    int has_scheme = !strncmp(api, "http://", 7) || !strncmp(api, "https://", 8);
    int w = snprintf(buf, cap, "%s%.*s/%s/runtime", has_scheme ? "" : "http://", (int)n, api,
                     RUNTIME_API_VERSION);
    if (w < 0 || (size_t)w >= cap)
        return err_set(e, SIREN_EINVAL, "AWS_LAMBDA_RUNTIME_API is too long");
    return SIREN_OK;
}

/* One request to the Runtime API: GET when body is NULL, else POST of body. On success
 * *status is the HTTP status and reply (NULL: not wanted) holds the answer. */
static int rt_call(struct rt *rt, const char *path, const char *body, const char *error_type,
                   long *status, struct reply *reply, struct err *e)
{
    char url[2048], type_hdr[256], what[300];
    snprintf(url, sizeof url, "%s%s", rt->base, path);
    snprintf(what, sizeof what, "runtime API %s", path);
    const char *headers[3] = {NULL, NULL, NULL}, **h = headers;
    if (body) *h++ = "Content-Type: application/json";
    if (error_type) {
        snprintf(type_hdr, sizeof type_hdr, "Lambda-Runtime-Function-Error-Type: %s",
                 error_type);
        *h++ = type_hdr;
    }
    struct aws_http_capture capture[2] = {
        {"lambda-runtime-aws-request-id", reply ? reply->request_id : NULL,
         reply ? sizeof reply->request_id : 0, NULL},
        {"lambda-runtime-deadline-ms", reply ? reply->deadline_ms : NULL,
         reply ? sizeof reply->deadline_ms : 0, NULL},
    };
    struct aws_http_request req = {
        .method = body ? "POST" : "GET",
        .url = url,
        .what = what,
        .log_category = "bootstrap",
        .headers = headers,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .timeout_ms = 0, /* /next waits as long as there is no work */
        .capture = reply ? capture : NULL,
        .n_capture = reply ? 2 : 0,
    };
    return aws_http_perform(rt->http, &req, status, reply ? &reply->body : NULL, e);
}

/* The Runtime API's error document: {"errorMessage","errorType","stackTrace":[]}. */
static char *error_doc(const char *type, const char *message)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "errorMessage", message);
    cJSON_AddStringToObject(j, "errorType", type);
    cJSON_AddArrayToObject(j, "stackTrace");
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

static int post(struct rt *rt, const char *path, const char *body, const char *error_type,
                struct err *e)
{
    long status;
    int rc = rt_call(rt, path, body, error_type, &status, NULL, e);
    if (rc) return rc;
    if (status != 202 && status != 200)
        return err_set(e, SIREN_EBACKEND, "runtime API %s: HTTP %ld", path, status);
    return SIREN_OK;
}

/* The limits a response is held to: AWS Lambda's own, or those of the preset
 * $SIREN_BOOTSTRAP_PLATFORM names (a name or a path, as --platform), for a local Runtime API
 * that stands in for another platform. */
static int response_limits(struct payload_limits *out, struct err *e)
{
    const char *name = getenv("SIREN_BOOTSTRAP_PLATFORM");
    if (!name || !*name) {
        payload_limits_lambda(out);
        return SIREN_OK;
    }
    struct platform p;
    int rc = platform_load(name, &p, e);
    if (!rc) payload_limits_of(&p, out);
    return rc;
}

/* Runs one event; fills *type and *out (response JSON or error document). */
static int run_event(const char *body, size_t len, struct fn_context *ctx, char **out,
                     struct err *e)
{
    cJSON *event = NULL, *resp = NULL;
    int rc = json_parse(body, len, "event", &event, e);
    if (rc) return rc;
    if (!cJSON_IsObject(event)) {
        cJSON_Delete(event);
        return err_set(e, SIREN_EFORMAT, "event: expected a JSON object");
    }
    resp = cJSON_CreateObject();
    if (!resp) {
        cJSON_Delete(event);
        return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    rc = fn_handle(event, ctx, resp, e);
    if (!rc && !(*out = cJSON_PrintUnformatted(resp)))
        rc = err_set(e, SIREN_ENOMEM, "out of memory printing the response");
    cJSON_Delete(resp);
    cJSON_Delete(event);
    return rc;
}

int main(void)
{
    log_init_from_env();
    s3_kv_register();
    struct rt rt = {0};
    struct err e;
    if (rt_base(getenv("AWS_LAMBDA_RUNTIME_API"), rt.base, sizeof rt.base, &e)) {
        fprintf(stderr, "bootstrap: %s\n", e.msg);
        return 1;
    }
    if (aws_http_open(&rt.http, &e)) {
        fprintf(stderr, "bootstrap: %s\n", e.msg);
        return 1;
    }
    const char *init_fail = getenv("SIREN_BOOTSTRAP_FAIL_INIT"); /* tests the init/error path */
    struct payload_limits limits;
    if (!(init_fail && *init_fail) && response_limits(&limits, &e)) init_fail = e.msg;
    if (init_fail && *init_fail) {
        char *doc = error_doc("Runtime.InitError", init_fail);
        int rc = doc ? post(&rt, "/init/error", doc, "Runtime.InitError", &e) : SIREN_ENOMEM;
        if (rc) fprintf(stderr, "bootstrap: init/error: %s\n", e.msg);
        free(doc);
        aws_http_close(rt.http);
        return 1;
    }
    struct fn_context ctx = {0};
    int status = 0;
    for (;;) {
        struct reply next = {0};
        long http;
        if (rt_call(&rt, "/invocation/next", NULL, NULL, &http, &next, &e)) {
            fprintf(stderr, "bootstrap: %s\n", e.msg);
            aws_http_body_free(&next.body);
            status = 1;
            break;
        }
        if (http != 200 || !next.request_id[0]) {
            fprintf(stderr, "bootstrap: runtime API /invocation/next: HTTP %ld%s\n", http,
                    next.request_id[0] ? "" : " without Lambda-Runtime-Aws-Request-Id");
            aws_http_body_free(&next.body);
            status = 1;
            break;
        }
        char path[256];
        char *out = NULL;
        double t0 = clock_mono_s();
        int rc = run_event(next.body.data ? next.body.data : "", next.body.len, &ctx, &out, &e);
        char too_large[1024];
        int prc;
        if (rc == SIREN_OK && payload_response_over(&limits, strlen(out), too_large,
                                                    sizeof too_large)) {
            /* Nothing of the response is posted: the invocation fails as Lambda fails it. */
            LOG_ERROR("bootstrap", "request %s: %s", next.request_id, too_large);
            free(out);
            out = error_doc(PAYLOAD_RESPONSE_ERROR_TYPE, too_large);
            snprintf(path, sizeof path, "/invocation/%s/error", next.request_id);
            prc = out ? post(&rt, path, out, PAYLOAD_RESPONSE_ERROR_TYPE, &e) : SIREN_ENOMEM;
            rc = SIREN_ELIMIT;
        } else if (rc == SIREN_OK) {
            snprintf(path, sizeof path, "/invocation/%s/response", next.request_id);
            prc = post(&rt, path, out, NULL, &e);
        } else {
            LOG_ERROR("bootstrap", "request %s: %s: %s", next.request_id, err_name(rc), e.msg);
            free(out);
            out = error_doc(err_name(rc), e.msg);
            snprintf(path, sizeof path, "/invocation/%s/error", next.request_id);
            prc = out ? post(&rt, path, out, err_name(rc), &e) : SIREN_ENOMEM;
        }
        LOG_DEBUG("bootstrap", "request %s: %s in %.1f ms", next.request_id,
                  rc ? "failed" : "done", (clock_mono_s() - t0) * 1e3);
        free(out);
        aws_http_body_free(&next.body);
        if (prc) {
            fprintf(stderr, "bootstrap: %s\n", e.msg);
            status = 1;
            break;
        }
    }
    fn_context_free(&ctx);
    aws_http_close(rt.http);
    return status;
}

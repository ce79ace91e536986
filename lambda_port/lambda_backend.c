/* The "lambda" job backend (see lambda_backend.h). */
#include "lambda_backend.h"

#include "aws_http.h"
#include "job.h"
#include "lambda_invoke.h"
#include "sandbox.h"

#include <stdlib.h>
#include <string.h>

/* A failed function's document {"errorType","errorMessage"} into res. */
static void take_error(struct sandbox_result *res, const char *doc, const char *fallback)
{
    cJSON *j = doc ? cJSON_Parse(doc) : NULL;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "errorType");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "errorMessage");
    snprintf(res->error_type, sizeof res->error_type, "%s",
             cJSON_IsString(t) ? t->valuestring : "Runtime.Unknown");
    snprintf(res->error_msg, sizeof res->error_msg, "%s",
             cJSON_IsString(m) ? m->valuestring : fallback);
    cJSON_Delete(j);
}

/* The local emulator's bridge: POST URL/invoke, the function's response or error document
 * back. A fresh bootstrap process runs every invocation, as the emulator does. */
static int invoke_bridge(const char *url, int timeout_ms, const char *payload,
                         struct sandbox_result *res, struct err *e)
{
    char full[1200];
    snprintf(full, sizeof full, "%s/invoke", url);
    struct aws_http *http = NULL;
    int rc = aws_http_open(&http, e);
    if (rc) return rc;
    struct aws_http_request req;
    aws_http_request_post_json(&req, full, full, payload, strlen(payload),
                               (long)timeout_ms + 30000L);
    struct aws_http_body body = {0};
    long status = 0;
    double t0 = clock_mono_s();
    rc = aws_http_perform(http, &req, &status, &body, e);
    res->duration_ms = (clock_mono_s() - t0) * 1e3;
    aws_http_close(http);
    if (!rc && status == 200 && body.data && (res->response = cJSON_Parse(body.data))) {
        res->status = SANDBOX_OK;
    } else if (!rc) {
        res->status = SANDBOX_HANDLER_ERROR;
        take_error(res, body.data, "the function failed");
    }
    res->cold = 1;
    aws_http_body_free(&body);
    return rc;
}

static int invoke_lambda(const char *target, int memory_mb, int timeout_ms, const cJSON *event,
                         struct sandbox_result *res, struct err *e)
{
    sandbox_result_init(res);
    char *payload = cJSON_PrintUnformatted(event);
    if (!payload) return err_set(e, SIREN_ENOMEM, "out of memory");
    int rc;
    if (!strncmp(target, "http://", 7) || !strncmp(target, "https://", 8)) {
        rc = invoke_bridge(target, timeout_ms, payload, res, e);
        free(payload);
        return rc;
    }
    /* A "%d" in the name picks the function deployed with this memory size. */
    char name[256];
    const char *pct = strstr(target, "%d");
    if (pct) snprintf(name, sizeof name, "%.*s%d%s", (int)(pct - target), target, memory_mb, pct + 2);
    else snprintf(name, sizeof name, "%s", target);
    /* The events were held to the job's own limit before any ran (job_invoker.c); the client
     * keeps Lambda's. */
    struct lambda_client_config cc = {NULL, NULL, (long)timeout_ms + 60000L, NULL};
    struct lambda_client *client = NULL;
    struct lambda_result lr;
    memset(&lr, 0, sizeof lr);
    double t0 = clock_mono_s();
    rc = lambda_client_open(&cc, &client, e);
    if (!rc) rc = lambda_invoke(client, name, NULL, LAMBDA_REQUEST_RESPONSE, payload,
                                strlen(payload), 1, &lr, e);
    double wall_ms = (clock_mono_s() - t0) * 1e3;
    if (!rc) {
        /* Lambda's own figures from the REPORT line when it came back, else what we saw. */
        res->duration_ms = lr.report.duration_ms > 0 ? lr.report.duration_ms : wall_ms;
        res->init_ms = lr.report.init_duration_ms;
        res->cold = lr.report.init_duration_ms > 0;
        res->peak_mb = lr.report.max_memory_used_mb;
        if (lr.ok && lr.payload && (res->response = cJSON_Parse(lr.payload))) {
            res->status = SANDBOX_OK;
        } else {
            res->status = SANDBOX_HANDLER_ERROR;
            if (lr.error_type[0]) {
                snprintf(res->error_type, sizeof res->error_type, "%s", lr.error_type);
                snprintf(res->error_msg, sizeof res->error_msg, "%s", lr.error_message);
            } else {
                take_error(res, lr.payload, "the function failed");
            }
        }
    }
    lambda_result_free(&lr);
    lambda_client_close(client);
    free(payload);
    return rc;
}

static const struct job_backend lambda_backend = {"lambda", invoke_lambda};

void lambda_backend_register(void)
{
    if (job_backend_register(&lambda_backend))
        LOG_WARN("lambda", "cannot register the lambda job backend");
}

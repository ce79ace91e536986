/*
 * lambda_invoke: the Invoke API through aws_http. The request is a POST of the payload with
 * X-Amz-Invocation-Type (and X-Amz-Log-Type: Tail), signed by libcurl (CURLOPT_AWS_SIGV4
 * "aws:amz:REGION:lambda"); the function name is restricted to characters that need no
 * encoding, so the path libcurl signs is already canonical. The response headers give the
 * function error, the executed version, the request id and the base64 log tail; the REPORT
 * line in that tail gives the billing figures. A payload over the limit of its invocation type
 * (payload.h) is refused here, before a request is made, in the words the emulator uses.
 */
#define _GNU_SOURCE
#include "lambda_invoke.h"

#include <stdlib.h>
#include <string.h>

#include "aws_http.h"

struct lambda_client {
    struct aws_http *http;
    char *endpoint; /* no trailing '/' */
    char region[64];
    char sigv4[128];
    long timeout_ms;
    struct payload_limits payload;
    struct aws_credentials cred;
};

/* The response headers of one call. */
struct call {
    char function_error[32];
    char request_id[64];
    char executed_version[32];
    char error_type_hdr[128]; /* x-amzn-ErrorType of a refused call */
    char *log_b64;
};

void lambda_result_free(struct lambda_result *r)
{
    if (!r) return;
    free(r->payload);
    free(r->log_tail);
    memset(r, 0, sizeof *r);
}

void lambda_client_close(struct lambda_client *c)
{
    if (!c) return;
    aws_http_close(c->http);
    aws_credentials_clear(&c->cred);
    free(c->endpoint);
    free(c);
}

int lambda_client_open(const struct lambda_client_config *cfg, struct lambda_client **out,
                       struct err *e)
{
    *out = NULL;
    struct lambda_client *c = calloc(1, sizeof *c);
    if (!c) return err_set(e, SIREN_ENOMEM, "out of memory");
    int rc = SIREN_OK;
    const char *region = cfg && cfg->region ? cfg->region : aws_region();
    if (!*region || strlen(region) >= sizeof c->region ||
        strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(region)) {
        rc = err_set(e, SIREN_EINVAL, "bad region '%.64s'", region);
        goto out;
    }
    snprintf(c->region, sizeof c->region, "%s", region);
    snprintf(c->sigv4, sizeof c->sigv4, "aws:amz:%s:lambda", c->region);
    const char *ep = cfg ? cfg->endpoint : NULL;
    if (!ep || !*ep) ep = getenv("AWS_ENDPOINT_URL_LAMBDA");
    if (!ep || !*ep) ep = getenv("AWS_ENDPOINT_URL");
    if (ep && *ep) {
        if (strncmp(ep, "http://", 7) && strncmp(ep, "https://", 8)) {
            rc = err_set(e, SIREN_EINVAL, "endpoint '%.200s': expected http(s)://HOST[:PORT]", ep);
            goto out;
        }
        c->endpoint = strdup(ep);
    } else if (asprintf(&c->endpoint, "https://lambda.%s.amazonaws.com", c->region) < 0) {
        c->endpoint = NULL;
    }
    if (!c->endpoint) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    size_t n = strlen(c->endpoint);
    while (n && c->endpoint[n - 1] == '/') c->endpoint[--n] = '\0';
    c->timeout_ms = cfg && cfg->timeout_ms > 0 ? cfg->timeout_ms : 960000;
    if (cfg && cfg->payload) c->payload = *cfg->payload;
    else payload_limits_lambda(&c->payload);
    if ((rc = aws_credentials_load(&c->cred, e))) goto out;
    rc = aws_http_open(&c->http, e);
out:
    if (rc) {
        lambda_client_close(c);
        return rc;
    }
    *out = c;
    return SIREN_OK;
}

/* ------------------------------------------------------------------------ helpers */

static int b64_value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

int lambda_base64_decode(const char *in, char **out, size_t *len, struct err *e)
{
    size_t n = strlen(in);
    char *buf = malloc(n / 4 * 3 + 4);
    if (!buf) return err_set(e, SIREN_ENOMEM, "out of memory decoding base64");
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') continue;
        if (ch == '=') {
            pad++;
            continue;
        }
        int v = b64_value(ch);
        if (v < 0 || pad) {
            free(buf);
            return err_set(e, SIREN_EFORMAT, "not base64: byte 0x%02x at offset %zu", ch, i);
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    if (pad > 2 || bits >= 6) {
        free(buf);
        return err_set(e, SIREN_EFORMAT, "not base64: bad length or padding");
    }
    buf[o] = '\0';
    *out = buf;
    *len = o;
    return SIREN_OK;
}

/* The number after label in line (NULL-safe); -1 when absent. */
static double field_after(const char *line, const char *end, const char *label)
{
    const char *p = strstr(line, label);
    if (!p || p >= end) return -1;
    char *stop;
    double v = strtod(p + strlen(label), &stop);
    return stop == p + strlen(label) ? -1 : v;
}

void lambda_report_parse(const char *log, struct lambda_report *out)
{
    memset(out, 0, sizeof *out);
    out->duration_ms = out->billed_duration_ms = out->init_duration_ms = -1;
    out->memory_size_mb = out->max_memory_used_mb = -1;
    if (!log) return;
    const char *line = NULL;
    for (const char *p = log; (p = strstr(p, "REPORT RequestId:")); p++)
        if (p == log || p[-1] == '\n') line = p;
    if (!line) return;
    const char *end = strchr(line, '\n');
    if (!end) end = line + strlen(line);
    out->found = 1;
    const char *id = line + strlen("REPORT RequestId:");
    while (*id == ' ') id++;
    size_t idn = strcspn(id, " \t\n");
    if (idn >= sizeof out->request_id) idn = sizeof out->request_id - 1;
    memcpy(out->request_id, id, idn);
    out->request_id[idn] = '\0';
    /* Fields are separated by tabs (spaces accepted too); "Billed Duration:" and "Init
     * Duration:" contain "Duration:", so the plain one is the first occurrence that is not
     * preceded by either word. */
    for (const char *d = id + idn; (d = strstr(d, "Duration:")) && d < end; d++) {
        if ((d - line >= 7 && !strncmp(d - 7, "Billed ", 7)) ||
            (d - line >= 5 && !strncmp(d - 5, "Init ", 5)))
            continue;
        out->duration_ms = field_after(d, end, "Duration:");
        break;
    }
    out->billed_duration_ms = field_after(line, end, "Billed Duration:");
    out->memory_size_mb = (int)field_after(line, end, "Memory Size:");
    out->max_memory_used_mb = (int)field_after(line, end, "Max Memory Used:");
    out->init_duration_ms = field_after(line, end, "Init Duration:");
}

/* Throttling and service errors are retried; a transfer that broke off is not: a synchronous
 * call may have run the function already. */
static const long lambda_retry_statuses[] = {429, 500, 502, 503, 504, 0};
static const struct aws_http_retry lambda_retry = {LAMBDA_MAX_ATTEMPTS, LAMBDA_RETRY_BASE_MS,
                                                   LAMBDA_RETRY_MAX_MS, 0,
                                                   lambda_retry_statuses};

static int name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n >= 1 && n <= max &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_$") == n;
}

/* errorType / errorMessage of a failed function's payload ({"errorType","errorMessage"}). */
static void parse_function_error(const char *payload, size_t len, struct lambda_result *out)
{
    cJSON *j = cJSON_ParseWithLength(payload, len);
    const cJSON *t = j ? cJSON_GetObjectItemCaseSensitive(j, "errorType") : NULL;
    const cJSON *m = j ? cJSON_GetObjectItemCaseSensitive(j, "errorMessage") : NULL;
    if (cJSON_IsString(t)) snprintf(out->error_type, sizeof out->error_type, "%s", t->valuestring);
    if (cJSON_IsString(m))
        snprintf(out->error_message, sizeof out->error_message, "%s", m->valuestring);
    if (!out->error_type[0])
        snprintf(out->error_type, sizeof out->error_type, "%s",
                 out->function_error[0] ? out->function_error : "Unhandled");
    if (!out->error_message[0])
        snprintf(out->error_message, sizeof out->error_message, "%.*s",
                 (int)(len > 512 ? 512 : len), payload ? payload : "");
    cJSON_Delete(j);
}

/* ------------------------------------------------------------------------- invoke */

int lambda_invoke(struct lambda_client *c, const char *function_name, const char *qualifier,
                  enum lambda_invocation_type type, const char *payload, size_t len,
                  int want_log, struct lambda_result *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    lambda_report_parse(NULL, &out->report);
    if (!function_name || !name_ok(function_name, 64) || strchr(function_name, '$'))
        return err_set(e, SIREN_EINVAL,
                       "function name '%.80s': expected 1-64 characters from A-Z a-z 0-9 - _ "
                       "(give the version or alias as the qualifier)",
                       function_name ? function_name : "(null)");
    if (qualifier && !name_ok(qualifier, 128))
        return err_set(e, SIREN_EINVAL, "qualifier '%.80s': expected a version or an alias",
                       qualifier);
    int is_event = type == LAMBDA_EVENT;
    char what[96];
    snprintf(what, sizeof what, "invoke %s", function_name);
    int rc = payload_event_check(&c->payload, is_event ? PAYLOAD_ASYNC : PAYLOAD_SYNC, len, what,
                                 e);
    if (rc) return rc;
    char *url = NULL, *enc_q = qualifier ? aws_uri_encode_dup(qualifier, 0) : NULL;
    if ((qualifier && !enc_q) ||
        asprintf(&url, "%s/2015-03-31/functions/%s/invocations%s%s", c->endpoint, function_name,
                 enc_q ? "?Qualifier=" : "", enc_q ? enc_q : "") < 0) {
        free(enc_q);
        return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    free(enc_q);
    char type_hdr[64];
    snprintf(type_hdr, sizeof type_hdr, "X-Amz-Invocation-Type: %s",
             is_event ? "Event" : "RequestResponse");
    const char *headers[] = {"Content-Type: application/json", type_hdr,
                             want_log && !is_event ? "X-Amz-Log-Type: Tail" : NULL, NULL};
    struct call k = {0};
    struct aws_http_capture capture[] = {
        {"x-amz-function-error", k.function_error, sizeof k.function_error, NULL},
        {"x-amzn-requestid", k.request_id, sizeof k.request_id, NULL},
        {"x-amz-executed-version", k.executed_version, sizeof k.executed_version, NULL},
        {"x-amzn-errortype", k.error_type_hdr, sizeof k.error_type_hdr, NULL},
        {"x-amz-log-result", NULL, 0, &k.log_b64},
    };
    struct aws_http_request req;
    aws_http_request_post_json(&req, url, what, payload, len, c->timeout_ms);
    req.log_category = "lambda";
    req.headers = headers; /* Content-Type again, and the invocation's own */
    req.sigv4 = c->sigv4;
    req.cred = &c->cred;
    req.connect_timeout_ms = 10000;
    req.retry = &lambda_retry;
    req.capture = capture;
    req.n_capture = (int)(sizeof capture / sizeof *capture);
    struct aws_http_body body = {0};
    long status = 0;
    rc = aws_http_perform(c->http, &req, &status, &body, e);
    out->http_status = status;
    free(url);
    if (rc) goto out;
    if (status == 200 || status == 202 || status == 204) {
        out->payload = body.data ? body.data : strdup("");
        out->payload_len = body.data ? body.len : 0;
        body.data = NULL;
        if (!out->payload) {
            rc = err_set(e, SIREN_ENOMEM, "invoke %s: out of memory", function_name);
            goto out;
        }
        snprintf(out->function_error, sizeof out->function_error, "%s", k.function_error);
        snprintf(out->request_id, sizeof out->request_id, "%s", k.request_id);
        snprintf(out->executed_version, sizeof out->executed_version, "%s", k.executed_version);
        out->ok = k.function_error[0] == '\0';
        if (!out->ok) parse_function_error(out->payload, out->payload_len, out);
        if (k.log_b64 && k.log_b64[0]) {
            size_t n;
            struct err e2;
            if (lambda_base64_decode(k.log_b64, &out->log_tail, &n, &e2) == SIREN_OK)
                lambda_report_parse(out->log_tail, &out->report);
            else
                LOG_WARN("lambda", "invoke %s: X-Amz-Log-Result: %s", function_name, e2.msg);
        }
        goto out;
    }
    /* The service refused the call: {"Type": "...", "message": "..."} and x-amzn-ErrorType. */
    char msg[512] = "";
    cJSON *j = body.data ? cJSON_ParseWithLength(body.data, body.len) : NULL;
    const cJSON *m = j ? cJSON_GetObjectItemCaseSensitive(j, "message") : NULL;
    if (!cJSON_IsString(m) && j) m = cJSON_GetObjectItemCaseSensitive(j, "Message");
    if (cJSON_IsString(m)) snprintf(msg, sizeof msg, "%s", m->valuestring);
    cJSON_Delete(j);
    char etype[128];
    snprintf(etype, sizeof etype, "%.*s", (int)strcspn(k.error_type_hdr, ":"),
             k.error_type_hdr);
    int code = status == 404                   ? SIREN_ENOTFOUND
               : status == 401 || status == 403 ? SIREN_EAUTH
               : status == 413 || status == 429 ? SIREN_ELIMIT
                                                : SIREN_EBACKEND;
    rc = err_set(e, code, "invoke %s: HTTP %ld%s%s%s%s%s", function_name, status,
                 etype[0] ? " " : "", etype, msg[0] ? " (" : "", msg, msg[0] ? ")" : "");
out:
    aws_http_body_free(&body);
    free(k.log_b64);
    return rc;
}

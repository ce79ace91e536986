/*
 * lambda_invoke: a client for AWS Lambda's Invoke API (POST /2015-03-31/functions/NAME/
 * invocations), signed by libcurl's SigV4 (service "lambda"), with credentials and region from
 * the same chain as the s3:// backend. It returns what a sandbox invocation returns: whether
 * the function succeeded, its response JSON, errorType/errorMessage of a failed function, and
 * the duration, billed duration and peak memory of the REPORT line in the log tail. A client
 * holds one curl handle (connections are reused) and is not thread-safe: open one per thread.
 * Verified only against a local HTTP server in the tests, not against AWS itself.
 */
#ifndef SIREN_LAMBDA_INVOKE_H
#define SIREN_LAMBDA_INVOKE_H

#include <stddef.h>

#include "core.h"
#include "payload.h"

/* Throttling (429) and service errors (500, 502, 503, 504) are retried this many times in
 * all, with exponential backoff from LAMBDA_RETRY_BASE_MS (capped at LAMBDA_RETRY_MAX_MS).
 * Only RequestResponse and Event calls that the service refused are retried: a function that
 * ran and failed is a result, never retried here. */
#define LAMBDA_MAX_ATTEMPTS 5
#define LAMBDA_RETRY_BASE_MS 100
#define LAMBDA_RETRY_MAX_MS 5000

enum lambda_invocation_type {
    LAMBDA_REQUEST_RESPONSE = 0, /* synchronous: waits for the function, returns its output */
    LAMBDA_EVENT = 1,            /* asynchronous: queued, HTTP 202, no output */
};

struct lambda_client_config {
    const char *region;   /* NULL: aws_region() ($AWS_REGION, default us-east-1) */
    const char *endpoint; /* NULL: $AWS_ENDPOINT_URL_LAMBDA, else $AWS_ENDPOINT_URL, else
                             https://lambda.REGION.amazonaws.com */
    long timeout_ms;      /* whole request; <= 0: 960,000 (Lambda's 900 s limit + margin) */
    const struct payload_limits *payload; /* the event's limits, checked before it is sent
                                             (copied); NULL: AWS Lambda's own (payload.h) */
};

struct lambda_client; /* opaque; lambda_client_open() / lambda_client_close() */

/* The REPORT line Lambda writes at the end of each invocation's log:
 * "REPORT RequestId: ID Duration: 12.34 ms Billed Duration: 13 ms Memory Size: 128 MB
 *  Max Memory Used: 35 MB [Init Duration: 120.45 ms]". Fields absent from the line are -1. */
struct lambda_report {
    int found;
    char request_id[64];
    double duration_ms;
    double billed_duration_ms;
    int memory_size_mb;
    int max_memory_used_mb;
    double init_duration_ms; /* cold starts only */
};

/* The outcome of one invocation. Caller storage; release with lambda_result_free(). */
struct lambda_result {
    long http_status;          /* 200 RequestResponse, 202 Event */
    int ok;                    /* 1 when the function ran and returned without error */
    char *payload;             /* the function's response (JSON text, NUL-terminated), or
                                  NULL for Event; owned */
    size_t payload_len;
    char function_error[32];   /* X-Amz-Function-Error ("Unhandled", "Handled") or "" */
    char error_type[128];      /* errorType of a failed function's payload, or "" */
    char error_message[1024];  /* errorMessage of a failed function's payload, or "" */
    char request_id[64];       /* x-amzn-RequestId */
    char executed_version[32]; /* X-Amz-Executed-Version */
    char *log_tail;            /* decoded X-Amz-Log-Result (the last 4 KB of the log), or NULL;
                                  owned */
    struct lambda_report report; /* parsed from log_tail */
};

/* Opens a client (loads credentials now). Caller owns *out; release with
 * lambda_client_close(). Errors: SIREN_EAUTH (no credentials), SIREN_EINVAL (bad endpoint or
 * region), SIREN_ENOMEM, SIREN_EBACKEND (libcurl could not start). */
int lambda_client_open(const struct lambda_client_config *cfg, struct lambda_client **out,
                       struct err *e) SIREN_WUR;
/* Closes the client and wipes its credentials; NULL is ignored. */
void lambda_client_close(struct lambda_client *c);

/* Invokes function_name (a name of 1-64 characters from A-Z a-z 0-9 - _; the version or alias
 * goes in qualifier, NULL for $LATEST) with payload (JSON text of len bytes). With want_log
 * the log tail is requested (X-Amz-Log-Type: Tail; RequestResponse only) and its REPORT line
 * parsed. Blocks until the function returns (RequestResponse) or is queued (Event). A function
 * that ran and failed is SIREN_OK with out->ok == 0 and errorType/errorMessage filled. Errors
 * (the call was refused; out->http_status says which, 0 when it was never sent): SIREN_EINVAL
 * (bad name), SIREN_ELIMIT (a payload over the client's limit for its type, the synchronous or
 * the asynchronous one: refused before anything is sent, naming the limit and where it comes
 * from), SIREN_ENOTFOUND (404: no such function or qualifier), SIREN_EAUTH (401/403:
 * signature, credentials, permission), SIREN_ELIMIT (413 payload too large; 429 throttled
 * after every retry), SIREN_EBACKEND (other HTTP errors: the message names the
 * x-amzn-ErrorType), SIREN_ENETWORK, SIREN_ENOMEM. *out is always initialised; free it either
 * way. */
int lambda_invoke(struct lambda_client *c, const char *function_name, const char *qualifier,
                  enum lambda_invocation_type type, const char *payload, size_t len,
                  int want_log, struct lambda_result *out, struct err *e) SIREN_WUR;

void lambda_result_free(struct lambda_result *r);

/* Finds the last REPORT line in log and parses it into *out (out->found = 0 when there is
 * none). Pure; never fails. */
void lambda_report_parse(const char *log, struct lambda_report *out);

/* Decodes base64 (standard alphabet, '=' padding, whitespace ignored). Caller owns *out
 * (free(); NUL-terminated, not counted in *len). Errors: SIREN_EFORMAT (not base64),
 * SIREN_ENOMEM. */
int lambda_base64_decode(const char *in, char **out, size_t *len, struct err *e) SIREN_WUR;

#endif

/*
 * aws_http: what every client of an AWS-style HTTP API here shares (S3 in s3.c, Lambda Invoke
 * in lambda_invoke.c, the Runtime API in bootstrap.c, the local emulator's bridge in
 * lambda_backend.c): the credentials chain and the region, SigV4 percent-encoding, and one
 * request over libcurl -- its header list, signing by libcurl itself (CURLOPT_AWS_SIGV4; we
 * only add the body's SHA-256 and the session token as headers, no signing code of our own),
 * the response body in a growing buffer, chosen response headers, retries with jittered
 * exponential backoff, and libcurl's failures translated into siren codes. Credentials are
 * borrowed by a request, never logged and never put in a message, and every copy made here
 * (header lines) is wiped before it is freed. A struct aws_http holds one curl handle
 * (connections are reused) and is not thread-safe: one per thread.
 */
#ifndef SIREN_AWS_HTTP_H
#define SIREN_AWS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* ------------------------------------------------------------------ credentials */

/* AWS credentials. Caller storage; wipe with aws_credentials_clear() when done. */
struct aws_credentials {
    char access_key_id[128];
    char secret_access_key[256];
    char session_token[4096]; /* "" when none */
};

/* Loads credentials from the standard chain: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+
 * AWS_SESSION_TOKEN) from the environment; else the profile $AWS_PROFILE (default "default")
 * of $AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials). Instance or container roles
 * other than Lambda's (which sets the environment) are not supported. Errors: SIREN_EAUTH (no
 * credentials found: the message names the sources tried, never a value), SIREN_EFORMAT (a
 * credentials file line too long). */
int aws_credentials_load(struct aws_credentials *out, struct err *e) SIREN_WUR;
/* Overwrites the credentials with zeros (not optimised away). */
void aws_credentials_clear(struct aws_credentials *c);

/* The region: $AWS_REGION, else $AWS_DEFAULT_REGION, else "us-east-1". Borrowed from the
 * environment or a literal. */
const char *aws_region(void);

/* Percent-encodes s as SigV4 wants (unreserved A-Z a-z 0-9 - _ . ~ kept, every other byte as
 * %XX in upper case; '/' kept when keep_slash). Returns the bytes needed without the NUL;
 * writes at most buflen bytes (NUL-terminated when buflen > 0). */
size_t aws_uri_encode(const char *s, int keep_slash, char *buf, size_t buflen);
/* aws_uri_encode() into a new string (caller frees); NULL when out of memory. */
char *aws_uri_encode_dup(const char *s, int keep_slash);

/* --------------------------------------------------------------------- requests */

struct aws_http; /* opaque; aws_http_open() / aws_http_close() */

/* Opens a client: one curl handle (libcurl's global state is set up once per process, from
 * any thread). Caller owns *out; release with aws_http_close(). Errors: SIREN_EBACKEND
 * (libcurl could not start), SIREN_ENOMEM. */
int aws_http_open(struct aws_http **out, struct err *e) SIREN_WUR;
/* Closes the client; NULL is ignored. */
void aws_http_close(struct aws_http *h);

/* A response body: len bytes at data and a NUL after them (not counted), or data NULL when no
 * byte came. Zero-initialise; reused from request to request; release with
 * aws_http_body_free(). */
struct aws_http_body {
    char *data;
    size_t len, cap;
};
void aws_http_body_free(struct aws_http_body *b);

/* A response header to keep: name without the ':' (matched in any case). Its value, trimmed,
 * goes to value (cap bytes, cut to fit; "" when the header is absent) or, with value NULL, to
 * *dup as a new string the caller frees (NULL when absent). */
struct aws_http_capture {
    const char *name;
    char *value;
    size_t cap;
    char **dup;
};

/* When to send a request again: after any of the HTTP statuses listed, and (broken = 1) after
 * a transfer that broke off (send or receive error, nothing or only part of the response
 * received); at most max_attempts in all, waiting base_ms * 2^attempt (at most max_ms),
 * jittered into [half, whole] so that clients refused together do not return together. */
struct aws_http_retry {
    int max_attempts;
    long base_ms, max_ms;
    int broken;
    const long *statuses; /* ends with 0 */
};

struct aws_http_request {
    const char *method;           /* "GET", "HEAD", "PUT", "POST" or "DELETE" */
    const char *url;
    const char *what;             /* the request in messages: "PUT key 'a/b'", "invoke fn" */
    const char *log_category;     /* of the retry lines ("s3", "lambda") */
    const char *const *headers;   /* header lines to send, NULL-terminated; NULL: none */
    const void *body;             /* PUT and POST: body_len bytes; NULL: empty */
    size_t body_len;
    const char *sigv4;            /* "aws:amz:REGION:SERVICE": libcurl signs; NULL: unsigned */
    const struct aws_credentials *cred; /* with sigv4; borrowed */
    long timeout_ms;              /* the whole request; 0: none */
    long connect_timeout_ms;      /* 0: libcurl's own (300 s) */
    const struct aws_http_retry *retry; /* NULL: one attempt */
    struct aws_http_capture *capture;   /* n_capture response headers to keep, or NULL */
    int n_capture;
};

/* Sets *req to a POST of the JSON text json (len bytes, Content-Type: application/json) to url
 * with what as its name in messages, the whole request within timeout_ms (0: none): unsigned,
 * tried once, no headers kept. The caller adds the rest (signing, more headers, retries). */
void aws_http_request_post_json(struct aws_http_request *req, const char *url, const char *what,
                                const char *json, size_t len, long timeout_ms);

/* Sends req and reads the whole response. Blocks, retry waits included. SIREN_OK when a
 * response came, whatever its status: *status is the HTTP status (the caller reads an error
 * status itself; a retried status is the last attempt's) and body (NULL: thrown away) holds
 * the response. Errors: SIREN_ENETWORK ("<what>: <libcurl's message>": no connection, timeout,
 * a transfer that broke off), SIREN_ENOMEM; *status is then 0 or what came. */
int aws_http_perform(struct aws_http *h, const struct aws_http_request *req, long *status,
                     struct aws_http_body *body, struct err *e) SIREN_WUR;

#endif

/*
 * s3: the "s3://bucket/prefix" KV backend, for real S3 or any S3-compatible server, through
 * libcurl with its built-in SigV4 signing (CURLOPT_AWS_SIGV4); no signing code of our own.
 * Objects are stored under "<prefix>/<key>", framed by kv.c (header + checksum) as in every
 * backend. Credentials come from the standard chain and live only in memory: they are
 * never logged, never put in an error message, and wiped when the store is closed.
 * The credentials chain, the region and the requests themselves are aws_http.h's, shared with
 * the Lambda clients. Not thread-safe per store (one curl handle each), like every struct kv.
 */
#ifndef SIREN_S3_H
#define SIREN_S3_H

#include <stddef.h>

#include "aws_http.h"
#include "core.h"
#include "kv.h"

/* Requests answered 500 or 503 (SlowDown), and transfers that broke off, are retried this
 * many times in all, waiting S3_RETRY_BASE_MS * 2^attempt (capped at S3_RETRY_MAX_MS) with
 * jitter between attempts. */
#define S3_MAX_ATTEMPTS 6
#define S3_RETRY_BASE_MS 50
#define S3_RETRY_MAX_MS 3000
/* Whole-request and connect timeouts. */
#define S3_REQUEST_TIMEOUT_MS 120000
#define S3_CONNECT_TIMEOUT_MS 5000

/* The backend table (scheme "s3"). URL: s3://BUCKET[/PREFIX][?endpoint=URL][&region=R]. The
 * endpoint is also taken from $AWS_ENDPOINT_URL_S3 (then $AWS_ENDPOINT_URL); with an endpoint,
 * requests use path-style addressing (ENDPOINT/BUCKET/KEY), without one virtual-hosted style
 * on https://BUCKET.s3.REGION.amazonaws.com. Errors of the operations: SIREN_ENOTFOUND (404:
 * no such key, or no such bucket: the message says which), SIREN_EAUTH (403: wrong secret
 * (SignatureDoesNotMatch), unknown key id, access denied, expired token; the message names the
 * S3 error code and how to fix it), SIREN_EBACKEND (other HTTP errors, or 500/503 after every
 * retry), SIREN_ENETWORK (no connection, timeout), SIREN_ECHECKSUM / SIREN_EFORMAT (framing),
 * SIREN_ENOMEM. A delete checks existence with a HEAD first (S3 answers 204 to a delete of a
 * missing key), so it is two requests. */
extern const struct kv_ops s3_kv_ops;

/* Registers s3_kv_ops with kv_register(), once; later calls do nothing. Call before opening an
 * s3:// store (the siren commands and bootstrap do). Not thread-safe. */
void s3_kv_register(void);

/* Creates the bucket of an s3:// URL (a LocationConstraint is sent outside us-east-1). A
 * bucket that already exists and is ours is success. Blocks. Errors: SIREN_EINVAL (bad URL),
 * SIREN_EAUTH, SIREN_EBACKEND (e.g. BucketAlreadyExists: owned by someone else),
 * SIREN_ENETWORK, SIREN_ENOMEM. */
int s3_bucket_create(const char *url, struct err *e) SIREN_WUR;

#endif

/*
 * payload: the limits on what crosses the Invoke API, and the words used when one is crossed,
 * so that the emulator's sandboxes and job, siren invoke and the Lambda port refuse alike. A
 * synchronous (RequestResponse) invocation's event and its response may each be at most the
 * platform's payload_bytes.sync (6 MB on Lambda), an asynchronous (Event) invocation's event at
 * most payload_bytes.async (256 KB). Sizes are those of the JSON text as sent, in bytes. An
 * event over its limit is refused before anything runs; a response over it fails the
 * invocation, as Lambda does (Function.ResponseSizeTooLarge). struct payload_limits is plain
 * caller storage: copy it freely, nothing to free.
 */
#ifndef SIREN_PAYLOAD_H
#define SIREN_PAYLOAD_H

#include <stddef.h>

#include "core.h"
#include "platform.h"

/* AWS Lambda's own limits, as the shipped presets give them (emu/platforms/lambda-2024.json:
 * 6 MB synchronous, 256 KB asynchronous), for a host that runs without a preset: the Lambda
 * port's bootstrap and Invoke client. */
#define PAYLOAD_LAMBDA_SYNC_BYTES 6291456LL
#define PAYLOAD_LAMBDA_ASYNC_BYTES 262144LL

/* Lambda's errorType of an invocation whose response is over the limit. */
#define PAYLOAD_RESPONSE_ERROR_TYPE "Function.ResponseSizeTooLarge"

/* How an invocation is made: the caller waits for the response, or the event is queued. */
enum payload_invocation {
    PAYLOAD_SYNC = 0, /* RequestResponse: event and response at most sync_bytes */
    PAYLOAD_ASYNC,    /* Event: event at most async_bytes, no response */
};

struct payload_limits {
    long long sync_bytes;  /* event and response of a synchronous invocation; 0: no limit */
    long long async_bytes; /* event of an asynchronous invocation; 0: no limit */
    char preset[64];       /* the preset they come from, for messages; "" = AWS Lambda's own */
    char path[1024];       /* that preset's file, or "" */
};

/* The limits of platform p (its payload_bytes.sync and .async, its name and file). */
void payload_limits_of(const struct platform *p, struct payload_limits *out);
/* AWS Lambda's own limits (PAYLOAD_LAMBDA_*). */
void payload_limits_lambda(struct payload_limits *out);

/* Checks an event of `bytes` (its JSON text) against the limit of its invocation type; `what`
 * names the invocation in the message ("function 3", "invoke siren-train"). Returns 0, or
 * SIREN_ELIMIT with e saying what, the size, the limit, which preset sets it and what to do
 * instead (keys into the KV store, not data). A limit of 0 never refuses. */
int payload_event_check(const struct payload_limits *l, enum payload_invocation type,
                        size_t bytes, const char *what, struct err *e) SIREN_WUR;

/* Whether a response of `bytes` is over the synchronous limit: 1 with Lambda's errorMessage
 * (errorType PAYLOAD_RESPONSE_ERROR_TYPE), followed by the preset and what to do, written into
 * msg (msg_len bytes, NUL-terminated); else 0 and msg untouched. */
int payload_response_over(const struct payload_limits *l, size_t bytes, char *msg,
                          size_t msg_len);

#endif

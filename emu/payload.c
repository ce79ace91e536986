/*
 * payload: the Invoke API's payload limits and their messages (payload.h). One place words
 * them, so that a refusal reads the same from a sandbox, a job, siren invoke or the Lambda
 * port, and always says where the limit comes from and what to do instead.
 */
#include "payload.h"

#include <stdio.h>
#include <string.h>

void payload_limits_of(const struct platform *p, struct payload_limits *out)
{
    memset(out, 0, sizeof *out);
    out->sync_bytes = p->payload_sync_bytes;
    out->async_bytes = p->payload_async_bytes;
    snprintf(out->preset, sizeof out->preset, "%s", p->name);
    snprintf(out->path, sizeof out->path, "%s", p->path);
}

void payload_limits_lambda(struct payload_limits *out)
{
    memset(out, 0, sizeof *out);
    out->sync_bytes = PAYLOAD_LAMBDA_SYNC_BYTES;
    out->async_bytes = PAYLOAD_LAMBDA_ASYNC_BYTES;
}

/* Where a limit comes from: "payload_bytes.sync of platform 'lambda-2019' (PATH)", or AWS
 * Lambda's own when no preset set it. */
static void limit_source(const struct payload_limits *l, const char *key, char *buf, size_t len)
{
    if (!l->preset[0]) snprintf(buf, len, "AWS Lambda's own limit");
    else if (l->path[0])
        snprintf(buf, len, "payload_bytes.%s of platform '%s', %s", key, l->preset, l->path);
    else snprintf(buf, len, "payload_bytes.%s of platform '%s'", key, l->preset);
}

int payload_event_check(const struct payload_limits *l, enum payload_invocation type,
                        size_t bytes, const char *what, struct err *e)
{
    int async = type == PAYLOAD_ASYNC;
    long long limit = async ? l->async_bytes : l->sync_bytes;
    if (limit <= 0 || bytes <= (unsigned long long)limit) return SIREN_OK;
    char from[1200];
    limit_source(l, async ? "async" : "sync", from, sizeof from);
    return err_set(e, SIREN_ELIMIT,
                   "%s: event of %zu bytes is over the %s invocation payload limit of %lld "
                   "bytes (%s); nothing was run. An event carries keys into the KV store, not "
                   "data: put the data in the store and pass its keys, or split the work over "
                   "more invocations",
                   what, bytes, async ? "asynchronous (Event)" : "synchronous (RequestResponse)",
                   limit, from);
}

int payload_response_over(const struct payload_limits *l, size_t bytes, char *msg,
                          size_t msg_len)
{
    if (l->sync_bytes <= 0 || bytes <= (unsigned long long)l->sync_bytes) return 0;
    char from[1200];
    limit_source(l, "sync", from, sizeof from);
    /* Lambda's own sentence first, so that the message reads as Lambda's does. */
    snprintf(msg, msg_len,
             "Response payload size (%zu bytes) exceeded maximum allowed payload size (%lld "
             "bytes). The limit is %s; a function puts its results in the KV store and returns "
             "their keys, not the data",
             bytes, l->sync_bytes, from);
    return 1;
}

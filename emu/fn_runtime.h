/*
 * fn_runtime: the in-process side of a function, used by siren-fn. A small registry maps
 * handler names to functions; an event loop reads framed events on one file descriptor
 * (stdin), runs the named handler, and writes framed responses on another (stdout), so one
 * process serves many events (a warm container). Nothing survives from one handler call to the
 * next except what the handler's own context keeps and the files under $TMPDIR (the
 * container's /tmp). The registry is filled before the loop starts and read-only afterwards.
 */

/* Frame: the payload length in decimal ASCII, '\n', then that many bytes of JSON.
 *   host -> fn: {"handler":"echo","event":<any JSON>}
 *   fn -> host: {"ready":true,"pid":N}                             once, at start-up
 *               {"ok":true,"response":{...}}                        handler succeeded
 *               {"ok":false,"errorType":"...","errorMessage":"..."} handler failed */
#ifndef SIREN_FN_RUNTIME_H
#define SIREN_FN_RUNTIME_H

#include "core.h"

/* Largest frame payload either side accepts (Lambda's synchronous payload limit is 6 MB). */
#define FN_FRAME_MAX_BYTES (16u << 20)
/* Longest length prefix: up to 10 digits and the newline. */
#define FN_FRAME_HEADER_MAX 11

/* A handler fills response (an empty JSON object it does not own) from event (borrowed).
 * Returns 0, or a negative SIREN_E* code with e set; that message becomes errorMessage and the
 * code's name (err_name) errorType. ctx is the pointer given at registration. */
typedef int (*fn_handler_fn)(const cJSON *event, cJSON *response, void *ctx, struct err *e);

/* Registers fn under name (copied up to 63 bytes); a later registration of the same name
 * replaces the earlier one. Errors: SIREN_EINVAL (empty name), SIREN_ELIMIT (table full). */
int fn_runtime_register(const char *name, fn_handler_fn fn, void *ctx) SIREN_WUR;

/* Registers the built-in test handlers: echo, alloc, spin, sleep, crash, misbehave, tmpfile,
 * blob (see fn_runtime.c for their events). */
void fn_runtime_register_builtins(void);

/* Looks a handler up; NULL if none. *ctx (may be NULL) receives its context. */
fn_handler_fn fn_runtime_lookup(const char *name, void **ctx);

/* In-process host: runs handler name on event. Caller owns *response (cJSON_Delete()).
 * Errors: SIREN_ENOTFOUND (no such handler), or the handler's own code. */
int fn_runtime_invoke(const char *name, const cJSON *event, cJSON **response,
                      struct err *e) SIREN_WUR;

/* The event loop: sends the ready frame on out_fd, then serves events from in_fd until it
 * ends (EOF). Blocks. Returns 0 on EOF, or SIREN_EFORMAT / SIREN_EIO for a broken stream
 * (message in e); siren-fn's main turns that into its exit status. */
int fn_runtime_serve(int in_fd, int out_fd, struct err *e) SIREN_WUR;

#endif

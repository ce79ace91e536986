/*
 * lambda_backend: the job backend "lambda" (emu/job.h's seam): each invocation of an emulated
 * job runs as a real Lambda invocation. The target is either a function name — the Invoke API
 * (lambda_invoke.h, SigV4, RequestResponse); a "%d" in it is replaced by the epoch's memory size,
 * so one deployed function per memory size can serve a scheduler that changes memory — or an
 * http:// URL of the local Runtime API emulator's bridge (scripts/peers/lambda-up.sh: POST
 * URL/invoke runs one invocation in a fresh bootstrap process). Either way the result is what a
 * sandbox reports: the response, Lambda's errorType/errorMessage, durations and peak memory.
 */
#ifndef SIREN_LAMBDA_BACKEND_H
#define SIREN_LAMBDA_BACKEND_H

#include "core.h"

/* Registers the "lambda" job backend (idempotent). */
void lambda_backend_register(void);

#endif

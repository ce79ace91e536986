/*
 * emu: the serverless emulator. This umbrella header is the folder's public interface; each
 * part has its own header beside it:
 *   platform.h  platform presets (Lambda 2019 / today, VM instance types): limits and prices
 *   kv.h        the KV store (S3 stand-in): file:, redis:// (and s3:// from lambda_port)
 *   ledger.h    the cost ledger: billed durations, request and storage fees
 *   sandbox.h   siren-fn processes with Lambda's memory, CPU and time limits, warm reuse
 *   workload.h  the workloads (data + model + hyper-parameters) and the reference trainer
 */
#ifndef SIREN_EMU_H
#define SIREN_EMU_H

#include "core.h"
#include "sandbox.h"
#include "kv.h"
#include "ledger.h"
#include "platform.h"

#endif

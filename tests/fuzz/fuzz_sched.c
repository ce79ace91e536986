/*
 * fuzz_sched: scheduler policy files, sched_open("<prefix>FILE") then a few sched_next calls
 * (the first with no state, as before epoch 1). The prefix comes from the build
 * (FUZZ_SCHED_PREFIX, e.g. "schedule:" or "drl:"), so one source serves every file-backed
 * policy: a new one is one siren_fuzz_target() line in CMakeLists.txt. Input: the file.
 */
#include "scheduler.h"
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef FUZZ_SCHED_PREFIX
#define FUZZ_SCHED_PREFIX "schedule:"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *path = fuzz_write_file(0, "policy", data, size);
    char spec[600];
    snprintf(spec, sizeof spec, "%s%s", FUZZ_SCHED_PREFIX, path);
    struct sched_policy *p;
    struct err e;
    if (sched_open(spec, &p, &e) != SIREN_OK) return 0;
    for (int i = 0; i < 4; i++) {
        struct sched_action a;
        if (sched_next(p, NULL, &a, &e) != SIREN_OK) break;
    }
    sched_close(p);
    return 0;
}

/*
 * fuzz_platform: platform preset JSON (platform_load on a path). An accepted preset must give
 * sane derived numbers: the memory grid is non-empty and the clip lands on it. The input is
 * the whole file.
 */
#include "platform.h"
#include "fuzz_util.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *path = fuzz_write_file(0, "preset.json", data, size);
    struct platform p;
    struct err e;
    if (platform_load(path, &p, &e) != SIREN_OK) return 0;
    /* The helpers every caller uses next must be safe on whatever the loader accepted. */
    int m = platform_memory_clip_mb(&p, 1000.0);
    (void)platform_memory_valid(&p, m);
    (void)platform_vcpu_share(&p, m);
    (void)platform_invocation_cost_usd(&p, m, 123.4, 10.0);
    (void)platform_store_transfer_ms(&p, 1024, 1e6);
    (void)platform_network_mb_per_s(&p, 1792);
    (void)platform_cold_start_ms(&p);
    if (p.n_vms > 0) (void)platform_vm_cost_usd(&p, &p.vms[0], 2, 61.0);
    return 0;
}

/*
 * source: where the source tree is. The commands read committed inputs from it (the reference
 * calibrations and loss models in results/, the suites in bench/suites/, the platform presets
 * in emu/platforms/, the datasets' checksums) and the benchmarks write their results into it,
 * whatever the current directory. One lookup, so that every command finds the same tree.
 */
#include "core.h"

#include <stdlib.h>

const char *core_source_root(void)
{
    const char *env = getenv("SIREN_SOURCE_DIR");
    if (env && *env) return env;
#ifdef SIREN_SOURCE_ROOT
    /* Baked in by the build; gone when the binary was copied to another machine. */
    if (fs_is_dir(SIREN_SOURCE_ROOT)) return SIREN_SOURCE_ROOT;
#endif
    return ".";
}

int core_source_path(const char *rel, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/%s", core_source_root(), rel);
    return n < 0 || (size_t)n >= len ? SIREN_ERANGE : SIREN_OK;
}

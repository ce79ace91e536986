/*
 * A copy of a shipped platform preset with its Invoke payload limits lowered, for the tests of
 * the payload limits (sandbox, siren run, the Lambda port): the limits are loaded the way a
 * user's own preset is, from a path, and every other number stays the shipped one.
 * Header-only; needs core (cJSON) and the source tree (core_source_path).
 */
#ifndef SIREN_TEST_PAYLOAD_PRESET_H
#define SIREN_TEST_PAYLOAD_PRESET_H

#include <stdio.h>
#include <stdlib.h>

#include "core.h"

/* Writes dir/<name>.json: emu/platforms/lambda-2019.json renamed `name`, with
 * payload_bytes.sync = sync_bytes and payload_bytes.async = async_bytes (a preset needs
 * async <= sync). Returns the path (caller frees), or NULL when it cannot be written. */
static inline char *tu_payload_preset(const char *dir, const char *name, long long sync_bytes,
                                      long long async_bytes)
{
    char src[4096];
    struct err e;
    cJSON *root = NULL;
    char *path = NULL;
    if (core_source_path("emu/platforms/lambda-2019.json", src, sizeof src) ||
        json_load_file(src, &root, &e))
        return NULL;
    cJSON *pb = cJSON_GetObjectItemCaseSensitive(root, "payload_bytes");
    cJSON *sync = cJSON_GetObjectItemCaseSensitive(pb, "sync");
    cJSON *async = cJSON_GetObjectItemCaseSensitive(pb, "async");
    if (sync && async && asprintf(&path, "%s/%s.json", dir, name) > 0) {
        cJSON_ReplaceItemInObjectCaseSensitive(root, "name", cJSON_CreateString(name));
        cJSON_ReplaceItemInObjectCaseSensitive(sync, "value",
                                               cJSON_CreateNumber((double)sync_bytes));
        cJSON_ReplaceItemInObjectCaseSensitive(async, "value",
                                               cJSON_CreateNumber((double)async_bytes));
        if (json_write_file(path, root, &e)) {
            free(path);
            path = NULL;
        }
    }
    cJSON_Delete(root);
    return path;
}

#endif

/*
 * registry: the rule every process-wide table of named backends follows (core.h, backend
 * tables). It only decides, from what the table's owner found under the name, and logs a
 * refusal; the owner keeps and appends to its own table, so tables of different entry types
 * share the rule.
 */
#include "core.h"

int registry_admit(const void *taken, const void *entry, int count, int capacity,
                   const char *category, const char *what, const char *name)
{
    if (taken == entry) return REGISTRY_PRESENT;
    if (taken) {
        LOG_ERROR(category, "%s '%s': another table is registered under this name", what, name);
        return SIREN_EINVAL;
    }
    if (count >= capacity) {
        LOG_ERROR(category, "%s '%s': the table is full (%d entries)", what, name, capacity);
        return SIREN_ELIMIT;
    }
    return SIREN_OK;
}

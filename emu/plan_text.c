/* The texts of sync modes and update rules (planner.h), as the command line takes them and
 * summary.json records them. */
#include "planner.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

int plan_sync_parse(const char *text, enum plan_sync *sync, int *staleness, struct err *e)
{
    static const char *const names[] = {[PLAN_SYNC_HSP] = "hsp", [PLAN_SYNC_BSP] = "bsp",
                                        [PLAN_SYNC_ASP] = "asp"};
    for (int s = PLAN_SYNC_HSP; s <= PLAN_SYNC_ASP; s++)
        if (!strcmp(text, names[s])) {
            *sync = (enum plan_sync)s;
            *staleness = 0;
            return SIREN_OK;
        }
    long long bound;
    struct err ignore;
    if (!strncmp(text, "ssp:", 4) && !parse_long(text + 4, "ssp", &bound, &ignore) &&
        bound >= 0 && bound <= INT_MAX) {
        *sync = PLAN_SYNC_SSP;
        *staleness = (int)bound;
        return SIREN_OK;
    }
    return err_set(e, SIREN_EINVAL, "expected hsp, bsp, asp or ssp:S (S >= 0), got '%s'", text);
}

static const char *const update_names[] = {
    [PLAN_UPDATE_OVERWRITE] = "overwrite",     [PLAN_UPDATE_APPLY] = "apply",
    [PLAN_UPDATE_AVERAGE] = "average",         [PLAN_UPDATE_ALLREDUCE] = "allreduce",
    [PLAN_UPDATE_SCATTER_REDUCE] = "scatter-reduce", [PLAN_UPDATE_ALLGATHER] = "allgather"};

int plan_update_parse(const char *text, enum plan_update *update, int *round_batches,
                      struct err *e)
{
    const char *colon = strchr(text, ':');
    size_t len = colon ? (size_t)(colon - text) : strlen(text);
    for (int u = PLAN_UPDATE_OVERWRITE; u <= PLAN_UPDATE_ALLGATHER; u++) {
        if (strlen(update_names[u]) != len || strncmp(text, update_names[u], len)) continue;
        int rounds = plan_update_in_rounds((enum plan_update)u);
        long long k = u == PLAN_UPDATE_AVERAGE || !rounds ? 0 : 1;
        struct err ignore;
        if (colon && (!rounds || parse_long(colon + 1, "K", &k, &ignore) || k < 1 ||
                      k > INT_MAX))
            break;
        *update = (enum plan_update)u;
        *round_batches = (int)k;
        return SIREN_OK;
    }
    return err_set(e, SIREN_EINVAL, "expected overwrite, apply, average[:K], allreduce[:K], "
                   "scatter-reduce[:K] or allgather[:K] (K >= 1), got '%s'", text);
}

const char *plan_update_format(enum plan_update update, int round_batches, char *buf,
                               size_t len)
{
    if (update < PLAN_UPDATE_OVERWRITE || update > PLAN_UPDATE_ALLGATHER)
        snprintf(buf, len, "?");
    else if (plan_update_in_rounds(update) &&
             (update == PLAN_UPDATE_AVERAGE ? round_batches > 0 : round_batches > 1))
        snprintf(buf, len, "%s:%d", update_names[update], round_batches);
    else
        snprintf(buf, len, "%s", update_names[update]);
    return buf;
}

const char *plan_sync_format(enum plan_sync sync, int staleness, char *buf, size_t len)
{
    switch (sync) {
    case PLAN_SYNC_HSP: snprintf(buf, len, "hsp"); break;
    case PLAN_SYNC_BSP: snprintf(buf, len, "bsp"); break;
    case PLAN_SYNC_ASP: snprintf(buf, len, "asp"); break;
    case PLAN_SYNC_SSP: snprintf(buf, len, "ssp:%d", staleness); break;
    default: snprintf(buf, len, "?"); break;
    }
    return buf;
}

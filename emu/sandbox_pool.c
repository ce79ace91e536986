/*
 * sandbox_pool: idle sandboxes kept alive by memory size, as warm containers. An invocation
 * takes the most recently used match (same memory size, executable and method asked) or
 * opens a new sandbox; only a sandbox whose function returned (OK or a handler error) comes
 * back, and at most max_idle are kept: one more closes the least recently used.
 */
#include "sandbox_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sandbox_pool {
    int max_idle;
    int nidle;
    struct sandbox **idle;
    unsigned long clock;
};

int sandbox_pool_open(int max_idle, struct sandbox_pool **out, struct err *e)
{
    *out = NULL;
    if (max_idle < 0) return err_set(e, SIREN_EINVAL, "sandbox pool: max_idle %d", max_idle);
    struct sandbox_pool *p = calloc(1, sizeof *p);
    if (!p || (max_idle && !(p->idle = calloc((size_t)max_idle, sizeof *p->idle)))) {
        free(p);
        return err_set(e, SIREN_ENOMEM, "sandbox pool");
    }
    p->max_idle = max_idle;
    *out = p;
    return 0;
}

int sandbox_pool_idle(const struct sandbox_pool *pool) { return pool ? pool->nidle : 0; }

void sandbox_pool_close(struct sandbox_pool *pool)
{
    if (!pool) return;
    for (int i = 0; i < pool->nidle; i++) sandbox_close(pool->idle[i]);
    free(pool->idle);
    free(pool);
}

/* Whether an idle sandbox serves opts (memory size, executable, method asked). */
static int pool_match(const struct sandbox *sb, const struct sandbox_opts *opts,
                      const char *fn_path)
{
    if (sb->opts.mem_limit_mb != opts->mem_limit_mb || strcmp(sb->fn_path, fn_path)) return 0;
    return opts->mem_method == SANDBOX_MEM_AUTO || opts->mem_method == sb->method;
}

int sandbox_pool_invoke(struct sandbox_pool *pool, const struct sandbox_opts *opts,
                        const char *handler, const cJSON *event, struct sandbox_result *res,
                        struct err *e)
{
    char *text;
    int rc = sandbox_event_text(event, &text, res, e);
    if (!rc) rc = sandbox_pool_invoke_text(pool, opts, handler, text, res, e);
    free(text);
    return rc;
}

int sandbox_pool_invoke_text(struct sandbox_pool *pool, const struct sandbox_opts *opts,
                             const char *handler, const char *event_json,
                             struct sandbox_result *res, struct err *e)
{
    sandbox_result_init(res);
    if (!pool || !opts) return err_set(e, SIREN_EINVAL, "sandbox_pool_invoke: no pool or opts");
    char fn_path[PATH_MAX];
    int rc = opts->fn_path ? (snprintf(fn_path, sizeof fn_path, "%s", opts->fn_path), 0)
                           : sandbox_default_fn_path(fn_path, sizeof fn_path, e);
    if (rc) return rc;
    /* An event the Invoke API would refuse takes no container, warm or cold. */
    if ((rc = sandbox_event_check(opts, handler, event_json, e))) return rc;
    struct sandbox *sb = NULL;
    /* The most recently used match: the warmest container. */
    int best = -1;
    for (int i = 0; i < pool->nidle; i++)
        if (pool_match(pool->idle[i], opts, fn_path) &&
            (best < 0 || pool->idle[i]->pool_stamp > pool->idle[best]->pool_stamp))
            best = i;
    if (best >= 0) {
        sb = pool->idle[best];
        pool->idle[best] = pool->idle[--pool->nidle];
        sandbox_set_limits(sb, opts->timeout_ms, opts->cpu_limit_ms);
        sb->opts.payload = opts->payload;
    } else if ((rc = sandbox_open(opts, &sb, e))) {
        return rc;
    }
    rc = sandbox_invoke_text(sb, handler, event_json, res, e);
    if (rc || !sb->alive ||
        (res->status != SANDBOX_OK && res->status != SANDBOX_HANDLER_ERROR) ||
        pool->max_idle == 0) {
        sandbox_close(sb);
        return rc;
    }
    if (pool->nidle == pool->max_idle) {
        int lru = 0;
        for (int i = 1; i < pool->nidle; i++)
            if (pool->idle[i]->pool_stamp < pool->idle[lru]->pool_stamp) lru = i;
        sandbox_close(pool->idle[lru]);
        pool->idle[lru] = pool->idle[--pool->nidle];
    }
    sb->pool_stamp = ++pool->clock;
    pool->idle[pool->nidle++] = sb;
    return 0;
}

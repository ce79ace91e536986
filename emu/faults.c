/* Fault specs and keyed fault draws (see faults.h). */
#include "faults.h"

#include "streams.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fault_config_init(struct fault_config *c)
{
    memset(c, 0, sizeof *c);
    c->straggler_factor = 1.0;
    c->retries = FAULT_DEFAULT_RETRIES;
    c->retry_delay_s = FAULT_DEFAULT_RETRY_DELAY_S;
}

static int parse_prob(const char *key, const char *val, double hi_excl, double *out,
                      struct err *e)
{
    double p;
    if (parse_double(val, key, &p, e) || !(p >= 0) || (hi_excl > 0 ? !(p < hi_excl) : !(p <= 1)))
        return err_set(e, SIREN_EFORMAT, "--faults: %s=%s: expected a probability in [0, %s",
                       key, val, hi_excl > 0 ? "1)" : "1]");
    *out = p;
    return SIREN_OK;
}

int fault_config_parse(const char *spec, struct fault_config *c, struct err *e)
{
    char buf[512];
    if (strlen(spec) >= sizeof buf)
        return err_set(e, SIREN_EFORMAT, "--faults: the spec is longer than %zu bytes", sizeof buf - 1);
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return err_set(e, SIREN_EFORMAT, "--faults: '%s' is not key=value (keys: crash, "
                           "straggler, kv-error, throttle)", tok);
        *eq = '\0';
        const char *val = eq + 1;
        int rc = SIREN_OK;
        if (!strcmp(tok, "crash")) {
            rc = parse_prob("crash", val, 0, &c->crash_p, e);
        } else if (!strcmp(tok, "kv-error")) {
            rc = parse_prob("kv-error", val, 1, &c->kv_error_p, e);
        } else if (!strcmp(tok, "straggler")) {
            char pb[64];
            const char *colon = strchr(val, ':');
            if (!colon || (size_t)(colon - val) >= sizeof pb)
                return err_set(e, SIREN_EFORMAT, "--faults: straggler=%s: expected P:FACTOR "
                               "(e.g. straggler=0.1:3)", val);
            memcpy(pb, val, (size_t)(colon - val));
            pb[colon - val] = '\0';
            double f;
            if ((rc = parse_prob("straggler", pb, 0, &c->straggler_p, e))) return rc;
            if (parse_double(colon + 1, "straggler factor", &f, e) || !(f >= 1) || !isfinite(f))
                return err_set(e, SIREN_EFORMAT, "--faults: straggler=%s: the factor must be a "
                               "number >= 1", val);
            c->straggler_factor = f;
        } else if (!strcmp(tok, "throttle")) {
            if (!strcmp(val, "on")) c->throttle = 1;
            else if (!strcmp(val, "off")) c->throttle = 0;
            else
                return err_set(e, SIREN_EFORMAT, "--faults: throttle=%s: expected on or off", val);
        } else {
            return err_set(e, SIREN_EFORMAT, "--faults: unknown key '%s' (keys: crash, straggler, "
                           "kv-error, throttle)", tok);
        }
        if (rc) return rc;
    }
    return SIREN_OK;
}

int fault_config_active(const struct fault_config *c)
{
    return c->crash_p > 0 || c->straggler_p > 0 || c->kv_error_p > 0 || c->throttle;
}

void fault_config_format(const struct fault_config *c, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "crash=%g,straggler=%g:%g,kv-error=%g,throttle=%s", c->crash_p,
             c->straggler_p, c->straggler_factor, c->kv_error_p, c->throttle ? "on" : "off");
}

/* One stream id from the coordinates of a draw, mixed so that nearby coordinates give
 * unrelated streams (rng_seed_stream mixes once more). */
static uint64_t stream_id(int tag, int epoch, int fn, int invocation, int attempt, int step)
{
    const uint64_t k = 0x9e3779b97f4a7c15ULL;
    uint64_t x = (uint64_t)tag;
    x = x * k + (uint64_t)(uint32_t)epoch;
    x = (x ^ (x >> 29)) * k + (uint64_t)(uint32_t)fn;
    x = (x ^ (x >> 29)) * k + (uint64_t)(uint32_t)invocation;
    x = (x ^ (x >> 29)) * k + (uint64_t)(uint32_t)attempt;
    x = (x ^ (x >> 29)) * k + (uint64_t)(uint32_t)step;
    return x ^ (x >> 31);
}

void fault_draw_attempt(const struct fault_config *c, int epoch, int fn, int invocation,
                        int attempt, int first_step, int n_steps, struct fault_attempt_draw *out)
{
    struct rng r;
    rng_seed_stream(&r, c->seed,
                    stream_id(STREAM_FAULT_ATTEMPT, epoch, fn, invocation, attempt, 0));
    /* Always the same four draws, so one fault's probability never shifts another's. */
    double u_crash = rng_uniform(&r), u_where = rng_uniform(&r), u_frac = rng_uniform(&r);
    double u_slow = rng_uniform(&r);
    int left = n_steps - first_step;
    out->crash_step = -1;
    out->crash_frac = 0.0;
    if (left > 0 && u_crash < c->crash_p) {
        int k = (int)(u_where * left);
        out->crash_step = first_step + (k < left ? k : left - 1);
        out->crash_frac = u_frac;
    }
    out->compute_factor = u_slow < c->straggler_p ? c->straggler_factor : 1.0;
}

void fault_kv_stream(const struct fault_config *c, int epoch, int fn, int invocation, int attempt,
                     int step, struct rng *out)
{
    rng_seed_stream(out, c->seed,
                    stream_id(STREAM_FAULT_KV, epoch, fn, invocation, attempt, step));
}

int fault_kv_try(const struct fault_config *c, struct rng *r)
{
    return rng_uniform(r) < c->kv_error_p;
}

double fault_kv_backoff_s(struct rng *r, int tries_done)
{
    double cap = ldexp(1.0, tries_done - 1);
    if (cap > FAULT_KV_MAX_BACKOFF_S) cap = FAULT_KV_MAX_BACKOFF_S;
    return rng_uniform(r) * cap;
}

double fault_retry_delay_s(const struct fault_config *c, int retry)
{
    return c->retry_delay_s * ldexp(1.0, retry - 1);
}

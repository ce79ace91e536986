/* The learning rate under data parallelism (see lr_rule.h). */
#include "lr_rule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int lr_rule_parse(const char *text, struct lr_rule *out, struct err *e)
{
    struct lr_rule r = {LR_SCALE_NONE, LR_RULE_WARMUP_EPOCHS};
    const char *colon = strchr(text, ':');
    size_t name_len = colon ? (size_t)(colon - text) : strlen(text);
    if (name_len == 4 && !strncmp(text, "none", 4) && !colon) r.scale = LR_SCALE_NONE;
    else if (name_len == 4 && !strncmp(text, "auto", 4)) r.scale = LR_SCALE_AUTO;
    else if (name_len == 6 && !strncmp(text, "linear", 6)) r.scale = LR_SCALE_LINEAR;
    else if (name_len == 4 && !strncmp(text, "sqrt", 4)) r.scale = LR_SCALE_SQRT;
    else
        return err_set(e, SIREN_EFORMAT, "--lr-scale '%s': expected none, auto[:W], linear[:W] "
                       "or sqrt[:W] (W: warm-up epochs)", text);
    if (colon) {
        char *end;
        double w = strtod(colon + 1, &end);
        if (end == colon + 1 || *end || !(w >= 0) || w > 1e6)
            return err_set(e, SIREN_EFORMAT, "--lr-scale '%s': warm-up epochs '%s', expected a "
                           "number >= 0", text, colon + 1);
        r.warmup_epochs = w;
    }
    *out = r;
    return SIREN_OK;
}

void lr_rule_format(const struct lr_rule *r, char *buf, size_t len)
{
    const char *name = r->scale == LR_SCALE_LINEAR ? "linear"
                       : r->scale == LR_SCALE_SQRT ? "sqrt"
                       : r->scale == LR_SCALE_AUTO ? "auto"
                                                   : "none";
    if (r->scale == LR_SCALE_NONE) snprintf(buf, len, "%s", name);
    else snprintf(buf, len, "%s:%g", name, r->warmup_epochs);
}

void lr_rule_resolve(struct lr_rule *r, int optim_kind)
{
    if (r->scale == LR_SCALE_AUTO) r->scale = optim_kind == 1 ? LR_SCALE_LINEAR : LR_SCALE_SQRT;
}

double lr_rule_at(const struct lr_rule *r, double lr_epoch, double factor, double progress)
{
    if (r->scale == LR_SCALE_NONE || r->scale == LR_SCALE_AUTO || !(factor > 1.0))
        return lr_epoch;
    double full = r->scale == LR_SCALE_SQRT ? sqrt(factor) : factor;
    double ramp = r->warmup_epochs > 0 ? progress / r->warmup_epochs : 1.0;
    if (ramp > 1.0) ramp = 1.0;
    if (ramp < 0.0) ramp = 0.0;
    return lr_epoch * (1.0 + (full - 1.0) * ramp);
}

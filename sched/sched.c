/*
 * Policies behind the scheduler seam (see scheduler.h): static, schedule (from a file or an
 * action list), heuristic and drl. Heuristic and drl actions are clipped onto the job's grid
 * by sched_drive (the policy does not know the platform); static and schedule actions are
 * taken as given, so that a bad one is an error.
 */
#include "scheduler.h"

#include "sched_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum policy_kind { POLICY_STATIC = 1, POLICY_SCHEDULE, POLICY_HEURISTIC, POLICY_DRL };

struct sched_policy {
    enum policy_kind kind;
    char spec[1024];
    struct sched_action fixed;    /* static; heuristic: (n0, m) */
    struct sched_action *actions; /* schedule */
    size_t n_actions, next;
    int heur_n1;                  /* heuristic: floor on n */
    double heur_decay;            /* heuristic: n_t = max(n1, round(n0 decay^t)) */
    struct drl_policy drl;        /* drl */
};

const char *sched_spec(const struct sched_policy *p) { return p->spec; }

void sched_close(struct sched_policy *p)
{
    if (!p) return;
    free(p->actions);
    drl_policy_free(&p->drl);
    free(p);
}

/* "n=20,m=1024" */
static int parse_static(const char *args, struct sched_action *a, struct err *e)
{
    long long n = -1, m = -1;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", args);
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) return err_set(e, SIREN_EFORMAT, "static:%s: '%s' is not key=value", args, tok);
        *eq = '\0';
        long long *dst = !strcmp(tok, "n") ? &n : !strcmp(tok, "m") ? &m : NULL;
        if (!dst)
            return err_set(e, SIREN_EFORMAT, "static:%s: unknown key '%s' (expected n and m)", args, tok);
        if (parse_long(eq + 1, tok, dst, e) || *dst < 1)
            return err_set(e, SIREN_EFORMAT, "static:%s: %s must be an integer >= 1", args, tok);
    }
    if (n < 0 || m < 0)
        return err_set(e, SIREN_EFORMAT, "static:%s: expected static:n=N,m=MB", args);
    a->n = (int)n;
    a->memory_mb = (int)m;
    return SIREN_OK;
}

static int parse_schedule(const char *path, struct sched_policy *p, struct err *e)
{
    char *text;
    size_t len;
    int rc = fs_read_all(path, &text, &len, e);
    if (rc) return rc;
    size_t cap = 16;
    p->actions = malloc(cap * sizeof *p->actions);
    int line = 0;
    for (char *save, *ln = strtok_r(text, "\n", &save); ln && !rc; ln = strtok_r(NULL, "\n", &save)) {
        line++;
        char *hash = strchr(ln, '#');
        if (hash) *hash = '\0';
        long long n, m;
        char extra;
        if (strspn(ln, " \t\r") == strlen(ln)) continue;
        if (sscanf(ln, "%lld %lld %c", &n, &m, &extra) != 2 || n < 1 || m < 1) {
            rc = err_set(e, SIREN_EFORMAT, "%s line %d: expected two integers >= 1 (n m), got '%s'",
                         path, line, ln);
            break;
        }
        if (p->n_actions == cap) {
            struct sched_action *na = realloc(p->actions, (cap *= 2) * sizeof *na);
            if (!na) {
                rc = err_set(e, SIREN_ENOMEM, "out of memory");
                break;
            }
            p->actions = na;
        }
        p->actions[p->n_actions++] = (struct sched_action){(int)n, (int)m};
    }
    free(text);
    if (!rc && p->n_actions == 0) rc = err_set(e, SIREN_EFORMAT, "%s: no epochs in the schedule", path);
    return rc;
}

/* "n0=64,n1=4,decay=0.5,m=1024" (any subset; these are the defaults). */
static int parse_heuristic(const char *args, struct sched_policy *p, struct err *e)
{
    p->fixed = (struct sched_action){64, 1024};
    p->heur_n1 = 4;
    p->heur_decay = 0.5;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", args);
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) return err_set(e, SIREN_EFORMAT, "heuristic:%s: '%s' is not key=value", args, tok);
        *eq = '\0';
        double v;
        if (parse_double(eq + 1, tok, &v, e) || !(v > 0))
            return err_set(e, SIREN_EFORMAT, "heuristic:%s: %s must be a number > 0", args, tok);
        if (!strcmp(tok, "n0")) p->fixed.n = (int)v;
        else if (!strcmp(tok, "n1")) p->heur_n1 = (int)v;
        else if (!strcmp(tok, "m")) p->fixed.memory_mb = (int)v;
        else if (!strcmp(tok, "decay") && v <= 1) p->heur_decay = v;
        else return err_set(e, SIREN_EFORMAT, "heuristic:%s: unknown key or value '%s' (expected "
                            "n0, n1, decay <= 1, m)", args, tok);
    }
    if (p->fixed.n < 1 || p->heur_n1 < 1 || p->fixed.memory_mb < 1)
        return err_set(e, SIREN_EFORMAT, "heuristic:%s: n0, n1 and m must be >= 1", args);
    return SIREN_OK;
}

int sched_open_actions(const struct sched_action *a, int n, const char *spec,
                       struct sched_policy **out, struct err *e)
{
    *out = NULL;
    if (n < 1) return err_set(e, SIREN_EINVAL, "%s: an empty schedule", spec);
    struct sched_policy *p = calloc(1, sizeof *p);
    if (!p || !(p->actions = malloc((size_t)n * sizeof *a))) {
        free(p);
        return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    p->kind = POLICY_SCHEDULE;
    snprintf(p->spec, sizeof p->spec, "%s", spec);
    memcpy(p->actions, a, (size_t)n * sizeof *a);
    p->n_actions = (size_t)n;
    *out = p;
    return SIREN_OK;
}

int sched_open(const char *spec, struct sched_policy **out, struct err *e)
{
    *out = NULL;
    struct sched_policy *p = calloc(1, sizeof *p);
    if (!p) return err_set(e, SIREN_ENOMEM, "out of memory");
    snprintf(p->spec, sizeof p->spec, "%s", spec);
    int rc;
    if (!strncmp(spec, "static:", 7)) {
        p->kind = POLICY_STATIC;
        rc = parse_static(spec + 7, &p->fixed, e);
    } else if (!strncmp(spec, "schedule:", 9)) {
        p->kind = POLICY_SCHEDULE;
        rc = parse_schedule(spec + 9, p, e);
    } else if (!strcmp(spec, "heuristic") || !strncmp(spec, "heuristic:", 10)) {
        p->kind = POLICY_HEURISTIC;
        rc = parse_heuristic(spec[9] ? spec + 10 : "", p, e);
    } else if (!strncmp(spec, "drl:", 4)) {
        p->kind = POLICY_DRL;
        rc = drl_policy_load(spec + 4, &p->drl, e);
    } else if (!strcmp(spec, "grid") || !strcmp(spec, "oracle")) {
        rc = err_set(e, SIREN_EFORMAT, "scheduler '%s' searches the simulator: use it with `siren "
                     "sim` or `siren sched eval`, then pass the schedule it writes as "
                     "schedule:FILE", spec);
    } else {
        rc = err_set(e, SIREN_EFORMAT, "scheduler '%s': expected static:n=N,m=MB, schedule:FILE, "
                     "heuristic[:n0=,n1=,decay=,m=] or drl:POLICY", spec);
    }
    if (rc) {
        sched_close(p);
        return rc;
    }
    *out = p;
    return SIREN_OK;
}

int sched_next(struct sched_policy *p, const struct epoch_report *state, struct sched_action *out,
               struct err *e)
{
    (void)e;
    if (p->kind == POLICY_STATIC) {
        *out = p->fixed;
        return SIREN_OK;
    }
    if (p->kind == POLICY_HEURISTIC) {
        double n = p->fixed.n * pow(p->heur_decay, (double)p->next++);
        out->n = n < p->heur_n1 ? p->heur_n1 : (int)lround(n);
        out->memory_mb = p->fixed.memory_mb;
        return SIREN_OK;
    }
    if (p->kind == POLICY_DRL) {
        double x[DRL_IN];
        struct drl_cache c;
        drl_features(&p->drl.meta, state, x);
        drl_mlp_forward(&p->drl.net, x, &c);
        *out = drl_action_map(&p->drl.meta, c.y[0], c.y[1]);
        return SIREN_OK;
    }
    size_t i = p->next < p->n_actions ? p->next : p->n_actions - 1;
    p->next++;
    *out = p->actions[i];
    return SIREN_OK;
}

int sched_drive(struct sched_policy *p, const struct sched_target *t, int max_epochs,
                double budget_usd, struct epoch_report *last, struct err *e)
{
    struct epoch_report rep, *state = NULL;
    /* A resumed job has run `done` epochs already: the policy is brought to where it was
     * (the schedule and heuristic count the actions they gave; static and drl keep nothing),
     * and the run stops now if it had stopped then. */
    int done = t->epochs_done;
    if (done > 0 && t->last) {
        rep = *t->last;
        state = &rep;
        if (last) *last = rep;
        for (int epoch = 1; epoch <= done; epoch++) {
            struct sched_action skip;
            int rc = sched_next(p, state, &skip, e);
            if (rc) return rc;
        }
        if (rep.reached_target || (budget_usd > 0 && rep.total_cost_usd >= budget_usd))
            return SIREN_OK;
    }
    for (int epoch = done + 1; epoch <= max_epochs; epoch++) {
        struct sched_action a;
        int rc = sched_next(p, state, &a, e);
        if (rc) return rc;
        if (p->kind == POLICY_HEURISTIC || p->kind == POLICY_DRL) {
            int nmax = t->max_functions;
            a.n = a.n < 1 ? 1 : a.n > nmax ? nmax : a.n;
            a.memory_mb = t->memory_clip_mb(t->ctx, a.memory_mb);
        }
        if ((rc = t->run_epoch(t->ctx, a.n, a.memory_mb, &rep, e))) return rc;
        state = &rep;
        if (last) *last = rep;
        if (rep.reached_target) break;
        if (budget_usd > 0 && rep.total_cost_usd >= budget_usd) {
            LOG_INFO("sched", "budget of $%g reached after epoch %d", budget_usd, epoch);
            break;
        }
    }
    return SIREN_OK;
}

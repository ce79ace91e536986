/* Policies behind the scheduler seam (see sched.h). */
#include "scheduler.h"

#include <stdlib.h>
#include <string.h>

enum policy_kind { POLICY_STATIC = 1, POLICY_SCHEDULE };

struct sched_policy {
    enum policy_kind kind;
    char spec[1024];
    struct sched_action fixed;    /* static */
    struct sched_action *actions; /* schedule */
    size_t n_actions, next;
};

const char *sched_spec(const struct sched_policy *p) { return p->spec; }

void sched_close(struct sched_policy *p)
{
    if (!p) return;
    free(p->actions);
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
    } else {
        rc = err_set(e, SIREN_EFORMAT, "scheduler '%s': expected static:n=N,m=MB or schedule:FILE",
                     spec);
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
    (void)state;
    (void)e;
    if (p->kind == POLICY_STATIC) {
        *out = p->fixed;
        return SIREN_OK;
    }
    size_t i = p->next < p->n_actions ? p->next : p->n_actions - 1;
    p->next++;
    *out = p->actions[i];
    return SIREN_OK;
}

int sched_drive(struct sched_policy *p, struct job *j, int max_epochs, double budget_usd,
                struct epoch_report *last, struct err *e)
{
    struct epoch_report rep, *state = NULL;
    for (int epoch = 1; epoch <= max_epochs; epoch++) {
        struct sched_action a;
        int rc = sched_next(p, state, &a, e);
        if (rc) return rc;
        if ((rc = job_epoch(j, a.n, a.memory_mb, &rep, e))) return rc;
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

/*
 * The DRL agent (sched_internal.h): a tanh MLP giving a diagonal Gaussian over two action
 * coordinates (log n and log m, scaled to [-1, 1]), trained by REINFORCE with a learned value
 * baseline (Williams 1992; Sutton and Barto, ch. 13.4) and Adam (Kingma and Ba 2015), in the
 * simulator. One thread and one seeded stream: the same seed gives the same policy bits.
 */
#include "sched_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int drl_mlp_init(struct drl_mlp *m, int in, int hidden, int out, struct rng *r, double out_scale,
                 struct err *e)
{
    m->in = in;
    m->hidden = hidden;
    m->out = out;
    m->n_params = (size_t)(hidden * in + hidden + hidden * hidden + hidden + out * hidden + out);
    m->params = calloc(m->n_params, sizeof *m->params);
    if (!m->params) return err_set(e, SIREN_ENOMEM, "out of memory");
    if (!r) return SIREN_OK;
    double *w = m->params;
    /* Xavier-style scales; the output layer small so the first policy is near its mean. */
    for (int i = 0; i < hidden * in; i++) *w++ = rng_normal(r) / sqrt((double)in);
    w += hidden;
    for (int i = 0; i < hidden * hidden; i++) *w++ = rng_normal(r) / sqrt((double)hidden);
    w += hidden;
    for (int i = 0; i < out * hidden; i++) *w++ = out_scale * rng_normal(r) / sqrt((double)hidden);
    return SIREN_OK;
}

void drl_mlp_free(struct drl_mlp *m)
{
    if (!m) return;
    free(m->params);
    m->params = NULL;
}

void drl_mlp_forward(const struct drl_mlp *m, const double *x, struct drl_cache *c)
{
    int I = m->in, H = m->hidden, O = m->out;
    const double *W1 = m->params, *b1 = W1 + H * I, *W2 = b1 + H, *b2 = W2 + H * H,
                 *W3 = b2 + H, *b3 = W3 + O * H;
    memcpy(c->x, x, (size_t)I * sizeof *x);
    for (int j = 0; j < H; j++) {
        double s = b1[j];
        for (int i = 0; i < I; i++) s += W1[j * I + i] * x[i];
        c->h1[j] = tanh(s);
    }
    for (int j = 0; j < H; j++) {
        double s = b2[j];
        for (int i = 0; i < H; i++) s += W2[j * H + i] * c->h1[i];
        c->h2[j] = tanh(s);
    }
    for (int o = 0; o < O; o++) {
        double s = b3[o];
        for (int i = 0; i < H; i++) s += W3[o * H + i] * c->h2[i];
        c->y[o] = s;
    }
}

void drl_mlp_backward(const struct drl_mlp *m, const struct drl_cache *c, const double *dy,
                      double *grad)
{
    int I = m->in, H = m->hidden, O = m->out;
    const double *W2 = m->params + H * I + H, *W3 = W2 + H * H + H;
    double *gW1 = grad, *gb1 = gW1 + H * I, *gW2 = gb1 + H, *gb2 = gW2 + H * H, *gW3 = gb2 + H,
           *gb3 = gW3 + O * H;
    double d2[DRL_HIDDEN] = {0}, d1[DRL_HIDDEN] = {0};
    for (int o = 0; o < O; o++) {
        gb3[o] += dy[o];
        for (int i = 0; i < H; i++) {
            gW3[o * H + i] += dy[o] * c->h2[i];
            d2[i] += dy[o] * W3[o * H + i];
        }
    }
    for (int j = 0; j < H; j++) {
        double d = d2[j] * (1 - c->h2[j] * c->h2[j]);
        gb2[j] += d;
        for (int i = 0; i < H; i++) {
            gW2[j * H + i] += d * c->h1[i];
            d1[i] += d * W2[j * H + i];
        }
    }
    for (int j = 0; j < H; j++) {
        double d = d1[j] * (1 - c->h1[j] * c->h1[j]);
        gb1[j] += d;
        for (int i = 0; i < I; i++) gW1[j * I + i] += d * c->x[i];
    }
}

/* log sigma in [hi - log DRL_SIGMA_RANGE, hi]: a tanh squashing under the annealed ceiling
 * hi, so that the policy can narrow its exploration by a bounded factor but not collapse it
 * early (which, unbounded, it did within a few thousand episodes, stuck in the first schedule
 * that reached the target). */
double drl_log_std(double y, double hi)
{
    return hi - log(DRL_SIGMA_RANGE) * 0.5 * (1.0 - tanh(y));
}

double drl_log_std_slope(double y, double hi)
{
    (void)hi;
    double t = tanh(y);
    return log(DRL_SIGMA_RANGE) * 0.5 * (1.0 - t * t);
}

/* log(loss / target), clipped to [-0.5, 2]: l / loss0 barely moves near the target (0.41 and
 * 0.40 of 2.3 differ by 0.4 %), where the last epochs are decided. */
static double loss_gap(const struct drl_meta *m, double loss)
{
    double g = m->target_loss > 0 && loss > 0 ? log(loss / m->target_loss) : 0.0;
    return g < -0.5 ? -0.5 : g > 2 ? 2 : g;
}

void drl_features(const struct drl_meta *m, const struct epoch_report *s, double *x)
{
    memset(x, 0, DRL_IN * sizeof *x);
    x[1] = 1.0;
    x[8] = 1.0;
    x[9] = loss_gap(m, m->loss0);
    if (!s) return;
    double phases = s->fetch_s + s->compute_s + s->update_s;
    x[0] = (double)s->epoch / m->max_epochs;
    x[1] = s->test_loss / m->loss0;
    x[2] = s->time_s / (s->time_s + m->epoch_time_ref_s);
    if (phases > 0) {
        x[3] = s->fetch_s / phases;
        x[4] = s->compute_s / phases;
        x[5] = s->update_s / phases;
    }
    x[6] = s->cpu_util;
    x[7] = s->mem_util < 1 ? s->mem_util : 1;
    double left = isfinite(s->budget_left_usd) ? s->budget_left_usd / m->budget_usd : 4.0;
    x[8] = left < -1 ? -1 : left > 4 ? 4 : left;
    x[9] = loss_gap(m, s->test_loss);
}

struct sched_action drl_action_map(const struct drl_meta *m, double a_n, double a_m)
{
    a_n = a_n < -1 ? -1 : a_n > 1 ? 1 : a_n;
    a_m = a_m < -1 ? -1 : a_m > 1 ? 1 : a_m;
    double ln = 0.5 * (a_n + 1) * log((double)m->n_max);
    double lm = log((double)m->m_min) + 0.5 * (a_m + 1) * (log((double)m->m_max) - log((double)m->m_min));
    struct sched_action a;
    a.n = (int)lround(exp(ln));
    if (a.n < 1) a.n = 1;
    if (a.n > m->n_max) a.n = m->n_max;
    long k = lround((exp(lm) - m->m_min) / m->m_step);
    a.memory_mb = (int)(m->m_min + k * m->m_step);
    if (a.memory_mb > m->m_max) a.memory_mb = m->m_max;
    if (a.memory_mb < m->m_min) a.memory_mb = m->m_min;
    return a;
}

void drl_action_unmap(const struct drl_meta *m, struct sched_action a, double *a_n, double *a_m)
{
    *a_n = m->n_max > 1 ? 2.0 * log((double)a.n) / log((double)m->n_max) - 1.0 : 0.0;
    *a_m = m->m_max > m->m_min ? 2.0 * (log((double)a.memory_mb) - log((double)m->m_min)) /
                                         (log((double)m->m_max) - log((double)m->m_min)) - 1.0
                               : 0.0;
}

/* ------------------------------------------------------------------ policy file */

void drl_policy_free(struct drl_policy *p)
{
    if (p) drl_mlp_free(&p->net);
}

/* A number printed with %.17g, which reads back as the same double. */
static void add_exact(cJSON *o, const char *key, double v)
{
    char num[40];
    snprintf(num, sizeof num, "%.17g", v);
    cJSON_AddRawToObject(o, key, num);
}

int drl_policy_save(const char *path, const struct drl_policy *p, struct err *e)
{
    const struct drl_meta *m = &p->meta;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "format", "siren-drl-2");
    cJSON_AddStringToObject(o, "workload", m->workload);
    add_exact(o, "budget_usd", m->budget_usd);
    add_exact(o, "target_loss", m->target_loss);
    add_exact(o, "loss0", m->loss0);
    add_exact(o, "epoch_time_ref_s", m->epoch_time_ref_s);
    add_exact(o, "jct_ref_s", m->jct_ref_s);
    cJSON_AddNumberToObject(o, "max_epochs", m->max_epochs);
    cJSON_AddNumberToObject(o, "n_max", m->n_max);
    cJSON_AddNumberToObject(o, "memory_mb_min", m->m_min);
    cJSON_AddNumberToObject(o, "memory_mb_max", m->m_max);
    cJSON_AddNumberToObject(o, "memory_mb_step", m->m_step);
    cJSON_AddNumberToObject(o, "seed", (double)m->seed);
    cJSON_AddNumberToObject(o, "episodes", m->episodes);
    cJSON *layers = cJSON_AddArrayToObject(o, "layers");
    int dims[4] = {p->net.in, p->net.hidden, p->net.hidden, p->net.out};
    for (int i = 0; i < 4; i++) cJSON_AddItemToArray(layers, cJSON_CreateNumber(dims[i]));
    cJSON *arr = cJSON_AddArrayToObject(o, "params");
    /* %.17g round-trips every double exactly (cJSON's own printing may not). */
    for (size_t i = 0; i < p->net.n_params; i++) {
        char num[40];
        snprintf(num, sizeof num, "%.17g", p->net.params[i]);
        cJSON_AddItemToArray(arr, cJSON_CreateRaw(num));
    }
    int rc = json_write_file(path, o, e);
    cJSON_Delete(o);
    return rc;
}

int drl_policy_load(const char *path, struct drl_policy *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    cJSON *o;
    int rc = json_load_file(path, &o, e);
    if (rc) return rc;
    struct drl_meta *m = &out->meta;
    const char *fmt = NULL, *wl = NULL;
    long long me, nm, m0, m1, ms;
    double seed = 0;
    if ((rc = json_get_string(o, "format", path, &fmt, e))) goto out;
    if (strcmp(fmt, "siren-drl-2")) {
        rc = err_set(e, SIREN_EFORMAT, "%s: key 'format': '%s', expected siren-drl-2", path, fmt);
        goto out;
    }
    const struct json_number_field numbers[] = {
        {"budget_usd", &m->budget_usd},
        {"target_loss", &m->target_loss},
        {"loss0", &m->loss0},
        {"epoch_time_ref_s", &m->epoch_time_ref_s},
        {"jct_ref_s", &m->jct_ref_s},
    };
    if ((rc = json_get_string(o, "workload", path, &wl, e)) ||
        (rc = json_get_numbers(o, path, numbers, sizeof numbers / sizeof *numbers, e)) ||
        (rc = json_get_int(o, "max_epochs", path, &me, e)) ||
        (rc = json_get_int(o, "n_max", path, &nm, e)) ||
        (rc = json_get_int(o, "memory_mb_min", path, &m0, e)) ||
        (rc = json_get_int(o, "memory_mb_max", path, &m1, e)) ||
        (rc = json_get_int(o, "memory_mb_step", path, &ms, e)) ||
        (rc = json_get_number(o, "seed", path, &seed, e)))
        goto out;
    if (!(m->budget_usd > 0) || !(m->loss0 > 0) || !(m->epoch_time_ref_s > 0) || me < 1 ||
        nm < 1 || m0 < 1 || m1 < m0 || ms < 1) {
        rc = err_set(e, SIREN_EFORMAT, "%s: budget_usd, loss0, epoch_time_ref_s must be > 0; "
                     "max_epochs, n_max, memory_mb_* >= 1 with memory_mb_min <= memory_mb_max", path);
        goto out;
    }
    snprintf(m->workload, sizeof m->workload, "%s", wl);
    m->max_epochs = (int)me;
    m->n_max = (int)nm;
    m->m_min = (int)m0;
    m->m_max = (int)m1;
    m->m_step = (int)ms;
    /* A seed that is not a whole number a double holds exactly cannot be cast (and would not
     * reproduce a policy anyway). */
    if (!(seed >= 0 && seed <= 9007199254740992.0 && seed == floor(seed))) {
        rc = err_set(e, SIREN_EFORMAT, "%s: key 'seed': expected a whole number in 0..2^53", path);
        goto out;
    }
    m->seed = (uint64_t)seed;
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(o, "layers");
    int dims[4] = {DRL_IN, DRL_HIDDEN, DRL_HIDDEN, DRL_OUT};
    if (!cJSON_IsArray(layers) || cJSON_GetArraySize(layers) != 4) {
        rc = err_set(e, SIREN_EFORMAT, "%s: key 'layers': expected [%d, %d, %d, %d]", path,
                     dims[0], dims[1], dims[2], dims[3]);
        goto out;
    }
    for (int i = 0; i < 4; i++) {
        const cJSON *d = cJSON_GetArrayItem(layers, i);
        if (!cJSON_IsNumber(d) || d->valueint != dims[i]) {
            rc = err_set(e, SIREN_EFORMAT, "%s: key 'layers': expected [%d, %d, %d, %d]", path,
                         dims[0], dims[1], dims[2], dims[3]);
            goto out;
        }
    }
    if ((rc = drl_mlp_init(&out->net, DRL_IN, DRL_HIDDEN, DRL_OUT, NULL, 0, e))) goto out;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "params");
    if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != out->net.n_params) {
        rc = err_set(e, SIREN_EFORMAT, "%s: key 'params': %d numbers, expected %zu", path,
                     cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1, out->net.n_params);
        goto out;
    }
    size_t i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, arr)
    {
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
            rc = err_set(e, SIREN_EFORMAT, "%s: key 'params': element %zu is not a finite number",
                         path, i);
            goto out;
        }
        out->net.params[i++] = v->valuedouble;
    }
out:
    cJSON_Delete(o);
    if (rc) drl_policy_free(out);
    return rc;
}

/* ------------------------------------------------------------------------ training */

struct adam {
    double *m, *v;
    double lr, b1, b2, eps;
    long t;
};

static int adam_init(struct adam *a, size_t n, double lr, struct err *e)
{
    a->m = calloc(n, sizeof *a->m);
    a->v = calloc(n, sizeof *a->v);
    a->lr = lr;
    a->b1 = 0.9;
    a->b2 = 0.999;
    a->eps = 1e-8;
    a->t = 0;
    if (!a->m || !a->v) return err_set(e, SIREN_ENOMEM, "out of memory");
    return SIREN_OK;
}

static void adam_free(struct adam *a)
{
    free(a->m);
    free(a->v);
}

/* Descends along grad (Kingma and Ba 2015, Algorithm 1). */
static void adam_step(struct adam *a, double *params, const double *grad, size_t n)
{
    a->t++;
    double c1 = 1 - pow(a->b1, (double)a->t), c2 = 1 - pow(a->b2, (double)a->t);
    for (size_t i = 0; i < n; i++) {
        a->m[i] = a->b1 * a->m[i] + (1 - a->b1) * grad[i];
        a->v[i] = a->b2 * a->v[i] + (1 - a->b2) * grad[i] * grad[i];
        params[i] -= a->lr * (a->m[i] / c1) / (sqrt(a->v[i] / c2) + a->eps);
    }
}

/* One step of an episode, kept for the update. */
struct drl_sample {
    double x[DRL_IN];
    double a[2];   /* sampled coordinates (before clamping) */
    double logp;   /* log-density of a under the policy that sampled it */
    double r;      /* reward */
    double v;      /* value estimate V(x) when sampled */
    double adv;    /* advantage */
    double ret;    /* value target */
    int last;      /* the episode's last step */
};

/* One episode of the mean action. */
static int greedy_episode(struct sim *s, const struct drl_policy *p, struct sim_result *out,
                          struct err *e)
{
    struct sched_action acts[SIM_MAX_EPOCHS];
    const struct epoch_report *state = NULL;
    struct epoch_report rep;
    int n = 0;
    sim_reset(s);
    while (sim_stopped(s) == SIM_RUNNING) {
        double x[DRL_IN];
        struct drl_cache c;
        drl_features(&p->meta, state, x);
        drl_mlp_forward(&p->net, x, &c);
        acts[n] = drl_action_map(&p->meta, c.y[0], c.y[1]);
        int rc = sim_step(s, acts[n++], &rep, e);
        if (rc) return rc;
        state = &rep;
    }
    /* Replaying the same actions gives the episode's result record. */
    return sim_run_actions(s, acts, n, out, e);
}

/* log N(a; mu, sigma) summed over the two coordinates, without the constant. */
static double gauss_logp(const struct drl_cache *c, const double *a, double hi, double *ls_out)
{
    double lp = 0;
    for (int k = 0; k < 2; k++) {
        double ls = drl_log_std(c->y[2 + k], hi), z = (a[k] - c->y[k]) / exp(ls);
        lp += -0.5 * z * z - ls;
        if (ls_out) ls_out[k] = ls;
    }
    return lp;
}

/* d(loss)/dy for loss = -w log pi(a|x) - ent * entropy, through the log-std squashing. */
static void logp_grad(const struct drl_cache *c, const double *a, double hi, double w, double ent,
                      double *dy)
{
    for (int k = 0; k < 2; k++) {
        double ls = drl_log_std(c->y[2 + k], hi), sig = exp(ls), z = (a[k] - c->y[k]) / sig;
        dy[k] = -w * z / sig;
        /* d log pi / d ls = z^2 - 1; d entropy / d ls = 1 */
        double dls = -w * (z * z - 1) - ent;
        dy[2 + k] = dls * drl_log_std_slope(c->y[2 + k], hi);
    }
}

/* The best greedy checkpoint over every start of a training run. */
struct drl_best {
    double *params;
    double score; /* JCT of the greedy episode (with a budget spread: summed over 3 budgets) */
    int have;
};

/* Runs the greedy policy at the training budget (or at B / spread, B and B x spread) and keeps
 * it in best if it reaches the target within budget faster than the best so far. */
static int checkpoint(struct sim *s, const struct drl_policy *p, double budget, double spread,
                      struct drl_best *best, struct err *e)
{
    struct sim_result g;
    double score = 0;
    int ok = 1, rc = 0;
    for (int b = spread > 1 ? -1 : 0; b <= (spread > 1 ? 1 : 0) && ok; b++) {
        sim_set_budget(s, budget * pow(spread, b));
        if ((rc = greedy_episode(s, p, &g, e))) break;
        ok = g.reached_target && g.within_budget;
        score += g.jct_s;
    }
    sim_set_budget(s, budget);
    if (!rc && ok && (!best->have || score < best->score)) {
        memcpy(best->params, p->net.params, p->net.n_params * sizeof *best->params);
        best->score = score;
        best->have = 1;
    }
    return rc;
}

/* One policy-gradient run of `episodes` episodes from a fresh network whose mean action is
 * start (coordinates in [-1, 1]; NULL: the random network), on its own random stream;
 * checkpoints go to best. */
static int train_from(struct sim *s, const struct sched_train_opts *o, struct drl_policy *out,
                      const double *start, int episodes, uint64_t stream, int start_idx,
                      int n_starts, struct drl_best *best, struct err *e)
{
    const struct sim_config *cfg = sim_config_of(s);
    const struct drl_meta *m = &out->meta;
    struct drl_mlp value = {0};
    struct adam ap = {0}, av = {0};
    struct drl_sample *buf = NULL;
    double *gp = NULL, *gv = NULL;
    size_t *order = NULL;
    int rc;
    const int ppo = o->algo == SCHED_TRAIN_PPO;
    /* cfg is the simulator's live configuration: its budget moves with the spread. */
    const double budget = cfg->budget_usd, spread = o->budget_spread > 1 ? o->budget_spread : 1;
    const double sig0 = o->sigma_start > 0 ? o->sigma_start : 0.3,
                 sig1 = o->sigma_end > 0 ? o->sigma_end : 0.02;
    struct rng r;
    rng_seed_stream(&r, o->seed, stream);
    drl_mlp_free(&out->net);
    if ((rc = drl_mlp_init(&out->net, DRL_IN, DRL_HIDDEN, DRL_OUT, &r, 0.1, e)) ||
        (rc = drl_mlp_init(&value, DRL_IN, DRL_HIDDEN, 1, &r, 0.1, e)) ||
        (rc = adam_init(&ap, out->net.n_params, o->lr_policy, e)) ||
        (rc = adam_init(&av, value.n_params, o->lr_value, e)))
        goto out;
    double *W3 = out->net.params + DRL_HIDDEN * DRL_IN + DRL_HIDDEN + DRL_HIDDEN * DRL_HIDDEN +
                 DRL_HIDDEN,
           *b3 = W3 + DRL_OUT * DRL_HIDDEN;
    /* The log-std starts near the top of its (annealed) range: wide exploration first. */
    b3[2] = b3[3] = 1.0;
    /* A warm start: the output layer's weights start at zero and its mean biases at the
     * starting action, so the first policy is that static schedule. */
    if (start) {
        memset(W3, 0, (size_t)(DRL_OUT * DRL_HIDDEN) * sizeof *W3);
        b3[0] = start[0];
        b3[1] = start[1];
    }
    int be = o->batch_episodes > 0 ? o->batch_episodes : 32;
    size_t cap = (size_t)be * (size_t)cfg->max_epochs;
    buf = malloc(cap * sizeof *buf);
    order = malloc(cap * sizeof *order);
    gp = malloc(out->net.n_params * sizeof *gp);
    gv = malloc(value.n_params * sizeof *gv);
    if (!buf || !order || !gp || !gv) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    int updates = (episodes + be - 1) / be;
    /* The starting policy is the first checkpoint (without a budget spread: with one, its
     * three budgets are checked from the first update on). */
    if (spread <= 1 && (rc = checkpoint(s, out, budget, 1, best, e))) goto out;

    double curve_ret = 0, curve_succ = 0, curve_jct = 0;
    int curve_n = 0, curve_ok = 0;
    for (int u = 0; u < updates; u++) {
        const double frac = updates > 1 ? (double)u / (updates - 1) : 1.0;
        /* Entropy annealing by the exploration ceiling: sigma <= sig0 (sig1/sig0)^frac, so
         * late updates search finely around the mean, where the budget's edge is. */
        const double hi = log(sig0) + frac * (log(sig1) - log(sig0));
        size_t ns = 0;
        for (int ep = 0; ep < be; ep++) {
            if (spread > 1) sim_set_budget(s, budget * exp(log(spread) * (2 * rng_uniform(&r) - 1)));
            sim_reset(s);
            struct epoch_report rep;
            const struct epoch_report *state = NULL;
            size_t first = ns;
            while (sim_stopped(s) == SIM_RUNNING) {
                struct drl_sample *d = &buf[ns++];
                struct drl_cache c, cv;
                drl_features(m, state, d->x);
                drl_mlp_forward(&out->net, d->x, &c);
                drl_mlp_forward(&value, d->x, &cv);
                for (int k = 0; k < 2; k++)
                    d->a[k] = c.y[k] + exp(drl_log_std(c.y[2 + k], hi)) * rng_normal(&r);
                d->logp = gauss_logp(&c, d->a, hi, NULL);
                d->v = cv.y[0];
                d->last = 0;
                struct sched_action a = drl_action_map(m, d->a[0], d->a[1]);
                if ((rc = sim_step(s, a, &rep, e))) goto out;
                state = &rep;
                d->r = -rep.time_s / m->jct_ref_s;
            }
            buf[ns - 1].last = 1;
            /* Terminal: a bonus for the target within budget, else a penalty that shrinks as
             * the loss gets closer to the target: -2 - 10 log(loss / target), at most -7. */
            double bud = sim_config_of(s)->budget_usd;
            int ok = rep.reached_target && (bud <= 0 || rep.total_cost_usd <= bud);
            double gap = 10.0 * log(rep.test_loss / m->target_loss);
            gap = gap < 0 ? 0 : gap > 5 ? 5 : gap;
            buf[ns - 1].r += ok ? 1.0 : -2.0 - gap;
            /* Advantages: GAE (Schulman et al. 2016), no discount (episodes are short and the
             * objective is the whole JCT); lambda = 1 is REINFORCE's G_t - V(s_t). */
            double lam = ppo ? o->gae_lambda : 1.0, gae = 0, total = 0;
            for (size_t k = ns; k-- > first;) {
                double vnext = buf[k].last ? 0.0 : buf[k + 1].v;
                double delta = buf[k].r + vnext - buf[k].v;
                gae = delta + lam * (buf[k].last ? 0.0 : gae);
                buf[k].adv = gae;
                buf[k].ret = gae + buf[k].v;
                total += buf[k].r;
            }
            curve_ret += total;
            curve_succ += ok;
            if (ok) {
                curve_jct += rep.total_time_s;
                curve_ok++;
            }
            curve_n++;
        }
        /* Advantages normalised over the batch. */
        double mean = 0, var = 0;
        for (size_t k = 0; k < ns; k++) mean += buf[k].adv;
        mean /= (double)ns;
        for (size_t k = 0; k < ns; k++) var += (buf[k].adv - mean) * (buf[k].adv - mean);
        double sd = sqrt(var / (double)ns) + 1e-8;
        for (size_t k = 0; k < ns; k++) buf[k].adv = (buf[k].adv - mean) / sd;
        /* Learning rates decay linearly to a tenth over the run; so does the entropy bonus,
         * to nothing. */
        double lrf = 1.0 - 0.9 * frac, ent = o->entropy_coef * (1.0 - frac);
        ap.lr = o->lr_policy * lrf;
        av.lr = o->lr_value * lrf;
        /* REINFORCE: one gradient step on the whole batch. PPO (Schulman et al. 2017): several
         * passes of minibatch steps on the clipped surrogate, which keeps each new policy near
         * the one that sampled the batch (ratio within 1 +- clip). */
        int passes = ppo ? (o->ppo_epochs > 0 ? o->ppo_epochs : 4) : 1;
        size_t mb = ppo ? (size_t)(o->minibatch > 0 ? o->minibatch : 256) : ns;
        for (size_t k = 0; k < ns; k++) order[k] = k;
        for (int pass = 0; pass < passes; pass++) {
            if (ppo)
                for (size_t k = ns; k > 1; k--) {
                    size_t j = (size_t)rng_below(&r, (uint64_t)k), t = order[k - 1];
                    order[k - 1] = order[j];
                    order[j] = t;
                }
            for (size_t lo = 0; lo < ns; lo += mb) {
                size_t hi_k = lo + mb < ns ? lo + mb : ns, cnt = hi_k - lo;
                /* A short tail minibatch is folded into the previous one. */
                if (ppo && ns - hi_k < mb / 2) {
                    hi_k = ns;
                    cnt = hi_k - lo;
                }
                memset(gp, 0, out->net.n_params * sizeof *gp);
                memset(gv, 0, value.n_params * sizeof *gv);
                for (size_t q = lo; q < hi_k; q++) {
                    const struct drl_sample *d = &buf[order[q]];
                    struct drl_cache c, cv;
                    drl_mlp_forward(&out->net, d->x, &c);
                    double w = d->adv;
                    if (ppo) {
                        double ratio = exp(gauss_logp(&c, d->a, hi, NULL) - d->logp);
                        /* The clipped side has no gradient. */
                        if ((d->adv > 0 && ratio > 1 + o->ppo_clip) ||
                            (d->adv < 0 && ratio < 1 - o->ppo_clip))
                            w = 0;
                        else w = d->adv * ratio;
                    }
                    double dy[DRL_OUT];
                    logp_grad(&c, d->a, hi, w / (double)cnt, ent / (double)cnt, dy);
                    drl_mlp_backward(&out->net, &c, dy, gp);
                    drl_mlp_forward(&value, d->x, &cv);
                    double dv = (cv.y[0] - d->ret) / (double)cnt; /* d/dV of squared error / 2 */
                    drl_mlp_backward(&value, &cv, &dv, gv);
                }
                adam_step(&ap, out->net.params, gp, out->net.n_params);
                adam_step(&av, value.params, gv, value.n_params);
                if (hi_k == ns) break;
            }
        }
        /* Every few updates, the greedy (mean-action) policy is run; the best one that
         * reaches the target within budget is kept (a checkpoint, not a change to the
         * gradient). */
        int every = o->greedy_every > 0 ? o->greedy_every : 5;
        if (((u + 1) % every == 0 || u + 1 == updates) &&
            (rc = checkpoint(s, out, budget, spread, best, e)))
            goto out;
        if (o->curve && o->print_every > 0 && ((u + 1) % o->print_every == 0 || u + 1 == updates)) {
            if (n_starts > 1) fprintf(o->curve, "start %d/%d  ", start_idx + 1, n_starts);
            fprintf(o->curve, "update %5d  episodes %7d  sigma_max %6.4f  return %8.4f  success "
                    "%5.3f  jct_s %10.3f  best_greedy_jct_s %10.3f\n",
                    u + 1, (u + 1) * be, exp(hi), curve_ret / curve_n, curve_succ / curve_n,
                    curve_ok ? curve_jct / curve_ok : (double)NAN, best->have ? best->score : (double)NAN);
            /* (with a budget spread, best_greedy_jct_s is the sum over the three budgets) */
            fflush(o->curve);
            curve_ret = curve_succ = curve_jct = 0;
            curve_n = curve_ok = 0;
        }
    }
out:
    sim_set_budget(s, budget);
    free(buf);
    free(order);
    free(gp);
    free(gv);
    adam_free(&ap);
    adam_free(&av);
    drl_mlp_free(&value);
    return rc;
}

int drl_train(struct sim *s, const struct sched_train_opts *o, struct drl_policy *out,
              struct err *e)
{
    memset(out, 0, sizeof *out);
    const struct sim_config *cfg = sim_config_of(s);
    struct drl_meta *m = &out->meta;
    struct drl_best best = {0};
    int rc;
    /* Normalisation and reward scale from the grid baseline at this budget. */
    struct sim_result grid;
    if ((rc = sim_grid_search(s, &grid, e))) return rc;
    snprintf(m->workload, sizeof m->workload, "%s", cfg->job.workload);
    m->budget_usd = cfg->budget_usd;
    m->target_loss = cfg->target_loss > 0 ? cfg->target_loss : cfg->job.default_target_loss;
    m->loss0 = cfg->loss.loss0;
    m->jct_ref_s = grid.jct_s > 0 ? grid.jct_s : 1.0;
    m->epoch_time_ref_s = grid.epochs ? grid.jct_s / grid.epochs : 1.0;
    m->max_epochs = cfg->max_epochs;
    m->n_max = sim_max_functions(s);
    m->m_min = sim_min_memory_mb(s);
    m->m_max = cfg->platform.memory_mb_max;
    m->m_step = cfg->platform.memory_mb_step;
    m->seed = o->seed;
    m->episodes = o->episodes;
    /* Starts: the grid baseline's static action first (so the result is never worse than
     * the best static schedule), then static actions spread log-evenly over n at the grid's
     * memory size, n = n_max^(k / starts) for k = 1 .. starts - 1 (a faster schedule may lie
     * in another basin: on lr-ctr the grid's one function is a local optimum that a few
     * functions more or less cannot leave). The episodes are split evenly. */
    int n_starts = o->starts > 1 ? o->starts : 1;
    int per_start = (o->episodes + n_starts - 1) / n_starts;
    double grid_a[2];
    drl_action_unmap(m, grid.actions[0], &grid_a[0], &grid_a[1]);
    if ((rc = drl_mlp_init(&out->net, DRL_IN, DRL_HIDDEN, DRL_OUT, NULL, 0, e))) return rc;
    best.params = malloc(out->net.n_params * sizeof *best.params);
    if (!best.params) rc = err_set(e, SIREN_ENOMEM, "out of memory");
    for (int k = 0; k < n_starts && !rc; k++) {
        double a[2] = {k ? -1.0 + 2.0 * k / n_starts : grid_a[0], grid_a[1]};
        /* start 0 keeps the stream of a one-start run, so its bits do not change */
        rc = train_from(s, o, out, o->cold_start ? NULL : a, per_start, 0xd71 + (uint64_t)k,
                        k, n_starts, &best, e);
    }
    if (!rc && best.have) memcpy(out->net.params, best.params, out->net.n_params * sizeof *best.params);
    free(best.params);
    if (rc) drl_policy_free(out);
    return rc;
}

int sched_drl_train(struct sim *s, const struct sched_train_opts *o, const char *out_path,
                    struct err *e)
{
    struct drl_policy p;
    int rc = drl_train(s, o, &p, e);
    if (rc) return rc;
    rc = drl_policy_save(out_path, &p, e);
    drl_policy_free(&p);
    return rc;
}

void sched_train_opts_default(struct sched_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->episodes = 20000;
    o->batch_episodes = 64;
    o->lr_policy = 3e-4;
    o->lr_value = 1e-3;
    o->seed = 0;
    o->budget_spread = 1;
    o->algo = SCHED_TRAIN_PPO;
    o->gae_lambda = 0.95;
    o->ppo_clip = 0.2;
    o->ppo_epochs = 4;
    o->minibatch = 256;
    o->entropy_coef = 0.0;
    o->sigma_start = 0.3;
    o->sigma_end = 0.02;
    o->greedy_every = 5;
    o->starts = 4;
}

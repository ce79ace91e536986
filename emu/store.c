/* How jobs share one KV store (see store.h): the key layout, owner records, locks, and the
 * lifecycle of a job's and a dataset's objects. */
#define _GNU_SOURCE
#include "store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- job ids */

static int id_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

int store_job_id_check(const char *id, struct err *e)
{
    size_t n = strlen(id);
    int ok = n >= 1 && n <= STORE_JOB_ID_MAX && id_char_ok(id[0]) && id[0] != '.' &&
             id[0] != '_' && id[0] != '-';
    for (size_t i = 0; ok && i < n; i++) ok = id_char_ok(id[i]);
    if (ok) return SIREN_OK;
    return err_set(e, SIREN_EINVAL, "job id '%.64s': expected 1 to %d letters, digits, '.', '_' "
                   "or '-', starting with a letter or a digit", id, STORE_JOB_ID_MAX);
}

/* n random bytes as hex into buf (2n + 1 bytes); the clock's nanoseconds stand in where the
 * kernel has no entropy to give (an id is unique by its claim, not by chance alone). */
static void random_hex(char *buf, size_t n)
{
    unsigned char r[16] = {0};
    if (n > sizeof r) n = sizeof r;
    if (getrandom(r, n, GRND_NONBLOCK) != (ssize_t)n) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long long x = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 32);
        for (size_t i = 0; i < n; i++) r[i] = (unsigned char)(x >> (8 * (i % 8)));
    }
    for (size_t i = 0; i < n; i++) snprintf(buf + 2 * i, 3, "%02x", r[i]);
}

void store_job_id_new(char buf[STORE_JOB_ID_MAX + 1])
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char rnd[9];
    random_hex(rnd, 4);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(buf, STORE_JOB_ID_MAX + 1, "%s-%s", stamp, rnd);
}

/* ---------------------------------------------------------------- the key layout */

void store_key_job(char *buf, size_t len, const char *id) { snprintf(buf, len, "jobs/%s/", id); }
void store_key_owner(char *buf, size_t len, const char *id)
{
    snprintf(buf, len, "jobs/%s/owner", id);
}
void store_key_beat(char *buf, size_t len, const char *id) { snprintf(buf, len, "jobs/%s/beat", id); }
void store_key_ckpt_prefix(char *buf, size_t len, const char *id)
{
    snprintf(buf, len, "jobs/%s/ckpt/", id);
}
void store_key_ckpt(char *buf, size_t len, const char *id, int epoch)
{
    snprintf(buf, len, "jobs/%s/ckpt/e%06d", id, epoch);
}
void store_key_params_all(char *buf, size_t len, const char *id)
{
    snprintf(buf, len, "jobs/%s/params/", id);
}
void store_key_params(char *buf, size_t len, const char *id, int epoch)
{
    snprintf(buf, len, "jobs/%s/params/e%04d/", id, epoch);
}
void store_key_fault(char *buf, size_t len, const char *id, int epoch, int fn, int invocation,
                     int attempt, const char *kind)
{
    snprintf(buf, len, "jobs/%s/faults/e%04d/f%06d-i%d-a%d-%s", id, epoch, fn, invocation,
             attempt, kind);
}
void store_key_data_all(char *buf, size_t len) { snprintf(buf, len, "data/"); }
void store_key_data_prefix(char *buf, size_t len, const char *digest)
{
    snprintf(buf, len, "data/%s/", digest);
}
void store_key_data(char *buf, size_t len, const char *digest, size_t batch)
{
    snprintf(buf, len, "data/%s/b%07zu", digest, batch);
}
void store_key_data_ready(char *buf, size_t len, const char *digest)
{
    snprintf(buf, len, "data/%s/ready", digest);
}
void store_key_data_lock(char *buf, size_t len, const char *digest)
{
    snprintf(buf, len, "data/%s/lock", digest);
}
void store_key_data_user(char *buf, size_t len, const char *digest, const char *id)
{
    snprintf(buf, len, "data/%s/users/%s", digest, id);
}
void store_key_data_users(char *buf, size_t len, const char *digest)
{
    snprintf(buf, len, "data/%s/users/", digest);
}

/* ---------------------------------------------------------------- owner records */

/* The first line of a small file, without its newline ("" when it cannot be read). */
static void read_line(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    if (!fgets(buf, (int)len, f)) buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

/* The start time of process pid in clock ticks after boot (field 22 of /proc/PID/stat), or
 * -1 when there is no such process (a zombie counts as none); -2 when /proc cannot say. */
static long long proc_start(long long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%lld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? -1 : -2;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* pid (comm) state ppid ...: comm may hold spaces and parentheses, so start after the last
     * ')'; the start time is the 20th field after it. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ') return -2;
    char state = p[2];
    if (state == 'Z' || state == 'X') return -1;
    p += 2;
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p) p++;
    }
    if (!p) return -2;
    return strtoll(p, NULL, 10);
}

/* This machine as owner records name it. */
static void machine(char host[64], char boot[40], char pidns[40])
{
    host[0] = '\0';
    if (gethostname(host, 63) != 0) host[0] = '\0';
    host[63] = '\0';
    read_line("/proc/sys/kernel/random/boot_id", boot, 40);
    ssize_t n = readlink("/proc/self/ns/pid", pidns, 39);
    pidns[n > 0 ? n : 0] = '\0';
}

void store_owner_self(struct store_owner *o)
{
    memset(o, 0, sizeof *o);
    machine(o->host, o->boot, o->pidns);
    o->pid = (long long)getpid();
    o->pid_start = proc_start(o->pid);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    o->started_s = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    random_hex(o->nonce, 8);
}

/* A time in seconds, printed so that it reads back bit for bit: cJSON prints 15 digits when
 * they compare equal within its epsilon, which loses a clock's nanoseconds. */
static void add_exact(cJSON *j, const char *key, double v)
{
    char num[32];
    snprintf(num, sizeof num, "%.17g", v);
    cJSON_AddItemToObject(j, key, cJSON_CreateRaw(num));
}

void store_owner_encode(const struct store_owner *o, char *buf, size_t len)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "host", o->host);
    cJSON_AddStringToObject(j, "boot", o->boot);
    cJSON_AddStringToObject(j, "pidns", o->pidns);
    cJSON_AddNumberToObject(j, "pid", (double)o->pid);
    cJSON_AddNumberToObject(j, "pid_start", (double)o->pid_start);
    add_exact(j, "started_s", o->started_s);
    cJSON_AddStringToObject(j, "nonce", o->nonce);
    if (o->kept) {
        cJSON_AddTrueToObject(j, "kept");
        add_exact(j, "finished_s", o->finished_s);
    }
    char *text = cJSON_PrintUnformatted(j);
    snprintf(buf, len, "%s", text ? text : "{}");
    free(text);
    cJSON_Delete(j);
}

/* Copies string field key of j into buf (cut to fit). */
static int copy_field(const cJSON *j, const char *key, const char *where, char *buf, size_t len,
                      struct err *e)
{
    const char *s;
    int rc = json_get_string(j, key, where, &s, e);
    if (!rc) snprintf(buf, len, "%s", s);
    return rc;
}

int store_owner_decode(const char *text, size_t len, const char *where, struct store_owner *o,
                       struct err *e)
{
    memset(o, 0, sizeof *o);
    cJSON *j = cJSON_ParseWithLength(text, len);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return err_set(e, SIREN_EFORMAT, "%s: not an owner record (a JSON object)", where);
    }
    long long pid, start;
    double started;
    int rc;
    if ((rc = copy_field(j, "host", where, o->host, sizeof o->host, e)) ||
        (rc = copy_field(j, "boot", where, o->boot, sizeof o->boot, e)) ||
        (rc = copy_field(j, "pidns", where, o->pidns, sizeof o->pidns, e)) ||
        (rc = copy_field(j, "nonce", where, o->nonce, sizeof o->nonce, e)) ||
        (rc = json_get_int(j, "pid", where, &pid, e)) ||
        (rc = json_get_int(j, "pid_start", where, &start, e)) ||
        (rc = json_get_number(j, "started_s", where, &started, e)))
        goto out;
    o->pid = pid;
    o->pid_start = start;
    o->started_s = started;
    if (cJSON_GetObjectItemCaseSensitive(j, "kept")) {
        o->kept = 1;
        if ((rc = json_get_number(j, "finished_s", where, &o->finished_s, e))) goto out;
    }
out:
    cJSON_Delete(j);
    return rc;
}

enum store_liveness store_owner_liveness(const struct store_owner *o)
{
    char host[64], boot[40], pidns[40];
    machine(host, boot, pidns);
    if (!host[0] || !boot[0] || !pidns[0] || strcmp(host, o->host) || strcmp(boot, o->boot) ||
        strcmp(pidns, o->pidns))
        return STORE_UNKNOWN;
    long long start = proc_start(o->pid);
    if (start == -2) return STORE_UNKNOWN;
    return start >= 0 && start == o->pid_start ? STORE_ALIVE : STORE_GONE;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void store_owner_describe(const struct store_owner *o, char *buf, size_t len)
{
    time_t t = (time_t)o->started_s;
    struct tm tm;
    char when[32] = "?";
    if (localtime_r(&t, &tm)) strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf, len, "host %s, pid %lld, started %s (%.0f s ago)", o->host, o->pid, when,
             now_s() - o->started_s);
}

int store_beat_put(struct kv *kv, const char *id, struct err *e)
{
    char key[STORE_KEY_MAX], text[32];
    store_key_beat(key, sizeof key, id);
    snprintf(text, sizeof text, "%.3f", now_s());
    if (kv_put(kv, key, text, strlen(text))) return err_set(e, kv_errcode(kv), "%s", kv_errmsg(kv));
    return SIREN_OK;
}

double store_last_heard_s(struct kv *kv, const char *id, const struct store_owner *o)
{
    char key[STORE_KEY_MAX];
    double last = o->kept ? o->finished_s : o->started_s;
    struct kv_value v;
    store_key_beat(key, sizeof key, id);
    if (kv_get(kv, key, &v) == SIREN_OK) {
        double beat = strtod((const char *)v.data, NULL);
        if (beat > last) last = beat;
        kv_value_free(&v);
    }
    return last;
}

/* ---------------------------------------------------------------- locks */

/* Whether the lock at key (its record read into v) may be broken: its holder is gone, or
 * cannot be checked and took it more than STORE_LOCK_STALE_S ago, or it is no record. */
static int lock_stale(const struct kv_value *v, const char *key)
{
    struct store_owner o;
    struct err ignore;
    if (store_owner_decode((const char *)v->data, v->len, key, &o, &ignore)) return 1;
    enum store_liveness l = store_owner_liveness(&o);
    return l == STORE_GONE || (l == STORE_UNKNOWN && now_s() - o.started_s > STORE_LOCK_STALE_S);
}

int store_lock_try(struct kv *kv, const char *key, struct err *e)
{
    struct store_owner self;
    char text[STORE_OWNER_TEXT_MAX];
    store_owner_self(&self);
    store_owner_encode(&self, text, sizeof text);
    /* A few rounds: the holder may let go, or a stale lock be broken, between two calls. */
    for (int round = 0; round < 4; round++) {
        int rc = kv_put_new(kv, key, text, strlen(text));
        if (rc == SIREN_OK) return SIREN_OK;
        if (rc != SIREN_EEXISTS) return err_set(e, rc, "%s", kv_errmsg(kv));
        struct kv_value v;
        rc = kv_get(kv, key, &v);
        if (rc == SIREN_ENOTFOUND) continue; /* let go meanwhile */
        if (rc) return err_set(e, rc, "%s", kv_errmsg(kv));
        int stale = lock_stale(&v, key);
        kv_value_free(&v);
        if (!stale) return err_set(e, SIREN_EEXISTS, "%s: held by a live process", key);
        LOG_WARN("store", "breaking the lock %s: its holder is gone", key);
        if (kv_delete(kv, key) && kv_errcode(kv) != SIREN_ENOTFOUND)
            return err_set(e, kv_errcode(kv), "%s", kv_errmsg(kv));
    }
    return err_set(e, SIREN_EEXISTS, "%s: taken by others each time it was free", key);
}

int store_lock(struct kv *kv, const char *key, struct err *e)
{
    double pause_ms = 10, waited_ms = 0;
    int told = 0;
    for (;;) {
        int rc = store_lock_try(kv, key, e);
        if (rc != SIREN_EEXISTS) return rc;
        if (!told && waited_ms > 10000) {
            LOG_INFO("store", "waiting for %s (another job is staging or deleting it)", key);
            told = 1;
        }
        struct timespec ts = {0, (long)(pause_ms * 1e6)};
        nanosleep(&ts, NULL);
        waited_ms += pause_ms;
        if (pause_ms < 200) pause_ms *= 2;
    }
}

void store_unlock(struct kv *kv, const char *key)
{
    if (kv_delete(kv, key) && kv_errcode(kv) != SIREN_ENOTFOUND)
        LOG_WARN("store", "cannot release the lock %s: %s", key, kv_errmsg(kv));
}

/* ---------------------------------------------------------------- lifecycle */

/* Deletes every key under prefix but `except` (NULL: none); *removed grows by the deleted. */
static int delete_under(struct kv *kv, const char *prefix, const char *except, size_t *removed,
                        struct err *e)
{
    struct kv_keys keys;
    if (kv_list(kv, prefix, &keys)) return err_set(e, kv_errcode(kv), "%s", kv_errmsg(kv));
    int rc = SIREN_OK;
    for (size_t i = 0; i < keys.count && !rc; i++) {
        if (except && !strcmp(keys.keys[i], except)) continue;
        if (kv_delete(kv, keys.keys[i]) == SIREN_OK) {
            if (removed) (*removed)++;
        } else if (kv_errcode(kv) != SIREN_ENOTFOUND) {
            rc = err_set(e, kv_errcode(kv), "%s", kv_errmsg(kv));
        }
    }
    kv_keys_free(&keys);
    return rc;
}

/* Deletes key; a missing one is no error. *removed grows when it was there. */
static int delete_one(struct kv *kv, const char *key, size_t *removed, struct err *e)
{
    if (kv_delete(kv, key) == SIREN_OK) {
        if (removed) (*removed)++;
        return SIREN_OK;
    }
    return kv_errcode(kv) == SIREN_ENOTFOUND ? SIREN_OK
                                              : err_set(e, kv_errcode(kv), "%s", kv_errmsg(kv));
}

int store_job_remove(struct kv *kv, const char *id, int keep_owner, size_t *removed,
                     struct err *e)
{
    char prefix[STORE_KEY_MAX], owner[STORE_KEY_MAX];
    store_key_job(prefix, sizeof prefix, id);
    store_key_owner(owner, sizeof owner, id);
    int rc = delete_under(kv, prefix, owner, removed, e);
    if (!rc && !keep_owner) rc = delete_one(kv, owner, removed, e);
    return rc;
}

/* The number of references to dataset digest (-1 on error, with e set). */
static long count_users(struct kv *kv, const char *digest, struct err *e)
{
    char users[STORE_KEY_MAX];
    struct kv_keys keys;
    store_key_data_users(users, sizeof users, digest);
    if (kv_list(kv, users, &keys)) {
        err_set(e, kv_errcode(kv), "%s", kv_errmsg(kv));
        return -1;
    }
    long n = (long)keys.count;
    kv_keys_free(&keys);
    return n;
}

/* Deletes dataset digest, its lock held and no reference left: the completion marker first,
 * so that nobody trusts what is left while the batches go. */
static int data_delete_locked(struct kv *kv, const char *digest, size_t *removed, struct err *e)
{
    char ready[STORE_KEY_MAX], prefix[STORE_KEY_MAX], lock[STORE_KEY_MAX];
    store_key_data_ready(ready, sizeof ready, digest);
    store_key_data_prefix(prefix, sizeof prefix, digest);
    store_key_data_lock(lock, sizeof lock, digest);
    int rc = delete_one(kv, ready, removed, e);
    if (!rc) rc = delete_under(kv, prefix, lock, removed, e);
    return rc;
}

int store_data_release(struct kv *kv, const char *digest, const char *id, size_t *removed,
                       struct err *e)
{
    char user[STORE_KEY_MAX], lock[STORE_KEY_MAX];
    store_key_data_user(user, sizeof user, digest, id);
    store_key_data_lock(lock, sizeof lock, digest);
    int rc = delete_one(kv, user, removed, e);
    long users = rc ? -1 : count_users(kv, digest, e);
    if (users != 0) return users < 0 ? e->code : SIREN_OK;
    /* Nobody else holds it: delete it under its lock, after checking again there, since a job
     * that starts to use it puts its reference before it takes the lock. A backend without
     * kv_put_new has no locks (S3, where one job runs at a time): delete it unlocked. */
    rc = store_lock(kv, lock, e);
    int locked = rc == SIREN_OK;
    if (rc && rc != SIREN_EUNSUPPORTED) return rc;
    users = count_users(kv, digest, e);
    if (users == 0) rc = data_delete_locked(kv, digest, removed, e);
    else rc = users < 0 ? e->code : SIREN_OK;
    if (locked) store_unlock(kv, lock);
    return rc;
}

/* ---------------------------------------------------------------- garbage collection */

/* The distinct second segments of keys under prefix ("jobs/" -> ids), sorted. Caller frees
 * out with kv_keys_free. */
static int list_names(struct kv *kv, const char *prefix, struct kv_keys *out, struct err *e)
{
    struct kv_keys keys;
    out->keys = NULL;
    out->count = 0;
    if (kv_list(kv, prefix, &keys)) return err_set(e, kv_errcode(kv), "%s", kv_errmsg(kv));
    size_t plen = strlen(prefix);
    int rc = SIREN_OK;
    out->keys = calloc(keys.count ? keys.count : 1, sizeof *out->keys);
    if (!out->keys) rc = err_set(e, SIREN_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < keys.count; i++) {
        const char *name = keys.keys[i] + plen, *slash = strchr(name, '/');
        size_t n = slash ? (size_t)(slash - name) : strlen(name);
        if (out->count && strlen(out->keys[out->count - 1]) == n &&
            !strncmp(out->keys[out->count - 1], name, n))
            continue; /* keys are sorted: a name's keys are together */
        if (!(out->keys[out->count] = strndup(name, n)))
            rc = err_set(e, SIREN_ENOMEM, "out of memory");
        else
            out->count++;
    }
    kv_keys_free(&keys);
    if (rc) kv_keys_free(out);
    return rc;
}

/* Objects under prefix (0 on error). */
static size_t count_under(struct kv *kv, const char *prefix)
{
    struct kv_keys keys;
    if (kv_list(kv, prefix, &keys)) return 0;
    size_t n = keys.count;
    kv_keys_free(&keys);
    return n;
}

static void gc_note(void (*note)(void *, const char *), void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void gc_note(void (*note)(void *, const char *), void *ctx, const char *fmt, ...)
{
    if (!note) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    note(ctx, line);
}

/* Whether job id is garbage; why (or why not) into why. -1: its owner record cannot be read
 * (e set), which keeps the job. */
static int job_garbage(struct kv *kv, const char *id, const struct store_gc_opts *o, char *why,
                       size_t len, struct err *e)
{
    char key[STORE_KEY_MAX], who[256];
    struct kv_value v;
    store_key_owner(key, sizeof key, id);
    int rc = kv_get(kv, key, &v);
    if (rc == SIREN_ENOTFOUND) {
        snprintf(why, len, "no owner record (a job that did not finish its clean-up)");
        return 1;
    }
    if (rc) {
        err_set(e, rc, "%s", kv_errmsg(kv));
        return -1;
    }
    struct store_owner ow;
    rc = store_owner_decode((const char *)v.data, v.len, key, &ow, e);
    kv_value_free(&v);
    if (rc) {
        snprintf(why, len, "its owner record cannot be read (%s)", e->msg);
        return 0;
    }
    store_owner_describe(&ow, who, sizeof who);
    if (ow.kept) {
        snprintf(why, len, "finished and kept (--keep; %s)%s", who,
                 o->kept ? "" : ": --kept removes it");
        return o->kept;
    }
    switch (store_owner_liveness(&ow)) {
    case STORE_ALIVE: snprintf(why, len, "running (%s)", who); return 0;
    case STORE_GONE: snprintf(why, len, "its owner is gone (%s)", who); return 1;
    case STORE_UNKNOWN: break;
    }
    double quiet = now_s() - store_last_heard_s(kv, id, &ow);
    int stale = o->stale_after_s > 0 && quiet > o->stale_after_s;
    snprintf(why, len, "its owner cannot be checked from here (%s; last heard of %.0f s ago)%s",
             who, quiet, stale ? "" : ": --stale-after S removes such jobs");
    return stale;
}

/* Whether name is in list[0..n). */
static int listed(char **list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], name)) return 1;
    return 0;
}

/* One dataset: its references of jobs that are gone (garbage, or no owner record) go; with
 * none left it goes too, under its lock. */
static int gc_data(struct kv *kv, const char *digest, const struct store_gc_opts *o,
                   char **garbage, size_t n_garbage, void (*note)(void *, const char *),
                   void *ctx, struct store_gc_report *out, struct err *e)
{
    char users[STORE_KEY_MAX], prefix[STORE_KEY_MAX], lock[STORE_KEY_MAX];
    store_key_data_users(users, sizeof users, digest);
    store_key_data_prefix(prefix, sizeof prefix, digest);
    store_key_data_lock(lock, sizeof lock, digest);
    struct kv_keys refs;
    if (kv_list(kv, users, &refs)) return err_set(e, kv_errcode(kv), "%s", kv_errmsg(kv));
    size_t left = 0;
    char first[STORE_JOB_ID_MAX + 1] = "";
    int rc = SIREN_OK;
    for (size_t i = 0; i < refs.count && !rc; i++) {
        const char *id = refs.keys[i] + strlen(users);
        char owner[STORE_KEY_MAX];
        struct kv_value v;
        store_key_owner(owner, sizeof owner, id);
        int has_owner = kv_get(kv, owner, &v) == SIREN_OK;
        if (has_owner) kv_value_free(&v);
        if (has_owner && !listed(garbage, n_garbage, id)) {
            if (!left++) snprintf(first, sizeof first, "%s", id);
            continue;
        }
        if (!o->dry_run) rc = delete_one(kv, refs.keys[i], &out->objects_removed, e);
    }
    kv_keys_free(&refs);
    if (rc) return rc;
    if (left) {
        gc_note(note, ctx, "data %.16s: left: used by %zu job%s (%s%s)", digest, left,
                left == 1 ? "" : "s", first, left > 1 ? ", ..." : "");
        out->data_left++;
        return SIREN_OK;
    }
    size_t objects = count_under(kv, prefix);
    if (o->dry_run) {
        gc_note(note, ctx, "data %.16s: would remove %zu objects: no job uses it", digest,
                objects);
        out->data_removed++;
        out->objects_removed += objects;
        return SIREN_OK;
    }
    rc = store_lock_try(kv, lock, e);
    if (rc == SIREN_EEXISTS) {
        gc_note(note, ctx, "data %.16s: left: a live process holds its lock (staging it)",
                digest);
        out->data_left++;
        return SIREN_OK;
    }
    if (rc) return rc;
    long now_users = count_users(kv, digest, e);
    size_t before = out->objects_removed;
    if (now_users == 0) rc = data_delete_locked(kv, digest, &out->objects_removed, e);
    else if (now_users < 0) rc = e->code;
    store_unlock(kv, lock);
    if (rc) return rc;
    if (now_users > 0) {
        gc_note(note, ctx, "data %.16s: left: a job started to use it", digest);
        out->data_left++;
    } else {
        gc_note(note, ctx, "data %.16s: removed %zu objects: no job uses it", digest,
                out->objects_removed - before);
        out->data_removed++;
    }
    return SIREN_OK;
}

int store_gc(struct kv *kv, const struct store_gc_opts *o,
             void (*note)(void *ctx, const char *line), void *ctx, struct store_gc_report *out,
             struct err *e)
{
    memset(out, 0, sizeof *out);
    struct kv_keys ids, digests = {0};
    char **garbage = NULL;
    size_t n_garbage = 0;
    int rc = list_names(kv, "jobs/", &ids, e);
    if (rc) return rc;
    garbage = calloc(ids.count ? ids.count : 1, sizeof *garbage);
    if (!garbage) rc = err_set(e, SIREN_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < ids.count; i++) {
        const char *id = ids.keys[i];
        char why[768], prefix[STORE_KEY_MAX];
        int g = job_garbage(kv, id, o, why, sizeof why, e);
        if (g < 0) {
            rc = e->code;
            break;
        }
        if (!g) {
            gc_note(note, ctx, "job %s: left: %s", id, why);
            out->jobs_left++;
            continue;
        }
        store_key_job(prefix, sizeof prefix, id);
        size_t objects = count_under(kv, prefix), before = out->objects_removed;
        /* Listed, but nothing is left under it: a job that finished its own clean-up while
         * this pass ran (it deletes its owner record last), not one to remove. */
        if (objects == 0) continue;
        garbage[n_garbage++] = ids.keys[i];
        if (o->dry_run) out->objects_removed += objects;
        else if ((rc = store_job_remove(kv, id, 0, &out->objects_removed, e)))
            break;
        gc_note(note, ctx, "job %s: %s %zu objects: %s", id,
                o->dry_run ? "would remove" : "removed", out->objects_removed - before, why);
        out->jobs_removed++;
    }
    char data[STORE_KEY_MAX];
    store_key_data_all(data, sizeof data);
    if (!rc) rc = list_names(kv, data, &digests, e);
    for (size_t i = 0; !rc && i < digests.count; i++)
        rc = gc_data(kv, digests.keys[i], o, garbage, n_garbage, note, ctx, out, e);
    free(garbage);
    kv_keys_free(&ids);
    kv_keys_free(&digests);
    return rc;
}

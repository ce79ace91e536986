/*
 * fn_runtime: handler registry, built-in test handlers and the framed event loop of siren-fn.
 * The loop owns one read buffer and nothing else across events: every event's JSON, response
 * and the handler's allocations are released before the next frame is read, and freed heap is
 * handed back to the kernel (malloc_trim) so that a warm process starts each event from its
 * baseline resident size, as a fresh container would, give or take FN_TRIM_SLACK_BYTES. Start-up
 * does no work beyond sending the ready frame: heavy libraries are initialised by the handlers
 * that need them.
 */
#define _GNU_SOURCE
#include "fn_runtime.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define FN_MAX_HANDLERS 32

/* Free heap below this is not handed back after an event: a trim walks the whole heap and the
 * next event faults the pages in again, which for a warm function that keeps its buffers (the
 * training handler's fn_context) would cost more per step than the little memory it returns.
 * Against memory sizes of 128 MB and up, 1 MiB is below what a peak is reported in. */
#define FN_TRIM_SLACK_BYTES ((size_t)1 << 20)

struct fn_entry {
    char name[64];
    fn_handler_fn fn;
    void *ctx;
};

/* Filled before the loop starts; read-only while events are served. */
static struct fn_entry fn_table[FN_MAX_HANDLERS];
static int fn_count;

int fn_runtime_register(const char *name, fn_handler_fn fn, void *ctx)
{
    if (!name || !*name || !fn) return SIREN_EINVAL;
    for (int i = 0; i < fn_count; i++) {
        if (!strcmp(fn_table[i].name, name)) {
            fn_table[i].fn = fn;
            fn_table[i].ctx = ctx;
            return 0;
        }
    }
    if (fn_count == FN_MAX_HANDLERS) return SIREN_ELIMIT;
    snprintf(fn_table[fn_count].name, sizeof fn_table[fn_count].name, "%s", name);
    fn_table[fn_count].fn = fn;
    fn_table[fn_count].ctx = ctx;
    fn_count++;
    return 0;
}

fn_handler_fn fn_runtime_lookup(const char *name, void **ctx)
{
    for (int i = 0; name && i < fn_count; i++) {
        if (!strcmp(fn_table[i].name, name)) {
            if (ctx) *ctx = fn_table[i].ctx;
            return fn_table[i].fn;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------ built-in handlers */

static void sleep_ms(double ms)
{
    if (ms <= 0) return;
    long long ns = (long long)(ms * 1e6);
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* An optional non-negative number; def when absent. */
static int opt_number(const cJSON *event, const char *key, const char *where, double def,
                      double *out, struct err *e)
{
    const cJSON *item = cJSON_IsObject(event) ? cJSON_GetObjectItemCaseSensitive(event, key) : NULL;
    if (!item) {
        *out = def;
        return 0;
    }
    if (!cJSON_IsNumber(item) || item->valuedouble < 0)
        return err_set(e, SIREN_EFORMAT, "%s: key '%s': expected a non-negative number", where,
                       key);
    *out = item->valuedouble;
    return 0;
}

/* echo: the response is the event (its members, or {"event": value} for a non-object). */
static int fn_echo(const cJSON *event, cJSON *response, void *ctx, struct err *e)
{
    (void)ctx;
    (void)e;
    if (cJSON_IsObject(event)) {
        for (const cJSON *c = event->child; c; c = c->next)
            cJSON_AddItemToObject(response, c->string, cJSON_Duplicate(c, 1));
    } else if (event) {
        cJSON_AddItemToObject(response, "event", cJSON_Duplicate(event, 1));
    }
    return 0;
}

/* alloc {mb, step_mb=1, step_ms=0, hold_ms=0}: allocates mb MB and writes every page, step_mb
 * at a time with step_ms between steps, holds it hold_ms, frees it. */
static int fn_alloc(const cJSON *event, cJSON *response, void *ctx, struct err *e)
{
    (void)ctx;
    double mb, step_mb, step_ms, hold_ms;
    if (json_get_number(event, "mb", "alloc event", &mb, e) ||
        opt_number(event, "step_mb", "alloc event", 1, &step_mb, e) ||
        opt_number(event, "step_ms", "alloc event", 0, &step_ms, e) ||
        opt_number(event, "hold_ms", "alloc event", 0, &hold_ms, e))
        return e->code;
    if (mb < 0 || mb > 1 << 20) return err_set(e, SIREN_ERANGE, "alloc event: mb %g", mb);
    size_t bytes = (size_t)(mb * 1048576.0);
    size_t step = step_mb > 0 ? (size_t)(step_mb * 1048576.0) : bytes;
    if (step == 0) step = 1;
    unsigned char *p = malloc(bytes ? bytes : 1);
    if (!p) return err_set(e, SIREN_ENOMEM, "alloc event: malloc of %g MB failed", mb);
    long page = sysconf(_SC_PAGESIZE);
    for (size_t off = 0; off < bytes; off += step) {
        size_t end = off + step < bytes ? off + step : bytes;
        for (size_t i = off; i < end; i += (size_t)page) p[i] = (unsigned char)(i >> 12 | 1);
        sleep_ms(step_ms);
    }
    sleep_ms(hold_ms);
    /* Read back one byte per MB so the writes cannot be optimised away. */
    unsigned sum = 0;
    for (size_t i = 0; i < bytes; i += 1048576) sum += p[i];
    free(p);
    cJSON_AddNumberToObject(response, "allocated_mb", mb);
    cJSON_AddNumberToObject(response, "checksum", sum);
    return 0;
}

/* spin {ms}: burns CPU for ms milliseconds of wall time. */
static int fn_spin(const cJSON *event, cJSON *response, void *ctx, struct err *e)
{
    (void)ctx;
    double ms;
    if (json_get_number(event, "ms", "spin event", &ms, e)) return e->code;
    double t_end_s = clock_mono_s() + ms / 1000.0;
    volatile double x = 1.0;
    unsigned long iters = 0;
    while (clock_mono_s() < t_end_s) {
        for (int i = 0; i < 1000; i++) x = x * 1.0000001 + 1e-9;
        iters++;
    }
    cJSON_AddNumberToObject(response, "iterations", (double)iters);
    return 0;
}

/* sleep {ms}: sleeps ms milliseconds. */
static int fn_sleep(const cJSON *event, cJSON *response, void *ctx, struct err *e)
{
    (void)ctx;
    double ms;
    if (json_get_number(event, "ms", "sleep event", &ms, e)) return e->code;
    sleep_ms(ms);
    cJSON_AddNumberToObject(response, "slept_ms", ms);
    return 0;
}

/* crash {how="abort"|"segv"|"exit", code=1}: the process dies. */
static int fn_crash(const cJSON *event, cJSON *response, void *ctx, struct err *e)
{
    (void)ctx;
    (void)response;
    const cJSON *how =
        cJSON_IsObject(event) ? cJSON_GetObjectItemCaseSensitive(event, "how") : NULL;
    const char *mode = cJSON_IsString(how) ? how->valuestring : "abort";
    double code;
    if (opt_number(event, "code", "crash event", 1, &code, e)) return e->code;
    if (!strcmp(mode, "segv")) {
        raise(SIGSEGV);
    } else if (!strcmp(mode, "exit")) {
        _exit((int)code);
    } else if (!strcmp(mode, "abort")) {
        abort();
    }
    return err_set(e, SIREN_EINVAL, "crash event: unknown how '%s'", mode);
}

static void write_all_raw(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

/* misbehave {mode}: breaks the protocol on stdout, to test the host.
 *   garbage       writes text that is not a frame, then answers normally
 *   close_stdout  closes stdout and sleeps 60 s
 *   partial       writes the first bytes of a frame and exits with status 3
 *   exit          exits with status 0 without answering */
static int fn_misbehave(const cJSON *event, cJSON *response, void *ctx, struct err *e)
{
    (void)ctx;
    (void)response;
    const char *mode;
    if (json_get_string(event, "mode", "misbehave event", &mode, e)) return e->code;
    if (!strcmp(mode, "garbage")) {
        write_all_raw(STDOUT_FILENO, "hello, this is not a frame\n", 27);
        return 0;
    }
    if (!strcmp(mode, "close_stdout")) {
        close(STDOUT_FILENO);
        sleep_ms(60000);
        _exit(0);
    }
    if (!strcmp(mode, "partial")) {
        write_all_raw(STDOUT_FILENO, "100\n{\"ok\":tr", 12);
        _exit(3);
    }
    if (!strcmp(mode, "exit")) _exit(0);
    return err_set(e, SIREN_EINVAL, "misbehave event: unknown mode '%s'", mode);
}

/* tmpfile {name, write?}: with write, stores the text in $TMPDIR/name; without, returns
 * {"exists": bool, "data": text}. Shows what a warm container keeps: its /tmp. */
static int fn_tmpfile(const cJSON *event, cJSON *response, void *ctx, struct err *e)
{
    (void)ctx;
    const char *name, *tmp = getenv("TMPDIR");
    if (json_get_string(event, "name", "tmpfile event", &name, e)) return e->code;
    if (strchr(name, '/') || !*name)
        return err_set(e, SIREN_EINVAL, "tmpfile event: name '%s' is not a plain file name", name);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tmp && *tmp ? tmp : "/tmp", name);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(event, "write");
    if (cJSON_IsString(data)) {
        if (fs_write_atomic(path, data->valuestring, strlen(data->valuestring), e)) return e->code;
        cJSON_AddStringToObject(response, "path", path);
        return 0;
    }
    char *text = NULL;
    size_t len = 0;
    struct err re;
    int found = fs_read_all(path, &text, &len, &re) == 0;
    cJSON_AddBoolToObject(response, "exists", found);
    if (found) cJSON_AddStringToObject(response, "data", text);
    free(text);
    return 0;
}

/* blob {bytes}: responds {"blob": "xx..."} with a string of that many characters: a response
 * larger than its event, for the payload limit on responses. */
static int fn_blob(const cJSON *event, cJSON *response, void *ctx, struct err *e)
{
    (void)ctx;
    double bytes;
    if (json_get_number(event, "bytes", "blob event", &bytes, e)) return e->code;
    if (bytes < 0 || bytes > FN_FRAME_MAX_BYTES)
        return err_set(e, SIREN_ERANGE, "blob event: bytes %g", bytes);
    char *s = malloc((size_t)bytes + 1);
    if (!s) return err_set(e, SIREN_ENOMEM, "blob event: %g bytes", bytes);
    memset(s, 'x', (size_t)bytes);
    s[(size_t)bytes] = '\0';
    cJSON_AddStringToObject(response, "blob", s);
    free(s);
    return 0;
}

void fn_runtime_register_builtins(void)
{
    /* The table has room for these; registration of a fixed name cannot fail. */
    (void)!fn_runtime_register("echo", fn_echo, NULL);
    (void)!fn_runtime_register("alloc", fn_alloc, NULL);
    (void)!fn_runtime_register("spin", fn_spin, NULL);
    (void)!fn_runtime_register("sleep", fn_sleep, NULL);
    (void)!fn_runtime_register("crash", fn_crash, NULL);
    (void)!fn_runtime_register("misbehave", fn_misbehave, NULL);
    (void)!fn_runtime_register("tmpfile", fn_tmpfile, NULL);
    (void)!fn_runtime_register("blob", fn_blob, NULL);
}

int fn_runtime_invoke(const char *name, const cJSON *event, cJSON **response, struct err *e)
{
    *response = NULL;
    void *ctx = NULL;
    fn_handler_fn fn = fn_runtime_lookup(name, &ctx);
    if (!fn) return err_set(e, SIREN_ENOTFOUND, "Handler '%s' missing", name ? name : "(null)");
    cJSON *resp = cJSON_CreateObject();
    if (!resp) return err_set(e, SIREN_ENOMEM, "handler %s: response object", name);
    struct err local;
    err_clear(&local);
    int rc = fn(event, resp, ctx, &local);
    if (rc) {
        cJSON_Delete(resp);
        if (!local.code) local.code = rc;
        if (e) *e = local;
        return rc;
    }
    *response = resp;
    return 0;
}

/* ------------------------------------------------------------------ the event loop */

struct frame_reader {
    int fd;
    char *buf;
    size_t len, cap;
};

/* Reads one frame; *payload points into r->buf (valid until the next call), NUL-terminated.
 * Returns 1 on a frame, 0 on a clean EOF between frames, negative on errors. */
static int frame_read(struct frame_reader *r, char **payload, size_t *plen, struct err *e)
{
    size_t need = 0, hdr = 0;
    for (;;) {
        if (!need) {
            char *nl = r->len ? memchr(r->buf, '\n', r->len) : NULL; /* buf is NULL until the first read */
            if (nl) {
                hdr = (size_t)(nl - r->buf) + 1;
                if (hdr < 2 || hdr > FN_FRAME_HEADER_MAX)
                    return err_set(e, SIREN_EFORMAT, "frame header of %zu bytes", hdr);
                unsigned long long n = 0;
                for (size_t i = 0; i + 1 < hdr; i++) {
                    if (r->buf[i] < '0' || r->buf[i] > '9')
                        return err_set(e, SIREN_EFORMAT, "frame header: not a decimal length");
                    n = n * 10 + (unsigned long long)(r->buf[i] - '0');
                }
                if (n > FN_FRAME_MAX_BYTES)
                    return err_set(e, SIREN_ELIMIT, "frame of %llu bytes (limit %u)", n,
                                   FN_FRAME_MAX_BYTES);
                need = hdr + (size_t)n;
            } else if (r->len >= FN_FRAME_HEADER_MAX) {
                return err_set(e, SIREN_EFORMAT, "frame header: no newline in %d bytes",
                               FN_FRAME_HEADER_MAX);
            }
        }
        if (need && r->len >= need) break;
        size_t want = need ? need + 1 : 4096;
        if (want > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap < want) cap *= 2;
            char *nb = realloc(r->buf, cap);
            if (!nb) return err_set(e, SIREN_ENOMEM, "frame buffer of %zu bytes", cap);
            r->buf = nb;
            r->cap = cap;
        }
        ssize_t got = read(r->fd, r->buf + r->len, r->cap - r->len - 1);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return err_errno(e, errno, "reading events");
        if (got == 0) {
            if (r->len == 0) return 0;
            return err_set(e, SIREN_EFORMAT, "end of input inside a frame (%zu bytes)", r->len);
        }
        r->len += (size_t)got;
    }
    /* The host sends one frame at a time, but keep any following bytes for the next call by
     * moving them after the NUL-terminated payload is consumed. */
    *payload = r->buf + hdr;
    *plen = need - hdr;
    return 1;
}

static void frame_consume(struct frame_reader *r, size_t total)
{
    memmove(r->buf, r->buf + total, r->len - total);
    r->len -= total;
}

static int frame_write(int fd, const char *payload, size_t len, struct err *e)
{
    char hdr[24];
    int hl = snprintf(hdr, sizeof hdr, "%zu\n", len);
    struct iovec iov[2] = {{hdr, (size_t)hl}, {(void *)payload, len}};
    int idx = 0;
    while (idx < 2) {
        ssize_t w = writev(fd, iov + idx, 2 - idx);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return err_errno(e, errno, "writing a response");
        size_t left = (size_t)w;
        while (idx < 2 && left >= iov[idx].iov_len) {
            left -= iov[idx].iov_len;
            idx++;
        }
        if (idx < 2) {
            iov[idx].iov_base = (char *)iov[idx].iov_base + left;
            iov[idx].iov_len -= left;
        }
    }
    return 0;
}

/* Runs one envelope {"handler": name, "event": ...}; returns the reply to send (caller frees). */
static char *serve_one(const char *payload, size_t plen)
{
    struct err e;
    err_clear(&e);
    cJSON *env = NULL, *reply = cJSON_CreateObject(), *resp = NULL;
    const char *name = NULL;
    int rc = json_parse(payload, plen, "event frame", &env, &e);
    if (!rc) rc = json_get_string(env, "handler", "event frame", &name, &e);
    const char *etype = "Runtime.InvalidEvent";
    if (!rc) {
        const cJSON *event = cJSON_GetObjectItemCaseSensitive(env, "event");
        rc = fn_runtime_invoke(name, event, &resp, &e);
        if (rc == SIREN_ENOTFOUND && !fn_runtime_lookup(name, NULL))
            etype = "Runtime.HandlerNotFound";
        else
            etype = err_name(e.code ? e.code : rc);
    }
    if (!reply) {
        cJSON_Delete(env);
        cJSON_Delete(resp);
        return NULL;
    }
    if (!rc) {
        cJSON_AddTrueToObject(reply, "ok");
        cJSON_AddItemToObject(reply, "response", resp);
    } else {
        cJSON_AddFalseToObject(reply, "ok");
        cJSON_AddStringToObject(reply, "errorType", etype);
        cJSON_AddStringToObject(reply, "errorMessage", e.msg);
    }
    char *text = cJSON_PrintUnformatted(reply);
    cJSON_Delete(reply);
    cJSON_Delete(env);
    return text;
}

int fn_runtime_serve(int in_fd, int out_fd, struct err *e)
{
    char ready[64];
    int n = snprintf(ready, sizeof ready, "{\"ready\":true,\"pid\":%ld}", (long)getpid());
    int rc = frame_write(out_fd, ready, (size_t)n, e);
    struct frame_reader r = {in_fd, NULL, 0, 0};
    while (!rc) {
        char *payload = NULL;
        size_t plen = 0;
        int got = frame_read(&r, &payload, &plen, e);
        if (got <= 0) {
            rc = got;
            break;
        }
        size_t total = (size_t)(payload - r.buf) + plen;
        char saved = payload[plen];
        payload[plen] = '\0';
        char *reply = serve_one(payload, plen);
        payload[plen] = saved;
        frame_consume(&r, total);
        if (!reply) {
            rc = err_set(e, SIREN_ENOMEM, "building a response");
            break;
        }
        rc = frame_write(out_fd, reply, strlen(reply), e);
        free(reply);
        /* Give freed heap back so the next event starts from the baseline resident size. */
        if (mallinfo2().fordblks > FN_TRIM_SLACK_BYTES) malloc_trim(0);
    }
    free(r.buf);
    return rc;
}

/*
 * sandbox: host side of siren-fn processes, the life cycle. sandbox_open() resolves the memory
 * method, makes the container's /tmp and (with CGROUP) the sandbox's group, spawns the child
 * (sandbox_child.c) and waits for its ready frame; sandbox_invoke_text() resets the child's
 * peak, sends the event frame and waits for the response under the watch, then checks the
 * exact peak of the invocation (VmHWM after clear_refs, or wait4's ru_maxrss for a process
 * that died) against the memory size and words every outcome as Lambda does. CPU time is
 * measured with the process's CPU clock and capped by polling and by RLIMIT_CPU. The event and
 * the response are held to the synchronous payload limit (payload.h) as the Invoke API holds
 * them: an event over it never reaches the child, a response over it fails the invocation.
 */
#define _GNU_SOURCE
#include "sandbox_internal.h"

#include "fn_runtime.h"

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void sandbox_opts_init(struct sandbox_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->mem_limit_mb = 128;
    opts->timeout_ms = 3000;
    opts->cpu_limit_ms = 0;
    opts->init_timeout_ms = 10000;
    opts->mem_method = SANDBOX_MEM_AUTO;
    opts->fn_path = NULL;
}

const char *sandbox_status_name(enum sandbox_status status)
{
    switch (status) {
    case SANDBOX_OK: return "ok";
    case SANDBOX_HANDLER_ERROR: return "handler_error";
    case SANDBOX_TIMEOUT: return "timeout";
    case SANDBOX_MEMORY: return "memory";
    case SANDBOX_CPU_LIMIT: return "cpu_limit";
    case SANDBOX_CRASHED: return "crashed";
    case SANDBOX_BAD_RESPONSE: return "bad_response";
    }
    return "unknown";
}

const char *sandbox_method_name(enum sandbox_mem_method method)
{
    switch (method) {
    case SANDBOX_MEM_AUTO: return "auto";
    case SANDBOX_MEM_CGROUP: return "cgroup";
    case SANDBOX_MEM_WATCHDOG: return "watchdog";
    }
    return "unknown";
}

void sandbox_result_init(struct sandbox_result *res)
{
    memset(res, 0, sizeof *res);
}

void sandbox_result_free(struct sandbox_result *res)
{
    if (!res) return;
    cJSON_Delete(res->response);
    res->response = NULL;
}

int sandbox_default_fn_path(char *buf, size_t buflen, struct err *e)
{
    const char *env = getenv("SIREN_FN");
    if (env && *env) {
        if ((size_t)snprintf(buf, buflen, "%s", env) >= buflen)
            return err_set(e, SIREN_ERANGE, "SIREN_FN: path too long");
        return 0;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) return err_errno(e, errno, "readlink /proc/self/exe");
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) *slash = '\0';
    if ((size_t)snprintf(buf, buflen, "%s/siren-fn", slash ? self : ".") >= buflen)
        return err_set(e, SIREN_ERANGE, "siren-fn path too long");
    return 0;
}

/* ------------------------------------------------------------------------- close */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void sandbox_close(struct sandbox *sb)
{
    if (!sb) return;
    if (sb->to_child >= 0) close(sb->to_child);
    if (sb->from_child >= 0) close(sb->from_child);
    if (sb->statm_fd >= 0) close(sb->statm_fd);
    if (sb->status_fd >= 0) close(sb->status_fd);
    if (sb->clear_refs_fd >= 0) close(sb->clear_refs_fd);
    if (sb->pid > 0) sandbox_child_reap(sb, 1);
    sandbox_cgroup_remove(sb);
    if (sb->tmp_dir[0]) nftw(sb->tmp_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(sb->rbuf);
    free(sb);
}

int sandbox_alive(const struct sandbox *sb) { return sb && sb->alive; }
pid_t sandbox_pid(const struct sandbox *sb) { return sb ? sb->pid : -1; }
int sandbox_mem_limit_mb(const struct sandbox *sb) { return sb ? sb->opts.mem_limit_mb : 0; }
enum sandbox_mem_method sandbox_method(const struct sandbox *sb)
{
    return sb ? sb->method : SANDBOX_MEM_AUTO;
}

void sandbox_set_limits(struct sandbox *sb, int timeout_ms, int cpu_limit_ms)
{
    if (!sb) return;
    if (timeout_ms > 0) sb->opts.timeout_ms = timeout_ms;
    if (cpu_limit_ms >= 0) sb->opts.cpu_limit_ms = cpu_limit_ms;
}

/* ------------------------------------------------------------------------- open */

static enum sandbox_mem_method resolve_method(enum sandbox_mem_method asked, struct err *e,
                                              int *rc)
{
    *rc = 0;
    if (asked == SANDBOX_MEM_AUTO) {
        const char *env = getenv("SIREN_SANDBOX_MEM");
        if (env && !strcmp(env, "cgroup")) asked = SANDBOX_MEM_CGROUP;
        else if (env && !strcmp(env, "watchdog")) asked = SANDBOX_MEM_WATCHDOG;
    }
    int version = 0;
    if (asked == SANDBOX_MEM_WATCHDOG) return SANDBOX_MEM_WATCHDOG;
    if (asked == SANDBOX_MEM_CGROUP) {
        *rc = sandbox_cgroup_probe(&version, e);
        return SANDBOX_MEM_CGROUP;
    }
    return sandbox_cgroup_probe(&version, NULL) == 0 ? SANDBOX_MEM_CGROUP
                                                     : SANDBOX_MEM_WATCHDOG;
}

int sandbox_open(const struct sandbox_opts *opts, struct sandbox **out, struct err *e)
{
    *out = NULL;
    if (!opts || opts->mem_limit_mb <= 0 || opts->timeout_ms <= 0 || opts->cpu_limit_ms < 0)
        return err_set(e, SIREN_EINVAL, "sandbox: memory size and timeout must be positive");
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN);

    struct sandbox *sb = calloc(1, sizeof *sb);
    if (!sb) return err_set(e, SIREN_ENOMEM, "sandbox");
    sb->opts = *opts;
    if (sb->opts.init_timeout_ms <= 0) sb->opts.init_timeout_ms = 10000;
    sb->to_child = sb->from_child = -1;
    sb->statm_fd = sb->status_fd = sb->clear_refs_fd = -1;
    sb->pid = -1;
    int rc = 0;
    if (opts->fn_path) {
        if ((size_t)snprintf(sb->fn_path, sizeof sb->fn_path, "%s", opts->fn_path) >=
            sizeof sb->fn_path)
            rc = err_set(e, SIREN_ERANGE, "sandbox: fn path too long");
    } else {
        rc = sandbox_default_fn_path(sb->fn_path, sizeof sb->fn_path, e);
    }
    sb->opts.fn_path = NULL; /* the copy in sb->fn_path is the one used */
    if (rc) goto fail;
    sb->method = resolve_method(opts->mem_method, e, &rc);
    if (rc) goto fail;

    const char *tmp = getenv("TMPDIR");
    snprintf(sb->tmp_dir, sizeof sb->tmp_dir, "%s/siren-fn-tmp-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(sb->tmp_dir)) {
        rc = err_errno(e, errno, "sandbox: mkdtemp %s", sb->tmp_dir);
        sb->tmp_dir[0] = '\0';
        goto fail;
    }
    if (sb->method == SANDBOX_MEM_CGROUP && (rc = sandbox_cgroup_create(sb, e))) goto fail;

    double t0 = clock_mono_s();
    if ((rc = sandbox_child_spawn(sb, e))) goto fail;
    if (sb->cg_path[0] && (rc = sandbox_cgroup_attach(sb, e))) goto fail;

    /* Wait for the ready frame; during start-up only the deadline and memory are watched. */
    struct watch w = {t0 + sb->opts.init_timeout_ms / 1000.0,
                      sb->method == SANDBOX_MEM_WATCHDOG ? WATCHDOG_SLICE_MS : CGROUP_SLICE_MS,
                      sb->method == SANDBOX_MEM_WATCHDOG ? (long long)opts->mem_limit_mb << 20 : 0,
                      0, 0, 0, -1};
    size_t off = 0, len = 0;
    char why[256] = "";
    enum wait_end end = sandbox_frame_wait(sb, &w, &off, &len, why, sizeof why);
    if (end != WAIT_FRAME) {
        sandbox_child_reap(sb, 1);
        if (end == WAIT_TIMEOUT)
            rc = err_set(e, SIREN_ETIMEOUT, "%s: not ready after %d ms", sb->fn_path,
                         sb->opts.init_timeout_ms);
        else if (end == WAIT_BAD)
            rc = err_set(e, SIREN_EFORMAT, "%s: at start-up: %s", sb->fn_path, why);
        else if (WIFEXITED(sb->wstatus))
            rc = err_set(e, SIREN_EKILLED, "%s exited with status %d during start-up",
                         sb->fn_path, WEXITSTATUS(sb->wstatus));
        else
            rc = err_set(e, SIREN_EKILLED, "%s died during start-up (signal %d)", sb->fn_path,
                         WIFSIGNALED(sb->wstatus) ? WTERMSIG(sb->wstatus) : 0);
        goto fail;
    }
    cJSON *ready = NULL;
    rc = json_parse(sb->rbuf + off, len, "siren-fn ready frame", &ready, e);
    int ok = !rc && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ready, "ready"));
    cJSON_Delete(ready);
    sb->rlen = 0;
    if (!ok) {
        if (!rc) rc = err_set(e, SIREN_EFORMAT, "%s: unexpected first frame", sb->fn_path);
        goto fail;
    }
    sb->init_ms = (clock_mono_s() - t0) * 1000.0;
    *out = sb;
    return 0;
fail:
    sandbox_close(sb);
    return rc;
}

/* ----------------------------------------------------------------------- invoke */

/* Lambda's wording for a signal: Go's strings, i.e. strsignal() in lower case. */
static void signal_words(int sig, char *buf, size_t buflen)
{
    const char *s = strsignal(sig);
    snprintf(buf, buflen, "%s", s ? s : "unknown signal");
    if (buf[0]) buf[0] = (char)tolower((unsigned char)buf[0]);
}

static void set_error(struct sandbox_result *res, enum sandbox_status status, const char *type,
                      const char *fmt, ...) SIREN_PRINTF(4, 5);
static void set_error(struct sandbox_result *res, enum sandbox_status status, const char *type,
                      const char *fmt, ...)
{
    res->status = status;
    snprintf(res->error_type, sizeof res->error_type, "%s", type);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->error_msg, sizeof res->error_msg, fmt, ap);
    va_end(ap);
}

static void set_memory_exceeded(struct sandbox_result *res)
{
    set_error(res, SANDBOX_MEMORY, "Runtime.ExitError",
              "Runtime exited with error: signal: killed");
}

/* Fills res for a process that is gone or being killed, after a wait that ended with `end`. */
static void finish_dead(struct sandbox *sb, struct sandbox_result *res, enum wait_end end,
                        const struct watch *w, long long oom_before, const char *why)
{
    int killed_by_us = end != WAIT_EOF;
    if (end == WAIT_EOF && !sandbox_child_reap_within(sb, EOF_GRACE_MS)) {
        killed_by_us = 1;
        end = WAIT_BAD;
        why = "runtime closed its response stream (stdout) without answering";
    }
    sandbox_child_reap(sb, killed_by_us);
    long long maxrss_kb = sb->ru.ru_maxrss;
    /* ru_maxrss also holds the host's peak at exec time; it is this invocation's peak only
     * when larger (clear_refs reset the process's own peak at the start of the event). */
    double peak_mb = (double)w->rss_max / 1048576.0;
    if (maxrss_kb > sb->host_hwm_kb && (double)maxrss_kb / 1024.0 > peak_mb)
        peak_mb = (double)maxrss_kb / 1024.0;
    res->peak_mb = peak_mb;
    int sig = WIFSIGNALED(sb->wstatus) ? WTERMSIG(sb->wstatus) : 0;
    res->term_signal = sig;
    double timeout_s = sb->opts.timeout_ms / 1000.0;
    switch (end) {
    case WAIT_TIMEOUT:
        set_error(res, SANDBOX_TIMEOUT, "Sandbox.Timedout", "Task timed out after %.2f seconds",
                  timeout_s);
        return;
    case WAIT_MEMORY: set_memory_exceeded(res); return;
    case WAIT_CPU:
        set_error(res, SANDBOX_CPU_LIMIT, "Runtime.ExitError",
                  "Runtime exited with error: signal: CPU time limit exceeded");
        return;
    case WAIT_BAD:
        set_error(res, SANDBOX_BAD_RESPONSE, "Runtime.InvalidResponse", "%s", why);
        return;
    case WAIT_IOERR:
        set_error(res, SANDBOX_BAD_RESPONSE, "Runtime.InvalidResponse",
                  "reading the response: %s", why && *why ? why : "I/O error");
        return;
    case WAIT_FRAME:
    case WAIT_EOF: break;
    }
    /* The process ended on its own. */
    if (sandbox_cgroup_oom_kills(sb) > oom_before ||
        (sig == SIGKILL && peak_mb > sb->opts.mem_limit_mb)) {
        set_memory_exceeded(res);
    } else if (sig == SIGXCPU) {
        set_error(res, SANDBOX_CPU_LIMIT, "Runtime.ExitError",
                  "Runtime exited with error: signal: CPU time limit exceeded");
    } else if (sig) {
        char words[64];
        signal_words(sig, words, sizeof words);
        set_error(res, SANDBOX_CRASHED, "Runtime.ExitError",
                  "Runtime exited with error: signal: %s", words);
    } else if (WIFEXITED(sb->wstatus) && WEXITSTATUS(sb->wstatus)) {
        set_error(res, SANDBOX_CRASHED, "Runtime.ExitError",
                  "Runtime exited with error: exit status %d", WEXITSTATUS(sb->wstatus));
    } else {
        set_error(res, SANDBOX_CRASHED, "Runtime.ExitError",
                  "Runtime exited without providing a reason");
    }
}

/* Sets the per-invocation CPU backstop: RLIMIT_CPU (whole seconds of process CPU time) a
 * second past where the polled limit fires. */
static void set_cpu_rlimit(const struct sandbox *sb, double cpu_now_ms)
{
    struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
    if (sb->opts.cpu_limit_ms > 0 && cpu_now_ms >= 0) {
        rl.rlim_cur = (rlim_t)ceil((cpu_now_ms + sb->opts.cpu_limit_ms) / 1000.0) + 1;
        rl.rlim_max = rl.rlim_cur + 1;
    }
    (void)prlimit(sb->pid, RLIMIT_CPU, &rl, NULL);
}

/* The event as JSON text for the *_text invokers (*text NULL for no event). */
int sandbox_event_text(const cJSON *event, char **text, struct sandbox_result *res, struct err *e)
{
    *text = event ? cJSON_PrintUnformatted(event) : NULL;
    if (!event || *text) return SIREN_OK;
    sandbox_result_init(res);
    return err_set(e, SIREN_ENOMEM, "sandbox: event frame");
}

int sandbox_event_check(const struct sandbox_opts *opts, const char *handler,
                        const char *event_json, struct err *e)
{
    char what[128];
    snprintf(what, sizeof what, "handler '%.64s'", handler ? handler : "");
    return payload_event_check(&opts->payload, PAYLOAD_SYNC,
                               event_json ? strlen(event_json) : 4, what, e);
}

/* A response over the synchronous payload limit fails the invocation as Lambda's does: the
 * function ran (and is billed), the caller gets Function.ResponseSizeTooLarge instead of the
 * response, and the container lives on. frame_len bounds the response's size (it is part of the
 * frame), so only a frame over the limit is measured: the response's text as siren-fn printed
 * it, which printing the parsed response again reproduces byte for byte. */
static void check_response_size(const struct sandbox *sb, size_t frame_len,
                                struct sandbox_result *res)
{
    const struct payload_limits *l = &sb->opts.payload;
    if (l->sync_bytes <= 0 || frame_len <= (unsigned long long)l->sync_bytes) return;
    char *text = cJSON_PrintUnformatted(res->response);
    size_t bytes = text ? strlen(text) : frame_len;
    free(text);
    char msg[sizeof res->error_msg];
    if (!payload_response_over(l, bytes, msg, sizeof msg)) return;
    cJSON_Delete(res->response);
    res->response = NULL;
    set_error(res, SANDBOX_HANDLER_ERROR, PAYLOAD_RESPONSE_ERROR_TYPE, "%s", msg);
}

int sandbox_invoke(struct sandbox *sb, const char *handler, const cJSON *event,
                   struct sandbox_result *res, struct err *e)
{
    char *text;
    int rc = sandbox_event_text(event, &text, res, e);
    if (!rc) rc = sandbox_invoke_text(sb, handler, text, res, e);
    free(text);
    return rc;
}

int sandbox_invoke_text(struct sandbox *sb, const char *handler, const char *event_json,
                        struct sandbox_result *res, struct err *e)
{
    sandbox_result_init(res);
    if (!sb || !handler) return err_set(e, SIREN_EINVAL, "sandbox_invoke: no sandbox or handler");
    res->pid = sb->pid;
    res->mem_method = sb->method;
    if (!sb->alive) return err_set(e, SIREN_EINVAL, "sandbox pid %ld is dead", (long)sb->pid);
    int rc = sandbox_event_check(&sb->opts, handler, event_json, e);
    if (rc) return rc;

    /* The envelope, built as text around the event's text. */
    cJSON *name = cJSON_CreateString(handler);
    char *name_text = name ? cJSON_PrintUnformatted(name) : NULL;
    cJSON_Delete(name);
    char *payload = NULL;
    int plen = -1;
    if (name_text)
        plen = asprintf(&payload, "{\"handler\":%s,\"event\":%s}", name_text,
                        event_json ? event_json : "null");
    free(name_text);
    if (plen < 0) return err_set(e, SIREN_ENOMEM, "sandbox: event frame");
    if ((size_t)plen > FN_FRAME_MAX_BYTES) {
        free(payload);
        return err_set(e, SIREN_ELIMIT, "sandbox: event of %d bytes exceeds %u", plen,
                       FN_FRAME_MAX_BYTES);
    }
    char header[24];
    int hlen = snprintf(header, sizeof header, "%d\n", plen);

    /* Per-invocation accounting: reset the peak, note CPU and OOM counters. */
    if (sb->clear_refs_fd >= 0) {
        while (write(sb->clear_refs_fd, "5", 1) < 0 && errno == EINTR) {
        }
    } else {
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/clear_refs", (long)sb->pid);
        (void)sandbox_text_write(path, "5");
    }
    long long oom_before = sandbox_cgroup_oom_kills(sb);
    double cpu0 = sandbox_child_cpu_ms(sb);
    if (sb->opts.cpu_limit_ms > 0 || sb->invocations > 0) set_cpu_rlimit(sb, cpu0);
    res->cold = sb->invocations == 0;
    res->init_ms = res->cold ? sb->init_ms : 0;
    sb->invocations++;
    sb->rlen = 0;

    struct watch w = {0};
    double t0 = clock_mono_s();
    w.deadline_s = t0 + sb->opts.timeout_ms / 1000.0;
    w.slice_ms = sb->method == SANDBOX_MEM_WATCHDOG ? WATCHDOG_SLICE_MS : CGROUP_SLICE_MS;
    w.rss_limit = sb->method == SANDBOX_MEM_WATCHDOG ? (long long)sb->opts.mem_limit_mb << 20 : 0;
    w.rss_last = -1;
    w.cpu_start_ms = cpu0;
    w.cpu_limit_ms = sb->opts.cpu_limit_ms;

    char why[256] = "";
    enum wait_end end;
    int wrc = sandbox_child_write(sb, header, (size_t)hlen, w.deadline_s);
    if (!wrc) wrc = sandbox_child_write(sb, payload, (size_t)plen, w.deadline_s);
    free(payload);
    size_t off = 0, len = 0;
    if (wrc == ETIMEDOUT) end = WAIT_TIMEOUT;
    else if (wrc == EPIPE) end = WAIT_EOF; /* the process is gone: reap and classify */
    else if (wrc) {
        snprintf(why, sizeof why, "writing the event: %s", strerror(wrc));
        end = WAIT_BAD;
    } else {
        end = sandbox_frame_wait(sb, &w, &off, &len, why, sizeof why);
    }
    res->duration_ms = (clock_mono_s() - t0) * 1000.0;

    if (end == WAIT_FRAME) {
        cJSON *reply = NULL;
        struct err pe;
        if (json_parse(sb->rbuf + off, len, "response frame", &reply, &pe)) {
            snprintf(why, sizeof why, "malformed response: %s", pe.msg);
            end = WAIT_BAD;
        } else if (off + len != sb->rlen) {
            snprintf(why, sizeof why, "%zu bytes after the response frame", sb->rlen - off - len);
            end = WAIT_BAD;
        } else {
            const cJSON *okv = cJSON_GetObjectItemCaseSensitive(reply, "ok");
            if (cJSON_IsTrue(okv)) {
                res->status = SANDBOX_OK;
                res->response = cJSON_DetachItemFromObjectCaseSensitive(reply, "response");
                if (!res->response) res->response = cJSON_CreateNull();
                check_response_size(sb, len, res);
            } else if (cJSON_IsFalse(okv)) {
                const cJSON *t = cJSON_GetObjectItemCaseSensitive(reply, "errorType");
                const cJSON *m = cJSON_GetObjectItemCaseSensitive(reply, "errorMessage");
                set_error(res, SANDBOX_HANDLER_ERROR, cJSON_IsString(t) ? t->valuestring : "Error",
                          "%s", cJSON_IsString(m) ? m->valuestring : "");
            } else {
                snprintf(why, sizeof why, "response frame without \"ok\"");
                end = WAIT_BAD;
            }
        }
        cJSON_Delete(reply);
    }
    sb->rlen = 0;
    double cpu1 = sandbox_child_cpu_ms(sb);
    if (cpu0 >= 0 && cpu1 >= 0) res->cpu_ms = cpu1 - cpu0;

    if (end == WAIT_FRAME) {
        /* Alive: the exact peak of this invocation, checked against the memory size. */
        long hwm_kb = sandbox_child_hwm_kb(sb);
        res->peak_mb = hwm_kb > 0 ? (double)hwm_kb / 1024.0 : (double)w.rss_max / 1048576.0;
        if (res->peak_mb > sb->opts.mem_limit_mb) {
            cJSON_Delete(res->response);
            res->response = NULL;
            sandbox_child_reap(sb, 1);
            res->term_signal = SIGKILL;
            set_memory_exceeded(res);
        }
        return 0;
    }
    finish_dead(sb, res, end, &w, oom_before, why);
    if (res->cpu_ms <= 0 && cpu0 >= 0) {
        double cpu_total = (double)sb->ru.ru_utime.tv_sec * 1e3 + sb->ru.ru_utime.tv_usec / 1e3 +
                           (double)sb->ru.ru_stime.tv_sec * 1e3 + sb->ru.ru_stime.tv_usec / 1e3;
        res->cpu_ms = fmax(0, cpu_total - cpu0);
    }
    return 0;
}

void sandbox_result_report(const struct sandbox_result *res, int mem_limit_mb, int billing_ms,
                           char *buf, size_t buflen)
{
    if (billing_ms <= 0) billing_ms = 1;
    double billed = ceil(res->duration_ms / billing_ms) * billing_ms;
    int n = snprintf(buf, buflen,
                     "REPORT Duration: %.2f ms\tBilled Duration: %.0f ms\tMemory Size: %d MB\t"
                     "Max Memory Used: %.0f MB",
                     res->duration_ms, billed, mem_limit_mb, ceil(res->peak_mb));
    if (n < 0 || (size_t)n >= buflen) return;
    if (res->cold) {
        int m = snprintf(buf + n, buflen - (size_t)n, "\tInit Duration: %.2f ms", res->init_ms);
        if (m < 0) return;
        n += m;
        if ((size_t)n >= buflen) return;
    }
    if (res->status != SANDBOX_OK && res->status != SANDBOX_HANDLER_ERROR)
        snprintf(buf + n, buflen - (size_t)n, "\nError: %s\n%s", res->error_msg, res->error_type);
}

/*
 * sandbox_child: the siren-fn process of a sandbox. It is spawned with posix_spawn onto two
 * O_CLOEXEC pipes; the host end of both is non-blocking and every wait is a poll() with a
 * deadline, so no child can hang the host. While an event runs the watch samples the child's
 * resident set (every millisecond near the memory size, less often far below it; the
 * watchdog of sandboxes without a cgroup) and its CPU time. The child's /proc files are read
 * through fds opened once after the spawn, which stay bound to that process.
 */
#define _GNU_SOURCE
#include "sandbox_internal.h"

#include "fn_runtime.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ------------------------------------------------------ small files of /proc and /sys */

void sandbox_sleep_ms(double ms)
{
    long long ns = (long long)(ms * 1e6);
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Writes text to a (sysfs or proc) file; returns 0 or errno. */
int sandbox_text_write(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    size_t n = strlen(text);
    ssize_t w;
    do {
        w = write(fd, text, n);
    } while (w < 0 && errno == EINTR);
    int rc = w == (ssize_t)n ? 0 : (w < 0 ? errno : EIO);
    close(fd);
    return rc;
}

/* Reads a small file into buf (NUL-terminated); returns bytes read or -1. */
ssize_t sandbox_text_read(const char *path, char *buf, size_t buflen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t len = 0;
    while (len + 1 < buflen) {
        ssize_t got = read(fd, buf + len, buflen - 1 - len);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        len += (size_t)got;
    }
    close(fd);
    buf[len] = '\0';
    return (ssize_t)len;
}

/* The number after "key" in a "key: value" text; -1 if absent. */
static long long keyed_value(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = text; *line;) {
        if (!strncmp(line, key, klen) &&
            (line[klen] == ' ' || line[klen] == '\t' || line[klen] == ':'))
            return strtoll(line + klen + (line[klen] == ':'), NULL, 10);
        const char *nl = strchr(line, '\n');
        if (!nl) break;
        line = nl + 1;
    }
    return -1;
}

/* The number after "key" (e.g. "VmHWM:") in a "key value" text file; -1 if absent. */
long long sandbox_text_read_keyed(const char *path, const char *key)
{
    char buf[4096];
    if (sandbox_text_read(path, buf, sizeof buf) < 0) return -1;
    return keyed_value(buf, key);
}

static long proc_hwm_kb(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    return (long)sandbox_text_read_keyed(path, "VmHWM:");
}

/* Reads an open /proc file from its start into buf (NUL-terminated): bytes read, or -1. */
static ssize_t pread_text(int fd, char *buf, size_t buflen)
{
    size_t len = 0;
    while (len + 1 < buflen) {
        ssize_t got = pread(fd, buf + len, buflen - 1 - len, (off_t)len);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return -1;
        if (got == 0) break;
        len += (size_t)got;
    }
    buf[len] = '\0';
    return (ssize_t)len;
}

/* The child's VmHWM in KiB, through its kept status fd; -1 when gone. */
long sandbox_child_hwm_kb(const struct sandbox *sb)
{
    if (sb->status_fd < 0) return proc_hwm_kb(sb->pid);
    char buf[4096];
    if (pread_text(sb->status_fd, buf, sizeof buf) <= 0) return -1;
    return (long)keyed_value(buf, "VmHWM:");
}

/* The child's resident set in bytes from /proc/PID/statm (second field, pages), through its
 * kept statm fd (or by path when it could not be opened); -1 when gone. */
static long long child_rss_bytes(const struct sandbox *sb)
{
    char buf[128];
    ssize_t got;
    if (sb->statm_fd >= 0) {
        got = pread_text(sb->statm_fd, buf, sizeof buf);
    } else {
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/statm", (long)sb->pid);
        got = sandbox_text_read(path, buf, sizeof buf);
    }
    if (got <= 0) return -1;
    char *p = strchr(buf, ' ');
    if (!p) return -1;
    return strtoll(p + 1, NULL, 10) * (long long)sysconf(_SC_PAGESIZE);
}

double sandbox_child_cpu_ms(const struct sandbox *sb)
{
    struct timespec ts;
    if (!sb->have_cpu_clock || clock_gettime(sb->cpu_clock, &ts)) return -1;
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ------------------------------------------------------------------- the process */

/* Kills (if needed) and reaps the child, keeping its rusage and status. Blocks. */
void sandbox_child_reap(struct sandbox *sb, int kill_first)
{
    if (sb->reaped || sb->pid <= 0) return;
    if (kill_first) kill(sb->pid, SIGKILL);
    pid_t r;
    do {
        r = wait4(sb->pid, &sb->wstatus, 0, &sb->ru);
    } while (r < 0 && errno == EINTR);
    sb->reaped = 1;
    sb->alive = 0;
}

/* Reaps the child if it has exited, waiting at most grace_ms. Returns 1 when reaped. */
int sandbox_child_reap_within(struct sandbox *sb, double grace_ms)
{
    double t_end_s = clock_mono_s() + grace_ms / 1000.0;
    for (;;) {
        pid_t r = wait4(sb->pid, &sb->wstatus, WNOHANG, &sb->ru);
        if (r == sb->pid) {
            sb->reaped = 1;
            sb->alive = 0;
            return 1;
        }
        if (r < 0 && errno != EINTR) return 0;
        if (clock_mono_s() >= t_end_s) return 0;
        sandbox_sleep_ms(0.5);
    }
}

/* The environment of the child: ours, with TMPDIR pointing at the sandbox's /tmp, Lambda's
 * AWS_LAMBDA_FUNCTION_MEMORY_SIZE, and OPENBLAS_NUM_THREADS=1 unless set (a small function
 * has about one vCPU; it also keeps OpenBLAS from starting threads at load time). Caller
 * frees the array and *tmp_var, *mem_var; the other strings are borrowed from environ. */
static char **child_env(const char *tmp_dir, int mem_limit_mb, char **tmp_var, char **mem_var)
{
    size_t n = 0;
    while (environ[n]) n++;
    char **env = calloc(n + 4, sizeof *env);
    *tmp_var = *mem_var = NULL;
    if (!env || asprintf(tmp_var, "TMPDIR=%s", tmp_dir) < 0 ||
        asprintf(mem_var, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%d", mem_limit_mb) < 0) {
        free(env);
        free(*tmp_var);
        *tmp_var = NULL;
        return NULL;
    }
    size_t k = 0;
    int have_blas = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strncmp(environ[i], "TMPDIR=", 7) ||
            !strncmp(environ[i], "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=", 32))
            continue;
        if (!strncmp(environ[i], "OPENBLAS_NUM_THREADS=", 21)) have_blas = 1;
        env[k++] = environ[i];
    }
    env[k++] = *tmp_var;
    env[k++] = *mem_var;
    if (!have_blas) env[k++] = (char *)"OPENBLAS_NUM_THREADS=1";
    env[k] = NULL;
    return env;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int sandbox_child_spawn(struct sandbox *sb, struct err *e)
{
    int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1};
    char **env = NULL, *tmp_var = NULL, *mem_var = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int have_fa = 0, have_attr = 0, rc = 0;

    if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC)) {
        rc = err_errno(e, errno, "creating pipes for %s", sb->fn_path);
        goto out;
    }
    env = child_env(sb->tmp_dir, sb->opts.mem_limit_mb, &tmp_var, &mem_var);
    if (!env) {
        rc = err_set(e, SIREN_ENOMEM, "child environment");
        goto out;
    }
    if ((rc = posix_spawn_file_actions_init(&fa))) goto spawn_fail;
    have_fa = 1;
    if ((rc = posix_spawn_file_actions_adddup2(&fa, in_pipe[0], STDIN_FILENO)) ||
        (rc = posix_spawn_file_actions_adddup2(&fa, out_pipe[1], STDOUT_FILENO)))
        goto spawn_fail;
    if ((rc = posix_spawnattr_init(&attr))) goto spawn_fail;
    have_attr = 1;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    if ((rc = posix_spawnattr_setsigmask(&attr, &none)) ||
        (rc = posix_spawnattr_setsigdefault(&attr, &all)) ||
        (rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)))
        goto spawn_fail;
    char *argv[] = {sb->fn_path, NULL};
    if ((rc = posix_spawn(&sb->pid, sb->fn_path, &fa, &attr, argv, env))) goto spawn_fail;
    sb->alive = 1;
    /* posix_spawn returns after the exec: the child's ru_maxrss already holds our hiwater. */
    sb->host_hwm_kb = proc_hwm_kb(getpid());
    sb->to_child = in_pipe[1];
    sb->from_child = out_pipe[0];
    in_pipe[1] = out_pipe[0] = -1;
    if (set_nonblock(sb->to_child) || set_nonblock(sb->from_child)) {
        rc = err_errno(e, errno, "fcntl O_NONBLOCK");
        goto out;
    }
    sb->have_cpu_clock = clock_getcpuclockid(sb->pid, &sb->cpu_clock) == 0;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/%ld/statm", (long)sb->pid);
    sb->statm_fd = open(proc, O_RDONLY | O_CLOEXEC);
    snprintf(proc, sizeof proc, "/proc/%ld/status", (long)sb->pid);
    sb->status_fd = open(proc, O_RDONLY | O_CLOEXEC);
    snprintf(proc, sizeof proc, "/proc/%ld/clear_refs", (long)sb->pid);
    sb->clear_refs_fd = open(proc, O_WRONLY | O_CLOEXEC);
    rc = 0;
    goto out;
spawn_fail:
    rc = err_errno(e, rc, "posix_spawn %s", sb->fn_path);
out:
    if (have_fa) posix_spawn_file_actions_destroy(&fa);
    if (have_attr) posix_spawnattr_destroy(&attr);
    for (int i = 0; i < 2; i++) {
        if (in_pipe[i] >= 0) close(in_pipe[i]);
        if (out_pipe[i] >= 0) close(out_pipe[i]);
    }
    free(env);
    free(tmp_var);
    free(mem_var);
    return rc;
}

/* ------------------------------------------------------------------------ frames */

/* Checks rbuf for a whole frame: 1 = whole (payload offset/len out), 0 = need more,
 * -1 = malformed (reason in why). */
static int frame_check(const struct sandbox *sb, size_t *off, size_t *len, char *why,
                       size_t whylen)
{
    char *nl = sb->rlen ? memchr(sb->rbuf, '\n', sb->rlen) : NULL; /* rbuf may be NULL yet */
    if (!nl) {
        if (sb->rlen >= FN_FRAME_HEADER_MAX) goto bad_header;
        for (size_t i = 0; i < sb->rlen; i++)
            if (!isdigit((unsigned char)sb->rbuf[i])) goto bad_header;
        return 0;
    }
    size_t hdr = (size_t)(nl - sb->rbuf);
    if (hdr == 0 || hdr >= FN_FRAME_HEADER_MAX) goto bad_header;
    unsigned long long n = 0;
    for (size_t i = 0; i < hdr; i++) {
        if (!isdigit((unsigned char)sb->rbuf[i])) goto bad_header;
        n = n * 10 + (unsigned long long)(sb->rbuf[i] - '0');
    }
    if (n > FN_FRAME_MAX_BYTES) {
        snprintf(why, whylen, "response frame of %llu bytes exceeds the %u-byte limit", n,
                 FN_FRAME_MAX_BYTES);
        return -1;
    }
    if (sb->rlen < hdr + 1 + n) return 0;
    *off = hdr + 1;
    *len = (size_t)n;
    return 1;
bad_header:
    snprintf(why, whylen, "runtime wrote %zu bytes that are not a frame: \"%.*s\"", sb->rlen,
             (int)(sb->rlen < 40 ? sb->rlen : 40), sb->rbuf);
    for (char *c = why; *c; c++)
        if (!isprint((unsigned char)*c)) *c = '?';
    return -1;
}

/* Milliseconds to the next sample after one that found w->rss_last. */
static double watch_period_ms(const struct watch *w)
{
    if (w->rss_limit <= 0 || w->cpu_limit_ms > 0 || w->rss_last < 0) return w->slice_ms;
    double headroom_mb = (double)(w->rss_limit - w->rss_last) / 1048576.0;
    return fmax(w->slice_ms, fmin(headroom_mb / WATCHDOG_GROWTH_MB_PER_MS, WATCHDOG_MAX_SLICE_MS));
}

/* Samples the child: resident set and CPU time. Returns WAIT_MEMORY, WAIT_CPU or -1. */
static int watch_sample(const struct sandbox *sb, struct watch *w)
{
    long long rss = child_rss_bytes(sb);
    w->rss_last = rss;
    if (rss > w->rss_max) w->rss_max = rss;
    if (w->rss_limit > 0 && rss > w->rss_limit) return WAIT_MEMORY;
    if (w->cpu_limit_ms > 0) {
        double cpu = sandbox_child_cpu_ms(sb);
        if (cpu >= 0 && cpu - w->cpu_start_ms > w->cpu_limit_ms) return WAIT_CPU;
    }
    return -1;
}

/* Reads from the child until one whole frame, EOF, a malformed prefix, the deadline or a
 * limit. Never blocks past the deadline. */
enum wait_end sandbox_frame_wait(struct sandbox *sb, struct watch *w, size_t *off, size_t *len,
                                char *why, size_t whylen)
{
    double next_sample_s = 0;
    for (;;) {
        int c = frame_check(sb, off, len, why, whylen);
        if (c > 0) return WAIT_FRAME;
        if (c < 0) return WAIT_BAD;
        double now = clock_mono_s();
        if (now >= next_sample_s) {
            int s = watch_sample(sb, w);
            if (s >= 0) return (enum wait_end)s;
            next_sample_s = now + watch_period_ms(w) / 1000.0;
        }
        if (now >= w->deadline_s) return WAIT_TIMEOUT;
        double wait_ms = fmin(next_sample_s - now, w->deadline_s - now) * 1000.0;
        struct pollfd pfd = {sb->from_child, POLLIN, 0};
        int pr = poll(&pfd, 1, (int)ceil(wait_ms));
        if (pr < 0 && errno != EINTR) return WAIT_IOERR;
        if (pr <= 0) continue;
        if (sb->rcap - sb->rlen < 65536) {
            size_t cap = sb->rcap ? sb->rcap * 2 : 65536;
            char *nb = realloc(sb->rbuf, cap);
            if (!nb) return WAIT_IOERR;
            sb->rbuf = nb;
            sb->rcap = cap;
        }
        ssize_t got = read(sb->from_child, sb->rbuf + sb->rlen, sb->rcap - sb->rlen - 1);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got < 0) return WAIT_IOERR;
        if (got == 0) return WAIT_EOF;
        sb->rlen += (size_t)got;
    }
}

/* Writes all of data to the child before the deadline. 0, ETIMEDOUT, or an errno. */
int sandbox_child_write(struct sandbox *sb, const char *data, size_t len, double deadline_s)
{
    while (len > 0) {
        ssize_t n = write(sb->to_child, data, len);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) return errno;
        double left_ms = (deadline_s - clock_mono_s()) * 1000.0;
        if (left_ms <= 0) return ETIMEDOUT;
        struct pollfd pfd = {sb->to_child, POLLOUT, 0};
        if (poll(&pfd, 1, (int)ceil(left_ms)) < 0 && errno != EINTR) return errno;
    }
    return 0;
}

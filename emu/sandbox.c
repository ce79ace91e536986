/*
 * sandbox: host side of siren-fn processes. One process per sandbox, spawned with posix_spawn
 * onto two O_CLOEXEC pipes; the host end of both is non-blocking and every wait is a poll()
 * with a deadline, so no child can hang the host. Memory: a cgroup limit (v2 or v1) when one
 * can be created, else a watchdog that samples the resident set while an event runs (every
 * millisecond near the memory size, less often far below it); in both cases the exact peak of
 * the invocation (VmHWM after clear_refs, or
 * wait4's ru_maxrss for a process that died) is checked against the memory size afterwards.
 * CPU time is measured with the process's CPU clock and capped by polling and by RLIMIT_CPU.
 */
#define _GNU_SOURCE
#include "sandbox.h"

#include "fn_runtime.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Watchdog sampling period, and the slower period used when a cgroup enforces memory and the
 * loop only checks CPU time and the deadline. */
#define WATCHDOG_SLICE_MS 1
#define CGROUP_SLICE_MS 5
/* Far below the memory size the watchdog samples less often: the next sample comes when the
 * resident set could first have grown to the size at WATCHDOG_GROWTH_MB_PER_MS (faster than a
 * core fills fresh pages, even huge ones), and within WATCHDOG_MAX_SLICE_MS. A function well
 * inside its memory is then not interrupted every millisecond (each sample is a context
 * switch on the host it shares), and one near its limit is watched as closely as before. A
 * growth faster still is caught by the exact peak after the event. */
#define WATCHDOG_GROWTH_MB_PER_MS 16.0
#define WATCHDOG_MAX_SLICE_MS 10.0
/* How long a child that closed stdout may take to exit before it is killed. */
#define EOF_GRACE_MS 100

struct sandbox {
    struct sandbox_opts opts;
    char fn_path[PATH_MAX];
    enum sandbox_mem_method method;
    pid_t pid;
    int to_child;   /* host writes events here (child's stdin); non-blocking */
    int from_child; /* host reads responses here (child's stdout); non-blocking */
    int alive;
    int invocations;
    double init_ms;
    long host_hwm_kb; /* host's VmHWM when the child exec'ed: bound on a polluted ru_maxrss */
    clockid_t cpu_clock;
    int have_cpu_clock;
    int cg_version;   /* 0: no cgroup */
    char cg_path[PATH_MAX];
    char tmp_dir[PATH_MAX];
    char *rbuf;
    size_t rlen, rcap;
    struct rusage ru;
    int wstatus;
    int reaped;
    unsigned long pool_stamp; /* least recently used order in a pool */
    /* The child's /proc/PID/statm, status and clear_refs, opened once after the spawn (-1 when
     * they could not be): the watchdog samples statm every millisecond and every invocation
     * resets and reads the peak, so each saves a path lookup, an open and a close. An fd on a
     * /proc/PID file stays bound to that process: once it is reaped, reads fail instead of
     * describing a newer process that got the same pid. */
    int statm_fd, status_fd, clear_refs_fd;
};

/* ------------------------------------------------------------------ small helpers */

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

static void sleep_ms(double ms)
{
    long long ns = (long long)(ms * 1e6);
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Writes text to a (sysfs or proc) file; returns 0 or errno. */
static int write_text(const char *path, const char *text)
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
static ssize_t read_text(const char *path, char *buf, size_t buflen)
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
static long long read_keyed(const char *path, const char *key)
{
    char buf[4096];
    if (read_text(path, buf, sizeof buf) < 0) return -1;
    return keyed_value(buf, key);
}

static long proc_hwm_kb(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    return (long)read_keyed(path, "VmHWM:");
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
static long child_hwm_kb(const struct sandbox *sb)
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
        got = read_text(path, buf, sizeof buf);
    }
    if (got <= 0) return -1;
    char *p = strchr(buf, ' ');
    if (!p) return -1;
    return strtoll(p + 1, NULL, 10) * (long long)sysconf(_SC_PAGESIZE);
}

static double cpu_ms_of(const struct sandbox *sb)
{
    struct timespec ts;
    if (!sb->have_cpu_clock || clock_gettime(sb->cpu_clock, &ts)) return -1;
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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

/* ------------------------------------------------------------------------ cgroups */

/* Where this process's memory cgroup lives, found once. */
static struct {
    pthread_once_t once;
    int version; /* 0: none usable */
    char base[PATH_MAX];
    char why[512];
} cg = {PTHREAD_ONCE_INIT, 0, "", ""};

/* Mount point of the cgroup2 fs (want_v1 = 0) or of the v1 hierarchy with the memory
 * controller (want_v1 = 1), from /proc/self/mountinfo. */
static int find_cgroup_mount(int want_v1, char *out, size_t outlen)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f) return -1;
    char line[4096];
    int found = -1;
    while (found && fgets(line, sizeof line, f)) {
        /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
        char *sep = strstr(line, " - ");
        if (!sep) continue;
        char fstype[64], source[256], super[1024] = "";
        if (sscanf(sep + 3, "%63s %255s %1023s", fstype, source, super) < 2) continue;
        char root[PATH_MAX], mnt[PATH_MAX];
        if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2) continue;
        int match = 0;
        if (!want_v1 && !strcmp(fstype, "cgroup2")) match = 1;
        if (want_v1 && !strcmp(fstype, "cgroup")) {
            for (char *tok = strtok(super, ","); tok; tok = strtok(NULL, ","))
                if (!strcmp(tok, "memory")) match = 1;
        }
        if (match) {
            snprintf(out, outlen, "%s", mnt);
            found = 0;
        }
    }
    fclose(f);
    return found;
}

/* This process's cgroup path in the v2 hierarchy ("0::/x") or the v1 memory hierarchy. */
static int find_own_cgroup(int want_v1, char *out, size_t outlen)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f) return -1;
    char line[4096];
    int found = -1;
    while (found && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2) continue;
        *c2 = '\0';
        const char *ctrls = c1 + 1;
        if (!want_v1 && !strcmp(line, "0") && !*ctrls) {
            snprintf(out, outlen, "%s", c2 + 1);
            found = 0;
        } else if (want_v1) {
            char copy[256];
            snprintf(copy, sizeof copy, "%s", ctrls);
            for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ","))
                if (!strcmp(tok, "memory")) {
                    snprintf(out, outlen, "%s", c2 + 1);
                    found = 0;
                }
        }
    }
    fclose(f);
    return found;
}

/* Creates a group under base, sets a limit in it and removes it: proof that sandboxes can. */
static int cgroup_try(int version, const char *base)
{
    char dir[PATH_MAX + 64], file[PATH_MAX + 128];
    snprintf(dir, sizeof dir, "%s/siren-probe-%ld", base, (long)getpid());
    if (mkdir(dir, 0755) && errno != EEXIST) return errno;
    snprintf(file, sizeof file, "%s/%s", dir,
             version == 2 ? "memory.max" : "memory.limit_in_bytes");
    int rc = write_text(file, "67108864");
    rmdir(dir);
    return rc;
}

static void cgroup_detect(void)
{
    char mnt[PATH_MAX], own[PATH_MAX], base[PATH_MAX * 2 + 8], file[PATH_MAX * 3];
    /* cgroup v2: the memory controller must be available and enabled for our children. */
    if (!find_cgroup_mount(0, mnt, sizeof mnt) && !find_own_cgroup(0, own, sizeof own)) {
        snprintf(base, sizeof base, "%s%s", mnt, strcmp(own, "/") ? own : "");
        if (!fs_is_dir(base)) snprintf(base, sizeof base, "%s", mnt);
        char ctl[1024] = "";
        snprintf(file, sizeof file, "%s/cgroup.controllers", base);
        read_text(file, ctl, sizeof ctl);
        if (strstr(ctl, "memory")) {
            char sub[1024] = "";
            snprintf(file, sizeof file, "%s/cgroup.subtree_control", base);
            read_text(file, sub, sizeof sub);
            /* Enabling fails with EBUSY when our group holds processes and is not the root
             * (cgroup v2's "no internal processes" rule); then v2 is not usable from here. */
            int rc = strstr(sub, "memory") ? 0 : write_text(file, "+memory");
            if (!rc) rc = cgroup_try(2, base);
            if (!rc) {
                cg.version = 2;
                snprintf(cg.base, sizeof cg.base, "%s", base);
                return;
            }
            snprintf(cg.why, sizeof cg.why, "cgroup v2 at %s: %s", base, strerror(rc));
        } else {
            snprintf(cg.why, sizeof cg.why, "cgroup v2 at %s: no memory controller", base);
        }
    }
    /* cgroup v1 memory hierarchy (hybrid or legacy hosts). */
    if (!find_cgroup_mount(1, mnt, sizeof mnt) && !find_own_cgroup(1, own, sizeof own)) {
        snprintf(base, sizeof base, "%s%s", mnt, strcmp(own, "/") ? own : "");
        if (!fs_is_dir(base)) snprintf(base, sizeof base, "%s", mnt);
        int rc = cgroup_try(1, base);
        if (!rc) {
            cg.version = 1;
            snprintf(cg.base, sizeof cg.base, "%s", base);
            return;
        }
        size_t n = strlen(cg.why);
        snprintf(cg.why + n, sizeof cg.why - n, "%scgroup v1 memory at %s: %s", n ? "; " : "",
                 base, strerror(rc));
    } else if (!cg.why[0]) {
        snprintf(cg.why, sizeof cg.why, "no cgroup memory controller mounted");
    }
}

int sandbox_cgroup_probe(int *version, struct err *e)
{
    pthread_once(&cg.once, cgroup_detect);
    if (version) *version = cg.version;
    if (!cg.version) return err_set(e, SIREN_EUNSUPPORTED, "no memory cgroup: %s", cg.why);
    return 0;
}

static void cg_file(const struct sandbox *sb, const char *name, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s", sb->cg_path, name);
}

static int cgroup_create(struct sandbox *sb, struct err *e)
{
    static unsigned long counter;
    char file[PATH_MAX + 64], num[32];
    snprintf(sb->cg_path, sizeof sb->cg_path, "%s/siren-sb-%ld-%lu", cg.base, (long)getpid(),
             __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
    if (mkdir(sb->cg_path, 0755)) {
        int errnum = errno;
        sb->cg_path[0] = '\0';
        return err_errno(e, errnum, "creating cgroup under %s", cg.base);
    }
    sb->cg_version = cg.version;
    snprintf(num, sizeof num, "%lld", (long long)sb->opts.mem_limit_mb << 20);
    int rc;
    if (cg.version == 2) {
        cg_file(sb, "memory.max", file, sizeof file);
        rc = write_text(file, num);
        cg_file(sb, "memory.swap.max", file, sizeof file);
        if (!rc) (void)write_text(file, "0"); /* absent without swap accounting: fine */
    } else {
        cg_file(sb, "memory.limit_in_bytes", file, sizeof file);
        rc = write_text(file, num);
        /* memory + swap = memory: no swap. Absent without swap accounting: fine. */
        cg_file(sb, "memory.memsw.limit_in_bytes", file, sizeof file);
        if (!rc) (void)write_text(file, num);
        /* Carry the pages the process touched before it moved in (deprecated; best effort). */
        cg_file(sb, "memory.move_charge_at_immigrate", file, sizeof file);
        if (!rc) (void)write_text(file, "3");
    }
    if (rc) return err_errno(e, rc, "setting the memory limit of %s", sb->cg_path);
    return 0;
}

static int cgroup_attach(struct sandbox *sb, struct err *e)
{
    char file[PATH_MAX + 64], num[32];
    cg_file(sb, "cgroup.procs", file, sizeof file);
    snprintf(num, sizeof num, "%ld", (long)sb->pid);
    int rc = write_text(file, num);
    if (rc) return err_errno(e, rc, "moving pid %ld into %s", (long)sb->pid, sb->cg_path);
    return 0;
}

/* OOM kills recorded in the sandbox's group so far; 0 without a group. */
static long long cgroup_oom_kills(const struct sandbox *sb)
{
    char file[PATH_MAX + 64];
    if (!sb->cg_version) return 0;
    cg_file(sb, sb->cg_version == 2 ? "memory.events" : "memory.oom_control", file, sizeof file);
    long long n = read_keyed(file, "oom_kill");
    return n < 0 ? 0 : n;
}

static void cgroup_remove(struct sandbox *sb)
{
    if (!sb->cg_path[0]) return;
    /* The group empties as soon as its process is reaped; allow the kernel a moment. */
    for (int i = 0; i < 200 && rmdir(sb->cg_path) && errno == EBUSY; i++) sleep_ms(1);
    sb->cg_path[0] = '\0';
}

/* ----------------------------------------------------------------- the process */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* Kills (if needed) and reaps the child, keeping its rusage and status. Blocks. */
static void reap(struct sandbox *sb, int kill_first)
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
static int reap_within(struct sandbox *sb, double grace_ms)
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
        sleep_ms(0.5);
    }
}

void sandbox_close(struct sandbox *sb)
{
    if (!sb) return;
    if (sb->to_child >= 0) close(sb->to_child);
    if (sb->from_child >= 0) close(sb->from_child);
    if (sb->statm_fd >= 0) close(sb->statm_fd);
    if (sb->status_fd >= 0) close(sb->status_fd);
    if (sb->clear_refs_fd >= 0) close(sb->clear_refs_fd);
    if (sb->pid > 0) reap(sb, 1);
    cgroup_remove(sb);
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

static int spawn_child(struct sandbox *sb, struct err *e)
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

/* ------------------------------------------------------------------ frames */

/* Outcome of waiting for a frame. */
enum wait_end {
    WAIT_FRAME,    /* a whole frame is in rbuf */
    WAIT_EOF,      /* stdout closed first (partial bytes may be in rbuf) */
    WAIT_BAD,      /* bytes that are not a frame */
    WAIT_TIMEOUT,  /* deadline passed */
    WAIT_MEMORY,   /* watchdog: resident set above the limit */
    WAIT_CPU,      /* CPU time of the invocation above the limit */
    WAIT_IOERR,    /* read() failed */
};

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

struct watch {
    double deadline_s;     /* absolute, clock_mono_s() */
    double slice_ms;       /* sampling period (the shortest, for a watchdog) */
    long long rss_limit;   /* bytes; 0 = no watchdog */
    double cpu_start_ms;   /* CPU clock at the start of the invocation */
    double cpu_limit_ms;   /* 0 = none */
    long long rss_max;     /* out: largest resident set sampled */
    long long rss_last;    /* the last sample, or -1 */
};

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
        double cpu = cpu_ms_of(sb);
        if (cpu >= 0 && cpu - w->cpu_start_ms > w->cpu_limit_ms) return WAIT_CPU;
    }
    return -1;
}

/* Reads from the child until one whole frame, EOF, a malformed prefix, the deadline or a
 * limit. Never blocks past the deadline. */
static enum wait_end wait_frame(struct sandbox *sb, struct watch *w, size_t *off, size_t *len,
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
static int write_all(struct sandbox *sb, const char *data, size_t len, double deadline_s)
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

/* ------------------------------------------------------------------- open */

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
    if (sb->method == SANDBOX_MEM_CGROUP && (rc = cgroup_create(sb, e))) goto fail;

    double t0 = clock_mono_s();
    if ((rc = spawn_child(sb, e))) goto fail;
    if (sb->cg_path[0] && (rc = cgroup_attach(sb, e))) goto fail;

    /* Wait for the ready frame; during start-up only the deadline and memory are watched. */
    struct watch w = {t0 + sb->opts.init_timeout_ms / 1000.0,
                      sb->method == SANDBOX_MEM_WATCHDOG ? WATCHDOG_SLICE_MS : CGROUP_SLICE_MS,
                      sb->method == SANDBOX_MEM_WATCHDOG ? (long long)opts->mem_limit_mb << 20 : 0,
                      0, 0, 0, -1};
    size_t off = 0, len = 0;
    char why[256] = "";
    enum wait_end end = wait_frame(sb, &w, &off, &len, why, sizeof why);
    if (end != WAIT_FRAME) {
        reap(sb, 1);
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

/* ----------------------------------------------------------------- invoke */

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
    if (end == WAIT_EOF && !reap_within(sb, EOF_GRACE_MS)) {
        killed_by_us = 1;
        end = WAIT_BAD;
        why = "runtime closed its response stream (stdout) without answering";
    }
    reap(sb, killed_by_us);
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
    if (cgroup_oom_kills(sb) > oom_before ||
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
static int event_text(const cJSON *event, char **text, struct sandbox_result *res, struct err *e)
{
    *text = event ? cJSON_PrintUnformatted(event) : NULL;
    if (!event || *text) return SIREN_OK;
    sandbox_result_init(res);
    return err_set(e, SIREN_ENOMEM, "sandbox: event frame");
}

int sandbox_invoke(struct sandbox *sb, const char *handler, const cJSON *event,
                   struct sandbox_result *res, struct err *e)
{
    char *text;
    int rc = event_text(event, &text, res, e);
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
        (void)write_text(path, "5");
    }
    long long oom_before = cgroup_oom_kills(sb);
    double cpu0 = cpu_ms_of(sb);
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
    int wrc = write_all(sb, header, (size_t)hlen, w.deadline_s);
    if (!wrc) wrc = write_all(sb, payload, (size_t)plen, w.deadline_s);
    free(payload);
    size_t off = 0, len = 0;
    if (wrc == ETIMEDOUT) end = WAIT_TIMEOUT;
    else if (wrc == EPIPE) end = WAIT_EOF; /* the process is gone: reap and classify */
    else if (wrc) {
        snprintf(why, sizeof why, "writing the event: %s", strerror(wrc));
        end = WAIT_BAD;
    } else {
        end = wait_frame(sb, &w, &off, &len, why, sizeof why);
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
    double cpu1 = cpu_ms_of(sb);
    if (cpu0 >= 0 && cpu1 >= 0) res->cpu_ms = cpu1 - cpu0;

    if (end == WAIT_FRAME) {
        /* Alive: the exact peak of this invocation, checked against the memory size. */
        long hwm_kb = child_hwm_kb(sb);
        res->peak_mb = hwm_kb > 0 ? (double)hwm_kb / 1024.0 : (double)w.rss_max / 1048576.0;
        if (res->peak_mb > sb->opts.mem_limit_mb) {
            cJSON_Delete(res->response);
            res->response = NULL;
            reap(sb, 1);
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

/* ------------------------------------------------------------------- pool */

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
    int rc = event_text(event, &text, res, e);
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

/*
 * sandbox_internal: what the rooms of the sandbox share; never included outside emu/sandbox*.c.
 *   sandbox.c         the life cycle (open, invoke, close) and Lambda's wording for every outcome
 *   sandbox_child.c   the siren-fn process: spawn and reap, its /proc files, the frames on its
 *                     pipes, and the watch (deadline, CPU time, resident set) while it runs
 *   sandbox_cgroup.c  memory cgroups: whether one can be made here, one per sandbox, OOM kills
 *   sandbox_pool.c    idle sandboxes kept warm by memory size
 * sandbox_open() allocates a struct sandbox and sandbox_close() frees it; the other rooms only
 * work on the fields named in their functions' comments, from the one thread that drives it.
 */
#ifndef SIREN_SANDBOX_INTERNAL_H
#define SIREN_SANDBOX_INTERNAL_H

#include "sandbox.h"

#include <limits.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

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

/* What a wait watches, and what it saw. */
struct watch {
    double deadline_s;     /* absolute, clock_mono_s() */
    double slice_ms;       /* sampling period (the shortest, for a watchdog) */
    long long rss_limit;   /* bytes; 0 = no watchdog */
    double cpu_start_ms;   /* CPU clock at the start of the invocation */
    double cpu_limit_ms;   /* 0 = none */
    long long rss_max;     /* out: largest resident set sampled */
    long long rss_last;    /* the last sample, or -1 */
};

/* ------------------------------------------------------- sandbox_child.c: the process */

/* Sleeps ms milliseconds, resuming after signals. */
void sandbox_sleep_ms(double ms);
/* Small sysfs and procfs files: sandbox_text_write returns 0 or an errno; sandbox_text_read
 * returns the bytes read into buf (NUL-terminated) or -1; sandbox_text_read_keyed the number
 * after key ("VmHWM:", "oom_kill") in a "key value" file, or -1. */
int sandbox_text_write(const char *path, const char *text);
ssize_t sandbox_text_read(const char *path, char *buf, size_t buflen);
long long sandbox_text_read_keyed(const char *path, const char *key);

/* Starts siren-fn (sb->fn_path) on two pipes with the sandbox's environment and opens its
 * /proc files; sets pid, alive, to_child, from_child, host_hwm_kb, the CPU clock and the
 * /proc fds. Errors as sandbox_open()'s spawn failures. */
int sandbox_child_spawn(struct sandbox *sb, struct err *e);
/* Kills the child first (kill_first) or not, and reaps it, keeping its rusage and status.
 * Blocks until reaped. */
void sandbox_child_reap(struct sandbox *sb, int kill_first);
/* Reaps the child if it exits within grace_ms; 1 when reaped. */
int sandbox_child_reap_within(struct sandbox *sb, double grace_ms);
/* The child's peak resident set (VmHWM) in KiB, or -1 when gone. */
long sandbox_child_hwm_kb(const struct sandbox *sb);
/* The child's CPU time in ms, or -1 when its clock cannot be read. */
double sandbox_child_cpu_ms(const struct sandbox *sb);
/* Writes all of data to the child before deadline_s: 0, ETIMEDOUT or an errno. */
int sandbox_child_write(struct sandbox *sb, const char *data, size_t len, double deadline_s);
/* Reads from the child into sb->rbuf until a whole frame (its payload at *off, *len), EOF, a
 * malformed prefix (the reason in why), w's deadline or one of w's limits. Never blocks past
 * the deadline. */
enum wait_end sandbox_frame_wait(struct sandbox *sb, struct watch *w, size_t *off, size_t *len,
                                 char *why, size_t whylen);

/* ------------------------------------------------------ sandbox_cgroup.c: memory cgroups */

/* Makes sb's own group under the detected base with its memory limit (sets cg_path and
 * cg_version); SIREN_EIO-class errors from errno. */
int sandbox_cgroup_create(struct sandbox *sb, struct err *e);
/* Moves the child (sb->pid) into sb's group. */
int sandbox_cgroup_attach(struct sandbox *sb, struct err *e);
/* OOM kills recorded in sb's group so far; 0 without a group. */
long long sandbox_cgroup_oom_kills(const struct sandbox *sb);
/* Removes sb's group once its process is gone (waits up to 200 ms for the kernel). */
void sandbox_cgroup_remove(struct sandbox *sb);

/* ----------------------------------------------------------------------- sandbox.c */

/* The event as JSON text for the *_text invokers (*text NULL for no event; caller frees);
 * SIREN_ENOMEM with res initialised. */
int sandbox_event_text(const cJSON *event, char **text, struct sandbox_result *res,
                       struct err *e);
/* The event's text (NULL: null) against opts' synchronous payload limit, for handler;
 * SIREN_ELIMIT (payload_event_check) when it is over. */
int sandbox_event_check(const struct sandbox_opts *opts, const char *handler,
                        const char *event_json, struct err *e);

#endif

/*
 * sandbox: runs the function in a siren-fn process with Lambda's limits (host side). One
 * process per sandbox (posix_spawn, framed JSON on its stdin/stdout, see fn_runtime.h); the
 * memory size is enforced on resident memory (a memory cgroup where one can be created, else
 * a resident-set watchdog plus the exact peak), with a per-invocation CPU-time limit and a
 * wall-clock timeout, all ending in SIGKILL. Every failure of the function becomes a
 * sandbox_result with Lambda's wording, never a host error or a hang. A failed sandbox is dead;
 * a pool keeps healthy ones warm by memory size. One thread drives a sandbox or pool at a time.
 * sandbox_open() sets SIGPIPE to SIG_IGN if it was SIG_DFL (writes to a dead child get EPIPE).
 */
#ifndef SIREN_SANDBOX_H
#define SIREN_SANDBOX_H

#include "core.h"
#include "payload.h"

#include <sys/types.h>

/* How the memory size is enforced. AUTO picks CGROUP when a memory cgroup can be created
 * (v2 memory.max, or v1 memory.limit_in_bytes) and WATCHDOG otherwise; the environment
 * variable SIREN_SANDBOX_MEM=cgroup|watchdog overrides AUTO. */
enum sandbox_mem_method {
    SANDBOX_MEM_AUTO = 0,
    SANDBOX_MEM_CGROUP,
    SANDBOX_MEM_WATCHDOG,
};

/* Outcome of one invocation. Only OK and HANDLER_ERROR leave the sandbox alive. */
enum sandbox_status {
    SANDBOX_OK = 0,
    SANDBOX_HANDLER_ERROR, /* the handler returned an error; its message is the result's */
    SANDBOX_TIMEOUT,       /* wall-clock timeout: killed */
    SANDBOX_MEMORY,        /* resident memory above the memory size: killed */
    SANDBOX_CPU_LIMIT,     /* CPU time of the invocation above the limit: killed */
    SANDBOX_CRASHED,       /* the process died (signal or exit) on its own */
    SANDBOX_BAD_RESPONSE,  /* malformed frame or JSON, or stdout closed: killed */
};

struct sandbox_opts {
    int mem_limit_mb;     /* memory size; > 0 */
    int timeout_ms;       /* wall-clock limit of one invocation; > 0 */
    int cpu_limit_ms;     /* CPU time limit of one invocation; 0 = none. Polled (SIGKILL at
                           * the limit), with RLIMIT_CPU a second later as a backstop */
    int init_timeout_ms;  /* limit on process start-up; 0 = 10000 (Lambda's init limit) */
    enum sandbox_mem_method mem_method;
    const char *fn_path;  /* siren-fn executable; NULL = sandbox_default_fn_path() */
    /* The Invoke API's limits (payload.h); every invocation is synchronous, the host waits for
     * the response. An event over payload.sync_bytes is refused before anything is started or
     * sent (SIREN_ELIMIT); a response over it fails the invocation as Lambda's does
     * (HANDLER_ERROR, errorType Function.ResponseSizeTooLarge, the sandbox stays warm).
     * Zero (sandbox_opts_init): no limit. */
    struct payload_limits payload;
};

/* What one invocation gave. Caller owns response; release with sandbox_result_free(). */
struct sandbox_result {
    enum sandbox_status status;
    cJSON *response;       /* the handler's response (OK only), else NULL */
    char error_type[64];   /* Lambda's errorType ("Sandbox.Timedout", "Runtime.ExitError",
                            * "Runtime.InvalidResponse", or the handler's), or "" */
    char error_msg[512];   /* Lambda's errorMessage, or "" */
    double duration_ms;    /* wall time from sending the event to the response or the kill */
    double init_ms;        /* cold start (spawn to ready) on the first invocation, else 0 */
    double cpu_ms;         /* CPU time the process used during the invocation */
    double peak_mb;        /* peak resident memory (MiB) of the process, runtime included,
                            * during this invocation: VmHWM after a reset, or wait4's
                            * ru_maxrss for a process that died; the largest 1-10 ms sample
                            * only when ru_maxrss is masked by the host's own peak */
    int cold;              /* 1 on the first invocation of the process */
    pid_t pid;             /* the siren-fn process that ran it */
    int term_signal;       /* the signal that ended the process, or 0 */
    enum sandbox_mem_method mem_method; /* the method actually used */
};

struct sandbox;

/* Fills opts with defaults: 128 MB, 3000 ms, no CPU limit, AUTO, default fn path. */
void sandbox_opts_init(struct sandbox_opts *opts);

/* The siren-fn path: $SIREN_FN, else "siren-fn" next to /proc/self/exe. Writes into buf. */
int sandbox_default_fn_path(char *buf, size_t buflen, struct err *e) SIREN_WUR;

/* Whether a memory cgroup can be created here; on success *version is 1 or 2. Cached after
 * the first call. Returns 0 or SIREN_EUNSUPPORTED with the reason in e. */
int sandbox_cgroup_probe(int *version, struct err *e) SIREN_WUR;

/* Starts siren-fn under opts and waits (at most init_timeout_ms) until it is ready. Blocks.
 * The child gets TMPDIR (a fresh directory kept for the sandbox's life, removed by
 * sandbox_close: the container's /tmp), AWS_LAMBDA_FUNCTION_MEMORY_SIZE and, unless set,
 * OPENBLAS_NUM_THREADS=1. Caller owns *out; release with sandbox_close(). Errors:
 * SIREN_EINVAL (opts), SIREN_ENOTFOUND (no siren-fn at the path), SIREN_EIO (pipes, spawn,
 * cgroup set-up), SIREN_ETIMEOUT / SIREN_EKILLED / SIREN_EFORMAT (the process did not become
 * ready), SIREN_EUNSUPPORTED (CGROUP asked for but impossible), SIREN_ENOMEM. */
int sandbox_open(const struct sandbox_opts *opts, struct sandbox **out,
                 struct err *e) SIREN_WUR;

/* Runs one event through handler `handler` (a name registered in siren-fn). Blocks at most
 * about timeout_ms (+ the time to reap a killed process). A failed function is a result, not
 * an error: returns 0 with res filled for every outcome of the function, SIREN_EINVAL for a
 * sandbox that is already dead or bad arguments, SIREN_ELIMIT for an event over the payload
 * limit (nothing sent), SIREN_ENOMEM. res is always initialised. */
int sandbox_invoke(struct sandbox *sb, const char *handler, const cJSON *event,
                   struct sandbox_result *res, struct err *e) SIREN_WUR;
/* sandbox_invoke() with the event already as JSON text (NUL-terminated; NULL sends null), for
 * a host that sends many events built from one template: it renders them once, not at every
 * invocation. The text is sent as it is: it must be one JSON value. */
int sandbox_invoke_text(struct sandbox *sb, const char *handler, const char *event_json,
                        struct sandbox_result *res, struct err *e) SIREN_WUR;

/* Changes the wall-clock and CPU limits for the following invocations (warm reuse with a
 * function whose configuration changed only in time limits). */
void sandbox_set_limits(struct sandbox *sb, int timeout_ms, int cpu_limit_ms);

/* 1 while the process is alive and may take another event. */
int sandbox_alive(const struct sandbox *sb);
pid_t sandbox_pid(const struct sandbox *sb);
int sandbox_mem_limit_mb(const struct sandbox *sb);
enum sandbox_mem_method sandbox_method(const struct sandbox *sb);

/* Kills the process (SIGKILL), reaps it, removes its cgroup and /tmp directory. NULL is
 * ignored. Blocks until the process is reaped. */
void sandbox_close(struct sandbox *sb);

void sandbox_result_init(struct sandbox_result *res);
void sandbox_result_free(struct sandbox_result *res);
/* "ok", "handler_error", "timeout", "memory", "cpu_limit", "crashed", "bad_response". */
const char *sandbox_status_name(enum sandbox_status status);
const char *sandbox_method_name(enum sandbox_mem_method method);
/* Lambda's REPORT line for res ("REPORT Duration: 12.34 ms\tBilled Duration: 13 ms\t..."),
 * with "Error: ..." lines appended for a runtime failure. billing_ms: billing granularity. */
void sandbox_result_report(const struct sandbox_result *res, int mem_limit_mb, int billing_ms,
                           char *buf, size_t buflen);

/* ---------------------------------------------------------- warm pool */

/* Idle sandboxes kept alive by memory size, as warm containers. At most max_idle are kept;
 * returning one more closes the least recently used. */
struct sandbox_pool;

/* Caller owns *out; release with sandbox_pool_close(). Errors: SIREN_EINVAL, SIREN_ENOMEM. */
int sandbox_pool_open(int max_idle, struct sandbox_pool **out, struct err *e) SIREN_WUR;

/* Runs the event on a warm sandbox of opts->mem_limit_mb (same fn_path and method), or a
 * new one (cold), under opts' time and payload limits. After OK or HANDLER_ERROR the sandbox
 * returns to the pool; after any other outcome it is closed, never reused. An event over the
 * payload limit is refused before a sandbox is taken or started. Blocks. Errors as
 * sandbox_open() and sandbox_invoke(). */
int sandbox_pool_invoke(struct sandbox_pool *pool, const struct sandbox_opts *opts,
                        const char *handler, const cJSON *event, struct sandbox_result *res,
                        struct err *e) SIREN_WUR;
/* The same with the event as JSON text (see sandbox_invoke_text). */
int sandbox_pool_invoke_text(struct sandbox_pool *pool, const struct sandbox_opts *opts,
                             const char *handler, const char *event_json,
                             struct sandbox_result *res, struct err *e) SIREN_WUR;

/* Number of idle sandboxes held. */
int sandbox_pool_idle(const struct sandbox_pool *pool);
/* Closes every idle sandbox and the pool. NULL is ignored. */
void sandbox_pool_close(struct sandbox_pool *pool);

#endif

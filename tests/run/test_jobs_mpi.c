/*
 * Many jobs, one store. Eight jobs are started at once against one file: store, then eight
 * against one redis-server that asks for a password (started here, as tests/kv does; the
 * password reaches siren through $REDISCLI_AUTH only). The jobs differ in update rule, sync
 * mode, seed and n (up to 64); two of them are the same job, with nothing told apart but
 * their fresh ids. Each job's summary.json and epochs.csv are byte-identical to the same job
 * run alone on a store of its own. A fresh run under an id whose owner runs is refused at
 * once. One coordinator is killed with SIGKILL mid-run: a fresh run under its id is refused
 * (naming the id, the owner as gone and what to do), the other seven end unaffected, and it
 * resumes to identical results. At the
 * end the store holds only the objects of the job run with --keep (and the dataset it staged),
 * which siren kv gc --kept removes; no log or output holds the password.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"
#include "kv.h"
#include "store.h"
#include "redis_server.h"
#include "testutil.h"
#include "run_test.h"

extern char **environ;

#define N_JOBS 8
#define COMMON "--workload lr-synthetic --hash-bits 12 --quiet "
/* The job killed mid-run: enough epochs that the kill lands well before its end. */
#define KILLED 7
#define KILLED_EPOCHS 12

/* What each job is. The first two are the same job; the fourth is kept (--keep). The asp
 * job is one plan over every pass; the killed job runs on 2 ranks (a coordinator and an
 * invoker), as the resume test's. */
static const struct {
    int ranks;
    const char *args;
} jobs[N_JOBS] = {
    {1, "--rows 4000 --batch 100 --seed 11 --scheduler static:n=8,m=1024 --max-epochs 3"},
    {1, "--rows 4000 --batch 100 --seed 11 --scheduler static:n=8,m=1024 --max-epochs 3"},
    {1, "--rows 6400 --batch 100 --seed 12 --scheduler static:n=64,m=1024 --max-epochs 2 "
        "--update overwrite"},
    {1, "--rows 3000 --batch 100 --seed 13 --scheduler static:n=4,m=1024 --max-epochs 3 "
        "--sync bsp --update overwrite --keep"},
    {1, "--rows 3000 --batch 100 --seed 14 --scheduler static:n=6,m=1024 --max-epochs 3 "
        "--update allreduce"},
    {1, "--rows 3000 --batch 100 --seed 15 --scheduler static:n=4,m=1024 --max-epochs 3 "
        "--sync ssp:2 --update apply"},
    {1, "--rows 3000 --batch 100 --seed 16 --scheduler static:n=4,m=1024 --max-epochs 3 "
        "--sync asp --update overwrite"},
    {2, "--rows 4000 --batch 100 --seed 17 --scheduler static:n=4,m=1024 --max-epochs 12"},
};
#define KEPT 3

/* The server of the Redis half; its password reaches siren through $REDISCLI_AUTH only. */
static struct tu_redis redis = {.pid = -1};

/* tu_redis_start's readiness check: siren's own store opens on it (with $REDISCLI_AUTH). */
static int kv_answers(const struct tu_redis *r)
{
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", r->port);
    setenv("REDISCLI_AUTH", r->password, 1);
    struct kv *kv;
    struct err e;
    if (kv_open(url, &kv, &e)) return 0;
    kv_close(kv);
    return 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The command line of job i as name, on store url (NULL: the run's own), its output in
 * dir/name.log. */
static char *job_command(int i, const char *name, const char *url, const char *extra)
{
    const char *bin = getenv("SIREN_BIN");
    assert_non_null(bin);
    char *cmd = NULL;
    assert_true(asprintf(&cmd, "exec mpirun -n %d --oversubscribe %s run " COMMON "%s %s%s %s "
                               "--out %s/%s >>%s/%s.log 2>&1",
                         jobs[i].ranks, bin, jobs[i].args, url ? "--kv " : "", url ? url : "",
                         extra ? extra : "", dir, name, dir, name) > 0);
    return cmd;
}

/* Starts cmd as a session of its own (so that its coordinator can be found and killed). */
static pid_t start(const char *cmd)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setsid();
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Waits for pid; its exit status (-1 when killed by a signal). */
static int finish(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Job name's results equal solo-i's, byte for byte. */
static void assert_same_results(const char *name, int i)
{
    char solo[32];
    snprintf(solo, sizeof solo, "solo%d", i);
    const char *files[] = {"summary.json", "epochs.csv"};
    for (int f = 0; f < 2; f++) {
        char *a = slurp(solo, files[f]), *b = slurp(name, files[f]);
        if (strcmp(a, b))
            fail_msg("%s/%s differs from the job run alone (%s)", name, files[f], solo);
        free(a);
        free(b);
    }
}

/* The job id job name recorded in its run.json (caller frees). */
static char *recorded_id(const char *name)
{
    char *path = NULL;
    cJSON *r;
    const char *id;
    struct err e;
    assert_true(asprintf(&path, "%s/%s/run.json", dir, name) > 0);
    if (json_load_file(path, &r, &e) || json_get_string(r, "job", path, &id, &e))
        fail_msg("%s", e.msg);
    char *out = strdup(id);
    cJSON_Delete(r);
    free(path);
    return out;
}

/* A fresh run of job KILLED under id must be refused, its message holding every one of want
 * (NULL-terminated). */
static void assert_refused(const char *url, const char *id, const char *name,
                           const char *const *want)
{
    char extra[96];
    snprintf(extra, sizeof extra, "--job %s", id);
    char *cmd = job_command(KILLED, name, url, extra);
    int status = finish(start(cmd));
    char *path = NULL, *log = NULL;
    size_t len;
    struct err e;
    assert_true(asprintf(&path, "%s/%s.log", dir, name) > 0);
    if (fs_read_all(path, &log, &len, &e)) fail_msg("%s", e.msg);
    if (status == 0) fail_msg("%s: a second job under id %s was not refused:\n%s", name, id, log);
    for (int k = 0; want[k]; k++)
        if (!strstr(log, want[k])) fail_msg("%s: no '%s' in the refusal:\n%s", name, want[k], log);
    free(log);
    free(path);
    free(cmd);
}

/* Kills the coordinator of the run started as session pid once its epochs.csv has a row;
 * returns once no process of the run is left. */
static void kill_coordinator(pid_t pid, const char *name)
{
    char *csv = NULL;
    assert_true(asprintf(&csv, "%s/%s/epochs.csv", dir, name) > 0);
    int status;
    while (lines_of(csv) < 2) {
        if (waitpid(pid, &status, WNOHANG) == pid) fail_msg("%s ended before it was killed", name);
        pause_ms(5);
    }
    pid_t pids[64];
    int n = 0;
    for (int tries = 0; tries < 2000 && n == 0; tries++)
        if (!(n = session_procs(pid, 0, pids, 64))) pause_ms(5);
    assert_int_equal(n, 1);
    int rows = lines_of(csv) - 1;
    assert_true(rows < KILLED_EPOCHS);
    kill(pids[0], SIGKILL);
    assert_int_not_equal(finish(pid), 0);
    for (int tries = 0; (n = session_procs(pid, -1, pids, 64)) > 0; tries++) {
        if (tries == 6000)
            for (int k = 0; k < n; k++) kill(pids[k], SIGKILL);
        assert_true(tries < 7000);
        pause_ms(10);
    }
    print_message("%s: killed its coordinator after %d of %d epochs\n", name, rows,
                  KILLED_EPOCHS);
    free(csv);
}

/* Every key in the store at url (caller frees with kv_keys_free). */
static void store_keys(const char *url, struct kv_keys *keys)
{
    struct kv *kv;
    struct err e;
    if (kv_open(url, &kv, &e)) fail_msg("%s", e.msg);
    assert_int_equal(kv_list(kv, "", keys), SIREN_OK);
    kv_close(kv);
}

/* Whether a file under dir holds s (grep -r). */
static int dir_holds(const char *s)
{
    char *cmd = NULL;
    assert_true(asprintf(&cmd, "grep -rqF -- '%s' '%s'", s, dir) > 0);
    int rc = system(cmd);
    free(cmd);
    return WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

/* The solo runs every shared run is compared with, each on a store of its own; their wall
 * times, s. */
static double solo_s[N_JOBS];

static void run_solo(void)
{
    static int done;
    if (done) return;
    double t0 = now_s();
    for (int i = 0; i < N_JOBS; i++) {
        char name[32];
        snprintf(name, sizeof name, "solo%d", i);
        char *cmd = job_command(i, name, NULL, NULL);
        double t = now_s();
        if (finish(start(cmd)) != 0) fail_msg("%s failed (see %s/%s.log)", name, dir, name);
        solo_s[i] = now_s() - t;
        free(cmd);
    }
    print_message("%d jobs run alone, one after another: %.1f s\n", N_JOBS, now_s() - t0);
    done = 1;
}

/* A fresh run under an id whose owner runs (this test process, its record put here, as a
 * coordinator puts it) is refused at once, naming the owner's pid. */
static void live_owner_refuses(const char *url, const char *tag)
{
    char id[48], key[STORE_KEY_MAX], text[STORE_OWNER_TEXT_MAX], name[64], pid[32];
    snprintf(id, sizeof id, "held-%s", tag);
    snprintf(name, sizeof name, "%s-refused-live", tag);
    snprintf(pid, sizeof pid, "pid %ld,", (long)getpid());
    struct store_owner me;
    store_owner_self(&me);
    store_owner_encode(&me, text, sizeof text);
    store_key_owner(key, sizeof key, id);
    struct kv *kv;
    struct err e;
    if (kv_open(url, &kv, &e)) fail_msg("%s", e.msg);
    assert_int_equal(kv_put_new(kv, key, text, strlen(text)), SIREN_OK);
    const char *live[] = {id, "is in use", "its coordinator runs", pid, "started ",
                          "--job NAME", NULL};
    assert_refused(url, id, name, live);
    assert_int_equal(kv_delete(kv, key), SIREN_OK);
    kv_close(kv);
}

/* The eight jobs at once on the store at url (tag names the runs). */
static void many_jobs_on_one_store(const char *url, const char *tag)
{
    run_solo();
    live_owner_refuses(url, tag);
    char names[N_JOBS][48], killed_id[48];
    pid_t pids[N_JOBS];
    snprintf(killed_id, sizeof killed_id, "killed-%s", tag);
    double t0 = now_s();
    for (int i = 0; i < N_JOBS; i++) {
        snprintf(names[i], sizeof names[i], "%s%d", tag, i);
        char extra[64];
        snprintf(extra, sizeof extra, "--job %s", killed_id);
        char *cmd = job_command(i, names[i], url, i == KILLED ? extra : NULL);
        pids[i] = start(cmd);
        free(cmd);
    }
    kill_coordinator(pids[KILLED], names[KILLED]);
    /* Gone: refused again, now as a coordinator that is gone, with --resume and --force. */
    char refused[64];
    snprintf(refused, sizeof refused, "%s-refused-gone", names[KILLED]);
    const char *gone[] = {killed_id, "gone", "last heard of", "--resume", "--force", NULL};
    assert_refused(url, killed_id, refused, gone);
    /* siren kv gc would remove the dead job's objects (and the dataset only it used), and
     * nothing of the running ones. */
    const char *bin = getenv("SIREN_BIN");
    char *cmd = NULL, *out = NULL, want[96];
    assert_true(asprintf(&cmd, "%s kv gc --kv '%s' --dry-run >%s/%s-gc-dry.log 2>&1", bin, url,
                         dir, tag) > 0);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    assert_true(asprintf(&cmd, "%s-gc-dry.log", tag) > 0);
    out = slurp(".", cmd);
    snprintf(want, sizeof want, "job %s: would remove ", killed_id);
    if (!strstr(out, want)) fail_msg("siren kv gc --dry-run did not name %s:\n%s", killed_id, out);
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
        if (!strncmp(line, "job ", 4) && strstr(line, ": would remove") &&
            strncmp(line, want, strlen(want)))
            fail_msg("siren kv gc --dry-run would remove a running job: %s", line);
    free(out);
    free(cmd);
    /* The killed job resumes while the others run. */
    assert_true(asprintf(&cmd, "exec mpirun -n 2 --oversubscribe %s run --resume %s/%s >>%s/%s.log "
                               "2>&1", bin, dir, names[KILLED], dir, names[KILLED]) > 0);
    pids[KILLED] = start(cmd);
    free(cmd);
    /* Each as it ends, so that its wall time is its own. */
    double end_s[N_JOBS];
    for (int left = N_JOBS; left > 0; left--) {
        int status;
        pid_t p = waitpid(-1, &status, 0);
        int i = 0;
        while (i < N_JOBS && pids[i] != p) i++;
        assert_true(i < N_JOBS);
        end_s[i] = now_s() - t0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("%s failed (see %s/%s.log)", names[i], dir, names[i]);
    }
    double wall = now_s() - t0;
    /* The two copies of one job neither wait for each other nor for the rest. */
    print_message("%s store: the same job twice at once ended after %.1f s and %.1f s (alone: "
                  "%.1f s; 8 jobs share 2 cores)\n",
                  tag, end_s[0], end_s[1], solo_s[0]);
    for (int i = 0; i < N_JOBS; i++) assert_same_results(names[i], i);
    char *path = NULL, *log = NULL;
    size_t len;
    struct err e;
    assert_true(asprintf(&path, "%s/%s.log", dir, names[KILLED]) > 0);
    if (fs_read_all(path, &log, &len, &e)) fail_msg("%s", e.msg);
    assert_non_null(strstr(log, "resumed after epoch"));
    free(log);
    free(path);

    /* Left: the kept job's objects and the dataset it staged, nothing else. */
    char *kept = recorded_id(names[KEPT]), prefix[96];
    snprintf(prefix, sizeof prefix, "jobs/%s/", kept);
    struct kv_keys keys;
    store_keys(url, &keys);
    size_t left = keys.count, kept_objects = 0;
    char digest[80] = "";
    for (size_t k = 0; k < keys.count; k++) {
        const char *key = keys.keys[k];
        if (!strncmp(key, prefix, strlen(prefix))) {
            kept_objects++;
            continue;
        }
        if (strncmp(key, "data/", 5)) fail_msg("%s left in %s: no job kept it", key, url);
        size_t seg = strcspn(key + 5, "/");
        if (!digest[0]) snprintf(digest, sizeof digest, "%.*s", (int)seg, key + 5);
        else if (strncmp(key + 5, digest, seg) || digest[seg])
            fail_msg("%s left in %s: a second dataset", key, url);
    }
    kv_keys_free(&keys);
    assert_true(kept_objects > 0);
    /* siren kv gc --kept removes the kept job and its dataset: the store is empty. */
    assert_true(asprintf(&cmd, "%s kv gc --kv '%s' --kept >%s/%s-gc.log 2>&1", bin, url, dir,
                         tag) > 0);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    store_keys(url, &keys);
    size_t after_gc = keys.count;
    if (keys.count) fail_msg("%s left in %s after kv gc --kept", keys.keys[0], url);
    kv_keys_free(&keys);
    print_message("%s store: %d jobs at once (one killed with SIGKILL and resumed), wall time "
                  "%.1f s; objects left: %zu (the --keep job's %zu and its dataset's %zu), "
                  "%zu after siren kv gc --kept\n",
                  tag, N_JOBS, wall, left, kept_objects, left - kept_objects, after_gc);
    free(kept);
}

static void test_eight_jobs_on_one_file_store_end_as_alone_and_leave_only_kept(void **state)
{
    (void)state;
    char url[512];
    snprintf(url, sizeof url, "file:%s/shared-kv", dir);
    many_jobs_on_one_store(url, "file");
}

static void test_eight_jobs_on_one_redis_end_as_alone_and_leave_only_kept(void **state)
{
    (void)state;
    int rc = tu_redis_start(&redis, "jobs-test-secret", kv_answers);
    if (rc == 1) {
        print_message("redis-server is not installed: the Redis half is skipped\n");
        skip();
    }
    if (rc) fail_msg("redis-server is installed but did not answer on port %d", redis.port);
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", redis.port);
    many_jobs_on_one_store(url, "redis");
    tu_redis_stop(&redis);
    /* The password went to siren through the environment only: no log or output holds it. */
    assert_false(dir_holds(redis.password));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eight_jobs_on_one_file_store_end_as_alone_and_leave_only_kept),
        cmocka_unit_test(test_eight_jobs_on_one_redis_end_as_alone_and_leave_only_kept),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    tu_redis_stop(&redis);
    return rc;
}

/*
 * Resume after kill -9: the coordinator (rank 0) of a run under mpirun is killed with SIGKILL
 * at a random epoch (mpirun then ends the other ranks), and the whole run is restarted with
 * `siren run --resume DIR`;
 * its summary.json and epochs.csv are byte-identical to those of the same run left alone, and
 * its trace.h5 holds the same records (measured wall times and the sandboxes' own error text,
 * which names the run's directory, aside). Faults are on, so the retries' keyed draws are
 * resumed too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "testutil.h"
#include "run_test.h"
#include "trace.h"

#define EPOCHS 10
/* A step rule's job, with faults. */
#define JOB "--workload lr-synthetic --rows 20000 --batch 200 --hash-bits 14 " \
            "--scheduler static:n=4,m=1024 --max-epochs 10 --quiet "         \
            "--update overwrite "                                               \
            "--faults crash=0.2,straggler=0.2:3,kv-error=0.02 --retry-delay 5"

static char *command(const char *name, const char *args)
{
    char *cmd = NULL;
    const char *bin = getenv("SIREN_BIN");
    assert_non_null(bin);
    assert_true(asprintf(&cmd, "mpirun -n 2 --oversubscribe %s run %s >>%s/%s.log 2>&1", bin,
                         args, dir, name) > 0);
    return cmd;
}

static char *path_of(const char *name, const char *file)
{
    char *p = NULL;
    assert_true(asprintf(&p, "%s/%s/%s", dir, name, file) > 0);
    return p;
}

static char *slurp_path(char *path)
{
    char *text = NULL;
    size_t len;
    struct err e;
    if (fs_read_all(path, &text, &len, &e)) fail_msg("%s", e.msg);
    free(path);
    return text;
}

/* Starts the run as a session of its own, waits until epochs.csv has `rows` epoch rows, and
 * kills the coordinator (rank 0) with SIGKILL; mpirun then takes the other ranks down. Returns
 * once no process of the run is left, so that nothing of it races the resumed run. */
/* A round rule's job, with the faults the round rules model; --update is added per rule. */
#define JOB_ROUNDS "--workload lr-synthetic --rows 20000 --batch 200 --hash-bits 14 " \
                   "--scheduler static:n=4,m=1024 --max-epochs 10 --quiet "       \
                   "--faults crash=0.2,straggler=0.2:3 --retry-delay 5 --update "

static void run_and_kill(const char *job, const char *name, int rows)
{
    char *args = NULL;
    assert_true(asprintf(&args, "%s --out %s/%s", job, dir, name) > 0);
    char *cmd = command(name, args), *exec_cmd = NULL;
    assert_true(asprintf(&exec_cmd, "exec %s", cmd) > 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setsid();
        execl("/bin/sh", "sh", "-c", exec_cmd, (char *)NULL);
        _exit(127);
    }
    char *csv = path_of(name, "epochs.csv");
    /* Polled, not timed: the loop ends when the rows are there or the run has ended. */
    int status, ended = 0;
    while (lines_of(csv) < 1 + rows) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            ended = 1;
            break;
        }
        pause_ms(5);
    }
    assert_false(ended);
    pid_t pids[64];
    int n = 0;
    for (int tries = 0; tries < 2000 && n == 0; tries++) {
        n = session_procs(pid, 0, pids, 64);
        if (!n) pause_ms(5);
    }
    assert_int_equal(n, 1);
    kill(pids[0], SIGKILL);
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status) || WEXITSTATUS(status) != 0);
    /* mpirun is gone; wait for the rest of the session (bounded; then killed outright). */
    for (int tries = 0; (n = session_procs(pid, -1, pids, 64)) > 0; tries++) {
        if (tries == 6000)
            for (int i = 0; i < n; i++) kill(pids[i], SIGKILL);
        assert_true(tries < 7000);
        pause_ms(10);
    }
    print_message("killed the coordinator after %d of %d epochs (epochs.csv had %d rows)\n",
                  rows, EPOCHS, lines_of(csv) - 1);
    free(csv);
    free(exec_cmd);
    free(cmd);
    free(args);
}

static void assert_same_traces(const char *a_name, const char *b_name)
{
    struct trace a, b;
    struct err e;
    char *pa = path_of(a_name, "trace.h5"), *pb = path_of(b_name, "trace.h5");
    if (trace_read_h5(pa, &a, &e) || trace_read_h5(pb, &b, &e)) fail_msg("%s", e.msg);
    assert_int_equal(a.n_inv, b.n_inv);
    assert_int_equal(a.n_ops, b.n_ops);
    for (size_t i = 0; i < a.n_inv; i++) {
        const struct trace_invocation *x = &a.inv[i], *y = &b.inv[i];
        assert_int_equal(x->epoch, y->epoch);
        assert_int_equal(x->fn, y->fn);
        assert_int_equal(x->invocation, y->invocation);
        assert_int_equal(x->attempt, y->attempt);
        assert_int_equal(x->rank, y->rank);
        assert_int_equal(x->cold, y->cold);
        assert_int_equal(x->status, y->status);
        assert_int_equal(x->fault, y->fault);
        assert_int_equal(x->kv_errors, y->kv_errors);
        assert_true(x->v_start_s == y->v_start_s && x->v_end_s == y->v_end_s);
        assert_true(x->billed_ms == y->billed_ms && x->cost_usd == y->cost_usd);
        assert_true(x->compute_factor == y->compute_factor);
        /* The kind of failure; the sandbox's own text names the run's KV directory. */
        assert_int_equal(strcspn(x->error, ":"), strcspn(y->error, ":"));
        assert_memory_equal(x->error, y->error, strcspn(x->error, ":"));
    }
    for (size_t i = 0; i < a.n_ops; i++) {
        const struct trace_kv_op *x = &a.ops[i], *y = &b.ops[i];
        assert_int_equal(x->epoch, y->epoch);
        assert_int_equal(x->fn, y->fn);
        assert_int_equal(x->step, y->step);
        assert_int_equal(x->op, y->op);
        assert_int_equal(x->version, y->version);
        assert_int_equal(x->version_got, y->version_got);
        assert_int_equal(x->attempt, y->attempt);
        assert_int_equal(x->retries, y->retries);
        assert_true(x->v_start_s == y->v_start_s && x->v_end_s == y->v_end_s && x->bytes == y->bytes);
    }
    trace_free(&a);
    trace_free(&b);
    free(pa);
    free(pb);
}

static void killed_run_resumes_to_identical_results(const char *job, const char *whole,
                                                    const char *killed)
{
    char *args = NULL, *cmd;
    assert_true(asprintf(&args, "%s --out %s/%s", job, dir, whole) > 0);
    cmd = command(whole, args);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(args);

    /* A random epoch in 1..EPOCHS/2, so that the kill lands well before the end. */
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    int kill_at = 1 + rand() % (EPOCHS / 2);
    run_and_kill(job, killed, kill_at);
    char *summary = path_of(killed, "summary.json");
    assert_false(fs_exists(summary)); /* it really died before the end */
    free(summary);

    assert_true(asprintf(&args, "--resume %s/%s", dir, killed) > 0);
    cmd = command(killed, args);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(args);

    char *s1 = slurp(whole, "summary.json"), *s2 = slurp(killed, "summary.json");
    char *e1 = slurp(whole, "epochs.csv"), *e2 = slurp(killed, "epochs.csv");
    assert_string_equal(s1, s2);
    assert_string_equal(e1, e2);
    assert_same_traces(whole, killed);
    char *name = NULL;
    assert_true(asprintf(&name, "%s.log", killed) > 0);
    char *log = slurp_path(tu_path(dir, name));
    assert_non_null(strstr(log, "resumed after epoch"));
    free(name);
    free(log);
    free(s1), free(s2), free(e1), free(e2);
}

static void test_run_killed_at_a_random_epoch_resumes_to_identical_results(void **state)
{
    (void)state;
    killed_run_resumes_to_identical_results(JOB, "whole", "killed");
}

static void test_every_round_rule_killed_at_a_random_epoch_resumes_to_identical_results(
    void **state)
{
    (void)state;
    /* average:8 saves each function's optimiser state between its rounds. */
    static const char *const rules[] = {"average", "average:8", "allreduce", "scatter-reduce:2",
                                        "allgather"};
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
        char job[512], whole[32], killed[32];
        snprintf(job, sizeof job, JOB_ROUNDS "%s", rules[i]);
        snprintf(whole, sizeof whole, "whole-rounds%zu", i);
        snprintf(killed, sizeof killed, "killed-rounds%zu", i);
        print_message("%s\n", rules[i]);
        killed_run_resumes_to_identical_results(job, whole, killed);
    }
}

static void test_resume_of_a_finished_run_changes_nothing(void **state)
{
    (void)state;
    char *args = NULL, *cmd;
    assert_true(asprintf(&args, "--workload lr-synthetic --rows 2000 --batch 200 --hash-bits 12 "
                         "--scheduler static:n=2,m=1024 --max-epochs 2 --quiet --out %s/done",
                         dir) > 0);
    cmd = command("done", args);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(args);
    char *s1 = slurp("done", "summary.json"), *e1 = slurp("done", "epochs.csv");
    assert_true(asprintf(&args, "--resume %s/done", dir) > 0);
    cmd = command("done", args);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(args);
    char *s2 = slurp("done", "summary.json"), *e2 = slurp("done", "epochs.csv");
    assert_string_equal(s1, s2);
    assert_string_equal(e1, e2);
    free(s1), free(s2), free(e1), free(e2);
}

static void test_resume_refuses_extra_arguments_and_missing_runs(void **state)
{
    (void)state;
    const char *bin = getenv("SIREN_BIN");
    char *cmd = NULL;
    assert_true(asprintf(&cmd, "%s run --resume %s/any --max-epochs 3 >%s/extra.log 2>&1", bin,
                         dir, dir) > 0);
    assert_int_not_equal(system(cmd), 0);
    free(cmd);
    assert_true(asprintf(&cmd, "%s run --resume %s/nothing-here >%s/missing.log 2>&1", bin, dir,
                         dir) > 0);
    assert_int_not_equal(system(cmd), 0);
    free(cmd);
    char *extra = slurp_path(tu_path(dir, "extra.log"));
    char *missing = slurp_path(tu_path(dir, "missing.log"));
    assert_non_null(strstr(extra, "--resume DIR takes nothing else"));
    assert_non_null(strstr(missing, "run.json"));
    free(extra);
    free(missing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_killed_at_a_random_epoch_resumes_to_identical_results),
        cmocka_unit_test(
            test_every_round_rule_killed_at_a_random_epoch_resumes_to_identical_results),
        cmocka_unit_test(test_resume_of_a_finished_run_changes_nothing),
        cmocka_unit_test(test_resume_refuses_extra_arguments_and_missing_runs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * What the tests of siren under mpirun (`siren run`, `siren ps`) share: a fresh directory per
 * test executable (dir, removed at the end), OpenMPI told that running as root is intended
 * (CI runs as root), running `siren run` under mpirun or a command alone, reading a file a run
 * wrote, and finding
 * the processes of a run started as a session of its own (to kill its coordinator).
 * Header-only, included by one test file each.
 */
#ifndef SIREN_RUN_TEST_H
#define SIREN_RUN_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

#include "core.h"
#include "testutil.h"

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp();
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tu_rm_rf(dir);
    free(dir);
    return 0;
}

/* The whole of dir/name/file, NUL-terminated; fails the test when it cannot be read. Not
 * inlined: GCC's dangling-pointer analysis misreads the inlined out-parameter. */
__attribute__((unused, noinline)) static char *slurp(const char *name, const char *file)
{
    char *path = NULL, *text = NULL;
    size_t len;
    struct err e;
    assert_true(asprintf(&path, "%s/%s/%s", dir, name, file) > 0);
    if (fs_read_all(path, &text, &len, &e)) fail_msg("%s", e.msg);
    free(path);
    return text;
}

/* Runs `mpirun -n ranks --oversubscribe $SIREN_BIN run ARGS --quiet --out dir/name`, its
 * output in dir/name.log; returns system()'s status. */
__attribute__((unused, noinline)) static int run_siren(int ranks, const char *name,
                                                       const char *args)
{
    const char *bin = getenv("SIREN_BIN");
    assert_non_null(bin);
    char *cmd = NULL;
    assert_true(asprintf(&cmd, "mpirun -n %d --oversubscribe %s run %s --quiet --out %s/%s "
                               ">%s/%s.log 2>&1",
                         ranks, bin, args, dir, name, dir, name) > 0);
    int rc = system(cmd);
    free(cmd);
    return rc;
}

/* Runs `$SIREN_BIN COMMAND ARGS` in one process (no mpirun), its stdout and stderr into *out
 * (caller frees); returns its exit status (-1 when it did not exit). */
__attribute__((unused, noinline)) static int run_one(const char *command, const char *args,
                                                     char **out)
{
    char *cmd = NULL, *log = tu_path(dir, "one.log");
    assert_true(asprintf(&cmd, "%s %s %s >%s 2>&1", getenv("SIREN_BIN"), command, args, log) > 0);
    int st = system(cmd);
    size_t len;
    struct err e;
    if (fs_read_all(log, out, &len, &e)) fail_msg("%s", e.msg);
    free(cmd);
    free(log);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Column col (from 0) of dir/name/epochs.csv, a row per epoch into out (at most max); returns
 * the rows read. */
__attribute__((unused, noinline)) static int column(const char *name, int col, double *out,
                                                    int max)
{
    char *csv = slurp(name, "epochs.csv");
    int n = 0;
    for (char *line = strchr(csv, '\n'); line && line[1] && n < max; n++) {
        char *p = line + 1;
        for (int c = 0; c < col; c++) p = strchr(p, ',') + 1;
        out[n] = strtod(p, NULL);
        line = strchr(line + 1, '\n');
    }
    free(csv);
    return n;
}

/* Lines in a file, or 0 when it does not exist yet. */
__attribute__((unused)) static int lines_of(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}

/* Processes of session sid, from /proc: their pids into pids (up to cap); returns the count.
 * With want_rank >= 0, only the siren process of that MPI rank (its environment says so). */
__attribute__((unused)) static int session_procs(pid_t sid, int want_rank, pid_t *pids, int cap)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    int n = 0;
    assert_non_null(d);
    while ((de = readdir(d)) && n < cap) {
        char path[300], buf[4096];
        if (de->d_name[0] < '1' || de->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        /* pid (comm) state ppid pgrp session ... */
        char *rp = strrchr(buf, ')'), comm[64] = "";
        int ppid, pgrp, session;
        char st;
        if (!rp || sscanf(rp + 2, "%c %d %d %d", &st, &ppid, &pgrp, &session) != 4) continue;
        if (session != sid || st == 'Z') continue;
        char *lp = strchr(buf, '(');
        if (lp) snprintf(comm, sizeof comm, "%.*s", (int)(rp - lp - 1), lp + 1);
        if (want_rank >= 0) {
            if (strcmp(comm, "siren")) continue;
            snprintf(path, sizeof path, "/proc/%s/environ", de->d_name);
            if (!(f = fopen(path, "r"))) continue;
            len = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            char want[64];
            int found = 0;
            snprintf(want, sizeof want, "OMPI_COMM_WORLD_RANK=%d", want_rank);
            for (size_t at = 0; at < len; at += strlen(buf + at) + 1) {
                buf[len] = '\0';
                if (!strcmp(buf + at, want)) found = 1;
            }
            if (!found) continue;
        }
        pids[n++] = (pid_t)atoi(de->d_name);
    }
    closedir(d);
    return n;
}

__attribute__((unused)) static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

#endif

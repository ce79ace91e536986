/*
 * sandbox_cgroup: memory cgroups for sandboxes. Whether one can be made here is found once
 * per process (cgroup v2 with the memory controller enabled for our children, else the v1
 * memory hierarchy) by making a probe group and setting a limit in it. Each sandbox then gets
 * a group of its own, siren-sb-<pid>-<n> under that base, with memory.max (v1:
 * memory.limit_in_bytes) at the memory size and no swap, removed when the sandbox closes.
 */
#define _GNU_SOURCE
#include "sandbox_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where this process's memory cgroup lives, found once. */
static struct {
    pthread_once_t once;
    int version; /* 0: none usable */
    char base[PATH_MAX];
    char why[512];
} cg = {PTHREAD_ONCE_INIT, 0, "", ""};

/* 1 when the comma-separated list (tokenised in place) names the memory controller. */
static int lists_memory(char *list)
{
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ","))
        if (!strcmp(tok, "memory")) return 1;
    return 0;
}

/* A line of /proc/self/mountinfo: when it mounts the cgroup2 fs (want_v1 = 0) or the v1
 * hierarchy with the memory controller (want_v1 = 1), its mount point into out and 0; else
 * -1. */
static int mount_line(char *line, int want_v1, char *out, size_t outlen)
{
    /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
    char *sep = strstr(line, " - ");
    if (!sep) return -1;
    char fstype[64], source[256], super[1024] = "";
    if (sscanf(sep + 3, "%63s %255s %1023s", fstype, source, super) < 2) return -1;
    char root[PATH_MAX], mnt[PATH_MAX];
    if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2) return -1;
    int match = want_v1 ? !strcmp(fstype, "cgroup") && lists_memory(super)
                        : !strcmp(fstype, "cgroup2");
    if (!match) return -1;
    snprintf(out, outlen, "%s", mnt);
    return 0;
}

/* A line of /proc/self/cgroup: when it is the v2 hierarchy's ("0::/x", want_v1 = 0) or the
 * v1 memory hierarchy's ("4:memory:/x", want_v1 = 1), this process's group path into out and
 * 0; else -1. */
static int own_line(char *line, int want_v1, char *out, size_t outlen)
{
    line[strcspn(line, "\n")] = '\0';
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) return -1;
    *c2 = '\0';
    const char *ctrls = c1 + 1;
    int match;
    if (want_v1) {
        char copy[256];
        snprintf(copy, sizeof copy, "%s", ctrls);
        match = lists_memory(copy);
    } else {
        match = !strcmp(line, "0") && !*ctrls;
    }
    if (!match) return -1;
    snprintf(out, outlen, "%s", c2 + 1);
    return 0;
}

/* Reads the lines of a /proc table until line_fn takes one (returns 0); returns 0, or -1
 * when none does or the file cannot be read. */
static int proc_table_find(const char *path, int (*line_fn)(char *, int, char *, size_t),
                           int want_v1, char *out, size_t outlen)
{
    FILE *f = fopen(path, "re");
    if (!f) return -1;
    char line[4096];
    int found = -1;
    while (found && fgets(line, sizeof line, f)) found = line_fn(line, want_v1, out, outlen);
    fclose(f);
    return found;
}

/* Mount point of the cgroup2 fs (want_v1 = 0) or of the v1 hierarchy with the memory
 * controller (want_v1 = 1). */
static int find_cgroup_mount(int want_v1, char *out, size_t outlen)
{
    return proc_table_find("/proc/self/mountinfo", mount_line, want_v1, out, outlen);
}

/* This process's cgroup path in the v2 hierarchy or the v1 memory hierarchy. */
static int find_own_cgroup(int want_v1, char *out, size_t outlen)
{
    return proc_table_find("/proc/self/cgroup", own_line, want_v1, out, outlen);
}

/* Creates a group under base, sets a limit in it and removes it: proof that sandboxes can. */
static int cgroup_try(int version, const char *base)
{
    char dir[PATH_MAX + 64], file[PATH_MAX + 128];
    snprintf(dir, sizeof dir, "%s/siren-probe-%ld", base, (long)getpid());
    if (mkdir(dir, 0755) && errno != EEXIST) return errno;
    snprintf(file, sizeof file, "%s/%s", dir,
             version == 2 ? "memory.max" : "memory.limit_in_bytes");
    int rc = sandbox_text_write(file, "67108864");
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
        sandbox_text_read(file, ctl, sizeof ctl);
        if (strstr(ctl, "memory")) {
            char sub[1024] = "";
            snprintf(file, sizeof file, "%s/cgroup.subtree_control", base);
            sandbox_text_read(file, sub, sizeof sub);
            /* Enabling fails with EBUSY when our group holds processes and is not the root
             * (cgroup v2's "no internal processes" rule); then v2 is not usable from here. */
            int rc = strstr(sub, "memory") ? 0 : sandbox_text_write(file, "+memory");
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

int sandbox_cgroup_create(struct sandbox *sb, struct err *e)
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
        rc = sandbox_text_write(file, num);
        cg_file(sb, "memory.swap.max", file, sizeof file);
        if (!rc) (void)sandbox_text_write(file, "0"); /* absent without swap accounting: fine */
    } else {
        cg_file(sb, "memory.limit_in_bytes", file, sizeof file);
        rc = sandbox_text_write(file, num);
        /* memory + swap = memory: no swap. Absent without swap accounting: fine. */
        cg_file(sb, "memory.memsw.limit_in_bytes", file, sizeof file);
        if (!rc) (void)sandbox_text_write(file, num);
        /* Carry the pages the process touched before it moved in (deprecated; best effort). */
        cg_file(sb, "memory.move_charge_at_immigrate", file, sizeof file);
        if (!rc) (void)sandbox_text_write(file, "3");
    }
    if (rc) return err_errno(e, rc, "setting the memory limit of %s", sb->cg_path);
    return 0;
}

int sandbox_cgroup_attach(struct sandbox *sb, struct err *e)
{
    char file[PATH_MAX + 64], num[32];
    cg_file(sb, "cgroup.procs", file, sizeof file);
    snprintf(num, sizeof num, "%ld", (long)sb->pid);
    int rc = sandbox_text_write(file, num);
    if (rc) return err_errno(e, rc, "moving pid %ld into %s", (long)sb->pid, sb->cg_path);
    return 0;
}

/* OOM kills recorded in the sandbox's group so far; 0 without a group. */
long long sandbox_cgroup_oom_kills(const struct sandbox *sb)
{
    char file[PATH_MAX + 64];
    if (!sb->cg_version) return 0;
    cg_file(sb, sb->cg_version == 2 ? "memory.events" : "memory.oom_control", file, sizeof file);
    long long n = sandbox_text_read_keyed(file, "oom_kill");
    return n < 0 ? 0 : n;
}

void sandbox_cgroup_remove(struct sandbox *sb)
{
    if (!sb->cg_path[0]) return;
    /* The group empties as soon as its process is reaped; allow the kernel a moment. */
    for (int i = 0; i < 200 && rmdir(sb->cg_path) && errno == EBUSY; i++) sandbox_sleep_ms(1);
    sb->cg_path[0] = '\0';
}

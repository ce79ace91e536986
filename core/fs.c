/* Files written atomically (temporary name, fsync, rename, fsync of the directory), whole-file
 * reads, and small parsing helpers. */
#define _GNU_SOURCE
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int fs_mkdir_p(const char *path, struct err *e)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) return err_set(e, SIREN_EINVAL, "bad directory name");
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return err_errno(e, errno, "cannot create directory %s", buf);
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return err_errno(e, errno, "cannot create directory %s", buf);
    if (!fs_is_dir(buf)) return err_set(e, SIREN_EIO, "%s exists and is not a directory", buf);
    return SIREN_OK;
}

int fs_read_all(const char *path, char **out, size_t *len, struct err *e)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return err_errno(e, errno, "cannot open %s", path);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return err_set(e, SIREN_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return err_set(e, SIREN_ENOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return err_set(e, SIREN_EIO, "%s: read error", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return SIREN_OK;
}

void fs_tmp_name(const char *final_path, char *buf, size_t buflen)
{
    static unsigned counter;
    snprintf(buf, buflen, "%s.tmp.%ld.%u", final_path, (long)getpid(), counter++);
}

static int fsync_dir_of(const char *path)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* An atomic write replaces path by renaming over it: right for a file, wrong for anything else
 * named by the user (`--out /dev/null` would replace the device with a file). */
static int check_replaceable(const char *path, struct err *e)
{
    struct stat st;
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode)) return SIREN_OK;
    return err_set(e, SIREN_EINVAL, "%s exists and is not a regular file (a %s); refusing to "
                                    "replace it", path,
                   S_ISDIR(st.st_mode) ? "directory" : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)
                                                           ? "device"
                                                           : "pipe or socket");
}

int fs_commit_tmp(const char *tmp_path, const char *final_path, struct err *e)
{
    if (check_replaceable(final_path, e)) {
        unlink(tmp_path);
        return e->code;
    }
    int fd = open(tmp_path, O_RDONLY);
    if (fd < 0) return err_errno(e, errno, "cannot reopen %s", tmp_path);
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    if (rc != 0) {
        unlink(tmp_path);
        return err_errno(e, saved, "cannot fsync %s", tmp_path);
    }
    if (rename(tmp_path, final_path) != 0) {
        saved = errno;
        unlink(tmp_path);
        return err_errno(e, saved, "cannot rename %s to %s", tmp_path, final_path);
    }
    fsync_dir_of(final_path); /* best effort: some filesystems refuse fsync on directories */
    return SIREN_OK;
}

void fs_abort_tmp(const char *tmp_path) { unlink(tmp_path); }

void fs_umask_no_world_write(void)
{
    /* umask() only swaps: read the old mask by setting one, then put back old | S_IWOTH. */
    mode_t old = umask(S_IWGRP | S_IWOTH);
    umask(old | S_IWOTH);
}

int fs_write_atomic(const char *path, const void *data, size_t len, struct err *e)
{
    int rc = check_replaceable(path, e);
    if (rc) return rc;
    char tmp[4200];
    fs_tmp_name(path, tmp, sizeof tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return err_errno(e, errno, "cannot create %s", tmp);
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            int saved = errno;
            close(fd);
            unlink(tmp);
            return err_errno(e, saved, "cannot write %s", path);
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        return err_errno(e, saved, "cannot fsync %s", path);
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        return err_errno(e, saved, "cannot rename %s to %s", tmp, path);
    }
    fsync_dir_of(path);
    return SIREN_OK;
}

static char remove_failed[1024];

static int remove_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    if (remove(p) != 0 && errno != ENOENT && !remove_failed[0])
        snprintf(remove_failed, sizeof remove_failed, "%s: %s", p, strerror(errno));
    return 0;
}

int fs_remove_tree(const char *path, struct err *e)
{
    if (!fs_exists(path)) return SIREN_OK;
    remove_failed[0] = '\0';
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (remove_failed[0]) return err_set(e, SIREN_EIO, "cannot remove %s", remove_failed);
    return SIREN_OK;
}

int fs_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int fs_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

double clock_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int parse_double(const char *s, const char *what, double *out, struct err *e)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (!*s || *end || errno == ERANGE || !isfinite(d))
        return err_set(e, SIREN_EFORMAT, "%s: expected a number, got '%s'", what, s);
    *out = d;
    return SIREN_OK;
}

int parse_long(const char *s, const char *what, long long *out, struct err *e)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno == ERANGE)
        return err_set(e, SIREN_EFORMAT, "%s: expected an integer, got '%s'", what, s);
    *out = v;
    return SIREN_OK;
}

const char *fmt_bytes(double bytes, char *buf, size_t buflen)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 4) {
        bytes /= 1024.0;
        u++;
    }
    snprintf(buf, buflen, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
    return buf;
}

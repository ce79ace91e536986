/*
 * kv_file: the "file:DIR" backend. One file per object, DIR/<key>, with '/' in keys mapping to
 * subdirectories (mode 0755; files 0644, both narrowed by the umask). A file holds an object's
 * stored bytes as kv.c frames them (header, then payload); this backend never looks into them.
 * A put writes them to ".tmp.<pid>.<n>" in the object's directory (the payload in kv.c's
 * chunks, the header last), fsyncs it and renames it over the object, so a reader (or a crash
 * at any instant) sees the old or the new object, never a part; kv_put_new links it to the
 * key instead, which fails when the key exists. Reads are positional
 * (preadv), so a get fills the caller's buffer or pieces with no copy in between. Names
 * starting with '.' are never keys, so temporary files (including ones left by a
 * killed writer) are never listed or read. The directory itself is not fsync'ed after the
 * rename: objects survive a killed process, not necessarily a power cut, which is what a
 * restartable training job needs. A delete of a large object renames it to ".del.<pid>.<n>"
 * (the key is gone when kv_delete returns) and a background thread of the store unlinks it:
 * freeing a big file's pages costs about as much as writing them, and the caller need not
 * wait for it. kv_close waits for the pending unlinks; a killed process leaves its ".del"
 * files behind, never listed or read, like a killed writer's ".tmp" files.
 */
#define _GNU_SOURCE
#include "kv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* Objects at least this big are unlinked in the background (see the top of the file); a
 * smaller one costs less to unlink than to hand over. */
#define ASYNC_DELETE_MIN_BYTES ((off_t)64 << 10)

struct file_kv {
    char *dir;
    size_t dir_len;
    /* Hidden names of deleted objects waiting to be unlinked by the background thread,
     * started at the first such delete. Guarded by mu. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t worker;
    int worker_running, stopping;
    char **pending;
    size_t n_pending, cap_pending;
};

/* Shared by every store in the process, so two stores on one directory never pick the same
 * temporary name. */
static atomic_ulong tmp_counter;

/* Room for DIR, '/', a key of KV_KEY_MAX_BYTES and a temporary suffix. */
#define PATH_BYTES 8192

static int file_path(const struct file_kv *s, const char *key, char *buf, struct err *e)
{
    /* kv_put/get/delete checked the key already; the table is public, though, and this is
     * where a key becomes a path, so a caller of kv_file_ops cannot reach outside DIR either. */
    int rc = kv_key_check(key, strlen(key), e);
    if (rc) return rc;
    int n = snprintf(buf, PATH_BYTES, "%s/%s", s->dir, key);
    if (n < 0 || n >= PATH_BYTES)
        return err_set(e, SIREN_EINVAL, "key '%s': path too long", key);
    return SIREN_OK;
}

static int file_open(const char *url, void **state, struct err *e)
{
    const char *dir = url;
    if (!strncmp(url, "file://", 7))
        dir = url + 7;
    else if (!strncmp(url, "file:", 5))
        dir = url + 5;
    if (!dir[0]) return err_set(e, SIREN_EINVAL, "%s: no directory after 'file:'", url);
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') len--;
    if (len > PATH_BYTES - KV_KEY_MAX_BYTES - 64)
        return err_set(e, SIREN_EINVAL, "%s: directory path too long", url);
    struct file_kv *s = calloc(1, sizeof *s);
    if (!s || !(s->dir = strndup(dir, len))) {
        free(s);
        return err_set(e, SIREN_ENOMEM, "%s: out of memory", url);
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->dir_len = len;
    int rc = fs_mkdir_p(s->dir, e);
    if (rc) {
        err_prefix(e, "%s: cannot create the store directory", url);
        if (rc != SIREN_ENOMEM) { /* a missing parent (ENOENT) is an I/O error here too */
            rc = SIREN_EIO;
            if (e) e->code = rc;
        }
        goto fail;
    }
    if (!fs_is_dir(s->dir)) {
        rc = err_set(e, SIREN_EIO, "%s: %s is not a directory", url, s->dir);
        goto fail;
    }
    if (access(s->dir, W_OK | X_OK) != 0) {
        rc = err_errno(e, errno, "%s: the store directory is not writable", url);
        goto fail;
    }
    *state = s;
    return SIREN_OK;
fail:
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->dir);
    free(s);
    return rc;
}

/* The background thread: unlinks deleted objects until the store closes and nothing is
 * pending. */
static void *background(void *arg)
{
    struct file_kv *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (s->n_pending > 0) {
            char *path = s->pending[--s->n_pending];
            pthread_mutex_unlock(&s->mu);
            if (unlink(path) != 0 && errno != ENOENT)
                LOG_WARN("kv", "cannot remove the deleted object %s: %s", path, strerror(errno));
            free(path);
            pthread_mutex_lock(&s->mu);
            continue;
        }
        if (s->stopping) break;
        pthread_cond_wait(&s->cv, &s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Starts the background thread if it is not running; 1 when it runs. Call with mu held. */
static int worker_locked(struct file_kv *s)
{
    if (!s->worker_running && !s->stopping)
        s->worker_running = pthread_create(&s->worker, NULL, background, s) == 0;
    return s->worker_running;
}

static void file_close(void *state)
{
    struct file_kv *s = state;
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (s->worker_running) pthread_join(s->worker, NULL);
    free(s->pending);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->dir);
    free(s);
}

/* Creates the directories of key's segments below DIR. path holds DIR/key. */
static int make_parents(const struct file_kv *s, char *path, const char *key, struct err *e)
{
    for (char *p = path + s->dir_len + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        int ok = mkdir(path, 0755) == 0 || errno == EEXIST;
        int saved = errno;
        struct stat st;
        if (ok && stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
            int rc = err_set(e, SIREN_EEXISTS,
                             "key '%s': '%s' is an object, so it cannot also be a prefix in "
                             "a file store",
                             key, path + s->dir_len + 1);
            *p = '/';
            return rc;
        }
        if (!ok) {
            int rc = err_errno(e, saved, "key '%s': cannot create directory %s", key, path);
            *p = '/';
            return rc;
        }
        *p = '/';
    }
    return SIREN_OK;
}

/* Creates the temporary file of a put in the object's own directory (path holds DIR/key), so
 * the rename is atomic; its name goes to tmp. The name is unique among live writers (pid + a
 * process-wide counter); a stale file of a killed writer whose pid came back is stepped over.
 * The directories of the key's segments are made only when the object's directory is missing
 * (the first object under a prefix): a put into an existing directory costs no mkdir or stat
 * per segment, and a file created there proves every segment is a directory. Returns the fd,
 * or -1 with *rc set (make_parents failed) or errno set. */
static int create_tmp(const struct file_kv *s, char *path, const char *key, char *tmp, int *rc,
                      struct err *e)
{
    const char *slash = strrchr(path, '/');
    int made = 0;
    *rc = SIREN_OK;
    for (int attempt = 0; attempt < 64; attempt++) {
        snprintf(tmp, PATH_BYTES, "%.*s/.tmp.%ld.%lu", (int)(slash - path), path,
                 (long)getpid(), atomic_fetch_add(&tmp_counter, 1));
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) return fd;
        if (!made && (errno == ENOENT || errno == ENOTDIR)) {
            if ((*rc = make_parents(s, path, key, e))) return -1;
            made = 1;
            continue;
        }
        if (errno != EEXIST) return -1;
    }
    return -1;
}

/* Moves a written temporary file over the object. */
static int rename_tmp(const char *tmp, const char *path, const char *key, struct err *e)
{
    if (rename(tmp, path) == 0) return SIREN_OK;
    int saved = errno;
    if (saved == EISDIR || saved == ENOTEMPTY || saved == EEXIST)
        return err_set(e, SIREN_EEXISTS,
                       "key '%s': other keys use it as a prefix, so it cannot also be an "
                       "object in a file store",
                       key);
    return err_errno(e, saved, "key '%s': cannot rename %s to %s", key, tmp, path);
}

/* Moves a written temporary file to the object only when the key has none: link(2) fails
 * with EEXIST when the name exists, atomically against every other link and rename of it
 * (also on NFS), so of several creators exactly one succeeds. The temporary name goes. */
static int link_tmp(const char *tmp, const char *path, const char *key, struct err *e)
{
    int rc = SIREN_OK;
    if (link(tmp, path) != 0) {
        struct stat st;
        if (errno == EEXIST && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            rc = err_set(e, SIREN_EEXISTS, "key '%s': other keys use it as a prefix, so it "
                         "cannot also be an object in a file store", key);
        else if (errno == EEXIST)
            rc = err_set(e, SIREN_EEXISTS, "key '%s': already exists", key);
        else
            rc = err_errno(e, errno, "key '%s': cannot link %s to %s", key, tmp, path);
    }
    unlink(tmp);
    return rc;
}

/* Ends a put: closes the temporary file fd (rc: how writing it went) and renames it over the
 * object (or, commit = KV_COMMIT_NEW, links it there only when the key has no object); on
 * any failure the temporary file is removed, never left half-written. */
static int commit_tmp(int fd, int rc, int commit, const char *tmp, const char *path,
                      const char *key, struct err *e)
{
    if (close(fd) != 0 && !rc) rc = err_errno(e, errno, "key '%s': cannot close %s", key, tmp);
    if (!rc && commit == KV_COMMIT_NEW) return link_tmp(tmp, path, key, e);
    if (!rc) rc = rename_tmp(tmp, path, key, e);
    if (rc) unlink(tmp);
    return rc;
}

#define IOV_MAX_PIECES 16
/* Writes (writing = 1) or reads iov[0..n) (at most IOV_MAX_PIECES pieces) at offset off, all of
 * it, going on after short transfers and EINTR; a file that ends before the pieces are full
 * is EIO (a foreign writer). 0, or -1 with errno. */
static int pv_full(int fd, const struct iovec *iov_in, int n, off_t off, int writing)
{
    struct iovec iov[IOV_MAX_PIECES];
    memcpy(iov, iov_in, (size_t)n * sizeof *iov);
    struct iovec *v = iov;
    for (size_t done = 0;;) {
        /* Step over what is done, and over empty pieces. */
        while (n > 0 && done >= v->iov_len) {
            done -= v->iov_len;
            v++;
            n--;
        }
        if (n == 0) return 0;
        v->iov_base = (uint8_t *)v->iov_base + done;
        v->iov_len -= done;
        ssize_t got = writing ? pwritev(fd, v, n, off) : preadv(fd, v, n, off);
        if (got < 0 && errno == EINTR) {
            done = 0;
            continue;
        }
        if (got < 0) return -1;
        if (got == 0 && !writing) {
            errno = EIO;
            return -1;
        }
        off += got;
        done = (size_t)got;
    }
}

/* pv_full() of any number of pieces, IOV_MAX_PIECES per system call. */
static int move_pieces(int fd, const struct kv_iov *iov, int n, off_t off, int writing)
{
    struct iovec v[IOV_MAX_PIECES];
    for (int i = 0; i < n;) {
        off_t at = off;
        int k = 0;
        for (; k < IOV_MAX_PIECES && i < n; k++, i++) {
            v[k] = (struct iovec){iov[i].base, iov[i].len};
            off += (off_t)iov[i].len;
        }
        if (pv_full(fd, v, k, at, writing) != 0) return -1;
    }
    return 0;
}

/* An object being read or written: its descriptor, and its paths for messages and for the
 * rename that ends a put. */
struct file_obj {
    int fd;
    char path[PATH_BYTES];
    char tmp[PATH_BYTES]; /* a put's temporary file */
};

/* A new file_obj for key with its path filled in, or NULL with *rc and e set. */
static struct file_obj *obj_new(const struct file_kv *s, const char *key, int *rc,
                                struct err *e)
{
    struct file_obj *o = malloc(sizeof *o);
    if (!o) {
        *rc = err_set(e, SIREN_ENOMEM, "key '%s': out of memory", key);
        return NULL;
    }
    o->fd = -1;
    o->tmp[0] = '\0';
    if ((*rc = file_path(s, key, o->path, e))) {
        free(o);
        return NULL;
    }
    return o;
}

static void obj_free(struct file_obj *o)
{
    if (o->fd >= 0) close(o->fd);
    free(o);
}

/* Opens an object for reading; its stored bytes are the file's, read with file_read_at. */
static int file_read_open(void *state, const char *key, struct kv_raw *raw, struct err *e)
{
    int rc;
    struct file_obj *o = obj_new(state, key, &rc, e);
    if (!o) return rc;
    struct stat st = {0};
    o->fd = open(o->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (o->fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            rc = err_set(e, SIREN_ENOTFOUND, "key '%s': not found", key);
        else
            rc = err_errno(e, errno, "key '%s': cannot open %s", key, o->path);
    } else if (fstat(o->fd, &st) != 0) {
        rc = err_errno(e, errno, "key '%s': cannot stat %s", key, o->path);
    } else if (!S_ISREG(st.st_mode)) { /* a directory: only a prefix of other keys */
        rc = err_set(e, SIREN_ENOTFOUND, "key '%s': not found", key);
    }
    if (rc) {
        obj_free(o);
        return rc;
    }
    raw->len = (uint64_t)st.st_size;
    raw->data = NULL;
    raw->handle = o;
    return SIREN_OK;
}

/* read_at and write_at: the pieces at off of the object's file (a put's temporary one). */
static int obj_move(const char *key, const struct kv_raw *raw, uint64_t off,
                    const struct kv_iov *iov, int n, int writing, struct err *e)
{
    const struct file_obj *o = raw->handle;
    if (move_pieces(o->fd, iov, n, (off_t)off, writing) == 0) return SIREN_OK;
    return err_errno(e, errno, "key '%s': cannot %s %s", key, writing ? "write" : "read",
                     writing ? o->tmp : o->path);
}

static int file_read_at(void *state, const char *key, const struct kv_raw *raw, uint64_t off,
                        const struct kv_iov *iov, int n, struct err *e)
{
    (void)state;
    return obj_move(key, raw, off, iov, n, 0, e);
}

static int file_write_at(void *state, const char *key, const struct kv_raw *raw, uint64_t off,
                         const struct kv_iov *iov, int n, struct err *e)
{
    (void)state;
    return obj_move(key, raw, off, iov, n, 1, e);
}

static void file_read_close(void *state, struct kv_raw *raw)
{
    (void)state;
    obj_free(raw->handle);
}

/* Starts a put: the stored bytes go to a temporary file (file_write_at), renamed over the
 * object by file_write_end. */
static int file_write_open(void *state, const char *key, struct kv_raw *raw, struct err *e)
{
    int rc;
    struct file_obj *o = obj_new(state, key, &rc, e);
    if (!o) return rc;
    o->fd = create_tmp(state, o->path, key, o->tmp, &rc, e);
    if (o->fd < 0) {
        if (!rc) rc = err_errno(e, errno, "key '%s': cannot create %s", key, o->tmp);
        obj_free(o);
        return rc;
    }
    raw->data = NULL;
    raw->handle = o;
    return SIREN_OK;
}

/* Ends a put: a committed object is fsync'ed and renamed over the key; a dropped one (or one
 * whose commit fails) is removed, never left half-written. */
static int file_write_end(void *state, const char *key, struct kv_raw *raw, int commit,
                          struct err *e)
{
    (void)state;
    struct file_obj *o = raw->handle;
    int rc = SIREN_OK;
    if (commit) {
        if (fsync(o->fd) != 0) rc = err_errno(e, errno, "key '%s': cannot fsync %s", key, o->tmp);
        rc = commit_tmp(o->fd, rc, commit, o->tmp, o->path, key, e);
    } else {
        close(o->fd);
        unlink(o->tmp);
    }
    o->fd = -1;
    obj_free(o);
    return rc;
}

struct key_list {
    struct kv_keys *k;
    size_t cap;
};

static int list_add(struct key_list *l, const char *key, size_t len)
{
    if (l->k->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **keys = realloc(l->k->keys, cap * sizeof *keys);
        if (!keys) return -1;
        l->k->keys = keys;
        l->cap = cap;
    }
    char *copy = strndup(key, len);
    if (!copy) return -1;
    l->k->keys[l->k->count++] = copy;
    return 0;
}

/* Walks path (the directory of key prefix rel[0..rel_len)), adding every object whose key
 * starts with prefix; descends only into directories that can hold such keys. */
static int walk(char *path, size_t path_len, char *rel, size_t rel_len, const char *prefix,
                size_t prefix_len, struct key_list *l, struct err *e)
{
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR) return SIREN_OK;
        return err_errno(e, errno, "cannot list %s", path);
    }
    int rc = SIREN_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue; /* ".", "..", temporary files */
        size_t nlen = strlen(de->d_name);
        if (rel_len + nlen + 2 > KV_KEY_MAX_BYTES + 2 || path_len + nlen + 2 > PATH_BYTES)
            continue; /* cannot be a key */
        memcpy(rel + rel_len, de->d_name, nlen + 1);
        size_t cand = rel_len + nlen;
        size_t cmp = cand < prefix_len ? cand : prefix_len;
        if (memcmp(rel, prefix, cmp) != 0) continue;
        path[path_len] = '/';
        memcpy(path + path_len + 1, de->d_name, nlen + 1);
        int type = de->d_type;
        if (type == DT_UNKNOWN) {
            struct stat st;
            if (lstat(path, &st) != 0) continue;
            type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
        }
        if (type == DT_DIR) {
            rel[cand] = '/';
            rel[cand + 1] = '\0';
            rc = walk(path, path_len + 1 + nlen, rel, cand + 1, prefix, prefix_len, l, e);
        } else if (type == DT_REG && cand >= prefix_len) {
            if (kv_key_check(rel, cand, NULL) == SIREN_OK && list_add(l, rel, cand) != 0)
                rc = err_set(e, SIREN_ENOMEM, "out of memory while listing");
        }
        path[path_len] = '\0';
        if (rc) break;
    }
    closedir(d);
    return rc;
}

static int file_list(void *state, const char *prefix, struct kv_keys *out, struct err *e)
{
    struct file_kv *s = state;
    char path[PATH_BYTES], rel[KV_KEY_MAX_BYTES + 2];
    size_t prefix_len = strlen(prefix);
    /* Start at the deepest directory the prefix names completely. */
    const char *slash = strrchr(prefix, '/');
    size_t rel_len = slash ? (size_t)(slash - prefix) + 1 : 0;
    memcpy(rel, prefix, rel_len);
    rel[rel_len] = '\0';
    int n = snprintf(path, sizeof path, "%s%s%.*s", s->dir, rel_len ? "/" : "",
                     rel_len ? (int)rel_len - 1 : 0, prefix);
    if (n < 0 || n >= (int)sizeof path) return err_set(e, SIREN_EINVAL, "prefix too long");
    struct key_list l = {out, 0};
    return walk(path, (size_t)n, rel, rel_len, prefix, prefix_len, &l, e);
}

/* Hands a large object to the background thread: renames it to a hidden name (atomic: the key
 * is gone) and queues that name. 0 when queued; -1 when the object must be unlinked here
 * instead (errno is then that of the rename, or 0 when the thread could not take it). */
static int delete_later(struct file_kv *s, const char *path)
{
    char hidden[PATH_BYTES];
    const char *slash = strrchr(path, '/');
    snprintf(hidden, sizeof hidden, "%.*s/.del.%ld.%lu", (int)(slash - path), path,
             (long)getpid(), atomic_fetch_add(&tmp_counter, 1));
    char *copy = strdup(hidden);
    if (!copy) {
        errno = 0;
        return -1;
    }
    pthread_mutex_lock(&s->mu);
    int ok = worker_locked(s);
    if (ok && s->n_pending == s->cap_pending) {
        size_t cap = s->cap_pending ? 2 * s->cap_pending : 64;
        char **p = realloc(s->pending, cap * sizeof *p);
        if (p) {
            s->pending = p;
            s->cap_pending = cap;
        } else {
            ok = 0;
        }
    }
    /* Renamed under the lock, so a name is queued exactly when its object was moved. */
    if (ok && rename(path, hidden) != 0) {
        int saved = errno;
        pthread_mutex_unlock(&s->mu);
        free(copy);
        errno = saved;
        return -1;
    }
    if (ok) {
        s->pending[s->n_pending++] = copy;
        pthread_cond_signal(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    if (!ok) {
        free(copy);
        errno = 0;
        return -1;
    }
    return 0;
}

static int file_del(void *state, const char *key, struct err *e)
{
    struct file_kv *s = state;
    char path[PATH_BYTES];
    int rc = file_path(s, key, path, e);
    if (rc) return rc;
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= ASYNC_DELETE_MIN_BYTES) {
        if (delete_later(s, path) == 0) return SIREN_OK;
        if (errno == ENOENT) /* deleted (or replaced by a prefix) since the lstat */
            return err_set(e, SIREN_ENOTFOUND, "key '%s': not found", key);
    }
    if (unlink(path) != 0) {
        if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR)
            return err_set(e, SIREN_ENOTFOUND, "key '%s': not found", key);
        return err_errno(e, errno, "key '%s': cannot remove %s", key, path);
    }
    return SIREN_OK;
}

const struct kv_ops kv_file_ops = {
    .scheme = "file",
    .open = file_open,
    .close = file_close,
    .list = file_list,
    .del = file_del,
    .read_open = file_read_open,
    .read_at = file_read_at,
    .read_close = file_read_close,
    .write_open = file_write_open,
    .write_at = file_write_at,
    .write_end = file_write_end,
    .put_new = 1,
};

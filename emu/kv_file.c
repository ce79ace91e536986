/*
 * kv_file: the "file:DIR" backend. One file per object, DIR/<key>, with '/' in keys mapping to
 * subdirectories (mode 0755; files 0644, both narrowed by the umask). A put writes the framed
 * value to ".tmp.<pid>.<n>" in the object's directory (payload hashed in cache-sized chunks as
 * it is copied, header last), fsyncs it and renames it over the object, so a reader (or a
 * crash at any instant) sees the old or the new object, never a part. Names starting with '.' are never keys, so temporary files (including ones left by a
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

/* Objects move in chunks that stay in cache between hashing and copying; a multiple of
 * KV_HASH_BLOCK_BYTES. */
#define IO_CHUNK_BYTES ((size_t)256 << 10)

static int pwrite_full(int fd, const void *buf, size_t len, off_t off)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t w = pwrite(fd, p, len, off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        off += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Writes the framed value into fd and fsyncs it: the payload first, hashed chunk by chunk just
 * before each chunk is copied out, then the header that carries the hash. name (the file's)
 * is for messages. */
static int write_frame(int fd, const void *data, size_t len, const char *key, const char *name,
                       struct err *e)
{
    struct kv_hash h;
    kv_hash_init(&h);
    const uint8_t *src = data;
    uint64_t hash = 0;
    for (size_t off = 0;;) {
        size_t n = len - off < IO_CHUNK_BYTES ? len - off : IO_CHUNK_BYTES;
        int last = off + n == len;
        if (last)
            hash = kv_hash_final(&h, src + off, n);
        else
            kv_hash_blocks(&h, src + off, n);
        if (n && pwrite_full(fd, src + off, n, (off_t)(KV_FRAME_HEADER_BYTES + off)) != 0)
            return err_errno(e, errno, "key '%s': cannot write %s", key, name);
        off += n;
        if (last) break;
    }
    uint8_t hdr[KV_FRAME_HEADER_BYTES];
    kv_frame_header_hashed(len, hash, hdr);
    if (pwrite_full(fd, hdr, sizeof hdr, 0) != 0)
        return err_errno(e, errno, "key '%s': cannot write %s", key, name);
    if (fsync(fd) != 0) return err_errno(e, errno, "key '%s': cannot fsync %s", key, name);
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

/* Ends a put: closes the temporary file fd (rc: how writing it went) and renames it over the
 * object; on any failure the temporary file is removed, never left half-written. */
static int commit_tmp(int fd, int rc, const char *tmp, const char *path, const char *key,
                      struct err *e)
{
    if (close(fd) != 0 && !rc) rc = err_errno(e, errno, "key '%s': cannot close %s", key, tmp);
    if (!rc) rc = rename_tmp(tmp, path, key, e);
    if (rc) unlink(tmp);
    return rc;
}

static int file_put(void *state, const char *key, const void *data, size_t len, struct err *e)
{
    struct file_kv *s = state;
    char path[PATH_BYTES], tmp[PATH_BYTES];
    int rc = file_path(s, key, path, e);
    if (rc) return rc;
    int fd = create_tmp(s, path, key, tmp, &rc, e);
    if (fd < 0) return rc ? rc : err_errno(e, errno, "key '%s': cannot create %s", key, tmp);
    return commit_tmp(fd, write_frame(fd, data, len, key, tmp, e), tmp, path, key, e);
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

/* A put of pieces: hashed where they lie (they are hot: a model's arrays just updated), then
 * written with the header in one pwritev; otherwise as file_put. */
static int file_put_iov(void *state, const char *key, const struct kv_iov *iov, int n,
                        struct err *e)
{
    struct file_kv *s = state;
    if (n + 1 > IOV_MAX_PIECES) { /* more pieces than this path takes: one buffer */
        size_t len;
        uint8_t *all = kv_iov_gather(iov, n, &len);
        if (!all) return err_set(e, SIREN_ENOMEM, "key '%s': out of memory", key);
        int rc = file_put(state, key, all, len, e);
        free(all);
        return rc;
    }
    char path[PATH_BYTES], tmp[PATH_BYTES];
    int rc = file_path(s, key, path, e);
    if (rc) return rc;
    uint8_t hdr[KV_FRAME_HEADER_BYTES];
    struct iovec v[IOV_MAX_PIECES];
    size_t len = 0;
    v[0] = (struct iovec){hdr, sizeof hdr};
    for (int i = 0; i < n; i++) {
        v[i + 1] = (struct iovec){iov[i].base, iov[i].len};
        len += iov[i].len;
    }
    kv_frame_header_hashed(len, kv_hash64_iov(iov, n), hdr);
    int fd = create_tmp(s, path, key, tmp, &rc, e);
    if (fd < 0) return rc ? rc : err_errno(e, errno, "key '%s': cannot create %s", key, tmp);
    if (pv_full(fd, v, n + 1, 0, 1) != 0)
        rc = err_errno(e, errno, "key '%s': cannot write %s", key, tmp);
    else if (fsync(fd) != 0)
        rc = err_errno(e, errno, "key '%s': cannot fsync %s", key, tmp);
    return commit_tmp(fd, rc, tmp, path, key, e);
}

static int read_full(int fd, void *buf, size_t len, off_t off)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t r = pread(fd, p, len, off);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) { /* the file shrank under us: a foreign writer */
            errno = EIO;
            return -1;
        }
        p += r;
        off += r;
        len -= (size_t)r;
    }
    return 0;
}

/* Opens an object and checks its header (into hdr); *fd_out and *plen (payload bytes) on
 * success. path gets its file's path. */
static int open_object(struct file_kv *s, const char *key, char *path, int *fd_out,
                       uint8_t hdr[KV_FRAME_HEADER_BYTES], uint64_t *plen, struct err *e)
{
    int rc = file_path(s, key, path, e);
    if (rc) return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return err_set(e, SIREN_ENOTFOUND, "key '%s': not found", key);
        return err_errno(e, errno, "key '%s': cannot open %s", key, path);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = err_errno(e, errno, "key '%s': cannot stat %s", key, path);
    } else if (!S_ISREG(st.st_mode)) { /* a directory: only a prefix of other keys */
        rc = err_set(e, SIREN_ENOTFOUND, "key '%s': not found", key);
    } else {
        size_t total = (size_t)st.st_size;
        size_t head = total < KV_FRAME_HEADER_BYTES ? total : KV_FRAME_HEADER_BYTES;
        if (read_full(fd, hdr, head, 0) != 0)
            rc = err_errno(e, errno, "key '%s': cannot read %s", key, path);
        else
            rc = kv_frame_check_header(hdr, total, key, plen, e);
    }
    if (rc) {
        close(fd);
        return rc;
    }
    *fd_out = fd;
    return SIREN_OK;
}

/* Reads and checks an object into buf (grown when too small). */
static int file_get_into(void *state, const char *key, struct kv_buf *buf, struct err *e)
{
    char path[PATH_BYTES];
    uint8_t hdr[KV_FRAME_HEADER_BYTES];
    uint64_t plen = 0;
    int fd, rc = open_object(state, key, path, &fd, hdr, &plen, e);
    if (rc) return rc;
    if (kv_buf_reserve(buf, (size_t)plen)) {
        rc = err_set(e, SIREN_ENOMEM, "key '%s': cannot allocate %llu bytes", key,
                     (unsigned long long)plen);
        goto out;
    }
    size_t len = (size_t)plen;
    buf->data[len] = '\0';
    /* Read and hash chunk by chunk, while each chunk is still in cache. */
    struct kv_hash h;
    kv_hash_init(&h);
    uint64_t hash = 0;
    for (size_t off = 0;;) {
        size_t n = len - off < IO_CHUNK_BYTES ? len - off : IO_CHUNK_BYTES;
        if (n && read_full(fd, buf->data + off, n, (off_t)(KV_FRAME_HEADER_BYTES + off)) != 0) {
            rc = err_errno(e, errno, "key '%s': cannot read %s", key, path);
            goto out;
        }
        if (off + n == len) {
            hash = kv_hash_final(&h, buf->data + off, n);
            break;
        }
        kv_hash_blocks(&h, buf->data + off, n);
        off += n;
    }
    rc = kv_frame_check_hash(hdr, hash, key, e);
    if (!rc) buf->len = len;
out:
    close(fd);
    return rc;
}

/* Reads and checks an object straight into the pieces (see kv_get_iov). */
static int file_get_iov(void *state, const char *key, const struct kv_iov *iov, int n,
                        struct err *e)
{
    char path[PATH_BYTES];
    uint8_t hdr[KV_FRAME_HEADER_BYTES];
    uint64_t plen = 0;
    if (n > IOV_MAX_PIECES)
        return err_set(e, SIREN_EINVAL, "key '%s': %d pieces, at most %d", key, n, IOV_MAX_PIECES);
    int fd, rc = open_object(state, key, path, &fd, hdr, &plen, e);
    if (rc) return rc;
    struct iovec v[IOV_MAX_PIECES];
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        v[i] = (struct iovec){iov[i].base, iov[i].len};
        len += iov[i].len;
    }
    if (plen != len)
        rc = err_set(e, SIREN_ERANGE, "key '%s': object of %llu bytes, expected %zu", key,
                     (unsigned long long)plen, len);
    else if (pv_full(fd, v, n, KV_FRAME_HEADER_BYTES, 0) != 0)
        rc = err_errno(e, errno, "key '%s': cannot read %s", key, path);
    else
        rc = kv_frame_check_hash(hdr, kv_hash64_iov(iov, n), key, e);
    close(fd);
    return rc;
}

static int file_get(void *state, const char *key, struct kv_value *out, struct err *e)
{
    struct kv_buf buf = {0};
    int rc = file_get_into(state, key, &buf, e);
    if (rc) {
        kv_buf_free(&buf);
        return rc;
    }
    out->data = buf.data;
    out->len = buf.len;
    return SIREN_OK;
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
    .put = file_put,
    .get = file_get,
    .list = file_list,
    .del = file_del,
    .close = file_close,
    .get_into = file_get_into,
    .put_iov = file_put_iov,
    .get_iov = file_get_iov,
};

/*
 * kv_file: the "file:DIR" backend. One file per object, DIR/<key>, with '/' in keys mapping to
 * subdirectories (mode 0755; files 0644, both narrowed by the umask). A put writes the framed
 * value to ".tmp.<pid>.<n>" in the object's directory (payload hashed in cache-sized chunks as
 * it is copied, header last), fsyncs it and renames it over the object, so a reader (or a
 * crash at any instant) sees the old or the new object, never a part. Names starting with '.' are never keys, so temporary files (including ones left by a
 * killed writer) are never listed or read. The directory itself is not fsync'ed after the
 * rename: objects survive a killed process, not necessarily a power cut, which is what a
 * restartable training job needs.
 */
#define _GNU_SOURCE
#include "kv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct file_kv {
    char *dir;
    size_t dir_len;
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
    free(s->dir);
    free(s);
    return rc;
}

static void file_close(void *state)
{
    struct file_kv *s = state;
    if (!s) return;
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

static int file_put(void *state, const char *key, const void *data, size_t len, struct err *e)
{
    struct file_kv *s = state;
    char path[PATH_BYTES], tmp[PATH_BYTES];
    int rc = file_path(s, key, path, e);
    if (rc) return rc;
    rc = make_parents(s, path, key, e);
    if (rc) return rc;
    /* The temporary file sits in the object's own directory so the rename is atomic. */
    const char *slash = strrchr(path, '/');
    /* The name is unique among live writers (pid + a process-wide counter); a stale file of
     * a killed writer whose pid came back is stepped over. */
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 64; attempt++) {
        snprintf(tmp, sizeof tmp, "%.*s/.tmp.%ld.%lu", (int)(slash - path), path,
                 (long)getpid(), atomic_fetch_add(&tmp_counter, 1));
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) return err_errno(e, errno, "key '%s': cannot create %s", key, tmp);
    /* The payload first, hashed chunk by chunk just before each chunk is copied out, then
     * the header that carries the hash. */
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
        if (n && pwrite_full(fd, src + off, n, (off_t)(KV_FRAME_HEADER_BYTES + off)) != 0) {
            rc = err_errno(e, errno, "key '%s': cannot write %s", key, tmp);
            goto fail;
        }
        off += n;
        if (last) break;
    }
    uint8_t hdr[KV_FRAME_HEADER_BYTES];
    kv_frame_header_hashed(len, hash, hdr);
    if (pwrite_full(fd, hdr, sizeof hdr, 0) != 0) {
        rc = err_errno(e, errno, "key '%s': cannot write %s", key, tmp);
        goto fail;
    }
    if (fsync(fd) != 0) {
        rc = err_errno(e, errno, "key '%s': cannot fsync %s", key, tmp);
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = err_errno(e, errno, "key '%s': cannot close %s", key, tmp);
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        int saved = errno;
        if (saved == EISDIR || saved == ENOTEMPTY || saved == EEXIST)
            rc = err_set(e, SIREN_EEXISTS,
                         "key '%s': other keys use it as a prefix, so it cannot also be an "
                         "object in a file store",
                         key);
        else
            rc = err_errno(e, saved, "key '%s': cannot rename %s to %s", key, tmp, path);
        goto fail;
    }
    return SIREN_OK;
fail:
    if (fd >= 0) close(fd);
    unlink(tmp);
    return rc;
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

static int file_get(void *state, const char *key, struct kv_value *out, struct err *e)
{
    struct file_kv *s = state;
    char path[PATH_BYTES];
    int rc = file_path(s, key, path, e);
    if (rc) return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return err_set(e, SIREN_ENOTFOUND, "key '%s': not found", key);
        return err_errno(e, errno, "key '%s': cannot open %s", key, path);
    }
    struct stat st;
    uint8_t hdr[KV_FRAME_HEADER_BYTES];
    uint64_t plen = 0;
    if (fstat(fd, &st) != 0) {
        rc = err_errno(e, errno, "key '%s': cannot stat %s", key, path);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) { /* a directory: only a prefix of other keys */
        rc = err_set(e, SIREN_ENOTFOUND, "key '%s': not found", key);
        goto out;
    }
    size_t total = (size_t)st.st_size;
    size_t head = total < sizeof hdr ? total : sizeof hdr;
    if (read_full(fd, hdr, head, 0) != 0) {
        rc = err_errno(e, errno, "key '%s': cannot read %s", key, path);
        goto out;
    }
    rc = kv_frame_check_header(hdr, total, key, &plen, e);
    if (rc) goto out;
    out->data = malloc((size_t)plen + 1);
    if (!out->data) {
        rc = err_set(e, SIREN_ENOMEM, "key '%s': cannot allocate %llu bytes", key,
                     (unsigned long long)plen);
        goto out;
    }
    out->len = (size_t)plen;
    out->data[plen] = '\0';
    /* Read and hash chunk by chunk, while each chunk is still in cache. */
    struct kv_hash h;
    kv_hash_init(&h);
    uint64_t hash = 0;
    for (size_t off = 0;;) {
        size_t n = out->len - off < IO_CHUNK_BYTES ? out->len - off : IO_CHUNK_BYTES;
        if (n && read_full(fd, out->data + off, n, (off_t)(KV_FRAME_HEADER_BYTES + off)) != 0) {
            rc = err_errno(e, errno, "key '%s': cannot read %s", key, path);
            goto out;
        }
        if (off + n == out->len) {
            hash = kv_hash_final(&h, out->data + off, n);
            break;
        }
        kv_hash_blocks(&h, out->data + off, n);
        off += n;
    }
    rc = kv_frame_check_hash(hdr, hash, key, e);
out:
    close(fd);
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

static int file_del(void *state, const char *key, struct err *e)
{
    struct file_kv *s = state;
    char path[PATH_BYTES];
    int rc = file_path(s, key, path, e);
    if (rc) return rc;
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
};

/*
 * kv: the backend-independent half of the KV store. Picks the backend from the URL scheme,
 * validates every key before a backend sees it, counts requests and bytes, keeps the detail
 * of the last failure in the kv object (kv_errmsg), sorts listings, and frames every value
 * with a header and a 64-bit checksum (kv_frame_*; the hash itself is kv_hash.c): backends
 * only move stored bytes, so the header is built on every put and header and payload are
 * checked on every get here, once, whatever the backend.
 */
#include "kv.h"

#include <stdlib.h>
#include <string.h>

struct kv {
    const struct kv_ops *ops;
    void *state;
    char *url;
    struct kv_stats stats;
    struct err err;
};

/* ------------------------------------------------------------------ backend registry */

#define KV_MAX_BACKENDS 16

static const struct kv_ops *registered[KV_MAX_BACKENDS];
static size_t n_registered;

static const struct kv_ops *find_backend(const char *scheme, size_t len)
{
    static const struct kv_ops *const builtin[] = {&kv_file_ops, &kv_redis_ops};
    for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++)
        if (strlen(builtin[i]->scheme) == len && !memcmp(builtin[i]->scheme, scheme, len))
            return builtin[i];
    for (size_t i = 0; i < n_registered; i++)
        if (strlen(registered[i]->scheme) == len && !memcmp(registered[i]->scheme, scheme, len))
            return registered[i];
    return NULL;
}

int kv_register(const struct kv_ops *ops)
{
    if (!ops || !ops->scheme || !ops->scheme[0] || !ops->open || !ops->close || !ops->list ||
        !ops->del || !ops->read_open || !ops->read_close || !ops->write_end)
        return SIREN_EINVAL;
    int rc = registry_admit(find_backend(ops->scheme, strlen(ops->scheme)), ops,
                            (int)n_registered, KV_MAX_BACKENDS, "kv", "KV backend", ops->scheme);
    if (rc == SIREN_OK) registered[n_registered++] = ops;
    return rc == REGISTRY_PRESENT ? SIREN_OK : rc;
}

/* ------------------------------------------------------------------------- keys */

static int key_char_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("-_.=+,@", c) != NULL);
}

/* A printable rendering of a (possibly bad) key for messages, cut to fit buf. */
static const char *key_show(const char *key, size_t len, char *buf, size_t buflen)
{
    size_t o = 0, i = 0;
    for (; i < len && o + 8 < buflen; i++) { /* buflen >= 9: room for "\xNN" or "..." */
        unsigned char c = (unsigned char)key[i];
        if (c >= 0x20 && c < 0x7f && c != '\'')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, buflen - o, "\\x%02x", c);
    }
    if (i < len) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

static int key_check(const char *key, size_t len, int is_prefix, struct err *e)
{
    char shown[96];
    const char *what = is_prefix ? "prefix" : "key";
    if (!key) return err_set(e, SIREN_EINVAL, "%s is NULL", what);
    if (len == 0)
        return is_prefix ? SIREN_OK : err_set(e, SIREN_EINVAL, "key is empty");
    if (len > KV_KEY_MAX_BYTES)
        return err_set(e, SIREN_EINVAL, "%s '%s': %zu bytes, longer than %d", what,
                       key_show(key, len, shown, sizeof shown), len, KV_KEY_MAX_BYTES);
    size_t seg = 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)key[i] : '/';
        if (c == '/') {
            if (i == 0)
                return err_set(e, SIREN_EINVAL, "%s '%s': starts with '/'", what,
                               key_show(key, len, shown, sizeof shown));
            if (i == seg && !(is_prefix && i == len))
                return err_set(e, SIREN_EINVAL, "%s '%s': %s at byte %zu", what,
                               key_show(key, len, shown, sizeof shown),
                               i == len ? "ends with '/'" : "empty segment", i);
            if (i - seg > KV_KEY_SEGMENT_MAX_BYTES)
                return err_set(e, SIREN_EINVAL, "%s '%s': segment of %zu bytes, longer than %d",
                               what, key_show(key, len, shown, sizeof shown), i - seg,
                               KV_KEY_SEGMENT_MAX_BYTES);
            seg = i + 1;
            continue;
        }
        if (c == '\0')
            return err_set(e, SIREN_EINVAL, "%s '%s': NUL byte at byte %zu", what,
                           key_show(key, len, shown, sizeof shown), i);
        if (!key_char_ok(c))
            return err_set(e, SIREN_EINVAL,
                           "%s '%s': character 0x%02x at byte %zu is not allowed "
                           "(use A-Z a-z 0-9 - _ . = + , @ and '/' between segments)",
                           what, key_show(key, len, shown, sizeof shown), c, i);
        if (c == '.' && i == seg)
            return err_set(e, SIREN_EINVAL,
                           "%s '%s': segment starting with '.' at byte %zu ('.' and '..' "
                           "segments are not allowed)",
                           what, key_show(key, len, shown, sizeof shown), i);
    }
    return SIREN_OK;
}

int kv_key_check(const char *key, size_t key_len, struct err *e)
{
    return key_check(key, key_len, 0, e);
}

int kv_prefix_check(const char *prefix, struct err *e)
{
    return key_check(prefix, prefix ? strlen(prefix) : 0, 1, e);
}

/* ------------------------------------------------------------------------ framing */

/* Header fields are little-endian whatever the host, so stored objects are portable. */
static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void store_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8) p[i] = (uint8_t)v;
}

static uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++, v >>= 8) p[i] = (uint8_t)v;
}

static const uint8_t frame_magic[8] = {'S', 'I', 'R', 'E', 'N', 'K', 'V', '\n'};
#define FRAME_VERSION 1u

void kv_frame_header_hashed(size_t len, uint64_t payload_hash,
                            uint8_t hdr[KV_FRAME_HEADER_BYTES])
{
    memcpy(hdr, frame_magic, 8);
    store_le32(hdr + 8, FRAME_VERSION);
    store_le32(hdr + 12, KV_FRAME_HEADER_BYTES);
    store_le64(hdr + 16, (uint64_t)len);
    store_le64(hdr + 24, payload_hash);
    store_le64(hdr + 32, kv_hash64(hdr, 32));
}

void kv_frame_header(const void *data, size_t len, uint8_t hdr[KV_FRAME_HEADER_BYTES])
{
    kv_frame_header_hashed(len, kv_hash64(data, len), hdr);
}

int kv_frame_check_header(const uint8_t *hdr, size_t total_len, const char *key,
                          uint64_t *payload_len, struct err *e)
{
    if (total_len >= 8 && memcmp(hdr, frame_magic, 8) != 0)
        return err_set(e, SIREN_EFORMAT, "key '%s': not a siren KV object (no SIRENKV magic)",
                       key);
    if (total_len < KV_FRAME_HEADER_BYTES)
        return err_set(e, SIREN_ECHECKSUM,
                       "key '%s': checksum mismatch: truncated object (%zu bytes, shorter than "
                       "the %d-byte header)",
                       key, total_len, KV_FRAME_HEADER_BYTES);
    if (load_le64(hdr + 32) != kv_hash64(hdr, 32))
        return err_set(e, SIREN_ECHECKSUM, "key '%s': checksum mismatch: corrupt header", key);
    uint32_t version = load_le32(hdr + 8), hdr_len = load_le32(hdr + 12);
    if (version != FRAME_VERSION || hdr_len != KV_FRAME_HEADER_BYTES)
        return err_set(e, SIREN_EFORMAT,
                       "key '%s': object format version %u (header %u bytes), expected "
                       "version %u",
                       key, version, hdr_len, FRAME_VERSION);
    uint64_t plen = load_le64(hdr + 16);
    if (plen != (uint64_t)(total_len - KV_FRAME_HEADER_BYTES))
        return err_set(e, SIREN_ECHECKSUM,
                       "key '%s': checksum mismatch: %zu payload bytes stored, header says "
                       "%llu (truncated or torn object)",
                       key, total_len - KV_FRAME_HEADER_BYTES, (unsigned long long)plen);
    *payload_len = plen;
    return SIREN_OK;
}

int kv_frame_check_payload(const uint8_t *hdr, const void *payload, size_t len, const char *key,
                           struct err *e)
{
    return kv_frame_check_hash(hdr, kv_hash64(payload, len), key, e);
}

int kv_frame_check_hash(const uint8_t *hdr, uint64_t payload_hash, const char *key,
                        struct err *e)
{
    if (load_le64(hdr + 24) != payload_hash)
        return err_set(e, SIREN_ECHECKSUM,
                       "key '%s': checksum mismatch (torn or corrupt object)", key);
    return SIREN_OK;
}

/* ----------------------------------------------------------------------- the store */

/* Where the password of url is: *at gets the ':' before it and *end the '@' after it (both
 * NULL when the URL has none). The user information lies between "://" and the last '@' of
 * the URL: a password may hold '/' or '@', the hosts, ports and paths of store URLs hold none. */
static void url_password(const char *url, const char **at, const char **end)
{
    *at = *end = NULL;
    const char *p = strstr(url, "://");
    if (!p) return;
    p += 3;
    const char *amp = strrchr(p, '@');
    if (!amp) return;
    const char *colon = memchr(p, ':', (size_t)(amp - p));
    if (!colon) return;
    *at = colon;
    *end = amp;
}

void kv_url_redact(const char *url, char *buf, size_t len)
{
    const char *at, *end;
    url_password(url, &at, &end);
    if (!at) snprintf(buf, len, "%s", url);
    else snprintf(buf, len, "%.*s:***%s", (int)(at - url), url, end);
}

void kv_url_strip_password(const char *url, char *buf, size_t len)
{
    const char *at, *end;
    url_password(url, &at, &end);
    const char *user = strstr(url, "://");
    if (!at) snprintf(buf, len, "%s", url);
    else if (at == user + 3) /* no user: the whole user information goes */
        snprintf(buf, len, "%.*s%s", (int)(at - url), url, end + 1);
    else snprintf(buf, len, "%.*s%s", (int)(at - url), url, end);
}

int kv_open(const char *url, struct kv **out, struct err *e)
{
    *out = NULL;
    if (!url || !url[0]) return err_set(e, SIREN_EINVAL, "KV URL is empty");
    char shown[1200];
    kv_url_redact(url, shown, sizeof shown);
    /* "scheme:" where scheme is letters, digits, '+', '-', '.' starting with a letter; anything
     * else (a bare path such as "/tmp/kv" or "results/kv") is a file store. */
    const struct kv_ops *ops = &kv_file_ops;
    size_t n = strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
    if (n > 0 && url[n] == ':' && ((url[0] >= 'a' && url[0] <= 'z') ||
                                   (url[0] >= 'A' && url[0] <= 'Z'))) {
        ops = find_backend(url, n);
        if (!ops) {
            char names[256] = "file, redis";
            for (size_t i = 0; i < n_registered; i++) {
                size_t used = strlen(names);
                snprintf(names + used, sizeof names - used, ", %s", registered[i]->scheme);
            }
            return err_set(e, SIREN_EINVAL, "%s: unknown KV scheme '%.*s' (known: %s)", shown,
                           (int)n, url, names);
        }
    }
    struct kv *kv = calloc(1, sizeof *kv);
    char *copy = strdup(shown); /* messages name the store without its password */
    if (!kv || !copy) {
        free(kv);
        free(copy);
        return err_set(e, SIREN_ENOMEM, "%s: out of memory", shown);
    }
    kv->ops = ops;
    kv->url = copy;
    int rc = ops->open(url, &kv->state, e);
    if (rc) {
        free(copy);
        free(kv);
        return rc;
    }
    *out = kv;
    return SIREN_OK;
}

void kv_close(struct kv *kv)
{
    if (!kv) return;
    kv->ops->close(kv->state);
    free(kv->url);
    free(kv);
}

const char *kv_url(const struct kv *kv) { return kv->url; }
const char *kv_errmsg(const struct kv *kv) { return kv->err.msg; }
int kv_errcode(const struct kv *kv) { return kv->err.code; }

void kv_stats_get(const struct kv *kv, struct kv_stats *out) { *out = kv->stats; }
void kv_stats_reset(struct kv *kv) { memset(&kv->stats, 0, sizeof kv->stats); }

/* Finishes a call: on failure the message gets the store's URL in front. */
static int finish(struct kv *kv, int rc)
{
    if (rc) {
        if (!kv->err.msg[0]) err_set(&kv->err, rc, "%s", err_str(rc));
        kv->err.code = rc;
        err_prefix(&kv->err, "%s", kv->url);
    } else {
        err_clear(&kv->err);
    }
    return rc;
}

/* ------------------------------------------------------- moving framed objects */

/* Payloads move between the caller's memory and the backend in chunks of this many bytes,
 * each hashed while it is in cache (before it is written, after it is read); a multiple of
 * KV_HASH_BLOCK_BYTES. */
#define KV_CHUNK_BYTES ((size_t)256 << 10)

/* Moves stored bytes [off, off + the pieces' total) of an open object into the pieces
 * (writing = 0) or from them into the object (writing = 1): straight in memory when the
 * backend holds the object there (raw->data), else through its read_at / write_at. */
static int raw_move(struct kv *kv, const char *key, const struct kv_raw *raw, uint64_t off,
                    const struct kv_iov *iov, int n, int writing)
{
    if (!raw->data) {
        int (*at)(void *, const char *, const struct kv_raw *, uint64_t, const struct kv_iov *,
                  int, struct err *) = writing ? kv->ops->write_at : kv->ops->read_at;
        if (!at)
            return err_set(&kv->err, SIREN_EBACKEND,
                           "key '%s': the %s backend gave neither the object's bytes nor %s",
                           key, kv->ops->scheme, writing ? "write_at" : "read_at");
        return at(kv->state, key, raw, off, iov, n, &kv->err);
    }
    for (int i = 0; i < n; off += iov[i].len, i++) {
        if (!iov[i].len) continue;
        if (writing)
            memcpy(raw->data + off, iov[i].base, iov[i].len);
        else
            memcpy(iov[i].base, raw->data + off, iov[i].len);
    }
    return SIREN_OK;
}

/* Moves the payload, the pieces iov[0..n) laid end to end, out of the object (writing = 0)
 * or into it (writing = 1), chunk by chunk; *hash gets its kv_hash64. */
static int move_payload(struct kv *kv, const char *key, const struct kv_raw *raw,
                        const struct kv_iov *iov, int n, int writing, uint64_t *hash)
{
    struct kv_hash_stream hs;
    kv_hash_stream_init(&hs);
    uint64_t off = KV_FRAME_HEADER_BYTES;
    for (int i = 0; i < n; i++) {
        for (size_t at = 0; at < iov[i].len;) {
            size_t take = iov[i].len - at < KV_CHUNK_BYTES ? iov[i].len - at : KV_CHUNK_BYTES;
            struct kv_iov chunk = {(uint8_t *)iov[i].base + at, take};
            int rc;
            if (writing) {
                kv_hash_stream_update(&hs, chunk.base, take);
                rc = raw_move(kv, key, raw, off, &chunk, 1, 1);
            } else {
                rc = raw_move(kv, key, raw, off, &chunk, 1, 0);
                if (!rc) kv_hash_stream_update(&hs, chunk.base, take);
            }
            if (rc) return rc;
            at += take;
            off += take;
        }
    }
    *hash = kv_hash_stream_final(&hs);
    return SIREN_OK;
}

/* Puts the object whose payload is the pieces iov[0..n) (len bytes in all): the payload, then
 * the header that carries its hash, then the commit (KV_COMMIT, or KV_COMMIT_NEW). */
static int put_framed(struct kv *kv, const char *key, const struct kv_iov *iov, int n,
                      size_t len, int commit)
{
    struct kv_raw raw = {.len = (uint64_t)KV_FRAME_HEADER_BYTES + len};
    /* Without write_open the backend takes the object whole, gathered here. */
    int own = !kv->ops->write_open, rc = SIREN_OK;
    if (!own)
        rc = kv->ops->write_open(kv->state, key, &raw, &kv->err);
    else if (!(raw.data = malloc((size_t)raw.len)))
        rc = err_set(&kv->err, SIREN_ENOMEM, "key '%s': cannot allocate %llu bytes", key,
                     (unsigned long long)raw.len);
    if (rc) return rc;
    uint64_t hash = 0;
    rc = move_payload(kv, key, &raw, iov, n, 1, &hash);
    if (!rc) {
        uint8_t hdr[KV_FRAME_HEADER_BYTES];
        kv_frame_header_hashed(len, hash, hdr);
        rc = raw_move(kv, key, &raw, 0, &(struct kv_iov){hdr, sizeof hdr}, 1, 1);
    }
    int end = kv->ops->write_end(kv->state, key, &raw, rc ? KV_COMMIT_DROP : commit, &kv->err);
    if (own) free(raw.data);
    return rc ? rc : end;
}

/* Gets key's object: its header is checked, then the payload is read into buf (grown to fit)
 * or, with buf NULL, into the pieces iov[0..n) (SIREN_ERANGE unless they hold exactly the
 * payload) and checked against the header's hash. On success buf (if any) holds the payload
 * and a NUL after it. */
static int get_framed(struct kv *kv, const char *key, struct kv_buf *buf,
                      const struct kv_iov *iov, int n)
{
    struct kv_raw raw = {0};
    int rc = kv->ops->read_open(kv->state, key, &raw, &kv->err);
    if (rc) return rc;
    /* A stored object shorter than a header is read whole; the check then names it. */
    uint8_t hdr[KV_FRAME_HEADER_BYTES] = {0};
    size_t head = raw.len < sizeof hdr ? (size_t)raw.len : sizeof hdr;
    uint64_t plen = 0, hash = 0;
    if (head) rc = raw_move(kv, key, &raw, 0, &(struct kv_iov){hdr, head}, 1, 0);
    if (!rc) rc = kv_frame_check_header(hdr, (size_t)raw.len, key, &plen, &kv->err);
    struct kv_iov whole;
    if (!rc && buf) {
        if (kv_buf_reserve(buf, (size_t)plen))
            rc = err_set(&kv->err, SIREN_ENOMEM, "key '%s': cannot allocate %llu bytes", key,
                         (unsigned long long)plen);
        whole = (struct kv_iov){buf->data, (size_t)plen};
        iov = &whole; /* the payload lands at the start of the caller's buffer: no move */
        n = 1;
    } else if (!rc) {
        size_t want = 0;
        for (int i = 0; i < n; i++) want += iov[i].len;
        if (plen != want)
            rc = err_set(&kv->err, SIREN_ERANGE, "key '%s': object of %llu bytes, expected %zu",
                         key, (unsigned long long)plen, want);
    }
    if (!rc) rc = move_payload(kv, key, &raw, iov, n, 0, &hash);
    if (!rc) rc = kv_frame_check_hash(hdr, hash, key, &kv->err);
    kv->ops->read_close(kv->state, &raw);
    if (!rc && buf) {
        buf->data[plen] = '\0';
        buf->len = (size_t)plen;
    }
    return rc;
}

int kv_put(struct kv *kv, const char *key, const void *data, size_t len)
{
    err_clear(&kv->err);
    int rc = kv_key_check(key, key ? strlen(key) : 0, &kv->err);
    if (rc) return finish(kv, rc);
    if (!data && len > 0)
        return finish(kv, err_set(&kv->err, SIREN_EINVAL, "key '%s': data is NULL", key));
    kv->stats.puts++;
    struct kv_iov one = {(void *)data, len};
    rc = put_framed(kv, key, &one, 1, len, KV_COMMIT);
    if (!rc) kv->stats.bytes_in += len;
    return finish(kv, rc);
}

int kv_put_new(struct kv *kv, const char *key, const void *data, size_t len)
{
    err_clear(&kv->err);
    int rc = kv_key_check(key, key ? strlen(key) : 0, &kv->err);
    if (rc) return finish(kv, rc);
    if (!data && len > 0)
        return finish(kv, err_set(&kv->err, SIREN_EINVAL, "key '%s': data is NULL", key));
    if (!kv->ops->put_new)
        return finish(kv, err_set(&kv->err, SIREN_EUNSUPPORTED, "key '%s': the %s backend "
                                  "cannot create an object only if it is absent", key,
                                  kv->ops->scheme));
    kv->stats.puts++;
    struct kv_iov one = {(void *)data, len};
    rc = put_framed(kv, key, &one, 1, len, KV_COMMIT_NEW);
    if (!rc) kv->stats.bytes_in += len;
    return finish(kv, rc);
}

int kv_get(struct kv *kv, const char *key, struct kv_value *out)
{
    out->data = NULL;
    out->len = 0;
    err_clear(&kv->err);
    int rc = kv_key_check(key, key ? strlen(key) : 0, &kv->err);
    if (rc) return finish(kv, rc);
    kv->stats.gets++;
    struct kv_buf buf = {0};
    rc = get_framed(kv, key, &buf, NULL, 0);
    if (rc) {
        kv_buf_free(&buf);
    } else {
        out->data = buf.data; /* the fresh buffer becomes the caller's */
        out->len = buf.len;
        kv->stats.bytes_out += out->len;
    }
    return finish(kv, rc);
}

int kv_get_into(struct kv *kv, const char *key, struct kv_buf *buf)
{
    buf->len = 0;
    err_clear(&kv->err);
    int rc = kv_key_check(key, key ? strlen(key) : 0, &kv->err);
    if (rc) return finish(kv, rc);
    kv->stats.gets++;
    rc = get_framed(kv, key, buf, NULL, 0);
    if (rc)
        buf->len = 0;
    else
        kv->stats.bytes_out += buf->len;
    return finish(kv, rc);
}

int kv_put_iov(struct kv *kv, const char *key, const struct kv_iov *iov, int n)
{
    err_clear(&kv->err);
    int rc = kv_key_check(key, key ? strlen(key) : 0, &kv->err);
    if (rc) return finish(kv, rc);
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        if (!iov[i].base && iov[i].len > 0)
            return finish(kv, err_set(&kv->err, SIREN_EINVAL, "key '%s': piece %d is NULL", key, i));
        len += iov[i].len;
    }
    if (n < 1) return finish(kv, err_set(&kv->err, SIREN_EINVAL, "key '%s': no pieces", key));
    kv->stats.puts++;
    rc = put_framed(kv, key, iov, n, len, KV_COMMIT);
    if (!rc) kv->stats.bytes_in += len;
    return finish(kv, rc);
}

uint8_t *kv_iov_gather(const struct kv_iov *iov, int n, size_t *len)
{
    *len = 0;
    for (int i = 0; i < n; i++) *len += iov[i].len;
    uint8_t *all = malloc(*len ? *len : 1);
    if (!all) return NULL;
    for (size_t at = 0, i = 0; i < (size_t)n; at += iov[i].len, i++)
        if (iov[i].len) memcpy(all + at, iov[i].base, iov[i].len);
    return all;
}

int kv_get_iov(struct kv *kv, const char *key, const struct kv_iov *iov, int n)
{
    err_clear(&kv->err);
    int rc = kv_key_check(key, key ? strlen(key) : 0, &kv->err);
    if (rc) return finish(kv, rc);
    size_t len = 0;
    for (int i = 0; i < n; i++) len += iov[i].len;
    kv->stats.gets++;
    rc = get_framed(kv, key, NULL, iov, n);
    if (!rc) kv->stats.bytes_out += len;
    return finish(kv, rc);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int kv_list(struct kv *kv, const char *prefix, struct kv_keys *out)
{
    out->keys = NULL;
    out->count = 0;
    err_clear(&kv->err);
    if (!prefix) prefix = "";
    int rc = kv_prefix_check(prefix, &kv->err);
    if (rc) return finish(kv, rc);
    kv->stats.lists++;
    rc = kv->ops->list(kv->state, prefix, out, &kv->err);
    if (rc) {
        kv_keys_free(out);
        return finish(kv, rc);
    }
    if (out->count > 1) {
        qsort(out->keys, out->count, sizeof *out->keys, cmp_str);
        size_t w = 1; /* SCAN may return a key twice: keep the first */
        for (size_t i = 1; i < out->count; i++) {
            if (strcmp(out->keys[i], out->keys[w - 1]) == 0)
                free(out->keys[i]);
            else
                out->keys[w++] = out->keys[i];
        }
        out->count = w;
    }
    return finish(kv, SIREN_OK);
}

int kv_delete(struct kv *kv, const char *key)
{
    err_clear(&kv->err);
    int rc = kv_key_check(key, key ? strlen(key) : 0, &kv->err);
    if (rc) return finish(kv, rc);
    kv->stats.deletes++;
    return finish(kv, kv->ops->del(kv->state, key, &kv->err));
}

void kv_value_free(struct kv_value *v)
{
    if (!v) return;
    free(v->data);
    v->data = NULL;
    v->len = 0;
}

void kv_buf_free(struct kv_buf *buf)
{
    if (!buf) return;
    free(buf->data);
    memset(buf, 0, sizeof *buf);
}

int kv_buf_reserve(struct kv_buf *buf, size_t len)
{
    buf->len = 0;
    if (len == SIZE_MAX) return SIREN_ENOMEM;
    if (len + 1 <= buf->cap) return SIREN_OK;
    free(buf->data);
    buf->cap = 0;
    if (!(buf->data = malloc(len + 1))) return SIREN_ENOMEM;
    buf->cap = len + 1;
    return SIREN_OK;
}

void kv_keys_free(struct kv_keys *k)
{
    if (!k) return;
    for (size_t i = 0; i < k->count; i++) free(k->keys[i]);
    free(k->keys);
    k->keys = NULL;
    k->count = 0;
}

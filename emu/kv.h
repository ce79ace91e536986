/*
 * kv: the object store functions talk to (the S3 stand-in). Whole objects addressed by keys;
 * last writer wins; a put is atomic (a reader sees the old or the new object, never a part);
 * a get after a completed put sees that put (read-after-write). Backends are tables of
 * function pointers (struct kv_ops): "file:DIR" and "redis://host:port[/db]" are built in,
 * lambda_port adds "s3://" through kv_register(). Every stored value carries a header with a
 * checksum, so a torn, truncated or foreign object is an error that names the key, never data.
 * A struct kv is not thread-safe: open one per thread. Counters in the kv object record every
 * request and its bytes for the cost model.
 */
#ifndef SIREN_KV_H
#define SIREN_KV_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "kv_hash.h"

/* Keys: 1..KV_KEY_MAX_BYTES bytes from [A-Za-z0-9] and "-_.=+,@", segments separated by '/';
 * no leading or trailing '/', no empty segment, no segment that starts with '.' (so "." and
 * ".." are impossible and the file backend's temporary files can never be keys), and each
 * segment at most KV_KEY_SEGMENT_MAX_BYTES (a file name limit). A key can never name a path
 * outside the store's directory. */
#define KV_KEY_MAX_BYTES 1024
#define KV_KEY_SEGMENT_MAX_BYTES 255

/* The default store of the command line when neither --kv nor $SIREN_KV is given. */
#define KV_DEFAULT_URL "file:.siren/kv"

struct kv; /* opaque; kv_open() / kv_close() */

/* An object read by kv_get(). Caller owns data; release with kv_value_free(). data is never
 * NULL after a successful get (even for 0 bytes) and has a NUL after the last byte, not
 * counted in len, so text objects can be used as strings. */
struct kv_value {
    uint8_t *data;
    size_t len;
};

/* Keys returned by kv_list(): sorted by byte value (strcmp), no duplicates. Caller owns them;
 * release with kv_keys_free(). */
struct kv_keys {
    char **keys;
    size_t count;
};

/* Request counters, for the cost model: one count per request that reached the backend
 * (a get of a missing key is a billed request, as on S3); bytes count payload bytes only
 * (headers excluded) of successful requests. bytes_in: written to the store by puts;
 * bytes_out: read from the store by gets. */
struct kv_stats {
    uint64_t gets;
    uint64_t puts;
    uint64_t lists;
    uint64_t deletes;
    uint64_t bytes_in;
    uint64_t bytes_out;
};

/* A read buffer its caller keeps from one get to the next (a warm function reads objects of
 * the same sizes every step: one buffer spares it the allocation and the page faults of a
 * fresh one each time). After a successful kv_get_into(), data holds the object's len bytes
 * and a NUL after them, as a kv_value does. Zero-initialise; release with kv_buf_free(). */
struct kv_buf {
    uint8_t *data;
    size_t len; /* bytes of the object last read */
    size_t cap; /* bytes allocated at data */
};

/* One piece of an object's payload: len bytes at base (kv_put_iov, kv_get_iov). */
struct kv_iov {
    void *base;
    size_t len;
};

/* One object as a backend holds it: its stored bytes, the KV_FRAME_HEADER_BYTES header then
 * the payload (see framing below), which the backend moves without looking into them. */
struct kv_raw {
    uint64_t len;  /* stored bytes: header + payload */
    uint8_t *data; /* all len bytes in memory, or NULL: they move through read_at / write_at */
    void *handle;  /* the backend's own, from read_open / write_open to read_close / write_end */
};

/* A backend. It stores objects as raw bytes and knows nothing of their framing: kv.c builds
 * the header of every put and checks header and payload of every get (get_into and the iov
 * paths too), so no backend can lose the torn-object guarantee by forgetting a check. Keys and
 * prefixes reaching these functions are already validated. Each function returns SIREN_OK or
 * an error code with the detail in e, naming the key. A backend may be called from several
 * processes at once on the same store and must keep puts atomic across them.
 *
 * A get: read_open finds key (SIREN_ENOTFOUND when it has no object) and sets raw->len, the
 * stored length, raw->handle, and either raw->data (the whole object in memory, such as a
 * server's reply) or, left NULL, read_at serves it: it copies stored bytes [off, off + the
 * pieces' total) into the pieces, all of them or an error (kv.c reads the header first, then
 * the payload in chunks it hashes while they are in cache). read_close releases what
 * read_open holds; kv.c calls it once after every successful read_open.
 *
 * A put: write_open gets raw->len and prepares an object of that many stored bytes, setting
 * raw->handle and either raw->data (a buffer of raw->len bytes for kv.c to fill) or, left NULL,
 * write_at takes the stored bytes at off from the pieces (the payload in chunks first, the
 * header last). A backend that sends objects whole (one SET, one PUT) leaves write_open NULL:
 * kv.c then gathers the object in raw->data, a buffer of its own that it frees after
 * write_end. write_end with commit = 1 makes the object visible under key, atomically (a
 * reader sees the old object or the new one, never a part); with commit = 0 it drops the
 * object and must not fail. Either way it releases what write_open holds; kv.c calls it once
 * per put that got that far.
 *
 * list may return keys unsorted and with duplicates (kv_list sorts and removes them). */
struct kv_ops {
    const char *scheme; /* the URL scheme before ':' ("file", "redis", "s3") */
    int (*open)(const char *url, void **state, struct err *e);
    void (*close)(void *state);
    int (*list)(void *state, const char *prefix, struct kv_keys *out, struct err *e);
    int (*del)(void *state, const char *key, struct err *e);
    int (*read_open)(void *state, const char *key, struct kv_raw *raw, struct err *e);
    /* Only called for an object read_open left without data; NULL when it never does. */
    int (*read_at)(void *state, const char *key, const struct kv_raw *raw, uint64_t off,
                   const struct kv_iov *iov, int n, struct err *e);
    void (*read_close)(void *state, struct kv_raw *raw);
    /* Optional (NULL: kv.c's own buffer). */
    int (*write_open)(void *state, const char *key, struct kv_raw *raw, struct err *e);
    /* Only called for an object write_open left without data; NULL when it never does. */
    int (*write_at)(void *state, const char *key, const struct kv_raw *raw, uint64_t off,
                    const struct kv_iov *iov, int n, struct err *e);
    int (*write_end)(void *state, const char *key, struct kv_raw *raw, int commit,
                     struct err *e);
    /* 1 when write_end also takes commit = KV_COMMIT_NEW: make the object visible only if key
     * has none, atomically against every other put of key (SIREN_EEXISTS, nothing written,
     * otherwise); 0 (the default of a table that does not name it): kv_put_new() is
     * SIREN_EUNSUPPORTED on this backend. */
    int put_new;
};

/* write_end's commit argument. */
enum { KV_COMMIT_DROP = 0, KV_COMMIT = 1, KV_COMMIT_NEW = 2 };

/* Adds a backend for ops->scheme (ops is borrowed and must outlive every kv opened with it).
 * Not thread-safe: call before opening stores. Registering ops again (or a built-in table) is
 * a success that changes nothing. SIREN_EINVAL for an incomplete table or for another table
 * under a taken scheme, SIREN_ELIMIT if the table (16 entries) is full: core.h's registry
 * rule, shared with job_backend_register; a refusal is logged naming the scheme. */
int kv_register(const struct kv_ops *ops) SIREN_WUR;

/* Opens a store: "file:DIR" or a bare path (DIR is created with mode 0755 if missing),
 * "redis://[[user]:password@]host:port[/db]" (connect timeout 2 s, command timeout 30 s; the
 * password, when not in the URL, from $REDISCLI_AUTH), or a registered scheme. Caller owns *out; release with kv_close(). Errors: SIREN_EINVAL (bad URL, unknown
 * scheme), SIREN_EIO (directory missing and not creatable, not a directory, not writable),
 * SIREN_EBACKEND or SIREN_ENETWORK (server down: "redis://127.0.0.1:6390: connection
 * refused"), SIREN_EAUTH (a password refused, or one the server asks for and was not
 * given), SIREN_ENOMEM. */
int kv_open(const char *url, struct kv **out, struct err *e) SIREN_WUR;
/* Closes the store; NULL is ignored. */
void kv_close(struct kv *kv);
/* The URL the store was opened with, its password replaced (kv_url_redact). Borrowed; valid
 * until kv_close(). */
const char *kv_url(const struct kv *kv);

/* A store URL fit for messages, logs and files: the password of "scheme://user:password@..."
 * becomes "***" ("redis://:***@host:6379/2"); a URL without one is copied as it is. Every
 * message of a store names it in this form, so that no password reaches a log or an error.
 * Cut to fit buf. */
void kv_url_redact(const char *url, char *buf, size_t len);
/* The same URL without its password ("redis://user@host:6379/2", or "redis://host:6379/2"
 * for ":password@"), for what is kept to be opened again (a run's run.json): the password
 * then has to come from elsewhere ($REDISCLI_AUTH). Cut to fit buf. */
void kv_url_strip_password(const char *url, char *buf, size_t len);

/* Stores len bytes of data (len may be 0) under key, replacing any previous object. Atomic.
 * Blocks until the object is durable in the backend (file: fsync'ed and renamed).
 * Errors: SIREN_EINVAL (bad key), SIREN_EEXISTS (file backend: a key segment names an
 * existing object, e.g. putting "a/b" while "a" is an object), SIREN_EIO, SIREN_EBACKEND,
 * SIREN_ENETWORK, SIREN_ENOMEM. */
int kv_put(struct kv *kv, const char *key, const void *data, size_t len) SIREN_WUR;
/* kv_put(), but only when key has no object yet: create-if-absent, atomic against every other
 * put of key (file: the written temporary file is hard-linked to the key; redis: SET NX), so
 * that of several processes creating one key exactly one succeeds (an owner record, a lock).
 * Errors: as kv_put(), SIREN_EEXISTS when key has an object (nothing is written), and
 * SIREN_EUNSUPPORTED on a backend without it (struct kv_ops.put_new). */
int kv_put_new(struct kv *kv, const char *key, const void *data, size_t len) SIREN_WUR;
/* Reads the whole object into *out (see struct kv_value for ownership). Errors: SIREN_EINVAL
 * (bad key), SIREN_ENOTFOUND (no such key), SIREN_ECHECKSUM (torn, truncated or corrupt
 * object), SIREN_EFORMAT (not a siren object: foreign file or value), SIREN_EIO,
 * SIREN_EBACKEND, SIREN_ENETWORK, SIREN_ENOMEM. On failure *out is {NULL, 0}. */
int kv_get(struct kv *kv, const char *key, struct kv_value *out) SIREN_WUR;
/* kv_get() into buf, which is grown when the object does not fit and otherwise reused. The
 * previous contents are gone, also on failure (len is then 0). Errors as kv_get(). */
int kv_get_into(struct kv *kv, const char *key, struct kv_buf *buf) SIREN_WUR;
/* kv_put() of the pieces iov[0..n) laid end to end, written from where they are instead of
 * being copied into one buffer first (a function's parameters and optimiser state, straight
 * from the model). n >= 1; a piece may be empty. Errors as kv_put(). */
int kv_put_iov(struct kv *kv, const char *key, const struct kv_iov *iov, int n) SIREN_WUR;
/* Reads an object whose payload is exactly as long as the pieces iov[0..n) together straight
 * into them, checked as kv_get() checks it. SIREN_ERANGE when the payload's length differs
 * (read it with kv_get_into() instead); other errors as kv_get(). On any failure the pieces
 * may hold part of an object. */
int kv_get_iov(struct kv *kv, const char *key, const struct kv_iov *iov, int n) SIREN_WUR;
/* The pieces iov[0..n) laid end to end in one new buffer (free()), their total length in
 * *len; NULL when out of memory. For callers that need the object whole. */
uint8_t *kv_iov_gather(const struct kv_iov *iov, int n, size_t *len);
/* All keys that start with prefix ("" for all), sorted (see struct kv_keys). The prefix
 * follows the key rules except that it may be empty, may end in '/' and its last segment may
 * be partial. Errors: SIREN_EINVAL, SIREN_EIO, SIREN_EBACKEND, SIREN_ENETWORK, SIREN_ENOMEM. */
int kv_list(struct kv *kv, const char *prefix, struct kv_keys *out) SIREN_WUR;
/* Removes the object. Errors: SIREN_EINVAL, SIREN_ENOTFOUND (no such key), SIREN_EIO,
 * SIREN_EBACKEND, SIREN_ENETWORK. */
int kv_delete(struct kv *kv, const char *key) SIREN_WUR;

/* The detail of the last failure on this store ("file:/x: key 'a/b': checksum mismatch
 * (torn or corrupt object)"), or "" after a success. Borrowed; valid until the next call on
 * kv. */
const char *kv_errmsg(const struct kv *kv);
/* The code of the last failure (SIREN_OK after a success). */
int kv_errcode(const struct kv *kv);

/* Counters since open or the last reset. */
void kv_stats_get(const struct kv *kv, struct kv_stats *out);
void kv_stats_reset(struct kv *kv);

void kv_value_free(struct kv_value *v);
/* Releases buf's memory and zeroes it; NULL is ignored. */
void kv_buf_free(struct kv_buf *buf);
/* Makes room for len bytes and a NUL in buf (its contents are not kept: the old block is freed
 * before a larger one is allocated, so nothing is copied). SIREN_ENOMEM. */
int kv_buf_reserve(struct kv_buf *buf, size_t len) SIREN_WUR;
void kv_keys_free(struct kv_keys *k);

/* Checks a key of key_len bytes (an embedded NUL is an error, so keys from sources that carry
 * a length, like JSON or the network, must be checked with their real length). SIREN_EINVAL
 * with the reason in e. */
int kv_key_check(const char *key, size_t key_len, struct err *e) SIREN_WUR;
/* Checks a list prefix (see kv_list). */
int kv_prefix_check(const char *prefix, struct err *e) SIREN_WUR;

/* --------------------------------------------------- framing (kv.c; public for tests and tools) */

/* Every stored value is a 40-byte header followed by the payload:
 *   bytes 0-7   magic "SIRENKV\n"
 *   bytes 8-11  format version (1), little-endian
 *   bytes 12-15 header length (40), little-endian
 *   bytes 16-23 payload length in bytes, little-endian
 *   bytes 24-31 kv_hash64 of the payload, little-endian
 *   bytes 32-39 kv_hash64 of bytes 0-31, little-endian
 * The hash (kv_hash.h) is a 64-bit non-cryptographic hash, not SHA-256: it guards against torn,
 * truncated and foreign objects (a random corruption passes with probability 2^-64), not
 * against an attacker, and it runs at memory speed where SHA-256 would add milliseconds to
 * every 4 MB gradient read and write. */
#define KV_FRAME_HEADER_BYTES 40

/* kv_hash64 of the pieces iov[0..n) laid end to end (kv_hash.c). */
uint64_t kv_hash64_iov(const struct kv_iov *iov, int n);

/* Writes the header for payload (data, len) into hdr. */
void kv_frame_header(const void *data, size_t len, uint8_t hdr[KV_FRAME_HEADER_BYTES]);
/* The same, for a payload of len bytes whose kv_hash64 is already known. */
void kv_frame_header_hashed(size_t len, uint64_t payload_hash,
                            uint8_t hdr[KV_FRAME_HEADER_BYTES]);
/* Checks a header read from a stored value of total_len bytes; on success *payload_len is the
 * payload length. SIREN_EFORMAT (no magic: not a siren object, or an unknown version) or
 * SIREN_ECHECKSUM (header corrupt, or total_len disagrees with it: truncated or torn). The
 * message names key. */
int kv_frame_check_header(const uint8_t *hdr, size_t total_len, const char *key,
                          uint64_t *payload_len, struct err *e) SIREN_WUR;
/* Checks the payload against a checked header: SIREN_ECHECKSUM naming key on mismatch. */
int kv_frame_check_payload(const uint8_t *hdr, const void *payload, size_t len, const char *key,
                           struct err *e) SIREN_WUR;
/* The same, with the payload's kv_hash64 already computed. */
int kv_frame_check_hash(const uint8_t *hdr, uint64_t payload_hash, const char *key,
                        struct err *e) SIREN_WUR;

/* The built-in backends (kv_file.c, kv_redis.c). */
extern const struct kv_ops kv_file_ops;
extern const struct kv_ops kv_redis_ops;

#endif

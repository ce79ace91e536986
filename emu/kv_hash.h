/*
 * kv_hash: the 64-bit checksum every KV object carries in its header (the layout, and why it
 * is not SHA-256, are in kv.h under framing). Its values are part of the stored format: every
 * code path (portable, SSE2, AVX2) computes the same bits on every host, and they never change
 * (tests/kv/test_kv_file.c pins them). Pure functions; no state outside the caller's.
 */
#ifndef SIREN_KV_HASH_H
#define SIREN_KV_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t kv_hash64(const void *data, size_t len);

/* kv_hash64 in pieces, for code that hashes while it reads or writes (the chunk is still in
 * cache): kv_hash_blocks() takes a multiple of KV_HASH_BLOCK_BYTES (other bytes are ignored),
 * kv_hash_final() any number of last bytes. Same result as one kv_hash64() over the whole. */
#define KV_HASH_BLOCK_BYTES 1024
struct kv_hash {
    uint64_t acc[8];
    uint64_t total_bytes;
};
void kv_hash_init(struct kv_hash *h);
void kv_hash_blocks(struct kv_hash *h, const void *data, size_t len);
uint64_t kv_hash_final(struct kv_hash *h, const void *data, size_t len);

/* kv_hash64 of bytes fed in pieces of any lengths (a block that straddles two pieces is
 * gathered in carry, 1 KiB at most per piece). Caller storage; no release needed. */
struct kv_hash_stream {
    struct kv_hash h;
    uint8_t carry[KV_HASH_BLOCK_BYTES];
    size_t held; /* bytes waiting in carry, < KV_HASH_BLOCK_BYTES */
};
void kv_hash_stream_init(struct kv_hash_stream *s);
void kv_hash_stream_update(struct kv_hash_stream *s, const void *data, size_t len);
uint64_t kv_hash_stream_final(struct kv_hash_stream *s);

#endif

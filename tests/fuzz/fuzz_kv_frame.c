/*
 * fuzz_kv_frame: the KV object framing kv.c checks on every get, whatever the backend
 * (kv_frame_check_header, then kv_frame_check_payload). Input: a control byte, then a stored
 * value (40-byte header + payload). Control bit 0 rewrites both checksums to match, so the
 * length and version checks behind them are reached; the hash is also checked in pieces
 * (kv_hash_blocks + kv_hash_final) against one kv_hash64 over the same bytes.
 */
#include "kv.h"
#include "fuzz_util.h"

#include <stdlib.h>
#include <string.h>

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    fuzz_quiet();
    int fix = data[0] & 1;
    size_t len = size - 1;
    /* A heap copy of exactly len bytes, as a backend's read buffer, so over-reads are seen. */
    uint8_t *obj = malloc(len ? len : 1);
    if (!obj) abort();
    memcpy(obj, data + 1, len);
    if (len < KV_FRAME_HEADER_BYTES) {
        /* Backends refuse a value shorter than a header before looking at it: do the same. */
        free(obj);
        return 0;
    }
    const uint8_t *payload = obj + KV_FRAME_HEADER_BYTES;
    size_t plen = len - KV_FRAME_HEADER_BYTES;
    if (fix) {
        put_u64(obj + 24, kv_hash64(payload, plen));
        put_u64(obj + 32, kv_hash64(obj, 32));
    }
    /* Piecewise hashing must equal the one-shot hash, whatever the split. */
    struct kv_hash h;
    kv_hash_init(&h);
    size_t blocks = plen / KV_HASH_BLOCK_BYTES * KV_HASH_BLOCK_BYTES;
    kv_hash_blocks(&h, payload, blocks);
    if (kv_hash_final(&h, payload + blocks, plen - blocks) != kv_hash64(payload, plen)) abort();

    uint64_t want;
    struct err e;
    if (kv_frame_check_header(obj, len, "fuzz/key", &want, &e) == SIREN_OK) {
        /* An accepted header must describe exactly the bytes that follow it. */
        if (want != plen) abort();
        (void)kv_frame_check_payload(obj, payload, plen, "fuzz/key", &e);
    }
    free(obj);
    return 0;
}

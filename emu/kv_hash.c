/*
 * kv_hash: the 64-bit checksum in every KV object's header (see kv_hash.h). Pure functions of
 * their input bytes; the SSE2, AVX2 and portable paths compute the same bits, and the values
 * are pinned by tests/kv/test_kv_file.c, because objects written by older builds carry them.
 */
#include "kv_hash.h"

#include "kv.h" /* struct kv_iov, for kv_hash64_iov */

#include <string.h>

/* kv_hash64: 8 accumulator lanes over 64-byte stripes, each lane adding the 32x32->64-bit
 * product of the halves of (word ^ key) plus its neighbour's raw word, in the style of XXH3
 * (not bit-compatible with it); every 1 KiB the lanes are scrambled (xorshift, odd multiply)
 * so the sum does not stay linear. The 32-bit multiplies map onto SSE2's pmuludq, which keeps
 * the hash near memory speed (a 4 MiB gradient costs well under a millisecond). The SSE2 and
 * the portable paths compute the same bits; loads are little-endian, so headers are portable. */
#define H_P1 0x9E3779B185EBCA87ULL
#define H_P2 0xC2B2AE3D27D4EB4FULL
#define H_P3 0x165667B19E3779F9ULL
#define H_P4 0x85EBCA77C2B2AE63ULL

static const uint64_t hash_keys[8] = {
    0x9E3779B185EBCA87ULL, 0xC2B2AE3D27D4EB4FULL, 0x165667B19E3779F9ULL, 0x85EBCA77C2B2AE63ULL,
    0x27D4EB2F165667C5ULL, 0x94D049BB133111EBULL, 0xBF58476D1CE4E5B9ULL, 0xD6E8FEB86659FD93ULL};

#define HASH_STRIPE_BYTES 64
#define HASH_STRIPES_PER_BLOCK (KV_HASH_BLOCK_BYTES / HASH_STRIPE_BYTES)

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t mix_lane(uint64_t acc, uint64_t word)
{
    acc += word * H_P2;
    acc = rotl64(acc, 31);
    return acc * H_P1;
}

#if defined(__SSE2__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#include <emmintrin.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HASH_HAVE_AVX2 1
/* The SSE2 loop below on 256-bit vectors, for CPUs that have AVX2: lanes 0-3 live in a0 and
 * 4-7 in a1. Every AVX2 operation used works on each 128-bit half exactly as its SSE2 twin
 * does on a whole vector, so both compute the same bits at up to twice the speed (objects are
 * hashed on every put and get: a warm function's parameter reads and writes). */
__attribute__((target("avx2"))) static void hash_stripes_avx2(uint64_t acc[8], const uint8_t *p,
                                                              size_t n)
{
    __m256i a0 = _mm256_loadu_si256((const __m256i *)acc);
    __m256i a1 = _mm256_loadu_si256((const __m256i *)(acc + 4));
    const __m256i k0 = _mm256_loadu_si256((const __m256i *)hash_keys);
    const __m256i k1 = _mm256_loadu_si256((const __m256i *)(hash_keys + 4));
    for (size_t s = 0; s < n; s++, p += HASH_STRIPE_BYTES) {
        __m256i d0 = _mm256_loadu_si256((const __m256i *)p);
        __m256i d1 = _mm256_loadu_si256((const __m256i *)(p + 32));
        __m256i dk0 = _mm256_xor_si256(d0, k0), dk1 = _mm256_xor_si256(d1, k1);
        __m256i p0 = _mm256_mul_epu32(dk0, _mm256_shuffle_epi32(dk0, _MM_SHUFFLE(2, 3, 0, 1)));
        __m256i p1 = _mm256_mul_epu32(dk1, _mm256_shuffle_epi32(dk1, _MM_SHUFFLE(2, 3, 0, 1)));
        a0 = _mm256_add_epi64(a0, _mm256_add_epi64(p0, _mm256_shuffle_epi32(d0, _MM_SHUFFLE(1, 0, 3, 2))));
        a1 = _mm256_add_epi64(a1, _mm256_add_epi64(p1, _mm256_shuffle_epi32(d1, _MM_SHUFFLE(1, 0, 3, 2))));
    }
    _mm256_storeu_si256((__m256i *)acc, a0);
    _mm256_storeu_si256((__m256i *)(acc + 4), a1);
}
#endif
/* n stripes of 64 bytes into acc[8]; lanes (2v, 2v+1) live in vector v. */
static void hash_stripes(uint64_t acc[8], const uint8_t *p, size_t n)
{
#ifdef HASH_HAVE_AVX2
    if (__builtin_cpu_supports("avx2")) {
        hash_stripes_avx2(acc, p, n);
        return;
    }
#endif
    __m128i a[4], k[4];
    for (int v = 0; v < 4; v++) {
        a[v] = _mm_loadu_si128((const __m128i *)(acc + 2 * v));
        k[v] = _mm_loadu_si128((const __m128i *)(hash_keys + 2 * v));
    }
    for (size_t s = 0; s < n; s++, p += HASH_STRIPE_BYTES) {
        for (int v = 0; v < 4; v++) {
            __m128i d = _mm_loadu_si128((const __m128i *)(p + 16 * v));
            __m128i dk = _mm_xor_si128(d, k[v]);
            __m128i hi = _mm_shuffle_epi32(dk, _MM_SHUFFLE(2, 3, 0, 1));
            __m128i prod = _mm_mul_epu32(dk, hi);
            __m128i swapped = _mm_shuffle_epi32(d, _MM_SHUFFLE(1, 0, 3, 2));
            a[v] = _mm_add_epi64(a[v], _mm_add_epi64(prod, swapped));
        }
    }
    for (int v = 0; v < 4; v++) _mm_storeu_si128((__m128i *)(acc + 2 * v), a[v]);
}
#else
static void hash_stripes(uint64_t acc[8], const uint8_t *p, size_t n)
{
    for (size_t s = 0; s < n; s++, p += HASH_STRIPE_BYTES) {
        uint64_t w[8];
        for (int j = 0; j < 8; j++) w[j] = load_le64(p + 8 * j);
        for (int j = 0; j < 8; j++) {
            uint64_t k = w[j] ^ hash_keys[j];
            acc[j] += (k & 0xffffffffu) * (k >> 32) + w[j ^ 1];
        }
    }
}
#endif

void kv_hash_init(struct kv_hash *h)
{
    for (int j = 0; j < 8; j++) h->acc[j] = hash_keys[(j + 3) & 7];
    h->total_bytes = 0;
}

void kv_hash_blocks(struct kv_hash *h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t left = len; left >= KV_HASH_BLOCK_BYTES; left -= KV_HASH_BLOCK_BYTES) {
        hash_stripes(h->acc, p, HASH_STRIPES_PER_BLOCK);
        for (int j = 0; j < 8; j++) { /* scramble: bijective, breaks linearity */
            h->acc[j] ^= h->acc[j] >> 47;
            h->acc[j] *= H_P1;
        }
        p += KV_HASH_BLOCK_BYTES;
        h->total_bytes += KV_HASH_BLOCK_BYTES;
    }
}

uint64_t kv_hash_final(struct kv_hash *h, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t whole = len - len % KV_HASH_BLOCK_BYTES;
    kv_hash_blocks(h, p, whole);
    p += whole;
    size_t left = len - whole;
    h->total_bytes += left;
    size_t stripes = left / HASH_STRIPE_BYTES;
    hash_stripes(h->acc, p, stripes);
    p += stripes * HASH_STRIPE_BYTES;
    left -= stripes * HASH_STRIPE_BYTES;
    uint64_t x = h->total_bytes * H_P1;
    for (int j = 0; j < 8; j++) x = rotl64(x ^ mix_lane(0, h->acc[j]), 27) * H_P1 + H_P4;
    while (left >= 8) {
        x ^= mix_lane(0, load_le64(p));
        x = rotl64(x, 27) * H_P1 + H_P4;
        p += 8;
        left -= 8;
    }
    while (left > 0) {
        x ^= (uint64_t)*p * H_P3;
        x = rotl64(x, 11) * H_P1;
        p++;
        left--;
    }
    /* Final avalanche: every input bit affects every output bit. */
    x ^= x >> 33;
    x *= H_P2;
    x ^= x >> 29;
    x *= H_P3;
    x ^= x >> 32;
    return x;
}

uint64_t kv_hash64(const void *data, size_t len)
{
    struct kv_hash h;
    kv_hash_init(&h);
    return kv_hash_final(&h, data, len);
}

void kv_hash_stream_init(struct kv_hash_stream *s)
{
    kv_hash_init(&s->h);
    s->held = 0;
}

void kv_hash_stream_update(struct kv_hash_stream *s, const void *data, size_t len)
{
    /* Whole blocks straight from data; a block that straddles two calls is gathered into
     * carry first, so the result is kv_hash64 of everything fed, laid end to end. */
    const uint8_t *p = data;
    if (len == 0) return; /* an empty piece may have no address at all */
    if (s->held > 0) {
        size_t take = KV_HASH_BLOCK_BYTES - s->held < len ? KV_HASH_BLOCK_BYTES - s->held : len;
        memcpy(s->carry + s->held, p, take);
        s->held += take;
        p += take;
        len -= take;
        if (s->held < KV_HASH_BLOCK_BYTES) return;
        kv_hash_blocks(&s->h, s->carry, KV_HASH_BLOCK_BYTES);
        s->held = 0;
    }
    size_t whole = len - len % KV_HASH_BLOCK_BYTES;
    kv_hash_blocks(&s->h, p, whole);
    memcpy(s->carry, p + whole, len - whole);
    s->held = len - whole;
}

uint64_t kv_hash_stream_final(struct kv_hash_stream *s)
{
    return kv_hash_final(&s->h, s->carry, s->held);
}

uint64_t kv_hash64_iov(const struct kv_iov *iov, int n)
{
    struct kv_hash_stream s;
    kv_hash_stream_init(&s);
    for (int i = 0; i < n; i++) kv_hash_stream_update(&s, iov[i].base, iov[i].len);
    return kv_hash_stream_final(&s);
}

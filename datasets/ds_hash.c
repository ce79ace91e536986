/*
 * The hashes of the sparse readers and generators (ds_internal.h): a file of its own, so that
 * code which only hashes (lr-criteo's generator, run inside the function runtime) does not
 * pull in the readers and, through them, the fetch and HDF5 libraries.
 */
#include "ds_internal.h"

#include <string.h>

uint64_t ds_hash64(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 offset basis */
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull; /* FNV-1a 64 prime */
    }
    return ds_mix64(h);
}

uint32_t ds_criteo_feature(int field, const char *value, size_t len, int hash_bits)
{
    char key[80];
    if (len > sizeof key - 1) len = sizeof key - 1;
    key[0] = (char)field;
    memcpy(key + 1, value, len);
    return (uint32_t)(ds_hash64(key, len + 1) & ((1ull << hash_bits) - 1));
}

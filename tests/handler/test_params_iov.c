/*
 * Parameter objects in pieces (shard.h: params_iov, params_iov_took), as the training handler
 * writes and reads them without a copy through one buffer: the pieces hold exactly the bytes
 * params_encode makes, and reading an object into them gives the parameters and optimiser
 * state params_decode would give; any object they cannot take whole is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "shard.h"

enum { N = 1000 };

static void fill(float *x, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++) x[i] = scale * (float)((i * 37) % 101) - 3.0f;
}

/* The pieces laid end to end, in a malloc'ed buffer of *len bytes. */
static uint8_t *join(const struct kv_iov *iov, int n, size_t *len)
{
    *len = 0;
    for (int i = 0; i < n; i++) *len += iov[i].len;
    uint8_t *all = malloc(*len), *at = all;
    assert_non_null(all);
    for (int i = 0; i < n; i++) {
        memcpy(at, iov[i].base, iov[i].len);
        at += iov[i].len;
    }
    return all;
}

static void optim(struct kn_optim *o, enum kn_optim_kind kind, float momentum)
{
    struct kn_optim_config c = kn_optim_config_default(kind);
    c.momentum = momentum;
    struct err e;
    assert_int_equal(kn_optim_init(o, &c, N, &e), SIREN_OK);
}

static void test_params_iov_pieces_are_the_encoded_object(void **state)
{
    (void)state;
    float params[N];
    fill(params, N, 0.5f);
    struct kn_optim o;
    optim(&o, KN_OPTIM_ADAM, 0.0f);
    fill(o.m, N, 0.25f);
    fill(o.v, N, 0.125f);
    o.t = 41;
    uint8_t hdr[PARAMS_HEADER_BYTES], *enc = NULL;
    struct kv_iov iov[PARAMS_IOV_MAX];
    int n = params_iov(params, N, &o, hdr, iov);
    assert_int_equal(n, 4);
    size_t len, enc_len;
    uint8_t *all = join(iov, n, &len);
    struct err e;
    assert_int_equal(params_encode(params, N, &o, &enc, &enc_len, &e), SIREN_OK);
    assert_int_equal(len, enc_len);
    assert_memory_equal(all, enc, len);
    /* Without optimiser state: header and parameters only, as params_encode(.., NULL). */
    free(enc);
    free(all);
    assert_int_equal(params_iov(params, N, NULL, hdr, iov), 2);
    all = join(iov, 2, &len);
    assert_int_equal(params_encode(params, N, NULL, &enc, &enc_len, &e), SIREN_OK);
    assert_int_equal(len, enc_len);
    assert_memory_equal(all, enc, len);
    free(enc);
    free(all);
    kn_optim_free(&o);
}

static void test_params_iov_took_reads_what_params_decode_reads(void **state)
{
    (void)state;
    float params[N], got[N];
    fill(params, N, 0.5f);
    struct kn_optim o, into;
    optim(&o, KN_OPTIM_ADAM, 0.0f);
    optim(&into, KN_OPTIM_ADAM, 0.0f);
    fill(o.m, N, 0.25f);
    fill(o.v, N, 0.125f);
    o.t = 41;
    uint8_t hdr[PARAMS_HEADER_BYTES], in_hdr[PARAMS_HEADER_BYTES];
    struct kv_iov iov[PARAMS_IOV_MAX], in_iov[PARAMS_IOV_MAX];
    int n = params_iov(params, N, &o, hdr, iov);
    size_t len;
    uint8_t *obj = join(iov, n, &len);
    /* "Read" the object into the pieces of another model, as kv_get_iov does. */
    int m = params_iov(got, N, &into, in_hdr, in_iov);
    assert_int_equal(m, n);
    for (int i = 0, at = 0; i < m; at += (int)in_iov[i].len, i++)
        memcpy(in_iov[i].base, obj + at, in_iov[i].len);
    assert_int_equal(params_iov_took(in_hdr, N, &into), 1);
    assert_memory_equal(got, params, sizeof params);
    assert_memory_equal(into.m, o.m, N * sizeof(float));
    assert_memory_equal(into.v, o.v, N * sizeof(float));
    assert_int_equal(into.t, 41);
    free(obj);
    kn_optim_free(&into);

    /* Objects the pieces cannot take whole: another parameter count, another kind of state,
     * a foreign magic. Each is for params_decode, which zeroes or rejects as it must. */
    uint8_t bad[PARAMS_HEADER_BYTES];
    optim(&into, KN_OPTIM_ADAM, 0.0f);
    assert_int_equal(params_iov_took(hdr, N + 1, &into), 0);
    struct kn_optim mom;
    optim(&mom, KN_OPTIM_SGD, 0.9f);
    assert_int_equal(params_iov_took(hdr, N, &mom), 0);
    memcpy(bad, hdr, sizeof bad);
    bad[0] ^= 1;
    assert_int_equal(params_iov_took(bad, N, &into), 0);
    /* Parameters only: taken whole by a reader that keeps no state. */
    params_iov(params, N, NULL, bad, iov);
    assert_int_equal(params_iov_took(bad, N, NULL), 1);
    kn_optim_free(&mom);
    kn_optim_free(&into);
    kn_optim_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_iov_pieces_are_the_encoded_object),
        cmocka_unit_test(test_params_iov_took_reads_what_params_decode_reads),
    };
    return cmocka_run_group_tests_name("parameter objects in pieces", tests, NULL, NULL);
}

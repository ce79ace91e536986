/*
 * --rows N by augmentation: the first base rows are the real ones, every other row is fixed by
 * (seed, row) whatever slice makes it, an image row is its real row shifted by at most two
 * pixels (and mirrored, for Fashion-MNIST only) with its label, a sentence keeps its label and
 * a valid length, fewer rows are a seeded sample, and impossible requests are refused with
 * the reason. Fixtures are built in memory; the real MNIST split is used when it is prepared.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datasets.h"
#include "testutil.h"

#define SIDE 28
#define PX (SIDE * SIDE)
#define SEQ 16

/* `rows` images of 1x28x28 named `name`: a pattern inside [6, 22) x [6, 22) (so a shift of
 * two pixels loses none of it), zero around it; labels row % 10. */
static void make_images(struct ds_data *d, const char *name, size_t rows)
{
    memset(d, 0, sizeof *d);
    d->layout = DS_IMAGES_U8;
    d->rows = rows;
    d->classes = 10;
    d->channels = 1;
    d->height = d->width = SIDE;
    d->pixels = calloc(rows * PX, 1);
    d->labels = malloc(rows * sizeof *d->labels);
    assert_non_null(d->pixels);
    assert_non_null(d->labels);
    for (size_t i = 0; i < rows; i++) {
        uint8_t blob[16 * 16];
        tu_fill_pattern(blob, sizeof blob, i + 1);
        for (int y = 0; y < 16; y++)
            memcpy(d->pixels + i * PX + (size_t)(6 + y) * SIDE + 6, blob + y * 16, 16);
        d->labels[i] = (int32_t)(i % 10);
    }
    snprintf(d->name, sizeof d->name, "%s", name);
    snprintf(d->split, sizeof d->split, "train");
}

/* `rows` sentences of ids 2..49 (vocabulary of 50 words), row i of length 1 + (i * 5) % 15,
 * padded with 0 to 16; labels row % 2. */
static void make_sentences(struct ds_data *d, size_t rows)
{
    memset(d, 0, sizeof *d);
    d->layout = DS_TOKENS_I32;
    d->rows = rows;
    d->classes = 2;
    d->seq_len = SEQ;
    d->vocab_size = 50;
    d->tokens = calloc(rows * SEQ, sizeof *d->tokens);
    d->labels = malloc(rows * sizeof *d->labels);
    d->vocab = calloc(50, sizeof *d->vocab);
    assert_non_null(d->tokens);
    assert_non_null(d->labels);
    assert_non_null(d->vocab);
    for (int i = 0; i < 50; i++) assert_true(asprintf(&d->vocab[i], "w%d", i) > 0);
    for (size_t i = 0; i < rows; i++) {
        size_t len = 1 + (i * 5) % 15;
        for (size_t t = 0; t < len; t++) d->tokens[i * SEQ + t] = (int32_t)(2 + (i * 7 + t * 3) % 48);
        d->labels[i] = (int32_t)(i % 2);
    }
    snprintf(d->name, sizeof d->name, "polarity");
    snprintf(d->split, sizeof d->split, "train");
}

static void make(const struct ds_data *base, size_t rows, uint64_t seed, struct ds_data *out)
{
    struct ds_augment_opts o = {.rows = rows, .seed = seed};
    struct err e;
    if (ds_augment_make(base, &o, out, &e)) fail_msg("%s", e.msg);
    assert_int_equal(out->rows, rows);
    if (ds_data_check(out, "augmented", &e)) fail_msg("%s", e.msg);
}

static size_t row_bytes(const struct ds_data *d)
{
    return d->layout == DS_IMAGES_U8 ? PX : SEQ * sizeof(int32_t);
}

static const void *row_at(const struct ds_data *d, size_t i)
{
    return d->layout == DS_IMAGES_U8 ? (const void *)(d->pixels + i * PX)
                                     : (const void *)(d->tokens + i * SEQ);
}

static void test_ds_augment_rows_below_base_are_the_real_rows(void **state)
{
    (void)state;
    struct ds_data bases[2], out;
    make_images(&bases[0], "fashion-mnist", 7);
    make_sentences(&bases[1], 9);
    for (int k = 0; k < 2; k++) {
        const struct ds_data *b = &bases[k];
        make(b, 5 * b->rows, 3, &out);
        assert_memory_equal(out.labels, b->labels, b->rows * sizeof *b->labels);
        assert_memory_equal(row_at(&out, 0), row_at(b, 0), b->rows * row_bytes(b));
        /* Every row's label is its real row's. */
        for (size_t g = 0; g < out.rows; g++)
            assert_int_equal(out.labels[g], b->labels[g % b->rows]);
        if (k == 1) {
            assert_int_equal(out.vocab_size, 50);
            assert_string_equal(out.vocab[49], "w49");
        }
        ds_data_free(&out);
        ds_data_free(&bases[k]);
    }
}

static void test_ds_augment_is_deterministic_for_a_seed_and_differs_between_seeds(void **state)
{
    (void)state;
    struct ds_data bases[2];
    make_images(&bases[0], "mnist", 6);
    make_sentences(&bases[1], 10);
    for (int k = 0; k < 2; k++) {
        const struct ds_data *b = &bases[k];
        struct ds_data x, y, z;
        make(b, 8 * b->rows, 11, &x);
        make(b, 8 * b->rows, 11, &y);
        make(b, 8 * b->rows, 12, &z);
        size_t rb = row_bytes(b);
        assert_memory_equal(row_at(&x, 0), row_at(&y, 0), x.rows * rb);
        assert_memory_equal(x.labels, y.labels, x.rows * sizeof *x.labels);
        /* Another seed: the same real rows, other augmented ones. */
        assert_memory_equal(row_at(&x, 0), row_at(&z, 0), b->rows * rb);
        size_t differ = 0;
        for (size_t g = b->rows; g < x.rows; g++)
            differ += memcmp(row_at(&x, g), row_at(&z, g), rb) != 0;
        assert_true(differ > (x.rows - b->rows) / 2);
        ds_data_free(&x), ds_data_free(&y), ds_data_free(&z);
        ds_data_free(&bases[k]);
    }
}

static void test_ds_augment_a_slice_equals_the_same_rows_of_the_whole(void **state)
{
    (void)state;
    struct ds_data bases[2];
    make_images(&bases[0], "fashion-mnist", 5);
    make_sentences(&bases[1], 5);
    for (int k = 0; k < 2; k++) {
        const struct ds_data *b = &bases[k];
        struct ds_data whole, longer, slice;
        make(b, 40, 5, &whole);
        make(b, 80, 5, &longer); /* a row does not depend on N either */
        struct ds_augment_opts o = {.rows = 40, .seed = 5, .first_row = 3, .count = 30};
        struct err e;
        if (ds_augment_make(b, &o, &slice, &e)) fail_msg("%s", e.msg);
        assert_int_equal(slice.rows, 30);
        size_t rb = row_bytes(b);
        assert_memory_equal(row_at(&slice, 0), row_at(&whole, 3), 30 * rb);
        assert_memory_equal(slice.labels, whole.labels + 3, 30 * sizeof *slice.labels);
        assert_memory_equal(row_at(&longer, 0), row_at(&whole, 0), 40 * rb);
        ds_data_free(&whole), ds_data_free(&longer), ds_data_free(&slice);
        ds_data_free(&bases[k]);
    }
}

/* The transform (dx, dy, flip) that makes `aug` from `src`, or 0 when none of the 25 shifts
 * (times a flip when `flips`) does. */
static int find_transform(const uint8_t *src, const uint8_t *aug, int flips, int *dx_out,
                          int *dy_out, int *flip_out)
{
    for (int flip = 0; flip <= flips; flip++)
        for (int dy = -2; dy <= 2; dy++)
            for (int dx = -2; dx <= 2; dx++) {
                int ok = 1;
                for (int y = 0; y < SIDE && ok; y++)
                    for (int x = 0; x < SIDE && ok; x++) {
                        int sy = y - dy, sx = x - dx;
                        if (flip) sx = SIDE - 1 - sx;
                        uint8_t want = sy >= 0 && sy < SIDE && sx >= 0 && sx < SIDE
                                           ? src[sy * SIDE + sx] : 0;
                        ok = aug[y * SIDE + x] == want;
                    }
                if (ok) {
                    *dx_out = dx, *dy_out = dy, *flip_out = flip;
                    return 1;
                }
            }
    return 0;
}

static long mass(const uint8_t *p)
{
    long m = 0;
    for (int i = 0; i < PX; i++) m += p[i];
    return m;
}

/* Every augmented image is its real row shifted by at most two pixels each way, mirrored
 * about half the time for Fashion-MNIST and never for digits; the shifts cover the 5 x 5
 * square, the label is kept, and a pattern two pixels from every edge keeps its whole mass. */
static void test_ds_augment_images_are_shifted_real_rows_with_their_label(void **state)
{
    (void)state;
    const char *names[] = {"fashion-mnist", "mnist"};
    for (int k = 0; k < 2; k++) {
        struct ds_data b, out;
        make_images(&b, names[k], 5);
        make(&b, 1000, 9, &out);
        int flips = 0, seen[5][5] = {{0}};
        for (size_t g = b.rows; g < out.rows; g++) {
            const uint8_t *src = b.pixels + (g % b.rows) * PX, *aug = out.pixels + g * PX;
            int dx = 0, dy = 0, flip = 0;
            if (!find_transform(src, aug, k == 0, &dx, &dy, &flip))
                fail_msg("%s row %zu is no shift%s of row %zu", names[k], g,
                         k == 0 ? " or mirror" : "", g % b.rows);
            flips += flip;
            seen[dy + 2][dx + 2] = 1;
            assert_int_equal(mass(aug), mass(src));
            assert_int_equal(out.labels[g], b.labels[g % b.rows]);
        }
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 5; x++) assert_true(seen[y][x]);
        if (k == 0) assert_true(flips > 400 && flips < 595); /* 995 rows, p = 1/2 */
        else assert_int_equal(flips, 0);
        ds_data_free(&out);
        ds_data_free(&b);
    }
}

/* The real MNIST training split, when it is prepared: shifted digits keep their label and at
 * most their mass, and as digits sit in a 20x20 box near the middle, nearly all keep it
 * whole. */
static void test_ds_augment_real_mnist_digits_keep_their_mass(void **state)
{
    (void)state;
    char path[4096];
    ds_split_path("mnist", "train", path, sizeof path);
    if (access(path, R_OK) != 0) skip();
    struct ds_data b, out;
    struct err e;
    if (ds_load("mnist", "train", &b, &e)) fail_msg("%s", e.msg);
    struct ds_augment_opts o = {.rows = 2 * b.rows, .seed = 1, .first_row = b.rows,
                                .count = 20000};
    if (ds_augment_make(&b, &o, &out, &e)) fail_msg("%s", e.msg);
    size_t whole = 0;
    double kept = 0, had = 0;
    for (size_t i = 0; i < out.rows; i++) {
        const uint8_t *src = b.pixels + ((b.rows + i) % b.rows) * PX;
        long m = mass(out.pixels + i * PX), ms = mass(src);
        assert_true(m <= ms);
        whole += m == ms;
        kept += (double)m;
        had += (double)ms;
        assert_int_equal(out.labels[i], b.labels[(b.rows + i) % b.rows]);
    }
    /* Measured: 97.3% of the rows keep all of it, and 99.95% of the ink is kept. */
    assert_true(whole >= out.rows * 95 / 100);
    assert_true(kept >= 0.999 * had);
    ds_data_free(&out);
    ds_data_free(&b);
}

/* Sum of counts of each id in tokens[0..n). */
static void count_ids(const int32_t *t, int n, int counts[50])
{
    memset(counts, 0, 50 * sizeof *counts);
    for (int i = 0; i < n; i++) counts[t[i]]++;
}

static int length_of(const int32_t *t)
{
    int n = SEQ;
    while (n > 0 && t[n - 1] == 0) n--;
    return n;
}

/* An augmented sentence keeps its label, has 1..n tokens followed only by padding, takes its
 * tokens from the real sentence (none new, none twice as often), and differs from it by at
 * most one adjacent swap when nothing was dropped; about one token in ten is dropped. */
static void test_ds_augment_sentences_keep_label_and_a_valid_length(void **state)
{
    (void)state;
    struct ds_data b, out;
    make_sentences(&b, 15);
    make(&b, 15 * 400, 21, &out);
    long tokens_in = 0, tokens_out = 0, swapped = 0;
    for (size_t g = b.rows; g < out.rows; g++) {
        const int32_t *src = b.tokens + (g % b.rows) * SEQ, *aug = out.tokens + g * SEQ;
        int n = length_of(src), m = length_of(aug);
        assert_int_equal(out.labels[g], b.labels[g % b.rows]);
        assert_true(m >= 1 && m <= n);
        for (int i = 0; i < m; i++) assert_true(aug[i] >= 2 && aug[i] < 50); /* no padding inside */
        int cs[50], ca[50];
        count_ids(src, n, cs);
        count_ids(aug, m, ca);
        for (int id = 0; id < 50; id++) assert_true(ca[id] <= cs[id]);
        if (m == n) {
            int diff = 0, first = -1;
            for (int i = 0; i < n; i++)
                if (aug[i] != src[i]) diff++, first = first < 0 ? i : first;
            assert_true(diff == 0 || (diff == 2 && aug[first] == src[first + 1] &&
                                      aug[first + 1] == src[first]));
            swapped += diff == 2;
        }
        tokens_in += n;
        tokens_out += m;
    }
    double dropped = 1.0 - (double)tokens_out / (double)tokens_in;
    assert_true(dropped > 0.08 && dropped < 0.12);
    assert_true(swapped > 0);
    ds_data_free(&out);
    ds_data_free(&b);
}

/* Fewer rows than the real ones: a seeded sample without repeats, unaltered, the same first
 * rows for every N, another sample for another seed. */
static void test_ds_augment_fewer_rows_are_a_seeded_sample(void **state)
{
    (void)state;
    struct ds_data b, x, y, z;
    make_images(&b, "fashion-mnist", 200);
    make(&b, 50, 4, &x);
    make(&b, 120, 4, &y);
    make(&b, 50, 5, &z);
    int used[200] = {0};
    size_t same_as_other_seed = 0;
    for (size_t i = 0; i < x.rows; i++) {
        size_t j = 0;
        while (j < b.rows && memcmp(x.pixels + i * PX, b.pixels + j * PX, PX)) j++;
        assert_true(j < b.rows);
        assert_int_equal(used[j]++, 0);
        assert_int_equal(x.labels[i], b.labels[j]);
        same_as_other_seed += !memcmp(x.pixels + i * PX, z.pixels + i * PX, PX);
    }
    assert_memory_equal(x.pixels, y.pixels, 50 * PX);
    assert_true(same_as_other_seed < 10);
    ds_data_free(&x), ds_data_free(&y), ds_data_free(&z);
    ds_data_free(&b);
}

static void test_ds_augment_resize_replaces_the_split_and_keeps_it_on_error(void **state)
{
    (void)state;
    struct ds_data d;
    struct err e;
    make_sentences(&d, 12);
    const int32_t *before = d.tokens;
    assert_int_equal(ds_augment_resize(&d, 12, 1, &e), SIREN_OK); /* the same count: kept */
    assert_ptr_equal(d.tokens, before);
    assert_int_equal(ds_augment_resize(&d, (size_t)DS_AUGMENT_MAX_ROWS + 1, 1, &e), SIREN_EINVAL);
    assert_ptr_equal(d.tokens, before);
    assert_int_equal(d.rows, 12);
    assert_int_equal(ds_augment_resize(&d, 36, 1, &e), SIREN_OK);
    assert_int_equal(d.rows, 36);
    assert_non_null(d.vocab);
    assert_string_equal(d.vocab[1], "w1");
    if (ds_data_check(&d, "resized", &e)) fail_msg("%s", e.msg);
    ds_data_free(&d);
}

/* Impossible requests are refused before anything is allocated, with the reason: sparse rows,
 * no rows, more rows than 32-bit ids, a slice outside the split, and more bytes than the
 * machine has (the message names the rows and bytes). */
static void test_ds_augment_refuses_impossible_requests(void **state)
{
    (void)state;
    struct ds_data img, out, sparse;
    struct err e;
    make_images(&img, "mnist", 4);
    struct ds_synthetic_opts so = {.rows = 100, .hash_bits = 10, .seed = 1};
    assert_int_equal(ds_synthetic_make(&so, &sparse, &e), SIREN_OK);

    struct ds_augment_opts o = {.rows = 200, .seed = 1};
    assert_int_equal(ds_augment_make(&sparse, &o, &out, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "no augmentation"));
    assert_int_equal(out.rows, 0);
    assert_null(out.labels);
    o.rows = 0;
    assert_int_equal(ds_augment_make(&img, &o, &out, &e), SIREN_EINVAL);
    o.rows = (size_t)DS_AUGMENT_MAX_ROWS + 1;
    assert_int_equal(ds_augment_make(&img, &o, &out, &e), SIREN_EINVAL);
    assert_non_null(strstr(e.msg, "32-bit"));
    o.rows = 10, o.first_row = 10;
    assert_int_equal(ds_augment_make(&img, &o, &out, &e), SIREN_EINVAL);
    o.first_row = 4, o.count = 7;
    assert_int_equal(ds_augment_make(&img, &o, &out, &e), SIREN_EINVAL);
    /* 4e9 rows of 788 bytes: 3.2 TB. */
    o = (struct ds_augment_opts){.rows = 4000000000u, .seed = 1};
    assert_int_equal(ds_augment_row_bytes(&img), 788);
    assert_int_equal(ds_augment_make(&img, &o, &out, &e), SIREN_ENOMEM);
    assert_non_null(strstr(e.msg, "4000000000 rows x 788 bytes = 3152000000000 bytes"));
    assert_null(out.pixels);
    ds_data_free(&sparse);
    ds_data_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ds_augment_rows_below_base_are_the_real_rows),
        cmocka_unit_test(test_ds_augment_is_deterministic_for_a_seed_and_differs_between_seeds),
        cmocka_unit_test(test_ds_augment_a_slice_equals_the_same_rows_of_the_whole),
        cmocka_unit_test(test_ds_augment_images_are_shifted_real_rows_with_their_label),
        cmocka_unit_test(test_ds_augment_real_mnist_digits_keep_their_mass),
        cmocka_unit_test(test_ds_augment_sentences_keep_label_and_a_valid_length),
        cmocka_unit_test(test_ds_augment_fewer_rows_are_a_seeded_sample),
        cmocka_unit_test(test_ds_augment_resize_replaces_the_split_and_keeps_it_on_error),
        cmocka_unit_test(test_ds_augment_refuses_impossible_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

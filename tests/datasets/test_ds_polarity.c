/*
 * Polarity reader: the tokeniser keeps cp1252 bytes inside words, the vocabulary comes from
 * the train split only (test-only words are unknown, id 1), rows are padded and truncated,
 * and the seeded split is fixed. The real files, where present, give 10,662 sentences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>

#include "datasets.h"
#include "testutil.h"

static void test_ds_polarity_tokeniser_keeps_high_bytes_in_words(void **state)
{
    (void)state;
    const char line[] = "a caf\xe9 \x97 end  \t x\n next line";
    assert_int_equal(ds_polarity_count_tokens(line, sizeof line - 1), 5);
    assert_int_equal(ds_polarity_count_tokens("   ", 3), 0);
}

static int find_word(const struct ds_data *d, const char *w)
{
    for (int i = 0; i < d->vocab_size; i++)
        if (!strcmp(d->vocab[i], w)) return i;
    return -1;
}

static void test_ds_polarity_vocab_from_train_only_and_padding(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *pos = tu_path(dir, "rt-polarity.pos"), *neg = tu_path(dir, "rt-polarity.neg");
    /* 10 lines each; "good" and "bad" everywhere, one unique word per line. */
    char text[2][2048];
    size_t len[2] = {0, 0};
    for (int f = 0; f < 2; f++)
        for (int i = 0; i < 10; i++)
            len[f] += (size_t)snprintf(text[f] + len[f], sizeof text[f] - len[f],
                                       "%s w%c%d caf\xe9 one two three four five six seven \n",
                                       f ? "bad" : "good", f ? 'n' : 'p', i);
    assert_int_equal(tu_write_file(pos, text[0], len[0]), 0);
    assert_int_equal(tu_write_file(neg, text[1], len[1]), 0);
    struct ds_polarity_opts o = {6, 7, 100};
    struct ds_data tr, te;
    struct err e;
    assert_int_equal(ds_polarity_read(pos, neg, &o, &tr, &te, &e), SIREN_OK);
    assert_int_equal(tr.rows, 18);
    assert_int_equal(te.rows, 2);
    assert_int_equal(tr.layout, DS_TOKENS_I32);
    assert_int_equal(tr.seq_len, 6);
    assert_int_equal(tr.classes, 2);
    assert_string_equal(tr.vocab[0], "<pad>");
    assert_string_equal(tr.vocab[1], "<unk>");
    assert_int_equal(te.vocab_size, tr.vocab_size);
    /* 2 special + good/bad + caf\xe9 + one..seven (7) + 18 unique train words. */
    assert_int_equal(tr.vocab_size, 2 + 2 + 1 + 7 + 18);
    int cafe = find_word(&tr, "caf\xe9");
    assert_true(cafe >= 2);
    /* The most frequent words come first: caf\xe9 and one..seven appear in all 18 rows. */
    assert_true(cafe < 10);
    for (size_t r = 0; r < te.rows; r++) {
        const int32_t *t = te.tokens + r * 6;
        /* "good|bad wX? caf\xe9 one two three" truncated to 6 tokens; wX? is unknown. */
        assert_int_equal(t[1], 1);
        assert_int_equal(t[2], cafe);
        assert_string_equal(te.vocab[t[0]], te.labels[r] ? "good" : "bad");
        assert_string_equal(te.vocab[t[5]], "three");
    }
    /* Only the 18 train rows' own words are in the vocabulary, not the 2 test rows'. */
    int own = 0;
    for (int i = 2; i < tr.vocab_size; i++) own += tr.vocab[i][0] == 'w';
    assert_int_equal(own, 18);
    /* Padding: a longer seq_len pads with 0 after the 10 tokens. */
    struct ds_polarity_opts o2 = {12, 7, 100};
    struct ds_data tr2, te2;
    assert_int_equal(ds_polarity_read(pos, neg, &o2, &tr2, &te2, &e), SIREN_OK);
    assert_int_equal(tr2.tokens[10], 0);
    assert_int_equal(tr2.tokens[11], 0);
    assert_int_not_equal(tr2.tokens[9], 0);
    /* Same seed, same split. */
    for (size_t i = 0; i < tr.rows; i++) assert_int_equal(tr.labels[i], tr2.labels[i]);
    ds_data_free(&tr), ds_data_free(&te), ds_data_free(&tr2), ds_data_free(&te2);
    tu_rm_rf(dir);
    free(pos), free(neg), free(dir);
}

static void test_ds_polarity_missing_file_is_named(void **state)
{
    (void)state;
    struct ds_data tr, te;
    struct err e;
    assert_int_equal(ds_polarity_read("/nonexistent/a.pos", "/nonexistent/a.neg", NULL, &tr, &te, &e),
                     SIREN_ENOTFOUND);
    assert_non_null(strstr(e.msg, "/nonexistent/a.pos"));
}

static void test_ds_polarity_real_files_have_10662_sentences(void **state)
{
    (void)state;
    char mirror[4096], pos[4200], neg[4200];
    ds_mirror_dir(mirror, sizeof mirror);
    snprintf(pos, sizeof pos, "%s/polarity/cornell-v1.0/rt-polarity.pos", mirror);
    snprintf(neg, sizeof neg, "%s/polarity/cornell-v1.0/rt-polarity.neg", mirror);
    if (!mirror[0] || !fs_exists(pos)) skip();
    struct ds_polarity_opts o = {0, DS_POLARITY_SEED, 0};
    struct ds_data tr, te;
    struct err e;
    assert_int_equal(ds_polarity_read(pos, neg, &o, &tr, &te, &e), SIREN_OK);
    assert_int_equal(tr.rows + te.rows, 10662);
    assert_int_equal(te.rows, 1066);
    assert_int_equal(tr.seq_len, DS_POLARITY_SEQ_LEN);
    size_t pos_rows = 0;
    for (size_t i = 0; i < tr.rows; i++) pos_rows += tr.labels[i] == 1;
    for (size_t i = 0; i < te.rows; i++) pos_rows += te.labels[i] == 1;
    assert_int_equal(pos_rows, 5331);
    /* No sentence is longer than the default length: the last column is not all padding
     * only if some sentence has 64 tokens; the longest has 59, so column 63 is all 0. */
    for (size_t i = 0; i < tr.rows; i++) assert_int_equal(tr.tokens[i * 64 + 63], 0);
    ds_data_free(&tr), ds_data_free(&te);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ds_polarity_tokeniser_keeps_high_bytes_in_words),
        cmocka_unit_test(test_ds_polarity_vocab_from_train_only_and_padding),
        cmocka_unit_test(test_ds_polarity_missing_file_is_named),
        cmocka_unit_test(test_ds_polarity_real_files_have_10662_sentences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Sentence polarity reader (Pang & Lee, "MR"): one sentence per line, already lower-cased and
 * tokenised by the publishers, in cp1252 bytes. Tokens are runs of bytes other than ASCII
 * whitespace, so bytes >= 0x80 stay inside words and nothing assumes UTF-8. Rows are the pos
 * lines (label 1) then the neg lines (label 0); a seeded shuffle holds 10% out as test, and
 * the vocabulary is built from the train rows only so test words can be unknown (id 1).
 */
#include "ds_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

size_t ds_polarity_count_tokens(const char *line, size_t len)
{
    size_t n = 0;
    int in_word = 0;
    for (size_t i = 0; i < len && line[i] != '\n'; i++) {
        int word = !is_space((unsigned char)line[i]);
        if (word && !in_word) n++;
        in_word = word;
    }
    return n;
}

/* All sentences of the input, kept as one text buffer per file plus line spans. */
struct sentences {
    char **text; /* one malloc'ed buffer per file */
    size_t n_text;
    const char **line; /* start of each sentence */
    size_t *len;
    int32_t *label;
    size_t n, cap;
};

static void sentences_free(struct sentences *s)
{
    for (size_t i = 0; i < s->n_text; i++) free(s->text[i]);
    free(s->text);
    free(s->line);
    free(s->len);
    free(s->label);
    memset(s, 0, sizeof *s);
}

static int sentences_add_file(struct sentences *s, const char *path, int32_t label,
                              struct err *e)
{
    char *buf;
    size_t len;
    int rc = fs_read_all(path, &buf, &len, e);
    if (rc) return rc;
    char **t = realloc(s->text, (s->n_text + 1) * sizeof *t);
    if (!t) {
        free(buf);
        return err_set(e, SIREN_ENOMEM, "%s: out of memory", path);
    }
    s->text = t;
    s->text[s->n_text++] = buf;
    if (len == 0) return err_set(e, SIREN_EFORMAT, "%s: empty file", ds_basename(path));
    size_t lineno = 1;
    for (size_t i = 0; i < len;) {
        const char *start = buf + i;
        const char *nl = memchr(start, '\n', len - i);
        size_t l = nl ? (size_t)(nl - start) : len - i;
        if (memchr(start, '\0', l))
            return err_set(e, SIREN_EFORMAT, "%s line %zu: NUL byte (not a text file)",
                           ds_basename(path), lineno);
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 8192;
            const char **nline = realloc(s->line, cap * sizeof *nline);
            if (nline) s->line = nline;
            size_t *nlen = realloc(s->len, cap * sizeof *nlen);
            if (nlen) s->len = nlen;
            int32_t *nlab = realloc(s->label, cap * sizeof *nlab);
            if (nlab) s->label = nlab;
            if (!nline || !nlen || !nlab) return err_set(e, SIREN_ENOMEM, "out of memory");
            s->cap = cap;
        }
        s->line[s->n] = start;
        s->len[s->n] = l;
        s->label[s->n] = label;
        s->n++;
        i += l + 1;
        lineno++;
    }
    return SIREN_OK;
}

/* ------------------------------------------------- vocabulary (hash table) */

struct vocab_slot {
    const char *word; /* points into the sentence text; NULL = empty slot */
    size_t len;
    size_t count;
    int32_t id;
};

struct vocab {
    struct vocab_slot *slot;
    size_t cap, n; /* cap is a power of two, kept at most half full */
};

static int vocab_grow(struct vocab *v, struct err *e);

static struct vocab_slot *vocab_find(struct vocab *v, const char *w, size_t len)
{
    size_t mask = v->cap - 1;
    for (size_t i = ds_hash64(w, len) & mask;; i = (i + 1) & mask) {
        struct vocab_slot *s = &v->slot[i];
        if (!s->word || (s->len == len && !memcmp(s->word, w, len))) return s;
    }
}

static int vocab_count(struct vocab *v, const char *w, size_t len, struct err *e)
{
    if (2 * (v->n + 1) > v->cap) {
        int rc = vocab_grow(v, e);
        if (rc) return rc;
    }
    struct vocab_slot *s = vocab_find(v, w, len);
    if (!s->word) {
        s->word = w;
        s->len = len;
        v->n++;
    }
    s->count++;
    return SIREN_OK;
}

static int vocab_grow(struct vocab *v, struct err *e)
{
    struct vocab old = *v;
    v->cap = old.cap ? old.cap * 2 : 1 << 14;
    v->slot = calloc(v->cap, sizeof *v->slot);
    if (!v->slot) {
        *v = old;
        return err_set(e, SIREN_ENOMEM, "out of memory for the vocabulary");
    }
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slot[i].word) *vocab_find(v, old.slot[i].word, old.slot[i].len) = old.slot[i];
    }
    free(old.slot);
    return SIREN_OK;
}

/* Most frequent first; ties in byte order, so the ids do not depend on the hash table. */
static int cmp_slot(const void *a, const void *b)
{
    const struct vocab_slot *x = *(const struct vocab_slot *const *)a;
    const struct vocab_slot *y = *(const struct vocab_slot *const *)b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->word, y->word, m);
    if (c) return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* Gives ids 2.. to the counted words and builds the id -> string table. */
static int vocab_assign(struct vocab *v, char ***words_out, int *size_out, struct err *e)
{
    struct vocab_slot **order = malloc((v->n ? v->n : 1) * sizeof *order);
    char **words = calloc(v->n + 2, sizeof *words);
    if (!order || !words) {
        free(order);
        free(words);
        return err_set(e, SIREN_ENOMEM, "out of memory for the vocabulary");
    }
    size_t k = 0;
    for (size_t i = 0; i < v->cap; i++)
        if (v->slot[i].word) order[k++] = &v->slot[i];
    qsort(order, k, sizeof *order, cmp_slot);
    words[0] = strdup("<pad>");
    words[1] = strdup("<unk>");
    int bad = !words[0] || !words[1];
    for (size_t i = 0; i < k && !bad; i++) {
        order[i]->id = (int32_t)(i + 2);
        words[i + 2] = strndup(order[i]->word, order[i]->len);
        bad = !words[i + 2];
    }
    free(order);
    if (bad) {
        for (size_t i = 0; i < k + 2; i++) free(words[i]);
        free(words);
        return err_set(e, SIREN_ENOMEM, "out of memory for the vocabulary");
    }
    *words_out = words;
    *size_out = (int)(k + 2);
    return SIREN_OK;
}

/* Runs body with w, wl set to each token of the line (a macro, so body can use locals). */
#define FOR_EACH_TOKEN(line, len, w, wl, body)                                       \
    for (size_t i_ = 0; i_ < (len);) {                                               \
        while (i_ < (len) && is_space((unsigned char)(line)[i_])) i_++;              \
        size_t s_ = i_;                                                              \
        while (i_ < (len) && !is_space((unsigned char)(line)[i_])) i_++;             \
        if (i_ > s_) {                                                               \
            const char *w = (line) + s_;                                             \
            size_t wl = i_ - s_;                                                     \
            body                                                                     \
        }                                                                            \
    }

/* Fills one split from the chosen rows; ids from the vocabulary, unknown words -> 1. */
static int fill_split(const struct sentences *s, const uint32_t *rows, size_t n,
                      struct vocab *v, int seq_len, struct ds_data *out, struct err *e)
{
    out->layout = DS_TOKENS_I32;
    out->rows = n;
    out->classes = 2;
    out->seq_len = seq_len;
    out->labels = malloc((n ? n : 1) * sizeof *out->labels);
    out->tokens = calloc((n ? n : 1) * (size_t)seq_len, sizeof *out->tokens);
    if (!out->labels || !out->tokens) return err_set(e, SIREN_ENOMEM, "out of memory");
    for (size_t r = 0; r < n; r++) {
        size_t src = rows[r];
        out->labels[r] = s->label[src];
        int32_t *dst = out->tokens + r * (size_t)seq_len;
        int t = 0;
        FOR_EACH_TOKEN(s->line[src], s->len[src], w, wl, {
            if (t < seq_len) {
                struct vocab_slot *slot = vocab_find(v, w, wl);
                dst[t++] = slot->word ? slot->id : 1;
            }
        })
    }
    return SIREN_OK;
}

static int copy_vocab(char **words, int size, struct ds_data *out, struct err *e)
{
    out->vocab = calloc((size_t)size, sizeof *out->vocab);
    if (!out->vocab) return err_set(e, SIREN_ENOMEM, "out of memory");
    out->vocab_size = size;
    for (int i = 0; i < size; i++) {
        out->vocab[i] = strdup(words[i]);
        if (!out->vocab[i]) return err_set(e, SIREN_ENOMEM, "out of memory");
    }
    return SIREN_OK;
}

/* Builds train (rows tr) and, when test is non-NULL, test (rows te) from sentences. */
static int build(const struct sentences *s, const uint32_t *tr, size_t ntr, const uint32_t *te,
                 size_t nte, int seq_len, struct ds_data *train, struct ds_data *test,
                 struct err *e)
{
    struct vocab v = {0};
    char **words = NULL;
    int size = 0;
    int rc = vocab_grow(&v, e);
    for (size_t r = 0; r < ntr && !rc; r++) {
        FOR_EACH_TOKEN(s->line[tr[r]], s->len[tr[r]], w, wl, {
            if (!rc) rc = vocab_count(&v, w, wl, e);
        })
    }
    if (!rc) rc = vocab_assign(&v, &words, &size, e);
    if (!rc) rc = fill_split(s, tr, ntr, &v, seq_len, train, e);
    if (!rc) {
        train->vocab = words;
        train->vocab_size = size;
        words = NULL;
    }
    if (!rc && test) rc = fill_split(s, te, nte, &v, seq_len, test, e);
    if (!rc && test) rc = copy_vocab(train->vocab, train->vocab_size, test, e);
    if (words) {
        for (int i = 0; i < size; i++) free(words[i]);
        free(words);
    }
    free(v.slot);
    return rc;
}

/* The ids 0..n-1 of the sentences read, in file order, into *out (caller frees): the order a
 * split shuffles, or a whole file's rows. */
static int sentence_ids(size_t n, uint32_t **out, struct err *e)
{
    uint32_t *ids = malloc(n * sizeof *ids);
    if (!ids) return err_set(e, SIREN_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) ids[i] = (uint32_t)i;
    *out = ids;
    return SIREN_OK;
}

int ds_polarity_read(const char *pos_path, const char *neg_path,
                     const struct ds_polarity_opts *opts, struct ds_data *train,
                     struct ds_data *test, struct err *e)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    int seq_len = opts && opts->seq_len > 0 ? opts->seq_len : DS_POLARITY_SEQ_LEN;
    uint64_t seed = opts ? opts->seed : DS_POLARITY_SEED;
    int permille = opts && opts->test_permille > 0 ? opts->test_permille
                                                   : DS_POLARITY_TEST_PERMILLE;
    if (permille >= 1000) return err_set(e, SIREN_EINVAL, "test share %d/1000 leaves no train", permille);
    struct sentences s = {0};
    uint32_t *order = NULL;
    int rc = sentences_add_file(&s, pos_path, 1, e);
    if (!rc) rc = sentences_add_file(&s, neg_path, 0, e);
    if (!rc) rc = sentence_ids(s.n, &order, e);
    if (rc) goto out;
    struct rng r;
    rng_seed(&r, seed);
    rng_shuffle_u32(&r, order, s.n);
    /* Rounded to the nearest row: 10,662 sentences give 1,066 test and 9,596 train. */
    size_t nte = (s.n * (size_t)permille + 500) / 1000;
    rc = build(&s, order + nte, s.n - nte, order, nte, seq_len, train, test, e);
    if (rc) goto out;
    const char *names[2] = {"train", "test"};
    struct ds_data *outs[2] = {train, test};
    char sum[65] = "";
    int src = sha256_file(pos_path, sum, e);
    if (src) {
        rc = src;
        goto out;
    }
    for (int k = 0; k < 2; k++) {
        snprintf(outs[k]->name, sizeof outs[k]->name, "file");
        snprintf(outs[k]->split, sizeof outs[k]->split, "%s", names[k]);
        snprintf(outs[k]->source, sizeof outs[k]->source, "%s %s", pos_path, neg_path);
        memcpy(outs[k]->sha256, sum, sizeof sum);
        outs[k]->seed = seed;
    }
out:
    free(order);
    sentences_free(&s);
    if (rc) {
        ds_data_free(train);
        ds_data_free(test);
    }
    return rc;
}

int ds_polarity_read_file(const char *path, int label, int seq_len, struct ds_data *out,
                          struct err *e)
{
    memset(out, 0, sizeof *out);
    if (seq_len <= 0) seq_len = DS_POLARITY_SEQ_LEN;
    struct sentences s = {0};
    uint32_t *rows = NULL;
    int rc = sentences_add_file(&s, path, label, e);
    if (!rc) rc = sentence_ids(s.n, &rows, e);
    if (rc) goto out;
    rc = build(&s, rows, s.n, NULL, 0, seq_len, out, NULL, e);
    if (rc) goto out;
    snprintf(out->name, sizeof out->name, "file");
    snprintf(out->split, sizeof out->split, "all");
    snprintf(out->source, sizeof out->source, "%s", path);
out:
    free(rows);
    sentences_free(&s);
    if (rc) ds_data_free(out);
    return rc;
}

/*
 * s3: the s3:// KV backend over libcurl. Every request goes through aws_http_perform, signed
 * by libcurl (CURLOPT_AWS_SIGV4 "aws:amz:REGION:s3") with the body's SHA-256 as the signed
 * payload hash. Keys and query values are percent-encoded by us, and query parameters
 * are written in sorted order, so the path and query libcurl signs are already canonical.
 * Error bodies are read only for their <Code>: S3 echoes the signature and the string to sign
 * in SignatureDoesNotMatch bodies, and none of that may reach a message.
 */
#define _GNU_SOURCE
#include "s3.h"

#include <stdlib.h>
#include <string.h>

struct s3_store {
    char *bucket;
    char *prefix;   /* "" or "a/b" (no leading or trailing '/') */
    char *endpoint; /* "http://host:port" (no trailing '/'), or NULL for AWS */
    char region[64];
    char sigv4[128]; /* "aws:amz:REGION:s3" */
    struct aws_credentials cred;
    struct aws_http *http;
};

/* ------------------------------------------------------------------------- URLs */

static void store_free(struct s3_store *s)
{
    if (!s) return;
    aws_http_close(s->http);
    aws_credentials_clear(&s->cred);
    free(s->bucket);
    free(s->prefix);
    free(s->endpoint);
    free(s);
}

static int bucket_name_ok(const char *b, size_t n)
{
    if (n < 3 || n > 63) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
            return 0;
    }
    return b[0] != '-' && b[0] != '.' && b[n - 1] != '-' && b[n - 1] != '.';
}

/* Parses s3://BUCKET[/PREFIX][?endpoint=URL][&region=R] into a new store (no credentials, no
 * curl handle yet). */
static int parse_url(const char *url, struct s3_store **out, struct err *e)
{
    if (strncmp(url, "s3://", 5) != 0)
        return err_set(e, SIREN_EINVAL, "expected s3://BUCKET[/PREFIX][?endpoint=URL]");
    const char *p = url + 5;
    const char *q = strchr(p, '?');
    size_t path_len = q ? (size_t)(q - p) : strlen(p);
    size_t blen = strcspn(p, "/?");
    if (blen > path_len) blen = path_len;
    if (!bucket_name_ok(p, blen))
        return err_set(e, SIREN_EINVAL,
                       "bad bucket name '%.*s' (3-63 characters from a-z 0-9 . -)",
                       (int)(blen > 80 ? 80 : blen), p);
    struct s3_store *s = calloc(1, sizeof *s);
    if (!s) return err_set(e, SIREN_ENOMEM, "out of memory");
    int rc = SIREN_OK;
    s->bucket = strndup(p, blen);
    const char *pre = p + blen;
    size_t plen = path_len - blen;
    while (plen && *pre == '/') pre++, plen--;
    while (plen && pre[plen - 1] == '/') plen--;
    s->prefix = strndup(pre, plen);
    if (!s->bucket || !s->prefix) {
        rc = err_set(e, SIREN_ENOMEM, "out of memory");
        goto out;
    }
    if (plen && kv_key_check(s->prefix, plen, NULL) != SIREN_OK) {
        rc = err_set(e, SIREN_EINVAL, "bad prefix '%s' (it follows the key rules)", s->prefix);
        goto out;
    }
    snprintf(s->region, sizeof s->region, "%s", aws_region());
    const char *env_ep = getenv("AWS_ENDPOINT_URL_S3");
    if (!env_ep || !*env_ep) env_ep = getenv("AWS_ENDPOINT_URL");
    const char *ep = env_ep && *env_ep ? env_ep : NULL;
    size_t ep_len = ep ? strlen(ep) : 0;
    for (const char *a = q ? q + 1 : NULL; a && *a;) {
        size_t alen = strcspn(a, "&");
        if (!strncmp(a, "endpoint=", 9)) {
            ep = a + 9;
            ep_len = alen - 9;
        } else if (!strncmp(a, "region=", 7) && alen - 7 > 0 && alen - 7 < sizeof s->region) {
            memcpy(s->region, a + 7, alen - 7);
            s->region[alen - 7] = '\0';
        } else {
            rc = err_set(e, SIREN_EINVAL, "unknown parameter '%.*s' (endpoint=URL, region=R)",
                         (int)(alen > 64 ? 64 : alen), a);
            goto out;
        }
        a += alen;
        if (*a == '&') a++;
    }
    if (ep) {
        while (ep_len && ep[ep_len - 1] == '/') ep_len--;
        if (!(ep_len > 7 && !strncmp(ep, "http://", 7)) &&
            !(ep_len > 8 && !strncmp(ep, "https://", 8))) {
            rc = err_set(e, SIREN_EINVAL, "endpoint '%.*s': expected http://HOST[:PORT] or "
                                          "https://HOST[:PORT]",
                         (int)(ep_len > 200 ? 200 : ep_len), ep);
            goto out;
        }
        if (!(s->endpoint = strndup(ep, ep_len))) {
            rc = err_set(e, SIREN_ENOMEM, "out of memory");
            goto out;
        }
    }
    for (const char *c = s->region; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-')) {
            rc = err_set(e, SIREN_EINVAL, "bad region '%s'", s->region);
            goto out;
        }
    snprintf(s->sigv4, sizeof s->sigv4, "aws:amz:%s:s3", s->region);
out:
    if (rc) {
        store_free(s);
        return rc;
    }
    *out = s;
    return SIREN_OK;
}

/* ----------------------------------------------------------------------- requests */

/* The text of the first <tag>...</tag> in an XML body, entities decoded; "" if absent. */
static void xml_text(const char *body, const char *tag, char *out, size_t cap)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    out[0] = '\0';
    const char *a = body ? strstr(body, open) : NULL;
    if (!a) return;
    a += strlen(open);
    const char *b = strstr(a, close);
    if (!b) return;
    size_t o = 0;
    while (a < b && o + 1 < cap) {
        static const struct { const char *ent; char c; } ents[] = {
            {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
        int matched = 0;
        for (size_t i = 0; i < sizeof ents / sizeof *ents && *a == '&'; i++) {
            size_t n = strlen(ents[i].ent);
            if (!strncmp(a, ents[i].ent, n)) {
                out[o++] = ents[i].c;
                a += n;
                matched = 1;
                break;
            }
        }
        if (!matched) out[o++] = *a++;
    }
    out[o] = '\0';
}

/* Statuses S3 asks to be tried again (InternalError, SlowDown), as are transfers that broke
 * off. */
static const long s3_retry_statuses[] = {500, 503, 0};
static const struct aws_http_retry s3_retry = {S3_MAX_ATTEMPTS, S3_RETRY_BASE_MS,
                                               S3_RETRY_MAX_MS, 1, s3_retry_statuses};

/* One request: method on path (already encoded; "" for the bucket itself) with an optional
 * canonical query, an optional body. what names the object in messages. On success (2xx)
 * *status is the HTTP status and resp the response (caller frees it with
 * aws_http_body_free); an error status becomes a siren code from the <Code> of its body. */
static int s3_request(struct s3_store *s, const char *method, const char *path,
                      const char *query, const void *body, size_t body_len, const char *what,
                      long *status, struct aws_http_body *resp, struct err *e)
{
    char *url = NULL, label[KV_KEY_MAX_BYTES + 64];
    int n;
    if (s->endpoint)
        n = asprintf(&url, "%s/%s%s%s%s", s->endpoint, s->bucket, path, query ? "?" : "",
                     query ? query : "");
    else
        n = asprintf(&url, "https://%s.s3.%s.amazonaws.com%s%s%s", s->bucket, s->region,
                     path[0] ? path : "/", query ? "?" : "", query ? query : "");
    if (n < 0) return err_set(e, SIREN_ENOMEM, "%s: out of memory", what);
    snprintf(label, sizeof label, "%s %s", method, what);
    static const char *const put_headers[] = {"Content-Type: application/octet-stream", NULL};
    struct aws_http_request req = {
        .method = method,
        .url = url,
        .what = label,
        .log_category = "s3",
        .headers = !strcmp(method, "PUT") ? put_headers : NULL,
        .body = body,
        .body_len = body_len,
        .sigv4 = s->sigv4,
        .cred = &s->cred,
        .timeout_ms = S3_REQUEST_TIMEOUT_MS,
        .connect_timeout_ms = S3_CONNECT_TIMEOUT_MS,
        .retry = &s3_retry,
    };
    int rc = aws_http_perform(s->http, &req, status, resp, e);
    free(url);
    if (rc || (*status >= 200 && *status < 300)) return rc;
    char code[128];
    xml_text(resp->data, "Code", code, sizeof code);
    if (*status == 404) {
        if (!strcmp(code, "NoSuchBucket"))
            return err_set(e, SIREN_ENOTFOUND, "bucket '%s' does not exist (NoSuchBucket)",
                           s->bucket);
        return err_set(e, SIREN_ENOTFOUND, "%s: not found", what);
    }
    if (*status == 403 || *status == 401) {
        if (!strcmp(code, "SignatureDoesNotMatch"))
            return err_set(e, SIREN_EAUTH,
                           "%s %s: S3 refused the request signature (SignatureDoesNotMatch): "
                           "the secret access key does not belong to the access key id; "
                           "check AWS_SECRET_ACCESS_KEY or the credentials profile",
                           method, what);
        if (!strcmp(code, "InvalidAccessKeyId"))
            return err_set(e, SIREN_EAUTH,
                           "%s %s: S3 does not know the access key id (InvalidAccessKeyId)",
                           method, what);
        if (!strcmp(code, "ExpiredToken") || !strcmp(code, "InvalidToken"))
            return err_set(e, SIREN_EAUTH, "%s %s: the session token is expired or invalid (%s)",
                           method, what, code);
        if (code[0])
            return err_set(e, SIREN_EAUTH,
                           "%s %s: access denied (%s): the credentials lack the permission "
                           "for this request on bucket '%s'",
                           method, what, code, s->bucket);
        return err_set(e, SIREN_EAUTH,
                       "%s %s: HTTP %ld (no error body: wrong secret, unknown access key or "
                       "missing permission)",
                       method, what, *status);
    }
    return err_set(e, SIREN_EBACKEND, "%s %s: HTTP %ld%s%s%s", method, what, *status,
                   code[0] ? " (" : "", code, code[0] ? ")" : "");
}

/* *out = "/<encoded prefix>/<encoded key>" for an object (caller frees). The key is checked
 * here too: kv_put/get/delete did already, but s3_kv_ops is public and curl resolves a "/../"
 * in a path, which would lead out of the prefix and even out of the bucket. SIREN_EINVAL or
 * SIREN_ENOMEM. */
static int object_path(const struct s3_store *s, const char *key, char **out, struct err *e)
{
    *out = NULL;
    int rc = kv_key_check(key, strlen(key), e);
    if (rc) return rc;
    char *full = NULL;
    if (asprintf(&full, "%s%s%s", s->prefix, s->prefix[0] ? "/" : "", key) < 0) full = NULL;
    char *enc = full ? aws_uri_encode_dup(full, 1) : NULL;
    free(full);
    if (enc && asprintf(out, "/%s", enc) < 0) *out = NULL;
    free(enc);
    if (!*out) return err_set(e, SIREN_ENOMEM, "key '%s': out of memory", key);
    return SIREN_OK;
}

/* ------------------------------------------------------------------------ backend */

static int s3_open(const char *url, void **state, struct err *e)
{
    struct s3_store *s = NULL;
    int rc = parse_url(url, &s, e);
    if (rc) return rc;
    if ((rc = aws_credentials_load(&s->cred, e))) {
        store_free(s);
        return rc;
    }
    if ((rc = aws_http_open(&s->http, e))) {
        store_free(s);
        return rc;
    }
    *state = s;
    return SIREN_OK;
}

static void s3_close(void *state) { store_free(state); }

/* One request on key's object: GET, PUT (of body_len bytes), HEAD or DELETE. */
static int object_request(struct s3_store *s, const char *method, const char *key,
                          const void *body, size_t body_len, struct aws_http_body *resp,
                          struct err *e)
{
    char what[KV_KEY_MAX_BYTES + 16];
    snprintf(what, sizeof what, "key '%s'", key);
    char *path = NULL;
    int rc = object_path(s, key, &path, e);
    if (rc) return rc;
    long status;
    rc = s3_request(s, method, path, NULL, body, body_len, what, &status, resp, e);
    free(path);
    return rc;
}

/* A put: one PUT of the whole object (its SHA-256 is signed), which kv.c hands over gathered
 * (no write_open). */
static int s3_write_end(void *state, const char *key, struct kv_raw *raw, int commit,
                        struct err *e)
{
    if (!commit) return SIREN_OK;
    struct aws_http_body resp = {0};
    int rc = object_request(state, "PUT", key, raw->data, (size_t)raw->len, &resp, e);
    aws_http_body_free(&resp);
    return rc;
}

/* A get: the whole object comes as the response body, which kv.c reads from where it lies.
 * raw->handle is that body. */
static int s3_read_open(void *state, const char *key, struct kv_raw *raw, struct err *e)
{
    struct aws_http_body resp = {0};
    int rc = object_request(state, "GET", key, NULL, 0, &resp, e);
    if (rc) {
        aws_http_body_free(&resp);
        return rc;
    }
    raw->len = resp.len;
    raw->data = (uint8_t *)resp.data;
    raw->handle = resp.data;
    return SIREN_OK;
}

static void s3_read_close(void *state, struct kv_raw *raw)
{
    (void)state;
    free(raw->handle);
}

static int keys_push(struct kv_keys *k, size_t *cap, const char *key, struct err *e)
{
    if (k->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        char **grown = realloc(k->keys, ncap * sizeof *grown);
        if (!grown) return err_set(e, SIREN_ENOMEM, "out of memory while listing");
        k->keys = grown;
        *cap = ncap;
    }
    if (!(k->keys[k->count] = strdup(key)))
        return err_set(e, SIREN_ENOMEM, "out of memory while listing");
    k->count++;
    return SIREN_OK;
}

static int s3_list(void *state, const char *prefix, struct kv_keys *out, struct err *e)
{
    struct s3_store *s = state;
    char what[KV_KEY_MAX_BYTES + 32];
    snprintf(what, sizeof what, "prefix '%s'", prefix);
    char *full = NULL, *enc_prefix = NULL, *query = NULL, *enc_token = NULL;
    char *token = NULL;
    size_t cap = 0, base_len = s->prefix[0] ? strlen(s->prefix) + 1 : 0;
    struct aws_http_body resp = {0};
    int rc = SIREN_OK;
    if (asprintf(&full, "%s%s%s", s->prefix, s->prefix[0] ? "/" : "", prefix) < 0) {
        full = NULL;
        goto oom;
    }
    if (!(enc_prefix = aws_uri_encode_dup(full, 0))) goto oom;
    for (;;) {
        free(query);
        query = NULL;
        /* Parameters in sorted order: the query is then its own canonical form. */
        int n = enc_token ? asprintf(&query, "continuation-token=%s&list-type=2&prefix=%s",
                                     enc_token, enc_prefix)
                          : asprintf(&query, "list-type=2&prefix=%s", enc_prefix);
        if (n < 0) {
            query = NULL;
            goto oom;
        }
        long status;
        if ((rc = s3_request(s, "GET", "/", query, NULL, 0, what, &status, &resp, e))) break;
        const char *body = resp.data;
        for (const char *p = body ? strstr(body, "<Contents>") : NULL; p;
             p = strstr(p + 1, "<Contents>")) {
            char key[4 * KV_KEY_MAX_BYTES];
            xml_text(p, "Key", key, sizeof key);
            if (strlen(key) <= base_len || strncmp(key, full, strlen(full)) != 0) continue;
            const char *rel = key + base_len;
            if (kv_key_check(rel, strlen(rel), NULL) != SIREN_OK) continue;
            if ((rc = keys_push(out, &cap, rel, e))) break;
        }
        if (rc) break;
        char truncated[16];
        xml_text(body, "IsTruncated", truncated, sizeof truncated);
        if (strcmp(truncated, "true") != 0) break;
        char next[2048];
        xml_text(body, "NextContinuationToken", next, sizeof next);
        if (!next[0]) {
            rc = err_set(e, SIREN_EBACKEND, "%s: truncated listing without a continuation "
                                            "token", what);
            break;
        }
        free(enc_token);
        if (!(enc_token = aws_uri_encode_dup(next, 0))) goto oom;
    }
    goto out;
oom:
    rc = err_set(e, SIREN_ENOMEM, "out of memory while listing");
out:
    aws_http_body_free(&resp);
    free(full);
    free(enc_prefix);
    free(query);
    free(enc_token);
    free(token);
    return rc;
}

/* S3 answers 204 to a delete of a missing key: a HEAD first tells a miss. */
static int s3_del(void *state, const char *key, struct err *e)
{
    struct aws_http_body resp = {0};
    int rc = object_request(state, "HEAD", key, NULL, 0, &resp, e);
    if (!rc) rc = object_request(state, "DELETE", key, NULL, 0, &resp, e);
    aws_http_body_free(&resp);
    return rc;
}

const struct kv_ops s3_kv_ops = {
    .scheme = "s3",
    .open = s3_open,
    .close = s3_close,
    .list = s3_list,
    .del = s3_del,
    .read_open = s3_read_open,
    .read_close = s3_read_close,
    .write_end = s3_write_end,
};

void s3_kv_register(void)
{
    /* Registering s3_kv_ops again changes nothing, so every command may call this. The only
     * failure left is a full table of 16 backends, which no build of siren comes near (and
     * kv_register logs). */
    (void)!kv_register(&s3_kv_ops);
}

int s3_bucket_create(const char *url, struct err *e)
{
    void *state = NULL;
    int rc = s3_open(url, &state, e);
    if (rc) return rc;
    struct s3_store *s = state;
    char what[128];
    snprintf(what, sizeof what, "bucket '%s'", s->bucket);
    char body[256];
    size_t body_len = 0;
    if (strcmp(s->region, "us-east-1") != 0)
        body_len = (size_t)snprintf(body, sizeof body,
                                    "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/"
                                    "doc/2006-03-01/\"><LocationConstraint>%s</LocationConstraint>"
                                    "</CreateBucketConfiguration>",
                                    s->region);
    struct aws_http_body resp = {0};
    long status;
    struct err e2;
    rc = s3_request(s, "PUT", "", NULL, body_len ? body : NULL, body_len, what, &status, &resp,
                    &e2);
    if (rc == SIREN_EBACKEND && status == 409) {
        char code[128];
        xml_text(resp.data, "Code", code, sizeof code);
        if (!strcmp(code, "BucketAlreadyOwnedByYou")) rc = SIREN_OK;
    }
    if (rc) err_set(e, rc, "%s", e2.msg);
    aws_http_body_free(&resp);
    store_free(s);
    return rc;
}

/*
 * s3: the s3:// KV backend over libcurl. Every request is signed by libcurl (CURLOPT_AWS_SIGV4
 * "aws:amz:REGION:s3"); we only send x-amz-content-sha256 (the SHA-256 of the body, which
 * libcurl then uses as the signed payload hash) and, for temporary credentials,
 * x-amz-security-token. Keys and query values are percent-encoded by us, and query parameters
 * are written in sorted order, so the path and query libcurl signs are already canonical.
 * Error bodies are read only for their <Code>: S3 echoes the signature and the string to sign
 * in SignatureDoesNotMatch bodies, and none of that may reach a message.
 */
#define _GNU_SOURCE
#include "s3.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

/* The SHA-256 of an empty body, for GET, HEAD, DELETE and LIST. */
#define S3_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct s3_store {
    char *bucket;
    char *prefix;   /* "" or "a/b" (no leading or trailing '/') */
    char *endpoint; /* "http://host:port" (no trailing '/'), or NULL for AWS */
    char region[64];
    char sigv4[128]; /* "aws:amz:REGION:s3" */
    struct aws_credentials cred;
    CURL *curl;
    uint64_t jitter; /* xorshift state for the retry waits */
};

/* A growing response body. */
struct s3_buf {
    uint8_t *data;
    size_t len, cap;
    int oom;
};

/* ------------------------------------------------------------------ credentials */

void aws_credentials_clear(struct aws_credentials *c)
{
    if (c) explicit_bzero(c, sizeof *c);
}

static int copy_secret(char *dst, size_t cap, const char *src, const char *what, struct err *e)
{
    size_t n = strlen(src);
    if (n >= cap) return err_set(e, SIREN_EFORMAT, "%s: longer than %zu bytes", what, cap - 1);
    memcpy(dst, src, n + 1);
    return SIREN_OK;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* Reads one profile of an INI credentials file. 0 found, 1 not found (file or profile). */
static int load_profile(const char *path, const char *profile, struct aws_credentials *out,
                        struct err *e)
{
    FILE *f = fopen(path, "r");
    if (!f) return 1;
    char line[8192];
    int in_profile = 0, rc = 1;
    while (fgets(line, sizeof line, f)) {
        if (!strchr(line, '\n') && !feof(f)) {
            rc = err_set(e, SIREN_EFORMAT, "%s: a line longer than %zu bytes", path,
                         sizeof line - 1);
            break;
        }
        char *s = trim(line);
        if (*s == '#' || *s == ';' || !*s) continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (end) *end = '\0';
            in_profile = !strcmp(trim(s + 1), profile);
            continue;
        }
        if (!in_profile) continue;
        char *eq = strchr(s, '=');
        if (!eq) continue;
        *eq = '\0';
        char *name = trim(s), *value = trim(eq + 1);
        int r = 0;
        if (!strcmp(name, "aws_access_key_id"))
            r = copy_secret(out->access_key_id, sizeof out->access_key_id, value,
                            "aws_access_key_id", e);
        else if (!strcmp(name, "aws_secret_access_key"))
            r = copy_secret(out->secret_access_key, sizeof out->secret_access_key, value,
                            "aws_secret_access_key", e);
        else if (!strcmp(name, "aws_session_token"))
            r = copy_secret(out->session_token, sizeof out->session_token, value,
                            "aws_session_token", e);
        if (r) {
            rc = r;
            break;
        }
    }
    explicit_bzero(line, sizeof line);
    fclose(f);
    if (rc < 0) return rc;
    return out->access_key_id[0] && out->secret_access_key[0] ? 0 : 1;
}

int aws_credentials_load(struct aws_credentials *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    if (ak && *ak && sk && *sk) {
        const char *tok = getenv("AWS_SESSION_TOKEN");
        int rc;
        if ((rc = copy_secret(out->access_key_id, sizeof out->access_key_id, ak,
                              "AWS_ACCESS_KEY_ID", e)) ||
            (rc = copy_secret(out->secret_access_key, sizeof out->secret_access_key, sk,
                              "AWS_SECRET_ACCESS_KEY", e)) ||
            (tok && (rc = copy_secret(out->session_token, sizeof out->session_token, tok,
                                      "AWS_SESSION_TOKEN", e)))) {
            aws_credentials_clear(out);
            return rc;
        }
        return SIREN_OK;
    }
    const char *profile = getenv("AWS_PROFILE");
    if (!profile || !*profile) profile = "default";
    char path[4096];
    const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE");
    const char *home = getenv("HOME");
    if (file && *file)
        snprintf(path, sizeof path, "%s", file);
    else if (home && *home)
        snprintf(path, sizeof path, "%s/.aws/credentials", home);
    else
        path[0] = '\0';
    int rc = path[0] ? load_profile(path, profile, out, e) : 1;
    if (rc == 0) return SIREN_OK;
    aws_credentials_clear(out);
    if (rc < 0) return rc;
    return err_set(e, SIREN_EAUTH,
                   "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
                   "AWS_SESSION_TOKEN for temporary credentials), or profile '%s' in %s",
                   profile, path[0] ? path : "~/.aws/credentials (HOME is not set)");
}

const char *aws_region(void)
{
    const char *r = getenv("AWS_REGION");
    if (!r || !*r) r = getenv("AWS_DEFAULT_REGION");
    return r && *r ? r : "us-east-1";
}

size_t aws_uri_encode(const char *s, int keep_slash, char *buf, size_t buflen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0, w = 0; /* o: bytes needed; w: bytes written (whole characters only) */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/');
        size_t need = keep ? 1 : 3;
        if (w == o && o + need < buflen) {
            if (keep) {
                buf[o] = (char)c;
            } else {
                buf[o] = '%';
                buf[o + 1] = hex[c >> 4];
                buf[o + 2] = hex[c & 15];
            }
            w += need;
        }
        o += need;
    }
    if (buflen) buf[w] = '\0';
    return o;
}

/* aws_uri_encode into a new malloc'ed string; NULL when out of memory. */
static char *uri_encode_dup(const char *s, int keep_slash)
{
    size_t n = aws_uri_encode(s, keep_slash, NULL, 0);
    char *out = malloc(n + 1);
    if (out) aws_uri_encode(s, keep_slash, out, n + 1);
    return out;
}

/* ------------------------------------------------------------------------- URLs */

static void store_free(struct s3_store *s)
{
    if (!s) return;
    if (s->curl) curl_easy_cleanup(s->curl);
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

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct s3_buf *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 1 << 14;
        while (ncap < b->len + n + 1) ncap *= 2;
        uint8_t *grown = realloc(b->data, ncap);
        if (!grown) {
            b->oom = 1;
            return 0; /* aborts the transfer */
        }
        b->data = grown;
        b->cap = ncap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

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

static int retryable_curl(CURLcode c)
{
    return c == CURLE_SEND_ERROR || c == CURLE_RECV_ERROR || c == CURLE_GOT_NOTHING ||
           c == CURLE_PARTIAL_FILE;
}

static void sleep_backoff(struct s3_store *s, int attempt)
{
    long ms = S3_RETRY_BASE_MS << attempt;
    if (ms > S3_RETRY_MAX_MS) ms = S3_RETRY_MAX_MS;
    s->jitter ^= s->jitter << 13;
    s->jitter ^= s->jitter >> 7;
    s->jitter ^= s->jitter << 17;
    ms = ms / 2 + (long)(s->jitter % (uint64_t)(ms / 2 + 1)); /* [ms/2, ms] */
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* One request: method on path (already encoded; "" for the bucket itself) with an optional
 * canonical query, an optional body. what names the object in messages. On success (2xx)
 * *status is the HTTP status and body the response (caller frees body->data). */
static int s3_request(struct s3_store *s, const char *method, const char *path,
                      const char *query, const void *body, size_t body_len, const char *what,
                      long *status, struct s3_buf *resp, struct err *e)
{
    char *url = NULL;
    int n;
    if (s->endpoint)
        n = asprintf(&url, "%s/%s%s%s%s", s->endpoint, s->bucket, path, query ? "?" : "",
                     query ? query : "");
    else
        n = asprintf(&url, "https://%s.s3.%s.amazonaws.com%s%s%s", s->bucket, s->region,
                     path[0] ? path : "/", query ? "?" : "", query ? query : "");
    if (n < 0) return err_set(e, SIREN_ENOMEM, "%s: out of memory", what);
    char hash_hdr[128];
    if (body && body_len) {
        char hex[65];
        sha256_hex(body, body_len, hex);
        snprintf(hash_hdr, sizeof hash_hdr, "x-amz-content-sha256: %s", hex);
    } else {
        snprintf(hash_hdr, sizeof hash_hdr, "x-amz-content-sha256: %s", S3_EMPTY_SHA256);
    }
    struct curl_slist *hdrs = NULL, *h;
    int rc = SIREN_OK;
    char *tok_hdr = NULL;
    if (!(h = curl_slist_append(hdrs, hash_hdr))) goto oom;
    hdrs = h;
    if (s->cred.session_token[0]) {
        if (asprintf(&tok_hdr, "x-amz-security-token: %s", s->cred.session_token) < 0) {
            tok_hdr = NULL;
            goto oom;
        }
        h = curl_slist_append(hdrs, tok_hdr);
        explicit_bzero(tok_hdr, strlen(tok_hdr));
        if (!h) goto oom;
        hdrs = h;
    }
    if (!strcmp(method, "PUT")) {
        if (!(h = curl_slist_append(hdrs, "Content-Type: application/octet-stream"))) goto oom;
        hdrs = h;
    }
    char errbuf[CURL_ERROR_SIZE];
    for (int attempt = 0;; attempt++) {
        CURL *c = s->curl;
        curl_easy_reset(c);
        resp->len = 0;
        resp->oom = 0;
        errbuf[0] = '\0';
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s->sigv4);
        curl_easy_setopt(c, CURLOPT_USERNAME, s->cred.access_key_id);
        curl_easy_setopt(c, CURLOPT_PASSWORD, s->cred.secret_access_key);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)S3_REQUEST_TIMEOUT_MS);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)S3_CONNECT_TIMEOUT_MS);
        /* Debian's libcurl looks for Debian's CA bundle; on Amazon Linux the launcher of the
         * Lambda package points SSL_CERT_FILE at the system's one. */
        const char *ca = getenv("SSL_CERT_FILE");
        if (ca && *ca) curl_easy_setopt(c, CURLOPT_CAINFO, ca);
        /* A 100-continue round trip per PUT would only add latency. */
        curl_easy_setopt(c, CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
        if (!strcmp(method, "GET")) {
            curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        } else if (!strcmp(method, "HEAD")) {
            curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        } else {
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
            if (!strcmp(method, "PUT")) {
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
            }
        }
        CURLcode cc = curl_easy_perform(c);
        *status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        if (resp->oom) {
            rc = err_set(e, SIREN_ENOMEM, "%s: out of memory reading the response", what);
            break;
        }
        int again = attempt + 1 < S3_MAX_ATTEMPTS &&
                    ((cc != CURLE_OK && retryable_curl(cc)) ||
                     (cc == CURLE_OK && (*status == 500 || *status == 503)));
        if (again) {
            LOG_DEBUG("s3", "%s %s: %s, retrying (attempt %d of %d)", method, what,
                      cc != CURLE_OK ? curl_easy_strerror(cc) : "HTTP 500/503", attempt + 2,
                      S3_MAX_ATTEMPTS);
            sleep_backoff(s, attempt);
            continue;
        }
        if (cc != CURLE_OK) {
            rc = err_set(e, SIREN_ENETWORK, "%s %s: %s", method, what,
                         errbuf[0] ? errbuf : curl_easy_strerror(cc));
            break;
        }
        if (*status >= 200 && *status < 300) break;
        char code[128];
        xml_text((const char *)resp->data, "Code", code, sizeof code);
        if (*status == 404) {
            if (!strcmp(code, "NoSuchBucket"))
                rc = err_set(e, SIREN_ENOTFOUND, "bucket '%s' does not exist (NoSuchBucket)",
                             s->bucket);
            else
                rc = err_set(e, SIREN_ENOTFOUND, "%s: not found", what);
        } else if (*status == 403 || *status == 401) {
            if (!strcmp(code, "SignatureDoesNotMatch"))
                rc = err_set(e, SIREN_EAUTH,
                             "%s %s: S3 refused the request signature (SignatureDoesNotMatch): "
                             "the secret access key does not belong to the access key id; "
                             "check AWS_SECRET_ACCESS_KEY or the credentials profile",
                             method, what);
            else if (!strcmp(code, "InvalidAccessKeyId"))
                rc = err_set(e, SIREN_EAUTH,
                             "%s %s: S3 does not know the access key id (InvalidAccessKeyId)",
                             method, what);
            else if (!strcmp(code, "ExpiredToken") || !strcmp(code, "InvalidToken"))
                rc = err_set(e, SIREN_EAUTH,
                             "%s %s: the session token is expired or invalid (%s)", method,
                             what, code);
            else if (code[0])
                rc = err_set(e, SIREN_EAUTH,
                             "%s %s: access denied (%s): the credentials lack the permission "
                             "for this request on bucket '%s'",
                             method, what, code, s->bucket);
            else
                rc = err_set(e, SIREN_EAUTH,
                             "%s %s: HTTP %ld (no error body: wrong secret, unknown access "
                             "key or missing permission)",
                             method, what, *status);
        } else {
            rc = err_set(e, SIREN_EBACKEND, "%s %s: HTTP %ld%s%s%s", method, what, *status,
                         code[0] ? " (" : "", code, code[0] ? ")" : "");
        }
        break;
    }
    goto done;
oom:
    rc = err_set(e, SIREN_ENOMEM, "%s: out of memory", what);
done:
    if (tok_hdr) free(tok_hdr);
    /* The session token is a credential: wipe the header copies before freeing them. */
    for (struct curl_slist *i = hdrs; i; i = i->next) explicit_bzero(i->data, strlen(i->data));
    curl_slist_free_all(hdrs);
    free(url);
    return rc;
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
    char *enc = full ? uri_encode_dup(full, 1) : NULL;
    free(full);
    if (enc && asprintf(out, "/%s", enc) < 0) *out = NULL;
    free(enc);
    if (!*out) return err_set(e, SIREN_ENOMEM, "key '%s': out of memory", key);
    return SIREN_OK;
}

/* ------------------------------------------------------------------------ backend */

static int s3_open(const char *url, void **state, struct err *e)
{
    static int curl_ready;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return err_set(e, SIREN_EBACKEND, "cannot initialise libcurl");
        curl_ready = 1;
    }
    struct s3_store *s = NULL;
    int rc = parse_url(url, &s, e);
    if (rc) return rc;
    if ((rc = aws_credentials_load(&s->cred, e))) {
        store_free(s);
        return rc;
    }
    if (!(s->curl = curl_easy_init())) {
        store_free(s);
        return err_set(e, SIREN_ENOMEM, "cannot create a curl handle");
    }
    s->jitter = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^ 0x9E3779B97F4A7C15ULL;
    *state = s;
    return SIREN_OK;
}

static void s3_close(void *state) { store_free(state); }

/* Starts a put: the stored bytes are gathered in one buffer, the body of one PUT (its
 * SHA-256 is signed). raw->handle is the object's encoded path. */
static int s3_write_open(void *state, const char *key, struct kv_raw *raw, struct err *e)
{
    char *path = NULL;
    int rc = object_path(state, key, &path, e);
    if (rc) return rc;
    if (!(raw->data = malloc((size_t)raw->len))) {
        free(path);
        return err_set(e, SIREN_ENOMEM, "key '%s': cannot allocate %llu bytes", key,
                       (unsigned long long)raw->len);
    }
    raw->handle = path;
    return SIREN_OK;
}

static int s3_write_end(void *state, const char *key, struct kv_raw *raw, int commit,
                        struct err *e)
{
    int rc = SIREN_OK;
    if (commit) {
        char what[KV_KEY_MAX_BYTES + 16];
        snprintf(what, sizeof what, "key '%s'", key);
        struct s3_buf resp = {0};
        long status;
        rc = s3_request(state, "PUT", raw->handle, NULL, raw->data, (size_t)raw->len, what,
                        &status, &resp, e);
        free(resp.data);
    }
    free(raw->data);
    free(raw->handle);
    raw->data = NULL;
    return rc;
}

/* A get: the whole object comes as the response body, which kv.c reads from where it lies.
 * raw->handle is that body. */
static int s3_read_open(void *state, const char *key, struct kv_raw *raw, struct err *e)
{
    char what[KV_KEY_MAX_BYTES + 16];
    snprintf(what, sizeof what, "key '%s'", key);
    char *path = NULL;
    int rc = object_path(state, key, &path, e);
    if (rc) return rc;
    struct s3_buf resp = {0};
    long status;
    rc = s3_request(state, "GET", path, NULL, NULL, 0, what, &status, &resp, e);
    free(path);
    if (rc) {
        free(resp.data);
        return rc;
    }
    raw->len = resp.len;
    raw->data = resp.data;
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
    struct s3_buf resp = {0};
    int rc = SIREN_OK;
    if (asprintf(&full, "%s%s%s", s->prefix, s->prefix[0] ? "/" : "", prefix) < 0) {
        full = NULL;
        goto oom;
    }
    if (!(enc_prefix = uri_encode_dup(full, 0))) goto oom;
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
        resp.len = 0;
        if ((rc = s3_request(s, "GET", "/", query, NULL, 0, what, &status, &resp, e))) break;
        const char *body = (const char *)resp.data;
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
        if (!(enc_token = uri_encode_dup(next, 0))) goto oom;
    }
    goto out;
oom:
    rc = err_set(e, SIREN_ENOMEM, "out of memory while listing");
out:
    free(resp.data);
    free(full);
    free(enc_prefix);
    free(query);
    free(enc_token);
    free(token);
    return rc;
}

static int s3_del(void *state, const char *key, struct err *e)
{
    struct s3_store *s = state;
    char what[KV_KEY_MAX_BYTES + 16];
    snprintf(what, sizeof what, "key '%s'", key);
    char *path = NULL;
    int rc = object_path(s, key, &path, e);
    if (rc) return rc;
    struct s3_buf resp = {0};
    long status;
    rc = s3_request(s, "HEAD", path, NULL, NULL, 0, what, &status, &resp, e);
    if (!rc) rc = s3_request(s, "DELETE", path, NULL, NULL, 0, what, &status, &resp, e);
    free(resp.data);
    free(path);
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
    .write_open = s3_write_open,
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
    struct s3_buf resp = {0};
    long status;
    struct err e2;
    rc = s3_request(s, "PUT", "", NULL, body_len ? body : NULL, body_len, what, &status, &resp,
                    &e2);
    if (rc == SIREN_EBACKEND && status == 409) {
        char code[128];
        xml_text((const char *)resp.data, "Code", code, sizeof code);
        if (!strcmp(code, "BucketAlreadyOwnedByYou")) rc = SIREN_OK;
    }
    if (rc) err_set(e, rc, "%s", e2.msg);
    free(resp.data);
    store_free(s);
    return rc;
}

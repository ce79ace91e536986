/*
 * aws_http: the AWS pieces shared by the clients here (see aws_http.h). Requests: the header
 * list is built once per request and reused by every attempt; each attempt resets the curl
 * handle, so no option of an earlier request leaks into the next; the session token's header
 * lines are wiped before they are freed (libcurl keeps its own copies of the key and secret
 * until the handle is reset, as it must to sign). Error bodies are the caller's to read: S3 echoes
 * the string to sign in some, so nothing here ever puts a body into a message or a log.
 */
#define _GNU_SOURCE
#include "aws_http.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

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

char *aws_uri_encode_dup(const char *s, int keep_slash)
{
    size_t n = aws_uri_encode(s, keep_slash, NULL, 0);
    char *out = malloc(n + 1);
    if (out) aws_uri_encode(s, keep_slash, out, n + 1);
    return out;
}

/* ------------------------------------------------------------------------ clients */

struct aws_http {
    CURL *curl;
    uint64_t jitter; /* xorshift state for the retry waits */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;

static void curl_init(void) { curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT); }

int aws_http_open(struct aws_http **out, struct err *e)
{
    *out = NULL;
    pthread_once(&curl_once, curl_init);
    if (curl_init_code != CURLE_OK) return err_set(e, SIREN_EBACKEND, "cannot initialise libcurl");
    struct aws_http *h = calloc(1, sizeof *h);
    if (!h) return err_set(e, SIREN_ENOMEM, "out of memory");
    if (!(h->curl = curl_easy_init())) {
        free(h);
        return err_set(e, SIREN_EBACKEND, "cannot create a curl handle");
    }
    /* Clients started together (one per function) must not wait in step. */
    h->jitter = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)h ^
                0x9E3779B97F4A7C15ULL;
    *out = h;
    return SIREN_OK;
}

void aws_http_close(struct aws_http *h)
{
    if (!h) return;
    curl_easy_cleanup(h->curl);
    free(h);
}

void aws_http_body_free(struct aws_http_body *b)
{
    if (!b) return;
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* --------------------------------------------------------------------- requests */

/* What the callbacks of one attempt write to. */
struct transfer {
    struct aws_http_body *body; /* NULL: the body is thrown away */
    struct aws_http_capture *capture;
    int n_capture;
    int oom;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct transfer *t = userdata;
    size_t n = size * nmemb;
    struct aws_http_body *b = t->body;
    if (!b) return n;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : (size_t)1 << 14;
        while (cap < b->len + n + 1) cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown) {
            t->oom = 1;
            return 0; /* aborts the transfer */
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* Keeps the value of a header line ("Name: value\r\n", n bytes) a capture asks for. */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct transfer *t = userdata;
    size_t n = size * nmemb;
    for (int i = 0; i < t->n_capture; i++) {
        struct aws_http_capture *c = &t->capture[i];
        size_t name_len = strlen(c->name);
        if (n <= name_len || ptr[name_len] != ':' || strncasecmp(ptr, c->name, name_len)) continue;
        const char *v = ptr + name_len + 1;
        size_t vn = n - name_len - 1;
        while (vn && (*v == ' ' || *v == '\t')) v++, vn--;
        while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' ')) vn--;
        if (c->value) {
            if (vn >= c->cap) vn = c->cap - 1;
            memcpy(c->value, v, vn);
            c->value[vn] = '\0';
        } else {
            free(*c->dup);
            if (!(*c->dup = strndup(v, vn))) t->oom = 1;
        }
        break;
    }
    return n;
}

/* Empties what an attempt fills, so a retried request starts from nothing. */
static void transfer_reset(struct transfer *t)
{
    if (t->body) {
        t->body->len = 0;
        if (t->body->data) t->body->data[0] = '\0';
    }
    for (int i = 0; i < t->n_capture; i++) {
        struct aws_http_capture *c = &t->capture[i];
        if (c->value) {
            c->value[0] = '\0';
        } else {
            free(*c->dup);
            *c->dup = NULL;
        }
    }
    t->oom = 0;
}

/* Why an attempt is worth repeating under r (into buf), or NULL when it is not. */
static const char *retry_reason(const struct aws_http_retry *r, CURLcode cc, long status,
                                char *buf, size_t cap)
{
    if (!r) return NULL;
    if (cc != CURLE_OK)
        return r->broken && (cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR ||
                             cc == CURLE_GOT_NOTHING || cc == CURLE_PARTIAL_FILE)
                   ? curl_easy_strerror(cc)
                   : NULL;
    for (const long *s = r->statuses; s && *s; s++)
        if (*s == status) {
            snprintf(buf, cap, "HTTP %ld", status);
            return buf;
        }
    return NULL;
}

static void backoff(struct aws_http *h, const struct aws_http_retry *r, int attempt)
{
    long ms = r->base_ms << attempt;
    if (ms > r->max_ms) ms = r->max_ms;
    h->jitter ^= h->jitter << 13;
    h->jitter ^= h->jitter >> 7;
    h->jitter ^= h->jitter << 17;
    ms = ms / 2 + (long)(h->jitter % (uint64_t)(ms / 2 + 1)); /* [ms/2, ms] */
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Frees a header list, wiping each line first: the session token is a credential. */
static void headers_free(struct curl_slist *hdrs)
{
    for (struct curl_slist *i = hdrs; i; i = i->next) explicit_bzero(i->data, strlen(i->data));
    curl_slist_free_all(hdrs);
}

/* The header list of req into *out: its own lines, then for a signed request the body's
 * SHA-256 (which libcurl signs as the payload hash) and the session token. -1 when out of
 * memory. */
static int request_headers(const struct aws_http_request *req, struct curl_slist **out)
{
    struct curl_slist *hdrs = NULL, *h;
    for (const char *const *line = req->headers; line && *line; line++) {
        if (!(h = curl_slist_append(hdrs, *line))) goto oom;
        hdrs = h;
    }
    if (req->sigv4) {
        char hex[65], hash_hdr[96];
        sha256_hex(req->body ? req->body : "", req->body ? req->body_len : 0, hex);
        snprintf(hash_hdr, sizeof hash_hdr, "x-amz-content-sha256: %s", hex);
        if (!(h = curl_slist_append(hdrs, hash_hdr))) goto oom;
        hdrs = h;
    }
    if (req->sigv4 && req->cred->session_token[0]) {
        char *tok = NULL;
        if (asprintf(&tok, "x-amz-security-token: %s", req->cred->session_token) < 0) goto oom;
        h = curl_slist_append(hdrs, tok);
        explicit_bzero(tok, strlen(tok));
        free(tok);
        if (!h) goto oom;
        hdrs = h;
    }
    *out = hdrs;
    return 0;
oom:
    headers_free(hdrs);
    return -1;
}

void aws_http_request_post_json(struct aws_http_request *req, const char *url, const char *what,
                                const char *json, size_t len, long timeout_ms)
{
    static const char *const json_headers[] = {"Content-Type: application/json", NULL};
    memset(req, 0, sizeof *req);
    req->method = "POST";
    req->url = url;
    req->what = what;
    req->log_category = "aws";
    req->headers = json_headers;
    req->body = json;
    req->body_len = json ? len : 0;
    req->timeout_ms = timeout_ms;
}

int aws_http_perform(struct aws_http *h, const struct aws_http_request *req, long *status,
                     struct aws_http_body *body, struct err *e)
{
    *status = 0;
    struct curl_slist *hdrs = NULL;
    if (request_headers(req, &hdrs))
        return err_set(e, SIREN_ENOMEM, "%s: out of memory", req->what);
    struct transfer t = {body, req->capture, req->n_capture, 0};
    int max_attempts = req->retry && req->retry->max_attempts > 1 ? req->retry->max_attempts : 1;
    const char *ca = getenv("SSL_CERT_FILE");
    char errbuf[CURL_ERROR_SIZE], why_buf[32];
    int rc = SIREN_OK;
    for (int attempt = 0;; attempt++) {
        CURL *c = h->curl;
        curl_easy_reset(c);
        transfer_reset(&t);
        errbuf[0] = '\0';
        curl_easy_setopt(c, CURLOPT_URL, req->url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        if (req->sigv4) {
            curl_easy_setopt(c, CURLOPT_AWS_SIGV4, req->sigv4);
            curl_easy_setopt(c, CURLOPT_USERNAME, req->cred->access_key_id);
            curl_easy_setopt(c, CURLOPT_PASSWORD, req->cred->secret_access_key);
        }
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
        /* Debian's libcurl looks for Debian's CA bundle; on Amazon Linux the launcher of the
         * Lambda package points SSL_CERT_FILE at the system's one. */
        if (ca && *ca) curl_easy_setopt(c, CURLOPT_CAINFO, ca);
        /* A 100-continue round trip per PUT or POST would only add latency. */
        curl_easy_setopt(c, CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
        if (!strcmp(req->method, "GET")) {
            curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        } else if (!strcmp(req->method, "HEAD")) {
            curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        } else {
            if (strcmp(req->method, "POST") != 0)
                curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
            if (!strcmp(req->method, "PUT") || !strcmp(req->method, "POST")) {
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                                 (curl_off_t)(req->body ? req->body_len : 0));
            }
        }
        CURLcode cc = curl_easy_perform(c);
        *status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        if (t.oom) {
            rc = err_set(e, SIREN_ENOMEM, "%s: out of memory reading the response", req->what);
            break;
        }
        const char *why = retry_reason(req->retry, cc, *status, why_buf, sizeof why_buf);
        if (why && attempt + 1 < max_attempts) {
            LOG_DEBUG(req->log_category, "%s: %s, retrying (attempt %d of %d)", req->what, why,
                      attempt + 2, max_attempts);
            backoff(h, req->retry, attempt);
            continue;
        }
        if (cc != CURLE_OK)
            rc = err_set(e, SIREN_ENETWORK, "%s: %s", req->what,
                         errbuf[0] ? errbuf : curl_easy_strerror(cc));
        break;
    }
    headers_free(hdrs);
    return rc;
}

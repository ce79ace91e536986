/*
 * kv_redis: the "redis://[[user]:password@]host:port[/db]" backend (the ElastiCache option),
 * through hiredis. Values are binary-safe (%b) and hold the stored bytes kv.c frames (header +
 * checksum, as in files): Redis already makes a SET atomic, but the header lets a get tell a
 * foreign value or one damaged outside siren from a gradient. SET/GET/DEL per object, SET NX
 * for kv_put_new; LIST is SCAN with MATCH on the prefix with glob characters escaped. Connect
 * timeout 2 s, command timeout 30 s; a lost connection is re-established on the next call.
 * A server that asks for a password gets AUTH after every connect: the password comes from
 * the URL (percent-encoded where it holds '@', ':' or '/') or else from $REDISCLI_AUTH, as
 * redis-cli takes it. Like the S3 backend's credentials (lambda_port/s3.h) it is never logged
 * and never put in a message: messages name the store by kv_url_redact()'s form of the URL,
 * and the password is wiped when the store is closed.
 */
#define _GNU_SOURCE
#include "kv.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#define REDIS_CONNECT_TIMEOUT_S 2
#define REDIS_COMMAND_TIMEOUT_S 30

struct redis_kv {
    redisContext *c;
    char *url; /* for messages: the password replaced (kv_url_redact) */
    char host[256];
    int port;
    int db;
    char user[256];  /* "": the default user */
    char *password;  /* NULL: none; secret (wiped by redis_close) */
};

/* How to give a password, for the messages of a server that wants one. */
#define REDIS_AUTH_HOW "give it in the URL (redis://[user]:password@host:port/db) or in " \
                       "$REDISCLI_AUTH"

/* hiredis messages start with a capital ("Connection refused"); ours are lower case. */
static const char *lower_first(const char *msg, char *buf, size_t len)
{
    snprintf(buf, len, "%s", msg);
    if (buf[0] && !(buf[0] >= 'A' && buf[0] <= 'Z' && buf[1] >= 'A' && buf[1] <= 'Z'))
        buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}

/* Frees the connection of a store whose connect failed and returns rc. */
static int connect_failed(struct redis_kv *s, int rc)
{
    redisFree(s->c);
    s->c = NULL;
    return rc;
}

/* Sends AUTH (when the store has a password) and a PING, so that a server that wants a
 * password, or refuses this one, says so at once and in words. The reply texts of Redis
 * (WRONGPASS, NOAUTH) never hold the password. */
static int redis_auth(struct redis_kv *s, struct err *e)
{
    redisReply *r;
    if (s->password) {
        r = s->user[0] ? redisCommand(s->c, "AUTH %s %s", s->user, s->password)
                       : redisCommand(s->c, "AUTH %s", s->password);
        if (!r) return err_set(e, SIREN_ENETWORK, "%s: AUTH: connection lost", s->url);
        int bad = r->type == REDIS_REPLY_ERROR;
        int rc = SIREN_OK;
        if (bad && strstr(r->str, "without any password configured"))
            rc = err_set(e, SIREN_EAUTH, "%s: a password was given but the server asks for "
                         "none", s->url);
        else if (bad)
            rc = err_set(e, SIREN_EAUTH, "%s: the server refused the password%s%s (%.120s)",
                         s->url, s->user[0] ? " of user " : "", s->user, r->str);
        freeReplyObject(r);
        if (rc) return rc;
    }
    r = redisCommand(s->c, "PING");
    if (!r) return err_set(e, SIREN_ENETWORK, "%s: PING: connection lost", s->url);
    int rc = SIREN_OK;
    if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "NOAUTH", 6))
        rc = err_set(e, SIREN_EAUTH, "%s: the server asks for a password: " REDIS_AUTH_HOW,
                     s->url);
    else if (r->type == REDIS_REPLY_ERROR)
        rc = err_set(e, SIREN_EBACKEND, "%s: PING failed: %.120s", s->url, r->str);
    freeReplyObject(r);
    return rc;
}

static int redis_connect(struct redis_kv *s, struct err *e)
{
    struct timeval ct = {REDIS_CONNECT_TIMEOUT_S, 0}, cmd = {REDIS_COMMAND_TIMEOUT_S, 0};
    char msg[256];
    if (s->c) redisFree(s->c);
    s->c = redisConnectWithTimeout(s->host, s->port, ct);
    if (!s->c) return err_set(e, SIREN_ENOMEM, "%s: cannot allocate a connection", s->url);
    if (s->c->err)
        return connect_failed(s, err_set(e, SIREN_ENETWORK, "%s: %s", s->url,
                                         lower_first(s->c->errstr, msg, sizeof msg)));
    if (redisSetTimeout(s->c, cmd) != REDIS_OK)
        return connect_failed(s, err_set(e, SIREN_ENETWORK, "%s: cannot set the command timeout",
                                         s->url));
    int rc = redis_auth(s, e);
    if (rc) return connect_failed(s, rc);
    if (s->db != 0) {
        redisReply *r = redisCommand(s->c, "SELECT %d", s->db);
        int bad = !r || r->type == REDIS_REPLY_ERROR;
        if (bad)
            rc = err_set(e, SIREN_EBACKEND, "%s: SELECT %d failed: %s", s->url, s->db,
                         r ? r->str : s->c->errstr);
        if (r) freeReplyObject(r);
        if (bad) return connect_failed(s, rc);
    }
    return SIREN_OK;
}

/* Releases a store and wipes its password. */
static void redis_free(struct redis_kv *s)
{
    if (!s) return;
    if (s->c) redisFree(s->c);
    if (s->password) {
        explicit_bzero(s->password, strlen(s->password));
        free(s->password);
    }
    free(s->url);
    free(s);
}

/* The value of hex digit c, or -1. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Copies text[0..len) percent-decoded into a new string (*out, malloc'ed); SIREN_EINVAL for
 * a bad escape or a NUL, SIREN_ENOMEM. The caller's message must not quote the text. */
static int percent_decode(const char *text, size_t len, char **out)
{
    char *d = malloc(len + 1);
    if (!d) return SIREN_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '%') {
            d[o++] = text[i];
            continue;
        }
        /* Two hex digits must follow; %00 would cut the password short. */
        int hi = i + 2 < len ? hex_value(text[i + 1]) : -1;
        int lo = i + 2 < len ? hex_value(text[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            explicit_bzero(d, o);
            free(d);
            return SIREN_EINVAL;
        }
        d[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    d[o] = '\0';
    *out = d;
    return SIREN_OK;
}

/* The user and password of the URL's user information info[0..len) ("user:password",
 * ":password" or "user"), the password percent-decoded. */
static int parse_userinfo(struct redis_kv *s, const char *info, size_t len, struct err *e)
{
    const char *colon = memchr(info, ':', len);
    size_t ulen = colon ? (size_t)(colon - info) : len;
    if (ulen >= sizeof s->user || memchr(info, '%', ulen))
        return err_set(e, SIREN_EINVAL, "%s: the user name must be under %zu plain characters",
                       s->url, sizeof s->user);
    memcpy(s->user, info, ulen);
    s->user[ulen] = '\0';
    if (!colon) return SIREN_OK;
    int rc = percent_decode(colon + 1, len - ulen - 1, &s->password);
    if (rc == SIREN_ENOMEM) return err_set(e, rc, "%s: out of memory", s->url);
    if (rc)
        return err_set(e, rc, "%s: the password has a bad %%-escape (expected %%XX, not %%00)",
                       s->url);
    return SIREN_OK;
}

static int redis_open(const char *url, void **state, struct err *e)
{
    char shown[1200];
    kv_url_redact(url, shown, sizeof shown);
    const char *p = url + strlen("redis:");
    if (strncmp(p, "//", 2) != 0)
        return err_set(e, SIREN_EINVAL, "%s: expected redis://[[user]:password@]host:port[/db]",
                       shown);
    p += 2;
    struct redis_kv *s = calloc(1, sizeof *s);
    if (!s || !(s->url = strdup(shown))) {
        free(s);
        return err_set(e, SIREN_ENOMEM, "%s: out of memory", shown);
    }
    int rc = SIREN_OK;
    /* The user information ends at the last '@': a host, a port and a database hold none. */
    const char *at = strrchr(p, '@');
    if (at) {
        rc = parse_userinfo(s, p, (size_t)(at - p), e);
        p = at + 1;
    }
    if (!rc && !s->password) {
        const char *env = getenv("REDISCLI_AUTH");
        if (env && env[0] && !(s->password = strdup(env)))
            rc = err_set(e, SIREN_ENOMEM, "%s: out of memory", s->url);
    }
    size_t hlen = strcspn(p, ":/");
    if (!rc && (hlen == 0 || hlen >= sizeof s->host))
        rc = err_set(e, SIREN_EINVAL, "%s: expected redis://[[user]:password@]host:port[/db]",
                     s->url);
    if (!rc) {
        memcpy(s->host, p, hlen);
        s->host[hlen] = '\0';
        p += hlen;
        s->port = 6379;
    }
    char *end;
    if (!rc && *p == ':') {
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535 || (*end && *end != '/'))
            rc = err_set(e, SIREN_EINVAL, "%s: bad port", s->url);
        s->port = (int)port;
        p = end;
    }
    if (!rc && *p == '/' && p[1]) {
        long db = strtol(p + 1, &end, 10);
        if (end == p + 1 || *end || db < 0 || db > 1000000)
            rc = err_set(e, SIREN_EINVAL, "%s: bad database number", s->url);
        s->db = (int)db;
    }
    if (!rc) rc = redis_connect(s, e);
    if (rc) {
        redis_free(s);
        return rc;
    }
    *state = s;
    return SIREN_OK;
}

static void redis_close(void *state) { redis_free(state); }

/* Runs one command; on success *out is a non-error reply the caller frees. A dropped
 * connection is re-opened once before the command is sent. */
static int run(struct redis_kv *s, const char *key, redisReply **out, struct err *e,
               const char *fmt, ...)
{
    *out = NULL;
    if (!s->c || s->c->err) {
        int rc = redis_connect(s, e);
        if (rc) return rc;
    }
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(s->c, fmt, ap);
    va_end(ap);
    if (!r) {
        char msg[256];
        int rc = err_set(e, SIREN_ENETWORK, "key '%s': %s", key,
                         lower_first(s->c->errstr[0] ? s->c->errstr : "connection lost", msg,
                                     sizeof msg));
        redisFree(s->c);
        s->c = NULL;
        return rc;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        int rc = !strncmp(r->str, "NOAUTH", 6)
                     ? err_set(e, SIREN_EAUTH, "key '%s': the server asks for a password: "
                               REDIS_AUTH_HOW, key)
                     : err_set(e, SIREN_EBACKEND, "key '%s': redis error: %s", key, r->str);
        freeReplyObject(r);
        return rc;
    }
    *out = r;
    return SIREN_OK;
}

/* A put: SET takes one value, so kv.c hands the object over whole (no write_open);
 * KV_COMMIT_NEW is SET NX, whose nil reply means the key had an object. */
static int redis_write_end(void *state, const char *key, struct kv_raw *raw, int commit,
                           struct err *e)
{
    redisReply *r = NULL;
    int rc = SIREN_OK;
    if (commit == KV_COMMIT_NEW)
        rc = run(state, key, &r, e, "SET %b %b NX", key, strlen(key), raw->data,
                 (size_t)raw->len);
    else if (commit)
        rc = run(state, key, &r, e, "SET %b %b", key, strlen(key), raw->data, (size_t)raw->len);
    if (!rc && r && commit == KV_COMMIT_NEW && r->type == REDIS_REPLY_NIL)
        rc = err_set(e, SIREN_EEXISTS, "key '%s': already exists", key);
    if (r) freeReplyObject(r);
    return rc;
}

/* A get: the whole value comes in GET's reply, which kv.c reads from where it lies. */
static int redis_read_open(void *state, const char *key, struct kv_raw *raw, struct err *e)
{
    struct redis_kv *s = state;
    redisReply *r;
    int rc = run(s, key, &r, e, "GET %b", key, strlen(key));
    if (rc) return rc;
    if (r->type == REDIS_REPLY_NIL)
        rc = err_set(e, SIREN_ENOTFOUND, "key '%s': not found", key);
    else if (r->type != REDIS_REPLY_STRING)
        rc = err_set(e, SIREN_EFORMAT, "key '%s': not a string value (reply type %d)", key,
                     r->type);
    if (rc) {
        freeReplyObject(r);
        return rc;
    }
    raw->len = r->len;
    raw->data = (uint8_t *)r->str;
    raw->handle = r;
    return SIREN_OK;
}

static void redis_read_close(void *state, struct kv_raw *raw)
{
    (void)state;
    freeReplyObject(raw->handle);
}

static int redis_list(void *state, const char *prefix, struct kv_keys *out, struct err *e)
{
    struct redis_kv *s = state;
    /* MATCH pattern: the prefix with glob characters escaped, then '*'. */
    size_t plen = strlen(prefix);
    char *pattern = malloc(2 * plen + 2);
    if (!pattern) return err_set(e, SIREN_ENOMEM, "out of memory while listing");
    size_t o = 0;
    for (size_t i = 0; i < plen; i++) {
        if (strchr("*?[]\\^", prefix[i])) pattern[o++] = '\\';
        pattern[o++] = prefix[i];
    }
    pattern[o++] = '*';
    pattern[o] = '\0';
    char cursor[32] = "0";
    size_t cap = 0;
    int rc = SIREN_OK;
    do {
        redisReply *r;
        rc = run(s, prefix, &r, e, "SCAN %s MATCH %s COUNT 1000", cursor, pattern);
        if (rc) break;
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            r->element[0]->type != REDIS_REPLY_STRING ||
            r->element[1]->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(r);
            rc = err_set(e, SIREN_EBACKEND, "prefix '%s': unexpected SCAN reply", prefix);
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        redisReply *keys = r->element[1];
        for (size_t i = 0; i < keys->elements && !rc; i++) {
            redisReply *k = keys->element[i];
            if (k->type != REDIS_REPLY_STRING || kv_key_check(k->str, k->len, NULL) != 0)
                continue; /* not a key siren could have written */
            if (out->count == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                char **grown = realloc(out->keys, ncap * sizeof *grown);
                if (!grown) {
                    rc = err_set(e, SIREN_ENOMEM, "out of memory while listing");
                    break;
                }
                out->keys = grown;
                cap = ncap;
            }
            if (!(out->keys[out->count] = strndup(k->str, k->len)))
                rc = err_set(e, SIREN_ENOMEM, "out of memory while listing");
            else
                out->count++;
        }
        freeReplyObject(r);
    } while (!rc && strcmp(cursor, "0") != 0);
    free(pattern);
    return rc;
}

static int redis_del(void *state, const char *key, struct err *e)
{
    struct redis_kv *s = state;
    redisReply *r;
    int rc = run(s, key, &r, e, "DEL %b", key, strlen(key));
    if (rc) return rc;
    if (r->type == REDIS_REPLY_INTEGER && r->integer == 0)
        rc = err_set(e, SIREN_ENOTFOUND, "key '%s': not found", key);
    freeReplyObject(r);
    return rc;
}

const struct kv_ops kv_redis_ops = {
    .scheme = "redis",
    .open = redis_open,
    .close = redis_close,
    .list = redis_list,
    .del = redis_del,
    .read_open = redis_read_open,
    .read_close = redis_read_close,
    .write_end = redis_write_end,
    .put_new = 1,
};

/*
 * fetch: makes a registry dataset's raw files present and verified in
 * $SIREN_DATA_DIR/raw/NAME/. Sources in order: the cached copy (trusted while its stamp of
 * size, mtime and SHA-256 still matches), the mirror, a distribution package's copy, the
 * publisher's address (libcurl), or the publisher's archive (a ustar .tar.gz read with zlib).
 * Every file is checked against datasets/sums before it is committed with tmp + rename, so
 * the cache holds only verified files. A mismatch is an error, never silently refetched.
 */
#include "ds_internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define PATH_LEN 4096
#define CONNECT_TIMEOUT_S 15L
#define STALL_TIMEOUT_S 60L /* abort a download that moves under 1 KB/s for this long */

/* MD5 of a file as hex, for the publisher copies only MD5s were published for. */
static int md5_file(const char *path, char hex[33], struct err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) return err_errno(e, errno, "cannot open %s", path);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char buf[1 << 16], md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0) ok = EVP_DigestUpdate(ctx, buf, n);
    ok = ok && !ferror(f) && EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    fclose(f);
    if (!ok) return err_set(e, SIREN_EIO, "cannot hash %s", path);
    for (unsigned i = 0; i < mdlen; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return SIREN_OK;
}

/* Checks the file at `path` as raw file `file` of `entry`: its SHA-256 must be one of the
 * kept sums (or its MD5 one of the kept publisher MD5s). Puts the actual SHA-256 in sha. */
static int verify(const struct ds_entry *entry, const char *file, const char *path,
                  char sha[65], struct err *e)
{
    int rc = sha256_file(path, sha, e);
    if (rc) return rc;
    char want[65], first[65] = "";
    struct err ignore;
    for (int i = 0; ds_sum_find(entry->name, "sha256", file, i, want, sizeof want, &ignore) == 0; i++) {
        if (!strcmp(want, sha)) return SIREN_OK;
        if (!first[0]) memcpy(first, want, sizeof want);
    }
    char md5want[33], md5[33];
    if (ds_sum_find(entry->name, "md5", file, 0, md5want, sizeof md5want, &ignore) == 0) {
        rc = md5_file(path, md5, e);
        if (rc) return rc;
        for (int i = 0; ds_sum_find(entry->name, "md5", file, i, md5want, sizeof md5want, &ignore) == 0; i++)
            if (!strcmp(md5want, md5)) return SIREN_OK;
    }
    if (!first[0]) {
        if (entry->sums_unknown) {
            LOG_WARN("datasets", "%s: %s: no published sum to check against; recording sha256 %s",
                     entry->name, file, sha);
            return SIREN_OK;
        }
        return err_set(e, SIREN_ECHECKSUM, "%s: %s: no SHA-256 kept in datasets/sums/%s.sha256",
                       entry->name, file, entry->name);
    }
    return err_set(e, SIREN_ECHECKSUM, "%s: %s (%s): SHA-256 mismatch: expected %s, got %s",
                   entry->name, file, path, first, sha);
}

/* The stamp next to a cached file: "size mtime_s mtime_ns sha256". */
static void stamp_path(const char *dst, char *buf, size_t buflen)
{
    const char *base = ds_basename(dst);
    snprintf(buf, buflen, "%.*s.%s.stamp", (int)(base - dst), dst, base);
}

static int stamp_write(const char *dst, const char *sha, struct err *e)
{
    struct stat st;
    if (stat(dst, &st) != 0) return err_errno(e, errno, "cannot stat %s", dst);
    char sp[PATH_LEN], text[160];
    stamp_path(dst, sp, sizeof sp);
    int n = snprintf(text, sizeof text, "%lld %lld %ld %s\n", (long long)st.st_size,
                     (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec, sha);
    return fs_write_atomic(sp, text, (size_t)n, e);
}

/* The SHA-256 recorded for dst when its stamp still describes it, else "" . */
static void stamp_read(const char *dst, char sha[65])
{
    sha[0] = '\0';
    struct stat st;
    char sp[PATH_LEN];
    stamp_path(dst, sp, sizeof sp);
    FILE *f = fopen(sp, "r");
    if (!f) return;
    long long size, sec;
    long nsec;
    char hex[65];
    int n = fscanf(f, "%lld %lld %ld %64s", &size, &sec, &nsec, hex);
    fclose(f);
    if (n != 4 || stat(dst, &st) != 0) return;
    if (size == (long long)st.st_size && sec == (long long)st.st_mtim.tv_sec &&
        nsec == (long)st.st_mtim.tv_nsec)
        memcpy(sha, hex, 65);
}

/* Copies src to tmp (a hard link when both are on one filesystem). */
static int copy_file(const char *src, const char *tmp, struct err *e)
{
    if (link(src, tmp) == 0) return SIREN_OK;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) return err_errno(e, errno, "cannot open %s", src);
    int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        int saved = errno;
        close(in);
        return err_errno(e, saved, "cannot create %s", tmp);
    }
    char buf[1 << 16];
    ssize_t n;
    int rc = SIREN_OK;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) {
                rc = err_errno(e, errno, "cannot write %s", tmp);
                break;
            }
            off += w;
        }
        if (rc) break;
    }
    if (!rc && n < 0) rc = err_errno(e, errno, "cannot read %s", src);
    close(in);
    if (close(out) != 0 && !rc) rc = err_errno(e, errno, "cannot write %s", tmp);
    if (rc) unlink(tmp);
    return rc;
}

/* Downloads url into tmp; the message says why not. Never waits forever: connect and stall
 * timeouts bound every transfer. */
static int download(const char *url, const char *tmp, struct err *e)
{
    if (getenv("SIREN_DATA_OFFLINE") && *getenv("SIREN_DATA_OFFLINE"))
        return err_set(e, SIREN_ENETWORK, "download from %s skipped: SIREN_DATA_OFFLINE is set", url);
    FILE *f = fopen(tmp, "wbx");
    if (!f) return err_errno(e, errno, "cannot create %s", tmp);
    static int curl_ready;
    if (!curl_ready) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        curl_ready = 1;
    }
    CURL *c = curl_easy_init();
    char errbuf[CURL_ERROR_SIZE] = "";
    CURLcode cc = CURLE_FAILED_INIT;
    if (c) {
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, STALL_TIMEOUT_S);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "siren-datasets/0.1");
        LOG_INFO("datasets", "downloading %s", url);
        cc = curl_easy_perform(c);
        curl_easy_cleanup(c);
    }
    int closed = fclose(f);
    if (cc != CURLE_OK || closed != 0) {
        unlink(tmp);
        return err_set(e, SIREN_ENETWORK, "download from %s failed: %s", url,
                       cc != CURLE_OK ? (errbuf[0] ? errbuf : curl_easy_strerror(cc))
                                      : "cannot write the file");
    }
    return SIREN_OK;
}

/* ------------------------------------------------------- ustar extraction */

static uint64_t tar_size(const unsigned char *h)
{
    uint64_t v = 0;
    if (h[124] & 0x80) { /* base-256, GNU tar's form for members of 8 GiB and more */
        for (int i = 1; i < 12; i++) v = v << 8 | h[124 + i];
        return v;
    }
    for (int i = 0; i < 12 && h[124 + i]; i++) {
        if (h[124 + i] >= '0' && h[124 + i] <= '7') v = v * 8 + (uint64_t)(h[124 + i] - '0');
    }
    return v;
}

/* Writes member `member` of the .tar.gz archive into tmp. */
static int tar_extract(const char *archive, const char *member, const char *tmp, struct err *e)
{
    gzFile gz = gzopen(archive, "rb");
    if (!gz) return err_errno(e, errno ? errno : ENOMEM, "cannot open %s", archive);
    unsigned char h[512];
    static unsigned char buf[1 << 16];
    int rc = err_set(e, SIREN_ENOTFOUND, "%s: member %s not found", archive, member);
    for (;;) {
        if (gzread(gz, h, 512) != 512) break;
        int zero = 1;
        for (int i = 0; i < 512 && zero; i++) zero = h[i] == 0;
        if (zero) break;
        char name[260];
        if (!memcmp(h + 257, "ustar", 5) && h[345])
            snprintf(name, sizeof name, "%.155s/%.100s", (const char *)h + 345, (const char *)h);
        else
            snprintf(name, sizeof name, "%.100s", (const char *)h);
        const char *n = !strncmp(name, "./", 2) ? name + 2 : name;
        uint64_t size = tar_size(h), left = size;
        FILE *out = NULL;
        if ((h[156] == '0' || h[156] == '\0') && !strcmp(n, member)) {
            out = fopen(tmp, "wbx");
            if (!out) {
                rc = err_errno(e, errno, "cannot create %s", tmp);
                break;
            }
        }
        uint64_t padded = (size + 511) / 512 * 512;
        left = padded;
        int bad = 0;
        while (left > 0 && !bad) {
            unsigned chunk = left > sizeof buf ? (unsigned)sizeof buf : (unsigned)left;
            int got = gzread(gz, buf, chunk);
            if (got <= 0) {
                bad = 1;
                break;
            }
            uint64_t consumed = padded - left; /* data bytes before this chunk */
            if (out && consumed < size) {
                size_t keep = (size_t)((size - consumed) < (uint64_t)got ? size - consumed : (uint64_t)got);
                if (fwrite(buf, 1, keep, out) != keep) bad = 2;
            }
            left -= (uint64_t)got;
        }
        if (out) {
            if (fclose(out) != 0 && !bad) bad = 2;
            if (bad) {
                unlink(tmp);
                rc = bad == 2 ? err_set(e, SIREN_EIO, "cannot write %s", tmp)
                              : err_set(e, SIREN_EFORMAT, "%s: member %s truncated", archive, member);
            } else {
                err_clear(e);
                rc = SIREN_OK;
            }
            break;
        }
        if (bad) {
            rc = err_set(e, SIREN_EFORMAT, "%s: truncated archive", archive);
            break;
        }
    }
    gzclose(gz);
    return rc;
}

/* ------------------------------------------------------------------ fetch */

/* Moves the verified tmp into dst and stamps it. */
static int commit(const char *tmp, const char *dst, const char *sha, struct err *e)
{
    int rc = fs_commit_tmp(tmp, dst, e);
    if (!rc) rc = stamp_write(dst, sha, e);
    return rc;
}

/* Brings the publisher's archive into raw/NAME/ (cached, mirror, download); verified when a
 * sum is kept for it. */
static int fetch_archive(const struct ds_entry *entry, const char *mirror, char *why,
                         size_t whylen, struct err *e)
{
    char dst[PATH_LEN], tmp[PATH_LEN + 64], sha[65], src[PATH_LEN];
    ds_raw_path(entry, entry->archive_name, dst, sizeof dst);
    stamp_read(dst, sha);
    if (sha[0]) return SIREN_OK;
    fs_tmp_name(dst, tmp, sizeof tmp);
    int rc;
    snprintf(src, sizeof src, "%s/%s", mirror, entry->archive_mirror);
    if (mirror[0] && fs_exists(src)) {
        rc = copy_file(src, tmp, e);
    } else {
        rc = download(entry->archive_url, tmp, e);
        if (rc) {
            snprintf(why, whylen, "%s", e->msg);
            return rc;
        }
    }
    if (!rc) rc = verify(entry, entry->archive_name, tmp, sha, e);
    if (!rc) return commit(tmp, dst, sha, e);
    fs_abort_tmp(tmp);
    return rc;
}

static int fetch_file(const struct ds_entry *entry, const struct ds_raw_file *rf,
                      const char *mirror, struct err *e)
{
    char dst[PATH_LEN], tmp[PATH_LEN + 64], sha[65];
    ds_raw_path(entry, rf->name, dst, sizeof dst);
    stamp_read(dst, sha);
    if (sha[0]) {
        LOG_DEBUG("datasets", "%s: %s: cached and stamped", entry->name, rf->name);
        return SIREN_OK;
    }
    if (fs_exists(dst)) {
        /* A cached file without a valid stamp: re-hash it rather than trust it. */
        if (verify(entry, rf->name, dst, sha, e) == SIREN_OK) return stamp_write(dst, sha, e);
        LOG_WARN("datasets", "%s; fetching it again", e->msg);
        unlink(dst);
    }
    fs_tmp_name(dst, tmp, sizeof tmp);
    int rc;
    char mirror_path[PATH_LEN] = "";
    if (mirror[0]) snprintf(mirror_path, sizeof mirror_path, "%s/%s", mirror, rf->mirror_path);
    const char *local = NULL;
    if (mirror_path[0] && fs_exists(mirror_path)) local = mirror_path;
    else if (rf->system_path && fs_exists(rf->system_path)) local = rf->system_path;
    if (local) {
        /* Verify the source first: a corrupt mirror is reported, not copied. */
        rc = verify(entry, rf->name, local, sha, e);
        if (!rc) rc = copy_file(local, tmp, e);
        if (!rc) rc = commit(tmp, dst, sha, e);
        if (!rc) LOG_INFO("datasets", "%s: %s: from %s (sha256 %.12s...)", entry->name, rf->name, local, sha);
        return rc;
    }
    char why[1200] = "no publisher address";
    if (rf->url) {
        rc = download(rf->url, tmp, e);
        if (!rc) {
            rc = verify(entry, rf->name, tmp, sha, e);
            if (!rc) return commit(tmp, dst, sha, e);
            fs_abort_tmp(tmp);
            return rc;
        }
        snprintf(why, sizeof why, "%s", e->msg);
    } else if (rf->member && entry->archive_name) {
        rc = fetch_archive(entry, mirror, why, sizeof why, e);
        if (rc && e->code != SIREN_ENETWORK) return rc;
        if (!rc) {
            char archive[PATH_LEN];
            ds_raw_path(entry, entry->archive_name, archive, sizeof archive);
            rc = tar_extract(archive, rf->member, tmp, e);
            if (!rc) rc = verify(entry, rf->name, tmp, sha, e);
            if (!rc) return commit(tmp, dst, sha, e);
            fs_abort_tmp(tmp);
            return rc;
        }
    }
    return err_set(e, SIREN_ENOTFOUND, "%s: %s: not in mirror %s%s%s, %s", entry->name, rf->name,
                   mirror[0] ? mirror : "(none)", rf->system_path ? " nor at " : "",
                   rf->system_path ? rf->system_path : "", why);
}

int ds_fetch(const struct ds_entry *entry, struct err *e)
{
    char dir[PATH_LEN], mirror[PATH_LEN];
    ds_data_dir(dir, sizeof dir);
    ds_mirror_dir(mirror, sizeof mirror);
    char raw[PATH_LEN + 128];
    snprintf(raw, sizeof raw, "%s/raw/%s", dir, entry->name);
    int rc = fs_mkdir_p(raw, e);
    if (rc) return err_prefix(e, "%s: cache directory %s is not writable", entry->name, dir);
    int first = SIREN_OK;
    struct err first_e;
    err_clear(&first_e);
    for (size_t i = 0; i < entry->n_files; i++) {
        struct err fe;
        err_clear(&fe);
        rc = fetch_file(entry, &entry->files[i], mirror, &fe);
        if (rc) {
            /* Report every missing file, return the first failure. */
            if (first == SIREN_OK) {
                first = rc;
                first_e = fe;
            } else {
                LOG_ERROR("datasets", "%s", fe.msg);
            }
        }
    }
    if (first && e) *e = first_e;
    return first;
}

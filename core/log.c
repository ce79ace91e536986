/* Logging to stderr: "[r3 fn=17 t=1234.5ms] [kv/INFO] message". The level is checked before
 * formatting (LOG_* macros); the prefix holds no wall-clock time, so two runs' logs diff. */
#include "core.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int log_threshold = LOG_LEVEL_INFO;
static int log_rank = -1;
static int log_fn = -1;
static double log_vtime_ms = -1.0;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void log_set_level(enum log_level level) { log_threshold = (int)level; }
void log_set_rank(int rank) { log_rank = rank; }
void log_set_fn(int fn_index) { log_fn = fn_index; }
void log_set_vtime_ms(double vtime_ms) { log_vtime_ms = vtime_ms; }

void log_init_from_env(void)
{
    const char *v = getenv("SIREN_LOG");
    if (!v) return;
    for (int i = 0; i <= LOG_LEVEL_DEBUG; i++) {
        if (strcasecmp(v, level_names[i]) == 0) log_threshold = i;
    }
}

void log_write(enum log_level level, const char *category, const char *fmt, ...)
{
    char prefix[96] = "";
    size_t n = 0;
    if (log_rank >= 0 || log_fn >= 0 || log_vtime_ms >= 0) {
        n += (size_t)snprintf(prefix + n, sizeof prefix - n, "[");
        if (log_rank >= 0) n += (size_t)snprintf(prefix + n, sizeof prefix - n, "r%d", log_rank);
        if (log_fn >= 0) n += (size_t)snprintf(prefix + n, sizeof prefix - n, " fn=%d", log_fn);
        if (log_vtime_ms >= 0)
            n += (size_t)snprintf(prefix + n, sizeof prefix - n, " t=%.1fms", log_vtime_ms);
        snprintf(prefix + n, sizeof prefix - n, "] ");
    }
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One fprintf per line so lines from several processes do not interleave mid-line. */
    fprintf(stderr, "%s[%s/%s] %s\n", prefix, category, level_names[level], msg);
}

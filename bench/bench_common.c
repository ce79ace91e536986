/* What every benchmark report starts with: the machine, the commit and the configuration. */
#define _GNU_SOURCE
#include "bench.h"

#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static void cpu_model(char *buf, size_t len)
{
    snprintf(buf, len, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "model name", 10)) {
            char *colon = strchr(line, ':');
            if (colon) {
                snprintf(buf, len, "%s", colon + 2);
                buf[strcspn(buf, "\n")] = '\0';
            }
            break;
        }
    }
    fclose(f);
}

void bench_write_header(FILE *f, const char *suite, const char *config)
{
    struct utsname u;
    char cpu[256], date[64];
    uname(&u);
    cpu_model(cpu, sizeof cpu);
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    fprintf(f, "<!-- siren bench %s -->\n", suite);
    fprintf(f, "- machine: %s, %ld online CPUs, %s %s %s\n", cpu, sysconf(_SC_NPROCESSORS_ONLN),
            u.sysname, u.release, u.machine);
    fprintf(f, "- commit: %s\n- date: %s\n- configuration: %s\n\n", build_commit(), date,
            config ? config : "defaults");
}

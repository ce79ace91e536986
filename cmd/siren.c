/* siren: one binary, git-style subcommands. */
#include "cmd.h"

#include <stdio.h>
#include <string.h>

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand subcommands[] = {
#define CMD_ROW(name, summary) {#name, cmd_##name, summary},
    CMD_LIST(CMD_ROW)
#undef CMD_ROW
};

static void usage(FILE *f)
{
    fprintf(f, "usage: siren <command> [options]   (siren <command> --help for each)\n\n"
               "Serverless ML training (Siren, INFOCOM 2019), emulated on MPI.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
        fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(f, "\nenvironment:\n");
    env_help_write(f, "");
}

int cmd_fail(const char *cmd, const struct err *e)
{
    fprintf(stderr, "siren %s: %s\n", cmd, e->msg[0] ? e->msg : err_str(e->code));
    return 1;
}

int cmd_verb_help(int argc, char **argv, void (*write_usage)(FILE *f))
{
    if (argc < 2) {
        write_usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        write_usage(stdout);
        return 0;
    }
    return OPT_GO_ON;
}

int main(int argc, char **argv)
{
    /* Run outputs, traces and KV objects are never world-writable, whatever the umask. */
    fs_umask_no_world_write();
    log_init_from_env();
    int rc = cmd_verb_help(argc, argv, usage);
    if (rc != OPT_GO_ON) return rc;
    if (!strcmp(argv[1], "--version")) {
        printf("siren %s (commit %s)\n", "0.1.0", build_commit());
        return 0;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++) {
        if (!strcmp(argv[1], subcommands[i].name))
            return subcommands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "siren: '%s' is not a siren command\n", argv[1]);
    usage(stderr);
    return 2;
}

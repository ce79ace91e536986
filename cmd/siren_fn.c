/*
 * siren-fn: the sandboxed function process. Started by its host (sandbox.c) with posix_spawn;
 * reads framed events on stdin and writes framed responses on stdout until stdin ends (see
 * emu/fn_runtime.h). Links no MPI and no libcurl (which alone loads some thirty libraries):
 * its stores are file: and redis://; s3:// functions run in bootstrap, the Lambda runtime.
 * Start-up registers handlers and nothing else, so a cold start costs little more than exec
 * and the dynamic loader.
 */
#include "fn_runtime.h"
#include "handler.h"

#include <malloc.h>
#include <unistd.h>

int main(void)
{
    /* The warm container's cache (open KV connections) lives as long as the process. */
    static struct fn_context train_ctx;
    /* A warm function reads and writes objects of the same sizes every step. glibc would map
     * and unmap each block above 128 KiB, faulting its pages in again every time; keeping
     * blocks below 32 MiB on the heap reuses them. Larger blocks still go back to the system,
     * so a warm container's resident memory follows what its invocations really use. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
    fn_runtime_register_builtins();
    struct err e;
    err_clear(&e);
    if (fn_runtime_register("train", fn_handler_train, &train_ctx)) {
        fprintf(stderr, "siren-fn: cannot register the training handler\n");
        return 1;
    }
    int rc = fn_runtime_serve(STDIN_FILENO, STDOUT_FILENO, &e);
    fn_context_free(&train_ctx);
    if (rc) {
        fprintf(stderr, "siren-fn: %s\n", e.msg);
        return 1;
    }
    return 0;
}

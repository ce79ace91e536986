/*
 * job_wire: the messages between rank 0 and the invoker ranks. Every message is JSON text
 * sent point-to-point with one of the job's MPI tags (TAG_TASKS: rank 0's task message,
 * TAG_RESULTS: an invoker's answer, TAG_STOP: the end of the job). A waiting rank polls
 * instead of blocking in MPI, because it shares the host's cores with the sandboxes.
 */
#include "job_internal.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int job_msg_send(const char *text, int dest, int tag, struct err *e)
{
    int len = (int)strlen(text) + 1;
    if (MPI_Send(text, len, MPI_CHAR, dest, tag, MPI_COMM_WORLD) != MPI_SUCCESS)
        return err_set(e, SIREN_EMPI, "MPI_Send to rank %d failed", dest);
    return SIREN_OK;
}

int job_msg_recv(int src, int *tag, int *from, char **out, struct err *e)
{
    MPI_Status st;
    int count, ready = 0;
    *out = NULL;
    /* Poll politely: a blocking MPI_Probe spins on a core that the functions need (a waiting
     * rank shares the host with the sandboxes). Back off from 50 us to 2 ms between probes. */
    for (long pause_ns = 50000; !ready;) {
        if (MPI_Iprobe(src, MPI_ANY_TAG, MPI_COMM_WORLD, &ready, &st) != MPI_SUCCESS)
            return err_set(e, SIREN_EMPI, "MPI_Iprobe failed");
        if (ready) break;
        struct timespec ts = {0, pause_ns};
        nanosleep(&ts, NULL);
        if (pause_ns < 2000000) pause_ns *= 2;
    }
    if (MPI_Get_count(&st, MPI_CHAR, &count) != MPI_SUCCESS)
        return err_set(e, SIREN_EMPI, "MPI_Get_count failed");
    char *buf = malloc((size_t)count + 1);
    if (!buf) return err_set(e, SIREN_ENOMEM, "out of memory for a %d-byte message", count);
    if (MPI_Recv(buf, count, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE) != MPI_SUCCESS) {
        free(buf);
        return err_set(e, SIREN_EMPI, "MPI_Recv from rank %d failed", st.MPI_SOURCE);
    }
    buf[count] = '\0';
    *tag = st.MPI_TAG;
    *from = st.MPI_SOURCE;
    *out = buf;
    return SIREN_OK;
}

/*
 * fuzz_calibration: calibration JSON (calibration_load). The input is the whole file; the
 * entry looked up is that of one fixed workload, whose name the seeds use, plus one that is
 * never present so the not-found path runs on every input.
 */
#include "calibration.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *path = fuzz_write_file(0, "calibration.json", data, size);
    struct calibration_entry c;
    struct err e;
    (void)calibration_load(path, "lenet-fashion", &c, &e);
    (void)calibration_load(path, "no-such-workload", &c, &e);
    return 0;
}

/*
 * fuzz_util: what every fuzz target shares. Most parsers take a path, so the input bytes are
 * written to a file in one per-process scratch directory (on /dev/shm when it exists, created
 * on first use and removed at exit). Nothing here is used by the library; it is test code.
 * Inputs are cut into pieces with fuzz_split so that one input can drive two files.
 */
#ifndef SIREN_FUZZ_UTIL_H
#define SIREN_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The scratch directory ("$SIREN_FUZZ_TMPDIR/siren-fuzz-XXXXXX", else under /dev/shm or
 * $TMPDIR); aborts when it cannot be made, since
 * a target without it would test nothing. Borrowed; valid until exit. */
const char *fuzz_dir(void);

/* Writes len bytes to fuzz_dir()/name (replacing it) and returns the path in a static buffer
 * of its own per name slot (slot 0..3), so two files can be open at once. Aborts on I/O
 * errors: the harness, not the parser, failed. */
const char *fuzz_write_file(int slot, const char *name, const uint8_t *data, size_t len);

/* Splits data at the first occurrence of sep (a byte string of sep_len): a is before it, b
 * after. Without sep, a is everything and b is empty (*has_b = 0). */
void fuzz_split(const uint8_t *data, size_t len, const char *sep, size_t sep_len,
                const uint8_t **a, size_t *a_len, const uint8_t **b, size_t *b_len, int *has_b);

/* Quiets the library's logging (errors are the expected outcome of most inputs). */
void fuzz_quiet(void);

#endif

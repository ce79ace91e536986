/*
 * clang_kernels: force-included (-include) into the kernels' sources in the fuzz build only,
 * where the compiler is clang 14. The kernels are written for GCC: clang refuses their
 * target_clones on functions declared earlier without it, and has no __builtin_shuffle.
 * Fuzzing needs coverage, not SIMD clones, so the attribute becomes `unused` and the shuffle
 * a lane-by-lane loop with GCC's meaning (lane i takes element mask[i] of a:b). The project's
 * own builds never see this file.
 */
#ifndef SIREN_FUZZ_CLANG_KERNELS_H
#define SIREN_FUZZ_CLANG_KERNELS_H

#if defined(__clang__)
#define target_clones(...) unused

#define __builtin_shuffle(a, b, mask)                                                  \
    __extension__({                                                                    \
        __typeof__(a) shuf_r_;                                                         \
        const int shuf_n_ = (int)(sizeof shuf_r_ / sizeof shuf_r_[0]);                 \
        for (int shuf_i_ = 0; shuf_i_ < shuf_n_; shuf_i_++) {                          \
            int shuf_k_ = (int)((mask)[shuf_i_]) & (2 * shuf_n_ - 1);                  \
            shuf_r_[shuf_i_] = shuf_k_ < shuf_n_ ? (a)[shuf_k_] : (b)[shuf_k_ - shuf_n_]; \
        }                                                                              \
        shuf_r_;                                                                       \
    })
#endif

#endif

/* latency (see latency.h): lognormal draws per request, from per-function streams. */
#include "latency.h"

#include <math.h>

/* The standard normal's 95th percentile. */
#define Z95 1.6448536269514722

double latency_sigma(double median, double p95)
{
    if (!(median > 0) || !(p95 > median)) return 0.0;
    return log(p95 / median) / Z95;
}

double latency_mean(double median, double sigma)
{
    return median * exp(0.5 * sigma * sigma);
}

void latency_stream(uint64_t seed, int epoch, int fn, struct rng *out)
{
    /* A tag keeps these streams apart from the other users of the seed (shuffles, faults). */
    uint64_t id = 0x4c4154454e4359ull ^ ((uint64_t)(uint32_t)epoch << 32) ^ (uint32_t)fn;
    rng_seed_stream(out, seed, id);
}

double latency_draw(struct rng *r, double median, double sigma)
{
    if (!r || !(sigma > 0)) return median;
    double z = rng_normal(r);
    if (z > 6) z = 6;
    if (z < -6) z = -6;
    return median * exp(sigma * z);
}

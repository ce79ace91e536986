/*
 * latency: the draws of variable latency (--latency variable). Every start and request latency
 * is drawn from a lognormal whose median and 95th percentile are the preset's; fixed latency
 * takes every latency at its median. A draw comes from the stream of (seed, epoch, function),
 * and a function's draws are taken in the order the planner times its requests, so a plan is
 * the same on every rank, for every -n and in the simulator.
 */
#ifndef SIREN_LATENCY_H
#define SIREN_LATENCY_H

#include <stdint.h>

#include "core.h"

/* The lognormal's shape from its median and 95th percentile: ln(p95 / median) / z_0.95; 0 when
 * either is not positive or p95 <= median (every draw is then the median). */
double latency_sigma(double median, double p95);

/* Mean of the lognormal of that median and shape: median exp(sigma^2 / 2). */
double latency_mean(double median, double sigma);

/* The stream of function fn in epoch (from 1; ASP's whole run uses its first epoch). */
void latency_stream(uint64_t seed, int epoch, int fn, struct rng *out);

/* One draw: median exp(sigma z), z standard normal clamped to [-6, 6] (a one-in-a-billion
 * tail, so that no single draw runs into hours). r NULL or sigma 0: the median itself. */
double latency_draw(struct rng *r, double median, double sigma);

#endif

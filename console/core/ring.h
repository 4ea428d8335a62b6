/*
 * ring - fixed-size telemetry history: the last `cap` samples of each of
 * `n` series, allocated once.  Memory does not grow with run length; the
 * oldest sample is overwritten.  Invalid samples are stored as NaN (the
 * history is for display and forecasting, never for drivers).
 */
#ifndef WATTSON_RING_H
#define WATTSON_RING_H

#include <stddef.h>
#include <stdint.h>

struct ring {
    double *buf; /* cap rows of n samples, one row per push */
    size_t n;
    uint32_t cap;  /* a power of two */
    uint32_t head; /* slot the next push writes */
    uint32_t len;  /* samples held, <= cap */
};

/* cap is rounded up to a power of two. Returns 0 or -1 (no memory). */
int ring_init(struct ring *r, size_t n, uint32_t cap);
void ring_free(struct ring *r);
/* Pushes one sample per series. */
void ring_push(struct ring *r, const double *vals, const uint8_t *valid);
/* Sample `age` pushes ago (0 = newest) of series `i`; NaN if none. */
double ring_get(const struct ring *r, size_t i, uint32_t age);

#endif

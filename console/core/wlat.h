/*
 * wlat - the latency distribution of every operation a lab served, pooled
 * over its processing units and weighted by work, rebuilt from each PU's
 * per-tick arrivals and service (what `bench broker` reports as the
 * work-weighted p99).
 *
 * Each PU is a FIFO served as a fluid (the sim's model, drivers/sim/pu.c):
 * a tick's arrivals come as one batch stamped at the tick's start t0, and
 * the tick serves `served` ops from t0 at `thr` op/s, the oldest first, so
 * the op at offset y of the tick's service completes at t0 + y / thr.  An
 * op's latency is its completion less its batch's stamp; a slice of ops
 * that arrived together spreads its latencies evenly over an interval,
 * and goes into a log-linear histogram (octaves of WLAT_SUB buckets from
 * 1 us) spread exactly over the buckets it covers.  Quantiles interpolate
 * inside a bucket: the error is below one bucket's width (12.5 %).
 *
 * Each PU keeps the batches not yet served in a ring of fixed size; when
 * it is full the two oldest batches merge under the older stamp, so a
 * latency can be overstated, never hidden.  Nothing allocates after
 * wlat_init.
 */
#ifndef WATTSON_WLAT_H
#define WATTSON_WLAT_H

#include <stddef.h>

#define WLAT_SUB 8
#define WLAT_OCTAVES 36 /* 1 us .. 2^36 us (19 h) */
#define WLAT_BINS (WLAT_SUB * WLAT_OCTAVES)

struct wlat_batch {
    double end; /* cumulative arrivals when the batch ends */
    double t;   /* its stamp, s */
};

struct wlat_pu {
    struct wlat_batch *ring;
    size_t head, len; /* oldest at head */
    double lo;        /* cumulative arrivals where the oldest batch starts */
    double arrived;   /* cumulative arrivals */
    double served;    /* cumulative service */
};

struct wlat {
    struct wlat_pu *pu;
    size_t npu, cap;
    double bin[WLAT_BINS];
    double edge[WLAT_BINS + 1]; /* bucket b is [edge[b], edge[b + 1]) */
    double under;               /* weight below 1 us */
    double weight;              /* every op served */
    double vmax;                /* the largest latency seen, s */
};

/* npu PUs, each with a ring of `cap` (>= 2) batches.  0, or -1 when out of
 * memory (nothing to free then). */
int wlat_init(struct wlat *w, size_t npu, size_t cap);
/* Empties every ring and the histogram, for the next run. */
void wlat_reset(struct wlat *w);
/* PU i's tick starting at t0 (s): `arrived` ops came, `served` were
 * served at `thr` op/s.  Values that are not finite and >= 0 (thr > 0
 * when served > 0) are ignored. */
void wlat_tick(struct wlat *w, size_t i, double t0, double arrived,
               double served, double thr);
/* The latency (s) that a fraction q in (0, 1) of the served work does not
 * exceed; NAN when nothing was served. */
double wlat_quantile(const struct wlat *w, double q);
void wlat_free(struct wlat *w);

#endif

/*
 * wl - workloads: the demand a simulated unit sees, as a fraction of its
 * maximum throughput, averaged over each interval.  Random workloads draw
 * from a xoshiro256** generator seeded from the run seed and the device
 * index, so a run is reproducible from its seed alone.
 */
#ifndef WATTSON_SIM_WORKLOAD_H
#define WATTSON_SIM_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "csvtrace.h"

/* Replayed trace values are clamped to [0, WL_TRACE_MAX] after scaling. */
#define WL_TRACE_MAX 1.5

enum wl_kind {
    WL_CONSTANT = 0,
    WL_STEP,
    WL_SINE,
    WL_BURSTY,
    WL_RANDOM_WALK,
    WL_TRACE,
    WL_N_KINDS
};

struct wl {
    enum wl_kind kind;
    /* constant */
    double level;
    /* step */
    double from, to, at_s;
    /* sine */
    double mean, amplitude, period_s, phase_s;
    /* bursty: exponential on/off periods with means on_s, off_s */
    double on_level, off_level, on_s, off_s;
    int on;
    double left; /* time left in the current on or off period, s */
    int started;
    /* random_walk: sigma per sqrt(second), reflected into [min, max] */
    double start, sigma, min, max, value;
    /* trace: the values are scaled and clamped by wl_start */
    struct csvtrace tr;
    double scale;
    int loop;
    double length_s; /* one pass: last row + the last row spacing */
    double pass_sum; /* integral of one pass, value x s */
    size_t cursor;   /* row of the previous lookup: reads go forward */
    /* The entry's `load_scale`: every demand is multiplied by it after the
     * shape (and a trace's clamp), so one number sweeps a whole lab's
     * offered load without touching the arrivals' timing.  0 counts as 1,
     * so a zeroed struct wl (the tests') is unscaled. */
    double load;

    uint64_t rng[4];
};

/* Kind from its lab name; -1 when unknown. */
int wl_kind_parse(const char *name);
const char *wl_kind_name(enum wl_kind kind);

/* Seeds the generator from the run seed and a stream (the device index). */
void wl_seed(struct wl *w, uint64_t seed, uint64_t stream);
/* Prepares the state once the parameters (and, for a trace, `tr`, `scale`
 * and `loop`) are set.  Takes ownership of `tr`. */
void wl_start(struct wl *w);
/* Mean demand over [t0, t0 + dt], dt > 0, never negative.  t0 counts from
 * the run's start and must not go backwards.  Does not allocate. */
double wl_demand(struct wl *w, double t0, double dt);
void wl_fini(struct wl *w);

/* A uniform double in [0, 1) from the workload's generator. */
double wl_uniform(struct wl *w);
/* An exponential draw with the given mean, and a standard normal one
 * (Box-Muller, one uniform pair per call), from the same generator. */
double wl_exponential(struct wl *w, double mean);
double wl_normal(struct wl *w);

#endif

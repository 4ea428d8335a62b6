/*
 * wl - workload shapes.  Each returns the exact mean of its demand over the
 * interval where that is cheap (constant, step, sine, bursty, trace), so a
 * workload looks the same whatever the tick; random_walk is a piecewise
 * constant process sampled at interval starts (its increments are scaled by
 * sqrt(dt), so its statistics do not depend on the tick either).
 */
#include "workload.h"

#include <math.h>
#include <string.h>

/* M_PI is not ISO C. */
static const double wl_pi = 3.14159265358979323846;

static const char *const wl_names[WL_N_KINDS] = {
    "constant", "step", "sine", "bursty", "random_walk", "trace",
};

int wl_kind_parse(const char *name)
{
    for (int i = 0; i < WL_N_KINDS; i++)
        if (strcmp(wl_names[i], name) == 0)
            return i;
    return -1;
}

const char *wl_kind_name(enum wl_kind kind)
{
    return (unsigned)kind < WL_N_KINDS ? wl_names[kind] : "?";
}

/* splitmix64: expands one 64-bit seed into the generator state (the
 * seeding recommended by the xoshiro authors). */
static uint64_t wl_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t wl_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman & Vigna). */
static uint64_t wl_next(struct wl *w)
{
    uint64_t *s = w->rng;
    uint64_t r = wl_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = wl_rotl(s[3], 45);
    return r;
}

void wl_seed(struct wl *w, uint64_t seed, uint64_t stream)
{
    /* Mix the stream through splitmix first so that neighbouring device
     * indices give unrelated generators. */
    uint64_t m = stream;
    uint64_t x = seed ^ wl_splitmix(&m);
    for (int i = 0; i < 4; i++)
        w->rng[i] = wl_splitmix(&x);
}

double wl_uniform(struct wl *w)
{
    return (double)(wl_next(w) >> 11) * 0x1.0p-53;
}

double wl_exponential(struct wl *w, double mean)
{
    return -mean * log(1.0 - wl_uniform(w)); /* 1 - u is in (0, 1] */
}

double wl_normal(struct wl *w)
{
    /* Box-Muller; one draw per call keeps the stream simple to reason
     * about (same seed, same tick => same sequence). */
    double u1 = 1.0 - wl_uniform(w), u2 = wl_uniform(w);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * wl_pi * u2);
}

void wl_start(struct wl *w)
{
    w->started = 0;
    w->value = w->start;
    w->cursor = 0;
    if (w->kind == WL_TRACE && w->tr.n > 0) {
        size_t n = w->tr.n;
        for (size_t i = 0; i < n; i++) {
            double v = w->tr.v[i] * w->scale;
            w->tr.v[i] = v < 0 ? 0 : v > WL_TRACE_MAX ? WL_TRACE_MAX : v;
        }
        /* The last row lasts as long as the one before it: traces are
         * sampled at a fixed period. */
        w->length_s =
            w->tr.t[n - 1] + (n >= 2 ? w->tr.t[n - 1] - w->tr.t[n - 2] : 1.0);
        w->pass_sum = 0;
        for (size_t i = 0; i < n; i++)
            w->pass_sum +=
                w->tr.v[i] *
                ((i + 1 < n ? w->tr.t[i + 1] : w->length_s) - w->tr.t[i]);
    }
}

void wl_fini(struct wl *w)
{
    csvtrace_free(&w->tr);
}

/* Row holding phase x (x in [0, length)): the last row with t <= x, or row
 * 0 before the first row.  Checks the cached row and its successor first. */
static size_t wl_trace_row(struct wl *w, double x)
{
    const double *t = w->tr.t;
    size_t n = w->tr.n, c = w->cursor, lo, hi;

    if (c < n && t[c] <= x && (c + 1 == n || x < t[c + 1]))
        return c;
    if (c + 1 < n && t[c + 1] <= x && (c + 2 == n || x < t[c + 2]))
        return c + 1;
    if (x < t[0])
        return 0;
    lo = 0;
    hi = n - 1; /* invariant: t[lo] <= x, and x < t[hi] or hi is the last */
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (t[mid] <= x)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Walks the rows [t0, t0 + dt] covers.  Whole passes of a looped trace
 * are added from pass_sum instead of walked, and the walk stops after two
 * passes' rows in any case (rounding of rem against tiny spans), so one
 * call costs at most 2n + 2 rows whatever the tick: with csvtrace's row
 * spacing floor and row limit, a tick cannot spin. */
static double wl_trace(struct wl *w, double t0, double dt)
{
    double len = w->length_s, x, rem = dt, acc = 0;
    size_t i, n = w->tr.n, walked = 0;

    if (!w->loop && t0 >= len)
        return 0.0; /* the recording is over: no more work arrives */
    x = w->loop ? fmod(t0, len) : t0;
    i = wl_trace_row(w, x);
    w->cursor = i;
    for (;;) {
        double end = i + 1 < n ? w->tr.t[i + 1] : len;
        double span = end - x;
        if (span >= rem) {
            /* Usual case: the whole interval within one row; returning the
             * row value itself keeps a replay exact. */
            if (rem == dt)
                return w->tr.v[i];
            acc += w->tr.v[i] * rem;
            break;
        }
        if (span > 0) {
            acc += w->tr.v[i] * span;
            rem -= span;
        }
        x = end;
        if (++i == n) {
            if (!w->loop)
                break; /* rest of the interval after the end: zero */
            i = 0;
            x = 0;
            if (rem >= len) {
                double k = floor(rem / len);
                acc += k * w->pass_sum;
                rem -= k * len;
            }
        }
        w->cursor = i;
        if (++walked > 2 * n + 2) {
            acc += w->tr.v[i] * rem; /* rounding residue: current row */
            break;
        }
    }
    return acc / dt;
}

static double wl_bursty(struct wl *w, double dt)
{
    double rem = dt, acc = 0;

    if (!w->started) {
        /* Start in the stationary distribution; exponential periods are
         * memoryless, so the first one is a fresh draw. */
        w->started = 1;
        w->on = wl_uniform(w) < w->on_s / (w->on_s + w->off_s);
        w->left = wl_exponential(w, w->on ? w->on_s : w->off_s);
    }
    /* Time is kept relative to the interval (time left in the current
     * period), not absolute: differences of large absolute times would
     * leak rounding into the interval means. */
    while (w->left < rem) {
        acc += (w->on ? w->on_level : w->off_level) * w->left;
        rem -= w->left;
        w->on = !w->on;
        w->left = wl_exponential(w, w->on ? w->on_s : w->off_s);
    }
    w->left -= rem;
    acc += (w->on ? w->on_level : w->off_level) * rem;
    return acc / dt;
}

static double wl_random_walk(struct wl *w, double dt)
{
    double v = w->value;
    double nv = v + w->sigma * sqrt(dt) * wl_normal(w);
    /* Reflect at the bounds (keeps the walk's spread near the edges), then
     * clamp in case one step jumps across the whole range. */
    if (nv > w->max)
        nv = 2 * w->max - nv;
    if (nv < w->min)
        nv = 2 * w->min - nv;
    w->value = nv < w->min ? w->min : nv > w->max ? w->max : nv;
    return v;
}

double wl_demand(struct wl *w, double t0, double dt)
{
    double d = 0;

    switch (w->kind) {
    case WL_CONSTANT:
        d = w->level;
        break;
    case WL_STEP:
        if (t0 + dt <= w->at_s)
            d = w->from;
        else if (t0 >= w->at_s)
            d = w->to;
        else
            d = (w->from * (w->at_s - t0) + w->to * (t0 + dt - w->at_s)) / dt;
        break;
    case WL_SINE: {
        /* Mean of mean + A sin(w (t + phase)) over the interval, written
         * with sin(h)/h so that it stays accurate for short ticks. */
        double om = 2.0 * wl_pi / w->period_s, h = 0.5 * om * dt;
        d = w->mean + w->amplitude * sin(om * (t0 + 0.5 * dt + w->phase_s)) *
                          (h > 0 ? sin(h) / h : 1.0);
        break;
    }
    case WL_BURSTY:
        d = wl_bursty(w, dt);
        break;
    case WL_RANDOM_WALK:
        d = wl_random_walk(w, dt);
        break;
    case WL_TRACE:
        d = w->tr.n > 0 ? wl_trace(w, t0, dt) : 0.0;
        break;
    case WL_N_KINDS:
        break;
    }
    if (w->load > 0 && w->load != 1.0)
        d *= w->load;
    return d > 0 ? d : 0.0; /* NaN-proof too */
}

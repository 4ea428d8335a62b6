/*
 * wlat - see wlat.h.
 */
#include "core/wlat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WLAT_BASE 1e-6 /* s: the first bucket's lower edge */

/* Bucket b covers [lo, hi): octave b / WLAT_SUB, sub-bucket b % WLAT_SUB. */
static double wlat_lo(size_t b)
{
    int o = (int)(b / WLAT_SUB);
    double s = (double)(b % WLAT_SUB);
    return ldexp(WLAT_BASE * (1.0 + s / WLAT_SUB), o);
}

/* The bucket of v >= WLAT_BASE (the last one past the top). */
static size_t wlat_bucket(double v)
{
    int e;
    double fr = frexp(v / WLAT_BASE, &e); /* v / base = fr 2^e, fr in [.5,1) */
    size_t o = (size_t)(e - 1);
    if (o >= WLAT_OCTAVES)
        return WLAT_BINS - 1;
    size_t s = (size_t)((2.0 * fr - 1.0) * WLAT_SUB);
    if (s >= WLAT_SUB)
        s = WLAT_SUB - 1;
    return o * WLAT_SUB + s;
}

/* Weight x spread evenly over latencies [l0, l1]. */
static void wlat_add(struct wlat *w, double l0, double l1, double x)
{
    if (l0 < 0)
        l0 = 0; /* rounding: nothing completes before it arrives */
    if (l1 < l0)
        l1 = l0;
    w->weight += x;
    if (l1 > w->vmax)
        w->vmax = l1;
    double span = l1 - l0;
    if (l0 < WLAT_BASE) {
        double below = span > 0 ? x * (fmin(l1, WLAT_BASE) - l0) / span : x;
        w->under += below;
        x -= below;
        if (!(x > 0))
            return;
        l0 = WLAT_BASE;
        span = l1 - l0;
    }
    size_t b0 = wlat_bucket(l0), b1 = wlat_bucket(l1);
    if (b0 == b1 || !(span > 0)) {
        w->bin[b0] += x;
        return;
    }
    /* The end buckets get their overlap; those wholly inside, their
     * width times the density. */
    double dens = x / span;
    w->bin[b0] += dens * (w->edge[b0 + 1] - l0);
    for (size_t b = b0 + 1; b < b1; b++)
        w->bin[b] += dens * (w->edge[b + 1] - w->edge[b]);
    w->bin[b1] += dens * (l1 - w->edge[b1]);
}

int wlat_init(struct wlat *w, size_t npu, size_t cap)
{
    memset(w, 0, sizeof *w);
    if (cap < 2)
        cap = 2;
    w->pu = calloc(npu ? npu : 1, sizeof *w->pu);
    if (!w->pu)
        return -1;
    w->npu = npu;
    w->cap = cap;
    for (size_t b = 0; b < WLAT_BINS; b++)
        w->edge[b] = wlat_lo(b);
    /* The last bucket has no upper edge: past the top it holds all. */
    w->edge[WLAT_BINS] = INFINITY;
    for (size_t i = 0; i < npu; i++) {
        w->pu[i].ring = malloc(cap * sizeof *w->pu[i].ring);
        if (!w->pu[i].ring) {
            wlat_free(w);
            return -1;
        }
    }
    return 0;
}

void wlat_reset(struct wlat *w)
{
    for (size_t i = 0; i < w->npu; i++) {
        struct wlat_pu *p = &w->pu[i];
        p->head = p->len = 0;
        p->lo = p->arrived = p->served = 0;
    }
    memset(w->bin, 0, sizeof w->bin);
    w->under = w->weight = w->vmax = 0;
}

void wlat_tick(struct wlat *w, size_t i, double t0, double arrived,
               double served, double thr)
{
    if (i >= w->npu || !isfinite(t0))
        return;
    struct wlat_pu *p = &w->pu[i];
    if (isfinite(arrived) && arrived > 0) {
        if (p->len == w->cap) {
            /* Full: the oldest batch joins the next one under its own,
             * older stamp (latency overstated, never hidden). */
            size_t nx = (p->head + 1) % w->cap;
            p->ring[nx].t = p->ring[p->head].t;
            p->head = nx;
            p->len--;
        }
        p->arrived += arrived;
        p->ring[(p->head + p->len) % w->cap] =
            (struct wlat_batch){p->arrived, t0};
        p->len++;
    }
    if (!(isfinite(served) && served > 0 && isfinite(thr) && thr > 0))
        return;
    double y0 = p->served, y1 = y0 + served;
    while (p->len > 0) {
        const struct wlat_batch *b = &p->ring[p->head];
        double lo = fmax(p->lo, y0), hi = fmin(b->end, y1);
        if (hi > lo)
            wlat_add(w, t0 + (lo - y0) / thr - b->t,
                     t0 + (hi - y0) / thr - b->t, hi - lo);
        if (b->end > y1)
            break;
        p->lo = b->end;
        p->head = (p->head + 1) % w->cap;
        p->len--;
    }
    /* Service past the arrivals (rounding) is not carried forward. */
    p->served = fmin(y1, p->arrived);
}

double wlat_quantile(const struct wlat *w, double q)
{
    if (!(w->weight > 0) || !(q > 0 && q < 1))
        return NAN;
    double target = (1 - q) * w->weight, cum = 0;
    for (size_t b = WLAT_BINS; b-- > 0;) {
        if (!(w->bin[b] > 0))
            continue;
        double lo = w->edge[b];
        double hi = b + 1 < WLAT_BINS ? w->edge[b + 1] : w->vmax;
        if (hi > w->vmax)
            hi = w->vmax;
        if (lo > hi)
            lo = hi;
        if (cum + w->bin[b] >= target)
            return hi - (target - cum) / w->bin[b] * (hi - lo);
        cum += w->bin[b];
    }
    /* Within the first microsecond. */
    if (w->under > 0) {
        double hi = fmin(WLAT_BASE, w->vmax);
        double x = hi - (target - cum) / w->under * hi;
        return x > 0 ? x : 0;
    }
    return 0;
}

void wlat_free(struct wlat *w)
{
    for (size_t i = 0; w->pu && i < w->npu; i++)
        free(w->pu[i].ring);
    free(w->pu);
    memset(w, 0, sizeof *w);
}

/*
 * galloc - see galloc.h.
 */
#include "engines/galloc.h"

#include <math.h>

/* Adds to out[i] for the tenants in `sel` (need[i] > 0) the max-min fair
 * split of `budget`: each gets min(need[i], level) with one common level.
 * Returns what was handed out. */
static double galloc_fill(const double *need, const int *sel, size_t n,
                          double budget, double *out)
{
    double given = 0;
    int done[GALLOC_MAX] = {0};
    size_t active = 0;
    for (size_t i = 0; i < n; i++)
        if (sel[i] && need[i] > 0)
            active++;
        else
            done[i] = 1;
    while (active > 0 && budget > 1e-15) {
        double level = budget / (double)active;
        size_t settled = 0;
        for (size_t i = 0; i < n; i++)
            if (!done[i] && need[i] <= level) {
                out[i] += need[i];
                budget -= need[i];
                given += need[i];
                done[i] = 1;
                settled++;
            }
        if (settled == 0) {
            for (size_t i = 0; i < n; i++)
                if (!done[i]) {
                    out[i] += level;
                    given += level;
                }
            break;
        }
        active -= settled;
    }
    return given;
}

void galloc_share(const struct galloc_in *in, size_t n, double cap, int spare,
                  double *out)
{
    if (n > GALLOC_MAX)
        n = GALLOC_MAX;
    if (!(cap > 0))
        cap = 0;
    double gsum = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = fmax(0, fmin(in[i].min, in[i].max));
        gsum += out[i];
    }
    if (gsum > cap) {
        double k = gsum > 0 ? cap / gsum : 0;
        for (size_t i = 0; i < n; i++)
            out[i] *= k;
        return;
    }
    double left = cap - gsum;
    double need[GALLOC_MAX];
    int sel[GALLOC_MAX];
    /* step 2, priorities from the highest down */
    int done_prio = 0, cur = 0;
    for (;;) {
        int found = 0;
        for (size_t i = 0; i < n; i++)
            if ((!done_prio || in[i].prio < cur) &&
                (!found || in[i].prio > cur)) {
                cur = in[i].prio;
                found = 1;
            }
        if (!found || left <= 0)
            break;
        for (size_t i = 0; i < n; i++) {
            double w = fmin(fmax(in[i].want, in[i].min), in[i].max);
            sel[i] = in[i].prio == cur;
            need[i] = isfinite(w) ? fmax(0, w - out[i]) : 0;
        }
        left -= galloc_fill(need, sel, n, left, out);
        done_prio = 1;
    }
    if (!spare || left <= 0)
        return;
    for (size_t i = 0; i < n; i++) {
        sel[i] = 1;
        need[i] = fmax(0, in[i].max - out[i]);
    }
    galloc_fill(need, sel, n, left, out);
}

double galloc_jain(const double *x, size_t n)
{
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        s += x[i];
        s2 += x[i] * x[i];
    }
    return n == 0 || s2 <= 0 ? 1 : s * s / ((double)n * s2);
}

/*
 * bound - see bound.h.
 *
 * Design.  One PU, T ticks of length dt.  A schedule is its cumulative
 * service S_t (ops served by the end of tick t, S_{-1} = 0), with
 * increments s_t = S_t - S_{t-1}.
 *
 * 1. Per-tick energy.  At P-state j a tick serves s <= c_j = f_j opc dt
 *    ops for dt (idle_j + (busy_j - idle_j) s / c_j) J: the sim charges
 *    exactly that (pu.c: P = C V^2 f a + leak, a linear in util), and its
 *    tables are that formula at a reference temperature.  Mixing states
 *    within a tick (time-sharing) reaches every convex combination of
 *    those segments; two adjacent states suffice (Ishihara & Yasuura
 *    1998; Kwon & Kim 2005, "Optimal voltage allocation techniques for
 *    dynamic voltage scaling").  h(s), the lower convex envelope of the
 *    segments over [0, c_max] (which includes idling at the cheapest
 *    state), is therefore <= the energy of any tick that serves s, mixed
 *    or not: the bound never needs the mixing to be realisable, only the
 *    primal below does.
 *
 * 2. Constraints.  S_t <= U_t (work that has arrived: a tick's arrivals
 *    at its start can be served in it), S_t >= L_t (deadlines: work of
 *    tick t served by the end of tick t + k, k = ceil(deadline / dt), one
 *    tick looser than the sim's rule, so a relaxation), 0 <= s_t <= c_max.
 *    Every schedule is below the reach M_t = min(U_t, M_{t-1} + c_max);
 *    where L_t > M_t no schedule meets the deadline and L is clipped to M
 *    (still a relaxation; counted in `clipped`).
 *
 * 3. The taut string.  For a fixed end S_T = x, the shortest path through
 *    the tube [L', M] (bound_taut, the funnel algorithm, O(T)) minimises
 *    sum phi(s_t) over all paths in the tube for every convex phi at
 *    once: its increments are majorised by those of any path in the tube
 *    (Barlow, Bartholomew, Bremner & Brunk 1972; the same argument gives
 *    the optimality of Yao, Demers & Shenker's 1995 speed schedule).  So
 *    with phi = h it is optimal, and with phi = (s - c_max)+ and (-s)+ it
 *    respects capacity and is non-decreasing whenever some path in the
 *    tube does (min(M_t, x) does).  F(x) = sum h(s_t) of that path.
 *
 * 4. The end.  Work left at the end is charged e_min per op (the
 *    cheapest energy per op at any state, fully busy): every policy pays
 *    at least that to finish it, and h(s) >= e_min s.  The bound is
 *    min over x in [L'_T, M_T] of G(x) = F(x) + e_min (U_T - x).  F is
 *    convex in x (a minimum of a convex sum over a convex set moving
 *    linearly with x), so golden-section search finds it; the value
 *    returned is the best G evaluated minus Lip x the final bracket's
 *    width (Lip = h's largest slope + e_min bounds |G'|), so it is a
 *    lower bound and not an estimate of one.
 *
 *    Any policy's run is one path in the tube (without deadlines: any
 *    path with L = 0), so its energy plus e_min x its unserved work is
 *    >= F(its S_T) + e_min (U_T - S_T) >= the bound.
 *
 * 5. The primal.  Per tick the lowest single P-state whose capacity
 *    covers the taut string's s_t, work-conserving FIFO on the arrivals
 *    U, in the same energy model plus the same end charge.  Work-
 *    conserving with capacity >= s_t serves at least S_t by every tick's
 *    end (induction), so it meets the same deadlines.  Its energy over
 *    the bound is the bound's optimality gap: how much an exact
 *    optimiser over single P-states could still close.
 *
 * Temperature.  The tables hold at a reference temperature (the sim's:
 * midway between ambient and the throttling limit), where leakage is
 * higher than at ambient, the coolest a die can be.  bound_hull_init
 * therefore takes an offset added to every power; `bench broker` passes
 * the largest shortfall of any measured tick's power against the table
 * (bbench.c), which for the sim is leak(ambient) - leak(t_ref): the first
 * interval runs at ambient and leakage is the same at every state.
 */
#include "engines/bound.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Golden-section search: stop at this relative bracket width (the
 * certified value gives up Lip x it, about 1e-9 of the bound) or after
 * this many steps. */
#define BOUND_GS_REL 1e-9
#define BOUND_GS_MAX 200
/* The step below the reach that tests whether G still falls there: big
 * enough that G's difference over it is above rounding, small enough
 * that Lip x it is nothing (relative). */
#define BOUND_END_REL 1e-9
/* The primal takes state j for a tick when c_j covers the string's s_t
 * to this much: the string often runs exactly at a state's capacity, and
 * where the end value comes from a search the rounding must not push a
 * whole segment into the next state up (it serves the hair it is short
 * later, or it is charged at the end). */
#define BOUND_PRIMAL_REL 1e-6
/* A deadline point above the reach by more than this (relative) counts
 * as infeasible; below it is rounding. */
#define BOUND_CLIP_REL 1e-9

int bound_hull_init(struct bound_hull *h, size_t nps, const double *freq,
                    const double *busy, const double *idle, double offset,
                    double opc, double dt)
{
    memset(h, 0, sizeof *h);
    if (nps == 0 || nps > BOUND_MAX_PSTATES || !(opc > 0) || !(dt > 0) ||
        !isfinite(opc) || !isfinite(dt) || !isfinite(offset))
        return -1;
    double e0 = INFINITY;
    h->emin = INFINITY;
    for (size_t j = 0; j < nps; j++) {
        double c = freq[j] * opc * dt, b = busy[j] + offset,
               i = idle[j] + offset;
        if (!(c > 0) || !isfinite(c) || !(b >= 0) || !(i >= 0) ||
            !isfinite(b) || !isfinite(i) || (j > 0 && !(c > h->cap[j - 1])))
            return -1;
        h->cap[j] = c;
        h->busy[j] = b;
        h->idle[j] = i;
        e0 = fmin(e0, dt * i);
        h->emin = fmin(h->emin, dt * b / c);
    }
    h->nps = nps;
    h->dt = dt;
    h->cmax = h->cap[nps - 1];
    /* Lower hull (monotone chain) of (0, e0) and each (c_j, dt busy_j):
     * each segment is the line between its end points, so the envelope
     * of the segments is the envelope of the points. */
    h->s[0] = 0;
    h->e[0] = e0;
    h->n = 1;
    for (size_t j = 0; j < nps; j++) {
        double px = h->cap[j], py = dt * h->busy[j];
        /* Pop the last vertex while it is not strictly below the chord
         * from the one before it to p. */
        while (h->n >= 2) {
            double ax = h->s[h->n - 2], ay = h->e[h->n - 2];
            double bx = h->s[h->n - 1], by = h->e[h->n - 1];
            if ((bx - ax) * (py - ay) - (by - ay) * (px - ax) <= 0)
                h->n--;
            else
                break;
        }
        h->s[h->n] = px;
        h->e[h->n] = py;
        h->n++;
    }
    h->slope_max = 0;
    for (size_t v = 1; v < h->n; v++)
        h->slope_max = fmax(h->slope_max,
                            (h->e[v] - h->e[v - 1]) / (h->s[v] - h->s[v - 1]));
    return 0;
}

double bound_hull_eval(const struct bound_hull *h, double s)
{
    if (!(s > 0))
        return h->e[0];
    if (s >= h->cmax)
        return h->e[h->n - 1];
    size_t v = 1;
    while (v < h->n - 1 && h->s[v] < s)
        v++;
    double w = (s - h->s[v - 1]) / (h->s[v] - h->s[v - 1]);
    return h->e[v - 1] + w * (h->e[v] - h->e[v - 1]);
}

int bound_work_init(struct bound_work *w, size_t n)
{
    memset(w, 0, sizeof *w);
    size_t m = n + 1;
    w->lo = malloc(m * sizeof *w->lo);
    w->hi = malloc(m * sizeof *w->hi);
    w->path = malloc(m * sizeof *w->path);
    w->low = malloc(m * sizeof *w->low);
    w->reach = malloc(m * sizeof *w->reach);
    w->lq = malloc(m * sizeof *w->lq);
    w->uq = malloc(m * sizeof *w->uq);
    if (!w->lo || !w->hi || !w->path || !w->low || !w->reach || !w->lq ||
        !w->uq) {
        bound_work_free(w);
        return -1;
    }
    w->n = n;
    return 0;
}

void bound_work_free(struct bound_work *w)
{
    free(w->lo);
    free(w->hi);
    free(w->path);
    free(w->low);
    free(w->reach);
    free(w->lq);
    free(w->uq);
    memset(w, 0, sizeof *w);
}

/* slope(a, b) < slope(a, c), for bx, cx > ax: cross-multiplied, no
 * division. */
static int slope_lt(double ax, double ay, double bx, double by, double cx,
                    double cy)
{
    return (by - ay) * (cx - ax) < (cy - ay) * (bx - ax);
}

/* The straight piece of the string from (ax, ay) to (bx, by), clamped
 * into the tube against rounding. */
static void emit(const double *lo, const double *hi, double *path, size_t ax,
                 double ay, size_t bx, double by)
{
    double d = (double)(bx - ax);
    for (size_t k = ax + 1; k <= bx; k++) {
        double v = ay + (by - ay) * ((double)(k - ax) / d);
        path[k] = fmin(hi[k], fmax(lo[k], v));
    }
    path[bx] = by;
}

/*
 * The funnel: from the apex, the lower chain (points of lo the string
 * must pass above: their upper hull, slopes decreasing) and the upper
 * chain (points of hi it must pass below: their lower hull, slopes
 * increasing).  A new lower point above the upper chain's first segment
 * (seen from the apex) makes the string bend at that upper point: the
 * apex moves there and the lower chain restarts from it (its old points
 * lie below the new line, so they are dominated); symmetrically for a new
 * upper point.  Each point enters and leaves each chain once: O(n).
 */
void bound_taut(const double *lo, const double *hi, size_t n, size_t *lq,
                size_t *uq, double *path)
{
    size_t ax = 0, lh = 0, lt = 0, uh = 0, ut = 0;
    double ay = 0;
    path[0] = 0;
    for (size_t i = 1; i <= n; i++) {
        double xi = (double)i, p = lo[i], q = hi[i];
        /* The lower point (i, p). */
        int moved = 0;
        while (uh < ut &&
               slope_lt((double)ax, ay, (double)uq[uh], hi[uq[uh]], xi, p)) {
            size_t b = uq[uh++];
            emit(lo, hi, path, ax, ay, b, hi[b]);
            ax = b;
            ay = hi[b];
            moved = 1;
        }
        if (moved) {
            lh = lt;
        } else {
            while (lt > lh) {
                size_t last = lq[lt - 1];
                double px = lt - lh >= 2 ? (double)lq[lt - 2] : (double)ax;
                double py = lt - lh >= 2 ? lo[lq[lt - 2]] : ay;
                /* Pop `last` unless it is strictly above prev -> p. */
                if (!slope_lt(px, py, xi, p, (double)last, lo[last]))
                    lt--;
                else
                    break;
            }
        }
        lq[lt++] = i;
        /* The upper point (i, q). */
        moved = 0;
        while (lh < lt && lq[lh] < i &&
               slope_lt((double)ax, ay, xi, q, (double)lq[lh], lo[lq[lh]])) {
            size_t b = lq[lh++];
            emit(lo, hi, path, ax, ay, b, lo[b]);
            ax = b;
            ay = lo[b];
            moved = 1;
        }
        if (moved) {
            ut = uh;
        } else {
            while (ut > uh) {
                size_t last = uq[ut - 1];
                double px = ut - uh >= 2 ? (double)uq[ut - 2] : (double)ax;
                double py = ut - uh >= 2 ? hi[uq[ut - 2]] : ay;
                /* Pop `last` unless it is strictly below prev -> q. */
                if (!slope_lt(px, py, (double)last, hi[last], xi, q))
                    ut--;
                else
                    break;
            }
        }
        uq[ut++] = i;
    }
    if (ax < n)
        emit(lo, hi, path, ax, ay, n, lo[n]);
}

/* G(x) = F(x) + emin (utot - x), the taut string to x left in w->path. */
static double bound_g(const struct bound_hull *h, struct bound_work *w,
                      size_t n, double x, double utot)
{
    w->lo[n] = w->hi[n] = x;
    bound_taut(w->lo, w->hi, n, w->lq, w->uq, w->path);
    double e = 0;
    for (size_t i = 1; i <= n; i++)
        e += bound_hull_eval(h, w->path[i] - w->path[i - 1]);
    return e + h->emin * fmax(0, utot - x);
}

/* The primal schedule's energy (see the design comment), w->path holding
 * the bound's path. */
static double bound_primal(const struct bound_hull *h, const double *up,
                           size_t n, const double *path)
{
    double e = 0, q = 0, prev = 0;
    for (size_t t = 0; t < n; t++) {
        double s = path[t + 1] - path[t];
        size_t j = 0;
        while (j + 1 < h->nps && h->cap[j] < s * (1 - BOUND_PRIMAL_REL))
            j++;
        double avail = q + fmax(0, up[t] - prev);
        prev = up[t];
        double served = fmin(avail, h->cap[j]);
        e += h->dt *
             (h->idle[j] + (h->busy[j] - h->idle[j]) * (served / h->cap[j]));
        q = avail - served;
    }
    return e + h->emin * q;
}

int bound_pu(const struct bound_hull *h, const double *up, const double *lo,
             size_t n, struct bound_work *w, struct bound_pu_res *r,
             double *power, double *path_out)
{
    memset(r, 0, sizeof *r);
    if (n == 0 || n > w->n)
        return -1;
    /* The reach and the clipped deadline tube, as points 1..n. */
    double m = 0;
    w->lo[0] = w->hi[0] = 0;
    for (size_t t = 0; t < n; t++) {
        m = fmin(up[t], m + h->cmax);
        double l = lo ? lo[t] : 0;
        if (l > m * (1 + BOUND_CLIP_REL) + 1e-9) {
            r->clipped++;
            l = m;
        }
        w->lo[t + 1] = fmin(l, m);
        w->hi[t + 1] = m;
    }
    r->infeasible = r->clipped > 0;
    double a = w->lo[n], b = w->hi[n], utot = up[n - 1];
    const double reach = b; /* w->hi[n] holds each evaluation's x */
    /* G is convex on [a, b].  Usually it still falls at b (serving is
     * cheaper than the end charge): then G(b - delta) >= G(b), every x
     * below b - delta has G(x) >= G(b - delta) (a convex function's
     * secant slopes increase), and [b - delta, b] is within Lip delta of
     * G(b); two evaluations settle it.  Otherwise golden section over
     * [a, b]. */
    const double g = 0.5 * (sqrt(5.0) - 1);
    double best_x = b, best = bound_g(h, w, n, b, utot), width = 0;
    double delta = BOUND_END_REL * fmax(1, fabs(b));
    if (b - a > delta && bound_g(h, w, n, b - delta, utot) >= best) {
        width = delta;
    } else if (b - a > BOUND_GS_REL * fmax(1, fabs(b))) {
        double c = b - g * (b - a), d = a + g * (b - a);
        double gc = bound_g(h, w, n, c, utot), gd = bound_g(h, w, n, d, utot);
        for (int it = 0;
             it < BOUND_GS_MAX && b - a > BOUND_GS_REL * fmax(1, fabs(b));
             it++) {
            if (gc <= gd) {
                b = d;
                d = c;
                gd = gc;
                c = b - g * (b - a);
                gc = bound_g(h, w, n, c, utot);
            } else {
                a = c;
                c = d;
                gc = gd;
                d = a + g * (b - a);
                gd = bound_g(h, w, n, d, utot);
            }
        }
        if (gc < best) {
            best = gc;
            best_x = c;
        }
        if (gd < best) {
            best = gd;
            best_x = d;
        }
        width = b - a;
    }
    /* The path of the best point, and the certified value. */
    best = bound_g(h, w, n, best_x, utot);
    /* width: how far from the best point evaluated a minimiser may be. */
    r->bound = fmax(0, best - (h->slope_max + h->emin) * width);
    r->end = best_x;
    r->unserved = fmax(0, utot - best_x);
    r->primal = bound_primal(h, up, n, w->path);
    for (size_t t = 0; t < n; t++) {
        double s = w->path[t + 1] - w->path[t];
        if (power)
            power[t] += bound_hull_eval(h, s) / h->dt;
        if (path_out)
            path_out[t] = w->path[t + 1];
    }
    /* G can be nearly flat in x (serving at the margin costing about
     * e_min), where the search's stopping point decides the path and the
     * single-state primal swings with it; the path that serves all it
     * can is a schedule too, and the better of the two is the gap. */
    if (best_x < reach) {
        bound_g(h, w, n, reach, utot);
        r->primal = fmin(r->primal, bound_primal(h, up, n, w->path));
    }
    return 0;
}

size_t bound_lag(double deadline_s, double dt)
{
    if (!(deadline_s > 0) || !isfinite(deadline_s) || !(dt > 0))
        return SIZE_MAX;
    double k = ceil(deadline_s / dt);
    return k >= (double)(SIZE_MAX / 2) ? SIZE_MAX : (size_t)k;
}

void bound_deadline_tube(const double *arr, size_t n, size_t k, double *lo)
{
    for (size_t t = 0; t < n; t++)
        lo[t] = k != SIZE_MAX && t >= k ? arr[t - k] : 0;
}

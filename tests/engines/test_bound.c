/*
 * The energy bound (engines/bound.c): its envelope on a hand table, the
 * taut string inside its tube and under capacity, the bound equal to an
 * exhaustive optimum over every integer service path on tiny instances
 * built so that the optimum is integer, and <= the best schedule of whole
 * P-states (every sequence, work-conserving) on random tiny instances,
 * with and without deadlines; work the capacity cannot serve charged at
 * e_min; bound_pu allocates nothing.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocount.h"
#include "engines/bound.h"
#include "t.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;
static double uni(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * 0x1.0p-53;
}

#define NMAX 8

/* Exhaustive over integer cumulative service: the least sum h(s_t) +
 * emin (U_T - S_T) over paths with S_t <= U_t, S_t >= lo_t (NULL: 0),
 * 0 <= s_t <= cmax, all integer.  Dynamic programming over S is the
 * exhaustive search with equal prefixes merged. */
static double brute_grid(const struct bound_hull *h, const double *up,
                         const double *lo, size_t n)
{
    size_t top = (size_t)up[n - 1];
    double *cost = malloc((top + 1) * sizeof *cost);
    double *next = malloc((top + 1) * sizeof *next);
    for (size_t s = 0; s <= top; s++)
        cost[s] = s == 0 ? 0 : INFINITY;
    for (size_t t = 0; t < n; t++) {
        for (size_t s = 0; s <= top; s++)
            next[s] = INFINITY;
        for (size_t s = 0; s <= top; s++) {
            if (!isfinite(cost[s]))
                continue;
            for (size_t k = s; k <= top && (double)(k - s) <= h->cmax; k++) {
                if ((double)k > up[t] || (lo && (double)k < lo[t]))
                    continue;
                double c = cost[s] + bound_hull_eval(h, (double)(k - s));
                if (c < next[k])
                    next[k] = c;
            }
        }
        memcpy(cost, next, (top + 1) * sizeof *cost);
    }
    double best = INFINITY;
    for (size_t s = 0; s <= top; s++)
        if (isfinite(cost[s]))
            best = fmin(best, cost[s] + h->emin * (up[n - 1] - (double)s));
    free(cost);
    free(next);
    return best;
}

/* Every sequence of whole P-states, each tick serving what it can of the
 * queue (FIFO, work-conserving), the same energy model, e_min for what
 * is left; only sequences meeting lo (when given).  INFINITY when none
 * does. */
static double brute_states(const struct bound_hull *h, const double *up,
                           const double *lo, size_t n)
{
    size_t combos = 1;
    for (size_t t = 0; t < n; t++)
        combos *= h->nps;
    double best = INFINITY;
    for (size_t c = 0; c < combos; c++) {
        size_t code = c;
        double e = 0, q = 0, prev = 0, cum = 0;
        int ok = 1;
        for (size_t t = 0; t < n; t++) {
            size_t j = code % h->nps;
            code /= h->nps;
            double avail = q + up[t] - prev;
            prev = up[t];
            double s = fmin(avail, h->cap[j]);
            e += h->dt *
                 (h->idle[j] + (h->busy[j] - h->idle[j]) * s / h->cap[j]);
            q = avail - s;
            cum += s;
            if (lo && cum < lo[t] - 1e-9)
                ok = 0;
        }
        if (ok)
            best = fmin(best, e + h->emin * q);
    }
    return best;
}

static void test_hull(void)
{
    /* (0, 1), (1, 2), (2, 3) are collinear: one segment; the idle point
     * of state 1 (1.5) is above the envelope. */
    const double f[] = {1, 2}, b[] = {2, 3}, i[] = {1, 1.5};
    struct bound_hull h;
    T_CHECK(bound_hull_init(&h, 2, f, b, i, 0, 1, 1) == 0);
    T_CHECK(h.n == 2);
    T_NEAR(bound_hull_eval(&h, 1), 2, 1e-12);
    T_NEAR(bound_hull_eval(&h, 0), 1, 1e-12);
    T_NEAR(h.emin, 1.5, 1e-12);
    /* A leakage offset lowers every power. */
    T_CHECK(bound_hull_init(&h, 2, f, b, i, -0.5, 1, 1) == 0);
    T_NEAR(bound_hull_eval(&h, 2), 2.5, 1e-12);
    T_NEAR(h.emin, 1.25, 1e-12);
    /* Refusals. */
    T_CHECK(bound_hull_init(&h, 0, f, b, i, 0, 1, 1) != 0);
    T_CHECK(bound_hull_init(&h, 2, f, b, i, -2, 1, 1) != 0);
    T_CHECK(bound_hull_init(&h, 2, f, b, i, 0, 0, 1) != 0);
    const double fdown[] = {2, 1};
    T_CHECK(bound_hull_init(&h, 2, fdown, b, i, 0, 1, 1) != 0);
}

/* The path of bound_pu stays in the tube and under capacity. */
static void check_path(const struct bound_hull *h, const double *up,
                       const double *lo, size_t n, const double *path)
{
    double prev = 0, m = 0;
    int ok = 1;
    for (size_t t = 0; t < n; t++) {
        double s = path[t] - prev;
        m = fmin(up[t], m + h->cmax);
        if (s < -1e-9 || s > h->cmax * (1 + 1e-9) + 1e-9 ||
            path[t] > up[t] + 1e-9 || (lo && path[t] < fmin(lo[t], m) - 1e-9))
            ok = 0;
        prev = path[t];
    }
    T_CHECK(ok);
}

/* Tube points on multiples of 60 and ticks <= 6: every chord's slope is
 * whole, so the taut string is an integer path and the bound equals the
 * exhaustive integer optimum. */
static void test_exact(void)
{
    const double f[] = {60, 120, 180}, b[] = {50, 130, 260}, i[] = {20, 30, 45};
    struct bound_hull h;
    T_CHECK(bound_hull_init(&h, 3, f, b, i, 0, 1, 1) == 0);
    struct bound_work w;
    T_CHECK(bound_work_init(&w, NMAX) == 0);
    static const double arrs[][6] = {
        {180, 0, 0, 120, 0, 0}, {0, 60, 240, 0, 0, 60},
        {360, 0, 0, 0, 0, 0},   {60, 60, 60, 60, 60, 60},
        {0, 0, 0, 0, 0, 600},   {120, 0, 300, 0, 60, 0},
    };
    for (size_t c = 0; c < sizeof arrs / sizeof arrs[0]; c++) {
        for (size_t n = 4; n <= 6; n++) {
            double up[6], lo[6], path[6];
            double acc = 0;
            for (size_t t = 0; t < n; t++)
                up[t] = acc += arrs[c][t];
            for (int dl = 0; dl < 2; dl++) {
                if (dl)
                    bound_deadline_tube(up, n, 2, lo);
                struct bound_pu_res r;
                T_CHECK(bound_pu(&h, up, dl ? lo : NULL, n, &w, &r, NULL,
                                 path) == 0);
                double bf = brute_grid(&h, up, dl ? lo : NULL, n);
                if (r.clipped == 0)
                    T_NEAR(r.bound, bf, 1e-6 * bf);
                T_CHECK(r.bound <= bf * (1 + 1e-12));
                T_CHECK(r.primal >= r.bound * (1 - 1e-12));
                check_path(&h, up, dl ? lo : NULL, n, path);
            }
        }
    }
    bound_work_free(&w);
}

/* More work than the top state can serve: the rest is charged e_min. */
static void test_unserved(void)
{
    const double f[] = {10, 20}, b[] = {5, 14}, i[] = {1, 2};
    struct bound_hull h;
    T_CHECK(bound_hull_init(&h, 2, f, b, i, 0, 1, 1) == 0);
    struct bound_work w;
    T_CHECK(bound_work_init(&w, NMAX) == 0);
    const double up[] = {0, 0, 0, 1000};
    struct bound_pu_res r;
    T_CHECK(bound_pu(&h, up, NULL, 4, &w, &r, NULL, NULL) == 0);
    /* Three idle ticks at the cheapest idle, then the last tick: e_min =
     * min(5/10, 14/20) = 0.5 J/op, so serving 10 op at state 0 (5 J) and
     * charging the other 990 (495 J) beats serving 20 at state 1 (14 J
     * plus 490): the end value is chosen, not taken at the reach. */
    T_NEAR(h.emin, 0.5, 1e-12);
    T_NEAR(r.end, 10, 1e-6);
    T_NEAR(r.unserved, 990, 1e-6);
    T_NEAR(r.bound, 3 * 1 + 5 + 0.5 * 990, 1e-6);
    /* A deadline no schedule can meet is clipped and said. */
    double lo[4];
    bound_deadline_tube(up, 4, 0, lo);
    T_CHECK(bound_pu(&h, up, lo, 4, &w, &r, NULL, NULL) == 0);
    T_CHECK(r.infeasible && r.clipped == 1);
    T_CHECK(bound_lag(0.02, 0.01) == 2 || bound_lag(0.02, 0.01) == 3);
    T_CHECK(bound_lag(0, 0.01) == SIZE_MAX);
    T_CHECK(bound_lag(0.05, 0.1) == 1);
    bound_work_free(&w);
}

/* Random tiny instances: the bound <= every whole-P-state schedule (and
 * <= the exhaustive integer optimum), with and without deadlines; the
 * taut string of random tubes stays inside them. */
static void test_random(void)
{
    struct bound_work w;
    T_CHECK(bound_work_init(&w, NMAX) == 0);
    int below = 1, below_dl = 1, below_grid = 1, primal_ok = 1;
    for (int c = 0; c < 400; c++) {
        size_t nps = 2 + (size_t)(uni() * 2), n = 4 + (size_t)(uni() * 3);
        double f[3], b[3], i[3], fr = 0, pw = 0;
        for (size_t j = 0; j < nps; j++) {
            fr += 5 + floor(uni() * 10);
            pw += 1 + uni() * 10;
            f[j] = fr;
            i[j] = pw * (0.1 + 0.5 * uni());
            b[j] = pw;
        }
        struct bound_hull h;
        T_CHECK(bound_hull_init(&h, nps, f, b, i, 0, 1, 0.5) == 0);
        double up[NMAX], lo[NMAX], acc = 0;
        for (size_t t = 0; t < n; t++)
            up[t] = acc += floor(uni() < 0.4 ? 0 : uni() * 2.5 * h.cmax);
        struct bound_pu_res r;
        double path[NMAX];
        bound_pu(&h, up, NULL, n, &w, &r, NULL, path);
        check_path(&h, up, NULL, n, path);
        if (r.bound > brute_states(&h, up, NULL, n) * (1 + 1e-9))
            below = 0;
        if (r.bound > brute_grid(&h, up, NULL, n) * (1 + 1e-9))
            below_grid = 0;
        if (r.primal < r.bound * (1 - 1e-9))
            primal_ok = 0;
        bound_deadline_tube(up, n, 1 + (size_t)(uni() * 2), lo);
        bound_pu(&h, up, lo, n, &w, &r, NULL, path);
        check_path(&h, up, lo, n, path);
        double bs = brute_states(&h, up, lo, n);
        if (isfinite(bs) && r.bound > bs * (1 + 1e-9))
            below_dl = 0;
    }
    T_CHECK(below);
    T_CHECK(below_dl);
    T_CHECK(below_grid);
    T_CHECK(primal_ok);
    bound_work_free(&w);
}

/* bound_taut alone on random monotone tubes: inside, ending at the end. */
static void test_taut(void)
{
    enum { N = 50 };
    double lo[N + 1], hi[N + 1], path[N + 1];
    size_t lq[N + 1], uq[N + 1];
    int ok = 1;
    for (int c = 0; c < 200; c++) {
        double a = 0, b = 0;
        lo[0] = hi[0] = 0;
        for (size_t k = 1; k < N; k++) {
            b += uni() * 10;
            a = fmin(b, a + uni() * 9);
            lo[k] = a;
            hi[k] = b;
        }
        lo[N] = hi[N] = a + uni() * (b - a);
        bound_taut(lo, hi, N, lq, uq, path);
        for (size_t k = 1; k <= N; k++)
            if (path[k] < lo[k] - 1e-9 || path[k] > hi[k] + 1e-9 ||
                path[k] < path[k - 1] - 1e-9)
                ok = 0;
        if (path[N] != lo[N])
            ok = 0;
    }
    T_CHECK(ok);
}

/* After bound_work_init, a bound (golden section, taut strings, the
 * primal) allocates nothing. */
static void test_noalloc(void)
{
    enum { N = 2000 };
    const double f[] = {1e9, 2e9, 3e9}, b[] = {3, 6, 12}, i[] = {1, 1.5, 2};
    struct bound_hull h;
    T_CHECK(bound_hull_init(&h, 3, f, b, i, -0.2, 8, 0.01) == 0);
    struct bound_work w;
    static double up[N], lo[N], pw[N];
    double acc = 0;
    for (size_t t = 0; t < N; t++)
        up[t] = acc += uni() * 1.2 * h.cmax;
    bound_deadline_tube(up, N, 3, lo);
    T_CHECK(bound_work_init(&w, N) == 0);
    struct bound_pu_res r;
    unsigned long allocs = 1;
    allocount_start();
    bound_pu(&h, up, NULL, N, &w, &r, pw, NULL);
    bound_pu(&h, up, lo, N, &w, &r, pw, NULL);
    allocount_stop(&allocs, NULL);
    T_CHECK(allocs == 0);
    T_CHECK(r.bound > 0 && r.primal >= r.bound);
    bound_work_free(&w);
}

int main(void)
{
    allocount_install();
    test_hull();
    test_taut();
    test_exact();
    test_unserved();
    test_random();
    test_noalloc();
    return t_done("test_bound");
}

/*
 * bound - a certified lower bound on the energy any policy can spend
 * serving a recorded stream of work on one processing unit, from its
 * P-state table (issue 13, item 3).  `wattson bench broker` runs it per
 * PU on each table's recorded arrivals; the math and its proof sketch are
 * in bound.c's design comment.
 *
 * The model of one tick of length dt at P-state j (capacity c_j = f_j x
 * opc x dt ops): serving s <= c_j ops costs dt (idle_j + (busy_j -
 * idle_j) s / c_j).  h(s) is the lower convex envelope of those segments
 * over [0, c_max] (mixing states within a tick); e_min = min_j dt busy_j
 * / c_j is the cheapest energy per op there is, the charge for work left
 * unserved at the end.
 *
 * Arrays are cumulative, indexed by tick: up[t] is the work that has
 * arrived by tick t's start, inclusive of tick t's own arrivals (served
 * in that tick at the earliest), lo[t] the work that must have been
 * served by tick t's end (deadlines), both non-decreasing.
 *
 * Nothing here allocates after bound_work_init.
 */
#ifndef WATTSON_BOUND_H
#define WATTSON_BOUND_H

#include <stddef.h>

/* States a table may have (the loader's PLUG_MAX_PSTATES). */
#define BOUND_MAX_PSTATES 128

/* h: the vertices of the lower convex envelope, s increasing from 0 to
 * cmax, and e_min. */
struct bound_hull {
    size_t n;
    double s[BOUND_MAX_PSTATES + 1], e[BOUND_MAX_PSTATES + 1];
    double cmax;      /* ops per tick at the top state */
    double emin;      /* J per op, the cheapest */
    double slope_max; /* h's largest slope, J per op */
    /* The table, for the primal schedule's single states. */
    size_t nps;
    double cap[BOUND_MAX_PSTATES], busy[BOUND_MAX_PSTATES],
        idle[BOUND_MAX_PSTATES];
    double dt;
};

/* Builds h for one PU: nps states of freq (Hz, increasing), busy and idle
 * (W), each power plus `offset` (W; <= 0 lowers the table to a cooler
 * die, see bound.c), opc ops per cycle, ticks of dt s.  Returns 0, or -1
 * for no state, too many, a non-positive clock, opc or dt, or a power
 * that is negative or not finite after the offset. */
int bound_hull_init(struct bound_hull *h, size_t nps, const double *freq,
                    const double *busy, const double *idle, double offset,
                    double opc, double dt);
/* h(s), J, for 0 <= s <= cmax (clamped into it). */
double bound_hull_eval(const struct bound_hull *h, double s);

/* Scratch for n ticks, allocated once. */
struct bound_work {
    size_t n;
    double *lo, *hi, *path, *low, *reach;
    size_t *lq, *uq;
};
int bound_work_init(struct bound_work *w, size_t n);
void bound_work_free(struct bound_work *w);

/* The taut string: the shortest path from (0, 0) through the points
 * (i, [lo[i], hi[i]]), i = 1..n - 1, to (n, lo[n] = hi[n]); path[i] for
 * i = 0..n (path[0] = 0).  lo <= hi everywhere and a non-decreasing path
 * must fit (the caller's job).  O(n).  Exposed for tests. */
void bound_taut(const double *lo, const double *hi, size_t n, size_t *lq,
                size_t *uq, double *path);

/* One PU's result. */
struct bound_pu_res {
    double bound;    /* J: min over paths of sum h(s_t) + emin unserved */
    double end;      /* work served at the end by the bound's path, op */
    double unserved; /* up[n - 1] - end, op */
    double primal;   /* J: the primal schedule (bound.c), same charge */
    size_t clipped;  /* ticks whose deadline no schedule could meet */
    int infeasible;  /* 1 when clipped > 0 */
};

/* The bound for one PU over n ticks: up (required) and lo (NULL: no
 * deadlines).  When power is given, the bound path's power (W, h(s_t) /
 * dt) is added to power[t] for every tick (the caller sums PUs to see
 * whether the budget binds).  path_out, when given, gets the cumulative
 * service of the bound's path (n values).  Returns 0, or -1 when n is 0
 * or w is smaller than n.  Allocates nothing. */
int bound_pu(const struct bound_hull *h, const double *up, const double *lo,
             size_t n, struct bound_work *w, struct bound_pu_res *r,
             double *power, double *path_out);

/* The deadline lag of a PU: work of tick t must be served by the end of
 * tick t + k, k = ceil(deadline / dt) (one tick looser than the sim's
 * rule, so that the relaxation holds whatever the rounding); SIZE_MAX (no
 * constraint) when the deadline is not positive and finite. */
size_t bound_lag(double deadline_s, double dt);

/* lo[t] = up[t - k] (0 for t < k): the deadline tube of cumulative
 * arrivals `arr`, k from bound_lag (SIZE_MAX: all zero). */
void bound_deadline_tube(const double *arr, size_t n, size_t k, double *lo);

#endif

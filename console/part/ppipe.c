/*
 * ppipe - see ppipe.h.
 */
#include "part/ppipe.h"

#include "part/pcost.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The prefix sums a solve works on, positions 0..n of the order. */
struct ppipe_pre {
    size_t n;
    double *w;   /* work before position p */
    double *pb;  /* parameter bytes */
    double *ab;  /* activation bytes */
    double *cut; /* bytes crossing the cut at p (0 < p < n) */
};

static void ppipe_pre_free(struct ppipe_pre *p)
{
    free(p->w);
    free(p->pb);
    free(p->ab);
    free(p->cut);
}

static int ppipe_pre_make(const struct ppipe_in *in, struct ppipe_pre *p)
{
    const struct mgraph *g = in->g;
    const size_t n = g->n;
    memset(p, 0, sizeof *p);
    p->n = n;
    p->w = calloc(n + 1, sizeof *p->w);
    p->pb = calloc(n + 1, sizeof *p->pb);
    p->ab = calloc(n + 1, sizeof *p->ab);
    p->cut = calloc(n + 2, sizeof *p->cut);
    size_t *pos = calloc(n ? n : 1, sizeof *pos),
           *last = calloc(n ? n : 1, sizeof *last);
    if (!p->w || !p->pb || !p->ab || !p->cut || !pos || !last) {
        free(pos);
        free(last);
        ppipe_pre_free(p);
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        const uint32_t u = in->order[k];
        const struct mgraph_node *nd = &g->node[u];
        pos[u] = k;
        last[u] = k;
        p->w[k + 1] = p->w[k] + in->work_ms[u];
        p->pb[k + 1] = p->pb[k] + pcost_bytes(nd->param_bytes);
        p->ab[k + 1] = p->ab[k] + pcost_bytes(nd->act_bytes);
    }
    /* a layer's output crosses every cut between it and its last reader:
     * a difference array over the cuts */
    for (size_t e = 0; e < g->n_edges; e++) {
        const uint32_t a = g->edge[e][0], b = g->edge[e][1];
        if (pos[b] > last[a])
            last[a] = pos[b];
    }
    double *d = p->cut;
    for (uint32_t u = 0; u < n; u++) {
        const double bytes = pcost_bytes(g->node[u].act_bytes);
        if (last[u] > pos[u]) {
            d[pos[u] + 1] += bytes;
            d[last[u] + 1] -= bytes;
        }
    }
    for (size_t k = 1; k <= n; k++)
        d[k] += d[k - 1];
    free(pos);
    free(last);
    return 0;
}

static double ppipe_compute(const struct ppipe_in *in,
                            const struct ppipe_pre *p, size_t i, size_t j,
                            unsigned e)
{
    return pcost_compute(in, p->w[j] - p->w[i], e);
}

static double ppipe_mem(const struct ppipe_pre *p, size_t i, size_t j,
                        unsigned inflight)
{
    return pcost_mem(p->pb[j] - p->pb[i], p->ab[j] - p->ab[i], inflight);
}

/* The link after cut j from device e to d, ms. */
static double ppipe_comm(const struct ppipe_in *in, const struct ppipe_pre *p,
                         size_t j, unsigned e, unsigned d)
{
    if (j == 0 || j >= p->n)
        return 0;
    return pcost_comm(in, p->cut[j], e, d);
}

/* ---- the feasibility programme ---- */

struct ppipe_dp {
    size_t words;   /* per bitset */
    uint64_t *bits; /* [mask][d] bitsets over positions 0..n */
};

static uint64_t *ppipe_set(const struct ppipe_dp *dp, unsigned mask, unsigned d)
{
    return dp->bits + ((size_t)mask * PPIPE_MAX_DEV + d) * dp->words;
}

static int ppipe_has(const uint64_t *s, size_t i)
{
    return (s[i / 64] >> (i % 64)) & 1u;
}

static void ppipe_mark(uint64_t *s, size_t i)
{
    s[i / 64] |= 1ull << (i % 64);
}

/* Marks positions [a, b) of s, a word at a time. */
static void ppipe_mark_range(uint64_t *s, size_t a, size_t b)
{
    while (a < b && a % 64)
        ppipe_mark(s, a++);
    for (; a + 64 <= b; a += 64)
        s[a / 64] = ~0ull;
    while (a < b)
        ppipe_mark(s, a++);
}

/* The first start i (<= j) from which a stage [i, j) on device e with
 * `inflight` micro-batches stays within T and e's memory; j when none.
 * Both only grow as i falls, so a bisection finds it. */
static size_t ppipe_imin(const struct ppipe_in *in, const struct ppipe_pre *p,
                         size_t j, unsigned e, unsigned inflight, double t)
{
    size_t lo = 0, hi = j; /* the answer is in [lo, hi] */
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (pcost_fits(ppipe_compute(in, p, mid, j, e), t) &&
            ppipe_mem(p, mid, j, inflight) <= in->dev[e].mem_bytes)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The positions a suffix on the devices of `mask` can start from within
 * T, whichever plan: pcost_window's work windows, as positions.  Near the
 * optimum T is close to the work over every speed and the window is a few
 * positions wide, so the programme below scans and marks almost nothing
 * outside it. */
static void ppipe_window(const struct ppipe_in *in, const struct ppipe_pre *p,
                         double t, size_t *lo, size_t *hi)
{
    const size_t n = p->n;
    const unsigned full = 1u << in->ndev;
    double need[1u << PPIPE_MAX_DEV], room[1u << PPIPE_MAX_DEV];
    pcost_window(in, p->w[n], t, need, room);
    for (unsigned mask = 1; mask < full; mask++) {
        /* first j with w[j] >= need, last j with w[j] <= room (w rises) */
        size_t a = 0, b = n + 1;
        while (a < b) {
            const size_t mid = a + (b - a) / 2;
            if (p->w[mid] >= need[mask])
                b = mid;
            else
                a = mid + 1;
        }
        lo[mask] = a;
        a = 0;
        b = n + 1;
        while (a < b) {
            const size_t mid = a + (b - a) / 2;
            if (p->w[mid] > room[mask])
                b = mid;
            else
                a = mid + 1;
        }
        /* a - 1 is the last j with w[j] <= room; starts are < n */
        hi[mask] = a == 0 ? 0 : (a - 1 < n ? a - 1 : n - 1);
        if (a == 0)
            lo[mask] = 1, hi[mask] = 0; /* none */
    }
}

/* Fills the programme for bottleneck T; 1 when the whole order can be
 * covered (some set with position 0). */
static int ppipe_feasible(const struct ppipe_in *in, const struct ppipe_pre *p,
                          struct ppipe_dp *dp, double t)
{
    const size_t n = p->n;
    const unsigned nd = (unsigned)in->ndev, full = 1u << nd;
    size_t lo[1u << PPIPE_MAX_DEV], hi[1u << PPIPE_MAX_DEV];
    ppipe_window(in, p, t, lo, hi);
    memset(dp->bits, 0,
           (size_t)full * PPIPE_MAX_DEV * dp->words * sizeof *dp->bits);
    int ok = 0;
    /* the last stage: [i, n) */
    for (unsigned e = 0; e < nd; e++) {
        const unsigned m = 1u << e;
        if (lo[m] > hi[m])
            continue;
        uint64_t *s = ppipe_set(dp, m, e);
        const size_t i = ppipe_imin(in, p, n, e, 1, t);
        ppipe_mark_range(s, i > lo[m] ? i : lo[m], hi[m] + 1);
        ok |= ppipe_has(s, 0);
    }
    /* a stage in front of a suffix: masks grow, so increasing order sees
     * every suffix before the stages put in front of it */
    for (unsigned mask = 1; mask < full && !ok; mask++) {
        if (lo[mask] > hi[mask])
            continue;
        const unsigned inflight = (unsigned)__builtin_popcount(mask) + 1;
        const size_t w0 = lo[mask] / 64, w1 = hi[mask] / 64 + 1;
        for (unsigned d = 0; d < nd; d++) {
            if (!(mask >> d & 1))
                continue;
            const uint64_t *r = ppipe_set(dp, mask, d);
            int any = 0;
            for (size_t w = w0; w < w1 && !any; w++)
                any = r[w] != 0;
            if (!any)
                continue;
            for (unsigned e = 0; e < nd; e++) {
                const unsigned m2 = mask | 1u << e;
                if (mask >> e & 1 || lo[m2] > hi[m2])
                    continue;
                uint64_t *s = ppipe_set(dp, m2, e);
                /* the suffix starts j in increasing order (set bits, a
                 * word at a time); the first start i of a stage ending at
                 * j only moves forward as j does, so one pointer serves
                 * them all; marks stay inside the window of m2 */
                size_t covered = lo[m2], i = 0;
                const size_t top = hi[m2] + 1;
                for (size_t w = w0; w < w1; w++) {
                    for (uint64_t bits = r[w]; bits; bits &= bits - 1) {
                        const size_t j = w * 64 + (size_t)__builtin_ctzll(bits);
                        if (j == 0 || j >= n || j <= lo[m2] ||
                            !pcost_fits(ppipe_comm(in, p, j, e, d), t))
                            continue;
                        if (i < covered)
                            i = covered > j ? j : covered;
                        while (i < j &&
                               !(pcost_fits(ppipe_compute(in, p, i, j, e), t) &&
                                 ppipe_mem(p, i, j, inflight) <=
                                     in->dev[e].mem_bytes))
                            i++;
                        const size_t b = j < top ? j : top;
                        if (i < b)
                            ppipe_mark_range(s, i > covered ? i : covered, b);
                        covered = b > covered ? b : covered;
                    }
                }
                ok |= ppipe_has(s, 0);
            }
        }
    }
    return ok;
}

/* After a feasible programme: walks from position 0 forward, choosing at
 * each stage an end and a next device whose suffix set has that end. */
static void ppipe_walk(const struct ppipe_in *in, const struct ppipe_pre *p,
                       const struct ppipe_dp *dp, double t,
                       struct ppipe_plan *out)
{
    const size_t n = p->n;
    const unsigned nd = (unsigned)in->ndev, full = 1u << nd;
    unsigned mask = 0, d = 0;
    /* the start: any (mask, d) whose set has 0 */
    for (unsigned m = 1; m < full && !mask; m++)
        for (unsigned k = 0; k < nd; k++)
            if (m >> k & 1 && ppipe_has(ppipe_set(dp, m, k), 0)) {
                mask = m;
                d = k;
                break;
            }
    size_t i = 0;
    unsigned st = 0;
    out->first[0] = 0;
    while (mask) {
        const unsigned inflight = (unsigned)__builtin_popcount(mask);
        const unsigned rest = mask & ~(1u << d);
        size_t end = n;
        unsigned next = d;
        if (rest) {
            int found = 0;
            for (size_t j = i + 1; j < n && !found; j++) {
                if (!pcost_fits(ppipe_compute(in, p, i, j, d), t) ||
                    ppipe_mem(p, i, j, inflight) > in->dev[d].mem_bytes)
                    break; /* longer stages only get worse */
                for (unsigned k = 0; k < nd && !found; k++)
                    if (rest >> k & 1 && ppipe_has(ppipe_set(dp, rest, k), j) &&
                        pcost_fits(ppipe_comm(in, p, j, d, k), t)) {
                        end = j;
                        next = k;
                        found = 1;
                    }
            }
        }
        out->dev[st] = d;
        out->first[st + 1] = end;
        st++;
        i = end;
        mask = rest;
        d = next;
    }
    out->nstages = st;
}

static double ppipe_eval_pre(const struct ppipe_in *in,
                             const struct ppipe_pre *pre, struct ppipe_plan *pl)
{
    double worst = 0;
    for (unsigned k = 0; k < pl->nstages; k++) {
        const size_t i = pl->first[k], j = pl->first[k + 1];
        const unsigned e = pl->dev[k];
        pl->compute_ms[k] = ppipe_compute(in, pre, i, j, e);
        pl->comm_ms[k] =
            k + 1 < pl->nstages ? ppipe_comm(in, pre, j, e, pl->dev[k + 1]) : 0;
        pl->mem_bytes[k] = ppipe_mem(pre, i, j, pl->nstages - k);
        if (pl->mem_bytes[k] > in->dev[e].mem_bytes)
            worst = INFINITY;
        worst = fmax(worst, fmax(pl->compute_ms[k], pl->comm_ms[k]));
    }
    pl->bottleneck_ms = worst;
    return worst;
}

double ppipe_eval(const struct ppipe_in *in, struct ppipe_plan *pl)
{
    struct ppipe_pre p;
    if (ppipe_pre_make(in, &p) != 0)
        return NAN;
    const double worst = ppipe_eval_pre(in, &p, pl);
    ppipe_pre_free(&p);
    return worst;
}

/* The certified lower bound (pcost_bound) with this order's cuts: a
 * bound for every plan of the order, not for other orders (whose cuts
 * may be cheaper; part/pideal.c bounds those with every down-set's). */
static double ppipe_bound(const struct ppipe_in *in, const struct ppipe_pre *p)
{
    const size_t n = p->n;
    double heaviest = 0;
    for (size_t k = 0; k < n; k++)
        heaviest = fmax(heaviest, p->w[k + 1] - p->w[k]);
    double *cut = malloc((n > 1 ? n - 1 : 1) * sizeof *cut);
    if (!cut)
        return 0; /* out of memory: 0 is a bound, if not a useful one */
    for (size_t j = 1; j < n; j++)
        cut[j - 1] = p->cut[j];
    const double b = pcost_bound(in, p->w[n], heaviest, cut, n - 1);
    free(cut);
    return b;
}

/* The bisection's callbacks (pcost_search). */
struct ppipe_run {
    const struct ppipe_in *in;
    const struct ppipe_pre *p;
    struct ppipe_dp *dp;
    struct ppipe_plan *out;
};

static int ppipe_try(void *ctx, double t)
{
    struct ppipe_run *r = ctx;
    return ppipe_feasible(r->in, r->p, r->dp, t);
}

static double ppipe_take(void *ctx, double t)
{
    struct ppipe_run *r = ctx;
    ppipe_walk(r->in, r->p, r->dp, t, r->out);
    return ppipe_eval_pre(r->in, r->p, r->out);
}

int ppipe_solve(const struct ppipe_in *in, struct ppipe_plan *out, char *err,
                size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (pcost_check(in, err, errlen) != 0)
        return -1;
    struct ppipe_pre p;
    struct ppipe_dp dp;
    if (ppipe_pre_make(in, &p) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    dp.words = (p.n + 1 + 63) / 64;
    dp.bits = calloc((size_t)(1u << in->ndev) * PPIPE_MAX_DEV * dp.words,
                     sizeof *dp.bits);
    if (!dp.bits) {
        ppipe_pre_free(&p);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    const double lb = ppipe_bound(in, &p);
    if (!ppipe_feasible(in, &p, &dp, INFINITY)) {
        pcost_nofit(in, err, errlen);
        rc = -1;
    } else {
        struct ppipe_run run = {in, &p, &dp, out};
        pcost_search(lb, NAN, INFINITY, ppipe_try, ppipe_take, &run);
        out->bound_ms = lb;
    }
    free(dp.bits);
    ppipe_pre_free(&p);
    return rc;
}

double ppipe_lower_bound(const struct ppipe_in *in)
{
    char err[256];
    struct ppipe_pre p;
    if (pcost_check(in, err, sizeof err) != 0 || ppipe_pre_make(in, &p) != 0)
        return NAN;
    const double lb = ppipe_bound(in, &p);
    ppipe_pre_free(&p);
    return lb;
}

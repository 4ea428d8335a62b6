/*
 * pcost - see pcost.h.
 */
#include "part/pcost.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

double pcost_bytes(double x)
{
    return x > 0 ? x : 0;
}

int pcost_fits(double x, double t)
{
    return x <= t * (1 + 1e-12);
}

double pcost_compute(const struct ppipe_in *in, double work, unsigned e)
{
    return work / in->dev[e].speed;
}

double pcost_mem(double param_bytes, double act_bytes, unsigned inflight)
{
    return 2 * param_bytes + inflight * act_bytes;
}

double pcost_comm(const struct ppipe_in *in, double bytes, unsigned e,
                  unsigned d)
{
    const size_t k = (size_t)e * in->ndev + d;
    return (2 * bytes / in->bw[k] + 2 * in->lat[k]) * 1e3;
}

int pcost_check(const struct ppipe_in *in, char *err, size_t errlen)
{
    if (in->ndev < 1 || in->ndev > PPIPE_MAX_DEV) {
        snprintf(err, errlen, "%zu devices: between 1 and %d", in->ndev,
                 PPIPE_MAX_DEV);
        return -1;
    }
    if (!in->g || in->g->n == 0) {
        snprintf(err, errlen, "the model has no layers");
        return -1;
    }
    for (size_t e = 0; e < in->ndev; e++) {
        if (!(in->dev[e].speed > 0) || !isfinite(in->dev[e].speed) ||
            !(in->dev[e].mem_bytes > 0)) {
            snprintf(err, errlen, "device %s: speed and memory must be > 0",
                     in->dev[e].name);
            return -1;
        }
        for (size_t f = 0; f < in->ndev; f++) {
            const size_t k = e * in->ndev + f;
            if (e != f && (!(in->bw[k] > 0) || !(in->lat[k] >= 0))) {
                snprintf(err, errlen,
                         "link %s -> %s: bandwidth must be > 0 and latency "
                         ">= 0",
                         in->dev[e].name, in->dev[f].name);
                return -1;
            }
        }
    }
    for (size_t u = 0; u < in->g->n; u++)
        if (!(in->work_ms[u] >= 0) || !isfinite(in->work_ms[u])) {
            snprintf(err, errlen, "layer %s: work %g ms", in->g->node[u].name,
                     in->work_ms[u]);
            return -1;
        }
    return 0;
}

void pcost_nofit(const struct ppipe_in *in, char *err, size_t errlen)
{
    double need = 0, most = 0;
    for (size_t u = 0; u < in->g->n; u++) {
        const struct mgraph_node *nd = &in->g->node[u];
        need = fmax(need, pcost_mem(pcost_bytes(nd->param_bytes),
                                    pcost_bytes(nd->act_bytes), 1));
    }
    for (size_t e = 0; e < in->ndev; e++)
        most = fmax(most, in->dev[e].mem_bytes);
    snprintf(err, errlen,
             "no partition fits in memory: the model needs more than its "
             "%zu devices hold (the largest layer alone %.3g bytes, the "
             "largest device %.3g)",
             in->ndev, need, most);
}

void pcost_window(const struct ppipe_in *in, double total_work, double t,
                  double *need, double *room)
{
    const unsigned nd = (unsigned)in->ndev, full = 1u << nd;
    const double slack = 1 + 1e-9;
    for (unsigned mask = 1; mask < full; mask++) {
        /* both sums over their own devices: the full set's complement is
         * exactly 0 (no prefix), whatever T, even INFINITY */
        double in_s = 0, out_s = 0;
        for (unsigned e = 0; e < nd; e++)
            if (mask >> e & 1)
                in_s += in->dev[e].speed;
            else
                out_s += in->dev[e].speed;
        need[mask] = total_work - t * in_s * slack;
        room[mask] = out_s > 0 ? t * out_s * slack : 0;
    }
}

double pcost_search(double lb, double hint, double tmax,
                    int (*feasible)(void *ctx, double t),
                    double (*take)(void *ctx, double t), void *ctx)
{
    /* lo: infeasible (or the bound); hi: the best plan taken so far,
     * first the hint (a plan known to exist) or the bound, doubled until
     * feasible */
    double lo = lb > 0 ? lb : 1e-9;
    double hi = hint > lo && hint < tmax ? hint : lo;
    for (;;) {
        if (feasible(ctx, hi)) {
            const double got = take(ctx, hi);
            hi = got < hi ? got : hi;
            break;
        }
        if (hi >= tmax)
            return NAN; /* nothing fits, whatever T */
        lo = hi;
        hi = fmin(2 * hi, tmax);
    }
    /* Bisection, the top always an achieved bottleneck (a feasible T's
     * plan often does better than T).  Plans are discrete: within 1e-4
     * of the best there are few values left, so from there it asks
     * "better than the best?" (just under it, 1e-11, beyond pcost_fits'
     * tolerance): each yes a better plan, a no the proof that the best is
     * optimal; after three yeses in a row it bisects once (so that many
     * close values cannot make it slow); within 1e-7 it only asks that. */
    int streak = 0;
    for (;;) {
        const int probe =
            !(hi - lo > 1e-7 * hi) || (!(hi - lo > 1e-4 * hi) && streak < 3);
        const double mid = probe ? hi * (1 - 1e-11) : lo + (hi - lo) / 2;
        if (!(mid > lo))
            break;
        if (feasible(ctx, mid)) {
            const double got = take(ctx, mid);
            hi = got < mid ? got : mid;
            streak = probe ? streak + 1 : 0;
        } else {
            lo = mid;
            streak = 0;
            if (probe)
                break;
        }
    }
    return hi; /* the plan of the last take() */
}

static int pcost_cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* For each number of stages k, a plan of k stages runs all the work on k
 * devices, at best the k fastest (W / their speeds), and has k - 1
 * distinct cuts, each over some link: its slowest is at least the
 * (k-1)-th cheapest cut over the fastest link with the smallest latency;
 * no plan beats the smallest over k of those, nor the heaviest layer on
 * the fastest device. */
double pcost_bound(const struct ppipe_in *in, double total_work,
                   double heaviest, double *cut, size_t ncut)
{
    double speed[PPIPE_MAX_DEV], maxbw = 0, minlat = INFINITY;
    const size_t nd = in->ndev, n = in->g->n;
    for (size_t e = 0; e < nd; e++)
        speed[e] = in->dev[e].speed;
    qsort(speed, nd, sizeof *speed, pcost_cmp); /* slowest first */
    for (size_t e = 0; e < nd; e++)
        for (size_t f = 0; f < nd; f++)
            if (e != f) {
                maxbw = fmax(maxbw, in->bw[e * nd + f]);
                minlat = fmin(minlat, in->lat[e * nd + f]);
            }
    qsort(cut, ncut, sizeof *cut, pcost_cmp);
    double best = INFINITY, sum = 0;
    for (size_t k = 1; k <= nd && k <= n; k++) {
        sum += speed[nd - k];
        double b = total_work / sum;
        if (k >= 2 && maxbw > 0)
            b = fmax(b, k - 2 < ncut
                            ? (2 * cut[k - 2] / maxbw + 2 * minlat) * 1e3
                            : INFINITY);
        best = fmin(best, b);
    }
    return fmax(best, heaviest / speed[nd - 1]);
}

double pcost_bound_any(const struct ppipe_in *in)
{
    char err[256];
    if (pcost_check(in, err, sizeof err) != 0)
        return NAN;
    double w = 0, heaviest = 0, sum = 0, fastest = 0;
    for (size_t u = 0; u < in->g->n; u++) {
        w += in->work_ms[u];
        heaviest = fmax(heaviest, in->work_ms[u]);
    }
    for (size_t e = 0; e < in->ndev; e++) {
        sum += in->dev[e].speed;
        fastest = fmax(fastest, in->dev[e].speed);
    }
    return fmax(w / sum, heaviest / fastest);
}

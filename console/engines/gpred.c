/*
 * gpred - see gpred.h.
 */
#include "engines/gpred.h"

#include <math.h>
#include <string.h>

void gpred_init(struct gpred *g, unsigned h)
{
    memset(g, 0, sizeof *g);
    g->h = h < 1 ? 1 : h > GPRED_HMAX ? GPRED_HMAX : h;
}

/* Stores (sig, sm, mem): over a stored signature within GPRED_SAME, else
 * into the next FIFO slot. */
static void gpred_store(struct gpred *g, const double *sig, double sm,
                        double mem_b)
{
    double bd;
    unsigned slot = gprof_nearest(g->msig, g->mn, sig, &bd);
    if (bd > GPRED_SAME) {
        slot = g->mnext;
        g->mnext = (g->mnext + 1) % GPRED_MEM;
        if (g->mn < GPRED_MEM)
            g->mn++;
    }
    memcpy(g->msig[slot], sig, sizeof g->msig[slot]);
    g->msm[slot] = sm;
    g->mmem[slot] = mem_b;
}

void gpred_add(struct gpred *g, const double *sig, double sm, double mem_b)
{
    if (g->filled == g->h) {
        /* The oldest window is h windows old: label it with the largest
         * use of the h windows after it (the others and this one). */
        double msm = sm, mmem = mem_b;
        for (unsigned k = 1; k < g->h; k++) {
            unsigned i = (g->head + k) % g->h;
            msm = fmax(msm, g->hsm[i]);
            mmem = fmax(mmem, g->hmem[i]);
        }
        gpred_store(g, g->hsig[g->head], msm, mmem);
    } else {
        g->filled++;
    }
    memcpy(g->hsig[g->head], sig, sizeof g->hsig[g->head]);
    g->hsm[g->head] = sm;
    g->hmem[g->head] = mem_b;
    g->head = (g->head + 1) % g->h;
}

unsigned gpred_predict(const struct gpred *g, const double *sig, double *sm,
                       double *mem_b)
{
    unsigned idx[GPRED_K];
    double dist[GPRED_K];
    unsigned n = 0;
    for (unsigned i = 0; i < g->mn; i++) {
        double d = gprof_dist(g->msig[i], sig);
        if (d > GPRED_RADIUS)
            continue;
        /* insertion into the k best, nearest first */
        unsigned pos;
        if (n < GPRED_K)
            pos = n++;
        else if (d >= dist[GPRED_K - 1])
            continue;
        else
            pos = GPRED_K - 1;
        while (pos > 0 && dist[pos - 1] > d) {
            dist[pos] = dist[pos - 1];
            idx[pos] = idx[pos - 1];
            pos--;
        }
        dist[pos] = d;
        idx[pos] = i;
    }
    if (n == 0)
        return 0;
    double ws = 0, s = 0, mb = 0;
    for (unsigned k = 0; k < n; k++) {
        double w = 1.0 / (dist[k] + 1e-3);
        ws += w;
        s += w * g->msm[idx[k]];
        mb += w * g->mmem[idx[k]];
    }
    *sm = s / ws;
    *mem_b = mb / ws;
    return n;
}

void gpred_recent(const struct gpred *g, unsigned n, double *sm, double *mem_b)
{
    double s = 0, mb = 0;
    if (n > g->filled)
        n = g->filled;
    for (unsigned k = 1; k <= n; k++) {
        unsigned i = (g->head + g->h - k) % g->h;
        s = fmax(s, g->hsm[i]);
        mb = fmax(mb, g->hmem[i]);
    }
    *sm = s;
    *mem_b = mb;
}

/*
 * gprof - see gprof.h.
 */
#include "engines/gprof.h"

#include <math.h>
#include <string.h>

#include "wattson/plugin.h"

void gprof_init(struct gprof *g, double mem_total)
{
    memset(g, 0, sizeof *g);
    g->mem_total = mem_total > 0 && isfinite(mem_total) ? mem_total : 1;
    g->perf = NAN;
}

static double gprof_val(double v)
{
    return isfinite(v) ? v : 0;
}

static double gprof_clip(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void gprof_add(struct gprof *g, const struct wattson_gpu_proc *p)
{
    g->sum[GPROF_SM] += gprof_clip(gprof_val(p->sm), 0, 1);
    g->sum_mem_b += gprof_val(p->mem_bytes);
    g->sum[GPROF_BW] += gprof_clip(gprof_val(p->mem_bw), 0, 1);
    g->sum[GPROF_LAUNCH] +=
        gprof_clip(log10(1 + fmax(0, gprof_val(p->launches))) / 6, 0, 1);
    g->sum[GPROF_PCIE] +=
        gprof_clip(log10(1 + fmax(0, gprof_val(p->pcie_bps))) / 11, 0, 1);
    g->sum[GPROF_ENC] += gprof_clip(gprof_val(p->enc), 0, 1);
    g->sum[GPROF_DEC] += gprof_clip(gprof_val(p->dec), 0, 1);
    if (isfinite(p->perf)) {
        g->sum_perf += p->perf;
        g->n_perf++;
    }
    g->n++;
}

double gprof_dist(const double *a, const double *b)
{
    double s = 0;
    for (int k = 0; k < GPROF_DIM; k++)
        s += (a[k] - b[k]) * (a[k] - b[k]);
    return sqrt(s);
}

unsigned gprof_nearest(const double (*set)[GPROF_DIM], unsigned n,
                       const double *sig, double *dist)
{
    unsigned best = 0;
    double bd = INFINITY;
    for (unsigned i = 0; i < n; i++) {
        double d = gprof_dist(set[i], sig);
        if (d < bd) {
            bd = d;
            best = i;
        }
    }
    *dist = bd;
    return best;
}

/* The id of the phase whose centroid is nearest `sig` within
 * GPROF_PHASE_DIST, else a new one (the last slot is reused when full). */
static unsigned gprof_phase_id(struct gprof *g, const double *sig)
{
    double bd;
    unsigned best = gprof_nearest(g->phase_c, g->n_phase_ids, sig, &bd);
    if (bd <= GPROF_PHASE_DIST)
        return best;
    unsigned id = g->n_phase_ids < GPROF_MAX_PHASES ? g->n_phase_ids++
                                                    : GPROF_MAX_PHASES - 1;
    memcpy(g->phase_c[id], sig, sizeof g->phase_c[id]);
    return id;
}

int gprof_end(struct gprof *g, double window_s)
{
    if (g->n == 0)
        return -1;
    double inv = 1.0 / g->n;
    double mem_b = g->sum_mem_b * inv;
    for (int k = 0; k < GPROF_DIM; k++)
        g->sig[k] = g->sum[k] * inv;
    g->sig[GPROF_MEM] = gprof_clip(mem_b / g->mem_total, 0, 1);
    double grow = 0;
    if (g->has_last_mem && window_s > 0)
        grow = (mem_b - g->last_mem_b) / window_s / g->mem_total * 10;
    g->sig[GPROF_DMEM] = gprof_clip(grow, -1, 1);
    g->last_mem_b = mem_b;
    g->has_last_mem = 1;
    g->sm = g->sig[GPROF_SM];
    g->mem_b = mem_b;
    g->perf = g->n_perf ? g->sum_perf / g->n_perf : NAN;
    memset(g->sum, 0, sizeof g->sum);
    g->sum_mem_b = g->sum_perf = 0;
    g->n = g->n_perf = 0;

    int changed = 0;
    if (g->windows == 0) {
        memcpy(g->centroid, g->sig, sizeof g->centroid);
        g->phase = gprof_phase_id(g, g->sig);
    } else if (gprof_dist(g->sig, g->centroid) > GPROF_PHASE_DIST) {
        if (++g->far_run >= GPROF_PHASE_HOLD) {
            memcpy(g->centroid, g->sig, sizeof g->centroid);
            g->phase = gprof_phase_id(g, g->sig);
            g->far_run = 0;
            g->phase_changes++;
            changed = 1;
        }
    } else {
        g->far_run = 0;
        for (int k = 0; k < GPROF_DIM; k++)
            g->centroid[k] += 0.2 * (g->sig[k] - g->centroid[k]);
        /* The phase's remembered centroid follows it too, so a scene seen
         * again is recognised by where it settled, not its first window. */
        memcpy(g->phase_c[g->phase], g->centroid, sizeof g->centroid);
    }
    g->windows++;
    return changed;
}

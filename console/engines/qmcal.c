/*
 * qmcal - see qmcal.h.
 */
#include "engines/qmcal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The swept reward at v: linear between the sweep's points, flat beyond
 * the ends. */
double qmcal_model(const struct qmesh_agent *a, const double *y, double v)
{
    if (v <= a->sw_v[0])
        return y[0];
    for (unsigned k = 1; k < a->sw_n; k++)
        if (v <= a->sw_v[k]) {
            const double t =
                (v - a->sw_v[k - 1]) / (a->sw_v[k] - a->sw_v[k - 1]);
            return y[k - 1] + t * (y[k] - y[k - 1]);
        }
    return y[a->sw_n - 1];
}

double qmcal_penalty(const struct qmesh_cfg *c, double err)
{
    if (!(err > c->err_ok))
        return 0;
    return c->w_err * log10(err / c->err_ok);
}

/* The state of voltage bin vb, error band eb, load band lb, feeding fb
 * (qmesh.h: vbin * QMESH_CTX + context). */
unsigned qmcal_sidx(unsigned vb, unsigned eb, unsigned lb, unsigned fb)
{
    return vb * QMESH_CTX + (eb * 3 + lb) * 2 + fb;
}

/* The end of a sweep: the reward scale (the best perf/W among points
 * without errors, all points if every one has them), and sw_r from
 * perf/W to rewards. */
void qmcal_scale(const struct qmesh_cfg *c, struct qmesh_agent *a)
{
    double best = 0;
    for (int pass = 0; pass < 2 && !(best > 0); pass++)
        for (unsigned k = 0; k < a->sw_n; k++)
            if ((pass || a->sw_e[k] <= c->err_ok) && a->sw_r[k] > best)
                best = a->sw_r[k];
    a->lambda = best > 0 ? best : 1;
    /* perf/W smoothed over each point and its neighbours (1-2-1) where
     * none of the three has errors over err_ok: the curve is smooth on
     * the scale of a sweep step (~9-27 mV), its readings are not (1 %
     * noise in the input power), and on a flat peak (a cpu's perf/W is
     * within 2 % over ~75 mV) one noisy reading can make a point far
     * from the peak the best, where the dead band would then keep the
     * agent; smoothing cuts that noise to 0.6 of itself.  Not across an
     * error edge, whose penalty is exact. */
    double sm[QMESH_SWEEP_MAX];
    for (unsigned k = 0; k < a->sw_n; k++) {
        sm[k] = a->sw_r[k];
        if (k > 0 && k + 1 < a->sw_n && a->sw_e[k - 1] <= c->err_ok &&
            a->sw_e[k] <= c->err_ok && a->sw_e[k + 1] <= c->err_ok)
            sm[k] = 0.25 * a->sw_r[k - 1] + 0.5 * a->sw_r[k] +
                    0.25 * a->sw_r[k + 1];
    }
    for (unsigned k = 0; k < a->sw_n; k++)
        a->sw_r[k] = sm[k] / a->lambda - qmcal_penalty(c, a->sw_e[k]);
}

/* The swept point with the best reward. */
static unsigned qmcal_best(const struct qmesh_agent *a)
{
    unsigned kb = 0;
    for (unsigned k = 1; k < a->sw_n; k++)
        if (a->sw_r[k] > a->sw_r[kb])
            kb = k;
    return kb;
}

/* The bins and the table seeded from the swept curve.  vc, if finite, is
 * the voltage the agent goes to: the bins are stretched (by at most
 * 1/(2k) for k >= 4 bins above vmin, so an action still moves the state
 * by one bin to within an eighth of one) to put vc at a bin's centre.
 * Where the best is an edge (an error cliff) a bin that straddles it
 * would be seeded with the curve half a bin off, on the cliff's wrong
 * side or a bin's worth of perf/W up, and the noise in the voltage
 * reading (1.5 mV against a half bin of ~2.7 mV) would flip the state
 * across a border that lies on it. */
static void qmcal_table(struct qmesh *q, struct qmesh_agent *a, double dvdd,
                        double vc)
{
    const struct qmesh_cfg *c = &q->cfg;
    double vs = c->dstep * dvdd;
    const double span = a->vmax - a->vmin;
    if (!(vs > 0) || span / vs > QMESH_VBINS - 1)
        vs = span / (QMESH_VBINS - 1);
    if (isfinite(vc) && vc > a->vmin) {
        const double k = floor((vc - a->vmin) / vs + 0.5);
        if (k >= 4 && span / ((vc - a->vmin) / k) <= QMESH_VBINS - 1)
            vs = (vc - a->vmin) / k;
    }
    a->vstep = vs;
    a->nbins = (unsigned)(span / vs) + 1;
    if (a->nbins > QMESH_VBINS)
        a->nbins = QMESH_VBINS;
    for (unsigned s = 0; s < QMESH_NSTATES; s++) {
        const unsigned vb = s / QMESH_CTX;
        const double v = a->vmin + vb * vs;
        for (unsigned k = 0; k < QMESH_NACT; k++) {
            const double v2 = v + ((int)k - 2) * vs;
            a->q[s * QMESH_NACT + k] =
                qmcal_model(a, a->sw_r, v2) / (1 - c->gamma);
            a->visits[s * QMESH_NACT + k] = 0;
        }
    }
    a->phase = QMESH_LEARN;
    a->fining = 0;
    a->have_prev = 0;
    a->sweeps++;
}

/* The table, and back to the swept best's duty.  Its voltage there (the
 * bins' centre) is the mean of its reading and its neighbours' moved
 * along dV/dD, which halves the reading's noise; a neighbour whose
 * reading disagrees by more than 3 rms of two readings' noise (at the
 * converter's current limit the voltage stops following the duty) is
 * left out. */
void qmcal_seed(struct qmesh *q, struct qmesh_agent *a)
{
    const unsigned kb = qmcal_best(a);
    double sv = 0;
    unsigned nv = 0;
    for (unsigned k = kb > 0 ? kb - 1 : 0; k <= kb + 1 && k < a->sw_n; k++) {
        const double vk = a->sw_v[k] + a->sw_g[kb] * (a->sw_d[kb] - a->sw_d[k]);
        if (k == kb || fabs(vk - a->sw_v[kb]) < 6.4e-3) {
            sv += vk;
            nv++;
        }
    }
    qmcal_table(q, a, a->sw_g[kb], sv / nv);
    a->duty = a->sw_d[kb];
}

/*
 * The error cliff.  A module whose clock is fixed does the same work at
 * any voltage that meets timing, so its perf/W rises as the voltage
 * falls until the error rate passes err_ok: its best is an edge, not a
 * smooth peak, and 1 % of perf/W is ~4 mV there (its power goes as
 * ~V^2), under one duty step (~5.4 mV) and half a coarse sweep step
 * (~8.7 mV).  The coarse sweep finds the edge only to within a sweep
 * step, and the seeded table, interpolating the reward between a point
 * with errors (penalised by decades) and one without, ranks every
 * voltage between them far under its worth: the agent stays at the
 * point above the edge, up to a sweep step (~2.3 % of perf/W) away, and
 * learns its way down only by exploration, 0.4 % of its steps.
 *
 * So where the best swept point is next to the edge (the point under it
 * has errors over err_ok, it has none) the agent sweeps that gap again in
 * quarter duty steps, and goes to the duty where the error rate, which
 * it reads directly (not from the noisy voltage), crosses
 * err_ok / 10^QMESH_CLIFF_DEC: between two fine points an error rate
 * that falls a decade per few mV is close to log-linear, so interpolating
 * its logarithm in duty puts the agent on the edge to a fraction of a
 * mV.  The margin, 0.1 decade (~0.5 mV on a 5 mV/decade cliff, ~0.1 %
 * of perf/W), keeps the rate under err_ok when the load line's droop
 * moves the bus at a fixed duty: the error rate is read without noise
 * and the bus moves only by the droop (1.5 mOhm) times a change in the
 * module's current, and 0.5 mV is 0.33 A, 3 % of an fpga's. (0.3 decade
 * was tried first: 0.4 % of perf/W more, and a step above that edge cost
 * enough that one node caught there took the type's 20-step mean under
 * 1 %.)  Larger drifts (aging moves the cliff ~25 mV) are the re-sweep's.
 * The perf/W of the fine points is not read: over a quarter step it
 * changes ~0.4 %, under the 1 % noise of the input power reading; it is
 * interpolated from the coarse sweep.
 */
#define QMESH_CLIFF_DEC 0.1

/* The least-squares slope of y over the swept voltages k0..k1-1. */
static double qmcal_slope(const struct qmesh_agent *a, const double *y,
                          unsigned k0, unsigned k1)
{
    double mv = 0, my = 0, sxy = 0, sxx = 0;
    for (unsigned k = k0; k < k1; k++) {
        mv += a->sw_v[k] / (k1 - k0);
        my += y[k] / (k1 - k0);
    }
    for (unsigned k = k0; k < k1; k++) {
        sxy += (a->sw_v[k] - mv) * (y[k] - my);
        sxx += (a->sw_v[k] - mv) * (a->sw_v[k] - mv);
    }
    return sxx > 0 ? sxy / sxx : 0;
}

/* The coarse point j (the lowest without errors over err_ok, the one
 * under it with them) when the best is at that edge; 0 when there is no
 * such edge.  The best is at the edge when the module's performance does
 * not grow with the voltage above it (a fixed clock) while its power
 * does, so that perf/W only falls going up: over j and the three points
 * above it, the least-squares slope of ln(perf) under half that of
 * ln(input power) (ln(perf) - ln(perf/W)), and that of perf/W negative.
 * Not the swept best itself: one reading of the input power has 1 %
 * noise against a 2.3 % fall per sweep step, so a point a step or two
 * over the edge is the best one in ~1 sweep in 10 (and then the agent
 * would stay there); and not perf/W's slope alone, which on a module
 * whose peak is flat and near its edge (a gpu: ~1 % over the 60 mV
 * above it) the noise turns negative now and then, while its
 * performance, read with 0.2 % noise, rises ~15 % over those points. */
unsigned qmcal_cliff(const struct qmesh_cfg *c, const struct qmesh_agent *a)
{
    for (unsigned j = 1; j < a->sw_n; j++) {
        if (!(a->sw_e[j - 1] > c->err_ok && a->sw_e[j] <= c->err_ok))
            continue;
        const unsigned hi = j + 4 < a->sw_n ? j + 4 : a->sw_n;
        if (hi - j < 3 || !(a->sw_d[j] > a->sw_d[j - 1]))
            return 0;
        double lp[QMESH_SWEEP_MAX], le[QMESH_SWEEP_MAX];
        for (unsigned k = j; k < hi; k++) {
            if (!(a->sw_p[k] > 0) ||
                !(a->sw_r[k] + qmcal_penalty(c, a->sw_e[k]) > 0))
                return 0;
            lp[k] = log(a->sw_p[k]);
            le[k] = log(a->sw_r[k] + qmcal_penalty(c, a->sw_e[k]));
        }
        const double sp = qmcal_slope(a, lp, j, hi),
                     se = qmcal_slope(a, le, j, hi);
        return se < 0 && sp < 0.5 * (sp - se) ? j : 0;
    }
    return 0;
}

/* Starts the fine sweep of the gap below coarse point j: quarter duty
 * steps or finer, at most QMESH_FINE_MAX points. */
void qmcal_fine_start(const struct qmesh_cfg *c, struct qmesh_agent *a,
                      unsigned j)
{
    const double gap = a->sw_d[j] - a->sw_d[j - 1];
    unsigned n = (unsigned)ceil(gap / (c->dstep / 4)) - 1;
    if (n < 1)
        n = 1;
    if (n > QMESH_FINE_MAX)
        n = QMESH_FINE_MAX;
    a->fining = (int)j;
    a->fine_n = n;
    a->fine_k = 0;
    a->fine_d0 = a->sw_d[j - 1];
    a->fine_dd = gap / (n + 1);
    a->sw_hold = 0;
}

/* The end of the fine sweep: the duty on the edge, the fine points in the
 * swept curve, the table, and to the edge. */
void qmcal_fine_done(struct qmesh *q, struct qmesh_agent *a,
                     const struct qmesh_obs *o)
{
    const struct qmesh_cfg *c = &q->cfg;
    const unsigned j = (unsigned)a->fining, n = a->fine_n;
    /* the points across the gap, by duty: coarse j-1, fine, coarse j */
    double d[QMESH_FINE_MAX + 2], e[QMESH_FINE_MAX + 2], vm[QMESH_FINE_MAX + 2],
        im[QMESH_FINE_MAX + 2];
    d[0] = a->sw_d[j - 1];
    e[0] = a->sw_e[j - 1];
    vm[0] = a->sw_v[j - 1];
    im[0] = a->sw_i[j - 1];
    for (unsigned k = 0; k < n; k++) {
        d[k + 1] = a->fine_d0 + a->fine_dd * (k + 1);
        e[k + 1] = a->fine_e[k];
        vm[k + 1] = a->fine_v[k];
        im[k + 1] = a->fine_i[k];
    }
    d[n + 1] = a->sw_d[j];
    e[n + 1] = a->sw_e[j];
    vm[n + 1] = a->sw_v[j];
    im[n + 1] = a->sw_i[j];
    const unsigned np = n + 2;
    /* the duty where the error rate crosses the target */
    const double lt = log10(c->err_ok) - QMESH_CLIFF_DEC;
    double dt = d[np - 1], it = im[np - 1];
    for (unsigned k = 0; k + 1 < np; k++) {
        const double l0 = log10(fmax(e[k], 1e-300)),
                     l1 = log10(fmax(e[k + 1], 1e-300));
        /* crossing between k and k + 1; or past the last point (which
         * is under err_ok but not by the margin): along the last pair's
         * slope, at most two fine steps on */
        const int last = k + 2 == np && l1 > lt && l1 < l0;
        if ((l0 > lt && l1 <= lt) || last) {
            double f = (l0 - lt) / (l0 - l1);
            const double fmax_ = 1 + 2 * a->fine_dd / (d[k + 1] - d[k]);
            if (f > fmax_)
                f = fmax_;
            dt = d[k] + f * (d[k + 1] - d[k]);
            it = im[k] + f * (im[k + 1] - im[k]);
            break;
        }
    }
    /* the voltage there: the readings of the gap's points, each moved
     * along the converter's dV/dD to dt and averaged (the noise of one
     * reading, 1.5 mV, is a third of the whole gap) */
    double vt = 0;
    for (unsigned k = 0; k < np; k++)
        vt += (vm[k] + o->dvdd * (dt - d[k])) / np;
    /* the curve across the gap: the fine points and the edge at their
     * fitted voltages; perf/W along the coarse pair, the penalty from each
     * point's own error rate */
    const double eta0 = a->sw_r[j - 1] + qmcal_penalty(c, e[0]),
                 eta1 = a->sw_r[j] + qmcal_penalty(c, e[np - 1]);
    double nv[QMESH_FINE_MAX + 3], nr[QMESH_FINE_MAX + 3],
        ne[QMESH_FINE_MAX + 3], ni[QMESH_FINE_MAX + 3], nd[QMESH_FINE_MAX + 3];
    unsigned m = 0;
    for (unsigned k = 0; k < np; k++) {
        if (k > 0 && d[k - 1] < dt && dt < d[k]) {
            nd[m] = dt;
            ne[m] = pow(10, lt);
            ni[m] = it;
            m++;
        }
        nd[m] = d[k];
        ne[m] = e[k];
        ni[m] = im[k];
        m++;
    }
    if (dt > d[np - 1]) {
        nd[m] = dt;
        ne[m] = pow(10, lt);
        ni[m] = it;
        m++;
    }
    if (QMESH_SWEEP_MAX - a->sw_n < m - 2)
        m = 0; /* no room (sweep_points near the maximum): coarse only */
    for (unsigned k = 0; k < m; k++) {
        const double f = (nd[k] - d[0]) / (d[np - 1] - d[0]);
        nv[k] = vt + o->dvdd * (nd[k] - dt);
        nr[k] = eta0 + f * (eta1 - eta0) - qmcal_penalty(c, ne[k]);
    }
    if (m > 0) {
        /* replace coarse j-1 and j by the m points */
        const unsigned add = m - 2;
        for (unsigned k = a->sw_n; k-- > j + 1;) {
            a->sw_v[k + add] = a->sw_v[k];
            a->sw_r[k + add] = a->sw_r[k];
            a->sw_e[k + add] = a->sw_e[k];
            a->sw_i[k + add] = a->sw_i[k];
            a->sw_d[k + add] = a->sw_d[k];
            a->sw_g[k + add] = a->sw_g[k];
        }
        for (unsigned k = 0; k < m; k++) {
            a->sw_v[j - 1 + k] = nv[k];
            a->sw_r[j - 1 + k] = nr[k];
            a->sw_e[j - 1 + k] = ne[k];
            a->sw_i[j - 1 + k] = ni[k];
            a->sw_d[j - 1 + k] = nd[k];
            a->sw_g[j - 1 + k] = o->dvdd;
        }
        a->sw_n += add;
        /* the model wants rising voltages: a noisy coarse neighbour
         * could sit past a fitted one (insertion sort, a few moves) */
        for (unsigned k = 1; k < a->sw_n; k++)
            for (unsigned i = k; i > 0 && a->sw_v[i - 1] > a->sw_v[i]; i--) {
                double t;
#define QMESH_SWAP(x) (t = x[i], x[i] = x[i - 1], x[i - 1] = t)
                QMESH_SWAP(a->sw_v);
                QMESH_SWAP(a->sw_r);
                QMESH_SWAP(a->sw_e);
                QMESH_SWAP(a->sw_i);
                QMESH_SWAP(a->sw_d);
                QMESH_SWAP(a->sw_g);
#undef QMESH_SWAP
            }
    }
    qmcal_table(q, a, o->dvdd, vt);
    a->duty = dt;
}

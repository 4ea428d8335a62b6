/*
 * dcnet - see dcnet.h.
 *
 * Solve.  The nodes split into the connected parts of the network through
 * the links that are up; a part with no converter up is unfed (voltage 0,
 * nothing flows).  The fed nodes, renumbered 0..m-1, are solved together
 * (the parts do not couple, so one system holds them all).  Newton's
 * method on F(V) = G V - s + I(V):
 *
 *   F_i  = sum_links (V_i - V_j) / r + [up] (V_i - vset_i) / rdroop_i
 *          + g_i V_i + ic_i + p_i / V_i
 *   J_ii = sum_links 1 / r + [up] / rdroop_i + g_i - p_i / V_i^2
 *   J_ij = - sum_{links i-j} 1 / r
 *
 * solved J dV = -F by LU with partial pivoting.  The step is halved until
 * every voltage stays above a twentieth of its value (a constant-power
 * load has no solution at V <= 0, and the low-voltage root of V^2 - vset
 * V + rdroop p = 0 is the unstable operating point; starting from the set
 * points and never jumping toward 0 keeps Newton on the high one).
 * Converged when the largest step is below 1e-10 x (1 + the largest
 * voltage); 50 iterations without that, or a voltage driven below 1e-9,
 * is a collapse: the loads ask for more power than the network can
 * carry (a single source: p > vset^2 / (4 rdroop)).
 *
 * Why not LAPACK (liblapacke's dgesv): the system has at most 64
 * unknowns, about 90,000 flops per factorisation; the textbook LU below
 * works in the struct's own scratch (no allocation per step, which the
 * plugin's tick must not do), and linking LAPACK and a Fortran runtime
 * into the mesh plugin for this one call buys nothing measurable.
 * test_dcnet checks it against closed forms and Kirchhoff's laws.
 */
#include "dcnet.h"

#include <math.h>
#include <string.h>

#define DCNET_MAX_ITERS 50
#define DCNET_TOL 1e-10
#define DCNET_VMIN 1e-9

int dcnet_init(struct dcnet *d, unsigned n)
{
    if (n < 1 || n > DCNET_MAX_NODES)
        return DCNET_EPARAM;
    memset(d, 0, sizeof *d);
    d->n = n;
    for (unsigned i = 0; i < n; i++)
        d->node[i].rdroop = 1;
    return DCNET_OK;
}

static int dcnet_finite_nonneg(double x)
{
    return isfinite(x) && x >= 0;
}

int dcnet_add_link(struct dcnet *d, unsigned a, unsigned b, double r)
{
    if (a >= d->n || b >= d->n || a == b || !(r > 0 && isfinite(r)) ||
        d->nl >= DCNET_MAX_LINKS)
        return DCNET_EPARAM;
    d->link[d->nl] = (struct dcnet_link){a, b, r, 1};
    return (int)d->nl++;
}

int dcnet_set_conv(struct dcnet *d, unsigned i, int up, double vset,
                   double rdroop)
{
    if (i >= d->n || !dcnet_finite_nonneg(vset) ||
        !(rdroop > 0 && isfinite(rdroop)))
        return DCNET_EPARAM;
    d->node[i].conv_up = up != 0;
    d->node[i].vset = vset;
    d->node[i].rdroop = rdroop;
    return DCNET_OK;
}

int dcnet_set_load(struct dcnet *d, unsigned i, double g, double ic, double p)
{
    if (i >= d->n || !dcnet_finite_nonneg(g) || !isfinite(ic) ||
        !dcnet_finite_nonneg(p))
        return DCNET_EPARAM;
    d->node[i].g = g;
    d->node[i].ic = ic;
    d->node[i].p = p;
    return DCNET_OK;
}

int dcnet_set_aux(struct dcnet *d, unsigned i, double g, double isrc)
{
    if (i >= d->n || !dcnet_finite_nonneg(g) || !isfinite(isrc))
        return DCNET_EPARAM;
    d->node[i].aux_g = g;
    d->node[i].aux_i = isrc;
    return DCNET_OK;
}

/* comp[i]: the part node i is in (a label), by flooding through the links
 * that are up; fed[i]: whether a converter that is up is in that part. */
static void dcnet_parts(struct dcnet *d)
{
    const unsigned n = d->n;
    for (unsigned i = 0; i < n; i++)
        d->comp[i] = (int)i;
    /* Label propagation to a fixed point: at most n passes over the
     * links, each O(links); the mesh is small and this runs once a step. */
    for (int changed = 1; changed;) {
        changed = 0;
        for (unsigned k = 0; k < d->nl; k++) {
            const struct dcnet_link *l = &d->link[k];
            if (!l->up)
                continue;
            int lo =
                d->comp[l->a] < d->comp[l->b] ? d->comp[l->a] : d->comp[l->b];
            if (d->comp[l->a] != lo || d->comp[l->b] != lo) {
                d->comp[l->a] = d->comp[l->b] = lo;
                changed = 1;
            }
        }
    }
    int fedc[DCNET_MAX_NODES] = {0};
    for (unsigned i = 0; i < n; i++)
        if (d->node[i].conv_up || d->node[i].aux_g > 0)
            fedc[d->comp[i]] = 1;
    for (unsigned i = 0; i < n; i++)
        d->fed[i] = fedc[d->comp[i]];
}

/* F and J at d->v for the fed nodes idx[0..m-1] (pos[i]: node i's row). */
static double dcnet_residual(struct dcnet *d, const unsigned *idx,
                             const int *pos, unsigned m)
{
    double fmax = 0;
    for (unsigned r = 0; r < m; r++) {
        const unsigned i = idx[r];
        const struct dcnet_node *nd = &d->node[i];
        const double v = d->v[i];
        memset(d->jac[r], 0, m * sizeof d->jac[r][0]);
        double f = nd->g * v + nd->ic + nd->p / v;
        double jd = nd->g - nd->p / (v * v);
        if (nd->conv_up) {
            f += (v - nd->vset) / nd->rdroop;
            jd += 1 / nd->rdroop;
        }
        f += nd->aux_g * v - nd->aux_i;
        jd += nd->aux_g;
        d->jac[r][r] = jd;
        d->rhs[r] = -f;
    }
    for (unsigned k = 0; k < d->nl; k++) {
        const struct dcnet_link *l = &d->link[k];
        if (!l->up || !d->fed[l->a])
            continue;
        const int ra = pos[l->a], rb = pos[l->b];
        const double gl = 1 / l->r, i_ab = (d->v[l->a] - d->v[l->b]) * gl;
        d->rhs[ra] -= i_ab;
        d->rhs[rb] += i_ab;
        d->jac[ra][ra] += gl;
        d->jac[rb][rb] += gl;
        d->jac[ra][rb] -= gl;
        d->jac[rb][ra] -= gl;
    }
    for (unsigned r = 0; r < m; r++)
        if (fabs(d->rhs[r]) > fmax)
            fmax = fabs(d->rhs[r]);
    return fmax;
}

/* LU with partial pivoting of jac (m x m) in place, then the solve of
 * jac x = rhs into rhs.  -1 for a singular matrix. */
static int dcnet_lu_solve(struct dcnet *d, unsigned m)
{
    for (unsigned c = 0; c < m; c++) {
        unsigned p = c;
        for (unsigned r = c + 1; r < m; r++)
            if (fabs(d->jac[r][c]) > fabs(d->jac[p][c]))
                p = r;
        if (!(fabs(d->jac[p][c]) > 0))
            return -1;
        d->piv[c] = p;
        if (p != c) {
            for (unsigned k = 0; k < m; k++) {
                double t = d->jac[c][k];
                d->jac[c][k] = d->jac[p][k];
                d->jac[p][k] = t;
            }
            double t = d->rhs[c];
            d->rhs[c] = d->rhs[p];
            d->rhs[p] = t;
        }
        const double inv = 1 / d->jac[c][c];
        for (unsigned r = c + 1; r < m; r++) {
            const double f = d->jac[r][c] * inv;
            if (f == 0)
                continue;
            for (unsigned k = c + 1; k < m; k++)
                d->jac[r][k] -= f * d->jac[c][k];
            d->rhs[r] -= f * d->rhs[c];
        }
    }
    for (unsigned c = m; c-- > 0;) {
        double s = d->rhs[c];
        for (unsigned k = c + 1; k < m; k++)
            s -= d->jac[c][k] * d->rhs[k];
        d->rhs[c] = s / d->jac[c][c];
    }
    return 0;
}

int dcnet_solve(struct dcnet *d)
{
    const unsigned n = d->n;
    dcnet_parts(d);
    unsigned idx[DCNET_MAX_NODES], m = 0;
    int pos[DCNET_MAX_NODES];
    /* The start: the last solution where it is a voltage, else the
     * highest set point feeding the node's part. */
    double vstart[DCNET_MAX_NODES] = {0};
    for (unsigned i = 0; i < n; i++) {
        const struct dcnet_node *nd = &d->node[i];
        double vs = nd->conv_up ? nd->vset : 0;
        if (nd->aux_g > 0 && nd->aux_i / nd->aux_g > vs)
            vs = nd->aux_i / nd->aux_g;
        if (vs > vstart[d->comp[i]])
            vstart[d->comp[i]] = vs;
    }
    for (unsigned i = 0; i < n; i++) {
        pos[i] = -1;
        if (!d->fed[i]) {
            d->v[i] = 0;
            continue;
        }
        if (!(d->v[i] > DCNET_VMIN) || !isfinite(d->v[i]))
            d->v[i] =
                vstart[d->comp[i]] > DCNET_VMIN ? vstart[d->comp[i]] : 1.0;
        pos[i] = (int)m;
        idx[m++] = i;
    }
    int rc = DCNET_OK;
    d->iters = 0;
    while (m > 0) {
        dcnet_residual(d, idx, pos, m);
        if (dcnet_lu_solve(d, m) != 0) {
            rc = DCNET_ECOLLAPSE;
            break;
        }
        /* Halve the step until no voltage falls below a twentieth of
         * itself. */
        double lambda = 1, step = 0, vmax = 0;
        for (int h = 0; h < 60; h++) {
            int ok = 1;
            for (unsigned r = 0; r < m && ok; r++)
                ok = d->v[idx[r]] + lambda * d->rhs[r] > 0.05 * d->v[idx[r]];
            if (ok)
                break;
            lambda *= 0.5;
        }
        for (unsigned r = 0; r < m; r++) {
            const unsigned i = idx[r];
            d->v[i] += lambda * d->rhs[r];
            if (fabs(lambda * d->rhs[r]) > step)
                step = fabs(lambda * d->rhs[r]);
            if (d->v[i] > vmax)
                vmax = d->v[i];
        }
        d->iters++;
        int low = 0;
        for (unsigned r = 0; r < m; r++)
            low |= !(d->v[idx[r]] > DCNET_VMIN);
        if (low || !isfinite(vmax)) {
            rc = DCNET_ECOLLAPSE;
            break;
        }
        if (step <= DCNET_TOL * (1 + vmax) && lambda == 1)
            break;
        if (d->iters >= DCNET_MAX_ITERS) {
            rc = DCNET_ECOLLAPSE;
            break;
        }
    }
    /* The currents at the operating point. */
    for (unsigned i = 0; i < n; i++) {
        const struct dcnet_node *nd = &d->node[i];
        const double v = d->v[i];
        d->i_conv[i] =
            d->fed[i] && nd->conv_up ? (nd->vset - v) / nd->rdroop : 0;
        d->i_aux[i] = d->fed[i] ? nd->aux_i - nd->aux_g * v : 0;
        d->i_load[i] = d->fed[i] && v > 0 ? nd->g * v + nd->ic + nd->p / v : 0;
    }
    for (unsigned k = 0; k < d->nl; k++) {
        const struct dcnet_link *l = &d->link[k];
        d->i_link[k] = l->up ? (d->v[l->a] - d->v[l->b]) / l->r : 0;
    }
    return rc;
}

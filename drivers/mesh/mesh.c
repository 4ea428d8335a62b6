/*
 * mesh - see mesh.h.
 *
 * A step solves the network a few times: the modules draw a current that
 * depends on their supply (cmod_eval), so each pass hands dcnet each
 * node's load linearised at the last pass's voltage and re-solves; a
 * converter past its current limit becomes a current source at the
 * limit, a hold-up circuit whose bus is under its threshold switches on.
 * Two to four passes settle the cases the tests and benches run (each a
 * warm start: one or two Newton iterations); twelve is the cap.
 */
#include "mesh.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MESH_PASSES 16
#define MESH_HOLD_MARGIN 0.015
#define MESH_V_LSB (1.0 / 4096)
#define MESH_I_LSB (1.0 / 32)
#define MESH_V_SIGMA 1.5e-3
#define MESH_I_SIGMA 0.05
#define MESH_P_SIGMA_REL 0.01
#define MESH_PERF_SIGMA_REL 0.002

/* xorshift64* and Box-Muller: deterministic per seed, so a benchmark
 * run is repeatable. */
static double mesh_unif(struct mesh *m)
{
    uint64_t x = m->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    m->rng = x;
    return (double)((x * 2685821657736338717ull) >> 11) * 0x1.0p-53;
}

static double mesh_gauss(struct mesh *m)
{
    double u = mesh_unif(m), v = mesh_unif(m);
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static double mesh_quant(double x, double lsb)
{
    return lsb * nearbyint(x / lsb);
}

int mesh_init(struct mesh *m, unsigned n, double dt, uint64_t seed)
{
    if (n < 1 || n > MESH_MAX_NODES || !(dt > 0 && isfinite(dt)))
        return MESH_EPARAM;
    memset(m, 0, sizeof *m);
    if (dcnet_init(&m->net, n) != DCNET_OK)
        return MESH_EPARAM;
    m->n = n;
    m->dt = dt;
    m->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
    m->noise = 1;
    for (unsigned i = 0; i < n; i++) {
        struct mesh_node *nd = &m->node[i];
        nd->conv = *conv_node_part();
        nd->duty = conv_duty(&nd->conv, 0.85);
        nd->hold = (struct mesh_holdup){.c = 5.0,
                                        .vmax = 4.8,
                                        .vlo = 2.0,
                                        .vc = 4.8,
                                        .ilim = 30.0,
                                        .r_hold = 0.5e-3,
                                        .p_chg = 2.0,
                                        .eff = 0.92,
                                        .vth = 0};
    }
    return MESH_OK;
}

int mesh_link(struct mesh *m, unsigned a, unsigned b, double r, int closed)
{
    int k = dcnet_add_link(&m->net, a, b, r);
    if (k < 0)
        return MESH_EPARAM;
    m->net.link[k].up = closed != 0;
    return k;
}

int mesh_tie(struct mesh *m, unsigned k, int closed)
{
    if (k >= m->net.nl)
        return MESH_EPARAM;
    m->net.link[k].up = closed != 0;
    return MESH_OK;
}

int mesh_set_duty(struct mesh *m, unsigned i, double duty)
{
    if (i >= m->n || isnan(duty))
        return MESH_EPARAM;
    const struct conv_part *c = &m->node[i].conv;
    m->node[i].duty = duty < c->d_min   ? c->d_min
                      : duty > c->d_max ? c->d_max
                                        : duty;
    return MESH_OK;
}

static void mesh_arm(struct mesh_node *nd)
{
    double th = 0;
    for (unsigned s = 0; s < nd->nmod; s++)
        if (nd->mod[s].type->vmin + MESH_HOLD_MARGIN > th)
            th = nd->mod[s].type->vmin + MESH_HOLD_MARGIN;
    nd->hold.vth = th;
}

int mesh_attach(struct mesh *m, unsigned i, const struct cmod_type *t,
                const char *id, double tamb)
{
    const char *field;
    if (i >= m->n || !t || cmod_check(t, &field) != 0 || !isfinite(tamb))
        return MESH_EPARAM;
    struct mesh_node *nd = &m->node[i];
    if (nd->nmod >= MESH_MAX_MODS)
        return MESH_EFULL;
    const unsigned s = nd->nmod++;
    cmod_init(&nd->mod[s], t, tamb);
    snprintf(nd->id[s], sizeof nd->id[s], "%s", id ? id : t->name);
    mesh_arm(nd);
    return (int)s;
}

int mesh_detach(struct mesh *m, unsigned i, unsigned slot)
{
    if (i >= m->n || slot >= m->node[i].nmod)
        return MESH_EPARAM;
    struct mesh_node *nd = &m->node[i];
    for (unsigned s = slot; s + 1 < nd->nmod; s++) {
        nd->mod[s] = nd->mod[s + 1];
        memcpy(nd->id[s], nd->id[s + 1], sizeof nd->id[s]);
    }
    nd->nmod--;
    mesh_arm(nd);
    return MESH_OK;
}

int mesh_fail(struct mesh *m, unsigned i, int failed)
{
    if (i >= m->n)
        return MESH_EPARAM;
    m->node[i].failed = failed != 0;
    return MESH_OK;
}

int mesh_drift(struct mesh *m, unsigned i, unsigned slot, double dvth,
               double tamb)
{
    if (i >= m->n || slot >= m->node[i].nmod || !isfinite(dvth) ||
        fabs(dvth) > 0.2 || !isfinite(tamb) || tamb < -40 || tamb > 85)
        return MESH_EPARAM;
    m->node[i].mod[slot].dvth = dvth;
    m->node[i].mod[slot].tamb = tamb;
    return MESH_OK;
}

/* The modules of node nd at supply v: power, current, work, worst error
 * rate. */
static void mesh_mods(struct mesh_node *nd, double v)
{
    if (nd->shed)
        v = 0;
    nd->p_mod = nd->perf = 0;
    nd->err = 0;
    for (unsigned s = 0; s < nd->nmod; s++) {
        struct cmod_point pt = cmod_eval(&nd->mod[s], v);
        nd->p_mod += pt.p;
        nd->perf += pt.perf;
        if (pt.err > nd->err)
            nd->err = pt.err;
    }
    nd->i_mod = v > 0 ? nd->p_mod / v : 0;
}

/* The current node nd's modules draw at v and its slope dI/dV there (by
 * a central difference: cmod_eval's curve is smooth above v_fail), with
 * the modules' state left as at v. */
static void mesh_load_line(struct mesh_node *nd, double v, double *i0,
                           double *di)
{
    const double h = 1e-4;
    mesh_mods(nd, v + h);
    const double ip = nd->i_mod;
    mesh_mods(nd, v - h);
    const double im = nd->i_mod;
    mesh_mods(nd, v);
    *i0 = nd->i_mod;
    *di = (ip - im) / (2 * h);
}

/* Trips the modules of the nodes a collapse takes down (see mesh_solve):
 * how many it tripped. */
static unsigned mesh_shed(struct mesh *m)
{
    unsigned k = 0;
    for (int pass = 0; pass < 2 && k == 0; pass++)
        for (unsigned i = 0; i < m->n; i++) {
            struct mesh_node *nd = &m->node[i];
            if (nd->shed || nd->nmod == 0)
                continue;
            double lock = 0;
            for (unsigned s = 0; s < nd->nmod; s++)
                if (nd->mod[s].type->vmin - 0.1 > lock)
                    lock = nd->mod[s].type->vmin - 0.1;
            if (pass == 0 ? m->net.v[i] < lock : nd->failed || nd->limited) {
                nd->shed = 1;
                mesh_mods(nd, 0);
                k++;
            }
        }
    return k;
}

/* The operating point: the passes described at the top.  hold: whether
 * the hold-up circuits may switch on.  Each pass hands dcnet each node's
 * load as the tangent of its current-voltage curve at the last pass's
 * voltage (g V + ic, an outer Newton step: two or three passes converge),
 * then switches the current limits and hold-up circuits the solution
 * calls for; it ends when no switch changed and the loads' currents
 * moved less than 1e-7 A. */
static int mesh_solve(struct mesh *m, int hold)
{
    struct dcnet *d = &m->net;
    int rc = DCNET_OK;
    double vguess[MESH_MAX_NODES];
    for (unsigned i = 0; i < m->n; i++) {
        struct mesh_node *nd = &m->node[i];
        nd->holding = nd->limited = nd->shed = 0;
        vguess[i] = nd->v > 0.05 ? nd->v : conv_vset(&nd->conv, nd->duty);
    }
    for (int pass = 0; pass < MESH_PASSES; pass++) {
        for (unsigned i = 0; i < m->n; i++) {
            struct mesh_node *nd = &m->node[i];
            const double vset = conv_vset(&nd->conv, nd->duty);
            dcnet_set_conv(d, i, !nd->failed && !nd->limited, vset,
                           nd->conv.rdroop);
            double g = 0, is = 0;
            if (nd->limited) {
                /* a current source at the limit; the nanosiemens keeps
                 * its part fed in dcnet's eyes (it is a source) */
                is += nd->limited * nd->conv.i_max;
                g = 1e-9;
            }
            if (nd->holding) {
                g += 1 / nd->hold.r_hold;
                is += nd->hold.vth * g;
            }
            dcnet_set_aux(d, i, g, is);
            double i0 = 0, di = 0;
            if (nd->nmod > 0)
                mesh_load_line(nd, vguess[i], &i0, &di);
            if (di < 0)
                di = 0;
            dcnet_set_load(d, i, di, i0 - di * vguess[i], 0);
        }
        rc = dcnet_solve(d);
        if (rc != DCNET_OK) {
            /* no operating point: the bus collapses until the modules'
             * under-voltage lockouts trip; trip those of the nodes the
             * last iterate left lowest (under their lockout, else on the
             * nodes without a working converter) and solve again */
            if (mesh_shed(m) == 0)
                break;
            for (unsigned i = 0; i < m->n; i++)
                vguess[i] = conv_vset(&m->node[i].conv, m->node[i].duty);
            continue;
        }
        int changed = 0;
        double moved = 0;
        for (unsigned i = 0; i < m->n; i++) {
            struct mesh_node *nd = &m->node[i];
            const double v = d->fed[i] ? d->v[i] : 0;
            const double vset = conv_vset(&nd->conv, nd->duty);
            const double iwant = (vset - v) / nd->conv.rdroop;
            if (!nd->failed && !nd->limited && fabs(iwant) > nd->conv.i_max) {
                nd->limited = iwant > 0 ? 1 : -1;
                changed = 1;
            } else if (nd->limited && fabs(iwant) < nd->conv.i_max) {
                nd->limited = 0;
                changed = 1;
            }
            if (hold && !nd->holding && nd->hold.vth > 0 && v < nd->hold.vth &&
                nd->hold.vc > nd->hold.vlo) {
                nd->holding = 1;
                changed = 1;
            } else if (nd->holding &&
                       d->i_aux[i] - (nd->limited ? nd->limited * nd->conv.i_max
                                                  : 0) <
                           0) {
                nd->holding = 0; /* it supplies only */
                changed = 1;
            }
            mesh_mods(nd, v);
            if (fabs(nd->i_mod - d->i_load[i]) > moved)
                moved = fabs(nd->i_mod - d->i_load[i]);
            vguess[i] = v > 0.05 ? v : conv_vset(&nd->conv, nd->duty);
        }
        if (!changed && moved < 1e-7)
            break;
    }
    return rc == DCNET_OK ? MESH_OK : MESH_ECOLLAPSE;
}

/* Losses, input power and the totals from the solved network. */
static void mesh_account(struct mesh *m)
{
    const struct dcnet *d = &m->net;
    m->perf = m->p_in = m->p_loss_conv = m->p_loss_link = 0;
    m->vmargin = INFINITY;
    m->brownout = 0;
    for (unsigned i = 0; i < m->n; i++) {
        struct mesh_node *nd = &m->node[i];
        nd->v = d->v[i];
        nd->i_conv = nd->failed    ? 0
                     : nd->limited ? nd->limited * nd->conv.i_max
                                   : d->i_conv[i];
        nd->i_hold =
            nd->holding ? d->i_aux[i] - (nd->limited ? nd->i_conv : 0) : 0;
        nd->p_loss_conv =
            nd->failed ? 0 : conv_loss(&nd->conv, nd->v, nd->i_conv);
        nd->p_in = nd->failed ? 0 : nd->v * nd->i_conv + nd->p_loss_conv;
        nd->p_loss_link = 0;
        m->perf += nd->perf;
        m->p_loss_conv += nd->p_loss_conv;
        for (unsigned s = 0; s < nd->nmod; s++) {
            const double mg = nd->shed ? -nd->mod[s].type->vmin
                                       : nd->v - nd->mod[s].type->vmin;
            if (mg < m->vmargin)
                m->vmargin = mg;
            if (mg < 0)
                m->brownout++;
        }
    }
    for (unsigned k = 0; k < d->nl; k++) {
        const struct dcnet_link *l = &d->link[k];
        const double p = d->i_link[k] * d->i_link[k] * l->r;
        m->node[l->a].p_loss_link += 0.5 * p;
        m->node[l->b].p_loss_link += 0.5 * p;
        m->p_loss_link += p;
    }
}

int mesh_steady(struct mesh *m)
{
    int rc = mesh_solve(m, 0);
    mesh_account(m);
    for (unsigned i = 0; i < m->n; i++)
        m->p_in += m->node[i].p_in;
    return rc;
}

int mesh_step(struct mesh *m)
{
    int rc = mesh_solve(m, 1);
    mesh_account(m);
    for (unsigned i = 0; i < m->n; i++) {
        struct mesh_node *nd = &m->node[i];
        struct mesh_holdup *h = &nd->hold;
        /* the stack: energy out through the charger, or recharge */
        double e = 0.5 * h->c * h->vc * h->vc;
        const double elo = 0.5 * h->c * h->vlo * h->vlo,
                     emax = 0.5 * h->c * h->vmax * h->vmax;
        if (nd->holding) {
            e -= nd->v * nd->i_hold / h->eff * m->dt;
        } else if (e < emax && !nd->failed) {
            const double de = fmin(h->p_chg * m->dt, (emax - e) / h->eff);
            e += de * h->eff;
            nd->p_in += de / m->dt;
        }
        if (e < elo)
            e = elo;
        h->vc = sqrt(2 * e / h->c);
        m->p_in += nd->p_in;
        /* the sensors */
        struct mesh_reading *r = &nd->rd;
        r->valid = !nd->failed;
        if (!r->valid) {
            r->v = r->i_mod = r->i_conv = r->p_in = r->perf = r->err = NAN;
            r->soc = NAN;
            continue;
        }
        const double k = m->noise;
        r->v = mesh_quant(nd->v + k * MESH_V_SIGMA * mesh_gauss(m), MESH_V_LSB);
        r->i_mod = mesh_quant(nd->i_mod + k * MESH_I_SIGMA * mesh_gauss(m),
                              MESH_I_LSB);
        r->i_conv = mesh_quant(nd->i_conv + k * MESH_I_SIGMA * mesh_gauss(m),
                               MESH_I_LSB);
        r->p_in = nd->p_in * (1 + k * MESH_P_SIGMA_REL * mesh_gauss(m));
        r->perf = nd->perf * (1 + k * MESH_PERF_SIGMA_REL * mesh_gauss(m));
        r->err = nd->err;
        r->ilim = nd->limited != 0;
        r->soc = (0.5 * h->c * h->vc * h->vc - elo) / (emax - elo);
    }
    for (unsigned k = 0; k < m->net.nl; k++) {
        const struct dcnet_link *l = &m->net.link[k];
        for (int e = 0; e < 2; e++)
            m->tie_v[k][e] =
                mesh_quant(m->node[e ? l->b : l->a].v +
                               m->noise * MESH_V_SIGMA * mesh_gauss(m),
                           MESH_V_LSB);
    }
    m->steps++;
    return rc;
}

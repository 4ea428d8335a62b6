/*
 * qmesh - see qmesh.h.
 *
 * Why tabular Q-learning and these states: the seed asks for it, and the
 * problem each agent faces is small - one knob (its duty), a reward that
 * is a smooth function of its bus voltage with one peak per module type,
 * and a handful of regimes (errors, load change, a failed neighbour)
 * that move the peak.  The voltage bins are one duty step wide, so every
 * action moves the state and a greedy policy that has learned the slope
 * walks to the peak and stays (action 0), which is where its ripple is
 * lower than perturb-and-observe's, which must keep stepping to see the
 * slope.  Seeding from the sweep is what makes 1,000 steps enough: an
 * unseeded table of 11,520 entries would need many visits each.
 */
#include "qmesh.h"

#include "engines/qmcal.h"
#include "engines/qtab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QMESH_SLOTS (QMESH_MAX_LAT + 1)

void qmesh_defaults(struct qmesh_cfg *c)
{
    *c = (struct qmesh_cfg){.mode = QMESH_Q,
                            .alpha = 0.1,
                            .gamma = 0.9,
                            .eps0 = 0.2,
                            .eps_floor = 0.02,
                            .eps_decay = 0.995,
                            .dstep = 4e-4,
                            .w_err = 1.0,
                            .err_ok = 1e-9,
                            .sweep_points = 24,
                            .settle = 2,
                            .resweep_rel = 0.05,
                            .resweep_hold = 50,
                            .latency = 0,
                            .loss = 0.01,
                            .hb_miss = 3,
                            .margin = 0.02,
                            .hold_tol = 0.001};
}

int qmesh_check(const struct qmesh_cfg *c, const char **field)
{
#define QMESH_NEED(cond, name)                                                 \
    do {                                                                       \
        if (!(cond)) {                                                         \
            *field = name;                                                     \
            return -1;                                                         \
        }                                                                      \
    } while (0)
    QMESH_NEED(c->mode == QMESH_Q || c->mode == QMESH_PO ||
                   c->mode == QMESH_FIXED,
               "controller");
    QMESH_NEED(c->alpha > 0 && c->alpha <= 1, "alpha");
    QMESH_NEED(c->gamma >= 0 && c->gamma < 1, "gamma");
    QMESH_NEED(c->eps0 >= 0 && c->eps0 <= 1, "epsilon");
    QMESH_NEED(c->eps_floor >= 0 && c->eps_floor <= c->eps0, "epsilon_floor");
    QMESH_NEED(c->eps_decay > 0 && c->eps_decay <= 1, "epsilon_decay");
    QMESH_NEED(c->dstep > 0 && c->dstep <= 0.05, "duty_step");
    QMESH_NEED(c->w_err >= 0 && isfinite(c->w_err), "w_err");
    QMESH_NEED(c->err_ok > 0 && c->err_ok < 1, "err_ok");
    QMESH_NEED(c->sweep_points >= 3 && c->sweep_points <= QMESH_SWEEP_MAX,
               "sweep_points");
    QMESH_NEED(c->settle >= 1 && c->settle <= 100, "settle");
    QMESH_NEED(c->resweep_rel > 0 && isfinite(c->resweep_rel), "resweep");
    QMESH_NEED(c->resweep_hold >= 1, "resweep_hold");
    QMESH_NEED(c->latency <= QMESH_MAX_LAT, "latency");
    QMESH_NEED(c->loss >= 0 && c->loss < 1, "loss");
    QMESH_NEED(c->hb_miss >= 1 && c->hb_miss <= 100, "heartbeat_miss");
    QMESH_NEED(c->margin >= 0 && c->margin < 0.5, "margin");
    QMESH_NEED(c->hold_tol >= 0 && c->hold_tol < 0.5, "hold_tol");
#undef QMESH_NEED
    return 0;
}

/* Each agent draws from its own stream (its exploration and its
 * messages' losses), so what one agent does never depends on another's
 * draws: the agents are independent as they would be on their own
 * microcontrollers, and test_qmesh can check that. */
static double qmesh_unif(struct qmesh_agent *a)
{
    uint64_t x = a->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    a->rng = x;
    return (double)((x * 2685821657736338717ull) >> 11) * 0x1.0p-53;
}

int qmesh_init(struct qmesh *q, unsigned n, const struct qmesh_cfg *c,
               uint64_t seed)
{
    const char *f;
    if (n < 1 || n > QMESH_MAX_AGENTS || qmesh_check(c, &f) != 0)
        return -1;
    memset(q, 0, sizeof *q);
    q->cfg = *c;
    q->n = n;
    if (!seed)
        seed = 0x2545f4914f6cdd1dull;
    const size_t cells = (size_t)n * QMESH_NSTATES * QMESH_NACT;
    const size_t pairs = (size_t)QMESH_SLOTS * n * QMESH_MAX_NBR;
    q->block = calloc(cells, sizeof *q->block);
    q->vblock = calloc(cells, sizeof *q->vblock);
    q->inflight = calloc(pairs, sizeof *q->inflight);
    q->inflight_ok = calloc(pairs, 1);
    if (!q->block || !q->vblock || !q->inflight || !q->inflight_ok) {
        qmesh_free(q);
        return -1;
    }
    for (unsigned i = 0; i < n; i++) {
        struct qmesh_agent *a = &q->ag[i];
        a->q = q->block + (size_t)i * QMESH_NSTATES * QMESH_NACT;
        a->visits = q->vblock + (size_t)i * QMESH_NSTATES * QMESH_NACT;
        a->phase = QMESH_IDLE;
        a->eps = c->eps0;
        a->alive = 1;
        a->pol_eps = a->pol_vlo = a->pol_vhi = NAN;
        a->rng = seed ^ (0x9e3779b97f4a7c15ull * (i + 1));
        if (!a->rng)
            a->rng = 1;
    }
    return 0;
}

void qmesh_free(struct qmesh *q)
{
    free(q->block);
    free(q->vblock);
    free(q->inflight);
    free(q->inflight_ok);
    q->block = NULL;
    q->vblock = NULL;
    q->inflight = NULL;
    q->inflight_ok = NULL;
}

int qmesh_neighbours(struct qmesh *q, unsigned a, unsigned b, unsigned link,
                     double rtie)
{
    if (a >= q->n || b >= q->n || a == b || !(rtie > 0 && isfinite(rtie)) ||
        q->ag[a].nnbr >= QMESH_MAX_NBR || q->ag[b].nnbr >= QMESH_MAX_NBR ||
        link >= QMESH_MAX_AGENTS * QMESH_MAX_NBR)
        return -1;
    const unsigned e[2][2] = {{a, b}, {b, a}};
    for (int k = 0; k < 2; k++) {
        struct qmesh_agent *x = &q->ag[e[k][0]];
        x->nbr[x->nnbr] = e[k][1];
        x->link[x->nnbr] = link;
        x->rtie[x->nnbr] = rtie;
        x->heard[x->nnbr] = q->t;
        x->nnbr++;
    }
    return 0;
}

/* The table's and the calibration's shapes (qtab.h). */
static const struct qtab_shape qmesh_tshape = {
    4, {QMESH_VBINS, 3, 3, 2}, QMESH_NACT};
static const struct qtab_shape qmesh_cshape = {1, {QMESH_SWEEP_MAX + 1}, 4};

int qmesh_set_state_dir(struct qmesh *q, const char *dir)
{
    if (!dir)
        dir = "";
    if (strlen(dir) >= sizeof q->state_dir)
        return -1;
    snprintf(q->state_dir, sizeof q->state_dir, "%s", dir);
    return 0;
}

/* The calibration's file name: the module's identity + "@sweep". */
static void qmesh_cal_id(const struct qmesh_agent *a, char *buf, size_t n)
{
    snprintf(buf, n, "%s@sweep", a->id);
}

int qmesh_save(struct qmesh *q, unsigned i)
{
    struct qmesh_agent *a = &q->ag[i];
    if (i >= q->n || !q->state_dir[0] || !a->id[0] || a->phase != QMESH_LEARN ||
        q->cfg.mode != QMESH_Q)
        return QTAB_OK;
    /* the calibration as a small table: row 0 the scale, the bins and
     * the sweep's length, then one row per swept point */
    double cal[(QMESH_SWEEP_MAX + 1) * 4] = {0};
    uint32_t cvis[(QMESH_SWEEP_MAX + 1) * 4] = {0};
    cal[0] = a->lambda;
    cal[1] = a->vstep;
    cal[2] = a->nbins;
    cal[3] = a->sw_n;
    for (unsigned k = 0; k < a->sw_n; k++) {
        cal[4 * (k + 1)] = a->sw_v[k];
        cal[4 * (k + 1) + 1] = a->sw_r[k];
        cal[4 * (k + 1) + 2] = a->sw_e[k];
        cal[4 * (k + 1) + 3] = a->sw_i[k];
    }
    char cid[64];
    qmesh_cal_id(a, cid, sizeof cid);
    q->msg[0] = 0;
    int rc = qtab_save(q->state_dir, cid, &qmesh_cshape, cal, cvis, q->msg,
                       sizeof q->msg);
    if (rc == QTAB_OK)
        rc = qtab_save(q->state_dir, a->id, &qmesh_tshape, a->q, a->visits,
                       q->msg, sizeof q->msg);
    if (rc == QTAB_OK)
        q->saves++;
    return rc;
}

/* Agent a's table and calibration from the state directory, all or
 * nothing: 1 if it is warm now, else 0 (q->msg says why, if a file was
 * there but refused). */
static int qmesh_load(struct qmesh *q, struct qmesh_agent *a)
{
    double cal[(QMESH_SWEEP_MAX + 1) * 4];
    uint32_t cvis[(QMESH_SWEEP_MAX + 1) * 4];
    char cid[64];
    qmesh_cal_id(a, cid, sizeof cid);
    q->msg[0] = 0;
    int rc = qtab_load(q->state_dir, cid, &qmesh_cshape, cal, cvis, q->msg,
                       sizeof q->msg);
    if (rc == QTAB_ENOENT) {
        q->msg[0] = 0;
        return 0;
    }
    if (rc != QTAB_OK)
        return 0;
    /* range first: a double out of unsigned's range must not be cast */
    if (!(cal[0] > 0 && cal[1] > 0 && cal[3] >= 3 &&
          cal[3] <= QMESH_SWEEP_MAX && cal[2] >= 1 && cal[2] <= QMESH_VBINS &&
          cal[3] == floor(cal[3]) && cal[2] == floor(cal[2]))) {
        snprintf(q->msg, sizeof q->msg,
                 "qmesh: the calibration %s.qtab is out of range, ignored",
                 cid);
        return 0;
    }
    const unsigned n = (unsigned)cal[3], nb = (unsigned)cal[2];
    /* the table last: a refused table leaves a->q as it was */
    rc = qtab_load(q->state_dir, a->id, &qmesh_tshape, a->q, a->visits, q->msg,
                   sizeof q->msg);
    if (rc != QTAB_OK) {
        if (rc == QTAB_ENOENT)
            q->msg[0] = 0;
        return 0;
    }
    a->lambda = cal[0];
    a->vstep = cal[1];
    a->nbins = nb;
    a->sw_n = n;
    for (unsigned k = 0; k < n; k++) {
        a->sw_v[k] = cal[4 * (k + 1)];
        a->sw_r[k] = cal[4 * (k + 1) + 1];
        a->sw_e[k] = cal[4 * (k + 1) + 2];
        a->sw_i[k] = cal[4 * (k + 1) + 3];
    }
    q->loads++;
    return 1;
}

/* Its bounds: its module's range, narrowed by what a policy asks. */
static void qmesh_bounds(const struct qmesh *q, struct qmesh_agent *a)
{
    const double lo = a->vmin + q->cfg.margin, hi = a->vmax;
    a->vlo = a->pol_vlo > lo ? a->pol_vlo : lo;
    a->vhi = a->pol_vhi < hi ? a->pol_vhi : hi;
    if (!(a->vlo < a->vhi)) { /* asked of another module's range */
        a->vlo = lo;
        a->vhi = hi;
    }
}

int qmesh_attach(struct qmesh *q, unsigned i, const char *id, double vmin,
                 double vmax, double vnom)
{
    if (i >= q->n)
        return -1;
    struct qmesh_agent *a = &q->ag[i];
    /* the module leaving (or replaced) keeps what its agent learned */
    qmesh_save(q, i);
    a->warm = 0;
    if (!id) {
        a->phase = QMESH_IDLE;
        a->id[0] = 0;
        a->vmin = a->vmax = a->vnom = 0;
        a->have_prev = 0;
        return 0;
    }
    if (!(vmin > 0 && vmin < vmax && vnom >= vmin && vnom <= vmax &&
          isfinite(vmax) && vmin + q->cfg.margin < vmax))
        return -1;
    snprintf(a->id, sizeof a->id, "%s", id);
    a->vmin = vmin;
    a->vmax = vmax;
    a->vnom = vnom;
    qmesh_bounds(q, a);
    a->phase = q->cfg.mode == QMESH_Q ? QMESH_SWEEP : QMESH_LEARN;
    a->lambda = 0;
    a->po_dir = -1;
    a->po_last = -INFINITY;
    a->sw_k = a->sw_hold = 0;
    a->fining = 0;
    a->sw_n = q->cfg.sweep_points;
    a->have_prev = 0;
    a->eps = q->cfg.eps0;
    a->dev = 0;
    a->dev_steps = 0;
    if (q->cfg.mode == QMESH_Q && q->state_dir[0] && qmesh_load(q, a)) {
        a->phase = QMESH_LEARN;
        a->warm = 1;
        a->eps = q->cfg.eps_floor; /* it has explored before */
    }
    return 0;
}

/*
 * The voltage the state bins.  The reading has 1.5 mV of noise (rms)
 * against a bin of one duty step (~5.4 mV wide, so 2.7 mV from the
 * centre to a border): one reading in ~14 lands in a neighbouring bin.
 * On a smooth peak that costs nothing, but at an error cliff the bin
 * under the edge has its greedy action pointing up and the one over it
 * pointing down, so a misread bin moves the bus a step the wrong way -
 * off the edge, or down it into errors - and the rewards it brings back
 * teach the neighbouring bins' Q-values that the way to the edge does
 * not pay.  Between steps the bus moves by what the agent's own duty
 * change makes (dV/dD x the change, which it knows) and by disturbances
 * (load, temperature, a tie) that are slow against a step or large; so
 * the reading is filtered along the commanded move: a gain of 1/4 cuts
 * the noise to sqrt(1/7) of its rms (0.57 mV) and lags a slow change by
 * ~4 steps, and a reading more than a bin off the prediction (3.6
 * rms: a real change, not noise) is taken as it is.
 */
#define QMESH_VF_GAIN 0.25

static void qmesh_vfilter(const struct qmesh_cfg *c, struct qmesh_agent *a,
                          const struct qmesh_obs *o)
{
    const double pred = a->vf + (o->duty - a->vf_duty) * o->dvdd;
    const double gate = a->vstep > 0 ? a->vstep : c->dstep * o->dvdd;
    if (a->vf_ok && isfinite(pred) && fabs(o->v - pred) < gate)
        a->vf = pred + QMESH_VF_GAIN * (o->v - pred);
    else
        a->vf = o->v;
    a->vf_duty = o->duty;
    a->vf_ok = 1;
}

static unsigned qmesh_state(const struct qmesh *q, const struct qmesh_agent *a,
                            const struct qmesh_obs *o, int feeding)
{
    double x = (a->vf - a->vmin) / a->vstep;
    unsigned vb = x <= 0              ? 0
                  : x >= a->nbins - 1 ? a->nbins - 1
                                      : (unsigned)(x + 0.5);
    unsigned eb = o->err <= q->cfg.err_ok ? 0 : o->err <= 1e-6 ? 1 : 2;
    const double ip = qmcal_model(a, a->sw_i, a->vf);
    unsigned lb = 1;
    if (ip > 0 && o->i_mod < 0.95 * ip)
        lb = 0;
    else if (ip > 0 && o->i_mod > 1.05 * ip)
        lb = 2;
    return qmcal_sidx(vb, eb, lb, feeding ? 1 : 0);
}

/* Failover: how far the buses of the failed neighbours this agent feeds
 * are under where they should be (their modules' last voltage, never
 * under their vmin + margin), as the tie switches sense them: the largest
 * shortfall (negative: the smallest headroom), and whether it feeds any.
 * A bus the tie cannot sense counts as 50 mV short. */
static double qmesh_need(const struct qmesh *q, const struct qmesh_agent *a,
                         const struct qmesh_obs *o, int *feeding)
{
    double need = -INFINITY;
    *feeding = 0;
    for (unsigned k = 0; k < a->nnbr; k++) {
        if (!a->nbr_failed[k] || !(a->nbr_vmin[k] > 0))
            continue;
        *feeding = 1;
        double base = a->nbr_vmin[k] + q->cfg.margin;
        if (a->nbr_v[k] > base)
            base = a->nbr_v[k];
        double sh = isfinite(o->vnbr[k]) ? base - o->vnbr[k] : 0.05;
        /* the tie closes after this step: what its share of the failed
         * node's load will drop across it (fed from every side), and
         * across its own converter's load line (its droop: set point
         * less bus over its current, as it reads them now) */
        if (a->nbr_fresh[k] && a->nbr_deg[k] > 0 && a->nbr_imod[k] > 0) {
            const double share = a->nbr_imod[k] / a->nbr_deg[k];
            double rd = o->i_conv > 1 ? (o->vset - o->v) / o->i_conv : 0;
            if (!(rd > 0 && rd < 0.01))
                rd = 0;
            sh += share * (a->rtie[k] + rd);
        }
        if (sh > need)
            need = sh;
    }
    return need;
}

/* Raises the agent's bus by a shortfall: all of it, because the failed
 * node's other neighbours raise theirs by the same and a bus tied to
 * sources that all rose by d rises by d (no overshoot for any number of
 * feeders; one that cannot rise as far leaves an undershoot the next
 * step makes up); never past its own module's vmax.  1 if it acted (the
 * step is outside the learning). */
static int qmesh_cover(struct qmesh_agent *a, const struct qmesh_obs *o,
                       int feeding, double need)
{
    if (!feeding || !(need > 0.002))
        return 0;
    double dv = need;
    const double vcap = a->phase == QMESH_IDLE ? 1.5 : a->vhi;
    if (o->v + dv > vcap)
        dv = vcap - o->v;
    if (dv <= 0)
        return 0;
    a->duty = o->duty + dv / o->dvdd;
    a->have_prev = 0;
    return 1;
}

/* Keeps reward r in the agent's ring of recent rewards. */
static void qmesh_spark(struct qmesh_agent *a, double r)
{
    a->spark[a->spark_at] = r;
    a->spark_at = (a->spark_at + 1) % QMESH_SPARK;
    if (a->spark_n < QMESH_SPARK)
        a->spark_n++;
}

/* The baselines' step (see qmesh.h). */
static void qmesh_baseline(struct qmesh *q, struct qmesh_agent *a,
                           const struct qmesh_obs *o, double r, double slack)
{
    const struct qmesh_cfg *c = &q->cfg;
    a->reward = r;
    qmesh_spark(a, r);
    const double vlo = a->vlo;
    /* feeding a failed neighbour: no step down its bus cannot spare */
    const int hold_down = slack < c->dstep * o->dvdd + 0.002;
    double tgt;
    if (c->mode == QMESH_FIXED) {
        tgt = a->vnom > vlo ? a->vnom : vlo;
    } else {
        if (r < a->po_last)
            a->po_dir = -a->po_dir;
        a->po_last = r;
        tgt = o->v + a->po_dir * c->dstep * o->dvdd;
        if (tgt < vlo || tgt > a->vhi) {
            a->po_dir = -a->po_dir;
            tgt = tgt < vlo ? vlo : a->vhi;
        }
    }
    if (o->limited) {
        a->po_dir = -1;
        a->duty = o->duty + (o->v - o->vset) / o->dvdd - c->dstep;
        return;
    }
    if (c->mode == QMESH_PO && o->v >= vlo) {
        if (!(hold_down && a->po_dir < 0))
            a->duty = o->duty + a->po_dir * c->dstep;
        return;
    }
    if (hold_down && tgt < o->v)
        tgt = o->v;
    /* the regulator (and P&O below its floor): halfway to the target
     * each step, which the sensor noise cannot shake */
    a->duty = o->duty + 0.5 * (tgt - o->v) / o->dvdd;
    if (o->v < vlo)
        a->duty = o->duty + (vlo + 0.005 - o->v) / o->dvdd;
}

static void qmesh_agent_step(struct qmesh *q, unsigned i,
                             const struct qmesh_obs *o, struct qmesh_out *out)
{
    const struct qmesh_cfg *c = &q->cfg;
    struct qmesh_agent *a = &q->ag[i];
    a->alive = o->valid;
    out->duty[i] = o->valid ? o->duty : a->duty;
    if (!o->valid) {
        a->have_prev = 0;
        a->vf_ok = 0;
        return;
    }
    a->steps++;
    qmesh_vfilter(c, a, o);
    int feeding;
    const double need = qmesh_need(q, a, o, &feeding);
    for (unsigned k = 0; k < a->nnbr; k++)
        a->nbr_fresh[k] = 0; /* the feed-forward is for one step */
    const double slack = feeding ? -need : INFINITY;
    /* the duty applied is not the one it asked for (a policy's or the
     * console's, a limit's): it learns from the step that was taken, or
     * from none when that was not one of its actions */
    if (a->have_prev && fabs(o->duty - a->duty) > 0.5 * c->dstep) {
        const long k = (long)a->a + lround((o->duty - a->duty) / c->dstep);
        if (k >= 0 && k < QMESH_NACT)
            a->a = (unsigned)k;
        else
            a->have_prev = 0;
    }
    a->duty = o->duty;
    if (qmesh_cover(a, o, feeding, need) || a->phase == QMESH_IDLE) {
        out->duty[i] = a->duty;
        return;
    }
    if (a->phase == QMESH_SWEEP && a->fining) {
        if (a->sw_hold >= c->settle) {
            a->fine_v[a->fine_k] = o->v;
            a->fine_e[a->fine_k] = o->err;
            a->fine_i[a->fine_k] = o->i_mod;
            a->fine_k++;
            a->sw_hold = 0;
            if (o->limited) {
                qmcal_seed(q, a); /* not a cliff after all */
                out->duty[i] = a->duty;
                return;
            }
            if (a->fine_k >= a->fine_n) {
                qmcal_fine_done(q, a, o);
                out->duty[i] = a->duty;
                return;
            }
        }
        a->duty = a->fine_d0 + a->fine_dd * (a->fine_k + 1);
        a->sw_hold++;
        out->duty[i] = a->duty;
        return;
    }
    if (a->phase == QMESH_SWEEP) {
        if (a->sw_hold >= c->settle) {
            /* record the settled point */
            a->sw_v[a->sw_k] = o->v;
            a->sw_r[a->sw_k] = o->p_in > 0 ? o->perf / o->p_in : 0;
            a->sw_e[a->sw_k] = o->err;
            a->sw_i[a->sw_k] = o->i_mod;
            a->sw_d[a->sw_k] = o->duty;
            a->sw_g[a->sw_k] = o->dvdd;
            a->sw_p[a->sw_k] = o->perf;
            a->sw_k++;
            a->sw_hold = 0;
            /* at the converter's current limit higher set points give
             * the same voltage: the sweep ends there */
            if (o->limited && a->sw_k >= 3)
                a->sw_n = a->sw_k;
            if (a->sw_k >= a->sw_n) {
                qmcal_scale(c, a);
                const unsigned j = qmcal_cliff(c, a);
                if (j > 0) {
                    qmcal_fine_start(c, a, j);
                    a->duty = a->fine_d0 + a->fine_dd;
                    a->sw_hold = 1;
                } else {
                    qmcal_seed(q, a);
                }
                out->duty[i] = a->duty;
                return;
            }
        }
        const double t2 =
            a->vlo + (a->vhi - a->vlo) * a->sw_k / (double)(a->sw_n - 1);
        a->duty = o->duty + (t2 - (o->limited ? o->vset : o->v)) / o->dvdd;
        a->sw_hold++;
        out->duty[i] = a->duty;
        return;
    }
    if (a->warm) {
        /* a table from a file: to the voltage whose "stay" the table
         * values most (no errors, the load it was swept with, no failed
         * neighbour), as after a sweep (a greedy walk from here could
         * take dozens of steps) */
        unsigned vb = 0;
        double best = -INFINITY;
        for (unsigned b = 0; b < a->nbins; b++) {
            const double qs =
                a->q[(size_t)qmcal_sidx(b, 0, 1, 0) * QMESH_NACT + 2];
            if (qs > best) {
                best = qs;
                vb = b;
            }
        }
        const double vt = a->vmin + vb * a->vstep;
        a->duty = o->duty + (vt - (o->limited ? o->vset : o->v)) / o->dvdd;
        a->warm = 0;
        a->have_prev = 0;
        out->duty[i] = a->duty;
        return;
    }
    /* learning */
    const double eta = o->p_in > 0 ? o->perf / o->p_in : 0;
    if (!(a->lambda > 0))
        a->lambda = eta > 0 ? eta : 1; /* the baselines' scale */
    const double r = eta / a->lambda - qmcal_penalty(c, o->err);
    if (c->mode != QMESH_Q) {
        qmesh_baseline(q, a, o, r, slack);
        out->duty[i] = a->duty;
        return;
    }
    const unsigned s = qmesh_state(q, a, o, feeding);
    double *row = a->q + (size_t)s * QMESH_NACT;
    double qmax = row[0];
    for (unsigned k = 1; k < QMESH_NACT; k++)
        if (row[k] > qmax)
            qmax = row[k];
    if (a->have_prev && !a->frozen) {
        double *qa = a->q + (size_t)a->s * QMESH_NACT + a->a;
        const double td = r + c->gamma * qmax - *qa;
        *qa += c->alpha * td;
        a->visits[(size_t)a->s * QMESH_NACT + a->a]++;
        a->qdelta = 0.98 * a->qdelta + 0.02 * fabs(td);
    }
    a->reward = r;
    qmesh_spark(a, r);
    /* has the module changed under us? */
    const double pred = qmcal_model(a, a->sw_r, o->v);
    a->dev = 0.95 * a->dev + 0.05 * (r - pred);
    /* worse than the sweep said (aging, heat, a heavier workload); a
     * module doing better than its sweep is what learning exploits */
    a->dev_steps = a->dev < -c->resweep_rel * fabs(pred) && !feeding
                       ? a->dev_steps + 1
                       : 0;
    if (a->dev_steps >= c->resweep_hold) {
        a->phase = QMESH_SWEEP;
        a->sw_k = a->sw_hold = 0;
        a->fining = 0;
        a->sw_n = c->sweep_points;
        a->dev = 0;
        a->dev_steps = 0;
        a->have_prev = 0;
        out->duty[i] = a->duty = o->duty;
        return;
    }
    if (o->limited) {
        /* at the current limit no small step changes the voltage: bring
         * the set point down to where the bus is, outside the learning */
        a->duty = o->duty + (o->v - o->vset) / o->dvdd - c->dstep;
        a->have_prev = 0;
        out->duty[i] = a->duty;
        return;
    }
    /* the action: epsilon-greedy over those keeping the bus in bounds */
    const double vlo = a->vlo;
    const double dv = c->dstep * o->dvdd;
    int ok[QMESH_NACT], nok = 0;
    for (unsigned k = 0; k < QMESH_NACT; k++) {
        const double v2 = o->v + ((int)k - 2) * dv;
        /* in bounds, and no step down a fed neighbour cannot spare */
        ok[k] = (v2 >= vlo || k > 2) && (v2 <= a->vhi || k < 2) &&
                (k >= 2 || slack >= (2 - (int)k) * dv + 0.002);
        nok += ok[k];
    }
    unsigned act = 2;
    int learned = 1;
    const double eps = a->frozen                  ? 0
                       : a->pol_eps == a->pol_eps ? a->pol_eps
                                                  : a->eps;
    if (o->v < vlo || o->v > a->vhi + 2 * dv) {
        /* outside its bounds (a policy moved them): straight back in,
         * outside the learning */
        const double vt = o->v < vlo ? vlo + 0.005 : a->vhi - 0.005;
        a->duty = o->duty + (vt - o->v) / o->dvdd;
        learned = 0;
    } else {
        if (qmesh_unif(a) < eps && nok > 0) {
            unsigned pick = (unsigned)(qmesh_unif(a) * nok);
            for (unsigned k = 0; k < QMESH_NACT; k++)
                if (ok[k] && pick-- == 0) {
                    act = k;
                    break;
                }
        } else {
            double best = -INFINITY;
            for (unsigned k = 0; k < QMESH_NACT; k++)
                if (ok[k] && row[k] > best) {
                    best = row[k];
                    act = k;
                }
            /* a dead band: stay unless a move is worth hold_tol more,
             * so that on a flat peak the noise in the Q-values does not
             * walk the voltage about (ripple for nothing) */
            if (ok[2] && row[2] >= best - c->hold_tol * fabs(best))
                act = 2;
        }
        a->duty = o->duty + ((int)act - 2) * c->dstep;
    }
    a->s = s;
    a->a = act;
    a->have_prev = learned;
    a->dv = dv;
    a->v = o->v;
    if (!a->frozen)
        a->eps = a->eps * c->eps_decay;
    if (a->eps < c->eps_floor)
        a->eps = c->eps_floor;
    out->duty[i] = a->duty;
}

int qmesh_steer_check(const struct qmesh *q, unsigned i,
                      const struct qmesh_steer *s, char *why, size_t n)
{
    if (i >= q->n) {
        snprintf(why, n, "no agent %u", i + 1);
        return -1;
    }
    const struct qmesh_agent *a = &q->ag[i];
    const double lo = a->vmin + q->cfg.margin, hi = a->vmax;
    const int has_lo = s->vlo == s->vlo, has_hi = s->vhi == s->vhi;
    if (s->eps == s->eps && !(s->eps >= 0 && s->eps <= 1)) {
        snprintf(why, n, "epsilon %g outside [0, 1]", s->eps);
        return -1;
    }
    if (a->phase == QMESH_IDLE) {
        /* no module yet: nothing to hold them against until one comes
         * (qmesh_bounds ignores bounds outside its range) */
        if ((has_lo && !(s->vlo > 0)) || (has_hi && !(s->vhi > 0)) ||
            (has_lo && has_hi && !(s->vlo < s->vhi))) {
            snprintf(why, n, "bounds must be positive, vmin under vmax");
            return -1;
        }
        return 0;
    }
    if ((has_lo && !(s->vlo >= lo && s->vlo < hi)) ||
        (has_hi && !(s->vhi > lo && s->vhi <= hi))) {
        snprintf(why, n, "%g V outside the module's range [%.3f, %.3f] V",
                 has_lo && !(s->vlo >= lo && s->vlo < hi) ? s->vlo : s->vhi, lo,
                 hi);
        return -1;
    }
    if (has_lo && has_hi && !(s->vlo < s->vhi)) {
        snprintf(why, n, "vmin %g V not under vmax %g V", s->vlo, s->vhi);
        return -1;
    }
    return 0;
}

int qmesh_steer(struct qmesh *q, unsigned i, const struct qmesh_steer *s)
{
    char why[128];
    if (qmesh_steer_check(q, i, s, why, sizeof why) != 0)
        return -1;
    struct qmesh_agent *a = &q->ag[i];
    a->pol_eps = s->eps;
    a->frozen = s->freeze != 0;
    a->pol_vlo = s->vlo;
    a->pol_vhi = s->vhi;
    qmesh_bounds(q, a);
    return 0;
}

int qmesh_force(struct qmesh *q, unsigned i, int action, double *duty)
{
    if (i >= q->n || action < -2 || action > 2)
        return -1;
    struct qmesh_agent *a = &q->ag[i];
    if (a->phase != QMESH_LEARN || q->cfg.mode != QMESH_Q || !a->have_prev ||
        !a->alive)
        return -1;
    const double v2 = a->v + action * a->dv;
    if ((action < 0 && v2 < a->vlo) || (action > 0 && v2 > a->vhi))
        return -1;
    a->duty += (action - ((int)a->a - 2)) * q->cfg.dstep;
    a->a = (unsigned)(action + 2);
    *duty = a->duty;
    return 0;
}

const double *qmesh_row(const struct qmesh *q, unsigned i)
{
    const struct qmesh_agent *a = &q->ag[i];
    return a->q + (size_t)a->s * QMESH_NACT;
}

void qmesh_step(struct qmesh *q, const struct qmesh_obs *obs,
                struct qmesh_out *out)
{
    const unsigned n = q->n;
    const unsigned slot = (unsigned)(q->t % QMESH_SLOTS);
    /* deliver this step's messages */
    for (unsigned i = 0; i < n; i++) {
        struct qmesh_agent *a = &q->ag[i];
        for (unsigned k = 0; k < a->nnbr; k++) {
            const size_t at = ((size_t)slot * n + i) * QMESH_MAX_NBR + k;
            if (q->inflight_ok[at]) {
                a->heard[k] = q->t;
                a->nbr_v[k] = q->inflight[at].v;
                a->nbr_vmin[k] = q->inflight[at].vmin;
                a->nbr_sweeping[k] = q->inflight[at].sweeping;
                a->nbr_imod[k] = q->inflight[at].imod;
                a->nbr_deg[k] = q->inflight[at].deg;
                q->inflight_ok[at] = 0;
            }
            if (a->heard[k] == q->t)
                a->nbr_failed[k] = 0;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        struct qmesh_agent *a = &q->ag[i];
        for (unsigned k = 0; k < a->nnbr; k++) {
            const uint64_t miss = q->t - a->heard[k];
            const double vf = obs[i].vnbr[k];
            /* silent too long; or its bus sags 20 mV under what it
             * last said, to under where any agent keeps a live bus (its
             * vmin + margin: a dead converter's bus falls to its hold-up
             * threshold), and it did not say it was moving on purpose
             * (its heartbeat arrives the step its move shows at the
             * tie) */
            const int sag = !a->nbr_sweeping[k] && a->nbr_vmin[k] > 0 &&
                            vf < a->nbr_v[k] - 0.02 &&
                            vf < a->nbr_vmin[k] + q->cfg.margin - 0.002;
            if (!a->nbr_failed[k] && (miss >= q->cfg.hb_miss || sag)) {
                a->nbr_failed[k] = 1;
                a->nbr_fresh[k] = 1;
            }
        }
    }
    for (unsigned i = 0; i < n; i++)
        qmesh_agent_step(q, i, &obs[i], out);
    /* ties: closed where an agent that is up feeds a failed neighbour */
    memset(out->tie_close, 0, sizeof out->tie_close);
    for (unsigned i = 0; i < n; i++) {
        const struct qmesh_agent *a = &q->ag[i];
        if (!a->alive)
            continue;
        for (unsigned k = 0; k < a->nnbr; k++)
            if (a->nbr_failed[k])
                out->tie_close[a->link[k]] = 1;
    }
    /* heartbeats, arriving latency steps after the next */
    const unsigned dslot =
        (unsigned)((q->t + 1 + q->cfg.latency) % QMESH_SLOTS);
    for (unsigned i = 0; i < n; i++) {
        struct qmesh_agent *a = &q->ag[i];
        if (!a->alive)
            continue;
        for (unsigned k = 0; k < a->nnbr; k++) {
            q->sent++;
            if (qmesh_unif(a) < q->cfg.loss) {
                q->lost++;
                continue;
            }
            const unsigned b = a->nbr[k];
            const struct qmesh_agent *nb = &q->ag[b];
            unsigned kb = 0;
            while (kb < nb->nnbr && nb->nbr[kb] != i)
                kb++;
            const size_t at = ((size_t)dslot * n + b) * QMESH_MAX_NBR + kb;
            /* a learning action (at most two duty steps, ~11 mV) is
             * not a move the neighbours must be warned of: it cannot sag
             * the bus the 20 mV a failure is read from (nor under its
             * vmin + margin); announcing it (the old 10 mV threshold
             * let a two-step action through) blinded them to a
             * converter that died the step after it, until the
             * heartbeats were missed (5 steps) */
            const int moving = a->phase == QMESH_SWEEP ||
                               fabs(out->duty[i] - obs[i].duty) >
                                   2 * q->cfg.dstep * (1 + 1e-9) + 1e-12;
            q->inflight[at] = (struct qmesh_msg){obs[i].v, a->vmin,
                                                 obs[i].i_mod, moving, a->nnbr};
            q->inflight_ok[at] = 1;
        }
    }
    q->t++;
}

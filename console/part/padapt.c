/*
 * padapt - see padapt.h.
 */
#include "part/padapt.h"

#include <math.h>
#include <string.h>

void padapt_cfg_default(struct padapt_cfg *c)
{
    c->threshold = 0.10;
    c->hold = 5;
    c->cooldown = 10;
    c->min_gain = 0.05;
    c->horizon = 500;
    c->alpha = 0.3;
}

int padapt_init(struct padapt *a, const struct ppipe_in *in,
                const struct ppipe_plan *plan, const struct padapt_cfg *cfg)
{
    memset(a, 0, sizeof *a);
    if (!in || !plan || in->ndev < 1 || in->ndev > PPIPE_MAX_DEV ||
        plan->nstages < 1 || plan->nstages > in->ndev)
        return -1;
    if (cfg)
        a->cfg = *cfg;
    else
        padapt_cfg_default(&a->cfg);
    if (!(a->cfg.alpha > 0 && a->cfg.alpha <= 1) || !(a->cfg.threshold > 0) ||
        !(a->cfg.horizon > 0) || !(a->cfg.min_gain >= 0))
        return -1;
    a->in = *in;
    for (size_t e = 0; e < in->ndev; e++)
        a->est_f[e] = a->plan_f[e] = 1;
    for (size_t k = 0; k < in->ndev * in->ndev; k++)
        a->est_bwf[k] = a->plan_bwf[k] = 1;
    a->cur = *plan;
    a->pred = *plan;
    a->since = a->cfg.cooldown;
    return 0;
}

/* A link's time split into what scales with bandwidth and what does not
 * (its two latencies, forward and back, ppipe.h), ms. */
static double padapt_lat_ms(const struct padapt *a, unsigned from, unsigned to)
{
    return 2 * a->in.lat[(size_t)from * a->in.ndev + to] * 1e3;
}

/* cur's times at the estimated speeds into pred. */
static void padapt_predict(struct padapt *a)
{
    const struct ppipe_plan *c = &a->cur;
    struct ppipe_plan *p = &a->pred;
    *p = *c;
    double worst = 0;
    for (unsigned k = 0; k < c->nstages; k++) {
        const unsigned d = c->dev[k];
        p->compute_ms[k] = c->compute_ms[k] * a->plan_f[d] / a->est_f[d];
        if (k + 1 < c->nstages) {
            const unsigned e = c->dev[k + 1];
            const size_t l = (size_t)d * a->in.ndev + e;
            const double lat = padapt_lat_ms(a, d, e);
            const double x = c->comm_ms[k] - lat;
            p->comm_ms[k] =
                (x > 0 ? x : 0) * a->plan_bwf[l] / a->est_bwf[l] + lat;
        }
        worst = fmax(worst, fmax(p->compute_ms[k], p->comm_ms[k]));
    }
    p->bottleneck_ms = worst;
}

/* Forgets the observations of a deviation (it ended, or was acted on). */
static void padapt_run_reset(struct padapt *a)
{
    memset(a->run_n, 0, sizeof a->run_n);
    memset(a->run_bwn, 0, sizeof a->run_bwn);
    memset(a->run_f, 0, sizeof a->run_f);
    memset(a->run_bwf, 0, sizeof a->run_bwf);
}

/* One sample into a run's sum and count.  A sample further from the
 * run's mean than the threshold starts the run again from itself: the
 * deviation has changed while it lasted (clocks trimmed a little, then a
 * device slowed tenfold), and the estimate is the latest change's, not
 * an average over both (the noise of a steady deviation is far inside
 * the threshold, so it still averages). */
static void padapt_run_add(double *sum, unsigned *n, double f, double thr)
{
    if (*n && fabs(f * *n / *sum - 1) > thr) {
        *sum = 0;
        *n = 0;
    }
    *sum += f;
    (*n)++;
}

void padapt_observe(struct padapt *a, const double *stage_ms,
                    const double *link_ms, const double *idle_f)
{
    const struct ppipe_plan *c = &a->cur;
    const double al = a->cfg.alpha;
    const size_t nd = a->in.ndev;
    double dev = 0, f_dev[PPIPE_MAX_DEV], f_link[PPIPE_MAX_DEV];
    for (unsigned k = 0; k < c->nstages; k++)
        f_dev[k] = f_link[k] = NAN;
    for (unsigned k = 0; k < c->nstages; k++) {
        const unsigned d = c->dev[k];
        const double m = stage_ms[k];
        if (m > 0 && isfinite(m) && c->compute_ms[k] > 0) {
            /* the speed this sample shows, relative to nominal */
            const double f = a->plan_f[d] * c->compute_ms[k] / m;
            a->est_f[d] += al * (f - a->est_f[d]);
            f_dev[k] = f;
            dev = fmax(dev, fabs(m / c->compute_ms[k] - 1));
        }
        if (k + 1 < c->nstages && link_ms) {
            const unsigned e = c->dev[k + 1];
            const size_t l = (size_t)d * a->in.ndev + e;
            const double lat = padapt_lat_ms(a, d, e);
            const double x = c->comm_ms[k] - lat, y = link_ms[k] - lat;
            if (x > 0 && y > 0 && isfinite(y)) {
                const double f = a->plan_bwf[l] * x / y;
                a->est_bwf[l] += al * (f - a->est_bwf[l]);
                a->est_bwf[(size_t)e * a->in.ndev + d] = a->est_bwf[l];
                f_link[k] = f;
                dev = fmax(dev, fabs(link_ms[k] / c->comm_ms[k] - 1));
            }
        }
    }
    unsigned used = 0;
    for (unsigned k = 0; k < c->nstages; k++)
        used |= 1u << c->dev[k];
    for (size_t e = 0; idle_f && e < nd; e++)
        if (!(used >> e & 1) && idle_f[e] > 0 && isfinite(idle_f[e])) {
            a->est_f[e] = idle_f[e];
            dev = fmax(dev, fabs(idle_f[e] / a->plan_f[e] - 1));
        }
    a->deviation = dev;
    a->over = dev > a->cfg.threshold ? a->over + 1 : 0;
    /* a move waiting to break even: this micro-batch's loss against the
     * plan it would move to; the deviation gone, no move */
    if (a->waiting && a->over == 0) {
        a->waiting = 0;
    } else if (a->waiting) {
        double mb = 0;
        for (unsigned k = 0; k < c->nstages; k++) {
            mb = fmax(mb, stage_ms[k]);
            if (k + 1 < c->nstages && link_ms)
                mb = fmax(mb, link_ms[k]);
        }
        a->regret_ms += fmax(0, mb - a->prop.bottleneck_ms);
    }
    if (a->over == 0)
        padapt_run_reset(a);
    for (unsigned k = 0; a->over && k < c->nstages; k++) {
        const unsigned d = c->dev[k];
        if (f_dev[k] == f_dev[k])
            padapt_run_add(&a->run_f[d], &a->run_n[d], f_dev[k],
                           a->cfg.threshold);
        if (f_link[k] == f_link[k]) {
            const size_t l = (size_t)d * nd + c->dev[k + 1];
            padapt_run_add(&a->run_bwf[l], &a->run_bwn[l], f_link[k],
                           a->cfg.threshold);
        }
    }
    if (a->since < a->cfg.cooldown)
        a->since++;
    padapt_predict(a);
}

double padapt_migration_ms(const struct padapt *a,
                           const struct ppipe_plan *from,
                           const struct ppipe_plan *to)
{
    const size_t nd = a->in.ndev, n = a->in.g->n;
    double bytes[PPIPE_MAX_DEV * PPIPE_MAX_DEV] = {0};
    unsigned ks = 0, kt = 0;
    for (size_t p = 0; p < n; p++) {
        while (ks + 1 < from->nstages && p >= from->first[ks + 1])
            ks++;
        while (kt + 1 < to->nstages && p >= to->first[kt + 1])
            kt++;
        const unsigned s = from->dev[ks], t = to->dev[kt];
        const double pb = a->in.g->node[a->in.order[p]].param_bytes;
        if (s != t && pb > 0)
            bytes[s * nd + t] += pb;
    }
    /* the links carry their shares at once; the slowest ends the move */
    double move = 0;
    for (size_t l = 0; l < nd * nd; l++)
        if (bytes[l] > 0)
            move = fmax(move, bytes[l] / (a->in.bw[l] * a->est_bwf[l]) * 1e3 +
                                  a->in.lat[l] * 1e3);
    /* drain the old pipeline, fill the new one */
    const double drain = (from->nstages - 1) * from->bottleneck_ms;
    const double fill = (to->nstages - 1) * to->bottleneck_ms;
    return drain + move + fill;
}

int padapt_same(const struct ppipe_plan *a, const struct ppipe_plan *b)
{
    if (a->nstages != b->nstages)
        return 0;
    for (unsigned k = 0; k < a->nstages; k++)
        if (a->dev[k] != b->dev[k] || a->first[k + 1] != b->first[k + 1])
            return 0;
    return 1;
}

/* The estimates as the plan's expectations: cur's times at them. */
static void padapt_rebase(struct padapt *a)
{
    a->cur = a->pred;
    memcpy(a->plan_f, a->est_f, sizeof a->plan_f);
    memcpy(a->plan_bwf, a->est_bwf, sizeof a->plan_bwf);
    a->over = 0;
    padapt_run_reset(a);
}

/* The model at the estimated speeds and bandwidths, in dev and bw. */
static struct ppipe_in padapt_est_in(const struct padapt *a,
                                     struct ppipe_dev *dev, double *bw)
{
    const size_t nd = a->in.ndev;
    for (size_t e = 0; e < nd; e++) {
        dev[e] = a->in.dev[e];
        dev[e].speed = a->in.dev[e].speed * a->est_f[e];
    }
    for (size_t l = 0; l < nd * nd; l++)
        bw[l] = a->in.bw[l] * a->est_bwf[l];
    struct ppipe_in in = a->in;
    in.dev = dev;
    in.bw = bw;
    return in;
}

/* The plan for the estimated speeds into a->prop; 0, or -1 (none fits). */
static int padapt_solve(struct padapt *a)
{
    struct ppipe_dev dev[PPIPE_MAX_DEV];
    double bw[PPIPE_MAX_DEV * PPIPE_MAX_DEV];
    const struct ppipe_in in = padapt_est_in(a, dev, bw);
    char err[256];
    if (ppipe_solve(&in, &a->prop, err, sizeof err) != 0)
        return -1;
    a->has_prop = 1;
    return 0;
}

enum padapt_action padapt_propose(struct padapt *a, int force)
{
    a->ready = 0;
    /* a deviation three times the threshold is a change, not a plan
     * settling: it waits out no cooldown (a device slowed tenfold makes
     * each micro-batch, and so the cooldown, ten times as long) */
    const int big = a->deviation > 3 * a->cfg.threshold;
    const int armed =
        a->over >= a->cfg.hold && (a->since >= a->cfg.cooldown || big);
    if (!armed && !force)
        return PADAPT_KEEP;
    /* break-even: a move worth making waits until the deviation has cost
     * as much as the move would (the ski-rental rule: never more than
     * twice the best choice made knowing how long the change lasts), so
     * a clock that dips for a moment moves nothing */
    if (a->waiting && !force && a->regret_ms < a->cost_ms)
        return PADAPT_KEEP;
    if (armed) {
        const size_t nd = a->in.ndev;
        for (size_t e = 0; e < nd; e++)
            if (a->run_n[e])
                a->est_f[e] = a->run_f[e] / a->run_n[e];
        for (size_t l = 0; l < nd * nd; l++)
            if (a->run_bwn[l]) {
                a->est_bwf[l] = a->run_bwf[l] / a->run_bwn[l];
                a->est_bwf[(l % nd) * nd + l / nd] = a->est_bwf[l];
            }
        padapt_predict(a);
    }
    if (padapt_solve(a) != 0)
        return PADAPT_KEEP;
    a->proposals++;
    const double now = a->pred.bottleneck_ms, then = a->prop.bottleneck_ms;
    a->gain_ms = now - then;
    a->cost_ms = padapt_migration_ms(a, &a->pred, &a->prop);
    /* the same plan again is no move, forced or not: nothing to pay */
    const int same = padapt_same(&a->prop, &a->cur);
    const int worth = !same && a->gain_ms >= a->cfg.min_gain * now &&
                      a->cfg.horizon * a->gain_ms > a->cost_ms;
    if (same || (!worth && !force)) {
        /* nothing better to move to: the estimates become what the plan
         * is held against, so the next change is seen as a change of its
         * own (a device that recovers later is measured from then, not
         * averaged with the slowdown before it) */
        padapt_rebase(a);
        a->since = 0;
        return PADAPT_PROPOSE;
    }
    if (!force && !a->waiting) {
        a->waiting = 1;
        a->regret_ms = 0;
        return PADAPT_KEEP;
    }
    a->waiting = 0;
    a->ready = 1;
    return PADAPT_MOVE;
}

int padapt_offer(struct padapt *a, const struct ppipe_plan *next)
{
    if (padapt_same(next, &a->cur))
        return -1;
    struct ppipe_dev dev[PPIPE_MAX_DEV];
    double bw[PPIPE_MAX_DEV * PPIPE_MAX_DEV];
    const struct ppipe_in in = padapt_est_in(a, dev, bw);
    a->prop = *next;
    if (!isfinite(ppipe_eval(&in, &a->prop)))
        return -1;
    a->has_prop = 1;
    a->proposals++;
    a->gain_ms = a->pred.bottleneck_ms - a->prop.bottleneck_ms;
    a->cost_ms = padapt_migration_ms(a, &a->pred, &a->prop);
    a->ready = 1;
    return 0;
}

enum padapt_action padapt_commit(struct padapt *a, int veto)
{
    if (!a->ready)
        return PADAPT_KEEP;
    a->ready = 0;
    if (veto) {
        /* not now: asked again once the deviation has held anew */
        a->vetoes++;
        a->since = 0;
        a->over = 0;
        padapt_run_reset(a);
        return PADAPT_VETOED;
    }
    a->pred = a->prop;
    padapt_rebase(a);
    a->moves++;
    a->migration_ms += a->cost_ms;
    a->since = 0;
    return PADAPT_MOVE;
}

enum padapt_action padapt_decide(struct padapt *a, int veto, int force)
{
    const enum padapt_action r = padapt_propose(a, force);
    return r == PADAPT_MOVE ? padapt_commit(a, veto) : r;
}

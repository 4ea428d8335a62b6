/*
 * cpolicy - see cpolicy.h for the algorithm.
 */
#include "policies/cpolicy.h"

#include <math.h>
#include <stdlib.h>

#include "core/model.h"

struct cpolicy {
    double *need; /* per PU, estimated power at the frequency target */
    double *floor_;
    double *w;
    double *alloc;
    double *ftarget;
};

static void cp_destroy(void *st)
{
    struct cpolicy *c = st;
    free(c->need);
    free(c->floor_);
    free(c->w);
    free(c->alloc);
    free(c->ftarget);
    free(c);
}

static void *cp_create(const struct model *m)
{
    struct cpolicy *c = calloc(1, sizeof *c);
    size_t n = m->n_pus ? m->n_pus : 1;
    if (!c)
        return NULL;
    c->need = calloc(n, sizeof(double));
    c->floor_ = calloc(n, sizeof(double));
    c->w = calloc(n, sizeof(double));
    c->alloc = calloc(n, sizeof(double));
    c->ftarget = calloc(n, sizeof(double));
    if (!c->need || !c->floor_ || !c->w || !c->alloc || !c->ftarget) {
        cp_destroy(c);
        return NULL;
    }
    return c;
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

double cpolicy_waterfill(const double *need, const double *floor_,
                         const double *w, double *alloc, size_t n,
                         double budget)
{
    /* S(l) = sum_i min(top_i, floor_i + w_i l) is piecewise linear,
     * increasing and concave in l, so Newton's method started at l = 0
     * climbs monotonically to the root of S(l) = budget and never past
     * it (a concave function lies below its tangents), passing at least
     * one breakpoint per step: exact after at most n + 1 steps, usually
     * two or three, where bisection took 24 passes.  The target is a
     * hair below the budget so that rounding cannot push the caps' sum
     * over it. */
    double base = 0;
    for (size_t i = 0; i < n; i++)
        base += floor_[i];
    double target = budget - 1e-12 * fabs(budget);
    double l = 0;
    if (budget > base) {
        for (size_t it = 0; it <= n + 1; it++) {
            double sum = 0, slope = 0;
            for (size_t i = 0; i < n; i++) {
                double top = need[i] > floor_[i] ? need[i] : floor_[i];
                double a = floor_[i] + w[i] * l;
                if (a < top && w[i] > 0) {
                    sum += a;
                    slope += w[i];
                } else {
                    sum += a < top ? a : top;
                }
            }
            if (!(slope > 0) || sum >= target)
                break;
            double step = (target - sum) / slope;
            if (!(l + step > l))
                break; /* below rounding: converged */
            l += step;
        }
    }
    for (size_t i = 0; i < n; i++) {
        double a = floor_[i] + w[i] * l;
        double top = need[i] > floor_[i] ? need[i] : floor_[i];
        alloc[i] = a < top ? a : top;
    }
    return l;
}

static int cp_decide(void *st, struct model *m, struct stats *stats)
{
    (void)stats;
    struct cpolicy *c = st;
    double total_need = 0;
    size_t n = 0;

    for (size_t k = 0; k < m->n_pus; k++) {
        uint32_t d = m->pus[k];
        const struct model_device *dev = &m->devices[d];
        int32_t cf = dev->ctl[CTL_FREQ], cc = dev->ctl[CTL_POWER_CAP];
        double f, thr, backlog, deadline, power, prio, util;

        if (cf >= 0) {
            const struct model_control *ctl = &m->controls[cf];
            double target = ctl->max;
            if (model_sig(m, d, SIG_FREQ, &f) &&
                model_sig(m, d, SIG_THROUGHPUT, &thr) && thr > 0 && f > 0) {
                double need = m->fc_valid[d] ? m->fc_demand[d] : thr;
                if (!model_sig(m, d, SIG_DEADLINE, &deadline) || deadline <= 0)
                    deadline = 0.1;
                if (model_sig(m, d, SIG_BACKLOG, &backlog) && backlog > 0)
                    need += backlog / (0.5 * deadline);
                target = 1.1 * f * need / thr;
            } else if (model_sig(m, d, SIG_FREQ, &f) &&
                       model_sig(m, d, SIG_UTIL, &util) && f > 0) {
                /* No throughput model (real hardware): Linux schedutil's
                 * rule, 1.25 x current frequency x utilisation. */
                target = 1.25 * f * util;
            }
            target = clampd(target, ctl->min, ctl->max);
            m->decision[cf] = target;
            m->decided[cf] = 1;
            c->ftarget[k] = target;
        }
        if (cc < 0)
            continue;
        const struct model_control *cap = &m->controls[cc];
        double est = cap->max;
        if (cf >= 0 && model_sig(m, d, SIG_POWER, &power) &&
            model_sig(m, d, SIG_FREQ, &f) && f > 0) {
            double r = c->ftarget[k] / f;
            est = power * r * r;
        }
        /* Caps are what the budget guarantees: they must add up to it,
         * the same rule the host holds Lua policies to.  So a PU counts
         * at least its cap's minimum, even when it will draw less. */
        c->need[n] = clampd(est, cap->min, cap->max);
        c->floor_[n] = cap->min;
        c->w[n] = model_sig(m, d, SIG_PRIORITY, &prio) && prio > 0 ? prio : 1.0;
        total_need += c->need[n];
        n++;
    }

    /* Second pass: caps, in the same PU order as the first. */
    int have_budget = m->budget_w > 0 && total_need > m->budget_w;
    double wsum = 0;
    for (size_t i = 0; i < n; i++)
        wsum += c->w[i];
    if (have_budget)
        cpolicy_waterfill(c->need, c->floor_, c->w, c->alloc, n, m->budget_w);
    size_t j = 0;
    for (size_t k = 0; k < m->n_pus; k++) {
        int32_t cc = m->devices[m->pus[k]].ctl[CTL_POWER_CAP];
        if (cc < 0)
            continue;
        const struct model_control *cap = &m->controls[cc];
        double v;
        if (have_budget)
            v = c->alloc[j];
        else if (m->budget_w > 0)
            /* Under budget: share the spare watts by priority so a rising
             * load is not capped before the next tick sees it, while the
             * caps still add up to the budget. */
            v = c->need[j] + (m->budget_w - total_need) * c->w[j] / wsum;
        else
            v = cap->max;
        m->decision[cc] = clampd(v, cap->min, cap->max);
        m->decided[cc] = 1;
        j++;
    }
    /* The controls of devices that are not processing units (a converter
     * mesh's duties and tie switches) take the engines' proposals, as a
     * Lua policy's do when it leaves them alone. */
    for (size_t k = 0; k < m->n_controls; k++)
        if (m->proposed[k] && !m->decided[k] &&
            !m->devices[m->controls[k].device].is_pu) {
            m->decision[k] = m->proposal[k];
            m->decided[k] = 1;
        }
    return 0;
}

const struct policy_ops cpolicy_ops = {
    .name = "builtin",
    .create = cp_create,
    .decide = cp_decide,
    .destroy = cp_destroy,
};

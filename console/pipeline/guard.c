/*
 * guard - see guard.h.
 */
#include "pipeline/guard.h"

#include <math.h>

#include "core/model.h"
#include "core/stats.h"

double guard_value(const struct model *m, unsigned c, double v)
{
    const struct model_control *ctl = &m->controls[c];
    if (!isfinite(v))
        return NAN;
    if (v < ctl->min)
        v = ctl->min;
    if (v > ctl->max)
        v = ctl->max;
    if (ctl->step > 0) {
        v = ctl->min + round((v - ctl->min) / ctl->step) * ctl->step;
        /* Snapping may step past max when the range is not a multiple. */
        if (v > ctl->max)
            v -= ctl->step;
        if (v < ctl->min)
            v = ctl->min;
    }
    return v;
}

void guard_run(struct model *m, struct stats *st)
{
    for (size_t c = 0; c < m->n_controls; c++) {
        if (!m->decided[c])
            continue;
        double in = m->decision[c];
        double v = guard_value(m, (unsigned)c, in);
        if (isnan(v)) {
            st->rejected_decisions++;
            continue;
        }
        if (in < m->controls[c].min || in > m->controls[c].max)
            st->clamped_decisions++;
        m->target[c] = v;
        m->targeted[c] = 1;
    }
}

void guard_gshares(struct model *m, struct stats *st)
{
    for (size_t i = 0; i < m->n_gshare; i++) {
        struct model_gshare *g = &m->gshare[i];
        double sm = g->decided ? g->dec_sm : g->prop_sm;
        double mem = g->decided ? g->dec_mem : g->prop_mem;
        double total = g->mem_total;
        g->targeted = 0;
        /* An unlimited memory share (infinite) is the GPU's memory; NaN
         * is no decision at all. */
        if (mem == INFINITY && isfinite(total))
            mem = total;
        if (isnan(sm) || isnan(mem) || !isfinite(sm) || !isfinite(mem)) {
            st->rejected_decisions++;
            continue;
        }
        double csm = sm < 0 ? 0 : sm > 1 ? 1 : sm;
        double cmem = mem < 0 ? 0 : mem;
        if (isfinite(total) && cmem > total)
            cmem = total;
        if (csm != sm || cmem != mem)
            st->clamped_decisions++;
        g->tgt_sm = csm;
        g->tgt_mem = cmem;
        g->targeted = 1;
    }
}

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

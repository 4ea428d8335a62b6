/*
 * features - see features.h.
 */
#include "pipeline/features.h"

#include <math.h>

#include "core/model.h"
#include "wattson/plugin.h"

void features_run(struct model *m)
{
    for (size_t i = 0; i < m->n_signals; i++) {
        if (m->signals[i].behaviour != WATTSON_COUNTER)
            continue;
        m->rate_valid[i] = 0;
        m->delta[i] = 0;
        if (!m->valid[i] || !m->prev_valid[i])
            continue;
        double d = m->val[i] - m->prev[i];
        if (d < 0) {
            if (m->signals[i].wrap <= 0)
                continue;
            d += m->signals[i].wrap;
            if (d < 0)
                continue;
        }
        m->delta[i] = d;
        double span = m->t - m->prev_t[i];
        if (span > 0) {
            m->rate[i] = d / span;
            m->rate_valid[i] = isfinite(m->rate[i]);
        }
    }
}

/*
 * forecast - see forecast.h.
 */
#include "pipeline/forecast.h"

#include <stdlib.h>

#include "core/model.h"

int forecast_init(struct forecast *f, const struct model *m)
{
    size_t n = m->n_devices ? m->n_devices : 1;
    f->alpha = 0.3;
    f->beta = 0.05;
    f->n = m->n_devices;
    f->holt = calloc(n, sizeof *f->holt);
    if (!f->holt) {
        forecast_free(f);
        return -1;
    }
    /* The flat start: a trend from the first two samples would change
     * every trace (and the broker's inputs through fc_demand). */
    for (size_t d = 0; d < n; d++)
        fcast_holt_init(&f->holt[d], f->alpha, f->beta, 1);
    return 0;
}

void forecast_free(struct forecast *f)
{
    free(f->holt);
    f->holt = NULL;
}

void forecast_run(struct forecast *f, struct model *m)
{
    for (size_t k = 0; k < m->n_pus; k++) {
        uint32_t d = m->pus[k];
        int32_t s = m->devices[d].sig[SIG_WORK_ARRIVED];
        m->fc_valid[d] = 0;
        if (s < 0 || !m->rate_valid[s])
            continue;
        fcast_holt_update(&f->holt[d], m->rate[s]);
        double fc = fcast_holt_predict(&f->holt[d], m->fc_horizon);
        m->fc_demand[d] = fc > 0 ? fc : 0;
        m->fc_valid[d] = 1;
    }
}

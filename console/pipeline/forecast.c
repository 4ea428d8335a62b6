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
    f->level = calloc(n, sizeof *f->level);
    f->trend = calloc(n, sizeof *f->trend);
    f->primed = calloc(n, 1);
    if (!f->level || !f->trend || !f->primed) {
        forecast_free(f);
        return -1;
    }
    return 0;
}

void forecast_free(struct forecast *f)
{
    free(f->level);
    free(f->trend);
    free(f->primed);
    f->level = f->trend = NULL;
    f->primed = NULL;
}

double forecast_holt(double *level, double *trend, uint8_t *primed, double x,
                     double alpha, double beta, double h)
{
    if (!*primed) {
        *level = x;
        *trend = 0;
        *primed = 1;
    } else {
        double prev = *level;
        *level = alpha * x + (1 - alpha) * (prev + *trend);
        *trend = beta * (*level - prev) + (1 - beta) * *trend;
    }
    return *level + h * *trend;
}

void forecast_run(struct forecast *f, struct model *m)
{
    for (size_t k = 0; k < m->n_pus; k++) {
        uint32_t d = m->pus[k];
        int32_t s = m->devices[d].sig[SIG_WORK_ARRIVED];
        m->fc_valid[d] = 0;
        if (s < 0 || !m->rate_valid[s])
            continue;
        double fc =
            forecast_holt(&f->level[d], &f->trend[d], &f->primed[d], m->rate[s],
                          f->alpha, f->beta, (double)m->fc_horizon);
        m->fc_demand[d] = fc > 0 ? fc : 0;
        m->fc_valid[d] = 1;
    }
}

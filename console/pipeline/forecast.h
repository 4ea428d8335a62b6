/*
 * forecast - per-PU demand forecasters.  Each processing unit's arrival
 * rate (the rate of its work_arrived counter) feeds Holt's linear
 * exponential smoothing (level + trend), and the forecast h ticks ahead
 * lands in model->fc_demand.  Holt is the smallest forecaster that follows
 * a ramp without lag building up, which matters for the step and trace
 * workloads; richer forecasters (the broker's predictor) plug in here.
 */
#ifndef WATTSON_FORECAST_H
#define WATTSON_FORECAST_H

#include <stddef.h>
#include <stdint.h>

struct model;

struct forecast {
    double alpha;  /* level smoothing, 0..1 */
    double beta;   /* trend smoothing, 0..1 */
    double *level; /* per device */
    double *trend;
    uint8_t *primed;
    size_t n;
};

int forecast_init(struct forecast *f, const struct model *m);
void forecast_free(struct forecast *f);
void forecast_run(struct forecast *f, struct model *m);
/* One Holt update; exposed for tests.  Returns the h-step forecast. */
double forecast_holt(double *level, double *trend, uint8_t *primed, double x,
                     double alpha, double beta, double h);

#endif

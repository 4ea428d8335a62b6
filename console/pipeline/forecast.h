/*
 * forecast - per-PU demand forecasters.  Each processing unit's arrival
 * rate (the rate of its work_arrived counter) feeds Holt's linear
 * exponential smoothing (level + trend; engines/fcast.c's, with the flat
 * start this stage always had), and the forecast h ticks ahead lands in
 * model->fc_demand.  Holt is the smallest forecaster that follows
 * a ramp without lag building up, which matters for the step and trace
 * workloads; richer forecasters (the broker's predictor) plug in here.
 */
#ifndef WATTSON_FORECAST_H
#define WATTSON_FORECAST_H

#include <stddef.h>
#include <stdint.h>

#include "engines/fcast.h"

struct model;

struct forecast {
    double alpha;            /* level smoothing, 0..1 */
    double beta;             /* trend smoothing, 0..1 */
    struct fcast_holt *holt; /* per device: engines/fcast.c's Holt */
    size_t n;
};

int forecast_init(struct forecast *f, const struct model *m);
void forecast_free(struct forecast *f);
void forecast_run(struct forecast *f, struct model *m);

#endif

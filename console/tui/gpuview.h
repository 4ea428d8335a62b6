/*
 * gpuview - the console's GPU pane and the store it draws: the tenants the
 * vGPU engine publishes (engines.h, struct engine_gpus): per tenant its
 * GPU, SM use against its share and the predicted need (a bar: use, then
 * the share's headroom), memory held and its share, power apportioned by
 * use, and its performance against its SLO (violations marked); above
 * them the mode, reallocations, phase changes and what the request API's
 * clients hold.  Nothing here allocates.
 */
#ifndef WATTSON_GPUVIEW_H
#define WATTSON_GPUVIEW_H

#include "tui/panes.h"

struct engine_gpus;

/* Keeps the tenants of e (replacing the last): up to 24.  0, 1 when
 * clipped, -1 on bad arguments. */
int gpuview_store(const struct engine_gpus *e);
/* Bumped on every store. */
unsigned gpuview_gen(void);
/* Bumped when the number of tenants changes: the layout is due again. */
unsigned gpuview_shape(void);

extern const struct pane gpuview_pane;

#endif

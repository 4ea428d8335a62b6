/*
 * partview - the console's Partition pane and the store it draws: the
 * training pipeline the partitioner engine publishes (engines.h, struct
 * engine_stages): per stage its layers, device, compute and link time as
 * predicted and its compute as measured, the bottleneck marked, and the
 * pipeline's state (repartitions, one pending, a migration under way).
 * Repartitions themselves are log lines (the Log pane).  Nothing here
 * allocates.
 */
#ifndef WATTSON_PARTVIEW_H
#define WATTSON_PARTVIEW_H

#include "tui/panes.h"

struct engine_stages;

/* Keeps the partition e (replacing the last): up to 16 stages.  0, 1 when
 * clipped, -1 on bad arguments. */
int partview_store(const struct engine_stages *e);
/* Bumped on every store. */
unsigned partview_gen(void);

extern const struct pane partview_pane;

#endif

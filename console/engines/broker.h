/*
 * broker - the predictive power broker (seed 1): every tick it divides the
 * lab's power budget among the processing units from their forecast
 * demand, before the load arrives, and proposes a P-state (freq) and a
 * power cap for each PU into model->proposal.  The policy then accepts,
 * adjusts or replaces the proposal.
 *
 * Demand per PU comes from one of three sources (broker_set_source):
 *   BROKER_FORECAST  the PU's own arrival rate, forecast h ticks ahead by
 *                    the adaptive ensemble (engines/fcast);
 *   BROKER_IPC       the same, plus the work announced by recent messages
 *                    to the processes running on the PU (the default);
 *   BROKER_ORACLE    the simulation's true next-tick demand (the signal
 *                    "demand_next"), the physical limit for a lab.
 *
 * Allocation is marginal-gain water-filling over each PU's discrete
 * P-states (see broker.c): start every PU at its lowest state, then
 * repeatedly raise the PU whose next step buys the most priority-weighted
 * served work per watt, while the budget and the PU's thermal headroom
 * allow.  A new setting is proposed only when it differs from the current
 * one by more than the hysteresis threshold; each adjustment is logged
 * with its reason and the prediction behind it.
 */
#ifndef WATTSON_BROKER_H
#define WATTSON_BROKER_H

#include <stddef.h>

#include "pipeline/propose.h"

enum broker_source { BROKER_FORECAST, BROKER_IPC, BROKER_ORACLE };

extern const struct engine_ops broker_engine_ops;

/* Chooses where demand comes from (the engine's state from propose_add). */
void broker_set_source(void *state, enum broker_source src);

#endif

/*
 * broker - the predictive power broker (seed 1): every tick it divides the
 * lab's power budget among the processing units from their forecast
 * demand, before the load arrives, and proposes a P-state (freq) and a
 * power cap for each PU into model->proposal.  The policy then accepts,
 * adjusts or replaces the proposal.
 *
 * Demand per PU comes from one of three sources (broker_set_source):
 *   BROKER_FORECAST  the PU's own arrival rate, forecast one tick ahead by
 *                    the adaptive ensemble (engines/fcast);
 *   BROKER_IPC       the same, plus the work announced by recent messages
 *                    to the processes running on the PU (the default): the
 *                    broker learns, per PU, the lag from message to work
 *                    and the work per byte, and forecasts only what the
 *                    messages do not explain;
 *   BROKER_PERFECT    the simulation's true next-tick demand (the signal
 *                    "demand_next"), the physical limit for a lab.
 *
 * Allocation is marginal-gain water-filling over each PU's discrete
 * P-states (broker_waterfill): start every PU at its lowest state, then
 * repeatedly raise the PU whose next step buys the most priority-weighted
 * share of its demand per watt, while the budget and the PU's thermal
 * headroom allow; budget left over then buys, at a small worth, the steps
 * up to the state that lowers the run's energy-delay product most to
 * first order (its e_j + lambda A l_j, lambda from the run so far).  A lower
 * setting is proposed only once it has been wanted for 3 ticks and saves more
 * than 3 % of the PU's top power (hysteresis); each adjustment is logged (debug
 * level) with its reason and the prediction behind it, and the last ones are
 * kept for the console and policies (broker_adjustment).
 *
 * PUs without a P-state table (a plugin older than ABI 1.1, or hardware
 * whose table is unknown) get no proposal; their measured power is taken
 * off the budget first.
 */
#ifndef WATTSON_BROKER_H
#define WATTSON_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "engines/engines.h"

/* The broker engine's state (opaque). */
struct broker;

enum broker_source { BROKER_FORECAST, BROKER_IPC, BROKER_PERFECT };

extern const struct engine_ops broker_engine_ops;

/* The run's broker among its engines, or NULL. */
struct broker *broker_of(const struct engines *e);

/* Chooses where demand comes from. */
void broker_set_source(struct broker *b, enum broker_source src);
const char *broker_source_name(enum broker_source src);

/* One logged adjustment. */
struct broker_adj {
    uint64_t tick;
    uint32_t dev;       /* global device index */
    int from, to;       /* P-state indices (from -1: first proposal) */
    double demand;      /* op/s predicted for the next tick */
    double ipc;         /* ...of which announced by messages */
    double need;        /* op/s the state was chosen to serve */
    double power_w;     /* predicted power at the new state */
    const char *reason; /* "demand up", "demand down", "budget", ... */
};

/* What the broker did so far. */
struct broker_counters {
    uint64_t adjustments;    /* proposals that changed a P-state */
    uint64_t held;           /* decreases held back by hysteresis */
    uint64_t budget_limited; /* PU-ticks held below their need by budget */
    uint64_t thermal_limited;
    uint64_t ipc_events;     /* work-announcing messages to known PUs */
    uint64_t ipc_unknown;    /* messages to processes on no known PU */
    uint64_t degraded_ticks; /* budget below the sum of minimum powers */
};

void broker_counters(const struct broker *b, struct broker_counters *out);
/* The i-th most recent adjustment (0 = newest); 0 when there is none. */
int broker_adjustment(const struct broker *b, size_t i, struct broker_adj *out);

/* Per-PU view for the console and policies; 0 if `dev` is not brokered. */
struct broker_view {
    int pstate;       /* proposed P-state */
    double demand;    /* op/s predicted for the next tick */
    double ipc;       /* op/s of it announced by messages */
    double need;      /* demand with headroom plus backlog drain */
    double power_w;   /* predicted power at the proposed state */
    int ipc_lag;      /* learned message-to-work lag, ticks (-1: none) */
    double ipc_ratio; /* learned work per byte */
};
int broker_view(const struct broker *b, uint32_t dev, struct broker_view *out);

/*
 * The allocation itself, on its own for tests.  n units; unit i has
 * nstates[i] states with value[i][k] (priority-weighted worth, not
 * decreasing in k) and power[i][k] (W, increasing in k); kmax[i] caps the
 * state (thermal headroom).  Every unit starts at state 0; steps are taken
 * greedily by value gained per watt while they fit `budget` (< 0: no
 * budget - every step with a gain is taken).  Then, since greedy can
 * strand a big step that no longer fits (a knapsack's gap), up to 4 of
 * the stranded steps worth the most are swapped in where undoing the
 * cheapest taken steps (least value per watt) makes room for less value
 * than they bring.  choice[i] receives the state; `scratch` holds
 * broker_waterfill_scratch(n) bytes.  Returns the power used.
 */
size_t broker_waterfill_scratch(size_t n);
double broker_waterfill(const double *const *value, const double *const *power,
                        const size_t *nstates, const int *kmax, size_t n,
                        double budget, int *choice, void *scratch);

#endif

/*
 * decide - the policy seam.  The policy sees the model (signals, features,
 * forecasts, the engines' proposals) and fills model->decision/decided for
 * the controls it wants to set; a control it leaves undecided keeps its
 * previous target.  The policy is the built-in C policy (policies/cpolicy.c),
 * a governor (policies/governors.c) or the Lua host (lua/policy.c), all
 * through one ops table (policies/policy.h).
 *
 * A policy call that fails counts a policy error and the built-in policy
 * decides that tick instead, so a broken policy never leaves the lab
 * without decisions.  After `max_failures` failing ticks in a row (a tick
 * also fails when some of its decisions were rejected) the built-in policy
 * takes over until decide_resume, and the log says so.
 */
#ifndef WATTSON_DECIDE_H
#define WATTSON_DECIDE_H

#include "policies/policy.h"

struct model;
struct stats;

struct decide {
    const struct policy_ops *ops;
    void *state;
    int own_state;         /* state made by ops->create, freed by decide_free */
    void *fallback;        /* built-in policy state, used when ops fails */
    unsigned failures;     /* failing ticks in a row */
    unsigned max_failures; /* then the built-in policy takes over */
    int in_fallback;
};

#define DECIDE_MAX_FAILURES 10

/* ops NULL selects the built-in policy alone.  `state` NULL: made by
 * ops->create. */
int decide_init(struct decide *d, const struct policy_ops *ops, void *state,
                const struct model *m);
/* Gives the policy the lead again (after a successful reload). */
void decide_resume(struct decide *d);
void decide_run(struct decide *d, struct model *m, struct stats *st);
void decide_free(struct decide *d);

#endif

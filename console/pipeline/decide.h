/*
 * decide - the policy seam.  The policy sees the model (signals, features,
 * forecasts, the engines' proposals) and fills model->decision/decided for
 * the controls it wants to set; a control it leaves undecided keeps its
 * previous target.  Today the policy is the built-in C policy (cpolicy.c);
 * the Lua host plugs in here through the same ops table.
 *
 * A policy call that fails counts a policy error and the built-in policy
 * decides that tick instead, so a broken policy never leaves the lab
 * without decisions.
 */
#ifndef WATTSON_DECIDE_H
#define WATTSON_DECIDE_H

struct model;
struct stats;

struct policy_ops {
    const char *name;
    void *(*create)(const struct model *m);
    /* Returns 0, or -1 when the policy failed this tick. */
    int (*decide)(void *state, struct model *m);
    void (*destroy)(void *state);
};

struct decide {
    const struct policy_ops *ops;
    void *state;
    void *fallback; /* built-in policy state, used when ops fails */
};

/* ops NULL selects the built-in policy alone. */
int decide_init(struct decide *d, const struct policy_ops *ops,
                const struct model *m);
void decide_run(struct decide *d, struct model *m, struct stats *st);
void decide_free(struct decide *d);

#endif

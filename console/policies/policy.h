/*
 * policy - what a policy is to the decide stage: a const ops table, which
 * the built-in policies here (cpolicy.c, governors.c) and the Lua host
 * (lua/policy.c) provide.  It lives here rather than in
 * pipeline/decide.h so that a policy depends on nothing in pipeline/: the
 * stage includes the policies (cpolicy is its fallback), never the other
 * way.
 */
#ifndef WATTSON_POLICY_OPS_H
#define WATTSON_POLICY_OPS_H

struct model;
struct stats;

struct policy_ops {
    const char *name;
    void *(*create)(const struct model *m);
    /* Returns 0; 1 when some decisions were rejected (the rest apply);
     * -1 when the policy failed this tick (nothing applies). */
    int (*decide)(void *state, struct model *m, struct stats *st);
    void (*destroy)(void *state);
};

#endif

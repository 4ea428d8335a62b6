/*
 * plib - the policy library: functions written in C that every policy
 * finds in its `wattson` table (and `log` as a global):
 *
 *   wattson.waterfill(budget, need, floor, weight, out) -> lambda
 *   wattson.clamp(x, lo, hi)
 *   wattson.ewma(prev, x, alpha)
 *   wattson.history(dev, signal, age)
 *   wattson.log(level, msg)  /  log(level, msg)
 *   wattson.forecaster(method [, params]) -> f; f:update(x), f:predict(h)
 *
 * All of them but forecaster allocate nothing: waterfill reads and writes
 * tables the policy made once, history reads the telemetry ring;
 * forecaster allocates its state once (make them in on_load), after
 * which update and predict allocate nothing.  See
 * lua-policies/README.md for the exact contracts.
 */
#ifndef WATTSON_PLIB_H
#define WATTSON_PLIB_H

#include <stddef.h>

struct lua_State;
struct model;
struct ring;

struct plib_ctx {
    const struct model *m;
    const struct ring *hist;
    const char *name; /* the policy file, for log lines */
    double *scratch;  /* 4 x cap doubles, for waterfill */
    size_t cap;       /* the most entries waterfill takes */
};

/* Installs `wattson` and `log` into the table at `env_index` of L (the
 * chunk's _ENV).  `ctx` must outlive the state. */
void plib_open(struct lua_State *L, int env_index, struct plib_ctx *ctx);

/* Pushes a new table for device `d` with the fields every view of the
 * state shares (name, kind, pu, index), so the policy's `state` and the
 * console REPL's copy keep one layout. */
void plib_push_device(struct lua_State *L, const struct model *m, size_t d);

#endif

/*
 * plib - the policy library: functions written in C that every policy
 * finds in its `wattson` table (and `log` as a global):
 *
 *   wattson.waterfill(budget, need, floor, weight, out) -> lambda
 *   wattson.clamp(x, lo, hi)
 *   wattson.ewma(prev, x, alpha)
 *   wattson.history(dev, signal, age)
 *   wattson.log(level, msg)  /  log(level, msg)   (rate-limited)
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
#include <stdint.h>

struct lua_State;
struct model;
struct ring;

/* log()'s rate limit: a token bucket over lab time (so a virtual-clock run
 * logs the same lines on any host), PLIB_LOG_RATE lines a second with
 * bursts of PLIB_LOG_BURST.  Lines over it are dropped and counted; the
 * next line let through is preceded by one "N log lines suppressed".  A
 * policy host keeps one for all its versions, so a reload does not refill
 * it.  Lines below the log level cost nothing. */
#define PLIB_LOG_RATE 10.0
#define PLIB_LOG_BURST 100.0

struct plib_lograte {
    double tokens;
    double last_t;       /* lab time of the last refill, s */
    uint64_t suppressed; /* dropped since the last line let through */
};

void plib_lograte_init(struct plib_lograte *r);
/* Logs the count of lines dropped since the last one let through, if
 * any (when a policy host ends). */
void plib_lograte_flush(struct plib_lograte *r, const char *name);

struct plib_ctx {
    const struct model *m;
    const struct ring *hist;
    const char *name;             /* the policy file, for log lines */
    double *scratch;              /* 4 x cap doubles, for waterfill */
    size_t cap;                   /* the most entries waterfill takes */
    struct plib_lograte *lograte; /* NULL: log() is not limited */
};

/* Installs `wattson` and `log` into the table at `env_index` of L (the
 * chunk's _ENV).  `ctx` must outlive the state. */
void plib_open(struct lua_State *L, int env_index, struct plib_ctx *ctx);

/* Pushes a new table for device `d` with the fields every view of the
 * state shares (name, kind, pu, index), so the policy's `state` and the
 * console REPL's copy keep one layout. */
void plib_push_device(struct lua_State *L, const struct model *m, size_t d);
/* Registers metatable `name` for the host's write proxies (out's): the
 * two metamethods, and a hidden metatable (__metatable = false) so that
 * only the host's own userdata reach them.  Leaves the stack as it was. */
void plib_proxy_mt(struct lua_State *L, const char *name,
                   int (*index)(struct lua_State *),
                   int (*newindex)(struct lua_State *));
/* An engine's table in `out` (out.partition, out.gpu): when `name` is
 * free (no device took it), a new table of `nrec` fields is put there and
 * left on the stack, and the result is a registry reference to `outs`,
 * through which the engine reads out[name] after each tick (a policy may
 * have put a table of its own there); 0, nothing pushed, when a device
 * has the name. */
int plib_out_table(struct lua_State *L, int outs, const char *name, int nrec);

#endif

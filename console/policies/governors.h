/*
 * governors - baseline policies to measure the predictive broker against,
 * selected with `--policy builtin:NAME`.  Each is a const policy_ops
 * (decide.h) that decides every processing unit's `freq` and `power_cap`
 * each tick from standard signals only; none allocates per tick.
 *
 *   static        the static split: power_cap = its minimum plus a share
 *                 of (budget_w - the minimums) in proportion to its cap
 *                 range - for identical PUs an equal split; its maximum
 *                 without a budget; freq at its maximum.  The caps sum to
 *                 the budget unless the minimums alone exceed it.
 *   ondemand      Linux ondemand (the classic rule): util > 0.80 -> f_max,
 *                 else f = f_max x util.
 *   conservative  Linux conservative: from the current target, one step
 *                 of 5 % of f_max up when util > 0.80, down when
 *                 util < 0.20.
 *   schedutil     Linux schedutil: f = 1.25 x f_max x util, then the
 *                 lowest P-state at or above f (the model's table,
 *                 model->ps_*, ABI 1.1); without a table the continuous
 *                 value, clamped.
 *   race          race-to-idle: f_max always; idle states do the rest.
 *   broker        the predictive broker's proposal (model->proposal where
 *                 model->proposed) as the decision for every control that
 *                 has one; the others keep their targets.
 *   broker-noipc  the same, with the broker ignoring IPC messages (its
 *                 forecasts alone): what the messages are worth.
 *   perfect-forecast  the same, with the broker reading the simulation's true
 *                 next-tick demand.  run_new points the broker at its
 *                 source (gov_broker_source).
 *
 * `util` is the sim's (and the kernel's busy-time) utilisation: the busy
 * fraction at the *current* clock.  ondemand and conservative use it as
 * the kernel does.  schedutil's formula expects frequency-invariant
 * utilisation (the kernel scales by f_cur / f_max, on x86 through
 * APERF/MPERF), so with a P-state table it uses util x f_cur / f_max (at
 * f_cur = f_max: the plain util); a saturated unit then climbs one state
 * a tick, by the 25 % margin and the rounding up, as in the kernel.
 * Without a table the target cannot be rounded up (the sim's `freq`
 * control runs the highest P-state at or below the target, so ondemand's
 * continuous targets round down too), and an invariant util would keep a
 * saturated unit on its lowest state for ever: there it uses the plain
 * util.
 *
 * The Linux governors know nothing of the lab's power budget; they run
 * under the static split's caps, as a lab's firmware power limits (RAPL,
 * nvidia-smi -pl) would hold them.  race ignores the budget: every cap at
 * its maximum, and a run over budget is its to show (budget_violations).  A PU
 * whose util is invalid this tick (the very first sample) runs at f_max
 * (ondemand, schedutil) or keeps its target (conservative).
 */
#ifndef WATTSON_GOVERNORS_H
#define WATTSON_GOVERNORS_H

#include <stddef.h>

#include "policies/policy.h"

/* The governor called `name` ("ondemand"), or NULL. */
const struct policy_ops *gov_find(const char *name);
/* The i-th governor's name, in the order above, or NULL past the end. */
const char *gov_name(size_t i);
/* "static, ondemand, ..., perfect-forecast" into buf (always terminated). */
void gov_list(char *buf, size_t len);
/* A --policy value: 0 when it is not "builtin:NAME" (*ops untouched), 1
 * with *ops set, -1 with one line in err for an unknown NAME ("unknown
 * built-in policy 'x' (... one of static, ...)"; the caller prefixes the
 * option or the lab field). */
int gov_parse(const char *policy, const struct policy_ops **ops, char *err,
              size_t errlen);
/* 1 for the perfect-forecast governor (the broker must read the true demand).
 */
/* The broker source (enum broker_source) run_new sets for a broker
 * policy - broker-noipc: forecasts only, broker: forecasts and IPC,
 * perfect-forecast: the true demand (it was "oracle": not a bound) - or -1 for
 * the others. */
int gov_broker_source(const struct policy_ops *ops);

/* The frequency rules, for tests.  util in [0, 1] (NaN: see above);
 * results within [fmin, fmax]. */
double gov_ondemand_freq(double util, double fmin, double fmax);
double gov_conservative_freq(double util, double cur, double fmin, double fmax);
/* `ps` (n states, increasing; n = 0: none) the P-state table; `fcur` the
 * clock util was measured at (<= 0: unknown, taken as fmax). */
double gov_schedutil_freq(double util, double fcur, double fmin, double fmax,
                          const double *ps, size_t n);

#endif

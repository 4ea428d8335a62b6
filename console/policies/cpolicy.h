/*
 * cpolicy - the built-in C policy: the default decision maker and the safe
 * fallback when a user policy fails.  Written against standard signals
 * only, so it works on any lab.
 *
 * Per processing unit with a `freq` control:
 *   need (op/s)  = forecast arrival rate + backlog / drain time
 *                  (drain time = half the PU's deadline, 50 ms if unknown)
 *   freq target  = current freq x need / current throughput, +10 % headroom,
 *                  clamped to the control's range; full speed when the PU
 *                  cannot report throughput.
 * Per PU with a `power_cap` control, when the lab has a budget:
 *   estimated power at the target = measured power x (f_target / f)^2
 *   (dynamic power grows roughly with f*V^2 and V with f over the DVFS
 *   range; squared is the conservative middle), then priority-weighted
 *   water-filling: every PU first gets its cap's minimum, and the rest of
 *   the budget is shared so that cap_i = min(estimate_i, min_i +
 *   w_i*lambda) with one lambda for all, found exactly (Newton's method on
 *   the piecewise-linear sum, a few passes); w_i is the
 *   PU's priority.  The caps add up to at most the budget (when their
 *   minimums fit it): the rule the host holds Lua policies to as well.
 * Without a budget every cap is its maximum.
 *
 * The controls of devices that are not processing units (a converter
 * mesh's duties and tie switches, engines/meshag.c) take the engines'
 * proposals, as a Lua policy's do when it leaves them alone.
 */
#ifndef WATTSON_CPOLICY_H
#define WATTSON_CPOLICY_H

#include <stddef.h>

#include "policies/policy.h"

extern const struct policy_ops cpolicy_ops;

/* Water-filling, exposed for tests: fills alloc[i] with
 * min(need[i], floor[i] + w[i]*lambda) summing to at most budget.
 * Returns lambda. */
double cpolicy_waterfill(const double *need, const double *floor_,
                         const double *w, double *alloc, size_t n,
                         double budget);

#endif

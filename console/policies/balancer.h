/*
 * balancer - a reactive, non-predictive power-sharing baseline (issue 13,
 * "What to build" item 1), in the spirit of GEOPM's power_balancer agent:
 * it moves budget from the power domains that measured slack toward the
 * domains that measured none, in steps, from measurements only.  With it
 * the broker's table separates the value of *sharing* power from the
 * value of *predicting* demand.
 *
 * GEOPM's PowerBalancerAgent (geopm_agent_power_balancer(7), geopm/geopm
 * docs/source/geopm_agent_power_balancer.7.rst) keeps the average
 * per-node limit at the job's while varying each NODE's limit: every node
 * first gets the average and measures its performance (epoch runtime, a
 * median of several samples), the slowest node's runtime is sent down,
 * every other node lowers its limit in 1 W trial steps until its runtime
 * matches that target (src/PowerBalancer.cpp: M_TRIAL_DELTA 1 W,
 * M_NUM_SAMPLE 5, M_TARGET_EPSILON 3 %) and sends the power it freed
 * ("slack") up, and on the next round that slack is spread evenly over
 * the nodes, so the critical path gets more.  A node's limit is enforced
 * by the hardware across the node's packages (the agent hands it to its
 * PowerGovernor, src/PowerBalancerAgent.cpp m_power_gov, which writes the
 * packages' RAPL limits), never per core.
 *
 * Here a node is one of pwrlimit's DOMAINS (pwrlimit.h): a CPU package
 * (one plugin's CPUs) or one GPU/FPGA; the balancer only moves the
 * domains' limits (pwrlimit_set_limit) and pwrlimit enforces each as the
 * hardware would (a package's PL1 on its running average through one
 * clock ceiling; a GPU's own power cap).  Utilisation and backlog play
 * the epoch runtime (wattson has no epochs):
 *
 *   - Limits start at pwrlimit's static split (pwrlimit_shares: what a
 *     sysadmin would set), and go back to it whenever the budget
 *     changes.  Without a budget there is no limit and nothing moves.
 *     So a lab with one domain (one CPU package and nothing else) runs
 *     exactly as `schedutil` under the package limiter does.
 *   - Every balancing period (BALANCER_PERIOD_S of lab time, at least one
 *     tick) each domain's measurements over the period are taken: each
 *     PU's mean util (the busy fraction at its clock), last util and
 *     power, backlog at the first and the last tick of the period, and
 *     its clock at the end; the domain's peak power (the sum of its PUs'
 *     readings on one tick); for a package, whether pwrlimit's ceiling
 *     clamped a clock on some tick (pwrlimit_held).  The period spans
 *     several ticks so that a decision rests on a measurement, not one
 *     sample (GEOPM takes a median of 5), and each period's samples were
 *     all taken under the limits of the previous decision.
 *   - A domain is *saturated* (no slack: the critical path) when one of
 *     its PUs is: mean util >= BALANCER_SAT or backlog grown over the
 *     period (a package's one ceiling holds all its cores, so one busy
 *     core is enough for more budget to help).  It is *held by its
 *     limit* when: a package, its ceiling clamped a governor's clock on
 *     some tick of the period; a GPU or FPGA, the P-state one above its
 *     clock would not fit under its limit (its cap): that state's busy
 *     power from the table, corrected by the difference between its last
 *     measured power and the table's value for the state and util it ran
 *     (the table holds at a reference temperature; the difference is the
 *     leakage at the die's real one), exceeds the limit; at its top state
 *     (or its freq control's maximum) it is not held.  Without a P-state
 *     table (either kind): when its peak power is within BALANCER_MARGIN
 *     of its limit.  A domain both saturated and held *receives*, up to
 *     its maximum (the sum of its PUs' cap maxima).  (A saturated domain
 *     its limit does not hold - at its top clocks, thermally throttled, a
 *     governor still ramping - cannot turn more budget into work: given
 *     budget it would sit on it.)
 *   - Every other domain with a power reading has slack: headroom =
 *     limit - max(its minimum, keep x (1 + BALANCER_MARGIN)), keep its
 *     peak power over the period (for a saturated GPU, at least the next
 *     state's power); it offers BALANCER_GIVE of its headroom (GEOPM
 *     sends the slack it measured; halving the measured headroom per
 *     period takes a donor toward its own draw geometrically, without
 *     ever cutting below what it drew).  A package's peak may exceed its
 *     limit up to PL2 (pwrlimit.h): such a package has no slack.
 *   - The amount moved is min(offers, the receivers' room up to their
 *     maxima): each donor gives its offer's share of it, the receivers
 *     share it evenly (water-filling up to their maxima), as GEOPM
 *     spreads slack evenly.  Moves conserve the sum, so the limits sum to
 *     the budget (up to rounding) when the static split did, and no limit
 *     leaves [min, max].
 *   - Lent budget comes back: slack alone never frees what was lent to a
 *     domain that now uses it all (a busy GPU absorbs any cap), so a
 *     receiver still below its static share after the slack was handed
 *     out takes the difference from the domains above theirs, in
 *     proportion to their excess - as GEOPM's rounds restart from the
 *     even split.  The static split is each domain's entitlement: the
 *     balancer lends slack, it never keeps a saturated domain below its
 *     share.
 *
 * It never reads forecasts, IPC, IPC-derived priorities or
 * SIG_DEMAND_NEXT: util, power, backlog and freq as measured, the
 * P-state table's powers (what the device's own limiter knows) and
 * whether the package limiter clamped a clock (what RAPL's status and
 * throttle counters tell).
 *
 * The policy `builtin:balancer` (governors.h) is schedutil's clocks, then
 * balancer_apply (the domains' limits), then pwrlimit_apply (their
 * enforcement).  Nothing allocates per tick.
 */
#ifndef WATTSON_BALANCER_H
#define WATTSON_BALANCER_H

#include <stddef.h>
#include <stdint.h>

struct model;
struct pwrlimit;
struct balancer;

/* The balancing period, s.  GEOPM's agent runs its loop every 5 ms but
 * acts on the median of 5 epochs, and its rounds take three steps; a
 * period here spans 10 ticks of the 10 ms labs (a measurement, not one
 * sample) and one tick of the 100 ms ones, and is short against RAPL's
 * 1 s window, so the baseline is not slow for want of trying. */
#define BALANCER_PERIOD_S 0.1
/* Mean util at or above this is saturated: at the kernel's busy-time
 * util, 95 % leaves no room to absorb a burst at the current clock. */
#define BALANCER_SAT 0.95
/* A donor keeps its peak power plus this fraction. */
#define BALANCER_MARGIN 0.10
/* The fraction of its headroom a donor gives per period. */
#define BALANCER_GIVE 0.5

/* The balancer of pl's domains (pl outlives it; it does not own pl);
 * period_s the balancing period (<= 0 or not finite: BALANCER_PERIOD_S).
 * NULL when out of memory. */
struct balancer *balancer_new(struct pwrlimit *pl, double period_s);
/* One tick, before pwrlimit_apply: takes the tick's measurements,
 * rebalances at the end of a period, and sets every domain's limit
 * (pwrlimit_set_limit).  Writes no decision itself. */
void balancer_apply(struct balancer *b, struct model *m);
void balancer_free(struct balancer *b);

/* Domain i's limit as last set, W (0: no budget, no limit; NAN past the
 * last domain). */
double balancer_limit(const struct balancer *b, size_t i);
/* Rebalancing periods that moved budget, and the watts moved in all. */
uint64_t balancer_moves(const struct balancer *b);
double balancer_moved_w(const struct balancer *b);

#endif

/*
 * balancer - a reactive, non-predictive power-sharing baseline (issue 13,
 * "What to build" item 1), in the spirit of GEOPM's power_balancer agent:
 * it moves budget from the PUs that measured slack toward the PUs that
 * measured none, in steps, from measurements only.  With it the broker's
 * table separates the value of *sharing* power from the value of
 * *predicting* demand.
 *
 * GEOPM's PowerBalancerAgent (geopm_agent_power_balancer(7), geopm/geopm
 * docs/source/geopm_agent_power_balancer.7.rst) keeps the
 * average per-node cap at the job's limit while varying each node's cap:
 * every node first gets the average cap and measures its performance
 * (epoch runtime, a median of several samples), the slowest node's
 * runtime is sent down, every other node lowers its limit in 1 W trial
 * steps until its runtime matches that target (src/PowerBalancer.cpp:
 * M_TRIAL_DELTA 1 W, M_NUM_SAMPLE 5, M_TARGET_EPSILON 3 %) and sends the
 * power it freed ("slack") up, and on the next round that slack is
 * spread evenly over the nodes, so the critical path gets more.  Here a
 * PU plays a node and its utilisation and backlog play the epoch
 * runtime (wattson has no epochs):
 *
 *   - Caps start at the static split (pwrlimit_split: each cap's minimum
 *     plus a share of the rest in proportion to its range), and go back
 *     to it whenever the budget changes.  Without a budget every cap is
 *     its maximum and nothing moves.
 *   - Every balancing period (BALANCER_PERIOD_S of lab time, at least one
 *     tick) each PU's measurements over the period are taken: mean util
 *     (the busy fraction at its clock), peak and last power, backlog at
 *     the first and the last tick of the period, and its clock at the
 *     end.  The period spans several ticks so that a decision rests on a
 *     measurement, not one sample (GEOPM takes a median of 5), and each
 *     period's samples were all taken under the caps of the previous
 *     decision.
 *   - A PU is *saturated* (no slack: the critical path) when its mean
 *     util >= BALANCER_SAT or its backlog grew over the period.  It is
 *     *held by its cap* when the P-state one above its clock would not
 *     fit under its cap: that state's busy power from the table,
 *     corrected by the difference between the PU's last measured power
 *     and the table's value for the state and util it ran (the table
 *     holds at a reference temperature; the difference is the leakage at
 *     the die's real one), exceeds the cap; at its top state (or
 *     its freq control's maximum) it is not; without a P-state table,
 *     when its peak power is within BALANCER_MARGIN of its cap.  A PU
 *     both saturated and held by its cap *receives*, up to its cap's
 *     maximum.  (A saturated PU its cap does not hold - at its top clock,
 *     thermally throttled, a governor still ramping - cannot turn more
 *     cap into work: given budget it would sit on it.)
 *   - Every other PU with a power reading has slack: headroom = cap -
 *     max(cap min, keep x (1 + BALANCER_MARGIN)), keep its peak power
 *     over the period (for a saturated PU, at least the next state's
 *     power); it offers BALANCER_GIVE of its headroom (more slack, more
 *     given).  Halving the measured headroom per period takes a donor
 *     toward its own draw geometrically, without ever cutting below what
 *     it drew.
 *   - The amount moved is min(offers, the receivers' room up to their
 *     maxima): each donor gives its offer's share of it, the receivers
 *     share it evenly (water-filling up to their maxima), as GEOPM
 *     spreads slack evenly.  Moves conserve the sum, so the caps sum to
 *     the budget (up to rounding) when the static split did, and no cap
 *     leaves [min, max].  (When the minimums alone exceed the budget every
 *     cap is at its minimum, as the static split has it.)
 *   - Lent budget comes back: slack alone never frees what was lent to a
 *     PU that now uses it all (a busy GPU absorbs any cap), so a receiver
 *     still below its static share after the slack was handed out takes
 *     the difference from the PUs above theirs, in proportion to their
 *     excess - as GEOPM's rounds restart from the even split.  The
 *     static split is each PU's entitlement: the balancer lends slack,
 *     it never keeps a saturated PU below its share.
 *
 * It never reads forecasts, IPC, IPC-derived priorities or
 * SIG_DEMAND_NEXT: util, power, backlog and freq as measured, and the
 * P-state table's powers (what the device's own limiter knows).
 *
 * A power layer (balancer_new/apply/free) that writes only the PUs'
 * power_cap decisions, after a governor wrote the freq ones: the policy
 * `builtin:balancer` (governors.h) is schedutil's clocks plus these
 * caps.  Nothing allocates per tick.
 */
#ifndef WATTSON_BALANCER_H
#define WATTSON_BALANCER_H

#include <stddef.h>
#include <stdint.h>

struct model;
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

/* The balancer for m's PUs; period_s the balancing period (<= 0 or not
 * finite: BALANCER_PERIOD_S).  NULL when out of memory. */
struct balancer *balancer_new(const struct model *m, double period_s);
/* One tick: takes the tick's measurements, rebalances at the end of a
 * period, and writes every PU's power_cap decision. */
void balancer_apply(struct balancer *b, struct model *m);
void balancer_free(struct balancer *b);

/* The cap of PU m->pus[k] as last written, W (NAN: no power_cap). */
double balancer_cap(const struct balancer *b, size_t k);
/* Rebalancing periods that moved budget, and the watts moved in all. */
uint64_t balancer_moves(const struct balancer *b);
double balancer_moved_w(const struct balancer *b);

#endif

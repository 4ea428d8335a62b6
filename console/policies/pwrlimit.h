/*
 * pwrlimit - power limiting as the hardware does it: a "power layer" that
 * runs after a frequency governor has written its `freq` decisions into
 * model->decision and turns the lab's budget into the limits a sysadmin
 * would set on the machine (issue 13, "What to build" item 1).
 *
 * Domains.  The CPU processing units (device kind "cpu") of one plugin
 * instance (model->plugins[p], devices dev_base .. dev_base + n_dev) form
 * one *package*: real parts have one RAPL package limit for all their
 * cores, not one per core.  Every other PU (a GPU, an FPGA, ...) is a
 * domain of its own, with its own board limit (nvidia-smi -pl; an FPGA
 * board's power limit).  Non-PU devices (rails, ...) are no domain and
 * are never touched.
 *
 * Budget split.  As a sysadmin sets limits: each domain's limit is the sum
 * of what the old per-PU static split (governors.h, `static`) gives its
 * PUs - a PU's cap minimum plus a share of (budget - every minimum) in
 * proportion to its cap range - so the limits sum to the budget (unless
 * the minimums alone exceed it, or every maximum together is below it).
 * A PU without a `power_cap` control adds nothing to its domain's limit,
 * and a package none of whose PUs has one takes no share of the budget:
 * it is not limited (as the per-PU split left such PUs alone).
 * Without a budget (budget_w <= 0) there is no limit: freq decisions are
 * left as the governor wrote them and every cap is at its maximum.
 *
 * Limits set.  The split is where the limits start and what they are
 * unless someone sets one: pwrlimit_set_limit gives a domain another
 * limit, within [its PUs' cap minimums, their maximums] summed, kept
 * until set again (NAN: back to the split's share).  So a power-sharing
 * layer (balancer.h, GEOPM's power_balancer moving budget between
 * nodes) writes the limits and this layer enforces each as the hardware
 * does a new PL1 or `nvidia-smi -pl`: a package's running average is
 * not reset, so a lowered limit takes effect through the allowance
 * (allow = avg + (PL1 - avg) / a falls at once, the average follows over
 * tau), a raised one at once up to PL2.  A table-less package's PUs
 * share a set limit as the split would (each cap's minimum plus the
 * same fraction of its range).  The setter keeps whatever budget comes:
 * a layer that sets limits resets them when the budget changes.
 *
 * Package domains: a RAPL-like limiter (Intel SDM Vol. 3B, "Package RAPL
 * Domain", MSR_PKG_POWER_LIMIT; Linux Documentation/power/powercap/
 * powercap.rst, intel-rapl constraint_0 "long_term" and constraint_1
 * "short_term", each a power limit "applicable for the time window"
 * constraint_X_time_window_us).
 *   - PL1 = the domain's limit, held on a running average of package
 *     power with time window tau.  Intel's datasheets describe tau (the
 *     "Turbo Time Parameter") as "an averaging constant used for PL1
 *     exponential weighted moving average (EWMA) power calculation"
 *     (e.g. Intel Core i3 N-series datasheet vol. 1, "Package Power
 *     Control"), with a hardware default of 1 s (Xeon E3-1200 v3
 *     datasheet vol. 1, "Package Power Control" table:
 *     POWER_LIMIT_1_TIME default 1 sec; BIOSes often set 28 s on mobile
 *     parts).  The default here is 1 s, the hardware's and the window the
 *     review measured with.  The average is the exact discrete EWMA for a power
 * held over a tick of length dt: avg += (P - avg) * (1 - exp(-dt / tau)) so for
 * a power step P from avg = 0, avg(k dt) = P (1 - exp(-k dt / tau)) at tick
 * boundaries.  It starts at 0 (a package that was idle: the turbo "energy
 * budget" is full).
 *   - PL2 = 1.25 x PL1 on each tick's power (the same table: POWER_LIMIT_2
 *     default 1.25 x TDP; real PL2 may be exceeded for up to 10 ms).  So a
 *     lab's instantaneous power may exceed the budget by up to 25 % for
 *     a while, as a real package's does; the average may not.
 *   - Each tick, with a = 1 - exp(-dt / tau), the power allowed for the
 *     next tick is the largest P keeping the average <= PL1, solved from
 *     the update, and <= PL2:
 *         allow = min(PL2, avg + (PL1 - avg) / a)
 *     (dt is this tick's: ticks are normally equal; dt <= 0 gives PL2).
 *     One package-wide frequency ceiling is chosen: the highest clock,
 *     among the package PUs' P-states, whose predicted package power fits
 *     `allow`.  The prediction sums over the package's PUs the power of
 *     the state each PU would run under that ceiling (the highest state
 *     at or below min(its freq decision, ceiling)):
 *         idle_w + u (busy_w - idle_w),  u = min(1, util x f_cur / f)
 *     (util the busy fraction measured at the PU's current clock f_cur,
 *     the model's table at its reference temperature).  A PU with no
 *     valid util counts as fully busy (the safe side); one with no clock
 *     reading has its util taken as measured at f.  When no state fits,
 *     the ceiling is the lowest one (the package cannot go lower; the
 *     average then pulls the next allowance down).  A package PU without
 *     a P-state table or a freq control (the ceiling cannot move it) adds
 *     its measured power, unscaled.  Every freq
 *     decision in the package is clamped to the ceiling, and every
 *     package PU's power_cap is set to its maximum: the package limiter
 *     is the enforcement, not a per-core cap.
 *   - A package none of whose PUs has a P-state table cannot predict a
 *     ceiling: its PUs get their static-split caps instead (what the
 *     per-PU split did), and no freq is clamped.
 *   - It reacts once per lab tick (10-100 ms in the shipped labs); real
 *     RAPL re-evaluates in about 1 ms, so short spikes are held more
 *     loosely here than on hardware, and the running average is fed the
 *     power *measured* over the tick just ended (model_device_power;
 *     predicted from the table at the current clock where a PU has no
 *     reading), so prediction errors (temperature, leakage) are corrected
 *     by the feedback of the average.
 *
 * Other domains (GPU, FPGA, ...): the PU's power_cap = its domain limit;
 * the sim steps the P-state down while its predicted power exceeds the cap
 * (drivers/sim/pu.c), which models the device firmware's own limiter, as
 * a GPU's `nvidia-smi -pl`.  Their freq decisions are left alone.
 *
 * pwrlimit_new allocates everything once; pwrlimit_apply allocates
 * nothing.  The model's PU set must not change between them (it does not:
 * model_build fixes it).
 */
#ifndef WATTSON_PWRLIMIT_H
#define WATTSON_PWRLIMIT_H

#include <stddef.h>
#include <stdint.h>

struct model;
struct pwrlimit;

/* RAPL's hardware default time window (see above), s. */
#define PWRLIMIT_TAU_DEFAULT 1.0
/* PL2 as a multiple of PL1 (the hardware default, see above). */
#define PWRLIMIT_PL2_RATIO 1.25

/* The limiter for m's PUs; tau_s the PL1 time window (<= 0 or not finite:
 * PWRLIMIT_TAU_DEFAULT).  NULL when out of memory. */
struct pwrlimit *pwrlimit_new(const struct model *m, double tau_s);
/* One tick: updates every package's running average with the power
 * measured over the tick just ended, then writes the limits into
 * m->decision/decided (freq ceilings of packages, power caps of every
 * domain; see above).  Run it after the governor's freq decisions. */
void pwrlimit_apply(struct pwrlimit *pl, struct model *m);
void pwrlimit_free(struct pwrlimit *pl);

/* Domain i's limit from now on (clamped to [pwrlimit_min,
 * pwrlimit_max]), while there is a budget; NAN: the static split's share
 * again.  Ignored for a domain none of whose PUs has a power_cap (it is
 * not limited) and past the last domain.  Allocates nothing. */
void pwrlimit_set_limit(struct pwrlimit *pl, size_t i, double w);
/* Every domain's share of the static split of m->budget_w (0 without a
 * budget) into limits[0 .. n_domains): the limits before any is set.
 * Allocates nothing. */
void pwrlimit_shares(struct pwrlimit *pl, const struct model *m,
                     double *limits);

/* The static split of m->budget_w over m's PUs, as governors.h's
 * `static`: caps[k] for PU m->pus[k] (NAN for a PU without a power_cap
 * control); every cap its maximum without a budget.  Allocates nothing. */
void pwrlimit_split(const struct model *m, double *caps);

/* Inspection, for tests and the console.  Domain i in [0, n): */
size_t pwrlimit_n_domains(const struct pwrlimit *pl);
/* 1 for a CPU package, 0 for a single-PU domain. */
int pwrlimit_is_package(const struct pwrlimit *pl, size_t i);
/* Its PUs (device indices) and how many; *n set. */
const uint32_t *pwrlimit_members(const struct pwrlimit *pl, size_t i,
                                 size_t *n);
/* The domain of device d, or -1 when d is in none. */
int pwrlimit_domain_of(const struct pwrlimit *pl, uint32_t d);
/* The limit set at the last apply (PL1 for a package), W; 0: no budget. */
double pwrlimit_limit(const struct pwrlimit *pl, size_t i);
/* The sums of its PUs' power_cap minimums and maximums, W (0 and 0
 * when none has a power_cap): the range of its limit. */
double pwrlimit_min(const struct pwrlimit *pl, size_t i);
double pwrlimit_max(const struct pwrlimit *pl, size_t i);
/* Whether the limit held the domain at the last apply: for a package, 1
 * when its ceiling clamped some PU's freq decision (the governor wanted
 * a clock the limit would not give), 0 when not (or no budget); -1 for a
 * package without P-state tables and for every other domain, whose own
 * limiter (the device's) this layer cannot see. */
int pwrlimit_held(const struct pwrlimit *pl, size_t i);
/* A package's running average of power, W (0 for other domains). */
double pwrlimit_avg(const struct pwrlimit *pl, size_t i);
/* A package's power allowed for the next tick at the last apply, W
 * (INFINITY without a budget; 0 for other domains). */
double pwrlimit_allow(const struct pwrlimit *pl, size_t i);
/* A package's frequency ceiling at the last apply, Hz (INFINITY: none). */
double pwrlimit_ceiling(const struct pwrlimit *pl, size_t i);
/* A package's predicted power at that ceiling, W. */
double pwrlimit_predicted(const struct pwrlimit *pl, size_t i);
double pwrlimit_tau(const struct pwrlimit *pl);

#endif

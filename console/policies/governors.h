/*
 * governors - baseline policies to measure the predictive broker against,
 * selected with `--policy builtin:NAME`.  Each is a const policy_ops
 * (decide.h) that decides every processing unit's `freq` and `power_cap`
 * each tick from standard signals only.  ondemand, conservative and
 * schedutil keep per-PU state, made once by create (sized from the model)
 * and freed by destroy; no governor allocates per tick.
 *
 *   performance   every clock at its maximum (the kernel's performance
 *                 governor: policy->max), under the power limits below
 *                 (builtin:static, its name when the limits were a fixed
 *                 per-PU split, still selects it, with a warning).
 *   ondemand      Linux ondemand, od_update (drivers/cpufreq/
 *                 cpufreq_ondemand.c): every sampling period, load > 80 %
 *                 (up_threshold) -> the policy maximum, and the next
 *                 sample comes sampling_down_factor periods later (default
 *                 1) when it jumped there from below; else freq_next =
 *                 min_f + load x (max_f - min_f), min_f/max_f the table's
 *                 ends, resolved CPUFREQ_RELATION_C (the closest state; a
 *                 tie, on the model's ascending table, to the lower one,
 *                 as cpufreq_table_find_index_ac does).
 *   conservative  Linux conservative, cs_dbs_update (cpufreq_conservative.c):
 *                 keeps requested_freq (starts at the current clock, and
 *                 is reset to it when outside the policy limits); every
 *                 period, load > 80 % -> requested_freq += freq_step (5 %
 *                 of the policy maximum, clamped to it), resolved
 *                 CPUFREQ_RELATION_H (the highest state at or below);
 *                 otherwise, every sampling_down_factor-th such period,
 *                 load < 20 % (down_threshold) -> requested_freq -=
 *                 freq_step (to the minimum when not above a step; the
 *                 target clamped to the minimum), resolved
 *                 CPUFREQ_RELATION_L (the lowest state at or above).
 *   schedutil     Linux schedutil (kernel/sched/cpufreq_schedutil.c) on
 *                 a PELT-like utilisation (kernel/sched/pelt.c): util_avg
 *                 a geometric series over 1024 us periods with y^32 = 1/2
 *                 (half-life ~32.8 ms) of the frequency-invariant busy
 *                 fraction (util x f_cur / f_max); util_est (kernel/sched/
 *                 fair.c, util_est_update) an EWMA of weight 1/4 of the
 *                 util_avg seen at each "dequeue", rising at once; the
 *                 CPU's util max(util_avg, util_est) while it has work.
 *                 next_f = 1.25 x f_max x util (capped at f_max), resolved
 *                 CPUFREQ_RELATION_L; not lowered while the PU was never
 *                 idle since the previous update (sugov_hold_freq); at
 *                 most one change per rate_limit_us (default 1000 us:
 *                 cpufreq_policy_transition_delay_us's value when the
 *                 driver gives no transition delay or latency).
 *   naive-split   schedutil under a fixed per-PU split of the budget
 *                 (pwrlimit_split: each power_cap its minimum plus a share
 *                 of the rest in proportion to its range), the limits the
 *                 baselines ran under before issue 13; kept as a row to
 *                 show what a per-core split costs.
 *   balancer      schedutil's clocks under the package limiter, whose
 *                 domain limits (a CPU package's PL1, a GPU's cap) the
 *                 balancer moves (balancer.h: GEOPM power_balancer's rule
 *                 between nodes, measured slack only, no forecast): what
 *                 sharing the budget is worth without prediction.  With
 *                 one domain it is schedutil.
 *   race          race-to-idle: f_max always, every cap at its maximum,
 *                 no limit; idle states do the rest.
 *   broker        the predictive broker's proposal (model->proposal where
 *                 model->proposed) as the decision for every control that
 *                 has one; the others keep their targets.
 *   broker-noipc  the same, with the broker ignoring IPC messages (its
 *                 forecasts alone): what the messages are worth.
 *   perfect-forecast  the same, with the broker reading the simulation's true
 *                 next-tick demand.  run_new points the broker at its
 *                 source (gov_broker_source).
 *
 * Time.  ondemand and conservative run on their own sampling period
 * (default 10 ms, the classic ondemand floor MICRO_FREQUENCY_MIN_SAMPLE_RATE;
 * the lab's `governor_period`), independent of the lab tick: they act on
 * the first tick at which a period (ondemand: period x rate_mult) has
 * elapsed since their last sample, on the load over the ticks since
 * (busy time over wall time, each tick weighted by its dt), and hold
 * their request between.  A tick longer than the period makes them act
 * every tick, on that tick's load (gov_period_s says which).  schedutil
 * is event driven: it updates every tick, changing its request at most
 * once per rate limit.  A tick without a valid util (the very first
 * sample) is left out of the windows and the PELT sums, and the request
 * held; before any decision it is the current clock (the sim starts at
 * its maximum).
 *
 * `load` is the sim's (and the kernel's busy-time) utilisation: the busy
 * fraction at the *current* clock.  ondemand and conservative use it as
 * dbs_update (cpufreq_governor.c) does, as a whole percentage rounded
 * down (80.9 % is 80, not above up_threshold).  schedutil's PELT takes
 * it frequency-invariant, as the kernel's (x86: APERF/MPERF): util x
 * f_cur / f_max.
 *
 * Without a P-state table (model->ps_*, ABI 1.1) the targets stay
 * continuous (clamped to the control's range) and schedutil uses the
 * kernel's non-frequency-invariant formula, next_f = 1.25 x f_cur x
 * util_raw (the get_next_freq kernel-doc), so a saturated unit still
 * climbs.
 *
 * Approximations, since the sim has ticks and no tasks: dbs_update's
 * wake-from-idle rules (reusing the previous load, conservative's
 * idle_periods) are for windows stretched by a CPU that raised no
 * scheduler events; the sim's windows are the period (or the tick) and
 * they are not modelled.  util_est sees the PU's work as one task that
 * sleeps whenever the PU idles: a tick with a busy fraction below 1 ends
 * an activation (its "dequeue", where the EWMA takes util_avg), and a
 * tick with no work at all has it asleep (util_est then does not count).
 * PELT starts at the first valid sample's value (steady state) rather
 * than 0, so no governor starts with a ramp the workload did not cause.
 *
 * Power limits.  The Linux governors know nothing of the lab's power
 * budget; performance, ondemand, conservative and schedutil run under
 * the limits hardware enforces (pwrlimit.h): the budget split once into
 * per-domain limits as a sysadmin would set them, each CPU package held
 * to its PL1 on a 1 s running average (PL2 = 1.25 x PL1 per tick) by one
 * clock ceiling for the whole package, as RAPL does, each GPU or FPGA by
 * its own power cap, as `nvidia-smi -pl`.  balancer runs under the same
 * limiter, its domains' limits moved from the split.  naive-split uses
 * per-PU caps instead (above).  race ignores the budget: a run over it
 * is its to show (budget_violations).
 */
#ifndef WATTSON_GOVERNORS_H
#define WATTSON_GOVERNORS_H

#include <stddef.h>

#include "policies/policy.h"

/* The governor called `name` ("ondemand"), or NULL. */
const struct policy_ops *gov_find(const char *name);
/* The i-th governor's name, in the order above, or NULL past the end. */
const char *gov_name(size_t i);
/* "performance, ondemand, ..., perfect-forecast" into buf (always
 * terminated). */
void gov_list(char *buf, size_t len);
/* A --policy value: 0 when it is not "builtin:NAME" (*ops untouched), 1
 * with *ops set, -1 with one line in err for an unknown NAME ("unknown
 * built-in policy 'x' (... one of performance, ...)"; the caller prefixes the
 * option or the lab field). */
int gov_parse(const char *policy, const struct policy_ops **ops, char *err,
              size_t errlen);
/* The broker source (enum broker_source) run_new sets for a broker
 * policy - broker-noipc: forecasts only, broker: forecasts and IPC,
 * perfect-forecast: the true demand (it was "oracle": not a bound) - or -1 for
 * the others. */
int gov_broker_source(const struct policy_ops *ops);

/* The tunables of ondemand, conservative and schedutil; each governor
 * reads those it has. */
struct gov_tunables {
    double period_s;               /* dbs sampling_rate, s (0.010) */
    double rate_limit_s;           /* schedutil rate_limit_us, s (0.001) */
    unsigned sampling_down_factor; /* ondemand, conservative (1) */
};

#define GOV_PERIOD_DEFAULT_S 0.010
#define GOV_RATE_LIMIT_DEFAULT_S 0.001

void gov_tunables_default(struct gov_tunables *t);
/* Sets the tunables of a state made by ops->create: 0, or -1 when one is
 * out of range (period and rate limit > 0 and finite, sampling_down_factor
 * >= 1) or ops has none (static, race, the broker's). */
int gov_configure(const struct policy_ops *ops, void *state,
                  const struct gov_tunables *t);
/* The lab's `governor_period` (s; <= 0 keeps the default) into a state
 * made by ops->create; nothing for a governor without a period. */
void gov_set_period(const struct policy_ops *ops, void *state, double period_s);
/* How often governor `ops` can change its request under a lab tick of
 * tick_s, s: ondemand and conservative the first multiple of the tick at
 * or above their period (the tick itself when it is longer: then they act
 * every tick), schedutil the same of its rate limit, the others the tick.
 * `t` NULL: the defaults. */
double gov_period_s(const struct policy_ops *ops, const struct gov_tunables *t,
                    double tick_s);

/* The rules, for tests.  `ps` (n states, increasing; n = 0: none, the
 * targets stay continuous) the P-state table, [fmin, fmax] the policy
 * limits (the freq control's range); results within them. */
enum gov_relation {
    GOV_REL_L, /* lowest state at or above (CPUFREQ_RELATION_L) */
    GOV_REL_H, /* highest state at or below (CPUFREQ_RELATION_H) */
    GOV_REL_C  /* closest state (CPUFREQ_RELATION_C) */
};
double gov_resolve(double target, enum gov_relation rel, const double *ps,
                   size_t n, double fmin, double fmax);
/* od_update's request for `load` in [0, 1] (taken as a whole percentage,
 * rounded down), the current clock `fcur` aside. */
double gov_ondemand_freq(double load, const double *ps, size_t n, double fmin,
                         double fmax);
/* One cs_dbs_update with sampling_down_factor 1: updates *requested (NaN:
 * unset, taken as fcur) and returns the request; `hold` the request to
 * keep when nothing changes. */
double gov_conservative_freq(double load, double *requested, double fcur,
                             double hold, const double *ps, size_t n,
                             double fmin, double fmax);
/* get_next_freq's target for util (capacity 1) and reference clock fref
 * (f_max with invariant util, f_cur without), 1.25 margin, resolved L. */
double gov_schedutil_freq(double util, double fref, const double *ps, size_t n,
                          double fmin, double fmax);
/* PELT: util_avg after dt seconds of contribution `contrib` (the
 * frequency-invariant busy fraction), from `util`. */
double gov_pelt(double util, double contrib, double dt);
/* util_est_update: the EWMA after a dequeue that saw `dequeued`. */
double gov_util_est(double ewma, double dequeued);

#endif

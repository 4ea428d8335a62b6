/*
 * padapt - the runtime adaptation controller of a training pipeline
 * (issue 15; the first seed's loop "monitor -> compare with prediction ->
 * repartition when worth it").
 *
 * It holds the plan the pipeline runs (part/ppipe.h) and, per device and
 * per link, an estimate of how fast it really is, relative to what the
 * plan assumed: each observation of a micro-batch's measured stage and
 * link times moves the estimate of that stage's device (work over time)
 * and of that link (bytes over time) by an exponentially weighted average;
 * once a deviation has lasted, by the mean of the observations since it
 * began, so that a step change is estimated from its own samples (a
 * sample further than `threshold` from that mean starts it again: the
 * deviation changed while it lasted).
 * A repartition is considered only when
 *   - some stage's or link's measured time has deviated from its predicted
 *     time by more than `threshold` (relative) for `hold` observations in a
 *     row (one slow micro-batch is noise, not a slowdown), and
 *   - `cooldown` observations have passed since the last move (unless the
 *     deviation is over three times the threshold: a change that large is
 *     not a new plan settling),
 * and made only when the plan solved for the estimated speeds is faster by
 * at least `min_gain` (relative) and its gain over `horizon` micro-batches
 * repays the migration: the pipeline drains (its stages times the present
 * bottleneck), the parameters of every layer that changes device move
 * over their links (those links in parallel, each carrying its bytes
 * at its estimated bandwidth), and it refills.  Both conditions together
 * are the hysteresis: a plan that just moved is not moved back by the
 * next noisy sample.  Then it waits to break even: the move is made once
 * the micro-batches since have lost, against the plan it would move to,
 * as much time as the move costs (the ski-rental rule: at most twice
 * what a choice knowing the change's length would lose), so a slowdown
 * that passes sooner moves nothing.
 *
 * A decision can be vetoed or forced by the caller (the Lua policy through
 * the partition engine): a veto keeps the plan and counts it; a force moves
 * to the proposed plan whatever the gain.
 *
 * Solving allocates (ppipe_solve); it happens only when a repartition is
 * considered, never on an ordinary observation.
 */
#ifndef WATTSON_PADAPT_H
#define WATTSON_PADAPT_H

#include <stddef.h>

#include "part/ppipe.h"

struct padapt_cfg {
    double threshold;  /* relative deviation that counts (default 0.10) */
    unsigned hold;     /* observations in a row (default 5) */
    unsigned cooldown; /* observations after a move (default 10) */
    double min_gain;   /* relative bottleneck gain (default 0.05) */
    double horizon;    /* micro-batches the gain must repay in (500) */
    double alpha;      /* weight of a new observation (default 0.3) */
};

/* The defaults above. */
void padapt_cfg_default(struct padapt_cfg *c);

enum padapt_action {
    PADAPT_KEEP,    /* nothing deviates, or not for long enough */
    PADAPT_PROPOSE, /* deviates, but the proposal is not worth moving */
    PADAPT_MOVE,    /* moved to the proposal */
    PADAPT_VETOED   /* would have moved; the caller said no */
};

struct padapt {
    struct padapt_cfg cfg;
    struct ppipe_in in; /* the model, nominal devices and links */
    /* speed and bandwidth as estimated, relative to the nominal ones, and
     * as they were when cur was solved (its times are at those) */
    double est_f[PPIPE_MAX_DEV], plan_f[PPIPE_MAX_DEV];
    double est_bwf[PPIPE_MAX_DEV * PPIPE_MAX_DEV];
    double plan_bwf[PPIPE_MAX_DEV * PPIPE_MAX_DEV];
    /* the speeds the observations since the deviation began show: their
     * sums and counts (a slowdown's estimate from its own samples, not
     * averaged with the time before it) */
    double run_f[PPIPE_MAX_DEV], run_bwf[PPIPE_MAX_DEV * PPIPE_MAX_DEV];
    unsigned run_n[PPIPE_MAX_DEV], run_bwn[PPIPE_MAX_DEV * PPIPE_MAX_DEV];
    struct ppipe_plan cur;  /* what runs, its times as planned */
    struct ppipe_plan pred; /* cur's times at the estimated speeds */
    struct ppipe_plan prop; /* the last proposal (valid when has_prop) */
    int has_prop;
    int ready;        /* prop is worth moving to: padapt_commit decides */
    int waiting;      /* prop is worth it: waiting to break even */
    double regret_ms; /* what the deviation has cost since, ms */
    double deviation; /* the last observation's largest |meas/pred - 1| */
    unsigned over;    /* observations in a row over threshold */
    unsigned since;   /* observations since the last move */
    double gain_ms;   /* the last proposal's bottleneck gain at estimates */
    double cost_ms;   /* its migration cost */
    unsigned long moves, vetoes, proposals;
    double migration_ms; /* all moves' costs */
};

/* Starts from `plan` (solved by the caller for `in`, whose arrays must
 * outlive the controller); cfg NULL: the defaults.  0, or -1 bad input. */
int padapt_init(struct padapt *a, const struct ppipe_in *in,
                const struct ppipe_plan *plan, const struct padapt_cfg *cfg);

/* One micro-batch's measured times: stage_ms[k] the compute of stage k,
 * link_ms[k] the link after it (k < nstages - 1; ignored otherwise), and
 * idle_f (NULL: none) per device its speed relative to nominal as its
 * telemetry tells (clock, a co-tenant's share), read for the devices no
 * stage runs on: nothing else measures them, and a device that recovers
 * while idle is a gain only telemetry shows.  Updates the estimates and
 * the deviation; does not decide. */
void padapt_observe(struct padapt *a, const double *stage_ms,
                    const double *link_ms, const double *idle_f);

/* Decides after an observation: veto keeps the plan (counted when it
 * would have moved); force solves for the estimated speeds at once and
 * moves to that plan whatever its gain.  On PADAPT_MOVE, cur is the new
 * plan and cost_ms the time the move costs. */
enum padapt_action padapt_decide(struct padapt *a, int veto, int force);

/* The same in two steps, for a caller that asks someone between them
 * (the Lua policy, a tick later): propose solves when the deviation has
 * armed (or force) and returns PADAPT_MOVE when prop is worth moving to
 * (then `ready`), PADAPT_PROPOSE when not, PADAPT_KEEP when nothing was
 * asked; commit then moves (PADAPT_MOVE) or counts a veto (PADAPT_VETOED),
 * and does nothing (PADAPT_KEEP) unless propose left one ready. */
enum padapt_action padapt_propose(struct padapt *a, int force);
enum padapt_action padapt_commit(struct padapt *a, int veto);

/* Offers `next` (stages and devices; e.g. the data predictor's plan for
 * the work to come) as the proposal, priced at the estimated speeds, for
 * padapt_commit: 0, or -1 (the same plan as now, or it does not fit). */
int padapt_offer(struct padapt *a, const struct ppipe_plan *next);

/* 1 when two plans are the same stages on the same devices. */
int padapt_same(const struct ppipe_plan *a, const struct ppipe_plan *b);

/* The migration cost of going from plan `from` to `to` at the estimated
 * speeds (see the top), ms. */
double padapt_migration_ms(const struct padapt *a,
                           const struct ppipe_plan *from,
                           const struct ppipe_plan *to);

#endif

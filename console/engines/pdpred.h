/*
 * pdpred - the data profiler and predictor (issue 15, the first seed's
 * "Training Data Profiler" and "Resource Usage Predictor"): it sees each
 * batch's characteristics before the batch enters the pipeline, predicts
 * the work of the batches to come, and repartitions *before* a predicted
 * bottleneck, where the runtime controller (part/padapt.h) can only
 * react to one it has measured.
 *
 * Per batch (pdpred_observe), the batch about to run, whose lengths or
 * image size the loader already knows:
 *   profile    its factor per scaling class (part/pdata.h): per-layer
 *              work = base work x the layer's mix of those factors;
 *   forecast   each varying factor's series through wattson's forecasters
 *              (engines/fcast.h): a level and a fast EWMA (alpha 0.3)
 *              beside it, with a change test: when the fast one strays
 *              from the level by more than `reset` (3) of its own
 *              standard deviations (the samples' mean absolute deviation
 *              from it, x 1.25 for a normal's sigma, x sqrt(a / (2 - a))),
 *              a new run begins.  The level is the mean of the run's
 *              samples (padapt's way with a slowdown: a phase estimated
 *              from its own samples) until the run is 1 / alpha long, then
 *              a forecaster of `method` (default an EWMA of alpha 0.002)
 *              started at that mean, which follows a slow drift.  The
 *              ensemble is not the default: built to beat last value one
 *              step ahead, on an i.i.d. series (shuffled length buckets)
 *              its forecasts follow the last batches; as the level there
 *              it moved GNMT's plan 38 times in 4000 batches (0.904 of
 *              hindsight's throughput) where the default moves it
 *              once (0.992; bench partition, method = FCAST_ENSEMBLE
 *              against the default).  The factor h batches ahead comes
 *              from, in this order:
 *                - the loader's queue: `lookahead` batches whose
 *                  characteristics are known because they are already
 *                  loaded (a PyTorch DataLoader keeps num_workers x
 *                  prefetch_factor batches in flight); 0: none;
 *                - a known schedule: with `period` P, the characteristic
 *                  changes only at batches b with b % P == 0 (Darknet's
 *                  multi-scale YOLO: P = 10), so the one in force is known
 *                  up to the next change, and after it only the draw's
 *                  distribution is: sched_mean, its mean factors (the
 *                  trainer's own rule, (rand() % 10 + 10) * 32, written in
 *                  its source: fair to know, as its next draw is not);
 *                - the level forecaster at h (asked at 1, 2, 5, 10, 20
 *                  and 64, the ensemble's scored horizons: the window
 *                  takes each h from the smallest of those >= h, and 64's
 *                  beyond 64);
 *   window     the mean factors over the next `window` batches, the one
 *              about to run included: since work is linear in the
 *              factors, the window's mean work exactly;
 *   stages     the current plan's predicted stage and link times at that
 *              work (pdpred_stage_times).
 * The proactive rule (pdpred_decide), before each batch:
 *   - after a move, `cooldown` batches pass first; after a change, a
 *     run of 5 batches (one sample shows no spread); and the window's
 *     work must be known to `settle` (three standard errors of it, the
 *     classes' errors weighted by their work, within 10 % of it);
 *   - the window's factors must have moved from those of the last solve
 *     by more than `trigger` (relative) and by more than three standard
 *     errors of their estimate (the samples' sigma over the square root
 *     of the samples the level holds), in some class: only then is the
 *     partitioner run (ppipe_solve, for the window's work).  The noise
 *     term is what keeps a stationary stream from moving the plan: the
 *     level of an i.i.d. series wanders, and on a model whose best plan
 *     shifts with the work at every step (tests/engines/test_pdpred.c's)
 *     each wander found a plan a few per cent better;
 *   - the move is made when the solved plan beats the current one at the
 *     window's work by `min_gain` (relative) and its gain over the window
 *     repays the migration (padapt_migration_ms: drain, parameters over
 *     the links, refill) - padapt's own test, on predicted instead of
 *     measured times.
 * On a stationary stream the window's factors stay near the stream's
 * mean, so solves are rare and find the plan in force: no thrash.  A
 * characteristic that changes faster than a move repays (YOLO's resize
 * every 10 batches) leaves the window at the schedule's mean, so the plan
 * it moves to (at most once) is the plan for the mean work, and it stays
 * there.
 *
 * Allocates in pdpred_init (the view of the model at the predicted work);
 * observe allocates nothing; decide allocates only in ppipe_solve and
 * ppipe_eval, when the trigger fires.
 */
#ifndef WATTSON_PDPRED_H
#define WATTSON_PDPRED_H

#include <stddef.h>

#include "engines/fcast.h"
#include "part/padapt.h"
#include "part/pdata.h"
#include "part/ppipe.h"
#include "part/ptrain.h"

struct pdpred_cfg {
    unsigned window;             /* batches (default 500, padapt's horizon) */
    unsigned lookahead;          /* batches known ahead (default 0) */
    unsigned period;             /* a known schedule's period (0: none) */
    double sched_mean[PDATA__N]; /* its draw's mean factors */
    double min_gain;             /* default 0.02 */
    double trigger;              /* default 0.03 */
    unsigned cooldown;           /* default 50 */
    enum fcast_method method;    /* the level's (default FCAST_EWMA) */
    double alpha;                /* its alpha / Holt's (default 0.002) */
    double alpha_fast;           /* the fast EWMA's (default 0.3) */
    double reset;                /* the change test (default 3; 0: off) */
    double settle; /* no decision while 3 standard errors of the window's
                      work exceed this share of it (default 0.1) */
};

void pdpred_cfg_default(struct pdpred_cfg *c);
/* The schedule of Darknet's multi-scale training (part/pbatch.h): period
 * 10, sizes 320..608 with equal odds, as d's factors. */
void pdpred_cfg_multiscale(struct pdpred_cfg *c, const struct pdata *d);

struct pdpred {
    struct pdpred_cfg cfg;
    const struct pdata *d;
    struct pdata_view view; /* the model at the window's work */
    struct padapt cost;     /* migration costs at nominal links */
    struct fcast fc[PDATA__N], fast[PDATA__N];
    double mad[PDATA__N];     /* samples' mean |x - fast|, EW at alpha */
    double mad_w[PDATA__N];   /* the weight mad has seen (its start) */
    double base[PDATA__N];    /* the model's work per class at factor 1 */
    double run_sum[PDATA__N]; /* the samples since the last change */
    unsigned long run_n[PDATA__N];
    unsigned long resets;    /* change tests that fired */
    unsigned long batches;   /* observed */
    double now[PDATA__N];    /* the batch about to run */
    double win[PDATA__N];    /* the window's mean */
    double solved[PDATA__N]; /* the window at the last solve */
    int have_solved;
    struct ppipe_plan pred; /* the plan's times at the window's work */
    unsigned since;         /* batches since the last move */
    unsigned long solves, moves;
    double gain_ms, cost_ms; /* the last solve's */
};

/* From `plan` (running), nominal devices and links in `nominal` (its
 * arrays must outlive p); cfg NULL: defaults.  0, or -1 (bad input, out
 * of memory).  p must not move afterwards (its view points into it). */
int pdpred_init(struct pdpred *p, const struct pdata *d,
                const struct ppipe_in *nominal, const struct ppipe_plan *plan,
                const struct pdpred_cfg *cfg);
void pdpred_free(struct pdpred *p);

/* The batch about to run and the next nahead ones (the loader's queue;
 * only the first cfg.lookahead are read; NULL/0: none). */
void pdpred_observe(struct pdpred *p, const struct pdata_batch *now,
                    const struct pdata_batch *ahead, size_t nahead);

/* Class c's factor h >= 1 batches after the one observed last (ahead
 * known up to nahead as given to the last observe). */
double pdpred_forecast(struct pdpred *p, enum pdata_class c, unsigned h,
                       const struct pdata_batch *ahead, size_t nahead);

/* plan's stage and link times at the window's predicted work into *out;
 * its bottleneck, INFINITY when a stage does not fit. */
double pdpred_stage_times(struct pdpred *p, const struct ppipe_plan *plan,
                          struct ppipe_plan *out);

/* The proactive rule above for the plan running (cur): 1 with *next to
 * move to before the batch observed last, else 0. */
int pdpred_decide(struct pdpred *p, const struct ppipe_plan *cur,
                  struct ppipe_plan *next);

/* The plan solved for d's work at factors f (a robust plan: at the
 * stream's mean, or at its worst case).  0, or -1 (none fits, out of
 * memory). */
int pdpred_plan_for(const struct pdata *d, const struct ppipe_in *nominal,
                    const double f[PDATA__N], struct ppipe_plan *out);

/* The simulated pipeline (ptrain_run_data) of d through batch[0..n) from
 * plan: static, adaptive (padapt), hindsight, or PTRAIN_PLANNED: this
 * predictor with pcfg (NULL: defaults), told the batches after the
 * current one as the loader's queue.  *solves (NULL: not wanted): the
 * predictor's partitioner runs.  0, or -1. */
int pdpred_simulate(const struct pdata *d, const struct ppipe_in *nominal,
                    const struct ppipe_plan *plan,
                    const struct pdata_batch *batch, size_t n,
                    enum ptrain_mode mode, const struct pdpred_cfg *pcfg,
                    const struct ptrain_cfg *tcfg, struct ptrain_result *out,
                    unsigned long *solves);

#endif

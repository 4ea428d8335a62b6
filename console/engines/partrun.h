/*
 * partrun - the model partitioner in a run (issue 15): when the lab's
 * `cluster` (core/labclu.h) names a `model`, a training pipeline of that
 * model runs over the cluster's devices through the run, its plan solved
 * at the start (part/ppipe.h) and repartitioned at run time by the
 * adaptation controller (part/padapt.h).
 *
 * A cluster device with a `pu` is that lab device: each tick its speed is
 * the plan's nominal speed times the PU's clock over its top P-state
 * clock, so what slows the PU - thermal throttling, a power cap, a lower
 * clock chosen by the policy or typed in the console - slows its stage.
 * A device without a `pu` keeps its nominal speed.  Links keep theirs
 * (nothing in a lab degrades a link yet).  The pipeline finishes a
 * micro-batch per bottleneck of the present plan at those speeds; each
 * micro-batch's stage and link times, with the cluster's measurement
 * noise (seeded from the lab's seed), are what the controller observes.
 *
 * With `cluster.data` the model trains on a batch stream (part/pbatch.h):
 * each batch's work (part/pdata.h) sets its stages' times, the controller
 * sees those times over the batch's work (it knows the batch before it
 * runs), and the data predictor (engines/pdpred.h) proposes a plan for
 * the work to come, at the controller's estimated speeds, before it
 * comes.
 *
 * A repartition is proposed on one tick and made on the next, so the
 * policy sees it between (state.partition.proposal, lua/ppart.c) and may
 * veto it, or force one (partrun_steer).  A move stalls the pipeline for
 * its migration cost.  Moves, vetoes and events go to the log and the
 * summary (partition_*).  Its pane: the stages, their devices, compute,
 * link and measured times, the bottleneck marked.
 *
 * Solving allocates; it happens only when a repartition is considered.
 * A run whose lab has no cluster model gets an idle engine.
 */
#ifndef WATTSON_PARTRUN_H
#define WATTSON_PARTRUN_H

#include "engines/engines.h"
#include "part/padapt.h"

extern const struct engine_ops partrun_engine_ops;

struct partrun;
struct lab;

/* What the Lua policy and the console read of it. */
struct partrun_view {
    const char *model;      /* the model's name */
    const struct mgraph *g; /* its graph (layer names) */
    const uint32_t *order;  /* the order the plans index */
    const struct ppipe_in *in;
    const struct padapt *ad;  /* the plan (cur), estimates, proposal */
    int pending;              /* ad->prop awaits the policy this tick */
    int pending_data;         /* ... proposed by the data predictor */
    unsigned long data_moves; /* moves the predictor proposed */
    double measured_ms[PPIPE_MAX_DEV]; /* last micro-batch, per stage */
    double measured_bottleneck_ms;
    double batches;                /* micro-batches finished */
    double stall_s;                /* migration left, s */
    double speed_f[PPIPE_MAX_DEV]; /* each device's speed now, of nominal */
};

/* The run's partitioner, or NULL (no cluster model, or not this engine). */
struct partrun *partrun_of(const struct engines *e);
/* Its present state (NULL when idle). */
const struct partrun_view *partrun_view(const struct partrun *p);
/* The lab's cluster into the engine (the run calls it once, after the
 * engines are made): 0, or -1 with one line in err (a model that does not
 * load, a `pu` that is no PU of the lab, no plan fits). */
int partrun_configure(struct partrun *p, const struct model *m,
                      const struct lab *lab, char *err, size_t errlen);
/* The policy's word on this tick's proposal: veto keeps the plan, force
 * asks for a repartition now (taken at the next tick). */
void partrun_steer(struct partrun *p, int veto, int force);

#endif

/*
 * ppipe - pipeline partitioning for training (issue 15, the first seed):
 * the layers of a model graph (mgraph.h), in a topological order, cut
 * into contiguous stages, each stage on its own device, so that the
 * pipeline's bottleneck is as small as it can be under each device's
 * memory.
 *
 * The model (PipeDream's, Narayanan et al., SOSP 2019, generalised to
 * heterogeneous devices and links):
 *   compute  stage time on device d = its layers' work (fwd + bwd, ms per
 *            micro-batch on the profiled device) / d's speed
 *   links    the cut after a stage carries the activations of every layer
 *            before it read by a layer after it, forward, and their
 *            gradients backward: 2 x bytes / bandwidth + 2 x latency of
 *            the link between the two stages' devices; communication
 *            overlaps compute (its own engine), so a link is a pipeline
 *            stage of its own
 *   bottleneck  the largest stage or link time: the time per micro-batch
 *            in the steady state, its inverse the throughput
 *   memory   a stage holds its parameters twice (weights and gradients)
 *            and, in 1F1B, the activations of (stages from it to the end)
 *            micro-batches in flight; each must fit its device
 *
 * The search is exact for that model and the given order: a bisection on
 * the bottleneck T, and for each T a dynamic programme over (set of
 * devices used, first device of the suffix) whose values are the sets of
 * cut positions from which the rest of the layers can be covered within
 * T (a bitset; a new stage in front of a suffix starting at cut j on
 * device e reaches every start from the first one its compute and memory
 * allow, up to j, if the link e -> d can carry cut j within T).  Every
 * order of the devices and every number of stages is considered; the
 * search on T (pcost_search) ends when a T just under the best plan's
 * bottleneck (1e-11) is infeasible, and returns that plan.  On a chain
 * (one order only) that is the optimum; on a general DAG it is the
 * optimum among cuts of that order (part/pideal.h searches every order).
 *
 * The lower bound (certified for any plan of the order): for each
 * number of stages k, the larger of the total work over the k fastest
 * devices' speeds (every device of the plan busy all the time) and, for
 * k >= 2, the (k-1)-th cheapest cut of the order over the fastest link (a
 * plan of k stages has k - 1 distinct cuts); the smallest of those over
 * k, and at least the heaviest layer over the fastest speed (a layer is
 * not split).  It ignores memory.  Another order has other cuts, so for
 * every order part/pideal.h takes the cuts of every down-set instead.
 * The arithmetic both share is part/pcost.h.
 */
#ifndef WATTSON_PPIPE_H
#define WATTSON_PPIPE_H

#include <stddef.h>
#include <stdint.h>

#include "part/mgraph.h"

#define PPIPE_MAX_DEV 8

struct ppipe_dev {
    char name[32];
    double speed;     /* relative to the profiled device (1: the same) */
    double mem_bytes; /* its memory; INFINITY: no cap */
};

struct ppipe_in {
    const struct mgraph *g;
    const uint32_t *order; /* a topological order of g (mgraph_topo) */
    const double *work_ms; /* per node: fwd + bwd per micro-batch on the
                              profiled device */
    size_t ndev;
    const struct ppipe_dev *dev;
    const double *bw;  /* ndev x ndev, bytes/s between devices */
    const double *lat; /* ndev x ndev, s */
};

struct ppipe_plan {
    unsigned nstages;
    unsigned dev[PPIPE_MAX_DEV];      /* stage k's device */
    size_t first[PPIPE_MAX_DEV + 1];  /* stage k: order[first[k]..first[k+1]) */
    double compute_ms[PPIPE_MAX_DEV]; /* stage k's compute */
    double comm_ms[PPIPE_MAX_DEV];    /* the link after stage k (0: last) */
    double mem_bytes[PPIPE_MAX_DEV];  /* stage k's memory */
    double bottleneck_ms;
    double bound_ms; /* the lower bound above */
};

/* The best plan (0), or -1 with one line in err: bad input (no device,
 * more than PPIPE_MAX_DEV, a speed or bandwidth not positive, a work
 * negative) or no partition fits in memory (err says the smallest memory
 * need of a single layer and the largest device). */
int ppipe_solve(const struct ppipe_in *in, struct ppipe_plan *out, char *err,
                size_t errlen);
/* The bottleneck of a given plan's stages (its first[] and dev[] set),
 * filling its times and memory; INFINITY when a stage does not fit its
 * device.  For tests and for comparing other partitioners' cuts. */
double ppipe_eval(const struct ppipe_in *in, struct ppipe_plan *p);
/* The lower bound above for in's model, order and devices (what
 * ppipe_solve puts in bound_ms, also when nothing fits): a bound for
 * every plan of this order (the equal-layer split's), not for plans of
 * other orders (part/pideal.h bounds those); NaN on bad input.  The input
 * check is part/pcost.h's pcost_check. */
double ppipe_lower_bound(const struct ppipe_in *in);

#endif

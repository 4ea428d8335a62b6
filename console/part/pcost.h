/*
 * pcost - the training pipeline's cost model (ppipe.h states it), the
 * arithmetic that both of its searches share: part/ppipe.c (exact for
 * one topological order) and part/pideal.c (exact over every order, on
 * the graph's down-sets).  Keeping one copy keeps the two answering the
 * same question: a stage's compute, its 1F1B memory, a link's time, the
 * tolerance a time is held to against a bottleneck T, the input check,
 * the work windows that prune both programmes, the bisection on T and
 * the certified lower bound.
 */
#ifndef WATTSON_PCOST_H
#define WATTSON_PCOST_H

#include <stddef.h>

#include "part/ppipe.h"

/* A size as the model counts it: unknown (NaN) or negative is 0. */
double pcost_bytes(double x);
/* x within T, to 1e-12 relative (so that rounding in a sum never makes
 * the plan that achieves T look infeasible at T). */
int pcost_fits(double x, double t);
/* Work (ms on the profiled device) on device e, ms. */
double pcost_compute(const struct ppipe_in *in, double work, unsigned e);
/* A stage's memory: parameters twice (weights and gradients) and its
 * activations for `inflight` micro-batches (1F1B). */
double pcost_mem(double param_bytes, double act_bytes, unsigned inflight);
/* The link from device e to d carrying `bytes` of activations forward and
 * their gradients back, ms. */
double pcost_comm(const struct ppipe_in *in, double bytes, unsigned e,
                  unsigned d);

/* 0, or -1 with one line in err: no device, more than PPIPE_MAX_DEV, a
 * speed, memory or bandwidth not positive, a latency or work negative. */
int pcost_check(const struct ppipe_in *in, char *err, size_t errlen);
/* The message for a model no arrangement fits in memory. */
void pcost_nofit(const struct ppipe_in *in, char *err, size_t errlen);

/* The work windows for bottleneck T, per set of devices `mask` (index
 * 1 .. 2^ndev - 1): the suffix of a plan run on exactly those devices
 * starts after a prefix of work w with need[mask] <= w <= room[mask],
 * because the suffix's work fits their speeds within T (W - w <= T x
 * S(mask)) and the prefix fits the others' (w <= T x S(not mask)).
 * Loose by 1e-9 so that rounding never drops a feasible start. */
void pcost_window(const struct ppipe_in *in, double total_work, double t,
                  double *need, double *room);

/* The bisection on the bottleneck both searches run.  feasible(ctx, T)
 * fills the caller's programme for T and says whether the whole graph
 * can be covered; take(ctx, T), called right after a yes, rebuilds that
 * plan (the caller keeps it) and returns its achieved bottleneck.  From
 * a plan's bottleneck known to be achievable (hint: another search's;
 * NaN none) or else the lower bound lb, it doubles to a feasible T,
 * then bisects with the
 * top always an achieved bottleneck; within 1e-4 it asks just under the
 * best plan's bottleneck (1e-11): a no proves the plan optimal (to
 * 1e-11, the times' rounding being within pcost_fits' 1e-12).  Returns
 * the bottleneck of the last plan taken, the caller's answer.  tmax is a T at
 * which every plan that fits in memory is feasible (INFINITY will do): NaN when
 * not even it is, i.e. no plan fits in memory. */
double pcost_search(double lb, double hint, double tmax,
                    int (*feasible)(void *ctx, double t),
                    double (*take)(void *ctx, double t), void *ctx);

/* The certified lower bound (ppipe.h) for a graph of total work W and
 * heaviest layer `heaviest`, whose plans' cuts are among cut[0..ncut)
 * (sorted here): for each number of stages k, the larger of W over the k
 * fastest speeds and, for k >= 2, the (k-1)-th cheapest cut over the
 * fastest link with the smallest latency; the smallest over k, and at
 * least the heaviest layer on the fastest device.  It ignores memory. */
double pcost_bound(const struct ppipe_in *in, double total_work,
                   double heaviest, double *cut, size_t ncut);
/* A lower bound for ANY assignment of the layers to the devices, a
 * pipeline or not (METIS's): the busiest device computes at least the
 * total work over every speed, and some device the heaviest layer at
 * the fastest speed.  NaN on bad input. */
double pcost_bound_any(const struct ppipe_in *in);

#endif

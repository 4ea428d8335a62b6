/*
 * pideal - the training pipeline over every topological order of the
 * model's graph (issue 15): the same model as part/ppipe.h (compute,
 * links, 1F1B memory, the bottleneck), searched exactly over every way
 * of cutting the graph into stages rather than over the cuts of one
 * order.
 *
 * A pipeline's stages are the differences of a chain of down-sets
 * (ideals: sets of layers that hold every layer's inputs with it),
 * {} = D_0 < D_1 < ... < D_K = V, stage k being D_k \ D_(k-1): every edge
 * then goes from a stage to itself or a later one, and conversely any
 * stages with that property are such a chain.  Each order's cuts are one
 * chain of the lattice, so searching the lattice searches every order.
 *
 * The lattice is enumerated from {} by adding one layer whose inputs are
 * all in (breadth first, a hash of the sets as bitsets over the layers
 * finding repeats), each set with its work, parameter and activation
 * bytes and its cut (the activations of its layers that a layer outside
 * it reads, each counted once, as ppipe's cut); up to a cap on the
 * count (PIDEAL_MAX_SETS by default): beyond it the caller is told and
 * falls back to ppipe on one order.  The sets are numbered by (work,
 * size), an order in which every set comes after its subsets.
 *
 * The programme, for a bottleneck T, is ppipe's over (set of devices
 * used, first device of the suffix) with down-sets in place of positions:
 * bit D of (M, d) says the layers outside D can be covered within T by
 * the devices of M, the first stage on d.  A stage D' \ D on device e in
 * front of a suffix at D' on (M, d) needs its compute within T, its
 * memory (parameters twice, activations of |M| + 1 micro-batches) within
 * e's, and the link e -> d to carry cut(D') within T.  For each (M + e,
 * e) the sets D are found by one sweep down the lattice from the suffix
 * starts D' (the sources): each set keeps the Pareto front of (work,
 * memory) of the sources above it that could still start a stage ending
 * there (with no memory cap, just the least work), merged from the sets
 * one layer above it, so a D is marked when some source's stage fits.
 * Only the sets inside ppipe's work windows (pcost_window) for M + e are
 * marked, and only the sets between the lowest of them and the highest
 * source are swept; of interchangeable devices (the same speed, memory
 * and links) the lowest-numbered are used first, which every plan has a
 * twin doing.  The search on T is ppipe's (pcost_search), started from
 * ppipe's plan for the given order.  The plan is rebuilt by walking from
 * {} (each stage one whose suffix is marked, its stage and link the
 * quickest), then written as a topological order in which each stage is
 * contiguous (each stage's layers in the given order's order) and a
 * ppipe plan over it, evaluated by ppipe_eval, so its times are ppipe's.
 *
 * Because every pipeline is a chain of down-sets, the plan is optimal
 * under the model (to the search's 1e-11): not a heuristic's answer.
 * A graph with one topological order (a chain) has the positions of it as
 * its down-sets; ppipe solves it directly.
 *
 * The lower bound (bound_ms) is ppipe's with the cuts of every down-set
 * rather than one order's, so it bounds every order's plans.
 */
#ifndef WATTSON_PIDEAL_H
#define WATTSON_PIDEAL_H

#include <stddef.h>
#include <stdint.h>

#include "part/ppipe.h"

/* The default cap on the down-sets enumerated: it holds every shared
 * profile's lattice (inception_v3's 221,566 the largest: 72 MB and 3.6 s
 * at -O2 with 8 devices, its bitsets, sums, lattice edges and 2^8 x 8
 * bits each for the programme). */
#define PIDEAL_MAX_SETS 250000

struct pideal_info {
    size_t nsets; /* down-sets, {} and V included; cap + 1 when over */
    int chain;    /* 1: one topological order only, solved by ppipe */
};

/* The optimal plan over every order: 0, with order[g->n] the order in
 * which the plan's stages are contiguous and plan over it (as
 * ppipe_solve's, bound_ms the bound above); 1 when the graph has more
 * than cap down-sets (info->nsets = cap + 1; order and plan untouched),
 * so the caller falls back to ppipe_solve on one order; -1 with one line
 * in err, as ppipe_solve (bad input, nothing fits in memory, out of
 * memory).  in->order is the order the stages' layers are listed in. */
int pideal_solve(const struct ppipe_in *in, size_t cap, uint32_t *order,
                 struct ppipe_plan *plan, struct pideal_info *info, char *err,
                 size_t errlen);

/* The number of down-sets of g, {} and all of g included: cap + 1 when
 * there are more than cap, 0 out of memory. */
size_t pideal_count(const struct mgraph *g, size_t cap);

#endif

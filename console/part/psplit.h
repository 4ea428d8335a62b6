/*
 * psplit - split inference over a chain of tiers (issue 15, the second
 * seed): which layers of a model graph (mgraph.h) run on the user's
 * device, which on an edge server, which in the cloud (any chain of 2..8
 * tiers), so that the end-to-end latency of one inference is minimal.
 *
 * The model (DADS: Hu, Bao, Wang, Liu, "Dynamic Adaptive DNN Surgery for
 * Inference Acceleration on the Edge", INFOCOM 2019, generalised from two
 * tiers to a chain):
 *   tiers    0 .. T-1; tier 0 is the user's device, which holds the input
 *            and (by default) gets the result back.  Between tiers i and
 *            i+1 a link of bandwidth bw[i] bytes/s and latency lat[i] s,
 *            the same both ways; data from tier a to tier b > a crosses
 *            links a .. b-1, relayed by the tiers between.
 *   layers   each on one tier, monotone along edges: tier(u) <= tier(v)
 *            for u -> v (data only moves away from the user, as DADS and
 *            Neurosurgeon assume).  Layer v on tier t computes for
 *            work_ms[v] x scale / speed[t] ms (work on the profiled
 *            device; scale from the input's complexity, part/pcplx.h).
 *   transfers  a layer's output (act_bytes, NaN read as 0) is sent once
 *            per link it must cross: over link i iff tier(u) <= i < the
 *            farthest tier of its readers, costing act_bytes / bw[i] +
 *            lat[i] (one message per producing layer and link: a reader
 *            on tier 1 and one on tier 2 share the copy that crosses
 *            link 0).  The input (in_bytes) crosses link i iff some
 *            source layer (no predecessor) runs beyond tier i; each sink
 *            layer's output (no successor) crosses links tier-1 .. 0 back
 *            to the user when out_home is set.
 *   objective  the sum of every layer's compute and every transfer: the
 *            latency when nothing overlaps (DADS's and Neurosurgeon's).
 *
 * psplit_solve finds the minimum EXACTLY, as a minimum s-t cut (DADS's
 * construction with Ishikawa's layering for more than two labels:
 * H. Ishikawa, "Exact optimization for Markov random fields with convex
 * priors", TPAMI 2003).  Per layer v, T-1 vertices (v,i), i = 0..T-2, on
 * the source side iff tier(v) > i; the chain s -> (v,0) -> ... ->
 * (v,T-2) -> t carries v's cost on each tier (the output's way home
 * included), infinite edges (v,i) -> (v,i-1) make every finite cut one
 * tier per layer, infinite edges (u,i) -> (v,i) for u -> v make it
 * monotone, and an edge of capacity act_bytes/bw[i] + lat[i] into (u,i)
 * from (v,i) - through one auxiliary vertex joined from every reader when
 * u has several, so the copy is paid once - is cut exactly when u stays
 * at or below i and a reader goes beyond.  Every finite cut is an
 * assignment and its capacity that assignment's objective, so the
 * minimum cut is the optimum.  The max-flow is Dinic's, in doubles.
 *
 * psplit_scan is the baseline: Neurosurgeon's (Kang et al., "Neurosurgeon:
 * Collaborative Intelligence Between the Cloud and Mobile Edge", ASPLOS
 * 2017) layer-wise scan of split points, on a topological order: every
 * non-decreasing tuple of T-1 boundaries (tier t runs the layers between
 * boundaries t and t+1), each with the same objective, the best kept.
 * Over a chain of layers that is every monotone assignment, so scan ==
 * solve; over a DAG it can only be worse.  The tuples are not listed one
 * by one (C(n+T-1, T-1) of them): link i's costs depend on boundary i+1
 * alone, so a dynamic programme over (tier, boundary) finds the same
 * minimum in O(T (n + edges)) (tests/part/test_psplit.c checks it against
 * listing every tuple).
 *
 * psplit_eval gives any assignment's objective and, besides, its critical
 * path: the longest path through compute (on each layer's tier) and
 * transfers (each edge across tiers pays its links in series, the input
 * and the way home included), the latency when independent branches run
 * side by side - a lower bound for any schedule of that assignment, as
 * the sum is the serial one - and which layers lie on it.
 */
#ifndef WATTSON_PSPLIT_H
#define WATTSON_PSPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "part/mgraph.h"

#define PSPLIT_MAX_TIERS 8

struct psplit_tier {
    char name[32];
    double speed; /* relative to the profiled device (1: the same) */
};

struct psplit_in {
    const struct mgraph *g;
    const uint32_t *order; /* a topological order of g (mgraph_topo) */
    const double *work_ms; /* per node: forward ms on the profiled device */
    double scale;          /* compute multiplier (the input's complexity) */
    size_t ntiers;         /* 2 .. PSPLIT_MAX_TIERS */
    const struct psplit_tier *tier;
    const double *bw;  /* ntiers - 1: link i (tier i <-> i+1), bytes/s */
    const double *lat; /* ntiers - 1: s */
    double in_bytes;   /* the input, sent from tier 0 */
    int out_home;      /* the sinks' outputs go back to tier 0 */
};

/* What an assignment costs. */
struct psplit_cost {
    double total_ms;                      /* the objective */
    double compute_ms[PSPLIT_MAX_TIERS];  /* per tier */
    size_t layers[PSPLIT_MAX_TIERS];      /* per tier */
    double link_ms[PSPLIT_MAX_TIERS - 1]; /* per link: every message */
    double link_bytes[PSPLIT_MAX_TIERS - 1];
    double in_ms, out_ms; /* of link_ms: the input's and the outputs' */
    double critical_ms;   /* the longest path */
    size_t crit_layers[PSPLIT_MAX_TIERS]; /* per tier: on the longest path */
};

/* Checks in: 0, or -1 with one line in err (ntiers out of range, a speed
 * or bandwidth not > 0, a latency < 0, a work or scale or in_bytes not
 * finite and >= 0 (scale > 0), an act_bytes < 0 or infinite). */
int psplit_check(const struct psplit_in *in, char *err, size_t errlen);

/* The objective of the assignment tier[g->n] (each < ntiers) into c, and
 * into crit[g->n] (when not NULL) 1 for each layer on a longest path.
 * 0, or -1 with one line in err: bad input, an assignment that is not
 * monotone along an edge (naming it), out of memory. */
int psplit_eval(const struct psplit_in *in, const uint8_t *tier,
                struct psplit_cost *c, uint8_t *crit, char *err, size_t errlen);

/* The optimum (minimum cut) into tier[g->n] and c: 0, or -1 with one
 * line in err (bad input, out of memory). */
int psplit_solve(const struct psplit_in *in, uint8_t *tier,
                 struct psplit_cost *c, char *err, size_t errlen);

/* The best split of in->order into contiguous runs per tier
 * (Neurosurgeon's scan) into tier[g->n] and c: 0, or -1 as solve. */
int psplit_scan(const struct psplit_in *in, uint8_t *tier,
                struct psplit_cost *c, char *err, size_t errlen);

#endif

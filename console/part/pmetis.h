/*
 * pmetis - general graph partitioning of a model graph with libmetis
 * (issue 15: "k-way partitioning with vertex weights (compute) and edge
 * weights (bytes), used as a starting point and as the baseline that
 * ignores acyclicity, memory and links"), and an evaluator of any layer
 * -> device assignment under ppipe's cost model (part/ppipe.h).
 *
 * METIS (Karypis and Kumar, "A fast and high quality multilevel scheme
 * for partitioning irregular graphs", SIAM J. Sci. Comput. 20(1), 1998;
 * the METIS 5.1.0 manual, METIS_PartGraphKway) is Debian's libmetis: it
 * is called, not reimplemented.  What it is given:
 *   graph    the model's edges without direction, as METIS wants (a
 *            symmetric CSR, each edge at both ends, no self-loop, a pair
 *            linked both ways kept once with the two weights summed)
 *   vertex weight  the layer's work (fwd + bwd ms), scaled so that the
 *            total is PMETIS_VW_TOTAL, each at least 1: integers METIS
 *            can sum in its 32-bit idx_t, no layer free and the total
 *            never 0 (a graph without any work gets 1 each: equal layer
 *            counts)
 *   edge weight  the bytes of the source layer's activation, scaled so
 *            that the adjacency's total is PMETIS_EW_TOTAL, each at
 *            least 1.  An edge, not a hyperedge: a layer read by three
 *            layers on another device counts three times to METIS while
 *            it crosses once in the cost model (a graph partitioner's
 *            usual approximation of a hypergraph cut)
 *   tpwgts   part i's share of the total weight = device i's speed over
 *            the sum of speeds, so part i is device i's
 *   options  METIS's defaults (1.03 imbalance) and a fixed
 *            METIS_OPTION_SEED: the same graph and devices give the same
 *            assignment every run
 * k = 1 is trivial (everything on device 0) and does not call METIS.
 *
 * What METIS ignores, by design of the baseline, the evaluator measures:
 *   compute  per device, its layers' work / its speed (ms per micro-batch)
 *   links    per ordered device pair (a, b): each layer on a whose output
 *            some layer on b reads sends it once to b, forward, and its
 *            gradient back: 2 x bytes / bw(a, b) + 2 x lat(a, b), as
 *            ppipe prices a cut; 0 where no edge goes from a to b.  Unlike
 *            ppipe, which relays an activation through every stage
 *            between its producer and its reader (each cut it crosses),
 *            an activation here goes straight to each device that reads
 *            it; on a chain the two are the same
 *   quotient the graph of devices (a -> b when an edge of the model does);
 *            acyclic means the devices have a stage order (Kahn's, ties
 *            by where each device's first layer falls in the model's
 *            order); a cycle means activations go back and forth between
 *            devices: not a pipeline, flagged as such
 *   memory   2 x its parameters + its layers' activations times the
 *            micro-batches in flight in 1F1B: (used devices - its stage
 *            position) when the quotient is acyclic, as ppipe; with a
 *            cycle there is no stage order and every device is charged
 *            the most, the number of used devices (the first stage's)
 *   bottleneck  the largest device compute or link time; `fits` says
 *            whether every device's memory holds its share, apart from
 *            the bottleneck (which stays finite so that a plan that does
 *            not fit can still be compared)
 *
 * "Used as a starting point": pmetis_order derives from an assignment a
 * topological order of the model in which each device's layers are
 * contiguous whenever the quotient is acyclic (devices in their stage
 * order, layers in the model's order within), so that ppipe_solve, exact
 * for a given order, can cut that order.
 */
#ifndef WATTSON_PMETIS_H
#define WATTSON_PMETIS_H

#include <stddef.h>
#include <stdint.h>

#include "part/ppipe.h"

/* The scaled totals (see above): 2^20 gives a layer's work a resolution
 * of 1e-6 of the model's; 2^24 the same for bytes, and both, with one
 * unit per vertex or adjacency entry on top, stay far below idx_t's
 * 2^31 - 1 (METIS sums them, and multiplies the vertex total by its
 * float target shares). */
#define PMETIS_VW_TOTAL (1 << 20)
#define PMETIS_EW_TOTAL (1 << 24)
/* The seed METIS's randomised coarsening and refinement start from. */
#define PMETIS_SEED 1

struct pmetis_eval {
    unsigned ndev;
    unsigned nused;                   /* devices with at least one layer */
    size_t layers[PPIPE_MAX_DEV];     /* per device */
    double compute_ms[PPIPE_MAX_DEV]; /* per device */
    double mem_bytes[PPIPE_MAX_DEV];  /* per device */
    int stage[PPIPE_MAX_DEV]; /* its position in the stage order; -1 unused
                                 or (cyclic quotient) none */
    double link_bytes[PPIPE_MAX_DEV * PPIPE_MAX_DEV]; /* [from x ndev + to] */
    double link_ms[PPIPE_MAX_DEV * PPIPE_MAX_DEV];    /* 0: no edge */
    double bottleneck_ms;
    int acyclic; /* the quotient has no cycle: a pipeline */
    int fits;    /* every device's memory holds its share */
};

/* METIS's k-way assignment of in->g's layers to in's devices into
 * part[g->n] (device indices), the cut METIS reports (in its scaled edge
 * weights) into *edgecut.  0, or -1 with one line in err: bad input
 * (pcost_check's, a self-loop, a graph past METIS's 32-bit indices), out
 * of memory, or METIS's own error code. */
int pmetis_kway(const struct ppipe_in *in, uint32_t *part, long long *edgecut,
                char *err, size_t errlen);

/* Evaluates the assignment part[g->n] (see above) into *out.  in->order
 * only breaks ties in the stage order.  0, or -1 with one line in err
 * (bad input, a device index out of range, out of memory). */
int pmetis_eval(const struct ppipe_in *in, const uint32_t *part,
                struct pmetis_eval *out, char *err, size_t errlen);

/* A topological order of in->g into order[g->n], from in->order and the
 * assignment: the devices ranked by the quotient's stage order (where it
 * has a cycle, Kahn's is continued from the device whose first layer
 * comes earliest), then the ready layer of the lowest-ranked device
 * first, ties by in->order.  *contiguous: 1 when every device's layers
 * form one run of the result (always so for an acyclic quotient).  0, or
 * -1 with one line in err. */
int pmetis_order(const struct ppipe_in *in, const uint32_t *part,
                 uint32_t *order, int *contiguous, char *err, size_t errlen);

#endif

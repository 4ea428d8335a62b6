/*
 * pmodel - a model file into what the partitioner works on (issue 15):
 * its layer graph (a PipeDream profile, part/pdprof.h, or a Darknet .cfg
 * by its suffix, part/dncfg.h), a topological order and each layer's
 * training work in ms on the profiled (or reference) device; inference
 * work on request (pmodel_infer_work).
 *
 * Training work: a profile's measured forward + backward times per batch;
 * a cfg's FLOPs per sample over a reference device of PMODEL_REF_FLOPS,
 * 3 x its forward FLOPs (the forward pass and the backward pass's two
 * products of the same size: the gradients of the inputs and of the
 * weights).
 */
#ifndef WATTSON_PMODEL_H
#define WATTSON_PMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "part/mgraph.h"

/* The reference device a Darknet cfg's FLOPs are turned into time on:
 * 10 TFLOP/s, about two thirds of an NVIDIA V100's fp32 peak (its
 * datasheet: 15.7 TFLOP/s), as a kernel reaches in practice. */
#define PMODEL_REF_FLOPS 1e13

struct pmodel {
    struct mgraph g;
    uint32_t *order; /* g.n */
    double *work;    /* g.n, training ms */
};

/* Inference work into fwd[g->n] and the input's bytes: forward only, a
 * profile's fwd_ms per batch or a cfg's FLOPs over PMODEL_REF_FLOPS per
 * sample.  A profile's input is a node of kind Input... that nothing
 * feeds: its time is the data loader's, not a layer's, so it costs no
 * compute and its output is the input sent; a cfg's input is the graph's
 * in_bytes ([net]'s floats).  0, or -1 out of memory. */
int pmodel_infer_work(const struct mgraph *g, double *fwd, double *in_bytes);

/* Reads `path`: 0, or -1 with one line in err ("FILE:LINE: reason", or
 * the cycle's node).  pmodel_free either way. */
int pmodel_load(struct pmodel *m, const char *path, char *err, size_t errlen);
void pmodel_free(struct pmodel *m);

#endif

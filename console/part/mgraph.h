/*
 * mgraph - a model's layer graph (issue 15): what the partitioner works
 * on, whichever reader made it (part/pdprof.c: PipeDream profiles,
 * part/dncfg.c: Darknet network definitions, part/gpmetis.c: METIS graph
 * files).  Nodes are layers with their cost and sizes; edges carry a
 * layer's output activation to the layers that read it.
 *
 * Storage grows by doubling while a reader adds to it (the one place this
 * module allocates); algorithms read it through the arrays.  Every number
 * that is unknown is NaN, never 0, so a reader that has no backward time
 * cannot be mistaken for a free layer.
 */
#ifndef WATTSON_MGRAPH_H
#define WATTSON_MGRAPH_H

#include <stddef.h>
#include <stdint.h>

#define MGRAPH_NAME 48
#define MGRAPH_KIND 24

struct mgraph_node {
    char name[MGRAPH_NAME];  /* as the source names it: "node12", "conv_5" */
    char kind[MGRAPH_KIND];  /* "conv", "maxpool", "route", "Conv2d", ... */
    double fwd_ms, bwd_ms;   /* measured per batch (PipeDream); NaN unknown */
    double flops;            /* forward FLOPs per sample; NaN unknown */
    double param_bytes;      /* its weights, bytes (0: none) */
    double act_bytes;        /* its output activation: bytes per batch for a
                                profile, per sample for a cfg */
    int out_c, out_h, out_w; /* output shape (cfg readers); 0 unknown */
    unsigned line;           /* where the source defines it (1-based) */
};

struct mgraph {
    char name[64]; /* the model: the file's base name by default */
    double batch;  /* the batch its per-batch figures are for; NaN */
    /* the network's input, bytes: per sample for a cfg ([net]'s
     * width x height x channels floats); NaN unknown (a profile has its
     * input as a node) */
    double in_bytes;
    size_t n, cap; /* nodes */
    struct mgraph_node *node;
    size_t n_edges, cap_edges;
    uint32_t (*edge)[2]; /* from, to (node indices) */
    /* the edges' index by (from, to), open addressing, for the duplicate
     * check (a linear scan made a reader quadratic in its edges) */
    uint32_t *eh;  /* edge index + 1, 0 empty */
    size_t eh_cap; /* a power of two, >= 2 x cap_edges */
};

void mgraph_init(struct mgraph *g);
void mgraph_free(struct mgraph *g);
/* Appends a node (copied, its name and kind truncated to fit); its index,
 * or -1 out of memory. */
long mgraph_add(struct mgraph *g, const struct mgraph_node *nd);
/* The node named `name`, or -1. */
long mgraph_find(const struct mgraph *g, const char *name);
/* An edge from -> to; 0, or -1 (out of memory, or an index out of range).
 * A duplicate edge is kept once. */
int mgraph_edge(struct mgraph *g, uint32_t from, uint32_t to);
/* A topological order of the nodes into order[g->n] (Kahn's, ties by
 * index, so it is deterministic).  0, or -1 when the graph has a cycle:
 * then err names one node on it and the line it was defined at. */
int mgraph_topo(const struct mgraph *g, uint32_t *order, char *err,
                size_t errlen);

#endif

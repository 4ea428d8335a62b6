/*
 * ofexec - the layers one side of an offloaded inference executes (issue
 * 18: `wattson offload`), and what their outputs are.
 *
 * A plan is the layers one side runs, in a topological order, each with
 * its profiled work (ms on the profiled device, before the input's
 * complexity scales it), the bytes of its output and the layers it reads.
 * A layer reads either a layer earlier in the same plan or a tensor that
 * arrives from the other side (an "external" input: a layer of the other
 * side, or the model's input, OFEXEC_INPUT).  The user's side builds both
 * plans from the model graph and the split (ofexec_build); the remote's
 * plan travels in the request (part/ofmsg.h) and is checked there.
 *
 * Execution is simulated compute over real bytes.  A layer takes
 * work x scale / speed ms of its device's time; its output is
 * oftensor_fill's binary16 activations (core/oftensor.h: ReLU sparsity)
 * of its out_bytes, seeded by the layer's identity: a 64-bit hash of the
 * layer's number and of its inputs' identities.  So the output of the
 * last layer depends on every input the chain saw, and a local run
 * computes the same identities for a fraction of the cost (no bytes
 * move, no time passes), which is how every offloaded output is checked
 * against a local run.  A tensor that crosses the network is made into
 * bytes, sent, and checked on arrival against its 64-bit digest
 * (ofexec_digest over every byte); its identity travels with it.  The
 * digest is end to end, beside each frame's CRC32C: it catches what the
 * frames cannot, a chunk put at the wrong offset or a decompressor that
 * returned something else.
 */
#ifndef WATTSON_OFEXEC_H
#define WATTSON_OFEXEC_H

#include <stddef.h>
#include <stdint.h>

#include "part/mgraph.h"

#define OFEXEC_INPUT 0xffffffffu /* the model's input, as a tensor id */
#define OFEXEC_MAX_NODES 65536u  /* a model's layers, at most */
#define OFEXEC_MAX_TENSOR (256.0 * 1024 * 1024) /* one tensor's bytes */

#define OFEXEC_F_SEND 0x01u /* its output is sent to the other side */

struct ofexec_layer {
    uint32_t id;   /* the node's number in the model graph */
    uint32_t n_in; /* inputs, at ins[in_off .. in_off + n_in) */
    uint32_t in_off;
    uint32_t flags; /* OFEXEC_F_* */
    double work_ms; /* on the profiled device, unscaled */
    double out_bytes;
};

struct ofexec_plan {
    uint32_t n_nodes; /* the model's (bounds every id) */
    size_t n;         /* layers this side runs, in order */
    struct ofexec_layer *l;
    size_t n_ins;
    uint32_t *ins;  /* tensor ids: a node, or OFEXEC_INPUT */
    int send_input; /* the user's plan: the input goes to the remote */
};

/* The plans of both sides of split `tier` (0: the user's, 1: the
 * remote's; monotone along edges) of g in `order`, with fwd[v] each
 * layer's unscaled work: a layer's output is marked OFEXEC_F_SEND on the
 * side that makes it when a reader is on the other side, or when it is a
 * sink (no successor) on the remote (it goes home); the input is sent
 * when a source layer is remote (the remote plan then reads
 * OFEXEC_INPUT).  0, or -1 out of memory (nothing allocated then). */
int ofexec_build(const struct mgraph *g, const uint32_t *order,
                 const double *fwd, const uint8_t *tier,
                 struct ofexec_plan *user, struct ofexec_plan *remote);
void ofexec_free(struct ofexec_plan *p);

/* A layer's identity from its number and its inputs' identities (in the
 * plan's order), and the model input's from the request's seed. */
uint64_t ofexec_ident(uint32_t id, const uint64_t *in, size_t n);
uint64_t ofexec_input_ident(uint64_t seed);

/* The 64-bit digest of n bytes. */
uint64_t ofexec_digest(const void *p, size_t n);

/* The identities of every node of g run locally, the input's from seed,
 * into ident[g->n] (sinks' are the outputs a run must give): 0, or -1
 * out of memory. */
int ofexec_local(const struct mgraph *g, const uint32_t *order, uint64_t seed,
                 uint64_t *ident);

/* Whether node v is a sink (no successor) of g. */
int ofexec_is_sink(const struct mgraph *g, uint32_t v);

#endif

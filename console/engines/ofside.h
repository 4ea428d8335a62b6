/*
 * ofside - one side's part of one offloaded inference (issue 18): its
 * plan's layers (part/ofexec.h) run on its device's simulated time, the
 * tensors the plan marks sent cut into chunks, compressed at the level
 * core/ofzst.h chooses for the measured bandwidth, and sent as
 * ACTIVATION frames on the request's stream; the tensors the other side
 * sends reassembled, decompressed, checked against their digest and
 * acknowledged with their bytes and dispersion (an ACK: the sender's
 * bandwidth sample, core/oflink.h).  With a datagram channel (dg, the
 * `--transport udp` of engines/ofdg.h) the same ACTIVATION payloads go
 * as one erasure-coded blob of records instead of TCP frames, and come
 * back through the same reassembly (ofside_blob).  The same code runs on the
 * user's side and on the remote's (engines/ofuser.c, engines/ofremote.c).
 *
 * The device: a layer starts when its inputs are there and the device is
 * free (*dev_free, shared by every request on that device: the remote's
 * requests queue for its one device, first come first served) and takes
 * work x scale / speed ms of it.
 */
#ifndef WATTSON_OFSIDE_H
#define WATTSON_OFSIDE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ofsess.h"
#include "core/ofzst.h"
#include "engines/ofdg.h"
#include "part/ofexec.h"

#define OFSIDE_RX 8 /* tensors being received at once, per request */

struct ofside_ops {
    /* Every layer computed, every tensor sent queued, every tensor
     * expected received. */
    void (*done)(void *arg);
    /* A tensor came that cannot be used (why: one line).  The request is
     * over for this side. */
    void (*fail)(void *arg, const char *why);
    /* The bandwidth to choose a compression level for, bytes/s. */
    double (*bw)(void *arg);
    /* A tensor arrived whole (optional): its bytes as they crossed and
     * its dispersion, a bandwidth sample of the other direction. */
    void (*arrived)(void *arg, uint64_t wire, double disp_s);
};

struct ofside_rx {
    uint32_t tensor;
    unsigned char *buf;
    uint64_t total, got, ident, digest, wire;
    double first;
    int used;
};

struct ofside {
    const struct ofexec_plan *p;
    const struct ofside_ops *ops;
    void *arg;
    double scale, speed, zero_frac;
    double *dev_free; /* s, monotonic: when the device is free */
    struct ofsess *s; /* NULL: nothing to send or receive */
    struct ofdg *dg;  /* not NULL: tensors go as datagrams */
    uint32_t stream, seq;
    struct ofzst *z;
    int zlevel;       /* -1: ofzst_choose; else a fixed enum ofzst_level */
    double cpu_share; /* for ofzst_choose */
    struct ofsess_timer *t;
    uint64_t *ident; /* p->n_nodes + 1: [n_nodes] is the input */
    uint8_t *have;
    uint8_t *expect; /* tensors to receive that no layer reads (outputs) */
    size_t n_expect, next;
    int running, over; /* running: waiting for the timer */
    int held;          /* takes tensors, computes nothing (not admitted yet) */
    double end;        /* the last layer's simulated end (s) */
    double *avail;     /* per tensor: when it exists (s) */
    const struct ofexec_layer *send_at; /* sent when the timer fires */
    struct ofside_rx rx[OFSIDE_RX];
    unsigned char *zbuf; /* a compressed chunk */
    /* what happened */
    double compute_ms, queued_ms;
    uint64_t wire_out, raw_out, wire_in, raw_in;
    unsigned tensors_out, tensors_in, chunks_z;
    int last_level; /* the last chunk's enum ofzst_level */
};

/* Ready to run plan p (kept, not copied) on stream of session s (or
 * NULL): 0, or -1 out of memory (then ofside_free). */
int ofside_init(struct ofside *x, struct event_base *b,
                const struct ofexec_plan *p, const struct ofside_ops *ops,
                void *arg);
void ofside_free(struct ofside *x);
/* Also wait for tensor t (a node's output or OFEXEC_INPUT) to arrive. */
void ofside_expect(struct ofside *x, uint32_t t);
/* A tensor this side has without receiving it (the user's input). */
void ofside_put(struct ofside *x, uint32_t t, uint64_t ident);
/* Makes tensor t's bytes (ident's content, zero_frac sparsity) and sends
 * them: 0, or -1 (out of memory, the session over). */
int ofside_send(struct ofside *x, uint32_t t, uint64_t ident, double bytes,
                double zero_frac);
/* Starts (or goes on with) the layers whose inputs are there. */
void ofside_step(struct ofside *x);
/* An ACTIVATION frame of this side's stream. */
void ofside_frame(struct ofside *x, const struct ofwire_frame *f,
                  double first_s, double now_s);
/* A blob of records (engines/ofdg.h) of this side's stream: 0, or -1
 * when it is not one tensor's chunks (the side has failed then). */
int ofside_blob(struct ofside *x, const struct ofdg_in *in);
/* Stops everything (a failed-over or abandoned request). */
void ofside_stop(struct ofside *x);
/* Whether everything is done (as `done` said). */
int ofside_finished(const struct ofside *x);

#endif

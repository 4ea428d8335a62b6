/*
 * ofuser - the user's device of an offloaded inference (issue 18:
 * `wattson offload run`), the seed's "On User Device": the input's
 * complexity and feature vector (given: part/pcplx.h), the split from
 * the partitioner (part/psplit.h) for the network as measured now, then
 * send (partitionConfig, featureVector, inputData), run its own layers,
 * and take the output home.
 *
 * Modes (what `bench offload` compares):
 *   adaptive  the split solved again before every request, on the link
 *             as oflink measures it (RTT, bandwidth) and the bytes per
 *             input byte the chosen compression level is expected to
 *             give (core/ofzst.h: ofzst_cost), so the split moves when
 *             the network changes; a split that offloads anything is
 *             kept only when its prediction plus the measured overhead
 *             of offloading (the average of measured minus predicted
 *             latency over the offloaded requests so far: the CPU that
 *             makes, checks and copies the bytes, the control frames)
 *             still beats running everything locally;
 *   static    the split solved once, on the first request's estimates
 *             (after the opening probes), and kept: "the static best
 *             split chosen once";
 *   local     every layer on the user's device; no connection;
 *   remote    every layer on the remote (the input sent, the output
 *             brought back).
 *
 * Faults: a request that has not finished by its timeout (oflink_timeout
 * for what the split predicts, or the --timeout given) or whose
 * connection ends, or that the remote answers with a failed RESULT, fails
 * over: the layers not yet done run on the user's device (their time on
 * its speed), and the request completes locally, marked failed-over.
 * After a lost connection the user tries again before each request, at
 * most once a second; until it is back, requests run all-local.
 *
 * Every request's outputs (the identities of every sink of the model,
 * part/ofexec.h) are checked against a local run's; a request whose
 * outputs differ is counted as corrupted, never as done.
 */
#ifndef WATTSON_OFUSER_H
#define WATTSON_OFUSER_H

#include <stddef.h>
#include <stdint.h>

#include "part/mgraph.h"
#include "part/ofmsg.h"

struct event_base;
struct ofuser;

enum ofuser_mode {
    OFUSER_ADAPTIVE,
    OFUSER_STATIC,
    OFUSER_LOCAL,
    OFUSER_REMOTE,
    OFUSER_MODES
};

/* What one request did. */
struct ofuser_rec {
    unsigned k;
    enum ofuser_mode mode;
    size_t layers, remote_layers;
    double predicted_ms; /* the split's objective on the estimates, with
                            the measured overhead when it offloads */
    double latency_ms;   /* measured, request to checked output */
    double remote_compute_ms, remote_queued_ms;
    uint64_t wire_up, raw_up, wire_down, raw_down;
    double bw_est, rtt_est;   /* what the split was solved on: B/s, s */
    const char *level;        /* the last chunk's compression level */
    int failover;             /* ran (partly) on the user's device instead */
    int ok;                   /* every output equals the local run's */
    int udp;                  /* tensors went as datagrams (engines/ofdg.h) */
    uint64_t dg_sent, dg_got; /* datagrams this side sent, took */
    uint64_t fec_recovered;   /* groups rebuilt from parity, both ways */
    uint64_t nacked;          /* groups sent again, both ways */
    char why[160];            /* a failover's reason */
};

struct ofuser_cfg {
    const char *connect; /* ADDR:PORT; NULL for local */
    const struct mgraph *g;
    const uint32_t *order;
    const double *fwd; /* per node, unscaled forward ms */
    double in_bytes;
    char name[32];
    double speed;         /* the user's device, relative to the profile */
    double scale;         /* the input's complexity as a multiplier */
    struct ofmsg_feat fv; /* the feature vector sent */
    uint64_t seed;        /* the input's */
    enum ofuser_mode mode;
    unsigned requests;
    double gap_s;     /* between a request's end and the next */
    int zlevel;       /* -1 adaptive, else enum ofzst_level */
    int udp;          /* tensors as datagrams (--transport udp) */
    double timeout_s; /* 0: oflink_timeout */
    double prior_bw, prior_rtt;
    /* static: the split to keep (g->n tiers, 0 user, 1 remote), chosen
     * elsewhere; NULL: solved on the first request */
    const uint8_t *static_split;
    /* Called for every request, and once at the end (rec NULL). */
    void (*record)(void *arg, const struct ofuser_rec *rec);
    void *arg;
};

/* Starts: 0, or -1 with one line in err.  The caller runs the event
 * loop until ofuser_over. */
struct ofuser *ofuser_new(struct event_base *b, const struct ofuser_cfg *cfg,
                          char *err, size_t errlen);
int ofuser_over(const struct ofuser *u);
/* The split of the latest request (g->n tiers). */
const uint8_t *ofuser_split(const struct ofuser *u);
/* Why it stopped early (the peer refused it, say), or NULL. */
const char *ofuser_error(const struct ofuser *u);
void ofuser_free(struct ofuser *u);

#endif

/*
 * ofremote - the remote device of an offloaded inference (issue 18:
 * `wattson offload serve`), the seed's "On Remote Device": receive
 * (partitionConfig, featureVector, inputData), predict and allocate the
 * resources, process the layers, send the output.
 *
 * Each connection starts with both sides' HELLO (a user's; anything else
 * first is refused with the reason).  Then, per request (a stream):
 *   - the REQUEST's plan is checked whole (part/ofmsg.h); a bad one is
 *     answered with a failed RESULT naming the fault, and the
 *     connection goes on;
 *   - prediction and allocation (engines/ofalloc.h): the feature
 *     vector's complexity has already scaled the work (the request's
 *     scale); the remote predicts the compute and the memory the plan
 *     needs and takes them in wattson's vGPU book over its devices (its
 *     lab's `cluster` table, or the one --device), on the device where
 *     the request would finish first; a request no device is free for
 *     waits, in order, and one no device could ever hold is refused;
 *   - the layers run as their inputs arrive (engines/ofside.h), the
 *     tensors the plan sends go home, then a RESULT with what was
 *     predicted and what it took.
 * PINGs are answered at once with PONGs that time the ping's own
 * arrival (its dispersion: the user's bandwidth probe).
 */
#ifndef WATTSON_OFREMOTE_H
#define WATTSON_OFREMOTE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engines/ofalloc.h"

struct event_base;
struct ofremote;

struct ofremote_cfg {
    const char *listen; /* ADDR:PORT */
    /* its devices: dev[ndev] (a lab's cluster), or when ndev is 0 the
     * one named, its speed relative to the profiled device, its memory */
    const struct ofalloc_dev *dev;
    size_t ndev;
    char name[32];
    double speed, mem;
    int zlevel; /* -1: adaptive; else enum ofzst_level */
    FILE *log;  /* one line per connection and request; NULL */
};

struct ofremote_stats {
    unsigned conns, refused, requests, done, failed;
    uint64_t bytes_in, bytes_out;
};

struct ofremote *ofremote_new(struct event_base *b,
                              const struct ofremote_cfg *cfg, char *err,
                              size_t errlen);
void ofremote_free(struct ofremote *r);
unsigned ofremote_port(const struct ofremote *r);
void ofremote_stats(const struct ofremote *r, struct ofremote_stats *st);

#endif

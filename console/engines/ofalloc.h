/*
 * ofalloc - the remote's resources for offloaded requests (issue 18: "the
 * remote side predicts and allocates its resources through wattson's
 * allocator on its own lab"), kept in wattson's vGPU book
 * (engines/vgledger.h) over the devices of its lab's `cluster` table
 * (core/labclu.h), or over the one --device.
 *
 * A request predicts what it needs from its plan and feature vector:
 * compute, the plan's work x the input's complexity scale (ms on the
 * profiled device), and memory, every activation its plan makes or
 * receives resident at once (an upper bound: no layer's output is freed
 * before the request ends).  It is admitted on the device where it would
 * finish first - the earliest free, the fastest among equals - among
 * those with its memory available, holding the whole device's compute
 * (1.0 in the book: one request computes on a device at a time, as
 * kernels of two processes without MPS take turns) and its memory until
 * it ends.  A request no device can hold at all is refused with the
 * reason; one that must wait for a device to be released waits, in
 * order of arrival.
 */
#ifndef WATTSON_OFALLOC_H
#define WATTSON_OFALLOC_H

#include <stddef.h>

#define OFALLOC_MAX_DEV 16

struct ofalloc_dev {
    char name[32];
    double speed;     /* relative to the profiled device */
    double mem_bytes; /* its memory (finite, > 0) */
};

struct ofalloc;

/* A book over n devices (1..OFALLOC_MAX_DEV) for at most max_reqs
 * requests at once: NULL with one line in err. */
struct ofalloc *ofalloc_new(const struct ofalloc_dev *dev, size_t n,
                            size_t max_reqs, char *err, size_t errlen);
void ofalloc_free(struct ofalloc *a);

/* The fastest device's speed: what the remote announces in its HELLO,
 * and what the user's partitioner plans on (optimistic when that device
 * is busy and a request lands on a slower one). */
double ofalloc_best_speed(const struct ofalloc *a);

enum { OFALLOC_GRANTED = 0, OFALLOC_WAIT = 1, OFALLOC_REFUSED = -1 };

/* Admits a request needing mem_bytes and work_ms (scaled, on the
 * profiled device) at time now (s): OFALLOC_GRANTED with *dev its device
 * and *grant its id for ofalloc_release; OFALLOC_WAIT when every device
 * that could hold it is held now; OFALLOC_REFUSED with the reason in why
 * when none ever could. */
int ofalloc_admit(struct ofalloc *a, double mem_bytes, double work_ms,
                  double now, size_t *dev, int *grant, char *why,
                  size_t whylen);
void ofalloc_release(struct ofalloc *a, int grant);
/* Device d: its speed, and its timeline (when it is free, s). */
double ofalloc_speed(const struct ofalloc *a, size_t d);
double *ofalloc_timeline(struct ofalloc *a, size_t d);
const char *ofalloc_name(const struct ofalloc *a, size_t d);
size_t ofalloc_n(const struct ofalloc *a);

#endif

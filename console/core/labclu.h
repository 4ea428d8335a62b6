/*
 * labclu - the lab's device map (issue 15): the optional top-level
 * `cluster` table of a lab file, which describes a heterogeneous training
 * cluster beside the lab's PUs, for `wattson partition MODEL --lab LAB`:
 *
 *   cluster = {
 *     devices = {
 *       { name = "v100a", kind = "gpu", speed = 1.0, mem = "16GB",
 *         pu = "gpu0" },
 *       { name = "t4a", kind = "gpu", speed = 0.45, mem = 16e9 },
 *     },
 *     links = {
 *       { from = "v100a", to = "t4a", bw = "12GB/s", lat = "10us",
 *         kind = "pcie" },
 *     },
 *   }
 *
 * A device: `name` (1..31 bytes of letters, digits, '_', '-', '.';
 * unique), `kind` (cpu, gpu, fpga, accel), `speed` (> 0, relative to the
 * device the model was profiled on; default 1; one speed for every layer
 * kind), `mem` (bytes, > 0; absent: no cap), `pu` (the lab device, a PU,
 * whose clock and throttling a runtime engine will follow; only its form
 * is checked here: the drivers name their devices at init).  A link:
 * `from`, `to` (two distinct devices of the map), `bw` (bytes/s per
 * direction, > 0), `lat` (s, >= 0; default 0), `kind` (nvlink, pcie,
 * infiniband, ethernet, other; default other).  Links carry both ways; a
 * second link between the same two devices is refused.  Numbers are in
 * base units, as numbers or as strings with an SI prefix and the unit
 * ("16GB", "12GB/s": core/sinum.h; "10us": a duration, core/dur.h).
 *
 * Optional beside them: `model` (a file the run trains over the devices),
 * `data` (its batch stream), `noise` (0..0.5) and `adapt = { threshold, hold,
 * cooldown, horizon }` (engines/partrun.h).
 *
 * Routes: a pair of devices that no link joins talks over a route of
 * links (through a host, a switch, another node).  Its bandwidth is the
 * widest path's - the route whose narrowest link is widest (the maximum
 * capacity route, Pollack, "The Maximum Capacity Through a Network",
 * Operations Research 8(5), 1960) - and among the routes that wide the
 * one of least summed latency; its latency is that sum (a transfer
 * streams through the hops, store-and-forward per message is not
 * modelled).  Computed exactly: the maximin bandwidth W(i, j) by the
 * Floyd-Warshall recurrence over (max, min), then for each pair the least
 * latency over the links no narrower than W(i, j).  A map where some pair
 * has no route is refused.
 */
#ifndef WATTSON_LABCLU_H
#define WATTSON_LABCLU_H

#include <stddef.h>

struct cfg;

/* The partitioner's limit, PPIPE_MAX_DEV (part/ppipe.h); core may not
 * include part/, so cmd/partcmd.c, which hands one to the other, checks
 * with a static assertion that the two agree. */
#define LABCLU_MAX_DEV 8
/* Two distinct devices per link, one link per pair. */
#define LABCLU_MAX_LINKS (LABCLU_MAX_DEV * (LABCLU_MAX_DEV - 1) / 2)

struct labclu_dev {
    char name[32];
    char pu[64];      /* "" when not given */
    const char *kind; /* one of labclu's static kind words */
    double speed;     /* relative to the profiled device */
    double mem_bytes; /* INFINITY: no cap */
};

struct labclu_link {
    unsigned a, b;    /* device indices, a != b */
    const char *kind; /* one of labclu's static kind words */
    double bw;        /* bytes/s */
    double lat;       /* s */
};

struct labclu {
    /* `model`: a model file (a PipeDream profile or a Darknet .cfg, as
     * the lab wrote it; relative to the lab's directory) whose training
     * pipeline runs over the devices during a run (engines/partrun.h);
     * "" for none.  `noise`: the relative standard deviation of its
     * measured stage times (default 0.02).  `adapt`: the runtime
     * controller's settings (part/padapt.h; its defaults where not
     * given). */
    char model[1024];
    /* `data`: the batches the model trains on, one of "phases",
     * "shuffled", "sorted", "multiscale" (part/pbatch.h), their work
     * predicted before they run (engines/pdpred.h); "" for every batch
     * as profiled. */
    char data[16];
    double noise;
    double adapt_threshold, adapt_horizon;
    unsigned adapt_hold, adapt_cooldown;
    size_t ndev;
    struct labclu_dev dev[LABCLU_MAX_DEV];
    size_t nlinks;
    struct labclu_link link[LABCLU_MAX_LINKS];
    /* Routes, ndev x ndev row-major (index i * ndev + j), symmetric; the
     * diagonal is INFINITY bytes/s and 0 s. */
    double bw[LABCLU_MAX_DEV * LABCLU_MAX_DEV];
    double lat[LABCLU_MAX_DEV * LABCLU_MAX_DEV];
};

/* Reads the lab's `cluster` node into *out: 0, or -1 with one line in err
 * naming the field path ("cluster.devices.3.speed: must be > 0, got -1",
 * "cluster.links: no path between v100a and fpga0"); the caller puts the
 * lab file's name in front. */
int labclu_read(const struct cfg *cluster, struct labclu *out, char *err,
                size_t errlen);

/* Computes out->bw/lat from its devices and links (labclu_read does it):
 * 0, or -1 with "cluster.links: no path between A and B" in err.  For
 * tests and for maps built in code. */
int labclu_route(struct labclu *c, char *err, size_t errlen);

/* The links in words for a heading: each kind with its bandwidth range,
 * "nvlink 45 GB/s, pcie 12 GB/s, ethernet 1.25 GB/s" ("no links" for a
 * single device); truncated to fit buf. */
void labclu_describe(const struct labclu *c, char *buf, size_t len);

#endif

/*
 * ptrain - a simulated training pipeline over time (issue 15): the plan's
 * stages on devices whose true speed and links whose true bandwidth change
 * at scheduled times (a GPU throttling, a co-tenant taking half a device,
 * a link training down), run one way among three:
 *   static     the first plan, kept;
 *   adaptive   the runtime controller (part/padapt.h) watching noisy
 *              measurements of the stage and link times, repartitioning
 *              when it judges it worth the migration, which stalls the
 *              pipeline for its cost;
 *   hindsight  at every change, the plan solved with the true speeds,
 *              moved to at once and for free: what no controller that
 *              must measure first and pay to move can beat on the same
 *              search (ppipe's), and so the yardstick of the adaptive
 *              one's recovery.
 * Time advances a micro-batch at a time: in the steady state a pipeline
 * finishes one per bottleneck (its slowest stage or link).  Measurements
 * carry seeded Gaussian noise.
 */
#ifndef WATTSON_PTRAIN_H
#define WATTSON_PTRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "part/padapt.h"
#include "part/ppipe.h"

struct ptrain_event {
    double t_s;    /* from when */
    int dev;       /* a device's speed factor (>= 0), or -1: a link's */
    int from, to;  /* the link (both directions), when dev < 0 */
    double factor; /* of its nominal speed or bandwidth, > 0 */
};

/* PTRAIN_PLANNED: data runs only (ptrain_run_data), the caller's
 * controller. */
enum ptrain_mode {
    PTRAIN_STATIC,
    PTRAIN_ADAPTIVE,
    PTRAIN_HINDSIGHT,
    PTRAIN_PLANNED
};

#define PTRAIN_MAX_WIN 16

struct ptrain_result {
    double batches; /* micro-batches finished */
    double tput;    /* per second, over the run */
    size_t nwin;    /* windows: [0, first event), then between events */
    double win_t0[PTRAIN_MAX_WIN], win_tput[PTRAIN_MAX_WIN];
    unsigned long moves, vetoes; /* adaptive; hindsight: plans changed */
    /* moves back to the plan the last move left, with no change of the
     * truth between them (the same window): thrashing; going back after
     * the device that caused a move recovers is not counted */
    unsigned long backs;
    double migration_s; /* time stalled moving */
};

struct ptrain_cfg {
    double duration_s;
    double noise; /* relative standard deviation of a measurement */
    uint64_t seed;
    const struct padapt_cfg *adapt; /* NULL: padapt's defaults */
};

/* Runs `mode` from `plan` (solved for in's nominal speeds) through the
 * events (sorted by time, at most PTRAIN_MAX_WIN - 1).  0, or -1 (bad
 * input, out of memory). */
int ptrain_run(const struct ppipe_in *in, const struct ppipe_plan *plan,
               const struct ptrain_event *ev, size_t nev, enum ptrain_mode mode,
               const struct ptrain_cfg *cfg, struct ptrain_result *out);

/* A data run (issue 15, the data profiler: part/pdata.h): the devices and
 * links keep their nominal speeds, and each batch brings its own work
 * (its sequence lengths, its image size), which the caller gives as a
 * model per batch.  Time advances by each batch's bottleneck on the plan
 * that runs it (the pipeline's pace follows its slowest stage, batch by
 * batch).  The modes:
 *   static     the first plan, kept;
 *   adaptive   padapt as it is, watching noisy measurements of each
 *              batch's stage and link times (it takes a change of the work
 *              for a change of the devices' speeds: all it can see);
 *   hindsight  every batch on the plan solved for its own work, moved to
 *              for free (solved again only when a batch's work differs
 *              from the one before): no plan sequence on ppipe's search
 *              runs a batch faster;
 *   planned    the caller's controller (plan below) may move before any
 *              batch.
 * Every move stalls the pipeline for padapt_migration_ms at nominal links,
 * the plans' times taken at the work of the batch it happens before
 * (adaptive: after), whoever asks for it, so the strategies pay alike. */
struct ptrain_data {
    size_t nbatch;
    /* batch b's model: nominal devices and links, b's work and
     * activations; valid until the next call */
    const struct ppipe_in *(*truth)(void *ctx, size_t b);
    /* planned: before batch b runs on cur (its times at b's truth), 1
     * with *next the plan to move to first, else 0 */
    int (*plan)(void *ctx, size_t b, const struct ppipe_plan *cur,
                struct ppipe_plan *next);
    void *ctx;
};

/* Runs the batches from `plan` in `mode` (cfg's duration is not read: the
 * batches are).  out: batches, tput (per second of simulated time), moves,
 * migration_s; one window.  0, or -1 (bad input, a plan that does not fit
 * a batch's memory, out of memory). */
int ptrain_run_data(const struct ppipe_in *nominal,
                    const struct ppipe_plan *plan, const struct ptrain_data *d,
                    enum ptrain_mode mode, const struct ptrain_cfg *cfg,
                    struct ptrain_result *out);

/* The runs' seeded generator (splitmix64: the next 64 random bits of
 * state *s) and a standard normal drawn from it (Box-Muller), for other
 * simulations that want the same reproducible streams (part/pbatch.h). */
uint64_t ptrain_next(uint64_t *s);
double ptrain_gauss(uint64_t *s);

#endif

/*
 * bbrec - what `wattson bench broker` records of a table's runs for the
 * energy bound and the pooled latency (issue 13, items 3 and 4), and the
 * bounds computed from it (engines/bound.h) once the table's last run is
 * done.  bbench.c runs the rows and prints the table; this module owns the
 * per-tick recording (allocated before the first tick, nothing per tick)
 * and the bound's inputs.
 */
#ifndef WATTSON_BBREC_H
#define WATTSON_BBREC_H

#include <stddef.h>
#include <stdint.h>

#include "core/wlat.h"

struct model;
struct lab;

/* A relative rounding allowance for "above the budget": caps that add up
 * to the budget exactly must not count (bench broker's violations and the
 * bound's budget line). */
#define BBREC_TOLERANCE 1e-9

/*
 * What the bound needs of a table's runs (issue 13, items 3 and 4), all
 * allocated before the first tick of the table's first run (bbrec_init)
 * and written per tick without allocating: the cumulative work arrived
 * per PU and tick (SIG_WORK_ARRIVED is a counter: its value less the
 * priming sample's) as its elementwise max and min over the table's rows
 * (two arrays of PUs x ticks, however many rows), each row's service at
 * the end (SIG_WORK_SERVED) and whether it kept within every deadline
 * tube (checked as it runs), and per PU the largest shortfall of any
 * measured tick's power against its P-state table (the leakage offset,
 * see bound.c: the sim's tables hold at a die hotter than ambient, where
 * its first interval runs).
 *
 * Chains (the sim's `pipelines`): a stage after the first gets work only
 * as its upstream serves it, so its arrivals depend on the policy.  Its
 * upper envelope is then ratio x the upstream's envelope (work as early
 * as it could possibly arrive: every hop takes at least the tick it was
 * served in), plus the least arrivals of any row when the device has a
 * workload of its own (that part is the same in every row); such a PU
 * gets no deadline tube, and every row's unserved work there is charged
 * against that envelope's end (the job is what the source sent).
 */
struct bbrec {
    size_t n, npu, nrows;
    int ok;              /* every PU has what the bound needs */
    char why[160];       /* else why not */
    double *amax, *amin; /* [i * n + t]: cumulative, over the rows */
    double *last_s;      /* this run: each PU's service so far */
    size_t *lag;         /* each PU's deadline lag (bound_lag) */
    double dt;
    int dl_ok;    /* this run kept within every deadline tube so far */
    double *send; /* [row * npu + i]: served by the end */
    double *off, *opc, *deadline, *base_a, *base_s;
    int32_t *up;   /* chain: the upstream PU index, or -1 */
    double *ratio; /* chain: the stage's ratio */
    uint8_t *own;  /* chain: the stage's device has a workload */
    /* The PUs' P-state tables and names, copied: the bound is computed
     * after the last run's model is gone. */
    size_t *nps;
    double *pf, *pb, *pi; /* [i * BOUND_MAX_PSTATES + j] */
    char (*name)[32];
    double budget_w;
    int chained; /* some PU is fed by a chain */
    size_t rows_done;
    /* This run's latencies pooled over the PUs, weighted by work (the
     * work-weighted p99), from each tick's arrivals and service; prev_a
     * and prev_s the counters at the previous tick. */
    struct wlat lat;
    double *prev_a, *prev_s;
};

/* The bounds of one table (see bound.h and the design comment of
 * bound.c), from bb_rec. */
struct bbrec_bound {
    int ok;
    char why[160];
    double bound, primal, bound_dl, primal_dl;
    size_t clipped;
    size_t over, over_dl; /* ticks whose bound power exceeds the budget */
    double peak, peak_dl; /* W, the bound paths' largest power sum */
    double d_race;        /* s: mean over PUs of the top-clock latency */
    double max_off;       /* W: the largest leakage offset, as a drop */
    int chained;
    double *emin, *uend; /* per PU: J/op, and the envelope's end */
};

/* The table's recording, for n ticks and nrows rows of m's PUs (before
 * the first tick of the first run): 0, or -1 when out of memory (nothing
 * to free then). */
int bbrec_init(struct bbrec *rc, const struct model *m, const struct lab *lab,
               size_t n, size_t nrows);
/* Before each run's first tick: the counters' start values. */
void bbrec_start(struct bbrec *rc, const struct model *m);
/* After tick k of a run: its arrivals, service and power. */
void bbrec_tick(struct bbrec *rc, const struct model *m, size_t k);
/* After a run (row `row`): its service at the end; whether it kept every
 * deadline tube, and its pooled, work-weighted p99 (s). */
void bbrec_end(struct bbrec *rc, size_t row, int *dl_ok, double *wp99_s);
void bbrec_free(struct bbrec *rc);
/* The bounds from the table's recording (its chain stages' envelopes
 * are written into rc->amax in place): 0 (b->ok says whether they could
 * be computed, b->why why not), or -1 when out of memory. */
int bbrec_bound(struct bbrec *rc, double dt, struct bbrec_bound *b);
void bbrec_bound_free(struct bbrec_bound *b);

#endif

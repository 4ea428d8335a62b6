/*
 * vgpu - the GPU resource engine (issue 16; the seed's profiler,
 * predictive resource manager and dynamic allocator in one run engine).
 *
 * Every tick it takes the GPU processes the drivers report
 * (model.gproc, ABI 1.2) as tenants, keyed by (GPU, pid): a tenant not
 * reported for VGPU_GONE_S is dropped.  Every profiling window (the lab's
 * `vgpu.interval`, 100 ms by default) each tenant's samples become a
 * signature and a phase (engines/gprof.h) and feed its predictor
 * (engines/gpred.h); then each GPU's SM time and memory are shared among
 * its tenants (engines/galloc.h) from what the mode wants for each:
 *
 *   predictive  the larger of the tenant's use over the last 2 windows
 *               and the predictor's need over the horizon (when it has
 *               seen a signature like this one), times 1 + headroom.
 *               Holt's trend of the use (engines/fcast.h) as a third
 *               term was tried and left out: its upward trends at scene
 *               changes took SM time from the servers (bench vgpu, mix:
 *               0.75 % SLO time against 0.48 %, p99 latency 3.5 s)
 *   reactive    the tenant's largest use over the last 5 windows times
 *               1 + headroom: what a reactive scaler does
 *   static      equal slices of SM time and memory per GPU, set once
 *               for the tenants present and when the set changes (MIG's
 *               equal partitions)
 *   perfect     (bench only, vgpu_set_future) the tenant's true largest
 *               need over the horizon, from a recorded run, instead of the
 *               predictor's (the feedback below and the sharing rule stay
 *               the same): a perfect forecast, not an optimum
 *   off         no shares: the GPU's own time-slicing
 *
 * In predictive and reactive modes a tenant held at its share (its use
 * within 2 % of it) wants 25 % more than it uses: its use hides its need,
 * and only more room shows it.  Spare SM time is handed out (work
 * conserving); memory above what is wanted is not (memory moves cost
 * time: a share shrinks only after the want has stayed below 80 % of it
 * for VGPU_MEM_HOLD_S, and grows at once).  A GPU's shares change only
 * when a tenant wants more SM time than it has and the new shares give it
 * more, or some tenant's SM share moves by at least VGPU_SM_STEP, or its
 * memory by 5 % of the GPU's; each change is a reallocation.
 *
 * The shares go into model.gshare every tick (the policy may change them;
 * guard and actuate write what changed).  Requests through the API's
 * ledger reserve capacity before the tenants share the rest
 * (vgpu_set_reserved).  Per-tenant power is the GPU's power apportioned
 * by SM use: a GPU has one power limit, which the broker and the policy
 * own.
 */
#ifndef WATTSON_ENGINES_VGPU_H
#define WATTSON_ENGINES_VGPU_H

#include <stddef.h>
#include <stdint.h>

#include "engines/engines.h"

struct lab;
struct model;
struct labvg;

#define VGPU_MAX_TENANTS 64
#define VGPU_MAX_GPUS 16
#define VGPU_GONE_S 1.0
#define VGPU_MEM_HOLD_S 2.0
#define VGPU_SM_STEP 0.05

extern const struct engine_ops vgpu_engine_ops;

struct vgpu;

/* What the console, the policy and the bench see of one tenant. */
struct vgpu_tenant_view {
    uint32_t device, pid;
    const char *name;
    uint32_t perf_kind;
    double sm, mem_b, perf, slo; /* the last window's use and perf */
    double power_w;              /* the GPU's power apportioned by use */
    double pred_sm, pred_mem;    /* predicted need over the horizon */
    int pred_known;              /* the predictor had a neighbour */
    double share_sm, share_mem;  /* proposed share */
    unsigned phase;
    uint64_t phase_changes;
    int violating;            /* perf worse than its SLO this window */
    double need_sm;           /* ground truth (NaN off the simulation) */
    double slo_bad_s, seen_s; /* time in violation, time seen */
    const double *sig;        /* its signature, GPROF_DIM values */
};

struct vgpu_view {
    const char *mode;
    size_t n;
    struct vgpu_tenant_view t[VGPU_MAX_TENANTS];
    uint64_t windows, reallocs, phase_changes;
};

struct vgpu *vgpu_of(const struct engines *e);
/* The lab's `vgpu` table into the engine (the run calls it once, after
 * the engines are made). */
void vgpu_configure(struct vgpu *v, const struct labvg *cfg);
/* The engine's tenants now (updated every window; NULL for NULL). */
const struct vgpu_view *vgpu_view(const struct vgpu *v);
/* SM time and memory the API's requests hold on `device` (a global
 * device index): the tenants share what is left. */
void vgpu_set_reserved(struct vgpu *v, uint32_t device, double sm,
                       double mem_b);

/* The API's book (engines/vgledger.h): what its clients hold is
 * reserved every tick, and the tenants' guarantees are reserved in it. */
struct vgledger;
void vgpu_set_ledger(struct vgpu *v, struct vgledger *l);
struct vgledger *vgpu_ledger(const struct vgpu *v);

/* The bench's perfect forecast: the tenant's largest true SM need and
 * memory over [t0, t1]; returns 0, or -1 when unknown (then the tenant is
 * treated as in reactive mode). */
typedef int (*vgpu_future_fn)(void *ctx, uint32_t device, uint32_t pid,
                              double t0, double t1, double *sm, double *mem_b);
void vgpu_set_future(struct vgpu *v, vgpu_future_fn fn, void *ctx);

/* Counters for the bench (summed over the run so far). */
struct vgpu_stats {
    double tenant_s;     /* tenant-seconds seen */
    double slo_bad_s;    /* tenant-seconds worse than the SLO */
    double share_s;      /* tenant-seconds with a share (not `off`) */
    double below_need_s; /* of those, with a share < 98 % of true need */
    double gpu_s;        /* GPU-seconds with tenants */
    double used_sm_s;    /* SM-seconds used, over those GPUs */
    double fair_sum;     /* Jain's index of min(1, perf/SLO) (latency:
                            SLO/perf) over tenants, summed per tick */
    uint64_t fair_n;
    uint64_t reallocs;
    double span_s; /* time from the first tick to the last */
};
void vgpu_stats(const struct vgpu *v, struct vgpu_stats *out);

#endif

/*
 * labvg - the lab's `vgpu` table (issue 16): how the vGPU engine
 * (engines/vgpu.h) profiles, predicts and shares the lab's GPUs among
 * their tenants.
 *
 *   vgpu = {
 *     mode = "predictive",  -- predictive | reactive | static | off
 *     interval = "100ms",   -- profiling window (the seed's 0.1 s loop)
 *     horizon = "2s",       -- prediction horizon, 1..64 windows
 *     headroom = 0.1,       -- share above the predicted need, 0..1
 *     tenants = {           -- per tenant, by its name (a process's comm)
 *       { name = "render", min_sm = 0.2, max_sm = 1, min_mem = "4GB",
 *         max_mem = "16GB", priority = 3 },
 *     },
 *   }
 *
 * Modes: `predictive` shares by the profiler's signatures and the
 * predictor (engines/gpred.h); `reactive` by each tenant's recent use
 * (the baseline a reactive scaler is); `static` equal slices of every GPU
 * among its tenants, fixed (as MIG's equal partitions); `off` proposes no
 * shares (the GPU's own time-slicing).  A tenant without an entry: no
 * guarantee, no limit, priority 1.  The guarantees of one GPU cannot be
 * checked here (the drivers name the tenants' GPUs at init); the engine
 * scales them down alike when they exceed a GPU (galloc.h).
 */
#ifndef WATTSON_LABVG_H
#define WATTSON_LABVG_H

#include <stddef.h>

struct cfg;

#define LABVG_MAX_TENANTS 32

enum labvg_mode {
    LABVG_PREDICTIVE,
    LABVG_REACTIVE,
    LABVG_STATIC,
    LABVG_OFF,
};

struct labvg_tenant {
    char name[32];
    double min_sm, max_sm;   /* 1 */
    double min_mem, max_mem; /* B; max INFINITY: none */
    int priority;            /* 0..9 */
};

struct labvg {
    enum labvg_mode mode;
    double interval_s, horizon_s, headroom;
    struct labvg_tenant tenants[LABVG_MAX_TENANTS];
    size_t n_tenants;
};

/* The defaults (a lab without `vgpu`). */
void labvg_default(struct labvg *v);
/* Reads `vgpu` (t may be NULL: defaults).  0, or -1 with one line. */
int labvg_read(const struct cfg *t, struct labvg *out, char *err,
               size_t errlen);
/* The word for a mode ("predictive"), and back (-1: unknown). */
const char *labvg_mode_name(enum labvg_mode m);
int labvg_mode_parse(const char *s);
/* The tenant entry named `name`, or NULL. */
const struct labvg_tenant *labvg_tenant(const struct labvg *v,
                                        const char *name);

#endif

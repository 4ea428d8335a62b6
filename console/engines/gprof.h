/*
 * gprof - the GPU behavioural profiler (issue 16, the seed's "GPU
 * Behavioural Profiler"): one tenant's per-tick samples (struct
 * wattson_gpu_proc) become a behavioural signature every profiling window
 * (the seed's loop sleeps 0.1 s), and a phase-change detector watches the
 * signatures.
 *
 * The signature is what a profiler outside the application can see, each
 * feature scaled to about [0, 1] so that distances weigh them alike:
 *
 *   0 sm      SM time used (fraction of the GPU)
 *   1 mem     memory held / the GPU's memory
 *   2 dmem    memory growth over the window, per second, / the GPU's
 *             memory, times 10, clipped to [-1, 1]: textures or a
 *             checkpoint streaming in show here before the compute does
 *   3 bw      memory bandwidth (controller busy)
 *   4 launch  log10(1 + kernel launches/s) / 6 (1e6 launches/s is 1)
 *   5 pcie    log10(1 + PCIe B/s) / 11 (1e11 B/s, above PCIe 5 x16, is 1)
 *   6 enc     video encoder busy
 *   7 dec     video decoder busy
 *
 * A feature the source cannot see (NaN: NVML has no launch rate) is 0 in
 * every signature of that tenant, so it never separates two of them.
 *
 * Phases: a running centroid of the current phase (EWMA, alpha 0.2); a
 * signature farther than `GPROF_PHASE_DIST` (Euclidean) from it for
 * `GPROF_PHASE_HOLD` windows in a row starts a new phase.  The new phase
 * gets the id of the nearest phase seen before when that one's centroid is
 * within the same distance (a renderer's scene shown again), else a new
 * id, up to GPROF_MAX_PHASES.  This is a plain change detector on a
 * distance, the kind CUSUM generalises (Page, "Continuous inspection
 * schemes", Biometrika 41, 1954); the hold keeps one odd window from
 * counting as a phase.
 */
#ifndef WATTSON_GPROF_H
#define WATTSON_GPROF_H

#include <stddef.h>
#include <stdint.h>

struct wattson_gpu_proc;

#define GPROF_DIM 8
#define GPROF_MAX_PHASES 16
#define GPROF_PHASE_DIST 0.12
#define GPROF_PHASE_HOLD 3

enum {
    GPROF_SM,
    GPROF_MEM,
    GPROF_DMEM,
    GPROF_BW,
    GPROF_LAUNCH,
    GPROF_PCIE,
    GPROF_ENC,
    GPROF_DEC
};

/* The sums of one window and the tenant's phases. */
struct gprof {
    double mem_total; /* the GPU's memory, B (> 0) */
    /* the window being filled */
    double sum[GPROF_DIM];
    double sum_perf, sum_mem_b;
    unsigned n_perf;
    unsigned n;
    double last_mem_b; /* memory held at the end of the last window */
    int has_last_mem;
    /* the last complete window */
    double sig[GPROF_DIM];
    double sm, mem_b; /* its mean SM use and memory held (B) */
    double perf;      /* its mean performance (NaN: none reported) */
    uint64_t windows;
    /* phases */
    double centroid[GPROF_DIM];
    unsigned far_run;
    double phase_c[GPROF_MAX_PHASES][GPROF_DIM];
    unsigned n_phase_ids;
    unsigned phase; /* id of the current phase */
    uint64_t phase_changes;
};

void gprof_init(struct gprof *g, double mem_total);
/* One tick's sample of the tenant. */
void gprof_add(struct gprof *g, const struct wattson_gpu_proc *p);
/* Ends the window (`window_s` long): computes the signature and runs the
 * phase detector.  Returns 1 when a phase change was detected, 0 when
 * not, -1 when the window had no sample (the signature stays the last). */
int gprof_end(struct gprof *g, double window_s);
/* Euclidean distance between two signatures. */
double gprof_dist(const double *a, const double *b);
/* The index of the signature of set[0..n) nearest `sig`, its distance in
 * *dist (INFINITY and 0 for n = 0). */
unsigned gprof_nearest(const double (*set)[GPROF_DIM], unsigned n,
                       const double *sig, double *dist);

#endif

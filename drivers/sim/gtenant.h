/*
 * gten - simulated GPU tenants (gtenant.c): applications sharing one of
 * the sim's GPUs (a renderer, a training job, an inference server, a video
 * encoder), each with phases, a true need of SM time and memory, a share
 * that gpu_share_write sets, and the per-process record a behavioural
 * profiler sees (ABI 1.2 struct wattson_gpu_proc).  A lab declares them
 * under the driver entry's `gpu_tenants` key (drivers/sim/README.md, "GPU
 * tenants").
 */
#ifndef WATTSON_SIM_GTENANT_H
#define WATTSON_SIM_GTENANT_H

#include <wattson/plugin.h>

#include <stddef.h>
#include <stdint.h>

#include "workload.h"

struct sim;

#define GTEN_MAX 256
#define GTEN_MAX_SCENES 16
#define GTEN_MAX_STREAMS 32

enum gten_kind {
    GTEN_RENDERER = 0,
    GTEN_TRAINING,
    GTEN_INFERENCE,
    GTEN_ENCODER,
    GTEN_N_KINDS
};

/* One scene of a renderer: held hold_s, frame_s of SM time per frame at
 * the top clock with the GPU to itself, draw calls per frame, textures. */
struct gten_scene {
    double start_s, hold_s, frame_s, draws, tex_b;
};

struct gten {
    char name[WATTSON_GPU_NAME_LEN];
    size_t dev;
    uint32_t pid;
    enum gten_kind kind;
    /* For the allocator (the sim only reports them): guarantee, limit,
     * priority.  The share starts at max_sm, memory unlimited. */
    double priority, min_sm, max_sm, slo, seed;
    double share_sm, share_mem;
    double held_b; /* device memory held */
    double phase_s;
    struct wl rng; /* only its generator is used */

    /* renderer */
    double fps, stream_s, base_b, scene_min_s, scene_max_s;
    double frame_ms_min, frame_ms_max, draws_min, draws_max, tex_min_b,
        tex_max_b, n_scenes_cfg;
    size_t n_scenes;
    struct gten_scene sc[GTEN_MAX_SCENES];
    double cycle_s;
    double scene_id; /* pass x scenes + scene of the last interval */
    double drop_to;  /* this interval's entry frees textures down to it */
    /* training */
    double sm, mem_frac, launch_hz, eval_every_s, eval_s, eval_sm,
        eval_launch_hz, ckpt_every_s, ckpt_b, peak_rate, sample_b;
    /* inference */
    double rps, diurnal, day_s, burst_x, burst_on_s, burst_off_s, work_ms,
        mem_b;
    int burst;
    double burst_left;
    /* encoder */
    double streams, max_streams, join_s, stay_s, stream_fps, enc_per_stream,
        sm_per_stream;
    size_t n_streams;
    double end_s[GTEN_MAX_STREAMS];
    double next_join_s;

    /* This interval's phase (gten_phase): need at the top clock, memory,
     * the rate memory may grow at, the phase's launch rate and PCIe
     * traffic at full speed, encoder need, arrival rate; `lead`: the
     * renderer is streaming a scene in (its frames are still light). */
    double need_sm, need_mem, fill_bps, launch_hz_now, pcie_now, enc_need,
        lambda, bw_coeff;
    int lead;
    double want;
    struct wattson_gpu_proc rec;
};

/* The optional `gpu_tenants` array of the lab entry; then the process
 * table grows by one entry per tenant.  Run after chain_read_all; on
 * error gten_free (from sim_free) releases what was set up. */
int gten_read_all(struct sim *s, char *err, size_t errlen);

/* Advances every tenant over [t0, t0 + dt] (s since the origin): phases,
 * shares, memory, contention, records; leaves each tenant GPU's load in
 * its gload (a demand for pu_step) and its memory in mem_used.  Does not
 * allocate. */
void gten_step_all(struct sim *s, double t0, double dt);

/* The records of the last interval, at most max (ABI gpu_procs_read). */
int gten_procs_read(const struct sim *s, struct wattson_gpu_proc *p,
                    size_t max);

/* Applies shares (ABI gpu_share_write); unknown (device, pid) skipped. */
int gten_share_write(struct sim *s, const struct wattson_gpu_share *sh,
                     size_t n);

void gten_free(struct sim *s);

#endif

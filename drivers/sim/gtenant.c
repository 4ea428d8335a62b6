/*
 * gten - the sim plugin's GPU tenants: applications that share one of the
 * lab's simulated GPUs, read from the driver entry's `gpu_tenants`, and
 * the per-process records of ABI 1.2's gpu_procs_read.  Like chain.c it is
 * a workload laid over the devices: it reads the lab with simcfg.c's
 * helpers and shares simint.h's state; sim.c calls it, it calls nothing
 * of sim.c.  drivers/sim/README.md ("GPU tenants") is the reference.
 *
 * Model, per interval [t0, t0 + dt] of the sim (virtual time; everything
 * allocated at init, all randomness from the run seed through
 * workload.c's xoshiro256**, one stream per tenant):
 *
 * 1. Phase.  Each tenant's true need: need_sm, the fraction of the GPU's
 *    SM time it would use at the top clock with the GPU to itself, and
 *    need_mem (B).  A renderer loops over seeded scenes, streaming each
 *    scene's textures in (PCIe burst, memory growth) for stream_s before
 *    the scene's heavy frames start; training is steady with periodic
 *    evaluation and checkpoints; inference serves a diurnal sinusoid of
 *    requests times a Markov-modulated on/off burst; an encoder has video
 *    streams that join and leave (Poisson joins, exponential stays).
 * 2. Clock.  At clock f (the GPU's P-state of the last interval: the
 *    tenants run on the clock the unit ran) a tenant needs need_sm *
 *    f_top / f of the SM time.
 * 3. Shares and contention.  want = min(effective need, share); when the
 *    wants of one GPU sum above 1 each gets want / sum (time-slicing, what
 *    a GPU without MPS does among busy contexts).  A share written by
 *    gpu_share_write takes effect at the next interval (the next
 *    scheduling boundary).
 * 4. Memory.  Held memory goes to min(need_mem, limit): memory a tenant no
 *    longer needs is freed at once; memory above a lowered limit is
 *    evicted over PCIe; growth is limited by the tenant's fill rate, the
 *    device's PCIe rate and the device's free memory (an uncontrolled GPU
 *    grants cudaMalloc first come, first served).  A tenant holding less
 *    than it needs pages or thrashes: its performance is scaled by
 *    (held / need)^2 (an assumption: the steep loss of oversubscribed
 *    unified memory; the renderer's streaming lead is exempt, its frames
 *    are light and use the textures already in).
 * 5. Performance.  ratio = granted / effective need, times the memory
 *    factor; fps = target * ratio, samples/s = peak * ratio, encoded fps =
 *    streams * stream_fps * ratio (and NVENC time-sliced across the GPU's
 *    encoders).  Inference is an M/M/1 queue: service rate mu = granted /
 *    (work per request at clock f) times the memory factor, mean latency
 *    1 / (mu - lambda), capped at GTEN_LAT_CAP_S when mu <= lambda.  Its
 *    need includes the headroom for latency = GTEN_INF_HEADROOM * slo,
 *    while what it uses is its busy fraction lambda * work.
 * 6. The GPU.  Its offered load is the sum of the tenants' used SM time at
 *    clock f, handed to pu_step as a demand (gload), so util, power and
 *    temperature follow the tenants.
 * 7. Records.  One per tenant, every field filled; a real profiler's
 *    sampling noise on SM and memory-bandwidth fractions, launch and PCIe
 *    rates, and the application's own perf (small, seeded); memory, need_sm
 *    and need_mem are exact.
 */
#include "gtenant.h"

#include <wattson/plugin.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "pu.h"
#include "simcfg.h"
#include "simint.h"
#include "workload.h"

#define GTEN_PI 3.14159265358979323846
/* Random streams of tenants start above every device and chain stream. */
#define GTEN_STREAM 0x200000000ull
/* Reported latency when the server cannot keep up (mu <= lambda). */
#define GTEN_LAT_CAP_S 10.0
/* An inference tenant's need is the share at which its M/M/1 mean latency
 * is this fraction of its SLO. */
#define GTEN_INF_HEADROOM 0.5
/* Kernels per inference request (a transformer's layers run tens of
 * kernels each; CUDA graphs fold some) and bytes in and out per request
 * (a compressed image or a tokenised query plus the answer). */
#define GTEN_INF_KERNELS 50.0
#define GTEN_INF_REQ_B 1e5
/* A renderer's steady uploads (constant buffers, dynamic geometry). */
#define GTEN_REND_UPLOAD_BPS 2e8
/* Training during a checkpoint: the loop waits for the copy out. */
#define GTEN_CKPT_SM 0.05
#define GTEN_CKPT_LAUNCH_HZ 100.0
/* Encoder: kernels per frame (colour conversion, scaling, ...), a raw
 * 1080p NV12 frame uploaded, memory of the session and of each stream's
 * surfaces. */
#define GTEN_ENC_KERNELS 4.0
#define GTEN_ENC_FRAME_B (1920.0 * 1080.0 * 1.5)
#define GTEN_ENC_BASE_B (256.0 * 1048576.0)
#define GTEN_ENC_STREAM_B (128.0 * 1048576.0)
/* Memory-bandwidth busy fraction per unit of SM time at the top clock,
 * per kind and phase (assumed: training and inference are the
 * bandwidth-bound ones). */
#define GTEN_BW_RENDER 0.5
#define GTEN_BW_TRAIN 0.7
#define GTEN_BW_EVAL 0.5
#define GTEN_BW_CKPT 0.1
#define GTEN_BW_INFER 0.6
#define GTEN_BW_ENC 0.3
/* Profiler noise: absolute on fractions, relative on rates and perf. */
#define GTEN_NOISE_FRAC 0.01
#define GTEN_NOISE_RATE 0.02
#define GTEN_NOISE_PERF 0.01

static const char *const gten_kind_names[] = {"renderer", "training",
                                              "inference", "encoder", NULL};

#define GTEN_COMMON_KEYS                                                       \
    "name", "device", "pid", "kind", "seed", "slo", "priority", "min_sm",      \
        "max_sm"

static const char *const gten_keys[GTEN_N_KINDS][32] = {
    [GTEN_RENDERER] = {GTEN_COMMON_KEYS, "phase_s", "fps", "scenes",
                       "scene_min_s", "scene_max_s", "frame_ms_min",
                       "frame_ms_max", "draws_min", "draws_max", "tex_min_b",
                       "tex_max_b", "base_b", "stream_s", NULL},
    [GTEN_TRAINING] = {GTEN_COMMON_KEYS, "phase_s", "sm", "mem_frac",
                       "launch_hz", "eval_every_s", "eval_s", "eval_sm",
                       "eval_launch_hz", "ckpt_every_s", "ckpt_b", "peak_rate",
                       "sample_b", NULL},
    [GTEN_INFERENCE] = {GTEN_COMMON_KEYS, "phase_s", "rps", "diurnal", "day_s",
                        "burst_x", "burst_on_s", "burst_off_s", "work_ms",
                        "mem_b", NULL},
    [GTEN_ENCODER] = {GTEN_COMMON_KEYS, "streams", "max_streams", "join_s",
                      "stay_s", "stream_fps", "enc_per_stream", "sm_per_stream",
                      NULL},
};

static double gten_clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static double gten_min(double a, double b)
{
    return a < b ? a : b;
}

/* ---- configuration ----------------------------------------------------- */

/* The kind-specific parameters (defaults in README.md's table, with their
 * sources); simcfg_params reads the ones of the tenant's kind. */
static int gten_read_params(const struct wattson_host *h, const char *tpath,
                            struct gten *g, char *err, size_t errlen)
{
    const double big = 1e15;
    const struct simcfg_wparam params[] = {
        {"phase_s", 0, 0, 0, 1e9, &g->phase_s},
        {"fps", 60, 0, 1, 1000, &g->fps},
        {"scenes", 5, 1, 0, GTEN_MAX_SCENES, &g->n_scenes_cfg},
        {"scene_min_s", 5, 0, 1, 1e6, &g->scene_min_s},
        {"scene_max_s", 20, 0, 1, 1e6, &g->scene_max_s},
        {"frame_ms_min", 3, 0, 1, 1000, &g->frame_ms_min},
        {"frame_ms_max", 12, 0, 1, 1000, &g->frame_ms_max},
        {"draws_min", 1000, 0, 0, 1e7, &g->draws_min},
        {"draws_max", 4000, 0, 0, 1e7, &g->draws_max},
        {"tex_min_b", 1e9, 0, 0, big, &g->tex_min_b},
        {"tex_max_b", 4e9, 0, 0, big, &g->tex_max_b},
        {"base_b", 5e8, 0, 0, big, &g->base_b},
        {"stream_s", 0.75, 0, 1, 60, &g->stream_s},
        {"sm", 0.6, 0, 1, 1, &g->sm},
        {"mem_frac", 0.6, 0, 1, 1, &g->mem_frac},
        {"launch_hz", 1500, 0, 0, 1e7, &g->launch_hz},
        {"eval_every_s", 60, 0, 1, 1e9, &g->eval_every_s},
        {"eval_s", 8, 0, 0, 1e9, &g->eval_s},
        {"eval_sm", 0.3, 0, 1, 1, &g->eval_sm},
        {"eval_launch_hz", 800, 0, 0, 1e7, &g->eval_launch_hz},
        {"ckpt_every_s", 120, 0, 0, 1e9, &g->ckpt_every_s},
        {"ckpt_b", 4e9, 0, 0, big, &g->ckpt_b},
        {"peak_rate", 1000, 0, 1, 1e9, &g->peak_rate},
        {"sample_b", 1.1e5, 0, 0, 1e12, &g->sample_b},
        {"rps", 200, 0, 1, 1e9, &g->rps},
        {"diurnal", 0.5, 0, 0, 1, &g->diurnal},
        {"day_s", 600, 0, 1, 1e9, &g->day_s},
        {"burst_x", 2, 1, 0, 100, &g->burst_x},
        {"burst_on_s", 5, 0, 1, 1e9, &g->burst_on_s},
        {"burst_off_s", 60, 0, 1, 1e9, &g->burst_off_s},
        {"work_ms", 1, 0, 1, 1e6, &g->work_ms},
        {"mem_b", 4e9, 0, 0, big, &g->mem_b},
        {"streams", 2, 0, 0, GTEN_MAX_STREAMS, &g->streams},
        {"max_streams", 8, 1, 0, GTEN_MAX_STREAMS, &g->max_streams},
        {"join_s", 20, 0, 1, 1e9, &g->join_s},
        {"stay_s", 60, 0, 1, 1e9, &g->stay_s},
        {"stream_fps", 30, 0, 1, 1000, &g->stream_fps},
        {"enc_per_stream", 0.1, 0, 0, 1, &g->enc_per_stream},
        {"sm_per_stream", 0.02, 0, 0, 1, &g->sm_per_stream},
    };
    return simcfg_params(h, tpath, params, sizeof params / sizeof params[0],
                         gten_keys[g->kind], err, errlen);
}

/* 0 when v (read from tpath.key) is a whole number, else -1 with err. */
static int gten_whole(const char *tpath, const char *key, double v, char *err,
                      size_t errlen)
{
    if (v == floor(v))
        return 0;
    simcfg_err(err, errlen, "%s.%s: must be a whole number, got %g", tpath, key,
               v);
    return -1;
}

/* "lo_key <= hi_key", else an error naming lo_key. */
static int gten_ordered(const char *tpath, const char *lo_key, double lo,
                        const char *hi_key, double hi, char *err, size_t errlen)
{
    if (lo <= hi)
        return 0;
    simcfg_err(err, errlen, "%s.%s: %g is above %s %g", tpath, lo_key, lo,
               hi_key, hi);
    return -1;
}

/* Cross-checks of a kind's parameters against each other and the GPU. */
static int gten_check_kind(const struct gten *g, const struct pu_params *p,
                           const char *tpath, char *err, size_t errlen)
{
    double mem = p->mem_total_b;

    switch (g->kind) {
    case GTEN_RENDERER:
        if (gten_whole(tpath, "scenes", g->n_scenes_cfg, err, errlen) ||
            gten_ordered(tpath, "scene_min_s", g->scene_min_s, "scene_max_s",
                         g->scene_max_s, err, errlen) ||
            gten_ordered(tpath, "frame_ms_min", g->frame_ms_min, "frame_ms_max",
                         g->frame_ms_max, err, errlen) ||
            gten_ordered(tpath, "draws_min", g->draws_min, "draws_max",
                         g->draws_max, err, errlen) ||
            gten_ordered(tpath, "tex_min_b", g->tex_min_b, "tex_max_b",
                         g->tex_max_b, err, errlen))
            return -1;
        if (g->stream_s >= g->scene_min_s) {
            simcfg_err(err, errlen,
                       "%s.stream_s: %g s must be shorter than scene_min_s "
                       "%g s (the heavy frames follow the streaming)",
                       tpath, g->stream_s, g->scene_min_s);
            return -1;
        }
        if (g->frame_ms_max * 1e-3 * g->fps > 1.0) {
            simcfg_err(err, errlen,
                       "%s.frame_ms_max: %g ms at %g fps needs more than the "
                       "whole GPU",
                       tpath, g->frame_ms_max, g->fps);
            return -1;
        }
        if (g->base_b + g->tex_max_b > mem) {
            simcfg_err(err, errlen,
                       "%s.tex_max_b: base_b + tex_max_b = %g B exceeds the "
                       "GPU's memory (%g B)",
                       tpath, g->base_b + g->tex_max_b, mem);
            return -1;
        }
        return 0;
    case GTEN_TRAINING:
        if (g->eval_s >= g->eval_every_s) {
            simcfg_err(err, errlen,
                       "%s.eval_s: %g s must be shorter than eval_every_s %g s",
                       tpath, g->eval_s, g->eval_every_s);
            return -1;
        }
        if (g->ckpt_every_s > 0 && g->ckpt_b / p->pcie_bps >= g->ckpt_every_s) {
            simcfg_err(err, errlen,
                       "%s.ckpt_b: a checkpoint takes %g s over PCIe, not "
                       "shorter than ckpt_every_s %g s",
                       tpath, g->ckpt_b / p->pcie_bps, g->ckpt_every_s);
            return -1;
        }
        return 0;
    case GTEN_INFERENCE:
        if (g->mem_b > mem) {
            simcfg_err(err, errlen,
                       "%s.mem_b: %g B exceeds the GPU's memory (%g B)", tpath,
                       g->mem_b, mem);
            return -1;
        }
        return 0;
    case GTEN_ENCODER:
        if (gten_whole(tpath, "streams", g->streams, err, errlen) ||
            gten_whole(tpath, "max_streams", g->max_streams, err, errlen) ||
            gten_ordered(tpath, "streams", g->streams, "max_streams",
                         g->max_streams, err, errlen))
            return -1;
        if (!(p->nvenc > 0)) {
            simcfg_err(err, errlen,
                       "%s.device: this GPU has no video encoder (NVENC); "
                       "an encoder tenant needs one (the A100 has none)",
                       tpath);
            return -1;
        }
        if (GTEN_ENC_BASE_B + g->max_streams * GTEN_ENC_STREAM_B > mem) {
            simcfg_err(err, errlen,
                       "%s.max_streams: %g streams need more than the GPU's "
                       "memory (%g B)",
                       tpath, g->max_streams, mem);
            return -1;
        }
        return 0;
    default:
        return -1;
    }
}

/* `device`: a gpu of this entry with memory and a host link, not a
 * pipeline stage and without its own workload. */
static int gten_read_device(struct sim *s, const char *tpath, struct gten *g,
                            char *err, size_t errlen)
{
    const struct wattson_host *h = s->host;
    char path[SIM_PATH_MAX + 16], wpath[SIM_PATH_MAX];
    const char *dev;
    size_t i;

    simcfg_fmt(path, sizeof path, "%s.device", tpath);
    if (!(dev = sim_dev_read(s, path, &i, err, errlen)))
        return -1;
    if (strcmp(s->devs[i].kind, "gpu") != 0) {
        simcfg_err(err, errlen, "%s: device '%s' is a %s, not a gpu", path, dev,
                   s->devs[i].kind);
        return -1;
    }
    if (s->devs[i].chain >= 0) {
        simcfg_err(err, errlen,
                   "%s: device '%s' is pipelines.%d.stages.%d (a GPU with "
                   "tenants is not a pipeline stage)",
                   path, dev, s->devs[i].chain + 1, s->devs[i].stage + 1);
        return -1;
    }
    simcfg_fmt(wpath, sizeof wpath, "devices.%zu.workload", i + 1);
    if (h->cfg_type(h->ctx, wpath) != WATTSON_CFG_NONE) {
        simcfg_err(err, errlen,
                   "%s: device '%s' has a workload (%s); a GPU with tenants "
                   "takes its load from them",
                   path, dev, wpath);
        return -1;
    }
    if (!(s->devs[i].pu.p.mem_total_b > 0) || !(s->devs[i].pu.p.pcie_bps > 0)) {
        simcfg_err(err, errlen,
                   "%s: device '%s' has no memory or PCIe rate (set "
                   "mem_total_b and pcie_bps)",
                   path, dev);
        return -1;
    }
    g->dev = i;
    return 0;
}

/* `pid`: required, whole, in [1, 2^32 - 1], unique across the tenants
 * read so far and every process of the pipelines. */
static int gten_read_pid(const struct sim *s, size_t t, const char *tpath,
                         struct gten *g, char *err, size_t errlen)
{
    char path[SIM_PATH_MAX + 16], other[SIM_PATH_MAX];
    double v;

    simcfg_fmt(path, sizeof path, "%s.pid", tpath);
    if (s->host->cfg_type(s->host->ctx, path) == WATTSON_CFG_NONE) {
        simcfg_err(err, errlen, "%s: missing (a process id is required)", path);
        return -1;
    }
    if (simcfg_num(s->host, path, 0, 1, 0, 4294967295.0, &v, err, errlen) ||
        gten_whole(tpath, "pid", v, err, errlen))
        return -1;
    g->pid = (uint32_t)v;
    other[0] = '\0';
    for (size_t j = 0; j < t; j++)
        if (s->gten[j].pid == g->pid)
            simcfg_fmt(other, sizeof other, "gpu_tenants.%zu.pid", j + 1);
    for (size_t p = 0; p < s->n_chains; p++) {
        const struct chain *ch = &s->chains[p];
        if (ch->pid == g->pid)
            simcfg_fmt(other, sizeof other, "pipelines.%zu.pid", p + 1);
        for (size_t k = 0; k < ch->n_stages; k++)
            if (ch->st[k].pid == g->pid)
                simcfg_fmt(other, sizeof other, "pipelines.%zu.stages.%zu.pid",
                           p + 1, k + 1);
    }
    if (other[0]) {
        simcfg_err(err, errlen, "%s: duplicate pid %u (also %s)", path,
                   (unsigned)g->pid, other);
        return -1;
    }
    return 0;
}

/* The tenant's seeded state: a renderer's scenes, an inference server's
 * burst state, an encoder's first streams. */
static void gten_start(struct gten *g)
{
    double at = 0;

    switch (g->kind) {
    case GTEN_RENDERER:
        g->n_scenes = (size_t)g->n_scenes_cfg;
        for (size_t k = 0; k < g->n_scenes; k++) {
            struct gten_scene *sc = &g->sc[k];
            double u1 = wl_uniform(&g->rng), u2 = wl_uniform(&g->rng);
            double u3 = wl_uniform(&g->rng), u4 = wl_uniform(&g->rng);
            sc->start_s = at;
            sc->hold_s =
                g->scene_min_s + (g->scene_max_s - g->scene_min_s) * u1;
            sc->frame_s = 1e-3 * (g->frame_ms_min +
                                  (g->frame_ms_max - g->frame_ms_min) * u2);
            sc->draws =
                round(g->draws_min + (g->draws_max - g->draws_min) * u3);
            sc->tex_b = g->tex_min_b + (g->tex_max_b - g->tex_min_b) * u4;
            at += sc->hold_s;
        }
        g->cycle_s = at;
        g->scene_id = -1;
        break;
    case GTEN_INFERENCE:
        g->burst = wl_uniform(&g->rng) <
                   g->burst_on_s / (g->burst_on_s + g->burst_off_s);
        g->burst_left =
            wl_exponential(&g->rng, g->burst ? g->burst_on_s : g->burst_off_s);
        break;
    case GTEN_ENCODER:
        g->n_streams = (size_t)g->streams;
        for (size_t k = 0; k < g->n_streams; k++)
            g->end_s[k] = wl_exponential(&g->rng, g->stay_s);
        g->next_join_s = wl_exponential(&g->rng, g->join_s);
        break;
    default:
        break;
    }
}

static int gten_read_one(struct sim *s, size_t t, char *err, size_t errlen)
{
    const struct wattson_host *h = s->host;
    struct gten *g = &s->gten[t];
    char tpath[SIM_PATH_MAX], path[SIM_PATH_MAX + 16];
    const struct pu_params *p;
    const char *str;
    int absent, kind = -1;
    double slo_def;

    simcfg_fmt(tpath, sizeof tpath, "gpu_tenants.%zu", t + 1);
    if (simcfg_expect_table(h, tpath, err, errlen))
        return -1;
    simcfg_fmt(path, sizeof path, "%s.kind", tpath);
    if (!(str = simcfg_str(h, path, 1, &absent, err, errlen)))
        return -1;
    for (int k = 0; gten_kind_names[k]; k++)
        if (strcmp(gten_kind_names[k], str) == 0)
            kind = k;
    if (kind < 0) {
        simcfg_err(err, errlen,
                   "%s: unknown tenant kind '%s' (expected renderer, "
                   "training, inference or encoder)",
                   path, str);
        return -1;
    }
    g->kind = (enum gten_kind)kind;
    if (simcfg_check_keys(h, tpath, gten_keys[kind], err, errlen))
        return -1;

    simcfg_fmt(path, sizeof path, "%s.name", tpath);
    if (!(str = simcfg_str(h, path, 1, &absent, err, errlen)))
        return -1;
    if (!str[0] || strlen(str) >= WATTSON_GPU_NAME_LEN) {
        simcfg_err(err, errlen, "%s: must be 1 to %d characters", path,
                   WATTSON_GPU_NAME_LEN - 1);
        return -1;
    }
    for (size_t j = 0; j < t; j++) {
        if (strcmp(s->gten[j].name, str) == 0) {
            simcfg_err(err, errlen,
                       "%s: duplicate tenant name '%s' (also gpu_tenants.%zu)",
                       path, str, j + 1);
            return -1;
        }
    }
    simcfg_fmt(g->name, sizeof g->name, "%s", str);
    if (gten_read_device(s, tpath, g, err, errlen) ||
        gten_read_pid(s, t, tpath, g, err, errlen))
        return -1;
    p = &s->devs[g->dev].pu.p;

    {
        const struct simcfg_wparam common[] = {
            {"seed", 0, 0, 0, 4294967295.0, &g->seed},
            {"priority", 1, 0, 0, 9, &g->priority},
            {"min_sm", 0, 0, 0, 1, &g->min_sm},
            {"max_sm", 1, 0, 1, 1, &g->max_sm},
        };
        if (simcfg_params(h, tpath, common, sizeof common / sizeof common[0],
                          NULL, err, errlen) ||
            gten_whole(tpath, "seed", g->seed, err, errlen) ||
            gten_whole(tpath, "priority", g->priority, err, errlen) ||
            gten_ordered(tpath, "min_sm", g->min_sm, "max_sm", g->max_sm, err,
                         errlen))
            return -1;
    }
    if (gten_read_params(h, tpath, g, err, errlen) ||
        gten_check_kind(g, p, tpath, err, errlen))
        return -1;
    switch (g->kind) {
    case GTEN_RENDERER:
        slo_def = 55.0; /* fps */
        break;
    case GTEN_TRAINING:
        slo_def = 0.9 * g->peak_rate; /* samples/s */
        break;
    case GTEN_INFERENCE:
        slo_def = 0.05; /* s */
        break;
    default:
        slo_def = 0.95 * g->stream_fps; /* fps per stream */
        break;
    }
    simcfg_fmt(path, sizeof path, "%s.slo", tpath);
    if (simcfg_num(h, path, slo_def, 0, 1, 1e9, &g->slo, err, errlen))
        return -1;

    g->share_sm = g->max_sm;
    g->share_mem = p->mem_total_b;
    g->drop_to = -1;
    wl_seed(&g->rng, h->seed + (uint64_t)g->seed, GTEN_STREAM + (uint64_t)t);
    gten_start(g);
    return 0;
}

int gten_read_all(struct sim *s, char *err, size_t errlen)
{
    struct wattson_proc_desc *procs;
    size_t n;

    if (simcfg_array(s->host, "gpu_tenants", "tenants", GTEN_MAX, &n, err,
                     errlen))
        return -1;
    if (n == 0)
        return 0;
    s->gten = calloc(n, sizeof *s->gten);
    if (!s->gten) {
        simcfg_err(err, errlen, "gpu_tenants: out of memory");
        return -1;
    }
    for (size_t t = 0; t < n; t++)
        if (gten_read_one(s, t, err, errlen))
            return -1;
    /* The guarantees must fit their GPU. */
    for (size_t t = 0; t < n; t++) {
        double sum = 0;
        for (size_t j = 0; j <= t; j++)
            if (s->gten[j].dev == s->gten[t].dev)
                sum += s->gten[j].min_sm;
        if (sum > 1.0 + 1e-9) {
            simcfg_err(err, errlen,
                       "gpu_tenants.%zu.min_sm: the guarantees on '%s' sum to "
                       "%g (more than the whole GPU)",
                       t + 1, s->devs[s->gten[t].dev].name, sum);
            return -1;
        }
    }
    procs = realloc(s->procs, (s->n_procs + n) * sizeof *procs);
    if (!procs) {
        simcfg_err(err, errlen, "gpu_tenants: out of memory");
        return -1;
    }
    s->procs = procs;
    for (size_t t = 0; t < n; t++) {
        struct gten *g = &s->gten[t];
        procs[s->n_procs + t].pid = g->pid;
        procs[s->n_procs + t].device = (uint32_t)g->dev;
        procs[s->n_procs + t].name = g->name;
        s->devs[g->dev].n_tenants++;
    }
    s->n_procs += n;
    s->n_gten = n;
    return 0;
}

void gten_free(struct sim *s)
{
    free(s->gten);
    s->gten = NULL;
    s->n_gten = 0;
}

/* ---- the model ----------------------------------------------------------- */

/* This interval's phase at time t (s since the origin): need, memory,
 * fill rate, launch and PCIe rates at full speed; advances the random
 * processes (bursts, streams) over [t, t + dt]. */
static void gten_phase(struct gten *g, const struct pu_params *p, double t,
                       double dt)
{
    g->lead = 0;
    g->enc_need = 0;
    g->lambda = 0;
    g->fill_bps = p->pcie_bps;
    switch (g->kind) {
    case GTEN_RENDERER: {
        double tc = fmod(t + g->phase_s, g->cycle_s);
        double pass = floor((t + g->phase_s) / g->cycle_s);
        size_t k = 0;
        while (k + 1 < g->n_scenes && tc >= g->sc[k + 1].start_s)
            k++;
        /* A new scene (or the same one on the next pass) replaces the
         * textures: they are freed, and the scene's stream in. */
        if (pass * (double)g->n_scenes + (double)k != g->scene_id) {
            g->scene_id = pass * (double)g->n_scenes + (double)k;
            g->drop_to = g->base_b;
        }
        g->need_mem = g->base_b + g->sc[k].tex_b;
        g->pcie_now = GTEN_REND_UPLOAD_BPS;
        g->bw_coeff = GTEN_BW_RENDER;
        if (tc - g->sc[k].start_s < g->stream_s) {
            /* Streaming the scene in: light frames, memory growing. */
            g->lead = 1;
            g->need_sm = g->frame_ms_min * 1e-3 * g->fps;
            g->launch_hz_now = g->draws_min * g->fps;
            g->fill_bps = g->sc[k].tex_b / g->stream_s;
        } else {
            g->need_sm = g->sc[k].frame_s * g->fps;
            g->launch_hz_now = g->sc[k].draws * g->fps;
        }
        break;
    }
    case GTEN_TRAINING: {
        double tt = t + g->phase_s;
        double ckpt_dur = g->ckpt_b / p->pcie_bps;
        g->need_mem = g->mem_frac * p->mem_total_b;
        if (g->ckpt_every_s > 0 &&
            fmod(tt, g->ckpt_every_s) >= g->ckpt_every_s - ckpt_dur) {
            g->need_sm = GTEN_CKPT_SM;
            g->launch_hz_now = GTEN_CKPT_LAUNCH_HZ;
            g->pcie_now = p->pcie_bps;
            g->bw_coeff = GTEN_BW_CKPT;
        } else if (fmod(tt, g->eval_every_s) >= g->eval_every_s - g->eval_s) {
            g->need_sm = g->eval_sm;
            g->launch_hz_now = g->eval_launch_hz;
            g->pcie_now = g->peak_rate * g->sample_b;
            g->bw_coeff = GTEN_BW_EVAL;
        } else {
            g->need_sm = g->sm;
            g->launch_hz_now = g->launch_hz;
            g->pcie_now = g->peak_rate * g->sample_b;
            g->bw_coeff = GTEN_BW_TRAIN;
        }
        break;
    }
    case GTEN_INFERENCE: {
        double w = g->work_ms * 1e-3;
        double day = sin(2.0 * GTEN_PI * (t + g->phase_s) / g->day_s);
        g->lambda =
            g->rps * (1.0 + g->diurnal * day) * (g->burst ? g->burst_x : 1.0);
        g->need_sm =
            gten_min(1.0, w * (g->lambda + 1.0 / (GTEN_INF_HEADROOM * g->slo)));
        g->need_mem = g->mem_b;
        g->launch_hz_now = g->lambda * GTEN_INF_KERNELS;
        g->pcie_now = g->lambda * GTEN_INF_REQ_B;
        g->bw_coeff = GTEN_BW_INFER;
        /* The Markov-modulated burst over [t, t + dt]. */
        g->burst_left -= dt;
        while (g->burst_left <= 0) {
            g->burst = !g->burst;
            g->burst_left += wl_exponential(&g->rng, g->burst ? g->burst_on_s
                                                              : g->burst_off_s);
        }
        break;
    }
    case GTEN_ENCODER: {
        size_t n = 0;
        double fr;
        for (size_t k = 0; k < g->n_streams; k++)
            if (g->end_s[k] > t)
                g->end_s[n++] = g->end_s[k];
        g->n_streams = n;
        while (g->next_join_s <= t) {
            if (g->n_streams < (size_t)g->max_streams)
                g->end_s[g->n_streams++] =
                    g->next_join_s + wl_exponential(&g->rng, g->stay_s);
            g->next_join_s += wl_exponential(&g->rng, g->join_s);
        }
        fr = (double)g->n_streams * g->stream_fps;
        g->need_sm = gten_min(1.0, (double)g->n_streams * g->sm_per_stream);
        g->enc_need = (double)g->n_streams * g->enc_per_stream;
        g->need_mem =
            GTEN_ENC_BASE_B + (double)g->n_streams * GTEN_ENC_STREAM_B;
        g->launch_hz_now = fr * GTEN_ENC_KERNELS;
        g->pcie_now = fr * GTEN_ENC_FRAME_B;
        g->bw_coeff = GTEN_BW_ENC;
        break;
    }
    default:
        break;
    }
}

/* Moves the tenant's held memory towards min(need, limit) over dt;
 * returns the bytes moved over PCIe. */
static double gten_memory(struct gten *g, struct sim_dev *d, double dt)
{
    const struct pu_params *p = &d->pu.p;
    double target = gten_min(g->need_mem, g->share_mem), moved = 0;

    if (g->drop_to >= 0 && g->held_b > g->drop_to) { /* textures freed */
        d->mem_used -= g->held_b - g->drop_to;
        g->held_b = g->drop_to;
    }
    g->drop_to = -1;
    if (g->held_b > g->need_mem) { /* freed: nothing to copy */
        d->mem_used -= g->held_b - g->need_mem;
        g->held_b = g->need_mem;
    }
    if (g->held_b > g->share_mem) { /* evicted to the host */
        double out = gten_min(g->held_b - g->share_mem, p->pcie_bps * dt);
        g->held_b -= out;
        d->mem_used -= out;
        moved += out;
    }
    if (g->held_b < target) {
        double room = p->mem_total_b - d->mem_used;
        double in = gten_min(target - g->held_b,
                             gten_min(g->fill_bps, p->pcie_bps) * dt);
        in = gten_min(in, room > 0 ? room : 0);
        g->held_b += in;
        d->mem_used += in;
        moved += in;
    }
    return moved;
}

/* A noisy reading of a fraction. */
static double gten_frac_noise(struct gten *g, double v)
{
    return gten_clamp(v + GTEN_NOISE_FRAC * wl_normal(&g->rng), 0.0, 1.0);
}

/* A noisy reading of a rate (relative noise, never negative). */
static double gten_rate_noise(struct gten *g, double v, double rel)
{
    double r = v * (1.0 + rel * wl_normal(&g->rng));
    return r > 0 ? r : 0.0;
}

/* Grants, memory, performance and the record of one tenant. */
static void gten_serve(struct gten *g, struct sim_dev *d, double dt)
{
    const struct pu_params *p = &d->pu.p;
    double f_top = p->pstates[p->n_pstates - 1].freq_hz;
    double slow = f_top / pu_freq(&d->pu);
    double granted = d->want_sum > 1.0 ? g->want / d->want_sum : g->want;
    double moved = gten_memory(g, d, dt);
    double memf = 1.0, used, ratio, perf, slo = g->slo;
    struct wattson_gpu_proc *r = &g->rec;

    if (!g->lead && g->need_mem > 0) {
        double m = gten_min(1.0, g->held_b / g->need_mem);
        memf = m * m;
    }
    if (g->kind == GTEN_INFERENCE) {
        double w_eff = g->work_ms * 1e-3 * slow;
        double mu = granted / w_eff * memf;
        used = gten_min(g->lambda * w_eff, granted);
        perf = mu > g->lambda ? gten_min(GTEN_LAT_CAP_S, 1.0 / (mu - g->lambda))
                              : GTEN_LAT_CAP_S;
        ratio = g->lambda > 0 ? gten_min(1.0, mu / g->lambda) : 1.0;
    } else {
        double eff = g->need_sm * slow;
        used = granted;
        ratio = eff > 0 ? gten_min(1.0, granted / eff) : 1.0;
        ratio *= memf;
        if (g->kind == GTEN_ENCODER && d->enc_sum > p->nvenc)
            ratio = gten_min(ratio, p->nvenc / d->enc_sum);
        perf = g->kind == GTEN_RENDERER ? g->fps * ratio
               : g->kind == GTEN_TRAINING
                   ? g->peak_rate * ratio
                   : (double)g->n_streams * g->stream_fps * ratio;
        if (g->kind == GTEN_ENCODER)
            slo = g->slo * (double)g->n_streams;
    }
    d->gload += used / slow;

    r->device = (uint32_t)g->dev;
    r->pid = g->pid;
    memcpy(r->name, g->name, sizeof r->name);
    r->perf_kind = g->kind == GTEN_RENDERER    ? WATTSON_GPU_PERF_FPS
                   : g->kind == GTEN_INFERENCE ? WATTSON_GPU_PERF_LATENCY
                                               : WATTSON_GPU_PERF_RATE;
    r->sm = gten_frac_noise(g, used);
    r->mem_bytes = g->held_b;
    r->mem_bw = gten_frac_noise(g, gten_min(1.0, g->bw_coeff * used / slow));
    r->launches = gten_rate_noise(g, g->launch_hz_now * ratio, GTEN_NOISE_RATE);
    r->pcie_bps =
        gten_rate_noise(g, g->pcie_now * ratio + moved / dt, GTEN_NOISE_RATE);
    r->enc =
        g->kind == GTEN_ENCODER
            ? gten_frac_noise(g, gten_min(1.0, g->enc_need * ratio / p->nvenc))
            : 0.0;
    r->dec = 0.0;
    r->perf = gten_rate_noise(g, perf, GTEN_NOISE_PERF);
    r->slo = slo;
    r->need_sm = g->need_sm;
    r->need_mem = g->need_mem;
}

void gten_step_all(struct sim *s, double t0, double dt)
{
    for (size_t t = 0; t < s->n_gten; t++) {
        struct sim_dev *d = &s->devs[s->gten[t].dev];
        d->want_sum = d->enc_sum = d->gload = 0;
    }
    for (size_t t = 0; t < s->n_gten; t++) {
        struct gten *g = &s->gten[t];
        struct sim_dev *d = &s->devs[g->dev];
        const struct pu_params *p = &d->pu.p;
        double slow = p->pstates[p->n_pstates - 1].freq_hz / pu_freq(&d->pu);
        gten_phase(g, p, t0, dt);
        g->want = gten_min(1.0, gten_min(g->need_sm * slow, g->share_sm));
        d->want_sum += g->want;
        d->enc_sum += g->enc_need;
    }
    for (size_t t = 0; t < s->n_gten; t++)
        gten_serve(&s->gten[t], &s->devs[s->gten[t].dev], dt);
}

int gten_procs_read(const struct sim *s, struct wattson_gpu_proc *p, size_t max)
{
    size_t n;

    if (!s || (max > 0 && !p))
        return WATTSON_ERR;
    if (!s->gten_have)
        return 0;
    n = s->n_gten < max ? s->n_gten : max;
    for (size_t t = 0; t < n; t++)
        p[t] = s->gten[t].rec;
    return (int)n; /* n <= GTEN_MAX */
}

int gten_share_write(struct sim *s, const struct wattson_gpu_share *sh,
                     size_t n)
{
    if (!s || (n > 0 && !sh))
        return WATTSON_ERR;
    /* Validate the whole batch first so that a bad entry changes nothing. */
    for (size_t i = 0; i < n; i++)
        if (!(sh[i].sm >= 0 && sh[i].sm <= 1) || !(sh[i].mem_bytes >= 0) ||
            !isfinite(sh[i].mem_bytes))
            return WATTSON_ERR;
    for (size_t i = 0; i < n; i++) {
        for (size_t t = 0; t < s->n_gten; t++) {
            struct gten *g = &s->gten[t];
            if (g->pid == sh[i].pid && g->dev == sh[i].device) {
                g->share_sm = sh[i].sm;
                g->share_mem = sh[i].mem_bytes;
            }
        }
    }
    return WATTSON_OK;
}

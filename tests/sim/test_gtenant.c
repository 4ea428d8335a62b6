/*
 * test_gtenant - the sim driver's GPU tenants (a lab's `gpu_tenants`):
 * each kind's phases (the renderer's streaming lead before its heavy
 * frames, training's evaluation and checkpoint, inference's day and
 * bursts, the encoder's streams), shares capping use and perf, memory
 * limits and rate-limited growth, time-slicing, the GPU's util and power
 * following its tenants, the clock effect, determinism from the seed,
 * every configuration error, and the records' fields.
 */
#include "fakehost.h"
#include "t.h"

#define TICK 0.1
#define MAXR 16
#define A100_MEM (40.0 * 1073741824.0)
#define A100_PCIE 25e9

/* A lab with gpu0 (A100) and gpu1 (T4), neither with a workload. */
static void lab(void)
{
    fh_reset();
    fh_dev(1, "gpu0", "gpu", "a100-pcie", 0);
    fh_del("devices.1.workload.kind");
    fh_del("devices.1.workload.level");
    fh_dev(2, "gpu1", "gpu", "t4", 0);
    fh_del("devices.2.workload.kind");
    fh_del("devices.2.workload.level");
}

static void tenant(int i, const char *name, const char *dev, double pid,
                   const char *kind)
{
    fh_str(name, "gpu_tenants.%d.name", i);
    fh_str(dev, "gpu_tenants.%d.device", i);
    fh_num(pid, "gpu_tenants.%d.pid", i);
    fh_str(kind, "gpu_tenants.%d.kind", i);
}

/* Advances one tick and reads the records; returns how many. */
static int step(struct fh_run *r, struct wattson_gpu_proc *rec)
{
    fh_advance(TICK);
    fh_read(r);
    return r->pl->gpu_procs_read(r->st, rec, MAXR);
}

static int share(struct fh_run *r, uint32_t dev, uint32_t pid, double sm,
                 double mem)
{
    struct wattson_gpu_share s = {dev, pid, sm, mem};
    return r->pl->gpu_share_write(r->st, &s, 1);
}

/* Opens the lab and reads the first (report-only) sample. */
static void open_lab(struct fh_run *r)
{
    T_CHECK(fh_open(r) == WATTSON_OK);
    if (!r->st) {
        fprintf(stderr, "open failed: %s\n", r->err);
        exit(1);
    }
    fh_read(r);
}

/* ---- configuration errors ------------------------------------------------ */

static void expect_err(const char *want)
{
    struct fh_run r;
    int rc = fh_open(&r);
    T_CHECK(rc == WATTSON_ERR_CONFIG);
    T_STREQ(r.err, want);
    T_CHECK(strchr(r.err, '\n') == NULL);
    fh_close(&r);
}

static void base1(const char *kind)
{
    lab();
    tenant(1, "a", "gpu0", 5001, kind);
}

static void test_config_errors(void)
{
    base1("x");
    expect_err("gpu_tenants.1.kind: unknown tenant kind 'x' (expected "
               "renderer, training, inference or encoder)");
    base1("training");
    fh_num(3, "gpu_tenants.1.fps");
    expect_err("gpu_tenants.1.fps: unknown key (expected one of: name, "
               "device, pid, kind, seed, slo, priority, min_sm, max_sm, "
               "phase_s, sm, mem_frac, launch_hz, eval_every_s, eval_s, "
               "eval_sm, eval_launch_hz, ckpt_every_s, ckpt_b, peak_rate, "
               "sample_b)");
    lab();
    fh_num(1, "gpu_tenants");
    expect_err("gpu_tenants: expected a table of tenants, got number");
    base1("training");
    fh_del("gpu_tenants.1.kind");
    expect_err("gpu_tenants.1.kind: missing (a string is required)");
    base1("training");
    fh_str("", "gpu_tenants.1.name");
    expect_err("gpu_tenants.1.name: must be 1 to 31 characters");
    base1("training");
    fh_str("abcdefghijklmnopqrstuvwxyz0123456", "gpu_tenants.1.name");
    expect_err("gpu_tenants.1.name: must be 1 to 31 characters");
    base1("training");
    tenant(2, "a", "gpu0", 5002, "training");
    expect_err("gpu_tenants.2.name: duplicate tenant name 'a' (also "
               "gpu_tenants.1)");
    base1("training");
    fh_str("gpu9", "gpu_tenants.1.device");
    expect_err("gpu_tenants.1.device: unknown device 'gpu9'");
    base1("training");
    fh_dev(3, "cpu0", "cpu", "zen3-core", 0.1);
    fh_str("cpu0", "gpu_tenants.1.device");
    expect_err("gpu_tenants.1.device: device 'cpu0' is a cpu, not a gpu");
    base1("training");
    fh_str("constant", "devices.1.workload.kind");
    expect_err("gpu_tenants.1.device: device 'gpu0' has a workload "
               "(devices.1.workload); a GPU with tenants takes its load from "
               "them");
    base1("training");
    fh_num(0, "devices.1.mem_total_b");
    expect_err("gpu_tenants.1.device: device 'gpu0' has no memory or PCIe "
               "rate (set mem_total_b and pcie_bps)");
    base1("training");
    fh_del("gpu_tenants.1.pid");
    expect_err("gpu_tenants.1.pid: missing (a process id is required)");
    base1("training");
    fh_num(1.5, "gpu_tenants.1.pid");
    expect_err("gpu_tenants.1.pid: must be a whole number, got 1.5");
    base1("training");
    tenant(2, "b", "gpu0", 5001, "training");
    expect_err("gpu_tenants.2.pid: duplicate pid 5001 (also "
               "gpu_tenants.1.pid)");
    /* a pid of a pipeline's stage */
    base1("training");
    fh_dev(3, "cpu0", "cpu", "zen3-core", 0);
    fh_num(4100, "pipelines.1.pid");
    fh_str("constant", "pipelines.1.source.kind");
    fh_str("cpu0", "pipelines.1.stages.1.device");
    fh_num(5001, "pipelines.1.stages.1.pid");
    expect_err("gpu_tenants.1.pid: duplicate pid 5001 (also "
               "pipelines.1.stages.1.pid)");
    base1("training");
    fh_num(2.5, "gpu_tenants.1.priority");
    expect_err("gpu_tenants.1.priority: must be a whole number, got 2.5");
    base1("training");
    fh_num(10, "gpu_tenants.1.priority");
    expect_err("gpu_tenants.1.priority: must be <= 9, got 10");
    base1("training");
    fh_num(0.6, "gpu_tenants.1.min_sm");
    fh_num(0.5, "gpu_tenants.1.max_sm");
    expect_err("gpu_tenants.1.min_sm: 0.6 is above max_sm 0.5");
    base1("training");
    fh_num(0.6, "gpu_tenants.1.min_sm");
    tenant(2, "b", "gpu0", 5002, "inference");
    fh_num(0.5, "gpu_tenants.2.min_sm");
    expect_err("gpu_tenants.2.min_sm: the guarantees on 'gpu0' sum to 1.1 "
               "(more than the whole GPU)");
    base1("training");
    fh_num(0, "gpu_tenants.1.slo");
    expect_err("gpu_tenants.1.slo: must be > 0, got 0");
    base1("training");
    fh_num(60, "gpu_tenants.1.eval_s");
    expect_err("gpu_tenants.1.eval_s: 60 s must be shorter than "
               "eval_every_s 60 s");
    base1("training");
    fh_num(4e12, "gpu_tenants.1.ckpt_b");
    expect_err("gpu_tenants.1.ckpt_b: a checkpoint takes 160 s over PCIe, "
               "not shorter than ckpt_every_s 120 s");
    base1("renderer");
    fh_num(5, "gpu_tenants.1.stream_s");
    expect_err("gpu_tenants.1.stream_s: 5 s must be shorter than scene_min_s "
               "5 s (the heavy frames follow the streaming)");
    base1("renderer");
    fh_num(20, "gpu_tenants.1.frame_ms_max");
    expect_err("gpu_tenants.1.frame_ms_max: 20 ms at 60 fps needs more than "
               "the whole GPU");
    base1("renderer");
    fh_num(30, "gpu_tenants.1.scene_min_s");
    expect_err("gpu_tenants.1.scene_min_s: 30 is above scene_max_s 20");
    base1("renderer");
    fh_num(2.5, "gpu_tenants.1.scenes");
    expect_err("gpu_tenants.1.scenes: must be a whole number, got 2.5");
    base1("renderer");
    fh_num(17, "gpu_tenants.1.scenes");
    expect_err("gpu_tenants.1.scenes: must be <= 16, got 17");
    base1("renderer");
    fh_num(43e9, "gpu_tenants.1.tex_max_b");
    expect_err("gpu_tenants.1.tex_max_b: base_b + tex_max_b = 4.35e+10 B "
               "exceeds the GPU's memory (4.29497e+10 B)");
    base1("inference");
    fh_num(50e9, "gpu_tenants.1.mem_b");
    expect_err("gpu_tenants.1.mem_b: 5e+10 B exceeds the GPU's memory "
               "(4.29497e+10 B)");
    base1("inference");
    fh_str("fast", "gpu_tenants.1.rps");
    expect_err("gpu_tenants.1.rps: expected a number, got string");
    base1("encoder");
    expect_err("gpu_tenants.1.device: this GPU has no video encoder (NVENC); "
               "an encoder tenant needs one (the A100 has none)");
    base1("encoder");
    fh_str("gpu1", "gpu_tenants.1.device");
    fh_num(9, "gpu_tenants.1.streams");
    expect_err("gpu_tenants.1.streams: 9 is above max_streams 8");
}

/* ---- phases -------------------------------------------------------------- */

/* The renderer streams each scene's textures in (memory growing, PCIe
 * busy, light frames) before the scene's heavy frames, and the scene loop
 * repeats. */
static void test_renderer(void)
{
    struct fh_run r;
    struct wattson_gpu_proc rec[MAXR];
    double light = 0.002 * 60, heavy_max = 0, need_at[200];
    int lead_ticks = 0, lead_pcie = 0, grew = 0, heavy_ok = 1;

    base1("renderer");
    fh_num(4, "gpu_tenants.1.scenes");
    fh_num(10, "gpu_tenants.1.scene_min_s");
    fh_num(10, "gpu_tenants.1.scene_max_s");
    fh_num(2, "gpu_tenants.1.frame_ms_min");
    fh_num(1, "gpu_tenants.1.stream_s");
    open_lab(&r);
    for (int i = 0; i < 800; i++) { /* two passes of the 40 s loop */
        double t = i * TICK + 1e-9, into = fmod(t, 10.0);
        double mem_before = i > 0 ? rec[0].mem_bytes : 0;
        T_CHECK(step(&r, rec) == 1);
        if (into < 1.0 - 1e-6) {
            /* the lead: light frames, textures coming in */
            lead_ticks++;
            T_NEAR(rec[0].need_sm, light, 1e-12);
            if (rec[0].pcie_bps > 1e9)
                lead_pcie++;
            if (rec[0].mem_bytes > mem_before)
                grew++;
        } else {
            if (rec[0].need_sm < light - 1e-12)
                heavy_ok = 0;
            if (rec[0].need_sm > heavy_max)
                heavy_max = rec[0].need_sm;
            /* by now the scene's textures are in */
            T_NEAR(rec[0].mem_bytes, rec[0].need_mem, 1.0);
        }
        if (i < 200)
            need_at[i] = rec[0].need_sm;
        else if (i >= 400 && i < 600)
            T_NEAR(rec[0].need_sm, need_at[i - 400], 1e-12); /* repeats */
    }
    T_CHECK(lead_ticks == 80); /* 10 ticks of each of 8 scene entries */
    T_CHECK(lead_pcie >= 70);
    T_CHECK(grew >= 70); /* every entry reloads its scene's textures */
    T_CHECK(heavy_ok);
    T_CHECK(heavy_max > 3 * light);
    T_CHECK(rec[0].perf_kind == WATTSON_GPU_PERF_FPS);
    T_NEAR(rec[0].slo, 55, 0);
    fh_close(&r);
}

/* Training: steady, evaluation in the last eval_s of each period, a
 * checkpoint at the end of each ckpt period, memory mem_frac of the GPU's
 * loaded at the PCIe rate. */
static void test_training(void)
{
    struct fh_run r;
    struct wattson_gpu_proc rec[MAXR];
    int evals = 0, ckpts = 0;

    base1("training");
    fh_num(20, "gpu_tenants.1.eval_every_s");
    fh_num(4, "gpu_tenants.1.eval_s");
    fh_num(30, "gpu_tenants.1.ckpt_every_s");
    fh_num(25e9, "gpu_tenants.1.ckpt_b"); /* 1 s at 25 GB/s */
    open_lab(&r);
    step(&r, rec);
    /* 0.1 s at 25 GB/s of the 24 GiB it needs */
    T_NEAR(rec[0].mem_bytes, A100_PCIE * TICK, 1.0);
    T_NEAR(rec[0].need_mem, 0.6 * A100_MEM, 1.0);
    for (int i = 1; i < 600; i++) {
        double t = i * TICK + 1e-9;
        step(&r, rec);
        if (fmod(t, 30.0) >= 29.0) {
            ckpts++;
            T_NEAR(rec[0].need_sm, 0.05, 1e-12);
            T_CHECK(rec[0].pcie_bps > 0.9 * A100_PCIE);
        } else if (fmod(t, 20.0) >= 16.0) {
            evals++;
            T_NEAR(rec[0].need_sm, 0.3, 1e-12);
            if (i >= 20)
                T_NEAR(rec[0].launches, 800, 800 * 0.1);
        } else {
            T_NEAR(rec[0].need_sm, 0.6, 1e-12);
            if (i >= 20)
                T_NEAR(rec[0].launches, 1500, 1500 * 0.1);
        }
        if (i >= 20) {
            /* loaded, alone, full share: its rate meets the SLO */
            T_NEAR(rec[0].mem_bytes, 0.6 * A100_MEM, 1.0);
            T_CHECK(rec[0].perf >= rec[0].slo);
        }
    }
    /* [16,20) [36,40) [56,59): the checkpoint of [59,60) comes first */
    T_CHECK(evals == 40 + 40 + 30);
    T_CHECK(ckpts == 20);
    T_NEAR(rec[0].slo, 900, 1e-9);
    T_CHECK(rec[0].perf_kind == WATTSON_GPU_PERF_RATE);
    fh_close(&r);
}

/* Inference: the diurnal sinusoid of arrivals, then the on/off bursts. */
static void test_inference(void)
{
    struct fh_run r;
    struct wattson_gpu_proc rec[MAXR];
    double lo = 1, hi = 0;
    int on = 0, off = 0, flips = 0, last = -1;
    const double w = 0.001, head = 1.0 / (0.5 * 0.05);

    base1("inference");
    fh_num(1, "gpu_tenants.1.burst_x");
    fh_num(100, "gpu_tenants.1.day_s");
    open_lab(&r);
    for (int i = 0; i < 1000; i++) {
        step(&r, rec);
        if (i == 250) /* t = 25 s: the day's peak, 1.5 x 200 rps */
            T_NEAR(rec[0].need_sm, w * (300 + head), 1e-6);
        if (i == 750) /* the trough */
            T_NEAR(rec[0].need_sm, w * (100 + head), 1e-6);
        if (i >= 20 && rec[0].perf > rec[0].slo)
            hi = 2; /* alone on an A100: never above its SLO */
    }
    T_CHECK(hi < 1);
    T_CHECK(rec[0].perf_kind == WATTSON_GPU_PERF_LATENCY);
    fh_close(&r);

    base1("inference");
    fh_num(0, "gpu_tenants.1.diurnal");
    fh_num(3, "gpu_tenants.1.burst_x");
    fh_num(2, "gpu_tenants.1.burst_on_s");
    fh_num(8, "gpu_tenants.1.burst_off_s");
    open_lab(&r);
    hi = 0;
    for (int i = 0; i < 6000; i++) {
        int b;
        step(&r, rec);
        b = rec[0].need_sm > w * (400 + head);
        if (b) {
            on++;
            T_NEAR(rec[0].need_sm, w * (600 + head), 1e-9);
        } else {
            off++;
            T_NEAR(rec[0].need_sm, w * (200 + head), 1e-9);
        }
        if (last >= 0 && b != last)
            flips++;
        last = b;
        if (rec[0].sm < lo)
            lo = rec[0].sm;
    }
    /* 600 s of 2 s on / 8 s off: ~60 bursts, ~20 % of the time on */
    T_CHECK(flips > 60 && flips < 180);
    T_CHECK(on > 6000 * 0.1 && on < 6000 * 0.35);
    T_CHECK(off > on);
    fh_close(&r);
}

/* Encoder on the T4: streams join and leave, within max_streams. */
static void test_encoder(void)
{
    struct fh_run r;
    struct wattson_gpu_proc rec[MAXR];
    int nmin = 99, nmax = -1, changes = 0, last = -1;

    lab();
    tenant(1, "enc", "gpu1", 7000, "encoder");
    fh_num(5, "gpu_tenants.1.join_s");
    fh_num(30, "gpu_tenants.1.stay_s");
    fh_num(6, "gpu_tenants.1.max_streams");
    open_lab(&r);
    for (int i = 0; i < 3000; i++) {
        int n;
        step(&r, rec);
        n = (int)lround(rec[0].need_sm / 0.02);
        T_NEAR(rec[0].need_mem, 256.0 * 1048576 + n * 128.0 * 1048576, 1);
        T_NEAR(rec[0].slo, 28.5 * n, 1e-9);
        if (n > 0) {
            T_NEAR(rec[0].perf, 30.0 * n, 30.0 * n * 0.06);
            T_NEAR(rec[0].enc, 0.1 * n, 0.05);
        }
        if (last >= 0 && n != last)
            changes++;
        last = n;
        nmin = n < nmin ? n : nmin;
        nmax = n > nmax ? n : nmax;
    }
    T_CHECK(nmax == 6); /* joins every ~5 s fill it */
    T_CHECK(nmin <= 2);
    T_CHECK(changes > 10);
    T_NEAR(rec[0].dec, 0, 0);
    fh_close(&r);
}

/* ---- shares, memory, contention, the GPU --------------------------------- */

/* A share below need lowers perf below the SLO; at need it meets it; a
 * written share takes effect at the next tick. */
static void test_shares(void)
{
    struct fh_run r;
    struct wattson_gpu_proc rec[MAXR];

    base1("training");
    fh_num(0, "gpu_tenants.1.ckpt_every_s");
    fh_num(1000, "gpu_tenants.1.eval_every_s");
    fh_num(0, "gpu_tenants.1.eval_s");
    tenant(2, "inf", "gpu0", 5002, "inference");
    fh_num(0, "gpu_tenants.2.diurnal");
    fh_num(1, "gpu_tenants.2.burst_x");
    open_lab(&r);
    for (int i = 0; i < 20; i++)
        step(&r, rec);
    T_CHECK(rec[0].perf >= rec[0].slo && rec[1].perf <= rec[1].slo);
    T_CHECK(share(&r, 0, 5001, 0.3, A100_MEM) == WATTSON_OK);
    T_CHECK(share(&r, 0, 5002, 0.15, A100_MEM) == WATTSON_OK);
    step(&r, rec);
    T_NEAR(rec[0].sm, 0.3, 0.05);
    T_NEAR(rec[0].perf, 1000 * 0.3 / 0.6, 1000 * 0.5 * 0.05);
    T_CHECK(rec[0].perf < rec[0].slo);
    /* 0.15 < 200 x 1 ms + 0.04: latency 1/(150 - 200) capped */
    T_NEAR(rec[1].perf, 10.0, 0.5);
    T_CHECK(rec[1].perf > rec[1].slo);
    /* shares at need: both meet their SLO, inference at half of it */
    T_CHECK(share(&r, 0, 5001, 0.6, A100_MEM) == WATTSON_OK);
    T_CHECK(share(&r, 0, 5002, rec[1].need_sm, A100_MEM) == WATTSON_OK);
    step(&r, rec);
    T_CHECK(rec[0].perf >= rec[0].slo);
    T_NEAR(rec[1].perf, 0.025, 0.025 * 0.05);
    T_NEAR(rec[1].sm, 0.2, 0.05); /* it uses its busy fraction */
    /* unknown pid: skipped; NaN: refused, nothing changed */
    T_CHECK(share(&r, 0, 4242, 0.1, 0) == WATTSON_OK);
    T_CHECK(share(&r, 1, 5001, 0.1, 0) == WATTSON_OK); /* not on gpu1 */
    T_CHECK(share(&r, 0, 5001, NAN, 0) == WATTSON_ERR);
    T_CHECK(share(&r, 0, 5001, 0.5, NAN) == WATTSON_ERR);
    step(&r, rec);
    T_CHECK(rec[0].perf >= rec[0].slo);
    fh_close(&r);
}

/* A memory limit below need evicts at the PCIe rate and degrades perf by
 * (limit/need)^2; raising it grows memory back at the PCIe rate. */
static void test_memory(void)
{
    struct fh_run r;
    struct wattson_gpu_proc rec[MAXR];
    double need = 0.6 * A100_MEM, held;

    base1("training");
    fh_num(0, "gpu_tenants.1.ckpt_every_s");
    fh_num(1000, "gpu_tenants.1.eval_every_s");
    open_lab(&r);
    for (int i = 0; i < 9; i++) { /* 0.9 s: not all in yet */
        step(&r, rec);
        T_NEAR(rec[0].mem_bytes, A100_PCIE * TICK * (i + 1), 1.0);
        T_NEAR(rec[0].pcie_bps, A100_PCIE + 1000 * 1.1e5 * rec[0].perf / 1000,
               0.1 * A100_PCIE);
    }
    for (int i = 0; i < 20; i++)
        step(&r, rec);
    T_NEAR(rec[0].mem_bytes, need, 1);
    T_CHECK(rec[0].perf >= rec[0].slo);
    T_CHECK(share(&r, 0, 5001, 1.0, need / 2) == WATTSON_OK);
    step(&r, rec);
    T_NEAR(rec[0].mem_bytes, need - A100_PCIE * TICK, 1); /* evicting */
    for (int i = 0; i < 10; i++)
        step(&r, rec);
    T_NEAR(rec[0].mem_bytes, need / 2, 1);
    T_NEAR(rec[0].perf, 1000 * 0.25, 1000 * 0.25 * 0.05);
    T_CHECK(rec[0].perf < rec[0].slo);
    T_NEAR(fh_sig(&r, 0, "mem_used"), need / 2, 1);
    T_NEAR(fh_sig(&r, 0, "mem_total"), A100_MEM, 0);
    T_CHECK(share(&r, 0, 5001, 1.0, A100_MEM) == WATTSON_OK);
    held = rec[0].mem_bytes;
    step(&r, rec);
    T_NEAR(rec[0].mem_bytes, held + A100_PCIE * TICK, 1);
    fh_close(&r);
}

/* Two tenants wanting 1.2 of the GPU, uncontrolled: each gets want / 1.2;
 * the GPU's util is the tenants' sum, and its power follows. */
static void test_timeslice(void)
{
    struct fh_run r;
    struct wattson_gpu_proc rec[MAXR];
    double p_busy, util;

    base1("training");
    tenant(2, "b", "gpu0", 5002, "training");
    for (int i = 1; i <= 2; i++) {
        fh_num(0, "gpu_tenants.%d.ckpt_every_s", i);
        fh_num(1000, "gpu_tenants.%d.eval_every_s", i);
        fh_num(0.3, "gpu_tenants.%d.mem_frac", i);
    }
    open_lab(&r);
    for (int i = 0; i < 30; i++)
        step(&r, rec);
    for (int k = 0; k < 2; k++) {
        T_NEAR(rec[k].sm, 0.5, 0.05);
        T_NEAR(rec[k].perf, 1000 * 0.5 / 0.6, 1000 * 0.05);
        T_CHECK(rec[k].perf < rec[k].slo);
    }
    util = fh_sig(&r, 0, "util");
    T_NEAR(util, 1.0, 1e-9);
    p_busy = fh_sig(&r, 0, "power");
    /* one of them capped to 0.2: the other gets its 0.6, util 0.8 */
    T_CHECK(share(&r, 0, 5002, 0.2, A100_MEM) == WATTSON_OK);
    for (int i = 0; i < 3; i++)
        step(&r, rec);
    T_NEAR(rec[0].sm, 0.6, 0.05);
    T_CHECK(rec[0].perf >= rec[0].slo);
    T_NEAR(fh_sig(&r, 0, "util"), 0.8, 1e-9);
    T_CHECK(fh_sig(&r, 0, "power") < p_busy);
    /* the idle T4 */
    T_NEAR(fh_sig(&r, 1, "util"), 0, 0);
    fh_close(&r);
}

/* A GPU held at half its clock: the tenants need twice the SM time. */
static void test_clock(void)
{
    struct fh_run r;
    struct wattson_gpu_proc rec[MAXR];
    double f, slow;

    base1("training");
    fh_num(0.4, "gpu_tenants.1.sm");
    fh_num(0, "gpu_tenants.1.ckpt_every_s");
    fh_num(1000, "gpu_tenants.1.eval_every_s");
    open_lab(&r);
    for (int i = 0; i < 20; i++)
        step(&r, rec);
    T_NEAR(rec[0].sm, 0.4, 0.05);
    T_NEAR(fh_sig(&r, 0, "util"), 0.4, 1e-9);
    T_CHECK(fh_write(&r, 0, "freq", 705e6) == WATTSON_OK);
    step(&r, rec); /* the clock changes here */
    f = fh_sig(&r, 0, "freq");
    slow = 1410e6 / f;
    T_CHECK(slow > 1.9 && slow < 2.1);
    step(&r, rec); /* the tenants see it */
    T_NEAR(rec[0].need_sm, 0.4, 1e-12);
    T_NEAR(rec[0].sm, 0.4 * slow, 0.05);
    T_NEAR(fh_sig(&r, 0, "util"), 0.4 * slow, 1e-9);
    T_CHECK(rec[0].perf >= rec[0].slo);
    /* capped at 0.6 it no longer keeps up */
    T_CHECK(share(&r, 0, 5001, 0.6, A100_MEM) == WATTSON_OK);
    step(&r, rec);
    T_NEAR(rec[0].perf, 1000 * 0.6 / (0.4 * slow), 1000 * 0.05);
    T_CHECK(rec[0].perf < rec[0].slo);
    fh_close(&r);
}

/* ---- records, determinism ------------------------------------------------ */

static void mixed(uint64_t seed)
{
    lab();
    fh_host.seed = seed;
    tenant(1, "render", "gpu0", 5001, "renderer");
    tenant(2, "train", "gpu0", 5002, "training");
    tenant(3, "serve", "gpu0", 5003, "inference");
    tenant(4, "serve2", "gpu1", 5101, "inference");
    fh_num(2.5, "gpu_tenants.4.work_ms");
    tenant(5, "enc", "gpu1", 5102, "encoder");
}

static void run_mixed(uint64_t seed, struct wattson_gpu_proc *out, int ticks)
{
    struct fh_run r;
    mixed(seed);
    open_lab(&r);
    for (int i = 0; i < ticks; i++)
        T_CHECK(step(&r, out) == 5);
    fh_close(&r);
}

static void test_records(void)
{
    static const uint32_t pids[5] = {5001, 5002, 5003, 5101, 5102};
    static const uint32_t kinds[5] = {
        WATTSON_GPU_PERF_FPS, WATTSON_GPU_PERF_RATE, WATTSON_GPU_PERF_LATENCY,
        WATTSON_GPU_PERF_LATENCY, WATTSON_GPU_PERF_RATE};
    struct fh_run r;
    struct wattson_gpu_proc rec[MAXR], a[MAXR], b[MAXR], c[MAXR];
    double sum = 0;

    mixed(1);
    open_lab(&r);
    /* the process table: the tenants, on their GPUs */
    T_CHECK(r.inv.n_procs == 5);
    T_CHECK(r.inv.procs[3].pid == 5101 && r.inv.procs[3].device == 1);
    T_STREQ(r.inv.procs[0].name, "render");
    /* nothing measured before the first interval */
    T_CHECK(r.pl->gpu_procs_read(r.st, rec, MAXR) == 0);
    for (int i = 0; i < 50; i++)
        step(&r, rec);
    T_CHECK(r.pl->gpu_procs_read(r.st, rec, 2) == 2); /* at most max */
    T_CHECK(r.pl->gpu_procs_read(r.st, rec, MAXR) == 5);
    for (int k = 0; k < 5; k++) {
        T_CHECK(rec[k].pid == pids[k]);
        T_CHECK(rec[k].device == (k < 3 ? 0u : 1u));
        T_CHECK(rec[k].perf_kind == kinds[k]);
        T_CHECK(rec[k].sm >= 0 && rec[k].sm <= 1);
        T_CHECK(rec[k].mem_bw >= 0 && rec[k].mem_bw <= 1);
        T_CHECK(rec[k].mem_bytes > 0 && rec[k].mem_bytes <= rec[k].need_mem);
        T_CHECK(rec[k].launches > 0 && isfinite(rec[k].launches));
        T_CHECK(rec[k].pcie_bps > 0 && isfinite(rec[k].pcie_bps));
        T_CHECK(rec[k].enc >= 0 && rec[k].enc <= 1 && rec[k].dec == 0);
        T_CHECK(rec[k].perf >= 0 && isfinite(rec[k].perf));
        T_CHECK(rec[k].slo > 0);
        T_CHECK(rec[k].need_sm > 0 && rec[k].need_sm <= 1);
        T_CHECK(rec[k].need_mem > 0);
        if (k < 3)
            sum += rec[k].sm;
    }
    T_STREQ(rec[2].name, "serve");
    T_CHECK(rec[4].enc > 0);
    /* the A100's util is the sum of its tenants' SM time (noise aside) */
    T_NEAR(fh_sig(&r, 0, "util"), sum, 0.05);
    T_NEAR(fh_sig(&r, 0, "mem_used"),
           rec[0].mem_bytes + rec[1].mem_bytes + rec[2].mem_bytes, 1);
    T_CHECK(!r.ok[fh_sig_index(&r, 0, "demand_next")]);
    fh_close(&r);

    run_mixed(1, a, 300);
    run_mixed(1, b, 300);
    run_mixed(2, c, 300);
    T_CHECK(memcmp(a, b, 5 * sizeof *a) == 0);
    T_CHECK(a[0].perf != c[0].perf && a[4].sm != c[4].sm);
}

int main(void)
{
    test_config_errors();
    test_renderer();
    test_training();
    test_inference();
    test_encoder();
    test_shares();
    test_memory();
    test_timeslice();
    test_clock();
    test_records();
    return t_done("test_sim_gtenant");
}

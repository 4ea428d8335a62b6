/*
 * test_workload - the workload shapes (directly through wl_*) and the
 * determinism of a run (through the plugin).
 */
#include "fakehost.h"
#include "t.h"

#include "workload.h"

#include <stdlib.h>

static void test_constant_step(void)
{
    struct wl w;
    memset(&w, 0, sizeof w);
    w.kind = WL_CONSTANT;
    w.level = 0.7;
    wl_start(&w);
    T_NEAR(wl_demand(&w, 0, 0.01), 0.7, 0);
    T_NEAR(wl_demand(&w, 100, 5), 0.7, 0);

    memset(&w, 0, sizeof w);
    w.kind = WL_STEP;
    w.from = 0.2;
    w.to = 0.9;
    w.at_s = 10;
    wl_start(&w);
    T_NEAR(wl_demand(&w, 9.98, 0.01), 0.2, 0);
    T_NEAR(wl_demand(&w, 9.99, 0.01), 0.2, 1e-12);
    T_NEAR(wl_demand(&w, 10.0, 0.01), 0.9, 0);
    /* an interval straddling the switch gets the time-weighted mean */
    T_NEAR(wl_demand(&w, 9.5, 1.0), 0.55, 1e-12);
}

static void test_sine(void)
{
    struct wl w;
    double sum = 0, lo = 1e9, hi = -1e9;
    memset(&w, 0, sizeof w);
    w.kind = WL_SINE;
    w.mean = 0.5;
    w.amplitude = 0.3;
    w.period_s = 7;
    w.phase_s = 1.3;
    wl_start(&w);
    for (int i = 0; i < 700; i++) {
        double d = wl_demand(&w, 3.0 + i * 0.01, 0.01);
        sum += d * 0.01;
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    T_NEAR(sum / 7.0, 0.5, 1e-9); /* interval means: exact over a period */
    T_NEAR(lo, 0.2, 1e-4);
    T_NEAR(hi, 0.8, 1e-4);
    /* value at a known phase: t + phase = period / 4 -> peak */
    T_NEAR(wl_demand(&w, 7.0 / 4 - 1.3 - 1e-7, 2e-7), 0.8, 1e-9);
    /* clamped at zero */
    w.amplitude = 0.9;
    T_NEAR(wl_demand(&w, 3 * 7.0 / 4 - 1.3, 1e-6), 0.0, 0);
}

static void test_bursty(void)
{
    struct wl w;
    double sum = 0, T = 3000, dt = 0.01;
    int switches = 0, prev = -1;
    memset(&w, 0, sizeof w);
    w.kind = WL_BURSTY;
    w.on_level = 1;
    w.off_level = 0;
    w.on_s = 0.3;
    w.off_s = 0.7;
    wl_seed(&w, 7, 0);
    wl_start(&w);
    for (long i = 0; i < (long)(T / dt); i++) {
        double d = wl_demand(&w, i * dt, dt);
        if (!(d >= 0 && d <= 1 + 1e-12))
            fprintf(stderr, "d=%.17g i=%ld\n", d, i);
        T_CHECK(d >= 0 && d <= 1 + 1e-12);
        sum += d * dt;
        if (w.on != prev)
            switches++;
        prev = w.on;
    }
    T_NEAR(sum / T, 0.3, 0.02);
    /* ~T / (on + off) cycles of two switches each */
    T_CHECK(switches > 4000 && switches < 8000);
}

/* load (the entry's load_scale) multiplies every interval's demand and
 * leaves the draws alone: the same bursts, each at twice the level. */
static void test_load_scale(void)
{
    struct wl a, b;
    memset(&a, 0, sizeof a);
    a.kind = WL_BURSTY;
    a.on_level = 0.6;
    a.off_level = 0.1;
    a.on_s = 0.3;
    a.off_s = 0.7;
    b = a;
    b.load = 2.0;
    wl_seed(&a, 9, 1);
    wl_seed(&b, 9, 1);
    wl_start(&a);
    wl_start(&b);
    for (int i = 0; i < 1000; i++) {
        double da = wl_demand(&a, i * 0.01, 0.01);
        T_NEAR(wl_demand(&b, i * 0.01, 0.01), 2.0 * da, 1e-12);
    }
}

static void test_random_walk(void)
{
    struct wl w;
    double lo = 1e9, hi = -1e9;
    memset(&w, 0, sizeof w);
    w.kind = WL_RANDOM_WALK;
    w.start = 0.5;
    w.sigma = 0.2;
    w.min = 0.3;
    w.max = 0.8;
    wl_seed(&w, 7, 0);
    wl_start(&w);
    T_NEAR(wl_demand(&w, 0, 0.01), 0.5, 0);
    for (int i = 1; i < 100000; i++) {
        double d = wl_demand(&w, i * 0.01, 0.01);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    T_CHECK(lo >= 0.3 && hi <= 0.8);
    T_CHECK(lo < 0.35 && hi > 0.75); /* it does wander over the range */
}

static void test_trace(void)
{
    struct wl w;
    char path[1024], err[256];
    double len;
    snprintf(path, sizeof path, "%s/lua-policies/labs/traces/kenj-pc-1.csv",
             WATTSON_SOURCE_DIR);
    memset(&w, 0, sizeof w);
    w.kind = WL_TRACE;
    w.scale = 1.0;
    w.loop = 1;
    T_CHECK(csvtrace_load(path, &w.tr, err, sizeof err) == 0);
    if (w.tr.n != 744)
        return;
    wl_start(&w);
    len = w.length_s;
    T_NEAR(len, 11160.0, 0);
    /* 10 ms ticks inside each row replay the row exactly */
    for (size_t i = 0; i < 744; i++) {
        double t0 = w.tr.t[i], t1 = i + 1 < 744 ? w.tr.t[i + 1] : len;
        for (int k = 0; k < 4; k++)
            T_NEAR(wl_demand(&w, t0 + (t1 - 0.01 - t0) * (k + 0.5) / 4, 0.01),
                   w.tr.v[i], 0);
    }
    T_NEAR(w.tr.v[1], 0.16445, 0);
    /* looping: the second pass repeats the first */
    T_NEAR(wl_demand(&w, len + 15.0 + 1.0, 0.01), 0.16445, 1e-15);
    /* an interval across a row boundary averages the two rows */
    T_NEAR(wl_demand(&w, 14.5, 1.0), (0.08467 + 0.16445) / 2, 1e-12);
    /* across the end of a pass: last row then first row */
    T_NEAR(wl_demand(&w, len - 0.5, 1.0), (0.09933 + 0.08467) / 2, 1e-9);
    /* without loop the replay ends */
    w.loop = 0;
    T_NEAR(wl_demand(&w, len + 1.0, 0.01), 0.0, 0);
    T_NEAR(wl_demand(&w, len - 0.5, 1.0), 0.09933 / 2, 1e-12);
    wl_fini(&w);

    /* scale, and the clamp to 1.5 */
    memset(&w, 0, sizeof w);
    w.kind = WL_TRACE;
    w.scale = 10;
    w.loop = 1;
    T_CHECK(csvtrace_parse("t_s,util\n0,0.1\n1,0.9\n", 21, "s", &w.tr, err,
                           sizeof err) == 0);
    wl_start(&w);
    T_NEAR(wl_demand(&w, 0.5, 0.01), 1.0, 1e-12);
    T_NEAR(wl_demand(&w, 1.5, 0.01), 1.5, 0);
    wl_fini(&w);
}

/* A tick spanning a huge number of rows costs at most two passes: before,
 * rows 1e-300 s apart (built by hand, past the reader's spacing floor)
 * spun for ever in one call, and rows 1 us apart walked 3.6e9 rows in a
 * one-hour tick. */
static void test_trace_bounded(void)
{
    static double t[2] = {0, 1e-300}, v[2] = {0.2, 0.6};
    struct wl w;

    memset(&w, 0, sizeof w);
    w.kind = WL_TRACE;
    w.scale = 1;
    w.loop = 1;
    w.tr.t = malloc(sizeof t);
    w.tr.v = malloc(sizeof v);
    T_CHECK(w.tr.t && w.tr.v);
    if (!w.tr.t || !w.tr.v)
        return;
    memcpy(w.tr.t, t, sizeof t);
    memcpy(w.tr.v, v, sizeof v);
    w.tr.n = 2;
    wl_start(&w);
    T_NEAR(wl_demand(&w, 0, 0.01), 0.4, 1e-9);
    T_NEAR(wl_demand(&w, 0.01, 0.01), 0.4, 1e-9);
    w.tr.t[1] = 1e-6;
    wl_start(&w); /* scale 1: the values stay */
    T_NEAR(wl_demand(&w, 0.02, 3600), 0.4, 1e-9);
    /* not looped: one pass, then nothing */
    w.loop = 0;
    T_NEAR(wl_demand(&w, 0, 3600), 0.8e-6 / 3600, 1e-12);
    wl_fini(&w);
}

/* One run of a lab with the random workloads; returns its final values. */
static void run_lab(uint64_t seed, double *out, size_t n)
{
    struct fh_run r;
    fh_reset();
    fh_host.seed = seed;
    fh_dev(1, "a", "cpu", "zen3-core", 0);
    fh_str("bursty", "devices.1.workload.kind");
    fh_del("devices.1.workload.level");
    fh_dev(2, "b", "gpu", "a100-pcie", 0);
    fh_str("random_walk", "devices.2.workload.kind");
    fh_del("devices.2.workload.level");
    fh_num(0.3, "devices.2.workload.sigma");
    T_CHECK(fh_open(&r) == WATTSON_OK);
    T_CHECK(r.n == n);
    fh_read(&r);
    for (int i = 0; i < 2000; i++) {
        fh_advance(0.01);
        fh_read(&r);
    }
    memcpy(out, r.v, n * sizeof *out);
    fh_close(&r);
}

static void test_determinism(void)
{
    double a[34], b[34], c[34];
    run_lab(42, a, 34); /* 16 + the gpu's 18 signals */
    run_lab(42, b, 34);
    run_lab(43, c, 34);
    T_CHECK(memcmp(a, b, sizeof a) == 0);
    /* work_arrived (index 7) differs for both random devices */
    T_CHECK(a[7] != c[7]);
    T_CHECK(a[16 + 7] != c[16 + 7]);
    T_CHECK(a[7] > 0 && a[16 + 7] > 0);
}

/* Drawing each interval's demand one read early (for demand_next) makes
 * the same generator calls in the same order: the arrivals are bit for
 * bit those of drawing it at the read, as the driver did before. */
static void test_same_streams(void)
{
    struct fh_run r;
    struct wl w[2];
    double sum[2] = {0, 0}, peak[2];
    const double dt = 0.01;

    fh_reset();
    fh_host.seed = 42;
    fh_dev(1, "a", "cpu", "zen3-core", 0);
    fh_str("bursty", "devices.1.workload.kind");
    fh_del("devices.1.workload.level");
    fh_dev(2, "b", "gpu", "a100-pcie", 0);
    fh_str("random_walk", "devices.2.workload.kind");
    fh_del("devices.2.workload.level");
    fh_num(0.3, "devices.2.workload.sigma");
    T_CHECK(fh_open(&r) == WATTSON_OK);

    memset(w, 0, sizeof w);
    wl_seed(&w[0], 42, 0);
    w[0].kind = WL_BURSTY;
    w[0].on_level = 1.0;
    w[0].off_level = 0.1;
    w[0].on_s = 1;
    w[0].off_s = 1;
    wl_seed(&w[1], 42, 1);
    w[1].kind = WL_RANDOM_WALK;
    w[1].start = 0.5;
    w[1].sigma = 0.3;
    w[1].min = 0;
    w[1].max = 1;
    wl_start(&w[0]);
    wl_start(&w[1]);
    peak[0] = 3.7e9 * 32;
    peak[1] = 1410e6 * 13824;

    fh_read(&r);
    for (int i = 0; i < 2000; i++) {
        double t0 = (double)fh.now_ns * 1e-9;
        double step = (double)(uint64_t)llround(dt * 1e9) * 1e-9;
        fh_advance(dt);
        fh_read(&r);
        for (int d = 0; d < 2; d++) {
            double dm = wl_demand(&w[d], t0, step);
            sum[d] += dm > 0 ? dm * peak[d] * step : 0.0;
        }
    }
    T_CHECK(fh_sig(&r, 0, "work_arrived") == sum[0]);
    T_CHECK(fh_sig(&r, 1, "work_arrived") == sum[1]);
    T_CHECK(sum[0] > 0 && sum[1] > 0);
    fh_close(&r);
}

int main(void)
{
    test_constant_step();
    test_sine();
    test_bursty();
    test_load_scale();
    test_random_walk();
    test_trace();
    test_trace_bounded();
    test_determinism();
    test_same_streams();
    return t_done("test_sim_workload");
}

/*
 * test_wlat - the pooled, work-weighted latency distribution
 * (console/core/wlat.c) against distributions worked out by hand: a
 * fluid FIFO's latencies are uniform over each slice, so the quantiles of
 * these cases are exact (linear inside a bucket is exact for a uniform
 * density).
 */
#include <math.h>

#include "allocount.h"
#include "core/wlat.h"
#include "t.h"

/* 10 ops at t = 0 served at 10 op/s: latencies uniform on [0, 1] s. */
static void test_one_tick(void)
{
    struct wlat w;
    T_CHECK(wlat_init(&w, 1, 16) == 0);
    T_CHECK(isnan(wlat_quantile(&w, 0.5)));
    wlat_tick(&w, 0, 0.0, 10, 10, 10);
    T_NEAR(wlat_quantile(&w, 0.5), 0.5, 1e-9);
    T_NEAR(wlat_quantile(&w, 0.99), 0.99, 1e-9);
    T_NEAR(wlat_quantile(&w, 0.1), 0.1, 1e-9);
    T_CHECK(isnan(wlat_quantile(&w, 1.0)));
    wlat_free(&w);
}

/* A backlog: 10 ops at t = 0, 5 served in the first second and 5 in the
 * next, at 5 op/s: latencies uniform on [0, 2]. */
static void test_backlog(void)
{
    struct wlat w;
    T_CHECK(wlat_init(&w, 1, 16) == 0);
    wlat_tick(&w, 0, 0.0, 10, 5, 5);
    wlat_tick(&w, 0, 1.0, 0, 5, 5);
    T_NEAR(wlat_quantile(&w, 0.5), 1.0, 1e-9);
    T_NEAR(wlat_quantile(&w, 0.99), 1.98, 1e-9);
    /* More served than arrived (rounding): nothing is invented. */
    wlat_tick(&w, 0, 2.0, 0, 1, 5);
    T_NEAR(wlat_quantile(&w, 0.5), 1.0, 1e-9);
    wlat_free(&w);
}

/* Two PUs pooled by work: 10 ops uniform on [0, 1] s and 30 uniform on
 * [2, 3] (30 ops at t = 0 behind a 2 s... here: arriving at t = 0 and
 * served from t = 2 at 30 op/s).  Below q = 0.25 the first PU's; above,
 * 2 + (q - 0.25) / 0.75. */
static void test_pooled(void)
{
    struct wlat w;
    T_CHECK(wlat_init(&w, 2, 16) == 0);
    wlat_tick(&w, 0, 0.0, 10, 10, 10);
    wlat_tick(&w, 1, 0.0, 30, 0, 30);
    wlat_tick(&w, 1, 1.0, 0, 0, 30);
    wlat_tick(&w, 1, 2.0, 0, 30, 30);
    T_NEAR(wlat_quantile(&w, 0.1), 0.4, 1e-9);
    T_NEAR(wlat_quantile(&w, 0.5), 2.0 + 0.25 / 0.75, 1e-9);
    T_NEAR(wlat_quantile(&w, 0.99), 2.0 + 0.74 / 0.75, 1e-9);
    /* Reset: an empty distribution again, the rings too. */
    wlat_reset(&w);
    T_CHECK(isnan(wlat_quantile(&w, 0.5)));
    wlat_tick(&w, 1, 5.0, 4, 4, 4);
    T_NEAR(wlat_quantile(&w, 0.5), 0.5, 1e-9);
    wlat_free(&w);
}

/* A full ring merges its two oldest batches under the older stamp: with
 * room for 2, batches at t = 0, 1, 2 (10 ops each) served from t = 3 at
 * 10 op/s all count from t = 0 for the first two: latencies [3, 4] and
 * [4, 5] (the t = 1 batch overstated by 1 s), then [3, 4] for the last
 * (stamped 2, served over [5, 6]). */
static void test_merge(void)
{
    struct wlat w;
    T_CHECK(wlat_init(&w, 1, 2) == 0);
    wlat_tick(&w, 0, 0.0, 10, 0, 10);
    wlat_tick(&w, 0, 1.0, 10, 0, 10);
    wlat_tick(&w, 0, 2.0, 10, 0, 10);
    wlat_tick(&w, 0, 3.0, 0, 30, 10);
    /* 2/3 of the work on [3, 4], 1/3 on [4, 5]. */
    T_NEAR(wlat_quantile(&w, 0.5), 3.75, 1e-9);
    T_NEAR(wlat_quantile(&w, 0.9), 4.7, 1e-9);
    wlat_free(&w);
}

/* Bad values are ignored; latencies below 1 us and long ones both land;
 * nothing allocates per tick. */
static void test_edges(void)
{
    struct wlat w;
    T_CHECK(wlat_init(&w, 1, 64) == 0);
    unsigned long al = 0, fr = 0;
    allocount_start();
    wlat_tick(&w, 0, 0.0, NAN, 5, 5);
    wlat_tick(&w, 0, 0.0, 0, 5, 0);
    wlat_tick(&w, 0, 0.0, -1, INFINITY, 5);
    wlat_tick(&w, 3, 0.0, 10, 10, 10);
    T_CHECK(isnan(wlat_quantile(&w, 0.5)));
    /* 1e6 op/s: 1 op spread over [0, 1 us]. */
    wlat_tick(&w, 0, 1.0, 1, 11, 1e6);
    for (int k = 0; k < 1000; k++)
        wlat_tick(&w, 0, 2.0 + k, 1, 1, 1e6);
    allocount_stop(&al, &fr);
    T_CHECK(al == 0 && fr == 0);
    double q = wlat_quantile(&w, 0.5);
    T_CHECK(q >= 0 && q < 2e-5);
    wlat_reset(&w);
    /* Ten hours in a queue: within a bucket's width (12.5 %; the slice
     * covers only 1 s of its 4295 s bucket), and never past the largest
     * latency seen. */
    wlat_tick(&w, 0, 0.0, 1, 0, 1);
    wlat_tick(&w, 0, 36000.0, 0, 1, 1);
    q = wlat_quantile(&w, 0.5);
    T_CHECK(fabs(q - 36000.5) < 0.125 * 36000.5 && q <= 36001.0);
    wlat_free(&w);
}

int main(void)
{
    allocount_install();
    test_one_tick();
    test_backlog();
    test_pooled();
    test_merge();
    test_edges();
    return t_done("test_wlat");
}

/*
 * The reactive power balancer (policies/balancer.h) between pwrlimit's
 * domains, on hand-built models (in-process fake plugins, as
 * test_governors.c): a package of two cores with the Zen 3 table and
 * 2-12 W caps, and two GPUs with a three-state table and 20-70 W caps.
 * Budget moves toward the saturated held domain by the amounts computed
 * by hand and comes back when the owner needs it; a saturated GPU at its
 * top state and a saturated package its ceiling does not clamp get
 * nothing; a growing backlog is saturation; pwrlimit enforces the limits
 * set (a GPU's cap, a package's PL1); limits stay within [min, max] and
 * sum to at most the budget on every tick of a long pseudo-random run; a
 * new budget restarts from the static split; forecasts and the true next
 * demand change nothing; on a lab with one CPU package and nothing else
 * the `balancer` policy decides exactly as `schedutil`; nothing
 * allocates per tick and nothing is NaN.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "allocount.h"
#include "core/model.h"
#include "core/stats.h"
#include "loader/loader.h"
#include "policies/balancer.h"
#include "policies/governors.h"
#include "policies/pwrlimit.h"
#include "t.h"

#define FMIN 1.5e9
#define FMAX 3.7e9
#define NDEV 4

/* Devices 0, 1: the package's cores; 2, 3: the GPUs. */
static const struct wattson_device_desc devs[] = {
    {"cpu0", "cpu", -1, NULL, 0},
    {"cpu1", "cpu", -1, NULL, 0},
    {"gpu0", "gpu", -1, NULL, 0},
    {"gpu1", "gpu", -1, NULL, 0},
};
/* Device d's signals are 4d .. 4d+3; then cpu0's true next-tick demand
 * (which the balancer must never read). */
enum { S_UTIL, S_FREQ, S_POW, S_BACKLOG };
enum { S_DEMAND0 = 4 * NDEV, S_N };
#define SIGS(d)                                                                \
    {"util", d, "1", WATTSON_GAUGE, 0, "utilisation"},                         \
        {"freq", d, "Hz", WATTSON_GAUGE, 0, "clock"},                          \
        {"power", d, "W", WATTSON_GAUGE, 0, "power"},                          \
    {                                                                          \
        "backlog", d, "op", WATTSON_GAUGE, 0, "queued work"                    \
    }
static const struct wattson_signal_desc sigs[] = {
    SIGS(0),
    SIGS(1),
    SIGS(2),
    SIGS(3),
    {"demand_next", 0, "1", WATTSON_GAUGE, 0, "true next demand"},
};
/* Device d's controls are 2d (freq) and 2d+1 (power_cap). */
enum { C_N = 2 * NDEV };
static const struct wattson_control_desc ctls[] = {
    {"freq", 0, "Hz", FMIN, FMAX, 0, "clock target"},
    {"power_cap", 0, "W", 2.0, 12.0, 0, "cap"},
    {"freq", 1, "Hz", FMIN, FMAX, 0, "clock target"},
    {"power_cap", 1, "W", 2.0, 12.0, 0, "cap"},
    {"freq", 2, "Hz", 0.5e9, 1.4e9, 0, "clock target"},
    {"power_cap", 2, "W", 20.0, 70.0, 0, "board limit"},
    {"freq", 3, "Hz", 0.5e9, 1.4e9, 0, "clock target"},
    {"power_cap", 3, "W", 20.0, 70.0, 0, "board limit"},
};
static const double ps_f[] = {1.5e9, 2.2e9, 2.8e9, 3.7e9};
static const double ps_busy[] = {2.3, 3.6, 5.4, 9.6};
static const double ps_idle[] = {0.9, 1.0, 1.2, 1.6};
static const double gps_f[] = {0.5e9, 1.0e9, 1.4e9};
static const double gps_busy[] = {30.0, 50.0, 70.0};
static const double gps_idle[] = {20.0, 22.0, 25.0};
static const struct wattson_pstate_table ps[] = {
    {0, 4, ps_f, ps_busy, ps_idle, 25.0},
    {1, 4, ps_f, ps_busy, ps_idle, 25.0},
    {2, 3, gps_f, gps_busy, gps_idle, 25.0},
    {3, 3, gps_f, gps_busy, gps_idle, 25.0},
};
static const struct wattson_plugin desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "fake",
};
static struct plug fake;

/* The model: the package and both GPUs, or (cpus_only) the package
 * alone - the first two devices' signals and controls. */
static int build(struct model *m, int cpus_only)
{
    char err[256];
    struct plug *pp = &fake;
    memset(&fake, 0, sizeof fake);
    fake.desc = &desc;
    fake.inv.devices = devs;
    fake.inv.n_devices = cpus_only ? 2 : NDEV;
    fake.inv.signals = sigs;
    fake.inv.n_signals = cpus_only ? 8 : S_N;
    fake.inv.controls = ctls;
    fake.inv.n_controls = cpus_only ? 4 : C_N;
    fake.inv.pstates = ps;
    fake.inv.n_pstates = cpus_only ? 2 : NDEV;
    int rc = model_build(m, &pp, 1, 0, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "model_build: %s\n", err);
    T_CHECK(rc == 0);
    if (rc == 0) {
        T_CHECK(m->n_pus == (cpus_only ? 2u : (size_t)NDEV));
        for (size_t k = 0; k < m->n_pus; k++)
            T_CHECK(m->pus[k] == k);
    }
    return rc;
}

static void set_sig(struct model *m, int i, double v)
{
    m->val[i] = v;
    m->valid[i] = !isnan(v);
}

static void set_dev(struct model *m, int d, double util, double freq,
                    double power, double backlog)
{
    set_sig(m, 4 * d + S_UTIL, util);
    set_sig(m, 4 * d + S_FREQ, freq);
    set_sig(m, 4 * d + S_POW, power);
    set_sig(m, 4 * d + S_BACKLOG, backlog);
}

/* Domains: 0 the package, 1 gpu0, 2 gpu1. */
enum { D_PKG, D_GPU0, D_GPU1, D_N };

struct rig {
    struct model m;
    struct pwrlimit *pl;
    struct balancer *b;
};

static int rig_new(struct rig *r, double period_s)
{
    memset(r, 0, sizeof *r);
    if (build(&r->m, 0) != 0)
        return -1;
    r->pl = pwrlimit_new(&r->m, 1.0);
    r->b = r->pl ? balancer_new(r->pl, period_s) : NULL;
    T_CHECK(r->pl && r->b);
    if (!r->b) {
        pwrlimit_free(r->pl);
        model_free(&r->m);
        return -1;
    }
    T_CHECK(pwrlimit_n_domains(r->pl) == D_N);
    T_CHECK(pwrlimit_is_package(r->pl, D_PKG));
    r->m.budget_w = 104;
    r->m.dt = 0.01;
    return 0;
}

static void rig_free(struct rig *r)
{
    balancer_free(r->b);
    pwrlimit_free(r->pl);
    model_free(&r->m);
}

/* One tick of the layers as the policy runs them, no governor (the
 * clocks the package limiter clamps are the controls' maxima). */
static void tick(struct rig *r)
{
    memset(r->m.decided, 0, r->m.n_controls);
    balancer_apply(r->b, &r->m);
    pwrlimit_apply(r->pl, &r->m);
}

static double lim(const struct rig *r, size_t i)
{
    return balancer_limit(r->b, i);
}

/* Every limit within its domain's [min, max], finite, set in pwrlimit
 * as the balancer has it, the GPUs' caps their limits, and the sum at
 * most the budget; returns 1 when all hold. */
static int limits_ok(const struct rig *r)
{
    double sum = 0;
    int ok = 1;
    for (size_t i = 0; i < D_N; i++) {
        double l = lim(r, i);
        ok &= isfinite(l) && l >= pwrlimit_min(r->pl, i) - 1e-9 &&
              l <= pwrlimit_max(r->pl, i) + 1e-9;
        ok &= pwrlimit_limit(r->pl, i) == l;
        sum += l;
    }
    ok &= r->m.decided[5] && r->m.decision[5] == lim(r, D_GPU0);
    ok &= r->m.decided[7] && r->m.decision[7] == lim(r, D_GPU1);
    return ok && sum <= r->m.budget_w * (1 + 1e-12);
}

/* A period (0.1 s) is 10 ticks of 10 ms: the limits hold for the first
 * 9 and move on the 10th. */
static void run_period(struct rig *r)
{
    double before[D_N];
    for (size_t i = 0; i < D_N; i++)
        before[i] = lim(r, i);
    for (int k = 0; k < 9; k++) {
        tick(r);
        for (size_t i = 0; i < D_N; i++)
            T_NEAR(lim(r, i), before[i], 0);
    }
    tick(r);
}

/* Budget 104 W: minimums 4 + 20 + 20, ranges 20 + 50 + 50, so the
 * split's share is 0.5: the package 14 W (7 a core), each GPU 45 W. */
static void test_toward_saturated(void)
{
    struct rig r;
    if (rig_new(&r, 0) != 0) /* the default period */
        return;
    struct model *m = &r.m;
    /* gpu0 saturated at 1.0 GHz drawing 44 W: the next state would draw
     * 70 + 44 - 50 = 64 W > 45: held.  gpu1 idle at 21 W.  The package
     * nearly idle at 2 W, its ceiling the top clock. */
    set_dev(m, 0, 0.2, FMIN, 1.0, 0);
    set_dev(m, 1, 0.2, FMIN, 1.0, 0);
    set_dev(m, 2, 1.0, 1.0e9, 44.0, 0);
    set_dev(m, 3, 0.1, 0.5e9, 21.0, 0);
    tick(&r); /* the static split */
    T_NEAR(lim(&r, D_PKG), 14.0, 1e-12);
    T_NEAR(lim(&r, D_GPU0), 45.0, 1e-12);
    T_NEAR(lim(&r, D_GPU1), 45.0, 1e-12);
    T_CHECK(limits_ok(&r));
    /* The package's cores: their caps at the maximum (the package
     * limiter enforces), their clocks under its ceiling. */
    T_NEAR(m->decision[1], 12.0, 0);
    T_NEAR(m->decision[3], 12.0, 0);
    T_NEAR(pwrlimit_ceiling(r.pl, D_PKG), FMAX, 0);
    T_CHECK(!m->decided[4] && !m->decided[6]); /* GPU clocks untouched */

    /* Offers: package 0.5 x (14 - max(4, 2.2)) = 5, gpu1 0.5 x (45 -
     * 23.1) = 10.95; gpu0's room 25 W takes all 15.95. */
    run_period(&r);
    T_NEAR(lim(&r, D_GPU0), 45.0 + 15.95, 1e-12);
    T_NEAR(lim(&r, D_PKG), 9.0, 1e-12);
    T_NEAR(lim(&r, D_GPU1), 45.0 - 10.95, 1e-12);
    T_NEAR(lim(&r, D_PKG) + lim(&r, D_GPU0) + lim(&r, D_GPU1), 104.0, 1e-9);
    T_CHECK(limits_ok(&r));
    T_CHECK(balancer_moves(r.b) == 1);
    T_NEAR(balancer_moved_w(r.b), 15.95, 1e-12);
    T_NEAR(pwrlimit_limit(r.pl, D_PKG), 9.0, 1e-12); /* PL1 */

    /* Still held (64 > 60.95): offers 0.5 x (9 - 4) = 2.5 and 0.5 x
     * (34.05 - 23.1) = 5.475, under its room of 9.05: all of it. */
    run_period(&r);
    T_NEAR(lim(&r, D_GPU0), 60.95 + 7.975, 1e-12);
    T_NEAR(lim(&r, D_PKG), 6.5, 1e-12);
    T_NEAR(lim(&r, D_GPU1), 34.05 - 5.475, 1e-12);
    T_CHECK(limits_ok(&r));
    T_CHECK(balancer_moves(r.b) == 2);

    /* Its next state now fits (64 <= 68.925): not held, it takes no
     * more, and as it is saturated it keeps 1.1 x 64 = 70.4 W, more
     * than it has: no offer from it; nothing moves. */
    for (int p = 0; p < 3; p++)
        run_period(&r);
    T_CHECK(balancer_moves(r.b) == 2);

    /* A new budget starts again from the split; none: no limits. */
    m->budget_w = 164; /* share 1: every maximum */
    tick(&r);
    T_NEAR(lim(&r, D_PKG), 24.0, 1e-12);
    T_NEAR(lim(&r, D_GPU0), 70.0, 1e-12);
    m->budget_w = 0;
    tick(&r);
    for (size_t i = 0; i < D_N; i++)
        T_NEAR(lim(&r, i), 0.0, 0);
    T_NEAR(pwrlimit_limit(r.pl, D_GPU0), 0.0, 0);
    T_NEAR(m->decision[5], 70.0, 0); /* no limit: the cap's maximum */
    T_CHECK(isinf(pwrlimit_ceiling(r.pl, D_PKG)));
    m->budget_w = 104;
    tick(&r);
    T_NEAR(lim(&r, D_PKG), 14.0, 1e-12);
    T_NEAR(lim(&r, D_GPU0), 45.0, 1e-12);
    T_CHECK(limits_ok(&r));
    rig_free(&r);
}

/* Lent budget comes back.  After test_toward_saturated's two moves
 * (package 6.5, gpu0 68.925, gpu1 28.575 W) a core saturates at
 * 2.2 GHz: the package's allowance (PL2 = 8.125 W) does not fit both
 * cores at 3.7 GHz (6.357 + 2.249 W), the ceiling clamps the clocks at
 * 2.8 GHz: saturated and held.  gpu1's slack is 0.5 x (28.575 - 23.1) =
 * 2.7375 W; gpu0, saturated but not held, offers nothing.  The package
 * is then still 4.7625 W below its 14 W share and takes it from gpu0,
 * the only domain above its share. */
static void test_reclaim(void)
{
    struct rig r;
    if (rig_new(&r, 0.1) != 0)
        return;
    struct model *m = &r.m;
    set_dev(m, 0, 0.2, FMIN, 1.0, 0);
    set_dev(m, 1, 0.2, FMIN, 1.0, 0);
    set_dev(m, 2, 1.0, 1.0e9, 44.0, 0);
    set_dev(m, 3, 0.1, 0.5e9, 21.0, 0);
    tick(&r);
    run_period(&r);
    run_period(&r);
    T_NEAR(lim(&r, D_PKG), 6.5, 1e-12);
    set_dev(m, 0, 1.0, 2.2e9, 3.6, 0);
    for (int k = 0; k < 9; k++)
        tick(&r);
    T_NEAR(pwrlimit_ceiling(r.pl, D_PKG), 2.8e9, 0);
    T_CHECK(pwrlimit_held(r.pl, D_PKG) == 1);
    T_CHECK(balancer_moves(r.b) == 2);
    tick(&r); /* the period's end: the limits move */
    T_CHECK(balancer_moves(r.b) == 3);
    T_NEAR(lim(&r, D_PKG), 14.0, 1e-12);
    T_NEAR(lim(&r, D_GPU1), 28.575 - 2.7375, 1e-12);
    T_NEAR(lim(&r, D_GPU0), 68.925 - (14.0 - 6.5 - 2.7375), 1e-12);
    T_NEAR(lim(&r, D_PKG) + lim(&r, D_GPU0) + lim(&r, D_GPU1), 104.0, 1e-9);
    T_CHECK(limits_ok(&r));
    /* At its share the ceiling is the top clock again (PL2 17.5 W):
     * not held; it keeps its share, nothing moves. */
    run_period(&r);
    T_NEAR(pwrlimit_ceiling(r.pl, D_PKG), FMAX, 0);
    T_CHECK(balancer_moves(r.b) == 3);
    T_NEAR(lim(&r, D_PKG), 14.0, 1e-12);
    rig_free(&r);
}

/* A saturated GPU at its top state, and a saturated package whose
 * ceiling clamps nothing, cannot turn power into work: nothing moves.
 * A growing backlog is saturation even at 90 % util; a steady one is
 * not. */
static void test_receivers(void)
{
    struct rig r;
    if (rig_new(&r, 0.1) != 0)
        return;
    struct model *m = &r.m;
    set_dev(m, 0, 1.0, FMAX, 9.6, 0); /* 11.2 W at the top: fits */
    set_dev(m, 1, 0.2, FMIN, 1.6, 0);
    set_dev(m, 2, 1.0, 1.4e9, 44.0, 0); /* its top state */
    set_dev(m, 3, 0.1, 0.5e9, 21.0, 0);
    tick(&r);
    run_period(&r);
    run_period(&r);
    T_NEAR(pwrlimit_ceiling(r.pl, D_PKG), FMAX, 0);
    T_CHECK(balancer_moves(r.b) == 0);
    T_NEAR(lim(&r, D_PKG), 14.0, 1e-12);
    T_NEAR(lim(&r, D_GPU0), 45.0, 1e-12);

    /* gpu0 90 % busy at 1.0 GHz, steady backlog: slack (it offers
     * 0.5 x (45 - 44)); nobody takes it. */
    set_dev(m, 2, 0.9, 1.0e9, 40.0, 500);
    run_period(&r);
    T_CHECK(balancer_moves(r.b) == 0);

    /* Backlog growing over the period: saturated, and held (70 + 40 -
     * (22 + 0.9 x 28) = 62.8 W > 45): it takes gpu1's 10.95 W and the
     * package's 0.5 x (14 - 1.1 x 11.2). */
    for (int i = 0; i < 10; i++) {
        set_dev(m, 2, 0.9, 1.0e9, 40.0, 500 + 100.0 * i);
        tick(&r);
    }
    T_CHECK(balancer_moves(r.b) == 1);
    T_NEAR(lim(&r, D_GPU0), 45.0 + 10.95 + 0.5 * (14.0 - 1.1 * 11.2), 1e-12);
    T_CHECK(limits_ok(&r));
    rig_free(&r);
}

/* Invalid readings: no util, no power: nothing measured, nothing moves,
 * nothing is NaN.  Donors without a power reading offer nothing.  A
 * period as long as the tick rebalances each tick. */
static void test_invalid_and_period(void)
{
    struct rig r;
    if (rig_new(&r, NAN) != 0) /* the default period */
        return;
    struct model *m = &r.m;
    for (int d = 0; d < NDEV; d++)
        set_dev(m, d, NAN, NAN, NAN, NAN);
    for (int i = 0; i < 50; i++) {
        tick(&r);
        T_CHECK(limits_ok(&r));
        for (size_t c = 0; c < m->n_controls; c++)
            T_CHECK(!m->decided[c] || isfinite(m->decision[c]));
    }
    T_CHECK(balancer_moves(r.b) == 0);
    set_dev(m, 2, 1.0, 1.0e9, 44.0, 0);
    set_dev(m, 3, 0.1, 0.5e9, NAN, 0);
    set_dev(m, 0, 0.1, FMIN, NAN, 0);
    for (int i = 0; i < 50; i++)
        tick(&r);
    T_CHECK(balancer_moves(r.b) == 0);
    balancer_free(r.b);

    r.b = balancer_new(r.pl, 0.1);
    T_CHECK(r.b != NULL);
    if (!r.b) {
        pwrlimit_free(r.pl);
        model_free(&r.m);
        return;
    }
    m->dt = 0.1; /* a 100 ms lab: one period a tick */
    set_dev(m, 0, 0.2, FMIN, 1.0, 0);
    set_dev(m, 1, 0.2, FMIN, 1.0, 0);
    set_dev(m, 3, 0.1, 0.5e9, 21.0, 0);
    tick(&r);
    tick(&r);
    T_CHECK(balancer_moves(r.b) == 1);
    T_NEAR(lim(&r, D_GPU0), 60.95, 1e-12);
    T_CHECK(limits_ok(&r));
    rig_free(&r);
}

/* Forecasts and the true next demand are not inputs: two runs that
 * differ only in them set the same limits. */
static void test_no_prediction(void)
{
    double l[2][D_N];
    for (int run = 0; run < 2; run++) {
        struct rig r;
        if (rig_new(&r, 0.1) != 0)
            return;
        struct model *m = &r.m;
        set_dev(m, 0, 0.2, FMIN, 1.0, 0);
        set_dev(m, 1, 0.2, FMIN, 1.0, 0);
        set_dev(m, 2, 1.0, 1.0e9, 44.0, 0);
        set_dev(m, 3, 0.1, 0.5e9, 21.0, 0);
        for (int i = 0; i < 35; i++) {
            set_sig(m, S_DEMAND0, run ? 0.0 : 5.0 + i);
            for (size_t d = 0; d < m->n_devices; d++) {
                m->fc_demand[d] = run ? 1e12 : 0.0;
                m->fc_valid[d] = 1;
            }
            tick(&r);
        }
        for (size_t i = 0; i < D_N; i++)
            l[run][i] = lim(&r, i);
        rig_free(&r);
    }
    for (size_t i = 0; i < D_N; i++)
        T_NEAR(l[0][i], l[1][i], 0);
    T_CHECK(l[0][D_GPU0] > 60.0); /* and it did move */
}

/* A long pseudo-random run: on every tick every limit within its range,
 * finite, in force in pwrlimit, the sum at most the budget; no
 * allocation per tick. */
static void test_invariants(void)
{
    struct rig r;
    if (rig_new(&r, 0.05) != 0)
        return;
    struct model *m = &r.m;
    uint64_t x = 0x9e3779b97f4a7c15u;
    int bad = 0;
    double backlog[NDEV] = {0};
    unsigned long al = 0, fr = 0;
    m->budget_w = 90;
    for (int i = 0; i < 5000; i++) {
        if (i == 100)
            allocount_start();
        m->dt = 0.005 + 0.001 * (i % 7);
        if (i == 2500)
            m->budget_w = 70;
        for (int d = 0; d < NDEV; d++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            double u = (double)(x >> 11) / 9007199254740992.0;
            int phase = (i / (200 + 77 * d)) % 2;
            double util = phase ? 0.97 + 0.03 * u : 0.6 * u;
            backlog[d] = phase ? backlog[d] + 100 * u : 0;
            if (d < 2)
                set_dev(m, d, util, ps_f[(x >> 7) % 4], 1.0 + 9.0 * util * u,
                        backlog[d]);
            else
                set_dev(m, d, util, gps_f[(x >> 7) % 3], 20.0 + 50.0 * util * u,
                        backlog[d]);
        }
        tick(&r);
        if (!limits_ok(&r))
            bad++;
    }
    allocount_stop(&al, &fr);
    T_CHECK(al == 0 && fr == 0);
    T_CHECK(bad == 0);
    T_CHECK(balancer_moves(r.b) > 10); /* it did balance */
    rig_free(&r);
}

/* The `balancer` policy on the three-domain lab: schedutil's clocks for
 * the GPUs (the package limiter leaves them alone), the package's
 * clamped by its ceiling; the limits in force; no allocation per tick. */
static void test_policy(void)
{
    struct model m;
    if (build(&m, 0) != 0)
        return;
    const struct policy_ops *ops = gov_find("balancer");
    const struct policy_ops *ref = gov_find("schedutil");
    T_CHECK(ops && ref);
    if (!ops || !ref) {
        model_free(&m);
        return;
    }
    T_STREQ(ops->name, "balancer");
    T_CHECK(ops->create && ops->decide && ops->destroy);
    void *state = ops->create(&m), *rstate = ref->create(&m);
    T_CHECK(state != NULL && rstate != NULL);
    if (!state || !rstate) {
        if (state)
            ops->destroy(state);
        if (rstate)
            ref->destroy(rstate);
        model_free(&m);
        return;
    }
    struct stats st = {0};
    m.budget_w = 104;
    m.dt = 0.01;
    unsigned long al = 0, fr = 0;
    double gcap = 0;
    for (int i = 0; i < 300; i++) {
        double u0 = (i % 11) / 10.0;
        m.t = i * m.dt;
        set_dev(&m, 0, u0, ps_f[i % 4], 2 + u0 * 5, 0);
        set_dev(&m, 1, i == 0 ? NAN : 0.2, FMIN, 1.0, 0);
        set_dev(&m, 2, 1.0, 1.0e9, 44.0, i);
        set_dev(&m, 3, 0.1, 0.5e9, 21.0, 0);
        if (i == 100)
            allocount_start();
        memset(m.decided, 0, m.n_controls);
        T_CHECK(ref->decide(rstate, &m, &st) == 0);
        double want[2] = {m.decision[4], m.decision[6]};
        memset(m.decided, 0, m.n_controls);
        T_CHECK(ops->decide(state, &m, &st) == 0);
        T_CHECK(m.decided[4] && m.decided[6]);
        T_NEAR(m.decision[4], want[0], 0);
        T_NEAR(m.decision[6], want[1], 0);
        for (size_t c = 0; c < m.n_controls; c++)
            T_CHECK(m.decided[c] && isfinite(m.decision[c]));
        double sum = 0;
        for (int c = 5; c <= 7; c += 2)
            sum += m.decision[c];
        T_CHECK(sum <= 104.0 - 4.0 + 1e-9); /* the package's min is 4 */
        gcap = m.decision[5];
    }
    allocount_stop(&al, &fr);
    T_CHECK(al == 0 && fr == 0);
    /* gpu0 is saturated and held by its cap: it gained budget. */
    T_CHECK(gcap > 45.0 + 1.0);
    ref->destroy(rstate);
    ops->destroy(state);
    model_free(&m);
}

/* On a lab with one CPU package and nothing else there is nobody to
 * share with: `balancer` decides exactly as `schedutil` (the same
 * governor under the same package limiter), control by control, over
 * a long pseudo-random run with budget changes. */
static void test_one_package(void)
{
    struct model m;
    if (build(&m, 1) != 0)
        return;
    const struct policy_ops *ops = gov_find("balancer");
    const struct policy_ops *ref = gov_find("schedutil");
    void *state = ops ? ops->create(&m) : NULL;
    void *rstate = ref ? ref->create(&m) : NULL;
    T_CHECK(state != NULL && rstate != NULL);
    if (!state || !rstate) {
        if (state)
            ops->destroy(state);
        if (rstate)
            ref->destroy(rstate);
        model_free(&m);
        return;
    }
    struct stats st = {0};
    uint64_t x = 0x2545f4914f6cdd1du;
    int differ = 0, clamped = 0;
    double want[4];
    m.dt = 0.01;
    for (int i = 0; i < 3000; i++) {
        m.t = i * m.dt;
        m.budget_w = i < 1000 ? 12 : i < 2000 ? 9 : i < 2500 ? 0 : 20;
        for (int d = 0; d < 2; d++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            double u = (double)(x >> 11) / 9007199254740992.0;
            int busy = (i / (150 + 40 * d)) % 2;
            double util = busy ? 0.9 + 0.1 * u : 0.3 * u;
            set_dev(&m, d, util, ps_f[(x >> 9) % 4], 1.0 + 8.0 * util, 0);
        }
        memset(m.decided, 0, m.n_controls);
        T_CHECK(ref->decide(rstate, &m, &st) == 0);
        for (int c = 0; c < 4; c++)
            want[c] = m.decided[c] ? m.decision[c] : NAN;
        memset(m.decided, 0, m.n_controls);
        T_CHECK(ops->decide(state, &m, &st) == 0);
        for (int c = 0; c < 4; c++)
            if (!m.decided[c] || m.decision[c] != want[c])
                differ++;
        clamped += m.decision[0] < FMAX || m.decision[2] < FMAX;
    }
    T_CHECK(differ == 0);
    T_CHECK(clamped > 100); /* the limiter did act */
    ref->destroy(rstate);
    ops->destroy(state);
    model_free(&m);
}

int main(void)
{
    allocount_install();
    test_toward_saturated();
    test_reclaim();
    test_receivers();
    test_invalid_and_period();
    test_no_prediction();
    test_invariants();
    test_policy();
    test_one_package();
    return t_done("test_balancer");
}

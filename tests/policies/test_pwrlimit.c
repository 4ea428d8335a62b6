/*
 * The power layer (policies/pwrlimit.h) on hand-built models (in-process
 * fake plugins, no dlopen, as test_governors.c): domains (one package per
 * plugin's CPUs, every other PU alone, rails in none), the budget split
 * over domains summing to the budget, the package's running average
 * against the closed form of a power step and its decay (equal and
 * unequal ticks), the PL2 clamp, the ceiling of a two-core package with
 * the Zen 3 core's 4-state table computed by hand (including a governor
 * that already chose a low clock, and an average over PL1), the
 * decisions written, no budget, invalid signals (nothing NaN), a package
 * without tables, limits set (pwrlimit_set_limit: ranges, clamps, a
 * lowered PL1 through the allowance, back to the split), and no
 * allocation per tick.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "allocount.h"
#include "core/model.h"
#include "loader/loader.h"
#include "policies/pwrlimit.h"
#include "t.h"

#define FMIN 1.5e9
#define FMAX 3.7e9

/* Plugin A: a two-core package, a GPU and a rail. */
static const struct wattson_device_desc a_devs[] = {
    {"cpu0", "cpu", -1, NULL, 0},
    {"cpu1", "cpu", -1, NULL, 0},
    {"gpu0", "gpu", -1, NULL, 0},
    {"rail0", "rail", -1, NULL, 0},
};
enum {
    S_UTIL0,
    S_FREQ0,
    S_POW0,
    S_UTIL1,
    S_FREQ1,
    S_POW1,
    S_UTILG,
    S_POWG,
    S_POWR,
    S_N
};
static const struct wattson_signal_desc a_sigs[] = {
    {"util", 0, "1", WATTSON_GAUGE, 0, "utilisation"},
    {"freq", 0, "Hz", WATTSON_GAUGE, 0, "clock"},
    {"power", 0, "W", WATTSON_GAUGE, 0, "power"},
    {"util", 1, "1", WATTSON_GAUGE, 0, "utilisation"},
    {"freq", 1, "Hz", WATTSON_GAUGE, 0, "clock"},
    {"power", 1, "W", WATTSON_GAUGE, 0, "power"},
    {"util", 2, "1", WATTSON_GAUGE, 0, "utilisation"},
    {"power", 2, "W", WATTSON_GAUGE, 0, "power"},
    {"power", 3, "W", WATTSON_GAUGE, 0, "power"},
};
enum { C_FREQ0, C_CAP0, C_FREQ1, C_CAP1, C_FREQG, C_CAPG, C_CAPR, C_N };
static const struct wattson_control_desc a_ctls[] = {
    {"freq", 0, "Hz", FMIN, FMAX, 0, "clock target"},
    {"power_cap", 0, "W", 2.0, 12.0, 0, "cap"},
    {"freq", 1, "Hz", FMIN, FMAX, 0, "clock target"},
    {"power_cap", 1, "W", 2.0, 12.0, 0, "cap"},
    {"freq", 2, "Hz", 0.5e9, 1.4e9, 0, "clock target"},
    {"power_cap", 2, "W", 20.0, 70.0, 0, "board limit"},
    {"power_cap", 3, "W", 0.0, 500.0, 0, "a rail's cap, not a PU's"},
};
/* The Zen 3 core's P-states (drivers/sim/pu.c's preset). */
static const double ps_f[] = {1.5e9, 2.2e9, 2.8e9, 3.7e9};
static const double ps_busy[] = {2.3, 3.6, 5.4, 9.6};
static const double ps_idle[] = {0.9, 1.0, 1.2, 1.6};
static const double gps_f[] = {0.5e9, 1.4e9};
static const double gps_busy[] = {30.0, 70.0};
static const double gps_idle[] = {20.0, 25.0};
static const struct wattson_pstate_table a_ps[] = {
    {0, 4, ps_f, ps_busy, ps_idle, 25.0},
    {1, 4, ps_f, ps_busy, ps_idle, 25.0},
    {2, 2, gps_f, gps_busy, gps_idle, 25.0},
};

/* Plugin B: a one-core package and an FPGA. */
static const struct wattson_device_desc b_devs[] = {
    {"cpu2", "cpu", -1, NULL, 0},
    {"fpga0", "fpga", -1, NULL, 0},
};
static const struct wattson_signal_desc b_sigs[] = {
    {"util", 0, "1", WATTSON_GAUGE, 0, "utilisation"},
    {"freq", 0, "Hz", WATTSON_GAUGE, 0, "clock"},
    {"power", 0, "W", WATTSON_GAUGE, 0, "power"},
    {"power", 1, "W", WATTSON_GAUGE, 0, "power"},
};
static const struct wattson_control_desc b_ctls[] = {
    {"freq", 0, "Hz", FMIN, FMAX, 0, "clock target"},
    {"power_cap", 0, "W", 2.0, 12.0, 0, "cap"},
    {"power_cap", 1, "W", 10.0, 30.0, 0, "board limit"},
};
static const struct wattson_pstate_table b_ps[] = {
    {0, 4, ps_f, ps_busy, ps_idle, 25.0},
};

/* Plugin C: a GPU alone, no CPU (its domain must not be a package). */
static const struct wattson_device_desc c_devs[] = {
    {"gpu9", "gpu", -1, NULL, 0},
};
static const struct wattson_signal_desc c_sigs[] = {
    {"power", 0, "W", WATTSON_GAUGE, 0, "power"},
};
static const struct wattson_control_desc c_ctls[] = {
    {"power_cap", 0, "W", 10.0, 20.0, 0, "board limit"},
};

static const struct wattson_plugin a_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "simA",
};
static const struct wattson_plugin b_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "simB",
};
static const struct wattson_plugin c_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "simC",
};
static struct plug plug_a, plug_b, plug_c;

/* The model of plugin A (with its P-state tables unless no_tables), and
 * of plugins B and C after it when with_b. */
static int build(struct model *m, int with_b, int no_tables)
{
    char err[256];
    struct plug *pp[3] = {&plug_a, &plug_b, &plug_c};
    memset(&plug_a, 0, sizeof plug_a);
    plug_a.desc = &a_desc;
    plug_a.inv.devices = a_devs;
    plug_a.inv.n_devices = 4;
    plug_a.inv.signals = a_sigs;
    plug_a.inv.n_signals = S_N;
    plug_a.inv.controls = a_ctls;
    plug_a.inv.n_controls = C_N;
    plug_a.inv.pstates = a_ps;
    plug_a.inv.n_pstates = no_tables ? 0 : 3;
    memset(&plug_b, 0, sizeof plug_b);
    plug_b.desc = &b_desc;
    plug_b.inv.devices = b_devs;
    plug_b.inv.n_devices = 2;
    plug_b.inv.signals = b_sigs;
    plug_b.inv.n_signals = 4;
    plug_b.inv.controls = b_ctls;
    plug_b.inv.n_controls = 3;
    plug_b.inv.pstates = b_ps;
    plug_b.inv.n_pstates = 1;
    memset(&plug_c, 0, sizeof plug_c);
    plug_c.desc = &c_desc;
    plug_c.inv.devices = c_devs;
    plug_c.inv.n_devices = 1;
    plug_c.inv.signals = c_sigs;
    plug_c.inv.n_signals = 1;
    plug_c.inv.controls = c_ctls;
    plug_c.inv.n_controls = 1;
    int rc = model_build(m, pp, with_b ? 3 : 1, 0, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "model_build: %s\n", err);
    T_CHECK(rc == 0);
    return rc;
}

static void set_sig(struct model *m, int i, double v)
{
    m->val[i] = v;
    m->valid[i] = !isnan(v);
}

/* Plugin A's signals: both cores' util, clock and power. */
static void set_cpus(struct model *m, double u0, double f0, double p0,
                     double u1, double f1, double p1)
{
    set_sig(m, S_UTIL0, u0);
    set_sig(m, S_FREQ0, f0);
    set_sig(m, S_POW0, p0);
    set_sig(m, S_UTIL1, u1);
    set_sig(m, S_FREQ1, f1);
    set_sig(m, S_POW1, p1);
    set_sig(m, S_UTILG, 0.5);
    set_sig(m, S_POWG, 40.0);
    set_sig(m, S_POWR, 100.0);
}

/* A governor's tick: both cores decided at f0 and f1, nothing else. */
static void governor(struct model *m, double f0, double f1)
{
    memset(m->decided, 0, m->n_controls);
    m->decision[C_FREQ0] = f0;
    m->decided[C_FREQ0] = 1;
    m->decision[C_FREQ1] = f1;
    m->decided[C_FREQ1] = 1;
}

static void test_domains_split(void)
{
    struct model m;
    if (build(&m, 1, 0) != 0)
        return;
    struct pwrlimit *pl = pwrlimit_new(&m, 1.0);
    T_CHECK(pl != NULL);
    if (!pl) {
        model_free(&m);
        return;
    }
    /* Devices: A cpu0 0, cpu1 1, gpu0 2, rail0 3; B cpu2 4, fpga0 5;
     * C gpu9 6.  Controls: A's 0..6, B's 7..9, C's 10. */
    enum { C_CAP2 = C_N + 1, C_CAPF = C_N + 2, C_CAP9 = C_N + 3 };
    T_CHECK(pwrlimit_n_domains(pl) == 5);
    size_t n;
    const uint32_t *mem = pwrlimit_members(pl, 0, &n);
    T_CHECK(pwrlimit_is_package(pl, 0) && n == 2 && mem && mem[0] == 0 &&
            mem[1] == 1);
    mem = pwrlimit_members(pl, 1, &n);
    T_CHECK(!pwrlimit_is_package(pl, 1) && n == 1 && mem && mem[0] == 2);
    mem = pwrlimit_members(pl, 2, &n);
    T_CHECK(pwrlimit_is_package(pl, 2) && n == 1 && mem && mem[0] == 4);
    mem = pwrlimit_members(pl, 3, &n);
    T_CHECK(!pwrlimit_is_package(pl, 3) && n == 1 && mem && mem[0] == 5);
    /* A plugin without CPUs has no package. */
    mem = pwrlimit_members(pl, 4, &n);
    T_CHECK(!pwrlimit_is_package(pl, 4) && n == 1 && mem && mem[0] == 6);
    T_CHECK(pwrlimit_members(pl, 5, &n) == NULL && n == 0);
    T_CHECK(pwrlimit_domain_of(pl, 0) == 0 && pwrlimit_domain_of(pl, 1) == 0);
    T_CHECK(pwrlimit_domain_of(pl, 2) == 1);
    T_CHECK(pwrlimit_domain_of(pl, 3) == -1); /* the rail: no domain */
    T_CHECK(pwrlimit_domain_of(pl, 4) == 2 && pwrlimit_domain_of(pl, 5) == 3);
    T_CHECK(pwrlimit_domain_of(pl, 6) == 4);
    T_CHECK(pwrlimit_domain_of(pl, 99) == -1);

    /* Budget 68: minimums 2+2+20+2+10+10 = 46, ranges 10+10+50+10+20+10
     * = 110, share 0.2: cpus 4 each, gpu0 30, fpga 14, gpu9 12. */
    set_cpus(&m, 0.5, FMAX, 3, 0.5, FMAX, 3);
    m.dt = 0.1;
    m.budget_w = 68;
    governor(&m, FMAX, FMAX);
    pwrlimit_apply(pl, &m);
    T_NEAR(pwrlimit_limit(pl, 0), 8.0, 1e-12);
    T_NEAR(pwrlimit_limit(pl, 1), 30.0, 1e-12);
    T_NEAR(pwrlimit_limit(pl, 2), 4.0, 1e-12);
    T_NEAR(pwrlimit_limit(pl, 3), 14.0, 1e-12);
    T_NEAR(pwrlimit_limit(pl, 4), 12.0, 1e-12);
    double sum = 0;
    for (size_t i = 0; i < pwrlimit_n_domains(pl); i++)
        sum += pwrlimit_limit(pl, i);
    T_NEAR(sum, 68.0, 1e-9);
    /* Single-PU domains: the cap is the limit (the device's own
     * limiter); package cores: their maximum (the package enforces);
     * the rail untouched. */
    T_NEAR(m.decision[C_CAPG], 30.0, 1e-12);
    T_NEAR(m.decision[C_CAPF], 14.0, 1e-12);
    T_NEAR(m.decision[C_CAP9], 12.0, 1e-12);
    T_NEAR(m.decision[C_CAP0], 12.0, 0);
    T_NEAR(m.decision[C_CAP1], 12.0, 0);
    T_NEAR(m.decision[C_CAP2], 12.0, 0);
    T_CHECK(m.decided[C_CAPG] && m.decided[C_CAP0] && !m.decided[C_CAPR]);
    T_CHECK(!m.decided[C_FREQG]); /* a GPU's clock is the governor's */

    /* Other budgets: the split sums to the budget while it is between
     * the minimums and the maximums (46 and 156 W). */
    static const double budgets[] = {46.0, 47.5, 100.0, 155.9};
    for (size_t b = 0; b < 4; b++) {
        m.budget_w = budgets[b];
        pwrlimit_apply(pl, &m);
        sum = 0;
        for (size_t i = 0; i < pwrlimit_n_domains(pl); i++)
            sum += pwrlimit_limit(pl, i);
        T_NEAR(sum, budgets[b], 1e-9);
    }
    m.budget_w = 1000; /* above every maximum: the maxima */
    pwrlimit_apply(pl, &m);
    T_NEAR(pwrlimit_limit(pl, 0), 24.0, 1e-12);
    T_NEAR(pwrlimit_limit(pl, 1), 70.0, 1e-12);
    T_NEAR(pwrlimit_limit(pl, 3), 30.0, 1e-12);
    T_NEAR(pwrlimit_limit(pl, 4), 20.0, 1e-12);

    /* pwrlimit_split alone: per PU position (all have a cap). */
    double caps[8];
    m.budget_w = 68;
    pwrlimit_split(&m, caps);
    T_CHECK(m.n_pus == 6);
    double all = 0;
    for (size_t k = 0; k < 6; k++)
        all += caps[k];
    T_NEAR(all, 68.0, 1e-9);
    m.budget_w = 0;
    pwrlimit_split(&m, caps);
    T_NEAR(caps[2], 70.0, 0);
    pwrlimit_free(pl);
    model_free(&m);
}

/* The running average against avg(t) = P (1 - exp(-t / tau)) for a step
 * of package power P from 0, then its decay avg(t0) exp(-(t - t0) / tau);
 * with unequal ticks too (the update is exact for a power held over each
 * tick, whatever the ticks). */
static void test_running_average(void)
{
    struct model m;
    if (build(&m, 0, 0) != 0)
        return;
    const double taus[] = {1.0, 2.5};
    for (int ti = 0; ti < 2; ti++) {
        double tau = taus[ti];
        struct pwrlimit *pl = pwrlimit_new(&m, tau);
        if (!pl)
            continue;
        T_NEAR(pwrlimit_tau(pl), tau, 0);
        m.budget_w = 38;
        m.dt = 0.1;
        T_NEAR(pwrlimit_avg(pl, 0), 0.0, 0);
        double t = 0;
        for (int k = 1; k <= 30; k++) {
            set_cpus(&m, 0.5, FMAX, 2.5, 0.5, FMAX, 3.5); /* P = 6 W */
            governor(&m, FMAX, FMAX);
            pwrlimit_apply(pl, &m);
            t += m.dt;
            T_NEAR(pwrlimit_avg(pl, 0), 6.0 * (1 - exp(-t / tau)), 1e-12);
        }
        double a30 = pwrlimit_avg(pl, 0), t30 = t;
        for (int k = 1; k <= 30; k++) {
            set_cpus(&m, 0.0, FMIN, 0.0, 0.0, FMIN, 0.0); /* P = 0 */
            governor(&m, FMIN, FMIN);
            pwrlimit_apply(pl, &m);
            t += m.dt;
            T_NEAR(pwrlimit_avg(pl, 0), a30 * exp(-(t - t30) / tau), 1e-12);
        }
        /* The GPU domain keeps no average. */
        T_NEAR(pwrlimit_avg(pl, 1), 0.0, 0);
        pwrlimit_free(pl);

        /* Unequal ticks: the same closed form at every boundary. */
        pl = pwrlimit_new(&m, tau);
        if (!pl)
            continue;
        static const double dts[] = {0.01, 0.25, 0.1, 0.003, 0.5, 0.07};
        t = 0;
        for (int k = 0; k < 24; k++) {
            m.dt = dts[k % 6];
            set_cpus(&m, 0.5, FMAX, 4.0, 0.5, FMAX, 5.0); /* P = 9 W */
            governor(&m, FMAX, FMAX);
            pwrlimit_apply(pl, &m);
            t += m.dt;
            T_NEAR(pwrlimit_avg(pl, 0), 9.0 * (1 - exp(-t / tau)), 1e-12);
        }
        /* dt = 0 (the first tick of a run): the average stands. */
        double before = pwrlimit_avg(pl, 0);
        m.dt = 0;
        pwrlimit_apply(pl, &m);
        T_NEAR(pwrlimit_avg(pl, 0), before, 0);
        pwrlimit_free(pl);
    }
    model_free(&m);
}

/* Two cores, the 4-state table, budget 38: package PL1 = 8 W (cpus 4 W
 * each: 2 + 10 x 0.2; the GPU 30 W), PL2 = 10 W.  cpu0 is fully busy
 * at 2.8 GHz, cpu1 half busy at 3.7 GHz.  Predicted package power with
 * both at a ceiling F (u scaled to F, at most 1):
 *   3.7 GHz: cpu0 u = 2.8/3.7:   1.6 + 0.756757 x 8.0 = 7.654054
 *            cpu1 u = 0.5:       1.6 + 0.5 x 8.0      = 5.6        13.254
 *   2.8 GHz: cpu0 u = 1:         5.4
 *            cpu1 u = 0.660714:  1.2 + 0.660714 x 4.2 = 3.975       9.375
 *   2.2 GHz: cpu0 u = 1:         3.6
 *            cpu1 u = 0.840909:  1.0 + 0.840909 x 2.6 = 3.186364    6.786
 *   1.5 GHz: both u = 1:         2.3 + 2.3                          4.6 */
static void test_ceiling(void)
{
    struct model m;
    if (build(&m, 0, 0) != 0)
        return;
    struct pwrlimit *pl = pwrlimit_new(&m, 1.0);
    if (!pl) {
        model_free(&m);
        return;
    }
    const double a = 1 - exp(-0.1);
    m.budget_w = 38;
    m.dt = 0.1;

    /* A package that drew nothing: the average allows 8 / a = 84 W, PL2
     * clamps it to 10 W: the ceiling is 2.8 GHz (9.375 W). */
    set_cpus(&m, 1.0, 2.8e9, 0.0, 0.5, FMAX, 0.0);
    governor(&m, FMAX, FMAX);
    pwrlimit_apply(pl, &m);
    T_NEAR(pwrlimit_limit(pl, 0), 8.0, 1e-12);
    T_NEAR(pwrlimit_limit(pl, 1), 30.0, 1e-12);
    T_NEAR(pwrlimit_avg(pl, 0), 0.0, 0);
    T_NEAR(pwrlimit_allow(pl, 0), 10.0, 1e-12); /* PL2 = 1.25 x 8 */
    T_NEAR(pwrlimit_ceiling(pl, 0), 2.8e9, 0);
    T_NEAR(pwrlimit_predicted(pl, 0), 9.375, 1e-9);
    T_NEAR(m.decision[C_FREQ0], 2.8e9, 0);
    T_NEAR(m.decision[C_FREQ1], 2.8e9, 0);
    T_NEAR(m.decision[C_CAP0], 12.0, 0);
    T_NEAR(m.decision[C_CAP1], 12.0, 0);
    T_NEAR(m.decision[C_CAPG], 30.0, 1e-12);

    /* A governor that already chose 1.5 GHz for cpu1: the prediction
     * takes it (2.3 W, u = min(1, 0.5 x 3.7 / 1.5)), so 3.7 GHz fits
     * for cpu0: 7.654054 + 2.3 = 9.954 <= 10. */
    set_cpus(&m, 1.0, 2.8e9, 0.0, 0.5, FMAX, 0.0);
    governor(&m, FMAX, FMIN);
    pwrlimit_apply(pl, &m);
    T_NEAR(pwrlimit_ceiling(pl, 0), FMAX, 0);
    T_NEAR(pwrlimit_predicted(pl, 0), 1.6 + 8.0 * 2.8 / 3.7 + 2.3, 1e-9);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    T_NEAR(m.decision[C_FREQ1], FMIN, 0); /* never raised */

    /* Held at PL1: after 200 ticks at 8 W the average is 8 W (to
     * 8 e^-20) and the allowance is the closed form, 8 W: 2.2 GHz. */
    for (int k = 0; k < 200; k++) {
        set_cpus(&m, 1.0, 2.8e9, 4.0, 0.5, FMAX, 4.0);
        governor(&m, FMAX, FMAX);
        pwrlimit_apply(pl, &m);
    }
    double avg = pwrlimit_avg(pl, 0);
    T_NEAR(avg, 8.0, 1e-6);
    T_NEAR(pwrlimit_allow(pl, 0), avg + (8.0 - avg) / a, 1e-9);
    T_CHECK(pwrlimit_allow(pl, 0) < 10.0);
    T_NEAR(pwrlimit_ceiling(pl, 0), 2.2e9, 0);
    T_NEAR(pwrlimit_predicted(pl, 0), 3.6 + 1.0 + 0.5 * 3.7 / 2.2 * 2.6, 1e-9);
    T_NEAR(m.decision[C_FREQ0], 2.2e9, 0);
    T_NEAR(m.decision[C_FREQ1], 2.2e9, 0);

    /* Above PL1 on average: the allowance drops below PL1 so the average
     * comes back; at 12 W for 200 ticks it is 12 + (8 - 12) / a < 0:
     * nothing fits, the lowest clock. */
    for (int k = 0; k < 200; k++) {
        set_cpus(&m, 1.0, 2.8e9, 6.0, 0.5, FMAX, 6.0);
        governor(&m, FMAX, FMAX);
        pwrlimit_apply(pl, &m);
    }
    avg = pwrlimit_avg(pl, 0);
    T_NEAR(pwrlimit_allow(pl, 0), avg + (8.0 - avg) / a, 1e-9);
    T_CHECK(pwrlimit_allow(pl, 0) < 0);
    T_NEAR(pwrlimit_ceiling(pl, 0), FMIN, 0);
    T_NEAR(pwrlimit_predicted(pl, 0), 4.6, 1e-9);
    T_NEAR(m.decision[C_FREQ0], FMIN, 0);

    /* The average decays; one tick where it is a little above PL1
     * allows less than PL1, and exactly the closed form. */
    for (int k = 0; k < 60; k++) {
        set_cpus(&m, 0.0, FMIN, 0.0, 0.0, FMIN, 0.0);
        governor(&m, FMIN, FMIN);
        pwrlimit_apply(pl, &m);
        if (pwrlimit_avg(pl, 0) < 8.5)
            break;
    }
    avg = pwrlimit_avg(pl, 0);
    T_CHECK(avg > 8.0 && avg < 8.5);
    T_NEAR(pwrlimit_allow(pl, 0), avg + (8.0 - avg) / a, 1e-9);
    T_CHECK(pwrlimit_allow(pl, 0) < 8.0);

    /* A clock the governor left undecided: its target, else the value
     * the driver holds, else the maximum.  cpu0's target of 1.5 GHz
     * (2.3 W fully busy) leaves room at PL1 (~8 W) for cpu1 at 3.7 GHz
     * (5.6 W): the ceiling is the top clock, 7.9 W. */
    for (int k = 0; k < 200; k++) {
        set_cpus(&m, 1.0, 2.8e9, 4.0, 0.5, FMAX, 4.0);
        governor(&m, FMAX, FMAX);
        pwrlimit_apply(pl, &m);
    }
    memset(m.decided, 0, m.n_controls);
    m.target[C_FREQ0] = 1.5e9;
    m.targeted[C_FREQ0] = 1;
    pwrlimit_apply(pl, &m);
    T_NEAR(pwrlimit_ceiling(pl, 0), FMAX, 0);
    T_NEAR(pwrlimit_predicted(pl, 0), 2.3 + 5.6, 1e-9);
    T_NEAR(m.decision[C_FREQ0], 1.5e9, 0);
    T_NEAR(m.decision[C_FREQ1], FMAX, 0);
    T_CHECK(m.decided[C_FREQ0] && m.decided[C_FREQ1]);
    pwrlimit_free(pl);
    model_free(&m);
}

/* No budget: no limit; the average still runs. */
static void test_no_budget(void)
{
    struct model m;
    if (build(&m, 0, 0) != 0)
        return;
    struct pwrlimit *pl = pwrlimit_new(&m, 0); /* 0: the default tau */
    if (!pl) {
        model_free(&m);
        return;
    }
    T_NEAR(pwrlimit_tau(pl), PWRLIMIT_TAU_DEFAULT, 0);
    m.budget_w = 0;
    m.dt = 0.1;
    set_cpus(&m, 1.0, FMAX, 9.6, 1.0, FMAX, 9.6);
    governor(&m, FMAX, FMAX);
    pwrlimit_apply(pl, &m);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    T_NEAR(m.decision[C_FREQ1], FMAX, 0);
    T_NEAR(m.decision[C_CAP0], 12.0, 0);
    T_NEAR(m.decision[C_CAPG], 70.0, 0);
    T_CHECK(isinf(pwrlimit_ceiling(pl, 0)) && isinf(pwrlimit_allow(pl, 0)));
    T_NEAR(pwrlimit_limit(pl, 0), 0.0, 0);
    T_NEAR(pwrlimit_avg(pl, 0), 19.2 * (1 - exp(-0.1)), 1e-12);
    pwrlimit_free(pl);
    pl = pwrlimit_new(&m, NAN);
    T_CHECK(pl && pwrlimit_tau(pl) == PWRLIMIT_TAU_DEFAULT);
    pwrlimit_free(pl);
    model_free(&m);
}

/* The first sample: no util, no clock, no power readings.  The power
 * over the tick is predicted (top state, fully busy: 9.6 W a core) and
 * the ceiling is chosen with both cores fully busy (19.2, 10.8, 7.2,
 * 4.6 W): 2.2 GHz under PL2's 10 W.  Nothing is NaN. */
static void test_invalid_signals(void)
{
    struct model m;
    if (build(&m, 0, 0) != 0)
        return;
    struct pwrlimit *pl = pwrlimit_new(&m, 1.0);
    if (!pl) {
        model_free(&m);
        return;
    }
    m.budget_w = 38;
    m.dt = 0.1;
    set_cpus(&m, NAN, NAN, NAN, NAN, NAN, NAN);
    governor(&m, FMAX, FMAX);
    pwrlimit_apply(pl, &m);
    T_NEAR(pwrlimit_avg(pl, 0), 19.2 * (1 - exp(-0.1)), 1e-12);
    T_NEAR(pwrlimit_allow(pl, 0), 10.0, 1e-12);
    T_NEAR(pwrlimit_ceiling(pl, 0), 2.2e9, 0);
    T_NEAR(pwrlimit_predicted(pl, 0), 7.2, 1e-12);
    for (size_t c = 0; c < m.n_controls; c++)
        T_CHECK(!m.decided[c] || isfinite(m.decision[c]));
    /* A NaN budget is no budget; a NaN dt leaves the average. */
    double avg = pwrlimit_avg(pl, 0);
    m.budget_w = NAN;
    m.dt = NAN;
    governor(&m, FMAX, FMAX);
    pwrlimit_apply(pl, &m);
    T_NEAR(pwrlimit_avg(pl, 0), avg, 0);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    for (size_t c = 0; c < m.n_controls; c++)
        T_CHECK(!m.decided[c] || isfinite(m.decision[c]));
    pwrlimit_free(pl);
    model_free(&m);
}

/* A package without P-state tables cannot predict a ceiling: its cores
 * get the per-PU split (4 W each at budget 38) and keep their clocks. */
static void test_no_tables(void)
{
    struct model m;
    if (build(&m, 0, 1) != 0)
        return;
    struct pwrlimit *pl = pwrlimit_new(&m, 1.0);
    if (!pl) {
        model_free(&m);
        return;
    }
    m.budget_w = 38;
    m.dt = 0.1;
    set_cpus(&m, 1.0, FMAX, 9.0, 1.0, FMAX, 9.0);
    governor(&m, FMAX, FMAX);
    pwrlimit_apply(pl, &m);
    T_NEAR(m.decision[C_CAP0], 4.0, 1e-12);
    T_NEAR(m.decision[C_CAP1], 4.0, 1e-12);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    T_NEAR(m.decision[C_CAPG], 30.0, 1e-12);
    T_CHECK(isinf(pwrlimit_ceiling(pl, 0)));
    T_NEAR(pwrlimit_avg(pl, 0), 18.0 * (1 - exp(-0.1)), 1e-12);
    pwrlimit_free(pl);
    model_free(&m);
}

/* Limits set (pwrlimit_set_limit): the domain ranges, the shares, a
 * GPU's cap and a package's PL1 taking the value set (clamped to the
 * range), NAN back to the split; a lowered PL1 acting through the
 * allowance on the running average, which the set does not touch; a
 * table-less package's cores sharing a set limit as the split would; no
 * budget, no limit; pwrlimit_held. */
static void test_set_limit(void)
{
    struct model m;
    if (build(&m, 1, 0) != 0)
        return;
    struct pwrlimit *pl = pwrlimit_new(&m, 1.0);
    if (!pl) {
        model_free(&m);
        return;
    }
    enum { C_CAPF = C_N + 2 };
    /* Ranges: sums of the PUs' cap minimums and maximums. */
    T_NEAR(pwrlimit_min(pl, 0), 4.0, 0);
    T_NEAR(pwrlimit_max(pl, 0), 24.0, 0);
    T_NEAR(pwrlimit_min(pl, 1), 20.0, 0);
    T_NEAR(pwrlimit_max(pl, 1), 70.0, 0);
    T_NEAR(pwrlimit_min(pl, 3), 10.0, 0);
    T_NEAR(pwrlimit_max(pl, 3), 30.0, 0);
    T_CHECK(isnan(pwrlimit_min(pl, 5)) && isnan(pwrlimit_max(pl, 5)));
    /* The shares at 68 W (test_domains_split's figures). */
    double sh[5];
    m.budget_w = 68;
    pwrlimit_shares(pl, &m, sh);
    T_NEAR(sh[0], 8.0, 1e-12);
    T_NEAR(sh[1], 30.0, 1e-12);
    T_NEAR(sh[2], 4.0, 1e-12);
    T_NEAR(sh[3], 14.0, 1e-12);
    T_NEAR(sh[4], 12.0, 1e-12);

    m.dt = 0.1;
    set_cpus(&m, 1.0, 2.8e9, 4.0, 0.5, FMAX, 4.0);
    /* A GPU's and an FPGA's limit is their cap. */
    pwrlimit_set_limit(pl, 1, 40.0);
    pwrlimit_set_limit(pl, 3, 1000.0); /* clamped to 30 */
    pwrlimit_set_limit(pl, 9, 1.0);    /* no such domain: ignored */
    governor(&m, FMAX, FMAX);
    pwrlimit_apply(pl, &m);
    T_NEAR(pwrlimit_limit(pl, 1), 40.0, 0);
    T_NEAR(m.decision[C_CAPG], 40.0, 0);
    T_NEAR(pwrlimit_limit(pl, 3), 30.0, 0);
    T_NEAR(m.decision[C_CAPF], 30.0, 0);
    T_NEAR(pwrlimit_limit(pl, 0), 8.0, 1e-12); /* the split's */
    T_CHECK(pwrlimit_held(pl, 1) == -1);       /* its own limiter */
    pwrlimit_set_limit(pl, 1, 0.0);            /* clamped to its minimum */
    pwrlimit_set_limit(pl, 3, NAN);            /* the split's again */
    pwrlimit_apply(pl, &m);
    T_NEAR(m.decision[C_CAPG], 20.0, 0);
    T_NEAR(m.decision[C_CAPF], 14.0, 1e-12);

    /* A package held at its split's 8 W for 200 ticks (8 W drawn):
     * the ceiling 2.2 GHz clamps the governor's 3.7 GHz: held. */
    const double a = 1 - exp(-0.1);
    for (int k = 0; k < 200; k++) {
        governor(&m, FMAX, FMAX);
        pwrlimit_apply(pl, &m);
    }
    double avg = pwrlimit_avg(pl, 0);
    T_NEAR(avg, 8.0, 1e-6);
    T_NEAR(pwrlimit_ceiling(pl, 0), 2.2e9, 0);
    T_CHECK(pwrlimit_held(pl, 0) == 1);
    /* PL1 lowered to 6 W: the next allowance is the closed form for the
     * same average, below 6 W; the average goes on from the 8 W drawn
     * (as a PL1 written to the MSR leaves the hardware's average). */
    pwrlimit_set_limit(pl, 0, 6.0);
    governor(&m, FMAX, FMAX);
    pwrlimit_apply(pl, &m);
    double avg2 = avg + (8.0 - avg) * a;
    T_NEAR(pwrlimit_avg(pl, 0), avg2, 1e-12);
    T_NEAR(pwrlimit_limit(pl, 0), 6.0, 0);
    T_NEAR(pwrlimit_allow(pl, 0), avg2 + (6.0 - avg2) / a, 1e-9);
    T_CHECK(pwrlimit_allow(pl, 0) < 6.0);
    /* Raised to 12 W: PL2 = 15 W bounds the allowance at once; both
     * cores fit at 3.7 GHz (7.654 + 5.6 W): not held. */
    pwrlimit_set_limit(pl, 0, 12.0);
    governor(&m, FMAX, FMAX);
    pwrlimit_apply(pl, &m);
    T_NEAR(pwrlimit_allow(pl, 0), 15.0, 1e-12);
    T_NEAR(pwrlimit_ceiling(pl, 0), FMAX, 0);
    T_CHECK(pwrlimit_held(pl, 0) == 0);
    /* A governor below the ceiling is not held either. */
    pwrlimit_set_limit(pl, 0, 4.0);
    for (int k = 0; k < 50; k++) {
        set_cpus(&m, 0.1, FMIN, 1.0, 0.1, FMIN, 1.0);
        governor(&m, FMIN, FMIN);
        pwrlimit_apply(pl, &m);
    }
    T_CHECK(pwrlimit_held(pl, 0) == 0);
    /* No budget: no limit, whatever was set; the set limit stays for
     * when one comes back. */
    m.budget_w = 0;
    governor(&m, FMAX, FMAX);
    pwrlimit_apply(pl, &m);
    T_NEAR(pwrlimit_limit(pl, 0), 0.0, 0);
    T_NEAR(m.decision[C_CAPG], 70.0, 0);
    T_CHECK(isinf(pwrlimit_ceiling(pl, 0)) && pwrlimit_held(pl, 0) == 0);
    m.budget_w = 68;
    pwrlimit_apply(pl, &m);
    T_NEAR(pwrlimit_limit(pl, 0), 4.0, 0);
    T_NEAR(m.decision[C_CAPG], 20.0, 0);
    pwrlimit_free(pl);
    model_free(&m);

    /* A package without tables: a set 14 W is 7 W a core (2 + 0.5 x
     * 10), as the split would give them for 14 W. */
    if (build(&m, 0, 1) != 0)
        return;
    pl = pwrlimit_new(&m, 1.0);
    if (!pl) {
        model_free(&m);
        return;
    }
    m.budget_w = 38;
    m.dt = 0.1;
    set_cpus(&m, 1.0, FMAX, 9.0, 1.0, FMAX, 9.0);
    pwrlimit_set_limit(pl, 0, 14.0);
    governor(&m, FMAX, FMAX);
    pwrlimit_apply(pl, &m);
    T_NEAR(m.decision[C_CAP0], 7.0, 1e-12);
    T_NEAR(m.decision[C_CAP1], 7.0, 1e-12);
    T_CHECK(pwrlimit_held(pl, 0) == -1);
    pwrlimit_free(pl);
    model_free(&m);
}

static void test_noalloc(void)
{
    struct model m;
    if (build(&m, 1, 0) != 0)
        return;
    struct pwrlimit *pl = pwrlimit_new(&m, 1.0);
    if (!pl) {
        model_free(&m);
        return;
    }
    m.budget_w = 50;
    m.dt = 0.01;
    unsigned long al, fr;
    allocount_start();
    for (int i = 0; i < 1000; i++) {
        set_cpus(&m, (i % 11) / 10.0, ps_f[i % 4], 1 + i % 9, (i % 7) / 6.0,
                 ps_f[(i / 3) % 4], 2 + i % 5);
        governor(&m, ps_f[i % 4], FMAX);
        m.budget_w = i % 100 == 99 ? 0 : 50;
        pwrlimit_set_limit(pl, (size_t)i % 5, i % 3 ? 5.0 + i % 40 : NAN);
        pwrlimit_apply(pl, &m);
    }
    allocount_stop(&al, &fr);
    T_CHECK(al == 0 && fr == 0);
    for (size_t c = 0; c < m.n_controls; c++)
        T_CHECK(!m.decided[c] || isfinite(m.decision[c]));
    pwrlimit_free(pl);
    model_free(&m);
}

int main(void)
{
    allocount_install();
    test_domains_split();
    test_running_average();
    test_ceiling();
    test_no_budget();
    test_invalid_signals();
    test_no_tables();
    test_set_limit();
    test_noalloc();
    return t_done("test_pwrlimit");
}

/*
 * The baseline governors (policies/governors.h) against hand-computed
 * kernel decisions: cpufreq's P-state relations, ondemand's od_update,
 * conservative's requested_freq over a sequence, schedutil's next_f, PELT
 * against the closed form y^n, util_est, rate_limit_us and
 * sugov_hold_freq; the sampling period (decisions held between samples,
 * the load weighted by tick length, a tick longer than the period); the
 * decisions they write into a synthetic model (an in-process fake driver,
 * no dlopen: one PU with a P-state table, one without, and a non-PU
 * rail); the lab's `governor_period`; `builtin:NAME` parsing; no
 * allocation per tick (directly and through whole runs of the default lab
 * with the real sim plugin), and the broker bench's trailing-mean window.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "allocount.h"
#include "core/lab.h"
#include "core/model.h"
#include "core/stats.h"
#include "cmd/bbench.h"
#include "run/run.h"
#include "loader/loader.h"
#include "engines/broker.h"
#include "policies/governors.h"
#include "t.h"

#define FMIN 1.5e9
#define FMAX 3.7e9

static const struct wattson_device_desc fake_devs[] = {
    {"cpu0", "cpu", -1, NULL, 0},
    {"cpu1", "cpu", -1, NULL, 0},
    {"rail0", "rail", -1, NULL, 0},
};
enum { S_UTIL0, S_FREQ0, S_UTIL1, S_FREQ1, S_POWER2 };
static const struct wattson_signal_desc fake_sigs[] = {
    {"util", 0, "1", WATTSON_GAUGE, 0, "utilisation"},
    {"freq", 0, "Hz", WATTSON_GAUGE, 0, "clock"},
    {"util", 1, "1", WATTSON_GAUGE, 0, "utilisation"},
    {"freq", 1, "Hz", WATTSON_GAUGE, 0, "clock"},
    {"power", 2, "W", WATTSON_GAUGE, 0, "power"},
};
enum { C_FREQ0, C_CAP0, C_FREQ1, C_CAP1, C_CAP2 };
static const struct wattson_control_desc fake_ctls[] = {
    {"freq", 0, "Hz", FMIN, FMAX, 0, "clock target"},
    {"power_cap", 0, "W", 2.0, 12.0, 0, "cap"},
    {"freq", 1, "Hz", FMIN, FMAX, 0, "clock target"},
    {"power_cap", 1, "W", 2.0, 12.0, 0, "cap"},
    {"power_cap", 2, "W", 0.0, 500.0, 0, "a rail's cap, not a PU's"},
};
/* cpu0 has the Zen 3 core's P-states; cpu1 has no table. */
static const double ps_f[] = {1.5e9, 2.2e9, 2.8e9, 3.7e9};
static const double ps_busy[] = {2.3, 3.6, 5.4, 9.6};
static const double ps_idle[] = {0.9, 1.0, 1.2, 1.6};
static const struct wattson_pstate_table fake_ps[] = {
    {0, 4, ps_f, ps_busy, ps_idle, 25.0},
};
static const struct wattson_plugin fake_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "fake",
};
static struct plug fake_plug;

static int build(struct model *m)
{
    char err[256];
    struct plug *pp = &fake_plug;
    memset(&fake_plug, 0, sizeof fake_plug);
    fake_plug.desc = &fake_desc;
    fake_plug.inv.devices = fake_devs;
    fake_plug.inv.n_devices = 3;
    fake_plug.inv.signals = fake_sigs;
    fake_plug.inv.n_signals = 5;
    fake_plug.inv.controls = fake_ctls;
    fake_plug.inv.n_controls = 5;
    fake_plug.inv.pstates = fake_ps;
    fake_plug.inv.n_pstates = 1;
    int rc = model_build(m, &pp, 1, 0, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "model_build: %s\n", err);
    T_CHECK(rc == 0);
    return rc;
}

/* This tick's samples: both PUs' util and clock. */
static void set_sigs(struct model *m, double u0, double f0, double u1,
                     double f1)
{
    const double v[] = {u0, f0, u1, f1, 100.0};
    for (int i = 0; i < 5; i++) {
        m->val[i] = v[i];
        m->valid[i] = !isnan(v[i]);
    }
}

/* One decide call of governor `name` on m; returns its result. */
static int decide_with(const char *name, struct model *m)
{
    const struct policy_ops *g = gov_find(name);
    struct stats st = {0};
    T_CHECK(g != NULL);
    if (!g)
        return -1;
    void *state = g->create(m);
    T_CHECK(state != NULL);
    memset(m->decided, 0, m->n_controls);
    int rc = g->decide(state, m, &st);
    if (g->destroy)
        g->destroy(state);
    return rc;
}

static void test_names(void)
{
    static const char *const want[] = {
        "performance", "ondemand",        "conservative", "schedutil",
        "naive-split", "balancer",        "race",         "broker-noipc",
        "broker",      "perfect-forecast"};
    size_t n = 0;
    while (gov_name(n))
        n++;
    T_CHECK(n == 10);
    for (size_t i = 0; i < 10 && i < n; i++) {
        T_STREQ(gov_name(i), want[i]);
        T_CHECK(gov_find(want[i]) != NULL);
        T_STREQ(gov_find(want[i])->name, want[i]);
    }
    /* The old name of perfect-forecast still finds it (with a warning):
     * scripts that used builtin:oracle keep working. */
    T_CHECK(gov_find("oracle") == gov_find("perfect-forecast"));
    /* static's clocks under the hardware's limits are `performance`. */
    T_CHECK(gov_find("static") == gov_find("performance"));
    T_CHECK(gov_find("nope") == NULL);
    T_CHECK(gov_find("") == NULL);
    T_CHECK(gov_find(NULL) == NULL);
    char list[128];
    gov_list(list, sizeof list);
    T_STREQ(list, "performance, ondemand, conservative, schedutil, "
                  "naive-split, balancer, race, broker-noipc, broker, "
                  "perfect-forecast");
    char tiny[8];
    gov_list(tiny, sizeof tiny); /* truncated, terminated */
    T_CHECK(strlen(tiny) == 7);

    const struct policy_ops *ops = NULL;
    char err[256] = "";
    T_CHECK(gov_parse("builtin:ondemand", &ops, err, sizeof err) == 1);
    T_CHECK(ops == gov_find("ondemand"));
    ops = NULL;
    T_CHECK(gov_parse("builtin", &ops, err, sizeof err) == 0 && !ops);
    T_CHECK(gov_parse("balanced.lua", &ops, err, sizeof err) == 0 && !ops);
    T_CHECK(gov_parse(NULL, &ops, err, sizeof err) == 0 && !ops);
    T_CHECK(gov_parse("builtin:nope", &ops, err, sizeof err) == -1 && !ops);
    T_CHECK(strstr(err, "unknown built-in policy 'nope'") != NULL);
    T_CHECK(strstr(err, "performance, ondemand, conservative") != NULL);
    T_CHECK(gov_parse("builtin:", &ops, err, sizeof err) == -1);
    T_CHECK(gov_broker_source(gov_find("perfect-forecast")) == BROKER_PERFECT);
    T_CHECK(gov_broker_source(gov_find("broker")) == BROKER_IPC);
    T_CHECK(gov_broker_source(gov_find("broker-noipc")) == BROKER_FORECAST);
    T_CHECK(gov_broker_source(gov_find("schedutil")) == -1);
    T_CHECK(gov_broker_source(NULL) == -1);
}
/* A governor kept across ticks on m, as the decide stage keeps it. */
struct gov_run {
    const struct policy_ops *ops;
    void *st;
};

static void gov_start(struct gov_run *g, const char *name, struct model *m)
{
    g->ops = gov_find(name);
    T_CHECK(g->ops != NULL);
    g->st = g->ops ? g->ops->create(m) : NULL;
    T_CHECK(g->st != NULL);
    m->t = 0;
    m->dt = 0;
    memset(m->targeted, 0, m->n_controls);
    memset(m->applied_known, 0, m->n_controls);
}

/* One tick of dt seconds with these samples (util, clock per PU). */
static void gov_step(struct gov_run *g, struct model *m, double dt, double u0,
                     double f0, double u1, double f1)
{
    struct stats st = {0};
    m->dt = dt;
    m->t += dt;
    set_sigs(m, u0, f0, u1, f1);
    memset(m->decided, 0, m->n_controls);
    if (g->ops && g->st)
        T_CHECK(g->ops->decide(g->st, m, &st) == 0);
}

static void gov_stop(struct gov_run *g)
{
    if (g->ops && g->ops->destroy && g->st)
        g->ops->destroy(g->st);
    g->st = NULL;
}

/* PELT's y: y^32 = 1/2 (kernel/sched/pelt.c). */
#define PELT_Y pow(0.5, 1.0 / 32)
#define PELT_P 1.024e-3 /* one PELT period, s */

/* The P-state relations of cpufreq's table lookups (include/linux/cpufreq.h,
 * cpufreq_table_find_index_al / _ah / _ac), after clamping to the limits. */
static void test_resolve(void)
{
    /* L: the lowest state at or above. */
    T_NEAR(gov_resolve(2.3e9, GOV_REL_L, ps_f, 4, FMIN, FMAX), 2.8e9, 0);
    T_NEAR(gov_resolve(2.2e9, GOV_REL_L, ps_f, 4, FMIN, FMAX), 2.2e9, 0);
    T_NEAR(gov_resolve(9e9, GOV_REL_L, ps_f, 4, FMIN, FMAX), 3.7e9, 0);
    T_NEAR(gov_resolve(1e9, GOV_REL_L, ps_f, 4, FMIN, FMAX), 1.5e9, 0);
    /* H: the highest state at or below. */
    T_NEAR(gov_resolve(2.3e9, GOV_REL_H, ps_f, 4, FMIN, FMAX), 2.2e9, 0);
    T_NEAR(gov_resolve(2.8e9, GOV_REL_H, ps_f, 4, FMIN, FMAX), 2.8e9, 0);
    T_NEAR(gov_resolve(1.6e9, GOV_REL_H, ps_f, 4, FMIN, FMAX), 1.5e9, 0);
    T_NEAR(gov_resolve(1e9, GOV_REL_H, ps_f, 4, FMIN, FMAX), 1.5e9, 0);
    /* C: the closest: 2.6 is 0.2 from 2.8, 0.4 from 2.2; 3.2 is 0.4 from
     * 2.8, 0.5 from 3.7; 3.3 is 0.5 from 2.8, 0.4 from 3.7. */
    T_NEAR(gov_resolve(2.6e9, GOV_REL_C, ps_f, 4, FMIN, FMAX), 2.8e9, 0);
    T_NEAR(gov_resolve(2.4e9, GOV_REL_C, ps_f, 4, FMIN, FMAX), 2.2e9, 0);
    T_NEAR(gov_resolve(3.2e9, GOV_REL_C, ps_f, 4, FMIN, FMAX), 2.8e9, 0);
    T_NEAR(gov_resolve(3.3e9, GOV_REL_C, ps_f, 4, FMIN, FMAX), 3.7e9, 0);
    /* A tie on an ascending table goes to the lower state (_ac keeps
     * `best` unless the one above is strictly closer). */
    static const double ps3[] = {1e9, 2e9, 3e9};
    T_NEAR(gov_resolve(1.5e9, GOV_REL_C, ps3, 3, 1e9, 3e9), 1e9, 0);
    T_NEAR(gov_resolve(2.5e9, GOV_REL_C, ps3, 3, 1e9, 3e9), 2e9, 0);
    /* No table: the continuous target, clamped. */
    T_NEAR(gov_resolve(2.345e9, GOV_REL_C, NULL, 0, FMIN, FMAX), 2.345e9, 0);
    T_NEAR(gov_resolve(9e9, GOV_REL_L, NULL, 0, FMIN, FMAX), FMAX, 0);
    T_NEAR(gov_resolve(1e9, GOV_REL_H, NULL, 0, FMIN, FMAX), FMIN, 0);
}

/* od_update (drivers/cpufreq/cpufreq_ondemand.c): load > up_threshold
 * (80) -> policy->max; else freq_next = min_f + load x (max_f - min_f) /
 * 100, CPUFREQ_RELATION_C.  min_f 1.5 GHz, max_f 3.7 GHz: range 2.2. */
static void test_ondemand_rule(void)
{
    T_NEAR(gov_ondemand_freq(1.0, ps_f, 4, FMIN, FMAX), 3.7e9, 0);
    T_NEAR(gov_ondemand_freq(0.81, ps_f, 4, FMIN, FMAX), 3.7e9, 0);
    /* 1.5 + 0.5 x 2.2 = 2.6 -> closest 2.8 */
    T_NEAR(gov_ondemand_freq(0.5, ps_f, 4, FMIN, FMAX), 2.8e9, 0);
    /* 1.5 + 0.3 x 2.2 = 2.16 -> closest 2.2 */
    T_NEAR(gov_ondemand_freq(0.3, ps_f, 4, FMIN, FMAX), 2.2e9, 0);
    /* 1.5 + 0.15 x 2.2 = 1.83 -> closest 1.5 (0.33 against 0.37) */
    T_NEAR(gov_ondemand_freq(0.15, ps_f, 4, FMIN, FMAX), 1.5e9, 0);
    /* 1.5 + 0.7 x 2.2 = 3.04 -> closest 2.8 */
    T_NEAR(gov_ondemand_freq(0.7, ps_f, 4, FMIN, FMAX), 2.8e9, 0);
    /* Exactly the threshold is not above it: 1.5 + 0.8 x 2.2 = 3.26 ->
     * closest 3.7 (0.44 against 0.46). */
    T_NEAR(gov_ondemand_freq(0.8, ps_f, 4, FMIN, FMAX), 3.7e9, 0);
    T_NEAR(gov_ondemand_freq(0.0, ps_f, 4, FMIN, FMAX), 1.5e9, 0);
    /* No table: the continuous freq_next. */
    T_NEAR(gov_ondemand_freq(0.5, NULL, 0, FMIN, FMAX), 1.5e9 + 0.5 * 2.2e9, 1);
    /* The load is a whole percentage, rounded down (dbs_update's integer
     * arithmetic): 80.9 % is 80, not above the threshold: 1.5 + 0.80 x
     * 2.2 = 3.26 GHz, not f_max. */
    T_NEAR(gov_ondemand_freq(0.809, NULL, 0, FMIN, FMAX), 1.5e9 + 0.8 * 2.2e9,
           1);
    T_NEAR(gov_ondemand_freq(0.811, NULL, 0, FMIN, FMAX), FMAX, 0);
    /* 1 + 0.25 x (3 - 1) = 1.5: a tie between 1 and 2 -> the lower. */
    static const double ps3[] = {1e9, 2e9, 3e9};
    T_NEAR(gov_ondemand_freq(0.25, ps3, 3, 1e9, 3e9), 1e9, 0);
}

/* cs_dbs_update (drivers/cpufreq/cpufreq_conservative.c): requested_freq
 * += freq_step (5 % of policy->max = 185 MHz) above 80 %, RELATION_H;
 * -= freq_step below 20 %, RELATION_L; reset to policy->cur when out of
 * [policy->min, policy->max]. */
static void test_conservative_rule(void)
{
    double step = 0.05 * FMAX, req = NAN, f = 1.5e9;
    /* Up from 1.5 GHz (requested_freq starts at the clock):
     * 1.685 1.87 2.055 -> 1.5; 2.24 2.425 2.61 2.795 -> 2.2;
     * 2.98 3.165 3.35 3.535 -> 2.8; 3.72 clamped to 3.7 -> 3.7. */
    static const double up[] = {1.5e9, 1.5e9, 1.5e9, 2.2e9, 2.2e9, 2.2e9,
                                2.2e9, 2.8e9, 2.8e9, 2.8e9, 2.8e9, 3.7e9};
    for (int k = 0; k < 12; k++) {
        f = gov_conservative_freq(0.9, &req, 1.5e9, f, ps_f, 4, FMIN, FMAX);
        T_NEAR(f, up[k], 0);
        T_NEAR(req, fmin(1.5e9 + (k + 1) * step, FMAX), 1);
    }
    /* At the top: nothing more; in the band (and on either threshold:
     * 80 is not above, 20 not below): nothing. */
    T_NEAR(gov_conservative_freq(1.0, &req, FMAX, f, ps_f, 4, FMIN, FMAX),
           3.7e9, 0);
    T_NEAR(req, FMAX, 0);
    T_NEAR(gov_conservative_freq(0.8, &req, FMAX, f, ps_f, 4, FMIN, FMAX),
           3.7e9, 0);
    T_NEAR(gov_conservative_freq(0.2, &req, FMAX, f, ps_f, 4, FMIN, FMAX),
           3.7e9, 0);
    T_NEAR(req, FMAX, 0);
    /* Down: 3.515 3.33 3.145 2.96 -> 3.7; 2.775 2.59 2.405 2.22 -> 2.8;
     * 2.035 1.85 1.665 -> 2.2; 1.48 -> clamped to 1.5 -> 1.5. */
    static const double down[] = {3.7e9, 3.7e9, 3.7e9, 3.7e9, 2.8e9, 2.8e9,
                                  2.8e9, 2.8e9, 2.2e9, 2.2e9, 2.2e9, 1.5e9};
    for (int k = 0; k < 12; k++) {
        f = gov_conservative_freq(0.1, &req, f, f, ps_f, 4, FMIN, FMAX);
        T_NEAR(f, down[k], 0);
        T_NEAR(req, FMAX - (k + 1) * step, 1);
    }
    /* requested_freq (1.48 GHz) is below the minimum: the next sample
     * resets it to the current clock. */
    f = gov_conservative_freq(0.5, &req, 1.5e9, f, ps_f, 4, FMIN, FMAX);
    T_NEAR(req, 1.5e9, 0);
    T_NEAR(f, 1.5e9, 0);
    /* At the minimum: nothing lower. */
    T_NEAR(gov_conservative_freq(0.0, &req, 1.5e9, f, ps_f, 4, FMIN, FMAX),
           1.5e9, 0);
    T_NEAR(req, 1.5e9, 0);
    /* Above the maximum (the limits changed): from the clock, 2.2 +
     * 0.185 = 2.385 -> 2.2 (H). */
    req = 5e9;
    T_NEAR(gov_conservative_freq(0.9, &req, 2.2e9, f, ps_f, 4, FMIN, FMAX),
           2.2e9, 0);
    T_NEAR(req, 2.2e9 + step, 1);
    /* No table: the continuous requested_freq. */
    req = NAN;
    T_NEAR(gov_conservative_freq(0.1, &req, 3.0e9, 3.0e9, NULL, 0, FMIN, FMAX),
           3.0e9 - step, 1);
}

/* get_next_freq (kernel/sched/cpufreq_schedutil.c): 1.25 x f_ref x util,
 * at most f_max, CPUFREQ_RELATION_L (the lowest state at or above). */
static void test_schedutil_rule(void)
{
    /* 1.25 x 3.7 x 0.5 = 2.3125 -> 2.8 */
    T_NEAR(gov_schedutil_freq(0.5, FMAX, ps_f, 4, FMIN, FMAX), 2.8e9, 0);
    /* 1.25 x 3.7 x 0.4 = 1.85 -> 2.2 */
    T_NEAR(gov_schedutil_freq(0.4, FMAX, ps_f, 4, FMIN, FMAX), 2.2e9, 0);
    /* 1.25 x 3.7 x 0.3 = 1.3875 -> 1.5 */
    T_NEAR(gov_schedutil_freq(0.3, FMAX, ps_f, 4, FMIN, FMAX), 1.5e9, 0);
    /* 1.25 x 3.7 x 0.6 = 2.775 -> 2.8; x 0.61 = 2.82 -> 3.7 */
    T_NEAR(gov_schedutil_freq(0.6, FMAX, ps_f, 4, FMIN, FMAX), 2.8e9, 0);
    T_NEAR(gov_schedutil_freq(0.61, FMAX, ps_f, 4, FMIN, FMAX), 3.7e9, 0);
    T_NEAR(gov_schedutil_freq(0.8, FMAX, ps_f, 4, FMIN, FMAX), 3.7e9, 0);
    T_NEAR(gov_schedutil_freq(1.0, FMAX, ps_f, 4, FMIN, FMAX), 3.7e9, 0);
    T_NEAR(gov_schedutil_freq(0.0, FMAX, ps_f, 4, FMIN, FMAX), 1.5e9, 0);
    /* A target exactly on a state is that state: 1.25 x 5 x 0.5. */
    static const double exact[] = {1e9, 3.125e9, 5e9};
    T_NEAR(gov_schedutil_freq(0.5, 5e9, exact, 3, 1e9, 5e9), 3.125e9, 0);
    /* No table: continuous; f_ref the clock (non-invariant): 1.25 x 2 x 1. */
    T_NEAR(gov_schedutil_freq(0.5, FMAX, NULL, 0, FMIN, FMAX),
           1.25 * 0.5 * 3.7e9, 1);
    T_NEAR(gov_schedutil_freq(1.0, 2e9, NULL, 0, FMIN, FMAX), 2.5e9, 1);
}

/* PELT against the closed form, and util_est's EWMA. */
static void test_pelt(void)
{
    static const int ns[] = {1, 10, 32, 64, 100};
    for (int i = 0; i < 5; i++) {
        double dt = ns[i] * PELT_P;
        /* A signal at 1 left alone decays as y^n; one from 0 fed 1
         * climbs as 1 - y^n. */
        T_NEAR(gov_pelt(1.0, 0.0, dt), pow(PELT_Y, ns[i]), 1e-12);
        T_NEAR(gov_pelt(0.0, 1.0, dt), 1 - pow(PELT_Y, ns[i]), 1e-12);
    }
    /* Half-life: 32 periods, 32.768 ms. */
    T_NEAR(gov_pelt(1.0, 0.0, 32 * PELT_P), 0.5, 1e-12);
    /* The series composes: 32 single periods are one of 32. */
    double u = 0.8;
    for (int i = 0; i < 32; i++)
        u = gov_pelt(u, 0.2, PELT_P);
    T_NEAR(u, 0.2 + (0.8 - 0.2) * 0.5, 1e-12);
    T_NEAR(gov_pelt(0.7, 0.1, 0), 0.7, 0);

    /* util_est_update (kernel/sched/fair.c): a rise resets the EWMA; a
     * drop of at least 1 % (10/1024) moves it 1/4 of the way. */
    T_NEAR(gov_util_est(0.2, 0.6), 0.6, 0);
    T_NEAR(gov_util_est(0.6, 0.2), 0.6 - 0.25 * (0.6 - 0.2), 1e-15);
    T_NEAR(gov_util_est(0.6, 0.595), 0.6, 0);
    T_NEAR(gov_util_est(0.6, 0.59), 0.6 - 0.25 * 0.01, 1e-15);
}

static void test_decisions(void)
{
    struct model m;
    if (build(&m) != 0)
        return;
    T_CHECK(m.n_pus == 2);
    T_CHECK(m.ps_off[1] - m.ps_off[0] == 4 && m.ps_off[2] == m.ps_off[1]);
    /* model_pstate_at (core/model.c), the lookup the broker, the limiter,
     * the balancer and bench broker share: the highest state at or below,
     * the lowest when all are above, a table entry read back as itself,
     * -1 without a table. */
    T_CHECK(model_pstate_at(&m, 0, 2.8e9) == 2);
    T_CHECK(model_pstate_at(&m, 0, 2.8e9 * (1 - 1e-12)) == 2);
    T_CHECK(model_pstate_at(&m, 0, 2.79e9) == 1);
    T_CHECK(model_pstate_at(&m, 0, 1e9) == 0);
    T_CHECK(model_pstate_at(&m, 0, 9e9) == 3);
    T_CHECK(model_pstate_at(&m, 0, 3.7e9) == 3);
    T_CHECK(model_pstate_at(&m, 1, 2e9) == -1);

    /* naive-split: the budget split equally over the PUs' caps (the rail
     * is not a PU); the rail's cap is left alone. */
    set_sigs(&m, 0.5, FMAX, 0.5, FMAX);
    m.budget_w = 20;
    T_CHECK(decide_with("naive-split", &m) == 0);
    T_NEAR(m.decision[C_CAP0], 10.0, 1e-12);
    T_NEAR(m.decision[C_CAP1], 10.0, 1e-12);
    T_CHECK(m.decided[C_CAP0] && m.decided[C_CAP1] && !m.decided[C_CAP2]);
    /* performance: the top clock, under the package limiter, which
     * leaves the cores' own caps at their maximum (test_pwrlimit checks
     * its ceiling); the rail's cap is left alone. */
    T_CHECK(decide_with("performance", &m) == 0);
    T_NEAR(m.decision[C_CAP0], 12.0, 0);
    T_NEAR(m.decision[C_CAP1], 12.0, 0);
    T_CHECK(!m.decided[C_CAP2]);
    T_CHECK(m.decision[C_FREQ1] <= FMAX && m.decision[C_FREQ1] >= FMIN);
    m.budget_w = 100; /* a limit above the package's draw: the top clock */
    decide_with("performance", &m);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    T_NEAR(m.decision[C_FREQ1], FMAX, 0);
    m.budget_w = 100; /* 50 each: clamped to the 12 W maximum */
    decide_with("naive-split", &m);
    T_NEAR(m.decision[C_CAP0], 12.0, 0);
    m.budget_w = 2; /* 1 each: clamped to the 2 W minimum */
    decide_with("naive-split", &m);
    T_NEAR(m.decision[C_CAP1], 2.0, 0);
    m.budget_w = 0; /* no budget: max */
    decide_with("naive-split", &m);
    T_NEAR(m.decision[C_CAP0], 12.0, 0);
    m.budget_w = 20;

    /* The Linux governors know no budget: the package limiter holds them
     * (one clock ceiling for the package; the cores' caps at their
     * maximum), as RAPL would, every tick. */
    static const char *const linux_govs[] = {"ondemand", "conservative",
                                             "schedutil"};
    for (int i = 0; i < 3; i++) {
        struct gov_run g;
        gov_start(&g, linux_govs[i], &m);
        gov_step(&g, &m, 1e-3, 0.5, FMAX, 0.9, FMAX);
        T_NEAR(m.decision[C_CAP0], 12.0, 0);
        T_NEAR(m.decision[C_CAP1], 12.0, 0);
        T_CHECK(!m.decided[C_CAP2]);
        T_CHECK(m.decided[C_FREQ0] && m.decided[C_FREQ1]);
        gov_stop(&g);
        /* The very first sample has no util: the starting clock holds. */
        gov_start(&g, linux_govs[i], &m);
        gov_step(&g, &m, 0.1, NAN, FMAX, NAN, FMAX);
        T_NEAR(m.decision[C_FREQ0], FMAX, 0);
        T_NEAR(m.decision[C_FREQ1], FMAX, 0);
        gov_stop(&g);
    }

    /* race: always the top clock, caps at max (it ignores the budget). */
    set_sigs(&m, 0.0, FMIN, 0.0, FMIN);
    T_CHECK(decide_with("race", &m) == 0);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    T_NEAR(m.decision[C_FREQ1], FMAX, 0);
    T_NEAR(m.decision[C_CAP1], 12.0, 0);

    /* broker/oracle: the proposal where there is one, nothing else. */
    memset(m.proposed, 0, m.n_controls);
    m.proposal[C_FREQ0] = 2.2e9;
    m.proposed[C_FREQ0] = 1;
    m.proposal[C_CAP2] = 300;
    m.proposed[C_CAP2] = 1;
    static const char *const br[] = {"broker", "perfect-forecast"};
    for (int i = 0; i < 2; i++) {
        T_CHECK(decide_with(br[i], &m) == 0);
        T_NEAR(m.decision[C_FREQ0], 2.2e9, 0);
        T_NEAR(m.decision[C_CAP2], 300, 0);
        T_CHECK(m.decided[C_FREQ0] && m.decided[C_CAP2]);
        T_CHECK(!m.decided[C_CAP0] && !m.decided[C_FREQ1] &&
                !m.decided[C_CAP1]);
    }

    /* No governor allocates when it decides. */
    for (size_t g = 0; gov_name(g); g++) {
        const struct policy_ops *ops = gov_find(gov_name(g));
        struct stats st = {0};
        void *state = ops->create(&m);
        unsigned long a, f;
        m.dt = 1e-3;
        allocount_start();
        for (int i = 0; i < 1000; i++) {
            m.t += m.dt;
            set_sigs(&m, (i % 11) / 10.0, FMAX, (i % 7) / 6.0, FMIN);
            ops->decide(state, &m, &st);
        }
        allocount_stop(&a, &f);
        if (a || f)
            fprintf(stderr, "%s: %lu allocs, %lu frees\n", ops->name, a, f);
        T_CHECK(a == 0 && f == 0);
        if (ops->destroy)
            ops->destroy(state);
    }
    model_free(&m);
}

/* ondemand and conservative act on their sampling period, not the tick:
 * decisions held between samples, the load weighted by each tick's dt, a
 * tick longer than the period acting every tick, sampling_down_factor. */
static void test_period(void)
{
    struct model m;
    if (build(&m) != 0)
        return;
    m.budget_w = 20;
    struct gov_run g;
    gov_start(&g, "ondemand", &m);
    /* 1 ms ticks, 10 ms period: ticks 1-9 hold the starting clock. */
    for (int i = 1; i <= 9; i++) {
        gov_step(&g, &m, 1e-3, 0.5, FMAX, 0.5, FMAX);
        T_NEAR(m.decision[C_FREQ0], FMAX, 0);
        T_NEAR(m.decision[C_FREQ1], FMAX, 0);
    }
    /* Tick 10 samples: load 50 %: 1.5 + 0.5 x 2.2 = 2.6 -> closest 2.8;
     * cpu1 (no table) the continuous 2.6. */
    gov_step(&g, &m, 1e-3, 0.5, FMAX, 0.5, FMAX);
    T_NEAR(m.decision[C_FREQ0], 2.8e9, 0);
    T_NEAR(m.decision[C_FREQ1], 2.6e9, 1);
    /* Fully busy from now: held at 2.8 for ticks 11-19, f_max at 20. */
    for (int i = 11; i <= 19; i++) {
        gov_step(&g, &m, 1e-3, 1.0, 2.8e9, 1.0, 2.6e9);
        T_NEAR(m.decision[C_FREQ0], 2.8e9, 0);
    }
    gov_step(&g, &m, 1e-3, 1.0, 2.8e9, 1.0, 2.6e9);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    T_NEAR(m.decision[C_FREQ1], FMAX, 0);
    /* The window weighs ticks by their length: 4 ms fully busy, 6 ms idle
     * is a load of 40 %: 1.5 + 0.4 x 2.2 = 2.38 -> closest 2.2 (the two
     * ticks' plain mean, 50 %, would give 2.8).  A tick without a valid
     * util counts for nothing. */
    gov_step(&g, &m, 4e-3, 1.0, FMAX, 1.0, FMAX);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    gov_step(&g, &m, 5e-3, NAN, FMAX, NAN, FMAX);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    gov_step(&g, &m, 6e-3, 0.0, FMAX, 0.0, FMAX);
    T_NEAR(m.decision[C_FREQ0], 2.2e9, 0);
    T_NEAR(m.decision[C_FREQ1], 1.5e9 + 0.4 * 2.2e9, 1);
    gov_stop(&g);

    /* A longer period (the lab's governor_period): a 20 ms one samples at
     * tick 20 of 1 ms, not 10; <= 0 keeps the default. */
    gov_start(&g, "ondemand", &m);
    gov_set_period(g.ops, g.st, 0.0);
    gov_set_period(g.ops, g.st, 0.020);
    for (int i = 1; i <= 19; i++) {
        gov_step(&g, &m, 1e-3, 0.0, FMAX, 0.0, FMAX);
        T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    }
    gov_step(&g, &m, 1e-3, 0.0, FMAX, 0.0, FMAX);
    T_NEAR(m.decision[C_FREQ0], 1.5e9, 0);
    gov_stop(&g);

    /* A tick longer than the period: the governor acts every tick, on
     * that tick's load. */
    gov_start(&g, "ondemand", &m);
    gov_step(&g, &m, 0.1, 0.5, FMAX, 0.5, FMAX);
    T_NEAR(m.decision[C_FREQ0], 2.8e9, 0);
    gov_step(&g, &m, 0.1, 0.0, 2.8e9, 0.0, 2.6e9);
    T_NEAR(m.decision[C_FREQ0], 1.5e9, 0);
    gov_step(&g, &m, 0.1, 0.9, 1.5e9, 0.9, 1.5e9);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    gov_stop(&g);

    /* sampling_down_factor 2: a jump to f_max from below makes the next
     * sample wait two periods (od_update's rate_mult), so an idle 10 ms
     * keeps f_max and the drop comes over the 20 ms window. */
    struct gov_tunables t;
    gov_tunables_default(&t);
    T_NEAR(t.period_s, 0.010, 0);
    T_NEAR(t.rate_limit_s, 0.001, 0);
    T_CHECK(t.sampling_down_factor == 1);
    t.sampling_down_factor = 2;
    gov_start(&g, "ondemand", &m);
    T_CHECK(gov_configure(g.ops, g.st, &t) == 0);
    gov_step(&g, &m, 0.01, 0.9, 2.2e9, 0.9, 2.2e9);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    gov_step(&g, &m, 0.01, 0.0, FMAX, 0.0, FMAX);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    gov_step(&g, &m, 0.01, 0.0, FMAX, 0.0, FMAX);
    T_NEAR(m.decision[C_FREQ0], 1.5e9, 0);
    gov_stop(&g);
    /* ... where the default factor drops a period earlier. */
    gov_start(&g, "ondemand", &m);
    gov_step(&g, &m, 0.01, 0.9, 2.2e9, 0.9, 2.2e9);
    gov_step(&g, &m, 0.01, 0.0, FMAX, 0.0, FMAX);
    T_NEAR(m.decision[C_FREQ0], 1.5e9, 0);
    gov_stop(&g);

    /* conservative with sampling_down_factor 2: a decrease every second
     * period (down_skip); cpu1 shows requested_freq (no table):
     * 3.7 -> 3.7 (skipped) -> 3.515 -> 3.515 -> 3.33; an increase resets
     * the count and steps at once: 3.33 + 0.185 = 3.515. */
    double step = 0.05 * FMAX;
    gov_start(&g, "conservative", &m);
    T_CHECK(gov_configure(g.ops, g.st, &t) == 0);
    const double cs1[] = {FMAX, FMAX - step, FMAX - step, FMAX - 2 * step};
    double f1 = FMAX; /* the clock follows the request */
    for (int i = 0; i < 4; i++) {
        gov_step(&g, &m, 0.01, 0.1, FMAX, 0.1, f1);
        T_NEAR(m.decision[C_FREQ1], cs1[i], 1);
        T_NEAR(m.decision[C_FREQ0], FMAX, 0); /* 3.515, 3.33 -> 3.7 (L) */
        f1 = m.decision[C_FREQ1];
    }
    gov_step(&g, &m, 0.01, 0.9, FMAX, 0.9, f1);
    T_NEAR(m.decision[C_FREQ1], FMAX - step, 1);
    gov_stop(&g);

    /* Tunables out of range, and governors without any. */
    gov_start(&g, "schedutil", &m);
    t.period_s = 0;
    T_CHECK(gov_configure(g.ops, g.st, &t) == -1);
    t.period_s = INFINITY;
    T_CHECK(gov_configure(g.ops, g.st, &t) == -1);
    gov_tunables_default(&t);
    t.rate_limit_s = -1;
    T_CHECK(gov_configure(g.ops, g.st, &t) == -1);
    gov_tunables_default(&t);
    t.sampling_down_factor = 0;
    T_CHECK(gov_configure(g.ops, g.st, &t) == -1);
    gov_stop(&g);
    gov_tunables_default(&t);
    T_CHECK(gov_configure(gov_find("race"), &t, &t) == -1);
    gov_set_period(gov_find("race"), NULL, 0.02); /* nothing to set */

    /* gov_period_s: the first tick at or after the period; the tick when
     * it is longer (acting every tick); schedutil's rate limit likewise. */
    const struct policy_ops *od = gov_find("ondemand");
    const struct policy_ops *cs = gov_find("conservative");
    const struct policy_ops *su = gov_find("schedutil");
    T_NEAR(gov_period_s(od, NULL, 1e-3), 0.010, 1e-12);
    T_NEAR(gov_period_s(cs, NULL, 3e-3), 0.012, 1e-12);
    T_NEAR(gov_period_s(od, NULL, 0.1), 0.1, 1e-12);
    T_NEAR(gov_period_s(su, NULL, 0.01), 0.01, 1e-12);
    T_NEAR(gov_period_s(su, NULL, 5e-4), 1e-3, 1e-12);
    T_NEAR(gov_period_s(gov_find("static"), NULL, 0.05), 0.05, 0);
    T_NEAR(gov_period_s(gov_find("race"), NULL, 0.05), 0.05, 0);
    t.period_s = 0.02;
    T_NEAR(gov_period_s(od, &t, 1e-3), 0.02, 1e-12);
    T_NEAR(gov_period_s(od, NULL, 0), 0, 0);
    model_free(&m);
}

/* schedutil in the decide stage: PELT decay, util_est, rate_limit_us,
 * sugov_hold_freq, and the non-invariant formula without a table. */
static void test_schedutil_runs(void)
{
    struct model m;
    if (build(&m) != 0)
        return;
    m.budget_w = 20;
    struct gov_run g;
    double dt = 8 * PELT_P; /* 8 PELT periods a tick: y^8 = 2^(-1/4) */
    double y8 = pow(PELT_Y, 8);

    /* Decay: busy at f_max, then no work.  util_avg = 2^(-k/4) after k
     * idle ticks (util_est does not count while asleep), next_f = 1.25 x
     * 3.7 x util: 3.89 3.27 -> 3.7; 2.75 2.31 -> 2.8; 1.94 1.64 -> 2.2;
     * 1.375 -> 1.5. */
    gov_start(&g, "schedutil", &m);
    gov_step(&g, &m, dt, 1.0, FMAX, 1.0, FMAX);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    T_NEAR(m.decision[C_FREQ1], FMAX, 0);
    static const double dec[] = {3.7e9, 3.7e9, 2.8e9, 2.8e9,
                                 2.2e9, 2.2e9, 1.5e9};
    for (int k = 1; k <= 7; k++) {
        gov_step(&g, &m, dt, 0.0, FMAX, 0.0, FMAX);
        double util = pow(0.5, k / 4.0);
        T_NEAR(util, pow(y8, k), 1e-12);
        T_NEAR(m.decision[C_FREQ0], dec[k - 1], 0);
        /* cpu1 (no table): 1.25 x f_cur x util, continuous, clamped. */
        T_NEAR(m.decision[C_FREQ1], fmax(fmin(1.25 * FMAX * util, FMAX), FMIN),
               1);
    }
    gov_stop(&g);

    /* util_est: busy at f_max, then a 25 % load.  util_avg falls toward
     * 0.25 as u_k = y^8 u_(k-1) + 0.25 (1 - y^8); each tick with idle
     * time is a dequeue: the EWMA resets up to util_avg, then follows it
     * down 1/4 of the way a tick.  The request follows the larger. */
    gov_start(&g, "schedutil", &m);
    gov_step(&g, &m, dt, 1.0, FMAX, 1.0, FMAX);
    double u = 1.0, est = 0.0;
    for (int k = 2; k <= 9; k++) {
        gov_step(&g, &m, dt, 0.25, FMAX, 0.25, FMAX);
        u = y8 * u + 0.25 * (1 - y8);
        est = est <= u ? u : est - u < 10.0 / 1024 ? est : est - (est - u) / 4;
        double want = 1.25 * FMAX * fmax(u, est);
        if (k == 6) {
            /* util_avg 0.565: 2.61 -> 2.8; util_est 0.717: 3.32 -> 3.7 */
            T_CHECK(1.25 * FMAX * u < 2.8e9 && want > 2.8e9);
            T_NEAR(m.decision[C_FREQ0], 3.7e9, 0);
        }
        if (k == 9) {
            /* util_avg 0.4375: 2.02 -> 2.2; util_est 0.573: 2.65 -> 2.8 */
            T_CHECK(1.25 * FMAX * u < 2.2e9 && want > 2.2e9);
            T_NEAR(m.decision[C_FREQ0], 2.8e9, 0);
        }
        T_NEAR(m.decision[C_FREQ1], fmin(want, FMAX), 1);
    }
    /* Asleep a whole tick: util_avg alone, 0.4375 y^8 = 0.368: 1.70 ->
     * 2.2. */
    gov_step(&g, &m, dt, 0.0, FMAX, 0.0, FMAX);
    u *= y8;
    T_NEAR(m.decision[C_FREQ1], 1.25 * FMAX * u, 1);
    T_NEAR(m.decision[C_FREQ0], 2.2e9, 0);
    gov_stop(&g);

    /* rate_limit_us 50 ms, 30 ms ticks: idle (util 0 -> 1.5 GHz, a change
     * at 30 ms), then fully busy at f_max.  At 60 ms util_avg = 1 - d
     * (d = y^(30/1.024) = 0.53) would ask 2.2 GHz but only 30 ms have
     * passed since the change: held.  At 90 ms, 1 - d^2 = 0.719: 3.33
     * -> 3.7. */
    struct gov_tunables t;
    gov_tunables_default(&t);
    t.rate_limit_s = 0.05;
    gov_start(&g, "schedutil", &m);
    T_CHECK(gov_configure(g.ops, g.st, &t) == 0);
    double d = pow(PELT_Y, 0.03 / PELT_P);
    gov_step(&g, &m, 0.03, 0.0, FMAX, 0.0, FMAX);
    T_NEAR(m.decision[C_FREQ0], 1.5e9, 0);
    gov_step(&g, &m, 0.03, 1.0, FMAX, 1.0, FMAX);
    T_CHECK(1.25 * FMAX * (1 - d) > 1.5e9);
    T_NEAR(m.decision[C_FREQ0], 1.5e9, 0);
    gov_step(&g, &m, 0.03, 1.0, FMAX, 1.0, FMAX);
    T_NEAR(1.25 * FMAX * (1 - d * d), 3.33e9, 0.01e9);
    T_NEAR(m.decision[C_FREQ0], 3.7e9, 0);
    gov_stop(&g);

    /* sugov_hold_freq: never idle since the last update, the request is
     * not lowered.  Busy at f_max (3.7), then busy at 1.5 GHz for 100 ms:
     * the invariant contribution is 1.5/3.7 = 0.405, util_avg = d + 0.405
     * (1 - d) = 0.477 (d = y^(100/1.024)) would ask 2.8, but the PU never
     * idled: 3.7 holds.  Then 99 % busy (it idled): util_avg = 0.477 d +
     * 0.99 x 0.405 (1 - d) = 0.410, util_est resets up to it: 1.90 -> 2.2.
     */
    gov_start(&g, "schedutil", &m);
    d = pow(PELT_Y, 0.1 / PELT_P);
    double c = 1.5e9 / FMAX;
    gov_step(&g, &m, 0.1, 1.0, FMAX, 1.0, FMAX);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    gov_step(&g, &m, 0.1, 1.0, 1.5e9, 1.0, 1.5e9);
    double u2 = d + c * (1 - d);
    T_CHECK(1.25 * FMAX * u2 < 2.8e9);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    gov_step(&g, &m, 0.1, 0.99, 1.5e9, 0.99, 1.5e9);
    double u3 = u2 * d + 0.99 * c * (1 - d);
    T_CHECK(1.25 * FMAX * u3 > 1.5e9 && 1.25 * FMAX * u3 < 2.2e9);
    T_NEAR(m.decision[C_FREQ0], 2.2e9, 0);
    gov_stop(&g);

    /* No table (cpu1): the non-invariant kernel formula, 1.25 x f_cur x
     * util_raw: saturated at 2 GHz asks 2.5 GHz, half busy 1.25 GHz,
     * clamped to 1.5. */
    gov_start(&g, "schedutil", &m);
    gov_step(&g, &m, 0.01, 1.0, FMAX, 1.0, 2e9);
    T_NEAR(m.decision[C_FREQ1], 2.5e9, 1);
    gov_stop(&g);
    gov_start(&g, "schedutil", &m);
    gov_step(&g, &m, 0.01, 1.0, FMAX, 0.5, 2e9);
    T_NEAR(m.decision[C_FREQ1], 1.5e9, 0);
    gov_stop(&g);
    model_free(&m);
}

/* The lab's `governor_period` (core/lab.c): a duration like `tick`, one
 * error naming the field, and through run_new to the governor. */
static void test_lab_period(void)
{
    static const struct {
        const char *val;
        double want; /* < 0: an error */
    } cases[] = {
        {"'20ms'", 0.020}, {"0.005", 0.005},  {NULL, 0},
        {"'-5ms'", -1},    {"0", -1},         {"'fast'", -1},
        {"{}", -1},        {"math.huge", -1}, {"true", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256], err[512] = "";
        if (cases[i].val)
            snprintf(text, sizeof text,
                     "return { governor_period = %s, drivers = { { plugin "
                     "= 'sim' } } }",
                     cases[i].val);
        else
            snprintf(text, sizeof text,
                     "return { drivers = { { plugin = 'sim' } } }");
        struct lab *lab = NULL;
        int rc = lab_load_string("g.lua", text, strlen(text), ".", &lab, err,
                                 sizeof err);
        if (cases[i].want >= 0) {
            if (rc != 0)
                fprintf(stderr, "%s: %s\n", text, err);
            T_CHECK(rc == 0);
            if (lab)
                T_NEAR(lab->governor_period_s, cases[i].want, 1e-15);
        } else {
            T_CHECK(rc == -1 && lab == NULL);
            if (!strstr(err, "g.lua: governor_period: "))
                fprintf(stderr, "%s: %s\n", cases[i].val, err);
            T_CHECK(strstr(err, "g.lua: governor_period: ") != NULL);
        }
        lab_free(lab);
    }
    char err[512] = "";
    struct lab *lab = NULL;
    static const char typo[] = "return { governer_period = '1ms' }";
    T_CHECK(lab_load_string("g.lua", typo, sizeof typo - 1, ".", &lab, err,
                            sizeof err) == -1);
    T_CHECK(strstr(err, "did you mean 'governor_period'") != NULL);

    /* A run: 1 ms ticks, a 20 ms period: ondemand changes its request
     * only on every 20th tick (and does change it: from f_max at a
     * partial load). */
    static const char run_lab[] =
        "return { tick = '1ms', duration = 1, governor_period = '20ms',\n"
        " drivers = { { plugin = 'sim', devices = {\n"
        "  { name = 'cpu0', kind = 'cpu', part = 'zen3-core',\n"
        "    workload = { kind = 'constant', level = 0.3 } } } } } }\n";
    struct run_opts o = {.lab_text = run_lab, .policy = "builtin:ondemand"};
    struct run *r = NULL;
    int rc = run_new(&o, &r, err, sizeof err);
    if (rc != RUN_OK)
        fprintf(stderr, "run_new: %s\n", err);
    T_CHECK(rc == RUN_OK);
    if (rc == RUN_OK) {
        const struct model *m = run_model(r);
        int dv = model_find_device(m, "cpu0");
        int32_t cf = dv >= 0 ? m->devices[dv].ctl[CTL_FREQ] : -1;
        T_CHECK(cf >= 0);
        double prev = NAN;
        int changes = 0, off_period = 0;
        for (int i = 1; cf >= 0 && i <= 200; i++) {
            run_tick(r);
            double f = m->decision[cf];
            if (i > 1 && f != prev) {
                changes++;
                off_period += i % 20 != 0;
            }
            prev = f;
        }
        T_CHECK(changes > 0);
        T_CHECK(off_period == 0);
        run_free(r);
    }
    static const char bad_lab[] =
        "return { governor_period = '-1s', drivers = { { plugin = 'sim' } } }";
    struct run_opts ob = {.lab_text = bad_lab};
    r = NULL;
    T_CHECK(run_new(&ob, &r, err, sizeof err) == RUN_LAB && !r);
    T_CHECK(strstr(err, "governor_period: ") != NULL);
}

/* Whole runs through run_new: the default lab with every governor, on the
 * real sim plugin; no allocation per tick after the warm-up; an unknown
 * name is a usage error naming the choices. */
static void test_runs(void)
{
    char err[1024];
    for (size_t g = 0; gov_name(g); g++) {
        char pol[64];
        snprintf(pol, sizeof pol, "builtin:%s", gov_name(g));
        struct run_opts o = {.policy = pol};
        struct run *r;
        int rc = run_new(&o, &r, err, sizeof err);
        if (rc != RUN_OK)
            fprintf(stderr, "%s: %s\n", pol, err);
        T_CHECK(rc == RUN_OK);
        if (rc != RUN_OK)
            continue;
        for (int i = 0; i < 200; i++)
            run_tick(r);
        unsigned long a, f;
        allocount_start();
        for (int i = 0; i < 1000; i++)
            run_tick(r);
        allocount_stop(&a, &f);
        if (a || f)
            fprintf(stderr, "%s: %lu allocs, %lu frees in 1000 ticks\n", pol, a,
                    f);
        T_CHECK(a == 0 && f == 0);
        T_CHECK(run_policy_path(r) == NULL);
        T_CHECK(!run_policy_in_fallback(r));
        run_free(r);
    }
    struct run_opts bad = {.policy = "builtin:nope"};
    struct run *r = NULL;
    T_CHECK(run_new(&bad, &r, err, sizeof err) == RUN_USAGE && !r);
    T_CHECK(strstr(err, "--policy: unknown built-in policy 'nope'") != NULL);
    T_CHECK(strstr(err, "perfect-forecast") != NULL);
}

static void test_window(void)
{
    struct bbench_window w;
    T_CHECK(bbench_window_init(&w, 3) == 0);
    T_NEAR(bbench_window_push(&w, 1), 1.0, 0);
    T_NEAR(bbench_window_push(&w, 2), 1.5, 0);
    T_NEAR(bbench_window_push(&w, 3), 2.0, 0);
    T_NEAR(bbench_window_push(&w, 4), 3.0, 1e-12);
    T_NEAR(bbench_window_push(&w, 5), 4.0, 1e-12);
    unsigned long a;
    allocount_start();
    double last = 0;
    for (int i = 0; i < 100000; i++)
        last = bbench_window_push(&w, 1e6 + (i % 3));
    allocount_stop(&a, NULL);
    T_CHECK(a == 0);
    T_NEAR(last, 1e6 + 1, 1e-6); /* the last three: 0, 1, 2 in some order */
    bbench_window_free(&w);
    T_CHECK(bbench_window_init(&w, 0) == 0); /* one slot at least */
    T_NEAR(bbench_window_push(&w, 7), 7.0, 0);
    T_NEAR(bbench_window_push(&w, 9), 9.0, 0);
    bbench_window_free(&w);
}

int main(void)
{
    allocount_install();
    test_names();
    test_ondemand_rule();
    test_conservative_rule();
    test_schedutil_rule();
    test_resolve();
    test_pelt();
    test_decisions();
    test_period();
    test_schedutil_runs();
    test_lab_period();
    test_runs();
    test_window();
    return t_done("test_governors");
}

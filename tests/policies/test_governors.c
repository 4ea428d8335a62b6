/*
 * The baseline governors (policies/governors.h): each frequency rule on
 * chosen utilisations with its edges (util 0, 1, exactly the thresholds,
 * P-state rounding), the decisions they write into a synthetic model (an
 * in-process fake driver, no dlopen: one PU with a P-state table, one
 * without, and a non-PU rail), `builtin:NAME` parsing, no allocation per
 * tick (directly and through whole runs of the default lab with the real
 * sim plugin), and the broker bench's trailing-mean window.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "allocount.h"
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
        "static", "ondemand",     "conservative", "schedutil",
        "race",   "broker-noipc", "broker",       "perfect-forecast"};
    size_t n = 0;
    while (gov_name(n))
        n++;
    T_CHECK(n == 8);
    for (size_t i = 0; i < 8 && i < n; i++) {
        T_STREQ(gov_name(i), want[i]);
        T_CHECK(gov_find(want[i]) != NULL);
        T_STREQ(gov_find(want[i])->name, want[i]);
    }
    /* The old name of perfect-forecast still finds it (with a warning):
     * scripts that used builtin:oracle keep working. */
    T_CHECK(gov_find("oracle") == gov_find("perfect-forecast"));
    T_CHECK(gov_find("nope") == NULL);
    T_CHECK(gov_find("") == NULL);
    T_CHECK(gov_find(NULL) == NULL);
    char list[128];
    gov_list(list, sizeof list);
    T_STREQ(list, "static, ondemand, conservative, schedutil, race, "
                  "broker-noipc, broker, perfect-forecast");
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
    T_CHECK(strstr(err, "static, ondemand, conservative") != NULL);
    T_CHECK(gov_parse("builtin:", &ops, err, sizeof err) == -1);
    T_CHECK(gov_broker_source(gov_find("perfect-forecast")) == BROKER_PERFECT);
    T_CHECK(gov_broker_source(gov_find("broker")) == BROKER_IPC);
    T_CHECK(gov_broker_source(gov_find("broker-noipc")) == BROKER_FORECAST);
    T_CHECK(gov_broker_source(gov_find("schedutil")) == -1);
    T_CHECK(gov_broker_source(NULL) == -1);
}

static void test_ondemand_rule(void)
{
    T_NEAR(gov_ondemand_freq(0.0, FMIN, FMAX), FMIN, 0); /* 0 -> floor */
    T_NEAR(gov_ondemand_freq(1.0, FMIN, FMAX), FMAX, 0);
    T_NEAR(gov_ondemand_freq(0.5, FMIN, FMAX), 0.5 * FMAX, 1e-3);
    /* Exactly the threshold is not above it: proportional. */
    T_NEAR(gov_ondemand_freq(0.8, FMIN, FMAX), 0.8 * FMAX, 1e-3);
    T_NEAR(gov_ondemand_freq(0.8000001, FMIN, FMAX), FMAX, 0);
    T_NEAR(gov_ondemand_freq(0.3, FMIN, FMAX), FMIN, 0); /* 1.11 GHz */
    T_NEAR(gov_ondemand_freq(1.3, FMIN, FMAX), FMAX, 0);
    T_NEAR(gov_ondemand_freq(NAN, FMIN, FMAX), FMAX, 0);
}

static void test_conservative_rule(void)
{
    double step = 0.05 * FMAX;
    T_NEAR(gov_conservative_freq(0.9, 3.0e9, FMIN, FMAX), 3.0e9 + step, 1e-3);
    T_NEAR(gov_conservative_freq(1.0, 3.0e9, FMIN, FMAX), 3.0e9 + step, 1e-3);
    T_NEAR(gov_conservative_freq(0.1, 3.0e9, FMIN, FMAX), 3.0e9 - step, 1e-3);
    T_NEAR(gov_conservative_freq(0.0, 3.0e9, FMIN, FMAX), 3.0e9 - step, 1e-3);
    /* In the band, and exactly on either threshold: no change. */
    T_NEAR(gov_conservative_freq(0.5, 3.0e9, FMIN, FMAX), 3.0e9, 0);
    T_NEAR(gov_conservative_freq(0.8, 3.0e9, FMIN, FMAX), 3.0e9, 0);
    T_NEAR(gov_conservative_freq(0.2, 3.0e9, FMIN, FMAX), 3.0e9, 0);
    /* Clamped at both ends. */
    T_NEAR(gov_conservative_freq(1.0, FMAX, FMIN, FMAX), FMAX, 0);
    T_NEAR(gov_conservative_freq(0.0, FMIN, FMIN, FMAX), FMIN, 0);
    T_NEAR(gov_conservative_freq(0.0, FMIN + 1e6, FMIN, FMAX), FMIN, 0);
    T_NEAR(gov_conservative_freq(NAN, 2.5e9, FMIN, FMAX), 2.5e9, 0);
    /* 12 steps up from the floor reach the top (2.2 GHz / 185 MHz). */
    double f = FMIN;
    for (int i = 0; i < 12; i++)
        f = gov_conservative_freq(0.95, f, FMIN, FMAX);
    T_NEAR(f, FMAX, 0);
}

static void test_schedutil_rule(void)
{
    /* No table: the continuous 1.25 x f_max x util, clamped. */
    T_NEAR(gov_schedutil_freq(0.0, FMAX, FMIN, FMAX, NULL, 0), FMIN, 0);
    T_NEAR(gov_schedutil_freq(1.0, FMAX, FMIN, FMAX, NULL, 0), FMAX, 0);
    T_NEAR(gov_schedutil_freq(0.8, FMAX, FMIN, FMAX, NULL, 0), FMAX, 1e-3);
    T_NEAR(gov_schedutil_freq(0.5, FMAX, FMIN, FMAX, NULL, 0), 0.625 * FMAX,
           1e-3);
    /* ... and the plain util whatever the clock (see governors.h). */
    T_NEAR(gov_schedutil_freq(0.5, FMIN, FMIN, FMAX, NULL, 0), 0.625 * FMAX,
           1e-3);
    T_NEAR(gov_schedutil_freq(NAN, FMAX, FMIN, FMAX, NULL, 0), FMAX, 0);

    /* With the table, at f_max: the lowest state at or above. */
    T_NEAR(gov_schedutil_freq(0.0, FMAX, FMIN, FMAX, ps_f, 4), 1.5e9, 0);
    T_NEAR(gov_schedutil_freq(0.3, FMAX, FMIN, FMAX, ps_f, 4), 1.5e9, 0);
    T_NEAR(gov_schedutil_freq(0.4, FMAX, FMIN, FMAX, ps_f, 4), 2.2e9, 0);
    T_NEAR(gov_schedutil_freq(0.48, FMAX, FMIN, FMAX, ps_f, 4), 2.8e9, 0);
    T_NEAR(gov_schedutil_freq(0.5, FMAX, FMIN, FMAX, ps_f, 4), 2.8e9, 0);
    T_NEAR(gov_schedutil_freq(0.7, FMAX, FMIN, FMAX, ps_f, 4), 3.7e9, 0);
    T_NEAR(gov_schedutil_freq(0.8, FMAX, FMIN, FMAX, ps_f, 4), 3.7e9, 0);
    T_NEAR(gov_schedutil_freq(1.0, FMAX, FMIN, FMAX, ps_f, 4), 3.7e9, 0);
    /* A target exactly on a state is that state (at or above). */
    static const double exact[] = {1e9, 3.125e9, 5e9};
    T_NEAR(gov_schedutil_freq(0.5, 5e9, 1e9, 5e9, exact, 3), 3.125e9, 0);
    T_NEAR(gov_schedutil_freq(0.5000001, 5e9, 1e9, 5e9, exact, 3), 5e9, 0);
    /* Frequency-invariant util: saturated at a low state, the margin
     * and the rounding up lift it one state a tick. */
    T_NEAR(gov_schedutil_freq(1.0, 1.5e9, FMIN, FMAX, ps_f, 4), 2.2e9, 0);
    T_NEAR(gov_schedutil_freq(1.0, 2.2e9, FMIN, FMAX, ps_f, 4), 2.8e9, 0);
    T_NEAR(gov_schedutil_freq(1.0, 2.8e9, FMIN, FMAX, ps_f, 4), 3.7e9, 0);
    /* Half busy at 2.8 GHz is 0.38 of f_max: 1.77 GHz -> 2.2 GHz. */
    T_NEAR(gov_schedutil_freq(0.5, 2.8e9, FMIN, FMAX, ps_f, 4), 2.2e9, 0);
}

static void test_decisions(void)
{
    struct model m;
    if (build(&m) != 0)
        return;
    T_CHECK(m.n_pus == 2);
    T_CHECK(m.ps_off[1] - m.ps_off[0] == 4 && m.ps_off[2] == m.ps_off[1]);

    /* static: the budget split equally over the PUs' caps (the rail is
     * not a PU), freq at max; the rail's cap is left alone. */
    set_sigs(&m, 0.5, FMAX, 0.5, FMAX);
    m.budget_w = 20;
    T_CHECK(decide_with("static", &m) == 0);
    T_NEAR(m.decision[C_CAP0], 10.0, 1e-12);
    T_NEAR(m.decision[C_CAP1], 10.0, 1e-12);
    T_CHECK(m.decided[C_CAP0] && m.decided[C_CAP1] && !m.decided[C_CAP2]);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);
    T_NEAR(m.decision[C_FREQ1], FMAX, 0);
    m.budget_w = 100; /* 50 each: clamped to the 12 W maximum */
    decide_with("static", &m);
    T_NEAR(m.decision[C_CAP0], 12.0, 0);
    m.budget_w = 2; /* 1 each: clamped to the 2 W minimum */
    decide_with("static", &m);
    T_NEAR(m.decision[C_CAP1], 2.0, 0);
    m.budget_w = 0; /* no budget: max */
    decide_with("static", &m);
    T_NEAR(m.decision[C_CAP0], 12.0, 0);

    /* The Linux governors know no budget: they run under the static
     * split's caps, as firmware limits would hold them. */
    m.budget_w = 20;
    set_sigs(&m, 0.5, FMAX, 0.9, FMAX);
    T_CHECK(decide_with("ondemand", &m) == 0);
    T_NEAR(m.decision[C_FREQ0], 0.5 * FMAX, 1e-3);
    T_NEAR(m.decision[C_FREQ1], FMAX, 0);
    T_NEAR(m.decision[C_CAP0], 10.0, 1e-12);
    T_NEAR(m.decision[C_CAP1], 10.0, 1e-12);
    T_CHECK(!m.decided[C_CAP2]);
    /* The very first sample has no util: full speed. */
    set_sigs(&m, NAN, FMAX, NAN, FMAX);
    decide_with("ondemand", &m);
    T_NEAR(m.decision[C_FREQ0], FMAX, 0);

    /* conservative steps from the guarded target, else the applied
     * value, else the maximum. */
    set_sigs(&m, 0.1, 3.0e9, 0.95, 2.0e9);
    m.target[C_FREQ0] = 3.0e9;
    m.targeted[C_FREQ0] = 1;
    m.applied[C_FREQ1] = 2.0e9;
    m.applied_known[C_FREQ1] = 1;
    T_CHECK(decide_with("conservative", &m) == 0);
    T_NEAR(m.decision[C_FREQ0], 3.0e9 - 0.05 * FMAX, 1e-3);
    T_NEAR(m.decision[C_FREQ1], 2.0e9 + 0.05 * FMAX, 1e-3);
    m.applied_known[C_FREQ1] = 0;
    decide_with("conservative", &m);
    T_NEAR(m.decision[C_FREQ1], FMAX, 0);
    m.targeted[C_FREQ0] = 0;

    /* schedutil: cpu0 rounds up to its table, cpu1 has none. */
    set_sigs(&m, 0.5, FMAX, 0.5, FMAX);
    T_CHECK(decide_with("schedutil", &m) == 0);
    T_NEAR(m.decision[C_FREQ0], 2.8e9, 0);
    T_NEAR(m.decision[C_FREQ1], 0.625 * FMAX, 1e-3);
    T_NEAR(m.decision[C_CAP0], 10.0, 1e-12);
    set_sigs(&m, 1.0, 1.5e9, 1.0, 1.5e9);
    decide_with("schedutil", &m);
    T_NEAR(m.decision[C_FREQ0], 2.2e9, 0);
    T_NEAR(m.decision[C_FREQ1], FMAX, 0);

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
        allocount_start();
        for (int i = 0; i < 1000; i++) {
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
    test_decisions();
    test_runs();
    test_window();
    return t_done("test_governors");
}

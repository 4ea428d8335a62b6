/*
 * Pipeline stages on a model built from an in-process fake driver (the
 * plug struct is filled by hand, no dlopen): guard, actuate's save/write/
 * restore, features' counter wrap, forecast, the built-in policy's
 * water-filling, and decide's fallback when a policy fails.
 */
#include <math.h>
#include <stdlib.h>

#include "core/model.h"
#include "core/stats.h"
#include "core/summary.h"
#include "engines/engines.h"
#include "engines/fcast.h"
#include "loader/loader.h"
#include "pipeline/actuate.h"
#include "pipeline/decide.h"
#include "pipeline/features.h"
#include "pipeline/forecast.h"
#include "pipeline/guard.h"
#include "pipeline/propose.h"
#include "pipeline/sample.h"
#include "policies/cpolicy.h"
#include "t.h"

/* The fake driver: two devices, a counter that wraps at 100, and two
 * controls whose writes are checked and recorded. */
static double fake_hw[2] = {2.0e9, 40.0}; /* what "hardware" holds */
static double fake_counter;
static int fake_writes, fake_violations, fake_fail_reads;

static const struct wattson_device_desc fake_devs[] = {
    {"cpu0", "cpu", -1, NULL, 0},
    {"rail0", "rail", -1, NULL, 0},
};
static const struct wattson_signal_desc fake_sigs[] = {
    {"energy", 0, "J", WATTSON_COUNTER, 100.0, "energy"},
    {"power", 0, "W", WATTSON_GAUGE, 0, "power"},
    {"temp", 1, "C", WATTSON_GAUGE, 0, "temperature"},
};
static const struct wattson_control_desc fake_ctls[] = {
    {"freq", 0, "Hz", 1.0e9, 3.0e9, 1.0e8, "frequency"},
    {"power_cap", 0, "W", 10.0, 100.0, 0, "cap"},
};

static int fake_read(void *st, double *v, uint8_t *ok, size_t n)
{
    (void)st;
    if (fake_fail_reads > 0) {
        fake_fail_reads--;
        return WATTSON_ERR;
    }
    fake_counter += 30.0;
    if (fake_counter >= 100.0)
        fake_counter -= 100.0;
    v[0] = fake_counter;
    v[1] = 50.0;
    v[2] = NAN; /* flagged valid but NaN: must be treated as missing */
    for (size_t i = 0; i < n; i++)
        ok[i] = 1;
    return WATTSON_OK;
}

static int fake_write(void *st, const uint32_t *idx, const double *v, size_t n)
{
    (void)st;
    for (size_t i = 0; i < n; i++) {
        const struct wattson_control_desc *c = &fake_ctls[idx[i]];
        if (!isfinite(v[i]) || v[i] < c->min || v[i] > c->max)
            fake_violations++;
        fake_hw[idx[i]] = v[i];
        fake_writes++;
    }
    return WATTSON_OK;
}

static int fake_read_controls(void *st, double *v, uint8_t *ok, size_t n)
{
    (void)st;
    for (size_t i = 0; i < n; i++) {
        v[i] = fake_hw[i];
        ok[i] = 1;
    }
    return WATTSON_OK;
}

static const struct wattson_plugin fake_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "fake",
    .read = fake_read,
    .write = fake_write,
    .read_controls = fake_read_controls,
};

static struct plug fake_plug;

static void build(struct model *m)
{
    char err[256];
    struct plug *pp = &fake_plug;
    fake_plug.desc = &fake_desc;
    fake_plug.inv.devices = fake_devs;
    fake_plug.inv.n_devices = 2;
    fake_plug.inv.signals = fake_sigs;
    fake_plug.inv.n_signals = 3;
    fake_plug.inv.controls = fake_ctls;
    fake_plug.inv.n_controls = 2;
    T_CHECK(model_build(m, &pp, 1, 0, err, sizeof err) == 0);
}

static void test_model_index(void)
{
    struct model m;
    build(&m);
    T_CHECK(m.n_devices == 2 && m.n_signals == 3 && m.n_controls == 2);
    T_CHECK(m.n_pus == 1 && m.pus[0] == 0);
    T_CHECK(m.devices[0].sig[SIG_ENERGY] == 0);
    T_CHECK(m.devices[0].sig[SIG_POWER] == 1);
    T_CHECK(m.devices[0].sig[SIG_TEMP] == -1);
    T_CHECK(m.devices[1].sig[SIG_TEMP] == 2);
    T_CHECK(m.devices[0].ctl[CTL_FREQ] == 0);
    T_CHECK(m.devices[0].ctl[CTL_POWER_CAP] == 1);
    T_CHECK(model_find_device(&m, "rail0") == 1);
    T_CHECK(model_find_signal(&m, 1, "temp") == 2);
    T_CHECK(model_find_control(&m, 0, "power_cap") == 1);
    model_free(&m);
}

static void test_sample_features_wrap(void)
{
    struct model m;
    struct stats st = {0};
    build(&m);
    fake_counter = 0;
    sample_run(&m, &st, 0.0); /* 30 */
    features_run(&m);
    T_CHECK(!m.rate_valid[0]); /* no previous sample yet */
    T_CHECK(!m.valid[2]);      /* NaN flagged valid is refused */
    T_CHECK(st.invalid_samples == 1);
    sample_run(&m, &st, 1.0); /* 60 */
    features_run(&m);
    T_NEAR(m.delta[0], 30.0, 1e-12);
    T_NEAR(m.rate[0], 30.0, 1e-12);
    sample_run(&m, &st, 2.0); /* 90 */
    features_run(&m);
    sample_run(&m, &st, 3.0); /* wraps: 120 - 100 = 20 */
    features_run(&m);
    T_NEAR(m.val[0], 20.0, 1e-12);
    T_NEAR(m.delta[0], 30.0, 1e-12);
    T_CHECK(m.rate_valid[0]);
    /* A failed read: invalid, counted, and the increase is not lost. */
    fake_fail_reads = 1;
    sample_run(&m, &st, 4.0);
    T_CHECK(st.driver_errors == 1);
    T_CHECK(!m.valid[0]);
    features_run(&m);
    T_CHECK(!m.rate_valid[0]);
    sample_run(&m, &st, 5.0); /* 50 */
    features_run(&m);
    T_NEAR(m.delta[0], 30.0, 1e-12); /* from 20 at t=3 */
    T_NEAR(m.rate[0], 15.0, 1e-12);  /* over 2 s */
    T_CHECK(m.tick == 6);
    model_free(&m);
}

static void test_guard(void)
{
    struct model m;
    struct stats st = {0};
    build(&m);
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < 3; i++) {
        m.decision[0] = bad[i];
        m.decided[0] = 1;
        m.targeted[0] = 0;
        guard_run(&m, &st);
        T_CHECK(!m.targeted[0]);
    }
    T_CHECK(st.rejected_decisions == 3);
    m.decision[0] = 9e9; /* above max */
    m.decision[1] = -5;  /* below min */
    m.decided[0] = m.decided[1] = 1;
    guard_run(&m, &st);
    T_NEAR(m.target[0], 3.0e9, 0);
    T_NEAR(m.target[1], 10.0, 0);
    T_CHECK(st.clamped_decisions == 2);
    m.decision[0] = 2.04e9; /* snaps to the 100 MHz step */
    guard_run(&m, &st);
    T_NEAR(m.target[0], 2.0e9, 1e-3);
    m.decision[0] = 2.06e9;
    guard_run(&m, &st);
    T_NEAR(m.target[0], 2.1e9, 1e-3);
    /* A NaN decision leaves the previous target standing. */
    m.decision[0] = NAN;
    guard_run(&m, &st);
    T_NEAR(m.target[0], 2.1e9, 1e-3);
    T_CHECK(isnan(guard_value(&m, 0, NAN)));
    model_free(&m);
}

static void test_actuate_save_restore(void)
{
    struct model m;
    struct stats st = {0};
    struct actuate a;
    build(&m);
    fake_hw[0] = 2.0e9;
    fake_hw[1] = 40.0;
    fake_writes = fake_violations = 0;
    T_CHECK(actuate_init(&a, &m) == 0);

    /* Same value as the hardware: saved, but nothing written. */
    m.target[0] = 2.0e9;
    m.targeted[0] = 1;
    actuate_run(&a, &m, &st);
    T_CHECK(a.saved_done);
    T_CHECK(fake_writes == 0);

    m.target[0] = 2.5e9;
    m.target[1] = 80.0;
    m.targeted[1] = 1;
    actuate_run(&a, &m, &st);
    T_CHECK(fake_writes == 2);
    T_NEAR(fake_hw[0], 2.5e9, 0);
    actuate_run(&a, &m, &st); /* unchanged: no write */
    T_CHECK(fake_writes == 2);

    /* Even a target that bypassed guard never reaches the driver. */
    m.target[1] = NAN;
    actuate_run(&a, &m, &st);
    m.target[1] = 1e6;
    actuate_run(&a, &m, &st);
    T_CHECK(fake_violations == 0);
    T_CHECK(st.rejected_decisions == 2);

    T_CHECK(actuate_restore(&a, &m, &st) == 0);
    T_NEAR(fake_hw[0], 2.0e9, 0);
    T_NEAR(fake_hw[1], 40.0, 0);
    /* Restore is idempotent, and nothing is written after it. */
    int w = fake_writes;
    actuate_restore(&a, &m, &st);
    m.target[0] = 1.5e9;
    actuate_run(&a, &m, &st);
    T_CHECK(fake_writes == w);
    actuate_free(&a);
    model_free(&m);
}

static void test_waterfill(void)
{
    double need[3] = {100, 100, 100}, fl[3] = {10, 10, 10};
    double w[3] = {3, 1, 1}, alloc[3];
    cpolicy_waterfill(need, fl, w, alloc, 3, 150);
    /* Never over budget, and within 1e-4 W of filling it. */
    T_CHECK(alloc[0] + alloc[1] + alloc[2] <= 150);
    T_NEAR(alloc[0] + alloc[1] + alloc[2], 150, 1e-4);
    T_CHECK(alloc[0] > alloc[1]);
    T_NEAR(alloc[1], alloc[2], 1e-9);
    T_NEAR((alloc[0] - 10) / 3, alloc[1] - 10, 1e-6);
    /* A PU that needs little gets only its need; others share the rest. */
    need[0] = 20;
    cpolicy_waterfill(need, fl, w, alloc, 3, 150);
    T_NEAR(alloc[0], 20, 1e-6);
    T_NEAR(alloc[1], 65, 1e-4);
    /* Budget below the floors: everyone at the floor. */
    cpolicy_waterfill(need, fl, w, alloc, 3, 5);
    T_NEAR(alloc[1], 10, 0);

    /* Random cases against the definition: every allocation is
     * min(top_i, floor_i + w_i lambda) for the returned lambda, the sum
     * never exceeds the budget, and it fills the budget whenever the
     * budget lies between the floors' sum and the needs' sum. */
    uint64_t x = 88172645463325252ull;
    for (int c = 0; c < 500; c++) {
        enum { N = 24 };
        double nd[N], f[N], wt[N], al[N], base = 0, tops = 0;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = 1 + x % N;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            f[i] = 1 + (double)(x % 1000) / 100;
            nd[i] = (double)((x >> 10) % 30000) / 100;
            wt[i] = 0.5 + (double)((x >> 30) % 100) / 25;
            base += f[i];
            tops += nd[i] > f[i] ? nd[i] : f[i];
        }
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double budget = (double)(x % 400000) / 100;
        double lam = cpolicy_waterfill(nd, f, wt, al, n, budget);
        double sum = 0;
        int shape = 1;
        for (size_t i = 0; i < n; i++) {
            double top = nd[i] > f[i] ? nd[i] : f[i];
            double want = f[i] + wt[i] * lam < top ? f[i] + wt[i] * lam : top;
            shape &= al[i] == want;
            sum += al[i];
        }
        T_CHECK(shape);
        T_CHECK(lam >= 0);
        if (budget >= base)
            T_CHECK(sum <= budget);
        if (budget > base && budget < tops)
            T_NEAR(sum, budget, 1e-9 * budget);
    }
}

static void test_forecast_holt(void)
{
    struct fcast_holt h;
    double fc = 0;
    /* The stage's Holt (flat start).  A ramp: the forecast converges on
     * the next value. */
    T_CHECK(fcast_holt_init(&h, 0.3, 0.1, 1) == 0);
    for (int i = 0; i < 400; i++) {
        fcast_holt_update(&h, 10.0 + 2.0 * i);
        fc = fcast_holt_predict(&h, 1);
    }
    T_NEAR(fc, 10.0 + 2.0 * 400, 0.05);
    /* A constant: forecast equals it. */
    T_CHECK(fcast_holt_init(&h, 0.3, 0.1, 1) == 0);
    for (int i = 0; i < 50; i++) {
        fcast_holt_update(&h, 7.0);
        fc = fcast_holt_predict(&h, 5);
    }
    T_NEAR(fc, 7.0, 1e-9);
    /* The flat start smooths the second sample; the two-point one takes
     * the trend from it. */
    T_CHECK(fcast_holt_init(&h, 0.5, 0.5, 1) == 0);
    fcast_holt_update(&h, 10.0);
    fcast_holt_update(&h, 20.0);
    T_NEAR(fcast_holt_predict(&h, 1), 15.0 + 2.5, 1e-12);
    T_CHECK(fcast_holt_init(&h, 0.5, 0.5, 0) == 0);
    fcast_holt_update(&h, 10.0);
    fcast_holt_update(&h, 20.0);
    T_NEAR(fcast_holt_predict(&h, 1), 30.0, 1e-12);
}

static int failing_decide(void *st, struct model *m, struct stats *stats)
{
    (void)st;
    (void)stats;
    m->decision[0] = 123; /* must be discarded */
    m->decided[0] = 1;
    return -1;
}

static const struct policy_ops failing_ops = {
    .name = "failing",
    .decide = failing_decide,
};

static void test_decide_fallback(void)
{
    struct model m;
    struct stats st = {0};
    struct decide d;
    build(&m);
    T_CHECK(decide_init(&d, &failing_ops, NULL, &m) == 0);
    sample_run(&m, &st, 1.0);
    decide_run(&d, &m, &st);
    T_CHECK(st.policy_errors == 1);
    /* The built-in policy decided instead: a freq within range, not 123. */
    T_CHECK(m.decided[0]);
    T_CHECK(m.decision[0] >= 1.0e9 && m.decision[0] <= 3.0e9);
    T_CHECK(!d.in_fallback);
    /* After DECIDE_MAX_FAILURES failing ticks in a row the built-in policy
     * takes over and the failing one is no longer called. */
    for (int i = 1; i < DECIDE_MAX_FAILURES; i++)
        decide_run(&d, &m, &st);
    T_CHECK(d.in_fallback);
    T_CHECK(st.policy_errors == DECIDE_MAX_FAILURES);
    decide_run(&d, &m, &st);
    T_CHECK(st.policy_errors == DECIDE_MAX_FAILURES);
    decide_resume(&d);
    T_CHECK(!d.in_fallback && d.failures == 0);
    decide_free(&d);
    model_free(&m);
}

static int engine_calls;
static void *eng_create(const struct model *m)
{
    (void)m;
    return &engine_calls;
}
static void eng_propose(void *st, struct model *m)
{
    (*(int *)st)++;
    m->proposal[1] = 42;
    m->proposed[1] = 1;
}
/* What the console's Q-values pane gets from an engine (engines.h). */
static const double eng_q[6] = {1, 2, 3, -1, 5, 0};
static const char *const eng_rows[2] = {"low", "high"};
static void eng_summarize(const void *st, struct summary *s)
{
    s->broker_adjustments = (uint64_t) * (const int *)st;
}
static int eng_pane(const void *st, size_t i, struct engine_pane *out)
{
    (void)st;
    if (i > 0)
        return 0;
    out->kind = ENGINE_PANE_QTABLE;
    out->u.qtable = (struct engine_qtable){.agent = "test",
                                           .rows = 2,
                                           .cols = 3,
                                           .q = eng_q,
                                           .row_labels = eng_rows};
    return 1;
}
static const struct engine_ops test_engine = {.name = "test",
                                              .create = eng_create,
                                              .propose = eng_propose,
                                              .summarize = eng_summarize,
                                              .pane = eng_pane};
static const struct engine_ops unused_engine = {.name = "unused"};
static const struct engine_ops quiet_engine = {
    .name = "quiet", .create = eng_create, .propose = eng_propose};

static void test_propose(void)
{
    struct model m;
    struct engines e;
    struct summary sum = {0};
    struct engine_pane pane;
    build(&m);
    engines_init(&e);
    T_CHECK(engines_add(&e, &quiet_engine, &m) == 0);
    T_CHECK(engines_add(&e, &test_engine, &m) == 0);
    propose_run(&e, &m);
    propose_run(&e, &m);
    T_CHECK(engine_calls == 4);
    T_CHECK(m.proposed[1] && m.proposal[1] == 42);
    T_CHECK(!m.proposed[0]);
    /* The seams every engine offers: summary counters and panes, found
     * through the engine set without knowing the engine. */
    engines_summarize(&e, &sum);
    T_CHECK(sum.broker_adjustments == 4);
    T_CHECK(engines_pane(&e, 0, &pane) == 1);
    T_CHECK(pane.kind == ENGINE_PANE_QTABLE && pane.u.qtable.rows == 2 &&
            pane.u.qtable.q[4] == 5);
    T_CHECK(engines_pane(&e, 1, &pane) == 0);
    T_CHECK(engines_state_of(&e, &test_engine) == &engine_calls);
    T_CHECK(engines_state_of(&e, &unused_engine) == NULL);
    for (int i = 2; i < ENGINES_MAX; i++)
        T_CHECK(engines_add(&e, &test_engine, &m) == 0);
    T_CHECK(engines_add(&e, &test_engine, &m) == -1); /* full */
    engines_free(&e);
    T_CHECK(e.n == 0);
    model_free(&m);
}

int main(void)
{
    test_model_index();
    test_sample_features_wrap();
    test_guard();
    test_actuate_save_restore();
    test_waterfill();
    test_forecast_holt();
    test_decide_fallback();
    test_propose();
    return t_done("test_pipeline");
}

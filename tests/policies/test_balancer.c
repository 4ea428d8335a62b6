/*
 * The reactive power balancer (policies/balancer.h) on a hand-built model
 * (an in-process fake plugin, as test_governors.c): three cores with the
 * Zen 3 table and 2-12 W caps, and a GPU without a cap.  Budget moves
 * toward the saturated core by the amounts computed by hand, and back
 * when the load turns; a saturated core at its top clock gets nothing; a
 * growing backlog is saturation; caps stay within [min, max] and sum to
 * at most the budget on every tick of a long pseudo-random run; a new
 * budget restarts from the static split; forecasts and the true next
 * demand change nothing; the `balancer` policy's clocks are schedutil's;
 * nothing allocates per tick and nothing is NaN.
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
#include "t.h"

#define FMIN 1.5e9
#define FMAX 3.7e9
#define NCPU 3

static const struct wattson_device_desc devs[] = {
    {"cpu0", "cpu", -1, NULL, 0},
    {"cpu1", "cpu", -1, NULL, 0},
    {"cpu2", "cpu", -1, NULL, 0},
    {"gpu0", "gpu", -1, NULL, 0},
};
/* Core k's signals are 4k .. 4k+3; then the GPU's, then cpu0's true
 * next-tick demand (which the balancer must never read). */
enum { S_UTIL, S_FREQ, S_POW, S_BACKLOG };
enum { S_UTILG = 4 * NCPU, S_POWG, S_DEMAND0, S_N };
static const struct wattson_signal_desc sigs[] = {
    {"util", 0, "1", WATTSON_GAUGE, 0, "utilisation"},
    {"freq", 0, "Hz", WATTSON_GAUGE, 0, "clock"},
    {"power", 0, "W", WATTSON_GAUGE, 0, "power"},
    {"backlog", 0, "op", WATTSON_GAUGE, 0, "queued work"},
    {"util", 1, "1", WATTSON_GAUGE, 0, "utilisation"},
    {"freq", 1, "Hz", WATTSON_GAUGE, 0, "clock"},
    {"power", 1, "W", WATTSON_GAUGE, 0, "power"},
    {"backlog", 1, "op", WATTSON_GAUGE, 0, "queued work"},
    {"util", 2, "1", WATTSON_GAUGE, 0, "utilisation"},
    {"freq", 2, "Hz", WATTSON_GAUGE, 0, "clock"},
    {"power", 2, "W", WATTSON_GAUGE, 0, "power"},
    {"backlog", 2, "op", WATTSON_GAUGE, 0, "queued work"},
    {"util", 3, "1", WATTSON_GAUGE, 0, "utilisation"},
    {"power", 3, "W", WATTSON_GAUGE, 0, "power"},
    {"demand_next", 0, "1", WATTSON_GAUGE, 0, "true next demand"},
};
/* Core k's controls are 2k (freq) and 2k+1 (power_cap); the GPU has a
 * clock and no cap. */
enum { C_FREQG = 2 * NCPU, C_N };
static const struct wattson_control_desc ctls[] = {
    {"freq", 0, "Hz", FMIN, FMAX, 0, "clock target"},
    {"power_cap", 0, "W", 2.0, 12.0, 0, "cap"},
    {"freq", 1, "Hz", FMIN, FMAX, 0, "clock target"},
    {"power_cap", 1, "W", 2.0, 12.0, 0, "cap"},
    {"freq", 2, "Hz", FMIN, FMAX, 0, "clock target"},
    {"power_cap", 2, "W", 2.0, 12.0, 0, "cap"},
    {"freq", 3, "Hz", 0.3e9, 1.4e9, 0, "clock target"},
};
static const double ps_f[] = {1.5e9, 2.2e9, 2.8e9, 3.7e9};
static const double ps_busy[] = {2.3, 3.6, 5.4, 9.6};
static const double ps_idle[] = {0.9, 1.0, 1.2, 1.6};
static const struct wattson_pstate_table ps[] = {
    {0, 4, ps_f, ps_busy, ps_idle, 25.0},
    {1, 4, ps_f, ps_busy, ps_idle, 25.0},
    {2, 4, ps_f, ps_busy, ps_idle, 25.0},
};
static const struct wattson_plugin desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "fake",
};
static struct plug fake;

static int build(struct model *m)
{
    char err[256];
    struct plug *pp = &fake;
    memset(&fake, 0, sizeof fake);
    fake.desc = &desc;
    fake.inv.devices = devs;
    fake.inv.n_devices = 4;
    fake.inv.signals = sigs;
    fake.inv.n_signals = S_N;
    fake.inv.controls = ctls;
    fake.inv.n_controls = C_N;
    fake.inv.pstates = ps;
    fake.inv.n_pstates = 3;
    int rc = model_build(m, &pp, 1, 0, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "model_build: %s\n", err);
    T_CHECK(rc == 0);
    if (rc == 0) {
        T_CHECK(m->n_pus == 4);
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

static void set_cpu(struct model *m, int k, double util, double freq,
                    double power, double backlog)
{
    set_sig(m, 4 * k + S_UTIL, util);
    set_sig(m, 4 * k + S_FREQ, freq);
    set_sig(m, 4 * k + S_POW, power);
    set_sig(m, 4 * k + S_BACKLOG, backlog);
}

static double cap(const struct model *m, int k)
{
    return m->decision[2 * k + 1];
}

/* One tick of the layer alone. */
static void tick(struct model *m, struct balancer *b)
{
    memset(m->decided, 0, m->n_controls);
    balancer_apply(b, m);
}

/* Every cap decided, within [min, max], finite, summing to at most the
 * budget; returns 1 when all hold. */
static int caps_ok(const struct model *m, double budget)
{
    double sum = 0;
    int ok = 1;
    for (int k = 0; k < NCPU; k++) {
        double c = cap(m, k);
        ok &= m->decided[2 * k + 1] && isfinite(c) && c >= 2.0 && c <= 12.0;
        sum += c;
    }
    return ok && sum <= budget * (1 + 1e-12);
}

/* A period (0.1 s) is 10 ticks of 10 ms: the caps hold for the first 9
 * and move on the 10th. */
static void run_period(struct model *m, struct balancer *b)
{
    double before[NCPU];
    for (int k = 0; k < NCPU; k++)
        before[k] = cap(m, k);
    for (int i = 0; i < 9; i++) {
        tick(m, b);
        for (int k = 0; k < NCPU; k++)
            T_NEAR(cap(m, k), before[k], 0);
    }
    tick(m, b);
}

static void test_toward_saturated(void)
{
    struct model m;
    if (build(&m) != 0)
        return;
    struct balancer *b = balancer_new(&m, 0); /* the default period */
    if (!b) {
        model_free(&m);
        return;
    }
    m.budget_w = 24;
    m.dt = 0.01;
    /* cpu0 saturated below its top clock; cpu1 nearly idle; cpu2 half
     * busy at 5 W. */
    set_cpu(&m, 0, 1.0, 2.8e9, 7.9, 0);
    set_cpu(&m, 1, 0.1, FMIN, 1.0, 0);
    set_cpu(&m, 2, 0.5, FMAX, 5.0, 0);
    tick(&m, b); /* the static split: 8 W each */
    for (int k = 0; k < NCPU; k++)
        T_NEAR(cap(&m, k), 8.0, 1e-12);
    T_CHECK(isnan(balancer_cap(b, 3))); /* the GPU has no cap */
    T_CHECK(!m.decided[C_FREQG]);       /* a layer: caps only */
    T_CHECK(!m.decided[0] && !m.decided[2]);

    /* Offers: cpu1 0.5 x (8 - max(2, 1.1)) = 3, cpu2 0.5 x (8 - 5.5) =
     * 1.25; cpu0's room 4 W: 4 W move, each donor 4/4.25 of its offer. */
    run_period(&m, b);
    T_NEAR(cap(&m, 0), 12.0, 1e-12);
    T_NEAR(cap(&m, 1), 8.0 - 3.0 * 4.0 / 4.25, 1e-12);
    T_NEAR(cap(&m, 2), 8.0 - 1.25 * 4.0 / 4.25, 1e-12);
    T_CHECK(caps_ok(&m, 24));
    T_NEAR(cap(&m, 0) + cap(&m, 1) + cap(&m, 2), 24.0, 1e-9);
    T_CHECK(balancer_moves(b) == 1);
    T_NEAR(balancer_moved_w(b), 4.0, 1e-12);
    T_NEAR(balancer_cap(b, 0), 12.0, 1e-12);

    /* cpu0 at its maximum: nothing more to take. */
    run_period(&m, b);
    T_CHECK(balancer_moves(b) == 1);
    T_NEAR(cap(&m, 0), 12.0, 1e-12);

    /* The load turns: cpu0 idle at 1.5 W, cpu1 saturated.  Offers:
     * cpu0 0.5 x (12 - 2) = 5, cpu2 0.5 x (6.8235 - 5.5) = 0.6618;
     * cpu1's room 6.8235 W takes all 5.6618. */
    double c1 = cap(&m, 1), c2 = cap(&m, 2);
    set_cpu(&m, 0, 0.05, FMIN, 1.5, 0);
    set_cpu(&m, 1, 1.0, FMIN, 5.0, 0);
    run_period(&m, b);
    double give2 = 0.5 * (c2 - 5.5);
    T_NEAR(cap(&m, 0), 7.0, 1e-12);
    T_NEAR(cap(&m, 2), c2 - give2, 1e-12);
    T_NEAR(cap(&m, 1), c1 + 5.0 + give2, 1e-12);
    T_NEAR(cap(&m, 0) + cap(&m, 1) + cap(&m, 2), 24.0, 1e-9);
    T_CHECK(caps_ok(&m, 24));
    T_CHECK(balancer_moves(b) == 2);
    /* cpu1's next state now fits (3.6 + 5 - 2.3 = 6.3 W, the table's
     * 2.2 GHz plus what it drew above the table's 1.5 GHz, under
     * 10.84 W): no longer held, it takes no more; nothing moves. */
    for (int p = 0; p < 5; p++)
        run_period(&m, b);
    T_CHECK(balancer_moves(b) == 2);
    /* Held again at 2.8 GHz (9.6 + 7.5 - 5.4 = 11.7 W): it takes until
     * its maximum; the donors keep their draw plus 10 %, the sum stays
     * the budget. */
    set_cpu(&m, 1, 1.0, 2.8e9, 7.5, 0);
    for (int p = 0; p < 30; p++)
        run_period(&m, b);
    T_NEAR(cap(&m, 1), 12.0, 1e-9);
    T_CHECK(cap(&m, 0) >= 2.0 && cap(&m, 2) >= 5.5 - 1e-9);
    T_NEAR(cap(&m, 0) + cap(&m, 1) + cap(&m, 2), 24.0, 1e-9);
    T_CHECK(caps_ok(&m, 24));

    /* A new budget starts again from the static split; none: maxima. */
    m.budget_w = 30;
    tick(&m, b);
    for (int k = 0; k < NCPU; k++)
        T_NEAR(cap(&m, k), 10.0, 1e-12);
    m.budget_w = 0;
    tick(&m, b);
    for (int k = 0; k < NCPU; k++)
        T_NEAR(cap(&m, k), 12.0, 0);
    m.budget_w = 24;
    tick(&m, b);
    for (int k = 0; k < NCPU; k++)
        T_NEAR(cap(&m, k), 8.0, 1e-12);
    balancer_free(b);
    model_free(&m);
}

/* A saturated core at its top clock cannot turn power into work: nothing
 * moves.  A growing backlog is saturation even at 90 % util; a steady
 * one is not. */
static void test_receivers(void)
{
    struct model m;
    if (build(&m) != 0)
        return;
    struct balancer *b = balancer_new(&m, 0.1);
    if (!b) {
        model_free(&m);
        return;
    }
    m.budget_w = 24;
    m.dt = 0.01;
    set_cpu(&m, 0, 1.0, FMAX, 7.9, 0);
    set_cpu(&m, 1, 0.1, FMIN, 1.0, 0);
    set_cpu(&m, 2, 0.1, FMIN, 1.0, 0);
    tick(&m, b);
    run_period(&m, b);
    run_period(&m, b);
    T_CHECK(balancer_moves(b) == 0);
    for (int k = 0; k < NCPU; k++)
        T_NEAR(cap(&m, k), 8.0, 1e-12);

    /* 90 % busy, steady backlog: slack (it offers 0.5 x (8 - 6.6)). */
    set_cpu(&m, 0, 0.9, 2.8e9, 6.0, 500);
    run_period(&m, b);
    T_CHECK(balancer_moves(b) == 0);
    T_NEAR(cap(&m, 0), 8.0, 1e-12);

    /* 90 % busy, backlog growing over the period: saturated. */
    double before = cap(&m, 0);
    for (int i = 0; i < 10; i++) {
        set_cpu(&m, 0, 0.9, 2.8e9, 6.0, 500 + 100.0 * i);
        tick(&m, b);
    }
    T_CHECK(balancer_moves(b) == 1);
    T_CHECK(cap(&m, 0) > before + 1.0);
    T_CHECK(cap(&m, 1) < 8.0 && cap(&m, 2) < 8.0);
    T_CHECK(caps_ok(&m, 24));
    balancer_free(b);
    model_free(&m);
}

/* A saturated core its cap does not hold (2.2 GHz at 3 W: the next
 * state, 5.4 + 3 - 3.6 = 4.8 W, fits under 8 W - a thermal limit, say)
 * would sit on budget: it gives instead, keeping the next state's power
 * plus the margin.  cpu1 is held (9.6 + 7.5 - 5.4 = 11.7 W > 8 W).
 * Offers: cpu0 0.5 x (8 - 5.28) = 1.36, cpu2 0.5 x (8 - 2) = 3; cpu1's
 * room is 4 W. */
static void test_not_held(void)
{
    struct model m;
    if (build(&m) != 0)
        return;
    struct balancer *b = balancer_new(&m, 0.1);
    if (!b) {
        model_free(&m);
        return;
    }
    m.budget_w = 24;
    m.dt = 0.01;
    set_cpu(&m, 0, 1.0, 2.2e9, 3.0, 0);
    set_cpu(&m, 1, 1.0, 2.8e9, 7.5, 0);
    set_cpu(&m, 2, 0.1, FMIN, 1.0, 0);
    tick(&m, b);
    run_period(&m, b);
    T_CHECK(balancer_moves(b) == 1);
    T_NEAR(cap(&m, 1), 12.0, 1e-12);
    T_NEAR(cap(&m, 0), 8.0 - 1.36 * 4.0 / 4.36, 1e-12);
    T_NEAR(cap(&m, 2), 8.0 - 3.0 * 4.0 / 4.36, 1e-12);
    T_NEAR(cap(&m, 0) + cap(&m, 1) + cap(&m, 2), 24.0, 1e-9);
    /* Without a power reading the next state is the table's: 5.4 W
     * for cpu0, under its cap: still not held, and no reading, no
     * offer; nothing moves (cpu1 is at its maximum anyway). */
    set_cpu(&m, 0, 1.0, 2.2e9, NAN, 0);
    run_period(&m, b);
    T_CHECK(balancer_moves(b) == 1);
    balancer_free(b);
    model_free(&m);
}

/* Lent budget comes back.  After test_toward_saturated's first move
 * (12, 5.18, 6.82 W) cpu0 runs its top clock at 11.5 W (no slack, not
 * held) and cpu1 saturates at 2.2 GHz, held (5.4 + 5 - 3.6 = 6.8 W >
 * 5.18 W).  The only slack is cpu2's 0.5 x (6.82 - 5.5) = 0.66 W; cpu1
 * is then still 2.16 W below its share of 8 W and takes it from cpu0,
 * the only one above its share. */
static void test_reclaim(void)
{
    struct model m;
    if (build(&m) != 0)
        return;
    struct balancer *b = balancer_new(&m, 0.1);
    if (!b) {
        model_free(&m);
        return;
    }
    m.budget_w = 24;
    m.dt = 0.01;
    set_cpu(&m, 0, 1.0, 2.8e9, 7.9, 0);
    set_cpu(&m, 1, 0.1, FMIN, 1.0, 0);
    set_cpu(&m, 2, 0.5, FMAX, 5.0, 0);
    tick(&m, b);
    run_period(&m, b);
    double c1 = cap(&m, 1), c2 = cap(&m, 2);
    T_NEAR(cap(&m, 0), 12.0, 1e-12);
    set_cpu(&m, 0, 0.9, FMAX, 11.5, 0);
    set_cpu(&m, 1, 1.0, 2.2e9, 5.0, 0);
    run_period(&m, b);
    double slack = 0.5 * (c2 - 5.5);
    double need = 8.0 - (c1 + slack);
    T_CHECK(need > 1.0);
    T_NEAR(cap(&m, 1), 8.0, 1e-12);
    T_NEAR(cap(&m, 2), c2 - slack, 1e-12);
    T_NEAR(cap(&m, 0), 12.0 - need, 1e-12);
    T_NEAR(cap(&m, 0) + cap(&m, 1) + cap(&m, 2), 24.0, 1e-9);
    T_CHECK(balancer_moves(b) == 2);
    /* At its share, with no slack left: it gets nothing more. */
    set_cpu(&m, 2, 0.5, FMAX, 6.0, 0); /* keeps 6.6 W > its 6.16 */
    run_period(&m, b);
    T_NEAR(cap(&m, 1), 8.0, 1e-12);
    T_CHECK(balancer_moves(b) == 2);
    balancer_free(b);
    model_free(&m);
}

/* Invalid readings: no util, no power: nobody measured, nothing moves,
 * nothing is NaN.  A period as long as the tick rebalances each tick. */
static void test_invalid_and_period(void)
{
    struct model m;
    if (build(&m) != 0)
        return;
    struct balancer *b = balancer_new(&m, NAN); /* the default */
    if (!b) {
        model_free(&m);
        return;
    }
    m.budget_w = 24;
    m.dt = 0.01;
    for (int k = 0; k < NCPU; k++)
        set_cpu(&m, k, NAN, NAN, NAN, NAN);
    for (int i = 0; i < 50; i++) {
        tick(&m, b);
        T_CHECK(caps_ok(&m, 24));
    }
    T_CHECK(balancer_moves(b) == 0);
    /* Saturated cpu0 but donors without a power reading: slack unknown,
     * nothing offered. */
    set_cpu(&m, 0, 1.0, 2.8e9, 7.9, 0);
    set_cpu(&m, 1, 0.1, FMIN, NAN, 0);
    for (int i = 0; i < 50; i++)
        tick(&m, b);
    T_CHECK(balancer_moves(b) == 0);
    balancer_free(b);

    b = balancer_new(&m, 0.1);
    if (!b) {
        model_free(&m);
        return;
    }
    m.dt = 0.1; /* a 100 ms lab: one period a tick */
    set_cpu(&m, 1, 0.1, FMIN, 1.0, 0);
    set_cpu(&m, 2, 0.1, FMIN, 1.0, 0);
    tick(&m, b);
    tick(&m, b);
    T_CHECK(balancer_moves(b) == 1);
    tick(&m, b);
    T_CHECK(balancer_moves(b) == 1); /* cpu0 reached 12 W */
    T_NEAR(cap(&m, 0), 12.0, 1e-12);
    T_CHECK(caps_ok(&m, 24));
    balancer_free(b);
    model_free(&m);
}

/* Forecasts and the true next demand are not inputs: two runs that
 * differ only in them decide the same caps. */
static void test_no_prediction(void)
{
    double caps[2][NCPU];
    for (int run = 0; run < 2; run++) {
        struct model m;
        if (build(&m) != 0)
            return;
        struct balancer *b = balancer_new(&m, 0.1);
        if (!b) {
            model_free(&m);
            return;
        }
        m.budget_w = 24;
        m.dt = 0.01;
        set_cpu(&m, 0, 1.0, 2.8e9, 7.9, 0);
        set_cpu(&m, 1, 0.1, FMIN, 1.0, 0);
        set_cpu(&m, 2, 0.5, FMAX, 5.0, 0);
        for (int i = 0; i < 35; i++) {
            set_sig(&m, S_DEMAND0, run ? 0.0 : 5.0 + i);
            for (size_t d = 0; d < m.n_devices; d++) {
                m.fc_demand[d] = run ? 1e12 : 0.0;
                m.fc_valid[d] = 1;
            }
            tick(&m, b);
        }
        for (int k = 0; k < NCPU; k++)
            caps[run][k] = cap(&m, k);
        balancer_free(b);
        model_free(&m);
    }
    for (int k = 0; k < NCPU; k++)
        T_NEAR(caps[0][k], caps[1][k], 0);
    T_NEAR(caps[0][0], 12.0, 1e-12); /* and it did move */
}

/* A long pseudo-random run: on every tick every cap within [2, 12],
 * finite, and the sum at most the budget. */
static void test_invariants(void)
{
    struct model m;
    if (build(&m) != 0)
        return;
    struct balancer *b = balancer_new(&m, 0.05);
    if (!b) {
        model_free(&m);
        return;
    }
    uint64_t x = 0x9e3779b97f4a7c15u;
    int bad = 0;
    double backlog[NCPU] = {0};
    m.budget_w = 21;
    for (int i = 0; i < 5000; i++) {
        m.dt = 0.005 + 0.001 * (i % 7);
        if (i == 2500)
            m.budget_w = 15;
        for (int k = 0; k < NCPU; k++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            double r = (double)(x >> 11) / 9007199254740992.0;
            int phase = (i / (200 + 77 * k)) % 2;
            double util = phase ? 0.97 + 0.03 * r : 0.6 * r;
            double f = ps_f[(x >> 7) % 4];
            backlog[k] = phase ? backlog[k] + 100 * r : 0;
            set_cpu(&m, k, util, f, 1.0 + 9.0 * util * r, backlog[k]);
        }
        tick(&m, b);
        if (!caps_ok(&m, m.budget_w))
            bad++;
    }
    T_CHECK(bad == 0);
    T_CHECK(balancer_moves(b) > 10); /* it did balance */
    balancer_free(b);
    model_free(&m);
}

/* The `balancer` policy: schedutil's clocks on every PU (the GPU too,
 * without a table) - the same as naive-split's, which runs the same
 * governor under the fixed split - and the layer's caps; no allocation
 * per tick. */
static void test_policy(void)
{
    struct model m;
    if (build(&m) != 0)
        return;
    const struct policy_ops *ops = gov_find("balancer");
    const struct policy_ops *ref = gov_find("naive-split");
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
    m.budget_w = 24;
    m.dt = 0.01;
    set_sig(&m, S_UTILG, 0.5);
    set_sig(&m, S_POWG, 100);
    unsigned long al = 0, fr = 0;
    static const int freqs[] = {0, 2, 4, C_FREQG};
    for (int i = 0; i < 300; i++) {
        double u0 = (i % 11) / 10.0, f0 = ps_f[i % 4];
        m.t = i * m.dt;
        set_cpu(&m, 0, u0, f0, 2 + u0 * 5, 0);
        set_cpu(&m, 1, 1.0, 2.8e9, 7.5, i);
        set_cpu(&m, 2, i == 0 ? NAN : 0.2, FMAX, 2.0, 0);
        if (i == 100)
            allocount_start();
        memset(m.decided, 0, m.n_controls);
        T_CHECK(ref->decide(rstate, &m, &st) == 0);
        double want[4];
        for (int k = 0; k < 4; k++)
            want[k] = m.decision[freqs[k]];
        memset(m.decided, 0, m.n_controls);
        T_CHECK(ops->decide(state, &m, &st) == 0);
        for (int k = 0; k < 4; k++) {
            T_CHECK(m.decided[freqs[k]]);
            T_NEAR(m.decision[freqs[k]], want[k], 0);
        }
        T_CHECK(caps_ok(&m, 24));
    }
    allocount_stop(&al, &fr);
    T_CHECK(al == 0 && fr == 0);
    /* cpu1 is saturated and held by its cap (3.7 GHz would draw
     * 9.6 + 7.5 - 5.4 = 11.7 W): it gained budget. */
    T_CHECK(cap(&m, 1) > 8.0 + 1.0);
    ref->destroy(rstate);
    ops->destroy(state);
    model_free(&m);
}

int main(void)
{
    allocount_install();
    test_toward_saturated();
    test_receivers();
    test_not_held();
    test_reclaim();
    test_invalid_and_period();
    test_no_prediction();
    test_invariants();
    test_policy();
    return t_done("test_balancer");
}

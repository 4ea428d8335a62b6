/*
 * test_parts - the part presets' P-state tables (pu_part_params,
 * pu_pstates_from_curve) and the governor's bisection over them.
 *
 * A preset's table must be what drivers/sim/README.md's part table says:
 * every clock from the lowest to the highest at the documented step (the
 * real part's, or its smallest multiple that fits PU_MAX_PSTATES), the
 * anchors of the V/f curve kept exactly where they fall on a state, the
 * voltage between them the linear interpolation, increasing clocks and
 * voltages that never fall.
 */
#include "t.h"

#include <stdlib.h>

#include "pu.h"

/* The documented figures (README.md, "Part presets"). */
static const struct {
    const char *name;
    double hw_step_hz; /* the real part's clock step */
    double step_hz;    /* the table's */
    size_t n;
} want[] = {
    {"zen3-core", 25e6, 25e6, 89}, {"icelake-core", 100e6, 100e6, 27},
    {"a100-pcie", 15e6, 15e6, 81}, {"t4", 15e6, 15e6, 87},
    {"alveo-u250", 5e6, 5e6, 41},
};
#define NWANT (sizeof want / sizeof want[0])

/* The piecewise-linear V/f curve at f, computed independently of pu.c. */
static double curve_volt(const struct pu_part *pt, double f)
{
    for (size_t i = 0; i + 1 < pt->n_vf; i++) {
        const struct pu_pstate *a = &pt->vf[i], *b = &pt->vf[i + 1];
        if (f >= a->freq_hz && f <= b->freq_hz)
            return a->volt + (b->volt - a->volt) *
                                 ((f - a->freq_hz) / (b->freq_hz - a->freq_hz));
    }
    return pt->vf[0].volt;
}

static void test_presets(void)
{
    size_t nparts = 0;
    for (const struct pu_part *pt = pu_parts; pt->name; pt++)
        nparts++;
    T_CHECK(nparts == NWANT); /* every preset is documented here */

    for (size_t w = 0; w < NWANT; w++) {
        const struct pu_part *pt = pu_part_find(want[w].name);
        static struct pu_params p;
        char err[256];
        T_CHECK(pt != NULL);
        if (!pt)
            continue;
        T_NEAR(pt->step_hz, want[w].hw_step_hz, 0);
        T_CHECK(pt->params.n_pstates == 0); /* generated, not stored */
        T_CHECK(pu_part_params(pt, &p) == 0);
        T_CHECK(p.n_pstates == want[w].n);
        T_CHECK(p.n_pstates >= 2 && p.n_pstates <= PU_MAX_PSTATES);
        if (p.n_pstates < 2 || p.n_pstates > PU_MAX_PSTATES)
            continue;
        T_CHECK(pu_params_check(&p, 25.0, err, sizeof err) == 0);

        /* The scalars are the preset's, untouched. */
        T_NEAR(p.c_eff_f, pt->params.c_eff_f, 0);
        T_NEAR(p.r_th, pt->params.r_th, 0);
        T_NEAR(p.c_th, pt->params.c_th, 0);
        T_NEAR(p.power_cap_max_w, pt->params.power_cap_max_w, 0);

        /* Bottom and top clocks and voltages are the curve's ends. */
        const struct pu_pstate *lo = &pt->vf[0], *hi = &pt->vf[pt->n_vf - 1];
        size_t n = p.n_pstates;
        T_NEAR(p.pstates[0].freq_hz, lo->freq_hz, 0);
        T_NEAR(p.pstates[0].volt, lo->volt, 0);
        T_NEAR(p.pstates[n - 1].freq_hz, hi->freq_hz, 0);
        T_NEAR(p.pstates[n - 1].volt, hi->volt, 0);

        /* Evenly stepped at the documented step, exactly (whole hertz). */
        double step = want[w].step_hz;
        for (size_t k = 1; k < n; k++) {
            T_NEAR(p.pstates[k].freq_hz - p.pstates[k - 1].freq_hz, step, 0);
            T_NEAR(p.pstates[k].freq_hz, lo->freq_hz + (double)k * step, 0);
            T_CHECK(p.pstates[k].volt >= p.pstates[k - 1].volt);
        }

        /* The table's step is the real one times the smallest factor
         * that divides the span and fits PU_MAX_PSTATES. */
        double span = hi->freq_hz - lo->freq_hz;
        double m = step / pt->step_hz;
        size_t ns = (size_t)llround(span / pt->step_hz);
        T_NEAR(m, round(m), 0);
        T_NEAR((double)ns * pt->step_hz, span, 0);
        for (size_t mm = 1; mm < (size_t)m; mm++)
            T_CHECK(ns % mm != 0 || ns / mm + 1 > PU_MAX_PSTATES);

        /* Anchors: on the real part's grid; kept exactly where they fall
         * on a state of the table. */
        for (size_t i = 0; i < pt->n_vf; i++) {
            double q = (pt->vf[i].freq_hz - lo->freq_hz) / pt->step_hz;
            T_NEAR(q, round(q), 0);
            double kq = (pt->vf[i].freq_hz - lo->freq_hz) / step;
            if (kq == round(kq)) {
                size_t k = (size_t)kq;
                T_CHECK(k < n);
                if (k < n) {
                    T_NEAR(p.pstates[k].freq_hz, pt->vf[i].freq_hz, 0);
                    T_NEAR(p.pstates[k].volt, pt->vf[i].volt, 0);
                }
            }
        }

        /* Every voltage is the curve's (linear between anchors). */
        for (size_t k = 0; k < n; k++)
            T_NEAR(p.pstates[k].volt, curve_volt(pt, p.pstates[k].freq_hz),
                   1e-12);
    }

    /* The top state's dynamic power is what the four-state tables had
     * (pu.c's sources): 1.384 nF x 1.25^2 x 3.7 GHz, 1.418e-7 x 1 x
     * 1410 MHz. */
    {
        static struct pu_params p;
        const struct pu_pstate *top;
        T_CHECK(pu_part_params(pu_part_find("zen3-core"), &p) == 0);
        top = &p.pstates[p.n_pstates - 1];
        T_NEAR(p.c_eff_f * top->volt * top->volt * top->freq_hz, 8.00125, 1e-9);
        T_CHECK(pu_part_params(pu_part_find("a100-pcie"), &p) == 0);
        top = &p.pstates[p.n_pstates - 1];
        T_NEAR(p.c_eff_f * top->volt * top->volt * top->freq_hz, 199.938, 1e-6);
    }
}

static void test_curve(void)
{
    struct pu_pstate out[PU_MAX_PSTATES];
    double step = 0;
    const struct pu_pstate two[] = {{1e9, 0.8}, {2e9, 1.0}};
    const struct pu_pstate mid[] = {{1e9, 0.8}, {1.3e9, 0.9}, {2e9, 1.2}};

    /* The real step when it fits. */
    T_CHECK(pu_pstates_from_curve(two, 2, 100e6, out, 64, &step) == 11);
    T_NEAR(step, 100e6, 0);
    T_NEAR(out[5].freq_hz, 1.5e9, 0);
    T_NEAR(out[5].volt, 0.9, 1e-15);
    /* The smallest multiple dividing the span that fits: 10 steps in 6
     * states is 2 x 100 MHz; in 5, neither 3 nor 4 divides 10: 5 x. */
    T_CHECK(pu_pstates_from_curve(two, 2, 100e6, out, 6, &step) == 6);
    T_NEAR(step, 200e6, 0);
    T_CHECK(pu_pstates_from_curve(two, 2, 100e6, out, 5, &step) == 3);
    T_NEAR(step, 500e6, 0);
    T_NEAR(out[1].freq_hz, 1.5e9, 0);
    T_CHECK(pu_pstates_from_curve(two, 2, 100e6, out, 2, &step) == 2);
    T_CHECK(pu_pstates_from_curve(two, 2, 100e6, out, 1, &step) == 0);
    /* An inner anchor: kept on a state, its segments interpolated. */
    T_CHECK(pu_pstates_from_curve(mid, 3, 100e6, out, 64, &step) == 11);
    T_NEAR(out[3].volt, 0.9, 0);
    T_NEAR(out[2].volt, 0.8 + 0.1 * 2.0 / 3.0, 1e-15);
    T_NEAR(out[10].volt, 1.2, 0);
    T_NEAR(out[4].volt, 0.9 + 0.3 / 7.0, 1e-15);
    /* One anchor: one state. */
    T_CHECK(pu_pstates_from_curve(two, 1, 100e6, out, 64, &step) == 1);
    T_NEAR(out[0].freq_hz, 1e9, 0);
    /* Invalid curves. */
    {
        const struct pu_pstate odd[] = {{1e9, 0.8}, {2.05e9, 1.0}};
        const struct pu_pstate fall[] = {{1e9, 0.9}, {2e9, 0.8}};
        const struct pu_pstate back[] = {{2e9, 0.8}, {1e9, 1.0}};
        const struct pu_pstate zero[] = {{0, 0.8}, {1e9, 1.0}};
        T_CHECK(pu_pstates_from_curve(odd, 2, 100e6, out, 64, &step) == 0);
        T_CHECK(pu_pstates_from_curve(fall, 2, 100e6, out, 64, &step) == 0);
        T_CHECK(pu_pstates_from_curve(back, 2, 100e6, out, 64, &step) == 0);
        T_CHECK(pu_pstates_from_curve(zero, 2, 100e6, out, 64, &step) == 0);
        T_CHECK(pu_pstates_from_curve(two, 2, 0, out, 64, &step) == 0);
        T_CHECK(pu_pstates_from_curve(two, 2, NAN, out, 64, &step) == 0);
        T_CHECK(pu_pstates_from_curve(two, 0, 100e6, out, 64, &step) == 0);
        T_CHECK(pu_pstates_from_curve(two, PU_MAX_ANCHORS + 1, 100e6, out, 64,
                                      &step) == 0);
    }
}

/* What the governor should pick, by the scan the bisection replaces:
 * the highest state at or below the target, then down while the
 * predicted power exceeds the cap, never below state 0. */
static size_t scan_state(const struct pu *u, double queued, double dt)
{
    const struct pu_params *p = &u->p;
    double leak = p->leak_w * exp(p->leak_coeff * (u->temp_c - 25.0));
    size_t k = p->n_pstates - 1;
    while (k > 0 && p->pstates[k].freq_hz > u->freq_target_hz * (1 + 1e-9))
        k--;
    for (; k > 0; k--) {
        double cap_ops = p->pstates[k].freq_hz * p->ops_per_cycle * dt;
        double util = queued >= cap_ops ? 1.0 : queued / cap_ops;
        double a = p->idle_activity + (1.0 - p->idle_activity) * util;
        if (u->dyn_w[k] * a + leak <= u->power_cap_w)
            break;
    }
    return k;
}

static void test_governor_bisection(void)
{
    const char *const parts[] = {"zen3-core", "a100-pcie", "alveo-u250"};
    uint64_t x = 0x9e3779b97f4a7c15u;
    size_t mismatches = 0, tried = 0;

    for (int i = 0; i < 3; i++) {
        static struct pu_params p;
        struct pu u;
        T_CHECK(pu_part_params(pu_part_find(parts[i]), &p) == 0);
        T_CHECK(pu_init(&u, &p, 25.0) == 0);
        double fmin = p.pstates[0].freq_hz;
        double fmax = p.pstates[p.n_pstates - 1].freq_hz;
        double cmax = u.dyn_w[p.n_pstates - 1] + p.leak_w * 3.0;
        for (int s = 0; s < 4000; s++) {
            /* xorshift64: three uniform draws in [0, 1) */
            double r[3];
            for (int j = 0; j < 3; j++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                r[j] = (double)(x >> 11) / 9007199254740992.0;
            }
            /* targets below, inside and above the range; some exactly on
             * a state; every third step the last one again (the governor
             * keeps the state it found for an unchanged target) */
            if (s % 3 != 0)
                u.freq_target_hz =
                    fmin * 0.8 + r[0] * (fmax * 1.2 - fmin * 0.8);
            if (s % 5 == 0)
                u.freq_target_hz = p.pstates[s % p.n_pstates].freq_hz;
            u.power_cap_w = r[1] * cmax;
            double demand = 1.5 * r[2];
            double dt = 0.01;
            double queued = u.backlog + demand * pu_max_throughput(&u) * dt;
            size_t want_k = scan_state(&u, queued, dt);
            int hot = u.temp_c >= p.temp_limit_c || u.throttled;
            pu_step(&u, 0.01 * s, dt, demand);
            tried++;
            if (!hot && u.ps != want_k)
                mismatches++;
        }
        pu_fini(&u);
    }
    T_CHECK(tried == 12000);
    T_CHECK(mismatches == 0);
}

int main(void)
{
    test_presets();
    test_curve();
    test_governor_bisection();
    return t_done("test_sim_parts");
}

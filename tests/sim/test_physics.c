/*
 * test_physics - the sim driver's processing-unit physics, driven through
 * the plugin descriptor: thermal RC, energy accounting, throttling, power
 * capping, frequency control, work conservation and latency.
 */
#include "fakehost.h"
#include "t.h"

#include "pu.h"

static const double tick = 0.01;

static void step(struct fh_run *r)
{
    fh_advance(tick);
    T_CHECK(fh_read(r) == WATTSON_OK);
}

static void test_first_read(void)
{
    struct fh_run r;
    fh_reset();
    fh_dev(1, "cpu0", "cpu", "zen3-core", 0.5);
    T_CHECK(fh_open(&r) == WATTSON_OK);
    T_CHECK(fh_read(&r) == WATTSON_OK);
    /* No interval yet: util and power are missing, not zero. */
    T_CHECK(r.ok[fh_sig_index(&r, 0, "util")] == 0);
    T_CHECK(r.ok[fh_sig_index(&r, 0, "power")] == 0);
    T_CHECK(r.ok[fh_sig_index(&r, 0, "temp")] == 1);
    T_NEAR(fh_sig(&r, 0, "temp"), 25.0, 1e-12);
    T_NEAR(fh_sig(&r, 0, "freq"), 3.7e9, 1);
    /* A read with no time passed only reports. */
    T_CHECK(fh_read(&r) == WATTSON_OK);
    T_CHECK(r.ok[fh_sig_index(&r, 0, "util")] == 0);
    step(&r);
    T_CHECK(r.ok[fh_sig_index(&r, 0, "util")] == 1);
    T_CHECK(r.ok[fh_sig_index(&r, 0, "power")] == 1);
    T_NEAR(fh_sig(&r, 0, "util"), 0.5, 1e-12);
    fh_close(&r);
}

/* Full load for 20 time constants: T = T_amb + P R. */
static void test_thermal_steady(void)
{
    struct fh_run r;
    const struct pu_part *part = pu_part_find("zen3-core");
    double R = part->params.r_th;
    fh_reset();
    fh_dev(1, "cpu0", "cpu", "zen3-core", 1.0);
    fh_num(30.0, "ambient_c");
    T_CHECK(fh_open(&r) == WATTSON_OK);
    fh_read(&r);
    for (int i = 0; i < 20000; i++) /* 200 s, tau = 9.9 s */
        step(&r);
    T_NEAR(fh_sig(&r, 0, "temp"), 30.0 + fh_sig(&r, 0, "power") * R, 0.01);
    T_CHECK(fh_sig(&r, 0, "temp") < fh_sig(&r, 0, "temp_limit"));
    T_NEAR(fh_sig(&r, 0, "util"), 1.0, 1e-12);
    fh_close(&r);
}

/* With no leakage P is constant and the exact discretisation makes T
 * independent of the tick: one 5 s step == 500 steps of 10 ms == the
 * analytic T_amb + P R (1 - exp(-t / RC)). */
static void test_thermal_exact(void)
{
    struct fh_run a, b;
    const struct pu_part *part = pu_part_find("a100-pcie");
    double R = part->params.r_th, C = part->params.c_th, P, want;
    fh_reset();
    fh_dev(1, "gpu0", "gpu", "a100-pcie", 1.0);
    fh_num(0.0, "devices.1.leak_w");
    T_CHECK(fh_open(&a) == WATTSON_OK);
    T_CHECK(fh_open(&b) == WATTSON_OK);
    fh_read(&a);
    fh_read(&b);
    fh.now_ns = 5000000000ull;
    fh_read(&a);
    fh.now_ns = 0;
    for (int i = 0; i < 500; i++) {
        fh_advance(tick);
        fh_read(&b);
    }
    P = fh_sig(&a, 0, "power");
    T_NEAR(P, part->params.c_eff_f * 1.0 * 1.0 * 1410e6, 1e-9);
    want = 25.0 + P * R * (1.0 - exp(-5.0 / (R * C)));
    T_NEAR(fh_sig(&a, 0, "temp"), want, 1e-9);
    T_NEAR(fh_sig(&b, 0, "temp"), want, 1e-9);
    T_NEAR(fh_sig(&a, 0, "energy"), P * 5.0, 1e-6);
    T_NEAR(fh_sig(&b, 0, "energy"), P * 5.0, 1e-6);
    fh_close(&a);
    fh_close(&b);
}

/* Sum of power * dt over uneven ticks equals the energy counter. */
static void test_energy(void)
{
    struct fh_run r;
    double sum = 0;
    uint64_t x = 12345;
    fh_reset();
    fh_dev(1, "cpu0", "cpu", "zen3-core", 0.0);
    fh_str("sine", "devices.1.workload.kind");
    fh_del("devices.1.workload.level");
    fh_num(0.5, "devices.1.workload.mean");
    fh_num(0.5, "devices.1.workload.amplitude");
    fh_num(3.0, "devices.1.workload.period_s");
    fh_dev(2, "gpu0", "gpu", "t4", 0.7);
    T_CHECK(fh_open(&r) == WATTSON_OK);
    fh_read(&r);
    for (int i = 0; i < 5000; i++) {
        uint64_t dt_ns;
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        dt_ns = 1000000 + (x >> 33) % 30000000; /* 1 to 31 ms */
        fh.now_ns += dt_ns;
        fh_read(&r);
        sum += fh_sig(&r, 0, "power") * (double)dt_ns * 1e-9;
    }
    T_NEAR(sum, fh_sig(&r, 0, "energy"), 1e-9 * sum);
    T_CHECK(sum > 0);
    fh_close(&r);
}

/* A badly cooled core under full load with the cap at its maximum: the
 * throttle holds T near the limit instead of the ~150 C it would reach. */
static void test_throttle(void)
{
    struct fh_run r;
    double tmax = 0, limit, fmin = 1e30;
    fh_reset();
    fh_dev(1, "cpu0", "cpu", "zen3-core", 1.0);
    fh_num(12.0, "devices.1.r_th");
    T_CHECK(fh_open(&r) == WATTSON_OK);
    fh_read(&r);
    limit = fh_sig(&r, 0, "temp_limit");
    for (int i = 0; i < 30000; i++) { /* 300 s, tau 22 s */
        step(&r);
        if (fh_sig(&r, 0, "temp") > tmax)
            tmax = fh_sig(&r, 0, "temp");
        if (i > 15000 && fh_sig(&r, 0, "freq") < fmin)
            fmin = fh_sig(&r, 0, "freq");
    }
    T_CHECK(tmax >= limit);      /* it did get hot */
    T_CHECK(tmax < limit + 0.1); /* one tick of overshoot at most */
    T_NEAR(fmin, 1.5e9, 1);      /* by running at the lowest P-state */
    T_CHECK(fh_sig(&r, 0, "temp") > limit - 2.5);
    fh_close(&r);
}

/* Power cap: never exceeded when feasible; when not, the lowest P-state. */
static void test_power_cap(void)
{
    struct fh_run r;
    double pmax = 0, lowest;
    fh_reset();
    fh_dev(1, "gpu0", "gpu", "a100-pcie", 1.0);
    fh_dev(2, "cpu0", "cpu", "zen3-core", 1.0);
    fh_num(0.5, "devices.2.power_cap_min_w");
    T_CHECK(fh_open(&r) == WATTSON_OK);
    T_CHECK(fh_write(&r, 0, "power_cap", 180.0) == WATTSON_OK);
    T_CHECK(fh_write(&r, 1, "power_cap", 0.5) == WATTSON_OK);
    fh_read(&r);
    for (int i = 0; i < 6000; i++) {
        step(&r);
        if (fh_sig(&r, 0, "power") > pmax)
            pmax = fh_sig(&r, 0, "power");
    }
    T_CHECK(pmax <= 180.0);
    T_CHECK(pmax > 100.0); /* and it does use the budget */
    T_CHECK(fh_sig(&r, 0, "freq") < 1410e6);
    /* Infeasible: 0.5 W is below anything the core can do. */
    T_NEAR(fh_sig(&r, 1, "freq"), 1.5e9, 1);
    lowest = 1.384e-9 * 0.85 * 0.85 * 1.5e9 +
             0.8 * exp(0.02 * (fh_sig(&r, 1, "temp") - 25.0));
    T_CHECK(fh_sig(&r, 1, "power") <= 0.5 + lowest);
    /* Raising the cap restores the top clock. */
    T_CHECK(fh_write(&r, 1, "power_cap", 12.0) == WATTSON_OK);
    step(&r);
    T_NEAR(fh_sig(&r, 1, "freq"), 3.7e9, 1);
    fh_close(&r);
}

static void test_freq_control(void)
{
    struct fh_run r;
    double ctl[2];
    uint8_t ok[2];
    fh_reset();
    fh_dev(1, "cpu0", "cpu", "zen3-core", 0.5);
    T_CHECK(fh_open(&r) == WATTSON_OK);
    T_CHECK(r.pl->read_controls(r.st, ctl, ok, 2) == WATTSON_OK);
    T_NEAR(ctl[0], 3.7e9, 1);
    T_NEAR(ctl[1], 12.0, 1e-12);
    T_CHECK(ok[0] && ok[1]);
    /* Between two states (the table steps 25 MHz): the one below. */
    T_CHECK(fh_write(&r, 0, "freq", 2.224e9) == WATTSON_OK);
    T_CHECK(fh_write(&r, 0, "freq", NAN) == WATTSON_ERR);
    T_CHECK(r.pl->read_controls(r.st, ctl, ok, 2) == WATTSON_OK);
    T_NEAR(ctl[0], 2.224e9, 1);
    fh_read(&r);
    step(&r);
    T_NEAR(fh_sig(&r, 0, "freq"), 2.2e9, 1);
    T_NEAR(fh_sig(&r, 0, "throughput"), 2.2e9 * 32, 1);
    /* demand 0.5 of 3.7 GHz peak on a 2.2 GHz clock */
    T_NEAR(fh_sig(&r, 0, "util"), 0.5 * 3.7 / 2.2, 1e-12);
    T_CHECK(fh_write(&r, 0, "freq", 2.2e9) == WATTSON_OK);
    step(&r);
    T_NEAR(fh_sig(&r, 0, "freq"), 2.2e9, 1);
    /* A state that is no anchor of the V/f curve. */
    T_CHECK(fh_write(&r, 0, "freq", 2.25e9) == WATTSON_OK);
    step(&r);
    T_NEAR(fh_sig(&r, 0, "freq"), 2.25e9, 1);
    fh_close(&r);
}

/* arrived == served + backlog at every tick, through overload and the
 * ring's merging (more than PU_RING_BATCHES ticks of growing backlog). */
static void test_conservation(void)
{
    struct fh_run r;
    double worst = 0;
    fh_reset();
    fh_dev(1, "cpu0", "cpu", "zen3-core", 0.0);
    fh_str("bursty", "devices.1.workload.kind");
    fh_del("devices.1.workload.level");
    fh_num(1.6, "devices.1.workload.on_level");
    fh_num(0.2, "devices.1.workload.off_level");
    fh_num(0.5, "devices.1.workload.on_s");
    fh_num(0.5, "devices.1.workload.off_s");
    fh_dev(2, "fpga0", "fpga", "alveo-u250", 1.5); /* always overloaded */
    T_CHECK(fh_open(&r) == WATTSON_OK);
    fh_read(&r);
    for (int i = 0; i < 6000; i++) {
        step(&r);
        for (size_t d = 0; d < 2; d++) {
            double a = fh_sig(&r, d, "work_arrived");
            double e = fabs(a - fh_sig(&r, d, "work_served") -
                            fh_sig(&r, d, "backlog"));
            if (a > 0 && e / a > worst)
                worst = e / a;
        }
    }
    T_CHECK(worst < 1e-12);
    /* The FPGA's FIFO went past the ring size and merged: still sane. */
    T_CHECK(fh_sig(&r, 1, "backlog") > 0);
    T_NEAR(fh_sig(&r, 1, "backlog"), 0.5 * 300e6 * 8192 * 60.0,
           1e-6 * 0.5 * 300e6 * 8192 * 60.0);
    fh_close(&r);
}

/* Ample capacity: no misses, latency below a tick.  Overload: misses and
 * mean latency grow. */
static void test_latency(void)
{
    struct fh_run r;
    double m1, w1, s1;
    fh_reset();
    fh_dev(1, "ok", "cpu", "zen3-core", 0.5);
    fh_dev(2, "over", "cpu", "zen3-core", 1.3);
    T_CHECK(fh_open(&r) == WATTSON_OK);
    fh_read(&r);
    for (int i = 0; i < 1000; i++)
        step(&r);
    T_NEAR(fh_sig(&r, 0, "deadline_misses"), 0, 0);
    T_NEAR(fh_sig(&r, 0, "backlog"), 0, 0);
    /* fluid service of a batch stamped at the tick start: mean wait is
     * util * tick / 2 */
    T_NEAR(fh_sig(&r, 0, "wait") / fh_sig(&r, 0, "work_served"), 0.5 * tick / 2,
           1e-9);
    m1 = fh_sig(&r, 1, "deadline_misses");
    w1 = fh_sig(&r, 1, "wait");
    s1 = fh_sig(&r, 1, "work_served");
    T_CHECK(m1 > 0);
    T_CHECK(fh_sig(&r, 1, "backlog") > 0);
    for (int i = 0; i < 1000; i++)
        step(&r);
    T_CHECK(fh_sig(&r, 1, "deadline_misses") > m1);
    T_CHECK((fh_sig(&r, 1, "wait") - w1) / (fh_sig(&r, 1, "work_served") - s1) >
            w1 / s1);
    T_NEAR(fh_sig(&r, 1, "util"), 1.0, 0);
    /* every batch of the overloaded core is late after the first few */
    T_CHECK(fh_sig(&r, 1, "deadline_misses") > 1500);
    fh_close(&r);
}

static void test_inventory(void)
{
    static const char *const names[] = {
        "util",        "freq",       "power",           "energy",
        "temp",        "throughput", "backlog",         "work_arrived",
        "work_served", "wait",       "deadline_misses", "priority",
        "temp_limit",  "deadline",   "latency_p99",     "demand_next"};
    struct fh_run r;
    fh_reset();
    fh_dev(1, "cpu0", "cpu", NULL, 0.5);
    fh_num(3, "devices.1.priority");
    fh_dev(2, "gpu0", "gpu", "t4", 0.5);
    fh_num(0.25, "devices.2.deadline_s");
    fh_dev(3, "fpga0", "fpga", NULL, 0.5);
    T_CHECK(fh_open(&r) == WATTSON_OK);
    T_CHECK(r.pl->flags == WATTSON_PLUGIN_SIMULATED);
    T_CHECK(r.pl->abi_major == WATTSON_ABI_MAJOR);
    T_CHECK(r.pl->size == sizeof(struct wattson_plugin));
    T_CHECK(r.inv.n_devices == 3);
    /* The gpu has mem_total and mem_used after the common 16. */
    T_CHECK(r.inv.n_signals == 3 * 16 + 2);
    T_CHECK(r.inv.n_controls == 6);
    T_STREQ(r.inv.devices[2].kind, "fpga");
    T_STREQ(r.inv.devices[1].name, "gpu0");
    T_CHECK(r.inv.devices[0].parent == -1 && r.inv.devices[0].n_links == 0);
    for (size_t i = 0; i < r.inv.n_signals; i++) {
        size_t dev = i < 16 ? 0 : i < 34 ? 1 : 2;
        size_t k = i - (dev == 0 ? 0 : dev == 1 ? 16 : 34);
        T_STREQ(r.inv.signals[i].name, k < 16    ? names[k]
                                       : k == 16 ? "mem_total"
                                                 : "mem_used");
        T_CHECK(r.inv.signals[i].device == dev);
    }
    T_STREQ(r.inv.signals[32].unit, "B");
    T_CHECK(r.inv.signals[32].behaviour == WATTSON_CONSTANT);
    T_STREQ(r.inv.controls[2].name, "freq");
    T_NEAR(r.inv.controls[2].min, 300e6, 1);
    T_NEAR(r.inv.controls[2].max, 1590e6, 1);
    T_STREQ(r.inv.controls[3].name, "power_cap");
    T_NEAR(r.inv.controls[3].min, 60, 0);
    T_NEAR(r.inv.controls[3].max, 70, 0);
    fh_read(&r);
    T_NEAR(fh_sig(&r, 0, "priority"), 3, 0);
    T_NEAR(fh_sig(&r, 1, "priority"), 1, 0);
    T_NEAR(fh_sig(&r, 1, "deadline"), 0.25, 0);
    T_NEAR(fh_sig(&r, 2, "temp_limit"), 100, 0);
    /* T4: 16 GiB (datasheet), no tenants: nothing held */
    T_NEAR(fh_sig(&r, 1, "mem_total"), 16.0 * 1073741824.0, 0);
    T_NEAR(fh_sig(&r, 1, "mem_used"), 0, 0);
    fh_close(&r);
}

/* The P-state tables: freq, busy and idle power from the part's own
 * parameters at temp_ref_c, midway between ambient and the limit. */
static void test_pstate_table(void)
{
    static const char *const parts[] = {"zen3-core", "a100-pcie", "t4",
                                        "alveo-u250"};
    static const char *const kinds[] = {"cpu", "gpu", "gpu", "fpga"};
    struct fh_run r;
    fh_reset();
    fh_num(30.0, "ambient_c");
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "d%d", i);
        fh_dev(i + 1, name, kinds[i], parts[i], 0.5);
    }
    fh_num(0.3, "devices.2.idle_activity"); /* overrides are honoured */
    T_CHECK(fh_open(&r) == WATTSON_OK);
    T_CHECK(r.pl->abi_minor == 3); /* 1.2 GPU calls, 1.3 ipc_deliver */
    T_CHECK(r.inv.n_pstates == 4);
    for (size_t i = 0; i < r.inv.n_pstates && i < 4; i++) {
        const struct wattson_pstate_table *t = &r.inv.pstates[i];
        static struct pu_params pp;
        const struct pu_params *p = &pp;
        T_CHECK(pu_part_params(pu_part_find(parts[i]), &pp) == 0);
        double tref = 0.5 * (30.0 + p->temp_limit_c);
        double leak = p->leak_w * exp(p->leak_coeff * (tref - 25.0));
        double ia = i == 1 ? 0.3 : p->idle_activity;
        T_CHECK(t->device == i);
        T_CHECK(t->n == p->n_pstates);
        T_NEAR(t->temp_ref_c, tref, 1e-12);
        for (size_t k = 0; k < t->n; k++) {
            double f = p->pstates[k].freq_hz, v = p->pstates[k].volt;
            double dyn = p->c_eff_f * v * v * f;
            T_NEAR(t->freq_hz[k], f, 0);
            T_NEAR(t->busy_w[k], dyn + leak, 1e-12 * t->busy_w[k]);
            T_NEAR(t->idle_w[k], dyn * ia + leak, 1e-12 * t->busy_w[k]);
            T_CHECK(t->idle_w[k] < t->busy_w[k]);
        }
    }
    /* Zen 3 at 3.7 GHz, 60 C reference (ambient 25): 1.384 nF x 1.25^2 x
     * 3.7 GHz = 8.0015 W dynamic, 0.8 exp(0.7) = 1.6110 W static. */
    fh_reset();
    fh_dev(1, "cpu0", "cpu", "zen3-core", 0.5);
    fh_close(&r);
    T_CHECK(fh_open(&r) == WATTSON_OK);
    T_NEAR(r.inv.pstates[0].temp_ref_c, 60.0, 1e-12);
    T_CHECK(r.inv.pstates[0].n == 89);
    T_NEAR(r.inv.pstates[0].busy_w[88], 8.0015 + 1.6110, 1e-3);
    T_NEAR(r.inv.pstates[0].idle_w[88], 0.80015 + 1.6110, 1e-3);
    fh_close(&r);
}

/* The tables agree with what the unit draws: each part, fully busy (and
 * idle) at a pinned P-state (the lowest, two between and the top: the
 * tables have tens of states), with r_th chosen so that the die settles
 * at temp_ref_c, reports the tabulated power. */
static void test_pstate_physics(void)
{
    static const char *const parts[] = {"zen3-core", "a100-pcie"};
    static const char *const kinds[] = {"cpu", "gpu"};
    struct fh_run r;
    int dev = 0, ndev;
    size_t kk[32];
    int busy[32];
    double want_p[32], tref[32], tmax = 0;

    fh_reset();
    for (int p = 0; p < 2; p++) {
        static struct pu_params ppv;
        const struct pu_params *pp = &ppv;
        T_CHECK(pu_part_params(pu_part_find(parts[p]), &ppv) == 0);
        double tr = 0.5 * (25.0 + pp->temp_limit_c);
        double leak = pp->leak_w * exp(pp->leak_coeff * (tr - 25.0));
        size_t n = pp->n_pstates;
        const size_t pick[4] = {0, n / 3, 2 * n / 3, n - 1};
        for (int q = 0; q < 4; q++) {
            size_t k = pick[q];
            for (int b = 0; b < 2; b++) {
                double v = pp->pstates[k].volt;
                double dyn = pp->c_eff_f * v * v * pp->pstates[k].freq_hz;
                double pw = dyn * (b ? 1.0 : pp->idle_activity) + leak;
                char name[16];
                double tau;
                snprintf(name, sizeof name, "u%d", dev);
                /* overloaded (util 1) or idle */
                fh_dev(dev + 1, name, kinds[p], parts[p], b ? 2.0 : 0.0);
                fh_num((tr - 25.0) / pw, "devices.%d.r_th", dev + 1);
                tau = (tr - 25.0) / pw * pp->c_th;
                tmax = tau > tmax ? tau : tmax;
                kk[dev] = k;
                busy[dev] = b;
                want_p[dev] = pw;
                tref[dev] = tr;
                dev++;
            }
        }
    }
    ndev = dev;
    T_CHECK(fh_open(&r) == WATTSON_OK);
    for (int d = 0; d < ndev; d++)
        T_CHECK(fh_write(&r, (size_t)d, "freq",
                         r.inv.pstates[d].freq_hz[kk[d]]) == WATTSON_OK);
    fh_read(&r);
    for (double t = 0; t < 15 * tmax; t += 0.1) {
        fh_advance(0.1);
        fh_read(&r);
    }
    for (int d = 0; d < ndev; d++) {
        const struct wattson_pstate_table *pt = &r.inv.pstates[d];
        double tab = busy[d] ? pt->busy_w[kk[d]] : pt->idle_w[kk[d]];
        T_NEAR(fh_sig(&r, (size_t)d, "freq"), pt->freq_hz[kk[d]], 0);
        T_NEAR(fh_sig(&r, (size_t)d, "util"), busy[d] ? 1.0 : 0.0, 0);
        T_NEAR(fh_sig(&r, (size_t)d, "temp"), tref[d], 0.05);
        T_NEAR(pt->temp_ref_c, tref[d], 1e-12);
        T_NEAR(tab, want_p[d], 1e-9 * tab);
        /* within 1 %: the die is at temp_ref_c to a few hundredths */
        T_NEAR(fh_sig(&r, (size_t)d, "power"), tab, 0.01 * tab);
    }
    fh_close(&r);
}

/* latency_p99 against hand computations. */
static void test_latency_p99(void)
{
    struct fh_run r;
    size_t i99;
    fh_reset();
    /* Half load, 10 ms ticks: each tick's batch is served from its arrival
     * over 5 ms, so latencies are uniform on [0, 5 ms]: p99 = 4.95 ms. */
    fh_dev(1, "half", "cpu", "zen3-core", 0.5);
    /* Two ticks of work at once, then none: served over [0, 20 ms], so
     * p99 = 19.8 ms. */
    fh_dev(2, "lump", "cpu", "zen3-core", 0.0);
    fh_str("step", "devices.2.workload.kind");
    fh_del("devices.2.workload.level");
    fh_num(2.0, "devices.2.workload.from");
    fh_num(0.0, "devices.2.workload.to");
    fh_num(0.01, "devices.2.workload.at_s");
    /* Nothing served: no percentile. */
    fh_dev(3, "idle", "gpu", "t4", 0.0);
    /* 0.5 load for 100 ticks (W op a tick, latencies uniform on
     * [0, 5 ms]), then 1.0 for 100 ticks (2W a tick on [0, 10 ms]): of
     * the 300W op, the top 1 % (3W) lies above x where
     * 200W (10 ms - x) / 10 ms = 3W, x = 9.85 ms. */
    fh_dev(4, "mix", "cpu", "zen3-core", 0.0);
    fh_str("step", "devices.4.workload.kind");
    fh_del("devices.4.workload.level");
    fh_num(0.5, "devices.4.workload.from");
    fh_num(1.0, "devices.4.workload.to");
    fh_num(1.0, "devices.4.workload.at_s");
    T_CHECK(fh_open(&r) == WATTSON_OK);
    i99 = fh_sig_index(&r, 0, "latency_p99");
    T_CHECK(r.inv.signals[i99].behaviour == WATTSON_GAUGE);
    T_STREQ(r.inv.signals[i99].unit, "s");
    fh_read(&r);
    T_CHECK(r.ok[i99] == 0);
    T_CHECK(isnan(r.v[i99]));
    for (int i = 0; i < 200; i++)
        step(&r);
    T_NEAR(fh_sig(&r, 0, "latency_p99"), 0.99 * 0.005, 1e-9);
    T_NEAR(fh_sig(&r, 1, "latency_p99"), 0.99 * 0.020, 1e-9);
    T_CHECK(r.ok[fh_sig_index(&r, 2, "latency_p99")] == 0);
    T_CHECK(r.ok[fh_sig_index(&r, 0, "latency_p99")] == 1);
    T_NEAR(fh_sig(&r, 3, "latency_p99"), 0.00985, 1e-9);
    fh_close(&r);
}

/* demand_next is the arrival rate the next tick then has: for every
 * workload shape, for pipeline-free devices. */
static void test_demand_next(void)
{
    struct fh_run r;
    double dn[5], arr[5];
    fh_reset();
    fh_dev(1, "c", "cpu", "zen3-core", 0.4);
    fh_dev(2, "b", "cpu", "zen3-core", 0);
    fh_str("bursty", "devices.2.workload.kind");
    fh_del("devices.2.workload.level");
    fh_num(0.2, "devices.2.workload.on_s");
    fh_num(0.3, "devices.2.workload.off_s");
    fh_dev(3, "w", "gpu", "a100-pcie", 0);
    fh_str("random_walk", "devices.3.workload.kind");
    fh_del("devices.3.workload.level");
    fh_dev(4, "s", "gpu", "t4", 0);
    fh_str("sine", "devices.4.workload.kind");
    fh_del("devices.4.workload.level");
    fh_num(1.0, "devices.4.workload.period_s");
    fh_dev(5, "t", "cpu", "zen3-core", 0);
    fh_str("trace", "devices.5.workload.kind");
    fh_del("devices.5.workload.level");
    fh_str("traces/kenj-pc-1.csv", "devices.5.workload.file");
    T_CHECK(fh_open(&r) == WATTSON_OK);
    fh_read(&r);
    T_CHECK(r.ok[fh_sig_index(&r, 0, "demand_next")] == 0);
    for (int i = 0; i < 3000; i++) {
        step(&r);
        for (size_t d = 0; d < 5; d++) {
            double a = fh_sig(&r, d, "work_arrived");
            if (i > 0)
                T_NEAR((a - arr[d]) / tick, dn[d], 1e-9 * dn[d] + 1e-6);
            T_CHECK(r.ok[fh_sig_index(&r, d, "demand_next")] == 1);
            dn[d] = fh_sig(&r, d, "demand_next");
            arr[d] = a;
        }
    }
    T_NEAR(dn[0], 0.4 * 3.7e9 * 32, 1e-3);
    fh_close(&r);
}

/* Ticks of changing length: nothing is lost or invented.  A constant
 * demand arrives exactly; a sine's arrivals integrate it; demand_next is
 * exact whenever the tick repeats. */
static void test_demand_uneven(void)
{
    static const double dts[] = {0.01, 0.01, 0.02, 0.005, 0.005, 0.03, 0.01};
    struct fh_run r;
    double t = 0, dn = 0, prev = 0, prev_dt = -1;
    const double peak = 3.7e9 * 32;
    fh_reset();
    fh_dev(1, "c", "cpu", "zen3-core", 0.4);
    fh_dev(2, "s", "cpu", "zen3-core", 0);
    fh_str("sine", "devices.2.workload.kind");
    fh_del("devices.2.workload.level");
    fh_num(0.5, "devices.2.workload.mean");
    fh_num(0.4, "devices.2.workload.amplitude");
    fh_num(0.7, "devices.2.workload.period_s");
    T_CHECK(fh_open(&r) == WATTSON_OK);
    fh_read(&r);
    for (int i = 0; i < 700; i++) {
        double dt = dts[i % 7], a;
        fh_advance(dt);
        t += dt;
        fh_read(&r);
        a = fh_sig(&r, 1, "work_arrived");
        if (dt == prev_dt)
            T_NEAR((a - prev) / dt, dn, 1e-9 * dn);
        prev = a;
        prev_dt = dt;
        dn = fh_sig(&r, 1, "demand_next");
        T_NEAR(fh_sig(&r, 0, "demand_next"), 0.4 * peak, 1e-3);
    }
    T_NEAR(fh_sig(&r, 0, "work_arrived"), 0.4 * peak * t, 1e-9 * peak * t);
    /* t = 700 ticks = 8.4 s = 12 periods: the mean 0.5, up to the pending
     * segment's flattening inside the last 30 ms */
    T_NEAR(fh_sig(&r, 1, "work_arrived") / (peak * t), 0.5, 2e-3);
    fh_close(&r);
}

int main(void)
{
    test_first_read();
    test_thermal_steady();
    test_thermal_exact();
    test_energy();
    test_throttle();
    test_power_cap();
    test_freq_control();
    test_conservation();
    test_latency();
    test_inventory();
    test_pstate_table();
    test_pstate_physics();
    test_latency_p99();
    test_demand_next();
    test_demand_uneven();
    return t_done("test_sim_physics");
}

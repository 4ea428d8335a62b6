/*
 * test_qmesh - the mesh agents (console/engines/qmesh.c) on the simulated
 * plant (drivers/mesh/): a calibrated agent ends within 2 % of the grid
 * optimum of its node and with less ripple than perturb-and-observe, an
 * fpga's within 1 % on the edge of its timing cliff; a
 * failed neighbour gets its tie closed and no module browns out; an
 * agent acts on its own readings and its neighbours' messages only; aging
 * triggers a re-sweep; a module that re-attaches starts warm from its
 * saved table, a corrupt one is refused and left alone; a policy's
 * steering (freeze, epsilon, bounds, a forced action) does what it says
 * and an applied duty not its own is what it learns from; bad
 * configurations are refused; a step allocates nothing.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allocount.h"
#include "cmd/meshlab.h"
#include "engines/qmesh.h"
#include "mesh.h"
#include "t.h"

static struct mesh m;
static struct qmesh q;
static struct qmesh_out out;
static struct qmesh_obs obs[MESH_MAX_NODES];

static void step(void)
{
    T_CHECK(mesh_step(&m) == MESH_OK);
    meshlab_observe(&m, &q, obs);
    qmesh_step(&q, obs, &out);
    for (unsigned i = 0; i < m.n; i++)
        mesh_set_duty(&m, i, out.duty[i]);
    for (unsigned k = 0; k < m.net.nl; k++)
        mesh_tie(&m, k, out.tie_close[k]);
}

/* n nodes in a line, types[i], under controller mode. */
static void build(unsigned n, const char *const *types, enum qmesh_mode mode)
{
    struct qmesh_cfg c;
    qmesh_defaults(&c);
    c.mode = mode;
    qmesh_free(&q);
    T_CHECK(mesh_init(&m, n, 0.01, 3) == MESH_OK);
    T_CHECK(qmesh_init(&q, n, &c, 9) == 0);
    for (unsigned i = 0; i < n; i++) {
        if (i + 1 < n) {
            int l = mesh_link(&m, i, i + 1, 0.01, 0);
            T_CHECK(l >= 0 &&
                    qmesh_neighbours(&q, i, i + 1, (unsigned)l, 0.01) == 0);
        }
        const struct cmod_type *t = cmod_preset(types[i]);
        T_CHECK(mesh_attach(&m, i, t, types[i], 30) == 0);
        mesh_set_duty(&m, i, conv_duty(&m.node[i].conv, t->vnom));
        T_CHECK(qmesh_attach(&q, i, types[i], t->vmin, t->vmax, t->vnom) == 0);
    }
}

/* Node i's best perf/W over a fine duty grid, noise-free, errors at most
 * 1e-9 (what bench mesh calls the optimum). */
static double optimum(unsigned i)
{
    static struct mesh s;
    s = m;
    s.noise = 0;
    const struct cmod_type *t = s.node[i].mod[0].type;
    double best = 0;
    for (double v = t->vmin; v <= t->vmax; v += 0.0005) {
        mesh_set_duty(&s, i, conv_duty(&s.node[i].conv, v));
        if (mesh_steady(&s) != MESH_OK || s.node[i].err > 1e-9 ||
            s.node[i].v < t->vmin)
            continue;
        const double e = s.node[i].perf / s.node[i].p_in;
        if (e > best)
            best = e;
    }
    return best;
}

/* Run, then return node i's perf/W and voltage spread over `win` steps. */
static double settle(unsigned steps, unsigned win, unsigned i, double *rip)
{
    for (unsigned t = 0; t < steps; t++)
        step();
    double sp = 0, sw = 0, s1 = 0, s2 = 0;
    for (unsigned t = 0; t < win; t++) {
        step();
        sp += m.node[i].perf;
        sw += m.node[i].p_in;
        s1 += m.node[i].v;
        s2 += m.node[i].v * m.node[i].v;
    }
    *rip = sqrt(fmax(0, s2 / win - (s1 / win) * (s1 / win)));
    return sp / sw;
}

static void test_converges(void)
{
    static const char *const one[] = {"cpu"};
    double rq, rpo, rfx;
    build(1, one, QMESH_Q);
    const double opt = optimum(0);
    const double eq = settle(1000, 200, 0, &rq);
    T_CHECK(q.ag[0].phase == QMESH_LEARN && q.ag[0].sweeps == 1);
    T_CHECK(eq >= 0.98 * opt && eq <= 1.005 * opt);
    build(1, one, QMESH_PO);
    const double epo = settle(1000, 200, 0, &rpo);
    T_CHECK(epo > 0.9 * opt);
    build(1, one, QMESH_FIXED);
    const double efx = settle(1000, 200, 0, &rfx);
    /* the nominal voltage is far from efficient: the test can tell */
    T_CHECK(efx < 0.95 * opt);
    T_CHECK(fabs(m.node[0].v - cmod_preset("cpu")->vnom) < 0.01);
    /* Q-learning holds still where P&O must keep stepping */
    T_CHECK(rq < rpo);
    fprintf(stderr,
            "cpu: q %.4f p&o %.4f fixed %.4f of optimum; ripple "
            "q %.2f mV p&o %.2f mV\n",
            eq / opt, epo / opt, efx / opt, rq * 1e3, rpo * 1e3);
}

/* An fpga (fixed clock): its best perf/W is on the edge of its timing
 * cliff.  The agent sweeps the gap under the coarse sweep's best again
 * in fine steps and sits on the edge - within 1 % of the optimum, its
 * error rate at most err_ok on nearly every step and within a decade of
 * it on most (one duty step up is a decade lower: the agent is not
 * sitting a step above the edge), with less ripple than perturb-and-
 * observe; a cpu, whose performance grows with voltage, is not
 * re-swept. */
static void test_cliff(void)
{
    static const char *const one[] = {"fpga"};
    struct qmesh_cfg c;
    qmesh_defaults(&c);
    build(1, one, QMESH_Q);
    const double opt = optimum(0);
    double rq, rpo;
    settle(1000, 1, 0, &rq);
    T_CHECK(q.ag[0].phase == QMESH_LEARN && q.ag[0].sweeps == 1);
    /* the fine points went into the swept curve */
    T_CHECK(q.ag[0].sw_n > c.sweep_points);
    unsigned over = 0, edge = 0;
    const unsigned win = 200;
    double sp = 0, sw = 0, s1 = 0, s2 = 0;
    for (unsigned t = 0; t < win; t++) {
        step();
        sp += m.node[0].perf;
        sw += m.node[0].p_in;
        s1 += m.node[0].v;
        s2 += m.node[0].v * m.node[0].v;
        over += m.node[0].err > c.err_ok;
        edge += m.node[0].err > c.err_ok / 10 && m.node[0].err <= c.err_ok;
    }
    rq = sqrt(fmax(0, s2 / win - (s1 / win) * (s1 / win)));
    const double eq = sp / sw;
    T_CHECK(eq >= 0.99 * opt && eq <= 1.005 * opt);
    T_CHECK(over <= win / 10);
    T_CHECK(edge >= win * 8 / 10);
    build(1, one, QMESH_PO);
    const double epo = settle(1000, 200, 0, &rpo);
    T_CHECK(rq < rpo);
    fprintf(stderr,
            "fpga: q %.4f p&o %.4f of optimum; ripple q %.2f mV p&o %.2f "
            "mV; q over err_ok %u/%u steps, on the edge %u/%u\n",
            eq / opt, epo / opt, rq * 1e3, rpo * 1e3, over, win, edge, win);
    static const char *const cpu[] = {"cpu"};
    build(1, cpu, QMESH_Q);
    settle(100, 1, 0, &rq);
    T_CHECK(q.ag[0].phase == QMESH_LEARN && q.ag[0].sw_n == c.sweep_points);
}

static void test_failover(void)
{
    static const char *const line[] = {"gpu", "cpu", "gpu"};
    build(3, line, QMESH_Q);
    double r, before = 0;
    settle(400, 10, 0, &r);
    for (int t = 0; t < 10; t++) {
        step();
        before += m.node[1].perf / 10;
    }
    unsigned bo = 0;
    mesh_fail(&m, 1, 1);
    step(); /* the failure: the hold-up circuit carries the cpu; the
               neighbours see its bus sag at their ties */
    bo += m.brownout;
    T_CHECK(m.node[1].holding);
    T_CHECK(m.node[1].perf < 0.9 * before);
    T_CHECK(out.tie_close[0] && out.tie_close[1]);
    step(); /* ties closed, neighbours raised: its work is back */
    bo += m.brownout;
    T_CHECK(!m.node[1].holding); /* the mesh feeds it, not the stack */
    T_CHECK(m.node[1].perf >= 0.99 * before);
    for (int t = 0; t < 50; t++) {
        step();
        bo += m.brownout;
    }
    T_CHECK(bo == 0);
    T_CHECK(m.node[1].v >= cmod_preset("cpu")->vmin);
    T_CHECK(m.node[1].perf >= 0.99 * before);
    mesh_fail(&m, 1, 0);
    for (int t = 0; t < 5; t++)
        step();
    T_CHECK(!out.tie_close[0] && !out.tie_close[1]);
}

/* Agent 0 of a line of 4: what node 3 reports cannot change what agent 0
 * does (not a neighbour), what node 0 reports does. */
static void test_locality(void)
{
    static const char *const four[] = {"cpu", "gpu", "gpu", "fpga"};
    static double d_a[300], d_b[300], d_c[300];
    for (int run = 0; run < 3; run++) {
        build(4, four, QMESH_Q);
        double *d = run == 0 ? d_a : run == 1 ? d_b : d_c;
        for (int t = 0; t < 300; t++) {
            T_CHECK(mesh_step(&m) == MESH_OK);
            meshlab_observe(&m, &q, obs);
            if (run == 1)
                obs[3].v += 0.05; /* far node misreports */
            if (run == 2)
                obs[0].v += 0.03; /* own node misreports */
            qmesh_step(&q, obs, &out);
            /* all runs drive the plant the same way: only the agents'
             * decisions are compared */
            d[t] = out.duty[0];
            for (unsigned i = 0; i < 4; i++)
                mesh_set_duty(&m, i, i == 0 ? d_a[t] : out.duty[i]);
        }
    }
    T_CHECK(memcmp(d_a, d_b, sizeof d_a) == 0);
    T_CHECK(memcmp(d_a, d_c, sizeof d_a) != 0);
}

static void test_resweep(void)
{
    static const char *const one[] = {"fpga"};
    build(1, one, QMESH_Q);
    double r;
    settle(300, 10, 0, &r);
    T_CHECK(q.ag[0].sweeps == 1);
    /* aging: the timing cliff moves up ~25 mV under the agent */
    T_CHECK(mesh_drift(&m, 0, 0, 0.02, 30) == MESH_OK);
    settle(400, 10, 0, &r);
    T_CHECK(q.ag[0].sweeps >= 2);
    T_CHECK(m.node[0].err <= 1e-6);
}

static int slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    const size_t got = fread(buf, 1, n - 1, f);
    buf[got] = 0;
    fclose(f);
    return (int)got;
}

static void test_persist(void)
{
    static const char *const one[] = {"cpu"};
    char dir[] = "/tmp/test_qmesh.XXXXXX", path[256];
    static char before[1 << 20], after[1 << 20];
    T_CHECK(mkdtemp(dir) != NULL);
    build(1, one, QMESH_Q);
    T_CHECK(qmesh_set_state_dir(&q, dir) == 0);
    double r;
    const double opt = optimum(0);
    settle(400, 10, 0, &r);
    T_CHECK(q.ag[0].sweeps == 1 && q.loads == 0);
    /* the module leaves: its table is saved */
    T_CHECK(qmesh_attach(&q, 0, NULL, 0, 0, 0) == 0);
    T_CHECK(q.saves == 1 && q.msg[0] == 0);
    snprintf(path, sizeof path, "%s/cpu.qtab", dir);
    T_CHECK(access(path, F_OK) == 0);
    /* it comes back to a fresh agent set: no sweep, near its best at once */
    const struct cmod_type *t = cmod_preset("cpu");
    build(1, one, QMESH_Q);
    T_CHECK(qmesh_set_state_dir(&q, dir) == 0);
    T_CHECK(qmesh_attach(&q, 0, "cpu", t->vmin, t->vmax, t->vnom) == 0);
    T_CHECK(q.loads == 1 && q.ag[0].phase == QMESH_LEARN);
    const double e = settle(10, 50, 0, &r);
    T_CHECK(q.ag[0].sweeps == 0); /* never swept */
    T_CHECK(e >= 0.98 * opt);
    /* a corrupt table: refused with the file named, a sweep instead, the
     * file left as it was until the next good save */
    T_CHECK(qmesh_attach(&q, 0, NULL, 0, 0, 0) == 0);
    const int len = slurp(path, before, sizeof before);
    T_CHECK(len > 100);
    before[len / 2] = before[len / 2] == '1' ? '2' : '1';
    FILE *f = fopen(path, "wb");
    T_CHECK(f && fwrite(before, 1, (size_t)len, f) == (size_t)len);
    if (f)
        fclose(f);
    build(1, one, QMESH_Q);
    T_CHECK(qmesh_set_state_dir(&q, dir) == 0);
    T_CHECK(qmesh_attach(&q, 0, "cpu", t->vmin, t->vmax, t->vnom) == 0);
    T_CHECK(q.loads == 0 && q.ag[0].phase == QMESH_SWEEP);
    T_CHECK(strstr(q.msg, "cpu.qtab") != NULL);
    settle(100, 10, 0, &r);
    T_CHECK(q.ag[0].sweeps == 1);
    T_CHECK(slurp(path, after, sizeof after) == len &&
            memcmp(before, after, (size_t)len) == 0);
    /* a good save replaces it */
    T_CHECK(qmesh_save(&q, 0) == 0);
    T_CHECK(slurp(path, after, sizeof after) > 100 &&
            memcmp(before, after, (size_t)len) != 0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    T_CHECK(system(cmd) == 0);
}

static void test_bad_cfg(void)
{
    struct qmesh_cfg c;
    const char *f = NULL;
    qmesh_defaults(&c);
    T_CHECK(qmesh_check(&c, &f) == 0);
    c.alpha = 0;
    T_CHECK(qmesh_check(&c, &f) == -1 && strcmp(f, "alpha") == 0);
    qmesh_defaults(&c);
    c.gamma = 1;
    T_CHECK(qmesh_check(&c, &f) == -1 && strcmp(f, "gamma") == 0);
    qmesh_defaults(&c);
    c.eps_floor = 0.5;
    T_CHECK(qmesh_check(&c, &f) == -1 && strcmp(f, "epsilon_floor") == 0);
    qmesh_defaults(&c);
    c.dstep = NAN;
    T_CHECK(qmesh_check(&c, &f) == -1 && strcmp(f, "duty_step") == 0);
    qmesh_defaults(&c);
    c.latency = QMESH_MAX_LAT + 1;
    T_CHECK(qmesh_check(&c, &f) == -1 && strcmp(f, "latency") == 0);
    qmesh_defaults(&c);
    struct qmesh z;
    T_CHECK(qmesh_init(&z, 0, &c, 1) == -1);
    T_CHECK(qmesh_init(&z, 2, &c, 1) == 0);
    T_CHECK(qmesh_neighbours(&z, 0, 0, 0, 0.01) == -1);
    T_CHECK(qmesh_neighbours(&z, 0, 2, 0, 0.01) == -1);
    T_CHECK(qmesh_neighbours(&z, 0, 1, 0, -1) == -1);
    T_CHECK(qmesh_attach(&z, 5, "x", 0.6, 1.0, 0.8) == -1);
    T_CHECK(qmesh_attach(&z, 0, "x", 1.0, 0.6, 0.8) == -1);
    T_CHECK(qmesh_attach(&z, 0, "x", 0.6, 1.0, 1.2) == -1);
    qmesh_free(&z);
}

static void test_noalloc(void)
{
    static const char *const line[] = {"gpu", "fpga", "cpu"};
    build(3, line, QMESH_Q);
    for (int t = 0; t < 100; t++)
        step();
    unsigned long allocs = 1;
    allocount_start();
    for (int t = 0; t < 200; t++) {
        meshlab_observe(&m, &q, obs);
        qmesh_step(&q, obs, &out);
    }
    allocount_stop(&allocs, NULL);
    T_CHECK(allocs == 0);
}

/* One agent step by hand: the plant steps, the agent chooses; returns
 * its state and action. */
static void choose(unsigned *s, unsigned *a)
{
    T_CHECK(mesh_step(&m) == MESH_OK);
    meshlab_observe(&m, &q, obs);
    qmesh_step(&q, obs, &out);
    *s = q.ag[0].s;
    *a = q.ag[0].a;
}

/* What a policy may ask (out.mesh): values out of range are refused;
 * frozen, the table does not move and the agent does not explore; bounds
 * move the bus inside them; a forced action is the one learned from, and
 * so is a duty someone else applied. */
static void test_steer(void)
{
    static const char *const one[] = {"cpu"};
    build(1, one, QMESH_Q);
    double r;
    settle(600, 1, 0, &r);
    struct qmesh_agent *a = &q.ag[0];
    T_CHECK(a->phase == QMESH_LEARN);
    char why[128];
    const struct qmesh_steer none = {NAN, 0, NAN, NAN};
    struct qmesh_steer s = none;
    s.eps = 1.5;
    T_CHECK(qmesh_steer_check(&q, 0, &s, why, sizeof why) == -1 &&
            strstr(why, "epsilon"));
    s = none;
    s.vlo = a->vmin; /* under vmin + margin */
    T_CHECK(qmesh_steer(&q, 0, &s) == -1 && a->pol_vlo != a->pol_vlo);
    s = none;
    s.vlo = 0.9;
    s.vhi = 0.85;
    T_CHECK(qmesh_steer_check(&q, 0, &s, why, sizeof why) == -1 &&
            strstr(why, "not under"));
    s = none;
    s.eps = 0.3;
    T_CHECK(qmesh_steer_check(&q, 1, &s, why, sizeof why) == -1);

    /* frozen: no update, no exploring, epsilon kept */
    static double before[QMESH_NSTATES * QMESH_NACT];
    s = none;
    s.freeze = 1;
    T_CHECK(qmesh_steer(&q, 0, &s) == 0);
    memcpy(before, a->q, sizeof before);
    const double eps = a->eps;
    settle(200, 1, 0, &r);
    T_CHECK(memcmp(before, a->q, sizeof before) == 0 && a->eps == eps);
    T_CHECK(qmesh_steer(&q, 0, &none) == 0 && !a->frozen);
    settle(200, 1, 0, &r);
    T_CHECK(memcmp(before, a->q, sizeof before) != 0);

    /* bounds: a floor 50 mV over where it settled lifts the bus */
    const double v0 = m.node[0].v;
    s = none;
    s.vlo = v0 + 0.05;
    T_CHECK(qmesh_steer(&q, 0, &s) == 0 && a->vlo == s.vlo);
    settle(100, 1, 0, &r);
    double vmin_seen = INFINITY;
    for (int t = 0; t < 100; t++) {
        step();
        vmin_seen = fmin(vmin_seen, m.node[0].v);
    }
    T_CHECK(vmin_seen > s.vlo - 0.004);
    /* a ceiling under it brings it down */
    s = none;
    s.vhi = v0 - 0.03;
    T_CHECK(qmesh_steer(&q, 0, &s) == 0);
    settle(100, 1, 0, &r);
    T_CHECK(m.node[0].v < s.vhi + 0.004);
    T_CHECK(qmesh_steer(&q, 0, &none) == 0);
    T_CHECK(a->vlo == a->vmin + q.cfg.margin && a->vhi == a->vmax);
    settle(300, 1, 0, &r);

    /* a forced action: its duty, and the visit counted is that one's */
    unsigned st, ac;
    do
        choose(&st, &ac);
    while (ac == 4 || !a->have_prev);
    double d;
    T_CHECK(qmesh_force(&q, 0, 3, &d) == -1); /* not an action */
    T_CHECK(qmesh_force(&q, 0, 2, &d) == 0);
    T_CHECK(fabs(d - (out.duty[0] + (4.0 - ac) * q.cfg.dstep)) < 1e-12);
    T_CHECK(a->a == 4);
    const uint32_t forced = a->visits[st * QMESH_NACT + 4];
    mesh_set_duty(&m, 0, d);
    unsigned st2, ac2;
    choose(&st2, &ac2);
    T_CHECK(a->visits[st * QMESH_NACT + 4] == forced + 1);

    /* a duty applied by someone else, one step over the agent's: learned
     * as the action one up */
    while (ac2 == 4 || !a->have_prev)
        choose(&st2, &ac2);
    const uint32_t up = a->visits[st2 * QMESH_NACT + ac2 + 1],
                   own = a->visits[st2 * QMESH_NACT + ac2];
    mesh_set_duty(&m, 0, out.duty[0] + q.cfg.dstep);
    choose(&st, &ac);
    T_CHECK(a->visits[st2 * QMESH_NACT + ac2 + 1] == up + 1);
    T_CHECK(a->visits[st2 * QMESH_NACT + ac2] == own);
}

int main(void)
{
    allocount_install();
    test_bad_cfg();
    test_converges();
    test_cliff();
    test_failover();
    test_locality();
    test_resweep();
    test_persist();
    test_steer();
    test_noalloc();
    qmesh_free(&q);
    return t_done("test_qmesh");
}

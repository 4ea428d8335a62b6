/*
 * test_plant - the mesh plant's parts (drivers/mesh/): the converter's
 * loss model has a datasheet's shape (conv.h), the compute modules
 * behave as cmod.h says, and the plant keeps Kirchhoff's and energy's
 * books, holds a failed node's modules up, limits current, sheds load
 * instead of failing when the bus collapses, refuses bad input, and
 * allocates nothing per step.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "allocount.h"
#include "mesh.h"
#include "t.h"

static double eff(const struct conv_part *p, double v, double i)
{
    return v * i / (v * i + conv_loss(p, v, i));
}

static void test_conv_shape(void)
{
    const struct conv_part *p = conv_node_part();
    const char *field = NULL;
    T_CHECK(conv_check(p, &field) == 0);
    /* the peak at 12 V -> 1 V: 88-94 %, between 30 and 70 % of rated */
    double best = 0, ibest = 0;
    for (double i = 0.05; i <= p->i_max; i += 0.05)
        if (eff(p, 1.0, i) > best) {
            best = eff(p, 1.0, i);
            ibest = i;
        }
    T_CHECK(best > 0.88 && best < 0.94);
    T_CHECK(ibest > 0.3 * p->i_max && ibest < 0.7 * p->i_max);
    /* light load falls off */
    T_CHECK(eff(p, 1.0, 1.0) < 0.80);
    T_CHECK(eff(p, 1.0, 0.2) < eff(p, 1.0, 1.0));
    /* a larger step-down ratio costs efficiency at the same current */
    T_CHECK(eff(p, 0.6, 10) < eff(p, 1.0, 10));
    /* and a larger step-up ratio at the same power */
    T_CHECK(conv_loss(p, 36, 120.0 / 36) > conv_loss(p, 18, 120.0 / 18));
    /* either direction loses the same */
    T_NEAR(conv_loss(p, 1.0, -8), conv_loss(p, 1.0, 8), 1e-12);
    /* duty and set point */
    T_NEAR(conv_vset(p, conv_duty(p, 0.85)), 0.85, 1e-12);
    T_NEAR(conv_vset(p, 0.5), p->vin, 1e-12); /* M = D / (1 - D) */
    T_CHECK(conv_vset(p, NAN) == conv_vset(p, p->d_min));
    T_CHECK(conv_vset(p, 0.99) == conv_vset(p, p->d_max));
    struct conv_part bad = *p;
    bad.rdroop = -1;
    T_CHECK(conv_check(&bad, &field) == -1 && strcmp(field, "rdroop") == 0);
    bad = *p;
    bad.d_max = 1.2;
    T_CHECK(conv_check(&bad, &field) == -1 && strcmp(field, "duty") == 0);
}

/* The best performance per watt of module type t on the shipped
 * converter, with an error rate at most 1e-9: its voltage. */
static double cmod_best_v(const struct cmod_type *t)
{
    struct cmod m;
    cmod_init(&m, t, 30);
    double best = 0, bv = 0;
    for (double v = t->vmin; v <= t->vmax; v += 0.001) {
        struct cmod_point pt = cmod_eval(&m, v);
        const double e =
            pt.perf / (pt.p + conv_loss(conv_node_part(), v, pt.i));
        if (pt.err <= 1e-9 && e > best) {
            best = e;
            bv = v;
        }
    }
    return bv;
}

static void test_cmod(void)
{
    const char *field = NULL;
    unsigned n = 0;
    for (; cmod_preset_at(n); n++)
        T_CHECK(cmod_check(cmod_preset_at(n), &field) == 0);
    T_CHECK(n == 3);
    const struct cmod_type *cpu = cmod_preset("cpu"), *gpu = cmod_preset("gpu"),
                           *fpga = cmod_preset("fpga");
    T_CHECK(cpu && gpu && fpga && !cmod_preset("tpu"));
    struct cmod m;
    cmod_init(&m, cpu, 30);
    struct cmod_point lo = cmod_eval(&m, 0.7), hi = cmod_eval(&m, 1.0);
    T_CHECK(hi.f > lo.f && hi.perf > lo.perf && hi.p > lo.p);
    T_NEAR(hi.i, hi.p / 1.0, 1e-12);
    T_CHECK(hi.err <= 1e-12 * 1.0001);
    /* the error rate: 1 at v_fail, a decade per err_dec above */
    struct cmod_point at = cmod_eval(&m, cpu->v_fail);
    T_NEAR(at.err, 1.0, 1e-12);
    struct cmod_point up = cmod_eval(&m, cpu->v_fail + 3 * cpu->err_dec);
    T_NEAR(log10(up.err), -3, 1e-9);
    /* under the lockout: off */
    struct cmod_point off = cmod_eval(&m, cpu->vmin - 0.2);
    T_CHECK(off.p == 0 && off.perf == 0 && off.err == 1);
    /* a fixed clock: the same work at any voltage above its cliff */
    cmod_init(&m, fpga, 30);
    struct cmod_point f1 = cmod_eval(&m, 0.80), f2 = cmod_eval(&m, 0.88);
    T_NEAR(f1.f, f2.f, 0);
    T_NEAR(f1.perf, f2.perf, f1.perf * 1e-9);
    T_CHECK(f2.p > f1.p);
    /* aging raises the cliff */
    cmod_init(&m, fpga, 30);
    const double e0 = cmod_eval(&m, 0.74).err;
    m.dvth = 0.02;
    T_CHECK(cmod_eval(&m, 0.74).err > 100 * e0);
    /* leakage runaway stops at the junction limit */
    cmod_init(&m, gpu, 80);
    struct cmod_point hot = cmod_eval(&m, 1.3);
    T_CHECK(isfinite(hot.p) && m.t <= 125);
    /* the types' best voltages differ: cpu > fpga > gpu here */
    const double vc = cmod_best_v(cpu), vg = cmod_best_v(gpu),
                 vf = cmod_best_v(fpga);
    T_CHECK(vc > vf + 0.02 && vf > vg + 0.05);
    T_CHECK(vc < cpu->vnom - 0.1); /* nominal is not efficient */
    struct cmod_type bad = *cpu;
    bad.vth = 0.9;
    T_CHECK(cmod_check(&bad, &field) == -1 && strcmp(field, "vth") == 0);
}

/* A line 0 - 1 - 2 of 10 mOhm ties, cpu / fpga / gpu, at the duties for
 * their nominal voltages. */
static void line3(struct mesh *m, int closed)
{
    T_CHECK(mesh_init(m, 3, 0.01, 5) == MESH_OK);
    T_CHECK(mesh_link(m, 0, 1, 0.01, closed) == 0);
    T_CHECK(mesh_link(m, 1, 2, 0.01, closed) == 1);
    const char *ty[3] = {"cpu", "fpga", "gpu"};
    for (unsigned i = 0; i < 3; i++) {
        const struct cmod_type *t = cmod_preset(ty[i]);
        T_CHECK(mesh_attach(m, i, t, ty[i], 30) == 0);
        T_CHECK(mesh_set_duty(m, i, conv_duty(&m->node[i].conv, t->vnom)) ==
                MESH_OK);
    }
}

static void test_books(void)
{
    static struct mesh m;
    line3(&m, 1);
    m.noise = 0;
    T_CHECK(mesh_step(&m) == MESH_OK);
    double pin = 0, pmod = 0, iconv = 0, imod = 0;
    for (unsigned i = 0; i < 3; i++) {
        const struct mesh_node *nd = &m.node[i];
        pin += nd->p_in;
        pmod += nd->p_mod;
        iconv += nd->i_conv;
        imod += nd->i_mod;
        /* the sensors, noise off: the truth on the ADC's grid */
        T_CHECK(nd->rd.valid);
        T_NEAR(nd->rd.v, nd->v, 0.5 / 4096 + 1e-12);
        T_NEAR(fmod(nd->rd.v * 4096, 1.0), 0, 1e-6);
    }
    /* Kirchhoff: the converters carry what the modules draw */
    T_NEAR(iconv, imod, 1e-6);
    /* energy: input = modules + converter losses + link losses */
    T_NEAR(pin, pmod + m.p_loss_conv + m.p_loss_link, 1e-6);
    T_NEAR(m.p_in, pin, 1e-9);
    T_CHECK(m.p_loss_link > 0); /* different set points: current flows */
    /* ties open: each node feeds only its own */
    line3(&m, 0);
    m.noise = 0;
    T_CHECK(mesh_step(&m) == MESH_OK);
    for (unsigned i = 0; i < 3; i++)
        T_NEAR(m.node[i].i_conv, m.node[i].i_mod, 1e-6);
    T_NEAR(m.p_loss_link, 0, 0);
}

static void test_failover(void)
{
    static struct mesh m;
    line3(&m, 0);
    for (int t = 0; t < 5; t++)
        T_CHECK(mesh_step(&m) == MESH_OK);
    const struct cmod_type *fpga = cmod_preset("fpga");
    /* the middle node's converter fails, ties still open: the hold-up
     * circuit carries its module, above its vmin */
    T_CHECK(mesh_fail(&m, 1, 1) == MESH_OK);
    T_CHECK(mesh_step(&m) == MESH_OK);
    T_CHECK(m.node[1].holding);
    T_CHECK(m.node[1].i_hold > 0);
    T_CHECK(m.node[1].v >= fpga->vmin);
    T_CHECK(m.brownout == 0);
    T_CHECK(!m.node[1].rd.valid && isnan(m.node[1].rd.v));
    /* the tie switches still sense the failed bus */
    T_NEAR(m.tie_v[0][1], m.node[1].v, 0.01);
    const double soc =
        0.5 * m.node[1].hold.c * m.node[1].hold.vc * m.node[1].hold.vc;
    T_CHECK(mesh_step(&m) == MESH_OK);
    T_CHECK(0.5 * m.node[1].hold.c * m.node[1].hold.vc * m.node[1].hold.vc <
            soc); /* it is spending the stack */
    /* the neighbours close their ties and feed it */
    T_CHECK(mesh_tie(&m, 0, 1) == MESH_OK && mesh_tie(&m, 1, 1) == MESH_OK);
    T_CHECK(mesh_step(&m) == MESH_OK);
    T_CHECK(!m.node[1].holding);
    T_CHECK(m.node[1].v > fpga->vmin + 0.05);
    T_NEAR(m.node[0].i_conv + m.node[2].i_conv,
           m.node[0].i_mod + m.node[1].i_mod + m.node[2].i_mod, 1e-6);
    /* recovery */
    T_CHECK(mesh_fail(&m, 1, 0) == MESH_OK);
    T_CHECK(mesh_step(&m) == MESH_OK);
    T_CHECK(m.node[1].rd.valid && m.node[1].i_conv != 0);
}

static void test_limits(void)
{
    static struct mesh m;
    T_CHECK(mesh_init(&m, 1, 0.01, 1) == MESH_OK);
    const struct cmod_type *cpu = cmod_preset("cpu");
    T_CHECK(mesh_attach(&m, 0, cpu, "c", 30) == 0);
    /* at 1.25 V the cpu module wants ~27 A of a converter rated 25 */
    m.node[0].conv.i_max = 25;
    mesh_set_duty(&m, 0, conv_duty(&m.node[0].conv, 1.25));
    T_CHECK(mesh_step(&m) == MESH_OK);
    T_CHECK(m.node[0].limited == 1);
    T_NEAR(m.node[0].i_conv, m.node[0].conv.i_max, 1e-4);
    T_CHECK(m.node[0].v < 1.25 - 25 * m.node[0].conv.rdroop);
    /* overload: three failed nodes with empty stacks on one working
     * one over long thin links, all ties closed: an answer (shedding
     * load if it must), with the brown-outs counted */
    static struct mesh s;
    T_CHECK(mesh_init(&s, 4, 0.01, 1) == MESH_OK);
    for (unsigned i = 1; i < 4; i++) {
        T_CHECK(mesh_link(&s, 0, i, 0.5, 1) >= 0);
        T_CHECK(mesh_attach(&s, i, cpu, "c", 30) == 0);
        s.node[i].hold.vc = s.node[i].hold.vlo; /* empty stacks */
        mesh_fail(&s, i, 1);
    }
    T_CHECK(mesh_attach(&s, 0, cpu, "c", 30) == 0);
    mesh_set_duty(&s, 0, conv_duty(&s.node[0].conv, 0.7));
    int rc = mesh_step(&s);
    T_CHECK(rc == MESH_OK);
    for (unsigned i = 0; i < 4; i++)
        T_CHECK(isfinite(s.node[i].v) && isfinite(s.node[i].p_in));
    T_CHECK(s.brownout > 0 && s.vmargin < 0);
}

static void test_bad_input(void)
{
    static struct mesh m;
    T_CHECK(mesh_init(&m, 0, 0.01, 1) == MESH_EPARAM);
    T_CHECK(mesh_init(&m, 65, 0.01, 1) == MESH_EPARAM);
    T_CHECK(mesh_init(&m, 4, NAN, 1) == MESH_EPARAM);
    T_CHECK(mesh_init(&m, 4, 0.01, 1) == MESH_OK);
    T_CHECK(mesh_link(&m, 0, 4, 0.01, 0) == MESH_EPARAM);
    T_CHECK(mesh_link(&m, 1, 1, 0.01, 0) == MESH_EPARAM);
    T_CHECK(mesh_link(&m, 0, 1, -1, 0) == MESH_EPARAM);
    T_CHECK(mesh_link(&m, 0, 1, 0.01, 0) == 0);
    T_CHECK(mesh_link(&m, 2, 3, 0.01, 0) == 1);
    T_CHECK(mesh_link(&m, 1, 2, 0.01, 0) == 2);
    T_CHECK(m.net.nl == 3 && !m.net.link[2].up); /* a tie, open */
    const double d = m.node[0].duty;
    T_CHECK(mesh_set_duty(&m, 0, NAN) == MESH_EPARAM);
    T_CHECK(m.node[0].duty == d); /* NaN never reaches the converter */
    T_CHECK(mesh_set_duty(&m, 0, 5.0) == MESH_OK);
    T_CHECK(m.node[0].duty == m.node[0].conv.d_max);
    T_CHECK(mesh_set_duty(&m, 9, 0.1) == MESH_EPARAM);
    const struct cmod_type *cpu = cmod_preset("cpu");
    T_CHECK(mesh_attach(&m, 7, cpu, "x", 30) == MESH_EPARAM);
    struct cmod_type bad = *cpu;
    bad.vmax = bad.vmin;
    T_CHECK(mesh_attach(&m, 0, &bad, "x", 30) == MESH_EPARAM);
    T_CHECK(mesh_attach(&m, 0, cpu, "a", 30) == 0);
    T_CHECK(mesh_attach(&m, 0, cpu, "b", 30) == 1);
    T_CHECK(mesh_attach(&m, 0, cpu, "c", 30) == MESH_EFULL);
    T_CHECK(mesh_detach(&m, 0, 0) == MESH_OK);
    T_CHECK(m.node[0].nmod == 1 && strcmp(m.node[0].id[0], "b") == 0);
    T_CHECK(mesh_detach(&m, 0, 3) == MESH_EPARAM);
    T_CHECK(mesh_drift(&m, 0, 0, NAN, 30) == MESH_EPARAM);
    T_CHECK(mesh_drift(&m, 0, 0, 0.01, 200) == MESH_EPARAM);
    T_CHECK(mesh_drift(&m, 0, 0, 0.01, 40) == MESH_OK);
    T_CHECK(mesh_tie(&m, 3, 1) == MESH_EPARAM);
    T_CHECK(mesh_fail(&m, 4, 1) == MESH_EPARAM);
}

static void test_noalloc(void)
{
    static struct mesh m;
    line3(&m, 1);
    T_CHECK(mesh_step(&m) == MESH_OK);
    unsigned long allocs = 1;
    allocount_start();
    for (int t = 0; t < 50; t++) {
        if (t == 20)
            mesh_fail(&m, 1, 1);
        mesh_step(&m);
    }
    allocount_stop(&allocs, NULL);
    T_CHECK(allocs == 0);
}

int main(void)
{
    allocount_install();
    test_conv_shape();
    test_cmod();
    test_books();
    test_failover();
    test_limits();
    test_bad_input();
    test_noalloc();
    return t_done("test_plant");
}

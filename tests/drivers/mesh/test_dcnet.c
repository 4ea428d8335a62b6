/*
 * test_dcnet - the mesh's DC power flow (drivers/mesh/dcnet.c) against
 * closed forms: a resistive divider, a constant-power load on one droop
 * source (the quadratic's high root, and collapse past the maximum power
 * transfer), current sharing of two droop sources over unequal links; a
 * failed converter fed over a ring's other path; an island no converter
 * feeds; Kirchhoff's current law at every node of a random grid; bad
 * parameters; warm starts; and no allocation in a solve.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "allocount.h"
#include "dcnet.h"
#include "t.h"

static uint64_t rng = 0x243F6A8885A308D3ull;

static double urand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return ((rng * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}

/* A 12 V source with 0.1 ohm droop, a 0.05 ohm link, a 1 ohm load:
 * V2 = 12 x 1 / 1.15, V1 = V2 + I x 0.05. */
static void test_divider(void)
{
    struct dcnet d;
    T_CHECK(dcnet_init(&d, 2) == 0);
    T_CHECK(dcnet_add_link(&d, 0, 1, 0.05) == 0);
    T_CHECK(dcnet_set_conv(&d, 0, 1, 12, 0.1) == 0);
    T_CHECK(dcnet_set_load(&d, 1, 1.0, 0, 0) == 0);
    T_CHECK(dcnet_solve(&d) == DCNET_OK);
    const double i = 12 / 1.15;
    T_NEAR(d.v[1], i * 1.0, 1e-9);
    T_NEAR(d.v[0], i * 1.05, 1e-9);
    T_NEAR(d.i_conv[0], i, 1e-9);
    T_NEAR(d.i_link[0], i, 1e-9);
    T_NEAR(d.i_load[1], i, 1e-9);
    T_CHECK(d.fed[0] && d.fed[1]);
}

/* One droop source feeding a constant-power load at its own node:
 * (vset - V) / r = p / V, so V = (vset + sqrt(vset^2 - 4 r p)) / 2 (the
 * stable, high root).  Past p = vset^2 / (4 r) there is no operating
 * point: collapse. */
static void test_constant_power(void)
{
    const double vset = 12, r = 0.2;
    const double ps[] = {0, 10, 100, 170, 179.9};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        struct dcnet d;
        T_CHECK(dcnet_init(&d, 1) == 0);
        T_CHECK(dcnet_set_conv(&d, 0, 1, vset, r) == 0);
        T_CHECK(dcnet_set_load(&d, 0, 0, 0, ps[k]) == 0);
        T_CHECK(dcnet_solve(&d) == DCNET_OK);
        const double want = (vset + sqrt(vset * vset - 4 * r * ps[k])) / 2;
        T_NEAR(d.v[0], want, 1e-8 * want);
        T_NEAR(d.i_load[0] * d.v[0], ps[k], 1e-6 * (1 + ps[k]));
    }
    struct dcnet d;
    T_CHECK(dcnet_init(&d, 1) == 0);
    T_CHECK(dcnet_set_conv(&d, 0, 1, vset, r) == 0);
    T_CHECK(dcnet_set_load(&d, 0, 0, 0, vset * vset / (4 * r) * 1.02) == 0);
    T_CHECK(dcnet_solve(&d) == DCNET_ECOLLAPSE);
}

/* Two 12 V sources with equal droop 0.1 ohm at nodes 0 and 2, a load of
 * 0.5 ohm at node 1, links 0-1 of 0.05 and 2-1 of 0.15 ohm: each source
 * is a Thevenin pair (12 V, 0.15 or 0.25 ohm) at node 1, so
 * V1 = (12/0.15 + 12/0.25) / (1/0.15 + 1/0.25 + 1/0.5) and the shares
 * are (12 - V1) / 0.15 and (12 - V1) / 0.25: 5 to 3. */
static void test_sharing(void)
{
    struct dcnet d;
    T_CHECK(dcnet_init(&d, 3) == 0);
    T_CHECK(dcnet_add_link(&d, 0, 1, 0.05) == 0);
    T_CHECK(dcnet_add_link(&d, 2, 1, 0.15) == 1);
    T_CHECK(dcnet_set_conv(&d, 0, 1, 12, 0.1) == 0);
    T_CHECK(dcnet_set_conv(&d, 2, 1, 12, 0.1) == 0);
    T_CHECK(dcnet_set_load(&d, 1, 2.0, 0, 0) == 0);
    T_CHECK(dcnet_solve(&d) == DCNET_OK);
    const double v1 = (12 / 0.15 + 12 / 0.25) / (1 / 0.15 + 1 / 0.25 + 1 / 0.5);
    T_NEAR(d.v[1], v1, 1e-9);
    T_NEAR(d.i_conv[0], (12 - v1) / 0.15, 1e-9);
    T_NEAR(d.i_conv[2], (12 - v1) / 0.25, 1e-9);
    T_NEAR(d.i_conv[0] / d.i_conv[2], 5.0 / 3.0, 1e-9);
}

/* A ring of four nodes, each with a converter and a 60 W module.  Node
 * 2's converter fails: its module is still fed, over both neighbours'
 * links, at a lower voltage; with the links on one side cut as well it
 * is still fed over the other; with both its links cut it is an island:
 * voltage 0, nothing served, the others unaffected. */
static void test_ring_failover(void)
{
    struct dcnet d;
    T_CHECK(dcnet_init(&d, 4) == 0);
    for (unsigned i = 0; i < 4; i++) {
        T_CHECK(dcnet_add_link(&d, i, (i + 1) % 4, 0.02) == (int)i);
        T_CHECK(dcnet_set_conv(&d, i, 1, 12, 0.05) == 0);
        T_CHECK(dcnet_set_load(&d, i, 0, 0, 60) == 0);
    }
    T_CHECK(dcnet_solve(&d) == DCNET_OK);
    const double v_all = d.v[2];
    /* Symmetric: every node the single-source root, nothing on links. */
    T_NEAR(v_all, (12 + sqrt(144 - 4 * 0.05 * 60)) / 2, 1e-8);
    T_NEAR(d.i_link[0], 0, 1e-9);

    T_CHECK(dcnet_set_conv(&d, 2, 0, 12, 0.05) == 0);
    T_CHECK(dcnet_solve(&d) == DCNET_OK);
    T_CHECK(d.fed[2]);
    T_CHECK(d.v[2] > 10 && d.v[2] < v_all);
    T_NEAR(d.i_conv[2], 0, 0);
    /* Its module's power arrives over links 1 (1 -> 2) and 2 (2 -> 3). */
    T_NEAR((d.i_link[1] - d.i_link[2]) * d.v[2], 60, 1e-6);
    /* Symmetric again, about node 2: equal shares from each side. */
    T_NEAR(d.i_link[1], -d.i_link[2], 1e-9);

    d.link[1].up = 0;
    T_CHECK(dcnet_solve(&d) == DCNET_OK);
    T_CHECK(d.fed[2]);
    T_NEAR(-d.i_link[2] * d.v[2], 60, 1e-6);
    T_NEAR(d.i_link[1], 0, 0);

    d.link[2].up = 0;
    T_CHECK(dcnet_solve(&d) == DCNET_OK);
    T_CHECK(!d.fed[2]);
    T_NEAR(d.v[2], 0, 0);
    T_NEAR(d.i_load[2], 0, 0);
    T_CHECK(d.fed[0] && d.fed[1] && d.fed[3]);
    T_CHECK(d.v[0] > 11);
    /* Restored: fed again, from the set points (the island's 0 is not a
     * start). */
    d.link[1].up = d.link[2].up = 1;
    T_CHECK(dcnet_set_conv(&d, 2, 1, 12, 0.05) == 0);
    T_CHECK(dcnet_solve(&d) == DCNET_OK);
    T_NEAR(d.v[2], v_all, 1e-8);
}

/* Kirchhoff's current law at every node of a random 6 x 6 grid (some
 * converters up at random set points, ZIP loads at random), and the
 * energy balance: what the converters give is what the loads take plus
 * the links' I^2 R.  Then a warm start: the same network solved again
 * takes at most one iteration. */
static void test_kcl_grid(void)
{
    enum { W = 6 };
    for (int trial = 0; trial < 20; trial++) {
        struct dcnet d;
        T_CHECK(dcnet_init(&d, W * W) == 0);
        for (unsigned y = 0; y < W; y++)
            for (unsigned x = 0; x < W; x++) {
                unsigned i = y * W + x;
                if (x + 1 < W)
                    T_CHECK(dcnet_add_link(&d, i, i + 1,
                                           0.005 + 0.05 * urand()) >= 0);
                if (y + 1 < W)
                    T_CHECK(dcnet_add_link(&d, i, i + W,
                                           0.005 + 0.05 * urand()) >= 0);
                T_CHECK(dcnet_set_conv(&d, i, urand() < 0.5, 11.5 + urand(),
                                       0.02 + 0.1 * urand()) == 0);
                T_CHECK(dcnet_set_load(&d, i, 0.2 * urand(), urand(),
                                       40 * urand()) == 0);
            }
        T_CHECK(dcnet_set_conv(&d, 0, 1, 12, 0.05) == 0);
        T_CHECK(dcnet_solve(&d) == DCNET_OK);
        double worst = 0, given = 0, taken = 0;
        double net[W * W] = {0};
        for (unsigned k = 0; k < d.nl; k++) {
            net[d.link[k].a] -= d.i_link[k];
            net[d.link[k].b] += d.i_link[k];
            taken += d.i_link[k] * d.i_link[k] * d.link[k].r;
        }
        for (unsigned i = 0; i < d.n; i++) {
            double kcl = d.i_conv[i] + net[i] - d.i_load[i];
            if (fabs(kcl) > worst)
                worst = fabs(kcl);
            given += d.i_conv[i] * d.v[i];
            taken += d.i_load[i] * d.v[i];
        }
        T_CHECK(worst < 1e-9);
        T_NEAR(given, taken, 1e-7 * given);
        T_CHECK(dcnet_solve(&d) == DCNET_OK);
        T_CHECK(d.iters <= 1);
    }
}

static void test_params(void)
{
    struct dcnet d;
    T_CHECK(dcnet_init(&d, 0) == DCNET_EPARAM);
    T_CHECK(dcnet_init(&d, DCNET_MAX_NODES + 1) == DCNET_EPARAM);
    T_CHECK(dcnet_init(&d, 3) == 0);
    T_CHECK(dcnet_add_link(&d, 0, 0, 1) == DCNET_EPARAM);
    T_CHECK(dcnet_add_link(&d, 0, 3, 1) == DCNET_EPARAM);
    T_CHECK(dcnet_add_link(&d, 0, 1, 0) == DCNET_EPARAM);
    T_CHECK(dcnet_add_link(&d, 0, 1, NAN) == DCNET_EPARAM);
    T_CHECK(dcnet_set_conv(&d, 0, 1, -1, 0.1) == DCNET_EPARAM);
    T_CHECK(dcnet_set_conv(&d, 0, 1, 12, 0) == DCNET_EPARAM);
    T_CHECK(dcnet_set_conv(&d, 3, 1, 12, 0.1) == DCNET_EPARAM);
    T_CHECK(dcnet_set_load(&d, 0, -1, 0, 0) == DCNET_EPARAM);
    T_CHECK(dcnet_set_load(&d, 0, 0, 0, INFINITY) == DCNET_EPARAM);
    /* Nothing changed on error. */
    T_CHECK(!d.node[0].conv_up && d.node[0].p == 0);
    /* No converter at all: every node unfed, and that is no error. */
    T_CHECK(dcnet_solve(&d) == DCNET_OK);
    T_CHECK(!d.fed[0] && d.v[0] == 0);
}

static void test_no_alloc(void)
{
    struct dcnet d;
    T_CHECK(dcnet_init(&d, 16) == 0);
    for (unsigned i = 0; i + 1 < 16; i++)
        T_CHECK(dcnet_add_link(&d, i, i + 1, 0.01) >= 0);
    T_CHECK(dcnet_set_conv(&d, 0, 1, 12, 0.05) == 0);
    T_CHECK(dcnet_set_conv(&d, 15, 1, 12, 0.05) == 0);
    unsigned long allocs = 1;
    allocount_start();
    for (int k = 0; k < 100; k++) {
        dcnet_set_load(&d, (unsigned)k % 16, 0, 0, 20 + k % 7);
        T_CHECK(dcnet_solve(&d) == DCNET_OK);
    }
    allocount_stop(&allocs, NULL);
    T_CHECK(allocs == 0);
}

int main(void)
{
    allocount_install();
    test_divider();
    test_constant_power();
    test_sharing();
    test_ring_failover();
    test_kcl_grid();
    test_params();
    test_no_alloc();
    return t_done("test_dcnet");
}

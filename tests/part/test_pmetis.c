/*
 * test_pmetis - libmetis's k-way baseline and the assignment evaluator
 * (console/part/pmetis.c): on small hand-built graphs the evaluator's
 * compute, link, memory and flags against hand-computed numbers (a chain
 * where it must equal ppipe_eval, an activation read by two layers on
 * another device sent once, a skip connection sent straight, a cycle
 * between devices, an unused device, a memory cap); METIS's assignment
 * covers every layer with a valid device, is the same twice, follows the
 * edge weights and the speeds; k = 1 without METIS; the order derived
 * from an assignment is topological with each device's layers together;
 * bad input refused with its line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "part/pmetis.h"
#include "part/ppipe.h"
#include "t.h"

#define MAXN 64
static struct ppipe_dev dev[PPIPE_MAX_DEV];
static double bw[PPIPE_MAX_DEV * PPIPE_MAX_DEV],
    lat[PPIPE_MAX_DEV * PPIPE_MAX_DEV], work[MAXN];
static uint32_t order[MAXN];

static void add(struct mgraph *g, const char *name, double w, double params,
                double act)
{
    struct mgraph_node nd = {.fwd_ms = w, .bwd_ms = 0, .flops = NAN};
    snprintf(nd.name, sizeof nd.name, "%s", name);
    nd.param_bytes = params;
    nd.act_bytes = act;
    work[g->n] = w;
    mgraph_add(g, &nd);
}

/* nd devices of the given speeds, no memory cap, every link 1 GB/s and
 * 10 us; the model's order. */
static struct ppipe_in setup(struct mgraph *g, size_t nd, const double *speed)
{
    for (size_t e = 0; e < nd; e++) {
        snprintf(dev[e].name, sizeof dev[e].name, "d%zu", e);
        dev[e].speed = speed[e];
        dev[e].mem_bytes = INFINITY;
        for (size_t f = 0; f < nd; f++) {
            bw[e * nd + f] = 1e9;
            lat[e * nd + f] = 1e-5;
        }
    }
    char err[128];
    T_CHECK(mgraph_topo(g, order, err, sizeof err) == 0);
    return (struct ppipe_in){g, order, work, nd, dev, bw, lat};
}

/* a -> b -> c -> d, devices 0 and 1 (speeds 1 and 2), {a, b} | {c, d}:
 * the same numbers as ppipe_eval's for that plan, and by hand. */
static void test_chain(void)
{
    struct mgraph g;
    mgraph_init(&g);
    add(&g, "a", 1, 10, 1e6);
    add(&g, "b", 2, 20, 2e6);
    add(&g, "c", 3, 30, 3e6);
    add(&g, "d", 4, 40, 4e6);
    for (uint32_t i = 0; i < 3; i++)
        mgraph_edge(&g, i, i + 1);
    const double sp[] = {1, 2};
    const struct ppipe_in in = setup(&g, 2, sp);
    const uint32_t part[] = {0, 0, 1, 1};
    struct pmetis_eval ev;
    char err[256] = "";
    T_CHECK(pmetis_eval(&in, part, &ev, err, sizeof err) == 0);
    T_CHECK(ev.acyclic && ev.fits && ev.nused == 2);
    T_CHECK(ev.stage[0] == 0 && ev.stage[1] == 1);
    T_CHECK(ev.layers[0] == 2 && ev.layers[1] == 2);
    T_NEAR(ev.compute_ms[0], 3, 1e-12);
    T_NEAR(ev.compute_ms[1], 3.5, 1e-12);
    /* b's 2 MB forward and back at 1 GB/s, and twice the latency */
    T_NEAR(ev.link_bytes[1], 2e6, 0);
    T_NEAR(ev.link_ms[1], (2 * 2e6 / 1e9 + 2e-5) * 1e3, 1e-12);
    T_NEAR(ev.link_ms[2], 0, 0); /* 1 -> 0: nothing goes back */
    /* 1F1B: the first of two stages holds two micro-batches */
    T_NEAR(ev.mem_bytes[0], 2 * 30 + 2 * 3e6, 1e-6);
    T_NEAR(ev.mem_bytes[1], 2 * 70 + 1 * 7e6, 1e-6);
    T_NEAR(ev.bottleneck_ms, 4.02, 1e-12);

    struct ppipe_plan p = {.nstages = 2, .dev = {0, 1}, .first = {0, 2, 4}};
    const double b = ppipe_eval(&in, &p);
    T_NEAR(b, ev.bottleneck_ms, 1e-12);
    T_NEAR(p.mem_bytes[0], ev.mem_bytes[0], 1e-6);
    T_NEAR(p.mem_bytes[1], ev.mem_bytes[1], 1e-6);
    T_NEAR(p.comm_ms[0], ev.link_ms[1], 1e-12);

    /* a memory cap under device 1's 7 MB: does not fit, same times */
    dev[1].mem_bytes = 6e6;
    T_CHECK(pmetis_eval(&in, part, &ev, err, sizeof err) == 0);
    T_CHECK(!ev.fits && ev.acyclic);
    T_NEAR(ev.bottleneck_ms, 4.02, 1e-12);

    /* a device index out of range */
    const uint32_t bad[] = {0, 0, 2, 1};
    T_CHECK(pmetis_eval(&in, bad, &ev, err, sizeof err) == -1 &&
            strstr(err, "layer c: device 2 of 2"));
    mgraph_free(&g);
}

/* a feeds b (its own device), c and d (both on device 1): a's activation
 * goes to device 1 once; a skip a -> d straight, not relayed. */
static void test_fanout(void)
{
    struct mgraph g;
    mgraph_init(&g);
    add(&g, "a", 1, 0, 1e6);
    add(&g, "b", 1, 0, 2e6);
    add(&g, "c", 1, 0, 4e6);
    add(&g, "d", 1, 0, 8e6);
    mgraph_edge(&g, 0, 1);
    mgraph_edge(&g, 0, 2);
    mgraph_edge(&g, 0, 3);
    mgraph_edge(&g, 1, 3);
    mgraph_edge(&g, 2, 3);
    const double sp[] = {1, 1, 1};
    const struct ppipe_in in = setup(&g, 3, sp);
    const uint32_t part[] = {0, 0, 1, 1};
    struct pmetis_eval ev;
    char err[256] = "";
    T_CHECK(pmetis_eval(&in, part, &ev, err, sizeof err) == 0);
    /* a (once, though c and d read it) and b */
    T_NEAR(ev.link_bytes[0 * 3 + 1], 1e6 + 2e6, 0);
    T_CHECK(ev.acyclic && ev.nused == 2 && ev.stage[2] == -1);
    T_CHECK(ev.layers[2] == 0 && ev.compute_ms[2] == 0 && ev.mem_bytes[2] == 0);

    /* three stages a | b, c | d: a's skip to d goes 0 -> 2 directly */
    const uint32_t p3[] = {0, 1, 1, 2};
    T_CHECK(pmetis_eval(&in, p3, &ev, err, sizeof err) == 0);
    T_NEAR(ev.link_bytes[0 * 3 + 1], 1e6, 0);
    T_NEAR(ev.link_bytes[0 * 3 + 2], 1e6, 0);
    T_NEAR(ev.link_bytes[1 * 3 + 2], 2e6 + 4e6, 0);
    T_CHECK(ev.stage[0] == 0 && ev.stage[1] == 1 && ev.stage[2] == 2);
    T_NEAR(ev.mem_bytes[0], 3 * 1e6, 0);
    T_NEAR(ev.mem_bytes[1], 2 * 6e6, 0);
    T_NEAR(ev.mem_bytes[2], 1 * 8e6, 0);
    /* ppipe relays a through stage 2's cut too: 1 + 2 + 4 MB there */
    struct ppipe_plan p = {
        .nstages = 3, .dev = {0, 1, 2}, .first = {0, 1, 3, 4}};
    ppipe_eval(&in, &p);
    T_NEAR(p.comm_ms[1], (2 * 7e6 / 1e9 + 2e-5) * 1e3, 1e-12);
    T_NEAR(ev.link_ms[1 * 3 + 2], (2 * 6e6 / 1e9 + 2e-5) * 1e3, 1e-12);
    T_NEAR(ev.bottleneck_ms, ev.link_ms[1 * 3 + 2], 0);
    mgraph_free(&g);
}

/* a -> b -> c with a and c on device 0, b on 1: a cycle between the
 * devices, no stage order, everyone charged two micro-batches. */
static void test_cycle(void)
{
    struct mgraph g;
    mgraph_init(&g);
    add(&g, "a", 2, 100, 1e6);
    add(&g, "b", 4, 0, 2e6);
    add(&g, "c", 6, 0, 3e6);
    mgraph_edge(&g, 0, 1);
    mgraph_edge(&g, 1, 2);
    const double sp[] = {1, 1};
    const struct ppipe_in in = setup(&g, 2, sp);
    const uint32_t part[] = {0, 1, 0};
    struct pmetis_eval ev;
    char err[256] = "";
    T_CHECK(pmetis_eval(&in, part, &ev, err, sizeof err) == 0);
    T_CHECK(!ev.acyclic && ev.stage[0] == -1 && ev.stage[1] == -1);
    T_NEAR(ev.compute_ms[0], 8, 0);
    T_NEAR(ev.compute_ms[1], 4, 0);
    T_NEAR(ev.link_bytes[1], 1e6, 0);
    T_NEAR(ev.link_bytes[2], 2e6, 0);
    T_NEAR(ev.mem_bytes[0], 2 * 100 + 2 * 4e6, 0);
    T_NEAR(ev.mem_bytes[1], 2 * 2e6, 0);
    T_NEAR(ev.bottleneck_ms, 8, 0);

    /* the derived order is still topological: a, b, c */
    uint32_t mord[3];
    int contiguous = -1;
    T_CHECK(pmetis_order(&in, part, mord, &contiguous, err, sizeof err) == 0);
    T_CHECK(mord[0] == 0 && mord[1] == 1 && mord[2] == 2 && contiguous == 0);
    mgraph_free(&g);
}

/* A diamond a -> {b, c} -> d, model order a, b, c, d, with a and c on
 * device 0: the derived order a, c, b, d keeps each device together, and
 * the pipeline on it is no worse than the assignment itself. */
static void test_order(void)
{
    struct mgraph g;
    mgraph_init(&g);
    add(&g, "a", 1, 0, 1e6);
    add(&g, "b", 1, 0, 1e6);
    add(&g, "c", 1, 0, 1e6);
    add(&g, "d", 1, 0, 1e6);
    mgraph_edge(&g, 0, 1);
    mgraph_edge(&g, 0, 2);
    mgraph_edge(&g, 1, 3);
    mgraph_edge(&g, 2, 3);
    const double sp[] = {1, 1};
    struct ppipe_in in = setup(&g, 2, sp);
    T_CHECK(order[1] == 1 && order[2] == 2);
    const uint32_t part[] = {0, 1, 0, 1};
    uint32_t mord[4];
    int contiguous = -1;
    char err[256] = "";
    T_CHECK(pmetis_order(&in, part, mord, &contiguous, err, sizeof err) == 0);
    T_CHECK(contiguous == 1);
    T_CHECK(mord[0] == 0 && mord[1] == 2 && mord[2] == 1 && mord[3] == 3);
    struct pmetis_eval ev;
    T_CHECK(pmetis_eval(&in, part, &ev, err, sizeof err) == 0);
    in.order = mord;
    struct ppipe_plan plan;
    T_CHECK(ppipe_solve(&in, &plan, err, sizeof err) == 0);
    T_CHECK(plan.bottleneck_ms <= ev.bottleneck_ms * (1 + 1e-12));
    mgraph_free(&g);
}

/* Two chains of 16 layers, heavy activations inside, joined by one light
 * edge: METIS cuts the light edge; same answer twice; k = 1. */
static void test_kway(void)
{
    struct mgraph g;
    mgraph_init(&g);
    char name[16];
    for (int i = 0; i < 32; i++) {
        snprintf(name, sizeof name, "l%d", i);
        add(&g, name, 1, 0, i == 15 ? 1 : 1e7);
    }
    for (uint32_t i = 0; i + 1 < 32; i++)
        mgraph_edge(&g, i, i + 1);
    const double sp[] = {1, 1};
    const struct ppipe_in in = setup(&g, 2, sp);
    uint32_t part[32], again[32];
    long long cut = -1, cut2 = -1;
    char err[256] = "";
    T_CHECK(pmetis_kway(&in, part, &cut, err, sizeof err) == 0);
    T_CHECK(pmetis_kway(&in, again, &cut2, err, sizeof err) == 0);
    T_CHECK(memcmp(part, again, sizeof part) == 0 && cut == cut2);
    int split = 1;
    for (int i = 0; i < 32; i++)
        split &= part[i] == part[0] ? i < 16 : i >= 16;
    T_CHECK(split && part[0] != part[31]);
    T_CHECK(cut == 1); /* the light edge, at its minimum weight */

    /* k = 1: everything on device 0, no METIS */
    const struct ppipe_in one = setup(&g, 1, sp);
    memset(part, 0xff, sizeof part);
    T_CHECK(pmetis_kway(&one, part, &cut, err, sizeof err) == 0);
    int zero = cut == 0;
    for (int i = 0; i < 32; i++)
        zero &= part[i] == 0;
    T_CHECK(zero);
    mgraph_free(&g);
}

/* 60 equal layers with skips over 3 devices of speeds 1, 1, 2: every
 * layer gets a valid device, the fast one about half the work, each
 * device's compute within METIS's 3 % imbalance (and rounding) of the
 * even time; same answer twice; all-zero work still partitions. */
static void test_speeds(void)
{
    struct mgraph g;
    mgraph_init(&g);
    char name[16];
    for (int i = 0; i < 60; i++) {
        snprintf(name, sizeof name, "l%d", i);
        add(&g, name, 1, 1e6, 1e6);
    }
    for (uint32_t i = 0; i + 1 < 60; i++) {
        mgraph_edge(&g, i, i + 1);
        if (i % 7 == 0 && i + 3 < 60)
            mgraph_edge(&g, i, i + 3);
    }
    const double sp[] = {1, 1, 2};
    const struct ppipe_in in = setup(&g, 3, sp);
    uint32_t part[60], again[60];
    long long cut, cut2;
    char err[256] = "";
    T_CHECK(pmetis_kway(&in, part, &cut, err, sizeof err) == 0);
    T_CHECK(pmetis_kway(&in, again, &cut2, err, sizeof err) == 0);
    T_CHECK(memcmp(part, again, sizeof part) == 0 && cut == cut2);
    int valid = 1;
    for (int i = 0; i < 60; i++)
        valid &= part[i] < 3;
    T_CHECK(valid);
    struct pmetis_eval ev;
    T_CHECK(pmetis_eval(&in, part, &ev, err, sizeof err) == 0);
    T_CHECK(ev.layers[0] + ev.layers[1] + ev.layers[2] == 60);
    /* 60 ms of work over a total speed of 4: 15 ms each */
    for (int d = 0; d < 3; d++)
        T_CHECK(ev.compute_ms[d] <= 15 * 1.04 + 1e-9 &&
                ev.compute_ms[d] >= 15 * 0.9);

    for (int i = 0; i < 60; i++)
        work[i] = 0;
    T_CHECK(pmetis_kway(&in, part, &cut, err, sizeof err) == 0);
    T_CHECK(pmetis_eval(&in, part, &ev, err, sizeof err) == 0);
    T_CHECK(ev.layers[0] + ev.layers[1] + ev.layers[2] == 60 &&
            ev.layers[2] > ev.layers[0]);
    mgraph_free(&g);
}

static void test_bad(void)
{
    struct mgraph g;
    mgraph_init(&g);
    add(&g, "a", 1, 0, 1);
    add(&g, "b", 1, 0, 1);
    mgraph_edge(&g, 0, 1);
    const double sp[] = {1, 1};
    struct ppipe_in in = setup(&g, 2, sp);
    uint32_t part[2];
    long long cut;
    char err[256] = "";
    dev[1].speed = 0;
    T_CHECK(pmetis_kway(&in, part, &cut, err, sizeof err) == -1 &&
            strstr(err, "device d1: speed and memory must be > 0"));
    dev[1].speed = 1;
    in.ndev = 0;
    T_CHECK(pmetis_kway(&in, part, &cut, err, sizeof err) == -1 &&
            strstr(err, "between 1 and"));
    in.ndev = 2;
    work[1] = NAN;
    T_CHECK(pmetis_kway(&in, part, &cut, err, sizeof err) == -1 &&
            strstr(err, "layer b"));
    work[1] = 1;
    /* a self-loop: METIS has none */
    mgraph_edge(&g, 1, 1);
    T_CHECK(pmetis_kway(&in, part, &cut, err, sizeof err) == -1 &&
            strstr(err, "layer b has an edge to itself"));
    mgraph_free(&g);
    mgraph_init(&g);
    in.g = &g;
    struct pmetis_eval ev;
    T_CHECK(pmetis_eval(&in, part, &ev, err, sizeof err) == -1 &&
            strstr(err, "no layers"));
    mgraph_free(&g);
}

int main(void)
{
    test_chain();
    test_fanout();
    test_cycle();
    test_order();
    test_kway();
    test_speeds();
    test_bad();
    return t_done("test_pmetis");
}

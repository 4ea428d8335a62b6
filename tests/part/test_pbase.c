/*
 * test_pbase - the naive equal-layer split (console/part/pbase.c): the
 * stage boundaries by hand (5 layers on 2 devices: 3 + 2; 2 layers on 3
 * devices: two stages), its times equal to ppipe_eval's and by hand, a
 * stage over its memory flagged with the times kept finite, and on random
 * DAGs ppipe_solve (exact for the order) never worse when the split fits.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "part/pbase.h"
#include "part/ppipe.h"
#include "t.h"

static uint64_t rng = 2463534242ull;
static double unif(void)
{
    return t_unif(&rng);
}

#define MAXN 12
static struct ppipe_dev dev[4];
static double bw[16], lat[16], work[MAXN];
static uint32_t order[MAXN];

/* A chain (or with dag, a DAG) of n layers, layer i's work i + 1 ms and
 * activation (i + 1) MB; nd devices of speed 1 and 2 alternately, every
 * link 1 GB/s and no latency. */
static struct ppipe_in chain(struct mgraph *g, size_t n, size_t nd, int dag)
{
    mgraph_init(g);
    for (size_t i = 0; i < n; i++) {
        struct mgraph_node nd_ = {.fwd_ms = NAN, .bwd_ms = NAN, .flops = NAN};
        snprintf(nd_.name, sizeof nd_.name, "l%zu", i);
        nd_.param_bytes = dag ? 1e6 * unif() : 0;
        nd_.act_bytes = dag ? 1e6 * unif() : 1e6 * (double)(i + 1);
        work[i] = dag ? 10 * unif() : (double)(i + 1);
        mgraph_add(g, &nd_);
        if (i > 0)
            mgraph_edge(g, (uint32_t)i - 1, (uint32_t)i);
        if (dag && i >= 2 && unif() < 0.4)
            mgraph_edge(g, (uint32_t)(unif() * (double)(i - 1)), (uint32_t)i);
    }
    for (size_t e = 0; e < nd; e++) {
        snprintf(dev[e].name, sizeof dev[e].name, "d%zu", e);
        dev[e].speed = dag ? 0.5 + 2 * unif() : (e % 2 ? 2 : 1);
        dev[e].mem_bytes = dag && unif() < 0.5 ? 4e6 + 8e6 * unif() : INFINITY;
        for (size_t f = 0; f < nd; f++) {
            bw[e * nd + f] = dag ? 1e8 + 2e9 * unif() : 1e9;
            lat[e * nd + f] = dag ? 1e-5 * unif() : 0;
        }
    }
    char err[128];
    T_CHECK(mgraph_topo(g, order, err, sizeof err) == 0);
    return (struct ppipe_in){g, order, work, nd, dev, bw, lat};
}

static void test_hand(void)
{
    struct mgraph g;
    struct ppipe_in in = chain(&g, 5, 2, 0);
    struct ppipe_plan p;
    int fits = -1;
    char err[256] = "";
    T_CHECK(pbase_equal(&in, &p, &fits, err, sizeof err) == 0);
    T_CHECK(p.nstages == 2 && p.first[0] == 0 && p.first[1] == 3 &&
            p.first[2] == 5 && p.dev[0] == 0 && p.dev[1] == 1 && fits == 1);
    /* 1 + 2 + 3 ms on speed 1; (4 + 5) / 2 on speed 2; l2's 3 MB twice at
     * 1 GB/s: 6 ms, the bottleneck */
    T_NEAR(p.compute_ms[0], 6, 1e-12);
    T_NEAR(p.compute_ms[1], 4.5, 1e-12);
    T_NEAR(p.comm_ms[0], 6, 1e-12);
    T_NEAR(p.bottleneck_ms, 6, 1e-12);
    T_NEAR(p.bound_ms, ppipe_lower_bound(&in), 0);
    T_CHECK(p.bound_ms > 0 && p.bound_ms <= p.bottleneck_ms);
    struct ppipe_plan q = p;
    T_NEAR(ppipe_eval(&in, &q), p.bottleneck_ms, 0);

    /* device 0 holds 2 micro-batches of 6 MB: a 10 MB cap is too small */
    dev[0].mem_bytes = 10e6;
    T_CHECK(pbase_equal(&in, &p, &fits, err, sizeof err) == 0);
    T_CHECK(fits == 0);
    T_NEAR(p.mem_bytes[0], 12e6, 1e-6);
    T_NEAR(p.bottleneck_ms, 6, 1e-12);
    mgraph_free(&g);

    /* fewer layers than devices: one stage each */
    in = chain(&g, 2, 3, 0);
    T_CHECK(pbase_equal(&in, &p, &fits, err, sizeof err) == 0);
    T_CHECK(p.nstages == 2 && p.first[1] == 1 && p.first[2] == 2);

    dev[2].speed = -1;
    T_CHECK(pbase_equal(&in, &p, &fits, err, sizeof err) == -1 &&
            strstr(err, "device d2"));
    mgraph_free(&g);
}

static void test_random(void)
{
    int cases = 0, ok = 0, fit = 0;
    for (int t = 0; t < 200; t++) {
        struct mgraph g;
        const size_t n = 2 + (size_t)(unif() * (MAXN - 1));
        const size_t nd = 1 + (size_t)(unif() * 4);
        const struct ppipe_in in = chain(&g, n, nd, 1);
        struct ppipe_plan eq, best;
        int fits;
        char err[256] = "";
        T_CHECK(pbase_equal(&in, &eq, &fits, err, sizeof err) == 0);
        cases++;
        /* covers the order in min(n, nd) stages whose sizes differ by at
         * most one */
        int good = eq.first[0] == 0 && eq.first[eq.nstages] == n &&
                   eq.nstages == (n < nd ? n : nd);
        for (unsigned k = 0; k < eq.nstages; k++) {
            const size_t len = eq.first[k + 1] - eq.first[k];
            good &= len == n / eq.nstages || len == n / eq.nstages + 1;
        }
        if (fits) {
            fit++;
            good &= ppipe_solve(&in, &best, err, sizeof err) == 0 &&
                    best.bottleneck_ms <= eq.bottleneck_ms * (1 + 1e-9);
        }
        ok += good;
        mgraph_free(&g);
    }
    fprintf(stderr, "pbase: %d/%d cases good (%d fit)\n", ok, cases, fit);
    T_CHECK(ok == cases);
    T_CHECK(fit > 0 && fit < cases);
}

int main(void)
{
    test_hand();
    test_random();
    return t_done("test_pbase");
}

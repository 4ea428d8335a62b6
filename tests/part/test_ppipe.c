/*
 * test_ppipe - pipeline partitioning (console/part/ppipe.c): on random
 * small chains and DAGs with heterogeneous devices, links and memory
 * caps, the solver's bottleneck equals brute force over every ordered
 * choice of devices and every set of cuts of the order; the lower bound
 * is never above it; the plan's stages cover the order, use distinct
 * devices and fit their memory; a model that fits no device is refused
 * with a message; bad devices are refused.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "part/ppipe.h"
#include "t.h"

static uint64_t rng = 88172645463325252ull;
static double unif(void)
{
    return t_unif(&rng);
}

#define MAXN 9
static struct ppipe_dev dev[4];
static double bw[16], lat[16], work[MAXN];
static uint32_t order[MAXN];

/* Brute force: every ordered choice of k distinct devices and every k-1
 * cuts of the order. */
static double brute(const struct ppipe_in *in)
{
    const size_t n = in->g->n, nd = in->ndev;
    double best = INFINITY;
    struct ppipe_plan p;
    for (unsigned k = 1; k <= nd && k <= n; k++) {
        /* devices: k-tuples of distinct indices */
        unsigned tup[4] = {0};
        const unsigned ntup = (unsigned)pow((double)nd, k);
        for (unsigned t = 0; t < ntup; t++) {
            unsigned x = t, used = 0, okd = 1;
            for (unsigned s = 0; s < k; s++) {
                tup[s] = x % nd;
                x /= nd;
                okd &= !(used >> tup[s] & 1);
                used |= 1u << tup[s];
            }
            if (!okd)
                continue;
            /* cuts: k-1 of the n-1 positions, as a bitmask */
            for (unsigned c = 0; c < 1u << (n - 1); c++) {
                if ((unsigned)__builtin_popcount(c) != k - 1)
                    continue;
                memset(&p, 0, sizeof p);
                p.nstages = k;
                unsigned s = 0;
                p.first[0] = 0;
                for (unsigned j = 1; j < n; j++)
                    if (c >> (j - 1) & 1)
                        p.first[++s] = j;
                p.first[k] = n;
                for (unsigned q = 0; q < k; q++)
                    p.dev[q] = tup[q];
                const double b = ppipe_eval(in, &p);
                if (b < best)
                    best = b;
            }
        }
    }
    return best;
}

static void random_case(struct mgraph *g, size_t n, size_t nd, int dag,
                        struct ppipe_in *in)
{
    mgraph_init(g);
    for (size_t i = 0; i < n; i++) {
        struct mgraph_node nd_ = {.fwd_ms = NAN, .bwd_ms = NAN, .flops = NAN};
        snprintf(nd_.name, sizeof nd_.name, "l%zu", i);
        nd_.param_bytes = unif() < 0.3 ? 0 : 1e6 * unif();
        nd_.act_bytes = 1e6 * (0.1 + unif());
        mgraph_add(g, &nd_);
        work[i] = 10 * unif() * unif();
    }
    for (size_t i = 1; i < n; i++) {
        mgraph_edge(g, (uint32_t)i - 1, (uint32_t)i);
        if (dag && i >= 2 && unif() < 0.4)
            mgraph_edge(g, (uint32_t)(unif() * (i - 1)), (uint32_t)i);
    }
    char err[128];
    T_CHECK(mgraph_topo(g, order, err, sizeof err) == 0);
    for (size_t e = 0; e < nd; e++) {
        snprintf(dev[e].name, sizeof dev[e].name, "d%zu", e);
        dev[e].speed = 0.5 + 2 * unif();
        dev[e].mem_bytes = unif() < 0.5 ? INFINITY : 4e6 + 8e6 * unif();
        for (size_t f = 0; f < nd; f++) {
            bw[e * nd + f] = 1e8 + 2e9 * unif();
            lat[e * nd + f] = 1e-5 * unif();
        }
    }
    *in = (struct ppipe_in){g, order, work, nd, dev, bw, lat};
}

static void test_brute(void)
{
    int cases = 0, agree = 0, infeasible = 0;
    for (int t = 0; t < 300; t++) {
        struct mgraph g;
        struct ppipe_in in;
        const size_t n = 2 + (size_t)(unif() * (MAXN - 1));
        const size_t nd = 1 + (size_t)(unif() * 4);
        random_case(&g, n, nd, t % 2, &in);
        struct ppipe_plan plan;
        char err[256] = "";
        const double want = brute(&in);
        const int rc = ppipe_solve(&in, &plan, err, sizeof err);
        cases++;
        if (!isfinite(want)) {
            infeasible++;
            agree += rc == -1 && strstr(err, "no partition fits in memory");
        } else if (rc == 0) {
            const int same =
                fabs(plan.bottleneck_ms - want) <= 1e-6 * want + 1e-12;
            if (!same)
                fprintf(stderr, "  case %d: n %zu nd %zu: dp %.9g brute %.9g\n",
                        t, n, nd, plan.bottleneck_ms, want);
            /* the plan: covers the order, distinct devices, fits */
            unsigned used = 0;
            int okp = plan.first[0] == 0 && plan.first[plan.nstages] == n;
            for (unsigned k = 0; k < plan.nstages; k++) {
                okp &= plan.first[k] < plan.first[k + 1];
                okp &= !(used >> plan.dev[k] & 1);
                used |= 1u << plan.dev[k];
                okp &= plan.mem_bytes[k] <= dev[plan.dev[k]].mem_bytes;
            }
            agree += same && okp &&
                     plan.bound_ms <= plan.bottleneck_ms * (1 + 1e-12);
        }
        mgraph_free(&g);
    }
    fprintf(stderr, "ppipe: %d/%d cases equal to brute force (%d infeasible)\n",
            agree, cases, infeasible);
    T_CHECK(agree == cases);
    T_CHECK(infeasible > 0 && infeasible < cases); /* both kinds were met */
}

static void test_bad(void)
{
    struct mgraph g;
    struct ppipe_in in;
    struct ppipe_plan plan;
    char err[256] = "";
    random_case(&g, 4, 2, 0, &in);
    dev[1].speed = 0;
    T_CHECK(ppipe_solve(&in, &plan, err, sizeof err) == -1 &&
            strstr(err, "device d1: speed and memory must be > 0"));
    dev[1].speed = 1;
    bw[1] = 0;
    T_CHECK(ppipe_solve(&in, &plan, err, sizeof err) == -1 &&
            strstr(err, "link d0 -> d1"));
    bw[1] = 1e9;
    work[2] = NAN;
    T_CHECK(ppipe_solve(&in, &plan, err, sizeof err) == -1 &&
            strstr(err, "layer l2"));
    work[2] = 1;
    in.ndev = 0;
    T_CHECK(ppipe_solve(&in, &plan, err, sizeof err) == -1 &&
            strstr(err, "between 1 and"));
    mgraph_free(&g);
}

int main(void)
{
    test_brute();
    test_bad();
    return t_done("test_ppipe");
}

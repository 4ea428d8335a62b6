/*
 * pideal_time - the figures of README's "Model partitioner" table: for
 * each PipeDream profile given, on the 4 and 8 heterogeneous
 * devices (16G-40G, 12 GB/s 10 us links, as `wattson partition`'s
 * default), the pipeline over every order (part/pideal.h) against ppipe
 * on the default order (part/ppipe.h): down-sets, stages, bottleneck,
 * the bound and the time per solve; then a synthetic chain of 1,000
 * layers on the 8 devices.  A measuring tool, not a test: nothing here
 * asserts on time.
 *
 *   pideal_time ../shared/data/pipedream-profiles/NAME.txt ...
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "part/mgraph.h"
#include "part/pdprof.h"
#include "part/pideal.h"
#include "part/ppipe.h"

static const struct ppipe_dev dev4[] = {{"v100", 1, 16e9},
                                        {"v100", 1, 16e9},
                                        {"t4", 0.45, 16e9},
                                        {"t4", 0.45, 16e9}};
static const struct ppipe_dev dev8[] = {
    {"a100", 2.5, 40e9}, {"a100", 2.5, 40e9}, {"v100", 1, 16e9},
    {"v100", 1, 16e9},   {"v100", 1, 16e9},   {"t4", 0.45, 16e9},
    {"t4", 0.45, 16e9},  {"k80", 0.2, 12e9}};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Both searches on `in` with 12 GB/s 10 us links, each repeated for at
 * least 0.2 s; one line. */
static void run(const struct ppipe_in *in, const char *name)
{
    static double bw[64], lat[64];
    for (size_t k = 0; k < 64; k++) {
        bw[k] = 12e9;
        lat[k] = 10e-6;
    }
    struct ppipe_in on = *in;
    on.bw = bw;
    on.lat = lat;
    uint32_t *order = malloc(in->g->n * sizeof *order);
    struct ppipe_plan a, b;
    struct pideal_info info;
    char err[256] = "", err1[256] = "";
    int rc = 0, rc1 = 0, reps = 0;
    double t0 = now(), t;
    do {
        rc = pideal_solve(&on, PIDEAL_MAX_SETS, order, &a, &info, err,
                          sizeof err);
        reps++;
    } while ((t = now() - t0) < 0.2);
    const double ms = t / reps * 1e3;
    reps = 0;
    t0 = now();
    do {
        rc1 = ppipe_solve(&on, &b, err1, sizeof err1);
        reps++;
    } while ((t = now() - t0) < 0.2);
    const double ms1 = t / reps * 1e3;
    if (rc < 0 || rc1 != 0) {
        printf("%-14s %zu devices: %s %s\n", name, in->ndev, err, err1);
    } else {
        const int exact = rc == 0;
        printf("%-14s %zu dev  sets %7zu%s  %s: %u stages %9.3f ms, bound "
               "%9.3f, ratio %.4f, %8.2f ms/solve | one order: %u stages "
               "%9.3f ms, ratio %.4f, %7.2f ms/solve\n",
               name, in->ndev, exact ? info.nsets : (size_t)PIDEAL_MAX_SETS,
               exact ? " " : "+", exact ? "optimal" : "capped ",
               exact ? a.nstages : 0, exact ? a.bottleneck_ms : NAN,
               exact ? a.bound_ms : NAN,
               exact ? a.bottleneck_ms / a.bound_ms : NAN, ms, b.nstages,
               b.bottleneck_ms, b.bottleneck_ms / b.bound_ms, ms1);
    }
    free(order);
}

static void profile(const char *path)
{
    struct mgraph g;
    char err[256];
    mgraph_init(&g);
    if (pdprof_read_file(path, &g, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    uint32_t *order = malloc(g.n * sizeof *order);
    double *work = malloc(g.n * sizeof *work);
    if (order && work && mgraph_topo(&g, order, err, sizeof err) == 0) {
        for (size_t u = 0; u < g.n; u++)
            work[u] = (isnan(g.node[u].fwd_ms) ? 0 : g.node[u].fwd_ms) +
                      (isnan(g.node[u].bwd_ms) ? 0 : g.node[u].bwd_ms);
        struct ppipe_in in = {&g, order, work, 4, dev4, NULL, NULL};
        run(&in, g.name);
        in.ndev = 8;
        in.dev = dev8;
        run(&in, g.name);
    }
    free(order);
    free(work);
    mgraph_free(&g);
}

/* 1,000 layers in a chain, work and sizes varying (seeded). */
static void chain(void)
{
    struct mgraph g;
    mgraph_init(&g);
    const size_t n = 1000;
    double *work = malloc(n * sizeof *work);
    uint32_t *order = malloc(n * sizeof *order);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n && work && order; i++) {
        struct mgraph_node nd = {.fwd_ms = NAN, .bwd_ms = NAN, .flops = NAN};
        snprintf(nd.name, sizeof nd.name, "l%zu", i);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        nd.param_bytes = (double)(x % 1000) * 1e4;
        nd.act_bytes = (double)(x % 777) * 1e4;
        work[i] = 0.1 + (double)(x % 1013) / 100;
        order[i] = (uint32_t)i;
        mgraph_add(&g, &nd);
        if (i)
            mgraph_edge(&g, (uint32_t)i - 1, (uint32_t)i);
    }
    snprintf(g.name, sizeof g.name, "chain-1000");
    if (work && order) {
        struct ppipe_in in = {&g, order, work, 8, dev8, NULL, NULL};
        run(&in, g.name);
    }
    free(work);
    free(order);
    mgraph_free(&g);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strstr(argv[i], "LICENSE"))
            profile(argv[i]);
    chain();
    return 0;
}

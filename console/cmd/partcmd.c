/*
 * partcmd - `wattson partition MODEL --devices SPEC [--link BW[/LAT]]
 * [--method NAME] [--json]` (issue 15): a model's layers cut into a training
 * pipeline over the devices given (part/ppipe.h), printed as a table of stages
 * or one JSON object.
 *
 * MODEL is a PipeDream profile (part/pdprof.h: per-layer forward and
 * backward times and sizes, measured per batch) or a Darknet network
 * definition (.cfg, part/dncfg.h: FLOPs and sizes per sample, from which
 * a layer's work is 3 x its forward FLOPs - forward, and the backward
 * pass's two products of the same size - over a reference device of
 * PARTCMD_REF_FLOPS, per sample: the stages are per micro-batch of one).
 * Bad input (an unreadable or malformed model, a bad --devices or --link)
 * is exit 3 or 2 with one line; no partition fitting in memory is exit 3
 * with the reason.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "core/sinum.h"
#include "part/dncfg.h"
#include "part/mgraph.h"
#include "part/pdprof.h"
#include "part/pideal.h"
#include "part/ppipe.h"

/* The reference device a Darknet cfg's FLOPs are turned into time on:
 * 10 TFLOP/s, about an NVIDIA V100's fp32 peak's two thirds (its
 * datasheet: 15.7 TFLOP/s), as a kernel reaches in practice. */
#define PARTCMD_REF_FLOPS 1e13

/* One line "wattson: ..." on stderr (a bad command line): RUN_USAGE. */
static int partcmd_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static int partcmd_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wattson: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see wattson --help)\n", stderr);
    va_end(ap);
    return RUN_USAGE;
}

/* --devices NAME[:SPEED[:MEM]],...  0, or -1 (one line on stderr). */
static int partcmd_devices(const char *spec, struct ppipe_dev *dev, size_t *n)
{
    *n = 0;
    char buf[1024];
    if (strlen(spec) >= sizeof buf)
        return partcmd_usage("%s", "--devices: too long");
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (*n == PPIPE_MAX_DEV)
            return partcmd_usage("--devices: at most %d devices",
                                 PPIPE_MAX_DEV);
        struct ppipe_dev *d = &dev[*n];
        char *speed = strchr(tok, ':'), *mem = NULL;
        if (speed) {
            *speed++ = '\0';
            mem = strchr(speed, ':');
            if (mem)
                *mem++ = '\0';
        }
        if (!*tok || strlen(tok) >= sizeof d->name)
            return partcmd_usage("--devices: '%s': a name of 1..31 bytes "
                                 "first (NAME[:SPEED[:MEM]])",
                                 tok);
        snprintf(d->name, sizeof d->name, "%s", tok);
        d->speed = 1;
        d->mem_bytes = INFINITY;
        if (speed &&
            (sinum_parse(speed, NULL, &d->speed) != 0 || !(d->speed > 0)))
            return partcmd_usage("--devices: %s: speed '%s' is not a "
                                 "number > 0",
                                 d->name, speed);
        if (mem &&
            (sinum_parse(mem, "B", &d->mem_bytes) != 0 || !(d->mem_bytes > 0)))
            return partcmd_usage("--devices: %s: memory '%s' is not a "
                                 "number of bytes > 0 (16G)",
                                 d->name, mem);
        (*n)++;
    }
    if (*n == 0)
        return partcmd_usage("%s", "--devices: no device given");
    return 0;
}

/* The model by its file name: .cfg a Darknet definition, else a
 * PipeDream profile. */
static int partcmd_read(const char *path, struct mgraph *g, char *err,
                        size_t errlen)
{
    const size_t n = strlen(path);
    if (n > 4 && strcmp(path + n - 4, ".cfg") == 0)
        return dncfg_read_file(path, g, err, errlen);
    return pdprof_read_file(path, g, err, errlen);
}

static void partcmd_range(const struct mgraph *g, const uint32_t *order,
                          size_t a, size_t b, char *buf, size_t len)
{
    if (b - a == 1)
        snprintf(buf, len, "%s", g->node[order[a]].name);
    else
        snprintf(buf, len, "%s..%s", g->node[order[a]].name,
                 g->node[order[b - 1]].name);
}

/* What every method works on: the model, a topological order, each
 * layer's work, the devices and the links between every two of them. */
struct partcmd_ctx {
    const char *path; /* MODEL as given */
    struct mgraph g;
    uint32_t *order; /* g.n: a topological order (mgraph_topo) */
    double *work;    /* g.n: fwd + bwd ms per micro-batch, profiled device */
    size_t nd;
    struct ppipe_dev dev[PPIPE_MAX_DEV];
    double bw[PPIPE_MAX_DEV * PPIPE_MAX_DEV];  /* bytes/s, row-major */
    double lat[PPIPE_MAX_DEV * PPIPE_MAX_DEV]; /* s */
    char links[96]; /* the links in words, for the table's heading */
    int json;
};

/* Which search gave the plan (partcmd_pipeline). */
struct partcmd_search {
    int optimal;  /* over every topological order */
    int chain;    /* the graph has one order */
    size_t nsets; /* its down-sets; PIDEAL_MAX_SETS + 1: more */
};

static void partcmd_table(const struct partcmd_ctx *c,
                          const struct ppipe_in *in, const struct ppipe_plan *p,
                          const struct partcmd_search *s)
{
    const struct mgraph *g = &c->g;
    printf("model %s (%zu layers, %s), %zu devices, links %s\n", g->name, g->n,
           c->path, in->ndev, c->links);
    printf("%-6s %-12s %-28s %12s %10s %12s\n", "stage", "device", "layers",
           "compute ms", "link ms", "memory MB");
    for (unsigned k = 0; k < p->nstages; k++) {
        char range[64];
        partcmd_range(g, in->order, p->first[k], p->first[k + 1], range,
                      sizeof range);
        printf("%-6u %-12s %-28s %12.3f %10.3f %12.1f\n", k + 1,
               in->dev[p->dev[k]].name, range, p->compute_ms[k], p->comm_ms[k],
               p->mem_bytes[k] / 1e6);
    }
    printf("bottleneck %.3f ms per micro-batch (%.1f per s), lower bound "
           "%.3f ms, ratio %.4f\n",
           p->bottleneck_ms, 1e3 / p->bottleneck_ms, p->bound_ms,
           p->bound_ms > 0 ? p->bottleneck_ms / p->bound_ms : 1);
    if (s->chain)
        printf("search: exact; the graph is a chain (one topological order): "
               "the proven optimum\n");
    else if (s->optimal)
        printf("search: exact over all %zu down-sets (every topological "
               "order): the proven optimum\n",
               s->nsets);
    else
        printf("search: exact for one topological order only (more than %d "
               "down-sets): not proven optimal\n",
               PIDEAL_MAX_SETS);
}

static void partcmd_json(const struct partcmd_ctx *c, const struct ppipe_in *in,
                         const struct ppipe_plan *p,
                         const struct partcmd_search *s)
{
    const struct mgraph *g = &c->g;
    printf("{\"model\":\"%s\",\"layers\":%zu,\"devices\":%zu,\"stages\":[",
           g->name, g->n, in->ndev);
    for (unsigned k = 0; k < p->nstages; k++)
        printf("%s{\"device\":\"%s\",\"first\":\"%s\",\"last\":\"%s\","
               "\"layers\":%zu,\"compute_ms\":%.9g,\"link_ms\":%.9g,"
               "\"memory_bytes\":%.9g}",
               k ? "," : "", in->dev[p->dev[k]].name,
               g->node[in->order[p->first[k]]].name,
               g->node[in->order[p->first[k + 1] - 1]].name,
               p->first[k + 1] - p->first[k], p->compute_ms[k], p->comm_ms[k],
               p->mem_bytes[k]);
    printf("],\"bottleneck_ms\":%.9g,\"bound_ms\":%.9g,\"ratio\":%.9g,"
           "\"optimal\":%s,\"search\":\"%s\",",
           p->bottleneck_ms, p->bound_ms,
           p->bound_ms > 0 ? p->bottleneck_ms / p->bound_ms : 1,
           s->optimal ? "true" : "false",
           s->chain     ? "chain"
           : s->optimal ? "all-orders"
                        : "one-order");
    if (s->optimal)
        printf("\"down_sets\":%zu}\n", s->nsets);
    else
        printf("\"down_sets\":null}\n");
}

/* --method pipeline: the training pipeline, exact over every topological
 * order when the graph's down-sets fit pideal's cap (part/pideal.h),
 * else exact for the default order (part/ppipe.h). */
static int partcmd_pipeline(const struct partcmd_ctx *c)
{
    const size_t n = c->g.n;
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) {
        fprintf(stderr, "wattson: out of memory\n");
        return RUN_ERR;
    }
    struct ppipe_in in = {&c->g,  c->order, c->work, c->nd,
                          c->dev, c->bw,    c->lat};
    struct ppipe_plan plan;
    struct pideal_info info;
    char err[512];
    int rc = pideal_solve(&in, PIDEAL_MAX_SETS, order, &plan, &info, err,
                          sizeof err);
    const struct partcmd_search s = {rc == 0, info.chain, info.nsets};
    if (rc == 1) {
        memcpy(order, c->order, n * sizeof *order);
        rc = ppipe_solve(&in, &plan, err, sizeof err);
    }
    if (rc != 0) {
        fprintf(stderr, "wattson: %s: %s\n", c->path, err);
        free(order);
        return RUN_LAB;
    }
    in.order = order; /* the stages are contiguous in it */
    if (c->json)
        partcmd_json(c, &in, &plan, &s);
    else
        partcmd_table(c, &in, &plan, &s);
    free(order);
    return RUN_OK;
}

/* The methods --method names; the first is the default. */
static const struct {
    const char *name;
    int (*run)(const struct partcmd_ctx *c);
} partcmd_methods[] = {
    {"pipeline", partcmd_pipeline},
};
#define PARTCMD_NMETHODS (sizeof partcmd_methods / sizeof partcmd_methods[0])

/* --devices and --link into c's devices and link matrices: 0, or the
 * exit code (one line said). */
static int partcmd_devmap(const struct cli_args *a, struct partcmd_ctx *c)
{
    if (!a->devices)
        return partcmd_usage("%s", "partition needs --devices SPEC");
    if (partcmd_devices(a->devices, c->dev, &c->nd) != 0)
        return RUN_USAGE;
    double bw = 12e9, lat = 10e-6;
    if (a->link) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", a->link);
        char *slash = strchr(buf, '/');
        if (slash)
            *slash++ = '\0';
        if (sinum_parse(buf, "B", &bw) != 0 || !(bw > 0) ||
            (slash && (sinum_parse(slash, "s", &lat) != 0 || !(lat >= 0))))
            return partcmd_usage("--link: '%s': BANDWIDTH[/LATENCY], e.g. "
                                 "12G/10us",
                                 a->link);
    }
    for (size_t k = 0; k < c->nd * c->nd; k++) {
        c->bw[k] = bw;
        c->lat[k] = lat;
    }
    snprintf(c->links, sizeof c->links, "%.3g GB/s %.3g us", bw / 1e9,
             lat * 1e6);
    return 0;
}

/* The model, its order and its layers' work into c: 0, or the exit code
 * (one line said). */
static int partcmd_model(struct partcmd_ctx *c)
{
    char err[512];
    if (partcmd_read(c->path, &c->g, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: %s\n", err);
        return RUN_LAB;
    }
    const struct mgraph *g = &c->g;
    c->order = malloc((g->n ? g->n : 1) * sizeof *c->order);
    c->work = malloc((g->n ? g->n : 1) * sizeof *c->work);
    if (!c->order || !c->work) {
        fprintf(stderr, "wattson: out of memory\n");
        return RUN_ERR;
    }
    if (mgraph_topo(g, c->order, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: %s: %s\n", c->path, err);
        return RUN_LAB;
    }
    for (size_t u = 0; u < g->n; u++) {
        const struct mgraph_node *nd = &g->node[u];
        if (nd->fwd_ms == nd->fwd_ms)
            c->work[u] =
                nd->fwd_ms + (nd->bwd_ms == nd->bwd_ms ? nd->bwd_ms : 0);
        else if (nd->flops == nd->flops)
            c->work[u] = 3 * nd->flops / PARTCMD_REF_FLOPS * 1e3;
        else
            c->work[u] = 0;
    }
    return 0;
}

static int partcmd_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc != 1)
        return partcmd_usage("%s", "partition takes one MODEL file");
    size_t m = 0;
    if (a->method) {
        while (m < PARTCMD_NMETHODS &&
               strcmp(partcmd_methods[m].name, a->method) != 0)
            m++;
        if (m == PARTCMD_NMETHODS)
            return partcmd_usage("--method: '%s' is not pipeline", a->method);
    }
    struct partcmd_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        fprintf(stderr, "wattson: out of memory\n");
        return RUN_ERR;
    }
    c->path = a->argv[0];
    c->json = a->json;
    mgraph_init(&c->g);
    int rc = partcmd_devmap(a, c);
    if (rc == 0)
        rc = partcmd_model(c);
    if (rc == 0)
        rc = partcmd_methods[m].run(c);
    free(c->order);
    free(c->work);
    mgraph_free(&c->g);
    free(c);
    return rc;
}

const struct cli_entry partcmd_entry = {
    .name = "partition",
    .usage = "MODEL",
    .help = "a training pipeline: MODEL's layers (a PipeDream profile or a\n"
            "Darknet .cfg) cut into stages over --devices, the bottleneck\n"
            "minimal under each device's memory, with its lower bound",
    .opts = 1u << CLI_OPT_DEVICES | 1u << CLI_OPT_LINK | 1u << CLI_OPT_JSON |
            1u << CLI_OPT_METHOD,
    .exec = partcmd_exec,
};

/*
 * partcmd - `wattson partition MODEL (--devices SPEC [--link BW[/LAT]] |
 * --lab LAB) [--method NAME] [--json]` (issue 15): a model's layers cut into
 * a training pipeline over the devices given (part/ppipe.h), printed as a
 * table of stages or one JSON object.  --lab takes the devices and the
 * routes between them from the lab's `cluster` table (core/labclu.h).
 *
 * MODEL is a PipeDream profile (part/pdprof.h: per-layer forward and
 * backward times and sizes, measured per batch) or a Darknet network
 * definition (.cfg, part/dncfg.h: FLOPs and sizes per sample, from which
 * a layer's work is 3 x its forward FLOPs over a reference device,
 * part/pmodel.h, per sample: the stages are per micro-batch of one).
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
#include "core/lab.h"
#include "core/labclu.h"
#include "core/sinum.h"
#include "part/mgraph.h"
#include "part/pmodel.h"
#include "part/ppipe.h"

/* A lab's device map goes to the partitioner whole. */
_Static_assert(LABCLU_MAX_DEV == PPIPE_MAX_DEV,
               "core/labclu.h's device limit is the partitioner's");

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
    char links[160]; /* the links in words, for the table's heading */
    int json;
};

static void partcmd_table(const struct partcmd_ctx *c,
                          const struct ppipe_in *in, const struct ppipe_plan *p)
{
    const struct mgraph *g = &c->g;
    printf("model %s (%zu layers, %s), %zu devices, links %s\n", g->name, g->n,
           c->path, in->ndev, c->links);
    printf("%-6s %-12s %-28s %12s %10s %12s\n", "stage", "device", "layers",
           "compute ms", "link ms", "memory MB");
    for (unsigned k = 0; k < p->nstages; k++) {
        char range[64];
        partcmd_range(g, c->order, p->first[k], p->first[k + 1], range,
                      sizeof range);
        printf("%-6u %-12s %-28s %12.3f %10.3f %12.1f\n", k + 1,
               in->dev[p->dev[k]].name, range, p->compute_ms[k], p->comm_ms[k],
               p->mem_bytes[k] / 1e6);
    }
    printf("bottleneck %.3f ms per micro-batch (%.1f per s), lower bound "
           "%.3f ms, ratio %.4f\n",
           p->bottleneck_ms, 1e3 / p->bottleneck_ms, p->bound_ms,
           p->bound_ms > 0 ? p->bottleneck_ms / p->bound_ms : 1);
}

static void partcmd_json(const struct partcmd_ctx *c, const struct ppipe_in *in,
                         const struct ppipe_plan *p)
{
    const struct mgraph *g = &c->g;
    printf("{\"model\":\"%s\",\"layers\":%zu,\"devices\":%zu,\"stages\":[",
           g->name, g->n, in->ndev);
    for (unsigned k = 0; k < p->nstages; k++)
        printf("%s{\"device\":\"%s\",\"first\":\"%s\",\"last\":\"%s\","
               "\"layers\":%zu,\"compute_ms\":%.9g,\"link_ms\":%.9g,"
               "\"memory_bytes\":%.9g}",
               k ? "," : "", in->dev[p->dev[k]].name,
               g->node[c->order[p->first[k]]].name,
               g->node[c->order[p->first[k + 1] - 1]].name,
               p->first[k + 1] - p->first[k], p->compute_ms[k], p->comm_ms[k],
               p->mem_bytes[k]);
    printf("],\"bottleneck_ms\":%.9g,\"bound_ms\":%.9g,\"ratio\":%.9g}\n",
           p->bottleneck_ms, p->bound_ms,
           p->bound_ms > 0 ? p->bottleneck_ms / p->bound_ms : 1);
}

/* --method pipeline: the training pipeline (part/ppipe.h). */
static int partcmd_pipeline(const struct partcmd_ctx *c)
{
    const struct ppipe_in in = {&c->g,  c->order, c->work, c->nd,
                                c->dev, c->bw,    c->lat};
    struct ppipe_plan plan;
    char err[512];
    if (ppipe_solve(&in, &plan, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: %s: %s\n", c->path, err);
        return RUN_LAB;
    }
    if (c->json)
        partcmd_json(c, &in, &plan);
    else
        partcmd_table(c, &in, &plan);
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

/* --lab LAB: the lab's `cluster` into c (its devices, the routes between
 * them, the link kinds for the heading): 0, or RUN_LAB (one line said). */
static int partcmd_labmap(const char *path, struct partcmd_ctx *c)
{
    char err[1024];
    struct lab *lab;
    if (lab_load_file(path, &lab, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: %s\n", err);
        return RUN_LAB;
    }
    const struct labclu *m = lab->cluster;
    if (!m) {
        fprintf(stderr,
                "wattson: %s: no cluster table (partition --lab needs the "
                "lab's device map: cluster = { devices = ..., links = ... })\n",
                path);
        lab_free(lab);
        return RUN_LAB;
    }
    c->nd = m->ndev;
    for (size_t i = 0; i < m->ndev; i++) {
        snprintf(c->dev[i].name, sizeof c->dev[i].name, "%s", m->dev[i].name);
        c->dev[i].speed = m->dev[i].speed;
        c->dev[i].mem_bytes = m->dev[i].mem_bytes;
    }
    memcpy(c->bw, m->bw, m->ndev * m->ndev * sizeof *c->bw);
    memcpy(c->lat, m->lat, m->ndev * m->ndev * sizeof *c->lat);
    labclu_describe(m, c->links, sizeof c->links);
    lab_free(lab);
    return 0;
}

/* --devices and --link, or --lab, into c's devices and link matrices: 0,
 * or the exit code (one line said). */
static int partcmd_devmap(const struct cli_args *a, struct partcmd_ctx *c)
{
    if (a->run.lab_path) {
        if (a->devices || a->link)
            return partcmd_usage("%s", "--lab takes the devices and links "
                                       "from the lab: not with --devices or "
                                       "--link");
        return partcmd_labmap(a->run.lab_path, c);
    }
    if (!a->devices)
        return partcmd_usage("%s", "partition needs --devices SPEC or --lab "
                                   "LAB");
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

/* The model, its order and its layers' work (training: forward and
 * backward) into c: 0, or the exit code (one line said). */
static int partcmd_model(struct partcmd_ctx *c)
{
    char err[512];
    struct pmodel m;
    const int rc = pmodel_load(&m, c->path, PMODEL_TRAIN, err, sizeof err);
    /* c owns what was read, freed with it whether or not it loaded */
    c->g = m.g;
    c->order = m.order;
    c->work = m.work;
    if (rc != 0) {
        fprintf(stderr, "wattson: %s\n", err);
        return RUN_LAB;
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
            "Darknet .cfg) cut into stages over --devices (or the cluster\n"
            "table of --lab FILE), the bottleneck minimal under each\n"
            "device's memory, with its lower bound",
    .opts = 1u << CLI_OPT_DEVICES | 1u << CLI_OPT_LINK | 1u << CLI_OPT_JSON |
            1u << CLI_OPT_METHOD | 1u << CLI_OPT_LAB,
    .exec = partcmd_exec,
};

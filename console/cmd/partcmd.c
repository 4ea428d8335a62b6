/*
 * partcmd - `wattson partition MODEL (--devices SPEC [--link BW[/LAT]] |
 * --lab LAB) [--method NAME] [--json]` (issue 15): a model's layers cut into
 * a training pipeline over the devices given (part/ppipe.h), printed as a
 * table of stages or one JSON object; or, for comparison, METIS's k-way
 * assignment evaluated under the same cost model and the pipeline solved on
 * the order it suggests (--method metis, part/pmetis.h), or the naive
 * equal-layer split (--method equal, part/pbase.h).  --lab takes the
 * devices and the routes between them from the lab's `cluster` table
 * (core/labclu.h).
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
#include "part/pbase.h"
#include "part/pmetis.h"
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

static void partcmd_heading(const struct partcmd_ctx *c)
{
    printf("model %s (%zu layers, %s), %zu devices, links %s\n", c->g.name,
           c->g.n, c->path, c->nd, c->links);
}

static double partcmd_ratio(double b, double bound)
{
    return bound > 0 ? b / bound : 1;
}

/* A plan's stages over `order` and its bottleneck line. */
static void partcmd_stages(const struct partcmd_ctx *c, const uint32_t *order,
                           const struct ppipe_plan *p)
{
    const struct mgraph *g = &c->g;
    printf("%-6s %-12s %-28s %12s %10s %12s\n", "stage", "device", "layers",
           "compute ms", "link ms", "memory MB");
    for (unsigned k = 0; k < p->nstages; k++) {
        char range[64];
        partcmd_range(g, order, p->first[k], p->first[k + 1], range,
                      sizeof range);
        printf("%-6u %-12s %-28s %12.3f %10.3f %12.1f\n", k + 1,
               c->dev[p->dev[k]].name, range, p->compute_ms[k], p->comm_ms[k],
               p->mem_bytes[k] / 1e6);
    }
    printf("bottleneck %.3f ms per micro-batch (%.1f per s), lower bound "
           "%.3f ms, ratio %.4f\n",
           p->bottleneck_ms, 1e3 / p->bottleneck_ms, p->bound_ms,
           partcmd_ratio(p->bottleneck_ms, p->bound_ms));
}

/* A plan's stages over `order` as JSON members: "stages", "bottleneck_ms",
 * "bound_ms", "ratio". */
static void partcmd_json_stages(const struct partcmd_ctx *c,
                                const uint32_t *order,
                                const struct ppipe_plan *p)
{
    const struct mgraph *g = &c->g;
    printf("\"stages\":[");
    for (unsigned k = 0; k < p->nstages; k++)
        printf("%s{\"device\":\"%s\",\"first\":\"%s\",\"last\":\"%s\","
               "\"layers\":%zu,\"compute_ms\":%.9g,\"link_ms\":%.9g,"
               "\"memory_bytes\":%.9g}",
               k ? "," : "", c->dev[p->dev[k]].name,
               g->node[order[p->first[k]]].name,
               g->node[order[p->first[k + 1] - 1]].name,
               p->first[k + 1] - p->first[k], p->compute_ms[k], p->comm_ms[k],
               p->mem_bytes[k]);
    printf("],\"bottleneck_ms\":%.9g,\"bound_ms\":%.9g,\"ratio\":%.9g",
           p->bottleneck_ms, p->bound_ms,
           partcmd_ratio(p->bottleneck_ms, p->bound_ms));
}

/* The JSON object's opening members, up to the method's own. */
static void partcmd_json_head(const struct partcmd_ctx *c, const char *method)
{
    printf("{\"model\":\"%s\",\"layers\":%zu,\"devices\":%zu,"
           "\"method\":\"%s\",",
           c->g.name, c->g.n, c->nd, method);
}

static struct ppipe_in partcmd_in(const struct partcmd_ctx *c,
                                  const uint32_t *order)
{
    return (struct ppipe_in){&c->g,  order, c->work, c->nd,
                             c->dev, c->bw, c->lat};
}

/* --method pipeline: the training pipeline (part/ppipe.h). */
static int partcmd_pipeline(const struct partcmd_ctx *c)
{
    const struct ppipe_in in = partcmd_in(c, c->order);
    struct ppipe_plan plan;
    char err[512];
    if (ppipe_solve(&in, &plan, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: %s: %s\n", c->path, err);
        return RUN_LAB;
    }
    if (c->json) {
        partcmd_json_head(c, "pipeline");
        partcmd_json_stages(c, c->order, &plan);
        printf("}\n");
    } else {
        partcmd_heading(c);
        partcmd_stages(c, c->order, &plan);
    }
    return RUN_OK;
}

/* --method equal: the naive equal-layer split (part/pbase.h). */
static int partcmd_equal(const struct partcmd_ctx *c)
{
    const struct ppipe_in in = partcmd_in(c, c->order);
    struct ppipe_plan plan;
    int fits;
    char err[512];
    if (pbase_equal(&in, &plan, &fits, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: %s: %s\n", c->path, err);
        return RUN_LAB;
    }
    if (c->json) {
        partcmd_json_head(c, "equal");
        partcmd_json_stages(c, c->order, &plan);
        printf(",\"fits\":%s}\n", fits ? "true" : "false");
    } else {
        partcmd_heading(c);
        printf("equal-layer split (naive baseline: layer counts only, "
               "devices in the order given)\n");
        partcmd_stages(c, c->order, &plan);
        printf("fits memory: %s\n", fits ? "yes" : "no");
    }
    return RUN_OK;
}

/* The METIS assignment's evaluation as a table (pmetis.h). */
static void partcmd_metis_table(const struct partcmd_ctx *c,
                                const struct pmetis_eval *ev, long long cut,
                                double bound)
{
    printf("METIS k-way (libmetis, seed %d, each device's share of the work "
           "by its speed), edge cut %lld (scaled bytes)\n",
           PMETIS_SEED, cut);
    printf("%-3s %-12s %8s %12s %12s %6s %5s\n", "#", "device", "layers",
           "compute ms", "memory MB", "stage", "fits");
    for (unsigned d = 0; d < ev->ndev; d++) {
        char stage[16] = "-";
        if (ev->stage[d] >= 0)
            snprintf(stage, sizeof stage, "%d", ev->stage[d] + 1);
        printf("%-3u %-12s %8zu %12.3f %12.1f %6s %5s\n", d + 1, c->dev[d].name,
               ev->layers[d], ev->compute_ms[d], ev->mem_bytes[d] / 1e6, stage,
               !ev->layers[d] || ev->mem_bytes[d] <= c->dev[d].mem_bytes
                   ? "yes"
                   : "no");
    }
    for (unsigned a = 0; a < ev->ndev; a++)
        for (unsigned b = 0; b < ev->ndev; b++) {
            const size_t k = (size_t)a * ev->ndev + b;
            if (ev->link_ms[k] > 0)
                printf("link %u %s -> %u %s: %.3f ms (%.1f MB)\n", a + 1,
                       c->dev[a].name, b + 1, c->dev[b].name, ev->link_ms[k],
                       ev->link_bytes[k] / 1e6);
        }
    printf("bottleneck %.3f ms per micro-batch, lower bound %.3f ms, ratio "
           "%.4f; quotient acyclic: %s; fits memory: %s\n",
           ev->bottleneck_ms, bound, partcmd_ratio(ev->bottleneck_ms, bound),
           ev->acyclic ? "yes" : "no (a cycle between devices: not a pipeline)",
           ev->fits ? "yes" : "no");
}

static void partcmd_metis_json(const struct partcmd_ctx *c,
                               const struct pmetis_eval *ev, long long cut,
                               double bound, const uint32_t *part)
{
    partcmd_json_head(c, "metis");
    printf("\"edgecut\":%lld,\"per_device\":[", cut);
    for (unsigned d = 0; d < ev->ndev; d++) {
        printf("%s{\"device\":\"%s\",\"index\":%u,\"layers\":%zu,"
               "\"compute_ms\":%.9g,\"memory_bytes\":%.9g,",
               d ? "," : "", c->dev[d].name, d, ev->layers[d],
               ev->compute_ms[d], ev->mem_bytes[d]);
        if (ev->stage[d] >= 0)
            printf("\"stage\":%d}", ev->stage[d]);
        else
            printf("\"stage\":null}");
    }
    printf("],\"links\":[");
    int first = 1;
    for (unsigned a = 0; a < ev->ndev; a++)
        for (unsigned b = 0; b < ev->ndev; b++) {
            const size_t k = (size_t)a * ev->ndev + b;
            if (ev->link_ms[k] > 0) {
                printf("%s{\"from\":%u,\"to\":%u,\"bytes\":%.9g,"
                       "\"link_ms\":%.9g}",
                       first ? "" : ",", a, b, ev->link_bytes[k],
                       ev->link_ms[k]);
                first = 0;
            }
        }
    printf("],\"bottleneck_ms\":%.9g,\"bound_ms\":%.9g,\"ratio\":%.9g,"
           "\"acyclic\":%s,\"fits\":%s,\"assignment\":[",
           ev->bottleneck_ms, bound, partcmd_ratio(ev->bottleneck_ms, bound),
           ev->acyclic ? "true" : "false", ev->fits ? "true" : "false");
    for (size_t u = 0; u < c->g.n; u++)
        printf("%s{\"layer\":\"%s\",\"device\":%u}", u ? "," : "",
               c->g.node[u].name, part[u]);
    printf("],");
}

/* --method metis: libmetis's k-way assignment evaluated under the
 * pipeline's cost model, then the pipeline solved on the order it
 * suggests (part/pmetis.h). */
static int partcmd_metis(const struct partcmd_ctx *c)
{
    const struct ppipe_in in = partcmd_in(c, c->order);
    const size_t n = c->g.n;
    uint32_t *part = malloc(n * sizeof *part), *mord = malloc(n * sizeof *mord);
    struct pmetis_eval ev;
    struct ppipe_plan plan;
    long long cut;
    int contiguous, rc = RUN_LAB;
    char err[512], perr[512];
    if (!part || !mord) {
        fprintf(stderr, "wattson: out of memory\n");
        rc = RUN_ERR;
        goto out;
    }
    if (pmetis_kway(&in, part, &cut, err, sizeof err) != 0 ||
        pmetis_eval(&in, part, &ev, err, sizeof err) != 0 ||
        pmetis_order(&in, part, mord, &contiguous, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: %s: %s\n", c->path, err);
        goto out;
    }
    const double bound = ppipe_lower_bound(&in);
    const struct ppipe_in min = partcmd_in(c, mord);
    const int solved = ppipe_solve(&min, &plan, perr, sizeof perr) == 0;
    if (c->json) {
        partcmd_metis_json(c, &ev, cut, bound, part);
        printf("\"on_metis_order\":");
        if (solved) {
            printf("{\"contiguous\":%s,", contiguous ? "true" : "false");
            partcmd_json_stages(c, mord, &plan);
            printf("}}\n");
        } else {
            printf("null,\"on_metis_order_error\":\"%s\"}\n", perr);
        }
    } else {
        partcmd_heading(c);
        partcmd_metis_table(c, &ev, cut, bound);
        printf("pipeline on the METIS order (each device's layers %s):\n",
               contiguous ? "contiguous" : "not all contiguous");
        if (solved)
            partcmd_stages(c, mord, &plan);
        else
            printf("none: %s\n", perr);
    }
    rc = RUN_OK;
out:
    free(part);
    free(mord);
    return rc;
}

/* The methods --method names; the first is the default. */
static const struct {
    const char *name;
    int (*run)(const struct partcmd_ctx *c);
} partcmd_methods[] = {
    {"pipeline", partcmd_pipeline},
    {"metis", partcmd_metis},
    {"equal", partcmd_equal},
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
            return partcmd_usage("--method: '%s' is not pipeline, metis or "
                                 "equal",
                                 a->method);
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
            "device's memory, with its lower bound; or a baseline under\n"
            "the same costs (--method metis, equal)",
    .opts = 1u << CLI_OPT_DEVICES | 1u << CLI_OPT_LINK | 1u << CLI_OPT_JSON |
            1u << CLI_OPT_METHOD | 1u << CLI_OPT_LAB,
    .exec = partcmd_exec,
};

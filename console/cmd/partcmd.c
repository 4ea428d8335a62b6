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
 *
 * --method split is split inference instead (part/psplit.h): --devices
 * in order are the tiers, the user's device first; --link one BW/LAT for
 * every link or one per neighbouring pair; the layers' work is forward
 * only (a profile's fwd_ms per batch, a cfg's FLOPs over
 * PMODEL_REF_FLOPS per sample, no x3), scaled by the input's complexity
 * (part/pcplx.h: --input IMAGE or --complexity N|LEN/MAX, default 50).
 * It prints the optimum against the chain scan, all local and all remote.
 * A bad or unreadable --input is exit 3.
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
#include "core/json.h"
#include "part/mgraph.h"
#include "part/pbase.h"
#include "part/pcost.h"
#include "part/pcplx.h"
#include "part/pideal.h"
#include "part/pmetis.h"
#include "part/pmodel.h"
#include "part/ppipe.h"
#include "part/psplit.h"

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
    /* --link as a list, one per consecutive pair (split's chain) */
    size_t nlinks;
    double chain_bw[PPIPE_MAX_DEV], chain_lat[PPIPE_MAX_DEV];
    int order_only;    /* --search order: ppipe on the default order */
    int from_lab;      /* the devices are a lab's cluster (their memory is
                          theirs, not asked for: split ignores it) */
    const char *input; /* --input FILE */
    double score;      /* --complexity, NaN when not given */
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

/* "key":"value" with the value escaped (names come from the user's files
 * and options), then `after`. */
static void partcmd_jstr(const char *key, const char *value, const char *after)
{
    printf("\"%s\":", key);
    json_put_string(stdout, value);
    fputs(after, stdout);
}

/* A plan's stages over `order` as JSON members: "stages", "bottleneck_ms",
 * "bound_ms", "ratio". */
static void partcmd_json_stages(const struct partcmd_ctx *c,
                                const uint32_t *order,
                                const struct ppipe_plan *p)
{
    const struct mgraph *g = &c->g;
    printf("\"stages\":[");
    for (unsigned k = 0; k < p->nstages; k++) {
        printf("%s{", k ? "," : "");
        partcmd_jstr("device", c->dev[p->dev[k]].name, ",");
        partcmd_jstr("first", g->node[order[p->first[k]]].name, ",");
        partcmd_jstr("last", g->node[order[p->first[k + 1] - 1]].name, ",");
        printf("\"layers\":%zu,\"compute_ms\":%.9g,\"link_ms\":%.9g,"
               "\"memory_bytes\":%.9g}",
               p->first[k + 1] - p->first[k], p->compute_ms[k], p->comm_ms[k],
               p->mem_bytes[k]);
    }
    printf("],\"bottleneck_ms\":%.9g,\"bound_ms\":%.9g,\"ratio\":%.9g",
           p->bottleneck_ms, p->bound_ms,
           partcmd_ratio(p->bottleneck_ms, p->bound_ms));
}

/* The JSON object's opening members, up to the method's own. */
static void partcmd_json_head(const struct partcmd_ctx *c, const char *method)
{
    printf("{");
    partcmd_jstr("model", c->g.name, ",");
    printf("\"layers\":%zu,\"devices\":%zu,\"method\":\"%s\",", c->g.n, c->nd,
           method);
}

static struct ppipe_in partcmd_in(const struct partcmd_ctx *c,
                                  const uint32_t *order)
{
    return (struct ppipe_in){&c->g,  order, c->work, c->nd,
                             c->dev, c->bw, c->lat};
}

/* Which search gave the plan (partcmd_pipeline). */
struct partcmd_search {
    int optimal;  /* over every topological order */
    int chain;    /* the graph has one order */
    size_t nsets; /* its down-sets; PIDEAL_MAX_SETS + 1: more */
};

static const char *partcmd_search_word(const struct partcmd_search *s)
{
    return s->chain ? "chain" : s->optimal ? "all-orders" : "one-order";
}

/* --method pipeline: the training pipeline, exact over every topological
 * order when the graph's down-sets fit pideal's cap (part/pideal.h),
 * else exact for the default order (part/ppipe.h). */
static int partcmd_pipeline(const struct partcmd_ctx *c)
{
    if (c->nlinks > 1)
        return partcmd_usage("%s", "--link: a list is for --method split; "
                                   "the pipeline takes one BW[/LAT]");
    const size_t n = c->g.n;
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) {
        fprintf(stderr, "wattson: out of memory\n");
        return RUN_ERR;
    }
    const struct ppipe_in in = partcmd_in(c, c->order);
    struct ppipe_plan plan;
    struct pideal_info info;
    char err[512];
    int rc = 1;
    info.nsets = 0;
    info.chain = 0;
    if (!c->order_only)
        rc = pideal_solve(&in, PIDEAL_MAX_SETS, order, &plan, &info, err,
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
    /* the stages are contiguous in `order` */
    if (c->json) {
        partcmd_json_head(c, "pipeline");
        partcmd_json_stages(c, order, &plan);
        printf(",\"optimal\":%s,\"search\":\"%s\",",
               s.optimal ? "true" : "false", partcmd_search_word(&s));
        if (s.optimal)
            printf("\"down_sets\":%zu}\n", s.nsets);
        else
            printf("\"down_sets\":null}\n");
    } else {
        partcmd_heading(c);
        partcmd_stages(c, order, &plan);
        if (s.chain)
            printf("search: exact; the graph is a chain (one topological "
                   "order): the proven optimum\n");
        else if (s.optimal)
            printf("search: exact over all %zu down-sets (every topological "
                   "order): the proven optimum\n",
                   s.nsets);
        else if (c->order_only)
            printf("search: exact for one topological order only (--search "
                   "order): not proven optimal\n");
        else
            printf("search: exact for one topological order only (more than "
                   "%d down-sets): not proven optimal\n",
                   PIDEAL_MAX_SETS);
    }
    free(order);
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
    printf("bottleneck %.3f ms per micro-batch, lower bound (any "
           "assignment) %.3f ms, ratio %.4f; quotient acyclic: %s; fits "
           "memory: %s\n",
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
        printf("%s{", d ? "," : "");
        partcmd_jstr("device", c->dev[d].name, ",");
        printf("\"index\":%u,\"layers\":%zu,\"compute_ms\":%.9g,"
               "\"memory_bytes\":%.9g,",
               d, ev->layers[d], ev->compute_ms[d], ev->mem_bytes[d]);
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
    for (size_t u = 0; u < c->g.n; u++) {
        printf("%s{", u ? "," : "");
        partcmd_jstr("layer", c->g.node[u].name, ",");
        printf("\"device\":%u}", part[u]);
    }
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
    /* METIS's assignment need not be a pipeline: the bound for any */
    const double bound = pcost_bound_any(&in);
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
            printf("null,");
            partcmd_jstr("on_metis_order_error", perr, "}\n");
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

/* ---- --method split -------------------------------------------------- */

/* The four plans split prints: the optimum, the chain scan, all on the
 * user's device, all on the last tier. */
enum { PS_CUT, PS_SCAN, PS_LOCAL, PS_REMOTE, PS_N };
static const char *const partcmd_plan_name[PS_N] = {"min-cut", "chain scan",
                                                    "all local", "all remote"};

struct partcmd_split {
    struct psplit_in in;
    struct psplit_tier tier[PSPLIT_MAX_TIERS];
    double *fwd;          /* g.n: forward ms on the profiled device */
    uint8_t *tiers[PS_N]; /* g.n each: the plans */
    uint8_t *crit;        /* g.n: the optimum's layers on its critical path */
    struct psplit_cost cost[PS_N];
    double score;
    struct pcplx_feat feat; /* --input's, when given */
};

/* The layers of tier t as runs of the order, "a..b,c", cut to fit. */
static void partcmd_runs(const struct partcmd_ctx *c, const uint8_t *tier,
                         unsigned t, char *buf, size_t len)
{
    const struct mgraph *g = &c->g;
    size_t at = 0, left = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < g->n; k++) {
        if (tier[c->order[k]] != t)
            continue;
        size_t e = k;
        while (e + 1 < g->n && tier[c->order[e + 1]] == t)
            e++;
        char run[128];
        partcmd_range(g, c->order, k, e + 1, run, sizeof run);
        if (left || at + strlen(run) + 16 > len) {
            left += e + 1 - k;
        } else {
            at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? "," : "",
                                   run);
        }
        k = e;
    }
    if (left)
        snprintf(buf + at, len - at, ",... (+%zu)", left);
}

/* Remote layers of the optimum on and off its critical path. */
static void partcmd_remote(const struct partcmd_split *ps, size_t *on,
                           size_t *off)
{
    *on = *off = 0;
    for (size_t t = 1; t < ps->in.ntiers; t++) {
        *on += ps->cost[PS_CUT].crit_layers[t];
        *off += ps->cost[PS_CUT].layers[t] - ps->cost[PS_CUT].crit_layers[t];
    }
}

static void partcmd_split_table(const struct partcmd_ctx *c,
                                const struct partcmd_split *ps)
{
    const struct mgraph *g = &c->g;
    const size_t T = ps->in.ntiers;
    const struct psplit_cost *best = &ps->cost[PS_CUT];
    printf("model %s (%zu layers, %s), split inference over %zu tiers\n",
           g->name, g->n, c->path, T);
    if (c->input)
        printf("input %s: entropy %.3f bits, edge density %.4f, ", c->input,
               ps->feat.entropy, ps->feat.edge_density);
    else
        printf("input: ");
    printf("complexity %.1f, compute x %.3f; %.4g MB sent\n", ps->score,
           ps->in.scale, ps->in.in_bytes / 1e6);
    printf("%-4s %-12s %8s %7s %12s %9s  %s\n", "tier", "device", "speed",
           "layers", "compute ms", "critical", "layers (topological order)");
    for (unsigned t = 0; t < T; t++) {
        char runs[160];
        partcmd_runs(c, ps->tiers[PS_CUT], t, runs, sizeof runs);
        if (!runs[0])
            snprintf(runs, sizeof runs, "-");
        printf("%-4u %-12s %8.3g %7zu %12.3f %9zu  %s\n", t, ps->tier[t].name,
               ps->tier[t].speed, best->layers[t], best->compute_ms[t],
               best->crit_layers[t], runs);
    }
    printf("%-4s %-26s %10s %10s %12s %12s\n", "link", "", "MB/s", "lat ms",
           "MB", "ms");
    for (size_t i = 0; i + 1 < T; i++) {
        char pair[80];
        snprintf(pair, sizeof pair, "%s -> %s", ps->tier[i].name,
                 ps->tier[i + 1].name);
        printf("%-4zu %-26s %10.4g %10.4g %12.4g %12.3f\n", i, pair,
               ps->in.bw[i] / 1e6, ps->in.lat[i] * 1e3,
               best->link_bytes[i] / 1e6, best->link_ms[i]);
    }
    printf("%-12s %12s %12s  %s\n", "plan", "total ms", "critical ms",
           "layers per tier");
    for (int k = 0; k < PS_N; k++) {
        char per[64];
        size_t at = 0;
        for (size_t t = 0; t < T; t++)
            at += (size_t)snprintf(per + at, sizeof per - at, "%s%zu",
                                   t ? "/" : "", ps->cost[k].layers[t]);
        printf("%-12s %12.3f %12.3f  %s\n", partcmd_plan_name[k],
               ps->cost[k].total_ms, ps->cost[k].critical_ms, per);
    }
    size_t on, off;
    partcmd_remote(ps, &on, &off);
    size_t ncrit = 0;
    for (size_t t = 0; t < T; t++)
        ncrit += best->crit_layers[t];
    printf("critical path %.3f ms through %zu layers, %zu of them remote; "
           "%zu remote layers off it (branches that overlap it)\n",
           best->critical_ms, ncrit, on, off);
}

static void partcmd_cost_json(const struct psplit_cost *k, size_t T)
{
    printf("{\"total_ms\":%.9g,\"critical_ms\":%.9g,\"layers\":[", k->total_ms,
           k->critical_ms);
    for (size_t t = 0; t < T; t++)
        printf("%s%zu", t ? "," : "", k->layers[t]);
    printf("]}");
}

static void partcmd_split_json(const struct partcmd_ctx *c,
                               const struct partcmd_split *ps)
{
    const struct mgraph *g = &c->g;
    const size_t T = ps->in.ntiers;
    const struct psplit_cost *best = &ps->cost[PS_CUT];
    printf("{\"model\":");
    json_put_string(stdout, g->name);
    printf(",\"layers\":%zu,\"method\":\"split\",\"complexity\":%.9g,"
           "\"scale\":%.9g,\"input_bytes\":%.9g,\"tiers\":[",
           g->n, ps->score, ps->in.scale, ps->in.in_bytes);
    for (unsigned t = 0; t < T; t++) {
        printf("%s{\"device\":", t ? "," : "");
        json_put_string(stdout, ps->tier[t].name);
        printf(",\"speed\":%.9g,\"layers\":%zu,\"compute_ms\":%.9g,"
               "\"critical_layers\":%zu,\"names\":[",
               ps->tier[t].speed, best->layers[t], best->compute_ms[t],
               best->crit_layers[t]);
        int first = 1;
        for (size_t k = 0; k < g->n; k++) {
            const uint32_t v = c->order[k];
            if (ps->tiers[PS_CUT][v] != t)
                continue;
            if (!first)
                putchar(',');
            first = 0;
            json_put_string(stdout, g->node[v].name);
        }
        printf("]}");
    }
    printf("],\"links\":[");
    for (size_t i = 0; i + 1 < T; i++)
        printf("%s{\"bandwidth\":%.9g,\"latency_s\":%.9g,\"bytes\":%.9g,"
               "\"ms\":%.9g}",
               i ? "," : "", ps->in.bw[i], ps->in.lat[i], best->link_bytes[i],
               best->link_ms[i]);
    size_t on, off;
    partcmd_remote(ps, &on, &off);
    printf("],\"total_ms\":%.9g,\"critical_ms\":%.9g,\"input_ms\":%.9g,"
           "\"output_ms\":%.9g,\"remote_critical\":%zu,\"remote_off_"
           "critical\":%zu",
           best->total_ms, best->critical_ms, best->in_ms, best->out_ms, on,
           off);
    static const char *const key[PS_N] = {NULL, "scan", "all_local",
                                          "all_remote"};
    for (int k = PS_SCAN; k < PS_N; k++) {
        printf(",\"%s\":", key[k]);
        partcmd_cost_json(&ps->cost[k], T);
    }
    printf("}\n");
}

/* The complexity score: --input's image, --complexity, or 50. */
static int partcmd_score(const struct partcmd_ctx *c, struct partcmd_split *ps)
{
    ps->score = c->score == c->score ? c->score : 50;
    if (!c->input)
        return 0;
    char err[512];
    if (pcplx_image_file(c->input, &ps->feat, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: %s\n", err);
        return RUN_LAB;
    }
    ps->score = pcplx_score(&ps->feat);
    return 0;
}

static void partcmd_split_free(struct partcmd_split *ps)
{
    free(ps->fwd);
    for (int k = 0; k < PS_N; k++)
        free(ps->tiers[k]);
    free(ps->crit);
}

/* --method split: split inference over the devices as a chain of tiers
 * (part/psplit.h), with the chain scan, all-local and all-remote beside
 * it. */
static int partcmd_split(const struct partcmd_ctx *c)
{
    const struct mgraph *g = &c->g;
    struct partcmd_split ps = {0};
    int rc = partcmd_score(c, &ps);
    if (rc != 0)
        return rc;
    const size_t n1 = g->n ? g->n : 1;
    ps.fwd = malloc(n1 * sizeof *ps.fwd);
    ps.crit = calloc(n1, 1);
    for (int k = 0; k < PS_N; k++)
        ps.tiers[k] = calloc(n1, 1);
    if (!ps.fwd || !ps.crit || !ps.tiers[PS_N - 1] || !ps.tiers[0] ||
        !ps.tiers[1] || !ps.tiers[2]) {
        partcmd_split_free(&ps);
        fprintf(stderr, "wattson: out of memory\n");
        return RUN_ERR;
    }
    for (size_t t = 0; t < c->nd; t++) {
        snprintf(ps.tier[t].name, sizeof ps.tier[t].name, "%s", c->dev[t].name);
        ps.tier[t].speed = c->dev[t].speed;
    }
    double in_bytes;
    if (pmodel_infer_work(g, ps.fwd, &in_bytes) != 0) {
        partcmd_split_free(&ps);
        fprintf(stderr, "wattson: out of memory\n");
        return RUN_ERR;
    }
    ps.in = (struct psplit_in){.g = g,
                               .order = c->order,
                               .work_ms = ps.fwd,
                               .scale = pcplx_scale(ps.score),
                               .ntiers = c->nd,
                               .tier = ps.tier,
                               .bw = c->chain_bw,
                               .lat = c->chain_lat,
                               .in_bytes = in_bytes,
                               .out_home = 1};
    memset(ps.tiers[PS_REMOTE], (int)(c->nd - 1), n1);
    char err[512];
    if (psplit_solve(&ps.in, ps.tiers[PS_CUT], &ps.cost[PS_CUT], err,
                     sizeof err) != 0 ||
        psplit_eval(&ps.in, ps.tiers[PS_CUT], &ps.cost[PS_CUT], ps.crit, err,
                    sizeof err) != 0 ||
        psplit_scan(&ps.in, ps.tiers[PS_SCAN], &ps.cost[PS_SCAN], err,
                    sizeof err) != 0 ||
        psplit_eval(&ps.in, ps.tiers[PS_LOCAL], &ps.cost[PS_LOCAL], NULL, err,
                    sizeof err) != 0 ||
        psplit_eval(&ps.in, ps.tiers[PS_REMOTE], &ps.cost[PS_REMOTE], NULL, err,
                    sizeof err) != 0) {
        fprintf(stderr, "wattson: %s: %s\n", c->path, err);
        rc = RUN_LAB;
    } else if (c->json)
        partcmd_split_json(c, &ps);
    else
        partcmd_split_table(c, &ps);
    partcmd_split_free(&ps);
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
    {"split", partcmd_split},
};
#define PARTCMD_NMETHODS (sizeof partcmd_methods / sizeof partcmd_methods[0])

/* --lab LAB: the lab's `cluster` into c (its devices, the routes between
 * them, the link kinds for the heading): 0, or RUN_LAB (one line said). */
static int partcmd_labmap(const char *path, struct partcmd_ctx *c)
{
    struct lab *lab;
    if (cli_lab_cluster(path,
                        "partition --lab needs the lab's device map: "
                        "cluster = { devices = ..., links = ... }",
                        &lab) != 0)
        return RUN_LAB;
    const struct labclu *m = lab->cluster;
    c->nd = m->ndev;
    for (size_t i = 0; i < m->ndev; i++) {
        snprintf(c->dev[i].name, sizeof c->dev[i].name, "%s", m->dev[i].name);
        c->dev[i].speed = m->dev[i].speed;
        c->dev[i].mem_bytes = m->dev[i].mem_bytes;
    }
    memcpy(c->bw, m->bw, m->ndev * m->ndev * sizeof *c->bw);
    memcpy(c->lat, m->lat, m->ndev * m->ndev * sizeof *c->lat);
    /* split's chain of tiers: the devices in the lab's order, each link
     * the route between neighbours (one "link" as far as the pipeline's
     * check goes: nothing was listed on the command line) */
    for (size_t i = 0; i + 1 < m->ndev; i++) {
        c->chain_bw[i] = m->bw[i * m->ndev + i + 1];
        c->chain_lat[i] = m->lat[i * m->ndev + i + 1];
    }
    c->nlinks = 1;
    c->from_lab = 1;
    labclu_describe(m, c->links, sizeof c->links);
    lab_free(lab);
    return 0;
}

/* --link BW[/LAT][,BW[/LAT]...] into c->chain_bw/lat and c->nlinks: 0,
 * or -1 (one line said). */
static int partcmd_links(const char *spec, struct partcmd_ctx *c)
{
    char buf[512];
    if (strlen(spec) >= sizeof buf)
        return partcmd_usage("%s", "--link: too long");
    snprintf(buf, sizeof buf, "%s", spec);
    c->nlinks = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (c->nlinks == PPIPE_MAX_DEV - 1)
            return partcmd_usage("--link: at most %d links", PPIPE_MAX_DEV - 1);
        double bw, lat = 10e-6;
        char *slash = strchr(tok, '/');
        if (slash)
            *slash++ = '\0';
        if (sinum_parse(tok, "B", &bw) != 0 || !(bw > 0) || isinf(bw) ||
            (slash &&
             (sinum_parse(slash, "s", &lat) != 0 || !(lat >= 0) || isinf(lat))))
            return partcmd_usage("--link: '%s%s%s': BANDWIDTH[/LATENCY], "
                                 "e.g. 12G/10us",
                                 tok, slash ? "/" : "", slash ? slash : "");
        c->chain_bw[c->nlinks] = bw;
        c->chain_lat[c->nlinks++] = lat;
    }
    if (c->nlinks == 0)
        return partcmd_usage("%s", "--link: no link given");
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
    c->nlinks = 1;
    c->chain_bw[0] = bw;
    c->chain_lat[0] = lat;
    if (a->link && partcmd_links(a->link, c) != 0)
        return RUN_USAGE;
    if (c->nlinks > 1 && c->nlinks != c->nd - 1)
        return partcmd_usage("--link: %zu links for %zu devices: one, or "
                             "one per neighbouring pair (%zu)",
                             c->nlinks, c->nd, c->nd > 1 ? c->nd - 1 : 0);
    if (c->nlinks == 1)
        for (size_t i = 1; i + 1 < c->nd; i++) {
            c->chain_bw[i] = c->chain_bw[0];
            c->chain_lat[i] = c->chain_lat[0];
        }
    bw = c->chain_bw[0];
    lat = c->chain_lat[0];
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
    const int rc = pmodel_load(&m, c->path, err, sizeof err);
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

/* --input and --complexity (split's alone), and split's tiers: 0, or the
 * exit code (one line said). */
static int partcmd_split_opts(const struct cli_args *a, struct partcmd_ctx *c,
                              int split)
{
    c->input = a->input;
    c->score = NAN;
    if (!split) {
        if (a->input || a->complexity)
            return partcmd_usage("%s", "--input and --complexity go with "
                                       "--method split");
        return 0;
    }
    if (c->nd < 2)
        return partcmd_usage("%s", "--method split needs 2 to 8 --devices "
                                   "(tiers, the user's device first)");
    for (size_t d = 0; d < c->nd && !c->from_lab; d++)
        if (c->dev[d].mem_bytes != INFINITY)
            return partcmd_usage("--devices: %s: --method split takes "
                                 "NAME[:SPEED] (memory is not modelled)",
                                 c->dev[d].name);
    if (!a->complexity)
        return 0;
    if (a->input)
        return partcmd_usage("%s", "--input and --complexity: one or the "
                                   "other");
    char buf[64];
    snprintf(buf, sizeof buf, "%s", a->complexity);
    char *slash = strchr(buf, '/'), *end;
    if (slash)
        *slash++ = '\0';
    const double x = strtod(buf, &end);
    int ok = *buf && !*end && x >= 0;
    if (slash) {
        const double max = strtod(slash, &end);
        ok = ok && *slash && !*end && max > 0 && isfinite(max) && x <= max;
        c->score = pcplx_seq_score(x, max);
    } else {
        ok = ok && x <= 100;
        c->score = x;
    }
    if (!ok || strlen(a->complexity) >= sizeof buf)
        return partcmd_usage("--complexity: '%s': a score 0-100, or LEN/MAX "
                             "tokens (0 <= LEN <= MAX)",
                             a->complexity);
    return 0;
}

/* Whether split inference can run on c's devices (--method all runs it
 * only then): 2 or more, no memory asked for. */
static int partcmd_split_fits(const struct partcmd_ctx *c)
{
    if (c->nd < 2)
        return 0;
    for (size_t d = 0; d < c->nd && !c->from_lab; d++)
        if (c->dev[d].mem_bytes != INFINITY)
            return 0;
    return 1;
}

/* --method all: every method in turn, each as it prints alone (a table
 * each, or one JSON object per line); split only where it can run. */
static int partcmd_all(const struct partcmd_ctx *c)
{
    int rc = RUN_OK;
    for (size_t m = 0; m < PARTCMD_NMETHODS; m++) {
        if (partcmd_methods[m].run == partcmd_split && !partcmd_split_fits(c)) {
            if (!c->json)
                printf("\n--- split: not run (it needs 2 to 8 devices "
                       "without memory, NAME[:SPEED])\n");
            continue;
        }
        if (!c->json)
            printf("%s--- %s\n", m ? "\n" : "", partcmd_methods[m].name);
        fflush(stdout);
        const int r = partcmd_methods[m].run(c);
        if (r != RUN_OK && rc == RUN_OK)
            rc = r;
    }
    return rc;
}

static int partcmd_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc != 1)
        return partcmd_usage("%s", "partition takes one MODEL file");
    size_t m = 0;
    const int all = a->method && strcmp(a->method, "all") == 0;
    if (a->method && !all) {
        while (m < PARTCMD_NMETHODS &&
               strcmp(partcmd_methods[m].name, a->method) != 0)
            m++;
        if (m == PARTCMD_NMETHODS)
            return partcmd_usage("--method: '%s' is not pipeline, metis, "
                                 "equal, split or all",
                                 a->method);
    }
    struct partcmd_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        fprintf(stderr, "wattson: out of memory\n");
        return RUN_ERR;
    }
    c->path = a->argv[0];
    c->json = a->json;
    if (a->search && strcmp(a->search, "all") != 0 &&
        strcmp(a->search, "order") != 0) {
        free(c);
        return partcmd_usage("--search: '%s' is not all or order", a->search);
    }
    c->order_only = a->search && strcmp(a->search, "order") == 0;
    mgraph_init(&c->g);
    int rc = partcmd_devmap(a, c);
    if (rc == 0)
        rc = partcmd_split_opts(a, c,
                                all ? partcmd_split_fits(c)
                                    : partcmd_methods[m].run == partcmd_split);
    if (rc == 0)
        rc = partcmd_model(c);
    if (rc == 0)
        rc = all ? partcmd_all(c) : partcmd_methods[m].run(c);
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
            "the same costs (--method metis, equal); --method split:\n"
            "split inference, each layer on the user's device or a tier\n"
            "further along --devices, the latency minimal (a minimum cut),\n"
            "against the chain scan, all local and all remote",
    .opts = 1u << CLI_OPT_DEVICES | 1u << CLI_OPT_LINK | 1u << CLI_OPT_JSON |
            1u << CLI_OPT_METHOD | 1u << CLI_OPT_LAB | 1u << CLI_OPT_INPUT |
            1u << CLI_OPT_COMPLEXITY | (uint64_t)1 << CLI_OPT_SEARCH,
    .exec = partcmd_exec,
};

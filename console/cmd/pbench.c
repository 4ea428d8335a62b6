/*
 * pbench - `wattson bench partition [DATA]` (issue 15): the partitioner on
 * every shared model (DATA/pipedream-profiles/NAME.txt and
 * DATA/darknet-cfg/NAME.cfg; DATA defaults to $WATTSON_SHARED_DATA, else
 * ../shared/data):
 *   pipeline    the training pipeline (part/pideal.h, exact over every
 *               topological order; part/ppipe.h past its cap) over a 4- and
 *               8-device heterogeneous set, against the naive
 *               equal-layer split (part/pbase.h) and METIS's k-way
 *               assignment (part/pmetis.h): each one's bottleneck's ratio
 *               to the certified bound and the wall time of a solve;
 *   split       split inference (part/psplit.h) over a phone, an edge
 *               and a cloud at four bandwidths of the user's link: the
 *               minimum cut against the chain scan, all local, all remote;
 *   adaptation  the runtime controller (part/padapt.h) on the simulated
 *               pipeline (part/ptrain.h) through a throttled GPU, a
 *               co-tenant and a link that trains down, then the GPU's
 *               recovery: in each window after a change, the static and
 *               adaptive pipelines' throughput as a share of hindsight's
 *               (re-solved at once, for free, with the true speeds), the
 *               moves, moves back and time spent migrating;
 *   data        the data profiler (part/pdata.h, engines/pdpred.h): GNMT
 *               through length phases, shuffled buckets and a sorted
 *               epoch, yolov3-tiny through Darknet's multi-scale training
 *               (part/pbatch.h), 4000 batches each, run static (the
 *               profiled plan; the plans for the stream's mean and
 *               worst-case work), reactive (padapt), predictive (without
 *               and with 16 prefetched batches) and hindsight per batch
 *               (ptrain_run_data): throughput as a share of hindsight's,
 *               moves, time migrating, partitioner runs.
 * Wall times are of this build: `make bench` runs a Release one.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/bench.h"
#include "cmd/cli.h"
#include "engines/pdpred.h"
#include "part/pbase.h"
#include "part/pcost.h"
#include "part/pideal.h"
#include "part/pbatch.h"
#include "part/pdata.h"
#include "part/pmetis.h"
#include "part/pmodel.h"
#include "part/psplit.h"
#include "part/ppipe.h"
#include "part/ptrain.h"

#define PBENCH_MAX_FILES 64

/* The device sets (speeds relative to the V100 the profiles were measured
 * on: an A100 2.5x in fp16 tensor work, a T4 0.45x, a K80 0.2x, each with
 * its datasheet memory), every link PCIe 3 x16 (12 GB/s, 10 us). */
static const struct ppipe_dev pbench_dev4[] = {{"v100a", 1, 16e9},
                                               {"v100b", 1, 16e9},
                                               {"t4a", 0.45, 16e9},
                                               {"t4b", 0.45, 16e9}};
static const struct ppipe_dev pbench_dev8[] = {
    {"a100a", 2.5, 40e9}, {"a100b", 2.5, 40e9}, {"v100a", 1, 16e9},
    {"v100b", 1, 16e9},   {"v100c", 1, 16e9},   {"t4a", 0.45, 16e9},
    {"t4b", 0.45, 16e9},  {"k80", 0.2, 12e9}};

static double pbench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int pbench_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The files of dir ending in suffix (not LICENSE.txt), sorted, into
 * names (malloc'd paths); their count. */
static size_t pbench_list(const char *dir, const char *suffix, char **names,
                          size_t max)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    const size_t sl = strlen(suffix);
    for (struct dirent *e; (e = readdir(d)) && n < max;) {
        const size_t l = strlen(e->d_name);
        if (l <= sl || strcmp(e->d_name + l - sl, suffix) != 0 ||
            strcmp(e->d_name, "LICENSE.txt") == 0)
            continue;
        const size_t need = strlen(dir) + l + 2;
        names[n] = malloc(need);
        if (!names[n])
            break;
        snprintf(names[n], need, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, pbench_cmp);
    return n;
}

static void pbench_links(size_t nd, double *bw, double *lat)
{
    for (size_t k = 0; k < nd * nd; k++) {
        bw[k] = 12e9;
        lat[k] = 10e-6;
    }
}

/* A model for training: 0, or -1 (said, nothing held). */
static int pbench_load(struct pmodel *m, const char *path)
{
    char err[512];
    if (pmodel_load(m, path, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "wattson: bench partition: %s\n", err);
    pmodel_free(m);
    return -1;
}

/* One bench row's solvers and what they leave: the model and devices,
 * and each method's answer. */
struct pbench_row {
    const struct ppipe_in *in;
    struct ppipe_plan p, q; /* the pipeline's, the equal split's */
    struct pideal_info info;
    uint32_t *ord, *part;
    long long cut;
    int fits, over_cap;
    char err[512];
};

/* The pipeline: over every order, ppipe's on one past pideal's cap. */
static int pbench_pipeline_solve(struct pbench_row *r)
{
    const int rc = pideal_solve(r->in, PIDEAL_MAX_SETS, r->ord, &r->p, &r->info,
                                r->err, sizeof r->err);
    r->over_cap = rc == 1;
    return rc == 1 ? ppipe_solve(r->in, &r->p, r->err, sizeof r->err) : rc;
}

static int pbench_equal_solve(struct pbench_row *r)
{
    return pbase_equal(r->in, &r->q, &r->fits, r->err, sizeof r->err);
}

static int pbench_metis_solve(struct pbench_row *r)
{
    return pmetis_kway(r->in, r->part, &r->cut, r->err, sizeof r->err);
}

/* fn repeated until 0.2 s have passed (a wall time above the clock's
 * grain, at most 1000 times): its ms per solve, or NAN when it fails. */
static double pbench_timed(int (*fn)(struct pbench_row *), struct pbench_row *r)
{
    unsigned reps = 0;
    const double t0 = pbench_now();
    double t1 = t0;
    do {
        if (fn(r) != 0)
            return NAN;
        reps++;
        t1 = pbench_now();
    } while (t1 - t0 < 0.2 && reps < 1000);
    return (t1 - t0) / reps * 1e3;
}

/* One model's rows over a device set: the pipeline (exact over every
 * order, part/pideal.h, or for one order past its cap), the equal-layer
 * split and METIS's assignment, each as its bottleneck's ratio to a
 * certified bound and its ms per solve: the pipeline's bound for the two
 * pipelines, the bound for any assignment for METIS's (no pipeline). */
static void pbench_pipeline_one(const struct pmodel *m,
                                const struct ppipe_dev *dev, size_t nd,
                                FILE *out)
{
    double bw[PPIPE_MAX_DEV * PPIPE_MAX_DEV],
        lat[PPIPE_MAX_DEV * PPIPE_MAX_DEV];
    pbench_links(nd, bw, lat);
    const struct ppipe_in in = {&m->g, m->order, m->work, nd, dev, bw, lat};
    struct pbench_row r = {.in = &in};
    r.part = malloc((m->g.n ? m->g.n : 1) * sizeof *r.part);
    r.ord = malloc((m->g.n ? m->g.n : 1) * sizeof *r.ord);
    if (!r.part || !r.ord) {
        fprintf(out, "%-16s out of memory\n", m->g.name);
        free(r.part);
        free(r.ord);
        return;
    }
    const double ms_p = pbench_timed(pbench_pipeline_solve, &r);
    fprintf(out, "%-16s %6zu %3zu", m->g.name, m->g.n, nd);
    double bound = NAN;
    if (ms_p == ms_p) {
        bound = r.p.bound_ms;
        fprintf(out, " %6u %7.3f%c %8.2f", r.p.nstages,
                r.p.bottleneck_ms / bound, r.over_cap ? 'o' : ' ', ms_p);
    } else {
        fprintf(out, " %6s %7s  %8s", "-", "no fit", "-");
    }
    const double ms_e = pbench_timed(pbench_equal_solve, &r);
    if (ms_e == ms_e && bound == bound)
        fprintf(out, " %7.3f%c", r.q.bottleneck_ms / bound, r.fits ? ' ' : 'm');
    else
        fprintf(out, " %7s ", "-");
    const double ms_m = pbench_timed(pbench_metis_solve, &r);
    struct pmetis_eval ev;
    if (ms_m == ms_m && pmetis_eval(&in, r.part, &ev, r.err, sizeof r.err) == 0)
        fprintf(out, " %7.3f%c%c %8.2f\n",
                ev.bottleneck_ms / pcost_bound_any(&in), ev.acyclic ? ' ' : 'c',
                ev.fits ? ' ' : 'm', ms_m);
    else
        fprintf(out, " %7s   %8s\n", "-", "-");
    free(r.part);
    free(r.ord);
}

static int pbench_pipeline(char **files, size_t n, FILE *out)
{
    fprintf(out,
            "pipeline (training, 1F1B): the bottleneck's ratio to a "
            "certified lower bound and ms per solve, for the pipeline (exact "
            "over every topological order; o: past the down-sets' cap, for "
            "one order), the equal-layer split (against the pipeline's "
            "bound) and METIS's k-way assignment (against the bound for any "
            "assignment; c: not a pipeline, its devices form a cycle; m: "
            "over a device's memory)\n");
    fprintf(out, "%-16s %6s %3s %6s %7s %8s %8s %9s %8s\n", "model", "layers",
            "dev", "stages", "ratio", "ms", "equal", "metis", "ms");
    for (size_t i = 0; i < n; i++) {
        struct pmodel m;
        if (pbench_load(&m, files[i]) != 0)
            return -1;
        pbench_pipeline_one(&m, pbench_dev4, 4, out);
        pbench_pipeline_one(&m, pbench_dev8, 8, out);
        fflush(out);
        pmodel_free(&m);
    }
    return 0;
}

/* The adaptation scenario for a plan: from a fifth of the run the first
 * stage's GPU throttles to 60 % of its clock (a V100 at its thermal
 * slowdown drops from 1530 MHz boost to about 900), from 45 % a co-tenant
 * takes half of the last stage's device, from 70 % the link between the
 * first two stages trains down to a quarter (PCIe x16 to x4), and from
 * 85 % the throttled GPU is back. */
static size_t pbench_events(const struct ppipe_plan *p, double d,
                            struct ptrain_event *ev)
{
    size_t n = 0;
    ev[n++] = (struct ptrain_event){0.2 * d, (int)p->dev[0], 0, 0, 0.6};
    ev[n++] =
        (struct ptrain_event){0.45 * d, (int)p->dev[p->nstages - 1], 0, 0, 0.5};
    if (p->nstages >= 2)
        ev[n++] = (struct ptrain_event){0.7 * d, -1, (int)p->dev[0],
                                        (int)p->dev[1], 0.25};
    ev[n++] = (struct ptrain_event){0.85 * d, (int)p->dev[0], 0, 0, 1.0};
    return n;
}

static int pbench_adapt(char **files, size_t n, FILE *out)
{
    fprintf(out, "\nadaptation (4 devices; per window after a change, "
                 "throughput as a share of hindsight's: the worst window; "
                 "noise 3 %%)\n");
    fprintf(out, "%-16s %8s %8s %6s %6s %10s %12s\n", "model", "static",
            "adaptive", "moves", "backs", "migrate s", "hindsight/s");
    double worst = INFINITY;
    for (size_t i = 0; i < n; i++) {
        struct pmodel m;
        char err[512];
        if (pbench_load(&m, files[i]) != 0)
            return -1;
        double bw[16], lat[16];
        pbench_links(4, bw, lat);
        const struct ppipe_in in = {&m.g,        m.order, m.work, 4,
                                    pbench_dev4, bw,      lat};
        struct ppipe_plan p;
        if (ppipe_solve(&in, &p, err, sizeof err) != 0) {
            pmodel_free(&m);
            continue;
        }
        /* 4000 micro-batches at the first plan's pace */
        const double d = 4000 * p.bottleneck_ms / 1e3;
        struct ptrain_event ev[4];
        const size_t nev = pbench_events(&p, d, ev);
        struct ptrain_result r[3];
        int bad = 0;
        for (int k = 0; k < 3; k++) {
            const struct ptrain_cfg c = {d, 0.03, 7 + i, NULL};
            bad |= ptrain_run(&in, &p, ev, nev, (enum ptrain_mode)k, &c,
                              &r[k]) != 0;
        }
        if (bad) {
            fprintf(stderr,
                    "wattson: bench partition: %s: the simulated "
                    "run failed\n",
                    m.g.name);
            pmodel_free(&m);
            return -1;
        }
        double ws = INFINITY, wa = INFINITY;
        for (size_t w = 1; w < r[2].nwin; w++) {
            ws = fmin(ws, r[0].win_tput[w] / r[2].win_tput[w]);
            wa = fmin(wa, r[1].win_tput[w] / r[2].win_tput[w]);
        }
        worst = fmin(worst, wa);
        fprintf(out, "%-16s %8.3f %8.3f %6lu %6lu %10.2f %12.3f\n", m.g.name,
                ws, wa, r[1].moves, r[1].backs, r[1].migration_s, r[2].tput);
        fflush(out);
        pmodel_free(&m);
    }
    if (isfinite(worst))
        fprintf(out,
                "adaptive keeps at least %.3f of hindsight's throughput "
                "in every window (aim: 0.9)\n",
                worst);
    return 0;
}

/* One data case: a model and a stream of its batches. */
struct pbench_case {
    const char *file; /* under DATA */
    struct pbatch_cfg stream;
};

/* The data section's cases: GNMT through length phases (500 batches a
 * bucket), shuffled buckets and a sorted epoch; yolov3-tiny through
 * Darknet's multi-scale training. */
static const struct pbench_case pbench_cases[] = {
    {"pipedream-profiles/gnmt.txt", {PBATCH_PHASES, 11, 32, 500, 0}},
    {"pipedream-profiles/gnmt.txt", {PBATCH_SHUFFLED, 12, 32, 0, 0}},
    {"pipedream-profiles/gnmt.txt", {PBATCH_SORTED, 13, 32, 0, 0}},
    {"darknet-cfg/yolov3-tiny.cfg", {PBATCH_MULTISCALE, 14, 0, 0, 10}},
};

#define PBENCH_BATCHES 4000
#define PBENCH_LOOKAHEAD 16

static void pbench_row(const char *model, const char *stream, const char *how,
                       const struct ptrain_result *r, double best,
                       unsigned long solves, FILE *out)
{
    fprintf(out, "%-12s %-10s %-14s %7.3f %6lu %9.2f %7lu\n", model, stream,
            how, r->tput / best, r->moves, r->migration_s, solves);
}

/* One case's rows; 0, or -1 (said). */
static int pbench_data_one(const char *data, const struct pbench_case *c,
                           struct pdata_batch *batch, FILE *out)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/%s", data, c->file);
    struct pmodel m;
    if (pbench_load(&m, path) != 0)
        return -1;
    struct pdata d;
    double bw[16], lat[16];
    pbench_links(4, bw, lat);
    const struct ppipe_in in = {&m.g, m.order, m.work, 4, pbench_dev4, bw, lat};
    struct ppipe_plan p, pmean, pworst;
    if (pdata_init(&d, &m.g, m.order, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: bench partition: %s\n", err);
        pmodel_free(&m);
        return -1;
    }
    double fm[PDATA__N], fw[PDATA__N] = {0};
    int rc = pbatch_fill(&c->stream, batch, PBENCH_BATCHES);
    if (rc == 0) {
        pdata_mean(&d, batch, PBENCH_BATCHES, fm);
        for (size_t b = 0; b < PBENCH_BATCHES; b++) {
            double f[PDATA__N];
            pdata_factors(&d, &batch[b], f);
            for (unsigned k = 0; k < PDATA__N; k++)
                fw[k] = fmax(fw[k], f[k]);
        }
        rc = ppipe_solve(&in, &p, err, sizeof err) == 0 &&
                     pdpred_plan_for(&d, &in, fm, &pmean) == 0 &&
                     pdpred_plan_for(&d, &in, fw, &pworst) == 0
                 ? 0
                 : -1;
    }
    struct pdpred_cfg pc, pl;
    pdpred_cfg_default(&pc);
    if (c->stream.kind == PBATCH_MULTISCALE)
        pdpred_cfg_multiscale(&pc, &d);
    pl = pc;
    pl.lookahead = PBENCH_LOOKAHEAD;
    struct {
        const char *how;
        const struct ppipe_plan *from;
        enum ptrain_mode mode;
        const struct pdpred_cfg *cfg;
    } const runs[] = {
        {"static", &p, PTRAIN_STATIC, NULL},
        {"static-mean", &pmean, PTRAIN_STATIC, NULL},
        {"static-worst", &pworst, PTRAIN_STATIC, NULL},
        {"reactive", &p, PTRAIN_ADAPTIVE, NULL},
        {"predictive", &p, PTRAIN_PLANNED, &pc},
        {"predictive+16", &p, PTRAIN_PLANNED, &pl},
        {"hindsight", &p, PTRAIN_HINDSIGHT, NULL},
    };
    enum { NRUN = sizeof runs / sizeof *runs };
    struct ptrain_result r[NRUN];
    unsigned long solves[NRUN] = {0};
    const struct ptrain_cfg tc = {0, 0.03, 7, NULL};
    for (size_t k = 0; rc == 0 && k < NRUN; k++)
        rc = pdpred_simulate(&d, &in, runs[k].from, batch, PBENCH_BATCHES,
                             runs[k].mode, runs[k].cfg, &tc, &r[k], &solves[k]);
    if (rc != 0)
        fprintf(stderr, "wattson: bench partition: %s: the data run failed\n",
                m.g.name);
    for (size_t k = 0; rc == 0 && k < NRUN; k++)
        pbench_row(m.g.name, pbatch_name(c->stream.kind), runs[k].how, &r[k],
                   r[NRUN - 1].tput, solves[k], out);
    if (rc == 0)
        fprintf(out, "%-12s %-10s %-14s %7.3f batches/s\n", "", "",
                "(hindsight)", r[NRUN - 1].tput);
    fflush(out);
    pdata_free(&d);
    pmodel_free(&m);
    return rc;
}

static int pbench_data(const char *data, FILE *out)
{
    fprintf(out,
            "\ndata (4 devices, %d batches; throughput as a share of "
            "hindsight's per batch, moves, seconds migrating, partitioner "
            "runs; noise 3 %%)\n",
            PBENCH_BATCHES);
    fprintf(out, "%-12s %-10s %-14s %7s %6s %9s %7s\n", "model", "stream",
            "strategy", "share", "moves", "migrate s", "solves");
    struct pdata_batch *batch = malloc(PBENCH_BATCHES * sizeof *batch);
    if (!batch)
        return -1;
    int rc = 0;
    for (size_t k = 0;
         rc == 0 && k < sizeof pbench_cases / sizeof *pbench_cases; k++)
        rc = pbench_data_one(data, &pbench_cases[k], batch, out);
    free(batch);
    return rc;
}

/* Split inference (part/psplit.h) on one model at one bandwidth of the
 * user's link: the four plans' latencies into ms[4] (min-cut, chain scan,
 * all local, all remote) and the min-cut's layers per tier into lay[3];
 * 0, or -1 (said). */
static int pbench_split_one(const struct pmodel *m, const double *fwd,
                            double in_bytes, double phone, double bw,
                            double *ms, size_t *lay)
{
    const struct psplit_tier tier[3] = {
        {"phone", phone}, {"edge", 1}, {"cloud", 4}};
    const double bws[2] = {bw, 1e9}, lats[2] = {20e-3, 5e-3};
    const struct psplit_in in = {&m->g, m->order, fwd,  1,        3,
                                 tier,  bws,      lats, in_bytes, 1};
    const size_t n1 = m->g.n ? m->g.n : 1;
    uint8_t *t = calloc(n1, 1);
    struct psplit_cost c[4];
    char err[512];
    int rc = t ? 0 : -1;
    if (rc == 0)
        rc = psplit_solve(&in, t, &c[0], err, sizeof err);
    for (int k = 0; k < 3 && rc == 0; k++)
        lay[k] = c[0].layers[k];
    if (rc == 0)
        rc = psplit_scan(&in, t, &c[1], err, sizeof err);
    if (rc == 0) {
        memset(t, 0, n1);
        rc = psplit_eval(&in, t, &c[2], NULL, err, sizeof err);
    }
    if (rc == 0) {
        memset(t, 2, n1);
        rc = psplit_eval(&in, t, &c[3], NULL, err, sizeof err);
    }
    if (rc != 0)
        fprintf(stderr, "wattson: bench partition: %s: %s\n", m->g.name,
                t ? err : "out of memory");
    for (int k = 0; k < 4 && rc == 0; k++)
        ms[k] = c[k].total_ms;
    free(t);
    return rc;
}

/* Split inference over a phone, an edge and a cloud (speeds 0.1, 1, 4 of
 * the profiled V100 for the per-batch profiles; the phone 0.01 for the
 * per-sample cfgs, a phone's CPU), the user's link from 1 MB/s to 1 GB/s
 * (20 ms), edge to cloud 1 GB/s (5 ms): the minimum cut against the chain
 * scan, all local and all remote. */
static int pbench_split(char **files, size_t n, FILE *out)
{
    static const double bws[] = {1e6, 10e6, 100e6, 1e9};
    fprintf(out, "\nsplit inference (phone, edge, cloud; the user's link "
                 "at 20 ms; latency ms per input, the min-cut's layers "
                 "phone/edge/cloud)\n");
    fprintf(out, "%-16s %8s %10s %10s %10s %10s  %s\n", "model", "link",
            "min-cut", "scan", "local", "remote", "layers");
    size_t cases = 0, under = 0, better = 0;
    for (size_t i = 0; i < n; i++) {
        struct pmodel m;
        if (pbench_load(&m, files[i]) != 0)
            return -1;
        const size_t len = strlen(files[i]);
        const int cfg = len > 4 && strcmp(files[i] + len - 4, ".cfg") == 0;
        double *fwd = malloc((m.g.n ? m.g.n : 1) * sizeof *fwd), in_bytes;
        if (!fwd || pmodel_infer_work(&m.g, fwd, &in_bytes) != 0) {
            free(fwd);
            pmodel_free(&m);
            fprintf(stderr, "wattson: bench partition: out of memory\n");
            return -1;
        }
        for (size_t b = 0; b < sizeof bws / sizeof bws[0]; b++) {
            double ms[4];
            size_t lay[3];
            if (pbench_split_one(&m, fwd, in_bytes, cfg ? 0.01 : 0.1, bws[b],
                                 ms, lay) != 0) {
                free(fwd);
                pmodel_free(&m);
                return -1;
            }
            cases++;
            under += ms[0] <= fmin(ms[1], fmin(ms[2], ms[3])) * (1 + 1e-9);
            better += ms[0] < ms[1] * (1 - 1e-9);
            fprintf(out,
                    "%-16s %6.0fMB %10.1f %10.1f %10.1f %10.1f  %zu/%zu/%zu\n",
                    m.g.name, bws[b] / 1e6, ms[0], ms[1], ms[2], ms[3], lay[0],
                    lay[1], lay[2]);
        }
        fflush(out);
        free(fwd);
        pmodel_free(&m);
    }
    fprintf(out,
            "min-cut at most every other plan in %zu of %zu cases; "
            "under the chain scan in %zu\n",
            under, cases, better);
    return 0;
}

static int pbench_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc > 1)
        return cli_usage_error("bench partition takes one DATA directory, "
                               "got '%s'",
                               a->argv[1]);
    const char *env = getenv("WATTSON_SHARED_DATA");
    const char *data = a->argc       ? a->argv[0]
                       : env && *env ? env
                                     : "../shared/data";
    char dir[4096];
    char *prof[PBENCH_MAX_FILES], *cfgs[PBENCH_MAX_FILES];
    snprintf(dir, sizeof dir, "%s/pipedream-profiles", data);
    size_t np = pbench_list(dir, ".txt", prof, PBENCH_MAX_FILES);
    snprintf(dir, sizeof dir, "%s/darknet-cfg", data);
    size_t nc = pbench_list(dir, ".cfg", cfgs, PBENCH_MAX_FILES);
    if (np + nc == 0) {
        fprintf(stderr,
                "wattson: bench partition: no models under %s "
                "(pipedream-profiles/*.txt, darknet-cfg/*.cfg); give the "
                "shared data directory as DATA or WATTSON_SHARED_DATA\n",
                data);
        return 3;
    }
    char *all[2 * PBENCH_MAX_FILES];
    memcpy(all, prof, np * sizeof *all);
    memcpy(all + np, cfgs, nc * sizeof *all);
    const char *slow = bench_slow_build();
    if (slow)
        fprintf(stderr,
                "wattson: bench partition: a debug build (%s): wall times "
                "are several times a release build's\n",
                slow);
    int rc = pbench_pipeline(all, np + nc, stdout);
    if (rc == 0)
        rc = pbench_split(all, np + nc, stdout);
    if (rc == 0)
        rc = pbench_adapt(prof, np, stdout);
    if (rc == 0)
        rc = pbench_data(data, stdout);
    for (size_t i = 0; i < np + nc; i++)
        free(all[i]);
    return rc == 0 ? 0 : 3;
}

const struct cli_entry pbench_entry = {
    .name = "bench",
    .sub = "partition",
    .usage = "[DATA]",
    .help = "the model partitioner on every shared profile and cfg (DATA,\n"
            "default $WATTSON_SHARED_DATA or ../shared/data): the training\n"
            "pipeline's ratio to its bound and ms per solve on 4 and 8\n"
            "devices; runtime repartitioning vs a static plan and hindsight\n"
            "through a throttled GPU, a co-tenant and a degraded link;\n"
            "static, reactive, predictive and hindsight plans through\n"
            "GNMT's sentence lengths and YOLO's multi-scale sizes\n"
            "(exit 3 for no or bad models)",
    .exec = pbench_exec,
};

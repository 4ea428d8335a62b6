/*
 * partrun - see partrun.h.
 */
#include "engines/partrun.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lab.h"
#include "core/labclu.h"
#include "core/log.h"
#include "core/model.h"
#include "core/summary.h"
#include "engines/pdpred.h"
#include "part/pbatch.h"
#include "part/pdata.h"
#include "part/pmodel.h"
#include "part/ptrain.h"

#define PARTRUN_LABEL 40
/* The batch stream's length before it repeats (cluster.data): 8192
 * batches, over 20 minutes of lab time at ResNet-50's pace. */
#define PARTRUN_BATCHES 8192

struct partrun {
    int on;
    struct pmodel pm;
    struct ppipe_dev dev[PPIPE_MAX_DEV];
    double bw[PPIPE_MAX_DEV * PPIPE_MAX_DEV],
        lat[PPIPE_MAX_DEV * PPIPE_MAX_DEV];
    struct ppipe_in in;
    struct padapt ad;
    int32_t pu[PPIPE_MAX_DEV];  /* model device of each cluster device, -1 */
    double ftop[PPIPE_MAX_DEV]; /* its top P-state's clock, Hz */
    double noise;
    uint64_t rng;
    double progress; /* of the micro-batch in flight, 0..1 */
    /* each device's speed summed over the ticks of the micro-batch in
     * flight: what it measures is its mean, not one tick's clock */
    double fsum[PPIPE_MAX_DEV];
    unsigned fn;
    int veto, force; /* the policy's word, for the next tick */
    uint64_t proposals_logged;
    /* cluster.data: the batches the model trains on (cycled), each one's
     * work known before it runs, and the predictor that repartitions
     * before the work changes, planning at the estimated speeds */
    int data;
    struct pdata pd;
    struct pdata_batch *batch;
    size_t next;
    struct pdpred pp;
    struct ppipe_dev est_dev[PPIPE_MAX_DEV];
    struct ppipe_in est_in;
    int pending_data; /* the pending proposal is the predictor's */
    /* per stage of the plan running, the work of the batch in flight
     * over the profiled work (1 without a stream): set when a batch
     * starts or the plan changes, not every tick */
    double ratio[PPIPE_MAX_DEV];
    struct partrun_view v;
    /* the pane: a label per stage ("conv1..fc8"), device names */
    char label[PPIPE_MAX_DEV][PARTRUN_LABEL];
    const char *stage_p[PPIPE_MAX_DEV], *dev_p[PPIPE_MAX_DEV];
    double first[PPIPE_MAX_DEV + 1]; /* the plan's first[], for the pane */
};

static void *partrun_create(const struct model *m)
{
    (void)m;
    return calloc(1, sizeof(struct partrun));
}

static void partrun_destroy(void *st)
{
    struct partrun *p = st;
    if (!p)
        return;
    if (p->data) {
        pdpred_free(&p->pp);
        pdata_free(&p->pd);
    }
    free(p->batch);
    pmodel_free(&p->pm);
    free(p);
}

/* The pane's stage labels from the plan. */
static void partrun_labels(struct partrun *p)
{
    const struct ppipe_plan *c = &p->ad.cur;
    const struct mgraph *g = &p->pm.g;
    for (unsigned k = 0; k < c->nstages; k++) {
        const char *a = g->node[p->pm.order[c->first[k]]].name;
        const char *b = g->node[p->pm.order[c->first[k + 1] - 1]].name;
        if (c->first[k + 1] - c->first[k] == 1)
            snprintf(p->label[k], PARTRUN_LABEL, "%.38s", a);
        else
            snprintf(p->label[k], PARTRUN_LABEL, "%.18s..%.18s", a, b);
        p->stage_p[k] = p->label[k];
        p->first[k] = (double)c->first[k];
        p->dev_p[k] = p->dev[c->dev[k]].name;
    }
    p->first[c->nstages] = (double)c->first[c->nstages];
}

static void partrun_describe(const struct partrun *p, char *buf, size_t len)
{
    const struct ppipe_plan *c = &p->ad.cur;
    size_t off = 0;
    buf[0] = '\0';
    for (unsigned k = 0; k < c->nstages && off < len; k++) {
        const int n =
            snprintf(buf + off, len - off, "%s%s %zu", k ? ", " : "",
                     p->dev[c->dev[k]].name, c->first[k + 1] - c->first[k]);
        if (n < 0)
            break;
        off += (size_t)n;
    }
}

/* cluster.data: the stream's batches, the model's scaling classes and the
 * predictor, from the first plan.  0, or -1 with one line in err. */
static int partrun_data(struct partrun *p, const char *kind, uint64_t seed,
                        const struct ppipe_plan *plan, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        enum pbatch_kind kind;
    } streams[] = {{"phases", PBATCH_PHASES},
                   {"shuffled", PBATCH_SHUFFLED},
                   {"sorted", PBATCH_SORTED},
                   {"multiscale", PBATCH_MULTISCALE}};
    size_t k = 0;
    while (k + 1 < sizeof streams / sizeof streams[0] &&
           strcmp(streams[k].name, kind) != 0)
        k++;
    /* gnmt.txt's batch, GNMT's phases of 500, Darknet's resize every 10 */
    const struct pbatch_cfg bc = {streams[k].kind, seed ^ 0x64617461ull, 32,
                                  500, 10};
    char why[256];
    if (pdata_init(&p->pd, &p->pm.g, p->pm.order, NULL, why, sizeof why) != 0) {
        snprintf(err, errlen, "cluster.data: %s", why);
        return -1;
    }
    p->batch = calloc(PARTRUN_BATCHES, sizeof *p->batch);
    memcpy(p->est_dev, p->dev, sizeof p->est_dev);
    p->est_in = p->in;
    p->est_in.dev = p->est_dev;
    struct pdpred_cfg pc;
    if (streams[k].kind == PBATCH_MULTISCALE)
        pdpred_cfg_multiscale(&pc, &p->pd);
    else
        pdpred_cfg_default(&pc);
    if (!p->batch || pbatch_fill(&bc, p->batch, PARTRUN_BATCHES) != 0 ||
        pdpred_init(&p->pp, &p->pd, &p->est_in, plan, &pc) != 0) {
        pdata_free(&p->pd);
        snprintf(err, errlen, "cluster.data: out of memory");
        return -1;
    }
    p->data = 1;
    return 0;
}

/* The batch in flight (a stream is on). */
static const struct pdata_batch *partrun_batch(const struct partrun *p)
{
    return &p->batch[p->next % PARTRUN_BATCHES];
}

/* p->ratio for the batch in flight and the plan running: each stage's
 * work for the batch over its profiled work (1 without a stream). */
static void partrun_work_ratio(struct partrun *p)
{
    const struct ppipe_plan *c = &p->ad.cur;
    double f[PDATA__N];
    if (p->data)
        pdata_factors(&p->pd, partrun_batch(p), f);
    for (unsigned k = 0; k < c->nstages; k++) {
        double base = 0, now = 0;
        for (size_t i = c->first[k]; p->data && i < c->first[k + 1]; i++) {
            const uint32_t u = p->pm.order[i];
            base += p->pm.work[u];
            now += pdata_layer_work(&p->pd, u, p->pm.work[u], f);
        }
        p->ratio[k] = p->data && base > 0 ? now / base : 1;
    }
}

int partrun_configure(struct partrun *p, const struct model *m,
                      const struct lab *lab, char *err, size_t errlen)
{
    const struct labclu *cl = lab ? lab->cluster : NULL;
    if (!p || !cl || !cl->model[0])
        return 0;
    char path[4096];
    if (cl->model[0] == '/' || !lab->dir)
        snprintf(path, sizeof path, "%s", cl->model);
    else
        snprintf(path, sizeof path, "%s/%s", lab->dir, cl->model);
    char why[512];
    if (pmodel_load(&p->pm, path, why, sizeof why) != 0) {
        snprintf(err, errlen, "cluster.model: %s", why);
        return -1;
    }
    const size_t nd = cl->ndev;
    for (size_t e = 0; e < nd; e++) {
        snprintf(p->dev[e].name, sizeof p->dev[e].name, "%s", cl->dev[e].name);
        p->dev[e].speed = cl->dev[e].speed;
        p->dev[e].mem_bytes = cl->dev[e].mem_bytes;
        p->pu[e] = -1;
        if (cl->dev[e].pu[0]) {
            const int d = model_find_device(m, cl->dev[e].pu);
            const int f = d >= 0 ? m->devices[d].sig[SIG_FREQ] : -1;
            const uint32_t top = d >= 0 && m->ps_off ? m->ps_off[d + 1] : 0;
            if (d < 0 || f < 0 || !m->ps_off || top == m->ps_off[d]) {
                snprintf(err, errlen,
                         "cluster.devices.%zu.pu: '%s' is no processing "
                         "unit of the lab with a clock and P-states",
                         e + 1, cl->dev[e].pu);
                return -1;
            }
            p->pu[e] = d;
            p->ftop[e] = m->ps_freq[top - 1];
        }
        for (size_t f = 0; f < nd; f++) {
            p->bw[e * nd + f] = cl->bw[e * nd + f];
            p->lat[e * nd + f] = cl->lat[e * nd + f];
        }
    }
    p->in = (struct ppipe_in){&p->pm.g, p->pm.order, p->pm.work, nd,
                              p->dev,   p->bw,       p->lat};
    struct ppipe_plan plan;
    if (ppipe_solve(&p->in, &plan, why, sizeof why) != 0) {
        snprintf(err, errlen, "cluster.model: %s: %s", path, why);
        return -1;
    }
    struct padapt_cfg ac;
    padapt_cfg_default(&ac);
    ac.threshold = cl->adapt_threshold;
    ac.hold = cl->adapt_hold;
    ac.cooldown = cl->adapt_cooldown;
    ac.horizon = cl->adapt_horizon;
    if (padapt_init(&p->ad, &p->in, &plan, &ac) != 0) {
        snprintf(err, errlen, "cluster: the controller refused its settings");
        return -1;
    }
    if (cl->data[0] &&
        partrun_data(p, cl->data, lab->seed, &plan, err, errlen) != 0)
        return -1;
    p->noise = cl->noise;
    p->rng = lab->seed ^ 0x70617274ull; /* "part": its own stream */
    p->on = 1;
    p->v.model = p->pm.g.name;
    p->v.g = &p->pm.g;
    p->v.order = p->pm.order;
    p->v.in = &p->in;
    p->v.ad = &p->ad;
    for (size_t e = 0; e < nd; e++)
        p->v.speed_f[e] = 1;
    partrun_labels(p);
    partrun_work_ratio(p);
    char desc[256];
    partrun_describe(p, desc, sizeof desc);
    log_msg(LOG_INFO,
            "partition: %s over %zu devices: %s layers; bottleneck %.3f ms "
            "(bound %.3f)",
            p->pm.g.name, nd, desc, plan.bottleneck_ms, plan.bound_ms);
    return 0;
}

/* Each device's speed now, of nominal: its PU's clock over its top. */
static void partrun_speeds(struct partrun *p, const struct model *m)
{
    for (size_t e = 0; e < p->in.ndev; e++) {
        double f;
        if (p->pu[e] >= 0 && model_sig(m, (uint32_t)p->pu[e], SIG_FREQ, &f) &&
            f > 0 && isfinite(f))
            p->v.speed_f[e] = fmin(1, f / p->ftop[e]);
    }
}

/* The present plan's true stage and link times at those speeds, for the
 * profiled work (the batch in flight scales them by p->ratio). */
static void partrun_truth(const struct partrun *p, double *sm, double *lm)
{
    const struct padapt *a = &p->ad;
    const struct ppipe_plan *c = &a->cur;
    for (unsigned k = 0; k < c->nstages; k++) {
        const unsigned d = c->dev[k];
        /* cur's times are at the speeds it was planned for */
        sm[k] = c->compute_ms[k] * a->plan_f[d] / p->v.speed_f[d];
        lm[k] = c->comm_ms[k];
    }
}

static void partrun_propose(void *st, struct model *m)
{
    struct partrun *p = st;
    if (!p || !p->on)
        return;
    partrun_speeds(p, m);
    double sm[PPIPE_MAX_DEV], lm[PPIPE_MAX_DEV];
    partrun_truth(p, sm, lm);
    /* the batch in flight sets the pace */
    double t_ms = 0;
    for (unsigned k = 0; k < p->ad.cur.nstages; k++)
        t_ms = fmax(t_ms, fmax(sm[k] * p->ratio[k], lm[k]));
    const double dt = m->dt > 0 ? m->dt : 0;
    int observed = 0;
    if (p->v.stall_s > 0) {
        p->v.stall_s = fmax(0, p->v.stall_s - dt);
    } else if (t_ms > 0) {
        for (size_t e = 0; e < p->in.ndev; e++)
            p->fsum[e] += p->v.speed_f[e];
        p->fn++;
        p->progress += dt * 1e3 / t_ms;
        if (p->progress >= 1) {
            /* one observation a tick: a pipeline faster than the tick
             * reports its micro-batches in bulk, alike */
            p->v.batches += floor(p->progress);
            p->progress -= floor(p->progress);
            /* the times at the speeds the micro-batch ran at */
            double saved[PPIPE_MAX_DEV];
            memcpy(saved, p->v.speed_f, sizeof saved);
            for (size_t e = 0; e < p->in.ndev; e++)
                p->v.speed_f[e] = p->fsum[e] / p->fn;
            partrun_truth(p, sm, lm);
            double idle[PPIPE_MAX_DEV];
            memcpy(idle, p->v.speed_f, sizeof idle);
            memcpy(p->v.speed_f, saved, sizeof saved);
            memset(p->fsum, 0, sizeof p->fsum);
            p->fn = 0;
            /* this batch's work: the stages take what it asks, and the
             * controller sees their times over it (the profiler knows the
             * batch before it runs: a longer batch is no slower device) */
            double mm = 0;
            for (unsigned k = 0; k < p->ad.cur.nstages; k++) {
                sm[k] *= 1 + p->noise * ptrain_gauss(&p->rng);
                lm[k] *= 1 + p->noise * ptrain_gauss(&p->rng);
                p->v.measured_ms[k] = sm[k] * p->ratio[k];
                mm = fmax(mm, fmax(p->v.measured_ms[k], lm[k]));
            }
            p->v.measured_bottleneck_ms = mm;
            padapt_observe(&p->ad, sm, lm, idle);
            if (p->data) {
                pdpred_observe(&p->pp, partrun_batch(p), NULL, 0);
                p->next++;
                partrun_work_ratio(p);
            }
            observed = 1;
        }
    }
    if (p->v.pending) {
        /* the policy has seen the proposal since the last tick */
        p->v.pending = 0;
        const enum padapt_action r = padapt_commit(&p->ad, p->veto);
        char desc[256];
        partrun_describe(p, desc, sizeof desc);
        if (r == PADAPT_MOVE) {
            p->v.stall_s = p->ad.cost_ms / 1e3;
            p->v.data_moves += p->pending_data;
            partrun_labels(p);
            partrun_work_ratio(p);
            log_msg(LOG_INFO,
                    "partition: repartitioned to %s layers%s: bottleneck "
                    "%.3f ms, migration %.3f s",
                    desc, p->pending_data ? " before the data changes" : "",
                    p->ad.cur.bottleneck_ms, p->ad.cost_ms / 1e3);
        } else if (r == PADAPT_VETOED) {
            log_msg(LOG_INFO,
                    "partition: the policy vetoed a repartition (gain %.3f "
                    "ms per micro-batch, cost %.3f s)",
                    p->ad.gain_ms, p->ad.cost_ms / 1e3);
        }
        p->veto = 0;
        return;
    }
    /* a proposal only on a new observation (the estimates change only
     * then: asking every tick would solve every tick) or when forced */
    const int force = p->force;
    p->force = 0;
    p->veto = 0;
    p->pending_data = 0;
    if ((observed || force) && padapt_propose(&p->ad, force) == PADAPT_MOVE) {
        p->v.pending = 1;
    } else if (observed && p->data) {
        /* the predictor plans for the work to come at the speeds the
         * controller estimates */
        for (size_t e = 0; e < p->in.ndev; e++)
            p->est_dev[e].speed = p->dev[e].speed * p->ad.est_f[e];
        struct ppipe_plan next;
        if (pdpred_decide(&p->pp, &p->ad.cur, &next) == 1 &&
            padapt_offer(&p->ad, &next) == 0) {
            p->v.pending = 1;
            p->pending_data = 1;
        }
    }
    p->v.pending_data = p->pending_data;
}

static void partrun_summarize(const void *st, struct summary *s)
{
    const struct partrun *p = st;
    if (!p || !p->on)
        return;
    s->partition_stages = p->ad.cur.nstages;
    s->partition_moves = p->ad.moves;
    s->partition_vetoes = p->ad.vetoes;
    s->partition_proposals = p->ad.proposals;
    s->partition_batches = p->v.batches;
    s->partition_migration_s = p->ad.migration_ms / 1e3;
    s->partition_bottleneck_ms = p->v.measured_bottleneck_ms;
    s->partition_data_moves = p->v.data_moves;
}

static int partrun_pane(const void *st, size_t i, struct engine_pane *out)
{
    const struct partrun *p = st;
    if (!p || !p->on || i > 0)
        return 0;
    out->kind = ENGINE_PANE_STAGES;
    out->u.stages = (struct engine_stages){
        .model_name = p->pm.g.name,
        .n = p->ad.cur.nstages,
        .stage = p->stage_p,
        .device = p->dev_p,
        .cost_ms = p->ad.pred.compute_ms,
        .comm_ms = p->ad.pred.comm_ms,
        .measured_ms = p->v.measured_ms,
        .first_layer = p->first,
        .predicted_bottleneck_ms = p->ad.pred.bottleneck_ms,
        .measured_bottleneck_ms = p->v.measured_bottleneck_ms,
        .bound_ms = p->ad.cur.bound_ms,
        .moves = p->ad.moves,
        .pending = p->v.pending,
        .stall_s = p->v.stall_s};
    return 1;
}

const struct engine_ops partrun_engine_ops = {
    .name = "partition",
    .create = partrun_create,
    .propose = partrun_propose,
    .destroy = partrun_destroy,
    .summarize = partrun_summarize,
    .pane = partrun_pane,
};

struct partrun *partrun_of(const struct engines *e)
{
    return engines_state_of(e, &partrun_engine_ops);
}

const struct partrun_view *partrun_view(const struct partrun *p)
{
    return p && p->on ? &p->v : NULL;
}

void partrun_steer(struct partrun *p, int veto, int force)
{
    if (!p || !p->on)
        return;
    p->veto = veto;
    p->force = force;
}

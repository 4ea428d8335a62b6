/*
 * test_pdpred - the data profiler and predictor (console/engines/
 * pdpred.c), on a hand-made image model whose best partition moves with
 * the image size (convolutions per pixel, the classifier const) and on
 * GNMT's real profile when the shared data is there:
 *   - the forecast on a stream with a known schedule (Darknet's resize
 *     every 10 batches): the size in force up to the next resize, the
 *     schedule's mean after it, the loader's queue where it is given;
 *   - the level forecaster after a step: the new level from its own
 *     samples within a few batches (the change test fires);
 *   - the predicted stage times are the plan's at the predicted work;
 *   - proactive beats reactive (and static) through long phases of
 *     small and large images, and stays within reach of hindsight;
 *   - on stationary streams (sizes drawn every batch; Darknet's schedule;
 *     GNMT's shuffled buckets) it moves at most once: no thrash.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engines/pdpred.h"
#include "part/pbatch.h"
#include "part/pmodel.h"
#include "t.h"

#define N 24
static struct mgraph g;
static uint32_t order[N];
static double work[N];
static const struct ppipe_dev dev[4] = {{"v100a", 1, 16e9},
                                        {"v100b", 1, 16e9},
                                        {"t4a", 0.45, 16e9},
                                        {"t4b", 0.45, 16e9}};
static double bw[16], lat[16];
static struct ppipe_in in;
static struct pdata d;

/* 12 convolutions, a flatten, 11 fully connected layers: per pixel, then
 * const, so small images want the classifier spread and large ones the
 * convolutions. */
static void setup(void)
{
    mgraph_init(&g);
    for (int i = 0; i < N; i++) {
        struct mgraph_node nd = {0};
        snprintf(nd.name, sizeof nd.name, "l%d", i);
        snprintf(nd.kind, sizeof nd.kind, "%s",
                 i < 12    ? "Conv2d"
                 : i == 12 ? "View"
                           : "Linear");
        nd.fwd_ms = nd.bwd_ms = nd.flops = NAN;
        nd.param_bytes = i < 12 ? 2e6 : 4e7;
        nd.act_bytes = i < 13 ? 8e6 : 1e5;
        mgraph_add(&g, &nd);
        if (i)
            mgraph_edge(&g, (uint32_t)i - 1, (uint32_t)i);
        work[i] = i == 12 ? 0 : 2;
    }
    char err[128];
    T_CHECK(mgraph_topo(&g, order, err, sizeof err) == 0);
    for (int k = 0; k < 16; k++) {
        bw[k] = 12e9;
        lat[k] = 10e-6;
    }
    in = (struct ppipe_in){&g, order, work, 4, dev, bw, lat};
    T_CHECK(pdata_init(&d, &g, order, NULL, err, sizeof err) == 0);
}

static double factor(const struct pdata_batch *b)
{
    double f[PDATA__N];
    pdata_factors(&d, b, f);
    return f[PDATA_PIXELS];
}

static void test_schedule(const struct ppipe_plan *p)
{
    enum { M = 40 };
    struct pdata_batch s[M];
    const struct pbatch_cfg ms = {PBATCH_MULTISCALE, 3, 0, 0, 10};
    T_CHECK(pbatch_fill(&ms, s, M) == 0);
    struct pdpred_cfg c;
    pdpred_cfg_default(&c);
    pdpred_cfg_multiscale(&c, &d);
    /* the schedule's mean: the 10 sizes' pixel factors averaged */
    double mean = 0;
    for (int k = 0; k < 10; k++)
        mean += (320.0 + 32 * k) * (320.0 + 32 * k) / (224.0 * 224) / 10;
    T_NEAR(c.sched_mean[PDATA_PIXELS], mean, 1e-12);
    struct pdpred *pr = malloc(sizeof *pr);
    T_CHECK(pr && pdpred_init(pr, &d, &in, p, &c) == 0);
    for (int b = 0; b <= 13; b++)
        pdpred_observe(pr, &s[b], NULL, 0);
    /* batch 13 ran: 14..19 keep its size, 20 on is a new draw */
    for (unsigned h = 1; h <= 6; h++)
        T_NEAR(pdpred_forecast(pr, PDATA_PIXELS, h, NULL, 0), factor(&s[13]),
               1e-12);
    T_NEAR(pdpred_forecast(pr, PDATA_PIXELS, 7, NULL, 0), mean, 1e-12);
    T_NEAR(pdpred_forecast(pr, PDATA_PIXELS, 60, NULL, 0), mean, 1e-12);
    /* the window: 7 batches at the size in force, 493 at the mean */
    T_NEAR(pr->win[PDATA_PIXELS], (7 * factor(&s[13]) + 493 * mean) / 500,
           1e-12);
    pdpred_free(pr);
    /* with the loader's queue the next draw is known */
    c.lookahead = 16;
    T_CHECK(pdpred_init(pr, &d, &in, p, &c) == 0);
    for (int b = 0; b <= 13; b++)
        pdpred_observe(pr, &s[b], &s[b + 1], M - b - 1);
    T_NEAR(pdpred_forecast(pr, PDATA_PIXELS, 7, &s[14], M - 14), factor(&s[20]),
           1e-12);
    T_NEAR(pdpred_forecast(pr, PDATA_PIXELS, 17, &s[14], M - 14), mean, 1e-12);
    pdpred_free(pr);
    free(pr);
}

static void test_level(const struct ppipe_plan *p)
{
    struct pdpred *pr = malloc(sizeof *pr);
    T_CHECK(pr && pdpred_init(pr, &d, &in, p, NULL) == 0);
    const struct pdata_batch small = {0, 0, 224, 224}, big = {0, 0, 448, 448};
    for (int b = 0; b < 40; b++)
        pdpred_observe(pr, &small, NULL, 0);
    T_NEAR(pdpred_forecast(pr, PDATA_PIXELS, 5, NULL, 0), 1, 1e-12);
    T_CHECK(pr->resets == 0);
    for (int b = 0; b < 3; b++)
        pdpred_observe(pr, &big, NULL, 0);
    T_CHECK(pr->resets >= 1);
    T_NEAR(pdpred_forecast(pr, PDATA_PIXELS, 5, NULL, 0), 4, 1e-9);
    T_NEAR(pr->win[PDATA_PIXELS], 4, 1e-9);
    /* the plan's predicted stage times are its times at 4x the work */
    struct ppipe_plan pred, q = *p;
    const double bn = pdpred_stage_times(pr, p, &pred);
    struct pdata_view v;
    double f[PDATA__N];
    pdata_factors(&d, &big, f);
    T_CHECK(pdata_view_init(&v, &d, &in) == 0);
    pdata_view_set(&v, &d, f);
    T_NEAR(bn, ppipe_eval(&v.in, &q), 1e-9);
    for (unsigned k = 0; k < p->nstages; k++)
        T_NEAR(pred.compute_ms[k], q.compute_ms[k], 1e-9);
    pdata_view_free(&v);
    pdpred_free(pr);
    free(pr);
}

enum { NB = 2400 };
static struct pdata_batch batch[NB];

static void run4(const struct ppipe_plan *p, const struct pdpred_cfg *pc,
                 struct ptrain_result *r)
{
    const struct ptrain_cfg tc = {0, 0.03, 5, NULL};
    const enum ptrain_mode m[4] = {PTRAIN_STATIC, PTRAIN_ADAPTIVE,
                                   PTRAIN_PLANNED, PTRAIN_HINDSIGHT};
    for (int k = 0; k < 4; k++)
        T_CHECK(pdpred_simulate(&d, &in, p, batch, NB, m[k], pc, &tc, &r[k],
                                NULL) == 0);
}

static void test_phases(const struct ppipe_plan *p)
{
    /* 400 batches of 112 x 112 images, 400 of 448 x 448, ... */
    for (int b = 0; b < NB; b++) {
        const double side = (b / 400) % 2 ? 448 : 112;
        batch[b] = (struct pdata_batch){0, 0, side, side};
    }
    struct ptrain_result r[4];
    run4(p, NULL, r);
    fprintf(stderr,
            "phases: static %.3f reactive %.3f (%lu moves) predictive %.3f "
            "(%lu moves) hindsight %.3f batches/s\n",
            r[0].tput, r[1].tput, r[1].moves, r[2].tput, r[2].moves, r[3].tput);
    T_CHECK(r[2].tput > r[1].tput);
    T_CHECK(r[2].tput > r[0].tput);
    T_CHECK(r[2].tput >= 0.9 * r[3].tput);
    T_CHECK(r[2].moves >= 5 && r[2].moves <= 12); /* about one a phase */
}

static void test_stationary(const struct ppipe_plan *p)
{
    struct ptrain_result r[4];
    /* a size drawn every batch, no schedule known */
    const struct pbatch_cfg iid = {PBATCH_MULTISCALE, 9, 0, 0, 1};
    T_CHECK(pbatch_fill(&iid, batch, NB) == 0);
    run4(p, NULL, r);
    T_CHECK(r[2].moves <= 1);
    /* Darknet's schedule, known */
    const struct pbatch_cfg ms = {PBATCH_MULTISCALE, 9, 0, 0, 10};
    T_CHECK(pbatch_fill(&ms, batch, NB) == 0);
    struct pdpred_cfg c;
    pdpred_cfg_default(&c);
    pdpred_cfg_multiscale(&c, &d);
    run4(p, &c, r);
    T_CHECK(r[2].moves <= 1);
    T_CHECK(r[2].tput >= r[0].tput);
}

/* GNMT's profile: shuffled buckets move the plan at most once; long
 * phases are run better than the reactive controller does. */
static void test_gnmt(void)
{
    const char *data = getenv("WATTSON_SHARED_DATA");
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/pipedream-profiles/gnmt.txt",
             data ? data : "../shared/data");
    struct pmodel m;
    if (pmodel_load(&m, path, err, sizeof err) != 0) {
        pmodel_free(&m);
        t_skip("no %s", path);
        return;
    }
    struct pdata dg;
    T_CHECK(pdata_init(&dg, &m.g, m.order, NULL, err, sizeof err) == 0);
    /* the real graph's sides: the encoder's LSTM, the target embedding,
     * the attention, the last decoder LSTM, the classifier */
    const long enc = mgraph_find(&m.g, "node7"),
               temb = mgraph_find(&m.g, "node21"),
               att = mgraph_find(&m.g, "node23"),
               dec = mgraph_find(&m.g, "node44"),
               cls = mgraph_find(&m.g, "node48");
    T_CHECK(enc >= 0 && temb >= 0 && att >= 0 && dec >= 0 && cls >= 0);
    if (enc >= 0 && temb >= 0 && att >= 0 && dec >= 0 && cls >= 0) {
        T_NEAR(dg.layer[enc].share[PDATA_SRC], 1, 0);
        T_NEAR(dg.layer[temb].share[PDATA_TGT], 1, 0);
        T_NEAR(dg.layer[att].share[PDATA_SRC_TGT], PDATA_ATTN_PAIR_SHARE, 0);
        T_NEAR(dg.layer[dec].share[PDATA_TGT], 1, 0);
        T_NEAR(dg.layer[cls].share[PDATA_TGT], 1, 0);
    }
    const struct ppipe_in gi = {&m.g, m.order, m.work, 4, dev, bw, lat};
    struct ppipe_plan p;
    T_CHECK(ppipe_solve(&gi, &p, err, sizeof err) == 0);
    const struct ptrain_cfg tc = {0, 0.03, 5, NULL};
    struct ptrain_result r[2];
    const struct pbatch_cfg sh = {PBATCH_SHUFFLED, 4, 32, 0, 0};
    T_CHECK(pbatch_fill(&sh, batch, NB) == 0);
    T_CHECK(pdpred_simulate(&dg, &gi, &p, batch, NB, PTRAIN_PLANNED, NULL, &tc,
                            &r[0], NULL) == 0);
    T_CHECK(r[0].moves <= 1);
    const struct pbatch_cfg ph = {PBATCH_PHASES, 4, 32, 500, 0};
    T_CHECK(pbatch_fill(&ph, batch, NB) == 0);
    T_CHECK(pdpred_simulate(&dg, &gi, &p, batch, NB, PTRAIN_PLANNED, NULL, &tc,
                            &r[0], NULL) == 0);
    T_CHECK(pdpred_simulate(&dg, &gi, &p, batch, NB, PTRAIN_ADAPTIVE, NULL, &tc,
                            &r[1], NULL) == 0);
    T_CHECK(r[0].tput > r[1].tput);
    pdata_free(&dg);
    pmodel_free(&m);
}

int main(void)
{
    setup();
    struct ppipe_plan p;
    char err[128];
    T_CHECK(ppipe_solve(&in, &p, err, sizeof err) == 0);
    test_schedule(&p);
    test_level(&p);
    test_phases(&p);
    test_stationary(&p);
    test_gnmt();
    pdata_free(&d);
    mgraph_free(&g);
    return t_done("test_pdpred");
}

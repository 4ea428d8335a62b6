/*
 * test_pdata - a layer's cost as a function of the batch (console/part/
 * pdata.c), the batch streams (pbatch.c) and the data run (ptrain.c's
 * ptrain_run_data), on hand-made graphs:
 *   - a GNMT-like graph: the encoder (embedding, LSTM) scales with the
 *     source length, the target embedding, the decoder and the classifier
 *     with the target length, the attention 63 % with the target and 37 %
 *     with source x target; without an attention every layer is per
 *     source token;
 *   - image graphs: convolutions and pools per pixel, a flatten and the
 *     layers after it const, a Linear / connected layer const, a global
 *     average pool per input pixel with a const output; a view scales the
 *     work and the activations the partitioner sees;
 *   - the streams are functions of their seed, the buckets tile 2..48,
 *     a phase keeps its bucket, multi-scale sizes are Darknet's and hold
 *     for 10 batches;
 *   - a static data run on constant work runs at the plan's pace.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "part/pbatch.h"
#include "part/pdata.h"
#include "part/ptrain.h"
#include "t.h"

static long add(struct mgraph *g, const char *name, const char *kind,
                double act)
{
    struct mgraph_node nd = {0};
    snprintf(nd.name, sizeof nd.name, "%s", name);
    snprintf(nd.kind, sizeof nd.kind, "%s", kind);
    nd.fwd_ms = nd.bwd_ms = 1;
    nd.flops = NAN;
    nd.param_bytes = 1e6;
    nd.act_bytes = act;
    return mgraph_add(g, &nd);
}

static void topo(const struct mgraph *g, uint32_t *order)
{
    char err[128];
    T_CHECK(mgraph_topo(g, order, err, sizeof err) == 0);
}

static void test_seq(void)
{
    struct mgraph g;
    mgraph_init(&g);
    const long in0 = add(&g, "in0", "Input", 0),
               emb = add(&g, "emb", "Embedding", 10),
               lstm = add(&g, "lstm", "LSTM", 10),
               in2 = add(&g, "in2", "Input", 0),
               emb2 = add(&g, "emb2", "Embedding", 10),
               attn = add(&g, "attn", "RecurrentAttention", 10),
               dec = add(&g, "dec", "LSTM", 10),
               cls = add(&g, "cls", "Classifier", 10);
    const long e[][2] = {{in0, emb},   {emb, lstm}, {lstm, attn}, {in2, emb2},
                         {emb2, attn}, {attn, dec}, {dec, cls}};
    for (size_t k = 0; k < sizeof e / sizeof *e; k++)
        mgraph_edge(&g, (uint32_t)e[k][0], (uint32_t)e[k][1]);
    uint32_t order[8];
    topo(&g, order);
    struct pdata d;
    char err[128];
    T_CHECK(pdata_init(&d, &g, order, NULL, err, sizeof err) == 0);
    T_CHECK(d.kind == PDATA_SEQ);
    T_NEAR(d.base.src, 48, 0);
    T_NEAR(d.base.tgt, 47, 0);
    T_NEAR(d.layer[emb].share[PDATA_SRC], 1, 0);
    T_NEAR(d.layer[lstm].share[PDATA_SRC], 1, 0);
    T_NEAR(d.layer[emb2].share[PDATA_TGT], 1, 0);
    T_NEAR(d.layer[dec].share[PDATA_TGT], 1, 0);
    T_NEAR(d.layer[cls].share[PDATA_TGT], 1, 0);
    T_NEAR(d.layer[attn].share[PDATA_SRC_TGT], PDATA_ATTN_PAIR_SHARE, 0);
    T_NEAR(d.layer[attn].share[PDATA_TGT], 1 - PDATA_ATTN_PAIR_SHARE, 1e-15);
    T_CHECK(d.layer[attn].act == PDATA_TGT && d.layer[lstm].act == PDATA_SRC);
    /* both lengths doubled: per token x2, the attention's pairs x4 */
    double f[PDATA__N];
    pdata_factors(&d, &(struct pdata_batch){96, 94, 0, 0}, f);
    T_NEAR(pdata_layer_work(&d, lstm, 3, f), 6, 1e-12);
    T_NEAR(pdata_layer_work(&d, cls, 3, f), 6, 1e-12);
    T_NEAR(pdata_layer_work(&d, attn, 1, f), 0.63 * 2 + 0.37 * 4, 1e-12);
    /* only the source longer: the decoder does not move */
    pdata_factors(&d, &(struct pdata_batch){24, 47, 0, 0}, f);
    T_NEAR(pdata_layer_work(&d, lstm, 3, f), 1.5, 1e-12);
    T_NEAR(pdata_layer_work(&d, dec, 3, f), 3, 1e-12);
    T_NEAR(pdata_layer_work(&d, attn, 1, f), 0.63 + 0.37 * 0.5, 1e-12);
    /* a view: work and activations of the batch */
    double work[8], bw[4] = {1e9, 1e9, 1e9, 1e9}, lat[4] = {0};
    for (int u = 0; u < 8; u++)
        work[u] = 2;
    const struct ppipe_dev dev[2] = {{"a", 1, INFINITY}, {"b", 1, INFINITY}};
    const struct ppipe_in in = {&g, order, work, 2, dev, bw, lat};
    struct pdata_view v;
    T_CHECK(pdata_view_init(&v, &d, &in) == 0);
    pdata_view_set(&v, &d, f);
    T_NEAR(v.work[lstm], 1, 1e-12);
    T_NEAR(v.g.node[lstm].act_bytes, 5, 1e-12);
    T_NEAR(v.g.node[cls].act_bytes, 10, 1e-12);
    T_NEAR(g.node[lstm].act_bytes, 10, 0); /* the model is untouched */
    pdata_view_free(&v);
    pdata_free(&d);
    mgraph_free(&g);

    /* no attention: one sequence */
    mgraph_init(&g);
    add(&g, "e", "Embedding", 1);
    add(&g, "l", "LSTM", 1);
    add(&g, "o", "Linear", 1);
    mgraph_edge(&g, 0, 1);
    mgraph_edge(&g, 1, 2);
    topo(&g, order);
    T_CHECK(pdata_init(&d, &g, order, NULL, err, sizeof err) == 0);
    for (int u = 0; u < 3; u++)
        T_NEAR(d.layer[u].share[PDATA_SRC], 1, 0);
    pdata_free(&d);
    /* a base that is not positive is refused, with the model named */
    T_CHECK(pdata_init(&d, &g, order, &(struct pdata_batch){0, 47, 0, 0}, err,
                       sizeof err) == -1);
    T_CHECK(strstr(err, "lengths") != NULL);
    mgraph_free(&g);
}

static void test_vision(void)
{
    /* PipeDream's kinds: conv, pool, flatten, classifier */
    struct mgraph g;
    mgraph_init(&g);
    const char *kinds[] = {"Input", "Conv2d", "ReLU", "MaxPool2d",
                           "View",  "Linear", "ReLU", "Linear"};
    for (int u = 0; u < 8; u++) {
        char name[8];
        snprintf(name, sizeof name, "n%d", u);
        add(&g, name, kinds[u], 100);
        if (u)
            mgraph_edge(&g, (uint32_t)u - 1, (uint32_t)u);
    }
    uint32_t order[8];
    topo(&g, order);
    struct pdata d;
    char err[128];
    T_CHECK(pdata_init(&d, &g, order, NULL, err, sizeof err) == 0);
    T_CHECK(d.kind == PDATA_VISION);
    T_NEAR(d.base.w, PDATA_IMAGENET_SIDE, 0); /* a profile: no in_bytes */
    for (int u = 0; u < 4; u++) {
        T_NEAR(d.layer[u].share[PDATA_PIXELS], 1, 0);
        T_CHECK(d.layer[u].act == PDATA_PIXELS);
    }
    /* the flatten reads its spatial input (no work of its own here) */
    T_NEAR(d.layer[4].share[PDATA_PIXELS], 1, 0);
    for (int u = 4; u < 8; u++) {
        if (u > 4)
            T_NEAR(d.layer[u].share[PDATA_CONST], 1, 0);
        T_CHECK(d.layer[u].act == PDATA_CONST);
    }
    double f[PDATA__N];
    pdata_factors(&d, &(struct pdata_batch){0, 0, 448, 448}, f);
    T_NEAR(pdata_layer_work(&d, 1, 1, f), 4, 1e-12);
    T_NEAR(pdata_layer_work(&d, 5, 1, f), 1, 1e-12);
    pdata_free(&d);
    mgraph_free(&g);

    /* Darknet's kinds: a global average pool reads every pixel */
    mgraph_init(&g);
    add(&g, "0", "convolutional", 100);
    add(&g, "1", "avgpool", 4);
    add(&g, "2", "connected", 4);
    add(&g, "3", "softmax", 4);
    for (uint32_t u = 1; u < 4; u++)
        mgraph_edge(&g, u - 1, u);
    g.in_bytes = 416.0 * 416 * 3 * 4;
    topo(&g, order);
    T_CHECK(pdata_init(&d, &g, order, NULL, err, sizeof err) == 0);
    T_NEAR(d.base.w, 416, 1e-9);
    T_NEAR(d.layer[0].share[PDATA_PIXELS], 1, 0);
    T_NEAR(d.layer[1].share[PDATA_PIXELS], 1, 0);
    T_CHECK(d.layer[1].act == PDATA_CONST);
    T_NEAR(d.layer[2].share[PDATA_CONST], 1, 0);
    T_NEAR(d.layer[3].share[PDATA_CONST], 1, 0);
    pdata_factors(&d, &(struct pdata_batch){0, 0, 608, 608}, f);
    T_NEAR(f[PDATA_PIXELS], 608.0 * 608 / (416.0 * 416), 1e-12);
    pdata_free(&d);
    mgraph_free(&g);
}

static void test_streams(void)
{
    /* the buckets tile [2, 48] */
    unsigned next = PBATCH_LEN_MIN;
    for (unsigned k = 0; k < PBATCH_NBUCKET; k++) {
        unsigned lo, hi;
        pbatch_bucket(k, &lo, &hi);
        T_CHECK(lo == next && hi >= lo);
        next = hi + 1;
    }
    T_CHECK(next == PBATCH_LEN_MAX + 1);
    enum { N = 1200 };
    static struct pdata_batch a[N], b[N];
    /* phases: a bucket for 300 batches, then another */
    const struct pbatch_cfg ph = {PBATCH_PHASES, 5, 32, 300, 0};
    T_CHECK(pbatch_fill(&ph, a, N) == 0);
    T_CHECK(pbatch_fill(&ph, b, N) == 0);
    T_CHECK(memcmp(a, b, sizeof a) == 0);
    unsigned last = PBATCH_NBUCKET;
    for (size_t p = 0; p < N / 300; p++) {
        unsigned k = PBATCH_NBUCKET, lo = 0, hi = 0;
        for (unsigned j = 0; j < PBATCH_NBUCKET && k == PBATCH_NBUCKET; j++) {
            pbatch_bucket(j, &lo, &hi);
            if (a[p * 300].src >= lo && a[p * 300].src <= hi)
                k = j;
        }
        T_CHECK(k < PBATCH_NBUCKET);
        int inside = 1;
        for (size_t i = p * 300; i < (p + 1) * 300; i++)
            inside &= a[i].src >= lo && a[i].src <= hi && a[i].tgt >= 1 &&
                      a[i].tgt <= PBATCH_LEN_MAX - 1;
        T_CHECK(inside);
        T_CHECK(k != last); /* never the same bucket twice in a row */
        last = k;
    }
    /* another seed, another stream */
    const struct pbatch_cfg ph2 = {PBATCH_PHASES, 6, 32, 300, 0};
    T_CHECK(pbatch_fill(&ph2, b, N) == 0);
    T_CHECK(memcmp(a, b, sizeof a) != 0);
    /* sorted: a ramp */
    const struct pbatch_cfg so = {PBATCH_SORTED, 5, 32, 0, 0};
    T_CHECK(pbatch_fill(&so, a, N) == 0);
    int up = 1;
    for (size_t i = 1; i < N; i++)
        up &= a[i].src >= a[i - 1].src;
    T_CHECK(up && a[0].src < a[N - 1].src);
    /* multi-scale: Darknet's sizes, 10 batches each */
    const struct pbatch_cfg ms = {PBATCH_MULTISCALE, 5, 0, 0, 10};
    T_CHECK(pbatch_fill(&ms, a, N) == 0);
    int ok = 1, changes = 0;
    for (size_t i = 0; i < N; i++) {
        ok &= a[i].w == a[i].h && a[i].w >= 320 && a[i].w <= 608 &&
              fmod(a[i].w, 32) == 0;
        if (i % 10)
            ok &= a[i].w == a[i - 1].w;
        else if (i)
            changes += a[i].w != a[i - 1].w;
    }
    T_CHECK(ok);
    T_CHECK(changes > N / 10 / 2); /* 9 in 10 draws differ */
    /* bad configuration */
    const struct pbatch_cfg bad = {PBATCH_PHASES, 5, 32, 0, 0};
    T_CHECK(pbatch_fill(&bad, a, N) == -1);
}

/* A static data run on a constant model runs one batch per bottleneck. */
static const struct ppipe_in *const_truth(void *ctx, size_t b)
{
    (void)b;
    return ctx;
}

static void test_run(void)
{
    struct mgraph g;
    mgraph_init(&g);
    double work[6];
    uint32_t order[6];
    for (int u = 0; u < 6; u++) {
        char name[8];
        snprintf(name, sizeof name, "l%d", u);
        add(&g, name, "Conv2d", 1e6);
        if (u)
            mgraph_edge(&g, (uint32_t)u - 1, (uint32_t)u);
        work[u] = 1 + u;
    }
    topo(&g, order);
    const struct ppipe_dev dev[2] = {{"a", 1, INFINITY}, {"b", 1, INFINITY}};
    double bw[4] = {1e10, 1e10, 1e10, 1e10}, lat[4] = {0};
    struct ppipe_in in = {&g, order, work, 2, dev, bw, lat};
    struct ppipe_plan p;
    char err[128];
    T_CHECK(ppipe_solve(&in, &p, err, sizeof err) == 0);
    const struct ptrain_data d = {100, const_truth, NULL, &in};
    const struct ptrain_cfg c = {0, 0, 1, NULL};
    struct ptrain_result r;
    T_CHECK(ptrain_run_data(&in, &p, &d, PTRAIN_STATIC, &c, &r) == 0);
    T_NEAR(r.batches, 100, 0);
    T_NEAR(r.tput, 1e3 / p.bottleneck_ms, 1e-9 * r.tput);
    T_CHECK(r.moves == 0);
    /* hindsight on a constant model solves once and keeps its plan */
    T_CHECK(ptrain_run_data(&in, &p, &d, PTRAIN_HINDSIGHT, &c, &r) == 0);
    T_CHECK(r.moves == 0);
    /* planned without a controller is refused */
    T_CHECK(ptrain_run_data(&in, &p, &d, PTRAIN_PLANNED, &c, &r) == -1);
    mgraph_free(&g);
}

int main(void)
{
    test_seq();
    test_vision();
    test_streams();
    test_run();
    return t_done("test_pdata");
}

/*
 * test_padapt - the runtime adaptation controller (console/part/padapt.c)
 * and the simulated training pipeline it is measured on (ptrain.c): on a
 * random chain over four heterogeneous devices,
 *   - measurements that only carry noise never move the plan (no thrash);
 *   - after a device slows, the estimate of its speed converges to the
 *     truth, the plan moves within a few dozen micro-batches, and the new
 *     plan's true bottleneck equals the plan solved with the true speeds;
 *   - a deviation that changes while it lasts (all devices a little slow,
 *     then one tenfold) is estimated from its latest regime;
 *   - a veto keeps the plan and is counted; a force moves at once;
 *   - the migration cost of a hand-made move is the one computed by hand;
 *   - over a run with a throttled device, a co-tenant and a degraded
 *     link, the adaptive pipeline keeps at least 90 % of the hindsight
 *     pipeline's throughput in every window after a change, beats the
 *     static one there, and never moves back to the plan it left.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "part/padapt.h"
#include "part/ptrain.h"
#include "t.h"

#define N 60
static struct mgraph g;
static uint32_t order[N];
static double work[N];
static struct ppipe_dev dev[4] = {{"v100a", 1, 16e9},
                                  {"v100b", 1, 16e9},
                                  {"t4a", 0.45, 16e9},
                                  {"t4b", 0.45, 16e9}};
static double bw[16], lat[16];
static struct ppipe_in in;

static uint64_t rng = 88172645463325252ull;
static double unif(void)
{
    return t_unif(&rng);
}

static void setup(void)
{
    mgraph_init(&g);
    for (size_t i = 0; i < N; i++) {
        struct mgraph_node nd = {0};
        snprintf(nd.name, sizeof nd.name, "l%zu", i);
        nd.fwd_ms = nd.bwd_ms = nd.flops = NAN;
        nd.param_bytes = 1e6 + 4e7 * unif();
        nd.act_bytes = 1e6 + 2e7 * unif();
        mgraph_add(&g, &nd);
        if (i)
            mgraph_edge(&g, (uint32_t)i - 1, (uint32_t)i);
        work[i] = 1 + 9 * unif();
        order[i] = (uint32_t)i;
    }
    for (int k = 0; k < 16; k++) {
        bw[k] = 12e9;
        lat[k] = 10e-6;
    }
    in = (struct ppipe_in){&g, order, work, 4, dev, bw, lat};
}

/* The true stage times of plan p with device `slow` at `f` of nominal. */
static void truth(const struct ppipe_plan *p, int slow, double f, double *sm,
                  double *lm)
{
    struct ppipe_dev d[4];
    memcpy(d, dev, sizeof d);
    if (slow >= 0)
        d[slow].speed *= f;
    struct ppipe_in t = in;
    t.dev = d;
    struct ppipe_plan q = *p;
    ppipe_eval(&t, &q);
    for (unsigned k = 0; k < q.nstages; k++) {
        sm[k] = q.compute_ms[k];
        lm[k] = q.comm_ms[k];
    }
}

/* plan's true bottleneck with device `slow` at `f` of nominal is within
 * 2 % of the plan solved for those speeds. */
static void check_best(const struct ppipe_plan *plan, int slow, double f)
{
    struct ppipe_dev d[4];
    memcpy(d, dev, sizeof d);
    d[slow].speed *= f;
    struct ppipe_in t = in;
    t.dev = d;
    struct ppipe_plan best, mine = *plan;
    char err[128];
    T_CHECK(ppipe_solve(&t, &best, err, sizeof err) == 0);
    ppipe_eval(&t, &mine);
    T_CHECK(mine.bottleneck_ms <= best.bottleneck_ms * 1.02);
}

static void test_noise_only(const struct ppipe_plan *p)
{
    struct padapt a;
    T_CHECK(padapt_init(&a, &in, p, NULL) == 0);
    double sm[8], lm[8];
    for (int s = 0; s < 10000; s++) {
        truth(&a.cur, -1, 1, sm, lm);
        for (unsigned k = 0; k < a.cur.nstages; k++) {
            sm[k] *= 1 + 0.03 * (2 * unif() - 1);
            lm[k] *= 1 + 0.03 * (2 * unif() - 1);
        }
        padapt_observe(&a, sm, lm, NULL);
        T_CHECK(padapt_decide(&a, 0, 0) == PADAPT_KEEP);
    }
    T_CHECK(a.moves == 0 && a.proposals == 0);
}

static void test_slowdown(const struct ppipe_plan *p)
{
    struct padapt a;
    T_CHECK(padapt_init(&a, &in, p, NULL) == 0);
    const int slow = (int)p->dev[0];
    double sm[8], lm[8];
    int moved_at = -1;
    for (int s = 0; s < 200 && moved_at < 0; s++) {
        truth(&a.cur, slow, 0.5, sm, lm);
        padapt_observe(&a, sm, lm, NULL);
        if (padapt_decide(&a, 0, 0) == PADAPT_MOVE)
            moved_at = s;
    }
    T_CHECK(moved_at >= 4 && moved_at < 60);
    T_NEAR(a.est_f[slow], 0.5, 0.05);
    /* the plan it moved to is the plan for the true speeds */
    check_best(&a.cur, slow, 0.5);
    T_CHECK(a.cost_ms > 0 && a.migration_ms == a.cost_ms);

    /* a veto: the same slowdown, the plan kept, counted */
    struct padapt v;
    padapt_init(&v, &in, p, NULL);
    int vetoed = 0;
    for (int s = 0; s < 200; s++) {
        truth(&v.cur, slow, 0.5, sm, lm);
        padapt_observe(&v, sm, lm, NULL);
        vetoed += padapt_decide(&v, 1, 0) == PADAPT_VETOED;
    }
    T_CHECK(vetoed >= 1 && v.vetoes == (unsigned long)vetoed && v.moves == 0);
    T_CHECK(memcmp(v.cur.first, p->first, sizeof p->first) == 0);

    /* a force with nothing deviating: solved at once, and the same plan
     * is no move (nothing to pay for); after a slowdown it moves at once,
     * with no deviation held */
    struct padapt f;
    padapt_init(&f, &in, p, NULL);
    truth(&f.cur, -1, 1, sm, lm);
    padapt_observe(&f, sm, lm, NULL);
    T_CHECK(padapt_decide(&f, 0, 0) == PADAPT_KEEP);
    T_CHECK(padapt_decide(&f, 0, 1) == PADAPT_PROPOSE && f.moves == 0);
    T_CHECK(f.proposals == 1 && f.migration_ms == 0);
    truth(&f.cur, slow, 0.5, sm, lm);
    padapt_observe(&f, sm, lm, NULL);
    T_CHECK(padapt_decide(&f, 0, 1) == PADAPT_MOVE && f.moves == 1);
}

/* A deviation that changes while it lasts: every device a little slower
 * (15 %: over the threshold, the broker trimming clocks) and then one of
 * them ten times slower.  The estimate at the move is the new regime's,
 * not an average over both (the cluster run once moved layers onto the
 * slowed device, its speed estimated at 0.84 when it ran at 0.09). */
static void test_regime_change(const struct ppipe_plan *p)
{
    struct padapt a;
    T_CHECK(padapt_init(&a, &in, p, NULL) == 0);
    const int slow = (int)p->dev[0];
    double sm[8], lm[8];
    int moved_at = -1;
    for (int s = 0; s < 300 && moved_at < 0; s++) {
        truth(&a.cur, slow, s < 4 ? 0.85 : 0.1, sm, lm);
        for (unsigned k = 0; k < a.cur.nstages; k++)
            if (s < 4 && (int)a.cur.dev[k] != slow)
                sm[k] /= 0.85; /* the others 15 % slower too */
        padapt_observe(&a, sm, lm, NULL);
        if (padapt_decide(&a, 0, 0) == PADAPT_MOVE)
            moved_at = s;
    }
    T_CHECK(moved_at >= 4);
    T_NEAR(a.plan_f[slow], 0.1, 0.01);
    check_best(&a.cur, slow, 0.1);
}

/* Two stages on a chain of 4 layers moved by one layer: the layer's
 * parameters over its link, plus draining and filling. */
static void test_migration(void)
{
    struct mgraph h;
    mgraph_init(&h);
    double w[4] = {1, 1, 1, 1};
    uint32_t o[4] = {0, 1, 2, 3};
    for (int i = 0; i < 4; i++) {
        struct mgraph_node nd = {0};
        snprintf(nd.name, sizeof nd.name, "m%d", i);
        nd.param_bytes = 1e9 * (i + 1);
        nd.act_bytes = 1;
        mgraph_add(&h, &nd);
        if (i)
            mgraph_edge(&h, (uint32_t)i - 1, (uint32_t)i);
    }
    struct ppipe_dev d2[2] = {{"a", 1, INFINITY}, {"b", 1, INFINITY}};
    double b2[4] = {1e9, 1e9, 1e9, 1e9}, l2[4] = {0, 1e-3, 1e-3, 0};
    struct ppipe_in i2 = {&h, o, w, 2, d2, b2, l2};
    struct ppipe_plan from = {0}, to = {0};
    from.nstages = to.nstages = 2;
    from.dev[0] = to.dev[0] = 0;
    from.dev[1] = to.dev[1] = 1;
    from.first[1] = 2; /* [m0 m1] [m2 m3] */
    to.first[1] = 3;   /* [m0 m1 m2] [m3]: m2 (3 GB) moves b -> a */
    from.first[2] = to.first[2] = 4;
    ppipe_eval(&i2, &from);
    ppipe_eval(&i2, &to);
    struct padapt a;
    T_CHECK(padapt_init(&a, &i2, &from, NULL) == 0);
    const double want =
        from.bottleneck_ms + (3e9 / 1e9 * 1e3 + 1) + to.bottleneck_ms;
    T_NEAR(padapt_migration_ms(&a, &from, &to), want, 1e-9 * want);
    mgraph_free(&h);
}

static void test_run(const struct ppipe_plan *p)
{
    const double d = 4000 * p->bottleneck_ms / 1e3;
    const struct ptrain_event ev[] = {
        {0.2 * d, (int)p->dev[0], 0, 0, 0.6},
        {0.45 * d, (int)p->dev[p->nstages - 1], 0, 0, 0.5},
        {0.7 * d, -1, (int)p->dev[0], (int)p->dev[1], 0.05},
        {0.85 * d, (int)p->dev[0], 0, 0, 1.0},
    };
    struct ptrain_result r[3];
    for (int m = 0; m < 3; m++) {
        const struct ptrain_cfg c = {d, 0.03, 7, NULL};
        T_CHECK(ptrain_run(&in, p, ev, 4, (enum ptrain_mode)m, &c, &r[m]) == 0);
    }
    T_CHECK(r[0].nwin == 5 && r[1].nwin == 5 && r[2].nwin == 5);
    for (size_t w = 1; w < 5; w++) {
        T_CHECK(r[PTRAIN_ADAPTIVE].win_tput[w] >=
                0.9 * r[PTRAIN_HINDSIGHT].win_tput[w]);
        if (r[PTRAIN_ADAPTIVE].win_tput[w] <
            0.9 * r[PTRAIN_HINDSIGHT].win_tput[w])
            fprintf(stderr, "window %zu: adaptive %.3f hindsight %.3f\n", w,
                    r[1].win_tput[w], r[2].win_tput[w]);
    }
    T_CHECK(r[PTRAIN_ADAPTIVE].win_tput[1] > r[PTRAIN_STATIC].win_tput[1]);
    T_CHECK(r[PTRAIN_ADAPTIVE].moves >= 1 && r[PTRAIN_ADAPTIVE].backs == 0);
    T_CHECK(r[PTRAIN_STATIC].moves == 0);
    /* bad input: events out of order */
    const struct ptrain_event bad[] = {{2, 0, 0, 0, 0.5}, {1, 0, 0, 0, 0.5}};
    const struct ptrain_cfg c = {d, 0.03, 7, NULL};
    T_CHECK(ptrain_run(&in, p, bad, 2, PTRAIN_STATIC, &c, &r[0]) == -1);
}

int main(void)
{
    setup();
    struct ppipe_plan p;
    char err[128];
    T_CHECK(ppipe_solve(&in, &p, err, sizeof err) == 0);
    T_CHECK(p.nstages >= 2);
    test_noise_only(&p);
    test_slowdown(&p);
    test_regime_change(&p);
    test_migration();
    test_run(&p);
    mgraph_free(&g);
    return t_done("test_padapt");
}

/*
 * test_panes - the console's stores without a terminal: the forecast ring
 * (forecasts kept by the tick they are for, so that a history slot holds
 * what had been forecast for it, to be drawn against what it got), the
 * log ring's sequence numbers and whole lines, and how the detail view
 * wraps a line (counted with nothing drawn: h = 0).
 */
#include <stdlib.h>

#include "core/model.h"
#include "engines/engines.h"
#include "run/run.h"
#include "t.h"
#include "tui/panes.h"
#include "tui/partview.h"
#include "tui/qview.h"

#define TICKS 400
#define EVERY 5

/* Forecast utilisation as the console defines it: forecast demand over
 * the capacity (throughput) now. */
static double fc_util(const struct model *m, size_t d)
{
    double thr;
    if (!m->devices[d].is_pu || !m->fc_valid[d] ||
        !model_sig(m, (uint32_t)d, SIG_THROUGHPUT, &thr) || !(thr > 0))
        return NAN;
    return m->fc_demand[d] / thr;
}

static void test_fc_ring(void)
{
    struct run_opts o = {0};
    struct run *r = NULL;
    char err[512] = "";
    o.policy = "builtin";
    o.duration_s = 100;
    int rc = run_new(&o, &r, err, sizeof err);
    if (rc != RUN_OK)
        fprintf(stderr, "run_new: %s\n", err);
    T_CHECK(rc == RUN_OK);
    if (rc != RUN_OK)
        return;
    const struct model *m = run_model(r);
    size_t n = m->n_devices;
    struct tui_view v;
    T_CHECK(pane_view_init(&v, r, 128) == 0);
    uint32_t h = pane_fc_horizon(m);
    T_CHECK(h >= 1 && h < PANE_FC_RING);
    /* made[t * n + d]: the forecast made for tick t */
    double *made = malloc(sizeof *made * (TICKS + PANE_FC_RING) * n);
    double *for_sum = calloc(n, sizeof *for_sum);
    double *during_sum = calloc(n, sizeof *during_sum);
    unsigned *for_cnt = calloc(n, sizeof *for_cnt);
    unsigned *during_cnt = calloc(n, sizeof *during_cnt);
    T_CHECK(made && for_sum && during_sum && for_cnt && during_cnt);
    for (size_t i = 0; i < (TICKS + PANE_FC_RING) * n; i++)
        made[i] = NAN;
    int slots = 0, differs = 0, checked = 0;
    uint64_t t0 = 0;
    for (int i = 0; i < TICKS; i++) {
        run_tick(r);
        uint64_t t = m->tick;
        if (i == 0)
            t0 = t;
        uint64_t k = t - t0;
        for (size_t d = 0; d < n; d++) {
            double f = fc_util(m, d);
            made[(k + h) * n + d] = f;
            if (f == f) { /* what a stage that lines up by time made */
                during_sum[d] += f;
                during_cnt[d]++;
            }
            double want = made[k * n + d];
            if (want == want) {
                for_sum[d] += want;
                for_cnt[d]++;
            }
        }
        pane_view_tick(&v, EVERY);
        for (size_t d = 0; d < n; d++) {
            double got, want = made[(k + h) * n + d];
            int have = pane_view_fc(&v, d, t + h, &got);
            T_CHECK(have == (want == want));
            if (have && want == want)
                T_NEAR(got, want, 1e-6 * (fabs(want) + 1));
            /* nothing is known beyond the horizon */
            T_CHECK(!pane_view_fc(&v, d, t + h + 1, &got));
            if (k >= PANE_FC_RING) /* overwritten by now */
                T_CHECK(!pane_view_fc(&v, d, t - PANE_FC_RING + h, &got));
        }
        if ((i + 1) % EVERY)
            continue;
        /* a slot closed: its forecast is the mean of those made FOR its
         * ticks, not of those made during it */
        uint32_t s = (v.hhead + v.hcap - 1) % v.hcap;
        slots++;
        for (size_t d = 0; d < n; d++) {
            float got = v.h_fc[(size_t)s * n + d];
            if (for_cnt[d]) {
                double want = for_sum[d] / for_cnt[d];
                T_NEAR(got, want, 1e-5 * (fabs(want) + 1));
                checked++;
                if (during_cnt[d] &&
                    fabs(during_sum[d] / during_cnt[d] - want) > 1e-3)
                    differs++;
            } else {
                T_CHECK(got != got);
            }
            for_sum[d] = during_sum[d] = 0;
            for_cnt[d] = during_cnt[d] = 0;
        }
    }
    T_CHECK(slots == TICKS / EVERY);
    T_CHECK(checked > slots); /* several devices have forecasts */
    /* The lab's loads move, so the two alignments tell apart. */
    T_CHECK(differs > 0);
    free(made);
    free(for_sum);
    free(during_sum);
    free(for_cnt);
    free(during_cnt);
    pane_view_free(&v);
    run_free(r);
}

static void test_log_ring(void)
{
    unsigned g0 = pane_log_gen();
    char msg[64];
    for (int i = 0; i < 300; i++) {
        snprintf(msg, sizeof msg, "line %d", i);
        pane_log_add(2, 1.5, msg);
    }
    unsigned gen = pane_log_gen();
    T_CHECK(gen == g0 + 300);
    unsigned first = pane_log_first();
    T_CHECK(gen - first == 128); /* the ring keeps 128 */
    T_CHECK(pane_log_line(first - 1, NULL) == NULL);
    T_CHECK(pane_log_line(gen, NULL) == NULL);
    int level = -1;
    const char *l = pane_log_line(gen - 1, &level);
    T_CHECK(l && strstr(l, "info: line 299"));
    T_CHECK(level == 2);
    l = pane_log_line(first, NULL);
    T_CHECK(l && strstr(l, "line 172"));
    /* A long message with newlines (a traceback) is kept whole; other
     * control characters become spaces. */
    char big[1100];
    memset(big, 'p', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big + 900, "\nend.lua:12\x01x", 13);
    pane_log_add(0, 2, big);
    l = pane_log_line(pane_log_gen() - 1, &level);
    T_CHECK(l && strstr(l, "error: pppp"));
    T_CHECK(l && strstr(l, "\nend.lua:12 x"));
    T_CHECK(level == 0);
}

static void test_wrap(void)
{
    /* nothing is drawn with h = 0 (and no terminal): only rows counted */
    T_CHECK(pane_wrap(0, 0, 0, 10, 0, "") == 0);
    T_CHECK(pane_wrap(0, 0, 0, 10, 0, "short") == 1);
    T_CHECK(pane_wrap(0, 0, 0, 10, 0, "exactly10!") == 1);
    T_CHECK(pane_wrap(0, 0, 0, 10, 0, "exactly10!x") == 2);
    /* at a space when the row fills: "aaaa bbbb " / "cccc" */
    T_CHECK(pane_wrap(0, 0, 0, 10, 0, "aaaa bbbb cccc") == 2);
    /* a path with no spaces is cut every w columns */
    T_CHECK(pane_wrap(0, 0, 0, 4, 0, "/a/b/c/d/e/f") == 3);
    /* newlines always break, an empty line is a row */
    T_CHECK(pane_wrap(0, 0, 0, 40, 0, "one\ntwo\n\nfour") == 4);
    /* UTF-8: columns are code points */
    T_CHECK(pane_wrap(0, 0, 0, 3, 0, "▁▂▃▄▅▆") == 2);
}

/* A test engine with two agents' Q-tables and a partition: the console's
 * panes get them through the interface every engine offers
 * (engines_pane), without the engine's own header. */
static const double te_q[2][4] = {{1, 2, 3, 4}, {-1, 0, 7, 2}};
static const char *const te_stage[2] = {"conv", "fc"};
static const char *const te_dev[2] = {"gpu0", "cpu1"};
static const double te_ms[2] = {3.5, 9.25};
static void *te_create(const struct model *m)
{
    (void)m;
    return (void *)te_q;
}
static void te_propose(void *st, struct model *m)
{
    (void)st;
    (void)m;
}
static int te_pane(const void *st, size_t i, struct engine_pane *out)
{
    (void)st;
    if (i < 2) {
        out->kind = ENGINE_PANE_QTABLE;
        out->u.qtable = (struct engine_qtable){
            .agent = i ? "b" : "a", .rows = 2, .cols = 2, .q = te_q[i]};
        return 1;
    }
    if (i == 2) {
        out->kind = ENGINE_PANE_STAGES;
        out->u.stages = (struct engine_stages){.model_name = "resnet",
                                               .n = 2,
                                               .stage = te_stage,
                                               .device = te_dev,
                                               .cost_ms = te_ms};
        return 1;
    }
    return 0;
}
static const struct engine_ops te_ops = {.name = "test",
                                         .create = te_create,
                                         .propose = te_propose,
                                         .pane = te_pane};

static void test_engine_panes(void)
{
    struct engines e;
    engines_init(&e);
    T_CHECK(pane_q_count() == 0);
    unsigned gen = pane_tables_gen();
    pane_pull_engines(&e); /* no engine: nothing */
    T_CHECK(pane_q_count() == 0 && pane_tables_gen() == gen);
    T_CHECK(engines_add(&e, &te_ops, NULL) == 0);
    pane_pull_engines(&e);
    T_CHECK(pane_q_count() == 2);
    T_CHECK(pane_tables_gen() != gen);
    /* Pulling again replaces each agent's table, never adds one. */
    pane_pull_engines(&e);
    T_CHECK(pane_q_count() == 2);
    engines_free(&e);
}

/* The Partition store: bad arguments refused, more than 16 stages
 * clipped, every store counted. */
static void test_partview_store(void)
{
    static const char *const st[17] = {"a", "b", "c", "d", "e", "f",
                                       "g", "h", "i", "j", "k", "l",
                                       "m", "n", "o", "p", "q"};
    static const double ms[17] = {1,  2,  3,  4,  5,  6,  7,  8, 9,
                                  10, 11, 12, 13, 14, 15, 16, 17};
    struct engine_stages e = {
        .model_name = "m", .n = 2, .stage = st, .device = st, .cost_ms = ms};
    const unsigned g = partview_gen();
    T_CHECK(partview_store(NULL) == -1);
    e.n = 0;
    T_CHECK(partview_store(&e) == -1);
    e.n = 2;
    e.cost_ms = NULL;
    T_CHECK(partview_store(&e) == -1);
    e.cost_ms = ms;
    T_CHECK(partview_gen() == g);
    T_CHECK(partview_store(&e) == 0 && partview_gen() == g + 1);
    e.n = 17;
    e.comm_ms = ms;
    e.measured_ms = ms;
    T_CHECK(partview_store(&e) == 1 && partview_gen() == g + 2);
}

/* The Q-values store: one table per agent name, a window of a long
 * table (clipped: 1), full at 64 agents (-1), bad arguments (-1). */
static void test_qview_store(void)
{
    static double qq[100 * 5];
    char name[16];
    struct engine_qtable e = {.agent = "long",
                              .rows = 100,
                              .cols = 5,
                              .q = qq,
                              .cur_known = 1,
                              .cur = 90};
    const size_t n0 = qview_count();
    T_CHECK(qview_store(&e) == 1);
    T_CHECK(qview_count() == n0 + 1 && qview_find("long") == (long)n0);
    e.rows = 0; /* nothing learned yet: kept, with its status */
    T_CHECK(qview_store(&e) == 0 && qview_count() == n0 + 1);
    e.rows = 3;
    e.q = NULL;
    T_CHECK(qview_store(&e) == -1);
    e.q = qq;
    e.agent = NULL;
    T_CHECK(qview_store(&e) == -1);
    int full = 0;
    for (int i = 0; i < 80; i++) {
        snprintf(name, sizeof name, "a%d", i);
        e.agent = name;
        full += qview_store(&e) == -1;
    }
    T_CHECK(qview_count() == 64 && full == (int)(80 - (64 - n0 - 1)));
    T_CHECK(qview_find("nosuch") == -1);
}

int main(void)
{
    test_engine_panes();
    test_qview_store();
    test_partview_store();
    test_fc_ring();
    test_log_ring();
    test_wrap();
    return t_done("test_panes");
}

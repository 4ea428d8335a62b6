/*
 * test_emetric - the engines' metrics (engines/emetric.c) read from the
 * panes of test engines: the trace's "eng" objects are valid JSON with
 * every published value in its family, unknown values null, and writing
 * a tick allocates nothing.
 */
#include <stdlib.h>

#include "../allocount.h"
#include "../t.h"
#include "engines/emetric.h"
#include "engines/engines.h"

static double te_trend[3] = {0.1, -0.5, 0.25};
static const char *const te_stage[2] = {"conv1..conv5", "fc6"};
static const char *const te_dev[2] = {"gpu0", "gpu \"1\""};
static const double te_cost[2] = {12.5, 40.0};
static const double te_first[3] = {0, 12, 21};
static struct engine_gpu_row te_rows[2];

/* Two Q-learning agents, one partition, one set of GPU tenants. */
static int te_pane(const void *st, size_t i, struct engine_pane *out)
{
    (void)st;
    if (i < 2) {
        out->kind = ENGINE_PANE_QTABLE;
        out->u.qtable = (struct engine_qtable){
            .agent = i ? "n2" : "n1",
            .rows = 7 + i,
            .cols = 5,
            .trend = te_trend,
            .ntrend = i ? 3 : 0,
        };
        return 1;
    }
    if (i == 2) {
        out->kind = ENGINE_PANE_STAGES;
        out->u.stages = (struct engine_stages){
            .n = 2,
            .stage = te_stage,
            .device = te_dev,
            .cost_ms = te_cost,
            .first_layer = te_first,
            .predicted_bottleneck_ms = 40.0,
            .measured_bottleneck_ms = NAN,
            .bound_ms = 30.0,
            .moves = 4,
        };
        return 1;
    }
    if (i == 3) {
        out->kind = ENGINE_PANE_GPUS;
        out->u.gpus = (struct engine_gpus){
            .mode = "predictive", .n = 2, .row = te_rows, .reallocs = 9};
        return 1;
    }
    return 0;
}

static void te_propose(void *st, struct model *m)
{
    (void)st;
    (void)m;
}

static const struct engine_ops te_ops = {
    .name = "test", .propose = te_propose, .pane = te_pane};

static char *tick_json(const struct engines *e)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    emetric_json_tick(e, f);
    fclose(f);
    return buf;
}

static void test_tick(void)
{
    te_rows[0] =
        (struct engine_gpu_row){.name = "render", .sm = 0.5, .share_sm = 0.6};
    te_rows[1] =
        (struct engine_gpu_row){.name = "train", .sm = 0.2, .share_sm = NAN};
    struct engines e;
    engines_init(&e);
    T_CHECK(engines_add(&e, &te_ops, NULL) == 0);
    char *j = tick_json(&e);
    /* The agent without rewards yet has no qlearn_reward value. */
    T_CHECK(strstr(j, "\"qlearn_reward\":{\"n2\":0.25}") != NULL);
    T_CHECK(strstr(j, "\"qlearn_states\":{\"n1\":7,\"n2\":8}") != NULL);
    T_CHECK(strstr(j, "\"partition_bottleneck_seconds\":{\"predicted\":0.04,"
                      "\"measured\":null,\"bound\":0.03}") != NULL);
    /* A device name is JSON-escaped. */
    T_CHECK(strstr(j, "\"partition_stage_compute_seconds\":{\"gpu0\":0.0125,"
                      "\"gpu \\\"1\\\"\":0.04}") != NULL);
    T_CHECK(strstr(j, "\"partition_stage_layers\":{\"gpu0\":12,"
                      "\"gpu \\\"1\\\"\":9}") != NULL);
    T_CHECK(strstr(j, "\"partition_stage_first_layer\":{\"gpu0\":0,"
                      "\"gpu \\\"1\\\"\":12}") != NULL);
    T_CHECK(strstr(j, "\"partition_moves\":4") != NULL);
    T_CHECK(strstr(j, "\"vgpu_sm_share_ratio\":{\"render\":0.6,"
                      "\"train\":null}") != NULL);
    T_CHECK(strstr(j, "\"vgpu_sm_used_ratio\":{\"render\":0.5,"
                      "\"train\":0.2}") != NULL);
    T_CHECK(strstr(j, "\"vgpu_reallocs\":9}") != NULL);
    T_CHECK(j[0] == '{' && j[strlen(j) - 1] == '}');
    free(j);

    /* A tick's object allocates nothing (the memstream aside). */
    char sink[4096];
    FILE *f = fmemopen(sink, sizeof sink, "w");
    unsigned long allocs = 1;
    emetric_json_tick(&e, f); /* stdio's buffer is allocated on first use */
    rewind(f);
    allocount_start();
    emetric_json_tick(&e, f);
    allocount_stop(&allocs, NULL);
    fclose(f);
    T_CHECK(allocs == 0);
    engines_free(&e);
}

static void test_no_engines(void)
{
    struct engines e;
    engines_init(&e);
    char *j = tick_json(&e);
    T_STREQ(j, "{}");
    free(j);
}

static void test_header(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    emetric_json_header(NULL, f);
    fclose(f);
    for (size_t k = 0; k < emetric_n_families; k++) {
        char key[128];
        snprintf(key, sizeof key, "\"%s\":{\"type\":\"%s\"",
                 emetric_families[k].name, emetric_families[k].type);
        T_CHECK(strstr(buf, key) != NULL);
        /* Prometheus: a counter's family name has no _total. */
        T_CHECK(strstr(emetric_families[k].name, "_total") == NULL);
    }
    T_CHECK(strstr(buf, "\"partition_moves\":{\"type\":\"counter\","
                        "\"unit\":\"1\",\"label\":null") != NULL);
    free(buf);
}

int main(void)
{
    allocount_install();
    test_tick();
    test_no_engines();
    test_header();
    return t_done("test_emetric");
}

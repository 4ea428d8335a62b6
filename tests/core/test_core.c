/*
 * Core modules: the growing text buffer, ring history, clocks, summary limits
 * and JSON, and the trace files' all-or-nothing writing.
 */
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <signal.h>

#include "core/cfg.h"
#include "core/clock.h"
#include "core/host.h"
#include "core/json.h"
#include "core/loop.h"
#include "core/lab.h"
#include "core/ring.h"
#include "core/sbuf.h"
#include "core/summary.h"
#include "core/tracefile.h"
#include "t.h"

static void test_ring(void)
{
    struct ring r;
    T_CHECK(ring_init(&r, 2, 5) == 0);
    T_CHECK(r.cap == 8);
    T_CHECK(isnan(ring_get(&r, 0, 0)));
    for (int i = 0; i < 20; i++) {
        double v[2] = {i, 100 + i};
        uint8_t ok[2] = {1, (uint8_t)(i % 2)};
        ring_push(&r, v, ok);
    }
    T_CHECK(r.len == 8);
    T_NEAR(ring_get(&r, 0, 0), 19, 0);
    T_NEAR(ring_get(&r, 0, 7), 12, 0);
    T_CHECK(isnan(ring_get(&r, 0, 8))); /* older than the ring */
    T_NEAR(ring_get(&r, 1, 0), 119, 0);
    T_CHECK(isnan(ring_get(&r, 1, 1))); /* invalid sample */
    T_CHECK(isnan(ring_get(&r, 2, 0))); /* no such series */
    ring_free(&r);
}

static void test_clock(void)
{
    struct clock c;
    clock_init_virtual(&c);
    T_CHECK(clock_now(&c) == 0);
    clock_set(&c, 5000);
    T_CHECK(clock_now(&c) == 5000);
    clock_set(&c, 100); /* never backwards */
    T_CHECK(clock_now(&c) == 5000);
    clock_init_wall(&c);
    uint64_t a = clock_now(&c), b = clock_now(&c);
    T_CHECK(b >= a);
}

static void test_summary(void)
{
    struct summary s = {0};
    s.sim_seconds = 10;
    s.energy_j = 500;
    s.work_served = 200;
    s.wait_op_s = 10;
    s.deadline_misses = 3;
    T_NEAR(summary_mean_power(&s), 50, 1e-12);
    T_NEAR(summary_mean_latency(&s), 0.05, 1e-12);
    T_NEAR(summary_edp(&s), 25, 1e-12);
    double v;
    T_CHECK(summary_get(&s, "deadline_misses", &v) && v == 3);
    T_CHECK(summary_get(&s, "mean_power_w", &v) && v == 50);
    T_CHECK(!summary_get(&s, "nope", &v));
    struct lab_limit ok[] = {{"deadline_misses", 3}, {"energy_j", 1000}};
    T_CHECK(summary_check_limits(&s, ok, 2) == 0);
    struct lab_limit bad[] = {{"energy_j", 1000}, {"deadline_misses", 2}};
    T_CHECK(summary_check_limits(&s, bad, 2) == 1);
    T_STREQ(s.limit_broken, "deadline_misses");

    char buf[2048] = "";
    FILE *f = fmemopen(buf, sizeof buf, "w");
    summary_write_json(&s, f, 0);
    fclose(f);
    T_CHECK(strstr(buf, "\"energy_j\":500,") != NULL);
    T_CHECK(strstr(buf, "wall_seconds") == NULL);
    T_CHECK(strstr(buf, "\"limit_broken\":\"deadline_misses\"") != NULL);
    static const char *const keys[] = {"ticks",
                                       "sim_seconds",
                                       "energy_j",
                                       "mean_power_w",
                                       "peak_power_w",
                                       "budget_w",
                                       "budget_violations",
                                       "work_arrived",
                                       "work_served",
                                       "backlog_end",
                                       "mean_latency_s",
                                       "edp",
                                       "deadline_misses",
                                       "policy_errors",
                                       "rejected_decisions",
                                       "driver_errors"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char k[64];
        snprintf(k, sizeof k, "\"%s\":", keys[i]);
        T_CHECK(strstr(buf, k) != NULL);
    }
}

static int exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

static void test_tracefile(void)
{
    char dir[] = "/tmp/wattson-tf-XXXXXX";
    T_CHECK(mkdtemp(dir) != NULL);
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/out.jsonl", dir);

    struct tracefile t;
    struct summary s = {0};
    T_CHECK(tracefile_open(&t, path, 0, err, sizeof err) == 0);
    T_CHECK(!exists(path)); /* only the temporary exists while running */
    tracefile_abort(&t);
    T_CHECK(!exists(path));

    T_CHECK(tracefile_open(&t, path, 0, err, sizeof err) == 0);
    T_CHECK(tracefile_commit(&t, &s, err, sizeof err) == 0);
    T_CHECK(exists(path));
    FILE *f = fopen(path, "r");
    char line[1024] = "";
    T_CHECK(f && fgets(line, sizeof line, f));
    if (f)
        fclose(f);
    T_CHECK(strncmp(line, "{\"type\":\"summary\"", 17) == 0);

    char bad[300];
    snprintf(bad, sizeof bad, "%s/no/such/dir/out.jsonl", dir);
    T_CHECK(tracefile_open(&t, bad, 0, err, sizeof err) == -1);
    T_CHECK(strstr(err, "no/such/dir/out.jsonl") != NULL);
    T_CHECK(strstr(err, "No such file") != NULL);

    /* Leave the directory as we found it: nothing but out.jsonl. */
    unlink(path);
    T_CHECK(rmdir(dir) == 0);
}

static int steps;
static int step_raise(void *arg)
{
    (void)arg;
    if (++steps == 100)
        raise(SIGTERM);
    return steps >= 100000; /* would run long without the signal */
}
static int step_five(void *arg)
{
    (void)arg;
    return ++steps >= 5;
}

static void test_loop(void)
{
    char err[256];
    struct loop *l = loop_new(err, sizeof err);
    T_CHECK(l != NULL);
    if (!l)
        return;
    /* Virtual: a signal stops the run within one batch of ticks. */
    steps = 0;
    T_CHECK(loop_run(l, 0, 1000, step_raise, NULL) == 0);
    T_CHECK(loop_signal(l) == SIGTERM);
    T_CHECK(steps >= 100 && steps < 100 + 64 + 1);
    loop_free(l);

    /* Wall: timer ticks until the step says stop; no signal. */
    l = loop_new(err, sizeof err);
    steps = 0;
    T_CHECK(loop_run(l, 1, 1000000, step_five, NULL) == 0);
    T_CHECK(steps == 5);
    T_CHECK(loop_signal(l) == 0);
    loop_free(l);
}

static void test_host(void)
{
    struct cfg *root = cfg_new_table();
    struct cfg *devs = cfg_add_table(root, "devices");
    struct cfg *d1 = cfg_add_table(devs, "1");
    cfg_add_string(d1, "name", "cpu0");
    cfg_add_number(d1, "priority", 3);
    cfg_add_bool(d1, "loop", 1);
    cfg_sort(root);
    struct clock ck;
    clock_init_virtual(&ck);
    clock_set(&ck, 12345);
    struct host_ctx hc = {root, &ck, "test"};
    struct wattson_host h;
    host_fill(&h, &hc, 99, "/labs");
    T_CHECK(h.abi_major == WATTSON_ABI_MAJOR && h.seed == 99);
    T_STREQ(h.lab_dir, "/labs");
    T_CHECK(h.cfg_type(h.ctx, "devices") == WATTSON_CFG_TABLE);
    T_CHECK(h.cfg_len(h.ctx, "devices") == 1);
    T_STREQ(h.cfg_string(h.ctx, "devices.1.name"), "cpu0");
    double v = 0;
    T_CHECK(h.cfg_number(h.ctx, "devices.1.priority", &v) == WATTSON_OK);
    T_NEAR(v, 3, 0);
    T_CHECK(h.cfg_number(h.ctx, "devices.1.name", &v) == WATTSON_ERR);
    int b = 0;
    T_CHECK(h.cfg_bool(h.ctx, "devices.1.loop", &b) == WATTSON_OK && b);
    T_CHECK(h.cfg_type(h.ctx, "devices.2") == WATTSON_CFG_NONE);
    T_STREQ(h.cfg_key(h.ctx, "devices.1", 0), "loop"); /* sorted keys */
    T_CHECK(h.cfg_key(h.ctx, "devices.1", 3) == NULL);
    T_STREQ(h.cfg_key(h.ctx, "", 0), "devices");
    T_CHECK(h.now_ns(h.ctx) == 12345);
    cfg_free(root);
}

/* JSON has no NaN or infinity: the traces write null for them. */
static void test_json_number(void)
{
    char buf[128] = {0};
    FILE *f = fmemopen(buf, sizeof buf, "w");
    json_put_number(f, 1.5);
    fputc(' ', f);
    json_put_number(f, INFINITY);
    fputc(' ', f);
    json_put_number(f, -INFINITY);
    fputc(' ', f);
    json_put_number(f, NAN);
    fputc(' ', f);
    json_put_number(f, 123456789012.0);
    fclose(f);
    T_STREQ(buf, "1.5 null null null 1.23456789e+11");
}

/* The growing buffer: pieces past several doublings come out whole and in
 * order; a failed buffer takes nothing more; len = 0 reuses the memory. */
static void test_sbuf(void)
{
    struct sbuf b = {0};
    char want[8192];
    size_t n = 0;
    for (int i = 0; i < 600; i++) {
        sbuf_printf(&b, "%d,", i);
        sbuf_put(&b, "xy", i % 3);
        n += (size_t)snprintf(want + n, sizeof want - n, "%d,%.*s", i, i % 3,
                              "xy");
    }
    T_CHECK(!b.failed && b.len == n && b.cap > n);
    T_STREQ(b.p, want);
    char *kept = b.p;
    b.len = 0;
    sbuf_puts(&b, "again");
    T_CHECK(b.p == kept && b.len == 5);
    T_STREQ(b.p, "again");
    b.failed = 1;
    sbuf_puts(&b, "more");
    sbuf_printf(&b, "%s", "more");
    T_CHECK(b.len == 5);
    free(b.p);
}

int main(void)
{
    test_sbuf();
    test_json_number();
    test_loop();
    test_host();
    test_ring();
    test_clock();
    test_summary();
    test_tracefile();
    return t_done("test_core");
}

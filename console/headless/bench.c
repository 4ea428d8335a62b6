/*
 * bench - see bench.h.
 */
#include "headless/bench.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/model.h"
#include "headless/run.h"

int bench_lab(char *buf, size_t len, unsigned n_pus)
{
    /* Mostly CPU cores, with a GPU every 8th and an FPGA every 16th PU,
     * as in a rack of hosts with accelerators. */
    static const char *const wl[] = {
        "{ kind = 'sine', mean = 0.5, amplitude = 0.3, period_s = 7 }",
        "{ kind = 'constant', level = 0.6 }",
        "{ kind = 'bursty', on_level = 0.9, off_level = 0.1, on_s = 0.5, "
        "off_s = 1.5 }",
        "{ kind = 'random_walk', start = 0.4, sigma = 0.05, min = 0, "
        "max = 1 }",
    };
    size_t off = 0;
    int n = snprintf(buf, len,
                     "return { name = 'bench-%u', tick = 0.01, duration = 10,"
                     " seed = 7, budget_w = %u,\n drivers = { { plugin = "
                     "'sim', devices = {\n",
                     n_pus, n_pus * 20);
    if (n < 0 || (size_t)n >= len)
        return -1;
    off = (size_t)n;
    for (unsigned i = 0; i < n_pus; i++) {
        const char *kind = "cpu", *part = "zen3-core";
        if (i % 16 == 15) {
            kind = "fpga";
            part = "alveo-u250";
        } else if (i % 8 == 7) {
            kind = "gpu";
            part = "a100-pcie";
        }
        n = snprintf(buf + off, len - off,
                     "  { name = '%s%u', kind = '%s', part = '%s', "
                     "priority = %u, workload = %s },\n",
                     kind, i, kind, part, 1 + i % 3, wl[i % 4]);
        if (n < 0 || (size_t)n >= len - off)
            return -1;
        off += (size_t)n;
    }
    n = snprintf(buf + off, len - off, "} } } }\n");
    return (n < 0 || (size_t)n >= len - off) ? -1 : 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

#define BENCH_BATCHES 31

/* One lab size: ticks/s, the bare driver read baseline, and the median
 * per-tick cost of each stage over BENCH_BATCHES batches. */
static int bench_size(unsigned n_pus, const char *policy, const char **dirs,
                      size_t n_dirs, FILE *out)
{
    size_t len = 256 + (size_t)n_pus * 200;
    char *text = malloc(len);
    char err[1024];
    if (!text || bench_lab(text, len, n_pus) != 0) {
        free(text);
        fprintf(stderr, "wattson: bench: cannot build the lab\n");
        return 1;
    }
    struct run_opts o = {.lab_text = text,
                         .plugin_dirs = dirs,
                         .n_plugin_dirs = n_dirs,
                         .policy = policy};
    struct run *r;
    int rc = run_new(&o, &r, err, sizeof err);
    if (rc != RUN_OK) {
        fprintf(stderr, "wattson: bench: %s\n", err);
        free(text);
        return 1;
    }
    /* Batch size: about 20 ms of work per batch on a fast machine. */
    uint64_t batch = n_pus <= 16 ? 4000 : 200;
    for (uint64_t i = 0; i < batch; i++)
        run_tick(r); /* warm-up */

    uint64_t tick_ns[BENCH_BATCHES];
    uint64_t stage[STAGE__N][BENCH_BATCHES];
    uint64_t acc[STAGE__N];
    for (int b = 0; b < BENCH_BATCHES; b++) {
        memset(acc, 0, sizeof acc);
        run_set_stage_timer(r, NULL);
        uint64_t t0 = clock_mono_ns();
        for (uint64_t i = 0; i < batch; i++)
            run_tick(r);
        tick_ns[b] = (clock_mono_ns() - t0) / batch;
        run_set_stage_timer(r, acc);
        for (uint64_t i = 0; i < batch; i++)
            run_tick(r);
        for (int s = 0; s < STAGE__N; s++)
            stage[s][b] = acc[s] / batch;
    }
    run_set_stage_timer(r, NULL);
    uint64_t lua0 = run_policy_allocs(r);
    for (uint64_t i = 0; i < batch; i++)
        run_tick(r);
    double lua_per_tick = (double)(run_policy_allocs(r) - lua0) / batch;

    /* Baseline: the drivers' batch read alone (the simulation stepping
     * one tick), same lab, same run. */
    const struct model *m = run_model(r);
    uint64_t base_ns[BENCH_BATCHES];
    for (int b = 0; b < BENCH_BATCHES; b++) {
        uint64_t t0 = clock_mono_ns();
        for (uint64_t i = 0; i < batch; i++)
            run_tick_sample_only(r);
        base_ns[b] = (clock_mono_ns() - t0) / batch;
    }

    qsort(tick_ns, BENCH_BATCHES, sizeof tick_ns[0], cmp_u64);
    qsort(base_ns, BENCH_BATCHES, sizeof base_ns[0], cmp_u64);
    uint64_t med = tick_ns[BENCH_BATCHES / 2];
    uint64_t base = base_ns[BENCH_BATCHES / 2];
    fprintf(out, "%s%-4u  %u PUs, %zu signals, %zu controls, policy %s\n",
            policy ? "policy" : "tick", n_pus, n_pus, m->n_signals,
            m->n_controls, policy ? policy : "builtin");
    fprintf(out,
            "  ticks/s          %12.0f   (median of %d batches of "
            "%llu ticks)\n",
            med ? 1e9 / (double)med : 0.0, BENCH_BATCHES,
            (unsigned long long)batch);
    fprintf(out, "  ns/tick          %12llu\n", (unsigned long long)med);
    fprintf(out, "  baseline read    %12llu ns  (driver batch read alone)\n",
            (unsigned long long)base);
    fprintf(out, "  tick / baseline  %12.2f\n",
            base ? (double)med / (double)base : 0.0);
    if (policy)
        fprintf(out,
                "  Lua allocs/tick  %12.2f   (the policy's state, steady "
                "state)\n",
                lua_per_tick);
    for (int s = 0; s < STAGE__N; s++) {
        qsort(stage[s], BENCH_BATCHES, sizeof stage[s][0], cmp_u64);
        fprintf(out, "  stage %-9s  %8llu ns median\n",
                run_stage_name((enum run_stage)s),
                (unsigned long long)stage[s][BENCH_BATCHES / 2]);
    }
    run_free(r);
    free(text);
    return 0;
}

#ifndef WATTSON_POLICY_DIR
#define WATTSON_POLICY_DIR "lua-policies"
#endif

int bench_main(const char *name, const char **plugin_dirs, size_t n_dirs,
               FILE *out)
{
    static const char balanced[] = WATTSON_POLICY_DIR "/balanced.lua";
    static const struct {
        const char *name;
        unsigned n;
        const char *policy;
    } benches[] = {
        {"tick16", 16, NULL},
        {"tick256", 256, NULL},
        {"policy16", 16, balanced},
        {"policy256", 256, balanced},
    };
    int all = name == NULL || strcmp(name, "all") == 0, found = all, rc = 0;
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++) {
        if (!all && strcmp(name, benches[i].name) != 0)
            continue;
        found = 1;
        rc |= bench_size(benches[i].n, benches[i].policy, plugin_dirs, n_dirs,
                         out);
    }
    if (!found) {
        fprintf(stderr,
                "wattson: bench: unknown benchmark '%s' (tick16, tick256, "
                "policy16, policy256, all)\n",
                name);
        return 2;
    }
    return rc ? 1 : 0;
}

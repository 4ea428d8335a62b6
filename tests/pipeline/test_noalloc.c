/*
 * The hot path allocates nothing: run the default lab and a 256-PU bench
 * lab through the real sim plugin (dlopen'd from the build tree), warm up,
 * then count every malloc/calloc/realloc/free in the process - including
 * the plugin's and libc's - over thousands of ticks.  The count must be 0.
 *
 * The counting is allocount.c's: the sanitizer's malloc hooks under
 * AddressSanitizer, without it wrappers over glibc's allocator.
 */
#include <stdlib.h>
#include <unistd.h>

#include "allocount.h"
#include "cmd/bench.h"
#include "core/summary.h"
#include "run/run.h"
#include "t.h"

/* Opens a run of `o`, warms it up (first-touch paths may allocate), then
 * ticks it n times: not one allocation or free.  Returns the run for more
 * checks (the caller frees it), or NULL if it did not open. */
static struct run *quiet_run(const struct run_opts *o, int n, const char *what)
{
    char err[1024];
    struct run *r;
    unsigned long a, f;
    int rc = run_new(o, &r, err, sizeof err);
    if (rc != RUN_OK)
        fprintf(stderr, "%s: run_new: %s\n", what, err);
    T_CHECK(rc == RUN_OK);
    if (rc != RUN_OK)
        return NULL;
    for (int i = 0; i < 200; i++)
        run_tick(r);
    allocount_start();
    for (int i = 0; i < n; i++)
        run_tick(r);
    allocount_stop(&a, &f);
    fprintf(stderr, "%s: %lu allocs, %lu frees in %d ticks\n", what, a, f, n);
    T_CHECK(a == 0);
    T_CHECK(f == 0);
    return r;
}

int main(void)
{
    allocount_install();

    /* The embedded default lab (includes the trace replay workload). */
    struct run_opts o = {0};
    struct run *r = quiet_run(&o, 5000, "default lab");
    if (r) {
        /* The counter itself works: an allocation is seen.  (p is volatile
         * so that an optimizer cannot drop the malloc/free pair.) */
        unsigned long a;
        allocount_start();
        void *volatile p = malloc(32);
        allocount_stop(&a, NULL);
        T_CHECK(a == 1);
        free(p);
        run_free(r);
    }

    /* A Lua policy that allocates nothing itself: the host's per-tick
     * work (state updates, the out proxies) must allocate nothing. */
    char dir[] = "/tmp/wattson-noalloc-XXXXXX", path[64];
    T_CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/p.lua", dir);
    FILE *pf = fopen(path, "w");
    T_CHECK(pf != NULL);
    if (pf) {
        fputs("local devs\n"
              "return { api = 1,\n"
              "  on_load = function(ctx) devs = ctx.state.devices end,\n"
              "  on_tick = function(state, out)\n"
              "    for i = 1, #devs do local d = devs[i]\n"
              "      if d.pu then\n"
              "        local f = d.ctl.freq\n"
              "        local u = d.ok.util and d.sig.util or 1\n"
              "        out[d.name].freq = wattson.clamp(f.max * u, f.min, "
              "f.max)\n"
              "      end\n"
              "    end\n"
              "  end }\n",
              pf);
        fclose(pf);
    }
    struct run_opts o3 = {.policy = path};
    r = quiet_run(&o3, 2000, "Lua policy");
    if (r) {
        T_CHECK(run_summary(r)->policy_errors == 0);
        run_free(r);
    }
    /* The GPU tenants' lab: the vGPU engine's windows, shares, guard and
     * actuate, and a policy reading state.gpu's tenants every tick. */
    pf = fopen(path, "w");
    T_CHECK(pf != NULL);
    if (pf) {
        fputs("local sum = 0\n"
              "return { api = 1, on_tick = function(state, out)\n"
              "  local ts = state.gpu.tenants\n"
              "  for i = 1, #ts do sum = sum + ts[i].sm + ts[i].share_sm\n"
              "    + ts[i].signature.pcie end\n"
              "end }\n",
              pf);
        fclose(pf);
    }
    struct run_opts o4 = {.policy = path,
                          .lab_path = WATTSON_LABS "/gpu-tenants.lua"};
    r = quiet_run(&o4, 2000, "GPU tenants");
    if (r) {
        T_CHECK(run_summary(r)->policy_errors == 0);
        T_CHECK(run_summary(r)->vgpu_tenants == 6);
        run_free(r);
    }
    /* Replayed IPC events (a real recording): taken, placed, handed to
     * the sim's ipc_deliver, learnt by the broker and written out. */
    char ipc_out[96];
    snprintf(ipc_out, sizeof ipc_out, "%s/ipc.txt", dir);
    struct run_opts o5 = {.lab_path = WATTSON_LABS "/ipc-pipeline.lua",
                          .ipc_replay = WATTSON_FIXTURES "/ipc/burst-gzip.txt",
                          .ipc_out = ipc_out};
    r = quiet_run(&o5, 2000, "IPC replay");
    if (r) {
        T_CHECK(run_summary(r)->ipc_events > 400);
        run_free(r);
    }
    unlink(ipc_out);
    unlink(path);
    rmdir(dir);

    static char text[256 * 200 + 256];
    T_CHECK(bench_lab(text, sizeof text, 256) == 0);
    struct run_opts o2 = {.lab_text = text};
    r = quiet_run(&o2, 500, "256 PUs");
    if (r)
        run_free(r);
    return t_done("test_noalloc");
}

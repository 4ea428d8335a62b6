/*
 * The hot path allocates nothing: run the default lab and a 256-PU bench
 * lab through the real sim plugin (dlopen'd from the build tree), warm up,
 * then count every malloc/calloc/realloc/free in the process - including
 * the plugin's and libc's - over thousands of ticks.  The count must be 0.
 *
 * Under AddressSanitizer the counting uses the sanitizer's malloc hooks;
 * without it, this program wraps glibc's allocator itself.
 */
#include <stdlib.h>
#include <unistd.h>

#include "headless/bench.h"
#include "core/summary.h"
#include "headless/run.h"
#include "t.h"

static volatile int counting;
static volatile unsigned long allocs, frees;

#if defined(__SANITIZE_ADDRESS__)
/* From the sanitizer runtime's public interface (declared here because
 * gcc does not install <sanitizer/allocator_interface.h>). */
int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void *, size_t),
    void (*free_hook)(const volatile void *));
static void on_malloc(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
    if (counting)
        allocs++;
}
static void on_free(const volatile void *p)
{
    (void)p;
    if (counting)
        frees++;
}
static void install(void)
{
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}
#else
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
void *malloc(size_t n)
{
    if (counting)
        allocs++;
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    if (counting)
        allocs++;
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    if (counting)
        allocs++;
    return __libc_realloc(p, n);
}
void free(void *p)
{
    if (counting && p)
        frees++;
    __libc_free(p);
}
static void install(void)
{
}
#endif

static void count_ticks(struct run *r, int n, unsigned long *a,
                        unsigned long *f)
{
    for (int i = 0; i < 200; i++)
        run_tick(r); /* warm-up: first-touch paths may allocate */
    allocs = frees = 0;
    counting = 1;
    for (int i = 0; i < n; i++)
        run_tick(r);
    counting = 0;
    *a = allocs;
    *f = frees;
}

int main(void)
{
    char err[1024];
    unsigned long a, f;
    install();

    /* The embedded default lab (includes the trace replay workload). */
    struct run_opts o = {0};
    struct run *r;
    int rc = run_new(&o, &r, err, sizeof err);
    if (rc != RUN_OK)
        fprintf(stderr, "run_new: %s\n", err);
    T_CHECK(rc == RUN_OK);
    if (rc == RUN_OK) {
        count_ticks(r, 5000, &a, &f);
        fprintf(stderr, "default lab: %lu allocs, %lu frees in 5000 ticks\n", a,
                f);
        T_CHECK(a == 0);
        T_CHECK(f == 0);
        /* The counter itself works: an allocation is seen. */
        counting = 1;
        void *p = malloc(32);
        counting = 0;
        T_CHECK(allocs == a + 1);
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
    rc = run_new(&o3, &r, err, sizeof err);
    if (rc != RUN_OK)
        fprintf(stderr, "run_new: %s\n", err);
    T_CHECK(rc == RUN_OK);
    if (rc == RUN_OK) {
        count_ticks(r, 2000, &a, &f);
        fprintf(stderr, "Lua policy: %lu allocs, %lu frees in 2000 ticks\n",
                a, f);
        T_CHECK(a == 0);
        T_CHECK(f == 0);
        T_CHECK(run_summary(r)->policy_errors == 0);
        run_free(r);
    }
    unlink(path);
    rmdir(dir);

    static char text[256 * 200 + 256];
    T_CHECK(bench_lab(text, sizeof text, 256) == 0);
    struct run_opts o2 = {.lab_text = text};
    rc = run_new(&o2, &r, err, sizeof err);
    if (rc != RUN_OK)
        fprintf(stderr, "run_new: %s\n", err);
    T_CHECK(rc == RUN_OK);
    if (rc == RUN_OK) {
        count_ticks(r, 500, &a, &f);
        fprintf(stderr, "256 PUs: %lu allocs, %lu frees in 500 ticks\n", a, f);
        T_CHECK(a == 0);
        T_CHECK(f == 0);
        run_free(r);
    }
    return t_done("test_noalloc");
}

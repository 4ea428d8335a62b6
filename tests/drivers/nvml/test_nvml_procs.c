/*
 * test_nvml_procs - the nvml driver's per-process samples (ABI 1.2
 * gpu_procs_read, drivers/nvml/nvproc.c) through the real loader
 * (plug_gpu_procs_read) against the fake libnvidia-ml.so.1 variants
 * (fakenvml.c): every field of every record against the fake's script,
 * NaN where NVML cannot tell, the entry-point fallbacks and their record
 * layouts, lastSeenTimeStamp, truncation, NOT_SUPPORTED, a lost GPU, and
 * no gpu_share_write.
 *
 * Records name real processes: this test (getpid()) and its parent, so
 * /proc/PID/comm is read for real, and pids above the kernel's largest
 * (PID_MAX_LIMIT, 2^22) for processes that do not exist.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drvtest.h"
#include "loader/loader.h"
#include "t.h"

#include "nvmltest.h"

#define TP_GONE1 77777777u /* no such process: samples only */
#define TP_GONE2 99999999u /* no such process: graphics list only */
#define TP_MIB 1048576.0
#define TP_MAX 16

static unsigned tp_self, tp_parent;
static char tp_self_name[WATTSON_GPU_NAME_LEN];
static char tp_parent_name[WATTSON_GPU_NAME_LEN];

/* /proc/PID/comm without its newline ("" when unreadable). */
static void tp_comm(unsigned pid, char *name)
{
    char path[64];
    FILE *f;

    snprintf(path, sizeof path, "/proc/%u/comm", pid);
    name[0] = '\0';
    if ((f = fopen(path, "r")) != NULL) {
        if (!fgets(name, WATTSON_GPU_NAME_LEN, f))
            name[0] = '\0';
        fclose(f);
    }
    name[strcspn(name, "\n")] = '\0';
}

/* The script of most tests: on GPU 0 this test (compute, 512 MiB), its
 * parent (both lists, memory not available), TP_GONE2 (graphics, 100
 * MiB, no sample), TP_GONE1 (no list, a sample with an invalid 150 %
 * SM); on GPU 1 this test again (both lists: 1024 MiB, and half that in
 * the graphics list - the larger is kept). */
static void tp_script(void)
{
    static char procs[512];

    snprintf(procs, sizeof procs,
             "0:%u:512:35:20:3:4:c,0:%u:na:10:5:0:0:cg,0:%u:100:-:-:-:-:g,"
             "0:%u:0:150:60:1:2:-,1:%u:1024:80:70:0:100:cg",
             tp_self, tp_parent, TP_GONE2, TP_GONE1, tp_self);
    setenv("FAKENVML_PROCS", procs, 1);
}

/* A fresh fake (library `lib`, NULL: the current one) with `gpus` GPUs,
 * tp_script's processes and `var`=`val` (var NULL: nothing more), and
 * the driver loaded on it (NULL after a failed check). */
static struct plug *tp_load(const char *lib, const char *gpus, const char *var,
                            const char *val)
{
    tn_fake_reset();
    if (lib)
        th_library = lib;
    setenv("FAKENVML_GPUS", gpus, 1);
    tp_script();
    if (var)
        setenv(var, val, 1);
    return tn_load_ok();
}

/* One driver tick: read (the fake's clock), then the processes.  The
 * record count, or a negative status. */
static int tp_tick(struct plug *p, struct wattson_gpu_proc *out, size_t max)
{
    double v[64];
    uint8_t ok[64];
    size_t n = p->inv.n_signals < 64 ? p->inv.n_signals : 64;

    T_CHECK(p->desc->read(p->state, v, ok, n) == WATTSON_OK);
    return plug_gpu_procs_read(p, out, max);
}

/* NaN checks: a value NVML cannot give. */
#define TP_NAN(x) T_CHECK(isnan(x))

struct tp_want {
    uint32_t device, pid;
    const char *name;
    double sm, mem, bw, enc, dec; /* NaN: expected NaN */
};

static void tp_check(const struct wattson_gpu_proc *g, const struct tp_want *w)
{
    const double got[5] = {g->sm, g->mem_bytes, g->mem_bw, g->enc, g->dec};
    const double want[5] = {w->sm, w->mem, w->bw, w->enc, w->dec};

    T_CHECK(g->device == w->device);
    T_CHECK(g->pid == w->pid);
    T_STREQ(g->name, w->name);
    T_CHECK(g->perf_kind == WATTSON_GPU_PERF_NONE);
    for (int k = 0; k < 5; k++) {
        if (isnan(want[k]))
            TP_NAN(got[k]);
        else
            T_NEAR(got[k], want[k], 1e-9);
    }
    /* NVML has no launch rate, no per-process PCIe, no application
     * metric, and no ground truth. */
    TP_NAN(g->launches);
    TP_NAN(g->pcie_bps);
    TP_NAN(g->perf);
    TP_NAN(g->slo);
    TP_NAN(g->need_sm);
    TP_NAN(g->need_mem);
}

/* The records of tp_script: five; with `util` 0 (no sample since the
 * last) four - TP_GONE1 is known only from its samples - and every
 * utilisation NaN. */
static void tp_check_script(const struct wattson_gpu_proc *g, int util)
{
    const double x = NAN;
    const struct tp_want w[5] = {
        {0, tp_self, tp_self_name, .35, 512 * TP_MIB, .20, .03, .04},
        {0, tp_parent, tp_parent_name, .10, x, .05, 0, 0},
        {0, TP_GONE2, "pid 99999999", x, 100 * TP_MIB, x, x, x},
        /* 150 % SM is invalid; the rest of the sample stands */
        {0, TP_GONE1, "pid 77777777", x, x, .60, .01, .02},
        {1, tp_self, tp_self_name, .80, 1024 * TP_MIB, .70, 0, 1},
    };

    for (int i = 0, n = 0; i < 5; i++) {
        struct tp_want e = w[i];

        if (!util && e.pid == TP_GONE1)
            continue;
        if (!util)
            e.sm = e.bw = e.enc = e.dec = NAN;
        tp_check(&g[n++], &e);
    }
}

static void test_records(void)
{
    struct wattson_gpu_proc g[TP_MAX];
    struct plug *p;
    char since[64];

    snprintf(since, sizeof since, "%u", tp_self);
    /* An older sample of this test's: not the one used. */
    p = tp_load(NULL, "2", "FAKENVML_PROC_DUP", since);
    if (!p)
        return;
    T_CHECK(p->desc->gpu_procs_read != NULL);
    /* No per-process knob on real hardware. */
    T_CHECK(p->desc->gpu_share_write == NULL);
    T_CHECK(!plug_has_gpu_share(p));
    {
        struct wattson_gpu_share sh = {0, tp_self, 0.5, 1e9};

        T_CHECK(plug_gpu_share_write(p, &sh, 1) == WATTSON_ERR_UNSUPPORTED);
    }
    T_CHECK(th_has(th_logbuf,
                   "nvml: per-process: compute "
                   "nvmlDeviceGetComputeRunningProcesses_v3 (24-byte "
                   "records), graphics nvmlDeviceGetGraphicsRunningProcesses_v3"
                   " (24-byte records), utilisation "
                   "nvmlDeviceGetProcessUtilization"));

    /* Tick 1: everything since time 0. */
    T_CHECK(tp_tick(p, g, TP_MAX) == 5);
    tp_check_script(g, 1);
    T_CHECK(th_has(tn_fake_events(), "since gpu0 0\n"));
    T_CHECK(th_has(tn_fake_events(), "since gpu1 0\n"));

    /* No tick of the fake's clock: nothing since lastSeen (NOT_FOUND), so
     * the utilisations are unknown; the lists still answer. */
    T_CHECK(plug_gpu_procs_read(p, g, TP_MAX) == 4);
    tp_check_script(g, 0);
    T_CHECK(dt_count(tn_fake_events(), "since gpu0") == 1);

    /* Tick 2: the samples since the largest time stamp seen (1 s). */
    T_CHECK(tp_tick(p, g, TP_MAX) == 5);
    tp_check_script(g, 1);
    T_CHECK(th_has(tn_fake_events(), "since gpu0 1000000\n"));
    T_CHECK(th_has(tn_fake_events(), "since gpu1 1000000\n"));
    T_CHECK(dt_count(th_logbuf, "lost") == 0);
    plug_close(p);
}

/* `max` smaller than the records: the first `max`, in GPU order, and
 * nothing written past them. */
static void test_truncate(void)
{
    struct wattson_gpu_proc g[TP_MAX];
    struct plug *p;

    p = tp_load(NULL, "2", NULL, NULL);
    if (!p)
        return;
    memset(g, 0, sizeof g);
    g[2].pid = 0xDEADBEEFu;
    T_CHECK(tp_tick(p, g, 2) == 2);
    T_CHECK(g[0].pid == tp_self && g[0].device == 0);
    T_CHECK(g[1].pid == tp_parent && g[1].device == 0);
    T_NEAR(g[0].sm, .35, 1e-9);
    T_CHECK(g[2].pid == 0xDEADBEEFu);
    /* Exactly GPU 0's four: none of GPU 1's. */
    g[4].pid = 0xDEADBEEFu;
    T_CHECK(tp_tick(p, g, 4) == 4);
    T_CHECK(g[3].pid == TP_GONE1 && g[3].device == 0);
    T_CHECK(g[4].pid == 0xDEADBEEFu);
    /* max 0: the loader asks nothing. */
    T_CHECK(plug_gpu_procs_read(p, g, 0) == 0);
    plug_close(p);
}

/* Samples for the first tick only: the second tick's utilisations are
 * unknown (NaN), never 0, although the processes are listed. */
static void test_util_stops(void)
{
    struct wattson_gpu_proc g[TP_MAX];
    struct plug *p;

    p = tp_load(NULL, "1", "FAKENVML_UTIL_TICKS", "1");
    if (!p)
        return;
    T_CHECK(tp_tick(p, g, TP_MAX) == 4);
    T_NEAR(g[0].sm, .35, 1e-9);
    /* The pid known only from its samples is gone with them. */
    T_CHECK(tp_tick(p, g, TP_MAX) == 3);
    TP_NAN(g[0].sm);
    TP_NAN(g[1].mem_bw);
    T_NEAR(g[0].mem_bytes, 512 * TP_MIB, 0);
    T_CHECK(g[2].pid == TP_GONE2);
    plug_close(p);
}

static void test_not_supported(void)
{
    struct wattson_gpu_proc g[TP_MAX];
    struct plug *p;

    /* No compute list: this test appears through its sample, memory
     * unknown; the graphics list still gives TP_GONE2's. */
    p = tp_load(NULL, "1", "FAKENVML_NOT_SUPPORTED", "compute");
    if (p) {
        T_CHECK(tp_tick(p, g, TP_MAX) == 4);
        T_CHECK(g[0].pid == tp_parent); /* graphics list first */
        T_CHECK(g[1].pid == TP_GONE2);
        T_NEAR(g[1].mem_bytes, 100 * TP_MIB, 0);
        T_CHECK(g[2].pid == tp_self);
        TP_NAN(g[2].mem_bytes);
        T_NEAR(g[2].sm, .35, 1e-9);
        plug_close(p);
    }
    /* No utilisation: listed processes, every utilisation NaN. */
    p = tp_load(NULL, "1", "FAKENVML_NOT_SUPPORTED", "proc_util");
    if (p) {
        T_CHECK(tp_tick(p, g, TP_MAX) == 3);
        for (int i = 0; i < 3; i++) {
            TP_NAN(g[i].sm);
            TP_NAN(g[i].mem_bw);
            TP_NAN(g[i].enc);
            TP_NAN(g[i].dec);
        }
        T_NEAR(g[0].mem_bytes, 512 * TP_MIB, 0);
        plug_close(p);
    }
    /* Nothing answers: no records, and no error. */
    p = tp_load(NULL, "1", "FAKENVML_NOT_SUPPORTED",
                "compute,graphics,proc_util");
    if (p) {
        T_CHECK(tp_tick(p, g, TP_MAX) == 0);
        T_CHECK(dt_count(th_logbuf, "lost") == 0);
        plug_close(p);
    }
}

/* A process call answering GPU_IS_LOST marks the GPU lost (one log
 * line, its signals invalid from then on); the other GPU goes on.  Any
 * other error is only that part unknown. */
static void test_lost(void)
{
    struct wattson_gpu_proc g[TP_MAX];
    double v[64];
    uint8_t ok[64];
    struct plug *p;

    p = tp_load(NULL, "2", "FAKENVML_PROC_RC", "15"); /* on GPU 0 */
    if (!p)
        return;
    for (int round = 0; round < 3; round++) {
        T_CHECK(tp_tick(p, g, TP_MAX) == 1);
        T_CHECK(g[0].device == 1 && g[0].pid == tp_self);
        T_NEAR(g[0].sm, .80, 1e-9);
    }
    T_CHECK(dt_count(th_logbuf, "nvml: gpu0 (Fake GPU 0) is lost") == 1);
    if (p->inv.n_signals <= 64) {
        T_CHECK(p->desc->read(p->state, v, ok, p->inv.n_signals) == WATTSON_OK);
        for (size_t i = 0; i < p->inv.n_signals; i++)
            T_CHECK(ok[i] == (p->inv.signals[i].device == 1));
    }
    plug_close(p);

    /* An unknown error (999) on GPU 0's process calls: no records there,
     * nothing lost. */
    p = tp_load(NULL, "2", "FAKENVML_PROC_RC", "999");
    if (!p)
        return;
    T_CHECK(tp_tick(p, g, TP_MAX) == 1);
    T_CHECK(g[0].device == 1);
    T_CHECK(dt_count(th_logbuf, "lost") == 0);
    plug_close(p);
}

/* The older entry points and the R535 layout: the same records from
 * 16-, 24- and 32-byte process records (a wrong stride would misread the
 * second record's pid). */
static void test_layouts(void)
{
    static const struct {
        const char *lib, *says;
    } libs[] = {
        {FAKENVML_NOV2_LIB, "compute nvmlDeviceGetComputeRunningProcesses "
                            "(16-byte records), graphics "
                            "nvmlDeviceGetGraphicsRunningProcesses (16-byte"},
        {FAKENVML_NOV3_LIB, "compute nvmlDeviceGetComputeRunningProcesses_v2 "
                            "(24-byte records), graphics "
                            "nvmlDeviceGetGraphicsRunningProcesses_v2 (24"},
        {FAKENVML_R535_LIB, "compute nvmlDeviceGetComputeRunningProcesses_v3 "
                            "(32-byte records), graphics "
                            "nvmlDeviceGetGraphicsRunningProcesses_v3 (32"},
    };
    struct wattson_gpu_proc g[TP_MAX];

    for (size_t k = 0; k < sizeof libs / sizeof libs[0]; k++) {
        struct plug *p;

        p = tp_load(libs[k].lib, "2", NULL, NULL);
        if (!p)
            continue;
        T_CHECK(th_has(th_logbuf, libs[k].says));
        T_CHECK(tp_tick(p, g, TP_MAX) == 5);
        tp_check_script(g, 1);
        plug_close(p);
    }
}

int main(void)
{
    if (tn_setup() != 0)
        return 1;
    tp_self = (unsigned)getpid();
    tp_parent = (unsigned)getppid();
    tp_comm(tp_self, tp_self_name);
    tp_comm(tp_parent, tp_parent_name);
    T_CHECK(tp_self_name[0] != '\0');
    if (!tp_parent_name[0]) /* a parent in another PID namespace */
        snprintf(tp_parent_name, sizeof tp_parent_name, "pid %u", tp_parent);
    test_records();
    test_truncate();
    test_util_stops();
    test_not_supported();
    test_lost();
    test_layouts();
    unlink(tn_fakelog);
    return t_done("test_nvml_procs");
}

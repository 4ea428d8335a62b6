/*
 * nvproc - per-process GPU samples from NVML for the nvml driver (ABI 1.2
 * gpu_procs_read): which processes use each GPU, the memory they hold and
 * their share of the SMs, memory bandwidth, encoder and decoder.
 *
 * Per GPU per tick, through entry points looked up at init (each
 * optional; a library without one simply lacks that part):
 *
 *  - The running-process lists, nvmlDeviceGetComputeRunningProcesses and
 *    nvmlDeviceGetGraphicsRunningProcesses, newest first (_v3, _v2, then
 *    the plain name): pid and usedGpuMemory in bytes.  The record layout
 *    goes with the entry point (NVML API reference, "Device Queries";
 *    nvml.h's nvmlProcessInfo_*):
 *      plain  nvmlProcessInfo_v1_t {pid, usedGpuMemory}                16 B
 *      _v2    nvmlProcessInfo_v2_t {pid, usedGpuMemory, gpuInstanceId,
 *             computeInstanceId}                                       24 B
 *      _v3    the _v2 layout, except in the R535 drivers (CUDA 12.2),
 *             whose _v3 wrote a fifth field, usedGpuCcProtectedMemory,
 *             without a version bump (32 B).  Those are told apart the
 *             way nvitop does (XuehaiPan/nvitop pull request 79): they
 *             have nvmlDeviceGetConfComputeMemSizeInfo but not yet
 *             nvmlDeviceGetRunningProcessDetailList, to which later
 *             drivers moved that field.
 *    Only the common prefix {pid, usedGpuMemory} is read, at the entry
 *    point's stride.  NVML_VALUE_NOT_AVAILABLE (~0ULL: WDDM, or another
 *    user's process without permission) is unknown: NaN.  A process in
 *    both lists is one record holding the larger of its two figures: each
 *    list reports the process's memory on the device, not a per-context
 *    part, so adding them would count it twice.
 *
 *  - nvmlDeviceGetProcessUtilization(device, samples, &count, lastSeen):
 *    per pid smUtil, memUtil (memory controller busy), encUtil and decUtil
 *    in percent, over the samples newer than lastSeen (microseconds, the
 *    largest timeStamp this GPU has returned, kept per GPU).  It is called
 *    first with samples = NULL to learn the count (NVML answers
 *    INSUFFICIENT_SIZE), then with the buffer allocated at init.  A pid
 *    with several samples gets its latest.  NOT_FOUND means no sample
 *    since lastSeen: the utilisations are then unknown for the tick (NaN),
 *    not 0 - NVML samples at its own rate (about 1/6 s on recent parts),
 *    so a tick shorter than that sees nothing new although the processes
 *    still run.  A value above 100 % is invalid (NaN).
 *
 * Records: the list processes first (compute, then graphics order), then
 * pids that only have samples (a process that just exited: kept, memory
 * NaN).  A listed process without a sample has NaN utilisations.  The
 * name is /proc/PID/comm, read into the record's fixed buffer ("pid N"
 * when unreadable: another PID namespace, or gone).  NVML has no kernel
 * launch rate and no per-process PCIe traffic (only the device's, the
 * nvml driver's pcie_tx/pcie_rx signals), and a process reports no
 * performance of its own: launches, pcie_bps, perf, slo and the
 * simulation-only need_* are NaN, perf_kind NONE.
 *
 * Failures: a call that fails makes its part unknown for the tick (NaN,
 * never 0): a failed list loses its processes' memory (they still appear
 * through their samples); GPU_IS_LOST stops the GPU's reads and is handed
 * to nvml.c, which marks the GPU lost.  More than NVPROC_CAP processes
 * or samples on one GPU in one call (NVML answers INSUFFICIENT_SIZE) is a
 * failure of that call; CUDA MPS serves a few dozen clients per GPU (48
 * on Volta, by the CUDA MPS documentation), so 256 leaves room for
 * graphics processes too.
 *
 * Every buffer is allocated in nvproc_new; nvproc_read uses only those
 * and the stack.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drvutil.h"
#include "nvproc.h"

#define NVPROC_CAP 256    /* processes or samples per GPU per call */
#define NVPROC_NA (~0ULL) /* NVML_VALUE_NOT_AVAILABLE */

/* nvml.h's nvmlProcessInfo_v1_t, nvmlProcessInfo_v2_t and the R535 _v3
 * record: declared for their sizes (the strides); the first two fields
 * are read through the v1 prefix. */
struct nvproc_info_v1 {
    unsigned int pid;
    unsigned long long used_gpu_memory;
};
struct nvproc_info_v2 {
    unsigned int pid;
    unsigned long long used_gpu_memory;
    unsigned int gpu_instance_id, compute_instance_id;
};
struct nvproc_info_cc {
    unsigned int pid;
    unsigned long long used_gpu_memory;
    unsigned int gpu_instance_id, compute_instance_id;
    unsigned long long used_gpu_cc_protected_memory;
};

/* nvmlProcessUtilizationSample_t */
struct nvproc_sample {
    unsigned int pid;
    unsigned long long time_stamp;                      /* us */
    unsigned int sm_util, mem_util, enc_util, dec_util; /* percent */
};

typedef nvml_ret (*nvproc_list_fn)(nvml_dev, unsigned int *, void *);
typedef nvml_ret (*nvproc_util_fn)(nvml_dev, struct nvproc_sample *,
                                   unsigned int *, unsigned long long);

enum { NVPROC_COMPUTE, NVPROC_GRAPHICS, NVPROC_NLISTS };

struct nvproc_list {
    nvproc_list_fn fn;
    const char *name; /* the entry point found */
    size_t stride;    /* bytes per record */
};

/* One process of the GPU being read, this tick. */
struct nvproc_rec {
    uint32_t pid;
    double mem;                    /* B, NaN unknown */
    unsigned long long ts;         /* its latest sample's time stamp */
    const struct nvproc_sample *s; /* that sample, NULL: none */
};

struct nvproc {
    struct nvproc_list list[NVPROC_NLISTS];
    nvproc_util_fn util;
    size_t n_gpu;
    unsigned long long *last_seen; /* per GPU */
    unsigned char *raw;            /* one list call's records */
    struct nvproc_sample *samples; /* one utilisation call's samples */
    struct nvproc_rec *recs;       /* every list plus the samples */
    size_t n_rec;
};

static void nvproc_find_list(struct nvproc *p, void *dl, int k, int r535)
{
    static const char *const names[NVPROC_NLISTS][4] = {
        {"nvmlDeviceGetComputeRunningProcesses_v3",
         "nvmlDeviceGetComputeRunningProcesses_v2",
         "nvmlDeviceGetComputeRunningProcesses", NULL},
        {"nvmlDeviceGetGraphicsRunningProcesses_v3",
         "nvmlDeviceGetGraphicsRunningProcesses_v2",
         "nvmlDeviceGetGraphicsRunningProcesses", NULL},
    };
    const size_t strides[3] = {
        r535 ? sizeof(struct nvproc_info_cc) : sizeof(struct nvproc_info_v2),
        sizeof(struct nvproc_info_v2), sizeof(struct nvproc_info_v1)};
    size_t which = 0;
    void *sym = nvml_sym(dl, names[k], &which);

    nvml_bind(&p->list[k].fn, sym);
    if (sym) {
        p->list[k].name = names[k][which];
        p->list[k].stride = strides[which];
    }
}

struct nvproc *nvproc_new(void *dl, size_t n_gpu)
{
    static const char *const util[] = {"nvmlDeviceGetProcessUtilization", NULL};
    struct nvproc *p = calloc(1, sizeof *p);
    int r535;

    if (!p)
        return NULL;
    r535 = dlsym(dl, "nvmlDeviceGetConfComputeMemSizeInfo") != NULL &&
           dlsym(dl, "nvmlDeviceGetRunningProcessDetailList") == NULL;
    nvproc_find_list(p, dl, NVPROC_COMPUTE, r535);
    nvproc_find_list(p, dl, NVPROC_GRAPHICS, r535);
    nvml_bind(&p->util, nvml_sym(dl, util, NULL));
    p->n_gpu = n_gpu;
    p->last_seen = calloc(n_gpu ? n_gpu : 1, sizeof *p->last_seen);
    p->raw = malloc(NVPROC_CAP * sizeof(struct nvproc_info_cc));
    p->samples = malloc(NVPROC_CAP * sizeof *p->samples);
    p->recs = malloc((NVPROC_NLISTS + 1) * NVPROC_CAP * sizeof *p->recs);
    if (!p->last_seen || !p->raw || !p->samples || !p->recs) {
        nvproc_free(p);
        return NULL;
    }
    return p;
}

void nvproc_free(struct nvproc *p)
{
    if (!p)
        return;
    free(p->last_seen);
    free(p->raw);
    free(p->samples);
    free(p->recs);
    free(p);
}

/* "NAME (N-byte records)" of list `l`, or "none". */
static const char *nvproc_list_name(const struct nvproc_list *l, char *buf,
                                    size_t len)
{
    if (!l->fn)
        return "none";
    snprintf(buf, len, "%s (%zu-byte records)", l->name, l->stride);
    return buf;
}

void nvproc_describe(const struct nvproc *p, char *buf, size_t len)
{
    char c[96], g[96];

    snprintf(buf, len, "per-process: compute %s, graphics %s, utilisation %s",
             nvproc_list_name(&p->list[NVPROC_COMPUTE], c, sizeof c),
             nvproc_list_name(&p->list[NVPROC_GRAPHICS], g, sizeof g),
             p->util ? "nvmlDeviceGetProcessUtilization" : "none");
}

/* The record of `pid`, added (memory unknown, no sample) when new; NULL
 * when the table is full (it holds every list and sample, so never). */
static struct nvproc_rec *nvproc_rec(struct nvproc *p, uint32_t pid)
{
    size_t i;

    for (i = 0; i < p->n_rec; i++)
        if (p->recs[i].pid == pid)
            return &p->recs[i];
    if (p->n_rec == (NVPROC_NLISTS + 1) * NVPROC_CAP)
        return NULL;
    p->recs[p->n_rec] = (struct nvproc_rec){pid, NAN, 0, NULL};
    return &p->recs[p->n_rec++];
}

/* One list's processes into the table; GPU_IS_LOST or any error is
 * returned (the memory of the processes it would have listed stays
 * unknown). */
static nvml_ret nvproc_list(struct nvproc *p, const struct nvproc_list *l,
                            nvml_dev h)
{
    unsigned int n = NVPROC_CAP, i;
    nvml_ret rc = l->fn(h, &n, p->raw);

    if (rc != NVML_OK)
        return rc;
    for (i = 0; i < n && i < NVPROC_CAP; i++) {
        struct nvproc_info_v1 v;
        struct nvproc_rec *r;
        double mem;

        memcpy(&v, p->raw + i * l->stride, sizeof v);
        if (!(r = nvproc_rec(p, v.pid)))
            break;
        mem = v.used_gpu_memory == NVPROC_NA ? NAN : (double)v.used_gpu_memory;
        if (isnan(r->mem) || mem > r->mem)
            r->mem = mem;
    }
    return NVML_OK;
}

/* The utilisation samples since the GPU's last one into the table: the
 * number read (0 with NOT_FOUND or a failure), or -1 with GPU_IS_LOST. */
static int nvproc_util(struct nvproc *p, size_t g, nvml_dev h)
{
    unsigned long long *last = &p->last_seen[g];
    unsigned int n = 0, i;
    nvml_ret rc = p->util(h, NULL, &n, *last);

    if (rc == NVML_E_GPU_IS_LOST)
        return -1;
    if ((rc != NVML_OK && rc != NVML_E_INSUFFICIENT) || n == 0)
        return 0;
    n = NVPROC_CAP;
    rc = p->util(h, p->samples, &n, *last);
    if (rc == NVML_E_GPU_IS_LOST)
        return -1;
    if (rc != NVML_OK)
        return 0;
    if (n > NVPROC_CAP)
        n = NVPROC_CAP;
    for (i = 0; i < n; i++) {
        const struct nvproc_sample *s = &p->samples[i];
        struct nvproc_rec *r = nvproc_rec(p, s->pid);

        if (r && (!r->s || s->time_stamp >= r->ts)) {
            r->s = s;
            r->ts = s->time_stamp;
        }
        if (s->time_stamp > *last)
            *last = s->time_stamp;
    }
    return (int)n;
}

/* A percentage as a fraction; NaN above 100 % (invalid). */
static double nvproc_frac(unsigned int pct)
{
    return pct <= 100 ? pct / 100.0 : NAN;
}

/* /proc/PID/comm into the record's fixed buffer, else "pid N". */
static void nvproc_name(uint32_t pid, char *name)
{
    char path[32];

    snprintf(path, sizeof path, "/proc/%u/comm", (unsigned)pid);
    if (drv_read_text(path, name, WATTSON_GPU_NAME_LEN) != 0 || !name[0])
        snprintf(name, WATTSON_GPU_NAME_LEN, "pid %u", (unsigned)pid);
}

size_t nvproc_read(struct nvproc *p, size_t g, nvml_dev h, uint32_t device,
                   struct wattson_gpu_proc *out, size_t max, int *lost)
{
    size_t i, n = 0;
    int k, util_ok = 0;

    *lost = 0;
    p->n_rec = 0;
    for (k = 0; k < NVPROC_NLISTS; k++) {
        if (p->list[k].fn &&
            nvproc_list(p, &p->list[k], h) == NVML_E_GPU_IS_LOST) {
            *lost = 1;
            return 0;
        }
    }
    if (p->util) {
        int got = nvproc_util(p, g, h);

        if (got < 0) {
            *lost = 1;
            return 0;
        }
        util_ok = got > 0;
    }
    for (i = 0; i < p->n_rec && n < max; i++, n++) {
        const struct nvproc_rec *r = &p->recs[i];
        const struct nvproc_sample *s = util_ok ? r->s : NULL;
        struct wattson_gpu_proc *o = &out[n];

        *o = (struct wattson_gpu_proc){
            .device = device,
            .pid = r->pid,
            .perf_kind = WATTSON_GPU_PERF_NONE,
            .sm = s ? nvproc_frac(s->sm_util) : NAN,
            .mem_bytes = r->mem,
            .mem_bw = s ? nvproc_frac(s->mem_util) : NAN,
            .launches = NAN,
            .pcie_bps = NAN,
            .enc = s ? nvproc_frac(s->enc_util) : NAN,
            .dec = s ? nvproc_frac(s->dec_util) : NAN,
            .perf = NAN,
            .slo = NAN,
            .need_sm = NAN,
            .need_mem = NAN,
        };
        nvproc_name(r->pid, o->name);
    }
    return n;
}

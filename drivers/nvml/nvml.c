/*
 * nvml - NVIDIA GPUs through NVML (libnvidia-ml.so.1) as a wattson driver
 * plugin.
 *
 * The library is opened at run time with dlopen: no NVML header and no
 * build dependency.  The few NVML types and constants used are declared
 * here, from NVML's documented API.  Versioned entry points are looked up
 * newest first (nvmlInit_v2, then nvmlInit; nvmlDeviceGetCount_v2, then
 * nvmlDeviceGetCount; nvmlDeviceGetHandleByIndex_v2, then without suffix).
 *
 * One device "gpuN" of kind "gpu" per NVML index N.  Signals per GPU, in
 * this order (each only when the library has its function):
 *
 *   signal               unit behaviour from
 *   power                W    gauge     nvmlDeviceGetPowerUsage (mW)
 *   power_limit          W    gauge     nvmlDeviceGetEnforcedPowerLimit (mW)
 *   power_limit_default  W    constant  ...PowerManagementDefaultLimit (mW)
 *   power_limit_min      W    constant  ...PowerManagementLimitConstraints
 *   power_limit_max      W    constant  (same call)
 *   util                 1    gauge     nvmlDeviceGetUtilizationRates .gpu %
 *   mem_util             1    gauge     (same call) .memory %
 *   mem_used             B    gauge     nvmlDeviceGetMemoryInfo .used
 *   mem_total            B    constant  (same call) .total
 *   freq                 Hz   gauge     nvmlDeviceGetClockInfo(SM) MHz
 *   mem_freq             Hz   gauge     nvmlDeviceGetClockInfo(MEM) MHz
 *   temp                 C    gauge     nvmlDeviceGetTemperature(GPU)
 *   pcie_tx              B/s  gauge     nvmlDeviceGetPcieThroughput(TX) KB/s
 *   pcie_rx              B/s  gauge     nvmlDeviceGetPcieThroughput(RX) KB/s
 *   enc_util             1    gauge     nvmlDeviceGetEncoderUtilization %
 *   dec_util             1    gauge     nvmlDeviceGetDecoderUtilization %
 *
 * NVML's PCIe throughput is a byte count over its own 20 ms window in
 * "KB/s", taken as KiB/s (1024 bytes: the documentation does not say);
 * the encoder and decoder utilisations are over the sampling period NVML
 * returns with them, which is not used.
 *
 * A call that fails (NOT_SUPPORTED, NO_PERMISSION, anything) makes its
 * values invalid for that tick, never zero.  GPU_IS_LOST makes every value
 * of that GPU invalid from then on, with one log line; the run goes on.
 *
 * Per-process samples (ABI 1.2 gpu_procs_read): nvproc.c, from the
 * running-process lists and nvmlDeviceGetProcessUtilization.
 *
 * Control per GPU whose limit constraints read at init:
 *
 *   power_cap  W  [min, max] from nvmlDeviceGetPowerManagementLimitConstraints;
 *                 written with nvmlDeviceSetPowerManagementLimit (mW), read
 *                 back with nvmlDeviceGetPowerManagementLimit.
 *
 * There is no per-process control: gpu_share_write is NULL.  NVML has no
 * per-process compute or memory knob.  CUDA MPS's active-thread
 * percentage is set through the MPS control daemon (nvidia-cuda-mps-
 * control, per client at its start), and MIG partitions are made by a
 * reconfiguration that needs root and an idle GPU; neither goes through
 * NVML's per-process calls, and this driver writes nothing to a GPU for
 * them.  The shares of issue 16 are enforced in the simulated lab only.
 *
 * Lab configuration: `library` (string) - the NVML library to dlopen;
 * default $WATTSON_NVML_LIB, else "libnvidia-ml.so.1".  A relative path
 * with a '/' is taken relative to the lab's directory; a bare name goes
 * through the dynamic linker's search.
 *
 * All allocation happens in init; read, write, read_controls and
 * gpu_procs_read use only the state's fixed buffers and the stack.  fini
 * calls nvmlShutdown and dlclose.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drvutil.h"
#include "nvproc.h"
#include "wattson/plugin.h"

#define NVML_DEFAULT_LIB "libnvidia-ml.so.1"
#define NVML_MAX_GPUS 64
#define NVML_NAME_LEN 96 /* NVML_DEVICE_NAME_V2_BUFFER_SIZE */

/* ---- the part of the NVML API this driver uses (and nvproc.h) -------- */

enum { NVML_CLOCK_SM = 1, NVML_CLOCK_MEM = 2 }; /* nvmlClockType_t */
enum { NVML_TEMPERATURE_GPU = 0 };              /* nvmlTemperatureSensors_t */
enum { NVML_PCIE_TX = 0, NVML_PCIE_RX = 1 };    /* nvmlPcieUtilCounter_t */

struct nvml_utilization { /* nvmlUtilization_t */
    unsigned int gpu;     /* percent */
    unsigned int memory;  /* percent */
};

struct nvml_memory {                      /* nvmlMemory_t (v1) */
    unsigned long long total, free, used; /* bytes */
};

struct nvml_fns {
    nvml_ret (*init)(void);
    nvml_ret (*shutdown)(void);
    const char *(*error_string)(nvml_ret);
    nvml_ret (*get_count)(unsigned int *);
    nvml_ret (*get_handle)(unsigned int, nvml_dev *);
    nvml_ret (*get_name)(nvml_dev, char *, unsigned int);
    nvml_ret (*power_usage)(nvml_dev, unsigned int *);
    nvml_ret (*enforced_limit)(nvml_dev, unsigned int *);
    nvml_ret (*default_limit)(nvml_dev, unsigned int *);
    nvml_ret (*limit_constraints)(nvml_dev, unsigned int *, unsigned int *);
    nvml_ret (*utilization)(nvml_dev, struct nvml_utilization *);
    nvml_ret (*memory)(nvml_dev, struct nvml_memory *);
    nvml_ret (*clock)(nvml_dev, int, unsigned int *);
    nvml_ret (*temperature)(nvml_dev, int, unsigned int *);
    nvml_ret (*get_limit)(nvml_dev, unsigned int *);
    nvml_ret (*set_limit)(nvml_dev, unsigned int);
    nvml_ret (*pcie)(nvml_dev, int, unsigned int *);
    nvml_ret (*encoder)(nvml_dev, unsigned int *, unsigned int *);
    nvml_ret (*decoder)(nvml_dev, unsigned int *, unsigned int *);
};

/* ---- signals ---------------------------------------------------------- */

enum nvml_kind {
    K_POWER,
    K_LIMIT,
    K_LIMIT_DEFAULT,
    K_LIMIT_MIN,
    K_LIMIT_MAX,
    K_UTIL,
    K_MEM_UTIL,
    K_MEM_USED,
    K_MEM_TOTAL,
    K_FREQ,
    K_MEM_FREQ,
    K_TEMP,
    K_PCIE_TX,
    K_PCIE_RX,
    K_ENC,
    K_DEC,
    K_N
};

struct nvml_sigdef {
    const char *name, *unit;
    int behaviour;
    const char *what, *from;
};

static const struct nvml_sigdef nvml_sigdefs[K_N] = {
    [K_POWER] = {WATTSON_SIG_POWER, "W", WATTSON_GAUGE, "power draw",
                 "nvmlDeviceGetPowerUsage"},
    [K_LIMIT] = {"power_limit", "W", WATTSON_GAUGE, "enforced power limit",
                 "nvmlDeviceGetEnforcedPowerLimit"},
    [K_LIMIT_DEFAULT] = {"power_limit_default", "W", WATTSON_CONSTANT,
                         "default power limit",
                         "nvmlDeviceGetPowerManagementDefaultLimit"},
    [K_LIMIT_MIN] = {"power_limit_min", "W", WATTSON_CONSTANT,
                     "lowest settable power limit",
                     "nvmlDeviceGetPowerManagementLimitConstraints"},
    [K_LIMIT_MAX] = {"power_limit_max", "W", WATTSON_CONSTANT,
                     "highest settable power limit",
                     "nvmlDeviceGetPowerManagementLimitConstraints"},
    [K_UTIL] = {WATTSON_SIG_UTIL, "1", WATTSON_GAUGE, "GPU utilisation",
                "nvmlDeviceGetUtilizationRates"},
    [K_MEM_UTIL] = {"mem_util", "1", WATTSON_GAUGE, "memory utilisation",
                    "nvmlDeviceGetUtilizationRates"},
    [K_MEM_USED] = {"mem_used", "B", WATTSON_GAUGE, "memory used",
                    "nvmlDeviceGetMemoryInfo"},
    [K_MEM_TOTAL] = {"mem_total", "B", WATTSON_CONSTANT, "memory size",
                     "nvmlDeviceGetMemoryInfo"},
    [K_FREQ] = {WATTSON_SIG_FREQ, "Hz", WATTSON_GAUGE, "SM clock",
                "nvmlDeviceGetClockInfo"},
    [K_MEM_FREQ] = {"mem_freq", "Hz", WATTSON_GAUGE, "memory clock",
                    "nvmlDeviceGetClockInfo"},
    [K_TEMP] = {WATTSON_SIG_TEMP, "C", WATTSON_GAUGE, "die temperature",
                "nvmlDeviceGetTemperature"},
    [K_PCIE_TX] = {"pcie_tx", "B/s", WATTSON_GAUGE, "PCIe transmit throughput",
                   "nvmlDeviceGetPcieThroughput"},
    [K_PCIE_RX] = {"pcie_rx", "B/s", WATTSON_GAUGE, "PCIe receive throughput",
                   "nvmlDeviceGetPcieThroughput"},
    [K_ENC] = {"enc_util", "1", WATTSON_GAUGE, "video encoder utilisation",
               "nvmlDeviceGetEncoderUtilization"},
    [K_DEC] = {"dec_util", "1", WATTSON_GAUGE, "video decoder utilisation",
               "nvmlDeviceGetDecoderUtilization"},
};

struct nvml_gpu {
    nvml_dev handle;
    unsigned int index; /* NVML index */
    int lost;
    char model[NVML_NAME_LEN];
};

struct nvml {
    const struct wattson_host *host;
    void *dl;
    int inited; /* nvmlInit succeeded: nvmlShutdown at fini */
    struct nvml_fns f;
    int have[K_N];        /* the library has the function behind a kind */
    struct nvproc *procs; /* the per-process reads (nvproc.c) */
    struct drv_strs strs;
    struct nvml_gpu *gpus;
    size_t n_gpu;
    struct wattson_device_desc *devices;
    struct wattson_signal_desc *signals;
    uint32_t *sig_gpu;
    uint8_t *sig_kind;
    struct wattson_control_desc *controls;
    uint32_t *ctl_gpu;
    size_t n_sig, n_ctl;
};

static void nvml_free(struct nvml *r)
{
    if (!r)
        return;
    if (r->inited && r->f.shutdown)
        r->f.shutdown();
    if (r->dl)
        dlclose(r->dl);
    drv_strs_free(&r->strs);
    nvproc_free(r->procs);
    free(r->gpus);
    free(r->devices);
    free(r->signals);
    free(r->sig_gpu);
    free(r->sig_kind);
    free(r->controls);
    free(r->ctl_gpu);
    free(r);
}

void *nvml_sym(void *dl, const char *const *names, size_t *which)
{
    size_t i;
    void *p;

    for (i = 0; names[i]; i++)
        if ((p = dlsym(dl, names[i])) != NULL) {
            if (which)
                *which = i;
            return p;
        }
    return NULL;
}

/* NVML's text for `rc`, or its number when the library has no
 * nvmlErrorString. */
static const char *nvml_strerror(const struct nvml *r, nvml_ret rc, char *buf,
                                 size_t len)
{
    const char *s = r->f.error_string ? r->f.error_string(rc) : NULL;

    if (s && *s)
        return s;
    snprintf(buf, len, "NVML error %d", rc);
    return buf;
}

void nvml_bind(void *dst, void *sym)
{
    memcpy(dst, &sym, sizeof sym);
}

static void nvml_load_fns(struct nvml *r)
{
    static const char *const init[] = {"nvmlInit_v2", "nvmlInit", NULL};
    static const char *const count[] = {"nvmlDeviceGetCount_v2",
                                        "nvmlDeviceGetCount", NULL};
    static const char *const handle[] = {"nvmlDeviceGetHandleByIndex_v2",
                                         "nvmlDeviceGetHandleByIndex", NULL};
    static const struct {
        size_t off;
        const char *name;
    } one[] = {
        {offsetof(struct nvml_fns, shutdown), "nvmlShutdown"},
        {offsetof(struct nvml_fns, error_string), "nvmlErrorString"},
        {offsetof(struct nvml_fns, get_name), "nvmlDeviceGetName"},
        {offsetof(struct nvml_fns, power_usage), "nvmlDeviceGetPowerUsage"},
        {offsetof(struct nvml_fns, enforced_limit),
         "nvmlDeviceGetEnforcedPowerLimit"},
        {offsetof(struct nvml_fns, default_limit),
         "nvmlDeviceGetPowerManagementDefaultLimit"},
        {offsetof(struct nvml_fns, limit_constraints),
         "nvmlDeviceGetPowerManagementLimitConstraints"},
        {offsetof(struct nvml_fns, utilization),
         "nvmlDeviceGetUtilizationRates"},
        {offsetof(struct nvml_fns, memory), "nvmlDeviceGetMemoryInfo"},
        {offsetof(struct nvml_fns, clock), "nvmlDeviceGetClockInfo"},
        {offsetof(struct nvml_fns, temperature), "nvmlDeviceGetTemperature"},
        {offsetof(struct nvml_fns, get_limit),
         "nvmlDeviceGetPowerManagementLimit"},
        {offsetof(struct nvml_fns, set_limit),
         "nvmlDeviceSetPowerManagementLimit"},
        {offsetof(struct nvml_fns, pcie), "nvmlDeviceGetPcieThroughput"},
        {offsetof(struct nvml_fns, encoder), "nvmlDeviceGetEncoderUtilization"},
        {offsetof(struct nvml_fns, decoder), "nvmlDeviceGetDecoderUtilization"},
    };
    size_t i;

    nvml_bind(&r->f.init, nvml_sym(r->dl, init, NULL));
    nvml_bind(&r->f.get_count, nvml_sym(r->dl, count, NULL));
    nvml_bind(&r->f.get_handle, nvml_sym(r->dl, handle, NULL));
    for (i = 0; i < sizeof one / sizeof one[0]; i++)
        nvml_bind((char *)&r->f + one[i].off, dlsym(r->dl, one[i].name));
    r->have[K_POWER] = r->f.power_usage != NULL;
    r->have[K_LIMIT] = r->f.enforced_limit != NULL;
    r->have[K_LIMIT_DEFAULT] = r->f.default_limit != NULL;
    r->have[K_LIMIT_MIN] = r->have[K_LIMIT_MAX] =
        r->f.limit_constraints != NULL;
    r->have[K_UTIL] = r->have[K_MEM_UTIL] = r->f.utilization != NULL;
    r->have[K_MEM_USED] = r->have[K_MEM_TOTAL] = r->f.memory != NULL;
    r->have[K_FREQ] = r->have[K_MEM_FREQ] = r->f.clock != NULL;
    r->have[K_TEMP] = r->f.temperature != NULL;
    r->have[K_PCIE_TX] = r->have[K_PCIE_RX] = r->f.pcie != NULL;
    r->have[K_ENC] = r->f.encoder != NULL;
    r->have[K_DEC] = r->f.decoder != NULL;
}

/* `library` from the lab, else $WATTSON_NVML_LIB, else the soname. */
static int nvml_library(struct nvml *r, const struct wattson_host *h,
                        const char **lib, char *err, size_t errlen)
{
    int type = h->cfg_type(h->ctx, "library");
    const char *v = NULL;

    if (type == WATTSON_CFG_STRING) {
        v = h->cfg_string(h->ctx, "library");
    } else if (type != WATTSON_CFG_NONE) {
        snprintf(err, errlen,
                 "config key 'library': expected a string (the NVML library "
                 "to load, e.g. \"%s\")",
                 NVML_DEFAULT_LIB);
        return WATTSON_ERR_CONFIG;
    } else {
        v = getenv("WATTSON_NVML_LIB");
    }
    if (!v || !*v)
        v = NVML_DEFAULT_LIB;
    if (v[0] != '/' && strchr(v, '/') && h->lab_dir && *h->lab_dir) {
        v = drv_fmt(&r->strs, "%s/%s", h->lab_dir, v);
        if (!v) {
            snprintf(err, errlen, "out of memory");
            return WATTSON_ERR;
        }
    }
    *lib = v;
    return WATTSON_OK;
}

/* Opens the library and nvmlInit; UNSUPPORTED with one line when either
 * fails. */
static int nvml_open(struct nvml *r, const char *lib, char *err, size_t errlen)
{
    char buf[48];
    nvml_ret rc;

    dlerror();
    r->dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!r->dl) {
        const char *e = dlerror();

        snprintf(err, errlen, "nvml: cannot load %s (%s)", lib,
                 e ? e : "unknown error");
        return WATTSON_ERR_UNSUPPORTED;
    }
    nvml_load_fns(r);
    if (!r->f.init || !r->f.shutdown || !r->f.get_count || !r->f.get_handle) {
        snprintf(err, errlen,
                 "nvml: %s lacks nvmlInit, nvmlShutdown, nvmlDeviceGetCount "
                 "or nvmlDeviceGetHandleByIndex: not an NVML library",
                 lib);
        return WATTSON_ERR_UNSUPPORTED;
    }
    rc = r->f.init();
    if (rc != NVML_OK) {
        snprintf(err, errlen, "nvml: nvmlInit failed: %s",
                 nvml_strerror(r, rc, buf, sizeof buf));
        return WATTSON_ERR_UNSUPPORTED;
    }
    r->inited = 1;
    return WATTSON_OK;
}

static int nvml_build(struct nvml *r, const struct wattson_host *h, char *err,
                      size_t errlen)
{
    const char *lib;
    unsigned int count = 0, i;
    char buf[48];
    nvml_ret rc;
    size_t g, k;
    int st;

    if ((st = nvml_library(r, h, &lib, err, errlen)) != WATTSON_OK)
        return st;
    if ((st = nvml_open(r, lib, err, errlen)) != WATTSON_OK)
        return st;
    rc = r->f.get_count(&count);
    if (rc != NVML_OK) {
        snprintf(err, errlen, "nvml: nvmlDeviceGetCount failed: %s",
                 nvml_strerror(r, rc, buf, sizeof buf));
        return WATTSON_ERR_UNSUPPORTED;
    }
    if (count == 0) {
        snprintf(err, errlen, "nvml: no NVIDIA GPU (%s reports none)", lib);
        return WATTSON_ERR_UNSUPPORTED;
    }
    if (count > NVML_MAX_GPUS) {
        h->log(h->ctx, WATTSON_LOG_WARN,
               "nvml: %u GPUs, only the first %d are used", count,
               NVML_MAX_GPUS);
        count = NVML_MAX_GPUS;
    }
    r->gpus = calloc(count, sizeof *r->gpus);
    r->devices = calloc(count, sizeof *r->devices);
    r->signals = calloc((size_t)count * K_N, sizeof *r->signals);
    r->sig_gpu = calloc((size_t)count * K_N, sizeof *r->sig_gpu);
    r->sig_kind = calloc((size_t)count * K_N, sizeof *r->sig_kind);
    r->controls = calloc(count, sizeof *r->controls);
    r->ctl_gpu = calloc(count, sizeof *r->ctl_gpu);
    if (!r->gpus || !r->devices || !r->signals || !r->sig_gpu || !r->sig_kind ||
        !r->controls || !r->ctl_gpu)
        goto oom;
    for (i = 0; i < count; i++) {
        struct nvml_gpu *gp = &r->gpus[r->n_gpu];

        rc = r->f.get_handle(i, &gp->handle);
        if (rc != NVML_OK) {
            h->log(h->ctx, WATTSON_LOG_WARN,
                   "nvml: GPU %u left out: nvmlDeviceGetHandleByIndex: %s", i,
                   nvml_strerror(r, rc, buf, sizeof buf));
            continue;
        }
        gp->index = i;
        if (!r->f.get_name ||
            r->f.get_name(gp->handle, gp->model, sizeof gp->model) != NVML_OK)
            snprintf(gp->model, sizeof gp->model, "unknown model");
        gp->model[sizeof gp->model - 1] = '\0';
        r->n_gpu++;
    }
    if (r->n_gpu == 0) {
        snprintf(err, errlen, "nvml: none of the %u GPUs could be opened",
                 count);
        return WATTSON_ERR_UNSUPPORTED;
    }
    for (g = 0; g < r->n_gpu; g++) {
        struct nvml_gpu *gp = &r->gpus[g];
        const char *dname = drv_fmt(&r->strs, "gpu%u", gp->index);
        unsigned int mn, mx;

        if (!dname)
            goto oom;
        r->devices[g] = (struct wattson_device_desc){dname, "gpu", -1, NULL, 0};
        for (k = 0; k < K_N; k++) {
            const struct nvml_sigdef *d = &nvml_sigdefs[k];
            const char *desc;

            if (!r->have[k])
                continue;
            desc = drv_fmt(&r->strs, "%s (%s) %s, from %s", dname, gp->model,
                           d->what, d->from);
            if (!desc)
                goto oom;
            r->signals[r->n_sig] = (struct wattson_signal_desc){
                d->name, (uint32_t)g, d->unit, d->behaviour, 0, desc};
            r->sig_gpu[r->n_sig] = (uint32_t)g;
            r->sig_kind[r->n_sig] = (uint8_t)k;
            r->n_sig++;
        }
        /* The cap: only where the range reads and the calls exist. */
        if (!r->f.limit_constraints || !r->f.set_limit || !r->f.get_limit)
            continue;
        rc = r->f.limit_constraints(gp->handle, &mn, &mx);
        if (rc != NVML_OK || mx == 0 || mn > mx) {
            h->log(h->ctx, WATTSON_LOG_INFO,
                   "nvml: %s has no power_cap: limit constraints: %s", dname,
                   rc != NVML_OK ? nvml_strerror(r, rc, buf, sizeof buf)
                                 : "empty range");
            continue;
        }
        r->controls[r->n_ctl] = (struct wattson_control_desc){
            WATTSON_CTL_POWER_CAP,
            (uint32_t)g,
            "W",
            mn / 1e3,
            mx / 1e3,
            0,
            drv_fmt(&r->strs,
                    "%s (%s) power limit, set with "
                    "nvmlDeviceSetPowerManagementLimit",
                    dname, gp->model)};
        if (!r->controls[r->n_ctl].description)
            goto oom;
        r->ctl_gpu[r->n_ctl++] = (uint32_t)g;
    }
    if (!(r->procs = nvproc_new(r->dl, r->n_gpu)))
        goto oom;
    for (g = 0; g < r->n_gpu; g++)
        h->log(h->ctx, WATTSON_LOG_INFO, "nvml: %s: %s", r->devices[g].name,
               r->gpus[g].model);
    {
        char line[512];

        nvproc_describe(r->procs, line, sizeof line);
        h->log(h->ctx, WATTSON_LOG_INFO, "nvml: %s", line);
    }
    h->log(h->ctx, WATTSON_LOG_INFO,
           "nvml: %zu GPUs, %zu signals, %zu power caps from %s", r->n_gpu,
           r->n_sig, r->n_ctl, lib);
    return WATTSON_OK;
oom:
    snprintf(err, errlen, "out of memory");
    return WATTSON_ERR;
}

static int nvml_init(const struct wattson_host *host, void **state,
                     struct wattson_inventory *inv, char *err, size_t errlen)
{
    struct nvml *r;
    int rc;

    if ((rc = drv_host_ok(host, err, errlen)) != WATTSON_OK)
        return rc;
    if (!(r = calloc(1, sizeof *r))) {
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    r->host = host;
    rc = nvml_build(r, host, err, errlen);
    if (rc != WATTSON_OK) {
        nvml_free(r);
        return rc;
    }
    inv->devices = r->devices;
    inv->n_devices = r->n_gpu;
    inv->signals = r->signals;
    inv->n_signals = r->n_sig;
    inv->controls = r->n_ctl ? r->controls : NULL;
    inv->n_controls = r->n_ctl;
    *state = r;
    return WATTSON_OK;
}

static void nvml_fini(void *state)
{
    nvml_free(state);
}

/* Notes a failed call: GPU_IS_LOST marks the GPU lost (one log line). */
static void nvml_check_lost(struct nvml *r, struct nvml_gpu *gp, nvml_ret rc)
{
    char buf[48];

    if (rc != NVML_E_GPU_IS_LOST || gp->lost)
        return;
    gp->lost = 1;
    r->host->log(r->host->ctx, WATTSON_LOG_ERROR,
                 "nvml: gpu%u (%s) is lost (%s): its values are invalid from "
                 "now on",
                 gp->index, gp->model, nvml_strerror(r, rc, buf, sizeof buf));
}

/* 1 when `rc` is success; otherwise 0, and GPU_IS_LOST marks the GPU. */
static int nvml_ok(struct nvml *r, struct nvml_gpu *gp, nvml_ret rc)
{
    if (rc == NVML_OK)
        return 1;
    nvml_check_lost(r, gp, rc);
    return 0;
}

/* The PCIe and video engine kinds of nvml_sample: KiB/s -> B/s, % -> 1. */
static void nvml_sample_io(struct nvml *r, struct nvml_gpu *gp, double *v,
                           uint8_t *ok)
{
    unsigned int x, y;

    if (!gp->lost && r->have[K_PCIE_TX] &&
        nvml_ok(r, gp, r->f.pcie(gp->handle, NVML_PCIE_TX, &x))) {
        v[K_PCIE_TX] = x * 1024.0;
        ok[K_PCIE_TX] = 1;
    }
    if (!gp->lost && r->have[K_PCIE_RX] &&
        nvml_ok(r, gp, r->f.pcie(gp->handle, NVML_PCIE_RX, &x))) {
        v[K_PCIE_RX] = x * 1024.0;
        ok[K_PCIE_RX] = 1;
    }
    if (!gp->lost && r->have[K_ENC] &&
        nvml_ok(r, gp, r->f.encoder(gp->handle, &x, &y))) {
        v[K_ENC] = x / 100.0;
        ok[K_ENC] = x <= 100;
    }
    if (!gp->lost && r->have[K_DEC] &&
        nvml_ok(r, gp, r->f.decoder(gp->handle, &x, &y))) {
        v[K_DEC] = x / 100.0;
        ok[K_DEC] = x <= 100;
    }
}

/* One tick of GPU `gp`: every kind the inventory has, one call each; the
 * calls stop at the first GPU_IS_LOST. */
static void nvml_sample(struct nvml *r, struct nvml_gpu *gp, double *v,
                        uint8_t *ok)
{
    struct nvml_utilization u;
    struct nvml_memory m;
    unsigned int x, y;

    memset(ok, 0, K_N);
    if (!gp->lost && r->have[K_POWER] &&
        nvml_ok(r, gp, r->f.power_usage(gp->handle, &x))) {
        v[K_POWER] = x / 1e3;
        ok[K_POWER] = 1;
    }
    if (!gp->lost && r->have[K_LIMIT] &&
        nvml_ok(r, gp, r->f.enforced_limit(gp->handle, &x))) {
        v[K_LIMIT] = x / 1e3;
        ok[K_LIMIT] = 1;
    }
    if (!gp->lost && r->have[K_LIMIT_DEFAULT] &&
        nvml_ok(r, gp, r->f.default_limit(gp->handle, &x))) {
        v[K_LIMIT_DEFAULT] = x / 1e3;
        ok[K_LIMIT_DEFAULT] = 1;
    }
    if (!gp->lost && r->have[K_LIMIT_MIN] &&
        nvml_ok(r, gp, r->f.limit_constraints(gp->handle, &x, &y))) {
        v[K_LIMIT_MIN] = x / 1e3;
        v[K_LIMIT_MAX] = y / 1e3;
        ok[K_LIMIT_MIN] = ok[K_LIMIT_MAX] = 1;
    }
    if (!gp->lost && r->have[K_UTIL] &&
        nvml_ok(r, gp, r->f.utilization(gp->handle, &u))) {
        v[K_UTIL] = u.gpu / 100.0;
        v[K_MEM_UTIL] = u.memory / 100.0;
        ok[K_UTIL] = u.gpu <= 100;
        ok[K_MEM_UTIL] = u.memory <= 100;
    }
    if (!gp->lost && r->have[K_MEM_USED] &&
        nvml_ok(r, gp, r->f.memory(gp->handle, &m))) {
        v[K_MEM_USED] = (double)m.used;
        v[K_MEM_TOTAL] = (double)m.total;
        ok[K_MEM_USED] = 1;
        ok[K_MEM_TOTAL] = m.total > 0;
    }
    if (!gp->lost && r->have[K_FREQ] &&
        nvml_ok(r, gp, r->f.clock(gp->handle, NVML_CLOCK_SM, &x))) {
        v[K_FREQ] = x * 1e6;
        ok[K_FREQ] = 1;
    }
    if (!gp->lost && r->have[K_MEM_FREQ] &&
        nvml_ok(r, gp, r->f.clock(gp->handle, NVML_CLOCK_MEM, &x))) {
        v[K_MEM_FREQ] = x * 1e6;
        ok[K_MEM_FREQ] = 1;
    }
    if (!gp->lost && r->have[K_TEMP] &&
        nvml_ok(r, gp,
                r->f.temperature(gp->handle, NVML_TEMPERATURE_GPU, &x))) {
        v[K_TEMP] = x;
        ok[K_TEMP] = 1;
    }
    nvml_sample_io(r, gp, v, ok);
    if (gp->lost)
        memset(ok, 0, K_N);
}

static int nvml_read(void *state, double *values, uint8_t *valid, size_t n)
{
    struct nvml *r = state;
    double v[K_N];
    uint8_t ok[K_N];
    uint32_t cur = UINT32_MAX;
    size_t i;

    for (i = 0; i < n && i < r->n_sig; i++) {
        unsigned k = r->sig_kind[i];

        if (r->sig_gpu[i] != cur) {
            cur = r->sig_gpu[i];
            nvml_sample(r, &r->gpus[cur], v, ok);
        }
        valid[i] = ok[k];
        values[i] = ok[k] ? v[k] : 0;
    }
    return WATTSON_OK;
}

static int nvml_read_controls(void *state, double *values, uint8_t *valid,
                              size_t n)
{
    struct nvml *r = state;
    size_t i;

    for (i = 0; i < n && i < r->n_ctl; i++) {
        struct nvml_gpu *gp = &r->gpus[r->ctl_gpu[i]];
        unsigned int mw;
        nvml_ret rc = NVML_E_GPU_IS_LOST;

        valid[i] = 0;
        values[i] = 0;
        if (!gp->lost && (rc = r->f.get_limit(gp->handle, &mw)) == NVML_OK) {
            values[i] = mw / 1e3;
            valid[i] = 1;
        } else {
            nvml_check_lost(r, gp, rc);
        }
    }
    return WATTSON_OK;
}

/* The wattson_status of a failed set: who cannot, vanished, refused. */
static int nvml_write_status(nvml_ret rc)
{
    switch (rc) {
    case NVML_E_NO_PERMISSION:
        return WATTSON_ERR_PERM;
    case NVML_E_GPU_IS_LOST:
        return WATTSON_ERR_GONE;
    case NVML_E_INVALID_ARG:
        return WATTSON_ERR_REJECTED;
    default:
        return WATTSON_ERR;
    }
}

static int nvml_write(void *state, const uint32_t *idx, const double *values,
                      size_t n)
{
    struct nvml *r = state;
    int st = WATTSON_OK;
    size_t i;

    for (i = 0; i < n; i++) {
        const struct wattson_control_desc *c;
        struct nvml_gpu *gp;
        char buf[48];
        nvml_ret rc;
        long long mw;

        if (idx[i] >= r->n_ctl)
            return WATTSON_ERR;
        c = &r->controls[idx[i]];
        if (!isfinite(values[i]) || values[i] < c->min || values[i] > c->max)
            return WATTSON_ERR;
        gp = &r->gpus[r->ctl_gpu[idx[i]]];
        if (gp->lost) {
            if (st == WATTSON_OK)
                st = WATTSON_ERR_GONE;
            continue;
        }
        /* Rounded to the mW, kept inside the range NVML gave in mW. */
        mw = llround(values[i] * 1e3);
        if (mw < llround(c->min * 1e3))
            mw = llround(c->min * 1e3);
        if (mw > llround(c->max * 1e3))
            mw = llround(c->max * 1e3);
        rc = r->f.set_limit(gp->handle, (unsigned int)mw);
        if (rc != NVML_OK) {
            nvml_check_lost(r, gp, rc);
            r->host->log(r->host->ctx, WATTSON_LOG_WARN,
                         "nvml: setting gpu%u power limit to %lld mW: %s%s",
                         gp->index, mw, nvml_strerror(r, rc, buf, sizeof buf),
                         rc == NVML_E_NO_PERMISSION ? " (needs root)" : "");
            /* The first failure's reason. */
            if (st == WATTSON_OK)
                st = nvml_write_status(rc);
        }
    }
    return st;
}

/* The processes on every GPU not lost, in GPU order, at most `max`; a
 * GPU whose calls answer GPU_IS_LOST is marked lost (one log line, as for
 * its signals) and has no records. */
static int nvml_gpu_procs_read(void *state, struct wattson_gpu_proc *p,
                               size_t max)
{
    struct nvml *r = state;
    size_t g, n = 0;

    for (g = 0; g < r->n_gpu && n < max; g++) {
        struct nvml_gpu *gp = &r->gpus[g];
        int lost;

        if (gp->lost)
            continue;
        n += nvproc_read(r->procs, g, gp->handle, (uint32_t)g, p + n, max - n,
                         &lost);
        if (lost)
            nvml_check_lost(r, gp, NVML_E_GPU_IS_LOST);
    }
    return (int)n;
}

static const struct wattson_plugin nvml_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = 0, /* real hardware: writes need --allow-writes */
    .name = "nvml",
    .version = "1.0",
    .description = "nvml: NVIDIA GPUs through NVML - power, limits, "
                   "utilisation, memory, clocks, temperature, PCIe, video "
                   "engines, per-process samples and power caps",
    .init = nvml_init,
    .fini = nvml_fini,
    .read = nvml_read,
    .write = nvml_write,
    .read_controls = nvml_read_controls,
    .gpu_procs_read = nvml_gpu_procs_read,
    /* NVML has no per-process knob (see the header comment). */
    .gpu_share_write = NULL,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &nvml_desc;
}

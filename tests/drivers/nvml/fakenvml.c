/*
 * fakenvml - a test-only libnvidia-ml.so.1 for the nvml driver's tests.
 *
 * It has the NVML functions the driver calls, with the NVML signatures,
 * and scripted values.  Environment, read at nvmlInit:
 *
 *   FAKENVML_GPUS=N          GPUs (default 1, at most FAKE_MAX)
 *   FAKENVML_INIT_FAIL=1     nvmlInit returns DRIVER_NOT_LOADED
 *   FAKENVML_NOT_SUPPORTED=a,b,...  these return NOT_SUPPORTED on every
 *                            GPU: power, limit, default_limit, constraints,
 *                            util, memory, clock_sm, clock_mem,
 *                            temperature, name, get_limit, set_limit,
 *                            pcie, encoder, decoder, compute (the compute
 *                            process lists), graphics, proc_util
 *                            (nvmlDeviceGetProcessUtilization)
 *   FAKENVML_LOST_AFTER=N    after N nvmlDeviceGetPowerUsage calls on GPU
 *                            FAKENVML_LOST_GPU (default 0), every call on
 *                            that GPU returns GPU_IS_LOST
 *   FAKENVML_SET_RC=N        nvmlDeviceSetPowerManagementLimit returns N
 *                            (an nvmlReturn_t: 2 INVALID_ARGUMENT, 4
 *                            NO_PERMISSION, 15 GPU_IS_LOST, ...) on every
 *                            GPU, changing nothing ("fail gpuI MW" in the log)
 *   FAKENVML_LOG=FILE        appends one line per event: "init_v2" or
 *                            "init", "shutdown", "set gpuI MW" for an
 *                            accepted nvmlDeviceSetPowerManagementLimit,
 *                            "reject gpuI MW" for one out of [min, max];
 *                            with FAKENVML_PROCS, "since gpuI T" for each
 *                            nvmlDeviceGetProcessUtilization call with a
 *                            buffer (T its lastSeenTimeStamp)
 *   FAKENVML_PROCS=G:PID:MEM:SM:BW:ENC:DEC:LISTS,...  processes (at most
 *                            FAKE_MAXPROC): GPU index, pid, memory in MiB
 *                            ("na": NVML_VALUE_NOT_AVAILABLE), the
 *                            utilisation sample's smUtil, memUtil, encUtil
 *                            and decUtil in percent ("-" for SM: no
 *                            sample), and the lists it is in: "c"
 *                            (compute), "g" (graphics), "cg", or "-" (none:
 *                            a process that exited, samples only); one in
 *                            both lists has half its memory in the
 *                            graphics list, so that which the driver
 *                            keeps shows
 *   FAKENVML_UTIL_TICKS=N    samples are made for the first N ticks only
 *                            (then NOT_FOUND: nothing since lastSeen)
 *   FAKENVML_PROC_RC=N       every process call (the lists and
 *                            nvmlDeviceGetProcessUtilization) on GPU
 *                            FAKENVML_LOST_GPU returns N (an nvmlReturn_t)
 *   FAKENVML_PROC_DUP=PID    that pid also has an older sample (half a
 *                            tick before, all utilisations 99), after the
 *                            newer one in the buffer
 *
 * GPU i: power 123456 + 1000 i mW, enforced limit = the limit set (default
 * 250000 mW), default limit 250000, constraints [100000, 300000 + 10000 i],
 * utilisation 42 + i % and 17 %, memory 16 GiB total, (i + 1) GiB used,
 * SM clock 1410 MHz, memory clock 1215 MHz, temperature 61 + i C, name
 * "Fake GPU i", PCIe TX 2000 + i KB/s and RX 3000 + i KB/s, encoder
 * 11 + i %, decoder 7 % (both over a 167 ms sampling period).
 *
 * Time: a GPU's tick is its count of nvmlDeviceGetPowerUsage calls (one
 * per driver read); each process with a sample has one stamped tick *
 * 10^6 us, returned while that is newer than the caller's lastSeen.
 * Process lists and samples answer INSUFFICIENT_SIZE (with the count)
 * to a NULL buffer or one too small, as NVML.
 *
 * Built four times: libnvidia-ml.so.1 with the _v3, _v2 and plain entry
 * points (as a current library: the _v3 process lists in 24-byte records,
 * nvmlDeviceGetRunningProcessDetailList present); with FAKENVML_NO_V2,
 * without any _v2 or _v3 entry point (nvmlInit, nvmlDeviceGetCount,
 * nvmlDeviceGetHandleByIndex and the process lists in 16-byte records);
 * with FAKENVML_NO_V3, without the _v3 process lists (_v2: 24 bytes);
 * with FAKENVML_R535, whose _v3 lists write the 32-byte records of the
 * R535 drivers (nvmlDeviceGetConfComputeMemSizeInfo present,
 * nvmlDeviceGetRunningProcessDetailList absent) - so that each of the
 * driver's fallbacks and layouts is exercised.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_MAX 16
#define FAKE_MAXPROC 32
#define FAKE_NA (~0ULL) /* NVML_VALUE_NOT_AVAILABLE */

typedef int nvmlReturn_t;
typedef struct fake_gpu *nvmlDevice_t;
typedef struct {
    unsigned int gpu, memory;
} nvmlUtilization_t;
typedef struct {
    unsigned long long total, free, used;
} nvmlMemory_t;
typedef struct { /* nvmlProcessInfo_v1_t */
    unsigned int pid;
    unsigned long long usedGpuMemory;
} fakeProcV1;
typedef struct { /* nvmlProcessInfo_v2_t, and _v3's but in R535 */
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId, computeInstanceId;
} fakeProcV2;
typedef struct { /* the R535 drivers' _v3 record */
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId, computeInstanceId;
    unsigned long long usedGpuCcProtectedMemory;
} fakeProcCC;
typedef struct {
    unsigned int pid;
    unsigned long long timeStamp;
    unsigned int smUtil, memUtil, encUtil, decUtil;
} nvmlProcessUtilizationSample_t;

enum {
    OK = 0,
    E_UNINIT = 1,
    E_INVALID = 2,
    E_NOT_SUPPORTED = 3,
    E_NO_PERMISSION = 4,
    E_NOT_FOUND = 6,
    E_INSUFFICIENT = 7,
    E_DRIVER = 9,
    E_LOST = 15,
};

struct fake_gpu {
    unsigned int i;
    unsigned int limit_mw;
    unsigned long power_calls;
};

static struct fake_gpu fake_gpus[FAKE_MAX];
static unsigned int fake_n;
static int fake_inited;
static char fake_ns[512];
static long fake_lost_after = -1;
static unsigned int fake_lost_gpu;
static int fake_set_rc;

struct fake_proc {
    unsigned int gpu, pid;
    unsigned long long mem; /* bytes, or FAKE_NA */
    int sampled;            /* has a utilisation sample */
    unsigned int sm, bw, enc, dec;
    int compute, graphics;
};
static struct fake_proc fake_procs[FAKE_MAXPROC];
static unsigned int fake_nproc;
static long fake_util_ticks = -1;
static unsigned int fake_dup_pid;
static int fake_proc_rc;

#define EXPORT __attribute__((visibility("default")))

EXPORT nvmlReturn_t nvmlInit(void);
EXPORT nvmlReturn_t nvmlShutdown(void);
EXPORT const char *nvmlErrorString(nvmlReturn_t rc);
EXPORT nvmlReturn_t nvmlDeviceGetCount(unsigned int *n);
EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int i, nvmlDevice_t *d);
#ifndef FAKENVML_NO_V2
EXPORT nvmlReturn_t nvmlInit_v2(void);
EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n);
EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i,
                                                  nvmlDevice_t *d);
#endif
EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *name,
                                      unsigned int len);
EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw);
EXPORT nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t d,
                                                    unsigned int *mw);
EXPORT nvmlReturn_t nvmlDeviceGetPowerManagementDefaultLimit(nvmlDevice_t d,
                                                             unsigned int *mw);
EXPORT nvmlReturn_t nvmlDeviceGetPowerManagementLimitConstraints(
    nvmlDevice_t d, unsigned int *mn, unsigned int *mx);
EXPORT nvmlReturn_t nvmlDeviceGetPowerManagementLimit(nvmlDevice_t d,
                                                      unsigned int *mw);
EXPORT nvmlReturn_t nvmlDeviceSetPowerManagementLimit(nvmlDevice_t d,
                                                      unsigned int mw);
EXPORT nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d,
                                                  nvmlUtilization_t *u);
EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m);
EXPORT nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t d, int type,
                                           unsigned int *mhz);
EXPORT nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor,
                                             unsigned int *c);
EXPORT nvmlReturn_t nvmlDeviceGetPcieThroughput(nvmlDevice_t d, int counter,
                                                unsigned int *kbs);
EXPORT nvmlReturn_t nvmlDeviceGetEncoderUtilization(nvmlDevice_t d,
                                                    unsigned int *pct,
                                                    unsigned int *period_us);
EXPORT nvmlReturn_t nvmlDeviceGetDecoderUtilization(nvmlDevice_t d,
                                                    unsigned int *pct,
                                                    unsigned int *period_us);
EXPORT nvmlReturn_t nvmlDeviceGetProcessUtilization(
    nvmlDevice_t d, nvmlProcessUtilizationSample_t *s, unsigned int *count,
    unsigned long long last);
EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t d,
                                                         unsigned int *count,
                                                         fakeProcV1 *p);
EXPORT nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses(nvmlDevice_t d,
                                                          unsigned int *count,
                                                          fakeProcV1 *p);
#ifndef FAKENVML_NO_V2
EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t d,
                                                            unsigned int *count,
                                                            fakeProcV2 *p);
EXPORT nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v2(
    nvmlDevice_t d, unsigned int *count, fakeProcV2 *p);
#ifndef FAKENVML_NO_V3
EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d,
                                                            unsigned int *count,
                                                            void *p);
EXPORT nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(
    nvmlDevice_t d, unsigned int *count, void *p);
EXPORT nvmlReturn_t nvmlDeviceGetConfComputeMemSizeInfo(nvmlDevice_t d,
                                                        void *info);
#ifndef FAKENVML_R535
EXPORT nvmlReturn_t nvmlDeviceGetRunningProcessDetailList(nvmlDevice_t d,
                                                          void *list);
#endif
#endif
#endif

static void fake_log(const char *fmt, unsigned int a, unsigned int b)
{
    const char *path = getenv("FAKENVML_LOG");
    FILE *f;

    if (!path || !*path || !(f = fopen(path, "a")))
        return;
    fprintf(f, fmt, a, b);
    fputc('\n', f);
    fclose(f);
}

/* Whether `field` is in FAKENVML_NOT_SUPPORTED. */
static int fake_unsupported(const char *field)
{
    size_t n = strlen(field);
    const char *p = fake_ns;

    while ((p = strstr(p, field)) != NULL) {
        if ((p == fake_ns || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
        p += n;
    }
    return 0;
}

/* The common checks of a device call. */
static nvmlReturn_t fake_dev(nvmlDevice_t d, const char *field)
{
    if (!fake_inited)
        return E_UNINIT;
    if (!d || d < fake_gpus || d >= fake_gpus + fake_n)
        return E_INVALID;
    if (fake_lost_after >= 0 && d->i == fake_lost_gpu &&
        d->power_calls > (unsigned long)fake_lost_after)
        return E_LOST;
    if (fake_unsupported(field))
        return E_NOT_SUPPORTED;
    return OK;
}

/* FAKENVML_PROCS into fake_procs; a malformed entry is left out with a
 * line on stderr (the tests write well-formed ones). */
static void fake_parse_procs(const char *spec)
{
    char buf[2048], *save = NULL, *e;

    fake_nproc = 0;
    snprintf(buf, sizeof buf, "%s", spec ? spec : "");
    for (e = strtok_r(buf, ",", &save); e && fake_nproc < FAKE_MAXPROC;
         e = strtok_r(NULL, ",", &save)) {
        struct fake_proc *p = &fake_procs[fake_nproc];
        char mem[16], sm[8], lists[4];
        unsigned long long mib;

        memset(p, 0, sizeof *p);
        if (sscanf(e, "%u:%u:%15[^:]:%7[^:]:%u:%u:%u:%3s", &p->gpu, &p->pid,
                   mem, sm, &p->bw, &p->enc, &p->dec, lists) != 8 &&
            sscanf(e, "%u:%u:%15[^:]:%7[-]:-:-:-:%3s", &p->gpu, &p->pid, mem,
                   sm, lists) != 5) {
            fprintf(stderr, "fakenvml: bad FAKENVML_PROCS entry '%s'\n", e);
            continue;
        }
        p->sampled = strcmp(sm, "-") != 0;
        p->sm = p->sampled ? (unsigned int)atoi(sm) : 0;
        if (strcmp(mem, "na") == 0)
            p->mem = FAKE_NA;
        else if (sscanf(mem, "%llu", &mib) == 1)
            p->mem = mib << 20;
        p->compute = strchr(lists, 'c') != NULL;
        p->graphics = strchr(lists, 'g') != NULL;
        fake_nproc++;
    }
}

static nvmlReturn_t fake_init(const char *which)
{
    const char *s;
    unsigned int i;

    fake_log(which, 0, 0);
    if ((s = getenv("FAKENVML_INIT_FAIL")) && *s == '1')
        return E_DRIVER;
    s = getenv("FAKENVML_GPUS");
    fake_n = s ? (unsigned int)atoi(s) : 1;
    if (fake_n > FAKE_MAX)
        fake_n = FAKE_MAX;
    s = getenv("FAKENVML_NOT_SUPPORTED");
    snprintf(fake_ns, sizeof fake_ns, "%s", s ? s : "");
    s = getenv("FAKENVML_LOST_AFTER");
    fake_lost_after = s && *s ? atol(s) : -1;
    s = getenv("FAKENVML_LOST_GPU");
    fake_lost_gpu = s ? (unsigned int)atoi(s) : 0;
    s = getenv("FAKENVML_SET_RC");
    fake_set_rc = s ? atoi(s) : 0;
    fake_parse_procs(getenv("FAKENVML_PROCS"));
    s = getenv("FAKENVML_UTIL_TICKS");
    fake_util_ticks = s && *s ? atol(s) : -1;
    s = getenv("FAKENVML_PROC_DUP");
    fake_dup_pid = s ? (unsigned int)atoi(s) : 0;
    s = getenv("FAKENVML_PROC_RC");
    fake_proc_rc = s ? atoi(s) : 0;
    for (i = 0; i < FAKE_MAX; i++)
        fake_gpus[i] = (struct fake_gpu){i, 250000, 0};
    fake_inited = 1;
    return OK;
}

nvmlReturn_t nvmlInit(void)
{
    return fake_init("init");
}

nvmlReturn_t nvmlShutdown(void)
{
    if (!fake_inited)
        return E_UNINIT;
    fake_inited = 0;
    fake_log("shutdown", 0, 0);
    return OK;
}

const char *nvmlErrorString(nvmlReturn_t rc)
{
    switch (rc) {
    case OK:
        return "Success";
    case E_UNINIT:
        return "Uninitialized";
    case E_INVALID:
        return "Invalid Argument";
    case E_NOT_SUPPORTED:
        return "Not Supported";
    case E_NO_PERMISSION:
        return "Insufficient Permissions";
    case E_DRIVER:
        return "Driver Not Loaded";
    case E_LOST:
        return "GPU is lost";
    default:
        return "Unknown Error";
    }
}

nvmlReturn_t nvmlDeviceGetCount(unsigned int *n)
{
    if (!fake_inited)
        return E_UNINIT;
    *n = fake_n;
    return OK;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int i, nvmlDevice_t *d)
{
    if (!fake_inited)
        return E_UNINIT;
    if (i >= fake_n)
        return E_INVALID;
    *d = &fake_gpus[i];
    return OK;
}

#ifndef FAKENVML_NO_V2
nvmlReturn_t nvmlInit_v2(void)
{
    return fake_init("init_v2");
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n)
{
    return nvmlDeviceGetCount(n);
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d)
{
    return nvmlDeviceGetHandleByIndex(i, d);
}
#endif

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *name, unsigned int len)
{
    nvmlReturn_t rc = fake_dev(d, "name");

    if (rc == OK)
        snprintf(name, len, "Fake GPU %u", d->i);
    return rc;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw)
{
    nvmlReturn_t rc;

    if (d >= fake_gpus && d < fake_gpus + FAKE_MAX)
        d->power_calls++;
    rc = fake_dev(d, "power");
    if (rc == OK)
        *mw = 123456 + 1000 * d->i;
    return rc;
}

nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t d, unsigned int *mw)
{
    nvmlReturn_t rc = fake_dev(d, "limit");

    if (rc == OK)
        *mw = d->limit_mw;
    return rc;
}

nvmlReturn_t nvmlDeviceGetPowerManagementDefaultLimit(nvmlDevice_t d,
                                                      unsigned int *mw)
{
    nvmlReturn_t rc = fake_dev(d, "default_limit");

    if (rc == OK)
        *mw = 250000;
    return rc;
}

nvmlReturn_t nvmlDeviceGetPowerManagementLimitConstraints(nvmlDevice_t d,
                                                          unsigned int *mn,
                                                          unsigned int *mx)
{
    nvmlReturn_t rc = fake_dev(d, "constraints");

    if (rc == OK) {
        *mn = 100000;
        *mx = 300000 + 10000 * d->i;
    }
    return rc;
}

nvmlReturn_t nvmlDeviceGetPowerManagementLimit(nvmlDevice_t d, unsigned int *mw)
{
    nvmlReturn_t rc = fake_dev(d, "get_limit");

    if (rc == OK)
        *mw = d->limit_mw;
    return rc;
}

nvmlReturn_t nvmlDeviceSetPowerManagementLimit(nvmlDevice_t d, unsigned int mw)
{
    nvmlReturn_t rc = fake_dev(d, "set_limit");

    if (rc != OK)
        return rc;
    if (fake_set_rc != OK) {
        fake_log("fail gpu%u %u", d->i, mw);
        return fake_set_rc;
    }
    if (mw < 100000 || mw > 300000 + 10000 * d->i) {
        fake_log("reject gpu%u %u", d->i, mw);
        return E_INVALID;
    }
    d->limit_mw = mw;
    fake_log("set gpu%u %u", d->i, mw);
    return OK;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u)
{
    nvmlReturn_t rc = fake_dev(d, "util");

    if (rc == OK) {
        u->gpu = 42 + d->i;
        u->memory = 17;
    }
    return rc;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m)
{
    nvmlReturn_t rc = fake_dev(d, "memory");

    if (rc == OK) {
        m->total = 16ULL << 30;
        m->used = (unsigned long long)(d->i + 1) << 30;
        m->free = m->total - m->used;
    }
    return rc;
}

nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t d, int type, unsigned int *mhz)
{
    nvmlReturn_t rc = fake_dev(d, type == 1 ? "clock_sm" : "clock_mem");

    if (rc != OK)
        return rc;
    if (type == 1)
        *mhz = 1410;
    else if (type == 2)
        *mhz = 1215;
    else
        return E_INVALID;
    return OK;
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor,
                                      unsigned int *c)
{
    nvmlReturn_t rc = fake_dev(d, "temperature");

    if (rc != OK)
        return rc;
    if (sensor != 0)
        return E_INVALID;
    *c = 61 + d->i;
    return OK;
}

nvmlReturn_t nvmlDeviceGetPcieThroughput(nvmlDevice_t d, int counter,
                                         unsigned int *kbs)
{
    nvmlReturn_t rc = fake_dev(d, "pcie");

    if (rc != OK)
        return rc;
    if (counter != 0 && counter != 1)
        return E_INVALID;
    *kbs = (counter == 0 ? 2000 : 3000) + d->i;
    return OK;
}

nvmlReturn_t nvmlDeviceGetEncoderUtilization(nvmlDevice_t d, unsigned int *pct,
                                             unsigned int *period_us)
{
    nvmlReturn_t rc = fake_dev(d, "encoder");

    if (rc == OK) {
        *pct = 11 + d->i;
        *period_us = 167000;
    }
    return rc;
}

nvmlReturn_t nvmlDeviceGetDecoderUtilization(nvmlDevice_t d, unsigned int *pct,
                                             unsigned int *period_us)
{
    nvmlReturn_t rc = fake_dev(d, "decoder");

    if (rc == OK) {
        *pct = 7;
        *period_us = 167000;
    }
    return rc;
}

/* One process list in records of `stride` bytes (a fakeProcV1, V2 or CC
 * layout; the instance ids 0xFFFFFFFF, "no MIG", and the CC memory 4096
 * fill the rest, so a reader at the wrong stride sees garbage pids). */
static nvmlReturn_t fake_list(nvmlDevice_t d, unsigned int *count, void *out,
                              int graphics, size_t stride)
{
    nvmlReturn_t rc = fake_dev(d, graphics ? "graphics" : "compute");
    unsigned int n = 0, k;

    if (rc != OK)
        return rc;
    if (fake_proc_rc != OK && d->i == fake_lost_gpu)
        return fake_proc_rc;
    if (!count)
        return E_INVALID;
    for (k = 0; k < fake_nproc; k++)
        n += fake_procs[k].gpu == d->i &&
             (graphics ? fake_procs[k].graphics : fake_procs[k].compute);
    if (n > 0 && (!out || *count < n)) {
        *count = n;
        return E_INSUFFICIENT;
    }
    *count = n;
    n = 0;
    for (k = 0; k < fake_nproc; k++) {
        const struct fake_proc *p = &fake_procs[k];
        fakeProcCC r = {p->pid, p->mem, 0xFFFFFFFFu, 0xFFFFFFFFu, 4096};

        if (p->gpu != d->i || !(graphics ? p->graphics : p->compute))
            continue;
        if (graphics && p->compute && p->mem != FAKE_NA)
            r.usedGpuMemory = p->mem / 2;
        if (stride == sizeof(fakeProcV1)) {
            fakeProcV1 v1 = {r.pid, r.usedGpuMemory};

            memcpy((char *)out + n * stride, &v1, sizeof v1);
        } else if (stride == sizeof(fakeProcV2)) {
            fakeProcV2 v2 = {r.pid, r.usedGpuMemory, r.gpuInstanceId,
                             r.computeInstanceId};

            memcpy((char *)out + n * stride, &v2, sizeof v2);
        } else {
            memcpy((char *)out + n * stride, &r, sizeof r);
        }
        n++;
    }
    return OK;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t d,
                                                  unsigned int *count,
                                                  fakeProcV1 *p)
{
    return fake_list(d, count, p, 0, sizeof(fakeProcV1));
}

nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses(nvmlDevice_t d,
                                                   unsigned int *count,
                                                   fakeProcV1 *p)
{
    return fake_list(d, count, p, 1, sizeof(fakeProcV1));
}

#ifndef FAKENVML_NO_V2
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t d,
                                                     unsigned int *count,
                                                     fakeProcV2 *p)
{
    return fake_list(d, count, p, 0, sizeof(fakeProcV2));
}

nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v2(nvmlDevice_t d,
                                                      unsigned int *count,
                                                      fakeProcV2 *p)
{
    return fake_list(d, count, p, 1, sizeof(fakeProcV2));
}

#ifndef FAKENVML_NO_V3
#ifdef FAKENVML_R535
#define FAKE_V3_STRIDE sizeof(fakeProcCC)
#else
#define FAKE_V3_STRIDE sizeof(fakeProcV2)
#endif
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d,
                                                     unsigned int *count,
                                                     void *p)
{
    return fake_list(d, count, p, 0, FAKE_V3_STRIDE);
}

nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(nvmlDevice_t d,
                                                      unsigned int *count,
                                                      void *p)
{
    return fake_list(d, count, p, 1, FAKE_V3_STRIDE);
}

/* Present only so that the driver can tell the R535 layout apart. */
nvmlReturn_t nvmlDeviceGetConfComputeMemSizeInfo(nvmlDevice_t d, void *info)
{
    nvmlReturn_t rc = fake_dev(d, "conf_compute");

    (void)info;
    return rc == OK ? E_NOT_SUPPORTED : rc;
}

#ifndef FAKENVML_R535
nvmlReturn_t nvmlDeviceGetRunningProcessDetailList(nvmlDevice_t d, void *list)
{
    nvmlReturn_t rc = fake_dev(d, "detail_list");

    (void)list;
    return rc == OK ? E_NOT_SUPPORTED : rc;
}
#endif
#endif
#endif

/* The samples of GPU d newer than `last`: each sampled process at the
 * GPU's tick, and FAKENVML_PROC_DUP's older one after it. */
nvmlReturn_t nvmlDeviceGetProcessUtilization(nvmlDevice_t d,
                                             nvmlProcessUtilizationSample_t *s,
                                             unsigned int *count,
                                             unsigned long long last)
{
    nvmlReturn_t rc = fake_dev(d, "proc_util");
    unsigned long tick;
    unsigned long long ts;
    unsigned int n = 0, k;

    if (rc != OK)
        return rc;
    if (fake_proc_rc != OK && d->i == fake_lost_gpu)
        return fake_proc_rc;
    if (!count)
        return E_INVALID;
    tick = d->power_calls;
    if (fake_util_ticks >= 0 && tick > (unsigned long)fake_util_ticks)
        tick = (unsigned long)fake_util_ticks;
    ts = tick * 1000000ULL;
    for (k = 0; k < fake_nproc; k++) {
        const struct fake_proc *p = &fake_procs[k];

        if (p->gpu != d->i || !p->sampled)
            continue;
        n += ts > last;
        n += p->pid == fake_dup_pid && ts >= 500000 && ts - 500000 > last;
    }
    if (n == 0)
        return E_NOT_FOUND;
    if (!s || *count < n) {
        *count = n;
        return E_INSUFFICIENT;
    }
    if (fake_nproc > 0)
        fake_log("since gpu%u %u", d->i, (unsigned int)last);
    n = 0;
    for (k = 0; k < fake_nproc; k++) {
        const struct fake_proc *p = &fake_procs[k];

        if (p->gpu != d->i || !p->sampled)
            continue;
        if (ts > last)
            s[n++] = (nvmlProcessUtilizationSample_t){p->pid, ts,     p->sm,
                                                      p->bw,  p->enc, p->dec};
        if (p->pid == fake_dup_pid && ts >= 500000 && ts - 500000 > last)
            s[n++] = (nvmlProcessUtilizationSample_t){p->pid, ts - 500000, 99,
                                                      99,     99,          99};
    }
    *count = n;
    return OK;
}

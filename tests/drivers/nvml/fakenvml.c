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
 *                            temperature, name, get_limit, set_limit
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
 *                            "reject gpuI MW" for one out of [min, max]
 *
 * GPU i: power 123456 + 1000 i mW, enforced limit = the limit set (default
 * 250000 mW), default limit 250000, constraints [100000, 300000 + 10000 i],
 * utilisation 42 + i % and 17 %, memory 16 GiB total, (i + 1) GiB used,
 * SM clock 1410 MHz, memory clock 1215 MHz, temperature 61 + i C, name
 * "Fake GPU i".
 *
 * Built twice: libnvidia-ml.so.1 with the _v2 entry points and the plain
 * ones (as the real library), and with FAKENVML_NO_V2 defined, without
 * nvmlInit_v2, nvmlDeviceGetCount_v2 and nvmlDeviceGetHandleByIndex_v2,
 * so that the driver's fallback is exercised.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_MAX 16

typedef int nvmlReturn_t;
typedef struct fake_gpu *nvmlDevice_t;
typedef struct {
    unsigned int gpu, memory;
} nvmlUtilization_t;
typedef struct {
    unsigned long long total, free, used;
} nvmlMemory_t;

enum {
    OK = 0,
    E_UNINIT = 1,
    E_INVALID = 2,
    E_NOT_SUPPORTED = 3,
    E_NO_PERMISSION = 4,
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

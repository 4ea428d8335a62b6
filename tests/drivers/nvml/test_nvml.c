/*
 * test_nvml - the nvml driver (drivers/nvml) loaded through the real
 * plugin loader (plug_find, plug_open, plug_init) against the fake
 * libnvidia-ml.so.1 built from fakenvml.c, scripted with FAKENVML_*
 * environment variables (see fakenvml.c).
 *
 * The host is drvtest.h's fake: log lines go into a buffer and
 * the configuration is a small table (just `library`).
 */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../../drivers/common/drvutil.h" /* drv_errno_status */
#include "drvtest.h"
#include "loader/loader.h"
#include "t.h"

#include "nvmltest.h"

#define NSIG 16 /* signals per GPU */

/* ---- tests ------------------------------------------------------------ */

struct tn_want {
    const char *name, *unit;
    int behaviour;
    double gpu0, gpu1; /* value on GPU 0 and 1 */
};

static const struct tn_want tn_want[NSIG] = {
    {"power", "W", WATTSON_GAUGE, 123.456, 124.456},
    {"power_limit", "W", WATTSON_GAUGE, 250, 250},
    {"power_limit_default", "W", WATTSON_CONSTANT, 250, 250},
    {"power_limit_min", "W", WATTSON_CONSTANT, 100, 100},
    {"power_limit_max", "W", WATTSON_CONSTANT, 300, 310},
    {"util", "1", WATTSON_GAUGE, 0.42, 0.43},
    {"mem_util", "1", WATTSON_GAUGE, 0.17, 0.17},
    {"mem_used", "B", WATTSON_GAUGE, 1073741824.0, 2147483648.0},
    {"mem_total", "B", WATTSON_CONSTANT, 17179869184.0, 17179869184.0},
    {"freq", "Hz", WATTSON_GAUGE, 1410e6, 1410e6},
    {"mem_freq", "Hz", WATTSON_GAUGE, 1215e6, 1215e6},
    {"temp", "C", WATTSON_GAUGE, 61, 62},
    /* KiB/s -> B/s; percent -> fraction */
    {"pcie_tx", "B/s", WATTSON_GAUGE, 2000 * 1024.0, 2001 * 1024.0},
    {"pcie_rx", "B/s", WATTSON_GAUGE, 3000 * 1024.0, 3001 * 1024.0},
    {"enc_util", "1", WATTSON_GAUGE, 0.11, 0.12},
    {"dec_util", "1", WATTSON_GAUGE, 0.07, 0.07},
};

static int tn_sig(const char *name)
{
    int k;

    for (k = 0; k < NSIG; k++)
        if (strcmp(tn_want[k].name, name) == 0)
            return k;
    return -1;
}

static void test_inventory(void)
{
    double v[2 * NSIG], c[2], w[2];
    uint8_t ok[2 * NSIG], cok[2];
    uint32_t idx[2];
    struct plug *p;
    size_t i;

    tn_fake_reset();
    setenv("FAKENVML_GPUS", "2", 1);
    p = tn_load_ok();
    if (!p)
        return;
    /* The _v2 entry point is preferred. */
    T_STREQ(tn_fake_events(), "init_v2\n");
    T_CHECK(th_has(th_logbuf, "nvml: gpu0: Fake GPU 0"));
    T_CHECK(th_has(th_logbuf, "nvml: 2 GPUs, 32 signals, 2 power caps from "));

    T_CHECK(p->inv.n_devices == 2);
    if (p->inv.n_devices != 2)
        goto close;
    T_STREQ(p->inv.devices[0].name, "gpu0");
    T_STREQ(p->inv.devices[1].name, "gpu1");
    for (i = 0; i < 2; i++) {
        T_STREQ(p->inv.devices[i].kind, "gpu");
        T_CHECK(p->inv.devices[i].parent == -1);
        T_CHECK(p->inv.devices[i].n_links == 0);
    }

    T_CHECK(p->inv.n_signals == 2 * NSIG);
    if (p->inv.n_signals != 2 * NSIG)
        goto close;
    for (i = 0; i < 2 * NSIG; i++) {
        const struct wattson_signal_desc *s = &p->inv.signals[i];
        const struct tn_want *wt = &tn_want[i % NSIG];

        T_CHECK(s->device == i / NSIG);
        T_STREQ(s->name, wt->name);
        T_STREQ(s->unit, wt->unit);
        T_CHECK(s->behaviour == wt->behaviour);
        T_NEAR(s->wrap, 0, 0);
        T_CHECK(th_has(s->description,
                       i < NSIG ? "gpu0 (Fake GPU 0) " : "gpu1 (Fake GPU 1) "));
    }

    /* power_cap: W, NVML's mW constraints as the range. */
    T_CHECK(p->inv.n_controls == 2);
    if (p->inv.n_controls != 2)
        goto close;
    for (i = 0; i < 2; i++) {
        T_STREQ(p->inv.controls[i].name, "power_cap");
        T_STREQ(p->inv.controls[i].unit, "W");
        T_CHECK(p->inv.controls[i].device == i);
        T_NEAR(p->inv.controls[i].min, 100, 0);
        T_NEAR(p->inv.controls[i].step, 0, 0);
        T_CHECK(th_has(p->inv.controls[i].description, "Fake GPU"));
    }
    T_NEAR(p->inv.controls[0].max, 300, 1e-12);
    T_NEAR(p->inv.controls[1].max, 310, 1e-12);

    /* Conversions: mW -> W, % -> fraction, MHz -> Hz, bytes, C. */
    memset(ok, 7, sizeof ok);
    T_CHECK(p->desc->read(p->state, v, ok, 2 * NSIG) == WATTSON_OK);
    for (i = 0; i < 2 * NSIG; i++) {
        const struct tn_want *wt = &tn_want[i % NSIG];

        T_CHECK(ok[i] == 1);
        T_NEAR(v[i], i < NSIG ? wt->gpu0 : wt->gpu1, 1e-9);
    }

    /* read_controls, then writes that reach NVML in mW. */
    T_CHECK(p->desc->read_controls(p->state, c, cok, 2) == WATTSON_OK);
    T_CHECK(cok[0] && cok[1]);
    T_NEAR(c[0], 250, 1e-12);
    T_NEAR(c[1], 250, 1e-12);
    idx[0] = 0;
    idx[1] = 1;
    w[0] = 200.5;
    w[1] = 310;
    T_CHECK(p->desc->write(p->state, idx, w, 2) == WATTSON_OK);
    T_STREQ(tn_fake_events(), "init_v2\nset gpu0 200500\nset gpu1 310000\n");
    T_CHECK(p->desc->read_controls(p->state, c, cok, 2) == WATTSON_OK);
    T_CHECK(cok[0] && cok[1]);
    T_NEAR(c[0], 200.5, 1e-12);
    T_NEAR(c[1], 310, 1e-12);
    T_CHECK(p->desc->read(p->state, v, ok, 2 * NSIG) == WATTSON_OK);
    T_NEAR(v[tn_sig("power_limit")], 200.5, 1e-12);
    /* A value rounding to a fraction of a mW. */
    w[0] = 150.0004;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_OK);
    T_CHECK(th_has(tn_fake_events(), "set gpu0 150000\n"));
    /* Out of range or a bad index: refused before NVML sees it. */
    w[0] = 300.5;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    w[0] = 99;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    w[0] = NAN;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    idx[0] = 2;
    w[0] = 200;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    T_CHECK(dt_count(tn_fake_events(), "set ") == 3);
    T_CHECK(dt_count(tn_fake_events(), "reject") == 0);
close:
    plug_close(p);
    /* fini shuts NVML down. */
    T_CHECK(th_has(tn_fake_events(), "shutdown\n"));
}

static void test_not_supported(void)
{
    double v[NSIG], c[1], w[1];
    uint8_t ok[NSIG], cok[1];
    uint32_t idx[1] = {0};
    struct plug *p;
    int k;

    tn_fake_reset();
    setenv("FAKENVML_NOT_SUPPORTED",
           "temperature,power,util,set_limit,pcie,decoder", 1);
    p = tn_load_ok();
    if (!p)
        return;
    T_CHECK(p->inv.n_signals == NSIG);
    T_CHECK(p->inv.n_controls == 1);
    if (p->inv.n_signals != NSIG || p->inv.n_controls != 1)
        goto close;
    for (int round = 0; round < 2; round++) {
        memset(v, 0, sizeof v);
        T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
        for (k = 0; k < NSIG; k++) {
            const char *n = tn_want[k].name;
            int bad = strcmp(n, "temp") == 0 || strcmp(n, "power") == 0 ||
                      strcmp(n, "util") == 0 || strcmp(n, "mem_util") == 0 ||
                      strcmp(n, "pcie_tx") == 0 || strcmp(n, "pcie_rx") == 0 ||
                      strcmp(n, "dec_util") == 0;

            T_CHECK(ok[k] == !bad);
            if (!bad)
                T_NEAR(v[k], tn_want[k].gpu0, 1e-9);
        }
    }
    T_CHECK(dt_count(th_logbuf, "lost") == 0);
    /* A set NVML refuses: an error and a log line, nothing applied. */
    w[0] = 200;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    T_CHECK(th_has(th_logbuf,
                   "nvml: setting gpu0 power limit to 200000 mW: Not "
                   "Supported"));
    T_CHECK(p->desc->read_controls(p->state, c, cok, 1) == WATTSON_OK);
    T_CHECK(cok[0] == 1);
    T_NEAR(c[0], 250, 1e-12);
close:
    plug_close(p);

    /* No limit constraints: no power_cap, min/max invalid. */
    tn_fake_reset();
    setenv("FAKENVML_NOT_SUPPORTED", "constraints,get_limit", 1);
    p = tn_load_ok();
    if (!p)
        return;
    T_CHECK(p->inv.n_controls == 0);
    T_CHECK(th_has(th_logbuf, "nvml: gpu0 has no power_cap: limit "
                              "constraints: Not Supported"));
    T_CHECK(p->inv.n_signals == NSIG);
    if (p->inv.n_signals == NSIG) {
        T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
        T_CHECK(ok[tn_sig("power_limit_min")] == 0);
        T_CHECK(ok[tn_sig("power_limit_max")] == 0);
        T_CHECK(ok[tn_sig("power_limit")] == 1);
    }
    plug_close(p);
}

static void test_lost(void)
{
    double v[2 * NSIG], c[2], w[1];
    uint8_t ok[2 * NSIG], cok[2];
    uint32_t idx[1] = {1};
    struct plug *p;
    int round;
    size_t i;

    tn_fake_reset();
    setenv("FAKENVML_GPUS", "2", 1);
    setenv("FAKENVML_LOST_AFTER", "2", 1);
    setenv("FAKENVML_LOST_GPU", "1", 1);
    p = tn_load_ok();
    if (!p)
        return;
    T_CHECK(p->inv.n_signals == 2 * NSIG);
    if (p->inv.n_signals != 2 * NSIG)
        goto close;
    for (round = 1; round <= 5; round++) {
        memset(ok, 7, sizeof ok);
        T_CHECK(p->desc->read(p->state, v, ok, 2 * NSIG) == WATTSON_OK);
        for (i = 0; i < 2 * NSIG; i++)
            T_CHECK(ok[i] == (i < NSIG || round <= 2));
        T_NEAR(v[0], 123.456, 1e-9);
        T_CHECK(dt_count(th_logbuf, "is lost (") == (round <= 2 ? 0 : 1));
    }
    T_CHECK(th_has(th_logbuf, "nvml: gpu1 (Fake GPU 1) is lost (GPU is "
                              "lost): its values are invalid from now on"));
    /* Its control too; the other GPU still answers. */
    T_CHECK(p->desc->read_controls(p->state, c, cok, 2) == WATTSON_OK);
    T_CHECK(cok[0] == 1 && cok[1] == 0);
    w[0] = 200;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR_GONE);
    idx[0] = 0;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_OK);
    T_CHECK(dt_count(th_logbuf, "is lost (") == 1);
    T_STREQ(tn_fake_events(), "init_v2\nset gpu0 200000\n");
close:
    plug_close(p);
}

/* A set NVML refuses says why (plugin.h's status codes), so the host can
 * mark the GPU: NO_PERMISSION, GPU_IS_LOST, INVALID_ARGUMENT; anything
 * else is a generic error.  In a batch, the first failure's reason. */
static void test_write_status(void)
{
    static const struct {
        const char *rc;
        int want;
        const char *says;
    } cases[] = {
        {"4", WATTSON_ERR_PERM, "Insufficient Permissions (needs root)"},
        {"2", WATTSON_ERR_REJECTED, "Invalid Argument"},
        {"15", WATTSON_ERR_GONE, "GPU is lost"},
        {"999", WATTSON_ERR, "Unknown Error"},
    };
    double w[2] = {200, 210};
    uint32_t idx[2] = {0, 1};
    struct plug *p;

    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tn_fake_reset();
        setenv("FAKENVML_GPUS", "2", 1);
        setenv("FAKENVML_SET_RC", cases[k].rc, 1);
        p = tn_load_ok();
        if (!p)
            return;
        th_log_clear();
        T_CHECK(p->desc->write(p->state, idx, w, 1) == cases[k].want);
        T_CHECK(th_has(th_logbuf, cases[k].says));
        T_CHECK(th_has(tn_fake_events(), "fail gpu0 200000\n"));
        T_CHECK(dt_count(tn_fake_events(), "set ") == 0);
        /* A lost GPU is not asked again: gone without an NVML call. */
        if (cases[k].want == WATTSON_ERR_GONE) {
            T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR_GONE);
            T_CHECK(dt_count(tn_fake_events(), "fail gpu0") == 1);
        }
        /* Both GPUs in one call: the first failure's reason. */
        T_CHECK(p->desc->write(p->state, idx, w, 2) == cases[k].want);
        plug_close(p);
    }
    tn_fake_reset();
}

/* drvutil's errno mapping, shared by the sysfs drivers' writes. */
static void test_errno_status(void)
{
    T_CHECK(drv_errno_status(EACCES, 1) == WATTSON_ERR_PERM);
    T_CHECK(drv_errno_status(EPERM, 0) == WATTSON_ERR_PERM);
    T_CHECK(drv_errno_status(ENOENT, 1) == WATTSON_ERR_GONE);
    T_CHECK(drv_errno_status(ENODEV, 1) == WATTSON_ERR_GONE);
    T_CHECK(drv_errno_status(ENXIO, 0) == WATTSON_ERR_GONE);
    T_CHECK(drv_errno_status(EINVAL, 1) == WATTSON_ERR_REJECTED);
    T_CHECK(drv_errno_status(ERANGE, 1) == WATTSON_ERR_REJECTED);
    T_CHECK(drv_errno_status(EOPNOTSUPP, 1) == WATTSON_ERR_REJECTED);
    /* Reading, EINVAL is no refused value: a plain error. */
    T_CHECK(drv_errno_status(EINVAL, 0) == WATTSON_ERR);
    T_CHECK(drv_errno_status(EIO, 1) == WATTSON_ERR);
    T_CHECK(drv_errno_status(EISDIR, 1) == WATTSON_ERR);
    T_CHECK(drv_errno_status(0, 1) == WATTSON_ERR);
    /* Old codes keep their values; the new ones are distinct. */
    T_CHECK(WATTSON_ERR == -1 && WATTSON_ERR_CONFIG == -2 &&
            WATTSON_ERR_UNSUPPORTED == -3);
    T_CHECK(WATTSON_ERR_PERM < -3 && WATTSON_ERR_GONE < -3 &&
            WATTSON_ERR_REJECTED < -3);
    T_CHECK(WATTSON_ERR_PERM != WATTSON_ERR_GONE &&
            WATTSON_ERR_GONE != WATTSON_ERR_REJECTED &&
            WATTSON_ERR_PERM != WATTSON_ERR_REJECTED);
}

static void test_no_v2(void)
{
    double v[3 * NSIG];
    uint8_t ok[3 * NSIG];
    struct plug *p;
    size_t i;

    tn_fake_reset();
    setenv("FAKENVML_GPUS", "3", 1);
    th_library = FAKENVML_NOV2_LIB;
    p = tn_load_ok();
    if (!p)
        return;
    T_STREQ(tn_fake_events(), "init\n");
    T_CHECK(p->inv.n_devices == 3);
    T_CHECK(p->inv.n_signals == 3 * NSIG);
    T_CHECK(p->inv.n_controls == 3);
    if (p->inv.n_devices == 3)
        T_STREQ(p->inv.devices[2].name, "gpu2");
    if (p->inv.n_signals == 3 * NSIG) {
        T_CHECK(p->desc->read(p->state, v, ok, 3 * NSIG) == WATTSON_OK);
        for (i = 0; i < 3 * NSIG; i++)
            T_CHECK(ok[i] == 1);
        T_NEAR(v[2 * NSIG + tn_sig("temp")], 63, 0);
    }
    plug_close(p);
    T_STREQ(tn_fake_events(), "init\nshutdown\n");
}

/* The default name, before any fake libnvidia-ml.so.1 has been loaded
 * into this process (a loaded one would answer to its SONAME). */
static void test_default_missing(void)
{
    struct plug *p;
    char err[2048];
    void *probe;
    int rc;

    tn_fake_reset();
    th_library = NULL;
    probe = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (probe) {
        t_skip("test_nvml: this machine has libnvidia-ml.so.1: the "
               "missing library is tested only where there is none");
        dlclose(probe);
        return;
    }
    rc = tn_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT);
    T_CHECK(p == NULL);
    T_CHECK(th_has(err, "nvml: cannot load libnvidia-ml.so.1 ("));
    T_CHECK(strchr(err, '\n') == NULL);
}

static void test_unsupported(void)
{
    struct plug *p;
    char err[2048];
    int rc;

    /* A path that does not exist. */
    tn_fake_reset();
    th_library = "/nonexistent/libnvidia-ml.so.1";
    rc = tn_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT);
    T_CHECK(p == NULL);
    T_CHECK(th_has(err, "nvml: cannot load /nonexistent/libnvidia-ml.so.1 ("));
    T_CHECK(th_has(err, "No such file"));
    T_CHECK(strchr(err, '\n') == NULL);

    /* $WATTSON_NVML_LIB when the lab says nothing. */
    tn_fake_reset();
    th_library = NULL;
    setenv("WATTSON_NVML_LIB", FAKENVML_LIB, 1);
    p = tn_load_ok();
    if (p) {
        T_CHECK(p->inv.n_devices == 1);
        plug_close(p);
    }
    /* The lab's `library` wins over the environment. */
    setenv("WATTSON_NVML_LIB", "/nonexistent/x.so", 1);
    th_library = FAKENVML_LIB;
    p = tn_load_ok();
    if (p)
        plug_close(p);
    unsetenv("WATTSON_NVML_LIB");

    /* A relative path with a '/': relative to the lab's directory. */
    {
        static char dir[4096];
        char *slash;

        snprintf(dir, sizeof dir, "%s", FAKENVML_LIB);
        slash = strrchr(dir, '/');
        if (slash) {
            *slash = '\0';
            th_lab_dir = dir;
            th_library = "./libnvidia-ml.so.1";
            p = tn_load_ok();
            if (p) {
                T_CHECK(th_has(th_logbuf, dir));
                plug_close(p);
            }
            th_lab_dir = NULL;
        }
    }

    /* nvmlInit failing: its error string, NVML not shut down. */
    tn_fake_reset();
    setenv("FAKENVML_INIT_FAIL", "1", 1);
    rc = tn_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT);
    T_CHECK(th_has(err, ": nvml: nvmlInit failed: Driver Not Loaded"));
    T_STREQ(tn_fake_events(), "init_v2\n");

    /* No GPU. */
    tn_fake_reset();
    setenv("FAKENVML_GPUS", "0", 1);
    rc = tn_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT);
    T_CHECK(th_has(err, "nvml: no NVIDIA GPU"));
    T_STREQ(tn_fake_events(), "init_v2\nshutdown\n");

    /* A library that is not a string is the lab's fault. */
    tn_fake_reset();
    th_library_is_number = 1;
    rc = tn_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_CONFIG);
    T_CHECK(th_has(err, "config key 'library'"));
    tn_fake_reset();
}

int main(void)
{
    if (tn_setup() != 0)
        return 1;
    test_default_missing();
    test_inventory();
    test_not_supported();
    test_lost();
    test_write_status();
    test_errno_status();
    test_no_v2();
    test_unsupported();
    unlink(tn_fakelog);
    return t_done("test_nvml");
}

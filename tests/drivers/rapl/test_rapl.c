/*
 * test_rapl - the rapl driver (drivers/rapl) loaded through the real
 * plugin loader (plug_find, plug_open, plug_init) against copies of the
 * fixture trees in tests/fixtures/sysfs/rapl.
 *
 * The host is drvtest.h's fake: log lines go into a buffer and
 * the configuration is a small table (just `root`).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drvtest.h"
#include "loader/loader.h"
#include "t.h"

#ifndef WATTSON_RAPL_FIXTURES
#define WATTSON_RAPL_FIXTURES "tests/fixtures/sysfs/rapl"
#endif

#define PC "/sys/class/powercap/"

/* ---- fake host configuration (the host is drvtest.h's) --------------- */

static const char *th_root;    /* `root`, or NULL: not configured */
static int th_root_is_number;  /* `root` = 7 (a config error) */
static const char *th_lab_dir; /* lab_dir given to the plugin */

/* Finds rapl.so the way wattson does, opens and initialises it.  Returns
 * the plug_init class; *out is the plugin on PLUG_OK. */
static int tr_load(struct plug **out, char *err, size_t errlen)
{
    struct wattson_host h;
    struct th_cfg cfg = {
        "root", th_root_is_number ? WATTSON_CFG_NUMBER : WATTSON_CFG_STRING, 7,
        th_root, 0};
    int rc = dt_open("rapl", out, err, errlen);

    if (rc != PLUG_OK)
        return rc;
    th_host(&h, th_lab_dir, &cfg, th_root || th_root_is_number ? 1 : 0);
    return plug_init(out, &h, err, errlen);
}

static struct plug *tr_load_ok(void)
{
    return dt_load_ok(tr_load);
}

/* Index of signal `name` on device `dev`, or -1. */
static int tr_sig(const struct plug *p, uint32_t dev, const char *name)
{
    size_t i;

    for (i = 0; i < p->inv.n_signals; i++)
        if (p->inv.signals[i].device == dev &&
            strcmp(p->inv.signals[i].name, name) == 0)
            return (int)i;
    fprintf(stderr, "  no signal %s on device %u\n", name, (unsigned)dev);
    return -1;
}

/* ---- tests ------------------------------------------------------------ */

struct tr_want {
    uint32_t dev;
    const char *name, *unit;
    int behaviour;
    double wrap;
    int valid;
    double value;
};

static void test_intel(void)
{
    char dir[] = "/tmp/wattson-rapl-XXXXXX";
    static const struct tr_want want[] = {
        {0, "energy", "J", WATTSON_COUNTER, 262143.32885, 1, 123.456789},
        {0, "enabled", "1", WATTSON_GAUGE, 0, 1, 1},
        {0, "power_limit_0", "W", WATTSON_GAUGE, 0, 1, 95},
        {0, "time_window_0", "s", WATTSON_GAUGE, 0, 1, 27.983872},
        {0, "max_power_0", "W", WATTSON_CONSTANT, 0, 1, 150},
        {0, "power_limit_1", "W", WATTSON_GAUGE, 0, 1, 118.75},
        {0, "time_window_1", "s", WATTSON_GAUGE, 0, 1, 0.00244},
        {1, "energy", "J", WATTSON_COUNTER, 262143.32885, 1, 45},
        {1, "enabled", "1", WATTSON_GAUGE, 0, 1, 0},
        {1, "power_limit_0", "W", WATTSON_GAUGE, 0, 1, 0},
        {1, "time_window_0", "s", WATTSON_GAUGE, 0, 1, 0.000976},
        {2, "energy", "J", WATTSON_COUNTER, 65712.999613, 1, 7},
        {2, "enabled", "1", WATTSON_GAUGE, 0, 1, 0},
    };
    const size_t nw = sizeof want / sizeof want[0];
    double v[32], c[2], w[2];
    uint8_t ok[32], cok[2];
    uint32_t idx[2];
    struct plug *p;
    size_t i;
    char root[64];

    if (dt_copy(WATTSON_RAPL_FIXTURES, "intel", dir) != 0)
        return;
    /* A trailing slash names the same prefix. */
    snprintf(root, sizeof root, "%s/", dir);
    th_root = root;
    p = tr_load_ok();
    if (!p)
        goto out;
    T_CHECK(th_has(th_logbuf, "rapl: 3 zones"));

    /* Devices: the control type and the mmio zone are skipped. */
    T_CHECK(p->inv.n_devices == 3);
    if (p->inv.n_devices != 3)
        goto close;
    T_STREQ(p->inv.devices[0].name, "package-0");
    T_STREQ(p->inv.devices[1].name, "package-0/core");
    T_STREQ(p->inv.devices[2].name, "package-0/dram");
    for (i = 0; i < 3; i++)
        T_STREQ(p->inv.devices[i].kind, "rail");
    T_CHECK(p->inv.devices[0].parent == -1);
    T_CHECK(p->inv.devices[1].parent == 0);
    T_CHECK(p->inv.devices[2].parent == 0);

    /* Signals, in order, with units, behaviours and wraps in J. */
    T_CHECK(p->inv.n_signals == nw);
    if (p->inv.n_signals != nw)
        goto close;
    for (i = 0; i < nw; i++) {
        const struct wattson_signal_desc *s = &p->inv.signals[i];

        T_CHECK(s->device == want[i].dev);
        T_STREQ(s->name, want[i].name);
        T_STREQ(s->unit, want[i].unit);
        T_CHECK(s->behaviour == want[i].behaviour);
        T_NEAR(s->wrap, want[i].wrap, 1e-9);
        T_CHECK(s->description && *s->description);
    }
    T_CHECK(th_has(p->inv.signals[2].description, "long_term"));
    T_CHECK(th_has(p->inv.signals[5].description, "short_term"));

    /* Controls: package capped by its max power; core has no max file. */
    T_CHECK(p->inv.n_controls == 2);
    if (p->inv.n_controls != 2)
        goto close;
    for (i = 0; i < 2; i++) {
        T_STREQ(p->inv.controls[i].name, "power_cap");
        T_STREQ(p->inv.controls[i].unit, "W");
        T_CHECK(p->inv.controls[i].device == i);
        T_NEAR(p->inv.controls[i].min, 1, 0);
        T_NEAR(p->inv.controls[i].step, 0, 0);
    }
    T_NEAR(p->inv.controls[0].max, 150, 1e-9);
    T_NEAR(p->inv.controls[1].max, 1000, 1e-9);

    /* constraint_1_max_power_uw reads 0 ("not given"): left out. */
    T_CHECK(tr_sig(p, 0, "power_limit_1") == 5);
    for (i = 0; i < p->inv.n_signals; i++)
        T_CHECK(strcmp(p->inv.signals[i].name, "max_power_1") != 0);
    /* Values: uJ -> J, uW -> W, us -> s. */
    memset(ok, 7, sizeof ok);
    T_CHECK(p->desc->read(p->state, v, ok, nw) == WATTSON_OK);
    for (i = 0; i < nw; i++) {
        T_CHECK(ok[i] == want[i].valid);
        if (want[i].valid)
            T_NEAR(v[i], want[i].value, 1e-9);
    }

    /* A file that disappears or holds junk is invalid, not zero; the
     * others still read. */
    {
        char path[4200];

        snprintf(path, sizeof path, "%s%sintel-rapl:0:0/energy_uj", dir, PC);
        T_CHECK(unlink(path) == 0);
        dt_write(dir, PC "intel-rapl:0:1/energy_uj", "garbage\n");
        dt_write(dir, PC "intel-rapl:0/energy_uj", "123457789\n");
        dt_write(dir, PC "intel-rapl:0/constraint_0_max_power_uw", "0\n");
        T_CHECK(p->desc->read(p->state, v, ok, nw) == WATTSON_OK);
        T_CHECK(ok[7] == 0);
        T_CHECK(ok[11] == 0);
        T_CHECK(ok[0] == 1);
        T_NEAR(v[0], 123.457789, 1e-9);
        T_CHECK(ok[2] == 1);
        T_CHECK(ok[4] == 0); /* a max power of 0 means none */
    }

    /* read_controls for save/restore, then a write in uW. */
    T_CHECK(p->desc->read_controls(p->state, c, cok, 2) == WATTSON_OK);
    T_CHECK(cok[0] && cok[1]);
    T_NEAR(c[0], 95, 1e-9);
    T_NEAR(c[1], 0, 0);
    idx[0] = 0;
    idx[1] = 1;
    w[0] = 87.5;
    w[1] = 12.345678;
    T_CHECK(p->desc->write(p->state, idx, w, 2) == WATTSON_OK);
    T_STREQ(dt_slurp(dir, PC "intel-rapl:0/constraint_0_power_limit_uw"),
            "87500000\n");
    T_STREQ(dt_slurp(dir, PC "intel-rapl:0:0/constraint_0_power_limit_uw"),
            "12345678\n");
    T_CHECK(p->desc->read_controls(p->state, c, cok, 2) == WATTSON_OK);
    T_NEAR(c[0], 87.5, 1e-9);
    T_NEAR(c[1], 12.345678, 1e-9);
    T_CHECK(p->desc->read(p->state, v, ok, nw) == WATTSON_OK);
    T_NEAR(v[2], 87.5, 1e-9);
    /* What the file cannot hold, or a bad index: refused, nothing
     * written.  [min, max] is the host's to keep for decisions: the
     * driver takes any value the file holds, so a restore puts back
     * exactly what it read (a limit of 0 below the 1 W minimum). */
    w[0] = -1;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    w[0] = NAN;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    w[0] = 1e300;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    idx[0] = 1;
    w[0] = 0;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_OK);
    T_STREQ(dt_slurp(dir, PC "intel-rapl:0:0/constraint_0_power_limit_uw"),
            "0\n");
    idx[0] = 0;
    w[0] = 151; /* above max_power: the kernel's to refuse */
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_OK);
    T_STREQ(dt_slurp(dir, PC "intel-rapl:0/constraint_0_power_limit_uw"),
            "151000000\n");
    w[0] = 87.5;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_OK);
    idx[0] = 2;
    w[0] = 50;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    T_STREQ(dt_slurp(dir, PC "intel-rapl:0/constraint_0_power_limit_uw"),
            "87500000\n");
    /* A limit file that cannot be written: an error and one log line. */
    {
        char path[4200];

        snprintf(path, sizeof path,
                 "%s%sintel-rapl:0:0/constraint_0_power_limit_uw", dir, PC);
        T_CHECK(unlink(path) == 0);
        idx[0] = 1;
        w[0] = 10;
        th_log_clear();
        /* ENOENT: the device vanished (plugin.h), so the host marks it. */
        T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR_GONE);
        T_CHECK(th_has(th_logbuf, "rapl: writing "));
        T_CHECK(p->desc->read_controls(p->state, c, cok, 2) == WATTSON_OK);
        T_CHECK(cok[0] == 1 && cok[1] == 0);
        /* A directory where the file was (EISDIR): a plain error. */
        T_CHECK(mkdir(path, 0755) == 0);
        T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
        T_CHECK(rmdir(path) == 0);
    }
close:
    plug_close(p);
out:
    th_root = NULL;
    dt_rmtree(dir);
}

static void test_wrap(void)
{
    char dir[] = "/tmp/wattson-rapl-XXXXXX";
    double v[4], e1, e2, wrap, delta;
    uint8_t ok[4];
    struct plug *p;
    int e;

    if (dt_copy(WATTSON_RAPL_FIXTURES, "wrap", dir) != 0)
        return;
    th_root = dir;
    p = tr_load_ok();
    if (!p)
        goto out;
    T_CHECK(p->inv.n_devices == 1);
    T_CHECK(p->inv.n_controls == 0); /* no constraints, no cap */
    e = tr_sig(p, 0, "energy");
    T_CHECK(e >= 0 && p->inv.n_signals <= 4);
    if (e < 0 || p->inv.n_signals > 4)
        goto close;
    wrap = p->inv.signals[e].wrap;
    T_NEAR(wrap, 262143.32885, 1e-9);
    T_CHECK(p->desc->read(p->state, v, ok, p->inv.n_signals) == WATTSON_OK);
    T_CHECK(ok[e]);
    e1 = v[e];
    T_NEAR(e1, 262143.328845, 1e-9);
    /* 5 uJ to the wrap point, then 10 past it. */
    dt_write(dir, PC "intel-rapl:0/energy_uj", "10\n");
    T_CHECK(p->desc->read(p->state, v, ok, p->inv.n_signals) == WATTSON_OK);
    T_CHECK(ok[e]);
    e2 = v[e];
    T_CHECK(e2 < e1);
    /* What the host computes for a counter that went backwards. */
    delta = e2 - e1 + wrap;
    T_NEAR(delta, 15e-6, 1e-9);
close:
    plug_close(p);
out:
    th_root = NULL;
    dt_rmtree(dir);
}

static void test_readonly(void)
{
    char dir[] = "/tmp/wattson-rapl-XXXXXX";
    char path[4200];
    double v[8], c[1];
    uint8_t ok[8], cok[1];
    struct plug *p;
    size_t i;
    int e;

    if (geteuid() == 0) {
        t_skip("test_rapl: root reads mode-000 files: an unreadable "
               "energy_uj is tested only as another user");
        return;
    }
    if (dt_copy(WATTSON_RAPL_FIXTURES, "readonly", dir) != 0)
        return;
    snprintf(path, sizeof path, "%s%sintel-rapl:0/energy_uj", dir, PC);
    T_CHECK(chmod(path, 0) == 0);
    th_root = dir;
    p = tr_load_ok();
    if (!p)
        goto out;
    /* Still in the inventory (root could read it); one warning. */
    T_CHECK(dt_count(th_logbuf, "not readable") == 1);
    T_CHECK(th_has(th_logbuf, path));
    e = tr_sig(p, 0, "energy");
    T_CHECK(e >= 0 && p->inv.n_signals <= 8);
    if (e < 0 || p->inv.n_signals > 8)
        goto close;
    for (int k = 0; k < 3; k++) {
        memset(v, 0, sizeof v);
        T_CHECK(p->desc->read(p->state, v, ok, p->inv.n_signals) == WATTSON_OK);
        T_CHECK(ok[e] == 0);
        for (i = 0; i < p->inv.n_signals; i++)
            if ((int)i != e)
                T_CHECK(ok[i] == 1);
    }
    T_CHECK(dt_count(th_logbuf, "not readable") == 1);
    T_CHECK(p->inv.n_controls == 1);
    T_NEAR(p->inv.controls[0].max, 88, 1e-9);
    T_CHECK(p->desc->read_controls(p->state, c, cok, 1) == WATTSON_OK);
    T_CHECK(cok[0]);
    T_NEAR(c[0], 65, 1e-9);
close:
    plug_close(p);
out:
    th_root = NULL;
    dt_rmtree(dir);
}

static void test_unsupported(void)
{
    char dir[] = "/tmp/wattson-rapl-XXXXXX";
    char want[4200], err[2048];
    struct plug *p;
    int rc;

    if (!mkdtemp(dir)) {
        T_CHECK(!"mkdtemp");
        return;
    }
    /* No sys/class/powercap at all. */
    th_root = dir;
    rc = tr_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT);
    T_CHECK(p == NULL);
    snprintf(want, sizeof want,
             "rapl: no powercap zones under %s/sys/class/powercap (", dir);
    T_CHECK(th_has(err, want));
    T_CHECK(strchr(err, '\n') == NULL);

    /* The directory exists but holds no intel-rapl zone. */
    snprintf(want, sizeof want, "mkdir -p '%s/sys/class/powercap/dtpm'", dir);
    T_CHECK(system(want) == 0);
    rc = tr_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT);
    T_CHECK(th_has(err, "no intel-rapl:N zones"));

    /* A root that is not a string is the lab's fault. */
    th_root_is_number = 1;
    rc = tr_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_CONFIG);
    T_CHECK(th_has(err, "config key 'root'"));
    th_root_is_number = 0;
    th_root = NULL;
    dt_rmtree(dir);
}

/* No `root`: $WATTSON_SYSFS_ROOT; a relative root: the lab's directory. */
static void test_root_sources(void)
{
    char dir[] = "/tmp/wattson-rapl-XXXXXX";
    struct plug *p;

    if (dt_copy(WATTSON_RAPL_FIXTURES, "intel", dir) != 0)
        return;
    th_root = NULL;
    setenv("WATTSON_SYSFS_ROOT", dir, 1);
    p = tr_load_ok();
    if (p) {
        T_CHECK(p->inv.n_devices == 3);
        plug_close(p);
    }
    unsetenv("WATTSON_SYSFS_ROOT");

    th_lab_dir = "/tmp";
    th_root = dir + strlen("/tmp/");
    p = tr_load_ok();
    if (p) {
        T_CHECK(p->inv.n_devices == 3);
        plug_close(p);
    }
    th_lab_dir = NULL;
    th_root = NULL;
    dt_rmtree(dir);
}

int main(void)
{
    unsetenv("WATTSON_PLUGIN_PATH");
    unsetenv("WATTSON_SYSFS_ROOT");
    test_intel();
    test_wrap();
    test_readonly();
    test_unsupported();
    test_root_sources();
    return t_done("test_rapl");
}

/*
 * test_hwmon - the hwmon driver (drivers/hwmon) loaded through the real
 * plugin loader (plug_find, plug_open, plug_init) against copies of the
 * fixture trees in tests/fixtures/sysfs/hwmon.
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

#ifndef WATTSON_HWMON_FIXTURES
#define WATTSON_HWMON_FIXTURES "tests/fixtures/sysfs/hwmon"
#endif

#define HW "/sys/class/hwmon/"

/* ---- fake host configuration (the host is drvtest.h's) --------------- */

static const char *th_root;    /* `root`, or NULL: not configured */
static int th_root_is_number;  /* `root` = 7 (a config error) */
static const char *th_lab_dir; /* lab_dir given to the plugin */

/* Finds hwmon.so the way wattson does, opens and initialises it.  Returns
 * the plug_init class; *out is the plugin on PLUG_OK. */
static int tr_load(struct plug **out, char *err, size_t errlen)
{
    struct wattson_host h;
    struct th_cfg cfg = {
        "root", th_root_is_number ? WATTSON_CFG_NUMBER : WATTSON_CFG_STRING, 7,
        th_root, 0};
    int rc = dt_open("hwmon", out, err, errlen);

    if (rc != PLUG_OK)
        return rc;
    th_host(&h, th_lab_dir, &cfg, th_root || th_root_is_number ? 1 : 0);
    return plug_init(out, &h, err, errlen);
}

static struct plug *tr_load_ok(void)
{
    return dt_load_ok(tr_load);
}

/* ---- tests ------------------------------------------------------------ */

struct tr_want {
    uint32_t dev;
    const char *name, *unit;
    int behaviour;
    double value;
};

static void tr_check_inv(const struct plug *p, const struct tr_want *want,
                         size_t nw)
{
    size_t i;

    T_CHECK(p->inv.n_signals == nw);
    if (p->inv.n_signals != nw)
        return;
    for (i = 0; i < nw; i++) {
        const struct wattson_signal_desc *s = &p->inv.signals[i];

        T_CHECK(s->device == want[i].dev);
        T_STREQ(s->name, want[i].name);
        T_STREQ(s->unit, want[i].unit);
        T_CHECK(s->behaviour == want[i].behaviour);
        T_NEAR(s->wrap, 0, 0);
        T_CHECK(s->description && *s->description);
    }
}

static void tr_check_values(const struct plug *p, const struct tr_want *want,
                            size_t nw)
{
    double v[32];
    uint8_t ok[32];
    size_t i;

    if (nw > 32 || p->inv.n_signals != nw)
        return;
    memset(ok, 7, sizeof ok);
    T_CHECK(p->desc->read(p->state, v, ok, nw) == WATTSON_OK);
    for (i = 0; i < nw; i++) {
        T_CHECK(ok[i] == 1);
        if (ok[i] == 1)
            T_NEAR(v[i], want[i].value, 1e-9);
        else
            fprintf(stderr, "  signal %zu (%s) invalid\n", i, want[i].name);
    }
}

static const struct tr_want ina_want[] = {
    {0, "power_vdd", "W", WATTSON_GAUGE, 18.3},
    {0, "curr_vdd", "A", WATTSON_GAUGE, 1.523},
    {0, "in_shunt_voltage", "V", WATTSON_GAUGE, 0.002},
    {0, "in_vdd", "V", WATTSON_GAUGE, 12.016},
    {1, "power_pin", "W", WATTSON_GAUGE, 63},
    {1, "power_pout1", "W", WATTSON_GAUGE, 52.7},
    {1, "power_pout1_average", "W", WATTSON_GAUGE, 52},
    {1, "energy1", "J", WATTSON_COUNTER, 123456.789012},
    {1, "curr_iin", "A", WATTSON_GAUGE, 5.2},
    {1, "curr_iout1", "A", WATTSON_GAUGE, 62},
    {1, "in_vin", "V", WATTSON_GAUGE, 12.1},
    {1, "in_vout1", "V", WATTSON_GAUGE, 0.85},
    {1, "temp1", "C", WATTSON_GAUGE, 45.5},
};
#define INA_NW (sizeof ina_want / sizeof ina_want[0])

static void test_ina(void)
{
    char dir[] = "/tmp/wattson-hwmon-XXXXXX";
    double v[32], c[2], w[2];
    uint8_t ok[32], cok[2];
    uint32_t idx[2];
    struct plug *p;
    char root[64];

    if (dt_copy(WATTSON_HWMON_FIXTURES, "ina", dir) != 0)
        return;
    /* A trailing slash names the same prefix. */
    snprintf(root, sizeof root, "%s/", dir);
    th_root = root;
    p = tr_load_ok();
    if (!p)
        goto out;
    T_CHECK(dt_has(th_logbuf, "hwmon: 2 devices, 13 signals, 2 power caps"));

    /* Devices: hwmon0 (a symlink into /sys/devices, as on a real system)
     * and hwmon3, named from `name` and N; both power monitors. */
    T_CHECK(p->inv.n_devices == 2);
    if (p->inv.n_devices != 2)
        goto close;
    T_STREQ(p->inv.devices[0].name, "ina226-0");
    T_STREQ(p->inv.devices[1].name, "pmbus-3");
    T_STREQ(p->inv.devices[0].kind, "rail");
    T_STREQ(p->inv.devices[1].kind, "rail");
    T_CHECK(p->inv.devices[0].parent == -1);
    T_CHECK(p->inv.devices[1].parent == -1);

    /* Signals: table order, then channel; names from labels. */
    tr_check_inv(p, ina_want, INA_NW);
    if (p->inv.n_signals != INA_NW)
        goto close;
    T_CHECK(dt_has(p->inv.signals[2].description, "(Shunt Voltage)"));
    T_CHECK(dt_has(p->inv.signals[2].description, "/in0_input"));
    /* Values in SI: uW -> W, mA -> A, mV -> V, uJ -> J, m°C -> C. */
    tr_check_values(p, ina_want, INA_NW);

    /* Controls: power1_cap with its max (no min: 1 W), power2_cap with
     * its min (no max: 1000 W). */
    T_CHECK(p->inv.n_controls == 2);
    if (p->inv.n_controls != 2)
        goto close;
    T_STREQ(p->inv.controls[0].name, "power_cap");
    T_STREQ(p->inv.controls[1].name, "power_cap2");
    T_STREQ(p->inv.controls[0].unit, "W");
    T_CHECK(p->inv.controls[0].device == 1 && p->inv.controls[1].device == 1);
    T_NEAR(p->inv.controls[0].min, 1, 0);
    T_NEAR(p->inv.controls[0].max, 250, 1e-9);
    T_NEAR(p->inv.controls[1].min, 10, 1e-9);
    T_NEAR(p->inv.controls[1].max, 1000, 0);
    T_NEAR(p->inv.controls[0].step, 0, 0);
    T_CHECK(dt_has(p->inv.controls[0].description, "/power1_cap"));

    /* Garbage, a vanished file, an empty one, a negative energy: invalid,
     * never zero; the others still read; negative currents are fine. */
    {
        char path[4200];

        snprintf(path, sizeof path, "%s%shwmon0/in1_input", dir, HW);
        T_CHECK(unlink(path) == 0);
        dt_write(dir, HW "hwmon0/power1_input", "garbage\n");
        dt_write(dir, HW "hwmon3/power1_input", "12x\n");
        dt_write(dir, HW "hwmon3/temp1_input", "");
        dt_write(dir, HW "hwmon3/energy1_input", "-5\n");
        dt_write(dir, HW "hwmon0/curr1_input", "-250\n");
        memset(v, 0, sizeof v);
        T_CHECK(p->desc->read(p->state, v, ok, INA_NW) == WATTSON_OK);
        T_CHECK(ok[0] == 0);
        T_CHECK(ok[3] == 0);
        T_CHECK(ok[4] == 0);
        T_CHECK(ok[12] == 0);
        T_CHECK(ok[7] == 0);
        T_CHECK(ok[1] == 1);
        T_NEAR(v[1], -0.25, 1e-12);
        T_CHECK(ok[5] == 1);
        T_NEAR(v[5], 52.7, 1e-9);
        /* Back again: valid again (paths kept, nothing cached). */
        dt_write(dir, HW "hwmon3/energy1_input", "123457789012\n");
        T_CHECK(p->desc->read(p->state, v, ok, INA_NW) == WATTSON_OK);
        T_CHECK(ok[7] == 1);
        T_NEAR(v[7], 123457.789012, 1e-6);
    }

    /* read_controls for save/restore, then a write in uW. */
    T_CHECK(p->desc->read_controls(p->state, c, cok, 2) == WATTSON_OK);
    T_CHECK(cok[0] && cok[1]);
    T_NEAR(c[0], 150, 1e-9);
    T_NEAR(c[1], 60, 1e-9);
    idx[0] = 0;
    idx[1] = 1;
    w[0] = 87.5;
    w[1] = 12.345678;
    T_CHECK(p->desc->write(p->state, idx, w, 2) == WATTSON_OK);
    T_STREQ(dt_slurp(dir, HW "hwmon3/power1_cap"), "87500000\n");
    T_STREQ(dt_slurp(dir, HW "hwmon3/power2_cap"), "12345678\n");
    T_CHECK(p->desc->read_controls(p->state, c, cok, 2) == WATTSON_OK);
    T_NEAR(c[0], 87.5, 1e-9);
    T_NEAR(c[1], 12.345678, 1e-9);
    /* Out of range, not finite or a bad index: refused, nothing written. */
    w[0] = 251;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    w[0] = 0.5;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    w[0] = NAN;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    idx[0] = 2;
    w[0] = 50;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    T_STREQ(dt_slurp(dir, HW "hwmon3/power1_cap"), "87500000\n");
    /* A cap file that cannot be written: an error and one log line; an
     * unparsable one reads back invalid. */
    {
        char path[4200];

        snprintf(path, sizeof path, "%s%shwmon3/power2_cap", dir, HW);
        T_CHECK(unlink(path) == 0);
        idx[0] = 1;
        w[0] = 20;
        th_loglen = 0;
        th_logbuf[0] = '\0';
        T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
        T_CHECK(dt_has(th_logbuf, "hwmon: writing "));
        dt_write(dir, HW "hwmon3/power1_cap", "n/a\n");
        T_CHECK(p->desc->read_controls(p->state, c, cok, 2) == WATTSON_OK);
        T_CHECK(cok[0] == 0 && cok[1] == 0);
    }
close:
    plug_close(p);
out:
    th_root = NULL;
    dt_rmtree(dir);
}

/* Two channels with the same label: the second keeps its default name. */
static void test_dup_labels(void)
{
    char dir[] = "/tmp/wattson-hwmon-XXXXXX";
    struct plug *p;

    if (dt_copy(WATTSON_HWMON_FIXTURES, "ina", dir) != 0)
        return;
    dt_write(dir, HW "hwmon3/power2_label", "PIN\n");
    dt_write(dir, HW "hwmon3/in1_label", " \n");
    dt_write(dir, HW "hwmon0/name", "ina 226/x\n");
    {
        char path[4200];

        /* No `name`: the directory's name. */
        snprintf(path, sizeof path, "%s%shwmon3/name", dir, HW);
        T_CHECK(unlink(path) == 0);
    }
    th_root = dir;
    p = tr_load_ok();
    if (!p)
        goto out;
    if (p->inv.n_signals == INA_NW && p->inv.n_devices == 2) {
        T_STREQ(p->inv.devices[0].name, "ina_226_x-0");
        T_STREQ(p->inv.devices[1].name, "hwmon3");
        T_STREQ(p->inv.signals[4].name, "power_pin");
        T_STREQ(p->inv.signals[5].name, "power2");
        T_STREQ(p->inv.signals[6].name, "power_pin_average");
        T_STREQ(p->inv.signals[10].name, "in1");
    } else {
        T_CHECK(!"ina copy inventory");
    }
    plug_close(p);
out:
    th_root = NULL;
    dt_rmtree(dir);
}

static void test_nolabels(void)
{
    char dir[] = "/tmp/wattson-hwmon-XXXXXX";
    static const struct tr_want want[] = {
        {0, "temp1", "C", WATTSON_GAUGE, 48.25},
        {1, "in0", "V", WATTSON_GAUGE, 1.104},
        {1, "temp1", "C", WATTSON_GAUGE, -5},
    };
    struct plug *p;

    if (dt_copy(WATTSON_HWMON_FIXTURES, "nolabels", dir) != 0)
        return;
    th_root = dir;
    p = tr_load_ok();
    if (!p)
        goto out;
    /* k10temp in hwmon0; an old driver's attributes in hwmon1/device/. */
    T_CHECK(p->inv.n_devices == 2);
    if (p->inv.n_devices == 2) {
        T_STREQ(p->inv.devices[0].name, "k10temp-0");
        T_STREQ(p->inv.devices[0].kind, "sensor");
        T_STREQ(p->inv.devices[1].name, "w83627hf-1");
        T_STREQ(p->inv.devices[1].kind, "sensor");
    }
    T_CHECK(p->inv.n_controls == 0);
    T_CHECK(p->inv.controls == NULL);
    tr_check_inv(p, want, 3);
    tr_check_values(p, want, 3);
    T_CHECK(dt_has(p->inv.signals[1].description, "/device/in0_input"));
    plug_close(p);
out:
    th_root = NULL;
    dt_rmtree(dir);
}

static void test_unsupported(void)
{
    char dir[] = "/tmp/wattson-hwmon-XXXXXX";
    char want[4200], err[2048];
    struct plug *p;
    int rc;

    if (!mkdtemp(dir)) {
        T_CHECK(!"mkdtemp");
        return;
    }
    /* No sys/class/hwmon at all. */
    th_root = dir;
    rc = tr_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_INIT);
    T_CHECK(p == NULL);
    snprintf(want, sizeof want,
             "hwmon: no hwmon devices under %s/sys/class/hwmon (No such file "
             "or directory)",
             dir);
    T_CHECK(dt_has(err, want));
    T_CHECK(strchr(err, '\n') == NULL);

    /* The directory exists but holds no hwmonN. */
    snprintf(want, sizeof want, "mkdir -p '%s/sys/class/hwmon/other'", dir);
    T_CHECK(system(want) == 0);
    rc = tr_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_INIT);
    T_CHECK(dt_has(err, "(no hwmonN directories)"));

    /* Only a fan controller: nothing wattson reads. */
    snprintf(want, sizeof want, "mkdir -p '%s/sys/class/hwmon/hwmon0'", dir);
    T_CHECK(system(want) == 0);
    dt_write(dir, HW "hwmon0/name", "nct6775\n");
    dt_write(dir, HW "hwmon0/fan1_input", "900\n");
    dt_write(dir, HW "hwmon0/in0_max", "1000\n");
    rc = tr_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_INIT);
    T_CHECK(dt_has(err, "hwmon: no hwmon devices under "));
    T_CHECK(dt_has(err, "(no power, energy, current, voltage or temperature"));
    T_CHECK(strchr(err, '\n') == NULL);

    /* A root that is not a string is the lab's fault. */
    th_root_is_number = 1;
    rc = tr_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_CONFIG);
    T_CHECK(dt_has(err, "config key 'root'"));
    th_root_is_number = 0;
    th_root = NULL;
    dt_rmtree(dir);
}

/* No `root`: $WATTSON_SYSFS_ROOT; a relative root: the lab's directory. */
static void test_root_sources(void)
{
    char dir[] = "/tmp/wattson-hwmon-XXXXXX";
    struct plug *p;

    if (dt_copy(WATTSON_HWMON_FIXTURES, "ina", dir) != 0)
        return;
    th_root = NULL;
    setenv("WATTSON_SYSFS_ROOT", dir, 1);
    p = tr_load_ok();
    if (p) {
        T_CHECK(p->inv.n_devices == 2);
        plug_close(p);
    }
    unsetenv("WATTSON_SYSFS_ROOT");

    th_lab_dir = "/tmp";
    th_root = dir + strlen("/tmp/");
    p = tr_load_ok();
    if (p) {
        T_CHECK(p->inv.n_devices == 2);
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
    test_ina();
    test_dup_labels();
    test_nolabels();
    test_unsupported();
    test_root_sources();
    return t_done("test_hwmon");
}

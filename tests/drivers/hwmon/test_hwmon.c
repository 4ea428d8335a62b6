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
    {0, "power", "W", WATTSON_GAUGE, 18.3}, /* the total: power_vdd */
    {1, "power_pin", "W", WATTSON_GAUGE, 63},
    {1, "power_pout1", "W", WATTSON_GAUGE, 52.7},
    {1, "power_pout1_average", "W", WATTSON_GAUGE, 52},
    {1, "energy1", "J", WATTSON_COUNTER, 123456.789012},
    {1, "curr_iin", "A", WATTSON_GAUGE, 5.2},
    {1, "curr_iout1", "A", WATTSON_GAUGE, 62},
    {1, "in_vin", "V", WATTSON_GAUGE, 12.1},
    {1, "in_vout1", "V", WATTSON_GAUGE, 0.85},
    {1, "temp1", "C", WATTSON_GAUGE, 45.5},
    /* Totals: power_pin only (pout1 is output side), energy1. */
    {1, "power", "W", WATTSON_GAUGE, 63},
    {1, "energy", "J", WATTSON_COUNTER, 123456.789012},
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
    T_CHECK(th_has(th_logbuf, "hwmon: 2 devices, 16 signals, 2 power caps"));

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
    T_CHECK(th_has(p->inv.signals[2].description, "(Shunt Voltage)"));
    T_CHECK(th_has(p->inv.signals[2].description, "/in0_input"));
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
    T_CHECK(th_has(p->inv.controls[0].description, "/power1_cap"));

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
        T_CHECK(ok[5] == 0);
        T_CHECK(ok[13] == 0);
        T_CHECK(ok[8] == 0);
        T_CHECK(ok[1] == 1);
        T_NEAR(v[1], -0.25, 1e-12);
        T_CHECK(ok[6] == 1);
        T_NEAR(v[6], 52.7, 1e-9);
        /* A total with an invalid channel is invalid, not a partial sum. */
        T_CHECK(ok[4] == 0 && ok[14] == 0 && ok[15] == 0);
        T_CHECK(isnan(v[4]) && isnan(v[14]) && isnan(v[15]));
        /* Back again: valid again (paths kept, nothing cached). */
        dt_write(dir, HW "hwmon3/energy1_input", "123457789012\n");
        T_CHECK(p->desc->read(p->state, v, ok, INA_NW) == WATTSON_OK);
        T_CHECK(ok[8] == 1);
        T_NEAR(v[8], 123457.789012, 1e-6);
        T_CHECK(ok[15] == 1);
        T_NEAR(v[15], 123457.789012, 1e-6);
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
    /* What the file cannot hold, not finite or a bad index: refused,
     * nothing written.  [min, max] is the host's to keep for decisions:
     * a restore writes back exactly what was read (plugin.h). */
    w[0] = -1;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    w[0] = 1e300;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    w[0] = 0.5; /* below the cap's minimum: the kernel's to refuse */
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_OK);
    T_STREQ(dt_slurp(dir, HW "hwmon3/power1_cap"), "500000\n");
    w[0] = 87.5;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_OK);
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
        th_log_clear();
        T_CHECK(p->desc->write(p->state, idx, w, 1) != WATTSON_OK);
        T_CHECK(th_has(th_logbuf, "hwmon: writing "));
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
        T_STREQ(p->inv.signals[5].name, "power_pin");
        T_STREQ(p->inv.signals[6].name, "power2");
        T_STREQ(p->inv.signals[7].name, "power_pin_average");
        T_STREQ(p->inv.signals[11].name, "in1");
        /* power2 is now labelled "PIN": an input, in the total. */
        T_STREQ(p->inv.signals[14].name, "power");
        T_CHECK(th_has(p->inv.signals[14].description,
                       "sum of power_pin, power2;"));
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
    T_CHECK(th_has(p->inv.signals[1].description, "/device/in0_input"));
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
    T_CHECK(rc == PLUG_ERR_ABSENT);
    T_CHECK(p == NULL);
    snprintf(want, sizeof want,
             "hwmon: no hwmon devices under %s/sys/class/hwmon (No such file "
             "or directory)",
             dir);
    T_CHECK(th_has(err, want));
    T_CHECK(strchr(err, '\n') == NULL);

    /* The directory exists but holds no hwmonN. */
    snprintf(want, sizeof want, "mkdir -p '%s/sys/class/hwmon/other'", dir);
    T_CHECK(system(want) == 0);
    rc = tr_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT);
    T_CHECK(th_has(err, "(no hwmonN directories)"));

    /* Only a fan controller: nothing wattson reads. */
    snprintf(want, sizeof want, "mkdir -p '%s/sys/class/hwmon/hwmon0'", dir);
    T_CHECK(system(want) == 0);
    dt_write(dir, HW "hwmon0/name", "nct6775\n");
    dt_write(dir, HW "hwmon0/fan1_input", "900\n");
    dt_write(dir, HW "hwmon0/in0_max", "1000\n");
    rc = tr_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT);
    T_CHECK(th_has(err, "hwmon: no hwmon devices under "));
    T_CHECK(th_has(err, "(no power, energy, current, voltage or temperature"));
    T_CHECK(strchr(err, '\n') == NULL);

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

/* ---- totals: the standard "power" and "energy" of a rail ------------- */

/* hwmon.so on root `dir` with the extra configuration `extra`.  *rc is
 * plug_init's class; the plugin or NULL. */
static struct plug *tr_load_cfg(const char *dir, const struct th_cfg *extra,
                                size_t n, int *rc, char *err, size_t errlen)
{
    struct th_cfg cfg[16];
    struct wattson_host h;
    struct plug *p;

    cfg[0] = (struct th_cfg){"root", WATTSON_CFG_STRING, 0, dir, 0};
    for (size_t i = 0; i < n && i < 15; i++)
        cfg[i + 1] = extra[i];
    *rc = dt_open("hwmon", &p, err, errlen);
    if (*rc != PLUG_OK)
        return NULL;
    th_host(&h, NULL, cfg, n + 1);
    *rc = plug_init(&p, &h, err, errlen);
    return *rc == PLUG_OK ? p : NULL;
}

/* Index of signal `name` on device `dev`, or -1. */
static long tr_sig(const struct plug *p, uint32_t dev, const char *name)
{
    for (size_t i = 0; i < p->inv.n_signals; i++)
        if (p->inv.signals[i].device == dev &&
            strcmp(p->inv.signals[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Reads every signal; the value of signal `i` (NAN when invalid). */
static double tr_val(const struct plug *p, long i)
{
    double v[64];
    uint8_t ok[64];

    if (i < 0 || p->inv.n_signals > 64)
        return -1;
    T_CHECK(p->desc->read(p->state, v, ok, p->inv.n_signals) == WATTSON_OK);
    return ok[i] ? v[i] : NAN;
}

/* The rails fixture: an ltc2978 PMBus regulator (pin, pout1, pout2; ein,
 * eout) and an ina3221-like three-channel monitor. */
static void test_rails(void)
{
    char dir[] = "/tmp/wattson-hwmon-XXXXXX";
    struct plug *p;
    long pw, en;

    if (dt_copy(WATTSON_HWMON_FIXTURES, "rails", dir) != 0)
        return;
    th_root = dir;
    p = tr_load_ok();
    if (!p)
        goto out;
    T_CHECK(p->inv.n_devices == 2);
    if (p->inv.n_devices != 2)
        goto close;
    T_STREQ(p->inv.devices[0].name, "ltc2978-0");
    T_STREQ(p->inv.devices[1].name, "ina3221-1");
    T_STREQ(p->inv.devices[1].kind, "rail");
    /* 12 + 2 totals, 12 + 1 total (ina3221 has no energy). */
    T_CHECK(p->inv.n_signals == 27);
    T_CHECK(th_has(th_logbuf, "hwmon: 2 devices, 27 signals, 0 power caps"));
    /* ltc2978: input power and energy only; the output side left out. */
    pw = tr_sig(p, 0, "power");
    en = tr_sig(p, 0, "energy");
    T_CHECK(pw == 12 && en == 13);
    if (pw < 0 || en < 0)
        goto close;
    T_STREQ(p->inv.signals[pw].unit, "W");
    T_CHECK(p->inv.signals[pw].behaviour == WATTSON_GAUGE);
    T_STREQ(p->inv.signals[en].unit, "J");
    T_CHECK(p->inv.signals[en].behaviour == WATTSON_COUNTER);
    T_NEAR(p->inv.signals[en].wrap, 0, 0);
    T_CHECK(th_has(p->inv.signals[pw].description,
                   "sum of power_pin (output side left out: power_pout1, "
                   "power_pout2)"));
    T_CHECK(th_has(p->inv.signals[en].description,
                   "sum of energy_ein (output side left out: energy_eout)"));
    T_CHECK(th_has(th_logbuf, "hwmon: ltc2978-0: power = power_pin; left "
                              "out: power_pout1, power_pout2"));
    T_NEAR(tr_val(p, pw), 24.5, 1e-9);
    T_NEAR(tr_val(p, en), 5000, 1e-9);
    /* ina3221: the three channels summed. */
    pw = tr_sig(p, 1, "power");
    T_CHECK(pw == 26 && tr_sig(p, 1, "energy") < 0);
    T_CHECK(th_has(p->inv.signals[pw].description,
                   "sum of power_vdd_cpu, power_vdd_gpu, power_vdd_soc;"));
    T_NEAR(tr_val(p, pw), 4.2 + 6.8 + 2.1, 1e-9);
    /* An invalid channel makes the total invalid, never a smaller sum; a
     * negative power (a reversed shunt) is summed as it reads. */
    dt_write(dir, HW "hwmon1/power2_input", "garbage\n");
    T_CHECK(isnan(tr_val(p, pw)));
    dt_write(dir, HW "hwmon1/power2_input", "-800000\n");
    T_NEAR(tr_val(p, pw), 4.2 - 0.8 + 2.1, 1e-9);
    dt_write(dir, HW "hwmon0/energy1_input", "-1\n");
    T_CHECK(isnan(tr_val(p, en)));
    /* The counter follows its channel. */
    dt_write(dir, HW "hwmon0/energy1_input", "5000250000\n");
    T_NEAR(tr_val(p, en), 5000.25, 1e-9);
close:
    plug_close(p);
out:
    th_root = NULL;
    dt_rmtree(dir);
}

/* Labels that say output side in other words. */
static void test_output_labels(void)
{
    static const struct {
        const char *label;
        int output;
    } cases[] = {
        {"Output Power", 1}, {"P_OUT", 1}, {"POUT3", 1},       {"out", 1},
        {"outputs", 1},      {"pout", 1},  {"Input Power", 0}, {"outlet 2", 0},
        {"vout1", 0},        {"PIN", 0},   {"VDD_OUTER", 0},
    };
    char dir[] = "/tmp/wattson-hwmon-XXXXXX";

    if (dt_copy(WATTSON_HWMON_FIXTURES, "rails", dir) != 0)
        return;
    th_root = dir;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char text[64];
        struct plug *p;
        long pw;

        snprintf(text, sizeof text, "%s\n", cases[k].label);
        dt_write(dir, HW "hwmon1/power3_label", text);
        p = tr_load_ok();
        if (!p)
            break;
        pw = tr_sig(p, 1, "power");
        T_CHECK(pw >= 0);
        if (pw >= 0) {
            double want = 4.2 + 6.8 + (cases[k].output ? 0 : 2.1);

            T_NEAR(tr_val(p, pw), want, 1e-9);
            if (fabs(tr_val(p, pw) - want) > 1e-9)
                fprintf(stderr, "  label \"%s\"\n", cases[k].label);
        }
        plug_close(p);
    }
    th_root = NULL;
    dt_rmtree(dir);
}

/* `total`: a channel name, a list, false, true, a table by device. */
static void test_total_config(void)
{
    char dir[] = "/tmp/wattson-hwmon-XXXXXX", err[2048];
    struct plug *p;
    int rc;

    if (dt_copy(WATTSON_HWMON_FIXTURES, "rails", dir) != 0)
        return;
    /* One name: that channel on every device that has it. */
    {
        struct th_cfg c[] = {{"total", WATTSON_CFG_STRING, 0, "power1", 0}};

        p = tr_load_cfg(dir, c, 1, &rc, err, sizeof err);
        T_CHECK(p != NULL);
        if (p) {
            T_NEAR(tr_val(p, tr_sig(p, 0, "power")), 24.5, 1e-9);
            T_CHECK(tr_sig(p, 0, "energy") < 0);
            T_NEAR(tr_val(p, tr_sig(p, 1, "power")), 4.2, 1e-9);
            plug_close(p);
        }
    }
    /* A list, by label-derived names; a device with none gets none. */
    {
        struct th_cfg c[] = {
            {"total", WATTSON_CFG_TABLE, 0, NULL, 0},
            {"total.1", WATTSON_CFG_STRING, 0, "power_vdd_cpu", 0},
            {"total.2", WATTSON_CFG_STRING, 0, "power_vdd_soc", 0}};

        p = tr_load_cfg(dir, c, 3, &rc, err, sizeof err);
        T_CHECK(p != NULL);
        if (p) {
            T_CHECK(tr_sig(p, 0, "power") < 0 && tr_sig(p, 0, "energy") < 0);
            T_NEAR(tr_val(p, tr_sig(p, 1, "power")), 6.3, 1e-9);
            plug_close(p);
        }
    }
    /* Output channels when asked for them; power and energy alike. */
    {
        struct th_cfg c[] = {{"total", WATTSON_CFG_TABLE, 0, NULL, 0},
                             {"total.1", WATTSON_CFG_STRING, 0, "power2", 0},
                             {"total.2", WATTSON_CFG_STRING, 0, "power3", 0},
                             {"total.3", WATTSON_CFG_STRING, 0, "energy2", 0}};

        p = tr_load_cfg(dir, c, 4, &rc, err, sizeof err);
        T_CHECK(p != NULL);
        if (p) {
            T_NEAR(tr_val(p, tr_sig(p, 0, "power")), 21.5, 1e-9);
            T_NEAR(tr_val(p, tr_sig(p, 0, "energy")), 4200, 1e-9);
            T_NEAR(tr_val(p, tr_sig(p, 1, "power")), 8.9, 1e-9);
            plug_close(p);
        }
    }
    /* false: no totals at all (another driver measures the same power);
     * true: the default rule. */
    {
        struct th_cfg c[] = {{"total", WATTSON_CFG_BOOL, 0, NULL, 0}};

        p = tr_load_cfg(dir, c, 1, &rc, err, sizeof err);
        T_CHECK(p != NULL);
        if (p) {
            T_CHECK(p->inv.n_signals == 24);
            for (size_t i = 0; i < p->inv.n_signals; i++) {
                T_CHECK(strcmp(p->inv.signals[i].name, "power") != 0);
                T_CHECK(strcmp(p->inv.signals[i].name, "energy") != 0);
            }
            plug_close(p);
        }
        c[0].b = 1;
        p = tr_load_cfg(dir, c, 1, &rc, err, sizeof err);
        T_CHECK(p != NULL && p->inv.n_signals == 27);
        plug_close(p);
    }
    /* A table by device name; devices not named keep the default. */
    {
        struct th_cfg c[] = {
            {"total", WATTSON_CFG_TABLE, 0, NULL, 0},
            {"total.ina3221-1", WATTSON_CFG_STRING, 0, "power_vdd_gpu", 0}};

        p = tr_load_cfg(dir, c, 2, &rc, err, sizeof err);
        T_CHECK(p != NULL);
        if (p) {
            T_NEAR(tr_val(p, tr_sig(p, 0, "power")), 24.5, 1e-9);
            T_NEAR(tr_val(p, tr_sig(p, 1, "power")), 6.8, 1e-9);
            plug_close(p);
        }
        c[1] = (struct th_cfg){"total.ltc2978-0", WATTSON_CFG_BOOL, 0, NULL, 0};
        p = tr_load_cfg(dir, c, 2, &rc, err, sizeof err);
        T_CHECK(p != NULL);
        if (p) {
            T_CHECK(tr_sig(p, 0, "power") < 0 && tr_sig(p, 0, "energy") < 0);
            T_NEAR(tr_val(p, tr_sig(p, 1, "power")), 13.1, 1e-9);
            plug_close(p);
        }
    }
    /* Errors: a lab error naming the key. */
    {
        static const struct {
            struct th_cfg c[2];
            size_t n;
            const char *want;
        } bad[] = {
            {{{"total", WATTSON_CFG_STRING, 0, "power9", 0}},
             1,
             "hwmon: config key 'total': no power or energy channel 'power9' "
             "on any hwmon device"},
            {{{"total", WATTSON_CFG_STRING, 0, "curr1", 0}},
             1,
             "no power or energy channel 'curr1'"},
            {{{"total", WATTSON_CFG_STRING, 0, "", 0}},
             1,
             "config key 'total': an empty channel name"},
            {{{"total", WATTSON_CFG_NUMBER, 5, NULL, 0}},
             1,
             "config key 'total': expected false, a channel name or a list"},
            {{{"total", WATTSON_CFG_TABLE, 0, NULL, 0},
              {"total.1", WATTSON_CFG_NUMBER, 3, NULL, 0}},
             2,
             "config key 'total.1': expected a channel name"},
            {{{"total", WATTSON_CFG_TABLE, 0, NULL, 0},
              {"total.nosuch-9", WATTSON_CFG_STRING, 0, "power1", 0}},
             2,
             "config key 'total.nosuch-9': no such hwmon device"},
            {{{"total", WATTSON_CFG_TABLE, 0, NULL, 0},
              {"total.ina3221-1", WATTSON_CFG_STRING, 0, "power_pin", 0}},
             2,
             "config key 'total.ina3221-1': no power or energy channel "
             "'power_pin' on ina3221-1"},
        };

        for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            p = tr_load_cfg(dir, bad[k].c, bad[k].n, &rc, err, sizeof err);
            T_CHECK(p == NULL && rc == PLUG_ERR_CONFIG);
            T_CHECK(th_has(err, bad[k].want));
            T_CHECK(strchr(err, '\n') == NULL);
        }
    }
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
    test_rails();
    test_output_labels();
    test_total_config();
    return t_done("test_hwmon");
}

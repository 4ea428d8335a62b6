/*
 * test_pmbus - the pmbus driver (drivers/pmbus): its LINEAR11/LINEAR16
 * codec (pmlin.c, compiled in here), then pmbus.so loaded through the
 * real plugin loader against the emulated bus of emupmbus.h: inventory
 * and limits, the five readings, NACKs, PEC mismatches, out-of-range
 * replies, VOUT_MODE refusals, configuration errors, writes (refusals,
 * rounding, read-back), the save/write/restore sequence the host runs,
 * PEC chosen by CAPABILITY (and the lab's `pec`), and a VOUT_MODE that
 * changes or is lost mid-run.
 * test_pmbus_host runs that sequence through the host's own code.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../drivers/pmbus/pmlin.h"
#include "drvtest.h"
#include "emupmbus.h"
#include "loader/loader.h"
#include "t.h"

#define STEP (1.0 / 512) /* the emulated regulator's VOUT LSB */

enum { S_VIN, S_VOUT, S_IOUT, S_POUT, S_TEMP, NSIG };

static const char *const one_dev[] = {"1:0x40"};

/* The plugin on bus e as emu_cfg says, which must load; NULL after a
 * failed check. */
static struct plug *load_ok(struct emu *e)
{
    char err[1024];
    struct plug *p;
    int rc = emu_load(e, &p, err, sizeof err);

    T_CHECK(rc == PLUG_OK);
    if (rc != PLUG_OK) {
        fprintf(stderr, "  %s\n", err);
        return NULL;
    }
    return p;
}

/* One emulated regulator at i2c-1 0x40, configured and loaded. */
static struct plug *load_one(struct emu *e)
{
    memset(e, 0, sizeof *e);
    emu_add(e, 1, 0x40);
    emu_devices(one_dev, 1, "/emu");
    return load_ok(e);
}

/* ---- codec ------------------------------------------------------------ */

static void test_decode(void)
{
    /* 12 V = 24 * 2^-1: exponent 0x1f, mantissa 24. */
    T_NEAR(pmlin_decode11(0xf818), 12.0, 0);
    /* Edge exponents: -16 (0x10) and +15 (0x0f), edge mantissas. */
    T_NEAR(pmlin_decode11(0x8001), ldexp(1, -16), 0);
    T_NEAR(pmlin_decode11(0x7bff), 1023.0 * 32768, 0);
    T_NEAR(pmlin_decode11(0x7c00), -1024.0 * 32768, 0);
    T_NEAR(pmlin_decode11(0x8400), -1024.0 * ldexp(1, -16), 0);
    /* Negatives: mantissa 0x7ff is -1; -3.5 A = -7 * 2^-1. */
    T_NEAR(pmlin_decode11(0x07ff), -1.0, 0);
    T_NEAR(pmlin_decode11(0xfff9), -3.5, 0);
    T_NEAR(pmlin_decode11(0x0000), 0.0, 0);
    /* Against the emulator's independent encoder, every exact value. */
    for (int n = -16; n <= 15; n++)
        for (int m = -1024; m <= 1023; m += 37) {
            double v = ldexp(m, n);

            if (pmlin_decode11(emu_l11(v)) != v) {
                T_CHECK(!"LINEAR11 decode of emu_l11");
                fprintf(stderr, "  %d * 2^%d\n", m, n);
                return;
            }
        }
    T_NEAR(pmlin_decode16(0x0200, -9), 1.0, 0);
    T_NEAR(pmlin_decode16(0xffff, -16), 65535.0 / 65536, 0);
    T_NEAR(pmlin_decode16(0xffff, 0), 65535.0, 0);
    T_NEAR(pmlin_decode16(0x0001, -16), ldexp(1, -16), 0);
}

static void test_vout_mode(void)
{
    char why[256];
    int exp = 99;

    T_CHECK(pmlin_vout_mode(0x17, &exp, why, sizeof why) == 0);
    T_CHECK(exp == -9);
    T_CHECK(pmlin_vout_mode(0x10, &exp, why, sizeof why) == 0);
    T_CHECK(exp == -16);
    T_CHECK(pmlin_vout_mode(0x00, &exp, why, sizeof why) == 0);
    T_CHECK(exp == 0);
    exp = 99;
    T_CHECK(pmlin_vout_mode(0x20 | 0x17, &exp, why, sizeof why) != 0);
    T_CHECK(th_has(why, "VOUT_MODE 0x37: VID mode is not supported (only "
                        "LINEAR16; VID, direct and IEEE half-precision are "
                        "not)"));
    T_CHECK(exp == 99);
    T_CHECK(pmlin_vout_mode(0x40, &exp, why, sizeof why) != 0);
    T_CHECK(th_has(why, "direct mode is not supported"));
    T_CHECK(pmlin_vout_mode(0x80, &exp, why, sizeof why) != 0);
    T_CHECK(th_has(why, "reserved (4) mode"));
    T_CHECK(pmlin_vout_mode(0x60, &exp, why, sizeof why) != 0);
    T_CHECK(th_has(why, "IEEE half-precision mode is not supported"));
    T_CHECK(pmlin_vout_mode(0xe0, &exp, why, sizeof why) != 0);
    T_CHECK(th_has(why, "reserved (7) mode"));
    /* Positive exponents: out of range. */
    T_CHECK(pmlin_vout_mode(0x01, &exp, why, sizeof why) != 0);
    T_CHECK(th_has(why, "VOUT_MODE 0x01: exponent 1 out of range [-16, 0]"));
    T_CHECK(pmlin_vout_mode(0x0f, &exp, why, sizeof why) != 0);
    T_CHECK(exp == 99);
}

static void test_encode(void)
{
    char why[256];
    uint16_t raw = 0;
    int bad = 0;

    /* Every word at -9 and at -16 comes back as itself. */
    for (int e = -16; e <= -9; e += 7)
        for (unsigned w = 0; w <= 0xffff; w++) {
            double v = pmlin_decode16((uint16_t)w, e);

            if (pmlin_encode16(v, e, v, &raw, why, sizeof why) != 0 || raw != w)
                bad++;
        }
    T_CHECK(bad == 0);
    /* Nearest step below a ceiling far away; half a step always. */
    for (int e = -16; e <= 0; e++)
        for (double v = 0; v < 60; v += 0.37) {
            if (ldexp(65535, e) < v)
                break;
            if (pmlin_encode16(v, e, 1e9, &raw, why, sizeof why) != 0 ||
                fabs(pmlin_decode16(raw, e) - v) > ldexp(0.5, e)) {
                bad++;
                fprintf(stderr, "  %g at 2^%d: %s\n", v, e, why);
            }
        }
    T_CHECK(bad == 0);
    /* Rounding never goes above the limit: 1.2009 V is 614.86 steps,
     * nearest 615 (1.2012 V) but the limit is 1.2009 V: 614. */
    T_CHECK(pmlin_encode16(1.2009, -9, 1.2009, &raw, why, sizeof why) == 0);
    T_CHECK(raw == 614);
    T_CHECK(pmlin_decode16(raw, -9) <= 1.2009);
    /* Below the limit it still rounds up: 1.2009 with room is 615. */
    T_CHECK(pmlin_encode16(1.2009, -9, 1.25, &raw, why, sizeof why) == 0);
    T_CHECK(raw == 615);
    /* The top word, and half a step above it. */
    T_CHECK(pmlin_encode16(65535.4, 0, 1e9, &raw, why, sizeof why) == 0);
    T_CHECK(raw == 65535);
    T_CHECK(pmlin_encode16(65535.5, 0, 1e9, &raw, why, sizeof why) == 0);
    T_CHECK(raw == 65535);
    T_CHECK(pmlin_encode16(65535.6, 0, 1e9, &raw, why, sizeof why) != 0);
    T_CHECK(
        th_has(why, "does not fit LINEAR16 at exponent 0 (at most 65535 V)"));
    /* Refusals, each with its reason. */
    T_CHECK(pmlin_encode16(NAN, -9, 2, &raw, why, sizeof why) != 0);
    T_CHECK(th_has(why, "nan V is not a voltage that can be set"));
    T_CHECK(pmlin_encode16(INFINITY, -9, INFINITY, &raw, why, sizeof why) != 0);
    T_CHECK(pmlin_encode16(-0.1, -9, 2, &raw, why, sizeof why) != 0);
    T_CHECK(th_has(why, "-0.1 V is not a voltage"));
    T_CHECK(pmlin_encode16(1.3, -9, 1.25, &raw, why, sizeof why) != 0);
    T_CHECK(th_has(why, "1.3 V is above the limit 1.25 V"));
    T_CHECK(pmlin_encode16(1.0, -9, NAN, &raw, why, sizeof why) != 0);
    T_CHECK(pmlin_encode16(200, -9, 1e9, &raw, why, sizeof why) != 0);
    T_CHECK(
        th_has(why, "does not fit LINEAR16 at exponent -9 (at most 127.998"));
}

/* ---- the plugin ------------------------------------------------------- */

static void test_inventory_and_read(void)
{
    static const char *names[NSIG] = {"vin", "vout", "iout", "pout", "temp"};
    static const char *units[NSIG] = {"V", "V", "A", "W", "C"};
    static const double want[NSIG] = {12.0, 1.0, 15.25, 15.25, 45.5};
    double v[NSIG];
    uint8_t ok[NSIG];
    struct emu e;
    struct plug *p = load_one(&e);

    if (!p)
        return;
    T_STREQ(e.opened, "/emu/dev/i2c-1");
    T_CHECK(th_has(th_logbuf, "1 of 1 devices, 5 signals, 1 vout "
                              "controls under /emu/dev"));
    T_CHECK(p->inv.n_devices == 1 && p->inv.n_signals == NSIG &&
            p->inv.n_controls == 1);
    if (p->inv.n_devices != 1 || p->inv.n_signals != NSIG ||
        p->inv.n_controls != 1)
        goto out;
    T_STREQ(p->inv.devices[0].name, "pmbus-1-0040");
    T_STREQ(p->inv.devices[0].kind, "converter");
    for (int k = 0; k < NSIG; k++) {
        T_STREQ(p->inv.signals[k].name, names[k]);
        T_STREQ(p->inv.signals[k].unit, units[k]);
        T_CHECK(p->inv.signals[k].behaviour == WATTSON_GAUGE);
        T_CHECK(th_has(p->inv.signals[k].description, "(i2c-1 0x40)"));
    }
    T_CHECK(th_has(p->inv.signals[S_IOUT].description,
                   "output current, READ_IOUT (0x8c), LINEAR11"));
    T_STREQ(p->inv.controls[0].name, "vout");
    T_STREQ(p->inv.controls[0].unit, "V");
    /* Limits: VOUT_MARGIN_LOW .. min(VOUT_MAX 1.25, MARGIN_HIGH 1.125). */
    T_NEAR(p->inv.controls[0].min, 0.875, 0);
    T_NEAR(p->inv.controls[0].max, 1.125, 0);
    T_NEAR(p->inv.controls[0].step, STEP, 0);
    T_CHECK(th_has(p->inv.controls[0].description,
                   "0.875 V (VOUT_MARGIN_LOW) .. 1.125 V (VOUT_MARGIN_HIGH)"));

    memset(ok, 7, sizeof ok);
    T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
    for (int k = 0; k < NSIG; k++) {
        T_CHECK(ok[k] == 1);
        T_NEAR(v[k], want[k], 0);
    }
    /* Negative current and power (a converter sinking) are readings. */
    e.dev[0].reg[PMBUS_READ_IOUT] = emu_l11(-3.5);
    e.dev[0].reg[PMBUS_READ_POUT] = emu_l11(-3.5);
    T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
    T_CHECK(ok[S_IOUT] && ok[S_POUT]);
    T_NEAR(v[S_IOUT], -3.5, 0);
    T_NEAR(v[S_POUT], -3.5, 0);
out:
    plug_close(p);
    T_CHECK(e.open_handles == 0);
}

static void test_nack(void)
{
    double v[NSIG];
    uint8_t ok[NSIG];
    struct emu e;
    struct plug *p = load_one(&e);
    const char *msg = "pmbus-1-0040 (i2c-1 0x40): READ_IOUT (0x8c): no "
                      "acknowledge (NACK); invalid until it reads again";

    if (!p)
        return;
    th_log_clear();
    e.dev[0].nack[PMBUS_READ_IOUT] = 1;
    for (int i = 0; i < 3; i++) {
        T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
        T_CHECK(ok[S_IOUT] == 0);
        T_CHECK(isnan(v[S_IOUT]));
        T_CHECK(ok[S_VIN] && ok[S_VOUT] && ok[S_POUT] && ok[S_TEMP]);
    }
    /* Logged once, not every tick. */
    T_CHECK(dt_count(th_logbuf, msg) == 1);
    e.dev[0].nack[PMBUS_READ_IOUT] = 0;
    T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
    T_CHECK(ok[S_IOUT] == 1);
    T_NEAR(v[S_IOUT], 15.25, 0);
    T_CHECK(th_has(th_logbuf, "pmbus-1-0040 (i2c-1 0x40): READ_IOUT (0x8c) "
                              "reads again"));
    /* A device that NACKs everything: every reading invalid, read fails. */
    memset(e.dev[0].nack, 1, sizeof e.dev[0].nack);
    T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_ERR);
    for (int k = 0; k < NSIG; k++)
        T_CHECK(ok[k] == 0);
    plug_close(p);
}

static void test_pec(void)
{
    double v[NSIG];
    uint8_t ok[NSIG];
    struct emu e;
    struct plug *p = load_one(&e);
    unsigned before;

    if (!p)
        return;
    th_log_clear();
    /* One mismatch: retried, and the reading is good. */
    e.dev[0].pec_bad[PMBUS_READ_VIN] = 1;
    before = e.dev[0].xfers[PMBUS_READ_VIN];
    T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
    T_CHECK(ok[S_VIN] == 1);
    T_NEAR(v[S_VIN], 12.0, 0);
    T_CHECK(e.dev[0].xfers[PMBUS_READ_VIN] - before == 2);
    T_CHECK(strstr(th_logbuf, "PEC") == NULL); /* a retried one: no log */
    /* Two: invalid, tried exactly twice, named. */
    e.dev[0].pec_bad[PMBUS_READ_VIN] = 2;
    before = e.dev[0].xfers[PMBUS_READ_VIN];
    T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
    T_CHECK(ok[S_VIN] == 0);
    T_CHECK(e.dev[0].xfers[PMBUS_READ_VIN] - before == 2);
    T_CHECK(th_has(th_logbuf, "pmbus-1-0040 (i2c-1 0x40): READ_VIN (0x88): "
                              "PEC mismatch, twice"));
    /* The next tick reads again (the fault was transient). */
    T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
    T_CHECK(ok[S_VIN] == 1);
    plug_close(p);
}

static void test_out_of_range(void)
{
    static const struct {
        int sig;
        uint8_t cmd;
        uint16_t raw;
        const char *why;
    } bad[] = {
        /* VOUT far above VOUT_MAX 1.25 V (1.5 V). */
        {S_VOUT, PMBUS_READ_VOUT, 768,
         "READ_VOUT (0x8b): 1.5 V is above VOUT_MAX 1.25 V: out of range"},
        /* The idle bus. */
        {S_VIN, PMBUS_READ_VIN, 0xffff,
         "READ_VIN (0x88): 0xffff, the idle bus: out of range"},
        {S_VOUT, PMBUS_READ_VOUT, 0xffff, "READ_VOUT (0x8b): 0xffff"},
        /* Largest exponent: 1023 * 2^15 degrees. */
        {S_TEMP, PMBUS_READ_TEMPERATURE_1, 0x7bff,
         "READ_TEMPERATURE_1 (0x8d): 3.35217e+07 C is outside [-55, 200]: "
         "out of range"},
        /* A negative input voltage. */
        {S_VIN, PMBUS_READ_VIN, 0x07ff, "READ_VIN (0x88): -1 V is outside"},
        {S_POUT, PMBUS_READ_POUT, 0x7c00, "READ_POUT (0x96): -3.35544e+07 W"},
        {S_IOUT, PMBUS_READ_IOUT, 0x1400, "READ_IOUT (0x8c): -4096 A"},
    };
    double v[NSIG];
    uint8_t ok[NSIG];
    struct emu e;
    struct plug *p = load_one(&e);

    if (!p)
        return;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint16_t keep = e.dev[0].reg[bad[i].cmd];

        th_log_clear();
        e.dev[0].reg[bad[i].cmd] = bad[i].raw;
        T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
        T_CHECK(ok[bad[i].sig] == 0);
        T_CHECK(isnan(v[bad[i].sig]));
        T_CHECK(th_has(th_logbuf, bad[i].why));
        e.dev[0].reg[bad[i].cmd] = keep;
        T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
        T_CHECK(ok[bad[i].sig] == 1);
    }
    /* Within the 5 % slack above VOUT_MAX: still a reading (1.3125 V). */
    e.dev[0].reg[PMBUS_READ_VOUT] = 672;
    T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
    T_CHECK(ok[S_VOUT] == 1);
    T_NEAR(v[S_VOUT], 1.3125, 0);
    e.dev[0].reg[PMBUS_READ_VOUT] = 673;
    T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
    T_CHECK(ok[S_VOUT] == 0);
    /* read_controls: a VOUT_COMMAND above VOUT_MAX is never passed on. */
    {
        double c = 0;
        uint8_t cok = 7;

        e.dev[0].reg[PMBUS_VOUT_COMMAND] = 641;
        T_CHECK(p->desc->read_controls(p->state, &c, &cok, 1) == WATTSON_OK);
        T_CHECK(cok == 0);
        T_CHECK(th_has(th_logbuf, "VOUT_COMMAND (0x21): 1.25195 V is above "
                                  "1.25 V: out of range"));
        e.dev[0].reg[PMBUS_VOUT_COMMAND] = 512;
        T_CHECK(p->desc->read_controls(p->state, &c, &cok, 1) == WATTSON_OK);
        T_CHECK(cok == 1);
        T_NEAR(c, 1.0, 0);
    }
    plug_close(p);
}

static void test_discovery(void)
{
    static const char *const two[] = {"1:0x40", "i2c-1:0x41"};
    static const char *const absent[] = {"1:0x50"};
    static const char *const nobus[] = {"3:0x40"};
    char err[1024];
    struct plug *p;
    struct emu e;
    struct emu_dev *d;
    int rc;

    /* VID mode: left out, named; the linear one next to it loads. */
    memset(&e, 0, sizeof e);
    emu_add(&e, 1, 0x40)->reg[PMBUS_VOUT_MODE] = 0x20 | 0x17;
    emu_add(&e, 1, 0x41);
    emu_devices(two, 2, "/emu");
    if ((p = load_ok(&e)) != NULL) {
        T_CHECK(p->inv.n_devices == 1);
        T_STREQ(p->inv.devices[0].name, "pmbus-1-0041");
        T_CHECK(th_has(th_logbuf, "left out i2c-1 0x40: VOUT_MODE "
                                  "0x37: VID mode is not supported"));
        T_CHECK(p->inv.n_signals == NSIG && p->inv.signals[0].device == 0);
        plug_close(p);
    }
    T_CHECK(e.open_handles == 0);
    /* Only the VID one: nothing found, the reason in the error. */
    e.n = 1;
    emu_devices(two, 1, "/emu");
    rc = emu_load(&e, &p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT);
    T_CHECK(th_has(err, "pmbus: no PMBus device answered (i2c-1 0x40: "
                        "VOUT_MODE 0x37: VID mode is not supported"));
    /* Direct mode, the same. */
    e.dev[0].reg[PMBUS_VOUT_MODE] = 0x40 | 0x17;
    rc = emu_load(&e, &p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT);
    T_CHECK(th_has(err, "direct mode is not supported"));
    /* An address nobody answers: NACK on VOUT_MODE. */
    memset(&e, 0, sizeof e);
    emu_add(&e, 1, 0x40);
    emu_devices(absent, 1, "/emu");
    rc = emu_load(&e, &p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT);
    T_CHECK(th_has(err, "i2c-1 0x50: VOUT_MODE (0x20): no acknowledge (NACK)"));
    T_CHECK(e.open_handles == 0);
    /* A bus that does not exist: the path and errno. */
    emu_devices(nobus, 1, "/emu");
    rc = emu_load(&e, &p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT);
    T_CHECK(
        th_has(err, "i2c-3 0x40: cannot open /emu/dev/i2c-3: No such file"));
    /* Several left out and none found: every reason in the one error,
     * no warning lines besides it. */
    {
        static const char *const both[] = {"3:0x40", "1:0x50"};

        emu_devices(both, 2, "/emu");
        rc = emu_load(&e, &p, err, sizeof err);
        T_CHECK(rc == PLUG_ERR_ABSENT);
        T_CHECK(th_has(err, "/emu/dev/i2c-3: No such file or directory; "
                            "i2c-1 0x50: VOUT_MODE (0x20): no acknowledge "
                            "(NACK))"));
        T_CHECK(strstr(th_logbuf, "left out") == NULL);
    }
    /* PEC on VOUT_MODE once: retried, found. */
    d = &e.dev[0];
    d->pec_bad[PMBUS_VOUT_MODE] = 1;
    emu_devices(one_dev, 1, "/emu");
    if ((p = load_ok(&e)) != NULL)
        plug_close(p);
    /* A relative root is the lab's directory's ("/lab"). */
    emu_devices(one_dev, 1, "rig");
    if ((p = load_ok(&e)) != NULL)
        plug_close(p);
    T_STREQ(e.opened, "/lab/rig/dev/i2c-1");
}

static void test_config(void)
{
    static const struct {
        const char *dev;
        const char *why;
    } bad[] = {
        {"1:0x90", "config key 'devices.1': expected \"BUS:ADDR\" (\"1:0x40\"; "
                   "address 0x08..0x77), got \"1:0x90\""},
        {"1:0x07", "got \"1:0x07\""},
        {"x:0x40", "got \"x:0x40\""},
        {"1", "got \"1\""},
        {"1:0x40z", "got \"1:0x40z\""},
        {"-1:0x40", "got \"-1:0x40\""},
        {"1:", "got \"1:\""},
    };
    static const char *const dup[] = {"1:0x40", "i2c-1:64"};
    static struct th_cfg num[] = {{"devices", WATTSON_CFG_NUMBER, 7, NULL, 0}};
    static struct th_cfg str[] = {
        {"devices", WATTSON_CFG_STRING, 0, "i2c-1:0x40", 0}};
    char err[1024];
    struct plug *p;
    struct emu e;
    int rc;

    memset(&e, 0, sizeof e);
    emu_add(&e, 1, 0x40);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        emu_devices(&bad[i].dev, 1, NULL);
        rc = emu_load(&e, &p, err, sizeof err);
        T_CHECK(rc == PLUG_ERR_CONFIG);
        T_CHECK(th_has(err, bad[i].why));
    }
    emu_devices(dup, 2, NULL);
    rc = emu_load(&e, &p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_CONFIG);
    T_CHECK(th_has(err, "config key 'devices.2': i2c-1 0x40 is listed twice"));
    /* Nothing configured: absent (never probed), saying how to. */
    emu_devices(NULL, 0, NULL);
    rc = emu_load(&e, &p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT);
    T_CHECK(th_has(err, "pmbus: no devices configured (lab key 'devices', "
                        "e.g. { \"1:0x40\" }); PMBus devices are never "
                        "probed"));
    T_CHECK(e.dev[0].xfers[PMBUS_VOUT_MODE] == 0);
    memcpy(emu_cfg, num, sizeof num);
    emu_ncfg = 1;
    rc = emu_load(&e, &p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_CONFIG);
    T_CHECK(th_has(err, "expected a list of \"BUS:ADDR\" strings, got number"));
    /* One string is a list of one; no root: the real /dev. */
    memcpy(emu_cfg, str, sizeof str);
    emu_ncfg = 1;
    unsetenv("WATTSON_SYSFS_ROOT");
    if ((p = load_ok(&e)) != NULL)
        plug_close(p);
    T_STREQ(e.opened, "/dev/i2c-1");
}

/* The control's range when limits are missing or odd. */
static void test_limits(void)
{
    double v[NSIG];
    uint8_t ok[NSIG];
    struct plug *p;
    struct emu e;
    struct emu_dev *d;

    memset(&e, 0, sizeof e);
    d = emu_add(&e, 1, 0x40);
    emu_devices(one_dev, 1, "/emu");
    /* No VOUT_MARGIN_HIGH: VOUT_MAX; no VOUT_MARGIN_LOW: VOUT_COMMAND. */
    d->has[PMBUS_VOUT_MARGIN_HIGH] = d->has[PMBUS_VOUT_MARGIN_LOW] = 0;
    d->reg[PMBUS_VOUT_COMMAND] = emu_l16(0.9375, -9);
    if ((p = load_ok(&e)) != NULL) {
        T_CHECK(p->inv.n_controls == 1);
        T_NEAR(p->inv.controls[0].min, 0.9375, 0);
        T_NEAR(p->inv.controls[0].max, 1.25, 0);
        T_CHECK(th_has(p->inv.controls[0].description,
                       "0.9375 V (VOUT_COMMAND at start, no VOUT_MARGIN_LOW) "
                       ".. 1.25 V (VOUT_MAX, no VOUT_MARGIN_HIGH)"));
        plug_close(p);
    }
    /* A margin above VOUT_MAX: VOUT_MAX bounds it. */
    d->has[PMBUS_VOUT_MARGIN_HIGH] = d->has[PMBUS_VOUT_MARGIN_LOW] = 1;
    d->reg[PMBUS_VOUT_MARGIN_HIGH] = emu_l16(1.3125, -9);
    if ((p = load_ok(&e)) != NULL) {
        T_NEAR(p->inv.controls[0].min, 0.875, 0);
        T_NEAR(p->inv.controls[0].max, 1.25, 0);
        plug_close(p);
    }
    /* Margin low above the high one: no control, and why. */
    d->reg[PMBUS_VOUT_MARGIN_HIGH] = emu_l16(1.125, -9);
    d->reg[PMBUS_VOUT_MARGIN_LOW] = emu_l16(1.1875, -9);
    if ((p = load_ok(&e)) != NULL) {
        T_CHECK(p->inv.n_controls == 0);
        T_CHECK(th_has(th_logbuf, "pmbus-1-0040: lowest setting "
                                  "1.1875 V is above the highest 1.125 V; no "
                                  "control"));
        plug_close(p);
    }
    /* No VOUT_MAX (NACK): readings but no control. */
    d->reg[PMBUS_VOUT_MARGIN_LOW] = emu_l16(0.875, -9);
    d->nack[PMBUS_VOUT_MAX] = 1;
    if ((p = load_ok(&e)) != NULL) {
        T_CHECK(p->inv.n_controls == 0 && p->inv.n_signals == NSIG);
        T_CHECK(th_has(th_logbuf, "no VOUT_MAX, so VOUT_COMMAND is not "
                                  "offered as a control"));
        T_CHECK(p->desc->write != NULL);
        /* Its VOUT_MODE still kept current for READ_VOUT. */
        emu_vout_mode(d, 0x16);
        T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
        T_CHECK(ok[S_VOUT] == 1);
        T_NEAR(v[S_VOUT], 1.0, 0);
        T_CHECK(th_has(th_logbuf, "(exponent -10, was -9); no VOUT_MAX\n"));
        emu_vout_mode(d, 0x17);
        plug_close(p);
    }
    /* VOUT_MAX 0xffff (the idle bus) is no VOUT_MAX either. */
    d->nack[PMBUS_VOUT_MAX] = 0;
    d->reg[PMBUS_VOUT_MAX] = 0xffff;
    if ((p = load_ok(&e)) != NULL) {
        T_CHECK(p->inv.n_controls == 0);
        plug_close(p);
    }
}

static void test_write(void)
{
    struct emu e;
    struct plug *p = load_one(&e);
    uint32_t idx = 0, bad_idx = 1;
    double v;
    int rc;

    if (!p)
        return;
    th_log_clear();
    /* In range: the nearest step, read back. 1.1 V = 563.2 -> 563. */
    v = 1.1;
    T_CHECK(p->desc->write(p->state, &idx, &v, 1) == WATTSON_OK);
    T_CHECK(e.dev[0].reg[PMBUS_VOUT_COMMAND] == 563);
    T_STREQ(e.wlog, "i2c-1 0x40 21=0233\n");
    /* Refused before the bus: NaN, infinite, negative, above VOUT_MAX. */
    {
        static const double no[] = {NAN, INFINITY, -0.5, 1.2539};
        static const char *why[] = {
            "pmbus-1-0040 (i2c-1 0x40): VOUT_COMMAND (0x21) not "
            "written: nan V is not a voltage that can be set",
            "inf V is not a voltage", "-0.5 V is not a voltage",
            "1.2539 V is above the limit 1.25 V"};

        for (size_t i = 0; i < 4; i++) {
            unsigned w = e.writes;

            v = no[i];
            T_CHECK(p->desc->write(p->state, &idx, &v, 1) ==
                    WATTSON_ERR_REJECTED);
            T_CHECK(e.writes == w);
            T_CHECK(e.dev[0].reg[PMBUS_VOUT_COMMAND] == 563);
            T_CHECK(th_has(th_logbuf, why[i]));
        }
    }
    /* No such control. */
    v = 1.0;
    T_CHECK(p->desc->write(p->state, &bad_idx, &v, 1) == WATTSON_ERR);
    /* At VOUT_MAX exactly: written (the hardware range, which a restore
     * may need; the policy range is the host's to enforce). */
    v = 1.25;
    T_CHECK(p->desc->write(p->state, &idx, &v, 1) == WATTSON_OK);
    T_CHECK(e.dev[0].reg[PMBUS_VOUT_COMMAND] == 640);
    /* A PEC mismatch on the write: retried once, written. */
    e.dev[0].pec_bad[PMBUS_VOUT_COMMAND] = 1;
    v = 1.0;
    T_CHECK(p->desc->write(p->state, &idx, &v, 1) == WATTSON_OK);
    T_CHECK(e.dev[0].reg[PMBUS_VOUT_COMMAND] == 512);
    /* Twice: an error, named. */
    e.dev[0].pec_bad[PMBUS_VOUT_COMMAND] = 2;
    v = 1.0625;
    T_CHECK(p->desc->write(p->state, &idx, &v, 1) == WATTSON_ERR);
    T_CHECK(th_has(th_logbuf, "writing VOUT_COMMAND (0x21) = 1.0625 V: PEC "
                              "mismatch, twice"));
    T_CHECK(e.dev[0].reg[PMBUS_VOUT_COMMAND] == 512);
    /* NACK: the device is gone (ENXIO). */
    e.dev[0].nack[PMBUS_VOUT_COMMAND] = 1;
    rc = p->desc->write(p->state, &idx, &v, 1);
    T_CHECK(rc == WATTSON_ERR_GONE);
    T_CHECK(th_has(th_logbuf, "= 1.0625 V: no acknowledge (NACK)"));
    e.dev[0].nack[PMBUS_VOUT_COMMAND] = 0;
    /* Write-protected: acknowledged, ignored, caught by the read-back. */
    e.dev[0].write_protect = 1;
    rc = p->desc->write(p->state, &idx, &v, 1);
    T_CHECK(rc == WATTSON_ERR_REJECTED);
    T_CHECK(th_has(th_logbuf, "VOUT_COMMAND (0x21) wrote 0x0220 (1.0625 V), "
                              "reads back 0x0200: the device refused or "
                              "clamped it"));
    plug_close(p);
}

/* ---- PEC by CAPABILITY ------------------------------------------------ */

/* Four devices on i2c-1: 0x40 with PEC, 0x41 without (CAPABILITY bit 7
 * clear, no PEC byte), 0x42 NACKing CAPABILITY, 0x43 answering it 0xff
 * (the idle bus); configured, `pec` not yet. */
static void pec_rig(struct emu *e)
{
    static const char *const four[] = {"1:0x40", "1:0x41", "1:0x42", "1:0x43"};

    memset(e, 0, sizeof *e);
    emu_add(e, 1, 0x40);
    emu_no_pec(emu_add(e, 1, 0x41));
    emu_add(e, 1, 0x42)->has[PMBUS_CAPABILITY] = 0;
    emu_add(e, 1, 0x43)->reg[PMBUS_CAPABILITY] = 0xff;
    emu_devices(four, 4, "/emu");
}

static void test_pec_auto(void)
{
    double v[4 * NSIG];
    uint8_t ok[4 * NSIG];
    struct emu e;
    struct plug *p;

    pec_rig(&e);
    if (!(p = load_ok(&e)))
        return;
    T_CHECK(p->inv.n_devices == 4);
    /* CAPABILITY asked once each; PEC on where bit 7 says so. */
    for (int i = 0; i < 4; i++)
        T_CHECK(e.dev[i].xfers[PMBUS_CAPABILITY] == 1);
    T_CHECK(e.dev[0].pec_on == 1);
    T_CHECK(e.dev[1].pec_on == 0 && e.dev[1].pec_calls == 0);
    T_CHECK(e.dev[2].pec_on == 0 && e.dev[3].pec_on == 0);
    /* One line for each device left without PEC, none for 0x40.  The
     * PEC-less one's CAPABILITY was read, so it was asked with PEC off. */
    T_CHECK(dt_count(th_logbuf, "CAPABILITY") == 3);
    T_CHECK(strstr(th_logbuf, "pmbus-1-0040 (i2c-1 0x40): CAPABILITY") == NULL);
    T_CHECK(th_has(th_logbuf, "pmbus-1-0041 (i2c-1 0x41): CAPABILITY (0x19) "
                              "0x30: no PEC support (bit 7 clear); PEC off "
                              "(pec = \"auto\"): its transfers are not "
                              "checked"));
    T_CHECK(th_has(th_logbuf, "pmbus-1-0042 (i2c-1 0x42): CAPABILITY (0x19): "
                              "no acknowledge (NACK); PEC off (pec = "
                              "\"auto\")"));
    T_CHECK(th_has(th_logbuf, "pmbus-1-0043 (i2c-1 0x43): CAPABILITY (0x19): "
                              "0xff, the idle bus; PEC off"));
    /* Every device reads, the PEC-less one included. */
    T_CHECK(p->desc->read(p->state, v, ok, 4 * NSIG) == WATTSON_OK);
    for (int i = 0; i < 4 * NSIG; i++)
        T_CHECK(ok[i] == 1);
    T_NEAR(v[NSIG + S_VIN], 12.0, 0);
    T_NEAR(v[NSIG + S_VOUT], 1.0, 0);
    /* PEC is really on for 0x40: a corrupted PEC byte is caught there,
     * and cannot be on 0x41, which sends none. */
    e.dev[0].pec_bad[PMBUS_READ_VIN] = 2;
    e.dev[1].pec_bad[PMBUS_READ_VIN] = 2;
    T_CHECK(p->desc->read(p->state, v, ok, 4 * NSIG) == WATTSON_OK);
    T_CHECK(ok[S_VIN] == 0 && ok[NSIG + S_VIN] == 1);
    plug_close(p);
    T_CHECK(e.open_handles == 0);
}

static void test_pec_on_off(void)
{
    static const char *const pecless[] = {"1:0x41"};
    double v[4 * NSIG];
    uint8_t ok[4 * NSIG];
    char err[1024];
    struct emu e;
    struct plug *p;
    int rc;

    /* "on": forced, CAPABILITY never asked; the PEC-less device fails
     * its VOUT_MODE and is left out, saying why. */
    pec_rig(&e);
    emu_pec_cfg("on");
    if ((p = load_ok(&e)) != NULL) {
        T_CHECK(p->inv.n_devices == 3);
        for (int i = 0; i < 4; i++) {
            T_CHECK(e.dev[i].xfers[PMBUS_CAPABILITY] == 0);
            T_CHECK(e.dev[i].pec_calls == 1);
        }
        T_CHECK(th_has(th_logbuf, "left out i2c-1 0x41: VOUT_MODE (0x20): "
                                  "PEC mismatch, twice (pec = \"on\": does "
                                  "the device have PEC? \"auto\" asks its "
                                  "CAPABILITY)"));
        T_CHECK(strstr(th_logbuf, "CAPABILITY (0x19)") == NULL);
        plug_close(p);
    }
    /* Only the PEC-less one: nothing answered. */
    memset(&e, 0, sizeof e);
    emu_no_pec(emu_add(&e, 1, 0x41));
    emu_devices(pecless, 1, "/emu");
    emu_pec_cfg("on");
    rc = emu_load(&e, &p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT);
    T_CHECK(th_has(err, "pmbus: no PMBus device answered (i2c-1 0x41: "
                        "VOUT_MODE (0x20): PEC mismatch, twice"));
    T_CHECK(e.open_handles == 0);
    /* The same device with "auto" reads. */
    emu_devices(pecless, 1, "/emu");
    if ((p = load_ok(&e)) != NULL) {
        T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
        T_CHECK(ok[S_VOUT] == 1);
        T_NEAR(v[S_VOUT], 1.0, 0);
        plug_close(p);
    }
    /* "off": never on, never asked, no line about it; a corrupted PEC
     * byte goes unnoticed (nobody checks it). */
    pec_rig(&e);
    emu_pec_cfg("off");
    if ((p = load_ok(&e)) != NULL) {
        T_CHECK(p->inv.n_devices == 4);
        for (int i = 0; i < 4; i++) {
            T_CHECK(e.dev[i].xfers[PMBUS_CAPABILITY] == 0);
            T_CHECK(e.dev[i].pec_calls == 0 && e.dev[i].pec_on == 0);
        }
        T_CHECK(strstr(th_logbuf, "CAPABILITY") == NULL);
        e.dev[0].pec_bad[PMBUS_READ_VIN] = 2;
        T_CHECK(p->desc->read(p->state, v, ok, 4 * NSIG) == WATTSON_OK);
        for (int i = 0; i < 4 * NSIG; i++)
            T_CHECK(ok[i] == 1);
        plug_close(p);
    }
    /* "auto" spelled out is the default. */
    pec_rig(&e);
    emu_pec_cfg("auto");
    if ((p = load_ok(&e)) != NULL) {
        T_CHECK(e.dev[0].pec_on == 1 && e.dev[1].pec_on == 0);
        plug_close(p);
    }
}

static void test_pec_config(void)
{
    static const struct {
        struct th_cfg c;
        const char *got;
    } bad[] = {
        {{"pec", WATTSON_CFG_STRING, 0, "maybe", 0}, "got \"maybe\""},
        {{"pec", WATTSON_CFG_STRING, 0, "ON", 0}, "got \"ON\""},
        {{"pec", WATTSON_CFG_STRING, 0, "", 0}, "got \"\""},
        {{"pec", WATTSON_CFG_BOOL, 0, NULL, 1}, "got boolean"},
        {{"pec", WATTSON_CFG_NUMBER, 1, NULL, 0}, "got number"},
    };
    char err[1024];
    struct plug *p;
    struct emu e;
    int rc;

    memset(&e, 0, sizeof e);
    emu_add(&e, 1, 0x40);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[256];

        emu_devices(one_dev, 1, "/emu");
        emu_cfg[emu_ncfg++] = bad[i].c;
        th_log_clear();
        rc = emu_load(&e, &p, err, sizeof err);
        T_CHECK(rc == PLUG_ERR_CONFIG);
        snprintf(want, sizeof want,
                 "pmbus: config key 'pec': expected \"auto\" (PEC where the "
                 "device's CAPABILITY says it has it), \"on\" or \"off\", "
                 "%s",
                 bad[i].got);
        T_CHECK(th_has(err, want));
        /* One line, nothing logged besides it, nothing sent. */
        T_CHECK(strchr(err, '\n') == NULL);
        T_CHECK(th_logbuf[0] == '\0');
        T_CHECK(e.dev[0].xfers[PMBUS_VOUT_MODE] == 0 &&
                e.dev[0].xfers[PMBUS_CAPABILITY] == 0);
        T_CHECK(e.open_handles == 0);
    }
    /* A bad value is a lab error even with no devices listed. */
    emu_devices(NULL, 0, NULL);
    emu_pec_cfg("yes");
    rc = emu_load(&e, &p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_CONFIG);
    T_CHECK(th_has(err, "config key 'pec'"));
}

/* ---- VOUT_MODE kept current ------------------------------------------- */

static void test_vout_mode_change(void)
{
    const char *changed = "pmbus-1-0040 (i2c-1 0x40): VOUT_MODE (0x20) "
                          "changed from 0x17 to 0x16: output voltage now in "
                          "0.000976562 V steps (exponent -10, was -9); "
                          "VOUT_MAX 1.25 V, vout range 0.875 .. 1.125 V\n";
    double v[NSIG], c = 0;
    uint8_t ok[NSIG], cok = 0;
    uint32_t idx = 0;
    struct emu e;
    struct plug *p = load_one(&e);
    struct emu_dev *d = &e.dev[0];
    unsigned before;

    if (!p)
        return;
    th_log_clear();
    /* Every read asks VOUT_MODE once, before READ_VOUT. */
    before = d->xfers[PMBUS_VOUT_MODE];
    T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
    T_CHECK(d->xfers[PMBUS_VOUT_MODE] - before == 1);
    /* Finer: 1.0 V out is now 1024, which at the old 2^-9 would read
     * 2 V (above VOUT_MAX, invalid). */
    emu_vout_mode(d, 0x16);
    T_CHECK(d->reg[PMBUS_READ_VOUT] == 1024);
    for (int i = 0; i < 3; i++) {
        T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
        T_CHECK(ok[S_VOUT] == 1);
        T_NEAR(v[S_VOUT], 1.0, 0);
    }
    T_CHECK(dt_count(th_logbuf, changed) == 1);
    /* The next write is encoded at 2^-10: 1.1 V = 1126.4 -> 1126. */
    v[0] = 1.1;
    T_CHECK(p->desc->write(p->state, &idx, v, 1) == WATTSON_OK);
    T_STREQ(e.wlog, "i2c-1 0x40 21=0466\n");
    T_CHECK(p->desc->read_controls(p->state, &c, &cok, 1) == WATTSON_OK);
    T_CHECK(cok == 1);
    T_NEAR(c, 1126.0 / 1024, 0);
    /* Coarser, straight before a write with no read between: the write
     * itself confirms VOUT_MODE (1.1 V at 2^-8 = 281.6 -> 282). */
    d->reg[PMBUS_VOUT_COMMAND] = emu_l16(1.0, -10);
    emu_vout_mode(d, 0x18);
    th_log_clear();
    T_CHECK(p->desc->write(p->state, &idx, v, 1) == WATTSON_OK);
    T_STREQ(e.wlog, "i2c-1 0x40 21=0466\ni2c-1 0x40 21=011a\n");
    T_CHECK(th_has(th_logbuf, "VOUT_MODE (0x20) changed from 0x16 to 0x18: "
                              "output voltage now in 0.00390625 V steps "
                              "(exponent -8, was -10)"));
    /* A change that moves the limits too: the new VOUT_MAX is the write
     * ceiling at once, and the new range is reported beside the one the
     * policies keep. */
    emu_vout_mode(d, 0x17);
    d->reg[PMBUS_VOUT_MAX] = emu_l16(1.1875, -9);
    d->reg[PMBUS_VOUT_MARGIN_HIGH] = emu_l16(1.0625, -9);
    th_log_clear();
    T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
    T_CHECK(th_has(th_logbuf, "VOUT_MODE (0x20) changed from 0x18 to 0x17: "
                              "output voltage now in 0.00195312 V steps "
                              "(exponent -9, was -8); VOUT_MAX 1.1875 V, vout "
                              "range 0.875 .. 1.0625 V (policies keep 0.875 "
                              ".. 1.125 V, the range offered at start)"));
    v[0] = 1.2;
    T_CHECK(p->desc->write(p->state, &idx, v, 1) == WATTSON_ERR_REJECTED);
    T_CHECK(th_has(th_logbuf, "1.2 V is above the limit 1.1875 V"));
    T_CHECK(e.writes == 2);
    plug_close(p);
}

static void test_vout_mode_lost(void)
{
    double v[NSIG], c = 0;
    uint8_t ok[NSIG], cok = 7;
    uint32_t idx = 0;
    struct emu e;
    struct plug *p = load_one(&e);
    struct emu_dev *d = &e.dev[0];

    if (!p)
        return;
    th_log_clear();
    /* Unreadable: the write is refused before VOUT_COMMAND is touched. */
    d->nack[PMBUS_VOUT_MODE] = 1;
    v[0] = 1.1;
    T_CHECK(p->desc->write(p->state, &idx, v, 1) == WATTSON_ERR_GONE);
    T_CHECK(d->xfers[PMBUS_VOUT_COMMAND] == 0 && e.writes == 0);
    T_CHECK(th_has(th_logbuf, "pmbus-1-0040 (i2c-1 0x40): VOUT_COMMAND "
                              "(0x21) = 1.1 V not written: VOUT_MODE (0x20): "
                              "no acknowledge (NACK)"));
    /* Reads: vout invalid (logged once), the others go on. */
    for (int i = 0; i < 3; i++) {
        T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
        T_CHECK(ok[S_VOUT] == 0 && isnan(v[S_VOUT]));
        T_CHECK(ok[S_VIN] && ok[S_IOUT] && ok[S_POUT] && ok[S_TEMP]);
    }
    T_CHECK(dt_count(th_logbuf, "READ_VOUT (0x8b): VOUT_MODE (0x20): no "
                                "acknowledge (NACK); invalid until it reads "
                                "again") == 1);
    T_CHECK(p->desc->read_controls(p->state, &c, &cok, 1) == WATTSON_OK);
    T_CHECK(cok == 0 && isnan(c));
    /* A PEC mismatch twice on it: an error, not written. */
    d->nack[PMBUS_VOUT_MODE] = 0;
    d->pec_bad[PMBUS_VOUT_MODE] = 2;
    v[0] = 1.1;
    T_CHECK(p->desc->write(p->state, &idx, v, 1) == WATTSON_ERR);
    T_CHECK(e.writes == 0);
    /* No longer linear: refused, with the mode named. */
    d->reg[PMBUS_VOUT_MODE] = 0x20 | 0x17;
    T_CHECK(p->desc->write(p->state, &idx, v, 1) == WATTSON_ERR_REJECTED);
    T_CHECK(th_has(th_logbuf, "VOUT_COMMAND (0x21) = 1.1 V not written: "
                              "VOUT_MODE 0x37: VID mode is not supported"));
    T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
    T_CHECK(ok[S_VOUT] == 0);
    /* Linear at another exponent, but VOUT_MAX does not answer at it:
     * not taken (VOUT_MAX is the ceiling), so refused. */
    d->reg[PMBUS_VOUT_MODE] = 0x17;
    emu_vout_mode(d, 0x16);
    d->nack[PMBUS_VOUT_MAX] = 1;
    T_CHECK(p->desc->write(p->state, &idx, v, 1) == WATTSON_ERR_REJECTED);
    T_CHECK(th_has(th_logbuf, "not written: VOUT_MODE (0x20) is 0x16, was "
                              "0x17, and VOUT_MAX (0x24) at its exponent: no "
                              "acknowledge (NACK)"));
    T_CHECK(e.writes == 0 && d->xfers[PMBUS_VOUT_COMMAND] == 0);
    /* VOUT_MAX back: taken, and the next write goes at 2^-10. */
    d->nack[PMBUS_VOUT_MAX] = 0;
    T_CHECK(p->desc->read(p->state, v, ok, NSIG) == WATTSON_OK);
    T_CHECK(ok[S_VOUT] == 1);
    T_NEAR(v[S_VOUT], 1.0, 0);
    T_CHECK(th_has(th_logbuf, "READ_VOUT (0x8b) reads again"));
    v[0] = 1.1;
    T_CHECK(p->desc->write(p->state, &idx, v, 1) == WATTSON_OK);
    T_STREQ(e.wlog, "i2c-1 0x40 21=0466\n");
    plug_close(p);
}

/* What the host does (pipeline/actuate.c): save with read_controls before
 * the first write, write, and on exit write the saved value back. */
static void test_save_restore(void)
{
    struct emu e;
    struct plug *p = load_one(&e);
    uint32_t idx = 0;
    double saved = 0, v;
    uint8_t ok = 0;

    if (!p)
        return;
    e.dev[0].reg[PMBUS_VOUT_COMMAND] = 500; /* 0.9765625 V, off-margin */
    T_CHECK(p->desc->read_controls(p->state, &saved, &ok, 1) == WATTSON_OK);
    T_CHECK(ok == 1);
    T_NEAR(saved, 500.0 / 512, 0);
    v = 1.0625;
    T_CHECK(p->desc->write(p->state, &idx, &v, 1) == WATTSON_OK);
    T_CHECK(e.dev[0].reg[PMBUS_VOUT_COMMAND] == 544);
    T_CHECK(p->desc->write(p->state, &idx, &saved, 1) == WATTSON_OK);
    T_CHECK(e.dev[0].reg[PMBUS_VOUT_COMMAND] == 500);
    T_STREQ(e.wlog, "i2c-1 0x40 21=0220\ni2c-1 0x40 21=01f4\n");
    plug_close(p);
}

int main(void)
{
    test_decode();
    test_vout_mode();
    test_encode();
    test_inventory_and_read();
    test_nack();
    test_pec();
    test_out_of_range();
    test_discovery();
    test_config();
    test_limits();
    test_write();
    test_save_restore();
    test_pec_auto();
    test_pec_on_off();
    test_pec_config();
    test_vout_mode_change();
    test_vout_mode_lost();
    return t_done("test_pmbus");
}

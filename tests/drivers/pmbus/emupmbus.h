/*
 * emupmbus.h - an emulated PMBus bus for the pmbus driver's tests: up to
 * EMU_MAX_DEVS devices, each a register file of word commands (VOUT_MODE
 * and CAPABILITY bytes), with faults to inject per command: NACK, a PEC
 * mismatch on the next N transfers, a write-protected VOUT_COMMAND.
 * PEC is per handle as on i2c-dev: off at open, turned on through the
 * ops' pec.  A device with PEC (CAPABILITY bit 7, emu_add's default)
 * works either way; one without (emu_no_pec) sends no PEC byte, so with
 * PEC on its reads fail as the kernel fails them, -EBADMSG (the byte the
 * adapter clocks in is the idle bus's 0xff, not the CRC), and it NACKs
 * the PEC byte of a write.  VOUT_MODE can change mid-run: emu_vout_mode
 * re-expresses the output-voltage registers at the new exponent, as a
 * device does.  Its ops go into
 * pmbus.so through the exported pmbus_set_ops (drivers/pmbus/pmbus.h);
 * it behaves as i2c-dev does: opening a bus that has no /dev/i2c-N
 * fails with ENOENT, while opening an address where no device is
 * succeeds and every transfer to it is NACKed (-ENXIO).
 *
 * The values are put in with this file's own LINEAR11/LINEAR16
 * encoders (emu_l11, emu_l16), written from the specification and not
 * from drivers/pmbus/pmlin.c, so a wrong decoder cannot agree with
 * itself.  Header-only (static inline), for test_pmbus and
 * test_pmbus_host.
 */
#ifndef WATTSON_EMUPMBUS_H
#define WATTSON_EMUPMBUS_H

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfcn.h>

#include "../../../drivers/pmbus/pmbus.h"
#include "drvtest.h"

#define EMU_MAX_DEVS 4
#define EMU_NBUS 8

struct emu_dev {
    int bus;
    unsigned addr;
    uint16_t reg[256];
    uint8_t has[256];    /* the device implements the command */
    uint8_t nack[256];   /* NACK it */
    int pec_bad[256];    /* the next pec_bad transfers of it fail PEC */
    int write_protect;   /* VOUT_COMMAND writes acknowledged but ignored */
    int no_pec;          /* the device has no PEC: it never sends the byte */
    int pec_on;          /* PEC on its handle (the driver's choice) */
    unsigned pec_calls;  /* the ops' pec called for it */
    unsigned xfers[256]; /* transfers of each command, failed ones too */
};

struct emu {
    struct emu_dev dev[EMU_MAX_DEVS];
    size_t n;
    uint8_t bus_exists[EMU_NBUS];
    char opened[256]; /* the last path opened */
    int open_handles;
    unsigned writes; /* write transfers that changed a register */
    char wlog[1024]; /* "i2c-1 0x40 21=0233\n" per applied write */
};

/* LINEAR11 word for v, exact: the largest exponent whose mantissa is an
 * integer of at most 10 bits and a sign; aborts when v has none. */
static inline uint16_t emu_l11(double v)
{
    for (int n = 15; n >= -16; n--) {
        double m = ldexp(v, -n);

        if (m == floor(m) && m >= -1024 && m <= 1023)
            return (uint16_t)(((unsigned)(n & 0x1f) << 11) |
                              ((unsigned)(int)m & 0x7ffu));
    }
    fprintf(stderr, "emu_l11: %g has no exact LINEAR11 word\n", v);
    abort();
}

/* LINEAR16 word for v at exponent e, exact, else abort. */
static inline uint16_t emu_l16(double v, int e)
{
    double m = ldexp(v, -e);

    if (m != floor(m) || m < 0 || m > 65535) {
        fprintf(stderr, "emu_l16: %g has no exact word at 2^%d\n", v, e);
        abort();
    }
    return (uint16_t)m;
}

/* CAPABILITY of emu_add's regulator: PEC (bit 7), 400 kHz (bits 6:5 =
 * 01), SMBALERT# (bit 4). */
#define EMU_CAP_PEC 0xb0
/* The same without PEC, as emu_no_pec sets it. */
#define EMU_CAP_NO_PEC 0x30

/* A PMBus regulator on bus `bus` at `addr`: CAPABILITY EMU_CAP_PEC,
 * VOUT_MODE linear, exponent -9 (1/512 V), VOUT_COMMAND 1.0 V, VOUT_MAX
 * 1.25 V, margins 1.125 and 0.875 V; reading 12 V in, 1.0 V out,
 * 15.25 A, 15.25 W, 45.5 C. */
static inline struct emu_dev *emu_add(struct emu *e, int bus, unsigned addr)
{
    struct emu_dev *d = &e->dev[e->n++];

    memset(d, 0, sizeof *d);
    d->bus = bus;
    d->addr = addr;
    e->bus_exists[bus] = 1;
    d->reg[PMBUS_CAPABILITY] = EMU_CAP_PEC;
    d->reg[PMBUS_VOUT_MODE] = 0x17; /* linear, -9 */
    d->reg[PMBUS_VOUT_COMMAND] = emu_l16(1.0, -9);
    d->reg[PMBUS_VOUT_MAX] = emu_l16(1.25, -9);
    d->reg[PMBUS_VOUT_MARGIN_HIGH] = emu_l16(1.125, -9);
    d->reg[PMBUS_VOUT_MARGIN_LOW] = emu_l16(0.875, -9);
    d->reg[PMBUS_READ_VIN] = emu_l11(12.0);
    d->reg[PMBUS_READ_VOUT] = emu_l16(1.0, -9);
    d->reg[PMBUS_READ_IOUT] = emu_l11(15.25);
    d->reg[PMBUS_READ_POUT] = emu_l11(15.25);
    d->reg[PMBUS_READ_TEMPERATURE_1] = emu_l11(45.5);
    for (int c = 0; c < 256; c++)
        d->has[c] = d->reg[c] != 0;
    return d;
}

/* d as a device without PEC: CAPABILITY bit 7 clear, no PEC byte sent. */
static inline struct emu_dev *emu_no_pec(struct emu_dev *d)
{
    d->no_pec = 1;
    d->reg[PMBUS_CAPABILITY] = EMU_CAP_NO_PEC;
    return d;
}

/* VOUT_MODE becomes `mode`, linear: the output-voltage registers are
 * re-expressed at its exponent, the volts unchanged (exact, else
 * emu_l16 aborts), as a device does when its range or VOUT_SCALE
 * changes. */
static inline void emu_vout_mode(struct emu_dev *d, uint8_t mode)
{
    static const uint8_t fam[] = {PMBUS_VOUT_COMMAND, PMBUS_VOUT_MAX,
                                  PMBUS_VOUT_MARGIN_HIGH, PMBUS_VOUT_MARGIN_LOW,
                                  PMBUS_READ_VOUT};
    /* Bits 4:0, a five-bit two's complement exponent. */
    int from = ((d->reg[PMBUS_VOUT_MODE] & 0x1f) ^ 0x10) - 0x10;
    int to = ((mode & 0x1f) ^ 0x10) - 0x10;

    for (size_t i = 0; i < sizeof fam; i++)
        d->reg[fam[i]] = emu_l16(ldexp(d->reg[fam[i]], from), to);
    d->reg[PMBUS_VOUT_MODE] = mode;
}

static inline int emu_open(void *ctx, const char *path, unsigned addr)
{
    struct emu *e = ctx;
    const char *p = strrchr(path, '-');
    int bus = p ? atoi(p + 1) : -1;

    snprintf(e->opened, sizeof e->opened, "%s", path);
    if (bus < 0 || bus >= EMU_NBUS || !e->bus_exists[bus])
        return -ENOENT;
    e->open_handles++;
    for (size_t i = 0; i < e->n; i++)
        if (e->dev[i].bus == bus && e->dev[i].addr == addr) {
            e->dev[i].pec_on = 0; /* i2c-dev's default */
            return (int)i;
        }
    return 1000; /* an address nobody answers */
}

static inline int emu_pec(void *ctx, int h, int on)
{
    struct emu *e = ctx;

    if (h >= 0 && (size_t)h < e->n) {
        e->dev[h].pec_on = on;
        e->dev[h].pec_calls++;
    }
    return 0; /* i2c-dev's I2C_PEC only sets a flag */
}

static inline int emu_xfer(void *ctx, int h, int write, uint8_t cmd, size_t len,
                           uint16_t *val)
{
    struct emu *e = ctx;
    struct emu_dev *d;

    if (h < 0 || (size_t)h >= e->n)
        return -ENXIO;
    d = &e->dev[h];
    d->xfers[cmd]++;
    if (!d->has[cmd] || d->nack[cmd])
        return -ENXIO;
    /* A PEC byte the device never sends: the adapter reads 0xff. */
    if (d->pec_on && d->no_pec)
        return write ? -EREMOTEIO : -EBADMSG;
    /* A corrupted PEC byte is only noticed with PEC on. */
    if (d->pec_on && d->pec_bad[cmd] > 0) {
        d->pec_bad[cmd]--;
        return -EBADMSG;
    }
    if (!write) {
        *val = len == 1 ? (uint16_t)(d->reg[cmd] & 0xff) : d->reg[cmd];
        return 0;
    }
    if (cmd != PMBUS_VOUT_COMMAND || len != 2)
        return -ENXIO; /* the driver writes nothing else */
    if (!d->write_protect) {
        size_t n = strlen(e->wlog);

        d->reg[cmd] = *val;
        e->writes++;
        snprintf(e->wlog + n, sizeof e->wlog - n, "i2c-%d 0x%02x %02x=%04x\n",
                 d->bus, d->addr, cmd, *val);
    }
    return 0;
}

static inline void emu_close(void *ctx, int h)
{
    struct emu *e = ctx;

    (void)h;
    e->open_handles--;
}

static const struct pmbus_ops emu_ops = {emu_open, emu_pec, emu_xfer,
                                         emu_close};

/* The configuration of the next emu_load: `devices` (a list of up to six
 * strings), `root` "/emu" unless emu_root says otherwise, and `pec` when
 * emu_pec_cfg adds it. */
static struct th_cfg emu_cfg[9];
static size_t emu_ncfg;

static inline void emu_devices(const char *const *devs, size_t n,
                               const char *root)
{
    static char keys[6][16];

    emu_ncfg = 0;
    if (root)
        emu_cfg[emu_ncfg++] =
            (struct th_cfg){"root", WATTSON_CFG_STRING, 0, root, 0};
    if (n > 0)
        emu_cfg[emu_ncfg++] =
            (struct th_cfg){"devices", WATTSON_CFG_TABLE, 0, NULL, 0};
    for (size_t i = 0; i < n && i < 6; i++) {
        snprintf(keys[i], sizeof keys[i], "devices.%zu", i + 1);
        emu_cfg[emu_ncfg++] =
            (struct th_cfg){keys[i], WATTSON_CFG_STRING, 0, devs[i], 0};
    }
}

/* Adds `pec` = v (a string) to the configuration emu_devices made. */
static inline void emu_pec_cfg(const char *v)
{
    emu_cfg[emu_ncfg++] = (struct th_cfg){"pec", WATTSON_CFG_STRING, 0, v, 0};
}

/* pmbus.so through the real loader (drvtest.h's dt_open), the emulated
 * bus `e` put in through its exported pmbus_set_ops, then init with
 * emu_cfg.  Returns the plug_init class; *out on PLUG_OK. */
static inline int emu_load(struct emu *e, struct plug **out, char *err,
                           size_t errlen)
{
    struct wattson_host h;
    pmbus_set_ops_fn set;
    int rc = dt_open("pmbus", out, err, errlen);

    if (rc != PLUG_OK)
        return rc;
    set = (pmbus_set_ops_fn)dlsym((*out)->handle, PMBUS_SET_OPS);
    T_CHECK(set != NULL);
    if (!set) {
        plug_close(*out);
        *out = NULL;
        return PLUG_ERR_LOAD;
    }
    set(&emu_ops, e);
    th_host(&h, "/lab", emu_cfg, emu_ncfg);
    rc = plug_init(out, &h, err, errlen);
    /* The state keeps its ops; a later load sets them again.  (A failed
     * init has closed the .so, and `set` with it.) */
    if (rc == PLUG_OK)
        set(NULL, NULL);
    return rc;
}

#endif

/*
 * pmbus - PMBus power converters (voltage regulators, point-of-load and
 * bus converters) read and set over Linux i2c-dev as a wattson driver
 * plugin (issue 14's real-hardware path).
 *
 * Devices are never probed: the lab lists them, `devices = { "1:0x40",
 * "i2c-2:0x5a" }` (bus number, optionally "i2c-N", and 7-bit address
 * 0x08..0x77).  Probing addresses on a bus means sending commands to
 * chips of unknown kind, some of which treat a read as a write (the
 * reason i2cdetect asks first).  Each listed device is opened through
 * ROOT/dev/i2c-N (ROOT as every driver's: the lab's `root`, else
 * $WATTSON_SYSFS_ROOT, drvutil's drv_root) with PEC off, its PEC chosen
 * (below), and asked for VOUT_MODE; one that does not answer, or whose
 * VOUT_MODE is not linear, is left out with a warning naming bus,
 * address and reason.  None left: WATTSON_ERR_UNSUPPORTED with the
 * reasons.
 *
 * PEC, per device, from the lab's `pec`: "auto" (the default) asks the
 * device's CAPABILITY (0x19) with PEC off and turns PEC on only when bit 7
 * says the device supports it: a device without PEC sends no PEC byte, so
 * with PEC on every read from it would fail.  A device that does not
 * answer CAPABILITY (NACK, an error, or 0xff, the idle bus) gets PEC off
 * and a warning saying so; one whose bit 7 is clear an info line.  "on"
 * forces PEC on every device without asking (a device without PEC then
 * fails its VOUT_MODE and is left out, the message saying why); "off"
 * never turns it on.  Any other value is a config error naming the key.
 *
 * Per device "pmbus-BUS-AAAA" (the kernel's "1-0040" style, kind
 * "converter"), five signals, read every tick:
 *
 *   vin   V  READ_VIN           0x88  LINEAR11
 *   vout  V  READ_VOUT          0x8b  LINEAR16 (VOUT_MODE exponent)
 *   iout  A  READ_IOUT          0x8c  LINEAR11
 *   pout  W  READ_POUT          0x96  LINEAR11
 *   temp  C  READ_TEMPERATURE_1 0x8d  LINEAR11
 *
 * pout is not named "power": the summary sums signals named "power", and
 * a converter's output power is part of the power of whatever feeds it
 * (hwmon leaves PMBus pout channels out of its totals for the same
 * reason).  A reading is invalid for the tick, never zero, when the
 * device does not acknowledge (NACK), when its PEC byte is wrong twice
 * in a row (a PEC mismatch is retried once: one corrupted transfer is
 * noise, two are the device or the bus), or when the reply is out of
 * range: 0xffff (the bus's idle level: nobody drove it), a value outside
 * pm_sigs' physical bounds, or READ_VOUT above VOUT_MAX by more than
 * PM_VOUT_SLACK.  The first failure of a reading is logged once with
 * bus, address and command, and its recovery once.
 *
 * VOUT_MODE is kept current: read again before every READ_VOUT (one byte
 * transfer beside the five words of a tick: a reading decoded with a
 * stale exponent would be off by a power of two), before read_controls
 * decodes VOUT_COMMAND, and before every VOUT_COMMAND write, so no word
 * is encoded or decoded with an exponent that was not just confirmed.  A
 * change is taken only with VOUT_MAX read again at the new exponent (the
 * write ceiling; and the margins, for the log line that reports the
 * change once with the range they now give - the host keeps the range it
 * took at init, as ABI 1.1 has no way to change it).  A VOUT_MODE that
 * does not read, is no longer linear, or whose VOUT_MAX does not read at
 * the new exponent makes READ_VOUT and the control invalid and refuses
 * the write (WATTSON_ERR_REJECTED, or the transfer's error), logged with
 * the reason; the last confirmed exponent is kept until a reply
 * confirms another.
 *
 * Control "vout" (V) per device that has VOUT_MAX: VOUT_COMMAND (0x21),
 * LINEAR16 at VOUT_MODE's exponent, step one LSB.  Its range, offered to
 * policies: max = min(VOUT_MAX, VOUT_MARGIN_HIGH), min = VOUT_MARGIN_LOW.
 * Without VOUT_MARGIN_HIGH, max = VOUT_MAX; without VOUT_MARGIN_LOW, min
 * = the VOUT_COMMAND found at init (no vendor margin says how low the
 * load may go, so policies may only raise it from where the board set
 * it); without VOUT_MAX, or with min > max, no control (a warning says
 * why).  Writes happen only with --allow-writes: the host's model marks a
 * non-simulated driver writable only then, saves every control with
 * read_controls before the first write and restores them on exit (and
 * `wattson restore` after a crash), as for every driver.  write itself
 * refuses (WATTSON_ERR_REJECTED, a warning) a value that is not finite,
 * negative or above VOUT_MAX - what the hardware can hold, not the
 * policy range, since a restore writes back whatever read_controls found
 * (plugin.h) - and rounds to the step below rather than above the
 * limit; it reads VOUT_COMMAND back and reports a mismatch as rejected
 * (a write-protected or clamping device).
 *
 * The bus is one seam, struct pmbus_ops (pmbus.h): here libi2c's SMBus
 * calls on /dev/i2c-N, opened O_RDWR|O_CLOEXEC with I2C_SLAVE, and I2C_PEC
 * per device as chosen above; the tests install an emulated device
 * through pmbus_set_ops.
 *
 * Everything is allocated in init; read, write and read_controls use only
 * the stack.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <i2c/smbus.h>
#include <linux/i2c-dev.h>

#include "drvutil.h"
#include "pmbus.h"
#include "pmlin.h"
#include "wattson/plugin.h"

#define PM_MAX_DEVICES 64 /* listed devices; a board has a few dozen */
#define PM_ADDR_MIN 0x08  /* 7-bit addresses outside are reserved */
#define PM_ADDR_MAX 0x77
#define PM_BUS_MAX 1023 /* /dev/i2c-N: Linux numbers adapters from 0 */
/* READ_VOUT may sit a little above VOUT_MAX (measurement error, load
 * transients); 5 % above is no longer a reading but a corrupted reply. */
#define PM_VOUT_SLACK 0.05
#define PM_RAW_IDLE 0xffffu /* what a read returns when no one drives SDA */
#define PM_CAP_IDLE 0xffu   /* the same for a byte */

/* The lab's `pec`; pm_pec_names in this order. */
enum pm_pec { PM_PEC_AUTO, PM_PEC_ON, PM_PEC_OFF };
static const char *const pm_pec_names[] = {"auto", "on", "off"};

/* The readings as data.  lo/hi: physical bounds a reply must lie in;
 * iout and pout may be negative (a bidirectional converter sinking). */
struct pm_sig {
    const char *name, *unit, *what;
    uint8_t cmd;
    int linear16; /* LINEAR16 at VOUT_MODE's exponent, else LINEAR11 */
    double lo, hi;
};

static const struct pm_sig pm_sigs[] = {
    {"vin", "V", "input voltage", PMBUS_READ_VIN, 0, 0, 1000},
    {"vout", "V", "output voltage", PMBUS_READ_VOUT, 1, 0, 1000},
    {"iout", "A", "output current", PMBUS_READ_IOUT, 0, -2000, 2000},
    {"pout", "W", "output power", PMBUS_READ_POUT, 0, -20000, 20000},
    {WATTSON_SIG_TEMP, "C", "temperature", PMBUS_READ_TEMPERATURE_1, 0, -55,
     200},
};

#define PM_NSIG (sizeof pm_sigs / sizeof pm_sigs[0])
#define PM_FAIL_CTL PM_NSIG /* pm_dev.failing slot of VOUT_COMMAND */

struct pm_dev {
    int bus;
    unsigned addr;
    int h;        /* the seam's handle */
    int pec;      /* PEC on for its transfers */
    int cap_rc;   /* pec "auto": CAPABILITY's transfer, 0 or -errno */
    uint8_t cap;  /* and its reply */
    uint8_t mode; /* the VOUT_MODE byte last confirmed */
    int exp;      /* its LINEAR16 exponent */
    double vmax;  /* VOUT_MAX, V; NAN when the device has none */
    int has_ctl;  /* it has the vout control, offered as lo .. hi V */
    double lo, hi;
    const char *name;
    /* Per reading (and PM_FAIL_CTL): its last read failed, so its next
     * failure is not logged again until it has read once more. */
    uint8_t failing[PM_NSIG + 1];
};

struct pm {
    const struct wattson_host *host;
    const struct pmbus_ops *ops;
    void *ctx;
    int pec; /* enum pm_pec */
    struct drv_strs strs;
    struct pm_dev dev[PM_MAX_DEVICES];
    struct wattson_device_desc devices[PM_MAX_DEVICES];
    struct wattson_signal_desc signals[PM_MAX_DEVICES * PM_NSIG];
    struct wattson_control_desc controls[PM_MAX_DEVICES];
    uint32_t ctl_dev[PM_MAX_DEVICES]; /* control -> index into dev */
    size_t n_dev, n_sig, n_ctl;
};

/* ---- the real bus: Linux i2c-dev ------------------------------------- */

static int pm_i2c_open(void *ctx, const char *path, unsigned addr)
{
    int fd, e;

    (void)ctx;
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    /* PEC stays off (a new i2c-dev client's default) until pm_i2c_pec:
     * CAPABILITY, which says whether the device has PEC, is read without
     * it. */
    if (ioctl(fd, I2C_SLAVE, (unsigned long)addr) < 0) {
        e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static int pm_i2c_pec(void *ctx, int h, int on)
{
    (void)ctx;
    /* With PEC on the kernel appends and checks the SMBus CRC-8 and fails
     * a read whose PEC is wrong with EBADMSG. */
    return ioctl(h, I2C_PEC, on ? 1UL : 0UL) < 0 ? -errno : 0;
}

static int pm_i2c_xfer(void *ctx, int h, int write, uint8_t cmd, size_t len,
                       uint16_t *val)
{
    __s32 r;

    (void)ctx;
    errno = 0;
    if (write)
        r = i2c_smbus_write_word_data(h, cmd, *val);
    else if (len == 1)
        r = i2c_smbus_read_byte_data(h, cmd);
    else
        r = i2c_smbus_read_word_data(h, cmd);
    if (r < 0)
        return errno ? -errno : -EIO;
    if (!write)
        *val = (uint16_t)r;
    return 0;
}

static void pm_i2c_close(void *ctx, int h)
{
    (void)ctx;
    close(h);
}

static const struct pmbus_ops pm_i2c_ops = {pm_i2c_open, pm_i2c_pec,
                                            pm_i2c_xfer, pm_i2c_close};

/* The ops the next init uses (pmbus.h: the tests' seam). */
static const struct pmbus_ops *pm_ops = &pm_i2c_ops;
static void *pm_ops_ctx;

__attribute__((visibility("default"))) void
pmbus_set_ops(const struct pmbus_ops *ops, void *ctx);

void pmbus_set_ops(const struct pmbus_ops *ops, void *ctx)
{
    pm_ops = ops ? ops : &pm_i2c_ops;
    pm_ops_ctx = ops ? ctx : NULL;
}

/* ---- transfers and their errors -------------------------------------- */

static const char *pm_cmd_name(uint8_t cmd)
{
    switch (cmd) {
    case PMBUS_CAPABILITY:
        return "CAPABILITY";
    case PMBUS_VOUT_MODE:
        return "VOUT_MODE";
    case PMBUS_VOUT_COMMAND:
        return "VOUT_COMMAND";
    case PMBUS_VOUT_MAX:
        return "VOUT_MAX";
    case PMBUS_VOUT_MARGIN_HIGH:
        return "VOUT_MARGIN_HIGH";
    case PMBUS_VOUT_MARGIN_LOW:
        return "VOUT_MARGIN_LOW";
    case PMBUS_READ_VIN:
        return "READ_VIN";
    case PMBUS_READ_VOUT:
        return "READ_VOUT";
    case PMBUS_READ_IOUT:
        return "READ_IOUT";
    case PMBUS_READ_TEMPERATURE_1:
        return "READ_TEMPERATURE_1";
    case PMBUS_READ_POUT:
        return "READ_POUT";
    default:
        return "command";
    }
}

/* Why a transfer failed, in words (rc = -errno). */
static const char *pm_err_text(int rc)
{
    switch (-rc) {
    case ENXIO:
    case EREMOTEIO:
        return "no acknowledge (NACK)";
    case EBADMSG:
        return "PEC mismatch, twice";
    default:
        return strerror(-rc);
    }
}

/* The status a failed transfer (rc = -errno) gives a write: a PEC
 * mismatch twice is an error of the bus, not a vanished device. */
static int pm_xfer_status(int rc)
{
    return rc == -EBADMSG ? WATTSON_ERR : drv_errno_status(-rc, 1);
}

/* One transfer, a PEC mismatch retried once.  0 or -errno. */
static int pm_xfer(const struct pm *p, const struct pm_dev *d, int write,
                   uint8_t cmd, size_t len, uint16_t *val)
{
    uint16_t keep = *val;
    int rc = p->ops->xfer(p->ctx, d->h, write, cmd, len, val);

    if (rc == -EBADMSG) {
        *val = keep;
        rc = p->ops->xfer(p->ctx, d->h, write, cmd, len, val);
    }
    return rc;
}

/* "READ_VIN (0x88)" into buf. */
static const char *pm_cmd_str(uint8_t cmd, char *buf, size_t len)
{
    snprintf(buf, len, "%s (0x%02x)", pm_cmd_name(cmd), cmd);
    return buf;
}

/* Logs a reading's failure once, and its recovery once. */
static void pm_note(const struct pm *p, struct pm_dev *d, size_t slot,
                    uint8_t cmd, const char *why)
{
    char c[32];

    if (why && !d->failing[slot])
        p->host->log(p->host->ctx, WATTSON_LOG_WARN,
                     "%s (i2c-%d 0x%02x): %s: %s; invalid until it "
                     "reads again",
                     d->name, d->bus, d->addr, pm_cmd_str(cmd, c, sizeof c),
                     why);
    else if (!why && d->failing[slot])
        p->host->log(p->host->ctx, WATTSON_LOG_INFO,
                     "%s (i2c-%d 0x%02x): %s reads again", d->name, d->bus,
                     d->addr, pm_cmd_str(cmd, c, sizeof c));
    d->failing[slot] = why != NULL;
}

/* A reply word of `cmd`: 0, or -1 with the reason in why (the transfer
 * failed, or the word is the idle bus's 0xffff, which no format
 * decodes to a reading worth believing). */
static int pm_word(const struct pm *p, const struct pm_dev *d, uint8_t cmd,
                   uint16_t *raw, char *why, size_t whylen)
{
    int rc = pm_xfer(p, d, 0, cmd, 2, raw);

    if (rc != 0) {
        snprintf(why, whylen, "%s", pm_err_text(rc));
        return -1;
    }
    if (*raw == PM_RAW_IDLE) {
        snprintf(why, whylen, "0xffff, the idle bus: out of range");
        return -1;
    }
    return 0;
}

/*
 * A LINEAR16 word of the output-voltage family (`cmd`) in volts, checked:
 * 0, or -1 with the reason in why.  `ceiling`: the largest value the
 * device can mean (NAN: none known).
 */
static int pm_vout_word(const struct pm *p, const struct pm_dev *d, uint8_t cmd,
                        double ceiling, double *out, char *why, size_t whylen)
{
    uint16_t raw;

    if (pm_word(p, d, cmd, &raw, why, whylen) != 0)
        return -1;
    *out = pmlin_decode16(raw, d->exp);
    if (*out > ceiling) {
        snprintf(why, whylen, "%.6g V is above %.6g V: out of range", *out,
                 ceiling);
        return -1;
    }
    return 0;
}

/* ---- limits and VOUT_MODE ------------------------------------------- */

/* The output-voltage limits of a device at its exponent d->exp. */
struct pm_lim {
    double vmax;   /* VOUT_MAX; NAN: none, or its reply out of range */
    double mh, ml; /* VOUT_MARGIN_HIGH and _LOW; NAN: none */
    double hi;     /* the control's top: min(VOUT_MAX, VOUT_MARGIN_HIGH) */
    char why[128]; /* why there is no VOUT_MAX */
};

/* An optional output-voltage limit; NAN when the device has none (or its
 * reply is out of range), the reason in why and, with `loud` (init), in
 * the log. */
static double pm_limit(const struct pm *p, const struct pm_dev *d, uint8_t cmd,
                       double ceiling, int loud, char *why, size_t whylen)
{
    char c[32];
    double v;

    if (pm_vout_word(p, d, cmd, ceiling, &v, why, whylen) == 0)
        return v;
    if (loud)
        p->host->log(p->host->ctx, WATTSON_LOG_INFO,
                     "%s (i2c-%d 0x%02x): no %s: %s", d->name, d->bus, d->addr,
                     pm_cmd_str(cmd, c, sizeof c), why);
    return NAN;
}

/* VOUT_MAX and, when there is one, the margins, into l. */
static void pm_lims(const struct pm *p, const struct pm_dev *d, int loud,
                    struct pm_lim *l)
{
    char why[128];

    l->mh = l->ml = l->hi = NAN;
    l->vmax = pm_limit(p, d, PMBUS_VOUT_MAX, pm_sigs[1].hi, loud, l->why,
                       sizeof l->why);
    if (isnan(l->vmax))
        return;
    l->mh = pm_limit(p, d, PMBUS_VOUT_MARGIN_HIGH,
                     l->vmax * (1 + PM_VOUT_SLACK), loud, why, sizeof why);
    l->ml =
        pm_limit(p, d, PMBUS_VOUT_MARGIN_LOW, l->vmax, loud, why, sizeof why);
    l->hi = isnan(l->mh) ? l->vmax : fmin(l->vmax, l->mh);
}

/*
 * VOUT_MODE now reads `mode` (linear, exponent exp) where d->mode was
 * confirmed: takes it, with VOUT_MAX read again at the new exponent (the
 * device reports its limits in the format of the moment, and VOUT_MAX is
 * the write ceiling), and logs the change once.  WATTSON_OK, or
 * WATTSON_ERR_REJECTED with the reason in why when a VOUT_MAX the device
 * had no longer reads: then nothing is taken, so the next call tries
 * again.
 */
static int pm_mode_change(const struct pm *p, struct pm_dev *d, uint8_t mode,
                          int exp, char *why, size_t whylen)
{
    struct pm_dev nd = *d;
    struct pm_lim l;
    char vmax[64], range[192] = "";

    nd.exp = exp;
    pm_lims(p, &nd, 0, &l);
    if (!isnan(d->vmax) && isnan(l.vmax)) {
        snprintf(why, whylen,
                 "VOUT_MODE (0x20) is 0x%02x, was 0x%02x, and VOUT_MAX "
                 "(0x24) at its exponent: %s",
                 mode, d->mode, l.why);
        return WATTSON_ERR_REJECTED;
    }
    if (isnan(l.vmax))
        snprintf(vmax, sizeof vmax, "no VOUT_MAX");
    else
        snprintf(vmax, sizeof vmax, "VOUT_MAX %.6g V", l.vmax);
    if (d->has_ctl) {
        /* Without VOUT_MARGIN_LOW the bottom stays the VOUT_COMMAND
         * found at init, which is volts whatever the exponent. */
        double lo = isnan(l.ml) ? d->lo : l.ml;

        snprintf(range, sizeof range, ", vout range %.6g .. %.6g V", lo, l.hi);
        if (lo != d->lo || l.hi != d->hi) {
            size_t n = strlen(range);

            snprintf(range + n, sizeof range - n,
                     " (policies keep %.6g .. %.6g V, the range offered at "
                     "start)",
                     d->lo, d->hi);
        }
    }
    p->host->log(p->host->ctx, WATTSON_LOG_WARN,
                 "%s (i2c-%d 0x%02x): VOUT_MODE (0x20) changed from 0x%02x "
                 "to 0x%02x: output voltage now in %.6g V steps (exponent "
                 "%d, was %d); %s%s",
                 d->name, d->bus, d->addr, d->mode, mode, ldexp(1, exp), exp,
                 d->exp, vmax, range);
    d->mode = mode;
    d->exp = exp;
    d->vmax = l.vmax;
    return WATTSON_OK;
}

/* Reads d's VOUT_MODE again, taking a change (pm_mode_change): WATTSON_OK
 * when d->exp is the device's exponent now, else the status a write
 * refused for it gets, with the reason in why. */
static int pm_mode_confirm(const struct pm *p, struct pm_dev *d, char *why,
                           size_t whylen)
{
    uint16_t mode = 0;
    int exp, rc = pm_xfer(p, d, 0, PMBUS_VOUT_MODE, 1, &mode);

    if (rc != 0) {
        snprintf(why, whylen, "VOUT_MODE (0x20): %s", pm_err_text(rc));
        return pm_xfer_status(rc);
    }
    if (mode == d->mode)
        return WATTSON_OK;
    if (pmlin_vout_mode((uint8_t)mode, &exp, why, whylen) != 0)
        return WATTSON_ERR_REJECTED;
    return pm_mode_change(p, d, (uint8_t)mode, exp, why, whylen);
}

/* Reading k of device d: 0 and *out, or -1 with the reason in why. */
static int pm_read_sig(const struct pm *p, struct pm_dev *d, size_t k,
                       double *out, char *why, size_t whylen)
{
    const struct pm_sig *s = &pm_sigs[k];
    uint16_t raw;
    double v;

    if (s->linear16 && pm_mode_confirm(p, d, why, whylen) != WATTSON_OK)
        return -1;
    if (pm_word(p, d, s->cmd, &raw, why, whylen) != 0)
        return -1;
    v = s->linear16 ? pmlin_decode16(raw, d->exp) : pmlin_decode11(raw);
    if (v < s->lo || v > s->hi) {
        snprintf(why, whylen, "%.6g %s is outside [%g, %g]: out of range", v,
                 s->unit, s->lo, s->hi);
        return -1;
    }
    if (s->cmd == PMBUS_READ_VOUT && v > d->vmax * (1 + PM_VOUT_SLACK)) {
        snprintf(why, whylen, "%.6g V is above VOUT_MAX %.6g V: out of range",
                 v, d->vmax);
        return -1;
    }
    *out = v;
    return 0;
}

/* ---- configuration and discovery ------------------------------------- */

/* "1:0x40" or "i2c-1:0x40" -> bus and address; -1 when malformed. */
static int pm_parse_dev(const char *s, int *bus, unsigned *addr)
{
    char *end;
    long b;
    unsigned long a;

    if (strncmp(s, "i2c-", 4) == 0)
        s += 4;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    b = strtol(s, &end, 10);
    if (errno != 0 || b > PM_BUS_MAX || *end != ':' || end[1] < '0' ||
        end[1] > '9')
        return -1;
    a = strtoul(end + 1, &end, 0);
    if (errno != 0 || *end != '\0' || a < PM_ADDR_MIN || a > PM_ADDR_MAX)
        return -1;
    *bus = (int)b;
    *addr = (unsigned)a;
    return 0;
}

/* The lab's `pec` into p->pec: "auto" when absent. */
static int pm_config_pec(struct pm *p, const struct wattson_host *h, char *err,
                         size_t errlen)
{
    int type = h->cfg_type(h->ctx, "pec");
    const char *v =
        type == WATTSON_CFG_STRING ? h->cfg_string(h->ctx, "pec") : NULL;
    size_t i;

    p->pec = PM_PEC_AUTO;
    if (type == WATTSON_CFG_NONE)
        return WATTSON_OK;
    for (i = 0; v && i < sizeof pm_pec_names / sizeof pm_pec_names[0]; i++)
        if (strcmp(v, pm_pec_names[i]) == 0) {
            p->pec = (int)i;
            return WATTSON_OK;
        }
    snprintf(err, errlen,
             "pmbus: config key 'pec': expected \"auto\" (PEC where the "
             "device's CAPABILITY says it has it), \"on\" or \"off\", got "
             "%s%s%s",
             v ? "\"" : "", v ? v : wattson_cfg_type_name(type, "nothing"),
             v ? "\"" : "");
    return WATTSON_ERR_CONFIG;
}

/* The lab's `pec`, and its `devices` into p->dev[].bus/addr (p->n_dev of
 * them). */
static int pm_config(struct pm *p, const struct wattson_host *h, char *err,
                     size_t errlen)
{
    int type = h->cfg_type(h->ctx, "devices");
    size_t n, i, j;
    int rc;

    /* Before `devices`: a bad value is a lab error even where no device
     * is listed. */
    if ((rc = pm_config_pec(p, h, err, errlen)) != WATTSON_OK)
        return rc;
    if (type == WATTSON_CFG_NONE) {
        snprintf(err, errlen,
                 "pmbus: no devices configured (lab key 'devices', e.g. "
                 "{ \"1:0x40\" }); PMBus devices are never probed");
        return WATTSON_ERR_UNSUPPORTED;
    }
    if (type != WATTSON_CFG_STRING && type != WATTSON_CFG_TABLE) {
        snprintf(err, errlen,
                 "pmbus: config key 'devices': expected a list of \"BUS:ADDR\" "
                 "strings, got %s",
                 wattson_cfg_type_name(type, "nothing"));
        return WATTSON_ERR_CONFIG;
    }
    n = type == WATTSON_CFG_STRING ? 1 : h->cfg_len(h->ctx, "devices");
    if (n == 0 || n > PM_MAX_DEVICES) {
        snprintf(err, errlen,
                 "pmbus: config key 'devices': %zu entries (1 to %d)", n,
                 PM_MAX_DEVICES);
        return WATTSON_ERR_CONFIG;
    }
    for (i = 0; i < n; i++) {
        char key[32];
        const char *v;

        snprintf(key, sizeof key, "devices.%zu", i + 1);
        if (type == WATTSON_CFG_STRING)
            snprintf(key, sizeof key, "devices");
        v = h->cfg_type(h->ctx, key) == WATTSON_CFG_STRING
                ? h->cfg_string(h->ctx, key)
                : NULL;
        if (!v || pm_parse_dev(v, &p->dev[i].bus, &p->dev[i].addr) != 0) {
            snprintf(
                err, errlen,
                "pmbus: config key '%s': expected \"BUS:ADDR\" (\"1:0x40\"; "
                "address 0x%02x..0x%02x), got %s%s%s",
                key, PM_ADDR_MIN, PM_ADDR_MAX, v ? "\"" : "",
                v ? v : "no string", v ? "\"" : "");
            return WATTSON_ERR_CONFIG;
        }
        for (j = 0; j < i; j++)
            if (p->dev[j].bus == p->dev[i].bus &&
                p->dev[j].addr == p->dev[i].addr) {
                snprintf(err, errlen,
                         "pmbus: config key '%s': i2c-%d 0x%02x is listed "
                         "twice",
                         key, p->dev[i].bus, p->dev[i].addr);
                return WATTSON_ERR_CONFIG;
            }
    }
    p->n_dev = n;
    return WATTSON_OK;
}

/* The "vout" control of d (index di), when its limits allow one. */
static int pm_add_control(struct pm *p, struct pm_dev *d, size_t di)
{
    double hi, mh, ml, cur, lo;
    const char *desc;
    struct pm_lim l;
    char why[128];

    pm_lims(p, d, 1, &l);
    d->vmax = l.vmax;
    if (isnan(d->vmax)) {
        p->host->log(p->host->ctx, WATTSON_LOG_WARN,
                     "%s: no VOUT_MAX, so VOUT_COMMAND is not offered "
                     "as a control",
                     d->name);
        return 0;
    }
    mh = l.mh;
    ml = l.ml;
    hi = l.hi;
    lo = ml;
    if (isnan(ml)) {
        if (pm_vout_word(p, d, PMBUS_VOUT_COMMAND, d->vmax, &cur, why,
                         sizeof why) != 0) {
            p->host->log(p->host->ctx, WATTSON_LOG_WARN,
                         "%s: no VOUT_MARGIN_LOW and VOUT_COMMAND "
                         "(0x21): %s; no control",
                         d->name, why);
            return 0;
        }
        lo = cur;
    }
    if (!(lo <= hi)) {
        p->host->log(p->host->ctx, WATTSON_LOG_WARN,
                     "%s: lowest setting %.6g V is above the highest "
                     "%.6g V; no control",
                     d->name, lo, hi);
        return 0;
    }
    desc = drv_fmt(&p->strs,
                   "%s VOUT_COMMAND (0x21), LINEAR16 in %.6g V steps: %.6g V "
                   "(%s) .. %.6g V (%s)",
                   d->name, ldexp(1, d->exp), lo,
                   isnan(ml) ? "VOUT_COMMAND at start, no VOUT_MARGIN_LOW"
                             : "VOUT_MARGIN_LOW",
                   hi,
                   isnan(mh)      ? "VOUT_MAX, no VOUT_MARGIN_HIGH"
                   : mh < d->vmax ? "VOUT_MARGIN_HIGH"
                                  : "VOUT_MAX");
    if (!desc)
        return -1;
    p->controls[p->n_ctl] = (struct wattson_control_desc){
        "vout", (uint32_t)di, "V", lo, hi, ldexp(1, d->exp), desc};
    d->has_ctl = 1;
    d->lo = lo;
    d->hi = hi;
    p->ctl_dev[p->n_ctl++] = (uint32_t)di;
    return 0;
}

/* d's PEC as the lab's `pec` says: in d->pec, and for "auto" CAPABILITY's
 * answer in d->cap_rc and d->cap (pm_pec_note logs it). */
static void pm_pec_choose(const struct pm *p, struct pm_dev *d)
{
    uint16_t cap = 0;

    d->pec = p->pec == PM_PEC_ON;
    if (p->pec != PM_PEC_AUTO)
        return;
    /* Asked with PEC off: with it on, a device without PEC - the one
     * this is asked for - would fail the read for want of the PEC byte. */
    d->cap_rc = pm_xfer(p, d, 0, PMBUS_CAPABILITY, 1, &cap);
    d->cap = (uint8_t)cap;
    d->pec = d->cap_rc == 0 && d->cap != PM_CAP_IDLE &&
             (d->cap & PMBUS_CAPABILITY_PEC) != 0;
}

/* The one line that says why pec "auto" left d's PEC off. */
static void pm_pec_note(const struct pm *p, const struct pm_dev *d)
{
    char why[96];
    int level = WATTSON_LOG_WARN;

    if (p->pec != PM_PEC_AUTO || d->pec)
        return;
    if (d->cap_rc != 0) {
        snprintf(why, sizeof why, ": %s", pm_err_text(d->cap_rc));
    } else if (d->cap == PM_CAP_IDLE) {
        snprintf(why, sizeof why, ": 0xff, the idle bus");
    } else {
        snprintf(why, sizeof why, " 0x%02x: no PEC support (bit 7 clear)",
                 d->cap);
        level = WATTSON_LOG_INFO;
    }
    p->host->log(p->host->ctx, level,
                 "%s (i2c-%d 0x%02x): CAPABILITY (0x19)%s; PEC off (pec = "
                 "\"auto\"): its transfers are not checked",
                 d->name, d->bus, d->addr, why);
}

/* Opens device i of the list, chooses its PEC and asks for VOUT_MODE: 1
 * when it answered (and is now p->dev[p->n_dev]), 0 when it is left out
 * (reason in why), -1 out of memory. */
static int pm_probe(struct pm *p, const char *root, struct pm_dev *d, char *why,
                    size_t whylen)
{
    const char *path = drv_fmt(&p->strs, "%s/dev/i2c-%d", root, d->bus);
    uint16_t mode = 0;
    int rc;

    if (!path)
        return -1;
    d->h = p->ops->open(p->ctx, path, d->addr);
    if (d->h < 0) {
        snprintf(why, whylen, "i2c-%d 0x%02x: cannot open %s: %s%s", d->bus,
                 d->addr, path, strerror(-d->h),
                 d->h == -EBUSY ? " (a kernel driver, such as hwmon's pmbus, "
                                  "has the address: use the hwmon driver)"
                                : "");
        return 0;
    }
    pm_pec_choose(p, d);
    if (d->pec && (rc = p->ops->pec(p->ctx, d->h, 1)) != 0) {
        snprintf(why, whylen, "i2c-%d 0x%02x: cannot turn PEC on: %s", d->bus,
                 d->addr, strerror(-rc));
    } else if ((rc = pm_xfer(p, d, 0, PMBUS_VOUT_MODE, 1, &mode)) != 0) {
        snprintf(why, whylen, "i2c-%d 0x%02x: VOUT_MODE (0x20): %s%s", d->bus,
                 d->addr, pm_err_text(rc),
                 rc == -EBADMSG && p->pec == PM_PEC_ON
                     ? " (pec = \"on\": does the device have PEC? \"auto\" "
                       "asks its CAPABILITY)"
                     : "");
    } else {
        char mwhy[160];

        d->mode = (uint8_t)mode;
        if (pmlin_vout_mode(d->mode, &d->exp, mwhy, sizeof mwhy) == 0)
            return 1;
        snprintf(why, whylen, "i2c-%d 0x%02x: %s", d->bus, d->addr, mwhy);
    }
    p->ops->close(p->ctx, d->h);
    d->h = -1;
    return 0;
}

static int pm_build(struct pm *p, const struct wattson_host *h, char *err,
                    size_t errlen)
{
    /* Devices left out, and why: warnings when others answered, else
     * the one init error (one line on stderr, not one per device). */
    const char *left[PM_MAX_DEVICES];
    size_t n_left = 0, listed, i, k, len;
    const char *root;
    char why[320];
    int rc;

    if ((rc = drv_root(&p->strs, h, &root, err, errlen)) != WATTSON_OK ||
        (rc = pm_config(p, h, err, errlen)) != WATTSON_OK)
        return rc;
    listed = p->n_dev;
    p->n_dev = 0;
    for (i = 0; i < listed; i++) {
        struct pm_dev d = p->dev[i];
        struct pm_dev *nd;
        size_t di = p->n_dev;

        d.h = -1;
        d.vmax = NAN;
        d.cap_rc = 0;
        rc = pm_probe(p, root, &d, why, sizeof why);
        if (rc < 0)
            goto oom;
        if (rc == 0) {
            if (!(left[n_left++] = drv_fmt(&p->strs, "%s", why)))
                goto oom;
            continue;
        }
        nd = &p->dev[p->n_dev++];
        *nd = d;
        nd->name = drv_fmt(&p->strs, "pmbus-%d-%04x", d.bus, d.addr);
        if (!nd->name)
            goto oom;
        /* Only now, for a device that is kept: an address where nobody
         * answers would log a CAPABILITY line before being left out. */
        pm_pec_note(p, nd);
        p->devices[di] =
            (struct wattson_device_desc){nd->name, "converter", -1, NULL, 0};
        for (k = 0; k < PM_NSIG; k++) {
            const char *desc = drv_fmt(
                &p->strs, "%s (i2c-%d 0x%02x) %s, %s (0x%02x), %s", nd->name,
                d.bus, d.addr, pm_sigs[k].what, pm_cmd_name(pm_sigs[k].cmd),
                pm_sigs[k].cmd, pm_sigs[k].linear16 ? "LINEAR16" : "LINEAR11");

            if (!desc)
                goto oom;
            p->signals[p->n_sig++] =
                (struct wattson_signal_desc){pm_sigs[k].name,
                                             (uint32_t)di,
                                             pm_sigs[k].unit,
                                             WATTSON_GAUGE,
                                             0,
                                             desc};
        }
        if (pm_add_control(p, nd, di) != 0)
            goto oom;
    }
    if (p->n_dev == 0) {
        snprintf(err, errlen, "pmbus: no PMBus device answered (");
        for (i = 0; i < n_left && (len = strlen(err)) < errlen; i++)
            snprintf(err + len, errlen - len, "%s%s", i ? "; " : "", left[i]);
        if ((len = strlen(err)) < errlen)
            snprintf(err + len, errlen - len, ")");
        return WATTSON_ERR_UNSUPPORTED;
    }
    for (i = 0; i < n_left; i++)
        h->log(h->ctx, WATTSON_LOG_WARN, "left out %s", left[i]);
    h->log(h->ctx, WATTSON_LOG_INFO,
           "%zu of %zu devices, %zu signals, %zu vout controls under "
           "%s/dev",
           p->n_dev, listed, p->n_sig, p->n_ctl, root);
    return WATTSON_OK;
oom:
    snprintf(err, errlen, "out of memory");
    return WATTSON_ERR;
}

/* ---- the plugin ------------------------------------------------------ */

static void pm_free(struct pm *p)
{
    size_t i;

    for (i = 0; i < p->n_dev; i++)
        if (p->dev[i].h >= 0)
            p->ops->close(p->ctx, p->dev[i].h);
    drv_strs_free(&p->strs);
    free(p);
}

static int pm_init(const struct wattson_host *host, void **state,
                   struct wattson_inventory *inv, char *err, size_t errlen)
{
    struct pm *p;
    int rc;

    if (!(p = drv_state_new(host, sizeof *p, &rc, err, errlen)))
        return rc;
    p->host = host;
    p->ops = pm_ops;
    p->ctx = pm_ops_ctx;
    if ((rc = pm_build(p, host, err, errlen)) != WATTSON_OK) {
        pm_free(p);
        return rc;
    }
    inv->devices = p->devices;
    inv->n_devices = p->n_dev;
    inv->signals = p->signals;
    inv->n_signals = p->n_sig;
    inv->controls = p->n_ctl ? p->controls : NULL;
    inv->n_controls = p->n_ctl;
    *state = p;
    return WATTSON_OK;
}

static void pm_fini(void *state)
{
    pm_free(state);
}

static int pm_read(void *state, double *values, uint8_t *valid, size_t n)
{
    struct pm *p = state;
    size_t i, good = 0;
    char why[256];

    for (i = 0; i < n && i < p->n_sig; i++) {
        struct pm_dev *d = &p->dev[i / PM_NSIG];
        size_t k = i % PM_NSIG;
        int ok = pm_read_sig(p, d, k, &values[i], why, sizeof why) == 0;

        if (!ok)
            values[i] = NAN;
        valid[i] = (uint8_t)ok;
        good += (size_t)ok;
        pm_note(p, d, k, pm_sigs[k].cmd, ok ? NULL : why);
    }
    return good > 0 || n == 0 ? WATTSON_OK : WATTSON_ERR;
}

static int pm_read_controls(void *state, double *values, uint8_t *valid,
                            size_t n)
{
    struct pm *p = state;
    size_t i;
    char why[256];

    for (i = 0; i < n && i < p->n_ctl; i++) {
        struct pm_dev *d = &p->dev[p->ctl_dev[i]];
        /* What is saved here is restored later: decoded at an exponent
         * just confirmed, or not at all. */
        int ok = pm_mode_confirm(p, d, why, sizeof why) == WATTSON_OK &&
                 pm_vout_word(p, d, PMBUS_VOUT_COMMAND, d->vmax, &values[i],
                              why, sizeof why) == 0;

        if (!ok)
            values[i] = NAN;
        valid[i] = (uint8_t)ok;
        pm_note(p, d, PM_FAIL_CTL, PMBUS_VOUT_COMMAND, ok ? NULL : why);
    }
    return WATTSON_OK;
}

/* Sets d's VOUT_COMMAND to v volts, encoded at the exponent VOUT_MODE
 * gives just now, and reads it back. */
static int pm_write_vout(const struct pm *p, struct pm_dev *d, double v)
{
    const struct wattson_host *h = p->host;
    char why[256];
    uint16_t raw, back = 0;
    int rc;

    /* A word encoded at a stale exponent sets another voltage: a factor
     * of two per step of difference. */
    if ((rc = pm_mode_confirm(p, d, why, sizeof why)) != WATTSON_OK) {
        h->log(h->ctx, WATTSON_LOG_WARN,
               "%s (i2c-%d 0x%02x): VOUT_COMMAND (0x21) = %.6g V not "
               "written: %s",
               d->name, d->bus, d->addr, v, why);
        return rc;
    }
    if (pmlin_encode16(v, d->exp, d->vmax, &raw, why, sizeof why) != 0) {
        h->log(h->ctx, WATTSON_LOG_WARN,
               "%s (i2c-%d 0x%02x): VOUT_COMMAND (0x21) not written: %s",
               d->name, d->bus, d->addr, why);
        return WATTSON_ERR_REJECTED;
    }
    rc = pm_xfer(p, d, 1, PMBUS_VOUT_COMMAND, 2, &raw);
    if (rc == 0)
        rc = pm_xfer(p, d, 0, PMBUS_VOUT_COMMAND, 2, &back);
    if (rc != 0) {
        h->log(h->ctx, WATTSON_LOG_WARN,
               "%s (i2c-%d 0x%02x): writing VOUT_COMMAND (0x21) = "
               "%.6g V: %s",
               d->name, d->bus, d->addr, pmlin_decode16(raw, d->exp),
               pm_err_text(rc));
        return pm_xfer_status(rc);
    }
    if (back != raw) {
        h->log(h->ctx, WATTSON_LOG_WARN,
               "%s (i2c-%d 0x%02x): VOUT_COMMAND (0x21) wrote 0x%04x "
               "(%.6g V), reads back 0x%04x: the device refused or clamped it",
               d->name, d->bus, d->addr, raw, pmlin_decode16(raw, d->exp),
               back);
        return WATTSON_ERR_REJECTED;
    }
    return WATTSON_OK;
}

static int pm_write(void *state, const uint32_t *idx, const double *values,
                    size_t n)
{
    struct pm *p = state;
    int rc = WATTSON_OK;
    size_t i;

    for (i = 0; i < n; i++) {
        int wrc;

        if (idx[i] >= p->n_ctl)
            return WATTSON_ERR;
        wrc = pm_write_vout(p, &p->dev[p->ctl_dev[idx[i]]], values[i]);
        /* The first failure's reason; the rest are still written. */
        if (rc == WATTSON_OK)
            rc = wrc;
    }
    return rc;
}

static const struct wattson_plugin pm_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = 0, /* real hardware: writes need --allow-writes */
    .name = "pmbus",
    .version = "1.0",
    .description = "pmbus: PMBus converters over i2c-dev - input and output "
                   "voltage, output current and power, temperature; output "
                   "voltage set point",
    .init = pm_init,
    .fini = pm_fini,
    .read = pm_read,
    .write = pm_write,
    .read_controls = pm_read_controls,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &pm_desc;
}

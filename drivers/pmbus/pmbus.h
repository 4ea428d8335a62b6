/*
 * pmbus.h - the bus seam of the pmbus driver: every byte it sends to or
 * receives from a device goes through one `struct pmbus_ops`.  pmbus.c's
 * own implementation is Linux i2c-dev (libi2c's SMBus calls on
 * /dev/i2c-N, I2C_SLAVE, I2C_PEC per device); tests/drivers/pmbus puts an
 * emulated PMBus device in its place.
 *
 * How a test gets its ops in: pmbus.so exports one symbol besides the
 * plugin entry, PMBUS_SET_OPS ("pmbus_set_ops"), which the test finds with
 * dlsym on the handle the real loader opened, before init.  So what is
 * tested is the .so that ships, loaded as wattson loads it; the loader
 * itself only ever looks up wattson_plugin_entry, so nothing else can
 * call it by accident.  (The nvml driver's way - a fake of the vendor
 * library - does not fit here: i2c-dev needs ioctls on a real
 * /dev/i2c-N, which no test machine has.)
 */
#ifndef WATTSON_PMBUS_H
#define WATTSON_PMBUS_H

#include <stddef.h>
#include <stdint.h>

/* PMBus command codes the driver uses (PMBus 1.3 part II, table 31). */
enum pmbus_cmd {
    PMBUS_CAPABILITY = 0x19, /* a byte; bit 7: PEC supported */
    PMBUS_VOUT_MODE = 0x20,
    PMBUS_VOUT_COMMAND = 0x21,
    PMBUS_VOUT_MAX = 0x24,
    PMBUS_VOUT_MARGIN_HIGH = 0x25,
    PMBUS_VOUT_MARGIN_LOW = 0x26,
    PMBUS_READ_VIN = 0x88,
    PMBUS_READ_VOUT = 0x8b,
    PMBUS_READ_IOUT = 0x8c,
    PMBUS_READ_TEMPERATURE_1 = 0x8d,
    PMBUS_READ_POUT = 0x96,
};

/* CAPABILITY's bit 7 (PMBus 1.3 part II, 11.12): the device supports
 * Packet Error Checking. */
#define PMBUS_CAPABILITY_PEC 0x80u

struct pmbus_ops {
    /* Opens the adapter at `path` ("ROOT/dev/i2c-N") for the device at
     * 7-bit address `addr`, with PEC off: a handle >= 0, or -errno. */
    int (*open)(void *ctx, const char *path, unsigned addr);
    /* Turns SMBus PEC on (on = 1) or off for the transfers on handle h
     * that follow: 0, or -errno.  With PEC on, every transfer carries the
     * CRC-8 byte, and a read from a device that sends none fails. */
    int (*pec)(void *ctx, int h, int on);
    /* One SMBus transfer on handle h: a read of `len` (1 or 2) bytes of
     * command `cmd` into *val, or with `write` a write word of *val.
     * 0, or -errno: -ENXIO or -EREMOTEIO when the device did not
     * acknowledge (NACK), -EBADMSG when the PEC byte did not match. */
    int (*xfer)(void *ctx, int h, int write, uint8_t cmd, size_t len,
                uint16_t *val);
    void (*close)(void *ctx, int h);
};

/* The exported test hook (see above): replaces the ops the next init uses;
 * NULL ops: back to i2c-dev. */
#define PMBUS_SET_OPS "pmbus_set_ops"
typedef void (*pmbus_set_ops_fn)(const struct pmbus_ops *ops, void *ctx);

#endif

/*
 * pmlin - the PMBus numeric formats the pmbus driver reads and writes
 * (PMBus 1.3 part II, sections 7 and 8): LINEAR11 for READ_VIN, READ_IOUT,
 * READ_POUT and READ_TEMPERATURE_1, LINEAR16 for the output voltage
 * commands, whose exponent comes from VOUT_MODE.
 *
 * A module of its own, without I/O, so that tests/drivers/pmbus checks the
 * round trips directly and tests/fuzz/fuzz_pmbus.c fuzzes it; pmbus.c
 * links the same file into pmbus.so.
 */
#ifndef WATTSON_PMLIN_H
#define WATTSON_PMLIN_H

#include <stddef.h>
#include <stdint.h>

/* VOUT_MODE's mode field (bits 7:5). */
enum pmlin_mode {
    PMLIN_MODE_LINEAR = 0,
    PMLIN_MODE_VID = 1,
    PMLIN_MODE_DIRECT = 2,
    PMLIN_MODE_IEEE_HALF = 3, /* PMBus 1.3 */
};

/* LINEAR16 exponents accepted from VOUT_MODE: -16 (15 uV steps) up to 0
 * (1 V steps).  A positive exponent would mean output voltage set in 2 V
 * steps or coarser, which no voltage regulator has: it is read as a
 * corrupted VOUT_MODE, not believed. */
#define PMLIN_VOUT_EXP_MIN (-16)
#define PMLIN_VOUT_EXP_MAX 0

/* LINEAR11: bits 15:11 a two's complement exponent N (-16..15), bits 10:0
 * a two's complement mantissa Y (-1024..1023); the value is Y * 2^N.
 * Every word decodes to a finite value. */
double pmlin_decode11(uint16_t raw);

/* LINEAR16: the unsigned word times 2^exp. */
double pmlin_decode16(uint16_t raw, int exp);

/*
 * VOUT_MODE byte -> the LINEAR16 exponent in *exp: 0, or -1 with one
 * line in why naming the mode ("VID mode is not supported ...") or the
 * exponent out of [PMLIN_VOUT_EXP_MIN, PMLIN_VOUT_EXP_MAX].  Bits 7:5
 * other than linear are refused because the driver cannot convert them:
 * VID needs the regulator's VID table, direct its m, b, R coefficients.
 */
int pmlin_vout_mode(uint8_t mode, int *exp, char *why, size_t whylen);

/*
 * The LINEAR16 word for `v` volts at exponent exp, rounded to the nearest
 * step but never above `ceiling`: the result decodes to a value <= ceiling
 * and within half a step of v when v itself is <= ceiling.  0, or -1 with
 * one line in why when v is not finite, negative, above ceiling, or does
 * not fit 16 bits at this exponent.
 */
int pmlin_encode16(double v, int exp, double ceiling, uint16_t *raw, char *why,
                   size_t whylen);

#endif

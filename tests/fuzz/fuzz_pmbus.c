/*
 * fuzz_pmbus - libFuzzer target for the pmbus driver's reply codec
 * (drivers/pmbus/pmlin.c), which turns words any device on the bus may
 * send into volts, amps, watts and degrees, and volts into the word
 * written to VOUT_COMMAND.  Input: a VOUT_MODE byte, a reply word, a
 * voltage and a ceiling (two doubles, any bits).  Every input must give a
 * finite LINEAR11 value within its format's bounds; a VOUT_MODE must be
 * refused with a message or give an exponent in range; and an encoded
 * voltage must decode to at most the ceiling, within half a step of what
 * was asked, while every word must survive decode -> encode unchanged.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pmlin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t buf[19] = {0};
    char why[256];
    uint16_t word, raw;
    double v, ceiling, d;
    int exp = 99;

    memcpy(buf, data, size < sizeof buf ? size : sizeof buf);
    word = (uint16_t)(buf[1] | buf[2] << 8);
    memcpy(&v, buf + 3, sizeof v);
    memcpy(&ceiling, buf + 11, sizeof ceiling);

    d = pmlin_decode11(word);
    if (!isfinite(d) || fabs(d) > 1024.0 * 32768)
        abort();
    why[0] = '\0';
    if (pmlin_vout_mode(buf[0], &exp, why, sizeof why) != 0) {
        if (!why[0] || exp != 99)
            abort();
        return 0;
    }
    if (exp < PMLIN_VOUT_EXP_MIN || exp > PMLIN_VOUT_EXP_MAX || buf[0] >> 5)
        abort();
    d = pmlin_decode16(word, exp);
    if (!isfinite(d) || d < 0)
        abort();
    if (pmlin_encode16(d, exp, d, &raw, why, sizeof why) != 0 || raw != word)
        abort();
    why[0] = '\0';
    if (pmlin_encode16(v, exp, ceiling, &raw, why, sizeof why) != 0) {
        if (!why[0])
            abort();
        /* Refused only for a reason. */
        if (isfinite(v) && v >= 0 && v <= ceiling && v <= ldexp(65535.5, exp) &&
            ldexp(floor(ldexp(v, -exp)), exp) <= ceiling)
            abort();
        return 0;
    }
    d = pmlin_decode16(raw, exp);
    if (!(d <= ceiling) || !(v <= ceiling) || !isfinite(v) || v < 0 ||
        fabs(d - v) > ldexp(1, exp))
        abort();
    /* Nearest step unless the ceiling took it one down. */
    if (fabs(d - v) > ldexp(0.5, exp) && d + ldexp(1, exp) <= ceiling)
        abort();
    return 0;
}

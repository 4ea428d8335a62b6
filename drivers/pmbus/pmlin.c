/*
 * pmlin - PMBus LINEAR11 / LINEAR16 (see pmlin.h).
 */
#include "pmlin.h"

#include <math.h>
#include <stdio.h>

/* The two's complement value of the low `bits` bits of v. */
static int pmlin_sext(unsigned v, unsigned bits)
{
    unsigned m = 1u << (bits - 1);

    v &= (1u << bits) - 1;
    return (int)(v ^ m) - (int)m;
}

double pmlin_decode11(uint16_t raw)
{
    return ldexp(pmlin_sext(raw & 0x7ffu, 11), pmlin_sext(raw >> 11, 5));
}

double pmlin_decode16(uint16_t raw, int exp)
{
    return ldexp(raw, exp);
}

int pmlin_vout_mode(uint8_t mode, int *exp, char *why, size_t whylen)
{
    static const char *const names[8] = {
        "linear",       "VID",          "direct",       "IEEE half-precision",
        "reserved (4)", "reserved (5)", "reserved (6)", "reserved (7)"};
    unsigned m = mode >> 5;
    int e = pmlin_sext(mode, 5);

    if (m != PMLIN_MODE_LINEAR) {
        snprintf(why, whylen,
                 "VOUT_MODE 0x%02x: %s mode is not supported (only LINEAR16; "
                 "VID, direct and IEEE half-precision are not)",
                 mode, names[m]);
        return -1;
    }
    if (e < PMLIN_VOUT_EXP_MIN || e > PMLIN_VOUT_EXP_MAX) {
        snprintf(why, whylen,
                 "VOUT_MODE 0x%02x: exponent %d out of range [%d, %d]", mode, e,
                 PMLIN_VOUT_EXP_MIN, PMLIN_VOUT_EXP_MAX);
        return -1;
    }
    *exp = e;
    return 0;
}

int pmlin_encode16(double v, int exp, double ceiling, uint16_t *raw, char *why,
                   size_t whylen)
{
    double m;

    if (!isfinite(v) || v < 0) {
        snprintf(why, whylen, "%g V is not a voltage that can be set", v);
        return -1;
    }
    if (!(v <= ceiling)) {
        snprintf(why, whylen, "%.6g V is above the limit %.6g V", v, ceiling);
        return -1;
    }
    /* Nearest step, then one step down if that lands above the ceiling:
     * rounding up must never take the output past its limit.  Exact: the
     * steps are powers of two and v * 2^-exp has at most 53 bits. */
    m = nearbyint(ldexp(v, -exp));
    if (ldexp(m, exp) > ceiling)
        m -= 1;
    /* Up to half a step above the top word still rounds to it. */
    if (m == 65536 && ldexp(v, -exp) <= 65535.5)
        m = 65535;
    if (m < 0 || m > 65535) {
        snprintf(why, whylen,
                 "%.6g V does not fit LINEAR16 at exponent %d (at most %.6g V)",
                 v, exp, ldexp(65535, exp));
        return -1;
    }
    *raw = (uint16_t)m;
    return 0;
}

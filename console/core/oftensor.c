/*
 * oftensor - see oftensor.h.
 */
#include "core/oftensor.h"

#include <math.h>
#include <string.h>

/* splitmix64: the next 64 bits of the stream s. */
static uint64_t next64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint16_t oftensor_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    const uint32_t exp = (x >> 23) & 0xffu;
    uint32_t man = x & 0x7fffffu;
    if (exp == 0xffu) /* infinity, or NaN kept quiet */
        return (uint16_t)(sign | 0x7c00u | (man ? 0x200u : 0));
    const int e = (int)exp - 127 + 15; /* the binary16 biased exponent */
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (e <= 0) {
        /* A binary16 subnormal (units of 2^-24), or zero: the 24-bit
         * significand shifted right by 14 - e, rounded to even.  Below
         * e = -10 the value is under half the smallest subnormal. */
        if (e < -10 || exp == 0)
            return sign;
        man |= 0x800000u;
        const unsigned shift = (unsigned)(14 - e);
        uint32_t h = man >> shift;
        const uint32_t rem = man & ((1u << shift) - 1);
        const uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1u)))
            h++; /* 0x400 is the smallest normal: still right */
        return (uint16_t)(sign | h);
    }
    uint32_t h = (uint32_t)e << 10 | man >> 13;
    const uint32_t rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
        h++; /* a carry into the exponent is right, up to infinity */
    return (uint16_t)(sign | h);
}

double oftensor_half_value(uint16_t h)
{
    const int exp = (h >> 10) & 0x1f;
    const int man = h & 0x3ff;
    double v;
    if (exp == 0x1f)
        v = man ? NAN : INFINITY;
    else if (exp == 0)
        v = ldexp(man, -24);
    else
        v = ldexp(man + 1024, exp - 25);
    return (h & 0x8000u) ? -v : v;
}

/* The half-normal's quantiles at (i + 0.5) / 65536 as binary16: one
 * 16-bit uniform gives a value by a table look-up, where Box-Muller's
 * log, sqrt, sin and cos took 60 % of a sender's CPU (perf, bench
 * offload).  Solved once by Newton's method on erf, each quantile from
 * the one before. */
static uint16_t quant[65536];
static int quant_ready;

static void quant_init(void)
{
    double x = 0;
    for (unsigned i = 0; i < 65536; i++) {
        const double u = (i + 0.5) / 65536.0;
        for (int k = 0; k < 8; k++) {
            /* F(x) = erf(x / sqrt 2), F'(x) = sqrt(2 / pi) e^(-x^2/2) */
            const double f = erf(x * 0.7071067811865476) - u;
            const double d = 0.7978845608028654 * exp(-0.5 * x * x);
            x -= f / d;
            if (x < 0)
                x = 0;
        }
        quant[i] = oftensor_half((float)x);
    }
    quant_ready = 1;
}

void oftensor_fill(void *buf, size_t bytes, double zero_frac, uint64_t seed)
{
    unsigned char *p = buf;
    const size_t n = bytes / 2;
    uint64_t s = seed;
    if (!quant_ready)
        quant_init();
    if (!(zero_frac > 0)) /* NaN too */
        zero_frac = 0;
    if (zero_frac > 1)
        zero_frac = 1;
    /* Each value takes 32 random bits: 16 for the zero test against a
     * threshold (zero_frac = 1 gives only zeros, 0 none), 16 for the
     * quantile. */
    const uint32_t thresh = (uint32_t)(zero_frac * 65536.0 + 0.5);
    uint64_t r = 0;
    for (size_t i = 0; i < n; i++) {
        if ((i & 1u) == 0)
            r = next64(&s);
        const uint32_t w = (uint32_t)(i & 1u ? r >> 32 : r);
        const uint16_t h = (w & 0xffffu) < thresh ? 0 : quant[w >> 16];
        p[2 * i] = (unsigned char)(h & 0xffu);
        p[2 * i + 1] = (unsigned char)(h >> 8);
    }
    if (bytes & 1u)
        p[bytes - 1] = 0;
}

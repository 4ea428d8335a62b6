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

/* Uniform in (0, 1): never 0, so log() below is finite. */
static double unit_open(uint64_t *s)
{
    return ((double)(next64(s) >> 11) + 0.5) / 9007199254740992.0;
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

void oftensor_fill(void *buf, size_t bytes, double zero_frac, uint64_t seed)
{
    unsigned char *p = buf;
    const size_t n = bytes / 2;
    uint64_t s = seed;
    if (!(zero_frac > 0)) /* NaN too */
        zero_frac = 0;
    if (zero_frac > 1)
        zero_frac = 1;
    /* The zero test on 53 random bits against a threshold, so that
     * zero_frac = 1 gives only zeros and 0 none. */
    const double thresh = zero_frac * 9007199254740992.0;
    double spare = 0;
    int have_spare = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t h = 0;
        if ((double)(next64(&s) >> 11) >= thresh) {
            double g;
            if (have_spare) {
                g = spare;
                have_spare = 0;
            } else {
                /* Box-Muller: two normals from two uniforms. */
                const double r = sqrt(-2.0 * log(unit_open(&s)));
                const double a = 6.283185307179586 * unit_open(&s);
                g = r * cos(a);
                spare = r * sin(a);
                have_spare = 1;
            }
            h = oftensor_half((float)fabs(g));
        }
        p[2 * i] = (unsigned char)(h & 0xffu);
        p[2 * i + 1] = (unsigned char)(h >> 8);
    }
    if (bytes & 1u)
        p[bytes - 1] = 0;
}

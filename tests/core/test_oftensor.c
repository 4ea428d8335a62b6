/*
 * test_oftensor - the synthetic activations (core/oftensor.c): the
 * binary16 rounding on values whose answer is known (ties to even,
 * subnormals, overflow), the zero fraction of a filled 1 MiB buffer
 * within 5 sigma of the binomial, every value finite and non-negative,
 * and the same bytes for the same seed.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/oftensor.h"
#include "t.h"

#define MIB (1u << 20)

static void check_half(void)
{
    T_CHECK(oftensor_half(0.0f) == 0x0000);
    T_CHECK(oftensor_half(-0.0f) == 0x8000);
    T_CHECK(oftensor_half(1.0f) == 0x3c00);
    T_CHECK(oftensor_half(-2.0f) == 0xc000);
    T_CHECK(oftensor_half(0.5f) == 0x3800);
    T_CHECK(oftensor_half(65504.0f) == 0x7bff); /* the largest finite */
    /* 65520 is halfway between 65504 and 2^16: even is infinity. */
    T_CHECK(oftensor_half(65520.0f) == 0x7c00);
    T_CHECK(oftensor_half(65519.0f) == 0x7bff);
    T_CHECK(oftensor_half(1e10f) == 0x7c00);
    T_CHECK(oftensor_half(INFINITY) == 0x7c00);
    T_CHECK((oftensor_half(NAN) & 0x7e00) == 0x7e00);
    /* 1 + 2^-11 is a tie between 1 and 1 + 2^-10: even is 1. */
    T_CHECK(oftensor_half(1.0f + 0x1p-11f) == 0x3c00);
    /* 1 + 3 * 2^-11 ties between 0x3c01 and 0x3c02: even is 0x3c02. */
    T_CHECK(oftensor_half(1.0f + 0x3p-11f) == 0x3c02);
    T_CHECK(oftensor_half(1.0f + 0x1p-11f + 0x1p-20f) == 0x3c01);
    /* Subnormals: 2^-24 is the smallest, 2^-25 a tie to even (0). */
    T_CHECK(oftensor_half(0x1p-24f) == 0x0001);
    T_CHECK(oftensor_half(0x1p-25f) == 0x0000);
    T_CHECK(oftensor_half(0x1.8p-25f) == 0x0001);
    T_CHECK(oftensor_half(0x3p-24f) == 0x0003);
    T_CHECK(oftensor_half(0x1p-14f) == 0x0400); /* the smallest normal */
    /* The largest subnormal plus a bit over half a unit: rounds up into
     * the smallest normal. */
    T_CHECK(oftensor_half(0x3ffp-24f + 0x1.2p-25f) == 0x0400);
    T_CHECK(oftensor_half(1e-30f) == 0x0000);
    /* Every finite binary16 converts back to itself through float. */
    int back = 0;
    for (unsigned h = 0; h < 0x10000u; h++) {
        double v = oftensor_half_value((uint16_t)h);
        if (isfinite(v) && oftensor_half((float)v) == h)
            back++;
    }
    T_CHECK(back == 2 * (0x7c00)); /* all but infinities and NaNs */
    T_CHECK(oftensor_half_value(0x3c00) == 1.0);
    T_CHECK(oftensor_half_value(0x0001) == 0x1p-24);
    T_CHECK(isinf(oftensor_half_value(0x7c00)));
}

static void check_fill(double zero_frac)
{
    unsigned char *a = malloc(MIB), *b = malloc(MIB);
    T_CHECK(a && b);
    if (!a || !b) {
        free(a);
        free(b);
        return;
    }
    oftensor_fill(a, MIB, zero_frac, 42);
    oftensor_fill(b, MIB, zero_frac, 42);
    T_CHECK(memcmp(a, b, MIB) == 0);
    oftensor_fill(b, MIB, zero_frac, 43);
    T_CHECK(zero_frac >= 1 || memcmp(a, b, MIB) != 0);

    const size_t n = MIB / 2;
    size_t zeros = 0, bad = 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t h = (uint16_t)(a[2 * i] | a[2 * i + 1] << 8);
        double v = oftensor_half_value(h);
        if (h == 0)
            zeros++;
        if (!isfinite(v) || v < 0 || (h & 0x8000u))
            bad++;
        sum += v;
    }
    const double sigma = sqrt((double)n * zero_frac * (1 - zero_frac));
    const double dev = fabs((double)zeros - (double)n * zero_frac);
    fprintf(stderr, "oftensor: zero_frac %.2f: %zu zeros of %zu (%.2f sigma)\n",
            zero_frac, zeros, n, sigma > 0 ? dev / sigma : 0.0);
    T_CHECK(dev <= 5 * sigma + 1e-9);
    T_CHECK(bad == 0);
    /* The nonzero values are |N(0,1)|: their mean is sqrt(2/pi) ~ 0.798
     * (a generous 2 % band, over 290 000 samples its sd is ~0.1 %). */
    if (zero_frac < 1)
        T_NEAR(sum / (double)(n - zeros), sqrt(2 / 3.141592653589793), 0.016);
    free(a);
    free(b);
}

int main(void)
{
    check_half();
    check_fill(OFTENSOR_ZERO_FRAC_DEFAULT);
    check_fill(0.0);
    check_fill(0.9);
    check_fill(1.0);
    /* An odd size: the last byte zero, nothing written past it. */
    unsigned char odd[8];
    memset(odd, 0xee, sizeof odd);
    oftensor_fill(odd, 7, 0.0, 1);
    T_CHECK(odd[6] == 0 && odd[7] == 0xee);
    return t_done("test_oftensor");
}

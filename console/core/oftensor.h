/*
 * oftensor - synthetic "realistic activations" for the offload protocol's
 * codecs (issue 18): what split inference sends between two wattson
 * processes is the activation tensor at the split point, and its
 * compressibility is what the adaptive zstd level (core/ofzst.c) and the
 * bench are measured on.
 *
 * The model: IEEE 754 binary16 values after a ReLU.  A fraction
 * zero_frac of them is exactly +0 (ReLU clamps every negative
 * pre-activation to zero); the rest are |N(0, 1)|, half-normal
 * magnitudes, rounded to the nearest binary16 (ties to even).  Each
 * element is zero independently, so the zero count of n elements is
 * Binomial(n, zero_frac) (the unit test checks it within 5 sigma).
 *
 * The default sparsity.  Albericio et al., "Cnvlutin: Ineffectual-
 * Neuron-Free Deep Neural Network Computing", ISCA 2016, measure the
 * fraction of zero-valued input neurons of the convolutional layers of
 * several image networks and report about 44 % on average; Rhu et al.,
 * "Compressing DMA Engine: Leveraging Activation Sparsity for Training
 * Deep Neural Networks", HPCA 2018, measure it per layer during training
 * and find it higher in the deeper layers.  OFTENSOR_ZERO_FRAC_DEFAULT
 * takes the Cnvlutin average, about 0.44: an assumption for a split
 * point somewhere in the middle of a convolutional network, not a figure
 * of any one layer.  Callers that model a deeper split pass more.
 *
 * The generator is splitmix64 (Steele, Lea and Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014); a value is the
 * half-normal's quantile at one of 65,536 levels, from a table of binary16
 * quantiles solved once (Newton's method on libm's erf): the same bytes
 * for the same seed on every machine with a correctly rounded erf (the
 * binary16 rounding is done here, on integers, not by the compiler's
 * _Float16).  Nothing allocates.
 */
#ifndef WATTSON_OFTENSOR_H
#define WATTSON_OFTENSOR_H

#include <stddef.h>
#include <stdint.h>

/* About 44 % zeros: Cnvlutin's (ISCA 2016) average over its networks. */
#define OFTENSOR_ZERO_FRAC_DEFAULT 0.44

/* Fills bytes/2 binary16 elements (little-endian) of buf as above; an odd
 * last byte is set to 0.  zero_frac is clamped to [0, 1]. */
void oftensor_fill(void *buf, size_t bytes, double zero_frac, uint64_t seed);

/* f as IEEE binary16, rounded to nearest, ties to even; overflow gives
 * infinity, NaN stays a (quiet) NaN. */
uint16_t oftensor_half(float f);

/* The value of the binary16 h (exact: every binary16 is a double). */
double oftensor_half_value(uint16_t h);

#endif

/*
 * decnum - the numbers of wattson's own text files (the saved-controls
 * journal, the Q-tables): plain decimal, as printf's %.17g and %u/%llu
 * write them, and nothing else that strtod or strtoul would also take
 * (no spaces, no hex, no inf or nan, no sign on an integer), so that a
 * file that reads is a file wattson could have written.
 *
 * strtod honours LC_NUMERIC; wattson never changes it from "C" (the
 * console sets only LC_CTYPE).  Nothing here allocates.
 */
#ifndef WATTSON_DECNUM_H
#define WATTSON_DECNUM_H

#include <stddef.h>

/* The `len` bytes at s, all of them a finite decimal number of at most
 * `maxlen` bytes (digits, '+', '-', '.', 'e', 'E'), into *out.  0, or -1
 * leaving *out as it was. */
int decnum_double(const char *s, size_t len, size_t maxlen, double *out);

/* The `len` bytes at s, decimal digits only (at most 19), a value <= max,
 * into *out.  0, or -1 leaving *out as it was. */
int decnum_uint(const char *s, size_t len, unsigned long long max,
                unsigned long long *out);

#endif

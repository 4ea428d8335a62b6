/*
 * sinum - a number as people type it on a command line: an optional SI
 * prefix (T G M k m u, the micro sign, n: powers of 1000) and after it,
 * when given, the unit itself ("2.5GHz", "45W", "16G", "16GB" with unit
 * "B", "10us" with unit "s").  Case matters: m is milli, M mega.  Used by
 * the console's `:` commands and by `wattson partition`'s options.
 */
#ifndef WATTSON_SINUM_H
#define WATTSON_SINUM_H

#include <stddef.h>

/* 0 with the value in *v, or -1 (nothing numeric, or text after it that
 * is neither a prefix nor the unit).  The value may be inf or nan as
 * strtod reads them: callers check the range they need. */
int sinum_parse(const char *w, const char *unit, double *v);
/* The other way: v with at most `digits` significant digits and the
 * prefix that puts it in [1, 1000) ("1.5G", "250m", "42"; below 1n in
 * n, above 1000T in T), which sinum_parse reads back.  snprintf's
 * result. */
int sinum_format(char *buf, size_t len, double v, int digits);

#endif

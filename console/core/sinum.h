/*
 * sinum - a number as people type it on a command line: an optional SI
 * prefix (T G M k m u, the micro sign, n: powers of 1000) and after it,
 * when given, the unit itself ("2.5GHz", "45W", "16G", "16GB" with unit
 * "B", "10us" with unit "s").  Case matters: m is milli, M mega.  Used by
 * the console's `:` commands and by `wattson partition`'s options.
 */
#ifndef WATTSON_SINUM_H
#define WATTSON_SINUM_H

/* 0 with the value in *v, or -1 (nothing numeric, or text after it that
 * is neither a prefix nor the unit).  The value may be inf or nan as
 * strtod reads them: callers check the range they need. */
int sinum_parse(const char *w, const char *unit, double *v);

#endif

/*
 * dur - durations as users write them: "250ms", "1.5s", "2m", "1h", "10us".
 * A bare number means seconds.  Negative, NaN, infinite, empty or
 * unit-less-but-suffixed ("5x") values are refused.
 *
 * Grammar, with no spaces anywhere (" 5s", "5 s" and "5s " are refused):
 *   duration = number [unit]
 *   number   = digits ["." [digits]] | "." digits, then optional e[+-]digits
 *   unit     = "ns" | "us" | "ms" | "s" | "m" | "h"    (case-sensitive)
 * Zero ("0s") is a valid duration; callers that need > 0 check it.
 */
#ifndef WATTSON_DUR_H
#define WATTSON_DUR_H

#include <stddef.h>

/* Returns 0 and sets *seconds, or -1 with a one-line reason in err. */
int dur_parse(const char *text, double *seconds, char *err, size_t errlen);

#endif

/*
 * sinum - see sinum.h.
 */
#include "core/sinum.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The prefixes, largest first (the micro sign after u: sinum_format
 * writes u, parse takes both). */
static const struct {
    const char *p;
    double f;
} prefixes[] = {{"T", 1e12}, {"G", 1e9},  {"M", 1e6},         {"k", 1e3},
                {"m", 1e-3}, {"u", 1e-6}, {"\xc2\xb5", 1e-6}, {"n", 1e-9}};

int sinum_format(char *buf, size_t len, double v, int digits)
{
    /* Rounded first, so that 999999 at 3 digits is 1M, not 1e+03k. */
    char r[64];
    snprintf(r, sizeof r, "%.*g", digits, v);
    double a = fabs(strtod(r, NULL));
    if (!isfinite(v) || a == 0 || (a >= 1 && a < 1e3))
        return snprintf(buf, len, "%.*g", digits, v);
    size_t n = sizeof prefixes / sizeof prefixes[0], i = 0;
    while (i + 1 < n && a < prefixes[i].f)
        i++;
    return snprintf(buf, len, "%.*g%s", digits, v / prefixes[i].f,
                    prefixes[i].p);
}

int sinum_parse(const char *w, const char *unit, double *v)
{
    char *end;
    if (!*w)
        return -1;
    *v = strtod(w, &end);
    if (end == w)
        return -1;
    if (!*end)
        return 0;
    if (unit && *unit && strcmp(end, unit) == 0)
        return 0;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i].p);
        if (strncmp(end, prefixes[i].p, n) != 0)
            continue;
        const char *rest = end + n;
        if (*rest && !(unit && *unit && strcmp(rest, unit) == 0))
            return -1;
        *v *= prefixes[i].f;
        return 0;
    }
    return -1;
}

/*
 * sinum - see sinum.h.
 */
#include "core/sinum.h"

#include <stdlib.h>
#include <string.h>

int sinum_parse(const char *w, const char *unit, double *v)
{
    static const struct {
        const char *p;
        double f;
    } prefixes[] = {{"T", 1e12}, {"G", 1e9},  {"M", 1e6},         {"k", 1e3},
                    {"m", 1e-3}, {"u", 1e-6}, {"\xc2\xb5", 1e-6}, {"n", 1e-9}};
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

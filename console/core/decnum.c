/*
 * decnum - see decnum.h.
 */
#include "core/decnum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int decnum_double(const char *s, size_t len, size_t maxlen, double *out)
{
    char buf[64], *end;
    if (len == 0 || len > maxlen || len >= sizeof buf)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789+-.eE", s[i]) || s[i] == '\0')
            return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    double v = strtod(buf, &end);
    if (end != buf + len || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int decnum_uint(const char *s, size_t len, unsigned long long max,
                unsigned long long *out)
{
    unsigned long long v = 0;
    if (len == 0 || len > 19)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

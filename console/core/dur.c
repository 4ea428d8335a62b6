/*
 * dur - duration strings (see dur.h for the grammar).
 *
 * The number is checked against the grammar here and only then converted
 * with strtod, so that strtod's extras ("inf", "nan", hex, leading spaces)
 * can never slip through.
 */
#include "dur.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUR_UNITS "use ns, us, ms, s, m, h"

static const struct {
    const char *name;
    double seconds;
} dur_units[] = {
    {"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3},
    {"s", 1.0},   {"m", 60.0},  {"h", 3600.0},
};

static int dur_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int dur_fail(char *err, size_t errlen, const char *text, const char *why,
                    const char *detail)
{
    if (err && errlen)
        snprintf(err, errlen, "invalid duration '%s': %s%s", text, why,
                 detail ? detail : "");
    return -1;
}

/* strtod honours LC_NUMERIC; the console may have set a locale whose
 * decimal point is ',', so swap ours for the locale's before converting. */
static double dur_strtod(const char *num, size_t len)
{
    char buf[128];
    const char *dp = localeconv()->decimal_point;
    size_t dplen = dp ? strlen(dp) : 0;
    size_t o = 0;
    for (size_t i = 0; i < len && o + 8 < sizeof buf; i++) {
        if (num[i] == '.' && dplen > 0 && dplen < 8) {
            memcpy(buf + o, dp, dplen);
            o += dplen;
        } else {
            buf[o++] = num[i];
        }
    }
    buf[o] = '\0';
    return strtod(buf, NULL);
}

int dur_parse(const char *text, double *seconds, char *err, size_t errlen)
{
    if (!text)
        return dur_fail(err, errlen, "", "no text", NULL);
    const char *p = text;
    if (*p == '\0')
        return dur_fail(err, errlen, text, "empty", NULL);
    if (*p == '-')
        return dur_fail(err, errlen, text, "must not be negative", NULL);
    if (*p == '+')
        return dur_fail(err, errlen, text, "no sign allowed", NULL);
    if (*p == ' ' || *p == '\t')
        return dur_fail(err, errlen, text, "leading space", NULL);

    /* number: D+ [. D*] | . D+, then an optional exponent e[+-]D+ */
    const char *num = p;
    int digits = 0;
    while (dur_digit(*p)) {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (dur_digit(*p)) {
            p++;
            digits++;
        }
    }
    if (digits == 0)
        return dur_fail(err, errlen, text, "no number", NULL);
    if ((*p == 'e' || *p == 'E') &&
        (dur_digit(p[1]) ||
         ((p[1] == '+' || p[1] == '-') && dur_digit(p[2])))) {
        p += 2;
        while (dur_digit(*p))
            p++;
    }
    size_t numlen = (size_t)(p - num);
    if (numlen > 64)
        return dur_fail(err, errlen, text, "number too long", NULL);

    double scale = 1.0; /* a bare number means seconds */
    if (*p != '\0') {
        if (*p == ' ' || *p == '\t')
            return dur_fail(err, errlen, text,
                            "no space allowed between number and unit", NULL);
        const char *u = p;
        while (*p && *p != ' ' && *p != '\t' && !dur_digit(*p) && *p != '.')
            p++;
        size_t ulen = (size_t)(p - u);
        if (ulen == 0) {
            char detail[48];
            snprintf(detail, sizeof detail, "'%.24s'", u);
            return dur_fail(err, errlen, text, "trailing text ", detail);
        }
        int found = 0;
        for (size_t i = 0; i < sizeof dur_units / sizeof dur_units[0]; i++) {
            if (strlen(dur_units[i].name) == ulen &&
                memcmp(dur_units[i].name, u, ulen) == 0) {
                scale = dur_units[i].seconds;
                found = 1;
                break;
            }
        }
        if (!found) {
            char detail[64];
            snprintf(detail, sizeof detail, "'%.*s' (" DUR_UNITS ")",
                     (int)(ulen > 16 ? 16 : ulen), u);
            return dur_fail(err, errlen, text, "unknown unit ", detail);
        }
        if (*p != '\0') {
            char detail[48];
            snprintf(detail, sizeof detail, "'%.24s'", p);
            return dur_fail(err, errlen, text, "trailing text ", detail);
        }
    }

    double v = dur_strtod(num, numlen) * scale;
    if (!isfinite(v))
        return dur_fail(err, errlen, text, "too large", NULL);
    if (seconds)
        *seconds = v;
    return 0;
}

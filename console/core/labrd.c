/*
 * labrd - see labrd.h.
 */
#include "core/labrd.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/cfg.h"
#include "core/dur.h"
#include "core/sinum.h"
#include "wattson/plugin.h"

int labrd_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Every key of t is one of keys[]; else names the first that is not. */
int labrd_keys(const struct cfg *t, const char *path, const char *const *keys,
               size_t n, const char *list, char *err, size_t errlen)
{
    for (size_t i = 0; i < cfg_len(t); i++) {
        const char *key = cfg_key_at(t, i);
        size_t k = 0;
        while (k < n && strcmp(key, keys[k]) != 0)
            k++;
        if (k == n)
            return labrd_err(err, errlen, "%s.%s: unknown (%s)", path, key,
                             list);
    }
    return 0;
}

/* An array node of tables (possibly absent when !required). */
int labrd_array(const struct cfg *t, const char *path, int required, size_t max,
                const char *what, char *err, size_t errlen)
{
    if (!t)
        return required ? labrd_err(err, errlen, "%s: missing (%s)", path, what)
                        : 0;
    if (cfg_type(t) != WATTSON_CFG_TABLE)
        return labrd_err(err, errlen, "%s: expected table, got %s", path,
                         cfg_type_name(cfg_type(t)));
    if (cfg_len(t) == 0 ? required : !cfg_is_array(t))
        return labrd_err(err, errlen, "%s: expected a%s array of %s", path,
                         required ? " non-empty" : "n", what);
    if (cfg_len(t) > max)
        return labrd_err(err, errlen, "%s: at most %zu entries, got %zu", path,
                         max, cfg_len(t));
    for (size_t i = 0; i < cfg_len(t); i++)
        if (cfg_type(cfg_at(t, i)) != WATTSON_CFG_TABLE)
            return labrd_err(err, errlen, "%s.%zu: expected table, got %s",
                             path, i + 1,
                             cfg_type_name(cfg_type(cfg_at(t, i))));
    return 0;
}

/* A string field: NULL when absent (and !required), else its text. */
int labrd_string(const struct cfg *t, const char *path, const char *key,
                 int required, const char **s, char *err, size_t errlen)
{
    const struct cfg *n = cfg_get(t, key);
    *s = NULL;
    if (!n)
        return required ? labrd_err(err, errlen, "%s.%s: missing", path, key)
                        : 0;
    if (cfg_type(n) != WATTSON_CFG_STRING)
        return labrd_err(err, errlen, "%s.%s: expected string, got %s", path,
                         key, cfg_type_name(cfg_type(n)));
    *s = cfg_string(n);
    return 0;
}

/* A number in base units: a number, or a string read with an SI prefix
 * and `unit` (sinum.h), or a duration (dur.h) when unit is "s".  Absent:
 * *v unchanged. */
int labrd_number(const struct cfg *t, const char *path, const char *key,
                 const char *unit, double *v, char *err, size_t errlen)
{
    const struct cfg *n = cfg_get(t, key);
    if (!n)
        return 0;
    if (cfg_type(n) == WATTSON_CFG_NUMBER) {
        *v = cfg_number(n);
    } else if (cfg_type(n) == WATTSON_CFG_STRING) {
        char why[128];
        const char *s = cfg_string(n);
        if (strcmp(unit, "s") == 0) {
            if (dur_parse(s, v, why, sizeof why) != 0)
                return labrd_err(err, errlen, "%s.%s: %s", path, key, why);
        } else if (sinum_parse(s, unit, v) != 0) {
            if (!*unit)
                return labrd_err(err, errlen, "%s.%s: '%.40s' is not a number",
                                 path, key, s);
            return labrd_err(err, errlen,
                             "%s.%s: '%.40s' is not a number of %s "
                             "(e.g. \"16G%s\")",
                             path, key, s, unit, unit);
        }
    } else {
        return labrd_err(err, errlen,
                         "%s.%s: expected a number or a string with its "
                         "unit, got %s",
                         path, key, cfg_type_name(cfg_type(n)));
    }
    if (!isfinite(*v))
        return labrd_err(err, errlen, "%s.%s: must be finite, got %g", path,
                         key, *v);
    return 0;
}

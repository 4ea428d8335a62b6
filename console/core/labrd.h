/*
 * labrd - typed reads of a lab file's tables with one-line messages that
 * name the field's path ("vgpu.tenants.2.min_sm: must be finite"), shared
 * by the readers of the lab's engine tables (labclu.c, labvg.c).  Each
 * returns 0, or -1 with the message in err.
 */
#ifndef WATTSON_LABRD_H
#define WATTSON_LABRD_H

#include <stddef.h>

struct cfg;

#if defined(__GNUC__)
#define LABRD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LABRD_PRINTF(f, a)
#endif

/* Formats the message into err; returns -1. */
int labrd_err(char *err, size_t errlen, const char *fmt, ...)
    LABRD_PRINTF(3, 4);
/* Every key of t is one of keys[]; else names the first that is not, with
 * `list` (the keys in words) after it. */
int labrd_keys(const struct cfg *t, const char *path, const char *const *keys,
               size_t n, const char *list, char *err, size_t errlen);
/* An array node of at most `max` tables (absent is fine when !required). */
int labrd_array(const struct cfg *t, const char *path, int required, size_t max,
                const char *what, char *err, size_t errlen);
/* A string field: *s NULL when absent (and !required), else its text. */
int labrd_string(const struct cfg *t, const char *path, const char *key,
                 int required, const char **s, char *err, size_t errlen);
/* A number in base units: a number, or a string read with an SI prefix
 * and `unit` (sinum.h), or a duration (dur.h) when unit is "s".  Absent:
 * *v unchanged.  Finite. */
int labrd_number(const struct cfg *t, const char *path, const char *key,
                 const char *unit, double *v, char *err, size_t errlen);

#endif

/*
 * csvtrace - the `t_s,util` trace reader.  The parser never trusts the
 * input: it works on (pointer, length), copies each field into a bounded
 * buffer before strtod (which needs a NUL), and checks every number, so the
 * fuzzer can feed it any bytes.
 */
#include "csvtrace.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longer fields cannot be sensible numbers of a trace. */
#define CSVTRACE_FIELD_MAX 64
/* Refuse files above this size rather than exhaust memory. */
#define CSVTRACE_FILE_MAX ((size_t)256 << 20)

static const char csvtrace_header[] = "t_s,util";

/* Next line [*start, *start + *llen) without its "\n" or "\r\n"; 0 at the
 * end of the input. */
static int csvtrace_line(const char *buf, size_t len, size_t *pos,
                         const char **start, size_t *llen)
{
    const char *nl;
    size_t n;

    if (*pos >= len)
        return 0;
    *start = buf + *pos;
    nl = memchr(*start, '\n', len - *pos);
    n = nl ? (size_t)(nl - *start) : len - *pos;
    *pos += n + (nl ? 1 : 0);
    if (n > 0 && (*start)[n - 1] == '\r')
        n--;
    *llen = n;
    return 1;
}

/* Parses one trimmed field as a finite double; -1 if it is not one. */
static int csvtrace_number(const char *s, size_t n, double *out)
{
    char tmp[CSVTRACE_FIELD_MAX];
    char *end;

    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    *out = strtod(tmp, &end);
    /* An embedded NUL stops strtod early, so it fails this test too. */
    if (end != tmp + n || !isfinite(*out))
        return -1;
    return 0;
}

/* 1 if only line ends remain from pos on (trailing blank lines). */
static int csvtrace_only_newlines(const char *buf, size_t len, size_t pos)
{
    for (; pos < len; pos++)
        if (buf[pos] != '\n' && buf[pos] != '\r')
            return 0;
    return 1;
}

static int csvtrace_rows(const char *buf, size_t len, const char *name,
                         struct csvtrace *out, char *err, size_t errlen)
{
    size_t pos = 0, line = 1, llen = 0, cap = 1;
    const char *s = NULL;

    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        pos = 3; /* UTF-8 byte-order mark from spreadsheet exports */
    if (!csvtrace_line(buf, len, &pos, &s, &llen) ||
        llen != sizeof csvtrace_header - 1 ||
        memcmp(s, csvtrace_header, llen) != 0) {
        snprintf(err, errlen, "%s:1: expected the header '%s'", name,
                 csvtrace_header);
        return -1;
    }

    /* Rows <= remaining line ends + 1: one allocation of each array. */
    for (size_t i = pos; i < len; i++)
        if (buf[i] == '\n')
            cap++;
    if (cap > CSVTRACE_ROWS_MAX)
        cap = CSVTRACE_ROWS_MAX; /* more is refused below */
    out->t = malloc(cap * sizeof *out->t);
    out->v = malloc(cap * sizeof *out->v);
    if (!out->t || !out->v) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }

    while (csvtrace_line(buf, len, &pos, &s, &llen)) {
        const char *comma;
        double t, v;

        line++;
        if (llen == 0) {
            if (csvtrace_only_newlines(buf, len, pos))
                break;
            snprintf(err, errlen, "%s:%zu: empty line", name, line);
            return -1;
        }
        comma = memchr(s, ',', llen);
        if (!comma || memchr(comma + 1, ',', llen - (size_t)(comma - s) - 1) ||
            csvtrace_number(s, (size_t)(comma - s), &t) ||
            csvtrace_number(comma + 1, llen - (size_t)(comma - s) - 1, &v)) {
            snprintf(err, errlen, "%s:%zu: expected two numbers 't_s,util'",
                     name, line);
            return -1;
        }
        if (t < 0) {
            snprintf(err, errlen, "%s:%zu: t_s must be >= 0, got %g", name,
                     line, t);
            return -1;
        }
        if (out->n > 0 && !(t > out->t[out->n - 1])) {
            snprintf(err, errlen,
                     "%s:%zu: t_s must increase strictly (%g after %g)", name,
                     line, t, out->t[out->n - 1]);
            return -1;
        }
        /* Replay walks the rows an interval covers: rows 1e-300 s apart
         * made one tick walk forever.  With this floor and the row limit
         * the rows per tick are bounded (see csvtrace.h). */
        if (out->n > 0 && t - out->t[out->n - 1] < CSVTRACE_MIN_STEP_S) {
            snprintf(err, errlen,
                     "%s:%zu: rows closer than %g s (t_s %.10g after %.10g); "
                     "the minimum spacing is %g s",
                     name, line, CSVTRACE_MIN_STEP_S, t, out->t[out->n - 1],
                     CSVTRACE_MIN_STEP_S);
            return -1;
        }
        if (out->n >= CSVTRACE_ROWS_MAX) {
            snprintf(err, errlen, "%s:%zu: more than %zu rows", name, line,
                     (size_t)CSVTRACE_ROWS_MAX);
            return -1;
        }
        if (v < 0 || v > 1) {
            snprintf(err, errlen, "%s:%zu: util must be in [0, 1], got %g",
                     name, line, v);
            return -1;
        }
        out->t[out->n] = t;
        out->v[out->n] = v;
        out->n++;
    }
    if (out->n == 0) {
        snprintf(err, errlen, "%s: no data rows after the header", name);
        return -1;
    }
    return 0;
}

int csvtrace_parse(const char *buf, size_t len, const char *name,
                   struct csvtrace *out, char *err, size_t errlen)
{
    /* strtod follows LC_NUMERIC, which a UI may have set to a locale with
     * a decimal comma: parse under the C locale. */
    locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t old = c ? uselocale(c) : (locale_t)0;
    int rc;

    memset(out, 0, sizeof *out);
    rc = csvtrace_rows(buf ? buf : "", buf ? len : 0, name, out, err, errlen);
    if (c) {
        uselocale(old);
        freelocale(c);
    }
    if (rc)
        csvtrace_free(out);
    return rc;
}

int csvtrace_load_as(const char *path, const char *name, struct csvtrace *out,
                     char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", name, strerror(errno));
        return -1;
    }
    /* Read in chunks rather than trusting a file size (pipes, /proc). */
    for (;;) {
        size_t got;
        if (len == cap) {
            char *nb;
            if (cap >= CSVTRACE_FILE_MAX) {
                snprintf(err, errlen, "%s: larger than %zu bytes", name,
                         CSVTRACE_FILE_MAX);
                free(buf);
                fclose(f);
                return -1;
            }
            cap = cap ? cap * 2 : 65536;
            nb = realloc(buf, cap);
            if (!nb) {
                snprintf(err, errlen, "%s: out of memory", name);
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", name);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    rc = csvtrace_parse(buf, len, name, out, err, errlen);
    free(buf);
    return rc;
}

int csvtrace_load(const char *path, struct csvtrace *out, char *err,
                  size_t errlen)
{
    return csvtrace_load_as(path, path, out, err, errlen);
}

void csvtrace_free(struct csvtrace *tr)
{
    free(tr->t);
    free(tr->v);
    tr->t = NULL;
    tr->v = NULL;
    tr->n = 0;
}

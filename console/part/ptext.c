/*
 * ptext - see ptext.h.
 */
#include "part/ptext.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/decnum.h"
#include "part/mgraph.h"

void ptext_lines_init(struct ptext_lines *it, const char *text, size_t len)
{
    it->p = text;
    it->end = text + len;
    it->line = 0;
}

int ptext_next(struct ptext_lines *it, const char **s, size_t *len)
{
    if (it->p >= it->end)
        return 0;
    const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
    const char *stop = nl ? nl : it->end;
    *s = it->p;
    *len = (size_t)(stop - it->p);
    if (*len > 0 && stop[-1] == '\r')
        (*len)--;
    it->p = nl ? nl + 1 : it->end;
    it->line++;
    return 1;
}

int ptext_err(char *err, size_t errlen, const char *fname, unsigned line,
              const char *fmt, ...)
{
    if (errlen == 0)
        return -1;
    int n = line ? snprintf(err, errlen, "%s:%u: ", fname, line)
                 : snprintf(err, errlen, "%s: ", fname);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    /* the file name and quoted input may hold anything: the message is
     * one line whatever they hold */
    for (char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return -1;
}

const char *ptext_quote(char out[PTEXT_QUOTE], const char *s, size_t len)
{
    const size_t keep = len > 40 ? 40 : len;
    size_t o = 0;
    for (size_t i = 0; i < keep; i++) {
        const unsigned char c = (unsigned char)s[i];
        out[o++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
    }
    if (keep < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

int ptext_nonneg(const char *s, size_t len, double *out)
{
    double v;
    /* 40 bytes hold any number a profiler prints; longer is not a number
     * anyone wrote */
    if (decnum_double(s, len, 40, &v) != 0 || v < 0)
        return -1;
    *out = v == 0 ? 0 : v; /* no -0 */
    return 0;
}

int ptext_slurp(const char *path, size_t max, char **buf, size_t *len,
                char *err, size_t errlen)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ptext_err(err, errlen, path, 0, "cannot open: %s",
                         strerror(errno));
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    int rc = -1;
    while (b) {
        n += fread(b + n, 1, cap - 1 - n, f);
        if (ferror(f)) {
            ptext_err(err, errlen, path, 0, "cannot read: %s", strerror(errno));
            break;
        }
        if (n > max) {
            ptext_err(err, errlen, path, 0, "too large (over %zu bytes)", max);
            break;
        }
        if (feof(f)) {
            b[n] = '\0';
            rc = 0;
            break;
        }
        if (n == cap - 1) {
            char *nb = realloc(b, cap * 2);
            if (!nb)
                free(b);
            b = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (rc != 0 || !b) {
        if (!b)
            ptext_err(err, errlen, path, 0, "out of memory");
        free(b);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

void ptext_model_name(struct mgraph *g, const char *fname)
{
    const char *base = strrchr(fname, '/');
    base = base ? base + 1 : fname;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (n >= sizeof g->name)
        n = sizeof g->name - 1;
    memcpy(g->name, base, n);
    g->name[n] = '\0';
}

int ptext_dag(const struct mgraph *g, const char *fname, char *err,
              size_t errlen)
{
    uint32_t *order = malloc((g->n ? g->n : 1) * sizeof *order);
    if (!order)
        return ptext_err(err, errlen, fname, 0, "out of memory");
    char msg[160];
    const int rc = mgraph_topo(g, order, msg, sizeof msg);
    free(order);
    if (rc == 0)
        return 0;
    /* mgraph_topo ends its message with " (line N)": the readers' errors
     * put the line up front, as every other one of theirs does */
    unsigned line = 0;
    char *at = NULL;
    for (char *p = strstr(msg, " (line "); p; p = strstr(p + 1, " (line "))
        at = p;
    if (at && sscanf(at, " (line %u)", &line) == 1)
        *at = '\0';
    return ptext_err(err, errlen, fname, line, "%s", msg);
}

/*
 * ipcfmt - see ipcfmt.h.  The line is split on blanks by hand, each field
 * checked character by character before any conversion (so strtod never
 * sees inf, nan, hex or a sign, and the integers are converted here with
 * an explicit overflow test rather than strtoul, which accepts "-1").
 */
#include "core/ipcfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IPCFMT_NUM_MAX 64 /* longest t_s field + NUL */
#define IPCFMT_SHOW 24    /* bytes of a bad field quoted in a message */

static const char *const ipcfmt_types[WATTSON_IPC__N] = {"data", "request",
                                                         "reply", "control"};
static const char *const ipcfmt_fields[5] = {"t", "src_pid", "dst_pid", "bytes",
                                             "type"};

struct ipcfmt_tok {
    const char *s;
    size_t n;
};

static int ipcfmt_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\v';
}

/* The field quoted for a message: printable ASCII, '?' for the rest, cut
 * at IPCFMT_SHOW bytes with "...". */
static void ipcfmt_show(const struct ipcfmt_tok *t, char out[IPCFMT_SHOW + 4])
{
    size_t n = t->n < IPCFMT_SHOW ? t->n : IPCFMT_SHOW, i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t->s[i];
        out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (t->n > n) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
}

static int ipcfmt_fail(char *err, size_t errlen, const char *field,
                       const struct ipcfmt_tok *t, const char *why)
{
    char shown[IPCFMT_SHOW + 4];
    if (t) {
        ipcfmt_show(t, shown);
        snprintf(err, errlen, "%s: %s, got '%s'", field, why, shown);
    } else {
        snprintf(err, errlen, "%s: %s", field, why);
    }
    return -1;
}

static int ipcfmt_time(const struct ipcfmt_tok *t, double *out, char *err,
                       size_t errlen)
{
    char tmp[IPCFMT_NUM_MAX];
    int digits = 0;
    if (t->s[0] == '-')
        return ipcfmt_fail(err, errlen, "t", t, "must be >= 0");
    for (size_t i = 0; i < t->n; i++) {
        char c = t->s[i];
        if (c >= '0' && c <= '9')
            digits = 1;
        else if (!(c == '.' || c == 'e' || c == 'E' ||
                   ((c == '+' || c == '-') && i > 0 &&
                    (t->s[i - 1] == 'e' || t->s[i - 1] == 'E'))))
            return ipcfmt_fail(err, errlen, "t", t,
                               "expected a decimal number of seconds");
    }
    if (!digits)
        return ipcfmt_fail(err, errlen, "t", t,
                           "expected a decimal number of seconds");
    if (t->n >= sizeof tmp)
        return ipcfmt_fail(err, errlen, "t", t, "too long");
    memcpy(tmp, t->s, t->n);
    tmp[t->n] = '\0';
    char *end;
    double v = strtod(tmp, &end);
    if (end != tmp + t->n)
        return ipcfmt_fail(err, errlen, "t", t,
                           "expected a decimal number of seconds");
    if (!isfinite(v))
        return ipcfmt_fail(err, errlen, "t", t, "not finite");
    *out = v;
    return 0;
}

/* Plain decimal digits, at most `max`. */
static int ipcfmt_uint(const struct ipcfmt_tok *t, const char *field,
                       uint64_t max, const char *type, uint64_t *out, char *err,
                       size_t errlen)
{
    uint64_t v = 0;
    if (t->s[0] == '-')
        return ipcfmt_fail(err, errlen, field, t, "must not be negative");
    for (size_t i = 0; i < t->n; i++) {
        char c = t->s[i];
        if (c < '0' || c > '9')
            return ipcfmt_fail(err, errlen, field, t,
                               "expected decimal digits");
    }
    for (size_t i = 0; i < t->n; i++) {
        unsigned d = (unsigned)(t->s[i] - '0');
        if (v > (max - d) / 10) {
            char why[32];
            snprintf(why, sizeof why, "overflows %s", type);
            return ipcfmt_fail(err, errlen, field, t, why);
        }
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int ipcfmt_type(const struct ipcfmt_tok *t, uint32_t *out, char *err,
                       size_t errlen)
{
    if (t->n == 1 && t->s[0] >= '0' && t->s[0] < '0' + WATTSON_IPC__N) {
        *out = (uint32_t)(t->s[0] - '0');
        return 0;
    }
    for (uint32_t i = 0; i < WATTSON_IPC__N; i++)
        if (t->n == strlen(ipcfmt_types[i]) &&
            memcmp(t->s, ipcfmt_types[i], t->n) == 0) {
            *out = i;
            return 0;
        }
    return ipcfmt_fail(err, errlen, "type", t,
                       "expected 0..3, data, request, reply or control");
}

int ipcfmt_parse_line(const char *line, size_t len,
                      struct wattson_ipc_event *ev, char *err, size_t errlen)
{
    struct ipcfmt_tok tok[5];
    size_t pos = 0, nt = 0;
    if (!line)
        len = 0;
    for (;;) {
        while (pos < len && ipcfmt_blank(line[pos]))
            pos++;
        if (pos == len || line[pos] == '#')
            break;
        size_t start = pos;
        while (pos < len && !ipcfmt_blank(line[pos]))
            pos++;
        if (nt == 5) {
            struct ipcfmt_tok extra = {line + start, pos - start};
            return ipcfmt_fail(err, errlen, "type", &extra,
                               "trailing text after the five fields");
        }
        tok[nt].s = line + start;
        tok[nt].n = pos - start;
        nt++;
    }
    if (nt == 0)
        return 0;
    if (nt < 5) {
        char why[96];
        snprintf(why, sizeof why,
                 "missing (expected 't_s src_pid dst_pid bytes type', got %zu "
                 "field%s)",
                 nt, nt == 1 ? "" : "s");
        return ipcfmt_fail(err, errlen, ipcfmt_fields[nt], NULL, why);
    }
    struct wattson_ipc_event e;
    uint64_t src, dst;
    if (ipcfmt_time(&tok[0], &e.t, err, errlen) ||
        ipcfmt_uint(&tok[1], "src_pid", UINT32_MAX, "uint32", &src, err,
                    errlen) ||
        ipcfmt_uint(&tok[2], "dst_pid", UINT32_MAX, "uint32", &dst, err,
                    errlen) ||
        ipcfmt_uint(&tok[3], "bytes", UINT64_MAX, "uint64", &e.bytes, err,
                    errlen) ||
        ipcfmt_type(&tok[4], &e.type, err, errlen))
        return -1;
    e.src_pid = (uint32_t)src;
    e.dst_pid = (uint32_t)dst;
    *ev = e;
    return 1;
}

int ipcfmt_format_line(const struct wattson_ipc_event *ev, char *buf,
                       size_t len)
{
    if (len > 0)
        buf[0] = '\0';
    if (!(isfinite(ev->t) && ev->t >= 0) || ev->type >= WATTSON_IPC__N)
        return -1;
    /* The shortest of %.15g / %.16g / %.17g that reads back exactly, so
     * 0.1 stays "0.1" and every double still round-trips.  -0 prints as
     * "-0", which the reader refuses: write 0. */
    double t = ev->t == 0 ? 0 : ev->t;
    char tb[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tb, sizeof tb, "%.*g", prec, t);
        if (strtod(tb, NULL) == t)
            break;
    }
    int n = snprintf(buf, len, "%s %u %u %llu %s\n", tb, (unsigned)ev->src_pid,
                     (unsigned)ev->dst_pid, (unsigned long long)ev->bytes,
                     ipcfmt_types[ev->type]);
    if (n < 0 || (size_t)n >= len) {
        if (len > 0)
            buf[0] = '\0';
        return -1;
    }
    return n;
}

void ipcfmt_reader_init(struct ipcfmt_reader *r, const char *name)
{
    memset(r, 0, sizeof *r);
    r->name = name;
}

static int ipcfmt_reader_fail(const struct ipcfmt_reader *r, const char *msg,
                              char *err, size_t errlen)
{
    if (r->name)
        snprintf(err, errlen, "%s:%llu: %s", r->name,
                 (unsigned long long)r->line, msg);
    else
        snprintf(err, errlen, "line %llu: %s", (unsigned long long)r->line,
                 msg);
    return -1;
}

int ipcfmt_reader_next(struct ipcfmt_reader *r, const char *line, size_t len,
                       struct wattson_ipc_event *ev, char *err, size_t errlen)
{
    char msg[200];
    struct wattson_ipc_event e;
    r->line++;
    int rc = ipcfmt_parse_line(line, len, &e, msg, sizeof msg);
    if (rc < 0)
        return ipcfmt_reader_fail(r, msg, err, errlen);
    if (rc == 0)
        return 0;
    if (r->events > 0 && e.t < r->last_t) {
        snprintf(msg, sizeof msg, "t: goes backwards (%.17g after %.17g)", e.t,
                 r->last_t);
        return ipcfmt_reader_fail(r, msg, err, errlen);
    }
    r->last_t = e.t;
    r->events++;
    *ev = e;
    return 1;
}

/*
 * vgproto - see vgproto.h.
 *
 * The line is checked byte by byte before anything else: only printable
 * ASCII and spaces, so a NUL, a control character or a byte above 0x7e
 * is EPROTO and never reaches strtod or a name.  Words are copied into a
 * fixed array of at most VGP_MAX_WORDS words on the stack.
 */
#include "core/vgproto.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/sinum.h"

#define VGP_MAX_WORDS 4

static const char *const code_names[VGPROTO__N] = {
    [VGPROTO_EPROTO] = "EPROTO",   [VGPROTO_ETYPE] = "ETYPE",
    [VGPROTO_EGPU] = "EGPU",       [VGPROTO_EAMOUNT] = "EAMOUNT",
    [VGPROTO_ELIMIT] = "ELIMIT",   [VGPROTO_EFULL] = "EFULL",
    [VGPROTO_EPOLICY] = "EPOLICY", [VGPROTO_ERATE] = "ERATE",
    [VGPROTO_EPERM] = "EPERM",
};

static const char *const type_names[WVG_NTYPES] = WVG_TYPE_NAMES;
static const char *const type_units[WVG_NTYPES] = WVG_TYPE_UNITS;

static const struct {
    const char *name;
    int verb, n_args; /* words after the verb, without the GPU */
} verbs[] = {
    {"REQUEST", VGPROTO_REQUEST, 2},
    {"RELEASE", VGPROTO_RELEASE, 2},
    {"AVAILABLE", VGPROTO_AVAILABLE, 0},
    {"LIMIT", VGPROTO_LIMIT, 2},
};

const char *vgproto_code_name(int code)
{
    return code > VGPROTO_OK && code < VGPROTO__N ? code_names[code] : NULL;
}

static int gpu_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

int vgproto_parse(const char *line, size_t len, struct vgproto_req *rq,
                  char *msg, size_t mlen)
{
    char buf[WVG_LINE_MAX];
    char *w[VGP_MAX_WORDS];
    size_t nw = 0;
    memset(rq, 0, sizeof *rq);
    rq->type = -1;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len >= WVG_LINE_MAX) {
        snprintf(msg, mlen, "line longer than %d bytes", WVG_LINE_MAX - 1);
        return VGPROTO_EPROTO;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 || c > 0x7e) {
            snprintf(msg, mlen,
                     "byte 0x%02x at column %zu: only printable "
                     "ASCII is allowed",
                     c, i + 1);
            return VGPROTO_EPROTO;
        }
    }
    memcpy(buf, line, len);
    buf[len] = '\0';
    for (char *p = buf; *p;) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        if (nw == VGP_MAX_WORDS) {
            snprintf(msg, mlen, "too many words");
            return VGPROTO_EPROTO;
        }
        w[nw++] = p;
        while (*p && *p != ' ')
            p++;
    }
    if (nw == 0) {
        snprintf(msg, mlen, "empty line");
        return VGPROTO_EPROTO;
    }
    size_t v = 0;
    while (v < sizeof verbs / sizeof verbs[0] && strcmp(verbs[v].name, w[0]))
        v++;
    if (v == sizeof verbs / sizeof verbs[0]) {
        snprintf(msg, mlen,
                 "unknown request '%.32s' (REQUEST, RELEASE, AVAILABLE or "
                 "LIMIT)",
                 w[0]);
        return VGPROTO_EPROTO;
    }
    size_t want = (size_t)verbs[v].n_args;
    if (nw - 1 < want || nw - 1 > want + 1) {
        snprintf(msg, mlen, "%s takes %s%s[GPU]", verbs[v].name,
                 want ? "TYPE " : "",
                 want ? (verbs[v].verb == VGPROTO_LIMIT ? "LIMIT " : "AMOUNT ")
                      : "");
        return VGPROTO_EPROTO;
    }
    rq->verb = verbs[v].verb;
    if (nw - 1 > want) {
        const char *g = w[nw - 1];
        size_t gl = strlen(g);
        int named = gl < VGPROTO_GPU_MAX;
        /* the scan stops at the first bad byte: changing gl inside the
         * loop would carry it on past the word's end */
        for (size_t i = 0; named && i < gl; i++)
            named = gpu_char(g[i]);
        if (!named) {
            snprintf(msg, mlen, "gpu '%.32s' is not a device name", g);
            return VGPROTO_EGPU;
        }
        memcpy(rq->gpu, g, gl + 1);
    }
    if (want == 0)
        return VGPROTO_OK;
    int t = 0;
    while (t < WVG_NTYPES && strcmp(type_names[t], w[1]) != 0)
        t++;
    if (t == WVG_NTYPES) {
        snprintf(msg, mlen, "unknown type '%.32s' (compute, memory or power)",
                 w[1]);
        return VGPROTO_ETYPE;
    }
    rq->type = t;
    double a;
    int is_limit = rq->verb == VGPROTO_LIMIT;
    if (sinum_parse(w[2], type_units[t], &a) != 0) {
        snprintf(msg, mlen, "%s '%.32s' is not a number%s%s",
                 is_limit ? "limit" : "amount", w[2], t ? " of " : "",
                 t ? type_units[t] : "");
        return VGPROTO_EAMOUNT;
    }
    if (!isfinite(a) || a < 0 || (a == 0 && !is_limit)) {
        snprintf(msg, mlen, "%s '%.32s' must be finite and %s",
                 is_limit ? "limit" : "amount", w[2],
                 is_limit ? ">= 0" : "> 0");
        return VGPROTO_EAMOUNT;
    }
    rq->amount = a;
    return VGPROTO_OK;
}

int vgproto_format_req(const struct vgproto_req *rq, char *buf, size_t len)
{
    size_t v = 0;
    while (v < sizeof verbs / sizeof verbs[0] && verbs[v].verb != rq->verb)
        v++;
    if (v == sizeof verbs / sizeof verbs[0])
        return -1;
    int n;
    const char *sep = rq->gpu[0] ? " " : "";
    if (verbs[v].n_args == 0) {
        n = snprintf(buf, len, "%s%s%s\n", verbs[v].name, sep, rq->gpu);
    } else {
        if (rq->type < 0 || rq->type >= WVG_NTYPES)
            return -1;
        n = snprintf(buf, len, "%s %s %.17g%s%s\n", verbs[v].name,
                     type_names[rq->type], rq->amount, sep, rq->gpu);
    }
    return n < 0 || (size_t)n >= len ? -1 : n;
}

int vgproto_format_err(char *buf, size_t len, int code, const char *msg)
{
    const char *name = vgproto_code_name(code);
    int n = snprintf(buf, len, "ERR %s ", name ? name : "EPROTO");
    if (n < 0 || (size_t)n + 2 > len)
        return -1;
    size_t at = (size_t)n;
    for (const char *p = msg; *p && at + 2 < len; p++) {
        unsigned char c = (unsigned char)*p;
        buf[at++] = c >= 0x20 && c <= 0x7e ? (char)c : '?';
    }
    buf[at++] = '\n';
    buf[at] = '\0';
    return (int)at;
}

/*
 * dncfg - see dncfg.h.  Two passes: the text is split into sections and
 * key=value lines (Darknet's read_cfg(), which strips every blank out of a
 * line first, so "layers = -1, 8" reads as "layers=-1,8"), then each layer
 * section is turned into a node in order, its input shape being the
 * output of the layer before it (or [net]'s image for layer 0), as
 * parse_network_cfg() does.  The graph is built in a local mgraph and
 * handed over only when the whole file was read.
 */
#include "part/dncfg.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Darknet's largest networks have a few hundred layers; the cap keeps a
 * hostile file from making mgraph's edge list (a linear duplicate check
 * per edge) quadratic in millions. */
#define DNCFG_MAX_LAYERS 10000
/* Likewise for edges: a file of long routes could otherwise ask for
 * hundreds of thousands (densenet201 has 402 for 305 layers). */
#define DNCFG_MAX_EDGES (2 * DNCFG_MAX_LAYERS)
/* The duplicate-key check is quadratic in a section's keys. */
#define DNCFG_MAX_KEYS 128

struct dncfg_kv {
    const char *key, *val;
    unsigned line;
};

struct dncfg_sect {
    const char *name;
    unsigned line;
    size_t k0, nk; /* its keys: kv[k0 .. k0+nk) */
};

enum dncfg_kind {
    DK_CONV,
    DK_DECONV,
    DK_LOCAL,
    DK_CONN,
    DK_MAXPOOL,
    DK_AVGPOOL,
    DK_ROUTE,
    DK_SHORTCUT,
    DK_UPSAMPLE,
    DK_YOLO,
    DK_REGION,
    DK_DETECTION,
    DK_COST,
    DK_SOFTMAX,
    DK_DROPOUT,
    DK_BATCHNORM,
    DK_CROP,
    DK_REORG,
    DK_ELEMENTWISE, /* normalization, activation, logistic, l2norm */
    DK_NET,
    DK_UNSUPPORTED,
};

/* Darknet's section names (string_to_layer_type()), aliases included,
 * with the canonical name a node's kind gets. */
static const struct {
    const char *name, *canon;
    enum dncfg_kind kind;
} dncfg_kinds[] = {
    {"convolutional", "convolutional", DK_CONV},
    {"conv", "convolutional", DK_CONV},
    {"deconvolutional", "deconvolutional", DK_DECONV},
    {"deconv", "deconvolutional", DK_DECONV},
    {"local", "local", DK_LOCAL},
    {"connected", "connected", DK_CONN},
    {"conn", "connected", DK_CONN},
    {"maxpool", "maxpool", DK_MAXPOOL},
    {"max", "maxpool", DK_MAXPOOL},
    {"avgpool", "avgpool", DK_AVGPOOL},
    {"avg", "avgpool", DK_AVGPOOL},
    {"route", "route", DK_ROUTE},
    {"shortcut", "shortcut", DK_SHORTCUT},
    {"upsample", "upsample", DK_UPSAMPLE},
    {"yolo", "yolo", DK_YOLO},
    {"region", "region", DK_REGION},
    {"detection", "detection", DK_DETECTION},
    {"cost", "cost", DK_COST},
    {"softmax", "softmax", DK_SOFTMAX},
    {"soft", "softmax", DK_SOFTMAX},
    {"dropout", "dropout", DK_DROPOUT},
    {"batchnorm", "batchnorm", DK_BATCHNORM},
    {"crop", "crop", DK_CROP},
    {"reorg", "reorg", DK_REORG},
    {"normalization", "normalization", DK_ELEMENTWISE},
    {"lrn", "normalization", DK_ELEMENTWISE},
    {"activation", "activation", DK_ELEMENTWISE},
    {"logistic", "logistic", DK_ELEMENTWISE},
    {"l2norm", "l2norm", DK_ELEMENTWISE},
    {"net", "net", DK_NET},
    {"network", "net", DK_NET},
    /* recurrent and segmentation layers: Darknet has them, but their
     * cost depends on time steps this reader does not model */
    {"rnn", "rnn", DK_UNSUPPORTED},
    {"gru", "gru", DK_UNSUPPORTED},
    {"lstm", "lstm", DK_UNSUPPORTED},
    {"crnn", "crnn", DK_UNSUPPORTED},
    {"iseg", "iseg", DK_UNSUPPORTED},
    {"xnor", "xnor", DK_UNSUPPORTED},
};

struct dncfg_ctx {
    const char *fname;
    char *err;
    size_t errlen;
    struct dncfg_kv *kv;
    size_t nkv, cap_kv;
    struct dncfg_sect *sec;
    size_t nsec, cap_sec;
    struct mgraph g;
};

/* The one error line: "FNAME:LINE: [sect] key=value: why", or without
 * the key=value when kv is NULL, or without both when s is NULL. */
static int dncfg_fail(struct dncfg_ctx *c, unsigned line,
                      const struct dncfg_sect *s, const struct dncfg_kv *kv,
                      const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int dncfg_fail(struct dncfg_ctx *c, unsigned line,
                      const struct dncfg_sect *s, const struct dncfg_kv *kv,
                      const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (!c->err || c->errlen == 0)
        return -1;
    if (s && kv)
        snprintf(c->err, c->errlen, "%s:%u: [%s] %s=%s: %s", c->fname, kv->line,
                 s->name, kv->key, kv->val, why);
    else if (s)
        snprintf(c->err, c->errlen, "%s:%u: [%s]: %s", c->fname, s->line,
                 s->name, why);
    else
        snprintf(c->err, c->errlen, "%s:%u: %s", c->fname, line, why);
    return -1;
}

static int dncfg_oom(struct dncfg_ctx *c)
{
    snprintf(c->err, c->errlen, "%s: out of memory", c->fname);
    return -1;
}

/* Grows an array of `size`-byte elements to hold one more. */
static int dncfg_grow(void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    const size_t ncap = *cap ? 2 * *cap : 64;
    void *p = realloc(*arr, ncap * size);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

/* Pass 1: sections and keys.  `buf` is a NUL-terminated private copy
 * that the kv and sect entries point into. */
static int dncfg_split(struct dncfg_ctx *c, char *buf, size_t len)
{
    unsigned line = 0;
    char *p = buf, *end = buf + len;
    while (p < end) {
        line++;
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl ? nl : end;
        /* strip every blank, as Darknet's strip() does */
        char *d = p;
        for (char *q = p; q < eol; q++)
            if (*q != ' ' && *q != '\t' && *q != '\r' && *q != '\v' &&
                *q != '\f')
                *d++ = *q;
        *d = '\0';
        char *s = p;
        p = eol + 1;
        if (*s == '\0' || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            const size_t n = strlen(s);
            if (n < 3 || s[n - 1] != ']')
                return dncfg_fail(c, line, NULL, NULL,
                                  "%s: a section header is [name]", s);
            s[n - 1] = '\0';
            if (dncfg_grow((void **)&c->sec, &c->cap_sec, c->nsec,
                           sizeof *c->sec))
                return dncfg_oom(c);
            c->sec[c->nsec++] = (struct dncfg_sect){s + 1, line, c->nkv, 0};
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq)
            return dncfg_fail(c, line, NULL, NULL, "%s: not a key=value line",
                              s);
        if (eq == s)
            return dncfg_fail(c, line, NULL, NULL, "%s: a value with no key",
                              s);
        *eq = '\0';
        if (c->nsec == 0)
            return dncfg_fail(c, line, NULL, NULL,
                              "%s=%s: a key before the first section "
                              "([net])",
                              s, eq + 1);
        struct dncfg_sect *sec = &c->sec[c->nsec - 1];
        for (size_t k = sec->k0; k < sec->k0 + sec->nk; k++)
            if (strcmp(c->kv[k].key, s) == 0)
                return dncfg_fail(c, line, NULL, NULL,
                                  "[%s] %s=%s: %s given again (first at "
                                  "line %u)",
                                  sec->name, s, eq + 1, s, c->kv[k].line);
        if (sec->nk >= DNCFG_MAX_KEYS)
            return dncfg_fail(c, line, sec, NULL, "more than %d keys",
                              DNCFG_MAX_KEYS);
        if (dncfg_grow((void **)&c->kv, &c->cap_kv, c->nkv, sizeof *c->kv))
            return dncfg_oom(c);
        c->kv[c->nkv++] = (struct dncfg_kv){s, eq + 1, line};
        sec->nk++;
    }
    return 0;
}

static const struct dncfg_kv *dncfg_find(const struct dncfg_ctx *c,
                                         const struct dncfg_sect *s,
                                         const char *key)
{
    for (size_t k = s->k0; k < s->k0 + s->nk; k++)
        if (strcmp(c->kv[k].key, key) == 0)
            return &c->kv[k];
    return NULL;
}

/* A whole decimal integer in int range (Darknet's atoi() would take
 * "3x" as 3; a typo should not silently become a network). */
static int dncfg_parse_int(const char *s, const char **rest, long *out)
{
    char *e;
    errno = 0;
    const long v = strtol(s, &e, 10);
    if (e == s || errno || v < INT_MIN || v > INT_MAX)
        return -1;
    *out = v;
    *rest = e;
    return 0;
}

/* The integer `key` of section s into *out: `def` when absent, or an
 * error when absent and required.  `min` is the smallest value allowed. */
static int dncfg_int(struct dncfg_ctx *c, const struct dncfg_sect *s,
                     const char *key, int required, long def, long min,
                     long *out)
{
    const struct dncfg_kv *kv = dncfg_find(c, s, key);
    if (!kv) {
        if (required && s == &c->sec[0])
            return dncfg_fail(c, 0, s, NULL, "missing %s=", key);
        if (required)
            return dncfg_fail(c, 0, s, NULL, "missing %s= (layer %zu)", key,
                              c->g.n);
        *out = def;
        return 0;
    }
    const char *rest;
    if (dncfg_parse_int(kv->val, &rest, out) || *rest)
        return dncfg_fail(c, 0, s, kv, "not an integer");
    if (*out < min)
        return dncfg_fail(c, 0, s, kv, "must be %s",
                          min == 0   ? "0 or more"
                          : min == 1 ? "positive"
                                     : "larger");
    return 0;
}

/* A layer reference of route/shortcut: negative counts back from this
 * layer, anything else is an absolute index; it has to be an earlier
 * layer. */
static int dncfg_ref(struct dncfg_ctx *c, const struct dncfg_sect *s,
                     const struct dncfg_kv *kv, long v, long *out)
{
    const long self = (long)c->g.n;
    if (v < 0) {
        if (self + v < 0)
            return dncfg_fail(
                c, 0, s, kv, "no layer %ld back (this is layer %ld)", -v, self);
        *out = self + v;
        return 0;
    }
    if (v >= self)
        return dncfg_fail(c, 0, s, kv,
                          "layer %ld is not before this one (this is layer "
                          "%ld)",
                          v, self);
    *out = v;
    return 0;
}

/* Parses a comma-separated list of layer references into refs[] (up to
 * max); their number, or -1. */
static long dncfg_refs(struct dncfg_ctx *c, const struct dncfg_sect *s,
                       const struct dncfg_kv *kv, long *refs, long max)
{
    long n = 0;
    const char *p = kv->val;
    for (;;) {
        long v;
        const char *rest;
        if (dncfg_parse_int(p, &rest, &v) || (*rest && *rest != ','))
            return dncfg_fail(c, 0, s, kv, "not a list of layer numbers");
        if (n == max)
            return dncfg_fail(c, 0, s, kv, "more than %ld layers", max);
        if (dncfg_ref(c, s, kv, v, &refs[n]))
            return -1;
        n++;
        if (!*rest)
            return n;
        p = rest + 1;
    }
}

/* The output shape checked for size: every layer's output holds between
 * 1 and DNCFG_MAX_ELEMS values. */
static int dncfg_shape(struct dncfg_ctx *c, const struct dncfg_sect *s,
                       long long oc, long long oh, long long ow,
                       struct mgraph_node *nd)
{
    if (oc < 1 || oh < 1 || ow < 1)
        return dncfg_fail(c, 0, s, NULL,
                          "output %lld x %lld x %lld is empty (layer %zu)", ow,
                          oh, oc, c->g.n);
    if (oc > DNCFG_MAX_ELEMS || oh > DNCFG_MAX_ELEMS || ow > DNCFG_MAX_ELEMS ||
        oc * oh > DNCFG_MAX_ELEMS || oc * oh * ow > DNCFG_MAX_ELEMS)
        return dncfg_fail(c, 0, s, NULL,
                          "output %lld x %lld x %lld is larger than %ld "
                          "values (layer %zu)",
                          ow, oh, oc, (long)DNCFG_MAX_ELEMS, c->g.n);
    nd->out_c = (int)oc;
    nd->out_h = (int)oh;
    nd->out_w = (int)ow;
    nd->act_bytes = 4.0 * (double)(oc * oh * ow);
    return 0;
}

/* convolutional: Darknet's make_convolutional_layer(). */
static int dncfg_conv(struct dncfg_ctx *c, const struct dncfg_sect *s, long ic,
                      long ih, long iw, struct mgraph_node *nd)
{
    long n, size, stride, pad, padding, groups, bn;
    if (dncfg_int(c, s, "filters", 1, 0, 1, &n) ||
        dncfg_int(c, s, "size", 1, 0, 1, &size) ||
        dncfg_int(c, s, "stride", 0, 1, 1, &stride) ||
        dncfg_int(c, s, "pad", 0, 0, 0, &pad) ||
        dncfg_int(c, s, "padding", 0, 0, 0, &padding) ||
        dncfg_int(c, s, "groups", 0, 1, 1, &groups) ||
        dncfg_int(c, s, "batch_normalize", 0, 0, 0, &bn))
        return -1;
    if (pad)
        padding = size / 2;
    if (ic % groups || n % groups)
        return dncfg_fail(c, 0, s, dncfg_find(c, s, "groups"),
                          "%ld input channels and %ld filters do not split "
                          "into %ld groups",
                          ic, n, groups);
    const long long dh = (long long)ih + 2LL * padding - size;
    const long long dw = (long long)iw + 2LL * padding - size;
    if (dh < 0 || dw < 0)
        return dncfg_fail(c, 0, s, dncfg_find(c, s, "size"),
                          "larger than the input %ld x %ld with padding %ld",
                          iw, ih, padding);
    if (dncfg_shape(c, s, n, dh / stride + 1, dw / stride + 1, nd))
        return -1;
    const double nweights = (double)(ic / groups) * n * size * size;
    nd->flops = 2.0 * nweights * nd->out_h * nd->out_w;
    nd->param_bytes = 4.0 * (nweights + (double)n + (bn ? 3.0 * n : 0));
    return 0;
}

/* deconvolutional: make_deconvolutional_layer(). */
static int dncfg_deconv(struct dncfg_ctx *c, const struct dncfg_sect *s,
                        long ic, long ih, long iw, struct mgraph_node *nd)
{
    long n, size, stride, pad, padding, bn;
    if (dncfg_int(c, s, "filters", 1, 0, 1, &n) ||
        dncfg_int(c, s, "size", 1, 0, 1, &size) ||
        dncfg_int(c, s, "stride", 0, 1, 1, &stride) ||
        dncfg_int(c, s, "pad", 0, 0, 0, &pad) ||
        dncfg_int(c, s, "padding", 0, 0, 0, &padding) ||
        dncfg_int(c, s, "batch_normalize", 0, 0, 0, &bn))
        return -1;
    if (pad)
        padding = size / 2;
    const long long oh = ((long long)ih - 1) * stride + size - 2LL * padding;
    const long long ow = ((long long)iw - 1) * stride + size - 2LL * padding;
    if (dncfg_shape(c, s, n, oh, ow, nd))
        return -1;
    const double nweights = (double)ic * n * size * size;
    nd->flops = 2.0 * nweights * ih * iw;
    nd->param_bytes = 4.0 * (nweights + (double)n + (bn ? 3.0 * n : 0));
    return 0;
}

/* local: make_local_layer(), unshared weights per output location; its
 * pad= is a flag (local_out_height()). */
static int dncfg_local(struct dncfg_ctx *c, const struct dncfg_sect *s, long ic,
                       long ih, long iw, struct mgraph_node *nd)
{
    long n, size, stride, pad;
    if (dncfg_int(c, s, "filters", 1, 0, 1, &n) ||
        dncfg_int(c, s, "size", 1, 0, 1, &size) ||
        dncfg_int(c, s, "stride", 0, 1, 1, &stride) ||
        dncfg_int(c, s, "pad", 0, 0, 0, &pad))
        return -1;
    const long long dh = (long long)ih - (pad ? 1 : size);
    const long long dw = (long long)iw - (pad ? 1 : size);
    if (dh < 0 || dw < 0)
        return dncfg_fail(c, 0, s, dncfg_find(c, s, "size"),
                          "larger than the input %ld x %ld", iw, ih);
    if (dncfg_shape(c, s, n, dh / stride + 1, dw / stride + 1, nd))
        return -1;
    const double locations = (double)nd->out_h * nd->out_w;
    const double nweights = (double)ic * n * size * size * locations;
    nd->flops = 2.0 * nweights;
    nd->param_bytes = 4.0 * (nweights + locations * n);
    return 0;
}

/* connected: make_connected_layer(), every input to every output. */
static int dncfg_conn(struct dncfg_ctx *c, const struct dncfg_sect *s, long ic,
                      long ih, long iw, struct mgraph_node *nd)
{
    long out, bn;
    if (dncfg_int(c, s, "output", 1, 0, 1, &out) ||
        dncfg_int(c, s, "batch_normalize", 0, 0, 0, &bn))
        return -1;
    if (dncfg_shape(c, s, out, 1, 1, nd))
        return -1;
    const double inputs = (double)ic * ih * iw;
    nd->flops = 2.0 * inputs * out;
    nd->param_bytes = 4.0 * (inputs * out + (double)out + (bn ? 3.0 * out : 0));
    return 0;
}

/* maxpool: parse_maxpool()/make_maxpool_layer(); the default padding
 * size-1 and "w + padding - size" (not 2*padding) are Darknet's. */
static int dncfg_maxpool(struct dncfg_ctx *c, const struct dncfg_sect *s,
                         long ic, long ih, long iw, struct mgraph_node *nd)
{
    long stride, size, padding;
    if (dncfg_int(c, s, "stride", 0, 1, 1, &stride) ||
        dncfg_int(c, s, "size", 0, stride, 1, &size) ||
        dncfg_int(c, s, "padding", 0, size - 1, 0, &padding))
        return -1;
    const long long dh = (long long)ih + padding - size;
    const long long dw = (long long)iw + padding - size;
    if (dh < 0 || dw < 0)
        return dncfg_fail(c, 0, s, NULL,
                          "size %ld is larger than the input %ld x %ld with "
                          "padding %ld",
                          size, iw, ih, padding);
    if (dncfg_shape(c, s, ic, dh / stride + 1, dw / stride + 1, nd))
        return -1;
    nd->flops = (double)nd->out_c * nd->out_h * nd->out_w * size * size;
    return 0;
}

/* route: the listed layers' outputs concatenated along channels (they
 * must agree in width and height: Darknet makes the output 0x0x0
 * otherwise); with groups=/group_id= (AlexeyAB's Darknet) only one
 * channel group of that is passed on. */
static int dncfg_route(struct dncfg_ctx *c, const struct dncfg_sect *s,
                       struct mgraph_node *nd, long *refs, long *nrefs)
{
    const struct dncfg_kv *kv = dncfg_find(c, s, "layers");
    if (!kv)
        return dncfg_fail(c, 0, s, NULL, "missing layers= (layer %zu)", c->g.n);
    const long n = dncfg_refs(c, s, kv, refs, 64);
    if (n < 0)
        return -1;
    *nrefs = n;
    const struct mgraph_node *first = &c->g.node[refs[0]];
    long long oc = 0;
    for (long i = 0; i < n; i++) {
        const struct mgraph_node *in = &c->g.node[refs[i]];
        if (in->out_w != first->out_w || in->out_h != first->out_h)
            return dncfg_fail(c, 0, s, kv,
                              "layer %ld is %d x %d but layer %ld is %d x %d",
                              refs[0], first->out_w, first->out_h, refs[i],
                              in->out_w, in->out_h);
        oc += in->out_c;
    }
    long groups, group_id;
    if (dncfg_int(c, s, "groups", 0, 1, 1, &groups) ||
        dncfg_int(c, s, "group_id", 0, 0, 0, &group_id))
        return -1;
    if (group_id >= groups)
        return dncfg_fail(c, 0, s, dncfg_find(c, s, "group_id"),
                          "not below groups=%ld", groups);
    if (oc % groups)
        return dncfg_fail(c, 0, s, dncfg_find(c, s, "groups"),
                          "%lld channels do not split into %ld groups", oc,
                          groups);
    return dncfg_shape(c, s, oc / groups, first->out_h, first->out_w, nd);
}

/* shortcut: the previous layer plus from= (several in AlexeyAB's
 * Darknet).  Sizes may differ where shortcut_cpu()'s asserts allow:
 * stride = w1/w2 must equal h1/h2 and sample = w2/w1 equal h2/h1. */
static int dncfg_shortcut(struct dncfg_ctx *c, const struct dncfg_sect *s,
                          long ic, long ih, long iw, struct mgraph_node *nd,
                          long *refs, long *nrefs)
{
    const struct dncfg_kv *kv = dncfg_find(c, s, "from");
    if (!kv)
        return dncfg_fail(c, 0, s, NULL, "missing from= (layer %zu)", c->g.n);
    const long n = dncfg_refs(c, s, kv, refs, 64);
    if (n < 0)
        return -1;
    *nrefs = n;
    for (long i = 0; i < n; i++) {
        const struct mgraph_node *f = &c->g.node[refs[i]];
        const long w1 = f->out_w, h1 = f->out_h;
        if (w1 / iw != h1 / ih || iw / w1 != ih / h1)
            return dncfg_fail(c, 0, s, kv,
                              "layer %ld is %ld x %ld x %d, the layer "
                              "before is %ld x %ld x %ld: sizes that differ "
                              "by unlike ratios in width and height",
                              refs[i], w1, h1, f->out_c, iw, ih, ic);
    }
    if (dncfg_shape(c, s, ic, ih, iw, nd))
        return -1;
    nd->flops = (double)n * ic * ih * iw;
    return 0;
}

/* upsample: stride=2 by default; a negative stride shrinks (Darknet's
 * reverse). */
static int dncfg_upsample(struct dncfg_ctx *c, const struct dncfg_sect *s,
                          long ic, long ih, long iw, struct mgraph_node *nd)
{
    long stride;
    if (dncfg_int(c, s, "stride", 0, 2, INT_MIN, &stride))
        return -1;
    if (stride == 0)
        return dncfg_fail(c, 0, s, dncfg_find(c, s, "stride"), "must not be 0");
    if (stride > 0)
        return dncfg_shape(c, s, ic, (long long)ih * stride,
                           (long long)iw * stride, nd);
    return dncfg_shape(c, s, ic, ih / -(long long)stride,
                       iw / -(long long)stride, nd);
}

/* yolo/region/detection: Darknet asserts that the input holds exactly
 * what the head's classes and anchors need. */
static int dncfg_head(struct dncfg_ctx *c, const struct dncfg_sect *s,
                      enum dncfg_kind k, long ic, long ih, long iw,
                      struct mgraph_node *nd)
{
    long classes, num, coords = 4, side = 1;
    if (dncfg_int(c, s, "classes", 0, k == DK_DETECTION ? 1 : 20, 0,
                  &classes) ||
        dncfg_int(c, s, "num", 0, 1, 1, &num))
        return -1;
    if (k == DK_YOLO) {
        /* mask= names the anchors this head uses, num= all of them */
        const struct dncfg_kv *mask = dncfg_find(c, s, "mask");
        if (mask) {
            num = 1;
            for (const char *p = mask->val; *p; p++)
                num += *p == ',';
        }
    } else if (dncfg_int(c, s, "coords", 0, k == DK_DETECTION ? 1 : 4, 0,
                         &coords) ||
               (k == DK_DETECTION && dncfg_int(c, s, "side", 0, 7, 1, &side)))
        return -1;
    const double have = k == DK_DETECTION ? (double)ic * ih * iw : (double)ic;
    const double need =
        k == DK_DETECTION
            ? (double)side * side * ((1.0 + coords) * num + (double)classes)
            : (double)num * ((double)classes + coords + 1);
    if (have != need)
        return dncfg_fail(c, 0, s, NULL,
                          "needs %.0f input %s for its classes and anchors, "
                          "the layer before gives %.0f (layer %zu)",
                          need, k == DK_DETECTION ? "values" : "channels", have,
                          c->g.n);
    return dncfg_shape(c, s, ic, ih, iw, nd);
}

static int dncfg_crop(struct dncfg_ctx *c, const struct dncfg_sect *s, long ic,
                      long ih, long iw, struct mgraph_node *nd)
{
    long ch, cw;
    if (dncfg_int(c, s, "crop_height", 1, 0, 1, &ch) ||
        dncfg_int(c, s, "crop_width", 1, 0, 1, &cw))
        return -1;
    if (ch > ih || cw > iw)
        return dncfg_fail(c, 0, s, NULL,
                          "crop %ld x %ld is larger than the input %ld x %ld",
                          cw, ch, iw, ih);
    return dncfg_shape(c, s, ic, ch, cw, nd);
}

/* reorg: space to depth (or back with reverse=1), make_reorg_layer(). */
static int dncfg_reorg(struct dncfg_ctx *c, const struct dncfg_sect *s, long ic,
                       long ih, long iw, struct mgraph_node *nd)
{
    long stride, reverse, flatten, extra;
    if (dncfg_int(c, s, "stride", 0, 1, 1, &stride) ||
        dncfg_int(c, s, "reverse", 0, 0, 0, &reverse) ||
        dncfg_int(c, s, "flatten", 0, 0, 0, &flatten) ||
        dncfg_int(c, s, "extra", 0, 0, 0, &extra))
        return -1;
    if (flatten || extra)
        return dncfg_fail(c, 0, s, NULL,
                          "flatten= and extra= are not supported");
    const long long s2 = (long long)stride * stride;
    if (reverse) {
        if (ic % s2)
            return dncfg_fail(c, 0, s, NULL,
                              "%ld channels do not divide by stride^2", ic);
        return dncfg_shape(c, s, ic / s2, (long long)ih * stride,
                           (long long)iw * stride, nd);
    }
    if (ih % stride || iw % stride)
        return dncfg_fail(c, 0, s, NULL,
                          "the input %ld x %ld does not divide by the "
                          "stride",
                          iw, ih);
    return dncfg_shape(c, s, ic * s2, ih / stride, iw / stride, nd);
}

/* Pass 2, one layer section: its node, and its edges once added. */
static int dncfg_layer(struct dncfg_ctx *c, const struct dncfg_sect *s, long ic,
                       long ih, long iw)
{
    size_t t = 0;
    while (t < sizeof dncfg_kinds / sizeof dncfg_kinds[0] &&
           strcmp(dncfg_kinds[t].name, s->name) != 0)
        t++;
    if (t == sizeof dncfg_kinds / sizeof dncfg_kinds[0])
        return dncfg_fail(c, 0, s, NULL, "unknown section");
    const enum dncfg_kind k = dncfg_kinds[t].kind;
    if (k == DK_NET)
        return dncfg_fail(c, 0, s, NULL, "only the first section may be [%s]",
                          s->name);
    if (k == DK_UNSUPPORTED)
        return dncfg_fail(c, 0, s, NULL,
                          "a Darknet section this reader does not support");
    if (c->g.n >= DNCFG_MAX_LAYERS)
        return dncfg_fail(c, 0, s, NULL, "more than %d layers",
                          DNCFG_MAX_LAYERS);

    struct mgraph_node nd = {.fwd_ms = NAN, .bwd_ms = NAN, .line = s->line};
    snprintf(nd.name, sizeof nd.name, "%zu", c->g.n);
    snprintf(nd.kind, sizeof nd.kind, "%s", dncfg_kinds[t].canon);
    long refs[64], nrefs = 0;
    const double elems = (double)ic * ih * iw;
    int rc = 0;
    switch (k) {
    case DK_CONV:
        rc = dncfg_conv(c, s, ic, ih, iw, &nd);
        break;
    case DK_DECONV:
        rc = dncfg_deconv(c, s, ic, ih, iw, &nd);
        break;
    case DK_LOCAL:
        rc = dncfg_local(c, s, ic, ih, iw, &nd);
        break;
    case DK_CONN:
        rc = dncfg_conn(c, s, ic, ih, iw, &nd);
        break;
    case DK_MAXPOOL:
        rc = dncfg_maxpool(c, s, ic, ih, iw, &nd);
        break;
    case DK_AVGPOOL:
        rc = dncfg_shape(c, s, ic, 1, 1, &nd);
        nd.flops = elems;
        break;
    case DK_ROUTE:
        rc = dncfg_route(c, s, &nd, refs, &nrefs);
        break;
    case DK_SHORTCUT:
        rc = dncfg_shortcut(c, s, ic, ih, iw, &nd, refs, &nrefs);
        break;
    case DK_UPSAMPLE:
        rc = dncfg_upsample(c, s, ic, ih, iw, &nd);
        break;
    case DK_YOLO:
    case DK_REGION:
    case DK_DETECTION:
        rc = dncfg_head(c, s, k, ic, ih, iw, &nd);
        break;
    case DK_CROP:
        rc = dncfg_crop(c, s, ic, ih, iw, &nd);
        break;
    case DK_REORG:
        rc = dncfg_reorg(c, s, ic, ih, iw, &nd);
        break;
    case DK_BATCHNORM:
        /* load_batchnorm_weights(): scales, rolling means, variances */
        rc = dncfg_shape(c, s, ic, ih, iw, &nd);
        nd.flops = 2.0 * elems;
        nd.param_bytes = 4.0 * 3.0 * ic;
        break;
    case DK_SOFTMAX:
        rc = dncfg_shape(c, s, ic, ih, iw, &nd);
        nd.flops = 3.0 * elems;
        break;
    case DK_ELEMENTWISE:
        rc = dncfg_shape(c, s, ic, ih, iw, &nd);
        nd.flops = elems;
        break;
    case DK_COST:
    case DK_DROPOUT:
    case DK_NET:
    case DK_UNSUPPORTED:
        rc = dncfg_shape(c, s, ic, ih, iw, &nd);
        break;
    }
    if (rc)
        return -1;
    if (c->g.n_edges + (size_t)nrefs + 1 > DNCFG_MAX_EDGES)
        return dncfg_fail(c, 0, s, NULL, "more than %d edges in all",
                          DNCFG_MAX_EDGES);
    const long self = mgraph_add(&c->g, &nd);
    if (self < 0)
        return dncfg_oom(c);
    /* every layer but a route reads the one before it */
    if (k != DK_ROUTE && self > 0 &&
        mgraph_edge(&c->g, (uint32_t)(self - 1), (uint32_t)self))
        return dncfg_oom(c);
    for (long i = 0; i < nrefs; i++)
        if (mgraph_edge(&c->g, (uint32_t)refs[i], (uint32_t)self))
            return dncfg_oom(c);
    return 0;
}

/* [net]: the input image and the batch. */
static int dncfg_net(struct dncfg_ctx *c, const struct dncfg_sect *s, long *ic,
                     long *ih, long *iw)
{
    long batch, subdiv;
    if (dncfg_int(c, s, "width", 1, 0, 1, iw) ||
        dncfg_int(c, s, "height", 1, 0, 1, ih) ||
        dncfg_int(c, s, "channels", 1, 0, 1, ic) ||
        dncfg_int(c, s, "batch", 0, 1, 1, &batch) ||
        dncfg_int(c, s, "subdivisions", 0, 1, 1, &subdiv))
        return -1;
    if (batch < subdiv)
        return dncfg_fail(c, 0, s, dncfg_find(c, s, "subdivisions"),
                          "more than batch=%ld", batch);
    c->g.batch = (double)(batch / subdiv);
    c->g.in_bytes = 4.0 * (double)*ic * (double)*ih * (double)*iw;
    struct mgraph_node probe = {0};
    /* the input must itself be a sane image */
    return dncfg_shape(c, s, *ic, *ih, *iw, &probe);
}

/* The model's name: the base name of fname without ".cfg". */
static void dncfg_name(struct mgraph *g, const char *fname)
{
    const char *b = strrchr(fname, '/');
    b = b ? b + 1 : fname;
    size_t n = strlen(b);
    if (n > 4 && strcmp(b + n - 4, ".cfg") == 0)
        n -= 4;
    if (n >= sizeof g->name)
        n = sizeof g->name - 1;
    memcpy(g->name, b, n);
    g->name[n] = '\0';
}

static int dncfg_build(struct dncfg_ctx *c, const char *text, size_t len)
{
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        unsigned line = 1;
        for (const char *p = text; p < nul; p++)
            line += *p == '\n';
        return dncfg_fail(c, line, NULL, NULL, "a NUL byte: not a text file");
    }
    char *buf = malloc(len + 1);
    if (!buf)
        return dncfg_oom(c);
    memcpy(buf, text, len);
    buf[len] = '\0';
    int rc = dncfg_split(c, buf, len);
    if (rc == 0 && c->nsec == 0)
        rc = dncfg_fail(c, 1, NULL, NULL, "no sections: not a Darknet cfg");
    if (rc == 0 && strcmp(c->sec[0].name, "net") != 0 &&
        strcmp(c->sec[0].name, "network") != 0)
        rc = dncfg_fail(c, 0, &c->sec[0], NULL,
                        "the first section must be [net]");
    long ic = 0, ih = 0, iw = 0;
    if (rc == 0)
        rc = dncfg_net(c, &c->sec[0], &ic, &ih, &iw);
    if (rc == 0 && c->nsec == 1)
        rc = dncfg_fail(c, 0, &c->sec[0], NULL, "no layers after it");
    for (size_t i = 1; rc == 0 && i < c->nsec; i++) {
        rc = dncfg_layer(c, &c->sec[i], ic, ih, iw);
        if (rc == 0) {
            const struct mgraph_node *o = &c->g.node[c->g.n - 1];
            ic = o->out_c;
            ih = o->out_h;
            iw = o->out_w;
        }
    }
    free(buf);
    return rc;
}

int dncfg_read_buf(const char *text, size_t len, const char *fname,
                   struct mgraph *g, char *err, size_t errlen)
{
    struct dncfg_ctx c = {.fname = fname, .err = err, .errlen = errlen};
    mgraph_init(&c.g);
    mgraph_init(g);
    if (err && errlen)
        err[0] = '\0';
    const int rc = dncfg_build(&c, text, len);
    free(c.kv);
    free(c.sec);
    if (rc) {
        mgraph_free(&c.g);
        return -1;
    }
    dncfg_name(&c.g, fname);
    *g = c.g;
    return 0;
}

int dncfg_read_file(const char *path, struct mgraph *g, char *err,
                    size_t errlen)
{
    mgraph_init(g);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    /* read one byte past the limit to tell "too big" from "just fits" */
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : -1;
    while (rc == 0 && len <= DNCFG_MAX_FILE) {
        if (len == cap) {
            char *p = realloc(buf, 2 * cap);
            if (!p) {
                rc = -1;
                break;
            }
            buf = p;
            cap *= 2;
        }
        const size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    const int rerr = ferror(f);
    fclose(f);
    if (rc)
        snprintf(err, errlen, "%s: out of memory", path);
    else if (rerr)
        snprintf(err, errlen, "%s: read error", path);
    else if (len > DNCFG_MAX_FILE)
        snprintf(err, errlen, "%s: larger than %u bytes", path, DNCFG_MAX_FILE);
    if (rc || rerr || len > DNCFG_MAX_FILE) {
        free(buf);
        return -1;
    }
    rc = dncfg_read_buf(buf, len, path, g, err, errlen);
    free(buf);
    return rc;
}

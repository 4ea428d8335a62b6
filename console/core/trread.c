/*
 * trread - see trread.h.
 *
 * Each line is parsed alone with json_loadb (JSON_DISABLE_EOF_CHECK is
 * not used: text after the object on the same line is damage).  A tick's
 * devices are looked up by the header's keys (json_object_get, jansson's
 * hash), so a key the header does not name is ignored, and one it names
 * but the tick omits (a constant signal) reads NAN.
 */
#include "core/trread.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/tracefile.h"

#ifndef WATTSON_VERSION
#define WATTSON_VERSION "0.0.0"
#endif

/* The formats this reader knows (trread.h): 1 up to the one this
 * wattson writes. */
#define TRREAD_FORMAT_MAX TRACEFILE_FORMAT

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

/* A string member, or NULL. */
static const char *str_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* A number member, or NAN (absent, null, not a number). */
static double num_of(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The trace's text s, cut to fit dst, for a one-line message: a control
 * byte (a newline in a JSON string) becomes '?'. */
static const char *printable(char *dst, size_t len, const char *s)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < len; i++)
        dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    dst[i] = '\0';
    return dst;
}

/* The next line into r->line (without its '\n'); its length, or -1 at the
 * end of the file. */
static ssize_t next_line(struct trread *r)
{
    ssize_t n = getline(&r->line, &r->line_cap, r->f);
    if (n > 0 && r->line[n - 1] == '\n')
        r->line[--n] = '\0';
    return n;
}

static int add_key(struct trread_dev *d, const char *key, const char *unit)
{
    char *k = strdup(key), *u = dup_or_empty(unit);
    if (!k || !u) {
        free(k);
        free(u);
        return -1;
    }
    d->key[d->n_key] = k;
    d->unit[d->n_key] = u;
    d->n_key++;
    return 0;
}

/* One device of the header; 0, or -1 with the reason in why. */
static int read_dev(struct trread_dev *d, const json_t *o, char *why,
                    size_t whylen)
{
    const char *name = str_of(o, "name");
    if (!json_is_object(o) || !name) {
        snprintf(why, whylen, "a device without a name");
        return -1;
    }
    const json_t *sig = json_object_get(o, "signals");
    const json_t *ctl = json_object_get(o, "controls");
    size_t n = json_object_size(sig) + json_object_size(ctl) + 1;
    d->name = strdup(name);
    d->kind = dup_or_empty(str_of(o, "kind"));
    d->driver = dup_or_empty(str_of(o, "driver"));
    d->key = calloc(n, sizeof *d->key);
    d->unit = calloc(n, sizeof *d->unit);
    d->val = calloc(n, sizeof *d->val);
    if (!d->name || !d->kind || !d->driver || !d->key || !d->unit || !d->val) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)sig, k, v)
    {
        if (add_key(d, k, json_string_value(v)) != 0)
            goto oom;
    }
    json_object_foreach((json_t *)ctl, k, v)
    {
        char sk[256];
        snprintf(sk, sizeof sk, "set.%s", k);
        if (add_key(d, sk, str_of(v, "unit")) != 0)
            goto oom;
    }
    /* the forecast's demand is in the units of the PU's throughput */
    if (add_key(d, "fc.demand", "op/s") != 0)
        goto oom;
    return 0;
oom:
    snprintf(why, whylen, "out of memory");
    return -1;
}

static int read_fam(struct trread_fam *f, const char *name, const json_t *o,
                    char *why, size_t whylen)
{
    if (!json_is_object(o)) {
        char pn[64];
        snprintf(why, whylen, "eng.%s: not an object",
                 printable(pn, sizeof pn, name));
        return -1;
    }
    f->name = strdup(name);
    f->type = dup_or_empty(str_of(o, "type"));
    f->unit = dup_or_empty(str_of(o, "unit"));
    f->help = dup_or_empty(str_of(o, "help"));
    const char *label = str_of(o, "label");
    f->label = label ? strdup(label) : NULL;
    if (!f->name || !f->type || !f->unit || !f->help || (label && !f->label)) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    return 0;
}

/* The header object h; 0, or an enum trread_err with err. */
static int read_header(struct trread *r, const json_t *h, char *err,
                       size_t errlen)
{
    const char *type = str_of(h, "type");
    if (!type || strcmp(type, "header") != 0) {
        snprintf(err, errlen,
                 "%s:1: not a wattson trace (its first line is not a "
                 "\"type\":\"header\" object)",
                 r->path);
        return TRREAD_ETRACE;
    }
    const json_t *fmt = json_object_get(h, "format");
    const char *ver = str_of(h, "wattson");
    r->format = 1;
    if (fmt) {
        double fv = json_number_value(fmt);
        if (!json_is_integer(fmt) || fv < 1 || fv > TRREAD_FORMAT_MAX) {
            char what[64];
            if (json_is_number(fmt))
                snprintf(what, sizeof what, "%g", fv);
            else
                snprintf(what, sizeof what, "unknown");
            char pv[48];
            snprintf(err, errlen,
                     "%s:1: a trace of format %s (wattson %s); this "
                     "wattson %s reads formats 1 and %d",
                     r->path, what,
                     ver ? printable(pv, sizeof pv, ver) : "of unknown version",
                     WATTSON_VERSION, TRREAD_FORMAT_MAX);
            return TRREAD_EFORMAT;
        }
        r->format = (int)fv;
    }
    const json_t *devs = json_object_get(h, "devices");
    if (!json_is_array(devs)) {
        snprintf(err, errlen,
                 "%s:1: not a wattson trace (the header has no \"devices\" "
                 "array)",
                 r->path);
        return TRREAD_ETRACE;
    }
    r->wattson = ver ? strdup(ver) : NULL;
    r->lab = dup_or_empty(str_of(h, "lab"));
    r->policy = dup_or_empty(str_of(h, "policy"));
    r->seed = num_of(h, "seed");
    r->tick_s = num_of(h, "tick_s");
    r->duration_s = num_of(h, "duration_s");
    r->budget_w = num_of(h, "budget_w");
    r->dev = calloc(json_array_size(devs) + 1, sizeof *r->dev);
    const json_t *eng = json_object_get(h, "eng");
    r->fam = calloc(json_object_size(eng) + 1, sizeof *r->fam);
    if (!r->lab || !r->policy || !r->dev || !r->fam) {
        snprintf(err, errlen, "%s: out of memory", r->path);
        return TRREAD_ETRACE;
    }
    char why[128];
    for (size_t i = 0; i < json_array_size(devs); i++) {
        r->n_dev++;
        if (read_dev(&r->dev[i], json_array_get(devs, i), why, sizeof why)) {
            snprintf(err, errlen, "%s:1: devices[%zu]: %s", r->path, i, why);
            return TRREAD_ETRACE;
        }
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)eng, k, v)
    {
        r->n_fam++;
        if (read_fam(&r->fam[r->n_fam - 1], k, v, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s:1: %s", r->path, why);
            return TRREAD_ETRACE;
        }
    }
    return 0;
}

/* Reads line 1 and the header in it. */
static int open_header(struct trread *r, char *err, size_t errlen)
{
    rewind(r->f);
    ssize_t n = next_line(r);
    if (n <= 0) {
        snprintf(err, errlen, "%s:1: not a wattson trace (%s)", r->path,
                 ferror(r->f) ? strerror(errno) : "empty file");
        return n < 0 && ferror(r->f) ? TRREAD_EOPEN : TRREAD_ETRACE;
    }
    json_error_t je;
    json_t *h = json_loadb(r->line, (size_t)n, 0, &je);
    if (!json_is_object(h)) {
        snprintf(err, errlen, "%s:1: not a wattson trace (%s)", r->path,
                 h ? "not a JSON object" : "not JSON");
        json_decref(h);
        return TRREAD_ETRACE;
    }
    int rc = read_header(r, h, err, errlen);
    json_decref(h);
    return rc;
}

int trread_open_stream(struct trread *r, FILE *f, const char *name, char *err,
                       size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->f = f;
    r->path = strdup(name);
    if (!r->path) {
        snprintf(err, errlen, "%s: out of memory", name);
        return TRREAD_EOPEN;
    }
    int rc = open_header(r, err, errlen);
    if (rc != 0) {
        r->f = NULL; /* the caller's */
        trread_close(r);
    }
    return rc;
}

int trread_open(struct trread *r, const char *path, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    /* O_NONBLOCK: a FIFO must be refused, not waited on. */
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return TRREAD_EOPEN;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file (%s)", path,
                 S_ISDIR(sb.st_mode)    ? "a directory"
                 : S_ISFIFO(sb.st_mode) ? "a FIFO"
                                        : "a device or socket");
        close(fd);
        return TRREAD_EOPEN;
    }
    (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return TRREAD_EOPEN;
    }
    int rc = trread_open_stream(r, f, path, err, errlen);
    if (rc != 0)
        fclose(f);
    else
        r->own = 1;
    return rc;
}

/* A tick's devices and engine families into the value arrays. */
static void take_tick(struct trread *r, const json_t *o)
{
    const json_t *devs = json_object_get(o, "dev");
    for (size_t i = 0; i < r->n_dev; i++) {
        struct trread_dev *d = &r->dev[i];
        const json_t *dv = json_object_get(devs, d->name);
        for (size_t k = 0; k < d->n_key; k++)
            d->val[k] = num_of(dv, d->key[k]);
    }
    const json_t *eng = json_object_get(o, "eng");
    for (size_t i = 0; i < r->n_fam; i++) {
        struct trread_fam *f = &r->fam[i];
        for (size_t k = 0; k < TRREAD_MAX_LABELS; k++)
            f->val[k] = NAN;
        const json_t *v = json_object_get(eng, f->name);
        if (!f->label) {
            f->val[0] = json_is_number(v) ? json_number_value(v) : NAN;
            continue;
        }
        const char *lv;
        const json_t *x;
        json_object_foreach((json_t *)v, lv, x)
        {
            size_t k = 0;
            while (k < f->n_lv && strcmp(f->lv[k], lv) != 0)
                k++;
            if (k == f->n_lv) {
                /* A new label value: kept while there is room. */
                if (k == TRREAD_MAX_LABELS || !(f->lv[k] = strdup(lv))) {
                    f->lv_dropped++;
                    continue;
                }
                f->n_lv++;
            }
            f->val[k] = json_is_number(x) ? json_number_value(x) : NAN;
        }
    }
}

static void free_summary(struct trread *r)
{
    for (size_t i = 0; i < r->n_sum; i++) {
        free(r->sum[i].key);
        free(r->sum[i].text);
    }
    free(r->sum);
    r->sum = NULL;
    r->n_sum = 0;
}

/* The summary line's keys, kept as text and number (out of memory: no
 * summary). */
static void take_summary(struct trread *r, const json_t *o)
{
    free_summary(r);
    if (!(r->sum = calloc(json_object_size(o) + 1, sizeof *r->sum)))
        return;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)o, k, v)
    {
        if (strcmp(k, "type") == 0)
            continue;
        struct trread_kv *kv = &r->sum[r->n_sum++];
        kv->key = strdup(k);
        /* %.9g, as the writer printed them (core/summary.c) */
        kv->text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT |
                                     JSON_REAL_PRECISION(9));
        kv->num = json_is_number(v) ? json_number_value(v) : NAN;
        if (!kv->key || !kv->text) {
            free_summary(r);
            return;
        }
    }
}

/* Damage at line n: the pass ends there. */
static void damage(struct trread *r, size_t n, const char *why)
{
    r->bad_line = n;
    printable(r->bad_why, sizeof r->bad_why, why);
}

/* One line after the header: 1 to go on, 0 at the summary (the end), -1
 * at damage. */
static int take_line(struct trread *r, const struct trread_visit *v,
                     size_t lineno, size_t len)
{
    json_error_t je;
    json_t *o = json_loadb(r->line, len, 0, &je);
    const char *type = str_of(o, "type");
    int rc = 1;
    if (!json_is_object(o) || !type) {
        char why[sizeof r->bad_why];
        snprintf(why, sizeof why, "%s%.100s",
                 o ? "not a trace line" : "not JSON: ", o ? "" : je.text);
        damage(r, lineno, why);
        rc = -1;
    } else if (strcmp(type, "tick") == 0) {
        const json_t *tk = json_object_get(o, "tick");
        double t = num_of(o, "t");
        if (!json_is_integer(tk) || json_integer_value(tk) < 0 ||
            !isfinite(t) || !json_is_object(json_object_get(o, "dev"))) {
            damage(r, lineno, "a tick without its tick, t or dev");
            rc = -1;
        } else {
            take_tick(r, o);
            if (r->n_ticks == 0)
                r->t_first = r->t_last = t;
            else if (t > r->t_last)
                r->t_last = t;
            r->n_ticks++;
            if (v && v->tick)
                v->tick(v->arg, (uint64_t)json_integer_value(tk), t,
                        num_of(o, "power_w"));
        }
    } else if (strcmp(type, "reload") == 0) {
        int ok = json_is_true(json_object_get(o, "ok"));
        r->n_reloads++;
        r->n_rejected += !ok;
        if (v && v->reload)
            v->reload(v->arg, num_of(o, "t"), ok, str_of(o, "error"));
    } else if (strcmp(type, "summary") == 0) {
        take_summary(r, o);
        rc = 0;
    }
    /* another type: a later writer's line this reader does not draw */
    json_decref(o);
    return rc;
}

int trread_pass(struct trread *r, const struct trread_visit *v, char *err,
                size_t errlen)
{
    r->n_ticks = r->n_reloads = r->n_rejected = 0;
    r->t_first = r->t_last = NAN;
    r->bad_line = 0;
    r->bad_why[0] = '\0';
    free_summary(r);
    for (size_t i = 0; i < r->n_fam; i++)
        r->fam[i].lv_dropped = 0;
    errno = 0;
    rewind(r->f);
    if (next_line(r) < 0) {
        snprintf(err, errlen, "%s: cannot read it again: %s", r->path,
                 errno ? strerror(errno) : "it is empty now");
        return -1;
    }
    ssize_t n;
    size_t lineno = 1;
    while ((n = next_line(r)) >= 0) {
        lineno++;
        if (n == 0)
            continue; /* a blank line: nothing lost */
        if (take_line(r, v, lineno, (size_t)n) <= 0)
            break;
    }
    if (ferror(r->f)) {
        snprintf(err, errlen, "%s:%zu: %s", r->path, lineno, strerror(errno));
        return -1;
    }
    return 0;
}

const struct trread_kv *trread_sum_find(const struct trread *r, const char *key)
{
    for (size_t i = 0; i < r->n_sum; i++)
        if (strcmp(r->sum[i].key, key) == 0)
            return &r->sum[i];
    return NULL;
}

void trread_close(struct trread *r)
{
    for (size_t i = 0; r->dev && i < r->n_dev; i++) {
        struct trread_dev *d = &r->dev[i];
        for (size_t k = 0; k < d->n_key; k++) {
            free(d->key[k]);
            free(d->unit[k]);
        }
        free(d->key);
        free(d->unit);
        free(d->val);
        free(d->name);
        free(d->kind);
        free(d->driver);
    }
    for (size_t i = 0; r->fam && i < r->n_fam; i++) {
        struct trread_fam *f = &r->fam[i];
        for (size_t k = 0; k < f->n_lv; k++)
            free(f->lv[k]);
        free(f->name);
        free(f->type);
        free(f->unit);
        free(f->label);
        free(f->help);
    }
    free(r->dev);
    free(r->fam);
    free_summary(r);
    free(r->wattson);
    free(r->lab);
    free(r->policy);
    free(r->line);
    free(r->path);
    if (r->own && r->f)
        fclose(r->f);
    memset(r, 0, sizeof *r);
}

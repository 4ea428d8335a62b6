/*
 * ofrcfg - see ofrcfg.h.  Every setting goes through ofrcfg_set, so the
 * command line and the control file accept exactly the same values.
 */
#include "tools/ofrcfg.h"

#include "core/dur.h"
#include "core/sinum.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFR_LINE_MAX 256

void ofrcfg_init(struct ofr_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->seed = 1;
    c->limit = OFR_LIMIT_DEFAULT;
}

static int ofr_fail(char *err, size_t errlen, const char *fmt, const char *a,
                    const char *b)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, a, b);
    return -1;
}

/* A probability: a plain decimal in [0, 1], nothing after it. */
static int ofr_prob(const char *s, double *p)
{
    char *end;
    if (!*s || *s == ' ')
        return -1;
    *p = strtod(s, &end);
    return (*end || !(*p >= 0.0 && *p <= 1.0)) ? -1 : 0;
}

/* "P_GB,P_BG[,LOSS_B[,LOSS_G]]" or "off". */
static int ofr_ge_parse(const char *s, struct ofr_ge *ge)
{
    char buf[OFR_LINE_MAX];
    double v[4] = {0, 0, 1, 0};
    int n = 0;
    if (strcmp(s, "off") == 0) {
        memset(ge, 0, sizeof *ge);
        return 0;
    }
    if (strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (n >= 4 || ofr_prob(t, &v[n++]) != 0)
            return -1;
    /* strtok_r skips empty fields: "0.1,,0.2" must not pass as two. */
    int commas = 0;
    for (const char *p = s; *p; p++)
        commas += *p == ',';
    if (n < 2 || commas != n - 1)
        return -1;
    *ge = (struct ofr_ge){1, v[0], v[1], v[2], v[3]};
    return 0;
}

int ofrcfg_set(struct ofr_cfg *c, const char *name, const char *value,
               char *err, size_t errlen)
{
    int lo = OFR_AB, hi = OFR_BA;
    const char *v = value;
    if (strncmp(v, "ab:", 3) == 0) {
        hi = OFR_AB;
        v += 3;
    } else if (strncmp(v, "ba:", 3) == 0) {
        lo = OFR_BA;
        v += 3;
    }
    struct ofr_dir d = c->dir[lo];
    char why[160];
    enum { F_DELAY, F_JITTER, F_LOSS, F_BURST, F_RATE } f;
    if (strcmp(name, "delay") == 0 || strcmp(name, "jitter") == 0) {
        f = name[0] == 'd' ? F_DELAY : F_JITTER;
        double s;
        if (dur_parse(v, &s, why, sizeof why) != 0)
            return ofr_fail(err, errlen, "%s: %s", name, why);
        if (s > OFR_DELAY_MAX)
            return ofr_fail(err, errlen, "%s: '%s' is over 60s", name, v);
        if (f == F_DELAY)
            d.delay_s = s;
        else
            d.jitter_s = s;
    } else if (strcmp(name, "loss") == 0) {
        f = F_LOSS;
        if (ofr_prob(v, &d.loss) != 0)
            return ofr_fail(err, errlen,
                            "%s: '%s' is not a probability in 0..1", name, v);
    } else if (strcmp(name, "loss-burst") == 0) {
        f = F_BURST;
        if (ofr_ge_parse(v, &d.ge) != 0)
            return ofr_fail(err, errlen,
                            "%s: '%s' is not P_GB,P_BG[,LOSS_B[,LOSS_G]] "
                            "(each 0..1) or off",
                            name, v);
    } else if (strcmp(name, "rate") == 0) {
        f = F_RATE;
        if (sinum_parse(v, "bit", &d.rate_bps) != 0 || !isfinite(d.rate_bps) ||
            d.rate_bps < 0 || (d.rate_bps > 0 && d.rate_bps < 1000) ||
            d.rate_bps > OFR_RATE_MAX)
            return ofr_fail(err, errlen,
                            "%s: '%s' is not 0 or a rate from 1k to 10T "
                            "bit/s (e.g. 10M)",
                            name, v);
    } else {
        return ofr_fail(err, errlen,
                        "unknown setting '%s' (delay, jitter, loss, "
                        "loss-burst, rate)%s",
                        name, "");
    }
    /* Only the named field changes in each direction it names. */
    for (int i = lo; i <= hi; i++) {
        struct ofr_dir *t = &c->dir[i];
        switch (f) {
        case F_DELAY:
            t->delay_s = d.delay_s;
            break;
        case F_JITTER:
            t->jitter_s = d.jitter_s;
            break;
        case F_LOSS:
            t->loss = d.loss;
            break;
        case F_BURST:
            t->ge = d.ge;
            break;
        case F_RATE:
            t->rate_bps = d.rate_bps;
            break;
        }
    }
    return 0;
}

static int ofr_count(const char *s, unsigned long long max,
                     unsigned long long *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    *out = strtoull(s, &end, 10);
    return (*end || *out > max) ? -1 : 0;
}

int ofrcfg_args(struct ofr_cfg *c, int argc, char **argv, char *err,
                size_t errlen)
{
    const char *pos[2];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return 1;
        if (strcmp(a, "--reorder") == 0 || strcmp(a, "--check") == 0) {
            *(a[2] == 'r' ? &c->reorder : &c->check) = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            if (npos == 2)
                return ofr_fail(err, errlen, "unexpected argument '%s'%s", a,
                                "");
            pos[npos++] = a;
            continue;
        }
        if (i + 1 >= argc)
            return ofr_fail(err, errlen, "%s needs a value%s", a, "");
        const char *v = argv[++i], *n = a + 2;
        unsigned long long x;
        if (strcmp(n, "seed") == 0) {
            if (ofr_count(v, ~0ull, &x) != 0)
                return ofr_fail(err, errlen,
                                "--seed: '%s' is not a non-negative "
                                "integer%s",
                                v, "");
            c->seed = x;
        } else if (strcmp(n, "limit") == 0) {
            if (ofr_count(v, OFR_LIMIT_MAX, &x) != 0 || x == 0)
                return ofr_fail(err, errlen,
                                "--limit: '%s' is not a frame count in "
                                "1..%s",
                                v, "100000");
            c->limit = (unsigned)x;
        } else if (strcmp(n, "stats") == 0) {
            c->stats = v;
        } else if (strcmp(n, "control") == 0) {
            c->control = v;
        } else if (strcmp(n, "pidfile") == 0) {
            c->pidfile = v;
        } else if (ofrcfg_set(c, n, v, err, errlen) != 0) {
            /* ofrcfg_set's reason already names the setting; an unknown
             * one is reported as an option. */
            if (strncmp(err, "unknown setting", 15) == 0)
                return ofr_fail(err, errlen, "unknown option '%s'%s", a, "");
            return -1;
        }
    }
    if (npos != 2)
        return ofr_fail(err, errlen,
                        "expected two interfaces, A side then B side%s%s", "",
                        "");
    c->if_a = pos[0];
    c->if_b = pos[1];
    return 0;
}

int ofrcfg_text(struct ofr_cfg *c, const char *text, const char *fname,
                char *err, size_t errlen)
{
    struct ofr_cfg n = *c;
    char line[OFR_LINE_MAX], why[200];
    int lineno = 0;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        lineno++;
        if (len >= sizeof line) {
            snprintf(err, errlen, "%s:%d: line longer than %d bytes", fname,
                     lineno, OFR_LINE_MAX - 1);
            return -1;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p += len + (eol != NULL);
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *save = NULL;
        char *name = strtok_r(line, " \t\r", &save);
        if (!name)
            continue;
        char *value = strtok_r(NULL, " \t\r", &save);
        if (!value || strtok_r(NULL, " \t\r", &save)) {
            snprintf(err, errlen, "%s:%d: expected 'NAME VALUE'", fname,
                     lineno);
            return -1;
        }
        if (ofrcfg_set(&n, name, value, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s:%d: %s", fname, lineno, why);
            return -1;
        }
    }
    *c = n;
    return 0;
}

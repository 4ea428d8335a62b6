/*
 * simcfg - reading the sim plugin's lab entry: typed lookups that name the
 * field in a one-line message (`devices.2.workload.kind: ...`), and the
 * workload table that a device (sim.c) and a chain's source (chain.c)
 * both have.  It is apart from sim.c so that chain.c reads its
 * configuration without calling back into the file that calls it: sim.c
 * uses chain.c and simcfg.c, chain.c uses simcfg.c, and nothing calls
 * sim.c.
 */
#include "simcfg.h"

#include <wattson/plugin.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "csvtrace.h"
#include "workload.h"

#define SIM_FILE_MAX 4096

const char *simcfg_type_name(int type)
{
    return wattson_cfg_type_name(type, "nothing");
}

void simcfg_fmt(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

void simcfg_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    /* One line: a message must never carry a newline from a value. */
    for (char *p = err; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

int simcfg_num(const struct wattson_host *h, const char *path, double def,
               double lo, int lo_open, double hi, double *out, char *err,
               size_t errlen)
{
    int type = h->cfg_type(h->ctx, path);
    double v;

    if (type == WATTSON_CFG_NONE) {
        *out = def;
        return 0;
    }
    if (type != WATTSON_CFG_NUMBER || h->cfg_number(h->ctx, path, &v) != 0) {
        simcfg_err(err, errlen, "%s: expected a number, got %s", path,
                   simcfg_type_name(type));
        return -1;
    }
    if (!isfinite(v)) {
        simcfg_err(err, errlen, "%s: must be a finite number", path);
        return -1;
    }
    if (lo_open ? !(v > lo) : !(v >= lo)) {
        simcfg_err(err, errlen, "%s: must be %s %g, got %g", path,
                   lo_open ? ">" : ">=", lo, v);
        return -1;
    }
    if (v > hi) {
        simcfg_err(err, errlen, "%s: must be <= %g, got %g", path, hi, v);
        return -1;
    }
    *out = v;
    return 0;
}

const char *simcfg_str(const struct wattson_host *h, const char *path,
                       int required, int *absent, char *err, size_t errlen)
{
    int type = h->cfg_type(h->ctx, path);
    const char *s;

    *absent = 0;
    if (type == WATTSON_CFG_NONE && !required) {
        *absent = 1;
        return NULL;
    }
    if (type == WATTSON_CFG_NONE) {
        simcfg_err(err, errlen, "%s: missing (a string is required)", path);
        return NULL;
    }
    s = type == WATTSON_CFG_STRING ? h->cfg_string(h->ctx, path) : NULL;
    if (!s) {
        simcfg_err(err, errlen, "%s: expected a string, got %s", path,
                   simcfg_type_name(type));
        return NULL;
    }
    return s;
}

int simcfg_in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

int simcfg_check_keys(const struct wattson_host *h, const char *path,
                      const char *const *allowed, char *err, size_t errlen)
{
    const char *key;

    for (size_t i = 0; (key = h->cfg_key(h->ctx, path, i)) != NULL; i++) {
        char known[512];
        size_t used = 0;
        if (simcfg_in_list(key, allowed))
            continue;
        known[0] = '\0';
        for (const char *const *a = allowed; *a; a++) {
            int w = snprintf(known + used, sizeof known - used, "%s%s",
                             a == allowed ? "" : ", ", *a);
            if (w < 0 || (size_t)w >= sizeof known - used)
                break;
            used += (size_t)w;
        }
        simcfg_err(err, errlen, "%s.%s: unknown key (expected one of: %s)",
                   path, key, known);
        return -1;
    }
    return 0;
}

int simcfg_array(const struct wattson_host *h, const char *key,
                 const char *what, size_t max, size_t *n, char *err,
                 size_t errlen)
{
    int type = h->cfg_type(h->ctx, key);

    *n = 0;
    if (type == WATTSON_CFG_NONE)
        return 0;
    if (type != WATTSON_CFG_TABLE) {
        simcfg_err(err, errlen, "%s: expected a table of %s, got %s", key, what,
                   simcfg_type_name(type));
        return -1;
    }
    *n = h->cfg_len(h->ctx, key);
    if (*n > max) {
        simcfg_err(err, errlen, "%s: at most %zu %s, got %zu", key, max, what,
                   *n);
        return -1;
    }
    return 0;
}

int simcfg_expect_table(const struct wattson_host *h, const char *path,
                        char *err, size_t errlen)
{
    int type = h->cfg_type(h->ctx, path);
    if (type == WATTSON_CFG_TABLE)
        return 0;
    simcfg_err(err, errlen, "%s: expected a table, got %s", path,
               simcfg_type_name(type));
    return -1;
}

static int simcfg_read_trace(const struct wattson_host *h, const char *wpath,
                             struct wl *w, char *err, size_t errlen)
{
    char path[SIM_PATH_MAX], file[SIM_FILE_MAX], terr[256];
    const char *name;
    int absent, type;

    simcfg_fmt(path, sizeof path, "%s.file", wpath);
    name = simcfg_str(h, path, 1, &absent, err, errlen);
    if (!name)
        return -1;
    if (name[0] == '/' || !h->lab_dir || !h->lab_dir[0])
        simcfg_fmt(file, sizeof file, "%s", name);
    else
        simcfg_fmt(file, sizeof file, "%s/%s", h->lab_dir, name);
    if (csvtrace_load_as(file, name, &w->tr, terr, sizeof terr)) {
        simcfg_err(err, errlen, "%s: %s", path, terr);
        return -1;
    }
    simcfg_fmt(path, sizeof path, "%s.scale", wpath);
    if (simcfg_num(h, path, 1.0, 0, 0, 1e6, &w->scale, err, errlen))
        return -1;
    simcfg_fmt(path, sizeof path, "%s.loop", wpath);
    type = h->cfg_type(h->ctx, path);
    w->loop = 1;
    if (type != WATTSON_CFG_NONE &&
        (type != WATTSON_CFG_BOOL ||
         h->cfg_bool(h->ctx, path, &w->loop) != 0)) {
        simcfg_err(err, errlen, "%s: expected a boolean, got %s", path,
                   simcfg_type_name(type));
        return -1;
    }
    return 0;
}

int simcfg_params(const struct wattson_host *h, const char *base,
                  const struct simcfg_wparam *params, size_t n,
                  const char *const *only, char *err, size_t errlen)
{
    char path[SIM_PATH_MAX + 16];

    for (size_t i = 0; i < n; i++) {
        if (only && !simcfg_in_list(params[i].key, only))
            continue;
        simcfg_fmt(path, sizeof path, "%s.%s", base, params[i].key);
        if (simcfg_num(h, path, params[i].def, params[i].lo, params[i].lo_open,
                       params[i].hi, params[i].dst, err, errlen))
            return -1;
    }
    return 0;
}

int simcfg_read_workload(const struct wattson_host *h, const char *wpath,
                         int required, struct wl *w, char *err, size_t errlen)
{
    static const char *const keys_by_kind[WL_N_KINDS][6] = {
        [WL_CONSTANT] = {"kind", "level", NULL},
        [WL_STEP] = {"kind", "from", "to", "at_s", NULL},
        [WL_SINE] = {"kind", "mean", "amplitude", "period_s", "phase_s", NULL},
        [WL_BURSTY] = {"kind", "on_level", "off_level", "on_s", "off_s", NULL},
        [WL_RANDOM_WALK] = {"kind", "start", "sigma", "min", "max", NULL},
        [WL_TRACE] = {"kind", "file", "scale", "loop", NULL},
    };
    char path[SIM_PATH_MAX + 16];
    const char *kname;
    int kind, absent;
    /* Demands are fractions of peak throughput; above 1 is overload, and
     * 100 x peak is surely a typo. */
    const double dmax = 100.0;
    struct simcfg_wparam params[] = {
        {"level", 0.5, 0, 0, dmax, &w->level},
        {"from", 0.2, 0, 0, dmax, &w->from},
        {"to", 0.8, 0, 0, dmax, &w->to},
        {"at_s", 30.0, 0, 0, 1e9, &w->at_s},
        {"mean", 0.5, 0, 0, dmax, &w->mean},
        {"amplitude", 0.3, 0, 0, dmax, &w->amplitude},
        {"period_s", 10.0, 0, 1, 1e9, &w->period_s},
        {"phase_s", 0.0, 0, 0, 1e9, &w->phase_s},
        {"on_level", 1.0, 0, 0, dmax, &w->on_level},
        {"off_level", 0.1, 0, 0, dmax, &w->off_level},
        {"on_s", 1.0, 0, 1, 1e9, &w->on_s},
        {"off_s", 1.0, 0, 1, 1e9, &w->off_s},
        {"start", 0.5, 0, 0, dmax, &w->start},
        {"sigma", 0.05, 0, 0, dmax, &w->sigma},
        {"min", 0.0, 0, 0, dmax, &w->min},
        {"max", 1.0, 0, 0, dmax, &w->max},
    };

    /* The entry-wide load multiplier (bench broker --load-scale sets it):
     * read here, where every device's and every pipeline source's
     * workload is configured, so no shape can miss it.  Up to 10 x: a
     * sweep past that only measures a saturated queue. */
    if (simcfg_num(h, "load_scale", 1.0, 0, 1, 10, &w->load, err, errlen))
        return -1;
    if (h->cfg_type(h->ctx, wpath) == WATTSON_CFG_NONE && required) {
        simcfg_err(err, errlen, "%s: missing (a workload table is required)",
                   wpath);
        return -1;
    }
    if (h->cfg_type(h->ctx, wpath) == WATTSON_CFG_NONE) {
        w->kind = WL_CONSTANT; /* no workload: an idle unit */
        w->level = 0;
        return 0;
    }
    if (simcfg_expect_table(h, wpath, err, errlen))
        return -1;
    simcfg_fmt(path, sizeof path, "%s.kind", wpath);
    kname = simcfg_str(h, path, 1, &absent, err, errlen);
    if (!kname)
        return -1;
    kind = wl_kind_parse(kname);
    if (kind < 0) {
        simcfg_err(err, errlen,
                   "%s: unknown workload kind '%s' (expected constant, step, "
                   "sine, bursty, random_walk or trace)",
                   path, kname);
        return -1;
    }
    w->kind = (enum wl_kind)kind;
    if (simcfg_check_keys(h, wpath, keys_by_kind[kind], err, errlen))
        return -1;
    if (simcfg_params(h, wpath, params, sizeof params / sizeof params[0],
                      keys_by_kind[kind], err, errlen))
        return -1;
    if (kind == WL_RANDOM_WALK) {
        if (w->min > w->max) {
            simcfg_err(err, errlen, "%s.min: %g is above max %g", wpath, w->min,
                       w->max);
            return -1;
        }
        if (w->start < w->min || w->start > w->max) {
            simcfg_err(err, errlen,
                       "%s.start: %g is outside [min, max] = "
                       "[%g, %g]",
                       wpath, w->start, w->min, w->max);
            return -1;
        }
    }
    if (kind == WL_TRACE && simcfg_read_trace(h, wpath, w, err, errlen))
        return -1;
    return 0;
}

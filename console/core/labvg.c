/*
 * labvg - see labvg.h.
 */
#include "core/labvg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/cfg.h"
#include "core/labrd.h"
#include "wattson/plugin.h"

static const char *const labvg_modes[] = {"predictive", "reactive", "static",
                                          "off"};

const char *labvg_mode_name(enum labvg_mode m)
{
    return (unsigned)m < 4 ? labvg_modes[m] : "?";
}

int labvg_mode_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, labvg_modes[i]) == 0)
            return i;
    return -1;
}

void labvg_default(struct labvg *v)
{
    memset(v, 0, sizeof *v);
    v->mode = LABVG_PREDICTIVE;
    v->interval_s = 0.1;
    v->horizon_s = 2;
    v->headroom = 0.1;
}

const struct labvg_tenant *labvg_tenant(const struct labvg *v, const char *name)
{
    for (size_t i = 0; v && i < v->n_tenants; i++)
        if (strcmp(v->tenants[i].name, name) == 0)
            return &v->tenants[i];
    return NULL;
}

/* A number within [lo, hi]. */
static int labvg_range(const struct cfg *t, const char *path, const char *key,
                       const char *unit, double lo, double hi, double *v,
                       char *err, size_t errlen)
{
    if (labrd_number(t, path, key, unit, v, err, errlen))
        return -1;
    if (*v < lo || *v > hi)
        return labrd_err(err, errlen, "%s.%s: must be in [%g, %g], got %g",
                         path, key, lo, hi, *v);
    return 0;
}

static const char *const labvg_tkeys[] = {"name",    "min_sm",  "max_sm",
                                          "min_mem", "max_mem", "priority"};

static int labvg_tenant_read(const struct cfg *t, const char *path,
                             struct labvg *v, char *err, size_t errlen)
{
    struct labvg_tenant *tn = &v->tenants[v->n_tenants];
    const char *name;
    if (labrd_keys(t, path, labvg_tkeys, 6,
                   "name, min_sm, max_sm, min_mem, max_mem, priority", err,
                   errlen) ||
        labrd_string(t, path, "name", 1, &name, err, errlen))
        return -1;
    size_t len = strlen(name);
    if (len == 0 || len >= sizeof tn->name)
        return labrd_err(err, errlen, "%s.name: 1 to %zu characters, got %zu",
                         path, sizeof tn->name - 1, len);
    if (labvg_tenant(v, name))
        return labrd_err(err, errlen, "%s.name: '%s' is listed twice", path,
                         name);
    memcpy(tn->name, name, len + 1);
    tn->min_sm = 0;
    tn->max_sm = 1;
    tn->min_mem = 0;
    tn->max_mem = INFINITY;
    double prio = 1;
    if (labvg_range(t, path, "min_sm", "", 0, 1, &tn->min_sm, err, errlen) ||
        labvg_range(t, path, "max_sm", "", 0, 1, &tn->max_sm, err, errlen) ||
        labvg_range(t, path, "min_mem", "B", 0, 1e15, &tn->min_mem, err,
                    errlen) ||
        labvg_range(t, path, "priority", "", 0, 9, &prio, err, errlen))
        return -1;
    if (cfg_get(t, "max_mem") && labvg_range(t, path, "max_mem", "B", 0, 1e15,
                                             &tn->max_mem, err, errlen))
        return -1;
    if (prio != floor(prio))
        return labrd_err(err, errlen, "%s.priority: must be an integer, got %g",
                         path, prio);
    tn->priority = (int)prio;
    if (tn->min_sm > tn->max_sm)
        return labrd_err(err, errlen, "%s: min_sm %g is above max_sm %g", path,
                         tn->min_sm, tn->max_sm);
    if (tn->min_mem > tn->max_mem)
        return labrd_err(err, errlen, "%s: min_mem %g is above max_mem %g",
                         path, tn->min_mem, tn->max_mem);
    v->n_tenants++;
    return 0;
}

static const char *const labvg_keys[] = {"mode", "interval", "horizon",
                                         "headroom", "tenants"};

int labvg_read(const struct cfg *t, struct labvg *out, char *err, size_t errlen)
{
    labvg_default(out);
    if (!t)
        return 0;
    if (cfg_type(t) != WATTSON_CFG_TABLE)
        return labrd_err(err, errlen, "vgpu: expected table, got %s",
                         cfg_type_name(cfg_type(t)));
    const char *mode;
    if (labrd_keys(t, "vgpu", labvg_keys, 5,
                   "mode, interval, horizon, headroom, tenants", err, errlen) ||
        labrd_string(t, "vgpu", "mode", 0, &mode, err, errlen))
        return -1;
    if (mode) {
        int m = labvg_mode_parse(mode);
        if (m < 0)
            return labrd_err(err, errlen,
                             "vgpu.mode: '%.40s' is not one of predictive, "
                             "reactive, static, off",
                             mode);
        out->mode = (enum labvg_mode)m;
    }
    if (labvg_range(t, "vgpu", "interval", "s", 0.01, 10, &out->interval_s, err,
                    errlen) ||
        labvg_range(t, "vgpu", "headroom", "", 0, 1, &out->headroom, err,
                    errlen) ||
        labvg_range(t, "vgpu", "horizon", "s", out->interval_s,
                    64 * out->interval_s, &out->horizon_s, err, errlen))
        return -1;
    const struct cfg *ts = cfg_get(t, "tenants");
    if (labrd_array(ts, "vgpu.tenants", 0, LABVG_MAX_TENANTS, "tenant tables",
                    err, errlen))
        return -1;
    for (size_t i = 0; ts && i < cfg_len(ts); i++) {
        char path[48];
        snprintf(path, sizeof path, "vgpu.tenants.%zu", i + 1);
        if (labvg_tenant_read(cfg_at(ts, i), path, out, err, errlen))
            return -1;
    }
    return 0;
}

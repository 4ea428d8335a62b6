/*
 * labclu - the lab's device map (see labclu.h).
 *
 * The table is read from the lab's cfg tree (the Lua state is gone by
 * then), so messages name the field path, not a line: the tree keeps no
 * line numbers.  Every check names the first offending field and stops.
 */
#include "core/labclu.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/cfg.h"
#include "core/labrd.h"
#include "wattson/plugin.h"

static const char *const labclu_dev_kinds[] = {"cpu", "gpu", "fpga", "accel"};
static const char *const labclu_link_kinds[] = {"nvlink", "pcie", "infiniband",
                                                "ethernet", "other"};
#define LABCLU_N(a) (sizeof(a) / sizeof(a)[0])

/* A kind word from a documented set; *out points at the set's entry. */
static int labclu_kind(const struct cfg *t, const char *path, int required,
                       const char *const *set, size_t n, const char *list,
                       const char **out, char *err, size_t errlen)
{
    const char *s;
    if (labrd_string(t, path, "kind", required, &s, err, errlen))
        return -1;
    if (!s) {
        *out = set[n - 1]; /* "other" */
        return 0;
    }
    for (size_t k = 0; k < n; k++)
        if (strcmp(s, set[k]) == 0) {
            *out = set[k];
            return 0;
        }
    return labrd_err(err, errlen, "%s.kind: '%.40s' is not one of %s", path, s,
                     list);
}

static int labclu_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 31)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

static int labclu_find(const struct labclu *c, const char *name)
{
    for (size_t i = 0; i < c->ndev; i++)
        if (strcmp(c->dev[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int labclu_device(const struct cfg *t, const char *path,
                         struct labclu *c, char *err, size_t errlen)
{
    static const char *const keys[] = {"name", "kind", "speed", "mem", "pu"};
    struct labclu_dev *d = &c->dev[c->ndev];
    const char *s;
    if (labrd_keys(t, path, keys, LABCLU_N(keys), "name, kind, speed, mem, pu",
                   err, errlen) ||
        labrd_string(t, path, "name", 1, &s, err, errlen))
        return -1;
    if (!labclu_name_ok(s))
        return labrd_err(err, errlen,
                         "%s.name: '%.40s': 1..31 letters, digits, '_', "
                         "'-' or '.'",
                         path, s);
    if (labclu_find(c, s) >= 0)
        return labrd_err(err, errlen, "%s.name: '%s' is named twice", path, s);
    snprintf(d->name, sizeof d->name, "%s", s);
    if (labclu_kind(t, path, 1, labclu_dev_kinds, LABCLU_N(labclu_dev_kinds),
                    "cpu, gpu, fpga, accel", &d->kind, err, errlen))
        return -1;
    d->speed = 1;
    if (labrd_number(t, path, "speed", "", &d->speed, err, errlen))
        return -1;
    if (!(d->speed > 0))
        return labrd_err(err, errlen, "%s.speed: must be > 0, got %g", path,
                         d->speed);
    d->mem_bytes = INFINITY;
    if (cfg_get(t, "mem")) {
        if (labrd_number(t, path, "mem", "B", &d->mem_bytes, err, errlen))
            return -1;
        if (!(d->mem_bytes > 0))
            return labrd_err(err, errlen, "%s.mem: must be > 0, got %g", path,
                             d->mem_bytes);
    }
    if (labrd_string(t, path, "pu", 0, &s, err, errlen))
        return -1;
    if (s && (!*s || strlen(s) >= sizeof d->pu))
        return labrd_err(err, errlen,
                         "%s.pu: a lab device's name of 1..%zu "
                         "bytes",
                         path, sizeof d->pu - 1);
    snprintf(d->pu, sizeof d->pu, "%s", s ? s : "");
    c->ndev++;
    return 0;
}

static int labclu_end(const struct cfg *t, const char *path, const char *key,
                      const struct labclu *c, unsigned *idx, char *err,
                      size_t errlen)
{
    const char *s;
    if (labrd_string(t, path, key, 1, &s, err, errlen))
        return -1;
    int i = labclu_find(c, s);
    if (i < 0)
        return labrd_err(err, errlen,
                         "%s.%s: '%.40s' is not a device of cluster.devices",
                         path, key, s);
    *idx = (unsigned)i;
    return 0;
}

static int labclu_link(const struct cfg *t, const char *path, struct labclu *c,
                       char *err, size_t errlen)
{
    static const char *const keys[] = {"from", "to", "bw", "lat", "kind"};
    struct labclu_link *l = &c->link[c->nlinks];
    if (labrd_keys(t, path, keys, LABCLU_N(keys), "from, to, bw, lat, kind",
                   err, errlen) ||
        labclu_end(t, path, "from", c, &l->a, err, errlen) ||
        labclu_end(t, path, "to", c, &l->b, err, errlen))
        return -1;
    if (l->a == l->b)
        return labrd_err(err, errlen, "%s: a link from %s to itself", path,
                         c->dev[l->a].name);
    for (size_t k = 0; k < c->nlinks; k++) {
        const struct labclu_link *o = &c->link[k];
        if ((o->a == l->a && o->b == l->b) || (o->a == l->b && o->b == l->a))
            return labrd_err(err, errlen,
                             "%s: a second link between %s and %s (the "
                             "first: cluster.links.%zu; links carry both "
                             "ways)",
                             path, c->dev[l->a].name, c->dev[l->b].name, k + 1);
    }
    if (!cfg_get(t, "bw"))
        return labrd_err(err, errlen,
                         "%s.bw: missing (bytes/s, e.g. "
                         "\"12GB/s\")",
                         path);
    if (labrd_number(t, path, "bw", "B/s", &l->bw, err, errlen))
        return -1;
    if (!(l->bw > 0))
        return labrd_err(err, errlen, "%s.bw: must be > 0, got %g", path,
                         l->bw);
    l->lat = 0;
    if (labrd_number(t, path, "lat", "s", &l->lat, err, errlen))
        return -1;
    if (!(l->lat >= 0))
        return labrd_err(err, errlen, "%s.lat: must be >= 0, got %g", path,
                         l->lat);
    if (labclu_kind(t, path, 0, labclu_link_kinds, LABCLU_N(labclu_link_kinds),
                    "nvlink, pcie, infiniband, ethernet, other", &l->kind, err,
                    errlen))
        return -1;
    c->nlinks++;
    return 0;
}

int labclu_route(struct labclu *c, char *err, size_t errlen)
{
    const size_t n = c->ndev;
    double w[LABCLU_MAX_DEV][LABCLU_MAX_DEV];
    /* The maximin bandwidth of every pair: Floyd-Warshall over (max, min),
     * exact because min distributes over max.  0: no route. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            w[i][j] = i == j ? INFINITY : 0;
    for (size_t k = 0; k < c->nlinks; k++) {
        const struct labclu_link *l = &c->link[k];
        w[l->a][l->b] = w[l->b][l->a] = l->bw;
    }
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                w[i][j] = fmax(w[i][j], fmin(w[i][k], w[k][j]));
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (!(w[i][j] > 0))
                return labrd_err(err, errlen,
                                 "cluster.links: no path between %s and %s",
                                 c->dev[i].name, c->dev[j].name);
    /* The lexicographic order (widest, then least latency) is not
     * preserved by extending a route, so it is not a path algebra a
     * single Floyd-Warshall could use: for each pair, the least latency
     * over the links at least as wide as its maximin, where every route
     * has exactly that bottleneck.  8^2 pairs x 8^3: nothing. */
    for (size_t i = 0; i < n; i++) {
        c->bw[i * n + i] = INFINITY;
        c->lat[i * n + i] = 0;
        for (size_t j = i + 1; j < n; j++) {
            double d[LABCLU_MAX_DEV][LABCLU_MAX_DEV];
            for (size_t a = 0; a < n; a++)
                for (size_t b = 0; b < n; b++)
                    d[a][b] = a == b ? 0 : INFINITY;
            for (size_t k = 0; k < c->nlinks; k++) {
                const struct labclu_link *l = &c->link[k];
                if (l->bw >= w[i][j])
                    d[l->a][l->b] = d[l->b][l->a] = l->lat;
            }
            for (size_t k = 0; k < n; k++)
                for (size_t a = 0; a < n; a++)
                    for (size_t b = 0; b < n; b++)
                        d[a][b] = fmin(d[a][b], d[a][k] + d[k][b]);
            c->bw[i * n + j] = c->bw[j * n + i] = w[i][j];
            c->lat[i * n + j] = c->lat[j * n + i] = d[i][j];
        }
    }
    return 0;
}

/* `model`, `noise` and `adapt`: the training job a run puts on the map. */
static int labclu_job(const struct cfg *cluster, struct labclu *out, char *err,
                      size_t errlen)
{
    const char *model;
    if (labrd_string(cluster, "cluster", "model", 0, &model, err, errlen))
        return -1;
    if (model && (!*model || strlen(model) >= sizeof out->model))
        return labrd_err(err, errlen,
                         "cluster.model: a file name of 1..%zu bytes",
                         sizeof out->model - 1);
    snprintf(out->model, sizeof out->model, "%s", model ? model : "");
    /* the batch streams of part/pbatch.h (core may not include it) */
    static const char *const streams[] = {"phases", "shuffled", "sorted",
                                          "multiscale"};
    const char *data;
    if (labrd_string(cluster, "cluster", "data", 0, &data, err, errlen))
        return -1;
    if (data) {
        size_t k = 0;
        while (k < LABCLU_N(streams) && strcmp(data, streams[k]) != 0)
            k++;
        if (k == LABCLU_N(streams))
            return labrd_err(err, errlen,
                             "cluster.data: '%.40s' is not one of phases, "
                             "shuffled, sorted, multiscale",
                             data);
        if (!model)
            return labrd_err(err, errlen,
                             "cluster.data: a batch stream needs a model");
        snprintf(out->data, sizeof out->data, "%s", data);
    }
    out->noise = 0.02;
    if (labrd_number(cluster, "cluster", "noise", "", &out->noise, err, errlen))
        return -1;
    if (!(out->noise >= 0 && out->noise <= 0.5))
        return labrd_err(err, errlen,
                         "cluster.noise: must be in [0, 0.5], got %g",
                         out->noise);
    /* padapt's defaults (part/padapt.c, which core may not include) */
    out->adapt_threshold = 0.1;
    out->adapt_hold = 5;
    out->adapt_cooldown = 10;
    out->adapt_horizon = 500;
    const struct cfg *ad = cfg_get(cluster, "adapt");
    if (!ad)
        return 0;
    static const char *const keys[] = {"threshold", "hold", "cooldown",
                                       "horizon"};
    if (cfg_type(ad) != WATTSON_CFG_TABLE)
        return labrd_err(err, errlen, "cluster.adapt: expected table, got %s",
                         cfg_type_name(cfg_type(ad)));
    if (labrd_keys(ad, "cluster.adapt", keys, LABCLU_N(keys),
                   "threshold, hold, cooldown, horizon", err, errlen))
        return -1;
    double th = 0.1, hold = 5, cool = 10, hz = 500;
    if (labrd_number(ad, "cluster.adapt", "threshold", "", &th, err, errlen) ||
        labrd_number(ad, "cluster.adapt", "hold", "", &hold, err, errlen) ||
        labrd_number(ad, "cluster.adapt", "cooldown", "", &cool, err, errlen) ||
        labrd_number(ad, "cluster.adapt", "horizon", "", &hz, err, errlen))
        return -1;
    if (!(th > 0 && th <= 1))
        return labrd_err(err, errlen,
                         "cluster.adapt.threshold: must be in (0, 1], got %g",
                         th);
    if (!(hold >= 1 && hold <= 100000 && hold == floor(hold)))
        return labrd_err(err, errlen,
                         "cluster.adapt.hold: a whole number of micro-"
                         "batches 1..100000, got %g",
                         hold);
    if (!(cool >= 0 && cool <= 1e6 && cool == floor(cool)))
        return labrd_err(err, errlen,
                         "cluster.adapt.cooldown: a whole number of micro-"
                         "batches 0..1000000, got %g",
                         cool);
    if (!(hz > 0 && hz <= 1e9))
        return labrd_err(err, errlen,
                         "cluster.adapt.horizon: micro-batches in (0, 1e9], "
                         "got %g",
                         hz);
    out->adapt_threshold = th;
    out->adapt_hold = (unsigned)hold;
    out->adapt_cooldown = (unsigned)cool;
    out->adapt_horizon = hz;
    return 0;
}

int labclu_read(const struct cfg *cluster, struct labclu *out, char *err,
                size_t errlen)
{
    static const char *const keys[] = {"devices", "links", "model",
                                       "data",    "noise", "adapt"};
    memset(out, 0, sizeof *out);
    if (cfg_type(cluster) != WATTSON_CFG_TABLE)
        return labrd_err(err, errlen, "cluster: expected table, got %s",
                         cfg_type_name(cfg_type(cluster)));
    if (labrd_keys(cluster, "cluster", keys, LABCLU_N(keys),
                   "devices, links, model, data, noise, adapt", err, errlen) ||
        labclu_job(cluster, out, err, errlen))
        return -1;
    const struct cfg *devs = cfg_get(cluster, "devices");
    const struct cfg *links = cfg_get(cluster, "links");
    char path[48];
    if (labrd_array(devs, "cluster.devices", 1, LABCLU_MAX_DEV,
                    "device tables, at most 8 (the partitioner's limit)", err,
                    errlen))
        return -1;
    for (size_t i = 0; i < cfg_len(devs); i++) {
        snprintf(path, sizeof path, "cluster.devices.%zu", i + 1);
        if (labclu_device(cfg_at(devs, i), path, out, err, errlen))
            return -1;
    }
    if (labrd_array(links, "cluster.links", 0, LABCLU_MAX_LINKS,
                    "link tables, one per pair of devices", err, errlen))
        return -1;
    for (size_t i = 0; i < cfg_len(links); i++) {
        snprintf(path, sizeof path, "cluster.links.%zu", i + 1);
        if (labclu_link(cfg_at(links, i), path, out, err, errlen))
            return -1;
    }
    return labclu_route(out, err, errlen);
}

/* "12", "1.25", "0.5": GB/s as people write them. */
static void labclu_gbs(double bw, char *buf, size_t len)
{
    snprintf(buf, len, "%.3g", bw / 1e9);
}

void labclu_describe(const struct labclu *c, char *buf, size_t len)
{
    size_t at = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    if (c->nlinks == 0) {
        snprintf(buf, len, "no links");
        return;
    }
    for (size_t k = 0; k < LABCLU_N(labclu_link_kinds); k++) {
        double lo = INFINITY, hi = 0;
        for (size_t i = 0; i < c->nlinks; i++)
            if (c->link[i].kind == labclu_link_kinds[k]) {
                lo = fmin(lo, c->link[i].bw);
                hi = fmax(hi, c->link[i].bw);
            }
        if (!(hi > 0))
            continue;
        char a[16], b[16];
        labclu_gbs(lo, a, sizeof a);
        labclu_gbs(hi, b, sizeof b);
        int w = strcmp(a, b) == 0
                    ? snprintf(buf + at, len - at, "%s%s %s GB/s",
                               at ? ", " : "", labclu_link_kinds[k], a)
                    : snprintf(buf + at, len - at, "%s%s %s-%s GB/s",
                               at ? ", " : "", labclu_link_kinds[k], a, b);
        if (w < 0 || (size_t)w >= len - at)
            return; /* truncated: snprintf ended it */
        at += (size_t)w;
    }
}

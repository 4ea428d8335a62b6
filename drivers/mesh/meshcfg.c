/*
 * meshcfg - see meshcfg.h.
 */
#include "meshcfg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wattson/plugin.h"

#define MESHCFG_PATH 160

struct meshcfg_ctx {
    const struct meshcfg_src *src;
    const char *base, *shown;
    char *err;
    size_t errlen;
};

static int meshcfg_err(struct meshcfg_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int meshcfg_err(struct meshcfg_ctx *c, const char *fmt, ...)
{
    int n = snprintf(c->err, c->errlen, "%s", c->shown);
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* The accessor path of rel ("modules.2.node") under the base. */
static const char *meshcfg_p(const struct meshcfg_ctx *c, char *buf,
                             const char *rel)
{
    if (!c->base[0])
        snprintf(buf, MESHCFG_PATH, "%s", rel);
    else if (!rel[0])
        snprintf(buf, MESHCFG_PATH, "%s", c->base);
    else
        snprintf(buf, MESHCFG_PATH, "%s.%s", c->base, rel);
    return buf;
}

static int meshcfg_type(const struct meshcfg_ctx *c, const char *rel)
{
    char p[MESHCFG_PATH];
    return c->src->type(c->src->ctx, meshcfg_p(c, p, rel));
}

static const char *meshcfg_str(const struct meshcfg_ctx *c, const char *rel)
{
    char p[MESHCFG_PATH];
    return c->src->string(c->src->ctx, meshcfg_p(c, p, rel));
}

/* Keys of the table at rel: how many, and whether they are exactly
 * 1..n (an array).  *bad: the first key not in keys (when keys given). */
static size_t meshcfg_keys(const struct meshcfg_ctx *c, const char *rel,
                           const char *const *keys, const char *const *extra,
                           int *array, const char **bad)
{
    char p[MESHCFG_PATH], num[24];
    meshcfg_p(c, p, rel);
    size_t i = 0;
    *array = 1;
    if (bad)
        *bad = NULL;
    for (const char *k; (k = c->src->key(c->src->ctx, p, i)) != NULL; i++) {
        snprintf(num, sizeof num, "%zu", i + 1);
        if (strcmp(k, num) != 0)
            *array = 0;
        if (!keys || (bad && *bad))
            continue;
        int ok = 0;
        for (const char *const *q = keys; *q && !ok; q++)
            ok = strcmp(*q, k) == 0;
        for (const char *const *q = extra; q && *q && !ok; q++)
            ok = strcmp(*q, k) == 0;
        if (!ok && bad)
            *bad = k;
    }
    return i;
}

static int meshcfg_check_keys(struct meshcfg_ctx *c, const char *rel,
                              const char *const *keys, const char *const *extra)
{
    int array;
    const char *bad;
    meshcfg_keys(c, rel, keys, extra, &array, &bad);
    if (bad)
        return meshcfg_err(c, "%s%s: unknown field '%s'", rel[0] ? "." : "",
                           rel, bad);
    return 0;
}

/* A number at rel: absent leaves *v (and *given 0); else in [lo, hi]. */
static int meshcfg_num(struct meshcfg_ctx *c, const char *rel, double lo,
                       double hi, double *v)
{
    const int t = meshcfg_type(c, rel);
    if (t == WATTSON_CFG_NONE)
        return 0;
    if (t != WATTSON_CFG_NUMBER)
        return meshcfg_err(c, ".%s: expected number, got %s", rel,
                           wattson_cfg_type_name(t, "nothing"));
    char p[MESHCFG_PATH];
    double x = NAN;
    c->src->number(c->src->ctx, meshcfg_p(c, p, rel), &x);
    if (!(x >= lo && x <= hi))
        return meshcfg_err(c, ".%s: must be in [%g, %g], got %g", rel, lo, hi,
                           x);
    *v = x;
    return 0;
}

static int meshcfg_node(struct meshcfg_ctx *c, const struct meshcfg *mc,
                        const char *rel, unsigned *out)
{
    double x = NAN;
    if (meshcfg_type(c, rel) != WATTSON_CFG_NUMBER)
        return meshcfg_err(
            c, ".%s: expected a node number, got %s", rel,
            wattson_cfg_type_name(meshcfg_type(c, rel), "nothing"));
    char p[MESHCFG_PATH];
    c->src->number(c->src->ctx, meshcfg_p(c, p, rel), &x);
    if (!(x == floor(x) && x >= 1 && x <= mc->n))
        return meshcfg_err(c, ".%s: no node %g (the mesh has %u)", rel, x,
                           mc->n);
    *out = (unsigned)x - 1;
    return 0;
}

/* The optional array at rel ("modules", "events"): its length in *n (0
 * when absent), or -1 (err) for anything but an array. */
static int meshcfg_array(struct meshcfg_ctx *c, const char *rel, size_t *n)
{
    const int t = meshcfg_type(c, rel);
    int array = 1;
    *n = 0;
    if (t == WATTSON_CFG_NONE)
        return 0;
    if (t == WATTSON_CFG_TABLE)
        *n = meshcfg_keys(c, rel, NULL, NULL, &array, NULL);
    if (t != WATTSON_CFG_TABLE || !array)
        return meshcfg_err(c, ".%s: expected an array of %s", rel, rel);
    return 0;
}

static int meshcfg_link(struct meshcfg *mc, unsigned a, unsigned b, double r)
{
    if (mc->nl >= DCNET_MAX_LINKS)
        return -1;
    mc->link[mc->nl].a = a;
    mc->link[mc->nl].b = b;
    mc->link[mc->nl].r = r;
    mc->nl++;
    return 0;
}

static int meshcfg_topology(struct meshcfg_ctx *c, struct meshcfg *mc, double r)
{
    const int topo = meshcfg_type(c, "topology"),
              links = meshcfg_type(c, "links");
    if ((topo == WATTSON_CFG_NONE) == (links == WATTSON_CFG_NONE))
        return meshcfg_err(c, ": give either topology or links");
    if (links != WATTSON_CFG_NONE) {
        int array;
        const size_t nl =
            links == WATTSON_CFG_TABLE
                ? meshcfg_keys(c, "links", NULL, NULL, &array, NULL)
                : 0;
        if (links != WATTSON_CFG_TABLE || !array)
            return meshcfg_err(c, ".links: expected an array of links");
        static const char *const keys[] = {"1", "2", "r", NULL};
        for (size_t i = 0; i < nl; i++) {
            char rel[64], ra[80], rb[80], rr[80];
            snprintf(rel, sizeof rel, "links.%zu", i + 1);
            snprintf(ra, sizeof ra, "%s.1", rel);
            snprintf(rb, sizeof rb, "%s.2", rel);
            snprintf(rr, sizeof rr, "%s.r", rel);
            if (meshcfg_type(c, rel) != WATTSON_CFG_TABLE ||
                meshcfg_type(c, ra) == WATTSON_CFG_NONE ||
                meshcfg_type(c, rb) == WATTSON_CFG_NONE)
                return meshcfg_err(c, ".%s: expected { A, B [, r = OHM] }",
                                   rel);
            unsigned a, b;
            double lr = r;
            if (meshcfg_check_keys(c, rel, keys, NULL) ||
                meshcfg_node(c, mc, ra, &a) || meshcfg_node(c, mc, rb, &b) ||
                meshcfg_num(c, rr, 1e-5, 10, &lr))
                return -1;
            if (a == b)
                return meshcfg_err(c, ".%s: links node %u to itself", rel,
                                   a + 1);
            if (meshcfg_link(mc, a, b, lr))
                return meshcfg_err(c, ".%s: more than %d links", rel,
                                   DCNET_MAX_LINKS);
        }
        return 0;
    }
    const char *k = meshcfg_str(c, "topology");
    if (topo != WATTSON_CFG_STRING || !k)
        return meshcfg_err(c, ".topology: expected \"grid\", \"ring\" or "
                              "\"line\"");
    if (strcmp(k, "grid") == 0) {
        double cols = 0;
        if (meshcfg_type(c, "cols") == WATTSON_CFG_NONE)
            return meshcfg_err(c, ".cols: a grid needs its columns");
        if (meshcfg_num(c, "cols", 1, mc->n, &cols))
            return -1;
        if (cols != floor(cols) || mc->n % (unsigned)cols)
            return meshcfg_err(c, ".cols: %g does not divide %u nodes", cols,
                               mc->n);
        const unsigned w = (unsigned)cols;
        for (unsigned i = 0; i < mc->n; i++) {
            if ((i + 1) % w && meshcfg_link(mc, i, i + 1, r))
                return meshcfg_err(c, ": too many links");
            if (i + w < mc->n && meshcfg_link(mc, i, i + w, r))
                return meshcfg_err(c, ": too many links");
        }
    } else if (strcmp(k, "ring") == 0 || strcmp(k, "line") == 0) {
        const int ring = k[0] == 'r';
        if (ring && mc->n < 3)
            return meshcfg_err(c, ".topology: a ring needs 3 nodes or more");
        for (unsigned i = 0; i + 1 < mc->n; i++)
            meshcfg_link(mc, i, i + 1, r);
        if (ring)
            meshcfg_link(mc, mc->n - 1, 0, r);
    } else {
        return meshcfg_err(c, ".topology: unknown '%s' (grid, ring, line)", k);
    }
    return 0;
}

static int meshcfg_connected(struct meshcfg_ctx *c, const struct meshcfg *mc)
{
    unsigned seen[MESH_MAX_NODES] = {0}, stack[MESH_MAX_NODES], sp = 0;
    seen[0] = 1;
    stack[sp++] = 0;
    while (sp) {
        const unsigned a = stack[--sp];
        for (unsigned k = 0; k < mc->nl; k++) {
            unsigned b = mc->link[k].a == a   ? mc->link[k].b
                         : mc->link[k].b == a ? mc->link[k].a
                                              : MESH_MAX_NODES;
            if (b < MESH_MAX_NODES && !seen[b]) {
                seen[b] = 1;
                stack[sp++] = b;
            }
        }
    }
    for (unsigned i = 0; i < mc->n; i++)
        if (!seen[i])
            return meshcfg_err(c,
                               ".links: the mesh is disconnected: node %u is "
                               "not reachable from node 1",
                               i + 1);
    return 0;
}

static int meshcfg_mtype(struct meshcfg_ctx *c, const char *rel,
                         const struct cmod_type **out)
{
    char rt[80];
    snprintf(rt, sizeof rt, "%s.type", rel);
    const char *s = meshcfg_str(c, rt);
    if (meshcfg_type(c, rt) != WATTSON_CFG_STRING || !s)
        return meshcfg_err(c, ".%s: expected a module type (cpu, gpu, fpga)",
                           rt);
    *out = cmod_preset(s);
    if (!*out)
        return meshcfg_err(c, ".%s: unknown module type '%s' (cpu, gpu, fpga)",
                           rt, s);
    return 0;
}

static int meshcfg_id(struct meshcfg_ctx *c, const char *rel, const char *dflt,
                      char *out)
{
    char ri[80];
    snprintf(ri, sizeof ri, "%s.id", rel);
    if (meshcfg_type(c, ri) == WATTSON_CFG_NONE) {
        snprintf(out, MESH_ID_LEN, "%s", dflt);
        return 0;
    }
    const char *s = meshcfg_str(c, ri);
    if (meshcfg_type(c, ri) != WATTSON_CFG_STRING || !s || !*s ||
        strlen(s) >= MESH_ID_LEN)
        return meshcfg_err(c, ".%s: expected a string of 1..%d bytes", ri,
                           MESH_ID_LEN - 1);
    for (const char *p = s; *p; p++)
        if (*p <= ' ' || *p == '/' || *p > '~')
            return meshcfg_err(c,
                               ".%s: '%s': only printable characters, no "
                               "spaces or '/'",
                               ri, s);
    snprintf(out, MESH_ID_LEN, "%s", s);
    return 0;
}

static int meshcfg_modules(struct meshcfg_ctx *c, struct meshcfg *mc)
{
    size_t n;
    if (meshcfg_array(c, "modules", &n))
        return -1;
    unsigned per[MESH_MAX_NODES] = {0};
    static const char *const keys[] = {"node",      "type", "id",
                                       "ambient_c", "vnom", NULL};
    for (size_t i = 0; i < n; i++) {
        char rel[64], rn[80], rtc[80], rv[80];
        snprintf(rel, sizeof rel, "modules.%zu", i + 1);
        snprintf(rn, sizeof rn, "%s.node", rel);
        snprintf(rtc, sizeof rtc, "%s.ambient_c", rel);
        snprintf(rv, sizeof rv, "%s.vnom", rel);
        if (meshcfg_type(c, rel) != WATTSON_CFG_TABLE)
            return meshcfg_err(c, ".%s: expected a table", rel);
        if (meshcfg_check_keys(c, rel, keys, NULL))
            return -1;
        if (meshcfg_type(c, rn) == WATTSON_CFG_NONE)
            return meshcfg_err(c, ".%s: missing", rn);
        unsigned node;
        const struct cmod_type *ty;
        if (meshcfg_node(c, mc, rn, &node) || meshcfg_mtype(c, rel, &ty))
            return -1;
        if (++per[node] > MESH_MAX_MODS)
            return meshcfg_err(c, ".%s: node %u already has %d modules", rel,
                               node + 1, MESH_MAX_MODS);
        double tamb = 30, vnom = ty->vnom;
        if (meshcfg_num(c, rtc, -40, 85, &tamb))
            return -1;
        if (meshcfg_type(c, rv) != WATTSON_CFG_NONE &&
            (meshcfg_type(c, rv) != WATTSON_CFG_NUMBER ||
             meshcfg_num(c, rv, -INFINITY, INFINITY, &vnom) ||
             !(vnom >= ty->vmin && vnom <= ty->vmax)))
            return meshcfg_err(c, ".%s: outside the %s part's range [%g, %g] V",
                               rv, ty->name, ty->vmin, ty->vmax);
        const unsigned k = mc->nmod++;
        mc->mod[k].node = node;
        mc->mod[k].type = ty;
        mc->mod[k].tamb = tamb;
        if (meshcfg_id(c, rel, ty->name, mc->mod[k].id))
            return -1;
    }
    return 0;
}

/* A duration as the lab files write them ("15s", "250ms", 1.5): the
 * number and a unit ns, us, ms, s, m or h; -1 for anything else. */
static int meshcfg_dur(const char *s, double *out)
{
    static const struct {
        const char *u;
        double k;
    } units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3},
                 {"s", 1},     {"m", 60},    {"h", 3600}};
    char *end;
    const double x = strtod(s, &end);
    if (end == s || !isfinite(x) || x < 0)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].u) == 0) {
            *out = x * units[i].k;
            return 0;
        }
    return -1;
}

static int meshcfg_cmp_ev(const void *a, const void *b)
{
    const struct meshcfg_event *x = a, *y = b;
    return (x->at_s > y->at_s) - (x->at_s < y->at_s);
}

static int meshcfg_events_read(struct meshcfg_ctx *c, struct meshcfg *mc,
                               double duration_s)
{
    size_t n;
    if (meshcfg_array(c, "events", &n))
        return -1;
    if (n > MESHCFG_MAX_EVENTS)
        return meshcfg_err(c, ".events: more than %d events",
                           MESHCFG_MAX_EVENTS);
    static const char *const kinds[] = {"fail", "recover", "attach", "detach",
                                        "drift"};
    static const char *const keys[] = {"at",     "fail", "recover", "attach",
                                       "detach", "type", "id",      "ambient_c",
                                       "drift",  "dvth", NULL};
    for (size_t i = 0; i < n; i++) {
        char rel[64], ra[80], rk[80], rt[80], rd[80];
        snprintf(rel, sizeof rel, "events.%zu", i + 1);
        snprintf(ra, sizeof ra, "%s.at", rel);
        snprintf(rt, sizeof rt, "%s.ambient_c", rel);
        snprintf(rd, sizeof rd, "%s.dvth", rel);
        if (meshcfg_type(c, rel) != WATTSON_CFG_TABLE)
            return meshcfg_err(c, ".%s: expected a table", rel);
        if (meshcfg_check_keys(c, rel, keys, NULL))
            return -1;
        struct meshcfg_event *e = &mc->ev[mc->nev];
        memset(e, 0, sizeof *e);
        const int at = meshcfg_type(c, ra);
        if (at == WATTSON_CFG_NONE)
            return meshcfg_err(c, ".%s: missing", ra);
        if (at == WATTSON_CFG_NUMBER) {
            char p[MESHCFG_PATH];
            c->src->number(c->src->ctx, meshcfg_p(c, p, ra), &e->at_s);
        } else if (at != WATTSON_CFG_STRING || !meshcfg_str(c, ra) ||
                   meshcfg_dur(meshcfg_str(c, ra), &e->at_s)) {
            return meshcfg_err(c, ".%s: expected a duration like \"15s\"", ra);
        }
        if (!(e->at_s >= 0 && e->at_s <= duration_s))
            return meshcfg_err(c, ".%s: %g s is outside the lab's %g s", ra,
                               e->at_s, duration_s);
        int found = 0;
        for (int k = 0; k < 5; k++) {
            snprintf(rk, sizeof rk, "%s.%s", rel, kinds[k]);
            if (meshcfg_type(c, rk) == WATTSON_CFG_NONE)
                continue;
            if (found++)
                return meshcfg_err(c,
                                   ".%s: one of fail, recover, attach, detach "
                                   "or drift per event",
                                   rel);
            e->kind = (enum meshcfg_ev)k;
            if (meshcfg_node(c, mc, rk, &e->node))
                return -1;
        }
        if (!found)
            return meshcfg_err(c,
                               ".%s: say what happens: fail, recover, attach, "
                               "detach or drift = NODE",
                               rel);
        e->tamb = 30;
        if (e->kind == MESHCFG_ATTACH &&
            (meshcfg_mtype(c, rel, &e->type) ||
             meshcfg_id(c, rel, e->type->name, e->id) ||
             meshcfg_num(c, rt, -40, 85, &e->tamb)))
            return -1;
        if (e->kind == MESHCFG_DRIFT &&
            (meshcfg_num(c, rd, -0.2, 0.2, &e->dvth) ||
             meshcfg_num(c, rt, -40, 85, &e->tamb)))
            return -1;
        mc->nev++;
    }
    qsort(mc->ev, mc->nev, sizeof mc->ev[0], meshcfg_cmp_ev);
    return 0;
}

int meshcfg_read(const struct meshcfg_src *src, const char *base,
                 const char *shown, const char *const *extra, double duration_s,
                 struct meshcfg *mc, char *err, size_t errlen)
{
    struct meshcfg_ctx c = {src, base ? base : "", shown, err, errlen};
    static const char *const keys[] = {"nodes", "topology", "cols",   "link_r",
                                       "links", "modules",  "events", NULL};
    memset(mc, 0, sizeof *mc);
    if (meshcfg_check_keys(&c, "", keys, extra))
        return -1;
    double n = 0, r = 0.01;
    if (meshcfg_type(&c, "nodes") == WATTSON_CFG_NONE)
        return meshcfg_err(&c, ".nodes: missing");
    if (meshcfg_num(&c, "nodes", 1, MESH_MAX_NODES, &n))
        return -1;
    if (n != floor(n))
        return meshcfg_err(&c, ".nodes: expected a whole number");
    mc->n = (unsigned)n;
    if (meshcfg_num(&c, "link_r", 1e-5, 10, &r) ||
        meshcfg_topology(&c, mc, r) || meshcfg_connected(&c, mc) ||
        meshcfg_modules(&c, mc) || meshcfg_events_read(&c, mc, duration_s))
        return -1;
    return 0;
}

int meshcfg_build(const struct meshcfg *mc, double dt, uint64_t seed,
                  struct mesh *m, char *err, size_t errlen)
{
    if (mesh_init(m, mc->n, dt, seed) != MESH_OK) {
        snprintf(err, errlen, "mesh: cannot build %u nodes", mc->n);
        return -1;
    }
    for (unsigned k = 0; k < mc->nl; k++)
        if (mesh_link(m, mc->link[k].a, mc->link[k].b, mc->link[k].r, 0) < 0) {
            snprintf(err, errlen, "mesh: link %u-%u refused", mc->link[k].a + 1,
                     mc->link[k].b + 1);
            return -1;
        }
    for (unsigned k = 0; k < mc->nmod; k++) {
        const unsigned i = mc->mod[k].node;
        const struct cmod_type *t = mc->mod[k].type;
        if (mesh_attach(m, i, t, mc->mod[k].id, mc->mod[k].tamb) < 0) {
            snprintf(err, errlen, "mesh: node %u: cannot attach %s", i + 1,
                     mc->mod[k].id);
            return -1;
        }
        mesh_set_duty(m, i, conv_duty(&m->node[i].conv, t->vnom));
    }
    return 0;
}

unsigned meshcfg_events(const struct meshcfg *mc, double t0, double t1,
                        struct mesh *m,
                        void (*on)(void *ctx, const struct meshcfg_event *e),
                        void *ctx)
{
    unsigned done = 0;
    for (unsigned k = 0; k < mc->nev; k++) {
        const struct meshcfg_event *e = &mc->ev[k];
        if (!(e->at_s > t0 && e->at_s <= t1))
            continue;
        struct mesh_node *nd = &m->node[e->node];
        int ok = 1;
        switch (e->kind) {
        case MESHCFG_FAIL:
        case MESHCFG_RECOVER:
            mesh_fail(m, e->node, e->kind == MESHCFG_FAIL);
            break;
        case MESHCFG_DETACH:
            while (nd->nmod > 0)
                mesh_detach(m, e->node, nd->nmod - 1);
            break;
        case MESHCFG_ATTACH:
            /* power sequencing: the node sets the module's nominal
             * supply before it enables it (a bus left at another
             * module's voltage could be under this one's minimum) */
            ok = mesh_attach(m, e->node, e->type, e->id, e->tamb) >= 0;
            if (ok)
                mesh_set_duty(m, e->node, conv_duty(&nd->conv, e->type->vnom));
            break;
        case MESHCFG_DRIFT:
            for (unsigned s = 0; s < nd->nmod; s++)
                mesh_drift(m, e->node, s, e->dvth, e->tamb);
            break;
        }
        if (on && ok)
            on(ctx, e);
        done += (unsigned)ok;
    }
    return done;
}

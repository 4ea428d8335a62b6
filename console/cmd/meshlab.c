/*
 * meshlab - see meshlab.h.
 *
 * Checked here, beyond each field's type and range: that the links make
 * one connected mesh (a node nothing reaches could never be fed if its
 * converter failed, and its agent would have no neighbour), that modules
 * and events name nodes that exist, that a node's modules fit its slots,
 * and that a module's `vnom` (its supply at start) is inside its part's
 * range.
 */
#include "meshlab.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg.h"
#include "core/dur.h"
#include "core/lab.h"
#include "wattson/plugin.h"

struct meshlab_ctx {
    const char *file;
    char *err;
    size_t errlen;
};

static int meshlab_err(struct meshlab_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int meshlab_err(struct meshlab_ctx *c, const char *fmt, ...)
{
    int n = snprintf(c->err, c->errlen, "%s: ", c->file);
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* A number field: absent leaves *v; else it must be in [lo, hi]. */
static int meshlab_num(struct meshlab_ctx *c, const struct cfg *t,
                       const char *path, const char *key, double lo, double hi,
                       double *v)
{
    const struct cfg *n = cfg_get(t, key);
    if (!n)
        return 0;
    if (cfg_type(n) != WATTSON_CFG_NUMBER)
        return meshlab_err(c, "%s.%s: expected number, got %s", path, key,
                           cfg_type_name(cfg_type(n)));
    const double x = cfg_number(n);
    if (!(x >= lo && x <= hi))
        return meshlab_err(c, "%s.%s: must be in [%g, %g], got %g", path, key,
                           lo, hi, x);
    *v = x;
    return 0;
}

/* A node number (1-based in the file). */
static int meshlab_node(struct meshlab_ctx *c, const struct meshlab *ml,
                        const struct cfg *n, const char *path, unsigned *out)
{
    if (cfg_type(n) != WATTSON_CFG_NUMBER)
        return meshlab_err(c, "%s: expected a node number, got %s", path,
                           cfg_type_name(cfg_type(n)));
    const double x = cfg_number(n);
    if (!(x == floor(x) && x >= 1 && x <= ml->n))
        return meshlab_err(c, "%s: no node %g (the mesh has %u)", path, x,
                           ml->n);
    *out = (unsigned)x - 1;
    return 0;
}

static int meshlab_keys(struct meshlab_ctx *c, const struct cfg *t,
                        const char *path, const char *const *keys)
{
    for (size_t i = 0; i < cfg_len(t); i++) {
        const char *k = cfg_key_at(t, i);
        int ok = 0;
        for (const char *const *p = keys; *p && !ok; p++)
            ok = strcmp(*p, k) == 0;
        if (!ok)
            return meshlab_err(c, "%s: unknown field '%s'", path, k);
    }
    return 0;
}

static int meshlab_link(struct meshlab *ml, unsigned a, unsigned b, double r)
{
    if (ml->nl >= DCNET_MAX_LINKS)
        return -1;
    ml->link[ml->nl].a = a;
    ml->link[ml->nl].b = b;
    ml->link[ml->nl].r = r;
    ml->nl++;
    return 0;
}

static int meshlab_topology(struct meshlab_ctx *c, struct meshlab *ml,
                            const struct cfg *s, double r)
{
    const struct cfg *topo = cfg_get(s, "topology"),
                     *links = cfg_get(s, "links");
    if (!!topo == !!links)
        return meshlab_err(c, "mesh: give either topology or links");
    if (links) {
        if (cfg_type(links) != WATTSON_CFG_TABLE || !cfg_is_array(links))
            return meshlab_err(c, "mesh.links: expected an array of links");
        for (size_t i = 0; i < cfg_len(links); i++) {
            char path[64];
            snprintf(path, sizeof path, "mesh.links.%zu", i + 1);
            const struct cfg *l = cfg_at(links, i);
            static const char *const keys[] = {"1", "2", "r", NULL};
            if (cfg_type(l) != WATTSON_CFG_TABLE)
                return meshlab_err(c, "%s: expected { A, B [, r = OHM] }",
                                   path);
            if (meshlab_keys(c, l, path, keys))
                return -1;
            unsigned a, b;
            char pa[80], pb[80];
            snprintf(pa, sizeof pa, "%s.1", path);
            snprintf(pb, sizeof pb, "%s.2", path);
            double lr = r;
            if (!cfg_get(l, "1") || !cfg_get(l, "2"))
                return meshlab_err(c, "%s: expected { A, B [, r = OHM] }",
                                   path);
            if (meshlab_node(c, ml, cfg_get(l, "1"), pa, &a) ||
                meshlab_node(c, ml, cfg_get(l, "2"), pb, &b) ||
                meshlab_num(c, l, path, "r", 1e-5, 10, &lr))
                return -1;
            if (a == b)
                return meshlab_err(c, "%s: links node %u to itself", path,
                                   a + 1);
            if (meshlab_link(ml, a, b, lr))
                return meshlab_err(c, "%s: more than %d links", path,
                                   DCNET_MAX_LINKS);
        }
        return 0;
    }
    if (cfg_type(topo) != WATTSON_CFG_STRING)
        return meshlab_err(c, "mesh.topology: expected \"grid\", \"ring\" or "
                              "\"line\"");
    const char *k = cfg_string(topo);
    double cols = 0;
    if (strcmp(k, "grid") == 0) {
        if (!cfg_get(s, "cols"))
            return meshlab_err(c, "mesh.cols: a grid needs its columns");
        if (meshlab_num(c, s, "mesh", "cols", 1, ml->n, &cols))
            return -1;
        if (cols != floor(cols) || ml->n % (unsigned)cols)
            return meshlab_err(c, "mesh.cols: %g does not divide %u nodes",
                               cols, ml->n);
        const unsigned w = (unsigned)cols;
        for (unsigned i = 0; i < ml->n; i++) {
            if ((i + 1) % w && meshlab_link(ml, i, i + 1, r))
                return meshlab_err(c, "mesh: too many links");
            if (i + w < ml->n && meshlab_link(ml, i, i + w, r))
                return meshlab_err(c, "mesh: too many links");
        }
    } else if (strcmp(k, "ring") == 0 || strcmp(k, "line") == 0) {
        const int ring = k[0] == 'r';
        if (ring && ml->n < 3)
            return meshlab_err(c, "mesh.topology: a ring needs 3 nodes or "
                                  "more");
        for (unsigned i = 0; i + 1 < ml->n; i++)
            meshlab_link(ml, i, i + 1, r);
        if (ring)
            meshlab_link(ml, ml->n - 1, 0, r);
    } else {
        return meshlab_err(c,
                           "mesh.topology: unknown '%s' (grid, ring, "
                           "line)",
                           k);
    }
    return 0;
}

static int meshlab_connected(struct meshlab_ctx *c, const struct meshlab *ml)
{
    unsigned seen[MESH_MAX_NODES] = {0}, stack[MESH_MAX_NODES], sp = 0;
    seen[0] = 1;
    stack[sp++] = 0;
    while (sp) {
        const unsigned a = stack[--sp];
        for (unsigned k = 0; k < ml->nl; k++) {
            unsigned b = ml->link[k].a == a   ? ml->link[k].b
                         : ml->link[k].b == a ? ml->link[k].a
                                              : MESH_MAX_NODES;
            if (b < MESH_MAX_NODES && !seen[b]) {
                seen[b] = 1;
                stack[sp++] = b;
            }
        }
    }
    for (unsigned i = 0; i < ml->n; i++)
        if (!seen[i])
            return meshlab_err(c,
                               "mesh.links: the mesh is disconnected: "
                               "node %u is not reachable from node 1",
                               i + 1);
    return 0;
}

static int meshlab_type(struct meshlab_ctx *c, const struct cfg *t,
                        const char *path, const struct cmod_type **out)
{
    const struct cfg *n = cfg_get(t, "type");
    if (!n || cfg_type(n) != WATTSON_CFG_STRING)
        return meshlab_err(c,
                           "%s.type: expected a module type (cpu, gpu, "
                           "fpga)",
                           path);
    *out = cmod_preset(cfg_string(n));
    if (!*out)
        return meshlab_err(c,
                           "%s.type: unknown module type '%s' (cpu, gpu, "
                           "fpga)",
                           path, cfg_string(n));
    return 0;
}

static int meshlab_id(struct meshlab_ctx *c, const struct cfg *t,
                      const char *path, const char *dflt, char *out)
{
    const struct cfg *n = cfg_get(t, "id");
    if (!n) {
        snprintf(out, MESH_ID_LEN, "%s", dflt);
        return 0;
    }
    const char *s = cfg_string(n);
    if (!s || !*s || strlen(s) >= MESH_ID_LEN)
        return meshlab_err(c, "%s.id: expected a string of 1..%d bytes", path,
                           MESH_ID_LEN - 1);
    for (const char *p = s; *p; p++)
        if (*p <= ' ' || *p == '/' || *p > '~')
            return meshlab_err(c,
                               "%s.id: '%s': only printable characters, "
                               "no spaces or '/'",
                               path, s);
    snprintf(out, MESH_ID_LEN, "%s", s);
    return 0;
}

static int meshlab_modules(struct meshlab_ctx *c, struct meshlab *ml,
                           const struct cfg *mods)
{
    if (!mods)
        return 0;
    if (cfg_type(mods) != WATTSON_CFG_TABLE || !cfg_is_array(mods))
        return meshlab_err(c, "mesh.modules: expected an array of modules");
    unsigned per[MESH_MAX_NODES] = {0};
    for (size_t i = 0; i < cfg_len(mods); i++) {
        char path[64], pn[80];
        snprintf(path, sizeof path, "mesh.modules.%zu", i + 1);
        snprintf(pn, sizeof pn, "%s.node", path);
        const struct cfg *t = cfg_at(mods, i);
        static const char *const keys[] = {"node",      "type", "id",
                                           "ambient_c", "vnom", NULL};
        if (cfg_type(t) != WATTSON_CFG_TABLE)
            return meshlab_err(c, "%s: expected a table", path);
        if (meshlab_keys(c, t, path, keys))
            return -1;
        if (!cfg_get(t, "node"))
            return meshlab_err(c, "%s.node: missing", path);
        unsigned node;
        const struct cmod_type *ty;
        if (meshlab_node(c, ml, cfg_get(t, "node"), pn, &node) ||
            meshlab_type(c, t, path, &ty))
            return -1;
        if (++per[node] > MESH_MAX_MODS)
            return meshlab_err(c, "%s: node %u already has %d modules", path,
                               node + 1, MESH_MAX_MODS);
        double tamb = 30, vnom = ty->vnom;
        if (meshlab_num(c, t, path, "ambient_c", -40, 85, &tamb))
            return -1;
        const struct cfg *vn = cfg_get(t, "vnom");
        if (vn && (cfg_type(vn) != WATTSON_CFG_NUMBER ||
                   !(cfg_number(vn) >= ty->vmin && cfg_number(vn) <= ty->vmax)))
            return meshlab_err(c,
                               "%s.vnom: outside the %s part's range "
                               "[%g, %g] V",
                               path, ty->name, ty->vmin, ty->vmax);
        (void)vnom;
        const unsigned k = ml->nmod++;
        ml->mod[k].node = node;
        ml->mod[k].type = ty;
        ml->mod[k].tamb = tamb;
        if (meshlab_id(c, t, path, ty->name, ml->mod[k].id))
            return -1;
    }
    return 0;
}

static int meshlab_cmp_ev(const void *a, const void *b)
{
    const struct meshlab_event *x = a, *y = b;
    return (x->at_s > y->at_s) - (x->at_s < y->at_s);
}

static int meshlab_events_read(struct meshlab_ctx *c, struct meshlab *ml,
                               const struct cfg *evs)
{
    if (!evs)
        return 0;
    if (cfg_type(evs) != WATTSON_CFG_TABLE || !cfg_is_array(evs))
        return meshlab_err(c, "mesh.events: expected an array of events");
    if (cfg_len(evs) > MESHLAB_MAX_EVENTS)
        return meshlab_err(c, "mesh.events: more than %d events",
                           MESHLAB_MAX_EVENTS);
    static const char *const kinds[] = {"fail", "recover", "attach", "detach",
                                        "drift"};
    for (size_t i = 0; i < cfg_len(evs); i++) {
        char path[64], pk[80];
        snprintf(path, sizeof path, "mesh.events.%zu", i + 1);
        const struct cfg *t = cfg_at(evs, i);
        static const char *const keys[] = {
            "at", "fail",      "recover", "attach", "detach", "type",
            "id", "ambient_c", "drift",   "dvth",   NULL};
        if (cfg_type(t) != WATTSON_CFG_TABLE)
            return meshlab_err(c, "%s: expected a table", path);
        if (meshlab_keys(c, t, path, keys))
            return -1;
        struct meshlab_event *e = &ml->ev[ml->nev];
        memset(e, 0, sizeof *e);
        const struct cfg *at = cfg_get(t, "at");
        char derr[128];
        if (!at)
            return meshlab_err(c, "%s.at: missing", path);
        if (cfg_type(at) == WATTSON_CFG_NUMBER)
            e->at_s = cfg_number(at);
        else if (cfg_type(at) != WATTSON_CFG_STRING ||
                 dur_parse(cfg_string(at), &e->at_s, derr, sizeof derr))
            return meshlab_err(c, "%s.at: expected a duration like \"15s\"",
                               path);
        if (!(e->at_s >= 0 && e->at_s <= ml->duration_s))
            return meshlab_err(c, "%s.at: %g s is outside the lab's %g s", path,
                               e->at_s, ml->duration_s);
        int found = 0;
        for (int k = 0; k < 5; k++) {
            const struct cfg *n = cfg_get(t, kinds[k]);
            if (!n)
                continue;
            if (found++)
                return meshlab_err(c,
                                   "%s: one of fail, recover, attach, "
                                   "detach or drift per event",
                                   path);
            snprintf(pk, sizeof pk, "%s.%s", path, kinds[k]);
            e->kind = (enum meshlab_ev)k;
            if (meshlab_node(c, ml, n, pk, &e->node))
                return -1;
        }
        if (!found)
            return meshlab_err(c,
                               "%s: say what happens: fail, recover, "
                               "attach, detach or drift = NODE",
                               path);
        e->tamb = 30;
        if (e->kind == MESHLAB_ATTACH &&
            (meshlab_type(c, t, path, &e->type) ||
             meshlab_id(c, t, path, e->type->name, e->id) ||
             meshlab_num(c, t, path, "ambient_c", -40, 85, &e->tamb)))
            return -1;
        if (e->kind == MESHLAB_DRIFT &&
            (meshlab_num(c, t, path, "dvth", -0.2, 0.2, &e->dvth) ||
             meshlab_num(c, t, path, "ambient_c", -40, 85, &e->tamb)))
            return -1;
        ml->nev++;
    }
    qsort(ml->ev, ml->nev, sizeof ml->ev[0], meshlab_cmp_ev);
    return 0;
}

static int meshlab_agents(struct meshlab_ctx *c, struct meshlab *ml,
                          const struct cfg *a)
{
    struct qmesh_cfg *q = &ml->agents;
    qmesh_defaults(q);
    if (!a)
        return 0;
    if (cfg_type(a) != WATTSON_CFG_TABLE)
        return meshlab_err(c, "mesh.agents: expected a table");
    static const char *const keys[] = {
        "controller",     "alpha",     "gamma", "epsilon", "epsilon_floor",
        "epsilon_decay",  "duty_step", "w_err", "latency", "loss",
        "heartbeat_miss", "margin",    NULL};
    if (meshlab_keys(c, a, "mesh.agents", keys))
        return -1;
    const struct cfg *ctl = cfg_get(a, "controller");
    if (ctl) {
        const char *s = cfg_string(ctl);
        if (s && strcmp(s, "q") == 0)
            q->mode = QMESH_Q;
        else if (s && strcmp(s, "po") == 0)
            q->mode = QMESH_PO;
        else if (s && strcmp(s, "fixed") == 0)
            q->mode = QMESH_FIXED;
        else
            return meshlab_err(c, "mesh.agents.controller: expected \"q\", "
                                  "\"po\" or \"fixed\"");
    }
    double lat = q->latency, hb = q->hb_miss;
    if (meshlab_num(c, a, "mesh.agents", "alpha", 1e-6, 1, &q->alpha) ||
        meshlab_num(c, a, "mesh.agents", "gamma", 0, 0.999, &q->gamma) ||
        meshlab_num(c, a, "mesh.agents", "epsilon", 0, 1, &q->eps0) ||
        meshlab_num(c, a, "mesh.agents", "epsilon_floor", 0, 1,
                    &q->eps_floor) ||
        meshlab_num(c, a, "mesh.agents", "epsilon_decay", 0.5, 1,
                    &q->eps_decay) ||
        meshlab_num(c, a, "mesh.agents", "duty_step", 1e-6, 0.05, &q->dstep) ||
        meshlab_num(c, a, "mesh.agents", "w_err", 0, 1e6, &q->w_err) ||
        meshlab_num(c, a, "mesh.agents", "latency", 0, QMESH_MAX_LAT, &lat) ||
        meshlab_num(c, a, "mesh.agents", "loss", 0, 0.99, &q->loss) ||
        meshlab_num(c, a, "mesh.agents", "heartbeat_miss", 1, 100, &hb) ||
        meshlab_num(c, a, "mesh.agents", "margin", 0, 0.4, &q->margin))
        return -1;
    q->latency = (unsigned)lat;
    q->hb_miss = (unsigned)hb;
    const char *f;
    if (qmesh_check(q, &f) != 0)
        return meshlab_err(c, "mesh.agents.%s: out of range", f);
    return 0;
}

int meshlab_read(const struct lab *lab, struct meshlab *ml, char *err,
                 size_t errlen)
{
    struct meshlab_ctx c = {lab->path, err, errlen};
    memset(ml, 0, sizeof *ml);
    snprintf(ml->name, sizeof ml->name, "%s", lab->name ? lab->name : "mesh");
    ml->tick_s = lab->tick_s;
    ml->duration_s = lab->duration_s;
    ml->seed = lab->seed;
    const struct cfg *s = cfg_get(lab->root, "mesh");
    if (!s)
        return meshlab_err(&c, "no mesh section (mesh = { nodes = N, ... })");
    if (cfg_type(s) != WATTSON_CFG_TABLE)
        return meshlab_err(&c, "mesh: expected a table");
    static const char *const keys[] = {"nodes",  "topology", "cols",
                                       "link_r", "links",    "modules",
                                       "events", "agents",   NULL};
    if (meshlab_keys(&c, s, "mesh", keys))
        return -1;
    if (!(ml->tick_s >= 1e-4 && ml->tick_s <= 1))
        return meshlab_err(&c,
                           "tick: a mesh steps every 0.1 ms to 1 s, "
                           "got %g s",
                           ml->tick_s);
    double n = 0, r = 0.01;
    if (!cfg_get(s, "nodes"))
        return meshlab_err(&c, "mesh.nodes: missing");
    if (meshlab_num(&c, s, "mesh", "nodes", 1, MESH_MAX_NODES, &n))
        return -1;
    if (n != floor(n))
        return meshlab_err(&c, "mesh.nodes: expected a whole number");
    ml->n = (unsigned)n;
    if (meshlab_num(&c, s, "mesh", "link_r", 1e-5, 10, &r) ||
        meshlab_topology(&c, ml, s, r) || meshlab_connected(&c, ml) ||
        meshlab_modules(&c, ml, cfg_get(s, "modules")) ||
        meshlab_events_read(&c, ml, cfg_get(s, "events")) ||
        meshlab_agents(&c, ml, cfg_get(s, "agents")))
        return -1;
    return 0;
}

int meshlab_build(const struct meshlab *ml, const struct qmesh_cfg *cfg,
                  struct mesh *m, struct qmesh *q, char *err, size_t errlen)
{
    struct meshlab_ctx c = {ml->name, err, errlen};
    if (mesh_init(m, ml->n, ml->tick_s, ml->seed * 2 + 1) != MESH_OK)
        return meshlab_err(&c, "mesh: cannot build %u nodes", ml->n);
    if (q && qmesh_init(q, ml->n, cfg, ml->seed * 2 + 2) != 0)
        return meshlab_err(&c, "mesh: out of memory for the agents");
    for (unsigned k = 0; k < ml->nl; k++) {
        const int l =
            mesh_link(m, ml->link[k].a, ml->link[k].b, ml->link[k].r, 0);
        if (l < 0 || (q && qmesh_neighbours(q, ml->link[k].a, ml->link[k].b,
                                            (unsigned)l, ml->link[k].r) != 0))
            return meshlab_err(&c, "mesh: node %u has more than %d neighbours",
                               ml->link[k].a + 1, QMESH_MAX_NBR);
    }
    for (unsigned k = 0; k < ml->nmod; k++) {
        const unsigned i = ml->mod[k].node;
        const struct cmod_type *t = ml->mod[k].type;
        if (mesh_attach(m, i, t, ml->mod[k].id, ml->mod[k].tamb) < 0)
            return meshlab_err(&c, "mesh: node %u: cannot attach %s", i + 1,
                               ml->mod[k].id);
        mesh_set_duty(m, i, conv_duty(&m->node[i].conv, t->vnom));
        if (q &&
            qmesh_attach(q, i, ml->mod[k].id, t->vmin, t->vmax, t->vnom) != 0)
            return meshlab_err(&c, "mesh: node %u: no agent for %s", i + 1,
                               ml->mod[k].id);
    }
    return 0;
}

unsigned meshlab_events(const struct meshlab *ml, double t0, double t1,
                        struct mesh *m, struct qmesh *q)
{
    unsigned done = 0;
    for (unsigned k = 0; k < ml->nev; k++) {
        const struct meshlab_event *e = &ml->ev[k];
        if (!(e->at_s > t0 && e->at_s <= t1))
            continue;
        struct mesh_node *nd = &m->node[e->node];
        switch (e->kind) {
        case MESHLAB_FAIL:
        case MESHLAB_RECOVER:
            mesh_fail(m, e->node, e->kind == MESHLAB_FAIL);
            break;
        case MESHLAB_DETACH:
            while (nd->nmod > 0)
                mesh_detach(m, e->node, nd->nmod - 1);
            if (q)
                qmesh_attach(q, e->node, NULL, 0, 0, 0);
            break;
        case MESHLAB_ATTACH:
            /* power sequencing: the node sets the module's nominal
             * supply before it enables it (a bus left at another
             * module's voltage could be under this one's minimum) */
            if (mesh_attach(m, e->node, e->type, e->id, e->tamb) >= 0) {
                mesh_set_duty(m, e->node, conv_duty(&nd->conv, e->type->vnom));
                if (q)
                    qmesh_attach(q, e->node, e->id, e->type->vmin,
                                 e->type->vmax, e->type->vnom);
            }
            break;
        case MESHLAB_DRIFT:
            for (unsigned s = 0; s < nd->nmod; s++)
                mesh_drift(m, e->node, s, e->dvth, e->tamb);
            break;
        }
        done++;
    }
    return done;
}

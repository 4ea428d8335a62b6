/*
 * meshlab - see meshlab.h.
 *
 * The plant's part of the section is drivers/mesh/meshcfg.c's, read
 * through the same path accessors a driver plugin gets (core/host.c over
 * the lab's tree); the agents' settings are the console's, read here.
 */
#include "meshlab.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg.h"
#include "core/host.h"
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

static int meshlab_read_section(const struct lab *lab, struct meshlab *ml,
                                char *err, size_t errlen)
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
    if (!(ml->tick_s >= 1e-4 && ml->tick_s <= 1))
        return meshlab_err(
            &c, "tick: a mesh steps every 0.1 ms to 1 s, got %g s", ml->tick_s);
    /* the plant's part through the accessors a plugin gets */
    struct wattson_host h;
    struct host_ctx hc = {lab->root, NULL, "mesh"};
    host_fill(&h, &hc, lab->seed, lab->dir);
    const struct meshcfg_src src = {h.ctx,        h.cfg_type, h.cfg_number,
                                    h.cfg_string, h.cfg_len,  h.cfg_key};
    static const char *const extra[] = {"agents", NULL};
    char shown[512];
    snprintf(shown, sizeof shown, "%s: mesh", lab->path);
    if (meshcfg_read(&src, "mesh", shown, extra, ml->duration_s, &ml->p, err,
                     errlen) != 0)
        return -1;
    return meshlab_agents(&c, ml, cfg_get(s, "agents"));
}

int meshlab_read(const struct lab *lab, struct meshlab *ml, char *err,
                 size_t errlen)
{
    /* The messages quote the lab's keys and strings (an unknown field, a
     * module type), which may hold a newline. */
    if (errlen > 0)
        err[0] = '\0';
    if (meshlab_read_section(lab, ml, err, errlen) == 0)
        return 0;
    if (errlen > 0)
        lab_one_line(err);
    return -1;
}

int meshlab_build(const struct meshlab *ml, const struct qmesh_cfg *cfg,
                  struct mesh *m, struct qmesh *q, char *err, size_t errlen)
{
    if (meshcfg_build(&ml->p, ml->tick_s, ml->seed * 2 + 1, m, err, errlen))
        return -1;
    if (!q)
        return 0;
    struct meshlab_ctx c = {ml->name, err, errlen};
    if (qmesh_init(q, ml->p.n, cfg, ml->seed * 2 + 2) != 0)
        return meshlab_err(&c, "mesh: out of memory for the agents");
    for (unsigned k = 0; k < ml->p.nl; k++)
        if (qmesh_neighbours(q, ml->p.link[k].a, ml->p.link[k].b, k,
                             ml->p.link[k].r) != 0)
            return meshlab_err(&c, "mesh: node %u has more than %d neighbours",
                               ml->p.link[k].a + 1, QMESH_MAX_NBR);
    for (unsigned k = 0; k < ml->p.nmod; k++) {
        const struct cmod_type *t = ml->p.mod[k].type;
        if (qmesh_attach(q, ml->p.mod[k].node, ml->p.mod[k].id, t->vmin,
                         t->vmax, t->vnom) != 0)
            return meshlab_err(&c, "mesh: node %u: no agent for %s",
                               ml->p.mod[k].node + 1, ml->p.mod[k].id);
    }
    return 0;
}

/* An event the plant took, told to the agents. */
static void meshlab_tell(void *ctx, const struct meshcfg_event *e)
{
    struct qmesh *q = ctx;
    if (e->kind == MESHCFG_DETACH)
        qmesh_attach(q, e->node, NULL, 0, 0, 0);
    else if (e->kind == MESHCFG_ATTACH)
        qmesh_attach(q, e->node, e->id, e->type->vmin, e->type->vmax,
                     e->type->vnom);
}

unsigned meshlab_events(const struct meshlab *ml, double t0, double t1,
                        struct mesh *m, struct qmesh *q)
{
    return meshcfg_events(&ml->p, t0, t1, m, q ? meshlab_tell : NULL, q);
}

void meshlab_observe(const struct mesh *m, const struct qmesh *q,
                     struct qmesh_obs *o)
{
    for (unsigned i = 0; i < m->n; i++) {
        const struct mesh_node *nd = &m->node[i];
        const struct mesh_reading *r = &nd->rd;
        o[i] = (struct qmesh_obs){r->valid,
                                  r->v,
                                  r->i_mod,
                                  r->i_conv,
                                  r->p_in,
                                  r->perf,
                                  r->err,
                                  nd->duty,
                                  conv_dvdd(&nd->conv, nd->duty),
                                  conv_vset(&nd->conv, nd->duty),
                                  r->ilim,
                                  {0}};
        for (unsigned k = 0; k < q->ag[i].nnbr; k++) {
            const unsigned l = q->ag[i].link[k];
            o[i].vnbr[k] = m->tie_v[l][m->net.link[l].a == i ? 1 : 0];
        }
    }
}

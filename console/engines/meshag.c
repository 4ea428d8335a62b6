/*
 * meshag - see meshag.h.
 */
#include "engines/meshag.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/model.h"
#include "core/summary.h"
#include "engines/qmesh.h"
#include "engines/qtab.h"

#define MESHAG_LABEL 16
#define MESHAG_MAX_IDS 256

enum {
    SG_V,
    SG_IMOD,
    SG_ICONV,
    SG_POWER,
    SG_PERF,
    SG_ERR,
    SG_ILIM,
    SG_DUTY,
    SG_VSET,
    SG_DVDD,
    SG_VMIN,
    SG_VMAX,
    SG_VNOM,
    SG_MTYPE,
    SG_N
};
static const char *const meshag_sn[SG_N] = {
    "v",    "i_mod", "i_conv", "power", "perf", "err",  "ilim",
    "duty", "vset",  "dvdd",   "vmin",  "vmax", "vnom", "mtype"};
enum { TS_A, TS_B, TS_R, TS_VA, TS_VB, TS_CLOSED, TS_N };
static const char *const meshag_tn[TS_N] = {"a",  "b",  "r",
                                            "va", "vb", "closed"};
static const char *const meshag_types[] = {"none", "cpu", "gpu", "fpga"};

struct meshag {
    unsigned n, nl;
    int ready; /* neighbours set (needs a first sample) */
    uint32_t dev[QMESH_MAX_AGENTS];
    const char *name[QMESH_MAX_AGENTS]; /* its node's device name */
    int32_t sig[QMESH_MAX_AGENTS][SG_N];
    int32_t duty[QMESH_MAX_AGENTS];
    uint32_t tdev[QMESH_MAX_AGENTS * QMESH_MAX_NBR];
    int32_t tsig[QMESH_MAX_AGENTS * QMESH_MAX_NBR][TS_N];
    int32_t tctl[QMESH_MAX_AGENTS * QMESH_MAX_NBR];
    int mtype[QMESH_MAX_AGENTS]; /* the module type the agent knows */
    /* the mesh's module identities (devices of kind "module", their
     * `node` signal) and which one each node's agent knows (-1: none
     * named: TYPE-NODE) */
    unsigned nmd;
    uint32_t mdev[MESHAG_MAX_IDS];
    int32_t mnode[MESHAG_MAX_IDS];
    int ident[QMESH_MAX_AGENTS];
    struct qmesh q;
    struct qmesh_obs obs[QMESH_MAX_AGENTS];
    struct qmesh_out out;
    int tie_was[QMESH_MAX_AGENTS * QMESH_MAX_NBR]; /* closed last tick */
    /* the run's figures (summary keys mesh_*) */
    uint64_t brownouts, tie_closes;
    double work, energy; /* op and J over the run */
    /* the panes: each agent's Q-values by voltage bin in its present
     * context, the bins' labels, its status line and recent rewards */
    double pane_q[QMESH_MAX_AGENTS][QMESH_VBINS * QMESH_NACT];
    char label[QMESH_MAX_AGENTS][QMESH_VBINS][MESHAG_LABEL];
    const char *row[QMESH_MAX_AGENTS][QMESH_VBINS];
    unsigned rows[QMESH_MAX_AGENTS];
    int shown[QMESH_MAX_AGENTS]; /* a module came: the pane lists it */
    char status[QMESH_MAX_AGENTS][112];
    double trend[QMESH_MAX_AGENTS][QMESH_SPARK];
    unsigned ntrend[QMESH_MAX_AGENTS];
};

static const char *const meshag_cols[QMESH_NACT] = {"-2d", "-d", "0", "+d",
                                                    "+2d"};

static double meshag_val(const struct model *m, int32_t s, int *ok)
{
    if (s < 0 || !m->valid[s]) {
        *ok = 0;
        return NAN;
    }
    return m->val[s];
}

static void *meshag_create(const struct model *m)
{
    struct meshag *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    for (unsigned i = 0; i < QMESH_MAX_AGENTS; i++)
        g->ident[i] = -1;
    for (size_t d = 0; d < m->n_devices; d++) {
        const char *k = m->devices[d].kind;
        if (k && strcmp(k, "converter") == 0 && g->n < QMESH_MAX_AGENTS) {
            const unsigned i = g->n++;
            g->dev[i] = (uint32_t)d;
            g->name[i] = m->devices[d].name;
            for (int j = 0; j < SG_N; j++)
                g->sig[i][j] = model_find_signal(m, (uint32_t)d, meshag_sn[j]);
            g->duty[i] = model_find_control(m, (uint32_t)d, "duty");
        } else if (k && strcmp(k, "module") == 0 && g->nmd < MESHAG_MAX_IDS) {
            g->mdev[g->nmd] = (uint32_t)d;
            g->mnode[g->nmd++] = model_find_signal(m, (uint32_t)d, "node");
        } else if (k && strcmp(k, "tie") == 0 &&
                   g->nl < QMESH_MAX_AGENTS * QMESH_MAX_NBR) {
            const unsigned l = g->nl++;
            g->tdev[l] = (uint32_t)d;
            for (int j = 0; j < TS_N; j++)
                g->tsig[l][j] = model_find_signal(m, (uint32_t)d, meshag_tn[j]);
            g->tctl[l] = model_find_control(m, (uint32_t)d, "closed");
        }
    }
    if (g->n > 0) {
        struct qmesh_cfg c;
        qmesh_defaults(&c);
        if (qmesh_init(&g->q, g->n, &c, 0x6d657368ull) != 0) {
            free(g);
            return NULL;
        }
        /* the agents' tables live across runs, one file per module
         * identity, in the user's state directory */
        char dir[512];
        if (qtab_default_dir(dir, sizeof dir) == 0)
            qmesh_set_state_dir(&g->q, dir);
    }
    return g;
}

static void meshag_destroy(void *st)
{
    struct meshag *g = st;
    if (!g)
        return;
    for (unsigned i = 0; i < g->n; i++)
        if (qmesh_save(&g->q, i) != 0)
            log_msg(LOG_WARN, "mesh: %s", g->q.msg);
    if (g->n > 0)
        qmesh_free(&g->q);
    free(g);
}

/* The agent of the node whose 1-based number is x, or -1. */
static int meshag_node(const struct meshag *g, double x)
{
    return x >= 1 && x <= g->n && x == floor(x) ? (int)x - 1 : -1;
}

/* Neighbours from the ties' constant signals, once they are sampled. */
static int meshag_setup(struct meshag *g, const struct model *m)
{
    for (unsigned l = 0; l < g->nl; l++) {
        int ok = 1;
        const double a = meshag_val(m, g->tsig[l][TS_A], &ok),
                     b = meshag_val(m, g->tsig[l][TS_B], &ok),
                     r = meshag_val(m, g->tsig[l][TS_R], &ok);
        if (!ok)
            return 0;
        const int ia = meshag_node(g, a), ib = meshag_node(g, b);
        if (ia >= 0 && ib >= 0)
            qmesh_neighbours(&g->q, (unsigned)ia, (unsigned)ib, l, r);
    }
    return 1;
}

/* The module identity on node i: the index of the module device whose
 * `node` is i + 1, or -1. */
static int meshag_ident(const struct meshag *g, const struct model *m,
                        unsigned i)
{
    for (unsigned k = 0; k < g->nmd; k++) {
        int ok = 1;
        if (meshag_val(m, g->mnode[k], &ok) == i + 1 && ok)
            return (int)k;
    }
    return -1;
}

/* A module came or went on node i (its mtype or identity changed). */
static void meshag_module(struct meshag *g, const struct model *m, unsigned i,
                          int mt, int ident)
{
    int ok = 1;
    const double vmin = meshag_val(m, g->sig[i][SG_VMIN], &ok),
                 vmax = meshag_val(m, g->sig[i][SG_VMAX], &ok),
                 vnom = meshag_val(m, g->sig[i][SG_VNOM], &ok);
    g->mtype[i] = mt;
    g->ident[i] = ident;
    g->rows[i] = 0;
    const unsigned loads = g->q.loads, saves = g->q.saves;
    char id[64] = "", was[sizeof g->q.ag[i].id];
    snprintf(was, sizeof was, "%s", g->q.ag[i].id);
    if (mt <= 0 || mt > 3 || !ok) {
        qmesh_attach(&g->q, i, NULL, 0, 0, 0);
    } else {
        /* who it is, as the mesh names it; else what and where */
        if (ident >= 0)
            snprintf(id, sizeof id, "%s", m->devices[g->mdev[ident]].name);
        else
            snprintf(id, sizeof id, "%s-%s", meshag_types[mt],
                     m->devices[g->dev[i]].name);
        qmesh_attach(&g->q, i, id, vmin, vmax, vnom);
    }
    /* a module that leaves saves its agent's table, one that comes
     * back loads it (engines/qtab.c); say so, and why not */
    if (g->q.saves > saves)
        log_msg(LOG_INFO, "mesh: %s: %s's Q-table saved",
                m->devices[g->dev[i]].name, was);
    if (g->q.loads > loads)
        log_msg(LOG_INFO, "mesh: %s: starts from its saved Q-table", id);
    else if (g->q.msg[0])
        log_msg(LOG_WARN, "mesh: %s", g->q.msg);
}

/* Agent i's pane: its Q-values by voltage bin in its present context,
 * what it is doing, and its recent rewards oldest first. */
static void meshag_pane_fill(struct meshag *g, const struct model *m,
                             unsigned i)
{
    const struct qmesh_agent *a = &g->q.ag[i];
    const char *dev = m->devices[g->dev[i]].name;
    if (a->phase != QMESH_IDLE)
        g->shown[i] = 1;
    g->rows[i] = 0;
    if (!a->alive)
        snprintf(g->status[i], sizeof g->status[i], "%s  node failed",
                 a->id[0] ? a->id : dev);
    else if (a->phase == QMESH_IDLE)
        snprintf(g->status[i], sizeof g->status[i], "no module");
    else if (a->phase == QMESH_SWEEP)
        snprintf(g->status[i], sizeof g->status[i], "%s  calibrating %u/%u",
                 a->id, a->sw_k, a->sw_n);
    else
        snprintf(g->status[i], sizeof g->status[i],
                 "%s  %s eps %.3f  reward %.3f  |td| %.4f", a->id,
                 a->frozen ? "frozen" : "learning", a->eps, a->reward,
                 a->qdelta);
    const unsigned nt = a->spark_n;
    for (unsigned k = 0; k < nt; k++)
        g->trend[i][k] =
            a->spark[(a->spark_at + QMESH_SPARK - nt + k) % QMESH_SPARK];
    g->ntrend[i] = nt;
    if (a->phase != QMESH_LEARN || a->nbins == 0)
        return;
    const unsigned ctx = a->s % QMESH_CTX;
    for (unsigned vb = 0; vb < a->nbins; vb++) {
        memcpy(&g->pane_q[i][vb * QMESH_NACT],
               &a->q[((size_t)vb * QMESH_CTX + ctx) * QMESH_NACT],
               QMESH_NACT * sizeof(double));
        snprintf(g->label[i][vb], MESHAG_LABEL, "%.3f V",
                 a->vmin + vb * a->vstep);
        g->row[i][vb] = g->label[i][vb];
    }
    g->rows[i] = a->nbins;
}

/* The tick's figures: work and input energy of the nodes whose
 * readings are valid, and node-ticks with a module under its minimum
 * supply - a failed node's bus read at its ties' switches, as its
 * neighbours see it. */
static void meshag_count(struct meshag *g, const struct model *m)
{
    const double dt = m->dt > 0 ? m->dt : 0;
    for (unsigned i = 0; i < g->n; i++) {
        const struct qmesh_obs *o = &g->obs[i];
        int ok = 1;
        const double vmin = meshag_val(m, g->sig[i][SG_VMIN], &ok);
        if (o->valid && o->p_in >= 0 && o->perf >= 0) {
            g->work += o->perf * dt;
            g->energy += o->p_in * dt;
        }
        if (g->mtype[i] <= 0 || !ok || !(vmin > 0))
            continue;
        double v = o->valid ? o->v : NAN;
        for (unsigned k = 0; !o->valid && k < g->nl; k++) {
            int tok = 1;
            const int a = meshag_node(g, meshag_val(m, g->tsig[k][TS_A], &tok));
            const int b = meshag_node(g, meshag_val(m, g->tsig[k][TS_B], &tok));
            if (a != (int)i && b != (int)i)
                continue;
            const double vs =
                meshag_val(m, g->tsig[k][a == (int)i ? TS_VA : TS_VB], &tok);
            if (tok && !(vs >= v))
                v = vs; /* the lowest its ties sense */
        }
        g->brownouts += v == v && v < vmin;
    }
    /* the switches as they report themselves, whoever closed them */
    for (unsigned l = 0; l < g->nl; l++) {
        int tok = 1;
        const int c = meshag_val(m, g->tsig[l][TS_CLOSED], &tok) >= 0.5;
        g->tie_closes += tok && c && !g->tie_was[l];
        g->tie_was[l] = tok && c;
    }
}

static void meshag_propose(void *st, struct model *m)
{
    struct meshag *g = st;
    if (g->n == 0)
        return;
    if (!g->ready)
        g->ready = meshag_setup(g, m);
    for (unsigned i = 0; i < g->n; i++) {
        int ok = 1;
        const double mt = meshag_val(m, g->sig[i][SG_MTYPE], &ok);
        const int imt = ok ? (int)lround(mt) : 0;
        const int ident = imt > 0 ? meshag_ident(g, m, i) : -1;
        if (imt != g->mtype[i] || ident != g->ident[i])
            meshag_module(g, m, i, imt, ident);
        struct qmesh_obs *o = &g->obs[i];
        double v[SG_N];
        int valid = 1, cvalid = 1;
        for (int j = 0; j <= SG_ILIM; j++)
            v[j] = meshag_val(m, g->sig[i][j], &valid);
        for (int j = SG_DUTY; j < SG_N; j++)
            v[j] = meshag_val(m, g->sig[i][j], &cvalid);
        *o = (struct qmesh_obs){valid && cvalid, v[SG_V],          v[SG_IMOD],
                                v[SG_ICONV],     v[SG_POWER],      v[SG_PERF],
                                v[SG_ERR],       v[SG_DUTY],       v[SG_DVDD],
                                v[SG_VSET],      v[SG_ILIM] > 0.5, {0}};
        for (unsigned k = 0; k < g->q.ag[i].nnbr; k++) {
            const unsigned l = g->q.ag[i].link[k];
            int tok = 1;
            const double a = meshag_val(m, g->tsig[l][TS_A], &tok);
            const int far = meshag_node(g, a) == (int)i ? TS_VB : TS_VA;
            o->vnbr[k] = meshag_val(m, g->tsig[l][far], &tok);
        }
    }
    qmesh_step(&g->q, g->obs, &g->out);
    meshag_count(g, m);
    for (unsigned i = 0; i < g->n; i++) {
        const int32_t c = g->duty[i];
        if (c >= 0 && isfinite(g->out.duty[i])) {
            const struct model_control *ct = &m->controls[c];
            double d = g->out.duty[i];
            d = d < ct->min ? ct->min : d > ct->max ? ct->max : d;
            m->proposal[c] = d;
            m->proposed[c] = 1;
        }
        meshag_pane_fill(g, m, i);
    }
    for (unsigned l = 0; l < g->nl; l++)
        if (g->tctl[l] >= 0) {
            m->proposal[g->tctl[l]] = g->out.tie_close[l] ? 1 : 0;
            m->proposed[g->tctl[l]] = 1;
        }
}

static void meshag_summarize(const void *st, struct summary *s)
{
    const struct meshag *g = st;
    s->mesh_nodes = g->n;
    s->mesh_brownouts = g->brownouts;
    s->mesh_tie_closes = g->tie_closes;
    uint64_t sweeps = 0;
    for (unsigned i = 0; i < g->n; i++)
        sweeps += g->q.ag[i].sweeps;
    s->mesh_sweeps = sweeps;
    s->mesh_msgs_lost = g->n ? g->q.lost : 0;
    s->mesh_work_per_j = g->energy > 0 ? g->work / g->energy : 0;
}

static int meshag_pane(const void *st, size_t i, struct engine_pane *out)
{
    const struct meshag *g = st;
    /* the agents that have had a module, in node order */
    size_t seen = 0;
    for (unsigned k = 0; k < g->n; k++) {
        if (!g->shown[k] || seen++ != i)
            continue;
        const struct qmesh_agent *a = &g->q.ag[k];
        out->kind = ENGINE_PANE_QTABLE;
        out->u.qtable = (struct engine_qtable){.agent = g->name[k],
                                               .status = g->status[k],
                                               .rows = g->rows[k],
                                               .cols = QMESH_NACT,
                                               .q = g->pane_q[k],
                                               .row_labels = g->row[k],
                                               .col_labels = meshag_cols,
                                               .cur_known = g->rows[k] > 0,
                                               .cur = a->s / QMESH_CTX,
                                               .trend = g->trend[k],
                                               .ntrend = g->ntrend[k]};
        return 1;
    }
    return 0;
}

const struct engine_ops meshag_engine_ops = {
    .name = "mesh",
    .create = meshag_create,
    .propose = meshag_propose,
    .destroy = meshag_destroy,
    .pane = meshag_pane,
    .summarize = meshag_summarize,
};

int meshag_steer(struct meshag *g, struct model *m, unsigned i,
                 const struct qmesh_steer *s, const int *action)
{
    if (!g || i >= g->n)
        return -1;
    int rc = qmesh_steer(&g->q, i, s);
    if (!action)
        return rc;
    const int32_t c = g->duty[i];
    double d;
    /* the policy's own duty for the node wins over an action */
    if (c < 0 || (m->decided[c] && m->decision[c] != m->proposal[c]) ||
        qmesh_force(&g->q, i, *action, &d) != 0)
        return -1;
    const struct model_control *ct = &m->controls[c];
    m->decision[c] = d < ct->min ? ct->min : d > ct->max ? ct->max : d;
    m->decided[c] = 1;
    return rc;
}

struct meshag *meshag_of(const struct engines *e)
{
    return engines_state_of(e, &meshag_engine_ops);
}

const struct qmesh *meshag_agents(const struct meshag *g)
{
    return g && g->n ? &g->q : NULL;
}

/*
 * pmesh - see pmesh.h.
 */
#include "lua/pmesh.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "engines/meshag.h"
#include "engines/qmesh.h"
#include "lua/plib.h"

/* Every field an agent's table has besides `node` and `q`, set at build
 * so that a tick only overwrites. */
static const char *const pmesh_fields[] = {
    "phase", "epsilon", "reward", "action", "vbin", "td", "sweeps", "frozen"};

int pmesh_build(lua_State *L, int state, const struct qmesh *q)
{
    if (!q || q->n == 0)
        return 0;
    lua_createtable(L, (int)q->n, 0);
    const int mesh = lua_gettop(L);
    for (unsigned i = 0; i < q->n; i++) {
        lua_createtable(L, 0, 10);
        lua_pushinteger(L, (lua_Integer)i + 1);
        lua_setfield(L, -2, "node");
        for (size_t k = 0; k < sizeof pmesh_fields / sizeof pmesh_fields[0];
             k++) {
            lua_pushnumber(L, 0);
            lua_setfield(L, -2, pmesh_fields[k]);
        }
        lua_createtable(L, QMESH_NACT, 0);
        for (int k = 1; k <= QMESH_NACT; k++) {
            lua_pushnumber(L, NAN);
            lua_rawseti(L, -2, k);
        }
        lua_setfield(L, -2, "q");
        lua_rawseti(L, mesh, (lua_Integer)i + 1);
    }
    lua_pushvalue(L, mesh);
    lua_setfield(L, state, "mesh");
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* state.mesh[i]: agent i's phase (0 idle, 1 sweeping, 2 learning),
 * epsilon (the rate it explores at now), frozen, last reward, last
 * action (-2..2 duty steps), voltage bin, mean |TD error|, sweeps, and
 * q, its Q-row for its present state. */
void pmesh_update(lua_State *L, int ref, const struct qmesh *q)
{
    if (ref <= 0 || !q)
        return;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    for (unsigned i = 0; i < q->n; i++) {
        const struct qmesh_agent *a = &q->ag[i];
        const int learning = a->phase == QMESH_LEARN;
        lua_rawgeti(L, -1, (lua_Integer)i + 1);
        lua_pushinteger(L, a->phase == QMESH_IDLE    ? 0
                           : a->phase == QMESH_SWEEP ? 1
                                                     : 2);
        lua_setfield(L, -2, "phase");
        /* the rate it explores at: 0 frozen, a policy's, or its own */
        lua_pushnumber(L, a->frozen                  ? 0
                          : a->pol_eps == a->pol_eps ? a->pol_eps
                                                     : a->eps);
        lua_setfield(L, -2, "epsilon");
        lua_pushboolean(L, a->frozen);
        lua_setfield(L, -2, "frozen");
        lua_pushnumber(L, learning ? a->reward : NAN);
        lua_setfield(L, -2, "reward");
        lua_pushinteger(L, (lua_Integer)a->a - 2);
        lua_setfield(L, -2, "action");
        lua_pushinteger(L, learning ? (lua_Integer)(a->s / QMESH_CTX) : -1);
        lua_setfield(L, -2, "vbin");
        lua_pushnumber(L, a->qdelta);
        lua_setfield(L, -2, "td");
        lua_pushinteger(L, (lua_Integer)a->sweeps);
        lua_setfield(L, -2, "sweeps");
        lua_getfield(L, -1, "q");
        const double *row = qmesh_row(q, i);
        for (int k = 0; k < QMESH_NACT; k++) {
            lua_pushnumber(L, learning ? row[k] : NAN);
            lua_rawseti(L, -2, k + 1);
        }
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
}

/* ---- out.mesh ---- */

struct pmesh_out {
    struct meshag *g;
    unsigned n;
    pmesh_reject_fn reject;
    void *ctx;
    struct qmesh_steer steer[QMESH_MAX_AGENTS];
    int action[QMESH_MAX_AGENTS];
    uint8_t has_action[QMESH_MAX_AGENTS];
};

/* One agent's proxy: full userdata. */
struct pmesh_ref {
    struct pmesh_out *po;
    unsigned i;
};

static const char PMESH_MT[] = "wattson.out.mesh";

enum { PF_EPS, PF_FREEZE, PF_VMIN, PF_VMAX, PF_ACTION, PF_N };
static const char *const pmesh_out_fields[PF_N] = {"epsilon", "freeze", "vmin",
                                                   "vmax", "action"};

static int pmesh_field(const char *k)
{
    for (int f = 0; f < PF_N; f++)
        if (strcmp(k, pmesh_out_fields[f]) == 0)
            return f;
    return -1;
}

static void pmesh_no(struct pmesh_ref *r, lua_State *L, const char *field,
                     const char *why)
{
    char agent[24];
    snprintf(agent, sizeof agent, "mesh[%u]", r->i + 1);
    r->po->reject(r->po->ctx, L, agent, field, why);
}

static int pmesh_newindex(lua_State *L)
{
    /* only the host's proxies reach here (hidden metatable) */
    struct pmesh_ref *r = lua_touserdata(L, 1);
    struct pmesh_out *po = r->po;
    const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
    const int f = k ? pmesh_field(k) : -1;
    if (f < 0) {
        pmesh_no(r, L, k ? k : "?",
                 "no such field (epsilon, freeze, vmin, vmax, action)");
        return 0;
    }
    struct qmesh_steer s = po->steer[r->i];
    const int t = lua_type(L, 3);
    if (f == PF_FREEZE) {
        if (t != LUA_TBOOLEAN && t != LUA_TNIL) {
            pmesh_no(r, L, k, "expected a boolean");
            return 0;
        }
        po->steer[r->i].freeze = lua_toboolean(L, 3);
        return 0;
    }
    if (t != LUA_TNUMBER && t != LUA_TNIL) {
        pmesh_no(r, L, k, "expected a number");
        return 0;
    }
    const double x = t == LUA_TNIL ? NAN : lua_tonumber(L, 3);
    if (t == LUA_TNUMBER && !isfinite(x)) {
        pmesh_no(r, L, k, "not a finite number");
        return 0;
    }
    if (f == PF_ACTION) {
        if (t == LUA_TNIL) {
            po->has_action[r->i] = 0;
        } else if (x != floor(x) || x < -2 || x > 2) {
            pmesh_no(r, L, k, "not one of -2, -1, 0, 1, 2 (duty steps)");
        } else {
            po->action[r->i] = (int)x;
            po->has_action[r->i] = 1;
        }
        return 0;
    }
    double *slot = f == PF_EPS ? &s.eps : f == PF_VMIN ? &s.vlo : &s.vhi;
    *slot = x;
    char why[128];
    if (qmesh_steer_check(meshag_agents(po->g), r->i, &s, why, sizeof why) !=
        0) {
        pmesh_no(r, L, k, why);
        return 0;
    }
    po->steer[r->i] = s;
    return 0;
}

static int pmesh_index(lua_State *L)
{
    struct pmesh_ref *r = lua_touserdata(L, 1);
    const struct pmesh_out *po = r->po;
    const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "";
    const struct qmesh_steer *s = &po->steer[r->i];
    switch (pmesh_field(k)) {
    case PF_FREEZE:
        lua_pushboolean(L, s->freeze);
        return 1;
    case PF_ACTION:
        if (!po->has_action[r->i])
            return 0;
        lua_pushinteger(L, po->action[r->i]);
        return 1;
    case PF_EPS:
    case PF_VMIN:
    case PF_VMAX: {
        const int f = pmesh_field(k);
        const double x = f == PF_EPS ? s->eps : f == PF_VMIN ? s->vlo : s->vhi;
        if (x != x)
            return 0;
        lua_pushnumber(L, x);
        return 1;
    }
    default:
        return 0;
    }
}

void pmesh_out_reset(struct pmesh_out *po)
{
    if (!po)
        return;
    for (unsigned i = 0; i < po->n; i++) {
        po->steer[i] = (struct qmesh_steer){NAN, 0, NAN, NAN};
        po->has_action[i] = 0;
    }
}

struct pmesh_out *pmesh_out_new(lua_State *L, int outs, struct meshag *g,
                                pmesh_reject_fn reject, void *ctx)
{
    const struct qmesh *q = meshag_agents(g);
    if (!q || q->n == 0 || !reject)
        return NULL;
    outs = lua_absindex(L, outs);
    if (lua_getfield(L, outs, "mesh") != LUA_TNIL) {
        lua_pop(L, 1);
        return NULL; /* a device of that name has it */
    }
    lua_pop(L, 1);
    struct pmesh_out *po = calloc(1, sizeof *po);
    if (!po)
        return NULL;
    po->g = g;
    po->n = q->n;
    po->reject = reject;
    po->ctx = ctx;
    pmesh_out_reset(po);
    plib_proxy_mt(L, PMESH_MT, pmesh_index, pmesh_newindex);
    lua_createtable(L, (int)q->n, 0);
    for (unsigned i = 0; i < q->n; i++) {
        struct pmesh_ref *r = lua_newuserdatauv(L, sizeof *r, 0);
        r->po = po;
        r->i = i;
        luaL_setmetatable(L, PMESH_MT);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_pushstring(L, "mesh");
    lua_insert(L, -2);
    lua_rawset(L, outs);
    return po;
}

void pmesh_out_free(struct pmesh_out *po)
{
    free(po);
}

unsigned pmesh_out_apply(struct pmesh_out *po, struct model *m, int failed)
{
    if (!po)
        return 0;
    unsigned refused = 0;
    if (failed)
        pmesh_out_reset(po);
    for (unsigned i = 0; i < po->n; i++)
        refused += meshag_steer(po->g, m, i, &po->steer[i],
                                po->has_action[i] ? &po->action[i] : NULL) != 0;
    return refused;
}

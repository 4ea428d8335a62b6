/*
 * pmesh - see pmesh.h.
 */
#include "lua/pmesh.h"

#include <math.h>

#include <lauxlib.h>

#include "engines/qmesh.h"

/* Every field an agent's table has besides `node` and `q`, set at build
 * so that a tick only overwrites. */
static const char *const pmesh_fields[] = {
    "phase", "epsilon", "reward", "action", "vbin", "td", "sweeps"};

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
 * epsilon, last reward, last action (-2..2 duty steps), voltage bin,
 * mean |TD error|, sweeps, and q, its Q-row for its present state. */
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
        lua_pushnumber(L, a->eps);
        lua_setfield(L, -2, "epsilon");
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

/*
 * pmesh - the converter mesh's agents (engines/qmesh.h) as a Lua
 * policy's state.mesh: one table per agent, in node order, built with
 * each policy version and rewritten in place every tick (numbers into
 * fields that already exist: no allocation).  The fields are documented
 * in lua-policies/README.md.
 */
#ifndef WATTSON_PMESH_H
#define WATTSON_PMESH_H

#include <lua.h>

struct qmesh;

/* Builds state.mesh in the table at stack index `state` for agents q
 * (NULL or none: nothing) and returns its registry reference, or 0. */
int pmesh_build(lua_State *L, int state, const struct qmesh *q);
/* Rewrites the tables of reference ref (0: nothing) from q. */
void pmesh_update(lua_State *L, int ref, const struct qmesh *q);

#endif
